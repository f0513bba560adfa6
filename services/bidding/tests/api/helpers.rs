//! Starts a real catalog and the bidding service, each with a fresh database, and a local
//! receiver standing in for groups.

use domain::SupplierId;
use platform::{
    auth::Role,
    config::Secret,
    testing::{RECEIVER_SECRET, TestBackend, TestDatabase, WebhookReceiver, settings, token},
};
use reqwest::{Method, Response};
use serde_json::{Value, json};

pub struct TestApp {
    pub address: String,
    pub catalog: String,
    pub client: reqwest::Client,
    /// Bidding's clock, moved past a window's close.
    pub clock: platform::clock::Clock,
    /// Stands in for groups.
    pub groups: WebhookReceiver,
    _dbs: (TestDatabase, TestDatabase),
}

pub async fn spawn_app(backend: TestBackend) -> Option<TestApp> {
    let catalog_db = TestDatabase::create(backend, "catalog")?;
    let catalog = catalog::build(settings(&catalog_db.url)).await.expect("catalog starts");
    let catalog_url = format!("http://127.0.0.1:{}", catalog.port());
    tokio::spawn(catalog.run_until_stopped());

    let db = TestDatabase::create(backend, "bidding")?;
    let groups = WebhookReceiver::start().await;
    let mut config = bidding::config::with_defaults(settings(&db.url)).unwrap();
    config.bidding.catalog_url = catalog_url.clone();
    config.bidding.award_every_ms = 20;
    config.bidding.subscriber.url = Some(groups.url.clone());
    config.bidding.subscriber.secret = Some(Secret::new(RECEIVER_SECRET));
    config.bidding.subscriber.poll_interval_ms = 20;
    config.bidding.subscriber.allow_private_targets = true;
    // An endpoint that never answers holds a delivery this long (the tests of issue 22 use one).
    config.bidding.subscriber.timeout_ms = 30_000;
    let app = bidding::build(config).await.expect("bidding starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let clock = app.db().clock().clone();
    tokio::spawn(app.run_until_stopped());
    Some(TestApp {
        address,
        catalog: catalog_url,
        client: reqwest::Client::new(),
        clock,
        groups,
        _dbs: (catalog_db, db),
    })
}

pub fn operator() -> String {
    token(Role::Operator, "op", None)
}

pub fn service() -> String {
    token(Role::Service, "groups", None)
}

pub fn shopper() -> String {
    token(Role::Shopper, "organizer", None)
}

pub fn supplier(id: SupplierId) -> String {
    token(Role::Supplier, &format!("supplier-user-{id}"), Some(id))
}

/// A supplier and one of its products in the catalog.
pub struct Seller {
    pub id: SupplierId,
    pub token: String,
    pub product: String,
}

impl TestApp {
    pub async fn send(&self, method: Method, path: &str, bearer: Option<&str>, body: Option<&Value>) -> Response {
        let url = if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.address) };
        let mut req = self.client.request(method, url);
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request")
    }

    /// `method path` as `bearer`, asserting `status`; the body.
    pub async fn call(&self, method: Method, path: &str, bearer: &str, body: Option<&Value>, status: u16) -> Value {
        let res = self.send(method.clone(), path, Some(bearer), body).await;
        let got = res.status().as_u16();
        let json: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(got, status, "{method} {path}: {json}");
        json
    }

    /// `method path` as `bearer`, asserting `status` for an answer without a body.
    pub async fn call_empty(&self, method: Method, path: &str, bearer: &str, status: u16) {
        let res = self.send(method.clone(), path, Some(bearer), None).await;
        assert_eq!(res.status().as_u16(), status, "{method} {path}");
    }

    /// Registers a supplier with a specific product (or the given details) in the catalog.
    pub async fn seller(&self, name: &str, details: Value) -> Seller {
        let registered = self
            .call(
                Method::POST,
                &format!("{}/v1/suppliers", self.catalog),
                &operator(),
                Some(&json!({ "name": name })),
                201,
            )
            .await;
        let id: SupplierId = registered["id"].as_str().unwrap().parse().unwrap();
        let token = supplier(id);
        let product = json!({ "name": format!("{name}'s product"), "list_price": { "amount": "60.00", "currency": "EUR" }, "details": details });
        let product =
            self.call(Method::POST, &format!("{}/v1/products", self.catalog), &token, Some(&product), 201).await;
        Seller { id, token, product: product["id"].as_str().unwrap().to_owned() }
    }

    /// A supplier whose product is a specification: `size` equals `L`.
    pub async fn size_l_specification(&self) -> Seller {
        let attributes = json!([{ "operator": "equals", "attribute": "size", "value": "L" }]);
        self.seller("Spec", json!({ "kind": "specification", "attributes": attributes })).await
    }

    /// A supplier with a specific product of `size`.
    pub async fn sized_seller(&self, name: &str, size: &str) -> Seller {
        let details = json!({ "kind": "specific", "manufacturer": name, "model": "M", "properties": { "size": size } });
        self.seller(name, details).await
    }

    pub async fn specific_seller(&self, name: &str) -> Seller {
        self.seller(name, json!({ "kind": "specific", "manufacturer": "Acme", "model": "A1" })).await
    }

    /// Opens a bid request as groups would: `quantity` units at most `ceiling` EUR each, closing
    /// in an hour.
    pub async fn open_request(&self, product: &str, quantity: u32, ceiling: &str, extra: Value) -> Value {
        let mut body = json!({
            "product_id": product,
            "quantity": quantity,
            "ceiling": { "amount": ceiling, "currency": "EUR" },
            "closes_at": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339(),
        });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        self.call(Method::POST, "/v1/bid-requests", &service(), Some(&body), 201).await
    }

    pub async fn offer(&self, request: &str, seller: &Seller, body: Value) -> Value {
        self.call(Method::POST, &format!("/v1/bid-requests/{request}/offers"), &seller.token, Some(&body), 201).await
    }

    /// Moves bidding's clock past every window and waits for the request's award.
    pub async fn close_and_award(&self, request: &str) -> Value {
        self.clock.advance(chrono::Duration::hours(2));
        for _ in 0..200 {
            let res =
                self.send(Method::GET, &format!("/v1/bid-requests/{request}/award"), Some(&operator()), None).await;
            if res.status() == 200 {
                return res.json().await.unwrap();
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("bid request {request} was not decided");
    }
}

/// An offer body: `price` EUR a unit for `min..=max` units, delivered in `days`.
pub fn offer(price: &str, min: u32, max: u32, days: u32) -> Value {
    json!({ "unit_price": { "amount": price, "currency": "EUR" }, "min_quantity": min, "max_quantity": max, "delivery_days": days })
}

/// Asserts a problem+json answer with `status`.
pub async fn assert_problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status(), status);
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(content_type, "application/problem+json");
    res.json().await.unwrap()
}
