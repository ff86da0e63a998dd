//! The media library in the back office: a grid with search and filters,
//! uploads (a plain file form, several files at once; the script adds
//! drag and drop and progress), a page per item (texts, focal point,
//! renditions, where it is used, replace, delete), and the picker's JSON.
//!
//! Uploads are read field by field as they arrive: a file over the limit
//! is refused as soon as its bytes pass it, never after buffering the
//! whole body. The CSRF token must come before the files (the form puts
//! it first; the script also sends it as `X-CSRF-Token`).

use super::{
    AdminPage, Posted, current, field, origin_of, page, posted, private_json, query, refusal,
    same_site, see_other, signed_in_for,
};
use crate::app::AppState;
use crate::error::AppError;
use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use newsdesk_app::media::{MediaEdit, Upload, Uploaded};
use newsdesk_app::sessions::{Origin, Session, same_secret};
use newsdesk_core::{Action, Id, Media, RenditionKind};
use newsdesk_db::MediaFilter;
use serde::Serialize;
use std::net::SocketAddr;

/// Items a page of the grid shows.
pub const PAGE: u32 = 48;
/// Files one upload request may carry.
pub const MAX_FILES: usize = 20;
/// Longest text field of an upload form, in bytes.
const MAX_TEXT_FIELD: u64 = 4096;
/// What the file inputs accept.
const ACCEPT: &str = "image/jpeg,image/png,image/webp,image/gif";

pub fn routes() -> Router<AppState> {
    // Each file is held to the configured limit while it streams in; the
    // request as a whole to at most MAX_FILES of them.
    Router::new()
        .route("/admin/media", get(library).post(upload).layer(DefaultBodyLimit::disable()))
        .route("/admin/media/pick", get(pick))
        .route("/admin/media/{id}", get(item).post(change))
        .route("/admin/media/{id}/replace", post(replace).layer(DefaultBodyLimit::disable()))
}

fn human_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// The smallest rendition of `kind` at least `min` wide, WebP first.
fn rendition(m: &Media, kind: RenditionKind, min: u32) -> Option<(String, u32, u32)> {
    m.renditions
        .iter()
        .filter(|r| r.kind == kind && r.width >= min)
        .min_by_key(|r| (r.width, !r.is_webp()))
        .map(|r| (newsdesk_content::media_url(&r.file), r.width, r.height))
}

/// A small picture of an item: its square thumbnail, else the whole
/// picture scaled into `box_px`.
pub(super) fn thumb(m: &Media, box_px: u32) -> (String, u32, u32) {
    if let Some(t) = rendition(m, RenditionKind::Thumb, box_px.min(160)) {
        return (t.0, box_px, box_px);
    }
    let (w, h) = (m.width.max(1), m.height.max(1));
    let scale = f64::from(box_px) / f64::from(w.max(h));
    let (tw, th) = ((f64::from(w) * scale).round() as u32, (f64::from(h) * scale).round() as u32);
    let src = rendition(m, RenditionKind::Scaled, 320)
        .map(|r| r.0)
        .unwrap_or_else(|| newsdesk_content::media_url(&m.file));
    (src, tw.max(1), th.max(1))
}

fn missing_texts(m: &Media) -> bool {
    let blank = |s: &Option<String>| s.as_deref().is_none_or(|v| v.trim().is_empty());
    blank(&m.alt) || blank(&m.credit)
}

#[derive(Serialize)]
struct Card {
    id: Id,
    url: String,
    src: String,
    width: u32,
    height: u32,
    alt: String,
    credit: String,
    caption: String,
    file_name: String,
    size: String,
    missing: bool,
    ai_generated: bool,
}

fn card(m: &Media) -> Card {
    let (src, width, height) = thumb(m, 160);
    Card {
        id: m.id,
        url: format!("/admin/media/{}", m.id),
        src,
        width,
        height,
        alt: m.alt.clone().unwrap_or_default(),
        credit: m.credit.clone().unwrap_or_default(),
        caption: m.caption.clone().unwrap_or_default(),
        file_name: if m.file_name.is_empty() {
            m.file.rsplit('/').next().unwrap_or_default().to_owned()
        } else {
            m.file_name.clone()
        },
        size: format!("{} × {}", m.width, m.height),
        missing: missing_texts(m),
        ai_generated: m.ai_generated,
    }
}

