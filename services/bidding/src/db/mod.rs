//! The bidding storage: portable diesel queries over SQLite and PostgreSQL.

pub mod endpoints;
pub mod offers;
pub mod requests;
pub mod schema;

use platform::db::StoreError;

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(anyhow::anyhow!("stored bid request unreadable: {e}"))
}
