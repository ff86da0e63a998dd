//! Sections, tags, stories, authors and media.
//!
//! These tables are small (hundreds of rows) and read on every page, so the
//! web layer loads them whole and keeps them in memory.

use crate::{
    Database, DbError, Result, conflict_on_unique, from_json, on_pool, placeholders, to_json,
};
use newsdesk_core::{Author, Id, Media, Section, Story, Tag, validate_slug};

#[derive(sqlx::FromRow)]
struct MediaRow {
    id: i64,
    file: String,
    width: i32,
    height: i32,
    alt: Option<String>,
    caption: Option<String>,
    credit: Option<String>,
    rights: Option<String>,
    renditions: String,
}

impl MediaRow {
    fn into_media(self) -> Result<Media> {
        let id = self.id;
        Ok(Media {
            id,
            file: self.file,
            width: u32::try_from(self.width).unwrap_or(0),
            height: u32::try_from(self.height).unwrap_or(0),
            alt: self.alt,
            caption: self.caption,
            credit: self.credit,
            rights: self.rights,
            renditions: from_json(|| format!("media {id} renditions"), &self.renditions)?,
        })
    }
}

const MEDIA_COLUMNS: &str = "id, file, width, height, alt, caption, credit, rights, renditions";

fn check_slug(slug: &str) -> Result<()> {
    validate_slug(slug).map_err(|e| DbError::Invalid(e.to_string()))
}

impl Database {
    /// Adds a section.
    pub async fn create_section(
        &self,
        name: &str,
        slug: &str,
        position: i32,
        description: &str,
    ) -> Result<Section> {
        check_slug(slug)?;
        let (id,): (i64,) = on_pool!(self, p => sqlx::query_as(
            "INSERT INTO sections (name, slug, position, description) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name).bind(slug).bind(position).bind(description)
        .fetch_one(p).await)
        .map_err(|e| conflict_on_unique(e, || format!("a section with slug `{slug}` exists")))?;
        Ok(Section {
            id,
            name: name.into(),
            slug: slug.into(),
            position,
            description: description.into(),
        })
    }

    /// Every section in navigation order.
    pub async fn list_sections(&self) -> Result<Vec<Section>> {
        let rows: Vec<(i64, String, String, i32, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, name, slug, position, description FROM sections ORDER BY position, id",
        ).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|(id, name, slug, position, description)| Section {
                id,
                name,
                slug,
                position,
                description,
            })
            .collect())
    }

    /// Adds a tag.
    pub async fn create_tag(&self, name: &str, slug: &str) -> Result<Tag> {
        check_slug(slug)?;
        let (id,): (i64,) = on_pool!(self, p => sqlx::query_as(
            "INSERT INTO tags (name, slug) VALUES ($1, $2) RETURNING id",
        ).bind(name).bind(slug).fetch_one(p).await)
        .map_err(|e| conflict_on_unique(e, || format!("a tag with slug `{slug}` exists")))?;
        Ok(Tag { id, name: name.into(), slug: slug.into() })
    }

    /// Every tag, by name.
    pub async fn list_tags(&self) -> Result<Vec<Tag>> {
        let rows: Vec<(i64, String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, name, slug FROM tags ORDER BY name, id",
        ).fetch_all(p).await)?;
        Ok(rows.into_iter().map(|(id, name, slug)| Tag { id, name, slug }).collect())
    }

    /// Adds an ongoing story.
    pub async fn create_story(&self, name: &str, slug: &str) -> Result<Story> {
        check_slug(slug)?;
        let (id,): (i64,) = on_pool!(self, p => sqlx::query_as(
            "INSERT INTO stories (name, slug) VALUES ($1, $2) RETURNING id",
        ).bind(name).bind(slug).fetch_one(p).await)
        .map_err(|e| conflict_on_unique(e, || format!("a story with slug `{slug}` exists")))?;
        Ok(Story { id, name: name.into(), slug: slug.into() })
    }

    /// Every story.
    pub async fn list_stories(&self) -> Result<Vec<Story>> {
        let rows: Vec<(i64, String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, name, slug FROM stories ORDER BY id",
        ).fetch_all(p).await)?;
        Ok(rows.into_iter().map(|(id, name, slug)| Story { id, name, slug }).collect())
    }

    /// Adds an author.
    pub async fn create_author(&self, a: &Author) -> Result<Author> {
        check_slug(&a.slug)?;
        let (id,): (i64,) = on_pool!(self, p => sqlx::query_as(
            "INSERT INTO authors (name, slug, title, bio, photo_media_id) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&a.name).bind(&a.slug).bind(&a.title).bind(&a.bio).bind(a.photo_media_id)
        .fetch_one(p).await)
        .map_err(|e| conflict_on_unique(e, || format!("an author with slug `{}` exists", a.slug)))?;
        Ok(Author { id, ..a.clone() })
    }

    /// Every author, by name.
    pub async fn list_authors(&self) -> Result<Vec<Author>> {
        type Row = (i64, String, String, Option<String>, String, Option<i64>);
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, name, slug, title, bio, photo_media_id FROM authors ORDER BY name, id",
        ).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|(id, name, slug, title, bio, photo_media_id)| Author {
                id,
                name,
                slug,
                title,
                bio,
                photo_media_id,
            })
            .collect())
    }

    /// Adds a media item (its files must already be in the media folder).
    pub async fn create_media(&self, m: &Media) -> Result<Media> {
        let w = i32::try_from(m.width).map_err(|_| DbError::Invalid("image too wide".into()))?;
        let h = i32::try_from(m.height).map_err(|_| DbError::Invalid("image too tall".into()))?;
        let (id,): (i64,) = on_pool!(self, p => sqlx::query_as(
            "INSERT INTO media (file, width, height, alt, caption, credit, rights, renditions) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&m.file).bind(w).bind(h).bind(&m.alt).bind(&m.caption).bind(&m.credit)
        .bind(&m.rights).bind(to_json(&m.renditions))
        .fetch_one(p).await)
        .map_err(|e| {
            conflict_on_unique(e, || format!("media file `{}` is already in the library", m.file))
        })?;
        Ok(Media { id, ..m.clone() })
    }

    /// The media items with these ids (missing ids are skipped).
    pub async fn media_by_ids(&self, ids: &[Id]) -> Result<Vec<Media>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {MEDIA_COLUMNS} FROM media WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let rows: Vec<MediaRow> = on_pool!(self, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(p).await
        })?;
        rows.into_iter().map(MediaRow::into_media).collect()
    }
}
