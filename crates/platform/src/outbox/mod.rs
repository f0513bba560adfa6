//! The transactional outbox (PRODUCT.md G7). A service writes an event with [`enqueue`] in the same
//! transaction as the state change it announces; the [`Relay`] delivers it to the subscriber over
//! HTTP, signed with Standard Webhooks headers, retrying with exponential backoff until a 2xx.
//! Past the attempt limit an event becomes a dead letter the operator can list and retry.
//!
//! The same table carries calls to other services' APIs ([`calls`]): sent with a service token and
//! an Idempotency-Key, their answers applied in the transaction that marks them done.
//!
//! Replicas share the table safely: a relay claims an event by a conditional update that sets a
//! lease (`locked_until`), so one event is in one relay's hands at a time. The event id is the
//! `webhook-id`, so a receiver de-duplicates redeliveries by it.

pub mod calls;

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use futures::{StreamExt, stream::FuturesUnordered};

use actix_web::{get, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    ApiError,
    auth::{Authenticated, OperatorOnly},
    config::Secret,
    db::{Db, DbConnection, DbError, Migrations, StoreError, now, schema::outbox},
    outbound,
    pagination::{PageParams, page},
    webhook::{self, SigningKey},
};

/// The outbox table, for services that send events.
pub const MIGRATIONS: Migrations = crate::migrations!("migrations-outbox");

use calls::Delivery;
pub use calls::{Answer, AnswerHandler, Call, Calls, GaveUp, GiveUpHandler, TokenSource, enqueue_call, enqueue_calls};

const PENDING: &str = "pending";
const DELIVERED: &str = "delivered";
const DEAD: &str = "dead";
const MAX_ERROR_LEN: usize = 500;
/// Rows one relay pass claims.
const CLAIM_BATCH: usize = 256;
/// Lanes a pass sends side by side.
const LANES_AT_ONCE: usize = 64;
/// Lanes a pass sends mail in.
const MAIL_LANES: usize = 4;
/// Lanes of one third-party target in flight at once: a target that never answers holds no more
/// than these, and the other targets' lanes go on beside them.
const LANES_PER_TARGET: usize = 4;

/// Where events go and how hard to try.
#[derive(Debug, Clone, Deserialize)]
pub struct SubscriberSettings {
    /// The receiver's URL; without one, events wait in the outbox.
    pub url: Option<String>,
    /// The Standard Webhooks secret (`whsec_…`) shared with the receiver.
    pub secret: Option<Secret>,
    pub max_attempts: i32,
    pub poll_interval_ms: u64,
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    pub timeout_ms: u64,
    /// Whether targets (URLs third parties registered, such as a base's callback) may be private
    /// or local addresses. Off in production; test setups on one machine turn it on.
    pub allow_private_targets: bool,
}

/// Defaults for [`SubscriberSettings`], as TOML under the given table name.
pub fn default_settings_toml(table: &str) -> String {
    format!(
        "[{table}]\nmax_attempts = 12\npoll_interval_ms = 500\nbackoff_base_ms = 1000\nbackoff_max_ms = 3600000\ntimeout_ms = 10000\nallow_private_targets = false\n"
    )
}

/// Delivered events are kept this long (for the operator's inquiries), then purged.
pub const KEEP_DELIVERED_DAYS: i64 = 7;

/// Deletes events delivered more than [`KEEP_DELIVERED_DAYS`] ago; dead letters stay until retried.
pub fn purge_delivered(conn: &mut DbConnection) -> Result<usize, DbError> {
    let before = now() - chrono::Duration::days(KEEP_DELIVERED_DAYS);
    Ok(diesel::delete(outbox::table.filter(outbox::status.eq(DELIVERED)).filter(outbox::delivered_at.lt(before)))
        .execute(conn)?)
}

/// Writes an event for the subscriber; call inside the transaction that makes the change it
/// announces. Events of one `lane` (the group or payment they are about) arrive in order.
pub fn enqueue(
    conn: &mut DbConnection,
    lane: &str,
    event_type: &str,
    data: &impl Serialize,
) -> Result<String, DbError> {
    enqueue_to(conn, None, lane, event_type, data)
}

/// Writes an event for `target`, a destination the relay's [`TargetResolver`] knows (a shipping
/// base's callback, say); `None` is the subscriber.
pub fn enqueue_to(
    conn: &mut DbConnection,
    target: Option<&str>,
    lane: &str,
    event_type: &str,
    data: &impl Serialize,
) -> Result<String, DbError> {
    let row = NewRow::event(target, Some(lane), event_type, data);
    insert(conn, std::slice::from_ref(&row))?;
    Ok(row.id)
}

/// Writes several events at once, each `(target, lane, event_type, data)` as [`enqueue_to`] takes
/// it; an event without a lane has no order to keep.
pub fn enqueue_all<T: Serialize>(
    conn: &mut DbConnection,
    events: impl IntoIterator<Item = (Option<String>, Option<String>, String, T)>,
) -> Result<(), DbError> {
    let rows: Vec<NewRow> = events
        .into_iter()
        .map(|(target, lane, event_type, data)| NewRow::event(target.as_deref(), lane.as_deref(), &event_type, &data))
        .collect();
    insert(conn, &rows)
}

