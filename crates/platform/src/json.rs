//! A JSON body extractor whose errors name the field (PRODUCT.md X2): a value of the wrong type
//! at `list_price.amount` is a 422 saying so, not a parser position. Syntax errors are a 400, a
//! body over the limit a 413, another content type a 415.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::StatusCode, web};
use domain::Violations;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode};

/// A request body of type `T`, deserialized with the path of any failing field.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(mime) = req.mime_type().ok().flatten() else { return false };
    mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json")
}

/// Parses `bytes` as `T`, mapping failures to problems.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_data() {
            let mut v = Violations::new();
            let field = if path == "." { String::new() } else { path };
            v.add(field, strip_position(&inner.to_string()));
            ApiError::from(v)
        } else {
            ApiError::malformed(format!("the body is not valid JSON: {inner}"))
        }
    })
}

/// serde_json appends " at line L column C", which means nothing to the client once the field is named.
fn strip_position(message: &str) -> String {
    message.rsplit_once(" at line ").map_or(message, |(head, _)| head).to_owned()
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::new(ErrorCode::UnsupportedMediaType, "send Content-Type: application/json"));
            }
            let bytes = body.await.map_err(|e| {
                if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(ErrorCode::PayloadTooLarge, "the request body is too large")
                } else {
                    ApiError::malformed(e.to_string())
                }
            })?;
            parse(&bytes).map(Json)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        price: Price,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Price {
        amount: String,
    }

    #[test]
    fn x2_type_errors_name_the_field() {
        let err = parse::<Body>(br#"{"price": {"amount": 1.5}}"#).unwrap_err();
        let problem = err.problem();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].field, "price.amount");
        assert_eq!(problem.errors[0].message, "invalid type: floating point `1.5`, expected a string");
    }

    #[test]
    fn x2_syntax_errors_are_malformed_requests() {
        assert_eq!(parse::<Body>(br#"{"price": "#).unwrap_err().code(), ErrorCode::MalformedRequest);
    }
}
