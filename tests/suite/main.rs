//! Tests across the whole suite: every service boots, and the committed OpenAPI documents are the
//! ones the code generates (PRODUCT.md X5).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod boot;
mod openapi;
