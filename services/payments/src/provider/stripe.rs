//! Stripe (PRODUCT.md P2): PaymentIntents with `capture_method=manual` for holds, capture with
//! `amount_to_capture`, cancel for a void, and the Refunds API. Every call carries an
//! `Idempotency-Key`, so Stripe itself never repeats a movement we retry. Webhook secrets are
//! used as written (Stripe's scheme).

use std::time::Duration;

use contracts::payments::MethodType;
use domain::Money;
use platform::webhook::SigningKey;
use serde_json::Value;

use super::{Outcome, PaymentOrder, ProviderError, RefundOutcome};

pub struct Stripe {
    client: reqwest::Client,
    base_url: String,
    api_key: String,
    key: SigningKey,
    hold: chrono::Duration,
}

impl Stripe {
    pub fn new(base_url: &str, api_key: &str, webhook_secret: &str, hold: chrono::Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
        Ok(Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
            key: SigningKey::stripe(webhook_secret),
            hold,
        })
    }

    pub fn webhook_key(&self) -> &SigningKey {
        &self.key
    }

    pub fn hold(&self) -> chrono::Duration {
        self.hold
    }

    /// POSTs a form; a 4xx other than 429 is Stripe's answer (a decline, a bad card), anything
    /// else that is not a 2xx is a failure to reach it.
    async fn post(
        &self,
        path: &str,
        form: &[(&str, String)],
        key: &str,
    ) -> Result<Result<Value, Value>, ProviderError> {
        let response = self
            .client
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(&self.api_key)
            .header("idempotency-key", key)
            .form(form)
            .send()
            .await
            .map_err(|e| ProviderError(format!("stripe unreachable: {e}")))?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|e| ProviderError(format!("stripe answer unreadable: {e}")))?;
        if status.is_success() {
            Ok(Ok(body))
        } else if status.is_client_error() && status.as_u16() != 429 {
            Ok(Err(body))
        } else {
            Err(ProviderError(format!("stripe answered {status}")))
        }
    }

    pub async fn create(&self, order: PaymentOrder<'_>) -> Result<Outcome, ProviderError> {
        if order.method != MethodType::Card {
            return Ok(Outcome::Failed { provider_ref: None, code: "unsupported_payment_method".into() });
        }
        let form = [
            ("amount", minor(order.amount)?.to_string()),
            ("currency", order.amount.currency().code().to_lowercase()),
            ("payment_method", order.token.unwrap_or_default().to_owned()),
            ("confirm", "true".to_owned()),
            ("capture_method", if order.capture_now { "automatic" } else { "manual" }.to_owned()),
            // The charge says until when the hold may be captured (`capture_before`).
            ("expand[]", "latest_charge".to_owned()),
        ];
        match self.post("/v1/payment_intents", &form, &order.idempotency_key).await? {
            Ok(intent) => Ok(self.outcome(&intent)),
            Err(error) => Ok(declined(&error)),
        }
    }

    pub async fn capture(&self, intent: &str, amount: Money, key: &str) -> Result<Outcome, ProviderError> {
        let form = [("amount_to_capture", minor(amount)?.to_string())];
        match self.post(&format!("/v1/payment_intents/{intent}/capture"), &form, key).await? {
            Ok(intent) => Ok(self.outcome(&intent)),
            Err(error) => Err(ProviderError(format!("capture refused: {}", error_code(&error)))),
        }
    }

    pub async fn void(&self, intent: &str, key: &str) -> Result<Outcome, ProviderError> {
        match self.post(&format!("/v1/payment_intents/{intent}/cancel"), &[], key).await? {
            Ok(intent) => Ok(self.outcome(&intent)),
            Err(error) => Err(ProviderError(format!("cancel refused: {}", error_code(&error)))),
        }
    }

    pub async fn refund(&self, intent: &str, amount: Money, key: &str) -> Result<RefundOutcome, ProviderError> {
        let form = [("payment_intent", intent.to_owned()), ("amount", minor(amount)?.to_string())];
        Ok(match self.post("/v1/refunds", &form, key).await? {
            Ok(refund) => match refund["status"].as_str() {
                Some("failed" | "canceled") => RefundOutcome::Failed {
                    code: refund["failure_reason"].as_str().unwrap_or("refund_failed").to_owned(),
                },
                _ => RefundOutcome::Succeeded { provider_ref: refund["id"].as_str().unwrap_or_default().to_owned() },
            },
            Err(error) => RefundOutcome::Failed { code: error_code(&error) },
        })
    }

    /// A PaymentIntent as Stripe has it now: its outcome, unless it is still undecided.
    pub async fn retrieve(&self, intent: &str) -> Result<Option<(Outcome, Option<i64>)>, ProviderError> {
        let response = self
            .client
            .get(format!("{}/v1/payment_intents/{intent}", self.base_url))
            .query(&[("expand[]", "latest_charge")])
            .bearer_auth(&self.api_key)
            .send()
            .await
            .map_err(|e| ProviderError(format!("stripe unreachable: {e}")))?;
        if !response.status().is_success() {
            return Err(ProviderError(format!("stripe answered {}", response.status())));
        }
        let intent: Value =
            response.json().await.map_err(|e| ProviderError(format!("stripe answer unreadable: {e}")))?;
        Ok(match self.outcome(&intent) {
            Outcome::Processing { .. } | Outcome::RequiresAction { .. } => None,
            outcome => Some((outcome, intent["amount_received"].as_i64())),
        })
    }

    /// Until when an authorized intent may be captured: the card network's limit as Stripe states
    /// it on the charge (`capture_before`), else the configured hold (a server that does not say,
    /// such as localstripe).
    fn hold_expiry(&self, intent: &Value) -> chrono::NaiveDateTime {
        intent
            .pointer("/latest_charge/payment_method_details/card/capture_before")
            .and_then(Value::as_i64)
            .and_then(|at| chrono::DateTime::from_timestamp(at, 0))
            .map_or_else(|| platform::db::now() + self.hold, |at| at.naive_utc())
    }

    /// A PaymentIntent's status as an outcome.
    fn outcome(&self, intent: &Value) -> Outcome {
        let provider_ref = intent["id"].as_str().unwrap_or_default().to_owned();
        match intent["status"].as_str() {
            Some("requires_capture") => Outcome::Authorized { provider_ref, hold_expires_at: self.hold_expiry(intent) },
            Some("succeeded") => Outcome::Captured { provider_ref },
            Some("processing") => Outcome::Processing { provider_ref },
            Some("requires_action" | "requires_confirmation") => Outcome::RequiresAction { provider_ref },
            Some("canceled") => Outcome::Voided { provider_ref },
            _ => Outcome::Failed {
                code: intent
                    .pointer("/last_payment_error/code")
                    .and_then(Value::as_str)
                    .unwrap_or("payment_failed")
                    .to_owned(),
                provider_ref: Some(provider_ref),
            },
        }
    }
}

