//! The durable job queue: a table in the same database as the content, so a
//! use case enqueues its jobs in its own transaction (a job exists if and
//! only if the change that needs it committed).
//!
//! A job is `queued` until a worker claims it. Claiming sets it `running`
//! with a lease (`locked_until`); a worker that dies leaves the lease to run
//! out, and the job is claimed again. A finished job is deleted. A failed
//! one goes back to `queued` with a later `run_at` (the caller's backoff), or
//! to `dead` with its last error after `max_attempts` tries. Handlers must
//! be idempotent: delivery is at least once.
//!
//! On PostgreSQL the claim uses `FOR UPDATE SKIP LOCKED`, so any number of
//! workers on any number of servers take different jobs without waiting on
//! each other. SQLite runs one writer at a time, so the single-statement
//! claim is atomic by itself: there is one claimer at any moment.

use crate::tx::on_tx;
use crate::{Backend, Database, Result, Tx, on_pool};
use chrono::{DateTime, Utc};
use std::fmt;

/// The PostgreSQL channel notified when jobs are enqueued.
pub const JOBS_CHANNEL: &str = "newsdesk_jobs";

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for its `run_at`, or for a worker.
    Queued,
    /// Claimed by a worker whose lease has not run out.
    Running,
    /// Failed too often; kept with its last error until an operator retries it.
    Dead,
}

impl JobState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Dead => "dead",
        }
    }

    fn parse(s: &str) -> JobState {
        match s {
            "running" => JobState::Running,
            "dead" => JobState::Dead,
            _ => JobState::Queued,
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which kinds of job a worker takes: `only` these (all when empty), and
/// never those in `except`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindFilter {
    /// The kinds taken; every kind when empty.
    pub only: Vec<String>,
    /// Kinds left to other workers.
    pub except: Vec<String>,
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// Which handler runs it, e.g. `related.neighbours`.
    pub kind: String,
    /// The handler's input, as JSON.
    pub payload: String,
    /// Not before this time.
    pub run_at: DateTime<Utc>,
    /// When set, a queued job of the same kind and key makes this one a
    /// no-op (the queued one will do the same work).
    pub dedupe_key: Option<String>,
    /// Tries before the job is declared dead.
    pub max_attempts: i32,
}

/// A job a worker claimed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimedJob {
    /// Job id.
    pub id: i64,
    /// Handler name.
    pub kind: String,
    /// Handler input.
    pub payload: String,
    /// This try's number, from 1.
    pub attempts: i32,
    /// Tries allowed.
    pub max_attempts: i32,
}

/// A job as operators see it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRow {
    /// Job id.
    pub id: i64,
    /// Handler name.
    pub kind: String,
    /// Handler input.
    pub payload: String,
    /// Where it stands.
    pub state: JobState,
    /// Not before this time.
    pub run_at: DateTime<Utc>,
    /// Tries so far.
    pub attempts: i32,
    /// Tries allowed.
    pub max_attempts: i32,
    /// The worker holding it, while running.
    pub locked_by: Option<String>,
    /// Its lease, while running.
    pub locked_until: Option<DateTime<Utc>>,
    /// The error of the last failed try.
    pub last_error: Option<String>,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct JobDbRow {
    id: i64,
    kind: String,
    payload: String,
    state: String,
    run_at: DateTime<Utc>,
    attempts: i32,
    max_attempts: i32,
    locked_by: Option<String>,
    locked_until: Option<DateTime<Utc>>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<JobDbRow> for JobRow {
    fn from(r: JobDbRow) -> JobRow {
        JobRow {
            id: r.id,
            kind: r.kind,
            payload: r.payload,
            state: JobState::parse(&r.state),
            run_at: r.run_at,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            locked_by: r.locked_by,
            locked_until: r.locked_until,
            last_error: r.last_error,
            created_at: r.created_at,
        }
    }
}

/// Longest error message kept with a failed job.
const MAX_ERROR_CHARS: usize = 4_000;

impl Tx {
    /// Enqueues a job, to exist only if this transaction commits. Returns
    /// its id, or `None` when a queued job with the same kind and dedupe key
    /// already exists.
    pub async fn enqueue_job(&mut self, job: &NewJob) -> Result<Option<i64>> {
        let now = Utc::now();
        let row: Option<(i64,)> = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO jobs (kind, payload, dedupe_key, state, run_at, attempts, max_attempts, created_at, updated_at) \
             VALUES ($1, $2, $3, 'queued', $4, 0, $5, $6, $6) \
             ON CONFLICT (kind, dedupe_key) WHERE state = 'queued' AND dedupe_key IS NOT NULL DO NOTHING \
             RETURNING id",
        )
        .bind(&job.kind).bind(&job.payload).bind(&job.dedupe_key).bind(job.run_at)
        .bind(job.max_attempts).bind(now)
        .fetch_optional(&mut *c).await)?;
        if row.is_some() {
            self.mark_job_enqueued();
        }
        Ok(row.map(|r| r.0))
    }
}

