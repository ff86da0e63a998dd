//! Whole-site copies: every table that holds the site's content, people
//! and settings, row by row, as plain values that read the same from both
//! backends (a backup made on SQLite and one made on PostgreSQL of the same
//! site are equal byte for byte).
//!
//! What is copied is listed in [`BACKUP_TABLES`]; what is left out, and
//! why, in [`LEFT_OUT`]. A test checks that together they name every table
//! of the schema, so a new table cannot be forgotten; columns the database
//! derives itself are in [`DERIVED_COLUMNS`].

use crate::tx::on_tx;
use crate::{Database, DbError, Pool, Result, Tx, on_pool};
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::TryStreamExt;
use serde_json::{Map, Value};
use sqlx::Row;

/// How a column's values are written in a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A whole number (JSON number).
    Int,
    /// A floating-point number (JSON number).
    Real,
    /// Text (JSON string; JSON columns stay the text they are).
    Text,
    /// True or false (JSON boolean).
    Bool,
    /// A moment (JSON string, RFC 3339 in UTC with microseconds).
    Time,
}

/// A table as a backup holds it.
#[derive(Debug)]
pub struct TableSpec {
    /// Its name.
    pub name: &'static str,
    /// The columns that order its rows.
    pub key: &'static [&'static str],
    /// Every column, with its kind.
    pub columns: &'static [(&'static str, Kind)],
    /// Columns restored after every table is in (they point forward:
    /// an author's portrait is a media item, whose uploader is a user,
    /// whose profile is an author).
    pub later: &'static [&'static str],
    /// Columns written empty (secrets that must not travel).
    pub blank: &'static [&'static str],
}

use Kind::{Bool, Int, Real, Text, Time};

/// The tables a backup holds, in an order that restores without
/// breaking a reference.
pub const BACKUP_TABLES: &[TableSpec] = &[
    TableSpec {
        name: "sections",
        key: &["id"],
        columns: &[
            ("id", Int),
            ("name", Text),
            ("slug", Text),
            ("position", Int),
            ("description", Text),
        ],
        later: &[],
        blank: &[],
    },
    TableSpec {
        name: "tags",
        key: &["id"],
        columns: &[("id", Int), ("name", Text), ("slug", Text)],
        later: &[],
        blank: &[],
    },
    TableSpec {
        name: "stories",
        key: &["id"],
        columns: &[("id", Int), ("name", Text), ("slug", Text)],
        later: &[],
        blank: &[],
    },
    TableSpec {
        name: "authors",
        key: &["id"],
        columns: &[
            ("id", Int),
            ("name", Text),
            ("slug", Text),
            ("title", Text),
            ("bio", Text),
            ("photo_media_id", Int),
        ],
        later: &["photo_media_id"],
        blank: &[],
    },
    TableSpec {
        name: "users",
        key: &["id"],
        columns: &[
            ("id", Int),
            ("email", Text),
            ("name", Text),
            ("role", Text),
            ("author_id", Int),
            ("password_hash", Text),
            ("password_changed_at", Time),
            ("created_at", Time),
            ("disabled_at", Time),
        ],
        later: &[],
        blank: &["password_hash"],
    },
    TableSpec {
        name: "media",
        key: &["id"],
        columns: &[
            ("id", Int),
            ("file", Text),
            ("width", Int),
            ("height", Int),
            ("alt", Text),
            ("caption", Text),
            ("credit", Text),
            ("rights", Text),
            ("renditions", Text),
            ("hash", Text),
            ("original", Text),
            ("bytes", Int),
            ("file_name", Text),
            ("creator", Text),
            ("taken", Text),
            ("source_type", Text),
            ("ai_generated", Bool),
            ("focal_x", Int),
            ("focal_y", Int),
            ("uploaded_by", Int),
            ("uploaded_at", Time),
            ("version", Int),
        ],
        later: &[],
        blank: &[],
    },
    TableSpec {
        name: "articles",
        key: &["id"],
        columns: &[
            ("id", Int),
            ("slug", Text),
            ("headline", Text),
            ("headline_seo", Text),
            ("headline_social", Text),
            ("headline_teaser", Text),
            ("dek", Text),
            ("section_id", Int),
            ("story_id", Int),
            ("lead", Text),
            ("body", Text),
            ("bylines", Text),
            ("sources", Text),
            ("corrections", Text),
            ("canonical_url", Text),
            ("status", Text),
            ("top_rank", Int),
            ("first_published_at", Time),
            ("updated_at", Time),
            ("path", Text),
            ("terms", Text),
            ("version", Int),
            ("scheduled_at", Time),
            ("embargo_until", Time),
        ],
        later: &[],
        blank: &[],
    },
    TableSpec {
        name: "article_tags",
        key: &["article_id", "tag_id"],
        columns: &[("article_id", Int), ("tag_id", Int), ("position", Int)],
        later: &[],
        blank: &[],
    },
    TableSpec {
        name: "article_authors",
        key: &["article_id", "author_id"],
        columns: &[("article_id", Int), ("author_id", Int), ("position", Int)],
        later: &[],
        blank: &[],
    },
    TableSpec {
        name: "article_revisions",
        key: &["id"],
        columns: &[
            ("id", Int),
            ("article_id", Int),
            ("version", Int),
            ("created_at", Time),
            ("actor", Text),
            ("actor_id", Int),
            ("reason", Text),
            ("status", Text),
            ("content", Text),
            ("note", Text),
        ],
        later: &[],
        blank: &[],
    },
    TableSpec {
        name: "article_redirects",
        key: &["path"],
        columns: &[("path", Text), ("article_id", Int), ("created_at", Time)],
        later: &[],
        blank: &[],
    },
    TableSpec {
        name: "article_autosaves",
        key: &["article_id", "user_id"],
        columns: &[
            ("article_id", Int),
            ("user_id", Int),
            ("base_version", Int),
            ("fields", Text),
            ("saved_at", Time),
        ],
        later: &[],
        blank: &[],
    },
    TableSpec {
        name: "media_uses",
        key: &["media_id", "article_id"],
        columns: &[("media_id", Int), ("article_id", Int)],
        later: &[],
        blank: &[],
    },
    TableSpec {
        name: "site_settings",
        key: &["name"],
        columns: &[("name", Text), ("value", Text)],
        later: &[],
        blank: &[],
    },
    TableSpec {
        name: "audit_log",
        key: &["id"],
        columns: &[
            ("id", Int),
            ("at", Time),
            ("user_id", Int),
            ("actor", Text),
            ("action", Text),
            ("subject", Text),
            ("ip", Text),
            ("detail", Text),
        ],
        later: &[],
        blank: &[],
    },
    TableSpec {
        name: "import_items",
        key: &["source", "kind", "external_id"],
        columns: &[
            ("source", Text),
            ("kind", Text),
            ("external_id", Text),
            ("local_id", Int),
            ("fingerprint", Text),
            ("imported_at", Time),
        ],
        later: &[],
        blank: &[],
    },
];

