//! Lifecycle moves asked for over HTTP (PRODUCT.md G6): cancelling an open group.

use actix_web::{post, web};
use contracts::groups::Group;
use domain::{
    GroupId,
    group::{GroupTransition, MemberEvent},
};
use platform::{ApiError, auth::Authenticated, db::Db, error::Problem};

use super::read::find;
use crate::{
    access::{OrganizerOrOperator, organizes},
    db::{groups, members},
    payment_flow,
};

/// Calls off an open group: every seat is given up and every hold voided (a charge refunded).
#[utoipa::path(
    tag = "groups",
    security(("bearer" = [])),
    params(("id" = GroupId, Path)),
    responses(
        (status = 200, body = Group),
        (status = 409, description = "The group is no longer open", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/groups/{id}/cancel")]
#[tracing::instrument(skip_all, fields(group.id = %id))]
pub async fn cancel_group(
    who: Authenticated<OrganizerOrOperator>,
    db: web::Data<Db>,
    id: web::Path<GroupId>,
) -> Result<web::Json<Group>, ApiError> {
    let id = id.into_inner();
    let now = db.clock().now();
    let group = db
        .transaction(move |conn| {
            let group = find(conn, id)?;
            if !organizes(&who, &group) {
                return Err(ApiError::forbidden("only the organizer or the operator may cancel a group"));
            }
            let to = group.state().apply(GroupTransition::Cancel).map_err(|e| ApiError::conflict(e.to_string()))?;
            let after = groups::transition(conn, id, group.state(), to, None, now)?
                .ok_or_else(|| ApiError::conflict("the group changed meanwhile; read it and retry"))?;
            for member in members::of_group(conn, id)? {
                if let Ok(ended) = member.state.0.apply(MemberEvent::GroupEnded) {
                    members::set_state(conn, &member.id, member.state.0, ended, None, now)?;
                    payment_flow::release_payment(conn, &after, &member)?;
                }
            }
            let price = after.unit_price_now().map_err(ApiError::internal)?;
            groups::record_event(conn, &after, "cancelled", price.to_minor().map_err(ApiError::internal)?, now)?;
            Ok(after)
        })
        .await?;
    tracing::info!(group.id = %id, "group cancelled");
    Ok(web::Json(group.to_dto().map_err(ApiError::internal)?))
}
