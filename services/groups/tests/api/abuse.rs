//! Issue 22: the rules that guard money inside a group against its own users, each test named
//! after the finding it closes. A seat whose payment has not answered neither sets the price nor
//! meets the minimum (G4, G6), and never freezes a group: past a grace after the window it is
//! released and its payment cancelled (G4, G7, B1).

use std::time::Duration;

use serde_json::{Value, json};

use platform::{auth::Role, store_test, testing::token};

use crate::helpers::{TestApp, address, card, operator, shopper, spawn_app, supplier};

/// A card the sandbox fails after a delay, and one that waits for a 3-D Secure never completed.
const FAILS_LATE: &str = "4000000000000341";
const NEVER_ANSWERS: &str = "4000000000003220";

/// A product at 100.00 a unit, 50.00 from 10 units, and a tiered group of it for at least one
/// member closing in an hour; the group's id.
async fn quantity_tier_group(app: &TestApp) -> String {
    let tiers = json!({ "basis": "quantity", "tiers": [{ "min": 10, "unit_price": { "amount": "50.00", "currency": "EUR" } }] });
    let (supplier, product) = app.product_with(json!({ "price_tiers": tiers })).await;
    app.shipping_base(supplier).await;
    let group = app.start_group(&shopper("leader"), &product, json!({ "min_members": 1 })).await;
    group["id"].as_str().unwrap().to_owned()
}

fn card_token(number: &str) -> Value {
    json!({ "type": "card", "token": number })
}

/// The member of `shopper` as the operator reads it.
async fn member(app: &TestApp, group: &str, shopper: &str) -> Value {
    app.members(group).await.into_iter().find(|m| m["shopper"] == shopper).unwrap()
}

/// Waits until `shopper`'s payment is known to groups; its id.
async fn payment_of(app: &TestApp, group: &str, shopper: &str) -> String {
    for _ in 0..200 {
        if let Some(id) = member(app, group, shopper).await["payment_id"].as_str() {
            return id.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{shopper}'s payment never reached groups")
}

/// The quantity the group's `closed` point recorded.
async fn closed_quantity(app: &TestApp, group: &str) -> Value {
    let history = app.get_json(&format!("/v1/groups/{group}/history")).await;
    let points = history["points"].as_array().unwrap();
    points.iter().find(|p| p["kind"] == "closed").map(|p| p["quantity"].clone()).unwrap_or(Value::Null)
}

store_test!(abuse_1_a_seat_that_fails_after_the_close_does_not_set_the_price, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let group = quantity_tier_group(&app).await;
    assert_eq!(app.join(&group, &shopper("honest"), 1).await.status(), 201);
    app.member_becomes(&group, "honest", "held").await;
    let res = app.join_with(&group, &shopper("attacker"), 9, card_token(FAILS_LATE)).await;
    assert_eq!(res.status(), 201);

    // The window ends before the attacker's payment fails.
    app.clock.advance(chrono::Duration::minutes(61));
    let settled = app.group_becomes(&group, "settled").await;
    assert_eq!(settled["final_unit_price"]["amount"], "100.00", "only the secured unit counts: {settled}");
    assert_eq!(closed_quantity(&app, &group).await, 1);
    assert_eq!(member(&app, &group, "attacker").await["state"], "released");
    honest_paid_list_price(&app, &group).await;
});

store_test!(abuse_1_unpaid_seats_do_not_meet_the_minimum, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (supplier, product) = app.tiered_product().await;
    app.shipping_base(supplier).await;
    let group = app.start_group(&shopper("leader"), &product, json!({ "min_members": 2 })).await;
    let group = group["id"].as_str().unwrap();
    assert_eq!(app.join(group, &shopper("honest"), 1).await.status(), 201);
    app.member_becomes(group, "honest", "held").await;
    assert_eq!(app.join_with(group, &shopper("attacker"), 1, card_token(FAILS_LATE)).await.status(), 201);

    app.clock.advance(chrono::Duration::minutes(61));
    app.group_becomes(group, "failed").await;
    let honest = member(&app, group, "honest").await;
    assert_eq!(honest["state"], "cancelled");
    app.payment_becomes(honest["payment_id"].as_str().unwrap(), "voided").await;
});

