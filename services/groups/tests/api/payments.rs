//! Members' payments through the outbox and payments' webhooks (PRODUCT.md G3, G4, G7), against
//! the real payments service with its sandbox provider.

use platform::store_test;
use serde_json::{Value, json};

use crate::helpers::{PAYMENTS_WEBHOOK_SECRET, shopper, spawn_app};

fn card(number: &str) -> Value {
    json!({ "type": "card", "token": number })
}

store_test!(g4_a_hold_for_the_most_owed_confirms_the_seat, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (_, product) = app.tiered_product().await;
    let group = app.start_group(&shopper("leader"), &product, json!({})).await;
    let id = group["id"].as_str().unwrap();
    let res = app.join(id, &shopper("alice"), 2).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["state"], "reserved", "acknowledged before payments answers");

    let member = app.member_becomes(id, "alice", "held").await;
    let payment = app.payment_becomes(member["payment_id"].as_str().unwrap(), "authorized").await;
    assert_eq!(payment["amount"]["amount"], "200.00");
    assert_eq!(payment["member"].as_str(), Some(member_id(&app, id, "alice").await.as_str()));
    assert_eq!(payment["group_id"].as_str(), Some(id));
});

/// The member's id in groups, as payments knows it.
async fn member_id(app: &crate::helpers::TestApp, group: &str, shopper: &str) -> String {
    let payment = app.members(group).await.into_iter().find(|m| m["shopper"] == shopper).unwrap()["payment_id"].clone();
    app.payment(payment.as_str().unwrap()).await["member"].as_str().unwrap().to_owned()
}

store_test!(g3_a_declined_card_gives_the_seat_to_the_next_joiner, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (_, product) = app.tiered_product().await;
    let group = app.start_group(&shopper("leader"), &product, json!({ "min_members": 1, "max_members": 2 })).await;
    let id = group["id"].as_str().unwrap();
    assert_eq!(app.join(id, &shopper("alice"), 1).await.status(), 201);
    assert_eq!(app.join_with(id, &shopper("bob"), 1, card("4000000000000002")).await.status(), 201);
    assert_eq!(app.join(id, &shopper("carol"), 1).await.status(), 409, "full while bob's seat is reserved");

    let bob = app.member_becomes(id, "bob", "released").await;
    assert!(bob["failure_code"].is_string(), "{bob}");
    let read = app.get_json(&format!("/v1/groups/{id}")).await;
    assert_eq!(read["member_count"].as_u64(), Some(1));
    // The seat goes to the next joiner (within the admission gate's memory of a full group).
    let mut carol = app.join(id, &shopper("carol"), 1).await.status();
    for _ in 0..40 {
        if carol == 201 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        carol = app.join(id, &shopper("carol"), 1).await.status();
    }
    assert_eq!(carol, 201, "the seat went to the next joiner");
    app.member_becomes(id, "carol", "held").await;
    let history = app.get_json(&format!("/v1/groups/{id}/history")).await;
    let kinds: Vec<&str> = history["points"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "joined", "joined", "released", "joined"]);
});

store_test!(g4_leaving_or_a_cancel_voids_the_hold, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (_, product) = app.tiered_product().await;
    let leader = shopper("leader");
    let group = app.start_group(&leader, &product, json!({})).await;
    let id = group["id"].as_str().unwrap();
    for who in ["alice", "bob"] {
        assert_eq!(app.join(id, &shopper(who), 1).await.status(), 201);
    }
    let alice = app.member_becomes(id, "alice", "held").await;
    let leave = app.request(reqwest::Method::DELETE, &format!("/v1/groups/{id}/members/me"), Some(&shopper("alice")));
    assert_eq!(leave.send().await.unwrap().status(), 200);
    app.payment_becomes(alice["payment_id"].as_str().unwrap(), "voided").await;

    // Bob's hold may still be on its way when the group is cancelled: it is voided when it lands.
    assert_eq!(app.post(&format!("/v1/groups/{id}/cancel"), &leader, &json!({})).await.status(), 200);
    let bob = app.member_becomes(id, "bob", "cancelled").await;
    for _ in 0..200 {
        let members = app.members(id).await;
        if let Some(payment) = members.iter().find(|m| m["shopper"] == "bob").and_then(|m| m["payment_id"].as_str()) {
            app.payment_becomes(payment, "voided").await;
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("bob's payment never became known: {bob}");
});

store_test!(g7_a_late_outcome_arrives_by_signed_webhook, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (_, product) = app.tiered_product().await;
    let group = app.start_group(&shopper("leader"), &product, json!({})).await;
    let id = group["id"].as_str().unwrap();
    // Authorized only after a delay: payments answers `processing`, and tells groups later.
    assert_eq!(app.join_with(id, &shopper("slow"), 1, card("4000000000000077")).await.status(), 201);
    let member = app.member_becomes(id, "slow", "held").await;
    app.payment_becomes(member["payment_id"].as_str().unwrap(), "authorized").await;
});

store_test!(g7_payments_webhooks_must_be_signed_and_apply_once, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (_, product) = app.tiered_product().await;
    let group = app.start_group(&shopper("leader"), &product, json!({ "min_members": 1, "max_members": 1 })).await;
    let id = group["id"].as_str().unwrap();
    assert_eq!(app.join(id, &shopper("alice"), 1).await.status(), 201);
    let alice = app.member_becomes(id, "alice", "held").await;
    let mut payment = app.payment(alice["payment_id"].as_str().unwrap()).await;
    // A forged failure for alice's payment: unsigned, wrongly signed, then properly signed twice.
    payment["state"] = json!("failed");
    let body =
        json!({ "type": "payment.failed", "timestamp": chrono::Utc::now().to_rfc3339(), "data": payment }).to_string();
    let url = format!("{}/v1/webhooks/payments", app.address);
    let unsigned = app.client.post(&url).body(body.clone()).send().await.unwrap();
    assert_eq!(unsigned.status(), 400);
    let send = |secret: &'static str, msg: &'static str| app.signed("/v1/webhooks/payments", secret, msg, body.clone());
    assert_eq!(send("whsec_d3JvbmcgYnV0IHdlbGwgZm9ybWVkIGtleQ==", "msg-1").await, 400);
    assert_eq!(send(PAYMENTS_WEBHOOK_SECRET, "msg-1").await, 204);
    assert_eq!(send(PAYMENTS_WEBHOOK_SECRET, "msg-1").await, 204, "a redelivery is acknowledged");
    // A held seat is never taken back by a late or forged failure (the domain refuses it).
    let members = app.members(id).await;
    assert_eq!(members[0]["state"], "held");
    assert_eq!(app.get_json(&format!("/v1/groups/{id}")).await["member_count"].as_u64(), Some(1));
});
