//! The shipping API tests: every store test runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod bases;
mod helpers;
mod reports;
mod shipments;
