//! The transaction handle every write goes through.

use crate::events::NewEvent;
use crate::{Backend, Result, Stats};
use std::sync::Arc;

/// The open transaction of one backend.
pub(crate) enum TxInner {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs `$body` with `$c` bound to the transaction's connection of either
/// backend. The body is compiled once per backend. Counts one query.
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {{
        let tx: &mut $crate::Tx = $tx;
        tx.stats.count();
        match &mut tx.inner {
            $crate::tx::TxInner::Sqlite(t) => {
                let $c: &mut sqlx::SqliteConnection = &mut **t;
                $body
            }
            $crate::tx::TxInner::Postgres(t) => {
                let $c: &mut sqlx::PgConnection = &mut **t;
                $body
            }
        }
    }};
}
pub(crate) use on_tx;

/// An open write transaction. Store functions that change data take
/// `&mut Tx`, so one use case can call several of them and commit or roll
/// back the whole. Dropping a `Tx` without [`Tx::commit`] rolls it back.
///
/// Events recorded with [`Tx::record_event`] are written at commit, last,
/// so the lock that keeps event ids in commit order (see [`Tx::commit`]) is
/// held for as short a time as possible.
pub struct Tx {
    pub(crate) inner: TxInner,
    pub(crate) stats: Arc<Stats>,
    events: Vec<NewEvent>,
    jobs_enqueued: bool,
    /// Whether [`Tx::lock_related`] already took its lock.
    pub(crate) related_locked: bool,
}

/// What a commit wrote besides the rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    /// Ids of the events written, in order.
    pub event_ids: Vec<i64>,
    /// Whether jobs were enqueued (workers may want waking).
    pub jobs_enqueued: bool,
}

impl Tx {
    pub(crate) fn new(inner: TxInner, stats: Arc<Stats>) -> Tx {
        Tx { inner, stats, events: Vec::new(), jobs_enqueued: false, related_locked: false }
    }

    /// Which engine this transaction runs on.
    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Records an event, written to the event log when the transaction
    /// commits (and never if it rolls back).
    pub fn record_event(&mut self, event: NewEvent) {
        self.events.push(event);
    }

    /// Events recorded so far and not yet written.
    pub fn pending_events(&self) -> &[NewEvent] {
        &self.events
    }

    pub(crate) fn mark_job_enqueued(&mut self) {
        self.jobs_enqueued = true;
    }

    /// Writes the recorded events and commits.
    ///
    /// Locks are always taken in the same order, the related-stories lock
    /// (during the use case) before the events lock (here), so transactions
    /// cannot deadlock on them.
    ///
    /// Event ids must become visible in id order, or a follower that reads
    /// "ids above the last one I saw" could skip an event whose transaction
    /// committed late. SQLite has one writer at a time, so that holds by
    /// itself; on PostgreSQL a transaction-scoped advisory lock, taken just
    /// before the events are written and released by the commit, gives the
    /// same order. A `NOTIFY` in the same transaction wakes the followers
    /// and workers of every server when it commits.
    pub async fn commit(mut self) -> Result<Committed> {
        let events = std::mem::take(&mut self.events);
        let mut event_ids = Vec::with_capacity(events.len());
        if !events.is_empty() {
            if self.backend() == Backend::Postgres {
                on_tx!(&mut self, c => sqlx::query("SELECT pg_advisory_xact_lock(7364)").execute(&mut *c).await.map(|r| r.rows_affected()))?;
            }
            let now = chrono::Utc::now();
            for e in &events {
                let (id,): (i64,) = on_tx!(&mut self, c => sqlx::query_as(
                    "INSERT INTO events (kind, payload, created_at) VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(&e.kind).bind(&e.payload).bind(now)
                .fetch_one(&mut *c).await)?;
                event_ids.push(id);
            }
        }
        if self.backend() == Backend::Postgres && (!event_ids.is_empty() || self.jobs_enqueued) {
            let events_ch = if event_ids.is_empty() { "" } else { crate::EVENTS_CHANNEL };
            let jobs_ch = if self.jobs_enqueued { crate::JOBS_CHANNEL } else { "" };
            on_tx!(&mut self, c => sqlx::query(
                "SELECT pg_notify(ch, '') FROM (VALUES ($1), ($2)) AS v(ch) WHERE ch <> ''",
            ).bind(events_ch).bind(jobs_ch).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        }
        let jobs_enqueued = self.jobs_enqueued;
        self.stats.count();
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        Ok(Committed { event_ids, jobs_enqueued })
    }

    /// Rolls back explicitly (dropping the handle does the same, later).
    pub async fn rollback(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(t) => t.rollback().await?,
            TxInner::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}
