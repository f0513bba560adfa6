//! Payments bodies (PRODUCT.md P1-P5). Internal: groups calls these with a service token.

use chrono::{DateTime, Utc};
use domain::{GroupId, Label, PaymentId, Reference, RefundId, payment::PaymentState};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::MoneyDto;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MethodType {
    Card,
    BankTransfer,
}

/// How the member pays (set per group or per member, 002:6-7).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodInput {
    #[serde(rename = "type")]
    pub kind: MethodType,
    /// For cards: a provider token (Stripe: a PaymentMethod id such as `pm_card_visa`; sandbox: one
    /// of the documented test card numbers). Only its last four characters are kept.
    #[serde(default)]
    pub token: Option<Reference>,
}

/// A hold (authorization) or a charge for one member of a group.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPayment {
    pub group_id: GroupId,
    /// The member's opaque id, as groups knows it.
    pub member: Reference,
    /// Why: `join_hold`, `purchase`, ….
    pub purpose: Label,
    pub amount: MoneyDto,
    pub method: PaymentMethodInput,
}

/// Captures an authorized payment: all of the hold, or `amount` of it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaptureRequest {
    #[serde(default)]
    pub amount: Option<MoneyDto>,
}

/// Refunds part or all of what was captured and not yet refunded.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRefund {
    pub amount: MoneyDto,
    /// Why: `special_favor`, `price_difference`, … (`requested` when absent).
    #[serde(default)]
    pub reason: Option<Label>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaptureMethod {
    /// A hold, captured later.
    Manual,
    /// A charge, captured at once.
    Automatic,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentMethodSummary {
    #[serde(rename = "type")]
    pub kind: MethodType,
    pub last4: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Payment {
    pub id: PaymentId,
    pub group_id: GroupId,
    pub member: String,
    pub purpose: String,
    pub state: PaymentState,
    /// What was held or charged.
    pub amount: MoneyDto,
    pub captured: MoneyDto,
    pub refunded: MoneyDto,
    /// What can still be refunded (captured minus refunds done or under way).
    pub refundable: MoneyDto,
    pub capture_method: CaptureMethod,
    pub method: PaymentMethodSummary,
    pub provider: String,
    /// The provider's id for this payment (a Stripe PaymentIntent id), for reconciliation.
    pub provider_ref: Option<String>,
    pub failure_code: Option<String>,
    /// When an authorization's hold lapses (card holds last about 7 days); groups charge and
    /// refund instead where their windows are longer.
    pub hold_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentPage {
    pub items: Vec<Payment>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundState {
    Pending,
    Succeeded,
    Failed,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Refund {
    pub id: RefundId,
    pub payment_id: PaymentId,
    pub amount: MoneyDto,
    pub reason: String,
    pub state: RefundState,
    pub failure_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a `refund.succeeded` or `refund.failed` event carries: the refund and its payment after it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RefundSettled {
    pub refund: Refund,
    pub payment: Payment,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RefundPage {
    pub items: Vec<Refund>,
    pub next_cursor: Option<String>,
}

/// One line of a ledger entry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LedgerLine {
    pub account: String,
    pub amount: MoneyDto,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LedgerEntry {
    pub id: String,
    /// `capture`, `refund` or `payout`.
    pub kind: String,
    /// The payment, refund or group the movement belongs to.
    pub source_id: String,
    pub created_at: DateTime<Utc>,
    pub lines: Vec<LedgerLine>,
}

/// A group's totals in one currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CurrencyBooks {
    pub currency: String,
    pub charges: MoneyDto,
    pub refunds: MoneyDto,
    pub payouts: MoneyDto,
    /// charges − refunds − payouts: zero once the group is settled.
    pub clearing_balance: MoneyDto,
}

/// A group's books (PRODUCT.md P4).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Books {
    pub group_id: GroupId,
    pub settled_at: Option<DateTime<Utc>>,
    /// Every entry's lines sum to zero in each currency.
    pub balanced: bool,
    pub currencies: Vec<CurrencyBooks>,
    pub entries: Vec<LedgerEntry>,
}
