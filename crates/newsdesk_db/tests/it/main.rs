//! Store tests, each run on SQLite and on PostgreSQL: the schema, the
//! transaction handle, typed errors, the job queue and the event log.
//! Publishing rules are the application layer's; see `newsdesk_app`'s tests.

use chrono::{DateTime, Duration, TimeZone, Utc};
use newsdesk_core::{Article, ArticleStatus, Author, Block, Byline, Section, Tag};
use newsdesk_db::{ArticleFilter, ArticleState, Database, DbError, JobState, NewEvent, NewJob};
use newsdesk_test_support::{Kind, TestDb, db_test};

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).single().expect("valid time")
}

async fn section(db: &Database) -> anyhow::Result<i64> {
    let mut tx = db.begin().await?;
    let s = tx
        .create_section(&Section {
            id: 0,
            name: "World".into(),
            slug: "world".into(),
            position: 1,
            description: "World news".into(),
        })
        .await?;
    tx.commit().await?;
    Ok(s.id)
}

fn article(headline: &str, section: i64) -> Article {
    let mut a = Article::draft(headline, at(1, 9));
    a.section_id = Some(section);
    a.bylines = vec![Byline::Credit { text: "Staff and wire reports".into() }];
    a.body = vec![Block::paragraph(format!("{headline}. Negotiators met again."))];
    a
}

async fn insert(db: &Database, a: &Article) -> anyhow::Result<i64> {
    let mut tx = db.begin().await?;
    let id = tx.insert_article(a).await?;
    tx.commit().await?;
    Ok(id)
}

fn job(kind: &str, key: Option<&str>, run_at: DateTime<Utc>, max: i32) -> NewJob {
    NewJob {
        kind: kind.into(),
        payload: "{}".into(),
        run_at,
        dedupe_key: key.map(Into::into),
        max_attempts: max,
    }
}

db_test!(migrations_are_idempotent, |t: TestDb| async move {
    assert_eq!(t.db.migrate().await?, 0, "second run applies nothing");
    t.db.analyze().await?;
    let cols = t.db.schema_columns().await?;
    for (table, col) in [
        ("articles", "scheduled_at"),
        ("jobs", "locked_until"),
        ("events", "payload"),
        ("article_revisions", "content"),
        ("related_postings", "weight"),
    ] {
        assert!(cols.contains(&(table.into(), col.into())), "{table}.{col}");
    }
    Ok(())
});

#[tokio::test]
async fn both_backends_end_at_the_same_schema() -> anyhow::Result<()> {
    let lite = TestDb::new(Kind::Sqlite).await?.expect("sqlite always runs");
    let Some(pg) = TestDb::new(Kind::Postgres).await? else { return Ok(()) };
    assert_eq!(lite.db.schema_columns().await?, pg.db.schema_columns().await?);
    Ok(())
}

db_test!(a_transaction_commits_or_rolls_back_as_a_whole, |t: TestDb| async move {
    let db = &t.db;
    let s = section(db).await?;
    let mut tx = db.begin().await?;
    let id = tx.insert_article(&article("Kept only if committed", s)).await?;
    tx.record_event(NewEvent { kind: "article.created".into(), payload: "{}".into() });
    tx.enqueue_job(&job("ping", None, at(1, 0), 3)).await?;
    drop(tx);
    assert!(matches!(db.find_article(id).await, Err(DbError::NotFound { .. })));
    assert_eq!(db.last_event_id().await?, 0, "no event from a rolled-back transaction");
    assert_eq!(db.job_counts().await?, (0, 0, 0), "no job either");

    let mut tx = db.begin().await?;
    let id = tx.insert_article(&article("Kept", s)).await?;
    tx.record_event(NewEvent { kind: "a".into(), payload: "1".into() });
    tx.record_event(NewEvent { kind: "b".into(), payload: "2".into() });
    tx.enqueue_job(&job("ping", None, at(1, 0), 3)).await?;
    let done = tx.commit().await?;
    assert_eq!(done.event_ids.len(), 2);
    assert!(done.jobs_enqueued);
    assert_eq!(db.find_article(id).await?.headlines.display, "Kept");
    let events = db.events_after(0, 10).await?;
    assert_eq!(events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), vec!["a", "b"]);
    assert_eq!(events.iter().map(|e| e.id).collect::<Vec<_>>(), done.event_ids);
    assert_eq!(db.events_after(events[0].id, 10).await?.len(), 1);
    Ok(())
});

