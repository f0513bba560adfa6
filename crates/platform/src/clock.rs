//! The time as a service sees it: the system's, moved forward by a test to cover what happens
//! later (a key past its retention, a hold past its expiry, a payment waiting too long). Every clone
//! shares the offset, so a test moves the running service's clock through [`crate::db::Db::clock`].

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use chrono::NaiveDateTime;

#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_us: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// Now, to the microsecond (see [`crate::db::now`]).
    pub fn now(&self) -> NaiveDateTime {
        crate::db::now() + chrono::Duration::microseconds(self.offset_us.load(Ordering::SeqCst))
    }

    /// Moves this clock, and every clone of it, forward by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_us.fetch_add(by.num_microseconds().unwrap_or(i64::MAX), Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x7_clones_move_together() {
        let clock = Clock::system();
        let seen_by_the_service = clock.clone();
        let before = seen_by_the_service.now();
        clock.advance(chrono::Duration::hours(25));
        assert!(seen_by_the_service.now() - before >= chrono::Duration::hours(25));
    }
}
