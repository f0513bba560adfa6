//! Recording what a provider said, whether it came in the answer to our call or later by webhook:
//! the payment's state and amounts, the ledger entry for money that moved, and the event for
//! groups, all in the caller's transaction. Recording the same outcome twice changes nothing.

use domain::{Money, payment::PaymentState};
use platform::{ApiError, db::DbConnection, outbox};

use crate::{
    db::{ledger, payments, rows::PaymentRow},
    provider::Outcome,
};

/// Applies `outcome` to the payment `current`; `captured` is the amount a capture took. Returns
/// the payment as stored afterwards.
pub fn apply(
    conn: &mut DbConnection,
    current: &PaymentRow,
    outcome: &Outcome,
    captured: Option<Money>,
) -> Result<PaymentRow, ApiError> {
    let state = current.state();
    let mut next = current.clone();
    let target = match outcome {
        Outcome::Authorized { provider_ref, hold_expires_at } if state.awaits_outcome() => {
            next.provider_ref = Some(provider_ref.clone());
            next.hold_expires_at = Some(*hold_expires_at);
            PaymentState::Authorized
        }
        Outcome::Captured { provider_ref } if state.awaits_outcome() || state == PaymentState::Authorized => {
            next.provider_ref = Some(provider_ref.clone());
            let amount = captured.unwrap_or(current.money(current.amount_minor));
            next.captured_minor = amount.to_minor().map_err(ApiError::internal)?;
            next.hold_expires_at = None;
            PaymentState::Captured
        }
        Outcome::Processing { provider_ref } if state.awaits_outcome() => {
            next.provider_ref = Some(provider_ref.clone());
            PaymentState::Processing
        }
        Outcome::RequiresAction { provider_ref } if state.awaits_outcome() => {
            next.provider_ref = Some(provider_ref.clone());
            PaymentState::RequiresAction
        }
        Outcome::Voided { .. } if state.awaits_outcome() || state == PaymentState::Authorized => {
            next.hold_expires_at = None;
            PaymentState::Voided
        }
        Outcome::Failed { provider_ref, code } if state.awaits_outcome() => {
            next.provider_ref = provider_ref.clone().or(next.provider_ref);
            next.failure_code = Some(code.clone());
            PaymentState::Failed
        }
        // Already past this outcome (a late or repeated report): nothing to do.
        _ => return Ok(current.clone()),
    };
    if target == state && next.provider_ref == current.provider_ref {
        return Ok(current.clone());
    }
    next.state = target.into();
    next.updated_at = platform::db::now();
    if !payments::update_from(conn, &next, state)? {
        // Someone else moved it first; theirs stands.
        return payments::get(conn, current.id());
    }
    if target == PaymentState::Captured {
        let mut book = next.book();
        let entry = book.captured(next.money(next.captured_minor)).map_err(ApiError::internal)?;
        ledger::post(conn, book.group, next.id(), &entry)?;
    }
    if target != state {
        outbox::enqueue(conn, &next.group_id.0.to_string(), &format!("payment.{}", target.as_str()), &next.to_dto())?;
        tracing::info!(payment.id = %next.id, from = state.as_str(), to = target.as_str(), "payment state changed");
    }
    Ok(next)
}
