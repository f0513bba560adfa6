//! Offers (PRODUCT.md B3): a supplier makes, revises and withdraws its own until the window
//! closes. Sealed: before the award a supplier reads only its own offers and nobody else reads
//! any; after it, the operator and the services read them all.

use actix_web::{HttpResponse, delete, get, http::StatusCode, post, put, web};
use chrono::NaiveDateTime;
use contracts::bidding::{BidRequestState, NewOffer, Offer, OfferConfirmation, OfferState};
use domain::{SupplierId, Violations};
use platform::{
    ApiError,
    auth::{Authenticated, Principal},
    db::{Db, DbConnection, Stored},
    error::Problem,
    idempotency::IdempotentRequest,
    json::Json,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::{
    Context,
    access::{RequestReaders, SupplierOnly, supplier_scope},
    db::{
        offers::{self, OfferRow, Terms},
        requests::{self, RequestRow},
    },
    eligibility,
};

/// Refuses a supplier that may not offer on the request (B2): 403, or 404 when there is none.
async fn check_eligible(db: &Db, context: &Context, supplier: SupplierId, id: Uuid) -> Result<(), ApiError> {
    match eligibility::request_for(db, context, supplier, id).await? {
        (_, true) => Ok(()),
        (_, false) => Err(ApiError::forbidden("this bid request is not for your products")),
    }
}

/// The request, if it takes offers `now`.
fn open_at(conn: &mut DbConnection, id: Uuid, now: NaiveDateTime) -> Result<RequestRow, ApiError> {
    let request = requests::get(conn, id)?;
    if !request.takes_offers(now) {
        return Err(ApiError::conflict("the bid window is closed"));
    }
    Ok(request)
}

/// Runs `change` in one transaction on an offer of an open request that the calling supplier may
/// offer on, found by `find` (its own offer, or one naming it as a partner); the offer afterwards.
async fn change_offer(
    db: &Db,
    context: &Context,
    who: &Principal,
    (id, offer_id): (Uuid, Uuid),
    terms: Option<&NewOffer>,
    find: fn(&mut DbConnection, Uuid, Uuid, SupplierId) -> Result<OfferRow, ApiError>,
    change: impl FnOnce(&mut DbConnection, &mut OfferRow, &RequestRow, SupplierId, NaiveDateTime) -> Result<(), ApiError>
    + Send
    + 'static,
) -> Result<Offer, ApiError> {
    let supplier = supplier_scope(who)?.ok_or_else(|| ApiError::forbidden("only suppliers change offers"))?;
    check_eligible(db, context, supplier, id).await?;
    if let Some(terms) = terms {
        check_partners(db, context, terms, id).await?;
    }
    let now = db.clock().now();
    db.transaction(move |conn| {
        let request = open_at(conn, id, now)?;
        let mut row = find(conn, id, offer_id, supplier)?;
        change(conn, &mut row, &request, supplier, now)?;
        Ok::<_, ApiError>(row.to_dto(request.currency.0)?)
    })
    .await
}

/// Refuses a joint offer naming a partner that may not offer on the request (an unknown supplier
/// among them): a lot is never split with a supplier that cannot deliver it.
async fn check_partners(db: &Db, context: &Context, body: &NewOffer, id: Uuid) -> Result<(), ApiError> {
    let mut v = Violations::new();
    for (i, partner) in body.partners.iter().flatten().enumerate() {
        if !eligibility::request_for(db, context, partner.supplier_id, id).await?.1 {
            v.add(format!("partners[{i}].supplier_id"), "not a supplier that may offer on this request");
        }
    }
    Ok(v.into_result()?)
}

/// Refuses a change to a withdrawn offer.
fn still_active(row: &OfferRow) -> Result<(), ApiError> {
    match row.state.0 {
        OfferState::Active => Ok(()),
        OfferState::Withdrawn => Err(ApiError::conflict("the offer was withdrawn")),
    }
}

/// The most partners a joint offer names.
const MAX_PARTNERS: usize = 10;

/// The offer's terms, checked against the request: a price in its currency above zero and not
/// above the ceiling, a minimum the quantity can take.
fn terms(body: &NewOffer, request: &RequestRow, maker: SupplierId) -> Result<Terms, ApiError> {
    let mut v = Violations::new();
    let price = body.unit_price.parse("unit_price", &mut v);
    let (min, max) = (body.min_quantity.map_or(1, |m| m.get()), body.max_quantity.get());
    let partners: Vec<(SupplierId, u32)> =
        body.partners.iter().flatten().map(|p| (p.supplier_id, p.share.get())).collect();
    v.list_len("partners", partners.len(), 0, MAX_PARTNERS);
    let mut seen = std::collections::HashSet::from([maker]);
    for (i, (supplier, _)) in partners.iter().enumerate() {
        v.check(seen.insert(*supplier), format!("partners[{i}].supplier_id"), "listed twice, or the maker itself");
    }
    let shared: u64 = partners.iter().map(|&(_, share)| u64::from(share)).sum();
    v.check(shared < 100, "partners", "the partners' shares must leave the maker at least 1 percent");
    v.check(min <= max, "min_quantity", "must not be above max_quantity");
    v.check(
        i64::from(min) <= request.quantity,
        "min_quantity",
        format!("the request is for {} units", request.quantity),
    );
    v.into_result()?;
    let price = price.ok_or_else(|| ApiError::invalid_field("unit_price", "required"))?;
    let mut v = Violations::new();
    v.check(price.currency() == request.currency.0, "unit_price.currency", "must be the request's currency");
    v.check(price.is_positive(), "unit_price.amount", "must be above zero");
    let unit_price_minor = price.to_minor().map_err(ApiError::internal)?;
    v.check(
        unit_price_minor <= request.ceiling_minor,
        "unit_price.amount",
        format!("above the ceiling of {}", request.ceiling().amount()),
    );
    v.into_result()?;
    Ok(Terms {
        unit_price_minor,
        min_quantity: min,
        max_quantity: max,
        delivery_days: body.delivery_days.get(),
        terms: body.terms.as_ref().map(|t| t.as_str().to_owned()),
        partners,
    })
}

/// Live (active) offers one supplier may have on one request: a revision replaces an offer, so
/// more are never needed, and the award's work stays bounded by the suppliers, not by one of them.
pub const MAX_LIVE_OFFERS: i64 = 20;

/// Makes an offer on an open bid request (B3). The answer carries the receipt the award will
/// list. A supplier has at most 20 live offers per request (revise or withdraw one for another).
#[utoipa::path(
    tag = "offers",
    security(("bearer" = [])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "The same key returns the same offer")),
    request_body = NewOffer,
    responses(
        (status = 201, body = Offer),
        (status = 403, description = "Not a request for this supplier's products", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The bid window is closed, or the supplier has 20 live offers on the request", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid, or above the ceiling", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/bid-requests/{id}/offers")]
#[tracing::instrument(skip_all, fields(bid_request.id = %id))]
pub async fn submit_offer(
    who: Authenticated<SupplierOnly>,
    db: web::Data<Db>,
    context: web::Data<Context>,
    key: IdempotentRequest,
    id: web::Path<Uuid>,
    body: Json<NewOffer>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (id.into_inner(), body.into_inner());
    let supplier = supplier_scope(&who)?.ok_or_else(|| ApiError::forbidden("suppliers make offers"))?;
    check_eligible(&db, &context, supplier, id).await?;
    check_partners(&db, &context, &body, id).await?;
    let now = db.clock().now();
    let offer = db
        .transaction(move |conn| {
            let request = open_at(conn, id, now)?;
            if offers::live_of(conn, id, supplier)? >= MAX_LIVE_OFFERS {
                return Err(ApiError::conflict(format!(
                    "at most {MAX_LIVE_OFFERS} live offers per supplier and request: revise or withdraw one"
                )));
            }
            let row = OfferRow::new(id, supplier, terms(&body, &request, supplier)?, request.currency.0, now);
            offers::insert(conn, &row)?;
            let offer = row.to_dto(request.currency.0)?;
            key.complete(conn, StatusCode::CREATED, &offer)?;
            Ok::<_, ApiError>(offer)
        })
        .await?;
    tracing::info!(offer.id = %offer.id, "offer made");
    Ok(HttpResponse::Created().json(offer))
}

/// Revises an active offer until the window closes: a new revision with a new receipt, made now
/// (ties go to the earliest). The same terms again change nothing.
#[utoipa::path(
    tag = "offers",
    security(("bearer" = [])),
    params(("id" = Uuid, Path), ("offer_id" = Uuid, Path)),
    request_body = NewOffer,
    responses(
        (status = 200, body = Offer),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The window is closed, or the offer withdrawn", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/bid-requests/{id}/offers/{offer_id}")]
#[tracing::instrument(skip_all)]
pub async fn revise_offer(
    who: Authenticated<SupplierOnly>,
    db: web::Data<Db>,
    context: web::Data<Context>,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<NewOffer>,
) -> Result<web::Json<Offer>, ApiError> {
    let (path, body) = (path.into_inner(), body.into_inner());
    let checked = body.clone();
    let offer = change_offer(
        &db,
        &context,
        &who,
        path,
        Some(&checked),
        offers::get_own,
        move |conn, row, request, supplier, now| {
            still_active(row)?;
            let terms = terms(&body, request, supplier)?;
            if terms != row.terms() {
                row.revise(terms, request.currency.0, now);
                offers::save(conn, row)?;
            }
            Ok(())
        },
    )
    .await?;
    Ok(web::Json(offer))
}

/// Withdraws an offer until the window closes; withdrawing it again changes nothing.
#[utoipa::path(
    tag = "offers",
    security(("bearer" = [])),
    params(("id" = Uuid, Path), ("offer_id" = Uuid, Path)),
    responses(
        (status = 200, body = Offer),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The window is closed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/bid-requests/{id}/offers/{offer_id}")]
#[tracing::instrument(skip_all)]
pub async fn withdraw_offer(
    who: Authenticated<SupplierOnly>,
    db: web::Data<Db>,
    context: web::Data<Context>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<web::Json<Offer>, ApiError> {
    let offer = change_offer(&db, &context, &who, path.into_inner(), None, offers::get_own, |conn, row, _, _, _| {
        if row.state.0 == OfferState::Active {
            row.state = Stored(OfferState::Withdrawn);
            offers::save(conn, row)?;
        }
        Ok(())
    })
    .await?;
    Ok(web::Json(offer))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfferFilter {
    /// Only this supplier's offers; a supplier may name only itself.
    pub supplier_id: Option<SupplierId>,
}

/// Lists a request's offers, oldest first. A supplier reads its own; the operator and the
/// services read every one once the request is decided, none before (B3: sealed).
#[utoipa::path(
    tag = "offers",
    security(("bearer" = [])),
    params(("id" = Uuid, Path), OfferFilter),
    responses(
        (status = 200, body = Vec<Offer>),
        (status = 403, description = "Another supplier's offers, or any before the award", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/bid-requests/{id}/offers")]
pub async fn list_offers(
    who: Authenticated<RequestReaders>,
    db: web::Data<Db>,
    context: web::Data<Context>,
    id: web::Path<Uuid>,
    filter: web::Query<OfferFilter>,
) -> Result<web::Json<Vec<Offer>>, ApiError> {
    let id = id.into_inner();
    let caller = supplier_scope(&who)?;
    if let (Some(caller), Some(named)) = (caller, filter.supplier_id)
        && caller != named
    {
        return Err(ApiError::forbidden("offers are sealed: a supplier reads only its own"));
    }
    if let Some(caller) = caller
        && !eligibility::request_for(&db, &context, caller, id).await?.1
    {
        return Err(ApiError::not_found(format!("bid request {id}")));
    }
    let named = filter.supplier_id;
    let (request, rows) = db
        .run(move |conn| {
            let request = requests::get(conn, id)?;
            if caller.is_none() && request.state.0 == BidRequestState::Open {
                return Err(ApiError::forbidden("offers are sealed until the award"));
            }
            let rows = offers::of_request(conn, id, caller.or(named))?;
            Ok::<_, ApiError>((request, rows))
        })
        .await?;
    let offers = rows.iter().map(|r| r.to_dto(request.currency.0)).collect::<Result<_, _>>()?;
    Ok(web::Json(offers))
}

/// A partner of a joint offer confirms the revision it read (B4); the offer counts once every
/// partner has confirmed its current revision. Confirming again changes nothing; a confirmation
/// of an older revision is refused, so a partner never accepts terms it has not seen.
#[utoipa::path(
    tag = "offers",
    security(("bearer" = [])),
    params(("id" = Uuid, Path), ("offer_id" = Uuid, Path)),
    request_body = OfferConfirmation,
    responses(
        (status = 200, body = Offer),
        (status = 403, description = "Not a supplier that may offer on this request", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such offer naming this supplier", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The window is closed, the offer withdrawn, or revised since the revision confirmed", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/bid-requests/{id}/offers/{offer_id}/confirmation")]
#[tracing::instrument(skip_all)]
pub async fn confirm_offer(
    who: Authenticated<SupplierOnly>,
    db: web::Data<Db>,
    context: web::Data<Context>,
    key: IdempotentRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<OfferConfirmation>,
) -> Result<web::Json<Offer>, ApiError> {
    let read = i64::from(body.into_inner().revision);
    let offer = change_offer(
        &db,
        &context,
        &who,
        path.into_inner(),
        None,
        offers::get_as_partner,
        move |conn, row, request, supplier, _| {
            still_active(row)?;
            if row.revision != read {
                return Err(ApiError::conflict(format!(
                    "the offer is at revision {}, not {read}: read it again and confirm what it says now",
                    row.revision
                )));
            }
            row.confirm(supplier, true)?;
            offers::save(conn, row)?;
            key.complete(conn, StatusCode::OK, &row.to_dto(request.currency.0)?)?;
            Ok(())
        },
    )
    .await?;
    Ok(web::Json(offer))
}

/// A partner takes its confirmation back until the window closes (B4): the offer no longer counts
/// until it confirms again. Taking it back twice changes nothing.
#[utoipa::path(
    tag = "offers",
    security(("bearer" = [])),
    params(("id" = Uuid, Path), ("offer_id" = Uuid, Path)),
    responses(
        (status = 200, body = Offer),
        (status = 403, description = "Not a supplier that may offer on this request", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such offer naming this supplier", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The window is closed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/bid-requests/{id}/offers/{offer_id}/confirmation")]
#[tracing::instrument(skip_all)]
pub async fn decline_offer(
    who: Authenticated<SupplierOnly>,
    db: web::Data<Db>,
    context: web::Data<Context>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<web::Json<Offer>, ApiError> {
    let offer = change_offer(
        &db,
        &context,
        &who,
        path.into_inner(),
        None,
        offers::get_as_partner,
        |conn, row, _, supplier, _| {
            row.confirm(supplier, false)?;
            offers::save(conn, row).map_err(ApiError::from)
        },
    )
    .await?;
    Ok(web::Json(offer))
}
