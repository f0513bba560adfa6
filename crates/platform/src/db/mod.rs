//! Storage: one diesel connection type over SQLite (the embedded default) and PostgreSQL (the
//! production store), chosen by the URL's scheme; a pool; embedded migrations for both; and a way to
//! run blocking diesel calls off the async workers.

mod pool;
pub mod schema;
mod stored;
mod writer;

use diesel::{RunQueryDsl, connection::SimpleConnection};

use crate::config::{DatabaseSettings, SqliteSynchronous};
use diesel_migrations::MigrationHarness;

pub use pool::{Backend, ConnectionManager};
pub use stored::Stored;

/// One connection to either backend; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Rows per INSERT statement in [`insert_rows!`]: SQLite binds at most 32,766 values.
pub const ROWS_PER_INSERT: usize = 1000;

/// Inserts a slice of `Insertable` rows (every column given) with one statement per
/// [`ROWS_PER_INSERT`] rows; the number inserted. The multi-backend connection cannot write a
/// multi-row INSERT (its dialect has no DEFAULT keyword), so each backend's own connection does.
#[macro_export]
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let mut inserted: diesel::QueryResult<usize> = Ok(0);
        for chunk in $rows.chunks($crate::db::ROWS_PER_INSERT) {
            let statement = diesel::insert_into($table).values(chunk);
            let once = match &mut *$conn {
                $crate::db::DbConnection::Postgresql(c) => diesel::RunQueryDsl::execute(statement, c),
                $crate::db::DbConnection::Sqlite(c) => diesel::RunQueryDsl::execute(statement, c),
            };
            inserted = inserted.and_then(|n| once.map(|m| n + m));
            if inserted.is_err() {
                break;
            }
        }
        inserted
    }};
}

/// A set of migrations, one list per backend. Built by [`migrations!`]: from one folder of
/// portable SQL (`migrations/` by default) used on both, or from two folders where the SQL differs.
#[derive(Clone, Copy)]
pub struct Migrations {
    pub sqlite: fn() -> EmbeddedMigrations,
    pub postgres: fn() -> EmbeddedMigrations,
}

/// The calling crate's embedded migrations: `migrations!()` for `migrations/`, `migrations!("dir")`
/// for another folder of portable SQL, `migrations!("sqlite-dir", "postgres-dir")` per backend.
#[macro_export]
macro_rules! migrations {
    () => {
        $crate::migrations!("migrations")
    };
    ($portable:literal) => {
        $crate::migrations!($portable, $portable)
    };
    ($sqlite:literal, $postgres:literal) => {
        $crate::db::Migrations {
            sqlite: || {
                const SET: $crate::db::EmbeddedMigrations = $crate::db::embed_migrations!($sqlite);
                SET
            },
            postgres: || {
                const SET: $crate::db::EmbeddedMigrations = $crate::db::embed_migrations!($postgres);
                SET
            },
        }
    };
}

#[doc(hidden)]
pub use diesel_migrations::{EmbeddedMigrations, embed_migrations};

/// The platform's own tables (idempotency keys, process heartbeats), applied before each
/// service's. Response bodies are BLOB on SQLite and BYTEA on PostgreSQL, hence two folders.
/// Every set records its versions in one table: a version must be unique across the platform's
/// sets (`migrations/` and `migrations-outbox/` take turns: 1, 2, 3, 4, …).
pub const PLATFORM_MIGRATIONS: Migrations = migrations!("migrations/sqlite", "migrations/postgres");

/// What a service's store answers with: the storage failed, a query failed, or a stored row could
/// not be read back. Handlers turn it into a problem (an outage is a 503, the rest a 500).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("stored data could not be read: {0:#}")]
    Corrupt(#[from] anyhow::Error),
}

impl From<StoreError> for crate::ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Db(e) => e.into(),
            StoreError::Query(e) => e.into(),
            StoreError::Corrupt(_) => crate::ApiError::internal(e),
        }
    }
}

/// Errors of the storage layer itself, as opposed to a query's.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database url scheme (use sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error("could not connect: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("no pooled connection: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("cannot create the data folder: {0}")]
    DataDir(#[from] std::io::Error),
    #[error("blocking task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("the write was not committed: {0}")]
    Commit(String),
}

type Pool = diesel::r2d2::Pool<ConnectionManager>;

/// A cloneable handle to the pool, and this process's identity among the service's replicas.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    migrations: &'static [Migrations],
    instance: std::sync::Arc<str>,
    clock: crate::clock::Clock,
    /// SQLite's one writer ([`writer`]); PostgreSQL runs transactions side by side.
    writer: Option<writer::Writer>,
}

impl DbError {
    /// Whether the store is out of reach (down, restarting, saturated) rather than the request or
    /// the data being wrong: the request may succeed as it is a moment later.
    pub fn is_unavailable(&self) -> bool {
        match self {
            // A batch the store could not commit (disk full, I/O): the same request may succeed
            // a moment later.
            Self::Connect(_) | Self::Pool(_) | Self::Commit(_) => true,
            Self::Query(e) => is_lost_connection(e),
            _ => false,
        }
    }
}

