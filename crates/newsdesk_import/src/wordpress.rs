//! `newsdesk import wordpress`: a WordPress export into articles, media,
//! authors, sections, tags and redirects.
//!
//! The file is read three times, as a stream each time: once through with
//! nothing written (a truncated or broken file changes nothing), then for
//! the site's people, terms and attachments (attachments become library
//! items), then for posts and pages. Each post is one transaction through the
//! application layer: its draft, its publication at the original date (or
//! its schedule), its old addresses as redirects and the note of where it
//! came from commit together or not at all.

use crate::html::{self, ImageRef, Piece, text_of};
use crate::report::Report;
use crate::wxr::{Entry, WpAuthor, WpItem, WpTerm, WxrReader};
use chrono::{DateTime, NaiveDateTime, Utc};
use newsdesk_app::media::Upload;
use newsdesk_app::sessions::Origin;
use newsdesk_app::{Newsroom, Write};
use newsdesk_core::{
    Actor, Article, ArticleStatus, Author, Block, Byline, Figure, Id, Media, Role, Section, Tag,
    slugify, validate_slug,
};
use newsdesk_db::ImportedItem;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Bumped when the importer changes what it makes of the same input, so a
/// second run brings already imported posts up to date.
const IMPORTER_VERSION: &str = "wordpress-1";

/// Largest image fetched over HTTP.
const MAX_IMAGE_BYTES: usize = 64 * 1024 * 1024;

/// How to import.
#[derive(Debug, Clone)]
pub struct Options {
    /// The site's `wp-content/uploads` folder, copied from the old server.
    pub uploads: Option<PathBuf>,
    /// Whether to fetch images over HTTP when they are not in `uploads`.
    pub fetch: bool,
    /// Whether fetching may reach loopback and private addresses (an
    /// old site on the same network).
    pub fetch_private: bool,
    /// Largest field read from the export.
    pub max_field: usize,
    /// The section WordPress pages go into (Newsdesk has no separate pages).
    pub pages_section: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            uploads: None,
            fetch: true,
            fetch_private: false,
            max_field: crate::wxr::MAX_FIELD_BYTES,
            pages_section: "pages".into(),
        }
    }
}

/// Told how far the import is: bytes read of the pass, the file's size,
/// and which pass (0: reading the file through, nothing written; 1: people,
/// terms and images; 2: posts).
pub trait Progress {
    /// Called now and then.
    fn advanced(&self, pass: u8, position: u64, total: u64);
}

impl<F: Fn(u8, u64, u64)> Progress for F {
    fn advanced(&self, pass: u8, position: u64, total: u64) {
        self(pass, position, total)
    }
}

#[derive(Debug, Clone)]
struct Attachment {
    media: Media,
    /// The credit the source gave, when it gave one.
    credit: Option<String>,
    alt: Option<String>,
    caption: Option<String>,
    title: String,
}

struct Run<'a> {
    room: &'a Newsroom,
    actor: &'a Actor,
    opts: &'a Options,
    /// `wordpress` or `ghost`.
    system: String,
    source: String,
    site_title: String,
    base: String,
    report: Report,
    authors: HashMap<String, Id>,
    wp_authors: HashMap<String, WpAuthor>,
    sections: HashMap<String, Id>,
    tags: HashMap<String, Id>,
    terms: HashMap<String, WpTerm>,
    attachments: HashMap<i64, Attachment>,
    by_url: HashMap<String, i64>,
    /// Pictures a post named that could not be found, so far.
    misses: usize,
    /// Sections (`true`) and tags made in the current post's transaction.
    made: Vec<(bool, String)>,
    /// Images found only by address, fetched once each.
    loose: HashMap<String, Option<Attachment>>,
    http: Option<reqwest::Client>,
    origin: Origin,
}

/// Records in the shape a WordPress export has them, from any source:
/// the WXR reader, or another system's export mapped onto it (Ghost).
pub trait EntrySource {
    /// The next record, `None` at the end.
    fn next_entry(&mut self) -> Result<Option<Entry>, crate::wxr::WxrError>;
    /// The site the records come from (complete once the first record
    /// was read).
    fn channel(&self) -> &crate::wxr::Channel;
    /// How far into the input, for progress.
    fn position(&self) -> u64;
}

impl<R: std::io::Read> EntrySource for WxrReader<R> {
    fn next_entry(&mut self) -> Result<Option<Entry>, crate::wxr::WxrError> {
        WxrReader::next_entry(self)
    }
    fn channel(&self) -> &crate::wxr::Channel {
        &self.channel
    }
    fn position(&self) -> u64 {
        WxrReader::position(self)
    }
}

/// Records already in memory (another system's export mapped onto them).
pub(crate) struct Records {
    channel: crate::wxr::Channel,
    entries: Vec<Entry>,
    at: usize,
}

impl Records {
    pub(crate) fn new(channel: crate::wxr::Channel, entries: Vec<Entry>) -> Records {
        Records { channel, entries, at: 0 }
    }
}

impl EntrySource for Records {
    fn next_entry(&mut self) -> Result<Option<Entry>, crate::wxr::WxrError> {
        let e = self.entries.get(self.at).cloned();
        self.at += 1;
        Ok(e)
    }
    fn channel(&self) -> &crate::wxr::Channel {
        &self.channel
    }
    fn position(&self) -> u64 {
        self.at as u64
    }
}

