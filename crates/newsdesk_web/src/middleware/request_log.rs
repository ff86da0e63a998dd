//! One log line per request.

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// Longest path logged, in bytes; longer ones are cut.
pub const MAX_LOGGED_PATH: usize = 256;

/// Logs method, path, status and time taken, at `info` on the target
/// `newsdesk::request`. Costs nothing when that level is off; when it is on,
/// it copies no strings (the method and URI are reference-counted) and the
/// line is written by a background thread (see the binary's logging setup).
pub async fn request_log(req: Request, next: Next) -> Response {
    if !enabled() {
        return next.run(req).await;
    }
    let start = Instant::now();
    let method = req.method().clone();
    let uri = req.uri().clone();
    let res = next.run(req).await;
    line(&method, uri.path(), res.status(), start);
    res
}

/// Whether request lines are logged.
pub fn enabled() -> bool {
    tracing::enabled!(target: "newsdesk::request", tracing::Level::INFO)
}

/// Logs one request's line (also used by [`crate::server`]'s cache-first
/// path, which answers without the middleware).
pub fn line(method: &Method, path: &str, status: StatusCode, start: Instant) {
    // An attacker's megabyte of path is not worth a megabyte of log.
    let mut cut = path.len().min(MAX_LOGGED_PATH);
    while !path.is_char_boundary(cut) {
        cut -= 1;
    }
    tracing::info!(
        target: "newsdesk::request",
        method = method.as_str(),
        path = &path[..cut],
        status = status.as_u16(),
        micros = start.elapsed().as_micros() as u64,
        "request"
    );
}
