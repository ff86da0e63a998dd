//! Articles: saving, publishing, listing, and their stored related stories.

use crate::search::{SearchDoc, write_search};
use crate::{
    Database, DbError, Result, conflict_on_unique, from_json, on_pool, placeholders, to_json,
};
use chrono::{DateTime, Utc};
use newsdesk_content::related::{Candidate, RAIL_SIZE, RelatedIndex, Term, term_profile};
use newsdesk_core::{Article, ArticleStatus, Byline, Figure, HeadlineSet, Id, article_path};
use std::collections::HashMap;

/// What a list of articles is drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArticleFilter {
    /// Every published article.
    All,
    /// Published articles in a section.
    Section(Id),
    /// Published articles with a tag.
    Tag(Id),
    /// Published articles with an author's byline.
    Author(Id),
    /// Published articles following an ongoing story.
    Story(Id),
}

/// One page of a list, with the total for pagination.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// Items in the whole list.
    pub total: i64,
}

/// What a list, a rail or a card needs of an article (no body).
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleCard {
    /// Article id.
    pub id: Id,
    /// Public path.
    pub path: String,
    /// Headline variants.
    pub headlines: HeadlineSet,
    /// Standfirst.
    pub dek: String,
    /// Section id.
    pub section_id: Option<Id>,
    /// Lead image.
    pub lead: Option<Figure>,
    /// Credit lines.
    pub bylines: Vec<Byline>,
    /// First publication.
    pub first_published_at: DateTime<Utc>,
    /// Last update shown to readers.
    pub updated_at: DateTime<Utc>,
}

/// What a sitemap needs of an article.
#[derive(Debug, Clone, PartialEq)]
pub struct SitemapRow {
    /// Public path.
    pub path: String,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// First publication.
    pub first_published_at: DateTime<Utc>,
    /// Display headline.
    pub headline: String,
    /// Lead image, if any.
    pub lead_media_id: Option<Id>,
}

#[derive(sqlx::FromRow)]
struct SitemapDbRow {
    path: Option<String>,
    updated_at: DateTime<Utc>,
    first_published_at: Option<DateTime<Utc>>,
    headline: String,
    lead: Option<String>,
}

impl SitemapDbRow {
    fn into_row(self) -> Result<SitemapRow> {
        let lead: Option<Figure> = match &self.lead {
            Some(l) => Some(from_json(|| format!("article at {:?} lead", self.path), l)?),
            None => None,
        };
        Ok(SitemapRow {
            path: self.path.unwrap_or_default(),
            updated_at: self.updated_at,
            first_published_at: self.first_published_at.unwrap_or(self.updated_at),
            headline: self.headline,
            lead_media_id: lead.map(|f| f.media_id),
        })
    }
}

/// Whether publishing recomputes related stories at once, or leaves it to a
/// later [`Database::rebuild_all_related`] (bulk loads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelatedUpdate {
    /// Recompute for this article and its neighbours now.
    Now,
    /// Skip; the caller rebuilds everything afterwards.
    Deferred,
}

const ARTICLE_COLUMNS: &str = "id, slug, headline, headline_seo, headline_social, headline_teaser, \
    dek, section_id, story_id, lead, body, bylines, sources, corrections, canonical_url, status, \
    top_rank, first_published_at, updated_at, path, version";

pub(crate) const CARD_COLUMNS: &str = "a.id, a.path, a.headline, a.headline_seo, a.headline_social, \
    a.headline_teaser, a.dek, a.section_id, a.lead, a.bylines, a.first_published_at, a.updated_at";

/// The four headline columns an article row has.
#[derive(sqlx::FromRow)]
struct HeadlineCols {
    headline: String,
    headline_seo: Option<String>,
    headline_social: Option<String>,
    headline_teaser: Option<String>,
}

