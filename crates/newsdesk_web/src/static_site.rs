//! `newsdesk export static DIR`: the public site as files for any static
//! host or CDN.
//!
//! The exporter asks the site's own router for every page, the way a
//! reader's browser would, starting from the home page, the sitemaps, the
//! feeds and `robots.txt`, and following every link of this site that it
//! finds; so every page a page links to is exported, and the files are the
//! bytes the server would send. HTML pages become `PATH/index.html`; list
//! pages `?page=N` become `PATH/page/N/` (links rewritten to match); media
//! files are hard-linked (copied across file systems) from the media
//! folder. Old addresses become `_redirects` lines (Netlify, Cloudflare
//! Pages) and small pages that send the browser on. Search needs a server
//! and is left out.
//!
//! Article pages, most of the site, are built ahead of the crawl a batch
//! at a time ([`ARTICLE_BATCH`]): the batch's articles and what their
//! pages show (rails, pictures, timeline links) are read in four or five
//! queries, not four or five per page, and each page is rendered by the article
//! route's own code ([`pages::article_page`]) and left in the site's page
//! cache, where the crawl's request for it finds it. The request still
//! goes through the router, so the file is what a reader would be sent.
//! List pages (sections, tags, authors) are built ahead the same way, a
//! run of one list's pages from one read of its cards
//! (`pages::list_pages`), small lists sharing a batch.
//!
//! A second run writes only files whose bytes changed and removes files
//! the site no longer has, using the list kept in `.newsdesk-static.json`
//! (each file's length and 64-bit hash, [`file_hash`]).

use crate::App;
use crate::controllers::site::pages;
use crate::views;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;

const MANIFEST: &str = ".newsdesk-static.json";

/// Article pages built together ahead of the crawl (list pages: half as
/// many).
pub const ARTICLE_BATCH: usize = 48;

/// How many pages the site's cache must hold during an export that asks
/// for `parallel` pages at once: each is asked for once, so only a feed's
/// other formats (until they are asked for, a few pages later) and the
/// article and list pages built ahead wait there (at most two batches a
/// lane).
/// Call it after [`crate::lane::use_threads`]: it starts the lanes.
pub fn cache_entries(parallel: usize) -> usize {
    (4 * parallel).max(64) + 2 * crate::lane::threads() * ARTICLE_BATCH
}

/// What an export did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StaticReport {
    /// Pages and files answered by the site (HTML, feeds, sitemaps,
    /// assets).
    pub pages: usize,
    /// Files written because they are new or changed.
    pub written: usize,
    /// Files left as they were.
    pub unchanged: usize,
    /// Files of an earlier export the site no longer has, removed.
    pub removed: usize,
    /// Media files linked or copied.
    pub media_files: usize,
    /// Old addresses written as redirects.
    pub redirects: usize,
    /// Pages built ahead of the crawl, in batches (articles and list
    /// pages).
    pub built_in_batches: usize,
    /// Links to addresses of this site that did not answer 200.
    pub broken: Vec<String>,
}

/// Paths that need a server.
fn dynamic(path: &str) -> bool {
    path == "/search"
        || path.starts_with("/search/")
        || path == "/admin"
        || path.starts_with("/admin/")
        || path == "/api"
        || path.starts_with("/api/")
        || path == "/oembed"
        || path == "/healthz"
}

/// The file an address is written to.
fn file_for(path: &str, html: bool) -> String {
    let (path, page) = match path.split_once("?page=") {
        Some((p, n)) => (p, Some(n)),
        None => (path, None),
    };
    let mut f = path.trim_start_matches('/').to_owned();
    if let Some(n) = page {
        if !f.is_empty() {
            f.push('/');
        }
        f.push_str(&format!("page/{n}"));
    }
    if html {
        if !f.is_empty() {
            f.push('/');
        }
        f.push_str("index.html");
    }
    f
}

/// The static address of a list page: `/world?page=2` → `/world/page/2/`.
fn static_href(path: &str) -> String {
    match path.split_once("?page=") {
        Some((p, n)) => format!("{}/page/{n}/", p.trim_end_matches('/')),
        None => path.to_owned(),
    }
}

/// Reads `s` as an address of this site: its path (with `?page=N` kept,
/// other queries and fragments dropped), or `None`.
fn site_path(raw: &str, base: &str) -> Option<String> {
    let raw = raw.trim();
    let unescaped;
    let raw = if raw.contains("&amp;") {
        unescaped = raw.replace("&amp;", "&");
        unescaped.as_str()
    } else {
        raw
    };
    let rest = match raw.strip_prefix(base) {
        Some("") => "/",
        Some(r) => r,
        None => raw,
    };
    if !rest.starts_with('/') || rest.starts_with("//") {
        return None;
    }
    let rest = rest.split('#').next().unwrap_or_default();
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    if dynamic(path) {
        return None;
    }
    match query {
        None | Some("") => Some(path.to_owned()),
        // A list page; any other query (a tracking tag) asks for the same
        // file.
        Some(q) => match q
            .strip_prefix("page=")
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        {
            Some(page) => Some(format!("{path}?page={page}")),
            None => Some(path.to_owned()),
        },
    }
}

