-- The media library. SQLite dialect. Keep in step with ../postgres/0008_media_library.sql.

-- What an upload was: its SHA-256 (identical uploads are one item), the
-- key of the untouched original in the private store, its size and
-- file name as sent (cleaned; for search and display only).
ALTER TABLE media ADD COLUMN hash TEXT;
ALTER TABLE media ADD COLUMN original TEXT;
ALTER TABLE media ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE media ADD COLUMN file_name TEXT NOT NULL DEFAULT '';
-- Read from the file's metadata, then confirmed by an editor.
ALTER TABLE media ADD COLUMN creator TEXT;
ALTER TABLE media ADD COLUMN taken TEXT;
-- IPTC Digital Source Type, and whether readers are told the picture was
-- made by an algorithm.
ALTER TABLE media ADD COLUMN source_type TEXT;
ALTER TABLE media ADD COLUMN ai_generated INTEGER NOT NULL DEFAULT 0;
-- The focal point, in thousandths of the width and height from the top left.
ALTER TABLE media ADD COLUMN focal_x INTEGER NOT NULL DEFAULT 500;
ALTER TABLE media ADD COLUMN focal_y INTEGER NOT NULL DEFAULT 500;
ALTER TABLE media ADD COLUMN uploaded_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE media ADD COLUMN uploaded_at TIMESTAMP;
ALTER TABLE media ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE UNIQUE INDEX media_hash ON media (hash);
CREATE INDEX media_uploaded ON media (uploaded_at, id);

-- Which articles show which media items (lead or body figures, drafts
-- included): kept by every save, read to refuse deleting a used item, to
-- list an item's uses and to drop the pages a changed item appears on.
CREATE TABLE media_uses (
    media_id   INTEGER NOT NULL REFERENCES media (id),
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (media_id, article_id)
);
CREATE INDEX media_uses_article ON media_uses (article_id);

INSERT OR IGNORE INTO media_uses (media_id, article_id)
SELECT json_extract(b.value, '$.media_id'), a.id
FROM articles a, json_each(a.body) b
WHERE json_extract(b.value, '$.type') = 'figure'
  AND json_extract(b.value, '$.media_id') IN (SELECT id FROM media);
INSERT OR IGNORE INTO media_uses (media_id, article_id)
SELECT json_extract(a.lead, '$.media_id'), a.id
FROM articles a
WHERE a.lead IS NOT NULL AND json_extract(a.lead, '$.media_id') IN (SELECT id FROM media);
