//! Sitemaps (sitemaps.org 0.9 with Google's image and news extensions) and
//! `robots.txt`.

use crate::xml::escaped;
use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt::Write;

/// URLs per sitemap file at most, as the sitemaps.org protocol requires.
pub const SITEMAP_MAX_URLS: usize = 50_000;

/// `news:news` entries per Google News sitemap at most (Google's limit).
pub const NEWS_MAX_URLS: usize = 1_000;

/// An image attached to a sitemap URL.
#[derive(Debug, Clone, PartialEq)]
pub struct SitemapImage {
    /// Absolute URL of the image.
    pub loc: String,
}

/// One URL of a sitemap.
#[derive(Debug, Clone, PartialEq)]
pub struct SitemapUrl {
    /// Absolute URL.
    pub loc: String,
    /// Last modification.
    pub lastmod: Option<DateTime<Utc>>,
    /// Images on the page (the lead image for articles).
    pub images: Vec<SitemapImage>,
}

/// One article of a Google News sitemap.
#[derive(Debug, Clone, PartialEq)]
pub struct NewsEntry {
    /// Absolute URL.
    pub loc: String,
    /// Headline.
    pub title: String,
    /// First publication.
    pub published: DateTime<Utc>,
}

fn w3c(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A sitemap index listing `sitemaps` (absolute URL, last change).
pub fn sitemap_index(sitemaps: &[(String, Option<DateTime<Utc>>)]) -> String {
    let mut o = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (loc, lastmod) in sitemaps {
        let _ = write!(o, "<sitemap><loc>{}</loc>", escaped(loc));
        if let Some(t) = lastmod {
            let _ = write!(o, "<lastmod>{}</lastmod>", w3c(*t));
        }
        o.push_str("</sitemap>\n");
    }
    o.push_str("</sitemapindex>\n");
    o
}

/// A `urlset` sitemap. The caller keeps it under [`SITEMAP_MAX_URLS`].
pub fn urlset(urls: &[SitemapUrl]) -> String {
    let mut o = String::with_capacity(256 + urls.len() * 200);
    o.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:image=\"http://www.google.com/schemas/sitemap-image/1.1\">\n");
    for u in urls.iter().take(SITEMAP_MAX_URLS) {
        let _ = write!(o, "<url><loc>{}</loc>", escaped(&u.loc));
        if let Some(t) = u.lastmod {
            let _ = write!(o, "<lastmod>{}</lastmod>", w3c(t));
        }
        for img in &u.images {
            let _ = write!(
                o,
                "<image:image><image:loc>{}</image:loc></image:image>",
                escaped(&img.loc)
            );
        }
        o.push_str("</url>\n");
    }
    o.push_str("</urlset>\n");
    o
}

/// A Google News sitemap for `publication` in `language`: the entries
/// published after `since` (two days before now, per Google), newest first,
/// at most [`NEWS_MAX_URLS`].
pub fn news_sitemap(
    publication: &str,
    language: &str,
    entries: &[NewsEntry],
    since: DateTime<Utc>,
) -> String {
    let mut recent: Vec<&NewsEntry> = entries.iter().filter(|e| e.published >= since).collect();
    recent.sort_by_key(|e| std::cmp::Reverse(e.published));
    let mut o = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n",
    );
    for e in recent.into_iter().take(NEWS_MAX_URLS) {
        let _ = writeln!(
            o,
            "<url><loc>{}</loc><news:news><news:publication><news:name>{}</news:name><news:language>{}</news:language></news:publication><news:publication_date>{}</news:publication_date><news:title>{}</news:title></news:news></url>",
            escaped(&e.loc),
            escaped(publication),
            escaped(language),
            w3c(e.published),
            escaped(&e.title)
        );
    }
    o.push_str("</urlset>\n");
    o
}

/// `robots.txt`: everything may be crawled (empty search pages carry their
/// own `noindex`); the sitemaps are listed.
pub fn robots_txt(base_url: &str) -> String {
    format!(
        "User-agent: *\nAllow: /\n\nSitemap: {base_url}/sitemap.xml\nSitemap: {base_url}/sitemaps/news.xml\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, d, h, 0, 0).single().expect("valid")
    }

    #[test]
    fn sitemaps_snapshot_with_hostile_strings() {
        let index = sitemap_index(&[
            ("https://news.example/sitemaps/articles-1.xml".into(), Some(t(14, 16))),
            ("https://news.example/sitemaps/pages.xml".into(), None),
        ]);
        let urls = urlset(&[SitemapUrl {
            loc: "https://news.example/world/2026/07/14/a?b=1&c=<2>".into(),
            lastmod: Some(t(14, 16)),
            images: vec![SitemapImage { loc: "https://news.example/media/a.jpg".into() }],
        }]);
        let entries = vec![
            NewsEntry {
                loc: "https://news.example/new".into(),
                title: "New ]]> <script> \u{1} & co".into(),
                published: t(14, 10),
            },
            NewsEntry {
                loc: "https://news.example/old".into(),
                title: "Too old".into(),
                published: t(11, 10),
            },
        ];
        let news = news_sitemap("The Daily & Co", "en", &entries, t(12, 16));
        assert!(!news.contains("Too old"), "older than two days is left out");
        insta::assert_snapshot!(format!(
            "{index}\n{urls}\n{news}\n{}",
            robots_txt("https://news.example")
        ));
    }

    #[test]
    fn news_sitemap_keeps_at_most_a_thousand_newest() {
        let entries: Vec<NewsEntry> = (0..1500)
            .map(|i| NewsEntry {
                loc: format!("https://news.example/{i}"),
                title: format!("Story {i}"),
                published: t(14, 0) + chrono::Duration::seconds(i),
            })
            .collect();
        let s = news_sitemap("D", "en", &entries, t(13, 0));
        assert_eq!(s.matches("<news:news>").count(), NEWS_MAX_URLS);
        assert!(s.contains("https://news.example/1499<"), "newest kept");
        assert!(!s.contains("https://news.example/0<"), "oldest dropped");
    }
}
