//! The site's settings an administrator changes in the back office: its
//! title, description, time zone and logo. Each one not set here takes the
//! configuration file's value. Every server follows a change through the
//! event log (every page shows the title), and the time zone dates the
//! addresses of articles published from then on.

use crate::events::Event;
use crate::sessions::{Origin, audit_entry};
use crate::{Error, Newsroom, Result};
use newsdesk_core::{Action, Actor, Id, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, authorize};
use newsdesk_db::{Database, Tx};

/// Setting names as stored.
pub const TITLE: &str = "title";
/// The one-sentence description.
pub const DESCRIPTION: &str = "description";
/// The IANA time zone.
pub const TIMEZONE: &str = "timezone";
/// The logo, a media item's id.
pub const LOGO: &str = "logo_media_id";

/// The settings set in the database (`None`: the configuration's value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteSettings {
    /// The publication's name.
    pub title: Option<String>,
    /// One sentence about it.
    pub description: Option<String>,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub timezone: Option<String>,
    /// The logo, from the media library.
    pub logo_media_id: Option<Id>,
}

impl SiteSettings {
    /// The settings stored in `db`.
    pub async fn load(db: &Database) -> newsdesk_db::Result<SiteSettings> {
        let mut s = SiteSettings::default();
        for (name, value) in db.settings().await? {
            match name.as_str() {
                TITLE => s.title = Some(value),
                DESCRIPTION => s.description = Some(value),
                TIMEZONE => s.timezone = Some(value),
                LOGO => s.logo_media_id = value.parse().ok(),
                _ => {}
            }
        }
        Ok(s)
    }

    /// The time zone, when one is set and known.
    pub fn tz(&self) -> Option<chrono_tz::Tz> {
        self.timezone.as_deref().and_then(|t| t.parse().ok())
    }

    /// Every reason these settings cannot be stored, for people.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if let Some(t) = &self.title {
            if t.trim().is_empty() {
                p.push("the title is empty".to_owned());
            }
            if t.chars().count() > MAX_NAME_CHARS {
                p.push(format!("the title is longer than {MAX_NAME_CHARS} characters"));
            }
        }
        if self.description.as_ref().is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS) {
            p.push(format!("the description is longer than {MAX_DESCRIPTION_CHARS} characters"));
        }
        if let Some(tz) = &self.timezone
            && tz.parse::<chrono_tz::Tz>().is_err()
        {
            p.push(format!("“{tz}” is not a time zone: give its IANA name, e.g. Europe/Berlin"));
        }
        p
    }
}

/// The time zone set in the database, read in `tx` (publishing dates new
/// addresses with it), or `fallback`.
pub(crate) async fn tz_in(tx: &mut Tx, fallback: chrono_tz::Tz) -> Result<chrono_tz::Tz> {
    Ok(tx.setting(TIMEZONE).await?.and_then(|t| t.parse().ok()).unwrap_or(fallback))
}

impl Newsroom {
    /// Stores `s` as the site's settings (administrators); the audit log
    /// names what changed, and every server reloads them.
    pub async fn save_settings(
        &self,
        actor: &Actor,
        s: &SiteSettings,
        from: &Origin,
    ) -> Result<()> {
        authorize(actor, Action::EditSettings, &[])?;
        let problems = s.problems();
        if !problems.is_empty() {
            return Err(Error::Refused(problems.join("; ")));
        }
        if let Some(m) = s.logo_media_id
            && self.db().media_by_ids(&[m]).await?.is_empty()
        {
            return Err(Error::Refused(format!("there is no media item {m} for the logo")));
        }
        let before = SiteSettings::load(self.db()).await?;
        let mut tx = self.db().begin().await?;
        let logo = s.logo_media_id.map(|m| m.to_string());
        let pairs = [
            (TITLE, s.title.as_deref(), before.title != s.title),
            (DESCRIPTION, s.description.as_deref(), before.description != s.description),
            (TIMEZONE, s.timezone.as_deref(), before.timezone != s.timezone),
            (LOGO, logo.as_deref(), before.logo_media_id != s.logo_media_id),
        ];
        let changed: Vec<&str> = pairs.iter().filter(|p| p.2).map(|p| p.0).collect();
        if changed.is_empty() {
            return Ok(());
        }
        for (name, value, _) in pairs {
            tx.put_setting(name, value.map(str::trim)).await?;
        }
        let detail = changed.join(", ");
        tx.audit(&audit_entry(actor, "settings_changed", "site", &detail, from)).await?;
        tx.record_event(Event::SiteChanged { reason: format!("settings: {detail}") }.to_new());
        let done = tx.commit().await?;
        self.signals().committed(&done);
        Ok(())
    }
}
