-- Full-text search, SQLite side: an FTS5 table keyed by article id (rowid),
-- written in the same transaction as the article. Porter stemming so that
-- "talks" finds "talk". PostgreSQL keeps a tsvector column instead (see
-- ../postgres/0002_search.sql); the store hides the difference.
CREATE VIRTUAL TABLE article_search USING fts5(
    headline, dek, body, tags, bylines,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
