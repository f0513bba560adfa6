//! Wrong purchaser IDs and invite codes slow the guesser down (PRODUCT.md G2), and never the
//! purchaser who holds the right one: a caller with 10 wrong guesses within 10 minutes is refused
//! with 429 until the window has passed, and at an address that made 100 wrong guesses within
//! the window, so is any caller who guessed wrong there once (throwaway accounts behind one
//! script get one guess each). A caller who has not guessed wrong is never refused here. A
//! purchaser ID has 128 random bits, so guessing one is hopeless anyway; this keeps a guesser from
//! trying at speed. Counted per process.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use platform::ApiError;

/// Wrong guesses a caller may make per window.
const PER_CALLER: u32 = 10;
/// Wrong guesses from one address per window, past which its guessers are stopped.
const PER_ADDRESS: u32 = 100;
const WINDOW: Duration = Duration::from_secs(600);
/// Counters kept at most; expired ones are dropped first.
const MAX_TRACKED: usize = 100_000;

#[derive(Default)]
pub struct Guesses {
    wrong: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Guesses {
    /// Refuses with 429 a caller over its limit, or one that guessed wrong from an address over
    /// its limit.
    pub fn check(&self, caller: &str, address: Option<IpAddr>) -> Result<(), ApiError> {
        let wrong = self.wrong.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count =
            |key: &str| wrong.get(key).filter(|(since, _)| since.elapsed() < WINDOW).map(|(since, n)| (*n, *since));
        let by_caller = count(&caller_key(caller));
        let by_address = address.and_then(|a| count(&address_key(a)));
        let spent = match (by_caller, by_address) {
            (Some((n, since)), _) if n >= PER_CALLER => Some(since),
            (Some(_), Some((n, since))) if n >= PER_ADDRESS => Some(since),
            _ => None,
        };
        match spent {
            Some(since) => Err(ApiError::rate_limited(
                "too many wrong purchaser IDs or invite codes",
                WINDOW.saturating_sub(since.elapsed()).as_secs().max(1),
            )),
            None => Ok(()),
        }
    }

    /// Counts a wrong guess by `caller` from `address`.
    pub fn wrong(&self, caller: &str, address: Option<IpAddr>) {
        let mut wrong = self.wrong.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if wrong.len() >= MAX_TRACKED {
            wrong.retain(|_, (since, _)| since.elapsed() < WINDOW);
        }
        for key in [Some(caller_key(caller)), address.map(address_key)].into_iter().flatten() {
            let entry = wrong.entry(key).or_insert((Instant::now(), 0));
            if entry.0.elapsed() >= WINDOW {
                *entry = (Instant::now(), 0);
            }
            entry.1 += 1;
        }
    }
}

fn caller_key(caller: &str) -> String {
    format!("caller:{caller}")
}

fn address_key(address: IpAddr) -> String {
    format!("address:{address}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    // Issue 22, finding 5: many accounts guessing from one address stop themselves, not the
    // purchaser with the right ID.
    #[test]
    fn abuse_5_guessers_never_stop_a_caller_who_did_not_guess() {
        let guesses = Guesses::default();
        let here: Option<IpAddr> = Some([10, 0, 0, 1].into());
        for account in 0..10 {
            let caller = format!("shopper:throwaway{account}");
            for _ in 0..10 {
                guesses.check(&caller, here).unwrap();
                guesses.wrong(&caller, here);
            }
            assert!(guesses.check(&caller, here).is_err(), "10 wrong guesses stop the caller");
        }
        assert!(guesses.check("shopper:purchaser", here).is_ok(), "a caller who did not guess goes on");
        // A fresh account at the spent address gets one guess.
        guesses.check("shopper:fresh", here).unwrap();
        guesses.wrong("shopper:fresh", here);
        assert!(guesses.check("shopper:fresh", here).is_err());
        assert!(guesses.check("shopper:fresh", Some([10, 0, 0, 2].into())).is_ok(), "elsewhere it may");
    }
}
