//! Integrations: API keys and tokens, webhooks and their deliveries.

use crate::tx::on_tx;
use crate::{Database, DbError, Result, Tx, on_pool};
use chrono::{DateTime, Utc};
use newsdesk_core::Id;

/// A key or token to store.
#[derive(Debug, Clone)]
pub struct NewApiKey<'a> {
    /// `content` or `admin`.
    pub kind: &'a str,
    /// What it is for, for people ("iOS app", "newsletter").
    pub name: &'a str,
    /// The first characters of the secret, to tell keys apart.
    pub prefix: &'a str,
    /// SHA-256 of the secret, hex.
    pub token_hash: &'a str,
    /// The user an admin token acts as.
    pub user_id: Option<Id>,
    /// Comma-separated scopes; empty for all the role allows.
    pub scopes: &'a str,
    /// Who made it (for the list and the audit log).
    pub created_by: &'a str,
    /// When.
    pub at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A stored key or token (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiKeyRow {
    /// Id.
    pub id: i64,
    /// `content` or `admin`.
    pub kind: String,
    /// What it is for.
    pub name: String,
    /// The first characters of the secret.
    pub prefix: String,
    /// The user an admin token acts as.
    pub user_id: Option<i64>,
    /// Comma-separated scopes.
    pub scopes: String,
    /// Who made it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was last presented (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

impl ApiKeyRow {
    /// Whether the key works at `now`: not revoked, not expired.
    pub fn live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|t| t > now)
    }

    /// Its state for people: `live`, `live until …`, `expired …`,
    /// `revoked …` (times to the minute, UTC).
    pub fn state(&self, now: DateTime<Utc>) -> String {
        let when = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        match (self.revoked_at, self.expires_at) {
            (Some(t), _) => format!("revoked {}", when(t)),
            (None, Some(t)) if t <= now => format!("expired {}", when(t)),
            (None, Some(t)) => format!("live until {}", when(t)),
            (None, None) => "live".into(),
        }
    }
}

macro_rules! select_keys {
    ($tail:literal) => {
        concat!(
            "SELECT id, kind, name, prefix, user_id, scopes, created_by, created_at, expires_at, ",
            "revoked_at, last_used_at FROM api_keys ",
            $tail
        )
    };
}

/// A webhook to store.
#[derive(Debug, Clone)]
pub struct NewWebhook<'a> {
    /// What it is for.
    pub name: &'a str,
    /// Where deliveries go.
    pub url: &'a str,
    /// Comma-separated event names.
    pub events: &'a str,
    /// The signing secret.
    pub secret: &'a str,
}

/// A stored webhook.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookRow {
    /// Id.
    pub id: i64,
    /// What it is for.
    pub name: String,
    /// Where deliveries go.
    pub url: String,
    /// Comma-separated event names.
    pub events: String,
    /// The signing secret.
    pub secret: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was switched off, if it is.
    pub disabled_at: Option<DateTime<Utc>>,
}

impl WebhookRow {
    /// Whether the webhook wants `event`.
    pub fn wants(&self, event: &str) -> bool {
        self.disabled_at.is_none() && self.events.split(',').any(|e| e.trim() == event)
    }
}

/// A delivery to store.
#[derive(Debug, Clone)]
pub struct NewDelivery<'a> {
    /// The webhook.
    pub webhook_id: Id,
    /// The delivery's own id, sent with it (receivers drop repeats).
    pub uuid: &'a str,
    /// Event name.
    pub event: &'a str,
    /// The JSON body sent.
    pub payload: &'a str,
    /// When.
    pub at: DateTime<Utc>,
}

/// A stored delivery.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeliveryRow {
    /// Id.
    pub id: i64,
    /// The webhook.
    pub webhook_id: i64,
    /// The delivery's own id.
    pub uuid: String,
    /// Event name.
    pub event: String,
    /// The JSON body sent.
    pub payload: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Tries so far.
    pub attempts: i32,
    /// The last HTTP status received.
    pub status: Option<i32>,
    /// The last failure, for people.
    pub error: String,
    /// When it was last tried.
    pub last_try_at: Option<DateTime<Utc>>,
    /// When a receiver accepted it.
    pub delivered_at: Option<DateTime<Utc>>,
}

