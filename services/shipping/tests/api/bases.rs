//! Shipping bases (PRODUCT.md S1).

use domain::{ShippingBaseId, SupplierId};
use platform::{auth::Role, store_test, testing::WebhookReceiver};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

store_test!(s1_the_operator_registers_pauses_and_links_bases, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let supplier = SupplierId::generate();
    let base = app.register_base(&[supplier]).await;
    assert!(base.secret.starts_with("whsec_"));

    let read = app.get_json(&format!("/v1/shipping-bases/{}", base.id), &operator()).await;
    assert_eq!(read["supplier_ids"], json!([supplier]));
    assert!(read.get("webhook_secret").is_none(), "the secret is shown once, at registration");
    app.get_json(&format!("/v1/shipping-bases/{}", base.id), &base_token(base.id)).await;
    let other = app
        .send(
            Method::GET,
            &format!("/v1/shipping-bases/{}", base.id),
            Some(&base_token(ShippingBaseId::generate())),
            None,
        )
        .await;
    assert_problem(other, 403).await;

    let supplier_token = platform::testing::token(Role::Supplier, "s", Some(supplier));
    let body = json!({ "name": "Mine", "supplier_ids": [] });
    for token in [supplier_token, service(), base_token(base.id)] {
        assert_problem(app.send(Method::POST, "/v1/shipping-bases", Some(&token), Some(&body)).await, 403).await;
    }
    for (bad, field) in [
        (json!({ "name": "", "supplier_ids": [] }), "name"),
        (json!({ "name": "B", "supplier_ids": [], "callback_url": "ftp://x" }), "callback_url"),
    ] {
        let res = app.send(Method::POST, "/v1/shipping-bases", Some(&operator()), Some(&bad)).await;
        let problem = assert_problem(res, 422).await;
        assert_eq!(problem["errors"][0]["field"], field);
    }

    let path = format!("/v1/shipping-bases/{}", base.id);
    let paused = app.send(Method::PATCH, &path, Some(&operator()), Some(&json!({ "paused": true }))).await;
    assert_eq!(paused.json::<serde_json::Value>().await.unwrap()["paused"], true);
    let (status, _) = app.request_shipment("k-paused", &new_shipment("p-paused", supplier)).await;
    assert_eq!(status, 422, "a paused base is not chosen");
    app.send(Method::PATCH, &path, Some(&operator()), Some(&json!({ "paused": false }))).await;
    let (status, _) = app.request_shipment("k-resumed", &new_shipment("p-resumed", supplier)).await;
    assert_eq!(status, 201);
});

store_test!(s1_new_shipments_are_pushed_to_the_bases_callback, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let supplier = SupplierId::generate();
    let base = app.register_base(&[supplier]).await;
    let callback = WebhookReceiver::start_with(&base.secret).await;
    let res = app
        .send(
            Method::PATCH,
            &format!("/v1/shipping-bases/{}", base.id),
            Some(&operator()),
            Some(&json!({ "callback_url": callback.url })),
        )
        .await;
    assert_eq!(res.status(), 200);

    let (_, shipment) = app.request_shipment("k1", &new_shipment("p1", supplier)).await;
    let pushed = callback.wait_for("shipment.requested", |e| e["data"]["id"] == shipment["id"]).await;
    assert_eq!(pushed["data"]["recipient"]["city"], "Köln", "the base gets the address it ships to");
    let told = app.groups.wait_for("shipment.requested", |e| e["data"]["id"] == shipment["id"]).await;
    assert!(told["data"].get("recipient").is_none(), "groups is not sent the address");
});

// Issue 7, finding 5: a supplier listed twice was a primary-key violation answered with a 500.
store_test!(s1_a_supplier_listed_twice_is_a_validation_error, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let supplier = SupplierId::generate();
    let body = json!({ "name": "Twice", "supplier_ids": [supplier, supplier] });
    let res = app.send(Method::POST, "/v1/shipping-bases", Some(&operator()), Some(&body)).await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(problem["errors"][0]["field"], "supplier_ids[1]");
    let base = app.register_base(&[supplier]).await;
    let path = format!("/v1/shipping-bases/{}", base.id);
    let twice = json!({ "supplier_ids": [supplier, supplier] });
    assert_problem(app.send(Method::PATCH, &path, Some(&operator()), Some(&twice)).await, 422).await;
});

// Issue 7, finding 10: a base's callback accepted loopback and link-local addresses, and the relay
// posted there.
store_test!(s1_callbacks_must_be_public_urls, |backend| async move {
    let Some(app) = spawn_strict_app(backend).await else { return };
    for url in ["http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data/", "http://localhost/x"] {
        let body = json!({ "name": "Sneaky", "supplier_ids": [], "callback_url": url });
        let res = app.send(Method::POST, "/v1/shipping-bases", Some(&operator()), Some(&body)).await;
        assert_eq!(assert_problem(res, 422).await["errors"][0]["field"], "callback_url", "{url}");
    }
    let base = app.register_base(&[SupplierId::generate()]).await;
    let path = format!("/v1/shipping-bases/{}", base.id);
    let patch = json!({ "callback_url": "http://[::1]:8085/" });
    assert_problem(app.send(Method::PATCH, &path, Some(&operator()), Some(&patch)).await, 422).await;
    let public = json!({ "callback_url": "https://hooks.example.com/groupbuy" });
    assert_eq!(app.send(Method::PATCH, &path, Some(&operator()), Some(&public)).await.status(), 200);
});
