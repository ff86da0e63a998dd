//! `newsdesk import feed`: the items of an RSS 2.0, Atom 1.0 or JSON Feed
//! 1.x document (a file or an address) as articles, through the same
//! importer as WordPress and Ghost exports: upserted by their guid or id
//! (a second run changes only items whose content changed), bylines from
//! the item's author, categories as tags, every item in one section, an
//! enclosed or `media:content` picture as the lead.

use crate::report::Report;
use crate::wordpress::{EntrySource, Options, Progress, Records, import_entries};
use crate::wxr::{Channel, Entry, ItemTerm, WpAuthor, WpItem};
use newsdesk_app::Newsroom;
use newsdesk_core::{Actor, slugify};
use quick_xml::events::Event;
use serde_json::Value;
use std::collections::BTreeMap;

/// Largest feed read.
pub const MAX_FEED_BYTES: usize = 64 * 1024 * 1024;

/// One item of a feed, whatever its format.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedItem {
    /// guid, Atom id or JSON Feed id.
    pub id: String,
    /// Title (text).
    pub title: String,
    /// Its address.
    pub link: String,
    /// The body, HTML.
    pub html: String,
    /// The summary, HTML or text.
    pub summary: String,
    /// When first published (RFC 3339 or RFC 2822 as written).
    pub published: String,
    /// When last changed.
    pub updated: String,
    /// Authors' names.
    pub authors: Vec<String>,
    /// Categories.
    pub categories: Vec<String>,
    /// A picture's address.
    pub image: String,
}

/// A feed: its title and address, and its items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Feed {
    /// The feed's title.
    pub title: String,
    /// The site's address.
    pub link: String,
    /// The items.
    pub items: Vec<FeedItem>,
}

/// Reads a feed in any of the three formats.
pub fn parse(bytes: &[u8]) -> anyhow::Result<Feed> {
    anyhow::ensure!(bytes.len() <= MAX_FEED_BYTES, "the feed is larger than 64 MiB");
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace() && !matches!(b, 0xEF | 0xBB | 0xBF));
    if first == Some(&b'{') {
        return parse_json(bytes);
    }
    parse_xml(bytes)
}

fn s(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn parse_json(bytes: &[u8]) -> anyhow::Result<Feed> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| anyhow::anyhow!("this is not a feed: the JSON is not readable ({e})"))?;
    anyhow::ensure!(
        s(&v, "version").starts_with("https://jsonfeed.org/version/"),
        "this is not a JSON Feed: it has no jsonfeed.org version"
    );
    let mut feed = Feed { title: s(&v, "title"), link: s(&v, "home_page_url"), items: Vec::new() };
    let names = |v: &Value| -> Vec<String> {
        let mut out: Vec<String> = v
            .get("authors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|a| s(a, "name"))
            .filter(|n| !n.is_empty())
            .collect();
        if out.is_empty()
            && let Some(a) = v.get("author")
        {
            out.push(s(a, "name"));
        }
        out.retain(|n| !n.is_empty());
        out
    };
    for it in v.get("items").and_then(Value::as_array).into_iter().flatten() {
        let html = s(it, "content_html");
        let text = s(it, "content_text");
        feed.items.push(FeedItem {
            id: s(it, "id"),
            title: s(it, "title"),
            link: s(it, "url"),
            html: if html.is_empty() {
                text.split("\n\n")
                    .map(|p| format!("<p>{}</p>", crate::ghost::html_escape(p)))
                    .collect()
            } else {
                html
            },
            summary: s(it, "summary"),
            published: s(it, "date_published"),
            updated: s(it, "date_modified"),
            authors: names(it),
            categories: it
                .get("tags")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect(),
            image: {
                let i = s(it, "image");
                if i.is_empty() { s(it, "banner_image") } else { i }
            },
        });
    }
    Ok(feed)
}

