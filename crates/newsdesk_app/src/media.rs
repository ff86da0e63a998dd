//! The media library's use cases: upload, edit, replace, delete, and the
//! renditions job.
//!
//! An upload is proven and re-encoded on a blocking thread, its files are
//! stored under names made from its SHA-256, then one transaction adds the
//! item, enqueues its renditions and records the event. If anything fails
//! after files were written, they are removed: a failed upload leaves no
//! file and no row. Identical uploads are one item.

use crate::events::Event;
use crate::jobs::Job;
use crate::sessions::Origin;
use crate::{Error, Newsroom, Result, Write};
use newsdesk_core::{Action, Actor, Id, Media, Rendition, RenditionKind};
use newsdesk_media::store::Storage;
use newsdesk_media::{Encoded, Focal, Limits, Picture, Refusal};
use std::sync::Arc;

/// Where the library's files go, and what an upload may be.
#[derive(Debug, Clone)]
pub struct Library {
    /// Files readers get (masters and renditions), served at `/media/`.
    pub public: Arc<dyn Storage>,
    /// The uploads as they came, never served.
    pub originals: Arc<dyn Storage>,
    /// Size and pixel limits.
    pub limits: Limits,
    /// Uploads decoded at once in this process: half the CPUs, at least
    /// one, so pages keep a core and a burst of 20 MB uploads cannot take
    /// the memory.
    pub busy: Arc<tokio::sync::Semaphore>,
    /// Renditions jobs at work at once in this process: one. Apart from
    /// [`Library::busy`], because that work runs at a lower priority
    /// ([`crate::background`]) and an editor's upload must not wait behind
    /// it.
    pub background: Arc<tokio::sync::Semaphore>,
    /// Uploads being received at once in this process (each holds its
    /// file in memory until stored): [`UPLOADS_IN_FLIGHT`].
    pub receiving: Arc<tokio::sync::Semaphore>,
}

/// Uploads one process receives at once; more are asked to come back.
pub const UPLOADS_IN_FLIGHT: usize = 8;

/// How many pictures one process works on at once by default.
pub fn default_parallel_pictures() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

impl Library {
    /// The library in the media folder, originals beside it in a private
    /// folder, with default limits.
    pub fn local(media_dir: &std::path::Path, originals_dir: &std::path::Path) -> Library {
        use newsdesk_media::store::LocalStore;
        Library {
            public: Arc::new(LocalStore::new(media_dir, Some("/media/"))),
            originals: Arc::new(LocalStore::new(originals_dir, None)),
            limits: Limits::default(),
            busy: Arc::new(tokio::sync::Semaphore::new(default_parallel_pictures())),
            background: Arc::new(tokio::sync::Semaphore::new(1)),
            receiving: Arc::new(tokio::sync::Semaphore::new(UPLOADS_IN_FLIGHT)),
        }
    }

    /// A place to receive an upload in, or `None` when as many as this
    /// process takes are arriving already.
    pub fn receive_slot(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.receiving.clone().try_acquire_owned().ok()
    }

    /// Waits for a turn to work on an upload.
    async fn turn(&self) -> Result<tokio::sync::OwnedSemaphorePermit> {
        Self::wait(&self.busy).await
    }

    /// Waits for a turn to make renditions.
    async fn background_turn(&self) -> Result<tokio::sync::OwnedSemaphorePermit> {
        Self::wait(&self.background).await
    }

    async fn wait(
        slots: &Arc<tokio::sync::Semaphore>,
    ) -> Result<tokio::sync::OwnedSemaphorePermit> {
        slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Refused("the server is shutting down".into()))
    }
}

/// A file as an editor or importer sent it.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// The name it had on the sender's machine (display and search only).
    pub file_name: String,
}

/// What an upload became.
#[derive(Debug, Clone)]
pub struct Uploaded {
    /// The library item.
    pub media: Media,
    /// Whether an identical file was already in the library (nothing new
    /// was stored).
    pub reused: bool,
}

