//! The jobs Newsdesk runs off the request path, and their handlers.
//!
//! Every handler is idempotent: the queue delivers at least once (a worker
//! that dies mid-job leaves it to be run again after its lease).

use crate::events::Event;
use crate::worker::{JobContext, Registry};
use crate::{Newsroom, related};
use chrono::{DateTime, Utc};
use newsdesk_core::{Actor, Id};
use newsdesk_db::NewJob;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A job, as enqueued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Job {
    /// Bring other articles' rails up to date with a published or changed
    /// article.
    #[serde(rename = "related.neighbours")]
    RelatedNeighbours {
        /// The article.
        article_id: Id,
    },
    /// Recompute the rails of these articles (they listed an article that
    /// was taken down).
    #[serde(rename = "related.refill")]
    RelatedRefill {
        /// The articles.
        ids: Vec<Id>,
    },
    /// Rebuild every rail from scratch.
    #[serde(rename = "related.rebuild")]
    RelatedRebuild,
    /// Publish a scheduled article whose time has come.
    #[serde(rename = "article.publish_scheduled")]
    PublishScheduled {
        /// The article.
        article_id: Id,
        /// The time it was scheduled for (a rescheduled article's old job
        /// finds another time and does nothing).
        at: DateTime<Utc>,
    },
    /// Make the renditions of a media item's file.
    #[serde(rename = "media.renditions")]
    MediaRenditions {
        /// The item.
        media_id: Id,
        /// The SHA-256 of the file they are made from (a replaced file's
        /// old job finds another and does nothing).
        hash: String,
    },
    /// Send one webhook delivery.
    #[serde(rename = "webhook.deliver")]
    WebhookDeliver {
        /// The delivery.
        delivery_id: Id,
        /// Send it even if it was delivered already ("redeliver").
        #[serde(default)]
        again: bool,
    },
    /// Checks that a worker runs: logs "pong" after `sleep_ms`.
    #[serde(rename = "ping")]
    Ping {
        /// How long the job takes, in milliseconds (at most a minute).
        #[serde(default)]
        sleep_ms: u64,
    },
}

impl Job {
    /// The kind stored with the job.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::RelatedNeighbours { .. } => "related.neighbours",
            Job::RelatedRefill { .. } => "related.refill",
            Job::RelatedRebuild => "related.rebuild",
            Job::PublishScheduled { .. } => "article.publish_scheduled",
            Job::MediaRenditions { .. } => "media.renditions",
            Job::WebhookDeliver { .. } => "webhook.deliver",
            Job::Ping { .. } => "ping",
        }
    }

    /// Tries before the job is declared dead. Scheduled publishing keeps
    /// trying longest: a story must not silently miss its time.
    pub fn max_attempts(&self) -> i32 {
        match self {
            Job::PublishScheduled { .. } => 20,
            Job::Ping { .. } => 3,
            Job::WebhookDeliver { .. } => crate::integrations::WEBHOOK_ATTEMPTS,
            _ => 8,
        }
    }

    /// Jobs with the same key, queued and not started, do the same work.
    fn dedupe_key(&self) -> Option<String> {
        match self {
            Job::RelatedNeighbours { article_id } => Some(article_id.to_string()),
            Job::RelatedRebuild => Some("all".into()),
            _ => None,
        }
    }

    /// The job as the store enqueues it.
    pub fn to_new(&self, run_at: DateTime<Utc>) -> NewJob {
        NewJob {
            kind: self.kind().into(),
            payload: serde_json::to_string(self).expect("jobs always serialize"),
            run_at,
            dedupe_key: self.dedupe_key(),
            max_attempts: self.max_attempts(),
        }
    }
}

fn parse(ctx: &JobContext) -> anyhow::Result<Job> {
    serde_json::from_str(&ctx.payload)
        .map_err(|e| anyhow::anyhow!("job {} has a payload this version cannot read: {e}", ctx.id))
}

