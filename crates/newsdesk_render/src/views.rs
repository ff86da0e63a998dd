//! The data every template receives. Built by the web layer from the store;
//! HTML fragments in `*_html` fields are already escaped and safe.

use serde::Serialize;

/// Site-wide values every page needs.
#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    /// Publication name.
    pub title: String,
    /// One-sentence description.
    pub description: String,
    /// Public base URL, no trailing slash.
    pub base_url: String,
    /// Content language (BCP 47).
    pub language: String,
    /// Navigation: the sections in order.
    pub sections: Vec<Link>,
    /// URL of the fingerprinted stylesheet.
    pub stylesheet_url: String,
    /// URL of the fingerprinted enhancement script.
    pub script_url: String,
    /// URL of the fingerprinted logo (also the favicon).
    pub logo_url: String,
}

/// A named link.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Link {
    /// Visible text.
    pub name: String,
    /// Target.
    pub url: String,
}

/// One `<meta property|name content>` pair.
#[derive(Debug, Clone, Serialize)]
pub struct MetaTag {
    /// `property` (Open Graph) or `name` (Twitter, robots).
    pub attr: &'static str,
    /// Its value, e.g. `og:title`.
    pub key: String,
    /// The content.
    pub content: String,
}

/// What goes in `<head>` besides the stylesheet.
#[derive(Debug, Clone, Serialize)]
pub struct PageMeta {
    /// The whole `<title>`.
    pub title: String,
    /// Meta description.
    pub description: String,
    /// Absolute canonical URL.
    pub canonical: String,
    /// Robots directives.
    pub robots: String,
    /// Open Graph and Twitter tags.
    pub tags: Vec<MetaTag>,
    /// JSON-LD, already escaped for a `<script>` element.
    pub json_ld: Option<String>,
    /// `<link rel="alternate">` targets: feeds, oEmbed.
    pub alternates: Vec<Alternate>,
}

/// A `<link rel="alternate">` in `<head>`.
#[derive(Debug, Clone, Serialize)]
pub struct Alternate {
    /// MIME type, e.g. `application/rss+xml`.
    pub mime: String,
    /// Human title.
    pub title: String,
    /// Target URL.
    pub url: String,
}

/// An image with everything an `<img>` needs.
#[derive(Debug, Clone, Serialize)]
pub struct ImageView {
    /// `src`.
    pub src: String,
    /// `srcset`, empty when there are no renditions.
    pub srcset: String,
    /// `srcset` of WebP renditions for a `<picture>`'s `<source>`; empty
    /// when there are none.
    #[serde(default)]
    pub webp_srcset: String,
    /// Intrinsic width.
    pub width: u32,
    /// Intrinsic height.
    pub height: u32,
    /// Alt text.
    pub alt: String,
}

/// A story on a list, a rail or the home page.
#[derive(Debug, Clone, Serialize)]
pub struct CardView {
    /// Article URL (site-relative).
    pub url: String,
    /// Teaser headline.
    pub headline: String,
    /// Teaser text, at most 160 characters, cut at a word boundary.
    pub teaser: String,
    /// Section link.
    pub section: Option<Link>,
    /// Bylines as one line of text ("By A and B").
    pub byline: String,
    /// First publication, RFC 3339 in the site's zone.
    pub published_iso: String,
    /// First publication, for people.
    pub published_display: String,
    /// Thumbnail.
    pub image: Option<ImageView>,
}

/// One byline of an article page.
#[derive(Debug, Clone, Serialize)]
pub struct BylineView {
    /// Name or credit text.
    pub name: String,
    /// Author page, when the byline is an author.
    pub url: Option<String>,
    /// Job title.
    pub title: Option<String>,
}

/// One source in the sources box.
#[derive(Debug, Clone, Serialize)]
pub struct SourceView {
    /// Who.
    pub name: String,
    /// What kind, for people ("Wire service").
    pub kind: String,
    /// Where to read it (already checked to be http(s)).
    pub url: Option<String>,
    /// What is attributed to it.
    pub attributed: String,
}

/// A correction note.
#[derive(Debug, Clone, Serialize)]
pub struct CorrectionView {
    /// RFC 3339 in the site's zone.
    pub iso: String,
    /// For people.
    pub display: String,
    /// The note.
    pub text: String,
}

