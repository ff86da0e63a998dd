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
use tokio::sync::{Semaphore, SemaphorePermit};

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
    permits: Semaphore,
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
            permits: Semaphore::new(permits.max(1)),
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
    pub async fn enter(&self) -> Result<SemaphorePermit<'_>, AppError> {
        if let Ok(p) = self.permits.try_acquire() {
            return Ok(p);
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.size * QUEUE_FACTOR {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(AppError::Unavailable);
        }
        let got = tokio::time::timeout(self.deadline, self.permits.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
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
    pub fn try_enter(&self) -> Option<SemaphorePermit<'_>> {
        self.permits.try_acquire().ok()
    }

    /// Refusals since the last call.
    pub fn take_refused(&self) -> u64 {
        self.refused.swap(0, Ordering::AcqRel)
    }
}

/// Logs the refusals of each [`REPORT_EVERY`] in one line, until `stop`.
pub async fn report(gate: Arc<DbGate>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(REPORT_EVERY) => {}
            _ = stop.changed() => return,
        }
        let n = gate.take_refused();
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
}
