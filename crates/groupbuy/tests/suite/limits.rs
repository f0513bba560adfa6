//! Rate limits (issue 13) as `groupbuy up` configures them from `GROUPBUY_LIMITS__…`: per caller
//! and per address on reads, per caller on joins and on purchases with a purchaser ID (what
//! guessing IDs would need); over a limit, 429 problem+json with `Retry-After`.

use platform::testing::TestBackend;
use serde_json::{Value, json};

use crate::{
    harness::report,
    journeys::{CARD, Suite, address, in_seconds, operator, shopper_token},
};

/// Status, `Retry-After` and body of a GET as `bearer` (none when `None`).
async fn read(suite: &Suite, url: &str, bearer: Option<&str>) -> (u16, Option<u64>, Value) {
    let mut request = suite.client.get(url);
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    answer(request).await
}

async fn answer(request: reqwest::RequestBuilder) -> (u16, Option<u64>, Value) {
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    let retry_after = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let problem = res.headers().get("content-type").is_some_and(|v| v == "application/problem+json");
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if status == 429 {
        assert!(problem && body["type"].as_str().is_some_and(|t| t.ends_with("/too-many-requests")), "{body}");
    }
    (status, retry_after, body)
}

fn limited((status, retry_after, _): &(u16, Option<u64>, Value)) -> bool {
    *status == 429 && retry_after.is_some_and(|s| (1..=60).contains(&s))
}

async fn post(suite: &Suite, url: &str, bearer: &str, body: &Value) -> (u16, Option<u64>, Value) {
    post_with_key(suite, url, bearer, body, &uuid::Uuid::new_v4().to_string()).await
}

async fn post_with_key(suite: &Suite, url: &str, bearer: &str, body: &Value, key: &str) -> (u16, Option<u64>, Value) {
    answer(suite.client.post(url).bearer_auth(bearer).header("idempotency-key", key).json(body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x2_limits_per_caller_and_per_address_answer_429_with_retry_after() {
    let limits = [
        ("GROUPBUY_LIMITS__READS__PER_CALLER", "3"),
        ("GROUPBUY_LIMITS__READS__PER_IP", "8"),
        ("GROUPBUY_LIMITS__JOINS__PER_CALLER", "2"),
        ("GROUPBUY_LIMITS__JOINS__PER_IP", "0"),
        ("GROUPBUY_LIMITS__PURCHASES__PER_CALLER", "3"),
        ("GROUPBUY_LIMITS__PURCHASES__PER_IP", "0"),
        ("GROUPBUY_LIMITS__DECLARATIONS__PER_CALLER", "2"),
        ("GROUPBUY_LIMITS__DECLARATIONS__PER_IP", "0"),
    ];
    let suite = Suite::start_with(TestBackend::Sqlite, &limits).unwrap();
    let products = format!("{}/v1/products", suite.catalog);
    let (a, b) = (shopper_token("reader-a"), shopper_token("reader-b"));

    // Reads: three for a caller, eight for the address; the operator is not counted.
    for _ in 0..3 {
        assert_eq!(read(&suite, &products, Some(&a)).await.0, 200);
    }
    assert!(limited(&read(&suite, &products, Some(&a)).await), "a's fourth read");
    for _ in 0..2 {
        assert_eq!(read(&suite, &products, Some(&b)).await.0, 200, "b has its own allowance");
    }
    for _ in 0..2 {
        assert_eq!(read(&suite, &products, None).await.0, 200);
    }
    assert!(limited(&read(&suite, &products, None).await), "the address's ninth read");
    assert_eq!(read(&suite, &products, Some(&operator())).await.0, 200, "the operator is not limited");
    assert_eq!(read(&suite, &format!("{}/health/ready", suite.catalog), None).await.0, 200);

    // Joins: two for a caller.
    let details = json!({ "kind": "specific", "manufacturer": "Limit", "model": "L1" });
    let rates = json!({ "discount_rates": [{ "min_quantity": 2, "within_days": 60, "rate": "0.10" }] });
    let (_, product) = suite.supplier_with(details, "20.00", rates).await;
    let mut groups = Vec::new();
    for n in 0..3 {
        let body = json!({ "product_id": product, "mode": "tiered", "min_members": 2, "closes_at": in_seconds(3600) });
        let group =
            suite.post(&format!("{}/v1/groups", suite.groups), &shopper_token(&format!("lead-{n}")), &body).await;
        groups.push(format!("{}/v1/groups/{}", suite.groups, group["id"].as_str().unwrap()));
    }
    let join = json!({ "quantity": 1, "payment_method": { "type": "card", "token": CARD }, "ship_to": address() });
    let joiner = shopper_token("joiner");
    for group in &groups[..2] {
        assert_eq!(post(&suite, &format!("{group}/members"), &joiner, &join).await.0, 201);
    }
    let third = format!("{}/members", groups[2]);
    let refused = post_with_key(&suite, &third, &joiner, &join, "third-join").await;
    assert!(limited(&refused), "a third join");
    assert_eq!(post(&suite, &third, &shopper_token("other"), &join).await.0, 201);
    // The refused request claimed no key: retried with it after Retry-After, it goes through.
    tokio::time::sleep(std::time::Duration::from_secs(refused.1.unwrap())).await;
    assert_eq!(post_with_key(&suite, &third, &joiner, &join, "third-join").await.0, 201);

    // Purchases with a purchaser ID: three tries for a caller, wrong IDs counted too.
    let body = json!({ "product_id": product, "completion_policy": "all_within_period",
        "period_ends_at": in_seconds(3600),
        "purchasers": [{ "name": "Ada", "email": "ada.limits@example.com", "quantity": 1 }] });
    let bulk = suite.post(&format!("{}/v1/bulk-purchases", suite.groups), &shopper_token("bulk-lead"), &body).await;
    let purchases = format!("{}/v1/groups/{}/purchases", suite.groups, bulk["id"].as_str().unwrap());
    let right = bulk["purchaser_ids"][0]["purchaser_id"].as_str().unwrap();
    let buy = |id: &str| json!({ "purchaser_id": id, "payment_method": { "type": "card", "token": CARD }, "ship_to": address() });
    let guesser = shopper_token("guesser");
    for n in 0..3 {
        let (status, _, body) = post(&suite, &purchases, &guesser, &buy(&format!("PX-WRONG-{n}"))).await;
        assert!((400..500).contains(&status) && status != 429, "{status} {body}");
    }
    assert!(limited(&post(&suite, &purchases, &guesser, &buy(right)).await), "a fourth try, even with a right ID");
    assert_eq!(post(&suite, &purchases, &shopper_token("buyer"), &buy(right)).await.0, 201);

    // Declarations (each mails its purchasers): two for a leader, then 429 (issue 22, finding 8).
    let declarations = format!("{}/v1/bulk-purchases", suite.groups);
    assert_eq!(post(&suite, &declarations, &shopper_token("bulk-lead"), &body).await.0, 201);
    assert!(limited(&post(&suite, &declarations, &shopper_token("bulk-lead"), &body).await), "a third declaration");
    assert_eq!(post(&suite, &declarations, &shopper_token("another-lead"), &body).await.0, 201);
    report(
        "rate limits: reads per caller and per address, joins, purchaser-ID tries and bulk declarations per caller: 429 problem+json with Retry-After; the operator and /health not counted",
    );
}
