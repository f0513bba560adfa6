//! Calls to other services through the outbox (PRODUCT.md G7): a POST to another service's API,
//! written in the transaction of the change that needs it ([`enqueue_call`]), sent by the relay
//! with a service token and the call's Idempotency-Key until the service answers. Its answer is
//! handed to the caller's [`AnswerHandler`] in the transaction that marks the call done, so an
//! answer is applied once; a redelivery after a crash gets the stored answer again from the
//! service (same key) and the handler sees the same outcome.

use std::{collections::HashMap, sync::Arc};

use serde::Serialize;

use super::{NewRow, OutboxRow, PENDING, insert};
use crate::db::{DbConnection, DbError, now};

/// The answer a service gave to a call.
pub struct Answer {
    /// What the call was for, as given to [`enqueue_call`] (`payment.hold`).
    pub kind: String,
    /// The service called.
    pub service: String,
    pub status: u16,
    pub body: String,
}

/// Applies an answer inside the transaction that marks its call done; an error leaves the call
/// to be sent (and answered) again.
pub type AnswerHandler = Arc<dyn Fn(&mut DbConnection, &Answer) -> anyhow::Result<()> + Send + Sync>;

/// A call given up on: refused by the service, or not answered within the attempt limit. It
/// stays a dead letter the operator may retry; the handler settles what waited on it meanwhile.
pub struct GaveUp {
    pub kind: String,
    pub service: String,
    /// The call's Idempotency-Key, which names its effect (`hold:<member>`).
    pub key: String,
    pub reason: String,
    /// The service refused the request itself (a 4xx): it was not carried out. Otherwise it went
    /// unanswered, and may or may not have been.
    pub refused: bool,
}

/// Applies a call given up on, inside the transaction that makes it a dead letter.
pub type GiveUpHandler = Arc<dyn Fn(&mut DbConnection, &GaveUp) -> anyhow::Result<()> + Send + Sync>;

/// A bearer token for calls, asked for each pass (tokens expire).
pub type TokenSource = Arc<dyn Fn() -> anyhow::Result<String> + Send + Sync>;

/// Where calls go and what to do with their answers.
#[derive(Clone)]
pub struct Calls {
    /// Base URL per service name.
    pub services: HashMap<String, String>,
    pub token: TokenSource,
    pub on_answer: AnswerHandler,
    pub on_give_up: GiveUpHandler,
}

/// How one attempt ended.
pub(super) enum Delivery {
    Done(Option<Answer>),
    /// Try again later.
    Retry(String),
    /// The receiver refused the request itself: retrying cannot help.
    Refused(String),
}

/// A POST of a body to `service`'s `path` with `key` as its Idempotency-Key; `kind` tells the
/// answer handler what it was (`payment.hold`). Calls of one lane (a group's) go in order.
pub struct Call {
    pub service: String,
    pub kind: String,
    pub path: String,
    pub key: String,
    pub body: String,
    pub lane: String,
}

impl Call {
    pub fn new(
        lane: &str,
        service: &str,
        kind: &str,
        path: &str,
        key: &str,
        body: &impl Serialize,
    ) -> Result<Self, DbError> {
        let body = serde_json::to_string(body).map_err(|e| DbError::Migration(format!("unserializable call: {e}")))?;
        Ok(Self {
            service: service.to_owned(),
            kind: kind.to_owned(),
            path: path.to_owned(),
            key: key.to_owned(),
            body,
            lane: lane.to_owned(),
        })
    }

    fn into_row(self) -> NewRow {
        let created_at = now();
        NewRow {
            id: format!("call_{}", uuid::Uuid::now_v7().simple()),
            event_type: self.kind,
            payload: self.body,
            status: PENDING,
            attempts: 0,
            next_attempt_at: created_at,
            created_at,
            target: Some(self.service),
            call_path: Some(self.path),
            idempotency_key: Some(self.key),
            lane: Some(self.lane),
        }
    }
}

/// Writes the calls; do it inside the transaction that makes the change needing them.
pub fn enqueue_calls(conn: &mut DbConnection, calls: impl IntoIterator<Item = Call>) -> Result<(), DbError> {
    let rows: Vec<NewRow> = calls.into_iter().map(Call::into_row).collect();
    insert(conn, &rows)
}

/// Writes one call (see [`Call`]) inside the transaction that makes the change needing it.
pub fn enqueue_call(conn: &mut DbConnection, call: Call) -> Result<(), DbError> {
    enqueue_calls(conn, [call])
}

impl Calls {
    /// Sends one call. 2xx is done; 429, 5xx and a 409 saying "not yet" (the key is still in
    /// flight, or money is still moving) are retried; any other 4xx (a 409 on the state of the
    /// thing, say) is refused for good.
    pub(super) async fn send(&self, client: &reqwest::Client, row: &OutboxRow) -> Delivery {
        let (Some(service), Some(path)) = (&row.target, &row.call_path) else {
            return Delivery::Refused("not a call".to_owned());
        };
        let Some(base) = self.services.get(service) else {
            return Delivery::Retry(format!("no address configured for {service}"));
        };
        let token = match (self.token)() {
            Ok(token) => token,
            Err(e) => return Delivery::Retry(format!("no token: {e}")),
        };
        let response = client
            .post(format!("{}{path}", base.trim_end_matches('/')))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .header(crate::idempotency::HEADER, row.idempotency_key.as_deref().unwrap_or(&row.id))
            .body(row.payload.clone())
            .send()
            .await;
        let response = match response {
            Ok(response) => response,
            Err(e) => return Delivery::Retry(format!("request failed: {e}")),
        };
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if status.is_success() {
            let (kind, service) = (row.event_type.clone(), service.clone());
            return Delivery::Done(Some(Answer { kind, service, status: status.as_u16(), body }));
        }
        let reason = format!("{service} answered {status}: {}", body.chars().take(200).collect::<String>());
        let retry = status.is_server_error() || status.as_u16() == 429 || (status.as_u16() == 409 && not_yet(&body));
        if retry { Delivery::Retry(reason) } else { Delivery::Refused(reason) }
    }
}

/// Whether a 409's problem says "not yet": the call's key is still being processed (another
/// attempt of it), or money it depends on is still moving.
fn not_yet(body: &str) -> bool {
    let problem: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let kind = problem.as_ref().and_then(|p| p["type"].as_str()).unwrap_or_default();
    [crate::error::ErrorCode::IdempotencyInFlight, crate::error::ErrorCode::StillOpen]
        .iter()
        .any(|code| kind.ends_with(&format!("/{}", code.slug())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ApiError, error::ErrorCode};

    fn body(error: ApiError) -> String {
        serde_json::to_string(&error.problem()).unwrap_or_default()
    }

    #[test]
    fn g7_only_a_409_saying_not_yet_is_worth_retrying() {
        assert!(not_yet(&body(ApiError::bare(ErrorCode::IdempotencyInFlight))));
        assert!(not_yet(&body(ApiError::bare(ErrorCode::StillOpen))));
        assert!(!not_yet(&body(ApiError::conflict("the hold has expired"))));
        assert!(!not_yet("not json"));
    }
}
