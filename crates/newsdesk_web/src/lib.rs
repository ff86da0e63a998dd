//! Newsdesk's HTTP side over axum.
//!
//! The route table is in [`router`], grouped by audience; handlers are in
//! [`controllers`] (`site`, `admin`, `api`); the layers every request passes
//! are in [`middleware`]; [`error`] turns failures into themed pages or JSON.
//! Public pages are served from the in-memory [`cache`], which [`events`]
//! keeps in step with changes made by any process; [`views`] turns store
//! rows into what the templates render. Nothing here writes content: writes
//! go through [`newsdesk_app::Newsroom`].

pub mod app;
pub mod cache;
pub mod controllers;
pub mod error;
pub mod events;
pub mod gate;
pub mod lane;
pub mod memo;
pub mod middleware;
pub mod router;
pub mod server;
pub mod static_site;
pub mod views;
pub mod zero_copy;

pub use app::{App, media_library, webhook_policy};
pub use error::AppError;
pub use middleware::uri_guard::MAX_URI_BYTES;
pub use router::router;

use app::AppState;
use std::sync::Arc;

/// Serves `state` on `listener` until `shutdown` resolves, then finishes the
/// requests in flight. Runs the event follower alongside, so changes made by
/// any process reach this server's cache, and on PostgreSQL the process's
/// one notification listener, which wakes the follower and the workers.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let follower = tokio::spawn(Arc::clone(&state.follower).run(stop_rx.clone()));
    let notifications = tokio::spawn(newsdesk_app::listen(
        state.db.with_own_counter(),
        state.newsroom.signals().clone(),
        stop_rx.clone(),
    ));
    let gate_log = tokio::spawn(gate::report(
        vec![state.gate.clone(), state.search_gate.clone()],
        stop_rx.clone(),
    ));
    let result = server::run(state.clone(), router(state), listener, shutdown).await;
    let _ = stop_tx.send(true);
    let _ = follower.await;
    let _ = notifications.await;
    let _ = gate_log.await;
    result
}
