//! Accounts in the browser (administrators): the list, adding an account,
//! and one account's page to change its role, set a new password, or
//! disable and enable it. Every change goes through
//! [`newsdesk_app::Newsroom`], which decides what the actor may manage
//! and writes the audit entry with the address it came from.

use super::{AdminPage, Posted, field, page, posted, refusal, see_other, signed_in_for};
use crate::app::AppState;
use crate::error::AppError;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use newsdesk_app::accounts::{NewAccount, User, may_manage};
use newsdesk_app::sessions::Session;
use newsdesk_core::{Action, Id, Role};
use serde::Serialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list).post(add))
        .route("/admin/users/{id}", get(show).post(change))
}

#[derive(Serialize)]
struct AccountRow {
    url: String,
    name: String,
    email: String,
    role: String,
    status: &'static str,
}

#[derive(Serialize)]
struct RoleChoice {
    value: &'static str,
    selected: bool,
}

/// What the add form held, given back when it is refused.
#[derive(Serialize, Default)]
struct Typed {
    name: String,
    email: String,
    role: String,
}

#[derive(Serialize)]
struct ListPage {
    #[serde(flatten)]
    page: AdminPage,
    users: Vec<AccountRow>,
    roles: Vec<RoleChoice>,
    typed: Typed,
}

#[derive(Serialize)]
struct AccountPage {
    #[serde(flatten)]
    page: AdminPage,
    id: Id,
    name: String,
    email: String,
    role: String,
    disabled: bool,
    /// Whether this actor may change the account at all.
    manageable: bool,
    roles: Vec<RoleChoice>,
}

fn status_of(u: &User) -> &'static str {
    if u.disabled { "disabled" } else { "active" }
}

/// The roles `s` may give, `current` selected.
fn role_choices(s: &Session, current: &str) -> Vec<RoleChoice> {
    let actor = s.user.actor();
    Role::ALL
        .into_iter()
        .filter(|r| may_manage(&actor, *r))
        .map(|r| RoleChoice { value: r.as_str(), selected: r.as_str() == current })
        .collect()
}

async fn list_page(
    app: &AppState,
    s: &Session,
    status: StatusCode,
    typed: Typed,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let users = app
        .newsroom
        .users()
        .await?
        .iter()
        .map(|u| AccountRow {
            url: format!("/admin/users/{}", u.id),
            name: u.name.clone(),
            email: u.email.clone(),
            role: u.role.to_string(),
            status: status_of(u),
        })
        .collect();
    let mut view = ListPage {
        page: AdminPage::new(app, "Users").signed_in(s),
        users,
        roles: role_choices(s, if typed.role.is_empty() { "contributor" } else { &typed.role }),
        typed,
    };
    view.page.error = error;
    view.page.notice = notice;
    page(app, status, "admin/users.html", &view)
}

/// `GET /admin/users`: every account, and the form to add one.
async fn list(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (req, _) = req.into_parts();
    let s = match signed_in_for(&app, &req, Action::ManageUsers).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let q = super::query(&req);
    // The account named by id, so a link cannot put words on this page.
    let added = match field(&q, "added").parse::<Id>() {
        Ok(id) => app.db.find_user_by_id(id).await?,
        Err(_) => None,
    };
    let notice = added.map(|u| {
        format!(
            "Added {}. Give them their password in person; they can change it after signing in.",
            u.email
        )
    });
    list_page(&app, &s, StatusCode::OK, Typed::default(), None, notice).await
}

