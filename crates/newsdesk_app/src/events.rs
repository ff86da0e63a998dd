//! Events: what a committed use case changed, and the follower that brings
//! every server's caches up to date with them.
//!
//! Use cases record [`Event`]s in their transaction. Each `serve` process
//! runs a [`Follower`] that reads the log's new entries (an indexed read of
//! `id > last seen`) every [`POLL_INTERVAL`], at once when a use case of the
//! same process commits, and at once on PostgreSQL `NOTIFY`, and hands them
//! to an [`EventSink`] (the web layer's page cache). A change made by any
//! process, a CLI command, an importer or another server, reaches every
//! cache within a second.

use crate::Signals;
use chrono::{DateTime, Utc};
use newsdesk_core::{Article, Id};
use newsdesk_db::{Database, NewEvent, StoredEvent};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

/// How often a follower reads the log when nothing woke it.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Events read per query.
const BATCH: i64 = 500;

/// Where an article shows up besides its own page: its section, tags and
/// authors (their pages and feeds).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// Section id.
    pub section_id: Option<Id>,
    /// Tag ids.
    pub tags: Vec<Id>,
    /// Author ids of its bylines.
    pub authors: Vec<Id>,
}

impl Placement {
    /// Where `a` shows up.
    pub fn of(a: &Article) -> Placement {
        Placement { section_id: a.section_id, tags: a.tags.clone(), authors: a.author_ids() }
    }
}

/// Something a use case changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Event {
    /// A draft was created.
    #[serde(rename = "article.created")]
    ArticleCreated {
        /// Article id.
        id: Id,
    },
    /// An unpublished article was saved, submitted or scheduled; readers
    /// see no change.
    #[serde(rename = "article.saved")]
    ArticleSaved {
        /// Article id.
        id: Id,
        /// Its status after the change.
        status: String,
    },
    /// A draft that was never published was deleted.
    #[serde(rename = "article.deleted")]
    ArticleDeleted {
        /// Article id.
        id: Id,
    },
    /// An article became public.
    #[serde(rename = "article.published")]
    ArticlePublished {
        /// Article id.
        id: Id,
        /// Its public path.
        path: String,
        /// Where it shows up.
        placement: Placement,
    },
    /// A public article changed.
    #[serde(rename = "article.updated")]
    ArticleUpdated {
        /// Article id.
        id: Id,
        /// Its public path.
        path: String,
        /// Where it showed up before.
        before: Placement,
        /// Where it shows up now.
        after: Placement,
    },
    /// A public article was taken down.
    #[serde(rename = "article.unpublished")]
    ArticleUnpublished {
        /// Article id.
        id: Id,
        /// Its path, which now answers 410.
        path: String,
        /// Where it showed up.
        placement: Placement,
        /// Articles whose related rail listed it.
        listed_by: Vec<Id>,
    },
    /// A scheduled article could not be published at its time and went back
    /// to review.
    #[serde(rename = "article.schedule_failed")]
    ScheduleFailed {
        /// Article id.
        id: Id,
        /// Why, for people.
        problems: Vec<String>,
    },
    /// The related rails of these articles changed.
    #[serde(rename = "related.changed")]
    RelatedChanged {
        /// The articles whose rail changed.
        ids: Vec<Id>,
    },
    /// A section, tag, author or story was added, changed or removed.
    #[serde(rename = "taxonomy.changed")]
    TaxonomyChanged {
        /// `section`, `tag`, `author` or `story`.
        what: String,
        /// Its id.
        id: Id,
    },
    /// A media item was added.
    #[serde(rename = "media.added")]
    MediaAdded {
        /// Media id.
        id: Id,
    },
    /// A media item changed in a way readers see (texts, focal point,
    /// file, renditions), or was removed.
    #[serde(rename = "media.changed")]
    MediaChanged {
        /// Media id.
        id: Id,
        /// The articles that show it.
        #[serde(default)]
        articles: Vec<Id>,
        /// Whether any page shows it (an article, an author's portrait, the
        /// site's logo).
        #[serde(default)]
        shown: bool,
    },
    /// Many things changed at once (a bulk load): drop every cached page.
    #[serde(rename = "site.changed")]
    SiteChanged {
        /// Why, for logs.
        reason: String,
    },
    /// An event kind this version does not know (written by a newer one);
    /// followers treat it as [`Event::SiteChanged`].
    #[serde(other)]
    Unknown,
}

