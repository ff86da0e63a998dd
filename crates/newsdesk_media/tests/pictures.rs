//! The pipeline against real files: made here, then cut, corrupted,
//! disguised and stuffed with hostile metadata.

use image::{DynamicImage, ImageFormat, RgbImage, Rgba, RgbaImage};
use newsdesk_media::{Focal, Format, Limits, Refusal, master, open, renditions};
use newsdesk_test_support::photos::{exif_block, iptc_block, with_segments, xmp_block};
use std::io::Cursor;

type R = Result<(), Box<dyn std::error::Error>>;

/// A gradient, so encoders have something to do.
fn rgb(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 90]))
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let img = rgb(w, h);
    jpeg_encoder::Encoder::new(&mut out, 85)
        .encode(img.as_raw(), w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .expect("encode");
    out
}

fn encoded(img: DynamicImage, f: ImageFormat) -> Vec<u8> {
    let mut c = Cursor::new(Vec::new());
    img.write_to(&mut c, f).expect("encode");
    c.into_inner()
}

fn png(w: u32, h: u32) -> Vec<u8> {
    encoded(DynamicImage::ImageRgb8(rgb(w, h)), ImageFormat::Png)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn an_agency_photo_is_read_turned_upright_and_served_without_metadata() -> R {
    let file = with_segments(
        &jpeg(40, 20),
        &[
            (0xE1, exif_block(6, b"Exif Artist")),
            (
                0xED,
                iptc_block(&[
                    (110, b"Reuters"),
                    (116, b"(c) 2026 Reuters"),
                    (120, b"Crowds gather."),
                ]),
            ),
            (0xE1, xmp_block("<photoshop:Headline>Budget vote</photoshop:Headline>")),
        ],
    );
    let p = open(&file, &Limits::default())?;
    assert_eq!(p.format, Format::Jpeg);
    // Orientation 6 turns a 40 × 20 sensor image into a 20 × 40 picture.
    assert_eq!((p.width(), p.height()), (20, 40));
    assert_eq!(p.meta.creator.as_deref(), Some("Exif Artist"));
    assert_eq!(p.meta.credit.as_deref(), Some("Reuters"));
    assert_eq!(p.meta.copyright.as_deref(), Some("(c) 2026 Reuters"));
    assert_eq!(p.meta.caption.as_deref(), Some("Crowds gather."));
    assert_eq!(p.meta.headline.as_deref(), Some("Budget vote"));
    assert!(!p.meta.is_synthetic());
    assert_eq!(p.hash, newsdesk_media::sha256_hex(&file));

    let m = master(&p)?;
    assert_eq!((m.width, m.height, m.ext), (20, 40, "jpg"));
    for leak in [&b"Exif"[..], b"Photoshop", b"xap/1.0", b"Reuters", b"Exif Artist"] {
        assert!(
            !contains(&m.bytes, leak),
            "the served file still holds {:?}",
            String::from_utf8_lossy(leak)
        );
    }
    // The served file is a plain, upright JPEG.
    let back = image::load_from_memory(&m.bytes)?;
    assert_eq!((back.width(), back.height()), (20, 40));
    Ok(())
}

#[test]
fn renditions_are_never_upscaled_and_crops_follow_the_focal_point() -> R {
    let p = open(&jpeg(1000, 500), &Limits::default())?;
    let r = renditions(&p, Focal { x: 0.9, y: 0.5 })?;
    let names: Vec<String> = r.iter().map(|e| format!("{}.{}", e.variant, e.ext)).collect();
    for want in ["w320.webp", "w320.jpg", "w640.jpg", "w960.webp", "w1000.webp"] {
        assert!(names.contains(&want.to_owned()), "{want} missing from {names:?}");
    }
    assert!(!names.iter().any(|n| n.starts_with("w1280") || n.starts_with("w1920")), "{names:?}");
    // The master is the full-width JPEG: no second one.
    assert!(!names.contains(&"w1000.jpg".to_owned()), "{names:?}");
    for e in &r {
        let img = image::load_from_memory(&e.bytes)?;
        assert_eq!((img.width(), img.height()), (e.width, e.height), "{}", e.variant);
        assert!(e.width <= 1000 && e.height <= 500);
    }
    let card = r.iter().find(|e| e.variant.starts_with("card800")).ok_or("no card")?;
    assert_eq!((card.width, card.height), (800, 450));
    assert!(card.variant.ends_with("f900x500"), "{}", card.variant);
    let thumb = r.iter().find(|e| e.variant.starts_with("thumb320")).ok_or("no thumb")?;
    assert_eq!((thumb.width, thumb.height), (320, 320));
    // The square sits against the right edge (focal x 0.9 of a 2:1
    // picture): its left column is the middle of the red gradient (x 500),
    // where a centred square would start at x 250.
    let t = image::load_from_memory(&thumb.bytes)?.to_rgb8();
    assert!(t.get_pixel(0, 160)[0] > 110, "{:?}", t.get_pixel(0, 160));
    let centred = renditions(&p, Focal::default())?;
    let c = centred.iter().find(|e| e.variant.starts_with("thumb320")).ok_or("no thumb")?;
    let c = image::load_from_memory(&c.bytes)?.to_rgb8();
    assert!(c.get_pixel(0, 160)[0] < 80, "{:?}", c.get_pixel(0, 160));

    let moved = renditions(&p, Focal { x: 0.1, y: 0.5 })?;
    let moved_card = moved.iter().find(|e| e.variant.starts_with("card800")).ok_or("no card")?;
    assert_ne!(moved_card.variant, card.variant, "a new focal point must give new names");
    Ok(())
}

#[test]
fn webp_renditions_are_smaller_than_the_jpeg_ones() -> R {
    let p = open(&jpeg(1600, 900), &Limits::default())?;
    let r = renditions(&p, Focal::default())?;
    let size = |v: &str, ext: &str| {
        r.iter().find(|e| e.variant == v && e.ext == ext).map(|e| e.bytes.len()).unwrap_or(0)
    };
    assert!(size("w1280", "webp") > 0 && size("w1280", "webp") < size("w1280", "jpg"));
    Ok(())
}

#[test]
fn png_webp_and_gif_are_taken_and_transparency_kept() -> R {
    let mut rgba = RgbaImage::new(64, 32);
    rgba.put_pixel(3, 3, Rgba([255, 0, 0, 0]));
    let png_alpha = encoded(DynamicImage::ImageRgba8(rgba), ImageFormat::Png);
    let p = open(&png_alpha, &Limits::default())?;
    assert_eq!(p.format, Format::Png);
    let m = master(&p)?;
    assert_eq!(m.ext, "png");
    assert!(image::load_from_memory(&m.bytes)?.color().has_alpha());

    let webp = encoded(DynamicImage::ImageRgb8(rgb(50, 30)), ImageFormat::WebP);
    let p = open(&webp, &Limits::default())?;
    assert_eq!((p.format, master(&p)?.ext), (Format::Webp, "webp"));
    // A WebP original gets WebP renditions only.
    assert!(renditions(&p, Focal::default())?.iter().all(|e| e.ext == "webp"));

    let gif = encoded(
        DynamicImage::ImageRgba8(DynamicImage::ImageRgb8(rgb(30, 30)).to_rgba8()),
        ImageFormat::Gif,
    );
    let p = open(&gif, &Limits::default())?;
    assert_eq!((p.format, master(&p)?.ext), (Format::Gif, "png"));
    Ok(())
}

#[test]
fn a_picture_taller_than_webp_allows_gets_its_sizes_in_its_own_format() -> R {
    // 400 × 20000: 8 megapixels, within the limit; its full-height sizes
    // are past WebP's 16383 pixels.
    let tall = png(400, 20_000);
    let p = open(&tall, &Limits::default())?;
    let r = renditions(&p, Focal::default())?;
    assert!(
        r.iter().any(|e| e.variant == "w320" && e.ext == "webp"),
        "320 wide is 16000 tall: WebP holds it"
    );
    assert!(!r.iter().any(|e| e.variant == "w400" && e.ext == "webp"), "20000 tall is no WebP");
    assert!(r.iter().all(|e| e.height <= 20_000 && e.width <= 400));
    assert!(
        r.iter().any(|e| e.variant.starts_with("card"))
            && r.iter().any(|e| e.variant.starts_with("thumb"))
    );
    Ok(())
}

fn refusal(bytes: &[u8]) -> Refusal {
    match open(bytes, &Limits::default()) {
        Ok(p) => panic!("taken as a {} picture", p.format.name()),
        Err(r) => r,
    }
}

/// A PNG whose header claims `w` × `h` with one tiny IDAT: the shape of a
/// decompression bomb, refused before any pixel is inflated.
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend(u32::try_from(data.len()).expect("len").to_be_bytes());
        let mut crc_in = kind.to_vec();
        crc_in.extend(data);
        out.extend(&crc_in);
        out.extend(crc32(&crc_in).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn the_hostile_corpus_is_refused_with_a_clear_message() {
    assert_eq!(refusal(b""), Refusal::Empty);
    let bomb = refusal(&png_header_only(20_000, 20_000));
    assert!(
        matches!(bomb, Refusal::TooManyPixels { width: 20_000, height: 20_000, .. }),
        "{bomb:?}"
    );
    assert!(bomb.to_string().contains("20000 × 20000"), "{bomb}");
    assert!(png_header_only(20_000, 20_000).len() < 1024);
    // A JPEG frame header claiming 30000 × 30000.
    let mut jpeg_bomb = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
    jpeg_bomb.extend(30_000u16.to_be_bytes());
    jpeg_bomb.extend(30_000u16.to_be_bytes());
    jpeg_bomb.extend([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    assert!(matches!(
        refusal(&jpeg_bomb),
        Refusal::TooManyPixels { width: 30_000, height: 30_000, .. }
    ));
    // GIF and WebP headers claiming more than their pixels: refused,
    // never decoded into gigabytes.
    let mut gif_bomb = b"GIF89a".to_vec();
    gif_bomb.extend(65_000u16.to_le_bytes());
    gif_bomb.extend(65_000u16.to_le_bytes());
    gif_bomb.extend([0, 0, 0, b',', 0, 0, 0, 0]);
    gif_bomb.extend(65_000u16.to_le_bytes());
    gif_bomb.extend(65_000u16.to_le_bytes());
    gif_bomb.extend([0, 2, 2, 0x44, 0x01, 0, b';']);
    let mut webp_bomb = b"RIFF\x16\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
    webp_bomb.extend([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    for bomb in [gif_bomb, webp_bomb] {
        assert!(
            matches!(refusal(&bomb), Refusal::TooManyPixels { .. } | Refusal::Broken { .. }),
            "{:?}",
            refusal(&bomb)
        );
    }

    for (bytes, says) in [
        (&b"PK\x03\x04\x14\0\0\0\x08\0rest of a zip"[..], "a ZIP archive"),
        (b"<!DOCTYPE html><html><script>alert(1)</script>", "an HTML page"),
        (
            b"\xEF\xBB\xBF  <svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
            "an SVG drawing",
        ),
        (b"<?xml version='1.0'?><svg/>", "an SVG drawing"),
        (b"%PDF-1.7", "a PDF document"),
        (b"\0\0\0\x18ftypheic", "a HEIC, AVIF or video file"),
        (b"hello", "a file of an unknown kind"),
    ] {
        let r = refusal(bytes);
        assert_eq!(r, Refusal::NotAPicture { looks_like: says });
        assert!(r.to_string().contains("not a JPEG, PNG, WebP or GIF picture"), "{r}");
    }

    let webp = encoded(DynamicImage::ImageRgb8(rgb(64, 64)), ImageFormat::WebP);
    let gif = encoded(
        DynamicImage::ImageRgba8(DynamicImage::ImageRgb8(rgb(64, 64)).to_rgba8()),
        ImageFormat::Gif,
    );
    for (name, whole) in
        [("JPEG", jpeg(64, 64)), ("PNG", png(64, 64)), ("WebP", webp), ("GIF", gif)]
    {
        for cut in [whole.len() / 2, 20, 13] {
            match refusal(&whole[..cut]) {
                Refusal::Broken { format, .. } => assert_eq!(format, name, "{name} cut at {cut}"),
                other => panic!("{name} cut at {cut}: {other:?}"),
            }
        }
    }
    // Cut after the header of a large picture: decoders would fill the
    // rest with grey.
    let big = jpeg(1400, 900);
    for cut in [big.len() / 2, big.len() - 2] {
        match refusal(&big[..cut]) {
            Refusal::Broken { format: "JPEG", detail } => {
                assert!(detail.contains("ends before"), "{detail}")
            }
            other => panic!("{other:?}"),
        }
    }
    // Bytes after the end marker (a motion photo's video) are fine.
    let mut trailer = jpeg(64, 64);
    trailer.extend(b"\0\0\0\x18ftypmp42 video follows");
    assert!(open(&trailer, &Limits::default()).is_ok());
    // A header whose sizes are nonsense.
    let mut bad = png(8, 8);
    bad[16..24].copy_from_slice(&[0; 8]);
    assert!(matches!(refusal(&bad), Refusal::Broken { .. }));

    let big = Limits { max_bytes: 1000, ..Limits::default() };
    assert_eq!(open(&jpeg(200, 200), &big).err(), Some(Refusal::TooLarge { limit: 1000 }));
}

#[test]
fn a_jpeg_that_is_also_html_is_served_as_a_clean_jpeg() -> R {
    let payload =
        b"--><html><body><script>alert(document.cookie)</script></body></html><!--".to_vec();
    let file = with_segments(&jpeg(32, 32), &[(0xFE, payload)]);
    let p = open(&file, &Limits::default())?;
    let m = master(&p)?;
    assert!(!contains(&m.bytes, b"<script"), "the payload survived re-encoding");
    for r in renditions(&p, Focal::default())? {
        assert!(!contains(&r.bytes, b"<script"));
    }
    Ok(())
}

#[test]
fn hostile_metadata_prefills_only_as_bounded_text() -> R {
    let huge = "A".repeat(1_000_000);
    let file = with_segments(
        &jpeg(16, 16),
        &[
            (0xE1, exif_block(1, b"<script>alert(1)</script>")),
            (
                0xED,
                iptc_block(&[
                    (110, b"javascript:alert(1)"),
                    (120, b"bad \xff\xfe utf-8 \x00 \xe2\x80\xae reversed"),
                ]),
            ),
            (
                0xE1,
                xmp_block(&format!(
                    "<dc:description><rdf:Alt><rdf:li>{}</rdf:li></rdf:Alt></dc:description><photoshop:Headline>&lt;img src=x onerror=alert(1)&gt;</photoshop:Headline>",
                    &huge[..60_000]
                )),
            ),
        ],
    );
    let p = open(&file, &Limits::default())?;
    // Kept as text (the admin's templates escape it); never interpreted.
    assert_eq!(p.meta.creator.as_deref(), Some("<script>alert(1)</script>"));
    assert_eq!(p.meta.credit.as_deref(), Some("javascript:alert(1)"));
    assert_eq!(p.meta.headline.as_deref(), Some("<img src=x onerror=alert(1)>"));
    let caption = p.meta.caption.as_deref().unwrap_or_default();
    assert_eq!(caption.chars().count(), newsdesk_media::meta::MAX_VALUE_CHARS);
    // A value that is not UTF-8 (old IIM) is read as Latin-1, controls
    // dropped (the XMP caption won, so read the IIM one directly); the
    // bytes of a direction override inside it are then plain Latin-1
    // letters, no longer an override.
    let i = newsdesk_media::Metadata::read(
        None,
        Some(&iptc_block(&[(120, b"bad \xff utf-8 \x00\xe2\x80\xae")])[14..]),
        None,
    );
    assert_eq!(i.caption.as_deref(), Some("bad ÿ utf-8 â®"));
    // In UTF-8 text, direction overrides are dropped.
    let i = newsdesk_media::Metadata::read(
        None,
        Some(&iptc_block(&[(120, "left\u{202E}right".as_bytes())])[14..]),
        None,
    );
    assert_eq!(i.caption.as_deref(), Some("leftright"));
    Ok(())
}

#[test]
fn an_ai_generated_picture_is_recognised() -> R {
    let file = with_segments(
        &jpeg(16, 16),
        &[(
            0xE1,
            xmp_block(
                "<Iptc4xmpExt:DigitalSourceType rdf:resource=\"http://cv.iptc.org/newscodes/digitalsourcetype/compositeSynthetic\"/>",
            ),
        )],
    );
    let p = open(&file, &Limits::default())?;
    assert!(p.meta.is_synthetic(), "{:?}", p.meta);
    Ok(())
}
