//! `Idempotency-Key` for POSTs (PRODUCT.md X4). The first request with a key runs and its response
//! is kept for 24 hours; the same key with the same body replays that response; with another body
//! it is a 422; while the first is still running it is a 409. Keys are scoped to the acting party
//! (the supplier, the base, else the token's subject), so two parties never see each other's
//! responses. A 5xx or a 429 is not kept, so the client may retry (after `Retry-After`).
//!
//! Crash safety: a handler whose request has an effect records its answer in the same
//! transaction as the effect ([`IdempotentRequest::complete`]), so a key either has its answer or
//! had no effect. A key left running by a process that died (no heartbeat, see
//! [`crate::instance`]) is therefore taken over by the retry at once; one a live replica is
//! running answers 409.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use actix_web::{
    Error, FromRequest, HttpMessage, HttpResponse, ResponseError,
    body::{BoxBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{Method, StatusCode},
    middleware::Next,
    web,
};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::{
    auth::TokenVerifier,
    db::{Db, DbConnection, DbError, schema::idempotency_keys as ik},
    error::{ApiError, ErrorCode},
};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
const MAX_KEY_LEN: usize = 255;
const RETENTION_HOURS: i64 = 24;

/// Whether `key` is a well-formed Idempotency-Key: 1 to 255 visible ASCII characters.
pub fn check_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::malformed(format!(
            "Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"
        )));
    }
    Ok(())
}

/// A request arriving under a key: who sends it, when, which process runs it, and its fingerprint.
#[derive(Debug, Clone)]
pub struct KeyUse {
    /// When the request arrived, by the service's clock.
    pub now: chrono::NaiveDateTime,
    /// The process running it (see [`crate::instance`]).
    pub owner: String,
    /// The acting party ([`crate::auth::Principal::acting_party`]).
    pub scope: String,
    pub key: String,
    pub hash: String,
}

impl KeyUse {
    /// The key a handler requires (a 400 without one), fingerprinted by path and JSON body.
    pub fn required(
        req: &actix_web::HttpRequest,
        who: &crate::auth::Principal,
        body: &impl serde::Serialize,
    ) -> Result<Self, ApiError> {
        let key = req
            .headers()
            .get(HEADER)
            .map(|v| v.to_str().unwrap_or_default())
            .ok_or_else(|| ApiError::new(ErrorCode::IdempotencyKeyRequired, "send an Idempotency-Key"))?;
        check_key(key)?;
        let mut hasher = Sha256::new();
        hasher.update(req.path());
        hasher.update([0]);
        hasher.update(serde_json::to_vec(body).map_err(ApiError::internal)?);
        let db = req
            .app_data::<web::Data<Db>>()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("Db missing from app data")))?;
        Ok(Self {
            now: db.clock().now(),
            owner: db.instance().to_owned(),
            scope: who.acting_party(),
            key: key.to_owned(),
            hash: hex::encode(hasher.finalize()),
        })
    }
}

/// What the store says about a key when a request arrives.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// First use: run the request.
    New,
    /// The request made `resource` and stopped before its answer (its process died, or it let the
    /// key go after a provider failure): finish it on that resource.
    Resume { resource: String },
    /// Already answered: replay this.
    Replay { status: u16, body: Vec<u8> },
    /// Used before with a different request.
    Mismatch,
    /// The first request is still running.
    InFlight,
}

/// Keys past retention; an unanswered one that names a resource stays, to be resumed.
#[diesel::dsl::auto_type]
fn expired(before: chrono::NaiveDateTime) -> _ {
    ik::created_at.lt(before).and(ik::response_status.is_not_null().or(ik::resource_id.is_null()))
}

