-- Embargoes. PostgreSQL dialect. Keep in step with ../sqlite/0007_embargo.sql.

-- The time before which an article may not be published, now or by a
-- schedule (a report under embargo until its release time).
ALTER TABLE articles ADD COLUMN embargo_until TIMESTAMPTZ;