/// Every address a page names: `href`, `src` and `srcset` attributes in
/// HTML, `<loc>`, `<link>` and `href` in XML, `url` and `image` values in
/// JSON feeds.
fn links(body: &str, base: &str, kind: Kind) -> Vec<String> {
    const HTML: &[(&str, u8)] = &[("href=\"", b'"'), ("src=\"", b'"'), ("srcset=\"", b'"')];
    const XML: &[(&str, u8)] = &[("<loc>", b'<'), ("<link>", b'<'), ("href=\"", b'"')];
    const JSON: &[(&str, u8)] = &[("\"url\":\"", b'"'), ("\"image\":\"", b'"')];
    let pairs = match kind {
        Kind::Html => HTML,
        Kind::Xml => XML,
        Kind::Json => JSON,
        Kind::Other => return Vec::new(),
    };
    let mut out = Vec::new();
    // A page names most addresses more than once (the navigation twice, a
    // picture's sizes in `<source>` and `<img>`): each is read once.
    let mut named: HashSet<&str> = HashSet::new();
    let add = |value: &'_ str, out: &mut Vec<String>| {
        if let Some(u) = site_path(value, base) {
            out.push(u);
        }
    };
    let bytes = body.as_bytes();
    for (open, close) in pairs {
        for i in memchr::memmem::find_iter(bytes, open.as_bytes()) {
            let start = i + open.len();
            // The value ends at the closing quote (or, in XML, at the
            // closing tag's `<`): one byte, found without a searcher.
            let Some(len) = memchr::memchr(*close, &bytes[start..]) else { continue };
            let Some(value) = body.get(start..start + len) else { continue };
            if *open == "srcset=\"" {
                // Each address of the set on its own: the whole value may
                // be one address (`srcset="/media/a.jpg"`).
                for part in value.split(',') {
                    if let Some(u) = part.split_whitespace().next()
                        && named.insert(u)
                    {
                        add(u, &mut out);
                    }
                }
            } else if named.insert(value) {
                add(value, &mut out);
            }
        }
    }
    out
}

/// The RSS form of a feed in another format: `/world/feed.atom` →
/// `/world/feed.xml`.
fn rss_sibling(path: &str) -> Option<String> {
    let dir = path.strip_suffix("/feed.atom").or_else(|| path.strip_suffix("/feed.json"))?;
    Some(format!("{dir}/feed.xml"))
}

/// What a response is, for finding its links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Html,
    Xml,
    Json,
    Other,
}

