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

/// The account columns of [`UserRow`] from `users`, then `$tail`.
macro_rules! select_users {
    ($tail:literal) => {
        concat!(
            "SELECT id, email, name, role, author_id, password_hash, password_changed_at, ",
            "created_at, disabled_at FROM users ",
            $tail
        )
    };
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
            select_users!("WHERE id = $1"),
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

    /// Gives the account another role (and, when it has none, the author
    /// profile it writes as).
    pub async fn set_user_role(&mut self, id: Id, role: &str, author_id: Option<Id>) -> Result<()> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE users SET role = $2, author_id = COALESCE(author_id, $3) WHERE id = $1",
        ).bind(id).bind(role).bind(author_id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
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

    /// Accounts with `role` that are not disabled, locked until the
    /// transaction ends (two owners disabling each other at once on
    /// PostgreSQL must not both see the other still active; SQLite's
    /// writers take turns anyway).
    pub async fn count_active_users_with_role(&mut self, role: &str) -> Result<i64> {
        let sql = match self.backend() {
            crate::Backend::Sqlite => {
                "SELECT id FROM users WHERE role = $1 AND disabled_at IS NULL"
            }
            crate::Backend::Postgres => {
                "SELECT id FROM users WHERE role = $1 AND disabled_at IS NULL FOR UPDATE"
            }
        };
        let rows: Vec<(i64,)> = on_tx!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(role).fetch_all(&mut *c).await)?;
        Ok(rows.len() as i64)
    }
}

impl Database {
    /// The account signing in as `email` (lowercase), if any.
    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<UserRow>> {
        let row = on_pool!(self, p => sqlx::query_as(
            select_users!("WHERE email = $1"),
        ).bind(email).fetch_optional(p).await)?;
        Ok(row)
    }

    /// Every account, by address.
    pub async fn list_users(&self) -> Result<Vec<UserRow>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            select_users!("ORDER BY email"),
        ).fetch_all(p).await)?;
        Ok(rows)
    }
}

/// A session to store.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    /// SHA-256 of the cookie's token, hex.
    pub token_hash: &'a str,
    /// Whose.
    pub user_id: Id,
    /// The token forms must carry.
    pub csrf_token: &'a str,
    /// When it began.
    pub at: DateTime<Utc>,
    /// When it ends whatever happens.
    pub expires_at: DateTime<Utc>,
    /// Where from.
    pub ip: &'a str,
    /// With what.
    pub user_agent: &'a str,
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    /// Id.
    pub id: i64,
    /// Whose.
    pub user_id: i64,
    /// The token forms must carry.
    pub csrf_token: String,
    /// When it began.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute).
    pub last_seen_at: DateTime<Utc>,
    /// When it ends whatever happens.
    pub expires_at: DateTime<Utc>,
    /// Where from.
    pub ip: String,
    /// With what.
    pub user_agent: String,
}

/// An entry for the audit log.
#[derive(Debug, Clone)]
pub struct NewAudit<'a> {
    /// When.
    pub at: DateTime<Utc>,
    /// The acting user, when a user acted.
    pub user_id: Option<Id>,
    /// Who, as shown to people.
    pub actor: &'a str,
    /// What: `sign_in`, `sign_in_failed`, `sign_out`, `user_added`, …
    pub action: &'a str,
    /// On what: an address, `user 3`, `article 12`.
    pub subject: &'a str,
    /// From where.
    pub ip: &'a str,
    /// More, for people.
    pub detail: &'a str,
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    /// Id.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// The acting user.
    pub user_id: Option<i64>,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub subject: String,
    /// From where.
    pub ip: String,
    /// More.
    pub detail: String,
}