#[derive(Serialize)]
struct Choice {
    value: String,
    name: String,
    selected: bool,
}

#[derive(Serialize)]
struct LibraryPage {
    #[serde(flatten)]
    page: AdminPage,
    q: String,
    uploaders: Vec<Choice>,
    since: String,
    until: String,
    missing: bool,
    ai: bool,
    filtered: bool,
    items: Vec<Card>,
    older: Option<String>,
    accept: &'static str,
    max_mb: u64,
    refused: Vec<RefusedFile>,
}

#[derive(Serialize, Clone)]
struct RefusedFile {
    file_name: String,
    detail: String,
}

fn day(s: &str, name: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
    if s.is_empty() {
        return Ok(None);
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| AppError::BadRequest(format!("`{name}` is a date (YYYY-MM-DD).")))?;
    Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()))
}

/// The library page for `q` (the query string), with what an upload said.
async fn library_page(
    app: &AppState,
    s: &Session,
    q: &[(String, String)],
    status: StatusCode,
    notice: Option<String>,
    refused: Vec<RefusedFile>,
) -> Result<Response, AppError> {
    let uploader = field(q, "by").parse::<Id>().ok();
    let until_day = day(field(q, "until"), "until")?;
    let filter = MediaFilter {
        q: Some(field(q, "q").trim().to_owned()).filter(|v| !v.is_empty()),
        uploaded_by: uploader,
        since: day(field(q, "since"), "since")?,
        until: until_day.map(|d| d + chrono::Duration::days(1)),
        missing_alt_or_credit: field(q, "missing") == "1",
        ai_generated: field(q, "ai") == "1",
        before_id: field(q, "before").parse().ok(),
    };
    let rows = app.db.list_media(&filter, PAGE).await?;
    let older = (rows.len() as u32 == PAGE).then(|| {
        let mut kept: Vec<(String, String)> =
            q.iter().filter(|(k, v)| k != "before" && !v.is_empty()).cloned().collect();
        kept.push(("before".into(), rows.last().map_or(0, |m| m.id).to_string()));
        format!("/admin/media?{}", serde_urlencoded::to_string(&kept).unwrap_or_default())
    });
    let uploaders = app
        .db
        .list_users()
        .await?
        .into_iter()
        .map(|u| Choice { selected: Some(u.id) == uploader, value: u.id.to_string(), name: u.name })
        .collect();
    let mut page_view = AdminPage::new(app, "Media library").signed_in(s);
    page_view.notice = notice;
    if !refused.is_empty() {
        page_view.error = Some(if refused.len() == 1 {
            "One file was not taken:".into()
        } else {
            format!("{} files were not taken:", refused.len())
        });
    }
    let view = LibraryPage {
        page: page_view,
        q: field(q, "q").to_owned(),
        uploaders,
        since: field(q, "since").to_owned(),
        until: field(q, "until").to_owned(),
        missing: filter.missing_alt_or_credit,
        ai: filter.ai_generated,
        filtered: filter != MediaFilter::default(),
        items: rows.iter().map(card).collect(),
        older,
        accept: ACCEPT,
        max_mb: app.config.media.max_upload_mb,
        refused,
    };
    page(app, status, "admin/media.html", &view)
}

/// `GET /admin/media?q=&by=&since=&until=&missing=1&ai=1&before=ID`.
async fn library(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (req, _) = req.into_parts();
    let s = match signed_in_for(&app, &req, Action::EditMedia).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let q = query(&req);
    let reused = field(&q, "reused").parse::<usize>().unwrap_or(0);
    let notice = match field(&q, "uploaded").parse::<usize>() {
        Ok(n) if n > 0 && reused >= n => Some(if n == 1 {
            "That picture was already in the library.".to_owned()
        } else {
            format!("Those {n} pictures were already in the library.")
        }),
        Ok(n) if n > 0 => {
            let new = n - reused;
            let mut m = if new == 1 {
                "One picture was uploaded.".to_owned()
            } else {
                format!("{new} pictures were uploaded.")
            };
            if reused > 0 {
                m.push_str(&format!(" {reused} already in the library."));
            }
            Some(m)
        }
        _ => field(&q, "deleted")
            .parse::<i64>()
            .ok()
            .map(|id| format!("Picture no. {id} was deleted, files and all.")),
    };
    library_page(&app, &s, &q, StatusCode::OK, notice, Vec::new()).await
}