/// An editor's changes to an item.
#[derive(Debug, Clone, Default)]
pub struct MediaEdit {
    /// Alt text.
    pub alt: Option<String>,
    /// Default caption.
    pub caption: Option<String>,
    /// Default credit line.
    pub credit: Option<String>,
    /// Rights and usage terms.
    pub rights: Option<String>,
    /// Photographer or maker.
    pub creator: Option<String>,
    /// Focal point in thousandths (x, y).
    pub focal: (u16, u16),
    /// Readers are told the picture was made by an algorithm.
    pub ai_generated: bool,
}

/// A display name for an uploaded file: its last path segment, cleaned
/// of controls and direction overrides, at most 200 characters. Never
/// used as a path.
pub fn display_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean = newsdesk_media::meta::clean_str(last).unwrap_or_default();
    let name: String = clean.chars().take(200).collect();
    if name.is_empty() || name == "." || name == ".." { "upload".into() } else { name }
}

fn folder(hash: &str) -> String {
    format!("lib/{}/{}", &hash[..2], &hash[..20])
}

/// Where an upload is kept in the private store.
fn original_key(hash: &str, format: newsdesk_media::Format) -> String {
    format!("{}/{hash}.{}", &hash[..2], format.ext())
}

fn public_key(hash: &str, e: &Encoded) -> String {
    format!("{}/{}.{}", folder(hash), e.variant, e.ext)
}

fn refused(r: Refusal) -> Error {
    Error::Refused(r.to_string())
}

fn storage_failed(e: std::io::Error) -> Error {
    tracing::error!(error = %e, "media storage failed");
    Error::Refused("the file could not be stored; nothing was kept (see the server log)".into())
}

/// The SHA-256 of an upload, worked out off the async threads; the bytes
/// come back with it.
async fn hashed(bytes: Vec<u8>) -> Result<(Vec<u8>, String)> {
    tokio::task::spawn_blocking(move || {
        let h = newsdesk_media::sha256_hex(&bytes);
        (bytes, h)
    })
    .await
    .map_err(|e| Error::Refused(format!("the file could not be read: {e}")))
}

/// Proves and encodes an upload off the async threads, one picture at a
/// time per turn; the bytes come back with the picture and its master.
async fn prepare(lib: &Library, bytes: Vec<u8>) -> Result<(Picture, Encoded, Vec<u8>)> {
    let limits = lib.limits;
    let turn = lib.turn().await?;
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let p = newsdesk_media::open(&bytes, &limits).map_err(refused)?;
        let m = newsdesk_media::master(&p)
            .map_err(|e| Error::Refused(format!("the picture could not be re-encoded: {e}")))?;
        Ok((p, m, bytes))
    })
    .await
    .map_err(|e| Error::Refused(format!("the picture could not be read: {e}")))?
}

/// Writes the original and the master; on failure removes what it wrote.
async fn store_files(
    lib: &Library,
    bytes: Vec<u8>,
    p: &Picture,
    m: &Encoded,
) -> Result<[String; 2]> {
    let (okey, pkey) = (original_key(&p.hash, p.format), public_key(&p.hash, m));
    let (lib, master) = (lib.clone(), m.bytes.clone());
    let (o, k) = (okey.clone(), pkey.clone());
    tokio::task::spawn_blocking(move || {
        lib.originals.put(&o, &bytes)?;
        if let Err(e) = lib.public.put(&k, &master) {
            let _ = lib.originals.delete(&o);
            return Err(e);
        }
        Ok(())
    })
    .await
    .map_err(|e| Error::Refused(format!("the file could not be stored: {e}")))?
    .map_err(storage_failed)?;
    Ok([okey, pkey])
}

async fn remove_files(lib: &Library, keys: [String; 2]) {
    let lib = lib.clone();
    let _ = tokio::task::spawn_blocking(move || {
        let _ = lib.originals.delete(&keys[0]);
        let _ = lib.public.delete(&keys[1]);
    })
    .await;
}