/// Tables a backup leaves out, and why.
pub const LEFT_OUT: &[(&str, &str)] = &[
    ("sessions", "sign-ins end with the site they were made on"),
    ("sign_in_failures", "throttling state"),
    ("api_keys", "credentials: make new keys and tokens after a restore"),
    ("webhooks", "their signing secrets must not travel: add them again"),
    ("webhook_deliveries", "a delivery log"),
    ("jobs", "queued work: scheduled publications are queued again on restore"),
    ("events", "the change feed between servers"),
    ("article_presence", "who has an article open right now"),
    ("article_holders", "who holds an article right now"),
    ("article_related", "computed: rebuilt after a restore"),
    ("related_terms", "computed: rebuilt after a restore"),
    ("related_postings", "computed: rebuilt after a restore"),
    ("related_profiles", "computed: rebuilt after a restore"),
    ("counters", "computed: rebuilt after a restore"),
    ("newsdesk_migrations", "the schema's own history"),
];

/// Columns of backed-up tables that a backup leaves out because the
/// database fills them itself on restore (table, column, how).
pub const DERIVED_COLUMNS: &[(&str, &str, &str)] = &[
    ("article_tags", "published_at", "copied from the article by a trigger"),
    ("article_authors", "published_at", "copied from the article by a trigger"),
];

