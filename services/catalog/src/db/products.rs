//! Product rows with their tiers and discount-rate cells, always written together in one
//! transaction.

use std::collections::HashMap;

use diesel::prelude::*;
use domain::{ProductId, ProductKind, SupplierId};
use platform::db::{DbConnection, Stored};

use super::{
    StoreError,
    rows::{ProductRow, ProductRows, RateRow, TierRow},
    schema::{discount_rates, price_tiers, products},
};
use crate::model::ProductRecord;

/// `GET /v1/products` filters.
#[derive(Debug, Default)]
pub struct ProductFilter {
    pub kind: Option<ProductKind>,
    pub supplier_id: Option<SupplierId>,
    /// Matched, case-insensitively, anywhere in the name, description or identifiers.
    pub text: Option<String>,
}

pub fn insert(conn: &mut DbConnection, record: &ProductRecord) -> Result<(), StoreError> {
    let rows = ProductRows::from_record(record)?;
    conn.transaction(|conn| {
        diesel::insert_into(products::table).values(&rows.product).execute(conn)?;
        insert_children(conn, &rows)
    })
}

/// Replaces a product's terms if it is still at `expected_version`; false if someone else
/// changed it first.
pub fn replace(conn: &mut DbConnection, record: &ProductRecord, expected_version: i64) -> Result<bool, StoreError> {
    let rows = ProductRows::from_record(record)?;
    conn.transaction(|conn| {
        let id = rows.product.id;
        let updated = diesel::update(products::table.find(id).filter(products::version.eq(expected_version)))
            .set(&rows.product)
            .execute(conn)?;
        if updated == 0 {
            return Ok(false);
        }
        diesel::delete(price_tiers::table.filter(price_tiers::product_id.eq(id))).execute(conn)?;
        diesel::delete(discount_rates::table.filter(discount_rates::product_id.eq(id))).execute(conn)?;
        insert_children(conn, &rows)?;
        Ok(true)
    })
}

fn insert_children(conn: &mut DbConnection, rows: &ProductRows) -> Result<(), StoreError> {
    // One row at a time: diesel's multi-row insert is not available across both backends.
    for tier in &rows.tiers {
        diesel::insert_into(price_tiers::table).values(tier).execute(conn)?;
    }
    for rate in &rows.rates {
        diesel::insert_into(discount_rates::table).values(rate).execute(conn)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: ProductId) -> Result<Option<ProductRecord>, StoreError> {
    let row = products::table.find(Stored(id)).select(ProductRow::as_select()).first(conn).optional()?;
    Ok(assemble(conn, row.into_iter().collect())?.pop())
}

/// The products among `ids` that exist, with whether each is archived.
pub fn existing(conn: &mut DbConnection, ids: &[ProductId]) -> Result<HashMap<ProductId, bool>, StoreError> {
    let keys: Vec<Stored<ProductId>> = ids.iter().copied().map(Stored).collect();
    let found: Vec<(Stored<ProductId>, Option<chrono::NaiveDateTime>)> =
        products::table.filter(products::id.eq_any(&keys)).select((products::id, products::archived_at)).load(conn)?;
    Ok(found.into_iter().map(|(id, archived)| (id.0, archived.is_some())).collect())
}

/// Active products matching `filter`, in id (creation) order, after the cursor key.
pub fn list(
    conn: &mut DbConnection,
    filter: &ProductFilter,
    after: Option<ProductId>,
    limit: i64,
) -> Result<Vec<ProductRecord>, StoreError> {
    let mut query = products::table
        .filter(products::archived_at.is_null())
        .select(ProductRow::as_select())
        .order(products::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(kind) = filter.kind {
        query = query.filter(products::kind.eq(Stored(kind)));
    }
    if let Some(supplier) = filter.supplier_id {
        query = query.filter(products::supplier_id.eq(Stored(supplier)));
    }
    if let Some(text) = &filter.text {
        query = query.filter(products::search_text.like(like_pattern(text)).escape('\\'));
    }
    if let Some(after) = after {
        query = query.filter(products::id.gt(Stored(after)));
    }
    let rows = query.load(conn)?;
    assemble(conn, rows)
}

/// `%text%`, lower-cased, with LIKE's wildcards in `text` taken literally.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Loads the tiers and rate cells of `rows` in two queries and builds the records.
fn assemble(conn: &mut DbConnection, rows: Vec<ProductRow>) -> Result<Vec<ProductRecord>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Stored<ProductId>> = rows.iter().map(|r| r.id).collect();
    let mut tiers: HashMap<ProductId, Vec<TierRow>> = HashMap::new();
    for tier in
        price_tiers::table.filter(price_tiers::product_id.eq_any(&ids)).select(TierRow::as_select()).load(conn)?
    {
        tiers.entry(tier.product_id.0).or_default().push(tier);
    }
    let mut rates: HashMap<ProductId, Vec<RateRow>> = HashMap::new();
    for rate in
        discount_rates::table.filter(discount_rates::product_id.eq_any(&ids)).select(RateRow::as_select()).load(conn)?
    {
        rates.entry(rate.product_id.0).or_default().push(rate);
    }
    rows.into_iter()
        .map(|product| {
            let rows = ProductRows {
                tiers: tiers.remove(&product.id.0).unwrap_or_default(),
                rates: rates.remove(&product.id.0).unwrap_or_default(),
                product,
            };
            Ok(rows.into_record()?)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn c4_like_wildcards_in_the_query_are_literal() {
        assert_eq!(like_pattern("50%_Off"), "%50\\%\\_off%");
    }
}
