//! A group's terms as the domain reads them: the snapshot's list price and tiers.

use contracts::catalog::Product;
use domain::{Money, PriceTier, PriceTiers, Violations, group::TieredPrice};

/// The priced part of a product snapshot (C5).
#[derive(Debug, Clone)]
pub struct Terms {
    pub list_price: Money,
    pub tiers: Option<PriceTiers>,
}

impl Terms {
    /// Reads the snapshot's prices; catalog validated them, so a failure here is corrupt data.
    pub fn of(product: &Product) -> anyhow::Result<Self> {
        let mut v = Violations::new();
        let list_price = product.list_price.parse("list_price", &mut v);
        let tiers = product.price_tiers.as_ref().map(|dto| PriceTiers {
            basis: dto.basis,
            tiers: dto
                .tiers
                .iter()
                .filter_map(|t| Some(PriceTier { min: t.min, unit_price: t.unit_price.parse("tier", &mut v)? }))
                .collect(),
        });
        match (list_price, v.is_empty()) {
            (Some(list_price), true) => Ok(Self { list_price, tiers }),
            _ => Err(anyhow::anyhow!("the product snapshot's prices are unreadable")),
        }
    }

    pub fn price(&self) -> TieredPrice<'_> {
        TieredPrice { list_price: self.list_price, tiers: self.tiers.as_ref() }
    }
}
