//! Suppliers (PRODUCT.md C2): the operator registers them; anyone reads them.

use platform::store_test;
use serde_json::{Value, json};

use crate::helpers::*;

store_test!(c2_operator_registers_and_anyone_reads, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };

    let res = app.post("/v1/suppliers", &operator(), &json!({ "name": "  Acme Wholesale " })).await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["name"], "Acme Wholesale");
    assert_eq!(location, format!("/v1/suppliers/{}", created["id"].as_str().unwrap()));

    let res = app.get(&location).await;
    assert_eq!(res.status(), 200);
    let read: Value = res.json().await.unwrap();
    assert_eq!(read, created, "the stored supplier reads back unchanged");

    let missing = app.get("/v1/suppliers/0190a8f2-0000-7000-8000-000000000000").await;
    assert_problem(missing, 404).await;
});

store_test!(c2_only_the_operator_registers_suppliers, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let existing = app.create_supplier("Existing").await;
    let body = json!({ "name": "Sneaky" });

    assert_problem(app.post("/v1/suppliers", &supplier(existing), &body).await, 403).await;
    assert_problem(app.post("/v1/suppliers", &shopper(), &body).await, 403).await;
    let anonymous = app.request(reqwest::Method::POST, "/v1/suppliers", None).json(&body).send().await.unwrap();
    assert_problem(anonymous, 401).await;
    assert_problem(app.post("/v1/suppliers", &operator(), &json!({ "name": "" })).await, 422).await;
});
