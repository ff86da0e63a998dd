//! Storage for related stories: term postings, scorer profiles and rails.
//!
//! Each published article's term profile is kept as postings (term →
//! article, weight) keyed by term and newest first, so the application
//! layer can score one article by reading only the newest articles that
//! share its terms. The scoring itself is in `newsdesk_content::related`;
//! these functions only read and write.

use crate::tx::on_tx;
use crate::{Backend, DbError, MAX_BIND, Result, Tx, from_json, placeholders};
use chrono::{DateTime, Utc};
use newsdesk_content::related::{Features, Posting, Term};
use newsdesk_core::Id;
use std::collections::HashMap;

/// A term of an article's profile as the postings know it.
#[derive(Debug, Clone, PartialEq)]
pub struct TermStat {
    /// The term's row id.
    pub id: i64,
    /// The term.
    pub term: String,
    /// Its weight in the article's profile.
    pub weight: f32,
    /// In how many published articles it appears.
    pub df: i64,
}

/// What the scorer knows of a published article besides its terms.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileRow {
    /// Section, story, tags and publication time.
    pub features: Features,
    /// Length of its tf-idf vector when it was indexed.
    pub norm: f64,
    /// Score of the last story in its rail when the rail is full, else 0:
    /// a new article enters the rail exactly when it scores above this.
    pub floor: f64,
}

/// Alias kept for readers of the store API.
pub type RelatedFeatures = Features;

/// A posting as stored.
pub type PostingRow = Posting;

#[derive(sqlx::FromRow)]
struct ProfileDbRow {
    article_id: i64,
    section_id: Option<i64>,
    story_id: Option<i64>,
    published_at: DateTime<Utc>,
    tags: String,
    norm: f64,
    floor: f64,
}

impl From<ProfileDbRow> for ProfileRow {
    fn from(r: ProfileDbRow) -> ProfileRow {
        ProfileRow {
            features: Features {
                id: r.article_id,
                section_id: r.section_id,
                story_id: r.story_id,
                tags: r.tags.split(' ').filter_map(|t| t.parse().ok()).collect(),
                published_at: r.published_at,
            },
            norm: r.norm,
            floor: r.floor,
        }
    }
}

fn tags_text(tags: &[Id]) -> String {
    tags.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" ")
}

const PROFILE_COLUMNS: &str = "article_id, section_id, story_id, published_at, tags, norm, floor";

impl Tx {
    /// Adds an article's terms to the postings, counting it in each term's
    /// document frequency and in the number of published articles. Returns
    /// its terms with their ids and new frequencies, and that number.
    pub async fn index_terms(
        &mut self,
        id: Id,
        published_at: DateTime<Utc>,
        terms: &[Term],
    ) -> Result<(Vec<TermStat>, i64)> {
        let mut stats = Vec::with_capacity(terms.len());
        // Rows are locked in term order by every writer, so two publishes
        // that share terms cannot deadlock.
        let mut terms: Vec<&Term> = terms.iter().collect();
        terms.sort_by(|a, b| a.0.cmp(&b.0));
        if !terms.is_empty() {
            let values: Vec<String> = (1..=terms.len()).map(|i| format!("(${i}, 1)")).collect();
            let sql = format!(
                "INSERT INTO related_terms (term, df) VALUES {} \
                 ON CONFLICT (term) DO UPDATE SET df = related_terms.df + 1 RETURNING id, term, df",
                values.join(", ")
            );
            let rows: Vec<(i64, String, i64)> = on_tx!(self, c => {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                for Term(t, _) in &terms {
                    q = q.bind(t);
                }
                q.fetch_all(&mut *c).await
            })?;
            let by_term: HashMap<&str, (i64, i64)> =
                rows.iter().map(|(i, t, df)| (t.as_str(), (*i, *df))).collect();
            for Term(t, w) in terms.iter().copied() {
                let &(tid, df) = by_term.get(t.as_str()).ok_or_else(|| DbError::Corrupt {
                    what: format!("related term `{t}`"),
                    message: "the upsert returned no row".into(),
                })?;
                stats.push(TermStat { id: tid, term: t.clone(), weight: *w, df });
            }
            let published = published_at.timestamp();
            let rows: Vec<(i64, i64, Id, f32)> =
                stats.iter().map(|s| (s.id, published, id, s.weight)).collect();
            self.insert_postings(&rows).await?;
        }
        let (n,): (i64,) = on_tx!(self, c => sqlx::query_as(
            "UPDATE counters SET value = value + 1 WHERE name = 'published_articles' RETURNING value",
        ).fetch_one(&mut *c).await)?;
        Ok((stats, n))
    }

