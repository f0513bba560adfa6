//! Groups bodies (PRODUCT.md G1-G10).

use chrono::{DateTime, Utc};
use domain::{
    Count, GroupId, PaymentId, ProductId, ShipmentId, SupplierId, TierBasis,
    group::{GroupMode, GroupState, MemberState, PaymentPlan},
    shipment::ShipmentState,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    MoneyDto,
    catalog::Product,
    payments::{MethodType, PaymentMethodInput},
    shipping::Recipient,
};

/// Starts a group for one product (G1). The creator is its organizer; a shopper who creates one
/// is its leader.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    pub product_id: ProductId,
    /// `tiered` or `reverse_auction` (`bulk_purchase` groups are started with
    /// `POST /v1/bulk-purchases`).
    pub mode: GroupMode,
    /// Fewer members when the window closes and the group fails.
    pub min_members: Count,
    #[serde(default)]
    pub max_members: Option<Count>,
    /// Units the group may take in all.
    #[serde(default)]
    pub max_quantity: Option<Count>,
    /// When joining opens; now when absent.
    #[serde(default)]
    pub opens_at: Option<DateTime<Utc>>,
    /// When joining closes and the price is fixed; within a year.
    pub closes_at: DateTime<Utc>,
    /// How members may pay; each member chooses one (002:6-7). Card only when absent.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 2)]
    pub payment_methods: Option<Vec<MethodType>>,
    /// Required for `reverse_auction`, refused otherwise.
    #[serde(default)]
    pub auction: Option<NewAuction>,
}

/// A reverse auction's terms (G4, B1): members pledge to pay at most `ceiling` a unit; when the
/// join window closes their pooled quantity goes to suppliers as a bid request that takes offers
/// until `bids_close_at`, and the least-cost cover wins (`lowest_price`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAuction {
    /// The most a unit may cost, in the product's currency.
    pub ceiling: MoneyDto,
    /// When offers stop being taken: at least 10 minutes after `closes_at` (the deployment's
    /// `min_bid_window_seconds`) and at most 90 days.
    pub bids_close_at: DateTime<Utc>,
}

/// A reverse auction's terms and, once decided, its outcome.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuctionTerms {
    pub ceiling: MoneyDto,
    pub bids_close_at: DateTime<Utc>,
    /// The bid request at bidding, once opened (its award is public at
    /// `GET /v1/bid-requests/{id}/award`).
    pub bid_request_id: Option<uuid::Uuid>,
    /// What the awarded lots cost together; absent until an award.
    pub award_total: Option<MoneyDto>,
}

/// A group as anyone may read it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Group {
    pub id: GroupId,
    pub mode: GroupMode,
    pub state: GroupState,
    pub product_id: ProductId,
    pub supplier_id: SupplierId,
    /// The product's terms as they were when the group started (C5): later catalog edits do not
    /// change a running group.
    pub product: Product,
    pub min_members: u32,
    pub max_members: Option<u32>,
    pub max_quantity: Option<u32>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub payment_methods: Vec<MethodType>,
    /// Whether members are held at join and captured at close, or charged at join and refunded
    /// the difference (a window longer than a card hold lasts).
    pub payment_plan: PaymentPlan,
    pub member_count: u32,
    pub quantity: u32,
    /// What a unit costs if the group closed now.
    pub current_unit_price: MoneyDto,
    /// The price fixed at close.
    pub final_unit_price: Option<MoneyDto>,
    /// For a `bulk_purchase` group: what was declared and decided.
    pub bulk: Option<crate::bulk::BulkTerms>,
    /// For a `reverse_auction` group: the ceiling, the bid window and the award's total.
    pub auction: Option<AuctionTerms>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A group as its organizer sees it when created: with the invite code to share.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedGroup {
    #[serde(flatten)]
    pub group: Group,
    /// Unguessable; lets the people the organizer invites find and join the group.
    pub invite_code: String,
}

/// One page of groups.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupPage {
    pub items: Vec<Group>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Joins a group (G3): an obligation to buy `quantity` units at the price the group reaches.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    pub quantity: Count,
    /// One of the group's payment methods.
    pub payment_method: PaymentMethodInput,
    /// Where the purchase is shipped; required unless the product is a service (G11). Shown to
    /// nobody but the operator and the shipping base.
    #[serde(default)]
    pub ship_to: Option<Recipient>,
    /// `reverse_auction` only: the most this member pays a unit, at most the group's ceiling
    /// (the ceiling when absent). The hold is for `quantity` × this; the award may leave out
    /// members whose maximum its blended unit price exceeds (B7).
    #[serde(default)]
    pub max_unit_price: Option<MoneyDto>,
}

