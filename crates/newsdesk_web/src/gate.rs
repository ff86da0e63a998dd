//! A bounded wait in front of database work.
//!
//! Cached pages never touch the database; everything else (a cache miss, a
//! search, a feed to build) passes this gate first. At most
//! [`DbGate::permits`] requests work the database at once, at most
//! [`QUEUE_FACTOR`] times as many wait, and none waits longer than
//! [`QUEUE_DEADLINE`]: past that the answer is an immediate 503 with
//! `Retry-After`, so under a flood cached pages stay fast and nobody waits
//! seconds for a connection. Refusals are counted and reported in one log
//! line per [`REPORT_EVERY`], never one per request.

use crate::error::AppError;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Longest a request waits for its turn at the database.
pub const QUEUE_DEADLINE: Duration = Duration::from_millis(1000);

/// Requests allowed to wait, per request allowed in.
pub const QUEUE_FACTOR: usize = 4;

/// How often refusals are reported.
pub const REPORT_EVERY: Duration = Duration::from_secs(10);

/// Requests let in at once: two per CPU this process may use, and never
/// more than the pool's connections. Database work is CPU work too (SQLite
/// runs in this process; rendering follows every query), and more of it at
/// once than the CPUs can run only makes cached pages wait behind it.
pub fn permits_for(pool_size: usize) -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    (2 * cpus).clamp(2, pool_size.max(2))
}

/// The gate.
#[derive(Debug)]
pub struct DbGate {
    permits: Arc<Semaphore>,
    size: usize,
    waiting: AtomicUsize,
    refused: AtomicU64,
    deadline: Duration,
}

impl DbGate {
    /// A gate letting `permits` requests in at once (the pool's size: more
    /// would only wait inside the pool, unbounded).
    pub fn new(permits: usize, deadline: Duration) -> DbGate {
        DbGate {
            permits: Arc::new(Semaphore::new(permits.max(1))),
            size: permits.max(1),
            waiting: AtomicUsize::new(0),
            refused: AtomicU64::new(0),
            deadline,
        }
    }

    /// Requests let in at once.
    pub fn permits(&self) -> usize {
        self.size
    }

    /// Waits for a turn; [`AppError::Unavailable`] at once when too many
    /// already wait, or after the deadline.
    pub async fn enter(&self) -> Result<OwnedSemaphorePermit, AppError> {
        self.enter_by(tokio::time::Instant::now() + self.deadline).await
    }

    /// [`DbGate::enter`], waiting until `by` at the latest (a request that
    /// passes two gates waits one deadline for both).
    pub async fn enter_by(
        &self,
        by: tokio::time::Instant,
    ) -> Result<OwnedSemaphorePermit, AppError> {
        if let Ok(p) = Arc::clone(&self.permits).try_acquire_owned() {
            return Ok(p);
        }
        // Counted as waiting until this function returns or its caller
        // gives up on it (a client that hangs up drops the request's future
        // here): the guard uncounts it either way.
        let in_line = InLine::join(&self.waiting);
        if in_line.ahead >= self.size * QUEUE_FACTOR {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(AppError::Unavailable);
        }
        let got = tokio::time::timeout_at(by, Arc::clone(&self.permits).acquire_owned()).await;
        drop(in_line);
        match got {
            Ok(Ok(p)) => Ok(p),
            _ => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                Err(AppError::Unavailable)
            }
        }
    }

    /// A turn only if one is free now (for work that is nice to have, such
    /// as the latest stories on an error page).
    pub fn try_enter(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.permits).try_acquire_owned().ok()
    }

    /// Refusals since the last call.
    pub fn take_refused(&self) -> u64 {
        self.refused.swap(0, Ordering::AcqRel)
    }
}

/// One place in the waiting line, given up when dropped.
struct InLine<'a> {
    waiting: &'a AtomicUsize,
    ahead: usize,
}

impl<'a> InLine<'a> {
    fn join(waiting: &'a AtomicUsize) -> InLine<'a> {
        let ahead = waiting.fetch_add(1, Ordering::AcqRel);
        InLine { waiting, ahead }
    }
}

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        self.waiting.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Logs the refusals of `gates` in each [`REPORT_EVERY`] in one line,
/// until `stop`.
pub async fn report(gates: Vec<Arc<DbGate>>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(REPORT_EVERY) => {}
            _ = stop.changed() => return,
        }
        let n: u64 = gates.iter().map(|g| g.take_refused()).sum();
        if n > 0 {
            tracing::warn!(
                refused = n,
                seconds = REPORT_EVERY.as_secs(),
                "database busy: requests answered 503 instead of waiting"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_gate_refuses_at_once_and_a_slow_one_after_its_deadline() {
        let gate = DbGate::new(1, Duration::from_millis(100));
        let held = gate.enter().await.ok();
        assert!(held.is_some());
        // Four may wait; the fifth is refused without waiting.
        let started = std::time::Instant::now();
        let waits = futures_util::future::join_all((0..5).map(|_| gate.enter())).await;
        assert!(waits.iter().all(Result::is_err), "the one permit is held throughout");
        assert!(started.elapsed() < Duration::from_millis(500), "nobody waits seconds");
        assert_eq!(gate.take_refused(), 5);
        drop(held);
        assert!(gate.enter().await.is_ok(), "free again");
        assert_eq!(gate.take_refused(), 0);
    }

    #[tokio::test]
    async fn waiters_whose_clients_hang_up_give_their_place_back() {
        let gate = Arc::new(DbGate::new(1, Duration::from_secs(60)));
        let held = gate.permits.try_acquire().ok();
        assert!(held.is_some());
        // Many more requests than the line holds start waiting and are then
        // abandoned, as hyper drops a request whose client went away.
        for _ in 0..50 {
            let waiting = tokio::time::timeout(Duration::from_millis(5), gate.enter()).await;
            assert!(waiting.is_err(), "still waiting when abandoned");
        }
        assert_eq!(gate.waiting.load(Ordering::Acquire), 0, "nobody left in line");
        // So the next request waits for the permit instead of being refused.
        let next = tokio::spawn({
            let gate = Arc::clone(&gate);
            async move { gate.enter().await.is_ok() }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        assert!(next.await.unwrap_or(false), "admitted once the permit is free");
        assert_eq!(gate.take_refused(), 0);
    }
}
