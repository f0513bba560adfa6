//! Money on the wire (PRODUCT.md X1): `{"amount": "12.50", "currency": "EUR"}`, never a float.

use std::str::FromStr;

use domain::{Currency, Money, Violations};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An exact amount: a decimal string with no more decimals than the currency has. Amounts sent
/// by clients must be below 1000000000 (one billion major units) either way; sums the services
/// report may be larger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": "12.50", "currency": "EUR"}))]
pub struct MoneyDto {
    /// Decimal string, such as `"12.50"`.
    #[schema(pattern = r"^-?[0-9]{1,19}(\.[0-9]{1,4})?$", max_length = 25)]
    pub amount: String,
    /// ISO 4217 code, such as `EUR`.
    #[schema(min_length = 3, max_length = 3)]
    pub currency: String,
}

impl MoneyDto {
    /// Parses into exact money, reporting problems under `field`.
    pub fn parse(&self, field: &str, v: &mut Violations) -> Option<Money> {
        let currency = match Currency::from_str(&self.currency) {
            Ok(c) => Some(c),
            Err(e) => {
                v.add(format!("{field}.currency"), e.to_string());
                None
            }
        };
        let amount = match parse_decimal(&self.amount) {
            Some(a) => Some(a),
            None => {
                v.add(format!("{field}.amount"), "must be a decimal string such as \"12.50\"");
                None
            }
        };
        match Money::new(amount?, currency?) {
            Ok(m) => Some(m),
            Err(e) => {
                v.add(format!("{field}.amount"), e.to_string());
                None
            }
        }
    }

    /// Like [`parse`](Self::parse), also refusing negative amounts.
    pub fn parse_non_negative(&self, field: &str, v: &mut Violations) -> Option<Money> {
        let money = self.parse(field, v)?;
        if money.is_negative() {
            v.add(format!("{field}.amount"), "must not be negative");
            return None;
        }
        Some(money)
    }
}

/// Plain decimal notation only: no exponent, no spaces, no `+`.
fn parse_decimal(s: &str) -> Option<Decimal> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let well_formed = !digits.is_empty()
        && digits.len() <= 30
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|&b| b == b'.').count() <= 1
        && !digits.starts_with('.')
        && !digits.ends_with('.');
    well_formed.then(|| Decimal::from_str_exact(s).ok()).flatten()
}

impl From<Money> for MoneyDto {
    fn from(m: Money) -> Self {
        Self { amount: m.amount().to_string(), currency: m.currency().code().to_owned() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dto(amount: &str, currency: &str) -> MoneyDto {
        MoneyDto { amount: amount.into(), currency: currency.into() }
    }

    #[test]
    fn x1_valid_amounts_parse_exactly() {
        let mut v = Violations::new();
        let m = dto("12.5", "EUR").parse_non_negative("price", &mut v).unwrap();
        assert_eq!(MoneyDto::from(m), dto("12.50", "EUR"));
    }

    #[test]
    fn x1_bad_amounts_name_the_field() {
        for (amount, currency, field) in [
            ("12.345", "EUR", "price.amount"),
            ("-1.00", "EUR", "price.amount"),
            ("1e3", "EUR", "price.amount"),
            (" 1", "EUR", "price.amount"),
            ("", "EUR", "price.amount"),
            ("1.00", "ZZZ", "price.currency"),
            ("99999999999999999999999999999999", "EUR", "price.amount"),
            ("92233720368547758.08", "EUR", "price.amount"),
            ("1000000000", "EUR", "price.amount"),
        ] {
            let mut v = Violations::new();
            assert!(dto(amount, currency).parse_non_negative("price", &mut v).is_none(), "{amount}");
            assert_eq!(v.errors()[0].field, field, "{amount} {currency}");
        }
    }
}
