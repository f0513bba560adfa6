//! Price tiers and discount-rate tables (PRODUCT.md C3).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{Count, Money, Violations};

/// What a tier threshold counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TierBasis {
    MemberCount,
    Quantity,
}

/// From `min` members (or units) on, each unit costs `unit_price`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceTier {
    pub min: Count,
    pub unit_price: Money,
}

/// A price that falls as the group grows [000:9].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceTiers {
    pub basis: TierBasis,
    pub tiers: Vec<PriceTier>,
}

impl PriceTiers {
    /// Thresholds must rise strictly from at least 1 and prices fall strictly, all in `list_price`'s
    /// currency and below it: a tier that does not lower the price is a mistake.
    pub fn validate(&self, list_price: &Money) -> Violations {
        let mut v = Violations::new();
        v.check(!self.tiers.is_empty(), "tiers", "at least one tier is required");
        let mut previous: Option<&PriceTier> = None;
        for (i, tier) in self.tiers.iter().enumerate() {
            let at = |f: &str| format!("tiers[{i}].{f}");
            if tier.unit_price.currency() != list_price.currency() {
                v.add(at("unit_price"), "must be in the list price's currency");
                continue;
            }
            v.check(tier.unit_price.is_positive(), at("unit_price"), "must be greater than 0");
            v.check(tier.unit_price <= *list_price, at("unit_price"), "must not exceed the list price");
            if let Some(prev) = previous {
                v.check(tier.min > prev.min, at("min"), "thresholds must rise strictly");
                v.check(tier.unit_price < prev.unit_price, at("unit_price"), "prices must fall strictly");
            }
            previous = Some(tier);
        }
        v
    }

    /// The unit price at `count` members or units: the highest tier reached, else `None`
    /// (the list price applies).
    pub fn price_at(&self, count: u32) -> Option<&Money> {
        self.tiers.iter().filter(|t| t.min.get() <= count).max_by_key(|t| t.min).map(|t| &t.unit_price)
    }
}

/// One cell of a discount-rate table (003 Fig. 8): buying at least `min_quantity` units within
/// `within_days` days earns `rate` of the price paid back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DiscountRate {
    pub min_quantity: Count,
    pub within_days: Count,
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
}

/// A discount-rate table by quantity purchased and period taken.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DiscountTable(pub Vec<DiscountRate>);

/// Rates are kept to this many decimal places (0.125 % steps and finer).
pub const RATE_MAX_SCALE: u32 = 6;

impl DiscountTable {
    /// Every rate in [0, 1) with at most six decimals, and no two cells for the same quantity and
    /// period (quantities and periods are bounded [`Count`]s).
    pub fn validate(&self) -> Violations {
        let mut v = Violations::new();
        for (i, cell) in self.0.iter().enumerate() {
            let at = |f: &str| format!("discount_rates[{i}].{f}");
            v.check(
                cell.rate >= Decimal::ZERO && cell.rate < Decimal::ONE,
                at("rate"),
                "must be at least 0 and less than 1",
            );
            v.check(
                cell.rate.normalize().scale() <= RATE_MAX_SCALE,
                at("rate"),
                format!("at most {RATE_MAX_SCALE} decimal places"),
            );
            let duplicate =
                self.0[..i].iter().any(|c| c.min_quantity == cell.min_quantity && c.within_days == cell.within_days);
            v.check(!duplicate, at("min_quantity"), "another cell has this quantity and period");
        }
        v
    }

