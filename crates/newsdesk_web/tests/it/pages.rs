//! What the pages show.

use crate::TestApp;
use newsdesk_test_support::{TestDb, db_test};

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// The text between the first `start` and the next `end` after it.
fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let from = s.find(start).map_or(s.len(), |i| i + start.len());
    let rest = &s[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

db_test!(article_page_shows_every_part, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let path = app.ids.main_path.clone();
    assert_eq!(path, "/world/2026/07/14/talks-resume-in-geneva");
    let (status, html) = app.text(&path).await?;
    assert_eq!(status, 200);

    // Head.
    assert!(
        html.contains(
            "<title>Arland–Brevia water talks resume in Geneva | The Newsdesk Daily</title>"
        ),
        "title from the SEO headline"
    );
    assert!(
        html.contains(&format!("<link rel=\"canonical\" href=\"https://news.example{path}\">"))
    );
    assert!(
        html.contains("<meta property=\"og:title\" content=\"The water talks are back on\">"),
        "og:title from the social headline"
    );
    assert!(html.contains("<meta property=\"og:type\" content=\"article\">"));
    assert!(html.contains(
        "<meta property=\"article:published_time\" content=\"2026-07-14T11:00:00+01:00\">"
    ));
    assert!(html.contains(
        "<meta property=\"article:modified_time\" content=\"2026-07-14T17:00:00+01:00\">"
    ));
    assert!(html.contains("<meta property=\"article:section\" content=\"World\">"));
    assert_eq!(count(&html, "<meta property=\"article:tag\""), 2);
    assert!(html.contains("<meta name=\"twitter:card\" content=\"summary_large_image\">"));
    assert!(html.contains("max-image-preview:large"));
    let ld: serde_json::Value =
        serde_json::from_str(between(&html, "<script type=\"application/ld+json\">", "</script>"))?;
    assert_eq!(ld["@type"], "NewsArticle");
    assert_eq!(ld["headline"], "Arland–Brevia water talks resume in Geneva");
    assert_eq!(ld["datePublished"], "2026-07-14T11:00:00+01:00");
    assert_eq!(ld["author"][0]["url"], "https://news.example/author/ann-lee");
    assert_eq!(ld["author"][2]["@type"], "Organization");
    assert_eq!(ld["image"][0]["creditText"], "Jane Roe / Pool via Meridian Press Agency");
    assert_eq!(ld["correction"][0]["@type"], "CorrectionComment");

    // Body of the page.
    assert!(html.contains(
        "<h1 class=\"headline\">Talks resume as &lt;Arland&gt; &amp; Brevia meet in Geneva</h1>"
    ));
    assert!(html.contains("<p class=\"dek\">Negotiators met"));
    assert!(html.contains("By <a rel=\"author\" href=\"/author/ann-lee\">Ann Lee</a>, <a rel=\"author\" href=\"/author/bo-chan\">Bo Chan</a> and Meridian Press Agency"));
    assert!(html.contains(
        "Published <time datetime=\"2026-07-14T11:00:00+01:00\">14 July 2026, 11:00 BST</time>"
    ));
    assert!(html.contains("Updated <time datetime=\"2026-07-14T17:00:00+01:00\">"));
    let lead = between(&html, "<figure class=\"figure\">", "</figure>");
    assert!(
        lead.contains("alt=\"Two rows of delegates facing each other across a long table\""),
        "{lead}"
    );
    assert!(lead.contains("width=\"1200\" height=\"675\""));
    assert!(lead.contains("srcset=\"/media/fx/lead-480.jpg 480w, /media/fx/lead-800.jpg 800w, /media/fx/lead-1200.jpg 1200w\""));
    assert!(!lead.contains("loading=\"lazy\""), "the lead image loads eagerly");
    assert!(lead.contains("<span class=\"caption\">Delegations at the opening session in Geneva.</span> <span class=\"credit\">Jane Roe / Pool via Meridian Press Agency</span>"));
    assert!(html.contains("<h2 id=\"what-is-on-the-table\">What is on the table</h2>"));
    assert!(html.contains("<blockquote class=\"quote\">"));
    assert!(html.contains("<span class=\"caption\">Farmland along the river, which both sides want to protect.</span>"), "inline figure caption overrides the library's");
    assert!(html.contains(&format!("<li><time datetime=\"2026-07-01\">1 July 2026</time> <a href=\"{}\">Talks date agreed</a></li>", app.ids.earlier_path)));
    assert!(html.contains("<h2 id=\"sources-heading\">Sources</h2>"));
    assert!(html.contains("<a href=\"https://wire.example/geneva\" rel=\"nofollow noopener\">Meridian Press Agency</a> <span class=\"source-kind\">(Wire service)</span>"));
    assert!(html.contains("An earlier version misstated the venue."));
    assert!(html.contains(
        "<a href=\"/tag/diplomacy\" rel=\"tag\">Diplomacy &lt;&amp;&gt; &quot;talks&quot;</a>"
    ));
    for network in [
        "https://x.com/intent/post?url=",
        "https://www.facebook.com/sharer/sharer.php?u=",
        "https://www.linkedin.com/sharing/share-offsite/?url=",
        "https://wa.me/?text=",
        "mailto:?subject=",
    ] {
        assert_eq!(count(&html, network), 2, "{network} at top and bottom");
    }
    assert_eq!(count(&html, "class=\"share-copy\""), 2);

    // Hostile input stays text.
    assert!(!html.contains("<script>alert"), "no injected script");
    assert!(!html.contains("javascript:"), "no script URL");
    assert!(!html.contains('\u{1}'), "control characters dropped");

    // The rail: related, never itself, thumbnail alt = image alt.
    let rail = between(&html, "You May Also Like</h2>", "</section>");
    assert!(count(rail, "<li class=\"card\">") <= 12);
    assert!(rail.contains(&format!("href=\"{}\"", app.ids.earlier_path)), "same story is related");
    assert!(!rail.contains(&format!("href=\"{path}\"")), "never itself");
    assert!(rail.contains("alt=\"A river between green hills\""), "{rail}");
    app.stop().await
});

