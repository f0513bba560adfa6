//! Bidding bodies (PRODUCT.md B1-B7): bid requests, sealed offers and the published award.
//! Before the award a supplier sees only its own offers and nobody sees another's prices; after
//! it, the award names the winners and lists the receipt digest of every offer considered.

use chrono::{DateTime, Utc};
use domain::{Count, GroupId, Label, ProductId, SupplierId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::MoneyDto;

/// How the award weighs offers (B5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AwardRule {
    /// The least total price.
    #[default]
    LowestPrice,
    /// The least total of price × `price_weight` plus delivery days × `delivery_day_weight` per
    /// unit.
    BestValue,
}

/// The weights of `best_value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BestValueWeights {
    /// What a unit's price counts for, 0 to 10; 1 counts it as it is.
    #[schema(value_type = String, example = "1")]
    #[serde(with = "rust_decimal::serde::str")]
    pub price_weight: Decimal,
    /// What one day of delivery costs per unit, in the request's currency, such as `"0.50"`.
    #[schema(value_type = String, example = "0.50")]
    #[serde(with = "rust_decimal::serde::str")]
    pub delivery_day_weight: Decimal,
}

/// Opens a bid request (B1): the pooled quantity of a closed auction group, for its product.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBidRequest {
    /// The auction group the quantity comes from, if any.
    #[serde(default)]
    pub group_id: Option<GroupId>,
    /// The product: a specific one (its supplier may offer) or a specification (suppliers whose
    /// products meet it may offer).
    pub product_id: ProductId,
    /// Units to cover exactly, at most 65,535.
    pub quantity: Count,
    /// The most any unit may cost; offers above it are refused.
    pub ceiling: MoneyDto,
    /// When offers stop being taken and the award is made.
    pub closes_at: DateTime<Utc>,
    #[serde(default)]
    pub rule: AwardRule,
    /// Required for `best_value`.
    #[serde(default)]
    pub weights: Option<BestValueWeights>,
    /// B7, with `lowest_price`: the members' demands, each with the most it pays a unit. Their
    /// quantities add up to `quantity`; the award then serves the most members whose maximum the
    /// blended unit price respects (from the highest maximum down) at the least total cost.
    #[serde(default)]
    pub demands: Option<Vec<Demand>>,
}

