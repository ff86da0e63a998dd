//! Full-text search over published articles: SQLite FTS5 and PostgreSQL
//! `tsvector` behind one function.
//!
//! The two engines differ in syntax, ranking and snippet functions, so each
//! has its own query below; both stem English words (FTS5's porter
//! tokenizer, PostgreSQL's `english` configuration) and both are written in
//! the same transaction as the article, so a published article is findable
//! the moment the publish commits.
//!
//! Reader input is never passed through as query syntax: [`search_terms`]
//! keeps only words (letters and digits), and each engine receives them as
//! plain terms (quoted FTS5 strings; `plainto_tsquery`). Operators, quotes,
//! column filters and NEAR groups typed into the box are just text.

use crate::articles::{CARD_COLUMNS, CardRow};
use crate::tx::on_tx;
use crate::{ArticleCard, Backend, Database, Exec, Page, Result, Tx, on_exec, on_pool};
use chrono::{DateTime, Utc};
use newsdesk_core::{Article, Byline, Id};

/// Terms used from one query at most; the rest are ignored.
pub const MAX_TERMS: usize = 12;

/// Longest term kept, in characters.
pub const MAX_TERM_CHARS: usize = 40;

/// Marks the start of a matched word in a snippet (a private-use character,
/// so it cannot come from article text or survive HTML escaping unnoticed).
pub const MARK_START: char = '\u{E000}';
/// Marks the end of a matched word in a snippet.
pub const MARK_END: char = '\u{E001}';

/// A search request.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// What the reader typed.
    pub text: String,
    /// Only this section.
    pub section_id: Option<Id>,
    /// Only articles first published at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only articles first published before this time.
    pub until: Option<DateTime<Utc>>,
    /// Page size.
    pub limit: i64,
    /// Results to skip.
    pub offset: i64,
}

/// One result.
#[derive(Debug, Clone)]
pub struct SearchHit {
    /// The article.
    pub card: ArticleCard,
    /// A passage around the match, plain text with [`MARK_START`] and
    /// [`MARK_END`] around matched words.
    pub snippet: String,
}

/// The words of a reader's query: letters and digits only, lower-cased, at
/// most [`MAX_TERMS`] of at most [`MAX_TERM_CHARS`] characters.
pub fn search_terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(MAX_TERM_CHARS).collect::<String>().to_lowercase())
        .take(MAX_TERMS)
        .collect()
}

/// The text of an article as the index sees it, per field.
pub(crate) struct SearchDoc {
    pub headline: String,
    pub dek: String,
    pub body: String,
    pub tags: String,
    pub bylines: String,
}

impl SearchDoc {
    pub(crate) fn new(a: &Article, tag_names: &[String], author_names: &[String]) -> SearchDoc {
        let mut headline = a.headlines.display.clone();
        for h in [&a.headlines.seo, &a.headlines.teaser].into_iter().flatten() {
            headline.push('\n');
            headline.push_str(h);
        }
        let mut body = String::new();
        for b in &a.body {
            b.push_plain_text(&mut body);
        }
        let mut bylines: Vec<String> = author_names.to_vec();
        bylines.extend(a.bylines.iter().filter_map(|b| match b {
            Byline::Credit { text } => Some(text.clone()),
            Byline::Author { .. } => None,
        }));
        SearchDoc {
            headline,
            dek: a.dek.clone(),
            body,
            tags: tag_names.join("\n"),
            bylines: bylines.join("\n"),
        }
    }
}

