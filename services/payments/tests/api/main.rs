//! The payments API tests: every store test runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod flows;
mod helpers;
mod idempotency;
mod sandbox;
mod stripe;
mod webhooks;
