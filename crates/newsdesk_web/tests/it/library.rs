//! The media library over real HTTP: uploads (a plain form, the script's
//! JSON, hostile files, cut-off and oversized bodies, forged forms), the
//! item page, and what readers get once a picture is placed.

use crate::TestApp;
use crate::admin::{admin_get, hidden, sign_in};
use crate::desk::{account, location, post};
use newsdesk_core::{Actor, Block, Figure, Role};
use newsdesk_test_support::photos::{Meta, jpeg};
use newsdesk_test_support::{TestDb, db_test};
use reqwest::header;
use std::io::{Read, Write};

const BOUNDARY: &str = "----newsdesk-test-boundary";

/// A multipart body: text fields, then files `(name, file name, bytes)`.
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (k, name, bytes) in files {
        b.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        b.extend(*bytes);
        b.extend(b"\r\n");
    }
    b.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

async fn send(
    app: &TestApp,
    session: &str,
    path: &str,
    body: Vec<u8>,
    json: bool,
) -> anyhow::Result<reqwest::Response> {
    let mut r = app
        .client
        .post(format!("{}{path}", app.base))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::COOKIE, format!("newsdesk_session={session}"));
    if json {
        r = r.header(header::ACCEPT, "application/json");
    }
    Ok(r.body(body).send().await?)
}

fn photo(seed: u8) -> Vec<u8> {
    jpeg(
        1600,
        1000,
        seed,
        &Meta {
            credit: Some("Ana Ruiz / Reuters"),
            caption: Some("Crowds gather <script>alert(1)</script>"),
            copyright: Some("© 2026 Reuters"),
            artist: Some("Ana Ruiz"),
            source_type: None,
        },
    )
}

/// Every file under the media and originals folders.
fn stored_files(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for dir in [app.app.media_dir.join("lib"), app.app.config.originals_dir()] {
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    out.push(e.path().display().to_string());
                }
            }
        }
    }
    out.sort();
    out
}

/// Publishes an article led by media item `lead` and runs its jobs;
/// returns its path.
async fn publish_with_lead(
    app: &TestApp,
    headline: &str,
    lead: i64,
    body: Vec<Block>,
) -> anyhow::Result<String> {
    let section = app.t.db.list_sections().await?[0].id;
    let mut a = newsdesk_core::Article::draft(headline, chrono::Utc::now());
    a.section_id = Some(section);
    a.bylines = vec![newsdesk_core::Byline::Credit { text: "Staff".into() }];
    a.lead = Some(Figure::of(lead));
    a.body = body;
    let saved = app.app.newsroom.create_draft(&Actor::operator("t"), a).await?;
    let published = app.app.newsroom.publish(&Actor::operator("t"), saved.article.id, None).await?;
    app.settle().await?;
    Ok(published.article.path.unwrap_or_default())
}

async fn editor_session(app: &TestApp) -> anyhow::Result<(String, String)> {
    account(app, "photo@example.com", Role::Editor, false).await?;
    let session = sign_in(app, "photo@example.com").await?;
    let html = admin_get(app, "/admin/media", &session).await?.text().await?;
    Ok((session, hidden(&html, "csrf")))
}