/// One member's part of the pooled quantity (B7), by its place in the list only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Demand {
    pub quantity: Count,
    /// At most the request's ceiling.
    pub max_unit_price: MoneyDto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BidRequestState {
    /// Taking offers until `closes_at`.
    Open,
    /// Awarded: see its award.
    Awarded,
    /// Closed with no valid cover of the quantity.
    NoAward,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BidRequest {
    pub id: Uuid,
    pub group_id: Option<GroupId>,
    pub product_id: ProductId,
    pub quantity: Count,
    pub ceiling: MoneyDto,
    pub closes_at: DateTime<Utc>,
    pub rule: AwardRule,
    pub weights: Option<BestValueWeights>,
    /// The members' demands (B7), for the operator and the services only: suppliers never see
    /// the members' own maxima (the award still respects them).
    pub demands: Option<Vec<Demand>>,
    pub state: BidRequestState,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BidRequestPage {
    pub items: Vec<BidRequest>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// A partner's confirmation of a joint offer (B4): the revision it read and accepts. The offer
/// counts only while every partner has confirmed its current revision; a revision asks again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferConfirmation {
    /// The offer's `revision` as the partner read it: a confirmation of an older one is refused
    /// (409), so a partner never accepts terms it has not seen.
    #[schema(minimum = 1)]
    pub revision: u32,
}

/// A supplier's offer (B3): a unit price for between `min_quantity` and `max_quantity` units
/// (all or nothing when equal), delivered within `delivery_days`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOffer {
    pub unit_price: MoneyDto,
    /// The least quantity the supplier accepts; 1 when absent.
    #[serde(default)]
    pub min_quantity: Option<Count>,
    pub max_quantity: Count,
    pub delivery_days: Count,
    #[serde(default)]
    pub terms: Option<Label>,
    /// B4, a joint offer: the other suppliers tendering with this one and each one's share of the
    /// units, in percent; the supplier making the offer keeps the rest (at least 1). The offer
    /// counts once every partner has confirmed it; a revision asks them again.
    #[serde(default)]
    pub partners: Option<Vec<PartnerShare>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerShare {
    pub supplier_id: SupplierId,
    /// Percent of the units, 1 to 99.
    pub share: Count,
}

/// A partner of a joint offer, and whether it has confirmed this revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Partner {
    pub supplier_id: SupplierId,
    pub share: Count,
    pub confirmed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfferState {
    Active,
    Withdrawn,
}

/// An offer as its supplier (and, after the award, the operator) sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Offer {
    pub id: Uuid,
    pub bid_request_id: Uuid,
    pub supplier_id: SupplierId,
    pub unit_price: MoneyDto,
    pub min_quantity: Count,
    pub max_quantity: Count,
    pub delivery_days: Count,
    pub terms: Option<String>,
    pub state: OfferState,
    /// 1 for the offer as made, one more for each revision.
    pub revision: i64,
    /// When this revision was made: ties in the award go to the earliest.
    pub submitted_at: DateTime<Utc>,
    /// A joint offer's partners (empty for an offer of one supplier); the maker's share is the
    /// rest.
    pub partners: Vec<Partner>,
    /// Whether the award will consider it: active, and confirmed by every partner.
    pub counts: bool,
    pub receipt: OfferReceipt,
}

/// What lets a supplier check that this revision of its offer was counted: the award lists
/// `digest` among the offers considered. `digest` is the SHA-256, in hex, of `salt` (hex-decoded)
/// followed by `canonical`; the salt keeps the digest from giving the price away.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferReceipt {
    pub digest: String,
    pub salt: String,
    /// The offer's terms as digested:
    /// `offer_id|bid_request_id|supplier_id|unit_price|currency|min|max|delivery_days|revision|partner=share,…|terms`.
    pub canonical: String,
}

/// One winner's part of the award.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AwardLot {
    pub offer_id: Uuid,
    /// The supplier that made the offer.
    pub supplier_id: SupplierId,
    pub quantity: Count,
    pub unit_price: MoneyDto,
    pub delivery_days: Count,
    /// Who delivers how many: the maker alone, or a joint offer's suppliers by their shares.
    pub shares: Vec<LotShare>,
}

/// A member served by an award with demands (B7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ServedMember {
    /// Its place in the request's `demands`.
    pub demand: u32,
    pub quantity: Count,
    pub charge: MoneyDto,
    /// Who ships how many of its units.
    pub parts: Vec<LotShare>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LotShare {
    pub supplier_id: SupplierId,
    pub quantity: u32,
}

/// The published award (B6).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Award {
    pub bid_request_id: Uuid,
    /// The auction group the request came from, if any.
    pub group_id: Option<GroupId>,
    pub state: BidRequestState,
    pub rule: AwardRule,
    /// Empty when there is no award.
    pub lots: Vec<AwardLot>,
    /// With demands (B7): each member served, by its place in the request's `demands`, with its
    /// charge (its share of the total by units, to the minor unit, adding up to the total) and
    /// which winners ship its units. The lots cover exactly the members served.
    pub members: Option<Vec<ServedMember>>,
    /// What the lots cost together; absent when there is no award.
    pub total: Option<MoneyDto>,
    /// The receipt digest of every offer considered, sorted: published here, at the award
    /// endpoint. The `bid_request.*` events leave it out, so that their size does not grow with
    /// the losing offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub considered: Option<Vec<String>>,
    pub decided_at: DateTime<Utc>,
}

/// Where a supplier is told of the bid requests it may offer on (B2).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSupplierEndpoint {
    /// A public http(s) URL.
    #[schema(max_length = 2000)]
    pub url: String,
}

/// A supplier's endpoint with the secret that signs what is sent to it: shown once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SupplierEndpoint {
    pub url: String,
    /// `whsec_…`: verifies our calls (Standard Webhooks).
    pub secret: String,
}
