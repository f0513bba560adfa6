//! Starts the real catalog on a free port with a fresh database and talks to it over HTTP.

use domain::SupplierId;
use platform::{
    auth::Role,
    testing::{TestBackend, TestDatabase, settings, token},
};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The service's clock, for moving time forward.
    pub clock: platform::clock::Clock,
    _db: TestDatabase,
}

/// The catalog on `backend`, or `None` when PostgreSQL tests are skipped on purpose.
pub async fn spawn_app(backend: TestBackend) -> Option<TestApp> {
    let db = TestDatabase::create(backend, "catalog")?;
    let app = catalog::build(settings(&db.url)).await.expect("catalog starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let clock = app.db().clock().clone();
    tokio::spawn(app.run_until_stopped());
    Some(TestApp { address, client: reqwest::Client::new(), clock, _db: db })
}

pub fn operator() -> String {
    token(Role::Operator, "op-1", None)
}

pub fn shopper() -> String {
    token(Role::Shopper, "shopper-1", None)
}

pub fn supplier(id: SupplierId) -> String {
    token(Role::Supplier, &format!("supplier-user-{id}"), Some(id))
}

impl TestApp {
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

    pub async fn post(&self, path: &str, bearer: &str, body: &Value) -> Response {
        self.request(Method::POST, path, Some(bearer)).json(body).send().await.expect("request")
    }

    pub async fn patch(&self, path: &str, bearer: &str, body: &Value) -> Response {
        self.request(Method::PATCH, path, Some(bearer)).json(body).send().await.expect("request")
    }

    /// Registers a supplier as the operator and returns its id.
    pub async fn create_supplier(&self, name: &str) -> SupplierId {
        let res = self.post("/v1/suppliers", &operator(), &json!({ "name": name })).await;
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.expect("json");
        body["id"].as_str().expect("id").parse().expect("uuid")
    }

    /// Publishes a product as its supplier; panics unless it is created.
    pub async fn create_product(&self, owner: SupplierId, body: Value) -> Value {
        let res = self.post("/v1/products", &supplier(owner), &body).await;
        let status = res.status();
        let json: Value = res.json().await.expect("json");
        assert_eq!(status, 201, "{json}");
        json
    }

    pub async fn products(&self, query: &str) -> Value {
        let res = self.get(&format!("/v1/products{query}")).await;
        assert_eq!(res.status(), 200);
        res.json().await.expect("json")
    }
}

/// A minimal valid product of the given details.
pub fn product(name: &str, details: Value) -> Value {
    json!({
        "name": name,
        "list_price": { "amount": "100.00", "currency": "EUR" },
        "details": details,
    })
}

/// Asserts a problem+json response with `status` and returns its body.
pub async fn assert_problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status(), status);
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = res.json().await.expect("problem body");
    assert_eq!(body["status"], status);
    assert!(body["type"].as_str().is_some_and(|t| t.starts_with("https://")), "{body}");
    body
}
