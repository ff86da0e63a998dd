//! The media library: items, their files, and where they are used.

use crate::error::conflict_on_unique;
use crate::tx::on_tx;
use crate::{
    Database, DbError, Exec, Result, Tx, from_json, on_exec, on_pool, placeholders, to_json,
};
use chrono::{DateTime, Utc};
use newsdesk_core::{Id, Media, Rendition};

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
    focal_x: i32,
    focal_y: i32,
    ai_generated: bool,
    source_type: Option<String>,
    creator: Option<String>,
    taken: Option<String>,
    file_name: String,
    bytes: i64,
    hash: Option<String>,
    original: Option<String>,
    uploaded_by: Option<i64>,
    uploaded_at: Option<DateTime<Utc>>,
    version: i32,
}

impl MediaRow {
    fn into_media(self) -> Result<Media> {
        let id = self.id;
        let focal = |v: i32| u16::try_from(v.clamp(0, 1000)).unwrap_or(500);
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
            focal_x: focal(self.focal_x),
            focal_y: focal(self.focal_y),
            ai_generated: self.ai_generated,
            source_type: self.source_type,
            creator: self.creator,
            taken: self.taken,
            file_name: self.file_name,
            bytes: u64::try_from(self.bytes).unwrap_or(0),
            hash: self.hash,
            original: self.original,
            uploaded_by: self.uploaded_by,
            uploaded_at: self.uploaded_at,
            version: self.version,
        })
    }
}

const MEDIA_COLUMNS: &str = "id, file, width, height, alt, caption, credit, rights, renditions, \
     focal_x, focal_y, ai_generated, source_type, creator, taken, file_name, bytes, hash, \
     original, uploaded_by, uploaded_at, version";

fn dims(m: &Media) -> Result<(i32, i32)> {
    let w = i32::try_from(m.width).map_err(|_| DbError::Invalid("image too wide".into()))?;
    let h = i32::try_from(m.height).map_err(|_| DbError::Invalid("image too tall".into()))?;
    Ok((w, h))
}

/// An article that shows a media item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaUse {
    /// The article.
    pub article_id: Id,
    /// Its headline.
    pub headline: String,
    /// Its status, as stored (`draft`, `published`, …).
    pub status: String,
    /// Its public path when published.
    pub path: Option<String>,
}

/// What the library page lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaFilter {
    /// Words that must appear in the alt text, caption, credit or file name.
    pub q: Option<String>,
    /// Uploaded by this user.
    pub uploaded_by: Option<Id>,
    /// Uploaded on or after.
    pub since: Option<DateTime<Utc>>,
    /// Uploaded before.
    pub until: Option<DateTime<Utc>>,
    /// Only items with no alt text or no credit.
    pub missing_alt_or_credit: bool,
    /// Only items marked as made by an algorithm.
    pub ai_generated: bool,
    /// Items with an id below this one (the page after, newest first).
    pub before_id: Option<Id>,
}

