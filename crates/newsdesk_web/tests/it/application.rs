//! The web side of the application layer: caches that follow changes made
//! anywhere, pages that cost a constant number of queries, errors dressed
//! for their audience, and a server that outlives its database.

use crate::TestApp;
use crate::fixtures::at;
use newsdesk_app::Actor;
use newsdesk_core::{Article, Block, Byline};
use newsdesk_test_support::{PrivatePostgres, TestDb, db_test};
use reqwest::header;
use std::time::{Duration, Instant};

fn actor() -> Actor {
    Actor::system("test")
}

// See: the stale-rail finding of the application-layer issue. An edit that
// makes an article belong in another article's rail must reach that
// article's cached page, not wait for it to be evicted.
db_test!(an_edit_refreshes_the_cached_pages_of_rails_that_now_list_it, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let main = app.ids.main_path.clone();
    let (_, before) = app.text(&main).await?;
    assert!(app.app.cache.get(&main).is_some(), "cached");
    assert!(!before.contains("Brevia negotiators return to Geneva"));
    // A sports match report is rewritten into a story about the water
    // talks: it now belongs in the main story's rail.
    let sports = app.app.taxonomy().sections.iter().find(|s| s.slug == "sports").map(|s| s.id);
    let report = app
        .t
        .db
        .list_cards(newsdesk_db::ArticleFilter::Section(sports.unwrap_or_default()), 1, 0)
        .await?
        .remove(0);
    let (mut a, v) = app.t.db.find_article_versioned(report.id).await?;
    a.headlines.display = "Arland and Brevia negotiators return to Geneva for water talks".into();
    a.body = vec![Block::paragraph(
        "Negotiators from Arland and Brevia returned to Geneva for talks on the river water.",
    )];
    app.app.newsroom.save(&actor(), a, v).await?;
    app.settle().await?;
    let (_, after) = app.text(&main).await?;
    assert!(
        after.contains("Brevia negotiators return to Geneva"),
        "the main story's rail now lists the edited story"
    );
    app.stop().await
});

db_test!(
    a_change_from_another_process_reaches_this_server_within_a_second,
    |t: TestDb| async move {
        let app = TestApp::start(t).await?;
        // Another process: its own pool, its own newsroom.
        let other = newsdesk_app::Newsroom::new(
            newsdesk_db::Database::connect(&app.t.url).await?,
            chrono_tz::Europe::London,
        );
        let path = app.ids.main_path.clone();
        let (_, first) = app.text(&path).await?;
        let (mut a, v) = other.db().find_article_versioned(app.ids.main).await?;
        a.dek = "Changed by another process.".into();
        other.save(&actor(), a, v).await?;
        let started = Instant::now();
        loop {
            let (_, html) = app.text(&path).await?;
            if html.contains("Changed by another process.") {
                break;
            }
            assert_eq!(html, first, "either the old page or the new one");
            assert!(started.elapsed() < Duration::from_secs(1), "not seen within a second");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        eprintln!("seen after {:?}", started.elapsed());
        // A new section added elsewhere shows up without a restart.
        other
            .create_section(
                &actor(),
                newsdesk_core::Section {
                    id: 0,
                    name: "Climate".into(),
                    slug: "climate".into(),
                    position: 9,
                    description: "The warming world.".into(),
                },
            )
            .await?;
        let started = Instant::now();
        while app.get("/climate").await?.status() != 200 {
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "section not served within a second"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        app.stop().await
    }
);

/// Statements sent to the database by one uncached request for `path`.
async fn queries_for(app: &TestApp, path: &str) -> anyhow::Result<u64> {
    app.app.cache.clear();
    let before = app.t.db.queries_run();
    let r = app.get(path).await?;
    anyhow::ensure!(r.status() == 200, "{path}: {}", r.status());
    Ok(app.t.db.queries_run() - before)
}

db_test!(a_page_costs_the_same_few_queries_however_many_entries_it_shows, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let pages = ["/", "/feed.xml", "/world/feed.xml", "/sports", "/tag/water/feed.json"];
    let mut small = Vec::new();
    for p in pages {
        small.push(queries_for(&app, p).await?);
    }
    let article = queries_for(&app, &app.ids.main_path.clone()).await?;
    // Forty more stories, with tags, across both sections.
    let t = app.app.taxonomy();
    let tags: Vec<i64> = t.tags.keys().copied().collect();
    for i in 0..40u32 {
        let mut a = Article::draft(format!("Extra story {i}"), at(5, 1, 9));
        a.section_id = Some(t.sections[(i % 2) as usize].id);
        a.tags = tags.clone();
        a.bylines = vec![Byline::Credit { text: "Staff".into() }];
        a.body = vec![Block::paragraph("More news.")];
        let d = app.app.newsroom.create_draft(&actor(), a).await?;
        app.app.newsroom.publish_as_of(&actor(), d.article.id, at(5, 1, 9)).await?;
    }
    app.settle().await?;
    for (p, before) in pages.iter().zip(&small) {
        let after = queries_for(&app, p).await?;
        assert_eq!(after, *before, "{p}: {before} queries before, {after} after");
        assert!(after <= 5, "{p} costs {after} queries");
    }
    assert!(article <= 5, "an article costs {article} queries");
    eprintln!(
        "queries per cache miss: {:?}, article {article}",
        pages.iter().zip(&small).collect::<Vec<_>>()
    );
    app.stop().await
});

db_test!(one_feed_build_serves_all_three_formats_until_the_list_changes, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    // A server stores only the format a reader asked for.
    queries_for(&app, "/world/feed.json").await?;
    assert!(app.app.cache.get("/world/feed.xml").is_none());
    // For the static export, asking for one format reads the list once
    // and makes all three.
    app.app.exports.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    assert!(queries_for(&app, "/world/feed.json").await? > 0);
    let before = app.t.db.queries_run();
    let (status, rss) = app.text("/world/feed.xml").await?;
    let (_, atom) = app.text("/world/feed.atom").await?;
    assert_eq!(status, 200);
    assert_eq!(app.t.db.queries_run(), before, "the other formats came from the cache");
    // Each is the feed its own build would make: its own format and its
    // own address.
    let (ours, theirs) = (rss.clone(), atom.clone());
    app.app.cache.clear();
    assert_eq!(app.text("/world/feed.xml").await?.1, ours);
    app.app.cache.clear();
    assert_eq!(app.text("/world/feed.atom").await?.1, theirs);
    assert!(rss.starts_with("<?xml") && rss.contains("<rss") && rss.contains("/world/feed.xml"));
    assert!(atom.contains("<feed") && atom.contains("/world/feed.atom"));
    // An edit to a story in the list makes all three stale together.
    let (_, _) = app.text("/world/feed.xml").await?;
    let (mut a, v) = app.t.db.find_article_versioned(app.ids.main).await?;
    a.headlines.display = "Water talks resume in Geneva after a week".into();
    app.app.newsroom.save(&actor(), a, v).await?;
    app.settle().await?;
    for f in ["feed.xml", "feed.atom", "feed.json"] {
        let (_, body) = app.text(&format!("/world/{f}")).await?;
        assert!(body.contains("Water talks resume in Geneva"), "{f} shows the edit");
    }
    app.stop().await
});

