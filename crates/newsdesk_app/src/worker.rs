//! Workers: claim due jobs from the queue and run their handlers.
//!
//! A worker claims one job at a time with a lease, extends the lease while
//! the handler runs, deletes the job when it succeeds and, when it fails or
//! panics, puts it back with an exponential backoff until it has used its
//! tries and is declared dead with its last error. A handler that panics
//! never takes the worker down: it runs on its own task.

use crate::events::BoxFuture;
use crate::{Newsroom, Signals};
use chrono::Utc;
use newsdesk_db::{ClaimedJob, JobState};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// What a handler gets.
pub struct JobContext {
    /// The application.
    pub newsroom: Arc<Newsroom>,
    /// Job id.
    pub id: i64,
    /// The job's payload (JSON).
    pub payload: String,
    /// This try's number, from 1.
    pub attempt: i32,
}

/// A job handler.
pub type Handler = Arc<dyn Fn(JobContext) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// What runs once a job of some kind has failed its last try: it gets the
/// job (its payload) and its last error, to leave things as a person can
/// see and mend them.
pub type DeadHandler =
    Arc<dyn Fn(JobContext, String) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// Handlers by job kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, (Handler, Option<Duration>)>,
    dead: HashMap<String, DeadHandler>,
}

impl Registry {
    /// No handlers.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Runs jobs of `kind` with `f`.
    pub fn register(
        &mut self,
        kind: &str,
        f: impl Fn(JobContext) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync + 'static,
    ) {
        self.handlers.insert(kind.to_owned(), (Arc::new(f), None));
    }

    /// Like [`Registry::register`], for a job that may hold the database's
    /// write lock for a long time (SQLite has one writer, so its lease
    /// could not be extended meanwhile): it gets `lease` at once.
    pub fn register_long(
        &mut self,
        kind: &str,
        lease: Duration,
        f: impl Fn(JobContext) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync + 'static,
    ) {
        self.handlers.insert(kind.to_owned(), (Arc::new(f), Some(lease)));
    }

    /// Runs `f` when a job of `kind` is declared dead (kept when the kind's
    /// handler is replaced).
    pub fn on_dead(
        &mut self,
        kind: &str,
        f: impl Fn(JobContext, String) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync + 'static,
    ) {
        self.dead.insert(kind.to_owned(), Arc::new(f));
    }
}

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// How long a claimed job stays ours without a word from us; a worker
    /// that dies loses its jobs after this long. Extended every third of it
    /// while the handler runs.
    pub lease: Duration,
    /// How often an idle worker looks for due jobs (it is also woken when
    /// this process enqueues one, and on PostgreSQL `NOTIFY`).
    pub poll: Duration,
    /// Wait after the first failure; doubled after each further one.
    pub base_backoff: Duration,
    /// Longest wait between tries.
    pub max_backoff: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            lease: Duration::from_secs(60),
            poll: Duration::from_secs(1),
            base_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(3600),
        }
    }
}

/// What happened to a claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It ran to completion and left the queue.
    Done {
        /// Job id.
        id: i64,
        /// Its kind.
        kind: String,
    },
    /// It failed and will be tried again later.
    Retry {
        /// Job id.
        id: i64,
        /// The error.
        error: String,
    },
    /// It failed its last try and is dead.
    Dead {
        /// Job id.
        id: i64,
        /// The error.
        error: String,
    },
    /// Its lease ran out while it ran and another worker took it over; the
    /// result was dropped.
    Lost {
        /// Job id.
        id: i64,
    },
}

/// Runs jobs for one process.
pub struct Worker {
    newsroom: Arc<Newsroom>,
    registry: Arc<Registry>,
    config: WorkerConfig,
    name: String,
    kinds: newsdesk_db::KindFilter,
}

/// A name unique to this worker across servers: host, process, a counter.
fn worker_name(n: u64) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "host".into());
    format!("{host}:{}:{n}", std::process::id())
}