impl From<HeadlineCols> for HeadlineSet {
    fn from(c: HeadlineCols) -> HeadlineSet {
        HeadlineSet {
            display: c.headline,
            seo: c.headline_seo,
            social: c.headline_social,
            teaser: c.headline_teaser,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ArticleRow {
    id: i64,
    slug: String,
    #[sqlx(flatten)]
    headlines: HeadlineCols,
    dek: String,
    section_id: Option<i64>,
    story_id: Option<i64>,
    lead: Option<String>,
    body: String,
    bylines: String,
    sources: String,
    corrections: String,
    canonical_url: Option<String>,
    status: String,
    top_rank: Option<i32>,
    first_published_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    path: Option<String>,
    version: i32,
}

impl ArticleRow {
    fn into_article(self) -> Result<(Article, i32)> {
        let id = self.id;
        let what = |col: &'static str| move || format!("article {id} {col}");
        let lead = match &self.lead {
            Some(s) => Some(from_json(what("lead"), s)?),
            None => None,
        };
        let status = self.status.parse::<ArticleStatus>().map_err(|message| DbError::Corrupt {
            what: format!("article {id} status"),
            message,
        })?;
        let article = Article {
            id,
            slug: self.slug,
            headlines: self.headlines.into(),
            dek: self.dek,
            section_id: self.section_id,
            story_id: self.story_id,
            tags: Vec::new(),
            bylines: from_json(what("bylines"), &self.bylines)?,
            lead,
            body: from_json(what("body"), &self.body)?,
            sources: from_json(what("sources"), &self.sources)?,
            corrections: from_json(what("corrections"), &self.corrections)?,
            canonical_url: self.canonical_url,
            status,
            top_rank: self.top_rank,
            first_published_at: self.first_published_at,
            updated_at: self.updated_at,
            path: self.path,
        };
        Ok((article, self.version))
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CardRow {
    pub(crate) id: i64,
    path: Option<String>,
    #[sqlx(flatten)]
    headlines: HeadlineCols,
    dek: String,
    section_id: Option<i64>,
    lead: Option<String>,
    bylines: String,
    first_published_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

impl CardRow {
    pub(crate) fn into_card(self) -> Result<ArticleCard> {
        let id = self.id;
        let lead = match &self.lead {
            Some(s) => Some(from_json(|| format!("article {id} lead"), s)?),
            None => None,
        };
        Ok(ArticleCard {
            id,
            path: self.path.unwrap_or_default(),
            headlines: self.headlines.into(),
            dek: self.dek,
            section_id: self.section_id,
            lead,
            bylines: from_json(|| format!("article {id} bylines"), &self.bylines)?,
            first_published_at: self.first_published_at.unwrap_or(self.updated_at),
            updated_at: self.updated_at,
        })
    }
}

fn profile(a: &Article) -> String {
    let mut body = String::new();
    for b in &a.body {
        b.push_plain_text(&mut body);
    }
    to_json(&term_profile(&a.headlines.display, &a.dek, &body))
}

fn author_ids(a: &Article) -> Vec<Id> {
    let mut ids = Vec::new();
    for b in &a.bylines {
        if let Byline::Author { author_id } = b
            && !ids.contains(author_id)
        {
            ids.push(*author_id);
        }
    }
    ids
}

/// The filter's `WHERE` condition on `articles a`, using `$1` for its id.
fn filter_sql(f: ArticleFilter) -> &'static str {
    match f {
        ArticleFilter::All => "a.status = 'published' AND $1 = $1",
        ArticleFilter::Section(_) => "a.status = 'published' AND a.section_id = $1",
        ArticleFilter::Story(_) => "a.status = 'published' AND a.story_id = $1",
        ArticleFilter::Tag(_) => {
            "a.status = 'published' AND a.id IN (SELECT article_id FROM article_tags WHERE tag_id = $1)"
        }
        ArticleFilter::Author(_) => {
            "a.status = 'published' AND a.id IN (SELECT article_id FROM article_authors WHERE author_id = $1)"
        }
    }
}

fn filter_id(f: ArticleFilter) -> i64 {
    match f {
        ArticleFilter::All => 0,
        ArticleFilter::Section(id)
        | ArticleFilter::Tag(id)
        | ArticleFilter::Author(id)
        | ArticleFilter::Story(id) => id,
    }
}

/// Writes every column of `$a` plus its tag and author rows inside `$tx`.
/// A macro rather than a function so one text serves both backends.
macro_rules! write_links {
    ($tx:expr, $id:expr, $a:expr) => {{
        sqlx::query("DELETE FROM article_tags WHERE article_id = $1")
            .bind($id)
            .execute(&mut *$tx)
            .await?;
        for (pos, tag) in $a.tags.iter().enumerate() {
            sqlx::query(
                "INSERT INTO article_tags (article_id, tag_id, position) VALUES ($1, $2, $3)",
            )
            .bind($id)
            .bind(*tag)
            .bind(pos as i32)
            .execute(&mut *$tx)
            .await?;
        }
        sqlx::query("DELETE FROM article_authors WHERE article_id = $1")
            .bind($id)
            .execute(&mut *$tx)
            .await?;
        for (pos, author) in author_ids($a).iter().enumerate() {
            sqlx::query(
                "INSERT INTO article_authors (article_id, author_id, position) VALUES ($1, $2, $3)",
            )
            .bind($id)
            .bind(*author)
            .bind(pos as i32)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

impl Database {
    /// Stores a new, unpublished article and returns it with its id.
    /// Publishing goes through [`Database::publish_article`].
    pub async fn create_article(&self, a: &Article) -> Result<Article> {
        if a.status.is_public() || a.path.is_some() {
            return Err(DbError::Invalid(
                "a new article starts unpublished; publish it afterwards".into(),
            ));
        }
        let terms = profile(a);
        let lead = a.lead.as_ref().map(to_json);
        let (tag_names, author_names) = self.search_names(a).await?;
        let doc = SearchDoc::new(a, &tag_names, &author_names);
        let id: i64 = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO articles (slug, headline, headline_seo, headline_social, headline_teaser, dek, \
                 section_id, story_id, lead, body, bylines, sources, corrections, canonical_url, status, \
                 top_rank, updated_at, terms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id",
            )
            .bind(&a.slug).bind(&a.headlines.display).bind(&a.headlines.seo).bind(&a.headlines.social)
            .bind(&a.headlines.teaser).bind(&a.dek).bind(a.section_id).bind(a.story_id).bind(&lead)
            .bind(to_json(&a.body)).bind(to_json(&a.bylines)).bind(to_json(&a.sources))
            .bind(to_json(&a.corrections)).bind(&a.canonical_url).bind(a.status.as_str())
            .bind(a.top_rank).bind(a.updated_at).bind(&terms)
            .fetch_one(&mut *tx).await?;
            write_links!(tx, id, a);
            write_search!(self, tx, id, &doc);
            tx.commit().await?;
            id
        });
        Ok(Article { id, ..a.clone() })
    }

    /// Saves an edit of a stored article made from `expected_version`.
    ///
    /// A stale edit (someone saved in between) is refused with
    /// [`DbError::StaleRevision`] and changes nothing, so the caller can keep
    /// the editor's text and show the conflict. Status and path are not
    /// changed here. Returns the new version.
    pub async fn update_article(&self, a: &Article, expected_version: i32) -> Result<i32> {
        let terms = profile(a);
        let lead = a.lead.as_ref().map(to_json);
        let (tag_names, author_names) = self.search_names(a).await?;
        let doc = SearchDoc::new(a, &tag_names, &author_names);
        let outcome: Option<i32> = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let row: Option<(i32,)> = sqlx::query_as(
                "UPDATE articles SET slug = $1, headline = $2, headline_seo = $3, headline_social = $4, \
                 headline_teaser = $5, dek = $6, section_id = $7, story_id = $8, lead = $9, body = $10, \
                 bylines = $11, sources = $12, corrections = $13, canonical_url = $14, top_rank = $15, \
                 updated_at = $16, terms = $17, version = version + 1 \
                 WHERE id = $18 AND version = $19 RETURNING version",
            )
            .bind(&a.slug).bind(&a.headlines.display).bind(&a.headlines.seo).bind(&a.headlines.social)
            .bind(&a.headlines.teaser).bind(&a.dek).bind(a.section_id).bind(a.story_id).bind(&lead)
            .bind(to_json(&a.body)).bind(to_json(&a.bylines)).bind(to_json(&a.sources))
            .bind(to_json(&a.corrections)).bind(&a.canonical_url).bind(a.top_rank)
            .bind(a.updated_at).bind(&terms).bind(a.id).bind(expected_version)
            .fetch_optional(&mut *tx).await?;
            if row.is_some() {
                write_links!(tx, a.id, a);
                write_search!(self, tx, a.id, &doc);
                tx.commit().await?;
            }
            row.map(|r| r.0)
        });
        match outcome {
            Some(v) => {
                if a.status.is_public() {
                    self.recompute_related(a.id).await?;
                }
                Ok(v)
            }
            None => {
                let (_, current) = self.find_article_versioned(a.id).await?;
                Err(DbError::StaleRevision { current })
            }
        }
    }

    /// Publishes a stored article: checks [`Article::publishable`] and the
    /// workflow, fixes its public path on first publication (dated in `tz`),
    /// and stores its related stories.
    pub async fn publish_article(
        &self,
        id: Id,
        now: DateTime<Utc>,
        tz: chrono_tz::Tz,
        related: RelatedUpdate,
    ) -> Result<Article> {
        let (mut a, version) = self.find_article_versioned(id).await?;
        a.status
            .transition(ArticleStatus::Published)
            .map_err(|e| DbError::Invalid(e.to_string()))?;
        let mut media_ids: Vec<Id> = a.lead.iter().map(|f| f.media_id).collect();
        for b in &a.body {
            if let newsdesk_core::Block::Figure(f) = b {
                media_ids.push(f.media_id);
            }
        }
        let media = self.media_by_ids(&media_ids).await?;
        let problems = a.publishable(|mid| media.iter().find(|m| m.id == mid));
        if !problems.is_empty() {
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(DbError::Invalid(format!("cannot publish: {}", list.join("; "))));
        }
        let first = a.first_published_at.unwrap_or(now);
        let path = match &a.path {
            Some(p) => p.clone(),
            None => {
                let section_id = a.section_id.unwrap_or_default();
                let (section_slug,): (String,) = on_pool!(self, p => sqlx::query_as(
                    "SELECT slug FROM sections WHERE id = $1").bind(section_id).fetch_one(p).await)?;
                article_path(&section_slug, first.with_timezone(&tz).date_naive(), &a.slug)
            }
        };
        let updated: Option<(i32,)> = on_pool!(self, p => sqlx::query_as(
            "UPDATE articles SET status = 'published', first_published_at = $1, path = $2, \
             version = version + 1 WHERE id = $3 AND version = $4 RETURNING version",
        )
        .bind(first).bind(&path).bind(id).bind(version)
        .fetch_optional(p).await)
        .map_err(|e| {
            conflict_on_unique(e, || format!("another article already lives at `{path}`"))
        })?;
        if updated.is_none() {
            let (_, current) = self.find_article_versioned(id).await?;
            return Err(DbError::StaleRevision { current });
        }
        a.status = ArticleStatus::Published;
        a.first_published_at = Some(first);
        a.path = Some(path);
        if related == RelatedUpdate::Now {
            self.recompute_related(id).await?;
        }
        Ok(a)
    }

    /// Takes a published article down. Its path stays reserved.
    pub async fn unpublish_article(&self, id: Id) -> Result<()> {
        let (a, _) = self.find_article_versioned(id).await?;
        a.status
            .transition(ArticleStatus::Unpublished)
            .map_err(|e| DbError::Invalid(e.to_string()))?;
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE articles SET status = 'unpublished', version = version + 1 WHERE id = $1")
                .bind(id).execute(&mut *tx).await?;
            // Drop it from every rail at once; the rails refill on the next
            // publish nearby.
            sqlx::query("DELETE FROM article_related WHERE related_id = $1 OR article_id = $1")
                .bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The stored article and its version.
    pub async fn find_article_versioned(&self, id: Id) -> Result<(Article, i32)> {
        let sql = format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = $1");
        let row: Option<ArticleRow> = on_pool!(self, p =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(p).await)?;
        let row = row.ok_or_else(|| DbError::NotFound(format!("article {id}")))?;
        let (mut a, v) = row.into_article()?;
        a.tags = self.article_tag_ids(id).await?;
        Ok((a, v))
    }

    /// The stored article.
    pub async fn find_article(&self, id: Id) -> Result<Article> {
        Ok(self.find_article_versioned(id).await?.0)
    }

    /// The article at a public path, whatever its status (the caller decides
    /// between 200, 404 and 410). `None` when no article ever lived there.
    pub async fn find_article_by_path(&self, path: &str) -> Result<Option<Article>> {
        let sql = format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE path = $1");
        let row: Option<ArticleRow> = on_pool!(self, p =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(path).fetch_optional(p).await)?;
        let Some(row) = row else { return Ok(None) };
        let (mut a, _) = row.into_article()?;
        a.tags = self.article_tag_ids(a.id).await?;
        Ok(Some(a))
    }

    async fn article_tag_ids(&self, id: Id) -> Result<Vec<Id>> {
        let rows: Vec<(i64,)> = on_pool!(self, p => sqlx::query_as(
            "SELECT tag_id FROM article_tags WHERE article_id = $1 ORDER BY position",
        ).bind(id).fetch_all(p).await)?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Published articles matching `filter`, newest first.
    pub async fn list_cards(
        &self,
        filter: ArticleFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Page<ArticleCard>> {
        let cond = filter_sql(filter);
        let fid = filter_id(filter);
        let sql = format!(
            "SELECT {CARD_COLUMNS} FROM articles a WHERE {cond} \
             ORDER BY a.first_published_at DESC, a.id DESC LIMIT $2 OFFSET $3"
        );
        let count_sql = format!("SELECT COUNT(*) FROM articles a WHERE {cond}");
        let (rows, total): (Vec<CardRow>, (i64,)) = on_pool!(self, p => {
            let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(fid).bind(limit).bind(offset).fetch_all(p).await?;
            let total = sqlx::query_as(sqlx::AssertSqlSafe(count_sql.clone())).bind(fid).fetch_one(p).await?;
            (rows, total)
        });
        let items = rows.into_iter().map(CardRow::into_card).collect::<Result<_>>()?;
        Ok(Page { items, total: total.0 })
    }

    /// The newest `limit` published articles matching `filter`, whole (for
    /// feeds), newest first.
    pub async fn list_articles(&self, filter: ArticleFilter, limit: i64) -> Result<Vec<Article>> {
        let cond = filter_sql(filter);
        let cols: String = ARTICLE_COLUMNS
            .split(", ")
            .map(|c| format!("a.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {cols} FROM articles a WHERE {cond} ORDER BY a.first_published_at DESC, a.id DESC LIMIT $2"
        );
        let rows: Vec<ArticleRow> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(filter_id(filter)).bind(limit).fetch_all(p).await)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let (mut a, _) = row.into_article()?;
            a.tags = self.article_tag_ids(a.id).await?;
            out.push(a);
        }
        Ok(out)
    }

    /// One slice of every published article for sitemaps, oldest first:
    /// path, last change, first publication, headline and lead image.
    pub async fn sitemap_rows(&self, limit: i64, offset: i64) -> Result<Vec<SitemapRow>> {
        let rows: Vec<SitemapDbRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT path, updated_at, first_published_at, headline, lead FROM articles \
             WHERE status = 'published' ORDER BY first_published_at, id LIMIT $1 OFFSET $2",
        ).bind(limit).bind(offset).fetch_all(p).await)?;
        rows.into_iter().map(SitemapDbRow::into_row).collect()
    }

    /// Published articles first published at or after `since`, newest first,
    /// at most `limit` (for the Google News sitemap).
    pub async fn published_since(
        &self,
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<SitemapRow>> {
        let rows: Vec<SitemapDbRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT path, updated_at, first_published_at, headline, lead FROM articles \
             WHERE status = 'published' AND first_published_at >= $1 \
             ORDER BY first_published_at DESC, id DESC LIMIT $2",
        ).bind(since).bind(limit).fetch_all(p).await)?;
        rows.into_iter().map(SitemapDbRow::into_row).collect()
    }

    /// The editor-pinned top stories, in pinned order.
    pub async fn top_stories(&self, limit: i64) -> Result<Vec<ArticleCard>> {
        let sql = format!(
            "SELECT {CARD_COLUMNS} FROM articles a WHERE a.status = 'published' AND a.top_rank IS NOT NULL \
             ORDER BY a.top_rank, a.first_published_at DESC LIMIT $1"
        );
        let rows: Vec<CardRow> = on_pool!(self, p =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(limit).fetch_all(p).await)?;
        rows.into_iter().map(CardRow::into_card).collect()
    }

    /// The stored related stories of an article, best first; only published.
    pub async fn related_cards(&self, id: Id) -> Result<Vec<ArticleCard>> {
        let sql = format!(
            "SELECT {CARD_COLUMNS} FROM article_related r JOIN articles a ON a.id = r.related_id \
             WHERE r.article_id = $1 AND a.status = 'published' ORDER BY r.rank"
        );
        let rows: Vec<CardRow> = on_pool!(self, p =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_all(p).await)?;
        rows.into_iter().map(CardRow::into_card).collect()
    }

    /// The articles whose stored rail lists `id`.
    pub async fn articles_relating_to(&self, id: Id) -> Result<Vec<Id>> {
        let rows: Vec<(i64,)> = on_pool!(self, p => sqlx::query_as(
            "SELECT article_id FROM article_related WHERE related_id = $1 ORDER BY article_id",
        ).bind(id).fetch_all(p).await)?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The stored related article ids of an article with their scores.
    pub async fn related_ids(&self, id: Id) -> Result<Vec<(Id, f64)>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT related_id, score FROM article_related WHERE article_id = $1 ORDER BY rank",
        ).bind(id).fetch_all(p).await)?)
    }

    /// Public paths of the published articles among `ids`.
    pub async fn article_paths(&self, ids: &[Id]) -> Result<HashMap<Id, String>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT id, path FROM articles WHERE status = 'published' AND id IN ({})",
            placeholders(1, ids.len())
        );
        let rows: Vec<(i64, String)> = on_pool!(self, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(p).await
        })?;
        Ok(rows.into_iter().collect())
    }

    /// Number of published articles.
    pub async fn count_published(&self) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, p => sqlx::query_as(
            "SELECT COUNT(*) FROM articles WHERE status = 'published'").fetch_one(p).await)?;
        Ok(n)
    }

    /// The newest update time over published articles (for freshness headers).
    pub async fn last_published_change(&self) -> Result<Option<DateTime<Utc>>> {
        let (t,): (Option<DateTime<Utc>>,) = on_pool!(self, p => sqlx::query_as(
            "SELECT MAX(updated_at) FROM articles WHERE status = 'published'").fetch_one(p).await)?;
        Ok(t)
    }

    /// What the related-articles scorer knows of every published article.
    pub async fn related_candidates(&self) -> Result<Vec<Candidate>> {
        type Row = (i64, Option<i64>, Option<i64>, Option<DateTime<Utc>>, String);
        let (rows, tags): (Vec<Row>, Vec<(i64, i64)>) = on_pool!(self, p => {
            let rows = sqlx::query_as(
                "SELECT id, section_id, story_id, first_published_at, terms FROM articles \
                 WHERE status = 'published' ORDER BY id",
            ).fetch_all(p).await?;
            let tags = sqlx::query_as(
                "SELECT t.article_id, t.tag_id FROM article_tags t JOIN articles a ON a.id = t.article_id \
                 WHERE a.status = 'published'",
            ).fetch_all(p).await?;
            (rows, tags)
        });
        let mut tag_map: HashMap<Id, Vec<Id>> = HashMap::new();
        for (a, t) in tags {
            tag_map.entry(a).or_default().push(t);
        }
        rows.into_iter()
            .map(|(id, section_id, story_id, published, terms)| {
                let terms: Vec<Term> = from_json(|| format!("article {id} terms"), &terms)?;
                Ok(Candidate {
                    id,
                    section_id,
                    story_id,
                    tags: tag_map.remove(&id).unwrap_or_default(),
                    published_at: published.unwrap_or_default(),
                    terms,
                })
            })
            .collect()
    }

    async fn store_related(&self, lists: &[(Id, Vec<(Id, f64)>)]) -> Result<()> {
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            for (id, list) in lists {
                sqlx::query("DELETE FROM article_related WHERE article_id = $1").bind(*id).execute(&mut *tx).await?;
                for (rank, (rid, score)) in list.iter().enumerate() {
                    sqlx::query("INSERT INTO article_related (article_id, rank, related_id, score) VALUES ($1, $2, $3, $4)")
                        .bind(*id).bind(rank as i32).bind(*rid).bind(*score)
                        .execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Recomputes the related stories of `id` and of every article that now
    /// ranks it, or used to rank it, among their own. Returns the other
    /// articles whose lists changed (their pages show the change).
    pub async fn recompute_related(&self, id: Id) -> Result<Vec<Id>> {
        let candidates = self.related_candidates().await?;
        let index = RelatedIndex::build(&candidates);
        let mine: Vec<(Id, f64)> =
            index.related(id, RAIL_SIZE).into_iter().map(|s| (s.id, s.score)).collect();
        let mut targets: Vec<Id> = mine.iter().map(|(rid, _)| *rid).collect();
        let previously: Vec<(i64,)> = on_pool!(self, p => sqlx::query_as(
            "SELECT article_id FROM article_related WHERE related_id = $1").bind(id).fetch_all(p).await)?;
        targets.extend(previously.into_iter().map(|r| r.0));
        targets.sort_unstable();
        targets.dedup();
        let mut lists = vec![(id, mine)];
        let mut changed = Vec::new();
        for t in targets.into_iter().filter(|t| *t != id) {
            let l: Vec<(Id, f64)> =
                index.related(t, RAIL_SIZE).into_iter().map(|s| (s.id, s.score)).collect();
            let before: Vec<Id> = self.related_ids(t).await?.into_iter().map(|r| r.0).collect();
            if before != l.iter().map(|r| r.0).collect::<Vec<_>>() {
                changed.push(t);
            }
            lists.push((t, l));
        }
        self.store_related(&lists).await?;
        Ok(changed)
    }

    /// Recomputes the related stories of every published article (after a
    /// bulk load). Cost grows roughly linearly with the number of articles.
    pub async fn rebuild_all_related(&self) -> Result<usize> {
        let candidates = self.related_candidates().await?;
        let index = RelatedIndex::build(&candidates);
        let lists: Vec<(Id, Vec<(Id, f64)>)> = candidates
            .iter()
            .map(|c| {
                (
                    c.id,
                    index.related(c.id, RAIL_SIZE).into_iter().map(|s| (s.id, s.score)).collect(),
                )
            })
            .collect();
        for chunk in lists.chunks(500) {
            self.store_related(chunk).await?;
        }
        Ok(lists.len())
    }
}
