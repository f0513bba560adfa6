//! Status reports by signed webhook and by API (PRODUCT.md S3).

use domain::SupplierId;
use platform::store_test;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

store_test!(s3_a_signed_webhook_moves_a_shipment_to_delivered_in_order, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let supplier = SupplierId::generate();
    let base = app.register_base(&[supplier]).await;
    let (_, shipment) = app.request_shipment("k", &new_shipment("p", supplier)).await;
    let id = shipment["id"].as_str().unwrap().to_owned();
    let now = chrono::Utc::now().timestamp();
    let report =
        |state: &str| json!({ "shipment_id": id, "state": state, "tracking_number": "JJD000390007", "carrier": "DHL" });

    for (n, state) in ["dispatched", "in_transit", "delivered"].iter().enumerate() {
        let res = app.base_webhook(&base, &format!("msg_{n}"), &report(state), &base.secret, now).await;
        assert_eq!(res.status(), 200, "{state}");
        assert_eq!(res.json::<Value>().await.unwrap()["state"], *state);
    }
    let events = app.get_json(&format!("/v1/shipments/{id}/events"), &operator()).await;
    let states: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["requested", "dispatched", "in_transit", "delivered"]);
    let sequence: Vec<i64> = events.as_array().unwrap().iter().map(|e| e["sequence"].as_i64().unwrap()).collect();
    assert_eq!(sequence, [1, 2, 3, 4]);

    // Refused, and nothing changes: a backwards move, a bad signature, a stale one, another base.
    let backwards = app.base_webhook(&base, "msg_back", &report("in_transit"), &base.secret, now).await;
    assert_problem(backwards, 409).await;
    let forged = app.base_webhook(&base, "msg_forged", &report("returned"), "whsec_Zm9yZ2Vk", now).await;
    assert_problem(forged, 400).await;
    let stale = app.base_webhook(&base, "msg_stale", &report("returned"), &base.secret, now - 301).await;
    assert_problem(stale, 400).await;
    let other = app.register_base(&[SupplierId::generate()]).await;
    let by_other = app
        .send(
            Method::POST,
            &format!("/v1/shipments/{id}/events"),
            Some(&base_token(other.id)),
            Some(&json!({ "state": "returned" })),
        )
        .await;
    assert_problem(by_other, 403).await;
    let replayed = app.base_webhook(&base, "msg_2", &report("delivered"), &base.secret, now).await;
    assert_eq!(replayed.status(), 200, "a repeated message is acknowledged");

    let after = app.get_json(&format!("/v1/shipments/{id}/events"), &operator()).await;
    assert_eq!(after, events, "no refused or repeated report left a trace");
    let read = app.get_json(&format!("/v1/shipments/{id}"), &service()).await;
    assert_eq!((read["state"].as_str(), read["tracking_number"].as_str()), (Some("delivered"), Some("JJD000390007")));

    for state in ["dispatched", "in_transit", "delivered"] {
        let told = app.groups.wait_for(&format!("shipment.{state}"), |e| e["data"]["id"] == id.as_str()).await;
        assert!(told["data"].get("recipient").is_none());
    }
});

store_test!(s3_the_base_reports_by_api_with_its_own_token, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let supplier = SupplierId::generate();
    let base = app.register_base(&[supplier]).await;
    let (_, shipment) = app.request_shipment("k", &new_shipment("p", supplier)).await;
    let path = format!("/v1/shipments/{}/events", shipment["id"].as_str().unwrap());
    let token = base_token(base.id);

    let untracked = app.send(Method::POST, &path, Some(&token), Some(&json!({ "state": "dispatched" }))).await;
    assert_problem(untracked, 422).await;
    let dispatched = app
        .send(
            Method::POST,
            &path,
            Some(&token),
            Some(&json!({ "state": "dispatched", "tracking_number": "1Z999", "carrier": "UPS" })),
        )
        .await;
    assert_eq!(dispatched.status(), 200);
    let failed = app
        .send(Method::POST, &path, Some(&operator()), Some(&json!({ "state": "failed", "note": "address unknown" })))
        .await;
    assert_eq!(failed.json::<Value>().await.unwrap()["state"], "failed");
    let after_failed = app.send(Method::POST, &path, Some(&token), Some(&json!({ "state": "delivered" }))).await;
    assert_problem(after_failed, 409).await;
    let bogus = app.send(Method::POST, &path, Some(&token), Some(&json!({ "state": "teleported" }))).await;
    assert_problem(bogus, 422).await;
    let service_report = app.send(Method::POST, &path, Some(&service()), Some(&json!({ "state": "returned" }))).await;
    assert_problem(service_report, 403).await;
});