/// An outbox row as written: an event, or a call ([`calls::Call`]).
#[derive(Insertable)]
#[diesel(table_name = outbox)]
struct NewRow {
    id: String,
    event_type: String,
    payload: String,
    status: &'static str,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    created_at: NaiveDateTime,
    target: Option<String>,
    call_path: Option<String>,
    idempotency_key: Option<String>,
    lane: Option<String>,
}

impl NewRow {
    fn event(target: Option<&str>, lane: Option<&str>, event_type: &str, data: &impl Serialize) -> Self {
        let created_at = now();
        let payload = serde_json::json!({
            "type": event_type,
            "timestamp": created_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "data": data,
        });
        Self {
            id: format!("evt_{}", uuid::Uuid::now_v7().simple()),
            event_type: event_type.to_owned(),
            payload: payload.to_string(),
            status: PENDING,
            attempts: 0,
            next_attempt_at: created_at,
            created_at,
            target: target.map(str::to_owned),
            call_path: None,
            idempotency_key: None,
            lane: lane.map(str::to_owned),
        }
    }
}

fn insert(conn: &mut DbConnection, rows: &[NewRow]) -> Result<(), DbError> {
    crate::insert_rows!(conn, outbox::table, rows)?;
    Ok(())
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = outbox)]
struct OutboxRow {
    id: String,
    event_type: String,
    payload: String,
    status: String,
    attempts: i32,
    last_error: Option<String>,
    created_at: NaiveDateTime,
    target: Option<String>,
    call_path: Option<String>,
    idempotency_key: Option<String>,
    lane: Option<String>,
}

/// Where one event goes: a URL and the Standard Webhooks secret to sign with.
pub struct Endpoint {
    pub url: String,
    pub secret: String,
}

/// Looks up the endpoint of an event's target; `None` when the target has none (any more).
pub type TargetResolver = Arc<dyn Fn(&mut DbConnection, &str) -> Result<Option<Endpoint>, DbError> + Send + Sync>;

/// Delivers due events to the subscriber and to resolved targets.
pub struct Relay {
    db: Db,
    client: reqwest::Client,
    /// For targets: resolves only to public addresses unless private ones are allowed.
    target_client: reqwest::Client,
    subscriber: Option<(String, SigningKey)>,
    targets: Option<TargetResolver>,
    calls: Option<Calls>,
    mailer: Option<crate::mail::Mailer>,
    settings: SubscriberSettings,
}

impl Relay {
    /// A relay, or `None` when no subscriber is configured.
    pub fn new(db: Db, settings: SubscriberSettings) -> anyhow::Result<Option<Self>> {
        Self::with_targets(db, settings, None)
    }

    /// A relay that also delivers targeted events through `targets`; `None` when it has nowhere
    /// to deliver.
    pub fn with_targets(
        db: Db,
        settings: SubscriberSettings,
        targets: Option<TargetResolver>,
    ) -> anyhow::Result<Option<Self>> {
        Self::build(db, settings, targets, None)
    }

    /// A relay for the subscriber, resolved targets and calls to other services, whichever are
    /// given; `None` when it has nowhere to deliver.
    pub fn build(
        db: Db,
        settings: SubscriberSettings,
        targets: Option<TargetResolver>,
        calls: Option<Calls>,
    ) -> anyhow::Result<Option<Self>> {
        let subscriber = match &settings.url {
            Some(url) => {
                let secret =
                    settings.secret.as_ref().ok_or_else(|| anyhow::anyhow!("a subscriber URL needs a secret"))?;
                Some((url.clone(), SigningKey::standard(secret.expose())))
            }
            None => None,
        };
        if subscriber.is_none() && targets.is_none() && calls.is_none() {
            return Ok(None);
        }
        let timeout = Duration::from_millis(settings.timeout_ms);
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        let target_client = outbound::client_builder(settings.allow_private_targets).timeout(timeout).build()?;
        Ok(Some(Self { db, client, target_client, subscriber, targets, calls, mailer: None, settings }))
    }

    /// Sends the outbox's mail (rows for [`crate::mail::TARGET`]) with `mailer`.
    pub fn with_mailer(mut self, mailer: Option<crate::mail::Mailer>) -> Self {
        self.mailer = mailer;
        self
    }

    /// Delivers forever, calls, the subscriber's events, third parties' events and mail each in a
    /// loop of their own (a slow mail server does not hold up a refund, nor a supplier's endpoint
    /// an award): pass after pass while there is a backlog (a pass that claimed a full batch),
    /// else every `poll_interval_ms`. Third parties' lanes are not sent in passes but each as soon
    /// as it is free (see [`Relay::run_targets`]).
    pub async fn run(self) {
        futures::future::join4(
            self.run_class(Class::Calls),
            self.run_class(Class::Events),
            self.run_targets(),
            self.run_class(Class::Mail),
        )
        .await;
    }

