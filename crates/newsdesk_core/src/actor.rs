//! Who acts, and what they may do.
//!
//! Every use case of the application layer takes an [`Actor`] and asks
//! [`authorize`] before it changes anything. System jobs and operators at
//! the command line may do everything, read-only actors (an API key, say)
//! nothing, and signed-in users what their [`Role`] allows, decided by one
//! table: [`role_may`].

use crate::{Article, ArticleStatus, Id};
use std::fmt;

/// Who performs a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// What kind of actor.
    pub kind: ActorKind,
    /// The acting user's id, when a signed-in user acts.
    pub user_id: Option<Id>,
    /// The author profile the user writes as: articles with this author in
    /// their bylines are the user's own.
    pub author_id: Option<Id>,
    /// The name shown in revisions and the audit log.
    pub name: String,
}

/// The kinds of actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    /// Newsdesk itself: scheduled publishing, jobs, the demo seeder,
    /// importers.
    System,
    /// An operator at the command line (`newsdesk article publish …`).
    Operator,
    /// A client that may read but never write.
    ReadOnly,
    /// A signed-in user with a role.
    User(Role),
}

/// What a user may do in the newsroom, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Writes drafts of their own and submits them for review; cannot
    /// publish.
    Contributor,
    /// Also publishes, unpublishes and corrects their own articles.
    Author,
    /// Every article: edit, publish, schedule, unpublish, correct; changes
    /// a published article's address.
    Editor,
    /// Also users (below administrator), sections, tags, authors, stories,
    /// settings, the audit log and maintenance.
    Administrator,
    /// Also administrators. The first account; cannot be removed.
    Owner,
}

impl Role {
    /// Every role, least first.
    pub const ALL: [Role; 5] =
        [Role::Contributor, Role::Author, Role::Editor, Role::Administrator, Role::Owner];

    /// The name stored and typed (`contributor`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Contributor => "contributor",
            Role::Author => "author",
            Role::Editor => "editor",
            Role::Administrator => "administrator",
            Role::Owner => "owner",
        }
    }

    /// The role named `s`.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Actor {
    /// Newsdesk itself, doing `what` ("scheduler", "demo", "import").
    pub fn system(what: &str) -> Actor {
        Actor {
            kind: ActorKind::System,
            user_id: None,
            author_id: None,
            name: format!("system: {what}"),
        }
    }

    /// An operator at the command line, named after the OS user when known.
    pub fn operator(name: &str) -> Actor {
        Actor {
            kind: ActorKind::Operator,
            user_id: None,
            author_id: None,
            name: format!("operator: {name}"),
        }
    }

    /// A client that may only read.
    pub fn read_only(name: &str) -> Actor {
        Actor { kind: ActorKind::ReadOnly, user_id: None, author_id: None, name: name.to_owned() }
    }

    /// A signed-in user.
    pub fn user(user_id: Id, name: &str, role: Role, author_id: Option<Id>) -> Actor {
        Actor {
            kind: ActorKind::User(role),
            user_id: Some(user_id),
            author_id,
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// What an actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create a draft.
    CreateArticle,
    /// Change what an article says.
    EditArticle,
    /// Send an article to review.
    SubmitArticle,
    /// Make an article public, now or at a set time.
    PublishArticle,
    /// Take an article down.
    UnpublishArticle,
    /// Append a public correction.
    CorrectArticle,
    /// Change sections, tags, authors or stories.
    EditTaxonomy,
    /// Add or change media items.
    EditMedia,
    /// Rebuild derived data, run jobs.
    Maintain,
    /// Change the address of an article already published.
    ChangePublishedSlug,
    /// Add, change or disable contributors, authors and editors.
    ManageUsers,
    /// Add, change or disable administrators.
    ManageAdministrators,
    /// Change the site's settings.
    EditSettings,
    /// Read the audit log.
    ReadAuditLog,
    /// Delete a draft that was never published.
    DeleteArticle,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 15] = [
        Action::CreateArticle,
        Action::EditArticle,
        Action::SubmitArticle,
        Action::PublishArticle,
        Action::UnpublishArticle,
        Action::CorrectArticle,
        Action::EditTaxonomy,
        Action::EditMedia,
        Action::Maintain,
        Action::ChangePublishedSlug,
        Action::ManageUsers,
        Action::ManageAdministrators,
        Action::EditSettings,
        Action::ReadAuditLog,
        Action::DeleteArticle,
    ];
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::CreateArticle => "create articles",
            Action::EditArticle => "edit this article",
            Action::SubmitArticle => "submit this article",
            Action::PublishArticle => "publish this article",
            Action::UnpublishArticle => "unpublish this article",
            Action::CorrectArticle => "correct this article",
            Action::EditTaxonomy => "change sections, tags, authors or stories",
            Action::EditMedia => "change the media library",
            Action::Maintain => "run maintenance",
            Action::ChangePublishedSlug => "change the address of a published article",
            Action::ManageUsers => "manage users",
            Action::ManageAdministrators => "manage administrators",
            Action::EditSettings => "change the site's settings",
            Action::ReadAuditLog => "read the audit log",
            Action::DeleteArticle => "delete this draft",
        })
    }
}

