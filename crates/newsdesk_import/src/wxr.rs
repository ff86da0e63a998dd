//! A streaming reader of WordPress eXtended RSS (WXR 1.1 and 1.2), the
//! file WordPress's own exporter writes.
//!
//! The file is read element by element and handed out one record at a
//! time (a user, a category, a tag, an item), so memory stays flat however
//! large the export. Entities other than XML's five and character
//! references are refused (WordPress never declares any, and a document
//! that does is the classic expansion bomb); a file that ends inside an
//! element is reported as truncated. A fault inside one item (text that is
//! not UTF-8, a field past the size limit) spoils that item only: the
//! reader skips to the next one.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::cell::Cell;
use std::io::{BufReader, Read};
use std::rc::Rc;

/// Largest single field taken from an export (a post's body, say).
pub const MAX_FIELD_BYTES: usize = 16 * 1024 * 1024;

/// The site the export came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Channel {
    /// The site's title.
    pub title: String,
    /// Its address.
    pub link: String,
    /// `wp:base_site_url`.
    pub base_site_url: String,
    /// `wp:base_blog_url`.
    pub base_blog_url: String,
    /// `wp:wxr_version`.
    pub wxr_version: String,
}

/// A WordPress user (`wp:author`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WpAuthor {
    /// `wp:author_id`.
    pub id: String,
    /// `wp:author_login`, which items name in `dc:creator`.
    pub login: String,
    /// `wp:author_email`.
    pub email: String,
    /// `wp:author_display_name`.
    pub display_name: String,
    /// `wp:author_first_name`.
    pub first_name: String,
    /// `wp:author_last_name`.
    pub last_name: String,
}

/// A category or tag declared at the top of the export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WpTerm {
    /// Its slug (`category_nicename`, `tag_slug`).
    pub slug: String,
    /// Its name.
    pub name: String,
    /// The parent category's slug.
    pub parent: String,
    /// Its description.
    pub description: String,
}

/// One category or tag an item is filed under.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemTerm {
    /// `category` or `post_tag` (or a custom taxonomy).
    pub domain: String,
    /// The term's slug.
    pub nicename: String,
    /// Its name.
    pub name: String,
}

/// A post, page or attachment (`item`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WpItem {
    /// `title`.
    pub title: String,
    /// `link`: its address on the old site.
    pub link: String,
    /// `dc:creator`: the author's login.
    pub creator: String,
    /// `guid`.
    pub guid: String,
    /// `content:encoded`: the body, HTML with block comments.
    pub content: String,
    /// `excerpt:encoded`: the excerpt (an attachment's caption).
    pub excerpt: String,
    /// `wp:post_id`.
    pub post_id: i64,
    /// `wp:post_date`, local time of the old site.
    pub post_date: String,
    /// `wp:post_date_gmt`.
    pub post_date_gmt: String,
    /// `wp:post_modified_gmt`.
    pub post_modified_gmt: String,
    /// `wp:post_name`: the slug.
    pub post_name: String,
    /// `wp:status`: publish, draft, pending, future, private, trash…
    pub status: String,
    /// `wp:post_parent`.
    pub post_parent: i64,
    /// `wp:post_type`: post, page, attachment, nav_menu_item…
    pub post_type: String,
    /// `wp:post_password`.
    pub post_password: String,
    /// `wp:is_sticky`.
    pub is_sticky: bool,
    /// `wp:attachment_url`.
    pub attachment_url: String,
    /// Categories and tags.
    pub terms: Vec<ItemTerm>,
    /// `wp:postmeta` pairs.
    pub meta: Vec<(String, String)>,
    /// How many comments it had (not imported).
    pub comments: usize,
    /// The headline for search engines, when the source has one
    /// (WordPress exports do not; Ghost's `meta_title` does).
    pub seo_title: String,
    /// The headline for social sites (Ghost's `og_title`).
    pub social_title: String,
    /// Further authors' logins, in order, after `creator`.
    pub more_creators: Vec<String>,
    /// Where the story came from (ninjs information sources).
    pub sources: Vec<newsdesk_core::Source>,
}