/// The item a new upload makes, before the editor confirms its texts.
fn new_item(
    p: &Picture,
    m: &Encoded,
    file: String,
    original: String,
    up_name: &str,
    size: usize,
    actor: &Actor,
) -> Media {
    let meta = &p.meta;
    Media {
        file,
        width: m.width,
        height: m.height,
        // No caption in the file: its headline is the next best start.
        caption: meta.caption.clone().or_else(|| meta.headline.clone()),
        credit: meta.credit.clone().or_else(|| meta.creator.clone()),
        rights: meta.copyright.clone(),
        creator: meta.creator.clone(),
        taken: meta.date_taken.clone(),
        source_type: meta.digital_source_type.clone(),
        ai_generated: meta.is_synthetic(),
        file_name: display_name(up_name),
        bytes: size as u64,
        hash: Some(p.hash.clone()),
        original: Some(original),
        uploaded_by: actor.user_id,
        uploaded_at: Some(chrono::Utc::now()),
        ..Media::default()
    }
}

impl Write {
    /// Adds a media item whose files are already stored (the demo seeder,
    /// importers that bring their own renditions).
    pub async fn add_media(&mut self, m: &Media) -> Result<Media> {
        self.allow(Action::EditMedia, Vec::new())?;
        Self::check(m.problems())?;
        let m = self.tx.create_media(m).await?;
        self.record(Event::MediaAdded { id: m.id });
        Ok(m)
    }

    /// Adds a media item whose public files are already stored (the demo
    /// seeder draws its own sizes), keeping `original`, the file they were
    /// made from, in the private store and queuing the library's own
    /// renditions from it. A file already in the library gives that item.
    pub async fn add_media_from(
        &mut self,
        lib: &Library,
        m: &Media,
        original: &[u8],
    ) -> Result<Media> {
        let hash = newsdesk_media::sha256_hex(original);
        if let Some(existing) = self.tx.media_by_hash(&hash).await? {
            return Ok(existing);
        }
        let format = newsdesk_media::Format::sniff(original).map_err(refused)?;
        let key = original_key(&hash, format);
        lib.originals.put(&key, original).map_err(storage_failed)?;
        let item = Media {
            hash: Some(hash.clone()),
            original: Some(key),
            bytes: original.len() as u64,
            uploaded_at: Some(self.now),
            ..m.clone()
        };
        let added = self.add_media(&item).await?;
        self.enqueue(&Job::MediaRenditions { media_id: added.id, hash }, self.now).await?;
        Ok(added)
    }

    /// What changing a media item means for pages: the articles that show
    /// it, and whether an author's portrait is it.
    async fn media_changed(&mut self, id: Id) -> Result<()> {
        let articles = self.tx.media_article_ids(id).await?;
        let shown = !articles.is_empty() || self.tx.media_shown_outside_articles(id).await?;
        if shown {
            self.record(Event::MediaChanged { id, articles, shown });
        }
        Ok(())
    }
}

impl Newsroom {
    /// The media library, when this newsroom has one.
    pub fn media_library(&self) -> Option<Arc<Library>> {
        self.library.clone()
    }

    fn library(&self) -> Result<&Library> {
        self.library
            .as_deref()
            .ok_or_else(|| Error::Refused("this server has no media folder configured".into()))
    }

    /// Adds a media item whose files are already stored.
    pub async fn add_media(&self, actor: &Actor, m: Media) -> Result<Media> {
        let mut w = self.begin(actor).await?;
        let m = w.add_media(&m).await?;
        w.commit().await?;
        Ok(m)
    }

