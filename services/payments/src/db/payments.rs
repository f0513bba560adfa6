//! Payment and refund rows. Every state change is a guarded update (`WHERE state = <expected>`),
//! so two writers racing on one payment cannot both move it.

use diesel::prelude::*;
use domain::{GroupId, PaymentId};
use platform::{ApiError, db::DbConnection};

use super::{
    rows::{PaymentRow, RefundRow},
    schema::{payments, refunds},
};

pub fn insert(conn: &mut DbConnection, row: &PaymentRow) -> Result<(), ApiError> {
    diesel::insert_into(payments::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<PaymentRow>, ApiError> {
    Ok(payments::table.find(id).select(PaymentRow::as_select()).first(conn).optional()?)
}

pub fn get(conn: &mut DbConnection, id: PaymentId) -> Result<PaymentRow, ApiError> {
    find(conn, &id.to_string())?.ok_or_else(|| ApiError::not_found(format!("payment {id}")))
}

pub fn find_by_provider_ref(
    conn: &mut DbConnection,
    provider: &str,
    provider_ref: &str,
) -> Result<Option<PaymentRow>, ApiError> {
    Ok(payments::table
        .filter(payments::provider.eq(provider))
        .filter(payments::provider_ref.eq(provider_ref))
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list_by_group(
    conn: &mut DbConnection,
    group: GroupId,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<PaymentRow>, ApiError> {
    let mut query = payments::table
        .filter(payments::group_id.eq(group.to_string()))
        .order(payments::id.asc())
        .limit(limit)
        .select(PaymentRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(payments::id.gt(after.to_owned()));
    }
    Ok(query.load(conn)?)
}

/// Locks the payment's row until the transaction ends (a no-op write: PostgreSQL takes the row
/// lock, SQLite's write lock is already held), so that operations on one payment take turns.
pub fn lock(conn: &mut DbConnection, id: PaymentId) -> Result<(), ApiError> {
    diesel::update(payments::table.find(id.to_string()))
        .set(payments::updated_at.eq(payments::updated_at))
        .execute(conn)?;
    Ok(())
}

/// Writes `next` if the stored payment is still in `expected_state`; false if it moved meanwhile.
pub fn update_from(conn: &mut DbConnection, next: &PaymentRow, expected_state: &str) -> Result<bool, ApiError> {
    let updated = diesel::update(payments::table.find(&next.id).filter(payments::state.eq(expected_state)))
        .set(next)
        .execute(conn)?;
    Ok(updated == 1)
}

/// Reserves `amount` for a refund, atomically: refused when less than that is still refundable.
pub fn reserve_refund(conn: &mut DbConnection, id: &str, amount_minor: i64) -> Result<bool, ApiError> {
    let updated = diesel::update(
        payments::table
            .find(id)
            .filter(payments::state.eq_any(["captured", "partially_refunded"]))
            .filter((payments::captured_minor - payments::refund_reserved_minor).ge(amount_minor)),
    )
    .set((
        payments::refund_reserved_minor.eq(payments::refund_reserved_minor + amount_minor),
        payments::updated_at.eq(platform::db::now()),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Books a confirmed refund on its payment; returns the payment as it is now.
pub fn record_refund(conn: &mut DbConnection, id: &str, amount_minor: i64) -> Result<PaymentRow, ApiError> {
    diesel::update(payments::table.find(id))
        .set((
            payments::refunded_minor.eq(payments::refunded_minor + amount_minor),
            payments::updated_at.eq(platform::db::now()),
        ))
        .execute(conn)?;
    let mut row = find(conn, id)?.ok_or_else(|| ApiError::not_found(format!("payment {id}")))?;
    let state = if row.refunded_minor == row.captured_minor { "refunded" } else { "partially_refunded" };
    diesel::update(payments::table.find(id)).set(payments::state.eq(state)).execute(conn)?;
    row.state = state.to_owned();
    Ok(row)
}

/// Gives back a reservation the provider refused.
pub fn release_refund(conn: &mut DbConnection, id: &str, amount_minor: i64) -> Result<(), ApiError> {
    diesel::update(payments::table.find(id))
        .set(payments::refund_reserved_minor.eq(payments::refund_reserved_minor - amount_minor))
        .execute(conn)?;
    Ok(())
}

pub fn insert_refund(conn: &mut DbConnection, row: &RefundRow) -> Result<(), ApiError> {
    diesel::insert_into(refunds::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find_refund(conn: &mut DbConnection, id: &str) -> Result<Option<RefundRow>, ApiError> {
    Ok(refunds::table.find(id).select(RefundRow::as_select()).first(conn).optional()?)
}

/// Moves a pending refund to `state`; false if it was no longer pending.
pub fn settle_refund(
    conn: &mut DbConnection,
    id: &str,
    state: &str,
    provider_ref: Option<&str>,
    failure_code: Option<&str>,
) -> Result<bool, ApiError> {
    let updated = diesel::update(refunds::table.find(id).filter(refunds::state.eq("pending")))
        .set((
            refunds::state.eq(state),
            refunds::provider_ref.eq(provider_ref),
            refunds::failure_code.eq(failure_code),
            refunds::updated_at.eq(platform::db::now()),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// A group's refunds with their payments' currencies, oldest first.
pub fn list_refunds_by_group(
    conn: &mut DbConnection,
    group: GroupId,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<(RefundRow, String)>, ApiError> {
    let mut query = refunds::table
        .inner_join(payments::table)
        .filter(payments::group_id.eq(group.to_string()))
        .order(refunds::id.asc())
        .limit(limit)
        .select((RefundRow::as_select(), payments::currency))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(refunds::id.gt(after.to_owned()));
    }
    Ok(query.load(conn)?)
}
