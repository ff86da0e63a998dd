//! The public server under hostile traffic: slow and silent clients, too
//! many connections, compressed files, a frozen database, tricky URLs.

use crate::{TestApp, raw_status};
use newsdesk_test_support::{PrivatePostgres, TestDb, db_test};
use reqwest::header;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Whether the server closed `s` (reads end of file or a reset) within
/// `within`.
async fn closed_within(s: &mut tokio::net::TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_slow_and_idle_connections_are_closed() -> anyhow::Result<()> {
    let app = TestApp::start_with(TestDb::sqlite().await?, |c| {
        c.server.request_header_timeout_seconds = 1;
    })
    .await?;
    let a = addr(&app);
    // Silent: connects and says nothing.
    let mut silent = tokio::net::TcpStream::connect(&a).await?;
    // Slowloris: one header byte at a time, never finishing.
    let mut slow = tokio::net::TcpStream::connect(&a).await?;
    let started = Instant::now();
    let trickle = async {
        for b in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaa".iter() {
            if slow.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(4), trickle).await.ok();
    assert!(closed_within(&mut slow, Duration::from_secs(2)).await, "slow header cut off");
    assert!(closed_within(&mut silent, Duration::from_secs(1)).await, "silent connection closed");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Idle keep-alive: one request, then nothing.
    let mut idle = tokio::net::TcpStream::connect(&a).await?;
    idle.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {a}\r\n\r\n").as_bytes()).await?;
    let mut buf = [0u8; 4096];
    let n = idle.read(&mut buf).await?;
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(closed_within(&mut idle, Duration::from_secs(3)).await, "idle keep-alive closed");
    app.stop().await
}

/// A burst of clients connecting while the server is too busy to accept:
/// the kernel completes their handshakes and queues them. With the
/// standard library's backlog of 128, it dropped the handshakes past the
/// 129th, and each of those clients waited a second or more for a
/// retransmission (under a flood of a thousand new connections, requests
/// that passed a load generator's 2 s timeout without the server ever
/// seeing them late).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_new_connections_is_queued_not_dropped() -> anyhow::Result<()> {
    let files = newsdesk_web::server::raise_file_limit();
    let listener = newsdesk_web::server::listen("127.0.0.1:0".parse()?)?;
    let addr = listener.local_addr()?;
    // The kernel caps the backlog at `somaxconn`: expect what it allows,
    // within the open files this process has (each connection takes two
    // once accepted).
    let somaxconn = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(4096);
    let within_files = usize::try_from(files.saturating_sub(200) / 2).unwrap_or(usize::MAX);
    let burst = somaxconn.min(600).min(within_files);
    if burst <= 129 {
        eprintln!("skipping: somaxconn {somaxconn} and {files} open files leave no room past 128");
        return Ok(());
    }
    // Nothing accepts: every connection stays in the kernel's queue. With
    // the queue full, the kernel drops a handshake and its retransmissions
    // (after 1 s, then 3 s) alike, so those connections never complete.
    let mut tries = tokio::task::JoinSet::new();
    for _ in 0..burst {
        tries.spawn(tokio::time::timeout(
            Duration::from_secs(4),
            tokio::net::TcpStream::connect(addr),
        ));
    }
    let mut queued = Vec::new();
    while let Some(r) = tries.join_next().await {
        if let Ok(Ok(s)) = r? {
            queued.push(s);
        }
    }
    assert_eq!(queued.len(), burst, "handshakes completed at once, of {burst}");
    // Each of them is there for the server once it accepts.
    for _ in 0..burst {
        tokio::time::timeout(Duration::from_secs(1), listener.accept()).await??;
    }
    Ok(())
}

/// Asks for `path` on `s` again and again until `until`, one request at a
/// time; returns how many answers came and the longest wait for one.
async fn keep_asking(
    s: tokio::net::TcpStream,
    path: &str,
    until: Instant,
) -> anyhow::Result<(usize, Duration)> {
    use tokio::io::AsyncBufReadExt;
    let mut s = tokio::io::BufReader::new(s);
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let (mut answers, mut longest) = (0, Duration::ZERO);
    let mut line = String::new();
    while Instant::now() < until {
        let asked = Instant::now();
        s.get_mut().write_all(request.as_bytes()).await?;
        let mut length = 0usize;
        loop {
            line.clear();
            anyhow::ensure!(s.read_line(&mut line).await? > 0, "the server hung up");
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse()?;
            }
        }
        let mut body = vec![0; length];
        s.read_exact(&mut body).await?;
        answers += 1;
        longest = longest.max(asked.elapsed());
    }
    Ok((answers, longest))
}

