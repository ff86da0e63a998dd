//! Every use case: what it checks, what it writes, what it records.

use crate::{article, at, drain, editor, event_kinds, newsroom, section};
use chrono::{Duration, Utc};
use newsdesk_app::events::Event;
use newsdesk_app::{Actor, Error};
use newsdesk_core::{ArticleStatus, Byline, Media, Problem, Section, Tag};
use newsdesk_test_support::{TestDb, db_test};

db_test!(a_draft_is_stored_with_a_slug_a_revision_and_an_event, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let before = n.db().last_event_id().await?;
    let mut a = article("Talks resume in Geneva", s);
    a.slug.clear();
    let saved = n.create_draft(&editor(), a).await?;
    assert_eq!(saved.version, 1);
    assert_eq!(saved.article.slug, "talks-resume-in-geneva");
    assert_eq!(saved.article.status, ArticleStatus::Draft);
    let revs = n.db().list_revisions(saved.article.id).await?;
    assert_eq!(revs.len(), 1);
    assert_eq!(
        (revs[0].reason.as_str(), revs[0].actor.as_str()),
        ("create", "operator: test editor")
    );
    assert!(revs[0].has_content);
    assert_eq!(event_kinds(&n, before).await?, vec!["article.created"]);
    Ok(())
});

db_test!(drafts_may_be_incomplete_but_not_malformed, |t: TestDb| async move {
    let n = newsroom(&t);
    let mut a = article("", 0);
    a.section_id = None;
    a.bylines.clear();
    a.body.clear();
    a.slug.clear();
    let empty = n.create_draft(&editor(), a).await?;
    assert_eq!(empty.article.slug, "untitled");
    let mut bad = article("x", 0);
    bad.section_id = None;
    bad.slug = "Not A Slug".into();
    bad.dek = "d".repeat(newsdesk_core::MAX_DEK_CHARS + 1);
    match n.create_draft(&editor(), bad).await {
        Err(Error::Invalid(problems)) => assert_eq!(
            problems.iter().map(Problem::field).collect::<Vec<_>>(),
            vec!["slug", "dek"],
            "{problems:?}"
        ),
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(n.db().count_articles().await?, 1, "nothing stored for the refused draft");
    Ok(())
});

db_test!(publishing_checks_everything_and_names_each_field, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let mut a = article("No byline", s);
    a.bylines.clear();
    // A picture that does not exist is refused even in a draft...
    a.lead = Some(newsdesk_core::Figure::of(77));
    let refused = n.create_draft(&editor(), a.clone()).await;
    assert!(
        matches!(&refused, Err(Error::Invalid(p)) if p == &vec![Problem::UnknownLeadMedia(77)]),
        "{refused:?}"
    );
    let mut b = a.clone();
    b.body.push(newsdesk_core::Block::Figure(newsdesk_core::Figure::of(78)));
    let refused = n.create_draft(&editor(), b).await;
    assert!(
        matches!(&refused, Err(Error::Invalid(p)) if p == &vec![
            Problem::UnknownLeadMedia(77),
            Problem::UnknownMedia { block: 1, media_id: 78 },
        ]),
        "{refused:?}"
    );
    // ...one without alt text or credit is not, until publication.
    let bare =
        Media { file: "photos/bare.jpg".into(), width: 800, height: 450, ..Media::default() };
    let bare = n.add_media(&editor(), bare).await?.id;
    a.lead = Some(newsdesk_core::Figure::of(bare));
    let draft = n.create_draft(&editor(), a).await?;
    let before = n.db().last_event_id().await?;
    let err = n.publish(&editor(), draft.article.id, None).await.expect_err("incomplete");
    let Error::Unpublishable(problems) = &err else {
        panic!("expected Unpublishable, got {err:?}")
    };
    let named: Vec<(String, &str)> = problems.iter().map(|p| (p.field(), p.code())).collect();
    assert_eq!(
        named,
        vec![
            ("bylines".to_owned(), "no_byline"),
            ("lead.alt".to_owned(), "missing_alt"),
            ("lead.credit".to_owned(), "missing_credit"),
        ]
    );
    assert!(err.to_string().starts_with("cannot publish: there is no byline"), "{err}");
    let (stored, v) = n.db().find_article_versioned(draft.article.id).await?;
    assert_eq!((stored.status, v), (ArticleStatus::Draft, 1), "nothing changed");
    assert_eq!(event_kinds(&n, before).await?, Vec::<String>::new());
    assert_eq!(n.db().job_counts().await?, (0, 0, 0));
    Ok(())
});

