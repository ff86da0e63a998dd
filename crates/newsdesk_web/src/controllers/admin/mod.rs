//! The back office (signed-in editors). Its routes mount under `/admin`
//! beside the site; every change they make goes through
//! [`newsdesk_app::Newsroom`], followed by [`crate::App::catch_up`] so the
//! editor's next page already shows it.
//!
//! Sessions: a random token in the `newsdesk_session` cookie (`HttpOnly`,
//! `SameSite=Lax`, `Secure` when the site's URL is https, path `/admin`),
//! looked up in the database on every request, so every node sharing it
//! knows the session. Every form that changes something carries the
//! session's CSRF token, checked here; the sign-in form, before there is a
//! session, carries a token that must match a cookie of its own. Requests
//! whose `Origin` (or `Sec-Fetch-Site`) says another site sent them are
//! refused as well. Back-office pages are never cached.

use crate::app::AppState;
use crate::error::AppError;
use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use newsdesk_app::sessions::{self, Origin, Session, SignIn, same_secret};
use serde::Serialize;
use std::net::SocketAddr;

mod articles;
mod company;
mod integrations;
mod media;
mod settings;
mod taxonomy;
mod users;

/// The session cookie.
pub const SESSION_COOKIE: &str = "newsdesk_session";
/// The sign-in form's own CSRF cookie.
pub const SIGN_IN_COOKIE: &str = "newsdesk_signin";
/// Largest form body read.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// The back office's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(articles::routes())
        .merge(company::routes())
        .merge(media::routes())
        .merge(integrations::routes())
        .merge(taxonomy::routes())
        .merge(settings::routes())
        .merge(users::routes())
        .route("/admin/sign-in", get(sign_in_form).post(sign_in))
        .route("/admin/sign-out", post(sign_out))
        .route("/admin/audit", get(audit))
        .route("/admin/password", get(password_form).post(change_password))
}

/// Audit entries a page.
pub const AUDIT_PAGE: i64 = 50;

#[derive(Serialize)]
struct NavLink {
    name: &'static str,
    url: &'static str,
    current: bool,
}

#[derive(Serialize)]
struct AuditEntry {
    at: String,
    at_iso: String,
    actor: String,
    action: String,
    subject: String,
    ip: String,
    detail: String,
}

#[derive(Serialize)]
struct AuditPage {
    #[serde(flatten)]
    page: AdminPage,
    action: String,
    actions: Vec<String>,
    entries: Vec<AuditEntry>,
    older: Option<String>,
}

#[derive(Serialize)]
struct UserView {
    name: String,
    role: String,
    email: String,
}

#[derive(Serialize)]
struct AdminPage {
    language: String,
    title: String,
    site_title: String,
    stylesheet_url: String,
    script_url: String,
    icon_url: String,
    user: Option<UserView>,
    nav: Vec<NavLink>,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    email: String,
    next: String,
    expires: String,
    expires_iso: String,
    idle_hours: i64,
}

impl AdminPage {
    fn new(app: &AppState, title: &str) -> AdminPage {
        AdminPage {
            language: app.config.site.language.clone(),
            title: title.to_owned(),
            site_title: app.title().clone(),
            stylesheet_url: app.admin_stylesheet_url.clone(),
            script_url: app.admin_script_url.clone(),
            icon_url: app.logo_url.clone(),
            user: None,
            nav: Vec::new(),
            csrf: String::new(),
            error: None,
            notice: None,
            email: String::new(),
            next: "/admin".into(),
            expires: String::new(),
            expires_iso: String::new(),
            idle_hours: sessions::IDLE.num_hours(),
        }
    }

