//! The groups storage: portable diesel queries over SQLite and PostgreSQL.

pub mod bulk;
pub mod groups;
pub mod members;
pub mod rows;
pub mod schema;