/// `%word%` for a case-insensitive `LIKE`, with the wildcards of the word
/// itself escaped.
fn like(word: &str) -> String {
    let mut out = String::from("%");
    for c in word.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl Tx {
    /// Adds a media item (its files must already be stored).
    pub async fn create_media(&mut self, m: &Media) -> Result<Media> {
        let (w, h) = dims(m)?;
        let bytes = i64::try_from(m.bytes).unwrap_or(i64::MAX);
        let (id,): (i64,) = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO media (file, width, height, alt, caption, credit, rights, renditions, \
             focal_x, focal_y, ai_generated, source_type, creator, taken, file_name, bytes, hash, \
             original, uploaded_by, uploaded_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20, 1) RETURNING id",
        )
        .bind(&m.file).bind(w).bind(h).bind(&m.alt).bind(&m.caption).bind(&m.credit)
        .bind(&m.rights).bind(to_json(&m.renditions)).bind(i32::from(m.focal_x))
        .bind(i32::from(m.focal_y)).bind(m.ai_generated).bind(&m.source_type).bind(&m.creator)
        .bind(&m.taken).bind(&m.file_name).bind(bytes).bind(&m.hash).bind(&m.original)
        .bind(m.uploaded_by).bind(m.uploaded_at)
        .fetch_one(&mut *c).await)
        .map_err(|e| {
            conflict_on_unique(e, || format!("media file `{}` is already in the library", m.file))
        })?;
        Ok(Media { id, version: 1, ..m.clone() })
    }

    /// The media items with these ids, as this transaction sees them.
    pub async fn media_by_ids(&mut self, ids: &[Id]) -> Result<Vec<Media>> {
        media_by_ids(Exec::Tx(self), ids).await
    }

    /// The item made from an upload with this SHA-256, if any.
    pub async fn media_by_hash(&mut self, hash: &str) -> Result<Option<Media>> {
        let sql = format!("SELECT {MEDIA_COLUMNS} FROM media WHERE hash = $1");
        let row: Option<MediaRow> = on_tx!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(hash).fetch_optional(&mut *c).await)?;
        row.map(MediaRow::into_media).transpose()
    }

    /// Stores an editor's changes to an item's texts, focal point and
    /// label, made from `expected_version`; a stale edit gets
    /// [`DbError::Stale`] and changes nothing.
    pub async fn update_media(&mut self, m: &Media, expected_version: i32) -> Result<i32> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE media SET alt = $1, caption = $2, credit = $3, rights = $4, focal_x = $5, \
             focal_y = $6, ai_generated = $7, creator = $8, version = version + 1 \
             WHERE id = $9 AND version = $10",
        )
        .bind(&m.alt).bind(&m.caption).bind(&m.credit).bind(&m.rights)
        .bind(i32::from(m.focal_x)).bind(i32::from(m.focal_y)).bind(m.ai_generated)
        .bind(&m.creator).bind(m.id).bind(expected_version)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(self.media_stale(m.id).await);
        }
        Ok(expected_version + 1)
    }

    async fn media_stale(&mut self, id: Id) -> DbError {
        let v: std::result::Result<Option<(i32,)>, _> = on_tx!(self, c => sqlx::query_as(
            "SELECT version FROM media WHERE id = $1").bind(id).fetch_optional(&mut *c).await);
        match v {
            Ok(Some((current_version,))) => DbError::Stale { current_version },
            Ok(None) => DbError::not_found(format!("media item {id}")),
            Err(e) => DbError::from(e),
        }
    }

    /// Points an item at a new upload (a replaced file): its master file,
    /// size, hash, original and what the file says of its making;
    /// renditions start empty again.
    pub async fn replace_media_file(&mut self, m: &Media, expected_version: i32) -> Result<i32> {
        let (w, h) = dims(m)?;
        let bytes = i64::try_from(m.bytes).unwrap_or(i64::MAX);
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE media SET file = $1, width = $2, height = $3, renditions = '[]', hash = $4, \
             original = $5, bytes = $6, file_name = $7, ai_generated = $8, source_type = $9, \
             taken = $10, creator = $11, version = version + 1 \
             WHERE id = $12 AND version = $13",
        )
        .bind(&m.file).bind(w).bind(h).bind(&m.hash).bind(&m.original).bind(bytes)
        .bind(&m.file_name).bind(m.ai_generated).bind(&m.source_type).bind(&m.taken)
        .bind(&m.creator).bind(m.id).bind(expected_version)
        .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(|e| conflict_on_unique(e, || "that picture is already in the library".into()))?;
        if n == 0 {
            return Err(self.media_stale(m.id).await);
        }
        Ok(expected_version + 1)
    }

    /// Stores the renditions made for an item, if it still holds the file
    /// (`hash`) and focal point they were made from; returns whether it
    /// did. A job that lost a race with an edit changes nothing.
    pub async fn set_renditions(
        &mut self,
        id: Id,
        hash: &str,
        focal: (u16, u16),
        renditions: &[Rendition],
    ) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE media SET renditions = $1 WHERE id = $2 AND hash = $3 AND focal_x = $4 \
             AND focal_y = $5",
        )
        .bind(to_json(&renditions)).bind(id).bind(hash).bind(i32::from(focal.0))
        .bind(i32::from(focal.1))
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Removes an item no article, author or setting uses. The caller
    /// checks uses first; the database refuses too (a reference).
    pub async fn delete_media(&mut self, id: Id) -> Result<()> {
        let n = on_tx!(self, c => sqlx::query("DELETE FROM media WHERE id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(|e| conflict_on_unique(e, || format!("media item {id} is still in use")))?;
        if n == 0 { Err(DbError::not_found(format!("media item {id}"))) } else { Ok(()) }
    }

    /// Records which media items an article shows (ids with no item are
    /// left out); returns the ids it showed before, for invalidation.
    pub async fn set_media_uses(&mut self, article_id: Id, ids: &[Id]) -> Result<Vec<Id>> {
        let before: Vec<(i64,)> = on_tx!(self, c => sqlx::query_as(
            "SELECT media_id FROM media_uses WHERE article_id = $1")
            .bind(article_id).fetch_all(&mut *c).await)?;
        let before: Vec<Id> = before.into_iter().map(|(i,)| i).collect();
        let mut want: Vec<Id> = ids.to_vec();
        want.sort_unstable();
        want.dedup();
        let mut had = before.clone();
        had.sort_unstable();
        if had == want {
            return Ok(before);
        }
        on_tx!(self, c => sqlx::query("DELETE FROM media_uses WHERE article_id = $1")
            .bind(article_id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if !want.is_empty() {
            let sql = format!(
                "INSERT INTO media_uses (media_id, article_id) SELECT id, $1 FROM media \
                 WHERE id IN ({})",
                placeholders(2, want.len())
            );
            on_tx!(self, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(article_id);
                for id in &want {
                    q = q.bind(*id);
                }
                q.execute(&mut *c).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(before)
    }

    /// Whether an author's portrait or the site's logo is this item.
    pub async fn media_shown_outside_articles(&mut self, media_id: Id) -> Result<bool> {
        let (n,): (i64,) = on_tx!(self, c => sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM authors WHERE photo_media_id = $1) + \
             (SELECT COUNT(*) FROM site_settings WHERE name = 'logo_media_id' AND value = $2)",
        ).bind(media_id).bind(media_id.to_string()).fetch_one(&mut *c).await)?;
        Ok(n > 0)
    }

    /// The articles that show a media item, as this transaction sees them.
    pub async fn media_article_ids(&mut self, media_id: Id) -> Result<Vec<Id>> {
        let rows: Vec<(i64,)> = on_tx!(self, c => sqlx::query_as(
            "SELECT article_id FROM media_uses WHERE media_id = $1 ORDER BY article_id")
            .bind(media_id).fetch_all(&mut *c).await)?;
        Ok(rows.into_iter().map(|(i,)| i).collect())
    }
}

pub(crate) async fn media_by_ids(mut ex: Exec<'_>, ids: &[Id]) -> Result<Vec<Media>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {MEDIA_COLUMNS} FROM media WHERE id IN ({})",
        placeholders(1, crate::id_slots(ids.len()))
    );
    let rows: Vec<MediaRow> = on_exec!(&mut ex, c => {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        for id in crate::padded_ids(ids) {
            q = q.bind(id);
        }
        q.fetch_all(c).await
    })?;
    rows.into_iter().map(MediaRow::into_media).collect()
}

impl Database {
    /// The media items with these ids (missing ids are skipped).
    pub async fn media_by_ids(&self, ids: &[Id]) -> Result<Vec<Media>> {
        media_by_ids(Exec::Db(self), ids).await
    }

    /// One media item.
    pub async fn media(&self, id: Id) -> Result<Media> {
        self.media_by_ids(&[id])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| DbError::not_found(format!("media item {id}")))
    }

    /// A page of the library, newest first.
    pub async fn list_media(&self, f: &MediaFilter, limit: u32) -> Result<Vec<Media>> {
        let mut wh: Vec<String> = Vec::new();
        let mut binds: Vec<Bind> = Vec::new();
        let arg = |b: Bind, binds: &mut Vec<Bind>| {
            binds.push(b);
            format!("${}", binds.len())
        };
        for word in f.q.as_deref().unwrap_or_default().split_whitespace().take(8) {
            let p = arg(Bind::Text(like(word)), &mut binds);
            wh.push(format!(
                "(LOWER(COALESCE(alt, '')) LIKE {p} ESCAPE '\\' \
                 OR LOWER(COALESCE(caption, '')) LIKE {p} ESCAPE '\\' \
                 OR LOWER(COALESCE(credit, '')) LIKE {p} ESCAPE '\\' \
                 OR LOWER(file_name) LIKE {p} ESCAPE '\\')"
            ));
        }
        if let Some(u) = f.uploaded_by {
            wh.push(format!("uploaded_by = {}", arg(Bind::Int(u), &mut binds)));
        }
        if let Some(t) = f.since {
            wh.push(format!("uploaded_at >= {}", arg(Bind::Time(t), &mut binds)));
        }
        if let Some(t) = f.until {
            wh.push(format!("uploaded_at < {}", arg(Bind::Time(t), &mut binds)));
        }
        if f.missing_alt_or_credit {
            wh.push("(COALESCE(TRIM(alt), '') = '' OR COALESCE(TRIM(credit), '') = '')".into());
        }
        if f.ai_generated {
            wh.push(format!("ai_generated = {}", arg(Bind::Bool(true), &mut binds)));
        }
        if let Some(b) = f.before_id {
            wh.push(format!("id < {}", arg(Bind::Int(b), &mut binds)));
        }
        let sql = format!(
            "SELECT {MEDIA_COLUMNS} FROM media {} ORDER BY id DESC LIMIT {}",
            if wh.is_empty() { String::new() } else { format!("WHERE {}", wh.join(" AND ")) },
            limit.min(500)
        );
        let rows: Vec<MediaRow> = on_pool!(self, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for b in &binds {
                q = match b {
                    Bind::Text(s) => q.bind(s.clone()),
                    Bind::Int(i) => q.bind(*i),
                    Bind::Time(t) => q.bind(*t),
                    Bind::Bool(v) => q.bind(*v),
                };
            }
            q.fetch_all(p).await
        })?;
        rows.into_iter().map(MediaRow::into_media).collect()
    }

    /// The articles that show a media item, newest first.
    pub async fn media_uses(&self, media_id: Id) -> Result<Vec<MediaUse>> {
        let rows: Vec<(i64, String, String, Option<String>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT a.id, a.headline, a.status, a.path FROM media_uses u \
             JOIN articles a ON a.id = u.article_id WHERE u.media_id = $1 \
             ORDER BY a.updated_at DESC, a.id DESC LIMIT 200",
        ).bind(media_id).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|(article_id, headline, status, path)| MediaUse {
                article_id,
                headline,
                status,
                path,
            })
            .collect())
    }

    /// The authors whose portrait is this media item: `(id, name)`.
    pub async fn media_portrait_of(&self, media_id: Id) -> Result<Vec<(Id, String)>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, name FROM authors WHERE photo_media_id = $1 ORDER BY name")
            .bind(media_id).fetch_all(p).await)?)
    }
}

enum Bind {
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
    Bool(bool),
}
