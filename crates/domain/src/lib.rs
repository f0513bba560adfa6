//! Pure types and rules shared by every groupbuy service: money, identifiers, the product kinds
//! and the pricing rules. Nothing here performs I/O, so the rules can be tested exhaustively.

pub mod auction;
pub mod award;
pub mod bounded;
pub mod bulk;
pub mod email;
pub mod group;
pub mod ids;
pub mod ledger;
pub mod money;
pub mod payment;
pub mod pricing;
pub mod product;
pub mod shipment;
pub mod validation;

pub use bounded::{Count, Label, Name, Reference};
pub use email::Email;
pub use ids::{GroupId, PaymentId, ProductId, RefundId, ShipmentId, ShippingBaseId, SupplierId};
pub use money::{Currency, Money, MoneyError};
pub use pricing::{DiscountRate, DiscountTable, PriceTier, PriceTiers, TierBasis};
pub use product::{AttributeConstraint, BundleComponent, ProductDetails, ProductKind};
pub use validation::{FieldError, Violations};
