//! Idempotency for payment operations (PRODUCT.md P5). The key is claimed in the same
//! transaction that creates or reserves the resource, and the response is stored in the same
//! transaction that records the provider's answer: a key names one movement, whatever happens.
//!
//! An operation left unanswered is resumed by the retry at once when the process running it died
//! (no heartbeat, see `platform::instance`) or let it go after a provider failure; while a live
//! process runs it, the retry answers 409.

use diesel::prelude::*;
use platform::{ApiError, ErrorCode, db::DbConnection};

use super::schema::operations as ops;

/// What the store says about a key.
pub enum Claim {
    /// First use: go on, the key now names `resource_id`.
    New,
    /// An earlier attempt stopped half-way: finish it on `resource_id`.
    Resume { resource_id: String },
    /// Already answered.
    Replay { status: u16, body: String },
}

/// Claims `key` for a request with fingerprint `hash` acting on `resource_id`, for the process
/// `owner`, at `now`.
pub fn claim(
    conn: &mut DbConnection,
    now: chrono::NaiveDateTime,
    owner: &str,
    scope: &str,
    key: &str,
    hash: &str,
    resource: impl std::fmt::Display,
) -> Result<Claim, ApiError> {
    let resource_id = resource.to_string();
    let inserted = platform::db::insert_if_new(conn, |conn| {
        diesel::insert_into(ops::table)
            .values((
                ops::scope.eq(scope),
                ops::key.eq(key),
                ops::request_hash.eq(hash),
                ops::resource_id.eq(&resource_id),
                ops::created_at.eq(now),
                ops::owner.eq(owner),
            ))
            .execute(conn)
    });
    if inserted? {
        return Ok(Claim::New);
    }
    let (stored_hash, resource, status, body, running_on) = ops::table
        .find((scope, key))
        .select((ops::request_hash, ops::resource_id, ops::response_status, ops::response_body, ops::owner))
        .first::<(String, String, Option<i32>, Option<String>, Option<String>)>(conn)?;
    if stored_hash != hash {
        return Err(ApiError::bare(ErrorCode::IdempotencyKeyReused));
    }
    if let (Some(status), Some(body)) = (status, body) {
        return Ok(Claim::Replay { status: u16::try_from(status).unwrap_or(500), body });
    }
    if platform::instance::still_running(conn, now, owner, running_on.as_deref())? {
        return Err(ApiError::bare(ErrorCode::IdempotencyInFlight));
    }
    let unanswered = ops::table.find((scope, key)).filter(ops::response_status.is_null());
    // Guarded by the previous owner: of two retries resuming at once, one wins.
    let taken = match running_on.as_deref() {
        Some(dead) => diesel::update(unanswered.filter(ops::owner.eq(dead))).set(ops::owner.eq(owner)).execute(conn)?,
        None => diesel::update(unanswered.filter(ops::owner.is_null())).set(ops::owner.eq(owner)).execute(conn)?,
    };
    if taken == 1 {
        Ok(Claim::Resume { resource_id: resource })
    } else {
        Err(ApiError::bare(ErrorCode::IdempotencyInFlight))
    }
}

/// Lets an unanswered operation go (the provider failed): the retry the 502 invites resumes it
/// at once.
pub fn release(conn: &mut DbConnection, scope: &str, key: &str) -> Result<(), ApiError> {
    diesel::update(ops::table.find((scope, key)).filter(ops::response_status.is_null()))
        .set(ops::owner.eq(None::<String>))
        .execute(conn)?;
    Ok(())
}

/// Whether an operation other than (`scope`, `key`) is still unanswered on `resource_id`.
pub fn another_open_on(
    conn: &mut DbConnection,
    resource: impl std::fmt::Display,
    scope: &str,
    key: &str,
) -> Result<bool, ApiError> {
    let resource_id = resource.to_string();
    let open = ops::table
        .filter(ops::resource_id.eq(resource_id))
        .filter(ops::response_status.is_null())
        .filter(ops::scope.ne(scope).or(ops::key.ne(key)))
        .count()
        .get_result::<i64>(conn)?;
    Ok(open > 0)
}

/// Stores the answer; call in the transaction that records the outcome.
pub fn finish(conn: &mut DbConnection, scope: &str, key: &str, status: u16, body: &str) -> Result<(), ApiError> {
    diesel::update(ops::table.find((scope, key)))
        .set((ops::response_status.eq(i32::from(status)), ops::response_body.eq(body)))
        .execute(conn)?;
    Ok(())
}

/// Answers every operation still open on `resource_id` (a refund the reconciler finished), so
/// that the caller's retry replays the answer.
pub fn finish_open_on(
    conn: &mut DbConnection,
    resource: impl std::fmt::Display,
    status: u16,
    body: &str,
) -> Result<(), ApiError> {
    diesel::update(ops::table.filter(ops::resource_id.eq(resource.to_string())).filter(ops::response_status.is_null()))
        .set((ops::response_status.eq(i32::from(status)), ops::response_body.eq(body)))
        .execute(conn)?;
    Ok(())
}
