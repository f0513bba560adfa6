//! HTTP caching for reads (RFC 9110, 9111): every successful GET carries an `ETag`, a matching
//! `If-None-Match` gets a bodiless 304, and `HEAD` answers as `GET` would, without the body.
//! Answers to requests without a token may be cached by anyone (`public`), after revalidation;
//! answers to authenticated requests only by the caller (`private`). Streamed answers pass as they
//! are.

use std::hash::Hasher;

use actix_web::{
    Error, HttpResponse,
    body::{BodySize, BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{
        Method, StatusCode,
        header::{self, HeaderValue},
    },
    middleware::Next,
};

const PUBLIC: &str = "public, max-age=0, must-revalidate";
const PRIVATE: &str = "private, no-cache";

/// The middleware; wrap it around the whole app so that `HEAD` is routed as `GET`.
pub async fn conditional_reads(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let head = req.method() == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
    }
    if req.method() != Method::GET {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let public = !req.headers().contains_key(header::AUTHORIZATION);
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let response = next.call(req).await?.map_into_boxed_body();
    if response.status() != StatusCode::OK {
        return Ok(if head { without_body(response) } else { response });
    }
    // A stream (Server-Sent Events, a large download) is passed on as it flows, never buffered.
    if matches!(response.response().body().size(), BodySize::Stream) {
        return Ok(if head { without_body(response) } else { response });
    }
    let (http_req, http_res) = response.into_parts();
    let (mut res, body) = http_res.into_parts();
    let bytes =
        actix_web::body::to_bytes(body).await.map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
    let etag = entity_tag(&bytes);
    let headers = res.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(if public { PUBLIC } else { PRIVATE }));
    if if_none_match.as_deref().is_some_and(|tags| matches(tags, &etag)) {
        let mut not_modified = HttpResponse::NotModified();
        for name in [header::ETAG, header::CACHE_CONTROL] {
            if let Some(value) = res.headers().get(&name) {
                not_modified.insert_header((name, value.clone()));
            }
        }
        return Ok(ServiceResponse::new(http_req, not_modified.finish()));
    }
    let res = if head { res.set_body(BoxBody::new(())) } else { res.set_body(BoxBody::new(bytes)) };
    Ok(ServiceResponse::new(http_req, res))
}

fn without_body(response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    response.map_body(|_, _| BoxBody::new(()))
}

/// A strong validator from the representation's bytes.
fn entity_tag(bytes: &[u8]) -> String {
    // `DefaultHasher::new` has fixed keys: the same body gives the same tag on every replica.
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(bytes);
    format!("\"{:016x}{:x}\"", hasher.finish(), bytes.len())
}

/// Whether an `If-None-Match` list names `etag` (weak comparison, RFC 9110 13.1.2).
fn matches(tags: &str, etag: &str) -> bool {
    tags.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use actix_web::{App, test as http_test, web};

    use super::*;

    #[actix_web::test]
    async fn x1_a_stream_passes_through_untagged_and_a_sized_body_is_tagged() {
        let app = http_test::init_service(
            App::new()
                .wrap(actix_web::middleware::from_fn(conditional_reads))
                .route("/sized", web::get().to(|| async { HttpResponse::Ok().body("{}") }))
                .route(
                    "/stream",
                    web::get().to(|| async {
                        let chunks =
                            futures::stream::iter([Ok::<_, actix_web::Error>(web::Bytes::from_static(b"data: 1\n\n"))]);
                        HttpResponse::Ok().content_type("text/event-stream").streaming(chunks)
                    }),
                ),
        )
        .await;
        let sized = http_test::call_service(&app, http_test::TestRequest::get().uri("/sized").to_request()).await;
        assert!(sized.headers().contains_key(header::ETAG));
        let stream = http_test::call_service(&app, http_test::TestRequest::get().uri("/stream").to_request()).await;
        assert!(!stream.headers().contains_key(header::ETAG));
        assert_eq!(http_test::read_body(stream).await, web::Bytes::from_static(b"data: 1\n\n"));
    }

    #[test]
    fn x1_tags_are_stable_and_lists_match_weakly() {
        let tag = entity_tag(b"{\"items\":[]}");
        assert_eq!(tag, entity_tag(b"{\"items\":[]}"));
        assert_ne!(tag, entity_tag(b"{\"items\":[1]}"));
        assert!(matches(&format!("\"x\", W/{tag}"), &tag));
        assert!(matches("*", &tag));
        assert!(!matches("\"other\"", &tag));
    }
}
