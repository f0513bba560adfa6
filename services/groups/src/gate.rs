//! The admission gate (PRODUCT.md G3): what this process learned about a group from refused joins,
//! so that a storm of joins on a full or closed group is answered from memory instead of queueing
//! for the store. The store's guarded update stays the authority: the gate only refuses, and
//! only for as long as its knowledge holds — a group that is no longer open stays so; a full one
//! is re-checked after [`FULL_FOR`], so a seat freed by a leave or a failed payment (here or on
//! another replica) is offered again within that time.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use domain::{GroupId, group::JoinRefused};

/// How long a group seen full is refused without asking the store.
pub const FULL_FOR: Duration = Duration::from_millis(500);

#[derive(Clone, Default)]
pub struct Gate {
    known: Arc<Mutex<HashMap<GroupId, Known>>>,
}

#[derive(Clone)]
enum Known {
    /// Closed, settled, failed, cancelled or past its window: for good.
    Shut(JoinRefused),
    Full {
        until: Instant,
    },
}

impl Gate {
    /// Why a join on `group` is refused without asking the store, if it is.
    pub fn refuses(&self, group: GroupId) -> Option<JoinRefused> {
        let known = self.known.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match known.get(&group)? {
            Known::Shut(why) => Some(why.clone()),
            Known::Full { until } if Instant::now() < *until => Some(JoinRefused::Full),
            Known::Full { .. } => None,
        }
    }

    /// Notes why the store refused a join.
    pub fn learn(&self, group: GroupId, why: &JoinRefused) {
        let known = match why {
            JoinRefused::NotOpen(_) | JoinRefused::WindowClosed => Known::Shut(why.clone()),
            JoinRefused::Full => Known::Full { until: Instant::now() + FULL_FOR },
            // Depends on the quantity asked, or on time: the store decides each time.
            JoinRefused::TooMany(_) | JoinRefused::NotYetOpen => return,
        };
        self.known.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(group, known);
    }
}
