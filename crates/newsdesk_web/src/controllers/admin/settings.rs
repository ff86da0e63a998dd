//! `/admin/settings`: the site's title, description, time zone and logo
//! (administrators). A field left empty takes the configuration file's
//! value, shown as its placeholder.

use super::taxonomy::{Input, input};
use super::{AdminPage, Posted, field, page, posted, query, refusal, see_other, signed_in_for};
use crate::app::AppState;
use crate::error::AppError;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use newsdesk_app::sessions::Session;
use newsdesk_app::settings::SiteSettings;
use newsdesk_core::Action;
use serde::Serialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/settings", get(show).post(save))
}

#[derive(Serialize)]
struct SettingsView {
    #[serde(flatten)]
    page: AdminPage,
    inputs: Vec<Input>,
    /// The configuration's values, which empty fields fall back to.
    defaults: Vec<(&'static str, String)>,
}

/// The form's fields as typed (or as stored).
struct Typed {
    title: String,
    description: String,
    timezone: String,
    logo: String,
}

impl Typed {
    fn of(s: &SiteSettings) -> Typed {
        Typed {
            title: s.title.clone().unwrap_or_default(),
            description: s.description.clone().unwrap_or_default(),
            timezone: s.timezone.clone().unwrap_or_default(),
            logo: s.logo_media_id.map(|m| m.to_string()).unwrap_or_default(),
        }
    }

    /// The settings these fields ask for, or why they cannot be read.
    fn settings(&self) -> Result<SiteSettings, String> {
        let set = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_owned());
        let logo_media_id = match self.logo.trim().trim_start_matches('#') {
            "" => None,
            m => Some(m.parse().map_err(|_| "The logo is a media item's number.".to_owned())?),
        };
        Ok(SiteSettings {
            title: set(&self.title),
            description: set(&self.description),
            timezone: set(&self.timezone),
            logo_media_id,
        })
    }
}

fn inputs(t: &Typed) -> Vec<Input> {
    vec![
        input(
            "title",
            "Title",
            "text",
            &t.title,
            "The publication's name, on every page and in feeds.",
            200,
        ),
        input(
            "description",
            "Description",
            "textarea",
            &t.description,
            "One sentence about the publication, for the front page and search engines.",
            1000,
        ),
        input(
            "timezone",
            "Time zone",
            "text",
            &t.timezone,
            "IANA name, e.g. Europe/Berlin or America/New_York. Dates on pages, schedules and \
             the addresses of articles published from now on follow it.",
            64,
        ),
        Input {
            picker: true,
            ..input(
                "logo",
                "Logo",
                "text",
                &t.logo,
                "The number of a picture in the media library.",
                20,
            )
        },
    ]
}

fn settings_page(
    app: &AppState,
    s: &Session,
    typed: &Typed,
    status: StatusCode,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let c = &app.config.site;
    let mut view = SettingsView {
        page: AdminPage::new(app, "Settings").signed_in(s),
        inputs: inputs(typed),
        defaults: vec![
            ("Title", c.title.clone()),
            ("Description", c.description.clone()),
            ("Time zone", c.timezone.clone()),
            ("Logo", "the built-in mark".to_owned()),
        ],
    };
    super::taxonomy::tie_error(&mut view.inputs, error.as_deref());
    view.page.error = error;
    view.page.notice = notice;
    page(app, status, "admin/settings.html", &view)
}

/// `GET /admin/settings`.
async fn show(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (req, _) = req.into_parts();
    let s = match signed_in_for(&app, &req, Action::EditSettings).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let notice = (field(&query(&req), "done") == "saved")
        .then(|| "Saved. Every page shows the change from now on.".to_owned());
    let stored = SiteSettings::load(&app.db).await?;
    settings_page(&app, &s, &Typed::of(&stored), StatusCode::OK, None, notice)
}

/// `POST /admin/settings`.
async fn save(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let Posted { session, from, fields } = match posted(&app, req, Action::EditSettings).await? {
        Ok(p) => p,
        Err(redirect) => return Ok(redirect),
    };
    let typed = Typed {
        title: field(&fields, "title").to_owned(),
        description: field(&fields, "description").to_owned(),
        timezone: field(&fields, "timezone").to_owned(),
        logo: field(&fields, "logo").to_owned(),
    };
    let wanted = match typed.settings() {
        Ok(w) => w,
        Err(e) => {
            return settings_page(
                &app,
                &session,
                &typed,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(e),
                None,
            );
        }
    };
    match app.newsroom.save_settings(&session.user.actor(), &wanted, &from).await {
        Ok(()) => {
            app.catch_up().await?;
            Ok(see_other("/admin/settings?done=saved"))
        }
        Err(e) => {
            let (status, error) = refusal(&app, (&session, &from), "site", e).await?;
            settings_page(&app, &session, &typed, status, Some(error), None)
        }
    }
}
