//! Rendered responses kept in memory, per URL, with what they depend on.
//!
//! Each entry lists *surrogate keys* (`article:12`, `section:3`, `home`…):
//! the content it was rendered from. A change to content makes exactly the
//! entries whose keys name it stale (see [`PageCache`]). Compressed
//! variants are made once, on first demand, and kept with the entry.

use crate::zero_copy;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Write;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// Bodies smaller than this are not worth compressing.
const MIN_COMPRESS_BYTES: usize = 860;

/// `Cache-Control` of HTML pages and other public documents: browsers and
/// CDNs may keep them a minute and serve a stale copy for ten while they
/// revalidate.
pub const PAGE_CACHE_CONTROL: &str = "public, max-age=60, stale-while-revalidate=600";

/// `Cache-Control` of fingerprinted assets: their URL changes with content.
pub const IMMUTABLE_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// `Cache-Control` of a page served while out of date (see
/// [`PageCache`]).
pub const STALE_CACHE_CONTROL: &str = "public, max-age=5";

/// `Cache-Control` of error pages: short, so a fixed page shows up soon.
pub const ERROR_CACHE_CONTROL: &str = "public, max-age=10";

/// A response body with its validators and lazily compressed variants.
#[derive(Debug)]
pub struct CachedPage {
    /// Copies of the bodies for `sendfile` (identity, brotli, gzip), made
    /// once a body has been sent often.
    copies: [OnceLock<zero_copy::Copy>; 3],
    /// Times each of those bodies was sent.
    sent: [AtomicU32; 3],
    /// HTTP status.
    pub status: StatusCode,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// `Cache-Control`.
    pub cache_control: &'static str,
    /// The uncompressed body.
    pub body: Bytes,
    /// Weak ETag over the uncompressed body, e.g. `W/"1a2b…"`.
    pub etag: HeaderValue,
    /// `Last-Modified`, when the content has a modification time.
    pub last_modified: Option<DateTime<Utc>>,
    /// What the body was rendered from.
    pub keys: Vec<String>,
    surrogate: Option<HeaderValue>,
    last_modified_header: Option<HeaderValue>,
    compression: Compression,
    gzip: OnceLock<Option<Bytes>>,
    brotli: OnceLock<Option<Bytes>>,
}

/// How hard a body is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Never: images, fonts and archives are compressed already, and a
    /// second pass only burns CPU.
    Never,
    /// Fast levels, for responses made for one request (search results).
    Cheap,
    /// The best levels, for cached pages compressed once and sent often.
    Best,
}

impl Compression {
    /// What suits `content_type`: text, JSON, XML, JavaScript and SVG are
    /// worth compressing; everything else is not.
    pub fn for_type(content_type: &str) -> Compression {
        let t = content_type.split(';').next().unwrap_or_default().trim();
        let textual = t.starts_with("text/")
            || matches!(t, "application/json" | "application/xml" | "application/javascript")
            || t.ends_with("+json")
            || t.ends_with("+xml");
        if textual { Compression::Best } else { Compression::Never }
    }
}

