//! The malformed and hostile import corpus in `tests/fixtures/import/malformed`,
//! each file run through its importer into a running site as its entry in
//! `cases.txt` says: refused files change no table, bad items are named and
//! leave nothing, and nothing hostile reaches a public page.

use crate::TestApp;
use newsdesk_config::Config;
use newsdesk_core::Id;
use newsdesk_db::ArticleFilter;
use newsdesk_import::backup::{self, Folders, TableEntry};
use newsdesk_import::wordpress::Options;
use newsdesk_test_support::{TestDb, db_test};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/import/malformed")
}

/// One entry of `cases.txt`.
#[derive(Debug, Default)]
struct Case {
    file: String,
    importer: String,
    refused: Option<String>,
    failed: Vec<(String, String)>,
    imported: usize,
    clean: Option<String>,
}

fn cases() -> anyhow::Result<Vec<Case>> {
    let text = std::fs::read_to_string(corpus().join("cases.txt"))?;
    let mut out = Vec::new();
    let mut case: Option<Case> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            out.extend(case.take());
            continue;
        }
        let Some((key, value)) = line.split_once(": ") else {
            anyhow::bail!("cases.txt line {}: not `key: value`: {line}", n + 1);
        };
        let c = case.get_or_insert_with(Case::default);
        let value = value.trim().to_owned();
        match key {
            "file" => c.file = value,
            "importer" => c.importer = value,
            "refused" => c.refused = Some(value),
            "failed" => {
                let Some((item, reason)) = value.split_once(" ~ ") else {
                    anyhow::bail!("cases.txt line {}: `failed: ITEM ~ REASON`", n + 1);
                };
                c.failed.push((item.trim().to_owned(), reason.trim().to_owned()));
            }
            "imported" => {
                c.imported =
                    value.parse().map_err(|e| anyhow::anyhow!("cases.txt line {}: {e}", n + 1))?
            }
            "clean" => c.clean = Some(value),
            other => anyhow::bail!("cases.txt line {}: unknown key {other:?}", n + 1),
        }
    }
    out.extend(case);
    for c in &out {
        anyhow::ensure!(
            c.refused.is_none() || (c.failed.is_empty() && c.imported == 0 && c.clean.is_none()),
            "cases.txt: {} is refused, so it can have no other outcome",
            c.file
        );
    }
    Ok(out)
}

async fn import(
    app: &TestApp,
    importer: &str,
    file: &Path,
) -> anyhow::Result<newsdesk_import::Report> {
    let room = &app.app.newsroom;
    let actor = newsdesk_core::Actor::operator("test");
    let opts = Options { fetch: false, ..Options::default() };
    let quiet = |_: u8, _: u64, _: u64| {};
    match importer {
        "wordpress" => newsdesk_import::wordpress::import(room, &actor, file, &opts, &quiet).await,
        "ghost" => {
            newsdesk_import::ghost::import(room, &actor, file, "https://quay.test", &opts, &quiet)
                .await
        }
        "feed" => {
            let source = file.to_string_lossy();
            newsdesk_import::feed::import(room, &actor, &source, "Wire", &opts, &quiet).await
        }
        "ninjs" => newsdesk_import::ninjs::import(room, &actor, file, "Wire", &opts, &quiet).await,
        other => anyhow::bail!("no importer {other:?}"),
    }
}

/// Rows and checksum of every table: what a backup of the site holds.
async fn tables(app: &TestApp, n: usize) -> anyhow::Result<BTreeMap<String, TableEntry>> {
    let c = Config::default_for_test(app.t.dir.path());
    let folders = Folders { media: c.media_dir(), originals: c.originals_dir() };
    let file = app.t.dir.path().join(format!("before-{n}.tar.gz"));
    let m = backup::export(&app.t.db, &folders, &file).await?;
    std::fs::remove_file(&file)?;
    Ok(m.tables)
}

async fn published(app: &TestApp) -> anyhow::Result<BTreeSet<Id>> {
    Ok(app.t.db.list_articles(ArticleFilter::All, 100_000).await?.iter().map(|a| a.id).collect())
}

