//! What other programs read: feeds, sitemaps, `robots.txt` and oEmbed.

use super::pages::{ListSpec, list_spec};
use crate::app::{App, AppState, Taxonomy};
use crate::cache::{CachedPage, PAGE_CACHE_CONTROL};
use crate::error::AppError;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use newsdesk_content::media_url;
use newsdesk_core::{Block, Byline, Id, Media};
use newsdesk_feeds::{
    Feed, ItemContext, NewsEntry, SITEMAP_MAX_URLS, SharedItem, SitemapImage, SitemapUrl,
};
use std::collections::HashMap;
use std::sync::Arc;

/// Items per feed.
pub const FEED_ITEMS: i64 = 50;

/// How far back the Google News sitemap reaches (Google's two days).
pub const NEWS_WINDOW_HOURS: i64 = 48;

/// The feed formats, by file name: (file, content type).
pub const FEED_FILES: [(&str, &str); 3] = [
    ("feed.xml", "application/rss+xml; charset=utf-8"),
    ("feed.atom", "application/atom+xml; charset=utf-8"),
    ("feed.json", "application/feed+json; charset=utf-8"),
];

fn head(method: &Method) -> bool {
    method == Method::HEAD
}

/// Feed items an export has made, shared by every feed an article
/// appears in (the site's, its section's, tags' and authors'): each is
/// read, rendered and written once per format.
pub type SharedFeedItems = crate::memo::Shared<Arc<SharedItem>>;

/// The feed of a list: three or four queries whatever the number of items
/// (the articles, their tags, every image, the paths timelines link to).
/// During an export, the list's ids come first (one more query) and only
/// the articles no other feed has shown yet are read.
async fn build_feed(
    app: &App,
    t: &Taxonomy,
    scope: &ListSpec,
    generation: u64,
) -> Result<Feed, AppError> {
    let exporting = app.exporting();
    let shared = || crate::memo::lock(&app.feed_items);
    // The items other feeds made, taken now: what happens to the shared
    // ones later (another generation's feed emptying them) cannot take
    // an item out of this feed.
    let mut have: HashMap<Id, Arc<SharedItem>> = HashMap::new();
    let (order, articles) = if exporting {
        let ids = app.db.list_article_ids(scope.filter, FEED_ITEMS).await?;
        have = shared().find(generation, &ids);
        let missing: Vec<Id> = ids.iter().filter(|id| !have.contains_key(id)).copied().collect();
        (Some(ids), app.db.published_articles(&missing).await?)
    } else {
        (None, app.db.list_articles(scope.filter, FEED_ITEMS).await?)
    };
    let mut media_ids: Vec<Id> = Vec::new();
    let mut linked: Vec<Id> = Vec::new();
    for a in &articles {
        media_ids.extend(a.lead.iter().map(|f| f.media_id));
        for b in &a.body {
            match b {
                Block::Figure(f) => media_ids.push(f.media_id),
                Block::Timeline { entries, .. } => {
                    linked.extend(entries.iter().filter_map(|e| e.article_id))
                }
                _ => {}
            }
        }
    }
    let media: HashMap<Id, Media> =
        app.db.media_by_ids(&media_ids).await?.into_iter().map(|m| (m.id, m)).collect();
    let paths = app.db.article_paths(&linked).await?;
    // The export reads the sizes on the lane (a hop to the blocking pool
    // per item cost more than the `stat`); a server keeps its one lane free
    // of file-system waits.
    let mut file_sizes = HashMap::new();
    for a in &articles {
        let Some(m) = a.lead.as_ref().and_then(|f| media.get(&f.media_id)) else { continue };
        let file = app.media_dir.join(m.sized(newsdesk_feeds::FEED_IMAGE_WIDTH).0);
        let size = if exporting {
            std::fs::metadata(&file).map(|md| md.len())
        } else {
            tokio::fs::metadata(&file).await.map(|md| md.len())
        };
        if let Ok(size) = size {
            file_sizes.insert(m.id, size);
        }
    }
    let ctx = ItemContext {
        base: &app.base_url,
        language: &app.config.site.language,
        sections: &t.sections,
        tags: &t.tags,
        authors: &t.authors,
        media: &media,
        article_paths: &paths,
        file_sizes: &file_sizes,
    };
    let made =
        articles.iter().map(|a| (a.id, Arc::new(newsdesk_feeds::article_item(a, &ctx).into())));
    let items: Vec<Arc<SharedItem>> = match order {
        None => made.map(|(_, item)| item).collect(),
        Some(ids) => {
            let fresh: Vec<(Id, Arc<SharedItem>)> = made.collect();
            // Only while an export runs (see `views::export_article_extras`).
            if app.exporting() {
                shared().keep(generation, &fresh);
            }
            have.extend(fresh);
            // An id unpublished since it was read has no article: left out.
            ids.iter().filter_map(|id| have.get(id).cloned()).collect()
        }
    };
    let updated = items.iter().map(|i| i.changed()).max().unwrap_or_else(Utc::now);
    let site = &app.title();
    Ok(Feed {
        title: if scope.kind == "site" {
            site.clone()
        } else {
            format!("{site} — {}", scope.heading)
        },
        description: scope.description.clone(),
        home_url: app.absolute(if scope.path.is_empty() { "/" } else { &scope.path }),
        feed_url: app.absolute(&format!("{}/feed.xml", scope.path)),
        language: app.config.site.language.clone(),
        icon_url: app.absolute(&app.site_view(t).logo_url),
        updated,
        items,
    })
}

