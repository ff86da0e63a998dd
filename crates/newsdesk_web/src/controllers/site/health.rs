//! `GET /healthz` for load balancers and operators.

use crate::app::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// Longest a health check waits for the database: load balancers give up
/// after a few seconds, and a check that hangs is worse than a 503. Under a
/// second with the answer's own time included.
pub const HEALTH_TIMEOUT: Duration = Duration::from_millis(800);

/// 200 when the store answers within [`HEALTH_TIMEOUT`], 503 when it does
/// not; the body names the backend.
pub async fn healthz(State(app): State<AppState>) -> Response {
    let backend = app.db.backend().name();
    let ok = match tokio::time::timeout(HEALTH_TIMEOUT, app.db.ping()).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            false
        }
        Err(_) => {
            tracing::warn!("health check: the database did not answer within {HEALTH_TIMEOUT:?}");
            false
        }
    };
    let (status, body) = if ok {
        (StatusCode::OK, serde_json::json!({"status": "ok", "database": backend}))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"status": "unavailable", "database": backend}),
        )
    };
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
