//! What is refused or redirected before routing.

use crate::error::AppError;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// Longest request target accepted (path and query), in bytes. Longer ones
/// get 414: no page of ours needs more, and long URLs are a cheap attack.
pub const MAX_URI_BYTES: usize = 2048;

/// Whether the percent-decoded `path` is valid UTF-8 (every route reads it
/// as text; bytes that are not are an unknown page, not a framework error).
fn decodes_to_utf8(path: &str) -> bool {
    if !path.contains('%') {
        return true;
    }
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(&h), Some(&l)) = (bytes.get(i + 1), bytes.get(i + 2))
            && let (Some(h), Some(l)) = (hex(h), hex(l))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    std::str::from_utf8(&out).is_ok()
}

/// Refuses what no route should see: targets over [`MAX_URI_BYTES`] (414),
/// HTTP/1.1 requests without exactly one `Host` header (400, as RFC 9112
/// says), paths whose bytes are not UTF-8 (404); folds a trailing slash with
/// a 308 to the same path without it, and only ever to a path of this site.
pub async fn uri_guard(req: Request, next: Next) -> Response {
    let target_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target_len > MAX_URI_BYTES {
        return AppError::UriTooLong.into_response();
    }
    if req.version() == axum::http::Version::HTTP_11 {
        let hosts = req.headers().get_all(axum::http::header::HOST).iter().count();
        if hosts != 1 {
            return AppError::BadRequest(
                "An HTTP/1.1 request needs exactly one Host header.".into(),
            )
            .into_response();
        }
    }
    let path = req.uri().path();
    if !decodes_to_utf8(path) {
        return AppError::NotFound.into_response();
    }
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
        // Only a path of this site: one leading slash, no backslash (which
        // browsers read as a slash, so `/\host` would mean another site).
        if trimmed.starts_with("//") || trimmed.contains('\\') {
            return AppError::NotFound.into_response();
        }
        let target = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_owned(),
        };
        return Redirect::permanent(&target).into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_finds_bytes_that_are_not_utf8() {
        assert!(decodes_to_utf8("/world/2026/01/02/caf%C3%A9"));
        assert!(decodes_to_utf8("/plain"));
        assert!(decodes_to_utf8("/100%"), "a lone percent sign is just text");
        assert!(!decodes_to_utf8("/%C0%AF"));
        assert!(!decodes_to_utf8("/world/%FF"));
    }
}
