//! The bidding service's settings: the platform's, plus where catalog is, how often the award is
//! looked for, and where decisions go (groups).

use std::path::Path;

use platform::{
    config::{ConfigError, ServiceSettings},
    outbox::SubscriberSettings,
};
use serde::Deserialize;

#[derive(Debug, Clone)]
pub struct Config {
    pub service: ServiceSettings,
    pub bidding: BiddingSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BiddingSettings {
    /// Where products are read from when a bid request opens.
    pub catalog_url: String,
    /// How long calls to catalog may take.
    pub call_timeout_ms: u64,
    /// How often requests whose window closed are looked for and awarded.
    pub award_every_ms: u64,
    /// Where awards are told (groups), signed (Standard Webhooks).
    pub subscriber: SubscriberSettings,
}

/// Loaded apart from the platform's settings: see `payments::config` for why not flattened.
#[derive(Deserialize)]
struct Own {
    bidding: BiddingSettings,
}

pub const NAME: &str = "bidding";
pub const DEFAULT_PORT: u16 = 8083;

fn defaults() -> String {
    format!(
        "[bidding]\ncatalog_url = \"http://127.0.0.1:8081\"\ncall_timeout_ms = 5000\naward_every_ms = 1000\n{}",
        platform::outbox::default_settings_toml("bidding.subscriber")
    )
}

/// Settings from defaults, an optional file and `GROUPBUY_…` variables
/// (`GROUPBUY_BIDDING__CATALOG_URL`, `GROUPBUY_BIDDING__SUBSCRIBER__URL`, …).
pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
    let service = platform::config::load(NAME, DEFAULT_PORT, "", file)?;
    let own: Own = platform::config::load(NAME, DEFAULT_PORT, &defaults(), file)?;
    Ok(Config { service, bidding: own.bidding })
}

/// The service's own defaults around given platform settings (tests, the suite's boot check).
pub fn with_defaults(service: ServiceSettings) -> Result<Config, ConfigError> {
    let own: Own = platform::config::from_toml(&defaults())?;
    Ok(Config { service, bidding: own.bidding })
}
