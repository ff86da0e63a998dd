//! Security headers on every response.

use crate::app::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// Adds `X-Content-Type-Options`, `Referrer-Policy`, `X-Frame-Options` and
/// the configured `Content-Security-Policy` (unless the handler set a
/// stricter one of its own, as the back office does).
pub async fn security_headers(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    add(&app, res.headers_mut());
    res
}

/// Adds the headers to `h` (also used by [`crate::server`]'s cache-first
/// path, which answers without the middleware).
pub fn add(app: &crate::App, h: &mut HeaderMap) {
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert_with(|| app.csp.clone());
}
