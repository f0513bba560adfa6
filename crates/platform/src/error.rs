//! RFC 9457 problem+json errors. Every error code, its HTTP status and its title are declared once,
//! in [`ErrorCode`]'s table; the `type` of a problem is stable and derived from the code.
//! A 5xx never carries its cause in the body: the cause is logged once, here.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use domain::{FieldError, Violations};
use serde::Serialize;
use utoipa::ToSchema;

macro_rules! error_codes {
    ($($variant:ident => ($status:ident, $slug:literal, $title:literal),)*) => {
        /// A stable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $($variant,)* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status,)* }
            }

            /// The last segment of the problem `type`.
            pub fn slug(self) -> &'static str {
                match self { $(ErrorCode::$variant => $slug,)* }
            }

            pub fn title(self) -> &'static str {
                match self { $(ErrorCode::$variant => $title,)* }
            }
        }
    };
}

error_codes! {
    MalformedRequest => (BAD_REQUEST, "malformed-request", "The request could not be read"),
    IdempotencyKeyRequired => (BAD_REQUEST, "idempotency-key-required", "This request needs an Idempotency-Key header"),
    InvalidSignature => (BAD_REQUEST, "invalid-signature", "The webhook signature is missing, wrong or stale"),
    Unauthenticated => (UNAUTHORIZED, "unauthenticated", "A valid bearer token is required"),
    Forbidden => (FORBIDDEN, "forbidden", "This caller may not do this"),
    NotFound => (NOT_FOUND, "not-found", "No such resource"),
    MethodNotAllowed => (METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed on this resource"),
    Conflict => (CONFLICT, "conflict", "The request conflicts with the resource's state"),
    IdempotencyInFlight => (CONFLICT, "idempotency-in-flight", "A request with this Idempotency-Key is still being processed"),
    StillOpen => (CONFLICT, "still-open", "Money for this is still moving; retry shortly"),
    TooManyRequests => (TOO_MANY_REQUESTS, "too-many-requests", "Too many requests; retry after the Retry-After seconds"),
    PayloadTooLarge => (PAYLOAD_TOO_LARGE, "payload-too-large", "The request body is too large"),
    UnsupportedMediaType => (UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "The request body must be application/json"),
    ValidationFailed => (UNPROCESSABLE_ENTITY, "validation-failed", "The request has invalid fields"),
    IdempotencyKeyReused => (UNPROCESSABLE_ENTITY, "idempotency-key-reused", "This Idempotency-Key was used with a different request"),
    Internal => (INTERNAL_SERVER_ERROR, "internal", "Internal server error"),
    BadGateway => (BAD_GATEWAY, "provider-unavailable", "An upstream provider failed; retry with the same Idempotency-Key"),
    Unavailable => (SERVICE_UNAVAILABLE, "unavailable", "The service is not ready"),
}

/// Where problem types live; the slug is appended.
pub const PROBLEM_TYPE_BASE: &str = "https://groupbuy.dev/problems/";

/// The problem+json body (RFC 9457), with per-field errors for validation problems.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A stable URI naming the kind of problem.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// One entry per rejected field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<ProblemFieldError>)]
    pub errors: Vec<FieldError>,
}

/// A field that failed validation.
#[derive(ToSchema)]
#[expect(dead_code, reason = "documents domain::FieldError's wire form for OpenAPI")]
pub struct ProblemFieldError {
    /// Path of the field, such as `tiers[1].unit_price`.
    field: String,
    message: String,
}

/// An error a handler returns; renders as problem+json.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    detail: Option<String>,
    errors: Vec<FieldError>,
    cause: Option<anyhow::Error>,
    /// Seconds to wait, for a 429.
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self { code, detail: Some(detail.into()), errors: Vec::new(), cause: None, retry_after: None }
    }

    pub fn bare(code: ErrorCode) -> Self {
        Self { code, detail: None, errors: Vec::new(), cause: None, retry_after: None }
    }

    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} does not exist"))
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, detail)
    }

    /// A 429 telling the client to wait `secs` seconds.
    pub fn rate_limited(detail: impl Into<String>, secs: u64) -> Self {
        Self { retry_after: Some(secs.max(1)), ..Self::new(ErrorCode::TooManyRequests, detail) }
    }

    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::MalformedRequest, detail)
    }

    /// A 422 for one field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut v = Violations::new();
        v.add(field, message);
        Self::from(v)
    }

    /// A 500 whose cause is logged, never shown.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self {
            code: ErrorCode::Internal,
            detail: None,
            errors: Vec::new(),
            cause: Some(cause.into()),
            retry_after: None,
        }
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn problem(&self) -> Problem {
        let server_error = self.code.status().is_server_error();
        Problem {
            type_: format!("{PROBLEM_TYPE_BASE}{}", self.code.slug()),
            title: self.code.title().to_owned(),
            status: self.code.status().as_u16(),
            detail: if server_error { None } else { self.detail.clone() },
            errors: self.errors.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code.slug())?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl From<Violations> for ApiError {
    fn from(v: Violations) -> Self {
        Self {
            code: ErrorCode::ValidationFailed,
            detail: Some(v.to_string()),
            errors: v.errors().to_vec(),
            cause: None,
            retry_after: None,
        }
    }
}

/// Seconds a client is told to wait before retrying a 503.
pub const RETRY_AFTER_SECS: u32 = 1;

impl ApiError {
    /// A 503: the store is out of reach; the cause is logged, the client told to retry.
    pub fn unavailable(cause: impl Into<anyhow::Error>) -> Self {
        Self {
            code: ErrorCode::Unavailable,
            detail: Some("the service's store is unavailable; retry shortly".to_owned()),
            errors: Vec::new(),
            cause: Some(cause.into()),
            retry_after: None,
        }
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> Self {
        if e.is_unavailable() { Self::unavailable(e) } else { Self::internal(e) }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        if crate::db::is_lost_connection(&e) { Self::unavailable(e) } else { Self::internal(e) }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.cause {
            tracing::error!(error.code = self.code.slug(), error.cause = format!("{cause:#}"), "request failed");
        }
        let mut response = HttpResponse::build(self.code.status());
        if self.code == ErrorCode::Unauthenticated {
            response.insert_header(("www-authenticate", "Bearer"));
        }
        if self.code == ErrorCode::Unavailable {
            response.insert_header(("retry-after", RETRY_AFTER_SECS.to_string()));
        }
        if let Some(secs) = self.retry_after {
            response.insert_header(("retry-after", secs.to_string()));
        }
        response.content_type("application/problem+json").json(self.problem())
    }
}

impl ErrorCode {
    /// The code the platform answers with for a bare HTTP status (the first in the table).
    pub fn for_status(status: StatusCode) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.status() == status)
    }
}

/// A problem+json body for a status the framework produced on its own (an oversized body on a
/// route that reads raw bytes, a missing static file): `about:blank` when no code has that status.
pub fn problem_for_status(status: StatusCode, detail: Option<String>) -> Problem {
    let detail = detail.filter(|_| !status.is_server_error());
    match ErrorCode::for_status(status) {
        Some(code) => Problem { detail, ..ApiError::bare(code).problem() },
        None => Problem {
            type_: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            errors: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn x2_every_code_has_a_unique_type() {
        let slugs: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.slug()).collect();
        assert_eq!(slugs.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn x2_a_server_error_never_shows_its_cause() {
        let problem = ApiError::internal(anyhow::anyhow!("password=hunter2 at db")).problem();
        assert_eq!(problem.status, 500);
        assert!(problem.detail.is_none());
        assert!(!serde_json::to_string(&problem).unwrap_or_default().contains("hunter2"));
    }
}
