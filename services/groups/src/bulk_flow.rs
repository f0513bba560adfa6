//! The bulk purchase mode after each purchase (PRODUCT.md G4 `bulk_purchase`; 003 Figs. 5-7): a
//! purchaser is charged the list price and shipped at once; the completion policy is asked after
//! every purchase that lands and at the period's end, and once it decides, each paying member is
//! refunded the favor (rate × what it paid) through payments, under a key per member
//! (`favor:<member>`). When every favor is refunded the group is settled in payments.
//!
//! The decision waits while a purchase's payment is still open, so a charge in flight at the
//! deadline is counted (or not) once it is known.

use chrono::NaiveDateTime;
use contracts::payments::NewRefund;
use domain::{
    DiscountTable, Label,
    bulk::{Decision, Declaration, Favor, NoFavor, Purchase},
    group::{GroupState, GroupTransition, MemberState},
};
use platform::{
    db::{DbConnection, StoreError},
    outbox,
};

use crate::{
    bulk_mail,
    db::{
        bulk, groups, members,
        rows::{BulkRow, GroupRow, MemberRow},
    },
    payment_flow::PAYMENTS,
    settlement,
};

/// The call refunding a member's favor.
pub const FAVOR: &str = "payment.favor";

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(anyhow::anyhow!("{e}"))
}

fn secs_since(start: NaiveDateTime, t: NaiveDateTime) -> u64 {
    u64::try_from((t - start).num_seconds()).unwrap_or(0)
}

/// A member's purchase landed (paid): it is shipped at once (a service is confirmed by its
/// supplier instead), and the policy is asked.
pub fn purchased(
    conn: &mut DbConnection,
    group: &GroupRow,
    member: &MemberRow,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    settlement::request_shipment(conn, group, member)?;
    bulk_mail::receipt(conn, group, member)?;
    decide_when_ready(conn, group, now)
}

/// The period ended with the group still open: it closes to purchases and the policy decides
/// (once no purchase's payment is open).
pub fn period_ended(conn: &mut DbConnection, group: &GroupRow, now: NaiveDateTime) -> Result<bool, StoreError> {
    let to = group.state().apply(GroupTransition::Close { met_minimum: true }).map_err(corrupt)?;
    let list_price = group.terms().map_err(StoreError::Corrupt)?.list_price.to_minor().map_err(corrupt)?;
    let moved = groups::transition(conn, group.id(), GroupState::Open, to, Some(list_price), now)?;
    let Some(after) = moved else { return Ok(false) };
    groups::record_event(conn, &after, "closed", list_price, now)?;
    decide_when_ready(conn, &after, now)?;
    Ok(true)
}

/// Asks the completion policy, unless a purchase's payment is still open or the group was
/// decided; acts on a decision. Callers hold the group's row lock.
pub fn decide_when_ready(conn: &mut DbConnection, group: &GroupRow, now: NaiveDateTime) -> Result<(), StoreError> {
    let Some(declared) = bulk::find(conn, group.id())? else { return Ok(()) };
    if declared.decided_at.is_some() || !matches!(group.state(), GroupState::Open | GroupState::Closing) {
        return Ok(());
    }
    let all = members::of_group(conn, group.id())?;
    if all.iter().any(|m| m.state.0 == MemberState::Reserved) {
        return Ok(());
    }
    let paid: Vec<&MemberRow> = all.iter().filter(|m| m.state.0 == MemberState::Paid).collect();
    let start = group.created_at;
    let purchases: Vec<Purchase> = paid
        .iter()
        .map(|m| Purchase { quantity: u32::try_from(m.quantity).unwrap_or(0), at_secs: secs_since(start, m.joined_at) })
        .collect();
    let declaration = Declaration {
        purchasers: u32::try_from(declared.purchasers).unwrap_or(0),
        period_secs: declared.period_ends_at.map(|end| secs_since(start, end)),
    };
    // Past the deadline (closing), the time is at least the deadline's.
    let at = if group.state() == GroupState::Closing { now.max(group.closes_at) } else { now };
    let table = DiscountTable(group.product().map_err(StoreError::Corrupt)?.discount_rates);
    let bought: u32 = purchases.iter().map(|p| p.quantity).sum();
    let days = domain::bulk::days(secs_since(start, paid.iter().map(|m| m.joined_at).max().unwrap_or(at)));
    let outcome = match declared.completion_policy.0.decide(&table, declaration, &purchases, secs_since(start, at)) {
        Decision::Pending if group.state() == GroupState::Open => return Ok(()),
        // A time-scaled group still incomplete when its bound ran out.
        Decision::Pending => Err(NoFavor::Incomplete),
        Decision::Favor(favor) => Ok(favor),
        Decision::None(why) => Err(why),
    };
    let inputs = match outcome {
        Ok(favor) => (favor.quantity, favor.period_days),
        Err(_) => (bought, days),
    };
    if !bulk::decide(conn, group.id(), outcome, inputs, now)? {
        return Ok(());
    }
    act_on(conn, group, &declared, &paid, outcome, now)
}

