//! Sign-in sessions of the back office, kept in the database so that every
//! node sharing it knows them.
//!
//! The browser holds a random 256-bit token in a cookie; the store keeps
//! only its SHA-256, so a copy of the database signs nobody in. A session
//! ends after [`IDLE`] without use, at [`LIFETIME`] whatever happens, at
//! sign-out, and when its user's password changes or the account is
//! disabled. Failed sign-ins are counted per account and per address for
//! [`THROTTLE_WINDOW`]; past [`MAX_FAILURES_PER_ACCOUNT`] or
//! [`MAX_FAILURES_PER_ADDRESS`] sign-in is refused until the window moves
//! on, even with the right password.

use crate::accounts::{User, normalize_email};
use crate::{Newsroom, Result};
use chrono::{DateTime, Duration, Utc};
use newsdesk_core::{Actor, Id};
use newsdesk_db::{NewAudit, NewSession};
use sha2::{Digest, Sha256};

/// A session unused this long is over.
pub const IDLE: Duration = Duration::hours(12);
/// A session is over this long after sign-in, used or not.
pub const LIFETIME: Duration = Duration::days(14);
/// How far back failed sign-ins count.
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);
/// Failed sign-ins for one account within the window before it is held.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed sign-ins from one address within the window before it is held.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
/// How stale `last_seen_at` may get before a request writes it again (one
/// write a minute per session, not one per request).
pub const TOUCH_EVERY: Duration = Duration::seconds(60);

/// Who the audit log names for attempts by someone not signed in (the
/// address typed is the entry's subject, never its actor).
pub const ANONYMOUS: &str = "not signed in";

/// A signed-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Id.
    pub id: Id,
    /// Who.
    pub user: User,
    /// The token every form of this session must carry.
    pub csrf_token: String,
    /// When it ends at the latest.
    pub expires_at: DateTime<Utc>,
}

/// How a sign-in went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// Signed in: `token` goes into the cookie.
    Done {
        /// The cookie's value.
        token: String,
        /// The new session.
        session: Session,
    },
    /// Wrong address or password (which one is not told).
    Wrong,
    /// Too many failures lately; try again after `minutes`.
    Held {
        /// The length of the window failures are counted over: waiting that
        /// long always lifts the hold.
        minutes: i64,
    },
}

/// Where a request came from and with what, for sessions and the audit log.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The client's address.
    pub ip: String,
    /// Its `User-Agent`, cut short.
    pub user_agent: String,
}

/// 32 random bytes as hex: session tokens, CSRF tokens.
pub fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| crate::Error::Refused(format!("no randomness for a session: {e}")))?;
    Ok(hex(&bytes))
}

/// Bytes as lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The stored form of a cookie token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Forgets sessions that are over and failed sign-ins too old to count
/// (otherwise they would stay until their next use, or for ever).
pub async fn prune(db: &newsdesk_db::Database) -> Result<u64> {
    let now = Utc::now();
    Ok(db.prune_sign_ins(now, now - IDLE, now - THROTTLE_WINDOW).await?)
}

/// What failed sign-ins from `ip` are counted under: the address itself,
/// except that an IPv6 address counts as its /64 (one client holds a whole
/// /64 and picks addresses in it at will), and an IPv4 address mapped into
/// IPv6 as the IPv4 address.
pub fn throttle_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{prefix}/64")
            }
        },
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

