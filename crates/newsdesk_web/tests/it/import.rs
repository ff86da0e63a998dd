//! `newsdesk import wordpress` end to end: a WordPress 6 export (with its
//! uploads folder) into a running site, on both backends. What each post
//! became, the old addresses over real HTTP, hostile bodies on the page,
//! a second run that changes nothing, an edited export that updates, and
//! an import stopped half-way that a second run finishes.

use crate::TestApp;
use newsdesk_core::{ArticleStatus, Block, Byline, Id, Inline};
use newsdesk_import::wordpress::{Options, import};
use newsdesk_test_support::photos::plain_jpeg;
use newsdesk_test_support::{TestDb, db_test};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const SOURCE: &str = "wordpress:https://harbour.test";

/// A body's block kinds, one letter each.
fn kinds(body: &[Block]) -> Vec<&'static str> {
    body.iter()
        .map(|b| match b {
            Block::Paragraph { .. } => "p",
            Block::Subhead { .. } => "h",
            Block::Quote { .. } => "q",
            Block::List { .. } => "l",
            Block::Figure(_) => "f",
            Block::Timeline { .. } => "t",
        })
        .collect()
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/import/wordpress/harbour.xml")
}

/// The old site's uploads folder: two of the three attachments' files.
fn uploads(dir: &Path) -> anyhow::Result<PathBuf> {
    let up = dir.join("uploads");
    std::fs::create_dir_all(up.join("2024/05"))?;
    std::fs::write(up.join("2024/05/boat.jpg"), plain_jpeg(1200, 800, 11))?;
    std::fs::write(up.join("2024/05/quay.jpg"), plain_jpeg(1200, 800, 12))?;
    Ok(up)
}

async fn run(app: &TestApp, file: &Path, up: &Path) -> anyhow::Result<newsdesk_import::Report> {
    let opts = Options { uploads: Some(up.to_owned()), fetch: false, ..Options::default() };
    let actor = newsdesk_core::Actor::operator("test");
    import(&app.app.newsroom, &actor, file, &opts, &|_, _, _| {}).await
}

async fn imported(app: &TestApp) -> anyhow::Result<HashMap<String, Id>> {
    Ok(app.t.db.imported_items(SOURCE, "post").await?.into_iter().collect())
}

