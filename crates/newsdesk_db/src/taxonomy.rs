//! Sections, tags, stories, authors and media.
//!
//! These tables are small (hundreds of rows) and read on every page, so the
//! web layer loads them whole and keeps them in memory. Changes go through a
//! [`Tx`], like every write.

use crate::error::conflict_on_unique;
use crate::tx::on_tx;
use crate::{Database, DbError, Result, Tx, on_pool};
use newsdesk_core::{Author, Id, Section, Story, Tag, validate_slug};

fn check_slug(slug: &str) -> Result<()> {
    validate_slug(slug).map_err(|e| DbError::Invalid(e.to_string()))
}

/// Turns "no row changed" into [`DbError::NotFound`].
fn found(rows: u64, what: impl FnOnce() -> String) -> Result<()> {
    if rows == 0 { Err(DbError::not_found(what())) } else { Ok(()) }
}

impl Tx {
    /// Adds a section.
    pub async fn create_section(&mut self, s: &Section) -> Result<Section> {
        check_slug(&s.slug)?;
        let (id,): (i64,) = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO sections (name, slug, position, description) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&s.name).bind(&s.slug).bind(s.position).bind(&s.description)
        .fetch_one(&mut *c).await)
        .map_err(|e| conflict_on_unique(e, || format!("a section with slug `{}` exists", s.slug)))?;
        Ok(Section { id, ..s.clone() })
    }

    /// Changes a section's name, slug, position and description.
    pub async fn update_section(&mut self, s: &Section) -> Result<()> {
        check_slug(&s.slug)?;
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE sections SET name = $1, slug = $2, position = $3, description = $4 WHERE id = $5",
        )
        .bind(&s.name).bind(&s.slug).bind(s.position).bind(&s.description).bind(s.id)
        .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(|e| conflict_on_unique(e, || format!("a section with slug `{}` exists", s.slug)))?;
        found(n, || format!("section {}", s.id))
    }

    /// Removes a section no article belongs to.
    pub async fn delete_section(&mut self, id: Id) -> Result<()> {
        let n = on_tx!(self, c => sqlx::query("DELETE FROM sections WHERE id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        found(n, || format!("section {id}"))
    }

    /// Adds a tag.
    pub async fn create_tag(&mut self, t: &Tag) -> Result<Tag> {
        check_slug(&t.slug)?;
        let (id,): (i64,) = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO tags (name, slug) VALUES ($1, $2) RETURNING id",
        ).bind(&t.name).bind(&t.slug).fetch_one(&mut *c).await)
        .map_err(|e| conflict_on_unique(e, || format!("a tag with slug `{}` exists", t.slug)))?;
        Ok(Tag { id, ..t.clone() })
    }

    /// Renames a tag.
    pub async fn update_tag(&mut self, t: &Tag) -> Result<()> {
        check_slug(&t.slug)?;
        let n = on_tx!(self, c => sqlx::query("UPDATE tags SET name = $1, slug = $2 WHERE id = $3")
            .bind(&t.name).bind(&t.slug).bind(t.id).execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(|e| conflict_on_unique(e, || format!("a tag with slug `{}` exists", t.slug)))?;
        found(n, || format!("tag {}", t.id))
    }

    /// Removes a tag no article carries.
    pub async fn delete_tag(&mut self, id: Id) -> Result<()> {
        let n = on_tx!(self, c => sqlx::query("DELETE FROM tags WHERE id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        found(n, || format!("tag {id}"))
    }

    /// Adds an ongoing story.
    pub async fn create_story(&mut self, s: &Story) -> Result<Story> {
        check_slug(&s.slug)?;
        let (id,): (i64,) = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO stories (name, slug) VALUES ($1, $2) RETURNING id",
        ).bind(&s.name).bind(&s.slug).fetch_one(&mut *c).await)
        .map_err(|e| conflict_on_unique(e, || format!("a story with slug `{}` exists", s.slug)))?;
        Ok(Story { id, ..s.clone() })
    }

    /// Renames a story.
    pub async fn update_story(&mut self, s: &Story) -> Result<()> {
        check_slug(&s.slug)?;
        let n = on_tx!(self, c => sqlx::query("UPDATE stories SET name = $1, slug = $2 WHERE id = $3")
            .bind(&s.name).bind(&s.slug).bind(s.id).execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(|e| conflict_on_unique(e, || format!("a story with slug `{}` exists", s.slug)))?;
        found(n, || format!("story {}", s.id))
    }

    /// Removes a story no article follows.
    pub async fn delete_story(&mut self, id: Id) -> Result<()> {
        let n = on_tx!(self, c => sqlx::query("DELETE FROM stories WHERE id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        found(n, || format!("story {id}"))
    }

    /// Adds an author.
    pub async fn create_author(&mut self, a: &Author) -> Result<Author> {
        check_slug(&a.slug)?;
        let (id,): (i64,) = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO authors (name, slug, title, bio, photo_media_id) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&a.name).bind(&a.slug).bind(&a.title).bind(&a.bio).bind(a.photo_media_id)
        .fetch_one(&mut *c).await)
        .map_err(|e| conflict_on_unique(e, || format!("an author with slug `{}` exists", a.slug)))?;
        Ok(Author { id, ..a.clone() })
    }

    /// Changes an author's page.
    pub async fn update_author(&mut self, a: &Author) -> Result<()> {
        check_slug(&a.slug)?;
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE authors SET name = $1, slug = $2, title = $3, bio = $4, photo_media_id = $5 WHERE id = $6",
        )
        .bind(&a.name).bind(&a.slug).bind(&a.title).bind(&a.bio).bind(a.photo_media_id).bind(a.id)
        .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(|e| conflict_on_unique(e, || format!("an author with slug `{}` exists", a.slug)))?;
        found(n, || format!("author {}", a.id))
    }

    /// Removes an author no byline names.
    pub async fn delete_author(&mut self, id: Id) -> Result<()> {
        let n = on_tx!(self, c => sqlx::query("DELETE FROM authors WHERE id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        found(n, || format!("author {id}"))
    }
}

impl Database {
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

    /// Every tag, by name.
    pub async fn list_tags(&self) -> Result<Vec<Tag>> {
        let rows: Vec<(i64, String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, name, slug FROM tags ORDER BY name, id",
        ).fetch_all(p).await)?;
        Ok(rows.into_iter().map(|(id, name, slug)| Tag { id, name, slug }).collect())
    }

    /// Every story.
    pub async fn list_stories(&self) -> Result<Vec<Story>> {
        let rows: Vec<(i64, String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, name, slug FROM stories ORDER BY id",
        ).fetch_all(p).await)?;
        Ok(rows.into_iter().map(|(id, name, slug)| Story { id, name, slug }).collect())
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
}
