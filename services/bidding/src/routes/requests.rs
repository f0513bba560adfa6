//! Bid requests (PRODUCT.md B1, B2): opened by groups or the operator for a product, listed to the
//! suppliers who may offer on them.

use actix_web::{HttpResponse, get, http::StatusCode, post, web};
use contracts::{
    bidding::{AwardRule, BestValueWeights, BidRequest, BidRequestPage, BidRequestState, Demand, NewBidRequest},
    catalog::ProductStatus,
};
use domain::{Money, ProductDetails, SupplierId, Violations, award::MAX_QUANTITY};
use platform::{
    ApiError, ErrorCode,
    auth::Authenticated,
    db::{Db, Stored},
    error::Problem,
    idempotency::IdempotentRequest,
    json::Json,
    outbox,
    pagination::{PageParams, page},
};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::{
    Context,
    access::{RequestReaders, ServiceOrOperator, supplier_scope},
    db::{
        endpoints,
        requests::{self, RequestRow, StoredDemand},
    },
    eligibility,
};

/// The longest a bid window may stay open.
const MAX_WINDOW_DAYS: i64 = 90;
const MAX_PRICE_WEIGHT: Decimal = Decimal::TEN;

/// What the types do not say about weights: within range, present exactly for `best_value`.
fn check_weights(body: &NewBidRequest, exponent: u32, v: &mut Violations) {
    match (body.rule, &body.weights) {
        (AwardRule::BestValue, None) => v.add("weights", "best_value needs price_weight and delivery_day_weight"),
        (AwardRule::LowestPrice, Some(_)) => v.add("weights", "only best_value takes weights"),
        (_, Some(BestValueWeights { price_weight, delivery_day_weight })) => {
            v.check(
                (Decimal::ZERO..=MAX_PRICE_WEIGHT).contains(price_weight),
                "weights.price_weight",
                "must be 0 to 10",
            );
            v.check(
                !delivery_day_weight.is_sign_negative()
                    && delivery_day_weight.scale() <= exponent
                    && *delivery_day_weight < Decimal::from(domain::Money::LIMIT),
                "weights.delivery_day_weight",
                "must be an amount of the request's currency, not negative",
            );
        }
        (AwardRule::LowestPrice, None) => {}
    }
}

/// The most demands one request carries.
const MAX_DEMANDS: usize = 10_000;

/// B7's demands, checked: with `lowest_price`, each in the ceiling's currency, above zero and not
/// above the ceiling, their quantities adding up to the request's.
fn demands(given: &[Demand], body: &NewBidRequest, ceiling: Money) -> Result<Vec<StoredDemand>, ApiError> {
    let mut v = Violations::new();
    v.check(body.rule == AwardRule::LowestPrice, "demands", "members' maximums go with lowest_price");
    v.list_len("demands", given.len(), 1, MAX_DEMANDS);
    let total: u64 = given.iter().map(|d| u64::from(d.quantity.get())).sum();
    v.check(total == u64::from(body.quantity.get()), "demands", "the quantities must add up to `quantity`");
    let mut stored = Vec::with_capacity(given.len());
    for (i, demand) in given.iter().enumerate() {
        let field = format!("demands[{i}].max_unit_price");
        let Some(max) = demand.max_unit_price.parse(&field, &mut v) else { continue };
        let ok = max.currency() == ceiling.currency() && max.is_positive() && max.amount() <= ceiling.amount();
        v.check(ok, format!("{field}.amount"), "above zero, in the ceiling's currency and not above it");
        stored.push(StoredDemand { quantity: demand.quantity.get(), max_minor: max.to_minor().unwrap_or_default() });
    }
    v.into_result()?;
    Ok(stored)
}

/// Opens a bid request for the pooled quantity of a product (B1). The product's supplier may
/// offer, or for a `specification` product every supplier with a specific product whose
/// `properties` meet it; those with an endpoint are told (`bid_request.opened`, B2).
#[utoipa::path(
    tag = "bid requests",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "The same key returns the same request")),
    request_body = NewBidRequest,
    responses(
        (status = 201, body = BidRequest),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The catalog could not be asked", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/bid-requests")]
