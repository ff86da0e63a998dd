//! Articles and the things they point at: media, authors, sections, tags and
//! stories.

use crate::body::{Block, safe_href};

use crate::{ArticleStatus, Id};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The headlines of one story. Only `display` is required; every other
/// variant falls back to it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadlineSet {
    /// The headline on the article page.
    pub display: String,
    /// The headline for search engines (`<title>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seo: Option<String>,
    /// The headline for social previews (`og:title`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub social: Option<String>,
    /// The short headline on cards and rails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teaser: Option<String>,
}

fn non_blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl HeadlineSet {
    /// A set with only the display headline.
    pub fn new(display: impl Into<String>) -> HeadlineSet {
        HeadlineSet { display: display.into(), ..HeadlineSet::default() }
    }

    /// The SEO headline, else the display headline.
    pub fn seo(&self) -> &str {
        non_blank(&self.seo).unwrap_or(&self.display)
    }

    /// The social headline, else the display headline (not the SEO one:
    /// social copy is written for people, not for search engines).
    pub fn social(&self) -> &str {
        non_blank(&self.social).unwrap_or(&self.display)
    }

    /// The teaser headline, else the display headline.
    pub fn teaser(&self) -> &str {
        non_blank(&self.teaser).unwrap_or(&self.display)
    }
}

/// One credit line on an article, in the order shown.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Byline {
    /// A staff member or contributor with an author page.
    Author {
        /// The author's id.
        author_id: Id,
    },
    /// Free text, such as "Staff and wire reports" or "By A. Name, Reuters".
    Credit {
        /// The credit as printed.
        text: String,
    },
}

/// An image placed in an article: a media item plus what this placement says
/// about it. Empty fields fall back to the media item's own.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    /// The media item shown.
    pub media_id: Id,
    /// Describes the picture for people who cannot see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
    /// Tells the story of the picture; shown under it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Who made it and through whom, e.g. "Photographer / Pool via Agency".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
}

impl Figure {
    /// A figure that takes every text from its media item.
    pub fn of(media_id: Id) -> Figure {
        Figure { media_id, alt: None, caption: None, credit: None }
    }

    /// The alt text of this placement, else the media item's.
    pub fn alt<'a>(&'a self, media: Option<&'a Media>) -> Option<&'a str> {
        non_blank(&self.alt).or_else(|| media.and_then(|m| non_blank(&m.alt)))
    }

    /// The caption of this placement, else the media item's.
    pub fn caption<'a>(&'a self, media: Option<&'a Media>) -> Option<&'a str> {
        non_blank(&self.caption).or_else(|| media.and_then(|m| non_blank(&m.caption)))
    }

    /// The credit of this placement, else the media item's.
    pub fn credit<'a>(&'a self, media: Option<&'a Media>) -> Option<&'a str> {
        non_blank(&self.credit).or_else(|| media.and_then(|m| non_blank(&m.credit)))
    }
}

/// What kind of party a source is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A wire service.
    Wire,
    /// A news agency or another outlet.
    Agency,
    /// A government body or official.
    Official,
    /// A press release or statement.
    Press,
    /// The newsroom's own interview.
    Interview,
    /// A source who spoke on condition of anonymity.
    Anonymous,
    /// A document: filing, report, court record.
    Document,
}

impl SourceKind {
    /// The reader-facing label.
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Wire => "Wire service",
            SourceKind::Agency => "News agency",
            SourceKind::Official => "Official",
            SourceKind::Press => "Statement",
            SourceKind::Interview => "Interview",
            SourceKind::Anonymous => "Anonymous source",
            SourceKind::Document => "Document",
        }
    }
}

/// Who reported or said what in an article.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The source's name ("Reuters", "Ministry of Foreign Affairs", "a senior
    /// official").
    pub name: String,
    /// What kind of party it is.
    pub kind: SourceKind,
    /// Where its material can be read, if public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// What the article attributes to it.
    pub attributed: String,
}

/// A public correction note.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    /// When the correction was made.
    pub at: DateTime<Utc>,
    /// What was wrong and what is right now.
    pub text: String,
}

/// One stored size of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendition {
    /// File name relative to the media folder.
    pub file: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The whole picture scaled, or a crop.
    #[serde(default, skip_serializing_if = "RenditionKind::is_scaled")]
    pub kind: RenditionKind,
}

impl Rendition {
    /// Whether the file is WebP (else it is in the original's format).
    pub fn is_webp(&self) -> bool {
        self.file.ends_with(".webp")
    }
}

/// What a rendition shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenditionKind {
    /// The whole picture, smaller.
    #[default]
    Scaled,
    /// A 16:9 crop around the focal point, for cards.
    Card,
    /// A square crop around the focal point, for thumbnails.
    Thumb,
}

impl RenditionKind {
    fn is_scaled(&self) -> bool {
        *self == RenditionKind::Scaled
    }
}