impl Event {
    /// The dotted kind stored with the event.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::ArticleCreated { .. } => "article.created",
            Event::ArticleSaved { .. } => "article.saved",
            Event::ArticleDeleted { .. } => "article.deleted",
            Event::ArticlePublished { .. } => "article.published",
            Event::ArticleUpdated { .. } => "article.updated",
            Event::ArticleUnpublished { .. } => "article.unpublished",
            Event::ScheduleFailed { .. } => "article.schedule_failed",
            Event::RelatedChanged { .. } => "related.changed",
            Event::TaxonomyChanged { .. } => "taxonomy.changed",
            Event::MediaAdded { .. } => "media.added",
            Event::MediaChanged { .. } => "media.changed",
            Event::SiteChanged { .. } => "site.changed",
            Event::Unknown => "unknown",
        }
    }

    /// The webhook event this is, with the data sent, when other programs
    /// are told about it (see [`crate::integrations::WEBHOOK_EVENTS`]).
    pub fn for_webhooks(&self) -> Option<(&'static str, serde_json::Value)> {
        use serde_json::json;
        let data = match self {
            Event::ArticlePublished { id, path, .. }
            | Event::ArticleUpdated { id, path, .. }
            | Event::ArticleUnpublished { id, path, .. } => {
                json!({ "article": { "id": id, "path": path } })
            }
            Event::MediaAdded { id } => json!({ "media": { "id": id } }),
            Event::TaxonomyChanged { what, id } => {
                json!({ "taxonomy": { "kind": what, "id": id } })
            }
            _ => return None,
        };
        Some((self.kind(), data))
    }

    /// The event as the store records it.
    pub fn to_new(&self) -> NewEvent {
        NewEvent {
            kind: self.kind().to_owned(),
            payload: serde_json::to_string(self).expect("events always serialize"),
        }
    }

    /// Reads a stored event; one that does not parse is [`Event::Unknown`].
    pub fn from_stored(e: &StoredEvent) -> Event {
        serde_json::from_str(&e.payload).unwrap_or(Event::Unknown)
    }
}

/// A boxed future, for object-safe async callbacks.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a follower feeds events to (the web layer's page cache).
pub trait EventSink: Send + Sync + 'static {
    /// Applies events, oldest first; `false` when they could not all be
    /// applied (they are handed over again later, so applying must be
    /// idempotent).
    fn apply<'a>(&'a self, events: &'a [Event]) -> BoxFuture<'a, bool>;
    /// Events may have been missed (the log was pruned past what this
    /// follower had read): forget everything derived from the content.
    fn reset(&self) -> BoxFuture<'_, ()>;
}

/// Follows the event log for one process.
pub struct Follower {
    db: Database,
    sink: Arc<dyn EventSink>,
    last_seen: AtomicI64,
    /// Serializes reads, so two catch-ups never apply the same batch twice
    /// at the same time.
    reading: tokio::sync::Mutex<()>,
    signals: Arc<Signals>,
    failing: AtomicBool,
}

impl Follower {
    /// A follower that starts after the newest event: a process that just
    /// started has nothing cached yet, so older events are moot. It is woken
    /// through `signals`: by this process's commits and, with
    /// [`crate::listen`] running, by PostgreSQL notifications.
    pub async fn start(
        db: Database,
        sink: Arc<dyn EventSink>,
        signals: Arc<Signals>,
    ) -> newsdesk_db::Result<Follower> {
        let last = db.last_event_id().await?;
        Ok(Follower {
            db,
            sink,
            last_seen: AtomicI64::new(last),
            reading: tokio::sync::Mutex::new(()),
            signals,
            failing: AtomicBool::new(false),
        })
    }

