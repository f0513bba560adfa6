//! Identifier newtypes. Every id is a UUID; new ones are version 7 so that they sort by creation
//! time, which is what cursor pagination orders by. The nil UUID names nothing and is refused
//! when read.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let uuid = Uuid::deserialize(d)?;
                if uuid.is_nil() {
                    return Err(serde::de::Error::custom("the nil UUID names nothing"));
                }
                Ok(Self(uuid))
            }
        }
    };
}

id_type!(
    /// A supplier registered with the platform.
    SupplierId
);
id_type!(
    /// A product in the catalog.
    ProductId
);
id_type!(
    /// A buying group.
    GroupId
);
id_type!(
    /// A payment: a hold or a charge on one member's payment method.
    PaymentId
);
id_type!(
    /// A refund of (part of) a captured payment.
    RefundId
);
id_type!(
    /// A shipping base: a warehouse or carrier that ships for suppliers.
    ShippingBaseId
);
id_type!(
    /// One shipment of one purchase.
    ShipmentId
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 7, finding 8: a nil-UUID `group_id` was accepted.
    #[test]
    fn x1_the_nil_uuid_is_refused_when_read() {
        assert!(serde_json::from_str::<GroupId>("\"00000000-0000-0000-0000-000000000000\"").is_err());
        let id = GroupId::generate();
        assert_eq!(serde_json::from_value::<GroupId>(serde_json::json!(id)).unwrap(), id);
    }
}