    /// Stores the scorer's profile of a published article.
    pub async fn upsert_profile(&mut self, p: &ProfileRow) -> Result<()> {
        let f = &p.features;
        on_tx!(self, c => sqlx::query(
            "INSERT INTO related_profiles (article_id, section_id, story_id, published_at, tags, norm, floor) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (article_id) DO UPDATE SET section_id = $2, story_id = $3, published_at = $4, \
             tags = $5, norm = $6, floor = $7",
        )
        .bind(f.id).bind(f.section_id).bind(f.story_id).bind(f.published_at)
        .bind(tags_text(&f.tags)).bind(p.norm).bind(p.floor)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Takes an article out of the postings, profiles and the published
    /// count. Returns whether it was indexed.
    pub async fn unindex_terms(&mut self, id: Id) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query("DELETE FROM related_profiles WHERE article_id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Ok(false);
        }
        on_tx!(self, c => sqlx::query(
            "UPDATE related_terms SET df = df - 1 \
             WHERE id IN (SELECT term_id FROM related_postings WHERE article_id = $1)",
        ).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        on_tx!(self, c => sqlx::query("DELETE FROM related_postings WHERE article_id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        on_tx!(self, c => sqlx::query(
            "UPDATE counters SET value = value - 1 WHERE name = 'published_articles'",
        ).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(true)
    }

    /// The number of published articles, as the postings count them.
    pub async fn published_count(&mut self) -> Result<i64> {
        let row: Option<(i64,)> = on_tx!(self, c => sqlx::query_as(
            "SELECT value FROM counters WHERE name = 'published_articles'",
        ).fetch_optional(&mut *c).await)?;
        Ok(row.map_or(0, |r| r.0))
    }

    /// An indexed article's terms with their ids, weights and frequencies.
    pub async fn indexed_terms(&mut self, id: Id) -> Result<Vec<TermStat>> {
        let rows: Vec<(i64, String, f64, i64)> = on_tx!(self, c => sqlx::query_as(
            "SELECT t.id, t.term, p.weight, t.df FROM related_postings p \
             JOIN related_terms t ON t.id = p.term_id WHERE p.article_id = $1",
        ).bind(id).fetch_all(&mut *c).await)?;
        Ok(rows
            .into_iter()
            .map(|(id, term, w, df)| TermStat { id, term, weight: w as f32, df })
            .collect())
    }

    /// For each term, the postings of the `per_term` newest articles that
    /// have it, except `exclude`. One statement of one indexed range scan
    /// per term, so the cost does not grow with the archive.
    pub async fn newest_postings(
        &mut self,
        terms: &[i64],
        per_term: i64,
        exclude: Id,
    ) -> Result<Vec<Posting>> {
        let mut out = Vec::new();
        for chunk in terms.chunks(100) {
            let parts: Vec<String> = (0..chunk.len())
                .map(|i| {
                    format!(
                        "SELECT * FROM (SELECT term_id, article_id, weight FROM related_postings \
                         WHERE term_id = ${} AND article_id <> $2 \
                         ORDER BY published DESC LIMIT $1) p{i}",
                        i + 3
                    )
                })
                .collect();
            let sql = parts.join(" UNION ALL ");
            let rows: Vec<(i64, i64, f64)> = on_tx!(self, c => {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(per_term).bind(exclude);
                for t in chunk {
                    q = q.bind(*t);
                }
                q.fetch_all(&mut *c).await
            })?;
            out.extend(rows.into_iter().map(|(term, article, weight)| Posting {
                term,
                article,
                weight: weight as f32,
            }));
        }
        Ok(out)
    }

    /// The scorer profiles of these articles (those not indexed are
    /// skipped).
    pub async fn profiles(&mut self, ids: &[Id]) -> Result<Vec<ProfileRow>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_BIND) {
            let sql = format!(
                "SELECT {PROFILE_COLUMNS} FROM related_profiles WHERE article_id IN ({})",
                placeholders(1, chunk.len())
            );
            let rows: Vec<ProfileDbRow> = on_tx!(self, c => {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(&mut *c).await
            })?;
            out.extend(rows.into_iter().map(ProfileRow::from));
        }
        Ok(out)
    }

    /// The scorer profiles of the published members of a story.
    pub async fn story_profiles(&mut self, story: Id) -> Result<Vec<ProfileRow>> {
        let sql = format!("SELECT {PROFILE_COLUMNS} FROM related_profiles WHERE story_id = $1");
        let rows: Vec<ProfileDbRow> = on_tx!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(story).fetch_all(&mut *c).await)?;
        Ok(rows.into_iter().map(ProfileRow::from).collect())
    }