    /// The id of the last event applied.
    pub fn last_seen(&self) -> i64 {
        self.last_seen.load(Ordering::Acquire)
    }

    /// Asks the follower's loop to read the log now.
    pub fn wake(&self) {
        self.signals.events_committed();
    }

    /// Reads and applies every event not applied yet; returns how many.
    pub async fn catch_up(&self) -> newsdesk_db::Result<usize> {
        let _guard = self.reading.lock().await;
        let mut applied = 0;
        loop {
            let after = self.last_seen();
            let stored = self.db.events_after(after, BATCH).await?;
            if stored.is_empty() {
                return Ok(applied);
            }
            if applied == 0 && after > 0 {
                // The oldest event kept is newer than the next one this
                // follower expected: pruning removed events it never read.
                if let Some(first) = self.db.first_event_id().await?
                    && first > after + 1
                    && stored[0].id == first
                {
                    tracing::warn!(
                        last_seen = after,
                        oldest_kept = first,
                        "events were pruned before this server read them; dropping every cached page"
                    );
                    self.sink.reset().await;
                }
            }
            let events: Vec<Event> = stored.iter().map(Event::from_stored).collect();
            if !self.sink.apply(&events).await {
                // Not applied in full (the sink could not reach the
                // database): read the same events again next time.
                return Ok(applied);
            }
            applied += events.len();
            let last = stored.last().map_or(after, |e| e.id);
            self.last_seen.store(last, Ordering::Release);
            if (stored.len() as i64) < BATCH {
                return Ok(applied);
            }
        }
    }

    /// Runs until `shutdown` turns true: reads the log every
    /// [`POLL_INTERVAL`] and whenever woken. Survives a database that goes
    /// away: it logs once, keeps trying, and logs again when the database is
    /// back.
    pub async fn run(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            match self.catch_up().await {
                Ok(_) => {
                    if self.failing.swap(false, Ordering::AcqRel) {
                        tracing::info!("event log readable again; caches follow changes again");
                    }
                }
                Err(e) => {
                    if !self.failing.swap(true, Ordering::AcqRel) {
                        tracing::warn!(error = %e, "cannot read the event log; will keep trying");
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
                _ = self.signals.events.notified() => {}
                _ = shutdown.changed() => break,
            }
            if *shutdown.borrow() {
                break;
            }
        }
    }
}

/// Deletes events older than `age` (run now and then by every server; the
/// work is idempotent).
pub async fn prune_events(db: &Database, age: chrono::Duration) -> newsdesk_db::Result<u64> {
    let before: DateTime<Utc> = Utc::now() - age;
    db.prune_events(before).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_and_unknown_kinds_are_tolerated() {
        let e = Event::ArticlePublished {
            id: 3,
            path: "/world/2026/01/02/x".into(),
            placement: Placement { section_id: Some(1), tags: vec![2], authors: vec![4] },
        };
        let stored = StoredEvent {
            id: 1,
            kind: e.kind().into(),
            payload: e.to_new().payload,
            created_at: Utc::now(),
        };
        assert_eq!(Event::from_stored(&stored), e);
        assert!(stored.payload.starts_with(r#"{"kind":"article.published","id":3"#));
        let future = StoredEvent {
            payload: r#"{"kind":"article.teleported","id":1}"#.into(),
            ..stored.clone()
        };
        assert_eq!(Event::from_stored(&future), Event::Unknown);
        let garbage = StoredEvent { payload: "{".into(), ..stored };
        assert_eq!(Event::from_stored(&garbage), Event::Unknown);
    }
}
