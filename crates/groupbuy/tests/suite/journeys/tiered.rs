//! Tiered groups end to end (PRODUCT.md G3, G4 `tiered`, G6, P1-P3, S2): one that reaches a tier
//! with a declined card and a member who leaves among its joiners, one below its minimum, one
//! cancelled by its organizer; then the shipping base reports a shipment failed and one returned.

use platform::{store_test, testing::shipping_token};
use reqwest::Method;
use serde_json::{Value, json};

use super::{CARD, DECLINED, Suite, in_seconds, shopper_token};

/// Counts of each kind in a history.
fn kinds(history: &[String]) -> std::collections::BTreeMap<&str, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for kind in history {
        *counts.entry(kind.as_str()).or_default() += 1;
    }
    counts
}

async fn start_group(suite: &Suite, product: &str, organizer: &str, closes_in: i64) -> String {
    let body = json!({ "product_id": product, "mode": "tiered", "min_members": 3, "closes_at": in_seconds(closes_in) });
    let group = suite.post(&format!("{}/v1/groups", suite.groups), &shopper_token(organizer), &body).await;
    group["id"].as_str().unwrap().to_owned()
}

/// The base handling `shipment` reports `states` in turn.
async fn report(suite: &Suite, shipment: &Value, states: &[&str]) {
    let base = shipping_token(shipment["base_id"].as_str().unwrap().parse().unwrap());
    let url = format!("{}/v1/shipments/{}/events", suite.shipping, shipment["id"].as_str().unwrap());
    for state in states {
        let mut body = json!({ "state": state });
        if *state == "dispatched" {
            body = json!({ "state": state, "tracking_number": "TRK-1", "carrier": "DHL" });
        }
        suite.post(&url, &base, &body).await;
    }
}

store_test!(x5_tiered_journeys_settle_fail_cancel_and_ship, |backend| async move {
    let Some(suite) = Suite::start(backend) else { return };
    let tiers = json!({ "price_tiers": { "basis": "member_count", "tiers": [
        { "min": 10, "unit_price": { "amount": "80.00", "currency": "EUR" } }
    ] } });
    let details = json!({ "kind": "specific", "manufacturer": "Journey", "model": "J1" });
    let (_, product) = suite.supplier_with(details, "100.00", tiers).await;
    let (reached, below, cancelled) = (
        start_group(&suite, &product, "leader-1", 8).await,
        start_group(&suite, &product, "leader-2", 8).await,
        start_group(&suite, &product, "leader-3", 60).await,
    );

    // Eleven good cards and a declined one; one member leaves before the close: ten remain.
    for n in 0..11 {
        let member = suite.join(&reached, &format!("shopper-{n}"), 1, CARD).await;
        assert_eq!(member["held"]["amount"], "100.00", "the most a member can owe");
    }
    suite.join(&reached, "declined", 1, DECLINED).await;
    let left = format!("{}/v1/groups/{reached}/members/me", suite.groups);
    let held = |m: &Vec<Value>| {
        m.iter().filter(|m| m["state"] == "held").count() == 11 && m.iter().any(|m| m["state"] == "released")
    };
    let members = suite.until("holds placed", || suite.members(&reached), held).await;
    let (status, _) = suite.call(Method::DELETE, &left, &shopper_token("shopper-10"), None).await;
    assert!((200..300).contains(&status), "leaving while the window is open: {status}");
    for n in 0..2 {
        suite.join(&below, &format!("shopper-{n}"), 1, CARD).await;
        suite.join(&cancelled, &format!("shopper-{n}"), 1, CARD).await;
    }
    assert_eq!(members.len(), 12);

    let settled = suite.group_becomes(&reached, "settled").await;
    assert_eq!(
        (settled["final_unit_price"]["amount"].as_str(), settled["member_count"].as_u64()),
        (Some("80.00"), Some(10))
    );
    let payments = suite.payments_of(&reached).await;
    let state_of = |state: &str| payments.iter().filter(|p| p["state"] == state).count();
    assert_eq!((state_of("captured"), state_of("voided"), state_of("failed")), (10, 1, 1), "{payments:?}");
    assert!(payments.iter().filter(|p| p["state"] == "captured").all(|p| p["captured"]["amount"] == "80.00"));
    let shipments = suite.until("10 shipments", || suite.shipments_of(&reached), |s| s.len() >= 10).await;
    let history = suite.history(&reached).await;
    let expected = [("created", 1), ("joined", 12), ("released", 1), ("left", 1), ("closed", 1), ("settled", 1)];
    assert_eq!(kinds(&history), expected.into_iter().collect(), "{history:?}");

    suite.group_becomes(&below, "failed").await;
    let cancel = format!("{}/v1/groups/{cancelled}/cancel", suite.groups);
    let authorized = |p: &Vec<Value>| p.iter().filter(|p| p["state"] == "authorized").count() == 2;
    suite.until("holds on the group to cancel", || suite.payments_of(&cancelled), authorized).await;
    suite.post(&cancel, &shopper_token("leader-3"), &json!({})).await;
    for group in [&below, &cancelled] {
        let voided = |p: &Vec<Value>| p.iter().all(|p| p["state"] == "voided");
        assert_eq!(suite.until("holds voided", || suite.payments_of(group), voided).await.len(), 2);
        assert!(suite.shipments_of(group).await.is_empty(), "nothing shipped for {group}");
    }
    assert_eq!(suite.history(&below).await, ["created", "joined", "joined", "failed"]);
    assert_eq!(suite.history(&cancelled).await, ["created", "joined", "joined", "cancelled"]);

    // S2: the base reports one parcel failed, another delivered and then returned; groups hears.
    report(&suite, &shipments[0], &["dispatched", "failed"]).await;
    report(&suite, &shipments[1], &["dispatched", "delivered", "returned"]).await;
    for (shipment, state) in [(&shipments[0], "failed"), (&shipments[1], "returned")] {
        let heard =
            |m: &Vec<Value>| m.iter().any(|m| m["shipment_id"] == shipment["id"] && m["shipment_state"] == state);
        suite.until(&format!("shipment {state} at groups"), || suite.members(&reached), heard).await;
    }
    for group in [&reached, &below, &cancelled] {
        suite.books_balance_and_nothing_is_twice(group).await;
    }
});