/// `html` without the `<link>` elements that point at addresses only a
/// server answers (the oEmbed discovery link).
fn strip_dynamic_links<'a>(html: &'a str, base: &str) -> Cow<'a, str> {
    if !html.contains("<link ") {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = memchr::memmem::find(rest.as_bytes(), b"<link ") {
        let Some(j) = rest[i..].find('>') else { break };
        let tag = &rest[i..i + j + 1];
        let href = tag.split_once("href=\"").and_then(|(_, r)| r.split_once('"')).map(|(h, _)| h);
        let server_only = href.is_some_and(|h| {
            let h = h.replace("&amp;", "&");
            let path = h.strip_prefix(base).unwrap_or(&h);
            let path = path.split(['?', '#']).next().unwrap_or_default();
            path.starts_with('/') && dynamic(path)
        });
        out.push_str(&rest[..i]);
        if !server_only {
            out.push_str(tag);
        }
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// `html` without the search form: a static host has no search.
fn strip_search_form(html: &str) -> Cow<'_, str> {
    if !html.contains("action=\"/search\"") {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = memchr::memmem::find(rest.as_bytes(), b"<form ") {
        let tag_end = rest[i..].find('>').map_or(rest.len(), |j| i + j + 1);
        let tag = &rest[i..tag_end];
        let close = memchr::memmem::find(&rest.as_bytes()[tag_end..], b"</form>")
            .map(|j| tag_end + j + "</form>".len());
        match close {
            Some(end) if tag.contains("action=\"/search\"") => {
                out.push_str(&rest[..i]);
                rest = &rest[end..];
            }
            _ => {
                out.push_str(&rest[..tag_end]);
                rest = &rest[tag_end..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// List-page links in `html` as static addresses.
fn rewrite_pages<'a>(html: &'a str, base: &str) -> Cow<'a, str> {
    if !html.contains("?page=") {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = memchr::memmem::find(rest.as_bytes(), b"?page=") {
        // Only inside an attribute value: back to its opening quote.
        let head = &rest[..i];
        let start = head.rfind('"').map_or(0, |q| q + 1);
        let path = &head[start..];
        let digits: String = rest[i + 6..].chars().take_while(char::is_ascii_digit).collect();
        let after = &rest[i + 6 + digits.len()..];
        // Ours: a path of this site, or an address on its base URL; a
        // link elsewhere keeps its query.
        let ours = (path.starts_with('/') && !path.starts_with("//")) || path.starts_with(base);
        if !digits.is_empty() && after.starts_with('"') && ours {
            out.push_str(&head[..start]);
            out.push_str(&static_href(&format!("{path}?page={digits}")));
            rest = after;
        } else {
            out.push_str(&rest[..i + 6]);
            rest = &rest[i + 6..];
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The file of an HTML page the site answered with `html`: without the
/// links and the form only a server answers, list pages at their static
/// addresses.
pub fn html_file<'a>(html: &'a str, base: &str) -> Cow<'a, str> {
    // Each step copies the page only when it changes something.
    let then = |page: Cow<'a, str>, step: &dyn Fn(&str) -> Cow<'_, str>| {
        let changed = match step(&page) {
            Cow::Owned(s) => Some(s),
            Cow::Borrowed(_) => None,
        };
        changed.map_or(page, Cow::Owned)
    };
    let page = strip_dynamic_links(html, base);
    let page = then(page, &strip_search_form);
    then(page, &|p| rewrite_pages(p, base))
}

struct Fetched {
    path: String,
    status: StatusCode,
    kind: Kind,
    body: bytes::Bytes,
}

async fn fetch(router: axum::Router, path: String) -> Fetched {
    match fetch_inner(router, path.clone()).await {
        Ok(f) => f,
        // An address no request can carry (a space in a link) is a broken
        // link, not the end of the export.
        Err(_) => Fetched {
            path,
            status: StatusCode::BAD_REQUEST,
            kind: Kind::Other,
            body: bytes::Bytes::new(),
        },
    }
}

async fn fetch_inner(router: axum::Router, path: String) -> anyhow::Result<Fetched> {
    for attempt in 0..5u32 {
        let req = Request::get(&path).header(header::HOST, "localhost").body(Body::empty())?;
        let res = router.clone().oneshot(req).await?;
        let status = res.status();
        // The site sheds load with 503 when its database queue is full:
        // wait and ask again.
        if status == StatusCode::SERVICE_UNAVAILABLE && attempt < 4 {
            tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
            continue;
        }
        let ct =
            res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let kind = if ct.starts_with("text/html") {
            Kind::Html
        } else if ct.contains("xml") {
            Kind::Xml
        } else if ct.contains("json") {
            Kind::Json
        } else {
            Kind::Other
        };
        let body = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
        return Ok(Fetched { path, status, kind, body });
    }
    anyhow::bail!("{path} stayed unavailable")
}

/// What became of a page.
enum Outcome {
    /// It did not answer 200.
    Status(StatusCode),
    /// Its path names no plain file.
    NotAPlainPath,
    /// Its file, the hash of the bytes and whether they were written.
    File { name: String, hash: String, written: bool },
}

/// A page fetched and, when it answered 200, written.
struct Done {
    path: String,
    /// Addresses of this site the page names.
    links: Vec<String>,
    outcome: Outcome,
}

/// The export folder: what an earlier export left there and the folders
/// made so far.
struct Output {
    dir: PathBuf,
    /// File → hash of the bytes an earlier export wrote.
    before: BTreeMap<String, String>,
    /// Folders known to exist: each is made once, not looked up per file.
    made: std::sync::Mutex<HashSet<PathBuf>>,
}

impl Output {
    /// Writes `bytes` as `file` unless an earlier export left the same
    /// bytes there; returns the hash and whether it wrote.
    fn write_if_changed(&self, file: &str, bytes: &[u8]) -> std::io::Result<(String, bool)> {
        let hash = file_hash(bytes);
        let target = self.dir.join(file);
        if self.before.get(file) == Some(&hash) && target.exists() {
            return Ok((hash, false));
        }
        let parent = target.parent().unwrap_or(&self.dir);
        self.make_dir(parent)?;
        match write_file(&target, bytes) {
            // The folder went meanwhile (something else cleaned up): made
            // again, once.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Ok(mut m) = self.made.lock() {
                    m.remove(parent);
                }
                self.make_dir(parent)?;
                write_file(&target, bytes)?;
            }
            other => other?,
        }
        Ok((hash, true))
    }

    fn make_dir(&self, dir: &Path) -> std::io::Result<()> {
        let known = |d: &Path| self.made.lock().map(|m| m.contains(d)).unwrap_or(false);
        if known(dir) {
            return Ok(());
        }
        std::fs::create_dir_all(dir)?;
        if let Ok(mut m) = self.made.lock() {
            m.insert(dir.to_owned());
        }
        Ok(())
    }
}

/// Fetches `path` and writes its file ([`Output::write_if_changed`]). The page's
/// own work (finding links, rewriting, hashing, writing) runs off the
/// runtime, so pages are finished in parallel as they are built.
async fn fetch_and_write(
    router: axum::Router,
    path: String,
    base: Arc<str>,
    out: Arc<Output>,
) -> anyhow::Result<Done> {
    let f = fetch(router, path).await;
    if f.status != StatusCode::OK {
        return Ok(Done { path: f.path, links: Vec::new(), outcome: Outcome::Status(f.status) });
    }
    tokio::task::spawn_blocking(move || -> anyhow::Result<Done> {
        let html = f.kind == Kind::Html;
        let mut links_found = Vec::new();
        let bytes = match std::str::from_utf8(&f.body) {
            Ok(text) => {
                links_found = links(text, &base, f.kind);
                let rewritten = match html.then(|| html_file(text, &base)) {
                    Some(Cow::Owned(page)) => Some(page),
                    _ => None,
                };
                rewritten.map_or(f.body, bytes::Bytes::from)
            }
            Err(_) => f.body,
        };
        let name = file_for(&f.path, html);
        let outcome = if safe_file(&name) {
            let (hash, written) = out.write_if_changed(&name, &bytes)?;
            Outcome::File { name, hash, written }
        } else {
            Outcome::NotAPlainPath
        };
        Ok(Done { path: f.path, links: links_found, outcome })
    })
    .await?
}

/// What the manifest keeps of a file's bytes to tell, next time, whether
/// they changed: the length and the page cache's 64-bit hash (SHA-256
/// showed in every page's cost). A change that kept both would leave the
/// old file in place until its next change; only a collision made on
/// purpose would.
fn file_hash(bytes: &[u8]) -> String {
    format!("{:016x}-{:x}", crate::cache::body_hash(bytes), bytes.len())
}

/// Whether `file` stays inside the export folder.
fn safe_file(file: &str) -> bool {
    !file.is_empty()
        && Path::new(file).components().all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// Writes `bytes` to `target` in a folder that exists: straight into a
/// new file, through a temporary file and a rename over an old one (a
/// host serving the folder never sees half a page).
fn write_file(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    match std::fs::OpenOptions::new().write(true).create_new(true).open(target) {
        Ok(mut f) => return f.write_all(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    // Named after the whole file name: `feed.xml` and `feed.json` in one
    // folder are written at the same time, and must not share one.
    let mut tmp = target.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, target)
}

/// Links `from` to `to` (copies it when a link is not possible).
fn place(from: &Path, to: &Path) -> std::io::Result<bool> {
    // The same file (a hard link), or a copy made after the file last
    // changed: nothing to do.
    if let (Ok(a), Ok(b)) = (std::fs::metadata(from), std::fs::metadata(to))
        && a.len() == b.len()
        && matches!((a.modified(), b.modified()), (Ok(x), Ok(y)) if y >= x)
    {
        return Ok(false);
    }
    if let Some(p) = to.parent() {
        std::fs::create_dir_all(p)?;
    }
    let _ = std::fs::remove_file(to);
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to)?;
    }
    Ok(true)
}

/// A batch of article or list pages built ahead of the crawl.
struct Batch {
    /// The addresses of the batch's pages.
    paths: Vec<String>,
    /// Those whose page is now in the site's page cache.
    built: HashSet<String>,
}

/// Builds the pages of the published articles of `batch` (id, address)
/// and leaves them in the site's page cache, on a database lane with a
/// turn at the database gate like any page build. A page not built here
/// (the gate or the database was busy, the article was taken down
/// meanwhile, a template failed) is left to the crawl, which asks the
/// router for it if a page links to it, as before.
async fn prebuild_articles(app: Arc<App>, batch: Vec<(newsdesk_core::Id, String)>) -> Batch {
    let ids: Vec<_> = batch.iter().map(|(id, _)| *id).collect();
    let cache_app = app.clone();
    let built = crate::controllers::site::with_database(&app, async move {
        let app = cache_app;
        let generation = app.cache.generation();
        let t = app.taxonomy();
        let articles = app.db.published_articles(&ids).await?;
        let extras = views::export_article_extras(&app, &t, &articles, generation).await?;
        let mut built = HashSet::new();
        for a in &articles {
            let Some(path) = &a.path else { continue };
            let r = views::article_with(&app, &t, a, &extras);
            if let Ok(page) = pages::article_page(&app, &t, a, r)
                && app.cache.insert(path.clone(), Arc::new(page), generation)
            {
                built.insert(path.clone());
            }
        }
        Ok(built)
    })
    .await
    .unwrap_or_else(|e| {
        tracing::debug!(error = %e, "a batch of article pages is left to the crawl");
        HashSet::new()
    });
    Batch { paths: batch.into_iter().map(|(_, path)| path).collect(), built }
}

/// Pages `first..first + count` of the list of `kind` (`section`, `tag`,
/// `author`) named `slug`, and their addresses.
#[derive(Debug, Clone)]
struct ListPart {
    kind: &'static str,
    slug: String,
    first: u32,
    count: u32,
    paths: Vec<String>,
}

/// The list pages the site has, in parts of at most `per_job` pages,
/// gathered into jobs of about `per_job` pages (small lists share one job,
/// a turn at the database gate, each still read in its own queries).
async fn list_jobs(app: &App, per_job: usize) -> anyhow::Result<Vec<Vec<ListPart>>> {
    use newsdesk_db::ArticleFilter;
    let t = app.taxonomy();
    let sizes: HashMap<ArticleFilter, i64> =
        app.db.published_list_sizes().await?.into_iter().collect();
    // Every section is in the navigation, so its page is linked even when
    // empty; a tag or author is linked from its stories.
    let mut lists: Vec<(&'static str, String, i64)> = t
        .sections
        .iter()
        .map(|s| {
            (
                "section",
                s.slug.clone(),
                sizes.get(&ArticleFilter::Section(s.id)).copied().unwrap_or(0),
            )
        })
        .collect();
    let mut tags: Vec<_> = t.tags.values().collect();
    tags.sort_by_key(|x| x.id);
    lists.extend(
        tags.into_iter().filter_map(|x| {
            sizes.get(&ArticleFilter::Tag(x.id)).map(|n| ("tag", x.slug.clone(), *n))
        }),
    );
    let mut authors: Vec<_> = t.authors.values().collect();
    authors.sort_by_key(|x| x.id);
    lists.extend(authors.into_iter().filter_map(|x| {
        sizes.get(&ArticleFilter::Author(x.id)).map(|n| ("author", x.slug.clone(), *n))
    }));
    let mut jobs: Vec<Vec<ListPart>> = Vec::new();
    let mut job: Vec<ListPart> = Vec::new();
    let mut in_job = 0;
    for (kind, slug, n) in lists {
        let Some(spec) = pages::list_spec(app, &t, kind, &slug) else { continue };
        let pages_in_list = pages::pages_of(n).min(pages::MAX_PAGE);
        let mut first = 1;
        while first <= pages_in_list {
            let count =
                (pages_in_list - first + 1).min(u32::try_from(per_job).unwrap_or(u32::MAX).max(1));
            let paths = (first..first + count).map(|p| pages::page_key(&spec.path, p)).collect();
            job.push(ListPart { kind, slug: slug.clone(), first, count, paths });
            in_job += count as usize;
            if in_job >= per_job {
                jobs.push(std::mem::take(&mut job));
                in_job = 0;
            }
            first += count;
        }
    }
    if !job.is_empty() {
        jobs.push(job);
    }
    Ok(jobs)
}

/// Builds the list pages of `job` and leaves them in the site's page
/// cache, like [`prebuild_articles`]; a page not built here is left to
/// the crawl. The pages go into the cache once the whole job is built, so
/// a job cut short leaves nothing there.
async fn prebuild_lists(app: Arc<App>, job: Vec<ListPart>) -> Batch {
    let parts = job.clone();
    let build_app = app.clone();
    let generation = app.cache.generation();
    let pages = crate::controllers::site::with_database(&app, async move {
        let app = build_app;
        let t = app.taxonomy();
        let mut out = Vec::new();
        for part in &parts {
            let Some(spec) = pages::list_spec(&app, &t, part.kind, &part.slug) else { continue };
            let (total, built) = match pages::list_pages(&app, &t, &spec, part.first, part.count)
                .await
            {
                Ok(b) => b,
                Err(e) => {
                    tracing::debug!(error = %e, list = %spec.path, "list pages left to the crawl");
                    continue;
                }
            };
            // A tag or author whose last story went meanwhile is linked
            // from nothing: its empty page is not part of the site.
            if total == 0 && part.kind != "section" {
                continue;
            }
            // Only the pages this part was to build: the list may have
            // grown or shrunk since it was counted.
            out.extend(built.into_iter().filter(|(path, _)| part.paths.contains(path)));
        }
        Ok(out)
    })
    .await
    .unwrap_or_else(|e| {
        tracing::debug!(error = %e, "a batch of list pages is left to the crawl");
        Vec::new()
    });
    let mut built = HashSet::new();
    for (path, page) in pages {
        if app.cache.insert(path.clone(), Arc::new(page), generation) {
            built.insert(path);
        }
    }
    Batch { paths: job.into_iter().flat_map(|p| p.paths).collect(), built }
}

/// Pages built together ahead of the crawl.
enum Job {
    Articles(Vec<(newsdesk_core::Id, String)>),
    Lists(Vec<ListPart>),
}

/// What the export's loop waits for next.
enum Next {
    Built(Batch),
    Done(anyhow::Result<Done>),
}

/// Writes the public site of `app` into `dir`, asking for `parallel`
/// pages at once.
pub async fn export(app: Arc<App>, dir: &Path, parallel: usize) -> anyhow::Result<StaticReport> {
    export_in_batches(app, dir, parallel, ARTICLE_BATCH).await
}

/// [`export`] with article pages built `batch_size` at a time ahead of the
/// crawl, list pages `batch_size / 2` (1: none, the crawl asks the router
/// for each).
pub async fn export_in_batches(
    app: Arc<App>,
    dir: &Path,
    parallel: usize,
    batch_size: usize,
) -> anyhow::Result<StaticReport> {
    // Every format of every feed is asked for: one build makes all three,
    // and feeds share the items they have in common.
    let _mode = ExportMode::start(&app);
    std::fs::create_dir_all(dir)?;
    let base = app.base_url.clone();
    let media_dir = app.media_dir.clone();
    let router = crate::router(app.clone());
    let before: BTreeMap<String, String> = std::fs::read(dir.join(MANIFEST))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let mut now: BTreeMap<String, String> = BTreeMap::new();
    let mut report = StaticReport::default();

    let mut queue: VecDeque<String> =
        ["/", "/sitemap.xml", "/robots.txt", "/feed.xml", "/feed.atom", "/feed.json"]
            .into_iter()
            .map(String::from)
            .collect();
    let mut seen: HashSet<String> = queue.iter().cloned().collect();
    let mut media: Vec<String> = Vec::new();
    let mut running = tokio::task::JoinSet::new();
    let parallel = parallel.max(1);
    let base_shared: Arc<str> = base.as_str().into();
    let out = Arc::new(Output { dir: dir.to_owned(), before, made: Default::default() });
    // A feed's Atom and JSON forms wait for its RSS form: the site builds
    // all three at once and keeps the other two in its cache.
    let mut waiting: HashMap<String, Vec<String>> = HashMap::new();
    let mut finished: HashSet<String> = HashSet::new();
    // Article and list pages built ahead, in batches, on every lane. The
    // crawl leaves such an address for its batch (`later`); a finished
    // batch's pages go to the front of the queue and leave the cache once
    // answered.
    let lanes = crate::lane::threads();
    let batch_size = batch_size.max(1);
    let ahead_of_crawl = app.db.published_article_paths().await?;
    let mut later: HashSet<String> = HashSet::new();
    let mut batches: VecDeque<Job> = VecDeque::new();
    if batch_size > 1 {
        // List pages first: the home page links every section.
        for job in list_jobs(&app, batch_size / 2).await? {
            later.extend(job.iter().flat_map(|p| p.paths.iter().cloned()));
            batches.push_back(Job::Lists(job));
        }
        later.extend(ahead_of_crawl.iter().map(|(_, p)| p.clone()));
        batches.extend(ahead_of_crawl.chunks(batch_size).map(|c| Job::Articles(c.to_vec())));
    }
    let mut building = tokio::task::JoinSet::new();
    // Built and not yet answered.
    let mut ahead: HashSet<String> = HashSet::new();
    let mut asked: HashSet<String> = HashSet::new();
    loop {
        while building.len() < lanes && ahead.len() < lanes * batch_size {
            match batches.pop_front() {
                Some(Job::Articles(batch)) => building.spawn(prebuild_articles(app.clone(), batch)),
                Some(Job::Lists(job)) => building.spawn(prebuild_lists(app.clone(), job)),
                None => break,
            };
        }
        while running.len() < parallel {
            let Some(path) = queue.pop_front() else { break };
            if later.contains(&path) || asked.contains(&path) {
                continue;
            }
            if let Some(rel) = path.strip_prefix("/media/") {
                media.push(rel.to_owned());
                continue;
            }
            if let Some(rss) = rss_sibling(&path)
                && seen.contains(&rss)
                && !finished.contains(&rss)
            {
                waiting.entry(rss).or_default().push(path);
                continue;
            }
            asked.insert(path.clone());
            running.spawn(fetch_and_write(router.clone(), path, base_shared.clone(), out.clone()));
        }
        let next = tokio::select! {
            Some(batch) = building.join_next(), if !building.is_empty() => Next::Built(batch?),
            Some(done) = running.join_next(), if !running.is_empty() => Next::Done(done?),
            else => break,
        };
        let d = match next {
            Next::Built(batch) => {
                for path in batch.paths {
                    later.remove(&path);
                    if asked.contains(&path) {
                        continue;
                    }
                    if batch.built.contains(&path) {
                        seen.insert(path.clone());
                        ahead.insert(path.clone());
                        queue.push_front(path);
                    } else if seen.contains(&path) {
                        // Linked from a page already: the router answers.
                        queue.push_back(path);
                    }
                }
                continue;
            }
            Next::Done(d) => d?,
        };
        if ahead.remove(&d.path) {
            // Asked for once: it need not stay in the cache.
            app.cache.forget(&d.path);
            report.built_in_batches += 1;
        }
        for path in waiting.remove(&d.path).unwrap_or_default().into_iter().rev() {
            queue.push_front(path);
        }
        finished.insert(d.path.clone());
        if let Outcome::Status(status) = d.outcome {
            // A redirect is the site telling the way (a trailing slash);
            // anything else linked from a page is a broken link.
            if !status.is_redirection() {
                report.broken.push(format!("{} ({})", d.path, status.as_u16()));
            }
            continue;
        }
        report.pages += 1;
        for l in d.links {
            if !seen.contains(&l) {
                seen.insert(l.clone());
                queue.push_back(l);
            }
        }
        let Outcome::File { name, hash, written } = d.outcome else {
            report.broken.push(format!("{} (not a plain path)", d.path));
            continue;
        };
        if written {
            report.written += 1;
        } else {
            report.unchanged += 1;
        }
        now.insert(name, hash);
    }

    // Media: every file the pages name, linked from the media folder.
    media.sort();
    media.dedup();
    for rel in media {
        let safe =
            Path::new(&rel).components().all(|c| matches!(c, std::path::Component::Normal(_)));
        let from = media_dir.join(&rel);
        if !safe || !from.is_file() {
            report.broken.push(format!("/media/{rel} (404)"));
            continue;
        }
        let file = format!("media/{rel}");
        if place(&from, &dir.join(&file))? {
            report.written += 1;
        } else {
            report.unchanged += 1;
        }
        report.media_files += 1;
        now.insert(file, "media".into());
    }

    // Old addresses: a `_redirects` file and a page at each that sends
    // the browser on.
    let mut lines = String::new();
    for (old, to) in app.db.published_redirects().await? {
        // `/?p=12`: a query no file can answer; Netlify's form of a
        // redirect on a query parameter (`/ p=12 /to 301`).
        if let Some((path, query)) = old.split_once('?') {
            if let Some((k, v)) = query.split_once('=') {
                lines.push_str(&format!("{path} {k}={v} {to} 301\n"));
                report.redirects += 1;
            }
            continue;
        }
        lines.push_str(&format!("{old} {to} 301\n"));
        let file = file_for(&old, true);
        if now.contains_key(&file) || !safe_file(&file) {
            continue;
        }
        let escaped = newsdesk_content::escape_html(&format!("{base}{to}"));
        let page = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Moved</title>\
             <link rel=\"canonical\" href=\"{escaped}\"><meta http-equiv=\"refresh\" content=\"0; url={escaped}\">\
             </head><body><p>This story has moved: <a href=\"{escaped}\">{escaped}</a>.</p></body></html>\n"
        );
        let (hash, written) = out.write_if_changed(&file, page.as_bytes())?;
        if written {
            report.written += 1;
        } else {
            report.unchanged += 1;
        }
        now.insert(file, hash);
        report.redirects += 1;
    }
    let (hash, written) = out.write_if_changed("_redirects", lines.as_bytes())?;
    if written {
        report.written += 1;
    }
    now.insert("_redirects".into(), hash);

    // What an earlier export wrote and the site no longer has.
    for old in out.before.keys() {
        if !now.contains_key(old) {
            let p = dir.join(old);
            if Path::new(old).components().all(|c| matches!(c, std::path::Component::Normal(_)))
                && std::fs::remove_file(&p).is_ok()
            {
                report.removed += 1;
                // Folders the removal left empty go too.
                let mut up = p.parent();
                while let Some(d) = up.filter(|d| *d != dir) {
                    if std::fs::remove_dir(d).is_err() {
                        break;
                    }
                    up = d.parent();
                }
            }
        }
    }
    std::fs::write(dir.join(MANIFEST), serde_json::to_vec(&now)?)?;
    report.broken.sort();
    Ok(report)
}

/// The site's ways while an export runs ([`App::exporting`]), undone when
/// the last export running ends or fails.
struct ExportMode(Arc<App>);

impl ExportMode {
    fn start(app: &Arc<App>) -> ExportMode {
        app.exports.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        ExportMode(app.clone())
    }
}

impl Drop for ExportMode {
    fn drop(&mut self) {
        let app = &self.0;
        if app.exports.fetch_sub(1, std::sync::atomic::Ordering::Relaxed) == 1 {
            crate::memo::lock(&app.feed_items).clear();
            crate::memo::lock(&app.rail_cards).clear();
        }
    }
}

/// The folder an export was written to, as served by a plain file server
/// (for tests): `path` → the file that answers it.
pub fn served_file(dir: &Path, path: &str) -> PathBuf {
    let f = dir.join(path.trim_start_matches('/'));
    if f.is_dir() { f.join("index.html") } else { f }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_in_another_format_waits_for_its_rss_form() {
        assert_eq!(rss_sibling("/feed.atom").as_deref(), Some("/feed.xml"));
        assert_eq!(rss_sibling("/tag/water/feed.json").as_deref(), Some("/tag/water/feed.xml"));
        assert_eq!(rss_sibling("/world/feed.xml"), None);
        assert_eq!(rss_sibling("/world/feed.atom-notes"), None);
        assert_eq!(rss_sibling("/world"), None);
    }

    #[test]
    fn addresses_map_to_files() {
        assert_eq!(file_for("/", true), "index.html");
        assert_eq!(file_for("/world", true), "world/index.html");
        assert_eq!(file_for("/world?page=2", true), "world/page/2/index.html");
        assert_eq!(file_for("/?page=3", true), "page/3/index.html");
        assert_eq!(file_for("/feed.xml", false), "feed.xml");
        assert_eq!(static_href("/world?page=2"), "/world/page/2/");
        assert_eq!(static_href("/?page=2"), "/page/2/");
    }

    #[test]
    fn links_of_this_site_are_found_and_list_pages_rewritten() {
        let html = r#"<a href="/world?page=2">next</a><img src="/media/a.jpg" srcset="/media/a-400.jpg 400w, /media/a-800.jpg 800w">
            <a href="https://news.test/tag/x">x</a><a href="https://elsewhere.test/">o</a><a href="/search?q=x">s</a>
            <link rel="canonical" href="https://news.test/world?page=2"><a href="/a?utm=1#top">a</a>
            <a href="https://news.test/tag/x">x again</a><source srcset="/media/a-800.jpg 800w, /media/a-400.jpg 400w"><img srcset="/media/b.jpg">"#;
        let mut got = links(html, "https://news.test", Kind::Html);
        got.sort();
        assert_eq!(
            got,
            [
                "/a",
                "/media/a-400.jpg",
                "/media/a-800.jpg",
                "/media/a.jpg",
                "/media/b.jpg",
                "/tag/x",
                "/world?page=2",
                "/world?page=2"
            ]
        );
        let xml = "<url><loc>https://news.test/b</loc></url><url><loc>https://news.test/c</loc></url>\
                   <link>https://news.test/b</link><atom:link href=\"https://news.test/feed.xml\"/>";
        let mut got = links(xml, "https://news.test", Kind::Xml);
        got.sort();
        assert_eq!(got, ["/b", "/c", "/feed.xml"]);
        let json = r#"{"url":"https://news.test/d","image":"https://news.test/media/d.jpg","x":{"url":"https://news.test/d"}}"#;
        assert_eq!(links(json, "https://news.test", Kind::Json), ["/d", "/media/d.jpg"]);
        let out = rewrite_pages(html, "https://news.test");
        assert!(out.contains(r#"href="/world/page/2/""#));
        assert!(out.contains(r#"href="https://news.test/world/page/2/""#));
        let other = rewrite_pages(r#"<a href="https://forum.test/t?page=2">"#, "https://news.test");
        assert_eq!(other, r#"<a href="https://forum.test/t?page=2">"#);
        assert!(!safe_file("../x/index.html") && !safe_file("") && safe_file("a/b/index.html"));
        assert!(out.contains("/search?q=x"));
        let head = r#"<link rel="alternate" type="application/json+oembed" href="https://news.test/oembed?url=x&amp;format=json"><link rel="canonical" href="https://news.test/a">"#;
        assert_eq!(
            strip_dynamic_links(head, "https://news.test"),
            r#"<link rel="canonical" href="https://news.test/a">"#
        );
        let page = r#"<p>a</p><form class="search-box" action="/search" method="get"><input name="q"></form><form action="/other"></form>"#;
        assert_eq!(strip_search_form(page), r#"<p>a</p><form action="/other"></form>"#);
    }
}