/// The value of attribute `name` in the tag `tag` (lower-cased, from `<` to
/// `>`), if it has one.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    attrs(tag).into_iter().find(|(k, _)| *k == name).map(|(_, v)| v)
}

/// The attributes of a tag as written (`<a href="x" b=y c>`), split as a
/// browser does: after the name, a `/` separates like a space
/// (`<img/src="x"/onerror=y>`).
fn attrs(tag: &str) -> Vec<(&str, &str)> {
    let inner = tag.trim_start_matches('<').trim_end_matches('>');
    let rest = inner.trim_start_matches(|c: char| c.is_ascii_alphanumeric());
    let mut out = Vec::new();
    let mut s = rest;
    loop {
        s = s.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if s.is_empty() {
            return out;
        }
        let end = s.find(|c: char| c.is_whitespace() || c == '=' || c == '/').unwrap_or(s.len());
        let name = &s[..end];
        s = s[end..].trim_start();
        let mut value = "";
        if let Some(after) = s.strip_prefix('=') {
            let after = after.trim_start();
            if let Some(q @ ('"' | '\'')) = after.chars().next() {
                let body = &after[1..];
                let close = body.find(q).unwrap_or(body.len());
                value = &body[..close];
                s = body.get(close + 1..).unwrap_or("");
            } else {
                let close = after.find(char::is_whitespace).unwrap_or(after.len());
                value = &after[..close];
                s = &after[close..];
            }
        }
        if !name.is_empty() {
            out.push((name, value));
        } else {
            s = s.get(1..).unwrap_or("");
        }
    }
}

/// An attribute value as a browser reads it for its scheme: character
/// references decoded (`&#106;`, `&#x6a;`, `&colon;`, `&tab;`), and the
/// spaces and control characters a URL parser drops taken out.
fn decoded(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        let end = rest.find(|c: char| !c.is_ascii_alphanumeric() && c != '#').unwrap_or(rest.len());
        let name = &rest[..end];
        let c = if let Some(hex) = name.strip_prefix("#x") {
            u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
        } else if let Some(dec) = name.strip_prefix('#') {
            dec.parse().ok().and_then(char::from_u32)
        } else {
            match name {
                "colon" => Some(':'),
                "tab" => Some('\t'),
                "newline" => Some('\n'),
                "amp" => Some('&'),
                _ => None,
            }
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = rest[end..].strip_prefix(';').unwrap_or(&rest[end..]);
            }
            None => out.push('&'),
        }
    }
    out.push_str(rest);
    out.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect::<String>().to_lowercase()
}

