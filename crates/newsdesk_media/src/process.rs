//! Decoding with limits, the stripped master, renditions and crops.

use crate::{Format, Limits, Metadata, Refusal};
use fast_image_resize::images::Image as FirImage;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, ImageDecoder, ImageReader};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::io::Cursor;

/// Widths of the scaled renditions (never wider than the original).
pub const SCALED_WIDTHS: [u32; 5] = [320, 640, 960, 1280, 1920];
/// Widths of the 16:9 card crops.
pub const CARD_WIDTHS: [u32; 2] = [400, 800];
/// Widths of the square thumbnails.
pub const THUMB_WIDTHS: [u32; 2] = [160, 320];

/// The longest side a WebP file can have.
pub const WEBP_MAX_SIDE: u32 = 16383;

const JPEG_QUALITY: u8 = 82;
const MASTER_JPEG_QUALITY: u8 = 88;
const WEBP_QUALITY: f32 = 78.0;
const MASTER_WEBP_QUALITY: f32 = 88.0;

/// A proven picture: decoded, upright, with what its metadata says.
pub struct Picture {
    /// The format the upload is in.
    pub format: Format,
    /// The pixels, turned upright by the EXIF orientation.
    pub image: DynamicImage,
    /// Newsroom metadata read from the file.
    pub meta: Metadata,
    /// SHA-256 of the uploaded bytes, in hex.
    pub hash: String,
}

impl Picture {
    /// Width after orientation.
    pub fn width(&self) -> u32 {
        self.image.width()
    }

    /// Height after orientation.
    pub fn height(&self) -> u32 {
        self.image.height()
    }
}

/// The SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn broken(format: Format, e: impl std::fmt::Display) -> Refusal {
    let mut detail = e.to_string();
    detail.truncate(200);
    Refusal::Broken { format: format.name(), detail }
}

/// Proves `bytes` are a picture within `limits`, and decodes it.
///
/// The byte and pixel limits are checked before decoding (the pixel count
/// from the header alone), so a decompression bomb costs nothing; decoding
/// then runs under an allocation limit sized from the pixel limit.
pub fn open(bytes: &[u8], limits: &Limits) -> Result<Picture, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::Empty);
    }
    if bytes.len() as u64 > limits.max_bytes {
        return Err(Refusal::TooLarge { limit: limits.max_bytes });
    }
    let format = Format::sniff(bytes)?;
    // A JPEG's frame header is read here, before any decoder is asked.
    if format == Format::Jpeg
        && let Some((width, height)) = jpeg_frame_size(bytes)
        && u64::from(width) * u64::from(height) > limits.max_pixels
    {
        return Err(Refusal::TooManyPixels { width, height, limit: limits.max_pixels });
    }
    let reader = || ImageReader::with_format(Cursor::new(bytes), format.image_format());
    let (width, height) = reader().into_dimensions().map_err(|e| broken(format, e))?;
    if width == 0 || height == 0 {
        return Err(broken(format, "it has no pixels"));
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(Refusal::TooManyPixels { width, height, limit: limits.max_pixels });
    }
    if format == Format::Jpeg && !jpeg_complete(bytes) {
        // Decoders fill a cut-off JPEG with grey rather than fail.
        return Err(broken(format, "the file ends before the picture does"));
    }
    let mut r = reader();
    let mut l = image::Limits::default();
    // Eight bytes a pixel covers 16-bit RGBA, the widest a decoder makes.
    l.max_alloc = Some(limits.max_pixels.saturating_mul(8).max(64 * 1024 * 1024));
    r.limits(l);
    let mut decoder = r.into_decoder().map_err(|e| broken(format, e))?;
    let exif = decoder.exif_metadata().ok().flatten();
    let iptc = decoder.iptc_metadata().ok().flatten();
    let xmp = decoder.xmp_metadata().ok().flatten();
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| broken(format, e))?;
    image.apply_orientation(orientation);
    let meta = Metadata::read(exif.as_deref(), iptc.as_deref(), xmp.as_deref());
    Ok(Picture { format, image, meta, hash: sha256_hex(bytes) })
}

