//! A reverse auction end to end with a partial and a joint offer (PRODUCT.md G4 `reverse_auction`,
//! B1-B6): members pledge at a ceiling; at close the pooled 60 units go to bidding; one supplier
//! offers up to 40, two tender 20 jointly (half each, confirmed by the partner); the award takes
//! both (2,440.00), members pay 20.33… → 1,220.00 each, and each winner ships its units.

use domain::SupplierId;
use platform::{auth::Role, store_test, testing::token};
use serde_json::{Value, json};

use super::{CARD, Suite, in_seconds, operator, shopper_token};

fn supplier_token(id: &str) -> String {
    token(Role::Supplier, &format!("journey-{id}"), Some(id.parse::<SupplierId>().unwrap()))
}

fn offer(price: &str, min: u32, max: u32) -> Value {
    json!({ "unit_price": { "amount": price, "currency": "EUR" }, "min_quantity": min, "max_quantity": max, "delivery_days": 4 })
}

store_test!(x5_an_auction_with_partial_and_joint_offers_is_charged_and_shipped_by_its_winners, |backend| async move {
    let Some(suite) = Suite::start(backend) else { return };
    let specification = json!({ "kind": "specification", "attributes": [
        { "operator": "equals", "attribute": "size", "value": "L" }
    ] });
    let (_, product) = suite.supplier_with(specification, "60.00", json!({})).await;
    let mut sellers = Vec::new();
    for n in 0..3 {
        let details =
            json!({ "kind": "specific", "manufacturer": format!("M{n}"), "model": "T", "properties": { "size": "L" } });
        sellers.push(suite.supplier_with(details, "60.00", json!({})).await.0);
    }
    let auction = json!({ "ceiling": { "amount": "50.00", "currency": "EUR" }, "bids_close_at": in_seconds(12) });
    let body = json!({ "product_id": product, "mode": "reverse_auction", "min_members": 2, "closes_at": in_seconds(6), "auction": auction });
    let group = suite.post(&format!("{}/v1/groups", suite.groups), &shopper_token("auction-leader"), &body).await;
    let group = group["id"].as_str().unwrap().to_owned();
    for member in ["pledger-0", "pledger-1"] {
        let membership = suite.join(&group, member, 30, CARD).await;
        assert_eq!(membership["held"]["amount"], "1500.00");
    }
    let opened = suite.until("the bid request", || suite.group(&group), |g| g["auction"]["bid_request_id"].is_string());
    let request = opened.await["auction"]["bid_request_id"].as_str().unwrap().to_owned();

    let offers = format!("{}/v1/bid-requests/{request}/offers", suite.bidding);
    suite.post(&offers, &supplier_token(&sellers[0]), &offer("40.00", 1, 40)).await;
    suite.post(&offers, &supplier_token(&sellers[1]), &offer("45.00", 1, 60)).await;
    let mut joint = offer("42.00", 20, 20);
    joint["partners"] = json!([{ "supplier_id": sellers[2], "share": 50 }]);
    let joint = suite.post(&offers, &supplier_token(&sellers[1]), &joint).await;
    assert_eq!(joint["counts"], false, "not before the partner confirms");
    let confirm = format!("{offers}/{}/confirmation", joint["id"].as_str().unwrap());
    suite.post(&confirm, &supplier_token(&sellers[2]), &json!({ "revision": joint["revision"] })).await;

    let settled = suite.group_becomes(&group, "settled").await;
    assert_eq!(settled["auction"]["award_total"]["amount"], "2440.00", "40 × 40.00 + 20 × 42.00: {settled}");
    let captured = |p: &Vec<Value>| p.iter().all(|p| p["state"] == "captured");
    let payments = suite.until("captures", || suite.payments_of(&group), captured).await;
    assert!(payments.iter().all(|p| p["captured"]["amount"] == "1220.00"), "{payments:?}");
    let shipments = suite.until("shipments", || suite.shipments_of(&group), |s| s.len() >= 4).await;
    let from = |seller: &str| -> u64 {
        let theirs = shipments.iter().filter(|s| s["supplier_id"] == seller);
        theirs.flat_map(|s| s["items"].as_array().unwrap().clone()).map(|i| i["quantity"].as_u64().unwrap()).sum()
    };
    assert_eq!((from(&sellers[0]), from(&sellers[1]), from(&sellers[2]), shipments.len()), (40, 10, 10, 4));
    assert_eq!(suite.history(&group).await, ["created", "joined", "joined", "closed", "awarded", "settled"]);
    let award = suite.get(&format!("{}/v1/bid-requests/{request}/award", suite.bidding), &operator()).await;
    assert_eq!(award["considered"].as_array().unwrap().len(), 3, "every counted offer's digest: {award}");
    suite.books_balance_and_nothing_is_twice(&group).await;
});