db_test!(publishing_fixes_a_dated_path_whose_date_never_moves, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let draft = n.create_draft(&editor(), article("Talks resume in Geneva", s)).await?;
    let before = n.db().last_event_id().await?;
    // 03:00 UTC on the 2nd is still the 1st in New York.
    let p = n.publish_as_of(&editor(), draft.article.id, at(2, 3)).await?;
    assert_eq!(p.article.path.as_deref(), Some("/world/2026/03/01/talks-resume-in-geneva"));
    assert_eq!(p.version, 2);
    assert_eq!(event_kinds(&n, before).await?, vec!["article.published"]);
    let jobs = n.db().list_jobs(None, 10).await?;
    assert_eq!(
        jobs.iter().map(|j| j.kind.as_str()).collect::<Vec<_>>(),
        vec!["related.neighbours"]
    );
    // A later edit keeps the URL; a new slug (an editor's call) moves only
    // its last part, never the date, and the old URL leads to the new one.
    let mut edited = p.article.clone();
    edited.headlines.display = "Talks resume in Geneva, again".into();
    let saved = n.save(&editor(), edited, p.version).await?;
    assert_eq!(saved.article.path, p.article.path);
    let mut renamed = saved.article.clone();
    renamed.slug = "renamed".into();
    let moved = n.save(&editor(), renamed, saved.version).await?;
    assert_eq!(moved.article.path.as_deref(), Some("/world/2026/03/01/renamed"));
    let found = n.db().find_article_by_path("/world/2026/03/01/renamed").await?.expect("moved");
    assert_eq!(found.headlines.display, "Talks resume in Geneva, again");
    assert_eq!(found.first_published_at, Some(at(2, 3)));
    assert_eq!(
        n.db().redirect("/world/2026/03/01/talks-resume-in-geneva").await?,
        Some(("/world/2026/03/01/renamed".into(), newsdesk_core::ArticleStatus::Published))
    );
    assert!(
        n.db().find_article_by_path("/world/2026/03/01/talks-resume-in-geneva").await?.is_none()
    );
    let reasons: Vec<String> =
        n.db().list_revisions(p.article.id).await?.into_iter().map(|r| r.reason).collect();
    assert_eq!(reasons, vec!["save", "save", "publish", "create"]);
    // The workflow: published copy cannot go back to review.
    let err = n.submit_for_review(&editor(), p.article.id, None).await.expect_err("workflow");
    assert!(matches!(err, Error::Transition(_)), "{err:?}");
    assert_eq!(err.to_string(), "an article cannot go from published to review");
    Ok(())
});

