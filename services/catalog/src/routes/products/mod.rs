//! Product routes and the checks they share.

pub mod create;
pub mod discount_rate;
pub mod read;
pub mod update;

use domain::{ProductDetails, ProductId, SupplierId, Violations};
use platform::{ApiError, auth::Principal, db::DbConnection};

use crate::db::products;

/// A supplier may act on its own products; the operator on any.
fn authorize_owner(who: &Principal, owner: SupplierId) -> Result<(), ApiError> {
    if who.is_operator() || crate::access::acting_supplier(who) == Some(owner) {
        Ok(())
    } else {
        Err(ApiError::forbidden("only the owning supplier or the operator may change this product"))
    }
}

/// Every product the details name must exist, be active and not be the product itself.
fn check_references(conn: &mut DbConnection, id: ProductId, details: &ProductDetails) -> Result<(), ApiError> {
    let references = details.referenced_products();
    if references.is_empty() {
        return Ok(());
    }
    let found = products::existing(conn, &references)?;
    let mut v = Violations::new();
    for (i, reference) in references.iter().enumerate() {
        let field = match details {
            ProductDetails::AnyOf { .. } => format!("details.alternatives[{i}]"),
            ProductDetails::Option { .. } => "details.base_product_id".to_owned(),
            _ => format!("details.components[{i}].product_id"),
        };
        if *reference == id {
            v.add(field, "a product cannot refer to itself");
            continue;
        }
        match found.get(reference) {
            None => v.add(field, format!("product {reference} does not exist")),
            Some(true) => v.add(field, format!("product {reference} is archived")),
            Some(false) => {}
        }
    }
    Ok(v.into_result()?)
}
