//! Replicas on one PostgreSQL (PRODUCT.md G6, G7, X7): two groups and two payments processes share
//! their databases; 200 groups reach their deadline in the same second and one groups replica is
//! killed (SIGKILL) in the middle of the wave. Every group still closes, captures, ships and settles
//! once: no payment, capture, shipment or settlement twice, nothing lost.

use std::time::{Duration, Instant};

use futures::future::join_all;
use platform::testing::TestBackend;
use serde_json::{Value, json};

use super::{CARD, Suite, in_seconds, shopper_token};
use crate::harness::free_port;

const GROUPS: usize = 200;
const MEMBERS: usize = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g6_a_deadline_wave_across_replicas_survives_a_killed_replica() {
    let Some(suite) = Suite::start(TestBackend::Postgres) else { return };
    let (groups_port, payments_port) = (free_port(), free_port());
    let mut doomed = suite.replica("groups", groups_port);
    let mut payments_replica = suite.replica("payments", payments_port);
    let replica = format!("http://127.0.0.1:{groups_port}");

    let details = json!({ "kind": "specific", "manufacturer": "Wave", "model": "W1" });
    let (_, product) = suite.supplier_with(details, "30.00", json!({})).await;
    let closes_at = in_seconds(25);
    let starts = (0..GROUPS).map(|n| {
        // Half the groups are started and joined through each replica.
        let (at, closes_at, product) = (if n % 2 == 0 { &suite.groups } else { &replica }, &closes_at, &product);
        let suite = &suite;
        async move {
            let body = json!({ "product_id": product, "mode": "tiered", "min_members": 1, "closes_at": closes_at });
            let group = suite.post(&format!("{at}/v1/groups"), &shopper_token(&format!("wave-leader-{n}")), &body).await;
            let id = group["id"].as_str().unwrap().to_owned();
            for m in 0..MEMBERS {
                let join = json!({ "quantity": 1, "payment_method": { "type": "card", "token": CARD }, "ship_to": super::address() });
                suite.post(&format!("{at}/v1/groups/{id}/members"), &shopper_token(&format!("wave-{n}-{m}")), &join).await;
            }
            id
        }
    });
    let ids: Vec<String> = join_all(starts).await;
    println!("{GROUPS} groups of {MEMBERS} joined through two groups replicas; deadline {closes_at}");

    // The wave: once the first groups have closed, one groups replica dies without warning.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let states: Vec<Value> = join_all(ids.iter().take(20).map(|id| suite.group(id))).await;
        if states.iter().any(|g| g["state"] != "open") {
            break;
        }
        assert!(Instant::now() < deadline, "the wave never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    doomed.kill().unwrap();
    doomed.wait().unwrap();
    println!("groups replica killed mid-wave (SIGKILL)");

    let started = Instant::now();
    for id in &ids {
        let settled = suite.group_becomes(id, "settled").await;
        assert_eq!(settled["member_count"], MEMBERS, "{settled}");
    }
    println!("all {GROUPS} groups settled {:.1} s after the kill", started.elapsed().as_secs_f64());
    for id in &ids {
        let payments = suite.payments_of(id).await;
        assert_eq!(payments.len(), MEMBERS, "one hold per member: {payments:?}");
        assert!(
            payments.iter().all(|p| p["state"] == "captured" && p["captured"]["amount"] == "30.00"),
            "{payments:?}"
        );
        let shipments = suite.until("shipments", || suite.shipments_of(id), |s| s.len() >= MEMBERS).await;
        assert_eq!(shipments.len(), MEMBERS, "one shipment per member");
        let history = suite.history(id).await;
        assert_eq!(history.iter().filter(|k| *k == "closed").count(), 1, "closed once: {history:?}");
        assert_eq!(history.iter().filter(|k| *k == "settled").count(), 1, "settled once: {history:?}");
        suite.books_balance_and_nothing_is_twice(id).await;
    }
    payments_replica.kill().unwrap();
    payments_replica.wait().unwrap();
}
