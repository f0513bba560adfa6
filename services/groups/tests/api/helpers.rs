//! Starts a real catalog and the groups service on free ports, each with a fresh database, and
//! talks to them over HTTP.

use std::time::Duration;

use domain::SupplierId;
use platform::{
    auth::Role,
    config::Secret,
    testing::{TestBackend, TestDatabase, settings, token},
};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

/// The secrets payments and shipping sign what they tell groups with in tests.
pub const PAYMENTS_WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SHIPPING_WEBHOOK_SECRET: &str = "whsec_c2hpcHBpbmcgdGVsbHMgZ3JvdXBzIGhlcmU=";
pub const BIDDING_WEBHOOK_SECRET: &str = "whsec_YmlkZGluZyB0ZWxscyBncm91cHMgaGVyZQ==";

pub struct TestApp {
    pub address: String,
    pub catalog: String,
    pub payments: String,
    pub shipping: String,
    pub bidding: String,
    /// Bidding's clock, moved past a bid window's close.
    pub bidding_clock: platform::clock::Clock,
    pub client: reqwest::Client,
    /// The groups service's clock, for moving time forward.
    pub clock: platform::clock::Clock,
    config: groups::Config,
    /// Where groups' mail arrives.
    pub mail: Mailbox,
    _dbs: [TestDatabase; 5],
}

/// Where groups' mail arrives in tests: the SMTP server the test script starts (aiosmtpd keeping
/// a Maildir), or, when the tests run without it, the mailer's own folder.
pub enum Mailbox {
    Smtp(std::path::PathBuf),
    Folder(std::path::PathBuf),
}

/// A message as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub subject: String,
    pub message_id: String,
    pub body: String,
}

impl Mailbox {
    fn new(config: &mut groups::Config) -> Self {
        match (std::env::var("GROUPBUY_TEST_SMTP_URL"), std::env::var("GROUPBUY_TEST_SMTP_MAILDIR")) {
            (Ok(url), Ok(dir)) => {
                config.groups.mail.smtp_url = Some(url);
                Self::Smtp(dir.into())
            }
            _ => {
                let dir = std::env::temp_dir().join(format!("groupbuy-mail-{}", uuid::Uuid::new_v4()));
                config.groups.mail.dir = Some(dir.clone());
                Self::Folder(dir)
            }
        }
    }

    /// Every message to `address` so far.
    pub fn to(&self, address: &str) -> Vec<Received> {
        let dirs = match self {
            Self::Smtp(maildir) => vec![maildir.join("new"), maildir.join("cur")],
            Self::Folder(dir) => vec![dir.clone()],
        };
        let files = dirs.iter().filter_map(|d| std::fs::read_dir(d).ok()).flatten().filter_map(Result::ok);
        let texts = files.filter_map(|f| std::fs::read_to_string(f.path()).ok());
        texts.filter_map(|text| parse(&text)).filter(|(to, _)| to.contains(address)).map(|(_, m)| m).collect()
    }
}

/// The recipient and the message, from RFC 5322 text (soft line breaks of quoted-printable undone).
fn parse(text: &str) -> Option<(String, Received)> {
    let text = text.replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n")?;
    let header =
        |name: &str| head.lines().find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned())).unwrap_or_default();
    let body = body.replace("=\n", "");
    Some((header("To:"), Received { subject: header("Subject:"), message_id: header("Message-ID:"), body }))
}