    /// Takes an upload into the library: proves it is a picture, reads its
    /// metadata into the item's credit, rights and caption, stores the
    /// original privately and a metadata-free master publicly, and queues
    /// its renditions. An identical file already in the library is
    /// returned instead (`reused`).
    pub async fn upload_media(&self, actor: &Actor, up: Upload, from: &Origin) -> Result<Uploaded> {
        newsdesk_core::authorize(actor, Action::EditMedia, &[])?;
        let lib = self.library()?;
        let Upload { bytes, file_name } = up;
        // An identical file is recognised before any decoding.
        let (bytes, hash) = hashed(bytes).await?;
        if !bytes.is_empty()
            && let Some(m) = self.existing(&hash).await?
        {
            return Ok(Uploaded { media: m, reused: true });
        }
        let (p, master, bytes) = prepare(lib, bytes).await?;
        let size = bytes.len();
        let keys = store_files(lib, bytes, &p, &master).await?;
        let item = new_item(&p, &master, keys[1].clone(), keys[0].clone(), &file_name, size, actor);
        let result = async {
            let mut w = self.begin(actor).await?;
            let m = w.add_media(&item).await?;
            let hash = p.hash.clone();
            w.enqueue(&Job::MediaRenditions { media_id: m.id, hash }, w.now).await?;
            w.audit("media_uploaded", &format!("media {}", m.id), &m.file_name, from).await?;
            w.commit().await?;
            Ok(m)
        }
        .await;
        match result {
            Ok(m) => Ok(Uploaded { media: m, reused: false }),
            Err(e) => {
                // The same file uploaded at the same moment by someone else
                // won the race: theirs is the item, and the files are its.
                if let Some(m) = self.existing(&p.hash).await.ok().flatten() {
                    return Ok(Uploaded { media: m, reused: true });
                }
                remove_files(lib, keys).await;
                Err(e)
            }
        }
    }

    async fn existing(&self, hash: &str) -> Result<Option<Media>> {
        let mut tx = self.db().begin().await?;
        Ok(tx.media_by_hash(hash).await?)
    }

    /// Changes an item's texts, focal point and label, made from
    /// `expected_version`. A new focal point queues new crops; pages that
    /// show the item are dropped from caches.
    pub async fn edit_media(
        &self,
        actor: &Actor,
        id: Id,
        edit: MediaEdit,
        expected_version: i32,
        from: &Origin,
    ) -> Result<Media> {
        let mut w = self.begin(actor).await?;
        w.allow(Action::EditMedia, Vec::new())?;
        let before = w.tx.media_by_ids(&[id]).await?.pop().ok_or_else(|| not_found(id))?;
        let clean = |s: Option<String>| s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let fx = |v: u16| v.min(1000);
        let m = Media {
            alt: clean(edit.alt),
            caption: clean(edit.caption),
            credit: clean(edit.credit),
            rights: clean(edit.rights),
            creator: clean(edit.creator),
            focal_x: fx(edit.focal.0),
            focal_y: fx(edit.focal.1),
            ai_generated: edit.ai_generated,
            ..before.clone()
        };
        Write::check(m.problems())?;
        let version = w.tx.update_media(&m, expected_version).await?;
        if (m.focal_x, m.focal_y) != (before.focal_x, before.focal_y)
            && let Some(hash) = m.hash.clone()
        {
            w.enqueue(&Job::MediaRenditions { media_id: id, hash }, w.now).await?;
        }
        w.media_changed(id).await?;
        w.audit("media_changed", &format!("media {id}"), "", from).await?;
        w.commit().await?;
        Ok(Media { version, ..m })
    }

