//! Bulk groups' declarations and decisions, their purchasers, and members' favors.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use domain::{GroupId, bulk::Favor, bulk::NoFavor};
use platform::db::{DbConnection, StoreError, Stored};

use super::{
    rows::{BulkRow, PurchaserRow},
    schema::{bulk_groups, members, purchasers},
};

pub fn insert(conn: &mut DbConnection, bulk: &BulkRow, slots: &[PurchaserRow]) -> Result<(), StoreError> {
    diesel::insert_into(bulk_groups::table).values(bulk).execute(conn)?;
    platform::insert_rows!(conn, purchasers::table, slots)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, group: GroupId) -> Result<Option<BulkRow>, StoreError> {
    Ok(bulk_groups::table.find(Stored(group)).select(BulkRow::as_select()).first(conn).optional()?)
}

/// Records the decision once: false if the group was decided already.
pub fn decide(
    conn: &mut DbConnection,
    group: GroupId,
    outcome: Result<Favor, NoFavor>,
    (quantity, days): (u32, u32),
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let (rate, none) = match outcome {
        Ok(favor) => (Some(favor.rate.normalize().to_string()), None),
        Err(why) => (None, Some(Stored(why))),
    };
    let written = diesel::update(bulk_groups::table.find(Stored(group)).filter(bulk_groups::decided_at.is_null()))
        .set((
            bulk_groups::favor_rate.eq(rate),
            bulk_groups::no_favor.eq(none),
            bulk_groups::decided_quantity.eq(i64::from(quantity)),
            bulk_groups::decided_days.eq(i32::try_from(days).unwrap_or(i32::MAX)),
            bulk_groups::decided_at.eq(now),
        ))
        .execute(conn)?;
    Ok(written == 1)
}

/// The group's purchasers in slot order (the purchase-state table's rows).
pub fn purchasers_of(conn: &mut DbConnection, group: GroupId) -> Result<Vec<PurchaserRow>, StoreError> {
    Ok(purchasers::table
        .filter(purchasers::group_id.eq(Stored(group)))
        .order(purchasers::slot.asc())
        .select(PurchaserRow::as_select())
        .load(conn)?)
}

/// The purchaser whose ID has this digest, in any group.
pub fn by_digest(conn: &mut DbConnection, digest: &str) -> Result<Option<PurchaserRow>, StoreError> {
    Ok(purchasers::table
        .filter(purchasers::code_digest.eq(digest))
        .select(PurchaserRow::as_select())
        .first(conn)
        .optional()?)
}

/// The purchaser whose latest purchase is `member`.
pub fn purchaser_of(conn: &mut DbConnection, member: &str) -> Result<Option<PurchaserRow>, StoreError> {
    Ok(purchasers::table
        .filter(purchasers::member_id.eq(member))
        .select(PurchaserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert_slot(conn: &mut DbConnection, slot: &PurchaserRow) -> Result<(), StoreError> {
    diesel::insert_into(purchasers::table).values(slot).execute(conn)?;
    Ok(())
}

/// Binds the slot to the shopper who used it and its latest purchase.
pub fn use_slot(conn: &mut DbConnection, id: &str, shopper: &str, member: &str) -> Result<(), StoreError> {
    diesel::update(purchasers::table.find(id))
        .set((purchasers::shopper.eq(shopper), purchasers::member_id.eq(member)))
        .execute(conn)?;
    Ok(())
}

/// Notes the favor decided for a member.
pub fn set_favor(conn: &mut DbConnection, member: &str, favor_minor: i64) -> Result<(), StoreError> {
    diesel::update(members::table.find(member)).set(members::favor_minor.eq(favor_minor)).execute(conn)?;
    Ok(())
}

/// Notes that payments took the favor's refund for the member paying with `payment`; the member,
/// if its favor was waiting for it.
pub fn favor_refunded(
    conn: &mut DbConnection,
    payment: &str,
    now: NaiveDateTime,
) -> Result<Option<(String, GroupId)>, StoreError> {
    let waiting = members::table
        .filter(members::payment_id.eq(payment))
        .filter(members::favor_minor.is_not_null())
        .filter(members::favor_refunded_at.is_null());
    let found: Option<(String, Stored<GroupId>)> =
        waiting.select((members::id, members::group_id)).first(conn).optional()?;
    let Some((member, group)) = found else { return Ok(None) };
    diesel::update(members::table.find(&member)).set(members::favor_refunded_at.eq(now)).execute(conn)?;
    Ok(Some((member, group.0)))
}
