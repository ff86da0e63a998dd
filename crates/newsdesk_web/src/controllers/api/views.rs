//! What the APIs send: response types built from the model, with the names
//! and shapes documented in `docs/API.md`.

use crate::app::{App, Taxonomy};
use chrono::{DateTime, Utc};
use newsdesk_content::{BodyContext, media_url, render_body};
use newsdesk_core::{Article, Block, Byline, Correction, HeadlineSet, Id, Media, Source};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// Which representations of the body a client asked for (`formats=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    /// The structured blocks.
    pub blocks: bool,
    /// Rendered, sanitized HTML.
    pub html: bool,
}

impl Formats {
    /// Parses `formats=blocks,html` (default: both).
    pub fn parse(s: Option<&str>) -> Result<Formats, String> {
        let Some(s) = s.filter(|s| !s.trim().is_empty()) else {
            return Ok(Formats { blocks: true, html: true });
        };
        let mut f = Formats { blocks: false, html: false };
        for part in s.split(',').map(str::trim) {
            match part {
                "blocks" => f.blocks = true,
                "html" => f.html = true,
                "both" => (f.blocks, f.html) = (true, true),
                other => {
                    return Err(format!(
                        "unknown format `{}`: use blocks, html or both",
                        other.chars().take(40).collect::<String>()
                    ));
                }
            }
        }
        Ok(f)
    }
}

/// A section, tag, story or author as other resources name it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiRef {
    /// Id.
    pub id: Id,
    /// Name.
    pub name: String,
    /// Slug.
    pub slug: String,
}

/// A credit line.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiByline {
    /// The name as printed.
    pub name: String,
    /// The author, when the line names one.
    pub author: Option<ApiRef>,
}

/// A placed image.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiFigure {
    /// The media item.
    pub media_id: Id,
    /// The full-size file's absolute URL.
    pub url: Option<String>,
    /// Width in pixels.
    pub width: Option<u32>,
    /// Height in pixels.
    pub height: Option<u32>,
    /// Alternative text.
    pub alt: Option<String>,
    /// Caption.
    pub caption: Option<String>,
    /// Credit.
    pub credit: Option<String>,
}

/// An article.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiArticle {
    /// Id.
    pub id: Id,
    /// Status: `draft`, `review`, `scheduled`, `published`, `unpublished`.
    pub status: &'static str,
    /// Absolute public URL, once published.
    pub url: Option<String>,
    /// Public path, once published.
    pub path: Option<String>,
    /// Slug.
    pub slug: String,
    /// Headline variants.
    pub headlines: HeadlineSet,
    /// Standfirst.
    pub dek: String,
    /// Section.
    pub section: Option<ApiRef>,
    /// Running story.
    pub story: Option<ApiRef>,
    /// Tags, in order.
    pub tags: Vec<ApiRef>,
    /// Credit lines, in order.
    pub bylines: Vec<ApiByline>,
    /// Lead image.
    pub lead: Option<ApiFigure>,
    /// The body's blocks (with `formats=blocks`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Vec<Block>>,
    /// The body as sanitized HTML (with `formats=html`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// Sources.
    pub sources: Vec<Source>,
    /// Corrections, oldest first.
    pub corrections: Vec<Correction>,
    /// Canonical URL, when the article first ran elsewhere.
    pub canonical_url: Option<String>,
    /// First publication.
    pub first_published_at: Option<DateTime<Utc>>,
    /// Last change readers were told of.
    pub updated_at: DateTime<Utc>,
    /// When it is scheduled to go live (Admin API).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Held back until (Admin API).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embargo_until: Option<DateTime<Utc>>,
    /// Version: what the next update must be based on (Admin API).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// A media item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiMedia {
    /// Id.
    pub id: Id,
    /// The full-size file's absolute URL.
    pub url: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Alternative text.
    pub alt: Option<String>,
    /// Caption.
    pub caption: Option<String>,
    /// Credit.
    pub credit: Option<String>,
    /// Rights.
    pub rights: Option<String>,
    /// Whether the picture was made or changed by generative AI.
    pub ai_generated: bool,
    /// Scaled and cropped files.
    pub renditions: Vec<ApiRendition>,
    /// Photographer or maker.
    pub creator: Option<String>,
    /// Focal point across, in thousandths.
    pub focal_x: u16,
    /// Focal point down, in thousandths.
    pub focal_y: u16,
    /// Version: what the next change must be based on.
    pub version: i32,
}

/// One rendition of a media item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiRendition {
    /// Absolute URL.
    pub url: String,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// `image/webp`, `image/jpeg`, …
    pub content_type: &'static str,
}

fn r(id: Id, name: &str, slug: &str) -> ApiRef {
    ApiRef { id, name: name.to_owned(), slug: slug.to_owned() }
}