fn minor(amount: Money) -> Result<i64, ProviderError> {
    amount.to_minor().map_err(|e| ProviderError(e.to_string()))
}

fn error_code(error: &Value) -> String {
    let e = &error["error"];
    e["decline_code"].as_str().or(e["code"].as_str()).or(e["type"].as_str()).unwrap_or("invalid_request").to_owned()
}

/// Stripe refused the payment (a 4xx): a failed payment, not a failed call.
fn declined(error: &Value) -> Outcome {
    let charge = error.pointer("/error/payment_intent/id").and_then(Value::as_str).map(str::to_owned);
    Outcome::Failed { provider_ref: charge, code: error_code(error) }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    // Issue 8, finding 2: hold expiry was computed locally instead of read from the provider.
    #[test]
    fn p1_hold_expiry_is_the_providers_capture_before() {
        let stripe = Stripe::new("http://127.0.0.1:1", "sk_test", "whsec_x", chrono::Duration::days(7)).unwrap();
        let stated = serde_json::json!({
            "id": "pi_1", "status": "requires_capture",
            "latest_charge": {"payment_method_details": {"card": {"capture_before": 1_767_225_600}}}
        });
        let Outcome::Authorized { hold_expires_at, .. } = stripe.outcome(&stated) else { panic!("not authorized") };
        assert_eq!(hold_expires_at.and_utc().timestamp(), 1_767_225_600);

        let silent = serde_json::json!({"id": "pi_2", "status": "requires_capture", "latest_charge": "ch_1"});
        let Outcome::Authorized { hold_expires_at, .. } = stripe.outcome(&silent) else { panic!("not authorized") };
        let expected = platform::db::now() + chrono::Duration::days(7);
        assert!((expected - hold_expires_at).num_seconds().abs() < 5, "the configured hold when Stripe does not say");
    }
}
