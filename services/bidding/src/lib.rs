//! Bidding (PRODUCT.md B1-B7): bid requests for the pooled quantity of an auction group, sealed
//! offers from the suppliers who may serve them, and the optimal award at the window's close,
//! published with the receipt digest of every offer considered and told to groups.

pub mod access;
pub mod award;
pub mod config;
pub mod db;
pub mod eligibility;
pub mod routes;

use std::{path::Path, sync::Arc, time::Duration};

use actix_web::web;
use contracts::client::CatalogClient;
use platform::{
    auth::{Role, TokenIssuer},
    config::JwtAlgorithm,
    db::Migrations,
    openapi::EventDoc,
    outbound::TargetPolicy,
    outbox::{self, Relay, TargetResolver},
    rate_limit::RateClass,
    server::{Application, ServiceDef},
};

pub use config::{Config, DEFAULT_PORT, NAME};

const MIGRATIONS: Migrations = platform::migrations!();

/// What bidding tells its subscriber (groups) and suppliers' endpoints.
fn events() -> Vec<EventDoc> {
    use contracts::bidding::{Award, BidRequest};
    vec![
        EventDoc::of::<BidRequest>(
            "bid_request.opened",
            "bid_request.opened",
            "To a supplier's endpoint, signed with its secret: a bid request it may offer on opened",
        ),
        EventDoc::of::<Award>("bid_request.awarded", "bid_request.awarded", "The window closed and the award was made"),
        EventDoc::of::<Award>(
            "bid_request.no_award",
            "bid_request.no_award",
            "The window closed and the valid offers could not cover the quantity",
        ),
    ]
}

pub fn service() -> ServiceDef {
    ServiceDef {
        name: NAME,
        version: env!("CARGO_PKG_VERSION"),
        default_port: DEFAULT_PORT,
        events,
        purge: outbox::purge_delivered,
        description: "Bid requests for pooled quantities, sealed offers from suppliers and the optimal award at the \
                      window's close. Before the award a supplier sees only its own offers and nobody sees another's.",
        migrations: &[outbox::MIGRATIONS, MIGRATIONS],
        routes: routes::configure,
        idempotency_middleware: true,
        limited_writes: &[
            ("/v1/bid-requests/{id}/offers", RateClass::Offers),
            ("/v1/bid-requests/{id}/offers/{offer_id}", RateClass::Offers),
            ("/v1/bid-requests/{id}/offers/{offer_id}/confirmation", RateClass::Offers),
        ],
    }
}

pub fn settings(file: Option<&Path>) -> Result<Config, platform::config::ConfigError> {
    config::load(file)
}

/// What handlers need besides the store.
pub struct Context {
    pub catalog: CatalogClient,
}

/// Builds the service, starts the award at each window's close and the relay that tells groups
/// and suppliers.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let timeout = Duration::from_millis(config.bidding.call_timeout_ms);
    let mut catalog = CatalogClient::new(&config.bidding.catalog_url, timeout)?;
    // With the shared HS256 secret, bidding reads the catalog as a service (not rate-limited);
    // otherwise as an anonymous caller.
    let auth = &config.service.auth;
    if let (JwtAlgorithm::HS256, Some(secret)) = (&auth.algorithm, &auth.secret) {
        let issuer = TokenIssuer::hs256(secret.expose(), &auth.issuer, &auth.audience);
        catalog = catalog.with_bearer(Arc::new(move || {
            issuer.issue(Role::Service, config::NAME, None, chrono::Duration::minutes(10)).ok()
        }));
    }
    let context = web::Data::new(Context { catalog });
    let policy = web::Data::new(TargetPolicy { allow_private: config.bidding.subscriber.allow_private_targets });
    let app = Application::build_with(service(), config.service.clone(), move |cfg| {
        cfg.app_data(context.clone()).app_data(policy.clone());
    })
    .await?;
    tokio::spawn(award::run(app.db().clone(), Duration::from_millis(config.bidding.award_every_ms)));
    let suppliers: TargetResolver = Arc::new(db::endpoints::resolve);
    if let Some(relay) = Relay::with_targets(app.db().clone(), config.bidding.subscriber.clone(), Some(suppliers))? {
        tokio::spawn(relay.run());
    }
    Ok(app)
}
