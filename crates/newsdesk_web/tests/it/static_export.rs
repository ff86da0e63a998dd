//! `newsdesk export static`: the public site as files, every link of every
//! page answered by a file, list pages and redirects included; a second
//! run after one edit rewrites only what that edit changed.

use crate::TestApp;
use newsdesk_test_support::{TestDb, db_test};
use newsdesk_web::controllers::site::pages::article_page;
use newsdesk_web::static_site::{export, export_in_batches, html_file, served_file};
use newsdesk_web::views;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Every address of the site named by an exported HTML page, feed or
/// sitemap (as a static host would be asked for it).
fn named_addresses(dir: &Path, base: &str) -> anyhow::Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.to_string_lossy();
            if !(name.ends_with(".html")
                || name.ends_with(".xml")
                || name.ends_with(".json")
                || name.ends_with(".atom"))
            {
                continue;
            }
            let text = std::fs::read_to_string(&p)?;
            for attr in ["href=\"", "src=\"", "<loc>"] {
                let end = if attr == "<loc>" { "</loc>" } else { "\"" };
                let mut rest = text.as_str();
                while let Some(i) = rest.find(attr) {
                    rest = &rest[i + attr.len()..];
                    let Some(j) = rest.find(end) else { break };
                    let v = rest[..j].replace("&amp;", "&");
                    rest = &rest[j..];
                    let v = v.strip_prefix(base).map(str::to_owned).unwrap_or(v);
                    if v.starts_with('/') && !v.starts_with("//") {
                        out.insert(v.split('#').next().unwrap_or_default().to_owned());
                    }
                }
            }
        }
    }
    Ok(out)
}

db_test!(the_site_exports_as_files_with_no_broken_links, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let out = tempfile::tempdir()?;
    let r = export(app.app.clone(), out.path(), 4).await?;
    assert!(r.broken.is_empty(), "{:?}", r.broken);
    assert!(r.pages > 20 && r.media_files > 0, "{r:?}");
    let base = app.app.base_url.clone();
    for must in ["index.html", "feed.xml", "sitemap.xml", "robots.txt", "_redirects"] {
        assert!(out.path().join(must).is_file(), "{must}");
    }
    // A feed's Atom and JSON forms wait for its RSS form and are written
    // from the same build: each its own format.
    for dir in ["", "world/"] {
        let read = |f: &str| std::fs::read_to_string(out.path().join(format!("{dir}{f}")));
        assert!(read("feed.xml")?.contains("<rss"), "{dir}feed.xml");
        assert!(read("feed.atom")?.contains("<feed"), "{dir}feed.atom");
        assert!(read("feed.json")?.contains("\"version\""), "{dir}feed.json");
    }
    // The feeds, whose items the export made once and shared between
    // them, read as the server writes each feed on its own.
    assert!(!app.app.exporting());
    app.app.cache.clear();
    for dir in ["", "world/", "tag/diplomacy/", "author/bo-chan/"] {
        for f in ["feed.xml", "feed.atom", "feed.json"] {
            let (status, live) = app.text(&format!("/{dir}{f}")).await?;
            assert_eq!(status, 200, "/{dir}{f}");
            assert!(live.contains("/world/"), "/{dir}{f} has items");
            let file = std::fs::read_to_string(out.path().join(format!("{dir}{f}")))?;
            assert_eq!(file, live, "/{dir}{f}");
        }
    }
    // Every address any page names is a file (queries other than list
    // pages and server-only addresses aside).
    let named = named_addresses(out.path(), &base)?;
    assert!(named.len() > 50, "{}", named.len());
    for a in &named {
        assert!(!a.contains('?'), "a query reached a static page: {a}");
        assert!(!a.starts_with("/oembed") && !a.starts_with("/search"), "{a}");
        assert!(served_file(out.path(), a).is_file(), "{a} has no file");
    }
    // The article page is the server's page.
    let path = app.ids.main_path.clone();
    let (_, live) = app.text(&path).await?;
    let file = std::fs::read_to_string(served_file(out.path(), &path))?;
    let headline = app
        .t
        .db
        .find_article_by_path(&path)
        .await?
        .map(|a| a.headlines.display)
        .unwrap_or_default();
    assert!(
        file.contains(&newsdesk_content::escape_html(&headline))
            && live.contains(&newsdesk_content::escape_html(&headline))
    );
    assert!(!file.contains("action=\"/search\"") && live.contains("action=\"/search\""));

    // Nothing changed: nothing written.
    let again = export(app.app.clone(), out.path(), 4).await?;
    assert_eq!(again.written, 0, "{again:?}");

    // One correction: its page and the lists and feeds that show it
    // change, nothing else; an unpublished story's file goes away.
    let a = app.t.db.find_article(app.ids.main).await?;
    let actor = newsdesk_core::Actor::operator("test");
    app.app.newsroom.correct(&actor, a.id, "An earlier version misspelt a name.").await?;
    app.settle().await?;
    let edited = export(app.app.clone(), out.path(), 4).await?;
    assert!(edited.written > 0 && edited.written < edited.pages / 2, "{edited:?}");
    assert!(std::fs::read_to_string(served_file(out.path(), &path))?.contains("misspelt"));
    app.app.newsroom.unpublish(&actor, a.id).await?;
    app.settle().await?;
    let gone = export(app.app.clone(), out.path(), 4).await?;
    assert!(gone.removed >= 1, "{gone:?}");
    assert!(!served_file(out.path(), &path).exists());
    // No empty folder is left where it was.
    assert!(!out.path().join(path.trim_start_matches('/')).exists(), "{path}");
    app.stop().await
});

