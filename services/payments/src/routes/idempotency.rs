//! The `Idempotency-Key` every payments POST requires (PRODUCT.md P5), and replays of stored answers.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use platform::{ApiError, ErrorCode, auth::Principal, db::Db};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A caller's key and the fingerprint of its request.
#[derive(Clone)]
pub struct OperationKey {
    /// The process running it (see `platform::instance`).
    pub owner: String,
    /// When the request arrived, by the service's clock.
    pub now: chrono::NaiveDateTime,
    pub scope: String,
    pub key: String,
    pub hash: String,
}

impl OperationKey {
    pub fn new(req: &HttpRequest, who: &Principal, body: &impl Serialize) -> Result<Self, ApiError> {
        let key = req
            .headers()
            .get(platform::idempotency::HEADER)
            .map(|v| v.to_str().unwrap_or_default())
            .ok_or_else(|| ApiError::new(ErrorCode::IdempotencyKeyRequired, "send an Idempotency-Key"))?;
        platform::idempotency::check_key(key)?;
        let mut hasher = Sha256::new();
        hasher.update(req.path());
        hasher.update([0]);
        hasher.update(serde_json::to_vec(body).map_err(ApiError::internal)?);
        let (owner, now) = req
            .app_data::<web::Data<Db>>()
            .map(|db| (db.instance().to_owned(), db.clock().now()))
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("Db missing from app data")))?;
        Ok(Self { owner, now, scope: who.acting_party(), key: key.to_owned(), hash: hex::encode(hasher.finalize()) })
    }
}

/// The stored answer to an earlier request with the same key.
pub fn replay(status: u16, body: String) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    HttpResponse::build(status)
        .content_type("application/json")
        .insert_header((platform::idempotency::REPLAYED_HEADER, "true"))
        .body(body)
}

/// A fresh answer, as stored for replays.
pub fn answer(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status).content_type("application/json").body(body)
}

/// The provider failed: the operation stays open, let go, so that a retry with the same key
/// resumes it at once.
pub async fn provider_failed(db: &Db, op: &OperationKey, e: crate::provider::ProviderError) -> ApiError {
    tracing::warn!(error.cause = %e, "provider call failed");
    let (scope, key) = (op.scope.clone(), op.key.clone());
    if let Err(e) = db.run(move |conn| crate::db::operations::release(conn, &scope, &key)).await {
        return e;
    }
    ApiError::new(ErrorCode::BadGateway, "the payment provider failed; retry with the same Idempotency-Key")
}
