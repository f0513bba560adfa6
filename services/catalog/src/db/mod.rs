//! The catalog's storage: portable diesel queries over SQLite and PostgreSQL.

pub mod products;
pub mod rows;
pub mod schema;
pub mod suppliers;

pub use platform::db::StoreError;
