//! Test support shared by every service's test binary: a fresh database per test on either
//! backend, settings for a server on a free port, and tokens.
//!
//! PostgreSQL tests read `GROUPBUY_TEST_POSTGRES_URL` (an admin URL; each test creates its own
//! database there). Without it they fail, unless `GROUPBUY_TEST_SKIP_POSTGRES=1` says to skip them
//! on purpose, which is printed. The README's test command always provides one.

#![expect(clippy::expect_used, reason = "test support fails the test loudly")]

use diesel::{Connection, RunQueryDsl};

use crate::{
    auth::{Role, TokenIssuer},
    config::{
        AuthSettings, DatabaseSettings, JwtAlgorithm, LimitSettings, LogFormat, MetricsSettings, Secret,
        ServerSettings, ServiceSettings, TelemetrySettings,
    },
    rate_limit::Rate,
};

pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret";
pub const POSTGRES_URL_VAR: &str = "GROUPBUY_TEST_POSTGRES_URL";
pub const SKIP_POSTGRES_VAR: &str = "GROUPBUY_TEST_SKIP_POSTGRES";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

/// A database that lives as long as the test.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A new, empty database, or `None` when PostgreSQL tests are skipped on purpose.
    pub fn create(backend: TestBackend, service: &str) -> Option<Self> {
        match backend {
            TestBackend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/{service}.db", dir.path().display());
                Some(Self { url, _dir: Some(dir) })
            }
            TestBackend::Postgres => {
                let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
                    if std::env::var(SKIP_POSTGRES_VAR).as_deref() == Ok("1") {
                        eprintln!("SKIPPED: PostgreSQL test ({SKIP_POSTGRES_VAR}=1)");
                        return None;
                    }
                    panic!(
                        "{POSTGRES_URL_VAR} is not set: run the README's test command, or set {SKIP_POSTGRES_VAR}=1 to skip PostgreSQL tests"
                    );
                };
                let name = format!("{service}_{}", uuid::Uuid::new_v4().simple());
                let mut admin = diesel::PgConnection::establish(&admin_url).expect("connect to the test PostgreSQL");
                diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut admin)
                    .expect("create test database");
                let (base, _) = admin_url.rsplit_once('/').expect("admin url has a database");
                Some(Self { url: format!("{base}/{name}"), _dir: None })
            }
        }
    }
}

/// Settings for a test server: a free port, this database, the test secret.
pub fn settings(database_url: &str) -> ServiceSettings {
    ServiceSettings {
        server: ServerSettings { host: "127.0.0.1".into(), port: 0, workers: 2, cors_origins: String::new() },
        database: DatabaseSettings::new(database_url, 8),
        auth: AuthSettings {
            algorithm: JwtAlgorithm::HS256,
            secret: Some(Secret::new(TEST_SECRET)),
            public_key_pem: None,
            issuer: "groupbuy".into(),
            audience: "groupbuy".into(),
        },
        telemetry: TelemetrySettings { format: LogFormat::Pretty, filter: "warn".into() },
        // Tests poll; the rate limit tests set their own limits.
        limits: LimitSettings {
            body_bytes: 256 * 1024,
            reads: Rate::OFF,
            joins: Rate::OFF,
            purchases: Rate::OFF,
            declarations: Rate::OFF,
            offers: Rate::OFF,
        },
        metrics: MetricsSettings { public: false },
    }
}

/// A token signed with the test secret.
pub fn token(role: Role, subject: &str, supplier_id: Option<domain::SupplierId>) -> String {
    TokenIssuer::hs256(TEST_SECRET, "groupbuy", "groupbuy")
        .issue(role, subject, supplier_id.map(|s| s.as_uuid()), chrono::Duration::minutes(30))
        .expect("sign test token")
}

/// A shipping token bound to `base`.
pub fn shipping_token(base: domain::ShippingBaseId) -> String {
    TokenIssuer::hs256(TEST_SECRET, "groupbuy", "groupbuy")
        .issue(Role::Shipping, &format!("base-{base}"), Some(base.as_uuid()), chrono::Duration::minutes(30))
        .expect("sign test token")
}

/// Declares a test that runs once on SQLite and once on PostgreSQL, as `name::sqlite` and
/// `name::postgres`. The body receives the backend.
#[macro_export]
macro_rules! store_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::testing::TestBackend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)($crate::testing::TestBackend::Postgres).await
            }
        }
    };
}

/// A local receiver for the platform's outgoing webhooks: it checks each delivery's Standard
/// Webhooks signature and keeps the valid ones. Stands in for a peer service that does not exist yet.
pub struct WebhookReceiver {
    pub url: String,
    received: std::sync::Arc<std::sync::Mutex<Vec<(String, serde_json::Value)>>>,
    secret: std::sync::Arc<std::sync::Mutex<String>>,
}

/// The secret test receivers and relays share.
pub const RECEIVER_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