/// Imports the WordPress export at `path`.
pub async fn import(
    room: &Newsroom,
    actor: &Actor,
    path: &Path,
    opts: &Options,
    progress: &dyn Progress,
) -> anyhow::Result<Report> {
    let meta = std::fs::metadata(path)?;
    anyhow::ensure!(meta.is_file(), "{} is a folder, not an export file", path.display());
    let total = meta.len();
    {
        use std::io::Read as _;
        let mut head = [0u8; 256];
        let n = std::fs::File::open(path)?.read(&mut head)?;
        let first = head[..n]
            .iter()
            .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF);
        anyhow::ensure!(
            !matches!(first, Some(b'{' | b'[')),
            "this is not a WordPress export: it is JSON (a Ghost export? use `newsdesk import ghost`)"
        );
    }
    let open = || -> anyhow::Result<Box<dyn EntrySource>> {
        Ok(Box::new(WxrReader::new(std::fs::File::open(path)?).with_max_field(opts.max_field)))
    };
    // Pass 0: the file read to its end with nothing written, so that a
    // truncated or broken file changes nothing at all (the other
    // importers parse their whole input before the first write anyway).
    {
        let mut r = open()?;
        let mut n = 0u64;
        while r.next_entry()?.is_some() {
            n += 1;
            if n.is_multiple_of(256) {
                progress.advanced(0, r.position(), total);
            }
        }
        progress.advanced(0, total, total);
    }
    let report = Report::new("wordpress", &path.display().to_string());
    import_entries(room, actor, opts, "wordpress", report, &open, total, progress).await
}

/// Imports the records `open` reads (twice: people, terms and pictures
/// first, then posts), under the source name `system:site address`. A
/// streamed source is read through once before ([`import`] does so).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn import_entries(
    room: &Newsroom,
    actor: &Actor,
    opts: &Options,
    system: &str,
    report: Report,
    open: &dyn Fn() -> anyhow::Result<Box<dyn EntrySource>>,
    total: u64,
    progress: &dyn Progress,
) -> anyhow::Result<Report> {
    let mut run = Run {
        room,
        actor,
        opts,
        system: system.to_owned(),
        source: String::new(),
        site_title: String::new(),
        base: String::new(),
        report,
        authors: HashMap::new(),
        wp_authors: HashMap::new(),
        sections: HashMap::new(),
        tags: HashMap::new(),
        terms: HashMap::new(),
        attachments: HashMap::new(),
        by_url: HashMap::new(),
        loose: HashMap::new(),
        made: Vec::new(),
        misses: 0,
        http: None,
        origin: Origin { ip: "command line".into(), user_agent: "newsdesk import".into() },
    };
    for s in room.db().list_sections().await? {
        run.sections.insert(s.slug, s.id);
    }
    for t in room.db().list_tags().await? {
        run.tags.insert(t.slug, t.id);
    }
    for a in room.db().list_authors().await? {
        run.authors.insert(a.slug, a.id);
    }
    if opts.fetch {
        run.http = client();
    }

    // Pass 1: people, terms, attachments.
    let mut r = open()?;
    let mut n = 0u64;
    while let Some(entry) = r.next_entry()? {
        if run.source.is_empty() {
            run.begin(r.channel());
        }
        match entry {
            Entry::Author(a) => {
                let who = format!("user {}", a.login);
                if let Err(e) = run.author(a).await {
                    give_up_if_down(&e)?;
                    run.report.failed(&who, &format!("{e:#}"));
                }
            }
            Entry::Category(t) | Entry::Tag(t) => {
                run.terms.insert(t.slug.clone(), t);
            }
            Entry::Item(it) if it.post_type == "attachment" => run.attachment(*it).await?,
            Entry::Faulty(f) => run.report.failed(&f.item, &f.message),
            Entry::Item(_) => {}
        }
        n += 1;
        if n.is_multiple_of(64) {
            progress.advanced(1, r.position(), total);
        }
    }
    progress.advanced(1, total, total);

    drop(r);

    // Pass 2: posts and pages.
    let mut r = open()?;
    while let Some(entry) = r.next_entry()? {
        if let Entry::Item(it) = entry {
            match it.post_type.as_str() {
                "post" | "page" => {
                    let label = it.label();
                    if let Err(e) = run.post(*it).await {
                        give_up_if_down(&e)?;
                        run.report.failed(&label, &format!("{e:#}"));
                    }
                }
                "attachment" => {}
                other => run.report.skip(&format!("{other} items (not content)")),
            }
        }
        progress.advanced(2, r.position(), total);
    }
    progress.advanced(2, total, total);
    if run.report.count("imported", "post") + run.report.count("updated", "post") > 0 {
        // Related stories were left out of each publication: one pass now.
        room.request_related_rebuild(actor).await?;
    }
    Ok(run.report)
}

/// An item's failure is the item's, except when the database is down:
/// then nothing else can be imported either.
fn give_up_if_down(e: &anyhow::Error) -> anyhow::Result<()> {
    match e.downcast_ref::<newsdesk_app::Error>() {
        Some(newsdesk_app::Error::Unavailable(_)) => Err(anyhow::anyhow!("{e:#}")),
        _ => Ok(()),
    }
}