db_test!(a_wordpress_export_becomes_the_site, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let up = uploads(app.t.dir.path())?;
    let r = run(&app, &fixture(), &up).await?;
    assert!(r.is_clean(), "{r}");
    assert_eq!(r.count("imported", "post"), 10, "{r}");
    assert_eq!(r.count("imported", "author"), 2, "{r}");
    assert_eq!(r.count("imported", "image"), 2, "{r}");
    assert_eq!(r.skipped.get("posts with status trash"), Some(&1), "{r}");
    assert_eq!(r.skipped.get("nav_menu_item items (not content)"), Some(&1), "{r}");
    assert_eq!(r.comments_skipped, 2);
    assert!(r.missing_images.iter().any(|l| l.item.ends_with("2024/05/lost.jpg")), "{r}");
    assert!(r.notes.contains_key("converted the unknown block wp:acme/poll to text"), "{r}");
    let ids = imported(&app).await?;
    let db = &app.t.db;

    // The block-editor post: every part where it belongs.
    let ferry = db.find_article(ids["12"]).await?;
    assert_eq!(ferry.status, ArticleStatus::Published);
    assert_eq!(ferry.headlines.display, "Ferry service returns after storm");
    assert_eq!(ferry.dek, "The first sailing in a week left at dawn.");
    assert_eq!(ferry.slug, "ferry-service-returns");
    assert_eq!(
        ferry.first_published_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-05-01T09:30:00+00:00")
    );
    let sections = db.list_sections().await?;
    let city = sections.iter().find(|s| s.slug == "city").expect("section city");
    assert_eq!(city.name, "City & Port");
    assert_eq!(city.description, "Life around the harbour");
    assert_eq!(ferry.section_id, Some(city.id));
    let tags = db.list_tags().await?;
    let tag = |slug: &str| tags.iter().find(|t| t.slug == slug).map(|t| t.id);
    assert_eq!(
        ferry.tags,
        vec![tag("weather").expect("weather"), tag("ferries").expect("ferries")]
    );
    let authors = db.list_authors().await?;
    let jane = authors.iter().find(|a| a.name == "Jane Doe").expect("Jane Doe");
    assert_eq!(ferry.bylines, vec![Byline::Author { author_id: jane.id }]);
    let lead = ferry.lead.clone().expect("featured image");
    assert_eq!(lead.alt.as_deref(), Some("A ferry at the quay"));
    assert_eq!(lead.caption.as_deref(), Some("The Marianne docks"));
    assert_eq!(lead.credit.as_deref(), Some("The Harbour Gazette"));
    let kinds = kinds(&ferry.body);
    assert_eq!(kinds, ["p", "h", "f", "q", "l", "p", "p"], "{:#?}", ferry.body);
    let Block::Figure(quay) = &ferry.body[2] else { unreachable!() };
    assert_eq!(quay.caption.as_deref(), Some("Crews repaired the quay overnight"));
    // No alt anywhere: the caption serves, and the report says so.
    assert_eq!(quay.alt.as_deref(), Some("Crews repaired the quay overnight"));
    assert_eq!(
        ferry.body[3],
        Block::Quote {
            text: "We are open for business.".into(),
            attribution: Some("Harbour master Ana Silva".into())
        }
    );
    // The unsafe link kept its words only.
    let Block::List { items, .. } = &ferry.body[4] else { unreachable!() };
    assert_eq!(items[1], vec![Inline::text("Tickets half price this week")]);
    assert_eq!(
        ferry.body[5],
        Block::Paragraph {
            content: vec![Inline::link(
                "https://www.youtube.com/watch?v=abc123",
                "https://www.youtube.com/watch?v=abc123"
            )]
        }
    );

    // The classic post: captions from the shortcode and the caption box,
    // blank lines as paragraphs, the title's entities decoded.
    let storm = db.find_article(ids["13"]).await?;
    assert_eq!(storm.headlines.display, "Storm damage: the “worst in decades”");
    assert_eq!(storm.lead, None);
    let Block::Figure(boat) = &storm.body[0] else { panic!("{:#?}", storm.body) };
    assert_eq!(boat.caption.as_deref(), Some("The Marianne at the quay"));
    assert_eq!(boat.alt.as_deref(), Some("A ferry at the quay"));
    assert_eq!(
        storm.body[1],
        Block::paragraph(
            "Storm winds reached 120 km/h on Saturday night. Roofs were damaged along the front."
        )
    );
    let Block::Figure(q) = &storm.body[3] else { panic!("{:#?}", storm.body) };
    assert_eq!(
        (q.alt.as_deref(), q.caption.as_deref()),
        (Some("The quay"), Some("The quay after the storm"))
    );
    let uncategorized = sections.iter().find(|s| s.slug == "uncategorized").map(|s| s.id);
    assert_eq!(storm.section_id, uncategorized);

    // Statuses.
    assert_eq!(db.find_article(ids["14"]).await?.status, ArticleStatus::Draft);
    assert_eq!(db.find_article(ids["15"]).await?.status, ArticleStatus::Review);
    let regatta = db.find_article(ids["16"]).await?;
    assert_eq!(regatta.status, ArticleStatus::Scheduled);
    assert_eq!(
        regatta.scheduled_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2030-01-01T08:00:00+00:00")
    );
    assert_eq!(db.find_article(ids["17"]).await?.status, ArticleStatus::Draft);
    let about = db.find_article(ids["20"]).await?;
    assert_eq!(about.section_id, sections.iter().find(|s| s.slug == "pages").map(|s| s.id));
    // The missing picture is left out; the words are published.
    let missing = db.find_article(ids["21"]).await?;
    assert_eq!(missing.status, ArticleStatus::Published);
    assert_eq!(missing.body, vec![Block::paragraph("Words remain.")]);
    // Nothing left of a body but a lost picture: kept as a draft, and the
    // report says why.
    assert_eq!(db.find_article(ids["22"]).await?.status, ArticleStatus::Draft);
    assert!(
        r.kept_as_drafts
            .iter()
            .any(|l| l.item.contains("Only a lost picture") && l.reason.contains("body")),
        "{r}"
    );

    // People: disabled accounts that cannot sign in.
    let jdoe = db.find_user_by_email("jdoe@harbour.test").await?.expect("account");
    assert!(jdoe.disabled_at.is_some());
    assert_eq!(jdoe.author_id, Some(jane.id));
    assert!(app.app.newsroom.authenticate("jdoe@harbour.test", "").await?.is_none());

    // Readers: the pages, and every old address answering with a 301.
    app.settle().await?;
    let path = ferry.path.clone().expect("published");
    let (status, html) = app.text(&path).await?;
    assert_eq!(status, 200);
    assert!(html.contains("Ferry service returns after storm"));
    assert!(html.contains("Harbour master Ana Silva"));
    for old in ["/2024/05/01/ferry-service-returns", "/?p=12", "/ferry-service-returns"] {
        let res = app.get(old).await?;
        assert_eq!(res.status().as_u16(), 301, "{old}");
        assert_eq!(
            res.headers().get("location").and_then(|v| v.to_str().ok()),
            Some(path.as_str()),
            "{old}"
        );
    }
    let slashed = app.get("/2024/05/01/ferry-service-returns/").await?;
    assert_eq!(slashed.status().as_u16(), 308);
    let about_path = about.path.clone().expect("published");
    for old in ["/about", "/?page_id=20"] {
        let res = app.get(old).await?;
        assert_eq!(
            res.headers().get("location").and_then(|v| v.to_str().ok()),
            Some(about_path.as_str()),
            "{old}"
        );
    }
    // A `?p=` no story had is the home page.
    assert_eq!(app.get("/?p=99999").await?.status().as_u16(), 200);
    assert_eq!(app.get("/2020/01/01/never-was").await?.status().as_u16(), 404);

    // The hostile post: its words, none of its markup.
    let hostile = db.find_article(ids["19"]).await?;
    assert_eq!(hostile.headlines.display, "Hostile title");
    let (status, html) = app.text(hostile.path.as_deref().unwrap_or("/")).await?;
    assert_eq!(status, 200);
    let body = &html[html.find("<article").unwrap_or(0)..];
    for bad in ["alert(1)", "javascript:", "onerror", "onmouseover", "display:none"] {
        assert!(!body.contains(bad), "{bad} reached the page");
    }
    assert!(
        body.contains("Before after") && body.contains("click me") && body.contains("Hover text")
    );

    // A second run changes nothing.
    let versions: Vec<_> = {
        let mut v = Vec::new();
        for id in ids.values() {
            v.push((*id, db.find_article_versioned(*id).await?.1));
        }
        v
    };
    let again = run(&app, &fixture(), &up).await?;
    assert_eq!(again.count("imported", "post"), 0, "{again}");
    assert_eq!(again.count("unchanged", "post"), 10, "{again}");
    assert!(again.imported.is_empty(), "{again}");
    for (id, v) in versions {
        assert_eq!(db.find_article_versioned(id).await?.1, v, "article {id} changed");
    }
    assert_eq!(imported(&app).await?, ids);
    app.stop().await
});

