//! Rows as stored, and their conversion to and from the catalog's records. The domain never sees
//! these types.

use anyhow::Context;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use domain::{
    Count, Currency, DiscountRate, DiscountTable, Money, PriceTier, PriceTiers, ProductId, ProductKind, SupplierId,
    TierBasis,
};
use platform::db::Stored;
use rust_decimal::Decimal;

use super::schema::{discount_rates, price_tiers, products, suppliers};
use crate::model::{ProductRecord, ProductTerms};

/// Rates are stored in millionths (six decimals, as `domain::pricing::RATE_MAX_SCALE` allows).
const RATE_SCALE: u32 = 6;

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = suppliers)]
pub struct SupplierRow {
    pub id: Stored<SupplierId>,
    pub name: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = products, treat_none_as_null = true)]
pub struct ProductRow {
    pub id: Stored<ProductId>,
    pub supplier_id: Stored<SupplierId>,
    pub kind: Stored<ProductKind>,
    pub name: String,
    pub description: String,
    pub search_text: String,
    pub currency: Stored<Currency>,
    pub list_price_minor: i64,
    pub details: String,
    pub tier_basis: Option<Stored<TierBasis>>,
    pub archived_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = price_tiers)]
pub struct TierRow {
    pub product_id: Stored<ProductId>,
    pub min_count: i32,
    pub unit_price_minor: i64,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = discount_rates)]
pub struct RateRow {
    pub product_id: Stored<ProductId>,
    pub min_quantity: i32,
    pub within_days: i32,
    pub rate_millionths: i64,
}

/// A product's rows: the product, its tiers and its rate cells.
pub struct ProductRows {
    pub product: ProductRow,
    pub tiers: Vec<TierRow>,
    pub rates: Vec<RateRow>,
}

impl ProductRows {
    pub fn from_record(r: &ProductRecord) -> anyhow::Result<Self> {
        let t = &r.terms;
        let id = Stored(r.id);
        let tiers = t
            .price_tiers
            .iter()
            .flat_map(|p| &p.tiers)
            .map(|tier| {
                Ok(TierRow {
                    product_id: id,
                    min_count: i32::from(tier.min),
                    unit_price_minor: tier.unit_price.to_minor()?,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let rates = t
            .discount_rates
            .0
            .iter()
            .map(|cell| {
                let millionths = (cell.rate * Decimal::from(10_i64.pow(RATE_SCALE))).trunc();
                Ok(RateRow {
                    product_id: id,
                    min_quantity: i32::from(cell.min_quantity),
                    within_days: i32::from(cell.within_days),
                    rate_millionths: i64::try_from(millionths)?,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let product = ProductRow {
            id,
            supplier_id: r.supplier_id.into(),
            kind: t.details.kind().into(),
            name: t.name.clone(),
            description: t.description.clone(),
            search_text: r.search_text(),
            currency: t.list_price.currency().into(),
            list_price_minor: t.list_price.to_minor()?,
            details: serde_json::to_string(&t.details)?,
            tier_basis: t.price_tiers.as_ref().map(|p| p.basis.into()),
            archived_at: r.archived_at,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        };
        Ok(Self { product, tiers, rates })
    }

    pub fn into_record(self) -> anyhow::Result<ProductRecord> {
        let p = self.product;
        let currency = p.currency.0;
        let details: domain::ProductDetails = serde_json::from_str(&p.details).context("product details")?;
        anyhow::ensure!(p.kind.0 == details.kind(), "kind column disagrees with details");
        let mut tiers = self.tiers;
        tiers.sort_by_key(|t| t.min_count);
        let price_tiers = p
            .tier_basis
            .map(|basis| -> anyhow::Result<PriceTiers> {
                Ok(PriceTiers {
                    basis: basis.0,
                    tiers: tiers
                        .iter()
                        .map(|t| {
                            Ok(PriceTier {
                                min: Count::try_from(i64::from(t.min_count))?,
                                unit_price: Money::from_minor(t.unit_price_minor, currency),
                            })
                        })
                        .collect::<anyhow::Result<_>>()?,
                })
            })
            .transpose()?;
        let mut rates = self.rates;
        rates.sort_by_key(|r| (r.min_quantity, r.within_days));
        let discount_rates = DiscountTable(
            rates
                .iter()
                .map(|r| {
                    Ok(DiscountRate {
                        min_quantity: Count::try_from(i64::from(r.min_quantity))?,
                        within_days: Count::try_from(i64::from(r.within_days))?,
                        rate: Decimal::new(r.rate_millionths, RATE_SCALE).normalize(),
                    })
                })
                .collect::<anyhow::Result<_>>()?,
        );
        Ok(ProductRecord {
            id: p.id.0,
            supplier_id: p.supplier_id.0,
            terms: ProductTerms {
                name: p.name,
                description: p.description,
                list_price: Money::from_minor(p.list_price_minor, currency),
                details,
                price_tiers,
                discount_rates,
            },
            archived_at: p.archived_at,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        })
    }
}
