//! `GET /search`: ranked full-text search, readable without JavaScript.
//!
//! Results are not kept in the page cache: the space of queries is
//! unbounded and a crawler could flush real pages out with them.

use super::pages::MAX_PAGE;
use crate::app::AppState;
use crate::cache::CachedPage;
use crate::error::AppError;
use crate::views;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use chrono::{NaiveDate, TimeZone};
use newsdesk_content::{escape_html, url_encode};
use newsdesk_db::{MARK_END, MARK_START, SearchQuery};
use newsdesk_render::{OptionView, Pagination, SearchPage, SearchResultView};

/// Results per page.
pub const RESULTS_PER_PAGE: i64 = 20;

/// Pages bigger than this are compressed on the blocking thread pool.
pub const BLOCKING_COMPRESS_BYTES: usize = 64 * 1024;

/// Longest query kept, in characters; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 256;

/// The parameters of a search URL, as typed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SearchParams {
    /// `q`
    pub q: String,
    /// `section` (a slug)
    pub section: String,
    /// `from` (`YYYY-MM-DD`)
    pub from: String,
    /// `to` (`YYYY-MM-DD`, inclusive)
    pub to: String,
    /// `page` as typed
    pub page: Option<String>,
}

impl SearchParams {
    /// Reads a query string. Never fails: undecodable bytes become U+FFFD,
    /// unknown parameters are ignored, and values are cut to sane lengths.
    pub fn parse(query: Option<&str>) -> SearchParams {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
        let mut p = SearchParams::default();
        for (k, v) in pairs {
            let v: String = v.chars().filter(|c| !c.is_control()).take(MAX_QUERY_CHARS).collect();
            match k.as_str() {
                "q" if p.q.is_empty() => p.q = v.trim().to_owned(),
                "section" => p.section = v,
                "from" => p.from = v,
                "to" => p.to = v,
                "page" if p.page.is_none() => p.page = Some(v),
                _ => {}
            }
        }
        p
    }

    /// The URL of page `page` of these results.
    pub fn url(&self, page: u32) -> String {
        let mut u = format!("/search?q={}", url_encode(&self.q));
        for (k, v) in [("section", &self.section), ("from", &self.from), ("to", &self.to)] {
            if !v.is_empty() {
                u.push_str(&format!("&{k}={}", url_encode(v)));
            }
        }
        if page > 1 {
            u.push_str(&format!("&page={page}"));
        }
        u
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    (s.len() == 10).then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).flatten()
}

