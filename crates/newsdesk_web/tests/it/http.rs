//! HTTP behaviour: compression, validators, caching headers, HEAD, bad
//! requests, health and shutdown.

use crate::{TestApp, raw_status};
use newsdesk_test_support::{TestDb, db_test};
use reqwest::header;
use std::io::Read;

db_test!(pages_are_compressed_with_brotli_or_gzip, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let path = app.ids.main_path.clone();
    let plain = app.get(&path).await?.bytes().await?;
    let br = app
        .client
        .get(format!("{}{path}", app.base))
        .header(header::ACCEPT_ENCODING, "gzip, deflate, br")
        .send()
        .await?;
    assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(br.headers()[header::VARY], "Accept-Encoding");
    let compressed = br.bytes().await?;
    assert!(compressed.len() * 3 < plain.len(), "{} vs {}", compressed.len(), plain.len());
    let mut out = Vec::new();
    brotli::Decompressor::new(&compressed[..], 4096).read_to_end(&mut out)?;
    assert_eq!(out, plain);
    let gz = app
        .client
        .get(format!("{}{path}", app.base))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await?;
    assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz.bytes().await?[..]).read_to_end(&mut out)?;
    assert_eq!(out, plain);
    let none = app
        .client
        .get(format!("{}{path}", app.base))
        .header(header::ACCEPT_ENCODING, "br;q=0, gzip;q=0")
        .send()
        .await?;
    assert!(none.headers().get(header::CONTENT_ENCODING).is_none());
    app.stop().await
});

db_test!(validators_give_304_and_cache_headers_fit_the_content, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let path = app.ids.main_path.clone();
    let first = app.get(&path).await?;
    assert_eq!(
        first.headers()[header::CACHE_CONTROL],
        "public, max-age=60, stale-while-revalidate=600"
    );
    assert_eq!(first.headers()[header::LAST_MODIFIED], "Tue, 14 Jul 2026 16:00:00 GMT");
    let etag = first.headers()[header::ETAG].to_str()?.to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    let surrogate = first.headers()["surrogate-key"].to_str()?.to_owned();
    assert!(surrogate.split(' ').any(|k| k == format!("article:{}", app.ids.main)), "{surrogate}");
    assert!(
        surrogate.split(' ').any(|k| k == format!("article:{}", app.ids.earlier)),
        "depends on its rail: {surrogate}"
    );
    let again = app
        .client
        .get(format!("{}{path}", app.base))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await?;
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()[header::ETAG].to_str()?, etag);
    assert!(again.bytes().await?.is_empty());
    let since = app
        .client
        .get(format!("{}{path}", app.base))
        .header(header::IF_MODIFIED_SINCE, "Tue, 14 Jul 2026 16:00:00 GMT")
        .send()
        .await?;
    assert_eq!(since.status(), 304);
    let older = app
        .client
        .get(format!("{}{path}", app.base))
        .header(header::IF_MODIFIED_SINCE, "Tue, 14 Jul 2026 15:59:59 GMT")
        .send()
        .await?;
    assert_eq!(older.status(), 200);
    let other = app
        .client
        .get(format!("{}{path}", app.base))
        .header(header::IF_NONE_MATCH, "\"nope\"")
        .send()
        .await?;
    assert_eq!(other.status(), 200);

    // Fingerprinted assets are immutable; the stylesheet is small.
    let (_, html) = app.text("/").await?;
    let css = html
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_owned();
    assert!(css.starts_with("/assets/site.") && css.ends_with(".css"), "{css}");
    let r = app.get(&css).await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
    assert_eq!(r.headers()[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert!(r.bytes().await?.len() <= 15 * 1024);
    assert_eq!(app.get("/assets/site.00000000.css").await?.status(), 404);

    // Security headers on every response.
    let h = app.get("/").await?;
    assert_eq!(h.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h.headers()[header::CONTENT_SECURITY_POLICY], newsdesk_config::DEFAULT_CSP);
    app.stop().await
});

db_test!(a_site_can_tighten_its_content_security_policy, |t: TestDb| async move {
    let strict = "default-src 'self'; script-src 'self'";
    let app = TestApp::start_with(t, |c| c.server.content_security_policy = strict.into()).await?;
    assert_eq!(app.get("/").await?.headers()[header::CONTENT_SECURITY_POLICY], strict);
    assert_eq!(app.get("/missing").await?.headers()[header::CONTENT_SECURITY_POLICY], strict);
    app.stop().await
});

