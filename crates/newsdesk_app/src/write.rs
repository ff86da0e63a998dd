//! The use cases: every change of state, each checked and written in one
//! transaction with its revision, jobs and events.
//!
//! A [`Write`] is one open transaction with an acting user. Each method is
//! one use case; [`crate::Newsroom`] wraps each in its own `Write` for the
//! common case of one change per transaction, and importers and the demo
//! seeder run many in one (`Newsroom::begin`, then [`Write::commit`]).
//! Dropping a `Write` without committing rolls everything back.

use crate::events::{Event, Placement};
use crate::jobs::Job;
use crate::{Error, Result, Signals, related};
use chrono::{DateTime, SubsecRound, Utc};
use newsdesk_core::{
    Action, Actor, Article, ArticleStatus, Author, Block, Correction, Id, Media, Problem, Section,
    Story, Tag, article_path, authorize, slugify,
};
use newsdesk_db::{ArticleState, Committed, NewRevision, Tx};
use std::sync::Arc;

/// Longest correction note, in characters.
pub const MAX_CORRECTION_CHARS: usize = 2_000;

/// An article as stored after a use case, with its version (what the next
/// save must be based on).
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    /// The article as stored.
    pub article: Article,
    /// Its version.
    pub version: i32,
}

/// One open transaction on behalf of an actor.
pub struct Write {
    pub(crate) tx: Tx,
    pub(crate) actor: Actor,
    tz: chrono_tz::Tz,
    pub(crate) now: DateTime<Utc>,
    bulk: bool,
    signals: Arc<Signals>,
    /// What other programs will be told at commit (event name, data).
    hooks: Vec<(&'static str, serde_json::Value)>,
}

pub(crate) fn media_ids(a: &Article) -> Vec<Id> {
    let mut ids: Vec<Id> = a.lead.iter().map(|f| f.media_id).collect();
    for b in &a.body {
        if let Block::Figure(f) = b {
            ids.push(f.media_id);
        }
    }
    ids
}

impl Write {
    pub(crate) fn new(tx: Tx, actor: Actor, tz: chrono_tz::Tz, signals: Arc<Signals>) -> Write {
        Write { tx, actor, tz, now: Utc::now(), bulk: false, signals, hooks: Vec::new() }
    }

    /// Makes this a bulk load: publishing skips related stories (call
    /// [`Write::rebuild_related`] before committing), and the events of
    /// every change are folded into one `site.changed`, so servers drop their
    /// caches once instead of once per article.
    pub fn bulk(mut self) -> Write {
        self.bulk = true;
        self
    }

    /// The acting user.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The transaction, for reads that must see this write's own changes.
    pub fn tx(&mut self) -> &mut Tx {
        &mut self.tx
    }

    fn allow_on(&self, action: Action, article: &Article) -> Result<()> {
        newsdesk_core::authorize_article(&self.actor, action, article)?;
        Ok(())
    }

    pub(crate) fn allow(&self, action: Action, bylines: Vec<Id>) -> Result<()> {
        authorize(&self.actor, action, &bylines)?;
        Ok(())
    }

    pub(crate) fn record(&mut self, e: Event) {
        if !self.bulk {
            if let Some(hook) = e.for_webhooks() {
                self.hooks.push(hook);
            }
            self.tx.record_event(e.to_new());
        }
    }

    pub(crate) async fn enqueue(&mut self, job: &Job, run_at: DateTime<Utc>) -> Result<()> {
        self.tx.enqueue_job(&job.to_new(run_at)).await?;
        Ok(())
    }

    async fn revision(
        &mut self,
        a: &Article,
        version: i32,
        reason: &str,
        with_content: bool,
    ) -> Result<()> {
        self.noted_revision(a, version, reason, with_content, "").await
    }

    async fn noted_revision(
        &mut self,
        a: &Article,
        version: i32,
        reason: &str,
        with_content: bool,
        note: &str,
    ) -> Result<()> {
        let actor_name = self.actor.name.clone();
        let r = NewRevision {
            article_id: a.id,
            version,
            actor: &actor_name,
            actor_id: self.actor.user_id,
            reason,
            content: with_content.then_some(a),
            note,
            at: self.now,
        };
        self.tx.insert_revision(&r, a.status.as_str()).await?;
        if with_content {
            // The library knows where each picture is shown.
            self.tx.set_media_uses(a.id, &media_ids(a)).await?;
        }
        Ok(())
    }