async fn serve_feed(
    app: AppState,
    method: Method,
    headers: HeaderMap,
    kind: &str,
    slug: &str,
    file: &str,
) -> Result<Response, AppError> {
    if !FEED_FILES.iter().any(|(f, _)| *f == file) {
        return Err(AppError::NotFound);
    }
    // Taken before anything the feed is made from is read, the taxonomy
    // too, as the cache asks: a change meanwhile keeps the other formats
    // out of it.
    let generation = app.cache.generation();
    let t = app.taxonomy();
    let scope = list_spec(&app, &t, kind, slug).ok_or(AppError::NotFound)?;
    let key = format!("{}/{file}", scope.path);
    let a = app.clone();
    let file = file.to_owned();
    super::cached(&app, &key, &headers, head(&method), || async move {
        let mut feed = build_feed(&a, &t, &scope, generation).await?;
        // For the static export, the list is read and its items made once
        // for all three formats: the other two are stored beside the one
        // asked for, and the export asks for them next.
        let all = a.exporting();
        let mut asked = None;
        for (name, content_type) in FEED_FILES {
            let sibling = format!("{}/{name}", scope.path);
            if name != file && (!all || a.cache.get(&sibling).is_some()) {
                continue;
            }
            feed.feed_url = a.absolute(&sibling);
            let body = match name {
                "feed.xml" => newsdesk_feeds::rss(&feed),
                "feed.atom" => newsdesk_feeds::atom(&feed),
                _ => newsdesk_feeds::json_feed(&feed),
            };
            let page = CachedPage::new(
                StatusCode::OK,
                content_type,
                PAGE_CACHE_CONTROL,
                body,
                Some(feed.updated),
                vec![scope.key.clone(), "taxonomy".into()],
            );
            if name == file {
                asked = Some(page);
            } else {
                a.cache.insert(sibling, Arc::new(page), generation);
            }
        }
        asked.ok_or(AppError::NotFound)
    })
    .await
}