/// Escapes a snippet and turns the engine's match markers into `<mark>`.
pub fn snippet_html(snippet: &str) -> String {
    let escaped = escape_html(snippet);
    let mut out = String::with_capacity(escaped.len() + 32);
    let mut open = false;
    for c in escaped.chars() {
        match c {
            MARK_START if !open => {
                out.push_str("<mark>");
                open = true;
            }
            MARK_END if open => {
                out.push_str("</mark>");
                open = false;
            }
            MARK_START | MARK_END => {}
            c => out.push(c),
        }
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

/// `GET /search`
pub async fn search(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let head = method == Method::HEAD;
    let params = SearchParams::parse(raw.as_deref());
    let page = match params.page.as_deref() {
        None => 1,
        Some(p)
            if !p.is_empty()
                && p.len() <= 5
                && !p.starts_with('0')
                && p.bytes().all(|b| b.is_ascii_digit()) =>
        {
            match p.parse::<u32>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
                _ => return Err(AppError::NotFound),
            }
        }
        Some(_) => return Err(AppError::NotFound),
    };
    let t = app.taxonomy();
    let mut notes: Vec<String> = Vec::new();
    let section = if params.section.is_empty() {
        None
    } else {
        match t.sections.iter().find(|s| s.slug == params.section) {
            Some(s) => Some(s),
            None => {
                notes.push("That section does not exist, so all sections were searched.".into());
                None
            }
        }
    };
    let day_start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|dt| app.tz().from_local_datetime(&dt).earliest())
            .map(|dt| dt.with_timezone(&chrono::Utc))
    };
    let from = match (params.from.is_empty(), parse_date(&params.from)) {
        (true, _) => None,
        (false, Some(d)) => day_start(d),
        (false, None) => {
            notes.push("The start date was not understood and was ignored.".into());
            None
        }
    };
    let until = match (params.to.is_empty(), parse_date(&params.to)) {
        (true, _) => None,
        (false, Some(d)) => d.succ_opt().and_then(day_start),
        (false, None) => {
            notes.push("The end date was not understood and was ignored.".into());
            None
        }
    };
    let query = SearchQuery {
        text: params.q.clone(),
        section_id: section.map(|s| s.id),
        from,
        until,
        limit: RESULTS_PER_PAGE,
        offset: i64::from(page - 1) * RESULTS_PER_PAGE,
    };
    let db = app.db.clone();
    let q = query.clone();
    // A search's own turn first: searches never take every turn at the
    // database from pages. One deadline for both waits.
    let by = tokio::time::Instant::now() + crate::gate::QUEUE_DEADLINE;
    let searching = app.search_gate.enter_by(by).await?;
    let found = super::with_database_by(&app, by, async move { Ok(db.search(&q).await?) }).await?;
    drop(searching);
    let pages = u32::try_from((found.total + RESULTS_PER_PAGE - 1) / RESULTS_PER_PAGE)
        .unwrap_or(u32::MAX)
        .max(1);
    if page > pages {
        return Err(AppError::NotFound);
    }
    let rows: Vec<newsdesk_db::ArticleCard> = found.items.iter().map(|h| h.card.clone()).collect();
    let cards = views::cards(&app, &t, &rows).await?;
    let results: Vec<SearchResultView> = cards
        .into_iter()
        .zip(&found.items)
        .map(|(card, hit)| SearchResultView { card, snippet_html: snippet_html(&hit.snippet) })
        .collect();
    if params.q.is_empty() {
        notes.push("Type a few words to search every published story.".into());
    } else if newsdesk_db::search_terms(&params.q).is_empty() {
        notes.push("Searches need at least one letter or digit.".into());
    } else if results.is_empty() {
        notes.push("No stories matched. Try fewer or different words, or widen the dates.".into());
    }
    let mut sections = vec![OptionView {
        value: String::new(),
        label: "All sections".into(),
        selected: section.is_none(),
    }];
    sections.extend(t.sections.iter().map(|s| OptionView {
        value: s.slug.clone(),
        label: s.name.clone(),
        selected: section.is_some_and(|x| x.id == s.id),
    }));
    let title = if params.q.is_empty() {
        format!("Search | {}", app.title())
    } else {
        format!("Search results for “{}” | {}", params.q, app.title())
    };
    let mut meta = views::page_meta(
        &app,
        title,
        format!("Search the stories of {}.", app.title()),
        &params.url(page),
    );
    // Result pages with results may be indexed (they are real topic pages,
    // canonical to one normalized URL); empty ones are thin and are not.
    if results.is_empty() {
        meta.robots = "noindex, follow".into();
    }
    let view = SearchPage {
        site: app.site_view(&t),
        meta,
        query: params.q.clone(),
        sections,
        from: params.from.clone(),
        to: params.to.clone(),
        results,
        total: found.total,
        message: (!notes.is_empty()).then(|| notes.join(" ")),
        pagination: Pagination {
            page,
            pages,
            prev_url: (page > 1).then(|| params.url(page - 1)),
            next_url: (page < pages).then(|| params.url(page + 1)),
        },
    };
    let body = app.renderer.render("search.html", &view)?;
    let page = CachedPage::new(
        StatusCode::OK,
        "text/html; charset=utf-8",
        "public, max-age=60",
        body,
        None,
        vec![],
    )
    .cheap();
    // Made for this request only: fast compression levels, and off the
    // async threads when the page is big.
    if page.body.len() > BLOCKING_COMPRESS_BYTES {
        let page = std::sync::Arc::new(page);
        let (p, h) = (page.clone(), headers.clone());
        let _ = tokio::task::spawn_blocking(move || p.prepare(&h)).await;
        return Ok(page.respond(&headers, head));
    }
    Ok(page.respond(&headers, head))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_parse_any_query_string() {
        let p = SearchParams::parse(Some(
            "q=water+talks&section=world&from=2026-01-01&to=bad&page=2&x=1",
        ));
        assert_eq!(p.q, "water talks");
        assert_eq!(p.section, "world");
        assert_eq!(p.page.as_deref(), Some("2"));
        for hostile in ["q=%ff%fe", "q=%", "&&&=&=", "q=a\u{0}b", "q=%00%01", "=x", "q"] {
            let _ = SearchParams::parse(Some(hostile));
        }
        assert_eq!(SearchParams::parse(Some("q=%ff")).q, "\u{FFFD}");
        assert_eq!(
            SearchParams::parse(Some(&format!("q={}", "a".repeat(1000)))).q.len(),
            MAX_QUERY_CHARS
        );
        assert_eq!(p.url(3), "/search?q=water%20talks&section=world&from=2026-01-01&to=bad&page=3");
    }

    #[test]
    fn snippets_are_escaped_and_marked() {
        let s = format!("a <b> {MARK_START}water{MARK_END} & {MARK_END}{MARK_START}x");
        assert_eq!(snippet_html(&s), "a &lt;b&gt; <mark>water</mark> &amp; <mark>x</mark>");
    }
}