db_test!(
    an_editor_uploads_checks_the_credit_places_the_photo_and_readers_get_every_size,
    |t: TestDb| async move {
        let app = TestApp::start(t).await?;
        let (session, csrf) = editor_session(&app).await?;
        let r = send(
            &app,
            &session,
            "/admin/media",
            multipart(&[("csrf", &csrf)], &[("file", "quake.jpg", &photo(1))]),
            false,
        )
        .await?;
        assert_eq!(r.status(), 303);
        let to = location(&r);
        assert!(to.ends_with("?done=uploaded"), "{to}");
        let id: i64 =
            to.trim_start_matches("/admin/media/").split('?').next().unwrap_or_default().parse()?;

        // The item page: credit and rights read from the file, the caption's
        // markup shown as text.
        let html = admin_get(&app, &format!("/admin/media/{id}"), &session).await?.text().await?;
        assert!(html.contains("value=\"Ana Ruiz / Reuters\""), "credit not pre-filled");
        assert!(html.contains("© 2026 Reuters"));
        assert!(
            html.contains("Crowds gather &lt;script&gt;alert(1)&lt;/script&gt;"),
            "caption not escaped"
        );
        assert!(!html.contains("<script>alert(1)"));
        assert!(html.contains("Being made"), "renditions are a job");

        // The file readers get until renditions exist: an image, nothing else.
        let m = app.t.db.media(id).await?;
        let r = app.get(&format!("/media/{}", m.file)).await?;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "image/jpeg");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert_eq!(r.headers()[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
        let served = r.bytes().await?;
        assert!(!served.windows(4).any(|w| w == b"Exif"), "metadata reached readers");

        // The editor writes the alt text and moves the focal point.
        let version = hidden(&html, "version");
        let r = post(
            &app,
            &session,
            &format!("/admin/media/{id}"),
            &[
                ("csrf", csrf.as_str()),
                ("version", version.as_str()),
                ("alt", "Rescuers lift a slab of concrete"),
                ("caption", "Rescuers search the rubble in Antakya."),
                ("credit", "Ana Ruiz / Reuters"),
                ("rights", "Editorial use only"),
                ("creator", "Ana Ruiz"),
                ("focal_x", "30"),
                ("focal_y", "40"),
            ],
        )
        .await?;
        assert_eq!(r.status(), 303, "{}", r.text().await?);
        app.settle().await?;
        let m = app.t.db.media(id).await?;
        assert_eq!((m.focal_x, m.focal_y), (300, 400));
        assert!(
            m.renditions.iter().any(|r| r.file.contains("f300x400")),
            "crops follow the focal point"
        );

        // Placed as a lead image and published: the page offers WebP and the
        // original's format at every width, lazily below the fold and with
        // high priority for the lead.
        let body = vec![Block::paragraph("Teams worked in shifts."), Block::Figure(Figure::of(id))];
        let path = publish_with_lead(&app, "Rescue goes on through the night", id, body).await?;
        let (status, page) = app.text(&path).await?;
        assert_eq!(status, 200);
        assert!(page.contains("<picture><source type=\"image/webp\" srcset=\""), "no WebP source");
        assert!(page.contains(" 1280w"), "no 1280 size");
        assert!(page.contains("fetchpriority=\"high\""));
        assert!(page.contains("loading=\"lazy\""));
        assert!(page.contains("width=\"1600\" height=\"1000\""), "intrinsic size for CLS");
        // Social and search engines get a 1280 file, not the original.
        assert!(page.contains("og:image\" content=\"") && page.contains("w1280.jpg"), "og:image");
        // The library knows where the picture is.
        let html = admin_get(&app, &format!("/admin/media/{id}"), &session).await?.text().await?;
        assert!(html.contains("Rescue goes on through the night"));
        assert!(html.contains(&path));
        app.stop().await
    }
);

db_test!(hostile_uploads_are_refused_and_leave_nothing, |t: TestDb| async move {
    let app = TestApp::start_with(t, |c| c.media.max_upload_mb = 1).await?;
    let (session, csrf) = editor_session(&app).await?;
    let before = stored_files(&app);
    let html_file = b"<!DOCTYPE html><html><body onload=alert(1)>".to_vec();
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend([7u8; 300]);
    let good = photo(2);
    let cut = good[..good.len() / 2].to_vec();
    let body = multipart(
        &[("csrf", &csrf)],
        &[
            ("file", "page.jpg", &html_file),
            ("file", "archive.jpg", &zip),
            ("file", "half.jpg", &cut),
            ("file", "empty.jpg", b""),
            ("file", "..%2F..%2Fetc\u{202E}gpj.jpg", &good),
        ],
    );
    let r = send(&app, &session, "/admin/media", body, false).await?;
    assert_eq!(r.status(), 422);
    let page = r.text().await?;
    for says in ["an HTML page", "a ZIP archive", "not a valid JPEG", "empty"] {
        assert!(page.contains(says), "{says} missing from the refusals");
    }
    assert!(page.contains("1 uploaded."), "the good file of the batch is kept");
    let kept = app.t.db.list_media(&Default::default(), 500).await?;
    let good_one = kept.iter().find(|m| m.hash.is_some()).map(|m| m.file_name.clone());
    assert_eq!(good_one.as_deref(), Some("..%2F..%2Fetcgpj.jpg"));

    // JSON (the script) gets the same refusal, named.
    let r = send(
        &app,
        &session,
        "/admin/media",
        multipart(&[("csrf", &csrf)], &[("file", "x.jpg", &html_file)]),
        true,
    )
    .await?;
    assert_eq!(r.status(), 422);
    let j: serde_json::Value = serde_json::from_str(&r.text().await?)?;
    assert!(j["errors"][0]["detail"].as_str().unwrap_or_default().contains("an HTML page"), "{j}");

    // Over the limit: refused while streaming.
    let big = jpeg(2400, 2400, 3, &Meta::default());
    let mut huge = big.clone();
    while huge.len() <= 1024 * 1024 {
        huge.extend(&big);
    }
    let r = send(
        &app,
        &session,
        "/admin/media",
        multipart(&[("csrf", &csrf)], &[("file", "big.jpg", &huge)]),
        true,
    )
    .await;
    // The server answers 413 as soon as the limit is passed; the client
    // may see that or a closed connection while still sending.
    if let Ok(r) = r {
        assert_eq!(r.status(), 413);
    }

    // Past the limit the server answers at once, while the client is still
    // sending: nothing waits for (or buffers) the rest of the body.
    let addr = app.base.trim_start_matches("http://").to_owned();
    let head_part = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    );
    let declared = 50 * 1024 * 1024;
    let mut s = std::net::TcpStream::connect(&addr)?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    write!(
        s,
        "POST /admin/media HTTP/1.1\r\nHost: {addr}\r\nCookie: newsdesk_session={session}\r\nAccept: application/json\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {declared}\r\n\r\n{head_part}"
    )?;
    let chunk = vec![0xFFu8; 64 * 1024];
    let mut sent = 0usize;
    // 2 MB of a declared 50 MB, then wait for the answer.
    while sent < 2 * 1024 * 1024 {
        if s.write_all(&chunk).is_err() {
            break;
        }
        sent += chunk.len();
    }
    let mut answer = [0u8; 512];
    let n = s.read(&mut answer).unwrap_or(0);
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    drop(s);

    // A form sent with no file says so.
    let r = send(&app, &session, "/admin/media", multipart(&[("csrf", &csrf)], &[]), false).await?;
    assert_eq!(r.status(), 400);
    assert!(r.text().await?.contains("Choose at least one file."));

    // A forged form (no CSRF token) and a form from another site.
    let r = send(
        &app,
        &session,
        "/admin/media",
        multipart(&[], &[("file", "a.jpg", &photo(4))]),
        false,
    )
    .await?;
    assert_eq!(r.status(), 403);
    let r = app
        .client
        .post(format!("{}/admin/media", app.base))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::COOKIE, format!("newsdesk_session={session}"))
        .header(header::ORIGIN, "https://evil.example")
        .body(multipart(&[("csrf", &csrf)], &[("file", "a.jpg", &photo(5))]))
        .send()
        .await?;
    assert_eq!(r.status(), 403);

    // Cut off half-way: the connection closes mid-file.
    let addr = app.base.trim_start_matches("http://").to_owned();
    let body = multipart(&[("csrf", &csrf)], &[("file", "cut.jpg", &photo(6))]);
    let mut s = std::net::TcpStream::connect(&addr)?;
    write!(
        s,
        "POST /admin/media HTTP/1.1\r\nHost: {addr}\r\nCookie: newsdesk_session={session}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )?;
    s.write_all(&body[..body.len() / 2])?;
    s.shutdown(std::net::Shutdown::Write)?;
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);

    app.settle().await?;
    let after = stored_files(&app);
    let new: Vec<&String> = after.iter().filter(|f| !before.contains(f)).collect();
    // Only the one good file of the batch: its original, master and renditions.
    let hash = kept.iter().find_map(|m| m.hash.clone()).unwrap_or_default();
    assert!(
        !new.is_empty() && new.iter().all(|f| f.contains(&hash[..20]) || f.contains(&hash)),
        "{new:?}"
    );
    assert_eq!(app.t.db.list_media(&Default::default(), 500).await?.len(), kept.len());
    app.stop().await
});

