//! `POST /v1/groups`: a shopper, a supplier (its own products) or the operator starts a tiered or
//! reverse-auction group for one product, its terms snapshotted from catalog (PRODUCT.md G1, G2,
//! G4, C5).

use actix_web::{HttpResponse, http::StatusCode, post, web};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::SubsecRound;
use contracts::{
    catalog::{Product, ProductStatus},
    groups::{CreatedGroup, NewAuction, NewGroup},
    payments::MethodType,
};
use domain::{
    GroupId, ProductId, Violations,
    award::MAX_QUANTITY,
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
    let bid_window = (closes_at + context.min_bid_window, closes_at + chrono::Duration::days(MAX_BID_WINDOW_DAYS));
    let auction = body.auction.as_ref().map(|a| check_auction(a, &terms, bid_window)).transpose()?;
    // A hold must last until the price is known: the close, or an auction's award.
    let priced_at = auction.map_or(closes_at, |(_, bids_close_at)| bids_close_at);
    let max_quantity = match (body.max_quantity, auction) {
        (Some(q), _) => Some(i64::from(q.get())),
        (None, Some(_)) => Some(i64::from(MAX_QUANTITY)),
        (None, None) => None,
    };
    let row = GroupRow {
        mode: body.mode.into(),
        min_members: i32::from(body.min_members),
        max_members: body.max_members.map(i32::from),
        max_quantity,
        payment_methods: methods_json(body.payment_methods.as_deref())?,
        payment_plan: PaymentPlan::for_window(priced_at - now, context.hold).into(),
        opens_at,
        closes_at,
        ceiling_minor: auction.map(|(ceiling, _)| ceiling),
        bids_close_at: auction.map(|(_, bids_close_at)| bids_close_at),
        ..opening(&who, &product, &terms, now)?
    };
    let opening_price = match auction {
        Some((ceiling, _)) => ceiling,
        None => terms.price().at(Tally::default()).to_minor().map_err(ApiError::internal)?,
    };
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
        ceiling_minor: None,
        bids_close_at: None,
        bid_requested_at: None,
        bid_request_id: None,
        award_total_minor: None,
        close_waits_until: None,
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
    let auction = body.mode == GroupMode::ReverseAuction;
    v.check(body.mode != GroupMode::BulkPurchase, "mode", "start bulk purchases with POST /v1/bulk-purchases");
    v.check(body.auction.is_some() == auction, "auction", "required for `reverse_auction` groups, refused otherwise");
    if auction && let Some(max) = body.max_quantity {
        // The pooled quantity goes to bidding as one request.
        v.check(max.get() <= MAX_QUANTITY, "max_quantity", format!("at most {MAX_QUANTITY} for an auction"));
    }
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

/// The longest bid window after the join window closes (bidding's own limit).
const MAX_BID_WINDOW_DAYS: i64 = 90;

/// An auction's ceiling (in minor units, in the product's currency) and the close of its bid
/// window, which must fall within `(earliest, latest)`; as stored.
fn check_auction(
    auction: &NewAuction,
    terms: &Terms,
    (earliest, latest): (chrono::NaiveDateTime, chrono::NaiveDateTime),
) -> Result<(i64, chrono::NaiveDateTime), ApiError> {
    let mut v = Violations::new();
    let ceiling = auction.ceiling.parse("auction.ceiling", &mut v);
    if let Some(ceiling) = ceiling {
        v.check(ceiling.is_positive(), "auction.ceiling.amount", "must be more than zero");
        v.check(
            ceiling.currency() == terms.list_price.currency(),
            "auction.ceiling.currency",
            format!("must be the product's currency, {}", terms.list_price.currency()),
        );
    }
    let bids_close_at = auction.bids_close_at.naive_utc().trunc_subsecs(6);
    v.check(bids_close_at >= earliest, "auction.bids_close_at", format!("must be at or after {}", earliest.and_utc()));
    v.check(
        bids_close_at <= latest,
        "auction.bids_close_at",
        format!("must be within {MAX_BID_WINDOW_DAYS} days of closes_at"),
    );
    v.into_result()?;
    let ceiling = ceiling.map(|c| c.to_minor()).transpose().map_err(ApiError::internal)?;
    Ok((ceiling.ok_or_else(|| ApiError::invalid_field("auction.ceiling", "unreadable"))?, bids_close_at))
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
