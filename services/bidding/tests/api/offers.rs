//! Offers (PRODUCT.md B3): made, revised and withdrawn by their supplier until the close; sealed.

use platform::store_test;
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

store_test!(b3_offers_are_sealed_until_the_award, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let seller = app.specific_seller("Northwind").await;
    let rival = app.specific_seller("Southwind").await;
    let id = app.open_request(&seller.product, 10, "50.00", json!({})).await["id"].as_str().unwrap().to_owned();
    let made = app.offer(&id, &seller, offer("45.00", 1, 10, 2)).await;
    let offers = format!("/v1/bid-requests/{id}/offers");

    let own = app.call(Method::GET, &offers, &seller.token, None, 200).await;
    assert_eq!(own.as_array().unwrap().len(), 1);
    assert_eq!(own[0]["id"], made["id"]);
    let named = format!("{offers}?supplier_id={}", seller.id);
    assert_problem(app.send(Method::GET, &named, Some(&rival.token), None).await, 403).await;
    assert_problem(app.send(Method::GET, &offers, Some(&rival.token), None).await, 404).await;
    assert_problem(app.send(Method::GET, &offers, Some(&operator()), None).await, 403).await;
    assert_problem(app.send(Method::GET, &offers, Some(&service()), None).await, 403).await;
    assert_problem(app.send(Method::GET, &offers, Some(&shopper()), None).await, 403).await;
    assert_problem(app.send(Method::GET, &offers, None, None).await, 401).await;

    app.close_and_award(&id).await;
    let all = app.call(Method::GET, &offers, &operator(), None, 200).await;
    assert_eq!(all[0]["unit_price"]["amount"], "45.00");
    assert_problem(app.send(Method::GET, &offers, Some(&shopper()), None).await, 403).await;
});

store_test!(b3_wrong_offers_are_refused_and_nothing_is_stored, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let seller = app.specific_seller("Northwind").await;
    let rival = app.specific_seller("Southwind").await;
    let id = app.open_request(&seller.product, 10, "50.00", json!({})).await["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/bid-requests/{id}/offers");
    let post = |token: String, body: serde_json::Value| {
        let path = path.clone();
        let app = &app;
        async move { app.send(Method::POST, &path, Some(&token), Some(&body)).await }
    };

    let above = assert_problem(post(seller.token.clone(), offer("50.01", 1, 10, 2)).await, 422).await;
    assert!(above.to_string().contains("ceiling"), "{above}");
    assert_problem(post(seller.token.clone(), offer("0.00", 1, 10, 2)).await, 422).await;
    assert_problem(post(seller.token.clone(), offer("40.00", 11, 20, 2)).await, 422).await;
    assert_problem(post(seller.token.clone(), offer("40.00", 5, 4, 2)).await, 422).await;
    let dollars =
        json!({ "unit_price": { "amount": "40.00", "currency": "USD" }, "max_quantity": 10, "delivery_days": 2 });
    assert_problem(post(seller.token.clone(), dollars).await, 422).await;
    assert_problem(post(seller.token.clone(), json!({ "unit_price": "40" })).await, 422).await;
    assert_problem(post(rival.token.clone(), offer("40.00", 1, 10, 2)).await, 403).await;
    assert_problem(post(operator(), offer("40.00", 1, 10, 2)).await, 403).await;
    let unknown = format!("/v1/bid-requests/{}/offers", uuid::Uuid::now_v7());
    assert_problem(app.send(Method::POST, &unknown, Some(&seller.token), Some(&offer("40.00", 1, 10, 2))).await, 404)
        .await;
    assert_eq!(app.call(Method::GET, &path, &seller.token, None, 200).await, json!([]), "nothing stored");

    app.clock.advance(chrono::Duration::hours(2));
    assert_problem(post(seller.token.clone(), offer("40.00", 1, 10, 2)).await, 409).await;
});

