//! The store: one API over SQLite (the zero-setup default) and PostgreSQL.
//!
//! Callers never see the dialect. Reads run on the pool through
//! [`Database`]'s methods. Writes run inside a [`Tx`], a transaction handle
//! that many store functions accept, so that one use case of the application
//! layer (`newsdesk_app`) commits or rolls back as a whole: the article rows,
//! its revision, the jobs it enqueues and the events it records.
//!
//! Queries use `$n` placeholders and the SQL both engines share; where the
//! dialects differ, the two versions sit side by side in the function.
//! Migrations live in `migrations/sqlite` and `migrations/postgres`, one file
//! per step, embedded in the binary.

use sqlx::postgres::PgConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, PgPool, SqlitePool};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

mod articles;
mod backup;
mod desk;
mod error;
mod events;
mod imports;
mod integrations;
mod jobs;
mod media;
mod migrate;
mod presence;
mod related;
mod revisions;
mod search;
mod settings;
mod taxonomy;
mod tx;
mod users;

pub use articles::{ArticleCard, ArticleFilter, ArticleState, ContentQuery, Page, SitemapRow};
pub use backup::{
    BACKUP_TABLES, DERIVED_COLUMNS, Kind as BackupKind, LEFT_OUT, TableSpec, backup_time,
};
pub use desk::{Activity, DeskFilter, DeskRow};
pub use error::{DbError, Result};
pub use events::{EVENTS_CHANNEL, Listener, NewEvent, StoredEvent};
pub use imports::ImportedItem;
pub use integrations::{ApiKeyRow, DeliveryRow, NewApiKey, NewDelivery, NewWebhook, WebhookRow};
pub use jobs::{ClaimedJob, JOBS_CHANNEL, JobRow, JobState, KindFilter, NewJob};
pub use media::{MediaFilter, MediaUse};
pub use presence::{Autosave, Holder, Present};
pub use related::{PostingRow, ProfileRow, RelatedFeatures, TermStat};
pub use revisions::{NewRevision, Revision};
pub use search::{MARK_END, MARK_START, SearchHit, SearchQuery, search_terms};
pub use tx::{Committed, Tx};
pub use users::{AuditRow, NewAudit, NewSession, NewUser, SessionRow, UserRow};

/// Runs `$body` with `$pool` bound to whichever pool the database has. The
/// body is compiled once per backend, so it must be valid for both. Counts
/// one query.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {{
        let db: &$crate::Database = $db;
        db.stats.count();
        match &db.pool {
            $crate::Pool::Sqlite($pool) => $body,
            $crate::Pool::Postgres($pool) => $body,
        }
    }};
}
pub(crate) use on_pool;

/// Where a shared read runs: on the pool, or inside a transaction (so that
/// a use case sees its own writes and locks).
pub(crate) enum Exec<'a> {
    /// The pool.
    Db(&'a Database),
    /// An open transaction.
    Tx(&'a mut Tx),
}

/// Runs `$body` on an [`Exec`] with `$c` bound to a pool or a connection of
/// either backend. One query per use: the body moves `$c`.
macro_rules! on_exec {
    ($ex:expr, $c:ident => $body:expr) => {{
        match $ex {
            $crate::Exec::Db(db) => $crate::on_pool!(db, $c => $body),
            $crate::Exec::Tx(tx) => $crate::tx::on_tx!(&mut **tx, $c => $body),
        }
    }};
}
pub(crate) use on_exec;

/// Which engine a [`Database`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL over the network.
    Postgres,
}

impl Backend {
    /// The engine's name as operators know it.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Counts the statements a [`Database`] sends, so tests and benchmarks can
/// say how many queries a page costs.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    queries: AtomicU64,
}

impl Stats {
    pub(crate) fn count(&self) {
        self.queries.fetch_add(1, Ordering::Relaxed);
    }
}

/// How long a request waits for a free PostgreSQL connection before the
/// store answers [`DbError::Unavailable`]. Short, so that a database that is
/// down turns into a quick 503 rather than a hung page.
pub const PG_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long opening the first PostgreSQL connection may take.
pub const PG_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How much of a SQLite file the connections of
/// [`Database::connect_mapping_file`] map into memory (bytes): the whole
/// file of a site of some 15,000 articles, the first part of a bigger
/// one.
const MMAP_SIZE: u64 = 256 << 20;

/// A connection pool to the store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Database {
    pub(crate) pool: Pool,
    pub(crate) stats: Arc<Stats>,
}

impl Database {
    /// Connects to `url` (`sqlite://path` or `postgres://…`). A SQLite file
    /// and its folder are created when missing.
    pub async fn connect(url: &str) -> Result<Database> {
        Self::connect_inner(url, false).await
    }

