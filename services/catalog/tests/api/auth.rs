//! Authentication and authorization on the catalog (PRODUCT.md X3, C2).

use platform::{
    auth::{Role, TokenIssuer},
    store_test,
    testing::TEST_SECRET,
};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

store_test!(x3_writes_need_a_valid_token_of_an_allowed_role, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let body = product("Widget", json!({ "kind": "service" }));

    let anonymous = app.request(Method::POST, "/v1/products", None).json(&body).send().await.unwrap();
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    assert_problem(anonymous, 401).await;

    let expired = TokenIssuer::hs256(TEST_SECRET, "groupbuy", "groupbuy")
        .issue(Role::Operator, "op", None, chrono::Duration::minutes(-5))
        .unwrap();
    let forged = TokenIssuer::hs256("not-the-secret-not-the-secret-00", "groupbuy", "groupbuy")
        .issue(Role::Operator, "op", None, chrono::Duration::minutes(5))
        .unwrap();
    for token in [expired.as_str(), forged.as_str(), "not-a-jwt"] {
        assert_problem(app.post("/v1/products", token, &body).await, 401).await;
    }
    let basic = app
        .request(Method::POST, "/v1/products", None)
        .header("authorization", "Basic b3A6b3A=")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_problem(basic, 401).await;

    assert_problem(app.post("/v1/products", &shopper(), &body).await, 403).await;
    let shipping = platform::testing::shipping_token(domain::ShippingBaseId::generate());
    assert_problem(app.post("/v1/products", &shipping, &body).await, 403).await;
    assert!(app.products("").await["items"].as_array().unwrap().is_empty());
});

store_test!(c4_reads_need_no_token, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let owner = app.create_supplier("Acme").await;
    let created = app.create_product(owner, product("Widget", json!({ "kind": "service" }))).await;
    let id = created["id"].as_str().unwrap();
    for path in [
        "/v1/products".to_owned(),
        format!("/v1/products/{id}"),
        format!("/v1/products/{id}/discount-rate?quantity=1&period_days=1"),
        format!("/v1/suppliers/{owner}"),
    ] {
        assert_eq!(app.get(&path).await.status(), 200, "{path}");
    }
});
