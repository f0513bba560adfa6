//! The catalog's API tests: every store test runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod auth;
mod bad_input;
mod helpers;
mod idempotency;
mod outage;
mod platform_endpoints;
mod products;
mod suppliers;
