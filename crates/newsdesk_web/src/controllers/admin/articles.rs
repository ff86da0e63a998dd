//! The desk: the dashboard, the article list, the editor and its workflow
//! buttons, revisions and the preview.
//!
//! The editor is a plain form that works without JavaScript: the body is
//! edited as text in [`newsdesk_content::markdown`]'s dialect. Every save
//! carries the version it was based on; a save over someone else's newer
//! version is merged when the two touched different fields or blocks, and
//! otherwise answered with both versions side by side and the editor's
//! text kept in the form. No refusal loses what was typed: every error
//! answers with the editor filled with what was sent.

use super::company::{BEAT_SECONDS, CompanyView};
use super::{
    AdminPage, capitalise, field, form_limited, origin_of, page, query, same_site, see_other,
    signed_in_for,
};
use crate::app::{AppState, Taxonomy};
use crate::error::AppError;
use crate::views;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use newsdesk_app::sessions::{Origin, Session, same_secret};
use newsdesk_app::{Error as UseCaseError, Saved};
use newsdesk_content::markdown;
use newsdesk_core::{
    Action, Article, ArticleStatus, Byline, Figure, HeadlineSet, Id, Problem, Source, SourceKind,
    Tag, authorize, authorize_article, merge_preferring_mine, slugify,
};
use newsdesk_db::{DeskFilter, DeskRow};
use serde::Serialize;

/// Largest editor form read (a long article with every field).
pub const MAX_EDITOR_BYTES: usize = 2 * 1024 * 1024;
/// Articles a page of the list.
pub const LIST_PAGE: i64 = 50;
/// Articles in each list of the dashboard.
pub const DASHBOARD_LIST: i64 = 8;

/// The desk's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(dashboard))
        .route("/admin/articles", get(list))
        .route("/admin/articles/new", get(new_form).post(create))
        .route("/admin/articles/{id}", get(edit_form).post(update))
        .route("/admin/articles/{id}/preview", get(preview))
        .route("/admin/articles/{id}/revisions", get(revisions))
        .route("/admin/articles/{id}/diff", get(diff))
        .route("/admin/articles/{id}/restore", post(restore))
        .route("/admin/articles/{id}/delete", post(delete))
}

#[derive(Serialize)]
struct Row {
    id: Id,
    url: String,
    headline: String,
    status: &'static str,
    section: String,
    bylines: String,
    when: String,
    when_iso: String,
    public_url: Option<String>,
    /// Scheduled for a time more than a minute past and not published: its
    /// publication is failing (`newsdesk jobs list` says why) or no worker
    /// runs.
    overdue: bool,
}