impl Tx {
    /// Writes `doc` to the search index for article `id`.
    pub(crate) async fn write_search(&mut self, id: Id, doc: &SearchDoc) -> Result<()> {
        match self.backend() {
            Backend::Sqlite => {
                on_tx!(self, c => sqlx::query("DELETE FROM article_search WHERE rowid = $1")
                    .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
                on_tx!(self, c => sqlx::query(
                    "INSERT INTO article_search (rowid, headline, dek, body, tags, bylines) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id).bind(&doc.headline).bind(&doc.dek).bind(&doc.body).bind(&doc.tags).bind(&doc.bylines)
                .execute(&mut *c).await.map(|r| r.rows_affected()))?;
            }
            Backend::Postgres => {
                on_tx!(self, c => sqlx::query(
                    "UPDATE articles SET search = \
                       setweight(to_tsvector('english', $2), 'A') || setweight(to_tsvector('english', $3), 'B') || \
                       setweight(to_tsvector('english', $5 || ' ' || $6), 'C') || setweight(to_tsvector('english', $4), 'D'), \
                     search_text = $3 || E'\\n' || $4 WHERE id = $1",
                )
                .bind(id).bind(&doc.headline).bind(&doc.dek).bind(&doc.body).bind(&doc.tags).bind(&doc.bylines)
                .execute(&mut *c).await.map(|r| r.rows_affected()))?;
            }
        }
        Ok(())
    }
}

/// Names of the rows of `table` with these ids (`tags` or `authors`), in
/// the order of `ids`.
pub(crate) async fn names(
    mut ex: Exec<'_>,
    table: &'static str,
    ids: &[Id],
) -> Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql =
        format!("SELECT id, name FROM {table} WHERE id IN ({})", crate::placeholders(1, ids.len()));
    let rows: Vec<(i64, String)> = on_exec!(&mut ex, c => {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })?;
    Ok(ids
        .iter()
        .filter_map(|id| rows.iter().find(|(i, _)| i == id).map(|(_, n)| n.clone()))
        .collect())
}

impl Database {
    /// Rebuilds the search index of every article (after the migration that
    /// creates it, or to repair it). Returns how many were indexed.
    pub async fn rebuild_search_index(&self) -> Result<usize> {
        let ids: Vec<(i64,)> = on_pool!(self, p => sqlx::query_as("SELECT id FROM articles ORDER BY id").fetch_all(p).await)?;
        for chunk in ids.chunks(500) {
            let mut tx = self.begin().await?;
            for (id,) in chunk {
                let (a, _) = tx.find_article_versioned(*id).await?;
                let tags = names(Exec::Tx(&mut tx), "tags", &a.tags).await?;
                let authors =
                    names(Exec::Tx(&mut tx), "authors", &crate::articles::author_ids(&a)).await?;
                let doc = SearchDoc::new(&a, &tags, &authors);
                tx.write_search(*id, &doc).await?;
            }
            tx.commit().await?;
        }
        Ok(ids.len())
    }