/// The code of an IPTC Digital Source Type value: the last path segment
/// of its URI (`…/digitalsourcetype/trainedAlgorithmicMedia`), or the
/// value itself.
pub fn digital_source_code(value: &str) -> &str {
    value.trim().trim_end_matches('/').rsplit('/').next().unwrap_or_default()
}

/// The centre, in thousandths: the default focal point.
pub const FOCAL_CENTRE: u16 = 500;

fn focal_centre() -> u16 {
    FOCAL_CENTRE
}

/// An item of the media library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Media {
    /// Store id.
    pub id: Id,
    /// The original file, relative to the media folder.
    pub file: String,
    /// Width of the original in pixels.
    pub width: u32,
    /// Height of the original in pixels.
    pub height: u32,
    /// Describes the picture.
    pub alt: Option<String>,
    /// The default caption.
    pub caption: Option<String>,
    /// The default credit line.
    pub credit: Option<String>,
    /// Rights and usage terms ("Pool photo, editorial use only").
    pub rights: Option<String>,
    /// Smaller sizes, narrowest first. May be empty.
    pub renditions: Vec<Rendition>,
    /// The focal point's distance from the left, in thousandths of the
    /// width: crops keep it in view.
    #[serde(default = "focal_centre")]
    pub focal_x: u16,
    /// The focal point's distance from the top, in thousandths of the height.
    #[serde(default = "focal_centre")]
    pub focal_y: u16,
    /// Whether readers are told the picture was made by an algorithm
    /// (from its IPTC digital source type, or marked so by an editor).
    #[serde(default)]
    pub ai_generated: bool,
    /// The IPTC digital source type read from the file, as written there.
    #[serde(default)]
    pub source_type: Option<String>,
    /// The photographer or maker, from the file's metadata.
    #[serde(default)]
    pub creator: Option<String>,
    /// When the picture was taken, as the file's metadata says.
    #[serde(default)]
    pub taken: Option<String>,
    /// The file's name as uploaded (cleaned), for search and display only.
    #[serde(default)]
    pub file_name: String,
    /// Size of the upload in bytes.
    #[serde(default)]
    pub bytes: u64,
    /// SHA-256 of the upload: identical uploads are one item.
    #[serde(default)]
    pub hash: Option<String>,
    /// Key of the untouched upload in the private store (never served).
    #[serde(default)]
    pub original: Option<String>,
    /// Who uploaded it.
    #[serde(default)]
    pub uploaded_by: Option<Id>,
    /// When.
    #[serde(default)]
    pub uploaded_at: Option<DateTime<Utc>>,
    /// Bumped by every change; a stale edit is refused.
    #[serde(default = "first_version")]
    pub version: i32,
}

fn first_version() -> i32 {
    1
}

impl Default for Media {
    fn default() -> Self {
        Media {
            id: 0,
            file: String::new(),
            width: 0,
            height: 0,
            alt: None,
            caption: None,
            credit: None,
            rights: None,
            renditions: Vec::new(),
            focal_x: FOCAL_CENTRE,
            focal_y: FOCAL_CENTRE,
            ai_generated: false,
            source_type: None,
            creator: None,
            taken: None,
            file_name: String::new(),
            bytes: 0,
            hash: None,
            original: None,
            uploaded_by: None,
            uploaded_at: None,
            version: 1,
        }
    }
}

/// A person who writes for the site.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// Store id.
    pub id: Id,
    /// Display name.
    pub name: String,
    /// URL slug of the author page.
    pub slug: String,
    /// Job title, e.g. "Diplomatic correspondent".
    pub title: Option<String>,
    /// Short biography.
    pub bio: String,
    /// Portrait, from the media library.
    pub photo_media_id: Option<Id>,
}

/// A section of the site ("World", "Business").
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// Store id.
    pub id: Id,
    /// Display name.
    pub name: String,
    /// URL slug.
    pub slug: String,
    /// Order in navigation, smallest first.
    pub position: i32,
    /// One-sentence description for the section page and its metadata.
    pub description: String,
}

/// A keyword tag.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Store id.
    pub id: Id,
    /// Display name.
    pub name: String,
    /// URL slug.
    pub slug: String,
}

/// An ongoing story that several articles follow over time (a trial, a
/// season, a negotiation). Related articles and timelines lean on it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Story {
    /// Store id.
    pub id: Id,
    /// The story's name, e.g. "Northern water treaty talks".
    pub name: String,
    /// URL slug.
    pub slug: String,
}

