//! Joins at storm speed (PRODUCT.md G3). A join is answered only after its durable commit, and
//! a transaction that takes a seat holds its group's row until it commits, so one commit per join
//! would cap a group at the store's rate of serial commits (about 800/s on PostgreSQL). Joins
//! therefore queue here and are admitted in batches: per batch and group the row is locked and
//! read once, each join is admitted in turn against the running tally (window, caps, one seat per
//! shopper), and the members, their hold calls, the events and the new tally are written with one
//! statement each and one commit for all. A few batches run at once, so that one fills while
//! another commits and other groups need not wait for a hot one; groups are locked in id order,
//! so two batches never wait on each other in a cycle.

use std::{
    collections::{BTreeMap, HashSet},
    sync::Arc,
};

use actix_web::http::StatusCode;
use contracts::{
    groups::{JoinRequest, Membership},
    shipping::Recipient,
};
use domain::{
    GroupId, Money, ProductKind, Violations,
    group::{GroupMode, JoinRefused},
};
use platform::{
    ApiError,
    db::{Db, DbConnection},
    idempotency::IdempotentRequest,
    outbox::{self, Call},
};
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::{
    db::{
        groups, members,
        rows::{EventRow, GroupRow, MemberRow, NewMember},
    },
    gate::Gate,
    model::Terms,
    payment_flow,
};

/// Joins one batch carries at most.
const MAX_BATCH: usize = 256;
/// Batches being admitted at once.
const BATCHES_AT_ONCE: usize = 4;

/// A join as its handler hands it over.
pub struct JoinAttempt {
    pub group: GroupId,
    pub shopper: String,
    pub request: JoinRequest,
    pub key: IdempotentRequest,
}

type Answer = Result<Membership, ApiError>;

struct Queued {
    attempt: JoinAttempt,
    answer: oneshot::Sender<Answer>,
}

/// The queue of joins waiting for their batch.
#[derive(Clone)]
pub struct Admission {
    queue: mpsc::Sender<Queued>,
}

/// The other end of the queue: runs the batches (see [`Admitter::run`]).
pub struct Admitter {
    queued: mpsc::Receiver<Queued>,
}

impl Admission {
    /// The queue, and what admits its joins once the store is connected.
    pub fn new() -> (Self, Admitter) {
        let (queue, queued) = mpsc::channel(MAX_BATCH * BATCHES_AT_ONCE * 4);
        (Self { queue }, Admitter { queued })
    }

