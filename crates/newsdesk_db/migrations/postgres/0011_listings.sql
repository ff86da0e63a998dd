-- Tag and author lists, postgres dialect. Keep in step with
-- ../sqlite/0011_listings.sql.

-- Each tag and author link carries its article's place in the public
-- lists: its first publication while it is published, NULL otherwise. A
-- tag's page then reads its newest links from one index, in order, and
-- counts them there, instead of fetching and sorting every article the
-- tag ever had. The triggers below keep the copy true whatever writes the
-- articles (the application, a restore, an older server during a deploy).

-- Servers of the previous release keep serving during a deploy: no article
-- may change status between the fill-in below and its trigger, or its links
-- would keep the old value. Writers lock an article before its links, so
-- the articles go first here too (reads go on; writes wait).
LOCK TABLE articles IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE article_tags ADD COLUMN published_at TIMESTAMPTZ;
ALTER TABLE article_authors ADD COLUMN published_at TIMESTAMPTZ;

-- The new indexes answer every lookup by tag or author the old ones did.
DROP INDEX article_tags_tag;
DROP INDEX article_authors_author;
CREATE INDEX article_tags_listed ON article_tags (tag_id, published_at, article_id);
CREATE INDEX article_authors_listed ON article_authors (author_id, published_at, article_id);

-- A new link takes its article's place as it is written. The article is
-- read under a share lock, so a publication cannot slip in between; the
-- functions keep the schema they were made in.
CREATE FUNCTION newsdesk_link_listed() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    SELECT CASE WHEN a.status = 'published' THEN a.first_published_at END
    INTO NEW.published_at
    FROM articles a WHERE a.id = NEW.article_id FOR SHARE;
    RETURN NEW;
END;
$$;

CREATE TRIGGER article_tags_listed_insert BEFORE INSERT ON article_tags
FOR EACH ROW EXECUTE FUNCTION newsdesk_link_listed();
CREATE TRIGGER article_authors_listed_insert BEFORE INSERT ON article_authors
FOR EACH ROW EXECUTE FUNCTION newsdesk_link_listed();

-- An article published, taken down or re-dated moves its links with it.
CREATE FUNCTION newsdesk_article_listed() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE article_tags
    SET published_at = CASE WHEN NEW.status = 'published' THEN NEW.first_published_at END
    WHERE article_id = NEW.id;
    UPDATE article_authors
    SET published_at = CASE WHEN NEW.status = 'published' THEN NEW.first_published_at END
    WHERE article_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER articles_listed_update AFTER UPDATE OF status, first_published_at ON articles
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status
      OR OLD.first_published_at IS DISTINCT FROM NEW.first_published_at)
EXECUTE FUNCTION newsdesk_article_listed();

-- Existing links.
UPDATE article_tags t SET published_at = CASE WHEN a.status = 'published' THEN a.first_published_at END
FROM articles a WHERE a.id = t.article_id;
UPDATE article_authors t SET published_at = CASE WHEN a.status = 'published' THEN a.first_published_at END
FROM articles a WHERE a.id = t.article_id;