db_test!(two_articles_never_share_a_path, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let a = n.create_draft(&editor(), article("Same headline", s)).await?;
    let b = n.create_draft(&editor(), article("Same headline", s)).await?;
    let c = n.create_draft(&editor(), article("Same headline", s)).await?;
    n.publish_as_of(&editor(), a.article.id, at(3, 12)).await?;
    // The later ones of the day get the next free number, slug and path
    // alike, stored.
    let second = n.publish_as_of(&editor(), b.article.id, at(3, 15)).await?;
    assert_eq!(second.article.path.as_deref(), Some("/world/2026/03/03/same-headline-2"));
    let stored = n.db().find_article(b.article.id).await?;
    assert_eq!(
        (stored.slug.as_str(), stored.status),
        ("same-headline-2", ArticleStatus::Published)
    );
    let third = n.publish_as_of(&editor(), c.article.id, at(3, 16)).await?;
    assert_eq!(third.article.path.as_deref(), Some("/world/2026/03/03/same-headline-3"));
    // Another day, the plain slug again.
    let d = n.create_draft(&editor(), article("Same headline", s)).await?;
    let next_day = n.publish_as_of(&editor(), d.article.id, at(4, 15)).await?;
    assert_eq!(next_day.article.path.as_deref(), Some("/world/2026/03/04/same-headline"));
    // Two articles still cannot be given one address by hand.
    let mut clash = third.article.clone();
    clash.slug = "same-headline".into();
    let err = n.save(&editor(), clash, third.version).await.expect_err("clash");
    match &err {
        Error::Conflict { constraint, message } => {
            assert_eq!(constraint, "articles.path");
            assert_eq!(
                message,
                "another article has or had the address /world/2026/03/03/same-headline"
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    Ok(())
});

db_test!(a_stale_save_is_refused_with_the_current_version, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let d = n.create_draft(&editor(), article("Original", s)).await?;
    let mut one = d.article.clone();
    let mut two = d.article.clone();
    one.dek = "Editor one".into();
    let v2 = n.save(&editor(), one, d.version).await?.version;
    two.dek = "Editor two".into();
    match n.save(&editor(), two, d.version).await {
        Err(Error::Stale { current_version }) => assert_eq!(current_version, v2),
        other => panic!("expected Stale, got {other:?}"),
    }
    assert_eq!(n.db().find_article(d.article.id).await?.dek, "Editor one");
    let err = n.publish(&editor(), d.article.id, Some(d.version)).await.expect_err("stale publish");
    assert!(matches!(err, Error::Stale { current_version } if current_version == v2));
    Ok(())
});

db_test!(a_public_article_must_stay_publishable, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let d = n.create_draft(&editor(), article("Live story", s)).await?;
    let p = n.publish(&editor(), d.article.id, None).await?;
    let mut broken = p.article.clone();
    broken.bylines.clear();
    match n.save(&editor(), broken, p.version).await {
        Err(Error::Unpublishable(problems)) => assert_eq!(problems, vec![Problem::NoByline]),
        other => panic!("expected Unpublishable, got {other:?}"),
    }
    assert_eq!(n.db().find_article(d.article.id).await?.bylines.len(), 1);
    Ok(())
});

db_test!(scheduling_publishes_through_a_job_at_its_time, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let d = n.create_draft(&editor(), article("Embargoed report", s)).await?;
    let past = n.schedule(&editor(), d.article.id, Utc::now() - Duration::minutes(1), None).await;
    assert!(matches!(past, Err(Error::Refused(_))), "{past:?}");
    let when = Utc::now() + Duration::milliseconds(600);
    let sch = n.schedule(&editor(), d.article.id, when, None).await?;
    assert_eq!(sch.article.status, ArticleStatus::Scheduled);
    assert_eq!(
        sch.article.scheduled_at.map(|t| t.timestamp_millis()),
        Some(when.timestamp_millis())
    );
    let jobs = n.db().list_jobs(None, 10).await?;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].kind, "article.publish_scheduled");
    assert_eq!(jobs[0].run_at.timestamp_millis(), when.timestamp_millis());
    assert!(drain(&n).await?.is_empty(), "not due yet");
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let ran: Vec<String> = drain(&n)
        .await?
        .into_iter()
        .filter_map(|o| match o {
            newsdesk_app::worker::Outcome::Done { kind, .. } => Some(kind),
            _ => None,
        })
        .collect();
    assert_eq!(ran, vec!["article.publish_scheduled", "related.neighbours"]);
    let live = n.db().find_article(d.article.id).await?;
    assert_eq!(live.status, ArticleStatus::Published);
    assert!(live.path.is_some());
    assert_eq!(live.scheduled_at, None);
    // Running the same job again (at-least-once delivery) changes nothing.
    let mut w = n.begin(&Actor::system("scheduler")).await?;
    assert_eq!(w.publish_scheduled(d.article.id, when).await?, None);
    drop(w);
    Ok(())
});

db_test!(a_rescheduled_article_ignores_its_old_job, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let d = n.create_draft(&editor(), article("Moved embargo", s)).await?;
    let first = Utc::now() + Duration::milliseconds(300);
    let sch = n.schedule(&editor(), d.article.id, first, None).await?;
    // Back to review, then scheduled much later.
    n.submit_for_review(&editor(), d.article.id, Some(sch.version)).await?;
    n.schedule(&editor(), d.article.id, Utc::now() + Duration::hours(2), None).await?;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(drain(&n).await?.len(), 1, "the old job ran and did nothing");
    assert_eq!(n.db().find_article(d.article.id).await?.status, ArticleStatus::Scheduled);
    Ok(())
});