db_test!(stale_and_missing_articles_are_told_apart, |t: TestDb| async move {
    let db = &t.db;
    let s = section(db).await?;
    let id = insert(db, &article("Original", s)).await?;
    let (mut first, v) = db.find_article_versioned(id).await?;
    assert_eq!(v, 1);
    let mut second = first.clone();
    first.dek = "Editor one".into();
    let mut tx = db.begin().await?;
    let v2 = tx.update_article(&first, v).await?;
    tx.commit().await?;
    assert_eq!(v2, 2);
    second.dek = "Editor two".into();
    let mut tx = db.begin().await?;
    match tx.update_article(&second, v).await {
        Err(DbError::Stale { current_version }) => assert_eq!(current_version, 2),
        other => panic!("expected a stale version, got {other:?}"),
    }
    drop(tx);
    assert_eq!(db.find_article(id).await?.dek, "Editor one", "the stored text is kept");
    second.id = 9_999;
    let mut tx = db.begin().await?;
    let err = tx.update_article(&second, 1).await.expect_err("no such article");
    assert!(matches!(err, DbError::NotFound { .. }), "{err:?}");
    assert_eq!(err.to_string(), "article 9999 not found");
    Ok(())
});

db_test!(a_taken_path_is_a_conflict_named_the_same_on_both_backends, |t: TestDb| async move {
    let db = &t.db;
    let s = section(db).await?;
    let a = insert(db, &article("Same headline", s)).await?;
    let b = insert(db, &article("Same headline", s)).await?;
    let state = |path: &str| ArticleState {
        status: ArticleStatus::Published,
        first_published_at: Some(at(3, 12)),
        path: Some(path.into()),
        scheduled_at: None,
        updated_at: at(3, 12),
    };
    let mut tx = db.begin().await?;
    tx.set_article_state(a, &state("/world/2026/03/03/same-headline"), 1).await?;
    tx.commit().await?;
    let mut tx = db.begin().await?;
    let err = tx
        .set_article_state(b, &state("/world/2026/03/03/same-headline"), 1)
        .await
        .expect_err("clash");
    match &err {
        DbError::Conflict { constraint, message } => {
            assert_eq!(constraint, "articles.path");
            assert_eq!(
                message,
                "another article already lives at `/world/2026/03/03/same-headline`"
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    drop(tx);
    let mut tx = db.begin().await?;
    let dup = tx
        .create_section(&Section {
            id: 0,
            name: "World again".into(),
            slug: "world".into(),
            position: 2,
            description: String::new(),
        })
        .await
        .expect_err("slug taken");
    assert!(
        matches!(&dup, DbError::Conflict { constraint, .. } if constraint == "sections.slug"),
        "{dup:?}"
    );
    Ok(())
});

db_test!(corrupt_json_is_reported_not_swallowed, |t: TestDb| async move {
    let db = &t.db;
    let s = section(db).await?;
    let id = insert(db, &article("Fine", s)).await?;
    // Simulate a row written by something else.
    db.execute_sql("UPDATE articles SET body = '{not json'").await?;
    let err = db.find_article(id).await.expect_err("corrupt");
    assert!(
        err.to_string().starts_with(&format!("stored data for article {id} body is corrupt")),
        "{err}"
    );
    Ok(())
});

db_test!(a_closed_pool_is_unavailable_not_an_internal_error, |t: TestDb| async move {
    t.db.close().await;
    let err = t.db.ping().await.expect_err("closed");
    assert!(err.is_unavailable(), "{err:?}");
    Ok(())
});

db_test!(settled_webhook_deliveries_are_pruned_pending_ones_kept, |t: TestDb| async move {
    let db = &t.db;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let hook = tx
        .insert_webhook(
            &newsdesk_db::NewWebhook {
                name: "r",
                url: "https://example.com/",
                events: "article.published",
                secret: "s",
            },
            now,
        )
        .await?;
    let mut ids = Vec::new();
    for (uuid, at) in [("old-ok", 40), ("old-dead", 40), ("old-pending", 40), ("new-ok", 1)] {
        let d = newsdesk_db::NewDelivery {
            webhook_id: hook,
            uuid,
            event: "article.published",
            payload: "{}",
            at: now - Duration::days(at),
        };
        ids.push(tx.insert_delivery(&d).await?);
    }
    tx.commit().await?;
    db.record_delivery_try(ids[0], Some(200), "", now).await?;
    for _ in 0..3 {
        db.record_delivery_try(ids[1], Some(500), "the receiver answered 500", now).await?;
    }
    db.record_delivery_try(ids[2], None, "timed out", now).await?;
    db.record_delivery_try(ids[3], Some(200), "", now).await?;
    assert_eq!(db.prune_deliveries(now - Duration::days(30), 3).await?, 2);
    let left: Vec<String> =
        db.list_deliveries(hook, 10).await?.into_iter().map(|d| d.uuid).collect();
    assert_eq!(left, vec!["new-ok".to_owned(), "old-pending".to_owned()]);
    Ok(())
});

db_test!(a_worker_takes_only_the_kinds_it_is_for, |t: TestDb| async move {
    let db = &t.db;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    tx.enqueue_job(&job("related", None, now - Duration::seconds(2), 2)).await?;
    tx.enqueue_job(&job("webhook", None, now - Duration::seconds(1), 2)).await?;
    tx.commit().await?;
    let lease = now + Duration::seconds(30);
    let lane = newsdesk_db::KindFilter { only: vec!["webhook".into()], except: vec![] };
    let rest = newsdesk_db::KindFilter { only: vec![], except: vec!["webhook".into()] };
    // The older job of the other kind does not stand in the lane's way.
    let got = db.claim_job_of("lane", now, lease, &lane).await?.map(|j| j.kind);
    assert_eq!(got.as_deref(), Some("webhook"));
    assert_eq!(db.claim_job_of("lane", now, lease, &lane).await?, None);
    let got = db.claim_job_of("main", now, lease, &rest).await?.map(|j| j.kind);
    assert_eq!(got.as_deref(), Some("related"));
    assert_eq!(db.claim_job_of("main", now, lease, &rest).await?, None);
    Ok(())
});

db_test!(jobs_are_claimed_once_retried_and_declared_dead, |t: TestDb| async move {
    let db = &t.db;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let first = tx.enqueue_job(&job("a", Some("k"), now - Duration::seconds(1), 2)).await?;
    assert!(first.is_some());
    assert_eq!(
        tx.enqueue_job(&job("a", Some("k"), now, 2)).await?,
        None,
        "a queued job with the same key makes the second a no-op"
    );
    tx.enqueue_job(&job("later", None, now + Duration::hours(1), 2)).await?;
    tx.commit().await?;
    assert_eq!(db.job_counts().await?, (2, 0, 0));

    let lease = now + Duration::seconds(30);
    let claimed = db.claim_job("w1", now, lease).await?.expect("one is due");
    assert_eq!((claimed.kind.as_str(), claimed.attempts), ("a", 1));
    assert_eq!(db.claim_job("w2", now, lease).await?, None, "the other is not due yet");
    assert!(!db.complete_job(claimed.id, "w2").await?, "only the holder may finish it");

    // First failure: back in the queue, later.
    let state = db.fail_job(claimed.id, "w1", "boom", now + Duration::seconds(5)).await?;
    assert_eq!(state, Some(JobState::Queued));
    assert_eq!(db.claim_job("w1", now, lease).await?, None, "waiting for its backoff");
    let again = db.claim_job("w1", now + Duration::seconds(6), lease).await?.expect("due again");
    assert_eq!(again.attempts, 2);
    // Second failure is its last try.
    let state = db.fail_job(again.id, "w1", "boom twice", now).await?;
    assert_eq!(state, Some(JobState::Dead));
    let dead = db.list_jobs(Some(JobState::Dead), 10).await?;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some("boom twice"));
    assert_eq!(
        db.claim_job("w1", now + Duration::days(1), lease).await?.map(|j| j.kind),
        Some("later".into())
    );

    // An operator retries the dead one.
    assert!(db.retry_job(dead[0].id).await?);
    let retried = db.claim_job("w3", Utc::now(), lease).await?.expect("queued again");
    assert_eq!((retried.id, retried.attempts), (dead[0].id, 1));
    assert!(db.complete_job(retried.id, "w3").await?);
    assert!(!db.retry_job(retried.id).await?, "finished jobs are gone");
    Ok(())
});

db_test!(a_job_whose_worker_died_is_claimed_again_after_its_lease, |t: TestDb| async move {
    let db = &t.db;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    tx.enqueue_job(&job("slow", None, now, 2)).await?;
    tx.commit().await?;
    let held = db.claim_job("dies", now, now + Duration::seconds(10)).await?.expect("due");
    assert_eq!(
        db.claim_job("other", now + Duration::seconds(5), now + Duration::seconds(15)).await?,
        None
    );
    assert!(db.extend_job_lease(held.id, "dies", now + Duration::seconds(20)).await?);
    assert_eq!(
        db.claim_job("other", now + Duration::seconds(15), now + Duration::seconds(25)).await?,
        None,
        "the heartbeat kept it"
    );
    // No more heartbeats: the lease runs out and another worker takes it.
    let taken = db
        .claim_job("other", now + Duration::seconds(21), now + Duration::seconds(60))
        .await?
        .expect("lease ran out");
    assert_eq!((taken.id, taken.attempts), (held.id, 2));
    assert!(!db.complete_job(held.id, "dies").await?, "the dead worker's result is dropped");
    assert!(!db.extend_job_lease(held.id, "dies", now + Duration::seconds(90)).await?);
    // It dies again on its last try: dead, with the reason.
    let found =
        db.claim_job("third", now + Duration::seconds(61), now + Duration::seconds(99)).await?;
    assert_eq!(found, None);
    let dead = db.list_jobs(Some(JobState::Dead), 10).await?;
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0].last_error.as_deref().unwrap_or_default().contains("lease ran out"),
        "{:?}",
        dead[0].last_error
    );
    Ok(())
});

