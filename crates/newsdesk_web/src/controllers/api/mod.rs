//! The APIs for other programs, under `/api/` (documented in
//! `docs/API.md`):
//!
//! - the **Content API** (`/api/content/…`), read-only, for a content key
//!   (`ndc_…`, several per site, revocable) or an admin token, with CORS so
//!   browsers on other sites may call it;
//! - the **Admin API** (`/api/admin/…`), for an admin token (`nda_…`) that
//!   acts as its user: every write is a use case of the application layer,
//!   with the same permission check, revision, events, jobs and audit entry
//!   as the back office.
//!
//! Keys travel in `Authorization: Bearer …` or `X-Newsdesk-Key`; a content
//! key may also come as `?key=` (admin tokens never do: query strings end up
//! in logs). Every error answers `{"errors": [{"detail": …, "field": …}]}`.
//! Each key has its own request budget per minute (`[api]`), answered with
//! 429 and `Retry-After` when spent.

use crate::app::AppState;
use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put};
use newsdesk_app::integrations::{Caller, Scope};
use serde::Serialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

mod admin;
mod content;
mod openapi;
pub mod views;

/// Largest JSON body the Admin API reads.
pub const MAX_JSON_BYTES: usize = 4 * 1024 * 1024;

/// The API's routes.
pub fn routes() -> Router<AppState> {
    let content = Router::new()
        .route("/api/content/articles", get(content::list_articles).options(content::preflight))
        .route(
            "/api/content/articles/by-path",
            get(content::find_article_by_path).options(content::preflight),
        )
        .route("/api/content/articles/{id}", get(content::find_article).options(content::preflight))
        .route("/api/content/sections", get(content::list_sections).options(content::preflight))
        .route("/api/content/tags", get(content::list_tags).options(content::preflight))
        .route("/api/content/authors", get(content::list_authors).options(content::preflight))
        .route("/api/content/stories", get(content::list_stories).options(content::preflight))
        .route("/api/content/search", get(content::search).options(content::preflight))
        .route("/api/content/media/{id}", get(content::find_media).options(content::preflight))
        .route(
            "/api/content/{*rest}",
            axum::routing::options(content::preflight).fallback(unknown_endpoint),
        )
        .layer(axum::middleware::map_response(content::cors));
    Router::new()
        .merge(content)
        .route("/api/admin/me", get(admin::me))
        .route("/api/admin/articles", get(admin::list_articles).post(admin::create_article))
        .route("/api/admin/articles/{id}", get(admin::find_article).put(admin::save_article))
        .route("/api/admin/articles/{id}/revisions", get(admin::list_revisions))
        .route("/api/admin/articles/{id}/{step}", post(admin::change_status))
        .route("/api/admin/media", post(admin::upload_media))
        .route("/api/admin/articles/{id}/revisions/{version}", get(admin::find_revision))
        .route(
            "/api/admin/articles/{id}/revisions/{version}/restore",
            post(admin::restore_revision),
        )
        .route("/api/admin/media/{id}", put(admin::change_media))
        .route("/api/admin/sections", post(admin::create_section))
        .route("/api/admin/sections/{id}", put(admin::change_section).delete(admin::remove_section))
        .route("/api/admin/tags", post(admin::create_tag))
        .route("/api/admin/tags/{id}", put(admin::change_tag).delete(admin::remove_tag))
        .route("/api/admin/stories", post(admin::create_story))
        .route("/api/admin/stories/{id}", put(admin::change_story).delete(admin::remove_story))
        .route("/api/admin/authors", post(admin::create_author))
        .route("/api/admin/authors/{id}", put(admin::change_author).delete(admin::remove_author))
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/docs", get(openapi::docs))
        .route("/api/{*rest}", any(unknown_endpoint))
        .route("/api", any(unknown_endpoint))
}

/// Any path under `/api/` no route matched.
pub async fn unknown_endpoint() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such endpoint: see /api/docs")
}

/// Every error: `{"errors": […]}`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong; several when several fields are wrong.
    pub errors: Vec<ErrorItem>,
}

