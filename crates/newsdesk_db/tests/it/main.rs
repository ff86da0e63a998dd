//! Store tests, each run on SQLite and on PostgreSQL.

use chrono::{DateTime, TimeZone, Utc};
use newsdesk_core::{Article, ArticleStatus, Block, Byline, Figure, Media};
use newsdesk_db::{ArticleFilter, Database, DbError, RelatedUpdate};
use newsdesk_test_support::{Kind, TestDb, db_test};

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).single().expect("valid time")
}

const TZ: chrono_tz::Tz = chrono_tz::America::New_York;

async fn section(db: &Database) -> anyhow::Result<i64> {
    Ok(db.create_section("World", "world", 1, "World news").await?.id)
}

fn article(headline: &str, section: i64) -> Article {
    let mut a = Article::draft(headline, at(1, 9));
    a.section_id = Some(section);
    a.bylines = vec![Byline::Credit { text: "Staff and wire reports".into() }];
    a.body = vec![Block::paragraph(format!("{headline}. Negotiators met again."))];
    a
}

db_test!(migrations_are_idempotent, |t: TestDb| async move {
    assert_eq!(t.db.migrate().await?, 0, "second run applies nothing");
    t.db.analyze().await?;
    let cols = t.db.schema_columns().await?;
    assert!(cols.contains(&("articles".into(), "path".into())));
    Ok(())
});

#[tokio::test]
async fn both_backends_end_at_the_same_schema() -> anyhow::Result<()> {
    let lite = TestDb::new(Kind::Sqlite).await?.expect("sqlite always runs");
    let Some(pg) = TestDb::new(Kind::Postgres).await? else { return Ok(()) };
    assert_eq!(lite.db.schema_columns().await?, pg.db.schema_columns().await?);
    Ok(())
}

db_test!(publishes_with_a_stable_dated_path, |t: TestDb| async move {
    let db = &t.db;
    let s = section(db).await?;
    let a = db.create_article(&article("Talks resume in Geneva", s)).await?;
    assert_eq!(db.find_article_by_path("/world/2026/03/01/talks-resume-in-geneva").await?, None);
    // 03:00 UTC on the 2nd is still the 1st in New York.
    let p = db.publish_article(a.id, at(2, 3), TZ, RelatedUpdate::Now).await?;
    assert_eq!(p.path.as_deref(), Some("/world/2026/03/01/talks-resume-in-geneva"));
    // Changing the slug after publication never moves the story.
    let (mut stored, v) = db.find_article_versioned(a.id).await?;
    assert_eq!(stored.status, ArticleStatus::Published);
    stored.slug = "renamed".into();
    stored.headlines.display = "Talks resume in Geneva, again".into();
    db.update_article(&stored, v).await?;
    let found = db
        .find_article_by_path("/world/2026/03/01/talks-resume-in-geneva")
        .await?
        .expect("still there");
    assert_eq!(found.headlines.display, "Talks resume in Geneva, again");
    assert_eq!(found.first_published_at, Some(at(2, 3)));
    Ok(())
});

db_test!(refuses_to_publish_incomplete_articles_and_says_why, |t: TestDb| async move {
    let db = &t.db;
    let s = section(db).await?;
    let photo = db
        .create_media(&Media {
            id: 0,
            file: "x.jpg".into(),
            width: 10,
            height: 10,
            alt: None,
            caption: None,
            credit: None,
            rights: None,
            renditions: vec![],
        })
        .await?;
    let mut a = article("No byline", s);
    a.bylines.clear();
    a.lead = Some(Figure::of(photo.id));
    let a = db.create_article(&a).await?;
    let err =
        db.publish_article(a.id, at(2, 9), TZ, RelatedUpdate::Now).await.expect_err("incomplete");
    assert_eq!(
        err.to_string(),
        "cannot publish: there is no byline: add an author or a credit line; the lead image has no alt text; the lead image has no credit line"
    );
    assert_eq!(db.find_article(a.id).await?.status, ArticleStatus::Draft, "nothing changed");
    Ok(())
});

db_test!(refuses_stale_edits_and_keeps_the_stored_text, |t: TestDb| async move {
    let db = &t.db;
    let s = section(db).await?;
    let a = db.create_article(&article("Original", s)).await?;
    let (mut first, v) = db.find_article_versioned(a.id).await?;
    let mut second = first.clone();
    first.dek = "Editor one".into();
    let v2 = db.update_article(&first, v).await?;
    assert_eq!(v2, v + 1);
    second.dek = "Editor two".into();
    match db.update_article(&second, v).await {
        Err(DbError::StaleRevision { current }) => assert_eq!(current, v2),
        other => panic!("expected a stale revision, got {other:?}"),
    }
    assert_eq!(db.find_article(a.id).await?.dek, "Editor one");
    Ok(())
});

