//! Provider webhooks: signature, tolerance and de-duplication (PRODUCT.md P3).

use domain::GroupId;
use payments::provider::sandbox::CARD_REQUIRES_ACTION;
use platform::store_test;
use serde_json::{Value, json};

use crate::helpers::*;

fn succeeded(event_id: &str, provider_ref: &str, minor: i64) -> Value {
    json!({
        "id": event_id,
        "type": "payment_intent.succeeded",
        "data": { "object": { "id": provider_ref, "object": "payment_intent", "amount_received": minor } },
    })
}

/// A payment waiting for its outcome: its id and the provider's reference.
async fn waiting_payment(app: &TestApp, group: GroupId) -> (String, String) {
    let (_, payment) = app.call("/v1/payments/charges", &new_payment(group, "25.00", CARD_REQUIRES_ACTION)).await;
    assert_eq!(payment["state"], "requires_action");
    let books = app.get_json(&format!("/v1/groups/{group}/books"), &operator()).await;
    assert!(books["entries"].as_array().unwrap().is_empty());
    (payment["id"].as_str().unwrap().to_owned(), payment["provider_ref"].as_str().unwrap().to_owned())
}

store_test!(p3_bad_signatures_and_stale_timestamps_change_nothing, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let group = GroupId::generate();
    let (id, reference) = waiting_payment(&app, group).await;
    let event = succeeded("evt_1", &reference, 2500);
    let now = chrono::Utc::now().timestamp();

    assert_problem(app.webhook(&event, "whsec_d3Jvbmctc2VjcmV0", now).await, 400).await;
    assert_problem(app.webhook(&event, SANDBOX_SECRET, now - 301).await, 400).await;
    let unsigned =
        app.client.post(format!("{}/v1/webhooks/sandbox", app.address)).body(event.to_string()).send().await.unwrap();
    assert_problem(unsigned, 400).await;
    assert_eq!(app.get_json(&format!("/v1/payments/{id}"), &service()).await["state"], "requires_action");

    // A correctly signed copy of the same event still applies: the refused ones left no trace.
    let res = app.webhook(&event, SANDBOX_SECRET, now).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["received"], "applied");
});

store_test!(p3_one_event_id_is_applied_once, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let group = GroupId::generate();
    let (id, reference) = waiting_payment(&app, group).await;
    let now = chrono::Utc::now().timestamp();

    let first = app.webhook(&succeeded("evt_same", &reference, 2500), SANDBOX_SECRET, now).await;
    assert_eq!(first.json::<Value>().await.unwrap()["received"], "applied");
    let again = app.webhook(&succeeded("evt_same", &reference, 2500), SANDBOX_SECRET, now).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["received"], "duplicate");
    // A different event reporting the same capture books nothing more either.
    app.webhook(&succeeded("evt_other", &reference, 2500), SANDBOX_SECRET, now).await;

    let payment = app.get_json(&format!("/v1/payments/{id}"), &service()).await;
    assert_eq!((payment["state"].as_str(), payment["captured"].clone()), (Some("captured"), eur("25.00")));
    let books = app.get_json(&format!("/v1/groups/{group}/books"), &operator()).await;
    assert_eq!(books["entries"].as_array().unwrap().len(), 1, "one capture, booked once");
    assert_eq!(books["currencies"][0]["charges"], eur("25.00"));
});

store_test!(p3_unknown_providers_and_malformed_events_are_client_errors, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let res = app.client.post(format!("{}/v1/webhooks/paypal", app.address)).body("{}").send().await.unwrap();
    assert_problem(res, 404).await;
    let res = app.webhook(&json!({ "no": "id" }), SANDBOX_SECRET, chrono::Utc::now().timestamp()).await;
    assert_problem(res, 400).await;
});

// Issue 7, finding 5: a report of more received than authorized failed a CHECK constraint: a 500,
// retried by the provider forever.
store_test!(p3_a_report_of_more_received_than_authorized_is_refused_whole, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let group = GroupId::generate();
    let (id, reference) = waiting_payment(&app, group).await;
    let now = chrono::Utc::now().timestamp();

    let res = app.webhook(&succeeded("evt_over", &reference, 2501), SANDBOX_SECRET, now).await;
    assert_problem(res, 422).await;
    assert_eq!(app.get_json(&format!("/v1/payments/{id}"), &service()).await["state"], "requires_action");
    let books = app.get_json(&format!("/v1/groups/{group}/books"), &operator()).await;
    assert!(books["entries"].as_array().unwrap().is_empty(), "nothing was booked");
    let exact = app.webhook(&succeeded("evt_exact", &reference, 2500), SANDBOX_SECRET, now).await;
    assert_eq!(exact.json::<Value>().await.unwrap()["received"], "applied", "the refused event left no trace");
});
