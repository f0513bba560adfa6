//! The reconciler (PRODUCT.md P1, P3): a payment left waiting for its provider's outcome (the
//! webhook lost, or this process restarted before a late outcome came) is asked about after a
//! while and settled from the provider's own answer; a refund left pending (its process died
//! between reserving and recording it, and no one retried) is asked for again under its own
//! idempotency key and recorded. No group's money stays stuck.

use std::time::Duration;

use actix_web::web;
use contracts::payments::RefundState;
use diesel::prelude::*;
use platform::{
    ApiError,
    db::{Db, Stored},
};

use crate::{
    db::{
        operations, payments,
        rows::{PaymentRow, RefundRow},
        schema::{payments as p, refunds as r},
    },
    outcomes,
    provider::Provider,
};

/// Payments asked about per pass.
const BATCH: i64 = 50;

/// Runs forever: every `every`, settles payments waiting longer than `after`.
pub async fn run(db: Db, provider: web::Data<Provider>, every: Duration, after: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let refunds = finish_refunds(&db, &provider, after).await;
        match reconcile_once(&db, &provider, after).await.and_then(|n| Ok(n + refunds?)) {
            Ok(0) => {}
            Ok(n) => tracing::info!(settled = n, "reconciled payments with the provider"),
            Err(e) => tracing::warn!(error.cause = %e, "reconciliation pass failed"),
        }
    }
}

/// One pass; returns how many payments moved.
pub async fn reconcile_once(db: &Db, provider: &Provider, after: Duration) -> Result<usize, ApiError> {
    let before = db.clock().now() - chrono::Duration::from_std(after).unwrap_or_default();
    let waiting: Vec<PaymentRow> = db
        .run(move |conn| {
            Ok::<_, ApiError>(
                p::table
                    .filter(p::state.eq_any(["processing", "requires_action"]))
                    .filter(p::provider_ref.is_not_null())
                    .filter(p::updated_at.lt(before))
                    .order(p::updated_at.asc())
                    .limit(BATCH)
                    .select(PaymentRow::as_select())
                    .load(conn)?,
            )
        })
        .await?;
    let mut moved = 0;
    for row in waiting {
        let Some(provider_ref) = row.provider_ref.clone() else { continue };
        let charge = row.capture_method.0 == contracts::payments::CaptureMethod::Automatic;
        let answer = match provider.retrieve(&provider_ref, charge).await {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!(payment.id = %row.id, error.cause = %e, "provider could not say");
                continue;
            }
        };
        let Some((outcome, received)) = answer else { continue };
        let changed = db
            .transaction(move |conn| {
                let Some(current) = payments::find(conn, row.id())? else { return Ok::<_, ApiError>(false) };
                let captured = match received {
                    Some(minor) if minor > 0 && minor <= current.amount_minor => Some(current.money(minor)),
                    _ => None,
                };
                let next = outcomes::apply(conn, &current, &outcome, captured)?;
                Ok(next.state != current.state)
            })
            .await?;
        moved += usize::from(changed);
    }
    Ok(moved)
}

/// Refunds pending longer than `after`: asked of the provider again (the refund's id is its
/// idempotency key there, so it is never made twice) and recorded; returns how many.
pub async fn finish_refunds(db: &Db, provider: &Provider, after: Duration) -> Result<usize, ApiError> {
    let before = db.clock().now() - chrono::Duration::from_std(after).unwrap_or_default();
    let pending: Vec<RefundRow> = db
        .run(move |conn| {
            Ok::<_, ApiError>(
                r::table
                    .filter(r::state.eq(Stored(RefundState::Pending)))
                    .filter(r::updated_at.lt(before))
                    .order(r::updated_at.asc())
                    .limit(BATCH)
                    .select(RefundRow::as_select())
                    .load(conn)?,
            )
        })
        .await?;
    let mut finished = 0;
    for refund in pending {
        let payment_id = refund.payment_id.0;
        let Some(payment) = db.run(move |conn| payments::find(conn, payment_id)).await? else { continue };
        let amount = payment.money(refund.amount_minor);
        let provider_ref = payment.provider_ref.clone().unwrap_or_default();
        let outcome = match provider.refund(&provider_ref, amount, &refund.id.to_string()).await {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::warn!(refund.id = %refund.id, error.cause = %e, "provider could not refund");
                continue;
            }
        };
        db.transaction(move |conn| {
            crate::routes::refunds::record(conn, &refund, &outcome)?;
            let stored = payments::find_refund(conn, refund.id.0)?.ok_or_else(|| ApiError::not_found("refund"))?;
            let body = serde_json::to_string(&stored.to_dto(payment.currency())).map_err(ApiError::internal)?;
            operations::finish_open_on(conn, refund.id, 201, &body)
        })
        .await?;
        finished += 1;
    }
    Ok(finished)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use platform::{
        store_test,
        testing::{TestDatabase, settings},
    };

    use super::*;
    use crate::provider::sandbox::Sandbox;

    // Issue 8, finding 2: a refund whose process died between reserving and recording it stayed
    // pending for ever when no one retried: its money neither refunded nor refundable again.
    store_test!(p4_a_refund_left_pending_is_finished_and_booked_once, |backend| async move {
        let Some(test_db) = TestDatabase::create(backend, "reconcile") else { return };
        let db = Db::connect(&settings(&test_db.url).database, crate::service().migrations).await.unwrap();
        let long_ago = platform::db::now() - chrono::Duration::hours(1);
        let payment = PaymentRow {
            amount_minor: 5000,
            captured_minor: 5000,
            refund_reserved_minor: 1500,
            capture_method: contracts::payments::CaptureMethod::Automatic.into(),
            provider_ref: Some("sbx_pi_test".into()),
            state: domain::payment::PaymentState::Captured.into(),
            ..crate::db::rows::sample_payment(long_ago)
        };
        let refund = RefundRow {
            id: domain::RefundId::generate().into(),
            payment_id: payment.id,
            amount_minor: 1500,
            reason: "special_favor".into(),
            state: RefundState::Pending.into(),
            provider_ref: None,
            failure_code: None,
            created_at: long_ago,
            updated_at: long_ago,
        };
        let (payment_id, refund_id) = (payment.id(), refund.id.0);
        db.run(move |conn| {
            payments::insert(conn, &payment)?;
            payments::insert_refund(conn, &refund)
        })
        .await
        .unwrap();
        let sandbox = Provider::Sandbox(Sandbox::new("whsec_x", Duration::from_secs(1), chrono::Duration::days(7)));

        assert_eq!(finish_refunds(&db, &sandbox, Duration::from_secs(60)).await.unwrap(), 1);
        assert_eq!(finish_refunds(&db, &sandbox, Duration::from_secs(60)).await.unwrap(), 0, "done once");
        let (payment, refund) = db
            .run(move |conn| {
                Ok::<_, ApiError>((
                    payments::find(conn, payment_id)?.unwrap(),
                    payments::find_refund(conn, refund_id)?.unwrap(),
                ))
            })
            .await
            .unwrap();
        assert_eq!(refund.state.0, RefundState::Succeeded);
        assert_eq!((payment.refunded_minor, payment.refund_reserved_minor), (1500, 1500));
        assert_eq!(payment.state(), domain::payment::PaymentState::PartiallyRefunded);
    });
}
