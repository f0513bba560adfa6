//! Starting groups from catalog snapshots (PRODUCT.md G1, G2, C5) and cancelling them (G6).

use platform::store_test;
use serde_json::{Value, json};

use crate::helpers::{in_minutes, operator, shopper, spawn_app, supplier};

store_test!(g1_a_shopper_starts_a_group_on_a_snapshot_of_the_product, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (_, product) = app.tiered_product().await;
    let created = app.start_group(&shopper("leader"), &product, json!({ "max_members": 20 })).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["state"], "open");
    assert_eq!(created["product"]["list_price"]["amount"], "100.00");
    assert_eq!(created["current_unit_price"]["amount"], "100.00");
    assert_eq!(created["payment_plan"], "hold_then_capture", "a one-hour window fits in a hold");
    let invite = created["invite_code"].as_str().unwrap();
    assert!(invite.len() >= 32, "192 random bits: {invite}");

    // C5: a later catalog edit does not change the running group.
    let edit = app
        .client
        .patch(format!("{}/v1/products/{product}", app.catalog))
        .bearer_auth(operator())
        .json(&json!({ "list_price": { "amount": "150.00", "currency": "EUR" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), 200);
    let read = app.get_json(&format!("/v1/groups/{id}")).await;
    assert_eq!(read["product"]["list_price"]["amount"], "100.00");
    assert!(read.get("invite_code").is_none(), "the invite code is for the organizer");

    let listed = app.get_json(&format!("/v1/groups?product_id={product}&state=open")).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let none = app.get_json("/v1/groups?state=settled").await;
    assert!(none["items"].as_array().unwrap().is_empty());
});

store_test!(g1_conditions_and_products_are_checked, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (owner, product) = app.tiered_product().await;
    let (other, _) = app.tiered_product().await;
    let start = |body: Value, who: String| {
        let app = &app;
        async move {
            let res = app.post("/v1/groups", &who, &body).await;
            let status = res.status().as_u16();
            let json: Value = res.json().await.unwrap();
            (status, json)
        }
    };
    let base = json!({ "product_id": product, "mode": "tiered", "min_members": 3, "closes_at": in_minutes(60) });
    let with = |patch: Value| {
        let mut body = base.clone();
        body.as_object_mut().unwrap().extend(patch.as_object().unwrap().clone());
        body
    };
    let (status, body) = start(with(json!({ "closes_at": in_minutes(-5) })), shopper("s")).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("closes_at")), "{body}");
    let (status, _) = start(with(json!({ "max_members": 2 })), shopper("s")).await;
    assert_eq!(status, 422, "max below min");
    let (status, _) = start(with(json!({ "mode": "reverse_auction" })), shopper("s")).await;
    assert_eq!(status, 422, "not yet taken");
    let (status, _) = start(with(json!({ "product_id": uuid::Uuid::now_v7() })), shopper("s")).await;
    assert_eq!(status, 422, "no such product");
    let (status, _) = start(with(json!({ "payment_methods": ["card", "card"] })), shopper("s")).await;
    assert_eq!(status, 422);
    let (status, _) = start(base.clone(), supplier(other)).await;
    assert_eq!(status, 403, "another supplier's product");
    let (status, _) = start(base.clone(), supplier(owner)).await;
    assert_eq!(status, 201, "its own product");
    let (status, _) = start(base.clone(), platform::testing::token(platform::auth::Role::Service, "svc", None)).await;
    assert_eq!(status, 403);
    let res = app.request(reqwest::Method::POST, "/v1/groups", None).json(&base).send().await.unwrap();
    assert_eq!(res.status(), 401);
});

store_test!(g6_only_the_organizer_or_the_operator_cancels_and_then_nobody_joins, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (_, product) = app.tiered_product().await;
    let leader = shopper("leader");
    let group = app.start_group(&leader, &product, json!({})).await;
    let id = group["id"].as_str().unwrap();
    assert_eq!(app.join(id, &shopper("m1"), 1).await.status(), 201);

    let path = format!("/v1/groups/{id}/cancel");
    let cancel = |who: String| {
        let (app, path) = (&app, &path);
        async move { app.post(path, &who, &json!({})).await }
    };
    assert_eq!(cancel(shopper("m1")).await.status(), 403);
    let res = cancel(leader.clone()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["state"], "cancelled");
    assert_eq!(cancel(operator()).await.status(), 409, "already cancelled");
    assert_eq!(app.join(id, &shopper("m2"), 1).await.status(), 409);

    let members = app.request(reqwest::Method::GET, &format!("/v1/groups/{id}/members"), Some(&leader)).send().await;
    let members: Value = members.unwrap().json().await.unwrap();
    assert_eq!(members["members"][0]["state"], "cancelled");
});
