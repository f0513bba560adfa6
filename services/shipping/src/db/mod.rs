//! The shipping storage: portable diesel queries over SQLite and PostgreSQL.

pub mod bases;
pub mod schema;
pub mod shipments;

use diesel::prelude::*;
use platform::db::{DbConnection, DbError, now};
use schema::base_webhook_messages;

/// Bases' webhook message ids are remembered this long, for de-duplication.
pub const KEEP_WEBHOOK_IDS_DAYS: i64 = 30;

/// Deletes delivered outbox events and old base message ids past their retention.
pub fn purge_past_retention(conn: &mut DbConnection) -> Result<usize, DbError> {
    let before = now() - chrono::Duration::days(KEEP_WEBHOOK_IDS_DAYS);
    let mut purged = platform::outbox::purge_delivered(conn)?;
    purged += diesel::delete(base_webhook_messages::table.filter(base_webhook_messages::received_at.lt(before)))
        .execute(conn)?;
    Ok(purged)
}