    /// The rate for `quantity` units bought over `period_days` days.
    ///
    /// Read the table as a grid: the row is the largest `min_quantity` not above `quantity`, the
    /// column the shortest `within_days` not below `period_days`. Among cells that apply (enough
    /// quantity, period short enough) the one with the largest quantity wins, then the one with
    /// the shortest period. No cell applies: rate 0.
    pub fn rate_for(&self, quantity: u32, period_days: u32) -> Decimal {
        self.0
            .iter()
            .filter(|c| c.min_quantity.get() <= quantity && period_days <= c.within_days.get())
            .max_by(|a, b| a.min_quantity.cmp(&b.min_quantity).then(b.within_days.cmp(&a.within_days)))
            .map_or(Decimal::ZERO, |c| c.rate)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    use super::*;
    use crate::Currency;

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, "EUR".parse::<Currency>().unwrap())
    }

    fn count(n: u32) -> Count {
        Count::new(n).unwrap()
    }

    fn cell(min_quantity: u32, within_days: u32, rate: Decimal) -> DiscountRate {
        DiscountRate { min_quantity: count(min_quantity), within_days: count(within_days), rate }
    }

    /// A table shaped like 003 Fig. 8: more units or a shorter period earn more.
    fn fig8() -> DiscountTable {
        DiscountTable(vec![
            cell(1, 30, dec!(0.05)),
            cell(1, 60, dec!(0.03)),
            cell(1, 90, dec!(0.01)),
            cell(3, 30, dec!(0.20)),
            cell(3, 60, dec!(0.15)),
            cell(3, 90, dec!(0.10)),
            cell(5, 30, dec!(0.30)),
            cell(5, 60, dec!(0.25)),
            cell(5, 90, dec!(0.20)),
        ])
    }

    #[test]
    fn c3_three_units_within_two_months_gives_0_15() {
        assert_eq!(fig8().rate_for(3, 60), dec!(0.15));
    }

    #[test]
    fn c3_lookup_reads_the_table_as_a_grid() {
        let t = fig8();
        assert_eq!(t.rate_for(4, 45), dec!(0.15)); // row 3, column 60
        assert_eq!(t.rate_for(7, 10), dec!(0.30)); // row 5, column 30
        assert_eq!(t.rate_for(2, 90), dec!(0.01));
        assert_eq!(t.rate_for(0, 30), Decimal::ZERO); // nothing bought
        assert_eq!(t.rate_for(5, 91), Decimal::ZERO); // too slow for any column
    }

    #[test]
    fn c3_rates_must_lie_in_zero_to_one() {
        let bad = DiscountTable(vec![cell(1, 30, dec!(1.5)), cell(2, 30, dec!(-0.1)), cell(3, 30, dec!(1))]);
        let errors = bad.validate();
        assert_eq!(errors.errors().len(), 3, "{errors}");
        assert!(fig8().validate().is_empty());
    }

    #[test]
    fn c3_duplicate_cells_are_refused() {
        let t = DiscountTable(vec![cell(3, 60, dec!(0.1)), cell(3, 60, dec!(0.2))]);
        assert_eq!(t.validate().errors()[0].field, "discount_rates[1].min_quantity");
    }

    #[test]
    fn c3_tiers_must_be_strictly_ordered() {
        let list = eur(10_000);
        let good = PriceTiers {
            basis: TierBasis::MemberCount,
            tiers: vec![
                PriceTier { min: count(5), unit_price: eur(9_000) },
                PriceTier { min: count(10), unit_price: eur(8_000) },
            ],
        };
        assert!(good.validate(&list).is_empty());
        let unordered = PriceTiers {
            basis: TierBasis::Quantity,
            tiers: vec![
                PriceTier { min: count(10), unit_price: eur(8_000) },
                PriceTier { min: count(5), unit_price: eur(9_000) },
            ],
        };
        assert_eq!(unordered.validate(&list).errors().len(), 2);
        let usd = Money::from_minor(1, "USD".parse::<Currency>().unwrap());
        let mixed =
            PriceTiers { basis: TierBasis::Quantity, tiers: vec![PriceTier { min: count(1), unit_price: usd }] };
        assert_eq!(mixed.validate(&list).errors()[0].field, "tiers[0].unit_price");
    }

    #[test]
    fn c3_tier_price_is_the_highest_tier_reached() {
        let tiers = PriceTiers {
            basis: TierBasis::MemberCount,
            tiers: vec![
                PriceTier { min: count(5), unit_price: eur(9_000) },
                PriceTier { min: count(10), unit_price: eur(8_000) },
            ],
        };
        assert_eq!(tiers.price_at(4), None);
        assert_eq!(tiers.price_at(5), Some(&eur(9_000)));
        assert_eq!(tiers.price_at(9), Some(&eur(9_000)));
        assert_eq!(tiers.price_at(1_000), Some(&eur(8_000)));
    }

    proptest! {
        /// In a table where more units or a shorter period never earn less (as in Fig. 8), the
        /// looked-up rate never falls as the quantity grows or the period shrinks.
        #[test]
        fn c3_rate_is_monotonic_on_monotonic_tables(q in 0_u32..10, d in 1_u32..120, extra_q in 0_u32..5, less_d in 0_u32..60) {
            let t = fig8();
            let base = t.rate_for(q, d);
            prop_assert!(t.rate_for(q + extra_q, d) >= base);
            prop_assert!(t.rate_for(q, d.saturating_sub(less_d).max(1)) >= base);
        }

        /// Whatever the table, the rate found is one of its cells (or 0) and lies in [0, 1).
        #[test]
        fn c3_rate_comes_from_a_cell_that_applies(
            cells in proptest::collection::vec((1_u32..10, 1_u32..100, 0_i64..10_000), 0..12),
            q in 0_u32..12, d in 1_u32..120,
        ) {
            let t = DiscountTable(cells.iter().map(|&(mq, wd, r)| cell(mq, wd, Decimal::new(r, 4))).collect());
            let rate = t.rate_for(q, d);
            prop_assert!(rate >= Decimal::ZERO && rate < Decimal::ONE);
            if !rate.is_zero() {
                prop_assert!(t.0.iter().any(|c| c.rate == rate && c.min_quantity.get() <= q && d <= c.within_days.get()));
            }
        }
    }
}
