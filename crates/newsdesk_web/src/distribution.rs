//! What other programs read: feeds, sitemaps, `robots.txt` and oEmbed.

use crate::app::{App, AppState, Taxonomy};
use crate::cache::{CachedPage, PAGE_CACHE_CONTROL};
use crate::site::{AppError, ListSpec, error_response, list_spec};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use newsdesk_content::{BodyContext, media_url, render_body, render_lead};
use newsdesk_core::{Block, Byline, Id, Media};
use newsdesk_feeds::{
    Feed, FeedAuthor, FeedImage, FeedItem, NewsEntry, SITEMAP_MAX_URLS, SitemapImage, SitemapUrl,
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

fn image_mime(file: &str) -> &'static str {
    match file.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).as_deref() {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        _ => "image/jpeg",
    }
}

async fn build_feed(app: &App, t: &Taxonomy, scope: &ListSpec, file: &str) -> anyhow::Result<Feed> {
    let articles = app.db.list_articles(scope.filter, FEED_ITEMS).await?;
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
    let base = app.base_url.as_str();
    let ctx = BodyContext { media: &media, article_paths: &paths, base };
    let mut items = Vec::with_capacity(articles.len());
    for a in &articles {
        let lead = a.lead.as_ref();
        let lead_media = lead.and_then(|f| media.get(&f.media_id));
        // The lead figure goes first in the body, with absolute URLs.
        let mut content = match (lead, lead_media) {
            (Some(f), Some(m)) => render_lead(f, Some(m), base),
            _ => String::new(),
        };
        content.push_str(&render_body(&a.body, &ctx));
        let image = match (lead, lead_media) {
            (Some(f), Some(m)) => {
                let length = tokio::fs::metadata(app.media_dir.join(&m.file))
                    .await
                    .map(|md| md.len())
                    .unwrap_or(0);
                Some(FeedImage {
                    url: app.absolute(&media_url(&m.file)),
                    mime: image_mime(&m.file).into(),
                    length,
                    width: m.width,
                    height: m.height,
                    alt: f.alt(Some(m)).unwrap_or_default().into(),
                    caption: f.caption(Some(m)).map(Into::into),
                    credit: f.credit(Some(m)).map(Into::into),
                })
            }
            _ => None,
        };
        let mut categories: Vec<String> =
            t.section(a.section_id).map(|s| s.name.clone()).into_iter().collect();
        categories.extend(a.tags.iter().filter_map(|id| t.tags.get(id)).map(|x| x.name.clone()));
        items.push(FeedItem {
            url: app.absolute(a.path.as_deref().unwrap_or("/")),
            title: a.headlines.display.clone(),
            summary: a.dek.clone(),
            content_html: content,
            published: a.first_published_at.unwrap_or(a.updated_at),
            updated: a.updated_at,
            authors: a
                .bylines
                .iter()
                .filter_map(|b| match b {
                    Byline::Author { author_id } => t.authors.get(author_id).map(|au| FeedAuthor {
                        name: au.name.clone(),
                        url: Some(app.absolute(&format!("/author/{}", au.slug))),
                    }),
                    Byline::Credit { text } => Some(FeedAuthor { name: text.clone(), url: None }),
                })
                .collect(),
            categories,
            image,
        });
    }
    let updated = items.iter().map(|i| i.updated.max(i.published)).max().unwrap_or_else(Utc::now);
    let site = &app.config.site.title;
    Ok(Feed {
        title: if scope.kind == "site" {
            site.clone()
        } else {
            format!("{site} — {}", scope.heading)
        },
        description: scope.description.clone(),
        home_url: app.absolute(if scope.path.is_empty() { "/" } else { &scope.path }),
        feed_url: app.absolute(&format!("{}/{file}", scope.path)),
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
) -> Response {
    let Some(&(_, content_type)) = FEED_FILES.iter().find(|(f, _)| *f == file) else {
        return error_response(&app, AppError::NotFound, &headers, head(&method)).await;
    };
    let t = app.taxonomy();
    let Some(scope) = list_spec(&app, &t, kind, slug) else {
        return error_response(&app, AppError::NotFound, &headers, head(&method)).await;
    };
    let key = format!("{}/{file}", scope.path);
    if let Some(page) = app.cache.get(&key) {
        return page.respond(&headers, head(&method));
    }
    let generation = app.cache.generation();
    let feed = match build_feed(&app, &t, &scope, file).await {
        Ok(f) => f,
        Err(e) => {
            return error_response(&app, AppError::Internal(e), &headers, head(&method)).await;
        }
    };
    let body = match file {
        "feed.xml" => newsdesk_feeds::rss(&feed),
        "feed.atom" => newsdesk_feeds::atom(&feed),
        _ => newsdesk_feeds::json_feed(&feed),
    };
    let page = Arc::new(CachedPage::new(
        StatusCode::OK,
        content_type,
        PAGE_CACHE_CONTROL,
        body,
        Some(feed.updated),
        vec![scope.key.clone(), "taxonomy".into()],
    ));
    app.cache.insert(key, page.clone(), generation);
    page.respond(&headers, head(&method))
}

/// `GET /feed.xml`, `/feed.atom`, `/feed.json`: the whole site.
pub async fn site_feed(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let file = uri.path().trim_start_matches('/').to_owned();
    serve_feed(app, method, headers, "site", "", &file).await
}

/// `GET /{section}/{file}`: a section's feed.
pub async fn section_feed(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path((slug, file)): Path<(String, String)>,
) -> Response {
    serve_feed(app, method, headers, "section", &slug, &file).await
}

/// `GET /tag/{slug}/{file}`: a tag's feed.
pub async fn tag_feed(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path((slug, file)): Path<(String, String)>,
) -> Response {
    serve_feed(app, method, headers, "tag", &slug, &file).await
}

/// `GET /author/{slug}/{file}`: an author's feed.
pub async fn author_feed(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path((slug, file)): Path<(String, String)>,
) -> Response {
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
    build: impl std::future::Future<Output = Result<Option<String>, AppError>>,
) -> Response {
    if let Some(page) = app.cache.get(key) {
        return page.respond(headers, head(method));
    }
    let generation = app.cache.generation();
    match build.await {
        Ok(Some(body)) => {
            let page = Arc::new(CachedPage::new(
                StatusCode::OK,
                XML,
                PAGE_CACHE_CONTROL,
                body,
                None,
                vec!["sitemaps".into(), "taxonomy".into()],
            ));
            app.cache.insert(key.to_owned(), page.clone(), generation);
            page.respond(headers, head(method))
        }
        Ok(None) => error_response(app, AppError::NotFound, headers, head(method)).await,
        Err(e) => error_response(app, e, headers, head(method)).await,
    }
}

/// `GET /sitemap.xml`: the sitemap index.
pub async fn sitemap_index(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
) -> Response {
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
) -> Response {
    let a = app.clone();
    if file == "news.xml" {
        // Not cached: its two-day window moves with the clock, not with edits.
        let since = Utc::now() - Duration::hours(NEWS_WINDOW_HOURS);
        return match a.db.published_since(since, newsdesk_feeds::NEWS_MAX_URLS as i64).await {
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
                    &a.config.site.title,
                    &a.config.site.language,
                    &entries,
                    since,
                );
                CachedPage::new(StatusCode::OK, XML, "public, max-age=300", body, None, vec![])
                    .respond(&headers, head(&method))
            }
            Err(e) => error_response(&app, e.into(), &headers, head(&method)).await,
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
                    .map(|m| SitemapImage { loc: a.absolute(&media_url(&m.file)) })
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
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let article = match app.db.find_article_by_path(path).await {
        Ok(Some(a)) if a.status.is_public() => a,
        Ok(_) => return not_found(),
        Err(e) => {
            tracing::error!(error = %e, "oembed lookup failed");
            return json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                serde_json::json!({"error": "internal error"}),
            );
        }
    };
    let t = app.taxonomy();
    let url = app.absolute(path);
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
        esc(&app.config.site.title)
    );
    let mut body = serde_json::json!({
        "version": "1.0",
        "type": "rich",
        "title": article.headlines.social(),
        "provider_name": app.config.site.title,
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
        let (file, w, h) = m
            .renditions
            .iter()
            .find(|r| r.width >= 400)
            .map_or((m.file.as_str(), m.width, m.height), |r| (r.file.as_str(), r.width, r.height));
        body["thumbnail_url"] = serde_json::json!(app.absolute(&media_url(file)));
        body["thumbnail_width"] = serde_json::json!(w);
        body["thumbnail_height"] = serde_json::json!(h);
    }
    json_response(StatusCode::OK, body)
}