db_test!(unpublishing_frees_rails_and_asks_for_a_refill, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let mut ids = Vec::new();
    for (i, h) in [
        "Water treaty talks resume in Geneva",
        "Water treaty talks stall in Geneva",
        "Water treaty signed in Geneva",
    ]
    .iter()
    .enumerate()
    {
        let d = n.create_draft(&editor(), article(h, s)).await?;
        n.publish_as_of(&editor(), d.article.id, at(2 + i as u32, 9)).await?;
        ids.push(d.article.id);
    }
    drain(&n).await?;
    let listers = n.db().articles_relating_to(ids[0]).await?;
    assert_eq!(listers, vec![ids[1], ids[2]]);
    let before = n.db().last_event_id().await?;
    n.unpublish(&editor(), ids[0]).await?;
    let events = n.db().events_after(before, 10).await?;
    match Event::from_stored(&events[0]) {
        Event::ArticleUnpublished { id, listed_by, .. } => {
            assert_eq!(id, ids[0]);
            assert_eq!(listed_by, listers, "the pages that showed it in their rail");
        }
        other => panic!("expected article.unpublished, got {other:?}"),
    }
    assert!(n.db().articles_relating_to(ids[0]).await?.is_empty(), "gone from every rail at once");
    let jobs = n.db().list_jobs(None, 10).await?;
    assert_eq!(jobs.iter().map(|j| j.kind.as_str()).collect::<Vec<_>>(), vec!["related.refill"]);
    drain(&n).await?;
    for id in &ids[1..] {
        let rail: Vec<i64> = n.db().related_ids(*id).await?.into_iter().map(|r| r.0).collect();
        assert!(!rail.contains(&ids[0]));
        assert_eq!(rail.len(), 1, "refilled with what is left: {rail:?}");
    }
    // Republished, it comes back at the same path.
    let again = n.publish(&editor(), ids[0], None).await?;
    assert_eq!(again.article.path, n.db().find_article(ids[0]).await?.path);
    Ok(())
});

db_test!(corrections_are_public_notes_on_published_articles, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let d = n.create_draft(&editor(), article("Venue announced", s)).await?;
    let refused = n.correct(&editor(), d.article.id, "Wrong venue.").await;
    assert!(matches!(refused, Err(Error::Refused(_))), "drafts are edited, not corrected");
    let p = n.publish_as_of(&editor(), d.article.id, at(2, 9)).await?;
    assert!(matches!(n.correct(&editor(), d.article.id, "   ").await, Err(Error::Refused(_))));
    let before = n.db().last_event_id().await?;
    let c = n.correct(&editor(), d.article.id, "An earlier version misstated the venue.").await?;
    assert_eq!(c.version, p.version + 1);
    assert_eq!(c.article.corrections.len(), 1);
    assert!(c.article.updated_at > p.article.updated_at, "readers are told it was updated");
    assert_eq!(event_kinds(&n, before).await?, vec!["article.updated"]);
    let long = "x".repeat(newsdesk_app::MAX_CORRECTION_CHARS + 1);
    assert!(matches!(n.correct(&editor(), d.article.id, &long).await, Err(Error::Invalid(_))));
    Ok(())
});

db_test!(restoring_a_revision_makes_a_new_one, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let d = n.create_draft(&editor(), article("First wording", s)).await?;
    let mut e = d.article.clone();
    e.headlines.display = "Second wording".into();
    let v2 = n.save(&editor(), e, d.version).await?;
    let p = n.publish(&editor(), d.article.id, Some(v2.version)).await?;
    // Version 3 (the publish) has no content of its own: restoring version
    // 1 brings back the first text and keeps the article public.
    let r = n.restore_revision(&editor(), d.article.id, 1, Some(p.version)).await?;
    assert_eq!(r.article.headlines.display, "First wording");
    assert_eq!(r.article.status, ArticleStatus::Published);
    assert_eq!(r.article.path, p.article.path);
    let revs = n.db().list_revisions(d.article.id).await?;
    assert_eq!(revs[0].reason, "restore");
    assert_eq!(revs[0].version, p.version + 1);
    let missing = n.restore_revision(&editor(), d.article.id, 99, None).await;
    assert!(matches!(missing, Err(Error::NotFound { .. })), "{missing:?}");
    Ok(())
});

