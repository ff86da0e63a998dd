//! Home, article, section, tag and author pages.

use super::{cached, cached_for, is_head};
use crate::app::{AppState, Taxonomy};
use crate::cache::{CachedPage, PAGE_CACHE_CONTROL};
use crate::error::AppError;
use crate::views::{self, ROBOTS_INDEX};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use newsdesk_core::Id;
use newsdesk_db::{ArticleCard, ArticleFilter};
use newsdesk_render::{AuthorView, CardView, HomePage, ListPage, Pagination, SectionBlock};
use std::collections::HashSet;
use std::sync::Arc;

/// Stories per list page.
pub const PER_PAGE: u32 = 20;

/// Highest page number accepted; anything above is a 404 without a query.
pub const MAX_PAGE: u32 = 10_000;

/// Stories in each section block of the home page.
pub const HOME_SECTION_CARDS: usize = 4;

const HTML: &str = "text/html; charset=utf-8";

/// The page number in `?page=N`: absent means 1; anything but 1..=MAX_PAGE
/// in plain digits is a 404 (no parsing tricks, no huge offsets).
pub fn page_number(query: Option<&str>) -> Result<u32, AppError> {
    let mut found = None;
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == "page" {
            // One spelling per page: `page=01` would duplicate page 1.
            if found.is_some()
                || v.is_empty()
                || v.len() > 5
                || v.starts_with('0')
                || !v.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(AppError::NotFound);
            }
            found = v.parse::<u32>().ok();
        }
    }
    match found {
        None => Ok(1),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(AppError::NotFound),
    }
}

/// The address of page `page` of the list at `path`.
pub(crate) fn page_key(path: &str, page: u32) -> String {
    if page == 1 { path.to_owned() } else { format!("{path}?page={page}") }
}

/// `GET /`
pub async fn home(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (parts, _) = req.into_parts();
    // An imported site's `/?p=12`: where that story is now. Anything
    // else (a site that never had it) is the home page, as before.
    if let Some(old) = home_old_address(parts.uri.query()) {
        match old_address(&app, &old).await {
            Err(AppError::NotFound) => {}
            answer => return answer,
        }
    }
    let a = app.clone();
    cached_for(&app, "/", &parts, || async move {
        let t = a.taxonomy();
        // Four queries whatever the site's size: pinned, latest, one
        // statement for every section block, and the images of them all.
        let mut seen: HashSet<Id> = HashSet::new();
        let mut take = |rows: Vec<ArticleCard>, n: usize| -> Vec<ArticleCard> {
            rows.into_iter().filter(|c| seen.insert(c.id)).take(n).collect()
        };
        let top = take(a.db.top_stories(4).await?, 4);
        let latest = take(a.db.list_cards(ArticleFilter::All, 24, 0).await?, 8);
        let section_ids: Vec<Id> = t.sections.iter().map(|s| s.id).collect();
        let mut fronts = a.db.section_fronts(&section_ids, 16).await?;
        let mut block_rows = Vec::new();
        for s in &t.sections {
            let rows = fronts.remove(&s.id).unwrap_or_default();
            block_rows.push((s, take(rows, HOME_SECTION_CARDS)));
        }
        let mut all: Vec<&ArticleCard> = top.iter().chain(&latest).collect();
        all.extend(block_rows.iter().flat_map(|(_, r)| r.iter()));
        let media = views::card_media(&a, &all).await?;
        let last_modified = all.iter().map(|c| c.updated_at.max(c.first_published_at)).max();
        let card = |c: &ArticleCard| views::card(&a, &t, c, &media);
        let mut meta = views::page_meta(
            &a,
            format!("{} — {}", a.title(), a.description()),
            a.description().clone(),
            "/",
        );
        meta.alternates = super::distribution::feed_links(&a.title(), "");
        meta.json_ld = Some(newsdesk_content::json_for_script(&serde_json::json!({
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": a.title(),
            "url": a.absolute("/"),
        })));
        let view = HomePage {
            site: a.site_view(&t),
            meta,
            top: top.iter().map(card).collect(),
            latest: latest.iter().map(card).collect(),
            blocks: block_rows
                .iter()
                .map(|(s, rows)| SectionBlock {
                    section: newsdesk_render::Link {
                        name: s.name.clone(),
                        url: format!("/{}", s.slug),
                    },
                    cards: rows.iter().map(card).collect(),
                })
                .collect(),
        };
        let body = a.renderer.render("home.html", &view)?;
        Ok(CachedPage::new(
            StatusCode::OK,
            HTML,
            PAGE_CACHE_CONTROL,
            body,
            last_modified,
            vec!["home".into(), "taxonomy".into()],
        ))
    })
    .await
}

