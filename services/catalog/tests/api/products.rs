//! Products (PRODUCT.md C1-C4): the six kinds, references between products, tiers and discount
//! tables, browsing, editing and archiving.

use std::collections::HashSet;

use platform::store_test;
use serde_json::{Value, json};

use crate::helpers::*;

/// Publishes one product of each kind for `owner`; returns them in C1's order.
async fn one_of_each_kind(app: &TestApp, owner: domain::SupplierId) -> Vec<Value> {
    let specific = app
        .create_product(
            owner,
            product("Laptop X1", json!({ "kind": "specific", "manufacturer": "Acme", "model": "X1" })),
        )
        .await;
    let other = app
        .create_product(
            owner,
            product("Laptop Y2", json!({ "kind": "specific", "manufacturer": "Acme", "sku": "Y2-16" })),
        )
        .await;
    let service = app.create_product(owner, product("Installation", json!({ "kind": "service" }))).await;
    let specification = app
        .create_product(
            owner,
            product(
                "Any 16 GB laptop",
                json!({ "kind": "specification", "attributes": [
                    { "operator": "at_least", "attribute": "ram_gb", "value": "16" },
                    { "operator": "one_of", "attribute": "colour", "values": ["black", "silver"] }
                ] }),
            ),
        )
        .await;
    let any_of = app
        .create_product(
            owner,
            product("X1 or Y2", json!({ "kind": "any_of", "alternatives": [specific["id"], other["id"]] })),
        )
        .await;
    let option = app
        .create_product(owner, product("X1 warranty", json!({ "kind": "option", "base_product_id": specific["id"] })))
        .await;
    let bundle = app
        .create_product(
            owner,
            product(
                "Office pack",
                json!({ "kind": "bundle", "components": [
                    { "product_id": specific["id"], "quantity": 2 },
                    { "product_id": service["id"], "quantity": 1 }
                ] }),
            ),
        )
        .await;
    vec![specific, service, specification, any_of, option, bundle]
}

store_test!(c1_a_supplier_publishes_every_kind, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let owner = app.create_supplier("Acme").await;

    let products = one_of_each_kind(&app, owner).await;

    let kinds: Vec<&str> = products.iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["specific", "service", "specification", "any_of", "option", "bundle"]);
    for p in &products {
        assert_eq!(p["supplier_id"], owner.to_string());
        assert_eq!(p["status"], "active");
        assert_eq!(p["version"], 1);
        let read: Value = app.get(&format!("/v1/products/{}", p["id"].as_str().unwrap())).await.json().await.unwrap();
        assert_eq!(&read, p, "reads back exactly as created");
    }
    assert_eq!(products[5]["details"]["components"][0]["quantity"], 2);
});

