//! The zero-setup provider (PRODUCT.md P2). Deterministic by test card number:
//!
//! | card number        | outcome |
//! |--------------------|---------|
//! | `4242424242424242` | succeeds at once |
//! | `4000000000000002` | declined at once (`card_declined`) |
//! | `4000000000000077` | accepted, succeeds after `async_delay_ms` (by webhook) |
//! | `4000000000000341` | accepted, fails after `async_delay_ms` (`card_declined`, by webhook) |
//! | `4000000000003220` | requires action (3-D Secure) and stays so |
//! | anything else      | declined (`invalid_number`) |
//!
//! A bank transfer is accepted and succeeds after the delay. Asynchronous outcomes are posted,
//! signed like Stripe's, to this service's own `/v1/webhooks/sandbox`: the same path a real
//! provider's webhooks take. The sandbox keeps no state of its own: a payment's outcome is written
//! in its reference, so it survives any restart, and [`Sandbox::retrieve`] answers the reconciler
//! as a real provider would when a webhook was lost.

use std::{sync::Arc, time::Duration};

use contracts::payments::MethodType;
use domain::Money;
use platform::webhook::{self, SigningKey};

use super::{Outcome, PaymentOrder, RefundOutcome};

pub const CARD_OK: &str = "4242424242424242";
pub const CARD_DECLINED: &str = "4000000000000002";
pub const CARD_LATE_SUCCESS: &str = "4000000000000077";
pub const CARD_LATE_FAILURE: &str = "4000000000000341";
pub const CARD_REQUIRES_ACTION: &str = "4000000000003220";

/// Marks in a reference: the payment succeeds or fails late.
const LATE_SUCCESS: &str = "late_ok_";
const LATE_FAILURE: &str = "late_fail_";

pub struct Sandbox {
    key: SigningKey,
    delay: Duration,
    hold: chrono::Duration,
    /// This service's own base URL, known once it listens.
    webhook_url: Arc<std::sync::OnceLock<String>>,
    client: reqwest::Client,
}

impl Sandbox {
    pub fn new(secret: &str, delay: Duration, hold: chrono::Duration) -> Self {
        Self {
            key: SigningKey::stripe(secret),
            delay,
            hold,
            webhook_url: Arc::default(),
            client: reqwest::Client::new(),
        }
    }

    /// Where asynchronous outcomes are posted.
    pub fn set_webhook_url(&self, url: String) {
        let _ = self.webhook_url.set(url);
    }

    pub fn hold(&self) -> chrono::Duration {
        self.hold
    }

    pub fn webhook_key(&self) -> &SigningKey {
        &self.key
    }

    pub fn create(&self, order: PaymentOrder<'_>) -> Outcome {
        // Like a real provider, the same idempotency key names the same payment: a resumed create
        // finds the one the first attempt made.
        let reference = |fate: &str| format!("sbx_pi_{fate}{}", &hex_digest(&order.idempotency_key)[..32]);
        let provider_ref = reference("");
        let late = |success: bool| {
            let provider_ref = reference(if success { LATE_SUCCESS } else { LATE_FAILURE });
            let event = match (success, order.capture_now) {
                (true, true) => "payment_intent.succeeded",
                (true, false) => "payment_intent.amount_capturable_updated",
                (false, _) => "payment_intent.payment_failed",
            };
            self.post_later(event, &provider_ref, order.amount);
            Outcome::Processing { provider_ref: provider_ref.clone() }
        };
        match (order.method, order.token.unwrap_or_default()) {
            (MethodType::BankTransfer, _) => late(true),
            (MethodType::Card, CARD_LATE_SUCCESS) => late(true),
            (MethodType::Card, CARD_LATE_FAILURE) => late(false),
            (MethodType::Card, CARD_OK) if order.capture_now => Outcome::Captured { provider_ref },
            (MethodType::Card, CARD_OK) => {
                Outcome::Authorized { provider_ref, hold_expires_at: platform::db::now() + self.hold }
            }
            (MethodType::Card, CARD_REQUIRES_ACTION) => Outcome::RequiresAction { provider_ref },
            (MethodType::Card, CARD_DECLINED) => {
                Outcome::Failed { provider_ref: Some(provider_ref), code: "card_declined".into() }
            }
            (MethodType::Card, _) => {
                Outcome::Failed { provider_ref: Some(provider_ref), code: "invalid_number".into() }
            }
        }
    }

    /// The outcome of a payment whose result came late, for the reconciler: decided by the card,
    /// as the webhook would have said.
    pub fn retrieve(&self, provider_ref: &str, charge: bool) -> Option<(Outcome, Option<i64>)> {
        let fate = provider_ref.strip_prefix("sbx_pi_")?;
        let provider_ref = provider_ref.to_owned();
        if fate.starts_with(LATE_SUCCESS) {
            Some(if charge {
                (Outcome::Captured { provider_ref }, None)
            } else {
                (Outcome::Authorized { provider_ref, hold_expires_at: platform::db::now() + self.hold }, None)
            })
        } else if fate.starts_with(LATE_FAILURE) {
            Some((Outcome::Failed { provider_ref: Some(provider_ref), code: "card_declined".into() }, None))
        } else {
            None
        }
    }

    pub fn capture(provider_ref: &str, _amount: Money) -> Outcome {
        Outcome::Captured { provider_ref: provider_ref.to_owned() }
    }

    pub fn refund(_provider_ref: &str, _amount: Money, key: &str) -> RefundOutcome {
        // Derived from the operation's key: the same refund asked twice is the same refund.
        RefundOutcome::Succeeded { provider_ref: format!("sbx_re_{}", &hex_digest(key)[..24]) }
    }

    /// Posts a Stripe-shaped event for `provider_ref` after the delay.
    fn post_later(&self, event_type: &'static str, provider_ref: &str, amount: Money) {
        let Some(url) = self.webhook_url.get().cloned() else {
            tracing::error!("sandbox webhook URL unknown; asynchronous outcome dropped");
            return;
        };
        let minor = amount.to_minor().unwrap_or_default();
        let body = serde_json::json!({
            "id": format!("evt_sbx_{}", uuid::Uuid::now_v7().simple()),
            "type": event_type,
            "data": { "object": {
                "id": provider_ref,
                "object": "payment_intent",
                "amount_received": if event_type == "payment_intent.succeeded" { minor } else { 0 },
                "amount_capturable": if event_type == "payment_intent.amount_capturable_updated" { minor } else { 0 },
                "last_payment_error": if event_type == "payment_intent.payment_failed" {
                    serde_json::json!({ "code": "card_declined" })
                } else {
                    serde_json::Value::Null
                },
            } },
        })
        .to_string();
        let (client, key, delay) = (self.client.clone(), self.key.clone(), self.delay);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            // Retried a few times: the service may still be starting or busy.
            for attempt in 1..=5 {
                let signature = webhook::stripe_signature(&key, chrono::Utc::now().timestamp(), body.as_bytes());
                let sent = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("stripe-signature", signature)
                    .body(body.clone())
                    .send()
                    .await;
                if sent.is_ok_and(|r| r.status().is_success()) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
            }
            tracing::error!(event.type = event_type, "sandbox webhook could not be delivered");
        });
    }
}

fn hex_digest(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}
