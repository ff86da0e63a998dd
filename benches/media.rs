//! The media pipeline's cost: `cargo bench --bench media`.
//!
//! 1. A 24-megapixel JPEG (6000 × 4000, a gradient with grain so it
//!    compresses like a photo): proving it (`open`: header checks, decode,
//!    orientation, metadata), the metadata-free master, and every rendition,
//!    each round in a fresh process so its peak resident memory (VmHWM) is
//!    the pipeline's alone. Medians of ROUNDS.
//! 2. Bytes: the demo's drawn photos (1200 × 675 JPEGs, as the demo
//!    seeder writes them) through the renditions; WebP against the
//!    fallback JPEG at the same widths, and the full-width WebP against the
//!    demo's own file.

use std::time::Instant;

const ROUNDS: usize = 5;

fn grain_jpeg(w: u16, h: u16) -> Vec<u8> {
    grain_jpeg_q(w, h, 90, 0x1234_5678)
}

fn grain_jpeg_q(w: u16, h: u16, quality: u8, seed: u32) -> Vec<u8> {
    let mut px = Vec::with_capacity(usize::from(w) * usize::from(h) * 3);
    let mut seed = seed;
    for y in 0..u32::from(h) {
        for x in 0..u32::from(w) {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let n = (seed >> 27) as u8;
            px.push(((x * 200 / u32::from(w)) as u8).wrapping_add(n));
            px.push(((y * 200 / u32::from(h)) as u8).wrapping_add(n));
            px.push((((x + y) * 120 / (u32::from(w) + u32::from(h))) as u8).wrapping_add(n));
        }
    }
    let mut out = Vec::new();
    let enc = jpeg_encoder::Encoder::new(&mut out, quality);
    if let Err(e) = enc.encode(&px, w, h, jpeg_encoder::ColorType::Rgb) {
        eprintln!("could not make the test picture: {e}");
        std::process::exit(1);
    }
    out
}

fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// One round, in this (child) process: prints
/// `open_ms master_ms renditions_ms files bytes peak_kb`.
fn child(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let bytes = std::fs::read(path)?;
    let limits = newsdesk_media::Limits { max_bytes: 64 << 20, max_pixels: 50_000_000 };
    let t = Instant::now();
    let p = newsdesk_media::open(&bytes, &limits)?;
    let open_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let m = newsdesk_media::master(&p)?;
    let master_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let r = newsdesk_media::renditions(&p, newsdesk_media::Focal::default())?;
    let renditions_ms = t.elapsed().as_secs_f64() * 1000.0;
    let total: usize = r.iter().map(|e| e.bytes.len()).sum::<usize>() + m.bytes.len();
    println!(
        "{open_ms:.1} {master_ms:.1} {renditions_ms:.1} {} {total} {}",
        r.len() + 1,
        vm_hwm_kb()
    );
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Ok(path) = std::env::var("NEWSDESK_MEDIA_BENCH_FILE") {
        return child(&path);
    }
    // `bench/upload.sh` asks for large photo-like files:
    // NEWSDESK_MEDIA_BENCH_MAKE=path,width,height,quality,seed
    if let Ok(spec) = std::env::var("NEWSDESK_MEDIA_BENCH_MAKE") {
        let v: Vec<&str> = spec.split(',').collect();
        let num = |i: usize| v.get(i).and_then(|x| x.parse::<u32>().ok()).unwrap_or(0);
        let bytes = grain_jpeg_q(num(1) as u16, num(2) as u16, num(3) as u8, num(4));
        std::fs::write(v[0], &bytes)?;
        println!("{} {}", v[0], bytes.len());
        return Ok(());
    }
    // `cargo bench` passes `--bench`; `cargo test` runs benches with no
    // such flag only to check they start.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("24mp.jpg");
    std::fs::write(&file, grain_jpeg(6000, 4000))?;
    let size = std::fs::metadata(&file)?.len();
    println!("24-megapixel JPEG: 6000 × 4000, {:.1} MB", size as f64 / 1048576.0);
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for _ in 0..ROUNDS {
        let out = std::process::Command::new(std::env::current_exe()?)
            .env("NEWSDESK_MEDIA_BENCH_FILE", &file)
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let v: Vec<f64> = text.split_whitespace().filter_map(|x| x.parse().ok()).collect();
        if v.len() != 6 {
            return Err(
                format!("round failed: {text} {}", String::from_utf8_lossy(&out.stderr)).into()
            );
        }
        rows.push(v);
    }
    let col = |i: usize| median(rows.iter().map(|r| r[i]).collect());
    println!(
        "median of {ROUNDS}: open (decode, orient, metadata) {:.0} ms, master {:.0} ms, renditions {:.0} ms, total {:.0} ms; {} files, {:.1} MB; peak memory {:.0} MB",
        col(0),
        col(1),
        col(2),
        col(0) + col(1) + col(2),
        col(3),
        col(4) / 1048576.0,
        col(5) / 1024.0
    );

    // WebP against JPEG on the demo's drawn photos.
    let scenes = [
        newsdesk_demo::Scene::Skyline,
        newsdesk_demo::Scene::Negotiation,
        newsdesk_demo::Scene::Courthouse,
        newsdesk_demo::Scene::Stadium,
        newsdesk_demo::Scene::Lectern,
        newsdesk_demo::Scene::Markets,
        newsdesk_demo::Scene::Landscape,
        newsdesk_demo::Scene::Theatre,
    ];
    let mut rng = newsdesk_demo::Rng::new(7);
    let (mut webp, mut jpeg, mut full_webp, mut demo_original) = (0usize, 0usize, 0usize, 0usize);
    let mut n = 0;
    for _ in 0..3 {
        for scene in scenes {
            let pic = newsdesk_demo::Picture::new(scene, &mut rng);
            let original = pic.render_jpeg(1200, 675)?;
            let p = newsdesk_media::open(&original, &newsdesk_media::Limits::default())?;
            let r = newsdesk_media::renditions(&p, newsdesk_media::Focal::default())?;
            for e in r.iter().filter(|e| e.variant.starts_with('w')) {
                if e.ext == "webp" && e.width < 1200 {
                    webp += e.bytes.len();
                } else if e.ext == "jpg" {
                    jpeg += e.bytes.len();
                }
                if e.ext == "webp" && e.width == 1200 {
                    full_webp += e.bytes.len();
                }
            }
            demo_original += original.len();
            n += 1;
        }
    }
    println!(
        "{n} demo photos: WebP renditions {:.0} KB against {:.0} KB of JPEG at the same widths ({:.0}% saved); full-width WebP {:.0} KB against the demo's own 1200 × 675 JPEGs {:.0} KB ({:.0}% saved)",
        webp as f64 / 1024.0,
        jpeg as f64 / 1024.0,
        100.0 * (1.0 - webp as f64 / jpeg as f64),
        full_webp as f64 / 1024.0,
        demo_original as f64 / 1024.0,
        100.0 * (1.0 - full_webp as f64 / demo_original as f64)
    );
    Ok(())
}