#[tracing::instrument(skip_all)]
pub async fn create_bid_request(
    who: Authenticated<ServiceOrOperator>,
    db: web::Data<Db>,
    context: web::Data<Context>,
    key: IdempotentRequest,
    body: Json<NewBidRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let now = db.clock().now();
    let mut v = Violations::new();
    let ceiling = body.ceiling.parse("ceiling", &mut v);
    v.check(ceiling.is_some_and(|c| c.is_positive()) || ceiling.is_none(), "ceiling.amount", "must be above zero");
    v.check(body.quantity.get() <= MAX_QUANTITY, "quantity", format!("at most {MAX_QUANTITY} units"));
    let closes_at = body.closes_at.naive_utc();
    v.check(closes_at > now, "closes_at", "must be in the future");
    v.check(closes_at <= now + chrono::Duration::days(MAX_WINDOW_DAYS), "closes_at", "at most 90 days ahead");
    if let Some(ceiling) = ceiling {
        check_weights(&body, ceiling.currency().exponent(), &mut v);
    }
    v.into_result()?;
    let ceiling = ceiling.ok_or_else(|| ApiError::invalid_field("ceiling", "required"))?;
    let demands = body.demands.as_deref().map(|d| demands(d, &body, ceiling)).transpose()?;

    let product = context
        .catalog
        .product(body.product_id)
        .await
        .map_err(|e| {
            tracing::warn!(error.cause = %e, "catalog read failed");
            ApiError::new(ErrorCode::BadGateway, "catalog could not be reached; retry")
        })?
        .filter(|p| p.status == ProductStatus::Active)
        .ok_or_else(|| ApiError::invalid_field("product_id", "no active product with this id"))?;
    let constraints = match &product.details {
        ProductDetails::Specification { attributes } => Some(attributes.as_slice()),
        _ => None,
    };
    let to_tell = eligibility::to_tell(&db, &context, product.supplier_id, constraints).await?;
    let specification = constraints.map(serde_json::to_string).transpose().map_err(ApiError::internal)?;
    if product.list_price.currency != ceiling.currency().code() {
        return Err(ApiError::invalid_field("ceiling.currency", "must be the product's currency"));
    }

    let row = RequestRow {
        id: Stored(Uuid::now_v7()),
        group_id: body.group_id.map(Stored),
        product_id: Stored(product.id),
        supplier_id: Stored(product.supplier_id),
        quantity: i64::from(body.quantity.get()),
        currency: Stored(ceiling.currency()),
        ceiling_minor: ceiling.to_minor().map_err(ApiError::internal)?,
        closes_at,
        rule: Stored(body.rule),
        price_weight: body.weights.as_ref().map(|w| w.price_weight.to_string()),
        delivery_day_weight: body.weights.as_ref().map(|w| w.delivery_day_weight.to_string()),
        state: Stored(BidRequestState::Open),
        created_by: who.subject.clone(),
        created_at: now,
        award: None,
        decided_at: None,
        specification,
        demands: demands.map(|d| serde_json::to_string(&d)).transpose().map_err(ApiError::internal)?,
    };
    let dto = row.to_dto()?;
    let (answer, notice) = (dto.clone(), row.to_supplier_dto()?);
    db.transaction(move |conn| {
        requests::insert(conn, &row)?;
        let lane = answer.id.to_string();
        for supplier in &to_tell {
            outbox::enqueue_to(conn, Some(&endpoints::target(*supplier)), &lane, "bid_request.opened", &notice)?;
        }
        key.complete(conn, StatusCode::CREATED, &answer)?;
        Ok::<_, ApiError>(())
    })
    .await?;
    tracing::info!(bid_request.id = %dto.id, quantity = dto.quantity.get(), "bid request opened");
    Ok(HttpResponse::Created().json(dto))
}

/// Lists bid requests, oldest first: a supplier sees the open ones it may offer on (B2), without
/// the members' own maxima, the operator and the services every one. A supplier's cursor is the
/// last request it was shown; the page after it may be empty.
#[utoipa::path(
    tag = "bid requests",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, body = BidRequestPage),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/bid-requests")]
pub async fn list_bid_requests(
    who: Authenticated<RequestReaders>,
    db: web::Data<Db>,
    context: web::Data<Context>,
    params: web::Query<PageParams>,
) -> Result<web::Json<BidRequestPage>, ApiError> {
    let (limit, after) = (params.limit()?, params.after_as::<Uuid>()?);
    let Some(supplier) = supplier_scope(&who)? else {
        let rows = db.run(move |conn| requests::page(conn, None, after, limit)).await?;
        let (rows, next_cursor) = page(rows, limit, |r| r.id.0.to_string());
        let items = rows.iter().map(RequestRow::to_dto).collect::<Result<_, _>>()?;
        return Ok(web::Json(BidRequestPage { items, next_cursor }));
    };
    let (rows, next_cursor) = eligible_page(&db, &context, supplier, after, limit).await?;
    let items = rows.iter().map(RequestRow::to_supplier_dto).collect::<Result<_, _>>()?;
    Ok(web::Json(BidRequestPage { items, next_cursor }))
}

/// Up to `limit` requests `supplier` may offer on, after `after`, and the cursor of the next page:
/// the last one shown, so that a cursor never names a request the supplier may not see.
async fn eligible_page(
    db: &Db,
    context: &Context,
    supplier: SupplierId,
    mut after: Option<Uuid>,
    limit: u32,
) -> Result<(Vec<RequestRow>, Option<String>), ApiError> {
    let wanted = usize::try_from(limit).map_err(ApiError::internal)?;
    let mut shown: Vec<RequestRow> = Vec::new();
    loop {
        let mut rows = db.run(move |conn| requests::page(conn, Some(supplier), after, limit)).await?;
        let more = rows.len() > wanted;
        rows.truncate(wanted);
        after = rows.last().map(|r| r.id.0);
        for row in eligibility::filter_for(context, supplier, rows).await? {
            if shown.len() == wanted {
                break;
            }
            shown.push(row);
        }
        if shown.len() == wanted || !more {
            let last = shown.last().filter(|_| shown.len() == wanted);
            let next = last.map(|r| platform::pagination::cursor_after(&r.id.0.to_string()));
            return Ok((shown, next));
        }
    }
}

/// Reads one bid request: a supplier only one it may offer on.
#[utoipa::path(
    tag = "bid requests",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = BidRequest),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/bid-requests/{id}")]
pub async fn get_bid_request(
    who: Authenticated<RequestReaders>,
    db: web::Data<Db>,
    context: web::Data<Context>,
    id: web::Path<Uuid>,
) -> Result<web::Json<BidRequest>, ApiError> {
    let id = id.into_inner();
    let row = match supplier_scope(&who)? {
        Some(supplier) => match eligibility::request_for(&db, &context, supplier, id).await? {
            (row, true) => row,
            (_, false) => return Err(ApiError::not_found(format!("bid request {id}"))),
        },
        None => return Ok(web::Json(db.run(move |conn| requests::get(conn, id)).await?.to_dto()?)),
    };
    Ok(web::Json(row.to_supplier_dto()?))
}
