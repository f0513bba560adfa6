//! Catalog bodies (PRODUCT.md C1-C5).

use chrono::{DateTime, Utc};
use domain::{Count, DiscountRate, Name, ProductDetails, ProductId, ProductKind, SupplierId, TierBasis};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::MoneyDto;

/// Registers a supplier.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSupplier {
    /// Display name.
    pub name: Name,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Supplier {
    pub id: SupplierId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// From `min` members (or units) on, each unit costs `unit_price`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceTierDto {
    pub min: Count,
    pub unit_price: MoneyDto,
}

/// Tiers by member count or by quantity; thresholds rise and prices fall strictly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceTiersDto {
    pub basis: TierBasis,
    pub tiers: Vec<PriceTierDto>,
}

/// Publishes a product.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    /// The owning supplier. A supplier may omit it (its own id is used); the operator must give it.
    #[serde(default)]
    pub supplier_id: Option<SupplierId>,
    pub name: Name,
    /// Free text of up to 10000 characters; line breaks allowed.
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub description: String,
    /// The price of one unit bought alone.
    pub list_price: MoneyDto,
    /// What the product is; the `kind` field selects the form.
    pub details: ProductDetails,
    #[serde(default)]
    pub price_tiers: Option<PriceTiersDto>,
    /// The discount-rate table by quantity and period (003 Fig. 8).
    #[serde(default)]
    pub discount_rates: Vec<DiscountRate>,
}

/// Changes a product; absent fields stay as they are, `"price_tiers": null` removes the tiers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductUpdate {
    pub name: Option<Name>,
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    pub list_price: Option<MoneyDto>,
    pub details: Option<ProductDetails>,
    #[serde(default, deserialize_with = "crate::present")]
    #[schema(value_type = Option<PriceTiersDto>)]
    pub price_tiers: Option<Option<PriceTiersDto>>,
    pub discount_rates: Option<Vec<DiscountRate>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    Active,
    /// Deleted by its owner: still readable, no longer listed or offered to new groups.
    Archived,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Product {
    pub id: ProductId,
    pub supplier_id: SupplierId,
    pub kind: ProductKind,
    pub name: String,
    pub description: String,
    pub list_price: MoneyDto,
    pub details: ProductDetails,
    pub price_tiers: Option<PriceTiersDto>,
    pub discount_rates: Vec<DiscountRate>,
    pub status: ProductStatus,
    /// Rises by one with every change; groups record the version they snapshot (C5).
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One page of products.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductPage {
    pub items: Vec<Product>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The discount rate that applies to a quantity bought over a period (C3).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DiscountRateQuote {
    pub product_id: ProductId,
    pub quantity: u32,
    pub period_days: u32,
    /// A decimal string in [0, 1): the share of the price paid that is refunded.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "0.15")]
    pub rate: rust_decimal::Decimal,
}
