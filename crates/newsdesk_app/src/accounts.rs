//! Newsroom accounts: who may sign in, with which role, and their
//! passwords (Argon2id, hashed off the async threads).

use crate::sessions::{Origin, audit_entry};
use crate::{Error, Newsroom, Result};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use chrono::Utc;
use newsdesk_core::{Action, Actor, Id, Role, authorize};
use newsdesk_db::{NewUser, Tx, UserRow};

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Longest password accepted, in bytes (hashing is deliberately slow; an
/// unbounded input would make it slower still).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// An account as the rest of the program sees it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Id.
    pub id: Id,
    /// Sign-in address, lowercase.
    pub email: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The author profile the user writes as.
    pub author_id: Option<Id>,
    /// Whether the account is disabled.
    pub disabled: bool,
}

impl User {
    /// The account a stored row describes (an unknown role is refused).
    pub fn from_row(r: &UserRow) -> Result<User> {
        let role = Role::parse(&r.role).ok_or_else(|| {
            Error::Refused(format!("user {} has an unknown role `{}`", r.id, r.role))
        })?;
        Ok(User {
            id: r.id,
            email: r.email.clone(),
            name: r.name.clone(),
            role,
            author_id: r.author_id,
            disabled: r.disabled_at.is_some(),
        })
    }

    /// The actor this user acts as.
    pub fn actor(&self) -> Actor {
        Actor::user(self.id, &self.name, self.role, self.author_id)
    }
}

/// What a new account needs.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Sign-in address.
    pub email: String,
    /// Name shown in the back office.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The author profile the user writes as.
    pub author_id: Option<Id>,
    /// The password in clear; hashed before it is stored.
    pub password: String,
}

/// The address as stored: trimmed and lowercased, or why it cannot be one.
pub fn normalize_email(email: &str) -> Result<String> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && e.matches('@').count() == 1
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(e)
    } else {
        Err(Error::Refused(format!("`{}` is not an email address", email.trim())))
    }
}

fn check_name(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 200 || n.chars().any(char::is_control) {
        return Err(Error::Refused(
            "a name needs 1 to 200 characters, without control characters".into(),
        ));
    }
    Ok(n.to_owned())
}

pub(crate) fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::Refused(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::Refused(format!(
            "a password may have at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(())
}

/// Password hashes computed at once: each takes 19 MiB and tens of
/// milliseconds of CPU on purpose, so a flood of sign-ins must queue here
/// rather than take every blocking thread and gigabytes of memory.
fn hashing() -> &'static tokio::sync::Semaphore {
    static HASHING: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    HASHING.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        tokio::sync::Semaphore::new(cpus)
    })
}

/// Longest a sign-in waits for its turn to hash.
pub const HASHING_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

async fn hashing_turn() -> Result<tokio::sync::SemaphorePermit<'static>> {
    match tokio::time::timeout(HASHING_WAIT, hashing().acquire()).await {
        Ok(Ok(p)) => Ok(p),
        _ => Err(Error::Refused("Too many sign-ins at once; try again in a moment.".into())),
    }
}

/// Hashes `password` with Argon2id and a random salt (PHC string), on the
/// blocking pool: a hash takes tens of milliseconds of CPU on purpose.
pub async fn hash_password(password: &str) -> Result<String> {
    let _turn = hashing_turn().await?;
    let password = password.to_owned();
    let hashed = tokio::task::spawn_blocking(move || {
        Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string())
    })
    .await;
    match hashed {
        Ok(Ok(h)) => Ok(h),
        Ok(Err(e)) => Err(Error::Refused(format!("cannot hash the password: {e}"))),
        Err(e) => Err(Error::Refused(format!("cannot hash the password: {e}"))),
    }
}

/// Whether `password` matches the stored `hash` (false for a malformed
/// hash), on the blocking pool; [`Error::Refused`] when too many are
/// being checked at once.
pub async fn verify_password(hash: &str, password: &str) -> Result<bool> {
    let _turn = hashing_turn().await?;
    let (hash, password) = (hash.to_owned(), password.to_owned());
    Ok(tokio::task::spawn_blocking(move || {
        Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok()
    })
    .await
    .unwrap_or(false))
}

/// The action managing an account with `role` needs.
fn managing(role: Role) -> Action {
    if role >= Role::Administrator { Action::ManageAdministrators } else { Action::ManageUsers }
}

/// Whether `actor` may add, change or disable accounts with `role` (the
/// back office offers only these).
pub fn may_manage(actor: &Actor, role: Role) -> bool {
    authorize(actor, managing(role), &[]).is_ok()
}