/// One problem in an error answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorItem {
    /// What is wrong, for people.
    pub detail: String,
    /// The field it is about, when it is about one (`headlines.display`,
    /// `body[3].alt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// A machine-readable code for the problem, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// The stored version, when a write was based on an older one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i32>,
}

/// An error answer: a status and `{"errors": […]}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    errors: Vec<ErrorItem>,
    retry_after: Option<u64>,
}

impl ApiError {
    /// One error without a field.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            errors: vec![ErrorItem {
                detail: detail.into(),
                field: None,
                code: None,
                current_version: None,
            }],
            retry_after: None,
        }
    }

    /// One error about `field`.
    pub fn field(status: StatusCode, field: &str, detail: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(status, detail);
        e.errors[0].field = Some(field.to_owned());
        e
    }

    /// A malformed request (400).
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, detail)
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Leaves `field` named as it is, not inside the envelope
    /// [`ApiError::within`] put it in (a step's `version` is top-level).
    pub fn keep_top_level(mut self, field: &str) -> ApiError {
        for e in &mut self.errors {
            if e.field.as_deref().is_some_and(|f| f.ends_with(&format!(".{field}"))) {
                e.field = Some(field.to_owned());
            }
        }
        self
    }

    /// Names `field` on errors that name none.
    pub fn or_field(mut self, field: &str) -> ApiError {
        for e in &mut self.errors {
            e.field.get_or_insert_with(|| field.to_owned());
        }
        self
    }

    /// Names every field as sent inside `envelope` (`section_id` becomes
    /// `article.section_id`), after renaming the store's names that differ
    /// from the request's (`renames`: from, to).
    pub fn within(mut self, envelope: &str, renames: &[(&str, &str)]) -> ApiError {
        let prefix = format!("{envelope}.");
        for e in &mut self.errors {
            if let Some(f) = e.field.take() {
                let f = renames
                    .iter()
                    .find(|(from, _)| *from == f)
                    .map_or(f, |(_, to)| (*to).to_owned());
                e.field = Some(if envelope.is_empty() || f.starts_with(&prefix) {
                    f
                } else {
                    format!("{prefix}{f}")
                });
            }
        }
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "errors": self.errors }).to_string();
        let mut res = (self.status, body).into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(s) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"newsdesk\""),
            );
        }
        res
    }
}

