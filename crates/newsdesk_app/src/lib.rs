//! Newsdesk's application layer: the one place where content changes.
//!
//! Every writer (web handlers, the CLI, importers, jobs, later the APIs)
//! calls a use case here. Each use case takes the acting user ([`Actor`]),
//! asks [`newsdesk_core::authorize`], validates through `newsdesk_core`,
//! and writes in **one database transaction** everything the change means:
//! the rows, the revision, the jobs it enqueues and the events it records.
//! Servers follow the events ([`events::Follower`]) to drop exactly the
//! cached pages a change touched; workers ([`worker::Worker`]) run the jobs.
//!
//! ```ignore
//! let saved = newsroom.publish(&actor, id, Some(version)).await?;
//! ```

pub mod accounts;
pub mod background;
pub mod desk;
mod error;
pub mod events;
pub mod integrations;
pub mod jobs;
pub mod media;
pub mod related;
pub mod sessions;
pub mod settings;
pub mod worker;
mod write;

pub use error::{Error, Result};
pub use newsdesk_core::{Actor, ActorKind};
pub use write::{MAX_CORRECTION_CHARS, Saved, Write};

use chrono::{DateTime, Utc};
use newsdesk_core::{Article, Author, Id, Section, Story, Tag};
use newsdesk_db::{Committed, Database};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::Notify;

/// Wake-ups inside one process: a use case that committed events wakes the
/// event follower, one that enqueued jobs wakes the workers. (Other
/// processes learn through polling and PostgreSQL `NOTIFY`.)
#[derive(Debug, Default)]
pub struct Signals {
    /// Notified when events were committed.
    pub events: Notify,
    /// Notified when jobs were enqueued.
    pub jobs: Notify,
}

impl Signals {
    /// Wakes whoever cares about what a commit wrote.
    pub fn committed(&self, c: &Committed) {
        if !c.event_ids.is_empty() {
            self.events_committed();
        }
        if c.jobs_enqueued {
            self.jobs.notify_waiters();
        }
    }

    /// Wakes the event follower (a stored wake-up if it is busy, so none
    /// is lost).
    pub fn events_committed(&self) {
        self.events.notify_one();
    }
}

