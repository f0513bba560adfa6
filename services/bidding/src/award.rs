//! The award at window close (PRODUCT.md B5, B6): the active offers become tenders for the
//! domain's solver, weighed by the request's rule; the result is stored with the digest of every
//! offer considered and told to groups through the outbox. Closing is a guarded update from
//! `open`, so with several replicas one awards a request and the others find it decided.

use std::time::Duration;

use chrono::NaiveDateTime;
use contracts::bidding::{Award, AwardLot, AwardRule, BestValueWeights, BidRequestState, LotShare, ServedMember};
use domain::{
    Count, Money, auction,
    award::{Demand, MAX_UNIT_COST, Tender, cheapest_cover, serve_most},
};
use platform::{
    db::{Db, DbConnection, StoreError},
    outbox,
};
use rust_decimal::{Decimal, prelude::ToPrimitive};
use uuid::Uuid;

use crate::db::{
    offers::{self, OfferRow},
    requests::{self, RequestRow, StoredDemand},
};

/// Awards due requests every `every`, for ever.
pub async fn run(db: Db, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match award_due(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(decided = n, "bid requests decided at their close"),
            Err(e) => tracing::warn!(error.cause = %e, "deciding bid requests failed"),
        }
    }
}

/// Decides every open request whose window has closed; how many this process decided. The
/// offers are read, and the award solved, outside any transaction: once the window closed no offer
/// changes, and recording the award is a guarded update from `open`.
pub async fn award_due(db: &Db) -> Result<usize, StoreError> {
    let now = db.clock().now();
    let due = db.run(move |conn| requests::due(conn, now, 100)).await?;
    let mut decided = 0;
    for id in due {
        let Some((request, active)) = db.run(move |conn| closed_with_offers(conn, id, now)).await? else { continue };
        let solved = tokio::task::spawn_blocking(move || solve(&request, &active, now).map(|a| (a, active.len())));
        let (award, offers) =
            solved.await.map_err(|e| StoreError::Corrupt(anyhow::anyhow!("the award's solve: {e}")))??;
        if db.transaction(move |conn| record(conn, id, &award, offers, now)).await? {
            decided += 1;
        }
    }
    Ok(decided)
}

/// The request if it is still open and its window closed at `now`, with the offers that count.
fn closed_with_offers(
    conn: &mut DbConnection,
    id: Uuid,
    now: NaiveDateTime,
) -> Result<Option<(RequestRow, Vec<OfferRow>)>, StoreError> {
    let Some(request) = requests::find(conn, id)? else { return Ok(None) };
    if request.state.0 != BidRequestState::Open || request.closes_at > now {
        return Ok(None);
    }
    let mut active: Vec<OfferRow> = Vec::new();
    for offer in offers::of_request(conn, id, None)? {
        if offer.counts()? {
            active.push(offer);
        }
    }
    Ok(Some((request, active)))
}

/// Records the award of a request still open and tells groups; false if another replica did.
/// The event leaves out the digests considered (published at the award endpoint).
fn record(
    conn: &mut DbConnection,
    id: Uuid,
    award: &Award,
    offers: usize,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    if !requests::decide(conn, id, award, now)? {
        return Ok(false);
    }
    let event = match award.state {
        BidRequestState::Awarded => "bid_request.awarded",
        _ => "bid_request.no_award",
    };
    outbox::enqueue(conn, &id.to_string(), event, &Award { considered: None, ..award.clone() })?;
    tracing::info!(bid_request.id = %id, lots = award.lots.len(), offers, "bid request decided");
    Ok(true)
}