/// A member's place in a group, as the member, the organizer and the operator see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Membership {
    pub group_id: GroupId,
    /// The shopper (the token's subject).
    pub shopper: String,
    /// How others see the member.
    pub alias: String,
    pub quantity: u32,
    pub state: MemberState,
    pub payment_method: MethodType,
    /// What is held (or charged) at join: the most the member can owe.
    pub held: MoneyDto,
    /// `reverse_auction`: what the award charges the member, once awarded.
    pub charge: Option<MoneyDto>,
    /// The member's payment at payments, once it answered.
    pub payment_id: Option<PaymentId>,
    /// The member's shipment at shipping, once requested.
    pub shipment_id: Option<ShipmentId>,
    /// Where the shipment is, as shipping last reported.
    pub shipment_state: Option<ShipmentState>,
    /// For a service: when the supplier confirmed it delivered (G11).
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// Why the payment failed, for a released seat.
    pub failure_code: Option<String>,
    pub joined_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A member as everyone else sees it: no shopper id (G5).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicMember {
    pub alias: String,
    pub quantity: u32,
    pub state: MemberState,
    pub joined_at: DateTime<Utc>,
}

/// The member list: in full for the organizer and the operator, pseudonymous for others; `view`
/// says which.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "view", rename_all = "snake_case")]
pub enum MemberList {
    Full { members: Vec<Membership> },
    Pseudonymous { members: Vec<PublicMember> },
}

/// The next cheaper tier.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NextTierDto {
    pub basis: TierBasis,
    /// How many more members (or units) beyond the quoted ones reach it.
    pub more_needed: u32,
    pub unit_price: MoneyDto,
}

/// What a unit would cost if more joined (G10).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuoteDto {
    pub group_id: GroupId,
    pub member_count: u32,
    pub quantity: u32,
    pub unit_price_now: MoneyDto,
    /// With the added members or units.
    pub unit_price_then: MoneyDto,
    pub next_tier: Option<NextTierDto>,
}

/// One point of a group's history (G5): what it held after an event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HistoryPoint {
    /// Rises by one per event, from 1; the SSE event id.
    pub sequence: i64,
    /// `created`, `joined`, `left`, `released`, `closed`, `failed`, `cancelled`, `settled`.
    pub kind: String,
    pub state: GroupState,
    pub member_count: u32,
    pub quantity: u32,
    pub unit_price: MoneyDto,
    pub recorded_at: DateTime<Utc>,
}

/// The supplier confirms a service delivered (G11): to the members in `seats` (their aliases'
/// numbers, "member 7" → 7), or to every member who paid.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FulfilmentRequest {
    #[serde(default)]
    #[schema(max_items = 10000)]
    pub seats: Option<Vec<u32>>,
}

/// How many members' fulfilment the request confirmed (members confirmed before count once).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Fulfilment {
    pub group_id: GroupId,
    pub confirmed: u32,
}

/// What a storefront's endpoint receives for every group event (`group.<kind>`, G9).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupEvent {
    pub group_id: GroupId,
    #[serde(flatten)]
    pub point: HistoryPoint,
}

/// Registers a storefront's endpoint for group events.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookEndpoint {
    /// A public `https` (or `http`) URL; events are POSTed there, signed with Standard Webhooks.
    #[schema(max_length = 2048)]
    pub url: String,
    /// Only this group's events; every group's when absent.
    #[serde(default)]
    pub group_id: Option<GroupId>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    pub group_id: Option<GroupId>,
    pub created_at: DateTime<Utc>,
}

/// A new endpoint with its signing secret, shown only this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisteredWebhookEndpoint {
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// The Standard Webhooks secret (`whsec_…`) the endpoint verifies signatures with.
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookEndpointPage {
    pub items: Vec<WebhookEndpoint>,
    pub next_cursor: Option<String>,
}

/// One Server-Sent Event of a group's stream, as its `text/event-stream` lines carry it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProgressEvent {
    /// The event's sequence: sent back as `Last-Event-ID`, the stream resumes after it.
    pub id: Option<String>,
    /// The change: `created`, `joined`, `left`, `released`, `closed`, `failed`, `cancelled`, `settled`.
    pub event: Option<String>,
    /// The group after the change: a `HistoryPoint` as JSON.
    pub data: Option<String>,
    /// How long a browser waits before reconnecting, in milliseconds (the first event only).
    pub retry: Option<u64>,
}

/// The series, or the one point in force at `at`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct History {
    pub group_id: GroupId,
    pub points: Vec<HistoryPoint>,
}
