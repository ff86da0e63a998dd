//! Feed items from articles: what an article looks like to a feed reader.

use crate::{FeedAuthor, FeedImage, FeedItem};
use newsdesk_content::{AI_LABEL, BodyContext, media_url, render_body, render_lead};
use newsdesk_core::{Article, Author, Byline, Id, Media, Section, Tag};
use std::collections::HashMap;

/// Everything an article's feed item needs besides the article.
pub struct ItemContext<'a> {
    /// The site's public base URL, no trailing slash; every URL in an item
    /// is absolute.
    pub base: &'a str,
    /// The site's language (BCP 47).
    pub language: &'a str,
    /// Sections, for the item's first category.
    pub sections: &'a [Section],
    /// Tags by id, for the other categories.
    pub tags: &'a HashMap<Id, Tag>,
    /// Authors by id, for bylines.
    pub authors: &'a HashMap<Id, Author>,
    /// Media of the items' lead images and figures.
    pub media: &'a HashMap<Id, Media>,
    /// Public paths of articles that timelines link to.
    pub article_paths: &'a HashMap<Id, String>,
    /// Size in bytes of each media item's file (RSS enclosures need it).
    pub file_sizes: &'a HashMap<Id, u64>,
}

/// The width feeds ask of a lead image (the narrowest rendition at least
/// this wide, else the full-size file).
pub const FEED_IMAGE_WIDTH: u32 = 1280;

/// The MIME type of an image file, by extension.
pub fn image_mime(file: &str) -> &'static str {
    match file.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).as_deref() {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        _ => "image/jpeg",
    }
}

/// The feed item of a published article: the lead figure first in the
/// body, absolute URLs throughout, the section then the tags as categories.
pub fn article_item(a: &Article, ctx: &ItemContext<'_>) -> FeedItem {
    let base = ctx.base;
    let abs = |path: &str| format!("{base}{path}");
    let lead = a.lead.as_ref();
    let lead_media = lead.and_then(|f| ctx.media.get(&f.media_id));
    let body_ctx = BodyContext { media: ctx.media, article_paths: ctx.article_paths, base };
    let mut content = match (lead, lead_media) {
        (Some(f), Some(m)) => render_lead(f, Some(m), base),
        _ => String::new(),
    };
    content.push_str(&render_body(&a.body, &body_ctx));
    let image = match (lead, lead_media) {
        (Some(f), Some(m)) => {
            let (file, width, height) = m.sized(FEED_IMAGE_WIDTH);
            // A picture an algorithm made says so wherever it travels.
            let caption = match (m.ai_generated, f.caption(Some(m))) {
                (true, Some(c)) => Some(format!("{AI_LABEL}. {c}")),
                (true, None) => Some(AI_LABEL.to_owned()),
                (false, c) => c.map(Into::into),
            };
            Some(FeedImage {
                url: abs(&media_url(file)),
                mime: image_mime(file).into(),
                length: ctx.file_sizes.get(&m.id).copied().unwrap_or(0),
                width,
                height,
                alt: f.alt(Some(m)).unwrap_or_default().into(),
                caption,
                credit: f.credit(Some(m)).map(Into::into),
            })
        }
        _ => None,
    };
    let mut categories: Vec<String> = ctx
        .sections
        .iter()
        .filter(|s| Some(s.id) == a.section_id)
        .map(|s| s.name.clone())
        .collect();
    categories.extend(a.tags.iter().filter_map(|id| ctx.tags.get(id)).map(|x| x.name.clone()));
    FeedItem {
        url: abs(a.path.as_deref().unwrap_or("/")),
        title: a.headlines.display.clone(),
        summary: a.dek.clone(),
        content_html: content,
        published: a.first_published_at.unwrap_or(a.updated_at),
        updated: a.updated_at,
        authors: a
            .bylines
            .iter()
            .filter_map(|b| match b {
                Byline::Author { author_id } => ctx.authors.get(author_id).map(|au| FeedAuthor {
                    name: au.name.clone(),
                    url: Some(abs(&format!("/author/{}", au.slug))),
                }),
                Byline::Credit { text } => Some(FeedAuthor { name: text.clone(), url: None }),
            })
            .collect(),
        categories,
        image,
        language: ctx.language.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use newsdesk_core::{Block, Figure};

    #[test]
    fn an_item_carries_absolute_urls_bylines_and_categories() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).single().expect("valid");
        let mut a = Article::draft("Harbour reopens", at);
        a.path = Some("/city/2026/05/01/harbour-reopens".into());
        a.section_id = Some(1);
        a.tags = vec![5];
        a.bylines = vec![Byline::Author { author_id: 3 }, Byline::Credit { text: "Wire".into() }];
        a.lead = Some(Figure::of(9));
        a.body = vec![Block::paragraph("Ships are back.")];
        let media = HashMap::from([(
            9,
            Media {
                id: 9,
                file: "p/harbour.webp".into(),
                width: 800,
                height: 450,
                alt: Some("Cranes at dawn".into()),
                caption: None,
                credit: Some("A. Lens".into()),
                rights: None,
                renditions: vec![],
                ..Media::default()
            },
        )]);
        let sections = [Section {
            id: 1,
            name: "City".into(),
            slug: "city".into(),
            position: 1,
            description: String::new(),
        }];
        let tags = HashMap::from([(5, Tag { id: 5, name: "Ports".into(), slug: "ports".into() })]);
        let authors = HashMap::from([(
            3,
            Author {
                id: 3,
                name: "Ann Lee".into(),
                slug: "ann-lee".into(),
                title: None,
                bio: String::new(),
                photo_media_id: None,
            },
        )]);
        let sizes = HashMap::from([(9, 1234)]);
        let paths = HashMap::new();
        let item = article_item(
            &a,
            &ItemContext {
                base: "https://news.example",
                language: "en",
                sections: &sections,
                tags: &tags,
                authors: &authors,
                media: &media,
                article_paths: &paths,
                file_sizes: &sizes,
            },
        );
        assert_eq!(item.url, "https://news.example/city/2026/05/01/harbour-reopens");
        assert_eq!(item.categories, vec!["City", "Ports"]);
        assert_eq!(item.authors[0].url.as_deref(), Some("https://news.example/author/ann-lee"));
        assert_eq!(item.authors[1], FeedAuthor { name: "Wire".into(), url: None });
        let image = item.image.expect("lead image");
        assert_eq!((image.mime.as_str(), image.length), ("image/webp", 1234));
        assert!(image.url.starts_with("https://news.example/media/"), "{}", image.url);
        assert!(item.content_html.starts_with("<figure"), "lead first: {}", item.content_html);
    }
}
