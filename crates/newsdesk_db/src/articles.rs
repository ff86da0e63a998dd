//! Articles: saving, publishing, listing, and their stored related stories.

use crate::error::conflict_on_unique;
use crate::search::SearchDoc;
use crate::tx::on_tx;
use crate::{
    Database, DbError, Exec, Result, Tx, from_json, on_exec, on_pool, placeholders, to_json,
};
use chrono::{DateTime, Utc};
use newsdesk_content::related::term_profile;
use newsdesk_core::{Article, ArticleStatus, Byline, Figure, HeadlineSet, Id};
use std::collections::HashMap;

/// What a list of articles is drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// Which published articles the Content API lists: every set field
/// narrows the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentQuery {
    /// Only this section.
    pub section_id: Option<Id>,
    /// Only articles with this tag.
    pub tag_id: Option<Id>,
    /// Only articles with this author in the bylines.
    pub author_id: Option<Id>,
    /// Only articles following this story.
    pub story_id: Option<Id>,
    /// Only articles changed at or after this time: updated for readers,
    /// or any version saved since.
    pub updated_since: Option<DateTime<Utc>>,
    /// Only articles after this one in the list's order (first publication
    /// and id of the last article of the previous page).
    pub after: Option<(DateTime<Utc>, Id)>,
    /// At most this many.
    pub limit: i64,
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

/// The workflow columns of an article, written together by
/// [`Tx::set_article_state`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleState {
    /// The new status.
    pub status: ArticleStatus,
    /// First publication (kept once set).
    pub first_published_at: Option<DateTime<Utc>>,
    /// Public path (kept once set).
    pub path: Option<String>,
    /// When a scheduled article goes live.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// When readers were last told it changed.
    pub updated_at: DateTime<Utc>,
}

const ARTICLE_COLUMNS: &str = "id, slug, headline, headline_seo, headline_social, headline_teaser, \
    dek, section_id, story_id, lead, body, bylines, sources, corrections, canonical_url, status, \
    top_rank, first_published_at, updated_at, path, scheduled_at, embargo_until, version";

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
    scheduled_at: Option<DateTime<Utc>>,
    embargo_until: Option<DateTime<Utc>>,
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
            scheduled_at: self.scheduled_at,
            embargo_until: self.embargo_until,
        };
        Ok((article, self.version))
    }
}

/// Runs `sql` on the pool with each of `ids` bound in turn (`$1`, `$2`,
/// … of an `IN` list) and fetches every row.
macro_rules! fetch_with_ids {
    ($db:expr, $sql:expr, $ids:expr) => {
        on_pool!($db, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe($sql));
            for id in crate::padded_ids($ids) {
                q = q.bind(id);
            }
            q.fetch_all(p).await
        })
    };
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

