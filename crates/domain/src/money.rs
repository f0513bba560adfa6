//! Exact money: a `rust_decimal` amount in an ISO 4217 currency.
//!
//! Storage uses integer minor units (cents for EUR, yen for JPY) scaled by the currency's
//! exponent. Input amounts must already fit that exponent: "12.345 EUR" is refused rather than
//! silently rounded. Computed amounts (a rate times a price) are rounded to the exponent with
//! banker's rounding (half to even), so that rounding errors do not drift one way over many
//! members.

use std::{fmt, str::FromStr};

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Why an amount or currency was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("`{0}` is not an ISO 4217 currency with minor units")]
    UnknownCurrency(String),
    #[error("{currency} allows at most {exponent} decimal places")]
    TooPrecise { currency: Currency, exponent: u32 },
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount is out of range")]
    Overflow,
    #[error("amounts must be below {} in major units", Money::LIMIT)]
    TooLarge,
}

/// An ISO 4217 currency that has minor units (gold or SDR cannot be paid with).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    iso: iso_currency::Currency,
    exponent: u32,
}

impl Currency {
    pub fn code(&self) -> &'static str {
        self.iso.code()
    }

    /// Digits after the decimal point: 2 for EUR, 0 for JPY, 3 for KWD.
    pub fn exponent(&self) -> u32 {
        self.exponent
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(code: &str) -> Result<Self, Self::Err> {
        let unknown = || MoneyError::UnknownCurrency(code.to_owned());
        let iso = iso_currency::Currency::from_code(code).ok_or_else(unknown)?;
        let exponent = iso.exponent().ok_or_else(unknown)?;
        Ok(Self { iso, exponent: u32::from(exponent) })
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        code.parse().map_err(serde::de::Error::custom)
    }
}

