//! Rows as stored, and their wire and domain forms.

use chrono::NaiveDateTime;
use contracts::{
    MoneyDto,
    payments::{CaptureMethod, MethodType, Payment, PaymentMethodSummary, Refund, RefundState},
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
            capture_method: if self.capture_method == "manual" {
                CaptureMethod::Manual
            } else {
                CaptureMethod::Automatic
            },
            method: PaymentMethodSummary {
                kind: if self.method_type == "card" { MethodType::Card } else { MethodType::BankTransfer },
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
            state: match self.state.as_str() {
                "succeeded" => RefundState::Succeeded,
                "failed" => RefundState::Failed,
                _ => RefundState::Pending,
            },
            failure_code: self.failure_code.clone(),
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}