db_test!(events_are_pruned_by_age, |t: TestDb| async move {
    let db = &t.db;
    for k in ["one", "two"] {
        let mut tx = db.begin().await?;
        tx.record_event(NewEvent { kind: k.into(), payload: "{}".into() });
        tx.commit().await?;
    }
    assert_eq!(db.prune_events(Utc::now() - Duration::hours(1)).await?, 0);
    assert_eq!(db.prune_events(Utc::now() + Duration::seconds(1)).await?, 2);
    assert_eq!(db.first_event_id().await?, None);
    let mut tx = db.begin().await?;
    tx.record_event(NewEvent { kind: "three".into(), payload: "{}".into() });
    let done = tx.commit().await?;
    assert!(done.event_ids[0] > 2, "ids are never reused after pruning: {:?}", done.event_ids);
    Ok(())
});

/// A tag's and an author's public lists, with their totals: ids in order.
async fn lists(db: &Database, tag: i64, author: i64) -> anyhow::Result<[(Vec<i64>, i64); 2]> {
    let mut out = [(Vec::new(), 0), (Vec::new(), 0)];
    for (i, f) in [ArticleFilter::Tag(tag), ArticleFilter::Author(author)].into_iter().enumerate() {
        let page = db.list_cards_page(f, 10, 0).await?;
        out[i] = (page.items.iter().map(|c| c.id).collect(), page.total);
        let feed = db.list_articles(f, 10).await?;
        assert_eq!(feed.iter().map(|a| a.id).collect::<Vec<_>>(), out[i].0, "feed = list");
    }
    Ok(out)
}

