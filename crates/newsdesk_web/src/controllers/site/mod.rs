//! Public HTML and what machines read: pages from the in-memory cache,
//! search, feeds, sitemaps, files and the health check.

pub mod distribution;
pub mod files;
pub mod health;
pub mod pages;
pub mod search;

use crate::app::AppState;
use crate::cache::CachedPage;
use crate::error::AppError;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use std::future::Future;
use std::sync::Arc;

/// Whether a request is a `HEAD`.
pub(crate) fn is_head(method: &Method) -> bool {
    method == Method::HEAD
}

/// Longest the database work of one page may take; past it the page is a
/// 503 (a database that froze must not hold requests for minutes).
pub const BUILD_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs a page's database work: through the [`crate::gate::DbGate`], on
/// the [`crate::lane`], within [`BUILD_DEADLINE`]. The turn at the gate is
/// held until the work ends, even when the client hangs up first.
pub(crate) async fn with_database<T, F>(app: &AppState, work: F) -> Result<T, AppError>
where
    F: Future<Output = Result<T, AppError>> + Send + 'static,
    T: Send + 'static,
{
    let by = tokio::time::Instant::now() + crate::gate::QUEUE_DEADLINE;
    with_database_by(app, by, work).await
}

/// [`with_database`], waiting for a turn at the gate until `by` at the
/// latest.
pub(crate) async fn with_database_by<T, F>(
    app: &AppState,
    by: tokio::time::Instant,
    work: F,
) -> Result<T, AppError>
where
    F: Future<Output = Result<T, AppError>> + Send + 'static,
    T: Send + 'static,
{
    let turn = app.gate.enter_by(by).await?;
    let job = crate::lane::spawn(async move {
        let r = tokio::time::timeout(BUILD_DEADLINE, work).await;
        drop(turn);
        r
    });
    match job.await {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => {
            tracing::warn!("a page's database work took longer than {BUILD_DEADLINE:?}");
            Err(AppError::Unavailable)
        }
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(AppError::Unavailable),
    }
}

/// Serves `key` from the cache, or builds, stores and serves it. A hit
/// copies nothing: the key is borrowed, the body reference-counted. A
/// build waits its turn at the database gate.
///
/// A page a change made stale is built again by one request at a time;
/// the others, and that one too when the database cannot build it now
/// (the gate is full, the database is down or too slow), get the stale
/// copy instead of waiting or a 503.
pub(crate) async fn cached<F, Fut>(
    app: &AppState,
    key: &str,
    headers: &HeaderMap,
    head: bool,
    build: F,
) -> Result<Response, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<CachedPage, AppError>> + Send + 'static,
{
    if let Some(page) = app.cache.get(key) {
        return Ok(page.respond(headers, head));
    }
    let stale = app.cache.stale(key);
    let turn = app.cache.build(key);
    if turn.is_none()
        && let Some(old) = &stale
    {
        return Ok(old.respond_stale(headers, head));
    }
    let generation = app.cache.generation();
    // Stored by the build itself, so a page whose client hung up meanwhile
    // is still kept for the next reader.
    let (cache, owned_key, work) = (app.cache.clone(), key.to_owned(), build());
    let built = with_database(app, async move {
        let page = Arc::new(work.await?);
        cache.insert(owned_key, page.clone(), generation);
        drop(turn);
        Ok(page)
    })
    .await;
    match built {
        Ok(page) => Ok(page.respond(headers, head)),
        // The copy as it is now: a takedown during the build dropped it.
        Err(e @ (AppError::Unavailable | AppError::Internal(_))) => match app.cache.stale(key) {
            Some(old) => Ok(old.respond_stale(headers, head)),
            None => Err(e),
        },
        // The address shows nothing any more (a slug changed, a story
        // went): no old copy may answer for it.
        Err(e) => {
            if stale.is_some() {
                app.cache.forget(key);
            }
            Err(e)
        }
    }
}

/// [`cached`] for a handler that took the whole request.
pub(crate) async fn cached_for<F, Fut>(
    app: &AppState,
    key: &str,
    parts: &Parts,
    build: F,
) -> Result<Response, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<CachedPage, AppError>> + Send + 'static,
{
    cached(app, key, &parts.headers, is_head(&parts.method), build).await
}

/// Anything no route matched: perhaps an address an article had on the
/// site it was imported from.
pub async fn not_found(
    axum::extract::State(app): axum::extract::State<AppState>,
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> Result<axum::response::Response, AppError> {
    if method != axum::http::Method::GET && method != axum::http::Method::HEAD {
        return Err(AppError::NotFound);
    }
    pages::old_address(&app, uri.path()).await
}
