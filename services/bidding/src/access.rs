//! Who may call bidding (PRODUCT.md B1-B6), and the supplier a token acts for. Offers are sealed:
//! before the award a supplier sees only its own, and nobody else sees any.

use domain::SupplierId;
use platform::auth::{Principal, Role};

platform::role_sets! {
    /// Who opens bid requests: groups (a closed auction group) or the operator.
    ServiceOrOperator => [Service, Operator];
    /// Who reads bid requests: suppliers (those they may offer on), the operator, the services.
    RequestReaders => [Supplier, Operator, Service];
    /// Suppliers make, revise and withdraw their own offers.
    SupplierOnly => [Supplier];
    /// Who reads a published award: anyone with a token, the group's members included.
    AwardReaders => [Shopper, Supplier, Operator, Service];
}

/// The supplier a supplier token acts for.
pub fn acting_supplier(who: &Principal) -> Option<SupplierId> {
    who.acting_as(Role::Supplier).map(SupplierId::from_uuid)
}

/// For a supplier caller, the supplier it acts for (a supplier token acting for nobody is
/// refused); `None` for every other role.
pub fn supplier_scope(who: &Principal) -> Result<Option<SupplierId>, platform::ApiError> {
    if who.role != Role::Supplier {
        return Ok(None);
    }
    acting_supplier(who)
        .map(Some)
        .ok_or_else(|| platform::ApiError::forbidden("this supplier token acts for no supplier"))
}
