//! Other programs: API keys and tokens, and webhooks.
//!
//! **Keys.** A content key (`ndc_…`) reads published content; an admin
//! token (`nda_…`) acts as its user, with that user's role, narrowed by
//! scopes. Only a SHA-256 of the secret is stored; the secret is shown once.
//!
//! **Webhooks.** A use case that records an event another program may care
//! about (see [`WEBHOOK_EVENTS`]) writes, in its own transaction, one
//! delivery per webhook that wants it and a job to send it, so a delivery
//! is never lost and never blocks the change. The job signs the body with
//! HMAC-SHA256 and posts it; a failure is retried with backoff for about a
//! day. Addresses are checked when the message is sent, after the name is
//! resolved, and the connection goes to the address that was checked: no
//! loopback, private, link-local or otherwise internal address is reached
//! unless the operator allows it.

use crate::accounts::User;
use crate::jobs::Job;
use crate::sessions::{Origin, audit_entry, new_token, token_hash};
use crate::{Error, Newsroom, Result};
use chrono::{DateTime, Utc};
use hmac::{KeyInit, Mac};
use newsdesk_core::{Action, Actor, Id, Problem, authorize};
use newsdesk_db::{ApiKeyRow, DeliveryRow, NewApiKey, NewDelivery, NewWebhook, Tx, WebhookRow};
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// The events a webhook can subscribe to. (`ping` is sent by "send test".)
pub const WEBHOOK_EVENTS: [&str; 5] = [
    "article.published",
    "article.updated",
    "article.unpublished",
    "media.added",
    "taxonomy.changed",
];

/// The header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "newsdesk-signature";
/// The header naming the event.
pub const EVENT_HEADER: &str = "newsdesk-event";
/// The header carrying the delivery's id (the same on every retry).
pub const DELIVERY_HEADER: &str = "newsdesk-delivery";

/// What a key or token may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Reads only.
    Read,
    /// Writes articles.
    Articles,
    /// Uploads and edits media.
    Media,
    /// Edits sections, tags, authors and stories.
    Taxonomy,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Articles, Scope::Media, Scope::Taxonomy];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Articles => "articles",
            Scope::Media => "media",
            Scope::Taxonomy => "taxonomy",
        }
    }

    /// The scope named `s`.
    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Parses a comma-separated scope list ("" means every scope).
pub fn parse_scopes(s: &str) -> Result<Vec<Scope>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let scope = Scope::parse(part).ok_or_else(|| {
            Error::Invalid(vec![Problem::BadValue {
                field: "scopes",
                message: format!(
                    "unknown scope `{}` (known: read, articles, media, taxonomy)",
                    part.chars().take(40).collect::<String>()
                ),
            }])
        })?;
        if !out.contains(&scope) {
            out.push(scope);
        }
    }
    Ok(out)
}

/// Who presented a key or token.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A content key: reads published content.
    Content {
        /// Key id.
        key_id: Id,
    },
    /// An admin token: acts as its user.
    Admin {
        /// Token id.
        key_id: Id,
        /// The user.
        user: User,
        /// What it may reach; empty for everything the role allows.
        scopes: Vec<Scope>,
    },
}

impl Caller {
    /// The key's id.
    pub fn key_id(&self) -> Id {
        match self {
            Caller::Content { key_id } | Caller::Admin { key_id, .. } => *key_id,
        }
    }

    /// Whether the caller may use `scope` (reads are allowed to every
    /// admin token).
    pub fn has(&self, scope: Scope) -> bool {
        match self {
            Caller::Content { .. } => scope == Scope::Read,
            Caller::Admin { scopes, .. } => {
                scopes.is_empty() || scope == Scope::Read || scopes.contains(&scope)
            }
        }
    }
}

/// A key just made: its stored row and the secret, shown once.
#[derive(Debug, Clone)]
pub struct NewSecret {
    /// The stored key.
    pub key: ApiKeyRow,
    /// The secret to give the other program.
    pub secret: String,
}

