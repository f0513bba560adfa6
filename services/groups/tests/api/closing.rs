//! The close of a tiered group (PRODUCT.md G4, G6, G7): at the deadline the price is fixed from
//! the tier reached, every hold captured at it, every purchase shipped and the group settled in
//! payments with balanced books; below the minimum it fails and every hold is voided. Two
//! replicas on one database close a group once.

use std::time::Duration;

use platform::{auth::Role, store_test, testing::token};
use serde_json::{Value, json};

use crate::helpers::{operator, shopper, spawn_app};

store_test!(g4_a_tiered_group_closes_at_the_tier_reached_and_is_captured_shipped_and_settled, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (replica_clock, _) = app.replica().await;
    let (supplier, product) = app.tiered_product().await;
    app.shipping_base(supplier).await;
    let group = app.start_group(&shopper("leader"), &product, json!({})).await;
    let id = group["id"].as_str().unwrap();
    for n in 0..12 {
        assert_eq!(app.join(id, &shopper(&format!("m{n}")), 1).await.status(), 201);
    }
    for n in 0..12 {
        app.member_becomes(id, &format!("m{n}"), "held").await;
    }

    // The deadline passes for both replicas; each runs the scheduler.
    for clock in [&app.clock, &replica_clock] {
        clock.advance(chrono::Duration::hours(2));
    }
    let settled = app.group_becomes(id, "settled").await;
    assert_eq!(settled["final_unit_price"]["amount"], "80.00");

    // Settled once no payment is open; the shipments' answers may still be on their way.
    let mut members = app.members(id).await;
    for _ in 0..200 {
        if members.iter().all(|m| m["shipment_id"].is_string()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
        members = app.members(id).await;
    }
    assert!(members.iter().all(|m| m["state"] == "paid" && m["shipment_id"].is_string()), "{members:?}");
    let svc = token(Role::Service, "test", None);
    for member in &members {
        let payment = app.payment(member["payment_id"].as_str().unwrap()).await;
        assert_eq!(
            (payment["state"].as_str(), payment["captured"]["amount"].as_str()),
            (Some("captured"), Some("80.00"))
        );
    }
    let shipments = app.read(format!("{}/v1/shipments?group_id={id}", app.shipping), &svc).await;
    assert_eq!(shipments["items"].as_array().unwrap().len(), 12, "one shipment per member");
    let books = app.read(format!("{}/v1/groups/{id}/books", app.payments), &operator()).await;
    assert_eq!(books["balanced"], true, "{books}");
    assert_eq!(books["currencies"][0]["charges"]["amount"], "960.00");
    assert_eq!(books["currencies"][0]["clearing_balance"]["amount"], "0.00");

    let history = app.get_json(&format!("/v1/groups/{id}/history")).await;
    let kinds: Vec<&str> = history["points"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "closed").count(), 1, "closed once by two replicas: {kinds:?}");
    assert_eq!(kinds.last(), Some(&"settled"));

    // S3: the base dispatches one parcel; shipping tells groups, signed.
    let shipment = members[0]["shipment_id"].as_str().unwrap();
    let report = json!({ "state": "dispatched", "tracking_number": "TRK1", "carrier": "DHL" });
    let res = app
        .client
        .post(format!("{}/v1/shipments/{shipment}/events", app.shipping))
        .bearer_auth(operator())
        .json(&report);
    assert_eq!(res.send().await.unwrap().status(), 200);
    let shopper0 = members[0]["shopper"].as_str().unwrap();
    for _ in 0..200 {
        let member = app.members(id).await.into_iter().find(|m| m["shopper"] == shopper0).unwrap();
        if member["shipment_state"] == "dispatched" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("groups never heard of the dispatch");
});

store_test!(g4_below_the_minimum_the_group_fails_and_every_hold_is_voided, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (supplier, product) = app.tiered_product().await;
    app.shipping_base(supplier).await;
    let group = app.start_group(&shopper("leader"), &product, json!({})).await;
    let id = group["id"].as_str().unwrap();
    for who in ["a", "b"] {
        assert_eq!(app.join(id, &shopper(who), 1).await.status(), 201);
        app.member_becomes(id, who, "held").await;
    }
    app.clock.advance(chrono::Duration::hours(2));
    let failed = app.group_becomes(id, "failed").await;
    assert!(failed["final_unit_price"].is_null());
    for member in app.members(id).await {
        assert_eq!(member["state"], "cancelled");
        app.payment_becomes(member["payment_id"].as_str().unwrap(), "voided").await;
    }
});