impl CachedPage {
    /// A page from a rendered body.
    pub fn new(
        status: StatusCode,
        content_type: &'static str,
        cache_control: &'static str,
        body: impl Into<Bytes>,
        last_modified: Option<DateTime<Utc>>,
        keys: Vec<String>,
    ) -> CachedPage {
        let body = body.into();
        let etag = HeaderValue::from_str(&format!("W/\"{:016x}\"", body_hash(&body)))
            .expect("hex is a valid header value");
        let surrogate =
            if keys.is_empty() { None } else { HeaderValue::from_str(&keys.join(" ")).ok() };
        let last_modified_header = last_modified.and_then(|t| {
            HeaderValue::from_str(&t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).ok()
        });
        CachedPage {
            copies: Default::default(),
            sent: Default::default(),
            status,
            content_type,
            cache_control,
            body,
            etag,
            last_modified,
            keys,
            surrogate,
            last_modified_header,
            compression: Compression::for_type(content_type),
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    /// The same page, compressed at fast levels (for a response made for
    /// one request only).
    pub fn cheap(mut self) -> CachedPage {
        if self.compression == Compression::Best {
            self.compression = Compression::Cheap;
        }
        self
    }

    /// Compresses now for the encoding `headers` ask for, so that the work
    /// can be done off the async threads (`spawn_blocking`) for big bodies.
    pub fn prepare(&self, headers: &HeaderMap) {
        match preferred_encoding(headers) {
            Encoding::Brotli => {
                self.brotli();
            }
            Encoding::Gzip => {
                self.gzip();
            }
            Encoding::Identity => {}
        }
    }

    fn gzip(&self) -> Option<&Bytes> {
        self.gzip
            .get_or_init(|| {
                if self.body.len() < MIN_COMPRESS_BYTES || self.compression == Compression::Never {
                    return None;
                }
                let level = if self.compression == Compression::Cheap { 1 } else { 6 };
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
                enc.write_all(&self.body).ok()?;
                enc.finish().ok().map(Bytes::from)
            })
            .as_ref()
    }

    fn brotli(&self) -> Option<&Bytes> {
        self.brotli
            .get_or_init(|| {
                if self.body.len() < MIN_COMPRESS_BYTES || self.compression == Compression::Never {
                    return None;
                }
                let mut out = Vec::with_capacity(self.body.len() / 4);
                let (quality, lgwin) =
                    if self.compression == Compression::Cheap { (4, 20) } else { (9, 22) };
                let params =
                    brotli::enc::BrotliEncoderParams { quality, lgwin, ..Default::default() };
                brotli::BrotliCompress(&mut &self.body[..], &mut out, &params).ok()?;
                Some(Bytes::from(out))
            })
            .as_ref()
    }

    /// Builds the response for a request with `headers`: 304 when the
    /// client's copy is current, else the body in the best encoding it takes.
    /// For HEAD, the headers of the GET response without the body.
    pub fn respond(&self, headers: &HeaderMap, head: bool) -> Response {
        let mut res = if self.is_not_modified(headers) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let (body, encoding, slot) = match preferred_encoding(headers) {
                Encoding::Brotli => match self.brotli() {
                    Some(b) => (b, Some("br"), 1),
                    None => (&self.body, None, 0),
                },
                Encoding::Gzip => match self.gzip() {
                    Some(b) => (b, Some("gzip"), 2),
                    None => (&self.body, None, 0),
                },
                Encoding::Identity => (&self.body, None, 0),
            };
            if !head {
                self.keep_for_sendfile(slot, body);
            }
            let body = body.clone();
            let len = body.len();
            let mut res = if head { ().into_response() } else { body.into_response() };
            *res.status_mut() = self.status;
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            if let Some(e) = encoding {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
            }
            res
        };
        let h = res.headers_mut();
        h.insert(header::ETAG, self.etag.clone());
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(self.cache_control));
        if self.compression != Compression::Never {
            h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        }
        if let Some(lm) = &self.last_modified_header {
            h.insert(header::LAST_MODIFIED, lm.clone());
        }
        if let Some(s) = &self.surrogate {
            h.insert("surrogate-key", s.clone());
        }
        res
    }

    /// Counts a send of `body` (one of this page's own bodies, in `slot`)
    /// and, once it has been sent often, gives it a copy that the
    /// connection sends with `sendfile` ([`zero_copy`]).
    fn keep_for_sendfile(&self, slot: usize, body: &Bytes) {
        // Once it has its copy, a send costs no count.
        if body.len() < zero_copy::MIN_BYTES || self.copies[slot].get().is_some() {
            return;
        }
        let sent = self.sent[slot].fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        if sent.is_multiple_of(zero_copy::HOT_AFTER)
            && let Some(copy) = zero_copy::Copy::make(body)
        {
            // Only one copy per body registers, so this never loses one.
            let _ = self.copies[slot].set(copy);
        }
    }

    /// Whether the body sent for an `Accept-Encoding` of identity has a
    /// copy for `sendfile`.
    pub fn sent_without_copying(&self) -> bool {
        self.copies[0].get().is_some()
    }

