//! `POST /v1/products`: a supplier publishes a product for itself, the operator for any supplier
//! (PRODUCT.md C1-C3).

use actix_web::{HttpResponse, http::StatusCode, post, web};
use contracts::catalog::{NewProduct, Product};
use domain::{ProductId, SupplierId};
use platform::{
    ApiError,
    auth::{Authenticated, Principal},
    db::Db,
    error::Problem,
    idempotency::IdempotentRequest,
    json::Json,
    page_cache::PageCache,
};

use super::check_references;
use crate::access::SupplierOrOperator;
use crate::{
    db::{products, suppliers},
    model::{ProductRecord, ProductTerms, TermsInput},
};

/// Publishes a product of any of the six kinds, with optional price tiers and a discount-rate
/// table.
#[utoipa::path(
    tag = "products",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for 24 h")),
    request_body = NewProduct,
    responses(
        (status = 201, body = Product),
        (status = 409, description = "The same Idempotency-Key is still in flight", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/products")]
#[tracing::instrument(skip_all)]
pub async fn create_product(
    who: Authenticated<SupplierOrOperator>,
    db: web::Data<Db>,
    pages: web::Data<PageCache>,
    key: IdempotentRequest,
    body: Json<NewProduct>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let supplier_id = owner_of_new_product(&who, body.supplier_id)?;
    let terms = ProductTerms::parse(TermsInput {
        name: &body.name,
        description: &body.description,
        list_price: &body.list_price,
        details: &body.details,
        price_tiers: body.price_tiers.as_ref(),
        discount_rates: &body.discount_rates,
    })?;
    let now = platform::db::now();
    let record = ProductRecord {
        id: ProductId::generate(),
        supplier_id,
        terms,
        archived_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let record = db
        .transaction(move |conn| {
            if suppliers::find(conn, supplier_id)?.is_none() {
                return Err(ApiError::invalid_field("supplier_id", format!("supplier {supplier_id} does not exist")));
            }
            check_references(conn, record.id, &record.terms.details)?;
            products::insert(conn, &record)?;
            key.complete(conn, StatusCode::CREATED, &record.to_dto())?;
            Ok(record)
        })
        .await?;
    pages.invalidate();
    tracing::info!(product.id = %record.id, supplier.id = %record.supplier_id, "product published");
    Ok(HttpResponse::Created().insert_header(("location", format!("/v1/products/{}", record.id))).json(record.to_dto()))
}

/// A supplier publishes for itself; the operator must say for whom.
fn owner_of_new_product(who: &Principal, requested: Option<SupplierId>) -> Result<SupplierId, ApiError> {
    match (crate::access::acting_supplier(who), requested) {
        (Some(own), None) => Ok(own),
        (Some(own), Some(other)) if own == other => Ok(own),
        (Some(_), Some(_)) => Err(ApiError::forbidden("a supplier may publish only its own products")),
        (None, Some(supplier)) => Ok(supplier),
        (None, None) => Err(ApiError::invalid_field("supplier_id", "the operator must name the supplier")),
    }
}
