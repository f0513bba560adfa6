//! The shipping storage: portable diesel queries over SQLite and PostgreSQL.

pub mod bases;
pub mod schema;
pub mod shipments;