/// Claims the key for a request; `resource` is what the request makes in this transaction, if a
/// retry must finish on it rather than make another (a payment before the provider is called).
pub fn claim(conn: &mut DbConnection, request: &KeyUse, resource: Option<&str>) -> Result<Claim, DbError> {
    let KeyUse { now, owner, scope, key, hash } = request;
    let expired_before = *now - chrono::Duration::hours(RETENTION_HOURS);
    diesel::delete(ik::table.find((scope, key)).filter(expired(expired_before))).execute(conn)?;
    let inserted = crate::db::insert_if_new(conn, |conn| {
        diesel::insert_into(ik::table)
            .values((
                ik::scope.eq(scope),
                ik::key.eq(key),
                ik::request_hash.eq(hash),
                ik::created_at.eq(now),
                ik::owner.eq(owner),
                ik::resource_id.eq(resource),
            ))
            .execute(conn)
    });
    if inserted? {
        return Ok(Claim::New);
    }
    let (stored_hash, status, body, running_on, made) = ik::table
        .find((scope, key))
        .select((ik::request_hash, ik::response_status, ik::response_body, ik::owner, ik::resource_id))
        .first::<(String, Option<i32>, Option<Vec<u8>>, Option<String>, Option<String>)>(conn)?;
    if stored_hash != *hash {
        return Ok(Claim::Mismatch);
    }
    if let Some(status) = status {
        return Ok(Claim::Replay { status: u16::try_from(status).unwrap_or(500), body: body.unwrap_or_default() });
    }
    if crate::instance::still_running(conn, *now, owner, running_on.as_deref())? {
        return Ok(Claim::InFlight);
    }
    // The process running it died, or let it go: without a resource nothing was committed, so it
    // runs anew; with one, it is finished on that resource.
    let unanswered = ik::table.find((scope, key)).filter(ik::response_status.is_null());
    let take_over = (ik::owner.eq(owner), ik::created_at.eq(now));
    // Guarded by the previous owner: of two retries taking over at once, one wins.
    let taken = match running_on.as_deref() {
        Some(dead) => diesel::update(unanswered.filter(ik::owner.eq(dead))).set(take_over).execute(conn)?,
        None => diesel::update(unanswered.filter(ik::owner.is_null())).set(take_over).execute(conn)?,
    };
    Ok(match (taken, made) {
        (1, Some(resource)) => Claim::Resume { resource },
        (1, None) => Claim::New,
        _ => Claim::InFlight,
    })
}

/// Lets an unanswered key go without forgetting it (the provider failed after the resource was
/// made): the retry the 502 invites resumes it at once.
pub fn let_go(conn: &mut DbConnection, scope: &str, key: &str) -> Result<(), DbError> {
    diesel::update(ik::table.find((scope, key)).filter(ik::response_status.is_null()))
        .set(ik::owner.eq(None::<String>))
        .execute(conn)?;
    Ok(())
}

/// Whether a key other than (`scope`, `key`) is still unanswered on `resource`: a second
/// operation on one payment is refused rather than run beside the first.
pub fn another_open_on(conn: &mut DbConnection, resource: &str, scope: &str, key: &str) -> Result<bool, DbError> {
    let open = ik::table
        .filter(ik::resource_id.eq(resource))
        .filter(ik::response_status.is_null())
        .filter(ik::scope.ne(scope).or(ik::key.ne(key)))
        .count()
        .get_result::<i64>(conn)?;
    Ok(open > 0)
}

/// Answers every key still open on `resource` (a refund the reconciler finished), so that their
/// retries replay the outcome.
pub fn complete_open_on(conn: &mut DbConnection, resource: &str, status: u16, body: &[u8]) -> Result<(), DbError> {
    diesel::update(ik::table.filter(ik::resource_id.eq(resource)).filter(ik::response_status.is_null()))
        .set((ik::response_status.eq(i32::from(status)), ik::response_body.eq(body)))
        .execute(conn)?;
    Ok(())
}

/// Keeps the response for replays.
pub fn complete(conn: &mut DbConnection, scope: &str, key: &str, status: u16, body: &[u8]) -> Result<(), DbError> {
    diesel::update(ik::table.find((scope, key)))
        .set((ik::response_status.eq(i32::from(status)), ik::response_body.eq(body)))
        .execute(conn)?;
    Ok(())
}

/// A request running under a key, as a handler sees it: [`complete`](Self::complete) records the
/// answer inside the transaction that makes the request's effect. Without a key it does nothing.
#[derive(Clone, Default)]
pub struct IdempotentRequest(Option<Claimed>);

#[derive(Clone)]
struct Claimed {
    scope: String,
    key: String,
    completed: Arc<AtomicBool>,
}

impl IdempotentRequest {
    /// Keeps `body` as the answer with `status`; call in the transaction of the effect.
    pub fn complete(
        &self,
        conn: &mut DbConnection,
        status: StatusCode,
        body: &impl serde::Serialize,
    ) -> Result<(), DbError> {
        let Some(claimed) = &self.0 else { return Ok(()) };
        let bytes = serde_json::to_vec(body).map_err(|e| DbError::Migration(format!("unserializable answer: {e}")))?;
        complete(conn, &claimed.scope, &claimed.key, status.as_u16(), &bytes)?;
        claimed.completed.store(true, Ordering::SeqCst);
        Ok(())
    }
}

