//! Where media files live: a small interface, and the local folder that
//! implements it. An S3-compatible store can implement the same four
//! calls for sites that run on several machines.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// A place for files under keys such as `lib/ab/abcdef…/w640.webp`.
///
/// Keys are made by Newsdesk (from content hashes), never taken from a
/// user; implementations still refuse any key that is not plain lowercase
/// ASCII path segments.
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// Stores `bytes` under `key`, replacing what was there, atomically: a
    /// reader sees the old file or the new one, never a part.
    fn put(&self, key: &str, bytes: &[u8]) -> io::Result<()>;
    /// The bytes under `key`.
    fn get(&self, key: &str) -> io::Result<Vec<u8>>;
    /// Removes `key`; removing a missing key is not an error.
    fn delete(&self, key: &str) -> io::Result<()>;
    /// Whether `key` holds a file.
    fn exists(&self, key: &str) -> bool;
    /// The public URL path of `key`, or `None` for a private store.
    fn url(&self, key: &str) -> Option<String>;
}

/// Whether `key` is one this module would ever make.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 200
        && key.split('/').all(|seg| {
            !seg.is_empty()
                && !seg.starts_with('.')
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
        })
}

fn bad_key(key: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("not a media key: {key:?}"))
}

/// Files in a folder on this machine.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
    url_prefix: Option<String>,
}

impl LocalStore {
    /// A store in `root`, served at `url_prefix` (e.g. `/media/`), or
    /// private when that is `None`.
    pub fn new(root: impl Into<PathBuf>, url_prefix: Option<&str>) -> LocalStore {
        LocalStore { root: root.into(), url_prefix: url_prefix.map(str::to_owned) }
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> io::Result<PathBuf> {
        if valid_key(key) { Ok(self.root.join(key)) } else { Err(bad_key(key)) }
    }
}

impl Storage for LocalStore {
    fn put(&self, key: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.path(key)?;
        let dir = path.parent().unwrap_or(&self.root);
        // Written beside its final place, flushed, then renamed over it. A
        // delete may remove an emptied folder at the same moment: then the
        // folder is made again, once.
        // A store with a public URL holds what the web serves: its files
        // are readable by every user (a web server or static host running
        // as another user, a hard-linked static export), as a plain
        // `create` would make them; a private store (camera originals)
        // keeps the temporary file's owner-only mode.
        let public = self.url_prefix.is_some();
        let make = || {
            std::fs::create_dir_all(dir)?;
            let mut b = tempfile::Builder::new();
            b.prefix(".upload-");
            #[cfg(unix)]
            if public {
                use std::os::unix::fs::PermissionsExt;
                b.permissions(std::fs::Permissions::from_mode(0o644));
            }
            b.tempfile_in(dir)
        };
        let mut tmp = match make() {
            Err(e) if e.kind() == io::ErrorKind::NotFound => make()?,
            other => other?,
        };
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }

    fn get(&self, key: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.path(key)?)
    }

    fn delete(&self, key: &str) -> io::Result<()> {
        let path = self.path(key)?;
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        // Folders left empty go too (never the root); one still holding a
        // file stays, which `remove_dir` refuses on its own.
        let mut dir = path.parent();
        while let Some(d) = dir
            && d != self.root
            && std::fs::remove_dir(d).is_ok()
        {
            dir = d.parent();
        }
        Ok(())
    }

    fn exists(&self, key: &str) -> bool {
        self.path(key).is_ok_and(|p| p.is_file())
    }

    fn url(&self, key: &str) -> Option<String> {
        self.url_prefix.as_ref().map(|p| format!("{p}{key}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_plain_segments() {
        for ok in ["lib/ab/abc123/w640.webp", "originals/ab/abc.jpg"] {
            assert!(valid_key(ok), "{ok}");
        }
        for bad in [
            "",
            "../x.jpg",
            "a/../b",
            "/abs.jpg",
            "a//b",
            ".hidden",
            "A.JPG",
            "a\0b",
            "x/\u{202E}gpj.exe",
        ] {
            assert!(!valid_key(bad), "{bad:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn public_files_are_readable_by_all_and_originals_by_their_owner() -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let public = LocalStore::new(dir.path().join("media"), Some("/media/"));
        let private = LocalStore::new(dir.path().join("originals"), None);
        public.put("lib/ab/pic.jpg", b"jpeg")?;
        private.put("ab/pic.jpg", b"jpeg")?;
        let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777);
        // Readable by others, whatever the umask left of the rest.
        assert_eq!(mode(&dir.path().join("media/lib/ab/pic.jpg"))? & 0o604, 0o604);
        assert_eq!(mode(&dir.path().join("originals/ab/pic.jpg"))?, 0o600);
        Ok(())
    }

    #[test]
    fn put_get_delete_round_trip_and_refuse_bad_keys() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let s = LocalStore::new(dir.path(), Some("/media/"));
        s.put("lib/ab/x.webp", b"one")?;
        s.put("lib/ab/x.webp", b"two")?;
        assert_eq!(s.get("lib/ab/x.webp")?, b"two");
        assert!(s.exists("lib/ab/x.webp"));
        assert_eq!(s.url("lib/ab/x.webp").as_deref(), Some("/media/lib/ab/x.webp"));
        s.delete("lib/ab/x.webp")?;
        s.delete("lib/ab/x.webp")?;
        assert!(!s.exists("lib/ab/x.webp"));
        assert!(s.put("../escape.jpg", b"x").is_err());
        assert!(!dir.path().parent().map(|p| p.join("escape.jpg").exists()).unwrap_or(false));
        // No temporary file is left beside the stored ones, and a folder
        // emptied by a delete goes.
        assert!(!dir.path().join("lib/ab").exists());
        assert!(dir.path().is_dir());
        Ok(())
    }
}
