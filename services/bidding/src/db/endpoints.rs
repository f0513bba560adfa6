//! Suppliers' endpoints (PRODUCT.md B2): where a supplier is told, signed, of each bid request it
//! may offer on when it opens.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use domain::SupplierId;
use platform::{
    db::{DbConnection, DbError, StoreError, Stored},
    outbox::Endpoint,
};

use super::schema::supplier_endpoints;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = supplier_endpoints)]
pub struct EndpointRow {
    pub supplier_id: Stored<SupplierId>,
    pub url: String,
    pub secret: String,
    pub created_at: NaiveDateTime,
}

/// The outbox target naming a supplier's endpoint.
pub fn target(supplier: SupplierId) -> String {
    format!("supplier:{supplier}")
}

/// Resolves an outbox target to the supplier's endpoint and secret; `None` once it has none.
pub fn resolve(conn: &mut DbConnection, target: &str) -> Result<Option<Endpoint>, DbError> {
    let Some(Ok(id)) = target.strip_prefix("supplier:").map(str::parse::<SupplierId>) else { return Ok(None) };
    let found: Option<(String, String)> = supplier_endpoints::table
        .find(Stored(id))
        .select((supplier_endpoints::url, supplier_endpoints::secret))
        .first(conn)
        .optional()?;
    Ok(found.map(|(url, secret)| Endpoint { url, secret }))
}

pub fn find(conn: &mut DbConnection, supplier: SupplierId) -> Result<Option<EndpointRow>, StoreError> {
    Ok(supplier_endpoints::table.find(Stored(supplier)).select(EndpointRow::as_select()).first(conn).optional()?)
}

/// Sets a supplier's endpoint, replacing the one it had (and its secret).
pub fn save(conn: &mut DbConnection, row: &EndpointRow) -> Result<(), StoreError> {
    diesel::delete(supplier_endpoints::table.find(row.supplier_id)).execute(conn)?;
    diesel::insert_into(supplier_endpoints::table).values(row).execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, supplier: SupplierId) -> Result<bool, StoreError> {
    Ok(diesel::delete(supplier_endpoints::table.find(Stored(supplier))).execute(conn)? == 1)
}

/// The suppliers with an endpoint, at most `limit`.
pub fn subscribed(conn: &mut DbConnection, limit: i64) -> Result<Vec<SupplierId>, StoreError> {
    let ids: Vec<Stored<SupplierId>> = supplier_endpoints::table
        .select(supplier_endpoints::supplier_id)
        .order(supplier_endpoints::supplier_id.asc())
        .limit(limit)
        .load(conn)?;
    Ok(ids.into_iter().map(|id| id.0).collect())
}
