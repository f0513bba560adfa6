//! The close and what follows it (PRODUCT.md G4, G6, G7, G11): at the deadline a tiered group
//! closes at the price of the tier reached, an auction at its ceiling until its award (see
//! [`crate::auction_flow`]), or either fails below its minimum; once the price is known every held
//! member is captured at it, every paid member shipped, and once no payment is open the group is
//! settled in payments. Each step is a call through the outbox with a key derived from the
//! effect, written in the transaction that decides it, so nothing is asked twice.
//!
//! Closing is a guarded update from `open`: with several replicas on one database, one closes a
//! group and the others find it closed. A deadline missed while no process ran is closed at the
//! next start.

use std::time::Duration;

use chrono::NaiveDateTime;
use contracts::{
    payments::{Books, CaptureRequest, NewRefund},
    shipping::{NewShipment, Recipient, ShipmentItem},
};
use domain::{
    Count, GroupId, Label, Money, ProductKind, Reference, SupplierId,
    group::{GroupMode, GroupState, GroupTransition, MemberEvent, MemberState},
};
use platform::{
    db::{Db, DbConnection, StoreError},
    outbox::{self, Call},
};

use crate::{
    auction_flow, bulk_flow,
    db::{
        groups, members,
        rows::{GroupRow, MemberRow},
    },
    payment_flow::{self, PAYMENTS},
};

pub const SHIPPING: &str = "shipping";
pub const CAPTURE: &str = "payment.capture";
pub const SHIP: &str = "shipment.request";
pub const SETTLE: &str = "group.settle";

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(anyhow::anyhow!("{e}"))
}

/// Closes due groups every `every`, for ever; a seat unanswered at the deadline is waited for
/// `grace`.
pub async fn run(db: Db, every: Duration, grace: chrono::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match close_due(&db, grace).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(closed = n, "closed groups at their deadline"),
            Err(e) => tracing::warn!(error.cause = %e, "closing groups failed"),
        }
    }
}

/// Groups read per batch of due deadlines.
const DUE_BATCH: i64 = 200;

/// Closes every open group whose window has ended, batch after batch until none is due; returns
/// how many this process closed. Each replica starts a batch at a random place in it, so that
/// replicas closing one wave mostly take different groups (the guarded update makes the other
/// skip a group one closed first). A group waiting for a seat is not due until its wait ends.
pub async fn close_due(db: &Db, grace: chrono::Duration) -> Result<usize, StoreError> {
    let now = db.clock().now();
    let mut closed = 0;
    loop {
        let mut due = db.run(move |conn| groups::due(conn, now, DUE_BATCH)).await?;
        let full = i64::try_from(due.len()).is_ok_and(|n| n == DUE_BATCH);
        let start = usize::try_from(uuid::Uuid::new_v4().as_u128() % due.len().max(1) as u128).unwrap_or(0);
        due.rotate_left(start);
        for id in due {
            if db.transaction(move |conn| close(conn, id, now, grace)).await? {
                closed += 1;
            }
        }
        if !full {
            return Ok(closed);
        }
    }
}

