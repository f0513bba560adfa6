//! Wire types: the request and response bodies of every groupbuy service, with the OpenAPI schemas
//! their documents are generated from. Money travels as a decimal string and an ISO 4217 code.

pub mod bidding;
pub mod bulk;
pub mod catalog;
#[cfg(feature = "client")]
pub mod client;
pub mod groups;
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

/// The wire name of a unit enum variant (its serde name): event types such as `refund.succeeded`
/// are spelled as the API spells the state.
pub fn wire_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}
