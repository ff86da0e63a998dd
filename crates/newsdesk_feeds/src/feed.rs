//! RSS 2.0, Atom 1.0 and JSON Feed 1.1 from one description of a feed.

use crate::xml::{clean_text, escaped};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;
use std::fmt::Write;
use std::sync::{Arc, OnceLock};

/// A person credited on an item.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedAuthor {
    /// Name or credit line.
    pub name: String,
    /// Absolute URL of the author page, if any.
    pub url: Option<String>,
}

/// An item's lead image.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedImage {
    /// Absolute URL.
    pub url: String,
    /// MIME type, e.g. `image/jpeg`.
    pub mime: String,
    /// File size in bytes (RSS enclosures require it; 0 when unknown).
    pub length: u64,
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
}

/// One article in a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedItem {
    /// Absolute URL; also the item's permanent id.
    pub url: String,
    /// Headline.
    pub title: String,
    /// Standfirst, as text.
    pub summary: String,
    /// Full body as sanitized HTML with absolute URLs.
    pub content_html: String,
    /// First publication.
    pub published: DateTime<Utc>,
    /// Last update.
    pub updated: DateTime<Utc>,
    /// Bylines in order.
    pub authors: Vec<FeedAuthor>,
    /// Section and tags.
    pub categories: Vec<String>,
    /// Lead image.
    pub image: Option<FeedImage>,
    /// Content language (BCP 47).
    pub language: String,
}

/// An item with its text in each format, written the first time a feed
/// asks for it: the feeds an article appears in (the site's, its
/// section's, its tags' and its authors') can share one `SharedItem` and
/// write it once per format between them.
#[derive(Debug)]
pub struct SharedItem {
    item: FeedItem,
    rss: OnceLock<String>,
    atom: OnceLock<String>,
    json: OnceLock<String>,
}

impl From<FeedItem> for SharedItem {
    fn from(item: FeedItem) -> SharedItem {
        SharedItem { item, rss: OnceLock::new(), atom: OnceLock::new(), json: OnceLock::new() }
    }
}

impl SharedItem {
    /// The item.
    pub fn item(&self) -> &FeedItem {
        &self.item
    }

    /// When it last changed, for the feed's own date.
    pub fn changed(&self) -> DateTime<Utc> {
        self.item.updated.max(self.item.published)
    }

    fn rss(&self) -> &str {
        self.rss.get_or_init(|| rss_item(&self.item))
    }

    fn atom(&self) -> &str {
        self.atom.get_or_init(|| atom_entry(&self.item))
    }

    fn json(&self) -> &str {
        self.json.get_or_init(|| json_item(&self.item))
    }
}

