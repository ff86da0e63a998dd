//! Who acts, and what they may do.
//!
//! Every use case of the application layer takes an [`Actor`] and asks
//! [`authorize`] before it changes anything. Roles (contributor, author,
//! editor, administrator, owner) arrive with the back office; today the
//! table knows system jobs, operators at the command line, and read-only
//! actors (an API key, say), which may change nothing.

use crate::Id;
use std::fmt;

/// Who performs a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// What kind of actor.
    pub kind: ActorKind,
    /// The acting user's id, when a signed-in user acts.
    pub user_id: Option<Id>,
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
}

impl Actor {
    /// Newsdesk itself, doing `what` ("scheduler", "demo", "import").
    pub fn system(what: &str) -> Actor {
        Actor { kind: ActorKind::System, user_id: None, name: format!("system: {what}") }
    }

    /// An operator at the command line, named after the OS user when known.
    pub fn operator(name: &str) -> Actor {
        Actor { kind: ActorKind::Operator, user_id: None, name: format!("operator: {name}") }
    }

    /// A client that may only read.
    pub fn read_only(name: &str) -> Actor {
        Actor { kind: ActorKind::ReadOnly, user_id: None, name: name.to_owned() }
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

/// Decides whether `actor` may take `action`; the one place every use case
/// asks. `owner` is the author of the article concerned, when there is one
/// (roles such as "author publishes own" will look at it).
pub fn authorize(actor: &Actor, action: Action, owner: Option<Id>) -> Result<(), Denied> {
    let _ = owner;
    let allowed = match actor.kind {
        ActorKind::System | ActorKind::Operator => true,
        ActorKind::ReadOnly => false,
    };
    if allowed { Ok(()) } else { Err(Denied { actor: actor.name.clone(), action }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Action; 9] = [
        Action::CreateArticle,
        Action::EditArticle,
        Action::SubmitArticle,
        Action::PublishArticle,
        Action::UnpublishArticle,
        Action::CorrectArticle,
        Action::EditTaxonomy,
        Action::EditMedia,
        Action::Maintain,
    ];

    #[test]
    fn every_actor_kind_against_every_action() {
        for (actor, allowed) in [
            (Actor::system("scheduler"), true),
            (Actor::operator("root"), true),
            (Actor::read_only("content key"), false),
        ] {
            for action in ALL {
                assert_eq!(authorize(&actor, action, None).is_ok(), allowed, "{actor} {action}");
            }
        }
        let denied = authorize(&Actor::read_only("key 3"), Action::PublishArticle, Some(4));
        assert_eq!(
            denied.map_err(|e| e.to_string()),
            Err("key 3 may not publish this article".into())
        );
    }
}