store_test!(c4_browsing_filters_by_kind_supplier_and_text, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let acme = app.create_supplier("Acme").await;
    let globex = app.create_supplier("Globex").await;
    one_of_each_kind(&app, acme).await;
    app.create_product(
        globex,
        product("Globex 50% Widget", json!({ "kind": "specific", "manufacturer": "Globex", "model": "W" })),
    )
    .await;

    let bundles = app.products("?kind=bundle").await;
    let items = bundles["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert!(items.iter().all(|p| p["kind"] == "bundle"));

    let globex_items = app.products(&format!("?supplier_id={globex}")).await;
    assert_eq!(globex_items["items"].as_array().unwrap().len(), 1);

    let by_text = app.products("?q=LAPTOP").await;
    let names: HashSet<&str> =
        by_text["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, HashSet::from(["Laptop X1", "Laptop Y2", "Any 16 GB laptop"]));
    // Matches the model and SKU too, and LIKE wildcards in `q` are literal.
    assert_eq!(app.products("?q=y2-16").await["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.products("?q=50%25").await["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.products("?q=5_%25").await["items"].as_array().unwrap().len(), 0);
});

store_test!(c4_cursor_pagination_visits_every_product_once, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let owner = app.create_supplier("Acme").await;
    let products = one_of_each_kind(&app, owner).await; // 7 products: one extra `specific`

    let mut seen = Vec::new();
    let mut query = "?limit=3".to_owned();
    loop {
        let page = app.products(&query).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7, "no product twice");
    assert!(products.iter().all(|p| seen.contains(&p["id"].as_str().unwrap().to_owned())));
});

store_test!(c1_references_must_exist_and_be_active, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let owner = app.create_supplier("Acme").await;
    let base = app.create_product(owner, product("Base", json!({ "kind": "service" }))).await;
    let archived = app.create_product(owner, product("Old", json!({ "kind": "service" }))).await;
    let res = app
        .request(
            reqwest::Method::DELETE,
            &format!("/v1/products/{}", archived["id"].as_str().unwrap()),
            Some(&supplier(owner)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let unknown = "0190a8f2-0000-7000-8000-000000000000";

    let cases = [
        (
            json!({ "kind": "bundle", "components": [{ "product_id": unknown, "quantity": 1 }] }),
            "details.components[0].product_id",
        ),
        (
            json!({ "kind": "bundle", "components": [{ "product_id": base["id"], "quantity": 0 }] }),
            "details.components[0].quantity",
        ),
        (json!({ "kind": "any_of", "alternatives": [base["id"], archived["id"]] }), "details.alternatives[1]"),
        (json!({ "kind": "any_of", "alternatives": [base["id"]] }), "details.alternatives"),
        (json!({ "kind": "option", "base_product_id": unknown }), "details.base_product_id"),
        (json!({ "kind": "specification", "attributes": [] }), "details.attributes"),
    ];
    for (details, field) in cases {
        let res = app.post("/v1/products", &supplier(owner), &product("Bad", details.clone())).await;
        let problem = assert_problem(res, 422).await;
        assert_eq!(problem["errors"][0]["field"], field, "{details}");
    }
    assert_eq!(app.products("").await["items"].as_array().unwrap().len(), 1, "nothing more was stored");
});

store_test!(c3_tiers_and_discount_table_round_trip_and_look_up, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let owner = app.create_supplier("Acme").await;
    let mut body = product("Camera", json!({ "kind": "specific", "manufacturer": "Acme", "model": "C" }));
    body["price_tiers"] = json!({ "basis": "member_count", "tiers": [
        { "min": 5, "unit_price": { "amount": "90", "currency": "EUR" } },
        { "min": 10, "unit_price": { "amount": "80.50", "currency": "EUR" } }
    ] });
    body["discount_rates"] = json!([
        { "min_quantity": 1, "within_days": 60, "rate": "0.03" },
        { "min_quantity": 3, "within_days": 30, "rate": "0.20" },
        { "min_quantity": 3, "within_days": 60, "rate": "0.15" },
        { "min_quantity": 3, "within_days": 90, "rate": "0.10" }
    ]);
    let created = app.create_product(owner, body).await;
    assert_eq!(created["price_tiers"]["tiers"][0]["unit_price"], json!({ "amount": "90.00", "currency": "EUR" }));
    assert_eq!(created["price_tiers"]["tiers"][1]["unit_price"]["amount"], "80.50");
    assert_eq!(created["discount_rates"][2], json!({ "min_quantity": 3, "within_days": 60, "rate": "0.15" }));

    let id = created["id"].as_str().unwrap();
    let read: Value = app.get(&format!("/v1/products/{id}")).await.json().await.unwrap();
    assert_eq!(read, created, "reads back exactly as created");
    let rate = |q: u32, d: u32| {
        let app = &app;
        async move {
            let res = app.get(&format!("/v1/products/{id}/discount-rate?quantity={q}&period_days={d}")).await;
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()["rate"].as_str().unwrap().to_owned()
        }
    };
    // 003 Fig. 8: three units within two months earn 0.15.
    assert_eq!(rate(3, 60).await, "0.15");
    assert_eq!(rate(4, 20).await, "0.2", "rates are shown in canonical form");
    assert_eq!(rate(2, 45).await, "0.03");
    assert_eq!(rate(3, 120).await, "0");
});

store_test!(c2_owner_or_operator_edits_and_archives, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let acme = app.create_supplier("Acme").await;
    let globex = app.create_supplier("Globex").await;
    let created = app
        .create_product(acme, product("Kettle", json!({ "kind": "specific", "manufacturer": "Acme", "model": "K" })))
        .await;
    let path = format!("/v1/products/{}", created["id"].as_str().unwrap());

    let res = app.patch(&path, &supplier(globex), &json!({ "name": "Hijacked" })).await;
    assert_problem(res, 403).await;
    let res = app.patch(&path, &shopper(), &json!({ "name": "Hijacked" })).await;
    assert_problem(res, 403).await;

    let res = app
        .patch(
            &path,
            &supplier(acme),
            &json!({ "name": "Kettle 2", "list_price": { "amount": "79.99", "currency": "EUR" } }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["name"], "Kettle 2");
    assert_eq!(updated["list_price"]["amount"], "79.99");
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["details"], created["details"], "fields not sent stay as they were");

    let res = app.patch(&path, &operator(), &json!({ "description": "by the operator" })).await;
    assert_eq!(res.json::<Value>().await.unwrap()["version"], 3);

    let res = app.request(reqwest::Method::DELETE, &path, Some(&supplier(globex))).send().await.unwrap();
    assert_problem(res, 403).await;
    for _ in 0..2 {
        let res = app.request(reqwest::Method::DELETE, &path, Some(&supplier(acme))).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["status"], "archived");
    }
    assert!(app.products("").await["items"].as_array().unwrap().is_empty(), "archived products are not listed");
    let read: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(read["status"], "archived");
    assert_eq!(read["name"], "Kettle 2");
    assert_problem(app.patch(&path, &supplier(acme), &json!({ "name": "Back" })).await, 409).await;
});

store_test!(c2_operator_publishes_for_a_named_supplier, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let acme = app.create_supplier("Acme").await;
    let globex = app.create_supplier("Globex").await;
    let mut body = product("Drill", json!({ "kind": "service" }));

    assert_problem(app.post("/v1/products", &operator(), &body).await, 422).await;
    body["supplier_id"] = json!(acme.to_string());
    let res = app.post("/v1/products", &operator(), &body).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["supplier_id"], acme.to_string());
    // A supplier may not publish in another's name.
    assert_problem(app.post("/v1/products", &supplier(globex), &body).await, 403).await;
    body["supplier_id"] = json!("0190a8f2-0000-7000-8000-000000000000");
    let problem = assert_problem(app.post("/v1/products", &operator(), &body).await, 422).await;
    assert_eq!(problem["errors"][0]["field"], "supplier_id");
});
