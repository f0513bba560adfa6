//! Bulk purchase (PRODUCT.md G2, G4; seed 003): the leader's declaration with purchaser IDs, a
//! purchase by ID or invite code (charged at list price and shipped at once), and the
//! purchase-state table.

use actix_web::{HttpRequest, HttpResponse, get, http::StatusCode, post, web};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{NaiveDateTime, SubsecRound};
use contracts::{
    bulk::{
        BulkDeclaration, DeclaredBulkPurchase, IssuedPurchaserId, PurchaseRequest, PurchaseState, PurchaseStateRow,
    },
    groups::Membership,
    payments::MethodType,
};
use domain::{
    Count, Email, GroupId, Money, Name, Violations,
    group::{GroupMode, GroupState, MemberState, PaymentPlan},
};
use platform::{
    ApiError, ErrorCode,
    auth::Authenticated,
    db::{Db, DbConnection, Stored},
    error::Problem,
    idempotency::IdempotentRequest,
    json::Json,
    page_cache::PageCache,
};
use sha2::{Digest, Sha256};

use super::{
    create::{MAX_WINDOW_DAYS, check_methods, methods_json, opening, snapshot},
    read::find,
};
use crate::{
    Context,
    access::{OrganizerOrOperator, ShopperOnly, organizes},
    admission::ship_to,
    bulk_mail,
    db::{
        bulk, groups, members,
        rows::{BulkRow, EventRow, GroupRow, MemberRow, NewMember, PurchaserRow},
    },
    guesses::Guesses,
    payment_flow,
};

/// Purchasers one declaration may name.
const MAX_PURCHASERS: usize = 1000;