/// `POST /admin/users`: adds an account.
async fn add(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let Posted { session, from, fields } = match posted(&app, req, Action::ManageUsers).await? {
        Ok(p) => p,
        Err(redirect) => return Ok(redirect),
    };
    let typed = Typed {
        name: field(&fields, "name").to_owned(),
        email: field(&fields, "email").to_owned(),
        role: field(&fields, "role").to_owned(),
    };
    let again = |status, typed, error| list_page(&app, &session, status, typed, Some(error), None);
    let Some(role) = Role::parse(&typed.role) else {
        return again(StatusCode::UNPROCESSABLE_ENTITY, typed, "Choose a role.".into()).await;
    };
    if field(&fields, "password") != field(&fields, "again") {
        let error = "The two passwords differ; type them again.".to_owned();
        return again(StatusCode::UNPROCESSABLE_ENTITY, typed, error).await;
    }
    let new = NewAccount {
        email: typed.email.clone(),
        name: typed.name.clone(),
        role,
        author_id: None,
        password: field(&fields, "password").to_owned(),
    };
    match app.newsroom.add_user(&session.user.actor(), new, &from).await {
        Ok(u) => {
            app.catch_up().await?;
            Ok(see_other(&format!("/admin/users?added={}", u.id)))
        }
        Err(e) => {
            let subject = typed.email.clone();
            let (status, error) = refusal(&app, (&session, &from), &subject, e).await?;
            again(status, typed, error).await
        }
    }
}

async fn account_page(
    app: &AppState,
    s: &Session,
    id: Id,
    status: StatusCode,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let Some(row) = app.db.find_user_by_id(id).await? else {
        return Err(AppError::NotFound);
    };
    let u = User::from_row(&row)?;
    let mut view = AccountPage {
        page: AdminPage::new(app, &u.name).signed_in(s).under("Users"),
        id,
        manageable: may_manage(&s.user.actor(), u.role),
        roles: role_choices(s, u.role.as_str()),
        name: u.name,
        email: u.email,
        role: u.role.to_string(),
        disabled: u.disabled,
    };
    view.page.error = error;
    view.page.notice = notice;
    page(app, status, "admin/user.html", &view)
}

/// `GET /admin/users/{id}`: one account.
async fn show(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let (req, _) = req.into_parts();
    let s = match signed_in_for(&app, &req, Action::ManageUsers).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let notice = match field(&super::query(&req), "done") {
        "role" => Some("The role was changed. It applies from their next page.".to_owned()),
        "unchanged" => Some("That is already their role; nothing changed.".to_owned()),
        "password" => Some("The password was set; they were signed out everywhere.".to_owned()),
        "disable" => Some("The account can no longer sign in.".to_owned()),
        "enable" => Some("The account can sign in again.".to_owned()),
        _ => None,
    };
    account_page(&app, &s, id, StatusCode::OK, None, notice).await
}

/// `POST /admin/users/{id}` with `do` = `role`, `password`, `disable` or
/// `enable`.
async fn change(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let Posted { session, from, fields } = match posted(&app, req, Action::ManageUsers).await? {
        Ok(p) => p,
        Err(redirect) => return Ok(redirect),
    };
    let actor = session.user.actor();
    let mut what = field(&fields, "do");
    let before = app.db.find_user_by_id(id).await?.ok_or(AppError::NotFound)?;
    if what == "password" && id == session.user.id {
        let error = "Change your own password on the “Change your password” page, which asks for the current one.";
        return account_page(
            &app,
            &session,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(error.into()),
            None,
        )
        .await;
    }
    let done = match what {
        "role" => match Role::parse(field(&fields, "role")) {
            Some(role) if role.as_str() == before.role && may_manage(&actor, role) => {
                what = "unchanged";
                Ok(())
            }
            Some(role) => app.newsroom.set_role(&actor, id, role, &from).await.map(|_| ()),
            None => Err(newsdesk_app::Error::Refused("choose a role".into())),
        },
        "password" if field(&fields, "password") != field(&fields, "again") => {
            Err(newsdesk_app::Error::Refused("the two passwords differ; type them again".into()))
        }
        "password" => {
            app.newsroom.set_password(&actor, id, field(&fields, "password"), &from).await
        }
        "disable" | "enable" => {
            app.newsroom.set_user_disabled(&actor, id, what == "disable", &from).await
        }
        _ => return Err(AppError::BadRequest("Unknown change.".into())),
    };
    match done {
        Ok(()) => {
            app.catch_up().await?;
            Ok(see_other(&format!("/admin/users/{id}?done={what}")))
        }
        Err(newsdesk_app::Error::NotFound { .. }) => Err(AppError::NotFound),
        Err(e) => {
            let subject = format!("user {id}");
            let (status, error) = refusal(&app, (&session, &from), &subject, e).await?;
            account_page(&app, &session, id, status, Some(error), None).await
        }
    }
}