/// Media ids and linked article ids an article's rendering needs.
pub fn references(a: &Article, media: &mut Vec<Id>, linked: &mut Vec<Id>) {
    media.extend(a.lead.iter().map(|f| f.media_id));
    for b in &a.body {
        match b {
            Block::Figure(f) => media.push(f.media_id),
            Block::Timeline { entries, .. } => {
                linked.extend(entries.iter().filter_map(|e| e.article_id))
            }
            _ => {}
        }
    }
}

/// What rendering a set of articles needs from the store.
pub struct Context<'a> {
    /// The application.
    pub app: &'a App,
    /// Sections, tags, authors and stories.
    pub taxonomy: &'a Taxonomy,
    /// Media items by id.
    pub media: HashMap<Id, Media>,
    /// Linked articles' paths.
    pub paths: HashMap<Id, String>,
    /// Representations asked for.
    pub formats: Formats,
    /// Whether the Admin API asks (workflow fields shown).
    pub admin: bool,
}

impl<'a> Context<'a> {
    /// Loads what `articles` need (two queries at most).
    pub async fn load(
        app: &'a App,
        taxonomy: &'a Taxonomy,
        articles: &[&Article],
        formats: Formats,
        admin: bool,
    ) -> newsdesk_db::Result<Context<'a>> {
        let (mut media_ids, mut linked) = (Vec::new(), Vec::new());
        for a in articles {
            references(a, &mut media_ids, &mut linked);
        }
        let media = if media_ids.is_empty() {
            HashMap::new()
        } else {
            app.db.media_by_ids(&media_ids).await?.into_iter().map(|m| (m.id, m)).collect()
        };
        let paths = if linked.is_empty() || !formats.html {
            HashMap::new()
        } else {
            app.db.article_paths(&linked).await?
        };
        Ok(Context { app, taxonomy, media, paths, formats, admin })
    }

    /// The article as the API shows it.
    pub fn article(&self, a: &Article, version: Option<i32>) -> ApiArticle {
        let t = self.taxonomy;
        let html = self.formats.html.then(|| {
            render_body(
                &a.body,
                &BodyContext {
                    media: &self.media,
                    article_paths: &self.paths,
                    base: &self.app.base_url,
                },
            )
        });
        ApiArticle {
            id: a.id,
            status: a.status.as_str(),
            url: a.path.as_deref().filter(|_| a.status.is_public()).map(|p| self.app.absolute(p)),
            path: a.path.clone(),
            slug: a.slug.clone(),
            headlines: a.headlines.clone(),
            dek: a.dek.clone(),
            section: t.section(a.section_id).map(|s| r(s.id, &s.name, &s.slug)),
            story: a.story_id.and_then(|id| t.stories.get(&id)).map(|s| r(s.id, &s.name, &s.slug)),
            tags: a
                .tags
                .iter()
                .filter_map(|id| t.tags.get(id))
                .map(|x| r(x.id, &x.name, &x.slug))
                .collect(),
            bylines: a
                .bylines
                .iter()
                .map(|b| match b {
                    Byline::Author { author_id } => {
                        let au = t.authors.get(author_id);
                        ApiByline {
                            name: au.map(|x| x.name.clone()).unwrap_or_default(),
                            author: au.map(|x| r(x.id, &x.name, &x.slug)),
                        }
                    }
                    Byline::Credit { text } => ApiByline { name: text.clone(), author: None },
                })
                .collect(),
            lead: a.lead.as_ref().map(|f| {
                let m = self.media.get(&f.media_id);
                ApiFigure {
                    media_id: f.media_id,
                    url: m.map(|m| self.app.absolute(&media_url(&m.file))),
                    width: m.map(|m| m.width),
                    height: m.map(|m| m.height),
                    alt: f.alt(m).map(str::to_owned),
                    caption: f.caption(m).map(str::to_owned),
                    credit: f.credit(m).map(str::to_owned),
                }
            }),
            body: self.formats.blocks.then(|| a.body.clone()),
            html,
            sources: a.sources.clone(),
            corrections: a.corrections.clone(),
            canonical_url: a.canonical_url.clone(),
            first_published_at: a.first_published_at,
            updated_at: a.updated_at,
            scheduled_at: if self.admin { a.scheduled_at } else { None },
            embargo_until: if self.admin { a.embargo_until } else { None },
            version: if self.admin { version } else { None },
        }
    }
}

/// A media item as the API shows it.
pub fn media(app: &App, m: &Media) -> ApiMedia {
    ApiMedia {
        id: m.id,
        url: app.absolute(&media_url(&m.file)),
        width: m.width,
        height: m.height,
        alt: m.alt.clone(),
        caption: m.caption.clone(),
        credit: m.credit.clone(),
        rights: m.rights.clone(),
        ai_generated: m.ai_generated,
        renditions: m
            .renditions
            .iter()
            .map(|x| ApiRendition {
                url: app.absolute(&media_url(&x.file)),
                width: x.width,
                height: x.height,
                content_type: newsdesk_feeds::image_mime(&x.file),
            })
            .collect(),
        creator: m.creator.clone(),
        focal_x: m.focal_x,
        focal_y: m.focal_y,
        version: m.version,
    }
}