/// 128 random bits, URL-safe, prefixed so that it is recognisable.
fn purchaser_id() -> String {
    let bytes: Vec<u8> = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()]
        .iter()
        // Version and variant bits are fixed in a v4 uuid: take 8 random bytes of each.
        .flat_map(|u| u.as_bytes()[8..16].to_vec())
        .collect();
    format!("pur_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What is stored of a purchaser ID: its SHA-256.
fn digest(purchaser_id: &str) -> String {
    hex::encode(Sha256::digest(purchaser_id.as_bytes()))
}

/// Declares a group bulk purchase (003 Figs. 9, 13). The leader gets the group, its invite code
/// and every purchaser ID, once: only their digests are kept.
#[utoipa::path(
    tag = "bulk purchase",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for 24 h")),
    request_body = BulkDeclaration,
    responses(
        (status = 201, body = DeclaredBulkPurchase),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "Catalog could not be reached", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/bulk-purchases")]
#[tracing::instrument(skip_all)]
pub async fn declare_bulk_purchase(
    who: Authenticated<ShopperOnly>,
    db: web::Data<Db>,
    context: web::Data<Context>,
    pages: web::Data<PageCache>,
    key: IdempotentRequest,
    body: Json<BulkDeclaration>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let now = db.clock().now();
    let (slots, period_ends_at) = check_declaration(&body, now)?;
    let product = snapshot(&context, &who, body.product_id).await?;
    if product.discount_rates.is_empty() {
        return Err(ApiError::invalid_field("product_id", "the product has no discount-rate table: no favor to earn"));
    }
    let terms = crate::model::Terms::of(&product).map_err(ApiError::internal)?;
    let purchasers = u32::try_from(slots.len()).map_err(ApiError::internal)?;
    let declared_quantity: i64 = slots.iter().map(|s| i64::from(s.quantity.get())).sum();
    let row = GroupRow {
        mode: GroupMode::BulkPurchase.into(),
        max_members: Some(i32::try_from(purchasers).map_err(ApiError::internal)?),
        max_quantity: Some(declared_quantity),
        payment_methods: methods_json(body.payment_methods.as_deref())?,
        // Charged at once, at list price (003: the favor is refunded, never given up front).
        payment_plan: PaymentPlan::ChargeThenRefund.into(),
        closes_at: period_ends_at.unwrap_or(now + chrono::Duration::days(MAX_WINDOW_DAYS)),
        ..opening(&who, &product, &terms, now)?
    };
    let group_id = row.id();
    let declared = BulkRow {
        group_id: group_id.into(),
        completion_policy: Stored(body.completion_policy),
        purchasers: i32::try_from(purchasers).map_err(ApiError::internal)?,
        declared_quantity,
        period_ends_at,
        favor_rate: None,
        no_favor: None,
        decided_quantity: None,
        decided_days: None,
        decided_at: None,
    };
    let mut issued = Vec::new();
    let mut rows = Vec::new();
    let mut mailed = Vec::new();
    for (n, slot) in slots.into_iter().enumerate() {
        let number = i64::try_from(n + 1).map_err(ApiError::internal)?;
        let code = slot.name.as_ref().map(|_| purchaser_id());
        if let (Some(name), Some(code)) = (&slot.name, &code) {
            let slot = u32::try_from(number).map_err(ApiError::internal)?;
            issued.push(IssuedPurchaserId { slot, name: name.clone(), purchaser_id: Some(code.clone()) });
        }
        // Unnamed purchasers take their slots with the invite code when they buy.
        if slot.name.is_some() {
            let row = PurchaserRow {
                id: uuid::Uuid::now_v7().to_string(),
                group_id: group_id.into(),
                slot: number,
                name: slot.name.map(String::from),
                email: slot.email.map(|e| e.as_str().to_owned()),
                quantity: i32::try_from(slot.quantity.get()).map_err(ApiError::internal)?,
                code_digest: code.as_deref().map(digest),
                shopper: None,
                member_id: None,
            };
            mailed.push((row.clone(), code.clone().unwrap_or_default()));
            rows.push(row);
        }
    }
    let mut group = row.to_dto().map_err(ApiError::internal)?;
    group.bulk = Some(declared.terms());
    let created = DeclaredBulkPurchase { group, invite_code: row.invite_code.clone(), purchaser_ids: issued };
    // The answer kept for a replay holds no purchaser ID: only their digests are stored.
    let mut answer = created.clone();
    answer.purchaser_ids.iter_mut().for_each(|issued| issued.purchaser_id = None);
    let opening_price = terms.list_price.to_minor().map_err(ApiError::internal)?;
    db.transaction(move |conn| {
        groups::insert(conn, &row, opening_price)?;
        bulk::insert(conn, &declared, &rows)?;
        bulk_mail::purchaser_ids(conn, &row, &mailed)?;
        key.complete(conn, StatusCode::CREATED, &answer)?;
        Ok::<_, ApiError>(())
    })
    .await?;
    pages.invalidate();
    tracing::info!(group.id = %group_id, purchasers, "bulk purchase declared");
    Ok(HttpResponse::Created().insert_header(("location", format!("/v1/groups/{group_id}"))).json(created))
}

/// One declared slot.
struct Slot {
    name: Option<Name>,
    email: Option<Email>,
    quantity: Count,
}

/// The slots and the period's end (as stored), all problems at once.
fn check_declaration(
    body: &BulkDeclaration,
    now: NaiveDateTime,
) -> Result<(Vec<Slot>, Option<NaiveDateTime>), ApiError> {
    let mut v = Violations::new();
    let slots = match (&body.purchasers, body.purchaser_count) {
        (Some(named), None) => {
            v.check(!named.is_empty(), "purchasers", "name at least one purchaser");
            v.check(named.len() <= MAX_PURCHASERS, "purchasers", format!("at most {MAX_PURCHASERS}"));
            v.check(body.quantity_each.is_none(), "quantity_each", "give each named purchaser's quantity instead");
            check_purchasers(named, &mut v);
            let slot = |p: &contracts::bulk::DeclaredPurchaser| Slot {
                name: Some(p.name.clone()),
                email: Some(p.email.clone()),
                quantity: p.quantity,
            };
            named.iter().map(slot).collect()
        }
        (None, Some(count)) => {
            v.check(count.get() as usize <= MAX_PURCHASERS, "purchaser_count", format!("at most {MAX_PURCHASERS}"));
            let quantity = body.quantity_each.unwrap_or(Count::ONE);
            let n = (count.get() as usize).min(MAX_PURCHASERS);
            (0..n).map(|_| Slot { name: None, email: None, quantity }).collect()
        }
        _ => {
            v.add("purchasers", "name the purchasers or give purchaser_count, not both");
            Vec::new()
        }
    };
    let ends = body.period_ends_at.map(|t| t.naive_utc().trunc_subsecs(6));
    match ends {
        Some(end) => {
            v.check(end > now, "period_ends_at", "must be in the future");
            v.check(
                end <= now + chrono::Duration::days(MAX_WINDOW_DAYS),
                "period_ends_at",
                format!("must be within {MAX_WINDOW_DAYS} days"),
            );
        }
        None => v.check(
            !body.completion_policy.needs_period_end(),
            "period_ends_at",
            "required unless the completion policy is time_scaled",
        ),
    }
    check_methods(body.payment_methods.as_deref(), &mut v);
    v.into_result()?;
    Ok((slots, ends))
}

/// Buys the declared quantity with a purchaser ID (or the invite code where the purchasers were
/// not named): charged the list price of the group's snapshot through payments, and shipped as soon
/// as the charge succeeds (003 Fig. 10). Wrong IDs and codes are counted, and past a limit refused
/// with 429.
#[utoipa::path(
    tag = "bulk purchase",
    security(("bearer" = [])),
    params(("id" = GroupId, Path), ("Idempotency-Key" = Option<String>, Header, description = "The same key returns the same purchase")),
    request_body = PurchaseRequest,
    responses(
        (status = 201, body = Membership),
        (status = 403, description = "The purchaser ID is bound to another shopper", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such group, purchaser ID or invite code", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Used already, the shopper bought in this group already (one purchase each), outside the period, or not a bulk purchase", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong purchaser IDs or invite codes", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/groups/{id}/purchases")]
#[tracing::instrument(skip_all, fields(group.id = %id))]
pub async fn purchase(
    who: Authenticated<ShopperOnly>,
    req: HttpRequest,
    db: web::Data<Db>,
    guesses: web::Data<Guesses>,
    key: IdempotentRequest,
    id: web::Path<GroupId>,
    body: Json<PurchaseRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, request) = (id.into_inner(), body.into_inner());
    if request.payment_method.kind == MethodType::Card && request.payment_method.token.is_none() {
        return Err(ApiError::invalid_field("payment_method.token", "a card needs a token"));
    }
    if request.purchaser_id.is_some() == request.invite_code.is_some() {
        return Err(ApiError::invalid_field("purchaser_id", "give a purchaser_id or the invite_code"));
    }
    let address = req.peer_addr().map(|a| a.ip());
    guesses.check(&who.subject, address)?;
    let now = db.clock().now();
    let shopper = who.subject.clone();
    let outcome = db.transaction(move |conn| buy(conn, id, &shopper, &request, now, &key)).await;
    match outcome {
        Ok(membership) => {
            tracing::info!(group.id = %id, quantity = membership.quantity, "purchase made");
            Ok(HttpResponse::Created().json(membership))
        }
        Err(Refusal::WrongGuess) => {
            guesses.wrong(&who.subject, address);
            Err(ApiError::new(ErrorCode::NotFound, "no such purchaser ID or invite code in this group"))
        }
        Err(Refusal::Api(e)) => Err(e),
    }
}

enum Refusal {
    /// A purchaser ID or invite code this group does not have.
    WrongGuess,
    Api(ApiError),
}

impl<E: Into<ApiError>> From<E> for Refusal {
    fn from(e: E) -> Self {
        Self::Api(e.into())
    }
}

fn buy(
    conn: &mut DbConnection,
    id: GroupId,
    shopper: &str,
    request: &PurchaseRequest,
    now: NaiveDateTime,
    key: &IdempotentRequest,
) -> Result<Membership, Refusal> {
    groups::lock(conn, id)?;
    let group = find(conn, id)?;
    let Some(declared) = bulk::find(conn, id)? else {
        return Err(ApiError::conflict("this group takes joins, not purchases").into());
    };
    let slot = match (&request.purchaser_id, &request.invite_code) {
        (Some(code), _) => match bulk::by_digest(conn, &digest(code))? {
            Some(slot) if slot.group_id.0 == id => slot,
            _ => return Err(Refusal::WrongGuess),
        },
        (None, Some(code)) if !constant_time_eq(code.as_bytes(), group.invite_code.as_bytes()) => {
            return Err(Refusal::WrongGuess);
        }
        _ => invited_slot(conn, &group, &declared, shopper)?,
    };
    if slot.shopper.as_deref().is_some_and(|bound| bound != shopper) {
        return Err(ApiError::forbidden("this purchaser ID was used by another shopper").into());
    }
    if let Some(member) = slot.member_id.as_deref()
        && members::find(conn, member)?.is_some_and(|m| m.state.0.holds_seat())
    {
        return Err(ApiError::conflict("this purchaser has bought already").into());
    }
    if members::seated(conn, id, shopper)?.is_some() {
        // One purchase per shopper and group: a household buys with one account each.
        return Err(ApiError::conflict("you have bought in this group already; one purchase per shopper").into());
    }
    let product = group.product().map_err(ApiError::internal)?;
    let ship_to = ship_to(product.kind, request.ship_to.as_ref())?;
    if !group.payment_methods().map_err(ApiError::internal)?.contains(&request.payment_method.kind) {
        return Err(
            ApiError::invalid_field("payment_method.type", "the group does not take this payment method").into()
        );
    }
    if group.state() != GroupState::Open || now < group.opens_at || now >= group.closes_at {
        return Err(ApiError::conflict("the purchase period is over").into());
    }
    let list_price = crate::model::Terms::of(&product).map_err(ApiError::internal)?.list_price;
    let quantity = u32::try_from(slot.quantity).map_err(ApiError::internal)?;
    check_total(list_price, quantity)?;
    let mut after = group.clone();
    after.seat_one(quantity, now);
    let new = NewMember {
        shopper,
        seat: slot.slot,
        quantity: slot.quantity,
        method: request.payment_method.kind,
        unit_price_minor: list_price.to_minor().map_err(ApiError::internal)?,
        ship_to,
    };
    let member = MemberRow::reserved(&after, new, now);
    if !groups::set_tally(conn, &group, &after)? {
        return Err(ApiError::internal(anyhow::anyhow!("group {id} changed under its lock")).into());
    }
    members::insert_all(conn, std::slice::from_ref(&member))?;
    bulk::use_slot(conn, &slot.id, shopper, &member.id)?;
    platform::outbox::enqueue_calls(conn, [payment_flow::hold_call(&after, &member, &request.payment_method)?])?;
    let price = list_price.to_minor().map_err(ApiError::internal)?;
    groups::record_events(conn, &after, vec![EventRow::of(&after, "purchased", price, now)])?;
    let membership = member.to_dto(after.currency.0);
    key.complete(conn, StatusCode::CREATED, &membership)?;
    Ok(membership)
}

/// The invite code's slot for `shopper`: the one it took before, or the next free one.
fn invited_slot(
    conn: &mut DbConnection,
    group: &GroupRow,
    declared: &BulkRow,
    shopper: &str,
) -> Result<PurchaserRow, Refusal> {
    let slots = bulk::purchasers_of(conn, group.id())?;
    if slots.iter().any(|s| s.code_digest.is_some()) {
        return Err(
            ApiError::invalid_field("invite_code", "this group's purchasers buy with their purchaser IDs").into()
        );
    }
    if let Some(own) = slots.iter().find(|s| s.shopper.as_deref() == Some(shopper)) {
        return Ok(own.clone());
    }
    let taken = i64::try_from(slots.len()).map_err(ApiError::internal)?;
    if taken >= i64::from(declared.purchasers) {
        return Err(ApiError::conflict("every declared purchaser has a place already").into());
    }
    let slot = PurchaserRow {
        id: uuid::Uuid::now_v7().to_string(),
        group_id: group.id,
        slot: taken + 1,
        name: None,
        email: None,
        quantity: i32::try_from(declared.declared_quantity / i64::from(declared.purchasers.max(1)))
            .map_err(ApiError::internal)?,
        code_digest: None,
        shopper: Some(shopper.to_owned()),
        member_id: None,
    };
    bulk::insert_slot(conn, &slot)?;
    Ok(slot)
}

/// The longest purchaser name a declaration takes: it is mailed under the platform's sender.
const MAX_PURCHASER_NAME: usize = 100;

/// Named purchasers as the mail shows them (G2, G9): each address once per declaration (the field
/// naming the repeat), each name a name: bounded, no link, address or markup a mail client could
/// render as one.
fn check_purchasers(named: &[contracts::bulk::DeclaredPurchaser], v: &mut Violations) {
    let mut seen = std::collections::HashSet::new();
    for (i, purchaser) in named.iter().enumerate() {
        if !seen.insert(purchaser.email.as_str().to_lowercase()) {
            v.add(
                format!("purchasers[{i}].email"),
                format!("{} is named already in this declaration", purchaser.email),
            );
        }
        let name = purchaser.name.as_str();
        v.check(
            name.chars().count() <= MAX_PURCHASER_NAME,
            format!("purchasers[{i}].name"),
            format!("at most {MAX_PURCHASER_NAME} characters"),
        );
        v.check(!looks_like_a_link(name), format!("purchasers[{i}].name"), "a name only: no link, address or markup");
    }
}

/// Whether a mail client could show `text` as a link or markup: a scheme, `www.`, an address, angle
/// brackets, or a host name (`shop.example`).
fn looks_like_a_link(text: &str) -> bool {
    let lower = text.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let host_like = chars.windows(3).any(|w| w[0].is_alphanumeric() && w[1] == '.' && w[2].is_alphabetic());
    host_like || ["://", "www.", "@", "<", ">"].iter().any(|mark| lower.contains(mark))
}

/// A purchase's total must stay below the money limit.
fn check_total(price: Money, quantity: u32) -> Result<(), ApiError> {
    match price.times(quantity) {
        Ok(total) if total.amount() < Money::LIMIT.into() => Ok(()),
        _ => Err(ApiError::invalid_field("quantity", "the amount to charge is too large")),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The purchase-state table (003 Fig. 10): per purchaser the units bought and when, and the
/// favor once decided. For the leader and the operator.
#[utoipa::path(
    tag = "bulk purchase",
    security(("bearer" = [])),
    params(("id" = GroupId, Path)),
    responses(
        (status = 200, body = PurchaseState),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/groups/{id}/purchase-state")]
pub async fn purchase_state(
    who: Authenticated<OrganizerOrOperator>,
    db: web::Data<Db>,
    id: web::Path<GroupId>,
) -> Result<web::Json<PurchaseState>, ApiError> {
    let id = id.into_inner();
    let principal = who.principal;
    let state = db
        .run(move |conn| {
            let group = find(conn, id)?;
            if !organizes(&principal, &group) {
                return Err(ApiError::forbidden("only the leader and the operator see the purchase-state table"));
            }
            let declared = bulk::find(conn, id)?.ok_or_else(|| ApiError::not_found(format!("a bulk purchase {id}")))?;
            let slots = bulk::purchasers_of(conn, id)?;
            let by_id: std::collections::HashMap<String, MemberRow> =
                members::of_group(conn, id)?.into_iter().map(|m| (m.id.clone(), m)).collect();
            let rows = slots
                .iter()
                .map(|slot| {
                    let bought = slot.member_id.as_ref().and_then(|m| by_id.get(m));
                    let paid = bought.filter(|m| m.state.0 == MemberState::Paid);
                    PurchaseStateRow {
                        slot: u32::try_from(slot.slot).unwrap_or(0),
                        name: slot.name.clone().map(Name::from_stored),
                        email: slot.email.clone().map(Email::from_stored),
                        declared_quantity: u32::try_from(slot.quantity).unwrap_or(0),
                        quantity_bought: paid.map_or(0, |m| u32::try_from(m.quantity).unwrap_or(0)),
                        bought_at: paid.map(|m| m.joined_at.and_utc()),
                        state: bought.map(|m| m.state.0),
                        favor: bought.and_then(|m| m.favor_minor).map(|f| group.money(f).into()),
                    }
                })
                .collect();
            Ok::<_, ApiError>(PurchaseState {
                group_id: id,
                completion_policy: declared.completion_policy.0,
                period_ends_at: declared.period_ends_at.map(|t| t.and_utc()),
                rows,
                outcome: declared.outcome(),
            })
        })
        .await?;
    Ok(web::Json(state))
}
