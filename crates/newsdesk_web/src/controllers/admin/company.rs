//! The editor's heartbeat and autosave, and taking an article over.
//!
//! `POST /admin/articles/{id}/autosave` is sent by the editor's script a
//! few seconds after typing stops (the whole form) and every
//! [`BEAT_SECONDS`] seconds while the page is open (`beat=1`, no text). It
//! answers JSON: when the text was kept, who holds the article, who else
//! has it open. Without a session it answers 401 so the script can say
//! the text is only in this browser until the editor signs in again.
//!
//! A new article has no number to autosave under: its first autosave,
//! `POST /admin/articles/new/autosave`, stores it as a draft (as Ghost
//! does), and the script moves the page onto that draft, so what was typed
//! is on the server, and in "My drafts" on any device, within seconds.

use super::articles::{Fields, MAX_EDITOR_BYTES, openable_from, read_fields, stored_article};
use super::{Posted, current, field, form_limited, posted, private_json, same_site, see_other};
use crate::app::AppState;
use crate::error::AppError;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use chrono::Utc;
use newsdesk_app::Error as UseCaseError;
use newsdesk_app::desk::Company;
use newsdesk_app::sessions::same_secret;
use newsdesk_core::{Action, Article, Id, authorize};
use serde::Serialize;

/// Seconds between heartbeats of an open editor.
pub const BEAT_SECONDS: u32 = 20;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/articles/new/autosave", post(autosave_new))
        .route("/admin/articles/{id}/autosave", post(autosave))
        .route("/admin/articles/{id}/take-over", post(take_over))
        .route("/admin/articles/{id}/discard-autosave", post(discard))
}

/// Who is with the article, as the editor page and the heartbeat show it.
#[derive(Debug, Clone, Serialize, Default)]
pub struct CompanyView {
    /// The holder's name.
    pub holder: String,
    /// Whether the viewer holds it.
    pub mine: bool,
    /// Since when they hold it, in the site's time.
    pub since: String,
    /// Everyone else with it open.
    pub others: Vec<String>,
}

impl CompanyView {
    pub fn of(app: &AppState, c: &Company, me: Id) -> CompanyView {
        CompanyView {
            holder: c.holder.as_ref().map(|h| h.name.clone()).unwrap_or_default(),
            mine: c.held_by(me),
            since: c
                .holder
                .as_ref()
                .map(|h| h.since.with_timezone(&app.tz()).format("%H:%M").to_string())
                .unwrap_or_default(),
            others: c.others.iter().map(|p| p.name.clone()).collect(),
        }
    }
}

#[derive(Serialize)]
struct Answer {
    /// When the text was kept (RFC 3339), for a save with text.
    saved_at: Option<String>,
    /// The same, as the back office shows times (the site's time zone).
    saved_at_text: Option<String>,
    #[serde(flatten)]
    company: CompanyView,
}

#[derive(Serialize)]
struct Refused {
    error: String,
}