db_test!(taxonomy_edits_are_checked_and_announced, |t: TestDb| async move {
    let n = newsroom(&t);
    let before = n.db().last_event_id().await?;
    let s = section(&n, "world").await?;
    let tag =
        n.create_tag(&editor(), Tag { id: 0, name: "Water".into(), slug: "water".into() }).await?;
    n.update_tag(&editor(), Tag { name: "Water rights".into(), ..tag.clone() }).await?;
    let bad =
        n.create_tag(&editor(), Tag { id: 0, name: "Bad".into(), slug: "Bad Slug".into() }).await;
    assert!(
        matches!(&bad, Err(Error::Invalid(p)) if p.iter().map(Problem::code).eq(["bad_slug"])),
        "{bad:?}"
    );
    let dup = n
        .create_section(
            &editor(),
            Section {
                id: 0,
                name: "W".into(),
                slug: "world".into(),
                position: 2,
                description: String::new(),
            },
        )
        .await;
    assert!(
        matches!(&dup, Err(Error::Conflict { constraint, .. }) if constraint == "sections.slug"),
        "{dup:?}"
    );
    // A section in use cannot go.
    n.create_draft(&editor(), article("Uses the section", s)).await?;
    let in_use = n.delete_section(&editor(), s).await;
    assert!(matches!(in_use, Err(Error::Conflict { .. })), "{in_use:?}");
    assert_eq!(n.db().list_sections().await?.len(), 1);
    n.delete_tag(&editor(), tag.id).await?;
    assert!(matches!(n.delete_tag(&editor(), tag.id).await, Err(Error::NotFound { .. })));
    let kinds = event_kinds(&n, before).await?;
    assert_eq!(
        kinds,
        vec![
            "taxonomy.changed",
            "taxonomy.changed",
            "taxonomy.changed",
            "article.created",
            "taxonomy.changed"
        ]
    );
    Ok(())
});

db_test!(a_read_only_actor_changes_nothing, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let d = n.create_draft(&editor(), article("Existing", s)).await?;
    let ro = Actor::read_only("content key");
    let before = n.db().last_event_id().await?;
    let id = d.article.id;
    let results = vec![
        n.create_draft(&ro, article("New", s)).await.err(),
        n.save(&ro, d.article.clone(), d.version).await.err(),
        n.submit_for_review(&ro, id, None).await.err(),
        n.publish(&ro, id, None).await.err(),
        n.schedule(&ro, id, Utc::now() + Duration::hours(1), None).await.err(),
        n.unpublish(&ro, id).await.err(),
        n.correct(&ro, id, "x").await.err(),
        n.restore_revision(&ro, id, 1, None).await.err(),
        n.create_tag(&ro, Tag { id: 0, name: "T".into(), slug: "t".into() }).await.err(),
        n.delete_section(&ro, s).await.err(),
        n.add_media(
            &ro,
            Media {
                id: 0,
                file: "x.jpg".into(),
                width: 1,
                height: 1,
                alt: None,
                caption: None,
                credit: None,
                rights: None,
                renditions: vec![],
                ..Media::default()
            },
        )
        .await
        .err(),
        n.request_related_rebuild(&ro).await.err(),
    ];
    for r in results {
        assert!(matches!(r, Some(Error::Forbidden(_))), "{r:?}");
    }
    assert_eq!(n.db().last_event_id().await?, before);
    assert_eq!(n.db().count_articles().await?, 1);
    assert_eq!(n.db().list_revisions(id).await?.len(), 1);
    let err = n.publish(&ro, id, None).await.expect_err("forbidden");
    assert_eq!(err.to_string(), "content key may not publish this article");
    Ok(())
});

db_test!(a_credit_byline_counts_as_a_byline_but_a_blank_one_does_not, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let mut a = article("Credits", s);
    a.bylines = vec![Byline::Credit { text: "  ".into() }];
    let d = n.create_draft(&editor(), a).await?;
    match n.publish(&editor(), d.article.id, None).await {
        Err(Error::Unpublishable(p)) => assert_eq!(p, vec![Problem::BlankCredit(0)]),
        other => panic!("{other:?}"),
    }
    Ok(())
});

db_test!(references_must_exist_and_a_repeated_tag_counts_once, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let tag =
        n.create_tag(&editor(), Tag { id: 0, name: "Water".into(), slug: "water".into() }).await?;
    let mut a = article("Refers to nothing", 999);
    a.tags = vec![tag.id, 4242];
    a.bylines.push(Byline::Author { author_id: 77 });
    match n.create_draft(&editor(), a).await {
        Err(Error::Invalid(problems)) => assert_eq!(
            problems,
            vec![
                Problem::UnknownReference { field: "section_id", id: 999 },
                Problem::UnknownReference { field: "tags", id: 4242 },
                Problem::UnknownReference { field: "bylines", id: 77 },
            ]
        ),
        other => panic!("expected Invalid, got {other:?}"),
    }
    let mut b = article("Tagged twice", s);
    b.tags = vec![tag.id, tag.id];
    let d = n.create_draft(&editor(), b).await?;
    assert_eq!(d.article.tags, vec![tag.id]);
    assert_eq!(n.db().find_article(d.article.id).await?.tags, vec![tag.id]);
    Ok(())
});