impl From<newsdesk_app::Error> for ApiError {
    fn from(e: newsdesk_app::Error) -> ApiError {
        use newsdesk_app::Error as E;
        let problems = |status: StatusCode, ps: &[newsdesk_core::Problem]| ApiError {
            status,
            errors: ps
                .iter()
                .map(|p| ErrorItem {
                    detail: p.to_string(),
                    field: Some(p.field()),
                    code: Some(p.code()),
                    current_version: None,
                })
                .collect(),
            retry_after: None,
        };
        match e {
            E::NotFound { what } => {
                ApiError::new(StatusCode::NOT_FOUND, format!("{what} not found"))
            }
            E::Forbidden(d) => ApiError::new(StatusCode::FORBIDDEN, d.to_string()),
            E::Invalid(ps) => problems(StatusCode::UNPROCESSABLE_ENTITY, &ps),
            E::Unpublishable(ps) => problems(StatusCode::UNPROCESSABLE_ENTITY, &ps),
            E::Stale { current_version } => {
                let mut a = ApiError::field(StatusCode::CONFLICT, "version", e.to_string());
                a.errors[0].current_version = Some(current_version);
                a
            }
            E::Conflict { ref constraint, .. } => {
                let field = constraint.rsplit('.').next().unwrap_or_default().to_owned();
                if field.is_empty() || field == "unknown" {
                    ApiError::new(StatusCode::CONFLICT, e.to_string())
                } else {
                    ApiError::field(StatusCode::CONFLICT, &field, e.to_string())
                }
            }
            E::Transition(t) => ApiError::new(StatusCode::CONFLICT, t.to_string()),
            E::Refused(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m),
            E::Unavailable(_) => {
                let mut a = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database is unavailable, try again in a moment",
                );
                a.retry_after = Some(5);
                a
            }
            other => {
                tracing::error!(error = %other, "API request failed");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

impl From<newsdesk_db::DbError> for ApiError {
    fn from(e: newsdesk_db::DbError) -> ApiError {
        ApiError::from(newsdesk_app::Error::from(e))
    }
}

impl From<crate::error::AppError> for ApiError {
    fn from(e: crate::error::AppError) -> ApiError {
        use crate::error::AppError as A;
        match e {
            A::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "API request failed");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
            A::Unavailable => {
                let mut a =
                    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "temporarily unavailable");
                a.retry_after = Some(5);
                a
            }
            other => ApiError::new(other.status(), other.to_string()),
        }
    }
}

/// Per-key request budgets of this server: a token bucket per key that
/// holds a minute's worth of requests and refills evenly.
#[derive(Debug, Default)]
pub struct RateLimits {
    buckets: Mutex<HashMap<i64, (f64, Instant)>>,
}

impl RateLimits {
    /// Takes one request from `key`'s budget of `per_minute`; when it is
    /// spent, the seconds until the next request is allowed.
    pub fn take(&self, key: i64, per_minute: u32) -> Result<(), u64> {
        if per_minute == 0 {
            return Ok(());
        }
        let cap = f64::from(per_minute);
        let rate = cap / 60.0;
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (tokens, last) = map.entry(key).or_insert((cap, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(cap);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

/// A request to the APIs: who sent it, checked and within its budget.
pub struct Call {
    /// The key's holder.
    pub caller: Caller,
    /// Where it came from (audit log).
    pub from: newsdesk_app::sessions::Origin,
}

/// The secret a request presents, and whether it came in the query string.
fn presented(parts: &Parts) -> Option<(String, bool)> {
    let h = &parts.headers;
    if let Some(v) = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let v = v.trim();
        let token = v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).unwrap_or(v);
        return Some((token.trim().to_owned(), false));
    }
    if let Some(v) = h.get("x-newsdesk-key").and_then(|v| v.to_str().ok()) {
        return Some((v.trim().to_owned(), false));
    }
    query(&parts.uri).ok()?.remove("key").map(|v| (v, true))
}

/// The query string's parameters (the last of repeated ones).
pub fn query(uri: &axum::http::Uri) -> Result<HashMap<String, String>, ApiError> {
    axum::extract::Query::<HashMap<String, String>>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::bad_request(format!("the query string is malformed: {e}")))
}

impl FromRequestParts<AppState> for Call {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Call, ApiError> {
        let Some((secret, in_query)) = presented(parts) else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "no key: send one in `Authorization: Bearer …` (or `?key=` for a content key)",
            ));
        };
        let from = crate::controllers::admin::origin_of(
            &parts.headers,
            parts.extensions.get::<ConnectInfo<SocketAddr>>(),
        );
        if in_query && secret.starts_with("nda_") {
            // It is in access logs and proxies' now: it is no longer secret.
            let revoked =
                app.newsroom.revoke_leaked(&secret, &from).await.map_err(ApiError::from)?;
            let what = if revoked { " It has been revoked: make a new one." } else { "" };
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                format!(
                    "an admin token may not travel in the address: logs keep addresses. Send tokens in `Authorization: Bearer …`.{what}"
                ),
            ));
        }
        let caller =
            app.newsroom.caller(&secret).await.map_err(ApiError::from)?.ok_or_else(|| {
                ApiError::new(StatusCode::UNAUTHORIZED, "the key is unknown, revoked or expired")
            })?;
        let per_minute = match caller {
            Caller::Content { .. } => app.config.api.content_requests_per_minute,
            Caller::Admin { .. } => app.config.api.admin_requests_per_minute,
        };
        if let Err(wait) = app.api_limits.take(caller.key_id(), per_minute) {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "this key made more than {per_minute} requests in a minute; try again in {wait} s"
                ),
            );
            e.retry_after = Some(wait);
            return Err(e);
        }
        Ok(Call { caller, from })
    }
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> &str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