db_test!(teasers_are_cut_at_a_word_boundary, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let (_, html) = app.text("/world").await?;
    let teaser = between(&html, "<p class=\"card-teaser\">", "</p>");
    assert!(teaser.chars().count() <= 160, "{teaser}");
    assert!(teaser.ends_with('…'), "{teaser}");
    assert!(teaser.starts_with("Negotiators met for the first time in a year"));
    assert!(!teaser.trim_end_matches('…').ends_with(' '));
    app.stop().await
});

db_test!(home_shows_no_story_twice, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let (status, html) = app.text("/").await?;
    assert_eq!(status, 200);
    assert!(html.contains("Top stories"));
    let mut seen = std::collections::HashSet::new();
    for part in html.split("<h3 class=\"card-title\"><a href=\"").skip(1) {
        let href = &part[..part.find('"').unwrap_or(0)];
        assert!(seen.insert(href.to_owned()), "{href} appears twice");
    }
    assert!(seen.contains(&app.ids.main_path));
    assert!(!html.contains("Withdrawn story"), "unpublished copy never listed");
    assert!(!html.contains("Unfinished draft"));
    app.stop().await
});

db_test!(lists_paginate_and_404_past_the_end, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let (s1, p1) = app.text("/sports").await?;
    assert_eq!(s1, 200);
    assert_eq!(count(&p1, "<li class=\"card\">"), 20);
    assert!(p1.contains("Page 1 of 2"));
    assert!(p1.contains("rel=\"next\" href=\"/sports?page=2\""));
    let (s2, p2) = app.text("/sports?page=2").await?;
    assert_eq!(s2, 200);
    assert_eq!(count(&p2, "<li class=\"card\">"), 5);
    assert!(p2.contains("<link rel=\"canonical\" href=\"https://news.example/sports?page=2\">"));
    for bad in [
        "/sports?page=3",
        "/sports?page=0",
        "/sports?page=abc",
        "/sports?page=-1",
        "/sports?page=99999999999999",
        "/sports?page=1.5",
    ] {
        let (s, body) = app.text(bad).await?;
        assert_eq!(s, 404, "{bad}");
        assert!(body.contains("We could not find that page"), "{bad} gets the themed 404");
    }
    let (s, html) = app.text("/tag/water").await?;
    assert_eq!(s, 200);
    assert!(html.contains("Water talks resume"), "cards use the teaser headline");
    let (s, html) = app.text("/author/ann-lee").await?;
    assert_eq!(s, 200);
    assert!(html.contains("Diplomatic correspondent"));
    assert!(html.contains("Ann covers diplomacy. &lt;script&gt;"), "bio escaped");
    assert!(html.contains("alt=\"Head-and-shoulders drawing on a blue background\""));
    app.stop().await
});

db_test!(unknown_unpublished_and_draft_pages, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let (s, body) = app.text(&app.ids.gone_path.clone()).await?;
    assert_eq!(s, 410);
    assert!(body.contains("This story is no longer available"));
    for path in [
        "/nowhere",
        "/world/2026/07/14/no-such-story",
        "/tag/nothing",
        "/author/nobody",
        "/world/2026/07/14/talks-resume-in-geneva/extra",
    ] {
        let (s, body) = app.text(path).await?;
        assert_eq!(s, 404, "{path}");
        assert!(body.contains("Latest stories"), "the 404 helps the reader on");
        assert!(body.contains("<meta name=\"robots\" content=\"noindex\">"));
    }
    let draft = app.t.db.find_article(app.ids.draft).await?;
    assert_eq!(draft.path, None, "a draft has no public URL");
    app.stop().await
});

db_test!(snapshots_of_article_home_and_section, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let (_, article) = app.text(&app.ids.main_path.clone()).await?;
    insta::assert_snapshot!("article_page", article);
    let (_, home) = app.text("/").await?;
    insta::assert_snapshot!("home_page", home);
    let (_, section) = app.text("/world").await?;
    insta::assert_snapshot!("section_page", section);
    app.stop().await
});

db_test!(a_theme_folder_overrides_a_template, |t: TestDb| async move {
    let theme = tempfile::tempdir()?;
    std::fs::write(
        theme.path().join("error.html"),
        "<!doctype html><title>Lost</title><p>Custom {{ status }}: {{ heading }}</p>",
    )?;
    let dir = theme.path().to_path_buf();
    let app = TestApp::start_with(t, move |c| c.theme.dir = Some(dir)).await?;
    let (s, body) = app.text("/nope").await?;
    assert_eq!(s, 404);
    assert!(body.contains("<p>Custom 404: We could not find that page</p>"), "{body}");
    let (s, body) = app.text("/").await?;
    assert_eq!(s, 200);
    assert!(body.contains("Top stories"), "other templates stay built in");
    app.stop().await
});