db_test!(head_answers_like_get_without_a_body, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let path = app.ids.main_path.clone();
    let get = app.get(&path).await?;
    let get_len = get.headers()[header::CONTENT_LENGTH].clone();
    let get_etag = get.headers()[header::ETAG].clone();
    let head = app.client.head(format!("{}{path}", app.base)).send().await?;
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()[header::CONTENT_LENGTH], get_len);
    assert_eq!(head.headers()[header::ETAG], get_etag);
    assert!(head.bytes().await?.is_empty());
    let head404 = app.client.head(format!("{}/missing", app.base)).send().await?;
    assert_eq!(head404.status(), 404);
    app.stop().await
});

db_test!(hostile_requests_get_clear_answers, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    for target in [
        "/assets/../Cargo.toml",
        "/assets/..%2fCargo.toml",
        "/media/../newsdesk.db",
        "/media/..%2f..%2fetc%2fpasswd.jpg",
        "/media/fx/..%2f..%2ftest.db",
        "/media/%2e%2e/%2e%2e/x.jpg",
        "/media/fx/.hidden.jpg",
        "/media/fx/missing.jpg",
    ] {
        assert_eq!(raw_status(&app.base, target).await?, 404, "{target}");
    }
    assert_eq!(app.get("/media/fx/lead-480.jpg").await?.status(), 200);
    let long = format!("/{}", "a".repeat(5000));
    assert_eq!(raw_status(&app.base, &long).await?, 414);
    let long_query = format!("/world?q={}", "b".repeat(3000));
    assert_eq!(raw_status(&app.base, &long_query).await?, 414);
    // Trailing slashes fold into the canonical URL; never into another host.
    let r = app.get("/world/").await?;
    assert_eq!(r.status(), 308);
    assert_eq!(r.headers()[header::LOCATION], "/world");
    assert_ne!(raw_status(&app.base, "//evil.example/").await?, 308);
    let post = app.client.post(format!("{}/world", app.base)).body("x").send().await?;
    assert_eq!(post.status(), 405);
    app.stop().await
});

db_test!(healthz_reports_the_database, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let r = app.get("/healthz").await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    let body: serde_json::Value = serde_json::from_slice(&r.bytes().await?)?;
    assert_eq!(body["status"], "ok");
    let expected = match app.t.db.backend() {
        newsdesk_db::Backend::Sqlite => "sqlite",
        newsdesk_db::Backend::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected);
    app.t.db.close().await;
    let r = app.get("/healthz").await?;
    assert_eq!(r.status(), 503);
    app.stop().await
});

db_test!(cached_pages_are_served_from_memory_until_invalidated, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let path = app.ids.main_path.clone();
    let (_, before) = app.text(&path).await?;
    // A change made behind the cache's back (no use case, so no event) is
    // not seen...
    app.t
        .db
        .execute_sql(
            "UPDATE articles SET dek = 'A new dek.' WHERE path = '/world/2026/07/14/talks-resume-in-geneva'",
        )
        .await?;
    let (_, cached) = app.text(&path).await?;
    assert_eq!(cached, before);
    // ...until what the page depends on is invalidated.
    let dropped = app.app.cache.invalidate(&[format!("article:{}", app.ids.main)]);
    assert!(dropped >= 1);
    let (_, after) = app.text(&path).await?;
    assert!(after.contains("A new dek."));
    app.stop().await
});

