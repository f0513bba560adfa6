//! The suite as one program: which services exist, on which default ports, and how to start them.

pub mod launcher;
pub mod secret;

use std::path::Path;

use platform::{
    config::{ConfigError, ServiceSettings},
    server::{Application, ServiceDef},
};

/// A service the launcher can run.
pub struct ServiceEntry {
    pub name: &'static str,
    pub default_port: u16,
    pub def: fn() -> ServiceDef,
    pub settings: fn(Option<&Path>) -> Result<ServiceSettings, ConfigError>,
}

impl ServiceEntry {
    pub async fn build(&self, settings: ServiceSettings) -> anyhow::Result<Application> {
        Application::build((self.def)(), settings).await
    }
}

/// Every service of the suite, in start order. The others join as they land.
pub const SERVICES: &[ServiceEntry] = &[ServiceEntry {
    name: catalog::NAME,
    default_port: catalog::DEFAULT_PORT,
    def: catalog::service,
    settings: catalog::settings,
}];

pub fn find(name: &str) -> Option<&'static ServiceEntry> {
    SERVICES.iter().find(|s| s.name == name)
}

/// A service's OpenAPI document as committed under `openapi/`: pretty JSON with a final newline.
pub fn openapi_json(entry: &ServiceEntry) -> anyhow::Result<String> {
    let document = platform::server::openapi(&(entry.def)());
    Ok(format!("{}\n", document.to_pretty_json()?))
}
