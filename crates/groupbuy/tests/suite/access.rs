//! The access matrix (PRODUCT.md X3, C2, B3, reliability target "an authorization matrix over
//! every endpoint and role"): every operation of every committed OpenAPI document, called as each
//! of ten callers against one set of real resources, is let through (any answer but 401 and 403,
//! and for webhooks any answer but a refused signature) exactly where the table in
//! `docs/access.md` says "yes". An operation without a row, or a row without an operation, fails.
//! Every answer that got through is searched for what must reach nobody outside its audience:
//! purchaser IDs, purchasers' emails, recipients' addresses and sealed offers before the award.

use std::collections::BTreeMap;

use platform::{
    auth::Role,
    testing::{TestBackend, shipping_token, token},
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    harness::report,
    journeys::{CARD, Suite, in_seconds, operator, shopper_token},
};

/// The callers, in the table's column order.
const CALLERS: [&str; 10] = [
    "none",
    "shopper",
    "another shopper",
    "organizer",
    "supplier owning",
    "another supplier",
    "base handling",
    "another base",
    "service",
    "operator",
];

/// The matrix as `docs/access.md` declares it: `(service, "METHOD path")` → one "yes"/"–" per
/// caller.
fn declared() -> BTreeMap<(String, String), Vec<bool>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/access.md");
    let text = std::fs::read_to_string(path).unwrap();
    let matrix = text.split("## The matrix").nth(1).expect("docs/access.md has a section \"## The matrix\"");
    let mut rows = BTreeMap::new();
    for line in matrix.lines().take_while(|l| !l.starts_with("## ")).filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() != 2 + CALLERS.len() || !cells[1].starts_with('`') {
            continue; // the header and its rule
        }
        let allowed = cells[2..].iter().map(|c| *c == "yes").collect();
        assert!(cells[2..].iter().all(|c| *c == "yes" || *c == "–"), "{line}: each cell is yes or –");
        rows.insert((cells[0].to_owned(), cells[1].trim_matches('`').to_owned()), allowed);
    }
    rows
}

/// Every operation of every committed document: `(service, "METHOD path")`.
fn documented() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi");
    let mut operations = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let service = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let document: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (route, item) in document["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    operations.push((service.clone(), format!("{} {route}", method.to_uppercase())));
                }
            }
        }
    }
    operations.sort();
    operations
}