/// Everything shown on an article page.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleView {
    /// Display headline.
    pub headline: String,
    /// Standfirst.
    pub dek: String,
    /// Section link.
    pub section: Option<Link>,
    /// Ongoing story name, if any.
    pub story: Option<String>,
    /// Bylines in order.
    pub bylines: Vec<BylineView>,
    /// First publication, RFC 3339 in the site's zone.
    pub published_iso: String,
    /// First publication, for people.
    pub published_display: String,
    /// Last update, when later than first publication.
    pub updated_iso: Option<String>,
    /// Last update, for people.
    pub updated_display: Option<String>,
    /// Lead figure HTML.
    pub lead_html: String,
    /// Body HTML.
    pub body_html: String,
    /// Sources box.
    pub sources: Vec<SourceView>,
    /// Corrections, oldest first.
    pub corrections: Vec<CorrectionView>,
    /// Tag links.
    pub tags: Vec<Link>,
    /// Share links (X, Facebook, LinkedIn, WhatsApp, email).
    pub share: Vec<Link>,
    /// The article's own absolute URL, for "copy link".
    pub permalink: String,
    /// Related stories, best first, at most 12.
    pub related: Vec<CardView>,
    /// The related stories' list items made beforehand
    /// ([`crate::Renderer::rail_card`], each after a line break), in place
    /// of `related`: a static export makes each story's card once for every
    /// rail that shows it. Written into the page as it is: only markup
    /// `rail_card` made belongs here.
    pub related_markup: Option<String>,
}

/// Previous/next links of a paginated list.
#[derive(Debug, Clone, Serialize)]
pub struct Pagination {
    /// Current page, from 1.
    pub page: u32,
    /// Pages in all.
    pub pages: u32,
    /// Link to the previous page.
    pub prev_url: Option<String>,
    /// Link to the next page.
    pub next_url: Option<String>,
}

/// An author's profile on their page.
#[derive(Debug, Clone, Serialize)]
pub struct AuthorView {
    /// Name.
    pub name: String,
    /// Job title.
    pub title: Option<String>,
    /// Biography.
    pub bio: String,
    /// Portrait.
    pub photo: Option<ImageView>,
}

/// A block of the home page.
#[derive(Debug, Clone, Serialize)]
pub struct SectionBlock {
    /// The section.
    pub section: Link,
    /// Its newest stories not shown higher on the page.
    pub cards: Vec<CardView>,
}

/// The home page.
#[derive(Debug, Clone, Serialize)]
pub struct HomePage {
    /// Site values.
    pub site: SiteView,
    /// Head.
    pub meta: PageMeta,
    /// Editor-pinned stories.
    pub top: Vec<CardView>,
    /// Newest stories.
    pub latest: Vec<CardView>,
    /// One block per section.
    pub blocks: Vec<SectionBlock>,
}

/// An article page.
#[derive(Debug, Clone, Serialize)]
pub struct ArticlePage {
    /// Site values.
    pub site: SiteView,
    /// Head.
    pub meta: PageMeta,
    /// The article.
    pub article: ArticleView,
}

/// A section, tag or author page.
#[derive(Debug, Clone, Serialize)]
pub struct ListPage {
    /// Site values.
    pub site: SiteView,
    /// Head.
    pub meta: PageMeta,
    /// "section", "tag" or "author".
    pub kind: &'static str,
    /// Page heading.
    pub heading: String,
    /// Intro under the heading.
    pub description: String,
    /// Author profile on author pages.
    pub author: Option<AuthorView>,
    /// The stories on this page.
    pub cards: Vec<CardView>,
    /// Pagination.
    pub pagination: Pagination,
}

/// A 404, 410 or 500 page.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorPage {
    /// Site values.
    pub site: SiteView,
    /// Head.
    pub meta: PageMeta,
    /// HTTP status.
    pub status: u16,
    /// Heading.
    pub heading: String,
    /// What happened and what to do.
    pub message: String,
    /// Newest stories, to help the reader on.
    pub latest: Vec<CardView>,
}

/// One search result.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResultView {
    /// The story.
    pub card: CardView,
    /// A passage around the match, escaped, matched words in `<mark>`.
    pub snippet_html: String,
}

/// A `<select>` option.
#[derive(Debug, Clone, Serialize)]
pub struct OptionView {
    /// Submitted value.
    pub value: String,
    /// Shown text.
    pub label: String,
    /// Whether it is chosen.
    pub selected: bool,
}

/// The search page.
#[derive(Debug, Clone, Serialize)]
pub struct SearchPage {
    /// Site values.
    pub site: SiteView,
    /// Head.
    pub meta: PageMeta,
    /// The query as typed.
    pub query: String,
    /// Section filter choices (first: all sections).
    pub sections: Vec<OptionView>,
    /// Date range start as typed (`YYYY-MM-DD`).
    pub from: String,
    /// Date range end as typed (`YYYY-MM-DD`).
    pub to: String,
    /// Results on this page.
    pub results: Vec<SearchResultView>,
    /// Results in all.
    pub total: i64,
    /// A line about the search (nothing found, ignored filter…).
    pub message: Option<String>,
    /// Pagination.
    pub pagination: Pagination,
}
