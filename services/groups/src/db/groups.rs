//! Groups and their history. A group's tally and event count move only through guarded updates,
//! so events are numbered 1, 2, 3 … without gaps and the caps hold under any concurrency.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use domain::{
    GroupId, ProductId, SupplierId,
    group::{GroupMode, GroupState},
};
use platform::db::{DbConnection, StoreError, Stored};

use super::{
    rows::{EventRow, GroupRow},
    schema::{group_events, groups},
};

/// `GET /v1/groups` filters.
#[derive(Debug, Default, Clone)]
pub struct GroupFilter {
    pub state: Option<GroupState>,
    pub mode: Option<GroupMode>,
    pub product_id: Option<ProductId>,
    pub supplier_id: Option<SupplierId>,
}

/// Stores a new group with its first event, `created`.
pub fn insert(conn: &mut DbConnection, row: &GroupRow, unit_price_minor: i64) -> Result<(), StoreError> {
    diesel::insert_into(groups::table).values(row).execute(conn)?;
    record_event(conn, row, "created", unit_price_minor, row.created_at)
}

/// Appends the event numbered `row.event_count` with the tally and state in `row`.
pub fn record_event(
    conn: &mut DbConnection,
    row: &GroupRow,
    kind: &str,
    unit_price_minor: i64,
    at: NaiveDateTime,
) -> Result<(), StoreError> {
    record_events(conn, row, vec![EventRow::of(row, kind, unit_price_minor, at)])
}

/// Appends `events` of the group `row` (numbered on from its last), and tells the storefronts.
pub fn record_events(conn: &mut DbConnection, row: &GroupRow, events: Vec<EventRow>) -> Result<(), StoreError> {
    platform::insert_rows!(conn, group_events::table, &events)?;
    let points = events.iter().map(|event| event.to_dto(row.currency.0)).collect();
    crate::storefronts::notify(conn, row.id(), points)
}

/// Locks the group's row until the transaction ends (a no-op write: PostgreSQL takes the row lock,
/// SQLite's write lock is already held), so that changes to one group's members take turns.
pub fn lock(conn: &mut DbConnection, id: GroupId) -> Result<(), StoreError> {
    diesel::update(groups::table.find(Stored(id))).set(groups::updated_at.eq(groups::updated_at)).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: GroupId) -> Result<Option<GroupRow>, StoreError> {
    Ok(groups::table.find(Stored(id)).select(GroupRow::as_select()).first(conn).optional()?)
}

pub fn list(
    conn: &mut DbConnection,
    filter: &GroupFilter,
    after: Option<GroupId>,
    limit: i64,
) -> Result<Vec<GroupRow>, StoreError> {
    let mut query = groups::table.order(groups::id.asc()).limit(limit).select(GroupRow::as_select()).into_boxed();
    if let Some(state) = filter.state {
        query = query.filter(groups::state.eq(Stored(state)));
    }
    if let Some(mode) = filter.mode {
        query = query.filter(groups::mode.eq(Stored(mode)));
    }
    if let Some(product) = filter.product_id {
        query = query.filter(groups::product_id.eq(Stored(product)));
    }
    if let Some(supplier) = filter.supplier_id {
        query = query.filter(groups::supplier_id.eq(Stored(supplier)));
    }
    if let Some(after) = after {
        query = query.filter(groups::id.gt(Stored(after)));
    }
    Ok(query.load(conn)?)
}

/// Writes the tally, seats and event count of `after`, a group admitted joins to under its
/// [`lock`], if the stored row is still `before` (its event count); false if it is not.
pub fn set_tally(conn: &mut DbConnection, before: &GroupRow, after: &GroupRow) -> Result<bool, StoreError> {
    let written = diesel::update(groups::table.find(before.id).filter(groups::event_count.eq(before.event_count)))
        .set((
            groups::member_count.eq(after.member_count),
            groups::quantity.eq(after.quantity),
            groups::seats_taken.eq(after.seats_taken),
            groups::event_count.eq(after.event_count),
            groups::updated_at.eq(after.updated_at),
        ))
        .execute(conn)?;
    Ok(written == 1)
}

/// Gives back a seat of `quantity` units (a member left, or its payment failed) while the group
/// is open; the group afterwards, or `None` if it is no longer open.
pub fn free_seat(
    conn: &mut DbConnection,
    id: GroupId,
    quantity: u32,
    now: NaiveDateTime,
) -> Result<Option<GroupRow>, StoreError> {
    let q = i64::from(quantity);
    let freed = diesel::update(
        groups::table
            .find(Stored(id))
            .filter(groups::state.eq(Stored(GroupState::Open)))
            .filter(groups::member_count.ge(1))
            .filter(groups::quantity.ge(q)),
    )
    .set((
        groups::member_count.eq(groups::member_count - 1),
        groups::quantity.eq(groups::quantity - q),
        groups::event_count.eq(groups::event_count + 1),
        groups::updated_at.eq(now),
    ))
    .execute(conn)?;
    if freed == 0 {
        return Ok(None);
    }
    find(conn, id)
}

