//! Every inbound webhook route of every committed OpenAPI document refuses what its sender did not
//! sign as sent (PRODUCT.md P3, S3, G7; "webhooks with a bad signature, a replayed id or a stale
//! timestamp are rejected"): no signature, a wrong one, a stale or future timestamp, a delivered
//! message's id and signature replayed with another body, a body changed after signing, an
//! oversized body. Each forgery carries a message that would change something (a payment, a
//! member, a shipment, an auction group); none is applied, and the same message correctly signed
//! afterwards is, which shows that each forgery had something to change.

use platform::{
    store_test,
    webhook::{SigningKey, standard_signature, stripe_signature},
};
use serde_json::{Value, json};

use crate::{
    harness::report,
    journeys::{CARD, Suite, address, in_seconds, operator, shopper_token},
};

/// Accepted by the sandbox, decided later by a webhook that this test's sandbox never sends.
const LATE_CARD: &str = "4000000000000077";
const SANDBOX_SECRET: &str = "whsec_suite-sandbox-secret";

/// How a sender signs.
#[derive(Clone, Copy)]
enum Scheme {
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`.
    Standard,
    /// `Stripe-Signature: t=…,v1=…`.
    Stripe,
}

/// One inbound webhook route, a message it would apply, and a harmless one its sender may send.
struct Route {
    /// The documented path, as in the OpenAPI document.
    documented: &'static str,
    url: String,
    scheme: Scheme,
    key: SigningKey,
    harmful: Value,
    harmless: Value,
}

/// A request as sent: its headers and body bytes.
struct Delivery {
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Route {
    fn signed(&self, id: &str, timestamp: i64, body: &[u8], key: &SigningKey) -> Delivery {
        let headers = match self.scheme {
            Scheme::Standard => vec![
                ("webhook-id", id.to_owned()),
                ("webhook-timestamp", timestamp.to_string()),
                ("webhook-signature", standard_signature(key, id, timestamp, body)),
            ],
            Scheme::Stripe => vec![("stripe-signature", stripe_signature(key, timestamp, body))],
        };
        Delivery { headers, body: body.to_vec() }
    }

    /// The forgeries of the harmful message, by name. The harmless message is delivered first, as
    /// its sender would, so that its id and signature can be replayed.
    async fn forgeries(&self, suite: &Suite, tag: &str) -> Vec<(&'static str, Delivery)> {
        let now = chrono::Utc::now().timestamp();
        let harmful = serde_json::to_vec(&self.harmful).unwrap();
        let harmless = serde_json::to_vec(&self.harmless).unwrap();
        let delivered = self.signed(&format!("harmless-{tag}"), now, &harmless, &self.key);
        let answer = send(suite, &self.url, &delivered).await;
        assert!((200..300).contains(&answer.0), "{}: the harmless message is taken: {answer:?}", self.url);

        let mut tampered = self.harmful.clone();
        tampered["tampered"] = json!(true);
        let oversized = {
            let mut big = self.harmful.clone();
            big["padding"] = json!("x".repeat(300 * 1024));
            serde_json::to_vec(&big).unwrap()
        };
        let wrong_key = SigningKey::standard("whsec_c29tZW9uZS1lbHNlcy1zZWNyZXQ=");
        let id = format!("harmful-{tag}");
        let mut no_signature = self.signed(&id, now, &harmful, &self.key);
        no_signature.headers.retain(|(name, _)| *name == "webhook-id" || *name == "webhook-timestamp");
        let mut garbled = self.signed(&id, now, &harmful, &self.key);
        for (_, value) in &mut garbled.headers {
            if value.contains("v1") {
                *value = value.replace("v1", "v2");
            }
        }
        vec![
            ("no signature", no_signature),
            ("a signature of another scheme", garbled),
            ("signed with another secret", self.signed(&id, now, &harmful, &wrong_key)),
            ("a stale timestamp", self.signed(&id, now - 600, &harmful, &self.key)),
            ("a future timestamp", self.signed(&id, now + 600, &harmful, &self.key)),
            ("a delivered message replayed with another body", Delivery { body: harmful.clone(), ..delivered }),
            (
                "a body changed after signing",
                Delivery { body: serde_json::to_vec(&tampered).unwrap(), ..self.signed(&id, now, &harmful, &self.key) },
            ),
            ("an oversized body", self.signed(&id, now, &oversized, &self.key)),
        ]
    }
}

async fn send(suite: &Suite, url: &str, delivery: &Delivery) -> (u16, String, Value) {
    let mut request = suite.client.post(url).header("content-type", "application/json").body(delivery.body.clone());
    for (name, value) in &delivery.headers {
        request = request.header(*name, value);
    }
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, content_type, res.json().await.unwrap_or(Value::Null))
}

/// Every path under `/v1/webhooks/` in the committed documents.
fn documented_webhook_routes() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi");
    let mut routes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let document: Value = serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        let paths = document["paths"].as_object().unwrap();
        routes.extend(paths.keys().filter(|p| p.starts_with("/v1/webhooks/")).cloned());
    }
    routes.sort();
    routes
}

/// What each route's harmful message would change, read back: it must stay as it was until the
/// same message arrives correctly signed.
struct Targets {
    /// The group and the shopper.
    reserved_member: (String, String),
    waiting_payment: String,
    reported_shipment: (String, String),
    base_shipment: String,
    auction_group: String,
}

impl Targets {
    async fn read(&self, suite: &Suite) -> Vec<String> {
        let (group, member) = &self.reserved_member;
        let member = suite.members(group).await.into_iter().find(|m| m["shopper"] == member.as_str()).unwrap();
        let payment = suite.get(&format!("{}/v1/payments/{}", suite.payments, self.waiting_payment), &operator()).await;
        let (bulk, shipment) = &self.reported_shipment;
        let reported = suite.members(bulk).await.into_iter().find(|m| m["shipment_id"] == shipment.as_str()).unwrap();
        let based = suite.get(&format!("{}/v1/shipments/{}", suite.shipping, self.base_shipment), &operator()).await;
        let auction = suite.group(&self.auction_group).await;
        [&member["state"], &payment["state"], &reported["shipment_state"], &based["state"], &auction["state"]]
            .map(|v| v.as_str().unwrap_or("none").to_owned())
            .to_vec()
    }
}

fn envelope(kind: &str, data: &Value) -> Value {
    json!({ "type": kind, "timestamp": chrono::Utc::now().to_rfc3339(), "data": data })
}

store_test!(x3_every_webhook_route_refuses_forgeries_and_applies_nothing, |backend| async move {
    let late = [
        ("GROUPBUY_PAYMENTS__SANDBOX__WEBHOOK_SECRET", SANDBOX_SECRET),
        ("GROUPBUY_PAYMENTS__SANDBOX__ASYNC_DELAY_MS", "3600000"),
    ];
    let Some(suite) = Suite::start_with(backend, &late) else { return };
    let supplier = suite.post(&format!("{}/v1/suppliers", suite.catalog), &operator(), &json!({ "name": "W" })).await;
    let product = json!({
        "supplier_id": supplier["id"], "name": "Webhook kettle", "list_price": { "amount": "40.00", "currency": "EUR" },
        "details": { "kind": "specific", "manufacturer": "W", "model": "K" },
        "discount_rates": [{ "min_quantity": 3, "within_days": 60, "rate": "0.10" }],
    });
    let product = suite.post(&format!("{}/v1/products", suite.catalog), &operator(), &product).await;
    let base = json!({ "name": "Webhook depot", "supplier_ids": [supplier["id"]] });
    let base = suite.post(&format!("{}/v1/shipping-bases", suite.shipping), &operator(), &base).await;

    // A member whose hold waits for the provider, and another one's payment.
    let tiered =
        json!({ "product_id": product["id"], "mode": "tiered", "min_members": 1, "closes_at": in_seconds(3600) });
    let tiered = suite.post(&format!("{}/v1/groups", suite.groups), &shopper_token("w-leader"), &tiered).await;
    let tiered = tiered["id"].as_str().unwrap().to_owned();
    suite.join(&tiered, "w-reserved", 1, LATE_CARD).await;
    suite.join(&tiered, "w-waiting", 1, LATE_CARD).await;
    let asked = |m: &Vec<Value>| m.iter().all(|m| m["payment_id"].is_string());
    let members = suite.until("both holds asked", || suite.members(&tiered), asked).await;
    let payment_of = |shopper: &str| members.iter().find(|m| m["shopper"] == shopper).unwrap()["payment_id"].clone();
    let payments = suite.payments_of(&tiered).await;
    let payment = |shopper: &str| payments.iter().find(|p| p["id"] == payment_of(shopper)).unwrap().clone();
    let (reserved_payment, waiting_payment) = (payment("w-reserved"), payment("w-waiting"));

    // Three bulk purchases, each shipped at once.
    let bulk = json!({ "product_id": product["id"], "completion_policy": "all_within_period",
        "period_ends_at": in_seconds(3600), "purchaser_count": 3 });
    let bulk = suite.post(&format!("{}/v1/bulk-purchases", suite.groups), &shopper_token("w-bulk"), &bulk).await;
    let bulk_id = bulk["id"].as_str().unwrap().to_owned();
    for n in 0..3 {
        let body = json!({ "invite_code": bulk["invite_code"], "payment_method": { "type": "card", "token": CARD }, "ship_to": address() });
        let url = format!("{}/v1/groups/{bulk_id}/purchases", suite.groups);
        suite.post(&url, &shopper_token(&format!("w-buyer-{n}")), &body).await;
    }
    let shipments =
        suite.until("three shipments", || suite.shipments_of(&bulk_id), |s: &Vec<Value>| s.len() == 3).await;

    // An auction group waiting for its bids.
    let auction = json!({ "product_id": product["id"], "mode": "reverse_auction", "min_members": 1,
        "closes_at": in_seconds(4),
        "auction": { "ceiling": { "amount": "40.00", "currency": "EUR" }, "bids_close_at": in_seconds(3600) } });
    let auction = suite.post(&format!("{}/v1/groups", suite.groups), &shopper_token("w-organizer"), &auction).await;
    let auction_id = auction["id"].as_str().unwrap().to_owned();
    suite.join(&auction_id, "w-bidder", 1, CARD).await;
    let has_request = |g: &Value| g["auction"]["bid_request_id"].is_string();
    let auction = suite.until("a bid request", || suite.group(&auction_id), has_request).await;
    let no_award = json!({
        "bid_request_id": auction["auction"]["bid_request_id"], "group_id": auction_id, "state": "no_award",
        "rule": "lowest_price", "lots": [], "members": null, "total": null, "considered": [],
        "decided_at": chrono::Utc::now().to_rfc3339(),
    });

    let secret = |file| SigningKey::standard(&suite.webhook_secret(file));
    let mut failed = reserved_payment.clone();
    (failed["state"], failed["failure_code"]) = (json!("failed"), json!("card_declined"));
    let mut dispatched = shipments[0].clone();
    dispatched["state"] = json!("dispatched");
    let intent = waiting_payment["provider_ref"].as_str().unwrap();
    let amount = 4000;
    let routes = [
        Route {
            documented: "/v1/webhooks/payments",
            url: format!("{}/v1/webhooks/payments", suite.groups),
            scheme: Scheme::Standard,
            key: secret(groupbuy::secret::PAYMENTS_WEBHOOK_FILE),
            harmful: envelope("payment.failed", &failed),
            harmless: envelope("refund.created", &json!({})),
        },
        Route {
            documented: "/v1/webhooks/shipping",
            url: format!("{}/v1/webhooks/shipping", suite.groups),
            scheme: Scheme::Standard,
            key: secret(groupbuy::secret::SHIPPING_WEBHOOK_FILE),
            harmful: envelope("shipment.dispatched", &dispatched),
            harmless: envelope("base.registered", &json!({})),
        },
        Route {
            documented: "/v1/webhooks/bidding",
            url: format!("{}/v1/webhooks/bidding", suite.groups),
            scheme: Scheme::Standard,
            key: secret(groupbuy::secret::BIDDING_WEBHOOK_FILE),
            harmful: envelope("bid_request.no_award", &no_award),
            harmless: envelope("offer.received", &json!({})),
        },
        Route {
            documented: "/v1/webhooks/{provider}",
            url: format!("{}/v1/webhooks/sandbox", suite.payments),
            scheme: Scheme::Stripe,
            key: SigningKey::stripe(SANDBOX_SECRET),
            harmful: json!({ "id": "evt_forged", "type": "payment_intent.succeeded",
                "data": { "object": { "id": intent, "amount_received": amount } } }),
            harmless: json!({ "id": "evt_harmless", "type": "customer.created", "data": { "object": { "id": "cus_1" } } }),
        },
        Route {
            documented: "/v1/webhooks/bases/{base_id}",
            url: format!("{}/v1/webhooks/bases/{}", suite.shipping, base["id"].as_str().unwrap()),
            scheme: Scheme::Standard,
            key: SigningKey::standard(base["webhook_secret"].as_str().unwrap()),
            harmful: json!({ "shipment_id": shipments[1]["id"], "state": "dispatched", "tracking_number": "FORGED", "carrier": "DHL" }),
            harmless: json!({ "shipment_id": shipments[2]["id"], "state": "dispatched", "tracking_number": "REAL", "carrier": "DHL" }),
        },
    ];
    let covered: Vec<&str> = routes.iter().map(|r| r.documented).collect();
    for documented in documented_webhook_routes() {
        assert!(covered.contains(&documented.as_str()), "{documented} is an inbound webhook route without a case here");
    }

    let targets = Targets {
        reserved_member: (tiered.clone(), "w-reserved".to_owned()),
        waiting_payment: waiting_payment["id"].as_str().unwrap().to_owned(),
        reported_shipment: (bulk_id.clone(), shipments[0]["id"].as_str().unwrap().to_owned()),
        base_shipment: shipments[1]["id"].as_str().unwrap().to_owned(),
        auction_group: auction_id.clone(),
    };
    let before = targets.read(&suite).await;
    assert_eq!(before, ["reserved", "processing", "requested", "requested", "closing"]);

    let mut refused = 0;
    for (n, route) in routes.iter().enumerate() {
        for (forgery, delivery) in route.forgeries(&suite, &n.to_string()).await {
            let (status, content_type, problem) = send(&suite, &route.url, &delivery).await;
            let what = format!("{} with {forgery}: {status} {problem}", route.url);
            assert!((400..500).contains(&status), "{what}");
            assert_eq!(content_type, "application/problem+json", "{what}");
            assert!(problem["type"].is_string() && problem["title"].is_string(), "{what}");
            refused += 1;
        }
    }
    let sent = routes.len() * 8;
    assert_eq!(targets.read(&suite).await, before, "a forgery was applied");

    // The same messages correctly signed are applied: each forgery had something to change.
    let now = chrono::Utc::now().timestamp();
    for (n, route) in routes.iter().enumerate() {
        let body = serde_json::to_vec(&route.harmful).unwrap();
        let (status, _, answer) =
            send(&suite, &route.url, &route.signed(&format!("genuine-{n}"), now, &body, &route.key)).await;
        assert!((200..300).contains(&status), "{}: {status} {answer}", route.url);
    }
    let changed = |now: &Vec<String>| now.iter().zip(&before).all(|(a, b)| a != b);
    let after = suite.until("every genuine message applied", || targets.read(&suite), changed).await;
    report(&format!(
        "webhook rejection ({backend:?}): {} routes × 8 forgeries = {refused} of {sent} refused with problem+json, none applied; genuine: {after:?}",
        routes.len()
    ));
});