    /// [`Database::connect`] for a command that reads most of a SQLite
    /// file many times over (the static export): each connection maps the
    /// file instead of reading every page through a system call into a
    /// small cache of its own (a 2,000-article export made some 45,000
    /// such reads). The mapped pages are the file system's cache, but
    /// each connection's mapping counts them in the process's resident
    /// size again, which is why a server does not: its pages come from
    /// its own page cache, and its resident size should say what it holds.
    /// A read error of the disk under a mapped page stops the process
    /// (SIGBUS) instead of failing one query; the export is a command that
    /// can be run again. The same as [`Database::connect`] for PostgreSQL.
    pub async fn connect_mapping_file(url: &str) -> Result<Database> {
        Self::connect_inner(url, true).await
    }

    async fn connect_inner(url: &str, map_file: bool) -> Result<Database> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?.disable_statement_logging();
            Self::connect_postgres(opts).await
        } else {
            let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"));
            let path = path.ok_or_else(|| {
                DbError::Invalid(format!("`{url}` is neither a sqlite: nor a postgres:// URL"))
            })?;
            if let Some(parent) = std::path::Path::new(path).parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|e| {
                    DbError::Invalid(format!("cannot create `{}`: {e}", parent.display()))
                })?;
            }
            // WAL lets readers go on while one writer writes; NORMAL sync is
            // durable across application crashes and the usual choice in WAL.
            let opts = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("mmap_size", if map_file { MMAP_SIZE } else { 0 }.to_string())
                // Slow statements are the bulk loads' business; logging
                // their SQL (thousands of placeholders) helps nobody.
                .disable_statement_logging();
            // No line per slow acquire: under load that is thousands of
            // lines; the web gate reports its refusals and outages are
            // logged once per interval.
            // A connection is a file handle in this process: there is no
            // link to test before each use (the test is one more round trip
            // to the connection's thread per query).
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .test_before_acquire(false)
                .acquire_slow_level(log::LevelFilter::Off)
                .connect_with(opts)
                .await?;
            Ok(Database { pool: Pool::Sqlite(pool), stats: Arc::default() })
        }
    }

    /// Connects to PostgreSQL with ready-made options (tests use this to set
    /// a per-test `search_path`).
    pub async fn connect_postgres(opts: PgConnectOptions) -> Result<Database> {
        // The server cuts off a runaway statement or a wait for a lock; bulk
        // work that needs longer says so (`SET LOCAL statement_timeout`).
        let opts = opts
            .disable_statement_logging()
            .options([("statement_timeout", "30s"), ("lock_timeout", "10s")]);
        // One plain connection first: when the server cannot be reached,
        // the pool would only say "timed out"; this says why and where.
        let target = match opts.get_socket() {
            Some(socket) => socket.display().to_string(),
            None => format!("{}:{}", opts.get_host(), opts.get_port()),
        };
        // Bounded: a host that drops packets, or a server that accepts and
        // never answers, would otherwise stall the start for minutes.
        let connect = <PgConnection as sqlx::Connection>::connect_with(&opts);
        let first = match tokio::time::timeout(PG_CONNECT_TIMEOUT, connect).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                return Err(match DbError::from(e) {
                    DbError::Unavailable(source) => DbError::Unreachable { target, source },
                    other => other,
                });
            }
            Err(_) => {
                let waited = std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer within {} s", PG_CONNECT_TIMEOUT.as_secs()),
                );
                return Err(DbError::Unreachable { target, source: sqlx::Error::Io(waited) });
            }
        };
        let _ = sqlx::Connection::close(first).await;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(PG_ACQUIRE_TIMEOUT)
            .acquire_slow_level(log::LevelFilter::Off)
            .connect_with(opts)
            .await?;
        Ok(Database { pool: Pool::Postgres(pool), stats: Arc::default() })
    }

    /// Connections the pool opens at most.
    pub fn pool_size(&self) -> usize {
        let n = match &self.pool {
            Pool::Sqlite(p) => p.options().get_max_connections(),
            Pool::Postgres(p) => p.options().get_max_connections(),
        };
        n as usize
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// The same pool with a query counter of its own, for background work
    /// (event followers, workers) whose statements should not be counted
    /// with the requests'.
    pub fn with_own_counter(&self) -> Database {
        Database { pool: self.pool.clone(), stats: Arc::default() }
    }

    /// Statements sent so far through this pool and the clones that share
    /// its counter.
    pub fn queries_run(&self) -> u64 {
        self.stats.queries.load(Ordering::Relaxed)
    }

    /// Opens a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a transaction that reads first and writes later
    /// would otherwise fail with "database is locked" when another writer
    /// got in between, instead of waiting its turn.
    pub async fn begin(&self) -> Result<Tx> {
        self.stats.count();
        let inner = match &self.pool {
            Pool::Sqlite(p) => tx::TxInner::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(p) => tx::TxInner::Postgres(p.begin().await?),
        };
        Ok(Tx::new(inner, self.stats.clone()))
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Runs one statement of trusted SQL, for tests and maintenance scripts.
    /// Never pass it text that a request or an import file controls.
    pub async fn execute_sql(&self, sql: &'static str) -> Result<u64> {
        Ok(on_pool!(self, p => sqlx::raw_sql(sql).execute(p).await.map(|r| r.rows_affected()))?)
    }

    /// Refreshes the query planner's statistics. Run it after bulk loads:
    /// on PostgreSQL, an article page right after loading 100k articles took
    /// 350–450 ms with stale statistics and 6–12 ms after `ANALYZE`.
    pub async fn analyze(&self) -> Result<()> {
        on_pool!(self, p => sqlx::query("ANALYZE").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Closes every connection (on shutdown).
    pub async fn close(&self) {
        on_pool!(self, p => p.close().await);
    }
}

/// Parses a stored JSON column, naming the row when it is corrupt.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    what: impl FnOnce() -> String,
    s: &str,
) -> Result<T> {
    serde_json::from_str(s).map_err(|e| DbError::Corrupt { what: what(), message: e.to_string() })
}

/// Serializes a value for a JSON column.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("model types always serialize")
}

/// How many placeholders an `IN (…)` list of `n` ids is written with: `n`
/// rounded up to a power of two from 8 (lists longer than 512 as they
/// are). The ids are padded with the last one ([`padded_ids`]), which
/// changes nothing in a set, so that each connection keeps a few such
/// statements prepared instead of parsing one per length (SQL parsing
/// showed at 2–3% of a static export's CPU).
pub(crate) fn id_slots(n: usize) -> usize {
    if n > 512 { n } else { n.next_power_of_two().max(8) }
}

/// `ids` padded to [`id_slots`] with its last id.
pub(crate) fn padded_ids(
    ids: &[newsdesk_core::Id],
) -> impl Iterator<Item = newsdesk_core::Id> + '_ {
    let last = ids.last().copied().unwrap_or_default();
    ids.iter().copied().chain(std::iter::repeat(last)).take(id_slots(ids.len()))
}

