//! One interface over payment providers (PRODUCT.md P1, P2). Each call carries an idempotency key
//! derived from the operation's, so a retried call never moves money twice at the provider.

pub mod sandbox;
pub mod stripe;

use chrono::NaiveDateTime;
use contracts::payments::MethodType;
use domain::Money;
use platform::webhook::SigningKey;

/// What a provider said about a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Authorized {
        provider_ref: String,
        hold_expires_at: NaiveDateTime,
    },
    Captured {
        provider_ref: String,
    },
    /// Accepted; the result comes by webhook.
    Processing {
        provider_ref: String,
    },
    RequiresAction {
        provider_ref: String,
    },
    Voided {
        provider_ref: String,
    },
    Failed {
        provider_ref: Option<String>,
        code: String,
    },
}

/// What a provider said about a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    Succeeded { provider_ref: String },
    Failed { code: String },
}

#[derive(Debug, thiserror::Error)]
#[error("the payment provider could not be reached or failed: {0}")]
pub struct ProviderError(pub String);

/// A new hold or charge as the provider sees it.
pub struct PaymentOrder<'a> {
    pub amount: Money,
    pub method: MethodType,
    pub token: Option<&'a str>,
    /// Charge now (true) or hold for a later capture (false).
    pub capture_now: bool,
    pub idempotency_key: String,
}

/// The configured provider.
pub enum Provider {
    Sandbox(sandbox::Sandbox),
    Stripe(stripe::Stripe),
}

impl Provider {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sandbox(_) => "sandbox",
            Self::Stripe(_) => "stripe",
        }
    }

    /// How long a card hold lasts.
    pub fn hold(&self) -> chrono::Duration {
        match self {
            Self::Sandbox(s) => s.hold(),
            Self::Stripe(s) => s.hold(),
        }
    }

    /// Verifies this provider's webhooks.
    pub fn webhook_key(&self) -> &SigningKey {
        match self {
            Self::Sandbox(s) => s.webhook_key(),
            Self::Stripe(s) => s.webhook_key(),
        }
    }

    pub async fn create(&self, order: PaymentOrder<'_>) -> Result<Outcome, ProviderError> {
        match self {
            Self::Sandbox(s) => Ok(s.create(order)),
            Self::Stripe(s) => s.create(order).await,
        }
    }

    pub async fn capture(&self, provider_ref: &str, amount: Money, key: &str) -> Result<Outcome, ProviderError> {
        match self {
            Self::Sandbox(_) => Ok(sandbox::Sandbox::capture(provider_ref, amount)),
            Self::Stripe(s) => s.capture(provider_ref, amount, key).await,
        }
    }

    pub async fn void(&self, provider_ref: &str, key: &str) -> Result<Outcome, ProviderError> {
        match self {
            Self::Sandbox(_) => Ok(Outcome::Voided { provider_ref: provider_ref.to_owned() }),
            Self::Stripe(s) => s.void(provider_ref, key).await,
        }
    }

    /// What the provider says now about a payment it accepted (`charge`: captured at once), with
    /// the amount received for a success; `None` while it has not decided.
    pub async fn retrieve(
        &self,
        provider_ref: &str,
        charge: bool,
    ) -> Result<Option<(Outcome, Option<i64>)>, ProviderError> {
        match self {
            Self::Sandbox(s) => Ok(s.retrieve(provider_ref, charge)),
            Self::Stripe(s) => s.retrieve(provider_ref).await,
        }
    }

    pub async fn refund(&self, provider_ref: &str, amount: Money, key: &str) -> Result<RefundOutcome, ProviderError> {
        match self {
            Self::Sandbox(_) => Ok(sandbox::Sandbox::refund(provider_ref, amount, key)),
            Self::Stripe(s) => s.refund(provider_ref, amount, key).await,
        }
    }
}
