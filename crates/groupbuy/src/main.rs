//! `groupbuy`: start the suite, run one service, mint a development token, write the OpenAPI
//! documents.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use groupbuy::{
    SERVICES, launcher,
    wiring::{self, Topology, WebhookSecrets},
};
use platform::{
    auth::{Role, TokenIssuer},
    config::ServiceSettings,
};

#[derive(Parser)]
#[command(name = "groupbuy", version, about = "The groupbuy group-buying platform")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start every service on the embedded default (SQLite under the data folder).
    Up {
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Override a port, e.g. `--port catalog=9081`; repeatable.
        #[arg(long = "port", value_parser = parse_port)]
        ports: Vec<(String, u16)>,
        /// A service's database instead of its SQLite file under the data folder, e.g.
        /// `--database groups=postgres://user:pass@host/groups`; repeatable.
        #[arg(long = "database", value_parser = parse_database)]
        databases: Vec<(String, String)>,
        /// Log JSON lines instead of human-readable text.
        #[arg(long)]
        json_logs: bool,
        /// Start a service that exits by itself again (as a supervisor would) instead of stopping
        /// the suite.
        #[arg(long)]
        restart: bool,
    },
    /// Run one service in this process, configured by `GROUPBUY_…` variables or `--config`.
    Serve {
        service: String,
        #[arg(long, env = "GROUPBUY_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Print a development JWT signed with the suite's secret.
    Token {
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        subject: Option<String>,
        /// Required for `--role supplier`: the supplier the token acts for.
        #[arg(long)]
        supplier_id: Option<domain::SupplierId>,
        /// Required for `--role shipping`: the shipping base the token acts for.
        #[arg(long)]
        base_id: Option<domain::ShippingBaseId>,
        /// How long the token lives: at most 7 days, as the services accept.
        #[arg(long, default_value_t = 60 * 12, value_parser = clap::value_parser!(i64).range(1..=MAX_TTL_MINUTES))]
        ttl_minutes: i64,
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
    },
    /// Apply one service's database migrations and exit (a deployment's migration job, before
    /// the service's replicas start). Configured like `serve`.
    Migrate {
        service: String,
        #[arg(long, env = "GROUPBUY_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Print, as JSON, how each service runs in a deployment where services are reached by name
    /// (docker compose, Kubernetes): its command, port and the variables that wire it to its
    /// peers, secrets as `${…}` placeholders. CI checks the deployment files against it.
    Wiring,
    /// Write each service's OpenAPI document to `<out>/<service>.json`.
    Openapi {
        #[arg(long, default_value = "openapi")]
        out: PathBuf,
    },
}

const MAX_TTL_MINUTES: i64 = platform::auth::MAX_TOKEN_LIFETIME_SECS / 60;

fn parse_port(s: &str) -> Result<(String, u16), String> {
    let (name, port) = s.split_once('=').ok_or("expected SERVICE=PORT")?;
    if groupbuy::find(name).is_none() {
        return Err(format!("unknown service `{name}`"));
    }
    Ok((name.to_owned(), port.parse().map_err(|_| format!("`{port}` is not a port"))?))
}

fn parse_database(s: &str) -> Result<(String, String), String> {
    let (name, url) = s.split_once('=').ok_or("expected SERVICE=URL")?;
    if groupbuy::find(name).is_none() {
        return Err(format!("unknown service `{name}`"));
    }
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://") || url.starts_with("sqlite://")) {
        return Err("a postgres:// or sqlite:// URL".to_owned());
    }
    Ok((name.to_owned(), url.to_owned()))
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| "one of operator, supplier, shopper, shipping, service".to_owned())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Cmd::Up { data_dir, host, ports, databases, json_logs, restart } => {
            launcher::up(launcher::UpOptions { data_dir, host, ports, databases, json_logs, restart }).await
        }
        Cmd::Serve { service, config } => {
            let entry = groupbuy::find(&service).with_context(|| format!("unknown service `{service}`"))?;
            launcher::die_with_launcher()?;
            (entry.start)(config).await?.run_until_stopped().await?;
            Ok(())
        }
        Cmd::Token { role, subject, supplier_id, base_id, ttl_minutes, data_dir } => {
            anyhow::ensure!(role != Role::Supplier || supplier_id.is_some(), "--role supplier needs --supplier-id");
            anyhow::ensure!(role != Role::Shipping || base_id.is_some(), "--role shipping needs --base-id");
            let secret = groupbuy::secret::load_or_create(&data_dir)?;
            // Without --subject every token is its own caller: two tokens never share a subject.
            let subject = subject.unwrap_or_else(|| match (supplier_id, base_id) {
                (Some(supplier), _) if role == Role::Supplier => format!("supplier-{supplier}"),
                (_, Some(base)) if role == Role::Shipping => format!("base-{base}"),
                _ => format!("{}-{}", role.as_str(), uuid::Uuid::new_v4()),
            });
            // The issuer and audience the services check, defaults and `GROUPBUY_AUTH__…` alike.
            let auth = platform::config::load::<ServiceSettings>("groupbuy", 0, "", None)?.auth;
            let acts_for = supplier_id.map(|s| s.as_uuid()).or(base_id.map(|b| b.as_uuid()));
            let token = TokenIssuer::hs256(&secret, &auth.issuer, &auth.audience).issue(
                role,
                &subject,
                acts_for,
                chrono::Duration::minutes(ttl_minutes),
            )?;
            println!("{token}");
            Ok(())
        }
        Cmd::Migrate { service, config } => {
            let entry = groupbuy::find(&service).with_context(|| format!("unknown service `{service}`"))?;
            let settings =
                platform::config::load::<ServiceSettings>(entry.name, entry.default_port, "", config.as_deref())?;
            platform::db::Db::connect(&settings.database, (entry.def)().migrations).await?;
            println!("{} migrated", entry.name);
            Ok(())
        }
        Cmd::Wiring => {
            let (topology, secrets) = (Topology::named(), WebhookSecrets::placeholders());
            let services: serde_json::Map<String, serde_json::Value> = SERVICES
                .iter()
                .map(|entry| {
                    let env: serde_json::Map<String, serde_json::Value> =
                        wiring::peers(entry.name, &topology, &secrets)
                            .into_iter()
                            .map(|(k, v)| (k, v.into()))
                            .collect();
                    let shape =
                        serde_json::json!({ "command": ["serve", entry.name], "port": entry.default_port, "env": env });
                    (entry.name.to_owned(), shape)
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&services)?);
            Ok(())
        }
        Cmd::Openapi { out } => {
            std::fs::create_dir_all(&out)?;
            for entry in SERVICES {
                let path = out.join(format!("{}.json", entry.name));
                std::fs::write(&path, groupbuy::openapi_json(entry)?)?;
                println!("wrote {}", path.display());
            }
            Ok(())
        }
    }
}