db_test!(
    article_pages_built_in_a_batch_are_the_pages_built_one_at_a_time,
    |t: TestDb| async move {
        let app = TestApp::start(t).await?;
        app.settle().await?;
        let a = &app.app;
        let paths = a.db.published_article_paths().await?;
        let ids: Vec<_> = paths.iter().map(|(id, _)| *id).collect();
        let articles = a.db.published_articles(&ids).await?;
        assert_eq!(articles.len(), ids.len());
        assert!(articles.len() >= 3, "{}", articles.len());
        let taxonomy = a.taxonomy();
        let extras = views::article_extras(a, &articles).await?;
        // And as an export builds them, in two batches: the second shows
        // the rail cards the first made where their rails meet.
        let generation = a.cache.generation();
        a.exports.fetch_add(1, Ordering::SeqCst);
        let half = articles.len() / 2;
        let first = views::export_article_extras(a, &taxonomy, &articles[..half], generation);
        let first = first.await?;
        let kept = a.rail_cards.lock().map(|m| m.len()).unwrap_or_default();
        assert!(kept > 0, "the first batch keeps its cards");
        let second = views::export_article_extras(a, &taxonomy, &articles[half..], generation);
        let second = second.await?;
        let (mut rails, mut pictures, mut timelines) = (0, 0, 0);
        for (i, article) in articles.iter().enumerate() {
            let batch = views::article_with(a, &taxonomy, article, &extras);
            let single = views::article(a, &taxonomy, article).await?;
            let exported =
                views::article_with(a, &taxonomy, article, if i < half { &first } else { &second });
            let (mut ke, mut ks) = (exported.keys.clone(), single.keys.clone());
            ke.sort();
            ks.sort();
            assert_eq!(ke, ks, "keys of article {} as exported", article.id);
            let exported = article_page(a, &taxonomy, article, exported)?;
            let page =
                article_page(a, &taxonomy, article, views::article(a, &taxonomy, article).await?)?;
            assert_eq!(exported.body, page.body, "article {} as exported", article.id);
            rails += usize::from(!single.view.related.is_empty());
            pictures += usize::from(single.keys.iter().any(|k| k.starts_with("media:")));
            timelines += usize::from(
                single.view.body_html.contains("class=\"timeline")
                    && single.view.body_html.contains("<a href"),
            );
            let (mut kb, mut ks) = (batch.keys.clone(), single.keys.clone());
            kb.sort();
            ks.sort();
            assert_eq!(kb, ks, "keys of article {}", article.id);
            let batch = article_page(a, &taxonomy, article, batch)?;
            let single = article_page(a, &taxonomy, article, single)?;
            assert_eq!(batch.body, single.body, "article {}", article.id);
            // And the page the server sends, as its file has it.
            let path = article.path.clone().unwrap_or_default();
            let (status, live) = app.text(&path).await?;
            assert_eq!(status, 200, "{path}");
            assert_eq!(
                html_file(&live, &app.app.base_url),
                html_file(std::str::from_utf8(&batch.body)?, &app.app.base_url),
                "{path}"
            );
        }
        // The batch held pages with each kind of extra, so a mix-up between
        // them would show.
        assert!(rails >= 2 && pictures >= 2 && timelines >= 1, "{rails} {pictures} {timelines}");
        // A card kept for this generation is the one pages show; a build
        // of a newer generation makes its own.
        let article = &articles[0];
        let rail = a.db.related_ids_of(&[article.id]).await?;
        let story = rail.get(&article.id).and_then(|r| r.first()).copied();
        let Some(story) = story else { anyhow::bail!("article {} has no rail", article.id) };
        let kept = views::RailCard::new(story, "<li>kept</li>".into(), None);
        if let Ok(mut m) = a.rail_cards.lock() {
            m.clear();
            m.keep(generation, &[(story, Arc::new(kept))]);
        }
        let slice = std::slice::from_ref(article);
        let x = views::export_article_extras(a, &taxonomy, slice, generation).await?;
        let page = views::article_with(a, &taxonomy, article, &x);
        assert!(page.view.related_markup.is_some_and(|m| m.contains("\n<li>kept</li>")));
        assert!(page.keys.contains(&format!("article:{story}")));
        let x = views::export_article_extras(a, &taxonomy, slice, generation + 1).await?;
        let page = views::article_with(a, &taxonomy, article, &x);
        assert!(page.view.related_markup.is_some_and(|m| !m.contains("kept")));
        // Outside an export nothing is kept.
        a.exports.fetch_sub(1, Ordering::SeqCst);
        a.rail_cards.lock().map(|mut m| m.clear()).ok();
        views::export_article_extras(a, &taxonomy, &articles, generation + 1).await?;
        assert!(a.rail_cards.lock().is_ok_and(|m| m.is_empty()));
        app.stop().await
    }
);

