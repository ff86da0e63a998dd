//! Fingerprinted assets and media library files.

use super::is_head;
use crate::app::AppState;
use crate::cache::CachedPage;
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

/// `GET /media/{*path}`: files of the media library.
pub async fn media(
    State(app): State<AppState>,
    Path(path): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
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
    let file = app.media_dir.join(&path);
    let bytes = tokio::fs::read(&file).await.map_err(|_| AppError::NotFound)?;
    let modified = tokio::fs::metadata(&file)
        .await
        .ok()
        .and_then(|m| m.modified().ok())
        .map(chrono::DateTime::<chrono::Utc>::from);
    let page = CachedPage::new(
        StatusCode::OK,
        content_type,
        "public, max-age=2592000",
        bytes,
        modified,
        vec![],
    );
    Ok(page.respond(req.headers(), is_head(req.method())))
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
}
