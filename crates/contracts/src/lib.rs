//! Wire types: the request and response bodies of every groupbuy service, with the OpenAPI schemas
//! their documents are generated from. Money travels as a decimal string and an ISO 4217 code.

pub mod catalog;
pub mod money;
pub mod payments;
pub mod shipping;

pub use money::MoneyDto;

/// Tells an explicit `null` (`Some(None)`) from an absent field (`None`) in a PATCH body.
pub(crate) fn present<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// The wire name of a unit enum variant (its serde name), which is also how the services store it
/// as TEXT: one spelling, declared once by the enum's serde attributes.
pub fn wire_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// The variant a stored or sent name stands for; `None` for a name no variant has (never a default).
pub fn from_wire_name<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::{CaptureMethod, MethodType, RefundState};

    #[test]
    fn x7_stored_names_round_trip_and_unknown_ones_are_refused() {
        assert_eq!(wire_name(&MethodType::BankTransfer), "bank_transfer");
        assert_eq!(from_wire_name::<MethodType>("bank_transfer"), Some(MethodType::BankTransfer));
        assert_eq!(from_wire_name::<CaptureMethod>("manual"), Some(CaptureMethod::Manual));
        assert_eq!(from_wire_name::<RefundState>("refunded_twice"), None);
        assert_eq!(from_wire_name::<MethodType>("cash"), None);
    }
}
