//! Bulk purchase bodies (PRODUCT.md G2, G4 `bulk_purchase`; seed 003 Figs. 9, 10, 13).

use chrono::{DateTime, Utc};
use domain::{
    Count, Email, GroupId, Name,
    bulk::{CompletionPolicy, NoFavor},
    group::MemberState,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    MoneyDto,
    groups::Group,
    payments::{MethodType, PaymentMethodInput},
    shipping::Recipient,
};

/// A leader's declaration of a group bulk purchase (003 Fig. 13): the product, who buys how much,
/// the purchase period and the completion policy. Either name the purchasers (each gets a
/// purchaser ID) or give their number (they buy with the invite code).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDeclaration {
    pub product_id: domain::ProductId,
    /// The purchasers by name, each with the units they will buy; at most 1,000.
    #[serde(default)]
    pub purchasers: Option<Vec<DeclaredPurchaser>>,
    /// How many purchasers, when they are not named: they buy with the invite code.
    #[serde(default)]
    pub purchaser_count: Option<Count>,
    /// Units each unnamed purchaser buys (1 when absent).
    #[serde(default)]
    pub quantity_each: Option<Count>,
    pub completion_policy: CompletionPolicy,
    /// The end of the purchase period, within a year; required unless the policy is
    /// `time_scaled` (which then stays open for a year at most).
    #[serde(default)]
    pub period_ends_at: Option<DateTime<Utc>>,
    /// How purchasers may pay; card only when absent.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 2)]
    pub payment_methods: Option<Vec<MethodType>>,
}

/// One named purchaser (003 Fig. 13).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclaredPurchaser {
    pub name: Name,
    /// Where the purchaser ID is mailed.
    pub email: Email,
    pub quantity: Count,
}

/// The declared group as its leader sees it once: with every purchaser ID. The IDs are not kept
/// readable (only their digests are stored) and are shown nowhere else: a replay of the
/// declaration with its Idempotency-Key answers the same group without them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeclaredBulkPurchase {
    #[serde(flatten)]
    pub group: Group,
    pub invite_code: String,
    pub purchaser_ids: Vec<IssuedPurchaserId>,
}

/// A purchaser's ID (003 Fig. 9), for the leader to hand on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IssuedPurchaserId {
    pub slot: u32,
    pub name: Name,
    /// 128 random bits, URL-safe. Absent in a replayed answer: only its digest is kept (the
    /// purchaser has it by mail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchaser_id: Option<String>,
}

/// What a bulk group declared and decided, on the group.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BulkTerms {
    pub completion_policy: CompletionPolicy,
    pub purchasers: u32,
    pub declared_quantity: u32,
    /// Absent for a `time_scaled` group declared without an end.
    pub period_ends_at: Option<DateTime<Utc>>,
    /// Once decided.
    pub outcome: Option<BulkOutcome>,
}

/// What the completion policy decided.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BulkOutcome {
    /// The rate of each member's price refunded; absent when no favor was earned.
    pub favor_rate: Option<String>,
    /// Why no favor, when none.
    pub no_favor: Option<NoFavor>,
    /// Units bought and days taken, as the discount table read them.
    pub quantity: u32,
    pub period_days: u32,
    pub decided_at: DateTime<Utc>,
}

/// A purchase with a purchaser ID, or with the invite code when the purchasers were not named.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseRequest {
    #[serde(default)]
    pub purchaser_id: Option<String>,
    #[serde(default)]
    pub invite_code: Option<String>,
    pub payment_method: PaymentMethodInput,
    /// Required unless the product is a service.
    #[serde(default)]
    pub ship_to: Option<Recipient>,
}

/// The purchase-state table (003 Fig. 10): per purchaser the units bought and when.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PurchaseState {
    pub group_id: GroupId,
    pub completion_policy: CompletionPolicy,
    pub period_ends_at: Option<DateTime<Utc>>,
    pub rows: Vec<PurchaseStateRow>,
    pub outcome: Option<BulkOutcome>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PurchaseStateRow {
    pub slot: u32,
    pub name: Option<Name>,
    pub email: Option<Email>,
    pub declared_quantity: u32,
    /// 0 until bought.
    pub quantity_bought: u32,
    pub bought_at: Option<DateTime<Utc>>,
    /// The purchase's state, once made.
    pub state: Option<MemberState>,
    /// The favor refunded, once decided.
    pub favor: Option<MoneyDto>,
}