/// A news article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// Store id (`0` before it is stored).
    pub id: Id,
    /// URL slug, unique within its section and day.
    pub slug: String,
    /// The headline variants.
    pub headlines: HeadlineSet,
    /// The standfirst under the headline.
    pub dek: String,
    /// The one section the article belongs to.
    pub section_id: Option<Id>,
    /// The ongoing story it follows, if any.
    pub story_id: Option<Id>,
    /// Tag ids, in the editor's order.
    pub tags: Vec<Id>,
    /// Credit lines, in order.
    pub bylines: Vec<Byline>,
    /// The lead image.
    pub lead: Option<Figure>,
    /// The body.
    pub body: Vec<Block>,
    /// Attributions.
    pub sources: Vec<Source>,
    /// Public corrections, oldest first.
    pub corrections: Vec<Correction>,
    /// Canonical URL when the story first ran elsewhere (syndicated copy).
    pub canonical_url: Option<String>,
    /// Workflow status.
    pub status: ArticleStatus,
    /// Editor-pinned position among the home page's top stories (1 = first).
    pub top_rank: Option<i32>,
    /// When it was first published; never changes afterwards.
    pub first_published_at: Option<DateTime<Utc>>,
    /// When readers were last told it changed.
    pub updated_at: DateTime<Utc>,
    /// Its public path, fixed at first publication (see [`crate::article_path`]).
    pub path: Option<String>,
    /// When a scheduled article goes live (set while it is scheduled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Not to be published before this time (an embargo), now or by a
    /// schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embargo_until: Option<DateTime<Utc>>,
}

/// A reason an article cannot be published (or saved) as it is.
///
/// Each problem names the field at fault ([`Problem::field`]) and has a
/// stable code ([`Problem::code`]), so an editor can point at the field and
/// an API client can act on it; [`fmt::Display`] gives the sentence for
/// people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The display headline is empty.
    NoHeadline,
    /// No byline, not even a credit line.
    NoByline,
    /// The credit byline at this position is blank.
    BlankCredit(usize),
    /// No section chosen.
    NoSection,
    /// The slug is not valid.
    BadSlug(crate::SlugError),
    /// The body has no blocks.
    EmptyBody,
    /// The lead image has no alt text.
    LeadImageWithoutAlt,
    /// The lead image has no credit line.
    LeadImageWithoutCredit,
    /// The lead image points at a media item that does not exist.
    UnknownLeadMedia(Id),
    /// The figure at this body position has no alt text.
    FigureWithoutAlt(usize),
    /// The figure at this body position has no credit line.
    FigureWithoutCredit(usize),
    /// The figure at this body position points at a media item that does
    /// not exist.
    UnknownMedia {
        /// Body position.
        block: usize,
        /// The missing media id.
        media_id: Id,
    },
    /// A link in the body block at this position has a target that is not
    /// allowed.
    UnsafeLink {
        /// Body position.
        block: usize,
        /// The refused target.
        href: String,
    },
    /// The URL of the source at this position is not an http(s) link.
    BadSourceUrl {
        /// Position among the sources.
        index: usize,
        /// The refused URL.
        url: String,
    },
    /// The canonical URL is not an absolute http(s) URL.
    BadCanonicalUrl(String),
    /// A text field is longer than allowed.
    TooLong {
        /// The field.
        field: &'static str,
        /// Its limit in characters.
        max: usize,
    },
    /// A required text field is empty.
    Missing(&'static str),
    /// A section, tag, author, story or media item the article names does
    /// not exist.
    UnknownReference {
        /// The field, e.g. `tags`.
        field: &'static str,
        /// The missing id.
        id: Id,
    },
    /// A media item's file name is not a plain relative path in the media
    /// folder.
    BadMediaPath(String),
    /// A media item's width or height is zero or too large.
    BadImageSize,
    /// A section slug the site's own addresses already use (`admin`,
    /// `tag`, …): the section page could never be reached.
    ReservedSlug(String),
    /// A field's value is not one this field takes (an API key's scopes, a
    /// webhook's address).
    BadValue {
        /// The field.
        field: &'static str,
        /// What is wrong, for people.
        message: String,
    },
}