db_test!(
    building_article_pages_in_batches_exports_the_same_files_with_fewer_queries,
    |t: TestDb| async move {
        let app = TestApp::start(t).await?;
        app.settle().await?;
        let a = app.app.clone();
        let published = a.db.published_article_paths().await?;
        assert!(published.len() > 8, "{} articles: several batches of 4", published.len());
        // Sports fills two list pages: with batches of 2 they are built in
        // two parts, with batches of 4 in one.
        let (_, sports) = app.text("/sports?page=2").await?;
        assert!(sports.contains("Page 2 of 2"), "{sports}");
        let lists = ["/sports", "/sports?page=2", "/tag/diplomacy", "/author/bo-chan"];
        let mut runs = Vec::new();
        for batch in [1, 2, 4] {
            a.cache.clear();
            let out = tempfile::tempdir()?;
            let before = a.db.queries_run();
            let r = export_in_batches(a.clone(), out.path(), 4, batch).await?;
            let queries = a.db.queries_run() - before;
            assert!(r.broken.is_empty(), "{:?}", r.broken);
            let manifest: std::collections::BTreeMap<String, String> =
                serde_json::from_slice(&std::fs::read(out.path().join(".newsdesk-static.json"))?)?;
            for (_, path) in &published {
                assert!(served_file(out.path(), path).is_file(), "batch {batch}: {path}");
            }
            // Every article and list page was built ahead in batches.
            if batch == 1 {
                assert_eq!(r.built_in_batches, 0);
            } else {
                let pages = published.len() + lists.len();
                assert!(r.built_in_batches >= pages, "batch {batch}: {r:?}");
                // The pages built ahead leave the cache once written.
                for path in published.iter().map(|(_, p)| p.as_str()).chain(lists) {
                    assert!(a.cache.get(path).is_none(), "batch {batch}: {path} stayed");
                }
            }
            runs.push((r.pages, manifest, queries, out));
        }
        // The rail cards the batches shared went with the export.
        assert!(a.rail_cards.lock().is_ok_and(|m| m.is_empty()));
        let (one, halves, batched) = (&runs[0], &runs[1], &runs[2]);
        let main = std::fs::read_to_string(served_file(batched.3.path(), &app.ids.main_path))?;
        assert!(main.contains("cards-rail\">\n<li class=\"card\">"), "{main}");
        assert_eq!(one.0, batched.0, "pages");
        assert_eq!(one.0, halves.0, "pages");
        // Byte for byte the same files.
        assert_eq!(one.1, batched.1);
        assert_eq!(one.1, halves.1);
        for list in lists {
            let file = served_file(batched.3.path(), &list.replace("?page=", "/page/"));
            assert!(file.is_file(), "{list}");
        }
        // Four or five queries a batch instead of four or five a page.
        assert!(batched.2 + 2 * published.len() as u64 <= one.2, "{} vs {}", batched.2, one.2);
        app.stop().await
    }
);

db_test!(two_exports_at_once_write_the_same_files, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    app.settle().await?;
    let read = |dir: &Path| -> anyhow::Result<std::collections::BTreeMap<String, String>> {
        Ok(serde_json::from_slice(&std::fs::read(dir.join(".newsdesk-static.json"))?)?)
    };
    let alone = tempfile::tempdir()?;
    export(app.app.clone(), alone.path(), 4).await?;
    // Two at once share the feed items they make; the first to end leaves
    // the other's alone, and the last takes them away.
    app.app.cache.clear();
    let (one, two) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let (a, b) = tokio::join!(
        export(app.app.clone(), one.path(), 2),
        export(app.app.clone(), two.path(), 3)
    );
    let (a, b) = (a?, b?);
    assert!(a.broken.is_empty() && b.broken.is_empty(), "{a:?} {b:?}");
    let expected = read(alone.path())?;
    assert!(expected.keys().any(|f| f.ends_with("feed.json")));
    assert_eq!(read(one.path())?, expected);
    assert_eq!(read(two.path())?, expected);
    assert!(!app.app.exporting());
    assert!(app.app.feed_items.lock().is_ok_and(|m| m.is_empty()));
    app.stop().await
});
