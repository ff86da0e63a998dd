//! `newsdesk export backup` and `newsdesk import backup`: the whole site in
//! one file, and back.
//!
//! The archive is a gzip-compressed tar (format described in
//! `docs/BACKUP.md`):
//!
//! ```text
//! newsdesk-backup/manifest.json        format, version, schema, counts, checksums
//! newsdesk-backup/tables/NAME.jsonl    one JSON object per row, in key order
//! newsdesk-backup/media/PATH           the public media files
//! newsdesk-backup/originals/PATH       the uploaded originals
//! ```
//!
//! A backup is read from one consistent snapshot of the database while the
//! site keeps serving and editors keep writing. Entries carry no dates,
//! owners or modes of their own, and rows and files are in a fixed order, so
//! two backups of the same site are equal whichever backend they came from
//! (the manifest's `created_at` aside).

use newsdesk_app::Newsroom;
use newsdesk_core::Actor;
use newsdesk_db::{BACKUP_TABLES, Database, TableSpec};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Digest as _;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};

/// The archive format's name.
pub const FORMAT: &str = "newsdesk-backup";
/// The archive format's version; a restore refuses other versions.
pub const VERSION: u32 = 1;
const ROOT: &str = "newsdesk-backup";

/// What a backup holds, written first in the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// The database schema version the rows are in.
    pub schema: i64,
    /// When the backup was made.
    pub created_at: String,
    /// Rows and SHA-256 of each table's file.
    pub tables: BTreeMap<String, TableEntry>,
    /// Files under `media/`.
    pub media_files: usize,
    /// Files under `originals/`.
    pub original_files: usize,
}

/// One table in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableEntry {
    /// How many rows.
    pub rows: u64,
    /// SHA-256 of the table's `.jsonl`, hex.
    pub sha256: String,
}

/// The folders media live in.
#[derive(Debug, Clone)]
pub struct Folders {
    /// Public media files.
    pub media: PathBuf,
    /// Uploaded originals.
    pub originals: PathBuf,
}

fn header(size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    h.set_entry_type(tar::EntryType::Regular);
    h
}

