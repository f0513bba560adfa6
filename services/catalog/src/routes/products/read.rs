//! `GET /v1/products` and `GET /v1/products/{id}`: public browsing (PRODUCT.md C4).

use actix_web::{HttpRequest, HttpResponse, get, web};
use contracts::catalog::{Product, ProductPage};
use domain::{ProductId, ProductKind, SupplierId};
use platform::{
    ApiError,
    db::Db,
    error::Problem,
    page_cache::{PageCache, json_page},
    pagination::{PageParams, page},
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::products::{self, ProductFilter};

const MAX_QUERY: usize = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListProductsParams {
    /// Only products of this kind.
    pub kind: Option<ProductKind>,
    /// Only this supplier's products.
    pub supplier_id: Option<SupplierId>,
    /// Text found, case-insensitively, in the name, description, manufacturer, model or SKU.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Lists active products, oldest first, one page at a time.
#[utoipa::path(
    tag = "products",
    params(ListProductsParams),
    responses(
        (status = 200, body = ProductPage),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/products")]
pub async fn list_products(
    req: HttpRequest,
    db: web::Data<Db>,
    pages: web::Data<PageCache>,
    params: web::Query<ListProductsParams>,
) -> Result<HttpResponse, ApiError> {
    let generation = match pages.get(req.query_string()) {
        Ok(page) => return Ok(json_page(page)),
        Err(generation) => generation,
    };
    let params = params.into_inner();
    let paging = PageParams { cursor: params.cursor, limit: params.limit };
    let (limit, after) = (paging.limit()?, paging.after_as()?);
    if params.q.as_deref().is_some_and(|q| q.chars().any(char::is_control)) {
        return Err(ApiError::invalid_field("q", "must not contain control characters"));
    }
    let text = params.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
    if text.as_ref().is_some_and(|q| q.chars().count() > MAX_QUERY) {
        return Err(ApiError::invalid_field("q", format!("at most {MAX_QUERY} characters")));
    }
    let filter = ProductFilter { kind: params.kind, supplier_id: params.supplier_id, text };
    let records = db.run(move |conn| products::list(conn, &filter, after, i64::from(limit) + 1)).await?;
    let (records, next_cursor) = page(records, limit, |r| r.id.to_string());
    let body = ProductPage { items: records.iter().map(|r| r.to_dto()).collect(), next_cursor };
    let bytes = web::Bytes::from(serde_json::to_vec(&body).map_err(ApiError::internal)?);
    pages.put(req.query_string(), generation, bytes.clone());
    Ok(json_page(bytes))
}

/// Reads one product, archived or not.
#[utoipa::path(
    tag = "products",
    params(("id" = ProductId, Path)),
    responses(
        (status = 200, body = Product),
    )
)]
#[get("/v1/products/{id}")]
pub async fn get_product(db: web::Data<Db>, id: web::Path<ProductId>) -> Result<web::Json<Product>, ApiError> {
    let id = id.into_inner();
    let record = db.run(move |conn| products::find(conn, id)).await?;
    record.map(|r| web::Json(r.to_dto())).ok_or_else(|| ApiError::not_found(format!("product {id}")))
}
