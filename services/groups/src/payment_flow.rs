//! Members' payments (PRODUCT.md G3, G4, G7): requested through the outbox in the transaction that
//! changes the membership, and settled by what payments answers — in the answer to the call or
//! later by signed webhook, whichever comes first; the same outcome applied twice changes nothing.
//!
//! Every request's Idempotency-Key is derived from the effect (`hold:<member>`, `void:<member>`,
//! …), so a redelivery can never make a second hold, void or refund.

use chrono::NaiveDateTime;
use contracts::{
    MoneyDto,
    payments::{NewPayment, NewRefund, Payment, PaymentMethodInput},
};
use domain::{
    Label, Reference,
    group::{GroupMode, GroupState, MemberEvent, MemberState, PaymentPlan},
    payment::PaymentState,
};
use platform::{
    db::{DbConnection, StoreError},
    outbox::{self, Call},
};

use crate::{
    auction_flow, bulk_flow,
    db::{
        groups, members,
        rows::{GroupRow, MemberRow},
    },
    settlement,
};

/// The service the calls go to.
pub const PAYMENTS: &str = "payments";
/// The call that takes a member's hold (or charge).
pub const HOLD: &str = "payment.hold";

fn label(text: &str) -> Result<Label, StoreError> {
    Label::new(text).map_err(|e| StoreError::Corrupt(anyhow::anyhow!("label {text}: {e}")))
}

fn reference(text: &str) -> Result<Reference, StoreError> {
    Reference::new(text).map_err(|e| StoreError::Corrupt(anyhow::anyhow!("reference: {e}")))
}

/// The call requesting the member's hold (or, under `ChargeThenRefund`, the charge) for what it
/// can owe; written with the member's seat.
pub fn hold_call(group: &GroupRow, member: &MemberRow, method: &PaymentMethodInput) -> Result<Call, StoreError> {
    let amount = member.held_total(group.currency.0).map_err(|e| StoreError::Corrupt(e.into()))?;
    let body = NewPayment {
        group_id: group.id(),
        member: reference(&member.id)?,
        purpose: label("join_hold")?,
        amount: MoneyDto::from(amount),
        method: method.clone(),
    };
    let path = match group.payment_plan.0 {
        PaymentPlan::HoldThenCapture => "/v1/payments/authorizations",
        PaymentPlan::ChargeThenRefund => "/v1/payments/charges",
    };
    Ok(Call::new(&group.id().to_string(), PAYMENTS, HOLD, path, &format!("hold:{}", member.id), &body)?)
}

/// Releases what a member who no longer holds a seat paid or has held: a void for a hold, a
/// refund of everything for a charge. Nothing when the payment is not known yet: its answer
/// arrives later and is released then.
pub fn release_payment(conn: &mut DbConnection, group: &GroupRow, member: &MemberRow) -> Result<(), StoreError> {
    let Some(payment) = &member.payment_id else { return Ok(()) };
    match member.payment_state.map(|s| s.0) {
        // A payment awaiting the payer (3-D Secure) is cancelled too, so it cannot complete later.
        Some(PaymentState::Authorized | PaymentState::RequiresAction) => {
            let path = format!("/v1/payments/{payment}/void");
            let key = format!("void:{}", member.id);
            outbox::enqueue_call(
                conn,
                Call::new(&group.id().to_string(), PAYMENTS, "payment.void", &path, &key, &())?,
            )?;
        }
        Some(PaymentState::Captured) => {
            let amount = member.held_total(group.currency.0).map_err(|e| StoreError::Corrupt(e.into()))?;
            let body = NewRefund { amount: amount.into(), reason: Some(label("member_left")?) };
            let path = format!("/v1/payments/{payment}/refunds");
            let key = format!("refund-all:{}", member.id);
            outbox::enqueue_call(
                conn,
                Call::new(&group.id().to_string(), PAYMENTS, "payment.refund", &path, &key, &body)?,
            )?;
        }
        _ => {}
    }
    Ok(())
}

/// Applies what payments says of a member's payment, from a call's answer or a webhook; in a
/// closing group, a member whose hold lands is captured and a member who paid is shipped.
pub fn apply(conn: &mut DbConnection, payment: &Payment, now: NaiveDateTime) -> Result<(), StoreError> {
    let Some(member) = members::find(conn, payment.member.as_str())? else {
        tracing::warn!(payment.id = %payment.id, "a payment for no member of ours");
        return Ok(());
    };
    if member.payment_id.as_deref().is_some_and(|known| known != payment.id.to_string()) {
        return Ok(()); // not this member's current payment
    }
    groups::lock(conn, member.group_id.0)?;
    let Some(group) = groups::find(conn, member.group_id.0)? else { return Ok(()) };
    let member = members::find(conn, &member.id)?.unwrap_or(member); // as it is under the lock
    members::record_payment(conn, &member.id, payment.id, payment.state, now)?;
    let from = member.state.0;
    let event = match payment.state {
        PaymentState::Authorized | PaymentState::Captured if from == MemberState::Reserved => {
            Some(MemberEvent::PaymentSecured(group.payment_plan.0))
        }
        PaymentState::Captured if from == MemberState::Held => Some(MemberEvent::Captured),
        PaymentState::Failed if from == MemberState::Reserved => Some(MemberEvent::PaymentFailed),
        _ => None,
    };
    let current =
        MemberRow { payment_id: Some(payment.id.to_string()), payment_state: Some(payment.state.into()), ..member };
    let bulk = group.mode.0 == GroupMode::BulkPurchase;
    match event {
        Some(MemberEvent::PaymentFailed) => release_seat(conn, &group, &current, payment.failure_code.as_deref(), now)?,
        Some(event) => {
            let to = from.apply(event).map_err(|e| StoreError::Corrupt(e.into()))?;
            if !members::set_state(conn, &current.id, from, to, None, now)? {
                return Ok(());
            }
            let moved = MemberRow { state: to.into(), ..current };
            match (event, group.state()) {
                (_, _) if bulk => return bulk_flow::purchased(conn, &group, &moved, now),
                (MemberEvent::Captured, GroupState::Closing) => settlement::request_shipment(conn, &group, &moved)?,
                (_, GroupState::Closing) => settlement::settle_member(conn, &group, &moved)?,
                _ => {}
            }
        }
        // Left or cancelled meanwhile: what was secured goes back.
        None if !from.holds_seat() => return release_payment(conn, &group, &current),
        None => return Ok(()),
    }
    if bulk {
        // A failed purchase may have been the one the decision waited for.
        return bulk_flow::decide_when_ready(conn, &group, now);
    }
    if group.state() == GroupState::Open && group.close_waits_until.is_some() {
        // A seat the close waited for answered: the scheduler decides at its next pass.
        groups::wait_for_seats(conn, group.id(), None)?;
    }
    settlement::request_settlement_when_done(conn, &group)
}

