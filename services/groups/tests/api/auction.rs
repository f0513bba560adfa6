//! Reverse-auction groups across groups, bidding, payments and shipping over HTTP (PRODUCT.md G3,
//! G4 `reverse_auction`, B1, B5-B7): members pledge up to a ceiling, the pooled quantity goes to
//! bidding at close, the optimal award charges members the blended price (the rest of each hold
//! released) and ships from the winners' bases; with no award every hold is voided.

use std::time::Duration;

use domain::SupplierId;
use platform::{auth::Role, store_test, testing::token};
use serde_json::{Value, json};

use crate::helpers::{
    BIDDING_WEBHOOK_SECRET, TestApp, address, card, in_minutes, operator, shopper, spawn_app, supplier,
};

/// A specification (`size` equals `L`) as the auction's product, and `sellers` suppliers whose
/// products meet it, each with a shipping base.
async fn specification_and_sellers(app: &TestApp, sellers: usize) -> (String, Vec<SupplierId>) {
    let attributes = json!([{ "operator": "equals", "attribute": "size", "value": "L" }]);
    let (_, specification) = app.product_of_kind(json!({ "kind": "specification", "attributes": attributes })).await;
    let mut ids = Vec::new();
    for n in 0..sellers {
        let details =
            json!({ "kind": "specific", "manufacturer": format!("S{n}"), "model": "M", "properties": { "size": "L" } });
        let (id, _) = app.product_of_kind(details).await;
        app.shipping_base(id).await;
        ids.push(id);
    }
    (specification, ids)
}

/// Starts an auction of `product` at `ceiling` EUR a unit, joins closing in an hour, offers in 90
/// minutes.
async fn start_auction(app: &TestApp, product: &str, ceiling: &str) -> String {
    let auction = json!({ "ceiling": { "amount": ceiling, "currency": "EUR" }, "bids_close_at": in_minutes(90) });
    let body = json!({ "mode": "reverse_auction", "min_members": 1, "auction": auction });
    let group = app.start_group(&shopper("organizer"), product, body).await;
    assert_eq!(group["current_unit_price"]["amount"], ceiling, "{group}");
    group["id"].as_str().unwrap().to_owned()
}

/// Joins `shopper` for `quantity` units, with its own maximum if given; the membership.
async fn pledge(app: &TestApp, group: &str, shopper_name: &str, quantity: u32, max: Option<&str>) -> Value {
    let mut body = json!({ "quantity": quantity, "payment_method": card(), "ship_to": address() });
    if let Some(max) = max {
        body["max_unit_price"] = json!({ "amount": max, "currency": "EUR" });
    }
    let res = app.post(&format!("/v1/groups/{group}/members"), &shopper(shopper_name), &body).await;
    let status = res.status();
    let json: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{json}");
    json
}