/// Compares two secrets without stopping at the first difference.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Newsroom {
    /// Signs in with `email` and `password`: a new session, or why not.
    /// Successes, failures and holds go to the audit log.
    pub async fn sign_in(&self, email: &str, password: &str, from: &Origin) -> Result<SignIn> {
        let now = Utc::now();
        let key = normalize_email(email).unwrap_or_else(|_| email.trim().to_lowercase());
        let key: String = key.chars().take(254).collect();
        // Every attempt is written down before the password is checked, and
        // counts itself: many attempts at once cannot all see a count under
        // the limit. A successful one removes it again below.
        let place = throttle_key(&from.ip);
        let mut tx = self.db().begin().await?;
        tx.record_sign_in_failure(&key, &place, now).await?;
        tx.commit().await?;
        let (by_account, by_address) =
            self.db().sign_in_failures(&key, &place, now - THROTTLE_WINDOW).await?;
        if by_account > MAX_FAILURES_PER_ACCOUNT || by_address > MAX_FAILURES_PER_ADDRESS {
            let mut tx = self.db().begin().await?;
            let why = "too many failures";
            tx.audit(&audit(now, None, ANONYMOUS, "sign_in_held", &key, from, why)).await?;
            tx.commit().await?;
            return Ok(SignIn::Held { minutes: THROTTLE_WINDOW.num_minutes() });
        }
        let Some(user) = self.authenticate(&key, password).await? else {
            let mut tx = self.db().begin().await?;
            tx.audit(&audit(now, None, ANONYMOUS, "sign_in_failed", &key, from, "")).await?;
            tx.commit().await?;
            return Ok(SignIn::Wrong);
        };
        let token = new_token()?;
        let csrf_token = new_token()?;
        let expires_at = now + LIFETIME;
        let mut tx = self.db().begin().await?;
        let id = tx
            .insert_session(&NewSession {
                token_hash: &token_hash(&token),
                user_id: user.id,
                csrf_token: &csrf_token,
                at: now,
                expires_at,
                ip: &from.ip,
                user_agent: &from.user_agent,
            })
            .await?;
        tx.clear_sign_in_failures(&key, now - THROTTLE_WINDOW).await?;
        tx.audit(&audit(now, Some(user.id), &user.name, "sign_in", &user.email, from, "")).await?;
        tx.commit().await?;
        Ok(SignIn::Done { token, session: Session { id, user, csrf_token, expires_at } })
    }

    /// The live session of a cookie `token`, if it is one: not idle too
    /// long, not past its lifetime, its account enabled. Ends sessions
    /// found over.
    pub async fn session(&self, token: &str) -> Result<Option<Session>> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let Some(row) = self.db().find_session(&token_hash(token)).await? else {
            return Ok(None);
        };
        let now = Utc::now();
        let user = match self.db().find_user_by_id(row.user_id).await? {
            Some(u) if u.disabled_at.is_none() => u,
            _ => {
                self.db().drop_session(row.id).await?;
                return Ok(None);
            }
        };
        if now >= row.expires_at || now - row.last_seen_at >= IDLE {
            self.db().drop_session(row.id).await?;
            return Ok(None);
        }
        if now - row.last_seen_at >= TOUCH_EVERY {
            self.db().touch_session(row.id, now).await?;
        }
        let user = User::from_row(&user)?;
        Ok(Some(Session {
            id: row.id,
            user,
            csrf_token: row.csrf_token,
            expires_at: row.expires_at,
        }))
    }

    /// Ends `session` (sign-out), or with `everywhere` every session of
    /// its user.
    pub async fn sign_out(
        &self,
        session: &Session,
        everywhere: bool,
        from: &Origin,
    ) -> Result<u64> {
        let now = Utc::now();
        let mut tx = self.db().begin().await?;
        let n = if everywhere {
            tx.delete_user_sessions(session.user.id, None).await?
        } else {
            tx.delete_session(session.id).await?
        };
        let action = if everywhere { "sign_out_everywhere" } else { "sign_out" };
        let u = &session.user;
        tx.audit(&audit(now, Some(u.id), &u.name, action, &u.email, from, "")).await?;
        tx.commit().await?;
        Ok(n)
    }
}

/// How a change of one's own password went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordChange {
    /// Changed; every other session of the user has ended.
    Done,
    /// The current password given was not right (counted like a failed
    /// sign-in).
    WrongCurrent,
    /// Too many failures lately.
    Held {
        /// Minutes to wait.
        minutes: i64,
    },
}

