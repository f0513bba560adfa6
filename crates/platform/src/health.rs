//! Liveness and readiness probes (PRODUCT.md X6).

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    db::Db,
    error::{ApiError, ErrorCode},
};

#[derive(Serialize, ToSchema)]
pub struct HealthResponse {
    /// Always `ok` when the probe passes.
    pub status: &'static str,
}

/// The process is up and serving HTTP.
#[utoipa::path(tag = "health", responses((status = 200, body = HealthResponse)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse { status: "ok" })
}

/// The database answers and every migration is applied.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, body = HealthResponse),
        (status = 503, description = "Not ready", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/health/ready")]
pub async fn ready(db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    match db.check_ready().await {
        Ok(()) => Ok(HttpResponse::Ok().json(HealthResponse { status: "ok" })),
        Err(e) => {
            tracing::warn!(error.cause = %e, "not ready");
            Err(ApiError::new(ErrorCode::Unavailable, "database unavailable or migrations pending"))
        }
    }
}