/// What in `page` could run script or take the page over: scripts and
/// styles in the body, frames, plugins, forms that leave the site, SVG and
/// MathML,
/// `<base>`, refreshes, event handlers, and `javascript:`, `vbscript:` or
/// `data:` addresses. The page's own head (its stylesheet, its one script
/// file, its JSON-LD) is allowed.
fn smuggled(page: &str) -> Vec<String> {
    let lower = page.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut in_body = false;
    let mut at = 0;
    while let Some(open) = lower[at..].find('<').map(|i| at + i) {
        let mut close = open + 1;
        let mut quote = None;
        let bytes = lower.as_bytes();
        while close < bytes.len() {
            match (quote, bytes[close]) {
                (None, b'>') => break,
                (None, q @ (b'"' | b'\'')) => quote = Some(q),
                (Some(q), c) if c == q => quote = None,
                _ => {}
            }
            close += 1;
        }
        let tag = &lower[open..close.min(lower.len())];
        at = close.min(lower.len());
        let name: String = tag[1..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        if name.is_empty() {
            continue;
        }
        if name == "body" {
            in_body = true;
        }
        let snippet = || page[open..close.min(page.len())].to_owned();
        let on_site = |a: &str| a.starts_with('/') && !a.starts_with("//");
        let own_script = !in_body
            && name == "script"
            && (attr(tag, "type") == Some("application/ld+json")
                || attr(tag, "src").is_some_and(on_site));
        match name.as_str() {
            "script" if !own_script => found.push(snippet()),
            "style" if in_body => found.push(snippet()),
            // The site's own search box is a form that stays on the site.
            "form" if !attr(tag, "action").is_some_and(on_site) => found.push(snippet()),
            "iframe" | "frame" | "frameset" | "object" | "embed" | "applet" | "svg" | "math"
            | "base" | "textarea" | "select" | "template" | "portal" => found.push(snippet()),
            "meta" if attr(tag, "http-equiv").is_some() => found.push(snippet()),
            "link" if in_body => found.push(snippet()),
            _ => {}
        }
        for (k, v) in attrs(tag) {
            let v = decoded(v);
            let risky_url = ["javascript:", "vbscript:", "data:"].iter().any(|s| v.starts_with(s));
            if k.starts_with("on") || k == "srcdoc" || k == "formaction" || risky_url {
                found.push(snippet());
            }
        }
    }
    found
}

#[test]
fn the_page_checker_sees_what_it_must() {
    let page = "<html><head><script src=\"/assets/site.js\" defer></script>\
<script type=\"application/ld+json\">{}</script><style>x{}</style></head><body>\
<p>ok <a href=\"https://x.test/\">fine</a></p><p title='a > b'>quoted</p></body></html>";
    assert!(smuggled(page).is_empty(), "{:?}", smuggled(page));
    for bad in [
        "<script>alert(1)</script>",
        "<p onclick=\"x\">",
        "<a href=\" JaVaScript:alert(1)\">",
        "<a href=javascript:alert(1)>",
        "<img src=x onerror=alert(1)>",
        "<iframe src=\"https://x.test\"></iframe>",
        "<svg><circle/></svg>",
        "<a href=\"data:text/html,x\">",
        "<style>*{}</style>",
        "<meta http-equiv=\"refresh\" content=\"0\">",
        "<a href='vbscript:x'>",
        "<form action=\"https://evil.test/\"><input name=\"p\"></form>",
        "<button formaction=\"javascript:x\">",
        "<img/src=\"x\"/onerror=alert(1)>",
        "<a/href=\"javascript:x\">",
        "<a href=\"&#106;avascript:x\">",
        "<a href=\"&#x6A;avascript:x\">",
        "<a href=\"javascript&colon;x\">",
        "<a href=\"jav&Tab;ascript:x\">",
        "<a href=\"&#32;javascript:x\">",
        "<form action=\"//evil.test/\"></form>",
        "<p title=\"x\" onmouseover='y'>",
    ] {
        let page = format!("<html><head></head><body>{bad}</body></html>");
        assert!(!smuggled(&page).is_empty(), "missed {bad}");
    }
}

db_test!(the_malformed_and_hostile_corpus_does_what_its_cases_say, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let cases = cases()?;
    assert!(cases.len() >= 15, "cases.txt read {} cases", cases.len());
    let on_disk: BTreeSet<String> = std::fs::read_dir(corpus())?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f != "cases.txt")
        .collect();
    let listed: BTreeSet<String> = cases.iter().map(|c| c.file.clone()).collect();
    assert_eq!(on_disk, listed, "every file in the corpus has a case, and only those");

    for (n, case) in cases.iter().enumerate() {
        let what = format!("{} ({})", case.file, case.importer);
        app.settle().await?;
        let before = tables(&app, n).await?;
        let had = published(&app).await?;
        let count_before = app.t.db.count_articles().await?;
        let run = import(&app, &case.importer, &corpus().join(&case.file)).await;
        if let Some(message) = &case.refused {
            let err = run.err().ok_or_else(|| anyhow::anyhow!("{what} was not refused"))?;
            assert!(format!("{err:#}").contains(message.as_str()), "{what}: {err:#}");
            assert_eq!(tables(&app, n).await?, before, "{what} changed the database");
            continue;
        }
        let report = run.map_err(|e| anyhow::anyhow!("{what}: {e:#}"))?;
        assert_eq!(report.failed.len(), case.failed.len(), "{what}: {report}");
        for (item, reason) in &case.failed {
            assert!(
                report
                    .failed
                    .iter()
                    .any(|l| l.item.contains(item.as_str()) && l.reason.contains(reason.as_str())),
                "{what}: no failure {item} ~ {reason} in\n{report}"
            );
        }
        let added = app.t.db.count_articles().await? - count_before;
        assert_eq!(added, case.imported as i64, "{what}: {report}");
        if case.imported == 0 {
            app.settle().await?;
            assert_eq!(tables(&app, n).await?, before, "{what} changed the database");
        }
        let Some(shows) = &case.clean else { continue };
        app.settle().await?;
        let new: Vec<Id> = published(&app).await?.difference(&had).copied().collect();
        assert!(!new.is_empty(), "{what}: nothing was published");
        let mut seen = false;
        for id in new {
            let path = app.t.db.find_article(id).await?.path.unwrap_or_default();
            let (status, page) = app.text(&path).await?;
            assert_eq!(status, 200, "{what}: {path}");
            let bad = smuggled(&page);
            assert!(bad.is_empty(), "{what}: {path} carries {bad:#?}");
            seen |= page.contains(shows.as_str());
        }
        assert!(seen, "{what}: no page shows {shows:?}");
        // Bylines and categories from the file show on list pages too.
        let mut lists = vec!["/".to_owned()];
        lists.extend(app.t.db.list_sections().await?.into_iter().map(|s| format!("/{}", s.slug)));
        lists.extend(app.t.db.list_tags().await?.into_iter().map(|t| format!("/tag/{}", t.slug)));
        lists.extend(
            app.t.db.list_authors().await?.into_iter().map(|a| format!("/author/{}", a.slug)),
        );
        for path in lists {
            let (status, page) = app.text(&path).await?;
            if status == 200 {
                let bad = smuggled(&page);
                assert!(bad.is_empty(), "{what}: {path} carries {bad:#?}");
            }
        }
    }

    // A single 100 MB field: that post is refused by name, the post after
    // it comes in.
    let head = std::fs::read(corpus().join("wp-bad-items.xml"))?;
    let cut =
        head.windows(7).position(|w| w == b"\t<item>").ok_or_else(|| anyhow::anyhow!("no item"))?;
    let item = |id: u32, body: &str| {
        format!(
            "\t<item><title><![CDATA[Huge {id}]]></title><dc:creator><![CDATA[rpatel]]></dc:creator>\
<content:encoded><![CDATA[{body}]]></content:encoded><wp:post_id>{id}</wp:post_id>\
<wp:post_date_gmt><![CDATA[2024-05-0{} 09:30:00]]></wp:post_date_gmt><wp:post_name><![CDATA[huge-{id}]]></wp:post_name>\
<wp:status><![CDATA[publish]]></wp:status><wp:post_type><![CDATA[post]]></wp:post_type></item>\n",
            id % 9 + 1
        )
    };
    let big = app.t.dir.path().join("huge-field.xml");
    {
        use std::io::Write as _;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&big)?);
        f.write_all(&head[..cut])?;
        f.write_all(b"\t<item><title><![CDATA[Huge 31]]></title><content:encoded><![CDATA[<p>")?;
        let line = "x".repeat(1 << 20);
        for _ in 0..100 {
            f.write_all(line.as_bytes())?;
        }
        f.write_all(b"</p>]]></content:encoded><wp:post_id>31</wp:post_id><wp:post_type><![CDATA[post]]></wp:post_type></item>\n")?;
        f.write_all(item(32, "<p>After the huge one.</p>").as_bytes())?;
        f.write_all(b"</channel>\n</rss>\n")?;
    }
    let count_before = app.t.db.count_articles().await?;
    let r = import(&app, "wordpress", &big).await?;
    assert_eq!(r.failed.len(), 1, "{r}");
    assert!(r.failed[0].item.contains("31") && r.failed[0].reason.contains("larger than"), "{r}");
    assert_eq!(app.t.db.count_articles().await? - count_before, 1, "{r}");
    app.stop().await
});
