//! `POST /v1/groups`: a shopper, a supplier (its own products) or the operator starts a group for
//! one product, its terms snapshotted from catalog (PRODUCT.md G1, G2, C5).

use actix_web::{HttpResponse, http::StatusCode, post, web};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::SubsecRound;
use contracts::{
    catalog::{Product, ProductStatus},
    groups::{CreatedGroup, NewGroup},
    payments::MethodType,
};
use domain::{
    GroupId, ProductId, Violations,
    group::{GroupMode, GroupState, PaymentPlan, Tally},
};
use platform::{
    ApiError, ErrorCode,
    auth::{Authenticated, Principal},
    db::Db,
    error::Problem,
    idempotency::IdempotentRequest,
    json::Json,
    page_cache::PageCache,
};

use crate::{
    Context,
    access::{Organizers, acting_supplier},
    db::{groups, rows::GroupRow},
    model::Terms,
};

/// A join window (or purchase period) may last at most this long.
pub(super) const MAX_WINDOW_DAYS: i64 = 365;

/// Starts a group. The creator is its organizer and gets the invite code.
#[utoipa::path(
    tag = "groups",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for 24 h")),
    request_body = NewGroup,
    responses(
        (status = 201, body = CreatedGroup),
        (status = 409, description = "The same Idempotency-Key is still in flight", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "Catalog could not be reached", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/groups")]
#[tracing::instrument(skip_all)]
pub async fn create_group(
    who: Authenticated<Organizers>,
    db: web::Data<Db>,
    context: web::Data<Context>,
    pages: web::Data<PageCache>,
    key: IdempotentRequest,
    body: Json<NewGroup>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let now = db.clock().now();
    let (opens_at, closes_at) = check_conditions(&body, now)?;
    let product = snapshot(&context, &who, body.product_id).await?;
    let terms = Terms::of(&product).map_err(ApiError::internal)?;
    let row = GroupRow {
        mode: body.mode.into(),
        min_members: i32::from(body.min_members),
        max_members: body.max_members.map(i32::from),
        max_quantity: body.max_quantity.map(|q| i64::from(q.get())),
        payment_methods: methods_json(body.payment_methods.as_deref())?,
        payment_plan: PaymentPlan::for_window(closes_at - now, context.hold).into(),
        opens_at,
        closes_at,
        ..opening(&who, &product, &terms, now)?
    };
    let opening_price = terms.price().at(Tally::default()).to_minor().map_err(ApiError::internal)?;
    let created =
        CreatedGroup { group: row.to_dto().map_err(ApiError::internal)?, invite_code: row.invite_code.clone() };
    let answer = created.clone();
    db.transaction(move |conn| {
        groups::insert(conn, &row, opening_price)?;
        key.complete(conn, StatusCode::CREATED, &answer)?;
        Ok::<_, ApiError>(())
    })
    .await?;
    pages.invalidate();
    tracing::info!(group.id = %created.group.id, product.id = %created.group.product_id, "group started");
    Ok(HttpResponse::Created().insert_header(("location", format!("/v1/groups/{}", created.group.id))).json(created))
}

/// A group of `product` that `who` starts at `now`, open with nobody in it; each mode sets its
/// conditions over this.
pub(super) fn opening(
    who: &Principal,
    product: &Product,
    terms: &Terms,
    now: chrono::NaiveDateTime,
) -> Result<GroupRow, ApiError> {
    Ok(GroupRow {
        id: GroupId::generate().into(),
        mode: GroupMode::Tiered.into(),
        state: GroupState::Open.into(),
        product_id: product.id.into(),
        supplier_id: product.supplier_id.into(),
        organizer: who.subject.clone(),
        organizer_role: who.role.into(),
        invite_code: invite_code(),
        currency: terms.list_price.currency().into(),
        product: serde_json::to_string(product).map_err(ApiError::internal)?,
        product_version: product.version,
        min_members: 1,
        max_members: None,
        max_quantity: None,
        payment_methods: methods_json(None)?,
        payment_plan: PaymentPlan::HoldThenCapture.into(),
        opens_at: now,
        closes_at: now,
        member_count: 0,
        quantity: 0,
        seats_taken: 0,
        event_count: 1,
        final_unit_price_minor: None,
        created_at: now,
        updated_at: now,
    })
}

/// The payment methods as stored: those given, or card only.
pub(super) fn methods_json(methods: Option<&[MethodType]>) -> Result<String, ApiError> {
    serde_json::to_string(methods.unwrap_or(&[MethodType::Card])).map_err(ApiError::internal)
}

/// The window and limits, all problems at once; the window as stored (UTC, microseconds).
fn check_conditions(
    body: &NewGroup,
    now: chrono::NaiveDateTime,
) -> Result<(chrono::NaiveDateTime, chrono::NaiveDateTime), ApiError> {
    let mut v = Violations::new();
    v.check(body.mode == GroupMode::Tiered, "mode", "only `tiered` groups can be started yet");
    let opens_at = body.opens_at.map_or(now, |t| t.naive_utc().trunc_subsecs(6)).max(now);
    let closes_at = body.closes_at.naive_utc().trunc_subsecs(6);
    v.check(closes_at > opens_at, "closes_at", "must be after the window opens (and in the future)");
    v.check(
        closes_at <= now + chrono::Duration::days(MAX_WINDOW_DAYS),
        "closes_at",
        format!("must be within {MAX_WINDOW_DAYS} days"),
    );
    if let Some(max) = body.max_members {
        v.check(max >= body.min_members, "max_members", "must be at least min_members");
    }
    check_methods(body.payment_methods.as_deref(), &mut v);
    v.into_result()?;
    Ok((opens_at, closes_at))
}

/// The payment methods a group takes, if given: one or both, each once.
pub(super) fn check_methods(methods: Option<&[MethodType]>, v: &mut Violations) {
    if let Some(methods) = methods {
        v.check(!methods.is_empty(), "payment_methods", "name at least one");
        v.check(!(methods.len() == 2 && methods[0] == methods[1]), "payment_methods", "names a method twice");
        v.check(methods.len() <= 2, "payment_methods", "at most card and bank_transfer");
    }
}

/// The product as catalog has it now: it must exist, be active and, for a supplier, be its own.
pub(super) async fn snapshot(context: &Context, who: &Principal, id: ProductId) -> Result<Product, ApiError> {
    let product = context.catalog.product(id).await.map_err(|e| {
        tracing::warn!(error.cause = %e, "catalog read failed");
        ApiError::new(ErrorCode::BadGateway, "catalog could not be reached; retry")
    })?;
    let product =
        product.ok_or_else(|| ApiError::invalid_field("product_id", format!("product {id} does not exist")))?;
    if product.status == ProductStatus::Archived {
        return Err(ApiError::invalid_field("product_id", "the product is archived"));
    }
    if acting_supplier(who).is_some_and(|own| own != product.supplier_id) {
        return Err(ApiError::forbidden("a supplier may start groups only for its own products"));
    }
    Ok(product)
}

/// 192 random bits, URL-safe: shareable and unguessable.
pub(super) fn invite_code() -> String {
    let mut bytes = Vec::with_capacity(24);
    for _ in 0..2 {
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    // Version and variant bits are fixed in a v4 uuid; keep 12 bytes of each (all random).
    let random: Vec<u8> = bytes.chunks(16).flat_map(|c| c[..6].iter().chain(&c[10..16]).copied()).collect();
    URL_SAFE_NO_PAD.encode(random)
}