/// The size a JPEG's first frame header (SOFn) declares, found by walking
/// the segments before it.
pub fn jpeg_frame_size(b: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 9 <= b.len() {
        if b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let is_frame = (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_frame {
            let h = u16::from_be_bytes([b[i + 5], b[i + 6]]);
            let w = u16::from_be_bytes([b[i + 7], b[i + 8]]);
            return Some((u32::from(w), u32::from(h)));
        }
        if marker == 0xDA || marker == 0xD9 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        i += 2 + len;
    }
    None
}

/// Whether a JPEG's image data is followed by its end marker: the
/// segments before the first scan are walked by their lengths (an EXIF
/// thumbnail inside one has markers of its own), then an end-of-image
/// marker must follow (scan data never holds one). Data after the end
/// marker, such as the video of a motion photo, is allowed.
pub fn jpeg_complete(b: &[u8]) -> bool {
    let mut i = 2;
    while i + 4 <= b.len() {
        if b[i] != 0xFF {
            return false;
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        if marker == 0xDA {
            break;
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        i += 2 + len;
    }
    b.get(i..).is_some_and(|rest| rest.windows(2).any(|w| w == [0xFF, 0xD9]))
}

/// An encoded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The file's bytes (no metadata).
    pub bytes: Vec<u8>,
    /// Its extension: `jpg`, `png` or `webp`.
    pub ext: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// What it is: `full`, `w640`, `card800`, `thumb160`, …
    pub variant: String,
}

/// The format readers get when the original's is not one renditions use:
/// GIFs become PNG (their first frame, at full colour).
fn fallback_format(f: Format) -> Format {
    match f {
        Format::Gif => Format::Png,
        f => f,
    }
}

/// Pixels in the one layout the encoders take: RGB, or RGBA when the
/// picture has transparency.
fn flatten(img: &DynamicImage) -> Cow<'_, DynamicImage> {
    match img {
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => Cow::Borrowed(img),
        _ if img.color().has_alpha() => Cow::Owned(DynamicImage::ImageRgba8(img.to_rgba8())),
        _ => Cow::Owned(DynamicImage::ImageRgb8(img.to_rgb8())),
    }
}

fn encode(img: &DynamicImage, format: Format, master: bool) -> Result<(Vec<u8>, Format), String> {
    let (w, h) = (img.width(), img.height());
    let format = fallback_format(format);
    let mut out = Vec::new();
    match (format, img) {
        (Format::Jpeg, _) => {
            // Transparency has no place in a JPEG: the pixels are flattened
            // to RGB (a copy only when they are not RGB already).
            let rgb: Cow<'_, [u8]> = match img {
                DynamicImage::ImageRgb8(px) => Cow::Borrowed(px.as_raw()),
                other => Cow::Owned(other.to_rgb8().into_raw()),
            };
            let (ew, eh) = (
                u16::try_from(w).map_err(|_| "too wide for JPEG")?,
                u16::try_from(h).map_err(|_| "too tall for JPEG")?,
            );
            let q = if master { MASTER_JPEG_QUALITY } else { JPEG_QUALITY };
            let mut enc = jpeg_encoder::Encoder::new(&mut out, q);
            // Renditions load progressively; the master, read only until
            // they exist, is encoded the quicker way.
            enc.set_progressive(!master);
            enc.encode(&rgb, ew, eh, jpeg_encoder::ColorType::Rgb).map_err(|e| e.to_string())?;
        }
        (Format::Webp, _) if w > WEBP_MAX_SIDE || h > WEBP_MAX_SIDE => {
            return Err(format!("WebP cannot hold {w} × {h} pixels"));
        }
        (Format::Webp, DynamicImage::ImageRgba8(px)) => {
            let q = if master { MASTER_WEBP_QUALITY } else { WEBP_QUALITY };
            out = webp::Encoder::from_rgba(px.as_raw(), w, h)
                .encode_simple(false, q)
                .map_err(|e| format!("WebP encoding failed: {e:?}"))?
                .to_vec();
        }
        (Format::Webp, DynamicImage::ImageRgb8(px)) => {
            let q = if master { MASTER_WEBP_QUALITY } else { WEBP_QUALITY };
            out = webp::Encoder::from_rgb(px.as_raw(), w, h)
                .encode_simple(false, q)
                .map_err(|e| format!("WebP encoding failed: {e:?}"))?
                .to_vec();
        }
        (Format::Webp, other) => return encode(flatten(other).as_ref(), Format::Webp, master),
        _ => {
            use image::ImageEncoder;
            use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
            let flat = flatten(img);
            PngEncoder::new_with_quality(&mut out, CompressionType::Fast, PngFilter::Adaptive)
                .write_image(flat.as_bytes(), w, h, flat.color().into())
                .map_err(|e| e.to_string())?;
        }
    }
    if out.is_empty() {
        return Err(format!("the {} encoder gave no bytes", format.name()));
    }
    Ok((out, format))
}

/// The full-size file readers get until renditions exist: upright, in the
/// original's format (GIF as PNG), with no metadata at all.
pub fn master(p: &Picture) -> Result<Encoded, String> {
    let (bytes, f) = encode(flatten(&p.image).as_ref(), p.format, true)?;
    Ok(Encoded {
        bytes,
        ext: f.ext(),
        width: p.width(),
        height: p.height(),
        variant: "full".into(),
    })
}

/// A focal point: the part of the picture crops keep, as fractions of
/// its width and height from the top left (0.5, 0.5 is the centre).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Focal {
    /// From the left, 0 to 1.
    pub x: f64,
    /// From the top, 0 to 1.
    pub y: f64,
}

impl Default for Focal {
    fn default() -> Self {
        Focal { x: 0.5, y: 0.5 }
    }
}

impl Focal {
    /// The point, each coordinate clamped to 0–1 (NaN becomes the centre).
    pub fn clamped(self) -> Focal {
        let c = |v: f64| if v.is_nan() { 0.5 } else { v.clamp(0.0, 1.0) };
        Focal { x: c(self.x), y: c(self.y) }
    }

