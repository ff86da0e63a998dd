-- The site's settings kept in the database. Sqlite dialect. Keep in step
-- with ../postgres/0006_settings.sql.

-- The site's settings changed in the back office (title, description, time
-- zone, logo), by name; a setting without a row takes the configuration
-- file's value.
CREATE TABLE site_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