/// More connections ready at once than a runtime worker's own queue holds
/// (256), on the runtime `serve` runs on, with one worker: every connection
/// keeps getting answers. When the worker took its next task from the
/// shared queue on every turn, the tasks left in its own queue (128) were
/// never run again while the flood lasted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_flood_of_busy_connections_none_waits_for_ever() -> anyhow::Result<()> {
    // Room for 400 connections under the server's connection cap.
    newsdesk_web::server::raise_file_limit();
    let seeded = TestApp::start(TestDb::sqlite().await?).await?;
    let app = seeded.app.clone();
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || -> anyhow::Result<()> {
        let rt = newsdesk_web::server::runtime().worker_threads(1).build()?;
        rt.block_on(async move {
            let listener = newsdesk_web::server::listen("127.0.0.1:0".parse()?)?;
            let _ = addr_tx.send(listener.local_addr()?);
            newsdesk_web::serve(app, listener, async move {
                let _ = stop_rx.await;
            })
            .await?;
            anyhow::Ok(())
        })
    });
    let addr = addr_rx.await?;
    let mut connections = Vec::new();
    for _ in 0..400 {
        connections.push(tokio::net::TcpStream::connect(addr).await?);
    }
    let until = Instant::now() + Duration::from_secs(6);
    let mut flood = tokio::task::JoinSet::new();
    for s in connections {
        flood.spawn(keep_asking(s, "/robots.txt", until));
    }
    let mut served = Vec::new();
    while let Some(r) = flood.join_next().await {
        served.push(r??);
    }
    let _ = stop_tx.send(());
    tokio::task::spawn_blocking(move || server.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the server thread panicked"))??;
    let total: usize = served.iter().map(|(n, _)| n).sum();
    let fewest = served.iter().map(|(n, _)| *n).min().unwrap_or_default();
    let longest = served.iter().map(|(_, w)| *w).max().unwrap_or_default();
    assert!(total > 4000, "the flood got {total} answers: too few to fill the worker's queue");
    assert!(
        fewest >= 5 && longest < Duration::from_secs(2),
        "{total} answers; a connection got only {fewest}, and one waited {longest:?} for an answer"
    );
    seeded.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_silent_connections_do_not_lock_out_a_reader() -> anyhow::Result<()> {
    let app = TestApp::start_with(TestDb::sqlite().await?, |c| {
        c.server.request_header_timeout_seconds = 2;
    })
    .await?;
    let a = addr(&app);
    let mut hold = Vec::new();
    for _ in 0..300 {
        hold.push(tokio::net::TcpStream::connect(&a).await?);
    }
    let started = Instant::now();
    assert_eq!(app.get("/").await?.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(1), "served in {:?}", started.elapsed());
    drop(hold);
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_cap_new_clients_wait_instead_of_failing() -> anyhow::Result<()> {
    let app = TestApp::start_with(TestDb::sqlite().await?, |c| {
        c.server.request_header_timeout_seconds = 1;
        c.server.max_connections = 8;
    })
    .await?;
    let a = addr(&app);
    let mut hold = Vec::new();
    for _ in 0..8 {
        hold.push(tokio::net::TcpStream::connect(&a).await?);
    }
    // All slots taken by silent clients: the reader waits in the backlog
    // until the header timeout frees a slot, then is served.
    let started = Instant::now();
    assert_eq!(app.get("/").await?.status(), 200);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(500) && waited < Duration::from_secs(4), "{waited:?}");
    drop(hold);
    app.stop().await
}

db_test!(media_files_are_streamed_with_ranges_and_never_compressed, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let url = format!("{}/media/fx/lead-1200.jpg", app.base);
    let full = app.client.get(&url).header(header::ACCEPT_ENCODING, "br, gzip").send().await?;
    assert_eq!(full.status(), 200);
    assert!(
        full.headers().get(header::CONTENT_ENCODING).is_none(),
        "a JPEG is not compressed again"
    );
    assert_eq!(full.headers()[header::ACCEPT_RANGES], "bytes");
    let etag = full.headers()[header::ETAG].clone();
    let bytes = full.bytes().await?;
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "a JPEG");
    let part = app.client.get(&url).header(header::RANGE, "bytes=2-9").send().await?;
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()[header::CONTENT_RANGE], format!("bytes 2-9/{}", bytes.len()));
    assert_eq!(part.bytes().await?, bytes.slice(2..10));
    let tail = app.client.get(&url).header(header::RANGE, "bytes=-4").send().await?;
    assert_eq!(tail.bytes().await?, bytes.slice(bytes.len() - 4..));
    let beyond = app
        .client
        .get(&url)
        .header(header::RANGE, format!("bytes={}-", bytes.len()))
        .send()
        .await?;
    assert_eq!(beyond.status(), 416);
    assert_eq!(beyond.headers()[header::CONTENT_RANGE], format!("bytes */{}", bytes.len()));
    let stale = app
        .client
        .get(&url)
        .header(header::RANGE, "bytes=0-1")
        .header(header::IF_RANGE, "\"another-version\"")
        .send()
        .await?;
    assert_eq!(stale.status(), 200, "If-Range of another version: the whole file");
    assert_eq!(beyond.headers()[header::CACHE_CONTROL], "no-store", "a 416 is not kept");
    let weak = format!("W/{}", etag.to_str()?);
    let weak = app
        .client
        .get(&url)
        .header(header::RANGE, "bytes=0-1")
        .header(header::IF_RANGE, weak)
        .send()
        .await?;
    assert_eq!(weak.status(), 200, "a weak tag never validates a range");
    let current = app
        .client
        .get(&url)
        .header(header::RANGE, "bytes=0-1")
        .header(header::IF_RANGE, etag.clone())
        .send()
        .await?;
    assert_eq!(current.status(), 206, "If-Range of this version: the range");
    let several = app.client.get(&url).header(header::RANGE, "bytes=0-1,4-5").send().await?;
    assert_eq!(several.status(), 200, "several ranges: the whole file");
    assert_eq!(several.bytes().await?.len(), bytes.len());
    let same = app.client.get(&url).header(header::IF_NONE_MATCH, etag).send().await?;
    assert_eq!(same.status(), 304);
    let head = app.client.head(&url).send().await?;
    assert_eq!(head.headers()[header::CONTENT_LENGTH], bytes.len().to_string().as_str());
    assert!(head.bytes().await?.is_empty());
    app.stop().await
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_files_stream_and_a_reader_that_stops_reading_is_cut_off() -> anyhow::Result<()> {
    let app = TestApp::start_with(TestDb::sqlite().await?, |c| {
        c.server.send_timeout_seconds = 1;
    })
    .await?;
    // Bigger than what the kernel buffers on both sides of a loopback
    // connection, so the server must wait for the reader.
    const SIZE: usize = 48 << 20;
    let media = newsdesk_config::Config::default_for_test(app.t.dir.path()).media_dir();
    std::fs::create_dir_all(media.join("big"))?;
    let mut data = vec![0u8; SIZE];
    data[..2].copy_from_slice(&[0xFF, 0xD8]);
    data[SIZE - 1] = 0xD9;
    std::fs::write(media.join("big/poster.jpg"), &data)?;
    // A reader that reads gets every byte, streamed.
    let all = app.client.get(format!("{}/media/big/poster.jpg", app.base)).send().await?;
    assert_eq!(all.status(), 200);
    assert_eq!(all.bytes().await?.len(), SIZE);
    // One that asks and then stops reading is cut off: reading afterwards
    // ends well short of the file.
    let a = addr(&app);
    let mut s = tokio::net::TcpStream::connect(&a).await?;
    s.write_all(format!("GET /media/big/poster.jpg HTTP/1.1\r\nHost: {a}\r\n\r\n").as_bytes())
        .await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut got = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let drained = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
    })
    .await;
    assert!(drained.is_ok(), "the server closed the connection");
    assert!(got < SIZE, "cut off after {got} of {SIZE} bytes");
    app.stop().await
}