db_test!(two_articles_cannot_share_a_path, |t: TestDb| async move {
    let db = &t.db;
    let s = section(db).await?;
    let a = db.create_article(&article("Same headline", s)).await?;
    let b = db.create_article(&article("Same headline", s)).await?;
    db.publish_article(a.id, at(3, 12), TZ, RelatedUpdate::Now).await?;
    let err = db.publish_article(b.id, at(3, 15), TZ, RelatedUpdate::Now).await.expect_err("clash");
    assert!(matches!(err, DbError::Conflict(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "another article already lives at `/world/2026/03/03/same-headline`"
    );
    Ok(())
});

db_test!(lists_only_published_articles_newest_first, |t: TestDb| async move {
    let db = &t.db;
    let s = section(db).await?;
    let other = db.create_section("Sports", "sports", 2, "").await?.id;
    let tag = db.create_tag("Water", "water").await?.id;
    let mut ids = Vec::new();
    for day in 1..=5 {
        let mut a = article(&format!("Story {day}"), if day % 2 == 0 { other } else { s });
        a.tags = vec![tag];
        let a = db.create_article(&a).await?;
        if day != 4 {
            db.publish_article(a.id, at(day, 10), TZ, RelatedUpdate::Now).await?;
        }
        ids.push(a.id);
    }
    let all = db.list_cards(ArticleFilter::All, 2, 0).await?;
    assert_eq!(all.total, 4);
    assert_eq!(all.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ids[4], ids[2]]);
    let page2 = db.list_cards(ArticleFilter::All, 2, 2).await?;
    assert_eq!(page2.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ids[1], ids[0]]);
    let sec = db.list_cards(ArticleFilter::Section(other), 10, 0).await?;
    assert_eq!(sec.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ids[1]]);
    assert_eq!(db.list_cards(ArticleFilter::Tag(tag), 10, 0).await?.total, 4);
    db.unpublish_article(ids[0]).await?;
    assert_eq!(db.list_cards(ArticleFilter::All, 10, 0).await?.total, 3);
    let gone = db.find_article(ids[0]).await?;
    assert_eq!(gone.status, ArticleStatus::Unpublished);
    for id in &ids {
        let rel = db.related_ids(*id).await?;
        assert!(
            rel.iter().all(|(r, _)| *r != ids[0] && *r != ids[3]),
            "unpublished never related: {rel:?}"
        );
    }
    Ok(())
});

db_test!(related_stories_update_when_a_neighbour_is_published, |t: TestDb| async move {
    let db = &t.db;
    let s = section(db).await?;
    let mut a = article("Water treaty talks resume between Arland and Brevia", s);
    a.body = vec![Block::paragraph(
        "The water treaty talks between Arland and Brevia resumed in Geneva.",
    )];
    let a = db.create_article(&a).await?;
    db.publish_article(a.id, at(1, 10), TZ, RelatedUpdate::Now).await?;
    assert!(db.related_ids(a.id).await?.is_empty());
    let mut b = article("Arland and Brevia stall on water treaty", s);
    b.body = vec![Block::paragraph("Arland and Brevia negotiators stalled on the water treaty.")];
    let b = db.create_article(&b).await?;
    db.publish_article(b.id, at(2, 10), TZ, RelatedUpdate::Now).await?;
    assert_eq!(db.related_ids(a.id).await?.iter().map(|r| r.0).collect::<Vec<_>>(), vec![b.id]);
    assert_eq!(db.related_ids(b.id).await?.iter().map(|r| r.0).collect::<Vec<_>>(), vec![a.id]);
    Ok(())
});

db_test!(corrupt_json_is_reported_not_swallowed, |t: TestDb| async move {
    let db = &t.db;
    let s = section(db).await?;
    let a = db.create_article(&article("Fine", s)).await?;
    // Simulate a row written by something else.
    db.execute_sql("UPDATE articles SET body = '{not json'").await?;
    let err = db.find_article(a.id).await.expect_err("corrupt");
    assert!(
        err.to_string().starts_with(&format!("stored data for article {} body is corrupt", a.id)),
        "{err}"
    );
    Ok(())
});
