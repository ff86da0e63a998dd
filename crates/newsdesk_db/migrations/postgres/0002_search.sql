-- Full-text search, PostgreSQL side: a weighted tsvector per article
-- (headline A, dek B, tags and bylines C, body D) with a GIN index, and the
-- plain text that ts_headline cuts snippets from. Written in the same
-- transaction as the article. SQLite keeps an FTS5 table instead (see
-- ../sqlite/0002_search.sql).
ALTER TABLE articles ADD COLUMN search tsvector;
ALTER TABLE articles ADD COLUMN search_text TEXT;
CREATE INDEX articles_search ON articles USING GIN (search);