/// `GET /feed.xml`, `/feed.atom`, `/feed.json`: the whole site.
pub async fn site_feed(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Result<Response, AppError> {
    let file = uri.path().trim_start_matches('/').to_owned();
    serve_feed(app, method, headers, "site", "", &file).await
}

/// `GET /{section}/{file}`: a section's feed.
pub async fn section_feed(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path((slug, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    serve_feed(app, method, headers, "section", &slug, &file).await
}

/// `GET /tag/{slug}/{file}`: a tag's feed.
pub async fn tag_feed(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path((slug, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    serve_feed(app, method, headers, "tag", &slug, &file).await
}

/// `GET /author/{slug}/{file}`: an author's feed.
pub async fn author_feed(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path((slug, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    serve_feed(app, method, headers, "author", &slug, &file).await
}

/// The feeds of a page, for `<link rel="alternate">` autodiscovery.
pub fn feed_links(title: &str, page_path: &str) -> Vec<newsdesk_render::Alternate> {
    FEED_FILES
        .iter()
        .map(|(file, mime)| newsdesk_render::Alternate {
            mime: mime.split(';').next().unwrap_or_default().into(),
            title: format!(
                "{title} ({})",
                match *file {
                    "feed.xml" => "RSS",
                    "feed.atom" => "Atom",
                    _ => "JSON Feed",
                }
            ),
            url: format!("{page_path}/{file}"),
        })
        .collect()
}

const XML: &str = "application/xml; charset=utf-8";

async fn cached_xml(
    app: &AppState,
    key: &str,
    headers: &HeaderMap,
    method: &Method,
    build: impl std::future::Future<Output = Result<Option<String>, AppError>> + Send + 'static,
) -> Result<Response, AppError> {
    super::cached(app, key, headers, head(method), || async move {
        let body = build.await?.ok_or(AppError::NotFound)?;
        Ok(CachedPage::new(
            StatusCode::OK,
            XML,
            PAGE_CACHE_CONTROL,
            body,
            None,
            vec!["sitemaps".into(), "taxonomy".into()],
        ))
    })
    .await
}

/// `GET /sitemap.xml`: the sitemap index.
pub async fn sitemap_index(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let a = app.clone();
    cached_xml(&app, "/sitemap.xml", &headers, &method, async move {
        let n = a.db.count_published().await?;
        let files = ((n as usize).div_ceil(SITEMAP_MAX_URLS)).max(1);
        let last = a.db.last_published_change().await?;
        let mut list: Vec<(String, Option<chrono::DateTime<Utc>>)> = (1..=files)
            .map(|i| (a.absolute(&format!("/sitemaps/articles-{i}.xml")), last))
            .collect();
        list.push((a.absolute("/sitemaps/pages.xml"), last));
        list.push((a.absolute("/sitemaps/news.xml"), last));
        Ok(Some(newsdesk_feeds::sitemap_index(&list)))
    })
    .await
}

/// `GET /sitemaps/{file}`: article, page and news sitemaps.
pub async fn sitemap(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let a = app.clone();
    if file == "news.xml" {
        // Not cached: its two-day window moves with the clock, not with edits.
        let since = Utc::now() - Duration::hours(NEWS_WINDOW_HOURS);
        let db = a.db.clone();
        let rows = super::with_database(&app, async move {
            Ok(db.published_since(since, newsdesk_feeds::NEWS_MAX_URLS as i64).await?)
        })
        .await;
        return match rows {
            Ok(rows) => {
                let entries: Vec<NewsEntry> = rows
                    .into_iter()
                    .map(|r| NewsEntry {
                        loc: a.absolute(&r.path),
                        title: r.headline,
                        published: r.first_published_at,
                    })
                    .collect();
                let body = newsdesk_feeds::news_sitemap(
                    &a.title(),
                    &a.config.site.language,
                    &entries,
                    since,
                );
                // Not kept here (its window moves with the clock), but a CDN
                // may keep it a few minutes: the key lets a publish purge it.
                Ok(CachedPage::new(
                    StatusCode::OK,
                    XML,
                    "public, max-age=300",
                    body,
                    None,
                    vec!["sitemaps".into()],
                )
                .respond(&headers, head(&method)))
            }
            Err(e) => Err(e),
        };
    }
    let key = format!("/sitemaps/{file}");
    cached_xml(&app, &key, &headers, &method, async move {
        if file == "pages.xml" {
            let t = a.taxonomy();
            let mut urls = vec![SitemapUrl {
                loc: a.absolute("/"),
                lastmod: a.db.last_published_change().await?,
                images: vec![],
            }];
            urls.extend(t.sections.iter().map(|s| SitemapUrl {
                loc: a.absolute(&format!("/{}", s.slug)),
                lastmod: None,
                images: vec![],
            }));
            let mut tags: Vec<_> = t.tags.values().collect();
            tags.sort_by(|x, y| x.slug.cmp(&y.slug));
            urls.extend(tags.iter().map(|x| SitemapUrl {
                loc: a.absolute(&format!("/tag/{}", x.slug)),
                lastmod: None,
                images: vec![],
            }));
            let mut authors: Vec<_> = t.authors.values().collect();
            authors.sort_by(|x, y| x.slug.cmp(&y.slug));
            urls.extend(authors.iter().map(|x| SitemapUrl {
                loc: a.absolute(&format!("/author/{}", x.slug)),
                lastmod: None,
                images: vec![],
            }));
            return Ok(Some(newsdesk_feeds::urlset(&urls)));
        }
        let Some(n) = file
            .strip_prefix("articles-")
            .and_then(|r| r.strip_suffix(".xml"))
            .filter(|d| !d.is_empty() && d.len() <= 6 && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse::<i64>().ok())
        else {
            return Ok(None);
        };
        let total = a.db.count_published().await?;
        let files = (total.max(1) + SITEMAP_MAX_URLS as i64 - 1) / SITEMAP_MAX_URLS as i64;
        if n < 1 || n > files {
            return Ok(None);
        }
        let rows =
            a.db.sitemap_rows(SITEMAP_MAX_URLS as i64, (n - 1) * SITEMAP_MAX_URLS as i64).await?;
        let mut media: HashMap<Id, Media> = HashMap::new();
        let ids: Vec<Id> = rows.iter().filter_map(|r| r.lead_media_id).collect();
        for chunk in ids.chunks(500) {
            media.extend(a.db.media_by_ids(chunk).await?.into_iter().map(|m| (m.id, m)));
        }
        let urls: Vec<SitemapUrl> = rows
            .iter()
            .map(|r| SitemapUrl {
                loc: a.absolute(&r.path),
                lastmod: Some(r.updated_at.max(r.first_published_at)),
                images: r
                    .lead_media_id
                    .and_then(|id| media.get(&id))
                    .map(|m| SitemapImage {
                        loc: a.absolute(&media_url(m.sized(newsdesk_feeds::FEED_IMAGE_WIDTH).0)),
                    })
                    .into_iter()
                    .collect(),
            })
            .collect();
        Ok(Some(newsdesk_feeds::urlset(&urls)))
    })
    .await
}

/// `GET /robots.txt`
pub async fn robots(State(app): State<AppState>, method: Method, headers: HeaderMap) -> Response {
    CachedPage::new(
        StatusCode::OK,
        "text/plain; charset=utf-8",
        PAGE_CACHE_CONTROL,
        newsdesk_feeds::robots_txt(&app.base_url),
        None,
        vec![],
    )
    .respond(&headers, head(&method))
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let cache = if status.is_success() { PAGE_CACHE_CONTROL } else { "no-store" };
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

/// `GET /oembed?url=…&format=json`: an embeddable card for an article of
/// this site (oEmbed 1.0, type `rich`).
pub async fn oembed(State(app): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params: Vec<(String, String)> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or_default()).unwrap_or_default();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("format").is_some_and(|f| f != "json") {
        return json_response(
            StatusCode::NOT_IMPLEMENTED,
            serde_json::json!({"error": "only format=json is supported"}),
        );
    }
    let not_found = || {
        json_response(
            StatusCode::NOT_FOUND,
            serde_json::json!({"error": "no published article at that URL"}),
        )
    };
    let Some(path) = get("url")
        .and_then(|u| u.strip_prefix(app.base_url.as_str()))
        .filter(|p| p.starts_with('/'))
    else {
        return not_found();
    };
    let path = path.split(['?', '#']).next().unwrap_or_default().to_owned();
    let db = app.db.clone();
    let wanted = path.clone();
    let found =
        super::with_database(&app, async move { Ok(db.find_article_by_path(&wanted).await?) })
            .await;
    let article = match found {
        Ok(Some(a)) if a.status.is_public() => a,
        Ok(_) => return not_found(),
        Err(AppError::Unavailable) => {
            let mut res = json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({"error": "temporarily unavailable"}),
            );
            res.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(crate::middleware::error_pages::RETRY_AFTER_SECS),
            );
            return res;
        }
        Err(e) => {
            tracing::error!(error = %e, "oembed lookup failed");
            return json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                serde_json::json!({"error": "internal error"}),
            );
        }
    };
    let t = app.taxonomy();
    let url = app.absolute(&path);
    let esc = newsdesk_content::escape_html;
    let author = article.bylines.iter().find_map(|b| match b {
        Byline::Author { author_id } => t
            .authors
            .get(author_id)
            .map(|a| (a.name.clone(), Some(app.absolute(&format!("/author/{}", a.slug))))),
        Byline::Credit { text } => Some((text.clone(), None)),
    });
    let html = format!(
        "<blockquote class=\"newsdesk-embed\"><p><a href=\"{}\">{}</a></p><p>{}</p><p>— {}</p></blockquote>",
        esc(&url),
        esc(&article.headlines.display),
        esc(&newsdesk_content::teaser(&article.dek, 200)),
        esc(&app.title())
    );
    let mut body = serde_json::json!({
        "version": "1.0",
        "type": "rich",
        "title": article.headlines.social(),
        "provider_name": app.title(),
        "provider_url": app.absolute("/"),
        "html": html,
        "width": 600,
        "height": 240,
        "cache_age": 3600,
    });
    if let Some((name, url)) = author {
        body["author_name"] = serde_json::json!(name);
        if let Some(u) = url {
            body["author_url"] = serde_json::json!(u);
        }
    }
    if let Some(f) = &article.lead
        && let Ok(media) = app.db.media_by_ids(&[f.media_id]).await
        && let Some(m) = media.first()
    {
        let (file, w, h) = m.sized(400);
        body["thumbnail_url"] = serde_json::json!(app.absolute(&media_url(file)));
        body["thumbnail_width"] = serde_json::json!(w);
        body["thumbnail_height"] = serde_json::json!(h);
    }
    json_response(StatusCode::OK, body)
}