fn byline_names(t: &Taxonomy, bylines: &[Byline]) -> String {
    bylines
        .iter()
        .map(|b| match b {
            Byline::Author { author_id } => t
                .authors
                .get(author_id)
                .map_or_else(|| format!("author {author_id}"), |a| a.name.clone()),
            Byline::Credit { text } => text.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn status_label(s: ArticleStatus) -> &'static str {
    match s {
        ArticleStatus::Draft => "Draft",
        ArticleStatus::Review => "In review",
        ArticleStatus::Scheduled => "Scheduled",
        ArticleStatus::Published => "Published",
        ArticleStatus::Unpublished => "Unpublished",
    }
}

fn local(app: &AppState, at: DateTime<Utc>) -> String {
    at.with_timezone(&app.tz()).format("%-d %b %Y %H:%M").to_string()
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn row(app: &AppState, t: &Taxonomy, r: &DeskRow) -> Row {
    let when = match r.status {
        ArticleStatus::Scheduled => r.scheduled_at.unwrap_or(r.updated_at),
        ArticleStatus::Published => r.first_published_at.unwrap_or(r.updated_at),
        _ => r.updated_at,
    };
    Row {
        id: r.id,
        url: format!("/admin/articles/{}", r.id),
        headline: if r.headline.trim().is_empty() {
            "(no headline)".into()
        } else {
            r.headline.clone()
        },
        status: status_label(r.status),
        section: t.section(r.section_id).map(|s| s.name.clone()).unwrap_or_default(),
        bylines: byline_names(t, &r.bylines),
        when: local(app, when),
        when_iso: iso(when),
        public_url: r.path.clone().filter(|_| r.status == ArticleStatus::Published),
        overdue: r.status == ArticleStatus::Scheduled
            && when < Utc::now() - chrono::Duration::minutes(1),
    }
}

#[derive(Serialize)]
struct DashList {
    title: &'static str,
    /// The list of scheduled articles: its times are when they go live.
    scheduled: bool,
    more: String,
    rows: Vec<Row>,
}

#[derive(Serialize)]
struct ActivityRow {
    url: String,
    headline: String,
    what: String,
    who: String,
    when: String,
    when_iso: String,
}

#[derive(Serialize)]
struct DashboardView {
    #[serde(flatten)]
    page: AdminPage,
    /// The site's time zone, which the times are in.
    tz: String,
    lists: Vec<DashList>,
    activity: Vec<ActivityRow>,
    expires: String,
    expires_iso: String,
}

/// `GET /admin`: my drafts, what waits for review, what is scheduled, what
/// went out last, and the newsroom's latest changes.
async fn dashboard(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (parts, _) = req.into_parts();
    let s = match signed_in_for(&app, &parts, Action::CreateArticle).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let t = app.taxonomy();
    let mut view = AdminPage::new(&app, "Back office").signed_in(&s);
    if field(&query(&parts), "changed") == "password" {
        view.notice =
            Some("Your password was changed, and every other device was signed out.".into());
    }
    let mine = Some((s.user.id, s.user.author_id));
    let specs: [(&'static str, DeskFilter, &str); 4] = [
        (
            "My drafts",
            DeskFilter { status: Some(ArticleStatus::Draft), mine, ..DeskFilter::default() },
            "status=draft&mine=1",
        ),
        (
            "Waiting for review",
            DeskFilter { status: Some(ArticleStatus::Review), ..DeskFilter::default() },
            "status=review",
        ),
        (
            "Scheduled",
            DeskFilter {
                status: Some(ArticleStatus::Scheduled),
                by_schedule: true,
                ..DeskFilter::default()
            },
            "status=scheduled",
        ),
        (
            "Recently published",
            DeskFilter {
                status: Some(ArticleStatus::Published),
                by_publication: true,
                ..DeskFilter::default()
            },
            "status=published",
        ),
    ];
    let mut lists = Vec::new();
    for (title, filter, q) in specs {
        let rows = app.db.desk_articles(&filter, DASHBOARD_LIST).await?;
        lists.push(DashList {
            scheduled: filter.status == Some(ArticleStatus::Scheduled),
            title,
            more: format!("/admin/articles?{q}"),
            rows: rows.iter().map(|r| row(&app, &t, r)).collect(),
        });
    }
    let activity = app
        .db
        .recent_activity(15)
        .await?
        .into_iter()
        .map(|a| ActivityRow {
            url: format!("/admin/articles/{}", a.article_id),
            headline: a.headline,
            what: a.reason,
            who: a.actor,
            when: local(&app, a.created_at),
            when_iso: iso(a.created_at),
        })
        .collect();
    let view = DashboardView {
        tz: app.tz().name().to_owned(),
        page: view,
        lists,
        activity,
        expires: local(&app, s.expires_at),
        expires_iso: iso(s.expires_at),
    };
    page(&app, StatusCode::OK, "admin/dashboard.html", &view)
}

#[derive(Serialize)]
struct Choice {
    value: String,
    name: String,
    selected: bool,
}

fn choices<'a>(
    items: impl Iterator<Item = (Id, &'a str)>,
    selected: &str,
    none: &str,
) -> Vec<Choice> {
    let mut out =
        vec![Choice { value: String::new(), name: none.to_owned(), selected: selected.is_empty() }];
    let mut items: Vec<(Id, &str)> = items.collect();
    items.sort_by_key(|a| a.1.to_lowercase());
    out.extend(items.into_iter().map(|(id, name)| Choice {
        value: id.to_string(),
        name: name.to_owned(),
        selected: id.to_string() == selected,
    }));
    // A choice this server does not list yet stays chosen.
    if !selected.is_empty() && !out.iter().any(|c| c.value == selected) {
        out.push(Choice {
            value: selected.to_owned(),
            name: format!("#{selected}"),
            selected: true,
        });
    }
    out
}

#[derive(Serialize)]
struct ListView {
    #[serde(flatten)]
    page: AdminPage,
    rows: Vec<Row>,
    statuses: Vec<Choice>,
    sections: Vec<Choice>,
    authors: Vec<Choice>,
    tags: Vec<Choice>,
    q: String,
    mine: bool,
    older: Option<String>,
}

fn id_param(q: &[(String, String)], name: &str) -> Result<Option<Id>, AppError> {
    match field(q, name) {
        "" => Ok(None),
        v => v
            .parse::<Id>()
            .map(Some)
            .map_err(|_| AppError::BadRequest(format!("`{name}` is a number."))),
    }
}

/// `GET /admin/articles?status=&section=&author=&tag=&q=&mine=1&before=ID`
async fn list(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (parts, _) = req.into_parts();
    let s = match signed_in_for(&app, &parts, Action::CreateArticle).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let q = query(&parts);
    let status = match field(&q, "status") {
        "" => None,
        v => Some(
            v.parse::<ArticleStatus>()
                .map_err(|_| AppError::BadRequest(format!("There is no status “{v}”.")))?,
        ),
    };
    let mine = field(&q, "mine") == "1";
    let filter = DeskFilter {
        status,
        section_id: id_param(&q, "section")?,
        author_id: id_param(&q, "author")?,
        tag_id: id_param(&q, "tag")?,
        mine: mine.then_some((s.user.id, s.user.author_id)),
        query: field(&q, "q").chars().take(200).collect(),
        before: id_param(&q, "before")?,
        ..DeskFilter::default()
    };
    let rows = app.db.desk_articles(&filter, LIST_PAGE).await?;
    let t = app.taxonomy();
    let older = (rows.len() as i64 == LIST_PAGE).then(|| {
        let mut next: Vec<(String, String)> =
            q.iter().filter(|(k, v)| k != "before" && !v.is_empty()).cloned().collect();
        next.push(("before".into(), rows.last().map_or(0, |r| r.id).to_string()));
        format!("/admin/articles?{}", serde_urlencoded::to_string(next).unwrap_or_default())
    });
    let status_value = field(&q, "status");
    let statuses = std::iter::once(Choice {
        value: String::new(),
        name: "Any status".into(),
        selected: status_value.is_empty(),
    })
    .chain(
        [
            ArticleStatus::Draft,
            ArticleStatus::Review,
            ArticleStatus::Scheduled,
            ArticleStatus::Published,
            ArticleStatus::Unpublished,
        ]
        .into_iter()
        .map(|st| Choice {
            value: st.as_str().into(),
            name: status_label(st).into(),
            selected: st.as_str() == status_value,
        }),
    )
    .collect();
    let mut page_view = AdminPage::new(&app, "Articles").signed_in(&s);
    if field(&q, "deleted") == "1" {
        page_view.notice = Some("The draft was deleted.".into());
    }
    let view = ListView {
        page: page_view,
        rows: rows.iter().map(|r| row(&app, &t, r)).collect(),
        statuses,
        sections: choices(
            t.sections.iter().map(|x| (x.id, x.name.as_str())),
            field(&q, "section"),
            "Any section",
        ),
        authors: choices(
            t.authors.values().map(|x| (x.id, x.name.as_str())),
            field(&q, "author"),
            "Any author",
        ),
        tags: choices(
            t.tags.values().map(|x| (x.id, x.name.as_str())),
            field(&q, "tag"),
            "Any tag",
        ),
        q: filter.query,
        mine,
        older,
    };
    page(&app, StatusCode::OK, "admin/articles.html", &view)
}

/// The editor's fields, as text: what the form shows and what it sent.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub(super) struct Fields {
    headline: String,
    headline_seo: String,
    headline_social: String,
    headline_teaser: String,
    dek: String,
    slug: String,
    section: String,
    story: String,
    tags: String,
    bylines: String,
    lead_media: String,
    lead_alt: String,
    lead_caption: String,
    lead_credit: String,
    body: String,
    sources: String,
    canonical_url: String,
    top_rank: String,
    /// Not before, in the site's time zone (`YYYY-MM-DDTHH:MM`).
    embargo: String,
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

impl Fields {
    fn of(t: &Taxonomy, a: &Article, tz: chrono_tz::Tz) -> Fields {
        let lead = a.lead.as_ref();
        Fields {
            headline: a.headlines.display.clone(),
            headline_seo: opt(&a.headlines.seo),
            headline_social: opt(&a.headlines.social),
            headline_teaser: opt(&a.headlines.teaser),
            dek: a.dek.clone(),
            slug: a.slug.clone(),
            section: a.section_id.map(|i| i.to_string()).unwrap_or_default(),
            story: a.story_id.map(|i| i.to_string()).unwrap_or_default(),
            tags: a
                .tags
                .iter()
                .map(|id| t.tags.get(id).map_or_else(|| format!("#{id}"), |t| t.name.clone()))
                .collect::<Vec<_>>()
                .join(", "),
            bylines: a.bylines.iter().map(|b| byline_line(t, b)).collect::<Vec<_>>().join("\n"),
            lead_media: lead.map(|f| f.media_id.to_string()).unwrap_or_default(),
            lead_alt: lead.map(|f| opt(&f.alt)).unwrap_or_default(),
            lead_caption: lead.map(|f| opt(&f.caption)).unwrap_or_default(),
            lead_credit: lead.map(|f| opt(&f.credit)).unwrap_or_default(),
            body: markdown::from_blocks(&a.body),
            sources: a
                .sources
                .iter()
                .map(|s| {
                    format!(
                        "{} | {} | {} | {}",
                        s.name,
                        kind_name(s.kind),
                        s.url.clone().unwrap_or_default(),
                        s.attributed
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            canonical_url: opt(&a.canonical_url),
            top_rank: a.top_rank.map(|r| r.to_string()).unwrap_or_default(),
            embargo: a
                .embargo_until
                .map(|at| at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default(),
        }
    }

    /// Whether anything worth keeping was typed: a headline, a dek or a
    /// body.
    pub(super) fn has_text(&self) -> bool {
        [&self.headline, &self.dek, &self.body].iter().any(|t| !t.trim().is_empty())
    }

    pub(super) fn sent(f: &[(String, String)]) -> Fields {
        let g = |k: &str| field(f, k).replace("\r\n", "\n");
        // The rich-text editor sends the body as blocks; the plain form as
        // text. Either way the form shows it back as text.
        let body = match sent_blocks(f) {
            Some(blocks) => markdown::from_blocks(&blocks),
            None => g("body"),
        };
        Fields {
            headline: g("headline"),
            headline_seo: g("headline_seo"),
            headline_social: g("headline_social"),
            headline_teaser: g("headline_teaser"),
            dek: g("dek"),
            slug: g("slug"),
            section: g("section"),
            story: g("story"),
            tags: g("tags"),
            bylines: g("bylines"),
            lead_media: g("lead_media"),
            lead_alt: g("lead_alt"),
            lead_caption: g("lead_caption"),
            lead_credit: g("lead_credit"),
            body,
            sources: g("sources"),
            canonical_url: g("canonical_url"),
            top_rank: g("top_rank"),
            embargo: g("embargo"),
        }
    }
}

const KINDS: [SourceKind; 7] = [
    SourceKind::Wire,
    SourceKind::Agency,
    SourceKind::Official,
    SourceKind::Press,
    SourceKind::Interview,
    SourceKind::Anonymous,
    SourceKind::Document,
];

fn kind_name(k: SourceKind) -> &'static str {
    match k {
        SourceKind::Wire => "wire",
        SourceKind::Agency => "agency",
        SourceKind::Official => "official",
        SourceKind::Press => "press",
        SourceKind::Interview => "interview",
        SourceKind::Anonymous => "anonymous",
        SourceKind::Document => "document",
    }
}

/// One byline as the form shows it: the author's name, or `Name (slug)`
/// when another author's name or slug reads the same; `#id` for an author
/// this server does not know; a credit as written, or as `credit: …` when
/// it would otherwise read as an author.
fn byline_line(t: &Taxonomy, b: &Byline) -> String {
    match b {
        Byline::Author { author_id } => match t.authors.get(author_id) {
            Some(a) => {
                let shared = t.authors.values().any(|o| {
                    o.id != a.id
                        && (o.name.eq_ignore_ascii_case(&a.name)
                            || o.slug.eq_ignore_ascii_case(&a.name))
                });
                if shared { format!("{} ({})", a.name, a.slug) } else { a.name.clone() }
            }
            None => format!("#{author_id}"),
        },
        Byline::Credit { text } => {
            let plain = Byline::Credit { text: text.clone() };
            if read_byline(t, text).as_ref() == Ok(&plain) {
                text.clone()
            } else {
                format!("credit: {text}")
            }
        }
    }
}

/// Reads one byline line: `credit: …` (always a credit), `#id`,
/// `Name (slug)`, an author's name (when only one author has it) or slug,
/// or else a credit.
fn read_byline(t: &Taxonomy, line: &str) -> Result<Byline, String> {
    if let Some(text) = line.strip_prefix("credit:") {
        return Ok(Byline::Credit { text: text.trim().to_owned() });
    }
    if let Some(id) = line.strip_prefix('#').and_then(|v| v.trim().parse::<Id>().ok()) {
        return match t.authors.get(&id) {
            Some(_) => Ok(Byline::Author { author_id: id }),
            None => Err(format!("There is no author #{id}.")),
        };
    }
    if let Some((name, rest)) = line.rsplit_once(" (")
        && let Some(slug) = rest.strip_suffix(')')
        && let Some(a) = t.authors.values().find(|a| a.slug == slug && a.name == name.trim())
    {
        return Ok(Byline::Author { author_id: a.id });
    }
    let mut named: Vec<&newsdesk_core::Author> =
        t.authors.values().filter(|a| a.name.eq_ignore_ascii_case(line)).collect();
    named.sort_by_key(|a| a.id);
    match named.as_slice() {
        [one] => return Ok(Byline::Author { author_id: one.id }),
        [] => {}
        many => {
            return Err(format!(
                "Several authors are called {line}: write one as {}.",
                many.iter()
                    .map(|a| format!("“{} ({})”", a.name, a.slug))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ));
        }
    }
    if let Some(a) = t.authors.values().find(|a| a.slug.eq_ignore_ascii_case(line)) {
        return Ok(Byline::Author { author_id: a.id });
    }
    Ok(Byline::Credit { text: line.to_owned() })
}

/// The body the rich-text editor sent, if it sent one that reads.
fn sent_blocks(f: &[(String, String)]) -> Option<Vec<newsdesk_core::Block>> {
    match field(f, "body_blocks") {
        "" => None,
        json => serde_json::from_str(json).ok(),
    }
}

/// The body as JSON for the rich-text editor, or nothing when the text
/// does not read (the editor then stays off and the text field shows).
fn body_json(text: &str) -> String {
    match markdown::to_blocks(text) {
        Ok(blocks) => serde_json::to_value(&blocks)
            .map(|v| newsdesk_content::json_for_script(&v))
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The article the fields describe, over `base` (which gives the id and
/// the workflow fields). Tags not yet known are returned by name, to be
/// created if the user may. Every problem is named.
pub(super) fn read_fields(
    t: &Taxonomy,
    f: &Fields,
    base: &Article,
    tz: chrono_tz::Tz,
) -> Result<(Article, Vec<String>), Vec<String>> {
    let mut errors = Vec::new();
    let mut a = base.clone();
    a.headlines = HeadlineSet {
        display: f.headline.trim().to_owned(),
        seo: non_empty(&f.headline_seo),
        social: non_empty(&f.headline_social),
        teaser: non_empty(&f.headline_teaser),
    };
    a.dek = f.dek.trim().to_owned();
    // Left empty, the slug is made from the headline until the article
    // has an address; after that it stays what it was.
    a.slug = match f.slug.trim() {
        "" if base.path.is_none() => slugify(&a.headlines.display),
        "" => base.slug.clone(),
        slug => slug.to_owned(),
    };
    let id_of = |v: &str, what: &str, errors: &mut Vec<String>| match v.trim() {
        "" => None,
        v => match v.parse::<Id>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push(format!("The {what} must be chosen from the list."));
                None
            }
        },
    };
    a.section_id = id_of(&f.section, "section", &mut errors);
    a.story_id = id_of(&f.story, "running story", &mut errors);
    let mut new_tags = Vec::new();
    a.tags = Vec::new();
    for name in f.tags.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if let Some(id) = name.strip_prefix('#').and_then(|v| v.parse::<Id>().ok()) {
            a.tags.push(id);
            continue;
        }
        let known = t
            .tags
            .values()
            .find(|tag| tag.name.eq_ignore_ascii_case(name) || tag.slug.eq_ignore_ascii_case(name));
        match known {
            Some(tag) => a.tags.push(tag.id),
            None => new_tags.push(name.to_owned()),
        }
    }
    a.bylines = Vec::new();
    for line in f.bylines.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match read_byline(t, line) {
            Ok(b) => a.bylines.push(b),
            Err(e) => errors.push(e),
        }
    }
    a.lead = match f.lead_media.trim() {
        "" => None,
        v => match v.parse::<Id>() {
            Ok(media_id) => Some(Figure {
                media_id,
                alt: non_empty(&f.lead_alt),
                caption: non_empty(&f.lead_caption),
                credit: non_empty(&f.lead_credit),
            }),
            Err(_) => {
                errors.push("The lead image is a media item's number.".into());
                None
            }
        },
    };
    match markdown::to_blocks(&f.body) {
        Ok(body) => a.body = body,
        Err(e) => errors.push(format!("In the body, line {}: {}.", e.line, e.message)),
    }
    a.sources = Vec::new();
    for (n, line) in f.sources.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let kind = parts.get(1).and_then(|k| KINDS.into_iter().find(|x| kind_name(*x) == *k));
        match (parts.len(), kind) {
            (4, Some(kind)) => a.sources.push(Source {
                name: parts[0].to_owned(),
                kind,
                url: non_empty(parts[2]),
                attributed: parts[3].to_owned(),
            }),
            _ => errors.push(format!(
                "Source {} is not “name | kind | address | what it says”, kind being one of {}.",
                n + 1,
                KINDS.map(kind_name).join(", ")
            )),
        }
    }
    a.canonical_url = non_empty(&f.canonical_url);
    a.top_rank = match f.top_rank.trim() {
        "" => None,
        v => match v.parse::<i32>() {
            Ok(r) if (1..=100).contains(&r) => Some(r),
            _ => {
                errors.push("The top-story rank is a number from 1 to 100.".into());
                None
            }
        },
    };
    a.embargo_until = match f.embargo.trim() {
        "" => None,
        v => match local_time(tz, v) {
            Ok(at) => Some(at),
            Err(e) => {
                errors.push(format!("Embargo — {e}"));
                None
            }
        },
    };
    if errors.is_empty() { Ok((a, new_tags)) } else { Err(errors) }
}

#[derive(Serialize)]
struct Check {
    /// The field as the form calls it.
    field: String,
    /// The id of its form field (empty when there is none).
    target: &'static str,
    message: String,
}

#[derive(Serialize, Default)]
struct Buttons {
    submit: bool,
    publish: bool,
    schedule: bool,
    unpublish: bool,
    correct: bool,
    send_back: bool,
    /// May change the address of the published article.
    #[serde(rename = "move")]
    move_it: bool,
    /// May delete this draft (never published).
    delete: bool,
}

#[derive(Serialize)]
struct ConflictView {
    /// Where the form and the stored version differ: the clashes.
    items: Vec<newsdesk_content::diff::FieldDiff>,
    by: String,
}

/// The lead image as the library has it, beside the fields that replace
/// its texts on this article.
#[derive(Serialize)]
struct LeadPreview {
    id: Id,
    src: String,
    width: u32,
    height: u32,
    alt: String,
    caption: String,
    credit: String,
}

#[derive(Serialize)]
struct SentBack {
    title: String,
    at: String,
    note: String,
}

#[derive(Serialize)]
struct EditorView {
    #[serde(flatten)]
    page: AdminPage,
    action_url: String,
    id: Option<Id>,
    version: i32,
    status: &'static str,
    f: Fields,
    lead: Option<LeadPreview>,
    sections: Vec<Choice>,
    stories: Vec<Choice>,
    problems: Vec<String>,
    checklist: Vec<Check>,
    /// The checklist by form field (its id), shown beside the field.
    needs: std::collections::BTreeMap<&'static str, String>,
    /// This page answers a refused step: the fields above are invalid.
    refused: bool,
    buttons: Buttons,
    conflict: Option<ConflictView>,
    public_url: Option<String>,
    scheduled: Option<String>,
    schedule_at: String,
    correction: String,
    tz: String,
    kinds: String,
    corrections: Vec<String>,
    /// The note to the writer as typed (kept on refusal).
    note: String,
    /// The "updated" box as sent (kept on refusal).
    bump: bool,
    /// Who sent the draft back, when, saying what.
    sent_back: Option<SentBack>,
    /// The body as blocks, for the rich-text editor (JSON, safe inside a
    /// `<script>` element).
    body_blocks: String,
    editor_script_url: String,
    /// Who else has the article open, and who holds it.
    company: Option<CompanyView>,
    /// When the viewer's autosaved, unsaved text was kept, if it differs
    /// from what is stored.
    unsaved: Option<String>,
    /// Where the editor's script sends autosaves and heartbeats.
    autosave_url: String,
    beat_seconds: u32,
    /// The form holds autosaved text put back on request.
    restored: bool,
}

struct Editing<'a> {
    app: &'a AppState,
    session: &'a Session,
    t: &'a Taxonomy,
    /// The stored article and its version (`None` for a new one).
    stored: Option<(Article, i32)>,
    /// The schedule time, correction and note as sent, shown back on
    /// refusal.
    schedule_at: String,
    correction: String,
    note: String,
    /// "Tell readers the story was updated", as sent.
    bump: bool,
}

impl Editing<'_> {
    async fn view(
        &self,
        f: Fields,
        version: i32,
        problems: Vec<String>,
    ) -> Result<EditorView, AppError> {
        let actor = self.session.user.actor();
        let stored = self.stored.as_ref().map(|(a, _)| a);
        let may = |action| match stored {
            Some(a) => authorize_article(&actor, action, a).is_ok(),
            None => authorize(&actor, action, &[]).is_ok(),
        };
        let status = stored.map_or(ArticleStatus::Draft, |a| a.status);
        let buttons = Buttons {
            submit: matches!(status, ArticleStatus::Draft | ArticleStatus::Scheduled)
                && may(Action::SubmitArticle),
            publish: !matches!(status, ArticleStatus::Published) && may(Action::PublishArticle),
            schedule: matches!(
                status,
                ArticleStatus::Draft | ArticleStatus::Review | ArticleStatus::Scheduled
            ) && may(Action::PublishArticle),
            unpublish: matches!(status, ArticleStatus::Published) && may(Action::UnpublishArticle),
            correct: matches!(status, ArticleStatus::Published) && may(Action::CorrectArticle),
            send_back: matches!(status, ArticleStatus::Review | ArticleStatus::Scheduled)
                && may(Action::PublishArticle),
            move_it: may(Action::ChangePublishedSlug),
            delete: stored.is_some_and(|a| {
                a.first_published_at.is_none()
                    && matches!(a.status, ArticleStatus::Draft | ArticleStatus::Review)
            }) && may(Action::DeleteArticle),
        };
        // What publishing would still find missing in the form as it stands
        // (after a refusal, what was sent; on a new article, the empty form).
        let base = stored.cloned().unwrap_or_else(|| Article::draft("", Utc::now()));
        let in_form = read_fields(self.t, &f, &base, self.app.tz()).map(|(a, _)| a).ok();
        let checklist = match in_form.as_ref().or(stored) {
            Some(a) => {
                let ids: Vec<Id> = a
                    .lead
                    .iter()
                    .map(|f| f.media_id)
                    .chain(a.body.iter().filter_map(|b| match b {
                        newsdesk_core::Block::Figure(f) => Some(f.media_id),
                        _ => None,
                    }))
                    .collect();
                let media = self.app.db.media_by_ids(&ids).await?;
                a.publishable(|id| media.iter().find(|m| m.id == id))
                    .iter()
                    .map(|p| {
                        let (field, target) = field_label(&p.field());
                        Check { field, target, message: p.to_string() }
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        let lead = match f.lead_media.trim().parse::<Id>() {
            Ok(m) => self.app.db.media_by_ids(&[m]).await?.first().map(|m| {
                let (src, width, height) = super::media::thumb(m, 120);
                LeadPreview {
                    id: m.id,
                    src,
                    width,
                    height,
                    alt: m.alt.clone().unwrap_or_default(),
                    caption: m.caption.clone().unwrap_or_default(),
                    credit: m.credit.clone().unwrap_or_default(),
                }
            }),
            Err(_) => None,
        };
        let title = match stored {
            Some(a) if !a.headlines.display.is_empty() => format!("Edit: {}", a.headlines.display),
            Some(_) => "Edit article".into(),
            None => "New article".into(),
        };
        let id = stored.map(|a| a.id);
        let body_blocks = body_json(&f.body);
        // A draft sent back says so, with the note, until it moves on; so
        // does an article whose scheduled publication failed.
        let sent_back = match stored {
            Some(a) if matches!(a.status, ArticleStatus::Draft | ArticleStatus::Review) => {
                let wanted = match a.status {
                    ArticleStatus::Draft => "send_back",
                    _ => "schedule failed",
                };
                self.app
                    .db
                    .list_revisions(a.id)
                    .await?
                    .into_iter()
                    .find(|r| r.reason != "save")
                    .filter(|r| r.reason == wanted)
                    .map(|r| SentBack {
                        title: if wanted == "send_back" {
                            format!("Sent back by {}", r.actor)
                        } else {
                            "Its scheduled publication failed".into()
                        },
                        at: local(self.app, r.created_at),
                        note: r.note,
                    })
            }
            _ => None,
        };
        Ok(EditorView {
            page: AdminPage::new(self.app, &title).signed_in(self.session),
            action_url: id
                .map_or("/admin/articles/new".into(), |id| format!("/admin/articles/{id}")),
            id,
            version,
            status: status_label(status),
            sections: choices(
                self.t.sections.iter().map(|x| (x.id, x.name.as_str())),
                &f.section,
                "No section",
            ),
            stories: choices(
                self.t.stories.values().map(|x| (x.id, x.name.as_str())),
                &f.story,
                "No running story",
            ),
            f,
            lead,
            refused: !problems.is_empty(),
            problems,
            needs: {
                let mut by_field = std::collections::BTreeMap::<&'static str, String>::new();
                for c in checklist.iter().filter(|c| !c.target.is_empty()) {
                    let e = by_field.entry(c.target).or_default();
                    if !e.is_empty() {
                        e.push_str("; ");
                    }
                    e.push_str(&c.message);
                }
                by_field
            },
            checklist,
            buttons,
            conflict: None,
            public_url: stored
                .filter(|a| a.status == ArticleStatus::Published)
                .and_then(|a| a.path.clone()),
            scheduled: stored.and_then(|a| a.scheduled_at).map(|at| local(self.app, at)),
            schedule_at: self.schedule_at.clone(),
            correction: self.correction.clone(),
            note: self.note.clone(),
            bump: self.bump,
            sent_back,
            tz: self.app.tz().name().to_owned(),
            kinds: KINDS.map(kind_name).join(", "),
            body_blocks,
            editor_script_url: self.app.editor_script_url.clone(),
            company: None,
            unsaved: None,
            autosave_url: id.map_or_else(
                || "/admin/articles/new/autosave".into(),
                |id| format!("/admin/articles/{id}/autosave"),
            ),
            beat_seconds: BEAT_SECONDS,
            restored: false,
            corrections: stored
                .map(|a| {
                    a.corrections
                        .iter()
                        .map(|c| format!("{}: {}", local(self.app, c.at), c.text))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    async fn render(
        &self,
        status: StatusCode,
        f: Fields,
        version: i32,
        problems: Vec<String>,
    ) -> Result<Response, AppError> {
        let view = self.view(f, version, problems).await?;
        page(self.app, status, "admin/editor.html", &view)
    }
}

/// The article and its version, when the session's user may work on it
/// (whoever may edit it: its own writers, editors and above); a refusal is
/// a 403 and is audited. Its history and preview are as private.
async fn openable(
    app: &AppState,
    s: &Session,
    parts: &axum::http::request::Parts,
    id: Id,
) -> Result<(Article, i32), AppError> {
    let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
    openable_from(app, s, &origin_of(&parts.headers, peer), id).await
}

/// [`openable`] for a request whose origin is already read.
pub(super) async fn openable_from(
    app: &AppState,
    s: &Session,
    from: &Origin,
    id: Id,
) -> Result<(Article, i32), AppError> {
    // Another server may have added the tags, stories or authors it names.
    app.catch_up().await?;
    let (article, version) = stored_article(app, id).await?;
    if authorize(&s.user.actor(), Action::EditArticle, &article.author_ids()).is_err() {
        app.newsroom
            .audit_refusal(s, "may not open someone else's article", &format!("article {id}"), from)
            .await?;
        return Err(AppError::Forbidden(format!(
            "Your role ({}) opens only articles with your byline.",
            s.user.role
        )));
    }
    Ok((article, version))
}

pub(super) async fn stored_article(app: &AppState, id: Id) -> Result<(Article, i32), AppError> {
    match app.db.find_article_versioned(id).await {
        Ok(found) => Ok(found),
        Err(newsdesk_db::DbError::NotFound { .. }) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// `GET /admin/articles/new`
async fn new_form(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (parts, _) = req.into_parts();
    let s = match signed_in_for(&app, &parts, Action::CreateArticle).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let t = app.taxonomy();
    let mut f = Fields::default();
    if let Some(me) = s.user.author_id.and_then(|id| t.authors.get(&id)) {
        f.bylines = me.name.clone();
    }
    let e = Editing {
        app: &app,
        session: &s,
        t: &t,
        stored: None,
        schedule_at: String::new(),
        correction: String::new(),
        note: String::new(),
        bump: false,
    };
    e.render(StatusCode::OK, f, 0, Vec::new()).await
}

/// `GET /admin/articles/{id}`
async fn edit_form(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let (parts, _) = req.into_parts();
    let s = match signed_in_for(&app, &parts, Action::CreateArticle).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let (article, version) = match openable(&app, &s, &parts, id).await {
        Err(AppError::NotFound) => {
            // Within the back office, a missing article (a deleted draft,
            // say) is said so there, with the way back.
            #[derive(Serialize)]
            struct Missing {
                #[serde(flatten)]
                page: AdminPage,
                id: Id,
            }
            let view = Missing { page: AdminPage::new(&app, "No such article").signed_in(&s), id };
            return page(&app, StatusCode::NOT_FOUND, "admin/missing.html", &view);
        }
        found => found?,
    };
    let t = app.taxonomy();
    let stored_fields = Fields::of(&t, &article, app.tz());
    let q = query(&parts);
    // Text autosaved and never saved: offered back, or (when asked for)
    // put in the form, based on the version it was written on so that a
    // save merges in whatever others saved since.
    let unsaved = app.newsroom.unsaved(&s.user, id).await?;
    let unsaved =
        unsaved.filter(|(base, sent, _)| *base != version || Fields::sent(sent) != stored_fields);
    let restoring = field(&q, "autosave") == "restore";
    let (f, form_version, restored_at) = match (&unsaved, restoring) {
        (Some((base, sent, at)), true) => (Fields::sent(sent), *base, Some(local(&app, *at))),
        _ => (stored_fields, version, None),
    };
    let company = app.newsroom.heartbeat(&s.user, id).await?;
    let notice = match field(&q, "done") {
        "saved" => Some("Saved."),
        "merged" => Some("Saved, merged with changes someone else made meanwhile."),
        "submit" => Some("Saved and sent for review."),
        "publish" => Some("Published."),
        "schedule" => Some("Scheduled."),
        "unpublish" => Some("Taken down: readers now get “gone”."),
        "correct" => Some("Correction added."),
        "sent_back" => Some("Sent back to the writer with your note."),
        "restore" => Some("The old version was restored as a new revision."),
        "unchanged" => Some("Nothing had changed; nothing was saved."),
        "taken" => Some("You hold this article now; the others with it open are told."),
        "discarded" => Some("The autosaved text was discarded."),
        _ => None,
    };
    let e = Editing {
        app: &app,
        session: &s,
        t: &t,
        stored: Some((article, version)),
        schedule_at: String::new(),
        correction: String::new(),
        note: String::new(),
        bump: false,
    };
    let mut view = e.view(f, form_version, Vec::new()).await?;
    view.page.notice = notice.map(str::to_owned);
    view.company = Some(CompanyView::of(&app, &company, s.user.id));
    match restored_at {
        Some(at) => {
            view.restored = true;
            view.page.notice = Some(format!(
                "This is the text autosaved at {at}, not saved yet: Save keeps it, merged with anything saved since."
            ));
        }
        None => view.unsaved = unsaved.map(|(_, _, at)| local(&app, at)),
    }
    page(&app, StatusCode::OK, "admin/editor.html", &view)
}

/// What a form does besides saving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Save,
    Submit,
    Publish,
    Schedule,
    Unpublish,
    Correct,
    SendBack,
}

impl Step {
    fn parse(s: &str) -> Option<Step> {
        Some(match s {
            "" | "save" => Step::Save,
            "submit" => Step::Submit,
            "publish" => Step::Publish,
            "schedule" => Step::Schedule,
            "unpublish" => Step::Unpublish,
            "correct" => Step::Correct,
            "send_back" => Step::SendBack,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Step::Save => "saved",
            Step::Submit => "submit",
            Step::Publish => "publish",
            Step::Schedule => "schedule",
            Step::Unpublish => "unpublish",
            Step::Correct => "correct",
            Step::SendBack => "sent_back",
        }
    }

    /// The audit log's name for the step, when it is one to record.
    fn audited(self) -> Option<&'static str> {
        match self {
            Step::Save | Step::Submit => None,
            Step::Publish => Some("article_published"),
            Step::Schedule => Some("article_scheduled"),
            Step::Unpublish => Some("article_unpublished"),
            Step::Correct => Some("article_corrected"),
            Step::SendBack => Some("article_sent_back"),
        }
    }
}

/// A schedule time typed in the site's time zone.
fn schedule_time(app: &AppState, v: &str) -> Result<DateTime<Utc>, String> {
    local_time(app.tz(), v)
}

/// A date and time typed in time zone `tz` (`YYYY-MM-DDTHH:MM[:SS]`).
fn local_time(tz: chrono_tz::Tz, v: &str) -> Result<DateTime<Utc>, String> {
    let naive = NaiveDateTime::parse_from_str(v.trim(), "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(v.trim(), "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| "Give a date and a time, e.g. 2026-03-01T09:00.".to_owned())?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| format!("{v} does not exist in {} (the clocks skip it).", tz.name()))
}

/// What a problem's machine-readable field (`lead.alt`, `body[3].credit`)
/// is called on the form, and the id of the form field it points at.
fn field_label(field: &str) -> (String, &'static str) {
    // `name[i]` and `name[i].rest`, with i counted from 1 for people.
    let (head, index, rest) = match field.split_once('[') {
        Some((head, tail)) => {
            let (n, rest) = tail.split_once(']').unwrap_or((tail, ""));
            (head, n.parse::<usize>().ok().map(|n| n + 1), rest.trim_start_matches('.'))
        }
        None => match field.split_once('.') {
            Some((head, rest)) => (head, None, rest),
            None => (field, None, ""),
        },
    };
    let part = |rest: &str| match rest {
        "alt" => "alternative text",
        "credit" => "credit",
        "caption" => "caption",
        "media_id" => "picture",
        "url" => "address",
        _ => "",
    };
    let (name, target) = match (head, rest) {
        ("headlines", "seo") => ("Search headline", "headline_seo"),
        ("headlines", "social") => ("Social headline", "headline_social"),
        ("headlines", "teaser") => ("Teaser headline", "headline_teaser"),
        ("headlines", _) => ("Headline", "headline"),
        ("dek", _) => ("Dek", "dek"),
        ("slug", _) => ("Slug", "slug"),
        ("section_id", _) => ("Section", "section"),
        ("story_id", _) => ("Running story", "story"),
        ("tags", _) => ("Tags", "tags"),
        ("bylines", _) => ("Bylines", "bylines"),
        ("lead", "alt") => ("Lead image, alternative text", "lead_alt"),
        ("lead", "credit") => ("Lead image, credit", "lead_credit"),
        ("lead", "caption") => ("Lead image, caption", "lead_caption"),
        ("lead", _) => ("Lead image", "lead_media"),
        ("body", _) => ("Body", "body"),
        ("sources", _) => ("Sources", "sources"),
        ("canonical_url", _) => ("Canonical address", "canonical_url"),
        ("embargo_until", _) => ("Embargo", "embargo"),
        ("top_rank", _) => ("Top-story rank", "top_rank"),
        _ => return (capitalise(&field.replace('_', " ")), ""),
    };
    let mut label = name.to_owned();
    if let Some(n) = index {
        let unit = if head == "body" { "block" } else { "line" };
        label.push_str(&format!(", {unit} {n}"));
        if !part(rest).is_empty() {
            label.push_str(&format!(", {}", part(rest)));
        }
    }
    (label, target)
}

/// What a refused `step` tells the editor: that nothing was saved (a step
/// and its save are one transaction), then each problem by its field.
fn problem_messages(e: &UseCaseError, step: Step) -> Vec<String> {
    let named = |ps: &[Problem]| {
        ps.iter().map(|p| format!("{}: {p}.", field_label(&p.field()).0)).collect::<Vec<_>>()
    };
    let head = match step {
        Step::Publish => "Not published, and nothing was saved",
        Step::Schedule => "Not scheduled, and nothing was saved",
        Step::Submit => "Not sent for review, and nothing was saved",
        Step::Unpublish => "Not taken down, and nothing was saved",
        Step::Correct => "The correction was not added, and nothing was saved",
        Step::SendBack => "Not sent back, and nothing was saved",
        Step::Save => "Nothing was saved",
    };
    match e {
        UseCaseError::Invalid(ps) => {
            let mut out = vec![format!("{head}: fix what is below, then try again.")];
            out.extend(named(ps));
            out
        }
        UseCaseError::Unpublishable(ps) => {
            let why = if step == Step::Save {
                "a published or scheduled article must stay ready to publish"
            } else {
                "the article is not ready"
            };
            let mut out = vec![format!("{head}: {why}.")];
            out.extend(named(ps));
            out
        }
        other => vec![format!("{head}: {}.", other.to_string().trim_end_matches('.'))],
    }
}

/// The article's public fields the same, whatever the time stamp.
fn same_content(a: &Article, b: &Article) -> bool {
    let mut a = a.clone();
    a.updated_at = b.updated_at;
    a == *b
}

/// `POST /admin/articles/new`
async fn create(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    submit_editor(app, None, req).await
}

/// `POST /admin/articles/{id}`
async fn update(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    submit_editor(app, Some(id), req).await
}

struct Sent {
    headers: HeaderMap,
    from: Origin,
    fields: Vec<(String, String)>,
}

async fn read_form(req: Request) -> Result<Sent, AppError> {
    let (headers, peer, fields) = form_limited(req, MAX_EDITOR_BYTES).await?;
    let from = origin_of(&headers, peer.as_ref());
    Ok(Sent { headers, from, fields })
}

async fn submit_editor(app: AppState, id: Option<Id>, req: Request) -> Result<Response, AppError> {
    let sent = read_form(req).await?;
    if !same_site(&sent.headers) {
        return Err(AppError::Forbidden(
            "This form was sent from another site; nothing was changed.".into(),
        ));
    }
    let t = app.taxonomy();
    let fields = Fields::sent(&sent.fields);
    let sent_version: i32 = field(&sent.fields, "version").parse().unwrap_or(0);
    let Some(s) = super::current(&app, &sent.headers).await? else {
        // The session ended while the editor typed: show the text back,
        // unsaved, with the way to sign in again in another tab.
        let view = EditorView {
            page: AdminPage::new(&app, "Sign in to save"),
            action_url: id.map_or("/admin/articles/new".into(), |id| format!("/admin/articles/{id}")),
            id,
            version: sent_version,
            status: "Not saved",
            sections: choices(t.sections.iter().map(|x| (x.id, x.name.as_str())), &fields.section, "No section"),
            stories: choices(t.stories.values().map(|x| (x.id, x.name.as_str())), &fields.story, "No running story"),
            f: fields,
            lead: None,
            problems: vec!["You were signed out, so nothing was saved. Your text is below: sign in again in another tab (the link opens one), then press Save here.".into()],
            checklist: Vec::new(),
            needs: Default::default(),
            refused: true,
            buttons: Buttons::default(),
            conflict: None,
            public_url: None,
            scheduled: None,
            schedule_at: field(&sent.fields, "schedule_at").chars().take(40).collect(),
            correction: field(&sent.fields, "correction").to_owned(),
            note: field(&sent.fields, "note").to_owned(),
            bump: field(&sent.fields, "bump") == "1",
            sent_back: None,
            tz: app.tz().name().to_owned(),
            kinds: KINDS.map(kind_name).join(", "),
            body_blocks: String::new(),
            editor_script_url: app.editor_script_url.clone(),
            corrections: Vec::new(),
            company: None,
            unsaved: None,
            autosave_url: String::new(),
            beat_seconds: BEAT_SECONDS,
            restored: false,
        };
        return page(&app, StatusCode::UNAUTHORIZED, "admin/editor.html", &view);
    };
    // Nothing of an article is shown, not even back in a refusal, to
    // someone who may not open it.
    let stored = match id {
        Some(id) => Some(openable_from(&app, &s, &sent.from, id).await?),
        None => None,
    };
    let e = Editing {
        app: &app,
        session: &s,
        t: &t,
        stored: stored.clone(),
        schedule_at: field(&sent.fields, "schedule_at").chars().take(40).collect(),
        correction: field(&sent.fields, "correction").to_owned(),
        note: field(&sent.fields, "note").to_owned(),
        bump: field(&sent.fields, "bump") == "1",
    };
    if !same_secret(&s.csrf_token, field(&sent.fields, "csrf")) {
        return e
            .render(
                StatusCode::FORBIDDEN,
                fields,
                sent_version,
                vec!["This form belongs to an earlier session, so nothing was saved. Your text is below: check it and save again.".into()],
            )
            .await;
    }
    // An editor that failed to start sends no blocks and its text field;
    // blocks that do not read are refused with the form.
    let sent_rich = !field(&sent.fields, "body_blocks").is_empty();
    if sent_rich && sent_blocks(&sent.fields).is_none() {
        return e
            .render(
                StatusCode::UNPROCESSABLE_ENTITY,
                fields,
                sent_version,
                vec!["The body could not be read (a date that does not exist in a timeline, perhaps); nothing was saved.".into()],
            )
            .await;
    }
    let Some(step) = Step::parse(field(&sent.fields, "do")) else {
        return Err(AppError::BadRequest("Unknown button.".into()));
    };
    let base = match &stored {
        Some((a, _)) => a.clone(),
        None => Article::draft("", Utc::now()),
    };
    let (mut mine, new_tags) = match read_fields(&t, &fields, &base, app.tz()) {
        Ok(read) => read,
        Err(problems) => {
            return e
                .render(StatusCode::UNPROCESSABLE_ENTITY, fields, sent_version, problems)
                .await;
        }
    };
    let actor = s.user.actor();
    if !new_tags.is_empty() && authorize(&actor, Action::EditTaxonomy, &[]).is_err() {
        let problem = format!(
            "No tag is called {}; an administrator adds new tags.",
            new_tags.iter().map(|n| format!("“{n}”")).collect::<Vec<_>>().join(", ")
        );
        return e
            .render(StatusCode::UNPROCESSABLE_ENTITY, fields, sent_version, vec![problem])
            .await;
    }
    // Readers are told a story changed only when the editor says so.
    let public = base.status.is_public();
    mine.updated_at =
        if public && field(&sent.fields, "bump") != "1" { base.updated_at } else { Utc::now() };
    let schedule_at = if step == Step::Schedule {
        match schedule_time(&app, field(&sent.fields, "schedule_at")) {
            Ok(at) => Some(at),
            Err(problem) => {
                return e
                    .render(StatusCode::UNPROCESSABLE_ENTITY, fields, sent_version, vec![problem])
                    .await;
            }
        }
    } else {
        None
    };
    // The words a step carries: a correction, or a note to the writer.
    let text_field = if step == Step::SendBack { "note" } else { "correction" };
    let correction = field(&sent.fields, text_field).trim().to_owned();
    let mut merged = false;
    let mut conflict = None;
    // Based on an older version: merge with what was saved meanwhile.
    if let Some((theirs, current)) = &stored
        && *current != sent_version
    {
        let base_content = app.db.revision_content(theirs.id, sent_version).await;
        // Where both changed the same thing the editor's version is kept;
        // everything else of theirs is merged in, so saving the conflict
        // form again undoes nothing of theirs that did not clash.
        let (m, clash) = match base_content {
            Ok(old) => {
                let (m, c) = merge_preferring_mine(&old, &mine, theirs);
                (m, c.map(|c| c.fields))
            }
            // The version it was based on is unknown (a forged or very old
            // form): nothing can be merged, so everything is a clash.
            Err(newsdesk_db::DbError::NotFound { .. }) => {
                (mine.clone(), Some(vec!["the whole article"]))
            }
            Err(other) => return Err(other.into()),
        };
        mine = m;
        match clash {
            None => merged = true,
            Some(fields_in_conflict) => conflict = Some(fields_in_conflict),
        }
    }
    if let (Some(clashes), Some((theirs, current))) = (conflict, &stored) {
        let whole = clashes.contains(&"the whole article");
        let who = app
            .db
            .list_revisions(theirs.id)
            .await?
            .first()
            .map(|r| r.actor.clone())
            .unwrap_or_default();
        let mut shown = Fields::of(&t, &mine, app.tz());
        if !new_tags.is_empty() {
            let mut tags: Vec<String> = vec![shown.tags.clone()];
            tags.extend(new_tags.iter().cloned());
            shown.tags = tags.into_iter().filter(|x| !x.is_empty()).collect::<Vec<_>>().join(", ");
        }
        let message = if whole {
            "Someone else saved this article, and the version your form started from is unknown, so nothing could be merged. The form holds your version, and saving it replaces theirs (shown beside it): compare first. Nothing was saved."
        } else {
            "Someone else saved this article while you were editing it. The form holds your version merged with theirs, with your text wherever you both changed the same thing; theirs is shown beside it. Nothing was saved: settle the differences, then save."
        };
        let mut view = e.view(shown, *current, vec![message.into()]).await?;
        // Where the form and theirs differ, in the fields that clashed.
        let label = |field: &str| -> &'static str {
            match field {
                "headlines.display" => "Headline",
                "headlines.seo" => "Headline for search",
                "headlines.social" => "Headline for social sites",
                "headlines.teaser" => "Headline on fronts",
                "dek" => "Standfirst",
                "slug" => "Slug",
                "body" => "Body",
                _ => "Other",
            }
        };
        let items = newsdesk_content::diff::articles(&mine, theirs)
            .into_iter()
            .filter(|d| {
                // "Headline" is not "Headline for search"; "Body" covers
                // "Body, block 3".
                whole
                    || clashes.iter().any(|c| {
                        d.field == label(c) || d.field.starts_with(&format!("{},", label(c)))
                    })
            })
            .collect();
        view.conflict = Some(ConflictView { items, by: who });
        return page(&app, StatusCode::CONFLICT, "admin/editor.html", &view);
    }
    let result = run_step(
        &app,
        &s,
        &sent.from,
        stored.as_ref(),
        mine,
        &new_tags,
        step,
        schedule_at,
        &correction,
        merged,
    )
    .await;
    match result {
        Ok((id, done)) => {
            app.catch_up().await?;
            Ok(see_other(&format!("/admin/articles/{id}?done={done}")))
        }
        Err(UseCaseError::Forbidden(d)) => {
            let subject = id.map_or("new article".into(), |id| format!("article {id}"));
            app.newsroom.audit_refusal(&s, &format!("may not {}", d.action), &subject, &sent.from).await?;
            e.render(StatusCode::FORBIDDEN, fields, sent_version, vec![format!("Your role ({}) may not {}. Nothing was saved; your text is below.", s.user.role, d.action)]).await
        }
        Err(UseCaseError::Stale { current_version }) => {
            e.render(StatusCode::CONFLICT, fields, sent_version, vec![format!("Someone saved this article at the same moment (it is now at version {current_version}). Nothing was saved; press Save again to merge.")]).await
        }
        Err(err @ (UseCaseError::Invalid(_) | UseCaseError::Unpublishable(_) | UseCaseError::Transition(_) | UseCaseError::Refused(_) | UseCaseError::Conflict { .. })) => {
            e.render(StatusCode::UNPROCESSABLE_ENTITY, fields, sent_version, problem_messages(&err, step)).await
        }
        Err(other) => Err(other.into()),
    }
}

/// Saves (when something changed) and takes the step, in one transaction.
#[allow(clippy::too_many_arguments)]
async fn run_step(
    app: &AppState,
    s: &Session,
    from: &Origin,
    stored: Option<&(Article, i32)>,
    mut mine: Article,
    new_tags: &[String],
    step: Step,
    schedule_at: Option<DateTime<Utc>>,
    correction: &str,
    merged: bool,
) -> Result<(Id, &'static str), UseCaseError> {
    let actor = s.user.actor();
    let mut w = app.newsroom.begin(&actor).await?;
    for name in new_tags {
        let tag = w.create_tag(&Tag { id: 0, name: name.clone(), slug: slugify(name) }).await?;
        mine.tags.push(tag.id);
    }
    let (id, version, changed) = match stored {
        None => {
            let saved: Saved = w.create_draft(mine).await?;
            (saved.article.id, saved.version, true)
        }
        Some((theirs, current)) => {
            // A draft only autosave has written is saved for real when its
            // writer presses Save, even with nothing new since the last
            // autosave: the press is what they asked to keep.
            let unchanged = same_content(&mine, theirs)
                && !(*current == 1
                    && w.tx().revision_heads(theirs.id).await?.iter().all(|r| r.1 == "autosave"));
            if unchanged {
                (theirs.id, *current, false)
            } else {
                let saved = w.save(mine, *current).await?;
                if let (Some(old), Some(new)) = (&theirs.path, &saved.article.path)
                    && old != new
                {
                    let subject = format!("article {}", theirs.id);
                    w.audit("article_moved", &subject, &format!("{old} → {new}"), from).await?;
                }
                (saved.article.id, saved.version, true)
            }
        }
    };
    let v = Some(version);
    match step {
        Step::Save => {}
        Step::Submit => {
            w.submit_for_review(id, v).await?;
        }
        Step::Publish => {
            w.publish(id, v).await?;
        }
        Step::Schedule => {
            let at = schedule_at.ok_or_else(|| UseCaseError::Refused("no time given".into()))?;
            w.schedule(id, at, v).await?;
        }
        Step::Unpublish => {
            w.unpublish(id).await?;
        }
        Step::Correct => {
            if correction.is_empty() {
                return Err(UseCaseError::Refused("the correction is empty".into()));
            }
            w.correct(id, correction).await?;
        }
        Step::SendBack => {
            w.send_back(id, correction, v).await?;
        }
    }
    // The text is saved: the autosaved copy of it is not needed any more.
    w.tx().drop_autosave(id, s.user.id).await?;
    if let Some(action) = step.audited() {
        let detail = match (step, schedule_at) {
            (Step::Schedule, Some(at)) => format!("for {}", iso(at)),
            (Step::Correct | Step::SendBack, _) => correction.chars().take(200).collect(),
            _ => String::new(),
        };
        w.audit(action, &format!("article {id}"), &detail, from).await?;
    }
    w.commit().await?;
    let done = match step {
        Step::Save if !changed => "unchanged",
        Step::Save if merged => "merged",
        _ => step.name(),
    };
    Ok((id, done))
}

#[derive(Serialize)]
struct RevisionRow {
    compare: Option<String>,
    version: i32,
    when: String,
    when_iso: String,
    who: String,
    why: String,
    status: String,
    restorable: bool,
}

#[derive(Serialize)]
struct RevisionsView {
    #[serde(flatten)]
    page: AdminPage,
    id: Id,
    headline: String,
    version: i32,
    may_edit: bool,
    revisions: Vec<RevisionRow>,
}

/// `GET /admin/articles/{id}/revisions`: every change, newest first.
async fn revisions(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let (parts, _) = req.into_parts();
    let s = match signed_in_for(&app, &parts, Action::CreateArticle).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let (article, version) = openable(&app, &s, &parts, id).await?;
    let may_edit = authorize_article(&s.user.actor(), Action::EditArticle, &article).is_ok();
    let stored = app.db.list_revisions(id).await?;
    // Each revision that changed the text compares with the one before it
    // that did.
    let older_content =
        |v: i32| stored.iter().find(|r| r.version < v && r.has_content).map(|r| r.version);
    let revisions = stored
        .iter()
        .cloned()
        .map(|r| RevisionRow {
            compare: older_content(r.version)
                .filter(|_| r.has_content)
                .map(|from| format!("/admin/articles/{id}/diff?from={from}&to={}", r.version)),
            version: r.version,
            when: local(&app, r.created_at),
            when_iso: iso(r.created_at),
            who: r.actor,
            why: if r.note.is_empty() {
                r.reason.replace('_', " ")
            } else {
                format!("{}: {}", r.reason.replace('_', " "), r.note)
            },
            status: r.status,
            restorable: r.has_content && r.version != version,
        })
        .collect();
    let view = RevisionsView {
        page: AdminPage::new(&app, "Revisions").signed_in(&s),
        id,
        headline: article.headlines.display,
        version,
        may_edit,
        revisions,
    };
    page(&app, StatusCode::OK, "admin/revisions.html", &view)
}

/// `POST /admin/articles/{id}/restore`: an old version back, as a new
/// revision.
async fn restore(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let sent = read_form(req).await?;
    let Some(s) = super::current(&app, &sent.headers).await? else {
        return Ok(see_other(&format!("/admin/sign-in?next=/admin/articles/{id}/revisions")));
    };
    if !same_site(&sent.headers) || !same_secret(&s.csrf_token, field(&sent.fields, "csrf")) {
        return Err(AppError::Forbidden(
            "This form has expired or was sent from another site; nothing was changed.".into(),
        ));
    }
    let revision: i32 = field(&sent.fields, "revision")
        .parse()
        .map_err(|_| AppError::BadRequest("`revision` is a number.".into()))?;
    let expected: Option<i32> = field(&sent.fields, "version").parse().ok();
    match app.newsroom.restore_revision(&s.user.actor(), id, revision, expected).await {
        Ok(_) => {
            app.catch_up().await?;
            Ok(see_other(&format!("/admin/articles/{id}?done=restore")))
        }
        Err(UseCaseError::Forbidden(d)) => {
            app.newsroom
                .audit_refusal(
                    &s,
                    &format!("may not {}", d.action),
                    &format!("article {id}"),
                    &sent.from,
                )
                .await?;
            Err(AppError::Forbidden(format!("Your role ({}) may not {}.", s.user.role, d.action)))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/articles/{id}/delete`: deletes a draft that was never
/// published (asked to confirm first); the audit log keeps its headline.
async fn delete(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let super::Posted { session, from, fields } =
        match super::posted(&app, req, Action::CreateArticle).await? {
            Ok(p) => p,
            Err(answer) => return Ok(answer),
        };
    let expected: Option<i32> = field(&fields, "version").parse().ok();
    let subject = format!("article {id}");
    let deleted = async {
        let mut w = app.newsroom.begin(&session.user.actor()).await?;
        let a = w.delete_draft(id, expected).await?;
        let headline =
            if a.headlines.display.is_empty() { "(no headline)" } else { &a.headlines.display };
        w.audit("article_deleted", &subject, headline, &from).await?;
        w.commit().await
    };
    match deleted.await {
        Ok(_) => Ok(see_other("/admin/articles?deleted=1")),
        Err(UseCaseError::Forbidden(d)) => {
            let why = format!("may not {}", d.action);
            app.newsroom.audit_refusal(&session, &why, &subject, &from).await?;
            Err(AppError::Forbidden(format!("Your role ({}) may not {}.", session.user.role, d.action)))
        }
        Err(UseCaseError::Stale { .. }) => Err(AppError::Conflict(
            "Someone saved this draft since you opened it; nothing was deleted. Open it again to see their changes.".into(),
        )),
        Err(UseCaseError::Refused(why)) => Err(AppError::Forbidden(format!("{}.", capitalise(&why)))),
        Err(e) => Err(e.into()),
    }
}

/// `GET /admin/articles/{id}/preview`: the article as readers would see
/// it, in the public theme, whatever its status.
async fn preview(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let (parts, _) = req.into_parts();
    let s = match signed_in_for(&app, &parts, Action::CreateArticle).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let (article, _) = openable(&app, &s, &parts, id).await?;
    let t = app.taxonomy();
    let r = views::article(&app, &t, &article).await?;
    let view =
        newsdesk_render::ArticlePage { site: app.site_view(&t), meta: r.meta, article: r.view };
    let body = app.renderer.render("article.html", &view).map_err(anyhow::Error::from)?;
    Ok(super::private_html(StatusCode::OK, body))
}

#[derive(Serialize)]
struct DiffView {
    #[serde(flatten)]
    page: AdminPage,
    id: Id,
    from: i32,
    to: i32,
    fields: Vec<newsdesk_content::diff::FieldDiff>,
}

/// `GET /admin/articles/{id}/diff?from=A&to=B`: what changed between two
/// versions, word by word.
async fn diff(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let (parts, _) = req.into_parts();
    let s = match signed_in_for(&app, &parts, Action::CreateArticle).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let (_, current) = openable(&app, &s, &parts, id).await?;
    let q = query(&parts);
    let version = |name: &str, default: i32| match field(&q, name) {
        "" => Ok(default),
        v => v
            .parse::<i32>()
            .map_err(|_| AppError::BadRequest(format!("`{name}` is a version number."))),
    };
    let to = version("to", current)?;
    let from = version("from", (to - 1).max(1))?;
    let read = |v: i32| {
        let app = app.clone();
        async move {
            match app.db.revision_content(id, v).await {
                Ok(a) => Ok(a),
                Err(newsdesk_db::DbError::NotFound { .. }) => Err(AppError::NotFound),
                Err(e) => Err(AppError::from(e)),
            }
        }
    };
    let (old, new) = (read(from).await?, read(to).await?);
    let view = DiffView {
        page: AdminPage::new(&app, "Changes").signed_in(&s),
        id,
        from,
        to,
        fields: newsdesk_content::diff::articles(&old, &new),
    };
    page(&app, StatusCode::OK, "admin/diff.html", &view)
}

#[cfg(test)]
mod tests {
    use super::*;
    use newsdesk_core::Author;
    use std::collections::HashMap;

    fn author(id: Id, name: &str, slug: &str) -> (Id, Author) {
        let a = Author {
            id,
            name: name.into(),
            slug: slug.into(),
            title: None,
            bio: String::new(),
            photo_media_id: None,
        };
        (id, a)
    }

    #[test]
    fn problems_name_fields_as_the_form_does_and_point_at_them() {
        let cases = [
            ("lead.alt", "Lead image, alternative text", "lead_alt"),
            ("lead.credit", "Lead image, credit", "lead_credit"),
            ("lead.media_id", "Lead image", "lead_media"),
            ("headlines.display", "Headline", "headline"),
            ("headlines.seo", "Search headline", "headline_seo"),
            ("body[3].alt", "Body, block 4, alternative text", "body"),
            ("body[0]", "Body, block 1", "body"),
            ("bylines[1]", "Bylines, line 2", "bylines"),
            ("sources[0].url", "Sources, line 1, address", "sources"),
            ("section_id", "Section", "section"),
            ("something_new", "Something new", ""),
        ];
        for (field, label, target) in cases {
            assert_eq!(field_label(field), (label.to_owned(), target), "{field}");
        }
        let e = UseCaseError::Unpublishable(vec![Problem::LeadImageWithoutAlt]);
        assert_eq!(
            problem_messages(&e, Step::Schedule),
            vec![
                "Not scheduled, and nothing was saved: the article is not ready.".to_owned(),
                "Lead image, alternative text: the lead image has no alt text.".to_owned()
            ]
        );
        let e = UseCaseError::Refused("the correction is empty".into());
        assert_eq!(
            problem_messages(&e, Step::Correct),
            vec!["The correction was not added, and nothing was saved: the correction is empty."]
        );
    }

    #[test]
    fn every_byline_reads_back_as_written() {
        let t = Taxonomy {
            sections: Vec::new(),
            tags: HashMap::new(),
            stories: HashMap::new(),
            authors: HashMap::from([
                author(1, "Sam Lee", "sam-lee"),
                author(2, "sam lee", "sam-lee-2"),
                author(3, "Reuters", "reuters-staff"),
                author(4, "Ana Ruiz", "reuters"),
                author(5, "Bo Chan", "bo-chan"),
            ]),
            ..Taxonomy::default()
        };
        let bylines = [
            Byline::Author { author_id: 1 },
            Byline::Author { author_id: 2 },
            Byline::Author { author_id: 3 },
            Byline::Author { author_id: 4 },
            Byline::Author { author_id: 5 },
            Byline::Credit { text: "Meridian Press Agency".into() },
            Byline::Credit { text: "Bo Chan".into() },
            Byline::Credit { text: "#5".into() },
            Byline::Credit { text: "X (bo-chan)".into() },
            Byline::Credit { text: "credit: y".into() },
        ];
        for b in bylines {
            let line = byline_line(&t, &b);
            assert_eq!(read_byline(&t, &line), Ok(b.clone()), "{line:?}");
        }
        // An author's name wins over another's slug; a shared name must
        // be told apart; an unknown id is refused.
        assert_eq!(read_byline(&t, "Reuters"), Ok(Byline::Author { author_id: 3 }));
        assert!(read_byline(&t, "SAM LEE").is_err());
        assert!(read_byline(&t, "#99").is_err());
    }
}
