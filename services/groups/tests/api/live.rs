//! Live progress over Server-Sent Events (PRODUCT.md G8): a page sees the member count rise as
//! shoppers join, and one that reconnects with `Last-Event-ID` misses nothing and repeats nothing.

use std::time::Duration;

use platform::store_test;
use serde_json::{Value, json};

use crate::helpers::{TestApp, shopper, spawn_app};

/// An open event stream, read event by event.
struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    async fn open(app: &TestApp, group: &str, last_event_id: Option<i64>) -> Self {
        let mut request = app.request(reqwest::Method::GET, &format!("/v1/groups/{group}/events"), None);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self { response, buffer: String::new() }
    }

    /// The next event's id and data; `None` when the stream ends.
    async fn next(&mut self) -> Option<(i64, Value)> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| frame.lines().find_map(|l| l.strip_prefix(name)).map(str::to_owned);
                if let (Some(id), Some(data)) = (field("id: "), field("data: ")) {
                    return Some((id.parse().unwrap(), serde_json::from_str(&data).unwrap()));
                }
            }
            let chunk =
                tokio::time::timeout(Duration::from_secs(10), self.response.chunk()).await.expect("an event in time");
            self.buffer.push_str(std::str::from_utf8(&chunk.unwrap()?).unwrap());
        }
    }

    /// Reads until an event with `members` members; returns it.
    async fn until_members(&mut self, members: u64) -> (i64, Value) {
        loop {
            let (id, point) = self.next().await.expect("the stream goes on");
            if point["member_count"].as_u64() == Some(members) {
                return (id, point);
            }
        }
    }
}

store_test!(g8_a_page_sees_the_count_rise_and_resumes_after_a_reconnect, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (_, product) = app.tiered_product().await;
    let leader = shopper("leader");
    let group = app.start_group(&leader, &product, json!({})).await;
    let id = group["id"].as_str().unwrap();

    let mut page = Events::open(&app, id, None).await;
    let (first, created) = page.next().await.unwrap();
    assert_eq!((first, created["kind"].as_str(), created["member_count"].as_u64()), (1, Some("created"), Some(0)));
    for n in 0..3 {
        assert_eq!(app.join(id, &shopper(&format!("m{n}")), 1).await.status(), 201);
    }
    let (seen, _) = page.until_members(3).await;
    drop(page);

    // Changes while the page is away, then a reconnect from the last id it saw.
    for n in 3..5 {
        assert_eq!(app.join(id, &shopper(&format!("m{n}")), 1).await.status(), 201);
    }
    let mut page = Events::open(&app, id, Some(seen)).await;
    let (next, point) = page.next().await.unwrap();
    assert_eq!((next, point["member_count"].as_u64()), (seen + 1, Some(4)), "nothing missed, nothing repeated");
    let (latest, point) = page.until_members(5).await;
    assert_eq!((latest, point["unit_price"]["amount"].as_str()), (seen + 2, Some("100.00")));

    // A cancelled group's stream ends after its last event.
    assert_eq!(app.post(&format!("/v1/groups/{id}/cancel"), &leader, &json!({})).await.status(), 200);
    let mut last = None;
    while let Some((_, point)) = page.next().await {
        last = Some(point);
    }
    assert_eq!(last.unwrap()["state"], "cancelled");
    let bad = app.request(reqwest::Method::GET, &format!("/v1/groups/{id}/events"), None).header("last-event-id", "x");
    assert_eq!(bad.send().await.unwrap().status(), 400);
});

// Issue 22, finding 7: a stream opened with a Last-Event-ID far beyond the group's last event
// must not move the shared watcher, so later viewers still see live events.
store_test!(abuse_7_a_bogus_last_event_id_does_not_silence_the_group, |backend| async move {
    let Some(app) = spawn_app(backend).await else { return };
    let (_, product) = app.tiered_product().await;
    let group = app.start_group(&shopper("leader"), &product, json!({})).await;
    let id = group["id"].as_str().unwrap();

    let mut first = Events::open(&app, id, Some(999_999_999)).await;
    let mut viewer = Events::open(&app, id, None).await;
    assert_eq!(viewer.next().await.unwrap().0, 1, "the backlog from the store");
    assert_eq!(app.join(id, &shopper("m0"), 1).await.status(), 201);
    let (seq, point) = viewer.until_members(1).await;
    assert_eq!((seq, point["kind"].as_str()), (2, Some("joined")));
    let (seq, _) = first.until_members(1).await;
    assert_eq!(seq, 2, "the bogus id was read as the group's last");
});