/// Closes one group at `now` if it is still open and due. The price and the minimum count only
/// secured seats (G4): while a seat's payment has not answered, the group waits for it, at most
/// `grace` past its deadline; then that seat is released (its payment voided) and the group
/// closes on what is secured: `closing` at the tier's price with a capture asked for each held
/// member, or `failed` below the minimum with every hold released.
pub fn close(
    conn: &mut DbConnection,
    id: GroupId,
    now: NaiveDateTime,
    grace: chrono::Duration,
) -> Result<bool, StoreError> {
    groups::lock(conn, id)?;
    let Some(mut group) = groups::find(conn, id)? else { return Ok(false) };
    if group.state() != GroupState::Open || group.closes_at > now {
        return Ok(false);
    }
    if group.mode.0 == GroupMode::BulkPurchase {
        return bulk_flow::period_ended(conn, &group, now);
    }
    let unanswered: Vec<MemberRow> =
        members::of_group(conn, id)?.into_iter().filter(|m| m.state.0 == MemberState::Reserved).collect();
    if !unanswered.is_empty() {
        let waits_until = group.closes_at + grace;
        if now < waits_until {
            groups::wait_for_seats(conn, id, Some(waits_until))?;
            return Ok(false);
        }
        for member in &unanswered {
            payment_flow::release_unanswered(conn, &group, member, now)?;
        }
        let Some(after) = groups::find(conn, id)? else { return Ok(false) };
        group = after;
    }
    let met_minimum = group.tally().members >= group.limits().min_members.get();
    let to = group.state().apply(GroupTransition::Close { met_minimum }).map_err(corrupt)?;
    // An auction's price comes with its award: until then its ceiling is the most it can be.
    let price_minor = match group.ceiling_minor {
        Some(ceiling) => ceiling,
        None => group.terms().map_err(StoreError::Corrupt)?.price().at(group.tally()).to_minor().map_err(corrupt)?,
    };
    let fixed = (met_minimum && !group.is_auction()).then_some(price_minor);
    // Guarded by `open`: another replica that closed it first wins, and this one does nothing.
    let Some(after) = groups::transition(conn, id, GroupState::Open, to, fixed, now)? else { return Ok(false) };
    groups::record_event(conn, &after, if met_minimum { "closed" } else { "failed" }, price_minor, now)?;
    for member in members::of_group(conn, id)? {
        if met_minimum {
            settle_member(conn, &after, &member)?;
        } else {
            end_membership(conn, &after, &member, now)?;
        }
    }
    if met_minimum {
        request_settlement_when_done(conn, &after)?;
    }
    tracing::info!(group.id = %id, state = to.as_str(), "group closed");
    Ok(true)
}

/// Ends the membership of a member still holding a seat in a group that ended without it, and
/// releases what it paid or has held.
pub fn end_membership(
    conn: &mut DbConnection,
    group: &GroupRow,
    member: &MemberRow,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    if let Ok(ended) = member.state.0.apply(MemberEvent::GroupEnded)
        && members::set_state(conn, &member.id, member.state.0, ended, None, now)?
    {
        payment_flow::release_payment(conn, group, member)?;
    }
    Ok(())
}

/// What a member of a closing group needs next: a held member is captured at the fixed price; a
/// member who paid at join is refunded the difference and shipped. A member whose payment has
/// not answered yet is settled when it does.
pub fn settle_member(conn: &mut DbConnection, group: &GroupRow, member: &MemberRow) -> Result<(), StoreError> {
    let Some(owed) = owed(group, member)? else { return Ok(()) };
    let currency = group.currency.0;
    let Some(payment) = &member.payment_id else { return Ok(()) };
    match member.state.0 {
        MemberState::Held => {
            let body = CaptureRequest { amount: Some(owed.into()) };
            let path = format!("/v1/payments/{payment}/capture");
            let key = format!("capture:{}", member.id);
            outbox::enqueue_call(conn, Call::new(&group.id().to_string(), PAYMENTS, CAPTURE, &path, &key, &body)?)?;
        }
        MemberState::Paid => {
            let paid = member.held_total(currency).map_err(corrupt)?;
            let difference = paid.checked_sub(owed).map_err(corrupt)?;
            if difference.is_positive() {
                let body = NewRefund { amount: difference.into(), reason: Some(label("price_difference")?) };
                let path = format!("/v1/payments/{payment}/refunds");
                let key = format!("refund-difference:{}", member.id);
                outbox::enqueue_call(
                    conn,
                    Call::new(&group.id().to_string(), PAYMENTS, "payment.refund", &path, &key, &body)?,
                )?;
            }
            request_shipment(conn, group, member)?;
        }
        _ => {}
    }
    Ok(())
}

/// What the member owes once the price is known: its units at the fixed price, or (an auction)
/// what the award charges it; `None` before that, or for a member the award left out.
fn owed(group: &GroupRow, member: &MemberRow) -> Result<Option<Money>, StoreError> {
    let currency = group.currency.0;
    if group.is_auction() {
        return Ok(member.charge_minor.map(|charge| Money::from_minor(charge, currency)));
    }
    let Some(unit_minor) = group.final_unit_price_minor else { return Ok(None) };
    let quantity = u32::try_from(member.quantity).map_err(corrupt)?;
    Ok(Some(Money::from_minor(unit_minor, currency).times(quantity).map_err(corrupt)?))
}