    /// An article's stored rail: (related id, score), best first.
    pub async fn rail(&mut self, id: Id) -> Result<Vec<(Id, f64)>> {
        Ok(on_tx!(self, c => sqlx::query_as(
            "SELECT related_id, score FROM article_related WHERE article_id = $1 ORDER BY rank",
        ).bind(id).fetch_all(&mut *c).await)?)
    }

    /// Replaces an article's rail and its profile's floor (`full` says
    /// whether the rail holds as many stories as a rail can).
    pub async fn store_rail(&mut self, id: Id, rail: &[(Id, f64)], full: bool) -> Result<()> {
        on_tx!(self, c => sqlx::query("DELETE FROM article_related WHERE article_id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if !rail.is_empty() {
            self.insert_rails(&[(id, rail.to_vec())]).await?;
        }
        let floor = if full { rail.last().map_or(0.0, |r| r.1) } else { 0.0 };
        on_tx!(self, c => sqlx::query("UPDATE related_profiles SET floor = $1 WHERE article_id = $2")
            .bind(floor).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The articles whose rail lists `id`.
    pub async fn listers(&mut self, id: Id) -> Result<Vec<Id>> {
        let rows: Vec<(i64,)> = on_tx!(self, c => sqlx::query_as(
            "SELECT article_id FROM article_related WHERE related_id = $1 ORDER BY article_id",
        ).bind(id).fetch_all(&mut *c).await)?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Removes `id` from every rail and drops its own; returns the articles
    /// whose rail listed it (their rails now have a gap to refill).
    pub async fn remove_from_rails(&mut self, id: Id) -> Result<Vec<Id>> {
        let listers = self.listers(id).await?;
        on_tx!(self, c => sqlx::query("DELETE FROM article_related WHERE related_id = $1 OR article_id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(listers)
    }

    /// Takes the related-stories write lock until this transaction ends.
    ///
    /// Every change to postings, profiles and rails takes it first, so on
    /// PostgreSQL they run one at a time (SQLite's single writer does that by
    /// itself): a neighbours' job cannot overwrite a rail another one just
    /// changed, and writers never lock the same rows in opposite orders.
    /// Readers go on. Publishes are rare enough that waiting costs nothing.
    pub async fn lock_related(&mut self) -> Result<()> {
        if self.backend() == Backend::Postgres && !self.related_locked {
            on_tx!(self, c => sqlx::query("SELECT pg_advisory_xact_lock(7365)")
                .execute(&mut *c).await.map(|r| r.rows_affected()))?;
            self.related_locked = true;
        }
        Ok(())
    }

    /// Empties the postings, terms, profiles and rails, recounts the
    /// published articles, and drops the postings' article index until
    /// [`Tx::finish_related_index`] (the start of a bulk rebuild: loading
    /// into bare tables and indexing once is several times faster).
    pub async fn clear_related_index(&mut self) -> Result<i64> {
        let statements: &[&str] = match self.backend() {
            // Without foreign keys or triggers, a bare DELETE empties a
            // SQLite table in one step; a larger page cache keeps the load
            // off the disk until commit.
            Backend::Sqlite => &[
                "PRAGMA cache_size = -65536",
                "DELETE FROM related_postings",
                "DELETE FROM related_profiles",
                "DELETE FROM related_terms",
                "DROP INDEX related_postings_article",
                "DELETE FROM article_related",
            ],
            // TRUNCATE is instant; pages never read these three tables, so
            // its lock only holds back publishes, which give up after the
            // connection's 10 s lock timeout as "unavailable, try again"
            // (a job retries by itself). Rails are read by pages: DELETE
            // keeps them readable.
            Backend::Postgres => &[
                // A rebuild of a big archive outlasts the usual limit.
                "SET LOCAL statement_timeout = 0",
                "TRUNCATE related_postings, related_profiles, related_terms",
                "DROP INDEX related_postings_article",
                "DELETE FROM article_related",
            ],
        };
        for sql in statements {
            on_tx!(self, c => sqlx::query(sqlx::AssertSqlSafe(*sql)).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        }
        let (n,): (i64,) = on_tx!(self, c => sqlx::query_as(
            "SELECT COUNT(*) FROM articles WHERE status = 'published'").fetch_one(&mut *c).await)?;
        on_tx!(self, c => sqlx::query(
            "INSERT INTO counters (name, value) VALUES ('published_articles', $1) \
             ON CONFLICT (name) DO UPDATE SET value = $1",
        ).bind(n).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }

    /// Rebuilds what [`Tx::clear_related_index`] dropped, once the postings
    /// are loaded.
    pub async fn finish_related_index(&mut self) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "CREATE INDEX related_postings_article ON related_postings (article_id)",
        ).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if self.backend() == Backend::Sqlite {
            on_tx!(self, c => sqlx::query("PRAGMA cache_size = -2000")
                .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    /// Published articles with ids above `after`, oldest id first, at most
    /// `limit`: their features and stored term profiles (for the bulk
    /// rebuild, which pages through the archive instead of loading it).
    pub async fn published_profiles_after(
        &mut self,
        after: Id,
        limit: i64,
    ) -> Result<Vec<(Features, Vec<Term>)>> {
        type Row = (i64, Option<i64>, Option<i64>, Option<DateTime<Utc>>, DateTime<Utc>, String);
        let rows: Vec<Row> = on_tx!(self, c => sqlx::query_as(
            "SELECT id, section_id, story_id, first_published_at, updated_at, terms FROM articles \
             WHERE status = 'published' AND id > $1 ORDER BY id LIMIT $2",
        ).bind(after).bind(limit).fetch_all(&mut *c).await)?;
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else { return Ok(Vec::new()) };
        let (lo, hi) = (first.0, last.0);
        let tag_rows: Vec<(i64, i64)> = on_tx!(self, c => sqlx::query_as(
            "SELECT article_id, tag_id FROM article_tags WHERE article_id BETWEEN $1 AND $2 \
             ORDER BY article_id, position",
        ).bind(lo).bind(hi).fetch_all(&mut *c).await)?;
        let mut tags: HashMap<Id, Vec<Id>> = HashMap::new();
        for (a, t) in tag_rows {
            tags.entry(a).or_default().push(t);
        }
        rows.into_iter()
            .map(|(id, section_id, story_id, first, updated, terms)| {
                let terms: Vec<Term> = from_json(|| format!("article {id} terms"), &terms)?;
                Ok((
                    Features {
                        id,
                        section_id,
                        story_id,
                        tags: tags.remove(&id).unwrap_or_default(),
                        published_at: first.unwrap_or(updated),
                    },
                    terms,
                ))
            })
            .collect()
    }

    /// Writes terms with given ids (bulk rebuild).
    pub async fn insert_terms(&mut self, terms: &[(i64, &str, i64)]) -> Result<()> {
        for chunk in terms.chunks(MAX_BIND / 3) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect();
            let sql =
                format!("INSERT INTO related_terms (id, term, df) VALUES {}", values.join(", "));
            on_tx!(self, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, t, df) in chunk {
                    q = q.bind(*id).bind(*t).bind(*df);
                }
                q.execute(&mut *c).await.map(|r| r.rows_affected())
            })?;
        }
        if self.backend() == Backend::Postgres {
            // Explicit ids leave the identity sequence behind; move it past them.
            on_tx!(self, c => sqlx::query(
                "SELECT setval(pg_get_serial_sequence('related_terms', 'id'), \
                 COALESCE((SELECT MAX(id) FROM related_terms), 0) + 1, false)",
            ).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    /// Writes postings: (term id, first publication in Unix seconds,
    /// article, weight). Bulk loads pass them in key order (by term), which
    /// turns the inserts into appends.
    pub async fn insert_postings(&mut self, rows: &[(i64, i64, Id, f32)]) -> Result<()> {
        for chunk in rows.chunks(MAX_BIND / 4) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    format!("(${}, ${}, ${}, ${})", 4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4)
                })
                .collect();
            let sql = format!(
                "INSERT INTO related_postings (term_id, published, article_id, weight) VALUES {}",
                values.join(", ")
            );
            on_tx!(self, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (t, at, a, w) in chunk {
                    q = q.bind(*t).bind(*at).bind(*a).bind(f64::from(*w));
                }
                q.execute(&mut *c).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }

    /// Writes profiles (bulk rebuild).
    pub async fn insert_profiles(&mut self, rows: &[ProfileRow]) -> Result<()> {
        for chunk in rows.chunks(MAX_BIND / 7) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let b = 7 * i;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO related_profiles ({PROFILE_COLUMNS}) VALUES {}",
                values.join(", ")
            );
            on_tx!(self, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for p in chunk {
                    let f = &p.features;
                    q = q.bind(f.id).bind(f.section_id).bind(f.story_id).bind(f.published_at)
                        .bind(tags_text(&f.tags)).bind(p.norm).bind(p.floor);
                }
                q.execute(&mut *c).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }

    /// Writes rails: (article, [(related, score)] best first).
    pub async fn insert_rails(&mut self, rails: &[(Id, Vec<(Id, f64)>)]) -> Result<()> {
        let rows: Vec<(Id, i32, Id, f64)> = rails
            .iter()
            .flat_map(|(id, list)| {
                list.iter().enumerate().map(move |(rank, (r, s))| (*id, rank as i32, *r, *s))
            })
            .collect();
        for chunk in rows.chunks(MAX_BIND / 4) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    format!("(${}, ${}, ${}, ${})", 4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4)
                })
                .collect();
            let sql = format!(
                "INSERT INTO article_related (article_id, rank, related_id, score) VALUES {}",
                values.join(", ")
            );
            on_tx!(self, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (a, rank, r, s) in chunk {
                    q = q.bind(*a).bind(*rank).bind(*r).bind(*s);
                }
                q.execute(&mut *c).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }
}

impl crate::Database {
    /// Every published article as the scorer sees it, profiles included, in
    /// memory (for evaluations and tests; the rebuild pages instead).
    pub async fn related_candidates(&self) -> Result<Vec<newsdesk_content::related::Candidate>> {
        type Row = (i64, Option<i64>, Option<i64>, Option<DateTime<Utc>>, String);
        let (rows, tags): (Vec<Row>, Vec<(i64, i64)>) = crate::on_pool!(self, p => {
            let rows = sqlx::query_as(
                "SELECT id, section_id, story_id, first_published_at, terms FROM articles \
                 WHERE status = 'published' ORDER BY id",
            ).fetch_all(p).await?;
            let tags = sqlx::query_as(
                "SELECT t.article_id, t.tag_id FROM article_tags t JOIN articles a ON a.id = t.article_id \
                 WHERE a.status = 'published' ORDER BY t.article_id, t.position",
            ).fetch_all(p).await?;
            (rows, tags)
        });
        let mut tag_map: HashMap<Id, Vec<Id>> = HashMap::new();
        for (a, t) in tags {
            tag_map.entry(a).or_default().push(t);
        }
        rows.into_iter()
            .map(|(id, section_id, story_id, published, terms)| {
                Ok(newsdesk_content::related::Candidate {
                    id,
                    section_id,
                    story_id,
                    tags: tag_map.remove(&id).unwrap_or_default(),
                    published_at: published.unwrap_or_default(),
                    terms: from_json(|| format!("article {id} terms"), &terms)?,
                })
            })
            .collect()
    }
}

impl crate::Database {
    /// What the related-stories index holds for an article: its postings,
    /// whether it has a scorer profile, and the published count the index
    /// keeps (for checks and tests).
    pub async fn related_footprint(&self, id: Id) -> Result<(i64, bool, i64)> {
        let (postings, profiles, counter): (i64, i64, Option<i64>) = crate::on_pool!(self, p => sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM related_postings WHERE article_id = $1), \
             (SELECT COUNT(*) FROM related_profiles WHERE article_id = $1), \
             (SELECT value FROM counters WHERE name = 'published_articles')",
        ).bind(id).fetch_one(p).await)?;
        Ok((postings, profiles > 0, counter.unwrap_or(0)))
    }
}
