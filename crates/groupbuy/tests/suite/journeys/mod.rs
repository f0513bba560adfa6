//! Cross-service journeys (PRODUCT.md X5, X7): the five services as separate processes started by
//! `groupbuy up` on free ports, on SQLite and on PostgreSQL (a database per service), driven over
//! HTTP as storefronts, supplier systems, shipping bases and the operator drive them. After each
//! journey the books of every group balance to the cent, no payment, shipment or mail exists twice
//! and each group's history is what happened.

mod auction;
mod bulk;
mod replicas;
mod stripe;
mod tiered;

use std::{
    collections::HashSet,
    path::PathBuf,
    process::Child,
    time::{Duration, Instant},
};

use platform::{
    auth::Role,
    testing::{TEST_SECRET, TestBackend, TestDatabase, token},
};
use serde_json::{Value, json};

use crate::harness::{Launch, suite_ports, up_with};

/// The suite as its own processes, with an HTTP client; stopped (and its data removed) on drop.
pub struct Suite {
    pub catalog: String,
    pub groups: String,
    pub payments: String,
    pub shipping: String,
    pub bidding: String,
    pub client: reqwest::Client,
    data_dir: PathBuf,
    launcher: Child,
    /// What the launcher's services were started with: ports, databases, variables.
    ports: [(&'static str, u16); 5],
    databases: Vec<(String, String)>,
    env: Vec<(String, String)>,
    _databases: Vec<TestDatabase>,
}

impl Suite {
    /// Starts the suite on `backend`; `None` when PostgreSQL tests are skipped on purpose.
    pub fn start(backend: TestBackend) -> Option<Self> {
        Self::start_with(backend, &[])
    }

    /// [`Suite::start`] with more variables for the services (a payment provider, say).
    pub fn start_with(backend: TestBackend, env: &[(&str, &str)]) -> Option<Self> {
        Self::launched(backend, env, &[])
    }

    /// [`Suite::start`] under `groupbuy up --restart`: a service killed is started again.
    pub fn start_supervised(backend: TestBackend) -> Option<Self> {
        Self::launched(backend, &[], &["--restart"])
    }

    fn launched(backend: TestBackend, env: &[(&str, &str)], args: &[&str]) -> Option<Self> {
        let ports = suite_ports();
        let mut launch = Launch { args: args.iter().map(|a| (*a).to_owned()).collect(), env: Vec::new() };
        let (mut test_databases, mut databases) = (Vec::new(), Vec::new());
        if backend == TestBackend::Postgres {
            for (name, _) in &ports {
                let database = TestDatabase::create(backend, name)?;
                launch.args.extend(["--database".to_owned(), format!("{name}={}", database.url)]);
                databases.push(((*name).to_owned(), database.url.clone()));
                test_databases.push(database);
            }
        }
        // Tokens the tests sign; short waits where the defaults wait for people.
        let waits = [
            ("GROUPBUY_AUTH__SECRET", TEST_SECRET),
            ("GROUPBUY_GROUPS__CLOSE_EVERY_MS", "200"),
            ("GROUPBUY_GROUPS__MIN_BID_WINDOW_SECONDS", "3"),
            ("GROUPBUY_BIDDING__AWARD_EVERY_MS", "200"),
            ("GROUPBUY_PAYMENTS__SANDBOX__ASYNC_DELAY_MS", "300"),
        ];
        launch.env = waits.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        for outbox in ["GROUPS__OUTBOX", "PAYMENTS__SUBSCRIBER", "SHIPPING__SUBSCRIBER", "BIDDING__SUBSCRIBER"] {
            launch.env.push((format!("GROUPBUY_{outbox}__POLL_INTERVAL_MS"), "50".to_owned()));
            launch.env.push((format!("GROUPBUY_{outbox}__BACKOFF_MAX_MS"), "500".to_owned()));
        }
        launch.env.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let data_dir = std::env::temp_dir().join(format!("groupbuy-journey-{}", uuid::Uuid::new_v4()));
        let launcher = up_with(&data_dir, &ports, &launch);
        let [catalog, groups, payments, shipping, bidding] = ports.map(|(_, port)| format!("http://127.0.0.1:{port}"));
        let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        Some(Self {
            catalog,
            groups,
            payments,
            shipping,
            bidding,
            client,
            data_dir,
            launcher,
            ports,
            databases,
            env: launch.env,
            _databases: test_databases,
        })
    }

    /// Another process of `service` on its database (a replica), wired as the launcher wires its
    /// own and listening on `port`; the caller stops it.
    pub fn replica(&self, service: &str, port: u16) -> Child {
        use groupbuy::{secret, wiring};
        let secret = |file| secret::webhook_secret(&self.data_dir, file).unwrap();
        let secrets = wiring::WebhookSecrets {
            payments: secret(secret::PAYMENTS_WEBHOOK_FILE),
            shipping: secret(secret::SHIPPING_WEBHOOK_FILE),
            bidding: secret(secret::BIDDING_WEBHOOK_FILE),
        };
        let ports: Vec<_> = self.ports.iter().map(|(name, port)| (groupbuy::find(name).unwrap(), *port)).collect();
        let mut env = wiring::peers(service, &wiring::Topology::local("127.0.0.1", &ports), &secrets);
        let database = self.databases.iter().find(|(name, _)| name == service).expect("a PostgreSQL suite");
        env.extend([
            ("GROUPBUY_SERVER__PORT".to_owned(), port.to_string()),
            ("GROUPBUY_DATABASE__URL".to_owned(), database.1.clone()),
            ("GROUPBUY_GROUPS__MAIL__DIR".to_owned(), self.data_dir.join("mail").display().to_string()),
        ]);
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_groupbuy"))
            .args(["serve", service])
            .envs(self.env.iter().cloned())
            .envs(env)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !crate::harness::serving(port) {
            assert!(Instant::now() < deadline, "the {service} replica did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        child
    }

    /// `method url` as `bearer` with `body`: the status and the JSON answer (null when empty).
    pub async fn call(&self, method: reqwest::Method, url: &str, bearer: &str, body: Option<&Value>) -> (u16, Value) {
        let mut request = self.client.request(method, url).bearer_auth(bearer);
        if let Some(body) = body {
            request = request.json(body);
        }
        let res = request.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// POSTs `body` and expects a 2xx; the answer.
    pub async fn post(&self, url: &str, bearer: &str, body: &Value) -> Value {
        let (status, answer) = self.call(reqwest::Method::POST, url, bearer, Some(body)).await;
        assert!((200..300).contains(&status), "POST {url}: {status} {answer}");
        answer
    }

    /// GETs and expects 200; the answer.
    pub async fn get(&self, url: &str, bearer: &str) -> Value {
        let (status, answer) = self.call(reqwest::Method::GET, url, bearer, None).await;
        assert_eq!(status, 200, "GET {url}: {answer}");
        answer
    }

    /// Polls `read` until `done` holds (60 s at most); the last value read.
    pub async fn until<T, F, Fut>(&self, what: &str, read: F, done: impl Fn(&T) -> bool) -> T
    where
        T: std::fmt::Debug,
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let value = read().await;
            if done(&value) {
                return value;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}: {value:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn group(&self, id: &str) -> Value {
        self.get(&format!("{}/v1/groups/{id}", self.groups), &operator()).await
    }

    /// Waits until the group is in `state`; the group.
    pub async fn group_becomes(&self, id: &str, state: &str) -> Value {
        self.until(&format!("group {id} {state}"), || self.group(id), |g| g["state"] == state).await
    }

    pub async fn members(&self, id: &str) -> Vec<Value> {
        let list = self.get(&format!("{}/v1/groups/{id}/members", self.groups), &operator()).await;
        list["members"].as_array().unwrap().clone()
    }

    pub async fn payments_of(&self, group: &str) -> Vec<Value> {
        let page = self.get(&format!("{}/v1/payments?group_id={group}&limit=100", self.payments), &operator()).await;
        page["items"].as_array().unwrap().clone()
    }

    pub async fn shipments_of(&self, group: &str) -> Vec<Value> {
        let page = self.get(&format!("{}/v1/shipments?group_id={group}&limit=100", self.shipping), &operator()).await;
        page["items"].as_array().unwrap().clone()
    }

    /// A supplier in the catalog with a product of `details` at `price` EUR (with `extra` fields),
    /// and a shipping base serving it: the supplier's id and the product's.
    pub async fn supplier_with(&self, details: Value, price: &str, extra: Value) -> (String, String) {
        let supplier =
            self.post(&format!("{}/v1/suppliers", self.catalog), &operator(), &json!({ "name": "Journey" })).await;
        let supplier = supplier["id"].as_str().unwrap().to_owned();
        let mut product = json!({
            "supplier_id": supplier, "name": "Journey product", "details": details,
            "list_price": { "amount": price, "currency": "EUR" },
        });
        product.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let product = self.post(&format!("{}/v1/products", self.catalog), &operator(), &product).await;
        let base = json!({ "name": "Journey depot", "supplier_ids": [supplier] });
        self.post(&format!("{}/v1/shipping-bases", self.shipping), &operator(), &base).await;
        (supplier, product["id"].as_str().unwrap().to_owned())
    }

    /// Joins `shopper` for `quantity` with `card`; the membership (201 expected).
    pub async fn join(&self, group: &str, shopper: &str, quantity: u32, card: &str) -> Value {
        let body =
            json!({ "quantity": quantity, "payment_method": { "type": "card", "token": card }, "ship_to": address() });
        self.post(&format!("{}/v1/groups/{group}/members", self.groups), &shopper_token(shopper), &body).await
    }

    /// The group's history as its event kinds, in order.
    pub async fn history(&self, group: &str) -> Vec<String> {
        let history = self.get(&format!("{}/v1/groups/{group}/history", self.groups), &operator()).await;
        history["points"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap().to_owned()).collect()
    }

    /// SIGKILL to `service`'s process (the launcher's child serving it).
    pub fn kill(&self, service: &str) {
        let found = std::process::Command::new("pgrep")
            .args(["-P", &self.launcher.id().to_string(), "-f", &format!("serve {service}$")])
            .output()
            .unwrap();
        for pid in String::from_utf8_lossy(&found.stdout).split_whitespace() {
            let pid = nix::unistd::Pid::from_raw(pid.parse().unwrap());
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        }
    }

    /// Waits (60 s at most) until every service answers ready, as after a restart.
    pub async fn all_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        for base in [&self.catalog, &self.groups, &self.payments, &self.shipping, &self.bidding] {
            let url = format!("{base}/health/ready");
            while !self.client.get(&url).send().await.is_ok_and(|r| r.status().is_success()) {
                assert!(Instant::now() < deadline, "{base} never became ready");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// A webhook secret `groupbuy up` keeps in its data folder (`groupbuy::secret::*_FILE`).
    pub fn webhook_secret(&self, file: &str) -> String {
        groupbuy::secret::webhook_secret(&self.data_dir, file).unwrap()
    }

    /// What the services printed so far (the launcher passes their output on).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("launcher.log")).unwrap_or_default()
    }

    /// What holds after every journey, for `group`: its books balance to the cent once settled
    /// (and nothing stays on the clearing account), each member has one payment, each purchase
    /// one shipment, and no mail was written twice.
    pub async fn books_balance_and_nothing_is_twice(&self, group: &str) {
        let books = self.get(&format!("{}/v1/groups/{group}/books", self.payments), &operator()).await;
        assert_eq!(books["balanced"], true, "{books}");
        let payments = self.payments_of(group).await;
        let mut members = HashSet::new();
        for payment in &payments {
            let key = (payment["member"].as_str().unwrap().to_owned(), payment["purpose"].as_str().unwrap().to_owned());
            assert!(members.insert(key), "a member paid twice for one purpose: {payments:?}");
        }
        let shipments = self.shipments_of(group).await;
        let purchases: HashSet<&str> = shipments.iter().map(|s| s["purchase_id"].as_str().unwrap()).collect();
        assert_eq!(purchases.len(), shipments.len(), "a purchase shipped twice: {shipments:?}");
        let mails = self.mails();
        let distinct: HashSet<&Mail> = mails.iter().collect();
        assert_eq!(distinct.len(), mails.len(), "a mail written twice");
    }

    /// Every mail groups wrote (the launcher's mail folder): recipient, subject and body.
    pub fn mails(&self) -> Vec<Mail> {
        let files = std::fs::read_dir(self.data_dir.join("mail")).into_iter().flatten().flatten();
        files
            .map(|file| {
                let text = std::fs::read_to_string(file.path()).unwrap().replace("\r\n", "\n");
                let header =
                    |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).unwrap_or_default().trim().to_owned();
                let body = text.split_once("\n\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
                Mail { to: header("To:"), subject: header("Subject:"), body }
            })
            .collect()
    }

    /// Waits until `count` mails to `address` were written; their subjects, sorted.
    pub async fn mail_to(&self, address: &str, count: usize) -> Vec<String> {
        let to = |mails: &Vec<Mail>| mails.iter().filter(|m| m.to.contains(address)).count() >= count;
        let mails = self.until(&format!("{count} mails to {address}"), || async { self.mails() }, to).await;
        let mut subjects: Vec<String> =
            mails.into_iter().filter(|m| m.to.contains(address)).map(|m| m.subject).collect();
        subjects.sort();
        subjects
    }
}

/// A mail as written.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Drop for Suite {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.launcher.id()).unwrap());
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
        let _ = self.launcher.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

pub fn operator() -> String {
    token(Role::Operator, "journey-operator", None)
}

pub fn shopper_token(name: &str) -> String {
    token(Role::Shopper, name, None)
}

pub const CARD: &str = "4242424242424242";
pub const DECLINED: &str = "4000000000000002";

pub fn address() -> Value {
    json!({ "name": "J. Doe", "line1": "1 Journey St", "city": "Berlin", "postal_code": "10115", "country": "DE" })
}

/// An RFC 3339 time `seconds` from now.
pub fn in_seconds(seconds: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(seconds)).to_rfc3339()
}
