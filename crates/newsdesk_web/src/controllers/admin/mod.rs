//! The back office (signed-in editors). Its routes mount under `/admin`
//! beside the site; every change they make goes through
//! [`newsdesk_app::Newsroom`], followed by [`crate::App::catch_up`] so the
//! editor's next page already shows it.

use crate::app::AppState;
use axum::Router;

/// The back office's routes (none yet: sign-in and the editor come next).
pub fn routes() -> Router<AppState> {
    Router::new()
}
