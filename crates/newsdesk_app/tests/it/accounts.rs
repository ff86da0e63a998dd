//! Accounts and roles: who may sign in, and what each role may change.

use crate::{article, editor, newsroom, section};
use newsdesk_app::Error;
use newsdesk_app::accounts::NewAccount;
use newsdesk_core::{Author, Byline, Role};
use newsdesk_test_support::{TestDb, db_test};

/// The author profile the role tests write as.
async fn ana_ruiz(n: &newsdesk_app::Newsroom) -> anyhow::Result<Author> {
    let ana = Author {
        id: 0,
        name: "Ana Ruiz".into(),
        slug: "ana-ruiz".into(),
        title: None,
        bio: String::new(),
        photo_media_id: None,
    };
    Ok(n.create_author(&editor(), ana).await?)
}

/// An account with `role`, writing as `author_id`.
async fn user(
    n: &newsdesk_app::Newsroom,
    email: &str,
    role: Role,
    author_id: Option<i64>,
) -> anyhow::Result<newsdesk_app::accounts::User> {
    Ok(n.add_user(&editor(), account(email, role, author_id), &Default::default()).await?)
}

fn account(email: &str, role: Role, author_id: Option<i64>) -> NewAccount {
    NewAccount {
        email: email.into(),
        name: format!("{role} {email}"),
        role,
        author_id,
        password: "a long enough password".into(),
    }
}

db_test!(accounts_sign_in_with_their_password_only, |t: TestDb| async move {
    let n = newsroom(&t);
    let owner = user(&n, " Owner@Example.org ", Role::Owner, None).await?;
    assert_eq!(owner.email, "owner@example.org", "stored trimmed and lowercased");
    let found = n.authenticate("OWNER@example.org", "a long enough password").await?;
    assert_eq!(found.map(|u| u.id), Some(owner.id));
    assert!(n.authenticate("owner@example.org", "a long enough passwore").await?.is_none());
    assert!(n.authenticate("nobody@example.org", "a long enough password").await?.is_none());
    assert!(n.authenticate("not an address", "a long enough password").await?.is_none());
    let huge = "x".repeat(1 << 20);
    assert!(n.authenticate("owner@example.org", &huge).await?.is_none(), "no megabyte hashing");
    // The hash is Argon2id, never the password.
    let row = n
        .db()
        .find_user_by_email("owner@example.org")
        .await?
        .ok_or_else(|| anyhow::anyhow!("stored"))?;
    assert!(row.password_hash.starts_with("$argon2id$"));
    assert!(!row.password_hash.contains("a long enough password"));
    // A new password replaces the old one.
    n.set_password(&owner.actor(), owner.id, "another long password", &Default::default()).await?;
    assert!(n.authenticate("owner@example.org", "a long enough password").await?.is_none());
    assert!(n.authenticate("owner@example.org", "another long password").await?.is_some());
    Ok(())
});

db_test!(bad_accounts_are_refused_with_the_reason, |t: TestDb| async move {
    let n = newsroom(&t);
    user(&n, "ana@example.org", Role::Author, None).await?;
    let again = n
        .add_user(&editor(), account("ANA@example.org", Role::Editor, None), &Default::default())
        .await;
    assert!(
        matches!(&again, Err(Error::Conflict { message, .. }) if message.contains("ana@example.org")),
        "{again:?}"
    );
    let mut short = account("bo@example.org", Role::Author, None);
    short.password = "short".into();
    let e = n
        .add_user(&editor(), short, &Default::default())
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("at least 10 characters"), "{e}");
    let e = n
        .add_user(&editor(), account("bo(at)example.org", Role::Author, None), &Default::default())
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("not an email address"), "{e}");
    let mut nameless = account("cy@example.org", Role::Author, None);
    nameless.name = " \u{7} ".into();
    assert!(matches!(
        n.add_user(&editor(), nameless, &Default::default()).await,
        Err(Error::Refused(_))
    ));
    assert_eq!(n.users().await?.len(), 1, "nothing else stored");
    Ok(())
});

