//! `GET /v1/groups/{id}/events`: live progress as Server-Sent Events (PRODUCT.md G8). Each event is
//! a history point (member count, quantity, current unit price, state) with its sequence as the
//! SSE id, so a page reconnecting with `Last-Event-ID` gets every event it missed, from the store.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, get, web, web::Bytes};
use contracts::groups::{HistoryPoint, ProgressEvent};
use domain::{Currency, GroupId};
use futures::stream::{self, Stream, StreamExt};
use platform::{ApiError, db::Db, error::Problem};
use tokio::sync::broadcast::{self, error::RecvError};

use super::read::find;
use crate::{
    db::{
        groups,
        rows::{EventRow, GroupRow},
    },
    progress::Hub,
};

/// A comment line this often keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Follows a group: every change as an SSE event (`event:` the kind, `id:` the sequence, `data:` a
/// history point), from after `Last-Event-ID` (or the start) until the group reaches a final state.
#[utoipa::path(
    tag = "groups",
    params(
        ("id" = GroupId, Path),
        ("Last-Event-ID" = Option<i64>, Header, minimum = 0, description = "The last sequence received: the stream resumes after it"),
    ),
    responses(
        (status = 200, content_type = "text/event-stream", body = ProgressEvent, description = "`retry`, then one event per change of the group: `id: <sequence>`, `event: <kind>`, `data:` a `HistoryPoint` as JSON"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "A Last-Event-ID that is not a sequence number (one beyond the group's last event is read as its last)"),
    )
)]
#[get("/v1/groups/{id}/events")]
pub async fn stream_events(
    req: HttpRequest,
    db: web::Data<Db>,
    hub: web::Data<Hub>,
    id: web::Path<GroupId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let after = match req.headers().get("last-event-id").map(|v| v.to_str().map(str::parse::<i64>)) {
        None => 0,
        Some(Ok(Ok(n))) if n >= 0 => n,
        Some(_) => return Err(ApiError::malformed("Last-Event-ID must be a sequence number from this stream")),
    };
    // The group's last event first, then following from it, then reading the store up to now:
    // nothing recorded in between is missed. A Last-Event-ID beyond the group's last event is
    // clamped to it, so that no caller can move the shared watcher past what the store holds.
    let group = db.run(move |conn| find(conn, id)).await?;
    let after = after.min(group.event_count);
    let live = hub.follow(&db, id, group.event_count);
    let missed = db.run(move |conn| groups::history(conn, id, None, after)).await?;
    let opening = stream::once(async { Ok::<_, actix_web::Error>(Bytes::from_static(b"retry: 1000\n\n")) });
    let body = opening.chain(events(missed, live, after, &group));
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body))
}

/// What follows a stream holds between items.
struct Following {
    backlog: std::vec::IntoIter<EventRow>,
    live: broadcast::Receiver<EventRow>,
    last: i64,
    currency: Currency,
    /// The last event is sent (the group is in a final state).
    done: bool,
    /// The group was final already when the stream began: end once the backlog is sent.
    ended: bool,
}

fn events(
    missed: Vec<EventRow>,
    live: broadcast::Receiver<EventRow>,
    after: i64,
    group: &GroupRow,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> + use<> {
    let (currency, ended) = (group.currency.0, group.state().is_final());
    let start = Following { backlog: missed.into_iter(), live, last: after, currency, done: false, ended };
    stream::unfold(start, |mut f| async move {
        if f.done {
            return None;
        }
        loop {
            let next = match f.backlog.next() {
                Some(event) => Some(event),
                None if f.ended => None,
                None => match tokio::time::timeout(KEEP_ALIVE, f.live.recv()).await {
                    Err(_) => return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), f)),
                    Ok(Ok(event)) => Some(event),
                    // Fell behind: end the stream; the page reconnects with its Last-Event-ID.
                    Ok(Err(RecvError::Lagged(_) | RecvError::Closed)) => None,
                },
            };
            let event = next?;
            if event.sequence <= f.last {
                continue; // seen in the backlog already
            }
            f.last = event.sequence;
            f.done = event.state.0.is_final();
            return Some((Ok(frame(&event.to_dto(f.currency))), f));
        }
    })
}

/// One SSE event.
fn frame(point: &HistoryPoint) -> Bytes {
    let data = serde_json::to_string(point).unwrap_or_default();
    Bytes::from(format!("id: {}\nevent: {}\ndata: {data}\n\n", point.sequence, point.kind))
}
