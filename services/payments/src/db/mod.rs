//! The payments storage: portable diesel queries over SQLite and PostgreSQL.

pub mod ledger;
pub mod operations;
pub mod payments;
pub mod rows;
pub mod schema;
