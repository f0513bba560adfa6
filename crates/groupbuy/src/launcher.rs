//! `groupbuy up`: every service as its own process on the embedded default (SQLite files under
//! the data folder), ready-checked, stopped together.

use std::{path::PathBuf, process::Stdio, time::Duration};

use anyhow::Context;
use nix::{sys::signal, unistd::Pid};
use tokio::process::{Child, Command};

use crate::{
    SERVICES, ServiceEntry,
    wiring::{Topology, WebhookSecrets},
};

/// Set on the services `up` starts: the launcher's pid, so that each dies with it.
pub const LAUNCHER_PID_VAR: &str = "GROUPBUY_LAUNCHER_PID";

/// In a service `up` started: asks the kernel for SIGTERM when the launcher dies (even by
/// SIGKILL), so no service outlives it holding its port. Exits at once if it already died.
pub fn die_with_launcher() -> anyhow::Result<()> {
    let Ok(expected) = std::env::var(LAUNCHER_PID_VAR) else { return Ok(()) };
    #[cfg(target_os = "linux")]
    nix::sys::prctl::set_pdeathsig(signal::Signal::SIGTERM)?;
    if nix::unistd::getppid().to_string() != expected {
        anyhow::bail!("the launcher that started this service is gone");
    }
    Ok(())
}

pub struct UpOptions {
    pub data_dir: PathBuf,
    pub host: String,
    /// Port overrides by service name.
    pub ports: Vec<(String, u16)>,
    /// Database URLs by service name, instead of SQLite files under the data folder.
    pub databases: Vec<(String, String)>,
    pub json_logs: bool,
    /// Start a service again when it exits by itself, as a supervisor would, instead of stopping
    /// the suite.
    pub restart: bool,
}

/// How each service is started: the same way at first and after a crash.
struct Starter {
    exe: PathBuf,
    host: String,
    data_dir: PathBuf,
    topology: Topology,
    secrets: WebhookSecrets,
    secret: String,
    databases: Vec<(String, String)>,
    json_logs: bool,
}

impl Starter {
    fn start(&self, entry: &'static ServiceEntry, port: u16) -> anyhow::Result<Running> {
        let database = match self.databases.iter().find(|(name, _)| name == entry.name) {
            Some((_, url)) => url.clone(),
            None => format!("sqlite://{}/{}.db", self.data_dir.display(), entry.name),
        };
        let child = Command::new(&self.exe)
            .envs(wiring(entry.name, &self.topology, &self.secrets, &self.data_dir))
            .args(["serve", entry.name])
            .env("GROUPBUY_SERVER__HOST", &self.host)
            .env("GROUPBUY_SERVER__PORT", port.to_string())
            .env("GROUPBUY_DATABASE__URL", database)
            .env("GROUPBUY_AUTH__SECRET", &self.secret)
            .env("GROUPBUY_TELEMETRY__FORMAT", if self.json_logs { "json" } else { "pretty" })
            .env(LAUNCHER_PID_VAR, std::process::id().to_string())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", entry.name))?;
        Ok(Running { entry, port, child })
    }
}

struct Running {
    entry: &'static ServiceEntry,
    port: u16,
    child: Child,
}

