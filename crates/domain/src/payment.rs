//! A payment's life (PRODUCT.md P1): a hold that is captured (at most the hold) or voided, or a
//! charge captured at once; captured money refunded in parts, never more than was captured. Each
//! money movement yields the ledger [`Entry`] that records it.

use serde::{Deserialize, Serialize};

use crate::{GroupId, Money, MoneyError, ledger::Entry};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PaymentState {
    /// Sent to the provider; its answer is not recorded yet.
    Pending,
    /// The provider needs the payer to act (e.g. 3-D Secure).
    RequiresAction,
    /// Accepted; the outcome arrives later by webhook.
    Processing,
    /// Funds are held; capture or void next.
    Authorized,
    Captured,
    PartiallyRefunded,
    Refunded,
    Voided,
    Failed,
}

impl PaymentState {
    pub const ALL: [PaymentState; 9] = [
        Self::Pending,
        Self::RequiresAction,
        Self::Processing,
        Self::Authorized,
        Self::Captured,
        Self::PartiallyRefunded,
        Self::Refunded,
        Self::Voided,
        Self::Failed,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::RequiresAction => "requires_action",
            Self::Processing => "processing",
            Self::Authorized => "authorized",
            Self::Captured => "captured",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
            Self::Voided => "voided",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether an outcome reported later (by webhook) may still change this state.
    pub fn awaits_outcome(&self) -> bool {
        matches!(self, Self::Pending | Self::RequiresAction | Self::Processing)
    }
}

/// Why an operation is not allowed now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("the payment is {0:?}; this needs it {1}")]
    WrongState(PaymentState, &'static str),
    #[error("at most {0} can be captured")]
    OverCapture(Money),
    #[error("at most {0} can still be refunded")]
    OverRefund(Money),
    #[error("the amount must be positive")]
    NotPositive,
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// The amounts of one payment and what may happen to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentBook {
    pub group: GroupId,
    pub member: String,
    pub state: PaymentState,
    /// What was held or charged.
    pub amount: Money,
    pub captured: Money,
    /// Refunds the provider confirmed.
    pub refunded: Money,
    /// Refunds done or under way: what can no longer be refunded.
    pub refund_reserved: Money,
}

impl PaymentBook {
    pub fn new(group: GroupId, member: &str, amount: Money) -> Self {
        let zero = Money::zero(amount.currency());
        Self {
            group,
            member: member.to_owned(),
            state: PaymentState::Pending,
            amount,
            captured: zero,
            refunded: zero,
            refund_reserved: zero,
        }
    }

    fn positive(amount: Money) -> Result<Money, PaymentError> {
        if amount.is_positive() { Ok(amount) } else { Err(PaymentError::NotPositive) }
    }

    /// Checks a capture of `amount` (at most the hold) from an authorized payment.
    pub fn check_capture(&self, amount: Money) -> Result<(), PaymentError> {
        if self.state != PaymentState::Authorized {
            return Err(PaymentError::WrongState(self.state, "authorized"));
        }
        let amount = Self::positive(amount)?;
        // Subtracting first refuses another currency.
        if amount.checked_sub(self.amount)?.is_positive() {
            Err(PaymentError::OverCapture(self.amount))
        } else {
            Ok(())
        }
    }

    /// Records a capture the provider confirmed; returns its ledger entry.
    pub fn captured(&mut self, amount: Money) -> Result<Entry, PaymentError> {
        self.captured = amount;
        self.state = PaymentState::Captured;
        Ok(Entry::capture(self.group, &self.member, amount)?)
    }

    pub fn check_void(&self) -> Result<(), PaymentError> {
        match self.state {
            PaymentState::Authorized | PaymentState::RequiresAction => Ok(()),
            other => Err(PaymentError::WrongState(other, "authorized")),
        }
    }

    /// What can still be refunded.
    pub fn refundable(&self) -> Result<Money, PaymentError> {
        Ok(self.captured.checked_sub(self.refund_reserved)?)
    }

    /// Reserves `amount` for a refund: refused beyond what was captured and not yet refunded.
    pub fn reserve_refund(&mut self, amount: Money) -> Result<(), PaymentError> {
        if !matches!(self.state, PaymentState::Captured | PaymentState::PartiallyRefunded) {
            return Err(PaymentError::WrongState(self.state, "captured"));
        }
        let amount = Self::positive(amount)?;
        let refundable = self.refundable()?;
        if refundable.checked_sub(amount)?.is_negative() {
            return Err(PaymentError::OverRefund(refundable));
        }
        self.refund_reserved = self.refund_reserved.checked_add(amount)?;
        Ok(())
    }