impl Newsroom {
    /// Creates an account. Operators at the command line may create any;
    /// administrators users below them; owners anyone.
    pub async fn add_user(&self, actor: &Actor, new: NewAccount, from: &Origin) -> Result<User> {
        authorize(actor, managing(new.role), &[])?;
        let email = normalize_email(&new.email)?;
        let name = check_name(&new.name)?;
        check_password(&new.password)?;
        let hash = hash_password(&new.password).await?;
        let taken = self.author_slugs(new.role).await?;
        let mut tx = self.db().begin().await?;
        let author_id = match new.author_id {
            Some(id) => Some(id),
            None => own_profile(&mut tx, &name, new.role, &taken).await?,
        };
        let id = tx
            .insert_user(&NewUser {
                email: &email,
                name: &name,
                role: new.role.as_str(),
                author_id,
                password_hash: &hash,
                at: Utc::now(),
            })
            .await?;
        let row = tx.find_user(id).await?;
        let detail = format!("role {}", new.role);
        tx.audit(&audit_entry(actor, "user_added", &email, &detail, from)).await?;
        let done = tx.commit().await?;
        self.signals().committed(&done);
        User::from_row(&row)
    }

    /// Adds an account that cannot sign in yet: no password, disabled.
    /// Importers make these for the people of the site they came from, so
    /// an administrator can later set a password and enable each one.
    /// An address already in use gives that account instead.
    pub async fn add_dormant_user(
        &self,
        actor: &Actor,
        email: &str,
        name: &str,
        role: Role,
        author_id: Option<Id>,
        from: &Origin,
    ) -> Result<User> {
        authorize(actor, managing(role), &[])?;
        let email = normalize_email(email)?;
        let name = check_name(name)?;
        if let Some(row) = self.db().find_user_by_email(&email).await? {
            return User::from_row(&row);
        }
        let now = Utc::now();
        let mut tx = self.db().begin().await?;
        let id = tx
            .insert_user(&NewUser {
                email: &email,
                name: &name,
                role: role.as_str(),
                author_id,
                password_hash: "",
                at: now,
            })
            .await?;
        tx.set_user_disabled(id, Some(now)).await?;
        let row = tx.find_user(id).await?;
        tx.audit(&audit_entry(actor, "user_added", &email, "imported, disabled", from)).await?;
        let done = tx.commit().await?;
        self.signals().committed(&done);
        User::from_row(&row)
    }