impl WpItem {
    /// For a record that is not from WordPress (a feed entry, a ninjs
    /// item): its date is already GMT, its authors (by name, in order)
    /// become logins, and `section` is its category.
    pub(crate) fn set_origin_elsewhere<'a>(
        &mut self,
        authors: impl IntoIterator<Item = &'a String>,
        section: &str,
    ) {
        self.post_date = self.post_date_gmt.clone();
        let mut logins = authors.into_iter().map(|a| newsdesk_core::slugify(a));
        self.creator = logins.next().unwrap_or_default();
        self.more_creators = logins.collect();
        self.terms.push(ItemTerm {
            domain: "category".into(),
            nicename: newsdesk_core::slugify(section),
            name: section.into(),
        });
    }

    /// The value of meta field `key`.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// How people can tell the item apart in a report: its id there (a
    /// Ghost id when it came from Ghost) and title.
    pub fn label(&self) -> String {
        if !self.guid.is_empty() && !self.guid.contains("://") {
            let kind = if self.post_type.is_empty() { "item" } else { &self.post_type };
            let title: String = self.title.chars().take(60).collect();
            return format!("{kind} {} “{}”", self.guid, title.trim());
        }
        label(self.post_id, &self.post_type, &self.title)
    }
}

fn label(id: i64, kind: &str, title: &str) -> String {
    let kind = if kind.is_empty() { "item" } else { kind };
    let title: String = title.chars().take(60).collect();
    if title.trim().is_empty() {
        format!("{kind} {id}")
    } else {
        format!("{kind} {id} “{}”", title.trim())
    }
}

/// An item the reader could not take, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFault {
    /// The item (`post 12 “Title”`).
    pub item: String,
    /// Its id in WordPress, when it was read.
    pub post_id: i64,
    /// What is wrong.
    pub message: String,
}

/// One record of the export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A user.
    Author(WpAuthor),
    /// A category.
    Category(WpTerm),
    /// A tag.
    Tag(WpTerm),
    /// A post, page or attachment.
    Item(Box<WpItem>),
    /// An item that could not be read; the reader went on to the next.
    Faulty(ItemFault),
}

/// Why the file as a whole cannot be read further.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {position}{after})")]
pub struct WxrError {
    /// What is wrong.
    pub message: String,
    /// Where in the file.
    pub position: u64,
    /// The last item read whole, if any (`, after post 12 “Title”`).
    pub after: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    None,
    Author,
    Category,
    Tag,
    Item,
}

/// Reads an export one record at a time.
pub struct WxrReader<R: Read> {
    reader: Reader<BufReader<Utf8Guard<R>>>,
    bad_bytes: Rc<Cell<u64>>,
    buf: Vec<u8>,
    /// The site, filled in as its fields are read (before the first item
    /// in every export WordPress writes).
    pub channel: Channel,
    max_field: usize,
    path: Vec<String>,
    text: String,
    record: Record,
    author: WpAuthor,
    term: WpTerm,
    item: WpItem,
    meta_key: String,
    fault: Option<String>,
    /// The field being read is past the size limit: the rest is dropped.
    overflow: bool,
    last: String,
    seen_rss: bool,
    done: bool,
}

impl<R: Read> WxrReader<R> {
    /// A reader of `input`.
    pub fn new(input: R) -> WxrReader<R> {
        let bad_bytes = Rc::new(Cell::new(0));
        let guard = Utf8Guard {
            inner: input,
            pending: Vec::new(),
            out: Vec::new(),
            pos: 0,
            eof: false,
            bad: bad_bytes.clone(),
        };
        let mut reader = Reader::from_reader(BufReader::with_capacity(64 * 1024, guard));
        let c = reader.config_mut();
        c.check_end_names = true;
        c.trim_text(false);
        WxrReader {
            reader,
            bad_bytes,
            buf: Vec::with_capacity(64 * 1024),
            channel: Channel::default(),
            max_field: MAX_FIELD_BYTES,
            path: Vec::new(),
            text: String::new(),
            record: Record::None,
            author: WpAuthor::default(),
            term: WpTerm::default(),
            item: WpItem::default(),
            meta_key: String::new(),
            fault: None,
            overflow: false,
            last: String::new(),
            seen_rss: false,
            done: false,
        }
    }

