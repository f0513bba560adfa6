//! A product's terms as the catalog keeps them, and their validation from request bodies.

use chrono::NaiveDateTime;
use contracts::catalog::{PriceTierDto, PriceTiersDto, Product, ProductStatus};
use domain::{
    DiscountRate, DiscountTable, Money, PriceTier, PriceTiers, ProductDetails, ProductId, SupplierId, Violations,
};

const MAX_DESCRIPTION: usize = 10_000;
/// Bounds on list lengths, so one request cannot make a product unreadably large.
const MAX_ITEMS: usize = 100;

/// What a supplier states about a product: everything a group snapshots (C5).
#[derive(Debug, Clone, PartialEq)]
pub struct ProductTerms {
    pub name: String,
    pub description: String,
    pub list_price: Money,
    pub details: ProductDetails,
    pub price_tiers: Option<PriceTiers>,
    pub discount_rates: DiscountTable,
}

/// The request's view of the terms, before validation.
pub struct TermsInput<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub list_price: &'a contracts::MoneyDto,
    pub details: &'a ProductDetails,
    pub price_tiers: Option<&'a PriceTiersDto>,
    pub discount_rates: &'a [DiscountRate],
}

impl ProductTerms {
    /// Every rule that needs no look-up; all problems are reported at once.
    pub fn parse(input: TermsInput<'_>) -> Result<Self, Violations> {
        let mut v = Violations::new();
        // Bounded (`Name`) when read; stored without surrounding spaces.
        let name = input.name.trim();
        v.check(
            input.description.chars().count() <= MAX_DESCRIPTION,
            "description",
            format!("at most {MAX_DESCRIPTION} characters"),
        );
        v.check(
            !domain::validation::has_control_chars(input.description),
            "description",
            "must not contain control characters",
        );
        let list_price = input.list_price.parse_non_negative("list_price", &mut v);
        if let Some(price) = &list_price {
            v.check(!price.amount().is_zero(), "list_price.amount", "must be greater than 0");
        }
        v.merge("details", input.details.validate());

        let tiers = input.price_tiers.and_then(|dto| {
            v.check(dto.tiers.len() <= MAX_ITEMS, "price_tiers.tiers", format!("at most {MAX_ITEMS} tiers"));
            let mut tiers = Vec::with_capacity(dto.tiers.len());
            for (i, tier) in dto.tiers.iter().enumerate() {
                let unit_price = tier.unit_price.parse(&format!("price_tiers.tiers[{i}].unit_price"), &mut v)?;
                tiers.push(PriceTier { min: tier.min, unit_price });
            }
            Some(PriceTiers { basis: dto.basis, tiers })
        });
        if let (Some(tiers), Some(list_price)) = (&tiers, &list_price) {
            v.merge("price_tiers", tiers.validate(list_price));
        }

        let submitted = DiscountTable(input.discount_rates.to_vec());
        v.check(submitted.0.len() <= MAX_ITEMS * 10, "discount_rates", format!("at most {} cells", MAX_ITEMS * 10));
        for e in submitted.validate().errors() {
            v.add(e.field.clone(), e.message.clone());
        }
        // Kept in canonical form (0.20 is stored and shown as 0.2), ordered by quantity and period,
        // so what is returned at creation is what every later read returns.
        let mut cells = submitted.0;
        for cell in &mut cells {
            cell.rate = cell.rate.normalize();
        }
        cells.sort_by_key(|c| (c.min_quantity, c.within_days));
        let discount_rates = DiscountTable(cells);

        // A price that did not parse has already recorded its violation.
        let (true, Some(list_price)) = (v.is_empty(), list_price) else {
            return Err(v);
        };
        Ok(Self {
            name: name.to_owned(),
            description: input.description.to_owned(),
            list_price,
            details: input.details.clone(),
            price_tiers: tiers,
            discount_rates,
        })
    }
}

/// A stored product.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductRecord {
    pub id: ProductId,
    pub supplier_id: SupplierId,
    pub terms: ProductTerms,
    pub archived_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ProductRecord {
    pub fn is_archived(&self) -> bool {
        self.archived_at.is_some()
    }

    /// Words the `q` filter matches, lower-cased.
    pub fn search_text(&self) -> String {
        let t = &self.terms;
        let mut text = format!("{} {}", t.name, t.description);
        if let ProductDetails::Specific { manufacturer, model, sku, .. } = &t.details {
            for part in [Some(manufacturer), model.as_ref(), sku.as_ref()].into_iter().flatten() {
                text.push(' ');
                text.push_str(part);
            }
        }
        text.to_lowercase()
    }

    pub fn to_dto(&self) -> Product {
        let t = &self.terms;
        Product {
            id: self.id,
            supplier_id: self.supplier_id,
            kind: t.details.kind(),
            name: t.name.clone(),
            description: t.description.clone(),
            list_price: t.list_price.into(),
            details: t.details.clone(),
            price_tiers: t.price_tiers.as_ref().map(|p| PriceTiersDto {
                basis: p.basis,
                tiers: p
                    .tiers
                    .iter()
                    .map(|tier| PriceTierDto { min: tier.min, unit_price: tier.unit_price.into() })
                    .collect(),
            }),
            discount_rates: t.discount_rates.0.clone(),
            status: if self.is_archived() { ProductStatus::Archived } else { ProductStatus::Active },
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        }
    }
}