impl Newsroom {
    /// Changes the signed-in user's own password after checking the
    /// current one; this session goes on, every other one ends.
    pub async fn change_own_password(
        &self,
        session: &Session,
        current: &str,
        new: &str,
        from: &Origin,
    ) -> Result<PasswordChange> {
        let now = Utc::now();
        let u = &session.user;
        let place = throttle_key(&from.ip);
        let (by_account, by_address) =
            self.db().sign_in_failures(&u.email, &place, now - THROTTLE_WINDOW).await?;
        if by_account >= MAX_FAILURES_PER_ACCOUNT || by_address >= MAX_FAILURES_PER_ADDRESS {
            return Ok(PasswordChange::Held { minutes: THROTTLE_WINDOW.num_minutes() });
        }
        if self.authenticate(&u.email, current).await?.is_none() {
            let mut tx = self.db().begin().await?;
            tx.record_sign_in_failure(&u.email, &place, now).await?;
            let what = "wrong current password";
            tx.audit(&audit(
                now,
                Some(u.id),
                &u.name,
                "password_change_failed",
                &u.email,
                from,
                what,
            ))
            .await?;
            tx.commit().await?;
            return Ok(PasswordChange::WrongCurrent);
        }
        crate::accounts::check_password(new)?;
        let hash = crate::accounts::hash_password(new).await?;
        let mut tx = self.db().begin().await?;
        tx.set_password_hash(u.id, &hash, now).await?;
        let ended = tx.delete_user_sessions(u.id, Some(session.id)).await?;
        let detail = format!("other sessions ended: {ended}");
        tx.audit(&audit(now, Some(u.id), &u.name, "password_changed", &u.email, from, &detail))
            .await?;
        tx.commit().await?;
        Ok(PasswordChange::Done)
    }

    /// Whether the signed-in user may take `action` (on no article); a
    /// refusal is written to the audit log with what was asked and where
    /// from.
    pub async fn allowed(
        &self,
        session: &Session,
        action: newsdesk_core::Action,
        from: &Origin,
    ) -> Result<bool> {
        let actor = session.user.actor();
        if newsdesk_core::authorize(&actor, action, &[]).is_ok() {
            return Ok(true);
        }
        self.audit_refusal(session, &format!("may not {action}"), &session.user.email, from)
            .await?;
        Ok(false)
    }

    /// Writes a refusal to the audit log: what was asked (`detail`), of
    /// what (`subject`: an article, an account), and where from.
    pub async fn audit_refusal(
        &self,
        session: &Session,
        detail: &str,
        subject: &str,
        from: &Origin,
    ) -> Result<()> {
        let u = &session.user;
        let mut tx = self.db().begin().await?;
        tx.audit(&audit(Utc::now(), Some(u.id), &u.name, "forbidden", subject, from, detail))
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// An audit entry for a change made now by `actor` from `from` (an empty
/// address: the command line). Every use case that audits builds its entry
/// here.
pub fn audit_entry<'a>(
    actor: &'a Actor,
    action: &'a str,
    subject: &'a str,
    detail: &'a str,
    from: &'a Origin,
) -> NewAudit<'a> {
    audit(Utc::now(), actor.user_id, &actor.name, action, subject, from, detail)
}

fn audit<'a>(
    at: DateTime<Utc>,
    user_id: Option<Id>,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    from: &'a Origin,
    detail: &'a str,
) -> NewAudit<'a> {
    NewAudit { at, user_id, actor, action, subject, ip: &from.ip, detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex_and_stored_hashed() {
        let a = new_token().unwrap_or_default();
        let b = new_token().unwrap_or_default();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn an_ipv6_client_is_throttled_as_its_whole_64() {
        assert_eq!(throttle_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(throttle_key("2001:db8:1:2:ffff:1:2:3"), "2001:db8:1:2::/64");
        assert_ne!(throttle_key("2001:db8:1:3::1"), throttle_key("2001:db8:1:2::1"));
        assert_eq!(throttle_key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(throttle_key("192.0.2.7"), "192.0.2.7");
        assert_eq!(throttle_key("unknown"), "unknown");
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abcd", "abcd"));
        assert!(!same_secret("abcd", "abce"));
        assert!(!same_secret("abc", "abcd"));
    }
}
