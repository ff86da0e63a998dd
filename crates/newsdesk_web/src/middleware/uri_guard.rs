//! What is refused or redirected before routing.

use crate::error::AppError;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// Longest request target accepted (path and query), in bytes. Longer ones
/// get 414: no page of ours needs more, and long URLs are a cheap attack.
pub const MAX_URI_BYTES: usize = 2048;

/// Refuses targets over [`MAX_URI_BYTES`] with 414 and folds a trailing
/// slash with a 308 to the same path without it.
pub async fn uri_guard(req: Request, next: Next) -> Response {
    let target_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target_len > MAX_URI_BYTES {
        return AppError::UriTooLong.into_response();
    }
    let path = req.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
        let target = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_owned(),
        };
        // Only site-relative targets: `//host` must never become a redirect
        // to another site.
        if !target.starts_with("//") {
            return Redirect::permanent(&target).into_response();
        }
    }
    next.run(req).await
}