db_test!(media_and_taxonomy_are_validated_before_they_are_stored, |t: TestDb| async move {
    let n = newsroom(&t);
    let mut m = Media {
        id: 0,
        file: "../../etc/passwd".into(),
        width: 800,
        height: 450,
        alt: None,
        caption: None,
        credit: None,
        rights: None,
        renditions: vec![],
        ..Media::default()
    };
    match n.add_media(&editor(), m.clone()).await {
        Err(Error::Invalid(p)) => {
            assert_eq!(p, vec![Problem::BadMediaPath("../../etc/passwd".into())])
        }
        other => panic!("{other:?}"),
    }
    m.file = "photos/harbour.jpg".into();
    assert!(n.add_media(&editor(), m).await?.id > 0);
    let empty =
        n.create_tag(&editor(), Tag { id: 0, name: "  ".into(), slug: "blank".into() }).await;
    assert!(
        matches!(&empty, Err(Error::Invalid(p)) if p == &vec![Problem::Missing("name")]),
        "{empty:?}"
    );
    assert!(n.db().list_tags().await?.is_empty());
    Ok(())
});

db_test!(
    a_scheduled_article_that_became_unpublishable_goes_back_to_review,
    |t: TestDb| async move {
        let n = newsroom(&t);
        let s = section(&n, "world").await?;
        let d = n.create_draft(&editor(), article("Embargoed", s)).await?;
        let when = Utc::now() + Duration::milliseconds(400);
        let sch = n.schedule(&editor(), d.article.id, when, None).await?;
        // Saving it into an unpublishable state is refused...
        let mut broken = sch.article.clone();
        broken.bylines.clear();
        assert!(matches!(
            n.save(&editor(), broken, sch.version).await,
            Err(Error::Unpublishable(_))
        ));
        // ...but something outside the newsroom's control can still break it.
        n.db().execute_sql("UPDATE articles SET bylines = '[]' WHERE status = 'scheduled'").await?;
        let before = n.db().last_event_id().await?;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        drain(&n).await?;
        let a = n.db().find_article(d.article.id).await?;
        assert_eq!(a.status, ArticleStatus::Review, "not left scheduled forever");
        assert_eq!(a.scheduled_at, None);
        let events = n.db().events_after(before, 10).await?;
        match events
            .iter()
            .map(Event::from_stored)
            .find(|e| matches!(e, Event::ScheduleFailed { .. }))
        {
            Some(Event::ScheduleFailed { id, problems }) => {
                assert_eq!(id, d.article.id);
                assert_eq!(problems, vec!["there is no byline: add an author or a credit line"]);
            }
            other => panic!("expected article.schedule_failed, got {other:?}"),
        }
        assert_eq!(n.db().job_counts().await?, (0, 0, 0), "no job left to retry for hours");
        Ok(())
    }
);