/// A whole feed.
#[derive(Debug, Clone)]
pub struct Feed {
    /// Feed title, e.g. "The Daily — World".
    pub title: String,
    /// What the feed carries.
    pub description: String,
    /// Absolute URL of the page the feed mirrors.
    pub home_url: String,
    /// Absolute URL of this feed document.
    pub feed_url: String,
    /// Content language.
    pub language: String,
    /// Absolute URL of the publication's icon.
    pub icon_url: String,
    /// Newest change among the items (or now, for an empty feed).
    pub updated: DateTime<Utc>,
    /// Items, newest first.
    pub items: Vec<Arc<SharedItem>>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The feed as RSS 2.0, with `content:encoded`, `dc:creator` and Media RSS.
pub fn rss(feed: &Feed) -> String {
    let x = escaped;
    let size: usize = feed.items.iter().map(|i| i.rss().len()).sum();
    let mut o = String::with_capacity(2048 + size);
    o.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    o.push_str("<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:media=\"http://search.yahoo.com/mrss/\">\n<channel>\n");
    let _ = writeln!(o, "<title>{}</title>", x(&feed.title));
    let _ = writeln!(o, "<link>{}</link>", x(&feed.home_url));
    let _ = writeln!(o, "<description>{}</description>", x(&feed.description));
    let _ = writeln!(o, "<language>{}</language>", x(&feed.language));
    let _ = writeln!(o, "<lastBuildDate>{}</lastBuildDate>", feed.updated.to_rfc2822());
    let _ = writeln!(
        o,
        "<atom:link href=\"{}\" rel=\"self\" type=\"application/rss+xml\"/>",
        x(&feed.feed_url)
    );
    let _ = writeln!(
        o,
        "<image><url>{}</url><title>{}</title><link>{}</link></image>",
        x(&feed.icon_url),
        x(&feed.title),
        x(&feed.home_url)
    );
    for it in &feed.items {
        o.push_str(it.rss());
    }
    o.push_str("</channel>\n</rss>\n");
    o
}

/// One `<item>` of an RSS feed.
fn rss_item(it: &FeedItem) -> String {
    let x = escaped;
    let mut o = String::with_capacity(1024 + it.content_html.len() * 11 / 10);
    o.push_str("<item>\n");
    let _ = writeln!(o, "<title>{}</title>", x(&it.title));
    let _ = writeln!(o, "<link>{}</link>", x(&it.url));
    let _ = writeln!(o, "<guid isPermaLink=\"true\">{}</guid>", x(&it.url));
    let _ = writeln!(o, "<pubDate>{}</pubDate>", it.published.to_rfc2822());
    for a in &it.authors {
        let _ = writeln!(o, "<dc:creator>{}</dc:creator>", x(&a.name));
    }
    for c in &it.categories {
        let _ = writeln!(o, "<category>{}</category>", x(c));
    }
    let _ = writeln!(o, "<description>{}</description>", x(&it.summary));
    let _ = writeln!(o, "<content:encoded>{}</content:encoded>", x(&it.content_html));
    if let Some(img) = &it.image {
        let _ = writeln!(
            o,
            "<enclosure url=\"{}\" length=\"{}\" type=\"{}\"/>",
            x(&img.url),
            img.length,
            x(&img.mime)
        );
        let _ = write!(
            o,
            "<media:content url=\"{}\" medium=\"image\" type=\"{}\" width=\"{}\" height=\"{}\">",
            x(&img.url),
            x(&img.mime),
            img.width,
            img.height
        );
        if let Some(c) = &img.caption {
            let _ = write!(o, "<media:description type=\"plain\">{}</media:description>", x(c));
        }
        if let Some(c) = &img.credit {
            let _ = write!(o, "<media:credit>{}</media:credit>", x(c));
        }
        let _ = write!(o, "<media:text type=\"plain\">{}</media:text>", x(&img.alt));
        o.push_str("</media:content>\n");
    }
    o.push_str("</item>\n");
    o
}

/// The feed as Atom 1.0.
pub fn atom(feed: &Feed) -> String {
    let x = escaped;
    let size: usize = feed.items.iter().map(|i| i.atom().len()).sum();
    let mut o = String::with_capacity(2048 + size);
    o.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        o,
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">",
        x(&feed.language)
    );
    let _ = writeln!(o, "<id>{}</id>", x(&feed.feed_url));
    let _ = writeln!(o, "<title>{}</title>", x(&feed.title));
    let _ = writeln!(o, "<subtitle>{}</subtitle>", x(&feed.description));
    let _ = writeln!(o, "<updated>{}</updated>", rfc3339(feed.updated));
    let _ = writeln!(
        o,
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        x(&feed.feed_url)
    );
    let _ =
        writeln!(o, "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>", x(&feed.home_url));
    let _ = writeln!(o, "<icon>{}</icon>", x(&feed.icon_url));
    let _ = writeln!(
        o,
        "<author><name>{}</name><uri>{}</uri></author>",
        x(&feed.title),
        x(&feed.home_url)
    );
    for it in &feed.items {
        o.push_str(it.atom());
    }
    o.push_str("</feed>\n");
    o
}

