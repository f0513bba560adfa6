//! Request ids and W3C trace context (PRODUCT.md X6). Each request gets the caller's
//! `x-request-id` (or a new one) and joins the caller's trace from `traceparent` (or starts one);
//! both go into the request's log span, back in the response, and onto outgoing calls.

use std::time::Instant;

use actix_web::{
    Error, FromRequest, HttpMessage, HttpRequest,
    body::MessageBody,
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::header::{HeaderMap, HeaderName, HeaderValue},
    middleware::Next,
};
use tracing::Instrument;

pub const REQUEST_ID: &str = "x-request-id";
pub const TRACEPARENT: &str = "traceparent";

/// Who asked, for logs and for calls this request makes to other services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    pub request_id: String,
    /// 32 hex digits, shared by every hop of one trace.
    pub trace_id: String,
    /// 16 hex digits naming this service's part of the trace.
    pub span_id: String,
    pub sampled: bool,
}

impl RequestContext {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let request_id = headers
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
            .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        let parent = headers.get(TRACEPARENT).and_then(|v| v.to_str().ok()).and_then(parse_traceparent);
        let (trace_id, sampled) = parent.unwrap_or_else(|| (random_hex(16), true));
        Self { request_id, trace_id, span_id: random_hex(8), sampled }
    }

    /// The `traceparent` for a call made on behalf of this request: same trace, this span as parent.
    pub fn traceparent(&self) -> String {
        format!("00-{}-{}-{}", self.trace_id, self.span_id, if self.sampled { "01" } else { "00" })
    }

    /// Adds the request id and trace context to an outgoing call.
    pub fn propagate(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.header(REQUEST_ID, &self.request_id).header(TRACEPARENT, self.traceparent())
    }
}

/// Parses `00-<trace-id>-<parent-id>-<flags>`; an all-zero id or another version is ignored.
fn parse_traceparent(value: &str) -> Option<(String, bool)> {
    let mut parts = value.trim().split('-');
    let (version, trace_id, parent_id, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let valid = version == "00"
        && parts.next().is_none()
        && hex(trace_id, 32)
        && hex(parent_id, 16)
        && hex(flags, 2)
        && trace_id.bytes().any(|b| b != b'0')
        && parent_id.bytes().any(|b| b != b'0');
    let sampled = u8::from_str_radix(flags, 16).ok()? & 1 == 1;
    valid.then(|| (trace_id.to_owned(), sampled))
}

fn random_hex(bytes: usize) -> String {
    let random = uuid::Uuid::new_v4().into_bytes();
    hex::encode(&random[..bytes.min(16)])
}

/// Middleware: attaches a [`RequestContext`], runs the request in a span carrying it, logs the
/// outcome with its duration, and echoes the ids in the response.
pub async fn trace_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let ctx = RequestContext::from_headers(req.headers());
    let span = tracing::info_span!(
        "http.request",
        http.method = %req.method(),
        http.path = %req.path(),
        request.id = %ctx.request_id,
        trace.id = %ctx.trace_id,
    );
    req.extensions_mut().insert(ctx.clone());
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    let status = res.status().as_u16();
    span.in_scope(|| {
        tracing::info!(http.status = status, duration_ms = started.elapsed().as_millis() as u64, "request done");
    });
    let headers = res.headers_mut();
    for (name, value) in [(REQUEST_ID, ctx.request_id.clone()), (TRACEPARENT, ctx.traceparent())] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    Ok(res)
}

impl FromRequest for RequestContext {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ctx = req.extensions().get::<RequestContext>().cloned();
        std::future::ready(Ok(ctx.unwrap_or_else(|| RequestContext::from_headers(req.headers()))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(HeaderName::from_static(k), HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn x6_joins_the_callers_trace_with_a_new_span() {
        let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let ctx = RequestContext::from_headers(&headers(&[(TRACEPARENT, incoming), (REQUEST_ID, "req-1")]));
        assert_eq!(ctx.request_id, "req-1");
        assert_eq!(ctx.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        let outgoing = ctx.traceparent();
        assert!(outgoing.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
        assert_ne!(outgoing, incoming, "the outgoing parent is this service's span");
        assert!(parse_traceparent(&outgoing).is_some());
    }

    #[test]
    fn x6_outgoing_calls_carry_the_request_id_and_trace() {
        let ctx = RequestContext::from_headers(&headers(&[(REQUEST_ID, "req-7")]));
        let request = ctx.propagate(reqwest::Client::new().get("http://127.0.0.1:1/")).build().unwrap();
        assert_eq!(request.headers()[REQUEST_ID], "req-7");
        assert_eq!(request.headers()[TRACEPARENT].to_str().unwrap(), ctx.traceparent());
    }

    #[test]
    fn x6_invalid_trace_context_starts_a_new_trace() {
        for bad in [
            "garbage",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            let ctx = RequestContext::from_headers(&headers(&[(TRACEPARENT, bad)]));
            assert_eq!(ctx.trace_id.len(), 32);
            assert_ne!(ctx.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        }
    }
}
