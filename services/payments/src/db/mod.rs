//! The payments storage: portable diesel queries over SQLite and PostgreSQL.

pub mod ledger;
pub mod operations;
pub mod payments;
pub mod rows;
pub mod schema;

use diesel::prelude::*;
use platform::db::{DbConnection, DbError, now};
use schema::webhook_events;

/// Provider event ids are remembered this long: providers retry for up to three days.
pub const KEEP_WEBHOOK_IDS_DAYS: i64 = 30;

/// Deletes delivered outbox events and old provider event ids past their retention (the
/// platform purges idempotency keys, keeping unanswered ones that name a payment or refund).
pub fn purge_past_retention(conn: &mut DbConnection) -> Result<usize, DbError> {
    let ids_before = now() - chrono::Duration::days(KEEP_WEBHOOK_IDS_DAYS);
    let mut purged = platform::outbox::purge_delivered(conn)?;
    purged += diesel::delete(webhook_events::table.filter(webhook_events::received_at.lt(ids_before))).execute(conn)?;
    Ok(purged)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use platform::{
        db::{
            Db,
            schema::{idempotency_keys as ik, outbox},
        },
        store_test,
        testing::{TestDatabase, settings},
    };

    use super::*;

    // Issue 8, finding 1: webhook ids, operations and delivered outbox rows were never purged; an
    // unanswered operation that made a payment stays, to be resumed.
    store_test!(p5_rows_past_retention_are_purged_and_the_rest_kept, |backend| async move {
        let Some(test_db) = TestDatabase::create(backend, "purge") else { return };
        let db = Db::connect(&settings(&test_db.url).database, crate::service().migrations).await.unwrap();
        let left = db
            .run(|conn| {
                let (old, fresh) = (now() - chrono::Duration::days(40), now());
                for (id, at) in [("evt_old", old), ("evt_new", fresh)] {
                    diesel::insert_into(webhook_events::table)
                        .values((
                            webhook_events::provider.eq("sandbox"),
                            webhook_events::event_id.eq(id),
                            webhook_events::event_type.eq("payment_intent.succeeded"),
                            webhook_events::received_at.eq(at),
                        ))
                        .execute(conn)?;
                }
                for (key, answered, resource, at) in [
                    ("old-done", true, Some("pay_1"), old),
                    ("old-open", false, Some("pay_2"), old),
                    ("old-open-nothing-made", false, None, old),
                    ("new-done", true, Some("pay_3"), fresh),
                ] {
                    diesel::insert_into(ik::table)
                        .values((
                            ik::scope.eq("service:groups"),
                            ik::key.eq(key),
                            ik::request_hash.eq("h"),
                            ik::resource_id.eq(resource),
                            ik::response_status.eq(answered.then_some(201)),
                            ik::response_body.eq(answered.then_some(b"{}".to_vec())),
                            ik::created_at.eq(at),
                        ))
                        .execute(conn)?;
                }
                let delivered = platform::outbox::enqueue(conn, "grp", "payment.captured", &1)?;
                platform::outbox::enqueue(conn, "grp", "payment.captured", &2)?;
                diesel::update(outbox::table.find(&delivered))
                    .set((outbox::status.eq("delivered"), outbox::delivered_at.eq(Some(old))))
                    .execute(conn)?;

                let purged = purge_past_retention(conn)? + platform::idempotency::purge_expired(conn, now())?;
                let events: Vec<String> = webhook_events::table.select(webhook_events::event_id).load(conn)?;
                let mut keys: Vec<String> = ik::table.select(ik::key).load(conn)?;
                keys.sort();
                let waiting: i64 = outbox::table.count().get_result(conn)?;
                Ok::<_, DbError>((purged, events, keys, waiting))
            })
            .await
            .unwrap();
        assert_eq!(left, (4, vec!["evt_new".to_owned()], vec!["new-done".to_owned(), "old-open".to_owned()], 1));
    });
}
