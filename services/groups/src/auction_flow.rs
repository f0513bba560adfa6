//! A reverse auction after its join window (PRODUCT.md G4 `reverse_auction`, B1, B6, B7). Once
//! every member's hold has answered, the members whose payment is secured are pooled into one bid
//! request at bidding, through the outbox and keyed by the group, so it is opened once. Bidding's
//! signed decision then either charges each member served its share of the award (captured from
//! its hold, never above it, the rest released), ships its units from the winners that cover them
//! and releases the members the award left out; or, with no award, fails the group and releases
//! every hold. A decision is applied once: it is recorded on the group under its lock.

use chrono::NaiveDateTime;
use contracts::bidding::{Award, AwardRule, BidRequest, BidRequestState, Demand, NewBidRequest};
use domain::{
    Count, GroupId, Money, SupplierId, Violations,
    auction::{self, Service},
    group::{GroupState, GroupTransition, MemberState},
};
use platform::{
    db::{DbConnection, StoreError},
    outbox::{self, Call},
};
use rust_decimal::Decimal;

use crate::{
    db::{
        groups, members,
        rows::{GroupRow, MemberRow},
    },
    settlement,
};

/// The service the bid request goes to, and the call that opens it.
pub const BIDDING: &str = "bidding";
pub const OPEN_BID: &str = "bid_request.open";
/// The key of a group's bid request call.
const BID_KEY: &str = "bid-request:";

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(anyhow::anyhow!("auction: {what}"))
}

/// Asks bidding for the bid request once no member's hold is still unanswered: the pooled
/// quantity of the members whose payment is secured, with their maxima as demands when any is
/// below the ceiling (B7). With nobody secured the group fails. Callers hold the group's lock.
pub fn request_bid_when_ready(conn: &mut DbConnection, group: &GroupRow) -> Result<(), StoreError> {
    if group.bid_requested_at.is_some() {
        return Ok(());
    }
    let members = members::of_group(conn, group.id())?;
    if members.iter().any(|m| m.state.0 == MemberState::Reserved) {
        return Ok(());
    }
    let pledged: Vec<&MemberRow> =
        members.iter().filter(|m| matches!(m.state.0, MemberState::Held | MemberState::Paid)).collect();
    let now = platform::db::now();
    if pledged.is_empty() {
        return fail(conn, group, now);
    }
    if !groups::mark_bid_requested(conn, group.id(), now)? {
        return Ok(());
    }
    members::place_demands(conn, &pledged.iter().map(|m| m.id.as_str()).collect::<Vec<_>>())?;
    let body = bid_request(group, &pledged)?;
    let key = format!("{BID_KEY}{}", group.id());
    outbox::enqueue_call(
        conn,
        Call::new(&group.id().to_string(), BIDDING, OPEN_BID, "/v1/bid-requests", &key, &body)?,
    )?;
    tracing::info!(group.id = %group.id(), members = pledged.len(), "bid request asked for");
    Ok(())
}

fn bid_request(group: &GroupRow, pledged: &[&MemberRow]) -> Result<NewBidRequest, StoreError> {
    let ceiling = group.ceiling_minor.ok_or_else(|| corrupt("no ceiling"))?;
    let closes_at = group.bids_close_at.ok_or_else(|| corrupt("no bid window"))?;
    let count = |n: i64| Count::try_from(n).map_err(corrupt);
    let quantity = pledged.iter().map(|m| i64::from(m.quantity)).sum();
    let own_maxima = pledged.iter().any(|m| m.held_unit_price_minor < ceiling);
    let demands = own_maxima
        .then(|| {
            pledged
                .iter()
                .map(|m| {
                    let max_unit_price = group.money(m.held_unit_price_minor).into();
                    Ok(Demand { quantity: count(i64::from(m.quantity))?, max_unit_price })
                })
                .collect::<Result<Vec<_>, StoreError>>()
        })
        .transpose()?;
    Ok(NewBidRequest {
        group_id: Some(group.id()),
        product_id: group.product_id.0,
        quantity: count(quantity)?,
        ceiling: group.money(ceiling).into(),
        closes_at: closes_at.and_utc(),
        rule: AwardRule::LowestPrice,
        weights: None,
        demands,
    })
}

/// Bidding opened the request: the group notes its id.
pub fn opened(conn: &mut DbConnection, request: &BidRequest) -> Result<(), StoreError> {
    match request.group_id {
        Some(group) => groups::record_bid_request(conn, group, request.id),
        None => Ok(()),
    }
}

/// Bidding refused the request (or never answered within the attempts): no auction can happen,
/// so the group fails and every hold is released.
pub fn bid_refused(conn: &mut DbConnection, key: &str) -> Result<(), StoreError> {
    let Some(id) = key.strip_prefix(BID_KEY).and_then(|id| id.parse::<GroupId>().ok()) else { return Ok(()) };
    groups::lock(conn, id)?;
    let Some(group) = groups::find(conn, id)? else { return Ok(()) };
    if group.is_auction() && group.state() == GroupState::Closing && group.award_total_minor.is_none() {
        tracing::warn!(group.id = %id, "bidding refused the bid request; the group fails");
        fail(conn, &group, platform::db::now())?;
    }
    Ok(())
}

