//! Joining, leaving and the member list (PRODUCT.md G3, G5).

use actix_web::{HttpRequest, HttpResponse, delete, get, http::StatusCode, post, web};
use contracts::{
    groups::{JoinRequest, MemberList, Membership},
    payments::MethodType,
};
use domain::{
    GroupId, Money, ProductKind, Violations,
    group::{JoinRefused, MemberEvent, MemberState},
};
use platform::{
    ApiError,
    auth::Authenticated,
    db::{Db, DbConnection, StoreError},
    error::Problem,
    idempotency::IdempotentRequest,
    json::Json,
};

use super::read::find;
use crate::{
    access::{ShopperOnly, optional_caller, organizes},
    db::{groups, members, rows::MemberRow},
    gate::Gate,
    model::Terms,
    payment_flow,
};

fn refused(e: &JoinRefused) -> ApiError {
    ApiError::conflict(e.to_string())
}

/// A second seat for the same shopper, caught by the store's unique index under a race.
fn seat_taken(e: StoreError) -> ApiError {
    match e {
        StoreError::Query(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => ApiError::conflict("the shopper is already a member of this group"),
        e => e.into(),
    }
}

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
    db: web::Data<Db>,
    gate: web::Data<Gate>,
    key: IdempotentRequest,
    id: web::Path<GroupId>,
    body: Json<JoinRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (id.into_inner(), body.into_inner());
    if body.payment_method.kind == MethodType::Card && body.payment_method.token.is_none() {
        return Err(ApiError::invalid_field("payment_method.token", "a card needs a token"));
    }
    if let Some(why) = gate.refuses(id) {
        return Err(refused(&why));
    }
    let now = db.clock().now();
    let shopper = who.subject.clone();
    let gate = gate.into_inner();
    let membership = db.transaction(move |conn| join(conn, id, &shopper, &body, now, &key, &gate)).await?;
    tracing::info!(group.id = %id, quantity = membership.quantity, "member joined");
    Ok(HttpResponse::Created().json(membership))
}

fn join(
    conn: &mut DbConnection,
    id: GroupId,
    shopper: &str,
    body: &JoinRequest,
    now: chrono::NaiveDateTime,
    key: &IdempotentRequest,
    gate: &Gate,
) -> Result<Membership, ApiError> {
    let refuse = |why: JoinRefused| {
        gate.learn(id, &why);
        refused(&why)
    };
    let group = find(conn, id)?;
    // The snapshot is read once per join: its kind decides the address, its prices the hold.
    let product = group.product().map_err(ApiError::internal)?;
    let ship_to = ship_to(product.kind, body)?;
    if !group.payment_methods().map_err(ApiError::internal)?.contains(&body.payment_method.kind) {
        return Err(ApiError::invalid_field("payment_method.type", "the group does not take this payment method"));
    }
    if members::seated(conn, id, shopper)?.is_some() {
        return Err(ApiError::conflict("the shopper is already a member of this group"));
    }
    let (limits, quantity) = (group.limits(), body.quantity);
    limits.admit(group.state(), group.tally(), quantity, now, (group.opens_at, group.closes_at)).map_err(refuse)?;
    let terms = Terms::of(&product).map_err(ApiError::internal)?;
    let held_unit = terms.price().most_owed(&limits, quantity);
    match held_unit.times(quantity.get()) {
        Ok(total) if total.amount() < Money::LIMIT.into() => {}
        _ => return Err(ApiError::invalid_field("quantity", "the amount to hold is too large")),
    }
    let Some(after) = groups::take_seat(conn, id, quantity.get(), now)? else {
        // Another join or the deadline came first: say which.
        let group = find(conn, id)?;
        group
            .limits()
            .admit(group.state(), group.tally(), quantity, now, (group.opens_at, group.closes_at))
            .map_err(refuse)?;
        return Err(refuse(JoinRefused::Full));
    };
    let member = MemberRow {
        id: uuid::Uuid::now_v7().to_string(),
        group_id: id.into(),
        shopper: shopper.to_owned(),
        seat: after.seats_taken,
        quantity: i32::from(quantity),
        payment_method: body.payment_method.kind.into(),
        state: MemberState::Reserved.into(),
        held_unit_price_minor: held_unit.to_minor().map_err(ApiError::internal)?,
        failure_code: None,
        joined_at: now,
        updated_at: now,
        payment_id: None,
        payment_state: None,
        ship_to,
        shipment_id: None,
        shipment_state: None,
        fulfilled_at: None,
    };
    members::insert(conn, &member).map_err(seat_taken)?;
    payment_flow::request_hold(conn, &after, &member, &body.payment_method)?;
    let price = terms.price().at(after.tally()).to_minor().map_err(ApiError::internal)?;
    groups::record_event(conn, &after, "joined", price, now)?;
    let membership = member.to_dto(after.currency.0);
    key.complete(conn, StatusCode::CREATED, &membership)?;
    Ok(membership)
}

/// The address to ship to, as stored: required unless the product is a service (G11).
fn ship_to(kind: ProductKind, body: &JoinRequest) -> Result<Option<String>, ApiError> {
    let shipped = kind != ProductKind::Service;
    match (&body.ship_to, shipped) {
        (Some(recipient), true) => {
            let mut v = Violations::new();
            recipient.check("ship_to", &mut v);
            v.into_result()?;
            Ok(Some(serde_json::to_string(recipient).map_err(ApiError::internal)?))
        }
        (None, true) => Err(ApiError::invalid_field("ship_to", "the product is shipped: say where to")),
        (_, false) => Ok(None),
    }
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
            let group = find(conn, id)?;
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
            let price = group.terms().map_err(ApiError::internal)?.price().at(after.tally());
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
