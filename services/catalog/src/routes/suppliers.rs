//! `POST /v1/suppliers` (operator) and `GET /v1/suppliers/{id}` (public) (PRODUCT.md C2).

use actix_web::{HttpResponse, get, http::StatusCode, post, web};
use contracts::catalog::{NewSupplier, Supplier};
use domain::SupplierId;
use platform::{
    ApiError,
    auth::{Authenticated, OperatorOnly},
    db::Db,
    error::Problem,
    idempotency::IdempotentRequest,
    json::Json,
};

use crate::db::{rows::SupplierRow, suppliers};

fn to_dto(row: SupplierRow) -> Supplier {
    Supplier { id: row.id.0, name: row.name, created_at: row.created_at.and_utc() }
}

/// Registers a supplier.
#[utoipa::path(
    tag = "suppliers",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for 24 h")),
    responses(
        (status = 201, body = Supplier),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/suppliers")]
#[tracing::instrument(skip_all)]
pub async fn create_supplier(
    _who: Authenticated<OperatorOnly>,
    db: web::Data<Db>,
    key: IdempotentRequest,
    body: Json<NewSupplier>,
) -> Result<HttpResponse, ApiError> {
    let name = body.name.trim().to_owned();
    let row = SupplierRow { id: SupplierId::generate().into(), name, created_at: platform::db::now() };
    let supplier = db
        .transaction(move |conn| {
            suppliers::insert(conn, &row)?;
            let supplier = to_dto(row);
            key.complete(conn, StatusCode::CREATED, &supplier)?;
            Ok::<_, ApiError>(supplier)
        })
        .await?;
    tracing::info!(supplier.id = %supplier.id, "supplier registered");
    Ok(HttpResponse::Created().insert_header(("location", format!("/v1/suppliers/{}", supplier.id))).json(supplier))
}

/// Reads a supplier.
#[utoipa::path(
    tag = "suppliers",
    params(("id" = SupplierId, Path)),
    responses(
        (status = 200, body = Supplier),
    )
)]
#[get("/v1/suppliers/{id}")]
pub async fn get_supplier(db: web::Data<Db>, id: web::Path<SupplierId>) -> Result<web::Json<Supplier>, ApiError> {
    let id = id.into_inner();
    let row = db.run(move |conn| suppliers::find(conn, id)).await?;
    row.map(to_dto).map(web::Json).ok_or_else(|| ApiError::not_found(format!("supplier {id}")))
}