/// `GET /admin/media/pick?q=&before=ID`: the picker's page of items.
async fn pick(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (req, _) = req.into_parts();
    if current(&app, &req.headers).await?.is_none() {
        return Ok(private_json(StatusCode::UNAUTHORIZED, &serde_json::json!({"items": []})));
    }
    let q = query(&req);
    let filter = MediaFilter {
        q: Some(field(&q, "q").trim().to_owned()).filter(|v| !v.is_empty()),
        before_id: field(&q, "before").parse().ok(),
        ..MediaFilter::default()
    };
    let rows = app.db.list_media(&filter, 24).await?;
    let more = (rows.len() == 24).then(|| rows.last().map_or(0, |m| m.id));
    let items: Vec<Card> = rows.iter().map(card).collect();
    Ok(private_json(StatusCode::OK, &serde_json::json!({ "items": items, "before": more })))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

/// Why reading a file field stopped.
enum Read {
    TooLarge,
    Cut,
}

/// The bytes of one file field, refused the moment they pass `limit`.
async fn read_file(
    field: &mut axum::extract::multipart::Field<'_>,
    limit: u64,
) -> Result<Vec<u8>, Read> {
    let mut out = Vec::new();
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                if (out.len() + chunk.len()) as u64 > limit {
                    return Err(Read::TooLarge);
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(out),
            Err(_) => return Err(Read::Cut),
        }
    }
}

/// What a multipart upload request carried.
struct Received {
    session: Session,
    from: Origin,
    json: bool,
    /// Other fields (`version`, …).
    fields: Vec<(String, String)>,
    /// Files proven or refused, in order.
    outcomes: Vec<(String, Result<Uploaded, String>)>,
    /// The request ended early (a file too large, a cut connection).
    stopped: Option<(StatusCode, String)>,
}

