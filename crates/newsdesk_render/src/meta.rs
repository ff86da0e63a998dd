//! Open Graph and Twitter card tags for an article page, from the same
//! facts as its JSON-LD.

use crate::MetaTag;
use newsdesk_content::rfc3339;
use newsdesk_content::structured::ArticleFacts;

fn og(key: &str, content: &str) -> MetaTag {
    MetaTag { attr: "property", key: key.into(), content: content.into() }
}

fn tw(key: &str, content: &str) -> MetaTag {
    MetaTag { attr: "name", key: key.into(), content: content.into() }
}

/// The article-specific social tags: `og:type` article, title and URL,
/// the image with its size and alt, `article:*` times, section, authors
/// and tags, and a large-image Twitter card.
pub fn article_tags(f: &ArticleFacts) -> Vec<MetaTag> {
    let mut tags = vec![
        og("og:type", "article"),
        og("og:title", &f.social_headline),
        og("og:url", &f.canonical),
    ];
    if let Some(img) = &f.image {
        tags.push(og("og:image", &img.url));
        tags.push(og("og:image:width", &img.width.to_string()));
        tags.push(og("og:image:height", &img.height.to_string()));
        tags.push(og("og:image:alt", &img.alt));
    }
    tags.push(og("article:published_time", &rfc3339(f.published, f.tz)));
    tags.push(og("article:modified_time", &rfc3339(f.modified, f.tz)));
    if let Some(s) = &f.section {
        tags.push(og("article:section", s));
    }
    for c in &f.creators {
        if let Some(u) = &c.url {
            tags.push(og("article:author", u));
        }
    }
    for k in &f.keywords {
        tags.push(og("article:tag", k));
    }
    tags.push(tw("twitter:card", "summary_large_image"));
    tags.push(tw("twitter:title", &f.social_headline));
    tags.push(tw("twitter:description", &newsdesk_content::teaser(&f.description, 200)));
    if let Some(img) = &f.image {
        tags.push(tw("twitter:image", &img.url));
        tags.push(tw("twitter:image:alt", &newsdesk_content::teaser(&img.alt, 420)));
    }
    tags
}
