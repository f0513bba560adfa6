//! The store goes away and comes back (PRODUCT.md X2, X6, X7).

use std::time::{Duration, Instant};

use platform::testing::{PrivatePostgres, settings};
use serde_json::{Value, json};

use crate::helpers::*;

/// Far above the configured one-second acquire timeout, far below the ten seconds requests used to
/// hang: a hang detector, not a speed target.
const PROMPT: Duration = Duration::from_secs(5);

// Issue 8, finding 7: with PostgreSQL stopped, a POST waited 10 s and answered 500, and readiness
// and public reads did not answer within 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x6_an_outage_answers_503_promptly_then_service_resumes_with_nothing_half_written() {
    let cluster = PrivatePostgres::start();
    let app = catalog::build(settings(&cluster.url)).await.expect("catalog starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let create = |n: usize| {
        client
            .post(format!("{address}/v1/suppliers"))
            .bearer_auth(operator())
            .header("idempotency-key", format!("supplier-{n}"))
            .json(&json!({ "name": format!("Supplier {n}") }))
            .send()
    };
    assert_eq!(create(0).await.unwrap().status(), 201);

    cluster.stop();
    for path in ["/health/ready", "/v1/products"] {
        let started = Instant::now();
        let res = client.get(format!("{address}{path}")).send().await.unwrap();
        assert!(started.elapsed() < PROMPT, "{path} took {:?}", started.elapsed());
        assert_eq!(res.status(), 503, "{path}");
        assert_eq!(res.headers()["retry-after"], "1");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    let mut refused = Vec::new();
    for n in 1..=5 {
        let started = Instant::now();
        let res = create(n).await.unwrap();
        assert!(started.elapsed() < PROMPT, "POST took {:?}", started.elapsed());
        assert_eq!(res.status(), 503);
        refused.push(n);
    }
    assert_eq!(client.get(format!("{address}/health/live")).send().await.unwrap().status(), 200);

    cluster.resume();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = client.get(format!("{address}/health/ready")).send().await.unwrap();
        if ready.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "never ready again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The refused requests, retried with their keys, now run; nothing of their first try remains.
    for n in refused {
        assert_eq!(create(n).await.unwrap().status(), 201, "retry of supplier-{n}");
    }
    let products: Value = client.get(format!("{address}/v1/products")).send().await.unwrap().json().await.unwrap();
    assert!(products["items"].as_array().unwrap().is_empty());
    let again = create(3).await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true", "each key ran once");
}
