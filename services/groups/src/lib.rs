//! The groups service (PRODUCT.md G1-G10): groups for one product, joins inside a window, the
//! lifecycle, history and quotes. Groups owns the purchase state.

pub mod access;
pub mod admission;
pub mod auction_flow;
pub mod bulk_flow;
pub mod bulk_mail;
pub mod config;
pub mod db;
pub mod gate;
pub mod guesses;
pub mod model;
pub mod payment_flow;
pub mod progress;
pub mod routes;
pub mod settlement;
pub mod storefronts;

use std::{path::Path, time::Duration};

use std::sync::Arc;

use actix_web::web;
use contracts::client::CatalogClient;
use platform::{
    auth::{Role, TokenIssuer},
    config::{JwtAlgorithm, ServiceSettings},
    db::Migrations,
    outbound::TargetPolicy,
    outbox::{self, Calls, Relay, TokenSource},
    rate_limit::RateClass,
    server::{Application, ServiceDef},
    webhook::SigningKey,
};

pub use config::{Config, DEFAULT_PORT, NAME};

const MIGRATIONS: Migrations = platform::migrations!();

pub fn service() -> ServiceDef {
    ServiceDef {
        name: NAME,
        version: env!("CARGO_PKG_VERSION"),
        default_port: DEFAULT_PORT,
        events: Vec::new,
        purge: platform::outbox::purge_delivered,
        description: "Groups for one product: creation from a catalog snapshot, joins inside a window, the lifecycle, \
                      history and quotes. Reads are public; members' identities only for the organizer and the operator.",
        migrations: &[outbox::MIGRATIONS, MIGRATIONS],
        routes: routes::configure,
        idempotency_middleware: true,
        limited_writes: &[
            ("/v1/groups/{id}/members", RateClass::Joins),
            ("/v1/groups/{id}/purchases", RateClass::Purchases),
            ("/v1/bulk-purchases", RateClass::Declarations),
        ],
    }
}

pub fn settings(file: Option<&Path>) -> Result<Config, platform::config::ConfigError> {
    config::load(file)
}

/// What handlers need besides the store.
pub struct Context {
    pub catalog: CatalogClient,
    pub hold: chrono::Duration,
    /// The shortest bid window an auction may declare.
    pub min_bid_window: chrono::Duration,
    /// Verify payments', shipping's and bidding's webhooks; without a key they are refused.
    pub payments_webhook: Option<SigningKey>,
    pub shipping_webhook: Option<SigningKey>,
    pub bidding_webhook: Option<SigningKey>,
}

/// The token groups calls payments, shipping and bidding with: the configured one, else a
/// short-lived service token signed with its Ed25519 key or the HS256 secret.
fn service_tokens(config: &Config) -> anyhow::Result<TokenSource> {
    if let Some(token) = &config.groups.service_token {
        let token = token.expose().to_owned();
        return Ok(Arc::new(move || Ok(token.clone())));
    }
    let ServiceSettings { auth, .. } = &config.service;
    let issuer = match (&auth.algorithm, &auth.secret, &config.groups.service_key_pem) {
        (JwtAlgorithm::EdDSA, _, Some(key)) => TokenIssuer::eddsa(key.expose(), &auth.issuer, &auth.audience)?,
        (JwtAlgorithm::HS256, Some(secret), _) => TokenIssuer::hs256(secret.expose(), &auth.issuer, &auth.audience),
        _ => anyhow::bail!(
            "groups needs groups.service_token, or groups.service_key_pem with EdDSA, or HS256 with a secret"
        ),
    };
    Ok(Arc::new(move || issuer.issue(Role::Service, NAME, None, chrono::Duration::minutes(10))))
}

/// Builds the groups service on `config` (port 0 in tests).
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let g = &config.groups;
    let token = service_tokens(&config)?;
    let bearer = token.clone();
    let catalog = CatalogClient::new(&g.catalog_url, Duration::from_millis(g.call_timeout_ms))?
        .with_bearer(Arc::new(move || bearer().ok()));
    let context = web::Data::new(Context {
        catalog,
        hold: chrono::Duration::days(g.hold_days),
        min_bid_window: chrono::Duration::seconds(g.min_bid_window_seconds),
        payments_webhook: g.payments_webhook_secret.as_ref().map(|s| SigningKey::standard(s.expose())),
        shipping_webhook: g.shipping_webhook_secret.as_ref().map(|s| SigningKey::standard(s.expose())),
        bidding_webhook: g.bidding_webhook_secret.as_ref().map(|s| SigningKey::standard(s.expose())),
    });
    let calls = Calls {
        services: [
            (payment_flow::PAYMENTS, &g.payments_url),
            (settlement::SHIPPING, &g.shipping_url),
            (auction_flow::BIDDING, &g.bidding_url),
        ]
        .into_iter()
        .map(|(name, url)| (name.to_owned(), url.clone()))
        .collect(),
        token,
        on_answer: Arc::new(payment_flow::on_answer),
        on_give_up: Arc::new(payment_flow::on_give_up),
    };
    let hub = web::Data::new(progress::Hub::default());
    let gate = gate::Gate::default();
    let gate_data = web::Data::new(gate.clone());
    let pages = web::Data::new(platform::page_cache::PageCache::default());
    let guesses = web::Data::new(guesses::Guesses::default());
    let policy = web::Data::new(TargetPolicy { allow_private: g.outbox.allow_private_targets });
    let (admission, admitter) = admission::Admission::new();
    let admission = web::Data::new(admission);
    let app = Application::build_with(service(), config.service.clone(), move |cfg| {
        cfg.app_data(context.clone())
            .app_data(hub.clone())
            .app_data(gate_data.clone())
            .app_data(admission.clone())
            .app_data(policy.clone())
            .app_data(pages.clone())
            .app_data(guesses.clone());
    })
    .await?;
    let endpoints: outbox::TargetResolver = Arc::new(storefronts::resolve);
    let mailer = platform::mail::Mailer::from_settings(&config.groups.mail)?;
    if let Some(relay) = Relay::build(app.db().clone(), config.groups.outbox.clone(), Some(endpoints), Some(calls))? {
        tokio::spawn(relay.with_mailer(mailer).run());
    }
    tokio::spawn(admitter.run(app.db().clone(), gate));
    let grace = chrono::Duration::seconds(config.groups.unanswered_seat_grace_seconds);
    tokio::spawn(settlement::run(app.db().clone(), Duration::from_millis(config.groups.close_every_ms), grace));
    Ok(app)
}