macro_rules! select_deliveries {
    ($tail:literal) => {
        concat!(
            "SELECT id, webhook_id, uuid, event, payload, created_at, attempts, status, error, ",
            "last_try_at, delivered_at FROM webhook_deliveries ",
            $tail
        )
    };
}

impl Tx {
    /// Stores a key or token; returns its id.
    pub async fn insert_api_key(&mut self, k: &NewApiKey<'_>) -> Result<Id> {
        let (id,): (i64,) = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO api_keys (kind, name, prefix, token_hash, user_id, scopes, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(k.kind).bind(k.name).bind(k.prefix).bind(k.token_hash).bind(k.user_id)
        .bind(k.scopes).bind(k.created_by).bind(k.at).bind(k.expires_at)
        .fetch_one(&mut *c).await)?;
        Ok(id)
    }

    /// The key `id`, read inside the transaction.
    pub async fn find_api_key(&mut self, id: Id) -> Result<ApiKeyRow> {
        let row: Option<ApiKeyRow> = on_tx!(self, c => sqlx::query_as(select_keys!("WHERE id = $1"))
            .bind(id).fetch_optional(&mut *c).await)?;
        row.ok_or_else(|| DbError::not_found(format!("key {id}")))
    }

    /// Revokes a key; whether it was live until now.
    pub async fn revoke_api_key(&mut self, id: Id, at: DateTime<Utc>) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        ).bind(id).bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Stores a webhook; returns its id.
    pub async fn insert_webhook(&mut self, w: &NewWebhook<'_>, at: DateTime<Utc>) -> Result<Id> {
        let (id,): (i64,) = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO webhooks (name, url, events, secret, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(w.name).bind(w.url).bind(w.events).bind(w.secret).bind(at)
        .fetch_one(&mut *c).await)?;
        Ok(id)
    }

    /// Changes a webhook's name, address and events (the secret stays).
    pub async fn update_webhook(&mut self, id: Id, w: &NewWebhook<'_>) -> Result<()> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE webhooks SET name = $2, url = $3, events = $4 WHERE id = $1",
        ).bind(id).bind(w.name).bind(w.url).bind(w.events)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(DbError::not_found(format!("webhook {id}")));
        }
        Ok(())
    }

    /// Switches a webhook off (`Some(when)`) or on again (`None`).
    pub async fn set_webhook_disabled(&mut self, id: Id, at: Option<DateTime<Utc>>) -> Result<()> {
        let n = on_tx!(self, c => sqlx::query("UPDATE webhooks SET disabled_at = $2 WHERE id = $1")
            .bind(id).bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(DbError::not_found(format!("webhook {id}")));
        }
        Ok(())
    }

    /// Removes a webhook and its deliveries.
    pub async fn delete_webhook(&mut self, id: Id) -> Result<()> {
        on_tx!(self, c => sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        let n = on_tx!(self, c => sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(DbError::not_found(format!("webhook {id}")));
        }
        Ok(())
    }

    /// Every webhook that is switched on, read inside the transaction.
    pub async fn active_webhooks(&mut self) -> Result<Vec<WebhookRow>> {
        let rows: Vec<WebhookRow> = on_tx!(self, c => sqlx::query_as(
            "SELECT id, name, url, events, secret, created_at, disabled_at FROM webhooks \
             WHERE disabled_at IS NULL ORDER BY id",
        ).fetch_all(&mut *c).await)?;
        Ok(rows)
    }

    /// Stores a delivery; returns its id.
    pub async fn insert_delivery(&mut self, d: &NewDelivery<'_>) -> Result<Id> {
        let (id,): (i64,) = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO webhook_deliveries (webhook_id, uuid, event, payload, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(d.webhook_id).bind(d.uuid).bind(d.event).bind(d.payload).bind(d.at)
        .fetch_one(&mut *c).await)?;
        Ok(id)
    }
}

