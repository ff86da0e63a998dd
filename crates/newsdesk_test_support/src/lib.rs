//! Real databases for tests, one isolated store per test.
//!
//! - SQLite: a fresh file in a temporary folder, deleted with the [`TestDb`].
//! - PostgreSQL: a fresh schema in the database named by
//!   `NEWSDESK_TEST_POSTGRES_URL` (e.g. `postgres://postgres@127.0.0.1:5432/test`),
//!   selected through `search_path` and dropped with the [`TestDb`].
//!
//! When the variable is unset, PostgreSQL tests are skipped with a message,
//! except under `CI=true`, where a missing PostgreSQL fails the test: CI must
//! never pass by testing one backend only.

use newsdesk_db::Database;
use sqlx::ConnectOptions;
use sqlx::postgres::PgConnectOptions;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "NEWSDESK_TEST_POSTGRES_URL";

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A migrated, empty store that cleans up after itself.
pub struct TestDb {
    /// The store.
    pub db: Database,
    /// A temporary folder for files (SQLite database, media).
    pub dir: tempfile::TempDir,
    /// The URL the store was opened with (for tests that open it again).
    pub url: String,
    pg_schema: Option<(String, String)>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    /// A store of `kind`, or `None` when PostgreSQL is not configured and
    /// this is not CI (the test should return early).
    pub async fn new(kind: Kind) -> anyhow::Result<Option<TestDb>> {
        match kind {
            Kind::Sqlite => Ok(Some(TestDb::sqlite().await?)),
            Kind::Postgres => TestDb::postgres().await,
        }
    }

    /// A fresh SQLite store.
    pub async fn sqlite() -> anyhow::Result<TestDb> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}/test.db", dir.path().display());
        let db = Database::connect(&url).await?;
        db.migrate().await?;
        Ok(TestDb { db, dir, url, pg_schema: None })
    }

    /// A fresh PostgreSQL schema, or `None` (see the crate docs).
    pub async fn postgres() -> anyhow::Result<Option<TestDb>> {
        let Ok(base) = std::env::var(POSTGRES_URL_VAR) else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                anyhow::bail!(
                    "{POSTGRES_URL_VAR} is not set: under CI the PostgreSQL suite must run"
                );
            }
            eprintln!("skipping: set {POSTGRES_URL_VAR} to run the PostgreSQL variant");
            return Ok(None);
        };
        let schema = format!(
            "t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.subsec_nanos()
        );
        let admin = PgConnectOptions::from_str(&base)?;
        let mut conn = admin.connect().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut conn)
            .await?;
        let opts = PgConnectOptions::from_str(&base)?.options([("search_path", schema.as_str())]);
        let db = Database::connect_postgres(opts).await?;
        db.migrate().await?;
        let url = format!(
            "{base}{}options=-csearch_path%3D{schema}",
            if base.contains('?') { "&" } else { "?" }
        );
        let dir = tempfile::tempdir()?;
        Ok(Some(TestDb { db, dir, url, pg_schema: Some((base, schema)) }))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, schema)) = self.pg_schema.take() else { return };
        // Drop runs inside the test's runtime; a separate thread with its own
        // runtime can block on the cleanup without stalling it.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async move {
                let mut conn = PgConnectOptions::from_str(&base).ok()?.connect().await.ok()?;
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {schema} CASCADE")))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// Runs an async test body against SQLite and PostgreSQL:
///
/// ```ignore
/// db_test!(publishes_an_article, |t| async move { ...; Ok(()) });
/// ```
///
/// expands to two `#[tokio::test]`s, `publishes_an_article::sqlite` and
/// `publishes_an_article::postgres`.
#[macro_export]
macro_rules! db_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() -> anyhow::Result<()> {
                let Some(t) = $crate::TestDb::new($crate::Kind::Sqlite).await? else {
                    return Ok(());
                };
                ($body)(t).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() -> anyhow::Result<()> {
                let Some(t) = $crate::TestDb::new($crate::Kind::Postgres).await? else {
                    return Ok(());
                };
                ($body)(t).await
            }
        }
    };
}