/// Forwards PostgreSQL notifications (events and jobs committed by any
/// process) to this process's [`Signals`], until `shutdown` turns true.
/// One listener per process, on a connection of its own; on SQLite it
/// returns at once (followers and workers poll there).
pub async fn listen(
    db: Database,
    signals: Arc<Signals>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut failing = false;
    loop {
        let mut l = match db.listen(&[newsdesk_db::EVENTS_CHANNEL, newsdesk_db::JOBS_CHANNEL]).await
        {
            Ok(Some(l)) => l,
            Ok(None) => return,
            Err(e) => {
                if !std::mem::replace(&mut failing, true) {
                    tracing::warn!(error = %e, "cannot listen for notifications; polling until the database is back");
                }
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => continue,
                    _ = shutdown.changed() => return,
                }
            }
        };
        failing = false;
        // Anything may have happened while not listening: look now.
        signals.events_committed();
        signals.jobs.notify_waiters();
        loop {
            tokio::select! {
                r = l.recv() => match r {
                    Ok(channel) if channel == newsdesk_db::JOBS_CHANNEL => signals.jobs.notify_waiters(),
                    Ok(_) => signals.events_committed(),
                    Err(_) => break,
                },
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// The newsroom: the store, the site's time zone, and every use case.
pub struct Newsroom {
    db: Database,
    tz: chrono_tz::Tz,
    signals: Arc<Signals>,
    library: Option<Arc<media::Library>>,
    webhook_policy: integrations::WebhookPolicy,
}

type WriteFn<'a, T> = Box<
    dyn for<'w> FnOnce(&'w mut Write) -> Pin<Box<dyn Future<Output = Result<T>> + Send + 'w>>
        + Send
        + 'a,
>;

impl Newsroom {
    /// A newsroom over a migrated store; article URLs are dated in `tz`.
    pub fn new(db: Database, tz: chrono_tz::Tz) -> Newsroom {
        Newsroom {
            db,
            tz,
            signals: Arc::default(),
            library: None,
            webhook_policy: integrations::WebhookPolicy::default(),
        }
    }

    /// This newsroom with a media library to upload into.
    pub fn with_library(mut self, library: media::Library) -> Newsroom {
        self.library = Some(Arc::new(library));
        self
    }

    /// This newsroom with what webhooks may reach.
    pub fn with_webhook_policy(mut self, policy: integrations::WebhookPolicy) -> Newsroom {
        self.webhook_policy = policy;
        self
    }

    /// The store, for reads.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// The site's time zone.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.tz
    }

    /// This process's wake-ups.
    pub fn signals(&self) -> &Arc<Signals> {
        &self.signals
    }

    /// Opens a transaction on behalf of `actor`, for several use cases that
    /// must commit together (an import, the demo seeder).
    pub async fn begin(&self, actor: &Actor) -> Result<Write> {
        let tx = self.db.begin().await?;
        Ok(Write::new(tx, actor.clone(), self.tz, self.signals.clone()))
    }

    /// Runs one use case in its own transaction.
    async fn one<T: Send>(&self, actor: &Actor, f: WriteFn<'_, T>) -> Result<T> {
        let mut w = self.begin(actor).await?;
        let out = f(&mut w).await?;
        w.commit().await?;
        Ok(out)
    }

    /// Stores a new draft. See [`Write::create_draft`].
    pub async fn create_draft(&self, actor: &Actor, a: Article) -> Result<Saved> {
        self.one(actor, Box::new(move |w| Box::pin(w.create_draft(a)))).await
    }

    /// Saves an edit made from `expected_version`. See [`Write::save`].
    pub async fn save(&self, actor: &Actor, a: Article, expected_version: i32) -> Result<Saved> {
        self.one(actor, Box::new(move |w| Box::pin(w.save(a, expected_version)))).await
    }

    /// Sends an article to review. See [`Write::submit_for_review`].
    pub async fn submit_for_review(
        &self,
        actor: &Actor,
        id: Id,
        expected: Option<i32>,
    ) -> Result<Saved> {
        self.one(actor, Box::new(move |w| Box::pin(w.submit_for_review(id, expected)))).await
    }

    /// Sends an article back to its writer. See [`Write::send_back`].
    pub async fn send_back(
        &self,
        actor: &Actor,
        id: Id,
        note: &str,
        expected: Option<i32>,
    ) -> Result<Saved> {
        let note = note.to_owned();
        self.one(
            actor,
            Box::new(move |w| Box::pin(async move { w.send_back(id, &note, expected).await })),
        )
        .await
    }

    /// Publishes an article now. See [`Write::publish`].
    pub async fn publish(&self, actor: &Actor, id: Id, expected: Option<i32>) -> Result<Saved> {
        self.one(actor, Box::new(move |w| Box::pin(w.publish(id, expected)))).await
    }

    /// Publishes an article as first published at `at`. See
    /// [`Write::publish_as_of`].
    pub async fn publish_as_of(&self, actor: &Actor, id: Id, at: DateTime<Utc>) -> Result<Saved> {
        self.one(actor, Box::new(move |w| Box::pin(w.publish_as_of(id, at)))).await
    }

    /// Schedules an article. See [`Write::schedule`].
    pub async fn schedule(
        &self,
        actor: &Actor,
        id: Id,
        at: DateTime<Utc>,
        expected: Option<i32>,
    ) -> Result<Saved> {
        self.one(actor, Box::new(move |w| Box::pin(w.schedule(id, at, expected)))).await
    }

    /// Takes an article down. See [`Write::unpublish`].
    pub async fn unpublish(&self, actor: &Actor, id: Id) -> Result<Saved> {
        self.one(actor, Box::new(move |w| Box::pin(w.unpublish(id)))).await
    }

    /// Appends a public correction. See [`Write::correct`].
    pub async fn correct(&self, actor: &Actor, id: Id, text: &str) -> Result<Saved> {
        let text = text.to_owned();
        self.one(actor, Box::new(move |w| Box::pin(async move { w.correct(id, &text).await })))
            .await
    }

    /// Restores an earlier revision as a new one. See
    /// [`Write::restore_revision`].
    pub async fn restore_revision(
        &self,
        actor: &Actor,
        id: Id,
        revision: i32,
        expected: Option<i32>,
    ) -> Result<Saved> {
        self.one(actor, Box::new(move |w| Box::pin(w.restore_revision(id, revision, expected))))
            .await
    }

    /// Adds a section.
    pub async fn create_section(&self, actor: &Actor, s: Section) -> Result<Section> {
        self.one(actor, Box::new(move |w| Box::pin(async move { w.create_section(&s).await })))
            .await
    }

    /// Changes a section.
    pub async fn update_section(&self, actor: &Actor, s: Section) -> Result<()> {
        self.one(actor, Box::new(move |w| Box::pin(async move { w.update_section(&s).await })))
            .await
    }

    /// Removes an unused section.
    pub async fn delete_section(&self, actor: &Actor, id: Id) -> Result<()> {
        self.one(actor, Box::new(move |w| Box::pin(w.delete_section(id)))).await
    }

    /// Adds a tag.
    pub async fn create_tag(&self, actor: &Actor, t: Tag) -> Result<Tag> {
        self.one(actor, Box::new(move |w| Box::pin(async move { w.create_tag(&t).await }))).await
    }

    /// Renames a tag.
    pub async fn update_tag(&self, actor: &Actor, t: Tag) -> Result<()> {
        self.one(actor, Box::new(move |w| Box::pin(async move { w.update_tag(&t).await }))).await
    }

    /// Removes an unused tag.
    pub async fn delete_tag(&self, actor: &Actor, id: Id) -> Result<()> {
        self.one(actor, Box::new(move |w| Box::pin(w.delete_tag(id)))).await
    }

    /// Adds an author.
    pub async fn create_author(&self, actor: &Actor, a: Author) -> Result<Author> {
        self.one(actor, Box::new(move |w| Box::pin(async move { w.create_author(&a).await }))).await
    }

    /// Changes an author's page.
    pub async fn update_author(&self, actor: &Actor, a: Author) -> Result<()> {
        self.one(actor, Box::new(move |w| Box::pin(async move { w.update_author(&a).await }))).await
    }

    /// Removes an author no byline names.
    pub async fn delete_author(&self, actor: &Actor, id: Id) -> Result<()> {
        self.one(actor, Box::new(move |w| Box::pin(w.delete_author(id)))).await
    }

    /// Adds a running story.
    pub async fn create_story(&self, actor: &Actor, s: Story) -> Result<Story> {
        self.one(actor, Box::new(move |w| Box::pin(async move { w.create_story(&s).await }))).await
    }

    /// Renames a running story.
    pub async fn update_story(&self, actor: &Actor, s: Story) -> Result<()> {
        self.one(actor, Box::new(move |w| Box::pin(async move { w.update_story(&s).await }))).await
    }

    /// Removes a story no article follows.
    pub async fn delete_story(&self, actor: &Actor, id: Id) -> Result<()> {
        self.one(actor, Box::new(move |w| Box::pin(w.delete_story(id)))).await
    }

    /// Queues a rebuild of every related rail.
    pub async fn request_related_rebuild(&self, actor: &Actor) -> Result<()> {
        self.one(actor, Box::new(move |w| Box::pin(w.request_related_rebuild()))).await
    }

    /// Queues a diagnostic job that a worker answers with "pong" in its log.
    pub async fn ping_workers(&self, actor: &Actor, sleep_ms: u64) -> Result<()> {
        newsdesk_core::authorize(actor, newsdesk_core::Action::Maintain, &[])?;
        let mut tx = self.db.begin().await?;
        tx.enqueue_job(&jobs::Job::Ping { sleep_ms }.to_new(Utc::now())).await?;
        let done = tx.commit().await?;
        self.signals.committed(&done);
        Ok(())
    }
}
