-- Integrations: API keys and tokens, webhooks and their deliveries,
-- sqlite dialect. Keep in step with ../postgres/0009_integrations.sql.

-- A credential another program presents. `kind` is `content` (reads
-- published content; no user) or `admin` (acts as `user_id` with that
-- user's role, narrowed by `scopes`: a comma-separated list of `read`,
-- `articles`, `media`, `taxonomy`; empty means all the role allows).
-- Only the SHA-256 of the secret is stored; `prefix` is its first
-- characters, shown so people can tell keys apart.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    user_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
    scopes       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP,
    revoked_at   TIMESTAMP,
    last_used_at TIMESTAMP,
    CONSTRAINT api_keys_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX api_keys_user ON api_keys (user_id);

-- Where to tell other programs what changed. `events` is a
-- comma-separated list of event names; `secret` signs every delivery.
CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    url         TEXT NOT NULL,
    events      TEXT NOT NULL,
    secret      TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP
);

-- One message for one webhook: written in the transaction of the change
-- it reports, sent by a job, retried with backoff. `status` is the last
-- HTTP status (NULL before an answer), `error` the last failure.
CREATE TABLE webhook_deliveries (
    id           INTEGER PRIMARY KEY,
    webhook_id   INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    uuid         TEXT NOT NULL,
    event        TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    status       INTEGER,
    error        TEXT NOT NULL DEFAULT '',
    last_try_at  TIMESTAMP,
    delivered_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);

-- The Content API lists by last change too (updated_since).
CREATE INDEX articles_updated ON articles (status, updated_at);