impl Call {
    /// The caller as an admin: its user's actor, when it holds `scope`.
    pub fn admin(
        &self,
        scope: Scope,
    ) -> Result<(&newsdesk_app::accounts::User, newsdesk_core::Actor), ApiError> {
        match &self.caller {
            Caller::Content { .. } => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "a content key reads published content only: the Admin API needs an admin token",
            )),
            Caller::Admin { user, .. } if self.caller.has(scope) => {
                let mut actor = user.actor();
                actor.name = format!("{} (API)", user.name);
                Ok((user, actor))
            }
            Caller::Admin { .. } => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("this token lacks the `{}` scope", scope.as_str()),
            )),
        }
    }
}

/// Parses a JSON body into `T`, naming the field of any mistake (unknown
/// fields, wrong types) and refusing what is not JSON.
pub fn parse_json<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, ApiError> {
    let ct = header_str(headers, header::CONTENT_TYPE);
    let media_type = ct.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send JSON with `Content-Type: application/json`",
        ));
    }
    if body.len() > MAX_JSON_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {} MB", MAX_JSON_BYTES / 1024 / 1024),
        ));
    }
    // PostgreSQL cannot store a NUL character, and no text needs one.
    if body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "text may not contain NUL characters (\\u0000)",
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let detail = inner.to_string();
            if inner.is_syntax() || inner.is_eof() {
                return Err(ApiError::bad_request(format!("the body is not valid JSON: {detail}")));
            }
            let field = if path == "." { None } else { Some(path) };
            Err(ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                errors: vec![ErrorItem { detail, field, code: None, current_version: None }],
                retry_after: None,
            })
        }
    }
}

/// A JSON answer with the content API's caching headers: an `ETag` of the
/// body, and 304 when the client already holds it.
pub fn json_ok<T: Serialize>(req_headers: &HeaderMap, status: StatusCode, v: &T) -> Response {
    let body = match serde_json::to_string(v) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "an API answer did not serialize");
            return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
                .into_response();
        }
    };
    let etag = format!("\"{:016x}\"", newsdesk_render::fingerprint(body.as_bytes()));
    let matches =
        req_headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| {
            v.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == etag || t == "*")
        });
    let mut res = if matches && status == StatusCode::OK {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = (status, body).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        r
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("Authorization, X-Newsdesk-Key, Origin"));
    res
}

/// The answer to a write: JSON, never cached, never a 304.
pub fn json_write<T: Serialize>(status: StatusCode, v: &T) -> Response {
    json_ok(&HeaderMap::new(), status, v)
}

/// Most items a list answers at once.
pub const MAX_LIMIT: i64 = 100;
/// Items a list answers when not told.
pub const DEFAULT_LIMIT: i64 = 20;

/// Checks that `params` holds only `known` names (and `key`).
pub(crate) fn only(params: &HashMap<String, String>, known: &[&str]) -> Result<(), ApiError> {
    if let Some(k) = params.keys().find(|k| *k != "key" && !known.contains(&k.as_str())) {
        return Err(ApiError::field(
            StatusCode::BAD_REQUEST,
            &k.chars().take(40).collect::<String>(),
            if known.is_empty() {
                "unknown parameter; this endpoint takes none (but `key`)".to_owned()
            } else {
                format!("unknown parameter; this endpoint takes {}", known.join(", "))
            },
        ));
    }
    Ok(())
}

/// `limit=` within 1..=[`MAX_LIMIT`].
pub(crate) fn limit(params: &HashMap<String, String>) -> Result<i64, ApiError> {
    match params.get("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(ApiError::field(
                StatusCode::BAD_REQUEST,
                "limit",
                format!("give a number from 1 to {MAX_LIMIT}"),
            )),
        },
    }
}

/// A path id: a positive integer, or 404.
pub fn path_id(s: &str) -> Result<i64, ApiError> {
    match s.parse::<i64>() {
        Ok(id) if id > 0 && !s.starts_with('+') => Ok(id),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("`{}` is not an id", s.chars().take(40).collect::<String>()),
        )),
    }
}