db_test!(errors_are_dressed_for_their_audience, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let long = format!("/{}", "a".repeat(5000));
    let r = app.get(&long).await?;
    assert_eq!(r.status(), 414);
    assert_eq!(
        r.headers()[header::X_CONTENT_TYPE_OPTIONS],
        "nosniff",
        "security headers on refusals"
    );
    let html = r.text().await?;
    assert!(html.contains("That address is too long"), "not a 'not found' page");
    let r = app.get("/world/").await?;
    assert_eq!(r.status(), 308);
    assert!(r.headers().contains_key(header::CONTENT_SECURITY_POLICY), "and on redirects");
    let r = app.client.post(format!("{}/world", app.base)).body("x").send().await?;
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()[header::ALLOW], "GET,HEAD");
    assert!(r.text().await?.contains("That cannot be done here"), "a themed page");
    let r = app.get("/api/v1/nothing").await?;
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
    let body: serde_json::Value = serde_json::from_slice(&r.bytes().await?)?;
    assert_eq!(
        body,
        serde_json::json!({"errors": [{"detail": "no such endpoint: see /api/docs"}]})
    );
    app.stop().await
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_loses_its_database_serves_what_it_has_and_recovers() -> anyhow::Result<()> {
    let Some(pg) = PrivatePostgres::start()? else { return Ok(()) };
    let db = newsdesk_db::Database::connect(&pg.url()).await?;
    db.migrate().await?;
    let dir = tempfile::tempdir()?;
    let t = TestDb { db, dir, url: pg.url(), pg_schema: None };
    let app = TestApp::start(t).await?;
    let cached = app.ids.main_path.clone();
    assert_eq!(app.get(&cached).await?.status(), 200);
    assert_eq!(app.get("/healthz").await?.status(), 200);

    pg.stop()?;
    // Cached pages are still served...
    let r = app.get(&cached).await?;
    assert_eq!(r.status(), 200, "cached page while the database is down");
    // ...uncached ones answer a themed 503 with Retry-After, quickly...
    let started = Instant::now();
    let r = app.get("/sports").await?;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()[header::RETRY_AFTER], "5");
    // A refusal that says "try again" is never kept by browsers or CDNs.
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    let first = r.text().await?;
    assert!(first.contains("busy for a moment"));
    assert!(started.elapsed() < Duration::from_secs(5), "answered in {:?}", started.elapsed());
    // Another unreachable page gets the same refusal, rendered once.
    let r = app.get("/world").await?;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()[header::RETRY_AFTER], "5");
    assert_eq!(r.text().await?, first);
    // ...and the health check says so within about a second.
    let started = Instant::now();
    let r = app.get("/healthz").await?;
    assert_eq!(r.status(), 503);
    assert!(started.elapsed() < Duration::from_millis(1500), "health took {:?}", started.elapsed());

    pg.start_again()?;
    let started = Instant::now();
    loop {
        let s = app.get("/sports").await?.status();
        if s == 200 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "not recovered: {s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.get("/healthz").await?.status(), 200);
    // Writes work again too, and reach the cache.
    let (mut a, v) = app.t.db.find_article_versioned(app.ids.main).await?;
    a.dek = "After the outage.".into();
    app.app.newsroom.save(&actor(), a, v).await?;
    app.app.catch_up().await?;
    assert!(app.text(&cached).await?.1.contains("After the outage."));
    app.stop().await
}
