//! Shipping bases and the suppliers they serve (PRODUCT.md S1).

use chrono::NaiveDateTime;
use contracts::shipping::ShippingBase;
use diesel::prelude::*;
use domain::{ShippingBaseId, SupplierId};
use platform::{
    ApiError,
    db::{DbConnection, DbError, StoreError, Stored},
    outbox::Endpoint,
};

use super::schema::{base_suppliers, shipping_bases};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = shipping_bases)]
pub struct BaseRow {
    pub id: Stored<ShippingBaseId>,
    pub name: String,
    pub callback_url: Option<String>,
    pub webhook_secret: String,
    pub paused: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The outbox target naming a base's callback.
pub fn target(base_id: ShippingBaseId) -> String {
    format!("base:{base_id}")
}

/// Resolves an outbox target to the base's callback and secret.
pub fn callback_endpoint(conn: &mut DbConnection, target: &str) -> Result<Option<Endpoint>, DbError> {
    let Some(Ok(id)) = target.strip_prefix("base:").map(str::parse::<ShippingBaseId>) else { return Ok(None) };
    let found: Option<(Option<String>, String)> = shipping_bases::table
        .find(Stored(id))
        .select((shipping_bases::callback_url, shipping_bases::webhook_secret))
        .first(conn)
        .optional()?;
    Ok(found.and_then(|(url, secret)| url.map(|url| Endpoint { url, secret })))
}

pub fn insert(conn: &mut DbConnection, row: &BaseRow, suppliers: &[SupplierId]) -> Result<(), StoreError> {
    diesel::insert_into(shipping_bases::table).values(row).execute(conn)?;
    set_suppliers(conn, row.id.0, suppliers)
}

pub fn set_suppliers(
    conn: &mut DbConnection,
    base_id: ShippingBaseId,
    suppliers: &[SupplierId],
) -> Result<(), StoreError> {
    diesel::delete(base_suppliers::table.filter(base_suppliers::base_id.eq(Stored(base_id)))).execute(conn)?;
    for &supplier in suppliers {
        diesel::insert_into(base_suppliers::table)
            .values((base_suppliers::base_id.eq(Stored(base_id)), base_suppliers::supplier_id.eq(Stored(supplier))))
            .execute(conn)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: ShippingBaseId) -> Result<Option<BaseRow>, StoreError> {
    Ok(shipping_bases::table.find(Stored(id)).select(BaseRow::as_select()).first(conn).optional()?)
}

pub fn get(conn: &mut DbConnection, id: ShippingBaseId) -> Result<BaseRow, ApiError> {
    find(conn, id)?.ok_or_else(|| ApiError::not_found(format!("shipping base {id}")))
}

pub fn update(conn: &mut DbConnection, row: &BaseRow) -> Result<(), StoreError> {
    diesel::update(shipping_bases::table.find(row.id))
        .set((
            shipping_bases::name.eq(&row.name),
            shipping_bases::callback_url.eq(&row.callback_url),
            shipping_bases::paused.eq(row.paused),
            shipping_bases::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The active base serving `supplier`: the earliest registered that is not paused.
pub fn serving(conn: &mut DbConnection, supplier: SupplierId) -> Result<Option<BaseRow>, StoreError> {
    Ok(shipping_bases::table
        .inner_join(base_suppliers::table)
        .filter(base_suppliers::supplier_id.eq(Stored(supplier)))
        .filter(shipping_bases::paused.eq(false))
        .order(shipping_bases::id.asc())
        .select(BaseRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn to_dto(conn: &mut DbConnection, row: &BaseRow) -> Result<ShippingBase, StoreError> {
    let suppliers: Vec<Stored<SupplierId>> = base_suppliers::table
        .filter(base_suppliers::base_id.eq(row.id))
        .order(base_suppliers::supplier_id.asc())
        .select(base_suppliers::supplier_id)
        .load(conn)?;
    Ok(ShippingBase {
        id: row.id.0,
        name: row.name.clone(),
        supplier_ids: suppliers.into_iter().map(|s| s.0).collect(),
        callback_url: row.callback_url.clone(),
        paused: row.paused,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    })
}
