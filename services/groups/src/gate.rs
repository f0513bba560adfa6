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
/// Groups remembered at most: past it the gate forgets all and asks the store again, which only
/// costs a refused join its trip to the store (a long-running process sees groups without end).
const MAX_KNOWN: usize = 10_000;

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
        let mut known_groups = self.known.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if known_groups.len() >= MAX_KNOWN {
            known_groups.clear();
        }
        known_groups.insert(group, known);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g3_what_the_gate_remembers_is_bounded() {
        let gate = Gate::default();
        let first = GroupId::generate();
        gate.learn(first, &JoinRefused::WindowClosed);
        for _ in 0..MAX_KNOWN {
            gate.learn(GroupId::generate(), &JoinRefused::WindowClosed);
        }
        let known = gate.known.lock().unwrap().len();
        assert!(known <= MAX_KNOWN, "{known}");
        assert_eq!(gate.refuses(first), None, "forgotten: the store decides again");
    }
}