impl Problem {
    /// A stable, machine-readable code, e.g. `no_byline`.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::NoHeadline => "no_headline",
            Problem::NoByline => "no_byline",
            Problem::BlankCredit(_) => "blank_credit",
            Problem::NoSection => "no_section",
            Problem::BadSlug(_) => "bad_slug",
            Problem::EmptyBody => "empty_body",
            Problem::LeadImageWithoutAlt => "missing_alt",
            Problem::LeadImageWithoutCredit => "missing_credit",
            Problem::UnknownLeadMedia(_) => "unknown_media",
            Problem::FigureWithoutAlt(_) => "missing_alt",
            Problem::FigureWithoutCredit(_) => "missing_credit",
            Problem::UnknownMedia { .. } => "unknown_media",
            Problem::UnsafeLink { .. } => "unsafe_link",
            Problem::BadSourceUrl { .. } => "bad_url",
            Problem::BadCanonicalUrl(_) => "bad_url",
            Problem::TooLong { .. } => "too_long",
            Problem::Missing(_) => "missing",
            Problem::UnknownReference { .. } => "unknown_reference",
            Problem::BadMediaPath(_) => "bad_path",
            Problem::BadImageSize => "bad_size",
            Problem::ReservedSlug(_) => "reserved_slug",
            Problem::BadValue { .. } => "bad_value",
        }
    }

    /// The field at fault, as a path into the article: `headlines.display`,
    /// `slug`, `bylines`, `bylines[1]`, `section_id`, `body`, `body[3]`,
    /// `lead.alt`, `body[3].credit`, `sources[0].url`, `canonical_url`.
    pub fn field(&self) -> String {
        match self {
            Problem::NoHeadline => "headlines.display".into(),
            Problem::NoByline => "bylines".into(),
            Problem::BlankCredit(i) => format!("bylines[{i}]"),
            Problem::NoSection => "section_id".into(),
            Problem::BadSlug(_) => "slug".into(),
            Problem::EmptyBody => "body".into(),
            Problem::LeadImageWithoutAlt => "lead.alt".into(),
            Problem::LeadImageWithoutCredit => "lead.credit".into(),
            Problem::UnknownLeadMedia(_) => "lead.media_id".into(),
            Problem::FigureWithoutAlt(i) => format!("body[{i}].alt"),
            Problem::FigureWithoutCredit(i) => format!("body[{i}].credit"),
            Problem::UnknownMedia { block, .. } => format!("body[{block}].media_id"),
            Problem::UnsafeLink { block, .. } => format!("body[{block}]"),
            Problem::BadSourceUrl { index, .. } => format!("sources[{index}].url"),
            Problem::BadCanonicalUrl(_) => "canonical_url".into(),
            Problem::TooLong { field, .. } => (*field).into(),
            Problem::Missing(field) => (*field).into(),
            Problem::UnknownReference { field, .. } => (*field).into(),
            Problem::BadMediaPath(_) => "file".into(),
            Problem::BadImageSize => "width".into(),
            Problem::ReservedSlug(_) => "slug".into(),
            Problem::BadValue { field, .. } => (*field).into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NoHeadline => f.write_str("the headline is empty"),
            Problem::NoByline => f.write_str("there is no byline: add an author or a credit line"),
            Problem::BlankCredit(_) => f.write_str("a credit line is blank"),
            Problem::NoSection => f.write_str("no section is chosen"),
            Problem::BadSlug(e) => write!(f, "{e}"),
            Problem::EmptyBody => f.write_str("the body is empty"),
            Problem::LeadImageWithoutAlt => f.write_str("the lead image has no alt text"),
            Problem::LeadImageWithoutCredit => f.write_str("the lead image has no credit line"),
            Problem::UnknownLeadMedia(id) => {
                write!(f, "the lead image is media item {id}, which does not exist")
            }
            Problem::FigureWithoutAlt(i) => {
                write!(f, "the figure in body block {} has no alt text", i + 1)
            }
            Problem::FigureWithoutCredit(i) => {
                write!(f, "the figure in body block {} has no credit line", i + 1)
            }
            Problem::UnknownMedia { block, media_id } => write!(
                f,
                "the figure in body block {} is media item {media_id}, which does not exist",
                block + 1
            ),
            Problem::UnsafeLink { href, .. } => write!(f, "the link `{href}` is not allowed"),
            Problem::BadSourceUrl { url, .. } => {
                write!(f, "the source URL `{url}` is not a web link")
            }
            Problem::BadCanonicalUrl(u) => {
                write!(f, "the canonical URL `{u}` is not an absolute web link")
            }
            Problem::TooLong { field, max } => {
                write!(f, "`{field}` is longer than {max} characters")
            }
            Problem::Missing(field) => write!(f, "`{field}` is empty"),
            Problem::UnknownReference { field, id } => {
                write!(f, "`{field}` names {id}, which does not exist")
            }
            Problem::BadMediaPath(p) => {
                write!(f, "the file `{p}` is not a plain path inside the media folder")
            }
            Problem::BadImageSize => {
                f.write_str("the image's width and height must be between 1 and 100000 pixels")
            }
            Problem::ReservedSlug(slug) => {
                write!(f, "the address /{slug} belongs to the site itself: choose another slug")
            }
            Problem::BadValue { message, .. } => f.write_str(message),
        }
    }
}

/// Longest headline (any variant), in characters.
pub const MAX_HEADLINE_CHARS: usize = 400;
/// Longest standfirst, in characters.
pub const MAX_DEK_CHARS: usize = 2_000;
/// Most body blocks an article may have.
pub const MAX_BODY_BLOCKS: usize = 2_000;
/// Longest text of the whole body, in characters (about 40 long reads).
pub const MAX_BODY_CHARS: usize = 1_000_000;

/// Longest name of a section, tag, author or story, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest section description or author title, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1_000;
/// Longest author biography, or media caption, credit or rights line.
pub const MAX_NOTE_CHARS: usize = 5_000;

fn check_len(problems: &mut Vec<Problem>, field: &'static str, text: Option<&str>, max: usize) {
    if text.is_some_and(|t| t.chars().count() > max) {
        problems.push(Problem::TooLong { field, max });
    }
}

fn check_name(problems: &mut Vec<Problem>, name: &str, slug: &str) {
    if name.trim().is_empty() {
        problems.push(Problem::Missing("name"));
    }
    check_len(problems, "name", Some(name), MAX_NAME_CHARS);
    if let Err(e) = crate::validate_slug(slug) {
        problems.push(Problem::BadSlug(e));
    }
}