db_test!(an_edited_export_updates_and_a_stopped_import_finishes, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let up = uploads(app.t.dir.path())?;
    let full = std::fs::read_to_string(fixture())?;

    // Stopped half-way: the file ends inside the pending post.
    let cut = app.t.dir.path().join("cut.xml");
    std::fs::write(&cut, &full[..full.find("Pier plans").unwrap_or(full.len() / 2)])?;
    let err = run(&app, &cut, &up).await.expect_err("a truncated file");
    let msg = format!("{err:#}");
    assert!(msg.contains("truncated") && msg.contains("Draft about tides"), "{msg}");
    // Nothing of a truncated file is taken: it is read to its end before
    // anything is written.
    assert!(imported(&app).await?.is_empty());
    assert!(app.t.db.find_user_by_email("jdoe@harbour.test").await?.is_none());

    // Stopped after some posts (each commits alone): the export up to the
    // future post, then the whole. Every post ends up in exactly once.
    let cut_at =
        full.find("<title><![CDATA[Future: regatta").and_then(|i| full[..i].rfind("<item>"));
    let first = format!("{}</channel></rss>", &full[..cut_at.unwrap_or(0)]);
    let part = app.t.dir.path().join("part.xml");
    std::fs::write(&part, first)?;
    let r = run(&app, &part, &up).await?;
    assert_eq!(r.count("imported", "post"), 4, "{r}");
    let r = run(&app, &fixture(), &up).await?;
    assert_eq!((r.count("unchanged", "post"), r.count("imported", "post")), (4, 6), "{r}");
    let ids = imported(&app).await?;
    assert_eq!(ids.len(), 10);
    let mut local: Vec<Id> = ids.values().copied().collect();
    local.sort_unstable();
    local.dedup();
    assert_eq!(local.len(), 10);

    // The export edited on the old site: the post follows, in place.
    let edited = full
        .replace("Ferry service returns after storm", "Ferry service is back")
        // Filed under a category whose slug the site keeps for itself.
        .replace(
            "<category domain=\"category\" nicename=\"uncategorized\"><![CDATA[Uncategorized]]></category>",
            "<category domain=\"category\" nicename=\"search\"><![CDATA[Search]]></category>",
        )
        // Taken down on the old site.
        .replace(
            "<wp:post_name><![CDATA[missing-picture]]></wp:post_name>\n\t\t<wp:status><![CDATA[publish]]>",
            "<wp:post_name><![CDATA[missing-picture]]></wp:post_name>\n\t\t<wp:status><![CDATA[draft]]>",
        );
    let file = app.t.dir.path().join("edited.xml");
    std::fs::write(&file, edited)?;
    let path_before = app.t.db.find_article(ids["12"]).await?.path;
    let r = run(&app, &file, &up).await?;
    assert_eq!(r.count("updated", "post"), 3, "{r}");
    assert_eq!(r.count("unchanged", "post"), 7, "{r}");
    let storm = app.t.db.find_article(ids["13"]).await?;
    let sections = app.t.db.list_sections().await?;
    let home = sections.iter().find(|s| Some(s.id) == storm.section_id).map(|s| s.slug.as_str());
    assert_eq!(home, Some("search-section"));
    assert_eq!(app.t.db.find_article(ids["21"]).await?.status, ArticleStatus::Unpublished);
    // Idempotent on that too.
    let r = run(&app, &file, &up).await?;
    assert_eq!(r.count("unchanged", "post"), 10, "{r}");
    let ferry = app.t.db.find_article(ids["12"]).await?;
    assert_eq!(ferry.headlines.display, "Ferry service is back");
    assert_eq!(ferry.status, ArticleStatus::Published);
    assert_eq!(ferry.path, path_before);
    app.stop().await
});

