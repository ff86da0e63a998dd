//! What importers brought in from other systems, so a second run skips
//! what it already has and finishes what a first run left half-way.

use crate::tx::on_tx;
use crate::{Database, Result, Tx, on_pool};
use chrono::{DateTime, Utc};
use newsdesk_core::Id;

/// One thing an importer took in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedItem {
    /// What it became here.
    pub local_id: Id,
    /// The hash of what was imported.
    pub fingerprint: String,
}

impl Tx {
    /// Notes that `external_id` of `kind` from `source` is now `local_id`,
    /// imported as `fingerprint`.
    pub async fn note_imported(
        &mut self,
        source: &str,
        kind: &str,
        external_id: &str,
        item: &ImportedItem,
        at: DateTime<Utc>,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO import_items (source, kind, external_id, local_id, fingerprint, imported_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (source, kind, external_id) DO UPDATE SET local_id = excluded.local_id, \
             fingerprint = excluded.fingerprint, imported_at = excluded.imported_at",
        ).bind(source).bind(kind).bind(external_id).bind(item.local_id).bind(&item.fingerprint).bind(at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Makes `path`, an address the article had on the site it came from,
    /// answer with a redirect to article `id`. An address this site
    /// already uses, or that already leads elsewhere, is left alone
    /// (`false`).
    pub async fn add_old_address(&mut self, path: &str, id: Id, at: DateTime<Utc>) -> Result<bool> {
        if self.path_taken(path).await? {
            let mine: Option<(i64,)> = on_tx!(self, c => sqlx::query_as(
                "SELECT article_id FROM article_redirects WHERE path = $1 AND article_id = $2",
            ).bind(path).bind(id).fetch_optional(&mut *c).await)?;
            return Ok(mine.is_some());
        }
        on_tx!(self, c => sqlx::query(
            "INSERT INTO article_redirects (path, article_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (path) DO NOTHING",
        ).bind(path).bind(id).bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(true)
    }
}

impl Tx {
    /// Every scheduled article with its time.
    pub async fn scheduled_articles(&mut self) -> Result<Vec<(Id, DateTime<Utc>)>> {
        let rows: Vec<(i64, Option<DateTime<Utc>>)> = on_tx!(self, c => sqlx::query_as(
            "SELECT id, scheduled_at FROM articles WHERE status = 'scheduled' ORDER BY id",
        ).fetch_all(&mut *c).await)?;
        Ok(rows.into_iter().filter_map(|(id, at)| Some((id, at?))).collect())
    }
}

impl Database {
    /// Every old address that leads to a published article, with where
    /// it leads, sorted.
    pub async fn published_redirects(&self) -> Result<Vec<(String, String)>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT r.path, a.path FROM article_redirects r JOIN articles a ON a.id = r.article_id \
             WHERE a.status = 'published' AND a.path IS NOT NULL ORDER BY r.path",
        ).fetch_all(p).await)?)
    }

    /// What `external_id` of `kind` from `source` became, if it was
    /// imported (a read on the pool).
    pub async fn imported_item(
        &self,
        source: &str,
        kind: &str,
        external_id: &str,
    ) -> Result<Option<ImportedItem>> {
        let row: Option<(i64, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT local_id, fingerprint FROM import_items \
             WHERE source = $1 AND kind = $2 AND external_id = $3",
        ).bind(source).bind(kind).bind(external_id).fetch_optional(p).await)?;
        Ok(row.map(|(local_id, fingerprint)| ImportedItem { local_id, fingerprint }))
    }

    /// Everything of `kind` imported from `source`: external id → local id.
    pub async fn imported_items(&self, source: &str, kind: &str) -> Result<Vec<(String, Id)>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT external_id, local_id FROM import_items WHERE source = $1 AND kind = $2",
        ).bind(source).bind(kind).fetch_all(p).await)?)
    }
}
