//! `newsdesk export backup` / `import backup`: a whole site out and back,
//! across backends, equal at each step; damaged archives change nothing.

use crate::TestApp;
use newsdesk_config::Config;
use newsdesk_import::backup::{self, Folders};
use newsdesk_test_support::TestDb;
use std::io::Read;
use std::path::{Path, PathBuf};

fn folders(root: &Path) -> Folders {
    let c = Config::default_for_test(root);
    Folders { media: c.media_dir(), originals: c.originals_dir() }
}

/// Every entry of an archive with its bytes, in order; the manifest
/// without its creation time.
fn entries(file: &Path) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let f = std::fs::File::open(file)?;
    let mut a = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut out = Vec::new();
    for e in a.entries()? {
        let mut e = e?;
        let path = e.path()?.to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes)?;
        if path.ends_with("manifest.json") {
            let mut m: serde_json::Value = serde_json::from_slice(&bytes)?;
            if let Some(o) = m.as_object_mut() {
                o.remove("created_at");
            }
            bytes = serde_json::to_vec(&m)?;
        }
        out.push((path, bytes));
    }
    Ok(out)
}

/// Every tag's and author's public list (ids and total), which a backup
/// does not hold as such: the restored links must take their places again.
async fn public_lists(db: &newsdesk_db::Database) -> anyhow::Result<Vec<(Vec<i64>, i64)>> {
    use newsdesk_db::ArticleFilter;
    let mut filters: Vec<ArticleFilter> =
        db.list_tags().await?.iter().map(|t| ArticleFilter::Tag(t.id)).collect();
    filters.extend(db.list_authors().await?.iter().map(|a| ArticleFilter::Author(a.id)));
    let mut out = Vec::new();
    for f in filters {
        let page = db.list_cards_page(f, 100, 0).await?;
        out.push((page.items.iter().map(|c| c.id).collect(), page.total));
    }
    Ok(out)
}

