-- Imports: what each importer has brought in, sqlite dialect. Keep in step
-- with ../postgres/0010_imports.sql.

-- One row per thing taken from another system: `source` names the
-- system and site (`wordpress:https://old.example`), `kind` what it was
-- there (`post`, `attachment`, `author`, `category`, `tag`),
-- `external_id` its id there, `local_id` what it became here (an
-- article, media item, author, section or tag). `fingerprint` is a hash
-- of what was imported, so a second run skips what has not changed.
CREATE TABLE import_items (
    source      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    external_id TEXT NOT NULL,
    local_id    INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source, kind, external_id)
);
