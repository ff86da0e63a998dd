//! The media library's use cases on both databases, with real files in
//! temporary folders.

use crate::{article, drain, editor, event_kinds, section};
use newsdesk_app::media::{Library, MediaEdit, Upload};
use newsdesk_app::sessions::Origin;
use newsdesk_app::{Error, Newsroom};
use newsdesk_core::{Block, Figure, RenditionKind};
use newsdesk_test_support::photos::{Meta, jpeg};
use newsdesk_test_support::{TestDb, db_test};
use std::path::Path;
use std::sync::Arc;

struct Setup {
    n: Arc<Newsroom>,
    dir: tempfile::TempDir,
}

impl Setup {
    fn public(&self) -> std::path::PathBuf {
        self.dir.path().join("media")
    }
    fn originals(&self) -> std::path::PathBuf {
        self.dir.path().join("originals")
    }
}

fn setup(t: &TestDb) -> anyhow::Result<Setup> {
    let dir = tempfile::tempdir()?;
    let lib = Library::local(&dir.path().join("media"), &dir.path().join("originals"));
    let n = Arc::new(Newsroom::new(t.db.clone(), crate::TZ).with_library(lib));
    Ok(Setup { n, dir })
}

/// Every file under `dir`, relative.
fn files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if let Ok(rel) = p.strip_prefix(base) {
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn up(bytes: Vec<u8>, name: &str) -> Upload {
    Upload { bytes, file_name: name.into() }
}

fn agency_photo(seed: u8) -> Vec<u8> {
    jpeg(
        1400,
        900,
        seed,
        &Meta {
            credit: Some("Ana Ruiz / Reuters"),
            caption: Some("Rescuers search the rubble."),
            copyright: Some("© 2026 Reuters"),
            artist: Some("Ana Ruiz"),
            source_type: None,
        },
    )
}

db_test!(
    an_upload_is_prefilled_stored_privately_and_gets_renditions_from_a_job,
    |t: TestDb| async move {
        let s = setup(&t)?;
        let before = s.n.db().last_event_id().await?;
        let got =
            s.n.upload_media(
                &editor(),
                up(agency_photo(1), "../../etc/pass\0wd\u{202E}gpj.jpg"),
                &Origin::default(),
            )
            .await?;
        assert!(!got.reused);
        let m = &got.media;
        assert_eq!((m.width, m.height), (1400, 900));
        assert_eq!(m.credit.as_deref(), Some("Ana Ruiz / Reuters"));
        assert_eq!(m.caption.as_deref(), Some("Rescuers search the rubble."));
        assert_eq!(m.rights.as_deref(), Some("© 2026 Reuters"));
        assert_eq!(m.creator.as_deref(), Some("Ana Ruiz"));
        assert_eq!(m.alt, None, "alt text is the editor's to write");
        // The name is for display only, cleaned of paths and direction tricks.
        assert_eq!(m.file_name, "passwdgpj.jpg");
        assert!(m.file.starts_with("lib/") && m.file.ends_with("/full.jpg"), "{}", m.file);
        let hash = m.hash.clone().unwrap_or_default();
        assert_eq!(files(&s.originals()), vec![format!("{}/{hash}.jpg", &hash[..2])]);
        assert_eq!(files(&s.public()), vec![m.file.clone()]);
        // The public master carries no metadata.
        let served = std::fs::read(s.public().join(&m.file))?;
        assert!(
            !served.windows(4).any(|w| w == b"Exif") && !served.windows(7).any(|w| w == b"Reuters")
        );
        assert_eq!(event_kinds(&s.n, before).await?, vec!["media.added"]);

        drain(&s.n).await?;
        let m = s.n.db().media(m.id).await?;
        let scaled: Vec<(u32, bool)> = m
            .renditions
            .iter()
            .filter(|r| r.kind == RenditionKind::Scaled)
            .map(|r| (r.width, r.is_webp()))
            .collect();
        assert_eq!(
            scaled,
            vec![
                (320, false),
                (320, true),
                (640, false),
                (640, true),
                (960, false),
                (960, true),
                (1280, false),
                (1280, true),
                // A WebP at full width; the master is the full-width JPEG.
                (1400, true),
            ]
        );
        assert!(
            m.renditions
                .iter()
                .any(|r| r.kind == RenditionKind::Card && r.width == 800 && r.height == 450)
        );
        assert!(m.renditions.iter().any(|r| r.kind == RenditionKind::Thumb && r.width == r.height));
        for r in &m.renditions {
            assert!(s.public().join(&r.file).is_file(), "{} missing", r.file);
        }
        // Renditions of an unused picture change no page.
        assert!(!event_kinds(&s.n, before).await?.contains(&"media.changed".to_owned()));
        Ok(())
    }
);

db_test!(identical_uploads_are_one_item_and_refusals_leave_nothing, |t: TestDb| async move {
    let s = setup(&t)?;
    let first =
        s.n.upload_media(&editor(), up(agency_photo(2), "a.jpg"), &Origin::default()).await?;
    let kept = files(&s.public());
    let again =
        s.n.upload_media(&editor(), up(agency_photo(2), "copy of a.jpg"), &Origin::default())
            .await?;
    assert!(again.reused);
    assert_eq!(again.media.id, first.media.id);
    assert_eq!(files(&s.public()), kept);

    let html = b"<!doctype html><script>alert(1)</script>".to_vec();
    let mut polyglot_zip = b"PK\x03\x04".to_vec();
    polyglot_zip.extend([0u8; 64]);
    let photo = agency_photo(3);
    for (bytes, says) in [
        (html, "an HTML page"),
        (polyglot_zip, "a ZIP archive"),
        (Vec::new(), "empty"),
        (photo[..photo.len() / 2].to_vec(), "not a valid JPEG"),
    ] {
        match s.n.upload_media(&editor(), up(bytes, "x.jpg"), &Origin::default()).await {
            Err(Error::Refused(msg)) => assert!(msg.contains(says), "{msg}"),
            other => panic!("{says}: {other:?}"),
        }
    }
    assert_eq!(files(&s.public()), kept, "a refused upload left a file");
    assert_eq!(files(&s.originals()).len(), 1);
    assert_eq!(s.n.db().list_media(&Default::default(), 50).await?.len(), 1);
    Ok(())
});

db_test!(a_store_that_fails_half_way_leaves_no_file_and_no_row, |t: TestDb| async move {
    let dir = tempfile::tempdir()?;
    // The public folder cannot be made: a file stands where it should be.
    std::fs::write(dir.path().join("media"), b"not a folder")?;
    let lib = Library::local(&dir.path().join("media"), &dir.path().join("originals"));
    let n = Arc::new(Newsroom::new(t.db.clone(), crate::TZ).with_library(lib));
    match n.upload_media(&editor(), up(agency_photo(4), "a.jpg"), &Origin::default()).await {
        Err(Error::Refused(msg)) => assert!(msg.contains("could not be stored"), "{msg}"),
        other => panic!("{other:?}"),
    }
    assert!(files(&dir.path().join("originals")).is_empty(), "the original was left behind");
    assert!(n.db().list_media(&Default::default(), 50).await?.is_empty());
    Ok(())
});

db_test!(an_ai_generated_picture_is_marked_from_its_metadata, |t: TestDb| async move {
    let s = setup(&t)?;
    let meta = Meta { source_type: Some("trainedAlgorithmicMedia"), ..Meta::default() };
    let m =
        s.n.upload_media(&editor(), up(jpeg(300, 200, 9, &meta), "gen.jpg"), &Origin::default())
            .await?
            .media;
    assert!(m.ai_generated);
    assert!(m.source_type.as_deref().unwrap_or_default().ends_with("/trainedAlgorithmicMedia"));
    let plain =
        s.n.upload_media(
            &editor(),
            up(jpeg(300, 200, 10, &Meta::default()), "p.jpg"),
            &Origin::default(),
        )
        .await?
        .media;
    assert!(!plain.ai_generated);
    Ok(())
});

db_test!(uses_are_tracked_and_a_used_item_cannot_be_deleted, |t: TestDb| async move {
    let s = setup(&t)?;
    let sec = section(&s.n, "world").await?;
    let m =
        s.n.upload_media(&editor(), up(agency_photo(5), "a.jpg"), &Origin::default()).await?.media;
    drain(&s.n).await?;
    let mut a = article("Quake hits the coast", sec);
    a.body.push(Block::Figure(Figure::of(m.id)));
    let saved = s.n.create_draft(&editor(), a).await?;
    let uses = s.n.db().media_uses(m.id).await?;
    assert_eq!(uses.len(), 1);
    assert_eq!((uses[0].article_id, uses[0].status.as_str()), (saved.article.id, "draft"));
    match s.n.delete_media(&editor(), m.id, &Origin::default()).await {
        Err(Error::Refused(msg)) => {
            assert!(
                msg.contains(&format!(
                    "“Quake hits the coast” (article {}, draft)",
                    saved.article.id
                )),
                "{msg}"
            )
        }
        other => panic!("{other:?}"),
    }
    // Publishing needs the alt text and credit the item lacks or has.
    match s.n.publish(&editor(), saved.article.id, None).await {
        Err(Error::Unpublishable(p)) => {
            assert!(format!("{p:?}").contains("FigureWithoutAlt"), "{p:?}")
        }
        other => panic!("{other:?}"),
    }
    let edit = MediaEdit {
        alt: Some("Rescuers dig through a collapsed house".into()),
        credit: m.credit.clone(),
        focal: (500, 500),
        ..MediaEdit::default()
    };
    s.n.edit_media(&editor(), m.id, edit, m.version, &Origin::default()).await?;
    s.n.publish(&editor(), saved.article.id, None).await?;

    // The figure leaves the article: the item is free again.
    let mut a = s.n.db().find_article(saved.article.id).await?;
    a.body.retain(|b| !matches!(b, Block::Figure(_)));
    let (_, v) = s.n.db().find_article_versioned(a.id).await?;
    s.n.save(&editor(), a, v).await?;
    assert!(s.n.db().media_uses(m.id).await?.is_empty());
    let before = files(&s.public());
    assert!(before.len() > 10);
    s.n.delete_media(&editor(), m.id, &Origin::default()).await?;
    assert!(files(&s.public()).is_empty(), "files left: {:?}", files(&s.public()));
    assert!(files(&s.originals()).is_empty());
    Ok(())
});

db_test!(a_new_focal_point_makes_new_crops_and_a_stale_edit_is_refused, |t: TestDb| async move {
    let s = setup(&t)?;
    let sec = section(&s.n, "world").await?;
    let m =
        s.n.upload_media(&editor(), up(agency_photo(6), "a.jpg"), &Origin::default()).await?.media;
    drain(&s.n).await?;
    let mut a = article("Storm", sec);
    a.lead = Some(Figure::of(m.id));
    s.n.create_draft(&editor(), a).await?;
    let m = s.n.db().media(m.id).await?;
    let card = |m: &newsdesk_core::Media| {
        m.renditions.iter().find(|r| r.kind == RenditionKind::Card).map(|r| r.file.clone())
    };
    let old_card = card(&m);
    let before = s.n.db().last_event_id().await?;
    let edit = MediaEdit { focal: (100, 300), alt: Some("A storm".into()), ..MediaEdit::default() };
    let edited =
        s.n.edit_media(&editor(), m.id, edit.clone(), m.version, &Origin::default()).await?;
    assert_eq!((edited.focal_x, edited.focal_y), (100, 300));
    match s.n.edit_media(&editor(), m.id, edit, m.version, &Origin::default()).await {
        Err(Error::Stale { current_version }) => assert_eq!(current_version, edited.version),
        other => panic!("{other:?}"),
    }
    drain(&s.n).await?;
    let m = s.n.db().media(m.id).await?;
    assert_ne!(card(&m), old_card);
    assert!(card(&m).unwrap_or_default().contains("f100x300"));
    // The item is shown (a draft's lead): pages are told, by the edit and
    // by the new renditions.
    let kinds = event_kinds(&s.n, before).await?;
    assert_eq!(kinds.iter().filter(|k| *k == "media.changed").count(), 2, "{kinds:?}");
    Ok(())
});

db_test!(replacing_a_file_gives_new_names_and_old_jobs_do_nothing, |t: TestDb| async move {
    let s = setup(&t)?;
    let m =
        s.n.upload_media(&editor(), up(agency_photo(7), "a.jpg"), &Origin::default()).await?.media;
    let other =
        s.n.upload_media(&editor(), up(agency_photo(8), "b.jpg"), &Origin::default()).await?.media;
    match s
        .n
        .replace_media_file(
            &editor(),
            m.id,
            up(agency_photo(8), "b.jpg"),
            m.version,
            &Origin::default(),
        )
        .await
    {
        Err(Error::Refused(msg)) => assert!(msg.contains(&format!("item {}", other.id)), "{msg}"),
        other => panic!("{other:?}"),
    }
    let replaced =
        s.n.replace_media_file(
            &editor(),
            m.id,
            up(jpeg(800, 800, 11, &Meta::default()), "new.jpg"),
            m.version,
            &Origin::default(),
        )
        .await?;
    assert_ne!(replaced.file, m.file);
    assert_eq!((replaced.width, replaced.height), (800, 800));
    assert_eq!(replaced.credit, m.credit, "texts stay with the item");
    // The job queued for the first file finds another and does nothing.
    assert_eq!(s.n.make_renditions(m.id, m.hash.as_deref().unwrap_or_default()).await?, 0);
    drain(&s.n).await?;
    let now = s.n.db().media(m.id).await?;
    assert!(!now.renditions.is_empty());
    let folder = replaced.file.rsplit_once('/').map(|(f, _)| f).unwrap_or_default();
    assert!(now.renditions.iter().all(|r| r.file.starts_with(folder)));
    Ok(())
});

db_test!(a_database_that_refuses_the_row_leaves_no_file, |t: TestDb| async move {
    let s = setup(&t)?;
    // The database refuses every new library item.
    if t.db.backend() == newsdesk_db::Backend::Sqlite {
        t.db.execute_sql(
            "CREATE TRIGGER refuse_media BEFORE INSERT ON media BEGIN SELECT RAISE(ABORT, 'refused by test'); END",
        )
        .await?;
    } else {
        t.db.execute_sql(
            "CREATE FUNCTION refuse_media() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by test'; END $$ LANGUAGE plpgsql",
        )
        .await?;
        t.db.execute_sql(
            "CREATE TRIGGER refuse_media BEFORE INSERT ON media FOR EACH ROW EXECUTE FUNCTION refuse_media()",
        )
        .await?;
    }
    let r = s.n.upload_media(&editor(), up(agency_photo(20), "a.jpg"), &Origin::default()).await;
    assert!(r.is_err(), "{r:?}");
    assert!(files(&s.public()).is_empty(), "left: {:?}", files(&s.public()));
    assert!(files(&s.originals()).is_empty(), "left: {:?}", files(&s.originals()));
    Ok(())
});

db_test!(old_files_go_when_a_file_is_replaced_or_the_focal_point_moves, |t: TestDb| async move {
    let s = setup(&t)?;
    let m =
        s.n.upload_media(&editor(), up(agency_photo(21), "a.jpg"), &Origin::default()).await?.media;
    drain(&s.n).await?;
    let m = s.n.db().media(m.id).await?;
    let first_crops: Vec<String> = m
        .renditions
        .iter()
        .filter(|r| r.kind != RenditionKind::Scaled)
        .map(|r| r.file.clone())
        .collect();
    let edit = MediaEdit { focal: (200, 800), ..MediaEdit::default() };
    let m2 = s.n.edit_media(&editor(), m.id, edit, m.version, &Origin::default()).await?;
    drain(&s.n).await?;
    let now = files(&s.public());
    for f in &first_crops {
        assert!(!now.contains(f), "{f} of the old focal point is still there");
    }
    // The scaled sizes did not move and stay.
    assert!(
        m.renditions
            .iter()
            .filter(|r| r.kind == RenditionKind::Scaled)
            .all(|r| now.contains(&r.file))
    );

    let before = s.n.db().media(m.id).await?;
    let replaced =
        s.n.replace_media_file(
            &editor(),
            m.id,
            up(jpeg(900, 600, 22, &Meta::default()), "b.jpg"),
            m2.version,
            &Origin::default(),
        )
        .await?;
    drain(&s.n).await?;
    let now = files(&s.public());
    for f in before.all_files() {
        assert!(!now.contains(&f), "{f} of the replaced picture is still served");
    }
    assert_eq!(files(&s.originals()).len(), 1, "only the new original is kept");
    assert!(now.contains(&replaced.file));
    Ok(())
});

db_test!(a_replacement_says_how_it_was_made, |t: TestDb| async move {
    let s = setup(&t)?;
    let m =
        s.n.upload_media(&editor(), up(agency_photo(23), "photo.jpg"), &Origin::default())
            .await?
            .media;
    assert!(!m.ai_generated);
    let synthetic = jpeg(
        400,
        300,
        24,
        &Meta { source_type: Some("trainedAlgorithmicMedia"), ..Meta::default() },
    );
    let r =
        s.n.replace_media_file(
            &editor(),
            m.id,
            up(synthetic, "gen.jpg"),
            m.version,
            &Origin::default(),
        )
        .await?;
    assert!(r.ai_generated, "an AI-made replacement is labelled");
    let plain = jpeg(400, 300, 25, &Meta::default());
    let r =
        s.n.replace_media_file(&editor(), m.id, up(plain, "p.jpg"), r.version, &Origin::default())
            .await?;
    assert!(!r.ai_generated, "the label came from the file, and the file changed");
    Ok(())
});

#[test]
fn a_process_receives_a_bounded_number_of_uploads_at_once() {
    let dir = std::env::temp_dir();
    let lib = Library::local(&dir.join("m"), &dir.join("o"));
    let held: Vec<_> =
        (0..newsdesk_app::media::UPLOADS_IN_FLIGHT).filter_map(|_| lib.receive_slot()).collect();
    assert_eq!(held.len(), newsdesk_app::media::UPLOADS_IN_FLIGHT);
    assert!(lib.receive_slot().is_none(), "one more upload must wait");
    drop(held);
    assert!(lib.receive_slot().is_some());
}