db_test!(the_library_lists_filters_and_refuses_to_delete_what_is_used, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let (session, csrf) = editor_session(&app).await?;
    let ai = jpeg(
        400,
        300,
        7,
        &Meta {
            source_type: Some("trainedAlgorithmicMedia"),
            credit: Some("Newsdesk illustration"),
            ..Meta::default()
        },
    );
    let r = send(
        &app,
        &session,
        "/admin/media",
        multipart(
            &[("csrf", &csrf)],
            &[("file", "robot.jpg", &ai), ("file", "quake.jpg", &photo(8))],
        ),
        true,
    )
    .await?;
    assert_eq!(r.status(), 200);
    let j: serde_json::Value = serde_json::from_str(&r.text().await?)?;
    let ids: Vec<i64> =
        j["uploaded"].as_array().into_iter().flatten().filter_map(|u| u["id"].as_i64()).collect();
    assert_eq!(ids.len(), 2);

    let list = |q: &'static str| {
        let app = &app;
        let session = session.clone();
        async move {
            let r = admin_get(app, &format!("/admin/media?{q}"), &session).await?;
            anyhow::Ok(r.text().await?)
        }
    };
    let page = list("ai=1").await?;
    assert!(page.contains("robot.jpg") && !page.contains("quake.jpg"));
    let page = list("q=reuters").await?;
    assert!(page.contains("quake.jpg") && !page.contains("robot.jpg"));
    let page = list("missing=1").await?;
    assert!(page.contains("quake.jpg") && page.contains("robot.jpg"), "neither has alt text");
    // The picker's JSON.
    let r = admin_get(&app, "/admin/media/pick?q=robot", &session).await?;
    let p: serde_json::Value = serde_json::from_str(&r.text().await?)?;
    assert_eq!(p["items"][0]["id"].as_i64(), Some(ids[0]));
    assert_eq!(p["items"][0]["ai_generated"], true);

    // Used by a draft: deleting is refused, with where.
    let mut a = newsdesk_core::Article::draft("Robots at work", chrono::Utc::now());
    a.body = vec![Block::Figure(Figure::of(ids[0]))];
    let draft = app.app.newsroom.create_draft(&Actor::operator("t"), a).await?;
    let r = post(
        &app,
        &session,
        &format!("/admin/media/{}", ids[0]),
        &[("csrf", csrf.as_str()), ("do", "remove")],
    )
    .await?;
    assert_eq!(r.status(), 422);
    let page = r.text().await?;
    assert!(
        page.contains(&format!("“Robots at work” (article {}, draft)", draft.article.id)),
        "the refusal names the article"
    );
    assert!(page.contains("Robots at work"));
    let r = post(
        &app,
        &session,
        &format!("/admin/media/{}", ids[1]),
        &[("csrf", csrf.as_str()), ("do", "remove")],
    )
    .await?;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/admin/media?deleted={}", ids[1]));
    let page = admin_get(&app, &location(&r), &session).await?.text().await?;
    assert!(page.contains(&format!("Picture no. {} was deleted", ids[1])));
    assert_eq!(admin_get(&app, &format!("/admin/media/{}", ids[1]), &session).await?.status(), 404);
    app.stop().await
});

