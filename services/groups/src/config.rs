//! The groups service's settings: the platform's, plus where catalog is and how long holds last.

use std::path::Path;

use platform::config::{ConfigError, ServiceSettings};
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
}

pub const NAME: &str = "groups";
pub const DEFAULT_PORT: u16 = 8082;

const DEFAULTS: &str = "[groups]\ncatalog_url = \"http://127.0.0.1:8081\"\nhold_days = 7\ncall_timeout_ms = 5000\n";

/// Settings from defaults, an optional file and `GROUPBUY_…` variables (`GROUPBUY_GROUPS__CATALOG_URL`).
pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
    let service = platform::config::load(NAME, DEFAULT_PORT, "", file)?;
    let own: Own = platform::config::load(NAME, DEFAULT_PORT, DEFAULTS, file)?;
    Ok(Config { service, groups: own.groups })
}

/// The service's own defaults around given platform settings (tests, the suite's boot check).
pub fn with_defaults(service: ServiceSettings) -> Result<Config, ConfigError> {
    let own: Own = platform::config::from_toml(DEFAULTS)?;
    Ok(Config { service, groups: own.groups })
}
