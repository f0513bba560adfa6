//! The bidding API tests: every store test runs on SQLite and on PostgreSQL, against a real
//! catalog.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod award;
mod helpers;
mod offers;
mod requests;