/// `GET /{section}/{yyyy}/{mm}/{dd}/{slug}`
pub async fn article(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (parts, _) = req.into_parts();
    let key = parts.uri.path();
    let path = key.to_owned();
    let a = app.clone();
    let answer = cached_for(&app, key, &parts, || async move {
        let Some(article) = a.db.find_article_by_path(&path).await? else {
            return Err(AppError::NotFound);
        };
        match article.status {
            newsdesk_core::ArticleStatus::Published => {}
            newsdesk_core::ArticleStatus::Unpublished => return Err(AppError::Gone),
            _ => return Err(AppError::NotFound),
        }
        let t = a.taxonomy();
        let r = views::article(&a, &t, &article).await?;
        article_page(&a, &t, &article, r)
    })
    .await;
    match answer {
        // An address the article had before an editor changed its slug.
        Err(AppError::NotFound) => old_address(&app, parts.uri.path()).await,
        other => other,
    }
}

/// The page of a published article, rendered from its view.
pub fn article_page(
    app: &crate::App,
    t: &Taxonomy,
    article: &newsdesk_core::Article,
    r: views::ArticleRender,
) -> Result<CachedPage, AppError> {
    let view =
        newsdesk_render::ArticlePage { site: app.site_view(t), meta: r.meta, article: r.view };
    let body = app.renderer.render("article.html", &view)?;
    Ok(CachedPage::new(
        StatusCode::OK,
        HTML,
        PAGE_CACHE_CONTROL,
        body,
        Some(article.updated_at),
        r.keys,
    ))
}

/// An address an article had before: before an editor changed its slug,
/// or on the site it was imported from (`/2024/05/01/slug`, `/slug`,
/// `/?p=12`). A 301 to where it is now, 410 if it was taken down, else
/// 404.
pub(crate) async fn old_address(app: &crate::App, path: &str) -> Result<Response, AppError> {
    match app.db.redirect(path).await? {
        Some((to, newsdesk_core::ArticleStatus::Published)) => Ok(moved_permanently(&to)),
        Some((_, newsdesk_core::ArticleStatus::Unpublished)) => Err(AppError::Gone),
        _ => Err(AppError::NotFound),
    }
}

/// The old address a query on the home page names: WordPress's plain
/// permalinks, `/?p=12` and `/?page_id=7`.
fn home_old_address(query: Option<&str>) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        let numeric = !v.is_empty() && v.len() <= 19 && v.bytes().all(|b| b.is_ascii_digit());
        (matches!(k, "p" | "page_id") && numeric).then(|| format!("/?{k}={v}"))
    })
}

/// A 301 to `to`, a path of this site.
fn moved_permanently(to: &str) -> Response {
    let mut res = axum::response::IntoResponse::into_response(StatusCode::MOVED_PERMANENTLY);
    if let Ok(v) = axum::http::HeaderValue::from_str(to) {
        res.headers_mut().insert(axum::http::header::LOCATION, v);
    }
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        // Short: an editor may move the article back, and a redirect
        // cached both ways would loop.
        axum::http::HeaderValue::from_static("public, max-age=60"),
    );
    res
}

/// A list of articles with a page and feeds: the whole site, a section, a
/// tag or an author.
pub(crate) struct ListSpec {
    pub(crate) filter: ArticleFilter,
    pub(crate) kind: &'static str,
    pub(crate) heading: String,
    pub(crate) description: String,
    /// Site path of the list page ("" for the whole site).
    pub(crate) path: String,
    /// Surrogate key of everything the list shows.
    pub(crate) key: String,
    pub(crate) author: Option<newsdesk_core::Author>,
}