db_test!(malformed_exports_are_refused_and_bad_items_leave_nothing, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let up = uploads(app.t.dir.path())?;
    let dir = app.t.dir.path().to_owned();
    let bomb = dir.join("bomb.xml");
    std::fs::write(
        &bomb,
        "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><rss><channel><title>&b;</title></channel></rss>",
    )?;
    let err = run(&app, &bomb, &up).await.expect_err("a bomb");
    assert!(format!("{err:#}").contains("declares its own entities"), "{err:#}");
    // The wrong kind of file, or a folder: said plainly.
    let err = run(&app, &ghost_fixture(), &up).await.expect_err("JSON");
    assert!(format!("{err:#}").contains("newsdesk import ghost"), "{err:#}");
    let err = run(&app, &dir, &up).await.expect_err("a folder");
    assert!(format!("{err:#}").contains("is a folder"), "{err:#}");
    let err = run_ghost(&app, &fixture(), &up).await.expect_err("XML");
    assert!(format!("{err:#}").contains("newsdesk import wordpress"), "{err:#}");
    let actor = newsdesk_core::Actor::operator("test");
    let err = newsdesk_import::ghost::import(
        &app.app.newsroom,
        &actor,
        &ghost_fixture(),
        "harbour.test",
        &Options::default(),
        &|_, _, _| {},
    )
    .await
    .expect_err("an address without a scheme");
    assert!(format!("{err:#}").contains("--url"), "{err:#}");
    let html = dir.join("page.xml");
    std::fs::write(&html, "<html><body>not an export</body></html>")?;
    let err = run(&app, &html, &up).await.expect_err("not an export");
    assert!(format!("{err:#}").contains("not a WordPress export"), "{err:#}");

    // One post written in Latin-1 and one with an impossible date: each
    // is reported by name, neither leaves a trace, the rest comes in.
    let full = std::fs::read(fixture())?;
    let mut bytes = String::from_utf8(full)?
        .replace("Pier plans", "Pier plans caf\u{e9}")
        .replace("2030-01-01 08:00:00", "2030-02-30 08:00:00")
        .into_bytes();
    let at = bytes.windows(2).position(|w| w == [0xC3, 0xA9]).unwrap_or(0);
    bytes.splice(at..at + 2, [0xE9]);
    let mixed = dir.join("mixed.xml");
    std::fs::write(&mixed, bytes)?;
    let r = run(&app, &mixed, &up).await?;
    assert_eq!(r.failed.len(), 2, "{r}");
    assert!(
        r.failed
            .iter()
            .any(|l| l.item.contains("Pending: new pier") && l.reason.contains("not UTF-8")),
        "{r}"
    );
    assert!(
        r.failed
            .iter()
            .any(|l| l.item.contains("Future: regatta") && l.reason.contains("not a real date")),
        "{r}"
    );
    let ids = imported(&app).await?;
    assert_eq!(ids.len(), 8);
    assert!(!ids.contains_key("15") && !ids.contains_key("16"));
    app.stop().await
});

const GHOST: &str = "ghost:https://harbour.test";

fn ghost_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/import/ghost/harbour-ghost5.json")
}

async fn run_ghost(
    app: &TestApp,
    file: &Path,
    images: &Path,
) -> anyhow::Result<newsdesk_import::Report> {
    let opts = Options { uploads: Some(images.to_owned()), fetch: false, ..Options::default() };
    let actor = newsdesk_core::Actor::operator("test");
    newsdesk_import::ghost::import(
        &app.app.newsroom,
        &actor,
        file,
        "https://harbour.test",
        &opts,
        &|_, _, _| {},
    )
    .await
}

