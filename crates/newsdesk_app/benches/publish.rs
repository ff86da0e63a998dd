//! Publish latency on an existing archive.
//!
//! ```text
//! cargo bench -p newsdesk_app --bench publish -- --database URL [--count 100]
//! ```
//!
//! Takes `count` published articles spread over the archive as templates,
//! stores a fresh draft of each (not timed), then times `Newsroom::publish`
//! for each draft, and separately the job that brings the neighbours' rails
//! up to date. Prints the median and 99th percentile of each. Run it on a
//! database seeded with `newsdesk demo --articles N` (see
//! `bench/publish.sh`); the drafts stay published afterwards.

use newsdesk_app::worker::{Worker, WorkerConfig};
use newsdesk_app::{Actor, Newsroom};
use newsdesk_db::{ArticleFilter, Database};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg =
        |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let Some(url) = arg("--database") else {
        eprintln!("usage: publish --database URL [--count N]");
        return Ok(());
    };
    let count: usize = arg("--count").and_then(|c| c.parse().ok()).unwrap_or(100);
    let db = Database::connect(&url).await?;
    db.migrate().await?;
    let newsroom = Arc::new(Newsroom::new(db.clone(), chrono_tz::UTC));
    let actor = Actor::system("benchmark");
    let total = db.count_published().await?;
    anyhow::ensure!(total > 0, "seed the database first: newsdesk demo --articles N");
    // Drafts copied from articles spread over the whole archive.
    let mut drafts = Vec::with_capacity(count);
    let run = std::process::id();
    for k in 0..count {
        let offset = (k as i64 * total) / count as i64;
        let card = db.list_cards(ArticleFilter::All, 1, offset).await?.remove(0);
        let mut a = db.find_article(card.id).await?;
        a.headlines.display = format!("{} (follow-up)", a.headlines.display);
        let base: String = newsdesk_core::slugify(&a.headlines.display).chars().take(60).collect();
        a.slug = format!("{}-bench-{run}-{k}", base.trim_end_matches('-'));
        a.first_published_at = None;
        a.path = None;
        a.top_rank = None;
        a.status = newsdesk_core::ArticleStatus::Draft;
        a.updated_at = chrono::Utc::now();
        drafts.push(newsroom.create_draft(&actor, a).await?.article.id);
    }
    let worker =
        Worker::new(newsroom.clone(), newsdesk_app::jobs::builtin(), WorkerConfig::default());
    // Whatever was queued before (a migration's rebuild) is not measured.
    worker.drain().await?;
    let mut publish = Vec::with_capacity(count);
    let mut neighbours = Vec::with_capacity(count);
    for id in drafts {
        let started = Instant::now();
        newsroom.publish(&actor, id, None).await?;
        publish.push(started.elapsed());
        let started = Instant::now();
        worker.drain().await?;
        neighbours.push(started.elapsed());
    }
    publish.sort();
    neighbours.sort();
    println!(
        "{} | {total} | {count} | {:.1} / {:.1} | {:.1} / {:.1}",
        db.backend().name(),
        percentile(&publish, 0.5),
        percentile(&publish, 0.99),
        percentile(&neighbours, 0.5),
        percentile(&neighbours, 0.99),
    );
    Ok(())
}
