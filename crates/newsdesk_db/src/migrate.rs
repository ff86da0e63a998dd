//! Schema migrations, embedded in the binary.
//!
//! Each step is one SQL file per backend with the same number. A step runs in
//! a transaction together with the row that records it, so a failed step
//! leaves the schema as it was. Steps follow the expand/contract rule: app
//! servers sharing PostgreSQL run old and new code side by side during a
//! deploy, so a step never drops or renames what the previous release reads.

use crate::{Database, Result, on_pool};

/// One migration step.
struct Step {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const STEPS: &[Step] = &[
    Step {
        version: 1,
        name: "initial",
        sqlite: include_str!("../migrations/sqlite/0001_initial.sql"),
        postgres: include_str!("../migrations/postgres/0001_initial.sql"),
    },
    Step {
        version: 2,
        name: "search",
        sqlite: include_str!("../migrations/sqlite/0002_search.sql"),
        postgres: include_str!("../migrations/postgres/0002_search.sql"),
    },
    Step {
        version: 3,
        name: "application",
        sqlite: include_str!("../migrations/sqlite/0003_application.sql"),
        postgres: include_str!("../migrations/postgres/0003_application.sql"),
    },
    Step {
        version: 4,
        name: "accounts",
        sqlite: include_str!("../migrations/sqlite/0004_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0004_accounts.sql"),
    },
    Step {
        version: 5,
        name: "desk",
        sqlite: include_str!("../migrations/sqlite/0005_desk.sql"),
        postgres: include_str!("../migrations/postgres/0005_desk.sql"),
    },
    Step {
        version: 6,
        name: "settings",
        sqlite: include_str!("../migrations/sqlite/0006_settings.sql"),
        postgres: include_str!("../migrations/postgres/0006_settings.sql"),
    },
    Step {
        version: 7,
        name: "embargo",
        sqlite: include_str!("../migrations/sqlite/0007_embargo.sql"),
        postgres: include_str!("../migrations/postgres/0007_embargo.sql"),
    },
    Step {
        version: 8,
        name: "media library",
        sqlite: include_str!("../migrations/sqlite/0008_media_library.sql"),
        postgres: include_str!("../migrations/postgres/0008_media_library.sql"),
    },
    Step {
        version: 9,
        name: "integrations",
        sqlite: include_str!("../migrations/sqlite/0009_integrations.sql"),
        postgres: include_str!("../migrations/postgres/0009_integrations.sql"),
    },
    Step {
        version: 10,
        name: "imports",
        sqlite: include_str!("../migrations/sqlite/0010_imports.sql"),
        postgres: include_str!("../migrations/postgres/0010_imports.sql"),
    },
    Step {
        version: 11,
        name: "tag and author lists",
        sqlite: include_str!("../migrations/sqlite/0011_listings.sql"),
        postgres: include_str!("../migrations/postgres/0011_listings.sql"),
    },
];

/// The step after which existing articles must be fed to the new search
/// index (the index text is built in Rust from the body blocks).
const SEARCH_STEP: i64 = 2;

impl Database {
    /// Applies every migration not applied yet; returns how many ran.
    pub async fn migrate(&self) -> Result<usize> {
        self.migrate_to(i64::MAX).await
    }

    /// Applies the migrations not applied yet up to version `last` (tests of
    /// upgrades start from an older schema with it).
    pub async fn migrate_to(&self, last: i64) -> Result<usize> {
        const CREATE: &str = "CREATE TABLE IF NOT EXISTS newsdesk_migrations (\
            version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";
        on_pool!(self, p => sqlx::query(CREATE).execute(p).await.map(|_| ()))?;
        let mut ran = 0;
        let mut reindex_search = false;
        for step in STEPS.iter().filter(|s| s.version <= last) {
            let sql = match self.backend() {
                crate::Backend::Sqlite => step.sqlite,
                crate::Backend::Postgres => step.postgres,
            };
            let applied = on_pool!(self, p => {
                let mut tx = p.begin().await.map_err(crate::DbError::from)?;
                // On PostgreSQL, an advisory lock keeps two servers starting at
                // once from both running the step; SQLite's write lock does the
                // same job there once the INSERT below runs.
                if self.backend() == crate::Backend::Postgres {
                    // A schema change on a big archive (an index, a new
                    // column filled in) may outlast the 30 s any other
                    // statement gets. Its wait for a lock keeps the usual
                    // 10 s: readers queue behind a waiting schema change, so
                    // it had better give up (and name the cause) than hold
                    // the site.
                    sqlx::query("SET LOCAL statement_timeout = 0").execute(&mut *tx).await?;
                    sqlx::query("SELECT pg_advisory_xact_lock(7362)").execute(&mut *tx).await?;
                }
                let done: Option<(i64,)> =
                    sqlx::query_as("SELECT version FROM newsdesk_migrations WHERE version = $1")
                        .bind(step.version)
                        .fetch_optional(&mut *tx)
                        .await?;
                if done.is_some() {
                    false
                } else {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
                    sqlx::query("INSERT INTO newsdesk_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                        .bind(step.version)
                        .bind(step.name)
                        .bind(chrono::Utc::now().to_rfc3339())
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    true
                }
            });
            if applied {
                tracing::info!(version = step.version, name = step.name, "applied migration");
                reindex_search |= step.version == SEARCH_STEP;
                ran += 1;
            }
        }
        // The index text is built by today's code, which reads today's
        // columns: it runs once the schema is complete.
        let complete = STEPS.last().is_none_or(|s| s.version <= last);
        if reindex_search && complete {
            let n = self.rebuild_search_index().await?;
            if n > 0 {
                tracing::info!(articles = n, "indexed existing articles for search");
            }
        }
        Ok(ran)
    }

    /// The newest migration applied (0 for a database never migrated).
    pub async fn schema_version(&self) -> Result<i64> {
        let (v,): (Option<i64>,) = on_pool!(self, p => sqlx::query_as(
            "SELECT MAX(version) FROM newsdesk_migrations",
        ).fetch_one(p).await)?;
        Ok(v.unwrap_or(0))
    }

    /// The tables and columns of the schema, sorted, for comparing backends
    /// (search structures, which differ by design, left out).
    pub async fn schema_columns(&self) -> Result<Vec<(String, String)>> {
        let mut rows: Vec<(String, String)> =
            match &self.pool {
                crate::Pool::Sqlite(p) => {
                    sqlx::query_as(
                        "SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1, 2",
                    )
                    .fetch_all(p)
                    .await?
                }
                crate::Pool::Postgres(p) => sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() ORDER BY 1, 2",
                )
                .fetch_all(p)
                .await?,
            };
        // Full-text search is stored differently by design (an FTS5 table
        // and its shadow tables; a tsvector column): compare the rest.
        rows.retain(|(t, c)| {
            !(t.starts_with("article_search") || (t == "articles" && c.starts_with("search")))
        });
        rows.sort();
        Ok(rows)
    }
}