db_test!(a_ghost_export_becomes_the_site, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let images = app.t.dir.path().join("images");
    std::fs::create_dir_all(images.join("2024/05"))?;
    std::fs::write(images.join("2024/05/ferry.jpg"), plain_jpeg(1200, 800, 21))?;
    std::fs::write(images.join("2024/05/quay.jpg"), plain_jpeg(1200, 800, 22))?;
    let r = run_ghost(&app, &ghost_fixture(), &images).await?;
    assert!(r.is_clean(), "{r}");
    assert_eq!(r.count("imported", "post"), 7, "{r}");
    assert_eq!(r.count("imported", "author"), 2, "{r}");
    assert!(
        r.notes.contains_key("internal (#) tags not imported: Newsdesk tags are public"),
        "{r}"
    );
    let ids: HashMap<String, Id> =
        app.t.db.imported_items(GHOST, "post").await?.into_iter().collect();
    assert_eq!(ids.len(), 7);
    let db = &app.t.db;
    let mut by_slug: HashMap<String, newsdesk_core::Article> = HashMap::new();
    for id in ids.values() {
        let a = db.find_article(*id).await?;
        by_slug.insert(a.slug.clone(), a);
    }
    let by_slug =
        |slug: &str| by_slug.get(slug).cloned().ok_or_else(|| anyhow::anyhow!("no article {slug}"));

    // Lexical: every node where it belongs; the headline variants from
    // the meta and social titles; authors in their order; the primary
    // public tag as section.
    let ferry = by_slug("ferry-returns")?;
    assert_eq!(ferry.status, ArticleStatus::Published);
    assert_eq!(ferry.headlines.display, "Ferry returns to the harbour");
    assert_eq!(ferry.headlines.seo.as_deref(), Some("Ferry service returns | Harbour Gazette"));
    assert_eq!(ferry.headlines.social.as_deref(), Some("The ferry is back"));
    assert_eq!(ferry.dek, "The first sailing in a week.");
    assert_eq!(
        ferry.first_published_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-05-01T09:30:00+00:00")
    );
    let authors = db.list_authors().await?;
    let who = |name: &str| authors.iter().find(|a| a.name == name).map(|a| a.id).unwrap_or(-1);
    assert_eq!(
        ferry.bylines,
        vec![
            Byline::Author { author_id: who("Jane Doe") },
            Byline::Author { author_id: who("Mira Khan") }
        ]
    );
    let sections = db.list_sections().await?;
    assert_eq!(ferry.section_id, sections.iter().find(|s| s.slug == "city").map(|s| s.id));
    let tags = db.list_tags().await?;
    assert_eq!(
        ferry.tags,
        tags.iter().filter(|t| t.slug == "ferries").map(|t| t.id).collect::<Vec<_>>()
    );
    let lead = ferry.lead.clone().expect("feature image");
    assert_eq!(lead.alt.as_deref(), Some("The Marianne at the quay"));
    assert_eq!(lead.caption.as_deref(), Some("The Marianne docks"));
    let kinds = kinds(&ferry.body);
    assert_eq!(kinds, ["p", "h", "f", "q", "l", "p", "p"], "{:#?}", ferry.body);
    let Block::Figure(quay) = &ferry.body[2] else { unreachable!() };
    assert_eq!(
        (quay.alt.as_deref(), quay.caption.as_deref()),
        (Some("The quay at dawn"), Some("Repaired overnight"))
    );
    assert_eq!(
        ferry.body[6],
        Block::Paragraph { content: vec![Inline::link("https://port.test/notice", "Port notice")] }
    );

    // Mobiledoc.
    let storm = by_slug("storm-warning")?;
    assert_eq!(storm.section_id, sections.iter().find(|s| s.slug == "weather").map(|s| s.id));
    assert_eq!(
        storm.body[0],
        Block::Paragraph {
            content: vec![
                Inline::text("Gales are "),
                Inline::Emphasis { children: vec![Inline::text("expected")] },
                Inline::text(" tonight, says the "),
                Inline::link("https://met.test/", "met office"),
                Inline::text("."),
            ]
        }
    );
    assert_eq!(storm.body[1], Block::Subhead { text: "Advice".into() });
    assert!(matches!(&storm.body[2], Block::List { ordered: true, items } if items.len() == 2));

    // Statuses, pages, members-only posts.
    assert_eq!(by_slug("tide-tables")?.status, ArticleStatus::Draft);
    let regatta = by_slug("regatta")?;
    assert_eq!(regatta.status, ArticleStatus::Scheduled);
    assert_eq!(
        regatta.scheduled_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2030-06-01T08:00:00+00:00")
    );
    assert_eq!(by_slug("budget")?.status, ArticleStatus::Draft);
    let about = by_slug("about")?;
    assert_eq!(about.section_id, sections.iter().find(|s| s.slug == "pages").map(|s| s.id));

    // Readers: old addresses, and nothing hostile on the page.
    app.settle().await?;
    let res = app.get("/ferry-returns").await?;
    assert_eq!(res.status().as_u16(), 301);
    assert_eq!(res.headers().get("location").and_then(|v| v.to_str().ok()), ferry.path.as_deref());
    let hostile = by_slug("hostile")?;
    // Ghost titles are plain text: the markup in this one is its words,
    // shown escaped.
    assert_eq!(hostile.headlines.display, "Hostile <img src=x onerror=alert(1)>");
    let (status, html) = app.text(hostile.path.as_deref().unwrap_or("/")).await?;
    assert_eq!(status, 200);
    assert!(html.contains("Hostile &lt;img src=x onerror=alert(1)&gt;"));
    let body = &html[html.find("<article").unwrap_or(0)..];
    for bad in ["<img src=x", "<script>alert", "href=\"javascript:", "onclick="] {
        assert!(!body.contains(bad), "{bad} reached the page");
    }
    assert!(body.contains("Clicked"));

    // Again: nothing changes.
    let again = run_ghost(&app, &ghost_fixture(), &images).await?;
    assert_eq!(again.count("unchanged", "post"), 7, "{again}");
    assert!(again.imported.is_empty(), "{again}");

    // Not a Ghost export.
    let junk = app.t.dir.path().join("junk.json");
    std::fs::write(&junk, "{\"hello\": 1}")?;
    let err = run_ghost(&app, &junk, &images).await.expect_err("not an export");
    assert!(format!("{err:#}").contains("not a Ghost export"), "{err:#}");
    std::fs::write(&junk, "{\"db\": [")?;
    let err = run_ghost(&app, &junk, &images).await.expect_err("cut short");
    assert!(format!("{err:#}").contains("not readable"), "{err:#}");
    app.stop().await
});

