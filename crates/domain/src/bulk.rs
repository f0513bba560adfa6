//! Bulk purchase (PRODUCT.md G4 `bulk_purchase`; seed 003): purchasers buy at list price, and the
//! special favor — a discount refunded — is given only once the group has bought what its
//! completion policy asks, never up front. The policies are pure: the purchase-state table and
//! the time in, a decision out.
//!
//! Times are seconds since the purchase period started (the declaration), so that the rules need
//! no clock.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::DiscountTable;

const DAY: u64 = 86_400;

/// When the favor is earned (003 Figs. 5-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CompletionPolicy {
    /// Fig. 5: only if every declared purchaser bought within the period.
    AllWithinPeriod,
    /// Fig. 6: when the last purchaser buys or the period ends, by the quantity actually bought.
    PartialAtDeadline,
    /// Fig. 7: when the last purchaser buys, by the time the group took; no end date needed.
    TimeScaled,
}

impl CompletionPolicy {
    /// Whether a declaration under this policy must give the period's end.
    pub fn needs_period_end(self) -> bool {
        !matches!(self, Self::TimeScaled)
    }
}

/// What the leader declared that the policies read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declaration {
    pub purchasers: u32,
    /// Seconds from the start to the end of the purchase period; `None` when there is no end.
    pub period_secs: Option<u64>,
}

/// One row of the purchase-state table that has bought (003 Fig. 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purchase {
    pub quantity: u32,
    /// When, in seconds since the period started.
    pub at_secs: u64,
}

/// The favor the group earned: `rate` of what each member paid, for `quantity` units bought over
/// `period_days` days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Favor {
    pub rate: Decimal,
    pub quantity: u32,
    pub period_days: u32,
}

/// Why a group ends without a favor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum NoFavor {
    /// The period ended before every declared purchaser bought (`all_within_period`).
    Incomplete,
    /// Nobody bought within the period.
    NothingBought,
    /// The discount-rate table has no cell for what was bought over the time it took.
    NoRateApplies,
}

/// What a completion policy decides from the purchase-state table at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Not yet: purchases may still come.
    Pending,
    Favor(Favor),
    None(NoFavor),
}

/// Whole days in `secs`, a started day counting as one (so at least one).
pub fn days(secs: u64) -> u32 {
    u32::try_from(secs.div_ceil(DAY).max(1)).unwrap_or(u32::MAX)
}

