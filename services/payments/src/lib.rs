//! The payments adapter (PRODUCT.md P1-P5): one API over payment providers for groups, provider
//! webhooks, a double-entry ledger per group, and outcomes sent to groups through the outbox.

pub mod access;
pub mod config;
pub mod db;
pub mod outcomes;
pub mod provider;
pub mod reconcile;
pub mod routes;

use std::{path::Path, time::Duration};

use actix_web::web;
use platform::{
    db::Migrations,
    openapi::EventDoc,
    outbox::{self, Relay},
    server::{Application, ServiceDef},
};

pub use config::{Config, DEFAULT_PORT, NAME};
use provider::{Provider, sandbox::Sandbox, stripe::Stripe};

const MIGRATIONS: Migrations = platform::migrations!();

/// What payments tells its subscriber (groups), each in its own transaction's outbox.
fn events() -> Vec<EventDoc> {
    use contracts::payments::{Books, Payment, RefundSettled};
    let payment = |key, summary| EventDoc::of::<Payment>(key, key, summary);
    vec![
        payment("payment.authorized", "A hold was placed"),
        payment("payment.captured", "A hold was captured or a charge taken: money moved"),
        payment("payment.processing", "The provider accepted the payment; its outcome comes later"),
        payment("payment.requires_action", "The payer must act (3-D Secure) before the provider decides"),
        payment("payment.voided", "A hold was released"),
        payment("payment.failed", "The provider declined or failed the payment"),
        EventDoc::of::<RefundSettled>("refund.succeeded", "refund.succeeded", "A refund reached the member"),
        EventDoc::of::<RefundSettled>(
            "refund.failed",
            "refund.failed",
            "A refund failed; its amount is refundable again",
        ),
        EventDoc::of::<Books>("group.settled", "group.settled", "The group's books were settled and the rest paid out"),
    ]
}

pub fn service() -> ServiceDef {
    ServiceDef {
        name: NAME,
        version: env!("CARGO_PKG_VERSION"),
        default_port: DEFAULT_PORT,
        events,
        purge: db::purge_past_retention,
        description: "Holds, captures, charges and refunds over one API for groups; provider webhooks; a double-entry \
                      ledger per group. Internal endpoints take a service token and an Idempotency-Key.",
        migrations: &[outbox::MIGRATIONS, MIGRATIONS],
        routes: routes::configure,
        // Operations and their keys are recorded in the same transactions as the money they move.
        idempotency_middleware: false,
        limited_writes: &[],
    }
}

pub fn settings(file: Option<&Path>) -> Result<Config, platform::config::ConfigError> {
    config::load(file)
}

/// Builds the service, points the sandbox's webhooks at itself and starts the outbox relay.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let p = &config.payments;
    let provider = match p.provider {
        config::ProviderKind::Sandbox => {
            let secret = p
                .sandbox
                .webhook_secret
                .as_ref()
                .map_or_else(|| format!("whsec_{}", uuid::Uuid::new_v4().simple()), |s| s.expose().to_owned());
            Provider::Sandbox(Sandbox::new(
                &secret,
                Duration::from_millis(p.sandbox.async_delay_ms),
                chrono::Duration::days(p.hold_days),
            ))
        }
        config::ProviderKind::Stripe => {
            let required = |s: &Option<platform::config::Secret>, name: &str| {
                s.as_ref()
                    .map(|s| s.expose().to_owned())
                    .ok_or_else(|| anyhow::anyhow!("payments.stripe.{name} is required"))
            };
            Provider::Stripe(Stripe::new(
                &p.stripe.base_url,
                &required(&p.stripe.api_key, "api_key")?,
                &required(&p.stripe.webhook_secret, "webhook_secret")?,
                chrono::Duration::days(p.hold_days),
            )?)
        }
    };
    let provider = web::Data::new(provider);
    let shared = provider.clone();
    let app = Application::build_with(service(), config.service.clone(), move |cfg| {
        cfg.app_data(shared.clone());
    })
    .await?;
    if let Provider::Sandbox(sandbox) = provider.as_ref() {
        sandbox.set_webhook_url(format!("http://127.0.0.1:{}/v1/webhooks/sandbox", app.port()));
    }
    if let Some(relay) = Relay::new(app.db().clone(), config.payments.subscriber.clone())? {
        tokio::spawn(relay.run());
    }
    tokio::spawn(reconcile::run(
        app.db().clone(),
        provider,
        Duration::from_millis(config.payments.reconcile_every_ms),
        Duration::from_millis(config.payments.reconcile_after_ms),
    ));
    Ok(app)
}