db_test!(an_ai_generated_picture_is_labelled_for_readers_and_machines, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let (session, csrf) = editor_session(&app).await?;
    let ai = jpeg(
        1400,
        800,
        9,
        &Meta {
            source_type: Some("compositeSynthetic"),
            credit: Some("Newsdesk graphics"),
            ..Meta::default()
        },
    );
    let r = send(
        &app,
        &session,
        "/admin/media",
        multipart(&[("csrf", &csrf)], &[("file", "montage.jpg", &ai)]),
        true,
    )
    .await?;
    let j: serde_json::Value = serde_json::from_str(&r.text().await?)?;
    let id = j["uploaded"][0]["id"].as_i64().unwrap_or_default();
    let m = app.t.db.media(id).await?;
    let edit = newsdesk_app::media::MediaEdit {
        alt: Some("A montage of the summit".into()),
        credit: m.credit.clone(),
        focal: (500, 500),
        // As the file said (the form shows it checked).
        ai_generated: m.ai_generated,
        ..Default::default()
    };
    assert!(m.ai_generated, "the file's digital source type marks it");
    app.app
        .newsroom
        .edit_media(&Actor::operator("t"), id, edit, m.version, &Default::default())
        .await?;
    let path =
        publish_with_lead(&app, "Summit in pictures", id, vec![Block::paragraph("Leaders met.")])
            .await?;
    let (_, page) = app.text(&path).await?;
    assert!(page.contains("<span class=\"ai-label\">AI-generated image</span>"));
    assert!(page.contains("https://schema.org/CompositeSyntheticDigitalSource"), "JSON-LD");
    let (_, feed) = app.text("/feed.xml").await?;
    assert!(feed.contains("AI-generated image"), "the feed carries the label");
    app.stop().await
});
