//! The event log (outbox): what changed, in commit order, for every server
//! to follow.
//!
//! Use cases record events in their transaction ([`crate::Tx::record_event`]);
//! each `serve` process reads the ids above the last one it saw, cheaply, and
//! on PostgreSQL is woken at once by `NOTIFY`. Old events are pruned.

use crate::{Database, DbError, Pool, Result, on_pool};
use chrono::{DateTime, Utc};

/// The PostgreSQL channel notified when events are committed.
pub const EVENTS_CHANNEL: &str = "newsdesk_events";

/// An event to record: a dotted kind (`article.published`) and a JSON
/// payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// What happened, e.g. `article.published`.
    pub kind: String,
    /// The details, as JSON.
    pub payload: String,
}

/// An event read back from the log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredEvent {
    /// Position in the log; ids grow in commit order.
    pub id: i64,
    /// What happened.
    pub kind: String,
    /// The details, as JSON.
    pub payload: String,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

impl Database {
    /// Up to `limit` events with ids above `after`, oldest first.
    pub async fn events_after(&self, after: i64, limit: i64) -> Result<Vec<StoredEvent>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, kind, payload, created_at FROM events WHERE id > $1 ORDER BY id LIMIT $2",
        ).bind(after).bind(limit).fetch_all(p).await)?)
    }

    /// The id of the newest event (0 when the log is empty).
    pub async fn last_event_id(&self) -> Result<i64> {
        let (id,): (Option<i64>,) =
            on_pool!(self, p => sqlx::query_as("SELECT MAX(id) FROM events").fetch_one(p).await)?;
        Ok(id.unwrap_or(0))
    }

    /// The id of the oldest event kept (`None` when the log is empty).
    pub async fn first_event_id(&self) -> Result<Option<i64>> {
        let (id,): (Option<i64>,) =
            on_pool!(self, p => sqlx::query_as("SELECT MIN(id) FROM events").fetch_one(p).await)?;
        Ok(id)
    }

    /// Deletes events recorded before `before`; returns how many.
    pub async fn prune_events(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(on_pool!(self, p => sqlx::query("DELETE FROM events WHERE created_at < $1")
            .bind(before).execute(p).await.map(|r| r.rows_affected()))?)
    }

    /// A listener for `channels` on PostgreSQL, on a connection of its own
    /// (a listener holds its connection for as long as it lives, which must
    /// not shrink the pool that answers requests); `None` on SQLite, which
    /// has no notifications (followers and workers poll there). One per
    /// process is enough: see `newsdesk_app::listen`.
    pub async fn listen(&self, channels: &[&str]) -> Result<Option<Listener>> {
        match &self.pool {
            Pool::Sqlite(_) => Ok(None),
            Pool::Postgres(p) => {
                let own = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(crate::PG_ACQUIRE_TIMEOUT)
                    .connect_lazy_with((*p.connect_options()).clone());
                let mut l = sqlx::postgres::PgListener::connect_with(&own).await?;
                l.listen_all(channels.iter().copied()).await?;
                Ok(Some(Listener(l)))
            }
        }
    }
}

/// Notifications on one PostgreSQL channel. A wake-up signal only: payloads
/// are empty and notifications sent while disconnected are lost, so the
/// reader always re-reads the table.
pub struct Listener(sqlx::postgres::PgListener);

impl Listener {
    /// Waits for the next notification and returns its channel. Reconnects
    /// by itself after a lost connection; an error means the database could
    /// not be reached again.
    pub async fn recv(&mut self) -> Result<String> {
        self.0.recv().await.map(|n| n.channel().to_owned()).map_err(DbError::from)
    }
}