fn label(text: &str) -> Result<Label, StoreError> {
    Label::new(text).map_err(corrupt)
}

/// Asks shipping to ship a paid member's purchase to the address given at join: from the group's
/// supplier, or an auction's units from each winner that covers them, one shipment per winner. A
/// service is not shipped (G11).
pub fn request_shipment(conn: &mut DbConnection, group: &GroupRow, member: &MemberRow) -> Result<(), StoreError> {
    let product = group.product().map_err(StoreError::Corrupt)?;
    if product.kind == ProductKind::Service {
        return Ok(());
    }
    let Some(ship_to) = &member.ship_to else {
        tracing::warn!(group.id = %group.id(), "a paid member has no address to ship to");
        return Ok(());
    };
    let recipient: Recipient = serde_json::from_str(ship_to).map_err(corrupt)?;
    let member_ref = Reference::new(member.id.clone()).map_err(corrupt)?;
    let shippers: Vec<(SupplierId, u32)> = match &member.shipped_by {
        Some(shipped_by) => serde_json::from_str(shipped_by).map_err(corrupt)?,
        None => vec![(group.supplier_id.0, u32::try_from(member.quantity).map_err(corrupt)?)],
    };
    let several = shippers.len() > 1;
    for (supplier_id, units) in shippers {
        // One purchase per shipment: the member's, or the member's part from one winner.
        let (purchase, key) = match several {
            true => (format!("{}:{supplier_id}", member.id), format!("ship:{}:{supplier_id}", member.id)),
            false => (member.id.clone(), format!("ship:{}", member.id)),
        };
        let body = NewShipment {
            purchase_id: Reference::new(purchase).map_err(corrupt)?,
            group_id: group.id(),
            member: member_ref.clone(),
            supplier_id,
            recipient: recipient.clone(),
            items: vec![ShipmentItem {
                product_id: group.product_id.0,
                quantity: Count::try_from(i64::from(units)).map_err(corrupt)?,
            }],
        };
        let call = Call::new(&group.id().to_string(), SHIPPING, SHIP, "/v1/shipments", &key, &body)?;
        outbox::enqueue_call(conn, call)?;
    }
    Ok(())
}

/// Once no member of a closing group waits for a payment (none reserved or held), asks payments
/// to settle the group. Callers hold the group's row lock, so the last of two concurrent changes
/// sees the other's.
pub fn request_settlement_when_done(conn: &mut DbConnection, group: &GroupRow) -> Result<(), StoreError> {
    if group.state() != GroupState::Closing {
        return Ok(());
    }
    if group.is_auction() && group.award_total_minor.is_none() {
        return auction_flow::request_bid_when_ready(conn, group);
    }
    let waiting = members::of_group(conn, group.id())?
        .iter()
        .any(|m| matches!(m.state.0, MemberState::Reserved | MemberState::Held));
    if !waiting {
        let path = format!("/v1/groups/{}/settlement", group.id());
        let key = format!("settle:{}", group.id());
        outbox::enqueue_call(conn, Call::new(&group.id().to_string(), PAYMENTS, SETTLE, &path, &key, &())?)?;
    }
    Ok(())
}

/// Payments settled the group: `closing` becomes `settled`.
pub fn settled(conn: &mut DbConnection, books: &Books, now: NaiveDateTime) -> Result<(), StoreError> {
    let Some(group) = groups::find(conn, books.group_id)? else { return Ok(()) };
    let Ok(to) = group.state().apply(GroupTransition::Settle) else { return Ok(()) };
    if let Some(after) = groups::transition(conn, group.id(), group.state(), to, group.final_unit_price_minor, now)? {
        let price = group.final_unit_price_minor.unwrap_or_default();
        groups::record_event(conn, &after, "settled", price, now)?;
        tracing::info!(group.id = %group.id(), "group settled");
    }
    Ok(())
}
