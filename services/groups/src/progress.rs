//! Live progress (PRODUCT.md G8): one watcher per watched group reads the group's new events from
//! the store and hands them to every stream following it. Reading the store (rather than this
//! process's writes) means a change made by any replica reaches every stream; one reader per group
//! keeps that to one small indexed query per group and interval, however many pages follow it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use domain::GroupId;
use platform::db::Db;
use tokio::sync::broadcast;

use crate::db::{groups, rows::EventRow};

/// How often a watcher looks for new events.
const INTERVAL: Duration = Duration::from_millis(200);
/// Events a slow stream may fall behind before it is told to reconnect (and catch up from the store).
const BUFFER: usize = 256;

#[derive(Clone, Default)]
pub struct Hub {
    watched: Arc<Mutex<HashMap<GroupId, broadcast::Sender<EventRow>>>>,
}

impl Hub {
    /// Follows the group's events recorded after `after` (at most the store's last event: a
    /// follower that asked for less reads the rest from the store itself); the watcher starts
    /// with the first follower and stops with the last.
    pub fn follow(&self, db: &Db, group: GroupId, after: i64) -> broadcast::Receiver<EventRow> {
        let mut watched = self.watched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(sender) = watched.get(&group) {
            return sender.subscribe();
        }
        let (sender, receiver) = broadcast::channel(BUFFER);
        watched.insert(group, sender.clone());
        tokio::spawn(watch(self.clone(), db.clone(), group, after, sender));
        receiver
    }

    fn forget(&self, group: GroupId) -> bool {
        let mut watched = self.watched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match watched.get(&group) {
            Some(sender) if sender.receiver_count() == 0 => {
                watched.remove(&group);
                true
            }
            _ => false,
        }
    }
}

async fn watch(hub: Hub, db: Db, group: GroupId, mut last: i64, sender: broadcast::Sender<EventRow>) {
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if sender.receiver_count() == 0 && hub.forget(group) {
            return;
        }
        let after = last;
        match db.run(move |conn| groups::history(conn, group, None, after)).await {
            Ok(events) => {
                for event in events {
                    last = last.max(event.sequence);
                    let _ = sender.send(event);
                }
            }
            Err(e) => tracing::warn!(group.id = %group, error.cause = %e, "reading a group's events failed"),
        }
    }
}
