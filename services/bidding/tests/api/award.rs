//! The award (PRODUCT.md B5, B6): optimal, published with every offer's digest, told to groups.

use platform::store_test;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;

fn amount(v: &Value) -> &str {
    v["amount"].as_str().unwrap()
}

// The example: cheapest first would take 60 at 40.00 and 40 at 50.00 (4,400.00); the
// optimal award is the two 50-unit offers at 43.00 (4,300.00).
store_test!(b5_the_award_covers_the_quantity_at_the_least_cost, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let seller = app.specific_seller("Northwind").await;
    let request = app
        .open_request(&seller.product, 100, "50.00", json!({ "group_id": "0190a8f2-0000-7000-8000-00000000000a" }))
        .await;
    let id = request["id"].as_str().unwrap();
    let mut receipts = Vec::new();
    for body in
        [offer("40.00", 60, 60, 5), offer("43.00", 50, 50, 5), offer("43.00", 50, 50, 6), offer("50.00", 1, 40, 5)]
    {
        receipts.push(app.offer(id, &seller, body).await["receipt"].clone());
    }

    let award = app.close_and_award(id).await;
    assert_eq!(award["state"], "awarded");
    let lots: Vec<(String, u64)> = award["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (amount(&l["unit_price"]).to_owned(), l["quantity"].as_u64().unwrap()))
        .collect();
    assert_eq!(lots, [("43.00".to_owned(), 50), ("43.00".to_owned(), 50)]);
    assert_eq!(amount(&award["total"]), "4300.00");

    // B6: each supplier checks its receipt against the award with any SHA-256.
    let considered: Vec<&str> = award["considered"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    assert_eq!(considered.len(), 4);
    for receipt in &receipts {
        let mut hasher = Sha256::new();
        hasher.update(hex::decode(receipt["salt"].as_str().unwrap()).unwrap());
        hasher.update(receipt["canonical"].as_str().unwrap().as_bytes());
        let digest = hex::encode(hasher.finalize());
        assert_eq!(digest, receipt["digest"].as_str().unwrap());
        assert!(considered.contains(&digest.as_str()), "{digest} was counted");
    }
    assert!(
        !award.to_string().contains(receipts[0]["canonical"].as_str().unwrap()),
        "the award lists digests, not offers"
    );

    let told = app.groups.wait_for("bid_request.awarded", |e| e["data"]["bid_request_id"] == id).await;
    assert_eq!(amount(&told["data"]["total"]), "4300.00");
    let request = app.call(Method::GET, &format!("/v1/bid-requests/{id}"), &operator(), None, 200).await;
    assert_eq!(request["state"], "awarded");
});

store_test!(b5_offers_that_cannot_cover_the_quantity_make_no_award, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let seller = app.specific_seller("Northwind").await;
    let id = app.open_request(&seller.product, 100, "50.00", json!({})).await["id"].as_str().unwrap().to_owned();
    app.offer(&id, &seller, offer("40.00", 60, 60, 5)).await;
    app.offer(&id, &seller, offer("41.00", 30, 30, 5)).await;

    let award = app.close_and_award(&id).await;
    assert_eq!(award["state"], "no_award");
    assert_eq!(award["lots"], json!([]));
    assert_eq!(award["total"], Value::Null);
    assert_eq!(award["considered"].as_array().unwrap().len(), 2);
    app.groups.wait_for("bid_request.no_award", |e| e["data"]["bid_request_id"] == id.as_str()).await;
});

// B5 best_value: 40.00 delivered in 30 days scores 40.00 + 30 × 0.50 = 55.00 a unit; 42.00 in one
// day scores 42.50 and wins.
store_test!(b5_best_value_weighs_price_and_delivery, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let seller = app.specific_seller("Northwind").await;
    let weights = json!({ "rule": "best_value", "weights": { "price_weight": "1", "delivery_day_weight": "0.50" } });
    let id = app.open_request(&seller.product, 10, "50.00", weights).await["id"].as_str().unwrap().to_owned();
    app.offer(&id, &seller, offer("40.00", 1, 10, 30)).await;
    let quick = app.offer(&id, &seller, offer("42.00", 1, 10, 1)).await;

    let award = app.close_and_award(&id).await;
    assert_eq!(award["rule"], "best_value");
    assert_eq!(award["lots"].as_array().unwrap().len(), 1);
    assert_eq!(award["lots"][0]["offer_id"], quick["id"]);
    assert_eq!(amount(&award["total"]), "420.00");
});

store_test!(b6_the_award_is_published_only_once_made, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let seller = app.specific_seller("Northwind").await;
    let id = app.open_request(&seller.product, 10, "50.00", json!({})).await["id"].as_str().unwrap().to_owned();
    let early = app.send(Method::GET, &format!("/v1/bid-requests/{id}/award"), Some(&shopper()), None).await;
    assert_problem(early, 409).await;
    app.offer(&id, &seller, offer("45.00", 1, 10, 2)).await;
    app.close_and_award(&id).await;
    let published = app.call(Method::GET, &format!("/v1/bid-requests/{id}/award"), &shopper(), None, 200).await;
    assert_eq!(amount(&published["total"]), "450.00");
    let anonymous = app.send(Method::GET, &format!("/v1/bid-requests/{id}/award"), None, None).await;
    assert_problem(anonymous, 401).await;
});
