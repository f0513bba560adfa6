//! Payment and refund rows. Every state change is a guarded update (`WHERE state = <expected>`),
//! so two writers racing on one payment cannot both move it.

use contracts::payments::RefundState;
use diesel::prelude::*;
use domain::{
    Currency, GroupId, PaymentId, RefundId,
    payment::{PaymentBook, PaymentState},
};
use platform::{
    ApiError,
    db::{DbConnection, StoreError, Stored},
};

use super::{
    rows::{PaymentRow, RefundRow},
    schema::{payments, refunds},
};

pub fn insert(conn: &mut DbConnection, row: &PaymentRow) -> Result<(), StoreError> {
    diesel::insert_into(payments::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: PaymentId) -> Result<Option<PaymentRow>, StoreError> {
    Ok(payments::table.find(Stored(id)).select(PaymentRow::as_select()).first(conn).optional()?)
}

/// The payment, or a 404 problem.
pub fn get(conn: &mut DbConnection, id: PaymentId) -> Result<PaymentRow, ApiError> {
    find(conn, id)?.ok_or_else(|| ApiError::not_found(format!("payment {id}")))
}

pub fn find_by_provider_ref(
    conn: &mut DbConnection,
    provider: &str,
    provider_ref: &str,
) -> Result<Option<PaymentRow>, StoreError> {
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
    after: Option<PaymentId>,
    limit: i64,
) -> Result<Vec<PaymentRow>, StoreError> {
    let mut query = payments::table
        .filter(payments::group_id.eq(Stored(group)))
        .order(payments::id.asc())
        .limit(limit)
        .select(PaymentRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(payments::id.gt(Stored(after)));
    }
    Ok(query.load(conn)?)
}

/// Locks the payment's row until the transaction ends (a no-op write: PostgreSQL takes the row
/// lock, SQLite's write lock is already held), so that operations on one payment take turns.
pub fn lock(conn: &mut DbConnection, id: PaymentId) -> Result<(), StoreError> {
    diesel::update(payments::table.find(Stored(id)))
        .set(payments::updated_at.eq(payments::updated_at))
        .execute(conn)?;
    Ok(())
}

/// Writes `next` if the stored payment is still in `expected_state`; false if it moved meanwhile.
pub fn update_from(
    conn: &mut DbConnection,
    next: &PaymentRow,
    expected_state: PaymentState,
) -> Result<bool, StoreError> {
    let updated = diesel::update(payments::table.find(next.id).filter(payments::state.eq(Stored(expected_state))))
        .set(next)
        .execute(conn)?;
    Ok(updated == 1)
}

/// Writes what the domain decided for a payment's amounts and state: `next`, computed from the
/// stored `before` (read under [`lock`]). Guarded by `before`, so a write that raced another is
/// refused, never merged.
pub fn save_book(
    conn: &mut DbConnection,
    id: PaymentId,
    before: &PaymentBook,
    next: &PaymentBook,
) -> Result<(), ApiError> {
    let minor = |m: domain::Money| m.to_minor().map_err(ApiError::internal);
    let updated = diesel::update(
        payments::table
            .find(Stored(id))
            .filter(payments::state.eq(Stored(before.state)))
            .filter(payments::captured_minor.eq(minor(before.captured)?))
            .filter(payments::refunded_minor.eq(minor(before.refunded)?))
            .filter(payments::refund_reserved_minor.eq(minor(before.refund_reserved)?)),
    )
    .set((
        payments::state.eq(Stored(next.state)),
        payments::captured_minor.eq(minor(next.captured)?),
        payments::refunded_minor.eq(minor(next.refunded)?),
        payments::refund_reserved_minor.eq(minor(next.refund_reserved)?),
        payments::updated_at.eq(platform::db::now()),
    ))
    .execute(conn)
    .map_err(StoreError::from)?;
    if updated == 1 { Ok(()) } else { Err(ApiError::conflict(format!("payment {id} changed meanwhile; retry"))) }
}

/// Runs a domain transition on payment `id`: locked, read, changed by `transition`, written.
/// Returns the payment as stored afterwards and what the transition returned.
pub fn transition<T>(
    conn: &mut DbConnection,
    id: PaymentId,
    transition: impl FnOnce(&mut PaymentBook) -> Result<T, ApiError>,
) -> Result<(PaymentRow, T), ApiError> {
    lock(conn, id)?;
    let row = get(conn, id)?;
    let before = row.book();
    let mut next = before.clone();
    let out = transition(&mut next)?;
    save_book(conn, id, &before, &next)?;
    Ok((get(conn, id)?, out))
}

pub fn insert_refund(conn: &mut DbConnection, row: &RefundRow) -> Result<(), StoreError> {
    diesel::insert_into(refunds::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find_refund(conn: &mut DbConnection, id: RefundId) -> Result<Option<RefundRow>, StoreError> {
    Ok(refunds::table.find(Stored(id)).select(RefundRow::as_select()).first(conn).optional()?)
}

/// Moves a pending refund to `state`; false if it was no longer pending.
pub fn settle_refund(
    conn: &mut DbConnection,
    id: RefundId,
    state: RefundState,
    provider_ref: Option<&str>,
    failure_code: Option<&str>,
) -> Result<bool, StoreError> {
    let updated =
        diesel::update(refunds::table.find(Stored(id)).filter(refunds::state.eq(Stored(RefundState::Pending))))
            .set((
                refunds::state.eq(Stored(state)),
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
    after: Option<RefundId>,
    limit: i64,
) -> Result<Vec<(RefundRow, Stored<Currency>)>, StoreError> {
    let mut query = refunds::table
        .inner_join(payments::table)
        .filter(payments::group_id.eq(Stored(group)))
        .order(refunds::id.asc())
        .limit(limit)
        .select((RefundRow::as_select(), payments::currency))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(refunds::id.gt(Stored(after)));
    }
    Ok(query.load(conn)?)
}
