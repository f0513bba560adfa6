//! `Idempotency-Key` on POSTs (PRODUCT.md X4).

use platform::store_test;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn post_with_key(app: &TestApp, token: &str, key: &str, body: &Value) -> reqwest::Response {
    app.request(Method::POST, "/v1/products", Some(token))
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

store_test!(x4_the_same_post_twice_creates_one_product, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let owner = app.create_supplier("Acme").await;
    let token = supplier(owner);
    let body = product("Widget", json!({ "kind": "service" }));

    let first = post_with_key(&app, &token, "key-1", &body).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let second = post_with_key(&app, &token, "key-1", &body).await;
    assert_eq!(second.status(), 201);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(second.json::<Value>().await.unwrap(), first);
    assert_eq!(app.products("").await["items"].as_array().unwrap().len(), 1);

    // The same key with another body is refused; another caller's key space is its own.
    let other_body = product("Gadget", json!({ "kind": "service" }));
    assert_problem(post_with_key(&app, &token, "key-1", &other_body).await, 422).await;
    let res = post_with_key(&app, &operator(), "key-1", &json!({ "supplier_id": owner.to_string(), "name": "Op", "list_price": { "amount": "1", "currency": "EUR" }, "details": { "kind": "service" } })).await;
    assert_eq!(res.status(), 201);
    assert_eq!(app.products("").await["items"].as_array().unwrap().len(), 2);

    // A refused request is replayed as refused, not retried into a different outcome.
    let bad = product("", json!({ "kind": "service" }));
    assert_problem(post_with_key(&app, &token, "key-bad", &bad).await, 422).await;
    let replay = post_with_key(&app, &token, "key-bad", &bad).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_problem(replay, 422).await;
    assert_problem(post_with_key(&app, &token, "", &body).await, 400).await;
});

store_test!(x4_concurrent_posts_with_one_key_create_one_product, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let owner = app.create_supplier("Acme").await;
    let token = supplier(owner);
    let body = product("Widget", json!({ "kind": "service" }));

    let attempts = (0..8).map(|_| post_with_key(&app, &token, "race-1", &body));
    let responses = futures::future::join_all(attempts).await;
    let mut created_ids = std::collections::HashSet::new();
    for res in responses {
        match res.status().as_u16() {
            201 => {
                created_ids.insert(res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
            }
            409 => {
                assert_problem(res, 409).await;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(created_ids.len(), 1, "every success names the same product");
    assert_eq!(app.products("").await["items"].as_array().unwrap().len(), 1);
});

// Issue 7, finding 2: two suppliers whose tokens share a subject shared one key space, so B got A's
// stored 201 (and A's product) by replaying A's key and body.
store_test!(x4_a_supplier_never_gets_another_suppliers_stored_answer, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (a, b) = (app.create_supplier("A").await, app.create_supplier("B").await);
    let same_subject = |id| platform::testing::token(platform::auth::Role::Supplier, "dev-supplier", Some(id));
    let body = product("Widget", json!({ "kind": "service" }));

    let by_a: Value = post_with_key(&app, &same_subject(a), "k", &body).await.json().await.unwrap();
    let by_b = post_with_key(&app, &same_subject(b), "k", &body).await;
    assert_eq!(by_b.status(), 201);
    assert!(by_b.headers().get("idempotent-replayed").is_none());
    let by_b: Value = by_b.json().await.unwrap();
    assert_ne!(by_b["id"], by_a["id"]);
    assert_eq!(
        (by_a["supplier_id"].as_str(), by_b["supplier_id"].as_str()),
        (Some(&*a.to_string()), Some(&*b.to_string()))
    );
});

// Keys are kept 24 hours: with the service's clock moved past that, the same key runs anew.
store_test!(x4_a_key_past_its_retention_runs_anew, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let owner = app.create_supplier("Acme").await;
    let token = supplier(owner);
    let first = post_with_key(&app, &token, "daily", &product("Monday", json!({ "kind": "service" }))).await;
    assert_eq!(first.status(), 201);
    let reused = post_with_key(&app, &token, "daily", &product("Tuesday", json!({ "kind": "service" }))).await;
    assert_problem(reused, 422).await;

    app.clock.advance(chrono::Duration::hours(25));
    let next_day = post_with_key(&app, &token, "daily", &product("Tuesday", json!({ "kind": "service" }))).await;
    assert_eq!(next_day.status(), 201);
    assert!(next_day.headers().get("idempotent-replayed").is_none());
    assert_eq!(app.products("").await["items"].as_array().unwrap().len(), 2);
});
