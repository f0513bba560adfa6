//! The reconciler (PRODUCT.md P1, P3): a payment left waiting for its provider's outcome (the
//! webhook lost, or this process restarted before a late outcome came) is asked about after a
//! while and settled from the provider's own answer, so no group's money stays stuck.

use std::time::Duration;

use actix_web::web;
use diesel::prelude::*;
use platform::{ApiError, db::Db};

use crate::{
    db::{payments, rows::PaymentRow, schema::payments as p},
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
        match reconcile_once(&db, &provider, after).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(settled = n, "reconciled payments with the provider"),
            Err(e) => tracing::warn!(error.cause = %e, "reconciliation pass failed"),
        }
    }
}

/// One pass; returns how many payments moved.
pub async fn reconcile_once(db: &Db, provider: &Provider, after: Duration) -> Result<usize, ApiError> {
    let before = platform::db::now() - chrono::Duration::from_std(after).unwrap_or_default();
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
        let answer = match provider.retrieve(&provider_ref, row.capture_method == "automatic").await {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!(payment.id = %row.id, error.cause = %e, "provider could not say");
                continue;
            }
        };
        let Some((outcome, received)) = answer else { continue };
        let changed = db
            .transaction(move |conn| {
                let Some(current) = payments::find(conn, &row.id)? else { return Ok::<_, ApiError>(false) };
                let captured = match received {
                    Some(minor) if minor > 0 && minor <= current.amount_minor => Some(current.money(minor)?),
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
