//! Idempotency for payment operations (PRODUCT.md P5), on the platform's one key store: the key
//! is claimed in the transaction that creates or reserves the resource (the payment, the refund),
//! and answered in the transaction that records the provider's answer, so a key names one
//! movement whatever happens. A retry after a crash or a provider failure resumes on the same
//! resource, so the provider sees the same idempotency key and never moves money twice.

use platform::{
    ApiError, ErrorCode,
    db::DbConnection,
    idempotency::{self, KeyUse},
};

/// What the store says about a key.
pub enum Claim {
    /// First use: go on, the key now names the resource.
    New,
    /// An earlier attempt stopped half-way: finish it on `resource_id`.
    Resume { resource_id: String },
    /// Already answered.
    Replay { status: u16, body: Vec<u8> },
}

/// Claims the request's key for an operation on `resource`.
pub fn claim(conn: &mut DbConnection, op: &KeyUse, resource: impl std::fmt::Display) -> Result<Claim, ApiError> {
    Ok(match idempotency::claim(conn, op, Some(&resource.to_string()))? {
        idempotency::Claim::New => Claim::New,
        idempotency::Claim::Resume { resource } => Claim::Resume { resource_id: resource },
        idempotency::Claim::Replay { status, body } => Claim::Replay { status, body },
        idempotency::Claim::Mismatch => return Err(ApiError::bare(ErrorCode::IdempotencyKeyReused)),
        idempotency::Claim::InFlight => return Err(ApiError::bare(ErrorCode::IdempotencyInFlight)),
    })
}

/// Stores the answer; call in the transaction that records the outcome.
pub fn finish(conn: &mut DbConnection, op: &KeyUse, status: u16, body: &str) -> Result<(), ApiError> {
    Ok(idempotency::complete(conn, &op.scope, &op.key, status, body.as_bytes())?)
}

/// Whether another operation is still unanswered on `resource`.
pub fn another_open_on(
    conn: &mut DbConnection,
    resource: impl std::fmt::Display,
    op: &KeyUse,
) -> Result<bool, ApiError> {
    Ok(idempotency::another_open_on(conn, &resource.to_string(), &op.scope, &op.key)?)
}

/// Answers every operation still open on `resource` (a refund the reconciler finished).
pub fn finish_open_on(
    conn: &mut DbConnection,
    resource: impl std::fmt::Display,
    status: u16,
    body: &str,
) -> Result<(), ApiError> {
    Ok(idempotency::complete_open_on(conn, &resource.to_string(), status, body.as_bytes())?)
}
