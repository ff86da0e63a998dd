//! Newsdesk's HTTP side: the public site over axum.
//!
//! The route table is in [`router`]; public pages are in [`site`], served
//! from the in-memory [`cache`]; [`views`] turns store rows into what the
//! templates render.

pub mod app;
pub mod cache;
pub mod distribution;
pub mod search;
pub mod site;
pub mod views;

use app::AppState;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use std::time::Instant;

pub use app::App;

/// Longest request target accepted (path and query), in bytes. Longer ones
/// get 414: no page of ours needs more, and long URLs are a cheap attack.
pub const MAX_URI_BYTES: usize = 2048;

/// The whole route table.
pub fn router(state: AppState) -> Router {
    Router::new()
        // Readers
        .route("/", get(site::home))
        .route("/{section}", get(site::section))
        .route("/{section}/{yyyy}/{mm}/{dd}/{slug}", get(site::article))
        .route("/tag/{slug}", get(site::tag))
        .route("/author/{slug}", get(site::author))
        .route("/search", get(search::search))
        // Machines: feeds, sitemaps, robots, oEmbed
        .route("/feed.xml", get(distribution::site_feed))
        .route("/feed.atom", get(distribution::site_feed))
        .route("/feed.json", get(distribution::site_feed))
        .route("/{section}/{file}", get(distribution::section_feed))
        .route("/tag/{slug}/{file}", get(distribution::tag_feed))
        .route("/author/{slug}/{file}", get(distribution::author_feed))
        .route("/sitemap.xml", get(distribution::sitemap_index))
        .route("/sitemaps/{file}", get(distribution::sitemap))
        .route("/robots.txt", get(distribution::robots))
        .route("/oembed", get(distribution::oembed))
        // Files
        .route("/assets/{name}", get(site::asset))
        .route("/media/{*path}", get(site::media))
        // Operators
        .route("/healthz", get(site::healthz))
        .fallback(site::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// Runs before every handler: refuses over-long URLs, folds trailing slashes,
/// adds security headers and logs the request.
async fn guard(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let target_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target_len > MAX_URI_BYTES {
        let headers = req.headers().clone();
        let mut res = site::error_response(&app, site::AppError::NotFound, &headers, false).await;
        *res.status_mut() = StatusCode::URI_TOO_LONG;
        return res;
    }
    let path = req.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let target = match req.uri().query() {
            Some(q) => format!("{}?{q}", if trimmed.is_empty() { "/" } else { trimmed }),
            None => {
                if trimmed.is_empty() {
                    "/".to_owned()
                } else {
                    trimmed.to_owned()
                }
            }
        };
        // Only site-relative targets: `//host` must never become a redirect
        // to another site.
        if !target.starts_with("//") {
            return Redirect::permanent(&target).into_response();
        }
    }
    let log = tracing::enabled!(tracing::Level::INFO);
    let request_line = log.then(|| (req.method().clone(), req.uri().path().to_owned()));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    h.insert(header::CONTENT_SECURITY_POLICY, app.csp.clone());
    if let Some((method, path)) = request_line {
        tracing::info!(
            target: "newsdesk::request",
            %method,
            path,
            status = res.status().as_u16(),
            micros = start.elapsed().as_micros() as u64,
            "request"
        );
    }
    res
}

/// Serves `state` on `listener` until `shutdown` resolves, then finishes the
/// requests in flight.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}