impl FromRequest for IdempotentRequest {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self(req.extensions().get::<Claimed>().cloned())))
    }
}

/// Forgets a key whose request failed on our side, so that a retry runs again.
pub fn release(conn: &mut DbConnection, scope: &str, key: &str) -> Result<(), DbError> {
    diesel::delete(ik::table.find((scope, key))).execute(conn)?;
    Ok(())
}

/// Deletes keys past their retention at `now`; run periodically.
pub fn purge_expired(conn: &mut DbConnection, now: chrono::NaiveDateTime) -> Result<usize, DbError> {
    let expired_before = now - chrono::Duration::hours(RETENTION_HOURS);
    Ok(diesel::delete(ik::table.filter(expired(expired_before))).execute(conn)?)
}

/// The request's fingerprint: method, path with query, and body.
fn fingerprint(req: &ServiceRequest, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update([0]);
    hasher.update(req.uri().path_and_query().map_or("", |p| p.as_str()));
    hasher.update([0]);
    hasher.update(body);
    hex::encode(hasher.finalize())
}

/// The stored answer to an earlier request with the same key, marked as a replay.
pub fn replay(status: u16, body: Vec<u8>) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() { "application/json" } else { "application/problem+json" };
    HttpResponse::build(status).content_type(content_type).insert_header((REPLAYED_HEADER, "true")).body(body)
}

fn problem(req: ServiceRequest, error: ApiError) -> ServiceResponse<BoxBody> {
    req.into_response(error.error_response())
}