/// An action the actor may not take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{actor} may not {action}")]
pub struct Denied {
    /// Who asked.
    pub actor: String,
    /// What for.
    pub action: Action,
}

/// Whether a user with `role` may take `action`; `own` when the article
/// concerned is theirs (their author profile is in its bylines). The whole
/// permission table of the newsroom.
pub fn role_may(role: Role, action: Action, own: bool) -> bool {
    use Action as A;
    use Role as R;
    match action {
        A::CreateArticle => true,
        A::EditArticle | A::SubmitArticle | A::DeleteArticle => own || role >= R::Editor,
        A::PublishArticle | A::UnpublishArticle | A::CorrectArticle => {
            (own && role >= R::Author) || role >= R::Editor
        }
        // Pictures are part of writing: everyone adds and describes them.
        A::EditMedia => true,
        A::ChangePublishedSlug => role >= R::Editor,
        A::EditTaxonomy | A::ManageUsers | A::EditSettings | A::ReadAuditLog | A::Maintain => {
            role >= R::Administrator
        }
        A::ManageAdministrators => role >= R::Owner,
    }
}

/// Decides whether `actor` may take `action`; the one place every use case
/// asks. `bylines` are the author ids of the article concerned (empty for
/// actions on no article).
pub fn authorize(actor: &Actor, action: Action, bylines: &[Id]) -> Result<(), Denied> {
    let allowed = match actor.kind {
        ActorKind::System | ActorKind::Operator => true,
        ActorKind::ReadOnly => false,
        ActorKind::User(role) => {
            let own = actor.author_id.is_some_and(|me| bylines.contains(&me));
            role_may(role, action, own)
        }
    };
    if allowed { Ok(()) } else { Err(Denied { actor: actor.name.clone(), action }) }
}

