//! `/admin/integrations`: API tokens (every user makes and revokes their
//! own), content keys and webhooks (administrators), and each webhook's
//! delivery log with "send test" and "redeliver". A key's secret is shown
//! once, on the page that answers its creation; a webhook's signing secret
//! is shown to administrators on the webhook's page (receivers need it to
//! check signatures).

use super::{AdminPage, Posted, field, page, posted, refusal, see_other, signed_in_for};
use crate::app::AppState;
use crate::error::AppError;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use newsdesk_app::integrations::{Scope, WEBHOOK_EVENTS};
use newsdesk_app::sessions::Session;
use newsdesk_core::{Action, Id};
use newsdesk_db::ApiKeyRow;
use serde::Serialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/integrations", get(show))
        .route("/admin/integrations/tokens", post(create_token))
        .route("/admin/integrations/keys", post(create_key))
        .route("/admin/integrations/keys/{id}/revoke", post(revoke))
        .route("/admin/integrations/webhooks", post(create_webhook))
        .route("/admin/integrations/webhooks/{id}", get(show_webhook).post(change_webhook))
}

/// Every signed-in user has tokens of their own; any role may write, so
/// this is the action that lets a user in.
const ANY_USER: Action = Action::CreateArticle;

#[derive(Serialize)]
struct KeyRow {
    id: Id,
    name: String,
    prefix: String,
    scopes: String,
    state: String,
    last_used: String,
    live: bool,
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "never".into())
}

fn key_row(k: ApiKeyRow) -> KeyRow {
    let now = Utc::now();
    let state = k.state(now);
    KeyRow {
        live: k.live(now),
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        scopes: if k.scopes.is_empty() {
            "everything the role allows".into()
        } else {
            k.scopes.replace(',', ", ")
        },
        state,
        last_used: when(k.last_used_at),
    }
}

#[derive(Serialize)]
struct HookRow {
    id: Id,
    name: String,
    url: String,
    events: String,
    state: &'static str,
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    checked: bool,
}

#[derive(Serialize)]
struct IntegrationsPage {
    #[serde(flatten)]
    page: AdminPage,
    tokens: Vec<KeyRow>,
    admin: bool,
    keys: Vec<KeyRow>,
    hooks: Vec<HookRow>,
    scopes: Vec<Choice>,
    events: Vec<Choice>,
    /// A secret just made, shown once.
    secret: Option<String>,
    secret_what: String,
    /// Where the error is about: `token`, `key` or `webhook`.
    error_in: &'static str,
}

async fn integrations_page(
    app: &AppState,
    s: &Session,
    status: StatusCode,
    said: Said,
) -> Result<Response, AppError> {
    let actor = s.user.actor();
    let admin = newsdesk_core::authorize(&actor, Action::EditSettings, &[]).is_ok();
    let tokens = app.db.list_api_keys("admin", Some(s.user.id)).await?;
    let (keys, hooks) = if admin {
        (app.db.list_api_keys("content", None).await?, app.db.list_webhooks().await?)
    } else {
        (Vec::new(), Vec::new())
    };
    let mut view = IntegrationsPage {
        page: AdminPage::new(app, "Integrations").signed_in(s),
        tokens: tokens.into_iter().map(key_row).collect(),
        admin,
        keys: keys.into_iter().map(key_row).collect(),
        hooks: hooks
            .into_iter()
            .map(|h| HookRow {
                id: h.id,
                state: if h.disabled_at.is_some() { "off" } else { "on" },
                name: h.name,
                url: h.url,
                events: h.events.replace(',', ", "),
            })
            .collect(),
        scopes: Scope::ALL.iter().map(|s| Choice { value: s.as_str(), checked: false }).collect(),
        events: WEBHOOK_EVENTS.iter().map(|e| Choice { value: e, checked: true }).collect(),
        secret: said.secret,
        secret_what: said.secret_what,
        error_in: said.error_in,
    };
    view.page.error = said.error;
    view.page.notice = said.notice;
    page(app, status, "admin/integrations.html", &view)
}

#[derive(Default)]
struct Said {
    notice: Option<String>,
    error: Option<String>,
    error_in: &'static str,
    secret: Option<String>,
    secret_what: String,
}

/// `GET /admin/integrations`
async fn show(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (req, _) = req.into_parts();
    let s = match signed_in_for(&app, &req, ANY_USER).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let notice = match field(&super::query(&req), "done") {
        "revoked" => Some("Revoked. Programs using it are refused from now on.".to_owned()),
        "deleted" => Some("The webhook and its delivery log are deleted.".to_owned()),
        _ => None,
    };
    integrations_page(&app, &s, StatusCode::OK, Said { notice, ..Said::default() }).await
}