/// A seat whose payment did not answer within the grace after the window: released as a failed
/// payment would be, and its payment cancelled where it can be (an outcome landing later is
/// released then, see [`apply`]).
pub fn release_unanswered(
    conn: &mut DbConnection,
    group: &GroupRow,
    member: &MemberRow,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    tracing::info!(group.id = %group.id(), "a seat's payment did not answer in time; the seat is released");
    let released = MemberRow { state: MemberState::Released.into(), ..member.clone() };
    release_seat(conn, group, member, Some("payment_unanswered"), now)?;
    release_payment(conn, group, &released)
}

/// A member whose payment failed gives the seat back (offered to the next joiner).
fn release_seat(
    conn: &mut DbConnection,
    group: &GroupRow,
    member: &MemberRow,
    code: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let to = member.state.0.apply(MemberEvent::PaymentFailed).map_err(|e| StoreError::Corrupt(e.into()))?;
    if !members::set_state(conn, &member.id, member.state.0, to, code, now)? {
        return Ok(());
    }
    let quantity = u32::try_from(member.quantity).unwrap_or(0);
    if let Some(after) = groups::free_seat(conn, group.id(), quantity, now)? {
        let price = after.unit_price_now().map_err(StoreError::Corrupt)?;
        let price = price.to_minor().map_err(|e| StoreError::Corrupt(e.into()))?;
        groups::record_event(conn, &after, "released", price, now)?;
    }
    Ok(())
}

/// What the relay does with a call it gave up on. A hold that never came (refused, or unanswered
/// within the attempts) frees its seat as a declined card would; should it exist after all, a
/// retry of the dead letter brings its answer and the hold is voided then. A capture payments
/// refused did not happen: the member is released and the hold voided. A bid request bidding
/// refused fails its auction. An unanswered capture (or bid request) may have happened, so it
/// waits as a dead letter for the operator's retry, as do shipments and the settlement.
pub fn on_give_up(conn: &mut DbConnection, gave_up: &outbox::GaveUp) -> anyhow::Result<()> {
    let (prefix, code) = match gave_up.kind.as_str() {
        auction_flow::OPEN_BID if gave_up.refused => return Ok(auction_flow::bid_refused(conn, &gave_up.key)?),
        HOLD => ("hold:", "payment_unavailable"),
        settlement::CAPTURE if gave_up.refused => ("capture:", "capture_refused"),
        _ => return Ok(()),
    };
    let Some(member) = gave_up.key.strip_prefix(prefix) else { return Ok(()) };
    let Some(member) = members::find(conn, member)? else { return Ok(()) };
    groups::lock(conn, member.group_id.0)?;
    let Some(group) = groups::find(conn, member.group_id.0)? else { return Ok(()) };
    let member = members::find(conn, &member.id)?.unwrap_or(member); // as it is under the lock
    let expected = if prefix == "hold:" { MemberState::Reserved } else { MemberState::Held };
    if member.state.0 != expected {
        return Ok(()); // answered meanwhile (a webhook), or left
    }
    tracing::warn!(group.id = %group.id(), call = %gave_up.kind, "a payment call was given up; the member is released");
    release_seat(conn, &group, &member, Some(code), platform::db::now())?;
    if expected == MemberState::Held {
        release_payment(conn, &group, &member)?;
    }
    settlement::request_settlement_when_done(conn, &group)?;
    Ok(())
}

/// What the relay does with an answer to one of our calls: a hold's or a capture's outcome is
/// applied at once, a shipment noted, a settlement recorded; voids and refunds report theirs by
/// webhook.
pub fn on_answer(conn: &mut DbConnection, answer: &outbox::Answer) -> anyhow::Result<()> {
    let now = platform::db::now();
    match answer.kind.as_str() {
        HOLD | settlement::CAPTURE => apply(conn, &serde_json::from_str::<Payment>(&answer.body)?, now)?,
        settlement::SHIP => {
            let shipment: contracts::shipping::Shipment = serde_json::from_str(&answer.body)?;
            members::record_shipment(conn, &shipment.member, shipment.id, shipment.state, now)?;
        }
        settlement::SETTLE => settlement::settled(conn, &serde_json::from_str(&answer.body)?, now)?,
        auction_flow::OPEN_BID => auction_flow::opened(conn, &serde_json::from_str(&answer.body)?)?,
        bulk_flow::FAVOR => {
            let refund: contracts::payments::Refund = serde_json::from_str(&answer.body)?;
            bulk_flow::favor_answered(conn, &refund.payment_id.to_string(), now)?;
        }
        _ => {}
    }
    Ok(())
}