/// An exact amount of one currency. The amount always fits the currency's exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Money {
    #[serde(with = "rust_decimal::serde::str")]
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Amounts given by clients stay strictly below this, in major units (1,000,000,000.00 EUR):
    /// far beyond any one purchase, and low enough that no sum of a group's movements comes near
    /// the 64-bit minor units the stores keep.
    pub const LIMIT: i64 = 1_000_000_000;

    /// An amount given by a client: refused if it has more decimals than the currency allows or
    /// is not below [`Money::LIMIT`] either way.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        if amount.abs() >= Decimal::from(Self::LIMIT) {
            return Err(MoneyError::TooLarge);
        }
        let normalized = amount.normalize();
        if normalized.scale() > currency.exponent {
            return Err(MoneyError::TooPrecise { currency, exponent: currency.exponent });
        }
        Ok(Self::rescaled(normalized, currency))
    }

    /// An amount computed by the platform, rounded half to even to the currency's exponent.
    pub fn rounded(amount: Decimal, currency: Currency) -> Self {
        let rounded = amount.round_dp_with_strategy(currency.exponent, RoundingStrategy::MidpointNearestEven);
        Self::rescaled(rounded, currency)
    }

    pub fn zero(currency: Currency) -> Self {
        Self::rescaled(Decimal::ZERO, currency)
    }

    /// From integer minor units as stored: 1250 EUR-cents is 12.50 EUR.
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Self::rescaled(Decimal::new(minor, currency.exponent), currency)
    }

    /// To integer minor units for storage.
    pub fn to_minor(&self) -> Result<i64, MoneyError> {
        let scaled = self.amount.checked_mul(Decimal::from(10_i64.pow(self.currency.exponent)));
        scaled.and_then(|d| i64::try_from(d).ok()).ok_or(MoneyError::Overflow)
    }

    pub fn amount(&self) -> Decimal {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    pub fn is_positive(&self) -> bool {
        self.amount.is_sign_positive() && !self.amount.is_zero()
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let sum = self.amount.checked_add(other.amount).ok_or(MoneyError::Overflow)?;
        Ok(Self::rescaled(sum, self.currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let diff = self.amount.checked_sub(other.amount).ok_or(MoneyError::Overflow)?;
        Ok(Self::rescaled(diff, self.currency))
    }

    /// This amount times a quantity, exact.
    pub fn times(self, quantity: u32) -> Result<Money, MoneyError> {
        let product = self.amount.checked_mul(Decimal::from(quantity)).ok_or(MoneyError::Overflow)?;
        Ok(Self::rescaled(product, self.currency))
    }

    /// This amount times a rate (a discount of 0.15, say), rounded half to even.
    pub fn apply_rate(self, rate: Decimal) -> Result<Money, MoneyError> {
        let product = self.amount.checked_mul(rate).ok_or(MoneyError::Overflow)?;
        Ok(Self::rounded(product, self.currency))
    }

    fn same_currency(&self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    fn rescaled(mut amount: Decimal, currency: Currency) -> Self {
        amount.rescale(currency.exponent);
        Self { amount, currency }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl PartialOrd for Money {
    /// Amounts of different currencies are not ordered.
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        (self.currency == other.currency).then(|| self.amount.cmp(&other.amount))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    use super::*;

    fn eur() -> Currency {
        "EUR".parse().unwrap()
    }

    #[test]
    fn exponent_follows_iso_4217() {
        assert_eq!(eur().exponent(), 2);
        assert_eq!("JPY".parse::<Currency>().unwrap().exponent(), 0);
        assert_eq!("KWD".parse::<Currency>().unwrap().exponent(), 3);
    }

    /// Issue 7, finding 4: two charges near i64::MAX minor units wrapped the books round.
    #[test]
    fn client_amounts_stay_below_the_limit() {
        assert!(Money::new(dec!(999999999.99), eur()).is_ok());
        for too_large in [dec!(1000000000), dec!(-1000000000), dec!(92233720368547758.07)] {
            assert_eq!(Money::new(too_large, eur()), Err(MoneyError::TooLarge), "{too_large}");
        }
    }

    #[test]
    fn unknown_and_unitless_currencies_are_refused() {
        assert!(matches!("XYZ".parse::<Currency>(), Err(MoneyError::UnknownCurrency(_))));
        assert!(matches!("eur".parse::<Currency>(), Err(MoneyError::UnknownCurrency(_))));
        // Gold has no minor unit: nothing can be paid in it.
        assert!(matches!("XAU".parse::<Currency>(), Err(MoneyError::UnknownCurrency(_))));
    }

    #[test]
    fn client_amounts_beyond_the_exponent_are_refused_not_rounded() {
        assert!(matches!(Money::new(dec!(12.345), eur()), Err(MoneyError::TooPrecise { .. })));
        assert_eq!(Money::new(dec!(12.340), eur()).unwrap().to_minor().unwrap(), 1234);
        let jpy: Currency = "JPY".parse().unwrap();
        assert!(Money::new(dec!(1.5), jpy).is_err());
    }

    #[test]
    fn minor_units_round_trip() {
        let m = Money::from_minor(1250, eur());
        assert_eq!(m.amount(), dec!(12.50));
        assert_eq!(m.to_string(), "12.50 EUR");
        assert_eq!(m.to_minor().unwrap(), 1250);
    }

    #[test]
    fn computed_amounts_round_half_to_even() {
        // 0.15 × 0.10 = 0.015 → 0.02 (to even); 0.15 × 0.30 = 0.045 → 0.04 (to even).
        assert_eq!(Money::from_minor(10, eur()).apply_rate(dec!(0.15)).unwrap().to_minor().unwrap(), 2);
        assert_eq!(Money::from_minor(30, eur()).apply_rate(dec!(0.15)).unwrap().to_minor().unwrap(), 4);
    }

    #[test]
    fn arithmetic_refuses_mixed_currencies() {
        let usd: Currency = "USD".parse().unwrap();
        let sum = Money::from_minor(1, eur()).checked_add(Money::from_minor(1, usd));
        assert!(matches!(sum, Err(MoneyError::CurrencyMismatch(_, _))));
        assert!(Money::from_minor(1, eur()).partial_cmp(&Money::from_minor(1, usd)).is_none());
    }

    #[test]
    fn serializes_as_decimal_string() {
        let json = serde_json::to_value(Money::from_minor(1005, eur())).unwrap();
        assert_eq!(json, serde_json::json!({"amount": "10.05", "currency": "EUR"}));
    }

    proptest! {
        #[test]
        fn minor_units_round_trip_for_any_amount(minor in -1_000_000_000_000_i64..1_000_000_000_000) {
            for code in ["EUR", "JPY", "KWD"] {
                let currency: Currency = code.parse().unwrap();
                let money = Money::from_minor(minor, currency);
                prop_assert_eq!(money.to_minor().unwrap(), minor);
                if money.amount().abs() < Decimal::from(Money::LIMIT) {
                    prop_assert_eq!(Money::new(money.amount(), currency).unwrap(), money);
                } else {
                    prop_assert_eq!(Money::new(money.amount(), currency), Err(MoneyError::TooLarge));
                }
            }
        }

        #[test]
        fn addition_and_subtraction_are_exact(a in -1_000_000_000_i64..1_000_000_000, b in -1_000_000_000_i64..1_000_000_000) {
            let (x, y) = (Money::from_minor(a, eur()), Money::from_minor(b, eur()));
            prop_assert_eq!(x.checked_add(y).unwrap().to_minor().unwrap(), a + b);
            prop_assert_eq!(x.checked_add(y).unwrap().checked_sub(y).unwrap(), x);
        }

        #[test]
        fn applying_a_rate_never_exceeds_the_price(minor in 0_i64..1_000_000_000, rate_bp in 0_i64..10_000) {
            let price = Money::from_minor(minor, eur());
            let part = price.apply_rate(Decimal::new(rate_bp, 4)).unwrap();
            prop_assert!(part.to_minor().unwrap() <= minor);
            prop_assert!(!part.is_negative());
            // Rounded to the currency's exponent, off by at most half a minor unit.
            let exact = Decimal::from(minor) * Decimal::new(rate_bp, 4);
            prop_assert!((Decimal::from(part.to_minor().unwrap()) - exact).abs() <= dec!(0.5));
        }
    }
}