/// `POST /admin/articles/{id}/autosave`.
async fn autosave(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let (headers, _, fields) = form_limited(req, MAX_EDITOR_BYTES).await?;
    let Some(s) = current(&app, &headers).await? else {
        let error =
            "You were signed out: the text is kept only in this browser until you sign in again.";
        return Ok(private_json(StatusCode::UNAUTHORIZED, &Refused { error: error.into() }));
    };
    if !same_site(&headers) || !same_secret(&s.csrf_token, field(&fields, "csrf")) {
        let error = "This page belongs to an earlier session: reload it after saving your text.";
        return Ok(private_json(StatusCode::FORBIDDEN, &Refused { error: error.into() }));
    }
    // Checked like opening the editor, but not audited: an open page
    // asks every few seconds, and opening it was audited already.
    let (article, current_version) = match stored_article(&app, id).await {
        Ok(found) => found,
        Err(AppError::NotFound) => {
            let error = "This article no longer exists: copy your text before leaving the page.";
            return Ok(private_json(StatusCode::NOT_FOUND, &Refused { error: error.into() }));
        }
        Err(e) => return Err(e),
    };
    if authorize(&s.user.actor(), Action::EditArticle, &article.author_ids()).is_err() {
        let error = "You may no longer edit this article: copy your text before leaving the page.";
        return Ok(private_json(StatusCode::FORBIDDEN, &Refused { error: error.into() }));
    }
    let base: i32 = field(&fields, "version").parse().unwrap_or(current_version);
    // A copy sent before this person's own later save (a request still on
    // its way when they pressed Save) is older than what they saved.
    let superseded = app.db.latest_version_by(id, s.user.id).await?.is_some_and(|mine| mine > base);
    let kept = if field(&fields, "beat") == "1" || superseded {
        None
    } else {
        Some(match rewrite_autosaved(&app, &s, &article, &fields).await? {
            Some(at) => at,
            None => app.newsroom.autosave(&s.user, id, base, &fields).await?,
        })
    };
    let company = app.newsroom.heartbeat(&s.user, id).await?;
    let answer = Answer {
        saved_at: kept.map(rfc3339),
        saved_at_text: kept.map(|at| clock(&app, at)),
        company: CompanyView::of(&app, &company, s.user.id),
    };
    Ok(private_json(StatusCode::OK, &answer))
}