/// Closes the join window and waits for the bid request bidding opened; its id.
async fn close_joins(app: &TestApp, group: &str) -> String {
    app.clock.advance(chrono::Duration::hours(1) + chrono::Duration::minutes(5));
    for _ in 0..400 {
        let read = app.get_json(&format!("/v1/groups/{group}")).await;
        if let Some(id) = read["auction"]["bid_request_id"].as_str() {
            assert_eq!(read["state"], "closing");
            return id.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no bid request for {group}: {}", app.get_json(&format!("/v1/groups/{group}")).await)
}

async fn offer(app: &TestApp, request: &str, seller: SupplierId, price: &str, min: u32, max: u32) {
    let body = json!({ "unit_price": { "amount": price, "currency": "EUR" }, "min_quantity": min, "max_quantity": max, "delivery_days": 5 });
    let url = format!("{}/v1/bid-requests/{request}/offers", app.bidding);
    let res = app.client.post(url).bearer_auth(supplier(seller)).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}

/// Every member's payment, once each is in `state`: `(captured amount, state)` by shopper.
async fn payments_when(app: &TestApp, group: &str, state: &str) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for member in app.members(group).await {
        let payment = app.payment_becomes(member["payment_id"].as_str().unwrap(), state).await;
        found.push((member["shopper"].as_str().unwrap().to_owned(), payment));
    }
    found
}

// The example end to end: 100 units at a 50.00 ceiling; offers 40.00 for exactly 60,
// 43.00 for exactly 50 (twice) and 50.00 for up to 40. The award is the two 50s (4,300.00), not
// cheapest-first 60 + 40 (4,400.00); members pay 43.00 a unit and ship 50/50 from the winners.
store_test!(g4_an_auction_charges_the_optimal_award_and_ships_from_the_winners, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (specification, sellers) = specification_and_sellers(&app, 4).await;
    let group = start_auction(&app, &specification, "50.00").await;
    for n in 0..4 {
        let member = pledge(&app, &group, &format!("m{n}"), 25, None).await;
        assert_eq!(member["held"]["amount"], "1250.00", "quantity × ceiling is held");
    }
    for n in 0..4 {
        app.member_becomes(&group, &format!("m{n}"), "held").await;
    }
    let request = close_joins(&app, &group).await;

    // Sealed: the organizer reads no offers; a supplier only its own.
    let offers_url = format!("{}/v1/bid-requests/{request}/offers", app.bidding);
    let res = app.client.get(&offers_url).bearer_auth(shopper("organizer")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    offer(&app, &request, sellers[0], "40.00", 60, 60).await;
    offer(&app, &request, sellers[1], "43.00", 50, 50).await;
    offer(&app, &request, sellers[2], "43.00", 50, 50).await;
    offer(&app, &request, sellers[3], "50.00", 1, 40).await;
    let seen: Value =
        app.client.get(&offers_url).bearer_auth(supplier(sellers[1])).send().await.unwrap().json().await.unwrap();
    assert_eq!(seen.as_array().unwrap().len(), 1, "{seen}");
    let over =
        json!({ "unit_price": { "amount": "50.01", "currency": "EUR" }, "max_quantity": 10, "delivery_days": 1 });
    let res = app.client.post(&offers_url).bearer_auth(supplier(sellers[3])).json(&over).send().await.unwrap();
    assert_eq!(res.status(), 422, "above the ceiling");

    app.bidding_clock.advance(chrono::Duration::hours(2));
    let settled = app.group_becomes(&group, "settled").await;
    assert_eq!(settled["final_unit_price"]["amount"], "43.00", "{settled}");
    assert_eq!(settled["auction"]["award_total"]["amount"], "4300.00");
    for (shopper, payment) in payments_when(&app, &group, "captured").await {
        assert_eq!(payment["captured"]["amount"], "1075.00", "{shopper}: 25 × 43.00, the rest released");
    }
    let members = app.members(&group).await;
    assert!(members.iter().all(|m| m["state"] == "paid" && m["charge"]["amount"] == "1075.00"), "{members:?}");

    let svc = token(Role::Service, "test", None);
    let mut shipments = Vec::new();
    for _ in 0..200 {
        let page = app.read(format!("{}/v1/shipments?group_id={group}", app.shipping), &svc).await;
        shipments = page["items"].as_array().unwrap().clone();
        if shipments.len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let from = |seller: SupplierId| -> u64 {
        let theirs = shipments.iter().filter(|s| s["supplier_id"] == seller.to_string());
        theirs.map(|s| s["items"][0]["quantity"].as_u64().unwrap()).sum()
    };
    assert_eq!((from(sellers[1]), from(sellers[2]), shipments.len()), (50, 50, 4), "{shipments:?}");
    let books = app.read(format!("{}/v1/groups/{group}/books", app.payments), &operator()).await;
    assert_eq!(books["balanced"], true, "{books}");
    assert_eq!(books["currencies"][0]["charges"]["amount"], "4300.00", "{books}");
});

// B7: a member whose own maximum is below the blended price is left out and released; the
// others are served at the least total cost.
store_test!(b7_a_member_below_the_blended_price_is_released_and_the_rest_served, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (specification, sellers) = specification_and_sellers(&app, 2).await;
    let group = start_auction(&app, &specification, "50.00").await;
    pledge(&app, &group, "generous", 10, None).await;
    let thrifty = pledge(&app, &group, "thrifty", 10, Some("30.00")).await;
    assert_eq!(thrifty["held"]["amount"], "300.00", "quantity × the member's own maximum");
    for name in ["generous", "thrifty"] {
        app.member_becomes(&group, name, "held").await;
    }
    let request = close_joins(&app, &group).await;
    offer(&app, &request, sellers[0], "45.00", 1, 10).await;
    offer(&app, &request, sellers[1], "48.00", 1, 20).await;

    app.bidding_clock.advance(chrono::Duration::hours(2));
    let settled = app.group_becomes(&group, "settled").await;
    assert_eq!(settled["auction"]["award_total"]["amount"], "450.00", "{settled}");
    let generous = app.member_becomes(&group, "generous", "paid").await;
    assert_eq!(generous["charge"]["amount"], "450.00");
    let thrifty = app.member_becomes(&group, "thrifty", "cancelled").await;
    app.payment_becomes(thrifty["payment_id"].as_str().unwrap(), "voided").await;

    // G7: the decision delivered again (another message id) and a forged "no award" after it
    // change nothing: the award is applied once.
    let mut award = app.read(format!("{}/v1/bid-requests/{request}/award", app.bidding), &operator()).await;
    assert_eq!(award["group_id"], group.as_str());
    for (msg, kind) in [("again-1", "bid_request.awarded"), ("again-2", "bid_request.no_award")] {
        if kind.ends_with("no_award") {
            (award["state"], award["total"]) = (json!("no_award"), Value::Null);
        }
        let body = json!({ "type": kind, "timestamp": chrono::Utc::now().to_rfc3339(), "data": award }).to_string();
        assert_eq!(app.signed("/v1/webhooks/bidding", BIDDING_WEBHOOK_SECRET, msg, body).await, 204);
    }
    assert_eq!(app.get_json(&format!("/v1/groups/{group}")).await["state"], "settled");
    let payment = app.payment(generous["payment_id"].as_str().unwrap()).await;
    assert_eq!(
        (payment["captured"]["amount"].as_str(), payment["refunded"]["amount"].as_str()),
        (Some("450.00"), Some("0.00"))
    );
});

// Offers that cannot cover the pooled quantity: no award, the group fails, every hold is voided.
store_test!(g4_an_auction_without_a_cover_fails_and_voids_every_hold, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (specification, sellers) = specification_and_sellers(&app, 1).await;
    let group = start_auction(&app, &specification, "50.00").await;
    for n in 0..3 {
        pledge(&app, &group, &format!("m{n}"), 10, None).await;
        app.member_becomes(&group, &format!("m{n}"), "held").await;
    }
    let request = close_joins(&app, &group).await;
    offer(&app, &request, sellers[0], "40.00", 1, 25).await;

    app.bidding_clock.advance(chrono::Duration::hours(2));
    app.group_becomes(&group, "failed").await;
    let released = payments_when(&app, &group, "voided").await;
    assert_eq!(released.len(), 3);
    assert!(app.members(&group).await.iter().all(|m| m["state"] == "cancelled" && m["charge"].is_null()));
    let award = app.read(format!("{}/v1/bid-requests/{request}/award", app.bidding), &operator()).await;
    assert_eq!(award["state"], "no_award", "{award}");
});

