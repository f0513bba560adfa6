//! The catalog's storage: portable diesel queries over SQLite and PostgreSQL.

pub mod products;
pub mod rows;
pub mod schema;
pub mod suppliers;

/// A query failed, or a stored row could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Db(#[from] platform::db::DbError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("stored data could not be read: {0:#}")]
    Corrupt(#[from] anyhow::Error),
}

impl From<StoreError> for platform::ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Db(e) => e.into(),
            StoreError::Query(e) => e.into(),
            StoreError::Corrupt(_) => platform::ApiError::internal(e),
        }
    }
}
