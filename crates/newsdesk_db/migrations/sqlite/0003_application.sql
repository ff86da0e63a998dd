-- The application layer's tables, SQLite dialect. Keep in step with
-- ../postgres/0003_application.sql: a test checks that both end at the same
-- tables and columns.

-- When a scheduled article goes live (NULL unless status = 'scheduled').
ALTER TABLE articles ADD COLUMN scheduled_at TIMESTAMP;

-- Rails are looked up by the article they list when that article changes.
CREATE INDEX article_related_related ON article_related (related_id);

-- Every change of an article, who made it and why. `content` holds the
-- article as JSON when the change touched what the article says, and is
-- NULL for status-only changes (publish, unpublish), whose content is that
-- of the revision before.
CREATE TABLE article_revisions (
    id         INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    actor      TEXT NOT NULL,
    actor_id   INTEGER,
    reason     TEXT NOT NULL,
    status     TEXT NOT NULL,
    content    TEXT,
    UNIQUE (article_id, version)
);

-- The durable job queue. A job is `queued` until a worker claims it
-- (`running`, with a lease in `locked_until`); a finished job is deleted; a
-- job that failed `max_attempts` times is kept as `dead` with its last error.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    dedupe_key   TEXT,
    state        TEXT NOT NULL,
    run_at       TIMESTAMP NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    locked_by    TEXT,
    locked_until TIMESTAMP,
    last_error   TEXT,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX jobs_ready ON jobs (state, run_at);
-- At most one queued job per kind and key: enqueueing twice is a no-op.
CREATE UNIQUE INDEX jobs_dedupe ON jobs (kind, dedupe_key) WHERE state = 'queued' AND dedupe_key IS NOT NULL;

-- The event log (outbox) every server follows. AUTOINCREMENT so that an id
-- is never reused after pruning: followers remember the last id they saw.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX events_created ON events (created_at);

-- Related stories at any archive size: the term profiles of published
-- articles as postings (term → article), so that scoring one article reads
-- only the articles that share its terms. These three tables are an index
-- derived from `articles`, written only by the code that maintains it and
-- rebuilt from scratch by the bulk rebuild; they carry no foreign keys,
-- which would make that rebuild several times slower.
CREATE TABLE related_terms (
    id   INTEGER PRIMARY KEY,
    term TEXT NOT NULL UNIQUE,
    df   INTEGER NOT NULL DEFAULT 0
);
-- Keyed by term, newest first (`published` in Unix seconds), so "the newest
-- N articles with this term" is one range scan.
CREATE TABLE related_postings (
    term_id    INTEGER NOT NULL,
    published  INTEGER NOT NULL,
    article_id INTEGER NOT NULL,
    weight     REAL NOT NULL,
    PRIMARY KEY (term_id, published, article_id)
) WITHOUT ROWID;
CREATE INDEX related_postings_article ON related_postings (article_id);
-- What the scorer needs of each published article besides its terms.
-- `norm` is the length of its tf-idf vector when it was indexed; `floor` is
-- the score of the last story in its full rail (0 while the rail is short).
CREATE TABLE related_profiles (
    article_id   INTEGER PRIMARY KEY,
    section_id   INTEGER,
    story_id     INTEGER,
    published_at TIMESTAMP NOT NULL,
    tags         TEXT NOT NULL,
    norm         REAL NOT NULL,
    floor        REAL NOT NULL DEFAULT 0
);
CREATE INDEX related_profiles_story ON related_profiles (story_id);

-- Small counters kept with the rows they count (published articles, for idf).
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) SELECT 'published_articles', COUNT(*) FROM articles WHERE status = 'published';

-- Existing archives get their postings from one bulk rebuild, run by the
-- first worker; until then the stored rails keep serving.
INSERT INTO jobs (kind, payload, dedupe_key, state, run_at, max_attempts, created_at, updated_at)
SELECT 'related.rebuild', '{"kind":"related.rebuild"}', 'all', 'queued', '1970-01-01 00:00:00+00:00', 5, '1970-01-01 00:00:00+00:00', '1970-01-01 00:00:00+00:00'
WHERE EXISTS (SELECT 1 FROM articles WHERE status = 'published');