/// Acts on the decision (recorded as the event `decided`): the group closes and each paying
/// member is refunded the favor, if one was earned; a group nobody bought from fails.
fn act_on(
    conn: &mut DbConnection,
    group: &GroupRow,
    declared: &BulkRow,
    paid: &[&MemberRow],
    outcome: Result<Favor, NoFavor>,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let to = match (group.state(), paid.is_empty()) {
        (GroupState::Open, empty) => Some(GroupTransition::Close { met_minimum: !empty }),
        (_, true) => Some(GroupTransition::Fail),
        (_, false) => None,
    };
    let list_price = group.terms().map_err(StoreError::Corrupt)?.list_price.to_minor().map_err(corrupt)?;
    let after = match to {
        Some(to) => {
            let state = group.state().apply(to).map_err(corrupt)?;
            // Members paid the list price: it is the group's final unit price.
            let moved = groups::transition(conn, group.id(), group.state(), state, Some(list_price), now)?;
            moved.ok_or_else(|| corrupt("the group changed under its lock"))?
        }
        None => groups::bump_events(conn, group.id(), now)?.ok_or_else(|| corrupt("the group is gone"))?,
    };
    groups::record_event(conn, &after, "decided", list_price, now)?;
    tracing::info!(group.id = %group.id(), policy = ?declared.completion_policy.0, favor = outcome.is_ok(), "bulk group decided");
    if after.state() == GroupState::Closing {
        favor_all(conn, &after, paid, outcome)?;
        settle_when_refunded(conn, &after)?;
    }
    let rate = outcome.ok().map(|favor| favor.rate.normalize().to_string());
    let why_not = outcome.err().map(|why| format!("{why:?}"));
    bulk_mail::outcome(conn, &after, rate.as_deref(), why_not.as_deref())
}

/// Asks payments to refund each paying member `rate` of what it paid.
fn favor_all(
    conn: &mut DbConnection,
    group: &GroupRow,
    paid: &[&MemberRow],
    outcome: Result<Favor, NoFavor>,
) -> Result<(), StoreError> {
    let Ok(favor) = outcome else { return Ok(()) };
    let reason = Label::new("special_favor").map_err(corrupt)?;
    let mut calls = Vec::with_capacity(paid.len());
    for member in paid {
        let Some(payment) = &member.payment_id else { continue };
        let amount = member.held_total(group.currency.0).map_err(corrupt)?.apply_rate(favor.rate).map_err(corrupt)?;
        if !amount.is_positive() {
            continue;
        }
        bulk::set_favor(conn, &member.id, amount.to_minor().map_err(corrupt)?)?;
        let body = NewRefund { amount: amount.into(), reason: Some(reason.clone()) };
        let path = format!("/v1/payments/{payment}/refunds");
        calls.push(outbox::Call::new(
            &group.id().to_string(),
            PAYMENTS,
            FAVOR,
            &path,
            &format!("favor:{}", member.id),
            &body,
        )?);
    }
    outbox::enqueue_calls(conn, calls)?;
    Ok(())
}

/// Once no favor is waiting for payments, asks payments to settle the group.
pub fn settle_when_refunded(conn: &mut DbConnection, group: &GroupRow) -> Result<(), StoreError> {
    let waiting = members::of_group(conn, group.id())?
        .iter()
        .any(|m| m.state.0 == MemberState::Reserved || (m.favor_minor.is_some() && m.favor_refunded_at.is_none()));
    if waiting {
        return Ok(());
    }
    settlement::request_settlement_when_done(conn, group)
}

/// Payments took a favor's refund (the answer to a favor call).
pub fn favor_answered(conn: &mut DbConnection, payment: &str, now: NaiveDateTime) -> Result<(), StoreError> {
    let Some((member, group)) = bulk::favor_refunded(conn, payment, now)? else { return Ok(()) };
    groups::lock(conn, group)?;
    let Some(group) = groups::find(conn, group)? else { return Ok(()) };
    if let Some(member) = members::find(conn, &member)? {
        bulk_mail::favor_refunded(conn, &group, &member)?;
    }
    // Each refund is an event of the group's history (and a `group.favor_refunded` webhook).
    let after = groups::bump_events(conn, group.id(), now)?.ok_or_else(|| corrupt("the group is gone"))?;
    let list_price = group.terms().map_err(StoreError::Corrupt)?.list_price.to_minor().map_err(corrupt)?;
    groups::record_event(conn, &after, "favor_refunded", list_price, now)?;
    settle_when_refunded(conn, &after)
}
