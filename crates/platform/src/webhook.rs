//! Webhook signatures (PRODUCT.md X3).
//!
//! - [Standard Webhooks](https://www.standardwebhooks.com/) for what groupbuy sends: headers
//!   `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of
//!   "id.timestamp.body">`, keyed by a `whsec_<base64>` secret.
//! - Stripe's `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` for what payment
//!   providers send.
//!
//! Both reject timestamps more than [`TOLERANCE_SECS`] away from now, and compare in constant time.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const TOLERANCE_SECS: i64 = 300;
pub const ID_HEADER: &str = "webhook-id";
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
pub const SIGNATURE_HEADER: &str = "webhook-signature";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing or malformed")]
    Malformed,
    #[error("the timestamp is outside the {TOLERANCE_SECS} s tolerance")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

/// An HMAC key. The two schemes read a `whsec_…` secret differently: Standard Webhooks
/// base64-decodes what follows the prefix, Stripe uses the whole string's bytes.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl SigningKey {
    /// A Standard Webhooks key: `whsec_<base64>` is decoded; any other string is used as it is.
    pub fn standard(secret: &str) -> Self {
        let key = secret.strip_prefix("whsec_").and_then(|b64| STANDARD.decode(b64).ok());
        Self(key.unwrap_or_else(|| secret.as_bytes().to_vec()))
    }

    /// A Stripe endpoint secret: the string's bytes, prefix and all.
    pub fn stripe(secret: &str) -> Self {
        Self(secret.as_bytes().to_vec())
    }

    fn mac(&self, parts: &[&[u8]]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        for part in parts {
            mac.update(part);
        }
        mac
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(…)")
    }
}

fn fresh(timestamp: i64, now: i64) -> Result<(), SignatureError> {
    if (now - timestamp).abs() > TOLERANCE_SECS { Err(SignatureError::Stale) } else { Ok(()) }
}

/// The `webhook-signature` value for a Standard Webhooks message.
pub fn standard_signature(key: &SigningKey, id: &str, timestamp: i64, body: &[u8]) -> String {
    let mac = key.mac(&[id.as_bytes(), b".", timestamp.to_string().as_bytes(), b".", body]);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Verifies a Standard Webhooks message; the signature header may list several signatures.
pub fn verify_standard(
    key: &SigningKey,
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let ts: i64 = timestamp.parse().map_err(|_| SignatureError::Malformed)?;
    fresh(ts, now)?;
    for candidate in signatures.split(' ') {
        let Some(encoded) = candidate.strip_prefix("v1,") else { continue };
        let Ok(bytes) = STANDARD.decode(encoded) else { continue };
        let mac = key.mac(&[id.as_bytes(), b".", timestamp.as_bytes(), b".", body]);
        if mac.verify_slice(&bytes).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureError::Mismatch)
}

/// A new Standard Webhooks secret: `whsec_` and base64 of two v4 UUIDs (244 random bits).
pub fn new_secret() -> String {
    let bytes: Vec<u8> = (0..2).flat_map(|_| *uuid::Uuid::new_v4().as_bytes()).collect();
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// Verifies a Standard Webhooks request as received: its three headers against `body`. The
/// message id it carries, for de-duplication; a request without one is refused as a problem.
pub fn verify_standard_request(
    key: &SigningKey,
    req: &actix_web::HttpRequest,
    body: &[u8],
) -> Result<String, crate::ApiError> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let id = header(ID_HEADER);
    let refused = |e: SignatureError| crate::ApiError::new(crate::ErrorCode::InvalidSignature, e.to_string());
    let now = chrono::Utc::now().timestamp();
    verify_standard(key, &id, &header(TIMESTAMP_HEADER), &header(SIGNATURE_HEADER), body, now).map_err(refused)?;
    if id.is_empty() {
        return Err(crate::ApiError::new(crate::ErrorCode::InvalidSignature, "webhook-id is required"));
    }
    Ok(id)
}

/// The `Stripe-Signature` value for `body` at `timestamp`.
pub fn stripe_signature(key: &SigningKey, timestamp: i64, body: &[u8]) -> String {
    let mac = key.mac(&[timestamp.to_string().as_bytes(), b".", body]);
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Verifies a `Stripe-Signature` header; any one `v1` signature may match.
pub fn verify_stripe(key: &SigningKey, header: &str, body: &[u8], now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = Some(t),
            Some(("v1", sig)) => signatures.push(sig),
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    fresh(t.parse().map_err(|_| SignatureError::Malformed)?, now)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let matches = signatures.iter().filter_map(|s| hex::decode(s).ok()).any(|bytes| {
        let mac = key.mac(&[t.as_bytes(), b".", body]);
        mac.verify_slice(&bytes).is_ok()
    });
    if matches { Ok(()) } else { Err(SignatureError::Mismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from the Standard Webhooks specification's reference libraries.
    #[test]
    fn x3_standard_signature_matches_the_reference_vector() {
        let key = SigningKey::standard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let body = br#"{"test": 2432232314}"#;
        let signature = standard_signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert_eq!(
            verify_standard(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", &signature, body, 1614265330),
            Ok(())
        );
    }

    #[test]
    fn x3_standard_rejects_tampering_and_stale_messages() {
        let key = SigningKey::standard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let sig = standard_signature(&key, "id", 1000, b"body");
        assert_eq!(verify_standard(&key, "id", "1000", &sig, b"bodx", 1000), Err(SignatureError::Mismatch));
        assert_eq!(verify_standard(&key, "id2", "1000", &sig, b"body", 1000), Err(SignatureError::Mismatch));
        assert_eq!(verify_standard(&key, "id", "1000", &sig, b"body", 1301), Err(SignatureError::Stale));
        assert_eq!(verify_standard(&key, "id", "x", &sig, b"body", 1000), Err(SignatureError::Malformed));
    }

    #[test]
    fn x3_stripe_signature_round_trips_and_rejects_forgeries() {
        let key = SigningKey::stripe("whsec_test");
        let header = stripe_signature(&key, 1_700_000_000, b"{}");
        assert_eq!(verify_stripe(&key, &header, b"{}", 1_700_000_100), Ok(()));
        assert_eq!(verify_stripe(&key, &header, b"{ }", 1_700_000_100), Err(SignatureError::Mismatch));
        assert_eq!(verify_stripe(&key, &header, b"{}", 1_700_000_301), Err(SignatureError::Stale));
        assert_eq!(
            verify_stripe(&SigningKey::stripe("whsec_other"), &header, b"{}", 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify_stripe(&key, "v1=abc", b"{}", 0), Err(SignatureError::Malformed));
    }

    /// Stripe keys the HMAC with the secret's bytes as written (checked with Python's hmac).
    #[test]
    fn x3_stripe_keys_are_the_secret_as_written() {
        let header = stripe_signature(&SigningKey::stripe("whsec_abc"), 1, b"x");
        assert_eq!(header, "t=1,v1=45822a7e3b7a6b9c6a1e0e744d5a5e0f37506de53d0846756ce37bffd2815593");
    }
}