store_test!(b3_offers_are_revised_and_withdrawn_until_the_close, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let seller = app.specific_seller("Northwind").await;
    let id = app.open_request(&seller.product, 10, "50.00", json!({})).await["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/bid-requests/{id}/offers");

    // X4: the same Idempotency-Key makes one offer.
    let keyed = |key: &'static str| {
        app.client
            .post(format!("{}{path}", app.address))
            .bearer_auth(&seller.token)
            .header("Idempotency-Key", key)
            .json(&offer("44.00", 1, 10, 3))
    };
    let first: serde_json::Value = keyed("offer-1").send().await.unwrap().json().await.unwrap();
    let again = keyed("offer-1").send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.json::<serde_json::Value>().await.unwrap()["id"], first["id"]);
    let one = format!("{path}/{}", first["id"].as_str().unwrap());

    let revised = app.call(Method::PUT, &one, &seller.token, Some(&offer("42.00", 1, 10, 3)), 200).await;
    assert_eq!(revised["revision"], 2);
    assert_ne!(revised["receipt"]["digest"], first["receipt"]["digest"]);
    let same = app.call(Method::PUT, &one, &seller.token, Some(&offer("42.00", 1, 10, 3)), 200).await;
    assert_eq!(same["revision"], 2, "the same terms change nothing");
    assert_problem(app.send(Method::PUT, &one, Some(&seller.token), Some(&offer("51.00", 1, 10, 3))).await, 422).await;

    let second = app.offer(&id, &seller, offer("45.00", 1, 10, 3)).await;
    let withdrawn = app.call(Method::DELETE, &one, &seller.token, None, 200).await;
    assert_eq!(withdrawn["state"], "withdrawn");
    app.call(Method::DELETE, &one, &seller.token, None, 200).await;
    assert_problem(app.send(Method::PUT, &one, Some(&seller.token), Some(&offer("41.00", 1, 10, 3))).await, 409).await;

    let award = app.close_and_award(&id).await;
    assert_eq!(award["lots"][0]["offer_id"], second["id"], "a withdrawn offer is not awarded");
    assert_eq!(award["considered"], json!([second["receipt"]["digest"]]));
    assert_problem(
        app.send(Method::DELETE, &format!("{path}/{}", second["id"].as_str().unwrap()), Some(&seller.token), None)
            .await,
        409,
    )
    .await;
});

// B4: a joint offer counts once every partner confirmed it; a revision asks them again; the award
// splits its lot by the shares.
store_test!(b4_a_joint_offer_counts_once_every_partner_confirmed_it, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let spec = app.size_l_specification().await;
    let maker = app.sized_seller("Maker", "L").await;
    let partner = app.sized_seller("Partner", "L").await;
    let bystander = app.sized_seller("Bystander", "L").await;
    let outsider = app.seller("Outsider", json!({ "kind": "specific", "manufacturer": "O", "model": "S" })).await;
    let id = app.open_request(&spec.product, 100, "50.00", json!({})).await["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/bid-requests/{id}/offers");

    let joint = |price: &str, share: u32| {
        let mut body = offer(price, 100, 100, 4);
        body["partners"] = json!([{ "supplier_id": partner.id, "share": share }]);
        body
    };
    let mut itself = offer("40.00", 1, 100, 4);
    itself["partners"] = json!([{ "supplier_id": maker.id, "share": 10 }]);
    assert_problem(app.send(Method::POST, &path, Some(&maker.token), Some(&itself)).await, 422).await;
    assert_problem(app.send(Method::POST, &path, Some(&maker.token), Some(&joint("40.00", 100))).await, 422).await;

    let made = app.offer(&id, &maker, joint("40.00", 40)).await;
    assert_eq!(made["counts"], false);
    assert_eq!(made["partners"], json!([{ "supplier_id": partner.id, "share": 40, "confirmed": false }]));
    let cheaper_unconfirmed = app.offer(&id, &maker, joint("39.00", 40)).await;
    let seen = app.call(Method::GET, &path, &partner.token, None, 200).await;
    assert_eq!(seen.as_array().unwrap().len(), 2, "a partner reads the offers naming it");
    assert_eq!(app.call(Method::GET, &path, &bystander.token, None, 200).await, json!([]));

    let confirm = format!("{path}/{}/confirmation", made["id"].as_str().unwrap());
    let read = |revision: u32| json!({ "revision": revision });
    assert_problem(app.send(Method::POST, &confirm, Some(&outsider.token), Some(&read(1))).await, 403).await;
    assert_problem(app.send(Method::POST, &confirm, Some(&bystander.token), Some(&read(1))).await, 404).await;
    assert_eq!(app.call(Method::POST, &confirm, &partner.token, Some(&read(1)), 200).await["counts"], true);

    let one = format!("{path}/{}", made["id"].as_str().unwrap());
    let revised = app.call(Method::PUT, &one, &maker.token, Some(&joint("41.00", 40)), 200).await;
    assert_eq!(revised["counts"], false, "a revision asks the partners again");
    assert_eq!(app.call(Method::POST, &confirm, &partner.token, Some(&read(2)), 200).await["counts"], true);

    let award = app.close_and_award(&id).await;
    assert_eq!(award["lots"][0]["offer_id"], made["id"], "the cheaper offer was never confirmed");
    assert_eq!(
        award["lots"][0]["shares"],
        json!([{ "supplier_id": maker.id, "quantity": 60 }, { "supplier_id": partner.id, "quantity": 40 }])
    );
    assert_eq!(award["considered"].as_array().unwrap().len(), 1);
    assert!(!award["considered"].to_string().contains(cheaper_unconfirmed["receipt"]["digest"].as_str().unwrap()));
});