/// The list of `kind` (`site`, `section`, `tag`, `author`) named `slug`.
pub(crate) fn list_spec(
    app: &crate::App,
    t: &Taxonomy,
    kind: &str,
    slug: &str,
) -> Option<ListSpec> {
    let site = &app.title();
    match kind {
        "site" => Some(ListSpec {
            filter: ArticleFilter::All,
            kind: "site",
            heading: site.clone(),
            description: app.description().clone(),
            path: String::new(),
            key: "home".into(),
            author: None,
        }),
        "section" => t.sections.iter().find(|s| s.slug == slug).map(|s| ListSpec {
            filter: ArticleFilter::Section(s.id),
            kind: "section",
            heading: s.name.clone(),
            description: s.description.clone(),
            path: format!("/{}", s.slug),
            key: format!("section:{}", s.id),
            author: None,
        }),
        "tag" => t.tags.values().find(|x| x.slug == slug).map(|x| ListSpec {
            filter: ArticleFilter::Tag(x.id),
            kind: "tag",
            heading: x.name.clone(),
            description: format!("Stories about {} from {site}.", x.name),
            path: format!("/tag/{}", x.slug),
            key: format!("tag:{}", x.id),
            author: None,
        }),
        "author" => t.authors.values().find(|x| x.slug == slug).map(|x| ListSpec {
            filter: ArticleFilter::Author(x.id),
            kind: "author",
            heading: x.name.clone(),
            description: format!(
                "Stories by {}, {}.",
                x.name,
                x.title.as_deref().unwrap_or("reporter").to_lowercase()
            ),
            path: format!("/author/{}", x.slug),
            key: format!("author:{}", x.id),
            author: Some(x.clone()),
        }),
        _ => None,
    }
}

/// How many pages a list of `total` stories fills (one at least: an
/// empty list still has its page).
pub(crate) fn pages_of(total: i64) -> u32 {
    u32::try_from((total + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE))
        .unwrap_or(u32::MAX)
        .max(1)
}

async fn list_page(
    app: AppState,
    headers: HeaderMap,
    method: Method,
    spec: ListSpec,
    page: u32,
) -> Result<Response, AppError> {
    let a = app.clone();
    let key = page_key(&spec.path, page);
    cached(&app, &key, &headers, is_head(&method), || async move {
        let t: Arc<Taxonomy> = a.taxonomy();
        let offset = i64::from(page - 1) * i64::from(PER_PAGE);
        let rows = a.db.list_cards_page(spec.filter, i64::from(PER_PAGE), offset).await?;
        let pages = pages_of(rows.total);
        if page > pages {
            return Err(AppError::NotFound);
        }
        let photo_id = spec.author.as_ref().and_then(|au| au.photo_media_id);
        let cards = views::cards_with(&a, &t, &rows.items, photo_id).await?;
        render_list(&a, &t, &spec, page, pages, &rows.items, cards.cards, cards.extra.as_ref())
    })
    .await
}

/// Pages `first..first + count` of the list `spec` (those the list
/// fills), built together for the static export: three queries in all,
/// not three a page, and each page rendered as its route renders it.
/// Returns how many stories the whole list has, and each page's address
/// with the page.
pub(crate) async fn list_pages(
    app: &crate::App,
    t: &Taxonomy,
    spec: &ListSpec,
    first: u32,
    count: u32,
) -> Result<(i64, Vec<(String, CachedPage)>), AppError> {
    let (first, count) = (first.max(1), count.max(1));
    let offset = i64::from(first - 1) * i64::from(PER_PAGE);
    let limit = i64::from(count) * i64::from(PER_PAGE);
    let rows = app.db.list_cards_page(spec.filter, limit, offset).await?;
    let pages = pages_of(rows.total);
    let photo_id = spec.author.as_ref().and_then(|au| au.photo_media_id);
    let views::Cards { cards, extra } = views::cards_with(app, t, &rows.items, photo_id).await?;
    let mut cards = cards.into_iter();
    let mut out = Vec::new();
    let last = first.saturating_add(count - 1).min(pages);
    for (i, page) in (first..=last).enumerate() {
        let start = (i * PER_PAGE as usize).min(rows.items.len());
        let end = (start + PER_PAGE as usize).min(rows.items.len());
        let shown: Vec<CardView> = cards.by_ref().take(end - start).collect();
        let body =
            render_list(app, t, spec, page, pages, &rows.items[start..end], shown, extra.as_ref())?;
        out.push((page_key(&spec.path, page), body));
    }
    Ok((rows.total, out))
}