/// A moment as a backup writes it.
pub fn backup_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn select(spec: &TableSpec, postgres: bool) -> String {
    let cols: Vec<String> = spec
        .columns
        .iter()
        .map(|(c, k)| match (k, postgres) {
            (Int, true) => format!("CAST({c} AS BIGINT) AS {c}"),
            _ => (*c).to_owned(),
        })
        .collect();
    // Text keys sort byte by byte on both backends (PostgreSQL's default
    // collation would sort `/?p=1` after `/a`, SQLite before).
    let order: Vec<String> = spec
        .key
        .iter()
        .map(|k| {
            let text = spec.columns.iter().any(|(c, kind)| c == k && *kind == Text);
            if postgres && text { format!("{k} COLLATE \"C\"") } else { (*k).to_owned() }
        })
        .collect();
    format!("SELECT {} FROM {} ORDER BY {}", cols.join(", "), spec.name, order.join(", "))
}

/// A value of a column of `kind` other than [`Kind::Bool`] (booleans are
/// stored differently by each backend and read by the caller).
fn value_of<'r, R>(row: &'r R, i: usize, kind: Kind) -> std::result::Result<Value, sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<f64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<DateTime<Utc>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(match kind {
        Int => row.try_get::<Option<i64>, _>(i)?.map_or(Value::Null, Value::from),
        Real => row.try_get::<Option<f64>, _>(i)?.map_or(Value::Null, Value::from),
        Text => row.try_get::<Option<String>, _>(i)?.map_or(Value::Null, Value::from),
        Time | Bool => row
            .try_get::<Option<DateTime<Utc>>, _>(i)?
            .map_or(Value::Null, |t| backup_time(t).into()),
    })
}

fn row_to_map(spec: &TableSpec, values: Vec<Value>) -> Map<String, Value> {
    let mut m = Map::new();
    for ((name, _), v) in spec.columns.iter().zip(values) {
        let v = if spec.blank.contains(name) && !v.is_null() { Value::from("") } else { v };
        m.insert((*name).to_owned(), v);
    }
    m
}

impl Database {
    /// Reads every table of [`BACKUP_TABLES`] from one consistent snapshot
    /// (a read transaction: writers go on meanwhile), handing each row, in
    /// key order, to `each` with its table.
    pub async fn dump<F>(&self, mut each: F) -> Result<()>
    where
        F: FnMut(&'static TableSpec, Map<String, Value>) -> std::io::Result<()>,
    {
        let io = |e: std::io::Error| DbError::Invalid(format!("writing the backup failed: {e}"));
        match &self.pool {
            Pool::Sqlite(p) => {
                // A deferred transaction: its first read fixes the snapshot
                // (WAL), and it never takes the write lock.
                let mut tx = p.begin().await?;
                for spec in BACKUP_TABLES {
                    let sql = select(spec, false);
                    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *tx);
                    while let Some(row) = rows.try_next().await? {
                        let mut values = Vec::with_capacity(spec.columns.len());
                        for (i, (_, kind)) in spec.columns.iter().enumerate() {
                            values.push(match kind {
                                Bool => row
                                    .try_get::<Option<i64>, _>(i)?
                                    .map_or(Value::Null, |b| Value::Bool(b != 0)),
                                k => value_of(&row, i, *k)?,
                            });
                        }
                        each(spec, row_to_map(spec, values)).map_err(io)?;
                    }
                }
                tx.rollback().await?;
            }
            Pool::Postgres(p) => {
                let mut tx = p.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await?;
                // Reading a big archive's revisions takes longer than the
                // pool's statement timeout allows one query.
                sqlx::query("SET LOCAL statement_timeout = 0").execute(&mut *tx).await?;
                for spec in BACKUP_TABLES {
                    let sql = select(spec, true);
                    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *tx);
                    while let Some(row) = rows.try_next().await? {
                        let mut values = Vec::with_capacity(spec.columns.len());
                        for (i, (_, kind)) in spec.columns.iter().enumerate() {
                            values.push(match kind {
                                Bool => row
                                    .try_get::<Option<bool>, _>(i)?
                                    .map_or(Value::Null, Value::Bool),
                                k => value_of(&row, i, *k)?,
                            });
                        }
                        each(spec, row_to_map(spec, values)).map_err(io)?;
                    }
                }
                tx.rollback().await?;
            }
        }
        Ok(())
    }

    /// How many rows the tables a restore writes into hold (a restore
    /// goes only into a site where this is zero).
    pub async fn backed_up_rows(&self) -> Result<i64> {
        let mut n = 0;
        for spec in BACKUP_TABLES {
            if spec.name == "audit_log" {
                continue;
            }
            let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {}", spec.name);
            let (c,): (i64,) =
                on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(p).await)?;
            n += c;
        }
        Ok(n)
    }

    /// Every table of the schema (for checking that backups name them all).
    pub async fn table_names(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> =
            self.schema_columns().await?.into_iter().map(|(t, _)| t).collect();
        names.dedup();
        Ok(names)
    }
}