fn fingerprint(parts: &[&str]) -> String {
    let mut joined = String::from(IMPORTER_VERSION);
    for p in parts {
        joined.push('\u{1f}');
        joined.push_str(p);
    }
    newsdesk_media::sha256_hex(joined.as_bytes())
}

/// A WordPress date (`2024-05-01 09:30:00`) as UTC; `None` for the zero
/// date WordPress writes for drafts.
fn wp_date(s: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
    let s = s.trim();
    if s.is_empty() || s.starts_with("0000-00-00") {
        return Ok(None);
    }
    let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .map_err(|_| anyhow::anyhow!("the date {s:?} is not a real date and time"))?;
    Ok(Some(t.and_utc()))
}

/// The path of an address on the old site, without a trailing slash.
fn old_path(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = &rest[rest.find('/')?..];
    let path = path.split('#').next().unwrap_or_default();
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let trimmed = path.trim_end_matches('/');
    let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
    Some(match query {
        Some(q) if !q.is_empty() => format!("{trimmed}?{q}"),
        _ => trimmed.to_owned(),
    })
}

/// A client for fetching pictures and feeds: no proxy, no automatic
/// redirects (each hop is checked by [`fetch_with`]).
pub(crate) fn client() -> Option<reqwest::Client> {
    newsdesk_app::integrations::install_tls();
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .ok()
}

