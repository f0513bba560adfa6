//! Rows as stored, and their wire and domain forms.

use chrono::NaiveDateTime;
use contracts::{
    MoneyDto,
    payments::{CaptureMethod, MethodType, Payment, PaymentMethodSummary, Refund, RefundState},
};
use diesel::prelude::*;
use domain::{Currency, GroupId, Money, PaymentId, RefundId, payment::PaymentBook, payment::PaymentState};
use platform::db::Stored;

use super::schema::{payments, refunds};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = payments, treat_none_as_null = true)]
pub struct PaymentRow {
    pub id: Stored<PaymentId>,
    pub group_id: Stored<GroupId>,
    pub member: String,
    pub purpose: String,
    pub currency: Stored<Currency>,
    pub amount_minor: i64,
    pub captured_minor: i64,
    pub refunded_minor: i64,
    pub refund_reserved_minor: i64,
    pub capture_method: Stored<CaptureMethod>,
    pub method_type: Stored<MethodType>,
    pub method_last4: Option<String>,
    pub provider: String,
    pub provider_ref: Option<String>,
    pub state: Stored<PaymentState>,
    pub failure_code: Option<String>,
    pub hold_expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refunds)]
pub struct RefundRow {
    pub id: Stored<RefundId>,
    pub payment_id: Stored<PaymentId>,
    pub amount_minor: i64,
    pub reason: String,
    pub state: Stored<RefundState>,
    pub provider_ref: Option<String>,
    pub failure_code: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl PaymentRow {
    pub fn id(&self) -> PaymentId {
        self.id.0
    }

    pub fn state(&self) -> PaymentState {
        self.state.0
    }

    pub fn currency(&self) -> Currency {
        self.currency.0
    }

    pub fn money(&self, minor: i64) -> Money {
        Money::from_minor(minor, self.currency())
    }

    /// The domain's view, for checking what may happen next.
    pub fn book(&self) -> PaymentBook {
        PaymentBook {
            group: self.group_id.0,
            member: self.member.clone(),
            state: self.state(),
            amount: self.money(self.amount_minor),
            captured: self.money(self.captured_minor),
            refunded: self.money(self.refunded_minor),
            refund_reserved: self.money(self.refund_reserved_minor),
        }
    }

    pub fn to_dto(&self) -> Payment {
        let dto = |minor| -> MoneyDto { self.money(minor).into() };
        Payment {
            id: self.id(),
            group_id: self.group_id.0,
            member: self.member.clone(),
            purpose: self.purpose.clone(),
            state: self.state(),
            amount: dto(self.amount_minor),
            captured: dto(self.captured_minor),
            refunded: dto(self.refunded_minor),
            refundable: dto(self.captured_minor - self.refund_reserved_minor),
            capture_method: self.capture_method.0,
            method: PaymentMethodSummary { kind: self.method_type.0, last4: self.method_last4.clone() },
            provider: self.provider.clone(),
            provider_ref: self.provider_ref.clone(),
            failure_code: self.failure_code.clone(),
            hold_expires_at: self.hold_expires_at.map(|t| t.and_utc()),
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        }
    }
}

impl RefundRow {
    pub fn to_dto(&self, currency: Currency) -> Refund {
        Refund {
            id: self.id.0,
            payment_id: self.payment_id.0,
            amount: Money::from_minor(self.amount_minor, currency).into(),
            reason: self.reason.clone(),
            state: self.state.0,
            failure_code: self.failure_code.clone(),
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        }
    }
}

/// A pending card hold of 1.00 EUR, for tests.
#[cfg(test)]
pub fn sample_payment(now: NaiveDateTime) -> PaymentRow {
    PaymentRow {
        id: PaymentId::generate().into(),
        group_id: GroupId::generate().into(),
        member: "m".into(),
        purpose: "p".into(),
        currency: "EUR".parse::<Currency>().expect("a currency").into(),
        amount_minor: 100,
        captured_minor: 0,
        refunded_minor: 0,
        refund_reserved_minor: 0,
        capture_method: CaptureMethod::Manual.into(),
        method_type: MethodType::Card.into(),
        method_last4: None,
        provider: "sandbox".into(),
        provider_ref: None,
        state: PaymentState::Pending.into(),
        failure_code: None,
        hold_expires_at: None,
        created_at: now,
        updated_at: now,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use platform::{
        db::{Db, DbConnection},
        store_test,
        testing::{TestDatabase, settings},
    };

    use super::*;
    use crate::db::{payments, schema::payments as table};

    fn overwrite(conn: &mut DbConnection, column: &str, value: &str) -> diesel::QueryResult<usize> {
        diesel::sql_query(format!("UPDATE payments SET {column} = '{value}'")).execute(conn)
    }

    // Issue 8, finding 5: an unknown stored method, capture method or state silently became a default.
    store_test!(x7_an_unknown_stored_value_is_an_error_not_a_default, |backend| async move {
        let Some(test_db) = TestDatabase::create(backend, "typed_rows") else { return };
        let db = Db::connect(&settings(&test_db.url).database, crate::service().migrations).await.unwrap();
        let row = sample_payment(db.clock().now());
        let id = row.id();
        let read = db
            .run(move |conn| {
                payments::insert(conn, &row)?;
                let mut read = vec![payments::find(conn, id)?.is_some()];
                for (column, value) in [("method_type", "cash"), ("capture_method", "later"), ("state", "lost")] {
                    let saved: (String, String, String) =
                        table::table.select((table::method_type, table::capture_method, table::state)).first(conn)?;
                    overwrite(conn, column, value)?;
                    read.push(payments::find(conn, id).is_ok());
                    overwrite(conn, "method_type", &saved.0)?;
                    overwrite(conn, "capture_method", &saved.1)?;
                    overwrite(conn, "state", &saved.2)?;
                }
                read.push(payments::find(conn, id)?.is_some());
                Ok::<_, platform::db::StoreError>(read)
            })
            .await
            .unwrap();
        assert_eq!(read, [true, false, false, false, true]);
    });
}
