//! Who may do what in groups (PRODUCT.md G1, G3, G5).

use actix_web::{FromRequest, HttpRequest, http::header::AUTHORIZATION};
use domain::SupplierId;
use platform::{
    ApiError,
    auth::{Principal, Role},
};

use crate::db::rows::GroupRow;

platform::role_sets! {
    /// Those who may start a group: a shopper (its leader), a supplier (its own products), the operator.
    Organizers => [Shopper, Supplier, Operator];
    /// Shoppers join and leave.
    ShopperOnly => [Shopper];
    /// The organizer (checked against the group) or the operator.
    OrganizerOrOperator => [Shopper, Supplier, Operator];
    /// The group's supplier (checked against the group) or the operator.
    SupplierOrOperator => [Supplier, Operator];
}

/// The supplier a supplier token acts for.
pub fn acting_supplier(who: &Principal) -> Option<SupplierId> {
    who.acting_as(Role::Supplier).map(SupplierId::from_uuid)
}

/// Whether `who` organizes the group: the operator; for a group a supplier started, any token
/// acting for that supplier (whatever its subject); else the same role and subject that started it.
pub fn organizes(who: &Principal, group: &GroupRow) -> bool {
    match group.organizer_role.0 {
        _ if who.is_operator() => true,
        Role::Supplier => acting_supplier(who) == Some(group.supplier_id.0),
        role => who.role == role && who.subject == group.organizer,
    }
}

/// The caller of a public read: anonymous without an `Authorization` header; a header that does
/// not verify is refused rather than read as anonymous.
pub async fn optional_caller(req: &HttpRequest) -> Result<Option<Principal>, ApiError> {
    if !req.headers().contains_key(AUTHORIZATION) {
        return Ok(None);
    }
    Principal::extract(req).await.map(Some)
}