    /// A reserved refund the provider confirmed; returns its ledger entry.
    pub fn refund_succeeded(&mut self, amount: Money) -> Result<Entry, PaymentError> {
        let refunded = self.refunded.checked_add(amount)?;
        if self.refund_reserved.checked_sub(refunded)?.is_negative() {
            return Err(PaymentError::OverRefund(self.refund_reserved.checked_sub(self.refunded)?));
        }
        self.refunded = refunded;
        self.state =
            if self.refunded == self.captured { PaymentState::Refunded } else { PaymentState::PartiallyRefunded };
        Ok(Entry::refund(self.group, amount)?)
    }

    /// A reserved refund the provider refused: the amount is refundable again.
    pub fn refund_failed(&mut self, amount: Money) -> Result<(), PaymentError> {
        self.refund_reserved = self.refund_reserved.checked_sub(amount)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::{Currency, ledger::balances};

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, "EUR".parse::<Currency>().unwrap())
    }

    fn authorized(minor: i64) -> PaymentBook {
        let mut book = PaymentBook::new(GroupId::generate(), "m1", eur(minor));
        book.state = PaymentState::Authorized;
        book
    }

    #[test]
    fn p1_capture_at_most_the_hold_then_refund_at_most_the_capture() {
        let mut book = authorized(10_000);
        assert_eq!(book.check_capture(eur(10_001)), Err(PaymentError::OverCapture(eur(10_000))));
        book.check_capture(eur(8_000)).unwrap();
        let entry = book.captured(eur(8_000)).unwrap();
        assert!(entry.is_balanced());
        book.reserve_refund(eur(1_500)).unwrap();
        book.refund_succeeded(eur(1_500)).unwrap();
        assert_eq!(book.state, PaymentState::PartiallyRefunded);
        assert_eq!(book.reserve_refund(eur(7_000)), Err(PaymentError::OverRefund(eur(6_500))));
        book.reserve_refund(eur(6_500)).unwrap();
        book.refund_succeeded(eur(6_500)).unwrap();
        assert_eq!(book.state, PaymentState::Refunded);
    }

    #[test]
    fn p1_wrong_states_are_refused() {
        let book = PaymentBook::new(GroupId::generate(), "m1", eur(100));
        assert!(matches!(book.check_capture(eur(100)), Err(PaymentError::WrongState(..))));
        let mut voided = authorized(100);
        voided.state = PaymentState::Voided;
        assert!(voided.check_void().is_err());
        assert!(matches!(authorized(100).reserve_refund(eur(1)), Err(PaymentError::WrongState(..))));
        assert_eq!(authorized(100).check_capture(eur(0)), Err(PaymentError::NotPositive));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Capture(i64),
        Refund(i64),
        FailRefund(i64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1_i64..20_000).prop_map(Op::Capture),
            (1_i64..20_000).prop_map(Op::Refund),
            (1_i64..20_000).prop_map(Op::FailRefund),
        ]
    }

    proptest! {
        /// P4: whatever is tried, every entry balances, the clearing account never goes negative,
        /// and refunds never exceed what was captured.
        #[test]
        fn p4_random_operations_keep_the_books_balanced(hold in 1_i64..20_000, ops in proptest::collection::vec(op(), 0..30)) {
            let mut book = authorized(hold);
            let mut entries = Vec::new();
            let mut refunded = eur(0);
            for op in ops {
                match op {
                    Op::Capture(n) => if book.check_capture(eur(n)).is_ok() {
                        entries.push(book.captured(eur(n)).unwrap());
                    },
                    Op::Refund(n) => if book.reserve_refund(eur(n)).is_ok() {
                        refunded = refunded.checked_add(eur(n)).unwrap();
                        entries.push(book.refund_succeeded(eur(n)).unwrap());
                    },
                    Op::FailRefund(n) => if book.reserve_refund(eur(n)).is_ok() {
                        book.refund_failed(eur(n)).unwrap();
                    },
                }
                prop_assert!(entries.iter().all(Entry::is_balanced));
                prop_assert!(refunded <= book.captured);
                prop_assert_eq!(book.refunded, refunded);
                prop_assert!(book.captured <= book.amount);
                let clearing = balances(&entries)
                    .into_iter()
                    .find(|((account, _), _)| account.starts_with("clearing:"))
                    .map_or(eur(0), |(_, m)| m);
                prop_assert!(!clearing.is_negative());
                prop_assert_eq!(clearing, book.captured.checked_sub(refunded).unwrap());
            }
            let total: i64 = entries.iter().flat_map(|e| &e.lines).map(|(_, m)| m.to_minor().unwrap()).sum();
            prop_assert_eq!(total, 0);
        }
    }
}
