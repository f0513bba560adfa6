//! Settings every service shares, layered: built-in defaults, then an optional TOML file, then
//! `GROUPBUY_…` environment variables (`GROUPBUY_DATABASE__URL`, `GROUPBUY_SERVER__PORT`, …).
//! The result is passed into the service; nothing reads configuration globally.

use std::{fmt, path::Path};

pub use config::ConfigError;
use serde::Deserialize;

/// Settings common to every service.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceSettings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub telemetry: TelemetrySettings,
    pub limits: LimitSettings,
    pub metrics: MetricsSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MetricsSettings {
    /// Whether `/metrics` answers without a token. Off by default: the operator's token (or a
    /// service token, for a scraper) is required.
    pub public: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    /// 0 picks a free port (tests).
    pub port: u16,
    /// Actix worker threads; 0 means one per core.
    pub workers: usize,
    /// Origins whose browser pages may call this service (CORS), comma-separated, such as
    /// `https://shop.example`; `*` for any; empty (the default) for none.
    pub cors_origins: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `sqlite://path/to/file.db` or `postgres://user@host:port/db`.
    pub url: Secret,
    pub pool_size: u32,
    /// How long a request waits for a connection before it is answered 503 (the store is down or
    /// saturated).
    pub acquire_timeout_ms: u64,
    /// SQLite's `synchronous`: `full` (the default) makes every acknowledged commit survive a power
    /// cut, as PostgreSQL's default does; `normal` is several times faster for one-row commits but
    /// loses the last commits on an OS crash or power cut, though clients were told they happened.
    pub sqlite_synchronous: SqliteSynchronous,
}

impl DatabaseSettings {
    /// Settings for `url` with the defaults for everything else.
    pub fn new(url: &str, pool_size: u32) -> Self {
        Self { url: Secret::new(url), pool_size, acquire_timeout_ms: 1000, sqlite_synchronous: SqliteSynchronous::Full }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SqliteSynchronous {
    Full,
    Normal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum JwtAlgorithm {
    HS256,
    RS256,
    EdDSA,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub algorithm: JwtAlgorithm,
    /// The shared secret for HS256 (the embedded default).
    pub secret: Option<Secret>,
    /// A PEM public key for RS256 or EdDSA (production): the tokens' issuer keeps the private key.
    pub public_key_pem: Option<String>,
    pub issuer: String,
    pub audience: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TelemetrySettings {
    pub format: LogFormat,
    /// An `EnvFilter` directive such as `info,catalog=debug`.
    pub filter: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LimitSettings {
    /// The largest request body accepted, in bytes.
    pub body_bytes: usize,
    /// Requests per minute (see `rate_limit`): reads, joins, purchases with a purchaser ID, bulk
    /// declarations (each mails its purchasers), supplier offers and their revisions.
    pub reads: crate::rate_limit::Rate,
    pub joins: crate::rate_limit::Rate,
    pub purchases: crate::rate_limit::Rate,
    pub declarations: crate::rate_limit::Rate,
    pub offers: crate::rate_limit::Rate,
}

/// A configuration value that must never reach a log: `Debug` prints a placeholder.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Loads a service's settings. `service` names the default SQLite file; `port` is its default port;
/// `extra_defaults` is TOML for the service's own sections.
pub fn load<T: serde::de::DeserializeOwned>(
    service: &str,
    port: u16,
    extra_defaults: &str,
    file: Option<&Path>,
) -> Result<T, ConfigError> {
    let defaults = format!(
        r#"
        [server]
        host = "127.0.0.1"
        port = {port}
        workers = 0
        cors_origins = ""
        [database]
        url = "sqlite://data/{service}.db"
        pool_size = 8
        acquire_timeout_ms = 1000
        sqlite_synchronous = "full"
        [auth]
        algorithm = "HS256"
        issuer = "groupbuy"
        audience = "groupbuy"
        [telemetry]
        format = "pretty"
        filter = "info"
        [limits]
        body_bytes = 262144
        [limits.reads]
        per_caller = 600
        per_ip = 6000
        [limits.joins]
        per_caller = 20
        per_ip = 600
        [limits.purchases]
        per_caller = 10
        per_ip = 120
        [limits.declarations]
        per_caller = 5
        per_ip = 60
        [limits.offers]
        per_caller = 120
        per_ip = 1200
        [metrics]
        public = false
        "#
    );
    let mut builder = config::Config::builder()
        .add_source(config::File::from_str(&defaults, config::FileFormat::Toml))
        .add_source(config::File::from_str(extra_defaults, config::FileFormat::Toml));
    if let Some(path) = file {
        builder = builder.add_source(config::File::from(path).required(true));
    }
    builder
        .add_source(config::Environment::with_prefix("GROUPBUY").prefix_separator("_").separator("__"))
        .build()?
        .try_deserialize()
}

/// Deserializes TOML text alone, with no files or environment (a service's own defaults).
pub fn from_toml<T: serde::de::DeserializeOwned>(toml: &str) -> Result<T, ConfigError> {
    config::Config::builder()
        .add_source(config::File::from_str(toml, config::FileFormat::Toml))
        .build()?
        .try_deserialize()
}
