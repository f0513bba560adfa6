//! What the platform gives every service, seen on the catalog: probes, metrics, the offline docs
//! page, the OpenAPI document, request ids and trace context (PRODUCT.md X5, X6).

use platform::store_test;
use serde_json::Value;

use crate::helpers::*;

store_test!(x6_probes_and_metrics_answer, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    for path in ["/health/live", "/health/ready"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.json::<Value>().await.unwrap()["status"], "ok");
    }
    app.get("/v1/products").await;
    let metrics = app.request(reqwest::Method::GET, "/metrics", Some(&operator())).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(metrics.contains("catalog_http_requests_total"), "{metrics}");
});

// Issue 7, finding 6: every unknown path became a series of its own, and `/metrics` was public.
store_test!(x6_unknown_paths_share_one_series_and_metrics_need_a_token, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    for n in 0..50 {
        assert_problem(app.get(&format!("/scan/{n}/{}", uuid::Uuid::new_v4())).await, 404).await;
    }
    assert_problem(app.get("/metrics").await, 401).await;
    assert_problem(app.request(reqwest::Method::GET, "/metrics", Some(&shopper())).send().await.unwrap(), 403).await;
    let metrics = app.request(reqwest::Method::GET, "/metrics", Some(&operator())).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(!metrics.contains("/scan/"), "{metrics}");
    let series = metrics.lines().filter(|l| l.starts_with("catalog_http_requests_total{")).count();
    assert!(series <= 3, "{series} series after 50 unknown paths:\n{metrics}");
    assert!(metrics.contains(r#"endpoint="unmatched""#), "{metrics}");
});

// Issue 7, finding 7: some error answers were text/plain.
store_test!(x2_every_error_is_problem_json, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    for path in ["/docs/no-such-file.js", "/nope"] {
        assert_problem(app.get(path).await, 404).await;
    }
    let oversized = "x".repeat(300 * 1024);
    let res = app
        .request(reqwest::Method::POST, "/v1/suppliers", Some(&operator()))
        .header("content-type", "application/json")
        .body(oversized)
        .send()
        .await
        .unwrap();
    assert_problem(res, 413).await;
});

store_test!(x6_request_id_and_trace_context_are_carried, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let res = app
        .request(reqwest::Method::GET, "/v1/products", None)
        .header("x-request-id", "req-42")
        .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "req-42");
    let traceparent = res.headers()["traceparent"].to_str().unwrap();
    assert!(traceparent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "{traceparent}");
    assert!(!traceparent.contains("00f067aa0ba902b7"), "the catalog's own span is the new parent");

    let fresh = app.get("/v1/products").await;
    assert_eq!(fresh.headers()["x-request-id"].len(), 36, "a request id is made when none is sent");
});

store_test!(x5_docs_page_works_offline_and_serves_the_document, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = redirect.get(format!("{}/docs", app.address)).send().await.unwrap();
    assert_eq!(res.status(), 308);

    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    let external = html
        .match_indices("http")
        .filter(|(i, _)| html[*i..].starts_with("http://") || html[*i..].starts_with("https://"))
        .count();
    assert_eq!(external, 0, "the docs page loads nothing from the internet");
    for asset in ["/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js", "/docs/swagger-initializer.js"] {
        assert_eq!(app.get(asset).await.status(), 200, "{asset} is served locally");
    }

    let document: Value = app.get("/openapi.json").await.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(document["paths"]["/v1/products/{id}/discount-rate"]["get"].is_object());
    assert_eq!(document, serde_json::to_value(platform::server::openapi(&catalog::service())).unwrap());
});

// Issue 8, finding 9: public reads had no ETag or Cache-Control, no conditional GET, and HEAD
// answered 405.
store_test!(x1_public_reads_are_cacheable_and_revalidated, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let owner = app.create_supplier("Acme").await;
    app.create_product(owner, product("Widget", serde_json::json!({ "kind": "service" }))).await;

    let first = app.get("/v1/products").await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(first.headers()["cache-control"], "public, max-age=0, must-revalidate");
    let body = first.bytes().await.unwrap();

    let revalidated =
        app.request(reqwest::Method::GET, "/v1/products", None).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(revalidated.status(), 304);
    assert_eq!(revalidated.headers()["etag"], etag.as_str());
    assert!(revalidated.bytes().await.unwrap().is_empty());

    let head = app.request(reqwest::Method::HEAD, "/v1/products", None).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["etag"], etag.as_str());
    assert!(head.bytes().await.unwrap().is_empty());
    assert_eq!(app.request(reqwest::Method::HEAD, "/nowhere", None).send().await.unwrap().status(), 404);

    app.create_product(owner, product("Gadget", serde_json::json!({ "kind": "service" }))).await;
    let changed =
        app.request(reqwest::Method::GET, "/v1/products", None).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(changed.status(), 200, "a change makes a new representation");
    assert_ne!(changed.headers()["etag"], etag.as_str());
    assert_ne!(changed.bytes().await.unwrap(), body);

    let private = app.request(reqwest::Method::GET, "/v1/products", Some(&operator())).send().await.unwrap();
    assert_eq!(private.headers()["cache-control"], "private, no-cache");
});

// X7: a storefront's browser page on an allowed origin may call the API with a bearer token (the
// preflight answers for it, and the answer's ETag is readable); another origin gets no CORS grant.
store_test!(x7_cors_admits_the_configured_origins_only, |backend| async move {
    let Some(db) = platform::testing::TestDatabase::create(backend, "catalog") else { return };
    let mut settings = platform::testing::settings(&db.url);
    settings.server.cors_origins = "https://shop.example, https://other.example".into();
    let app = catalog::build(settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, format!("{address}/v1/products"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type, idempotency-key")
            .send()
    };
    let allowed = preflight("https://shop.example").await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://shop.example");
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(refused.headers().get("access-control-allow-origin").is_none());
    let read =
        client.get(format!("{address}/v1/products")).header("origin", "https://other.example").send().await.unwrap();
    assert_eq!(read.headers()["access-control-allow-origin"], "https://other.example");
    let exposed = read.headers()["access-control-expose-headers"].to_str().unwrap().to_lowercase();
    assert!(exposed.contains("etag"), "{exposed}");
});
