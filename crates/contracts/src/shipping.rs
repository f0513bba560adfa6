//! Shipping bodies (PRODUCT.md S1-S3). Recipients' addresses are personal data: only the
//! operator, the services and the base handling a shipment ever receive them.

use chrono::{DateTime, Utc};
use domain::{
    Count, GroupId, Label, Name, ProductId, Reference, ShipmentId, ShippingBaseId, SupplierId, shipment::ShipmentState,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Registers a shipping base.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShippingBase {
    pub name: Name,
    /// The suppliers this base ships for.
    pub supplier_ids: Vec<SupplierId>,
    /// Where new shipment requests are pushed (signed, Standard Webhooks); optional.
    #[serde(default)]
    pub callback_url: Option<String>,
}

/// Changes a base; absent fields stay as they are, `"callback_url": null` removes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingBaseUpdate {
    pub name: Option<Name>,
    pub supplier_ids: Option<Vec<SupplierId>>,
    #[serde(default, deserialize_with = "crate::present")]
    #[schema(value_type = Option<String>)]
    pub callback_url: Option<Option<String>>,
    /// A paused base is not chosen for new shipments.
    pub paused: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShippingBase {
    pub id: ShippingBaseId,
    pub name: String,
    pub supplier_ids: Vec<SupplierId>,
    pub callback_url: Option<String>,
    pub paused: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new base with the secret that signs its webhooks: shown once, at registration.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisteredShippingBase {
    #[serde(flatten)]
    pub base: ShippingBase,
    /// `whsec_…`: signs the base's webhooks to us and ours to it (Standard Webhooks).
    pub webhook_secret: String,
}

/// Where a parcel goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    pub name: Name,
    pub line1: Name,
    #[serde(default)]
    pub line2: Option<Name>,
    pub city: Name,
    pub postal_code: Label,
    /// ISO 3166-1 alpha-2, such as `DE`.
    pub country: String,
    #[serde(default)]
    pub phone: Option<Label>,
}

impl Recipient {
    /// What the types alone do not check, reported under `field` (`recipient`, `ship_to`).
    pub fn check(&self, field: &str, v: &mut domain::Violations) {
        let country = &self.country;
        v.check(
            country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase()),
            format!("{field}.country"),
            "an ISO 3166-1 alpha-2 code such as DE",
        );
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipmentItem {
    pub product_id: ProductId,
    pub quantity: Count,
}

/// Asks for one purchase to be shipped.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShipment {
    /// The purchase being shipped: one shipment per purchase.
    pub purchase_id: Reference,
    pub group_id: GroupId,
    /// The member's opaque id.
    pub member: Reference,
    /// Whose goods: the base serving this supplier ships them.
    pub supplier_id: SupplierId,
    pub recipient: Recipient,
    pub items: Vec<ShipmentItem>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Shipment {
    pub id: ShipmentId,
    pub purchase_id: String,
    pub group_id: GroupId,
    pub member: String,
    pub supplier_id: SupplierId,
    pub base_id: ShippingBaseId,
    pub state: ShipmentState,
    pub tracking_number: Option<String>,
    pub carrier: Option<String>,
    pub recipient: Recipient,
    pub items: Vec<ShipmentItem>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A shipment as groups is told of it: everything but the recipient's address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShipmentSummary {
    pub id: ShipmentId,
    pub purchase_id: String,
    pub group_id: GroupId,
    pub member: String,
    pub supplier_id: SupplierId,
    pub base_id: ShippingBaseId,
    pub state: ShipmentState,
    pub tracking_number: Option<String>,
    pub carrier: Option<String>,
    pub items: Vec<ShipmentItem>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Shipment> for ShipmentSummary {
    fn from(s: Shipment) -> Self {
        Self {
            id: s.id,
            purchase_id: s.purchase_id,
            group_id: s.group_id,
            member: s.member,
            supplier_id: s.supplier_id,
            base_id: s.base_id,
            state: s.state,
            tracking_number: s.tracking_number,
            carrier: s.carrier,
            items: s.items,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShipmentPage {
    pub items: Vec<Shipment>,
    pub next_cursor: Option<String>,
}

/// A status report from the base or carrier.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShipmentEvent {
    pub state: ShipmentState,
    /// Required when dispatching.
    #[serde(default)]
    pub tracking_number: Option<Label>,
    /// Required when dispatching.
    #[serde(default)]
    pub carrier: Option<Label>,
    #[serde(default)]
    pub note: Option<Name>,
}

/// A status report sent by a base's webhook: the report, and which shipment it is about.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BaseWebhookReport {
    pub shipment_id: ShipmentId,
    pub state: ShipmentState,
    #[serde(default)]
    pub tracking_number: Option<Label>,
    #[serde(default)]
    pub carrier: Option<Label>,
    #[serde(default)]
    pub note: Option<Name>,
}

/// One recorded state change, in order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShipmentEvent {
    /// 1, 2, 3, … per shipment.
    pub sequence: i64,
    pub state: ShipmentState,
    pub tracking_number: Option<String>,
    pub carrier: Option<String>,
    pub note: Option<String>,
    /// `request`, `api` or `webhook`.
    pub source: String,
    pub recorded_at: DateTime<Utc>,
}