/// The resources every call is made against, and what must not leak.
struct World {
    ids: BTreeMap<&'static str, String>,
    tokens: Vec<Option<String>>,
    /// Strings that may appear only in answers to the callers marked true.
    secrets: Vec<(&'static str, String, [bool; 10])>,
}

/// Who may see a secret, by caller name.
fn audience(names: &[&str]) -> [bool; 10] {
    CALLERS.map(|c| names.contains(&c))
}

async fn world(suite: &Suite) -> World {
    let op = operator();
    let post = |url: String, bearer: String, body: Value| async move {
        crate::harness::post(&suite.client, &url, &bearer, &uuid::Uuid::new_v4().to_string(), &body).await
    };
    let (catalog, groups, payments, shipping, bidding) =
        (&suite.catalog, &suite.groups, &suite.payments, &suite.shipping, &suite.bidding);
    let owning = post(format!("{catalog}/v1/suppliers"), op.clone(), json!({ "name": "Owning" })).await;
    let other = post(format!("{catalog}/v1/suppliers"), op.clone(), json!({ "name": "Other" })).await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let (owning_id, other_id) = (id(&owning), id(&other));
    let product = json!({
        "supplier_id": owning_id, "name": "Matrix kettle", "list_price": { "amount": "50.00", "currency": "EUR" },
        "details": { "kind": "specific", "manufacturer": "Matrix", "model": "M1" },
        "discount_rates": [{ "min_quantity": 2, "within_days": 60, "rate": "0.10" }],
    });
    let product = id(&post(format!("{catalog}/v1/products"), op.clone(), product).await);
    let base = post(
        format!("{shipping}/v1/shipping-bases"),
        op.clone(),
        json!({ "name": "Handling", "supplier_ids": [owning_id] }),
    )
    .await;
    let other_base = post(
        format!("{shipping}/v1/shipping-bases"),
        op.clone(),
        json!({ "name": "Elsewhere", "supplier_ids": [other_id] }),
    )
    .await;
    let (base_id, other_base_id) = (id(&base), id(&other_base));

    let organizer = shopper_token("organizer");
    let tiered = json!({ "product_id": product, "mode": "tiered", "min_members": 2, "closes_at": in_seconds(3600) });
    let group = id(&post(format!("{groups}/v1/groups"), organizer.clone(), tiered).await);
    let street = "17 Secret Lane";
    let ship_to =
        json!({ "name": "M. Ember", "line1": street, "city": "Berlin", "postal_code": "10115", "country": "DE" });
    let join = json!({ "quantity": 1, "payment_method": { "type": "card", "token": CARD }, "ship_to": ship_to });
    post(format!("{groups}/v1/groups/{group}/members"), shopper_token("member"), join).await;

    let email = "hidden.purchaser@example.com";
    let declaration = json!({ "product_id": product, "completion_policy": "all_within_period",
        "period_ends_at": in_seconds(3600),
        "purchasers": [{ "name": "Hidden", "email": email, "quantity": 1 }, { "name": "Later", "email": "later@example.com", "quantity": 1 }] });
    let bulk = post(format!("{groups}/v1/bulk-purchases"), organizer.clone(), declaration).await;
    let purchaser_ids: Vec<String> = bulk["purchaser_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["purchaser_id"].as_str().unwrap().to_owned())
        .collect();
    let bulk_id = id(&bulk);
    let purchase = json!({ "purchaser_id": purchaser_ids[0], "payment_method": { "type": "card", "token": CARD }, "ship_to": ship_to });
    post(format!("{groups}/v1/groups/{bulk_id}/purchases"), shopper_token("member"), purchase).await;
    let shipments =
        suite.until("the purchase shipped", || suite.shipments_of(&bulk_id), |s: &Vec<Value>| !s.is_empty()).await;
    let paid =
        suite.until("the purchase charged", || suite.payments_of(&bulk_id), |p: &Vec<Value>| !p.is_empty()).await;
    let service = token(Role::Service, "groups", None);
    let refund = json!({ "amount": { "amount": "1.00", "currency": "EUR" }, "reason": "special_favor" });
    let refund = post(format!("{payments}/v1/payments/{}/refunds", id(&paid[0])), service.clone(), refund).await;

    let request = json!({ "product_id": product, "quantity": 10, "ceiling": { "amount": "50.00", "currency": "EUR" },
        "closes_at": in_seconds(3600) });
    let request = id(&post(format!("{bidding}/v1/bid-requests"), service.clone(), request).await);
    let supplier = token(Role::Supplier, "owning", Some(owning_id.parse().unwrap()));
    let sealed = "41.37";
    let offer = json!({ "unit_price": { "amount": sealed, "currency": "EUR" }, "min_quantity": 1, "max_quantity": 10, "delivery_days": 5 });
    let offer = id(&post(format!("{bidding}/v1/bid-requests/{request}/offers"), supplier.clone(), offer).await);
    // Where each supplier is told of bid requests: there to be removed.
    let other_supplier = token(Role::Supplier, "other", Some(other_id.parse().unwrap()));
    for bearer in [&supplier, &other_supplier] {
        let endpoint = json!({ "url": "https://supplier.example.com/bids" });
        let (status, answer) =
            suite.call(Method::PUT, &format!("{bidding}/v1/supplier-endpoint"), bearer, Some(&endpoint)).await;
        assert_eq!(status, 200, "{answer}");
    }
    // A second request, decided at once (no offers): its award exists.
    let decided = json!({ "product_id": product, "quantity": 5, "ceiling": { "amount": "50.00", "currency": "EUR" },
        "closes_at": in_seconds(2) });
    let decided = id(&post(format!("{bidding}/v1/bid-requests"), service.clone(), decided).await);
    let award = format!("{bidding}/v1/bid-requests/{decided}/award");
    suite.until("the award", || suite.call(Method::GET, &award, &op, None), |(status, _)| *status == 200).await;
    let endpoint = json!({ "url": "https://storefront.example.com/hook", "group_id": group });
    let endpoint = id(&post(format!("{groups}/v1/webhook-endpoints"), op.clone(), endpoint).await);

    let ids = BTreeMap::from([
        ("product", product),
        ("supplier", owning_id.clone()),
        ("group", group),
        ("bulk", bulk_id),
        ("endpoint", endpoint),
        ("payment", id(&paid[0])),
        ("refund", id(&refund)),
        ("shipment", id(&shipments[0])),
        ("base", base_id.clone()),
        ("request", request),
        ("offer", offer),
        ("decided", decided),
        ("dead_letter", uuid::Uuid::now_v7().to_string()),
    ]);
    let tokens = vec![
        None,
        Some(shopper_token("member")),
        Some(shopper_token("stranger")),
        Some(organizer),
        Some(supplier),
        Some(other_supplier),
        Some(shipping_token(base_id.parse().unwrap())),
        Some(shipping_token(other_base_id.parse().unwrap())),
        Some(service),
        Some(op),
    ];
    let secrets = vec![
        // Shown once, to the leader, by the declaration that issued it (above); no read shows it.
        ("a purchaser ID", purchaser_ids[1].clone(), audience(&[])),
        ("a purchaser's email", email.to_owned(), audience(&["organizer", "operator"])),
        ("a recipient's address", street.to_owned(), audience(&["base handling", "service", "operator"])),
        // Money travels as a JSON string: quoted, it is no timestamp's digits.
        ("a sealed offer", format!("\"{sealed}\""), audience(&["supplier owning"])),
    ];
    World { ids, tokens, secrets }
}

/// The URL and body for `operation` against the world's resources.
fn request(suite: &Suite, world: &World, service: &str, operation: &str) -> (Method, String, Value) {
    let (method, route) = operation.split_once(' ').unwrap();
    let base = match service {
        "catalog" => &suite.catalog,
        "groups" => &suite.groups,
        "payments" => &suite.payments,
        "shipping" => &suite.shipping,
        _ => &suite.bidding,
    };
    let id = |name: &str| world.ids[name].clone();
    // `{id}` names a different resource by route.
    let main = match (service, route) {
        ("catalog", r) if r.starts_with("/v1/products/") => id("product"),
        ("catalog", _) => id("supplier"),
        ("groups", r) if r.contains("purchase") || r.contains("fulfilment") => id("bulk"),
        ("groups", r) if r.starts_with("/v1/webhook-endpoints/") => id("endpoint"),
        ("groups", _) => id("group"),
        ("payments", r) if r.starts_with("/v1/refunds/") => id("refund"),
        ("payments", _) => id("payment"),
        ("shipping", r) if r.starts_with("/v1/shipping-bases/") => id("base"),
        ("shipping", _) => id("shipment"),
        (_, r) if r.ends_with("/award") => id("decided"),
        _ => id("request"),
    };
    let main = if route.starts_with("/v1/outbox/") { id("dead_letter") } else { main };
    let path = route
        .replace("{id}", &main)
        .replace("{group_id}", &id("bulk"))
        .replace("{offer_id}", &id("offer"))
        .replace("{base_id}", &id("base"))
        .replace("{provider}", "sandbox");
    // Where an owner is checked against what the body names, the body is whole: an empty one would
    // be refused as invalid before the owner is asked about.
    let offer = json!({ "unit_price": { "amount": "45.00", "currency": "EUR" }, "min_quantity": 1, "max_quantity": 10, "delivery_days": 5 });
    let body = match operation {
        "POST /v1/products" => json!({
            "supplier_id": id("supplier"), "name": "Another kettle", "list_price": { "amount": "50.00", "currency": "EUR" },
            "details": { "kind": "specific", "manufacturer": "Matrix", "model": "M2" },
        }),
        "POST /v1/groups" => {
            json!({ "product_id": id("product"), "mode": "tiered", "min_members": 2, "closes_at": in_seconds(3600) })
        }
        "POST /v1/bid-requests/{id}/offers" | "PUT /v1/bid-requests/{id}/offers/{offer_id}" => offer,
        "POST /v1/bid-requests/{id}/offers/{offer_id}/confirmation" => json!({ "revision": 1 }),
        "POST /v1/shipments/{id}/events" => {
            json!({ "state": "dispatched", "tracking_number": "T-1", "carrier": "DHL" })
        }
        _ => json!({}),
    };
    (Method::from_bytes(method.as_bytes()).unwrap(), format!("{base}{path}"), body)
}

/// Whether an answer got past authorization: every resource called exists, so a 404 hides one
/// from the caller (bidding answers 404 to a supplier not eligible for a request), except a dead
/// letter's, which the world cannot hold: there only the operator's role is asked about.
fn got_through(operation: &str, status: u16, problem: &Value) -> bool {
    let refused_signature = problem["type"].as_str().is_some_and(|t| t.ends_with("/invalid-signature"));
    let hidden = status == 404 && !operation.contains("/dead-letters/");
    status != 401 && status != 403 && !hidden && !refused_signature
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x3_every_operation_lets_through_exactly_the_callers_its_row_names() {
    let declared = declared();
    let documented = documented();
    let stale: Vec<_> = declared.keys().filter(|op| !documented.contains(op)).collect();
    assert!(stale.is_empty(), "rows in docs/access.md's matrix for no documented operation: {stale:?}");

    let suite = Suite::start(TestBackend::Sqlite).unwrap();
    let world = world(&suite).await;
    // Reads first, then writes, deletions last: an effect must not change what a later call finds.
    let mut ordered = documented.clone();
    ordered.sort_by_key(|(_, op)| match op.split(' ').next() {
        Some("GET") => 0,
        Some("DELETE") => 2,
        _ if op.ends_with("/cancel") => 2,
        _ => 1,
    });
    let (mut calls, mut wrong, mut leaks) = (0, Vec::new(), Vec::new());
    let mut observed = Vec::new();
    // Each secret must be seen by its audience somewhere, or the search proves nothing.
    let mut seen = vec![false; world.secrets.len()];
    for (service, operation) in &ordered {
        let mut row = Vec::new();
        for (caller, bearer) in CALLERS.iter().zip(&world.tokens) {
            let (method, url, body) = request(&suite, &world, service, operation);
            let mut call =
                suite.client.request(method.clone(), &url).header("idempotency-key", uuid::Uuid::new_v4().to_string());
            if let Some(bearer) = bearer {
                call = call.bearer_auth(bearer);
            }
            if method != Method::GET && method != Method::DELETE {
                call = call.json(&body);
            }
            let res = call.send().await.unwrap();
            let status = res.status().as_u16();
            // A stream answers with its headers; its body never ends.
            let text = if operation.ends_with("/events") && method == Method::GET {
                String::new()
            } else {
                res.text().await.unwrap_or_default()
            };
            calls += 1;
            let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let through = got_through(operation, status, &answer);
            row.push(through);
            let expected = declared.get(&(service.clone(), operation.clone())).map(|r| r[row.len() - 1]);
            if let Some(expected) = expected.filter(|e| *e != through) {
                wrong.push(format!(
                    "{service} {operation} as {caller}: {status} (declared {})",
                    if expected { "yes" } else { "–" }
                ));
            }
            for (n, (what, secret, audience)) in world.secrets.iter().enumerate() {
                if through && text.contains(secret.as_str()) {
                    seen[n] |= audience[row.len() - 1];
                    if !audience[row.len() - 1] {
                        leaks.push(format!("{what} reached {caller} through {service} {operation}"));
                    }
                }
            }
        }
        observed.push((service.clone(), operation.clone(), row));
    }
    // GROUPBUY_ACCESS_PRINT=1 prints what was observed as the table's rows (a new operation's row
    // is then checked by hand against its handler and pasted).
    if std::env::var("GROUPBUY_ACCESS_PRINT").is_ok() {
        observed.sort();
        for (service, operation, row) in &observed {
            let cells: Vec<&str> = row.iter().map(|t| if *t { "yes" } else { "–" }).collect();
            println!("| {service} | `{operation}` | {} |", cells.join(" | "));
        }
    }
    let missing: Vec<_> = documented.iter().filter(|op| !declared.contains_key(*op)).collect();
    assert!(missing.is_empty(), "operations without a row in docs/access.md's matrix: {missing:?}");
    assert!(wrong.is_empty(), "{} calls differ from docs/access.md:\n{}", wrong.len(), wrong.join("\n"));
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
    let unseen: Vec<_> = (world.secrets.iter().zip(&seen))
        .filter(|((.., audience), seen)| audience.contains(&true) && !**seen)
        .map(|((what, ..), _)| what)
        .collect();
    assert!(unseen.is_empty(), "never shown even to their audience: {unseen:?}");
    report(&format!(
        "access matrix: {} operations × {} callers = {calls} calls, each as docs/access.md declares; {} secrets reached no one outside their audience",
        documented.len(),
        CALLERS.len(),
        world.secrets.len()
    ));
}