/// A free port for groups, chosen before it starts (payments and shipping are told where it will
/// be). Taken below Linux's ephemeral range (32768 and up), so that no service of a parallel test
/// binding port 0 can take it in the meantime.
fn free_port() -> u16 {
    for _ in 0..1000 {
        let port = 20_000 + (uuid::Uuid::new_v4().as_u128() % 12_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port below the ephemeral range")
}

/// Fast retries, for tests.
fn quick(outbox: &mut platform::outbox::SubscriberSettings) {
    (outbox.poll_interval_ms, outbox.backoff_base_ms, outbox.backoff_max_ms) = (20, 50, 500);
}

/// Catalog, payments (sandbox), shipping, bidding and groups on `backend`, wired as `groupbuy up` wires them, or
/// `None` when PostgreSQL tests are skipped on purpose.
pub async fn spawn_app(backend: TestBackend) -> Option<TestApp> {
    let catalog_db = TestDatabase::create(backend, "catalog")?;
    let catalog = catalog::build(settings(&catalog_db.url)).await.expect("catalog starts");
    let catalog_address = format!("http://127.0.0.1:{}", catalog.port());
    tokio::spawn(catalog.run_until_stopped());

    let groups_port = free_port();
    let payments_db = TestDatabase::create(backend, "payments")?;
    let mut config = payments::config::with_defaults(settings(&payments_db.url)).expect("defaults");
    config.payments.sandbox.async_delay_ms = 100;
    config.payments.subscriber.url = Some(format!("http://127.0.0.1:{groups_port}/v1/webhooks/payments"));
    config.payments.subscriber.secret = Some(Secret::new(PAYMENTS_WEBHOOK_SECRET));
    quick(&mut config.payments.subscriber);
    let payments = payments::build(config).await.expect("payments starts");
    let payments_address = format!("http://127.0.0.1:{}", payments.port());
    tokio::spawn(payments.run_until_stopped());

    let shipping_db = TestDatabase::create(backend, "shipping")?;
    let mut config = shipping::config::with_defaults(settings(&shipping_db.url)).expect("defaults");
    config.shipping.subscriber.url = Some(format!("http://127.0.0.1:{groups_port}/v1/webhooks/shipping"));
    config.shipping.subscriber.secret = Some(Secret::new(SHIPPING_WEBHOOK_SECRET));
    quick(&mut config.shipping.subscriber);
    let shipping = shipping::build(config).await.expect("shipping starts");
    let shipping_address = format!("http://127.0.0.1:{}", shipping.port());
    tokio::spawn(shipping.run_until_stopped());

    let bidding_db = TestDatabase::create(backend, "bidding")?;
    let mut config = bidding::config::with_defaults(settings(&bidding_db.url)).expect("defaults");
    config.bidding.catalog_url = catalog_address.clone();
    config.bidding.award_every_ms = 20;
    config.bidding.subscriber.url = Some(format!("http://127.0.0.1:{groups_port}/v1/webhooks/bidding"));
    config.bidding.subscriber.secret = Some(Secret::new(BIDDING_WEBHOOK_SECRET));
    quick(&mut config.bidding.subscriber);
    let bidding = bidding::build(config).await.expect("bidding starts");
    let bidding_address = format!("http://127.0.0.1:{}", bidding.port());
    let bidding_clock = bidding.db().clock().clone();
    tokio::spawn(bidding.run_until_stopped());

    let db = TestDatabase::create(backend, "groups")?;
    let mut service = settings(&db.url);
    service.server.port = groups_port;
    let mut config = groups::config::with_defaults(service).expect("defaults");
    config.groups.catalog_url = catalog_address.clone();
    config.groups.payments_url = payments_address.clone();
    config.groups.shipping_url = shipping_address.clone();
    config.groups.bidding_url = bidding_address.clone();
    config.groups.bidding_webhook_secret = Some(Secret::new(BIDDING_WEBHOOK_SECRET));
    config.groups.payments_webhook_secret = Some(Secret::new(PAYMENTS_WEBHOOK_SECRET));
    config.groups.shipping_webhook_secret = Some(Secret::new(SHIPPING_WEBHOOK_SECRET));
    config.groups.close_every_ms = 50;
    quick(&mut config.groups.outbox);
    // Storefront endpoints in tests listen on this machine.
    config.groups.outbox.allow_private_targets = true;
    let mail = Mailbox::new(&mut config);
    let app = groups::build(config.clone()).await.expect("groups starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let clock = app.db().clock().clone();
    tokio::spawn(app.run_until_stopped());
    Some(TestApp {
        address,
        catalog: catalog_address,
        payments: payments_address,
        shipping: shipping_address,
        bidding: bidding_address,
        bidding_clock,
        client: reqwest::Client::new(),
        clock,
        config,
        mail,
        _dbs: [catalog_db, payments_db, shipping_db, bidding_db, db],
    })
}

pub fn operator() -> String {
    token(Role::Operator, "op-1", None)
}

pub fn shopper(name: &str) -> String {
    token(Role::Shopper, name, None)
}

pub fn supplier(id: SupplierId) -> String {
    token(Role::Supplier, &format!("supplier-user-{id}"), Some(id))
}

/// A card the sandbox authorizes.
pub fn card() -> Value {
    json!({ "type": "card", "token": "4242424242424242" })
}

/// Where a member's purchase is shipped.
pub fn address() -> Value {
    json!({ "name": "Ada Lovelace", "line1": "1 Analytical Way", "city": "London", "postal_code": "N1 9GU", "country": "GB" })
}

/// An RFC 3339 time `minutes` from now.
pub fn in_minutes(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes)).to_rfc3339()
}

impl TestApp {
    /// Another groups process on the same database (a replica); its clock, to move with ours,
    /// and its address.
    pub async fn replica(&self) -> (platform::clock::Clock, String) {
        let mut config = self.config.clone();
        config.service.server.port = 0;
        let app = groups::build(config).await.expect("replica starts");
        let (clock, address) = (app.db().clock().clone(), format!("http://127.0.0.1:{}", app.port()));
        tokio::spawn(app.run_until_stopped());
        (clock, address)
    }

    /// Registers a shipping base for `supplier` in shipping.
    pub async fn shipping_base(&self, supplier: SupplierId) {
        let body = json!({ "name": "Main depot", "supplier_ids": [supplier] });
        let res = self.client.post(format!("{}/v1/shipping-bases", self.shipping)).bearer_auth(operator()).json(&body);
        assert_eq!(res.send().await.expect("request").status(), 201);
    }

    /// Posts `body` to the webhook route `path`, signed with Standard Webhooks by `secret` as
    /// message `msg`; the status.
    pub async fn signed(&self, path: &str, secret: &str, msg: &str, body: String) -> u16 {
        let now = chrono::Utc::now().timestamp();
        let key = platform::webhook::SigningKey::standard(secret);
        let signature = platform::webhook::standard_signature(&key, msg, now, body.as_bytes());
        let res = self
            .client
            .post(format!("{}{path}", self.address))
            .header("webhook-id", msg)
            .header("webhook-timestamp", now.to_string())
            .header("webhook-signature", signature)
            .body(body);
        res.send().await.expect("request").status().as_u16()
    }

    /// A GET on another service with `bearer`.
    pub async fn read(&self, url: String, bearer: &str) -> Value {
        let res = self.client.get(&url).bearer_auth(bearer).send().await.expect("request");
        assert_eq!(res.status(), 200, "GET {url}");
        res.json().await.expect("json")
    }

    pub fn request(&self, method: Method, path: &str, bearer: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, format!("{}{path}", self.address));
        match bearer {
            Some(t) => builder.bearer_auth(t),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path, None).send().await.expect("request")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.expect("json")
    }

    pub async fn post(&self, path: &str, bearer: &str, body: &Value) -> Response {
        self.request(Method::POST, path, Some(bearer)).json(body).send().await.expect("request")
    }

    /// Registers a supplier in catalog and publishes a product with tiers 1-9 at 100.00 and 10+
    /// at 80.00 by member count; returns both ids.
    pub async fn tiered_product(&self) -> (SupplierId, String) {
        self.product_of_kind(json!({ "kind": "specific", "manufacturer": "Acme", "model": "ESP-1" })).await
    }

    /// Like [`tiered_product`](Self::tiered_product), of the kind `details` says.
    pub async fn product_of_kind(&self, details: Value) -> (SupplierId, String) {
        self.product_with(json!({ "details": details })).await
    }

    /// A product at 100.00 with tiers, changed by the fields in `extra` (a discount-rate table, say).
    pub async fn product_with(&self, extra: Value) -> (SupplierId, String) {
        let res = self
            .client
            .post(format!("{}/v1/suppliers", self.catalog))
            .bearer_auth(operator())
            .json(&json!({ "name": "Acme" }))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 201);
        let supplier_id: SupplierId =
            res.json::<Value>().await.expect("json")["id"].as_str().expect("id").parse().expect("uuid");
        let mut product = json!({
            "name": "Espresso machine",
            "list_price": { "amount": "100.00", "currency": "EUR" },
            "details": { "kind": "specific", "manufacturer": "Acme", "model": "ESP-1" },
            "price_tiers": { "basis": "member_count", "tiers": [
                { "min": 10, "unit_price": { "amount": "80.00", "currency": "EUR" } }
            ] }
        });
        if let (Some(product), Some(extra)) = (product.as_object_mut(), extra.as_object()) {
            product.extend(extra.clone());
        }
        let res = self
            .client
            .post(format!("{}/v1/products", self.catalog))
            .bearer_auth(supplier(supplier_id))
            .json(&product)
            .send()
            .await
            .expect("request");
        let body: Value = res.json().await.expect("json");
        (supplier_id, body["id"].as_str().unwrap_or_else(|| panic!("product created: {body}")).to_owned())
    }

    /// Starts a tiered group as `organizer`; panics unless it is created.
    pub async fn start_group(&self, organizer: &str, product_id: &str, extra: Value) -> Value {
        let mut body =
            json!({ "product_id": product_id, "mode": "tiered", "min_members": 3, "closes_at": in_minutes(60) });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let res = self.post("/v1/groups", organizer, &body).await;
        let status = res.status();
        let json: Value = res.json().await.expect("json");
        assert_eq!(status, 201, "{json}");
        json
    }

    pub async fn join(&self, group: &str, shopper_token: &str, quantity: u32) -> Response {
        self.join_with(group, shopper_token, quantity, card()).await
    }

    pub async fn join_with(&self, group: &str, shopper_token: &str, quantity: u32, method: Value) -> Response {
        self.join_at(&self.address, group, shopper_token, quantity, method).await
    }

    /// A join sent to the groups process at `address` (this one or a replica).
    pub async fn join_at(&self, at: &str, group: &str, shopper: &str, quantity: u32, method: Value) -> Response {
        let body = json!({ "quantity": quantity, "payment_method": method, "ship_to": address() });
        let url = format!("{at}/v1/groups/{group}/members");
        self.client.post(url).bearer_auth(shopper).json(&body).send().await.expect("request")
    }

    /// The group's members as the operator sees them.
    pub async fn members(&self, group: &str) -> Vec<Value> {
        let res = self.request(Method::GET, &format!("/v1/groups/{group}/members"), Some(&operator())).send().await;
        let body: Value = res.expect("request").json().await.expect("json");
        body["members"].as_array().expect("members").clone()
    }

    /// Waits until the group is in `state`; returns it.
    pub async fn group_becomes(&self, group: &str, state: &str) -> Value {
        for _ in 0..400 {
            let read = self.get_json(&format!("/v1/groups/{group}")).await;
            if read["state"] == state {
                return read;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("group {group} never became {state}: {}", self.get_json(&format!("/v1/groups/{group}")).await);
    }

    /// Waits until `shopper`'s latest membership in `group` is in `state`; returns it.
    pub async fn member_becomes(&self, group: &str, shopper: &str, state: &str) -> Value {
        for _ in 0..200 {
            let members = self.members(group).await;
            if let Some(m) = members.iter().rev().find(|m| m["shopper"] == shopper)
                && m["state"] == state
            {
                return m.clone();
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{shopper} never became {state} in {group}: {:?}", self.members(group).await);
    }

    /// A payment as payments has it, read with a service token.
    pub async fn payment(&self, id: &str) -> Value {
        let svc = token(Role::Service, "test", None);
        let res = self.client.get(format!("{}/v1/payments/{id}", self.payments)).bearer_auth(svc).send().await;
        res.expect("request").json().await.expect("json")
    }

    /// Waits until payment `id` is in `state`.
    pub async fn payment_becomes(&self, id: &str, state: &str) -> Value {
        for _ in 0..200 {
            let payment = self.payment(id).await;
            if payment["state"] == state {
                return payment;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("payment {id} never became {state}: {}", self.payment(id).await);
    }
}