    /// Puts a new file behind an item (texts kept): new file names, new
    /// renditions, pages that show it dropped from caches. A file already
    /// in the library as another item is refused.
    pub async fn replace_media_file(
        &self,
        actor: &Actor,
        id: Id,
        up: Upload,
        expected_version: i32,
        from: &Origin,
    ) -> Result<Media> {
        newsdesk_core::authorize(actor, Action::EditMedia, &[])?;
        let lib = self.library()?;
        let Upload { bytes, file_name } = up;
        let (bytes, hash) = hashed(bytes).await?;
        if let Some(other) = self.existing(&hash).await? {
            return if other.id == id {
                Ok(other)
            } else {
                Err(Error::Refused(format!(
                    "this picture is already in the library as item {}",
                    other.id
                )))
            };
        }
        let (p, master, bytes) = prepare(lib, bytes).await?;
        let size = bytes.len();
        let keys = store_files(lib, bytes, &p, &master).await?;
        let result = async {
            let mut w = self.begin(actor).await?;
            let before = w.tx.media_by_ids(&[id]).await?.pop().ok_or_else(|| not_found(id))?;
            let fresh =
                new_item(&p, &master, keys[1].clone(), keys[0].clone(), &file_name, size, actor);
            // What the new file says about how it was made replaces what
            // the old one said; an editor's own mark stays.
            let marked_by_editor = before.ai_generated
                && !before
                    .source_type
                    .as_deref()
                    .is_some_and(newsdesk_media::meta::is_synthetic_source);
            let m = Media {
                file: fresh.file,
                width: fresh.width,
                height: fresh.height,
                hash: fresh.hash,
                original: fresh.original,
                bytes: fresh.bytes,
                file_name: fresh.file_name,
                renditions: Vec::new(),
                ai_generated: fresh.ai_generated || marked_by_editor,
                source_type: fresh.source_type,
                taken: fresh.taken,
                creator: fresh.creator.or_else(|| before.creator.clone()),
                ..before.clone()
            };
            let version = w.tx.replace_media_file(&m, expected_version).await?;
            w.enqueue(&Job::MediaRenditions { media_id: id, hash: p.hash.clone() }, w.now).await?;
            w.media_changed(id).await?;
            w.audit("media_replaced", &format!("media {id}"), &m.file_name, from).await?;
            w.commit().await?;
            Ok((Media { version, ..m }, before))
        }
        .await;
        match result {
            Ok((m, before)) => {
                // The old picture is gone from the site, files included (a
                // picture is often replaced because it must not be shown).
                self.remove_unowned(lib, before.all_files(), before.original.clone()).await;
                Ok(m)
            }
            Err(e) => {
                remove_files(lib, keys).await;
                Err(e)
            }
        }
    }

    /// Removes library files (and an original) that no item holds any
    /// more. A file whose upload is again in the library (the same bytes
    /// uploaded anew) is left.
    async fn remove_unowned(&self, lib: &Library, files: Vec<String>, original: Option<String>) {
        let mut owned: Vec<String> = Vec::new();
        if let Some(o) = &original
            && let Some(hash) = o.rsplit('/').next().and_then(|n| n.split('.').next())
            && let Ok(Some(m)) = self.existing(hash).await
        {
            owned = m.all_files();
            owned.extend(m.original);
        }
        let lib = lib.clone();
        let _ = tokio::task::spawn_blocking(move || {
            for f in files.iter().filter(|f| !owned.contains(f)) {
                let _ = lib.public.delete(f);
            }
            if let Some(o) = original.filter(|o| !owned.contains(o)) {
                let _ = lib.originals.delete(&o);
            }
        })
        .await;
    }

    /// Removes an item nothing uses, and its files. While an article (a
    /// draft included), an author's portrait or the site's logo uses it,
    /// it is refused with the list.
    pub async fn delete_media(&self, actor: &Actor, id: Id, from: &Origin) -> Result<()> {
        let mut w = self.begin(actor).await?;
        w.allow(Action::EditMedia, Vec::new())?;
        let m = w.tx.media_by_ids(&[id]).await?.pop().ok_or_else(|| not_found(id))?;
        let mut uses: Vec<String> = Vec::new();
        if !w.tx.media_article_ids(id).await?.is_empty() {
            let shown: Vec<String> = self
                .db()
                .media_uses(id)
                .await?
                .into_iter()
                .take(5)
                .map(|u| format!("“{}” (article {}, {})", u.headline, u.article_id, u.status))
                .collect();
            uses.push(shown.join(", "));
        }
        let portraits = self.db().media_portrait_of(id).await?;
        if !portraits.is_empty() {
            let names: Vec<String> = portraits.into_iter().map(|(_, n)| n).collect();
            uses.push(format!("the portrait of {}", names.join(", ")));
        }
        if crate::settings::SiteSettings::load(self.db()).await?.logo_media_id == Some(id) {
            uses.push("the site's logo".into());
        }
        if !uses.is_empty() {
            return Err(Error::Refused(format!(
                "picture no. {id} is still shown in {}; take it out there first",
                uses.join("; ")
            )));
        }
        w.tx.delete_media(id).await?;
        w.record(Event::MediaChanged { id, articles: Vec::new(), shown: false });
        w.audit("media_deleted", &format!("media {id}"), &m.file_name, from).await?;
        w.commit().await?;
        if let Ok(lib) = self.library() {
            self.remove_unowned(lib, m.all_files(), m.original.clone()).await;
        }
        Ok(())
    }

