//! The Content API: published content, read-only.

use super::views::{
    self, ApiAuthor, ApiRef, ApiSearchHit, ApiSection, ApiTag, ArticleEnvelope, ArticleList,
    AuthorList, Context, CursorMeta, Formats, MediaEnvelope, OffsetMeta, SearchResults,
    SectionList, StoryList, TagList,
};
use super::{ApiError, Call, ErrorBody, json_ok, limit, only, path_id, query};
use crate::app::AppState;
use crate::cache::CachedPage;
use crate::controllers::site::with_database;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use newsdesk_core::{Article, Id};
use newsdesk_db::{ContentQuery, SearchQuery};
use serde::Serialize;
use std::collections::HashMap;

/// Adds the CORS headers every Content API answer carries: any site may
/// read published content with a content key.
pub async fn cors(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("ETag, Retry-After"));
    res
}

/// `OPTIONS /api/content/…`: a browser's preflight.
pub async fn preflight() -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    let h = res.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, HEAD, OPTIONS"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, X-Newsdesk-Key, If-None-Match"),
    );
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
    res
}

/// `Cache-Control` of Content API answers: clients keep them and ask again
/// with `If-None-Match`.
const API_CACHE_CONTROL: &str = "private, no-cache";

/// The API cache's key for a request: its path and its parameters in order,
/// without the key (every key gets the same published content).
fn cache_key(uri: &Uri, params: &HashMap<String, String>) -> String {
    let mut p: Vec<(&String, &String)> = params.iter().filter(|(k, _)| *k != "key").collect();
    p.sort();
    let query = serde_urlencoded::to_string(&p).unwrap_or_default();
    format!("{}?{query}", uri.path())
}

/// The cached answer for `key`, if any.
fn hit(app: &AppState, key: &str, headers: &HeaderMap) -> Option<Response> {
    app.api_cache.get(key).map(|page| page.respond(headers, false))
}

/// Serializes `v`, keeps it for the next request, and answers with it
/// (304 when the client's copy is current). `generation` is the cache's,
/// taken before the data was read.
fn answer<T: Serialize>(
    app: &AppState,
    key: String,
    generation: u64,
    headers: &HeaderMap,
    v: &T,
) -> Result<Response, ApiError> {
    let body = serde_json::to_string(v).map_err(|e| {
        tracing::error!(error = %e, "an API answer did not serialize");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    })?;
    let page = std::sync::Arc::new(CachedPage::new(
        StatusCode::OK,
        "application/json",
        API_CACHE_CONTROL,
        body,
        None,
        Vec::new(),
    ));
    if page.body.len() <= crate::app::API_CACHE_MAX_BYTES {
        app.api_cache.insert(key, page.clone(), generation);
    }
    Ok(page.respond(headers, false))
}

fn formats(params: &HashMap<String, String>) -> Result<Formats, ApiError> {
    Formats::parse(params.get("formats").map(String::as_str))
        .map_err(|m| ApiError::field(StatusCode::BAD_REQUEST, "formats", m))
}

/// The cursor after `a`: `v1.<first publication, ns>.<id>`.
fn cursor_after(a: &Article) -> Option<String> {
    let ns = a.first_published_at?.timestamp_nanos_opt()?;
    Some(format!("v1.{ns}.{}", a.id))
}

/// Reads a cursor this API gave.
fn parse_cursor(s: &str) -> Result<(DateTime<Utc>, Id), ApiError> {
    let bad = || {
        ApiError::field(
            StatusCode::BAD_REQUEST,
            "cursor",
            "the cursor is not one this API gave: use `meta.next` of the previous page as it is",
        )
    };
    let mut parts = s.split('.');
    let (Some("v1"), Some(ns), Some(id), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let digits = |x: &str| !x.is_empty() && x.len() <= 20 && x.bytes().all(|b| b.is_ascii_digit());
    // Archives reach back before 1970: the time may be negative.
    if !digits(ns.strip_prefix('-').unwrap_or(ns)) || !digits(id) {
        return Err(bad());
    }
    let ns: i64 = ns.parse().map_err(|_| bad())?;
    let id: Id = id.parse().map_err(|_| bad())?;
    Ok((DateTime::from_timestamp_nanos(ns), id))
}

/// A slug parameter resolved through `find`, or a 400 naming it.
fn by_slug<'a, T>(
    params: &HashMap<String, String>,
    name: &str,
    find: impl Fn(&str) -> Option<&'a T>,
) -> Result<Option<&'a T>, ApiError> {
    match params.get(name) {
        None => Ok(None),
        Some(slug) => find(slug).map(Some).ok_or_else(|| {
            ApiError::field(
                StatusCode::BAD_REQUEST,
                name,
                format!("no {name} has the slug `{}`", slug.chars().take(100).collect::<String>()),
            )
        }),
    }
}

