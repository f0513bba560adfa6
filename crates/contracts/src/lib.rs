//! Wire types: the request and response bodies of every groupbuy service, with the OpenAPI schemas
//! their documents are generated from. Money travels as a decimal string and an ISO 4217 code.

pub mod catalog;
pub mod money;
pub mod payments;

pub use money::MoneyDto;
