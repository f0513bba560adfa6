//! The Stripe provider against localstripe, a Stripe-compatible server (PRODUCT.md P2). The README's
//! test command starts it and sets `GROUPBUY_TEST_STRIPE_URL`.

use domain::GroupId;
use platform::store_test;
use serde_json::{Value, json};

use crate::helpers::*;

fn card(group: GroupId, amount: &str, payment_method: &str) -> Value {
    json!({
        "group_id": group, "member": "m-1", "purpose": "join_hold",
        "amount": eur(amount), "method": { "type": "card", "token": payment_method },
    })
}

store_test!(p2_stripe_holds_captures_refunds_and_voids, |backend| async move {
    let Some(app) = spawn_stripe_app(backend).await else { return };
    let group = GroupId::generate();

    let (status, hold) = app.call("/v1/payments/authorizations", &card(group, "100.00", "pm_card_visa")).await;
    assert_eq!(status, 201, "{hold}");
    assert_eq!((hold["state"].as_str(), hold["provider"].as_str()), (Some("authorized"), Some("stripe")));
    let intent = hold["provider_ref"].as_str().unwrap().to_owned();
    assert!(intent.starts_with("pi_"), "{intent}");
    assert_eq!(app.stripe(&format!("/v1/payment_intents/{intent}")).await["status"], "requires_capture");

    let id = hold["id"].as_str().unwrap();
    let (status, captured) = app.call(&format!("/v1/payments/{id}/capture"), &json!({ "amount": eur("80.00") })).await;
    assert_eq!((status, captured["state"].as_str()), (200, Some("captured")), "{captured}");
    assert_eq!(app.stripe(&format!("/v1/payment_intents/{intent}")).await["status"], "succeeded");

    let (status, refund) = app.call(&format!("/v1/payments/{id}/refunds"), &json!({ "amount": eur("15.00") })).await;
    assert_eq!((status, refund["state"].as_str()), (201, Some("succeeded")), "{refund}");
    let refunds = app.stripe(&format!("/v1/refunds?payment_intent={intent}")).await;
    // localstripe also lists the released part of a partial capture as a refund without an intent.
    let amounts: Vec<i64> = refunds["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["payment_intent"] == intent.as_str())
        .map(|r| r["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, [1500], "one refund of 15.00 reached Stripe");
    let (status, _) = app.call(&format!("/v1/payments/{id}/refunds"), &json!({ "amount": eur("70.00") })).await;
    assert_eq!(status, 422, "never more than captured minus refunded, whatever the provider allows");

    let books = app.get_json(&format!("/v1/groups/{group}/books"), &operator()).await;
    assert_eq!(books["currencies"][0]["clearing_balance"], eur("65.00"));

    let (_, other) = app.call("/v1/payments/authorizations", &card(group, "10.00", "pm_card_visa")).await;
    let (status, voided) =
        app.call(&format!("/v1/payments/{}/void", other["id"].as_str().unwrap()), &json!(null)).await;
    assert_eq!((status, voided["state"].as_str()), (200, Some("voided")));
    assert_eq!(
        app.stripe(&format!("/v1/payment_intents/{}", other["provider_ref"].as_str().unwrap())).await["status"],
        "canceled"
    );
});

store_test!(p2_stripe_declines_are_failed_payments, |backend| async move {
    let Some(app) = spawn_stripe_app(backend).await else { return };
    let group = GroupId::generate();
    let (status, declined) =
        app.call("/v1/payments/charges", &card(group, "10.00", "pm_card_chargeCustomerFail")).await;
    assert_eq!(status, 201);
    assert_eq!(
        (declined["state"].as_str(), declined["failure_code"].as_str()),
        (Some("failed"), Some("card_declined"))
    );
    let (_, unknown) = app.call("/v1/payments/charges", &card(group, "10.00", "pm_does_not_exist")).await;
    assert_eq!(unknown["state"], "failed");
    let books = app.get_json(&format!("/v1/groups/{group}/books"), &operator()).await;
    assert!(books["entries"].as_array().unwrap().is_empty(), "no money moved");
});
