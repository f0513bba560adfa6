//! Bulk purchase (PRODUCT.md G2, G4 `bulk_purchase`; seed 003): a leader declares purchasers and
//! gets their IDs; each buys at list price, is charged and shipped at once; the completion policy
//! decides the favor, refunded through payments to each member once; purchaser IDs are bound to
//! their group and purchaser, and guessing is slowed down.

use std::time::Duration;

use platform::{auth::Role, store_test, testing::token};
use serde_json::{Value, json};

use crate::helpers::{TestApp, address, card, operator, shopper, spawn_app};

/// A product at 100.00 whose table gives 0.05 for 2 units and 0.15 for 3 within 60 days (003 Fig. 8).
async fn bulk_product(app: &TestApp) -> String {
    let rates = json!({ "discount_rates": [
        { "min_quantity": 2, "within_days": 60, "rate": "0.05" },
        { "min_quantity": 3, "within_days": 60, "rate": "0.15" },
    ] });
    let (supplier, product) = app.product_with(rates).await;
    app.shipping_base(supplier).await;
    product
}

async fn declare(app: &TestApp, leader: &str, body: Value) -> Value {
    let res = app.post("/v1/bulk-purchases", leader, &body).await;
    let status = res.status();
    let json: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{json}");
    json
}

/// Three named purchasers, with addresses of their own in every call (tests share one mail server).
fn three_named(product: &str, policy: &str) -> Value {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let named =
        |n: &str| json!({ "name": n, "email": format!("{}.{tag}@example.com", n.to_lowercase()), "quantity": 1 });
    json!({
        "product_id": product,
        "purchasers": [named("Ada"), named("Grace"), named("Alan")],
        "completion_policy": policy,
        "period_ends_at": crate::helpers::in_minutes(60 * 24 * 60),
    })
}

async fn buy(app: &TestApp, group: &str, who: &str, with: Value) -> reqwest::Response {
    let mut body = json!({ "payment_method": card(), "ship_to": address() });
    body.as_object_mut().unwrap().extend(with.as_object().unwrap().clone());
    app.post(&format!("/v1/groups/{group}/purchases"), who, &body).await
}

async fn purchase_state(app: &TestApp, group: &str, who: &str) -> reqwest::Response {
    let path = format!("/v1/groups/{group}/purchase-state");
    app.request(reqwest::Method::GET, &path, Some(who)).send().await.unwrap()
}

/// Each member's payment: what was charged and what was refunded.
async fn charged_and_refunded(app: &TestApp, group: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for member in app.members(group).await.iter().filter(|m| m["state"] == "paid") {
        let payment = app.payment(member["payment_id"].as_str().unwrap()).await;
        let amount = |k: &str| payment[k]["amount"].as_str().unwrap().to_owned();
        out.push((amount("captured"), amount("refunded")));
    }
    out
}