async fn set_state(
    db: &Database,
    id: i64,
    status: ArticleStatus,
    first: Option<DateTime<Utc>>,
) -> anyhow::Result<()> {
    let (_, v) = db.find_article_versioned(id).await?;
    let mut tx = db.begin().await?;
    let state = ArticleState {
        status,
        first_published_at: first,
        path: Some(format!("/world/{id}")),
        scheduled_at: None,
        updated_at: at(9, 0),
    };
    tx.set_article_state(id, &state, v).await?;
    tx.commit().await?;
    Ok(())
}

async fn tag_and_author(db: &Database) -> anyhow::Result<(i64, i64)> {
    let mut tx = db.begin().await?;
    let tag =
        tx.create_tag(&Tag { id: 0, name: "Ceasefire".into(), slug: "ceasefire".into() }).await?;
    let author = tx
        .create_author(&Author {
            id: 0,
            name: "Ana Reyes".into(),
            slug: "ana-reyes".into(),
            title: None,
            bio: String::new(),
            photo_media_id: None,
        })
        .await?;
    tx.commit().await?;
    Ok((tag.id, author.id))
}

fn tagged(headline: &str, section: i64, tag: i64, author: i64) -> Article {
    let mut a = article(headline, section);
    a.tags = vec![tag];
    a.bylines = vec![Byline::Author { author_id: author }];
    a
}