fn parse_xml(bytes: &[u8]) -> anyhow::Result<Feed> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| anyhow::anyhow!("the feed is not UTF-8 (byte {})", e.valid_up_to()))?;
    let mut r = quick_xml::Reader::from_str(text);
    r.config_mut().check_end_names = true;
    let mut path: Vec<String> = Vec::new();
    let mut feed = Feed::default();
    let mut item: Option<FeedItem> = None;
    let mut buf = String::new();
    let mut atom = false;
    let mut attrs: BTreeMap<String, String> = BTreeMap::new();
    loop {
        let ev = r.read_event().map_err(|e| {
            anyhow::anyhow!("the feed is not well-formed XML (at byte {}): {e}", r.error_position())
        })?;
        let empty = matches!(ev, Event::Empty(_));
        match ev {
            Event::DocType(d) => {
                anyhow::ensure!(
                    !d.to_ascii_uppercase().contains("<!ENTITY"),
                    "the feed declares its own entities (<!DOCTYPE … <!ENTITY>); they are not expanded"
                );
            }
            Event::Start(e) | Event::Empty(e) => {
                let name = e.name().as_ref().to_owned();
                if path.is_empty() {
                    match name.as_str() {
                        "rss" | "rdf:RDF" => {}
                        "feed" => atom = true,
                        other => anyhow::bail!(
                            "this is not a feed: it starts with <{other}>, not <rss> or <feed>"
                        ),
                    }
                }
                attrs.clear();
                for a in e.attributes().flatten() {
                    if let Ok(v) = a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                        attrs.insert(a.key.as_ref().to_owned(), v.into_owned());
                    }
                }
                if name == "item" || name == "entry" {
                    item = Some(FeedItem::default());
                }
                if let Some(it) = item.as_mut() {
                    match name.as_str() {
                        "link" if atom => {
                            let rel = attrs.get("rel").map_or("alternate", String::as_str);
                            if rel == "alternate" && it.link.is_empty() {
                                it.link = attrs.get("href").cloned().unwrap_or_default();
                            }
                        }
                        "category" if atom => {
                            if let Some(t) = attrs.get("term") {
                                it.categories.push(t.clone());
                            }
                        }
                        "enclosure" | "media:content" | "media:thumbnail" => {
                            let image = attrs.get("type").is_none_or(|t| t.starts_with("image/"))
                                && attrs.get("medium").is_none_or(|m| m == "image");
                            if image && it.image.is_empty() {
                                it.image = attrs.get("url").cloned().unwrap_or_default();
                            }
                        }
                        _ => {}
                    }
                } else if atom && name == "link" && path.len() == 1 {
                    let rel = attrs.get("rel").map_or("alternate", String::as_str);
                    if rel == "alternate" {
                        feed.link = attrs.get("href").cloned().unwrap_or_default();
                    }
                }
                buf.clear();
                if !empty {
                    path.push(name);
                }
            }
            Event::Text(t) => buf.push_str(&t.xml10_content()),
            Event::CData(t) => buf.push_str(&t),
            Event::GeneralRef(g) => match crate::wxr::resolve_ref(&g) {
                Some(c) => buf.push(c),
                None => anyhow::bail!("the feed uses the undefined entity &{};", &*g),
            },
            Event::End(_) => {
                let Some(name) = path.pop() else { continue };
                let value = std::mem::take(&mut buf);
                if name == "item" || name == "entry" {
                    if let Some(it) = item.take() {
                        feed.items.push(it);
                    }
                    continue;
                }
                if let Some(it) = item.as_mut() {
                    let v = value.trim().to_owned();
                    match name.as_str() {
                        "title" => it.title = if atom { v } else { crate::html::text_of(&v) },
                        "link" if !atom => it.link = v,
                        "guid" | "id" => it.id = v,
                        "content:encoded" => it.html = value,
                        "content" if atom => it.html = value,
                        "description" => it.summary = value,
                        "summary" if atom => it.summary = value,
                        "pubDate" | "published" | "dc:date" => it.published = v,
                        "updated" => it.updated = v,
                        "dc:creator" | "author" if !atom => it.authors.push(v),
                        "name" if atom && path.last().is_some_and(|p| p == "author") => {
                            it.authors.push(v)
                        }
                        "category" if !atom => it.categories.push(v),
                        _ => {}
                    }
                } else if path.len() <= 2 {
                    match name.as_str() {
                        "title" if feed.title.is_empty() => feed.title = value.trim().to_owned(),
                        "link" if !atom && feed.link.is_empty() => {
                            feed.link = value.trim().to_owned()
                        }
                        _ => {}
                    }
                }
            }
            Event::Eof => {
                anyhow::ensure!(
                    path.is_empty(),
                    "the feed ends inside <{}>: it is truncated",
                    path.last().map_or("", String::as_str)
                );
                break;
            }
            _ => {}
        }
    }
    anyhow::ensure!(
        !(feed.items.is_empty() && feed.title.is_empty()),
        "this is not a feed: no title and no items"
    );
    Ok(feed)
}

/// The feed as records for the importer: every item in `section`, its
/// authors as authors, its categories as tags, its picture as the lead.
fn records(feed: &Feed, base: &str, section: &str) -> (Channel, Vec<Entry>) {
    let channel = Channel {
        title: feed.title.clone(),
        link: base.to_owned(),
        base_site_url: base.to_owned(),
        ..Channel::default()
    };
    let mut entries = Vec::new();
    let mut seen_authors = std::collections::BTreeSet::new();
    for it in &feed.items {
        for a in &it.authors {
            let login = slugify(a);
            if seen_authors.insert(login.clone()) {
                entries.push(Entry::Author(WpAuthor {
                    login,
                    display_name: crate::ghost::html_escape(a),
                    ..WpAuthor::default()
                }));
            }
        }
    }
    let mut items = Vec::new();
    for it in &feed.items {
        let id = if it.id.is_empty() { it.link.clone() } else { it.id.clone() };
        if id.is_empty() {
            continue;
        }
        let number = crate::wxr::stable_number(&id);
        let date = crate::wxr::wxr_time;
        let mut item = WpItem {
            title: crate::ghost::html_escape(&it.title),
            link: it.link.clone(),
            guid: format!("feed:{id}"),
            post_id: number,
            post_type: "post".into(),
            status: "publish".into(),
            post_name: slugify(&it.title),
            post_date_gmt: date(if it.published.is_empty() { &it.updated } else { &it.published }),
            post_modified_gmt: date(&it.updated),
            content: if it.html.trim().is_empty() { it.summary.clone() } else { it.html.clone() },
            excerpt: if it.html.trim().is_empty() { String::new() } else { it.summary.clone() },
            ..WpItem::default()
        };
        item.set_origin_elsewhere(&it.authors, section);
        for c in &it.categories {
            item.terms.push(ItemTerm {
                domain: "post_tag".into(),
                nicename: slugify(c),
                name: crate::ghost::html_escape(c),
            });
        }
        if !it.image.is_empty() {
            let aid = crate::wxr::stable_number(&format!("image:{}", it.image));
            entries.push(Entry::Item(Box::new(WpItem {
                post_id: aid,
                post_type: "attachment".into(),
                title: item.title.clone(),
                attachment_url: it.image.clone(),
                ..WpItem::default()
            })));
            item.meta.push(("_thumbnail_id".into(), aid.to_string()));
        }
        items.push(Entry::Item(Box::new(item)));
    }
    entries.extend(items);
    (channel, entries)
}