/// The award over `offers` (those that count: active and confirmed by every partner, in the order
/// they were made): every one is considered, the solver picks the cover.
pub fn solve(request: &RequestRow, offers: &[OfferRow], now: NaiveDateTime) -> Result<Award, StoreError> {
    let currency = request.currency.0;
    let weights = request.weights()?;
    let tenders: Vec<Tender> = offers.iter().map(|o| tender(o, request.rule.0, weights.as_ref(), currency)).collect();
    let mut considered: Vec<String> = offers.iter().map(|o| o.digest.clone()).collect();
    considered.sort();
    let demands = request.demands()?;
    let (cover, served) = match &demands {
        Some(demands) => {
            let demands: Vec<Demand> =
                demands.iter().map(|d| Demand { quantity: d.quantity, max_unit_cost: d.max_minor }).collect();
            match serve_most(&tenders, &demands) {
                Some(service) => (Some(service.cover), Some(service.served)),
                None => (None, Some(Vec::new())),
            }
        }
        None => (cheapest_cover(&tenders, request.quantity()?.get()), None),
    };
    let mut lots = Vec::new();
    let mut total = Money::zero(currency);
    for &(index, quantity) in cover.as_ref().map(|c| c.lots.as_slice()).unwrap_or_default() {
        let offer = &offers[index];
        let unit_price = Money::from_minor(offer.unit_price_minor, currency);
        let cost = unit_price.times(quantity).and_then(|c| total.checked_add(c));
        total = cost.map_err(|e| StoreError::Corrupt(anyhow::anyhow!("award total: {e}")))?;
        lots.push(AwardLot {
            offer_id: offer.id.0,
            supplier_id: offer.supplier_id.0,
            quantity: Count::new(quantity).map_err(|e| StoreError::Corrupt(anyhow::anyhow!("lot: {e}")))?,
            unit_price: unit_price.into(),
            delivery_days: offer.delivery_days()?,
            shares: offer
                .split(quantity)?
                .into_iter()
                .map(|(supplier_id, quantity)| LotShare { supplier_id, quantity })
                .collect(),
        });
    }
    let awarded = cover.is_some();
    let members = match (demands, served) {
        (Some(demands), Some(served)) => Some(members(&demands, &served, &lots, total)?),
        _ => None,
    };
    Ok(Award {
        bid_request_id: request.id.0,
        group_id: request.group_id.map(|g| g.0),
        state: if awarded { BidRequestState::Awarded } else { BidRequestState::NoAward },
        rule: request.rule.0,
        lots,
        members,
        total: awarded.then(|| total.into()),
        considered: Some(considered),
        decided_at: now.and_utc(),
    })
}

/// The members served (B7): each one's charge, its share of `total` by units, and which winners
/// ship its units, the lots' shares poured into the members in order.
fn members(
    demands: &[StoredDemand],
    served: &[usize],
    lots: &[AwardLot],
    total: Money,
) -> Result<Vec<ServedMember>, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(anyhow::anyhow!("award members: {what}"));
    let quantities: Vec<u32> = served
        .iter()
        .map(|&i| demands.get(i).map(|d| d.quantity))
        .collect::<Option<_>>()
        .ok_or_else(|| corrupt("demand"))?;
    let parts: Vec<(domain::SupplierId, u32)> =
        lots.iter().flat_map(|lot| &lot.shares).map(|share| (share.supplier_id, share.quantity)).collect();
    let total_minor = total.to_minor().map_err(|_| corrupt("total"))?;
    let services =
        auction::serve(total_minor, &parts, &quantities).ok_or_else(|| corrupt("lots and members differ"))?;
    served
        .iter()
        .zip(quantities)
        .zip(services)
        .map(|((&demand, quantity), service)| {
            Ok(ServedMember {
                demand: u32::try_from(demand).map_err(|_| corrupt("demand"))?,
                quantity: Count::new(quantity).map_err(|_| corrupt("quantity"))?,
                charge: Money::from_minor(service.charge_minor, total.currency()).into(),
                parts: service
                    .shipped_by
                    .into_iter()
                    .map(|(supplier_id, quantity)| LotShare { supplier_id, quantity })
                    .collect(),
            })
        })
        .collect()
}

/// What the rule weighs a unit of `offer` at, in minor units: its price, or for `best_value` the
/// price × its weight plus the delivery days × the day's weight.
fn tender(offer: &OfferRow, rule: AwardRule, weights: Option<&BestValueWeights>, currency: domain::Currency) -> Tender {
    let terms = offer.terms();
    let cost = match (rule, weights) {
        (AwardRule::BestValue, Some(w)) => {
            let day_minor = w.delivery_day_weight * Decimal::from(10i64.pow(currency.exponent()));
            let score =
                Decimal::from(offer.unit_price_minor) * w.price_weight + Decimal::from(terms.delivery_days) * day_minor;
            score.round().to_i64().unwrap_or(MAX_UNIT_COST + 1)
        }
        _ => offer.unit_price_minor,
    };
    Tender { cost, min: terms.min_quantity, max: terms.max_quantity }
}