store_test!(abuse_2_a_seat_that_never_answers_is_released_after_the_grace, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let group = quantity_tier_group(&app).await;
    assert_eq!(app.join(&group, &shopper("honest"), 1).await.status(), 201);
    app.member_becomes(&group, "honest", "held").await;
    let res = app.join_with(&group, &shopper("attacker"), 9, card_token(NEVER_ANSWERS)).await;
    assert_eq!(res.status(), 201);
    let stuck = payment_of(&app, &group, "attacker").await;
    app.payment_becomes(&stuck, "requires_action").await;

    // Past the window, within the grace (10 minutes by default): the group waits for the seat.
    app.clock.advance(chrono::Duration::minutes(61));
    tokio::time::sleep(Duration::from_millis(400)).await; // eight scheduler passes
    let waiting = app.get_json(&format!("/v1/groups/{group}")).await;
    assert_eq!(waiting["state"], "open", "{waiting}");
    assert!(waiting["final_unit_price"].is_null());

    // Past the grace: the seat is released, its payment cancelled, the group closes on what is secured.
    app.clock.advance(chrono::Duration::minutes(10));
    let settled = app.group_becomes(&group, "settled").await;
    assert_eq!(settled["final_unit_price"]["amount"], "100.00", "{settled}");
    let attacker = member(&app, &group, "attacker").await;
    assert_eq!(
        (attacker["state"].as_str(), attacker["failure_code"].as_str()),
        (Some("released"), Some("payment_unanswered"))
    );
    app.payment_becomes(&stuck, "voided").await;
    honest_paid_list_price(&app, &group).await;
});

store_test!(abuse_2_an_auction_is_not_frozen_by_a_seat_that_never_answers, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let group = auction_at_50(&app).await;
    let group = group.as_str();
    let join = |method: Value| json!({ "quantity": 5, "payment_method": method, "ship_to": address() });
    let res = app.post(&format!("/v1/groups/{group}/members"), &shopper("honest"), &join(card())).await;
    assert_eq!(res.status(), 201);
    app.member_becomes(group, "honest", "held").await;
    let res =
        app.post(&format!("/v1/groups/{group}/members"), &shopper("attacker"), &join(card_token(NEVER_ANSWERS))).await;
    assert_eq!(res.status(), 201);
    let stuck = payment_of(&app, group, "attacker").await;
    app.payment_becomes(&stuck, "requires_action").await;

    app.clock.advance(chrono::Duration::minutes(75));
    for _ in 0..400 {
        let read = app.get_json(&format!("/v1/groups/{group}")).await;
        if read["auction"]["bid_request_id"].is_string() {
            assert_eq!(read["state"], "closing");
            let request = app
                .read(
                    format!("{}/v1/bid-requests/{}", app.bidding, read["auction"]["bid_request_id"].as_str().unwrap()),
                    &operator(),
                )
                .await;
            assert_eq!(request["quantity"], 5, "only the secured member is pooled: {request}");
            app.payment_becomes(&stuck, "voided").await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the auction never asked for its bid request: {}", app.get_json(&format!("/v1/groups/{group}")).await);
});

store_test!(abuse_5_wrong_guesses_never_lock_out_the_real_purchaser, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let product = bulk_product(&app).await;
    let email = format!("ada.{}@example.com", uuid::Uuid::new_v4().simple());
    let res = app.post("/v1/bulk-purchases", &shopper("leader"), &declaration(&product, &[("Ada", &email)])).await;
    assert_eq!(res.status(), 201);
    let declared: Value = res.json().await.unwrap();
    let group = declared["id"].as_str().unwrap();
    // Ten throwaway accounts, ten wrong IDs and codes each, from one address.
    for account in 0..10 {
        for n in 0..10 {
            let guess = match n % 2 {
                0 => json!({ "purchaser_id": format!("pur_guess{account}x{n}") }),
                _ => json!({ "invite_code": format!("guess{account}x{n}") }),
            };
            assert_eq!(buy(&app, group, shopper(&format!("throwaway{account}")), guess).await.status(), 404);
        }
        let guess = json!({ "purchaser_id": "pur_onemore" });
        assert_eq!(
            buy(&app, group, shopper(&format!("throwaway{account}")), guess).await.status(),
            429,
            "each stops itself"
        );
    }
    let right = declared["purchaser_ids"][0]["purchaser_id"].as_str().unwrap();
    let res = buy(&app, group, shopper("ada"), json!({ "purchaser_id": right })).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
});