/// What the operator allows webhooks to reach.
#[derive(Debug, Clone)]
pub struct WebhookPolicy {
    /// Whether loopback, private and link-local addresses may be posted to
    /// (for receivers on the same machine or network).
    pub allow_private: bool,
    /// How long one try may take.
    pub timeout: Duration,
}

impl Default for WebhookPolicy {
    fn default() -> Self {
        WebhookPolicy { allow_private: false, timeout: Duration::from_secs(10) }
    }
}

/// Tries a webhook delivery gets before it is given up (with the workers'
/// backoff, doubling from 5 s up to an hour, about a day).
pub const WEBHOOK_ATTEMPTS: i32 = 34;

fn invalid(field: &'static str, message: impl Into<String>) -> Error {
    Error::Invalid(vec![Problem::BadValue { field, message: message.into() }])
}

fn name_of(s: &str, field: &'static str) -> Result<String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(invalid(field, "give it a name"));
    }
    if s.chars().count() > 100 || s.chars().any(char::is_control) {
        return Err(invalid(field, "a name is one line of at most 100 characters"));
    }
    Ok(s.to_owned())
}

impl Newsroom {
    /// Makes a content key (administrators).
    pub async fn create_content_key(
        &self,
        actor: &Actor,
        name: &str,
        from: &Origin,
    ) -> Result<NewSecret> {
        authorize(actor, Action::EditSettings, &[])?;
        self.store_key(actor, "content", "ndc_", name, None, "", None, from).await
    }

