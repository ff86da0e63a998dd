//! Workers: retries with backoff, the dead-letter state, panics, and two
//! workers sharing one queue.

use crate::newsroom;
use chrono::Utc;
use newsdesk_app::Newsroom;
use newsdesk_app::worker::{Outcome, Registry, Worker, WorkerConfig};
use newsdesk_db::{JobState, NewJob};
use newsdesk_test_support::{TestDb, db_test};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn enqueue(
    n: &Newsroom,
    kind: &str,
    payload: String,
    max_attempts: i32,
) -> anyhow::Result<i64> {
    let mut tx = n.db().begin().await?;
    let id = tx
        .enqueue_job(&NewJob {
            kind: kind.into(),
            payload,
            run_at: Utc::now(),
            dedupe_key: None,
            max_attempts,
        })
        .await?
        .expect("no dedupe key");
    tx.commit().await?;
    Ok(id)
}

fn quick(lease_ms: u64) -> WorkerConfig {
    WorkerConfig {
        lease: Duration::from_millis(lease_ms),
        poll: Duration::from_millis(20),
        base_backoff: Duration::from_millis(30),
        max_backoff: Duration::from_millis(200),
    }
}

/// Runs `w` until the queue holds no due or waiting job, or 10 s pass.
async fn until_settled(n: &Newsroom, w: &Worker) -> anyhow::Result<Vec<Outcome>> {
    let mut all = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        all.extend(w.drain().await?);
        let (queued, running, _) = n.db().job_counts().await?;
        if queued + running == 0 || std::time::Instant::now() > deadline {
            return Ok(all);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

db_test!(a_failing_job_is_retried_with_backoff_then_dead_with_its_error, |t: TestDb| async move {
    let n = newsroom(&t);
    let tries = Arc::new(Mutex::new(Vec::new()));
    let mut r = Registry::new();
    let seen = tries.clone();
    r.register("test.fails", move |ctx| {
        let seen = seen.clone();
        Box::pin(async move {
            seen.lock().expect("lock").push((ctx.attempt, std::time::Instant::now()));
            anyhow::bail!("the wire service is down (try {})", ctx.attempt)
        })
    });
    let w = Worker::new(n.clone(), r, quick(5_000));
    let id = enqueue(&n, "test.fails", "{}".into(), 3).await?;
    let outcomes = until_settled(&n, &w).await?;
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    assert!(matches!(&outcomes[0], Outcome::Retry { id: i, .. } if *i == id));
    assert!(
        matches!(&outcomes[2], Outcome::Dead { error, .. } if error == "the wire service is down (try 3)")
    );
    let tries = tries.lock().expect("lock").clone();
    assert_eq!(tries.iter().map(|t| t.0).collect::<Vec<_>>(), vec![1, 2, 3]);
    let gap1 = tries[1].1 - tries[0].1;
    let gap2 = tries[2].1 - tries[1].1;
    assert!(gap1 >= Duration::from_millis(30), "waited {gap1:?}");
    assert!(gap2 >= Duration::from_millis(60), "backoff doubles: {gap2:?}");
    let dead = n.db().list_jobs(Some(JobState::Dead), 10).await?;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some("the wire service is down (try 3)"));
    Ok(())
});

db_test!(a_panicking_job_does_not_take_the_worker_down, |t: TestDb| async move {
    let n = newsroom(&t);
    let ran = Arc::new(AtomicUsize::new(0));
    let mut r = Registry::new();
    r.register("test.panics", |_| Box::pin(async { panic!("corrupt payload from the importer") }));
    let after = ran.clone();
    r.register("test.ok", move |_| {
        let after = after.clone();
        Box::pin(async move {
            after.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
    });
    let w = Worker::new(n.clone(), r, quick(5_000));
    enqueue(&n, "test.panics", "{}".into(), 2).await?;
    enqueue(&n, "test.ok", "{}".into(), 2).await?;
    enqueue(&n, "test.unknown", "{}".into(), 1).await?;
    until_settled(&n, &w).await?;
    assert_eq!(ran.load(Ordering::SeqCst), 1, "the next job still ran");
    let dead = n.db().list_jobs(Some(JobState::Dead), 10).await?;
    let errors: HashMap<String, String> =
        dead.into_iter().map(|j| (j.kind, j.last_error.unwrap_or_default())).collect();
    assert_eq!(errors["test.panics"], "the handler panicked: corrupt payload from the importer");
    assert_eq!(
        errors["test.unknown"],
        "no handler for jobs of kind `test.unknown` in this version"
    );
    Ok(())
});

db_test!(a_long_job_keeps_its_lease_while_it_runs, |t: TestDb| async move {
    let n = newsroom(&t);
    let mut r = Registry::new();
    r.register("test.slow", |_| {
        Box::pin(async {
            tokio::time::sleep(Duration::from_millis(900)).await;
            Ok(())
        })
    });
    let a = Worker::new(n.clone(), r.clone(), quick(300));
    let b = Worker::new(n.clone(), r, quick(300));
    enqueue(&n, "test.slow", "{}".into(), 3).await?;
    let running = tokio::spawn(async move { a.run_once().await });
    // Well past one lease: the heartbeat keeps it from being taken over.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(b.run_once().await?, None, "still held by the first worker");
    let outcome = running.await??;
    assert!(matches!(outcome, Some(Outcome::Done { .. })), "{outcome:?}");
    Ok(())
});

db_test!(two_workers_run_a_thousand_jobs_each_exactly_once, |t: TestDb| async move {
    // Two workers with their own connection pools, as two servers would
    // have, drain one queue. Each job records the workers running it; none
    // may run twice, none may run on both at once, none may be lost.
    let n = newsroom(&t);
    let second = Arc::new(Newsroom::new(newsdesk_db::Database::connect(&t.url).await?, crate::TZ));
    let runs: Arc<Mutex<HashMap<i64, usize>>> = Arc::default();
    let active: Arc<Mutex<std::collections::HashSet<i64>>> = Arc::default();
    let overlaps = Arc::new(AtomicUsize::new(0));
    let mut r = Registry::new();
    {
        let (runs, active, overlaps) = (runs.clone(), active.clone(), overlaps.clone());
        r.register("test.count", move |ctx| {
            let (runs, active, overlaps) = (runs.clone(), active.clone(), overlaps.clone());
            Box::pin(async move {
                let n: i64 = ctx.payload.parse()?;
                if !active.lock().expect("lock").insert(n) {
                    overlaps.fetch_add(1, Ordering::SeqCst);
                }
                tokio::task::yield_now().await;
                *runs.lock().expect("lock").entry(n).or_default() += 1;
                active.lock().expect("lock").remove(&n);
                Ok(())
            })
        });
    }
    let mut tx = n.db().begin().await?;
    for i in 0..1000 {
        tx.enqueue_job(&NewJob {
            kind: "test.count".into(),
            payload: i.to_string(),
            run_at: Utc::now(),
            dedupe_key: None,
            max_attempts: 3,
        })
        .await?;
    }
    tx.commit().await?;
    let w1 = Worker::new(n.clone(), r.clone(), quick(30_000));
    let w2 = Worker::new(second.clone(), r, quick(30_000));
    let (a, b) = tokio::join!(w1.drain(), w2.drain());
    let (a, b) = (a?, b?);
    assert_eq!(a.len() + b.len(), 1000, "{} + {}", a.len(), b.len());
    assert!(a.iter().chain(&b).all(|o| matches!(o, Outcome::Done { .. })));
    if n.db().backend() == newsdesk_db::Backend::Postgres {
        assert!(
            !a.is_empty() && !b.is_empty(),
            "both workers took jobs: {} and {}",
            a.len(),
            b.len()
        );
    }
    {
        let runs = runs.lock().expect("lock");
        assert_eq!(runs.len(), 1000, "none lost");
        assert!(runs.values().all(|c| *c == 1), "each ran once");
    }
    assert_eq!(overlaps.load(Ordering::SeqCst), 0);
    assert_eq!(n.db().job_counts().await?, (0, 0, 0));
    Ok(())
});

db_test!(a_running_worker_is_woken_by_a_local_enqueue, |t: TestDb| async move {
    let n = newsroom(&t);
    let done = Arc::new(tokio::sync::Notify::new());
    let mut r = Registry::new();
    let signal = done.clone();
    r.register("test.wake", move |_| {
        let signal = signal.clone();
        Box::pin(async move {
            signal.notify_one();
            Ok(())
        })
    });
    let w = Worker::new(
        n.clone(),
        r,
        WorkerConfig { poll: Duration::from_secs(30), ..WorkerConfig::default() },
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(w.run(stopped));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut tx = n.db().begin().await?;
    tx.enqueue_job(&NewJob {
        kind: "test.wake".into(),
        payload: "{}".into(),
        run_at: Utc::now(),
        dedupe_key: None,
        max_attempts: 1,
    })
    .await?;
    let c = tx.commit().await?;
    n.signals().committed(&c);
    // The poll interval is 30 s: only the wake-up can make this quick.
    tokio::time::timeout(Duration::from_secs(5), done.notified()).await?;
    stop.send(true)?;
    task.await?;
    Ok(())
});

db_test!(a_worker_that_loses_its_lease_stops_the_job, |t: TestDb| async move {
    let n = newsroom(&t);
    let finished = Arc::new(AtomicUsize::new(0));
    let mut r = Registry::new();
    let done = finished.clone();
    r.register("test.long", move |_| {
        let done = done.clone();
        Box::pin(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            done.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
    });
    let w = Worker::new(n.clone(), r, quick(300));
    enqueue(&n, "test.long", "{}".into(), 3).await?;
    let running = tokio::spawn(async move { w.run_once().await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    // Another worker took it over (as after a lease that ran out).
    n.db().execute_sql("UPDATE jobs SET locked_by = 'another worker'").await?;
    let outcome = tokio::time::timeout(Duration::from_secs(1), running).await???;
    assert!(matches!(outcome, Some(Outcome::Lost { .. })), "{outcome:?}");
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(finished.load(Ordering::SeqCst), 0, "the handler was stopped, not left running");
    Ok(())
});

// Scheduled publishing with two servers on one database, one of which dies
// while its worker holds a due article: every article goes out once, the
// dead server's within a lease of its death.
db_test!(scheduled_articles_go_out_once_with_two_servers_and_one_dying, |t: TestDb| async move {
    // Each "server" has its own newsroom and pool.
    let first = newsroom(&t);
    let second = Arc::new(Newsroom::new(newsdesk_db::Database::connect(&t.url).await?, crate::TZ));
    let s = crate::section(&first, "world").await?;
    let due = Utc::now() + chrono::Duration::milliseconds(600);
    let mut ids = Vec::new();
    for i in 0..12 {
        let mut a = crate::article(&format!("Council vote, part {i}"), s);
        a.slug = format!("council-vote-{i}");
        let d = first.create_draft(&crate::editor(), a).await?;
        first.schedule(&crate::editor(), d.article.id, due, None).await?;
        ids.push(d.article.id);
    }
    // The first server's worker takes one due article and dies holding it:
    // its handler never finishes, and the task is dropped.
    let mut stuck = newsdesk_app::jobs::builtin();
    stuck.register("article.publish_scheduled", |_| {
        Box::pin(async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        })
    });
    let dying = Worker::new(first.clone(), stuck, quick(400));
    tokio::time::sleep(Duration::from_millis(650)).await;
    let held = tokio::spawn(async move { dying.run_once().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    held.abort();
    let (_, claimed, _) = first.db().job_counts().await?;
    assert_eq!(claimed, 1, "the dead worker holds one article's job");
    // Two servers' workers now run side by side.
    let (stop, rx) = tokio::sync::watch::channel(false);
    let mut running = Vec::new();
    for n in [first.clone(), second.clone()] {
        let w = Worker::new(n, newsdesk_app::jobs::builtin(), quick(400));
        running.push(tokio::spawn(w.run(rx.clone())));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let mut live = 0;
        for id in &ids {
            if first.db().find_article(*id).await?.status == newsdesk_core::ArticleStatus::Published
            {
                live += 1;
            }
        }
        if live == ids.len() {
            break;
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "{live} of {} published", ids.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(true);
    for r in running {
        r.await?;
    }
    // Published once each: one publication revision, one event.
    for id in &ids {
        let revs = first.db().list_revisions(*id).await?;
        let published = revs.iter().filter(|r| r.reason == "scheduled publish").count();
        assert_eq!(published, 1, "article {id}: {revs:?}");
    }
    let events = first.db().events_after(0, 10_000).await?;
    let out = events.iter().filter(|e| e.kind == "article.published").count();
    assert_eq!(out, ids.len(), "one publication event per article");
    let (queued, running, dead) = first.db().job_counts().await?;
    assert_eq!((running, dead), (0, 0), "none stuck or dead ({queued} queued)");
    Ok(())
});