/// A query that failed because the connection to the server broke.
pub fn is_lost_connection(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => true,
        // libpq reports a server that went away mid-query without a specific kind.
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            message.contains("server closed the connection")
                || message.contains("terminating connection")
                || message.contains("no connection to the server")
                || message.contains("Connection refused")
        }
        _ => false,
    }
}

impl Db {
    /// Opens the pool and applies pending migrations: the platform's, then each of `migrations`.
    pub async fn connect(settings: &DatabaseSettings, migrations: &'static [Migrations]) -> Result<Self, DbError> {
        let manager = ConnectionManager::new(settings.url.expose(), settings.sqlite_synchronous)?;
        let backend = manager.backend();
        let (pool_size, acquire) = (settings.pool_size, std::time::Duration::from_millis(settings.acquire_timeout_ms));
        let pool = tokio::task::spawn_blocking(move || {
            diesel::r2d2::Pool::builder()
                .max_size(pool_size)
                // Connections open as load needs them: an idle service holds one.
                .min_idle(Some(1))
                // No `SELECT 1` before every use: a connection that failed is judged broken and
                // dropped after its error instead.
                .test_on_check_out(false)
                .connection_timeout(acquire)
                .build(manager)
        })
        .await??;
        let instance: std::sync::Arc<str> = uuid::Uuid::new_v4().to_string().into();
        let clock = crate::clock::Clock::system();
        let writer = match backend {
            Backend::Sqlite => Some(writer::Writer::start(pool.clone())?),
            Backend::Postgres => None,
        };
        let db = Self { pool, backend, migrations, instance: instance.clone(), clock: clock.clone(), writer };
        db.run(move |conn| {
            migrate(conn, migrations)?;
            crate::instance::beat(conn, &instance, clock.now())
        })
        .await?;
        Ok(db)
    }

    /// The service's clock: the system's unless a test moved it (see [`crate::clock`]).
    pub fn clock(&self) -> &crate::clock::Clock {
        &self.clock
    }

    /// This process's id among the service's replicas (see [`crate::instance`]).
    pub fn instance(&self) -> &str {
        &self.instance
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs blocking diesel work on tokio's blocking pool, inside the caller's tracing span.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool.get().map_err(DbError::from)?;
            work(&mut conn)
        })
        .await
        .map_err(DbError::from)?
    }

    /// Like [`run`](Self::run), inside one transaction: committed if `work` succeeds, and
    /// answered only once the commit is durable. On SQLite the process's one writer runs it,
    /// batched with others into one commit (see [`writer`]).
    pub async fn transaction<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer.transaction(work).await,
            None => self.run(move |conn| diesel::Connection::transaction(conn, work)).await,
        }
    }

    /// Ready means: a connection answers and no migration is pending.
    pub async fn check_ready(&self) -> Result<(), DbError> {
        let migrations = self.migrations;
        self.run(move |conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            for set in std::iter::once(&PLATFORM_MIGRATIONS).chain(migrations) {
                if pending(conn, *set)? {
                    return Err(DbError::Migration("pending migrations".into()));
                }
            }
            Ok(())
        })
        .await
    }
}

/// Applies the platform's migrations and the service's. Processes starting together on one
/// database take turns (replicas, or a migration job beside a starting service): the first applies
/// what is pending and the others then find nothing to do. PostgreSQL: a session-level advisory
/// lock; SQLite: one exclusive transaction, each migration a savepoint in it.
fn migrate(conn: &mut DbConnection, migrations: &'static [Migrations]) -> Result<(), DbError> {
    let sets = || std::iter::once(&PLATFORM_MIGRATIONS).chain(migrations);
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
    match conn {
        DbConnection::Postgresql(c) => {
            // An arbitrary constant: the key every groupbuy service's migrations share.
            diesel::sql_query("SELECT pg_advisory_lock(7243100011)").execute(c)?;
            let applied =
                sets().try_for_each(|set| c.run_pending_migrations((set.postgres)()).map(drop).map_err(failed));
            diesel::sql_query("SELECT pg_advisory_unlock(7243100011)").execute(c)?;
            applied
        }
        DbConnection::Sqlite(c) => c.exclusive_transaction(|c| {
            sets().try_for_each(|set| c.run_pending_migrations((set.sqlite)()).map(drop).map_err(failed))
        }),
    }
}

fn pending(conn: &mut DbConnection, set: Migrations) -> Result<bool, DbError> {
    let result = match conn {
        DbConnection::Postgresql(c) => c.has_pending_migration((set.postgres)()),
        DbConnection::Sqlite(c) => c.has_pending_migration((set.sqlite)()),
    };
    result.map_err(|e| DbError::Migration(e.to_string()))
}