    /// Ranked full-text search over published articles, best first.
    /// An empty query (no words) finds nothing.
    pub async fn search(&self, q: &SearchQuery) -> Result<Page<SearchHit>> {
        let terms = search_terms(&q.text);
        if terms.is_empty() {
            return Ok(Page { items: Vec::new(), total: 0 });
        }
        const FILTERS: &str = "AND a.status = 'published' \
            AND ($2 IS NULL OR a.section_id = $2) \
            AND ($3 IS NULL OR a.first_published_at >= $3) \
            AND ($4 IS NULL OR a.first_published_at < $4)";
        let rows: Vec<(CardRow, String)>;
        let total: i64;
        match &self.pool {
            crate::Pool::Sqlite(p) => {
                // Each term is a quoted FTS5 string: never an operator.
                let expr = terms.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(" ");
                // The full-text match runs first, on its own (MATERIALIZED):
                // joined directly, SQLite may walk every article and probe
                // the index once per row, which at 100k articles takes
                // seconds instead of milliseconds.
                let sql = format!(
                    "WITH hits AS MATERIALIZED ( \
                       SELECT rowid AS id, bm25(article_search, 10.0, 4.0, 1.0, 3.0, 3.0) AS rank \
                       FROM article_search WHERE article_search MATCH $1) \
                     SELECT {CARD_COLUMNS}, '' AS snippet FROM hits JOIN articles a ON a.id = hits.id \
                     WHERE 1 = 1 {FILTERS} \
                     ORDER BY hits.rank, a.first_published_at DESC LIMIT $5 OFFSET $6"
                );
                let found: Vec<SnippetRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(&expr)
                    .bind(q.section_id)
                    .bind(q.from)
                    .bind(q.until)
                    .bind(q.limit)
                    .bind(q.offset)
                    .fetch_all(p)
                    .await?;
                // Snippets only for the page shown.
                let mut snippets: std::collections::HashMap<i64, String> =
                    std::collections::HashMap::new();
                if !found.is_empty() {
                    let snippet_sql = format!(
                        "SELECT rowid, snippet(article_search, -1, char(57344), char(57345), '…', 28) \
                         FROM article_search WHERE article_search MATCH $1 AND rowid IN ({})",
                        crate::placeholders(2, found.len())
                    );
                    let mut query =
                        sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(snippet_sql))
                            .bind(&expr);
                    for r in &found {
                        query = query.bind(r.card.id);
                    }
                    snippets = query.fetch_all(p).await?.into_iter().collect();
                }
                rows = found
                    .into_iter()
                    .map(|r| {
                        let snippet = snippets.remove(&r.card.id).unwrap_or_default();
                        (r.card, snippet)
                    })
                    .collect();
                let count_sql = format!(
                    "WITH hits AS MATERIALIZED (SELECT rowid AS id FROM article_search WHERE article_search MATCH $1) \
                     SELECT COUNT(*) FROM hits JOIN articles a ON a.id = hits.id WHERE 1 = 1 {FILTERS}"
                );
                let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(count_sql))
                    .bind(&expr)
                    .bind(q.section_id)
                    .bind(q.from)
                    .bind(q.until)
                    .fetch_one(p)
                    .await?;
                total = n;
            }
            crate::Pool::Postgres(p) => {
                // plainto_tsquery reads plain words, never operators.
                let words = terms.join(" ");
                // Rank and cut the page first; ts_headline, which re-parses
                // the text, then runs only for the rows shown.
                let sql = format!(
                    "SELECT {CARD_COLUMNS}, \
                       ts_headline('english', coalesce(a.search_text, ''), plainto_tsquery('english', $1), \
                         'StartSel=' || chr(57344) || ', StopSel=' || chr(57345) || ', MaxWords=35, MinWords=15, MaxFragments=1') AS snippet \
                     FROM ( \
                       SELECT a.*, ts_rank_cd(a.search, q) AS rank FROM articles a, plainto_tsquery('english', $1) q \
                       WHERE a.search @@ q {FILTERS} \
                       ORDER BY rank DESC, a.first_published_at DESC LIMIT $5 OFFSET $6) a \
                     ORDER BY a.rank DESC, a.first_published_at DESC"
                );
                let found: Vec<SnippetRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(&words)
                    .bind(q.section_id)
                    .bind(q.from)
                    .bind(q.until)
                    .bind(q.limit)
                    .bind(q.offset)
                    .fetch_all(p)
                    .await?;
                rows = found.into_iter().map(|r| (r.card, r.snippet)).collect();
                let count_sql = format!(
                    "SELECT COUNT(*) FROM articles a, plainto_tsquery('english', $1) q WHERE a.search @@ q {FILTERS}"
                );
                let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(count_sql))
                    .bind(&words)
                    .bind(q.section_id)
                    .bind(q.from)
                    .bind(q.until)
                    .fetch_one(p)
                    .await?;
                total = n;
            }
        }
        let items = rows
            .into_iter()
            .map(|(card, snippet)| Ok(SearchHit { card: card.into_card()?, snippet }))
            .collect::<Result<Vec<_>>>()?;
        Ok(Page { items, total })
    }
}

#[derive(sqlx::FromRow)]
struct SnippetRow {
    #[sqlx(flatten)]
    card: CardRow,
    snippet: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_terms_keep_only_words() {
        assert_eq!(
            search_terms("  \"Water\" OR talks* -Geneva NEAR(a b) col:x "),
            vec!["water", "or", "talks", "geneva", "near", "a", "b", "col", "x"]
        );
        assert!(search_terms("!!! *** \"\" ()").is_empty());
        assert_eq!(search_terms(&"word ".repeat(100)).len(), MAX_TERMS);
        assert_eq!(search_terms(&"x".repeat(500))[0].len(), MAX_TERM_CHARS);
    }
}
