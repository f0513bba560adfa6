//! Double-entry bookkeeping for a group's money (PRODUCT.md P4). Every movement is an [`Entry`]
//! whose lines sum to zero in each currency. Accounts, and the sign convention (a line adds to the
//! account's balance):
//!
//! - `payment_source:<member>`: money that left a member; it goes negative as the member pays.
//! - `clearing:<group>`: the group's escrow: captures in, refunds and payouts out.
//! - `refunds:<group>`: money returned to members.
//! - `supplier_payable:<group>`: money owed to the supplier once the group is settled.
//!
//! Once a group is settled its clearing balance is zero: charges − refunds − payouts = 0.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{Currency, GroupId, Money, MoneyError};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Account {
    PaymentSource(String),
    Clearing(GroupId),
    Refunds(GroupId),
    SupplierPayable(GroupId),
}

impl Account {
    pub fn code(&self) -> String {
        match self {
            Self::PaymentSource(member) => format!("payment_source:{member}"),
            Self::Clearing(g) => format!("clearing:{g}"),
            Self::Refunds(g) => format!("refunds:{g}"),
            Self::SupplierPayable(g) => format!("supplier_payable:{g}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Capture,
    Refund,
    Payout,
}

impl EntryKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Capture => "capture",
            Self::Refund => "refund",
            Self::Payout => "payout",
        }
    }
}

/// A balanced movement: the lines of each currency sum to zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: EntryKind,
    pub lines: Vec<(Account, Money)>,
}

impl Entry {
    /// A member's money reaches the group's escrow.
    pub fn capture(group: GroupId, member: &str, amount: Money) -> Result<Self, MoneyError> {
        Self::transfer(EntryKind::Capture, Account::PaymentSource(member.to_owned()), Account::Clearing(group), amount)
    }

    /// Escrow goes back to a member.
    pub fn refund(group: GroupId, amount: Money) -> Result<Self, MoneyError> {
        Self::transfer(EntryKind::Refund, Account::Clearing(group), Account::Refunds(group), amount)
    }

    /// Escrow is owed to the supplier: the group is settled.
    pub fn payout(group: GroupId, amount: Money) -> Result<Self, MoneyError> {
        Self::transfer(EntryKind::Payout, Account::Clearing(group), Account::SupplierPayable(group), amount)
    }

    fn transfer(kind: EntryKind, from: Account, to: Account, amount: Money) -> Result<Self, MoneyError> {
        let negated = Money::zero(amount.currency()).checked_sub(amount)?;
        Ok(Self { kind, lines: vec![(from, negated), (to, amount)] })
    }

    /// Whether each currency's lines sum to zero.
    pub fn is_balanced(&self) -> bool {
        let mut sums: BTreeMap<&str, i128> = BTreeMap::new();
        for (_, m) in &self.lines {
            let Ok(minor) = m.to_minor() else { return false };
            *sums.entry(m.currency().code()).or_default() += i128::from(minor);
        }
        sums.values().all(|&sum| sum == 0)
    }
}

/// Each account's balance per currency over `entries`.
pub fn balances(entries: &[Entry]) -> BTreeMap<(String, &'static str), Money> {
    let mut out: BTreeMap<(String, &'static str), Money> = BTreeMap::new();
    for (account, amount) in entries.iter().flat_map(|e| &e.lines) {
        let currency: Currency = amount.currency();
        let slot = out.entry((account.code(), currency.code())).or_insert_with(|| Money::zero(currency));
        // Same currency by construction of the key.
        *slot = slot.checked_add(*amount).unwrap_or(*slot);
    }
    out
}
