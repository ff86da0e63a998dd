//! The back office's reads: every article whatever its status, filtered and
//! a page at a time.

use crate::{Database, DbError, Result, from_json, on_pool};
use chrono::{DateTime, Utc};
use newsdesk_core::{ArticleStatus, Byline, Id};

/// Which articles the desk lists. Every set field narrows the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeskFilter {
    /// Only this status.
    pub status: Option<ArticleStatus>,
    /// Only this section.
    pub section_id: Option<Id>,
    /// Only articles with this author in the bylines.
    pub author_id: Option<Id>,
    /// Only articles with this tag.
    pub tag_id: Option<Id>,
    /// Only articles this user created or whose bylines name this author.
    pub mine: Option<(Id, Option<Id>)>,
    /// Words that must all appear in the headline or slug (any case); the
    /// standfirst stays out, as the list shows only headlines to everyone.
    pub query: String,
    /// Only articles older than this id (the keyset of the next page).
    pub before: Option<Id>,
    /// Order by the scheduled time, soonest first, instead of newest id.
    pub by_schedule: bool,
    /// Order by first publication, newest first.
    pub by_publication: bool,
}

/// One line of the desk's article list.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskRow {
    /// Article id.
    pub id: Id,
    /// Display headline.
    pub headline: String,
    /// Status.
    pub status: ArticleStatus,
    /// Section.
    pub section_id: Option<Id>,
    /// Credit lines.
    pub bylines: Vec<Byline>,
    /// Public path, once published.
    pub path: Option<String>,
    /// When readers were last told it changed.
    pub updated_at: DateTime<Utc>,
    /// First publication.
    pub first_published_at: Option<DateTime<Utc>>,
    /// When it is scheduled to go live.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Version (what the next save must be based on).
    pub version: i32,
}

/// One change in the newsroom's recent activity.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Activity {
    /// The article.
    pub article_id: i64,
    /// Its headline now.
    pub headline: String,
    /// The version the change made.
    pub version: i32,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// Why: `save`, `publish`, …
    pub reason: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    headline: String,
    status: String,
    section_id: Option<i64>,
    bylines: String,
    path: Option<String>,
    updated_at: DateTime<Utc>,
    first_published_at: Option<DateTime<Utc>>,
    scheduled_at: Option<DateTime<Utc>>,
    version: i32,
}

enum Arg {
    Int(i64),
    Text(String),
}

/// `%` and `_` in a LIKE pattern match only themselves.
fn like_pattern(word: &str) -> String {
    let mut p = String::from("%");
    for c in word.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl Database {
    /// Articles for the desk, `limit` at a time: newest first (keyset on the
    /// id), or by schedule or publication as the filter asks.
    pub async fn desk_articles(&self, f: &DeskFilter, limit: i64) -> Result<Vec<DeskRow>> {
        let mut cond = vec!["1 = 1".to_owned()];
        let mut args: Vec<Arg> = Vec::new();
        let arg = |a: Arg, args: &mut Vec<Arg>| {
            args.push(a);
            format!("${}", args.len())
        };
        if let Some(s) = f.status {
            let p = arg(Arg::Text(s.as_str().into()), &mut args);
            cond.push(format!("a.status = {p}"));
        }
        if let Some(id) = f.section_id {
            let p = arg(Arg::Int(id), &mut args);
            cond.push(format!("a.section_id = {p}"));
        }
        if let Some(id) = f.author_id {
            let p = arg(Arg::Int(id), &mut args);
            cond.push(format!(
                "EXISTS (SELECT 1 FROM article_authors x WHERE x.article_id = a.id AND x.author_id = {p})"
            ));
        }
        if let Some(id) = f.tag_id {
            let p = arg(Arg::Int(id), &mut args);
            cond.push(format!(
                "EXISTS (SELECT 1 FROM article_tags x WHERE x.article_id = a.id AND x.tag_id = {p})"
            ));
        }
        if let Some((user, author)) = f.mine {
            let u = arg(Arg::Int(user), &mut args);
            let by_author = match author {
                Some(author) => {
                    let p = arg(Arg::Int(author), &mut args);
                    format!(
                        " OR EXISTS (SELECT 1 FROM article_authors x WHERE x.article_id = a.id AND x.author_id = {p})"
                    )
                }
                None => String::new(),
            };
            cond.push(format!(
                "(EXISTS (SELECT 1 FROM article_revisions r WHERE r.article_id = a.id \
                 AND r.version = 1 AND r.actor_id = {u}){by_author})"
            ));
        }
        for word in f.query.split_whitespace().take(8) {
            let p = arg(Arg::Text(like_pattern(word)), &mut args);
            cond.push(format!(
                "(LOWER(a.headline) LIKE {p} ESCAPE '\\' OR a.slug LIKE {p} ESCAPE '\\')"
            ));
        }
        if let Some(before) = f.before {
            let p = arg(Arg::Int(before), &mut args);
            cond.push(format!("a.id < {p}"));
        }
        let order = if f.by_schedule {
            "a.scheduled_at, a.id DESC"
        } else if f.by_publication {
            "a.first_published_at DESC, a.id DESC"
        } else {
            "a.id DESC"
        };
        let limit_p = arg(Arg::Int(limit), &mut args);
        let sql = format!(
            "SELECT a.id, a.headline, a.status, a.section_id, a.bylines, a.path, a.updated_at, \
             a.first_published_at, a.scheduled_at, a.version FROM articles a \
             WHERE {} ORDER BY {order} LIMIT {limit_p}",
            cond.join(" AND ")
        );
        let rows: Vec<Row> = on_pool!(self, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for a in &args {
                q = match a {
                    Arg::Int(i) => q.bind(*i),
                    Arg::Text(t) => q.bind(t.clone()),
                };
            }
            q.fetch_all(p).await
        })?;
        rows.into_iter()
            .map(|r| {
                let id = r.id;
                Ok(DeskRow {
                    id,
                    headline: r.headline,
                    status: r.status.parse::<ArticleStatus>().map_err(|message| {
                        DbError::Corrupt { what: format!("article {id} status"), message }
                    })?,
                    section_id: r.section_id,
                    bylines: from_json(|| format!("article {id} bylines"), &r.bylines)?,
                    path: r.path,
                    updated_at: r.updated_at,
                    first_published_at: r.first_published_at,
                    scheduled_at: r.scheduled_at,
                    version: r.version,
                })
            })
            .collect()
    }

    /// The newest `limit` changes to any article, newest first.
    pub async fn recent_activity(&self, limit: i64) -> Result<Vec<Activity>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT r.article_id, a.headline, r.version, r.created_at, r.actor, r.reason \
             FROM article_revisions r JOIN articles a ON a.id = r.article_id \
             ORDER BY r.id DESC LIMIT $1",
        ).bind(limit).fetch_all(p).await)?)
    }
}
