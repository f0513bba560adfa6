//! Shipping dispatch (PRODUCT.md S1-S3): shipping bases registered by the operator for the
//! suppliers they serve, shipments requested by groups per purchase, and their status reported by
//! bases and carriers, each change sent on to groups through the outbox.

pub mod config;
pub mod db;
pub mod routes;

use std::{path::Path, sync::Arc};

use platform::{
    db::Migrations,
    outbox::{self, Relay, TargetResolver},
    server::{Application, ServiceDef},
};

pub use config::{Config, DEFAULT_PORT, NAME};

const MIGRATIONS: Migrations = platform::migrations!();

pub fn service() -> ServiceDef {
    ServiceDef {
        name: NAME,
        version: env!("CARGO_PKG_VERSION"),
        description: "Shipping bases, shipments per purchase and their status from bases and carriers. Recipients' \
                      addresses reach only the operator, the services and the base handling the shipment.",
        migrations: &[outbox::MIGRATIONS, MIGRATIONS],
        routes: routes::configure,
        idempotency_middleware: true,
    }
}

pub fn settings(file: Option<&Path>) -> Result<Config, platform::config::ConfigError> {
    config::load(file)
}

/// Builds the service and starts the relay that tells groups of changes and pushes new
/// shipments to bases' callbacks.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let app = Application::build(service(), config.service.clone()).await?;
    let bases: TargetResolver = Arc::new(db::bases::callback_endpoint);
    if let Some(relay) = Relay::with_targets(app.db().clone(), config.shipping.subscriber.clone(), Some(bases))? {
        tokio::spawn(relay.run());
    }
    Ok(app)
}
