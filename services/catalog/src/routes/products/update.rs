//! `PATCH /v1/products/{id}` and `DELETE /v1/products/{id}` (archives): the owning supplier or the
//! operator (PRODUCT.md C2). Groups keep the terms they snapshotted (C5); a change here bumps the
//! product's version.

use actix_web::{delete, patch, web};
use contracts::catalog::{Product, ProductUpdate};
use domain::ProductId;
use platform::{
    ApiError,
    auth::Authenticated,
    db::{Db, DbConnection},
    error::Problem,
    json::Json,
    page_cache::PageCache,
};

use super::{authorize_owner, check_references};
use crate::access::SupplierOrOperator;
use crate::{
    db::products,
    model::{ProductRecord, ProductTerms, TermsInput},
};

/// Changes a product's terms; absent fields stay as they are.
#[utoipa::path(
    tag = "products",
    security(("bearer" = [])),
    params(("id" = ProductId, Path)),
    request_body = ProductUpdate,
    responses(
        (status = 200, body = Product),
        (status = 409, description = "Archived, or changed concurrently", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/products/{id}")]
#[tracing::instrument(skip_all, fields(product.id = %id))]
pub async fn update_product(
    who: Authenticated<SupplierOrOperator>,
    db: web::Data<Db>,
    pages: web::Data<PageCache>,
    id: web::Path<ProductId>,
    body: Json<ProductUpdate>,
) -> Result<web::Json<Product>, ApiError> {
    let (id, update) = (id.into_inner(), body.into_inner());
    let record = db
        .transaction(move |conn| {
            let current = load_owned(conn, &who, id)?;
            if current.is_archived() {
                return Err(ApiError::conflict("an archived product cannot be changed"));
            }
            let terms = apply(&current, &update)?;
            check_references(conn, id, &terms.details)?;
            let next = ProductRecord {
                terms,
                version: current.version + 1,
                updated_at: platform::db::now(),
                ..current.clone()
            };
            if !products::replace(conn, &next, current.version)? {
                return Err(ApiError::conflict("the product was changed concurrently; read it and retry"));
            }
            Ok(next)
        })
        .await?;
    pages.invalidate();
    tracing::info!(version = record.version, "product updated");
    Ok(web::Json(record.to_dto()))
}

/// Archives a product: it stays readable but is no longer listed. Archiving twice is harmless.
#[utoipa::path(
    tag = "products",
    security(("bearer" = [])),
    params(("id" = ProductId, Path)),
    responses(
        (status = 200, body = Product),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/products/{id}")]
#[tracing::instrument(skip_all, fields(product.id = %id))]
pub async fn archive_product(
    who: Authenticated<SupplierOrOperator>,
    db: web::Data<Db>,
    pages: web::Data<PageCache>,
    id: web::Path<ProductId>,
) -> Result<web::Json<Product>, ApiError> {
    let id = id.into_inner();
    let record = db
        .transaction(move |conn| {
            let current = load_owned(conn, &who, id)?;
            if current.is_archived() {
                return Ok(current);
            }
            let now = platform::db::now();
            let next = ProductRecord {
                archived_at: Some(now),
                version: current.version + 1,
                updated_at: now,
                ..current.clone()
            };
            if !products::replace(conn, &next, current.version)? {
                return Err(ApiError::conflict("the product was changed concurrently; retry"));
            }
            Ok(next)
        })
        .await?;
    pages.invalidate();
    tracing::info!("product archived");
    Ok(web::Json(record.to_dto()))
}

fn load_owned(
    conn: &mut DbConnection,
    who: &Authenticated<SupplierOrOperator>,
    id: ProductId,
) -> Result<ProductRecord, ApiError> {
    let current = products::find(conn, id)?.ok_or_else(|| ApiError::not_found(format!("product {id}")))?;
    authorize_owner(who, current.supplier_id)?;
    Ok(current)
}

/// The current terms with the update laid over them, validated as a whole.
fn apply(current: &ProductRecord, update: &ProductUpdate) -> Result<ProductTerms, ApiError> {
    let now = current.to_dto();
    let price_tiers = match &update.price_tiers {
        Some(replacement) => replacement.as_ref(),
        None => now.price_tiers.as_ref(),
    };
    Ok(ProductTerms::parse(TermsInput {
        name: update.name.as_deref().unwrap_or(&now.name),
        description: update.description.as_deref().unwrap_or(&now.description),
        list_price: update.list_price.as_ref().unwrap_or(&now.list_price),
        details: update.details.as_ref().unwrap_or(&now.details),
        price_tiers,
        discount_rates: update.discount_rates.as_deref().unwrap_or(&now.discount_rates),
    })?)
}
