//! Revisions: every change of an article, who made it and why.

use crate::tx::on_tx;
use crate::{Database, DbError, Result, Tx, from_json, on_pool};
use chrono::{DateTime, Utc};
use newsdesk_core::{Article, Id};

/// A revision to store.
#[derive(Debug, Clone)]
pub struct NewRevision<'a> {
    /// The article.
    pub article_id: Id,
    /// The article's version after the change.
    pub version: i32,
    /// Who made it, as shown to people.
    pub actor: &'a str,
    /// The acting user's id, when a user made it.
    pub actor_id: Option<Id>,
    /// Why: `create`, `save`, `publish`, `unpublish`, `restore`, …
    pub reason: &'a str,
    /// The article after the change; `None` when only its status changed.
    pub content: Option<&'a Article>,
    /// A note for people: what an editor sending it back asks for.
    pub note: &'a str,
    /// When.
    pub at: DateTime<Utc>,
}

/// A stored revision, without its content.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Revision {
    /// Revision id.
    pub id: i64,
    /// The article's version after the change.
    pub version: i32,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Who, as shown to people.
    pub actor: String,
    /// The acting user's id.
    pub actor_id: Option<i64>,
    /// Why.
    pub reason: String,
    /// The article's status after the change.
    pub status: String,
    /// Whether the revision changed what the article says.
    pub has_content: bool,
    /// A note for people (empty when none).
    pub note: String,
}

impl Tx {
    /// Stores a revision.
    pub async fn insert_revision(&mut self, r: &NewRevision<'_>, status: &str) -> Result<()> {
        let content = r.content.map(crate::to_json);
        on_tx!(self, c => sqlx::query(
            "INSERT INTO article_revisions (article_id, version, created_at, actor, actor_id, reason, status, content, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(r.article_id).bind(r.version).bind(r.at).bind(r.actor).bind(r.actor_id)
        .bind(r.reason).bind(status).bind(content).bind(r.note)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Every revision of an article as (version, reason, user id), oldest
    /// first, in this transaction.
    pub async fn revision_heads(
        &mut self,
        article_id: Id,
    ) -> Result<Vec<(i32, String, Option<Id>)>> {
        let rows = on_tx!(self, c => sqlx::query_as(
            "SELECT version, reason, actor_id FROM article_revisions WHERE article_id = $1 ORDER BY version, id",
        ).bind(article_id).fetch_all(&mut *c).await)?;
        Ok(rows)
    }

    /// Replaces the content kept with revision `version` of an article (a
    /// draft rewritten by autosave before anyone saved it).
    pub async fn rewrite_revision(
        &mut self,
        article_id: Id,
        version: i32,
        content: &Article,
        at: DateTime<Utc>,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "UPDATE article_revisions SET content = $3, created_at = $4 WHERE article_id = $1 AND version = $2",
        ).bind(article_id).bind(version).bind(crate::to_json(content)).bind(at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The article as it read at `version`: the content of the newest
    /// revision at or before it that changed the content.
    pub async fn revision_content(&mut self, article_id: Id, version: i32) -> Result<Article> {
        let exists: Option<(i32,)> = on_tx!(self, c => sqlx::query_as(
            "SELECT version FROM article_revisions WHERE article_id = $1 AND version = $2",
        ).bind(article_id).bind(version).fetch_optional(&mut *c).await)?;
        if exists.is_none() {
            return Err(DbError::not_found(format!("revision {version} of article {article_id}")));
        }
        let row: Option<(String,)> = on_tx!(self, c => sqlx::query_as(
            "SELECT content FROM article_revisions WHERE article_id = $1 AND version <= $2 \
             AND content IS NOT NULL ORDER BY version DESC LIMIT 1",
        ).bind(article_id).bind(version).fetch_optional(&mut *c).await)?;
        let (json,) = row.ok_or_else(|| {
            DbError::not_found(format!("revision {version} of article {article_id}"))
        })?;
        from_json(|| format!("revision {version} of article {article_id}"), &json)
    }
}

impl Database {
    /// [`Tx::revision_content`], read on the pool (the editor's merge base).
    pub async fn revision_content(&self, article_id: Id, version: i32) -> Result<Article> {
        let row: Option<(Option<String>,)> = on_pool!(self, p => sqlx::query_as(
            "SELECT (SELECT content FROM article_revisions WHERE article_id = $1 \
             AND version <= $2 AND content IS NOT NULL ORDER BY version DESC LIMIT 1) \
             FROM article_revisions WHERE article_id = $1 AND version = $2",
        ).bind(article_id).bind(version).fetch_optional(p).await)?;
        let json = row.and_then(|(c,)| c).ok_or_else(|| {
            DbError::not_found(format!("revision {version} of article {article_id}"))
        })?;
        from_json(|| format!("revision {version} of article {article_id}"), &json)
    }

    /// The newest version of article `article_id` that `user_id` saved.
    pub async fn latest_version_by(&self, article_id: Id, user_id: Id) -> Result<Option<i32>> {
        let row: (Option<i32>,) = on_pool!(self, p => sqlx::query_as(
            "SELECT MAX(version) FROM article_revisions WHERE article_id = $1 AND actor_id = $2",
        ).bind(article_id).bind(user_id).fetch_one(p).await)?;
        Ok(row.0)
    }

    /// Every revision of an article, newest first.
    pub async fn list_revisions(&self, article_id: Id) -> Result<Vec<Revision>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, version, created_at, actor, actor_id, reason, status, \
             (content IS NOT NULL) AS has_content, note \
             FROM article_revisions WHERE article_id = $1 ORDER BY version DESC",
        ).bind(article_id).fetch_all(p).await)?)
    }
}