/// A card of an article's stored rail, with the article whose rail it is.
#[derive(sqlx::FromRow)]
struct RailRow {
    rail_of: i64,
    #[sqlx(flatten)]
    card: CardRow,
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

/// The article's term profile as stored in `articles.terms` (JSON).
fn profile(a: &Article) -> String {
    let mut body = String::new();
    for b in &a.body {
        b.push_plain_text(&mut body);
    }
    to_json(&term_profile(&a.headlines.display, &a.dek, &body))
}

/// The author ids of an article's bylines, in order, without repeats.
pub(crate) fn author_ids(a: &Article) -> Vec<Id> {
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

/// The query of a public list of published articles matching `f`
/// (`$1` is the filter's id), newest first (first publication, then id),
/// selecting `cols` of `articles a`, cut to `window` (`LIMIT $2 …`).
///
/// Tag and author lists read their links' copy of the publication time
/// (kept by triggers, see migration 11) from one index, in list order: the
/// rows a page skips cost one index step each, and only the articles it
/// shows are opened (their status checked again). Before, every article of
/// the tag was fetched and sorted for every page.
fn list_query(f: ArticleFilter, cols: &str, window: &str) -> String {
    match list_source(f) {
        ListSource::Links { table, key } => format!(
            "SELECT {cols} FROM (SELECT t.article_id, t.published_at FROM {table} t \
             WHERE t.{key} = $1 AND t.published_at IS NOT NULL \
             ORDER BY t.published_at DESC, t.article_id DESC {window}) t \
             CROSS JOIN articles a WHERE a.id = t.article_id AND a.status = 'published' \
             ORDER BY t.published_at DESC, t.article_id DESC"
        ),
        ListSource::Column(cond) => format!(
            "SELECT {cols} FROM articles a WHERE a.status = 'published' AND {cond} \
             ORDER BY a.first_published_at DESC, a.id DESC {window}"
        ),
    }
}

/// How many published articles match `f` (`$1` is its id); tag and author
/// lists are counted on their links' index alone.
fn count_query(f: ArticleFilter) -> String {
    match list_source(f) {
        ListSource::Links { table, key } => format!(
            "SELECT COUNT(*) FROM {table} t WHERE t.{key} = $1 AND t.published_at IS NOT NULL"
        ),
        ListSource::Column(cond) => {
            format!("SELECT COUNT(*) FROM articles a WHERE a.status = 'published' AND {cond}")
        }
    }
}

/// Where a list's rows are found: a condition on `articles a`, or a link
/// table with its publication-time copy.
enum ListSource {
    Column(&'static str),
    Links { table: &'static str, key: &'static str },
}

fn list_source(f: ArticleFilter) -> ListSource {
    match f {
        ArticleFilter::All => ListSource::Column("$1 = $1"),
        ArticleFilter::Section(_) => ListSource::Column("a.section_id = $1"),
        ArticleFilter::Story(_) => ListSource::Column("a.story_id = $1"),
        ArticleFilter::Tag(_) => ListSource::Links { table: "article_tags", key: "tag_id" },
        ArticleFilter::Author(_) => {
            ListSource::Links { table: "article_authors", key: "author_id" }
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

/// Reads an article and its version, on the pool or in a transaction.
async fn find_versioned(mut ex: Exec<'_>, id: Id) -> Result<(Article, i32)> {
    let sql = format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = $1");
    let row: Option<ArticleRow> = on_exec!(&mut ex, c =>
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(c).await)?;
    let row = row.ok_or_else(|| DbError::not_found(format!("article {id}")))?;
    let (mut a, v) = row.into_article()?;
    let tags: Vec<(i64,)> = on_exec!(&mut ex, c => sqlx::query_as(
        "SELECT tag_id FROM article_tags WHERE article_id = $1 ORDER BY position",
    ).bind(id).fetch_all(c).await)?;
    a.tags = tags.into_iter().map(|r| r.0).collect();
    Ok((a, v))
}

impl Tx {
    /// Deletes a draft that was never public, at `version`, and everything
    /// kept about it (revisions, links, search text, autosaves, presence,
    /// what an importer noted of it). A newer version, or one published
    /// meanwhile, is [`DbError::Stale`] and nothing goes. Its number is
    /// never given to another article.
    pub async fn delete_article(&mut self, id: Id, version: i32) -> Result<()> {
        let gone = on_tx!(self, c => sqlx::query(
            "DELETE FROM articles WHERE id = $1 AND version = $2 AND first_published_at IS NULL \
             AND status IN ('draft', 'review')")
            .bind(id).bind(version).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if gone == 0 {
            return Err(self.stale_or_missing(id).await);
        }
        on_tx!(self, c => sqlx::query("DELETE FROM import_items WHERE kind = 'post' AND local_id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if self.backend() == crate::Backend::Sqlite {
            on_tx!(self, c => sqlx::query("DELETE FROM article_search WHERE rowid = $1")
                .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
            // SQLite numbers a new row one past the highest there is, so
            // the number of the newest article, once deleted, would come
            // back: remember the highest deleted one.
            on_tx!(self, c => sqlx::query(
                "INSERT INTO counters (name, value) VALUES ('articles.highest_deleted', $1) \
                 ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)")
                .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    /// Stores a new article with its tags, authors, search text and term
    /// profile, at version 1; returns its id. The caller (the application
    /// layer) has checked the workflow; status and path are written as given.
    pub async fn insert_article(&mut self, a: &Article) -> Result<Id> {
        let terms = profile(a);
        let lead = a.lead.as_ref().map(to_json);
        let (id,): (i64,) = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO articles (slug, headline, headline_seo, headline_social, headline_teaser, dek, \
             section_id, story_id, lead, body, bylines, sources, corrections, canonical_url, status, \
             top_rank, first_published_at, updated_at, path, scheduled_at, terms, embargo_until, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, 1) \
             RETURNING id",
        )
        .bind(&a.slug).bind(&a.headlines.display).bind(&a.headlines.seo).bind(&a.headlines.social)
        .bind(&a.headlines.teaser).bind(&a.dek).bind(a.section_id).bind(a.story_id).bind(&lead)
        .bind(to_json(&a.body)).bind(to_json(&a.bylines)).bind(to_json(&a.sources))
        .bind(to_json(&a.corrections)).bind(&a.canonical_url).bind(a.status.as_str())
        .bind(a.top_rank).bind(a.first_published_at).bind(a.updated_at).bind(&a.path)
        .bind(a.scheduled_at).bind(&terms).bind(a.embargo_until)
        .fetch_one(&mut *c).await)
        .map_err(|e| match &a.path {
            Some(path) => conflict_on_unique(e, || format!("another article already lives at `{path}`")),
            None => e.into(),
        })?;
        let id = self.never_reused(id).await?;
        self.write_links(id, a).await?;
        let doc = self.search_doc(a).await?;
        self.write_search(id, &doc).await?;
        Ok(id)
    }

    /// The number of an article just inserted as `id`, moved past every
    /// deleted article's when SQLite gave it one of theirs.
    async fn never_reused(&mut self, id: Id) -> Result<Id> {
        if self.backend() != crate::Backend::Sqlite {
            return Ok(id);
        }
        let floor: Option<(i64,)> = on_tx!(self, c => sqlx::query_as(
            "SELECT value FROM counters WHERE name = 'articles.highest_deleted'")
            .fetch_optional(&mut *c).await)?;
        match floor {
            Some((highest,)) if id <= highest => {
                on_tx!(self, c => sqlx::query("UPDATE articles SET id = $2 WHERE id = $1")
                    .bind(id).bind(highest + 1).execute(&mut *c).await.map(|r| r.rows_affected()))?;
                Ok(highest + 1)
            }
            _ => Ok(id),
        }
    }

    /// Saves what an article says (every field but status, path, first
    /// publication and schedule) over `expected_version`, with its tags,
    /// authors, search text and term profile. Returns the new version.
    ///
    /// A stale edit (someone saved in between) is refused with
    /// [`DbError::Stale`] and changes nothing, so the caller can keep the
    /// editor's text and show the conflict.
    pub async fn update_article(&mut self, a: &Article, expected_version: i32) -> Result<i32> {
        self.write_article(a, expected_version, true).await
    }

    /// Writes what an article says over `version` without making a new
    /// version: a draft kept by autosave that nobody has saved yet is
    /// rewritten as it is typed.
    pub async fn rewrite_article(&mut self, a: &Article, version: i32) -> Result<()> {
        self.write_article(a, version, false).await.map(|_| ())
    }

    async fn write_article(
        &mut self,
        a: &Article,
        expected_version: i32,
        bump: bool,
    ) -> Result<i32> {
        let terms = profile(a);
        let lead = a.lead.as_ref().map(to_json);
        let sql = format!(
            "UPDATE articles SET slug = $1, headline = $2, headline_seo = $3, headline_social = $4, \
             headline_teaser = $5, dek = $6, section_id = $7, story_id = $8, lead = $9, body = $10, \
             bylines = $11, sources = $12, corrections = $13, canonical_url = $14, top_rank = $15, \
             updated_at = $16, terms = $17, embargo_until = $20, version = version{} \
             WHERE id = $18 AND version = $19 RETURNING version",
            if bump { " + 1" } else { "" }
        );
        let row: Option<(i32,)> = on_tx!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(&a.slug).bind(&a.headlines.display).bind(&a.headlines.seo).bind(&a.headlines.social)
        .bind(&a.headlines.teaser).bind(&a.dek).bind(a.section_id).bind(a.story_id).bind(&lead)
        .bind(to_json(&a.body)).bind(to_json(&a.bylines)).bind(to_json(&a.sources))
        .bind(to_json(&a.corrections)).bind(&a.canonical_url).bind(a.top_rank)
        .bind(a.updated_at).bind(&terms).bind(a.id).bind(expected_version).bind(a.embargo_until)
        .fetch_optional(&mut *c).await)?;
        let Some((version,)) = row else {
            return Err(self.stale_or_missing(a.id).await);
        };
        self.write_links(a.id, a).await?;
        let doc = self.search_doc(a).await?;
        self.write_search(a.id, &doc).await?;
        Ok(version)
    }

    /// Writes the workflow columns over `expected_version`; returns the new
    /// version. A path another article holds is a [`DbError::Conflict`] on
    /// `articles.path`.
    pub async fn set_article_state(
        &mut self,
        id: Id,
        state: &ArticleState,
        expected_version: i32,
    ) -> Result<i32> {
        let row: Option<(i32,)> = on_tx!(self, c => sqlx::query_as(
            "UPDATE articles SET status = $1, first_published_at = $2, path = $3, scheduled_at = $4, \
             updated_at = $5, version = version + 1 WHERE id = $6 AND version = $7 RETURNING version",
        )
        .bind(state.status.as_str()).bind(state.first_published_at).bind(&state.path)
        .bind(state.scheduled_at).bind(state.updated_at).bind(id).bind(expected_version)
        .fetch_optional(&mut *c).await)
        .map_err(|e| match &state.path {
            Some(path) => conflict_on_unique(e, || format!("another article already lives at `{path}`")),
            None => e.into(),
        })?;
        match row {
            Some((v,)) => Ok(v),
            None => Err(self.stale_or_missing(id).await),
        }
    }

    /// Why a guarded update matched no row: the article is gone, or it has
    /// moved on to another version.
    async fn stale_or_missing(&mut self, id: Id) -> DbError {
        let row: Result<Option<(i32,)>> = on_tx!(self, c => sqlx::query_as(
            "SELECT version FROM articles WHERE id = $1").bind(id).fetch_optional(&mut *c).await)
        .map_err(DbError::from);
        match row {
            Ok(Some((current_version,))) => DbError::Stale { current_version },
            Ok(None) => DbError::not_found(format!("article {id}")),
            Err(e) => e,
        }
    }

    /// The stored article and its version, as this transaction sees it.
    pub async fn find_article_versioned(&mut self, id: Id) -> Result<(Article, i32)> {
        find_versioned(Exec::Tx(self), id).await
    }

    /// The sections, stories, tags and authors `a` names that do not exist,
    /// as (field, id).
    pub async fn missing_references(&mut self, a: &Article) -> Result<Vec<(&'static str, Id)>> {
        let mut missing = Vec::new();
        let authors = author_ids(a);
        let lists: [(&'static str, &'static str, Vec<Id>); 4] = [
            ("section_id", "sections", a.section_id.into_iter().collect()),
            ("story_id", "stories", a.story_id.into_iter().collect()),
            ("tags", "tags", a.tags.clone()),
            ("bylines", "authors", authors),
        ];
        for (field, table, ids) in lists {
            if ids.is_empty() {
                continue;
            }
            for chunk in ids.chunks(crate::MAX_BIND) {
                let sql = format!(
                    "SELECT id FROM {table} WHERE id IN ({})",
                    placeholders(1, chunk.len())
                );
                let found: Vec<(i64,)> = on_tx!(self, c => {
                    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    q.fetch_all(&mut *c).await
                })?;
                missing.extend(
                    chunk
                        .iter()
                        .filter(|id| !found.iter().any(|f| f.0 == **id))
                        .map(|id| (field, *id)),
                );
            }
        }
        Ok(missing)
    }

    /// The slug of a section.
    pub async fn section_slug(&mut self, id: Id) -> Result<String> {
        let row: Option<(String,)> = on_tx!(self, c => sqlx::query_as(
            "SELECT slug FROM sections WHERE id = $1").bind(id).fetch_optional(&mut *c).await)?;
        row.map(|r| r.0).ok_or_else(|| DbError::not_found(format!("section {id}")))
    }

    /// Replaces an article's tag and author rows.
    async fn write_links(&mut self, id: Id, a: &Article) -> Result<()> {
        on_tx!(self, c => sqlx::query("DELETE FROM article_tags WHERE article_id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if !a.tags.is_empty() {
            let values: Vec<String> =
                (0..a.tags.len()).map(|i| format!("($1, ${}, {i})", i + 2)).collect();
            let sql = format!(
                "INSERT INTO article_tags (article_id, tag_id, position) VALUES {}",
                values.join(", ")
            );
            on_tx!(self, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
                for t in &a.tags {
                    q = q.bind(*t);
                }
                q.execute(&mut *c).await.map(|r| r.rows_affected())
            })?;
        }
        on_tx!(self, c => sqlx::query("DELETE FROM article_authors WHERE article_id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        let authors = author_ids(a);
        if !authors.is_empty() {
            let values: Vec<String> =
                (0..authors.len()).map(|i| format!("($1, ${}, {i})", i + 2)).collect();
            let sql = format!(
                "INSERT INTO article_authors (article_id, author_id, position) VALUES {}",
                values.join(", ")
            );
            on_tx!(self, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
                for au in &authors {
                    q = q.bind(*au);
                }
                q.execute(&mut *c).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }

    /// The search text of an article, with its tag and author names.
    async fn search_doc(&mut self, a: &Article) -> Result<SearchDoc> {
        let tags = crate::search::names(Exec::Tx(self), "tags", &a.tags).await?;
        let authors = crate::search::names(Exec::Tx(self), "authors", &author_ids(a)).await?;
        Ok(SearchDoc::new(a, &tags, &authors))
    }
}

impl Database {
    /// The stored article and its version.
    pub async fn find_article_versioned(&self, id: Id) -> Result<(Article, i32)> {
        find_versioned(Exec::Db(self), id).await
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
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(path).fetch_optional(p).await)?;
        let Some(row) = row else { return Ok(None) };
        let (mut a, _) = row.into_article()?;
        a.tags = self.tags_of(&[a.id]).await?.remove(&a.id).unwrap_or_default();
        Ok(Some(a))
    }

    /// The tag ids of each article among `ids`, in the editor's order.
    async fn tags_of(&self, ids: &[Id]) -> Result<HashMap<Id, Vec<Id>>> {
        self.ids_by_article(
            "SELECT article_id, tag_id FROM article_tags WHERE article_id",
            "ORDER BY article_id, position",
            ids,
        )
        .await
    }

    /// The `(article, id)` rows of `select … IN (ids) order` by article,
    /// each article's ids in the order the query gives them.
    async fn ids_by_article(
        &self,
        select: &str,
        order: &str,
        ids: &[Id],
    ) -> Result<HashMap<Id, Vec<Id>>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!("{select} IN ({}) {order}", placeholders(1, crate::id_slots(ids.len())));
        let rows: Vec<(i64, i64)> = fetch_with_ids!(self, sql, ids)?;
        let mut out: HashMap<Id, Vec<Id>> = HashMap::new();
        for (article, id) in rows {
            out.entry(article).or_default().push(id);
        }
        Ok(out)
    }

    /// Published articles matching `filter`, newest first, without a count
    /// (for blocks that show a few and link to the list).
    pub async fn list_cards(
        &self,
        filter: ArticleFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ArticleCard>> {
        let sql = list_query(filter, CARD_COLUMNS, "LIMIT $2 OFFSET $3");
        let rows: Vec<CardRow> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(filter_id(filter)).bind(limit).bind(offset).fetch_all(p).await)?;
        rows.into_iter().map(CardRow::into_card).collect()
    }

    /// One page of published articles matching `filter`, newest first, with
    /// the total for pagination.
    pub async fn list_cards_page(
        &self,
        filter: ArticleFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Page<ArticleCard>> {
        let items = self.list_cards(filter, limit, offset).await?;
        let (total,): (i64,) = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(count_query(filter)))
            .bind(filter_id(filter)).fetch_one(p).await)?;
        Ok(Page { items, total })
    }

    /// The newest `per_section` published articles of each section in
    /// `sections`, in one query (the home page's section blocks).
    pub async fn section_fronts(
        &self,
        sections: &[Id],
        per_section: i64,
    ) -> Result<HashMap<Id, Vec<ArticleCard>>> {
        if sections.is_empty() {
            return Ok(HashMap::new());
        }
        // One indexed LIMIT per section, glued with UNION ALL: the cost of
        // each part does not grow with the archive.
        let parts: Vec<String> = (0..sections.len())
            .map(|i| {
                format!(
                    "SELECT * FROM (SELECT {CARD_COLUMNS} FROM articles a \
                     WHERE a.status = 'published' AND a.section_id = ${} \
                     ORDER BY a.first_published_at DESC, a.id DESC LIMIT $1) s{i}",
                    i + 2
                )
            })
            .collect();
        let sql = parts.join(" UNION ALL ");
        let rows: Vec<CardRow> = on_pool!(self, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(per_section);
            for s in sections {
                q = q.bind(*s);
            }
            q.fetch_all(p).await
        })?;
        let mut out: HashMap<Id, Vec<ArticleCard>> = HashMap::new();
        for r in rows {
            let card = r.into_card()?;
            out.entry(card.section_id.unwrap_or_default()).or_default().push(card);
        }
        Ok(out)
    }

    /// The newest `limit` published articles matching `filter`, whole (for
    /// feeds), newest first. Two queries whatever the count.
    pub async fn list_articles(&self, filter: ArticleFilter, limit: i64) -> Result<Vec<Article>> {
        let cols: String = ARTICLE_COLUMNS
            .split(", ")
            .map(|c| format!("a.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = list_query(filter, &cols, "LIMIT $2");
        let rows: Vec<ArticleRow> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(filter_id(filter)).bind(limit).fetch_all(p).await)?;
        self.with_tags(rows).await
    }

    /// The ids of what [`Database::list_articles`] would return, in its
    /// order: for a caller that keeps the articles it has already read.
    pub async fn list_article_ids(&self, filter: ArticleFilter, limit: i64) -> Result<Vec<Id>> {
        let sql = list_query(filter, "a.id", "LIMIT $2");
        let rows: Vec<(i64,)> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(filter_id(filter)).bind(limit).fetch_all(p).await)?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Articles from their rows, with their tags (one more query).
    async fn with_tags(&self, rows: Vec<ArticleRow>) -> Result<Vec<Article>> {
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(row.into_article()?.0);
        }
        let ids: Vec<Id> = out.iter().map(|a| a.id).collect();
        let mut tags = self.tags_of(&ids).await?;
        for a in &mut out {
            a.tags = tags.remove(&a.id).unwrap_or_default();
        }
        Ok(out)
    }

    /// A page of published articles for the Content API, newest first
    /// (first publication, then id), every filter of `q` applied, starting
    /// after the keyset `q.after`. Two queries whatever the count. Articles
    /// published while a client pages go to the top, so the pages after the
    /// first never skip or repeat one.
    pub async fn content_articles(&self, q: &ContentQuery) -> Result<Vec<Article>> {
        let cols: String = ARTICLE_COLUMNS
            .split(", ")
            .map(|c| format!("a.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let mut cond = vec!["a.status = 'published'".to_owned()];
        let mut n = 1;
        let mut next = || {
            n += 1;
            n - 1
        };
        let mut ids: Vec<i64> = Vec::new();
        if let Some(id) = q.section_id {
            cond.push(format!("a.section_id = ${}", next()));
            ids.push(id);
        }
        if let Some(id) = q.story_id {
            cond.push(format!("a.story_id = ${}", next()));
            ids.push(id);
        }
        if let Some(id) = q.tag_id {
            cond.push(format!(
                "a.id IN (SELECT article_id FROM article_tags WHERE tag_id = ${})",
                next()
            ));
            ids.push(id);
        }
        if let Some(id) = q.author_id {
            cond.push(format!(
                "a.id IN (SELECT article_id FROM article_authors WHERE author_id = ${})",
                next()
            ));
            ids.push(id);
        }
        let since = q.updated_since.map(|t| (next(), t));
        if let Some((i, _)) = since {
            // Changed: told to readers as an update, or any saved version
            // since (an edit not flagged as an update, a restore).
            cond.push(format!(
                "(a.updated_at >= ${i} OR EXISTS (SELECT 1 FROM article_revisions r \
                 WHERE r.article_id = a.id AND r.created_at >= ${i}))"
            ));
        }
        let after = q.after.map(|(t, id)| (next(), next(), t, id));
        if let Some((i, j, _, _)) = after {
            cond.push(format!(
                "(a.first_published_at < ${i} OR (a.first_published_at = ${i} AND a.id < ${j}))"
            ));
        }
        let limit = next();
        let sql = format!(
            "SELECT {cols} FROM articles a WHERE {} \
             ORDER BY a.first_published_at DESC, a.id DESC LIMIT ${limit}",
            cond.join(" AND ")
        );
        let rows: Vec<ArticleRow> = on_pool!(self, p => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for id in &ids {
                query = query.bind(*id);
            }
            if let Some((_, t)) = since {
                query = query.bind(t);
            }
            if let Some((_, _, t, id)) = after {
                query = query.bind(t).bind(id);
            }
            query.bind(q.limit).fetch_all(p).await
        })?;
        self.with_tags(rows).await
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
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(p).await)?;
        rows.into_iter().map(CardRow::into_card).collect()
    }

    /// The stored related stories of an article, best first; only published.
    pub async fn related_cards(&self, id: Id) -> Result<Vec<ArticleCard>> {
        Ok(self.related_cards_of(&[id]).await?.remove(&id).unwrap_or_default())
    }

    /// The stored rails of each of `ids` ([`Database::related_cards`]), in
    /// one query whatever their number.
    pub async fn related_cards_of(&self, ids: &[Id]) -> Result<HashMap<Id, Vec<ArticleCard>>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT r.article_id AS rail_of, {CARD_COLUMNS} FROM article_related r \
             JOIN articles a ON a.id = r.related_id \
             WHERE r.article_id IN ({}) AND a.status = 'published' ORDER BY r.article_id, r.rank",
            placeholders(1, crate::id_slots(ids.len()))
        );
        let rows: Vec<RailRow> = fetch_with_ids!(self, sql, ids)?;
        let mut out: HashMap<Id, Vec<ArticleCard>> = HashMap::new();
        for r in rows {
            out.entry(r.rail_of).or_default().push(r.card.into_card()?);
        }
        Ok(out)
    }

    /// The stored rails of each of `ids` as article ids, best first, only
    /// published ones: [`Database::related_cards_of`] without the cards,
    /// for a caller that has most of them already.
    pub async fn related_ids_of(&self, ids: &[Id]) -> Result<HashMap<Id, Vec<Id>>> {
        self.ids_by_article(
            "SELECT r.article_id, r.related_id FROM article_related r \
             JOIN articles a ON a.id = r.related_id \
             WHERE a.status = 'published' AND r.article_id",
            "ORDER BY r.article_id, r.rank",
            ids,
        )
        .await
    }

    /// The cards of the published articles among `ids`, in id order.
    pub async fn published_cards(&self, ids: &[Id]) -> Result<Vec<ArticleCard>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {CARD_COLUMNS} FROM articles a WHERE a.status = 'published' AND a.id IN ({}) \
             ORDER BY a.id",
            placeholders(1, crate::id_slots(ids.len()))
        );
        let rows: Vec<CardRow> = fetch_with_ids!(self, sql, ids)?;
        rows.into_iter().map(CardRow::into_card).collect()
    }

    /// How many published articles each section, tag and author lists,
    /// counted as their list pages count them; lists with none are left
    /// out. Three queries whatever the number of lists.
    pub async fn published_list_sizes(&self) -> Result<Vec<(ArticleFilter, i64)>> {
        let mut out = Vec::new();
        type ListOf = fn(Id) -> ArticleFilter;
        let queries: [(&str, ListOf); 3] = [
            (
                "SELECT section_id, COUNT(*) FROM articles \
                 WHERE status = 'published' AND section_id IS NOT NULL GROUP BY section_id",
                ArticleFilter::Section,
            ),
            (
                "SELECT tag_id, COUNT(*) FROM article_tags \
                 WHERE published_at IS NOT NULL GROUP BY tag_id",
                ArticleFilter::Tag,
            ),
            (
                "SELECT author_id, COUNT(*) FROM article_authors \
                 WHERE published_at IS NOT NULL GROUP BY author_id",
                ArticleFilter::Author,
            ),
        ];
        for (sql, filter) in queries {
            let rows: Vec<(Id, i64)> = on_pool!(self, p => sqlx::query_as(sql).fetch_all(p).await)?;
            out.extend(rows.into_iter().map(|(id, n)| (filter(id), n)));
        }
        Ok(out)
    }

    /// The id and address of every published article that has one, in id
    /// order (the static export builds their pages in batches).
    pub async fn published_article_paths(&self) -> Result<Vec<(Id, String)>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, path FROM articles WHERE status = 'published' AND path IS NOT NULL \
             ORDER BY id",
        ).fetch_all(p).await)?)
    }

    /// The published articles among `ids`, whole with their tags, in id
    /// order: two queries whatever their number.
    pub async fn published_articles(&self, ids: &[Id]) -> Result<Vec<Article>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {ARTICLE_COLUMNS} FROM articles WHERE status = 'published' AND id IN ({}) \
             ORDER BY id",
            placeholders(1, crate::id_slots(ids.len()))
        );
        let rows: Vec<ArticleRow> = fetch_with_ids!(self, sql, ids)?;
        self.with_tags(rows).await
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
            placeholders(1, crate::id_slots(ids.len()))
        );
        let rows: Vec<(i64, String)> = fetch_with_ids!(self, sql, ids)?;
        Ok(rows.into_iter().collect())
    }

    /// The most recently changed articles in any status, newest first, as
    /// (id, status, path, headline, last update), for operators.
    #[allow(clippy::type_complexity)]
    pub async fn recent_articles(
        &self,
        status: Option<ArticleStatus>,
        limit: i64,
    ) -> Result<Vec<(Id, String, Option<String>, String, DateTime<Utc>)>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, status, path, headline, updated_at FROM articles \
             WHERE ($1 IS NULL OR status = $1) ORDER BY updated_at DESC, id DESC LIMIT $2",
        ).bind(status.map(ArticleStatus::as_str)).bind(limit).fetch_all(p).await)?)
    }

    /// Number of published articles.
    pub async fn count_published(&self) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, p => sqlx::query_as(
            "SELECT COUNT(*) FROM articles WHERE status = 'published'").fetch_one(p).await)?;
        Ok(n)
    }

    /// Number of articles in any status.
    pub async fn count_articles(&self) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, p =>
            sqlx::query_as("SELECT COUNT(*) FROM articles").fetch_one(p).await)?;
        Ok(n)
    }

    /// The newest update time over published articles (for freshness headers).
    pub async fn last_published_change(&self) -> Result<Option<DateTime<Utc>>> {
        let (t,): (Option<DateTime<Utc>>,) = on_pool!(self, p => sqlx::query_as(
            "SELECT MAX(updated_at) FROM articles WHERE status = 'published'").fetch_one(p).await)?;
        Ok(t)
    }
}

