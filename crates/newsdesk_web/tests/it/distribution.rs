//! Feeds, sitemaps, robots.txt, oEmbed, search and cache invalidation.

use crate::TestApp;
use crate::fixtures::at;
use newsdesk_core::{Article, Block, Byline};
use newsdesk_test_support::{TestDb, db_test};
use reqwest::header;

db_test!(feeds_carry_every_field_and_autodiscovery_points_at_them, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let (s, rss) = app.text("/feed.xml").await?;
    assert_eq!(s, 200);
    assert!(rss.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let first = rss.split("<item>").nth(1).unwrap_or_default();
    assert!(
        first.contains("<title>Talks resume as &lt;Arland&gt; &amp; Brevia meet in Geneva</title>"),
        "{first}"
    );
    assert!(first.contains("<guid isPermaLink=\"true\">https://news.example/world/2026/07/14/talks-resume-in-geneva</guid>"));
    assert!(first.contains("<pubDate>Tue, 14 Jul 2026 10:00:00 +0000</pubDate>"));
    assert!(first.contains("<dc:creator>Ann Lee</dc:creator>"));
    assert!(first.contains("<category>Water</category>"));
    assert!(first.contains("<enclosure url=\"https://news.example/media/fx/lead-1200.jpg\""));
    assert!(
        first.contains("<media:credit>Jane Roe / Pool via Meridian Press Agency</media:credit>")
    );
    assert!(first.contains("src=&quot;https://news.example/media/fx/"), "body images are absolute");
    assert!(
        !first.contains("&lt;script&gt;alert"),
        "escaped script never appears as markup: {first}"
    );
    assert_eq!(rss.matches("<item>").count(), 27, "all 27 published articles (under the 50 limit)");
    let atom = app.get("/world/feed.atom").await?;
    assert_eq!(atom.headers()[header::CONTENT_TYPE], "application/atom+xml; charset=utf-8");
    let atom = atom.text().await?;
    assert!(atom.contains("<id>https://news.example/world/feed.atom</id>"));
    assert_eq!(atom.matches("<entry>").count(), 2, "only the world section");
    let json = app.get("/tag/water/feed.json").await?;
    assert_eq!(json.headers()[header::CONTENT_TYPE], "application/feed+json; charset=utf-8");
    let v: serde_json::Value = serde_json::from_slice(&json.bytes().await?)?;
    assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(v["items"][0]["authors"][0]["url"], "https://news.example/author/ann-lee");
    assert_eq!(v["items"][0]["image"], "https://news.example/media/fx/lead-1200.jpg");
    let (s, _) = app.text("/author/bo-chan/feed.xml").await?;
    assert_eq!(s, 200);
    for bad in
        ["/world/feed.rss", "/nowhere/feed.xml", "/tag/nothing/feed.json", "/author/x/feed.atom"]
    {
        assert_eq!(app.get(bad).await?.status(), 404, "{bad}");
    }
    let (_, home) = app.text("/").await?;
    assert!(home.contains("<link rel=\"alternate\" type=\"application/rss+xml\" title=\"The Newsdesk Daily (RSS)\" href=\"/feed.xml\">"));
    let (_, section) = app.text("/world").await?;
    assert!(section.contains("href=\"/world/feed.atom\""));
    // Conditional GET.
    let r = app.get("/feed.xml").await?;
    let etag = r.headers()[header::ETAG].clone();
    let again = app
        .client
        .get(format!("{}/feed.xml", app.base))
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await?;
    assert_eq!(again.status(), 304);
    app.stop().await
});