async fn buy(app: &TestApp, group: &str, who: String, with: Value) -> reqwest::Response {
    let mut body = json!({ "payment_method": card(), "ship_to": address() });
    body.as_object_mut().unwrap().extend(with.as_object().unwrap().clone());
    app.post(&format!("/v1/groups/{group}/purchases"), &who, &body).await
}

store_test!(abuse_10_a_second_purchaser_id_for_one_shopper_is_a_clear_409, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let product = bulk_product(&app).await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let (ada, bob) = (format!("ada.{tag}@example.com"), format!("bob.{tag}@example.com"));
    let body = declaration(&product, &[("ada", &ada), ("bob", &bob)]);
    let declared: Value = app.post("/v1/bulk-purchases", &shopper("leader"), &body).await.json().await.unwrap();
    let group = declared["id"].as_str().unwrap();
    let id = |n: usize| json!({ "purchaser_id": declared["purchaser_ids"][n]["purchaser_id"] });
    assert_eq!(buy(&app, group, shopper("household"), id(0)).await.status(), 201);
    for _ in 0..2 {
        let res = buy(&app, group, shopper("household"), id(1)).await;
        assert_eq!(res.status(), 409, "the same answer on every retry");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    // The slot was not taken: its own purchaser still buys with it.
    assert_eq!(buy(&app, group, shopper("bob"), id(1)).await.status(), 201);
});

store_test!(abuse_11_only_the_acting_supplier_organizes_its_group, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (owner, product) = app.tiered_product().await;
    let (other, _) = app.tiered_product().await;
    let group = app.start_group(&supplier(owner), &product, json!({})).await;
    let group = group["id"].as_str().unwrap();
    // Another supplier's token that carries the owner's usual subject.
    let impostor = token(Role::Supplier, &format!("supplier-user-{owner}"), Some(other));
    let res = app.post(&format!("/v1/groups/{group}/cancel"), &impostor, &json!({})).await;
    assert_eq!(res.status(), 403);
    assert_eq!(app.get_json(&format!("/v1/groups/{group}")).await["state"], "open");
    // Another of the owner's own systems may.
    let colleague = token(Role::Supplier, "another-system", Some(owner));
    let res = app.post(&format!("/v1/groups/{group}/cancel"), &colleague, &json!({})).await;
    assert_eq!(res.status(), 200);
});

store_test!(abuse_8_a_declaration_names_each_address_once_and_names_as_names, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let product = bulk_product(&app).await;
    let victim = format!("victim.{}@example.com", uuid::Uuid::new_v4().simple());
    let shouting = victim.to_uppercase();
    let long = "x".repeat(101);
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("Ada", &victim), ("Bob", &shouting)], "purchasers[1].email"),
        (&[("Claim your prize at https://evil.example", &victim)], "purchasers[0].name"),
        (&[("visit evil.example now", &victim)], "purchasers[0].name"),
        (&[("<b>Support</b>", &victim)], "purchasers[0].name"),
        (&[(&long, &victim)], "purchasers[0].name"),
    ];
    for (purchasers, field) in cases {
        let res = app.post("/v1/bulk-purchases", &shopper("leader"), &declaration(&product, purchasers)).await;
        assert_eq!(res.status(), 422);
        let problem: Value = res.json().await.unwrap();
        let fields: Vec<&str> =
            problem["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
        assert!(fields.contains(&field), "{field}: {problem}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.mail.to(&victim).is_empty(), "nothing was mailed");
    let ok = declaration(&product, &[("J. R. R. Tolkien", &victim)]);
    assert_eq!(app.post("/v1/bulk-purchases", &shopper("leader"), &ok).await.status(), 201);
});

// Issue 22, finding 14: an auction member could not leave during the join window (the error spoke
// of bulk purchases), and the auction's progress showed the list price above its ceiling.
store_test!(abuse_14_an_auction_member_leaves_in_the_window_and_progress_shows_the_ceiling, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let group = auction_at_50(&app).await;
    let group = group.as_str();
    assert_eq!(app.join(group, &shopper("pledger"), 2).await.status(), 201);
    let held = app.member_becomes(group, "pledger", "held").await;

    let res = app
        .request(reqwest::Method::DELETE, &format!("/v1/groups/{group}/members/me"), Some(&shopper("pledger")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    app.payment_becomes(held["payment_id"].as_str().unwrap(), "voided").await;
    let history = app.get_json(&format!("/v1/groups/{group}/history")).await;
    let points = history["points"].as_array().unwrap();
    let kinds: Vec<&str> = points.iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"joined") && kinds.contains(&"left"), "{kinds:?}");
    assert!(points.iter().all(|p| p["unit_price"]["amount"] == "50.00"), "never the list price: {history}");
});