/// Every file under `dir`, as sorted relative paths with `/`.
fn files_under(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for e in entries {
            let e = e?;
            let t = e.file_type()?;
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file()
                && let Ok(rel) = e.path().strip_prefix(dir)
            {
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                // Files being written (`.tmp-…`) are not part of the site.
                if !parts.iter().any(|p| p.starts_with('.')) {
                    out.push(parts.join("/"));
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Writes a backup of the site to `out`. Returns its manifest.
pub async fn export(db: &Database, folders: &Folders, out: &Path) -> anyhow::Result<Manifest> {
    let work = tempfile::tempdir_in(
        out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")),
    )?;
    // Rows to one file per table, from one snapshot.
    let mut files: BTreeMap<&'static str, (std::io::BufWriter<std::fs::File>, u64, PathBuf)> =
        BTreeMap::new();
    for spec in BACKUP_TABLES {
        let p = work.path().join(format!("{}.jsonl", spec.name));
        files.insert(spec.name, (std::io::BufWriter::new(std::fs::File::create(&p)?), 0, p));
    }
    db.dump(|spec, row| {
        if let Some((w, n, _)) = files.get_mut(spec.name) {
            serde_json::to_writer(&mut *w, &row)?;
            w.write_all(b"\n")?;
            *n += 1;
        }
        Ok(())
    })
    .await?;
    let schema = db.schema_version().await?;
    // The media files as they are now, kept by hard links (copies across
    // file systems): a picture replaced or deleted while the archive is
    // written is still in it, and the manifest counts what is.
    let media = snapshot(&folders.media, &work.path().join("media"))?;
    let originals = snapshot(&folders.originals, &work.path().join("originals"))?;
    let mut manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        schema,
        created_at: newsdesk_db::backup_time(chrono::Utc::now()),
        tables: BTreeMap::new(),
        media_files: media.len(),
        original_files: originals.len(),
    };
    let mut table_paths = Vec::new();
    for spec in BACKUP_TABLES {
        if let Some((mut w, rows, p)) = files.remove(spec.name) {
            w.flush()?;
            drop(w);
            let sha256 = sha256_file(&p)?;
            manifest.tables.insert(spec.name.into(), TableEntry { rows, sha256 });
            table_paths.push((spec.name, p));
        }
    }

    let tmp = out.with_extension("partial");
    let file = std::fs::File::create(&tmp)?;
    let gz =
        flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let m = serde_json::to_vec_pretty(&manifest)?;
    tar.append_data(&mut header(m.len() as u64), format!("{ROOT}/manifest.json"), &m[..])?;
    for (name, p) in &table_paths {
        let f = std::fs::File::open(p)?;
        let size = f.metadata()?.len();
        tar.append_data(&mut header(size), format!("{ROOT}/tables/{name}.jsonl"), f)?;
    }
    for (kind, list) in [("media", &media), ("originals", &originals)] {
        let dir = work.path().join(kind);
        for rel in list {
            let f = std::fs::File::open(dir.join(rel))?;
            let size = f.metadata()?.len();
            tar.append_data(&mut header(size), format!("{ROOT}/{kind}/{rel}"), f)?;
        }
    }
    let gz = tar.into_inner()?;
    let mut buf = gz.finish()?;
    buf.flush()?;
    buf.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&tmp, out)?;
    Ok(manifest)
}

/// Links every file under `dir` into `into` (copies when linking is not
/// possible); returns their relative paths, sorted. A file gone between
/// listing and linking is not part of the site any more.
fn snapshot(dir: &Path, into: &Path) -> std::io::Result<Vec<String>> {
    let mut kept = Vec::new();
    for rel in files_under(dir)? {
        let (from, to) = (dir.join(&rel), into.join(&rel));
        if let Some(p) = to.parent() {
            std::fs::create_dir_all(p)?;
        }
        let done =
            std::fs::hard_link(&from, &to).or_else(|_| std::fs::copy(&from, &to).map(|_| ()));
        match done {
            Ok(()) => kept.push(rel),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(kept)
}

fn sha256_file(p: &Path) -> std::io::Result<String> {
    // Table files are written once and read twice; hashing whole is fine
    // for the sizes a table reaches (the media files are not hashed).
    let bytes = std::fs::read(p)?;
    Ok(newsdesk_media::sha256_hex(&bytes))
}

/// A relative path from an archive, refused if it could leave its folder.
fn safe_relative(rel: &str) -> anyhow::Result<PathBuf> {
    let p = Path::new(rel);
    anyhow::ensure!(
        !rel.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_))),
        "the backup holds a file outside its folders: {rel:?}"
    );
    Ok(p.to_owned())
}

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Restored {
    /// Rows written per table.
    pub rows: BTreeMap<String, u64>,
    /// Media and original files written.
    pub files: usize,
    /// Scheduled articles queued again.
    pub rescheduled: usize,
}

/// Rows read from the archive and not yet written, per table.
const BATCH: usize = 500;

/// Restores the backup at `file` into the site of `room`, which must hold
/// no content. Everything is written in one transaction: a backup that is
/// damaged anywhere leaves the database as it was.
pub async fn import(
    room: &Newsroom,
    actor: &Actor,
    folders: &Folders,
    file: &Path,
) -> anyhow::Result<Restored> {
    let db = room.db();
    anyhow::ensure!(
        db.backed_up_rows().await? == 0,
        "this site already has content: restore a backup only into a new, empty site \
         (a fresh --data-dir, or an empty PostgreSQL database)"
    );
    let f = std::fs::File::open(file)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(BufReader::new(f)));
    let mut manifest: Option<Manifest> = None;
    let mut restored = Restored::default();
    let mut w = room.begin(actor).await?.bulk();
    let mut later: Vec<(&'static TableSpec, Vec<Map<String, Value>>)> = Vec::new();
    let mut seen_tables = Vec::new();
    let mut written_files: Vec<PathBuf> = Vec::new();
    let result: anyhow::Result<()> = async {
        let damaged = |e: std::io::Error| {
            anyhow::anyhow!("the file is damaged or not a Newsdesk backup ({e})")
        };
        for entry in archive.entries().map_err(damaged)? {
            let mut entry = entry.map_err(damaged)?;
            let path = entry.path()?.to_string_lossy().into_owned();
            let Some(rel) = path.strip_prefix(&format!("{ROOT}/")) else {
                anyhow::bail!("{path} is not part of a Newsdesk backup");
            };
            if rel == "manifest.json" {
                let mut s = String::new();
                entry.read_to_string(&mut s)?;
                let m: Manifest = serde_json::from_str(&s)
                    .map_err(|e| anyhow::anyhow!("the manifest is not readable: {e}"))?;
                anyhow::ensure!(m.format == FORMAT, "this is not a Newsdesk backup");
                anyhow::ensure!(
                    m.version == VERSION,
                    "this backup is in format version {}, this Newsdesk reads version {VERSION}",
                    m.version
                );
                let here = db.schema_version().await?;
                anyhow::ensure!(
                    m.schema == here,
                    "this backup is of schema version {}, this site is at {here}: restore it with the Newsdesk version that made it",
                    m.schema
                );
                manifest = Some(m);
                continue;
            }
            let Some(m) = &manifest else {
                anyhow::bail!("the backup does not start with its manifest");
            };
            if let Some(name) = rel.strip_prefix("tables/").and_then(|n| n.strip_suffix(".jsonl")) {
                let Some(spec) = BACKUP_TABLES.iter().find(|s| s.name == name) else {
                    anyhow::bail!("the backup holds an unknown table {name}");
                };
                let expected = m.tables.get(name).ok_or_else(|| anyhow::anyhow!("the manifest does not list the table {name}"))?;
                let mut hasher = sha2::Sha256::new();
                let mut rows = 0u64;
                let mut batch = Vec::with_capacity(BATCH);
                let mut kept_for_later = Vec::new();
                let mut reader = BufReader::new(&mut entry);
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line)? == 0 {
                        break;
                    }
                    sha2::Digest::update(&mut hasher, line.as_bytes());
                    let row: Map<String, Value> = serde_json::from_str(&line).map_err(|e| {
                        anyhow::anyhow!("{name} row {} is not readable: {e}", rows + 1)
                    })?;
                    rows += 1;
                    if !spec.later.is_empty() {
                        kept_for_later.push(row.clone());
                    }
                    batch.push(row);
                    if batch.len() == BATCH {
                        w.tx().restore_rows(spec, &batch).await?;
                        batch.clear();
                    }
                }
                w.tx().restore_rows(spec, &batch).await?;
                anyhow::ensure!(
                    rows == expected.rows && hex(&sha2::Digest::finalize(hasher)) == expected.sha256,
                    "the table {name} in the backup is damaged (its rows or checksum differ from the manifest)"
                );
                if !kept_for_later.is_empty() {
                    later.push((spec, kept_for_later));
                }
                restored.rows.insert(name.into(), rows);
                seen_tables.push(name.to_owned());
                continue;
            }
            let (dir, rest) = if let Some(r) = rel.strip_prefix("media/") {
                (&folders.media, r)
            } else if let Some(r) = rel.strip_prefix("originals/") {
                (&folders.originals, r)
            } else {
                anyhow::bail!("the backup holds an unknown entry {rel}");
            };
            let target = dir.join(safe_relative(rest)?);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let tmp = target.with_extension("restoring");
            let mut out = std::fs::File::create(&tmp)?;
            std::io::copy(&mut entry, &mut out)?;
            out.sync_all()?;
            std::fs::rename(&tmp, &target)?;
            written_files.push(target);
            restored.files += 1;
        }
        // The rest of the stream, to its checksum: an archive cut short
        // after its last file is damaged too.
        std::io::copy(&mut archive.into_inner(), &mut std::io::sink()).map_err(damaged)?;
        let Some(m) = &manifest else { anyhow::bail!("the file holds no manifest: it is not a Newsdesk backup") };
        for name in m.tables.keys() {
            anyhow::ensure!(seen_tables.contains(name), "the backup is missing the table {name}: it is truncated");
        }
        anyhow::ensure!(
            restored.files == m.media_files + m.original_files,
            "the backup holds {} files, its manifest lists {}: it is truncated",
            restored.files,
            m.media_files + m.original_files
        );
        for (spec, rows) in &later {
            w.tx().restore_later(spec, rows).await?;
        }
        w.tx().reset_identities().await?;
        restored.rescheduled = w.reschedule_all().await?;
        w.rebuild_related().await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => {
            w.commit().await?;
            db.rebuild_search_index().await?;
            Ok(restored)
        }
        Err(e) => {
            drop(w);
            for f in written_files {
                let _ = std::fs::remove_file(f);
            }
            Err(e)
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