db_test!(search_pages_are_compressed_cheaply_and_still_decode, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let plain = app.text("/search?q=water").await?.1;
    let br = app
        .client
        .get(format!("{}/search?q=water", app.base))
        .header(header::ACCEPT_ENCODING, "br")
        .send()
        .await?;
    assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
    let mut out = Vec::new();
    std::io::Read::read_to_end(
        &mut brotli::Decompressor::new(&br.bytes().await?[..], 4096),
        &mut out,
    )?;
    assert_eq!(String::from_utf8(out)?, plain);
    app.stop().await
});

db_test!(urls_that_trick_parsers_get_plain_answers, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    // A backslash reads as a slash in browsers: `/\evil.example` would be
    // another site. No redirect, just a 404.
    assert_eq!(raw_status(&app.base, "/\\evil.example/").await?, 404);
    assert_eq!(raw_status(&app.base, "/%5Cevil.example/").await?, 308, "encoded, it is only text");
    for bad in ["/%C0%AF", "/world/%FF", "/tag/%FF/feed.xml", "/media/%FF.jpg"] {
        let r = app.get(bad).await?;
        assert_eq!(r.status(), 404, "{bad}");
        let html = r.text().await?;
        assert!(html.contains("We could not find that page"), "{bad}: themed");
        assert!(!html.contains("Invalid URL") && !html.contains("UTF-8"), "{bad}: no internals");
    }
    assert_eq!(app.get("/world?page=01").await?.status(), 404, "one spelling per page");
    assert_eq!(app.get("/search?q=water&page=01").await?.status(), 404);
    app.stop().await
});

