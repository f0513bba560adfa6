//! This process among its service's replicas: an id, and a heartbeat in the service's store, so
//! that work a dead process left half-way (a request under an `Idempotency-Key`) can be taken over
//! at once by a live one, while work a live replica is still doing is left alone.

use diesel::prelude::*;

use chrono::NaiveDateTime;

use crate::db::{DbConnection, DbError, schema::instances};

/// How often a process says it is alive.
pub const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(1);
/// A process silent this long is dead.
pub const STALE_AFTER_SECS: i64 = 5;
/// Dead processes' rows are kept this long, then purged.
const KEEP_DEAD_HOURS: i64 = 1;

/// Records that `id` is alive at `at`.
pub fn beat(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> Result<(), DbError> {
    let updated = diesel::update(instances::table.find(id)).set(instances::heartbeat_at.eq(at)).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(instances::table)
            .values((instances::id.eq(id), instances::heartbeat_at.eq(at)))
            .execute(conn)?;
    }
    Ok(())
}

/// Whether `id` beat shortly before `now`.
pub fn is_alive(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> Result<bool, DbError> {
    let since = now - chrono::Duration::seconds(STALE_AFTER_SECS);
    let last: Option<chrono::NaiveDateTime> =
        instances::table.find(id).select(instances::heartbeat_at).first(conn).optional()?;
    Ok(last.is_some_and(|at| at > since))
}

/// Whether work claimed by `running_on` is still being done: by `me`, or by another live process.
/// Work nobody claims (`None`, let go) is not.
pub fn still_running(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    me: &str,
    running_on: Option<&str>,
) -> Result<bool, DbError> {
    match running_on {
        Some(running_on) => Ok(running_on == me || is_alive(conn, running_on, now)?),
        None => Ok(false),
    }
}

/// Forgets processes dead for a while.
pub fn purge_dead(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, DbError> {
    let before = now - chrono::Duration::hours(KEEP_DEAD_HOURS);
    Ok(diesel::delete(instances::table.filter(instances::heartbeat_at.lt(before))).execute(conn)?)
}