store_test!(g4_all_within_period_refunds_the_favor_to_every_member_once, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let product = bulk_product(&app).await;
    let leader = shopper("leader");
    let declared = declare(&app, &leader, three_named(&product, "all_within_period")).await;
    let group = declared["id"].as_str().unwrap();
    assert_eq!((declared["mode"].as_str(), declared["state"].as_str()), (Some("bulk_purchase"), Some("open")));
    let ids: Vec<&str> =
        declared["purchaser_ids"].as_array().unwrap().iter().map(|p| p["purchaser_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|id| id.starts_with("pur_") && id.len() >= 26), "128 bits, URL-safe: {ids:?}");
    let table = purchase_state(&app, group, &leader).await.json::<Value>().await.unwrap();
    assert!(table["rows"].as_array().unwrap().iter().all(|r| r["quantity_bought"] == 0 && r["bought_at"].is_null()));
    assert!(table["rows"][1]["email"].as_str().unwrap().starts_with("grace."));
    assert_eq!(purchase_state(&app, group, &shopper("someone")).await.status(), 403, "leader and operator only");

    for (n, id) in ids.iter().enumerate() {
        let res = buy(&app, group, &shopper(&format!("p{n}")), json!({ "purchaser_id": id })).await;
        assert_eq!(res.status(), 201);
        assert_eq!(
            res.json::<Value>().await.unwrap()["held"]["amount"],
            "100.00",
            "the list price, no discount up front"
        );
    }
    let settled = app.group_becomes(group, "settled").await;
    assert_eq!(settled["bulk"]["outcome"]["favor_rate"], "0.15", "{settled}");
    assert_eq!(settled["bulk"]["outcome"]["quantity"], 3);
    let payments = charged_and_refunded(&app, group).await;
    assert_eq!(payments, vec![("100.00".to_owned(), "15.00".to_owned()); 3], "0.15 of each price, refunded once");
    let svc = token(Role::Service, "test", None);
    let shipments = app.read(format!("{}/v1/shipments?group_id={group}", app.shipping), &svc).await;
    assert_eq!(shipments["items"].as_array().unwrap().len(), 3, "each purchase shipped");
    let books = app.read(format!("{}/v1/groups/{group}/books", app.payments), &operator()).await;
    assert_eq!(books["balanced"], true, "{books}");
    let table = purchase_state(&app, group, &operator()).await.json::<Value>().await.unwrap();
    for row in table["rows"].as_array().unwrap() {
        assert_eq!(
            (row["quantity_bought"].as_u64(), row["favor"]["amount"].as_str()),
            (Some(1), Some("15.00")),
            "{row}"
        );
        assert!(row["bought_at"].is_string());
    }
    let history = app.get_json(&format!("/v1/groups/{group}/history")).await;
    let kinds: Vec<&str> = history["points"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect();
    let expected = ["created", "purchased", "purchased", "purchased", "decided"]
        .into_iter()
        .chain(["favor_refunded"; 3])
        .chain(["settled"])
        .collect::<Vec<_>>();
    assert_eq!(kinds, expected);

    // G9: each purchaser got its ID, a receipt, the outcome and the refund, each once.
    for (row, id) in table["rows"].as_array().unwrap().iter().zip(&ids) {
        let address = row["email"].as_str().unwrap();
        let mut mails = app.mail.to(address);
        for _ in 0..200 {
            if mails.len() >= 4 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
            mails = app.mail.to(address);
        }
        let mut subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
        subjects.sort_unstable();
        assert_eq!(
            subjects,
            [
                "The group bulk purchase of Espresso machine is decided",
                "Your favor was refunded",
                "Your purchase of Espresso machine",
                "Your purchaser ID for Espresso machine",
            ],
            "{mails:?}"
        );
        let ids_mail = mails.iter().find(|m| m.subject.starts_with("Your purchaser ID")).unwrap();
        assert!(ids_mail.body.contains(id), "the ID in its own mail: {ids_mail:?}");
        assert!(ids.iter().filter(|other| *other != id).all(|other| !ids_mail.body.contains(other)), "and no other");
        let outcome = mails.iter().find(|m| m.subject.ends_with("is decided")).unwrap();
        assert!(outcome.body.contains("15.00 EUR"), "{outcome:?}");
        let distinct: std::collections::HashSet<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
        assert_eq!(distinct.len(), 4, "no message twice");
    }
});

store_test!(g4_all_within_period_with_a_purchaser_missing_gives_no_favor, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let product = bulk_product(&app).await;
    let declared = declare(&app, &shopper("leader"), three_named(&product, "all_within_period")).await;
    let group = declared["id"].as_str().unwrap();
    for n in 0..2 {
        let id = declared["purchaser_ids"][n]["purchaser_id"].as_str().unwrap();
        assert_eq!(buy(&app, group, &shopper(&format!("p{n}")), json!({ "purchaser_id": id })).await.status(), 201);
        app.member_becomes(group, &format!("p{n}"), "paid").await;
    }
    assert_eq!(app.get_json(&format!("/v1/groups/{group}")).await["state"], "open", "waits for the third");
    app.clock.advance(chrono::Duration::days(61));
    let settled = app.group_becomes(group, "settled").await;
    assert_eq!(settled["bulk"]["outcome"]["no_favor"], "incomplete", "{settled}");
    assert_eq!(charged_and_refunded(&app, group).await, vec![("100.00".to_owned(), "0.00".to_owned()); 2]);
    let late = declared["purchaser_ids"][2]["purchaser_id"].as_str().unwrap();
    assert_eq!(
        buy(&app, group, &shopper("p2"), json!({ "purchaser_id": late })).await.status(),
        409,
        "the period is over"
    );
});

store_test!(g4_partial_at_deadline_pays_by_what_was_bought_with_the_invite_code, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let product = bulk_product(&app).await;
    let body = json!({
        "product_id": product, "purchaser_count": 3, "completion_policy": "partial_at_deadline",
        "period_ends_at": crate::helpers::in_minutes(60 * 24 * 30),
    });
    let declared = declare(&app, &shopper("leader"), body).await;
    let (group, code) = (declared["id"].as_str().unwrap(), declared["invite_code"].as_str().unwrap());
    assert!(declared["purchaser_ids"].as_array().unwrap().is_empty());
    for who in ["a", "b"] {
        assert_eq!(buy(&app, group, &shopper(who), json!({ "invite_code": code })).await.status(), 201);
        app.member_becomes(group, who, "paid").await;
    }
    assert_eq!(buy(&app, group, &shopper("a"), json!({ "invite_code": code })).await.status(), 409, "bought already");
    app.clock.advance(chrono::Duration::days(31));
    let settled = app.group_becomes(group, "settled").await;
    assert_eq!(settled["bulk"]["outcome"]["favor_rate"], "0.05", "2 units: {settled}");
    assert_eq!(charged_and_refunded(&app, group).await, vec![("100.00".to_owned(), "5.00".to_owned()); 2]);
});

