//! The suite as its users meet it: every service its own process, started by `groupbuy up` on free
//! ports (SQLite, or PostgreSQL with a database per service), driven over HTTP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::zombie_processes,
    reason = "tests fail loudly; the child is killed on failure"
)]

mod access;
mod chaos;
mod harness;
mod journeys;
mod limits;
mod processes;
mod webhooks;
