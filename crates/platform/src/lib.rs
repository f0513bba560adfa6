//! The platform every groupbuy service is built on: configuration, telemetry, problem+json
//! errors, JWT auth, request context, idempotency, pagination, storage, health and the server.

pub mod auth;
pub mod cache;
pub mod clock;
pub mod config;
pub mod context;
pub mod db;
pub mod error;
pub mod guard;
pub mod health;
pub mod idempotency;
pub mod instance;
pub mod json;
pub mod mail;
pub mod openapi;
pub mod outbound;
pub mod outbox;
pub mod page_cache;
pub mod pagination;
pub mod rate_limit;
pub mod server;
pub mod telemetry;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod webhook;

pub use error::{ApiError, ErrorCode};
