//! The groups service's settings: the platform's, plus where catalog is and how long holds last.

use std::path::Path;

use platform::{
    config::{ConfigError, Secret, ServiceSettings},
    mail::MailSettings,
    outbox::SubscriberSettings,
};
use serde::Deserialize;

#[derive(Debug, Clone)]
pub struct Config {
    pub service: ServiceSettings,
    pub groups: GroupsSettings,
}

/// The service's own section, loaded apart from the platform's (see payments' config).
#[derive(Deserialize)]
struct Own {
    groups: GroupsSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GroupsSettings {
    /// Where product terms are read from when a group starts.
    pub catalog_url: String,
    /// How long a card hold lasts at the payment provider: a longer join window charges at join.
    pub hold_days: i64,
    /// How long calls to other services may take.
    pub call_timeout_ms: u64,
    /// The shortest bid window an auction may declare after its join window closes.
    pub min_bid_window_seconds: i64,
    /// How often the deadline scheduler looks for groups to close.
    pub close_every_ms: u64,
    /// How long a group whose window ended waits for a seat's payment that has not answered (a
    /// 3-D Secure never completed, a late outcome) before releasing the seat and closing on what
    /// is secured.
    pub unanswered_seat_grace_seconds: i64,
    /// Where payments is: holds, captures, voids and refunds go there through the outbox.
    pub payments_url: String,
    /// Where shipping is.
    pub shipping_url: String,
    /// Where bidding is: an auction's bid request goes there.
    pub bidding_url: String,
    /// Verifies the outcomes payments sends to `/v1/webhooks/payments` (Standard Webhooks).
    pub payments_webhook_secret: Option<Secret>,
    /// Verifies the shipment reports shipping sends to `/v1/webhooks/shipping`.
    pub shipping_webhook_secret: Option<Secret>,
    /// Verifies the decisions bidding sends to `/v1/webhooks/bidding`.
    pub bidding_webhook_secret: Option<Secret>,
    /// The bearer token for calls to payments, shipping and bidding. Without it, groups signs its own
    /// short-lived service tokens: with `service_key_pem` (an Ed25519 private key whose public key
    /// the services verify with, `auth.algorithm = "EdDSA"`), else with the HS256 secret (the
    /// embedded default).
    pub service_token: Option<Secret>,
    pub service_key_pem: Option<Secret>,
    /// How the outbox sends and retries (its `url`: storefront events, coming with G9).
    pub outbox: SubscriberSettings,
    /// Where purchaser IDs, receipts and outcomes are mailed: an SMTP server or a folder.
    pub mail: MailSettings,
}

pub const NAME: &str = "groups";
pub const DEFAULT_PORT: u16 = 8082;

fn defaults() -> String {
    format!(
        "[groups]\ncatalog_url = \"http://127.0.0.1:8081\"\npayments_url = \"http://127.0.0.1:8084\"\n\
         shipping_url = \"http://127.0.0.1:8085\"\nbidding_url = \"http://127.0.0.1:8083\"\nhold_days = 7\nmin_bid_window_seconds = 600\ncall_timeout_ms = 5000\nclose_every_ms = 1000\nunanswered_seat_grace_seconds = 600\n\
         [groups.mail]\nfrom = \"groupbuy <noreply@groupbuy.localhost>\"\n{}",
        platform::outbox::default_settings_toml("groups.outbox")
    )
}

/// Settings from defaults, an optional file and `GROUPBUY_…` variables
/// (`GROUPBUY_GROUPS__CATALOG_URL`, `GROUPBUY_GROUPS__PAYMENTS_WEBHOOK_SECRET`, …).
pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
    let service = platform::config::load(NAME, DEFAULT_PORT, "", file)?;
    let own: Own = platform::config::load(NAME, DEFAULT_PORT, &defaults(), file)?;
    Ok(Config { service, groups: own.groups })
}

/// The service's own defaults around given platform settings (tests, the suite's boot check).
pub fn with_defaults(service: ServiceSettings) -> Result<Config, ConfigError> {
    let own: Own = platform::config::from_toml(&defaults())?;
    Ok(Config { service, groups: own.groups })
}
