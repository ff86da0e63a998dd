//! Newsroom accounts.

use crate::error::conflict_on_unique;
use crate::tx::on_tx;
use crate::{Database, DbError, Result, Tx, on_pool};
use chrono::{DateTime, Utc};
use newsdesk_core::Id;

/// An account to create.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Sign-in address, lowercased by the caller.
    pub email: &'a str,
    /// Name shown in the back office and the audit log.
    pub name: &'a str,
    /// Role name (`newsdesk_core::Role::as_str`).
    pub role: &'a str,
    /// The author profile the user writes as.
    pub author_id: Option<Id>,
    /// Argon2id PHC string.
    pub password_hash: &'a str,
    /// When.
    pub at: DateTime<Utc>,
}

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRow {
    /// Id.
    pub id: i64,
    /// Sign-in address, lowercase.
    pub email: String,
    /// Name.
    pub name: String,
    /// Role name.
    pub role: String,
    /// Author profile.
    pub author_id: Option<i64>,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// When the password was last set.
    pub password_changed_at: DateTime<Utc>,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
    /// When it was disabled, if it is.
    pub disabled_at: Option<DateTime<Utc>>,
}

impl Tx {
    /// Stores a new account; [`DbError::Conflict`] when the address is taken.
    pub async fn insert_user(&mut self, u: &NewUser<'_>) -> Result<Id> {
        let row: std::result::Result<(i64,), sqlx::Error> = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO users (email, name, role, author_id, password_hash, password_changed_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(u.email).bind(u.name).bind(u.role).bind(u.author_id).bind(u.password_hash).bind(u.at)
        .fetch_one(&mut *c).await);
        let (id,) = row.map_err(|e| {
            conflict_on_unique(e, || format!("an account with the address {} exists", u.email))
        })?;
        Ok(id)
    }

    /// The account `id`, read inside the transaction.
    pub async fn find_user(&mut self, id: Id) -> Result<UserRow> {
        let row: Option<UserRow> = on_tx!(self, c => sqlx::query_as(
            "SELECT id, email, name, role, author_id, password_hash, password_changed_at, created_at, \
             disabled_at FROM users WHERE id = $1",
        ).bind(id).fetch_optional(&mut *c).await)?;
        row.ok_or_else(|| DbError::not_found(format!("user {id}")))
    }

    /// Sets a new password hash.
    pub async fn set_password_hash(&mut self, id: Id, hash: &str, at: DateTime<Utc>) -> Result<()> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1",
        ).bind(id).bind(hash).bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(DbError::not_found(format!("user {id}")));
        }
        Ok(())
    }

    /// Disables the account (`Some(when)`) or enables it again (`None`).
    pub async fn set_user_disabled(&mut self, id: Id, at: Option<DateTime<Utc>>) -> Result<()> {
        let n = on_tx!(self, c => sqlx::query("UPDATE users SET disabled_at = $2 WHERE id = $1")
            .bind(id).bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(DbError::not_found(format!("user {id}")));
        }
        Ok(())
    }

    /// Accounts with `role` that are not disabled.
    pub async fn count_active_users_with_role(&mut self, role: &str) -> Result<i64> {
        let (n,): (i64,) = on_tx!(self, c => sqlx::query_as(
            "SELECT COUNT(*) FROM users WHERE role = $1 AND disabled_at IS NULL",
        ).bind(role).fetch_one(&mut *c).await)?;
        Ok(n)
    }
}

impl Database {
    /// The account signing in as `email` (lowercase), if any.
    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<UserRow>> {
        let row = on_pool!(self, p => sqlx::query_as(
            "SELECT id, email, name, role, author_id, password_hash, password_changed_at, created_at, \
             disabled_at FROM users WHERE email = $1",
        ).bind(email).fetch_optional(p).await)?;
        Ok(row)
    }

    /// Every account, by address.
    pub async fn list_users(&self) -> Result<Vec<UserRow>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, email, name, role, author_id, password_hash, password_changed_at, created_at, \
             disabled_at FROM users ORDER BY email",
        ).fetch_all(p).await)?;
        Ok(rows)
    }
}