impl Tx {
    /// Whether `path` is an article's address, now or before a move.
    pub async fn path_taken(&mut self, path: &str) -> Result<bool> {
        let row: Option<(i64,)> = on_tx!(self, c => sqlx::query_as(
            "SELECT CAST(1 AS BIGINT) FROM articles WHERE path = $1 UNION ALL SELECT CAST(1 AS BIGINT) FROM article_redirects WHERE path = $1 LIMIT 1",
        ).bind(path).fetch_optional(&mut *c).await)?;
        Ok(row.is_some())
    }

    /// Sets the slug of article `id` (a draft's slug made unique at its
    /// first publication), keeping its version.
    pub async fn set_article_slug(&mut self, id: Id, slug: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE articles SET slug = $1 WHERE id = $2")
            .bind(slug).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Moves article `id` to `path` (a published article whose slug an
    /// editor changed): `old` answers 301 to it from now on, and `path`
    /// stops being a redirect if it was one.
    pub async fn move_article(
        &mut self,
        id: Id,
        old: &str,
        path: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        // Its own old address it may take back; another article's stays
        // that article's.
        on_tx!(self, c => sqlx::query("DELETE FROM article_redirects WHERE path = $1 AND article_id = $2")
            .bind(path).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if self.path_taken(path).await? {
            return Err(DbError::Conflict {
                constraint: "articles.path".into(),
                message: format!("another article has or had the address {path}"),
            });
        }
        on_tx!(self, c => sqlx::query("UPDATE articles SET path = $1 WHERE id = $2")
            .bind(path).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(|e| {
            conflict_on_unique(e, || format!("another article already has the address {path}"))
        })?;
        on_tx!(self, c => sqlx::query(
            "INSERT INTO article_redirects (path, article_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (path) DO UPDATE SET article_id = excluded.article_id, created_at = excluded.created_at",
        ).bind(old).bind(id).bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}

impl Database {
    /// Where an old address of an article leads: the article's address now
    /// and its status.
    pub async fn redirect(&self, path: &str) -> Result<Option<(String, ArticleStatus)>> {
        let row: Option<(Option<String>, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT a.path, a.status FROM article_redirects r JOIN articles a ON a.id = r.article_id \
             WHERE r.path = $1",
        ).bind(path).fetch_optional(p).await)?;
        Ok(row.and_then(|(path, status)| Some((path?, status.parse().ok()?))))
    }
}