    async fn load(&mut self, id: Id, expected: Option<i32>) -> Result<(Article, i32)> {
        let (a, v) = self.tx.find_article_versioned(id).await?;
        if let Some(e) = expected
            && e != v
        {
            return Err(Error::Stale { current_version: v });
        }
        Ok((a, v))
    }

    /// Refuses what cannot be stored even as a draft: oversized fields, a
    /// malformed slug, references to sections, stories, tags, authors or
    /// pictures that do not exist. A tag listed twice counts once.
    async fn check_storable(&mut self, a: &mut Article) -> Result<()> {
        let mut seen = Vec::with_capacity(a.tags.len());
        a.tags.retain(|t| {
            let new = !seen.contains(t);
            seen.push(*t);
            new
        });
        let mut problems = a.savable();
        problems.extend(
            self.tx
                .missing_references(a)
                .await?
                .into_iter()
                .map(|(field, id)| Problem::UnknownReference { field, id }),
        );
        let wanted = media_ids(a);
        if !wanted.is_empty() {
            let media: Vec<Media> = self.tx.media_by_ids(&wanted).await?;
            let found = |id: Id| media.iter().any(|m| m.id == id);
            if let Some(lead) = &a.lead
                && !found(lead.media_id)
            {
                problems.push(Problem::UnknownLeadMedia(lead.media_id));
            }
            for (block, b) in a.body.iter().enumerate() {
                if let Block::Figure(f) = b
                    && !found(f.media_id)
                {
                    problems.push(Problem::UnknownMedia { block, media_id: f.media_id });
                }
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(Error::Invalid(problems)) }
    }

    pub(crate) fn check(problems: Vec<Problem>) -> Result<()> {
        if problems.is_empty() { Ok(()) } else { Err(Error::Invalid(problems)) }
    }

    async fn publish_problems(&mut self, a: &Article) -> Result<Vec<Problem>> {
        let media: Vec<Media> = self.tx.media_by_ids(&media_ids(a)).await?;
        Ok(a.publishable(|mid| media.iter().find(|m| m.id == mid)))
    }

    /// Stores a new draft (or, if its status says so, an article in review).
    /// An empty slug is made from the headline. Drafts may be incomplete;
    /// only oversized fields and a malformed slug are refused.
    pub async fn create_draft(&mut self, a: Article) -> Result<Saved> {
        self.create_as(a, "create").await
    }

    /// [`Write::create_draft`] for the editor's first autosave of a new
    /// article: its revision says "autosave", and until someone saves it,
    /// [`Write::rewrite_autosaved_draft`] keeps it up to date with the
    /// typing.
    pub async fn create_autosaved_draft(&mut self, a: Article) -> Result<Saved> {
        self.create_as(a, "autosave").await
    }

    /// Rewrites, in place and at version 1, a draft that the actor's
    /// editor made by autosave and that nobody has saved since, so that the
    /// draft (its headline in every list, its text on every device) is
    /// what they have typed, not a cut-off first few seconds of it. `None`
    /// when the draft is past that stage (saved, or another person's):
    /// the caller keeps the text as an autosaved copy instead.
    pub async fn rewrite_autosaved_draft(&mut self, mut a: Article) -> Result<Option<Saved>> {
        let (stored, version) = self.load(a.id, None).await?;
        let heads = self.tx.revision_heads(a.id).await?;
        let untouched = version == 1
            && stored.status == ArticleStatus::Draft
            && stored.first_published_at.is_none()
            && self.actor.user_id.is_some()
            && matches!(heads.as_slice(), [(1, reason, by)] if reason == "autosave" && *by == self.actor.user_id);
        if !untouched || self.allow_on(Action::EditArticle, &a).is_err() {
            return Ok(None);
        }
        if a.slug.is_empty() {
            a.slug = slugify(&a.headlines.display);
        }
        self.check_storable(&mut a).await?;
        a.status = stored.status;
        a.path = None;
        a.first_published_at = None;
        a.scheduled_at = None;
        a.corrections = stored.corrections.clone();
        a.updated_at = self.now;
        self.tx.rewrite_article(&a, 1).await?;
        self.tx.rewrite_revision(a.id, 1, &a, self.now).await?;
        self.tx.set_media_uses(a.id, &media_ids(&a)).await?;
        Ok(Some(Saved { article: a, version: 1 }))
    }

    async fn create_as(&mut self, mut a: Article, reason: &str) -> Result<Saved> {
        self.allow_on(Action::CreateArticle, &a)?;
        if a.slug.is_empty() {
            a.slug = slugify(&a.headlines.display);
        }
        self.check_storable(&mut a).await?;
        if !matches!(a.status, ArticleStatus::Draft | ArticleStatus::Review) {
            a.status = ArticleStatus::Draft;
        }
        a.path = None;
        a.first_published_at = None;
        a.scheduled_at = None;
        a.id = self.tx.insert_article(&a).await?;
        self.revision(&a, 1, reason, true).await?;
        self.record(Event::ArticleCreated { id: a.id });
        Ok(Saved { article: a, version: 1 })
    }

    /// Saves what an article says, over `expected_version`. Status, path,
    /// first publication and schedule stay as stored. A public or scheduled
    /// article must stay publishable; a public one's related stories follow
    /// (its own rail now, the others' in a job).
    pub async fn save(&mut self, mut a: Article, expected_version: i32) -> Result<Saved> {
        let (before, version) = self.load(a.id, None).await?;
        self.allow_on(Action::EditArticle, &before)?;
        if version != expected_version {
            return Err(Error::Stale { current_version: version });
        }
        a.status = before.status;
        a.path = before.path.clone();
        a.first_published_at = before.first_published_at;
        a.scheduled_at = before.scheduled_at;
        if a.slug.is_empty() {
            a.slug = before.slug.clone();
        }
        // Whoever edits as the owner must stay a byline: an author cannot
        // hand a story to a colleague's name.
        self.allow_on(Action::EditArticle, &a)?;
        // Readers are told a story changed only by the time the editor sets,
        // never earlier than before and never in the future.
        a.updated_at = a.updated_at.clamp(before.updated_at, self.now.max(before.updated_at));
        self.check_storable(&mut a).await?;
        if let (Some(until), Some(at)) = (a.embargo_until, a.scheduled_at)
            && until > at
        {
            return Err(Error::Refused(format!(
                "it is scheduled for {}, before the embargo ends ({}): unschedule it first",
                utc(at),
                utc(until)
            )));
        }
        if a.status.is_public() || a.status == ArticleStatus::Scheduled {
            let problems = self.publish_problems(&a).await?;
            if !problems.is_empty() {
                return Err(Error::Unpublishable(problems));
            }
        }
        // A public address changes only when an editor changes the slug of
        // an article already published; the old one answers 301 from then on.
        let moved = match &before.path {
            Some(old) if a.slug != before.slug => {
                self.allow_on(Action::ChangePublishedSlug, &a)?;
                let prefix = old.rsplit_once('/').map_or("", |(p, _)| p);
                Some((old.clone(), format!("{prefix}/{}", a.slug)))
            }
            _ => None,
        };
        let version = self.tx.update_article(&a, expected_version).await?;
        if let Some((old, new)) = moved {
            self.tx.move_article(a.id, &old, &new, self.now).await?;
            a.path = Some(new);
        }
        self.revision(&a, version, "save", true).await?;
        self.after_content_change(&before, &a).await?;
        Ok(Saved { article: a, version })
    }

    /// What every change of a stored article's content entails once it is
    /// written: related stories and the event that tells servers.
    async fn after_content_change(&mut self, before: &Article, a: &Article) -> Result<()> {
        if a.status.is_public() {
            if !self.bulk {
                let published = a.first_published_at.unwrap_or(a.updated_at);
                related::index_article(&mut self.tx, a, published).await?;
                self.enqueue(&Job::RelatedNeighbours { article_id: a.id }, self.now).await?;
            }
            self.record(Event::ArticleUpdated {
                id: a.id,
                path: a.path.clone().unwrap_or_default(),
                before: Placement::of(before),
                after: Placement::of(a),
            });
        } else {
            self.record(Event::ArticleSaved { id: a.id, status: a.status.as_str().into() });
        }
        Ok(())
    }

    async fn set_status(
        &mut self,
        a: &mut Article,
        version: i32,
        status: ArticleStatus,
    ) -> Result<i32> {
        a.status.transition(status)?;
        a.status = status;
        let state = ArticleState {
            status,
            first_published_at: a.first_published_at,
            path: a.path.clone(),
            scheduled_at: a.scheduled_at,
            updated_at: a.updated_at,
        };
        Ok(self.tx.set_article_state(a.id, &state, version).await?)
    }

    /// Sends an article to an editor's review.
    pub async fn submit_for_review(&mut self, id: Id, expected: Option<i32>) -> Result<Saved> {
        let (mut a, v) = self.load(id, expected).await?;
        self.allow_on(Action::SubmitArticle, &a)?;
        a.scheduled_at = None;
        let version = self.set_status(&mut a, v, ArticleStatus::Review).await?;
        self.revision(&a, version, "submit", false).await?;
        self.record(Event::ArticleSaved { id, status: a.status.as_str().into() });
        Ok(Saved { article: a, version })
    }

    /// Sends an article in review (or scheduled) back to its writers as a
    /// draft, with `note` saying what to change; those who may publish it
    /// may send it back.
    pub async fn send_back(&mut self, id: Id, note: &str, expected: Option<i32>) -> Result<Saved> {
        let (mut a, v) = self.load(id, expected).await?;
        self.allow_on(Action::PublishArticle, &a)?;
        if !matches!(a.status, ArticleStatus::Review | ArticleStatus::Scheduled) {
            return Err(Error::Refused(
                "only an article in review or scheduled goes back to its writer".into(),
            ));
        }
        let note = note.trim();
        if note.is_empty() {
            return Err(Error::Refused("say what to change: the note is empty".into()));
        }
        if note.chars().count() > newsdesk_core::MAX_NOTE_CHARS {
            return Err(Error::Refused(format!(
                "the note is longer than {} characters",
                newsdesk_core::MAX_NOTE_CHARS
            )));
        }
        a.scheduled_at = None;
        let version = self.set_status(&mut a, v, ArticleStatus::Draft).await?;
        self.noted_revision(&a, version, "send_back", false, note).await?;
        self.record(Event::ArticleSaved { id, status: a.status.as_str().into() });
        Ok(Saved { article: a, version })
    }

    /// Publishes an article now.
    pub async fn publish(&mut self, id: Id, expected: Option<i32>) -> Result<Saved> {
        let now = self.now;
        self.publish_at(id, expected, now, "publish").await
    }

    /// Publishes an article as first published at `at` (importers and the
    /// demo keep the original publication time). Fixes its public path on
    /// first publication, dated in the site's time zone.
    pub async fn publish_as_of(&mut self, id: Id, at: DateTime<Utc>) -> Result<Saved> {
        self.publish_at(id, None, at, "publish").await
    }

    async fn publish_at(
        &mut self,
        id: Id,
        expected: Option<i32>,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<Saved> {
        let (mut a, v) = self.load(id, expected).await?;
        self.allow_on(Action::PublishArticle, &a)?;
        if a.status == ArticleStatus::Published {
            // Already public: publishing again changes nothing (a retried
            // job, a second click).
            return Ok(Saved { article: a, version: v });
        }
        a.status.transition(ArticleStatus::Published)?;
        if let Some(until) = a.embargo_until.filter(|u| *u > self.now) {
            return Err(Error::Refused(format!("it is under embargo until {}", utc(until))));
        }
        let problems = self.publish_problems(&a).await?;
        if !problems.is_empty() {
            return Err(Error::Unpublishable(problems));
        }
        let first = a.first_published_at.unwrap_or(at);
        if a.path.is_none() {
            let section = a.section_id.unwrap_or_default();
            let section_slug = self.tx.section_slug(section).await?;
            let tz = crate::settings::tz_in(&mut self.tx, self.tz).await?;
            let day = first.with_timezone(&tz).date_naive();
            // Two stories of one day and section may share a slug ("live
            // updates"): the later one gets the next free number, so
            // publishing (scheduled publishing above all) never fails on it.
            let mut n = 1;
            let (slug, path) = loop {
                let slug = numbered_slug(&a.slug, n);
                let path = article_path(&section_slug, day, &slug);
                if !self.tx.path_taken(&path).await? {
                    break (slug, path);
                }
                if n >= 1000 {
                    return Err(Error::Refused(format!(
                        "a thousand stories of that day already use the slug {}: choose another",
                        a.slug
                    )));
                }
                n += 1;
            };
            if slug != a.slug {
                self.tx.set_article_slug(id, &slug).await?;
                a.slug = slug;
            }
            a.path = Some(path);
        }
        a.first_published_at = Some(first);
        a.scheduled_at = None;
        a.updated_at = a.updated_at.max(first);
        let version = self.set_status(&mut a, v, ArticleStatus::Published).await?;
        if !self.bulk {
            related::index_article(&mut self.tx, &a, first).await?;
            self.enqueue(&Job::RelatedNeighbours { article_id: id }, self.now).await?;
        }
        self.revision(&a, version, reason, false).await?;
        self.record(Event::ArticlePublished {
            id,
            path: a.path.clone().unwrap_or_default(),
            placement: Placement::of(&a),
        });
        Ok(Saved { article: a, version })
    }

    /// Schedules an article to be published at `at` (an embargo too: it
    /// cannot go out earlier). It must be publishable now; the publication
    /// itself is a job, which survives restarts and catches up after
    /// downtime.
    pub async fn schedule(
        &mut self,
        id: Id,
        at: DateTime<Utc>,
        expected: Option<i32>,
    ) -> Result<Saved> {
        // Both databases keep microseconds; the job compares the time it
        // was queued for with the stored one, so they must be equal.
        let at = at.trunc_subsecs(6);
        let (mut a, v) = self.load(id, expected).await?;
        self.allow_on(Action::PublishArticle, &a)?;
        a.status.transition(ArticleStatus::Scheduled)?;
        if at <= self.now {
            return Err(Error::Refused(format!(
                "the time to publish ({}) has already passed; publish now instead",
                at.to_rfc3339()
            )));
        }
        if let Some(until) = a.embargo_until.filter(|u| *u > at) {
            return Err(Error::Refused(format!(
                "the time to publish is before the embargo ends ({})",
                utc(until)
            )));
        }
        let problems = self.publish_problems(&a).await?;
        if !problems.is_empty() {
            return Err(Error::Unpublishable(problems));
        }
        a.scheduled_at = Some(at);
        let version = self.set_status(&mut a, v, ArticleStatus::Scheduled).await?;
        self.enqueue(&Job::PublishScheduled { article_id: id, at }, at).await?;
        self.revision(&a, version, "schedule", false).await?;
        self.record(Event::ArticleSaved { id, status: a.status.as_str().into() });
        Ok(Saved { article: a, version })
    }

    /// Publishes a scheduled article whose time has come; does nothing
    /// (`None`) when it was rescheduled, unscheduled or already published
    /// since the job was queued, so the job can run any number of times.
    ///
    /// An article that can no longer be published (its lead image was
    /// deleted, say) is not retried for hours: it goes back to review with a
    /// `article.schedule_failed` event naming the problems, for the back
    /// office to show.
    pub async fn publish_scheduled(&mut self, id: Id, at: DateTime<Utc>) -> Result<Option<Saved>> {
        let (a, _) = match self.load(id, None).await {
            Ok(found) => found,
            Err(Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if a.status != ArticleStatus::Scheduled || a.scheduled_at != Some(at) || at > self.now {
            return Ok(None);
        }
        let now = self.now;
        match self.publish_at(id, None, now, "scheduled publish").await {
            Ok(saved) => Ok(Some(saved)),
            Err(Error::Unpublishable(problems)) => {
                self.schedule_failed(id, at, problems.iter().map(ToString::to_string).collect())
                    .await?;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Sends an article scheduled for `at` back to review because it could
    /// not be published then, saying why in its history, the log and an
    /// `article.schedule_failed` event. Does nothing when it is no longer
    /// scheduled for that time.
    pub async fn schedule_failed(
        &mut self,
        id: Id,
        at: DateTime<Utc>,
        why: Vec<String>,
    ) -> Result<()> {
        let (mut a, v) = match self.load(id, None).await {
            Ok(found) => found,
            Err(Error::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        if a.status != ArticleStatus::Scheduled || a.scheduled_at != Some(at) {
            return Ok(());
        }
        a.scheduled_at = None;
        let version = self.set_status(&mut a, v, ArticleStatus::Review).await?;
        let mut note = why.join("\n");
        if let Some((cut, _)) = note.char_indices().nth(newsdesk_core::MAX_NOTE_CHARS) {
            note.truncate(cut);
        }
        self.noted_revision(&a, version, "schedule failed", false, &note).await?;
        tracing::warn!(
            article.id = id,
            problems = why.join("; "),
            "a scheduled article could not be published; it is back in review"
        );
        self.record(Event::ScheduleFailed { id, problems: why });
        Ok(())
    }

    /// Deletes a draft (or an article in review) that was never published,
    /// with its revisions; the audit log keeps its headline. What readers
    /// once saw is never deleted, only taken down ([`Write::unpublish`]),
    /// so its address and its history stay.
    pub async fn delete_draft(&mut self, id: Id, expected: Option<i32>) -> Result<Article> {
        let (a, version) = self.load(id, expected).await?;
        self.allow_on(Action::DeleteArticle, &a)?;
        if a.first_published_at.is_some()
            || !matches!(a.status, ArticleStatus::Draft | ArticleStatus::Review)
        {
            return Err(Error::Refused(
                "only a draft that was never published can be deleted; take a published \
                 story down instead, so its address and its history stay"
                    .into(),
            ));
        }
        // Someone else at work in it would lose their page and autosave.
        if let Some(me) = self.actor.user_id {
            let since = self.now - crate::desk::PRESENT_FOR;
            let others: Vec<String> = self
                .tx
                .present_since(id, since)
                .await?
                .into_iter()
                .filter(|p| p.user_id != me)
                .map(|p| p.name)
                .collect();
            if !others.is_empty() {
                return Err(Error::Refused(format!(
                    "{} has this draft open; it can be deleted once they have closed it",
                    others.join(" and ")
                )));
            }
        }
        self.tx.delete_article(id, version).await?;
        self.record(Event::ArticleDeleted { id });
        Ok(a)
    }

    /// Takes a published article down: its URL answers 410, it leaves every
    /// list, feed, search and rail, and the rails that listed it are
    /// refilled by a job.
    pub async fn unpublish(&mut self, id: Id) -> Result<Saved> {
        let (mut a, v) = self.load(id, None).await?;
        self.allow_on(Action::UnpublishArticle, &a)?;
        if a.status == ArticleStatus::Unpublished {
            return Ok(Saved { article: a, version: v });
        }
        let version = self.set_status(&mut a, v, ArticleStatus::Unpublished).await?;
        self.tx.lock_related().await?;
        self.tx.unindex_terms(id).await?;
        let listed_by = self.tx.remove_from_rails(id).await?;
        if !listed_by.is_empty() {
            self.enqueue(&Job::RelatedRefill { ids: listed_by.clone() }, self.now).await?;
        }
        self.revision(&a, version, "unpublish", false).await?;
        self.record(Event::ArticleUnpublished {
            id,
            path: a.path.clone().unwrap_or_default(),
            placement: Placement::of(&a),
            listed_by,
        });
        Ok(Saved { article: a, version })
    }

    /// Appends a public correction to a published article and tells readers
    /// it was updated.
    pub async fn correct(&mut self, id: Id, text: &str) -> Result<Saved> {
        let (before, v) = self.load(id, None).await?;
        self.allow_on(Action::CorrectArticle, &before)?;
        if !before.status.is_public() {
            return Err(Error::Refused(
                "only a published article takes a correction; edit the draft instead".into(),
            ));
        }
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::Refused("a correction needs a note saying what was wrong".into()));
        }
        if text.chars().count() > MAX_CORRECTION_CHARS {
            return Err(Error::Invalid(vec![Problem::TooLong {
                field: "correction",
                max: MAX_CORRECTION_CHARS,
            }]));
        }
        let mut a = before.clone();
        a.corrections.push(Correction { at: self.now, text: text.to_owned() });
        a.updated_at = self.now;
        let version = self.tx.update_article(&a, v).await?;
        self.revision(&a, version, "correct", true).await?;
        self.record(Event::ArticleUpdated {
            id,
            path: a.path.clone().unwrap_or_default(),
            before: Placement::of(&before),
            after: Placement::of(&a),
        });
        Ok(Saved { article: a, version })
    }

    /// Makes an earlier revision's content the current one, as a new
    /// revision. Status, path and schedule stay as they are now.
    pub async fn restore_revision(
        &mut self,
        id: Id,
        revision: i32,
        expected: Option<i32>,
    ) -> Result<Saved> {
        let (before, v) = self.load(id, expected).await?;
        self.allow_on(Action::EditArticle, &before)?;
        let mut a = self.tx.revision_content(id, revision).await?;
        a.id = id;
        a.status = before.status;
        a.path = before.path.clone();
        a.first_published_at = before.first_published_at;
        a.scheduled_at = before.scheduled_at;
        a.updated_at = before.updated_at;
        // Corrections are a public record, added one by one: an older
        // version's text comes back, never without them.
        a.corrections = before.corrections.clone();
        // A restore never moves a published article: its address stays.
        if before.path.is_some() {
            a.slug = before.slug.clone();
        }
        // An old version bylined to someone else is theirs to restore.
        self.allow_on(Action::EditArticle, &a)?;
        if a.status.is_public() {
            let problems = self.publish_problems(&a).await?;
            if !problems.is_empty() {
                return Err(Error::Unpublishable(problems));
            }
        }
        let version = self.tx.update_article(&a, v).await?;
        self.revision(&a, version, "restore", true).await?;
        self.after_content_change(&before, &a).await?;
        Ok(Saved { article: a, version })
    }

    fn taxonomy_changed(&mut self, what: &str, id: Id) {
        self.record(Event::TaxonomyChanged { what: what.into(), id });
    }

    /// Adds a section.
    pub async fn create_section(&mut self, s: &Section) -> Result<Section> {
        self.allow(Action::EditTaxonomy, Vec::new())?;
        Self::check(s.problems())?;
        let s = self.tx.create_section(s).await?;
        self.taxonomy_changed("section", s.id);
        Ok(s)
    }

    /// Changes a section. Published articles keep their paths.
    pub async fn update_section(&mut self, s: &Section) -> Result<()> {
        self.allow(Action::EditTaxonomy, Vec::new())?;
        Self::check(s.problems())?;
        self.tx.update_section(s).await?;
        self.taxonomy_changed("section", s.id);
        Ok(())
    }

    /// Removes a section that no article uses.
    pub async fn delete_section(&mut self, id: Id) -> Result<()> {
        self.allow(Action::EditTaxonomy, Vec::new())?;
        self.tx.delete_section(id).await?;
        self.taxonomy_changed("section", id);
        Ok(())
    }

    /// Adds a tag.
    pub async fn create_tag(&mut self, t: &Tag) -> Result<Tag> {
        self.allow(Action::EditTaxonomy, Vec::new())?;
        Self::check(t.problems())?;
        let t = self.tx.create_tag(t).await?;
        self.taxonomy_changed("tag", t.id);
        Ok(t)
    }

    /// Renames a tag.
    pub async fn update_tag(&mut self, t: &Tag) -> Result<()> {
        self.allow(Action::EditTaxonomy, Vec::new())?;
        Self::check(t.problems())?;
        self.tx.update_tag(t).await?;
        self.taxonomy_changed("tag", t.id);
        Ok(())
    }

    /// Removes a tag that no article carries.
    pub async fn delete_tag(&mut self, id: Id) -> Result<()> {
        self.allow(Action::EditTaxonomy, Vec::new())?;
        self.tx.delete_tag(id).await?;
        self.taxonomy_changed("tag", id);
        Ok(())
    }

    /// Adds an author.
    pub async fn create_author(&mut self, a: &Author) -> Result<Author> {
        self.allow(Action::EditTaxonomy, Vec::new())?;
        Self::check(a.problems())?;
        let a = self.tx.create_author(a).await?;
        self.taxonomy_changed("author", a.id);
        Ok(a)
    }

    /// Changes an author's page.
    pub async fn update_author(&mut self, a: &Author) -> Result<()> {
        self.allow(Action::EditTaxonomy, Vec::new())?;
        Self::check(a.problems())?;
        self.tx.update_author(a).await?;
        self.taxonomy_changed("author", a.id);
        Ok(())
    }

    /// Removes an author no byline names.
    pub async fn delete_author(&mut self, id: Id) -> Result<()> {
        self.allow(Action::EditTaxonomy, Vec::new())?;
        self.tx.delete_author(id).await?;
        self.taxonomy_changed("author", id);
        Ok(())
    }

    /// Adds a running story.
    pub async fn create_story(&mut self, s: &Story) -> Result<Story> {
        self.allow(Action::EditTaxonomy, Vec::new())?;
        Self::check(s.problems())?;
        let s = self.tx.create_story(s).await?;
        self.taxonomy_changed("story", s.id);
        Ok(s)
    }

    /// Renames a running story.
    pub async fn update_story(&mut self, s: &Story) -> Result<()> {
        self.allow(Action::EditTaxonomy, Vec::new())?;
        Self::check(s.problems())?;
        self.tx.update_story(s).await?;
        self.taxonomy_changed("story", s.id);
        Ok(())
    }

    /// Removes a story no article follows.
    pub async fn delete_story(&mut self, id: Id) -> Result<()> {
        self.allow(Action::EditTaxonomy, Vec::new())?;
        self.tx.delete_story(id).await?;
        self.taxonomy_changed("story", id);
        Ok(())
    }

    /// Rebuilds every related rail from scratch in this transaction; returns
    /// how many articles were indexed.
    pub async fn rebuild_related(&mut self) -> Result<usize> {
        self.allow(Action::Maintain, Vec::new())?;
        let n = related::rebuild_all(&mut self.tx).await?;
        self.tx
            .record_event(Event::SiteChanged { reason: "related stories rebuilt".into() }.to_new());
        Ok(n)
    }

    /// Queues the publication of every scheduled article again (after a
    /// restore, which brings articles but not the queue). Returns how many.
    pub async fn reschedule_all(&mut self) -> Result<usize> {
        self.allow(Action::Maintain, Vec::new())?;
        let due = self.tx.scheduled_articles().await?;
        for (id, at) in &due {
            self.enqueue(&Job::PublishScheduled { article_id: *id, at: *at }, *at).await?;
        }
        Ok(due.len())
    }

    /// Asks for a rebuild of every rail by a worker (after a migration or an
    /// import); a rebuild already waiting makes this a no-op.
    pub async fn request_related_rebuild(&mut self) -> Result<()> {
        self.allow(Action::Maintain, Vec::new())?;
        self.enqueue(&Job::RelatedRebuild, self.now).await
    }

    /// Appends to the audit log in this transaction, as this write's actor,
    /// from `from`: the entry stands only if the change does.
    pub async fn audit(
        &mut self,
        action: &str,
        subject: &str,
        detail: &str,
        from: &crate::sessions::Origin,
    ) -> Result<()> {
        let entry = crate::sessions::audit_entry(&self.actor, action, subject, detail, from);
        self.tx.audit(&entry).await?;
        Ok(())
    }

    /// Commits everything this write did, then wakes this process's event
    /// follower and workers.
    pub async fn commit(mut self) -> Result<Committed> {
        if self.bulk && self.tx.pending_events().is_empty() {
            self.tx.record_event(Event::SiteChanged { reason: "bulk load".into() }.to_new());
        }
        crate::integrations::queue_deliveries(&mut self.tx, &self.hooks).await?;
        let done = self.tx.commit().await?;
        self.signals.committed(&done);
        Ok(done)
    }
}

/// A time as people read it in messages: `2026-03-01 09:00 UTC`.
fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `slug` with `-n` after it (`n` > 1), shortened at a hyphen when needed so
/// the whole stays within [`newsdesk_core::MAX_SLUG_LEN`].
fn numbered_slug(slug: &str, n: u32) -> String {
    if n <= 1 {
        return slug.to_owned();
    }
    let suffix = format!("-{n}");
    let room = newsdesk_core::MAX_SLUG_LEN.saturating_sub(suffix.len());
    let mut base: &str = slug;
    if base.len() > room {
        base = &base[..room];
        if let Some((cut, _)) = base.rsplit_once('-')
            && !cut.is_empty()
        {
            base = cut;
        }
    }
    format!("{}{suffix}", base.trim_end_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::numbered_slug;

    #[test]
    fn numbered_slugs_stay_valid() {
        assert_eq!(numbered_slug("live-updates", 1), "live-updates");
        assert_eq!(numbered_slug("live-updates", 2), "live-updates-2");
        let long = "word-".repeat(19) + "last";
        assert_eq!(long.len(), 99);
        for n in [2, 10, 999] {
            let s = numbered_slug(&long, n);
            assert!(s.len() <= newsdesk_core::MAX_SLUG_LEN, "{s}");
            assert!(newsdesk_core::validate_slug(&s).is_ok(), "{s}");
            assert!(s.ends_with(&format!("-{n}")) && !s.contains("--"), "{s}");
        }
    }
}
