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
//! One lane per process by default, started on first use and never
//! stopped: pooled connections it opens stay usable by every other runtime.
//! A process that only builds pages (the static export) asks for more
//! with [`use_threads`] before the first page, so builds use every core.

use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

static LANES: OnceLock<Vec<Handle>> = OnceLock::new();

/// Lane threads to start on first use.
static WANTED: AtomicUsize = AtomicUsize::new(1);

/// The lane the next piece of work goes to.
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Asks for `n` lane threads (at least one). Only a call before the first
/// [`spawn`] has an effect, so call it before any page is built (the
/// export does, before its `App` exists); returns whether the lanes had
/// not started yet.
pub fn use_threads(n: usize) -> bool {
    WANTED.store(n.max(1), Ordering::Relaxed);
    LANES.get().is_none()
}

fn start(i: usize) -> Option<Handle> {
    let (tx, rx) = std::sync::mpsc::channel();
    let name = if i == 0 { "newsdesk-db-lane".to_owned() } else { format!("newsdesk-db-lane-{i}") };
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(error = %e, "cannot start a database lane");
                    let _ = tx.send(None);
                    return;
                }
            };
            let _ = tx.send(Some(rt.handle().clone()));
            rt.block_on(std::future::pending::<()>());
        })
        .ok()
        .and_then(|_| rx.recv().ok().flatten())
}

fn lanes() -> &'static [Handle] {
    LANES.get_or_init(|| (0..WANTED.load(Ordering::Relaxed)).filter_map(start).collect())
}

/// How many lane threads there are (starting them if they have not
/// started).
pub fn threads() -> usize {
    lanes().len().max(1)
}

/// Runs `work` on a lane (in turn, when there are several). Dropping the
/// handle does not stop the work.
pub fn spawn<F>(work: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let lanes = lanes();
    if lanes.is_empty() {
        // No lane (no thread could start): on the caller's runtime.
        return tokio::spawn(work);
    }
    let i = NEXT.fetch_add(1, Ordering::Relaxed) % lanes.len();
    lanes[i].spawn(work)
}

#[cfg(test)]
mod tests {
    //! The lanes are process-wide: nextest runs each test in a process of
    //! its own, as the README's command does.
    use super::*;

    #[tokio::test]
    async fn work_goes_round_the_lanes_asked_for_before_the_first() {
        assert!(use_threads(3), "asked before any work");
        let mut names = std::collections::BTreeSet::new();
        for _ in 0..6 {
            let name = spawn(async { std::thread::current().name().map(str::to_owned) })
                .await
                .expect("the work ran");
            names.insert(name.expect("lane threads have names"));
        }
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(names.iter().all(|n| n.starts_with("newsdesk-db-lane")), "{names:?}");
        // Too late to change once work has run.
        assert!(!use_threads(8));
        let again = spawn(async { std::thread::current().name().map(str::to_owned) })
            .await
            .expect("the work ran");
        assert!(again.is_some_and(|n| names.contains(&n)));
    }
}