    /// [`CachedPage::respond`] for a copy that is out of date: kept a few
    /// seconds only by browsers and CDNs, so they ask again soon.
    pub fn respond_stale(&self, headers: &HeaderMap, head: bool) -> Response {
        let mut res = self.respond(headers, head);
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(STALE_CACHE_CONTROL));
        res
    }

    fn is_not_modified(&self, headers: &HeaderMap) -> bool {
        if !(self.status.is_success()) {
            return false;
        }
        if let Some(inm) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
            let mine = self.etag.to_str().unwrap_or_default().trim_start_matches("W/");
            return inm
                .split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == mine);
        }
        match (
            headers.get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()),
            self.last_modified,
        ) {
            (Some(since), Some(lm)) => DateTime::parse_from_rfc2822(since)
                .map(|s| lm.timestamp() <= s.timestamp())
                .unwrap_or(false),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

/// Picks brotli, then gzip, among what `Accept-Encoding` allows (q > 0).
fn preferred_encoding(headers: &HeaderMap) -> Encoding {
    let Some(ae) = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else {
        return Encoding::Identity;
    };
    let mut br = false;
    let mut gzip = false;
    for part in ae.split(',') {
        let mut it = part.split(';');
        let coding = it.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| {
                p.trim().strip_prefix("q=").map(|v| v.trim().parse::<f32>().unwrap_or(0.0))
            })
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        match coding.as_str() {
            "br" => br = true,
            "gzip" | "x-gzip" => gzip = true,
            "*" => {
                br = true;
                gzip = true;
            }
            _ => {}
        }
    }
    if br {
        Encoding::Brotli
    } else if gzip {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// The in-memory page cache.
///
/// A change to content makes the pages that show it *stale*, not gone: a
/// stale page is never served while the page can be built again, but it
/// is the answer when the database cannot build it now (the gate is full,
/// the database is down or slow) and while another request is already
/// building it, so a flood never turns a popular page into a 503 and a
/// change never sets off a stampede of identical builds. Pages of an
/// article taken down are dropped outright ([`PageCache::remove`]), never
/// kept stale.
#[derive(Debug)]
pub struct PageCache {
    inner: RwLock<Inner>,
    max_entries: usize,
    generation: AtomicU64,
    /// Keys whose page is being built now.
    building: Mutex<HashSet<String>>,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<String, Entry>,
    order: VecDeque<String>,
}

#[derive(Debug)]
struct Entry {
    page: Arc<CachedPage>,
    /// False once a change made the page out of date.
    fresh: bool,
}

/// The right to build one key's page, given back when dropped; see
/// [`PageCache::build`].
#[derive(Debug)]
pub struct BuildTurn {
    cache: Arc<PageCache>,
    key: String,
}

impl Drop for BuildTurn {
    fn drop(&mut self) {
        self.cache.building.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.key);
    }
}

impl PageCache {
    /// A cache holding at most `max_entries` pages; the oldest go first.
    pub fn new(max_entries: usize) -> PageCache {
        PageCache {
            inner: RwLock::new(Inner::default()),
            max_entries: max_entries.max(1),
            generation: AtomicU64::new(0),
            building: Mutex::new(HashSet::new()),
        }
    }

    /// The current generation; take it before reading the data a page is
    /// rendered from, and pass it to [`PageCache::insert`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The current page for `key`.
    pub fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        inner.map.get(key).filter(|e| e.fresh).map(|e| e.page.clone())
    }

    /// The page for `key` that a change made out of date, if one is kept.
    pub fn stale(&self, key: &str) -> Option<Arc<CachedPage>> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        inner.map.get(key).filter(|e| !e.fresh).map(|e| e.page.clone())
    }

    /// The turn to build `key`'s page, unless another request holds it.
    pub fn build(self: &Arc<Self>, key: &str) -> Option<BuildTurn> {
        let mut building = self.building.lock().unwrap_or_else(|e| e.into_inner());
        building
            .insert(key.to_owned())
            .then(|| BuildTurn { cache: Arc::clone(self), key: key.to_owned() })
    }

    /// Stores a page unless an invalidation happened since `generation` was
    /// read (the page might then show data that is already stale); returns
    /// whether it stored it.
    pub fn insert(&self, key: String, page: Arc<CachedPage>, generation: u64) -> bool {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) != generation {
            return false;
        }
        if inner.map.insert(key.clone(), Entry { page, fresh: true }).is_none() {
            inner.order.push_back(key);
        }
        while inner.map.len() > self.max_entries {
            match inner.order.pop_front() {
                Some(old) => {
                    inner.map.remove(&old);
                }
                None => break,
            }
        }
        true
    }

    /// Makes every page that depends on any of `keys` stale; returns how
    /// many were current.
    pub fn invalidate(&self, keys: &[String]) -> usize {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        let mut n = 0;
        for e in inner.map.values_mut() {
            if e.fresh && e.page.keys.iter().any(|k| keys.contains(k)) {
                e.fresh = false;
                n += 1;
            }
        }
        n
    }

    /// Drops every page that depends on any of `keys`, and every stale
    /// page whatever it depends on: content taken down must not be served
    /// even when the database cannot build its pages again, and a stale
    /// list may show it from before an edit moved it (a tag taken off, then
    /// the story taken down). Returns how many went.
    pub fn remove(&self, keys: &[String]) -> usize {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        let before = inner.map.len();
        inner.map.retain(|_, e| e.fresh && !e.page.keys.iter().any(|k| keys.contains(k)));
        let Inner { map, order } = &mut *inner;
        order.retain(|k| map.contains_key(k));
        before - inner.map.len()
    }

    /// Drops the page at `key`, current or stale (its address no longer
    /// shows it).
    pub fn forget(&self, key: &str) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if inner.map.remove(key).is_some() {
            inner.order.retain(|k| k != key);
        }
    }

    /// Makes every page stale.
    pub fn clear(&self) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        for e in inner.map.values_mut() {
            e.fresh = false;
        }
    }

    /// Drops every page, stale ones too.
    pub fn purge(&self) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        inner.map.clear();
        inner.order.clear();
    }

    /// Current pages held.
    pub fn len(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .map
            .values()
            .filter(|e| e.fresh)
            .count()
    }

    /// Whether no current page is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A stable 64-bit hash of a body, for its ETag: the same on every node of
