//! What other programs read: RSS 2.0, Atom 1.0 and JSON Feed 1.1 feeds, the
//! sitemap index, article, page and Google News sitemaps, and `robots.txt`.
//!
//! Pure functions from plain data to text. Every string is escaped for XML
//! and stripped of characters XML 1.0 cannot carry, so a hostile title
//! (`]]>`, control characters, `<script>`) can never break a document.

mod feed;
mod items;
mod sitemap;
mod xml;

pub use feed::{Feed, FeedAuthor, FeedImage, FeedItem, SharedItem, atom, json_feed, rss};
pub use items::{FEED_IMAGE_WIDTH, ItemContext, article_item, image_mime};
pub use sitemap::{
    NEWS_MAX_URLS, NewsEntry, SITEMAP_MAX_URLS, SitemapImage, SitemapUrl, news_sitemap, robots_txt,
    sitemap_index, urlset,
};
pub use xml::xml_escape;