/// One `<entry>` of an Atom feed.
fn atom_entry(it: &FeedItem) -> String {
    let x = escaped;
    let mut o = String::with_capacity(1024 + it.content_html.len() * 11 / 10);
    o.push_str("<entry>\n");
    let _ = writeln!(o, "<id>{}</id>", x(&it.url));
    let _ = writeln!(o, "<title>{}</title>", x(&it.title));
    let _ = writeln!(o, "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>", x(&it.url));
    let _ = writeln!(o, "<published>{}</published>", rfc3339(it.published));
    let _ = writeln!(o, "<updated>{}</updated>", rfc3339(it.updated.max(it.published)));
    for a in &it.authors {
        match &a.url {
            Some(u) => {
                let _ =
                    writeln!(o, "<author><name>{}</name><uri>{}</uri></author>", x(&a.name), x(u));
            }
            None => {
                let _ = writeln!(o, "<author><name>{}</name></author>", x(&a.name));
            }
        }
    }
    for c in &it.categories {
        let _ = writeln!(o, "<category term=\"{}\"/>", x(c));
    }
    let _ = writeln!(o, "<summary type=\"text\">{}</summary>", x(&it.summary));
    let _ = writeln!(o, "<content type=\"html\">{}</content>", x(&it.content_html));
    if let Some(img) = &it.image {
        let _ = writeln!(
            o,
            "<link rel=\"enclosure\" type=\"{}\" length=\"{}\" href=\"{}\"/>",
            x(&img.mime),
            img.length,
            x(&img.url)
        );
    }
    o.push_str("</entry>\n");
    o
}

/// How deep a JSON Feed's items sit in its pretty-printed document (the
/// `items` array of the top object): two levels of two spaces.
const JSON_ITEM_INDENT: &str = "    ";

/// The feed as JSON Feed 1.1.
pub fn json_feed(feed: &Feed) -> String {
    let c = clean_text;
    let doc = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": c(&feed.title),
        "home_page_url": feed.home_url,
        "feed_url": feed.feed_url,
        "description": c(&feed.description),
        "icon": feed.icon_url,
        "favicon": feed.icon_url,
        "language": feed.language,
        "authors": [{"name": c(&feed.title), "url": feed.home_url}],
        "items": [],
    });
    let head = serde_json::to_string_pretty(&doc).expect("JSON values always serialize");
    // The items, each written once, go where the empty array is. A key
    // in quotes followed by `: []` cannot occur inside a string value,
    // whose quotes are escaped.
    const EMPTY: &str = "\"items\": []";
    let at = head.find(EMPTY).expect("the document above has an items key");
    let size: usize = feed.items.iter().map(|i| i.json().len() + 8).sum();
    let mut s = String::with_capacity(head.len() + size + 16);
    s.push_str(&head[..at]);
    s.push_str("\"items\": [");
    for (n, it) in feed.items.iter().enumerate() {
        s.push_str(if n == 0 { "\n" } else { ",\n" });
        s.push_str(JSON_ITEM_INDENT);
        s.push_str(it.json());
    }
    if !feed.items.is_empty() {
        s.push_str("\n  ");
    }
    s.push(']');
    s.push_str(&head[at + EMPTY.len()..]);
    s.push('\n');
    s
}