db_test!(a_page_from_memory_is_the_answer_routing_gives, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let path = app.ids.main_path.clone();
    let headers = |r: &reqwest::Response| {
        let mut h: Vec<(String, String)> = r
            .headers()
            .iter()
            .filter(|(k, _)| *k != header::DATE)
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        h.sort();
        h
    };
    // Built through the router, then answered from memory before routing:
    // the same bytes and the same headers, security headers included.
    let built = app.get(&path).await?;
    let built_headers = headers(&built);
    let built_body = built.bytes().await?;
    let answered = newsdesk_web::server::answered_from_memory();
    let kept = app.get(&path).await?;
    // (Tests run in processes of their own: nobody else counts here.)
    assert_eq!(newsdesk_web::server::answered_from_memory(), answered + 1, "before routing");
    assert_eq!(headers(&kept), built_headers);
    assert!(built_headers.iter().any(|(k, v)| k == "x-frame-options" && v == "SAMEORIGIN"));
    assert!(built_headers.iter().any(|(k, _)| k == "content-security-policy"));
    assert_eq!(kept.bytes().await?, built_body);
    let head = app.client.head(format!("{}{path}", app.base)).send().await?;
    assert_eq!(headers(&head), built_headers);
    assert!(head.bytes().await?.is_empty());
    // What the URI guard folds or refuses is still folded or refused.
    assert_eq!(raw_status(&app.base, &format!("{path}/")).await?, 308);
    let long = format!("{path}{}", "x".repeat(newsdesk_web::MAX_URI_BYTES));
    assert_eq!(raw_status(&app.base, &long).await?, 414);
    // A 304 from memory carries the security headers too.
    let etag = built_headers.iter().find(|(k, _)| k == "etag").map(|(_, v)| v.clone());
    let not_modified = app
        .client
        .get(format!("{}{path}", app.base))
        .header(header::IF_NONE_MATCH, etag.unwrap_or_default())
        .send()
        .await?;
    assert_eq!(not_modified.status(), 304);
    assert_eq!(not_modified.headers()["x-content-type-options"], "nosniff");
    // A query goes the long way, to the same page.
    let answered = newsdesk_web::server::answered_from_memory();
    let tracked = app.get(&format!("{path}?utm_source=x")).await?;
    assert_eq!(newsdesk_web::server::answered_from_memory(), answered, "routed");
    assert_eq!(tracked.status(), 200);
    assert_eq!(tracked.bytes().await?, built_body);
    // Other methods are not answered from memory.
    let post = app.client.post(format!("{}{path}", app.base)).send().await?;
    assert_eq!(post.status(), 405);
    app.stop().await
});

db_test!(a_stale_page_answers_while_the_database_cannot_build_it, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let path = app.ids.main_path.clone();
    let (_, before) = app.text(&path).await?;
    let rail = app.t.db.find_article(app.ids.earlier).await?.path.unwrap_or_default();
    assert_eq!(app.get(&rail).await?.status(), 200);
    app.t
        .db
        .execute_sql(
            "UPDATE articles SET dek = 'A new dek.' WHERE path = '/world/2026/07/14/talks-resume-in-geneva'",
        )
        .await?;
    app.app.cache.invalidate(&[format!("article:{}", app.ids.main)]);
    let take_every_turn = || {
        let mut turns = Vec::new();
        while let Some(t) = app.app.gate.try_enter() {
            turns.push(t);
        }
        turns
    };
    // Every turn at the database is taken (a flood of searches): the page
    // cannot be built, so the copy made before the change answers, kept by
    // browsers and CDNs for seconds only.
    let turns = take_every_turn();
    let r = app.get(&path).await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[header::CACHE_CONTROL], "public, max-age=5");
    assert_eq!(r.text().await?, before);
    drop(turns);
    // Another request is building it: the stale copy answers at once
    // rather than a second build of the same page.
    let building = app.app.cache.build(&path).expect("nobody else builds it");
    let (_, during) = app.text(&path).await?;
    assert_eq!(during, before);
    drop(building);
    let r = app.get(&path).await?;
    assert_eq!(
        r.headers()[header::CACHE_CONTROL],
        "public, max-age=60, stale-while-revalidate=600"
    );
    assert!(r.text().await?.contains("A new dek."), "built again once it can be");
    // A page taken down is never kept stale, busy database or not.
    assert!(app.app.cache.get(&rail).is_some() || app.app.cache.stale(&rail).is_some());
    app.app.cache.remove(&[format!("article:{}", app.ids.earlier)]);
    let turns = take_every_turn();
    assert_eq!(app.get(&rail).await?.status(), 503);
    drop(turns);
    app.stop().await
});

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_requests() -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::start(TestDb::sqlite().await?).await?;
    let addr = app.base.trim_start_matches("http://").to_owned();
    // A request whose head has started to arrive is in flight: the server
    // must answer it even though shutdown begins before it is complete.
    let mut conn = tokio::net::TcpStream::connect(&addr).await?;
    conn.write_all(format!("GET {} HTTP/1.1\r\nHost: {addr}\r\n", app.ids.main_path).as_bytes())
        .await?;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let base = app.base.clone();
    let stopping = tokio::spawn(app.stop());
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    conn.write_all(b"Connection: close\r\n\r\n").await?;
    let mut response = String::new();
    conn.read_to_string(&mut response).await?;
    assert!(response.starts_with("HTTP/1.1 200"), "{}", &response[..response.len().min(200)]);
    assert!(response.trim_end().ends_with("</html>"), "the whole page arrived");
    stopping.await??;
    assert!(reqwest::get(format!("{base}/")).await.is_err(), "no longer listening");
    Ok(())
}