async fn restore_into(t: &TestDb, file: &Path) -> anyhow::Result<backup::Restored> {
    let room = newsdesk_app::Newsroom::new(t.db.clone(), chrono_tz::UTC);
    backup::import(&room, &newsdesk_core::Actor::operator("test"), &folders(t.dir.path()), file)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_round_trips_across_backends_unchanged() -> anyhow::Result<()> {
    // A site with everything: the fixture newsroom, a WordPress import
    // (users, redirects, import notes), a scheduled story.
    let app = TestApp::start(TestDb::sqlite().await?).await?;
    let up = app.t.dir.path().join("uploads");
    std::fs::create_dir_all(up.join("2024/05"))?;
    std::fs::write(
        up.join("2024/05/boat.jpg"),
        newsdesk_test_support::photos::plain_jpeg(900, 600, 3),
    )?;
    let opts = newsdesk_import::wordpress::Options {
        uploads: Some(up),
        fetch: false,
        ..Default::default()
    };
    let actor = newsdesk_core::Actor::operator("test");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/import/wordpress/harbour.xml");
    newsdesk_import::wordpress::import(&app.app.newsroom, &actor, &fixture, &opts, &|_, _, _| {})
        .await?;
    app.settle().await?;
    let work = tempfile::tempdir()?;
    let a: PathBuf = work.path().join("a.tar.gz");
    let m = backup::export(&app.t.db, &folders(app.t.dir.path()), &a).await?;
    assert!(m.tables["articles"].rows > 10, "{m:?}");
    assert!(m.tables["article_revisions"].rows > m.tables["articles"].rows);
    assert!(m.media_files > 0 && m.original_files > 0, "{m:?}");
    let original = entries(&a)?;
    let lists = public_lists(&app.t.db).await?;
    assert!(lists.iter().any(|(_, total)| *total > 0), "{lists:?}");
    // No password hash travels.
    let users = original
        .iter()
        .find(|(p, _)| p == "newsdesk-backup/tables/users.jsonl")
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    assert!(users.contains("\"password_hash\":\"\""), "{users}");
    assert!(!users.contains("$argon2"));

    // SQLite → PostgreSQL (when there is one) → SQLite.
    let mut last = a.clone();
    if let Some(pg) = TestDb::postgres().await? {
        let r = restore_into(&pg, &last).await?;
        assert_eq!(r.rows["articles"], m.tables["articles"].rows);
        assert_eq!(r.rescheduled, 1, "{r:?}");
        let b = work.path().join("b.tar.gz");
        backup::export(&pg.db, &folders(pg.dir.path()), &b).await?;
        assert_eq!(entries(&b)?, original, "the backup of the PostgreSQL copy differs");
        // What readers get is the same.
        for path in ["/2024/05/01/ferry-service-returns", "/?p=12"] {
            let (x, y) = (app.t.db.redirect(path).await?, pg.db.redirect(path).await?);
            assert_eq!(x, y);
            assert!(x.is_some(), "{path}");
        }
        assert_eq!(public_lists(&pg.db).await?, lists);
        last = b;
    }
    let back = TestDb::sqlite().await?;
    restore_into(&back, &last).await?;
    let c = work.path().join("c.tar.gz");
    backup::export(&back.db, &folders(back.dir.path()), &c).await?;
    assert_eq!(entries(&c)?, original, "the backup of the SQLite copy differs");
    assert_eq!(public_lists(&back.db).await?, lists);
    // The copy works as a site: search, scheduled publication, accounts
    // that must get a new password.
    let q = newsdesk_db::SearchQuery { text: "ferry".into(), limit: 10, ..Default::default() };
    assert!(back.db.search(&q).await?.total > 0);
    let jobs = back.db.list_jobs(None, 100).await?;
    assert!(jobs.iter().any(|j| j.kind == "article.publish_scheduled"), "{jobs:?}");
    let jdoe = back.db.find_user_by_email("jdoe@harbour.test").await?.expect("account");
    assert_eq!(jdoe.password_hash, "");

    // A site with content is never overwritten.
    let err = restore_into(&back, &c).await.expect_err("not into a site with content");
    assert!(format!("{err:#}").contains("already has content"), "{err:#}");
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_backup_restores_nothing() -> anyhow::Result<()> {
    let app = TestApp::start(TestDb::sqlite().await?).await?;
    let work = tempfile::tempdir()?;
    let good = work.path().join("good.tar.gz");
    backup::export(&app.t.db, &folders(app.t.dir.path()), &good).await?;
    let entries = entries(&good)?;

    // A row changed after the backup was made: the checksum says so.
    let mut tampered = entries.clone();
    if let Some((_, rows)) =
        tampered.iter_mut().find(|(p, _)| p == "newsdesk-backup/tables/articles.jsonl")
    {
        let s = String::from_utf8(rows.clone())?.replacen(
            "\"status\":\"published\"",
            "\"status\":\"draft\"",
            1,
        );
        *rows = s.into_bytes();
    }
    let bad = work.path().join("tampered.tar.gz");
    write_archive(&bad, &tampered)?;
    let target = TestDb::sqlite().await?;
    let err = restore_into(&target, &bad).await.expect_err("a damaged backup");
    assert!(format!("{err:#}").contains("damaged"), "{err:#}");
    assert_eq!(target.db.backed_up_rows().await?, 0, "a failed restore left rows");

    // Cut short: the archive ends in the middle.
    let bytes = std::fs::read(&good)?;
    let cut = work.path().join("cut.tar.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2])?;
    assert!(restore_into(&target, &cut).await.is_err());
    assert_eq!(target.db.backed_up_rows().await?, 0);

    // Cut at the very end: every file is there, the stream's checksum
    // is not.
    let tail = work.path().join("tail.tar.gz");
    std::fs::write(&tail, &bytes[..bytes.len() - 6])?;
    let err = restore_into(&target, &tail).await.expect_err("no checksum");
    assert!(format!("{err:#}").contains("damaged or not a Newsdesk backup"), "{err:#}");
    assert_eq!(target.db.backed_up_rows().await?, 0);

    // A file that would land outside the media folder.
    let mut escape = entries.clone();
    escape.push(("newsdesk-backup/media/../../evil.txt".into(), b"x".to_vec()));
    let evil = work.path().join("evil.tar.gz");
    write_archive(&evil, &escape)?;
    let err = restore_into(&target, &evil).await.expect_err("a file outside its folder");
    assert!(format!("{err:#}").contains("outside its folders"), "{err:#}");
    // `media/../../evil.txt` would land two folders above the media folder.
    let media = folders(target.dir.path()).media;
    let landing = media.parent().and_then(|p| p.parent()).map(|p| p.join("evil.txt"));
    assert!(landing.is_some_and(|p| !p.exists()));
    assert_eq!(target.db.backed_up_rows().await?, 0);

    // Not a backup at all.
    let junk = work.path().join("junk.tar.gz");
    std::fs::write(&junk, b"hello")?;
    assert!(restore_into(&target, &junk).await.is_err());
    app.stop().await
}

/// Every table is either in backups or left out on purpose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_name_every_table() -> anyhow::Result<()> {
    let t = TestDb::sqlite().await?;
    let mut named: Vec<&str> = newsdesk_db::BACKUP_TABLES.iter().map(|s| s.name).collect();
    named.extend(newsdesk_db::LEFT_OUT.iter().map(|(t, _)| *t));
    named.sort_unstable();
    let tables = t.db.table_names().await?;
    let tables: Vec<&str> =
        tables.iter().map(String::as_str).filter(|t| !t.starts_with("article_search")).collect();
    assert_eq!(named, tables);
    // And every column of those in backups.
    let columns = t.db.schema_columns().await?;
    for spec in newsdesk_db::BACKUP_TABLES {
        let mut have: Vec<&str> =
            columns.iter().filter(|(t, _)| t == spec.name).map(|(_, c)| c.as_str()).collect();
        have.sort_unstable();
        let mut listed: Vec<&str> = spec.columns.iter().map(|(c, _)| *c).collect();
        listed.extend(
            newsdesk_db::DERIVED_COLUMNS
                .iter()
                .filter(|(t, ..)| *t == spec.name)
                .map(|(_, c, _)| *c),
        );
        listed.sort_unstable();
        assert_eq!(listed, have, "{}", spec.name);
    }
    Ok(())
}

/// Writes `entries` as a backup archive (for damaged copies).
fn write_archive(path: &Path, entries: &[(String, Vec<u8>)]) -> anyhow::Result<()> {
    let f = std::fs::File::create(path)?;
    let mut t = tar::Builder::new(flate2::write::GzEncoder::new(f, flate2::Compression::fast()));
    for (k, bytes) in entries {
        let mut bytes = bytes.clone();
        if k.ends_with("manifest.json") {
            let mut m: serde_json::Value = serde_json::from_slice(&bytes)?;
            if let Some(o) = m.as_object_mut() {
                o.insert("created_at".into(), "2026-01-01T00:00:00.000000Z".into());
            }
            bytes = serde_json::to_vec(&m)?;
        }
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        if k.contains("..") {
            // The tar crate refuses `..` in names it writes: put it in the
            // raw header, as a hostile archive would.
            let name = h.as_old_mut();
            let b = k.as_bytes();
            name.name[..b.len()].copy_from_slice(b);
            h.set_cksum();
            t.append(&h, &bytes[..])?;
        } else {
            t.append_data(&mut h, k, &bytes[..])?;
        }
    }
    t.into_inner()?.finish()?;
    Ok(())
}

/// A backup taken while editors write is a consistent copy: it restores,
/// and every article in it comes with its revisions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_editors_write_is_consistent() -> anyhow::Result<()> {
    let app = TestApp::start(TestDb::sqlite().await?).await?;
    let before = app.t.db.content_articles(&Default::default()).await.map(|p| p.len()).unwrap_or(0);
    let room = app.app.newsroom.clone();
    let writer = tokio::spawn(async move {
        let actor = newsdesk_core::Actor::operator("test");
        let mut made = 0u32;
        for i in 0..60 {
            let a = newsdesk_core::Article::draft(
                format!("Draft written during a backup {i}"),
                chrono::Utc::now(),
            );
            if room.create_draft(&actor, a).await.is_ok() {
                made += 1;
            }
        }
        made
    });
    let work = tempfile::tempdir()?;
    let mut files = Vec::new();
    for n in 0..3 {
        let f = work.path().join(format!("live-{n}.tar.gz"));
        backup::export(&app.t.db, &folders(app.t.dir.path()), &f).await?;
        files.push(f);
    }
    let made = writer.await?;
    assert_eq!(made, 60, "the backups blocked writers");
    for f in files {
        let target = TestDb::sqlite().await?;
        let r = restore_into(&target, &f).await?;
        let articles = r.rows.get("articles").copied().unwrap_or(0);
        assert!(articles as usize >= before, "{r:?}");
        for id in 1..=articles as i64 {
            if let Ok(a) = target.db.find_article(id).await {
                assert!(
                    !target.db.list_revisions(a.id).await?.is_empty(),
                    "article {id} without revisions"
                );
            }
        }
    }
    app.stop().await
}
