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
