//! Bid requests (PRODUCT.md B1, B2): opened by groups or the operator, listed to the suppliers
//! who may offer.

use platform::store_test;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

store_test!(b2_a_supplier_lists_the_requests_it_may_offer_on, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let seller = app.specific_seller("Northwind").await;
    let rival = app.specific_seller("Southwind").await;
    let request = app.open_request(&seller.product, 10, "50.00", json!({})).await;
    let id = request["id"].as_str().unwrap();
    assert_eq!(request["state"], "open");
    assert_eq!(request["ceiling"], json!({ "amount": "50.00", "currency": "EUR" }));

    let listed = |token: String| {
        let app = &app;
        async move { app.call(Method::GET, "/v1/bid-requests", &token, None, 200).await["items"].as_array().unwrap().len() }
    };
    assert_eq!(listed(seller.token.clone()).await, 1);
    assert_eq!(listed(rival.token.clone()).await, 0);
    assert_eq!(listed(operator()).await, 1);
    assert_problem(app.send(Method::GET, &format!("/v1/bid-requests/{id}"), Some(&rival.token), None).await, 404).await;
    assert_problem(app.send(Method::GET, "/v1/bid-requests", Some(&shopper()), None).await, 403).await;

    app.close_and_award(id).await;
    assert_eq!(listed(seller.token.clone()).await, 0, "a decided request is no longer listed to suppliers");
});

store_test!(b1_wrong_requests_are_refused, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let seller = app.specific_seller("Northwind").await;
    let body = |product: &str, extra: Value| {
        let mut body = json!({
            "product_id": product,
            "quantity": 10,
            "ceiling": { "amount": "50.00", "currency": "EUR" },
            "closes_at": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339(),
        });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    let refused = |body: Value, token: String, status: u16| {
        let app = &app;
        async move {
            assert_problem(app.send(Method::POST, "/v1/bid-requests", Some(&token), Some(&body)).await, status).await
        }
    };
    let product = seller.product.as_str();
    refused(body(product, json!({ "quantity": 65_536 })), service(), 422).await;
    refused(body(product, json!({ "quantity": 0 })), service(), 422).await;
    refused(body(product, json!({ "ceiling": { "amount": "0", "currency": "EUR" } })), service(), 422).await;
    refused(body(product, json!({ "ceiling": { "amount": "50.00", "currency": "USD" } })), service(), 422).await;
    refused(body(product, json!({ "closes_at": "2020-01-01T00:00:00Z" })), service(), 422).await;
    refused(body(product, json!({ "rule": "best_value" })), service(), 422).await;
    let weights = json!({ "weights": { "price_weight": "1", "delivery_day_weight": "0.5" } });
    refused(body(product, weights), service(), 422).await;
    let negative = json!({ "rule": "best_value", "weights": { "price_weight": "-1", "delivery_day_weight": "0.5" } });
    refused(body(product, negative), service(), 422).await;
    refused(body(&uuid::Uuid::now_v7().to_string(), json!({})), service(), 422).await;
    refused(body(product, json!({})), seller.token.clone(), 403).await;
    refused(body(product, json!({})), shopper(), 403).await;
    let listed = app.call(Method::GET, "/v1/bid-requests", &operator(), None, 200).await;
    assert_eq!(listed["items"], json!([]), "nothing stored");
});

// B2: a request for a specification reaches every supplier with a specific product meeting it,
// and no other.
store_test!(b2_a_specification_is_open_to_every_supplier_whose_product_meets_it, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let spec = app
        .seller("Spec", json!({ "kind": "specification", "attributes": [{ "operator": "at_least", "attribute": "ram_gb", "value": "16" }] }))
        .await;
    let meets = app
        .seller(
            "Big",
            json!({ "kind": "specific", "manufacturer": "Acme", "model": "B", "properties": { "ram_gb": "32" } }),
        )
        .await;
    let short = app
        .seller(
            "Small",
            json!({ "kind": "specific", "manufacturer": "Acme", "model": "S", "properties": { "ram_gb": "8" } }),
        )
        .await;
    let id = app.open_request(&spec.product, 10, "50.00", json!({})).await["id"].as_str().unwrap().to_owned();

    let listed = |token: String| {
        let app = &app;
        async move { app.call(Method::GET, "/v1/bid-requests", &token, None, 200).await["items"].as_array().unwrap().len() }
    };
    assert_eq!(listed(meets.token.clone()).await, 1);
    assert_eq!(listed(short.token.clone()).await, 0);
    assert_eq!(listed(spec.token.clone()).await, 0, "owning the specification is not having a product that meets it");
    app.call(Method::GET, &format!("/v1/bid-requests/{id}"), &meets.token, None, 200).await;
    assert_problem(app.send(Method::GET, &format!("/v1/bid-requests/{id}"), Some(&short.token), None).await, 404).await;
    app.offer(&id, &meets, offer("45.00", 1, 10, 3)).await;
    let path = format!("/v1/bid-requests/{id}/offers");
    assert_problem(app.send(Method::POST, &path, Some(&short.token), Some(&offer("44.00", 1, 10, 3))).await, 403).await;
});

