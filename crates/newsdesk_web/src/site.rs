//! Public HTML: home, article, section, tag and author pages, errors, assets
//! and media files.

use crate::app::{AppState, Taxonomy};
use crate::cache::{CachedPage, ERROR_CACHE_CONTROL, PAGE_CACHE_CONTROL};
use crate::views::{self, ROBOTS_INDEX};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use newsdesk_core::Id;
use newsdesk_db::{ArticleCard, ArticleFilter};
use newsdesk_render::{AuthorView, ErrorPage, HomePage, ListPage, Pagination, SectionBlock};
use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;

/// Stories per list page.
pub const PER_PAGE: u32 = 20;

/// Highest page number accepted; anything above is a 404 without a query.
pub const MAX_PAGE: u32 = 10_000;

const HTML: &str = "text/html; charset=utf-8";

/// Why a page could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such page.
    #[error("not found")]
    NotFound,
    /// The page existed and was taken down.
    #[error("gone")]
    Gone,
    /// Something broke; logged, and the reader sees a generic page.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<newsdesk_db::DbError> for AppError {
    fn from(e: newsdesk_db::DbError) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<newsdesk_render::RenderError> for AppError {
    fn from(e: newsdesk_render::RenderError) -> Self {
        AppError::Internal(e.into())
    }
}

type PageResult = Result<CachedPage, AppError>;

fn is_head(method: &Method) -> bool {
    method == Method::HEAD
}

/// Serves `key` from the cache, or builds, stores and serves it.
async fn cached<F, Fut>(
    app: &AppState,
    key: String,
    headers: &HeaderMap,
    head: bool,
    build: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = PageResult>,
{
    if let Some(page) = app.cache.get(&key) {
        return page.respond(headers, head);
    }
    let generation = app.cache.generation();
    match build().await {
        Ok(page) => {
            let page = Arc::new(page);
            app.cache.insert(key, page.clone(), generation);
            page.respond(headers, head)
        }
        Err(e) => error_response(app, e, headers, head).await,
    }
}

/// The themed error page for `err`.
pub async fn error_response(
    app: &AppState,
    err: AppError,
    headers: &HeaderMap,
    head: bool,
) -> Response {
    let (status, heading, message) = match &err {
        AppError::NotFound => (
            StatusCode::NOT_FOUND,
            "We could not find that page",
            "The link may be mistyped, or the story may have moved. Try the front page or one of the latest stories below.",
        ),
        AppError::Gone => (
            StatusCode::GONE,
            "This story is no longer available",
            "It was taken down by the newsroom. The latest stories are below.",
        ),
        AppError::Internal(e) => {
            tracing::error!(error = format!("{e:#}"), "request failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side",
                "Please try again in a moment.",
            )
        }
    };
    let key = format!("!{}", status.as_u16());
    let internal = matches!(err, AppError::Internal(_));
    if !internal && let Some(page) = app.cache.get(&key) {
        return page.respond(headers, head);
    }
    let generation = app.cache.generation();
    let t = app.taxonomy();
    // The helpful part (latest stories) is best effort: an error page must
    // render even when the store does not answer.
    let latest = if internal {
        Vec::new()
    } else {
        match app.db.list_cards(ArticleFilter::All, 6, 0).await {
            Ok(p) => views::cards(app, &t, &p.items).await.unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    };
    let mut meta = views::page_meta(
        app,
        format!("{heading} | {}", app.config.site.title),
        message.into(),
        "/",
    );
    meta.robots = "noindex".into();
    let view = ErrorPage {
        site: app.site_view(&t),
        meta,
        status: status.as_u16(),
        heading: heading.into(),
        message: message.into(),
        latest,
    };
    let body = match app.renderer.render("error.html", &view) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            format!("<!doctype html><title>{heading}</title><h1>{heading}</h1><p>{message}</p>")
        }
    };
    let page = Arc::new(CachedPage::new(
        status,
        HTML,
        ERROR_CACHE_CONTROL,
        body,
        None,
        vec!["home".into(), "taxonomy".into()],
    ));
    if !internal {
        app.cache.insert(key, page.clone(), generation);
    }
    page.respond(headers, head)
}