/// Whether every segment of a media path is a plain file or folder name:
/// no `..`, no hidden files, no absolute paths, separators or encoded
/// tricks. Media files are only ever named by such paths.
pub fn safe_media_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 255
        && path.split('/').all(|seg| {
            !seg.is_empty()
                && !seg.starts_with('.')
                && seg.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
}

/// First path segments the site answers itself; a section named so would
/// be hidden behind them.
pub const RESERVED_SECTION_SLUGS: [&str; 13] = [
    "admin", "api", "assets", "author", "feed", "healthz", "media", "oembed", "search", "sitemaps",
    "stories", "story", "tag",
];

impl Section {
    /// Every reason this section cannot be stored.
    pub fn problems(&self) -> Vec<Problem> {
        let mut p = Vec::new();
        check_name(&mut p, &self.name, &self.slug);
        if RESERVED_SECTION_SLUGS.contains(&self.slug.as_str()) {
            p.push(Problem::ReservedSlug(self.slug.clone()));
        }
        check_len(&mut p, "description", Some(&self.description), MAX_DESCRIPTION_CHARS);
        p
    }
}

impl Tag {
    /// Every reason this tag cannot be stored.
    pub fn problems(&self) -> Vec<Problem> {
        let mut p = Vec::new();
        check_name(&mut p, &self.name, &self.slug);
        p
    }
}

impl Story {
    /// Every reason this story cannot be stored.
    pub fn problems(&self) -> Vec<Problem> {
        let mut p = Vec::new();
        check_name(&mut p, &self.name, &self.slug);
        p
    }
}

impl Author {
    /// Every reason this author cannot be stored.
    pub fn problems(&self) -> Vec<Problem> {
        let mut p = Vec::new();
        check_name(&mut p, &self.name, &self.slug);
        check_len(&mut p, "title", self.title.as_deref(), MAX_DESCRIPTION_CHARS);
        check_len(&mut p, "bio", Some(&self.bio), MAX_NOTE_CHARS);
        p
    }
}

impl Media {
    /// Renditions of `kind`, in WebP or in the original's format,
    /// narrowest first.
    pub fn renditions_of(&self, kind: RenditionKind, webp: bool) -> Vec<&Rendition> {
        let mut v: Vec<&Rendition> =
            self.renditions.iter().filter(|r| r.kind == kind && r.is_webp() == webp).collect();
        v.sort_by_key(|r| r.width);
        v
    }

    /// Every public file of the item: the full-size file and its renditions.
    pub fn all_files(&self) -> Vec<String> {
        std::iter::once(self.file.clone())
            .chain(self.renditions.iter().map(|r| r.file.clone()))
            .collect()
    }

    /// Whether the full-size file readers get is WebP (then every
    /// rendition is too).
    pub fn is_webp(&self) -> bool {
        self.file.ends_with(".webp")
    }

    /// Renditions of `kind` in the format of the full-size file (what an
    /// `<img>` offers; WebP ones go in a `<source>` unless that format is
    /// WebP already), narrowest first.
    pub fn fallback_renditions(&self, kind: RenditionKind) -> Vec<&Rendition> {
        self.renditions_of(kind, self.is_webp())
    }

    /// WebP renditions of `kind` for a `<picture>`'s `<source>`: none when
    /// the full-size file is WebP itself.
    pub fn webp_renditions(&self, kind: RenditionKind) -> Vec<&Rendition> {
        if self.is_webp() { Vec::new() } else { self.renditions_of(kind, true) }
    }

    /// The file to show about `width` pixels wide, in the original's
    /// format: the narrowest scaled rendition at least that wide, else the
    /// original's full-size file. `(file, width, height)`.
    pub fn sized(&self, width: u32) -> (&str, u32, u32) {
        self.fallback_renditions(RenditionKind::Scaled)
            .into_iter()
            .find(|r| r.width >= width && r.width < self.width)
            .map_or((self.file.as_str(), self.width, self.height), |r| {
                (r.file.as_str(), r.width, r.height)
            })
    }

    /// Every reason this media item cannot be stored: a file path that could
    /// leave the media folder, an impossible size, oversized text.
    pub fn problems(&self) -> Vec<Problem> {
        let mut p = Vec::new();
        for path in std::iter::once(&self.file).chain(self.renditions.iter().map(|r| &r.file)) {
            if !safe_media_path(path) {
                p.push(Problem::BadMediaPath(path.clone()));
            }
        }
        let ok = |w: u32, h: u32| (1..=100_000).contains(&w) && (1..=100_000).contains(&h);
        if !ok(self.width, self.height) || self.renditions.iter().any(|r| !ok(r.width, r.height)) {
            p.push(Problem::BadImageSize);
        }
        check_len(&mut p, "alt", self.alt.as_deref(), MAX_DESCRIPTION_CHARS);
        check_len(&mut p, "caption", self.caption.as_deref(), MAX_NOTE_CHARS);
        check_len(&mut p, "credit", self.credit.as_deref(), MAX_DESCRIPTION_CHARS);
        check_len(&mut p, "rights", self.rights.as_deref(), MAX_NOTE_CHARS);
        p
    }
}

/// Whether `u` is an absolute http(s) URL that is safe to link to.
pub fn is_web_url(u: &str) -> bool {
    safe_href(u).is_some_and(|h| h.starts_with("http://") || h.starts_with("https://"))
}

impl Article {
    /// The authors its bylines name, in order (credits left out).
    pub fn author_ids(&self) -> Vec<Id> {
        self.bylines
            .iter()
            .filter_map(|b| match b {
                Byline::Author { author_id } => Some(*author_id),
                Byline::Credit { .. } => None,
            })
            .collect()
    }

    /// A draft with only a headline; the rest empty.
    pub fn draft(headline: impl Into<String>, now: DateTime<Utc>) -> Article {
        let headlines = HeadlineSet::new(headline);
        Article {
            id: 0,
            slug: crate::slugify(&headlines.display),
            headlines,
            dek: String::new(),
            section_id: None,
            story_id: None,
            tags: Vec::new(),
            bylines: Vec::new(),
            lead: None,
            body: Vec::new(),
            sources: Vec::new(),
            corrections: Vec::new(),
            canonical_url: None,
            status: ArticleStatus::Draft,
            top_rank: None,
            first_published_at: None,
            updated_at: now,
            path: None,
            scheduled_at: None,
            embargo_until: None,
        }
    }

    /// Every reason this article cannot be published, in page order; empty
    /// when it can. `media` looks up media items by id. Includes every
    /// reason it cannot be saved ([`Article::savable`]).
    pub fn publishable<'m>(&self, media: impl Fn(Id) -> Option<&'m Media>) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.headlines.display.trim().is_empty() {
            problems.push(Problem::NoHeadline);
        }
        if let Err(e) = crate::validate_slug(&self.slug) {
            problems.push(Problem::BadSlug(e));
        }
        if self.bylines.is_empty() {
            problems.push(Problem::NoByline);
        }
        for (i, b) in self.bylines.iter().enumerate() {
            if matches!(b, Byline::Credit { text } if text.trim().is_empty()) {
                problems.push(Problem::BlankCredit(i));
            }
        }
        if self.section_id.is_none() {
            problems.push(Problem::NoSection);
        }
        if let Some(lead) = &self.lead {
            let m = media(lead.media_id);
            if m.is_none() {
                problems.push(Problem::UnknownLeadMedia(lead.media_id));
            }
            if lead.alt(m).is_none() {
                problems.push(Problem::LeadImageWithoutAlt);
            }
            if lead.credit(m).is_none() {
                problems.push(Problem::LeadImageWithoutCredit);
            }
        }
        if self.body.is_empty() {
            problems.push(Problem::EmptyBody);
        }
        for (i, block) in self.body.iter().enumerate() {
            if let Block::Figure(fig) = block {
                let m = media(fig.media_id);
                if m.is_none() {
                    problems.push(Problem::UnknownMedia { block: i, media_id: fig.media_id });
                }
                if fig.alt(m).is_none() {
                    problems.push(Problem::FigureWithoutAlt(i));
                }
                if fig.credit(m).is_none() {
                    problems.push(Problem::FigureWithoutCredit(i));
                }
            }
            for href in block.links() {
                if safe_href(href).is_none() {
                    problems.push(Problem::UnsafeLink { block: i, href: href.to_owned() });
                }
            }
        }
        for (index, s) in self.sources.iter().enumerate() {
            if let Some(u) = &s.url
                && !is_web_url(u)
            {
                problems.push(Problem::BadSourceUrl { index, url: u.clone() });
            }
        }
        if let Some(u) = &self.canonical_url
            && !is_web_url(u)
        {
            problems.push(Problem::BadCanonicalUrl(u.clone()));
        }
        problems.extend(self.size_problems());
        problems
    }

    /// Every reason this article cannot even be stored as a draft: fields
    /// past their size limits, and a slug that is not empty but not valid
    /// either. Drafts may be incomplete in every other way.
    pub fn savable(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        if !self.slug.is_empty()
            && let Err(e) = crate::validate_slug(&self.slug)
        {
            problems.push(Problem::BadSlug(e));
        }
        problems.extend(self.size_problems());
        problems
    }

    fn size_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let too_long = |text: &str, max: usize| text.chars().count() > max;
        let h = &self.headlines;
        for (field, text) in [
            ("headlines.display", Some(&h.display)),
            ("headlines.seo", h.seo.as_ref()),
            ("headlines.social", h.social.as_ref()),
            ("headlines.teaser", h.teaser.as_ref()),
        ] {
            if text.is_some_and(|t| too_long(t, MAX_HEADLINE_CHARS)) {
                problems.push(Problem::TooLong { field, max: MAX_HEADLINE_CHARS });
            }
        }
        if too_long(&self.dek, MAX_DEK_CHARS) {
            problems.push(Problem::TooLong { field: "dek", max: MAX_DEK_CHARS });
        }
        if self.body.len() > MAX_BODY_BLOCKS {
            problems.push(Problem::TooLong { field: "body", max: MAX_BODY_BLOCKS });
        } else {
            let mut text = String::new();
            for b in &self.body {
                b.push_plain_text(&mut text);
            }
            if too_long(&text, MAX_BODY_CHARS) {
                problems.push(Problem::TooLong { field: "body", max: MAX_BODY_CHARS });
            }
        }
        problems
    }

    /// The article's readable text: dek and body, for search and similarity.
    pub fn plain_text(&self) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str(&self.dek);
        out.push_str("\n\n");
        for b in &self.body {
            b.push_plain_text(&mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webp_original_offers_its_webp_sizes_as_the_fallback() {
        let r = |file: &str, width: u32, kind: RenditionKind| Rendition {
            file: file.into(),
            width,
            height: width / 2,
            kind,
        };
        let m = Media {
            file: "lib/ab/x/full.webp".into(),
            width: 2000,
            height: 1000,
            renditions: vec![
                r("lib/ab/x/w640.webp", 640, RenditionKind::Scaled),
                r("lib/ab/x/w1280.webp", 1280, RenditionKind::Scaled),
                r("lib/ab/x/card400.webp", 400, RenditionKind::Card),
            ],
            ..Media::default()
        };
        assert_eq!(m.sized(1200).0, "lib/ab/x/w1280.webp");
        assert_eq!(m.fallback_renditions(RenditionKind::Card).len(), 1);
        assert!(
            m.webp_renditions(RenditionKind::Scaled).is_empty(),
            "no <source> repeating the <img>"
        );
        let jpeg = Media { file: "lib/ab/x/full.jpg".into(), ..m.clone() };
        assert_eq!(jpeg.sized(1200).0, "lib/ab/x/full.jpg", "no JPEG sizes: the full file");
        assert_eq!(jpeg.webp_renditions(RenditionKind::Scaled).len(), 2);
    }
    use crate::Inline;

    fn photo(id: Id, alt: Option<&str>, credit: Option<&str>) -> Media {
        Media {
            id,
            file: format!("{id}.jpg"),
            width: 1200,
            height: 675,
            alt: alt.map(Into::into),
            caption: Some("A caption".into()),
            credit: credit.map(Into::into),
            rights: None,
            renditions: vec![],
            ..Media::default()
        }
    }

    fn ready() -> Article {
        let mut a = Article::draft("Talks resume in Geneva", Utc::now());
        a.section_id = Some(1);
        a.bylines = vec![Byline::Credit { text: "Staff and wire reports".into() }];
        a.body = vec![Block::paragraph("Negotiators met on Monday.")];
        a
    }

    #[test]
    fn a_complete_article_is_publishable() {
        let lib = [photo(7, Some("Two delegates shake hands"), Some("A. Photographer / Pool"))];
        let mut a = ready();
        a.lead = Some(Figure::of(7));
        assert_eq!(a.publishable(|id| lib.iter().find(|m| m.id == id)), vec![]);
    }

    #[test]
    fn an_empty_draft_lists_every_problem() {
        let mut a = Article::draft("   ", Utc::now());
        a.slug = "Bad Slug".into();
        let problems = a.publishable(|_| None);
        assert_eq!(
            problems,
            vec![
                Problem::NoHeadline,
                Problem::BadSlug(crate::SlugError::BadCharacters("Bad Slug".into())),
                Problem::NoByline,
                Problem::NoSection,
                Problem::EmptyBody,
            ]
        );
        assert_eq!(problems[2].to_string(), "there is no byline: add an author or a credit line");
    }

    #[test]
    fn images_need_alt_and_credit_from_placement_or_library() {
        let lib = [photo(1, None, None), photo(2, Some("Library alt"), Some("Library credit"))];
        let lookup = |id| lib.iter().find(|m: &&Media| m.id == id);
        let mut a = ready();
        a.lead = Some(Figure::of(1));
        a.body.push(Block::Figure(Figure::of(1)));
        a.body.push(Block::Figure(Figure::of(2)));
        a.body.push(Block::Figure(Figure {
            alt: Some("Placement alt".into()),
            credit: Some("Placement credit".into()),
            ..Figure::of(1)
        }));
        a.body.push(Block::Figure(Figure::of(99)));
        assert_eq!(
            a.publishable(lookup),
            vec![
                Problem::LeadImageWithoutAlt,
                Problem::LeadImageWithoutCredit,
                Problem::FigureWithoutAlt(1),
                Problem::FigureWithoutCredit(1),
                Problem::UnknownMedia { block: 4, media_id: 99 },
                Problem::FigureWithoutAlt(4),
                Problem::FigureWithoutCredit(4),
            ]
        );
    }

    #[test]
    fn hostile_links_and_urls_block_publication() {
        let mut a = ready();
        a.body.push(Block::Paragraph { content: vec![Inline::link("javascript:alert(1)", "x")] });
        a.sources.push(Source {
            name: "Wire".into(),
            kind: SourceKind::Wire,
            url: Some("data:text/html,x".into()),
            attributed: "the quote".into(),
        });
        a.canonical_url = Some("/relative".into());
        a.bylines.push(Byline::Credit { text: " ".into() });
        assert_eq!(
            a.publishable(|_| None),
            vec![
                Problem::BlankCredit(1),
                Problem::UnsafeLink { block: 1, href: "javascript:alert(1)".into() },
                Problem::BadSourceUrl { index: 0, url: "data:text/html,x".into() },
                Problem::BadCanonicalUrl("/relative".into()),
            ]
        );
    }

    #[test]
    fn a_section_cannot_take_an_address_the_site_answers_itself() {
        let section = |slug: &str| Section {
            id: 0,
            name: "Anything".into(),
            slug: slug.into(),
            position: 0,
            description: String::new(),
        };
        for slug in RESERVED_SECTION_SLUGS {
            let p = section(slug).problems();
            assert_eq!(p, vec![Problem::ReservedSlug(slug.into())], "{slug}");
            assert_eq!((p[0].field(), p[0].code()), ("slug".into(), "reserved_slug"));
        }
        assert!(section("tags-and-trends").problems().is_empty());
        assert!(section("world").problems().is_empty());
    }

    #[test]
    fn problems_name_their_field_and_a_stable_code() {
        let mut a = ready();
        a.body.push(Block::Figure(Figure::of(5)));
        a.sources.push(Source {
            name: "Wire".into(),
            kind: SourceKind::Wire,
            url: Some("javascript:x".into()),
            attributed: "x".into(),
        });
        let named: Vec<(String, &str)> =
            a.publishable(|_| None).iter().map(|p| (p.field(), p.code())).collect();
        assert_eq!(
            named,
            vec![
                ("body[1].media_id".to_owned(), "unknown_media"),
                ("body[1].alt".to_owned(), "missing_alt"),
                ("body[1].credit".to_owned(), "missing_credit"),
                ("sources[0].url".to_owned(), "bad_url"),
            ]
        );
    }

    #[test]
    fn drafts_may_be_incomplete_but_not_oversized() {
        let mut a = Article::draft("", Utc::now());
        a.slug = String::new();
        assert_eq!(a.savable(), vec![], "an empty draft can be saved");
        a.slug = "Not A Slug".into();
        a.dek = "x".repeat(MAX_DEK_CHARS + 1);
        a.headlines.seo = Some("y".repeat(MAX_HEADLINE_CHARS + 1));
        let problems = a.savable();
        assert_eq!(
            problems.iter().map(Problem::field).collect::<Vec<_>>(),
            vec!["slug", "headlines.seo", "dek"]
        );
        assert_eq!(problems[2].to_string(), "`dek` is longer than 2000 characters");
        a.slug = "fine".into();
        a.dek.clear();
        a.headlines.seo = None;
        a.body = vec![Block::paragraph("z".repeat(MAX_BODY_CHARS + 1))];
        assert_eq!(a.savable(), vec![Problem::TooLong { field: "body", max: MAX_BODY_CHARS }]);
    }

    #[test]
    fn media_and_taxonomy_are_checked_before_they_are_stored() {
        let mut m = photo(1, Some("alt"), Some("credit"));
        assert_eq!(m.problems(), vec![]);
        m.file = "../../etc/passwd".into();
        m.width = 0;
        assert_eq!(
            m.problems(),
            vec![Problem::BadMediaPath("../../etc/passwd".into()), Problem::BadImageSize]
        );
        for bad in ["/abs.jpg", "a//b.jpg", ".hidden", "a\\b.jpg", "x%2e.jpg", ""] {
            assert!(!safe_media_path(bad), "{bad}");
        }
        let t = Tag { id: 0, name: " ".into(), slug: "ok".into() };
        assert_eq!(t.problems(), vec![Problem::Missing("name")]);
        let s = Section {
            id: 0,
            name: "n".repeat(MAX_NAME_CHARS + 1),
            slug: "Bad".into(),
            position: 1,
            description: String::new(),
        };
        assert_eq!(
            s.problems().iter().map(Problem::code).collect::<Vec<_>>(),
            vec!["too_long", "bad_slug"]
        );
    }

    #[test]
    fn headline_variants_fall_back_to_display() {
        let mut h = HeadlineSet::new("Display");
        assert_eq!((h.seo(), h.social(), h.teaser()), ("Display", "Display", "Display"));
        h.seo = Some("SEO".into());
        h.social = Some("  ".into());
        h.teaser = Some("Teaser".into());
        assert_eq!((h.seo(), h.social(), h.teaser()), ("SEO", "Display", "Teaser"));
    }
}
