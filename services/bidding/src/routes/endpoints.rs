//! A supplier's endpoint (PRODUCT.md B2): where it is told of each bid request it may offer on
//! when it opens, signed (Standard Webhooks) with a secret shown once.

use actix_web::{HttpResponse, delete, put, web};
use contracts::bidding::{NewSupplierEndpoint, SupplierEndpoint};
use platform::{
    ApiError,
    auth::Authenticated,
    db::{Db, Stored},
    error::Problem,
    json::Json,
    outbound::TargetPolicy,
};

use crate::{
    access::{SupplierOnly, supplier_scope},
    db::endpoints::{self, EndpointRow},
};

/// Sets the calling supplier's endpoint, replacing any it had; the answer holds the new secret,
/// shown only this once. The URL must be a public http(s) host.
#[utoipa::path(
    tag = "supplier endpoints",
    security(("bearer" = [])),
    request_body = NewSupplierEndpoint,
    responses(
        (status = 200, body = SupplierEndpoint),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/supplier-endpoint")]
#[tracing::instrument(skip_all)]
pub async fn set_endpoint(
    who: Authenticated<SupplierOnly>,
    db: web::Data<Db>,
    policy: web::Data<TargetPolicy>,
    body: Json<NewSupplierEndpoint>,
) -> Result<web::Json<SupplierEndpoint>, ApiError> {
    let supplier = supplier_scope(&who)?.ok_or_else(|| ApiError::forbidden("suppliers set endpoints"))?;
    let url = body.into_inner().url;
    policy.check(&url).map_err(|why| ApiError::invalid_field("url", why))?;
    let row = EndpointRow {
        supplier_id: Stored(supplier),
        url,
        secret: platform::webhook::new_secret(),
        created_at: db.clock().now(),
    };
    let answer = SupplierEndpoint { url: row.url.clone(), secret: row.secret.clone() };
    db.transaction(move |conn| endpoints::save(conn, &row)).await?;
    tracing::info!(supplier.id = %supplier, "supplier endpoint set");
    Ok(web::Json(answer))
}

/// Removes the calling supplier's endpoint: nothing more is sent to it.
#[utoipa::path(
    tag = "supplier endpoints",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "There was none", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/supplier-endpoint")]
pub async fn delete_endpoint(who: Authenticated<SupplierOnly>, db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    let supplier = supplier_scope(&who)?.ok_or_else(|| ApiError::forbidden("suppliers remove endpoints"))?;
    match db.transaction(move |conn| endpoints::delete(conn, supplier)).await? {
        true => Ok(HttpResponse::NoContent().finish()),
        false => Err(ApiError::not_found("supplier endpoint")),
    }
}
