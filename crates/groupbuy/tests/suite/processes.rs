//! The suite as separate processes, as `groupbuy up` runs it (PRODUCT.md X8): its services die with
//! it however it dies, and a client retrying with its Idempotency-Keys through SIGKILLs gets one
//! effect per key.

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command},
    time::{Duration, Instant},
};

use crate::harness::{Schedule, crash_seed, get, kill_services, post, serving, stop, suite_ports, token, up};

// Issue 8, finding 4: SIGKILL of `groupbuy up` left its services serving and holding their ports,
// and the next `groupbuy up` failed with "Address already in use".
#[test]
fn x8_the_services_die_with_a_killed_launcher_and_a_restart_works() {
    let data_dir = std::env::temp_dir().join(format!("groupbuy-launcher-{}", uuid::Uuid::new_v4()));
    let ports = suite_ports();

    let mut first = up(&data_dir, &ports);
    assert!(ports.iter().all(|(_, port)| serving(*port)));
    first.kill().unwrap(); // SIGKILL: the launcher gets no chance to stop anything itself
    first.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while ports.iter().any(|(_, port)| serving(*port)) {
        assert!(Instant::now() < deadline, "services still serving after their launcher was killed");
        std::thread::sleep(Duration::from_millis(100));
    }

    let mut second = up(&data_dir, &ports);
    let pid = nix::unistd::Pid::from_raw(i32::try_from(second.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let status = second.wait().unwrap();
    assert!(status.success(), "Ctrl-C stops the suite cleanly: {status}");
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[test]
fn x8_a_port_in_use_is_said_plainly() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let data_dir = std::env::temp_dir().join(format!("groupbuy-launcher-{}", uuid::Uuid::new_v4()));
    let output = Command::new(env!("CARGO_BIN_EXE_groupbuy"))
        .arg("up")
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["--port", &format!("catalog={port}")])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is in use"), "{stderr}");
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// Kills every service with SIGKILL, waits until their ports are free and starts the suite again.
fn killed_and_restarted(mut launcher: Child, data_dir: &Path, ports: &[(&str, u16)]) -> Child {
    kill_services(&mut launcher);
    while ports.iter().any(|(_, port)| serving(*port)) {
        std::thread::sleep(Duration::from_millis(20));
    }
    up(data_dir, ports)
}

/// Waits (90 s at most) until the group at `url` is settled; returns it.
async fn settled(client: &reqwest::Client, url: &str, bearer: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let read = get(client, url, bearer).await;
        if read["state"] == "settled" {
            return read;
        }
        assert!(Instant::now() < deadline, "the group never settled: {read}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits (30 s at most) until the shipment list at `url` holds `expected`, never more.
async fn shipped_once(client: &reqwest::Client, url: &str, bearer: &str, expected: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let shipped = get(client, url, bearer).await;
        let count = shipped["items"].as_array().unwrap().len();
        assert!(count <= expected, "a shipment asked twice: {shipped}");
        if count == expected {
            return;
        }
        assert!(Instant::now() < deadline, "shipments missing: {shipped}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What one client needs for a round: a product, a charge and its refund, a hold and its capture,
/// a shipment, each under its own key.
struct Round {
    client: reqwest::Client,
    catalog: String,
    payments: String,
    shipping: String,
    service: String,
    supplier_token: String,
    supplier_id: String,
}

impl Round {
    /// Runs round `n`; returns its group.
    async fn run(&self, n: usize) -> String {
        let (client, service) = (&self.client, &self.service);
        let group = uuid::Uuid::now_v7().to_string();
        let product = serde_json::json!({
            "name": format!("crash-product-{n}"),
            "list_price": { "amount": "10.00", "currency": "EUR" },
            "details": { "kind": "service" },
        });
        post(client, &format!("{}/v1/products", self.catalog), &self.supplier_token, &format!("product-{n}"), &product)
            .await;
        let payment = |purpose: &str, amount: &str| {
            serde_json::json!({
                "group_id": group, "member": format!("member-{n}"), "purpose": purpose,
                "amount": { "amount": amount, "currency": "EUR" },
                "method": { "type": "card", "token": "4242424242424242" },
            })
        };
        let payments = &self.payments;
        let charge = post(
            client,
            &format!("{payments}/v1/payments/charges"),
            service,
            &format!("charge-{n}"),
            &payment("purchase", "10.00"),
        )
        .await;
        let refund =
            serde_json::json!({ "amount": { "amount": "1.00", "currency": "EUR" }, "reason": "special_favor" });
        let refunds_url = format!("{payments}/v1/payments/{}/refunds", charge["id"].as_str().unwrap());
        post(client, &refunds_url, service, &format!("refund-{n}"), &refund).await;
        let hold_url = format!("{payments}/v1/payments/authorizations");
        let hold = post(client, &hold_url, service, &format!("hold-{n}"), &payment("join_hold", "8.00")).await;
        let capture_url = format!("{payments}/v1/payments/{}/capture", hold["id"].as_str().unwrap());
        let capture = serde_json::json!({ "amount": { "amount": "5.00", "currency": "EUR" } });
        post(client, &capture_url, service, &format!("capture-{n}"), &capture).await;
        let shipment = serde_json::json!({
            "purchase_id": format!("purchase-{n}"), "group_id": group, "member": format!("member-{n}"),
            "supplier_id": self.supplier_id,
            "recipient": { "name": "Erika Mustermann", "line1": "Heidestraße 17", "city": "Köln", "postal_code": "51147", "country": "DE" },
            "items": [{ "product_id": uuid::Uuid::now_v7(), "quantity": 1 }],
        });
        post(client, &format!("{}/v1/shipments", self.shipping), service, &format!("shipment-{n}"), &shipment).await;
        group
    }
}

// Issue 8, finding 10: products, shipments, holds, captures and refunds driven with
// Idempotency-Keys while the services are killed with SIGKILL at random moments and restarted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x4_through_sigkills_every_key_has_one_effect_and_the_books_balance() {
    const ROUNDS: usize = 48;
    const WORKERS: usize = 4;
    const KILLS: usize = 12;
    let seed = crash_seed();
    println!("crash test seed {seed} (replay with GROUPBUY_CRASH_SEED={seed})");
    let data_dir = std::env::temp_dir().join(format!("groupbuy-crash-{}", uuid::Uuid::new_v4()));
    let ports = suite_ports();
    let [catalog, _groups, payments, shipping, _bidding] = ports.map(|(_, port)| format!("http://127.0.0.1:{port}"));
    let launcher = std::sync::Arc::new(std::sync::Mutex::new(up(&data_dir, &ports)));

    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let operator = token(&data_dir, &["--role", "operator"]);
    let service = token(&data_dir, &["--role", "service", "--subject", "groups"]);
    let supplier = post(
        &client,
        &format!("{catalog}/v1/suppliers"),
        &operator,
        "supplier",
        &serde_json::json!({ "name": "Crash" }),
    )
    .await;
    let supplier_id = supplier["id"].as_str().unwrap().to_owned();
    let supplier_token = token(&data_dir, &["--role", "supplier", "--supplier-id", &supplier_id]);
    let base = serde_json::json!({ "name": "Lager", "supplier_ids": [supplier_id] });
    post(&client, &format!("{shipping}/v1/shipping-bases"), &operator, "base", &base).await;

    let killer = {
        let (launcher, data_dir) = (launcher.clone(), data_dir.clone());
        std::thread::spawn(move || {
            let mut schedule = Schedule(seed);
            for _ in 0..KILLS {
                std::thread::sleep(Duration::from_millis(200 + schedule.next(1000)));
                let mut running = launcher.lock().unwrap();
                kill_services(&mut running);
                // The kernel frees a killed process's ports a moment later; the launcher refuses
                // taken ones.
                while ports.iter().any(|(_, port)| serving(*port)) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                *running = up(&data_dir, &ports);
            }
        })
    };

    // Several clients at once, so that kills land while requests are half-way.
    let context = std::sync::Arc::new(Round {
        client: client.clone(),
        catalog: catalog.clone(),
        payments: payments.clone(),
        shipping: shipping.clone(),
        service: service.clone(),
        supplier_token,
        supplier_id,
    });
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let context = context.clone();
            tokio::spawn(async move {
                let mut groups = Vec::new();
                for n in (worker..ROUNDS).step_by(WORKERS) {
                    groups.push(context.run(n).await);
                }
                groups
            })
        })
        .collect();
    let mut groups = Vec::new();
    for worker in workers {
        groups.extend(worker.await.unwrap());
    }
    killer.join().unwrap();
    println!("{KILLS} SIGKILLs of every service during {ROUNDS} rounds");

    let products = get(&client, &format!("{catalog}/v1/products?limit=200"), &operator).await;
    let names: Vec<&str> = products["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    for n in 0..ROUNDS {
        let name = format!("crash-product-{n}");
        assert_eq!(names.iter().filter(|p| **p == name).count(), 1, "{name}");
    }
    for group in &groups {
        let paid = get(&client, &format!("{payments}/v1/payments?group_id={group}"), &service).await;
        let states: Vec<&str> =
            paid["items"].as_array().unwrap().iter().map(|p| p["state"].as_str().unwrap()).collect();
        assert_eq!(states, ["partially_refunded", "captured"], "group {group}: one charge, one hold");
        let books = get(&client, &format!("{payments}/v1/groups/{group}/books"), &operator).await;
        assert_eq!(books["balanced"], true, "{books}");
        assert_eq!(books["currencies"][0]["charges"]["amount"], "15.00", "{books}");
        assert_eq!(books["currencies"][0]["refunds"]["amount"], "1.00", "{books}");
        let shipped = get(&client, &format!("{shipping}/v1/shipments?group_id={group}"), &operator).await;
        assert_eq!(shipped["items"].as_array().unwrap().len(), 1, "group {group}: one shipment");
    }

    let mut last = launcher.lock().unwrap();
    let pid = nix::unistd::Pid::from_raw(i32::try_from(last.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let _ = last.wait();
    let _ = std::fs::remove_dir_all(&data_dir);
}

// Issue 9, "Done when": groups killed with SIGKILL in the middle of a close and restarted: the
// deadline still fires, and no hold, capture or shipment is asked twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g6_a_close_killed_half_way_finishes_once_after_restarts() {
    const MEMBERS: usize = 6;
    const KILLS: usize = 3;
    let seed = crash_seed();
    let data_dir = std::env::temp_dir().join(format!("groupbuy-close-crash-{}", uuid::Uuid::new_v4()));
    println!("close crash seed {seed} (replay with GROUPBUY_CRASH_SEED={seed}); logs in {}", data_dir.display());
    let ports = suite_ports();
    let [catalog, groups, payments, shipping, _bidding] = ports.map(|(_, port)| format!("http://127.0.0.1:{port}"));
    let mut launcher = up(&data_dir, &ports);

    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let operator = token(&data_dir, &["--role", "operator"]);
    let service = token(&data_dir, &["--role", "service", "--subject", "groups"]);
    let supplier =
        post(&client, &format!("{catalog}/v1/suppliers"), &operator, "s", &serde_json::json!({ "name": "Close" }))
            .await;
    let supplier_id = supplier["id"].as_str().unwrap().to_owned();
    let product = serde_json::json!({
        "supplier_id": supplier_id, "name": "Close kettle",
        "list_price": { "amount": "100.00", "currency": "EUR" },
        "details": { "kind": "specific", "manufacturer": "Close", "model": "K" },
        "price_tiers": { "basis": "member_count", "tiers": [{ "min": 5, "unit_price": { "amount": "80.00", "currency": "EUR" } }] },
    });
    let product = post(&client, &format!("{catalog}/v1/products"), &operator, "p", &product).await;
    let base = serde_json::json!({ "name": "Depot", "supplier_ids": [supplier_id] });
    post(&client, &format!("{shipping}/v1/shipping-bases"), &operator, "base", &base).await;
    let closes_at = chrono::Utc::now() + chrono::Duration::seconds(5);
    let group = serde_json::json!({
        "product_id": product["id"], "mode": "tiered", "min_members": 2, "closes_at": closes_at.to_rfc3339(),
    });
    let leader = token(&data_dir, &["--role", "shopper"]);
    let group = post(&client, &format!("{groups}/v1/groups"), &leader, "g", &group).await;
    let id = group["id"].as_str().unwrap().to_owned();
    for n in 0..MEMBERS {
        let join = serde_json::json!({
            "quantity": 1, "payment_method": { "type": "card", "token": "4242424242424242" },
            "ship_to": { "name": "Erika", "line1": "Heidestraße 17", "city": "Köln", "postal_code": "51147", "country": "DE" },
        });
        let shopper = token(&data_dir, &["--role", "shopper", "--subject", &format!("shopper-{n}")]);
        post(&client, &format!("{groups}/v1/groups/{id}/members"), &shopper, &format!("join-{n}"), &join).await;
    }

    // Kills around the deadline, while the close and its calls are under way.
    let mut schedule = Schedule(seed);
    let until_close = (closes_at - chrono::Utc::now()).to_std().unwrap_or_default();
    std::thread::sleep(until_close + Duration::from_millis(schedule.next(1200)));
    for _ in 0..KILLS {
        launcher = killed_and_restarted(launcher, &data_dir, &ports);
        std::thread::sleep(Duration::from_millis(300 + schedule.next(1200)));
    }
    println!("{KILLS} SIGKILLs of every service around the close");

    let read = settled(&client, &format!("{groups}/v1/groups/{id}"), &operator).await;
    assert_eq!(read["final_unit_price"]["amount"], "80.00");
    let paid = get(&client, &format!("{payments}/v1/payments?group_id={id}"), &service).await;
    let paid = paid["items"].as_array().unwrap();
    assert_eq!(paid.len(), MEMBERS, "one hold per member, never a second");
    assert!(paid.iter().all(|p| p["state"] == "captured" && p["captured"]["amount"] == "80.00"), "{paid:?}");
    let books = get(&client, &format!("{payments}/v1/groups/{id}/books"), &operator).await;
    assert_eq!(
        (books["balanced"].as_bool(), books["currencies"][0]["charges"]["amount"].as_str()),
        (Some(true), Some("480.00"))
    );
    let history = get(&client, &format!("{groups}/v1/groups/{id}/history"), &operator).await;
    let kinds: Vec<&str> = history["points"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "closed").count(), 1, "{kinds:?}");
    shipped_once(&client, &format!("{shipping}/v1/shipments?group_id={id}"), &operator, MEMBERS).await;

    stop(launcher, &data_dir);
}

// Issue 10: groups and payments killed with SIGKILL between the last purchase and the favors'
// refunds, then restarted: every favor is refunded exactly once, every purchase charged and shipped
// once. The purchaser IDs are read from the mail `groupbuy up` writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g4_bulk_favors_are_refunded_once_through_kills() {
    const KILLS: usize = 3;
    let seed = crash_seed();
    let data_dir = std::env::temp_dir().join(format!("groupbuy-bulk-crash-{}", uuid::Uuid::new_v4()));
    println!("bulk crash seed {seed} (replay with GROUPBUY_CRASH_SEED={seed}); logs in {}", data_dir.display());
    let ports = suite_ports();
    let [catalog, groups, payments, shipping, _bidding] = ports.map(|(_, port)| format!("http://127.0.0.1:{port}"));
    let mut launcher = up(&data_dir, &ports);

    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let operator = token(&data_dir, &["--role", "operator"]);
    let supplier =
        post(&client, &format!("{catalog}/v1/suppliers"), &operator, "s", &serde_json::json!({ "name": "Bulk" })).await;
    let supplier_id = supplier["id"].as_str().unwrap().to_owned();
    let product = serde_json::json!({
        "supplier_id": supplier_id, "name": "Bulk printer",
        "list_price": { "amount": "99.99", "currency": "EUR" },
        "details": { "kind": "specific", "manufacturer": "Bulk", "model": "P" },
        "discount_rates": [{ "min_quantity": 3, "within_days": 60, "rate": "0.15" }],
    });
    let product = post(&client, &format!("{catalog}/v1/products"), &operator, "p", &product).await;
    let base = serde_json::json!({ "name": "Depot", "supplier_ids": [supplier_id] });
    post(&client, &format!("{shipping}/v1/shipping-bases"), &operator, "base", &base).await;
    let named = |n: &str| serde_json::json!({ "name": n, "email": format!("{n}@example.com"), "quantity": 1 });
    let declaration = serde_json::json!({
        "product_id": product["id"], "completion_policy": "all_within_period",
        "period_ends_at": (chrono::Utc::now() + chrono::Duration::days(60)).to_rfc3339(),
        "purchasers": [named("ada"), named("grace"), named("alan")],
    });
    let leader = token(&data_dir, &["--role", "shopper"]);
    let group = post(&client, &format!("{groups}/v1/bulk-purchases"), &leader, "declare", &declaration).await;
    let id = group["id"].as_str().unwrap().to_owned();

    // The IDs arrive as mail (one .eml each in the data folder's mail/).
    let mailed = |dir: &Path| -> Vec<String> {
        let files = std::fs::read_dir(dir).map(|d| d.filter_map(Result::ok).collect::<Vec<_>>()).unwrap_or_default();
        let texts = files.iter().filter_map(|f| std::fs::read_to_string(f.path()).ok());
        texts
            .filter_map(|t| {
                t.split("Your purchaser ID: ")
                    .nth(1)
                    .map(|rest| rest.split_whitespace().next().unwrap_or("").to_owned())
            })
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut ids = mailed(&data_dir.join("mail"));
    while ids.len() < 3 {
        assert!(Instant::now() < deadline, "the purchaser IDs were not mailed: {ids:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        ids = mailed(&data_dir.join("mail"));
    }
    for (n, purchaser_id) in ids.iter().enumerate() {
        let buyer = token(&data_dir, &["--role", "shopper", "--subject", &format!("buyer-{n}")]);
        let purchase = serde_json::json!({
            "purchaser_id": purchaser_id, "payment_method": { "type": "card", "token": "4242424242424242" },
            "ship_to": { "name": "Erika", "line1": "Heidestraße 17", "city": "Köln", "postal_code": "51147", "country": "DE" },
        });
        post(&client, &format!("{groups}/v1/groups/{id}/purchases"), &buyer, &format!("buy-{n}"), &purchase).await;
    }

    // Kills right after the last purchase, while charges, the decision and the favors are under way.
    let mut schedule = Schedule(seed);
    for _ in 0..KILLS {
        std::thread::sleep(Duration::from_millis(schedule.next(400)));
        launcher = killed_and_restarted(launcher, &data_dir, &ports);
    }
    println!("{KILLS} SIGKILLs of every service between the last purchase and the refunds");

    let read = settled(&client, &format!("{groups}/v1/groups/{id}"), &operator).await;
    assert_eq!(read["bulk"]["outcome"]["favor_rate"], "0.15", "{read}");
    let paid = get(&client, &format!("{payments}/v1/payments?group_id={id}"), &operator).await;
    let paid = paid["items"].as_array().unwrap();
    let amounts: Vec<(&str, &str)> = paid
        .iter()
        .map(|p| (p["captured"]["amount"].as_str().unwrap(), p["refunded"]["amount"].as_str().unwrap()))
        .collect();
    assert_eq!(amounts, vec![("99.99", "15.00"); 3], "one charge and one favor of 0.15 × 99.99 each");
    let refunds = get(&client, &format!("{payments}/v1/refunds?group_id={id}"), &operator).await;
    assert_eq!(refunds["items"].as_array().unwrap().len(), 3, "one refund per member: {refunds}");
    let books = get(&client, &format!("{payments}/v1/groups/{id}/books"), &operator).await;
    assert_eq!(books["balanced"], true);
    shipped_once(&client, &format!("{shipping}/v1/shipments?group_id={id}"), &operator, 3).await;

    stop(launcher, &data_dir);
}
