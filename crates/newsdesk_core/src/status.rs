//! The article workflow: which status may follow which.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where an article stands in the editorial workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArticleStatus {
    /// Being written; never public.
    Draft,
    /// Waiting for an editor's read; never public.
    Review,
    /// Will be published at its scheduled time (also used for embargoes).
    Scheduled,
    /// Public.
    Published,
    /// Was public, taken down; its URL answers 410 rather than 404.
    Unpublished,
}

/// A status change the workflow does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an article cannot go from {from} to {to}")]
pub struct TransitionError {
    /// The status the article has.
    pub from: ArticleStatus,
    /// The status that was asked for.
    pub to: ArticleStatus,
}

impl ArticleStatus {
    /// Every status, in workflow order.
    pub const ALL: [ArticleStatus; 5] = [
        ArticleStatus::Draft,
        ArticleStatus::Review,
        ArticleStatus::Scheduled,
        ArticleStatus::Published,
        ArticleStatus::Unpublished,
    ];

    /// The lowercase name stored in the database and used in APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::Review => "review",
            ArticleStatus::Scheduled => "scheduled",
            ArticleStatus::Published => "published",
            ArticleStatus::Unpublished => "unpublished",
        }
    }

    /// Whether readers can see an article in this status.
    pub fn is_public(self) -> bool {
        self == ArticleStatus::Published
    }

    /// Checks that the workflow allows going from `self` to `to`.
    ///
    /// Staying in the same status is always allowed (a save). Published copy
    /// can only be unpublished (updates keep it published); unpublished copy
    /// goes back to draft or straight back to published.
    pub fn transition(self, to: ArticleStatus) -> Result<ArticleStatus, TransitionError> {
        use ArticleStatus::*;
        let allowed = self == to
            || matches!(
                (self, to),
                (Draft, Review | Scheduled | Published)
                    | (Review, Draft | Scheduled | Published)
                    | (Scheduled, Draft | Review | Published)
                    | (Published, Unpublished)
                    | (Unpublished, Draft | Published)
            );
        if allowed { Ok(to) } else { Err(TransitionError { from: self, to }) }
    }
}

impl fmt::Display for ArticleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ArticleStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ArticleStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown article status `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ArticleStatus::*;

    #[test]
    fn published_copy_cannot_go_back_to_draft_directly() {
        assert_eq!(
            Published.transition(Draft),
            Err(TransitionError { from: Published, to: Draft })
        );
        assert_eq!(Published.transition(Unpublished), Ok(Unpublished));
        assert_eq!(Unpublished.transition(Published), Ok(Published));
    }

    #[test]
    fn every_status_round_trips_through_its_name() {
        for st in ArticleStatus::ALL {
            assert_eq!(st.as_str().parse::<ArticleStatus>(), Ok(st));
            assert_eq!(st.transition(st), Ok(st));
        }
        assert!("live".parse::<ArticleStatus>().is_err());
    }

    #[test]
    fn only_published_is_public() {
        let public: Vec<_> = ArticleStatus::ALL.into_iter().filter(|s| s.is_public()).collect();
        assert_eq!(public, vec![Published]);
    }
}
