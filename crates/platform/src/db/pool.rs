//! An r2d2 manager that opens the backend named by the URL's scheme. diesel's derived
//! `establish` tries every backend in turn and reports only the last error; choosing by scheme
//! keeps the real error.

use diesel::{
    Connection, RunQueryDsl,
    r2d2::{ManageConnection, R2D2Connection},
};

use super::{DbConnection, DbError, configure_sqlite};
use crate::config::SqliteSynchronous;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug)]
pub struct ConnectionManager {
    backend: Backend,
    /// What the backend's own `establish` takes: a file path for SQLite, the URL for PostgreSQL.
    target: String,
    synchronous: SqliteSynchronous,
}

impl ConnectionManager {
    pub fn new(url: &str, synchronous: SqliteSynchronous) -> Result<Self, DbError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if let Some(dir) = std::path::Path::new(path).parent() {
                std::fs::create_dir_all(dir)?;
            }
            Ok(Self { backend: Backend::Sqlite, target: path.to_owned(), synchronous })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self { backend: Backend::Postgres, target: url.to_owned(), synchronous })
        } else {
            Err(DbError::UnsupportedUrl)
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = DbError;

    fn connect(&self) -> Result<DbConnection, DbError> {
        match self.backend {
            Backend::Postgres => Ok(DbConnection::Postgresql(diesel::PgConnection::establish(&self.target)?)),
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(&self.target)?;
                configure_sqlite(&mut conn, self.synchronous)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        diesel::sql_query("SELECT 1").execute(conn).map(drop).map_err(DbError::from)
    }

    /// A connection left inside a transaction (a panic mid-way, a failed rollback) or whose server
    /// went away is discarded rather than handed to the next request.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}