db_test!(disabled_accounts_cannot_sign_in_and_the_last_owner_stays, |t: TestDb| async move {
    let n = newsroom(&t);
    let owner = user(&n, "owner@example.org", Role::Owner, None).await?;
    let ed = user(&n, "ed@example.org", Role::Editor, None).await?;
    n.set_user_disabled(&editor(), ed.id, true, &Default::default()).await?;
    assert!(n.authenticate("ed@example.org", "a long enough password").await?.is_none());
    assert!(n.users().await?.iter().any(|u| u.id == ed.id && u.disabled), "kept, disabled");
    n.set_user_disabled(&editor(), ed.id, false, &Default::default()).await?;
    assert!(n.authenticate("ed@example.org", "a long enough password").await?.is_some());
    let last = n.set_user_disabled(&editor(), owner.id, true, &Default::default()).await;
    assert!(matches!(&last, Err(Error::Refused(m)) if m.contains("last owner")), "{last:?}");
    let second = user(&n, "two@example.org", Role::Owner, None).await?;
    n.set_user_disabled(&second.actor(), owner.id, true, &Default::default()).await?;
    Ok(())
});

db_test!(roles_decide_who_manages_whom, |t: TestDb| async move {
    let n = newsroom(&t);
    let admin = user(&n, "admin@example.org", Role::Administrator, None).await?;
    let author = user(&n, "au@example.org", Role::Author, None).await?;
    // An administrator adds editors but not administrators.
    n.add_user(&admin.actor(), account("ed@example.org", Role::Editor, None), &Default::default())
        .await?;
    let up = n
        .add_user(
            &admin.actor(),
            account("boss@example.org", Role::Administrator, None),
            &Default::default(),
        )
        .await;
    assert!(matches!(up, Err(Error::Forbidden(_))), "{up:?}");
    // An author manages nobody (their own password changes only through
    // the form that asks for the current one).
    let e = n
        .add_user(
            &author.actor(),
            account("x@example.org", Role::Contributor, None),
            &Default::default(),
        )
        .await;
    assert!(matches!(e, Err(Error::Forbidden(_))));
    let own = n
        .set_password(&author.actor(), author.id, "my own new password", &Default::default())
        .await;
    assert!(matches!(own, Err(Error::Forbidden(_))), "{own:?}");
    // An administrator resets an editor's password, not an owner's.
    let ed = user(&n, "ed2@example.org", Role::Editor, None).await?;
    n.set_password(&admin.actor(), ed.id, "reset by the admin", &Default::default()).await?;
    let owner = user(&n, "own@example.org", Role::Owner, None).await?;
    let up = n
        .set_password(&admin.actor(), owner.id, "taking over the owner", &Default::default())
        .await;
    assert!(matches!(up, Err(Error::Forbidden(_))), "{up:?}");
    let off = n.set_user_disabled(&admin.actor(), owner.id, true, &Default::default()).await;
    assert!(matches!(off, Err(Error::Forbidden(_))), "{off:?}");
    let other = n
        .set_password(&author.actor(), admin.id, "taking over the admin", &Default::default())
        .await;
    assert!(matches!(other, Err(Error::Forbidden(_))), "{other:?}");
    assert!(n.authenticate("admin@example.org", "a long enough password").await?.is_some());
    Ok(())
});

db_test!(roles_change_within_what_the_actor_manages_and_are_audited, |t: TestDb| async move {
    let n = newsroom(&t);
    let here = newsdesk_app::sessions::Origin { ip: "192.0.2.7".into(), ..Default::default() };
    let add = |email: &str, role| account(email, role, None);
    let owner = n.add_user(&editor(), add("owner@example.org", Role::Owner), &here).await?;
    let admin = n.add_user(&editor(), add("admin@example.org", Role::Administrator), &here).await?;
    let ed = n.add_user(&editor(), add("ed@example.org", Role::Editor), &here).await?;
    assert_eq!(ed.author_id, None, "editors need no profile");
    // An administrator moves accounts among the roles below theirs…
    let demoted = n.set_role(&admin.actor(), ed.id, Role::Author, &here).await?;
    assert_eq!(demoted.role, Role::Author);
    let profile = demoted.author_id.expect("an author writes as someone");
    assert!(n.db().list_authors().await?.iter().any(|a| a.id == profile));
    let back = n.set_role(&admin.actor(), ed.id, Role::Editor, &here).await?;
    assert_eq!(back.author_id, Some(profile), "the profile stays");
    // …but raises nobody to administrator and touches no owner.
    let up = n.set_role(&admin.actor(), ed.id, Role::Administrator, &here).await;
    assert!(matches!(up, Err(Error::Forbidden(_))), "{up:?}");
    let down = n.set_role(&admin.actor(), owner.id, Role::Editor, &here).await;
    assert!(matches!(down, Err(Error::Forbidden(_))), "{down:?}");
    let own = n.set_role(&admin.actor(), admin.id, Role::Owner, &here).await;
    assert!(matches!(own, Err(Error::Forbidden(_))), "{own:?}");
    // The last owner keeps the role, also by their own hand.
    let last = n.set_role(&owner.actor(), owner.id, Role::Administrator, &here).await;
    assert!(matches!(last, Err(Error::Refused(_))), "{last:?}");
    n.set_role(&owner.actor(), admin.id, Role::Owner, &here).await?;
    let stepped = n.set_role(&owner.actor(), owner.id, Role::Administrator, &here).await?;
    assert_eq!(stepped.role, Role::Administrator);
    let log = n.db().audit_log(20).await?;
    let changes: Vec<(String, String, String)> = log
        .iter()
        .filter(|r| r.action == "role_changed")
        .map(|r| (r.subject.clone(), r.detail.clone(), r.ip.clone()))
        .collect();
    assert_eq!(changes.len(), 4, "{changes:?}");
    assert!(changes.contains(&(
        "ed@example.org".into(),
        "editor → author".into(),
        "192.0.2.7".into()
    )));
    assert!(
        log.iter().all(|r| r.action != "role_changed"
            || r.subject != "owner@example.org"
            || r.detail == "owner → administrator"),
        "refusals change nothing"
    );
    Ok(())
});