/// A draft that this person's editor made by autosave and that nobody has
/// saved since is rewritten with the form, so lists and other devices show
/// what was typed; `None` (keep an autosaved copy instead) past that stage,
/// or when the form names tags not made yet or does not read.
async fn rewrite_autosaved(
    app: &AppState,
    s: &newsdesk_app::sessions::Session,
    stored: &Article,
    fields: &[(String, String)],
) -> Result<Option<chrono::DateTime<Utc>>, AppError> {
    let t = app.taxonomy();
    let Ok((draft, new_tags)) = read_fields(&t, &Fields::sent(fields), stored, app.tz()) else {
        return Ok(None);
    };
    if !new_tags.is_empty() {
        return Ok(None);
    }
    let rewritten = async {
        let mut w = app.newsroom.begin(&s.user.actor()).await?;
        let Some(saved) = w.rewrite_autosaved_draft(draft).await? else { return Ok(None) };
        w.tx().drop_autosave(saved.article.id, s.user.id).await?;
        w.commit().await?;
        Ok::<_, UseCaseError>(Some(saved.article.updated_at))
    };
    match rewritten.await {
        Ok(at) => Ok(at),
        Err(UseCaseError::Invalid(_) | UseCaseError::Stale { .. } | UseCaseError::Forbidden(_)) => {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

fn rfc3339(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A time of day as the back office shows it: 24-hour, the site's zone.
fn clock(app: &AppState, at: chrono::DateTime<Utc>) -> String {
    at.with_timezone(&app.tz()).format("%H:%M:%S").to_string()
}

/// What the first autosave of a new article answers: the draft it made.
#[derive(Serialize)]
struct Created {
    id: Id,
    version: i32,
    /// The draft's editor page, which the script moves the page to.
    url: String,
    /// Where the page autosaves from now on.
    autosave: String,
    saved_at: Option<String>,
    saved_at_text: Option<String>,
    #[serde(flatten)]
    company: CompanyView,
}

/// `POST /admin/articles/new/autosave`: keeps a new article's text by
/// storing it as a draft, once it has a headline or a body. Tags not yet
/// known are not made here: they stay in the form (and in the draft's
/// autosaved copy) until the writer saves.
async fn autosave_new(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let refused = |status: StatusCode, error: &str| {
        Ok(private_json(status, &Refused { error: error.into() }))
    };
    let (headers, _, fields) = form_limited(req, MAX_EDITOR_BYTES).await?;
    let Some(s) = current(&app, &headers).await? else {
        return refused(
            StatusCode::UNAUTHORIZED,
            "You were signed out: the text is kept only in this browser until you sign in again.",
        );
    };
    if !same_site(&headers) || !same_secret(&s.csrf_token, field(&fields, "csrf")) {
        return refused(
            StatusCode::FORBIDDEN,
            "This page belongs to an earlier session: reload it after saving your text.",
        );
    }
    let actor = s.user.actor();
    if authorize(&actor, Action::CreateArticle, &[]).is_err() {
        return refused(StatusCode::FORBIDDEN, "You may not write articles.");
    }
    let form = Fields::sent(&fields);
    if field(&fields, "beat") == "1" || !form.has_text() {
        // Nothing worth a draft yet.
        return Ok(private_json(
            StatusCode::OK,
            &Answer { saved_at: None, saved_at_text: None, company: Default::default() },
        ));
    }
    let t = app.taxonomy();
    let (draft, new_tags) = match read_fields(&t, &form, &Article::draft("", Utc::now()), app.tz())
    {
        Ok(read) => read,
        Err(problems) => {
            let first = problems.first().map_or("the form does not read", String::as_str);
            return refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("Not kept on the server yet: {first}"),
            );
        }
    };
    // A draft that would not be theirs (a contributor who took their own
    // name out of the bylines) could not be opened by them again.
    if newsdesk_core::authorize_article(&actor, Action::EditArticle, &draft).is_err() {
        return refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not kept on the server yet: put your own name in the bylines, or the draft would not be yours to open.",
        );
    }
    let made = async {
        let mut w = app.newsroom.begin(&actor).await?;
        let saved = w.create_autosaved_draft(draft).await?;
        w.commit().await?;
        Ok::<_, UseCaseError>(saved)
    };
    let saved = match made.await {
        Ok(saved) => saved,
        Err(
            e @ (UseCaseError::Invalid(_)
            | UseCaseError::Refused(_)
            | UseCaseError::Conflict { .. }),
        ) => {
            let mut why = e.to_string();
            if let Some(first) = why.get(..1) {
                why = first.to_uppercase() + &why[1..];
            }
            return refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("Not kept on the server yet: {why}."),
            );
        }
        Err(UseCaseError::Forbidden(_)) => {
            return refused(StatusCode::FORBIDDEN, "You may not write articles.");
        }
        Err(e) => return Err(e.into()),
    };
    let id = saved.article.id;
    // Tags not made yet live only in the form: the whole form is kept as
    // the draft's autosaved copy, so another device is offered them too.
    let at = if new_tags.is_empty() {
        Utc::now()
    } else {
        app.newsroom.autosave(&s.user, id, saved.version, &fields).await?
    };
    let company = app.newsroom.heartbeat(&s.user, id).await?;
    let answer = Created {
        id,
        version: saved.version,
        url: format!("/admin/articles/{id}"),
        autosave: format!("/admin/articles/{id}/autosave"),
        saved_at: Some(rfc3339(at)),
        saved_at_text: Some(clock(&app, at)),
        company: CompanyView::of(&app, &company, s.user.id),
    };
    Ok(private_json(StatusCode::CREATED, &answer))
}

/// A form about article `id` from someone who may open it: the session
/// and where it came from, or the answer already given.
async fn on_article(
    app: &AppState,
    id: Id,
    req: Request,
) -> Result<Result<Posted, Response>, AppError> {
    let p = match posted(app, req, Action::CreateArticle).await? {
        Ok(p) => p,
        Err(answer) => return Ok(Err(answer)),
    };
    openable_from(app, &p.session, &p.from, id).await?;
    Ok(Ok(p))
}

/// `POST /admin/articles/{id}/take-over`: the signed-in user becomes the
/// article's holder (audited).
async fn take_over(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let Posted { session, from, .. } = match on_article(&app, id, req).await? {
        Ok(p) => p,
        Err(answer) => return Ok(answer),
    };
    app.newsroom.take_over(&session, id, &from).await?;
    Ok(see_other(&format!("/admin/articles/{id}?done=taken")))
}

/// `POST /admin/articles/{id}/discard-autosave`: forgets the signed-in
/// user's unsaved text of the article.
async fn discard(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let Posted { session, .. } = match on_article(&app, id, req).await? {
        Ok(p) => p,
        Err(answer) => return Ok(answer),
    };
    app.newsroom.discard_unsaved(&session.user, id).await?;
    Ok(see_other(&format!("/admin/articles/{id}?done=discarded")))
}
