//! The site's settings kept in the database, by name.

use crate::tx::on_tx;
use crate::{Database, Result, Tx, on_pool};

impl Tx {
    /// The value of setting `name`, if it is set.
    pub async fn setting(&mut self, name: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = on_tx!(self, c => sqlx::query_as(
            "SELECT value FROM site_settings WHERE name = $1",
        ).bind(name).fetch_optional(&mut *c).await)?;
        Ok(row.map(|r| r.0))
    }

    /// Sets `name` to `value`, or back to the configuration's value (`None`).
    pub async fn put_setting(&mut self, name: &str, value: Option<&str>) -> Result<()> {
        match value {
            Some(v) => on_tx!(self, c => sqlx::query(
                "INSERT INTO site_settings (name, value) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            ).bind(name).bind(v).execute(&mut *c).await.map(|r| r.rows_affected()))?,
            None => on_tx!(self, c => sqlx::query("DELETE FROM site_settings WHERE name = $1")
                .bind(name).execute(&mut *c).await.map(|r| r.rows_affected()))?,
        };
        Ok(())
    }
}

impl Database {
    /// Every setting that is set, by name.
    pub async fn settings(&self) -> Result<Vec<(String, String)>> {
        Ok(
            on_pool!(self, p => sqlx::query_as("SELECT name, value FROM site_settings ORDER BY name")
            .fetch_all(p).await)?,
        )
    }
}