/// GETs `url` and its redirects, each address checked to be public unless
/// `private` allows otherwise; at most `max` bytes.
pub(crate) async fn fetch_with(
    http: &reqwest::Client,
    url: &str,
    private: bool,
    max: usize,
) -> Result<Vec<u8>, String> {
    // Redirects are followed here, each address checked first: an
    // export must not make this server fetch from its own network.
    let mut at = url.to_owned();
    let mut hops = 0;
    let mut res = loop {
        if !private {
            check_public(&at).await?;
        }
        let res = http.get(&at).send().await.map_err(|e| format!("fetching failed: {e}"))?;
        if !res.status().is_redirection() {
            break res;
        }
        hops += 1;
        let next = res
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| res.url().join(l).ok());
        match next {
            Some(n) if hops <= 5 => at = n.to_string(),
            _ => {
                return Err(format!(
                    "the server answered {} without a usable address",
                    res.status()
                ));
            }
        }
    };
    if !res.status().is_success() {
        return Err(format!("the server answered {}", res.status()));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| format!("fetching failed: {e}"))? {
        if bytes.len() + chunk.len() > max {
            return Err(format!("larger than {} MiB", max / (1024 * 1024)));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Fetches a feed or file at `url` (see [`fetch_with`]).
pub(crate) async fn fetch_public(url: &str, private: bool, max: usize) -> Result<Vec<u8>, String> {
    let http = client().ok_or("no HTTP client could be made")?;
    fetch_with(&http, url, private, max).await
}

/// Refuses an address whose host resolves to a loopback, private or
/// otherwise internal address.
async fn check_public(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a web address: {e}"))?;
    let host = parsed.host_str().ok_or("not a web address: no host")?.to_owned();
    let port = parsed.port_or_known_default().unwrap_or(80);
    let addrs = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| format!("{host} cannot be resolved: {e}"))?;
    for a in addrs {
        if !newsdesk_app::integrations::is_public(a.ip()) {
            return Err(format!(
                "{host} is on a private network ({}); copy the files and give --uploads, or allow it with --fetch-private",
                a.ip()
            ));
        }
    }
    Ok(())
}

/// Whether `p` is a plain path of a site: one leading slash, no `.` or
/// `..` segment, no backslash, whitespace or control character (an export
/// is input: its addresses become redirects and, in a static export,
/// folders).
fn plain_site_path(p: &str) -> bool {
    let path = p.split('?').next().unwrap_or_default();
    p.starts_with('/')
        && !p.starts_with("//")
        && !p.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\')
        && path.split('/').skip(1).all(|seg| seg != "." && seg != "..")
}

/// The address of the original upload an image address shows: sizes
/// WordPress made (`photo-1024x683.jpg`) name their original
/// (`photo.jpg`); queries are dropped.
fn original_url(src: &str) -> String {
    let src = src.split(['?', '#']).next().unwrap_or_default();
    let (stem, ext) = match src.rsplit_once('.') {
        Some((s, e)) if !e.contains('/') => (s, Some(e)),
        _ => (src, None),
    };
    let stem = match stem.rsplit_once('-') {
        Some((head, size))
            if size.split_once('x').is_some_and(|(w, h)| {
                !w.is_empty()
                    && !h.is_empty()
                    && w.chars().chain(h.chars()).all(|c| c.is_ascii_digit())
            }) =>
        {
            head
        }
        _ => stem,
    };
    let scheme_less = stem.split_once("://").map_or(stem, |(_, r)| r);
    match ext {
        Some(e) => format!("{scheme_less}.{}", e.to_ascii_lowercase()),
        None => scheme_less.to_owned(),
    }
}

/// A category's or tag's slug here: its slug there when valid, else one
/// made from its name, else (a name in a script slugs cannot spell, such
/// as "Новости") one made from the slug there, so two such terms never
/// merge.
fn term_slug(slug: &str, name: &str) -> String {
    if validate_slug(slug).is_ok() {
        return slug.to_owned();
    }
    let made = slugify(&text_of(name));
    if made != "untitled" && validate_slug(&made).is_ok() {
        return made;
    }
    let key = if slug.is_empty() { name } else { slug };
    format!("term-{}", &newsdesk_media::sha256_hex(key.as_bytes())[..10])
}

/// WordPress shortcodes into the HTML they stand for: captions become
/// figures, galleries their images, embeds frames (kept as links).
pub fn expand_shortcodes(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    // Shortcodes whose closing tag the rest of the body lacks: not looked
    // for again (a body of ten thousand unclosed `[embed]`s stays linear).
    let mut unclosed: std::collections::HashSet<String> = std::collections::HashSet::new();
    while let Some(at) = rest.find('[') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let name: String =
            tail[1..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        // A shortcode's attributes are short: a `]` far away is not its end.
        let window = &tail.as_bytes()[..tail.len().min(4096)];
        let Some(close) = window.iter().position(|&b| b == b']') else {
            out.push('[');
            rest = &tail[1..];
            continue;
        };
        let attrs = &tail[1 + name.len()..close];
        let after = &tail[close + 1..];
        let end_tag = format!("[/{name}]");
        let find_end = |after: &str, unclosed: &mut std::collections::HashSet<String>| {
            if unclosed.contains(&name) {
                return None;
            }
            let found = after.find(&end_tag);
            if found.is_none() {
                unclosed.insert(name.clone());
            }
            found
        };
        match name.as_str() {
            "caption" | "wp_caption" => {
                let (inner, next) = match find_end(after, &mut unclosed) {
                    Some(e) => (&after[..e], &after[e + end_tag.len()..]),
                    // No end: the caption is the image that follows.
                    None => {
                        let e = after.find('>').map_or(after.len(), |e| e + 1);
                        (&after[..e], &after[e..])
                    }
                };
                let split = inner.rfind('>').map_or(0, |p| p + 1);
                let mut caption = inner[split..].trim().to_owned();
                if caption.is_empty() {
                    caption = shortcode_attr(attrs, "caption").unwrap_or_default();
                }
                out.push_str("<figure>");
                out.push_str(&inner[..split]);
                out.push_str("<figcaption>");
                out.push_str(&caption);
                out.push_str("</figcaption></figure>");
                rest = next;
            }
            "gallery" => {
                for id in shortcode_attr(attrs, "ids").unwrap_or_default().split(',') {
                    if let Ok(id) = id.trim().parse::<i64>() {
                        out.push_str(&format!("<figure><img data-id=\"{id}\"></figure>"));
                    }
                }
                rest = after;
            }
            "embed" | "video" | "audio" => {
                let (url, next) = match find_end(after, &mut unclosed) {
                    Some(e) => (after[..e].trim().to_owned(), &after[e + end_tag.len()..]),
                    None => (String::new(), after),
                };
                let url = shortcode_attr(attrs, "src")
                    .or_else(|| shortcode_attr(attrs, "mp4"))
                    .or_else(|| shortcode_attr(attrs, "mp3"))
                    .unwrap_or(url);
                out.push_str(&format!("<iframe src=\"{}\"></iframe>", url.replace('"', "&quot;")));
                rest = next;
            }
            _ => {
                out.push('[');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn shortcode_attr(attrs: &str, key: &str) -> Option<String> {
    let at = attrs.find(&format!("{key}="))?;
    let v = &attrs[at + key.len() + 1..];
    let (quote, v) = match v.chars().next() {
        Some(q @ ('"' | '\'')) => (Some(q), &v[1..]),
        _ => (None, v),
    };
    let end = match quote {
        Some(q) => v.find(q).unwrap_or(v.len()),
        None => v.find(char::is_whitespace).unwrap_or(v.len()),
    };
    Some(v[..end].to_owned())
}

impl Run<'_> {
    fn begin(&mut self, ch: &crate::wxr::Channel) {
        let base = if ch.base_site_url.is_empty() { &ch.link } else { &ch.base_site_url };
        self.base = base.trim_end_matches('/').to_owned();
        self.source = format!("{}:{}", self.system, self.base);
        self.site_title = text_of(&ch.title);
        self.report.source = self.source.clone();
    }

    async fn imported(&self, kind: &str, ext: &str) -> anyhow::Result<Option<ImportedItem>> {
        Ok(self.room.db().imported_item(&self.source, kind, ext).await?)
    }

    async fn author(&mut self, a: WpAuthor) -> anyhow::Result<()> {
        let name = {
            let n = text_of(&a.display_name);
            if n.is_empty() { a.login.clone() } else { n }
        };
        let slug = slugify(&a.login);
        self.wp_authors.insert(a.login.clone(), a.clone());
        if let Some(done) = self.imported("author", &a.login).await? {
            self.authors.insert(a.login.clone(), done.local_id);
            self.report.unchanged("author");
            return Ok(());
        }
        let id = match self.authors.get(&slug) {
            Some(id) => *id,
            None => {
                let made = self
                    .room
                    .create_author(
                        self.actor,
                        Author {
                            id: 0,
                            name: name.clone(),
                            slug: slug.clone(),
                            title: None,
                            bio: String::new(),
                            photo_media_id: None,
                        },
                    )
                    .await?;
                self.authors.insert(slug, made.id);
                made.id
            }
        };
        if !a.email.trim().is_empty() {
            match self
                .room
                .add_dormant_user(self.actor, &a.email, &name, Role::Author, Some(id), &self.origin)
                .await
            {
                Ok(_) => self.report.imported("account (disabled)"),
                Err(e) => self.report.note(&format!("no account for {}: {e}", a.login)),
            }
        }
        let mut w = self.room.begin(self.actor).await?;
        let item = ImportedItem { local_id: id, fingerprint: fingerprint(&[&a.login]) };
        let now = Utc::now();
        w.tx().note_imported(&self.source, "author", &a.login, &item, now).await?;
        w.commit().await?;
        self.authors.insert(a.login, id);
        self.report.imported("author");
        Ok(())
    }

    /// The bytes of an upload: from the uploads folder when it has the
    /// file, else over HTTP when allowed.
    async fn image_bytes(&self, url: &str, relative: Option<&str>) -> Result<Vec<u8>, String> {
        // Where the old site keeps uploads: WordPress under
        // `wp-content/uploads`, Ghost under `content/images`.
        let relative = relative.map(str::to_owned).or_else(|| {
            ["/wp-content/uploads/", "/content/images/"].iter().find_map(|marker| {
                url.split_once(marker)
                    .map(|(_, r)| r.split(['?', '#']).next().unwrap_or_default().to_owned())
            })
        });
        if let (Some(dir), Some(rel)) = (&self.opts.uploads, &relative) {
            let safe = !rel.is_empty()
                && Path::new(rel)
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)));
            if safe {
                let p = dir.join(rel);
                match tokio::fs::read(&p).await {
                    Ok(b) => return Ok(b),
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(format!("{}: {e}", p.display()));
                    }
                    Err(_) => {}
                }
            }
        }
        let Some(http) = &self.http else {
            return Err(
                "not in the uploads folder (--uploads, --images), and fetching is off".into()
            );
        };
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(
                "not in the uploads folder (--uploads, --images), and not a web address".into()
            );
        }
        fetch_with(http, url, self.opts.fetch_private, MAX_IMAGE_BYTES).await
    }

    async fn upload(&self, url: &str, relative: Option<&str>) -> Result<Media, String> {
        let bytes = self.image_bytes(url, relative).await?;
        let file_name = url.rsplit('/').next().unwrap_or("image").to_owned();
        self.room
            .upload_media(self.actor, Upload { bytes, file_name }, &self.origin)
            .await
            .map(|u| u.media)
            .map_err(|e| e.to_string())
    }

    async fn attachment(&mut self, it: WpItem) -> anyhow::Result<()> {
        let alt = it.meta("_wp_attachment_image_alt").map(text_of).filter(|s| !s.is_empty());
        let caption = Some(text_of(&it.excerpt)).filter(|s| !s.is_empty());
        let title = text_of(&it.title);
        let ext = it.post_id.to_string();
        let url = it.attachment_url.clone();
        let media = match self.imported("attachment", &ext).await? {
            Some(done) => match self.room.db().media(done.local_id).await {
                Ok(m) => {
                    self.report.unchanged("image");
                    Some(m)
                }
                _ => None,
            },
            None => None,
        };
        let media = match media {
            Some(m) => m,
            None => match self.upload(&url, it.meta("_wp_attached_file")).await {
                Ok(m) => {
                    let mut w = self.room.begin(self.actor).await?;
                    let item = ImportedItem { local_id: m.id, fingerprint: fingerprint(&[&url]) };
                    w.tx()
                        .note_imported(&self.source, "attachment", &ext, &item, Utc::now())
                        .await?;
                    w.commit().await?;
                    self.report.imported("image");
                    m
                }
                Err(e) => {
                    self.report.missing_image(&url, &e);
                    return Ok(());
                }
            },
        };
        self.by_url.insert(original_url(&url), it.post_id);
        let credit = it.meta("_newsdesk_credit").map(str::to_owned);
        self.attachments.insert(it.post_id, Attachment { media, credit, alt, caption, title });
        Ok(())
    }

    /// The library item an image of a body shows.
    async fn resolve(&mut self, img: &ImageRef) -> Option<Attachment> {
        if let Some(a) = img.attachment.and_then(|id| self.attachments.get(&id)) {
            return Some(a.clone());
        }
        if img.src.is_empty() {
            self.misses += 1;
            self.report.missing_image(
                &format!("attachment {}", img.attachment.unwrap_or(0)),
                "not in the export",
            );
            return None;
        }
        if let Some(a) =
            self.by_url.get(&original_url(&img.src)).and_then(|id| self.attachments.get(id))
        {
            return Some(a.clone());
        }
        if let Some(known) = self.loose.get(&img.src) {
            let known = known.clone();
            if known.is_none() {
                self.misses += 1;
            }
            return known;
        }
        let got = match self.upload(&img.src, None).await {
            Ok(media) => {
                self.report.imported("image");
                Some(Attachment {
                    media,
                    credit: None,
                    alt: None,
                    caption: None,
                    title: String::new(),
                })
            }
            Err(e) => {
                self.report.missing_image(&img.src, &e);
                None
            }
        };
        if got.is_none() {
            self.misses += 1;
        }
        self.loose.insert(img.src.clone(), got.clone());
        got
    }

    /// A figure for `a`, its texts taken from the image in the body, then
    /// from the library item; a figure must have alt text and a credit to
    /// be published, so missing ones are filled in and counted.
    fn figure(&mut self, a: &Attachment, alt: Option<String>, caption: Option<String>) -> Figure {
        let caption = caption.or_else(|| a.caption.clone());
        let alt = alt.or_else(|| a.alt.clone()).or_else(|| a.media.alt.clone()).or_else(|| {
            let from = caption.clone().or_else(|| Some(a.title.clone()).filter(|t| !t.is_empty()));
            if from.is_some() {
                self.report.note("alt text taken from an image's caption or title");
            }
            from
        });
        let credit = a
            .credit
            .clone()
            .or_else(|| a.media.credit.clone())
            .filter(|c| !c.trim().is_empty())
            .or_else(|| {
                self.report.note("images without a credit credited to the site they came from");
                Some(self.site_title.clone()).filter(|t| !t.is_empty())
            });
        Figure { media_id: a.media.id, alt, caption, credit }
    }

    async fn section(&mut self, w: &mut Write, slug: &str, name: &str) -> anyhow::Result<Id> {
        let mut slug = term_slug(slug, name);
        // A slug the site's own addresses use (`tag`, `search`, `api`…)
        // cannot be a section's: the section gets a longer one.
        if newsdesk_core::RESERVED_SECTION_SLUGS.contains(&slug.as_str()) {
            slug.push_str("-section");
            self.report.note("categories whose slug the site uses for itself got a longer one");
        }
        if let Some(id) = self.sections.get(&slug) {
            return Ok(*id);
        }
        let description =
            self.terms.get(&slug).map(|t| text_of(&t.description)).unwrap_or_default();
        let section = Section {
            id: 0,
            name: text_of(name),
            slug: slug.clone(),
            position: self.sections.len() as i32,
            description,
        };
        let made = w.create_section(&section).await?;
        self.report.imported("section");
        self.made.push((true, slug.clone()));
        self.sections.insert(slug, made.id);
        Ok(made.id)
    }

    async fn tag(&mut self, w: &mut Write, slug: &str, name: &str) -> anyhow::Result<Id> {
        let slug = term_slug(slug, name);
        if let Some(id) = self.tags.get(&slug) {
            return Ok(*id);
        }
        let made = w.create_tag(&Tag { id: 0, name: text_of(name), slug: slug.clone() }).await?;
        self.report.imported("tag");
        self.made.push((false, slug.clone()));
        self.tags.insert(slug, made.id);
        Ok(made.id)
    }

    /// The byline of a post by `login`: its author, made on the spot for
    /// a login the export's users do not list.
    async fn byline(&mut self, login: &str) -> anyhow::Result<Byline> {
        Ok(match self.authors.get(login) {
            Some(id) => Byline::Author { author_id: *id },
            None if login.trim().is_empty() => Byline::Credit { text: self.site_title.clone() },
            None => {
                self.author(WpAuthor {
                    login: login.to_owned(),
                    display_name: login.to_owned(),
                    ..WpAuthor::default()
                })
                .await?;
                self.authors.get(login).map_or(Byline::Credit { text: login.to_owned() }, |id| {
                    Byline::Author { author_id: *id }
                })
            }
        })
    }

    async fn post(&mut self, it: WpItem) -> anyhow::Result<()> {
        self.made.clear();
        let result = self.post_inner(it).await;
        if result.is_err() {
            // Rolled back with the post: forget them.
            for (section, slug) in std::mem::take(&mut self.made) {
                if section {
                    self.sections.remove(&slug);
                } else {
                    self.tags.remove(&slug);
                }
            }
        }
        result
    }

    async fn post_inner(&mut self, it: WpItem) -> anyhow::Result<()> {
        let ext = it.post_id.to_string();
        let kind = it.post_type.clone();
        let target = match it.status.as_str() {
            "publish" => ArticleStatus::Published,
            "future" => ArticleStatus::Scheduled,
            "pending" => ArticleStatus::Review,
            "draft" | "private" => ArticleStatus::Draft,
            other => {
                self.report.skip(&format!("{kind}s with status {other}"));
                return Ok(());
            }
        };
        if it.status == "private" {
            self.report.note("private posts imported as drafts");
        }
        if !it.post_password.is_empty() {
            self.report.note("password-protected posts imported as drafts");
        }
        let target = if it.post_password.is_empty() { target } else { ArticleStatus::Draft };
        self.report.comments_skipped += it.comments;
        let terms: Vec<String> =
            it.terms.iter().map(|t| format!("{}:{}", t.domain, t.nicename)).collect();
        let print = fingerprint(&[
            &it.title,
            &it.content,
            &it.excerpt,
            &it.status,
            &it.post_date_gmt,
            &it.post_name,
            &it.creator,
            &terms.join(","),
            it.meta("_thumbnail_id").unwrap_or_default(),
            &it.post_password,
            &it.seo_title,
            &it.social_title,
            &it.more_creators.join(","),
        ]);
        // Items that say when they were last changed (ninjs
        // `versioncreated`, feeds' `updated`, WordPress's modified date):
        // an older version than the one imported is not taken.
        let stamp = wp_date(&it.post_modified_gmt)
            .ok()
            .flatten()
            .map(|d| d.format("%Y%m%dT%H%M%S").to_string());
        let print = match &stamp {
            Some(s) => format!("{print}@{s}"),
            None => print,
        };
        let before = self.imported("post", &ext).await?;
        let stamp_before = before.as_ref().and_then(|b| {
            b.fingerprint
                .split_once('@')
                .map(|(_, rest)| rest.split(':').next().unwrap_or_default().to_owned())
        });
        if let (Some(old), Some(new)) = (&stamp_before, &stamp)
            && old > new
        {
            self.report.skip("older versions of items already imported");
            return Ok(());
        }
        if let Some(b) = &before
            && b.fingerprint == print
        {
            self.report.unchanged("post");
            return Ok(());
        }
        // Unchanged, but imported without some of its pictures: worth
        // another look only if they can be found now.
        let missed_before: Option<usize> = before.as_ref().and_then(|b| {
            b.fingerprint.strip_prefix(&format!("{print}:missing:")).and_then(|n| n.parse().ok())
        });
        let date = match wp_date(&it.post_date_gmt)? {
            Some(d) => Some(d),
            None => wp_date(&it.post_date)?,
        };

        // The body.
        let converted = html::convert(&expand_shortcodes(&it.content));
        let misses_before = self.misses;
        let mut body = Vec::with_capacity(converted.pieces.len());
        for p in converted.pieces {
            match p {
                Piece::Block(b) => body.push(b),
                Piece::Image(img) => {
                    if let Some(a) = self.resolve(&img).await {
                        body.push(Block::Figure(self.figure(
                            &a,
                            img.alt.clone(),
                            img.caption.clone(),
                        )));
                    }
                }
            }
        }
        let lead = match it.meta("_thumbnail_id").and_then(|v| v.trim().parse::<i64>().ok()) {
            Some(id) => match self.attachments.get(&id).cloned() {
                Some(a) => Some(self.figure(&a, None, None)),
                None => {
                    self.misses += 1;
                    self.report.missing_image(
                        &format!("the featured image of {}", it.label()),
                        "not imported",
                    );
                    None
                }
            },
            None => None,
        };
        let missed = self.misses - misses_before;
        if missed_before.is_some_and(|n| missed >= n) {
            self.report.unchanged("post");
            return Ok(());
        }
        for n in &converted.notes {
            self.report.note(n);
        }
        // A featured image shown again as the body's first figure shows
        // twice: the body keeps it only once, as the lead.
        if let (Some(l), Some(Block::Figure(f))) = (&lead, body.first())
            && l.media_id == f.media_id
        {
            body.remove(0);
        }

        // Pictures first: the library takes each in its own transaction,
        // and SQLite has one writer.
        let mut bylines = vec![self.byline(&it.creator).await?];
        for login in &it.more_creators {
            let b = self.byline(login).await?;
            if !bylines.contains(&b) {
                bylines.push(b);
            }
        }
        let now = Utc::now();
        let mut w = self.room.begin(self.actor).await?.bulk();
        // Taxonomy: the first category is the section, the others and
        // the tags are tags; pages go into their own section. Made in the
        // post's transaction: a post that fails leaves none behind.
        let mut section = None;
        let mut tags = Vec::new();
        if kind == "page" {
            let slug = self.opts.pages_section.clone();
            section = Some(self.section(&mut w, &slug, "Pages").await?);
        }
        for t in &it.terms {
            match t.domain.as_str() {
                "category" if section.is_none() => {
                    section = Some(self.section(&mut w, &t.nicename, &t.name).await?);
                }
                "category" | "post_tag" => {
                    tags.push(self.tag(&mut w, &t.nicename, &t.name).await?);
                }
                _ => {}
            }
        }
        if section.is_none() {
            section = Some(self.section(&mut w, "uncategorized", "Uncategorized").await?);
        }
        let headline = {
            let t = text_of(&it.title);
            if t.is_empty() { "(untitled)".to_owned() } else { t }
        };
        let slug = if validate_slug(&it.post_name).is_ok() {
            it.post_name.clone()
        } else {
            slugify(&headline)
        };
        let existing = match &before {
            Some(b) => w.tx().find_article_versioned(b.local_id).await.ok(),
            None => None,
        };
        let mut a = match &existing {
            Some((a, _)) => a.clone(),
            None => {
                // Last changed when the old site last changed it.
                let changed = wp_date(&it.post_modified_gmt).ok().flatten().or(date);
                Article::draft(headline.clone(), changed.map_or(now, |c| c.min(now)))
            }
        };
        a.headlines.display = headline;
        a.headlines.seo = Some(text_of(&it.seo_title)).filter(|t| !t.is_empty());
        a.headlines.social = Some(text_of(&it.social_title)).filter(|t| !t.is_empty());
        a.dek = text_of(&it.excerpt);
        a.section_id = section;
        a.tags = tags;
        a.bylines = bylines;
        if !it.sources.is_empty() {
            a.sources = it.sources.clone();
        }
        a.lead = lead;
        a.body = body;
        if existing.is_none() {
            a.slug = slug;
            a.status = if target == ArticleStatus::Review {
                ArticleStatus::Review
            } else {
                ArticleStatus::Draft
            };
        }
        let saved = match existing {
            Some((_, v)) => w.save(a, v).await?,
            None => w.create_draft(a).await?,
        };
        let id = saved.article.id;
        let status = match target {
            ArticleStatus::Published if saved.article.status != ArticleStatus::Published => {
                let at = date.unwrap_or(now);
                match w.publish_as_of(id, at).await {
                    Ok(s) => s.article.status,
                    Err(newsdesk_app::Error::Unpublishable(problems)) => {
                        let why: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
                        self.report.kept_draft(&it.label(), &why.join("; "));
                        saved.article.status
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            ArticleStatus::Scheduled if saved.article.status != ArticleStatus::Scheduled => {
                match date.filter(|d| *d > now) {
                    Some(at) => w.schedule(id, at, None).await?.article.status,
                    None => w.publish_as_of(id, date.unwrap_or(now)).await?.article.status,
                }
            }
            // Taken down on the old site since the last import.
            ArticleStatus::Draft | ArticleStatus::Review
                if saved.article.status == ArticleStatus::Published =>
            {
                w.unpublish(id).await?.article.status
            }
            _ => saved.article.status,
        };
        if status == ArticleStatus::Published {
            self.old_addresses(&mut w, &it, id, now).await?;
        }
        // A post imported without some of its pictures is imported again
        // next time (with `--uploads` added, say), whatever else changed.
        let print = if missed > 0 { format!("{print}:missing:{missed}") } else { print };
        let item = ImportedItem { local_id: id, fingerprint: print };
        w.tx().note_imported(&self.source, "post", &ext, &item, now).await?;
        w.commit().await?;
        if before.is_some() {
            self.report.updated("post");
        } else {
            self.report.imported("post");
        }
        Ok(())
    }

    /// The addresses the post had: its permalink, `/?p=ID`, and the plain
    /// `/slug` and dated `/YYYY/MM/DD/slug` forms WordPress also answers.
    async fn old_addresses(
        &mut self,
        w: &mut Write,
        it: &WpItem,
        id: Id,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        // A feed's items lived on someone else's site: their addresses are
        // not this site's to answer.
        if matches!(self.system.as_str(), "feed" | "ninjs") {
            return Ok(());
        }
        let mut paths = Vec::new();
        if let Some(p) = old_path(&it.link) {
            paths.push(p);
        }
        if self.system == "wordpress" {
            paths.push(format!("/?p={}", it.post_id));
            if it.post_type == "page" {
                paths.push(format!("/?page_id={}", it.post_id));
            }
        }
        if validate_slug(&it.post_name).is_ok() {
            paths.push(format!("/{}", it.post_name));
            if let Ok(Some(d)) = wp_date(&it.post_date) {
                paths.push(format!("/{}/{}", d.format("%Y/%m/%d"), it.post_name));
            }
        }
        paths.sort();
        paths.dedup();
        for p in paths {
            if p == "/" || p.starts_with("/wp-") || !plain_site_path(&p) {
                continue;
            }
            if w.tx().add_old_address(&p, id, now).await? {
                self.report.redirects += 1;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcodes_become_html() {
        let s = expand_shortcodes(
            "a [caption id=\"attachment_7\" width=\"300\"]<a href=\"x\"><img class=\"wp-image-7\" src=\"s.jpg\" /></a> The quay[/caption] b [gallery ids=\"1, 2\"] [embed]https://video.test/v[/embed] [sic]",
        );
        assert_eq!(
            s,
            "a <figure><a href=\"x\"><img class=\"wp-image-7\" src=\"s.jpg\" /></a><figcaption>The quay</figcaption></figure> b \
             <figure><img data-id=\"1\"></figure><figure><img data-id=\"2\"></figure> <iframe src=\"https://video.test/v\"></iframe> [sic]"
        );
    }

    #[test]
    fn image_addresses_name_their_original() {
        assert_eq!(
            original_url("https://old.test/wp-content/uploads/2024/05/boat-1024x683.JPG?x=1"),
            "old.test/wp-content/uploads/2024/05/boat.jpg"
        );
        assert_eq!(original_url("http://old.test/a/boat-x.jpg"), "old.test/a/boat-x.jpg");
    }

    #[test]
    fn old_paths_and_dates() {
        assert_eq!(
            old_path("https://old.test/2024/05/01/ferry/").as_deref(),
            Some("/2024/05/01/ferry")
        );
        assert_eq!(old_path("https://old.test/?p=12").as_deref(), Some("/?p=12"));
        assert_eq!(old_path("https://old.test").as_deref(), None);
        assert!(wp_date("0000-00-00 00:00:00").expect("zero").is_none());
        assert!(wp_date("2024-02-30 10:00:00").is_err());
        assert_eq!(
            wp_date("2024-05-01 09:30:00").expect("date").map(|d| d.to_rfc3339()),
            Some("2024-05-01T09:30:00+00:00".into())
        );
    }
}
