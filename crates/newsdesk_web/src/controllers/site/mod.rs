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

/// Serves `key` from the cache, or builds, stores and serves it. A hit
/// copies nothing: the key is borrowed, the body reference-counted.
pub(crate) async fn cached<F, Fut>(
    app: &AppState,
    key: &str,
    headers: &HeaderMap,
    head: bool,
    build: F,
) -> Result<Response, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<CachedPage, AppError>>,
{
    if let Some(page) = app.cache.get(key) {
        return Ok(page.respond(headers, head));
    }
    let generation = app.cache.generation();
    let page = Arc::new(build().await?);
    app.cache.insert(key.to_owned(), page.clone(), generation);
    Ok(page.respond(headers, head))
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
    Fut: Future<Output = Result<CachedPage, AppError>>,
{
    cached(app, key, &parts.headers, is_head(&parts.method), build).await
}

/// Anything no route matched.
pub async fn not_found() -> AppError {
    AppError::NotFound
}