// Wrong input: terms missing or inconsistent, a maximum above the ceiling or on a tiered group.
store_test!(g3_auction_terms_and_maxima_are_checked, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (_, product) = app.tiered_product().await;
    let ceiling = |amount: &str, currency: &str| json!({ "amount": amount, "currency": currency });
    let cases = [
        json!({ "mode": "reverse_auction" }),
        json!({ "mode": "tiered", "auction": { "ceiling": ceiling("50.00", "EUR"), "bids_close_at": in_minutes(90) } }),
        json!({ "mode": "reverse_auction", "auction": { "ceiling": ceiling("50.00", "USD"), "bids_close_at": in_minutes(90) } }),
        json!({ "mode": "reverse_auction", "auction": { "ceiling": ceiling("0", "EUR"), "bids_close_at": in_minutes(90) } }),
        json!({ "mode": "reverse_auction", "auction": { "ceiling": ceiling("50.00", "EUR"), "bids_close_at": in_minutes(65) } }),
        json!({ "mode": "reverse_auction", "max_quantity": 70000, "auction": { "ceiling": ceiling("50.00", "EUR"), "bids_close_at": in_minutes(90) } }),
        json!({ "mode": "bulk_purchase" }),
    ];
    for extra in cases {
        let mut body = json!({ "product_id": product, "min_members": 1, "closes_at": in_minutes(60) });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let res = app.post("/v1/groups", &shopper("organizer"), &body).await;
        assert_eq!(res.status(), 422, "{extra}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }

    let group = start_auction(&app, &product, "50.00").await;
    let quote = app.get_json(&format!("/v1/groups/{group}/quote?add_members=20")).await;
    assert_eq!((quote["unit_price_then"]["amount"].as_str(), &quote["next_tier"]), (Some("50.00"), &Value::Null));
    for max in [ceiling("50.01", "EUR"), ceiling("40.00", "USD"), ceiling("-1", "EUR"), ceiling("1.001", "EUR")] {
        let body = json!({ "quantity": 1, "payment_method": card(), "ship_to": address(), "max_unit_price": max });
        let res = app.post(&format!("/v1/groups/{group}/members"), &shopper("m"), &body).await;
        assert_eq!(res.status(), 422, "{max}");
    }
    let tiered = app.start_group(&shopper("organizer"), &product, json!({})).await;
    let body = json!({ "quantity": 1, "payment_method": card(), "ship_to": address(), "max_unit_price": ceiling("40.00", "EUR") });
    let res = app.post(&format!("/v1/groups/{}/members", tiered["id"].as_str().unwrap()), &shopper("m"), &body).await;
    assert_eq!(res.status(), 422, "a maximum is for auctions only");
});

// G7: bidding refuses the bid request (the product was archived after the group started): the
// auction cannot happen, so the group fails and every hold is voided rather than waiting for ever.
store_test!(g4_an_auction_whose_bid_request_is_refused_fails_and_voids_every_hold, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (specification, _) = specification_and_sellers(&app, 0).await;
    let group = start_auction(&app, &specification, "50.00").await;
    let member = pledge(&app, &group, "m0", 5, None).await;
    assert_eq!(member["held"]["amount"], "250.00");
    let member = app.member_becomes(&group, "m0", "held").await;
    let res = app.client.delete(format!("{}/v1/products/{specification}", app.catalog)).bearer_auth(operator());
    assert!(res.send().await.unwrap().status().is_success());

    app.clock.advance(chrono::Duration::hours(1) + chrono::Duration::minutes(5));
    let failed = app.group_becomes(&group, "failed").await;
    assert!(failed["auction"]["bid_request_id"].is_null(), "{failed}");
    app.payment_becomes(member["payment_id"].as_str().unwrap(), "voided").await;
    app.member_becomes(&group, "m0", "cancelled").await;
});
