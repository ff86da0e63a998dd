//! A use case that fails half-way leaves nothing behind. Failures are
//! injected with a database trigger that refuses one kind of row, so the
//! real statements run and the real transaction rolls back.

use crate::{article, editor, newsroom, section};
use newsdesk_app::Error;
use newsdesk_core::ArticleStatus;
use newsdesk_db::{Backend, Database};
use newsdesk_test_support::{TestDb, db_test};

/// Makes every insert into `jobs` fail, as a full disk or a lost connection
/// would half-way through a use case.
async fn break_job_inserts(db: &Database) -> anyhow::Result<()> {
    match db.backend() {
        Backend::Sqlite => {
            db.execute_sql(
                "CREATE TRIGGER fail_jobs BEFORE INSERT ON jobs BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
            )
            .await?;
        }
        Backend::Postgres => {
            db.execute_sql(
                "CREATE FUNCTION fail_jobs() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql; \
                 CREATE TRIGGER fail_jobs BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION fail_jobs()",
            )
            .await?;
        }
    }
    Ok(())
}

/// What a publish writes besides the article's row: revisions, events,
/// its rail, its postings and profile and the published count.
type Footprint = (ArticleStatus, i32, usize, i64, usize, (i64, bool, i64));

async fn footprint(db: &Database, id: i64) -> anyhow::Result<Footprint> {
    let (a, v) = db.find_article_versioned(id).await?;
    let revisions = db.list_revisions(id).await?.len();
    let events = db.last_event_id().await?;
    let rail = db.related_ids(id).await?.len();
    Ok((a.status, v, revisions, events, rail, db.related_footprint(id).await?))
}

db_test!(a_publish_that_fails_half_way_leaves_nothing_behind, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let first = n.create_draft(&editor(), article("Water treaty talks resume", s)).await?;
    n.publish(&editor(), first.article.id, None).await?;
    let d = n.create_draft(&editor(), article("Water treaty talks stall", s)).await?;
    let before = footprint(n.db(), d.article.id).await?;
    let jobs_before = n.db().job_counts().await?;
    let listed_before = n.db().articles_relating_to(d.article.id).await?;
    break_job_inserts(n.db()).await?;
    // The publish writes the status and path, the postings and the rail,
    // then fails enqueueing its job: all of it must go.
    let err = n.publish(&editor(), d.article.id, None).await.expect_err("injected");
    assert!(matches!(err, Error::Internal(_)), "{err:?}");
    assert!(format!("{:?}", err).contains("injected failure"), "{err:?}");
    assert_eq!(footprint(n.db(), d.article.id).await?, before);
    assert_eq!(before.0, ArticleStatus::Draft);
    assert_eq!(before.5, (0, false, 1), "no postings, no profile, one published article");
    assert_eq!(n.db().job_counts().await?, jobs_before);
    assert_eq!(n.db().articles_relating_to(d.article.id).await?, listed_before);
    assert!(n.db().find_article(d.article.id).await?.path.is_none(), "no path was fixed");
    assert_eq!(n.db().count_published().await?, 1);
    Ok(())
});

db_test!(a_failed_unpublish_keeps_the_story_up, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let mut ids = Vec::new();
    for h in ["Harbour strike enters third day", "Harbour strike talks collapse"] {
        let d = n.create_draft(&editor(), article(h, s)).await?;
        n.publish(&editor(), d.article.id, None).await?;
        ids.push(d.article.id);
    }
    crate::drain(&n).await?;
    let listed = n.db().articles_relating_to(ids[0]).await?;
    assert_eq!(listed, vec![ids[1]]);
    let before = footprint(n.db(), ids[0]).await?;
    break_job_inserts(n.db()).await?;
    assert!(n.unpublish(&editor(), ids[0]).await.is_err());
    assert_eq!(footprint(n.db(), ids[0]).await?, before);
    assert_eq!(n.db().articles_relating_to(ids[0]).await?, listed, "still in the rails");
    assert!(before.5.1, "still indexed");
    Ok(())
});