/// Runs one built-in job.
async fn run(ctx: JobContext) -> anyhow::Result<()> {
    let newsroom: &Newsroom = &ctx.newsroom;
    match parse(&ctx)? {
        Job::RelatedNeighbours { article_id } => {
            let mut tx = newsroom.db().begin().await?;
            let changed = related::update_neighbours(&mut tx, article_id).await?;
            if !changed.is_empty() {
                tx.record_event(Event::RelatedChanged { ids: changed }.to_new());
            }
            let done = tx.commit().await?;
            newsroom.signals().committed(&done);
        }
        Job::RelatedRefill { ids } => {
            let mut tx = newsroom.db().begin().await?;
            let mut changed = Vec::new();
            for id in ids {
                if related::recompute(&mut tx, id).await? {
                    changed.push(id);
                }
            }
            if !changed.is_empty() {
                tx.record_event(Event::RelatedChanged { ids: changed }.to_new());
            }
            let done = tx.commit().await?;
            newsroom.signals().committed(&done);
        }
        Job::RelatedRebuild => {
            let started = std::time::Instant::now();
            let mut w = newsroom.begin(&Actor::system("related rebuild")).await?;
            let n = w.rebuild_related().await?;
            w.commit().await?;
            tracing::info!(
                articles = n,
                seconds = started.elapsed().as_secs_f64(),
                "related stories rebuilt"
            );
        }
        Job::PublishScheduled { article_id, at } => {
            let mut w = newsroom.begin(&Actor::system("scheduler")).await?;
            let published = w.publish_scheduled(article_id, at).await?;
            // Committed either way: a failed schedule is written back too.
            w.commit().await?;
            if let Some(saved) = published {
                tracing::info!(
                    article.id = article_id,
                    path = saved.article.path.as_deref().unwrap_or_default(),
                    late_ms = (Utc::now() - at).num_milliseconds(),
                    "published on schedule"
                );
            }
        }
        Job::MediaRenditions { media_id, hash } => {
            let started = std::time::Instant::now();
            let n = newsroom.make_renditions(media_id, &hash).await?;
            tracing::info!(
                media.id = media_id,
                renditions = n,
                seconds = started.elapsed().as_secs_f64(),
                "renditions made"
            );
        }
        Job::WebhookDeliver { delivery_id, again } => {
            newsroom.deliver(delivery_id, again).await?;
        }
        Job::Ping { sleep_ms } => {
            tokio::time::sleep(Duration::from_millis(sleep_ms.min(60_000))).await;
            tracing::info!(job.id = ctx.id, attempt = ctx.attempt, "pong");
        }
    }
    Ok(())
}

/// The lease of a bulk rebuild of related stories (a few minutes at 100k
/// articles; generous, as a lost lease means a second rebuild).
pub const REBUILD_LEASE: Duration = Duration::from_secs(3600);

/// The handlers of every built-in job.
pub fn builtin() -> Registry {
    let mut r = Registry::new();
    for kind in [
        "related.neighbours",
        "related.refill",
        "article.publish_scheduled",
        "media.renditions",
        "webhook.deliver",
        "ping",
    ] {
        r.register(kind, |ctx| Box::pin(run(ctx)));
    }
    // The rebuild is one transaction: on SQLite it holds the write lock for
    // its whole run, so it takes a lease long enough for any archive.
    r.register_long("related.rebuild", REBUILD_LEASE, |ctx| Box::pin(run(ctx)));
    r.on_dead("article.publish_scheduled", |ctx, error| Box::pin(settle_dead(ctx, error)));
    r
}

/// A scheduled publication that failed its last try (the database refused
/// it twenty times over hours, say) must not leave its article "scheduled"
/// for ever with a time long past: it goes back to review, with the error
/// in its history and an `article.schedule_failed` event.
async fn settle_dead(ctx: JobContext, error: String) -> anyhow::Result<()> {
    if let Job::PublishScheduled { article_id, at } = parse(&ctx)? {
        gave_up(&ctx.newsroom, article_id, at, &error).await?;
    }
    Ok(())
}

async fn gave_up(newsroom: &Newsroom, id: Id, at: DateTime<Utc>, error: &str) -> crate::Result<()> {
    let mut w = newsroom.begin(&Actor::system("scheduler")).await?;
    w.schedule_failed(id, at, vec![format!("publishing failed: {error}")]).await?;
    w.commit().await?;
    Ok(())
}

/// Sends back to review every article still scheduled whose publication
/// job is dead, however it died: its last try failed but the process
/// stopped before [`settle_dead`] could run, or the worker holding it
/// stopped answering on its last try (no handler runs then). Run by every
/// worker now and then; does nothing twice. Returns how many went back.
pub async fn settle_dead_schedules(newsroom: &Newsroom) -> crate::Result<usize> {
    let dead = newsroom.db().list_jobs(Some(newsdesk_db::JobState::Dead), 500).await?;
    let mut n = 0;
    for j in dead.iter().filter(|j| j.kind == "article.publish_scheduled") {
        let Ok(Job::PublishScheduled { article_id, at }) = serde_json::from_str(&j.payload) else {
            continue;
        };
        let still = match newsroom.db().find_article(article_id).await {
            Ok(a) => {
                a.status == newsdesk_core::ArticleStatus::Scheduled && a.scheduled_at == Some(at)
            }
            Err(newsdesk_db::DbError::NotFound { .. }) => false,
            Err(e) => return Err(e.into()),
        };
        if still {
            gave_up(newsroom, article_id, at, j.last_error.as_deref().unwrap_or("no reason kept"))
                .await?;
            n += 1;
        }
    }
    Ok(n)
}