db_test!(
    images_over_http_stay_off_private_networks_and_come_in_once_allowed,
    |t: TestDb| async move {
        let app = TestApp::start(t).await?;
        // A picture this very server serves: a loopback address.
        let file = app
            .t
            .db
            .list_media(&Default::default(), 1)
            .await?
            .into_iter()
            .next()
            .map(|m| m.file)
            .expect("a picture");
        let url = format!("{}/media/{file}", app.base);
        let wxr = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Loop</title><link>https://loop.test</link><wp:base_site_url>https://loop.test</wp:base_site_url>
<wp:category><wp:category_nicename><![CDATA[%d0%bd%d0%be%d0%b2%d0%be%d1%81%d1%82%d0%b8]]></wp:category_nicename><wp:cat_name><![CDATA[Новости]]></wp:cat_name></wp:category>
<item><title><![CDATA[Pictured]]></title><link>https://loop.test/../../../../tmp/escape/</link><dc:creator><![CDATA[ed]]></dc:creator>
<content:encoded><![CDATA[<p>Words.</p><figure><img src="{url}" alt="A picture"/><figcaption>Seen</figcaption></figure>]]></content:encoded>
<wp:post_id>5</wp:post_id><wp:post_date_gmt><![CDATA[2024-05-01 09:00:00]]></wp:post_date_gmt><wp:post_name><![CDATA[pictured]]></wp:post_name>
<wp:status><![CDATA[publish]]></wp:status><wp:post_type><![CDATA[post]]></wp:post_type>
<category domain="category" nicename="%d0%bd%d0%be%d0%b2%d0%be%d1%81%d1%82%d0%b8"><![CDATA[Новости]]></category>
<category domain="post_tag" nicename="%d1%81%d0%bf%d0%be%d1%80%d1%82"><![CDATA[Спорт]]></category></item>
</channel></rss>"#
        );
        let path = app.t.dir.path().join("loop.xml");
        std::fs::write(&path, wxr)?;
        let actor = newsdesk_core::Actor::operator("test");
        let room = &app.app.newsroom;
        let opts = Options { fetch: true, ..Options::default() };
        let r =
            newsdesk_import::wordpress::import(room, &actor, &path, &opts, &|_, _, _| {}).await?;
        assert!(r.missing_images.iter().any(|l| l.reason.contains("private network")), "{r}");
        let ids: HashMap<String, Id> = app
            .t
            .db
            .imported_items("wordpress:https://loop.test", "post")
            .await?
            .into_iter()
            .collect();
        let a = app.t.db.find_article(ids["5"]).await?;
        assert_eq!(a.body, vec![Block::paragraph("Words.")]);
        // Two terms in a script slugs cannot spell stay two.
        let section = app
            .t
            .db
            .list_sections()
            .await?
            .into_iter()
            .find(|s| Some(s.id) == a.section_id)
            .expect("section");
        assert_eq!(section.name, "Новости");
        let tag =
            app.t.db.list_tags().await?.into_iter().find(|t| a.tags.contains(&t.id)).expect("tag");
        assert_eq!(tag.name, "Спорт");
        assert_ne!(section.slug, tag.slug);
        // An old address with `..` segments is never stored.
        assert!(app.t.db.redirect("/../../../../tmp/escape").await?.is_none());
        assert!(app.t.db.redirect("/pictured").await?.is_some());

        // Nothing new and the picture still unreachable: unchanged.
        let again =
            newsdesk_import::wordpress::import(room, &actor, &path, &opts, &|_, _, _| {}).await?;
        assert_eq!(again.count("unchanged", "post"), 1, "{again}");
        // Allowed: the picture comes in, and the post that lacked it is
        // brought up to date.
        let open = Options { fetch: true, fetch_private: true, ..Options::default() };
        let r =
            newsdesk_import::wordpress::import(room, &actor, &path, &open, &|_, _, _| {}).await?;
        assert_eq!(r.count("updated", "post"), 1, "{r}");
        let a = app.t.db.find_article(ids["5"]).await?;
        assert!(
            matches!(&a.body[1], Block::Figure(f) if f.caption.as_deref() == Some("Seen")),
            "{:?}",
            a.body
        );
        let r =
            newsdesk_import::wordpress::import(room, &actor, &path, &open, &|_, _, _| {}).await?;
        assert_eq!(r.count("unchanged", "post"), 1, "{r}");
        app.stop().await
    }
);