db_test!(
    a_scheduled_publication_that_fails_its_last_try_goes_back_to_review,
    |t: TestDb| async move {
        let n = newsroom(&t);
        let s = section(&n, "world").await?;
        let d = n.create_draft(&editor(), article("Budget vote", s)).await?;
        let when = Utc::now() + Duration::milliseconds(300);
        n.schedule(&editor(), d.article.id, when, None).await?;
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        // Every try fails for a reason that has nothing to do with the
        // article (the database refusing the write, say).
        let mut jobs = newsdesk_app::jobs::builtin();
        jobs.register("article.publish_scheduled", |_| {
            Box::pin(async { anyhow::bail!("disk I/O error") })
        });
        let w = newsdesk_app::worker::Worker::new(
            n.clone(),
            jobs,
            newsdesk_app::worker::WorkerConfig {
                base_backoff: std::time::Duration::ZERO,
                ..Default::default()
            },
        );
        let before = n.db().last_event_id().await?;
        let outcomes = w.drain().await?;
        assert_eq!(outcomes.len(), 20, "every try was made: {outcomes:?}");
        assert!(matches!(outcomes.last(), Some(newsdesk_app::worker::Outcome::Dead { .. })));
        let a = n.db().find_article(d.article.id).await?;
        assert_eq!(a.status, ArticleStatus::Review, "not left scheduled with a time long past");
        assert_eq!(a.scheduled_at, None);
        let last = n.db().list_revisions(d.article.id).await?.into_iter().next();
        let last = last.expect("a revision says what happened");
        assert_eq!(last.reason, "schedule failed");
        assert!(last.note.contains("disk I/O error"), "{}", last.note);
        let failed = n
            .db()
            .events_after(before, 10)
            .await?
            .iter()
            .map(Event::from_stored)
            .find(|e| matches!(e, Event::ScheduleFailed { .. }));
        assert!(
            matches!(&failed, Some(Event::ScheduleFailed { id, problems })
                if *id == d.article.id && problems[0].contains("disk I/O error")),
            "{failed:?}"
        );
        Ok(())
    }
);

