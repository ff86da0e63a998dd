//! Dresses error responses for their audience.

use crate::app::AppState;
use crate::cache::{CachedPage, ERROR_CACHE_CONTROL};
use crate::error::ErrorMark;
use crate::views;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use newsdesk_db::ArticleFilter;
use newsdesk_render::ErrorPage;
use std::sync::Arc;

/// Seconds a client is asked to wait after a 503.
pub const RETRY_AFTER_SECS: u32 = 5;

/// Turns a response marked by [`crate::error::AppError`] into a themed HTML
/// page, or into the JSON error envelope under `/api/`.
pub async fn error_pages(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let head = req.method() == Method::HEAD;
    let path = req.uri().path();
    let api = path == "/api" || path.starts_with("/api/");
    // Only what the error page needs, and only cheap reference-counted
    // copies: this runs on every request.
    let accept = req.headers().get(header::ACCEPT_ENCODING).cloned();
    let mut res = next.run(req).await;
    let mark = match res.extensions_mut().remove::<ErrorMark>() {
        Some(m) => m,
        // The router's own refusal of a method (`Allow` says which).
        None if res.status() == StatusCode::METHOD_NOT_ALLOWED => ErrorMark {
            heading: "That cannot be done here",
            message: "This address only answers requests to read it.".into(),
            store_ok: false,
            detail: "method not allowed".into(),
        },
        // Under /api/, a refusal by the framework itself (a path that is
        // not valid UTF-8, say) answers in the API's envelope too.
        None if api
            && (res.status().is_client_error() || res.status().is_server_error())
            && res
                .headers()
                .get(header::CONTENT_TYPE)
                .is_none_or(|v| !v.as_bytes().starts_with(b"application/json")) =>
        {
            let status = res.status();
            let detail = status.canonical_reason().unwrap_or("error").to_lowercase();
            return json_error(status, &detail);
        }
        None => return res,
    };
    let allow = res.headers().get(header::ALLOW).cloned();
    let status = res.status();
    let mut dressed = if api {
        json_error(status, &mark.detail)
    } else {
        let mut h = HeaderMap::new();
        if let Some(a) = accept {
            h.insert(header::ACCEPT_ENCODING, a);
        }
        themed(&app, status, &mark, &h, head).await
    };
    if status == StatusCode::SERVICE_UNAVAILABLE {
        dressed.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    }
    if let Some(a) = allow {
        dressed.headers_mut().insert(header::ALLOW, a);
    }
    dressed
}

/// `{"errors": [{"detail": …}]}`, the API's error envelope (built by the
/// API's own error type, so every API error looks the same).
pub fn json_error(status: StatusCode, detail: &str) -> Response {
    crate::controllers::api::ApiError::new(status, detail).into_response()
}

/// The themed error page for `status`. Pages that do not depend on the
/// request are cached per status; the helpful part (latest stories) is best
/// effort, so an error page renders even when the store does not answer.
pub async fn themed(
    app: &AppState,
    status: StatusCode,
    mark: &ErrorMark,
    headers: &HeaderMap,
    head: bool,
) -> Response {
    // Pages whose words do not depend on the request are rendered once and
    // kept: a flood of 503s or 404s must not render a template each.
    let cacheable = matches!(status.as_u16(), 404 | 405 | 410 | 414 | 503);
    let key = format!("!{}", status.as_u16());
    if cacheable && let Some(page) = app.cache.get(&key) {
        return page.respond(headers, head);
    }
    let generation = app.cache.generation();
    let t = app.taxonomy();
    // Only when the database is free right now: an error page must never
    // wait, and a flood of 404s must not crowd out real pages.
    let turn = if mark.store_ok { app.gate.try_enter() } else { None };
    let latest = match turn {
        Some(_turn) => {
            let work = async {
                let rows = app.db.list_cards(ArticleFilter::All, 6, 0).await.ok()?;
                views::cards(app, &t, &rows).await.ok()
            };
            tokio::time::timeout(std::time::Duration::from_secs(1), work)
                .await
                .ok()
                .flatten()
                .unwrap_or_default()
        }
        None => Vec::new(),
    };
    // A page missing its latest stories is not kept.
    let cacheable = cacheable && (!latest.is_empty() || !mark.store_ok);
    // Browsers and CDNs may keep a missing page a little; never a refusal
    // that says "try again".
    let public = matches!(status.as_u16(), 404 | 410 | 414);
    let heading = mark.heading;
    let message = mark.message.as_str();
    let mut meta =
        views::page_meta(app, format!("{heading} | {}", app.title()), message.to_owned(), "/");
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
            let esc = newsdesk_content::escape_html;
            format!(
                "<!doctype html><title>{}</title><h1>{}</h1><p>{}</p>",
                esc(heading),
                esc(heading),
                esc(message)
            )
        }
    };
    let cache_control = if public { ERROR_CACHE_CONTROL } else { "no-store" };
    let page = Arc::new(CachedPage::new(
        status,
        "text/html; charset=utf-8",
        cache_control,
        body,
        None,
        vec!["home".into(), "taxonomy".into()],
    ));
    if cacheable {
        app.cache.insert(key, page.clone(), generation);
    }
    page.respond(headers, head)
}
