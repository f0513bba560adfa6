//! Idempotency for payment operations (PRODUCT.md P5). The key is claimed in the same
//! transaction that creates or reserves the resource, and the response is stored in the same
//! transaction that records the provider's answer: a key names one movement, whatever happens.

use diesel::prelude::*;
use platform::{ApiError, ErrorCode, db::DbConnection};

use super::schema::operations as ops;

/// An operation left unanswered this long (its process died) is taken up again by a retry.
const RESUME_AFTER_SECS: i64 = 30;

/// What the store says about a key.
pub enum Claim {
    /// First use: go on, the key now names `resource_id`.
    New,
    /// An earlier attempt stopped half-way: finish it on `resource_id`.
    Resume { resource_id: String },
    /// Already answered.
    Replay { status: u16, body: String },
}

/// Claims `key` for a request with fingerprint `hash` acting on `resource_id`.
pub fn claim(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    hash: &str,
    resource_id: &str,
) -> Result<Claim, ApiError> {
    // In a savepoint: on PostgreSQL a failed statement would otherwise abort the whole transaction.
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(ops::table)
            .values((
                ops::scope.eq(scope),
                ops::key.eq(key),
                ops::request_hash.eq(hash),
                ops::resource_id.eq(resource_id),
                ops::created_at.eq(platform::db::now()),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => return Ok(Claim::New),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {}
        Err(e) => return Err(e.into()),
    }
    let (stored_hash, resource, status, body, created_at) = ops::table
        .find((scope, key))
        .select((ops::request_hash, ops::resource_id, ops::response_status, ops::response_body, ops::created_at))
        .first::<(String, String, Option<i32>, Option<String>, chrono::NaiveDateTime)>(conn)?;
    if stored_hash != hash {
        return Err(ApiError::bare(ErrorCode::IdempotencyKeyReused));
    }
    match (status, body) {
        (Some(status), Some(body)) => Ok(Claim::Replay { status: u16::try_from(status).unwrap_or(500), body }),
        _ if platform::db::now() - created_at > chrono::Duration::seconds(RESUME_AFTER_SECS) => {
            Ok(Claim::Resume { resource_id: resource })
        }
        _ => Err(ApiError::bare(ErrorCode::IdempotencyInFlight)),
    }
}

/// Whether an operation other than (`scope`, `key`) is still unanswered on `resource_id`.
pub fn another_open_on(conn: &mut DbConnection, resource_id: &str, scope: &str, key: &str) -> Result<bool, ApiError> {
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
