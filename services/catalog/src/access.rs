//! Who may call the catalog's writes (PRODUCT.md C2), and the supplier a token acts for.

use domain::SupplierId;
use platform::auth::{Principal, Role};

platform::role_sets! {
    /// A supplier (for itself) or the operator (for any supplier).
    SupplierOrOperator => [Supplier, Operator];
}

/// The supplier a supplier token acts for.
pub fn acting_supplier(who: &Principal) -> Option<SupplierId> {
    who.acting_as(Role::Supplier).map(SupplierId::from_uuid)
}