/// a site and in every build. FNV-1a's steps over eight bytes at a time
/// (little-endian), each followed by a rotation so that the high bits a
/// multiplication produces feed the low ones; every step is a bijection of
/// the state, so two bodies that differ in one word never collide. An
/// eighth of the work of [`newsdesk_render::fingerprint`] per byte, which
/// showed in every uncached page's cost.
pub fn body_hash(bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        h = (h ^ u64::from_le_bytes(b)).wrapping_mul(PRIME).rotate_left(29);
    }
    for &b in words.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(PRIME).rotate_left(29);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_hash_is_stable_and_tells_bodies_apart() {
        // Pinned: every node and every build must agree on a page's ETag.
        assert_eq!(body_hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(body_hash(b"<!doctype html>"), 0xb3ae_5816_3c53_063a);
        // One byte changed anywhere, in a whole word or in the tail, or
        // one byte more: another hash.
        let body: Vec<u8> = (0..203u8).collect();
        let h = body_hash(&body);
        for i in 0..body.len() {
            let mut other = body.clone();
            other[i] ^= 0x80;
            assert_ne!(body_hash(&other), h, "byte {i}");
        }
        let mut longer = body.clone();
        longer.push(0);
        assert_ne!(body_hash(&longer), h);
    }

    fn page(keys: &[&str]) -> Arc<CachedPage> {
        Arc::new(CachedPage::new(
            StatusCode::OK,
            "text/html; charset=utf-8",
            PAGE_CACHE_CONTROL,
            "x".repeat(2000),
            None,
            keys.iter().map(|k| (*k).to_owned()).collect(),
        ))
    }

    #[test]
    fn invalidation_drops_exactly_the_dependent_pages() {
        let c = PageCache::new(10);
        let g = c.generation();
        c.insert("/a".into(), page(&["article:1", "section:1"]), g);
        c.insert("/b".into(), page(&["article:2", "section:1"]), g);
        c.insert("/c".into(), page(&["article:3", "section:2"]), g);
        assert_eq!(c.invalidate(&["article:2".into()]), 1);
        assert!(c.get("/a").is_some() && c.get("/b").is_none() && c.get("/c").is_some());
        assert!(c.stale("/b").is_some() && c.stale("/a").is_none(), "kept, out of date");
        assert_eq!(c.invalidate(&["section:1".into(), "section:2".into()]), 2);
        assert!(c.is_empty());
        assert!(["/a", "/b", "/c"].iter().all(|k| c.stale(k).is_some()));
        // Built again: current, no longer stale.
        c.insert("/b".into(), page(&["article:2", "section:1"]), c.generation());
        assert!(c.get("/b").is_some() && c.stale("/b").is_none());
    }

    #[test]
    fn removal_drops_stale_copies_too() {
        let c = PageCache::new(10);
        let g = c.generation();
        c.insert("/a".into(), page(&["article:1"]), g);
        c.insert("/b".into(), page(&["article:2"]), g);
        c.insert("/c".into(), page(&["article:3"]), g);
        c.invalidate(&["article:1".into(), "article:2".into()]);
        // Taking article 1 down drops its page and every stale one (a stale
        // list may show it from before it moved), not the current ones.
        assert_eq!(c.remove(&["article:1".into()]), 2);
        assert!(c.stale("/a").is_none() && c.stale("/b").is_none());
        assert!(c.get("/c").is_some());
        c.clear();
        c.forget("/c");
        assert!(c.stale("/c").is_none());
        c.insert("/d".into(), page(&[]), c.generation());
        c.clear();
        c.purge();
        assert!(c.stale("/d").is_none());
    }

    #[test]
    fn one_request_at_a_time_builds_a_key() {
        let c = Arc::new(PageCache::new(10));
        let turn = c.build("/a").expect("free");
        assert!(c.build("/a").is_none(), "taken");
        assert!(c.build("/b").is_some(), "another key is free");
        drop(turn);
        assert!(c.build("/a").is_some(), "given back");
    }

    #[test]
    fn a_page_rendered_before_an_invalidation_is_not_stored() {
        let c = PageCache::new(10);
        let g = c.generation();
        c.invalidate(&["home".into()]);
        c.insert("/".into(), page(&["home"]), g);
        assert!(c.get("/").is_none());
    }

    #[test]
    fn the_oldest_entry_goes_when_full() {
        let c = PageCache::new(2);
        let g = c.generation();
        for k in ["/1", "/2", "/3"] {
            c.insert(k.into(), page(&[]), g);
        }
        assert!(c.get("/1").is_none());
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn encoding_follows_accept_encoding_and_q_values() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).expect("valid"));
            m
        };
        assert_eq!(preferred_encoding(&HeaderMap::new()), Encoding::Identity);
        assert_eq!(preferred_encoding(&h("gzip, deflate, br")), Encoding::Brotli);
        assert_eq!(preferred_encoding(&h("gzip, br;q=0")), Encoding::Gzip);
        assert_eq!(preferred_encoding(&h("identity")), Encoding::Identity);
        assert_eq!(preferred_encoding(&h("*")), Encoding::Brotli);
    }

    #[test]
    fn images_are_never_compressed_again() {
        let img = CachedPage::new(
            StatusCode::OK,
            "image/jpeg",
            PAGE_CACHE_CONTROL,
            vec![0u8; 50_000],
            None,
            vec![],
        );
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("br, gzip"));
        let r = img.respond(&h, false);
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none());
        assert!(r.headers().get(header::VARY).is_none());
        assert_eq!(Compression::for_type("image/svg+xml"), Compression::Best);
        assert_eq!(
            Compression::for_type("application/feed+json; charset=utf-8"),
            Compression::Best
        );
        assert_eq!(Compression::for_type("font/woff2"), Compression::Never);
        let text = CachedPage::new(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "no-store",
            "x".repeat(2000),
            None,
            vec![],
        )
        .cheap();
        assert_eq!(text.respond(&h, false).headers()[header::CONTENT_ENCODING], "br");
    }

    #[test]
    fn conditional_requests_get_304() {
        let p = page(&[]);
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, p.etag.clone());
        assert_eq!(p.respond(&h, false).status(), StatusCode::NOT_MODIFIED);
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert_eq!(p.respond(&h, false).status(), StatusCode::OK);
    }
}
