//! Idempotency keys on payment operations (PRODUCT.md P5).

use domain::GroupId;
use payments::provider::sandbox::CARD_OK;
use platform::store_test;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

store_test!(p5_the_same_key_gives_the_same_result_and_one_movement, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let group = GroupId::generate();
    let body = new_payment(group, "40.00", CARD_OK);
    let post = |key: &'static str, body: Value| {
        let app = &app;
        async move { app.send(Method::POST, "/v1/payments/charges", Some(&service()), Some(key), Some(&body)).await }
    };

    let first = post("charge-1", body.clone()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = post("charge-1", body.clone()).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);

    assert_problem(post("charge-1", new_payment(group, "41.00", CARD_OK)).await, 422).await;
    let missing = app.send(Method::POST, "/v1/payments/charges", Some(&service()), None, Some(&body)).await;
    assert_problem(missing, 400).await;

    let id = first["id"].as_str().unwrap();
    let refund = json!({ "amount": eur("10.00") });
    for _ in 0..3 {
        let res = app
            .send(
                Method::POST,
                &format!("/v1/payments/{id}/refunds"),
                Some(&service()),
                Some("refund-1"),
                Some(&refund),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let payment = app.get_json(&format!("/v1/payments/{id}"), &service()).await;
    assert_eq!(payment["refunded"], eur("10.00"), "three identical requests, one refund");
    let books = app.get_json(&format!("/v1/groups/{group}/books"), &operator()).await;
    assert_eq!(books["entries"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get_json(&format!("/v1/payments?group_id={group}"), &service()).await["items"].as_array().unwrap().len(),
        1
    );
});

store_test!(p5_concurrent_requests_with_one_key_make_one_movement, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let group = GroupId::generate();
    let body = new_payment(group, "40.00", CARD_OK);
    let token = service();
    let attempts =
        (0..8).map(|_| app.send(Method::POST, "/v1/payments/charges", Some(&token), Some("race"), Some(&body)));
    let mut ids = std::collections::HashSet::new();
    for res in futures::future::join_all(attempts).await {
        match res.status().as_u16() {
            201 => {
                ids.insert(res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
            }
            409 => {
                assert_problem(res, 409).await;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ids.len(), 1);
    let books = app.get_json(&format!("/v1/groups/{group}/books"), &operator()).await;
    assert_eq!(books["entries"].as_array().unwrap().len(), 1, "one charge booked");

    // Concurrent refunds with different keys never refund more than was captured.
    let id = ids.into_iter().next().unwrap();
    let refunds = (0..6).map(|n| {
        let path = format!("/v1/payments/{id}/refunds");
        let app = &app;
        async move {
            let body = json!({ "amount": eur("15.00") });
            app.send(Method::POST, &path, Some(&service()), Some(&format!("r{n}")), Some(&body)).await.status().as_u16()
        }
    });
    let statuses = futures::future::join_all(refunds).await;
    assert_eq!(statuses.iter().filter(|&&s| s == 201).count(), 2, "{statuses:?}: 40.00 holds two refunds of 15.00");
    assert!(statuses.iter().all(|&s| s == 201 || s == 422), "{statuses:?}");
    let payment = app.get_json(&format!("/v1/payments/{id}"), &service()).await;
    assert_eq!(payment["refunded"], eur("30.00"));
    let books = app.get_json(&format!("/v1/groups/{group}/books"), &operator()).await;
    assert_eq!(books["currencies"][0]["clearing_balance"], eur("10.00"));
    assert_eq!(books["balanced"], true);
});

// Issue 7, finding 3: two captures of one hold under different keys, in parallel, both got 200,
// the loser's stored answer showing the winner's amount.
store_test!(p1_of_two_parallel_captures_one_wins_and_the_other_is_refused, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    for trial in 0..10 {
        let group = GroupId::generate();
        let (status, hold) = app.call("/v1/payments/authorizations", &new_payment(group, "100.00", CARD_OK)).await;
        assert_eq!(status, 201);
        let path = format!("/v1/payments/{}/capture", hold["id"].as_str().unwrap());
        let capture = |key: String, amount: &'static str| {
            let (app, path) = (&app, &path);
            async move {
                let res = app
                    .send(Method::POST, path, Some(&service()), Some(&key), Some(&json!({ "amount": eur(amount) })))
                    .await;
                (res.status().as_u16(), amount, res.json::<Value>().await.unwrap())
            }
        };
        let (a, b) = tokio::join!(capture(format!("a-{trial}"), "80.00"), capture(format!("b-{trial}"), "50.00"));
        let mut statuses = [a.0, b.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "trial {trial}: {a:?} {b:?}");
        let (winner, loser) = if a.0 == 200 { (a, b) } else { (b, a) };
        assert_eq!(winner.2["captured"], eur(winner.1));
        assert!(loser.2.get("captured").is_none(), "the loser is not shown the winner's payment");
        let payment = app.get_json(&format!("/v1/payments/{}", hold["id"].as_str().unwrap()), &service()).await;
        assert_eq!(payment["captured"], eur(winner.1));
    }
});

// Issue 8, finding 1: a 502 invited a retry with the same key, which then answered 409 for 30 s.
store_test!(p5_the_retry_a_provider_failure_invites_runs_at_once, |backend| async move {
    let Some(app) = spawn_provider_down_app(backend).await else { return };
    let body = new_payment(GroupId::generate(), "40.00", "pm_card_visa");
    for attempt in 0..3 {
        let res = app.send(Method::POST, "/v1/payments/charges", Some(&service()), Some("retried"), Some(&body)).await;
        let problem = assert_problem(res, 502).await;
        assert_eq!(problem["type"], "https://groupbuy.dev/problems/provider-unavailable", "attempt {attempt}");
    }
    let listed =
        app.get_json(&format!("/v1/payments?group_id={}", body["group_id"].as_str().unwrap()), &service()).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "one payment, however many retries");
});
