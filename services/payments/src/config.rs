//! The payments service's settings: the platform's, plus the provider and the outcome subscriber.

use std::path::Path;

use platform::{
    config::{ConfigError, Secret, ServiceSettings},
    outbox::SubscriberSettings,
};
use serde::Deserialize;

#[derive(Debug, Clone)]
pub struct Config {
    pub service: ServiceSettings,
    pub payments: PaymentsSettings,
}

/// The service's own section. Loaded apart from the platform's rather than flattened into one
/// struct: through `serde(flatten)` the config crate cannot turn `"8084"` from the environment
/// into a number.
#[derive(Deserialize)]
struct Own {
    payments: PaymentsSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    Sandbox,
    Stripe,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PaymentsSettings {
    pub provider: ProviderKind,
    /// How long a card hold lasts before it lapses.
    pub hold_days: i64,
    pub sandbox: SandboxSettings,
    pub stripe: StripeSettings,
    /// Where payment and refund outcomes go (groups).
    pub subscriber: SubscriberSettings,
    /// How long a payment may wait for its provider's outcome before the reconciler asks.
    pub reconcile_after_ms: u64,
    /// How often the reconciler looks.
    pub reconcile_every_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SandboxSettings {
    /// Signs the sandbox's own webhooks; a random one per process when unset.
    pub webhook_secret: Option<Secret>,
    /// How long the sandbox takes to report an asynchronous outcome.
    pub async_delay_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StripeSettings {
    pub base_url: String,
    /// A secret key (`sk_…`).
    pub api_key: Option<Secret>,
    /// The webhook endpoint's signing secret (`whsec_…`).
    pub webhook_secret: Option<Secret>,
}

pub const NAME: &str = "payments";
pub const DEFAULT_PORT: u16 = 8084;

fn defaults() -> String {
    format!(
        "[payments]\nprovider = \"sandbox\"\nhold_days = 7\nreconcile_after_ms = 300000\nreconcile_every_ms = 60000\n[payments.sandbox]\nasync_delay_ms = 2000\n[payments.stripe]\nbase_url = \"https://api.stripe.com\"\n{}",
        platform::outbox::default_settings_toml("payments.subscriber")
    )
}

/// Settings from defaults, an optional file and `GROUPBUY_…` variables
/// (`GROUPBUY_PAYMENTS__SUBSCRIBER__URL`, …).
pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
    let service = platform::config::load(NAME, DEFAULT_PORT, "", file)?;
    let own: Own = platform::config::load(NAME, DEFAULT_PORT, &defaults(), file)?;
    Ok(Config { service, payments: own.payments })
}

/// The service's own defaults around given platform settings (tests, the suite's boot check).
pub fn with_defaults(service: ServiceSettings) -> Result<Config, ConfigError> {
    let own: Own = platform::config::from_toml(&defaults())?;
    Ok(Config { service, payments: own.payments })
}