db_test!(a_feed_comes_in_once_and_follows_its_changes, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let actor = newsdesk_core::Actor::operator("test");
    let room = &app.app.newsroom;
    let rss = |body: &str| {
        format!(
            r#"<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Harbour Wire</title><link>https://wire.test/</link>
<item><title>Pier reopens</title><link>https://wire.test/pier</link><guid isPermaLink="false">wire-1</guid>
<pubDate>Wed, 01 May 2024 09:30:00 +0000</pubDate><dc:creator>Ana Silva</dc:creator><category>Ports</category>
<content:encoded><![CDATA[{body}]]></content:encoded></item>
<item><title>Tide tables</title><link>https://wire.test/tides</link><guid>https://wire.test/tides</guid>
<pubDate>Thu, 02 May 2024 09:30:00 +0000</pubDate><description>High tide at &lt;b&gt;noon&lt;/b&gt;.</description></item>
</channel></rss>"#
        )
    };
    let file = app.t.dir.path().join("wire.xml");
    std::fs::write(&file, rss("<p>The pier is open.</p><script>alert(1)</script>"))?;
    let src = file.to_string_lossy().into_owned();
    let opts = Options { fetch: false, ..Options::default() };
    let r = newsdesk_import::feed::import(room, &actor, &src, "Wire", &opts, &|_, _, _| {}).await?;
    assert_eq!(r.count("imported", "post"), 2, "{r}");
    let ids: HashMap<String, Id> =
        app.t.db.imported_items("feed:https://wire.test", "post").await?.into_iter().collect();
    assert_eq!(ids.len(), 2);
    let mut pier = None;
    for id in ids.values() {
        let a = app.t.db.find_article(*id).await?;
        assert_eq!(a.status, ArticleStatus::Published);
        if a.headlines.display == "Pier reopens" {
            pier = Some(a);
        }
    }
    let pier = pier.expect("the pier story");
    assert_eq!(pier.body, vec![Block::paragraph("The pier is open.")]);
    let wire = app
        .t
        .db
        .list_sections()
        .await?
        .into_iter()
        .find(|s| Some(s.id) == pier.section_id)
        .map(|s| s.name);
    assert_eq!(wire.as_deref(), Some("Wire"));
    assert_eq!(
        pier.first_published_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-05-01T09:30:00+00:00")
    );
    // A feed's items lived elsewhere: their addresses are not redirected.
    assert!(app.t.db.redirect("/pier").await?.is_none());

    // Again: nothing. Changed upstream: that item follows, in place.
    let again =
        newsdesk_import::feed::import(room, &actor, &src, "Wire", &opts, &|_, _, _| {}).await?;
    assert_eq!(again.count("unchanged", "post"), 2, "{again}");
    std::fs::write(&file, rss("<p>The pier is open again.</p>"))?;
    let changed =
        newsdesk_import::feed::import(room, &actor, &src, "Wire", &opts, &|_, _, _| {}).await?;
    assert_eq!(
        (changed.count("updated", "post"), changed.count("unchanged", "post")),
        (1, 1),
        "{changed}"
    );
    assert_eq!(
        app.t.db.find_article(pier.id).await?.body,
        vec![Block::paragraph("The pier is open again.")]
    );

    // Over HTTP: this site's own feed, refused on a private address
    // unless allowed.
    let url = format!("{}/feed.xml", app.base);
    let err = newsdesk_import::feed::import(room, &actor, &url, "Mirror", &opts, &|_, _, _| {})
        .await
        .expect_err("private");
    assert!(format!("{err:#}").contains("private network"), "{err:#}");
    let open = Options { fetch: false, fetch_private: true, ..Options::default() };
    let r =
        newsdesk_import::feed::import(room, &actor, &url, "Mirror", &open, &|_, _, _| {}).await?;
    assert!(r.count("imported", "post") > 0, "{r}");
    app.stop().await
});

