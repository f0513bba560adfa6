//! Joining, leaving and the member list (PRODUCT.md G3, G5).

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use contracts::{
    groups::{JoinRequest, MemberList, Membership},
    payments::MethodType,
};
use domain::{
    GroupId,
    group::{GroupMode, MemberEvent},
};
use platform::{ApiError, auth::Authenticated, db::Db, error::Problem, idempotency::IdempotentRequest, json::Json};

use super::read::find;
use crate::{
    access::{ShopperOnly, optional_caller, organizes},
    admission::{Admission, JoinAttempt},
    db::{groups, members, rows::MemberRow},
    gate::Gate,
    payment_flow,
};

/// Joins a group with a quantity: an obligation to buy at the price the group reaches. The seat
/// is reserved at once and the hold (the most the member can owe) requested from payments; the
/// seat is confirmed (`held`) when the hold succeeds and given back (`released`) when it fails.
#[utoipa::path(
    tag = "members",
    security(("bearer" = [])),
    params(("id" = GroupId, Path), ("Idempotency-Key" = Option<String>, Header, description = "The same key returns the same membership")),
    request_body = JoinRequest,
    responses(
        (status = 201, body = Membership),
        (status = 409, description = "Full, outside the window, not open, or already a member", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/groups/{id}/members")]
#[tracing::instrument(skip_all, fields(group.id = %id))]
pub async fn join_group(
    who: Authenticated<ShopperOnly>,
    admission: web::Data<Admission>,
    gate: web::Data<Gate>,
    key: IdempotentRequest,
    id: web::Path<GroupId>,
    body: Json<JoinRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, request) = (id.into_inner(), body.into_inner());
    if request.payment_method.kind == MethodType::Card && request.payment_method.token.is_none() {
        return Err(ApiError::invalid_field("payment_method.token", "a card needs a token"));
    }
    if let Some(why) = gate.refuses(id) {
        return Err(ApiError::conflict(why.to_string()));
    }
    let attempt = JoinAttempt { group: id, shopper: who.subject.clone(), request, key };
    let membership = admission.join(attempt).await?;
    tracing::info!(group.id = %id, quantity = membership.quantity, "member joined");
    Ok(HttpResponse::Created().json(membership))
}

/// Leaves a group while its window is open; the payment is released.
#[utoipa::path(
    tag = "members",
    security(("bearer" = [])),
    params(("id" = GroupId, Path)),
    responses(
        (status = 200, body = Membership),
        (status = 409, description = "The window has closed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/groups/{id}/members/me")]
#[tracing::instrument(skip_all, fields(group.id = %id))]
pub async fn leave_group(
    who: Authenticated<ShopperOnly>,
    db: web::Data<Db>,
    id: web::Path<GroupId>,
) -> Result<web::Json<Membership>, ApiError> {
    let id = id.into_inner();
    let now = db.clock().now();
    let shopper = who.subject.clone();
    let membership = db
        .transaction(move |conn| {
            // Under the group's lock, as payment answers are applied: the member read here is
            // the one changed.
            groups::lock(conn, id)?;
            let group = find(conn, id)?;
            if group.mode.0 == GroupMode::BulkPurchase {
                return Err(ApiError::conflict(
                    "a bulk purchase is bought, charged and shipped at once: it cannot be left",
                ));
            }
            let member = members::seated(conn, id, &shopper)?
                .ok_or_else(|| ApiError::not_found("the shopper holds no seat in this group"))?;
            if now >= group.closes_at {
                return Err(ApiError::conflict("the join window has closed; members can no longer leave"));
            }
            let to = member.state.0.apply(MemberEvent::Leave).map_err(|e| ApiError::conflict(e.to_string()))?;
            let quantity = u32::try_from(member.quantity).map_err(ApiError::internal)?;
            let after = groups::free_seat(conn, id, quantity, now)?
                .ok_or_else(|| ApiError::conflict("the group is no longer open; members can no longer leave"))?;
            if !members::set_state(conn, &member.id, member.state.0, to, None, now)? {
                return Err(ApiError::conflict("the membership changed meanwhile; retry"));
            }
            let price = after.unit_price_now().map_err(ApiError::internal)?;
            groups::record_event(conn, &after, "left", price.to_minor().map_err(ApiError::internal)?, now)?;
            let left = MemberRow { state: to.into(), updated_at: now, ..member };
            payment_flow::release_payment(conn, &after, &left)?;
            Ok(left.to_dto(after.currency.0))
        })
        .await?;
    tracing::info!(group.id = %id, "member left");
    Ok(web::Json(membership))
}

/// The members: in full (shoppers' ids, every state) for the organizer and the operator; for
/// everyone else the seated members under aliases.
#[utoipa::path(
    tag = "members",
    security((), ("bearer" = [])),
    params(("id" = GroupId, Path)),
    responses(
        (status = 200, body = MemberList),
    )
)]
#[get("/v1/groups/{id}/members")]
pub async fn list_members(
    req: HttpRequest,
    db: web::Data<Db>,
    id: web::Path<GroupId>,
) -> Result<web::Json<MemberList>, ApiError> {
    let id = id.into_inner();
    let caller = optional_caller(&req).await?;
    let (group, rows) = db.run(move |conn| Ok::<_, ApiError>((find(conn, id)?, members::of_group(conn, id)?))).await?;
    if caller.as_ref().is_some_and(|who| organizes(who, &group)) {
        let members = rows.iter().map(|m| m.to_dto(group.currency.0)).collect();
        return Ok(web::Json(MemberList::Full { members }));
    }
    let members = rows.iter().filter(|m| m.state.0.holds_seat()).map(MemberRow::to_public).collect();
    Ok(web::Json(MemberList::Pseudonymous { members }))
}
