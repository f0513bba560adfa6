//! Supplier rows.

use diesel::prelude::*;
use domain::SupplierId;
use platform::db::DbConnection;

use super::{StoreError, rows::SupplierRow, schema::suppliers};

pub fn insert(conn: &mut DbConnection, row: &SupplierRow) -> Result<(), StoreError> {
    diesel::insert_into(suppliers::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: SupplierId) -> Result<Option<SupplierRow>, StoreError> {
    Ok(suppliers::table.find(platform::db::Stored(id)).select(SupplierRow::as_select()).first(conn).optional()?)
}