    fn signed_in(mut self, s: &Session) -> AdminPage {
        self.user = Some(UserView {
            name: s.user.name.clone(),
            role: s.user.role.to_string(),
            email: s.user.email.clone(),
        });
        self.csrf = s.csrf_token.clone();
        let actor = s.user.actor();
        let may = |a| newsdesk_core::authorize(&actor, a, &[]).is_ok();
        self.nav.push(NavLink {
            name: "Home",
            url: "/admin",
            current: self.title == "Back office",
        });
        self.nav.push(NavLink {
            name: "Articles",
            url: "/admin/articles",
            current: self.title == "Articles",
        });
        self.nav.push(NavLink {
            name: "New article",
            url: "/admin/articles/new",
            current: self.title == "New article",
        });
        if may(newsdesk_core::Action::EditMedia) {
            self.nav.push(NavLink {
                name: "Media",
                url: "/admin/media",
                current: self.title == "Media library",
            });
        }
        if may(newsdesk_core::Action::EditTaxonomy) {
            self.nav.push(NavLink {
                name: "Sections & tags",
                url: "/admin/sections",
                current: ["Sections", "Tags", "Authors", "Running stories"]
                    .contains(&self.title.as_str()),
            });
        }
        if may(newsdesk_core::Action::ManageUsers) {
            self.nav.push(NavLink {
                name: "Users",
                url: "/admin/users",
                current: self.title == "Users",
            });
        }
        if may(newsdesk_core::Action::EditSettings) {
            self.nav.push(NavLink {
                name: "Settings",
                url: "/admin/settings",
                current: self.title == "Settings",
            });
        }
        self.nav.push(NavLink {
            name: "Integrations",
            url: "/admin/integrations",
            current: self.title == "Integrations",
        });
        if may(newsdesk_core::Action::ReadAuditLog) {
            self.nav.push(NavLink {
                name: "Audit log",
                url: "/admin/audit",
                current: self.title == "Audit log",
            });
        }
        self
    }
}

impl AdminPage {
    /// Marks `name` as the menu entry this page is under (pages whose
    /// title is their subject: an account, a tag).
    fn under(mut self, name: &str) -> AdminPage {
        for n in &mut self.nav {
            n.current = n.name == name;
        }
        self
    }
}

/// The back office's own `Content-Security-Policy`: scripts only from this
/// site's files, so text that slipped through escaping still cannot run.
pub const ADMIN_CSP: &str = "script-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// A back-office page: never cached, never indexed, scripts only from this
/// site.
fn page<V: Serialize>(
    app: &AppState,
    status: StatusCode,
    template: &str,
    view: &V,
) -> Result<Response, AppError> {
    let body = app.renderer.render(template, view).map_err(anyhow::Error::from)?;
    Ok(private_html(status, body))
}

/// An HTML response of the back office: never cached, never indexed,
/// scripts only from this site.
fn private_html(status: StatusCode, body: String) -> Response {
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(ADMIN_CSP));
    res
}