// Issue 22, finding 14: replaying a declaration showed every purchaser ID again, so they were kept
// in clear; the replay now answers the same group without them.
store_test!(abuse_14_a_replayed_declaration_shows_no_purchaser_id, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let product = bulk_product(&app).await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let body = declaration(&product, &[("Ada", &format!("ada.{tag}@example.com"))]);
    let declare = || {
        app.request(reqwest::Method::POST, "/v1/bulk-purchases", Some(&shopper("leader")))
            .header("idempotency-key", format!("declare-{tag}"))
            .json(&body)
            .send()
    };
    let first: Value = declare().await.unwrap().json().await.unwrap();
    let id = first["purchaser_ids"][0]["purchaser_id"].as_str().unwrap();
    let replay = declare().await.unwrap();
    assert_eq!(replay.status(), 201);
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["id"], first["id"], "the same group");
    assert_eq!(replay["purchaser_ids"][0]["name"], "Ada");
    assert!(replay["purchaser_ids"][0].get("purchaser_id").is_none(), "{replay}");
    assert!(!replay.to_string().contains(id));
});

/// A product with a discount-rate table (and a shipping base for its supplier); its id.
async fn bulk_product(app: &TestApp) -> String {
    let rates = json!({ "discount_rates": [{ "min_quantity": 2, "within_days": 60, "rate": "0.05" }] });
    let (supplier, product) = app.product_with(rates).await;
    app.shipping_base(supplier).await;
    product
}

/// A declaration of `purchasers` (name and email each) buying one unit each, all within a day.
fn declaration(product: &str, purchasers: &[(&str, &str)]) -> Value {
    let named: Vec<Value> =
        purchasers.iter().map(|(name, email)| json!({ "name": name, "email": email, "quantity": 1 })).collect();
    json!({
        "product_id": product,
        "purchasers": named,
        "completion_policy": "all_within_period",
        "period_ends_at": crate::helpers::in_minutes(60 * 24),
    })
}

/// The honest member paid the list price, 100.00, captured.
async fn honest_paid_list_price(app: &TestApp, group: &str) {
    let honest = member(app, group, "honest").await;
    let payment = app.payment_becomes(honest["payment_id"].as_str().unwrap(), "captured").await;
    assert_eq!(payment["captured"]["amount"], "100.00");
}

/// A reverse auction with a ceiling of 50.00 on a product listed at 100.00, joins closing in an
/// hour and offers in 90 minutes; its id.
async fn auction_at_50(app: &TestApp) -> String {
    let (_, product) = app.tiered_product().await;
    let auction =
        json!({ "ceiling": { "amount": "50.00", "currency": "EUR" }, "bids_close_at": crate::helpers::in_minutes(90) });
    let body = json!({ "mode": "reverse_auction", "min_members": 1, "auction": auction });
    app.start_group(&shopper("organizer"), &product, body).await["id"].as_str().unwrap().to_owned()
}
