//! What a use case can answer instead of doing the change.

use newsdesk_core::{Denied, Problem, TransitionError};
use newsdesk_db::DbError;

/// Why a use case did not happen. Nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The thing to change does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. "article 12".
        what: String,
    },
    /// The actor may not do this.
    #[error(transparent)]
    Forbidden(#[from] Denied),
    /// The input cannot be stored: every problem, each naming its field.
    #[error("{}", join(.0))]
    Invalid(Vec<Problem>),
    /// The article cannot be published as it is: every problem, each naming
    /// its field.
    #[error("cannot publish: {}", join(.0))]
    Unpublishable(Vec<Problem>),
    /// The workflow does not allow this status change.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The change was based on an older version; someone else saved since.
    #[error("the article was changed by someone else (now at version {current_version})")]
    Stale {
        /// The stored version.
        current_version: i32,
    },
    /// A uniqueness or reference rule: a slug or path taken, a section
    /// still in use.
    #[error("{message}")]
    Conflict {
        /// The rule, as `table.column`.
        constraint: String,
        /// What happened, for people.
        message: String,
    },
    /// A request that makes no sense in the article's current state (a
    /// correction to a draft, a schedule in the past).
    #[error("{0}")]
    Refused(String),
    /// The database is down or overloaded; try again later.
    #[error("the database is unavailable, try again in a moment")]
    Unavailable(#[source] DbError),
    /// Anything else; logged where it is answered.
    #[error(transparent)]
    Internal(DbError),
}

fn join(problems: &[Problem]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

impl From<DbError> for Error {
    fn from(e: DbError) -> Error {
        match e {
            DbError::NotFound { what } => Error::NotFound { what },
            DbError::Stale { current_version } => Error::Stale { current_version },
            DbError::Conflict { constraint, message } => Error::Conflict { constraint, message },
            DbError::Invalid(message) => Error::Refused(message),
            e if e.is_unavailable() => Error::Unavailable(e),
            e => Error::Internal(e),
        }
    }
}

/// Use-case result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
