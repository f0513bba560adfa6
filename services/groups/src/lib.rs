//! The groups service (PRODUCT.md G1-G10): groups for one product, joins inside a window, the
//! lifecycle, history and quotes. Groups owns the purchase state.

pub mod access;
pub mod config;
pub mod db;
pub mod model;
pub mod routes;

use std::{path::Path, time::Duration};

use actix_web::web;
use contracts::client::CatalogClient;
use platform::{
    db::Migrations,
    server::{Application, ServiceDef},
};

pub use config::{Config, DEFAULT_PORT, NAME};

const MIGRATIONS: Migrations = platform::migrations!();

pub fn service() -> ServiceDef {
    ServiceDef {
        name: NAME,
        version: env!("CARGO_PKG_VERSION"),
        default_port: DEFAULT_PORT,
        events: Vec::new,
        purge: |_| Ok(0),
        description: "Groups for one product: creation from a catalog snapshot, joins inside a window, the lifecycle, \
                      history and quotes. Reads are public; members' identities only for the organizer and the operator.",
        migrations: &[MIGRATIONS],
        routes: routes::configure,
        idempotency_middleware: true,
    }
}

pub fn settings(file: Option<&Path>) -> Result<Config, platform::config::ConfigError> {
    config::load(file)
}

/// What handlers need besides the store.
pub struct Context {
    pub catalog: CatalogClient,
    pub hold: chrono::Duration,
}

/// Builds the groups service on `config` (port 0 in tests).
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let g = &config.groups;
    let context = web::Data::new(Context {
        catalog: CatalogClient::new(&g.catalog_url, Duration::from_millis(g.call_timeout_ms))?,
        hold: chrono::Duration::days(g.hold_days),
    });
    Application::build_with(service(), config.service, move |cfg| {
        cfg.app_data(context.clone());
    })
    .await
}