/// `POST /admin/integrations/tokens`: a token of the user's own.
async fn create_token(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let Posted { session, from, fields } = match posted(&app, req, ANY_USER).await? {
        Ok(p) => p,
        Err(redirect) => return Ok(redirect),
    };
    let scopes: Vec<&str> =
        fields.iter().filter(|(k, _)| k == "scope").map(|(_, v)| v.as_str()).collect();
    let expires = match field(&fields, "expires_days").trim() {
        "" => None,
        d => match d.parse::<u32>() {
            Ok(n) if (1..=3650).contains(&n) => Some(Utc::now() + chrono::Duration::days(n.into())),
            _ => {
                let said = Said {
                    error: Some("Give the days until it expires as a number from 1 to 3650, or leave it empty.".into()),
                    error_in: "token",
                    ..Said::default()
                };
                return integrations_page(&app, &session, StatusCode::UNPROCESSABLE_ENTITY, said)
                    .await;
            }
        },
    };
    let actor = session.user.actor();
    let made = app
        .newsroom
        .create_admin_token(
            &actor,
            session.user.id,
            field(&fields, "name"),
            &scopes.join(","),
            expires,
            &from,
        )
        .await;
    match made {
        Ok(m) => {
            let said = Said {
                secret: Some(m.secret),
                secret_what: format!("API token “{}”", m.key.name),
                ..Said::default()
            };
            integrations_page(&app, &session, StatusCode::CREATED, said).await
        }
        Err(e) => {
            let (status, error) = refusal(&app, (&session, &from), "token", e).await?;
            let said = Said { error: Some(error), error_in: "token", ..Said::default() };
            integrations_page(&app, &session, status, said).await
        }
    }
}

/// `POST /admin/integrations/keys`: a content key (administrators).
async fn create_key(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let Posted { session, from, fields } = match posted(&app, req, Action::EditSettings).await? {
        Ok(p) => p,
        Err(redirect) => return Ok(redirect),
    };
    let made =
        app.newsroom.create_content_key(&session.user.actor(), field(&fields, "name"), &from).await;
    match made {
        Ok(m) => {
            let said = Said {
                secret: Some(m.secret),
                secret_what: format!("content key “{}”", m.key.name),
                ..Said::default()
            };
            integrations_page(&app, &session, StatusCode::CREATED, said).await
        }
        Err(e) => {
            let (status, error) = refusal(&app, (&session, &from), "content key", e).await?;
            let said = Said { error: Some(error), error_in: "key", ..Said::default() };
            integrations_page(&app, &session, status, said).await
        }
    }
}

/// `POST /admin/integrations/keys/{id}/revoke`: the user's own token, or
/// (administrators) any key.
async fn revoke(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let Posted { session, from, .. } = match posted(&app, req, ANY_USER).await? {
        Ok(p) => p,
        Err(redirect) => return Ok(redirect),
    };
    match app.newsroom.revoke_key(&session.user.actor(), id, &from).await {
        Ok(()) => Ok(see_other("/admin/integrations?done=revoked")),
        Err(e) => {
            let (status, error) = refusal(&app, (&session, &from), &format!("key {id}"), e).await?;
            let said = Said { error: Some(error), error_in: "token", ..Said::default() };
            integrations_page(&app, &session, status, said).await
        }
    }
}

/// `POST /admin/integrations/webhooks`
async fn create_webhook(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let Posted { session, from, fields } = match posted(&app, req, Action::EditSettings).await? {
        Ok(p) => p,
        Err(redirect) => return Ok(redirect),
    };
    let events: Vec<String> =
        fields.iter().filter(|(k, _)| k == "event").map(|(_, v)| v.clone()).collect();
    let made = app
        .newsroom
        .create_webhook(
            &session.user.actor(),
            field(&fields, "name"),
            field(&fields, "url"),
            &events,
            &from,
        )
        .await;
    match made {
        Ok(h) => Ok(see_other(&format!("/admin/integrations/webhooks/{}?done=created", h.id))),
        Err(e) => {
            let (status, error) = refusal(&app, (&session, &from), "webhook", e).await?;
            let said = Said { error: Some(error), error_in: "webhook", ..Said::default() };
            integrations_page(&app, &session, status, said).await
        }
    }
}

#[derive(Serialize)]
struct DeliveryView {
    id: Id,
    event: String,
    created: String,
    attempts: i32,
    status: String,
    error: String,
    delivered: String,
}