impl Database {
    /// The live key or token whose secret hashes to `hash` (not revoked,
    /// not expired at `now`).
    pub async fn live_api_key(&self, hash: &str, now: DateTime<Utc>) -> Result<Option<ApiKeyRow>> {
        let row: Option<ApiKeyRow> = on_pool!(self, p => sqlx::query_as(select_keys!(
            "WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)"
        )).bind(hash).bind(now).fetch_optional(p).await)?;
        Ok(row)
    }

    /// Notes that a key was used (callers do it at most once a minute).
    pub async fn touch_api_key(&self, id: Id, at: DateTime<Utc>) -> Result<()> {
        on_pool!(self, p => sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1")
            .bind(id).bind(at).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Keys of `kind`, newest first; only `user_id`'s when given.
    pub async fn list_api_keys(&self, kind: &str, user_id: Option<Id>) -> Result<Vec<ApiKeyRow>> {
        let rows: Vec<ApiKeyRow> = on_pool!(self, p => sqlx::query_as(select_keys!(
            "WHERE kind = $1 AND ($2 IS NULL OR user_id = $2) ORDER BY id DESC"
        )).bind(kind).bind(user_id).fetch_all(p).await)?;
        Ok(rows)
    }

    /// Every webhook, oldest first.
    pub async fn list_webhooks(&self) -> Result<Vec<WebhookRow>> {
        let rows: Vec<WebhookRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, name, url, events, secret, created_at, disabled_at FROM webhooks ORDER BY id",
        ).fetch_all(p).await)?;
        Ok(rows)
    }

    /// The webhook `id`.
    pub async fn webhook(&self, id: Id) -> Result<WebhookRow> {
        let row: Option<WebhookRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, name, url, events, secret, created_at, disabled_at FROM webhooks WHERE id = $1",
        ).bind(id).fetch_optional(p).await)?;
        row.ok_or_else(|| DbError::not_found(format!("webhook {id}")))
    }

    /// The delivery `id`.
    pub async fn delivery(&self, id: Id) -> Result<DeliveryRow> {
        let row: Option<DeliveryRow> = on_pool!(self, p => sqlx::query_as(
            select_deliveries!("WHERE id = $1"),
        ).bind(id).fetch_optional(p).await)?;
        row.ok_or_else(|| DbError::not_found(format!("delivery {id}")))
    }

    /// The newest `limit` deliveries of a webhook.
    pub async fn list_deliveries(&self, webhook_id: Id, limit: i64) -> Result<Vec<DeliveryRow>> {
        let rows: Vec<DeliveryRow> = on_pool!(self, p => sqlx::query_as(
            select_deliveries!("WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2"),
        ).bind(webhook_id).bind(limit).fetch_all(p).await)?;
        Ok(rows)
    }

    /// Forgets deliveries made before `before` that are settled: delivered,
    /// or given up after `max_attempts` tries. Returns how many.
    pub async fn prune_deliveries(&self, before: DateTime<Utc>, max_attempts: i32) -> Result<u64> {
        let n = on_pool!(self, p => sqlx::query(
            "DELETE FROM webhook_deliveries WHERE created_at < $1 \
             AND (delivered_at IS NOT NULL OR attempts >= $2)",
        ).bind(before).bind(max_attempts).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }

    /// Records one try of a delivery: the status received (if any), the
    /// failure (empty when it was accepted).
    pub async fn record_delivery_try(
        &self,
        id: Id,
        status: Option<i32>,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let delivered = if error.is_empty() { Some(at) } else { None };
        on_pool!(self, p => sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, status = $2, error = $3, \
             last_try_at = $4, delivered_at = COALESCE(delivered_at, $5) WHERE id = $1",
        ).bind(id).bind(status).bind(error).bind(at).bind(delivered).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}