// Issue 7, finding 1: a base reusing a message id of its own while naming another base's shipment
// was answered from the de-duplication path with that shipment, address included.
store_test!(s3_a_repeated_message_id_does_not_open_another_bases_shipment, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (supplier_x, supplier_y) = (SupplierId::generate(), SupplierId::generate());
    let (base_x, base_y) = (app.register_base(&[supplier_x]).await, app.register_base(&[supplier_y]).await);
    let (_, of_x) = app.request_shipment("kx", &new_shipment("px", supplier_x)).await;
    let (_, of_y) = app.request_shipment("ky", &new_shipment("py", supplier_y)).await;
    let now = chrono::Utc::now().timestamp();
    let report =
        |id: &Value| json!({ "shipment_id": id, "state": "dispatched", "tracking_number": "T1", "carrier": "DHL" });

    let own = app.base_webhook(&base_y, "msg-m", &report(&of_y["id"]), &base_y.secret, now).await;
    assert_eq!(own.status(), 200);
    let probe = app.base_webhook(&base_y, "msg-m", &report(&of_x["id"]), &base_y.secret, now).await;
    let body = assert_problem(probe, 403).await;
    assert!(body.get("recipient").is_none());
    let fresh = app.base_webhook(&base_y, "msg-n", &report(&of_x["id"]), &base_y.secret, now).await;
    assert_problem(fresh, 403).await;
    let x = app.get_json(&format!("/v1/shipments/{}", of_x["id"].as_str().unwrap()), &operator()).await;
    assert_eq!(x["state"], "requested", "base X's shipment is untouched");
    let _ = base_x;
});

// Issue 7, finding 2: base Y reposting base X's Idempotency-Key got X's stored answer, address
// included, because shipping tokens shared one subject.
store_test!(s3_a_base_never_gets_another_bases_stored_answer, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (supplier_x, supplier_y) = (SupplierId::generate(), SupplierId::generate());
    let (base_x, base_y) = (app.register_base(&[supplier_x]).await, app.register_base(&[supplier_y]).await);
    let (_, of_x) = app.request_shipment("kx", &new_shipment("px", supplier_x)).await;
    let path = format!("/v1/shipments/{}/events", of_x["id"].as_str().unwrap());
    let same_subject = |base: domain::ShippingBaseId| {
        platform::auth::TokenIssuer::hs256(platform::testing::TEST_SECRET, "groupbuy", "groupbuy")
            .issue(platform::auth::Role::Shipping, "dev-shipping", Some(base.as_uuid()), chrono::Duration::minutes(5))
            .unwrap()
    };
    let body = json!({ "state": "dispatched", "tracking_number": "T1", "carrier": "DHL" });
    let post = |token: String| {
        app.client
            .post(format!("{}{path}", app.address))
            .bearer_auth(token)
            .header("idempotency-key", "shared-key")
            .json(&body)
            .send()
    };
    assert_eq!(post(same_subject(base_x.id)).await.unwrap().status(), 200);
    let by_y = post(same_subject(base_y.id)).await.unwrap();
    assert!(by_y.headers().get("idempotent-replayed").is_none());
    let problem = assert_problem(by_y, 403).await;
    assert!(problem.get("recipient").is_none());
});

// Issue 7, finding 7: an oversized body on the webhook route (raw bytes) was a text/plain 413.
store_test!(x2_an_oversized_webhook_is_a_problem, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let base = app.register_base(&[SupplierId::generate()]).await;
    let report = json!({ "shipment_id": "0190a8f2-0000-7000-8000-000000000001", "state": "dispatched", "note": "x".repeat(300 * 1024) });
    let res = app.base_webhook(&base, "big", &report, &base.secret, chrono::Utc::now().timestamp()).await;
    assert_problem(res, 413).await;
});