    /// Relays third parties' events so that no destination holds up another: each lane is sent as
    /// soon as it is claimed, without waiting for the others, and a lane with a row in flight (or
    /// a target with [`LANES_PER_TARGET`] in flight) is not claimed again until it is done.
    async fn run_targets(&self) {
        if self.targets.is_none() {
            return;
        }
        let mut tick = tokio::time::interval(Duration::from_millis(self.settings.poll_interval_ms));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut busy = Busy::default();
        let mut inflight = FuturesUnordered::new();
        loop {
            let room = LANES_AT_ONCE.saturating_sub(inflight.len());
            if room > 0 {
                match self.claim_targets(busy.clone(), room).await {
                    Ok(claimed) => {
                        for (name, target, rows) in claimed {
                            busy.take(&name, &target);
                            inflight.push(async move {
                                for row in rows {
                                    self.deliver_one(row).await;
                                }
                                (name, target)
                            });
                        }
                    }
                    Err(e) => tracing::warn!(error.cause = %e, "outbox relay pass failed (targets)"),
                }
            }
            tokio::select! {
                _ = tick.tick() => {}
                Some((name, target)) = inflight.next(), if !inflight.is_empty() => busy.free(&name, &target),
            }
        }
    }

    /// Claims due third-party events of free lanes, at most `room` lanes; each lane's name, target
    /// and rows in order.
    async fn claim_targets(&self, busy: Busy, room: usize) -> Result<Vec<(String, String, Vec<OutboxRow>)>, DbError> {
        let lease = chrono::Duration::milliseconds(i64::try_from(self.settings.timeout_ms).unwrap_or(10_000) * 3);
        let scope = Scope { subscriber: false, targeted: true, calls: false, class: Class::Targets };
        let batch = i64::try_from(CLAIM_BATCH).unwrap_or(32);
        let claimed = self.db.transaction(move |conn| claim_free(conn, batch, lease, scope, busy, room)).await?;
        Ok(lanes(claimed)
            .into_iter()
            .filter_map(|rows| {
                let first = rows.first()?;
                Some((lane_name(first), first.target.clone().unwrap_or_default(), rows))
            })
            .collect())
    }

