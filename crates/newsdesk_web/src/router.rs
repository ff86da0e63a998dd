//! The whole route table, grouped by audience, and the layers around it.

use crate::app::AppState;
use crate::controllers::site::{distribution, files, health, pages, search};
use crate::controllers::{admin, api, site};
use crate::middleware;
use axum::Router;
use axum::routing::get;

/// Every route, with the middleware layers (see [`crate::middleware`]).
pub fn router(state: AppState) -> Router {
    let readers = Router::new()
        .route("/", get(pages::home))
        .route("/{section}", get(pages::section))
        .route("/{section}/{yyyy}/{mm}/{dd}/{slug}", get(pages::article))
        .route("/tag/{slug}", get(pages::tag))
        .route("/author/{slug}", get(pages::author))
        .route("/search", get(search::search));
    let machines = Router::new()
        .route("/feed.xml", get(distribution::site_feed))
        .route("/feed.atom", get(distribution::site_feed))
        .route("/feed.json", get(distribution::site_feed))
        .route("/{section}/{file}", get(distribution::section_feed))
        .route("/tag/{slug}/{file}", get(distribution::tag_feed))
        .route("/author/{slug}/{file}", get(distribution::author_feed))
        .route("/sitemap.xml", get(distribution::sitemap_index))
        .route("/sitemaps/{file}", get(distribution::sitemap))
        .route("/robots.txt", get(distribution::robots))
        .route("/oembed", get(distribution::oembed));
    let files = Router::new()
        .route("/assets/{name}", get(files::asset))
        .route("/media/{*path}", get(files::media));
    let operators = Router::new().route("/healthz", get(health::healthz));
    Router::new()
        .merge(readers)
        .merge(machines)
        .merge(files)
        .merge(operators)
        .merge(admin::routes())
        .merge(api::routes())
        .fallback(site::not_found)
        // Innermost first: the last layer added runs first.
        .layer(axum::middleware::from_fn(middleware::uri_guard))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::error_pages))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::security_headers))
        .layer(axum::middleware::from_fn(middleware::request_log))
        .with_state(state)
}
