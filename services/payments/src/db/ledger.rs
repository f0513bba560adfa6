//! The double-entry ledger's storage (PRODUCT.md P4).

use std::collections::BTreeMap;

use contracts::payments::{Books, CurrencyBooks, LedgerEntry, LedgerLine};
use diesel::prelude::*;
use domain::{Currency, GroupId, Money, ledger::Entry};
use platform::db::{DbConnection, StoreError};

use super::schema::{ledger_entries as entries, ledger_lines as lines, settlements};

/// Books `entry` for `group`, once per (kind, source): booking the same movement again is a no-op.
pub fn post(
    conn: &mut DbConnection,
    group: GroupId,
    source: impl std::fmt::Display,
    entry: &Entry,
) -> Result<(), StoreError> {
    let source_id = source.to_string();
    if !entry.is_balanced() {
        return Err(StoreError::Corrupt(anyhow::anyhow!("refused an unbalanced ledger entry")));
    }
    let Some((_, first)) = entry.lines.first() else { return Ok(()) };
    let currency = first.currency().code();
    let already = entries::table
        .filter(entries::kind.eq(entry.kind.as_str()))
        .filter(entries::source_id.eq(&source_id))
        .filter(entries::currency.eq(currency))
        .count()
        .get_result::<i64>(conn)?;
    if already > 0 {
        return Ok(());
    }
    let id = format!("le_{}", uuid::Uuid::now_v7().simple());
    diesel::insert_into(entries::table)
        .values((
            entries::id.eq(&id),
            entries::group_id.eq(group.to_string()),
            entries::kind.eq(entry.kind.as_str()),
            entries::source_id.eq(&source_id),
            entries::currency.eq(currency),
            entries::created_at.eq(platform::db::now()),
        ))
        .execute(conn)?;
    for (account, amount) in &entry.lines {
        diesel::insert_into(lines::table)
            .values((
                lines::entry_id.eq(&id),
                lines::account.eq(account.code()),
                lines::amount_minor.eq(amount.to_minor().map_err(|e| StoreError::Corrupt(e.into()))?),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The clearing balance per currency: what a payout would move to the supplier.
pub fn clearing_balances(conn: &mut DbConnection, group: GroupId) -> Result<Vec<Money>, StoreError> {
    let rows: Vec<(String, i64)> = lines::table
        .inner_join(entries::table)
        .filter(entries::group_id.eq(group.to_string()))
        .filter(lines::account.eq(format!("clearing:{group}")))
        .select((entries::currency, lines::amount_minor))
        .load(conn)?;
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    for (currency, minor) in rows {
        add_to(sums.entry(currency).or_default(), minor)?;
    }
    sums.into_iter().map(|(code, minor)| Ok(Money::from_minor(minor, parse_currency(&code)?))).collect()
}

/// Adds to a running sum, refusing to wrap round: amounts are bounded (`Money::LIMIT`), so this
/// fails only on books no real group can reach, and then loudly rather than with a wrong total.
fn add_to(sum: &mut i64, minor: i64) -> Result<(), StoreError> {
    *sum =
        sum.checked_add(minor).ok_or_else(|| StoreError::Corrupt(anyhow::anyhow!("a ledger sum is out of range")))?;
    Ok(())
}

fn parse_currency(code: &str) -> Result<Currency, StoreError> {
    code.parse::<Currency>().map_err(|e| StoreError::Corrupt(e.into()))
}

pub fn settled_at(conn: &mut DbConnection, group: GroupId) -> Result<Option<chrono::NaiveDateTime>, StoreError> {
    Ok(settlements::table.find(group.to_string()).select(settlements::settled_at).first(conn).optional()?)
}

/// Marks the group settled; false if it already was.
pub fn mark_settled(conn: &mut DbConnection, group: GroupId) -> Result<bool, StoreError> {
    if settled_at(conn, group)?.is_some() {
        return Ok(false);
    }
    diesel::insert_into(settlements::table)
        .values((settlements::group_id.eq(group.to_string()), settlements::settled_at.eq(platform::db::now())))
        .execute(conn)?;
    Ok(true)
}

/// The group's books: every entry with its lines, and totals per currency.
pub fn books(conn: &mut DbConnection, group: GroupId) -> Result<Books, StoreError> {
    type Row = (String, String, String, String, chrono::NaiveDateTime, String, i64);
    let rows: Vec<Row> = lines::table
        .inner_join(entries::table)
        .filter(entries::group_id.eq(group.to_string()))
        .order((entries::id.asc(), lines::account.asc()))
        .select((
            entries::id,
            entries::kind,
            entries::source_id,
            entries::currency,
            entries::created_at,
            lines::account,
            lines::amount_minor,
        ))
        .load(conn)?;
    let mut out: Vec<LedgerEntry> = Vec::new();
    let mut per_entry_sum: BTreeMap<String, i64> = BTreeMap::new();
    let mut totals: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    let clearing = format!("clearing:{group}");
    for (id, kind, source_id, code, created_at, account, minor) in rows {
        let currency = parse_currency(&code)?;
        add_to(per_entry_sum.entry(id.clone()).or_default(), minor)?;
        let t = totals.entry(code).or_default();
        if account == clearing {
            match kind.as_str() {
                "capture" => add_to(&mut t[0], minor)?,
                "refund" => add_to(&mut t[1], -minor)?,
                "payout" => add_to(&mut t[2], -minor)?,
                _ => {}
            }
            add_to(&mut t[3], minor)?;
        }
        let line = LedgerLine { account, amount: Money::from_minor(minor, currency).into() };
        match out.last_mut() {
            Some(last) if last.id == id => last.lines.push(line),
            _ => out.push(LedgerEntry { id, kind, source_id, created_at: created_at.and_utc(), lines: vec![line] }),
        }
    }
    let currencies = totals
        .into_iter()
        .map(|(code, [charges, refunds, payouts, balance])| {
            let c = parse_currency(&code)?;
            Ok(CurrencyBooks {
                currency: code,
                charges: Money::from_minor(charges, c).into(),
                refunds: Money::from_minor(refunds, c).into(),
                payouts: Money::from_minor(payouts, c).into(),
                clearing_balance: Money::from_minor(balance, c).into(),
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Books {
        group_id: group,
        settled_at: settled_at(conn, group)?.map(|t| t.and_utc()),
        balanced: per_entry_sum.values().all(|&sum| sum == 0),
        currencies,
        entries: out,
    })
}