/// `{"article": …}`
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleEnvelope {
    /// The article.
    pub article: ApiArticle,
}

/// Where the next page starts.
#[derive(Debug, Serialize, ToSchema)]
pub struct CursorMeta {
    /// The page size.
    pub limit: i64,
    /// Pass as `cursor` (Content API) or `before` (Admin API) for the next
    /// page; `null` on the last page.
    pub next: Option<String>,
}

/// `{"articles": […], "meta": …}`
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleList {
    /// Newest first.
    pub articles: Vec<ApiArticle>,
    /// Paging.
    pub meta: CursorMeta,
}

/// A section with its page's URL.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiSection {
    /// Id.
    pub id: Id,
    /// Name.
    pub name: String,
    /// Slug.
    pub slug: String,
    /// What it covers.
    pub description: String,
    /// Its page.
    pub url: String,
}

/// `{"sections": […]}`
#[derive(Debug, Serialize, ToSchema)]
pub struct SectionList {
    /// In navigation order.
    pub sections: Vec<ApiSection>,
}

/// A tag with its page's URL.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTag {
    /// Id.
    pub id: Id,
    /// Name.
    pub name: String,
    /// Slug.
    pub slug: String,
    /// Its page.
    pub url: String,
}

/// `{"tags": […]}`
#[derive(Debug, Serialize, ToSchema)]
pub struct TagList {
    /// By name.
    pub tags: Vec<ApiTag>,
}

/// `{"stories": […]}`
#[derive(Debug, Serialize, ToSchema)]
pub struct StoryList {
    /// By name.
    pub stories: Vec<ApiRef>,
}

/// An author with their page and portrait.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiAuthor {
    /// Id.
    pub id: Id,
    /// Name.
    pub name: String,
    /// Slug.
    pub slug: String,
    /// Job title.
    pub title: Option<String>,
    /// Biography.
    pub bio: String,
    /// Their page.
    pub url: String,
    /// Portrait.
    pub photo: Option<ApiMedia>,
}

/// `{"authors": […]}`
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorList {
    /// By name.
    pub authors: Vec<ApiAuthor>,
}

/// One search result.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiSearchHit {
    /// Article id.
    pub id: Id,
    /// Absolute URL.
    pub url: String,
    /// Path.
    pub path: String,
    /// Headline.
    pub headline: String,
    /// Standfirst.
    pub dek: String,
    /// First publication.
    pub first_published_at: DateTime<Utc>,
    /// A passage around the words found.
    pub snippet: String,
}

/// Offset paging of search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct OffsetMeta {
    /// Results in all.
    pub total: i64,
    /// Page size.
    pub limit: i64,
    /// Results skipped.
    pub offset: i64,
}

/// `{"results": […], "meta": …}`
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// Best first.
    pub results: Vec<ApiSearchHit>,
    /// Paging.
    pub meta: OffsetMeta,
}

/// `{"media": …}`
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaEnvelope {
    /// The item.
    pub media: ApiMedia,
}

/// An uploaded picture.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadResponse {
    /// The library item.
    pub media: ApiMedia,
    /// Whether the same file was in the library already.
    pub reused: bool,
}

/// The token's user.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiUser {
    /// Id.
    pub id: Id,
    /// Name.
    pub name: String,
    /// Sign-in address.
    pub email: String,
    /// `contributor`, `author`, `editor`, `administrator` or `owner`.
    pub role: &'static str,
    /// The author profile the user writes as.
    pub author_id: Option<Id>,
}

/// The token itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiToken {
    /// Its number.
    pub id: Id,
    /// What it may reach.
    pub scopes: Vec<&'static str>,
}

/// `GET /api/admin/me`
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    /// The user the token acts as.
    pub user: ApiUser,
    /// The token.
    pub token: ApiToken,
}

/// One line of the Admin API's article list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiDeskRow {
    /// Id.
    pub id: Id,
    /// Display headline.
    pub headline: String,
    /// Status.
    pub status: &'static str,
    /// Section id.
    pub section_id: Option<Id>,
    /// Public path, once published.
    pub path: Option<String>,
    /// Last change readers were told of.
    pub updated_at: DateTime<Utc>,
    /// First publication.
    pub first_published_at: Option<DateTime<Utc>>,
    /// When it is scheduled.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Version.
    pub version: i32,
}

/// `{"articles": […], "meta": …}` of the Admin API.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeskList {
    /// Newest first.
    pub articles: Vec<ApiDeskRow>,
    /// Paging (`next` is the `before` of the next page).
    pub meta: CursorMeta,
}

/// One saved version.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiRevision {
    /// Version number.
    pub version: i32,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// Why (`create`, `save`, `publish`, …).
    pub reason: String,
    /// Status after it.
    pub status: String,
    /// A note (a correction, a reason for sending back).
    pub note: String,
}

/// `{"revisions": […]}`
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionList {
    /// Newest first.
    pub revisions: Vec<ApiRevision>,
}
