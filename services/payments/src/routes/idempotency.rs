//! The `Idempotency-Key` every payments POST requires (PRODUCT.md P5): answers as stored for
//! replays, and the 502 that lets a retry resume at once.

use actix_web::{HttpResponse, http::StatusCode};
use platform::{ApiError, ErrorCode, db::Db, idempotency::KeyUse};

/// A fresh answer, as stored for replays.
pub fn answer(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status).content_type("application/json").body(body)
}

/// The provider failed: the operation stays open, let go, so that a retry with the same key
/// resumes it at once.
pub async fn provider_failed(db: &Db, op: &KeyUse, e: crate::provider::ProviderError) -> ApiError {
    tracing::warn!(error.cause = %e, "provider call failed");
    let (scope, key) = (op.scope.clone(), op.key.clone());
    if let Err(e) = db.run(move |conn| platform::idempotency::let_go(conn, &scope, &key)).await {
        return e.into();
    }
    ApiError::new(ErrorCode::BadGateway, "the payment provider failed; retry with the same Idempotency-Key")
}