// Issue 22, finding 9: a partner's confirmation is bound to the revision it read; a stale one is
// refused, and a partner may take its confirmation back before the close.
store_test!(abuse_9_a_partner_confirms_only_the_revision_it_read, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let spec = app.size_l_specification().await;
    let maker = app.sized_seller("Maker", "L").await;
    let partner = app.sized_seller("Partner", "L").await;
    let id = app.open_request(&spec.product, 100, "50.00", json!({})).await["id"].as_str().unwrap().to_owned();
    let joint = |price: &str, share: u32| {
        let mut body = offer(price, 100, 100, 4);
        body["partners"] = json!([{ "supplier_id": partner.id, "share": share }]);
        body
    };
    let made = app.offer(&id, &maker, joint("41.29", 30)).await;
    let one = format!("/v1/bid-requests/{id}/offers/{}", made["id"].as_str().unwrap());
    let confirm = format!("{one}/confirmation");
    let read = app.call(Method::GET, &format!("/v1/bid-requests/{id}/offers"), &partner.token, None, 200).await;
    assert_eq!(read[0]["revision"], 1, "the partner reads 30 % at 41.29");

    // The maker revises to 90 % at 38.71 before the partner answers.
    app.call(Method::PUT, &one, &maker.token, Some(&joint("38.71", 90)), 200).await;
    let stale = app.send(Method::POST, &confirm, Some(&partner.token), Some(&json!({ "revision": 1 }))).await;
    assert_problem(stale, 409).await;
    let listed = app.call(Method::GET, &format!("/v1/bid-requests/{id}/offers"), &partner.token, None, 200).await;
    assert_eq!(listed[0]["counts"], false, "nothing was confirmed");
    let missing = app.send(Method::POST, &confirm, Some(&partner.token), Some(&json!({}))).await;
    assert_problem(missing, 422).await;

    // Confirmed as read, then taken back before the close: the offer no longer counts.
    let confirmed = app.call(Method::POST, &confirm, &partner.token, Some(&json!({ "revision": 2 })), 200).await;
    assert_eq!(confirmed["counts"], true);
    let declined = app.call(Method::DELETE, &confirm, &partner.token, None, 200).await;
    assert_eq!(declined["counts"], false);
    let award = app.close_and_award(&id).await;
    assert_eq!(award["state"], "no_award", "the only offer lost its partner: {award}");
});

// Issue 22, finding 3: one supplier flooding a request with offers made the award message to
// groups too large to deliver. Live offers are bounded per supplier and request (a revision
// replaces one), and the event to groups does not list the losing offers' digests.
store_test!(abuse_3_one_supplier_cannot_flood_a_request_or_its_award, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let seller = app.specific_seller("Flooder").await;
    let id = app.open_request(&seller.product, 10, "50.00", json!({})).await["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/bid-requests/{id}/offers");
    let mut made = Vec::new();
    for n in 0..20 {
        made.push(app.offer(&id, &seller, offer(&format!("49.{:02}", 99 - n), 1, 10, 3)).await);
    }
    let over = app.send(Method::POST, &path, Some(&seller.token), Some(&offer("40.00", 1, 10, 3))).await;
    assert_problem(over, 409).await;
    // A revision replaces; a withdrawal makes room.
    let first = format!("{path}/{}", made[0]["id"].as_str().unwrap());
    app.call(Method::PUT, &first, &seller.token, Some(&offer("45.00", 1, 10, 3)), 200).await;
    app.call(Method::DELETE, &first, &seller.token, None, 200).await;
    app.offer(&id, &seller, offer("44.00", 1, 10, 3)).await;

    let award = app.close_and_award(&id).await;
    assert_eq!(award["considered"].as_array().unwrap().len(), 20, "published at the award endpoint");
    let told = app.groups.wait_for("bid_request.awarded", |e| e["data"]["bid_request_id"] == id.as_str()).await;
    assert!(told["data"].get("considered").is_none(), "the event leaves the digests out: {told}");
    assert_eq!(told["data"]["total"]["amount"], "440.00");
});

// Issue 22, finding 14: a joint offer could name a supplier that does not exist.
store_test!(abuse_14_a_joint_offer_names_only_suppliers_that_may_offer, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let spec = app.size_l_specification().await;
    let maker = app.sized_seller("Maker", "L").await;
    let unfit = app.sized_seller("Unfit", "S").await;
    let id = app.open_request(&spec.product, 100, "50.00", json!({})).await["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/bid-requests/{id}/offers");
    for partner in [uuid::Uuid::now_v7().to_string(), unfit.id.to_string()] {
        let mut body = offer("40.00", 100, 100, 4);
        body["partners"] = json!([{ "supplier_id": partner, "share": 30 }]);
        let problem = assert_problem(app.send(Method::POST, &path, Some(&maker.token), Some(&body)).await, 422).await;
        assert_eq!(problem["errors"][0]["field"], "partners[0].supplier_id", "{problem}");
    }
    let listed = app.call(Method::GET, &path, &maker.token, None, 200).await;
    assert_eq!(listed, json!([]), "nothing stored");
});
