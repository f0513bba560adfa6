//! Members of groups. A member's state moves only through guarded updates on its current state.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use domain::{GroupId, PaymentId, ShipmentId, group::MemberState, payment::PaymentState, shipment::ShipmentState};
use platform::db::{DbConnection, StoreError, Stored};

use super::{rows::MemberRow, schema::members};

/// Writes new members, one statement for many.
pub fn insert_all(conn: &mut DbConnection, rows: &[MemberRow]) -> Result<(), StoreError> {
    platform::insert_rows!(conn, members::table, rows)?;
    Ok(())
}

/// The states in which a member holds a seat.
fn holding() -> Vec<Stored<MemberState>> {
    [MemberState::Reserved, MemberState::Held, MemberState::Paid].into_iter().map(Stored).collect()
}

/// Those of `shoppers` who hold a seat in the group.
pub fn seated_among(
    conn: &mut DbConnection,
    group: GroupId,
    shoppers: &[&str],
) -> Result<std::collections::HashSet<String>, StoreError> {
    let seated: Vec<String> = members::table
        .filter(members::group_id.eq(Stored(group)))
        .filter(members::shopper.eq_any(shoppers))
        .filter(members::state.eq_any(holding()))
        .select(members::shopper)
        .load(conn)?;
    Ok(seated.into_iter().collect())
}

/// The shopper's seat in the group, if it holds one.
pub fn seated(conn: &mut DbConnection, group: GroupId, shopper: &str) -> Result<Option<MemberRow>, StoreError> {
    Ok(members::table
        .filter(members::group_id.eq(Stored(group)))
        .filter(members::shopper.eq(shopper))
        .filter(members::state.eq_any(holding()))
        .select(MemberRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<MemberRow>, StoreError> {
    Ok(members::table.find(id).select(MemberRow::as_select()).first(conn).optional()?)
}

/// Notes the member's payment and its state as payments reported it.
pub fn record_payment(
    conn: &mut DbConnection,
    id: &str,
    payment: PaymentId,
    state: PaymentState,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    diesel::update(members::table.find(id))
        .set((
            members::payment_id.eq(payment.to_string()),
            members::payment_state.eq(Stored(state)),
            members::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Notes the member's shipment and where it is, as shipping reported; a report older than the
/// state already known (they may arrive out of order) changes nothing.
pub fn record_shipment(
    conn: &mut DbConnection,
    id: &str,
    shipment: ShipmentId,
    state: ShipmentState,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let Some(member) = find(conn, id)? else { return Ok(()) };
    if member.shipment_state.is_some_and(|known| known.0 == state || !known.0.can_move_to(state)) {
        return Ok(());
    }
    diesel::update(members::table.find(id))
        .set((
            members::shipment_id.eq(shipment.to_string()),
            members::shipment_state.eq(Stored(state)),
            members::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks the paid members of `group` (those in `seats`, or all) fulfilled at `now`; how many
/// were newly marked.
pub fn fulfil(
    conn: &mut DbConnection,
    group: GroupId,
    seats: Option<&[u32]>,
    now: NaiveDateTime,
) -> Result<usize, StoreError> {
    let mut query = diesel::update(members::table)
        .filter(members::group_id.eq(Stored(group)))
        .filter(members::state.eq(Stored(MemberState::Paid)))
        .filter(members::fulfilled_at.is_null())
        .into_boxed();
    if let Some(seats) = seats {
        query = query.filter(members::seat.eq_any(seats.iter().map(|&s| i64::from(s)).collect::<Vec<_>>()));
    }
    Ok(query.set((members::fulfilled_at.eq(now), members::updated_at.eq(now))).execute(conn)?)
}

/// Every member of the group, in joining order.
pub fn of_group(conn: &mut DbConnection, group: GroupId) -> Result<Vec<MemberRow>, StoreError> {
    Ok(members::table
        .filter(members::group_id.eq(Stored(group)))
        .order(members::seat.asc())
        .select(MemberRow::as_select())
        .load(conn)?)
}

/// Moves the member from `from` to `to`; false if it was no longer `from`.
pub fn set_state(
    conn: &mut DbConnection,
    id: &str,
    from: MemberState,
    to: MemberState,
    failure_code: Option<&str>,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let moved = diesel::update(members::table.find(id).filter(members::state.eq(Stored(from))))
        .set((members::state.eq(Stored(to)), members::failure_code.eq(failure_code), members::updated_at.eq(now)))
        .execute(conn)?;
    Ok(moved == 1)
}

/// Places the members in the bid request's demands, in the order given.
pub fn place_demands(conn: &mut DbConnection, ids: &[&str]) -> Result<(), StoreError> {
    for (place, id) in ids.iter().enumerate() {
        let place = i32::try_from(place).map_err(|e| StoreError::Corrupt(e.into()))?;
        diesel::update(members::table.find(*id)).set(members::demand_place.eq(place)).execute(conn)?;
    }
    Ok(())
}

/// Records what the award charges the member and who ships its units (once).
pub fn record_service(
    conn: &mut DbConnection,
    id: &str,
    charge_minor: i64,
    shipped_by: &str,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let recorded = diesel::update(members::table.find(id).filter(members::charge_minor.is_null()))
        .set((members::charge_minor.eq(charge_minor), members::shipped_by.eq(shipped_by), members::updated_at.eq(now)))
        .execute(conn)?;
    Ok(recorded == 1)
}
