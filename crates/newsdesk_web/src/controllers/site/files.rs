//! Fingerprinted assets and media library files.

use super::is_head;
use crate::app::AppState;
use crate::error::AppError;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;

/// `GET /assets/{name}`: fingerprinted, in memory, immutable.
pub async fn asset(
    State(app): State<AppState>,
    Path(name): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let page = app.assets.get(&name).ok_or(AppError::NotFound)?;
    Ok(page.respond(req.headers(), is_head(req.method())))
}

pub use newsdesk_core::safe_media_path;

/// Files up to this size are read in one go; bigger ones are streamed in
/// chunks of this size.
pub const MEDIA_CHUNK: usize = 256 * 1024;

/// A `Range` that lies outside the file (answered 416).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsatisfiable;

/// The byte range a `Range` header asks of a file of `len` bytes:
/// `Ok(None)` for the whole file (no header, or one this server does not
/// serve partially: several ranges, another unit, bad syntax),
/// [`Unsatisfiable`] when the range lies outside the file.
pub fn byte_range(header: Option<&str>, len: u64) -> Result<Option<(u64, u64)>, Unsatisfiable> {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else { return Ok(None) };
    let (first, last) = (first.trim(), last.trim());
    let parse = |s: &str| {
        (!s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    let range = match (parse(first), parse(last)) {
        // `bytes=a-b`
        (Some(a), Some(b)) if a <= b => (a, b.min(len.saturating_sub(1))),
        // `bytes=a-`
        (Some(a), None) if last.is_empty() => (a, len.saturating_sub(1)),
        // `bytes=-n`: the last n bytes.
        (None, Some(n)) if first.is_empty() => {
            if n == 0 {
                return Err(Unsatisfiable);
            }
            (len.saturating_sub(n), len.saturating_sub(1))
        }
        _ => return Ok(None),
    };
    if len == 0 || range.0 >= len { Err(Unsatisfiable) } else { Ok(Some(range)) }
}

/// `GET /media/{*path}`: files of the media library, streamed from disk
/// with validators and byte ranges, never compressed again (they are
/// images).
pub async fn media(
    State(app): State<AppState>,
    Path(path): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    use axum::http::{HeaderValue, header};
    let content_type = match path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()) {
        Some(e) if e == "jpg" || e == "jpeg" => "image/jpeg",
        Some(e) if e == "png" => "image/png",
        Some(e) if e == "webp" => "image/webp",
        Some(e) if e == "gif" => "image/gif",
        _ => return Err(AppError::NotFound),
    };
    if !safe_media_path(&path) {
        return Err(AppError::NotFound);
    }
    let file_path = app.media_dir.join(&path);
    let mut file = tokio::fs::File::open(&file_path).await.map_err(|_| AppError::NotFound)?;
    let meta = file.metadata().await.map_err(|_| AppError::NotFound)?;
    if !meta.is_file() {
        return Err(AppError::NotFound);
    }
    let len = meta.len();
    let modified = meta.modified().ok().map(chrono::DateTime::<chrono::Utc>::from);
    // Files are named by content and never rewritten in place; size and
    // time identify a version without reading it.
    let etag = format!("\"{len:x}-{:x}\"", modified.map_or(0, |m| m.timestamp()));
    let headers = req.headers();
    let head = is_head(req.method());
    let matches_etag = |v: &HeaderValue| {
        v.to_str().is_ok_and(|s| {
            s.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == "*" || t == etag)
        })
    };
    let mut res = Response::new(axum::body::Body::empty());
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Library files are named after their content: a new picture is a new
    // name, so a name's bytes never change.
    let cache = if path.starts_with("lib/") {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=2592000"
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    let last_modified = modified.map(|m| m.format("%a, %d %b %Y %H:%M:%S GMT").to_string());
    if let Some(v) = last_modified.as_deref().and_then(|m| HeaderValue::from_str(m).ok()) {
        h.insert(header::LAST_MODIFIED, v);
    }
    let not_modified = match headers.get(header::IF_NONE_MATCH) {
        Some(v) => matches_etag(v),
        None => {
            match (headers.get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()), modified) {
                (Some(since), Some(m)) => chrono::DateTime::parse_from_rfc2822(since)
                    .is_ok_and(|s| m.timestamp() <= s.timestamp()),
                _ => false,
            }
        }
    };
    if not_modified {
        *res.status_mut() = StatusCode::NOT_MODIFIED;
        return Ok(res);
    }
    // `If-Range`: a range only of the version the client has, compared
    // strongly (RFC 9110 §13.1.5): the exact tag, or the exact date.
    let same_version = |v: &HeaderValue| {
        v.to_str().is_ok_and(|s| s.trim() == etag || Some(s.trim()) == last_modified.as_deref())
    };
    let range_header = match headers.get(header::IF_RANGE) {
        Some(v) if !same_version(v) => None,
        _ => headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
    };
    let (start, end) = match byte_range(range_header, len) {
        Ok(None) => (0, len.saturating_sub(1)),
        Ok(Some((a, b))) => {
            *res.status_mut() = StatusCode::PARTIAL_CONTENT;
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {a}-{b}/{len}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            (a, b)
        }
        Err(Unsatisfiable) => {
            *res.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            // About this request, not the file: nothing to keep.
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(res);
        }
    };
    let count = if len == 0 { 0 } else { end - start + 1 };
    res.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    if head || count == 0 {
        return Ok(res);
    }
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    if start > 0 {
        file.seek(std::io::SeekFrom::Start(start)).await.map_err(|_| AppError::NotFound)?;
    }
    let body = if count <= MEDIA_CHUNK as u64 {
        let mut buf = vec![0u8; count as usize];
        file.read_exact(&mut buf).await.map_err(|_| AppError::NotFound)?;
        axum::body::Body::from(buf)
    } else {
        // Streamed: memory stays at one chunk per response, however big.
        let chunks = futures_util::stream::unfold((file, count), |(mut f, left)| async move {
            if left == 0 {
                return None;
            }
            let mut buf = vec![0u8; (left as usize).min(MEDIA_CHUNK)];
            match f.read_exact(&mut buf).await {
                Ok(_) => Some((
                    Ok::<_, std::io::Error>(bytes::Bytes::from(buf)),
                    (f, left - buf_len(left)),
                )),
                Err(e) => Some((Err(e), (f, 0))),
            }
        });
        axum::body::Body::from_stream(chunks)
    };
    *res.body_mut() = body;
    Ok(res)
}

