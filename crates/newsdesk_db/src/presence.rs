//! Who has an article open in the editor, who holds it, and the text they
//! typed but did not save (autosaves). None of it is content: readers
//! never see it, and an article's revisions stay what people saved.

use crate::tx::on_tx;
use crate::{Database, Result, Tx, on_pool};
use chrono::{DateTime, Utc};
use newsdesk_core::Id;

/// Someone with an article open.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Present {
    /// Their account.
    pub user_id: Id,
    /// Their name.
    pub name: String,
    /// Their editor's last sign of life.
    pub seen_at: DateTime<Utc>,
}

/// Who holds an article.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Holder {
    /// Their account.
    pub user_id: Id,
    /// Their name.
    pub name: String,
    /// Since when.
    pub since: DateTime<Utc>,
}

/// Text typed in the editor and not saved.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Autosave {
    /// The article version the text was written on.
    pub base_version: i32,
    /// The editor's form fields, as a JSON array of name and value pairs.
    pub fields: String,
    /// When it was written.
    pub saved_at: DateTime<Utc>,
}

impl Tx {
    /// Records that `user_id` has article `id` open at `at`.
    pub async fn mark_present(
        &mut self,
        id: Id,
        user_id: Id,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO article_presence (article_id, user_id, name, seen_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (article_id, user_id) DO UPDATE SET name = excluded.name, seen_at = excluded.seen_at",
        ).bind(id).bind(user_id).bind(name).bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Who holds article `id`, locked until the transaction ends.
    pub async fn holder(&mut self, id: Id) -> Result<Option<Holder>> {
        let sql = match self.backend() {
            crate::Backend::Sqlite => {
                "SELECT user_id, name, since FROM article_holders WHERE article_id = $1"
            }
            crate::Backend::Postgres => {
                "SELECT user_id, name, since FROM article_holders WHERE article_id = $1 FOR UPDATE"
            }
        };
        let row = on_tx!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *c).await)?;
        Ok(row)
    }

    /// Makes `user_id` the holder of article `id` when nobody holds it
    /// (two people opening it at once: one of them).
    pub async fn claim_holder(
        &mut self,
        id: Id,
        user_id: Id,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO article_holders (article_id, user_id, name, since) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (article_id) DO NOTHING",
        ).bind(id).bind(user_id).bind(name).bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Makes `user_id` the holder of article `id` from `at`.
    pub async fn set_holder(
        &mut self,
        id: Id,
        user_id: Id,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO article_holders (article_id, user_id, name, since) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (article_id) DO UPDATE SET user_id = excluded.user_id, name = excluded.name, \
             since = excluded.since",
        ).bind(id).bind(user_id).bind(name).bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Who has article `id` open: seen since `since`, in this transaction.
    pub async fn present_since(&mut self, id: Id, since: DateTime<Utc>) -> Result<Vec<Present>> {
        let rows = on_tx!(self, c => sqlx::query_as(
            "SELECT user_id, name, seen_at FROM article_presence WHERE article_id = $1 AND seen_at >= $2 \
             ORDER BY user_id",
        ).bind(id).bind(since).fetch_all(&mut *c).await)?;
        Ok(rows)
    }

    /// When `user_id` last showed a sign of life on article `id`.
    pub async fn seen_at(&mut self, id: Id, user_id: Id) -> Result<Option<DateTime<Utc>>> {
        let row: Option<(DateTime<Utc>,)> = on_tx!(self, c => sqlx::query_as(
            "SELECT seen_at FROM article_presence WHERE article_id = $1 AND user_id = $2",
        ).bind(id).bind(user_id).fetch_optional(&mut *c).await)?;
        Ok(row.map(|r| r.0))
    }

    /// Keeps `fields` as `user_id`'s unsaved text of article `id`,
    /// replacing the previous one.
    pub async fn put_autosave(
        &mut self,
        id: Id,
        user_id: Id,
        base_version: i32,
        fields: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO article_autosaves (article_id, user_id, base_version, fields, saved_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (article_id, user_id) DO UPDATE SET \
             base_version = excluded.base_version, fields = excluded.fields, saved_at = excluded.saved_at",
        ).bind(id).bind(user_id).bind(base_version).bind(fields).bind(at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Forgets `user_id`'s unsaved text of article `id` (they saved, or
    /// discarded it).
    pub async fn drop_autosave(&mut self, id: Id, user_id: Id) -> Result<()> {
        on_tx!(self, c => sqlx::query("DELETE FROM article_autosaves WHERE article_id = $1 AND user_id = $2")
            .bind(id).bind(user_id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}

impl Database {
    /// Everyone whose editor of article `id` showed a sign of life since
    /// `since`, longest there first.
    pub async fn present(&self, id: Id, since: DateTime<Utc>) -> Result<Vec<Present>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT user_id, name, seen_at FROM article_presence WHERE article_id = $1 AND seen_at >= $2 \
             ORDER BY user_id",
        ).bind(id).bind(since).fetch_all(p).await)?;
        Ok(rows)
    }

    /// `user_id`'s unsaved text of article `id`, if any.
    pub async fn autosave(&self, id: Id, user_id: Id) -> Result<Option<Autosave>> {
        let row = on_pool!(self, p => sqlx::query_as(
            "SELECT base_version, fields, saved_at FROM article_autosaves \
             WHERE article_id = $1 AND user_id = $2",
        ).bind(id).bind(user_id).fetch_optional(p).await)?;
        Ok(row)
    }

    /// Forgets presence older than `before` (the editors have gone).
    pub async fn prune_presence(&self, before: DateTime<Utc>) -> Result<u64> {
        let n = on_pool!(self, p => sqlx::query("DELETE FROM article_presence WHERE seen_at < $1")
            .bind(before).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }
}