    /// Sets the largest field taken (tests use small ones).
    pub fn with_max_field(mut self, bytes: usize) -> WxrReader<R> {
        self.max_field = bytes;
        self
    }

    /// How far into the file the reader is, in bytes.
    pub fn position(&self) -> u64 {
        self.reader.buffer_position()
    }

    fn fail(&self, message: impl Into<String>) -> WxrError {
        WxrError {
            message: message.into(),
            position: self.reader.buffer_position(),
            after: if self.last.is_empty() {
                String::new()
            } else {
                format!(", after {}", self.last)
            },
        }
    }

    fn add_text(&mut self, s: &str) {
        if self.overflow {
            return;
        }
        if self.text.len() + s.len() > self.max_field {
            let field = self.path.last().cloned().unwrap_or_default();
            self.fault.get_or_insert_with(|| {
                format!(
                    "field {field} is larger than {} MiB",
                    (self.max_field / (1024 * 1024)).max(1)
                )
            });
            self.overflow = true;
            self.text.clear();
            return;
        }
        // Bytes that were not UTF-8 arrive as U+FFFD (see [`Utf8Guard`]).
        if self.bad_bytes.get() > 0 && s.contains('\u{fffd}') {
            let field = self.path.last().cloned().unwrap_or_default();
            self.fault.get_or_insert_with(|| {
                format!(
                    "field {field} has bytes that are not UTF-8: the export mixes encodings; \
                     convert the file to UTF-8 and import again"
                )
            });
        }
        self.text.push_str(s);
    }

