//! The store's errors, classified where they happen so callers can answer
//! each kind properly: 404, 409 with the current version, 503.

/// A store error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The row asked for does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. "article 12".
        what: String,
    },
    /// A uniqueness or reference rule was broken: a slug already in use, a
    /// path taken, a row still referenced.
    #[error("{message}")]
    Conflict {
        /// The rule, as `table.column` (the same name on both backends),
        /// e.g. `articles.path`.
        constraint: String,
        /// What happened, for people.
        message: String,
    },
    /// The change was based on an older version than the stored one.
    #[error("the article was changed by someone else (now at version {current_version})")]
    Stale {
        /// The stored version.
        current_version: i32,
    },
    /// The request cannot be stored as asked (bad URL, out-of-range value).
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
    /// The database cannot be reached or is refusing work for now (down,
    /// restarting, every connection busy, locked). Worth retrying later;
    /// pages answer 503.
    #[error("the database is unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// The database server could not be reached at all when connecting.
    #[error("cannot reach the database at {target}: {source}")]
    Unreachable {
        /// `host:port` (or the socket) tried.
        target: String,
        /// Why, from the operating system or the server.
        source: sqlx::Error,
    },
    /// Any other database error.
    #[error(transparent)]
    Other(sqlx::Error),
}

/// Store result.
pub type Result<T, E = DbError> = std::result::Result<T, E>;

impl DbError {
    /// A [`DbError::NotFound`] for `what`.
    pub fn not_found(what: impl Into<String>) -> DbError {
        DbError::NotFound { what: what.into() }
    }

    /// Whether this error means "try again later" rather than "this is wrong".
    pub fn is_unavailable(&self) -> bool {
        matches!(self, DbError::Unavailable(_) | DbError::Unreachable { .. })
    }
}

/// PostgreSQL error codes that mean "not now": class 08 (connection
/// exception), 53300 (too many connections), 57P01–57P03 (shutdown, crash,
/// not yet accepting), 57014 (statement timeout), 55P03 (lock timeout:
/// another transaction, a bulk rebuild say, holds what this one needs).
fn pg_unavailable(code: &str) -> bool {
    code.starts_with("08")
        || matches!(code, "53300" | "57P01" | "57P02" | "57P03" | "57014" | "55P03")
}

/// SQLite's busy and locked results (another writer held the lock past the
/// busy timeout) and I/O and open errors (the file went away).
fn sqlite_unavailable(code: &str) -> bool {
    // Extended codes carry the primary code in their low byte.
    let primary = code.parse::<i32>().map(|c| c & 0xff).unwrap_or(-1);
    matches!(primary, 5 | 6 | 10 | 14)
}

/// The `table.column` a unique violation names, the same on both backends.
fn constraint_name(d: &dyn sqlx::error::DatabaseError) -> String {
    // SQLite: "UNIQUE constraint failed: articles.path" (several columns are
    // comma-separated).
    if let Some(rest) = d.message().strip_prefix("UNIQUE constraint failed: ") {
        return rest.split(',').next().unwrap_or(rest).trim().to_owned();
    }
    // PostgreSQL: the default constraint name `articles_path_key`.
    match (d.table(), d.constraint()) {
        (Some(table), Some(c)) => {
            let column = c
                .strip_prefix(table)
                .and_then(|r| r.strip_prefix('_'))
                .map(|r| r.strip_suffix("_key").unwrap_or(r))
                .unwrap_or(c);
            format!("{table}.{column}")
        }
        (_, Some(c)) => c.to_owned(),
        _ => "unknown".into(),
    }
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => DbError::Unavailable(e),
            sqlx::Error::Database(d) => {
                let code = d.code().map(|c| c.into_owned()).unwrap_or_default();
                let backend_down = match d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                    Some(_) => pg_unavailable(&code),
                    None => sqlite_unavailable(&code),
                };
                if backend_down {
                    DbError::Unavailable(e)
                } else if d.is_unique_violation() {
                    let constraint = constraint_name(d.as_ref());
                    DbError::Conflict {
                        message: format!("`{constraint}` is already taken"),
                        constraint,
                    }
                } else if d.is_foreign_key_violation() {
                    let constraint = constraint_name(d.as_ref());
                    DbError::Conflict {
                        message: "the change refers to a row that does not exist, or removes one that is still in use".into(),
                        constraint,
                    }
                } else {
                    DbError::Other(e)
                }
            }
            _ => DbError::Other(e),
        }
    }
}

/// Maps a unique violation to [`DbError::Conflict`] with a message for
/// people; any other error converts as usual.
pub(crate) fn conflict_on_unique(e: sqlx::Error, message: impl FnOnce() -> String) -> DbError {
    match DbError::from(e) {
        DbError::Conflict { constraint, .. } if !constraint.is_empty() => {
            DbError::Conflict { constraint, message: message() }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_busy_and_locked_mean_unavailable() {
        assert!(sqlite_unavailable("5"));
        assert!(sqlite_unavailable("517")); // SQLITE_BUSY_SNAPSHOT
        assert!(sqlite_unavailable("6"));
        assert!(!sqlite_unavailable("2067")); // SQLITE_CONSTRAINT_UNIQUE
        assert!(!sqlite_unavailable("not a number"));
    }

    #[test]
    fn postgres_connection_classes_mean_unavailable() {
        for c in ["08006", "08001", "57P01", "53300"] {
            assert!(pg_unavailable(c), "{c}");
        }
        for c in ["23505", "40001", "42P01"] {
            assert!(!pg_unavailable(c), "{c}");
        }
    }
}