fn bad(table: &str, column: &str, v: &Value) -> DbError {
    DbError::Invalid(format!(
        "the backup's {table}.{column} holds {v}, which is not a value of that column"
    ))
}

impl Tx {
    /// Writes `rows` of table `spec` as they are in a backup (columns of
    /// [`TableSpec::later`] left empty for [`Tx::restore_later`]).
    pub async fn restore_rows(
        &mut self,
        spec: &TableSpec,
        rows: &[Map<String, Value>],
    ) -> Result<()> {
        let cols: Vec<&str> = spec.columns.iter().map(|(c, _)| *c).collect();
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            spec.name,
            cols.join(", "),
            marks.join(", ")
        );
        for row in rows {
            let sql = sql.clone();
            on_tx!(self, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (name, kind) in spec.columns {
                    let v = if spec.later.contains(name) { &Value::Null } else { row.get(*name).unwrap_or(&Value::Null) };
                    q = bind(q, spec.name, name, *kind, v)?;
                }
                q.execute(&mut *c).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }

    /// Sets the [`TableSpec::later`] columns of `rows`.
    pub async fn restore_later(
        &mut self,
        spec: &TableSpec,
        rows: &[Map<String, Value>],
    ) -> Result<()> {
        for col in spec.later {
            let kind = spec.columns.iter().find(|(c, _)| c == col).map_or(Text, |(_, k)| *k);
            let keys: Vec<String> =
                spec.key.iter().enumerate().map(|(i, k)| format!("{k} = ${}", i + 2)).collect();
            let sql = format!("UPDATE {} SET {col} = $1 WHERE {}", spec.name, keys.join(" AND "));
            for row in rows {
                let v = row.get(*col).unwrap_or(&Value::Null);
                if v.is_null() {
                    continue;
                }
                let sql = sql.clone();
                on_tx!(self, c => {
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    q = bind(q, spec.name, col, kind, v)?;
                    for k in spec.key {
                        let kk = spec.columns.iter().find(|(c, _)| c == k).map_or(Text, |(_, k)| *k);
                        q = bind(q, spec.name, k, kk, row.get(*k).unwrap_or(&Value::Null))?;
                    }
                    q.execute(&mut *c).await.map(|r| r.rows_affected())
                })?;
            }
        }
        Ok(())
    }

    /// After rows were written with their own ids: new rows get ids past
    /// them (PostgreSQL's identity sequences; SQLite needs nothing).
    pub async fn reset_identities(&mut self) -> Result<()> {
        if self.backend() == crate::Backend::Postgres {
            for spec in BACKUP_TABLES.iter().filter(|s| s.key == ["id"]) {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE((SELECT MAX(id) FROM {t}), 0) + 1, false)",
                    t = spec.name
                );
                on_tx!(self, c => sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *c).await.map(|r| r.rows_affected()))?;
            }
        }
        Ok(())
    }
}

/// Binds `v` as a value of `kind` (macro-free over both backends' query
/// types).
fn bind<'q, DB>(
    q: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    table: &str,
    column: &str,
    kind: Kind,
    v: &Value,
) -> std::result::Result<sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>, sqlx::Error>
where
    DB: sqlx::Database,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<f64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<bool>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<DateTime<Utc>>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let wrong = || sqlx::Error::Protocol(bad(table, column, v).to_string());
    Ok(match kind {
        Int => q.bind(match v {
            Value::Null => None,
            v => Some(v.as_i64().ok_or_else(wrong)?),
        }),
        Real => q.bind(match v {
            Value::Null => None,
            v => Some(v.as_f64().ok_or_else(wrong)?),
        }),
        Text => q.bind(match v {
            Value::Null => None,
            v => Some(v.as_str().ok_or_else(wrong)?.to_owned()),
        }),
        Bool => q.bind(match v {
            Value::Null => None,
            v => Some(v.as_bool().ok_or_else(wrong)?),
        }),
        Time => q.bind(match v {
            Value::Null => None,
            v => Some(
                DateTime::parse_from_rfc3339(v.as_str().ok_or_else(wrong)?)
                    .map_err(|_| wrong())?
                    .with_timezone(&Utc),
            ),
        }),
    })
}