/// Reads an upload request: the session and origin first, then fields in
/// order; each file is handed to `take` once complete.
async fn receive<F, Fut>(
    app: &AppState,
    req: Request,
    mut take: F,
) -> Result<Result<Received, Response>, AppError>
where
    F: FnMut(Session, Origin, Vec<(String, String)>, Upload) -> Fut,
    Fut: std::future::Future<Output = Result<Uploaded, newsdesk_app::Error>>,
{
    let (parts, body) = req.into_parts();
    let json = wants_json(&parts.headers);
    let refuse = |status: StatusCode, msg: &str| {
        if json {
            private_json(status, &serde_json::json!({"errors": [{"detail": msg}]}))
        } else {
            plain(status, msg)
        }
    };
    let Some(session) = current(app, &parts.headers).await? else {
        return Ok(Err(refuse(
            StatusCode::UNAUTHORIZED,
            "You were signed out, so nothing was uploaded: sign in again in another tab, then send the files again.",
        )));
    };
    if !same_site(&parts.headers) {
        return Ok(Err(refuse(
            StatusCode::FORBIDDEN,
            "This upload was sent from another site; nothing was kept.",
        )));
    }
    let from = origin_of(&parts.headers, parts.extensions.get::<ConnectInfo<SocketAddr>>());
    if !app.newsroom.allowed(&session, Action::EditMedia, &from).await? {
        return Err(AppError::Forbidden(format!(
            "Your role ({}) may not {}.",
            session.user.role,
            Action::EditMedia
        )));
    }
    // Every upload holds its file in memory until it is stored: a few at
    // a time, the others asked to come back.
    let Some(_slot) = app.newsroom.media_library().and_then(|l| l.receive_slot()) else {
        let mut res = refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "Too many uploads are arriving at once; nothing was kept. Send the files again in a moment.",
        );
        res.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        return Ok(Err(res));
    };
    let mut csrf_ok = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| same_secret(&session.csrf_token, t));
    let limit = app.config.media.max_upload_bytes();
    let mut mp = Multipart::from_request(Request::from_parts(parts, body), app)
        .await
        .map_err(|_| AppError::BadRequest("This is not a file upload form.".into()))?;
    let mut got =
        Received { session, from, json, fields: Vec::new(), outcomes: Vec::new(), stopped: None };
    let cut = "The upload was cut off before the end; nothing of the unfinished file was kept.";
    loop {
        let mut f = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                got.stopped = Some((StatusCode::BAD_REQUEST, cut.into()));
                break;
            }
        };
        let name = f.name().unwrap_or_default().to_owned();
        if name != "file" {
            // Other fields are short (a token, a version): read as they
            // come, refused past a few kilobytes.
            let text = match read_file(&mut f, MAX_TEXT_FIELD).await {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(Read::TooLarge) => {
                    return Ok(Err(refuse(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "A form field is too long.",
                    )));
                }
                Err(Read::Cut) => {
                    got.stopped = Some((StatusCode::BAD_REQUEST, cut.into()));
                    break;
                }
            };
            if name == "csrf" {
                csrf_ok |= same_secret(&got.session.csrf_token, &text);
            } else if got.fields.len() < 20 {
                got.fields.push((name, text));
            }
            continue;
        }
        if !csrf_ok {
            return Ok(Err(refuse(
                StatusCode::FORBIDDEN,
                "This form has expired or lacks its security token (it must come before the \
                 files), so nothing was uploaded: open the page again and send the files anew.",
            )));
        }
        let file_name = f.file_name().unwrap_or_default().to_owned();
        if got.outcomes.len() >= MAX_FILES {
            got.stopped = Some((
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("At most {MAX_FILES} files go in one upload; the rest were not read."),
            ));
            break;
        }
        match read_file(&mut f, limit).await {
            // A file input left empty sends a nameless empty part.
            Ok(bytes) if bytes.is_empty() && file_name.is_empty() => {}
            Ok(bytes) => {
                let up = Upload { bytes, file_name: file_name.clone() };
                let outcome = take(got.session.clone(), got.from.clone(), got.fields.clone(), up)
                    .await
                    .map_err(|e| upload_message(&e));
                got.outcomes.push((newsdesk_app::media::display_name(&file_name), outcome));
            }
            Err(Read::TooLarge) => {
                let msg = format!(
                    "{} is larger than the limit of {} MB; nothing of it was kept, and files \
                     after it in the same upload were not read: send them again.",
                    newsdesk_app::media::display_name(&file_name),
                    app.config.media.max_upload_mb
                );
                got.stopped = Some((StatusCode::PAYLOAD_TOO_LARGE, msg));
                break;
            }
            Err(Read::Cut) => {
                got.stopped = Some((StatusCode::BAD_REQUEST, cut.into()));
                break;
            }
        }
    }
    Ok(Ok(got))
}

/// A refusal of an upload, for people.
fn upload_message(e: &newsdesk_app::Error) -> String {
    let mut m = e.to_string();
    if let Some(first) = m.get(..1) {
        m = first.to_uppercase() + &m[1..];
    }
    if !m.ends_with('.') {
        m.push('.');
    }
    m
}

/// A short plain-text answer, never cached.
fn plain(status: StatusCode, msg: &str) -> Response {
    use axum::response::IntoResponse;
    let mut res = (status, msg.to_owned()).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/plain; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    res
}

/// An uploaded item, as the script is told of it.
#[derive(Serialize)]
struct UploadedJson {
    #[serde(flatten)]
    card: Card,
    reused: bool,
}