/// Applies bidding's decision (`bid_request.awarded` or `bid_request.no_award`) once.
pub fn decided(conn: &mut DbConnection, award: &Award, now: NaiveDateTime) -> Result<(), StoreError> {
    let Some(id) = award.group_id else { return Ok(()) }; // a request the operator opened
    groups::lock(conn, id)?;
    let Some(group) = groups::find(conn, id)? else { return Ok(()) };
    if !group.is_auction() || group.state() != GroupState::Closing || group.award_total_minor.is_some() {
        return Ok(());
    }
    if group.bid_request_id.as_deref().is_some_and(|known| known != award.bid_request_id.to_string()) {
        tracing::warn!(group.id = %id, "a decision for another bid request than the group's");
        return Ok(());
    }
    let total = match (&award.total, award.state) {
        (Some(total), BidRequestState::Awarded) => minor(&group, total)?,
        _ => {
            tracing::info!(group.id = %id, "no award: the group fails");
            return fail(conn, &group, now);
        }
    };
    let placed = placed_members(conn, id)?;
    let services = services(&group, award, &placed, total)?;
    let units: i64 = services.iter().map(|(place, _)| i64::from(placed[*place].quantity)).sum();
    let unit = Money::rounded(
        Decimal::new(total, group.currency.0.exponent()) / Decimal::from(units.max(1)),
        group.currency.0,
    );
    let unit = unit.to_minor().map_err(corrupt)?;
    let Some(after) = groups::record_award(conn, id, award.bid_request_id, (total, unit), now)? else { return Ok(()) };
    groups::record_event(conn, &after, "awarded", unit, now)?;
    let mut served = vec![false; placed.len()];
    for (place, service) in services {
        served[place] = true;
        charge(conn, &after, &placed[place], &service, now)?;
    }
    for (member, _) in placed.iter().zip(served).filter(|(_, served)| !served) {
        settlement::end_membership(conn, &after, member, now)?;
    }
    tracing::info!(group.id = %id, members = placed.len(), "award applied");
    settlement::request_settlement_when_done(conn, &after)
}

/// The members placed in the bid request's demands, in their places.
fn placed_members(conn: &mut DbConnection, id: GroupId) -> Result<Vec<MemberRow>, StoreError> {
    let mut placed: Vec<MemberRow> =
        members::of_group(conn, id)?.into_iter().filter(|m| m.demand_place.is_some()).collect();
    placed.sort_by_key(|m| m.demand_place);
    Ok(placed)
}

/// Each member served, by its place, with its charge and shippers: as the award lists them (with
/// demands), or every placed member by the same rule bidding uses ([`auction::serve`]).
fn services(
    group: &GroupRow,
    award: &Award,
    placed: &[MemberRow],
    total: i64,
) -> Result<Vec<(usize, Service)>, StoreError> {
    let services: Vec<(usize, Service)> = match &award.members {
        Some(served) => served
            .iter()
            .map(|s| {
                let shipped_by = s.parts.iter().map(|p| (p.supplier_id, p.quantity)).collect();
                Ok((s.demand as usize, Service { charge_minor: minor(group, &s.charge)?, shipped_by }))
            })
            .collect::<Result<_, StoreError>>()?,
        None => {
            let parts: Vec<(SupplierId, u32)> =
                award.lots.iter().flat_map(|lot| &lot.shares).map(|s| (s.supplier_id, s.quantity)).collect();
            let quantities: Vec<u32> = placed.iter().map(|m| u32::try_from(m.quantity).unwrap_or(0)).collect();
            auction::serve(total, &parts, &quantities)
                .ok_or_else(|| corrupt("the award's lots do not cover the members"))?
                .into_iter()
                .enumerate()
                .collect()
        }
    };
    if services.iter().any(|(place, _)| *place >= placed.len()) {
        return Err(corrupt("the award serves a member the group did not place"));
    }
    Ok(services)
}

/// Records what the award charges a member and has the charge taken: never above its hold.
fn charge(
    conn: &mut DbConnection,
    group: &GroupRow,
    member: &MemberRow,
    service: &Service,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let held = member.held_total(group.currency.0).and_then(|m| m.to_minor()).map_err(corrupt)?;
    if service.charge_minor > held {
        return Err(corrupt("the award charges a member more than its hold"));
    }
    let shipped_by = serde_json::to_string(&service.shipped_by).map_err(corrupt)?;
    if !members::record_service(conn, &member.id, service.charge_minor, &shipped_by, now)? {
        return Ok(());
    }
    let member = MemberRow { charge_minor: Some(service.charge_minor), shipped_by: Some(shipped_by), ..member.clone() };
    settlement::settle_member(conn, group, &member)
}

/// An amount of the group's currency in minor units.
fn minor(group: &GroupRow, money: &contracts::MoneyDto) -> Result<i64, StoreError> {
    let mut v = Violations::new();
    let money = money.parse("amount", &mut v).ok_or_else(|| corrupt("an unreadable amount"))?;
    if money.currency() != group.currency.0 {
        return Err(corrupt("an amount in another currency"));
    }
    money.to_minor().map_err(corrupt)
}

/// Fails a closing auction: every member still holding a seat is released.
fn fail(conn: &mut DbConnection, group: &GroupRow, now: NaiveDateTime) -> Result<(), StoreError> {
    let to = group.state().apply(GroupTransition::Fail).map_err(corrupt)?;
    let Some(after) = groups::transition(conn, group.id(), group.state(), to, None, now)? else { return Ok(()) };
    groups::record_event(conn, &after, "failed", group.ceiling_minor.unwrap_or_default(), now)?;
    for member in members::of_group(conn, group.id())? {
        settlement::end_membership(conn, &after, &member, now)?;
    }
    Ok(())
}