    /// Sets a new password for an account, as those who manage accounts
    /// with its role do (operators at the command line, administrators for
    /// the roles below them). Users change their own with
    /// [`Newsroom::change_own_password`], which asks for the current one.
    pub async fn set_password(
        &self,
        actor: &Actor,
        user_id: Id,
        password: &str,
        from: &Origin,
    ) -> Result<()> {
        check_password(password)?;
        // Checked before hashing (deliberately slow) and outside the write
        // transaction, which the hash must not hold up; checked again in
        // it, as the role may have changed meanwhile.
        let Some(row) = self.db().find_user_by_id(user_id).await? else {
            return Err(Error::NotFound { what: format!("user {user_id}") });
        };
        authorize(actor, managing(User::from_row(&row)?.role), &[])?;
        let hash = hash_password(password).await?;
        let mut tx = self.db().begin().await?;
        let target = User::from_row(&tx.find_user(user_id).await?)?;
        authorize(actor, managing(target.role), &[])?;
        tx.set_password_hash(user_id, &hash, Utc::now()).await?;
        // Whoever knew the old password is signed out everywhere.
        tx.delete_user_sessions(user_id, None).await?;
        tx.audit(&audit_entry(actor, "password_changed", &target.email, "", from)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables an account (it can no longer sign in; its history stays),
    /// or enables it again. The last active owner cannot be disabled.
    pub async fn set_user_disabled(
        &self,
        actor: &Actor,
        user_id: Id,
        disabled: bool,
        from: &Origin,
    ) -> Result<()> {
        let mut tx = self.db().begin().await?;
        let target = User::from_row(&tx.find_user(user_id).await?)?;
        authorize(actor, managing(target.role), &[])?;
        if disabled
            && target.role == Role::Owner
            && !target.disabled
            && tx.count_active_users_with_role(Role::Owner.as_str()).await? <= 1
        {
            return Err(Error::Refused("the last owner cannot be disabled".into()));
        }
        tx.set_user_disabled(user_id, disabled.then(Utc::now)).await?;
        if disabled {
            tx.delete_user_sessions(user_id, None).await?;
        }
        let action = if disabled { "user_disabled" } else { "user_enabled" };
        tx.audit(&audit_entry(actor, action, &target.email, "", from)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives an account another role. Both the old role and the new one
    /// must be within what `actor` manages (administrators move accounts
    /// among the roles below them; owners anyone), and the last active
    /// owner keeps the role. A contributor or author who writes as nobody
    /// gets an author profile of their own. Takes effect on the account's
    /// next request, on every node.
    pub async fn set_role(
        &self,
        actor: &Actor,
        user_id: Id,
        role: Role,
        from: &Origin,
    ) -> Result<User> {
        let taken = self.author_slugs(role).await?;
        let mut tx = self.db().begin().await?;
        let target = User::from_row(&tx.find_user(user_id).await?)?;
        authorize(actor, managing(target.role), &[])?;
        authorize(actor, managing(role), &[])?;
        if target.role == role {
            return Ok(target);
        }
        if target.role == Role::Owner
            && !target.disabled
            && tx.count_active_users_with_role(Role::Owner.as_str()).await? <= 1
        {
            return Err(Error::Refused(
                "the last owner keeps the role: make another owner first".into(),
            ));
        }
        let author_id = match target.author_id {
            Some(id) => Some(id),
            None => own_profile(&mut tx, &target.name, role, &taken).await?,
        };
        tx.set_user_role(user_id, role.as_str(), author_id).await?;
        let detail = format!("{} → {}", target.role, role);
        tx.audit(&audit_entry(actor, "role_changed", &target.email, &detail, from)).await?;
        let row = tx.find_user(user_id).await?;
        let done = tx.commit().await?;
        self.signals().committed(&done);
        User::from_row(&row)
    }

    /// The author slugs in use, when an account with `role` may need a
    /// profile of its own (read before a write transaction begins).
    async fn author_slugs(&self, role: Role) -> Result<Vec<String>> {
        if role >= Role::Editor {
            return Ok(Vec::new());
        }
        Ok(self.db().list_authors().await?.into_iter().map(|a| a.slug).collect())
    }

    /// Every account, by address.
    pub async fn users(&self) -> Result<Vec<User>> {
        self.db().list_users().await?.iter().map(User::from_row).collect()
    }

    /// The account `email` signs in as, when the password matches and the
    /// account is enabled. Unknown addresses cost as much time as known
    /// ones, so answers do not tell which addresses exist.
    pub async fn authenticate(&self, email: &str, password: &str) -> Result<Option<User>> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Ok(None);
        }
        let row = match normalize_email(email) {
            Ok(e) => self.db().find_user_by_email(&e).await?,
            Err(_) => None,
        };
        let Some(row) = row else {
            verify_password(decoy_hash(), password).await?;
            return Ok(None);
        };
        if !verify_password(&row.password_hash, password).await? || row.disabled_at.is_some() {
            return Ok(None);
        }
        User::from_row(&row).map(Some)
    }
}

/// An author profile for a contributor or author named `name`: they own
/// what their byline names, so one who writes as nobody gets a profile of
/// their own (editors and above need none). `taken`: the slugs in use.
async fn own_profile(tx: &mut Tx, name: &str, role: Role, taken: &[String]) -> Result<Option<Id>> {
    if role >= Role::Editor {
        return Ok(None);
    }
    let base = newsdesk_core::slugify(name);
    let base = if base.is_empty() { "author".to_owned() } else { base };
    let slug = (1..)
        .map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") })
        .find(|s| !taken.contains(s))
        .unwrap_or(base);
    let profile = newsdesk_core::Author {
        id: 0,
        name: name.to_owned(),
        slug,
        title: None,
        bio: String::new(),
        photo_media_id: None,
    };
    let made = tx.create_author(&profile).await?;
    tx.record_event(
        crate::events::Event::TaxonomyChanged { what: "author".into(), id: made.id }.to_new(),
    );
    Ok(Some(made.id))
}

/// A valid Argon2id hash of a random string, for unknown addresses.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        Argon2::default()
            .hash_password(b"no account has this password")
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_lowercased_and_checked() {
        assert_eq!(normalize_email("  Ana@Example.ORG ").ok().as_deref(), Some("ana@example.org"));
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.org",
            "ana@example",
            "a b@example.org",
            "a@b@c.org",
            "ana@.org",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_password_hash_verifies_only_its_password() {
        let h = hash_password("correct horse battery").await.unwrap_or_default();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password(&h, "correct horse battery").await.unwrap_or(false));
        assert!(!verify_password(&h, "correct horse battery!").await.unwrap_or(true));
        assert!(!verify_password("not a hash", "correct horse battery").await.unwrap_or(true));
        let again = hash_password("correct horse battery").await.unwrap_or_default();
        assert_ne!(h, again, "a fresh salt each time");
    }
}