// B2: a supplier with an endpoint is told, signed with its own secret, of each request it may
// offer on when it opens, and of no other.
store_test!(b2_suppliers_are_told_when_a_request_they_may_offer_on_opens, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let spec = app.size_l_specification().await;
    let meets = app.sized_seller("Large", "L").await;
    let other = app.sized_seller("Small", "S").await;
    let mut receivers = Vec::new();
    for seller in [&meets, &other] {
        let receiver = platform::testing::WebhookReceiver::start().await;
        let endpoint = json!({ "url": receiver.url });
        let set = app.call(Method::PUT, "/v1/supplier-endpoint", &seller.token, Some(&endpoint), 200).await;
        receiver.set_secret(set["secret"].as_str().unwrap());
        receivers.push(receiver);
    }
    assert_problem(
        app.send(Method::PUT, "/v1/supplier-endpoint", Some(&operator()), Some(&json!({ "url": "http://x.example" })))
            .await,
        403,
    )
    .await;
    assert_problem(
        app.send(Method::PUT, "/v1/supplier-endpoint", Some(&meets.token), Some(&json!({ "url": "not a url" }))).await,
        422,
    )
    .await;

    let own = app.open_request(&other.product, 5, "50.00", json!({})).await;
    let wanted = app.open_request(&spec.product, 10, "50.00", json!({})).await;
    let told = receivers[0].wait_for("bid_request.opened", |e| e["data"]["id"] == wanted["id"]).await;
    assert_eq!(told["data"]["quantity"], 10);
    receivers[1].wait_for("bid_request.opened", |e| e["data"]["id"] == own["id"]).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let opened = |i: usize| receivers[i].received().iter().filter(|(_, e)| e["type"] == "bid_request.opened").count();
    assert_eq!((opened(0), opened(1)), (1, 1), "each told only of what it may offer on");

    app.call_empty(Method::DELETE, "/v1/supplier-endpoint", &meets.token, 204).await;
    assert_problem(app.send(Method::DELETE, "/v1/supplier-endpoint", Some(&meets.token), None).await, 404).await;
});

// Issue 22, finding 13: a supplier endpoint that accepts and never answers held bidding's relay,
// so another supplier's notice and an unrelated award waited for its time-out.
store_test!(abuse_13_an_endpoint_that_never_answers_holds_up_no_other_destination, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let silent = app.sized_seller("Silent", "L").await;
    let prompt = app.sized_seller("Prompt", "S").await;
    let seller = app.specific_seller("Northwind").await;

    // Accepts each connection, reads the request and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (reached, mut reached_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            let _ = reached.send(());
            held.push(socket);
        }
    });
    app.call(Method::PUT, "/v1/supplier-endpoint", &silent.token, Some(&json!({ "url": url })), 200).await;
    let receiver = platform::testing::WebhookReceiver::start().await;
    let set =
        app.call(Method::PUT, "/v1/supplier-endpoint", &prompt.token, Some(&json!({ "url": receiver.url })), 200).await;
    receiver.set_secret(set["secret"].as_str().unwrap());

    app.open_request(&silent.product, 5, "50.00", json!({})).await;
    tokio::time::timeout(std::time::Duration::from_secs(10), reached_rx.recv())
        .await
        .expect("the silent endpoint is called");

    // While that delivery hangs (30 s), another supplier is told and an award reaches groups.
    let told = app.open_request(&prompt.product, 5, "50.00", json!({})).await;
    receiver.wait_for("bid_request.opened", |e| e["data"]["id"] == told["id"]).await;
    let id = app.open_request(&seller.product, 10, "50.00", json!({})).await["id"].as_str().unwrap().to_owned();
    app.offer(&id, &seller, offer("40.00", 10, 10, 5)).await;
    app.close_and_award(&id).await;
    app.groups.wait_for("bid_request.awarded", |e| e["data"]["bid_request_id"] == id.as_str()).await;
});

// Issue 22, finding 14: a supplier's paging cursor named a request it may not see, and suppliers
// read every member's own maximum in `demands` before bidding.
store_test!(abuse_14_suppliers_see_neither_other_requests_ids_nor_members_maxima, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let seller = app.specific_seller("Northwind").await;
    let other = app.specific_seller("Contoso").await;
    let demands = json!({ "demands": [
        { "quantity": 4, "max_unit_price": { "amount": "41.00", "currency": "EUR" } },
        { "quantity": 6, "max_unit_price": { "amount": "47.00", "currency": "EUR" } },
    ] });
    // Another supplier's request first, so that a page of raw rows would end on it.
    let hidden = app.open_request(&other.product, 10, "50.00", json!({})).await;
    let mine = app.open_request(&seller.product, 10, "50.00", demands).await;
    assert!(mine["demands"].is_array(), "groups sees what it asked for");
    app.open_request(&other.product, 10, "50.00", json!({})).await;

    let page = app.call(Method::GET, "/v1/bid-requests?limit=1", &seller.token, None, 200).await;
    assert_eq!(page["items"][0]["id"], mine["id"]);
    assert!(page["items"][0]["demands"].is_null(), "maxima sealed: {page}");
    let one = app
        .call(Method::GET, &format!("/v1/bid-requests/{}", mine["id"].as_str().unwrap()), &seller.token, None, 200)
        .await;
    assert!(one["demands"].is_null());
    // Following the cursor to the end never shows the other supplier's request id.
    let mut seen = page.to_string();
    let mut cursor = page["next_cursor"].as_str().map(str::to_owned);
    while let Some(at) = cursor {
        // What a cursor names, decoded as the service reads it.
        let params = platform::pagination::PageParams { cursor: Some(at.clone()), limit: None };
        seen.push_str(&params.after().unwrap().unwrap_or_default());
        let next =
            app.call(Method::GET, &format!("/v1/bid-requests?limit=1&cursor={at}"), &seller.token, None, 200).await;
        seen.push_str(&next.to_string());
        cursor = next["next_cursor"].as_str().map(str::to_owned);
    }
    assert!(!seen.contains(hidden["id"].as_str().unwrap()), "{seen}");
    let operator_view = app
        .call(Method::GET, &format!("/v1/bid-requests/{}", mine["id"].as_str().unwrap()), &operator(), None, 200)
        .await;
    assert_eq!(operator_view["demands"].as_array().unwrap().len(), 2);
});