/// [`authorize`] for `action` on `article`: ownership from its bylines,
/// and a contributor touches only drafts and articles in review; what is
/// scheduled or live changes through an author or an editor.
pub fn authorize_article(actor: &Actor, action: Action, article: &Article) -> Result<(), Denied> {
    authorize(actor, action, &article.author_ids())?;
    if let ActorKind::User(role) = actor.kind
        && role < Role::Author
        && matches!(action, Action::EditArticle | Action::SubmitArticle)
        && !matches!(article.status, ArticleStatus::Draft | ArticleStatus::Review)
    {
        return Err(Denied { actor: actor.name.clone(), action });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Byline;

    #[test]
    fn every_actor_kind_against_every_action() {
        for (actor, allowed) in [
            (Actor::system("scheduler"), true),
            (Actor::operator("root"), true),
            (Actor::read_only("content key"), false),
        ] {
            for action in Action::ALL {
                assert_eq!(authorize(&actor, action, &[]).is_ok(), allowed, "{actor} {action}");
            }
        }
        let denied = authorize(&Actor::read_only("key 3"), Action::PublishArticle, &[4]);
        assert_eq!(
            denied.map_err(|e| e.to_string()),
            Err("key 3 may not publish this article".into())
        );
    }

    /// Every cell of the table: role × action × own/other, written out so
    /// that a change to the rules shows up here as a changed line.
    #[test]
    fn the_permission_table_cell_by_cell() {
        use Action as A;
        // Columns: contributor, author, editor, administrator, owner;
        // each cell "own/other" (Y = allowed, n = refused).
        let table: [(Action, [&str; 5]); 15] = [
            (A::CreateArticle, ["Y/Y", "Y/Y", "Y/Y", "Y/Y", "Y/Y"]),
            (A::EditArticle, ["Y/n", "Y/n", "Y/Y", "Y/Y", "Y/Y"]),
            (A::SubmitArticle, ["Y/n", "Y/n", "Y/Y", "Y/Y", "Y/Y"]),
            (A::PublishArticle, ["n/n", "Y/n", "Y/Y", "Y/Y", "Y/Y"]),
            (A::UnpublishArticle, ["n/n", "Y/n", "Y/Y", "Y/Y", "Y/Y"]),
            (A::CorrectArticle, ["n/n", "Y/n", "Y/Y", "Y/Y", "Y/Y"]),
            (A::EditMedia, ["Y/Y", "Y/Y", "Y/Y", "Y/Y", "Y/Y"]),
            (A::ChangePublishedSlug, ["n/n", "n/n", "Y/Y", "Y/Y", "Y/Y"]),
            (A::EditTaxonomy, ["n/n", "n/n", "n/n", "Y/Y", "Y/Y"]),
            (A::ManageUsers, ["n/n", "n/n", "n/n", "Y/Y", "Y/Y"]),
            (A::EditSettings, ["n/n", "n/n", "n/n", "Y/Y", "Y/Y"]),
            (A::ReadAuditLog, ["n/n", "n/n", "n/n", "Y/Y", "Y/Y"]),
            (A::Maintain, ["n/n", "n/n", "n/n", "Y/Y", "Y/Y"]),
            (A::ManageAdministrators, ["n/n", "n/n", "n/n", "n/n", "Y/Y"]),
            (A::DeleteArticle, ["Y/n", "Y/n", "Y/Y", "Y/Y", "Y/Y"]),
        ];
        assert_eq!(table.len(), Action::ALL.len(), "every action has a row");
        for (action, cells) in table {
            for (role, cell) in Role::ALL.into_iter().zip(cells) {
                let (own, other) = cell.split_once('/').unwrap_or(("?", "?"));
                assert_eq!(role_may(role, action, true), own == "Y", "{role} {action} own");
                assert_eq!(role_may(role, action, false), other == "Y", "{role} {action} other");
            }
        }
    }

    #[test]
    fn ownership_comes_from_the_bylines() {
        let writer = Actor::user(7, "Ana", Role::Author, Some(30));
        assert!(authorize(&writer, Action::PublishArticle, &[12, 30]).is_ok(), "co-bylined");
        assert!(authorize(&writer, Action::PublishArticle, &[12]).is_err(), "someone else's");
        let unlinked = Actor::user(8, "Bo", Role::Author, None);
        assert!(authorize(&unlinked, Action::PublishArticle, &[12]).is_err());
        assert!(authorize(&unlinked, Action::CreateArticle, &[]).is_ok());
    }

    #[test]
    fn a_contributor_touches_only_drafts_and_articles_in_review() {
        let me = Actor::user(3, "Cy", Role::Contributor, Some(30));
        let author = Actor::user(4, "Di", Role::Author, Some(30));
        let mut a = Article::draft("Harbour strike", chrono::DateTime::UNIX_EPOCH);
        a.bylines = vec![Byline::Author { author_id: 30 }];
        for (status, contributor_may) in [
            (ArticleStatus::Draft, true),
            (ArticleStatus::Review, true),
            (ArticleStatus::Scheduled, false),
            (ArticleStatus::Published, false),
            (ArticleStatus::Unpublished, false),
        ] {
            a.status = status;
            for action in [Action::EditArticle, Action::SubmitArticle] {
                let ok = authorize_article(&me, action, &a).is_ok();
                assert_eq!(ok, contributor_may, "{status:?} {action}");
                assert!(authorize_article(&author, action, &a).is_ok(), "{status:?} {action}");
            }
        }
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
