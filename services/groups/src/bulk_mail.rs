//! The mail of a bulk purchase (PRODUCT.md G2, G9; 003's mail server): each named purchaser's ID,
//! a receipt per purchase, the group's outcome and each favor refunded. Written through the outbox
//! in the transaction that decides it, so a crash neither loses nor repeats one (see
//! [`platform::mail`]). Only purchasers the leader named by email get mail.

use domain::Money;
use platform::{
    db::{DbConnection, StoreError},
    mail::{self, Mail},
};

use crate::db::{
    bulk,
    rows::{GroupRow, MemberRow, PurchaserRow},
};

fn product_name(group: &GroupRow) -> Result<String, StoreError> {
    Ok(group.product().map_err(StoreError::Corrupt)?.name.to_string())
}

fn greeting(slot: &PurchaserRow) -> String {
    format!("Hello {},\n\n", slot.name.as_deref().unwrap_or("purchaser"))
}

/// Each named purchaser's ID, mailed at the declaration (003 Fig. 9).
pub fn purchaser_ids(
    conn: &mut DbConnection,
    group: &GroupRow,
    issued: &[(PurchaserRow, String)],
) -> Result<(), StoreError> {
    let product = product_name(group)?;
    let price = group.money(group.terms().map_err(StoreError::Corrupt)?.list_price.to_minor().map_err(corrupt)?);
    let mails: Vec<Mail> = issued
        .iter()
        .filter_map(|(slot, id)| {
            let to = slot.email.clone()?;
            let body = format!(
                "{}you are a purchaser in a group bulk purchase of {product} (group {}).\n\n\
                 Your purchaser ID: {id}\n\n\
                 Buy {} at {} each with it by {} (POST /v1/groups/{}/purchases). The group's favor, if it earns \
                 one, is refunded to you once the group has bought what it declared.\n\
                 The ID is yours alone: whoever uses it first buys with it.\n",
                greeting(slot),
                group.id(),
                slot.quantity,
                amount(price),
                group.closes_at.format("%Y-%m-%d %H:%M UTC"),
                group.id(),
            );
            Some(Mail { to, subject: format!("Your purchaser ID for {product}"), body })
        })
        .collect();
    mail::enqueue_all(conn, "purchaser_id", &mails)?;
    Ok(())
}

/// A receipt for a purchase that was charged.
pub fn receipt(conn: &mut DbConnection, group: &GroupRow, member: &MemberRow) -> Result<(), StoreError> {
    let Some(slot) = bulk::purchaser_of(conn, &member.id)? else { return Ok(()) };
    let Some(to) = slot.email.clone() else { return Ok(()) };
    let paid = member.held_total(group.currency.0).map_err(corrupt)?;
    let body = format!(
        "{}you bought {} × {} for {} (group {}). It is on its way, or, for a service, confirmed by the supplier.\n",
        greeting(&slot),
        member.quantity,
        product_name(group)?,
        amount(paid),
        group.id(),
    );
    mail::enqueue(conn, "receipt", &Mail { to, subject: format!("Your purchase of {}", product_name(group)?), body })?;
    Ok(())
}

/// The group's outcome, to every purchaser with an address: the favor each will be refunded, or
/// why there is none.
pub fn outcome(
    conn: &mut DbConnection,
    group: &GroupRow,
    favor: Option<&str>,
    why_not: Option<&str>,
) -> Result<(), StoreError> {
    let product = product_name(group)?;
    let members = crate::db::members::of_group(conn, group.id())?;
    let mut mails = Vec::new();
    for slot in bulk::purchasers_of(conn, group.id())? {
        let Some(to) = slot.email.clone() else { continue };
        let own = slot.member_id.as_ref().and_then(|id| members.iter().find(|m| &m.id == id));
        let line = match (favor, own.and_then(|m| m.favor_minor)) {
            (Some(rate), Some(minor)) => {
                format!(
                    "the group earned its favor: {rate} of your price, {} is being refunded to you.",
                    amount(group.money(minor))
                )
            }
            (Some(rate), None) => format!("the group earned a favor of {rate} for those who bought; you did not buy."),
            (None, _) => format!("the group ended without a favor ({}).", why_not.unwrap_or("none earned")),
        };
        mails.push(Mail {
            to,
            subject: format!("The group bulk purchase of {product} is decided"),
            body: format!("{}{line}\n", greeting(&slot)),
        });
    }
    mail::enqueue_all(conn, "outcome", &mails)?;
    Ok(())
}

/// A favor refunded by payments.
pub fn favor_refunded(conn: &mut DbConnection, group: &GroupRow, member: &MemberRow) -> Result<(), StoreError> {
    let Some(slot) = bulk::purchaser_of(conn, &member.id)? else { return Ok(()) };
    let (Some(to), Some(minor)) = (slot.email.clone(), member.favor_minor) else { return Ok(()) };
    let body = format!(
        "{}your favor of {} for {} was refunded to the payment you bought with.\n",
        greeting(&slot),
        amount(group.money(minor)),
        product_name(group)?,
    );
    mail::enqueue(conn, "favor_refunded", &Mail { to, subject: "Your favor was refunded".to_owned(), body })?;
    Ok(())
}

fn amount(money: Money) -> String {
    format!("{} {}", money.amount(), money.currency().code())
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(anyhow::anyhow!("{e}"))
}
