//! Storefronts' webhook endpoints (PRODUCT.md G9): registered by the operator, sent every event of
//! the groups they follow, signed with Standard Webhooks under the secret shown at registration.

use platform::{store_test, testing::WebhookReceiver};
use serde_json::{Value, json};

use crate::helpers::{operator, shopper, spawn_app};

store_test!(g9_a_storefront_receives_its_groups_events_signed, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (_, product) = app.tiered_product().await;
    let group = app.start_group(&shopper("leader"), &product, json!({})).await;
    let other = app.start_group(&shopper("leader"), &product, json!({})).await;
    let (id, other_id) = (group["id"].as_str().unwrap(), other["id"].as_str().unwrap());
    let storefront = WebhookReceiver::start().await;

    let register = json!({ "url": storefront.url, "group_id": id });
    assert_eq!(app.post("/v1/webhook-endpoints", &shopper("s"), &register).await.status(), 403);
    let bad = app.post("/v1/webhook-endpoints", &operator(), &json!({ "url": "ftp://example.com/hook" })).await;
    assert_eq!(bad.status(), 422);
    let res = app.post("/v1/webhook-endpoints", &operator(), &register).await;
    assert_eq!(res.status(), 201);
    let registered: Value = res.json().await.unwrap();
    let secret = registered["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));
    storefront.set_secret(secret);

    assert_eq!(app.join(other_id, &shopper("a"), 1).await.status(), 201);
    assert_eq!(app.join(id, &shopper("b"), 2).await.status(), 201);
    let joined = storefront.wait_for("group.joined", |e| e["data"]["group_id"] == id).await;
    assert_eq!((joined["data"]["member_count"].as_u64(), joined["data"]["quantity"].as_u64()), (Some(1), Some(2)));
    assert!(storefront.received().iter().all(|(_, e)| e["data"]["group_id"] == id), "only the group it follows");

    let listed = app.request(reqwest::Method::GET, "/v1/webhook-endpoints", Some(&operator())).send().await.unwrap();
    let listed: Value = listed.json().await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(listed["items"][0].get("secret").is_none(), "the secret is shown once");
    let path = format!("/v1/webhook-endpoints/{}", registered["id"].as_str().unwrap());
    let delete = || app.request(reqwest::Method::DELETE, &path, Some(&operator())).send();
    assert_eq!(delete().await.unwrap().status(), 204);
    assert_eq!(delete().await.unwrap().status(), 404);
});
