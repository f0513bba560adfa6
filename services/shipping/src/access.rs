//! Who may call shipping (PRODUCT.md S1-S3), and the base a token acts for.

use domain::ShippingBaseId;
use platform::auth::{Principal, Role};

platform::role_sets! {
    /// Another groupbuy service (groups).
    ServiceOnly => [Service];
    /// A shipping base (for its own shipments) or the operator.
    ShippingOrOperator => [Shipping, Operator];
    /// Who may read shipments: the operator, the services, the base handling them.
    ShipmentReaders => [Operator, Service, Shipping];
}

/// The shipping base a shipping token acts for.
pub fn acting_base(who: &Principal) -> Option<ShippingBaseId> {
    who.acting_as(Role::Shipping).map(ShippingBaseId::from_uuid)
}
