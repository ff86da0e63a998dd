//! The editor's company: who else has an article open, who holds it (and
//! taking it over, audited), and text typed but not yet saved, kept on the
//! server every few seconds so a lost laptop loses at most those seconds.
//!
//! None of this changes an article: saves still go through the use cases
//! with their version check and merge, whoever holds the article. Holding
//! is what the desk shows ("Ana is editing"), so two people do not
//! unknowingly rewrite the same paragraph.

use crate::accounts::User;
use crate::sessions::{Origin, Session, audit_entry};
use crate::{Newsroom, Result};
use chrono::{DateTime, Duration, Utc};
use newsdesk_core::Id;
use newsdesk_db::{Holder, Present};

/// How long after its last heartbeat an editor still counts as open.
pub const PRESENT_FOR: Duration = Duration::seconds(60);

/// What an open editor learns from a heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    /// Who holds the article (after this heartbeat, often the asker).
    pub holder: Option<Holder>,
    /// Everyone else with the article open.
    pub others: Vec<Present>,
}

impl Company {
    /// Whether `user_id` holds the article.
    pub fn held_by(&self, user_id: Id) -> bool {
        self.holder.as_ref().is_some_and(|h| h.user_id == user_id)
    }
}

impl Newsroom {
    /// Records that `user` has article `id` open, and makes them its
    /// holder when nobody holds it or its holder has gone. The caller has
    /// checked that they may open it.
    pub async fn heartbeat(&self, user: &User, id: Id) -> Result<Company> {
        let now = Utc::now();
        let mut tx = self.db().begin().await?;
        tx.mark_present(id, user.id, &user.name, now).await?;
        // Claimed first when free, so two people opening it at once do not
        // both hold it; then read under lock.
        tx.claim_holder(id, user.id, &user.name, now).await?;
        let held = match tx.holder(id).await? {
            Some(h) if h.user_id == user.id => Some(h),
            Some(h) => {
                let seen = tx.seen_at(id, h.user_id).await?;
                seen.is_some_and(|at| now - at <= PRESENT_FOR).then_some(h)
            }
            None => None,
        };
        // Nobody holds it, or its holder has gone: the asker does now.
        let holder = match held {
            Some(h) => h,
            None => {
                tx.set_holder(id, user.id, &user.name, now).await?;
                Holder { user_id: user.id, name: user.name.clone(), since: now }
            }
        };
        tx.commit().await?;
        let others = self
            .db()
            .present(id, now - PRESENT_FOR)
            .await?
            .into_iter()
            .filter(|p| p.user_id != user.id)
            .collect();
        Ok(Company { holder: Some(holder), others })
    }

    /// Makes the session's user the holder of article `id`; the audit log
    /// names whom they took it from. Returns that person's name, if
    /// someone else held it.
    pub async fn take_over(
        &self,
        session: &Session,
        id: Id,
        from: &Origin,
    ) -> Result<Option<String>> {
        let u = &session.user;
        let now = Utc::now();
        let mut tx = self.db().begin().await?;
        let before = tx.holder(id).await?.filter(|h| h.user_id != u.id);
        tx.mark_present(id, u.id, &u.name, now).await?;
        tx.set_holder(id, u.id, &u.name, now).await?;
        if let Some(h) = &before {
            let subject = format!("article {id}");
            let detail = format!("from {}", h.name);
            let actor = u.actor();
            tx.audit(&audit_entry(&actor, "article_taken_over", &subject, &detail, from)).await?;
        }
        tx.commit().await?;
        Ok(before.map(|h| h.name))
    }

    /// Keeps the editor's form `fields` (without its CSRF token) as
    /// `user`'s unsaved text of article `id`, written on `base_version`.
    pub async fn autosave(
        &self,
        user: &User,
        id: Id,
        base_version: i32,
        fields: &[(String, String)],
    ) -> Result<DateTime<Utc>> {
        let kept: Vec<&(String, String)> =
            fields.iter().filter(|(k, _)| !matches!(k.as_str(), "csrf" | "do" | "beat")).collect();
        let json = serde_json::to_string(&kept)
            .map_err(|e| crate::Error::Refused(format!("the form could not be kept: {e}")))?;
        let now = Utc::now();
        let mut tx = self.db().begin().await?;
        tx.put_autosave(id, user.id, base_version, &json, now).await?;
        tx.mark_present(id, user.id, &user.name, now).await?;
        tx.commit().await?;
        Ok(now)
    }

    /// `user`'s unsaved text of article `id`: the version it was written
    /// on, the form's fields, and when.
    pub async fn unsaved(
        &self,
        user: &User,
        id: Id,
    ) -> Result<Option<(i32, Vec<(String, String)>, DateTime<Utc>)>> {
        let Some(a) = self.db().autosave(id, user.id).await? else { return Ok(None) };
        let fields: Vec<(String, String)> = serde_json::from_str(&a.fields).unwrap_or_default();
        Ok(Some((a.base_version, fields, a.saved_at)))
    }

    /// Forgets `user`'s unsaved text of article `id`.
    pub async fn discard_unsaved(&self, user: &User, id: Id) -> Result<()> {
        let mut tx = self.db().begin().await?;
        tx.drop_autosave(id, user.id).await?;
        tx.commit().await?;
        Ok(())
    }
}