impl Database {
    /// Claims the next job that is due (queued with `run_at` passed, or
    /// running with a lease that ran out) for `worker`, with a lease until
    /// `lease_until`. `None` when nothing is due.
    ///
    /// A job whose lease ran out after its last allowed try is declared dead
    /// first, so a job that kills its worker every time cannot loop forever.
    pub async fn claim_job(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<ClaimedJob>> {
        self.claim_job_of(worker, now, lease_until, &KindFilter::default()).await
    }

    /// [`Database::claim_job`] among the kinds `filter` lets through (a
    /// worker of its own for webhook deliveries, say).
    pub async fn claim_job_of(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        filter: &KindFilter,
    ) -> Result<Option<ClaimedJob>> {
        on_pool!(self, p => sqlx::query(
            "UPDATE jobs SET state = 'dead', locked_by = NULL, locked_until = NULL, updated_at = $1, \
             last_error = COALESCE(last_error || ' / ', '') || 'the worker running it stopped answering (lease ran out) on its last try' \
             WHERE state = 'running' AND locked_until < $1 AND attempts >= max_attempts",
        ).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        let lock = match self.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        };
        let mut kinds = String::new();
        let mut n = 4;
        if !filter.only.is_empty() {
            kinds
                .push_str(&format!(" AND kind IN ({})", crate::placeholders(n, filter.only.len())));
            n += filter.only.len();
        }
        if !filter.except.is_empty() {
            kinds.push_str(&format!(
                " AND kind NOT IN ({})",
                crate::placeholders(n, filter.except.len())
            ));
        }
        let sql = format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, \
             locked_until = $2, updated_at = $3 \
             WHERE id = (SELECT id FROM jobs \
               WHERE ((state = 'queued' AND run_at <= $3) OR (state = 'running' AND locked_until < $3)){kinds} \
               ORDER BY run_at, id LIMIT 1 {lock}) \
             RETURNING id, kind, payload, attempts, max_attempts"
        );
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(worker).bind(lease_until).bind(now);
            for k in filter.only.iter().chain(&filter.except) {
                q = q.bind(k.as_str());
            }
            q.fetch_optional(p).await
        })?)
    }

    /// Extends the lease of a running job; `false` when the job is no longer
    /// held by `worker` (its lease ran out and another worker took it).
    pub async fn extend_job_lease(
        &self,
        id: i64,
        worker: &str,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        let n = on_pool!(self, p => sqlx::query(
            "UPDATE jobs SET locked_until = $1 WHERE id = $2 AND locked_by = $3 AND state = 'running'",
        ).bind(until).bind(id).bind(worker).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Removes a job that ran to completion; `false` when it was no longer
    /// held by `worker`.
    pub async fn complete_job(&self, id: i64, worker: &str) -> Result<bool> {
        let n = on_pool!(self, p => sqlx::query(
            "DELETE FROM jobs WHERE id = $1 AND locked_by = $2 AND state = 'running'",
        ).bind(id).bind(worker).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Records a failed try: the job waits until `retry_at`, or is declared
    /// dead when it used its last try. Returns the new state, or `None` when
    /// the job was no longer held by `worker`.
    pub async fn fail_job(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<Option<JobState>> {
        let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
        let row: Option<(String,)> = on_pool!(self, p => sqlx::query_as(
            "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, \
             run_at = $1, last_error = $2, locked_by = NULL, locked_until = NULL, updated_at = $3 \
             WHERE id = $4 AND locked_by = $5 AND state = 'running' RETURNING state",
        ).bind(retry_at).bind(&error).bind(Utc::now()).bind(id).bind(worker)
        .fetch_optional(p).await)?;
        Ok(row.map(|(s,)| JobState::parse(&s)))
    }

    /// Jobs in `state` (every state when `None`), oldest first, at most
    /// `limit`.
    pub async fn list_jobs(&self, state: Option<JobState>, limit: i64) -> Result<Vec<JobRow>> {
        let rows: Vec<JobDbRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, kind, payload, state, run_at, attempts, max_attempts, locked_by, locked_until, \
             last_error, created_at FROM jobs WHERE ($1 IS NULL OR state = $1) ORDER BY id LIMIT $2",
        ).bind(state.map(JobState::as_str)).bind(limit).fetch_all(p).await)?;
        Ok(rows.into_iter().map(JobRow::from).collect())
    }

    /// Puts a dead or waiting job back in the queue to run now, with its
    /// tries reset. `false` when there is no such job or it is running.
    pub async fn retry_job(&self, id: i64) -> Result<bool> {
        let now = Utc::now();
        let n = on_pool!(self, p => sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1, updated_at = $1 \
             WHERE id = $2 AND state IN ('dead', 'queued')",
        ).bind(now).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// How many jobs are in each state: (queued, running, dead).
    pub async fn job_counts(&self) -> Result<(i64, i64, i64)> {
        let rows: Vec<(String, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT state, COUNT(*) FROM jobs GROUP BY state",
        ).fetch_all(p).await)?;
        let get = |s: &str| rows.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
        Ok((get("queued"), get("running"), get("dead")))
    }

    /// When the next queued job is due, if any.
    pub async fn next_job_due(&self) -> Result<Option<DateTime<Utc>>> {
        let (t,): (Option<DateTime<Utc>>,) = on_pool!(self, p => sqlx::query_as(
            "SELECT MIN(run_at) FROM jobs WHERE state = 'queued'",
        ).fetch_one(p).await)?;
        Ok(t)
    }
}