    /// The largest `aspect` (width / height) rectangle in a `w` × `h`
    /// picture that is centred on the point as nearly as the edges allow:
    /// `(left, top, width, height)`.
    pub fn crop(self, w: u32, h: u32, aspect: f64) -> (f64, f64, f64, f64) {
        let f = self.clamped();
        let (w, h) = (f64::from(w), f64::from(h));
        let (cw, ch) = if w / h > aspect { (h * aspect, h) } else { (w, w / aspect) };
        let left = (f.x * w - cw / 2.0).clamp(0.0, w - cw);
        let top = (f.y * h - ch / 2.0).clamp(0.0, h - ch);
        (left, top, cw, ch)
    }
}

fn resize(
    resizer: &mut Resizer,
    src: &DynamicImage,
    crop: (f64, f64, f64, f64),
    w: u32,
    h: u32,
) -> Result<DynamicImage, String> {
    let pixel_type = if src.color().has_alpha() { PixelType::U8x4 } else { PixelType::U8x3 };
    let mut dst = FirImage::new(w, h, pixel_type);
    let opts = ResizeOptions::new()
        .crop(crop.0, crop.1, crop.2, crop.3)
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    resizer.resize(src, &mut dst, &opts).map_err(|e| e.to_string())?;
    let buf = dst.into_vec();
    let img = if pixel_type == PixelType::U8x4 {
        image::RgbaImage::from_raw(w, h, buf).map(DynamicImage::ImageRgba8)
    } else {
        image::RgbImage::from_raw(w, h, buf).map(DynamicImage::ImageRgb8)
    };
    img.ok_or_else(|| "the resizer gave a buffer of the wrong size".to_owned())
}

/// A rendition to make: variant, crop `(left, top, width, height)`, target
/// width and height, and whether it is also made in the fallback format.
type Planned = (String, (f64, f64, f64, f64), u32, u32, bool);

/// Every rendition of a picture, each in WebP and in the original's format
/// (GIF as PNG; a WebP original only in WebP):
///
/// - scaled to each of [`SCALED_WIDTHS`] narrower than the picture, plus a
///   WebP at the picture's own width when that is at most the widest;
/// - 16:9 crops ([`CARD_WIDTHS`]) and squares ([`THUMB_WIDTHS`]) around
///   the focal point.
///
/// Nothing is ever upscaled. Crop variants carry the focal point in their
/// name, so moving it gives new file names.
pub fn renditions(p: &Picture, focal: Focal) -> Result<Vec<Encoded>, String> {
    let src = flatten(&p.image);
    let src = src.as_ref();
    let (w, h) = (src.width(), src.height());
    let focal = focal.clamped();
    let tag = format!("f{:03}x{:03}", (focal.x * 1000.0).round(), (focal.y * 1000.0).round());
    let mut plan: Vec<Planned> = Vec::new();
    let full = (0.0, 0.0, f64::from(w), f64::from(h));
    let scaled_h = |tw: u32| (u64::from(h) * u64::from(tw)).div_ceil(u64::from(w)).max(1);
    for tw in SCALED_WIDTHS.into_iter().filter(|&tw| tw < w) {
        let th = u32::try_from(scaled_h(tw)).map_err(|e| e.to_string())?;
        plan.push((format!("w{tw}"), full, tw, th, true));
    }
    if w <= SCALED_WIDTHS[SCALED_WIDTHS.len() - 1] {
        // The master already is the full-width fallback.
        plan.push((format!("w{w}"), full, w, h, false));
    }
    for (kind, widths, aspect) in
        [("card", &CARD_WIDTHS[..], 16.0 / 9.0), ("thumb", &THUMB_WIDTHS[..], 1.0)]
    {
        let crop = focal.crop(w, h, aspect);
        let mut last = 0;
        for &cw in widths {
            // Never wider than the crop itself.
            let tw = cw.min(crop.2.floor() as u32).max(1);
            if tw == last {
                continue;
            }
            last = tw;
            let th = ((f64::from(tw) / aspect).round() as u32).max(1);
            plan.push((format!("{kind}{cw}-{tag}"), crop, tw, th, true));
        }
    }
    let mut resizer = Resizer::new();
    let mut out = Vec::new();
    for (variant, crop, tw, th, fallback) in plan {
        let img = if (tw, th) == (w, h) && crop == full {
            Cow::Borrowed(src)
        } else {
            Cow::Owned(resize(&mut resizer, src, crop, tw, th)?)
        };
        // A very tall or wide picture has sizes WebP cannot hold: those
        // come in the original's format only.
        if tw <= WEBP_MAX_SIDE && th <= WEBP_MAX_SIDE {
            let (bytes, _) = encode(&img, Format::Webp, false)?;
            out.push(Encoded {
                bytes,
                ext: "webp",
                width: tw,
                height: th,
                variant: variant.clone(),
            });
        } else if p.format == Format::Webp {
            continue;
        }
        if fallback && p.format != Format::Webp {
            let (bytes, f) = encode(&img, p.format, false)?;
            out.push(Encoded { bytes, ext: f.ext(), width: tw, height: th, variant });
        }
    }
    Ok(out)
}
