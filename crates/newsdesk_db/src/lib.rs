//! The store: one API over SQLite (the zero-setup default) and PostgreSQL.
//!
//! Callers use [`Database`]'s methods and never see the dialect. Queries use
//! `$n` placeholders and the SQL both engines share; where the dialects would
//! differ, the two versions sit side by side in the method. Every write runs
//! in a transaction. Migrations live in `migrations/sqlite` and
//! `migrations/postgres`, one file per step, embedded in the binary.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

mod articles;
mod migrate;
mod search;
mod taxonomy;

pub use articles::{ArticleCard, ArticleFilter, Page, RelatedUpdate, SitemapRow};
pub use search::{MARK_END, MARK_START, SearchHit, SearchQuery, search_terms};

/// Runs `$body` with `$pool` bound to whichever pool the database has. The
/// body is compiled once per backend, so it must be valid for both.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match &$db.pool {
            $crate::Pool::Sqlite($pool) => $body,
            $crate::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// A store error. Constraint violations are mapped where they happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The row asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A uniqueness rule was broken, e.g. a slug already in use.
    #[error("{0}")]
    Conflict(String),
    /// The edit was based on an older version than the stored one.
    #[error("the article was changed by someone else (now at version {current})")]
    StaleRevision {
        /// The stored version.
        current: i32,
    },
    /// The change is not allowed (workflow or content rules).
    #[error("{0}")]
    Invalid(String),
    /// A stored JSON column does not parse: the row was written by something
    /// other than this program.
    #[error("stored data for {what} is corrupt: {message}")]
    Corrupt {
        /// Which row and column.
        what: String,
        /// The parser's message.
        message: String,
    },
    /// The database could not be reached or answered with an error.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

/// Store result.
pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// Which engine a [`Database`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL over the network.
    Postgres,
}

#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A connection pool to the store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Database {
    pub(crate) pool: Pool,
}

impl Database {
    /// Connects to `url` (`sqlite://path` or `postgres://…`). A SQLite file
    /// and its folder are created when missing.
    pub async fn connect(url: &str) -> Result<Database> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
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
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new().max_connections(8).connect_with(opts).await?;
            Ok(Database { pool: Pool::Sqlite(pool) })
        }
    }

    /// Connects to PostgreSQL with ready-made options (tests use this to set
    /// a per-test `search_path`).
    pub async fn connect_postgres(opts: PgConnectOptions) -> Result<Database> {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(Database { pool: Pool::Postgres(pool) })
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Runs one statement of trusted SQL, for tests and maintenance scripts.
    /// Never pass it text that a request or an import file controls.
    pub async fn execute_sql(&self, sql: &'static str) -> Result<u64> {
        Ok(on_pool!(self, p => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()))?)
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

/// Maps a unique-constraint violation to [`DbError::Conflict`] with `message`.
pub(crate) fn conflict_on_unique(e: sqlx::Error, message: impl FnOnce() -> String) -> DbError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => DbError::Conflict(message()),
        _ => DbError::Sqlx(e),
    }
}

/// Builds `$start, $start+1, …` for `n` bound values (for `IN (…)` lists).
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}