/// Imports the feed at `source` (a file, or an http(s) address) into
/// `section`.
pub async fn import(
    room: &Newsroom,
    actor: &Actor,
    source: &str,
    section: &str,
    opts: &Options,
    progress: &dyn Progress,
) -> anyhow::Result<Report> {
    let bytes = if source.starts_with("https://") || source.starts_with("http://") {
        crate::wordpress::fetch_public(source, opts.fetch_private, MAX_FEED_BYTES)
            .await
            .map_err(anyhow::Error::msg)?
    } else {
        let meta = std::fs::metadata(source)?;
        anyhow::ensure!(meta.is_file(), "{source} is a folder, not a feed");
        std::fs::read(source)?
    };
    let feed = parse(&bytes)?;
    let base = {
        let l = if feed.link.is_empty() { source } else { feed.link.as_str() };
        l.trim_end_matches('/').to_owned()
    };
    let (channel, entries) = records(&feed, &base, section);
    let report = Report::new("feed", source);
    let total = entries.len() as u64;
    let open = || -> anyhow::Result<Box<dyn EntrySource>> {
        Ok(Box::new(Records::new(channel.clone(), entries.clone())))
    };
    import_entries(room, actor, opts, "feed", report, &open, total, progress).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_formats_read_alike() {
        let rss = r#"<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">
<channel><title>Wire</title><link>https://wire.test/</link>
<item><title>Port &amp; city</title><link>https://wire.test/a</link><guid isPermaLink="false">wire-1</guid>
<pubDate>Wed, 01 May 2024 09:30:00 +0000</pubDate><dc:creator>Ana Silva</dc:creator><category>Ports</category>
<description>Short</description><content:encoded><![CDATA[<p>Long <b>body</b></p>]]></content:encoded>
<media:content url="https://wire.test/a.jpg" medium="image"/></item></channel></rss>"#;
        let atom = r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title><link href="https://wire.test/"/>
<entry><id>wire-1</id><title>Port &amp; city</title><link rel="alternate" href="https://wire.test/a"/><published>2024-05-01T09:30:00Z</published>
<author><name>Ana Silva</name></author><category term="Ports"/><summary>Short</summary><content type="html">&lt;p&gt;Long &lt;b&gt;body&lt;/b&gt;&lt;/p&gt;</content></entry></feed>"#;
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"Wire","home_page_url":"https://wire.test/","items":[
{"id":"wire-1","url":"https://wire.test/a","title":"Port & city","content_html":"<p>Long <b>body</b></p>","summary":"Short","date_published":"2024-05-01T09:30:00Z","authors":[{"name":"Ana Silva"}],"tags":["Ports"]}]}"#;
        for doc in [rss, atom, json] {
            let f = parse(doc.as_bytes()).expect("a feed");
            assert_eq!(f.title, "Wire");
            let it = &f.items[0];
            assert_eq!(
                (it.id.as_str(), it.title.as_str(), it.link.as_str()),
                ("wire-1", "Port & city", "https://wire.test/a"),
                "{doc}"
            );
            assert_eq!(it.html, "<p>Long <b>body</b></p>");
            assert_eq!(it.authors, ["Ana Silva"]);
            assert_eq!(it.categories, ["Ports"]);
        }
        assert_eq!(
            parse(rss.as_bytes()).map(|f| f.items[0].image.clone()).ok().as_deref(),
            Some("https://wire.test/a.jpg")
        );
    }

    #[test]
    fn bad_feeds_are_refused_clearly() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss><channel><title>&a;</title></channel></rss>"#;
        assert!(
            parse(bomb.as_bytes())
                .map_err(|e| e.to_string())
                .err()
                .is_some_and(|e| e.contains("entities"))
        );
        let cut = "<rss><channel><title>x</title><item><title>y";
        assert!(parse(cut.as_bytes()).is_err());
        assert!(
            parse(b"<html><body/></html>")
                .map_err(|e| e.to_string())
                .err()
                .is_some_and(|e| e.contains("not a feed"))
        );
        assert!(parse(br#"{"hello":1}"#).is_err());
    }
}
