//! The database lane: one thread of its own where the database work of
//! requests runs (the part behind the [`crate::gate::DbGate`]).
//!
//! Under a flood, the request runtime is fair to every connection: each
//! ready task waits its turn behind all the others. That suits cached
//! pages, which take one turn, but database work takes a turn per
//! statement and per row batch, so on a busy runtime a search or a page
//! build would hold its gate permit for hundreds of turns (seconds under
//! a thousand connections) and the gate would refuse nearly everyone.
//! Here the work runs among at most the gate's few permit holders, so it
//! finishes in the time its queries take, and the operating system shares
//! the CPU between this thread and the request runtime.
//!
//! One lane per process, started on first use and never stopped: pooled
//! connections it opens stay usable by every other runtime.

use std::future::Future;
use std::sync::OnceLock;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

static LANE: OnceLock<Option<Handle>> = OnceLock::new();

fn handle() -> Option<&'static Handle> {
    LANE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("newsdesk-db-lane".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        // No lane: the work runs where it is awaited.
                        tracing::error!(error = %e, "cannot start the database lane");
                        let _ = tx.send(None);
                        return;
                    }
                };
                let _ = tx.send(Some(rt.handle().clone()));
                rt.block_on(std::future::pending::<()>());
            })
            .ok()
            .and_then(|_| rx.recv().ok().flatten())
    })
    .as_ref()
}

/// Runs `work` on the lane. Dropping the handle does not stop the work.
pub fn spawn<F>(work: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match handle() {
        Some(lane) => lane.spawn(work),
        // No lane (the thread could not start): on the caller's runtime.
        None => tokio::spawn(work),
    }
}