store_test!(g4_time_scaled_decides_when_the_last_purchaser_buys, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let product = bulk_product(&app).await;
    let mut body = three_named(&product, "time_scaled");
    body.as_object_mut().unwrap().remove("period_ends_at");
    let declared = declare(&app, &shopper("leader"), body).await;
    let group = declared["id"].as_str().unwrap();
    assert!(declared["bulk"]["period_ends_at"].is_null());
    for n in 0..3 {
        let id = declared["purchaser_ids"][n]["purchaser_id"].as_str().unwrap();
        assert_eq!(buy(&app, group, &shopper(&format!("p{n}")), json!({ "purchaser_id": id })).await.status(), 201);
    }
    let settled = app.group_becomes(group, "settled").await;
    assert_eq!(
        (settled["bulk"]["outcome"]["favor_rate"].as_str(), settled["bulk"]["outcome"]["period_days"].as_u64()),
        (Some("0.15"), Some(1)),
        "a started day counts as one (issue 22, finding 14)"
    );
    assert_eq!(charged_and_refunded(&app, group).await, vec![("100.00".to_owned(), "15.00".to_owned()); 3]);
});

store_test!(g2_purchaser_ids_are_bound_and_guessing_is_slowed_down, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let product = bulk_product(&app).await;
    let first = declare(&app, &shopper("leader"), three_named(&product, "all_within_period")).await;
    let other = declare(&app, &shopper("leader"), three_named(&product, "all_within_period")).await;
    let (group, other_group) = (first["id"].as_str().unwrap(), other["id"].as_str().unwrap());
    let id = first["purchaser_ids"][0]["purchaser_id"].as_str().unwrap();

    assert_eq!(buy(&app, group, &shopper("ada"), json!({ "purchaser_id": id })).await.status(), 201);
    assert_eq!(buy(&app, group, &shopper("ada"), json!({ "purchaser_id": id })).await.status(), 409, "used once");
    assert_eq!(buy(&app, group, &shopper("mallory"), json!({ "purchaser_id": id })).await.status(), 403, "bound");
    assert_eq!(
        buy(&app, other_group, &shopper("ada"), json!({ "purchaser_id": id })).await.status(),
        404,
        "another group's"
    );
    let code = first["invite_code"].as_str().unwrap();
    assert_eq!(
        buy(&app, group, &shopper("eve"), json!({ "invite_code": code })).await.status(),
        422,
        "named purchasers only"
    );
    let join = app.join(group, &shopper("eve"), 1).await;
    assert_eq!(join.status(), 409, "a bulk group takes purchases, not joins");

    // Guessing: 404 ten times, then 429 with Retry-After, even for a right ID.
    for n in 0..10 {
        let res = buy(&app, group, &shopper("guesser"), json!({ "purchaser_id": format!("pur_guess{n}") })).await;
        assert_eq!(res.status(), 404);
    }
    let right = first["purchaser_ids"][1]["purchaser_id"].as_str().unwrap();
    let res = buy(&app, group, &shopper("guesser"), json!({ "purchaser_id": right })).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_some());
    assert_eq!(res.headers()["content-type"], "application/problem+json");

    // Nothing was charged but the one purchase.
    app.member_becomes(group, "ada", "paid").await;
    let svc = token(Role::Service, "test", None);
    let paid = app.read(format!("{}/v1/payments?group_id={group}", app.payments), &svc).await;
    assert_eq!(paid["items"].as_array().unwrap().len(), 1, "{paid}");
    let paid = app.read(format!("{}/v1/payments?group_id={other_group}", app.payments), &svc).await;
    assert!(paid["items"].as_array().unwrap().is_empty());
});

store_test!(g2_bad_declarations_are_refused_clearly, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let product = bulk_product(&app).await;
    let leader = shopper("leader");
    let mut no_end = three_named(&product, "all_within_period");
    no_end.as_object_mut().unwrap().remove("period_ends_at");
    let mut both = three_named(&product, "partial_at_deadline");
    both["purchaser_count"] = json!(3);
    let mut bad_email = three_named(&product, "partial_at_deadline");
    bad_email["purchasers"][0]["email"] = json!("not-an-address");
    let (_, plain) = app.tiered_product().await;
    for (body, why) in [
        (no_end, "a period end is required"),
        (both, "names and a count"),
        (bad_email, "an email address"),
        (three_named(&plain, "all_within_period"), "no discount-rate table"),
    ] {
        let res = app.post("/v1/bulk-purchases", &leader, &body).await;
        assert_eq!(res.status(), 422, "{why}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    let res = app.post("/v1/bulk-purchases", &operator(), &three_named(&product, "time_scaled")).await;
    assert_eq!(res.status(), 403, "a leader is a shopper");
});
