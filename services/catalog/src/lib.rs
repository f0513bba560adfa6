//! The catalog service: suppliers, products of six kinds, price tiers and discount-rate tables
//! (PRODUCT.md C1-C5). Reads are public; suppliers write their own products, the operator any.

pub mod access;
pub mod db;
pub mod model;
pub mod routes;

use std::path::Path;

use platform::{
    config::ServiceSettings,
    server::{Application, ServiceDef},
};

pub const NAME: &str = "catalog";
pub const DEFAULT_PORT: u16 = 8081;

const MIGRATIONS: platform::db::Migrations = platform::migrations!();

/// The catalog as the platform runs it.
pub fn service() -> ServiceDef {
    ServiceDef {
        name: NAME,
        version: env!("CARGO_PKG_VERSION"),
        default_port: DEFAULT_PORT,
        events: Vec::new,
        purge: |_| Ok(0),
        description: "Suppliers, products of six kinds, price tiers and discount-rate tables. Reads are public.",
        migrations: &[MIGRATIONS],
        routes: routes::configure,
        idempotency_middleware: true,
        limited_writes: &[],
    }
}

/// Settings from defaults, an optional file and `GROUPBUY_…` variables.
pub fn settings(file: Option<&Path>) -> Result<ServiceSettings, platform::config::ConfigError> {
    platform::config::load(NAME, DEFAULT_PORT, "", file)
}

/// Builds the catalog on `settings` (port 0 in tests).
pub async fn build(settings: ServiceSettings) -> anyhow::Result<Application> {
    let pages = actix_web::web::Data::new(platform::page_cache::PageCache::default());
    Application::build_with(service(), settings, move |cfg| {
        cfg.app_data(pages.clone());
    })
    .await
}