#[derive(Serialize)]
struct WebhookPage {
    #[serde(flatten)]
    page: AdminPage,
    id: Id,
    name: String,
    url: String,
    events: String,
    secret: String,
    enabled: bool,
    choices: Vec<Choice>,
    deliveries: Vec<DeliveryView>,
}

/// Deliveries a webhook's page lists.
const DELIVERIES_SHOWN: i64 = 50;

async fn webhook_page(
    app: &AppState,
    s: &Session,
    id: Id,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let h = app.db.webhook(id).await?;
    let deliveries = app.db.list_deliveries(id, DELIVERIES_SHOWN).await?;
    let mut view = WebhookPage {
        page: AdminPage::new(app, &format!("Webhook: {}", h.name)).signed_in(s),
        id,
        enabled: h.disabled_at.is_none(),
        choices: WEBHOOK_EVENTS
            .iter()
            .map(|e| Choice { value: e, checked: h.events.split(',').any(|x| x.trim() == *e) })
            .collect(),
        events: h.events.replace(',', ", "),
        name: h.name,
        url: h.url,
        secret: h.secret,
        deliveries: deliveries
            .into_iter()
            .map(|d| DeliveryView {
                id: d.id,
                created: when(Some(d.created_at)),
                attempts: d.attempts,
                status: d.status.map(|s| s.to_string()).unwrap_or_else(|| "—".into()),
                delivered: if d.delivered_at.is_some() {
                    when(d.delivered_at)
                } else if d.attempts >= newsdesk_app::integrations::WEBHOOK_ATTEMPTS {
                    "given up".into()
                } else if d.attempts == 0 {
                    "waiting".into()
                } else {
                    "not yet".into()
                },
                error: d.error,
                event: d.event,
            })
            .collect(),
    };
    view.page = view.page.under("Integrations");
    view.page.notice = notice;
    view.page.error = error;
    page(app, status, "admin/webhook.html", &view)
}

/// `GET /admin/integrations/webhooks/{id}`
async fn show_webhook(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let (req, _) = req.into_parts();
    let s = match signed_in_for(&app, &req, Action::EditSettings).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let notice = match field(&super::query(&req), "done") {
        "created" => Some("Webhook added. Send a test to check the receiver.".to_owned()),
        "test" => Some("A test delivery is on its way; reload to see the answer.".to_owned()),
        "redeliver" => Some("Sent again; reload to see the answer.".to_owned()),
        "on" => Some("Switched on.".to_owned()),
        "change" => Some("Saved.".to_owned()),
        "off" => Some("Switched off: nothing is sent until it is on again.".to_owned()),
        _ => None,
    };
    webhook_page(&app, &s, id, StatusCode::OK, notice, None).await
}

/// `POST /admin/integrations/webhooks/{id}`: `do` = `test`, `on`, `off`,
/// `delete` or `redeliver` (with `delivery`).
async fn change_webhook(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let Posted { session, from, fields } = match posted(&app, req, Action::EditSettings).await? {
        Ok(p) => p,
        Err(redirect) => return Ok(redirect),
    };
    let actor = session.user.actor();
    let n = &app.newsroom;
    let what = field(&fields, "do");
    let done = match what {
        "test" => n.send_test_delivery(&actor, id, &from).await.map(|_| ()),
        "on" => n.set_webhook_enabled(&actor, id, true, &from).await,
        "off" => n.set_webhook_enabled(&actor, id, false, &from).await,
        "delete" => n.delete_webhook(&actor, id, &from).await,
        "change" => {
            let events: Vec<String> =
                fields.iter().filter(|(k, _)| k == "event").map(|(_, v)| v.clone()).collect();
            let (name, url) = (field(&fields, "name"), field(&fields, "url"));
            n.update_webhook(&actor, id, name, url, &events, &from).await
        }
        "redeliver" => match field(&fields, "delivery").parse::<Id>() {
            Ok(d) if app.db.delivery(d).await.is_ok_and(|x| x.webhook_id == id) => {
                n.redeliver(&actor, d, &from).await
            }
            _ => return Err(AppError::NotFound),
        },
        _ => return Err(AppError::BadRequest("Unknown change.".into())),
    };
    match done {
        Ok(()) if what == "delete" => Ok(see_other("/admin/integrations?done=deleted")),
        Ok(()) => Ok(see_other(&format!("/admin/integrations/webhooks/{id}?done={what}"))),
        Err(e) => {
            let (status, error) =
                refusal(&app, (&session, &from), &format!("webhook {id}"), e).await?;
            webhook_page(&app, &session, id, status, None, Some(error)).await
        }
    }
}
