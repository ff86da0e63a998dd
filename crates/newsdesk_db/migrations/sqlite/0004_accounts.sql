-- Newsroom accounts, SQLite dialect. Keep in step with
-- ../postgres/0004_accounts.sql.

-- A person who signs in to the back office. `email` is stored lowercased;
-- `password_hash` is an Argon2id PHC string; a disabled account cannot sign
-- in and keeps its history.
CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    email               TEXT NOT NULL,
    name                TEXT NOT NULL,
    role                TEXT NOT NULL,
    author_id           INTEGER REFERENCES authors (id) ON DELETE SET NULL,
    password_hash       TEXT NOT NULL,
    password_changed_at TIMESTAMP NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    disabled_at         TIMESTAMP,
    CONSTRAINT users_email_key UNIQUE (email)
);

-- A signed-in browser. The cookie holds a random token; only its SHA-256 is
-- stored. A session ends when idle too long, at its absolute expiry, at
-- sign-out, or when its user's password changes or the account is disabled
-- (the row is deleted then).
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    ip           TEXT NOT NULL,
    user_agent   TEXT NOT NULL,
    CONSTRAINT sessions_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed sign-ins of the last minutes, for throttling per account and per
-- address on every node sharing the database.
CREATE TABLE sign_in_failures (
    id    INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    ip    TEXT NOT NULL,
    at    TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_failures_email ON sign_in_failures (email, at);
CREATE INDEX sign_in_failures_ip ON sign_in_failures (ip, at);

-- Who did what, when and from where: sign-ins and their failures, account
-- changes, and (with the back office) publishing and the rest.
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      TIMESTAMP NOT NULL,
    user_id INTEGER,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    ip      TEXT NOT NULL,
    detail  TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
