//! One error type for every handler, and how each audience sees it.
//!
//! Handlers return `Result<Response, AppError>`. [`AppError`]'s
//! `IntoResponse` gives the status and marks the response; the
//! [`crate::middleware::error_pages`] layer, which knows the request and the
//! theme, then fills in the body: a themed HTML page for the site, the JSON
//! envelope `{"errors": [{"detail": …}]}` under `/api/`. Internal errors are
//! logged once, where they are turned into a response; the client sees a
//! generic message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Why a request could not be answered as asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// No such page.
    #[error("not found")]
    NotFound,
    /// The page existed and was taken down.
    #[error("gone")]
    Gone,
    /// The request target is longer than [`crate::MAX_URI_BYTES`].
    #[error("the address is too long")]
    UriTooLong,
    /// The request is malformed; the message says how.
    #[error("{0}")]
    BadRequest(String),
    /// The client may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The change conflicts with the stored state (a stale edit, a taken
    /// slug).
    #[error("{0}")]
    Conflict(String),
    /// The database is down or overloaded; try again shortly.
    #[error("temporarily unavailable")]
    Unavailable,
    /// Something broke; logged, and the client sees a generic message.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Gone => StatusCode::GONE,
            AppError::UriTooLong => StatusCode::URI_TOO_LONG,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The heading and sentence shown to people.
    pub fn explain(&self) -> (&'static str, String) {
        match self {
            AppError::NotFound => (
                "We could not find that page",
                "The link may be mistyped, or the story may have moved. Try the front page or one of the latest stories below.".into(),
            ),
            AppError::Gone => (
                "This story is no longer available",
                "It was taken down by the newsroom. The latest stories are below.".into(),
            ),
            AppError::UriTooLong => (
                "That address is too long",
                "No page of this site has an address that long. Check the link, or start again from the front page.".into(),
            ),
            AppError::BadRequest(m) => ("The request could not be understood", m.clone()),
            AppError::Forbidden(m) => ("You may not do that", m.clone()),
            AppError::Conflict(m) => ("Someone else changed this first", m.clone()),
            AppError::Unavailable => (
                "The site is busy for a moment",
                "Part of the site cannot be reached right now. Please try again in a few seconds.".into(),
            ),
            AppError::Internal(_) => {
                ("Something went wrong on our side", "Please try again in a moment.".into())
            }
        }
    }
}

/// How often a database outage is logged while it lasts.
pub const OUTAGE_LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Logs a database outage once per [`OUTAGE_LOG_EVERY`] with the number of
/// requests it failed meanwhile, not once per request: under load a
/// refused connection fails thousands of requests a second.
struct OutageLog {
    last: std::sync::Mutex<Option<std::time::Instant>>,
    since: std::sync::atomic::AtomicU64,
}

static OUTAGE_LOG: OutageLog =
    OutageLog { last: std::sync::Mutex::new(None), since: std::sync::atomic::AtomicU64::new(0) };

impl OutageLog {
    /// Counts one failed request; whether this one was logged.
    fn note(&self, e: &newsdesk_db::DbError) -> bool {
        use std::sync::atomic::Ordering;
        self.since.fetch_add(1, Ordering::AcqRel);
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_none_or(|t| t.elapsed() >= OUTAGE_LOG_EVERY) {
            *last = Some(std::time::Instant::now());
            let failed = self.since.swap(0, Ordering::AcqRel);
            tracing::warn!(error = %e, requests = failed, "database unavailable");
            return true;
        }
        false
    }
}

impl From<newsdesk_db::DbError> for AppError {
    fn from(e: newsdesk_db::DbError) -> Self {
        match e {
            newsdesk_db::DbError::NotFound { .. } => AppError::NotFound,
            e if e.is_unavailable() => {
                OUTAGE_LOG.note(&e);
                AppError::Unavailable
            }
            e => AppError::Internal(e.into()),
        }
    }
}

impl From<newsdesk_app::Error> for AppError {
    fn from(e: newsdesk_app::Error) -> Self {
        use newsdesk_app::Error as E;
        match e {
            E::NotFound { .. } => AppError::NotFound,
            E::Forbidden(d) => AppError::Forbidden(d.to_string()),
            E::Stale { .. } | E::Conflict { .. } => AppError::Conflict(e.to_string()),
            E::Invalid(_) | E::Unpublishable(_) | E::Transition(_) | E::Refused(_) => {
                AppError::BadRequest(e.to_string())
            }
            E::Unavailable(_) => AppError::Unavailable,
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<newsdesk_render::RenderError> for AppError {
    fn from(e: newsdesk_render::RenderError) -> Self {
        AppError::Internal(e.into())
    }
}

/// Marks a response as an error for [`crate::middleware::error_pages`] to
/// dress. Holds what the page needs.
#[derive(Debug, Clone)]
pub struct ErrorMark {
    /// Heading.
    pub heading: &'static str,
    /// Sentence.
    pub message: String,
    /// Whether the helpful part (latest stories) may touch the database.
    pub store_ok: bool,
    /// A short statement for API clients ("not found"); never internals.
    pub detail: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
        let (heading, message) = self.explain();
        let store_ok = !matches!(self, AppError::Internal(_) | AppError::Unavailable);
        let detail = match &self {
            AppError::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        };
        let mut res = self.status().into_response();
        res.extensions_mut().insert(ErrorMark { heading, message, store_ok, detail });
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_is_logged_once_per_interval_not_once_per_request() {
        let log = OutageLog {
            last: std::sync::Mutex::new(None),
            since: std::sync::atomic::AtomicU64::new(0),
        };
        let e = newsdesk_db::DbError::Invalid("the database went away".into());
        let logged = (0..10_000).filter(|_| log.note(&e)).count();
        assert_eq!(logged, 1, "the first failure is logged, the rest counted");
        assert_eq!(log.since.load(std::sync::atomic::Ordering::Acquire), 9_999);
        // Once the interval has passed, one line with the count.
        *log.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
            std::time::Instant::now().checked_sub(OUTAGE_LOG_EVERY);
        assert!(log.note(&e));
        assert_eq!(log.since.load(std::sync::atomic::Ordering::Acquire), 0);
    }
}