db_test!(sitemaps_and_robots_list_every_public_url, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let (s, index) = app.text("/sitemap.xml").await?;
    assert_eq!(s, 200);
    for part in ["/sitemaps/articles-1.xml", "/sitemaps/pages.xml", "/sitemaps/news.xml"] {
        assert!(index.contains(&format!("<loc>https://news.example{part}</loc>")), "{part}");
    }
    let (_, articles) = app.text("/sitemaps/articles-1.xml").await?;
    assert_eq!(articles.matches("<url>").count(), 27);
    assert!(articles.contains("<url><loc>https://news.example/world/2026/07/14/talks-resume-in-geneva</loc><lastmod>2026-07-14T16:00:00Z</lastmod><image:image><image:loc>https://news.example/media/fx/lead-1200.jpg</image:loc></image:image></url>"));
    assert!(!articles.contains("withdrawn"), "unpublished stories are left out");
    let (_, pages) = app.text("/sitemaps/pages.xml").await?;
    for loc in ["/world", "/sports", "/tag/water", "/author/ann-lee"] {
        assert!(pages.contains(&format!("<loc>https://news.example{loc}</loc>")), "{loc}");
    }
    // The fixtures are from July 2026, long before "now": nothing is news.
    let (s, news) = app.text("/sitemaps/news.xml").await?;
    assert_eq!(s, 200);
    assert_eq!(news.matches("<news:news>").count(), 0);
    for bad in [
        "/sitemaps/articles-2.xml",
        "/sitemaps/articles-0.xml",
        "/sitemaps/articles-x.xml",
        "/sitemaps/other.xml",
    ] {
        assert_eq!(app.get(bad).await?.status(), 404, "{bad}");
    }
    let (_, robots) = app.text("/robots.txt").await?;
    assert!(robots.contains("Sitemap: https://news.example/sitemap.xml"));
    assert!(robots.contains("Sitemap: https://news.example/sitemaps/news.xml"));
    app.stop().await
});

db_test!(news_sitemap_lists_the_last_two_days, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let world = app.app.taxonomy().sections[0].id;
    let mut a = Article::draft("Breaking: talks reach a deal", chrono::Utc::now());
    a.section_id = Some(world);
    a.bylines = vec![Byline::Credit { text: "Staff".into() }];
    a.body = vec![Block::paragraph("A deal was reached.")];
    let actor = newsdesk_app::Actor::system("test");
    let a = app.app.newsroom.create_draft(&actor, a).await?.article;
    app.app.newsroom.publish(&actor, a.id, None).await?;
    let (_, news) = app.text("/sitemaps/news.xml").await?;
    assert_eq!(news.matches("<news:news>").count(), 1);
    assert!(news.contains("<news:title>Breaking: talks reach a deal</news:title>"));
    assert!(
        news.contains("<news:name>The Newsdesk Daily</news:name><news:language>en</news:language>")
    );
    app.stop().await
});

db_test!(oembed_describes_articles_of_this_site_only, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let url = format!("https://news.example{}", app.ids.main_path);
    let r =
        app.get(&format!("/oembed?url={}&format=json", newsdesk_content::url_encode(&url))).await?;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = serde_json::from_slice(&r.bytes().await?)?;
    assert_eq!(v["version"], "1.0");
    assert_eq!(v["type"], "rich");
    assert_eq!(v["title"], "The water talks are back on");
    assert_eq!(v["author_name"], "Ann Lee");
    assert_eq!(v["provider_name"], "The Newsdesk Daily");
    assert!(v["html"].as_str().unwrap_or_default().contains("Talks resume as &lt;Arland&gt;"));
    assert_eq!(v["thumbnail_width"], 480);
    assert_eq!(
        app.get(&format!("/oembed?url={}&format=xml", newsdesk_content::url_encode(&url)))
            .await?
            .status(),
        501
    );
    for bad in [
        "/oembed",
        "/oembed?url=https%3A%2F%2Felsewhere.example%2Fx",
        "/oembed?url=https%3A%2F%2Fnews.example%2Fnope",
    ] {
        assert_eq!(app.get(bad).await?.status(), 404, "{bad}");
    }
    let (_, page) = app.text(&app.ids.main_path.clone()).await?;
    assert!(page.contains("<link rel=\"alternate\" type=\"application/json+oembed\""));
    app.stop().await
});