    /// Admits or refuses the join; answered once its batch is committed.
    pub async fn join(&self, attempt: JoinAttempt) -> Answer {
        let stopped = || ApiError::unavailable(anyhow::anyhow!("joins are not being admitted"));
        let (answer, answered) = oneshot::channel();
        self.queue.send(Queued { attempt, answer }).await.map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

impl Admitter {
    /// Takes the queued joins in batches, [`BATCHES_AT_ONCE`] at a time, until the queue closes.
    pub async fn run(mut self, db: Db, gate: Gate) {
        let slots = Arc::new(Semaphore::new(BATCHES_AT_ONCE));
        loop {
            let Ok(slot) = slots.clone().acquire_owned().await else { return };
            let mut batch = Vec::with_capacity(MAX_BATCH);
            if self.queued.recv_many(&mut batch, MAX_BATCH).await == 0 {
                return;
            }
            let (db, gate) = (db.clone(), gate.clone());
            tokio::spawn(async move {
                admit(&db, &gate, batch).await;
                drop(slot);
            });
        }
    }
}

/// What a batch's transaction decided: an answer per join, in order, and the refusals the gate
/// learns from once they are committed.
struct Decided {
    answers: Vec<Answer>,
    refusals: Vec<(GroupId, JoinRefused)>,
}

async fn admit(db: &Db, gate: &Gate, batch: Vec<Queued>) {
    let (attempts, answers): (Vec<JoinAttempt>, Vec<_>) = batch.into_iter().map(|q| (q.attempt, q.answer)).unzip();
    let now = db.clock().now();
    match db.transaction(move |conn| decide(conn, &attempts, now)).await {
        Ok(Decided { answers: decided, refusals }) => {
            for (group, why) in &refusals {
                gate.learn(*group, why);
            }
            for (answer, decided) in answers.into_iter().zip(decided) {
                let _ = answer.send(decided);
            }
        }
        Err(error) => {
            let problem = error.problem();
            tracing::warn!(joins = answers.len(), error.cause = ?error, "a batch of joins failed");
            for answer in answers {
                let _ = answer.send(Err(ApiError::new(error.code(), problem.detail.clone().unwrap_or_default())));
            }
        }
    }
}

fn decide(conn: &mut DbConnection, attempts: &[JoinAttempt], now: chrono::NaiveDateTime) -> Result<Decided, ApiError> {
    let mut by_group: BTreeMap<GroupId, Vec<usize>> = BTreeMap::new();
    for (i, attempt) in attempts.iter().enumerate() {
        by_group.entry(attempt.group).or_default().push(i);
    }
    let mut answers: Vec<Option<Answer>> = attempts.iter().map(|_| None).collect();
    let mut refusals = Vec::new();
    for (group, indices) in by_group {
        let joins: Vec<&JoinAttempt> = indices.iter().map(|&i| &attempts[i]).collect();
        let Some(mut batch) = GroupBatch::open(conn, group)? else {
            indices.iter().for_each(|&i| answers[i] = Some(Err(ApiError::not_found(format!("group {group}")))));
            continue;
        };
        batch.seated =
            members::seated_among(conn, group, &joins.iter().map(|j| j.shopper.as_str()).collect::<Vec<_>>())?;
        for (&i, join) in indices.iter().zip(&joins) {
            answers[i] = Some(batch.admit(join, now));
        }
        refusals.extend(batch.refusals.drain(..).map(|why| (group, why)));
        batch.write(conn, &joins, &answers_of(&indices, &answers))?;
    }
    let answers = answers
        .into_iter()
        .map(|answer| answer.unwrap_or_else(|| Err(ApiError::internal(anyhow::anyhow!("a join was not decided")))))
        .collect();
    Ok(Decided { answers, refusals })
}

/// The memberships made for `indices`, as each join's answer says.
fn answers_of<'a>(indices: &[usize], answers: &'a [Option<Answer>]) -> Vec<Option<&'a Membership>> {
    indices.iter().map(|&i| answers[i].as_ref().and_then(|a| a.as_ref().ok())).collect()
}

/// One group's share of a batch: admitted in memory against the running tally, written at once.
struct GroupBatch {
    before: GroupRow,
    after: GroupRow,
    kind: ProductKind,
    terms: Terms,
    methods: Vec<contracts::payments::MethodType>,
    seated: HashSet<String>,
    members: Vec<MemberRow>,
    holds: Vec<Call>,
    events: Vec<EventRow>,
    refusals: Vec<JoinRefused>,
}

impl GroupBatch {
    /// Locks the group's row for the rest of the transaction and reads it; `None` if there is none.
    fn open(conn: &mut DbConnection, id: GroupId) -> Result<Option<Self>, ApiError> {
        groups::lock(conn, id)?;
        let Some(group) = groups::find(conn, id)? else { return Ok(None) };
        // The snapshot is read once per batch: its kind decides the address, its prices the hold.
        let product = group.product().map_err(ApiError::internal)?;
        Ok(Some(Self {
            kind: product.kind,
            terms: Terms::of(&product).map_err(ApiError::internal)?,
            methods: group.payment_methods().map_err(ApiError::internal)?,
            after: group.clone(),
            before: group,
            seated: HashSet::new(),
            members: Vec::new(),
            holds: Vec::new(),
            events: Vec::new(),
            refusals: Vec::new(),
        }))
    }

    fn refuse(&mut self, why: JoinRefused) -> ApiError {
        let error = ApiError::conflict(why.to_string());
        self.refusals.push(why);
        error
    }