/// Builds `$start, $start+1, …` for `n` bound values (for `IN (…)` lists).
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    let mut out = String::with_capacity(n * 5);
    for i in start..start + n {
        if i > start {
            out.push_str(", ");
        }
        out.push('$');
        out.push_str(&i.to_string());
    }
    out
}

/// Most values bound in one multi-row statement of a bulk write. Both
/// databases allow far more (32,766 and 65,535), but the cost per row
/// grows with the statement's size: writing 611k postings took 2.4 s in
/// statements of 400 values, 3.4 s at 1,000, 12 s at 4,000 and 89 s at
/// 30,000 (SQLite, release build).
pub(crate) const MAX_BIND: usize = 400;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_take_a_few_lengths_and_keep_their_ids() {
        let lengths: std::collections::BTreeSet<usize> = (1..=512).map(id_slots).collect();
        assert_eq!(lengths.into_iter().collect::<Vec<_>>(), vec![8, 16, 32, 64, 128, 256, 512]);
        assert_eq!(id_slots(513), 513);
        let padded: Vec<i64> = padded_ids(&[4, 9, 2]).collect();
        assert_eq!(padded, vec![4, 9, 2, 2, 2, 2, 2, 2]);
        let long: Vec<i64> = (0..600).collect();
        assert_eq!(padded_ids(&long).collect::<Vec<_>>(), long);
    }

    #[tokio::test]
    async fn only_bulk_readers_map_the_sqlite_file() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("site.db").display());
        for (db, mapped) in [
            (Database::connect(&url).await?, 0),
            (Database::connect_mapping_file(&url).await?, MMAP_SIZE as i64),
        ] {
            let Pool::Sqlite(pool) = &db.pool else { anyhow::bail!("not SQLite") };
            // Every connection of the pool, not only the first.
            let (mut a, mut b) = (pool.acquire().await?, pool.acquire().await?);
            for c in [&mut a, &mut b] {
                let (size,): (i64,) =
                    sqlx::query_as("PRAGMA mmap_size").fetch_one(&mut **c).await?;
                assert_eq!(size, mapped);
            }
        }
        Ok(())
    }
}