impl CompletionPolicy {
    /// Decides at `now_secs` on the purchases made so far (one per purchaser, each within the
    /// period: purchases stop once the period ends or a decision is made).
    pub fn decide(
        self,
        table: &DiscountTable,
        declaration: Declaration,
        purchases: &[Purchase],
        now_secs: u64,
    ) -> Decision {
        let everyone = u32::try_from(purchases.len()).is_ok_and(|n| n >= declaration.purchasers);
        let last = purchases.iter().map(|p| p.at_secs).max();
        let ended = declaration.period_secs.filter(|&end| now_secs >= end);
        let bought: u32 = purchases.iter().map(|p| p.quantity).fold(0, u32::saturating_add);
        let within = |at: u64| declaration.period_secs.is_none_or(|end| at <= end);
        let favor = |over_secs: u64| {
            let period_days = days(over_secs);
            let rate = table.rate_for(bought, period_days);
            if rate.is_zero() {
                Decision::None(NoFavor::NoRateApplies)
            } else {
                Decision::Favor(Favor { rate, quantity: bought, period_days })
            }
        };
        match (self, everyone, last) {
            (Self::AllWithinPeriod | Self::PartialAtDeadline, true, Some(last)) if within(last) => favor(last),
            (Self::AllWithinPeriod, true, Some(_)) => Decision::None(NoFavor::Incomplete),
            (Self::TimeScaled, true, Some(last)) => favor(last),
            (Self::AllWithinPeriod, _, _) if ended.is_some() => Decision::None(NoFavor::Incomplete),
            (Self::PartialAtDeadline, _, None) if ended.is_some() => Decision::None(NoFavor::NothingBought),
            (Self::PartialAtDeadline, _, Some(_)) => ended.map_or(Decision::Pending, favor),
            _ => Decision::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    use super::*;
    use crate::{Count, Currency, DiscountRate, Money};

    const POLICIES: [CompletionPolicy; 3] =
        [CompletionPolicy::AllWithinPeriod, CompletionPolicy::PartialAtDeadline, CompletionPolicy::TimeScaled];

    /// 003 Fig. 8 in spirit: more units or a shorter period, a higher rate.
    fn table() -> DiscountTable {
        let cell = |q: u32, d: u32, rate: Decimal| DiscountRate {
            min_quantity: Count::new(q).unwrap(),
            within_days: Count::new(d).unwrap(),
            rate,
        };
        DiscountTable(vec![
            cell(2, 60, dec!(0.05)),
            cell(3, 30, dec!(0.20)),
            cell(3, 60, dec!(0.15)),
            cell(5, 60, dec!(0.25)),
        ])
    }

    fn at(days: u64, quantity: u32) -> Purchase {
        Purchase { quantity, at_secs: days * DAY }
    }

    const SIXTY_DAYS: Declaration = Declaration { purchasers: 3, period_secs: Some(60 * DAY) };

    #[test]
    fn g4_all_within_period_gives_the_favor_only_when_everyone_bought_in_time() {
        let p = CompletionPolicy::AllWithinPeriod;
        let three = [at(1, 1), at(20, 1), at(45, 1)];
        assert_eq!(
            p.decide(&table(), SIXTY_DAYS, &three, 45 * DAY),
            Decision::Favor(Favor { rate: dec!(0.15), quantity: 3, period_days: 45 })
        );
        assert_eq!(p.decide(&table(), SIXTY_DAYS, &three[..2], 59 * DAY), Decision::Pending);
        assert_eq!(p.decide(&table(), SIXTY_DAYS, &three[..2], 60 * DAY), Decision::None(NoFavor::Incomplete));
    }

    #[test]
    fn g4_partial_at_deadline_pays_by_what_was_bought() {
        let p = CompletionPolicy::PartialAtDeadline;
        let two = [at(1, 1), at(2, 1)];
        assert_eq!(p.decide(&table(), SIXTY_DAYS, &two, 10 * DAY), Decision::Pending);
        assert_eq!(
            p.decide(&table(), SIXTY_DAYS, &two, 60 * DAY),
            Decision::Favor(Favor { rate: dec!(0.05), quantity: 2, period_days: 60 })
        );
        assert_eq!(p.decide(&table(), SIXTY_DAYS, &[], 60 * DAY), Decision::None(NoFavor::NothingBought));
        let one = [at(1, 1)];
        assert_eq!(p.decide(&table(), SIXTY_DAYS, &one, 60 * DAY), Decision::None(NoFavor::NoRateApplies));
    }

    #[test]
    fn g4_time_scaled_pays_more_the_faster_the_group_bought() {
        let p = CompletionPolicy::TimeScaled;
        let open_ended = Declaration { purchasers: 3, period_secs: None };
        let fast = [at(1, 1), at(2, 1), at(29, 1)];
        let slow = [at(1, 1), at(2, 1), at(50, 1)];
        let late = [at(1, 1), at(2, 1), at(90, 1)];
        assert_eq!(
            p.decide(&table(), open_ended, &fast, 29 * DAY),
            Decision::Favor(Favor { rate: dec!(0.20), quantity: 3, period_days: 29 })
        );
        assert_eq!(
            p.decide(&table(), open_ended, &slow, 50 * DAY),
            Decision::Favor(Favor { rate: dec!(0.15), quantity: 3, period_days: 50 })
        );
        assert_eq!(p.decide(&table(), open_ended, &late, 90 * DAY), Decision::None(NoFavor::NoRateApplies));
        assert_eq!(p.decide(&table(), open_ended, &fast[..2], 1000 * DAY), Decision::Pending, "waits for the last");
    }

    #[test]
    fn g4_the_favor_is_the_rate_of_the_price_paid_to_the_cent() {
        let eur: Currency = "EUR".parse().unwrap();
        let paid = Money::new(dec!(99.99), eur).unwrap();
        assert_eq!(paid.apply_rate(dec!(0.15)).unwrap(), Money::new(dec!(15.00), eur).unwrap(), "14.9985 → 15.00");
    }

    fn purchases() -> impl Strategy<Value = (Declaration, Vec<Purchase>, u64)> {
        (1u32..6, prop::option::of(1u64..90), 0u64..120).prop_flat_map(|(purchasers, period_days, now_days)| {
            let period_secs = period_days.map(|d| d * DAY);
            let bought = prop::collection::vec((1u32..4, 0u64..120 * DAY), 0..=purchasers as usize);
            (Just(Declaration { purchasers, period_secs }), bought, Just(now_days * DAY)).prop_map(
                |(declaration, bought, now)| {
                    // Purchases happen before `now`, and never after the period ended.
                    let limit = declaration.period_secs.map_or(now, |end| end.min(now));
                    let made =
                        bought.into_iter().map(|(quantity, at)| Purchase { quantity, at_secs: at % (limit + 1) });
                    (declaration, made.collect(), now)
                },
            )
        })
    }

    proptest! {
        #[test]
        fn g4_no_favor_is_given_up_front_and_decisions_stand((declaration, bought, now) in purchases(), later in 0u64..200 * DAY) {
            for policy in POLICIES {
                let decision = policy.decide(&table(), declaration, &bought, now);
                let everyone = bought.len() as u32 >= declaration.purchasers;
                let ended = declaration.period_secs.is_some_and(|end| now >= end);
                if let Decision::Favor(favor) = decision {
                    // Never up front: everyone bought, or (partial) the period is over.
                    prop_assert!(everyone || (policy == CompletionPolicy::PartialAtDeadline && ended));
                    prop_assert_eq!(favor.quantity, bought.iter().map(|p| p.quantity).sum::<u32>());
                    prop_assert_eq!(favor.rate, table().rate_for(favor.quantity, favor.period_days));
                    prop_assert!(favor.rate > Decimal::ZERO && favor.rate < Decimal::ONE);
                }
                if policy == CompletionPolicy::AllWithinPeriod {
                    prop_assert!(!matches!(decision, Decision::Favor(_)) || everyone);
                }
                if decision != Decision::Pending {
                    // Time moving on changes nothing once decided.
                    prop_assert_eq!(policy.decide(&table(), declaration, &bought, now + later), decision);
                } else {
                    prop_assert!(!everyone, "{:?} pending although everyone bought", policy);
                }
            }
        }

        #[test]
        fn g4_favors_never_exceed_what_was_paid(minor in 1i64..10_000_000, rate in 0u32..1_000_000) {
            let eur: Currency = "EUR".parse().unwrap();
            let paid = Money::from_minor(minor, eur);
            let rate = Decimal::new(i64::from(rate), 6);
            let favor = paid.apply_rate(rate).unwrap();
            prop_assert!(!favor.is_negative() && favor.amount() <= paid.amount());
            prop_assert!((favor.amount() - paid.amount() * rate).abs() <= dec!(0.005), "rounded to the cent");
        }
    }

    // Issue 22, finding 14: a group completed within its first second reported 0 days taken.
    #[test]
    fn abuse_14_a_period_is_at_least_one_day() {
        assert_eq!((days(0), days(1), days(DAY), days(DAY + 1)), (1, 1, 1, 2));
    }
}
