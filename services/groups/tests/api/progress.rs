//! Quotes, history and the member list (PRODUCT.md G5, G10).

use platform::store_test;
use serde_json::{Value, json};

use crate::helpers::{operator, shopper, spawn_app};

store_test!(g10_a_quote_says_how_many_more_lower_the_price, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (_, product) = app.tiered_product().await;
    let group = app.start_group(&shopper("leader"), &product, json!({})).await;
    let id = group["id"].as_str().unwrap();
    for n in 0..7 {
        assert_eq!(app.join(id, &shopper(&format!("m{n}")), 1).await.status(), 201);
    }
    let quote = app.get_json(&format!("/v1/groups/{id}/quote")).await;
    assert_eq!(quote["unit_price_now"]["amount"], "100.00");
    assert_eq!(quote["next_tier"]["more_needed"], 3);
    assert_eq!(quote["next_tier"]["unit_price"]["amount"], "80.00");
    let quote = app.get_json(&format!("/v1/groups/{id}/quote?add_members=3")).await;
    assert_eq!(quote["unit_price_then"]["amount"], "80.00");
    assert!(quote["next_tier"].is_null());
    assert_eq!(app.get(&format!("/v1/groups/{id}/quote?add_members=-1")).await.status(), 400);
});

store_test!(g5_history_answers_for_any_past_time_and_members_are_pseudonymous, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (_, product) = app.tiered_product().await;
    let leader = shopper("leader");
    let group = app.start_group(&leader, &product, json!({})).await;
    let id = group["id"].as_str().unwrap();
    assert_eq!(app.join(id, &shopper("alice"), 2).await.status(), 201);
    let between = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(app.join(id, &shopper("bob"), 3).await.status(), 201);

    let series = app.get_json(&format!("/v1/groups/{id}/history")).await;
    let kinds: Vec<&str> = series["points"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "joined", "joined"]);
    let at = between.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let then = app.get_json(&format!("/v1/groups/{id}/history?at={}", at.replace('+', "%2B"))).await;
    assert_eq!(
        (then["points"][0]["member_count"].as_u64(), then["points"][0]["quantity"].as_u64()),
        (Some(1), Some(2))
    );

    let public = app.get_json(&format!("/v1/groups/{id}/members")).await;
    let text = public.to_string();
    assert!(!text.contains("alice") && !text.contains("bob"), "{text}");
    assert_eq!(
        (public["view"].as_str(), public["members"][1]["alias"].as_str()),
        (Some("pseudonymous"), Some("member 2"))
    );
    let as_member = app.request(reqwest::Method::GET, &format!("/v1/groups/{id}/members"), Some(&shopper("alice")));
    assert!(!as_member.send().await.unwrap().text().await.unwrap().contains("bob"));
    for who in [leader, operator()] {
        let full = app.request(reqwest::Method::GET, &format!("/v1/groups/{id}/members"), Some(&who)).send().await;
        let full: Value = full.unwrap().json().await.unwrap();
        assert_eq!((full["view"].as_str(), full["members"][0]["shopper"].as_str()), (Some("full"), Some("alice")));
    }
    let bad = app.request(reqwest::Method::GET, &format!("/v1/groups/{id}/members"), Some("not-a-token")).send().await;
    assert_eq!(bad.unwrap().status(), 401);
});