/// The page `page` of `pages` of the list `spec`, showing `rows` as
/// `cards`; `photo` is the author's portrait on an author's list.
#[allow(clippy::too_many_arguments)]
fn render_list(
    a: &crate::App,
    t: &Taxonomy,
    spec: &ListSpec,
    page: u32,
    pages: u32,
    rows: &[ArticleCard],
    cards: Vec<CardView>,
    photo: Option<&newsdesk_core::Media>,
) -> Result<CachedPage, AppError> {
    let author = spec.author.as_ref().map(|au| AuthorView {
        name: au.name.clone(),
        title: au.title.clone(),
        bio: au.bio.clone(),
        photo: photo.map(|m| views::square_image(&newsdesk_core::Figure::of(m.id), m)),
    });
    let title = if page == 1 {
        format!("{} | {}", spec.heading, a.title())
    } else {
        format!("{}, page {page} | {}", spec.heading, a.title())
    };
    let mut meta =
        views::page_meta(a, title, spec.description.clone(), &page_key(&spec.path, page));
    meta.robots = ROBOTS_INDEX.into();
    meta.alternates =
        super::distribution::feed_links(&format!("{} — {}", a.title(), spec.heading), &spec.path);
    let view = ListPage {
        site: a.site_view(t),
        meta,
        kind: spec.kind,
        heading: spec.heading.clone(),
        description: spec.description.clone(),
        author,
        cards,
        pagination: Pagination {
            page,
            pages,
            prev_url: (page > 1).then(|| page_key(&spec.path, page - 1)),
            next_url: (page < pages).then(|| page_key(&spec.path, page + 1)),
        },
    };
    let body = a.renderer.render("list.html", &view)?;
    Ok(CachedPage::new(
        StatusCode::OK,
        HTML,
        PAGE_CACHE_CONTROL,
        body,
        views::newest(rows),
        vec![spec.key.clone(), "taxonomy".into()],
    ))
}

async fn list_route(
    app: AppState,
    method: Method,
    headers: HeaderMap,
    kind: &str,
    slug: &str,
    uri: Uri,
) -> Result<Response, AppError> {
    let spec = list_spec(&app, &app.taxonomy(), kind, slug).ok_or(AppError::NotFound)?;
    let page = page_number(uri.query())?;
    list_page(app.clone(), headers, method, spec, page).await
}

/// `GET /{section}`
pub async fn section(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(slug): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    match list_route(app.clone(), method, headers, "section", &slug, uri.clone()).await {
        Err(AppError::NotFound) => old_address(&app, uri.path()).await,
        other => other,
    }
}

/// `GET /tag/{slug}`
pub async fn tag(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(slug): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    list_route(app, method, headers, "tag", &slug, uri).await
}

/// `GET /author/{slug}`
pub async fn author(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(slug): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    list_route(app, method, headers, "author", &slug, uri).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers_are_plain_small_digits() {
        assert_eq!(page_number(None).ok(), Some(1));
        assert_eq!(page_number(Some("page=3")).ok(), Some(3));
        assert_eq!(page_number(Some("utm_source=x&page=2")).ok(), Some(2));
        for bad in [
            "page=0",
            "page=-1",
            "page=abc",
            "page=1e3",
            "page=99999999999",
            "page=",
            "page=2&page=3",
            "page=10001",
            "page=%32",
            "page=01",
            "page=007",
        ] {
            assert!(page_number(Some(bad)).is_err(), "{bad}");
        }
    }
}
