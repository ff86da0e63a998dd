-- Tag and author lists, sqlite dialect. Keep in step with
-- ../postgres/0011_listings.sql.

-- Each tag and author link carries its article's place in the public
-- lists: its first publication while it is published, NULL otherwise. A
-- tag's page then reads its newest links from one index, in order, and
-- counts them there, instead of fetching and sorting every article the
-- tag ever had. The triggers below keep the copy true whatever writes the
-- articles (the application, a restore, an older server during a deploy).
ALTER TABLE article_tags ADD COLUMN published_at TIMESTAMP;
ALTER TABLE article_authors ADD COLUMN published_at TIMESTAMP;

UPDATE article_tags SET published_at = (
    SELECT CASE WHEN a.status = 'published' THEN a.first_published_at END
    FROM articles a WHERE a.id = article_tags.article_id);
UPDATE article_authors SET published_at = (
    SELECT CASE WHEN a.status = 'published' THEN a.first_published_at END
    FROM articles a WHERE a.id = article_authors.article_id);

-- The new indexes answer every lookup by tag or author the old ones did.
DROP INDEX article_tags_tag;
DROP INDEX article_authors_author;
CREATE INDEX article_tags_listed ON article_tags (tag_id, published_at, article_id);
CREATE INDEX article_authors_listed ON article_authors (author_id, published_at, article_id);

CREATE TRIGGER article_tags_listed_insert AFTER INSERT ON article_tags
BEGIN
    UPDATE article_tags SET published_at = (
        SELECT CASE WHEN a.status = 'published' THEN a.first_published_at END
        FROM articles a WHERE a.id = NEW.article_id)
    WHERE article_id = NEW.article_id AND tag_id = NEW.tag_id;
END;

CREATE TRIGGER article_authors_listed_insert AFTER INSERT ON article_authors
BEGIN
    UPDATE article_authors SET published_at = (
        SELECT CASE WHEN a.status = 'published' THEN a.first_published_at END
        FROM articles a WHERE a.id = NEW.article_id)
    WHERE article_id = NEW.article_id AND author_id = NEW.author_id;
END;

CREATE TRIGGER articles_listed_update AFTER UPDATE OF status, first_published_at ON articles
WHEN OLD.status IS NOT NEW.status OR OLD.first_published_at IS NOT NEW.first_published_at
BEGIN
    UPDATE article_tags
    SET published_at = CASE WHEN NEW.status = 'published' THEN NEW.first_published_at END
    WHERE article_id = NEW.id;
    UPDATE article_authors
    SET published_at = CASE WHEN NEW.status = 'published' THEN NEW.first_published_at END
    WHERE article_id = NEW.id;
END;