/// `GET /api/content/articles`: published articles, newest first, filtered
/// by `section`, `tag`, `author`, `story` (slugs) and `updated_since`
/// (RFC 3339), a page of `limit` at a time after `cursor`.
#[utoipa::path(get, path = "/api/content/articles", tag = "content", operation_id = "list_published_articles",
    params(
        ("section" = Option<String>, Query, description = "Only this section (slug)"),
        ("tag" = Option<String>, Query, description = "Only articles with this tag (slug)"),
        ("author" = Option<String>, Query, description = "Only articles with this author in the bylines (slug)"),
        ("story" = Option<String>, Query, description = "Only articles following this running story (slug)"),
        ("updated_since" = Option<String>, Query, description = "Only articles changed at or after this time (RFC 3339)"),
        ("limit" = Option<i64>, Query, description = "Page size, 1 to 100 (default 20)"),
        ("cursor" = Option<String>, Query, description = "`meta.next` of the previous page"),
        ("formats" = Option<String>, Query, description = "`blocks`, `html` or both, comma-separated (default both)"),
    ),
    responses(
        (status = 200, description = "Published articles, newest first", body = ArticleList),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`"),
        (status = 400, description = "A parameter is wrong; `field` names it", body = ErrorBody),
        (status = 401, description = "No key, or one that is unknown, revoked or expired", body = ErrorBody), (status = 429, description = "The key's budget for this minute is spent; `Retry-After` says when to come back", body = ErrorBody),
    ),
    security(("bearer" = []), ("key_header" = []), ("key_query" = []))
)]
pub async fn list_articles(
    State(app): State<AppState>,
    _call: Call,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    // The generation before anything is read, the taxonomy included.
    let generation = app.api_cache.generation();
    let params = query(&uri)?;
    only(
        &params,
        &["section", "tag", "author", "story", "updated_since", "limit", "cursor", "formats"],
    )?;
    let t = app.taxonomy();
    let section = by_slug(&params, "section", |s| t.sections.iter().find(|x| x.slug == s))?;
    let tag = by_slug(&params, "tag", |s| t.tags.values().find(|x| x.slug == s))?;
    let author = by_slug(&params, "author", |s| t.authors.values().find(|x| x.slug == s))?;
    let story = by_slug(&params, "story", |s| t.stories.values().find(|x| x.slug == s))?;
    let updated_since = match params.get("updated_since") {
        None => None,
        Some(v) => {
            Some(DateTime::parse_from_rfc3339(v).map(|d| d.with_timezone(&Utc)).map_err(|_| {
                ApiError::field(
                    StatusCode::BAD_REQUEST,
                    "updated_since",
                    "give a time in RFC 3339, e.g. 2026-03-01T09:00:00Z",
                )
            })?)
        }
    };
    let after = params.get("cursor").map(|c| parse_cursor(c)).transpose()?;
    let limit = limit(&params)?;
    let formats = formats(&params)?;
    let q = ContentQuery {
        section_id: section.map(|s| s.id),
        tag_id: tag.map(|x| x.id),
        author_id: author.map(|x| x.id),
        story_id: story.map(|x| x.id),
        updated_since,
        after,
        limit: limit + 1,
    };
    let key = cache_key(&uri, &params);
    if let Some(res) = hit(&app, &key, &headers) {
        return Ok(res);
    }
    let app2 = app.clone();
    let t2 = t.clone();
    let body = with_database(&app, async move {
        let mut found = app2.db.content_articles(&q).await?;
        let more = found.len() as i64 > limit;
        found.truncate(usize::try_from(limit).unwrap_or(0));
        let refs: Vec<&Article> = found.iter().collect();
        let ctx = Context::load(&app2, &t2, &refs, formats, false).await?;
        let next = if more { found.last().and_then(cursor_after) } else { None };
        let articles: Vec<_> = found.iter().map(|a| ctx.article(a, None)).collect();
        Ok(ArticleList { articles, meta: CursorMeta { limit, next } })
    })
    .await?;
    answer(&app, key, generation, &headers, &body)
}

/// One published article, or 404.
async fn one_article(
    app: &AppState,
    key: String,
    headers: &HeaderMap,
    formats: Formats,
    find: impl Future<Output = newsdesk_db::Result<Option<Article>>> + Send + 'static,
) -> Result<Response, ApiError> {
    if let Some(res) = hit(app, &key, headers) {
        return Ok(res);
    }
    let generation = app.api_cache.generation();
    let t = app.taxonomy();
    let app2 = app.clone();
    let body = with_database(app, async move {
        let Some(a) = find.await?.filter(|a| a.status.is_public()) else {
            return Ok(None);
        };
        let ctx = Context::load(&app2, &t, &[&a], formats, false).await?;
        Ok(Some(ArticleEnvelope { article: ctx.article(&a, None) }))
    })
    .await?;
    match body {
        Some(b) => answer(app, key, generation, headers, &b),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "no published article there")),
    }
}

/// `GET /api/content/articles/{id}`
#[utoipa::path(get, path = "/api/content/articles/{id}", tag = "content", operation_id = "find_published_article",
    params(("id" = i64, Path, description = "Article id"), ("formats" = Option<String>, Query, description = "`blocks`, `html` or both, comma-separated (default both)")),
    responses(
        (status = 200, description = "The article", body = ArticleEnvelope),
        (status = 304, description = "Unchanged since the `ETag` sent"),
        (status = 404, description = "No published article has this id", body = ErrorBody),
        (status = 401, description = "No key, or one that is unknown, revoked or expired", body = ErrorBody), (status = 429, description = "The key's budget for this minute is spent; `Retry-After` says when to come back", body = ErrorBody),
    ),
    security(("bearer" = []), ("key_header" = []), ("key_query" = []))
)]
pub async fn find_article(
    State(app): State<AppState>,
    _call: Call,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let params = query(&uri)?;
    only(&params, &["formats"])?;
    let formats = formats(&params)?;
    let db = app.db.clone();
    let find = async move {
        match db.find_article(id).await {
            Ok(a) => Ok(Some(a)),
            Err(newsdesk_db::DbError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    };
    one_article(&app, cache_key(&uri, &params), &headers, formats, find).await
}

/// `GET /api/content/articles/by-path?path=/world/2026/03/01/slug`
#[utoipa::path(get, path = "/api/content/articles/by-path", tag = "content", operation_id = "find_published_article_by_path",
    params(("path" = String, Query, description = "The article's path, e.g. `/world/2026/03/01/slug`"), ("formats" = Option<String>, Query, description = "`blocks`, `html` or both, comma-separated (default both)")),
    responses(
        (status = 200, description = "The article", body = ArticleEnvelope),
        (status = 304, description = "Unchanged since the `ETag` sent"),
        (status = 400, description = "No path given", body = ErrorBody),
        (status = 404, description = "No published article has this path", body = ErrorBody),
        (status = 401, description = "No key, or one that is unknown, revoked or expired", body = ErrorBody), (status = 429, description = "The key's budget for this minute is spent; `Retry-After` says when to come back", body = ErrorBody),
    ),
    security(("bearer" = []), ("key_header" = []), ("key_query" = []))
)]
pub async fn find_article_by_path(
    State(app): State<AppState>,
    _call: Call,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params = query(&uri)?;
    only(&params, &["path", "formats"])?;
    let formats = formats(&params)?;
    let Some(path) = params.get("path").filter(|p| p.starts_with('/') && p.len() <= 2048) else {
        return Err(ApiError::field(
            StatusCode::BAD_REQUEST,
            "path",
            "give the article's path, starting with /",
        ));
    };
    let path = path.trim_end_matches('/').to_owned();
    let db = app.db.clone();
    let find = async move { db.find_article_by_path(&path).await };
    one_article(&app, cache_key(&uri, &params), &headers, formats, find).await
}

/// `GET /api/content/sections`, in navigation order.
#[utoipa::path(get, path = "/api/content/sections", tag = "content",
    responses((status = 200, description = "Every section, in navigation order", body = SectionList), (status = 401, description = "No key, or one that is unknown, revoked or expired", body = ErrorBody), (status = 429, description = "The key's budget for this minute is spent; `Retry-After` says when to come back", body = ErrorBody)),
    security(("bearer" = []), ("key_header" = []), ("key_query" = []))
)]
pub async fn list_sections(
    State(app): State<AppState>,
    _call: Call,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    only(&query(&uri)?, &[])?;
    let t = app.taxonomy();
    let sections: Vec<ApiSection> = t
        .sections
        .iter()
        .map(|s| ApiSection {
            id: s.id,
            name: s.name.clone(),
            slug: s.slug.clone(),
            description: s.description.clone(),
            url: app.absolute(&format!("/{}", s.slug)),
        })
        .collect();
    Ok(json_ok(&headers, StatusCode::OK, &SectionList { sections }))
}

fn sorted<T, K: Ord>(items: impl Iterator<Item = T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut v: Vec<T> = items.collect();
    v.sort_by_key(|x| key(x));
    v
}

/// `GET /api/content/tags`, by name.
#[utoipa::path(get, path = "/api/content/tags", tag = "content",
    responses((status = 200, description = "Every tag, by name", body = TagList), (status = 401, description = "No key, or one that is unknown, revoked or expired", body = ErrorBody), (status = 429, description = "The key's budget for this minute is spent; `Retry-After` says when to come back", body = ErrorBody)),
    security(("bearer" = []), ("key_header" = []), ("key_query" = []))
)]
pub async fn list_tags(
    State(app): State<AppState>,
    _call: Call,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    only(&query(&uri)?, &[])?;
    let t = app.taxonomy();
    let tags = sorted(t.tags.values(), |x| x.name.to_lowercase());
    let tags: Vec<ApiTag> = tags
        .into_iter()
        .map(|x| ApiTag {
            id: x.id,
            name: x.name.clone(),
            slug: x.slug.clone(),
            url: app.absolute(&format!("/tag/{}", x.slug)),
        })
        .collect();
    Ok(json_ok(&headers, StatusCode::OK, &TagList { tags }))
}

/// `GET /api/content/stories`, by name.
#[utoipa::path(get, path = "/api/content/stories", tag = "content",
    responses((status = 200, description = "Every running story, by name", body = StoryList), (status = 401, description = "No key, or one that is unknown, revoked or expired", body = ErrorBody), (status = 429, description = "The key's budget for this minute is spent; `Retry-After` says when to come back", body = ErrorBody)),
    security(("bearer" = []), ("key_header" = []), ("key_query" = []))
)]
pub async fn list_stories(
    State(app): State<AppState>,
    _call: Call,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    only(&query(&uri)?, &[])?;
    let t = app.taxonomy();
    let stories: Vec<ApiRef> = sorted(t.stories.values(), |x| x.name.to_lowercase())
        .into_iter()
        .map(|x| ApiRef { id: x.id, name: x.name.clone(), slug: x.slug.clone() })
        .collect();
    Ok(json_ok(&headers, StatusCode::OK, &StoryList { stories }))
}

/// `GET /api/content/authors`, by name.
#[utoipa::path(get, path = "/api/content/authors", tag = "content",
    responses((status = 200, description = "Every author, by name", body = AuthorList), (status = 401, description = "No key, or one that is unknown, revoked or expired", body = ErrorBody), (status = 429, description = "The key's budget for this minute is spent; `Retry-After` says when to come back", body = ErrorBody)),
    security(("bearer" = []), ("key_header" = []), ("key_query" = []))
)]
pub async fn list_authors(
    State(app): State<AppState>,
    _call: Call,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    only(&query(&uri)?, &[])?;
    let t = app.taxonomy();
    let photos: Vec<Id> = t.authors.values().filter_map(|a| a.photo_media_id).collect();
    let db = app.db.clone();
    let media: HashMap<Id, newsdesk_core::Media> = with_database(&app, async move {
        Ok(db.media_by_ids(&photos).await?.into_iter().map(|m| (m.id, m)).collect())
    })
    .await?;
    let authors: Vec<ApiAuthor> = sorted(t.authors.values(), |x| x.name.to_lowercase())
        .into_iter()
        .map(|a| ApiAuthor {
            id: a.id,
            name: a.name.clone(),
            slug: a.slug.clone(),
            title: a.title.clone(),
            bio: a.bio.clone(),
            url: app.absolute(&format!("/author/{}", a.slug)),
            photo: a.photo_media_id.and_then(|m| media.get(&m)).map(|m| views::media(&app, m)),
        })
        .collect();
    Ok(json_ok(&headers, StatusCode::OK, &AuthorList { authors }))
}

/// `GET /api/content/search?q=…`: published articles matching the words,
/// best first, `limit` at a time from `offset`.
#[utoipa::path(get, path = "/api/content/search", tag = "content", operation_id = "search_articles",
    params(
        ("q" = String, Query, description = "The words to find"),
        ("section" = Option<String>, Query, description = "Only this section (slug)"),
        ("limit" = Option<i64>, Query, description = "Page size, 1 to 100 (default 20)"),
        ("offset" = Option<i64>, Query, description = "Results to skip, 0 to 10000"),
    ),
    responses(
        (status = 200, description = "Published articles matching every word, best first", body = SearchResults),
        (status = 400, description = "No words, or a wrong parameter", body = ErrorBody),
        (status = 401, description = "No key, or one that is unknown, revoked or expired", body = ErrorBody), (status = 429, description = "The key's budget for this minute is spent; `Retry-After` says when to come back", body = ErrorBody),
    ),
    security(("bearer" = []), ("key_header" = []), ("key_query" = []))
)]
pub async fn search(
    State(app): State<AppState>,
    _call: Call,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let generation = app.api_cache.generation();
    let params = query(&uri)?;
    only(&params, &["q", "section", "limit", "offset"])?;
    let q = params.get("q").map(|s| s.trim()).unwrap_or_default();
    if q.is_empty() || q.chars().count() > 200 {
        return Err(ApiError::field(
            StatusCode::BAD_REQUEST,
            "q",
            "give the words to search for (at most 200 characters)",
        ));
    }
    let t = app.taxonomy();
    let section = by_slug(&params, "section", |s| t.sections.iter().find(|x| x.slug == s))?;
    let limit = limit(&params)?;
    let offset = match params.get("offset").map(|v| v.parse::<i64>()) {
        None => 0,
        Some(Ok(n)) if (0..=10_000).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::field(
                StatusCode::BAD_REQUEST,
                "offset",
                "give a number from 0 to 10000",
            ));
        }
    };
    let sq = SearchQuery {
        text: q.to_owned(),
        section_id: section.map(|s| s.id),
        from: None,
        until: None,
        limit,
        offset,
    };
    let key = cache_key(&uri, &params);
    if let Some(res) = hit(&app, &key, &headers) {
        return Ok(res);
    }
    let db = app.db.clone();
    let found = with_database(&app, async move { Ok(db.search(&sq).await?) }).await?;
    let strip = |s: &str| s.replace([newsdesk_db::MARK_START, newsdesk_db::MARK_END], "");
    let results: Vec<ApiSearchHit> = found
        .items
        .iter()
        .map(|h| ApiSearchHit {
            id: h.card.id,
            url: app.absolute(&h.card.path),
            path: h.card.path.clone(),
            headline: h.card.headlines.display.clone(),
            dek: h.card.dek.clone(),
            first_published_at: h.card.first_published_at,
            snippet: strip(&h.snippet),
        })
        .collect();
    let body = SearchResults { results, meta: OffsetMeta { total: found.total, limit, offset } };
    answer(&app, key, generation, &headers, &body)
}

/// `GET /api/content/media/{id}`: a media item a published article (or an
/// author's page) shows; others stay private.
#[utoipa::path(get, path = "/api/content/media/{id}", tag = "content", operation_id = "find_published_media",
    params(("id" = i64, Path, description = "Media id")),
    responses(
        (status = 200, description = "A media item a published page shows", body = MediaEnvelope),
        (status = 404, description = "No such item, or none a reader can see", body = ErrorBody),
        (status = 401, description = "No key, or one that is unknown, revoked or expired", body = ErrorBody), (status = 429, description = "The key's budget for this minute is spent; `Retry-After` says when to come back", body = ErrorBody),
    ),
    security(("bearer" = []), ("key_header" = []), ("key_query" = []))
)]
pub async fn find_media(
    State(app): State<AppState>,
    _call: Call,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let db = app.db.clone();
    let found = with_database(&app, async move {
        let m = match db.media(id).await {
            Ok(m) => m,
            Err(newsdesk_db::DbError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let public = db.media_uses(id).await?.iter().any(|u| u.status == "published")
            || !db.media_portrait_of(id).await?.is_empty();
        Ok(public.then_some(m))
    })
    .await?;
    match found {
        Some(m) => {
            Ok(json_ok(&headers, StatusCode::OK, &MediaEnvelope { media: views::media(&app, &m) }))
        }
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "no published media item there")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_tampered_ones_are_refused() {
        let at = DateTime::from_timestamp_nanos(1_772_000_000_123_456_789);
        let mut a = Article::draft("x", at);
        a.id = 42;
        a.first_published_at = Some(at);
        let c = cursor_after(&a).unwrap_or_default();
        assert_eq!(parse_cursor(&c).ok(), Some((at, 42)));
        for bad in
            ["", "v1", "v1.1", "v2.1.2", "v1.1.2.3", "v1.1.x", "v1.99999999999999999999999.1"]
        {
            assert!(parse_cursor(bad).is_err(), "{bad}");
        }
    }
}
