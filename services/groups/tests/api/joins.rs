//! Joining and leaving (PRODUCT.md G3): inside the window, within the caps whatever the
//! concurrency, one seat per shopper, the same membership for the same Idempotency-Key.

use platform::store_test;
use serde_json::{Value, json};

use crate::helpers::{address, card, shopper, spawn_app, supplier};

store_test!(g3_joins_take_seats_and_the_price_follows_the_tiers, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (_, product) = app.tiered_product().await;
    let group = app.start_group(&shopper("leader"), &product, json!({})).await;
    let id = group["id"].as_str().unwrap();
    for n in 0..12 {
        let res = app.join(id, &shopper(&format!("m{n}")), 1).await;
        assert_eq!(res.status(), 201);
    }
    let read = app.get_json(&format!("/v1/groups/{id}")).await;
    assert_eq!((read["member_count"].as_u64(), read["quantity"].as_u64()), (Some(12), Some(12)));
    assert_eq!(read["current_unit_price"]["amount"], "80.00");

    let again = app.join(id, &shopper("m0"), 1).await;
    assert_eq!(again.status(), 409, "one seat per shopper");

    // The same Idempotency-Key gives the same membership.
    let keyed = |key: &'static str| {
        app.request(reqwest::Method::POST, &format!("/v1/groups/{id}/members"), Some(&shopper("late")))
            .header("idempotency-key", key)
            .json(&json!({ "quantity": 2, "payment_method": card(), "ship_to": address() }))
            .send()
    };
    let first = keyed("join-late-1").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let replay = keyed("join-late-1").await.unwrap();
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    assert_eq!(replay.json::<Value>().await.unwrap(), first);
    assert_eq!(first["held"]["amount"], "200.00", "the most owed: 2 units at the price for 3 members");

    let leave = app.request(reqwest::Method::DELETE, &format!("/v1/groups/{id}/members/me"), Some(&shopper("m3")));
    let leave = leave.send().await.unwrap();
    assert_eq!(leave.status(), 200);
    assert_eq!(leave.json::<Value>().await.unwrap()["state"], "left");
    let read = app.get_json(&format!("/v1/groups/{id}")).await;
    assert_eq!((read["member_count"].as_u64(), read["quantity"].as_u64()), (Some(12), Some(13)));
    let rejoin = app.join(id, &shopper("m3"), 1).await;
    assert_eq!(rejoin.status(), 201, "a shopper who left may join again");

    app.clock.advance(chrono::Duration::hours(2));
    let late = app.join(id, &shopper("too-late"), 1).await;
    assert_eq!(late.status(), 409);
    let leave = app.request(reqwest::Method::DELETE, &format!("/v1/groups/{id}/members/me"), Some(&shopper("m4")));
    assert_eq!(leave.send().await.unwrap().status(), 409, "leaving ends with the window");
});

store_test!(g3_concurrent_joins_never_exceed_the_caps, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (_, product) = app.tiered_product().await;
    let group = app.start_group(&shopper("leader"), &product, json!({ "max_members": 50 })).await;
    let id = group["id"].as_str().unwrap().to_owned();
    let joins = (0..200).map(|n| {
        let (app, id) = (&app, &id);
        async move { app.join(id, &shopper(&format!("racer{n}")), 1).await.status().as_u16() }
    });
    let statuses = futures::future::join_all(joins).await;
    let accepted = statuses.iter().filter(|&&s| s == 201).count();
    let refused = statuses.iter().filter(|&&s| s == 409).count();
    assert_eq!((accepted, refused), (50, 150), "{statuses:?}");
    let read = app.get_json(&format!("/v1/groups/{id}")).await;
    assert_eq!(read["member_count"].as_u64(), Some(50));
    let history = app.get_json(&format!("/v1/groups/{id}/history")).await;
    let points = history["points"].as_array().unwrap();
    assert_eq!(points.len(), 51, "created and one event per seat");
    let sequences: Vec<i64> = points.iter().map(|p| p["sequence"].as_i64().unwrap()).collect();
    assert_eq!(sequences, (1..=51).collect::<Vec<_>>(), "numbered without gaps");
});