/// Middleware applying the rules above to every POST that carries the header.
pub async fn idempotent_posts(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let key = match req.headers().get(HEADER) {
        Some(value) if req.method() == Method::POST => value.to_str().unwrap_or_default().to_owned(),
        _ => return Ok(next.call(req).await?.map_into_boxed_body()),
    };
    let (Some(db), Some(verifier)) =
        (req.app_data::<web::Data<Db>>().cloned(), req.app_data::<web::Data<TokenVerifier>>().cloned())
    else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    // Unauthenticated requests go on to be refused by the handler; nothing is kept for them.
    let Ok(principal) = verifier.authenticate(req.request()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if let Err(error) = check_key(&key) {
        return Ok(problem(req, error));
    }
    let scope = principal.acting_party();
    let body = match req.extract::<web::Bytes>().await {
        Ok(body) => body,
        Err(e) if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Ok(problem(req, ApiError::new(ErrorCode::PayloadTooLarge, "the request body is too large")));
        }
        Err(e) => return Ok(problem(req, ApiError::malformed(e.to_string()))),
    };
    let hash = fingerprint(&req, &body);

    let claimed = {
        let request = KeyUse {
            now: db.clock().now(),
            owner: db.instance().to_owned(),
            scope: scope.clone(),
            key: key.clone(),
            hash,
        };
        db.transaction(move |conn| claim(conn, &request, None)).await
    };
    match claimed.map_err(ApiError::from) {
        Err(e) => return Ok(problem(req, e)),
        Ok(Claim::Mismatch) => {
            return Ok(problem(req, ApiError::bare(ErrorCode::IdempotencyKeyReused)));
        }
        Ok(Claim::InFlight) => return Ok(problem(req, ApiError::bare(ErrorCode::IdempotencyInFlight))),
        Ok(Claim::Replay { status, body }) => return Ok(req.into_response(replay(status, body))),
        // Without a resource there is nothing to resume: the request runs.
        Ok(Claim::New | Claim::Resume { .. }) => {}
    }

    req.set_payload(Payload::from(body));
    let completed = Arc::new(AtomicBool::new(false));
    req.extensions_mut().insert(Claimed { scope: scope.clone(), key: key.clone(), completed: completed.clone() });
    let outcome = next.call(req).await;
    let response = match outcome {
        Ok(response) => response,
        Err(e) => {
            let (scope, key) = (scope.clone(), key.clone());
            let _ = db.transaction(move |conn| release(conn, &scope, &key)).await;
            return Err(e);
        }
    };
    let status = response.status();
    // Recorded with the effect, in the handler's transaction — unless that transaction failed
    // after recording it (a 5xx): then it was rolled back with the effect and the key is let go.
    let retryable = status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS;
    if completed.load(Ordering::SeqCst) && !retryable {
        return Ok(response.map_into_boxed_body());
    }
    let (http_req, http_res) = response.into_parts();
    let (http_res, body) = http_res.into_parts();
    let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
    let stored = {
        let bytes = bytes.clone();
        db.transaction(move |conn| {
            if retryable { release(conn, &scope, &key) } else { complete(conn, &scope, &key, status.as_u16(), &bytes) }
        })
        .await
    };
    if let Err(e) = stored {
        tracing::error!(error.cause = %e, "could not record an idempotent response");
    }
    Ok(ServiceResponse::new(http_req, http_res.set_body(BoxBody::new(bytes))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        store_test,
        testing::{TestDatabase, settings},
    };

    async fn db(backend: crate::testing::TestBackend) -> Option<(Db, TestDatabase)> {
        let test_db = TestDatabase::create(backend, "platform")?;
        let mut settings = settings(&test_db.url).database;
        settings.pool_size = 2;
        Some((Db::connect(&settings, &[]).await.unwrap(), test_db))
    }

    store_test!(x4_a_key_is_new_then_in_flight_then_replayed, |backend| async move {
        let Some((db, _guard)) = db(backend).await else { return };
        let outcome = db
            .run(|conn| {
                let first = claim(conn, &use_of("me", "supplier:s1", "k", "hash-a"), None)?;
                let while_running = claim(conn, &use_of("me", "supplier:s1", "k", "hash-a"), None)?;
                let other_body = claim(conn, &use_of("me", "supplier:s1", "k", "hash-b"), None)?;
                let other_caller = claim(conn, &use_of("me", "supplier:s2", "k", "hash-b"), None)?;
                complete(conn, "supplier:s1", "k", 201, b"{}")?;
                let replay = claim(conn, &use_of("me", "supplier:s1", "k", "hash-a"), None)?;
                Ok::<_, DbError>((first, while_running, other_body, other_caller, replay))
            })
            .await
            .unwrap();
        assert_eq!(outcome.0, Claim::New);
        assert_eq!(outcome.1, Claim::InFlight);
        assert_eq!(outcome.2, Claim::Mismatch);
        assert_eq!(outcome.3, Claim::New, "keys are scoped to the caller");
        assert_eq!(outcome.4, Claim::Replay { status: 201, body: b"{}".to_vec() });
    });

    fn use_of(owner: &str, scope: &str, key: &str, hash: &str) -> KeyUse {
        KeyUse { now: crate::db::now(), owner: owner.into(), scope: scope.into(), key: key.into(), hash: hash.into() }
    }

    // Issue 8, finding 1: a key whose process died between the effect and its answer answered 409
    // for 24 hours.
    store_test!(x4_a_key_left_by_a_dead_process_is_taken_over_at_once, |backend| async move {
        let Some((db, _guard)) = db(backend).await else { return };
        let outcome = db
            .run(|conn| {
                claim(conn, &use_of("crashed", "op:o", "k", "h"), None)?;
                crate::instance::beat(conn, "alive", crate::db::now())?;
                claim(conn, &use_of("alive", "op:o", "k2", "h"), None)?;
                let over_dead = claim(conn, &use_of("me", "op:o", "k", "h"), None)?;
                let over_live = claim(conn, &use_of("me", "op:o", "k2", "h"), None)?;
                let again_by_me = claim(conn, &use_of("me", "op:o", "k", "h"), None)?;
                Ok::<_, DbError>((over_dead, over_live, again_by_me))
            })
            .await
            .unwrap();
        assert_eq!(outcome, (Claim::New, Claim::InFlight, Claim::InFlight));
    });

    store_test!(x4_a_released_or_expired_key_runs_again, |backend| async move {
        let Some((db, _guard)) = db(backend).await else { return };
        let outcome = db
            .run(|conn| {
                claim(conn, &use_of("me", "op:o", "k", "h"), None)?;
                release(conn, "op:o", "k")?;
                let after_release = claim(conn, &use_of("me", "op:o", "k", "h"), None)?;
                complete(conn, "op:o", "k", 200, b"old")?;
                let long_ago = crate::db::now() - chrono::Duration::hours(RETENTION_HOURS + 1);
                diesel::update(ik::table.find(("op:o", "k"))).set(ik::created_at.eq(long_ago)).execute(conn)?;
                let after_expiry = claim(conn, &use_of("me", "op:o", "k", "other"), None)?;
                let purged = purge_expired(conn, crate::db::now())?;
                Ok::<_, DbError>((after_release, after_expiry, purged))
            })
            .await
            .unwrap();
        assert_eq!(outcome, (Claim::New, Claim::New, 0));
    });
}
