//! `GET /v1/groups` and `GET /v1/groups/{id}`: public reads (PRODUCT.md G5).

use actix_web::{HttpRequest, HttpResponse, get, web};
use contracts::groups::{Group, GroupPage};
use domain::{
    GroupId, ProductId, SupplierId,
    group::{GroupMode, GroupState},
};
use platform::{
    ApiError,
    db::Db,
    error::Problem,
    page_cache::{PageCache, json_page},
    pagination::{PageParams, page},
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::{
    bulk,
    groups::{self, GroupFilter},
    rows::GroupRow,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListGroupsParams {
    pub state: Option<GroupState>,
    pub mode: Option<GroupMode>,
    pub product_id: Option<ProductId>,
    pub supplier_id: Option<SupplierId>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Lists groups, oldest first, one page at a time.
#[utoipa::path(
    tag = "groups",
    params(ListGroupsParams),
    responses(
        (status = 200, body = GroupPage),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/groups")]
pub async fn list_groups(
    req: HttpRequest,
    db: web::Data<Db>,
    pages: web::Data<PageCache>,
    params: web::Query<ListGroupsParams>,
) -> Result<HttpResponse, ApiError> {
    // A page may show tallies up to `PageCache::TTL` old; one group's read and its events are live.
    let generation = match pages.get(req.query_string()) {
        Ok(page) => return Ok(json_page(page)),
        Err(generation) => generation,
    };
    let params = params.into_inner();
    let paging = PageParams { cursor: params.cursor, limit: params.limit };
    let (limit, after) = (paging.limit()?, paging.after_as()?);
    let filter = GroupFilter {
        state: params.state,
        mode: params.mode,
        product_id: params.product_id,
        supplier_id: params.supplier_id,
    };
    let rows = db.run(move |conn| groups::list(conn, &filter, after, i64::from(limit) + 1)).await?;
    let (rows, next_cursor) = page(rows, limit, |r| r.id.to_string());
    let items = rows.iter().map(GroupRow::to_dto).collect::<anyhow::Result<_>>().map_err(ApiError::internal)?;
    let page = web::Bytes::from(serde_json::to_vec(&GroupPage { items, next_cursor }).map_err(ApiError::internal)?);
    pages.put(req.query_string(), generation, page.clone());
    Ok(json_page(page))
}

/// Reads a group: its product snapshot, conditions, tally and current price; for a bulk purchase,
/// what was declared and decided (`bulk`, shown here and not in lists).
#[utoipa::path(
    tag = "groups",
    params(("id" = GroupId, Path)),
    responses(
        (status = 200, body = Group),
    )
)]
#[get("/v1/groups/{id}")]
pub async fn get_group(db: web::Data<Db>, id: web::Path<GroupId>) -> Result<web::Json<Group>, ApiError> {
    let id = id.into_inner();
    let (row, bulk) = db.run(move |conn| Ok::<_, ApiError>((find(conn, id)?, bulk::find(conn, id)?))).await?;
    let mut group = row.to_dto().map_err(ApiError::internal)?;
    group.bulk = bulk.map(|declared| declared.terms());
    Ok(web::Json(group))
}

/// The group, or a 404 problem.
pub fn find(conn: &mut platform::db::DbConnection, id: GroupId) -> Result<GroupRow, ApiError> {
    groups::find(conn, id)?.ok_or_else(|| ApiError::not_found(format!("group {id}")))
}
