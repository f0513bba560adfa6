//! The suite as one program: which services exist, on which default ports, and how to start them.

pub mod launcher;
pub mod secret;
pub mod wiring;

use std::{future::Future, path::PathBuf, pin::Pin};

use platform::{
    config::ServiceSettings,
    server::{Application, ServiceDef},
};

type Built = Pin<Box<dyn Future<Output = anyhow::Result<Application>> + Send>>;

/// A service the launcher can run.
pub struct ServiceEntry {
    pub name: &'static str,
    pub default_port: u16,
    pub def: fn() -> ServiceDef,
    /// Loads the service's settings (defaults, optional file, `GROUPBUY_…` variables), starts
    /// logging and builds it.
    pub start: fn(Option<PathBuf>) -> Built,
    /// Builds it on the given platform settings with its own defaults for the rest (tests).
    pub build_with: fn(ServiceSettings) -> Built,
}

/// Every service of the suite, in start order. The others join as they land.
pub const SERVICES: &[ServiceEntry] = &[
    ServiceEntry {
        name: catalog::NAME,
        default_port: catalog::DEFAULT_PORT,
        def: catalog::service,
        start: |file| {
            Box::pin(async move {
                let settings = catalog::settings(file.as_deref())?;
                platform::telemetry::init(&settings.telemetry);
                catalog::build(settings).await
            })
        },
        build_with: |settings| Box::pin(catalog::build(settings)),
    },
    ServiceEntry {
        name: payments::NAME,
        default_port: payments::DEFAULT_PORT,
        def: payments::service,
        start: |file| {
            Box::pin(async move {
                let config = payments::settings(file.as_deref())?;
                platform::telemetry::init(&config.service.telemetry);
                payments::build(config).await
            })
        },
        build_with: |settings| {
            Box::pin(async move { payments::build(payments::config::with_defaults(settings)?).await })
        },
    },
    ServiceEntry {
        name: bidding::NAME,
        default_port: bidding::DEFAULT_PORT,
        def: bidding::service,
        start: |file| {
            Box::pin(async move {
                let config = bidding::settings(file.as_deref())?;
                platform::telemetry::init(&config.service.telemetry);
                bidding::build(config).await
            })
        },
        build_with: |settings| Box::pin(async move { bidding::build(bidding::config::with_defaults(settings)?).await }),
    },
    ServiceEntry {
        name: shipping::NAME,
        default_port: shipping::DEFAULT_PORT,
        def: shipping::service,
        start: |file| {
            Box::pin(async move {
                let config = shipping::settings(file.as_deref())?;
                platform::telemetry::init(&config.service.telemetry);
                shipping::build(config).await
            })
        },
        build_with: |settings| {
            Box::pin(async move { shipping::build(shipping::config::with_defaults(settings)?).await })
        },
    },
    ServiceEntry {
        name: groups::NAME,
        default_port: groups::DEFAULT_PORT,
        def: groups::service,
        start: |file| {
            Box::pin(async move {
                let config = groups::settings(file.as_deref())?;
                platform::telemetry::init(&config.service.telemetry);
                groups::build(config).await
            })
        },
        build_with: |settings| Box::pin(async move { groups::build(groups::config::with_defaults(settings)?).await }),
    },
];

pub fn find(name: &str) -> Option<&'static ServiceEntry> {
    SERVICES.iter().find(|s| s.name == name)
}

/// A service's OpenAPI document as committed under `openapi/`: pretty JSON with a final newline.
pub fn openapi_json(entry: &ServiceEntry) -> anyhow::Result<String> {
    let document = platform::server::openapi(&(entry.def)());
    Ok(format!("{}\n", document.to_pretty_json()?))
}