/// The page number in `?page=N`: absent means 1; anything but 1..=MAX_PAGE
/// in plain digits is a 404 (no parsing tricks, no huge offsets).
pub fn page_number(query: Option<&str>) -> Result<u32, AppError> {
    let mut found = None;
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == "page" {
            if found.is_some()
                || v.is_empty()
                || v.len() > 5
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

fn page_key(path: &str, page: u32) -> String {
    if page == 1 { path.to_owned() } else { format!("{path}?page={page}") }
}

/// `GET /`
pub async fn home(State(app): State<AppState>, method: Method, headers: HeaderMap) -> Response {
    let a = app.clone();
    cached(&app, "/".into(), &headers, is_head(&method), || async move {
        let t = a.taxonomy();
        let mut seen: HashSet<Id> = HashSet::new();
        let mut take = |rows: Vec<ArticleCard>, n: usize| -> Vec<ArticleCard> {
            rows.into_iter().filter(|c| seen.insert(c.id)).take(n).collect()
        };
        let top = take(a.db.top_stories(4).await?, 4);
        let latest = take(a.db.list_cards(ArticleFilter::All, 24, 0).await?.items, 8);
        let mut block_rows = Vec::new();
        for s in &t.sections {
            let rows = a.db.list_cards(ArticleFilter::Section(s.id), 16, 0).await?.items;
            block_rows.push((s, take(rows, 4)));
        }
        let mut all: Vec<&ArticleCard> = top.iter().chain(&latest).collect();
        all.extend(block_rows.iter().flat_map(|(_, r)| r.iter()));
        let media = views::card_media(&a, &all).await?;
        let last_modified = all.iter().map(|c| c.updated_at.max(c.first_published_at)).max();
        let card = |c: &ArticleCard| views::card(&a, &t, c, &media);
        let mut meta = views::page_meta(
            &a,
            format!("{} — {}", a.config.site.title, a.config.site.description),
            a.config.site.description.clone(),
            "/",
        );
        meta.alternates = crate::distribution::feed_links(&a.config.site.title, "");
        meta.json_ld = Some(newsdesk_content::json_for_script(&serde_json::json!({
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": a.config.site.title,
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
pub async fn article(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let path = uri.path().to_owned();
    let a = app.clone();
    cached(&app, path.clone(), &headers, is_head(&method), || async move {
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
        let view =
            newsdesk_render::ArticlePage { site: a.site_view(&t), meta: r.meta, article: r.view };
        let body = a.renderer.render("article.html", &view)?;
        Ok(CachedPage::new(
            StatusCode::OK,
            HTML,
            PAGE_CACHE_CONTROL,
            body,
            Some(article.updated_at),
            r.keys,
        ))
    })
    .await
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
    let site = &app.config.site.title;
    match kind {
        "site" => Some(ListSpec {
            filter: ArticleFilter::All,
            kind: "site",
            heading: site.clone(),
            description: app.config.site.description.clone(),
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

async fn list_page(
    app: AppState,
    headers: HeaderMap,
    method: Method,
    spec: Result<ListSpec, AppError>,
    page: Result<u32, AppError>,
) -> Response {
    let (spec, page) = match (spec, page) {
        (Ok(s), Ok(p)) => (s, p),
        (Err(e), _) | (_, Err(e)) => {
            return error_response(&app, e, &headers, is_head(&method)).await;
        }
    };
    let a = app.clone();
    let key = page_key(&spec.path, page);
    cached(&app, key, &headers, is_head(&method), || async move {
        let t: Arc<Taxonomy> = a.taxonomy();
        let offset = i64::from(page - 1) * i64::from(PER_PAGE);
        let rows = a.db.list_cards(spec.filter, i64::from(PER_PAGE), offset).await?;
        let pages = u32::try_from((rows.total + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE))
            .unwrap_or(u32::MAX)
            .max(1);
        if page > pages {
            return Err(AppError::NotFound);
        }
        let cards = views::cards(&a, &t, &rows.items).await?;
        let author = match &spec.author {
            Some(au) => {
                let photo = match au.photo_media_id {
                    Some(id) => a.db.media_by_ids(&[id]).await?.into_iter().next(),
                    None => None,
                };
                Some(AuthorView {
                    name: au.name.clone(),
                    title: au.title.clone(),
                    bio: au.bio.clone(),
                    photo: photo.map(|m| views::card_image(&newsdesk_core::Figure::of(m.id), &m)),
                })
            }
            None => None,
        };
        let title = if page == 1 {
            format!("{} | {}", spec.heading, a.config.site.title)
        } else {
            format!("{}, page {page} | {}", spec.heading, a.config.site.title)
        };
        let mut meta =
            views::page_meta(&a, title, spec.description.clone(), &page_key(&spec.path, page));
        meta.robots = ROBOTS_INDEX.into();
        meta.alternates = crate::distribution::feed_links(
            &format!("{} — {}", a.config.site.title, spec.heading),
            &spec.path,
        );
        let view = ListPage {
            site: a.site_view(&t),
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
            views::newest(&rows.items),
            vec![spec.key.clone(), "taxonomy".into()],
        ))
    })
    .await
}

async fn list_route(
    app: AppState,
    method: Method,
    headers: HeaderMap,
    kind: &str,
    slug: &str,
    uri: Uri,
) -> Response {
    let spec = list_spec(&app, &app.taxonomy(), kind, slug).ok_or(AppError::NotFound);
    list_page(app.clone(), headers, method, spec, page_number(uri.query())).await
}

/// `GET /{section}`
pub async fn section(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(slug): Path<String>,
    uri: Uri,
) -> Response {
    list_route(app, method, headers, "section", &slug, uri).await
}

/// `GET /tag/{slug}`
pub async fn tag(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(slug): Path<String>,
    uri: Uri,
) -> Response {
    list_route(app, method, headers, "tag", &slug, uri).await
}

/// `GET /author/{slug}`
pub async fn author(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(slug): Path<String>,
    uri: Uri,
) -> Response {
    list_route(app, method, headers, "author", &slug, uri).await
}

/// Anything no route matched.
pub async fn not_found(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    error_response(&app, AppError::NotFound, &headers, is_head(&method)).await
}

/// `GET /assets/{name}`: fingerprinted, in memory, immutable.
pub async fn asset(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    match app.assets.get(&name) {
        Some(page) => page.respond(&headers, is_head(&method)),
        None => not_found(State(app), method, headers).await,
    }
}

/// Whether every segment of a media path is a plain file or folder name:
/// no `..`, no hidden files, no separators or encoded tricks.
pub fn safe_media_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 255
        && path.split('/').all(|seg| {
            !seg.is_empty()
                && !seg.starts_with('.')
                && seg.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
}

/// `GET /media/{*path}`: files of the media library.
pub async fn media(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(path): Path<String>,
) -> Response {
    let content_type = match path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()) {
        Some(e) if e == "jpg" || e == "jpeg" => "image/jpeg",
        Some(e) if e == "png" => "image/png",
        Some(e) if e == "webp" => "image/webp",
        Some(e) if e == "gif" => "image/gif",
        _ => return not_found(State(app), method, headers).await,
    };
    if !safe_media_path(&path) {
        return not_found(State(app), method, headers).await;
    }
    let file = app.media_dir.join(&path);
    let (bytes, modified) = match tokio::fs::read(&file).await {
        Ok(b) => {
            let modified = tokio::fs::metadata(&file).await.ok().and_then(|m| m.modified().ok());
            (b, modified.map(chrono::DateTime::<chrono::Utc>::from))
        }
        Err(_) => return not_found(State(app), method, headers).await,
    };
    let page = CachedPage::new(
        StatusCode::OK,
        content_type,
        "public, max-age=2592000",
        bytes,
        modified,
        vec![],
    );
    page.respond(&headers, is_head(&method))
}

/// `GET /healthz`: 200 when the store answers, 503 when it does not.
pub async fn healthz(State(app): State<AppState>) -> Response {
    let backend = match app.db.backend() {
        newsdesk_db::Backend::Sqlite => "sqlite",
        newsdesk_db::Backend::Postgres => "postgres",
    };
    let (status, body) = match app.db.ping().await {
        Ok(()) => (StatusCode::OK, serde_json::json!({"status": "ok", "database": backend})),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({"status": "unavailable", "database": backend}),
            )
        }
    };
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
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
        ] {
            assert!(page_number(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn media_paths_cannot_escape_the_media_folder() {
        assert!(safe_media_path("demo/story1-1-480.jpg"));
        for bad in [
            "../etc/passwd",
            "demo/../../x.jpg",
            ".hidden.jpg",
            "demo//x.jpg",
            "/abs.jpg",
            "a\\b.jpg",
            "a%2e%2e/x.jpg",
            "",
        ] {
            assert!(!safe_media_path(bad), "{bad}");
        }
    }
}