db_test!(searches_never_take_every_database_turn_from_pages, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    // Searches hold every turn they may have (a flood of them)...
    let mut searching = Vec::new();
    while let Some(t) = app.app.search_gate.try_enter() {
        searching.push(t);
    }
    assert!(searching.len() < app.app.gate.permits(), "searches get part of the turns only");
    let started = Instant::now();
    let r = app.get("/search?q=talks").await?;
    assert_eq!(r.status(), 503, "one search more waits its deadline, then is refused");
    assert!(started.elapsed() < Duration::from_millis(2500));
    // ...and a page never built before is still built.
    assert_eq!(app.get("/sports").await?.status(), 200);
    drop(searching);
    assert_eq!(app.get("/search?q=talks").await?.status(), 200);
    app.stop().await
});

db_test!(http_1_1_needs_exactly_one_host, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let a = addr(&app);
    let send = |head: String| {
        let a = a.clone();
        async move {
            let mut s = tokio::net::TcpStream::connect(&a).await?;
            s.write_all(head.as_bytes()).await?;
            let mut buf = Vec::new();
            s.read_to_end(&mut buf).await?;
            anyhow::Ok(String::from_utf8_lossy(&buf).into_owned())
        }
    };
    // The home page is cached first: a page in memory is refused the same.
    assert_eq!(app.get("/").await?.status(), 200);
    let none = send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n".into()).await?;
    assert!(none.starts_with("HTTP/1.1 400"), "{}", &none[..none.len().min(80)]);
    let two =
        send(format!("GET / HTTP/1.1\r\nHost: {a}\r\nHost: other\r\nConnection: close\r\n\r\n"))
            .await?;
    assert!(two.starts_with("HTTP/1.1 400"), "{}", &two[..two.len().min(80)]);
    assert!(two.to_lowercase().contains("x-content-type-options: nosniff"));
    let one = send(format!("GET / HTTP/1.1\r\nHost: {a}\r\nConnection: close\r\n\r\n")).await?;
    assert!(one.starts_with("HTTP/1.1 200"));
    let old = send("GET / HTTP/1.0\r\n\r\n".into()).await?;
    assert!(
        old.starts_with("HTTP/1.0 200") || old.starts_with("HTTP/1.1 200"),
        "HTTP/1.0 needs no Host"
    );
    app.stop().await
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_database_gives_quick_503s_and_the_server_thaws_with_it() -> anyhow::Result<()> {
    let Some(pg) = PrivatePostgres::start()? else { return Ok(()) };
    let db = newsdesk_db::Database::connect(&pg.url()).await?;
    db.migrate().await?;
    let t = TestDb { db, dir: tempfile::tempdir()?, url: pg.url(), pg_schema: None };
    let app = TestApp::start(t).await?;
    let cached = app.ids.main_path.clone();
    assert_eq!(app.get(&cached).await?.status(), 200);
    pg.freeze()?;
    let started = Instant::now();
    assert_eq!(app.get(&cached).await?.status(), 200, "cached pages need no database");
    assert!(started.elapsed() < Duration::from_millis(500));
    let started = Instant::now();
    let r = app.get("/healthz").await?;
    assert_eq!(r.status(), 503);
    assert!(started.elapsed() < Duration::from_millis(1200), "health in {:?}", started.elapsed());
    let started = Instant::now();
    let r = app.get("/sports").await?;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()[header::RETRY_AFTER], "5");
    // The pool gives up on a connection after 3 s.
    assert!(started.elapsed() < Duration::from_millis(4500), "page in {:?}", started.elapsed());
    pg.thaw()?;
    let started = Instant::now();
    while app.get("/sports").await?.status() != 200 {
        assert!(started.elapsed() < Duration::from_secs(15), "did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.get("/healthz").await?.status(), 200);
    app.stop().await
}
