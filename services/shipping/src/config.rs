//! The shipping service's settings: the platform's, plus where state changes go (groups).

use std::path::Path;

use platform::{
    config::{ConfigError, ServiceSettings},
    outbox::SubscriberSettings,
};
use serde::Deserialize;

#[derive(Debug, Clone)]
pub struct Config {
    pub service: ServiceSettings,
    pub shipping: ShippingSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ShippingSettings {
    /// Where shipment state changes go (groups).
    pub subscriber: SubscriberSettings,
}

/// Loaded apart from the platform's settings: see `payments::config` for why not flattened.
#[derive(Deserialize)]
struct Own {
    shipping: ShippingSettings,
}

pub const NAME: &str = "shipping";
pub const DEFAULT_PORT: u16 = 8085;

fn defaults() -> String {
    platform::outbox::default_settings_toml("shipping.subscriber")
}

/// Settings from defaults, an optional file and `GROUPBUY_…` variables
/// (`GROUPBUY_SHIPPING__SUBSCRIBER__URL`, …).
pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
    let service = platform::config::load(NAME, DEFAULT_PORT, "", file)?;
    let own: Own = platform::config::load(NAME, DEFAULT_PORT, &defaults(), file)?;
    Ok(Config { service, shipping: own.shipping })
}

/// The service's own defaults around given platform settings (tests, the suite's boot check).
pub fn with_defaults(service: ServiceSettings) -> Result<Config, ConfigError> {
    let own: Own = platform::config::from_toml(&defaults())?;
    Ok(Config { service, shipping: own.shipping })
}