store_test!(g3_the_quantity_cap_holds_and_bad_joins_are_refused, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (owner, product) = app.tiered_product().await;
    let group = app.start_group(&shopper("leader"), &product, json!({ "max_quantity": 10 })).await;
    let id = group["id"].as_str().unwrap();
    assert_eq!(app.join(id, &shopper("a"), 6).await.status(), 201);
    let over = app.join(id, &shopper("b"), 5).await;
    assert_eq!(over.status(), 409);
    assert!(over.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("only 4 more units"));
    assert_eq!(app.join(id, &shopper("b"), 4).await.status(), 201);
    assert_eq!(app.join(id, &shopper("c"), 1).await.status(), 409, "full");

    // Bad joins, on a group with room.
    let open = app.start_group(&shopper("leader"), &product, json!({})).await;
    let path = format!("/v1/groups/{}/members", open["id"].as_str().unwrap());
    let post = |body: Value, who: String| {
        let (app, path) = (&app, &path);
        async move { app.post(path, &who, &body).await }
    };
    let res = post(json!({ "quantity": 0, "payment_method": card() }), shopper("d")).await;
    assert_eq!(res.status(), 422);
    let res = post(json!({ "quantity": 1, "payment_method": { "type": "card" } }), shopper("d")).await;
    assert_eq!(res.status(), 422, "a card needs a token");
    let res = post(json!({ "quantity": 1, "payment_method": { "type": "bank_transfer" } }), shopper("d")).await;
    assert_eq!(res.status(), 422, "the group takes cards only");
    let res = post(json!({ "quantity": 1, "payment_method": card() }), shopper("d")).await;
    assert_eq!(res.status(), 422, "a shipped product needs an address");
    let mut abroad = address();
    abroad["country"] = json!("Germany");
    let res = post(json!({ "quantity": 1, "payment_method": card(), "ship_to": abroad }), shopper("d")).await;
    assert_eq!(res.status(), 422, "a country code");
    let res = post(json!({ "quantity": 1, "payment_method": card() }), supplier(owner)).await;
    assert_eq!(res.status(), 403);
    let missing = format!("/v1/groups/{}/members", uuid::Uuid::now_v7());
    let res = app
        .post(&missing, &shopper("d"), &json!({ "quantity": 1, "payment_method": card(), "ship_to": address() }))
        .await;
    assert_eq!(res.status(), 404);
});

store_test!(g3_batched_joins_through_two_replicas_keep_the_caps_and_one_seat_per_shopper, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (_, replica) = app.replica().await;
    let (_, product) = app.tiered_product().await;
    let capped = app.start_group(&shopper("leader"), &product, json!({ "max_quantity": 60 })).await;
    let open = app.start_group(&shopper("leader"), &product, json!({})).await;
    let (capped, open) = (capped["id"].as_str().unwrap(), open["id"].as_str().unwrap());
    // 120 shoppers race at once: each joins the capped group through both processes (the same
    // shopper twice, so batches on two replicas meet), and the open group through one of them.
    let joins = (0..120).flat_map(|n| {
        let who = shopper(&format!("racer{n}"));
        let at = if n % 2 == 0 { app.address.clone() } else { replica.clone() };
        [(app.address.clone(), capped, who.clone()), (replica.clone(), capped, who.clone()), (at, open, who)]
    });
    let answers = futures::future::join_all(joins.map(|(at, group, who)| {
        let app = &app;
        async move {
            let res = app.join_at(&at, group, &who, 1, card()).await;
            (group, who, res.status().as_u16())
        }
    }))
    .await;
    let accepted_in = |group: &str| answers.iter().filter(|(g, _, s)| *g == group && *s == 201).collect::<Vec<_>>();
    assert!(answers.iter().all(|(_, _, s)| *s == 201 || *s == 409), "only seats and refusals: {answers:?}");
    let capped_seats = accepted_in(capped);
    let shoppers: std::collections::HashSet<_> = capped_seats.iter().map(|(_, who, _)| who).collect();
    assert_eq!((capped_seats.len(), shoppers.len()), (60, 60), "the cap, one seat per shopper");
    assert_eq!(accepted_in(open).len(), 120);
    for (group, seats) in [(capped, 60), (open, 120)] {
        let read = app.get_json(&format!("/v1/groups/{group}")).await;
        assert_eq!((read["member_count"].as_u64(), read["quantity"].as_u64()), (Some(seats), Some(seats)));
        let history = app.get_json(&format!("/v1/groups/{group}/history")).await;
        let sequences: Vec<i64> =
            history["points"].as_array().unwrap().iter().map(|p| p["sequence"].as_i64().unwrap()).collect();
        assert_eq!(sequences, (1..=seats as i64 + 1).collect::<Vec<_>>(), "one event per seat, no gaps");
        let members = app.members(group).await;
        let mut seats_held: Vec<u64> =
            members.iter().map(|m| m["alias"].as_str().unwrap()[7..].parse().unwrap()).collect();
        seats_held.sort_unstable();
        assert_eq!(seats_held, (1..=seats).collect::<Vec<_>>(), "seats numbered without gaps");
    }
});