    /// The next record, `None` at the end of the export.
    pub fn next_entry(&mut self) -> Result<Option<Entry>, WxrError> {
        if self.done {
            return Ok(None);
        }
        loop {
            self.buf.clear();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(e) => e.into_owned(),
                Err(e) => {
                    self.done = true;
                    let inside = self.path.last().cloned();
                    let text = e.to_string();
                    if inside.is_none() && !self.seen_rss {
                        return Err(self.fail(
                            "this is not a WordPress export: it is not XML \
                             (a Ghost export is JSON: use `newsdesk import ghost`)",
                        ));
                    }
                    if text.contains("end of input") {
                        let el = inside.unwrap_or_default();
                        return Err(self.fail(format!(
                            "the file ends inside <{el}>: it is truncated ({text})"
                        )));
                    }
                    return Err(self.fail(match inside {
                        Some(el) => format!("the file is not well-formed XML inside <{el}>: {e}"),
                        None => format!("the file is not well-formed XML: {e}"),
                    }));
                }
            };
            match event {
                Event::Decl(d) => {
                    if let Some(Ok(enc)) = d.encoding()
                        && !enc.eq_ignore_ascii_case("utf-8")
                    {
                        self.done = true;
                        return Err(self.fail(format!(
                            "the file declares the encoding {enc}; WordPress exports are UTF-8: \
                             convert it first (iconv -f {enc} -t UTF-8)"
                        )));
                    }
                }
                Event::DocType(d) => {
                    if d.to_ascii_uppercase().contains("<!ENTITY") {
                        self.done = true;
                        return Err(self.fail(
                            "the file declares its own entities (<!DOCTYPE … <!ENTITY>); \
                             WordPress exports never do, and they are not expanded",
                        ));
                    }
                }
                Event::Start(e) => {
                    let name = e.name().as_ref().to_owned();
                    self.open(&name, &e)?;
                    self.path.push(name);
                    self.text.clear();
                    self.overflow = false;
                }
                Event::Empty(e) => {
                    let name = e.name().as_ref().to_owned();
                    self.open(&name, &e)?;
                    self.path.push(name);
                    self.text.clear();
                    self.overflow = false;
                    if let Some(entry) = self.close()? {
                        return Ok(Some(entry));
                    }
                }
                Event::End(_) => {
                    if let Some(entry) = self.close()? {
                        return Ok(Some(entry));
                    }
                }
                Event::Text(t) => {
                    if self.record != Record::None || self.path.len() <= 3 {
                        self.add_text(&t);
                    }
                }
                Event::CData(t) => {
                    if self.record != Record::None || self.path.len() <= 3 {
                        self.add_text(&t);
                    }
                }
                Event::GeneralRef(r) => match resolve_ref(&r) {
                    Some(c) => {
                        let mut b = [0u8; 4];
                        self.add_text(c.encode_utf8(&mut b));
                    }
                    None => {
                        let name = r.to_string();
                        if self.record == Record::Item {
                            self.fault.get_or_insert_with(|| {
                                format!("it uses the undefined entity &{name};")
                            });
                        } else {
                            self.done = true;
                            return Err(
                                self.fail(format!("the file uses the undefined entity &{name};"))
                            );
                        }
                    }
                },
                Event::Eof => {
                    self.done = true;
                    if !self.seen_rss {
                        return Err(
                            self.fail("this is not a WordPress export: it has no <rss> element")
                        );
                    }
                    if let Some(el) = self.path.last() {
                        let inside = if self.record == Record::Item {
                            format!(
                                " ({})",
                                label(self.item.post_id, &self.item.post_type, &self.item.title)
                            )
                        } else {
                            String::new()
                        };
                        return Err(self.fail(format!(
                            "the file ends inside <{el}>{inside}: it is truncated"
                        )));
                    }
                    return Ok(None);
                }
                Event::Comment(_) | Event::PI(_) => {}
            }
        }
    }

    fn open(&mut self, name: &str, e: &BytesStart<'_>) -> Result<(), WxrError> {
        let depth = self.path.len();
        if depth == 0 {
            if name != "rss" {
                self.done = true;
                return Err(self.fail(format!(
                    "this is not a WordPress export: it starts with <{name}>, not <rss> \
                     (WordPress writes one under Tools → Export → All content)"
                )));
            }
            self.seen_rss = true;
        }
        if depth == 2 && self.path.get(1).is_some_and(|p| p == "channel") {
            self.record = match name {
                "item" => {
                    self.item = WpItem::default();
                    self.fault = None;
                    Record::Item
                }
                "wp:author" => {
                    self.author = WpAuthor::default();
                    Record::Author
                }
                "wp:category" => {
                    self.term = WpTerm::default();
                    Record::Category
                }
                "wp:tag" => {
                    self.term = WpTerm::default();
                    Record::Tag
                }
                _ => Record::None,
            };
        }
        if self.record == Record::Item && depth == 3 && name == "category" {
            let mut t = ItemTerm::default();
            for a in e.attributes().flatten() {
                let v = a
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map(|v| v.into_owned())
                    .unwrap_or_default();
                match a.key.as_ref() {
                    "domain" => t.domain = v,
                    "nicename" => t.nicename = v,
                    _ => {}
                }
            }
            self.item.terms.push(t);
        }
        if self.record == Record::Item && depth == 3 && name == "wp:comment" {
            self.item.comments += 1;
        }
        Ok(())
    }

    fn close(&mut self) -> Result<Option<Entry>, WxrError> {
        let Some(name) = self.path.pop() else { return Ok(None) };
        let depth = self.path.len();
        let text = std::mem::take(&mut self.text);
        let in_channel = self.path.get(1).is_some_and(|p| p == "channel");
        if depth == 2 && in_channel && self.record == Record::None {
            let t = text.trim().to_owned();
            match name.as_str() {
                "title" => self.channel.title = t,
                "link" => self.channel.link = t,
                "wp:base_site_url" => self.channel.base_site_url = t,
                "wp:base_blog_url" => self.channel.base_blog_url = t,
                "wp:wxr_version" => self.channel.wxr_version = t,
                _ => {}
            }
            return Ok(None);
        }
        if depth == 2 && in_channel {
            let record = std::mem::replace(&mut self.record, Record::None);
            return Ok(Some(match record {
                Record::Author => Entry::Author(std::mem::take(&mut self.author)),
                Record::Category => Entry::Category(std::mem::take(&mut self.term)),
                Record::Tag => Entry::Tag(std::mem::take(&mut self.term)),
                Record::Item => {
                    let item = std::mem::take(&mut self.item);
                    self.last = item.label();
                    match self.fault.take() {
                        Some(message) => Entry::Faulty(ItemFault {
                            item: item.label(),
                            post_id: item.post_id,
                            message,
                        }),
                        None => Entry::Item(Box::new(item)),
                    }
                }
                Record::None => return Ok(None),
            }));
        }
        match self.record {
            Record::Author if depth == 3 => {
                let a = &mut self.author;
                let t = text.trim().to_owned();
                match name.as_str() {
                    "wp:author_id" => a.id = t,
                    "wp:author_login" => a.login = t,
                    "wp:author_email" => a.email = t,
                    "wp:author_display_name" => a.display_name = t,
                    "wp:author_first_name" => a.first_name = t,
                    "wp:author_last_name" => a.last_name = t,
                    _ => {}
                }
            }
            Record::Category | Record::Tag if depth == 3 => {
                let term = &mut self.term;
                let t = text.trim().to_owned();
                match name.as_str() {
                    "wp:category_nicename" | "wp:tag_slug" => term.slug = t,
                    "wp:cat_name" | "wp:tag_name" => term.name = t,
                    "wp:category_parent" => term.parent = t,
                    "wp:category_description" | "wp:tag_description" => term.description = t,
                    _ => {}
                }
            }
            Record::Item if depth == 3 => {
                let it = &mut self.item;
                match name.as_str() {
                    "title" => it.title = text.trim().to_owned(),
                    "link" => it.link = text.trim().to_owned(),
                    "dc:creator" => it.creator = text.trim().to_owned(),
                    "guid" => it.guid = text.trim().to_owned(),
                    "content:encoded" => it.content = text,
                    "excerpt:encoded" => it.excerpt = text,
                    "wp:post_id" => it.post_id = text.trim().parse().unwrap_or(0),
                    "wp:post_date" => it.post_date = text.trim().to_owned(),
                    "wp:post_date_gmt" => it.post_date_gmt = text.trim().to_owned(),
                    "wp:post_modified_gmt" => it.post_modified_gmt = text.trim().to_owned(),
                    "wp:post_name" => it.post_name = text.trim().to_owned(),
                    "wp:status" => it.status = text.trim().to_owned(),
                    "wp:post_parent" => it.post_parent = text.trim().parse().unwrap_or(0),
                    "wp:post_type" => it.post_type = text.trim().to_owned(),
                    "wp:post_password" => it.post_password = text,
                    "wp:is_sticky" => it.is_sticky = text.trim() == "1",
                    "wp:attachment_url" => it.attachment_url = text.trim().to_owned(),
                    "category" => {
                        if let Some(t) = it.terms.last_mut() {
                            t.name = text.trim().to_owned();
                        }
                    }
                    _ => {}
                }
            }
            Record::Item if depth == 4 && self.path.last().is_some_and(|p| p == "wp:postmeta") => {
                match name.as_str() {
                    "wp:meta_key" => self.meta_key = text.trim().to_owned(),
                    "wp:meta_value" => {
                        let key = std::mem::take(&mut self.meta_key);
                        self.item.meta.push((key, text));
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        Ok(None)
    }
}

/// The character an XML reference stands for: a character reference or
/// one of XML's five entities; `None` for any other entity (WordPress
/// exports and feeds never need one, and expanding declared entities is how
/// expansion bombs work).
pub(crate) fn resolve_ref(r: &quick_xml::events::BytesRef<'_>) -> Option<char> {
    match r.resolve_char_ref() {
        Ok(Some(c)) => Some(c),
        Ok(None) => match &**r {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => None,
        },
        Err(_) => None,
    }
}

/// A stable number for an item known by a string (a Ghost id, a feed
/// guid, a ninjs uri): records key items by number.
pub(crate) fn stable_number(key: &str) -> i64 {
    i64::from_str_radix(&newsdesk_media::sha256_hex(key.as_bytes())[..15], 16).unwrap_or(0)
}

/// An RFC 3339 or RFC 2822 time as WordPress writes dates
/// (`2024-05-01 09:30:00`, UTC); anything else is kept as written, so the
/// importer reports it as the impossible date it is.
pub(crate) fn wxr_time(s: &str) -> String {
    let s = s.trim();
    chrono::DateTime::parse_from_rfc3339(s)
        .or_else(|_| chrono::DateTime::parse_from_rfc2822(s))
        .map(|d| d.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|_| s.to_owned())
}

/// Reads every record of `input` (tests and small files).
pub fn read_all<R: Read>(input: R) -> Result<(Channel, Vec<Entry>), WxrError> {
    let mut r = WxrReader::new(input);
    let mut out = Vec::new();
    while let Some(e) = r.next_entry()? {
        out.push(e);
    }
    Ok((r.channel, out))
}

/// Passes UTF-8 through and turns every byte sequence that is not UTF-8
/// into U+FFFD, counting them: the XML reader can then go on past an item
/// written in another encoding, and that item alone is refused.
struct Utf8Guard<R> {
    inner: R,
    pending: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    eof: bool,
    bad: Rc<Cell<u64>>,
}

const REPLACEMENT: &[u8] = "\u{fffd}".as_bytes();

impl<R: Read> Read for Utf8Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.out.len() {
            if self.eof {
                return Ok(0);
            }
            self.out.clear();
            self.pos = 0;
            let mut chunk = vec![0u8; 64 * 1024];
            let n = self.inner.read(&mut chunk)?;
            if n == 0 {
                self.eof = true;
                if !self.pending.is_empty() {
                    self.pending.clear();
                    self.out.extend_from_slice(REPLACEMENT);
                    self.bad.set(self.bad.get() + 1);
                }
                continue;
            }
            self.pending.extend_from_slice(&chunk[..n]);
            let data = std::mem::take(&mut self.pending);
            let mut rest = &data[..];
            loop {
                match std::str::from_utf8(rest) {
                    Ok(s) => {
                        self.out.extend_from_slice(s.as_bytes());
                        break;
                    }
                    Err(e) => {
                        let valid = e.valid_up_to();
                        self.out.extend_from_slice(&rest[..valid]);
                        match e.error_len() {
                            Some(len) => {
                                self.out.extend_from_slice(REPLACEMENT);
                                self.bad.set(self.bad.get() + 1);
                                rest = &rest[valid + len..];
                            }
                            // A character cut by the chunk's end: wait for
                            // the rest of it.
                            None => {
                                self.pending.extend_from_slice(&rest[valid..]);
                                break;
                            }
                        }
                    }
                }
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
	<title>The Harbour Gazette</title>
	<link>https://old.test</link>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>https://old.test</wp:base_site_url>
	<wp:base_blog_url>https://old.test</wp:base_blog_url>
	<wp:author><wp:author_id>2</wp:author_id><wp:author_login><![CDATA[jdoe]]></wp:author_login><wp:author_email><![CDATA[jdoe@old.test]]></wp:author_email><wp:author_display_name><![CDATA[Jane Doe]]></wp:author_display_name><wp:author_first_name><![CDATA[Jane]]></wp:author_first_name><wp:author_last_name><![CDATA[Doe]]></wp:author_last_name></wp:author>
	<wp:category><wp:term_id>3</wp:term_id><wp:category_nicename><![CDATA[city]]></wp:category_nicename><wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[City &amp; Port]]></wp:cat_name></wp:category>
"#;

    fn item(body: &str) -> String {
        format!(
            r#"	<item>
		<title><![CDATA[Ferry returns]]></title>
		<dc:creator><![CDATA[jdoe]]></dc:creator>
		<content:encoded><![CDATA[{body}]]></content:encoded>
		<wp:post_id>12</wp:post_id>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_type><![CDATA[post]]></wp:post_type>
		<category domain="category" nicename="city"><![CDATA[City &amp; Port]]></category>
		<wp:postmeta><wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key><wp:meta_value><![CDATA[40]]></wp:meta_value></wp:postmeta>
		<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_content><![CDATA[Nice]]></wp:comment_content></wp:comment>
	</item>
"#
        )
    }

    fn doc(items: &str) -> String {
        format!("{HEAD}{items}</channel>\n</rss>\n")
    }

    #[test]
    fn reads_channel_users_terms_and_items() {
        let (ch, entries) = read_all(doc(&item("<p>Hello</p>")).as_bytes()).expect("reads");
        assert_eq!(ch.title, "The Harbour Gazette");
        assert_eq!(ch.base_site_url, "https://old.test");
        assert!(
            matches!(&entries[0], Entry::Author(a) if a.login == "jdoe" && a.display_name == "Jane Doe")
        );
        // CDATA is taken literally: `&amp;` inside it stays as written.
        assert!(
            matches!(&entries[1], Entry::Category(t) if t.slug == "city" && t.name == "City &amp; Port")
        );
        let Entry::Item(it) = &entries[2] else { panic!("{entries:?}") };
        assert_eq!(it.title, "Ferry returns");
        assert_eq!(it.content, "<p>Hello</p>");
        assert_eq!(it.post_id, 12);
        assert_eq!(it.meta("_thumbnail_id"), Some("40"));
        assert_eq!(it.comments, 1);
        assert_eq!(it.terms[0].domain, "category");
        assert_eq!(it.terms[0].nicename, "city");
    }

    #[test]
    fn truncated_files_name_where_they_stop() {
        let full = doc(&item("<p>Hello</p>"));
        let cut = &full[..full.find("<wp:status>").unwrap_or(0)];
        let mut r = WxrReader::new(cut.as_bytes());
        let err = loop {
            match r.next_entry() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("a truncated file read to its end"),
                Err(e) => break e,
            }
        };
        assert!(
            err.message.contains("truncated") || err.message.contains("not well-formed"),
            "{err}"
        );
        assert!(err.to_string().contains("12 “Ferry returns”"), "{err}");
    }

    #[test]
    fn entity_declarations_are_refused() {
        let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rss><channel><title>&lol2;</title></channel></rss>"#;
        let err = read_all(bomb.as_bytes()).expect_err("refused");
        assert!(err.message.contains("entities"), "{err}");
        let undefined = "<rss><channel><item><title>&nope;</title><wp:post_id>5</wp:post_id></item></channel></rss>";
        let (_, entries) = read_all(undefined.as_bytes()).expect("reads on");
        assert!(
            matches!(&entries[0], Entry::Faulty(f) if f.message.contains("&nope;") && f.post_id == 5),
            "{entries:?}"
        );
    }

    #[test]
    fn a_bad_item_spoils_only_itself() {
        let mut bytes =
            doc(&format!("{}{}", item("<p>caf\u{e9}</p>"), item("<p>ok</p>"))).into_bytes();
        // Make the first body Latin-1: é as the single byte 0xE9.
        let at = bytes.windows(2).position(|w| w == [0xC3, 0xA9]).unwrap_or(0);
        bytes.splice(at..at + 2, [0xE9]);
        let (_, entries) = read_all(&bytes[..]).expect("reads on");
        let items: Vec<_> =
            entries.iter().filter(|e| matches!(e, Entry::Item(_) | Entry::Faulty(_))).collect();
        assert!(
            matches!(items[0], Entry::Faulty(f) if f.message.contains("not UTF-8") && f.post_id == 12),
            "{items:?}"
        );
        assert!(matches!(items[1], Entry::Item(i) if i.content == "<p>ok</p>"));
        let big = doc(&item(&"x".repeat(3 * 1024 * 1024)));
        let mut r = WxrReader::new(big.as_bytes()).with_max_field(1024 * 1024);
        let mut faults = Vec::new();
        while let Some(e) = r.next_entry().expect("reads") {
            if let Entry::Faulty(f) = e {
                faults.push(f);
            }
        }
        assert_eq!(faults.len(), 1);
        assert!(faults[0].message.contains("content:encoded is larger than 1 MiB"), "{faults:?}");
    }

    #[test]
    fn other_encodings_and_other_documents_are_refused_clearly() {
        let latin = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss/>";
        let err = read_all(latin.as_bytes()).expect_err("refused");
        assert!(err.message.contains("ISO-8859-1"), "{err}");
        let html = "<html><body>hi</body></html>";
        let err = read_all(html.as_bytes()).expect_err("refused");
        assert!(err.message.contains("not a WordPress export"), "{err}");
    }
}