impl Tx {
    /// Stores a session.
    pub async fn insert_session(&mut self, s: &NewSession<'_>) -> Result<Id> {
        let (id,): (i64,) = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent) \
             VALUES ($1, $2, $3, $4, $4, $5, $6, $7) RETURNING id",
        )
        .bind(s.token_hash).bind(s.user_id).bind(s.csrf_token).bind(s.at).bind(s.expires_at)
        .bind(s.ip).bind(s.user_agent)
        .fetch_one(&mut *c).await)?;
        Ok(id)
    }

    /// Ends one session.
    pub async fn delete_session(&mut self, id: Id) -> Result<u64> {
        let n = on_tx!(self, c => sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }

    /// Ends every session of `user_id` but `keep`.
    pub async fn delete_user_sessions(&mut self, user_id: Id, keep: Option<Id>) -> Result<u64> {
        let n = on_tx!(self, c => sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR id <> $2)",
        ).bind(user_id).bind(keep).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }

    /// Sets when every session was last used (to try idle expiry).
    pub async fn set_sessions_last_seen(&mut self, at: DateTime<Utc>) -> Result<u64> {
        let n = on_tx!(self, c => sqlx::query("UPDATE sessions SET last_seen_at = $1")
            .bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }

    /// Notes a failed sign-in.
    pub async fn record_sign_in_failure(
        &mut self,
        email: &str,
        ip: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query("INSERT INTO sign_in_failures (email, ip, at) VALUES ($1, $2, $3)")
            .bind(email).bind(ip).bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Forgets the failed sign-ins of `email` (after a successful one) and
    /// every failure older than `before`.
    pub async fn clear_sign_in_failures(
        &mut self,
        email: &str,
        before: DateTime<Utc>,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query("DELETE FROM sign_in_failures WHERE email = $1 OR at < $2")
            .bind(email).bind(before).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Appends to the audit log.
    pub async fn audit(&mut self, a: &NewAudit<'_>) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO audit_log (at, user_id, actor, action, subject, ip, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(a.at).bind(a.user_id).bind(a.actor).bind(a.action).bind(a.subject).bind(a.ip).bind(a.detail)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}

impl Database {
    /// The session whose token hashes to `token_hash`, if any.
    pub async fn find_session(&self, token_hash: &str) -> Result<Option<SessionRow>> {
        let row = on_pool!(self, p => sqlx::query_as(
            "SELECT id, user_id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent \
             FROM sessions WHERE token_hash = $1",
        ).bind(token_hash).fetch_optional(p).await)?;
        Ok(row)
    }

    /// The account `id`, if any.
    pub async fn find_user_by_id(&self, id: Id) -> Result<Option<UserRow>> {
        let row = on_pool!(self, p => sqlx::query_as(
            select_users!("WHERE id = $1"),
        ).bind(id).fetch_optional(p).await)?;
        Ok(row)
    }

    /// Notes that a session was used at `at`.
    pub async fn touch_session(&self, id: Id, at: DateTime<Utc>) -> Result<()> {
        on_pool!(self, p => sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
            .bind(id).bind(at).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Ends a session that is over (expired, its user gone).
    pub async fn drop_session(&self, id: Id) -> Result<()> {
        on_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Forgets sessions that are over (past their lifetime, or idle since
    /// `idle_before`) and failed sign-ins older than `failed_before`;
    /// returns how many rows went.
    pub async fn prune_sign_ins(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
        failed_before: DateTime<Utc>,
    ) -> Result<u64> {
        let sessions = on_pool!(self, p => sqlx::query(
            "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2")
            .bind(now).bind(idle_before).execute(p).await.map(|r| r.rows_affected()))?;
        let failures = on_pool!(self, p => sqlx::query("DELETE FROM sign_in_failures WHERE at < $1")
            .bind(failed_before).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(sessions + failures)
    }

    /// Failed sign-ins since `since`: for `email`, and from `ip`.
    pub async fn sign_in_failures(
        &self,
        email: &str,
        ip: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, i64)> {
        let (by_email, by_ip): (i64, i64) = on_pool!(self, p => sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM sign_in_failures WHERE email = $1 AND at >= $3), \
                    (SELECT COUNT(*) FROM sign_in_failures WHERE ip = $2 AND at >= $3)",
        ).bind(email).bind(ip).bind(since).fetch_one(p).await)?;
        Ok((by_email, by_ip))
    }

    /// Audit entries older than `before` (an id; all when `None`), only
    /// `action` when given, newest first: one page of the log.
    pub async fn audit_page(
        &self,
        action: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRow>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, at, user_id, actor, action, subject, ip, detail FROM audit_log \
             WHERE ($1 IS NULL OR action = $1) AND ($2 IS NULL OR id < $2) \
             ORDER BY id DESC LIMIT $3",
        ).bind(action).bind(before).bind(limit).fetch_all(p).await)?;
        Ok(rows)
    }

    /// The actions the audit log holds, sorted.
    pub async fn audit_actions(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_pool!(self, p => sqlx::query_as(
            "SELECT DISTINCT action FROM audit_log ORDER BY action",
        ).fetch_all(p).await)?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The newest audit entries, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditRow>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, at, user_id, actor, action, subject, ip, detail FROM audit_log \
             ORDER BY id DESC LIMIT $1",
        ).bind(limit).fetch_all(p).await)?;
        Ok(rows)
    }
}