/// Sends `count` requests for `path` in one write, waits until the server
/// has filled the socket, runs `meanwhile`, then reads the answers: the
/// bodies in order.
async fn pipelined_bodies(
    base: &str,
    path: &str,
    count: usize,
    meanwhile: impl FnOnce(),
) -> anyhow::Result<Vec<Vec<u8>>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    // A small receive window, so the server's socket fills soon.
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(4096)?;
    let mut s = socket.connect(addr.parse()?).await?;
    let one = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept-Encoding: identity\r\n\r\n");
    s.write_all(one.repeat(count).as_bytes()).await?;
    // Not reading yet: the server's writes find the socket full and resume.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    meanwhile();
    let mut buf = Vec::new();
    let mut bodies = Vec::new();
    let mut at = 0;
    while bodies.len() < count {
        let Some(end) = buf[at..].windows(4).position(|w| w == b"\r\n\r\n").map(|i| at + i + 4)
        else {
            anyhow::ensure!(s.read_buf(&mut buf).await? > 0, "the connection ended early");
            continue;
        };
        let head = String::from_utf8_lossy(&buf[at..end]).to_ascii_lowercase();
        anyhow::ensure!(head.starts_with("http/1.1 200"), "answer {}: {head}", bodies.len());
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .ok_or_else(|| anyhow::anyhow!("no content-length in {head}"))?
            .trim()
            .parse()?;
        while buf.len() < end + len {
            anyhow::ensure!(s.read_buf(&mut buf).await? > 0, "a body was cut short");
        }
        bodies.push(buf[end..end + len].to_vec());
        at = end + len;
    }
    Ok(bodies)
}

db_test!(a_page_served_often_goes_out_with_sendfile_and_arrives_whole, |t: TestDb| async move {
    use newsdesk_web::zero_copy;
    let app = TestApp::start(t).await?;
    // The fixture's longest page (its articles are short).
    let path = "/feed.xml".to_owned();
    let identity = |path: &str| {
        app.client
            .get(format!("{}{path}", app.base))
            .header(header::ACCEPT_ENCODING, "identity")
            .send()
    };
    let built = identity(&path).await?.bytes().await?;
    assert!(built.len() >= zero_copy::MIN_BYTES, "the page is long enough: {} bytes", built.len());
    // (Tests run in processes of their own: nobody else sends here.)
    let before = zero_copy::sent_bytes();
    for _ in 0..zero_copy::HOT_AFTER * 2 {
        assert_eq!(identity(&path).await?.bytes().await?, built);
    }
    let page = app.app.cache.get(&path).expect("the page is cached");
    assert!(page.sent_without_copying(), "a page sent often gets a copy");
    assert!(
        zero_copy::sent_bytes() >= before + built.len() as u64,
        "later answers went with sendfile"
    );
    // Three hundred answers on one connection that is not read at first
    // (more than the socket buffers hold): writes stop
    // half-way through a body and resume from where they stopped.
    let before = zero_copy::sent_bytes();
    let bodies = pipelined_bodies(&app.base, &path, 300, || {}).await?;
    for (i, b) in bodies.iter().enumerate() {
        assert!(b[..] == built[..], "answer {i} differs from the page ({} bytes)", b.len());
    }
    assert!(zero_copy::sent_bytes() >= before + 300 * built.len() as u64);
    // The cache lets the page go while answers sent from its copy still
    // wait in the socket, unread: they arrive whole all the same, and the
    // rest go out as plain writes.
    drop(page);
    let bodies = pipelined_bodies(&app.base, &path, 300, || app.app.cache.purge()).await?;
    for (i, b) in bodies.iter().enumerate() {
        assert!(b[..] == built[..], "answer {i} after the purge differs ({} bytes)", b.len());
    }
    app.stop().await
});

db_test!(with_sendfile_off_every_body_is_written_as_it_is, |t: TestDb| async move {
    use newsdesk_web::zero_copy;
    let app = TestApp::start_with(t, |c| c.server.sendfile = false).await?;
    let path = "/feed.xml";
    let first = app.get(path).await?.bytes().await?;
    for _ in 0..zero_copy::HOT_AFTER * 2 {
        assert_eq!(app.get(path).await?.bytes().await?, first);
    }
    let page = app.app.cache.get(path).expect("the page is cached");
    assert!(!page.sent_without_copying());
    assert_eq!(zero_copy::sent_bytes(), 0);
    app.stop().await
});