db_test!(a_contributor_writes_but_cannot_publish_an_author_publishes_own, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let mine = ana_ruiz(&n).await?;
    let contributor = user(&n, "c@example.org", Role::Contributor, Some(mine.id)).await?;
    let author = user(&n, "a@example.org", Role::Author, Some(mine.id)).await?;
    let other = user(&n, "o@example.org", Role::Author, None).await?;
    // An author who writes as nobody yet gets a profile of their own.
    let own = other.author_id.expect("a profile was made");
    assert_ne!(own, mine.id);
    let profile = n.db().list_authors().await?.into_iter().find(|a| a.id == own);
    assert_eq!(profile.map(|p| p.name), Some(other.name.clone()));
    let mut a = article("Harbour strike ends", s);
    a.bylines = vec![Byline::Author { author_id: mine.id }];
    let draft = n.create_draft(&contributor.actor(), a).await?;
    let id = draft.article.id;
    let refused = n.publish(&contributor.actor(), id, None).await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    let not_theirs = n.publish(&other.actor(), id, None).await;
    assert!(matches!(not_theirs, Err(Error::Forbidden(_))), "{not_theirs:?}");
    let published = n.publish(&author.actor(), id, None).await?;
    assert_eq!(published.article.status, newsdesk_core::ArticleStatus::Published);
    // Live now: the contributor's byline no longer lets them change it.
    let mut edit = published.article.clone();
    edit.dek = "Unnamed sources say the strike ends tonight.".into();
    let late = n.save(&contributor.actor(), edit.clone(), published.version).await;
    assert!(matches!(late, Err(Error::Forbidden(_))), "{late:?}");
    let saved = n.save(&author.actor(), edit, published.version).await?;
    // An author cannot hand the story to a colleague's byline.
    let mut handed = saved.article.clone();
    handed.bylines = vec![Byline::Credit { text: "A colleague".into() }];
    let handed = n.save(&author.actor(), handed, saved.version).await;
    assert!(matches!(handed, Err(Error::Forbidden(_))), "{handed:?}");
    let revs = n.db().list_revisions(id).await?;
    let publish = revs.iter().find(|r| r.reason == "publish").map(|r| r.actor_id);
    assert_eq!(publish, Some(Some(author.id)), "the revision names the user");
    Ok(())
});

