-- Newsdesk schema, SQLite dialect. Keep in step with ../postgres/0001_initial.sql:
-- a test checks that both end at the same tables and columns.
CREATE TABLE sections (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    position    INTEGER NOT NULL,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE tags (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE
);

CREATE TABLE stories (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE
);

CREATE TABLE media (
    id         INTEGER PRIMARY KEY,
    file       TEXT NOT NULL UNIQUE,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    alt        TEXT,
    caption    TEXT,
    credit     TEXT,
    rights     TEXT,
    renditions TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE authors (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    slug           TEXT NOT NULL UNIQUE,
    title          TEXT,
    bio            TEXT NOT NULL DEFAULT '',
    photo_media_id INTEGER REFERENCES media (id)
);

CREATE TABLE articles (
    id                 INTEGER PRIMARY KEY,
    slug               TEXT NOT NULL,
    headline           TEXT NOT NULL,
    headline_seo       TEXT,
    headline_social    TEXT,
    headline_teaser    TEXT,
    dek                TEXT NOT NULL DEFAULT '',
    section_id         INTEGER REFERENCES sections (id),
    story_id           INTEGER REFERENCES stories (id),
    lead               TEXT,
    body               TEXT NOT NULL DEFAULT '[]',
    bylines            TEXT NOT NULL DEFAULT '[]',
    sources            TEXT NOT NULL DEFAULT '[]',
    corrections        TEXT NOT NULL DEFAULT '[]',
    canonical_url      TEXT,
    status             TEXT NOT NULL,
    top_rank           INTEGER,
    first_published_at TIMESTAMP,
    updated_at         TIMESTAMP NOT NULL,
    path               TEXT UNIQUE,
    terms              TEXT NOT NULL DEFAULT '[]',
    version            INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX articles_published ON articles (status, first_published_at);
CREATE INDEX articles_section ON articles (section_id, status, first_published_at);
CREATE INDEX articles_story ON articles (story_id);

CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id     INTEGER NOT NULL REFERENCES tags (id),
    position   INTEGER NOT NULL,
    PRIMARY KEY (article_id, tag_id)
);
CREATE INDEX article_tags_tag ON article_tags (tag_id);

CREATE TABLE article_authors (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id  INTEGER NOT NULL REFERENCES authors (id),
    position   INTEGER NOT NULL,
    PRIMARY KEY (article_id, author_id)
);
CREATE INDEX article_authors_author ON article_authors (author_id);

CREATE TABLE article_related (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    rank       INTEGER NOT NULL,
    related_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    score      REAL NOT NULL,
    PRIMARY KEY (article_id, rank)
);
