//! Middleware that keeps every answer within the platform's promises: every error is problem+json
//! (PRODUCT.md X2), and `/metrics` is not public unless configured so.

use actix_web::{
    Error, HttpResponse,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{CONTENT_LENGTH, CONTENT_TYPE},
    middleware::Next,
    web,
};

use crate::{
    auth::{Role, TokenVerifier},
    error::{ApiError, ErrorCode, problem_for_status},
};

pub const METRICS_PATH: &str = "/metrics";
const PROBLEM_JSON: &str = "application/problem+json";
/// Framework messages up to this length are kept as the problem's detail.
const MAX_DETAIL: usize = 200;

/// Rewrites error responses the framework made in another format (text/plain, an empty body) as
/// problem+json, keeping the status and headers such as `Allow` and `Retry-After`.
pub async fn problems_only(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let response = next.call(req).await?.map_into_boxed_body();
    let status = response.status();
    let is_problem =
        response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return Ok(response);
    }
    let (http_req, http_res) = response.into_parts();
    let (head, body) = http_res.into_parts();
    let detail = actix_web::body::to_bytes_limited(body, MAX_DETAIL)
        .await
        .ok()
        .and_then(Result::ok)
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
        .filter(|text| !text.trim().is_empty());
    let mut problem = HttpResponse::build(status).content_type(PROBLEM_JSON).json(problem_for_status(status, detail));
    for (name, value) in head.headers() {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH {
            problem.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(http_req, problem))
}

/// Admits `GET /metrics` only with an operator or service token.
pub async fn private_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if req.path() != METRICS_PATH {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let verdict = match req.app_data::<web::Data<TokenVerifier>>() {
        Some(verifier) => verifier.authenticate(req.request()).and_then(|who| {
            if matches!(who.role, Role::Operator | Role::Service) {
                Ok(())
            } else {
                Err(ApiError::forbidden("metrics are for the operator and the services"))
            }
        }),
        None => Err(ApiError::bare(ErrorCode::Unauthenticated)),
    };
    match verdict {
        Ok(()) => Ok(next.call(req).await?.map_into_boxed_body()),
        Err(e) => Ok(req.into_response(actix_web::ResponseError::error_response(&e))),
    }
}
