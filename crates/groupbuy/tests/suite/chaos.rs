//! Chaos (PRODUCT.md reliability target; G4, G7, P4, P5, S2, X4): the five services under
//! `groupbuy up --restart`; while bulk purchases are bought and tiered groups fill and close,
//! groups, payments and shipping are killed with SIGKILL at moments drawn from a printed seed and
//! started again by the launcher; clients retry with their Idempotency-Keys. At the end no purchase
//! is lost, nothing is charged, captured, refunded, shipped or mailed twice, every group is final
//! and its books balance to the cent.

use std::time::{Duration, Instant};

use platform::store_test;
use serde_json::{Value, json};

use crate::{
    harness::{Schedule, crash_seed, post, report},
    journeys::{CARD, Suite, address, in_seconds, operator, shopper_token},
};

const TIERED_GROUPS: usize = 3;
const JOINERS: usize = 5;
const BULK_GROUPS: usize = 3;
const PURCHASERS: usize = 3;
/// At least this many kills, and kills until the tiered groups' close is well under way.
const MIN_KILLS: usize = 24;
const VICTIMS: [&str; 3] = ["groups", "payments", "shipping"];

/// Kills a victim drawn from `schedule` every 0.3–1.2 s until `MIN_KILLS` are done and `until`
/// has passed; the kills by service.
async fn kill_until(suite: &Suite, schedule: &mut Schedule, until: Instant) -> [usize; 3] {
    let mut kills = [0; 3];
    while kills.iter().sum::<usize>() < MIN_KILLS || Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(300 + schedule.next(900))).await;
        let victim = usize::try_from(schedule.next(3)).unwrap();
        suite.kill(VICTIMS[victim]);
        kills[victim] += 1;
    }
    kills
}