/// One item of a JSON Feed, pretty-printed at the depth of the items
/// array (its first line not indented).
fn json_item(it: &FeedItem) -> String {
    let c = clean_text;
    let mut v = json!({
        "id": it.url,
        "url": it.url,
        "title": c(&it.title),
        "summary": c(&it.summary),
        "content_html": c(&it.content_html),
        "date_published": rfc3339(it.published),
        "date_modified": rfc3339(it.updated.max(it.published)),
        "authors": it.authors.iter().map(|a| match &a.url {
            Some(u) => json!({"name": c(&a.name), "url": u}),
            None => json!({"name": c(&a.name)}),
        }).collect::<Vec<_>>(),
        "tags": it.categories.iter().map(|t| c(t)).collect::<Vec<_>>(),
        "language": it.language,
    });
    if let Some(img) = &it.image {
        v["image"] = json!(img.url);
        v["attachments"] = json!([{
            "url": img.url,
            "mime_type": img.mime,
            "size_in_bytes": img.length,
            "title": c(&img.alt),
        }]);
    }
    let flat = serde_json::to_string_pretty(&v).expect("JSON values always serialize");
    // JSON strings hold no raw line breaks: every line break is between
    // tokens, and each later line moves in by the items' depth.
    let mut out = String::with_capacity(flat.len() + flat.len() / 8);
    for (n, line) in flat.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
            out.push_str(JSON_ITEM_INDENT);
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, 14, h, 0, 0).single().expect("valid")
    }

    /// A feed whose every string is hostile.
    pub(crate) fn hostile() -> Feed {
        Feed {
            title: "The Daily & <Co>".into(),
            description: "News ]]> \u{1}and more".into(),
            home_url: "https://news.example/".into(),
            feed_url: "https://news.example/feed.xml".into(),
            language: "en".into(),
            icon_url: "https://news.example/assets/logo.svg".into(),
            updated: t(16),
            items: vec![Arc::new(SharedItem::from(FeedItem {
                url: "https://news.example/world/2026/07/14/talks?a=1&b=2".into(),
                title: "Talks ]]> <script>alert(1)</script> \u{0}\u{1b} resume".into(),
                summary: "Dek with \"quotes\" & 'apostrophes' \u{FFFF}".into(),
                content_html: "<p>Body &amp; <em>text</em> ]]></p>".into(),
                published: t(10),
                updated: t(16),
                authors: vec![
                    FeedAuthor {
                        name: "Ann <Lee>".into(),
                        url: Some("https://news.example/author/ann-lee".into()),
                    },
                    FeedAuthor { name: "Wire".into(), url: None },
                ],
                categories: vec!["World".into(), "Water & Rivers".into()],
                image: Some(FeedImage {
                    url: "https://news.example/media/a.jpg".into(),
                    mime: "image/jpeg".into(),
                    length: 1234,
                    width: 1200,
                    height: 675,
                    alt: "Delegates <at> a table".into(),
                    caption: Some("Caption ]]>".into()),
                    credit: Some("Jane Roe / Pool".into()),
                }),
                language: "en".into(),
            }))],
        }
    }

    #[test]
    fn rss_snapshot_with_hostile_strings() {
        insta::assert_snapshot!(rss(&hostile()));
    }

    #[test]
    fn atom_snapshot_with_hostile_strings() {
        insta::assert_snapshot!(atom(&hostile()));
    }

    #[test]
    fn json_feed_snapshot_with_hostile_strings() {
        let s = json_feed(&hostile());
        let v: serde_json::Value = serde_json::from_str(&s).expect("valid JSON");
        assert_eq!(v["items"][0]["title"], "Talks ]]> <script>alert(1)</script>  resume");
        insta::assert_snapshot!(s);
    }

    #[test]
    fn items_written_once_read_the_same_in_every_feed_and_format() {
        let one = hostile();
        let mut second = one.items[0].item().clone();
        second.url = "https://news.example/world/2026/07/14/other".into();
        second.title = "Second \"item\"\nwith a line break".into();
        second.image = None;
        let shared = Arc::new(SharedItem::from(second));
        let mut two = one.clone();
        two.items.push(shared.clone());
        let mut other = one.clone();
        other.title = "Another feed".into();
        other.items = vec![shared.clone()];
        for feed in [&one, &two, &other] {
            // The spliced document is exactly what pretty-printing the
            // whole value gives.
            let s = json_feed(feed);
            let v: serde_json::Value = serde_json::from_str(&s).expect("valid JSON");
            let again = serde_json::to_string_pretty(&v).expect("serializes") + "\n";
            assert_eq!(s, again);
            assert_eq!(v["items"].as_array().map(Vec::len), Some(feed.items.len()));
        }
        let v: serde_json::Value = serde_json::from_str(&json_feed(&two)).expect("valid JSON");
        assert_eq!(v["items"][1]["title"], "Second \"item\"\nwith a line break");
        // The shared item reads the same in both feeds.
        for (a, b) in [(rss(&two), rss(&other)), (atom(&two), atom(&other))] {
            let tail = |s: &str| {
                s[s.find("<item>\n<title>Second")
                    .or_else(|| s.find("<entry>\n<id>https://news.example/world/2026/07/14/other"))
                    .unwrap_or(0)..]
                    .to_owned()
            };
            assert_eq!(tail(&a), tail(&b));
        }
        let empty = Feed { items: Vec::new(), ..one.clone() };
        let v: serde_json::Value = serde_json::from_str(&json_feed(&empty)).expect("valid JSON");
        assert_eq!(v["items"], serde_json::json!([]));
    }
}