db_test!(search_ranks_stems_filters_and_never_leaks_drafts, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let (s, html) = app.text("/search?q=negotiator").await?;
    assert_eq!(s, 200);
    assert!(
        html.contains("<link rel=\"canonical\" href=\"https://news.example/search?q=negotiator\">")
    );
    assert!(html.contains("max-image-preview:large"), "pages with results may be indexed");
    // "negotiator" finds "Negotiators" (stemming) in both stories; the one
    // with the word in its headline ranks first.
    let order: Vec<&str> = html
        .split("<h2 class=\"card-title\"><a href=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap_or_default())
        .collect();
    assert_eq!(order, vec![app.ids.earlier_path.as_str(), app.ids.main_path.as_str()]);
    assert!(html.contains("<mark>"), "snippets mark the match");
    let (_, html) = app.text("/search?q=water&section=sports").await?;
    assert!(html.contains("No stories matched"));
    assert!(
        html.contains("<meta name=\"robots\" content=\"noindex, follow\">"),
        "empty results are not indexed"
    );
    let (_, html) = app.text("/search?q=water&from=2026-07-10&to=2026-07-31").await?;
    assert!(
        html.contains(&app.ids.main_path) && !html.contains(&app.ids.earlier_path),
        "date range filters"
    );
    let (_, html) = app.text("/search?q=rovers").await?;
    assert!(html.contains("25 stories found") && html.contains("Page 1 of 2"), "paginated");
    let (s, _) = app.text("/search?q=rovers&page=2").await?;
    assert_eq!(s, 200);
    assert_eq!(app.get("/search?q=rovers&page=3").await?.status(), 404);
    let (_, html) = app.text("/search?q=withdrawn").await?;
    assert!(!html.contains("Withdrawn story"), "unpublished never found");
    let (_, html) = app.text("/search?q=unfinished").await?;
    assert!(!html.contains("Unfinished draft"), "drafts never found");
    let (_, html) = app.text("/search?q=alert").await?;
    assert!(!html.contains("<script>alert"), "hostile text in snippets stays escaped");
    for hostile in [
        "",
        "q=",
        "q=a",
        "q=%22",
        "q=%22%22%22",
        "q=water%20OR%20talks",
        "q=-water",
        "q=water*",
        "q=NEAR(a%20b)",
        "q=headline%3Awater",
        "q=%28%28%28",
        "q=%ff%fe",
        "q=%00",
        "q=%E2%80%8B",
        "q=%F0%9F%98%80",
        "q=AND%20OR%20NOT",
        "q=a%27%3B%20DROP%20TABLE%20articles%3B--",
        "q=%5C",
        "q=%26%26%7C%7C!",
        "from=2026-13-45&q=x",
        "to=yesterday&q=x",
        "section=%3Cscript%3E&q=x",
    ] {
        let (s, body) = app.text(&format!("/search?{hostile}")).await?;
        assert_eq!(s, 200, "{hostile}");
        assert!(body.contains("</html>"), "{hostile}");
    }
    let long = format!("/search?q={}", "word%20".repeat(250));
    assert_eq!(app.get(&long).await?.status(), 200);
    assert_eq!(app.t.db.count_published().await?, 27, "nothing was dropped");
    app.stop().await
});