/// Server-grade SQLite: concurrent readers with one writer (WAL), waiting rather than failing on a
/// lock, every acknowledged commit on disk (`synchronous = FULL` unless configured otherwise), and
/// enforced foreign keys.
pub(crate) fn configure_sqlite(
    conn: &mut diesel::SqliteConnection,
    synchronous: SqliteSynchronous,
) -> Result<(), diesel::result::Error> {
    let synchronous = match synchronous {
        SqliteSynchronous::Full => "FULL",
        SqliteSynchronous::Normal => "NORMAL",
    };
    // busy_timeout first: switching to WAL takes a lock that other new connections may hold.
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
         PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON;"
    ))
}

/// Runs an insert in a savepoint: `Ok(true)` if it inserted, `Ok(false)` if a row with its key was
/// there already (on PostgreSQL a failed statement would otherwise abort the caller's transaction).
pub fn insert_if_new(
    conn: &mut DbConnection,
    insert: impl FnOnce(&mut DbConnection) -> diesel::QueryResult<usize>,
) -> diesel::QueryResult<bool> {
    use diesel::result::{DatabaseErrorKind, Error};
    match diesel::Connection::transaction(conn, insert) {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Timestamps are kept to the microsecond: PostgreSQL stores no finer, so a value read back equals
/// the value written on both backends.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        store_test,
        testing::{TestDatabase, settings},
    };

    // Issue 8, finding 3: a connection left inside a transaction went back to the pool, holding
    // SQLite's write lock or a stale PostgreSQL transaction for the next request.
    store_test!(x7_a_connection_left_in_a_transaction_is_not_reused, |backend| async move {
        let Some(test_db) = TestDatabase::create(backend, "pool") else { return };
        let mut database = settings(&test_db.url).database;
        database.pool_size = 1;
        let db = Db::connect(&database, &[]).await.unwrap();

        let panicked = db
            .transaction(|conn| -> Result<(), DbError> {
                diesel::sql_query("CREATE TABLE t (n INTEGER)").execute(conn)?;
                panic!("a handler bug in the middle of a transaction")
            })
            .await;
        // PostgreSQL: the blocking task died; SQLite: the writer rolled the batch back.
        assert!(matches!(panicked, Err(DbError::Join(_) | DbError::Commit(_))), "{panicked:?}");
        let after = db
            .transaction(|conn| {
                diesel::sql_query("CREATE TABLE t (n INTEGER)").execute(conn)?;
                diesel::sql_query("INSERT INTO t (n) VALUES (1)").execute(conn)?;
                Ok::<_, DbError>(())
            })
            .await;
        assert!(after.is_ok(), "the next transaction runs on a fresh connection: {after:?}");
    });

    // Many transactions at once (batched into few commits on SQLite): each is answered with its own
    // outcome, and one that fails leaves no trace while the others in its batch commit.
    // Replicas of a service starting at once on a fresh database: each one comes up, the
    // migrations applied once (on PostgreSQL they take turns at an advisory lock).
    store_test!(x7_replicas_starting_together_all_migrate, |backend| async move {
        let Some(test_db) = TestDatabase::create(backend, "replicas") else { return };
        let database = settings(&test_db.url).database;
        let (a, b, c, d) = tokio::join!(
            Db::connect(&database, &[]),
            Db::connect(&database, &[]),
            Db::connect(&database, &[]),
            Db::connect(&database, &[])
        );
        for replica in [a, b, c, d] {
            replica.unwrap();
        }
    });

    store_test!(x7_concurrent_transactions_commit_or_fail_alone, |backend| async move {
        let Some(test_db) = TestDatabase::create(backend, "writer") else { return };
        let db = Db::connect(&settings(&test_db.url).database, &[]).await.unwrap();
        db.run(|conn| diesel::sql_query("CREATE TABLE t (n INTEGER NOT NULL)").execute(conn).map_err(DbError::from))
            .await
            .unwrap();
        let writes = (0..200).map(|n| {
            let db = db.clone();
            async move {
                db.transaction(move |conn| {
                    diesel::sql_query(format!("INSERT INTO t (n) VALUES ({n})")).execute(conn)?;
                    if n % 10 == 0 { Err(DbError::Commit(format!("refused {n}"))) } else { Ok(n) }
                })
                .await
            }
        });
        let outcomes = futures::future::join_all(writes).await;
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 180);
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let stored = db
            .run(|conn| {
                diesel::sql_query("SELECT COUNT(*) AS n FROM t WHERE n % 10 <> 0")
                    .get_result::<Count>(conn)
                    .map_err(DbError::from)
            })
            .await
            .unwrap();
        let refused = db
            .run(|conn| {
                diesel::sql_query("SELECT COUNT(*) AS n FROM t WHERE n % 10 = 0")
                    .get_result::<Count>(conn)
                    .map_err(DbError::from)
            })
            .await
            .unwrap();
        assert_eq!((stored.n, refused.n), (180, 0));
    });
}