store_test!(g11_a_service_is_not_shipped_and_its_supplier_confirms_it, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (supplier, product) = app.product_of_kind(json!({ "kind": "service" })).await;
    let (other, _) = app.tiered_product().await;
    let group = app.start_group(&shopper("leader"), &product, json!({ "min_members": 2 })).await;
    let id = group["id"].as_str().unwrap();
    for who in ["a", "b"] {
        let body = json!({ "quantity": 1, "payment_method": { "type": "card", "token": "4242424242424242" } });
        let res = app.post(&format!("/v1/groups/{id}/members"), &shopper(who), &body).await;
        assert_eq!(res.status(), 201, "no address for a service");
        app.member_becomes(id, who, "held").await;
    }
    app.clock.advance(chrono::Duration::hours(2));
    app.group_becomes(id, "settled").await;
    let svc = token(Role::Service, "test", None);
    let shipments = app.read(format!("{}/v1/shipments?group_id={id}", app.shipping), &svc).await;
    assert!(shipments["items"].as_array().unwrap().is_empty(), "a service is not shipped");

    let path = format!("/v1/groups/{id}/fulfilment");
    let confirm = |who: String, body: Value| {
        let (app, path) = (&app, &path);
        async move { app.post(path, &who, &body).await }
    };
    assert_eq!(confirm(crate::helpers::supplier(other), json!({})).await.status(), 403);
    assert_eq!(confirm(shopper("a"), json!({})).await.status(), 403);
    let res = confirm(crate::helpers::supplier(supplier), json!({ "seats": [1] })).await;
    assert_eq!(res.json::<Value>().await.unwrap()["confirmed"], 1);
    let res = confirm(crate::helpers::supplier(supplier), json!({})).await;
    assert_eq!(res.json::<Value>().await.unwrap()["confirmed"], 1, "the other member; the first counted once");
    assert!(app.members(id).await.iter().all(|m| m["fulfilled_at"].is_string()));
});

store_test!(g7_a_capture_payments_refuses_releases_the_member_and_the_group_still_settles, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (supplier, product) = app.tiered_product().await;
    app.shipping_base(supplier).await;
    let group = app.start_group(&shopper("leader"), &product, json!({})).await;
    let id = group["id"].as_str().unwrap();
    for who in ["a", "b", "c", "d"] {
        assert_eq!(app.join(id, &shopper(who), 1).await.status(), 201);
    }
    let mut held = Vec::new();
    for who in ["a", "b", "c", "d"] {
        held.push(app.member_becomes(id, who, "held").await);
    }
    // Behind groups' back, d's hold is voided at payments: its capture at close is refused (409,
    // not the key being in flight), so the call is given up at once, not retried for an hour.
    let payment = held[3]["payment_id"].as_str().unwrap();
    let void = app
        .client
        .post(format!("{}/v1/payments/{payment}/void", app.payments))
        .bearer_auth(token(Role::Service, "test", None))
        .header("idempotency-key", "void-behind-the-back")
        .send()
        .await
        .unwrap();
    assert_eq!(void.status(), 200);

    app.clock.advance(chrono::Duration::hours(2));
    let settled = app.group_becomes(id, "settled").await;
    assert_eq!(settled["final_unit_price"]["amount"], "100.00");
    let members = app.members(id).await;
    let states: Vec<(&str, &str)> =
        members.iter().map(|m| (m["shopper"].as_str().unwrap(), m["state"].as_str().unwrap())).collect();
    assert_eq!(states.iter().filter(|(_, s)| *s == "paid").count(), 3, "{states:?}");
    let d = members.iter().find(|m| m["state"] == "released").expect("d released");
    assert_eq!(d["failure_code"], "capture_refused");
    let books = app.read(format!("{}/v1/groups/{id}/books", app.payments), &operator()).await;
    assert_eq!(books["balanced"], true, "{books}");
    assert_eq!(books["currencies"][0]["charges"]["amount"], "300.00", "three captures of 100.00");
});