db_test!(
    a_scheduled_article_whose_job_died_unsettled_is_swept_back_to_review,
    |t: TestDb| async move {
        let n = newsroom(&t);
        let s = section(&n, "world").await?;
        let d = n.create_draft(&editor(), article("Ferry timetable", s)).await?;
        let when = Utc::now() + Duration::milliseconds(200);
        n.schedule(&editor(), d.article.id, when, None).await?;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        // A worker that dies with the job on its last try: nothing settles
        // it (no dead-job handler here).
        let mut r = newsdesk_app::worker::Registry::new();
        r.register("article.publish_scheduled", |_| {
            Box::pin(async { anyhow::bail!("the worker was killed") })
        });
        let w = newsdesk_app::worker::Worker::new(
            n.clone(),
            r,
            newsdesk_app::worker::WorkerConfig {
                base_backoff: std::time::Duration::ZERO,
                ..Default::default()
            },
        );
        w.drain().await?;
        assert_eq!(n.db().job_counts().await?.2, 1, "dead");
        assert_eq!(n.db().find_article(d.article.id).await?.status, ArticleStatus::Scheduled);
        // Any worker's sweep sends it back, once.
        assert_eq!(newsdesk_app::jobs::settle_dead_schedules(&n).await?, 1);
        let a = n.db().find_article(d.article.id).await?;
        assert_eq!((a.status, a.scheduled_at), (ArticleStatus::Review, None));
        let last = n.db().list_revisions(d.article.id).await?.into_iter().next();
        assert!(last.is_some_and(|r| r.note.contains("the worker was killed")));
        assert_eq!(newsdesk_app::jobs::settle_dead_schedules(&n).await?, 0, "only once");
        Ok(())
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgraded_archive_gets_its_related_index_from_the_queued_rebuild() -> anyhow::Result<()>
{
    for kind in [newsdesk_test_support::Kind::Sqlite, newsdesk_test_support::Kind::Postgres] {
        // An archive as the previous release left it: schema version 2, two
        // published articles on one story, no postings.
        let Some(t) = TestDb::at_version(kind, 2).await? else { continue };
        t.db.execute_sql(
            "INSERT INTO sections (id, name, slug, position) VALUES (1, 'World', 'world', 1)",
        )
        .await?;
        t.db.execute_sql(
            "INSERT INTO media (id, file, width, height) VALUES (1, 'p/1.jpg', 800, 450), \
             (2, 'p/2.jpg', 800, 450)",
        )
        .await?;
        t.db.execute_sql(
            "INSERT INTO articles (id, slug, headline, section_id, body, bylines, status, first_published_at, \
             updated_at, path, terms, lead) VALUES \
             (1, 'a', 'Dock strike spreads', 1, '[{\"type\":\"figure\",\"media_id\":1},{\"type\":\"figure\",\"media_id\":7}]', '[]', 'published', '2026-03-01 09:00:00+00:00', \
              '2026-03-01 09:00:00+00:00', '/world/2026/03/01/a', '[[\"dock\",2.0],[\"strike\",2.0]]', NULL), \
             (2, 'b', 'Dock strike ends', 1, '[]', '[]', 'published', '2026-03-02 09:00:00+00:00', \
              '2026-03-02 09:00:00+00:00', '/world/2026/03/02/b', '[[\"dock\",2.0],[\"strike\",2.0],[\"end\",1.0]]', \
              '{\"media_id\":1}')",
        )
        .await?;
        // Steps 3 (the application layer), 4 (accounts), 5 (the desk),
        // 6 (settings), 7 (embargoes), 8 (the media library), 9
        // (integrations), 10 (imports) and 11 (tag and author lists).
        assert_eq!(t.db.migrate().await?, 9);
        // The library learns where its pictures already are (a figure of
        // a missing item is left out).
        let uses: Vec<i64> = t.db.media_uses(1).await?.iter().map(|u| u.article_id).collect();
        assert_eq!(uses, vec![2, 1]);
        assert!(t.db.media_uses(2).await?.is_empty());
        let jobs = t.db.list_jobs(None, 10).await?;
        assert_eq!(
            jobs.iter().map(|j| j.kind.as_str()).collect::<Vec<_>>(),
            vec!["related.rebuild"]
        );
        let n = newsroom(&t);
        drain(&n).await?;
        assert_eq!(t.db.related_footprint(1).await?, (2, true, 2));
        assert_eq!(t.db.related_ids(1).await?.iter().map(|r| r.0).collect::<Vec<_>>(), vec![2]);
        assert_eq!(t.db.job_counts().await?, (0, 0, 0));
    }
    Ok(())
}

db_test!(publishing_or_unpublishing_twice_changes_nothing, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let d = n.create_draft(&editor(), article("Twice", s)).await?;
    let p = n.publish(&editor(), d.article.id, None).await?;
    let before = n.db().last_event_id().await?;
    let again = n.publish(&editor(), d.article.id, None).await?;
    assert_eq!(again.version, p.version);
    let u = n.unpublish(&editor(), d.article.id).await?;
    let u2 = n.unpublish(&editor(), d.article.id).await?;
    assert_eq!(u2.version, u.version);
    assert_eq!(event_kinds(&n, before).await?, vec!["article.unpublished"]);
    assert_eq!(n.db().list_revisions(d.article.id).await?.len(), 3, "create, publish, unpublish");
    Ok(())
});

db_test!(
    an_embargoed_article_is_published_neither_now_nor_by_an_early_schedule,
    |t: TestDb| async move {
        let n = newsroom(&t);
        let s = section(&n, "world").await?;
        let mut a = article("Report under embargo", s);
        let until = chrono::Utc::now() + chrono::Duration::hours(2);
        a.embargo_until = Some(until);
        let d = n.create_draft(&editor(), a).await?;
        let id = d.article.id;
        let now = n.publish(&editor(), id, None).await;
        assert!(
            matches!(&now, Err(Error::Refused(m)) if m.starts_with("it is under embargo until")),
            "{now:?}"
        );
        let early = n.schedule(&editor(), id, until - chrono::Duration::minutes(5), None).await;
        assert!(
            matches!(&early, Err(Error::Refused(m)) if m.contains("before the embargo ends")),
            "{early:?}"
        );
        assert_eq!(n.db().find_article(id).await?.status, ArticleStatus::Draft, "nothing changed");
        // At or after the embargo: scheduled; moving the embargo past the
        // schedule is refused.
        let at = until + chrono::Duration::minutes(1);
        let scheduled = n.schedule(&editor(), id, at, None).await?;
        let mut later = scheduled.article.clone();
        later.embargo_until = Some(at + chrono::Duration::hours(1));
        let moved = n.save(&editor(), later, scheduled.version).await;
        assert!(
            matches!(&moved, Err(Error::Refused(m)) if m.contains("unschedule it first")),
            "{moved:?}"
        );
        // The embargo is kept with the article and its revisions.
        assert_eq!(
            n.db().find_article(id).await?.embargo_until.map(|u| u.timestamp()),
            Some(until.timestamp())
        );
        let old = n.db().revision_content(id, 1).await?;
        assert_eq!(old.embargo_until.map(|u| u.timestamp()), Some(until.timestamp()));
        // Lifted, it publishes.
        let (mut lifted, v) = n.db().find_article_versioned(id).await?;
        lifted.embargo_until = None;
        let saved = n.save(&editor(), lifted, v).await?;
        let done = n.publish(&editor(), id, Some(saved.version)).await?;
        assert_eq!(done.article.status, ArticleStatus::Published);
        Ok(())
    }
);