/// Waits (180 s at most: the services keep coming back) until every group in `ids` is final.
async fn all_final(suite: &Suite, ids: &[String]) {
    let deadline = Instant::now() + Duration::from_secs(180);
    for id in ids {
        loop {
            // The last one killed may still be starting.
            let read =
                suite.client.get(format!("{}/v1/groups/{id}", suite.groups)).bearer_auth(operator()).send().await;
            let group: Value = match read {
                Ok(res) => res.json().await.unwrap_or_default(),
                Err(_) => Value::Null,
            };
            if group["state"] == "settled" || group["state"] == "failed" {
                break;
            }
            assert!(Instant::now() < deadline, "group {id} never became final: {group}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

store_test!(chaos_sigkills_during_bulk_purchases_and_a_tiered_close_lose_and_repeat_nothing, |backend| async move {
    let seed = crash_seed();
    println!("chaos seed {seed} (replay with GROUPBUY_CRASH_SEED={seed})");
    let Some(suite) = Suite::start_supervised(backend) else { return };
    let terms = json!({
        "price_tiers": { "basis": "member_count", "tiers": [{ "min": 4, "unit_price": { "amount": "40.00", "currency": "EUR" } }] },
        "discount_rates": [{ "min_quantity": 3, "within_days": 60, "rate": "0.10" }],
    });
    let details = json!({ "kind": "specific", "manufacturer": "Chaos", "model": "C1" });
    let (_, product) = suite.supplier_with(details, "50.00", terms).await;
    let tag = uuid::Uuid::new_v4().simple().to_string();

    // Set up before the first kill: the groups, and the bulk purchases with their purchaser IDs.
    let closes_in = 20;
    let closes_at = Instant::now() + Duration::from_secs(closes_in);
    let mut tiered = Vec::new();
    for n in 0..TIERED_GROUPS {
        let body = json!({ "product_id": product, "mode": "tiered", "min_members": 2, "closes_at": in_seconds(closes_in as i64) });
        let group =
            suite.post(&format!("{}/v1/groups", suite.groups), &shopper_token(&format!("lead-{n}")), &body).await;
        tiered.push(group["id"].as_str().unwrap().to_owned());
    }
    let mut bulk = Vec::new();
    let mut purchases = Vec::new();
    for n in 0..BULK_GROUPS {
        let purchasers: Vec<Value> = (0..PURCHASERS)
            .map(|p| json!({ "name": format!("p{p}"), "email": format!("p{p}.g{n}.{tag}@example.com"), "quantity": 1 }))
            .collect();
        let body = json!({ "product_id": product, "completion_policy": "all_within_period",
            "period_ends_at": in_seconds(3600), "purchasers": purchasers });
        let declared = suite
            .post(&format!("{}/v1/bulk-purchases", suite.groups), &shopper_token(&format!("bulk-{n}")), &body)
            .await;
        let group = declared["id"].as_str().unwrap().to_owned();
        for (p, slot) in declared["purchaser_ids"].as_array().unwrap().iter().enumerate() {
            purchases.push((
                group.clone(),
                format!("buyer-{n}-{p}"),
                slot["purchaser_id"].as_str().unwrap().to_owned(),
            ));
        }
        bulk.push(group);
    }

    // Clients join and buy, each retrying with its key through the kills.
    let mut schedule = Schedule(seed);
    let client = &suite.client;
    let clients = async {
        // Spread over the window, so that kills land before, during and after each step.
        let joins =
            tiered.iter().flat_map(|group| (0..JOINERS).map(move |n| (group, n))).enumerate().map(|(k, (group, n))| {
                let shopper = format!("joiner-{n}");
                let body =
                    json!({ "quantity": 1, "payment_method": { "type": "card", "token": CARD }, "ship_to": address() });
                let url = format!("{}/v1/groups/{group}/members", suite.groups);
                let key = format!("join-{group}-{n}");
                async move {
                    tokio::time::sleep(Duration::from_millis(800 * k as u64)).await;
                    post(client, &url, &shopper_token(&shopper), &key, &body).await
                }
            });
        let buys = purchases.iter().enumerate().map(|(k, (group, buyer, purchaser_id))| {
            let body = json!({ "purchaser_id": purchaser_id, "payment_method": { "type": "card", "token": CARD }, "ship_to": address() });
            let url = format!("{}/v1/groups/{group}/purchases", suite.groups);
            let key = format!("buy-{purchaser_id}");
            async move {
                tokio::time::sleep(Duration::from_millis(1000 * k as u64)).await;
                post(client, &url, &shopper_token(buyer), &key, &body).await
            }
        });
        futures::future::join(futures::future::join_all(joins), futures::future::join_all(buys)).await
    };
    let killer = kill_until(&suite, &mut schedule, closes_at + Duration::from_secs(5));
    let ((joined, bought), kills) = tokio::join!(clients, killer);
    assert_eq!((joined.len(), bought.len()), (TIERED_GROUPS * JOINERS, BULK_GROUPS * PURCHASERS));

    let groups: Vec<String> = tiered.iter().chain(&bulk).cloned().collect();
    all_final(&suite, &groups).await;
    suite.all_ready().await;
    for group in &tiered {
        let read = suite.group(group).await;
        assert_eq!(
            (read["state"].as_str(), read["final_unit_price"]["amount"].as_str()),
            (Some("settled"), Some("40.00"))
        );
        assert_eq!(suite.members(group).await.len(), JOINERS, "no join lost or doubled: {group}");
        let captured = |p: &Vec<Value>| p.len() == JOINERS && p.iter().all(|p| p["captured"]["amount"] == "40.00");
        suite.until("every member captured at 40.00", || suite.payments_of(group), captured).await;
        suite.until("every member shipped", || suite.shipments_of(group), |s: &Vec<Value>| s.len() >= JOINERS).await;
    }
    for group in &bulk {
        assert_eq!(suite.members(group).await.len(), PURCHASERS, "no purchase lost or doubled: {group}");
        let refunded = |p: &Vec<Value>| {
            p.len() == PURCHASERS
                && p.iter().all(|p| p["captured"]["amount"] == "50.00" && p["refunded"]["amount"] == "5.00")
        };
        suite.until("every favor refunded once", || suite.payments_of(group), refunded).await;
        suite
            .until("every purchase shipped", || suite.shipments_of(group), |s: &Vec<Value>| s.len() >= PURCHASERS)
            .await;
    }
    // Late duplicates would show now: the outboxes have had their time.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for group in &groups {
        suite.books_balance_and_nothing_is_twice(group).await;
        let shipments = suite.shipments_of(group).await.len();
        assert!(shipments == JOINERS || shipments == PURCHASERS, "{group}: {shipments} shipments");
    }
    // G9: each named purchaser: its ID, a receipt, the outcome and its favor, each once.
    for n in 0..BULK_GROUPS {
        for p in 0..PURCHASERS {
            let address = format!("p{p}.g{n}.{tag}@example.com");
            let subjects = suite.mail_to(&address, 4).await;
            assert_eq!(subjects.len(), 4, "{address}: {subjects:?}");
        }
    }
    let total: usize = kills.iter().sum();
    report(&format!(
        "chaos ({backend:?}): seed {seed}, {total} SIGKILLs (groups {}, payments {}, shipping {}) during {} joins, {} bulk purchases and the close of {TIERED_GROUPS} tiered groups: {} groups final, nothing lost or repeated, books balanced",
        kills[0],
        kills[1],
        kills[2],
        joined.len(),
        bought.len(),
        groups.len()
    ));
});