db_test!(
    only_drafts_never_published_are_deleted_and_only_by_their_writers_or_editors,
    |t: TestDb| async move {
        let n = newsroom(&t);
        let s = section(&n, "world").await?;
        let mine = ana_ruiz(&n).await?;
        let contributor = user(&n, "c@example.org", Role::Contributor, Some(mine.id)).await?;
        let other = user(&n, "o@example.org", Role::Contributor, None).await?;
        let ed = user(&n, "e@example.org", Role::Editor, None).await?;
        let mut a = article("Harbour strike notes", s);
        a.bylines = vec![Byline::Author { author_id: mine.id }];
        let draft = n.create_draft(&contributor.actor(), a.clone()).await?;
        let id = draft.article.id;
        let delete = |actor: newsdesk_core::Actor, id, v| {
            let n = n.clone();
            async move {
                let mut w = n.begin(&actor).await?;
                let gone = w.delete_draft(id, v).await?;
                w.commit().await?;
                Ok::<_, Error>(gone)
            }
        };
        // Someone else's draft: refused; a stale form: refused.
        let refused = delete(other.actor(), id, None).await;
        assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
        let stale = delete(contributor.actor(), id, Some(draft.version + 1)).await;
        assert!(matches!(stale, Err(Error::Stale { .. })), "{stale:?}");
        // The writer deletes their own: gone with its history, and said so.
        let before = n.db().last_event_id().await?;
        let gone = delete(contributor.actor(), id, Some(draft.version)).await?;
        assert_eq!(gone.headlines.display, "Harbour strike notes");
        assert!(matches!(
            n.db().find_article(id).await,
            Err(newsdesk_db::DbError::NotFound { .. })
        ));
        assert!(n.db().list_revisions(id).await?.is_empty());
        assert_eq!(crate::event_kinds(&n, before).await?, vec!["article.deleted"]);
        // The newest article's number is not given to the next one.
        let next = n.create_draft(&contributor.actor(), a.clone()).await?.article.id;
        assert!(next > id, "{next} reuses the deleted {id}");
        // Not while someone else has it open.
        let mut tx = n.db().begin().await?;
        tx.mark_present(next, ed.id, &ed.name, chrono::Utc::now()).await?;
        tx.commit().await?;
        let busy = delete(contributor.actor(), next, None).await;
        assert!(
            matches!(&busy, Err(Error::Refused(why)) if why.contains("has this draft open")),
            "{busy:?}"
        );
        // An editor deletes anyone's draft; nobody deletes what was published,
        // taken down since or not.
        delete(ed.actor(), next, None).await?;
        let theirs = n.create_draft(&contributor.actor(), a.clone()).await?.article.id;
        delete(ed.actor(), theirs, None).await?;
        let live = n.create_draft(&editor(), a.clone()).await?.article.id;
        n.publish(&editor(), live, None).await?;
        let refused = delete(ed.actor(), live, None).await;
        assert!(
            matches!(&refused, Err(Error::Refused(why)) if why.contains("take a published story down")),
            "{refused:?}"
        );
        n.unpublish(&editor(), live).await?;
        assert!(matches!(delete(ed.actor(), live, None).await, Err(Error::Refused(_))));
        assert!(n.db().find_article(live).await.is_ok(), "still there, answering 410");
        Ok(())
    }
);

db_test!(
    guessing_from_fresh_ipv6_addresses_of_one_64_is_held_like_one_address,
    |t: TestDb| async move {
        use newsdesk_app::sessions::{MAX_FAILURES_PER_ADDRESS, Origin, SignIn};
        let n = newsroom(&t);
        user(&n, "ana@example.org", Role::Editor, None).await?;
        // Each guess at a different account (so no account is held) from a new
        // address of the same /64.
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            let from = Origin { ip: format!("2001:db8:7:9:{:x}::1", i + 1), ..Default::default() };
            let got = n.sign_in(&format!("guess{i}@example.org"), "wrong password!", &from).await?;
            assert!(matches!(got, SignIn::Wrong), "guess {i}: {got:?}");
        }
        let next = Origin { ip: "2001:db8:7:9:ffff::2".into(), ..Default::default() };
        let held = n.sign_in("ana@example.org", "a long enough password", &next).await?;
        assert!(matches!(held, SignIn::Held { .. }), "{held:?}");
        // Another /64 is not held, and the right password works there.
        let elsewhere = Origin { ip: "2001:db8:7:a::1".into(), ..Default::default() };
        let ok = n.sign_in("ana@example.org", "a long enough password", &elsewhere).await?;
        assert!(matches!(ok, SignIn::Done { .. }), "{ok:?}");
        // Failures too old to count, and sessions that are over, are pruned.
        n.db().execute_sql("UPDATE sign_in_failures SET at = '2000-01-01 00:00:00+00'").await?;
        n.db().execute_sql("UPDATE sessions SET last_seen_at = '2000-01-01 00:00:00+00'").await?;
        let pruned = newsdesk_app::sessions::prune(n.db()).await?;
        // The twenty guesses (Ana's held attempt went with her sign-in) and
        // the idle session.
        assert_eq!(pruned, MAX_FAILURES_PER_ADDRESS as u64 + 1, "failures and the idle session");
        Ok(())
    }
);
