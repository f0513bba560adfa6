//! Wrong purchaser IDs and invite codes slow the guesser down (PRODUCT.md G2): per caller and per
//! group, beyond a number of wrong guesses within a window, purchases are refused with 429 until
//! the window has passed. A purchaser ID has 128 random bits, so guessing one is hopeless anyway;
//! this keeps a guesser from trying at speed. Counted per process.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use domain::GroupId;
use platform::ApiError;

/// Wrong guesses a caller may make per window.
const PER_CALLER: u32 = 10;
/// Wrong guesses on one group per window, from anyone.
const PER_GROUP: u32 = 100;
const WINDOW: Duration = Duration::from_secs(600);
/// Counters kept at most; expired ones are dropped first.
const MAX_TRACKED: usize = 100_000;

#[derive(Default)]
pub struct Guesses {
    wrong: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Guesses {
    /// Refuses with 429 while the caller or the group is over its limit.
    pub fn check(&self, caller: &str, group: GroupId) -> Result<(), ApiError> {
        let wrong = self.wrong.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (key, limit) in [(format!("caller:{caller}"), PER_CALLER), (format!("group:{group}"), PER_GROUP)] {
            if let Some((since, n)) = wrong.get(&key) {
                let left = WINDOW.saturating_sub(since.elapsed());
                if *n >= limit && !left.is_zero() {
                    return Err(ApiError::rate_limited("too many wrong purchaser IDs or invite codes", left.as_secs()));
                }
            }
        }
        Ok(())
    }

    /// Counts a wrong guess by `caller` on `group`.
    pub fn wrong(&self, caller: &str, group: GroupId) {
        let mut wrong = self.wrong.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if wrong.len() >= MAX_TRACKED {
            wrong.retain(|_, (since, _)| since.elapsed() < WINDOW);
        }
        for key in [format!("caller:{caller}"), format!("group:{group}")] {
            let entry = wrong.entry(key).or_insert((Instant::now(), 0));
            if entry.0.elapsed() >= WINDOW {
                *entry = (Instant::now(), 0);
            }
            entry.1 += 1;
        }
    }
}
