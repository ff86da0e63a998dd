//! The application layer on SQLite and PostgreSQL: every use case, its
//! transaction, its jobs and events, the workers and the event follower.
#![allow(missing_docs, reason = "test harness, not a public API")]

mod accounts;
mod architecture;
mod atomicity;
mod follower;
mod media;
mod related;
mod use_cases;
mod worker;

use chrono::{DateTime, TimeZone, Utc};
use newsdesk_app::worker::{Outcome, Worker, WorkerConfig};
use newsdesk_app::{Actor, Newsroom};
use newsdesk_core::{Article, Block, Byline, Id, Section};
use newsdesk_test_support::TestDb;
use std::sync::Arc;

pub const TZ: chrono_tz::Tz = chrono_tz::America::New_York;

pub fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).single().expect("valid time")
}

pub fn newsroom(t: &TestDb) -> Arc<Newsroom> {
    Arc::new(Newsroom::new(t.db.clone(), TZ))
}

pub fn editor() -> Actor {
    Actor::operator("test editor")
}

pub async fn section(n: &Newsroom, slug: &str) -> anyhow::Result<Id> {
    let s = Section {
        id: 0,
        name: slug.to_uppercase(),
        slug: slug.into(),
        position: 1,
        description: format!("{slug} news"),
    };
    Ok(n.create_section(&editor(), s).await?.id)
}

/// An article ready to publish.
pub fn article(headline: &str, section: Id) -> Article {
    let mut a = Article::draft(headline, at(1, 9));
    a.section_id = Some(section);
    a.bylines = vec![Byline::Credit { text: "Staff and wire reports".into() }];
    a.body = vec![Block::paragraph(format!("{headline}. Negotiators met again in Geneva."))];
    a
}

/// A worker with quick retries, for tests.
pub fn worker(n: &Arc<Newsroom>) -> Worker {
    Worker::new(
        n.clone(),
        newsdesk_app::jobs::builtin(),
        WorkerConfig {
            base_backoff: std::time::Duration::from_millis(10),
            ..WorkerConfig::default()
        },
    )
}

/// Runs every due job; fails if one did not finish.
pub async fn drain(n: &Arc<Newsroom>) -> anyhow::Result<Vec<Outcome>> {
    let done = worker(n).drain().await?;
    for o in &done {
        anyhow::ensure!(matches!(o, Outcome::Done { .. }), "a job did not finish: {o:?}");
    }
    Ok(done)
}

/// The kinds of the events recorded after `after`.
pub async fn event_kinds(n: &Newsroom, after: i64) -> anyhow::Result<Vec<String>> {
    Ok(n.db().events_after(after, 1000).await?.into_iter().map(|e| e.kind).collect())
}
