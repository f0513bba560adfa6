//! Which suppliers may offer on a request (PRODUCT.md B2): the supplier of the product it is for,
//! or, for a specification, every supplier with a specific product meeting it, as the catalog
//! lists them now.

use domain::{ProductDetails, ProductKind, SupplierId};
use platform::{ApiError, ErrorCode, db::Db};
use uuid::Uuid;

use crate::{
    Context,
    db::requests::{self, RequestRow},
};

/// The specific products `supplier` lists in the catalog.
pub async fn products_of(context: &Context, supplier: SupplierId) -> Result<Vec<ProductDetails>, ApiError> {
    let products = context.catalog.products_of(supplier, ProductKind::Specific).await.map_err(|e| {
        tracing::warn!(error.cause = %e, "catalog read failed");
        ApiError::new(ErrorCode::BadGateway, "catalog could not be reached; retry")
    })?;
    Ok(products.into_iter().map(|p| p.details).collect())
}

/// The request and whether `supplier` may offer on it; the catalog is asked only for a
/// specification.
pub async fn request_for(
    db: &Db,
    context: &Context,
    supplier: SupplierId,
    id: Uuid,
) -> Result<(RequestRow, bool), ApiError> {
    let request = db.run(move |conn| requests::get(conn, id)).await?;
    let products = match request.specification.is_some() {
        true => products_of(context, supplier).await?,
        false => Vec::new(),
    };
    let eligible = request.is_for(supplier, &products)?;
    Ok((request, eligible))
}

/// Of `rows`, those `supplier` may offer on.
pub async fn filter_for(
    context: &Context,
    supplier: SupplierId,
    rows: Vec<RequestRow>,
) -> Result<Vec<RequestRow>, ApiError> {
    let products = match rows.iter().any(|r| r.specification.is_some()) {
        true => products_of(context, supplier).await?,
        false => Vec::new(),
    };
    let mut eligible = Vec::with_capacity(rows.len());
    for row in rows {
        if row.is_for(supplier, &products)? {
            eligible.push(row);
        }
    }
    Ok(eligible)
}