    /// The renditions job: makes every rendition of the item's current file
    /// and focal point, stores them, and records them if the item still
    /// holds that file and point (a later edit's own job does the rest).
    pub async fn make_renditions(&self, media_id: Id, hash: &str) -> Result<usize> {
        let lib = self.library()?.clone();
        let Some(m) = self.db().media_by_ids(&[media_id]).await?.pop() else {
            return Ok(0);
        };
        if m.hash.as_deref() != Some(hash) {
            return Ok(0);
        }
        let Some(original) = m.original.clone() else { return Ok(0) };
        let focal = (m.focal_x, m.focal_y);
        let h = hash.to_owned();
        let turn = lib.background_turn().await?;
        // Encoding at a lower priority than the readers' pages.
        let made = crate::background::run(
            "renditions",
            move || -> std::result::Result<Vec<Rendition>, String> {
                let _turn = turn;
                let bytes = lib.originals.get(&original).map_err(|e| e.to_string())?;
                let p = newsdesk_media::open(&bytes, &lib.limits).map_err(|e| e.to_string())?;
                let f = Focal { x: f64::from(focal.0) / 1000.0, y: f64::from(focal.1) / 1000.0 };
                let mut out = Vec::new();
                for e in newsdesk_media::renditions(&p, f)? {
                    let key = public_key(&h, &e);
                    if !lib.public.exists(&key) {
                        lib.public.put(&key, &e.bytes).map_err(|e| e.to_string())?;
                    }
                    let kind = if e.variant.starts_with("card") {
                        RenditionKind::Card
                    } else if e.variant.starts_with("thumb") {
                        RenditionKind::Thumb
                    } else {
                        RenditionKind::Scaled
                    };
                    out.push(Rendition { file: key, width: e.width, height: e.height, kind });
                }
                out.sort_by_key(|r| (r.kind as u8, r.width, r.is_webp()));
                Ok(out)
            },
        )
        .await
        .map_err(|e| Error::Refused(format!("renditions of media {media_id} failed: {e}")))?
        .map_err(|e| Error::Refused(format!("renditions of media {media_id} failed: {e}")))?;
        let mut w = self.begin(&Actor::system("renditions")).await?;
        let n = made.len();
        let recorded = w.tx.set_renditions(media_id, hash, focal, &made).await?;
        if recorded {
            w.media_changed(media_id).await?;
        }
        w.commit().await?;
        let lib = self.library()?;
        if recorded {
            // Sizes no longer listed (crops of an earlier focal point, the
            // sizes an importer or the demo brought) go.
            let keep: Vec<&str> = made.iter().map(|r| r.file.as_str()).collect();
            let old: Vec<String> = m
                .renditions
                .iter()
                .map(|r| r.file.clone())
                .filter(|f| !keep.contains(&f.as_str()))
                .collect();
            self.remove_unowned(lib, old, None).await;
        } else {
            // An edit won the race: what this run stored is not listed.
            let listed = self
                .db()
                .media_by_ids(&[media_id])
                .await?
                .pop()
                .map(|m| m.all_files())
                .unwrap_or_default();
            let stray: Vec<String> =
                made.into_iter().map(|r| r.file).filter(|f| !listed.contains(f)).collect();
            self.remove_unowned(lib, stray, None).await;
        }
        Ok(n)
    }
}

fn not_found(id: Id) -> Error {
    Error::NotFound { what: format!("media item {id}") }
}
