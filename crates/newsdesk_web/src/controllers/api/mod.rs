//! The APIs for other programs, under `/api/`. Every error answers with the
//! JSON envelope `{"errors": [{"detail": …}]}` (see [`crate::error`]).

use crate::app::AppState;
use crate::error::AppError;
use axum::Router;
use axum::routing::any;

/// The API's routes. Until the Content and Admin APIs arrive, every path
/// under `/api/` is an unknown endpoint, answered in the API's own format.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/{*rest}", any(unknown_endpoint)).route("/api", any(unknown_endpoint))
}

/// Any path under `/api/` no route matched.
pub async fn unknown_endpoint() -> AppError {
    AppError::NotFound
}