db_test!(ninjs_items_of_every_version_come_in_by_uri, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let actor = newsdesk_core::Actor::operator("test");
    let room = &app.app.newsroom;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/import/ninjs");
    let opts = Options { fetch: false, ..Options::default() };
    let r =
        newsdesk_import::ninjs::import(room, &actor, &dir, "Wire", &opts, &|_, _, _| {}).await?;
    assert_eq!(r.count("imported", "post"), 4, "{r}");
    assert_eq!(r.skipped.get("picture items (not articles)"), Some(&1), "{r}");
    assert!(
        r.failed
            .iter()
            .any(|l| l.item.ends_with("zz-broken.json") && l.reason.contains("not readable")),
        "{r}"
    );
    let ids: HashMap<String, Id> =
        app.t.db.imported_items("ninjs:", "post").await?.into_iter().collect();
    let mut by_title = HashMap::new();
    for id in ids.values() {
        let a = app.t.db.find_article(*id).await?;
        by_title.insert(a.headlines.display.clone(), a);
    }
    // 1.x: headline, byline, HTML body, subjects.
    let ferry = &by_title["Ferry service resumes"];
    assert_eq!(ferry.status, ArticleStatus::Published);
    assert_eq!(ferry.dek, "The first sailing in a week.");
    assert_eq!(ferry.body.len(), 2, "{:?}", ferry.body);
    assert_eq!(ferry.tags.len(), 2);
    let authors = app.t.db.list_authors().await?;
    let ana = authors.iter().find(|a| a.name == "Ana Silva").map(|a| a.id).expect("Ana Silva");
    assert_eq!(ferry.bylines, vec![Byline::Author { author_id: ana }]);
    assert_eq!(
        ferry.first_published_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-05-01T09:00:00+00:00")
    );
    // 2.x: the main headline, the HTML body, a future embargo schedules
    // it, the information source is a source.
    let budget = &by_title["Harbour budget doubles"];
    assert_eq!(budget.status, ArticleStatus::Scheduled);
    assert_eq!(
        budget.scheduled_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2031-01-01T08:00:00+00:00")
    );
    assert_eq!(budget.sources.first().map(|s| s.name.as_str()), Some("Reuters"));
    assert_eq!(budget.dek, "Spending rises for the new pier.");
    // 3.x camelCase; withheld and canceled stay off the site.
    assert_eq!(by_title["Storm warning held"].status, ArticleStatus::Draft);
    assert_eq!(
        by_title["Storm warning held"].sources.first().map(|s| s.name.as_str()),
        Some("Met Office")
    );
    assert_eq!(by_title["Killed story"].status, ArticleStatus::Draft);

    // Again: nothing. An older version: skipped. A newer one: taken; a
    // newer cancellation takes the published story down.
    let again =
        newsdesk_import::ninjs::import(room, &actor, &dir, "Wire", &opts, &|_, _, _| {}).await?;
    assert_eq!(again.count("unchanged", "post"), 4, "{again}");
    let work = app.t.dir.path().join("ninjs");
    std::fs::create_dir_all(&work)?;
    let v1 = std::fs::read_to_string(dir.join("v1-ferry.json"))?;
    std::fs::write(
        work.join("older.json"),
        v1.replace("2024-05-01T09:30:00+00:00", "2024-04-30T09:30:00+00:00")
            .replace("Ferry service resumes", "Old headline"),
    )?;
    let older = newsdesk_import::ninjs::import(
        room,
        &actor,
        &work.join("older.json"),
        "Wire",
        &opts,
        &|_, _, _| {},
    )
    .await?;
    assert_eq!(older.skipped.get("older versions of items already imported"), Some(&1), "{older}");
    assert_eq!(app.t.db.find_article(ferry.id).await?.headlines.display, "Ferry service resumes");
    std::fs::write(
        work.join("newer.json"),
        v1.replace("2024-05-01T09:30:00+00:00", "2024-05-01T12:00:00+00:00")
            .replace("\"usable\"", "\"canceled\""),
    )?;
    let newer = newsdesk_import::ninjs::import(
        room,
        &actor,
        &work.join("newer.json"),
        "Wire",
        &opts,
        &|_, _, _| {},
    )
    .await?;
    assert_eq!(newer.count("updated", "post"), 1, "{newer}");
    assert_eq!(app.t.db.find_article(ferry.id).await?.status, ArticleStatus::Unpublished);
    app.stop().await
});
