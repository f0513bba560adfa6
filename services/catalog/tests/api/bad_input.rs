//! Bad input gets a 4xx problem+json, never a 5xx, and changes nothing stored (PRODUCT.md X2).

use platform::store_test;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// The stored products, as the public list shows them.
async fn snapshot(app: &TestApp) -> Value {
    app.products("?limit=200").await
}

store_test!(x2_bad_product_bodies_are_refused_and_change_nothing, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let owner = app.create_supplier("Acme").await;
    let existing = app.create_product(owner, product("Existing", json!({ "kind": "service" }))).await;
    let before = snapshot(&app).await;
    let token = supplier(owner);
    let with = |field: &str, value: Value| {
        let mut body = product("Bad", json!({ "kind": "service" }));
        body[field] = value;
        body
    };

    let cases: Vec<(Value, u16, &str)> = vec![
        (with("list_price", json!({ "amount": "-5.00", "currency": "EUR" })), 422, "list_price.amount"),
        (with("list_price", json!({ "amount": "5.001", "currency": "EUR" })), 422, "list_price.amount"),
        (with("list_price", json!({ "amount": "5", "currency": "XXY" })), 422, "list_price.currency"),
        (with("list_price", json!({ "amount": "5.5", "currency": "JPY" })), 422, "list_price.amount"),
        (with("list_price", json!({ "amount": "0", "currency": "EUR" })), 422, "list_price.amount"),
        (with("list_price", json!({ "amount": "NaN", "currency": "EUR" })), 422, "list_price.amount"),
        (
            with("discount_rates", json!([{ "min_quantity": 3, "within_days": 60, "rate": "1.5" }])),
            422,
            "discount_rates[0].rate",
        ),
        (
            with("discount_rates", json!([{ "min_quantity": 3, "within_days": 60, "rate": "-0.1" }])),
            422,
            "discount_rates[0].rate",
        ),
        (
            with(
                "price_tiers",
                json!({ "basis": "quantity", "tiers": [
            { "min": 10, "unit_price": { "amount": "80", "currency": "EUR" } },
            { "min": 5, "unit_price": { "amount": "90", "currency": "EUR" } }
        ] }),
            ),
            422,
            "price_tiers.tiers[1].min",
        ),
        (
            with(
                "price_tiers",
                json!({ "basis": "quantity", "tiers": [
            { "min": 5, "unit_price": { "amount": "90", "currency": "USD" } }
        ] }),
            ),
            422,
            "price_tiers.tiers[0].unit_price",
        ),
        (with("name", json!("")), 422, "name"),
        (with("name", json!("x".repeat(201))), 422, "name"),
        // Issue 7, finding 5: these were 500s (a 64-bit overflow, an INTEGER column overflow).
        (with("list_price", json!({ "amount": "92233720368547758.08", "currency": "EUR" })), 422, "list_price.amount"),
        (
            with("list_price", json!({ "amount": "1000000000000000000000", "currency": "EUR" })),
            422,
            "list_price.amount",
        ),
        (
            with("discount_rates", json!([{ "min_quantity": 3_000_000_000_u64, "within_days": 60, "rate": "0.1" }])),
            422,
            "discount_rates[0].min_quantity",
        ),
        // Issue 7, finding 8: overlong or unprintable texts, unknown fields deep in the body and a
        // free tier were accepted.
        (
            with("details", json!({ "kind": "specific", "manufacturer": "m".repeat(201), "model": "X" })),
            422,
            "details.manufacturer",
        ),
        (
            with("details", json!({ "kind": "specific", "manufacturer": "Acme", "sku": "x".repeat(200_000) })),
            422,
            "details.sku",
        ),
        (with("name", json!("Nul\u{0}byte")), 422, "name"),
        (with("list_price", json!({ "amount": "5.00", "currency": "EUR", "extra": 1 })), 422, "list_price.extra"),
        (with("details", json!({ "kind": "service", "colour": "red" })), 422, "details.colour"),
        (
            with("discount_rates", json!([{ "min_quantity": 3, "within_days": 60, "rate": "0.1", "x": 1 }])),
            422,
            "discount_rates[0].x",
        ),
        (
            with(
                "price_tiers",
                json!({ "basis": "quantity", "tiers": [{ "min": 5, "unit_price": { "amount": "0.00", "currency": "EUR" } }] }),
            ),
            422,
            "price_tiers.tiers[0].unit_price",
        ),
        (
            with(
                "price_tiers",
                json!({ "basis": "quantity", "tiers": [{ "min": 5, "unit_price": { "amount": "90", "currency": "EUR" }, "y": 2 }] }),
            ),
            422,
            "price_tiers.tiers[0].y",
        ),
    ];
    for (body, status, field) in cases {
        let problem = assert_problem(app.post("/v1/products", &token, &body).await, status).await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }

    // Bodies that do not even fit the schema still name the field.
    let schema_breaks = [
        (with("list_price", json!({ "amount": 5.5, "currency": "EUR" })), "list_price.amount"), // a float
        (with("details", json!({ "kind": "spaceship" })), "details.kind"),
        (
            with("discount_rates", json!([{ "min_quantity": -3, "within_days": 60, "rate": "0.1" }])),
            "discount_rates[0].min_quantity",
        ),
        (with("unexpected", json!(true)), "unexpected"),
    ];
    for (body, field) in schema_breaks {
        let problem = assert_problem(app.post("/v1/products", &token, &body).await, 422).await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }

    let malformed = app
        .request(Method::POST, "/v1/products", Some(&token))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_problem(malformed, 400).await;
    let not_json = app
        .request(Method::POST, "/v1/products", Some(&token))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_problem(not_json, 415).await;
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(10 * 1024 * 1024));
    let too_large = app
        .request(Method::POST, "/v1/products", Some(&token))
        .header("content-type", "application/json")
        .body(huge.clone())
        .send()
        .await
        .unwrap();
    assert_problem(too_large, 413).await;
    let too_large_idempotent = app
        .request(Method::POST, "/v1/products", Some(&token))
        .header("content-type", "application/json")
        .header("idempotency-key", "huge-1")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_problem(too_large_idempotent, 413).await;

    // A bad edit leaves the product as it was.
    let path = format!("/v1/products/{}", existing["id"].as_str().unwrap());
    let res = app
        .patch(&path, &token, &json!({ "discount_rates": [{ "min_quantity": 1, "within_days": 1, "rate": "1.5" }] }))
        .await;
    assert_problem(res, 422).await;
    let res = app.patch(&path, &token, &json!({ "list_price": { "amount": "1.234", "currency": "EUR" } })).await;
    assert_problem(res, 422).await;
    let res = app
        .patch(&path, &token, &json!({ "list_price": { "amount": "92233720368547758.08", "currency": "EUR" } }))
        .await;
    assert_problem(res, 422).await;
    let res = app
        .patch(
            &path,
            &token,
            &json!({ "discount_rates": [{ "min_quantity": 3_000_000_000_u64, "within_days": 1, "rate": "0.1" }] }),
        )
        .await;
    assert_problem(res, 422).await;

    assert_eq!(snapshot(&app).await, before, "nothing stored changed");
});

store_test!(x2_bad_paths_and_queries_are_client_errors, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let owner = app.create_supplier("Acme").await;
    let created = app.create_product(owner, product("Widget", json!({ "kind": "service" }))).await;
    let id = created["id"].as_str().unwrap();

    let cases = [
        ("/v1/products/not-a-uuid", 404),
        ("/v1/suppliers/123", 404),
        ("/v1/products?kind=spaceship", 400),
        ("/v1/products?limit=0", 422),
        ("/v1/products?limit=abc", 400),
        ("/v1/products?cursor=%25%25%25", 422),
        ("/v1/nowhere", 404),
        // Issue 7, finding 8: a NUL in `q` matched every product.
        ("/v1/products?q=%00", 422),
        ("/v1/products?q=a%01b", 422),
    ];
    for (path, status) in cases {
        assert_problem(app.get(path).await, status).await;
    }
    for (query, status) in
        [("quantity=1&period_days=0", 422), ("quantity=-1&period_days=5", 400), ("period_days=5", 400)]
    {
        assert_problem(app.get(&format!("/v1/products/{id}/discount-rate?{query}")).await, status).await;
    }
});