#[tokio::test]
async fn search_survives_generated_queries() -> anyhow::Result<()> {
    // A small deterministic fuzz: random bytes, operators and quotes.
    let t = TestDb::sqlite().await?;
    let db = t.db.clone();
    let app = TestApp::start(t).await?;
    let alphabet: Vec<char> =
        "ab \"'*-+():^~&|!?%\\/;,.{}[]<>\u{0}\u{7f}éß中😀NEARORANDNOT".chars().collect();
    let mut state: u64 = 0x1234_5678;
    for _ in 0..300 {
        let mut q = String::new();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        for i in 0..(state % 24) {
            q.push(alphabet[((state >> (i % 32)) as usize + i as usize * 7) % alphabet.len()]);
        }
        let hits = db
            .search(&newsdesk_db::SearchQuery { text: q.clone(), limit: 5, ..Default::default() })
            .await
            .map_err(|e| anyhow::anyhow!("query {q:?}: {e}"))?;
        assert!(hits.items.iter().all(|h| !h.card.path.is_empty()), "{q:?}");
    }
    app.stop().await
}

db_test!(publishing_invalidates_exactly_the_pages_that_show_the_story, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let unrelated =
        ["/sports", "/sports?page=2", "/author/bo-chan", "/tag/diplomacy", "/sports/feed.xml"];
    let affected = [
        "/",
        "/world",
        "/tag/water",
        "/author/ann-lee",
        "/feed.xml",
        "/world/feed.xml",
        "/sitemap.xml",
        "/sitemaps/articles-1.xml",
    ];
    for p in unrelated.iter().chain(affected.iter()) {
        assert_eq!(app.get(p).await?.status(), 200, "{p}");
    }
    let main = app.ids.main_path.clone();
    app.get(&main).await?;
    let cached_before = app.app.cache.len();
    let t = app.app.taxonomy();
    let world = t.sections.iter().find(|s| s.slug == "world").map(|s| s.id);
    let water = t.tags.values().find(|x| x.slug == "water").map(|x| x.id).into_iter().collect();
    let ann = t.authors.values().find(|x| x.slug == "ann-lee").map(|x| x.id).unwrap_or_default();
    let mut a = Article::draft("Dam inspectors to visit the disputed river", at(7, 20, 9));
    a.section_id = world;
    a.tags = water;
    a.bylines = vec![Byline::Author { author_id: ann }];
    a.body = vec![Block::paragraph("Inspectors will visit the dam on the river.")];
    let actor = newsdesk_app::Actor::system("test");
    let a = app.app.newsroom.create_draft(&actor, a).await?.article;
    app.app.catch_up().await?;
    assert_eq!(app.app.cache.len(), cached_before, "saving a draft drops nothing");
    app.app.newsroom.publish(&actor, a.id, None).await?;
    // The worker brings other rails up to date; the follower applies it all.
    app.settle().await?;
    for p in unrelated {
        assert!(app.app.cache.get(p).is_some(), "{p} must stay cached");
    }
    for p in affected {
        assert!(app.app.cache.get(p).is_none(), "{p} must be dropped");
    }
    let (_, world_page) = app.text("/world").await?;
    assert!(world_page.contains("Dam inspectors to visit the disputed river"));
    let (_, feed) = app.text("/tag/water/feed.xml").await?;
    assert!(feed.contains("Dam inspectors"));
    // Unpublishing drops the same pages and the rails that listed it.
    let rails = app.t.db.articles_relating_to(a.id).await?;
    for r in &rails {
        let path = app.t.db.find_article(*r).await?.path.unwrap_or_default();
        app.get(&path).await?;
    }
    app.get("/world").await?;
    app.app.newsroom.unpublish(&actor, a.id).await?;
    app.app.catch_up().await?;
    assert!(app.app.cache.get("/world").is_none());
    assert!(app.app.cache.stale("/world").is_none(), "not kept stale either");
    for r in &rails {
        let path = app.t.db.find_article(*r).await?.path.unwrap_or_default();
        assert!(app.app.cache.get(&path).is_none(), "rail page {path} dropped");
        assert!(app.app.cache.stale(&path).is_none(), "rail page {path} not kept stale");
        let (_, html) = app.text(&path).await?;
        assert!(!html.contains("Dam inspectors"), "no longer in the rail");
    }
    assert!(app.app.cache.get("/sports").is_some());
    app.stop().await
});
