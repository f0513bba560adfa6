//! Shipment requests (PRODUCT.md S2) and who may read them.

use domain::{ShippingBaseId, SupplierId};
use platform::{auth::Role, store_test};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;

store_test!(s2_one_shipment_per_purchase, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let supplier = SupplierId::generate();
    let base = app.register_base(&[supplier]).await;
    let body = new_shipment("purchase-1", supplier);

    let (status, first) = app.request_shipment("ship-1", &body).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(
        (first["state"].as_str(), first["base_id"].as_str()),
        (Some("requested"), Some(base.id.to_string().as_str()))
    );
    let (status, again) = app.request_shipment("ship-1", &body).await;
    assert_eq!((status, &again), (201, &first), "the same key replays the same answer");
    let (status, other_key) = app.request_shipment("ship-1-retry", &body).await;
    assert_eq!((status, other_key["id"].clone()), (200, first["id"].clone()), "one shipment per purchase");
    let mut changed = body.clone();
    changed["items"][0]["quantity"] = 3.into();
    let (status, _) = app.request_shipment("ship-1-changed", &changed).await;
    assert_eq!(status, 409);

    let listed = app.get_json(&format!("/v1/shipments?base_id={}", base.id), &operator()).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let by_state = app.get_json("/v1/shipments?state=requested", &service()).await;
    assert_eq!(by_state["items"].as_array().unwrap().len(), 1);
    let by_group = app.get_json("/v1/shipments?group_id=0190a8f2-0000-7000-8000-00000000000a", &service()).await;
    assert_eq!(by_group["items"].as_array().unwrap().len(), 1);
});

store_test!(s2_requests_are_refused_clearly, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let supplier = SupplierId::generate();
    app.register_base(&[supplier]).await;

    let (status, problem) = app.request_shipment("k1", &new_shipment("p1", SupplierId::generate())).await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "supplier_id", "{problem}");
    let mut bad_country = new_shipment("p2", supplier);
    bad_country["recipient"]["country"] = "Germany".into();
    let mut bad_quantity = new_shipment("p2", supplier);
    bad_quantity["items"][0]["quantity"] = 0.into();
    for (key, bad, field) in [("k2", bad_country, "recipient.country"), ("k3", bad_quantity, "items[0].quantity")] {
        let (status, problem) = app.request_shipment(key, &bad).await;
        assert_eq!(status, 422);
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let no_key = app.send(Method::POST, "/v1/shipments", Some(&service()), Some(&new_shipment("p3", supplier))).await;
    assert_problem(no_key, 400).await;
    assert!(app.get_json("/v1/shipments", &operator()).await["items"].as_array().unwrap().is_empty());
});

store_test!(s4_addresses_reach_only_the_operator_services_and_the_handling_base, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let supplier = SupplierId::generate();
    let base = app.register_base(&[supplier]).await;
    let other = app.register_base(&[SupplierId::generate()]).await;
    let (_, shipment) = app.request_shipment("k", &new_shipment("p", supplier)).await;
    let path = format!("/v1/shipments/{}", shipment["id"].as_str().unwrap());

    for reader in [operator(), service(), base_token(base.id)] {
        assert_eq!(app.get_json(&path, &reader).await["recipient"]["name"], "Erika Mustermann");
    }
    let outsiders = [
        base_token(other.id),
        platform::testing::token(Role::Shopper, "member-7", None),
        platform::testing::token(Role::Supplier, "s", Some(supplier)),
    ];
    for outsider in &outsiders {
        assert_problem(app.send(Method::GET, &path, Some(outsider), None).await, 403).await;
    }
    assert_problem(app.send(Method::GET, &path, None, None).await, 401).await;
    let own: Value = app.get_json("/v1/shipments", &base_token(other.id)).await;
    assert!(own["items"].as_array().unwrap().is_empty(), "a base lists only its own shipments");
    let asked =
        app.send(Method::GET, &format!("/v1/shipments?base_id={}", base.id), Some(&base_token(other.id)), None).await;
    assert_problem(asked, 403).await;
    let _ = ShippingBaseId::generate();
});
