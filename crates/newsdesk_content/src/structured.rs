//! What an article page tells machines: schema.org `NewsArticle` JSON-LD,
//! from plain facts gathered by the web layer.

use crate::text::{rfc3339, teaser};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

/// The lead image as machines see it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadImage {
    /// Absolute URL.
    pub url: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Alt text.
    pub alt: String,
    /// Caption.
    pub caption: Option<String>,
    /// Credit line.
    pub credit: Option<String>,
    /// schema.org's digital source type, when an algorithm made the
    /// picture (see [`schema_source_type`]).
    pub source_type: Option<String>,
}

/// The schema.org `IPTCDigitalSourceEnumeration` member for a picture an
/// algorithm made: from its IPTC code (`compositeSynthetic` →
/// `…/CompositeSyntheticDigitalSource`), else trained algorithmic media
/// (an editor's mark says no more than that).
pub fn schema_source_type(iptc: Option<&str>) -> String {
    let code = iptc
        .map(newsdesk_core::digital_source_code)
        .filter(|c| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_alphanumeric()))
        .unwrap_or("trainedAlgorithmicMedia");
    let mut chars = code.chars();
    let first = chars.next().map(|c| c.to_ascii_uppercase()).unwrap_or('T');
    format!("https://schema.org/{first}{}DigitalSource", chars.as_str())
}

/// A byline as machines see it: a person with a page, or an organization
/// credit.
#[derive(Debug, Clone, PartialEq)]
pub struct Creator {
    /// Name or credit line.
    pub name: String,
    /// Absolute URL of the author page; `None` for a credit line.
    pub url: Option<String>,
}

/// Everything the structured data and social tags of an article page say.
#[derive(Debug, Clone)]
pub struct ArticleFacts {
    /// The SEO headline (`<title>`, JSON-LD).
    pub seo_headline: String,
    /// The social headline (`og:title`).
    pub social_headline: String,
    /// Meta description: the dek, or a teaser of the text.
    pub description: String,
    /// Absolute permanent URL.
    pub permalink: String,
    /// Absolute canonical URL (another site's for syndicated copy).
    pub canonical: String,
    /// First publication.
    pub published: DateTime<Utc>,
    /// Last update shown to readers.
    pub modified: DateTime<Utc>,
    /// The site's time zone, for the offsets in dates.
    pub tz: Tz,
    /// Section name.
    pub section: Option<String>,
    /// Bylines in order.
    pub creators: Vec<Creator>,
    /// Tag names.
    pub keywords: Vec<String>,
    /// Lead image.
    pub image: Option<LeadImage>,
    /// Public corrections: (when, note).
    pub corrections: Vec<(DateTime<Utc>, String)>,
    /// The publication's name.
    pub site_title: String,
    /// Absolute URL of the home page.
    pub site_url: String,
    /// Absolute URL of the publication's logo (64×64).
    pub logo_url: String,
    /// Content language.
    pub language: String,
}

/// schema.org `NewsArticle` for an article page.
pub fn news_article(f: &ArticleFacts) -> Value {
    let authors: Vec<Value> = f
        .creators
        .iter()
        .map(|c| match &c.url {
            Some(u) => json!({"@type": "Person", "name": c.name, "url": u}),
            None => json!({"@type": "Organization", "name": c.name}),
        })
        .collect();
    let mut ld = json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": teaser(&f.seo_headline, 110),
        "description": f.description,
        "datePublished": rfc3339(f.published, f.tz),
        "dateModified": rfc3339(f.modified, f.tz),
        "author": authors,
        "publisher": {
            "@type": "Organization",
            "name": f.site_title,
            "url": f.site_url,
            "logo": {"@type": "ImageObject", "url": f.logo_url, "width": 64, "height": 64}
        },
        "mainEntityOfPage": {"@type": "WebPage", "@id": f.canonical},
        "url": f.permalink,
        "inLanguage": f.language,
        "isAccessibleForFree": true,
        "keywords": f.keywords,
    });
    if let Some(s) = &f.section {
        ld["articleSection"] = json!(s);
    }
    if let Some(img) = &f.image {
        ld["image"] = json!([{
            "@type": "ImageObject",
            "url": img.url,
            "width": img.width,
            "height": img.height,
            "caption": img.caption,
            "creditText": img.credit,
        }]);
        if let Some(t) = &img.source_type {
            ld["image"][0]["digitalSourceType"] = json!(t);
        }
    }
    if !f.corrections.is_empty() {
        ld["correction"] = f
            .corrections
            .iter()
            .map(|(at, text)| {
                json!({"@type": "CorrectionComment", "text": text, "datePublished": rfc3339(*at, f.tz)})
            })
            .collect();
    }
    ld
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn news_article_names_people_credits_image_and_corrections() {
        let at = Utc.with_ymd_and_hms(2026, 7, 14, 10, 0, 0).single().expect("valid");
        let f = ArticleFacts {
            seo_headline: "Talks resume".into(),
            social_headline: "Back on".into(),
            description: "Negotiators met.".into(),
            permalink: "https://n.example/world/2026/07/14/talks".into(),
            canonical: "https://n.example/world/2026/07/14/talks".into(),
            published: at,
            modified: at + chrono::Duration::hours(6),
            tz: chrono_tz::Europe::London,
            section: Some("World".into()),
            creators: vec![
                Creator {
                    name: "Ann Lee".into(),
                    url: Some("https://n.example/author/ann".into()),
                },
                Creator { name: "Wire".into(), url: None },
            ],
            keywords: vec!["Water".into()],
            image: Some(LeadImage {
                url: "https://n.example/media/x.jpg".into(),
                width: 1200,
                height: 675,
                alt: "Delegates".into(),
                caption: Some("In Geneva".into()),
                credit: Some("Pool".into()),
                source_type: Some(schema_source_type(Some("compositeSynthetic"))),
            }),
            corrections: vec![(at, "Venue fixed.".into())],
            site_title: "The Daily".into(),
            site_url: "https://n.example/".into(),
            logo_url: "https://n.example/assets/logo.svg".into(),
            language: "en".into(),
        };
        let ld = news_article(&f);
        assert_eq!(ld["@type"], "NewsArticle");
        assert_eq!(ld["datePublished"], "2026-07-14T11:00:00+01:00");
        assert_eq!(ld["author"][0]["@type"], "Person");
        assert_eq!(ld["author"][1]["@type"], "Organization");
        assert_eq!(ld["image"][0]["creditText"], "Pool");
        assert_eq!(
            ld["image"][0]["digitalSourceType"],
            "https://schema.org/CompositeSyntheticDigitalSource"
        );
        assert_eq!(
            schema_source_type(None),
            "https://schema.org/TrainedAlgorithmicMediaDigitalSource"
        );
        assert_eq!(
            schema_source_type(Some("<script>")),
            "https://schema.org/TrainedAlgorithmicMediaDigitalSource"
        );
        assert_eq!(ld["correction"][0]["@type"], "CorrectionComment");
        assert_eq!(ld["articleSection"], "World");
    }
}