    async fn run_class(&self, class: Class) {
        let mut tick = tokio::time::interval(Duration::from_millis(self.settings.poll_interval_ms));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            match self.pass(class).await {
                Ok((claimed, _)) if claimed == CLAIM_BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error.cause = %e, ?class, "outbox relay pass failed"),
            }
            tick.tick().await;
        }
    }

    /// One pass of each class: claims due rows and tries each once. Returns how many were delivered.
    pub async fn deliver_due(&self) -> Result<usize, DbError> {
        let mut delivered = 0;
        for class in [Class::Calls, Class::Events, Class::Targets, Class::Mail] {
            delivered += self.pass(class).await?.1;
        }
        Ok(delivered)
    }

    /// Claims up to [`CLAIM_BATCH`] due rows of `class` and sends them, lanes side by side and each
    /// lane in order (see [`lanes`]); how many were claimed and how many delivered.
    async fn pass(&self, class: Class) -> Result<(usize, usize), DbError> {
        let lease = chrono::Duration::milliseconds(i64::try_from(self.settings.timeout_ms).unwrap_or(10_000) * 3);
        let scope = Scope {
            subscriber: self.subscriber.is_some(),
            targeted: self.targets.is_some(),
            calls: self.calls.is_some(),
            class,
        };
        let batch = i64::try_from(CLAIM_BATCH).unwrap_or(32);
        let claimed = self.db.transaction(move |conn| claim(conn, batch, lease, scope)).await?;
        let count = claimed.len();
        let delivered = futures::stream::iter(lanes(claimed))
            .map(|rows| async move {
                let mut delivered = 0;
                for row in rows {
                    delivered += usize::from(self.deliver_one(row).await);
                }
                delivered
            })
            .buffer_unordered(LANES_AT_ONCE)
            .fold(0, |sum, delivered| async move { sum + delivered })
            .await;
        Ok((count, delivered))
    }

    /// Sends one claimed row and records how it went; whether it was delivered.
    async fn deliver_one(&self, row: OutboxRow) -> bool {
        let mail = row.target.as_deref() == Some(crate::mail::TARGET);
        let outcome = match (&self.calls, row.call_path.is_some()) {
            _ if mail => match &self.mailer {
                Some(mailer) => {
                    mailer.send(&row.id, &row.payload).await.map_or_else(Delivery::Retry, |()| Delivery::Done(None))
                }
                None => Delivery::Retry("no mail server or folder is configured".to_owned()),
            },
            (Some(calls), true) => calls.send(&self.client, &row).await,
            _ => match self.endpoint(&row).await {
                Ok((url, key)) => {
                    let client = if row.target.is_some() { &self.target_client } else { &self.client };
                    self.send(client, &row, &url, &key).await
                }
                Err(reason) => Delivery::Retry(reason),
            },
        };
        let delivered = matches!(outcome, Delivery::Done(_));
        let (settings, attempts) = (self.settings.clone(), row.attempts + 1);
        if let Delivery::Retry(reason) | Delivery::Refused(reason) = &outcome {
            tracing::warn!(event.id = %row.id, event.type = %row.event_type, attempts, reason = %reason, "delivery failed");
        }
        let calls = self.calls.clone().filter(|_| row.call_path.is_some());
        let sent = Sent {
            id: row.id.clone(),
            kind: row.event_type.clone(),
            service: row.target.clone().unwrap_or_default(),
            key: row.idempotency_key.clone().unwrap_or_default(),
        };
        let recorded =
            self.db.transaction(move |conn| record(conn, &sent, attempts, outcome, &settings, calls.as_ref())).await;
        if let Err(e) = recorded {
            // The call stays pending; its lease runs out and it is sent (and answered) again.
            tracing::warn!(event.id = %row.id, error.cause = %e, "could not record a delivery");
        }
        delivered
    }

    /// The event's destination: the subscriber, or its target's endpoint.
    async fn endpoint(&self, row: &OutboxRow) -> Result<(String, SigningKey), String> {
        let (Some(target), Some(resolve)) = (row.target.clone(), self.targets.clone()) else {
            return self.subscriber.clone().ok_or_else(|| "no subscriber configured".to_owned());
        };
        let found = self.db.run(move |conn| resolve(conn, &target)).await.map_err(|e| e.to_string())?;
        let endpoint = found.ok_or_else(|| "the target has no endpoint".to_owned())?;
        outbound::check_url(&endpoint.url, self.settings.allow_private_targets)
            .map_err(|why| format!("the target's URL is refused: {why}"))?;
        Ok((endpoint.url, SigningKey::standard(&endpoint.secret)))
    }

    async fn send(&self, client: &reqwest::Client, row: &OutboxRow, url: &str, key: &SigningKey) -> Delivery {
        let timestamp = chrono::Utc::now().timestamp();
        let signature = webhook::standard_signature(key, &row.id, timestamp, row.payload.as_bytes());
        let response = client
            .post(url)
            .header("content-type", "application/json")
            .header(webhook::ID_HEADER, &row.id)
            .header(webhook::TIMESTAMP_HEADER, timestamp.to_string())
            .header(webhook::SIGNATURE_HEADER, signature)
            .body(row.payload.clone())
            .send()
            .await;
        match response {
            Ok(response) if response.status().is_success() => Delivery::Done(None),
            Ok(response) => Delivery::Retry(format!("receiver answered {}", response.status())),
            Err(e) => Delivery::Retry(format!("request failed: {e}")),
        }
    }
}

/// Splits claimed rows into lanes, each in order: a destination's rows of one lane (a group's
/// events or calls) go one after another, so they arrive as they happened; other lanes go side by
/// side. Rows without a lane keep one lane per destination. Mail has no order to keep: it goes in
/// [`MAIL_LANES`] lanes (files created in one folder all at once contend for it).
fn lanes(claimed: Vec<OutboxRow>) -> Vec<Vec<OutboxRow>> {
    let mut lanes: Vec<Vec<OutboxRow>> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for row in claimed {
        let name = lane_name(&row);
        match index.get(&name) {
            Some(&at) => lanes[at].push(row),
            None => {
                index.insert(name, lanes.len());
                lanes.push(vec![row]);
            }
        }
    }
    lanes
}

/// The lane a row is sent in: its kind, destination and lane (mail spread over a few).
fn lane_name(row: &OutboxRow) -> String {
    let destination = row.target.as_deref().unwrap_or_default();
    match (&row.call_path, &row.lane) {
        (None, None) if destination == crate::mail::TARGET => {
            let spread = row.id.bytes().last().map_or(0, |b| usize::from(b) % MAIL_LANES);
            format!("mail:{spread}")
        }
        (path, lane) => format!("{}:{destination}:{}", path.is_some(), lane.as_deref().unwrap_or_default()),
    }
}

/// Third parties' lanes in flight, and how many per target.
#[derive(Clone, Default)]
struct Busy {
    lanes: HashSet<String>,
    per_target: HashMap<String, usize>,
}

impl Busy {
    fn take(&mut self, lane: &str, target: &str) {
        if self.lanes.insert(lane.to_owned()) {
            *self.per_target.entry(target.to_owned()).or_default() += 1;
        }
    }

    fn free(&mut self, lane: &str, target: &str) {
        if self.lanes.remove(lane)
            && let Some(n) = self.per_target.get_mut(target)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_target.remove(target);
            }
        }
    }

    /// Whether a lane may be opened now: it is not in flight and its target has room.
    fn admits(&self, lane: &str, target: &str) -> bool {
        !self.lanes.contains(lane) && self.per_target.get(target).copied().unwrap_or(0) < LANES_PER_TARGET
    }
}