db_test!(tag_and_author_lists_follow_publication_dates_and_links, |t: TestDb| async move {
    use ArticleStatus::{Published, Unpublished};
    let db = &t.db;
    let s = section(db).await?;
    let (tag, author) = tag_and_author(db).await?;
    let a = insert(db, &tagged("First", s, tag, author)).await?;
    let b = insert(db, &tagged("Second", s, tag, author)).await?;
    let c = insert(db, &tagged("Still a draft", s, tag, author)).await?;
    let untagged = insert(db, &article("Elsewhere", s)).await?;
    set_state(db, untagged, Published, Some(at(8, 0))).await?;
    assert_eq!(lists(db, tag, author).await?, [(vec![], 0), (vec![], 0)], "drafts stay out");

    set_state(db, a, Published, Some(at(3, 0))).await?;
    set_state(db, b, Published, Some(at(5, 0))).await?;
    let both = (vec![b, a], 2);
    assert_eq!(lists(db, tag, author).await?, [both.clone(), both]);

    // Published later with an earlier date: ordered by the date.
    set_state(db, c, Published, Some(at(2, 0))).await?;
    let three = (vec![b, a, c], 3);
    assert_eq!(lists(db, tag, author).await?, [three.clone(), three]);
    let page = db.list_cards_page(ArticleFilter::Tag(tag), 1, 1).await?;
    assert_eq!((page.items.iter().map(|c| c.id).collect::<Vec<_>>(), page.total), (vec![a], 3));

    // Taken down: gone from both lists and counts; re-dated: moves.
    set_state(db, b, Unpublished, Some(at(5, 0))).await?;
    set_state(db, c, Published, Some(at(4, 0))).await?;
    let two = (vec![c, a], 2);
    assert_eq!(lists(db, tag, author).await?, [two.clone(), two.clone()]);
    // An edit of the taken-down article writes its links again: still out.
    let (mut down, v) = db.find_article_versioned(b).await?;
    down.dek = "Corrected".into();
    let mut tx = db.begin().await?;
    tx.update_article(&down, v).await?;
    tx.commit().await?;
    assert_eq!(lists(db, tag, author).await?, [two.clone(), two]);

    // Equal dates: the newer article first, as on every other list.
    set_state(db, a, Published, Some(at(4, 0))).await?;
    let (mut stored, v) = db.find_article_versioned(a).await?;
    assert!(a < c);
    assert_eq!(lists(db, tag, author).await?[0], (vec![c, a], 2));

    // An edit rewrites the links of a published article: it stays listed;
    // untagged and without the byline, it leaves the lists.
    stored.dek = "Edited".into();
    let mut tx = db.begin().await?;
    let v = tx.update_article(&stored, v).await?;
    tx.commit().await?;
    assert_eq!(lists(db, tag, author).await?[0], (vec![c, a], 2));
    stored.tags.clear();
    stored.bylines = vec![Byline::Credit { text: "Wire".into() }];
    let mut tx = db.begin().await?;
    tx.update_article(&stored, v).await?;
    tx.commit().await?;
    assert_eq!(lists(db, tag, author).await?, [(vec![c], 1), (vec![c], 1)]);
    Ok(())
});

/// A site upgraded from before the lists' own index finds its tag and
/// author pages filled in from what was already published.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_fills_in_the_lists_of_existing_articles() -> anyhow::Result<()> {
    for kind in [Kind::Sqlite, Kind::Postgres] {
        let Some(t) = TestDb::at_version(kind, 10).await? else { continue };
        let db = &t.db;
        let s = section(db).await?;
        let (tag, author) = tag_and_author(db).await?;
        let a = insert(db, &tagged("Old", s, tag, author)).await?;
        let draft = insert(db, &tagged("Old draft", s, tag, author)).await?;
        let down = insert(db, &tagged("Taken down", s, tag, author)).await?;
        set_state(db, a, ArticleStatus::Published, Some(at(3, 0))).await?;
        set_state(db, down, ArticleStatus::Published, Some(at(5, 0))).await?;
        set_state(db, down, ArticleStatus::Unpublished, Some(at(5, 0))).await?;
        assert!(db.migrate().await? >= 1, "{kind:?}");
        let one = (vec![a], 1);
        assert_eq!(lists(db, tag, author).await?, [one.clone(), one], "{kind:?}");
        set_state(db, draft, ArticleStatus::Published, Some(at(4, 0))).await?;
        let two = (vec![draft, a], 2);
        assert_eq!(lists(db, tag, author).await?, [two.clone(), two], "{kind:?}");
    }
    Ok(())
}