    /// Makes an admin token acting as `user_id`. Users make their own;
    /// operators at the command line, anyone's.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_admin_token(
        &self,
        actor: &Actor,
        user_id: Id,
        name: &str,
        scopes: &str,
        expires_at: Option<DateTime<Utc>>,
        from: &Origin,
    ) -> Result<NewSecret> {
        let own = actor.user_id == Some(user_id);
        if !own {
            authorize(actor, Action::Maintain, &[])?;
        }
        let scopes = parse_scopes(scopes)?;
        let scopes = scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",");
        if expires_at.is_some_and(|t| t <= Utc::now()) {
            return Err(invalid("expires_at", "the expiry is in the past"));
        }
        let row = self
            .db()
            .find_user_by_id(user_id)
            .await?
            .ok_or_else(|| Error::NotFound { what: format!("user {user_id}") })?;
        if row.disabled_at.is_some() {
            return Err(Error::Refused(format!("the account of {} is disabled", row.name)));
        }
        self.store_key(actor, "admin", "nda_", name, Some(user_id), &scopes, expires_at, from).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn store_key(
        &self,
        actor: &Actor,
        kind: &str,
        prefix: &str,
        name: &str,
        user_id: Option<Id>,
        scopes: &str,
        expires_at: Option<DateTime<Utc>>,
        from: &Origin,
    ) -> Result<NewSecret> {
        let name = name_of(name, "name")?;
        let secret = format!("{prefix}{}", new_token()?);
        let shown: String = secret.chars().take(prefix.len() + 6).collect();
        let hash = token_hash(&secret);
        let mut tx = self.db().begin().await?;
        let id = tx
            .insert_api_key(&NewApiKey {
                kind,
                name: &name,
                prefix: &shown,
                token_hash: &hash,
                user_id,
                scopes,
                created_by: &actor.name,
                at: Utc::now(),
                expires_at,
            })
            .await?;
        let what = if kind == "content" { "content_key_created" } else { "token_created" };
        tx.audit(&audit_entry(actor, what, &format!("key {id}"), &name, from)).await?;
        let key = tx.find_api_key(id).await?;
        tx.commit().await?;
        Ok(NewSecret { key, secret })
    }

    /// Revokes a key or token: an administrator any, a user their own.
    pub async fn revoke_key(&self, actor: &Actor, id: Id, from: &Origin) -> Result<()> {
        let mut tx = self.db().begin().await?;
        let key = tx.find_api_key(id).await?;
        let own = key.user_id.is_some() && key.user_id == actor.user_id;
        if !own {
            authorize(actor, Action::EditSettings, &[])?;
        }
        if tx.revoke_api_key(id, Utc::now()).await? {
            tx.audit(&audit_entry(actor, "key_revoked", &format!("key {id}"), &key.name, from))
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Revokes the admin token `secret` because it was sent where it may
    /// have been recorded (an address); whether there was one to revoke.
    pub async fn revoke_leaked(&self, secret: &str, from: &Origin) -> Result<bool> {
        if !secret.starts_with("nda_") || secret.len() > 200 {
            return Ok(false);
        }
        let now = Utc::now();
        let Some(key) = self.db().live_api_key(&token_hash(secret), now).await? else {
            return Ok(false);
        };
        let mut tx = self.db().begin().await?;
        if tx.revoke_api_key(key.id, now).await? {
            let system = Actor::system("api");
            let subject = format!("key {}", key.id);
            let why = "sent in an address, where logs keep it";
            tx.audit(&audit_entry(&system, "key_revoked", &subject, why, from)).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Who presented `secret`, if it is a live key or token of an enabled
    /// account.
    pub async fn caller(&self, secret: &str) -> Result<Option<Caller>> {
        if secret.len() > 200 || !(secret.starts_with("ndc_") || secret.starts_with("nda_")) {
            return Ok(None);
        }
        let now = Utc::now();
        let Some(key) = self.db().live_api_key(&token_hash(secret), now).await? else {
            return Ok(None);
        };
        if key.last_used_at.is_none_or(|t| now - t > chrono::Duration::minutes(1)) {
            // Best effort and off the request: a busy database must not
            // fail the call it only keeps statistics for.
            let db = self.db().clone();
            tokio::spawn(async move {
                if let Err(e) = db.touch_api_key(key.id, now).await {
                    tracing::debug!(error = %e, "could not note a key's use");
                }
            });
        }
        match (key.kind.as_str(), key.user_id) {
            ("content", _) => Ok(Some(Caller::Content { key_id: key.id })),
            ("admin", Some(user_id)) => {
                let Some(row) = self.db().find_user_by_id(user_id).await? else {
                    return Ok(None);
                };
                if row.disabled_at.is_some() {
                    return Ok(None);
                }
                let user = User::from_row(&row)?;
                let scopes = parse_scopes(&key.scopes)?;
                Ok(Some(Caller::Admin { key_id: key.id, user, scopes }))
            }
            _ => Ok(None),
        }
    }

    /// Makes a webhook (administrators); its signing secret is made here.
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        name: &str,
        url: &str,
        events: &[String],
        from: &Origin,
    ) -> Result<WebhookRow> {
        authorize(actor, Action::EditSettings, &[])?;
        let (name, url, events) = checked_webhook(name, url, events)?;
        let secret = format!("whsec_{}", new_token()?);
        let mut tx = self.db().begin().await?;
        let id = tx
            .insert_webhook(
                &NewWebhook { name: &name, url: &url, events: &events, secret: &secret },
                Utc::now(),
            )
            .await?;
        tx.audit(&audit_entry(actor, "webhook_created", &format!("webhook {id}"), &url, from))
            .await?;
        tx.commit().await?;
        Ok(self.db().webhook(id).await?)
    }

    /// Changes a webhook's name, address and events.
    pub async fn update_webhook(
        &self,
        actor: &Actor,
        id: Id,
        name: &str,
        url: &str,
        events: &[String],
        from: &Origin,
    ) -> Result<()> {
        authorize(actor, Action::EditSettings, &[])?;
        let (name, url, events) = checked_webhook(name, url, events)?;
        let mut tx = self.db().begin().await?;
        tx.update_webhook(id, &NewWebhook { name: &name, url: &url, events: &events, secret: "" })
            .await?;
        tx.audit(&audit_entry(actor, "webhook_changed", &format!("webhook {id}"), &url, from))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Switches a webhook off or on.
    pub async fn set_webhook_enabled(
        &self,
        actor: &Actor,
        id: Id,
        enabled: bool,
        from: &Origin,
    ) -> Result<()> {
        authorize(actor, Action::EditSettings, &[])?;
        let mut tx = self.db().begin().await?;
        tx.set_webhook_disabled(id, if enabled { None } else { Some(Utc::now()) }).await?;
        let what = if enabled { "webhook_enabled" } else { "webhook_disabled" };
        tx.audit(&audit_entry(actor, what, &format!("webhook {id}"), "", from)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a webhook and its delivery log.
    pub async fn delete_webhook(&self, actor: &Actor, id: Id, from: &Origin) -> Result<()> {
        authorize(actor, Action::EditSettings, &[])?;
        let mut tx = self.db().begin().await?;
        tx.delete_webhook(id).await?;
        tx.audit(&audit_entry(actor, "webhook_deleted", &format!("webhook {id}"), "", from))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues a `ping` delivery to a webhook, to check the receiver.
    pub async fn send_test_delivery(&self, actor: &Actor, id: Id, from: &Origin) -> Result<Id> {
        authorize(actor, Action::EditSettings, &[])?;
        let hook = self.db().webhook(id).await?;
        let mut tx = self.db().begin().await?;
        let delivery =
            queue_delivery(&mut tx, &hook, "ping", json!({ "webhook": { "id": hook.id } })).await?;
        tx.audit(&audit_entry(actor, "webhook_tested", &format!("webhook {id}"), "", from)).await?;
        let done = tx.commit().await?;
        self.signals().committed(&done);
        Ok(delivery)
    }

    /// Sends a delivery again (its id stays, so receivers can tell).
    pub async fn redeliver(&self, actor: &Actor, delivery_id: Id, from: &Origin) -> Result<()> {
        authorize(actor, Action::EditSettings, &[])?;
        let d = self.db().delivery(delivery_id).await?;
        let mut tx = self.db().begin().await?;
        tx.enqueue_job(&Job::WebhookDeliver { delivery_id, again: true }.to_new(Utc::now()))
            .await?;
        let subject = format!("webhook {}", d.webhook_id);
        let detail = format!("delivery {delivery_id}");
        tx.audit(&audit_entry(actor, "webhook_redelivered", &subject, &detail, from)).await?;
        let done = tx.commit().await?;
        self.signals().committed(&done);
        Ok(())
    }

    /// Sends one delivery: one try. An error makes the job try again later.
    pub(crate) async fn deliver(&self, delivery_id: Id, again: bool) -> anyhow::Result<()> {
        let d = match self.db().delivery(delivery_id).await {
            Ok(d) => d,
            // The webhook was deleted, and its deliveries with it.
            Err(newsdesk_db::DbError::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if d.delivered_at.is_some() && !again {
            return Ok(());
        }
        let hook = self.db().webhook(d.webhook_id).await?;
        if hook.disabled_at.is_some() {
            let why = "not sent: the webhook is switched off";
            self.db().record_delivery_try(d.id, None, why, Utc::now()).await?;
            return Ok(());
        }
        let policy = &self.webhook_policy;
        // One deadline for the whole try, name lookup included.
        let outcome = match tokio::time::timeout(policy.timeout, post(policy, &hook, &d)).await {
            Ok(o) => o,
            Err(_) => Err(format!("no answer within {} s", policy.timeout.as_secs())),
        };
        let (status, error) = match &outcome {
            Ok(s) if (200..300).contains(s) => (Some(i32::from(*s)), String::new()),
            Ok(s) => (Some(i32::from(*s)), format!("the receiver answered {s}")),
            Err(e) => (None, e.clone()),
        };
        self.db().record_delivery_try(d.id, status, &error, Utc::now()).await?;
        if error.is_empty() { Ok(()) } else { Err(anyhow::anyhow!("webhook {}: {error}", hook.id)) }
    }
}

/// Checks a webhook's fields: a name, an http(s) address without
/// credentials, known events.
fn checked_webhook(name: &str, url: &str, events: &[String]) -> Result<(String, String, String)> {
    let name = name_of(name, "name")?;
    let url = url.trim();
    let (scheme, rest) = url.split_once("://").unwrap_or(("", ""));
    let host_part = rest.split(['/', '?', '#']).next().unwrap_or("");
    if !matches!(scheme, "http" | "https") || host_part.is_empty() {
        return Err(invalid("url", "give an http:// or https:// address"));
    }
    if host_part.contains('@') {
        return Err(invalid("url", "the address may not carry a user name or password"));
    }
    if url.len() > 2000 || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid("url", "the address is too long or has spaces"));
    }
    let mut wanted: Vec<&str> = Vec::new();
    for e in events {
        let e = e.trim();
        if !WEBHOOK_EVENTS.contains(&e) {
            return Err(invalid(
                "events",
                format!("unknown event `{}`", e.chars().take(40).collect::<String>()),
            ));
        }
        if !wanted.contains(&e) {
            wanted.push(e);
        }
    }
    if wanted.is_empty() {
        return Err(invalid("events", "choose at least one event"));
    }
    Ok((name, url.to_owned(), wanted.join(",")))
}

/// The body of a delivery.
fn payload(uuid: &str, event: &str, at: DateTime<Utc>, data: serde_json::Value) -> String {
    json!({
        "id": uuid,
        "event": event,
        "created_at": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": data,
    })
    .to_string()
}

/// Writes a delivery of `event` to `hook` and the job that sends it.
async fn queue_delivery(
    tx: &mut Tx,
    hook: &WebhookRow,
    event: &str,
    data: serde_json::Value,
) -> Result<Id> {
    let uuid = new_token()?.chars().take(32).collect::<String>();
    let at = Utc::now();
    let body = payload(&uuid, event, at, data);
    let id = tx
        .insert_delivery(&NewDelivery {
            webhook_id: hook.id,
            uuid: &uuid,
            event,
            payload: &body,
            at,
        })
        .await?;
    tx.enqueue_job(&Job::WebhookDeliver { delivery_id: id, again: false }.to_new(at)).await?;
    Ok(id)
}

/// Writes, in the use case's transaction, a delivery to every webhook that
/// wants each of `events` (event name, data).
pub(crate) async fn queue_deliveries(
    tx: &mut Tx,
    events: &[(&'static str, serde_json::Value)],
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let hooks = tx.active_webhooks().await?;
    for (event, data) in events {
        for hook in hooks.iter().filter(|h| h.wants(event)) {
            queue_delivery(tx, hook, event, data.clone()).await?;
        }
    }
    Ok(())
}

/// The signature header's value for `body` sent at `t` with `secret`.
pub fn sign(secret: &str, t: i64, body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC-SHA256 takes a key of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("t={t},v1={}", crate::sessions::hex(&mac.finalize().into_bytes()))
}

/// Whether a webhook may reach `ip` when internal addresses are not
/// allowed: only public unicast addresses.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 192 && o[1] == 88 && o[2] == 99)
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            // IPv4-compatible addresses (`::a.b.c.d`) carry an IPv4 one.
            if s[..6].iter().all(|x| *x == 0) && !v6.is_loopback() && !v6.is_unspecified() {
                let [a, b] = s[6].to_be_bytes();
                let [c, d] = s[7].to_be_bytes();
                return is_public(IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d)));
            }
            // Only global unicast (2000::/3), less the ranges inside it
            // that reach other networks' insides: documentation, Teredo,
            // 6to4, and NAT64 prefixes.
            (s[0] & 0xe000) == 0x2000
                && !(s[0] == 0x2001 && s[1] == 0x0db8)
                && !(s[0] == 0x2001 && s[1] == 0)
                && s[0] != 0x2002
                && !(s[0] == 0x64 && s[1] == 0xff9b)
                && !v6.is_multicast()
        }
    }
}

/// Makes rustls (with the ring provider) the process's TLS for HTTP
/// clients; once, before the first client is built. Every process that
/// builds a `reqwest` client calls it (the feature that lets Newsdesk pick
/// the provider makes a client without one refuse to start).
pub fn install_tls() {
    static TLS: std::sync::Once = std::sync::Once::new();
    TLS.call_once(|| {
        // Another part of the process may have installed one already.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// One try: resolves the host, checks every address, connects to the one
/// checked, posts the signed body. The HTTP status, or why there is none.
async fn post(
    policy: &WebhookPolicy,
    hook: &WebhookRow,
    d: &DeliveryRow,
) -> std::result::Result<u16, String> {
    let url = reqwest::Url::parse(&hook.url).map_err(|e| format!("bad address: {e}"))?;
    let host = url.host_str().ok_or("the address has no host")?.to_owned();
    let port = url.port_or_known_default().ok_or("the address has no port")?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::time::timeout(policy.timeout, tokio::net::lookup_host((bare, port)))
            .await
            .map_err(|_| format!("looking up {host} took too long"))?
            .map_err(|e| format!("cannot look up {host}: {e}"))?
            .collect(),
    };
    let Some(&addr) = addrs.first() else {
        return Err(format!("{host} has no address"));
    };
    if !policy.allow_private
        && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip()))
    {
        return Err(format!(
            "{host} resolves to {}, an internal address; allow it with webhooks_allow_private = true under [api]",
            bad.ip()
        ));
    }
    install_tls();
    let client = reqwest::Client::builder()
        // A proxy would look the name up again and defeat the check above.
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(policy.timeout)
        .resolve(bare, addr)
        .user_agent(concat!("Newsdesk-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
    let t = Utc::now().timestamp();
    let res = client
        .post(url)
        .header("content-type", "application/json")
        .header(SIGNATURE_HEADER, sign(&hook.secret, t, &d.payload))
        .header(EVENT_HEADER, &d.event)
        .header(DELIVERY_HEADER, &d.uuid)
        .body(d.payload.clone())
        .send()
        .await
        .map_err(|e| {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg = format!("{msg}: {s}");
                src = s.source();
            }
            msg
        })?;
    Ok(res.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::7f00:1",
            "fec0::1",
            "2002:7f00:1::1",
            "2001:0:4136:e378::1",
            "64:ff9b::7f00:1",
            "64:ff9b:1::1",
            "192.88.99.1",
            "ff02::1",
        ] {
            let ip: IpAddr = ip.parse().expect("a valid address");
            assert!(!is_public(ip), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            let ip: IpAddr = ip.parse().expect("a valid address");
            assert!(is_public(ip), "{ip}");
        }
    }

    #[test]
    fn signatures_are_hmac_sha256_of_time_and_body() {
        // RFC 4231 has no vector with this layout; this one was computed
        // with Python's hmac module: hmac.new(b"key", b"1.{}", "sha256").
        assert_eq!(
            sign("key", 1, "{}"),
            "t=1,v1=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
    }

    #[test]
    fn webhook_fields_are_checked() {
        let ev = vec!["article.published".to_owned()];
        assert!(checked_webhook("n", "https://example.com/hook", &ev).is_ok());
        for bad in ["ftp://x/", "https://", "https://u:p@example.com/", "javascript:alert(1)"] {
            assert!(checked_webhook("n", bad, &ev).is_err(), "{bad}");
        }
        assert!(checked_webhook("n", "https://example.com/", &["nope".to_owned()]).is_err());
        assert!(checked_webhook("n", "https://example.com/", &[]).is_err());
        assert!(checked_webhook("", "https://example.com/", &ev).is_err());
    }

    #[test]
    fn scopes_parse_and_unknown_ones_are_named() {
        assert_eq!(parse_scopes("").ok(), Some(vec![]));
        assert_eq!(parse_scopes("read, media,read").ok(), Some(vec![Scope::Read, Scope::Media]));
        let e = parse_scopes("read,everything").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("everything"), "{e}");
    }
}
