//! The event follower: a change committed by one process reaches another
//! process's caches within a second.

use crate::{article, editor, newsroom, section};
use newsdesk_app::events::{BoxFuture, Event, EventSink, Follower};
use newsdesk_db::Database;
use newsdesk_test_support::{TestDb, db_test};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<(Instant, Event)>>,
    resets: Mutex<usize>,
}

impl EventSink for Recorder {
    fn apply<'a>(&'a self, events: &'a [Event]) -> BoxFuture<'a, bool> {
        let now = Instant::now();
        self.events.lock().expect("lock").extend(events.iter().cloned().map(|e| (now, e)));
        Box::pin(async { true })
    }
    fn reset(&self) -> BoxFuture<'_, ()> {
        *self.resets.lock().expect("lock") += 1;
        Box::pin(async {})
    }
}

db_test!(a_publish_in_one_process_reaches_another_within_a_second, |t: TestDb| async move {
    let writer = newsroom(&t);
    let s = section(&writer, "world").await?;
    let d = writer.create_draft(&editor(), article("Talks resume", s)).await?;
    // The "other server": its own pool, its own follower, running.
    let other = Database::connect(&t.url).await?;
    let sink = Arc::new(Recorder::default());
    let signals = Arc::new(newsdesk_app::Signals::default());
    let follower = Arc::new(Follower::start(other.clone(), sink.clone(), signals.clone()).await?);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(follower.clone().run(stopped.clone()));
    let listener = tokio::spawn(newsdesk_app::listen(other, signals, stopped));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sink.events.lock().expect("lock").is_empty(), "older events are not replayed");
    let mut delays = Vec::new();
    let mut id = d.article.id;
    for round in 0..5 {
        let committed = Instant::now();
        if round % 2 == 0 {
            writer.publish(&editor(), id, None).await?;
        } else {
            writer.unpublish(&editor(), id).await?;
        }
        let deadline = committed + Duration::from_secs(3);
        loop {
            let seen = sink.events.lock().expect("lock").iter().rev().find_map(|(at, e)| match e {
                Event::ArticlePublished { id: i, .. } | Event::ArticleUnpublished { id: i, .. }
                    if *i == id && *at >= committed =>
                {
                    Some(*at)
                }
                _ => None,
            });
            if let Some(at) = seen {
                delays.push(at - committed);
                break;
            }
            assert!(Instant::now() < deadline, "event not seen within 3 s");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        id = d.article.id;
    }
    stop.send(true)?;
    task.await?;
    listener.await?;
    let max = delays.iter().max().copied().unwrap_or_default();
    eprintln!("event to other process: {delays:?}");
    assert!(max < Duration::from_secs(1), "slowest {max:?}");
    Ok(())
});

db_test!(a_follower_that_missed_pruned_events_drops_everything, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let sink = Arc::new(Recorder::default());
    let follower = Follower::start(n.db().clone(), sink.clone(), n.signals().clone()).await?;
    let a = n.create_draft(&editor(), article("One", s)).await?;
    let b = n.create_draft(&editor(), article("Two", s)).await?;
    assert_eq!(follower.catch_up().await?, 2);
    assert_eq!(*sink.resets.lock().expect("lock"), 0);
    n.publish(&editor(), a.article.id, None).await?;
    n.publish(&editor(), b.article.id, None).await?;
    // Everything up to now is pruned before this follower reads it.
    n.db().prune_events(chrono::Utc::now() + chrono::Duration::seconds(1)).await?;
    n.create_draft(&editor(), article("Three", s)).await?;
    assert_eq!(follower.catch_up().await?, 1);
    assert_eq!(*sink.resets.lock().expect("lock"), 1, "it cannot know what changed");
    Ok(())
});
