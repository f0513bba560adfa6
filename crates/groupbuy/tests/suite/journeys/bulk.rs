//! Bulk purchase end to end under each completion policy (PRODUCT.md G2, G4 `bulk_purchase`, G9):
//! a leader declares purchasers, each buys with a purchaser ID or the invite code at list price, is
//! charged and shipped at once, and the policy's favor is refunded to each member once.

use platform::store_test;
use serde_json::{Value, json};

use super::{CARD, Suite, address, in_seconds, shopper_token};

async fn declare(suite: &Suite, product: &str, policy: &str, purchasers: Value, ends_in: Option<i64>) -> Value {
    let mut body = json!({ "product_id": product, "completion_policy": policy });
    match purchasers {
        Value::Number(count) => body["purchaser_count"] = Value::Number(count),
        named => body["purchasers"] = named,
    }
    if let Some(seconds) = ends_in {
        body["period_ends_at"] = json!(in_seconds(seconds));
    }
    suite.post(&format!("{}/v1/bulk-purchases", suite.groups), &shopper_token("bulk-leader"), &body).await
}

async fn buy(suite: &Suite, group: &str, buyer: &str, with: Value) {
    let mut body = json!({ "payment_method": { "type": "card", "token": CARD }, "ship_to": address() });
    body.as_object_mut().unwrap().extend(with.as_object().unwrap().clone());
    suite.post(&format!("{}/v1/groups/{group}/purchases", suite.groups), &shopper_token(buyer), &body).await;
}

/// Three named purchasers with addresses of their own.
fn three_named(tag: &str) -> Value {
    let named = |n: &str| json!({ "name": n, "email": format!("{n}.{tag}@example.com"), "quantity": 1 });
    json!([named("ada"), named("grace"), named("alan")])
}

/// Each member's payment once the favors are in: `(charged, refunded)`.
async fn charged_and_refunded(suite: &Suite, group: &str) -> Vec<(String, String)> {
    let payments = suite.payments_of(group).await;
    payments.iter().map(|p| (p["captured"]["amount"].to_string(), p["refunded"]["amount"].to_string())).collect()
}

store_test!(x5_bulk_purchase_journeys_under_each_policy, |backend| async move {
    let Some(suite) = Suite::start(backend) else { return };
    let rates = json!({ "discount_rates": [
        { "min_quantity": 2, "within_days": 60, "rate": "0.05" },
        { "min_quantity": 3, "within_days": 60, "rate": "0.15" },
    ] });
    let details = json!({ "kind": "specific", "manufacturer": "Journey", "model": "B1" });
    let (_, product) = suite.supplier_with(details, "100.00", rates).await;
    let tag = uuid::Uuid::new_v4().simple().to_string();

    // all_within_period and time_scaled: every named purchaser buys with its ID.
    let mut decided = Vec::new();
    for policy in ["all_within_period", "time_scaled"] {
        let ends = (policy == "all_within_period").then_some(3600);
        let declared = declare(&suite, &product, policy, three_named(&format!("{policy}.{tag}")), ends).await;
        let group = declared["id"].as_str().unwrap().to_owned();
        for (n, slot) in declared["purchaser_ids"].as_array().unwrap().iter().enumerate() {
            let id = slot["purchaser_id"].as_str().unwrap();
            buy(&suite, &group, &format!("{policy}-{n}"), json!({ "purchaser_id": id })).await;
        }
        decided.push(group);
    }
    // partial_at_deadline: two of three slots bought with the invite code before the period ends.
    let declared = declare(&suite, &product, "partial_at_deadline", json!(3), Some(6)).await;
    let partial = declared["id"].as_str().unwrap().to_owned();
    for buyer in ["invited-a", "invited-b"] {
        buy(&suite, &partial, buyer, json!({ "invite_code": declared["invite_code"] })).await;
    }

    for group in &decided {
        let settled = suite.group_becomes(group, "settled").await;
        assert_eq!(settled["bulk"]["outcome"]["favor_rate"], "0.15", "{settled}");
        let refunded = |p: &Vec<(String, String)>| p.iter().all(|(_, refunded)| refunded == "\"15.00\"");
        let payments = suite.until("favors refunded", || charged_and_refunded(&suite, group), refunded).await;
        assert_eq!(payments, vec![("\"100.00\"".to_owned(), "\"15.00\"".to_owned()); 3]);
        assert_eq!(suite.shipments_of(group).await.len(), 3, "each purchase shipped at once");
        let history = suite.history(group).await;
        let expected: Vec<&str> = ["created", "purchased", "purchased", "purchased", "decided"]
            .into_iter()
            .chain(["favor_refunded"; 3])
            .chain(["settled"])
            .collect();
        assert_eq!(history, expected, "{group}");
    }
    let settled = suite.group_becomes(&partial, "settled").await;
    assert_eq!(settled["bulk"]["outcome"]["favor_rate"], "0.05", "two units by the deadline: {settled}");
    let payments = charged_and_refunded(&suite, &partial).await;
    assert_eq!(payments, vec![("\"100.00\"".to_owned(), "\"5.00\"".to_owned()); 2]);

    for group in decided.iter().chain([&partial]) {
        suite.books_balance_and_nothing_is_twice(group).await;
    }
    // G9: each named purchaser got its ID, a receipt, the outcome and its refund: four mails.
    let subjects = suite.mail_to(&format!("ada.all_within_period.{tag}@example.com"), 4).await;
    assert_eq!(subjects.len(), 4, "{subjects:?}");
});
