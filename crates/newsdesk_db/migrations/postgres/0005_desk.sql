-- Who has an article open, who holds it, and text typed but not saved.
-- Postgres dialect. Keep in step with ../sqlite/0005_desk.sql.

-- One row per person with the editor of an article open, refreshed by the
-- editor's heartbeat; rows older than a minute mean the person has gone.
CREATE TABLE article_presence (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    seen_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (article_id, user_id)
);

-- Who is editing an article now: the first to open it while nobody else
-- is there, or whoever took it over (audited). Others may still save;
-- the holder is what the desk shows.
CREATE TABLE article_holders (
    article_id BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    since      TIMESTAMPTZ NOT NULL
);

-- The editor's form as it was a few seconds ago, per person and article,
-- written while typing and removed by that person's next save. Autosaves
-- are not revisions: the history lists only what someone chose to keep.
CREATE TABLE article_autosaves (
    article_id   BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    base_version INTEGER NOT NULL,
    fields       TEXT NOT NULL,
    saved_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (article_id, user_id)
);

-- What an editor wrote when sending an article back to its writer (and
-- any other note a step carries).
ALTER TABLE article_revisions ADD COLUMN note TEXT NOT NULL DEFAULT '';

-- Addresses a published article had before an editor changed its slug:
-- each answers 301 to the article's address now.
CREATE TABLE article_redirects (
    path       TEXT PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL
);
