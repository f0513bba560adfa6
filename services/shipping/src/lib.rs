//! Shipping dispatch (PRODUCT.md S1-S3): shipping bases registered by the operator for the
//! suppliers they serve, shipments requested by groups per purchase, and their status reported by
//! bases and carriers, each change sent on to groups through the outbox.

pub mod access;
pub mod config;
pub mod db;
pub mod routes;

use std::{path::Path, sync::Arc};

use actix_web::web;
use platform::{
    db::Migrations,
    openapi::EventDoc,
    outbound::TargetPolicy,
    outbox::{self, Relay, TargetResolver},
    server::{Application, ServiceDef},
};

pub use config::{Config, DEFAULT_PORT, NAME};

const MIGRATIONS: Migrations = platform::migrations!();

/// What shipping tells its subscriber (groups, without addresses) and a base's callback.
fn events() -> Vec<EventDoc> {
    use contracts::shipping::{Shipment, ShipmentSummary};
    let change = |key, summary| EventDoc::of::<ShipmentSummary>(key, key, summary);
    vec![
        change("shipment.requested", "A shipment was requested of the base serving the supplier"),
        change("shipment.dispatched", "The base dispatched it, with a tracking number and carrier"),
        change("shipment.in_transit", "The carrier has it"),
        change("shipment.delivered", "It was delivered"),
        change("shipment.failed", "It could not be delivered"),
        change("shipment.returned", "It came back"),
        EventDoc::of::<Shipment>(
            "shipment.requested (to the base)",
            "shipment.requested",
            "To the base's callback, signed with its secret: a shipment to make, address included",
        ),
    ]
}

pub fn service() -> ServiceDef {
    ServiceDef {
        name: NAME,
        version: env!("CARGO_PKG_VERSION"),
        default_port: DEFAULT_PORT,
        events,
        purge: db::purge_past_retention,
        description: "Shipping bases, shipments per purchase and their status from bases and carriers. Recipients' \
                      addresses reach only the operator, the services and the base handling the shipment.",
        migrations: &[outbox::MIGRATIONS, MIGRATIONS],
        routes: routes::configure,
        idempotency_middleware: true,
        limited_writes: &[],
    }
}

pub fn settings(file: Option<&Path>) -> Result<Config, platform::config::ConfigError> {
    config::load(file)
}

/// Builds the service and starts the relay that tells groups of changes and pushes new
/// shipments to bases' callbacks.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let policy = web::Data::new(TargetPolicy { allow_private: config.shipping.subscriber.allow_private_targets });
    let app = Application::build_with(service(), config.service.clone(), move |cfg| {
        cfg.app_data(policy.clone());
    })
    .await?;
    let bases: TargetResolver = Arc::new(db::bases::callback_endpoint);
    if let Some(relay) = Relay::with_targets(app.db().clone(), config.shipping.subscriber.clone(), Some(bases))? {
        tokio::spawn(relay.run());
    }
    Ok(app)
}
