//! SQLite's one writer. SQLite lets one connection write at a time; many connections racing for
//! the lock wait in its busy handler, which neither queues them fairly nor shares a commit, so
//! under a burst some starve past the busy timeout ("database is locked") and each commit pays
//! its own `fsync`. Instead, this process's write transactions queue here and one thread runs
//! them in turn, several per commit: each in its own savepoint (one that fails is rolled back
//! alone), one `COMMIT` (one `fsync` with `synchronous = FULL`) for the batch, and no answer
//! before that commit is durable.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::mpsc,
};

use diesel::connection::{AnsiTransactionManager, TransactionManager};

use super::{DbConnection, DbError, Pool};

/// Transactions one commit may carry at most.
const MAX_BATCH: usize = 256;

/// What a job leaves to be done once its batch is committed (`None`) or failed (why).
type Done = Box<dyn FnOnce(Option<&str>) + Send>;
/// A queued transaction: run on the writer's connection (or told there is none) inside the batch.
type Job = Box<dyn FnOnce(Option<&mut DbConnection>) -> Done + Send>;

#[derive(Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    pub(super) fn start(pool: Pool) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new().name("sqlite-writer".into()).spawn(move || serve(&pool, &queue))?;
        Ok(Self { jobs })
    }

    /// Runs `work` in its own savepoint of the next batch; its result once the batch is committed.
    pub(super) async fn transaction<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel::<Result<T, E>>();
        let span = tracing::Span::current();
        let job: Job = Box::new(move |conn| {
            let result = conn.map(|conn| {
                let _entered = span.enter();
                // Nested in the batch's transaction, so a savepoint.
                diesel::Connection::transaction(conn, work)
            });
            Box::new(move |failure| {
                let outcome = match (result, failure) {
                    (Some(Err(refused)), _) => Err(refused),
                    (Some(Ok(value)), None) => Ok(value),
                    (_, failure) => Err(DbError::Commit(failure.unwrap_or("no connection").to_owned()).into()),
                };
                let _ = answer.send(outcome);
            })
        });
        self.jobs.send(job).map_err(|_| DbError::Commit("the writer has stopped".into()))?;
        answered.await.map_err(|_| DbError::Commit("the transaction did not finish".into()))?
    }
}

fn serve(pool: &Pool, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(pool, batch);
    }
}

fn run_batch(pool: &Pool, batch: Vec<Job>) {
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(e) => return fail(batch.into_iter().map(|job| job(None)).collect(), &e.to_string()),
    };
    let DbConnection::Sqlite(inner) = &mut *conn else {
        return fail(batch.into_iter().map(|job| job(None)).collect(), "the writer is for SQLite");
    };
    if let Err(e) = AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE") {
        return fail(batch.into_iter().map(|job| job(None)).collect(), &e.to_string());
    }
    let mut done = Vec::with_capacity(batch.len());
    for job in batch {
        match catch_unwind(AssertUnwindSafe(|| job(Some(&mut conn)))) {
            Ok(finish) => done.push(finish),
            Err(_) => {
                // A bug in one job: its savepoint is in an unknown state, so the batch is undone
                // and the connection is left to be judged broken (its transaction depth is off).
                let DbConnection::Sqlite(inner) = &mut *conn else { return };
                let _ = diesel::connection::SimpleConnection::batch_execute(inner, "ROLLBACK");
                tracing::error!("a write transaction panicked; its batch was rolled back");
                return fail(done, "another transaction in the batch failed; retry");
            }
        }
    }
    let DbConnection::Sqlite(inner) = &mut *conn else { return };
    match AnsiTransactionManager::commit_transaction(inner) {
        Ok(()) => done.into_iter().for_each(|finish| finish(None)),
        Err(e) => {
            let _ = AnsiTransactionManager::rollback_transaction(inner);
            fail(done, &e.to_string());
        }
    }
}

fn fail(done: Vec<Done>, why: &str) {
    tracing::warn!(error.cause = why, transactions = done.len(), "a batch of writes failed");
    done.into_iter().for_each(|finish| finish(Some(why)));
}