/// Moves the group from `from` to `to` (guarded: false if it was no longer `from`), counting one
/// event; the group afterwards.
pub fn transition(
    conn: &mut DbConnection,
    id: GroupId,
    from: GroupState,
    to: GroupState,
    final_unit_price_minor: Option<i64>,
    now: NaiveDateTime,
) -> Result<Option<GroupRow>, StoreError> {
    let moved = diesel::update(groups::table.find(Stored(id)).filter(groups::state.eq(Stored(from))))
        .set((
            groups::state.eq(Stored(to)),
            groups::final_unit_price_minor.eq(final_unit_price_minor),
            groups::event_count.eq(groups::event_count + 1),
            groups::updated_at.eq(now),
        ))
        .execute(conn)?;
    if moved == 0 {
        return Ok(None);
    }
    find(conn, id)
}

/// Counts one more event on the group (one that changes neither tally nor state); the group
/// afterwards.
pub fn bump_events(conn: &mut DbConnection, id: GroupId, now: NaiveDateTime) -> Result<Option<GroupRow>, StoreError> {
    diesel::update(groups::table.find(Stored(id)))
        .set((groups::event_count.eq(groups::event_count + 1), groups::updated_at.eq(now)))
        .execute(conn)?;
    find(conn, id)
}

/// Open groups whose window ended by `now` and that wait for no seat beyond `now`, oldest
/// deadline first.
pub fn due(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> Result<Vec<GroupId>, StoreError> {
    let ids: Vec<Stored<GroupId>> = groups::table
        .filter(groups::state.eq(Stored(GroupState::Open)))
        .filter(groups::closes_at.le(now))
        .filter(groups::close_waits_until.is_null().or(groups::close_waits_until.le(now)))
        .order(groups::closes_at.asc())
        .limit(limit)
        .select(groups::id)
        .load(conn)?;
    Ok(ids.into_iter().map(|id| id.0).collect())
}

/// Sets when the scheduler looks at an open group past its window again (`None`: at its next
/// pass, a seat having answered).
pub fn wait_for_seats(conn: &mut DbConnection, id: GroupId, until: Option<NaiveDateTime>) -> Result<(), StoreError> {
    diesel::update(groups::table.find(Stored(id))).set(groups::close_waits_until.eq(until)).execute(conn)?;
    Ok(())
}

/// The history: every event, or the last one recorded by `at`.
pub fn history(
    conn: &mut DbConnection,
    id: GroupId,
    at: Option<NaiveDateTime>,
    after_sequence: i64,
) -> Result<Vec<EventRow>, StoreError> {
    let events = group_events::table.filter(group_events::group_id.eq(Stored(id))).select(EventRow::as_select());
    Ok(match at {
        Some(at) => {
            events.filter(group_events::recorded_at.le(at)).order(group_events::sequence.desc()).limit(1).load(conn)?
        }
        None => {
            events.filter(group_events::sequence.gt(after_sequence)).order(group_events::sequence.asc()).load(conn)?
        }
    })
}

/// Notes that the auction's bid request is being asked for; false if it was already.
pub fn mark_bid_requested(conn: &mut DbConnection, id: GroupId, now: NaiveDateTime) -> Result<bool, StoreError> {
    let marked = diesel::update(groups::table.find(Stored(id)).filter(groups::bid_requested_at.is_null()))
        .set((groups::bid_requested_at.eq(now), groups::updated_at.eq(now)))
        .execute(conn)?;
    Ok(marked == 1)
}

/// Notes the bid request bidding opened for the auction (once).
pub fn record_bid_request(conn: &mut DbConnection, id: GroupId, request: uuid::Uuid) -> Result<(), StoreError> {
    diesel::update(groups::table.find(Stored(id)).filter(groups::bid_request_id.is_null()))
        .set(groups::bid_request_id.eq(request.to_string()))
        .execute(conn)?;
    Ok(())
}

/// Records the award on a closing auction (guarded: once), counting one event: its total and
/// the blended unit price; the group afterwards, or `None` if it was recorded already.
pub fn record_award(
    conn: &mut DbConnection,
    id: GroupId,
    request: uuid::Uuid,
    (total_minor, unit_minor): (i64, i64),
    now: NaiveDateTime,
) -> Result<Option<GroupRow>, StoreError> {
    let recorded = diesel::update(
        groups::table
            .find(Stored(id))
            .filter(groups::state.eq(Stored(GroupState::Closing)))
            .filter(groups::award_total_minor.is_null()),
    )
    .set((
        groups::award_total_minor.eq(total_minor),
        groups::final_unit_price_minor.eq(unit_minor),
        groups::bid_request_id.eq(request.to_string()),
        groups::event_count.eq(groups::event_count + 1),
        groups::updated_at.eq(now),
    ))
    .execute(conn)?;
    if recorded == 0 {
        return Ok(None);
    }
    find(conn, id)
}
