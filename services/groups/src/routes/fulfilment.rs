//! `POST /v1/groups/{id}/fulfilment`: a service is not shipped; its supplier confirms it delivered
//! (PRODUCT.md G11).

use actix_web::{post, web};
use contracts::groups::{Fulfilment, FulfilmentRequest};
use domain::{GroupId, ProductKind};
use platform::{ApiError, auth::Authenticated, db::Db, error::Problem, json::Json};

use super::read::find;
use crate::{
    access::{SupplierOrOperator, acting_supplier},
    db::members,
};

/// Confirms a service delivered to the members who paid (all, or those in `seats`): the group's
/// supplier or the operator.
#[utoipa::path(
    tag = "members",
    security(("bearer" = [])),
    params(("id" = GroupId, Path)),
    request_body = FulfilmentRequest,
    responses(
        (status = 200, body = Fulfilment),
        (status = 409, description = "The product is shipped, not confirmed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/groups/{id}/fulfilment")]
#[tracing::instrument(skip_all, fields(group.id = %id))]
pub async fn confirm_fulfilment(
    who: Authenticated<SupplierOrOperator>,
    db: web::Data<Db>,
    id: web::Path<GroupId>,
    body: Json<FulfilmentRequest>,
) -> Result<web::Json<Fulfilment>, ApiError> {
    let (id, body) = (id.into_inner(), body.into_inner());
    let now = db.clock().now();
    let confirmed = db
        .transaction(move |conn| {
            let group = find(conn, id)?;
            if acting_supplier(&who).is_some_and(|own| own != group.supplier_id.0) {
                return Err(ApiError::forbidden("another supplier's group"));
            }
            if group.product().map_err(ApiError::internal)?.kind != ProductKind::Service {
                return Err(ApiError::conflict("the product is shipped: shipping reports its delivery"));
            }
            Ok(members::fulfil(conn, id, body.seats.as_deref(), now)?)
        })
        .await?;
    Ok(web::Json(Fulfilment { group_id: id, confirmed: u32::try_from(confirmed).unwrap_or(u32::MAX) }))
}
