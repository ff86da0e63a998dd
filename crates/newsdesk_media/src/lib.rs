//! Newsdesk's media pipeline.
//!
//! An upload becomes a library item in three steps, each a plain function
//! so the application layer can run them where it likes (on a blocking
//! thread for an upload, in a job for renditions):
//!
//! 1. [`open`] proves the bytes are a JPEG, PNG, WebP or GIF picture: the
//!    size and pixel limits are checked from the header before anything is
//!    decoded, then the picture is decoded in full, turned upright by its
//!    EXIF orientation, and its newsroom metadata read ([`meta`]).
//! 2. [`master`] re-encodes it at full size with no metadata at all: the
//!    file readers get until renditions exist (the upload itself, which may
//!    carry GPS coordinates, is never served).
//! 3. [`renditions`] makes the smaller sizes and the focal-point crops, in
//!    WebP and in the original's format.
//!
//! Files live behind [`store::Storage`] under names derived from the
//! upload's SHA-256, so no name a user typed ever reaches the file system.

pub mod meta;
mod process;
pub mod store;

pub use meta::Metadata;
pub use process::{
    CARD_WIDTHS, Encoded, Focal, Picture, SCALED_WIDTHS, THUMB_WIDTHS, master, open, renditions,
    sha256_hex,
};

/// The picture formats the library takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// WebP (lossy or lossless).
    Webp,
    /// GIF (renditions are made from the first frame).
    Gif,
}

impl Format {
    /// The format the first bytes of a file announce, or what the file
    /// looks like instead.
    pub fn sniff(head: &[u8]) -> Result<Format, Refusal> {
        if head.is_empty() {
            return Err(Refusal::Empty);
        }
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Ok(Format::Jpeg);
        }
        if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Ok(Format::Png);
        }
        if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
            return Ok(Format::Gif);
        }
        if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
            return Ok(Format::Webp);
        }
        Err(Refusal::NotAPicture { looks_like: looks_like(head) })
    }

    /// The file extension used for stored files.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Gif => "gif",
        }
    }

    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::Webp => "WebP",
            Format::Gif => "GIF",
        }
    }

    fn image_format(self) -> image::ImageFormat {
        match self {
            Format::Jpeg => image::ImageFormat::Jpeg,
            Format::Png => image::ImageFormat::Png,
            Format::Webp => image::ImageFormat::WebP,
            Format::Gif => image::ImageFormat::Gif,
        }
    }
}

/// What a refused file seems to be, for the message.
fn looks_like(head: &[u8]) -> &'static str {
    let text: Vec<u8> = head
        .iter()
        .skip_while(|b| b.is_ascii_whitespace() || **b == 0xEF || **b == 0xBB || **b == 0xBF)
        .take(512)
        .map(u8::to_ascii_lowercase)
        .collect();
    let has = |needle: &[u8]| text.windows(needle.len()).any(|w| w == needle);
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        "a ZIP archive"
    } else if head.starts_with(b"%PDF") {
        "a PDF document"
    } else if has(b"<svg") {
        "an SVG drawing"
    } else if text.starts_with(b"<") {
        if has(b"<html") || has(b"<!doctype html") || has(b"<script") || has(b"<body") {
            "an HTML page"
        } else {
            "an XML or HTML document"
        }
    } else if head.len() >= 12 && &head[4..8] == b"ftyp" {
        "a HEIC, AVIF or video file"
    } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        "a TIFF file"
    } else {
        "a file of an unknown kind"
    }
}

/// Limits on uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file, in bytes.
    pub max_bytes: u64,
    /// Most pixels (width × height) a picture may have.
    pub max_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bytes: 20 * 1024 * 1024, max_pixels: 50_000_000 }
    }
}

/// Why a file is not taken. Every message is meant for the person who
/// uploaded it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Zero bytes.
    #[error("the file is empty")]
    Empty,
    /// Over [`Limits::max_bytes`].
    #[error("the file is larger than the limit of {} MB", limit / (1024 * 1024))]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// Not one of the formats taken.
    #[error("this is {looks_like}, not a JPEG, PNG, WebP or GIF picture")]
    NotAPicture {
        /// What it seems to be.
        looks_like: &'static str,
    },
    /// Over [`Limits::max_pixels`]; found from the header, before decoding.
    #[error(
        "the picture is {width} × {height} pixels, more than the limit of {} megapixels",
        limit / 1_000_000
    )]
    TooManyPixels {
        /// Width in the header.
        width: u32,
        /// Height in the header.
        height: u32,
        /// The limit in pixels.
        limit: u64,
    },
    /// Announced as a picture but could not be decoded.
    #[error("the file is not a valid {format} picture ({detail})")]
    Broken {
        /// The format its first bytes announced.
        format: &'static str,
        /// What the decoder said.
        detail: String,
    },
}