impl WebhookReceiver {
    /// Listens on a free port; `/` accepts deliveries signed with [`RECEIVER_SECRET`], `/fail`
    /// answers 500.
    pub async fn start() -> Self {
        Self::start_with(RECEIVER_SECRET).await
    }

    /// Like [`start`](Self::start), checking signatures against `secret`.
    pub async fn start_with(secret: &str) -> Self {
        use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let store = received.clone();
        let shared_secret = std::sync::Arc::new(std::sync::Mutex::new(secret.to_owned()));
        let secret = shared_secret.clone();
        let server = HttpServer::new(move || {
            let store = store.clone();
            let secret = secret.clone();
            App::new()
                .route(
                    "/",
                    web::post().to(move |req: HttpRequest, body: web::Bytes| {
                        let store = store.clone();
                        let secret = secret.lock().expect("receiver lock").clone();
                        async move {
                            let header = |name: &str| {
                                req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
                            };
                            let id = header(crate::webhook::ID_HEADER);
                            let valid = crate::webhook::verify_standard(
                                &crate::webhook::SigningKey::standard(&secret),
                                &id,
                                &header(crate::webhook::TIMESTAMP_HEADER),
                                &header(crate::webhook::SIGNATURE_HEADER),
                                &body,
                                chrono::Utc::now().timestamp(),
                            );
                            let Ok(event) = serde_json::from_slice(&body) else {
                                return HttpResponse::BadRequest().finish();
                            };
                            if valid.is_err() {
                                return HttpResponse::Unauthorized().finish();
                            }
                            store.lock().expect("receiver lock").push((id, event));
                            HttpResponse::NoContent().finish()
                        }
                    }),
                )
                .route("/fail", web::post().to(|| async { HttpResponse::InternalServerError().finish() }))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .expect("bind receiver");
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        Self { url: format!("http://127.0.0.1:{port}/"), received, secret: shared_secret }
    }

    /// Checks later deliveries against `secret` (one a service issued after the receiver started).
    pub fn set_secret(&self, secret: &str) {
        *self.secret.lock().expect("receiver lock") = secret.to_owned();
    }

    /// The deliveries so far: (webhook-id, event).
    pub fn received(&self) -> Vec<(String, serde_json::Value)> {
        self.received.lock().expect("receiver lock").clone()
    }

    /// Waits up to 10 s for an event of `event_type` matching `pred`.
    pub async fn wait_for(&self, event_type: &str, pred: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        for _ in 0..200 {
            if let Some((_, e)) = self.received().into_iter().find(|(_, e)| e["type"] == event_type && pred(e)) {
                return e;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no `{event_type}` event arrived; got {:?}", self.received());
    }
}

/// A PostgreSQL cluster of the test's own, so that a test can stop and start its server (an
/// outage). Needs PostgreSQL's binaries, as the README's test command installs them; started as
/// the `postgres` user when the tests run as root.
pub struct PrivatePostgres {
    pub url: String,
    bin: std::path::PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivatePostgres {
    pub fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's binaries under /usr/lib/postgresql")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .max()
            .expect("a PostgreSQL version");
        let dir = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let cluster = Self { url: format!("postgres://postgres@127.0.0.1:{port}/postgres"), bin, dir, port };
        if is_root() {
            let status = std::process::Command::new("chown")
                .args(["postgres:postgres"])
                .arg(cluster.dir.path())
                .status()
                .expect("chown");
            assert!(status.success());
        }
        let initdb = format!(
            "{}/initdb -D {}/data -U postgres -A trust -E UTF8 --no-instructions >/dev/null",
            cluster.bin.display(),
            cluster.dir.path().display()
        );
        assert!(as_postgres(&initdb), "initdb");
        cluster.resume();
        cluster
    }

    /// Stops the server at once, as a crash or an outage would.
    pub fn stop(&self) {
        let stop = format!(
            "{}/pg_ctl -D {}/data -m immediate -w stop >/dev/null",
            self.bin.display(),
            self.dir.path().display()
        );
        assert!(as_postgres(&stop), "pg_ctl stop");
    }

    /// Starts the server (again).
    pub fn resume(&self) {
        let start = format!(
            "{}/pg_ctl -D {dir}/data -l {dir}/log -w -o '-p {} -c listen_addresses=127.0.0.1 -k {dir} -c fsync=off' start >/dev/null",
            self.bin.display(),
            self.port,
            dir = self.dir.path().display()
        );
        assert!(as_postgres(&start), "pg_ctl start");
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let stop = format!(
            "{}/pg_ctl -D {}/data -m immediate stop >/dev/null 2>&1",
            self.bin.display(),
            self.dir.path().display()
        );
        as_postgres(&stop);
    }
}

fn is_root() -> bool {
    std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn as_postgres(script: &str) -> bool {
    let mut command = if is_root() {
        let mut c = std::process::Command::new("su");
        c.args(["postgres", "-s", "/bin/bash", "-c", script]);
        c
    } else {
        let mut c = std::process::Command::new("bash");
        c.args(["-c", script]);
        c
    };
    command.status().is_ok_and(|s| s.success())
}
