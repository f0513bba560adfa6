//! Starts the real shipping service with a fresh database and a local receiver standing in for
//! groups.

use domain::{ShippingBaseId, SupplierId};
use platform::{
    auth::Role,
    config::Secret,
    testing::{RECEIVER_SECRET, TestBackend, TestDatabase, WebhookReceiver, settings, token},
    webhook,
};
use reqwest::{Method, Response};
use serde_json::{Value, json};

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// Stands in for groups.
    pub groups: WebhookReceiver,
    _db: TestDatabase,
}

/// Shipping with callbacks to this machine allowed, as the tests' receivers run here.
pub async fn spawn_app(backend: TestBackend) -> Option<TestApp> {
    spawn(backend, true).await
}

/// Shipping as production runs it: callbacks only to public hosts.
pub async fn spawn_strict_app(backend: TestBackend) -> Option<TestApp> {
    spawn(backend, false).await
}

async fn spawn(backend: TestBackend, allow_private_targets: bool) -> Option<TestApp> {
    let db = TestDatabase::create(backend, "shipping")?;
    let groups = WebhookReceiver::start().await;
    let mut config = shipping::config::with_defaults(settings(&db.url)).unwrap();
    config.shipping.subscriber.url = Some(groups.url.clone());
    config.shipping.subscriber.secret = Some(Secret::new(RECEIVER_SECRET));
    config.shipping.subscriber.poll_interval_ms = 20;
    config.shipping.subscriber.allow_private_targets = allow_private_targets;
    let app = shipping::build(config).await.expect("shipping starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Some(TestApp { address, client: reqwest::Client::new(), groups, _db: db })
}

pub fn operator() -> String {
    token(Role::Operator, "op", None)
}

pub fn service() -> String {
    token(Role::Service, "groups", None)
}

pub fn base_token(base: ShippingBaseId) -> String {
    platform::testing::shipping_token(base)
}

/// A registered base: its id and webhook secret.
pub struct Base {
    pub id: ShippingBaseId,
    pub secret: String,
}

pub fn new_shipment(purchase: &str, supplier: SupplierId) -> Value {
    json!({
        "purchase_id": purchase,
        "group_id": "0190a8f2-0000-7000-8000-00000000000a",
        "member": "member-7",
        "supplier_id": supplier,
        "recipient": { "name": "Erika Mustermann", "line1": "Heidestraße 17", "city": "Köln", "postal_code": "51147", "country": "DE" },
        "items": [{ "product_id": "0190a8f2-0000-7000-8000-0000000000b1", "quantity": 2 }],
    })
}

impl TestApp {
    pub async fn send(&self, method: Method, path: &str, bearer: Option<&str>, body: Option<&Value>) -> Response {
        let mut req = self.client.request(method, format!("{}{path}", self.address));
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.unwrap()
    }

    pub async fn register_base(&self, suppliers: &[SupplierId]) -> Base {
        let res = self
            .send(
                Method::POST,
                "/v1/shipping-bases",
                Some(&operator()),
                Some(&json!({ "name": "Lager Nord", "supplier_ids": suppliers })),
            )
            .await;
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        Base {
            id: body["id"].as_str().unwrap().parse().unwrap(),
            secret: body["webhook_secret"].as_str().unwrap().to_owned(),
        }
    }

    /// Requests a shipment as groups with `key`; returns status and body.
    pub async fn request_shipment(&self, key: &str, body: &Value) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}/v1/shipments", self.address))
            .bearer_auth(service())
            .header("idempotency-key", key)
            .json(body)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
    }

    /// Posts a status report as the base's signed webhook.
    pub async fn base_webhook(&self, base: &Base, message_id: &str, report: &Value, secret: &str, at: i64) -> Response {
        let body = report.to_string();
        let signature =
            webhook::standard_signature(&webhook::SigningKey::standard(secret), message_id, at, body.as_bytes());
        self.client
            .post(format!("{}/v1/webhooks/bases/{}", self.address, base.id))
            .header("content-type", "application/json")
            .header(webhook::ID_HEADER, message_id)
            .header(webhook::TIMESTAMP_HEADER, at.to_string())
            .header(webhook::SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_json(&self, path: &str, bearer: &str) -> Value {
        let res = self.send(Method::GET, path, Some(bearer), None).await;
        assert_eq!(res.status(), 200, "{path}");
        res.json().await.unwrap()
    }
}

pub async fn assert_problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status(), status);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    res.json().await.unwrap()
}
