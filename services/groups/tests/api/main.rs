//! The groups service's API tests: every store test runs on SQLite and on PostgreSQL, against a
//! real catalog over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod abuse;
mod auction;
mod bulk;
mod closing;
mod creation;
mod helpers;
mod joins;
mod live;
mod payments;
mod progress;
mod storefronts;