/// The size of the next chunk of a body with `left` bytes to go.
fn buf_len(left: u64) -> u64 {
    left.min(MEDIA_CHUNK as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_paths_cannot_escape_the_media_folder() {
        assert!(safe_media_path("demo/story1-1-480.jpg"));
        for bad in [
            "../etc/passwd",
            "demo/../../x.jpg",
            ".hidden.jpg",
            "demo//x.jpg",
            "/abs.jpg",
            "a\\b.jpg",
            "a%2e%2e/x.jpg",
            "",
        ] {
            assert!(!safe_media_path(bad), "{bad}");
        }
    }

    #[test]
    fn byte_ranges_follow_rfc_9110() {
        assert_eq!(byte_range(None, 100), Ok(None));
        assert_eq!(byte_range(Some("bytes=0-9"), 100), Ok(Some((0, 9))));
        assert_eq!(byte_range(Some("bytes=90-"), 100), Ok(Some((90, 99))));
        assert_eq!(byte_range(Some("bytes=-10"), 100), Ok(Some((90, 99))));
        assert_eq!(byte_range(Some("bytes=50-500"), 100), Ok(Some((50, 99))), "clamped");
        assert_eq!(byte_range(Some("bytes=-500"), 100), Ok(Some((0, 99))));
        assert_eq!(byte_range(Some("bytes=100-"), 100), Err(Unsatisfiable));
        assert_eq!(byte_range(Some("bytes=-0"), 100), Err(Unsatisfiable));
        for whole in [
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=9-2",
            "bytes=x-",
            "bytes=",
            "bytes=99999999999999999999999-",
        ] {
            assert_eq!(byte_range(Some(whole), 100), Ok(None), "{whole}");
        }
    }
}