static NEXT_WORKER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Worker {
    /// A worker running `registry`'s handlers.
    pub fn new(newsroom: Arc<Newsroom>, registry: Registry, config: WorkerConfig) -> Worker {
        let n = NEXT_WORKER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let kinds = newsdesk_db::KindFilter::default();
        Worker { newsroom, registry: Arc::new(registry), config, name: worker_name(n), kinds }
    }

    /// This worker, taking only jobs of `kinds`.
    pub fn only(mut self, kinds: &[&str]) -> Worker {
        self.kinds.only = kinds.iter().map(|k| (*k).to_owned()).collect();
        self
    }

    /// This worker, leaving jobs of `kinds` to others.
    pub fn except(mut self, kinds: &[&str]) -> Worker {
        self.kinds.except = kinds.iter().map(|k| (*k).to_owned()).collect();
        self
    }

    /// This worker's name, as the jobs table records it.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn backoff(&self, attempt: i32) -> Duration {
        let exp = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        let base = self.config.base_backoff.saturating_mul(2u32.saturating_pow(exp));
        let capped = base.min(self.config.max_backoff);
        // Up to a fifth more, so jobs that failed together do not all come
        // back in the same instant.
        let spread = u64::from(Utc::now().timestamp_subsec_nanos() % 20);
        let jitter = capped.as_millis() as u64 * spread / 100;
        capped + Duration::from_millis(jitter)
    }

    /// Claims one due job and runs it; `None` when nothing is due.
    pub async fn run_once(&self) -> newsdesk_db::Result<Option<Outcome>> {
        let db = self.newsroom.db();
        let now = Utc::now();
        let lease = chrono::Duration::from_std(self.config.lease).unwrap_or(chrono::Duration::MAX);
        let Some(job) = db.claim_job_of(&self.name, now, now + lease, &self.kinds).await? else {
            return Ok(None);
        };
        Ok(Some(self.execute(job).await?))
    }

    async fn execute(&self, job: ClaimedJob) -> newsdesk_db::Result<Outcome> {
        let db = self.newsroom.db().clone();
        let ClaimedJob { id, kind, payload, attempts, .. } = job;
        let kept_payload = payload.clone();
        let result = match self.registry.handlers.get(&kind) {
            None => Err(format!("no handler for jobs of kind `{kind}` in this version")),
            Some((handler, long)) => {
                let lease = long.unwrap_or(self.config.lease).max(self.config.lease);
                if long.is_some() {
                    let until = Utc::now()
                        + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
                    db.extend_job_lease(id, &self.name, until).await?;
                }
                let ctx =
                    JobContext { newsroom: self.newsroom.clone(), id, payload, attempt: attempts };
                // Its own task, so a panic is caught as a JoinError.
                let mut task = tokio::spawn(handler(ctx));
                let mut beat = tokio::time::interval((lease / 3).max(Duration::from_millis(10)));
                beat.tick().await;
                let mut renewed = std::time::Instant::now();
                loop {
                    tokio::select! {
                        r = &mut task => break match r {
                            Ok(Ok(())) => Ok(()),
                            Ok(Err(e)) => Err(format!("{e:#}")),
                            Err(e) if e.is_panic() => Err(format!("the handler panicked: {}", panic_message(e))),
                            Err(e) => Err(format!("the handler was cancelled: {e}")),
                        },
                        _ = beat.tick() => {
                            let until = Utc::now()
                                + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
                            let lost = match db.extend_job_lease(id, &self.name, until).await {
                                Ok(true) => {
                                    renewed = std::time::Instant::now();
                                    false
                                }
                                // Another worker holds it now: it must not run
                                // twice at the same time.
                                Ok(false) => true,
                                Err(e) => {
                                    tracing::warn!(job.id = id, error = %e, "could not extend a job's lease");
                                    renewed.elapsed() >= lease
                                }
                            };
                            if lost {
                                tracing::warn!(job.id = id, job.kind = kind, "lost the lease of a running job; stopping it");
                                task.abort();
                                return Ok(Outcome::Lost { id });
                            }
                        }
                    }
                }
            }
        };
        match result {
            Ok(()) => {
                if db.complete_job(id, &self.name).await? {
                    Ok(Outcome::Done { id, kind })
                } else {
                    Ok(Outcome::Lost { id })
                }
            }
            Err(error) => {
                let retry_at = Utc::now()
                    + chrono::Duration::from_std(self.backoff(attempts))
                        .unwrap_or(chrono::Duration::MAX);
                match db.fail_job(id, &self.name, &error, retry_at).await? {
                    Some(JobState::Dead) => {
                        tracing::error!(
                            job.id = id,
                            job.kind = kind,
                            attempts,
                            error,
                            "job failed for the last time"
                        );
                        if let Some(f) = self.registry.dead.get(&kind) {
                            let ctx = JobContext {
                                newsroom: self.newsroom.clone(),
                                id,
                                payload: kept_payload,
                                attempt: attempts,
                            };
                            // Its own task too: a panic here must not take
                            // the worker down either.
                            match tokio::spawn(f(ctx, error.clone())).await {
                                Ok(Ok(())) => {}
                                Ok(Err(e)) => tracing::error!(
                                    job.id = id,
                                    job.kind = kind,
                                    error = format!("{e:#}"),
                                    "could not settle a dead job"
                                ),
                                Err(e) => tracing::error!(
                                    job.id = id,
                                    job.kind = kind,
                                    error = %e,
                                    "settling a dead job panicked"
                                ),
                            }
                        }
                        Ok(Outcome::Dead { id, error })
                    }
                    Some(_) => {
                        tracing::warn!(
                            job.id = id,
                            job.kind = kind,
                            attempts,
                            error,
                            "job failed; will retry"
                        );
                        Ok(Outcome::Retry { id, error })
                    }
                    None => Ok(Outcome::Lost { id }),
                }
            }
        }
    }

    /// Runs due jobs until none is left; returns what happened to each
    /// (tests and `newsdesk jobs run --once`).
    pub async fn drain(&self) -> newsdesk_db::Result<Vec<Outcome>> {
        let mut out = Vec::new();
        while let Some(o) = self.run_once().await? {
            out.push(o);
        }
        Ok(out)
    }

    /// Runs jobs until `shutdown` turns true, then finishes the job in hand.
    /// Survives a database that goes away: it logs once, keeps trying, and
    /// logs again when the database is back. Now and then it also prunes the
    /// event log, day-old editor presence, sessions that are over and old
    /// failed sign-ins (every server does; the work is idempotent).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let signals: Arc<Signals> = self.newsroom.signals().clone();
        let mut failing = false;
        let mut last_prune = std::time::Instant::now() - PRUNE_EVERY;
        let mut last_sweep = std::time::Instant::now() - SWEEP_EVERY;
        loop {
            if *shutdown.borrow() {
                break;
            }
            if last_sweep.elapsed() >= SWEEP_EVERY {
                last_sweep = std::time::Instant::now();
                match crate::jobs::settle_dead_schedules(&self.newsroom).await {
                    Ok(n) if n > 0 => {
                        tracing::warn!(
                            articles = n,
                            "scheduled articles whose job died went back to review"
                        )
                    }
                    Ok(_) => {}
                    Err(e) => tracing::debug!(error = %e, "could not look for dead schedules"),
                }
            }
            if last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = std::time::Instant::now();
                match crate::events::prune_events(self.newsroom.db(), EVENT_RETENTION).await {
                    Ok(n) if n > 0 => tracing::info!(events = n, "pruned old events"),
                    Ok(_) => {}
                    Err(e) => tracing::debug!(error = %e, "could not prune events"),
                }
                let gone = chrono::Utc::now() - chrono::Duration::days(1);
                if let Err(e) = self.newsroom.db().prune_presence(gone).await {
                    tracing::debug!(error = %e, "could not prune presence");
                }
                if let Err(e) = crate::sessions::prune(self.newsroom.db()).await {
                    tracing::debug!(error = %e, "could not prune sessions");
                }
                let old = chrono::Utc::now() - DELIVERY_RETENTION;
                let tries = crate::integrations::WEBHOOK_ATTEMPTS;
                match self.newsroom.db().prune_deliveries(old, tries).await {
                    Ok(n) if n > 0 => {
                        tracing::info!(deliveries = n, "pruned old webhook deliveries")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::debug!(error = %e, "could not prune webhook deliveries"),
                }
            }
            let notified = signals.jobs.notified();
            match self.run_once().await {
                Ok(Some(_)) => {
                    if std::mem::take(&mut failing) {
                        tracing::info!("job queue reachable again");
                    }
                    continue;
                }
                Ok(None) => {
                    if std::mem::take(&mut failing) {
                        tracing::info!("job queue reachable again");
                    }
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "cannot reach the job queue; will keep trying");
                        failing = true;
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(self.config.poll) => {}
                _ = notified => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// How often a running worker prunes the event log.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// How often a running worker looks for scheduled articles whose job died.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// How long events are kept: long enough for any server that was briefly
/// cut off to catch up; one that was away longer drops its whole cache.
pub const EVENT_RETENTION: chrono::Duration = chrono::Duration::days(1);

/// How long settled webhook deliveries (delivered or given up) stay in
/// their webhook's log.
pub const DELIVERY_RETENTION: chrono::Duration = chrono::Duration::days(30);

fn panic_message(e: tokio::task::JoinError) -> String {
    let p = e.into_panic();
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".into()
    }
}