/// Which rows a relay can deliver: the subscriber's events, targeted events, calls; and of
/// them, which class a pass claims.
#[derive(Clone, Copy)]
struct Scope {
    subscriber: bool,
    targeted: bool,
    calls: bool,
    class: Class,
}

/// The outbox's rows by how they are sent, each class relayed in its own loop.
#[derive(Clone, Copy, Debug)]
enum Class {
    /// Calls to other services' APIs.
    Calls,
    /// Signed events for the subscriber (another of our services).
    Events,
    /// Signed events for third parties' endpoints (targets).
    Targets,
    /// Mail.
    Mail,
}

/// Claims up to `batch` due events for `lease`; an event another relay holds is skipped.
fn claim(
    conn: &mut DbConnection,
    batch: i64,
    lease: chrono::Duration,
    scope: Scope,
) -> Result<Vec<OutboxRow>, DbError> {
    let due = due_rows(conn, batch, scope)?;
    lease_rows(conn, due, lease)
}

/// Like [`claim`], only rows of lanes not `busy`, opening at most `room` lanes and at most
/// [`LANES_PER_TARGET`] per target (counting those in flight).
fn claim_free(
    conn: &mut DbConnection,
    batch: i64,
    lease: chrono::Duration,
    scope: Scope,
    mut busy: Busy,
    room: usize,
) -> Result<Vec<OutboxRow>, DbError> {
    let mut opened: HashSet<String> = HashSet::new();
    let mut picked = Vec::new();
    for row in due_rows(conn, batch, scope)? {
        let lane = lane_name(&row);
        if !opened.contains(&lane) {
            let target = row.target.clone().unwrap_or_default();
            if opened.len() >= room || !busy.admits(&lane, &target) {
                continue;
            }
            busy.take(&lane, &target);
            opened.insert(lane);
        }
        picked.push(row);
    }
    lease_rows(conn, picked, lease)
}

/// Due rows of `scope`, oldest first.
fn due_rows(conn: &mut DbConnection, batch: i64, scope: Scope) -> Result<Vec<OutboxRow>, DbError> {
    let at = now();
    let free = outbox::locked_until.is_null().or(outbox::locked_until.lt(at));
    let mut due = outbox::table
        .filter(outbox::status.eq(PENDING).and(outbox::next_attempt_at.le(at)).and(free))
        .order(outbox::id.asc())
        .limit(batch)
        .select(OutboxRow::as_select())
        .into_boxed();
    if !scope.subscriber {
        due = due.filter(outbox::target.is_not_null());
    }
    if !scope.targeted {
        due = due.filter(outbox::target.is_null().or(outbox::call_path.is_not_null()));
    }
    if !scope.calls {
        due = due.filter(outbox::call_path.is_null());
    }
    due = match scope.class {
        Class::Calls => due.filter(outbox::call_path.is_not_null()),
        Class::Events => due.filter(outbox::call_path.is_null()).filter(outbox::target.is_null()),
        Class::Targets => due.filter(outbox::call_path.is_null()).filter(outbox::target.ne(crate::mail::TARGET)),
        Class::Mail => due.filter(outbox::call_path.is_null()).filter(outbox::target.eq(crate::mail::TARGET)),
    };
    Ok(due.load(conn)?)
}

/// Leases each of `due` that no other relay took meanwhile; those it won.
fn lease_rows(
    conn: &mut DbConnection,
    due: Vec<OutboxRow>,
    lease: chrono::Duration,
) -> Result<Vec<OutboxRow>, DbError> {
    let at = now();
    let mut claimed = Vec::with_capacity(due.len());
    for row in due {
        let free = outbox::locked_until.is_null().or(outbox::locked_until.lt(at));
        let won = diesel::update(
            outbox::table
                .find(&row.id)
                .filter(outbox::status.eq(PENDING))
                .filter(outbox::attempts.eq(row.attempts))
                .filter(free),
        )
        .set(outbox::locked_until.eq(at + lease))
        .execute(conn)?;
        if won == 1 {
            claimed.push(row);
        }
    }
    Ok(claimed)
}

/// The delay before attempt `attempts + 1`: doubling from the base, capped.
fn backoff(attempts: i32, settings: &SubscriberSettings) -> chrono::Duration {
    let factor = 2_u64.saturating_pow(u32::try_from(attempts.saturating_sub(1)).unwrap_or(0));
    let ms = settings.backoff_base_ms.saturating_mul(factor).min(settings.backoff_max_ms);
    chrono::Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX))
}

/// What was sent, as [`record`] needs it.
struct Sent {
    id: String,
    kind: String,
    service: String,
    key: String,
}