/// A JSON answer of the back office's scripts, never cached.
fn private_json(status: StatusCode, body: &impl Serialize) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "null".into());
    let mut res = (status, text).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn see_other(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The value of cookie `name`, if the request carries it.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value for the back office.
fn set_cookie(
    app: &AppState,
    name: &str,
    value: &str,
    path: &str,
    max_age: i64,
) -> Option<HeaderValue> {
    let secure = if app.base_url.starts_with("https://") { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

/// Where the request came from, for sessions and the audit log.
pub(crate) fn origin_of(headers: &HeaderMap, peer: Option<&ConnectInfo<SocketAddr>>) -> Origin {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect();
    Origin { ip: peer.map(|p| p.0.ip().to_string()).unwrap_or_default(), user_agent }
}

/// Whether a state-changing request comes from this site: browsers say
/// where a form was sent from in `Sec-Fetch-Site` and `Origin`.
fn same_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .is_some_and(|(_, h)| !host.is_empty() && h == host)
}

/// Where to go after signing in: a back-office path of this site only.
fn safe_next(next: &str) -> String {
    let ok = (next == "/admin" || next.starts_with("/admin/") || next.starts_with("/admin?"))
        && !next.contains('\\')
        && !next.contains("..")
        && !next.to_ascii_lowercase().contains("%2e")
        && !next.chars().any(char::is_control)
        && next.len() <= 2048;
    if ok { next.to_owned() } else { "/admin".into() }
}

/// The signed-in session of a request, if any.
async fn current(app: &AppState, headers: &HeaderMap) -> Result<Option<Session>, AppError> {
    match cookie(headers, SESSION_COOKIE) {
        Some(token) => Ok(app.newsroom.session(token).await?),
        None => Ok(None),
    }
}

/// A form body as fields; [`AppError::BadRequest`] when it is not one.
async fn form(req: Request) -> Result<FormParts, AppError> {
    form_limited(req, MAX_FORM_BYTES).await
}

type FormParts = (HeaderMap, Option<ConnectInfo<SocketAddr>>, Vec<(String, String)>);

/// [`form`] with a size limit of its own.
async fn form_limited(req: Request, limit: usize) -> Result<FormParts, AppError> {
    let (parts, body) = req.into_parts();
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().cloned();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| AppError::BadRequest("The form is too large.".into()))?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
        .map_err(|_| AppError::BadRequest("The form could not be read.".into()))?;
    Ok((parts.headers, peer, fields))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

/// The signed-in session allowed to take `action`: a redirect to sign in
/// when there is none, a 403 (audited) when the role does not allow it.
async fn signed_in_for(
    app: &AppState,
    req: &Parts,
    action: newsdesk_core::Action,
) -> Result<Result<Session, Response>, AppError> {
    let Some(s) = current(app, &req.headers).await? else {
        let here = req.uri.path_and_query().map_or("/admin", |p| p.as_str());
        let next = serde_urlencoded::to_string([("next", safe_next(here))]).unwrap_or_default();
        return Ok(Err(see_other(&format!("/admin/sign-in?{next}"))));
    };
    let from = origin_of(&req.headers, req.extensions.get::<ConnectInfo<SocketAddr>>());
    // A link on another site that opens a page this user may not see may
    // say nothing about the user: the audit entry says where it came from
    // (the header is the browser's word, so it is noted, not trusted).
    let from_elsewhere = req
        .headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"));
    let allowed = if from_elsewhere {
        let ok = newsdesk_core::authorize(&s.user.actor(), action, &[]).is_ok();
        if !ok {
            let why = format!("may not {action} (opened from a link on another site)");
            app.newsroom.audit_refusal(&s, &why, &s.user.email, &from).await?;
        }
        ok
    } else {
        app.newsroom.allowed(&s, action, &from).await?
    };
    if !allowed {
        return Err(AppError::Forbidden(format!("Your role ({}) may not {action}.", s.user.role)));
    }
    Ok(Ok(s))
}

/// A form posted by a signed-in session allowed to take `action`: from
/// this site, with the session's CSRF token.
struct Posted {
    session: Session,
    from: Origin,
    fields: Vec<(String, String)>,
}

/// Reads a [`Posted`] form. A form that cannot be taken (the session
/// ended, the form expired or came from another site) is answered with a
/// page that shows what was typed, so nothing is lost; a role that may not
/// is a 403 (audited).
async fn posted(
    app: &AppState,
    req: Request,
    action: newsdesk_core::Action,
) -> Result<Result<Posted, Response>, AppError> {
    let path = req.uri().path().to_owned();
    let (headers, peer, fields) = form(req).await?;
    let Some(session) = current(app, &headers).await? else {
        let message = "You were signed out, so nothing was changed. What you typed is below: \
                       sign in again in another tab, then send the form again.";
        return Ok(Err(kept_page(app, StatusCode::UNAUTHORIZED, &path, message, &fields)?));
    };
    if !same_site(&headers) || !same_secret(&session.csrf_token, field(&fields, "csrf")) {
        let message = "This form has expired or was sent from another site, so nothing was \
                       changed. What you typed is below: open the page again and send it anew.";
        return Ok(Err(kept_page(app, StatusCode::FORBIDDEN, &path, message, &fields)?));
    }
    let from = origin_of(&headers, peer.as_ref());
    if !app.newsroom.allowed(&session, action, &from).await? {
        return Err(AppError::Forbidden(format!(
            "Your role ({}) may not {action}.",
            session.user.role
        )));
    }
    Ok(Ok(Posted { session, from, fields }))
}

#[derive(Serialize)]
struct KeptField {
    name: String,
    value: String,
}

#[derive(Serialize)]
struct KeptPage {
    #[serde(flatten)]
    page: AdminPage,
    back: String,
    fields: Vec<KeptField>,
}

/// A refusal that shows back what the form held (never its passwords or
/// token).
fn kept_page(
    app: &AppState,
    status: StatusCode,
    path: &str,
    message: &str,
    fields: &[(String, String)],
) -> Result<Response, AppError> {
    let secret = |k: &str| matches!(k, "csrf" | "password" | "again" | "current" | "new" | "do");
    let mut view = KeptPage {
        page: AdminPage::new(app, "Not saved"),
        back: safe_next(path),
        fields: fields
            .iter()
            .filter(|(k, v)| !secret(k) && !v.trim().is_empty())
            .map(|(k, v)| KeptField { name: k.clone(), value: v.clone() })
            .collect(),
    };
    view.page.error = Some(message.to_owned());
    page(app, status, "admin/kept.html", &view)
}

/// What a refused change says to the person who asked, with the status
/// of the page that says it; other errors stay errors. A change the role
/// does not allow is written to the audit log, naming `subject`.
async fn refusal(
    app: &AppState,
    p: (&Session, &Origin),
    subject: &str,
    e: newsdesk_app::Error,
) -> Result<(StatusCode, String), AppError> {
    use newsdesk_app::Error as E;
    let status = match &e {
        E::Forbidden(d) => {
            let why = format!("may not {}", d.action);
            app.newsroom.audit_refusal(p.0, &why, subject, p.1).await?;
            StatusCode::FORBIDDEN
        }
        E::Invalid(_) | E::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
        E::Conflict { .. } => StatusCode::CONFLICT,
        _ => return Err(e.into()),
    };
    let mut message = capitalise(&quoted(&e.to_string()));
    if !message.ends_with(['.', '!', '?']) {
        message.push('.');
    }
    Ok((status, message))
}

/// `s` with its `code spans` (how the store and the use cases quote a
/// value) in quotation marks, as people read them.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut open = true;
    for c in s.chars() {
        if c == '`' {
            out.push(if open { '“' } else { '”' });
            open = !open;
        } else {
            out.push(c);
        }
    }
    out
}

/// `s` with a capital first letter.
fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// The query string's fields.
fn query(req: &Parts) -> Vec<(String, String)> {
    req.uri.query().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default()
}

/// `GET /admin/audit?action=…&before=ID`: the audit log, newest first, a
/// page at a time (administrators).
async fn audit(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (req, _) = req.into_parts();
    let s = match signed_in_for(&app, &req, newsdesk_core::Action::ReadAuditLog).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let q = query(&req);
    let action = field(&q, "action").to_owned();
    let before = match field(&q, "before") {
        "" => None,
        b => Some(
            b.parse::<i64>()
                .map_err(|_| AppError::BadRequest("`before` is an entry number.".into()))?,
        ),
    };
    let filter = (!action.is_empty()).then_some(action.as_str());
    let rows = app.db.audit_page(filter, before, AUDIT_PAGE).await?;
    let older = (rows.len() as i64 == AUDIT_PAGE).then(|| {
        let last = rows.last().map_or(0, |r| r.id);
        let mut q = vec![("before", last.to_string())];
        if !action.is_empty() {
            q.insert(0, ("action", action.clone()));
        }
        format!("/admin/audit?{}", serde_urlencoded::to_string(q).unwrap_or_default())
    });
    let entries = rows
        .into_iter()
        .map(|r| AuditEntry {
            at: r.at.with_timezone(&app.tz()).format("%-d %b %Y %H:%M:%S").to_string(),
            at_iso: r.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            actor: r.actor,
            action: r.action,
            subject: r.subject,
            ip: r.ip,
            detail: r.detail,
        })
        .collect();
    let view = AuditPage {
        page: AdminPage::new(&app, "Audit log").signed_in(&s),
        actions: app.db.audit_actions().await?,
        action,
        entries,
        older,
    };
    page(&app, StatusCode::OK, "admin/audit.html", &view)
}

/// `GET /admin/password`: the form to change one's own password.
async fn password_form(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Some(s) = current(&app, &headers).await? else {
        return Ok(see_other("/admin/sign-in?next=/admin/password"));
    };
    let view = AdminPage::new(&app, "Change your password").signed_in(&s);
    page(&app, StatusCode::OK, "admin/password.html", &view)
}

/// `POST /admin/password`: checks the current password, sets the new
/// one, keeps this session and ends every other.
async fn change_password(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (headers, peer, fields) = form(req).await?;
    let Some(s) = current(&app, &headers).await? else {
        return Ok(see_other("/admin/sign-in?next=/admin/password"));
    };
    if !same_site(&headers) || !same_secret(&s.csrf_token, field(&fields, "csrf")) {
        return Err(AppError::Forbidden(
            "This form has expired or was sent from another site; nothing was changed.".into(),
        ));
    }
    let again = |status: StatusCode, error: String| {
        let mut view = AdminPage::new(&app, "Change your password").signed_in(&s);
        view.error = Some(error);
        page(&app, status, "admin/password.html", &view)
    };
    let (new, repeat) = (field(&fields, "new"), field(&fields, "again"));
    if new != repeat {
        return again(StatusCode::OK, "The two new passwords differ.".into());
    }
    let from = origin_of(&headers, peer.as_ref());
    match app.newsroom.change_own_password(&s, field(&fields, "current"), new, &from).await {
        Ok(sessions::PasswordChange::Done) => Ok(see_other("/admin?changed=password")),
        Ok(sessions::PasswordChange::WrongCurrent) => {
            again(StatusCode::OK, "Your current password is not right.".into())
        }
        Ok(sessions::PasswordChange::Held { minutes }) => again(
            StatusCode::TOO_MANY_REQUESTS,
            format!("Too many wrong passwords lately. Try again in {minutes} minutes."),
        ),
        Err(newsdesk_app::Error::Refused(why)) => again(StatusCode::OK, why),
        Err(e) => Err(e.into()),
    }
}

/// `GET /admin/sign-in`: the form, with a fresh CSRF cookie.
async fn sign_in_form(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (parts, _) = req.into_parts();
    let next = field(&query(&parts), "next").to_owned();
    if current(&app, &parts.headers).await?.is_some() {
        return Ok(see_other(&safe_next(&next)));
    }
    sign_in_page(&app, StatusCode::OK, &next, "", None)
}

fn sign_in_page(
    app: &AppState,
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<String>,
) -> Result<Response, AppError> {
    let token = sessions::new_token().map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let mut view = AdminPage::new(app, "Sign in");
    view.csrf = token.clone();
    view.next = safe_next(next);
    view.email = email.to_owned();
    view.error = error;
    let mut res = page(app, status, "admin/sign_in.html", &view)?;
    if let Some(c) = set_cookie(app, SIGN_IN_COOKIE, &token, "/admin/sign-in", 3600) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// `POST /admin/sign-in`.
async fn sign_in(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (headers, peer, fields) = form(req).await?;
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if !same_site(&headers) || expected.is_empty() || !same_secret(expected, field(&fields, "csrf"))
    {
        return Err(AppError::Forbidden(
            "This sign-in form has expired or was sent from another site. Please sign in again."
                .into(),
        ));
    }
    let (email, next) = (field(&fields, "email"), field(&fields, "next"));
    let from = origin_of(&headers, peer.as_ref());
    let outcome = match app.newsroom.sign_in(email, field(&fields, "password"), &from).await {
        Err(newsdesk_app::Error::Refused(why)) => {
            let mut res =
                sign_in_page(&app, StatusCode::SERVICE_UNAVAILABLE, next, email, Some(why))?;
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(5));
            return Ok(res);
        }
        other => other?,
    };
    match outcome {
        SignIn::Done { token, session } => {
            let mut res = see_other(&safe_next(next));
            let max_age = (session.expires_at - chrono::Utc::now()).num_seconds().max(0);
            if let Some(c) = set_cookie(&app, SESSION_COOKIE, &token, "/admin", max_age) {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            if let Some(c) = set_cookie(&app, SIGN_IN_COOKIE, "", "/admin/sign-in", 0) {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            Ok(res)
        }
        SignIn::Wrong => sign_in_page(
            &app,
            StatusCode::OK,
            next,
            email,
            Some(
                "That email address and password do not match an account that may sign in.".into(),
            ),
        ),
        SignIn::Held { minutes } => {
            let mut res = sign_in_page(
                &app,
                StatusCode::TOO_MANY_REQUESTS,
                next,
                email,
                Some(format!(
                    "Too many failed sign-ins for this account or from this address. Try again in {minutes} minutes."
                )),
            )?;
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(minutes * 60));
            Ok(res)
        }
    }
}

/// `POST /admin/sign-out` (`everywhere=1`: every session of the user).
async fn sign_out(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (headers, peer, fields) = form(req).await?;
    let Some(s) = current(&app, &headers).await? else {
        return Ok(see_other("/admin/sign-in"));
    };
    if !same_site(&headers) || !same_secret(&s.csrf_token, field(&fields, "csrf")) {
        return Err(AppError::Forbidden(
            "This form has expired or was sent from another site; nothing was changed.".into(),
        ));
    }
    let everywhere = field(&fields, "everywhere") == "1";
    app.newsroom.sign_out(&s, everywhere, &origin_of(&headers, peer.as_ref())).await?;
    let mut res = see_other("/admin/sign-in");
    // Unsaved copies of text kept in this browser go with the session.
    res.headers_mut().insert("clear-site-data", HeaderValue::from_static("\"storage\""));
    if let Some(c) = set_cookie(&app, SESSION_COOKIE, "", "/admin", 0) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_quote_values_as_people_read_them() {
        assert_eq!(
            quoted("a section with slug `sports` exists"),
            "a section with slug “sports” exists"
        );
        assert_eq!(quoted("no quotes"), "no quotes");
    }

    #[test]
    fn after_sign_in_only_back_office_paths_of_this_site() {
        assert_eq!(safe_next("/admin/articles?status=draft"), "/admin/articles?status=draft");
        assert_eq!(safe_next("/admin"), "/admin");
        for bad in [
            "//evil.example/admin",
            "https://evil.example/admin",
            "/\\evil.example",
            "/admin\\..\\x",
            "/administrator",
            "/world",
            "",
            "/admin/\n",
            "/admin/../world",
            "/admin/%2E%2E/world",
        ] {
            assert_eq!(safe_next(bad), "/admin", "{bad:?}");
        }
    }

    #[test]
    fn forms_from_other_sites_are_told_apart() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("news.example"));
        assert!(same_site(&h), "no Origin: a non-browser client");
        h.insert(header::ORIGIN, HeaderValue::from_static("https://news.example"));
        assert!(same_site(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!same_site(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_site(&h));
        h.remove(header::ORIGIN);
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_site(&h));
    }
}