/// `POST /admin/media`: one or more files (`file` fields).
async fn upload(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let newsroom = app.newsroom.clone();
    let got = match receive(&app, req, |s, from, _, up| {
        let newsroom = newsroom.clone();
        async move { newsroom.upload_media(&s.user.actor(), up, &from).await }
    })
    .await?
    {
        Ok(g) => g,
        Err(res) => return Ok(res),
    };
    let mut refused: Vec<RefusedFile> = Vec::new();
    let mut done: Vec<&Uploaded> = Vec::new();
    for (file_name, o) in &got.outcomes {
        match o {
            Ok(u) => done.push(u),
            Err(detail) => {
                refused.push(RefusedFile { file_name: file_name.clone(), detail: detail.clone() })
            }
        }
    }
    if let Some((_, msg)) = &got.stopped {
        refused.push(RefusedFile { file_name: String::new(), detail: msg.clone() });
    }
    if !done.is_empty() {
        app.catch_up().await?;
    }
    let status = match (&got.stopped, refused.is_empty(), done.is_empty()) {
        (Some((s, _)), _, _) => *s,
        (None, true, true) => StatusCode::BAD_REQUEST,
        (None, true, false) => StatusCode::OK,
        (None, false, _) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    if got.json {
        let uploaded: Vec<UploadedJson> =
            done.iter().map(|u| UploadedJson { card: card(&u.media), reused: u.reused }).collect();
        let errors: Vec<serde_json::Value> = refused
            .iter()
            .map(|r| serde_json::json!({"detail": r.detail, "file_name": r.file_name}))
            .collect();
        return Ok(private_json(
            status,
            &serde_json::json!({"uploaded": uploaded, "errors": errors}),
        ));
    }
    if refused.is_empty() && done.is_empty() {
        let msg =
            RefusedFile { file_name: String::new(), detail: "Choose at least one file.".into() };
        return library_page(&app, &got.session, &[], StatusCode::BAD_REQUEST, None, vec![msg])
            .await;
    }
    if refused.is_empty() {
        return Ok(match done.as_slice() {
            [] => see_other("/admin/media"),
            [one] => see_other(&format!(
                "/admin/media/{}?done={}",
                one.media.id,
                if one.reused { "reused" } else { "uploaded" }
            )),
            many => see_other(&format!("/admin/media?uploaded={}", many.len())),
        });
    }
    let notice = (!done.is_empty()).then(|| format!("{} uploaded.", done.len()));
    library_page(&app, &got.session, &[], status, notice, refused).await
}

#[derive(Serialize)]
struct Row {
    label: &'static str,
    value: String,
}

#[derive(Serialize)]
struct RenditionView {
    label: String,
    url: String,
}

#[derive(Serialize)]
struct UseView {
    headline: String,
    edit_url: String,
    public_url: Option<String>,
    status: String,
}

#[derive(Serialize)]
struct ItemPage {
    #[serde(flatten)]
    page: AdminPage,
    id: Id,
    version: i32,
    src: String,
    width: u32,
    height: u32,
    focal_x: String,
    focal_y: String,
    focal_left: String,
    focal_top: String,
    alt: String,
    caption: String,
    credit: String,
    rights: String,
    creator: String,
    ai_generated: bool,
    synthetic_source: bool,
    details: Vec<Row>,
    renditions: Vec<RenditionView>,
    pending: bool,
    uses: Vec<UseView>,
    portraits: Vec<UseView>,
    logo: bool,
    accept: &'static str,
    max_mb: u64,
}

/// The item page, its form holding `shown` (what was sent, after a refusal).
async fn item_page(
    app: &AppState,
    s: &Session,
    m: &Media,
    shown: &MediaEdit,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let (src, width, height) = rendition(m, RenditionKind::Scaled, 640)
        .unwrap_or_else(|| (newsdesk_content::media_url(&m.file), m.width, m.height));
    let uploader = match m.uploaded_by {
        Some(u) => app.db.find_user_by_id(u).await?.map(|u| u.name),
        None => None,
    };
    let mut details = vec![
        Row { label: "File", value: card(m).file_name },
        Row {
            label: "Size",
            value: format!("{} × {} pixels, {}", m.width, m.height, human_size(m.bytes)),
        },
    ];
    if let Some(at) = m.uploaded_at {
        let by = uploader.map(|n| format!(" by {n}")).unwrap_or_default();
        details.push(Row {
            label: "Uploaded",
            value: format!("{}{by}", at.format("%Y-%m-%d %H:%M UTC")),
        });
    }
    if let Some(t) = &m.taken {
        details.push(Row { label: "Taken", value: t.clone() });
    }
    if let Some(t) = &m.source_type {
        details.push(Row { label: "Digital source type", value: t.clone() });
    }
    let renditions = m
        .renditions
        .iter()
        .map(|r| RenditionView {
            label: format!(
                "{} {} × {} {}",
                match r.kind {
                    RenditionKind::Scaled => "Scaled",
                    RenditionKind::Card => "Card (16:9)",
                    RenditionKind::Thumb => "Square",
                },
                r.width,
                r.height,
                if r.is_webp() { "WebP" } else { "fallback" }
            ),
            url: newsdesk_content::media_url(&r.file),
        })
        .collect();
    let uses = app
        .db
        .media_uses(m.id)
        .await?
        .into_iter()
        .map(|u| UseView {
            headline: if u.headline.trim().is_empty() {
                "(no headline)".into()
            } else {
                u.headline
            },
            edit_url: format!("/admin/articles/{}", u.article_id),
            public_url: u.path,
            status: u.status,
        })
        .collect();
    let portraits = app
        .db
        .media_portrait_of(m.id)
        .await?
        .into_iter()
        .map(|(id, name)| UseView {
            headline: name,
            edit_url: format!("/admin/authors/{id}"),
            public_url: None,
            status: "portrait".into(),
        })
        .collect();
    let logo =
        newsdesk_app::settings::SiteSettings::load(&app.db).await?.logo_media_id == Some(m.id);
    let mut p = AdminPage::new(app, &format!("Media item {}", m.id)).signed_in(s).under("Media");
    p.notice = notice;
    p.error = error;
    let pct = |v: u16| format!("{:.1}%", f64::from(v) / 10.0);
    let view = ItemPage {
        page: p,
        id: m.id,
        version: m.version,
        src,
        width,
        height,
        focal_x: percent(shown.focal.0),
        focal_y: percent(shown.focal.1),
        focal_left: pct(shown.focal.0),
        focal_top: pct(shown.focal.1),
        alt: shown.alt.clone().unwrap_or_default(),
        caption: shown.caption.clone().unwrap_or_default(),
        credit: shown.credit.clone().unwrap_or_default(),
        rights: shown.rights.clone().unwrap_or_default(),
        creator: shown.creator.clone().unwrap_or_default(),
        ai_generated: shown.ai_generated,
        synthetic_source: m
            .source_type
            .as_deref()
            .is_some_and(newsdesk_media::meta::is_synthetic_source),
        details,
        renditions,
        pending: m.renditions.is_empty(),
        uses,
        portraits,
        logo,
        accept: ACCEPT,
        max_mb: app.config.media.max_upload_mb,
    };
    page(app, status, "admin/media_item.html", &view)
}

/// Thousandths as a percentage with one decimal, without a trailing `.0`.
fn percent(v: u16) -> String {
    if v.is_multiple_of(10) { (v / 10).to_string() } else { format!("{}.{}", v / 10, v % 10) }
}

fn edit_of(m: &Media) -> MediaEdit {
    MediaEdit {
        alt: m.alt.clone(),
        caption: m.caption.clone(),
        credit: m.credit.clone(),
        rights: m.rights.clone(),
        creator: m.creator.clone(),
        focal: (m.focal_x, m.focal_y),
        ai_generated: m.ai_generated,
    }
}

async fn stored(app: &AppState, id: Id) -> Result<Media, AppError> {
    app.db.media_by_ids(&[id]).await?.pop().ok_or(AppError::NotFound)
}

/// `GET /admin/media/{id}`.
async fn item(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let (req, _) = req.into_parts();
    let s = match signed_in_for(&app, &req, Action::EditMedia).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let m = stored(&app, id).await?;
    let notice = match field(&query(&req), "done") {
        "uploaded" => Some(
            "Uploaded. Check the credit and caption read from the file, and write the alt text."
                .to_owned(),
        ),
        "reused" => Some("This picture was already in the library: here it is.".to_owned()),
        "saved" => Some("Saved. Pages that show it follow in a moment.".to_owned()),
        "replaced" => Some("The file was replaced; new sizes are being made.".to_owned()),
        _ => None,
    };
    item_page(&app, &s, &m, &edit_of(&m), StatusCode::OK, notice, None).await
}

/// The version a form was made from; a form without one is refused (it
/// could not say whether it is stale).
fn version_of(fields: &[(String, String)]) -> Result<i32, newsdesk_app::Error> {
    field(fields, "version").trim().parse().map_err(|_| {
        newsdesk_app::Error::Refused(
            "the form lacks the version it was made from; open the page again".into(),
        )
    })
}

/// A percentage field as thousandths (0–1000).
fn permille(fields: &[(String, String)], name: &str, default: u16) -> u16 {
    field(fields, name)
        .trim()
        .trim_end_matches('%')
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map_or(default, |v| (v.clamp(0.0, 100.0) * 10.0).round() as u16)
}

/// `POST /admin/media/{id}`: saves the texts, focal point and label, or
/// deletes the item (`do=remove`).
async fn change(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let Posted { session, from, fields } = match posted(&app, req, Action::EditMedia).await? {
        Ok(p) => p,
        Err(redirect) => return Ok(redirect),
    };
    let m = stored(&app, id).await?;
    let actor = session.user.actor();
    if field(&fields, "do") == "remove" {
        return match app.newsroom.delete_media(&actor, id, &from).await {
            Ok(()) => {
                app.catch_up().await?;
                Ok(see_other(&format!("/admin/media?deleted={id}")))
            }
            Err(e) => {
                let (status, msg) =
                    refusal(&app, (&session, &from), &format!("media {id}"), e).await?;
                item_page(&app, &session, &m, &edit_of(&m), status, None, Some(msg)).await
            }
        };
    }
    let text = |n: &str| Some(field(&fields, n).to_owned());
    let edit = MediaEdit {
        alt: text("alt"),
        caption: text("caption"),
        credit: text("credit"),
        rights: text("rights"),
        creator: text("creator"),
        focal: (permille(&fields, "focal_x", m.focal_x), permille(&fields, "focal_y", m.focal_y)),
        ai_generated: field(&fields, "ai_generated") == "on",
    };
    let edited = match version_of(&fields) {
        Ok(version) => app.newsroom.edit_media(&actor, id, edit.clone(), version, &from).await,
        Err(e) => Err(e),
    };
    match edited {
        Ok(_) => {
            app.catch_up().await?;
            Ok(see_other(&format!("/admin/media/{id}?done=saved")))
        }
        Err(newsdesk_app::Error::Stale { .. }) => {
            let msg = "Someone else changed this item since you opened it, so nothing was saved. \
                       Your text is in the form; the stored values are what the item shows now."
                .to_owned();
            let now = stored(&app, id).await?;
            let mut shown = edit;
            shown.focal = (now.focal_x, now.focal_y);
            // The form now carries the current version: sending it again
            // keeps what was typed over the other change.
            item_page(&app, &session, &now, &shown, StatusCode::CONFLICT, None, Some(msg)).await
        }
        Err(e) => {
            let (status, msg) = refusal(&app, (&session, &from), &format!("media {id}"), e).await?;
            item_page(&app, &session, &m, &edit, status, None, Some(msg)).await
        }
    }
}

/// `POST /admin/media/{id}/replace`: a new file behind the item.
async fn replace(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    // Who asks comes first: an item's existence is not for strangers.
    if current(&app, req.headers()).await?.is_none() {
        return Ok(plain(
            StatusCode::UNAUTHORIZED,
            "You were signed out, so nothing was replaced.",
        ));
    }
    stored(&app, id).await?;
    let newsroom = app.newsroom.clone();
    let got = match receive(&app, req, |s, from, fields, up| {
        let newsroom = newsroom.clone();
        let version = version_of(&fields);
        async move {
            let version = version?;
            let media =
                newsroom.replace_media_file(&s.user.actor(), id, up, version, &from).await?;
            Ok(Uploaded { media, reused: false })
        }
    })
    .await?
    {
        Ok(g) => g,
        Err(res) => return Ok(res),
    };
    let error = got.stopped.clone().or_else(|| {
        got.outcomes.iter().find_map(|(_, o)| {
            o.as_ref().err().map(|e| (StatusCode::UNPROCESSABLE_ENTITY, e.clone()))
        })
    });
    match error {
        None if !got.outcomes.is_empty() => {
            app.catch_up().await?;
            Ok(see_other(&format!("/admin/media/{id}?done=replaced")))
        }
        None => {
            let now = stored(&app, id).await?;
            let msg = "Choose a file to replace this one with.".to_owned();
            item_page(
                &app,
                &got.session,
                &now,
                &edit_of(&now),
                StatusCode::BAD_REQUEST,
                None,
                Some(msg),
            )
            .await
        }
        Some((status, msg)) => {
            let now = stored(&app, id).await?;
            item_page(&app, &got.session, &now, &edit_of(&now), status, None, Some(msg)).await
        }
    }
}
