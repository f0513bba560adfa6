//! Rows as stored, and their wire and domain forms.

use chrono::NaiveDateTime;
use contracts::{
    MoneyDto, from_wire_name,
    payments::{Payment, PaymentMethodSummary, Refund},
};
use diesel::prelude::*;
use domain::{Currency, Money, payment::PaymentBook, payment::PaymentState};
use platform::ApiError;

use super::schema::{payments, refunds};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = payments, treat_none_as_null = true)]
pub struct PaymentRow {
    pub id: String,
    pub group_id: String,
    pub member: String,
    pub purpose: String,
    pub currency: String,
    pub amount_minor: i64,
    pub captured_minor: i64,
    pub refunded_minor: i64,
    pub refund_reserved_minor: i64,
    pub capture_method: String,
    pub method_type: String,
    pub method_last4: Option<String>,
    pub provider: String,
    pub provider_ref: Option<String>,
    pub state: String,
    pub failure_code: Option<String>,
    pub hold_expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refunds)]
pub struct RefundRow {
    pub id: String,
    pub payment_id: String,
    pub amount_minor: i64,
    pub reason: String,
    pub state: String,
    pub provider_ref: Option<String>,
    pub failure_code: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

fn corrupt(what: &str) -> ApiError {
    ApiError::internal(anyhow::anyhow!("stored payment data unreadable: {what}"))
}

impl PaymentRow {
    pub fn currency(&self) -> Result<Currency, ApiError> {
        self.currency.parse().map_err(|_| corrupt("currency"))
    }

    pub fn money(&self, minor: i64) -> Result<Money, ApiError> {
        Ok(Money::from_minor(minor, self.currency()?))
    }

    pub fn state(&self) -> Result<PaymentState, ApiError> {
        PaymentState::parse(&self.state).ok_or_else(|| corrupt("state"))
    }

    /// The domain's view, for checking what may happen next.
    pub fn book(&self) -> Result<PaymentBook, ApiError> {
        Ok(PaymentBook {
            group: self.group_id.parse().map_err(|_| corrupt("group id"))?,
            member: self.member.clone(),
            state: self.state()?,
            amount: self.money(self.amount_minor)?,
            captured: self.money(self.captured_minor)?,
            refunded: self.money(self.refunded_minor)?,
            refund_reserved: self.money(self.refund_reserved_minor)?,
        })
    }

    pub fn to_dto(&self) -> Result<Payment, ApiError> {
        let dto = |minor| -> Result<MoneyDto, ApiError> { Ok(self.money(minor)?.into()) };
        Ok(Payment {
            id: self.id.parse().map_err(|_| corrupt("id"))?,
            group_id: self.group_id.parse().map_err(|_| corrupt("group id"))?,
            member: self.member.clone(),
            purpose: self.purpose.clone(),
            state: self.state()?,
            amount: dto(self.amount_minor)?,
            captured: dto(self.captured_minor)?,
            refunded: dto(self.refunded_minor)?,
            refundable: dto(self.captured_minor - self.refund_reserved_minor)?,
            capture_method: from_wire_name(&self.capture_method).ok_or_else(|| corrupt("capture method"))?,
            method: PaymentMethodSummary {
                kind: from_wire_name(&self.method_type).ok_or_else(|| corrupt("method type"))?,
                last4: self.method_last4.clone(),
            },
            provider: self.provider.clone(),
            provider_ref: self.provider_ref.clone(),
            failure_code: self.failure_code.clone(),
            hold_expires_at: self.hold_expires_at.map(|t| t.and_utc()),
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

impl RefundRow {
    pub fn to_dto(&self, currency: Currency) -> Result<Refund, ApiError> {
        Ok(Refund {
            id: self.id.parse().map_err(|_| corrupt("refund id"))?,
            payment_id: self.payment_id.parse().map_err(|_| corrupt("payment id"))?,
            amount: Money::from_minor(self.amount_minor, currency).into(),
            reason: self.reason.clone(),
            state: from_wire_name(&self.state).ok_or_else(|| corrupt("refund state"))?,
            failure_code: self.failure_code.clone(),
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Issue 8, finding 5: an unknown stored method or capture method silently became a default.
    #[test]
    fn x7_an_unknown_stored_value_is_an_error_not_a_default() {
        let now = platform::db::now();
        let row = PaymentRow {
            id: domain::PaymentId::generate().to_string(),
            group_id: domain::GroupId::generate().to_string(),
            member: "m".into(),
            purpose: "p".into(),
            currency: "EUR".into(),
            amount_minor: 100,
            captured_minor: 0,
            refunded_minor: 0,
            refund_reserved_minor: 0,
            capture_method: "manual".into(),
            method_type: "card".into(),
            method_last4: None,
            provider: "sandbox".into(),
            provider_ref: None,
            state: "pending".into(),
            failure_code: None,
            hold_expires_at: None,
            created_at: now,
            updated_at: now,
        };
        assert!(row.to_dto().is_ok());
        for broken in [
            PaymentRow { method_type: "cash".into(), ..row.clone() },
            PaymentRow { capture_method: "later".into(), ..row.clone() },
            PaymentRow { state: "lost".into(), ..row.clone() },
        ] {
            assert!(broken.to_dto().is_err(), "{broken:?}");
        }
        let refund = RefundRow {
            id: domain::RefundId::generate().to_string(),
            payment_id: row.id.clone(),
            amount_minor: 1,
            reason: "r".into(),
            state: "refunded_twice".into(),
            provider_ref: None,
            failure_code: None,
            created_at: now,
            updated_at: now,
        };
        assert!(refund.to_dto("EUR".parse().unwrap()).is_err());
    }
}
