//! Which suppliers may offer on a request (PRODUCT.md B2): the supplier of the product it is for,
//! or, for a specification, every supplier with a specific product meeting it, as the catalog
//! lists them now.

use domain::{AttributeConstraint, ProductDetails, ProductKind, SupplierId};
use futures::StreamExt;
use platform::{ApiError, ErrorCode, db::Db};
use uuid::Uuid;

use crate::{
    Context,
    db::{
        endpoints,
        requests::{self, RequestRow},
    },
};

/// The most subscribed suppliers one request is announced to.
const MAX_TOLD: i64 = 10_000;
/// Catalog reads made at once to find who a specification reaches.
const CATALOG_READS_AT_ONCE: usize = 8;

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

/// The suppliers with an endpoint who may offer on a new request for `owner`'s product, or for
/// `specification`: told when it opens (B2).
pub async fn to_tell(
    db: &Db,
    context: &Context,
    owner: SupplierId,
    specification: Option<&[AttributeConstraint]>,
) -> Result<Vec<SupplierId>, ApiError> {
    let Some(specification) = specification else {
        let subscribed = db.run(move |conn| endpoints::find(conn, owner)).await?;
        return Ok(subscribed.map(|_| owner).into_iter().collect());
    };
    let subscribed = db.run(|conn| endpoints::subscribed(conn, MAX_TOLD)).await?;
    let checked: Vec<Result<Option<SupplierId>, ApiError>> = futures::stream::iter(subscribed)
        .map(|supplier| async move {
            let products = products_of(context, supplier).await?;
            Ok(products.iter().any(|p| p.meets(specification)).then_some(supplier))
        })
        .buffer_unordered(CATALOG_READS_AT_ONCE)
        .collect()
        .await;
    let mut told: Vec<SupplierId> = checked.into_iter().filter_map(Result::transpose).collect::<Result<_, _>>()?;
    told.sort();
    Ok(told)
}
