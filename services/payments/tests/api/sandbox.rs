//! The sandbox provider's documented test cards, and outcomes forwarded to groups (PRODUCT.md P2).

use domain::GroupId;
use payments::provider::sandbox::{CARD_DECLINED, CARD_LATE_FAILURE, CARD_LATE_SUCCESS, CARD_OK, CARD_REQUIRES_ACTION};
use platform::store_test;
use serde_json::json;

use crate::helpers::*;

store_test!(p2_each_test_card_behaves_as_documented, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let group = GroupId::generate();

    let (status, declined) = app.call("/v1/payments/authorizations", &new_payment(group, "10.00", CARD_DECLINED)).await;
    assert_eq!(status, 201);
    assert_eq!(
        (declined["state"].as_str(), declined["failure_code"].as_str()),
        (Some("failed"), Some("card_declined"))
    );

    let (_, action) = app.call("/v1/payments/authorizations", &new_payment(group, "10.00", CARD_REQUIRES_ACTION)).await;
    assert_eq!(action["state"], "requires_action");

    let (_, late_ok) = app.call("/v1/payments/charges", &new_payment(group, "12.00", CARD_LATE_SUCCESS)).await;
    assert_eq!(late_ok["state"], "processing");
    let done = app.wait_for_state(late_ok["id"].as_str().unwrap(), "captured").await;
    assert_eq!(done["captured"], eur("12.00"));

    let (_, late_hold) = app.call("/v1/payments/authorizations", &new_payment(group, "13.00", CARD_LATE_SUCCESS)).await;
    app.wait_for_state(late_hold["id"].as_str().unwrap(), "authorized").await;

    let (_, late_fail) = app.call("/v1/payments/authorizations", &new_payment(group, "14.00", CARD_LATE_FAILURE)).await;
    assert_eq!(late_fail["state"], "processing");
    let failed = app.wait_for_state(late_fail["id"].as_str().unwrap(), "failed").await;
    assert_eq!(failed["failure_code"], "card_declined");

    let transfer = json!({ "group_id": group, "member": "m2", "purpose": "purchase", "amount": eur("20.00"), "method": { "type": "bank_transfer" } });
    let (_, bank) = app.call("/v1/payments/charges", &transfer).await;
    assert_eq!(bank["state"], "processing");
    app.wait_for_state(bank["id"].as_str().unwrap(), "captured").await;

    let (_, unknown) = app.call("/v1/payments/charges", &new_payment(group, "1.00", "4111111111111111")).await;
    assert_eq!(unknown["failure_code"], "invalid_number");

    // Only money that arrived is on the books: the late charge and the bank transfer.
    let books = app.get_json(&format!("/v1/groups/{group}/books"), &operator()).await;
    assert_eq!(books["currencies"][0]["charges"], eur("32.00"));
    assert_eq!(books["balanced"], true);
    let _ = CARD_OK;
});

store_test!(g7_outcomes_reach_groups_signed, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let group = GroupId::generate();
    let (_, charge) = app.call("/v1/payments/charges", &new_payment(group, "9.99", CARD_OK)).await;
    let id = charge["id"].as_str().unwrap().to_owned();
    let (_, refund) = app.call(&format!("/v1/payments/{id}/refunds"), &json!({ "amount": eur("1.99") })).await;

    let event = app.receiver.wait_for("payment.captured", |e| e["data"]["id"] == id.as_str()).await;
    assert_eq!(event["data"]["captured"], eur("9.99"));
    let event = app.receiver.wait_for("refund.succeeded", |e| e["data"]["refund"]["id"] == refund["id"]).await;
    assert_eq!(event["data"]["payment"]["refunded"], eur("1.99"));
});

// Issue 8, finding 2: a late outcome was lost when payments died within the delay, and the payment
// stayed `processing` for ever, blocking the group's voids and settlement.
store_test!(p3_payments_whose_outcome_never_came_are_settled_by_the_reconciler, |backend| async move {
    let Some(app) = spawn_lost_webhooks_app(backend).await else { return };
    let group = GroupId::generate();
    let (_, charge) = app.call("/v1/payments/charges", &new_payment(group, "30.00", CARD_LATE_SUCCESS)).await;
    let (_, hold) = app.call("/v1/payments/authorizations", &new_payment(group, "20.00", CARD_LATE_SUCCESS)).await;
    let (_, failing) = app.call("/v1/payments/charges", &new_payment(group, "10.00", CARD_LATE_FAILURE)).await;
    for payment in [&charge, &hold, &failing] {
        assert_eq!(payment["state"], "processing");
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let waiting = app.get_json(&format!("/v1/payments/{}", charge["id"].as_str().unwrap()), &service()).await;
    assert_eq!(waiting["state"], "processing", "not asked about before reconcile_after has passed");
    app.clock.advance(chrono::Duration::minutes(11));

    app.wait_for_state(charge["id"].as_str().unwrap(), "captured").await;
    app.wait_for_state(hold["id"].as_str().unwrap(), "authorized").await;
    let failed = app.wait_for_state(failing["id"].as_str().unwrap(), "failed").await;
    assert_eq!(failed["failure_code"], "card_declined");
    let books = app.get_json(&format!("/v1/groups/{group}/books"), &operator()).await;
    assert_eq!(books["currencies"][0]["charges"], eur("30.00"), "the capture is booked once");
    assert_eq!(books["balanced"], true);
    app.receiver.wait_for("payment.captured", |e| e["data"]["id"] == charge["id"]).await;
});