    /// Admits one join against the tally so far: its membership, or why not.
    fn admit(&mut self, join: &JoinAttempt, now: chrono::NaiveDateTime) -> Answer {
        if self.before.mode.0 == GroupMode::BulkPurchase {
            return Err(ApiError::conflict(
                "a bulk purchase group takes purchases (POST /v1/groups/{id}/purchases), not joins",
            ));
        }
        let request = &join.request;
        let ship_to = ship_to(self.kind, request.ship_to.as_ref())?;
        if !self.methods.contains(&request.payment_method.kind) {
            return Err(ApiError::invalid_field("payment_method.type", "the group does not take this payment method"));
        }
        if self.seated.contains(&join.shopper) {
            return Err(ApiError::conflict("the shopper is already a member of this group"));
        }
        let (limits, quantity, group) = (self.before.limits(), request.quantity, &self.after);
        if let Err(why) = limits.admit(group.state(), group.tally(), quantity, now, (group.opens_at, group.closes_at)) {
            return Err(self.refuse(why));
        }
        let held_unit = match self.before.ceiling_minor {
            Some(ceiling) => own_maximum(request.max_unit_price.as_ref(), self.before.money(ceiling))?,
            None if request.max_unit_price.is_some() => {
                return Err(ApiError::invalid_field("max_unit_price", "only for `reverse_auction` groups"));
            }
            None => self.terms.price().most_owed(&limits, quantity),
        };
        match held_unit.times(quantity.get()) {
            Ok(total) if total.amount() < Money::LIMIT.into() => {}
            _ => return Err(ApiError::invalid_field("quantity", "the amount to hold is too large")),
        }
        let after = &mut self.after;
        after.seat_one(quantity.get(), now);
        let new = NewMember {
            shopper: &join.shopper,
            seat: after.seats_taken,
            quantity: i32::from(quantity),
            method: request.payment_method.kind,
            unit_price_minor: held_unit.to_minor().map_err(ApiError::internal)?,
            ship_to,
        };
        let member = MemberRow::reserved(after, new, now);
        let price = after.unit_price_under(&self.terms).to_minor().map_err(ApiError::internal)?;
        self.holds.push(payment_flow::hold_call(after, &member, &request.payment_method)?);
        self.events.push(EventRow::of(after, "joined", price, now));
        self.seated.insert(join.shopper.clone());
        let membership = member.to_dto(after.currency.0);
        self.members.push(member);
        Ok(membership)
    }

    /// Writes what was admitted, and each keyed join's answer with it.
    fn write(
        self,
        conn: &mut DbConnection,
        joins: &[&JoinAttempt],
        memberships: &[Option<&Membership>],
    ) -> Result<(), ApiError> {
        if self.members.is_empty() {
            return Ok(());
        }
        if !groups::set_tally(conn, &self.before, &self.after)? {
            return Err(ApiError::internal(anyhow::anyhow!("group {} changed under its lock", self.before.id())));
        }
        members::insert_all(conn, &self.members)?;
        outbox::enqueue_calls(conn, self.holds)?;
        groups::record_events(conn, &self.after, self.events)?;
        for (join, membership) in joins.iter().zip(memberships) {
            if let Some(membership) = membership {
                join.key.complete(conn, StatusCode::CREATED, membership)?;
            }
        }
        Ok(())
    }
}

/// The most an auction's member pays a unit (G3, B7): its own maximum, at most the ceiling, or
/// the ceiling.
fn own_maximum(stated: Option<&contracts::MoneyDto>, ceiling: Money) -> Result<Money, ApiError> {
    let Some(stated) = stated else { return Ok(ceiling) };
    let mut v = Violations::new();
    let maximum = stated.parse("max_unit_price", &mut v);
    if let Some(maximum) = maximum {
        v.check(maximum.is_positive(), "max_unit_price.amount", "must be more than zero");
        match maximum.partial_cmp(&ceiling) {
            Some(order) => v.check(order.is_le(), "max_unit_price.amount", "must be at most the group's ceiling"),
            None => v.add("max_unit_price.currency", format!("must be the group's currency, {}", ceiling.currency())),
        }
    }
    v.into_result()?;
    maximum.ok_or_else(|| ApiError::invalid_field("max_unit_price", "unreadable"))
}

/// The address to ship to, as stored: required unless the product is a service (G11).
pub fn ship_to(kind: ProductKind, recipient: Option<&Recipient>) -> Result<Option<String>, ApiError> {
    let shipped = kind != ProductKind::Service;
    match (recipient, shipped) {
        (Some(recipient), true) => {
            let mut v = Violations::new();
            recipient.check("ship_to", &mut v);
            v.into_result()?;
            Ok(Some(serde_json::to_string(recipient).map_err(ApiError::internal)?))
        }
        (None, true) => Err(ApiError::invalid_field("ship_to", "the product is shipped: say where to")),
        (_, false) => Ok(None),
    }
}
