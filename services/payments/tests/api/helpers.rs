//! Starts the real payments service with a fresh database, a fast sandbox and a local receiver
//! standing in for groups.

use domain::GroupId;
use platform::{
    auth::Role,
    config::Secret,
    testing::{RECEIVER_SECRET, TestBackend, TestDatabase, WebhookReceiver, settings, token},
};
use reqwest::{Method, Response};
use serde_json::{Value, json};

/// The sandbox's webhook secret in tests, so that tests can sign events as the provider.
pub const SANDBOX_SECRET: &str = "whsec_c2FuZGJveC10ZXN0LXNlY3JldA==";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub receiver: WebhookReceiver,
    stripe_url: Option<String>,
    /// The service's clock, for moving time forward.
    pub clock: platform::clock::Clock,
    _db: TestDatabase,
}

pub const STRIPE_URL_VAR: &str = "GROUPBUY_TEST_STRIPE_URL";
pub const SKIP_STRIPE_VAR: &str = "GROUPBUY_TEST_SKIP_STRIPE";

pub async fn spawn_app(backend: TestBackend) -> Option<TestApp> {
    spawn(backend, |_| {}).await
}

/// The service on the `stripe` provider, talking to the localstripe at `GROUPBUY_TEST_STRIPE_URL`.
/// Without it the test fails, unless `GROUPBUY_TEST_SKIP_STRIPE=1` skips it on purpose (printed).
pub async fn spawn_stripe_app(backend: TestBackend) -> Option<TestApp> {
    let Ok(url) = std::env::var(STRIPE_URL_VAR) else {
        if std::env::var(SKIP_STRIPE_VAR).as_deref() == Ok("1") {
            eprintln!("SKIPPED: Stripe provider test ({SKIP_STRIPE_VAR}=1)");
            return None;
        }
        panic!("{STRIPE_URL_VAR} is not set: run the README's test command, or set {SKIP_STRIPE_VAR}=1");
    };
    let mut app = spawn(backend, move |config| {
        config.payments.provider = payments::config::ProviderKind::Stripe;
        config.payments.stripe.base_url = url.clone();
        config.payments.stripe.api_key = Some(Secret::new(STRIPE_KEY));
        config.payments.stripe.webhook_secret = Some(Secret::new("whsec_localstripe"));
    })
    .await?;
    app.stripe_url = std::env::var(STRIPE_URL_VAR).ok();
    Some(app)
}

const STRIPE_KEY: &str = "sk_test_groupbuy";

/// The sandbox whose late outcomes never come by webhook (as after a restart within the delay),
/// with a reconciler that looks every 50 ms for payments waiting longer than 10 minutes.
pub async fn spawn_lost_webhooks_app(backend: TestBackend) -> Option<TestApp> {
    spawn(backend, |config| {
        config.payments.sandbox.async_delay_ms = 3_600_000;
        config.payments.reconcile_after_ms = 600_000;
        config.payments.reconcile_every_ms = 50;
    })
    .await
}

/// The service on the `stripe` provider at an address where nothing listens: every provider call
/// fails.
pub async fn spawn_provider_down_app(backend: TestBackend) -> Option<TestApp> {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    spawn(backend, move |config| {
        config.payments.provider = payments::config::ProviderKind::Stripe;
        config.payments.stripe.base_url = format!("http://127.0.0.1:{closed}");
        config.payments.stripe.api_key = Some(Secret::new(STRIPE_KEY));
        config.payments.stripe.webhook_secret = Some(Secret::new("whsec_unused"));
    })
    .await
}

async fn spawn(backend: TestBackend, adjust: impl FnOnce(&mut payments::Config)) -> Option<TestApp> {
    let db = TestDatabase::create(backend, "payments")?;
    let receiver = WebhookReceiver::start().await;
    let mut config = payments::config::with_defaults(settings(&db.url)).unwrap();
    config.payments.sandbox.async_delay_ms = 50;
    config.payments.sandbox.webhook_secret = Some(Secret::new(SANDBOX_SECRET));
    config.payments.subscriber.url = Some(receiver.url.clone());
    config.payments.subscriber.secret = Some(Secret::new(RECEIVER_SECRET));
    config.payments.subscriber.poll_interval_ms = 20;
    adjust(&mut config);
    let app = payments::build(config).await.expect("payments starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let clock = app.db().clock().clone();
    tokio::spawn(app.run_until_stopped());
    Some(TestApp { address, client: reqwest::Client::new(), receiver, stripe_url: None, clock, _db: db })
}

pub fn service() -> String {
    token(Role::Service, "groups", None)
}

pub fn operator() -> String {
    token(Role::Operator, "op", None)
}

pub fn eur(amount: &str) -> Value {
    json!({ "amount": amount, "currency": "EUR" })
}

/// A payment body for a new group member paying by `card`.
pub fn new_payment(group: GroupId, amount: &str, card: &str) -> Value {
    json!({
        "group_id": group,
        "member": "member-1",
        "purpose": "join_hold",
        "amount": eur(amount),
        "method": { "type": "card", "token": card },
    })
}

impl TestApp {
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut req = self.client.request(method, format!("{}{path}", self.address));
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.unwrap()
    }

    /// POSTs as groups with a fresh idempotency key; returns status and body.
    pub async fn call(&self, path: &str, body: &Value) -> (u16, Value) {
        let key = uuid::Uuid::new_v4().to_string();
        let res = self.send(Method::POST, path, Some(&service()), Some(&key), Some(body)).await;
        (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_json(&self, path: &str, bearer: &str) -> Value {
        let res = self.send(Method::GET, path, Some(bearer), None, None).await;
        assert_eq!(res.status(), 200, "{path}");
        res.json().await.unwrap()
    }

    /// Reads from the Stripe-compatible server directly, to see what our calls did there.
    pub async fn stripe(&self, path: &str) -> Value {
        let base = self.stripe_url.as_deref().expect("a stripe app");
        self.client.get(format!("{base}{path}")).bearer_auth(STRIPE_KEY).send().await.unwrap().json().await.unwrap()
    }

    /// Waits until the payment reaches `state`.
    pub async fn wait_for_state(&self, id: &str, state: &str) -> Value {
        for _ in 0..200 {
            let payment = self.get_json(&format!("/v1/payments/{id}"), &service()).await;
            if payment["state"] == state {
                return payment;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("payment {id} never became {state}");
    }

    /// Posts an event to the sandbox webhook, signed `at` the given unix time with `secret`.
    pub async fn webhook(&self, event: &Value, secret: &str, at: i64) -> Response {
        let body = event.to_string();
        let signature =
            platform::webhook::stripe_signature(&platform::webhook::SigningKey::stripe(secret), at, body.as_bytes());
        self.client
            .post(format!("{}/v1/webhooks/sandbox", self.address))
            .header("content-type", "application/json")
            .header("stripe-signature", signature)
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

/// Asserts a problem+json response with `status`; returns its body.
pub async fn assert_problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status(), status);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    res.json().await.unwrap()
}
