//! Newsdesk's content model: articles, their parts, and the rules that say
//! when an article may be published.
//!
//! Everything here is plain data and pure functions. No database, no HTTP, no
//! async runtime: the store, the renderer and the web layer build on these
//! types. Ids are the store's integer keys (`i64`); a value that has not been
//! stored yet carries id `0`.

mod actor;
mod article;
mod body;
mod merge;
mod slug;
mod status;

pub use actor::{Action, Actor, ActorKind, Denied, Role, authorize, authorize_article, role_may};
pub use article::{
    Article, Author, Byline, Correction, FOCAL_CENTRE, Figure, HeadlineSet, MAX_BODY_BLOCKS,
    MAX_BODY_CHARS, MAX_DEK_CHARS, MAX_DESCRIPTION_CHARS, MAX_HEADLINE_CHARS, MAX_NAME_CHARS,
    MAX_NOTE_CHARS, Media, Problem, RESERVED_SECTION_SLUGS, Rendition, RenditionKind, Section,
    Source, SourceKind, Story, Tag, digital_source_code, is_web_url, safe_media_path,
};
pub use body::{Block, Inline, TimelineEntry, safe_href};
pub use merge::{MergeConflict, merge_preferring_mine, three_way};
pub use slug::{MAX_SLUG_LEN, SlugError, article_path, slugify, validate_slug};
pub use status::{ArticleStatus, TransitionError};

/// The key of a stored row. `0` means "not stored yet".
pub type Id = i64;