/// Writes how an attempt ended. A call's answer is applied by its handler in the same
/// transaction; so is giving a call up (refused, or out of attempts).
fn record(
    conn: &mut DbConnection,
    sent: &Sent,
    attempts: i32,
    outcome: Delivery,
    settings: &SubscriberSettings,
    calls: Option<&Calls>,
) -> Result<(), StoreError> {
    let target = outbox::table.find(&sent.id);
    let (reason, dead, refused) = match outcome {
        Delivery::Done(answer) => {
            if let (Some(answer), Some(calls)) = (answer, calls) {
                (calls.on_answer)(conn, &answer)?;
            }
            // A call may carry what is not kept once answered (a card token), a mail what is not
            // kept once sent (a purchaser ID).
            if calls.is_some() || sent.service == crate::mail::TARGET {
                diesel::update(target).set(outbox::payload.eq("{}")).execute(conn)?;
            }
            diesel::update(target)
                .set((
                    outbox::status.eq(DELIVERED),
                    outbox::attempts.eq(attempts),
                    outbox::delivered_at.eq(now()),
                    outbox::locked_until.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?;
            return Ok(());
        }
        Delivery::Retry(reason) => (reason, attempts >= settings.max_attempts, false),
        Delivery::Refused(reason) => (reason, true, true),
    };
    let reason: String = reason.chars().take(MAX_ERROR_LEN).collect();
    if let (true, Some(calls)) = (dead, calls) {
        let gave_up = GaveUp {
            kind: sent.kind.clone(),
            service: sent.service.clone(),
            key: sent.key.clone(),
            reason: reason.clone(),
            refused,
        };
        (calls.on_give_up)(conn, &gave_up)?;
    }
    diesel::update(target)
        .set((
            outbox::status.eq(if dead { DEAD } else { PENDING }),
            outbox::attempts.eq(attempts),
            outbox::next_attempt_at.eq(now() + backoff(attempts, settings)),
            outbox::last_error.eq(reason),
            outbox::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

fn dead_letters(conn: &mut DbConnection, after: Option<&str>, limit: i64) -> Result<Vec<OutboxRow>, DbError> {
    let mut query = outbox::table.filter(outbox::status.eq(DEAD)).order(outbox::id.asc()).into_boxed();
    if let Some(after) = after {
        query = query.filter(outbox::id.gt(after.to_owned()));
    }
    Ok(query.limit(limit).select(OutboxRow::as_select()).load(conn)?)
}

/// Gives a dead letter a fresh round of attempts; false if there is no such dead letter.
fn requeue(conn: &mut DbConnection, id: &str) -> Result<bool, DbError> {
    let updated = diesel::update(outbox::table.find(id).filter(outbox::status.eq(DEAD)))
        .set((outbox::status.eq(PENDING), outbox::attempts.eq(0), outbox::next_attempt_at.eq(now())))
        .execute(conn)?;
    Ok(updated == 1)
}

/// An event that was not acknowledged within the attempt limit.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeadLetter {
    pub id: String,
    pub event_type: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The event as it would be delivered.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeadLetterPage {
    pub items: Vec<DeadLetter>,
    pub next_cursor: Option<String>,
}

/// `?cursor=&limit=`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadLetterParams {
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

impl TryFrom<OutboxRow> for DeadLetter {
    type Error = serde_json::Error;
    fn try_from(row: OutboxRow) -> Result<Self, Self::Error> {
        debug_assert_eq!(row.status, DEAD);
        Ok(Self {
            payload: serde_json::from_str(&row.payload)?,
            id: row.id,
            event_type: row.event_type,
            attempts: row.attempts,
            last_error: row.last_error,
            created_at: row.created_at.and_utc(),
        })
    }
}

/// Lists events that exhausted their attempts, oldest first.
#[utoipa::path(
    tag = "outbox",
    security(("bearer" = [])),
    params(DeadLetterParams),
    responses(
        (status = 200, body = DeadLetterPage),
    )
)]
#[get("/v1/outbox/dead-letters")]
pub async fn list_dead_letters(
    _who: Authenticated<OperatorOnly>,
    db: web::Data<Db>,
    params: web::Query<DeadLetterParams>,
) -> Result<web::Json<DeadLetterPage>, ApiError> {
    let paging = PageParams { cursor: params.cursor.clone(), limit: params.limit };
    let (limit, after) = (paging.limit()?, paging.after()?);
    let rows = db.run(move |conn| dead_letters(conn, after.as_deref(), i64::from(limit) + 1)).await?;
    let (rows, next_cursor) = page(rows, limit, |r| r.id.clone());
    let items = rows.into_iter().map(DeadLetter::try_from).collect::<Result<_, _>>().map_err(ApiError::internal)?;
    Ok(web::Json(DeadLetterPage { items, next_cursor }))
}

/// Puts a dead letter back in the queue for a fresh round of attempts.
#[utoipa::path(
    tag = "outbox",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 202, description = "Queued again"),
    )
)]
#[post("/v1/outbox/dead-letters/{id}/retry")]
pub async fn retry_dead_letter(
    _who: Authenticated<OperatorOnly>,
    db: web::Data<Db>,
    id: web::Path<String>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let id = id.into_inner();
    let key = id.clone();
    if !db.transaction(move |conn| requeue(conn, &key)).await? {
        return Err(ApiError::not_found(format!("dead letter {id}")));
    }
    tracing::info!(event.id = %id, "dead letter queued again");
    Ok(actix_web::HttpResponse::Accepted().finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        store_test,
        testing::{RECEIVER_SECRET, TestBackend, TestDatabase, WebhookReceiver},
    };

    fn settings(url: String, max_attempts: i32) -> SubscriberSettings {
        SubscriberSettings {
            url: Some(url),
            secret: Some(Secret::new(RECEIVER_SECRET)),
            max_attempts,
            poll_interval_ms: 10,
            backoff_base_ms: 0,
            backoff_max_ms: 0,
            timeout_ms: 2_000,
            allow_private_targets: true,
        }
    }

    async fn db(backend: TestBackend) -> Option<(Db, TestDatabase)> {
        let test_db = TestDatabase::create(backend, "outbox")?;
        let settings = crate::config::DatabaseSettings::new(&test_db.url, 4);
        Some((Db::connect(&settings, &[MIGRATIONS]).await.unwrap(), test_db))
    }

    store_test!(g7_events_are_delivered_signed_and_once, |backend| async move {
        let Some((db, _guard)) = db(backend).await else { return };
        let receiver = WebhookReceiver::start().await;
        let ids = db
            .run(|conn| {
                (0..3)
                    .map(|n| enqueue(conn, "g1", "thing.happened", &serde_json::json!({ "n": n })))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await
            .unwrap();
        let relay = Relay::new(db.clone(), settings(receiver.url.clone(), 3)).unwrap().unwrap();

        assert_eq!(relay.deliver_due().await.unwrap(), 3);
        assert_eq!(relay.deliver_due().await.unwrap(), 0, "a delivered event is not sent again");

        let received = receiver.received();
        assert_eq!(
            received.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
            ids,
            "in order, webhook-id is the event id"
        );
        assert_eq!(received[2].1["type"], "thing.happened");
        assert_eq!(received[2].1["data"]["n"], 2);
    });

    store_test!(g7_undeliverable_events_become_dead_letters_and_can_be_retried, |backend| async move {
        let Some((db, _guard)) = db(backend).await else { return };
        let receiver = WebhookReceiver::start().await;
        let id = db.run(|conn| enqueue(conn, "g1", "thing.failed", &serde_json::json!({}))).await.unwrap();
        let failing = Relay::new(db.clone(), settings(format!("{}fail", receiver.url), 2)).unwrap().unwrap();

        assert_eq!(failing.deliver_due().await.unwrap(), 0);
        assert!(db.run(|conn| dead_letters(conn, None, 10)).await.unwrap().is_empty(), "one failure is retried");
        assert_eq!(failing.deliver_due().await.unwrap(), 0);
        let dead = db.run(|conn| dead_letters(conn, None, 10)).await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].attempts, 2);
        assert!(dead[0].last_error.as_deref().unwrap().contains("500"));
        assert_eq!(failing.deliver_due().await.unwrap(), 0, "a dead letter is not retried by itself");

        let key = id.clone();
        assert!(db.run(move |conn| requeue(conn, &key)).await.unwrap());
        let healthy = Relay::new(db.clone(), settings(receiver.url.clone(), 2)).unwrap().unwrap();
        assert_eq!(healthy.deliver_due().await.unwrap(), 1);
        assert_eq!(receiver.received()[0].0, id);
        assert!(!db.run(|conn| requeue(conn, "evt_unknown")).await.unwrap());
    });

    store_test!(g7_two_relays_never_send_one_event_twice, |backend| async move {
        let Some((db, _guard)) = db(backend).await else { return };
        let receiver = WebhookReceiver::start().await;
        db.run(|conn| (0..20).try_for_each(|n| enqueue(conn, "g1", "e", &n).map(drop))).await.unwrap();
        let a = Relay::new(db.clone(), settings(receiver.url.clone(), 3)).unwrap().unwrap();
        let b = Relay::new(db.clone(), settings(receiver.url.clone(), 3)).unwrap().unwrap();

        let (sent_a, sent_b) = tokio::join!(a.deliver_due(), b.deliver_due());
        assert_eq!(sent_a.unwrap() + sent_b.unwrap(), 20);
        let mut ids: Vec<String> = receiver.received().into_iter().map(|(id, _)| id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 20);
    });

    store_test!(g7_targeted_events_go_to_their_resolved_endpoint, |backend| async move {
        let Some((db, _guard)) = db(backend).await else { return };
        let receiver = WebhookReceiver::start().await;
        let url = receiver.url.clone();
        let resolver: TargetResolver = Arc::new(move |_conn, target| {
            Ok((target == "base:1").then(|| Endpoint { url: url.clone(), secret: RECEIVER_SECRET.to_owned() }))
        });
        let (to_base, to_nowhere) = db
            .run(|conn| {
                let a = enqueue_to(conn, Some("base:1"), "g1", "shipment.requested", &1)?;
                let b = enqueue_to(conn, Some("base:2"), "g1", "shipment.requested", &2)?;
                enqueue(conn, "g1", "for.groups", &3)?;
                Ok::<_, DbError>((a, b))
            })
            .await
            .unwrap();
        // No subscriber configured: only targeted events are this relay's to deliver.
        let no_subscriber = SubscriberSettings { url: None, secret: None, ..settings(String::new(), 1) };
        let relay = Relay::with_targets(db.clone(), no_subscriber, Some(resolver)).unwrap().unwrap();

        assert_eq!(relay.deliver_due().await.unwrap(), 1);
        assert_eq!(receiver.received().iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(), [to_base]);
        let dead = db.run(|conn| dead_letters(conn, None, 10)).await.unwrap();
        assert_eq!(dead.iter().map(|d| d.id.clone()).collect::<Vec<_>>(), [to_nowhere]);
        assert_eq!(dead[0].last_error.as_deref(), Some("the target has no endpoint"));
        let waiting: i64 = db
            .run(|conn| {
                outbox::table.filter(outbox::status.eq(PENDING)).count().get_result(conn).map_err(DbError::from)
            })
            .await
            .unwrap();
        assert_eq!(waiting, 1, "the subscriber's event waits for a subscriber");
    });

    // Issue 7, finding 10: the relay posted to whatever callback a base had registered.
    store_test!(x3_a_private_target_is_not_called_unless_allowed, |backend| async move {
        let Some((db, _guard)) = db(backend).await else { return };
        let receiver = WebhookReceiver::start().await;
        let url = receiver.url.clone();
        let resolver: TargetResolver =
            Arc::new(move |_conn, _target| Ok(Some(Endpoint { url: url.clone(), secret: RECEIVER_SECRET.to_owned() })));
        db.run(|conn| enqueue_to(conn, Some("base:1"), "g1", "shipment.requested", &1)).await.unwrap();
        let strict =
            SubscriberSettings { url: None, secret: None, allow_private_targets: false, ..settings(String::new(), 1) };
        let relay = Relay::with_targets(db.clone(), strict, Some(resolver)).unwrap().unwrap();

        assert_eq!(relay.deliver_due().await.unwrap(), 0);
        assert!(receiver.received().is_empty(), "nothing reached the loopback receiver");
        let dead = db.run(|conn| dead_letters(conn, None, 10)).await.unwrap();
        assert!(dead[0].last_error.as_deref().unwrap().contains("refused"), "{:?}", dead[0].last_error);
    });

    #[test]
    fn g7_backoff_doubles_up_to_the_cap() {
        let s = SubscriberSettings { backoff_base_ms: 1000, backoff_max_ms: 5000, ..settings(String::new(), 3) };
        let delays: Vec<i64> = (1..=5).map(|a| backoff(a, &s).num_milliseconds()).collect();
        assert_eq!(delays, [1000, 2000, 4000, 5000, 5000]);
    }

    fn row(id: &str, target: Option<&str>, call: bool, lane: Option<&str>) -> OutboxRow {
        OutboxRow {
            id: id.to_owned(),
            event_type: "e".to_owned(),
            payload: "{}".to_owned(),
            status: PENDING.to_owned(),
            attempts: 0,
            last_error: None,
            created_at: now(),
            target: target.map(str::to_owned),
            call_path: call.then(|| "/v1/x".to_owned()),
            idempotency_key: None,
            lane: lane.map(str::to_owned),
        }
    }

    // G7: one group's rows to one destination keep their order; other groups and destinations
    // go side by side.
    #[test]
    fn g7_lanes_keep_each_groups_order_per_destination() {
        let claimed = vec![
            row("1", Some("payments"), true, Some("g1")),
            row("2", Some("payments"), true, Some("g2")),
            row("3", Some("shipping"), true, Some("g1")),
            row("4", Some("payments"), true, Some("g1")),
            row("5", None, false, Some("g1")),
            row("6", None, false, None),
            row("7", None, false, None),
            row("8", None, false, Some("g1")),
        ];
        let lanes = lanes(claimed);
        let ids: Vec<Vec<&str>> = lanes.iter().map(|lane| lane.iter().map(|r| r.id.as_str()).collect()).collect();
        assert_eq!(ids, [vec!["1", "4"], vec!["2"], vec!["3"], vec!["5", "8"], vec!["6", "7"]]);
    }

    #[test]
    fn g9_mail_spreads_over_a_few_lanes() {
        let claimed: Vec<OutboxRow> =
            (0..40).map(|n| row(&format!("m{n}"), Some(crate::mail::TARGET), false, None)).collect();
        let lanes = lanes(claimed);
        assert_eq!(lanes.len(), MAIL_LANES);
        assert_eq!(lanes.iter().map(Vec::len).sum::<usize>(), 40);
    }
}