/// Starts the suite and waits for Ctrl-C (or SIGTERM), then stops every service.
pub async fn up(options: UpOptions) -> anyhow::Result<()> {
    std::fs::create_dir_all(&options.data_dir)?;
    let data_dir = options.data_dir.canonicalize()?;
    let secret = crate::secret::load_or_create(&data_dir)?;
    let secrets = WebhookSecrets {
        payments: crate::secret::webhook_secret(&data_dir, crate::secret::PAYMENTS_WEBHOOK_FILE)?,
        shipping: crate::secret::webhook_secret(&data_dir, crate::secret::SHIPPING_WEBHOOK_FILE)?,
        bidding: crate::secret::webhook_secret(&data_dir, crate::secret::BIDDING_WEBHOOK_FILE)?,
    };
    let exe = std::env::current_exe()?;

    let ports: Vec<(&'static ServiceEntry, u16)> = SERVICES
        .iter()
        .map(|entry| {
            (entry, options.ports.iter().find(|(n, _)| n == entry.name).map_or(entry.default_port, |(_, p)| *p))
        })
        .collect();
    for (entry, port) in &ports {
        // Readiness probes would find whatever holds the port ready: say so instead.
        std::net::TcpListener::bind((options.host.as_str(), *port)).with_context(|| {
            format!("{}'s port {port} is in use (another groupbuy running?); choose another with --port", entry.name)
        })?;
    }

    let starter = Starter {
        exe,
        host: options.host.clone(),
        data_dir: data_dir.clone(),
        topology: Topology::local(&options.host, &ports),
        secrets,
        secret,
        databases: options.databases,
        json_logs: options.json_logs,
    };
    let mut running = Vec::new();
    for &(entry, port) in &ports {
        running.push(starter.start(entry, port)?);
    }

    // Listening for Ctrl-C and SIGTERM from here on: one that arrives as the suite comes up stops
    // it cleanly rather than killing the launcher alone.
    let stop_signals = StopSignals::listen()?;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build()?;
    for service in &mut running {
        wait_ready(&client, &options.host, service).await?;
    }
    println!("\ngroupbuy is up (data in {}):", data_dir.display());
    for service in &running {
        let base = format!("http://{}:{}", options.host, service.port);
        println!("  {:<9} {base}   docs {base}/docs/", service.entry.name);
    }
    match std::env::var("GROUPBUY_GROUPS__MAIL__SMTP_URL") {
        Ok(url) => println!("\nMail (purchaser IDs, receipts, favors) goes to {url}."),
        Err(_) => println!(
            "\nMail (purchaser IDs, receipts, favors) is written to {} as .eml files; \
             set GROUPBUY_GROUPS__MAIL__SMTP_URL=smtp://host:port to send it.",
            mail_dir(&data_dir).display()
        ),
    }
    println!("\nA token: groupbuy token --role operator --data-dir {}", data_dir.display());
    println!("Ctrl-C stops every service.");

    let restart = options.restart.then_some(&starter);
    let exited = wait_for_stop(&mut running, stop_signals, restart).await;
    stop_all(&mut running).await;
    match exited {
        Some(name) => anyhow::bail!("{name} stopped unexpectedly; the suite was stopped"),
        None => Ok(()),
    }
}

/// Where the embedded default writes groups' mail.
fn mail_dir(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("mail")
}

/// The variables that point a service at the others on this host, with the webhook secrets;
/// groups' mail goes to `data_dir/mail` unless `GROUPBUY_GROUPS__MAIL__SMTP_URL` names a server.
fn wiring(
    name: &str,
    topology: &Topology,
    secrets: &WebhookSecrets,
    data_dir: &std::path::Path,
) -> Vec<(String, String)> {
    let mut env = crate::wiring::peers(name, topology, secrets);
    if name == "groups" {
        env.push(("GROUPBUY_GROUPS__MAIL__DIR".to_owned(), mail_dir(data_dir).display().to_string()));
    }
    env
}

async fn wait_ready(client: &reqwest::Client, host: &str, service: &mut Running) -> anyhow::Result<()> {
    let url = format!("http://{host}:{}/health/ready", service.port);
    for _ in 0..300 {
        if let Some(status) = service.child.try_wait()? {
            anyhow::bail!("{} exited during start-up ({status})", service.entry.name);
        }
        if client.get(&url).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("{} was not ready within 30 s", service.entry.name)
}

struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn listen() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self { interrupt: signal(SignalKind::interrupt())?, terminate: signal(SignalKind::terminate())? })
    }
}

/// Returns the name of a service that exited by itself, or `None` on Ctrl-C / SIGTERM. With a
/// `restart` starter, a service that exits is started again instead.
async fn wait_for_stop(
    running: &mut [Running],
    mut signals: StopSignals,
    restart: Option<&Starter>,
) -> Option<&'static str> {
    let any_exit = async {
        loop {
            for service in running.iter_mut() {
                let Ok(Some(status)) = service.child.try_wait() else { continue };
                let Some(starter) = restart else { return service.entry.name };
                println!("{} exited ({status}); starting it again", service.entry.name);
                match starter.start(service.entry, service.port) {
                    Ok(again) => *service = again,
                    Err(e) => {
                        println!("{e:#}");
                        return service.entry.name;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    tokio::select! {
        _ = signals.interrupt.recv() => None,
        _ = signals.terminate.recv() => None,
        name = any_exit => Some(name),
    }
}

/// SIGTERM to each service (they finish in-flight requests), then SIGKILL after 10 s.
async fn stop_all(running: &mut [Running]) {
    for service in running.iter() {
        if let Some(pid) = service.child.id().and_then(|id| i32::try_from(id).ok()) {
            let _ = signal::kill(Pid::from_raw(pid), signal::Signal::SIGTERM);
        }
    }
    for service in running.iter_mut() {
        if tokio::time::timeout(Duration::from_secs(10), service.child.wait()).await.is_err() {
            let _ = service.child.kill().await;
        }
        println!("{} stopped", service.entry.name);
    }
}
