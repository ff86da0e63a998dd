//! The back office's front door: sign-in, sessions, CSRF, throttling.

use crate::TestApp;
use newsdesk_app::accounts::NewAccount;
use newsdesk_core::{Actor, Role};
use newsdesk_test_support::{TestDb, db_test};
use reqwest::header;

pub(crate) const PASSWORD: &str = "a long enough password";

pub(crate) async fn add(
    app: &TestApp,
    email: &str,
    role: Role,
) -> anyhow::Result<newsdesk_app::accounts::User> {
    let new = NewAccount {
        email: email.into(),
        name: format!("Test {role}"),
        role,
        author_id: None,
        password: PASSWORD.into(),
    };
    Ok(app.app.newsroom.add_user(&Actor::operator("test"), new, &Default::default()).await?)
}

/// The value of cookie `name` set by `r`, with its attributes.
pub(crate) fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

pub(crate) fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    html.split_once(&marker)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(v, _)| v.to_owned())
        .unwrap_or_default()
}

/// The sign-in form: its CSRF cookie value and hidden token.
async fn form(app: &TestApp) -> anyhow::Result<(String, String)> {
    let r = app.get("/admin/sign-in").await?;
    let cookie = cookie_value(&set_cookie(&r, "newsdesk_signin").unwrap_or_default());
    let csrf = hidden(&r.text().await?, "csrf");
    Ok((cookie, csrf))
}

async fn post_sign_in(
    app: &TestApp,
    cookie: &str,
    csrf: &str,
    email: &str,
    password: &str,
    next: &str,
) -> anyhow::Result<reqwest::Response> {
    let body = serde_urlencoded::to_string([
        ("csrf", csrf),
        ("email", email),
        ("password", password),
        ("next", next),
    ])?;
    Ok(app
        .client
        .post(format!("{}/admin/sign-in", app.base))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("newsdesk_signin={cookie}"))
        .body(body)
        .send()
        .await?)
}

/// Signs in and returns the session cookie's value.
pub(crate) async fn sign_in(app: &TestApp, email: &str) -> anyhow::Result<String> {
    let (cookie, csrf) = form(app).await?;
    let r = post_sign_in(app, &cookie, &csrf, email, PASSWORD, "/admin").await?;
    anyhow::ensure!(r.status() == 303, "signed in: {}", r.status());
    Ok(cookie_value(&set_cookie(&r, "newsdesk_session").unwrap_or_default()))
}

pub(crate) async fn admin_get(
    app: &TestApp,
    path: &str,
    session: &str,
) -> anyhow::Result<reqwest::Response> {
    Ok(app
        .client
        .get(format!("{}{path}", app.base))
        .header(header::COOKIE, format!("newsdesk_session={session}"))
        .send()
        .await?)
}

async fn sign_out(
    app: &TestApp,
    session: &str,
    csrf: &str,
    everywhere: bool,
) -> anyhow::Result<u16> {
    let body = serde_urlencoded::to_string([
        ("csrf", csrf),
        ("everywhere", if everywhere { "1" } else { "" }),
    ])?;
    let r = app
        .client
        .post(format!("{}/admin/sign-out", app.base))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("newsdesk_session={session}"))
        .body(body)
        .send()
        .await?;
    Ok(r.status().as_u16())
}

db_test!(signing_in_opens_the_back_office_with_a_safe_cookie, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    add(&app, "ed@example.org", Role::Editor).await?;
    let r = app.get("/admin").await?;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[header::LOCATION], "/admin/sign-in?next=%2Fadmin");
    let r = app.get("/admin/sign-in").await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    let html = r.text().await?;
    assert!(html.contains("autocomplete=\"current-password\""));
    // An icon of its own, so browsers do not ask for a missing favicon.
    let icon = html
        .split_once("rel=\"icon\" href=\"")
        .and_then(|(_, r)| r.split_once('"'))
        .map(|(u, _)| u.to_owned())
        .unwrap_or_default();
    assert_eq!(app.get(&icon).await?.status(), 200, "{icon}");
    let (cookie, csrf) = form(&app).await?;
    assert_eq!(csrf.len(), 64);
    assert_eq!(cookie, csrf, "the form's token matches its cookie");
    let r = post_sign_in(&app, &cookie, &csrf, "ED@example.org", PASSWORD, "/admin").await?;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[header::LOCATION], "/admin");
    let set = set_cookie(&r, "newsdesk_session").unwrap_or_default();
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/admin", "Secure", "Max-Age="] {
        assert!(set.contains(attr), "{attr} in {set}");
    }
    let session = cookie_value(&set);
    let home = admin_get(&app, "/admin", &session).await?;
    assert_eq!(home.status(), 200);
    assert_eq!(home.headers()[header::CACHE_CONTROL], "no-store");
    let html = home.text().await?;
    assert!(html.contains("Hello, Test editor"), "{html}");
    // A `datetime` the HTML checker accepts: whole seconds, UTC.
    let stamp = html.split_once("datetime=\"").and_then(|(_, r)| r.split_once('"')).map(|(v, _)| v);
    assert!(stamp.is_some_and(|v| v.len() == 20 && v.ends_with('Z')), "{stamp:?}");
    // The session is in the database: another process on it knows it.
    let other = newsdesk_app::Newsroom::new(app.t.db.clone(), chrono_tz::UTC);
    assert!(other.session(&session).await?.is_some());
    // Sign out with the page's token: the cookie no longer opens anything.
    let csrf = hidden(&html, "csrf");
    assert_eq!(sign_out(&app, &session, &csrf, false).await?, 303);
    assert_eq!(admin_get(&app, "/admin", &session).await?.status(), 303);
    let log = app.t.db.audit_log(10).await?;
    let actions: Vec<&str> = log.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions[..2], ["sign_out", "sign_in"]);
    assert_eq!(log[1].ip, "127.0.0.1", "from where");
    app.stop().await
});

db_test!(forged_replayed_and_cross_site_forms_are_refused, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    add(&app, "ed@example.org", Role::Editor).await?;
    let (cookie, csrf) = form(&app).await?;
    // No cookie, a wrong token, another site's form.
    let r = post_sign_in(&app, "", &csrf, "ed@example.org", PASSWORD, "/admin").await?;
    assert_eq!(r.status(), 403);
    let r =
        post_sign_in(&app, &cookie, &"0".repeat(64), "ed@example.org", PASSWORD, "/admin").await?;
    assert_eq!(r.status(), 403);
    let body = serde_urlencoded::to_string([
        ("csrf", csrf.as_str()),
        ("email", "ed@example.org"),
        ("password", PASSWORD),
    ])?;
    let r = app
        .client
        .post(format!("{}/admin/sign-in", app.base))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("newsdesk_signin={cookie}"))
        .header(header::ORIGIN, "https://evil.example")
        .body(body)
        .send()
        .await?;
    assert_eq!(r.status(), 403);
    assert!(r.text().await?.contains("sent from another site"));
    // Signed in, a sign-out without the session's token changes nothing.
    let session = sign_in(&app, "ed@example.org").await?;
    assert_eq!(sign_out(&app, &session, "", false).await?, 403);
    assert_eq!(sign_out(&app, &session, &csrf, false).await?, 403, "another form's token");
    assert_eq!(admin_get(&app, "/admin", &session).await?.status(), 200, "still signed in");
    // A made-up or malformed session cookie opens nothing.
    for fake in ["0".repeat(64), "x".into(), "../../etc".into()] {
        assert_eq!(admin_get(&app, "/admin", &fake).await?.status(), 303);
    }
    // After signing in, `next` never leaves the back office.
    let (cookie, csrf) = form(&app).await?;
    let r = post_sign_in(&app, &cookie, &csrf, "ed@example.org", PASSWORD, "//evil.example/admin")
        .await?;
    assert_eq!(r.headers()[header::LOCATION], "/admin");
    app.stop().await
});

db_test!(wrong_passwords_are_throttled_per_account, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    add(&app, "ed@example.org", Role::Editor).await?;
    for _ in 0..newsdesk_app::sessions::MAX_FAILURES_PER_ACCOUNT {
        let (cookie, csrf) = form(&app).await?;
        let r = post_sign_in(&app, &cookie, &csrf, "ed@example.org", "a wrong password", "/admin")
            .await?;
        assert_eq!(r.status(), 200);
        assert!(set_cookie(&r, "newsdesk_session").is_none());
        let html = r.text().await?;
        assert!(html.contains("do not match"), "a clear message");
        assert!(html.contains("value=\"ed@example.org\""), "the address is kept");
    }
    // Now even the right password waits.
    let (cookie, csrf) = form(&app).await?;
    let r = post_sign_in(&app, &cookie, &csrf, "ed@example.org", PASSWORD, "/admin").await?;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()[header::RETRY_AFTER], "900");
    assert!(r.text().await?.contains("Try again in 15 minutes"));
    // Other accounts are not held by it.
    add(&app, "au@example.org", Role::Author).await?;
    sign_in(&app, "au@example.org").await?;
    let log = app.t.db.audit_log(20).await?;
    assert_eq!(log.iter().filter(|a| a.action == "sign_in_failed").count(), 5);
    assert_eq!(log.iter().filter(|a| a.action == "sign_in_held").count(), 1);
    app.stop().await
});

db_test!(password_changes_disabling_and_idleness_end_sessions, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let ed = add(&app, "ed@example.org", Role::Editor).await?;
    let first = sign_in(&app, "ed@example.org").await?;
    let second = sign_in(&app, "ed@example.org").await?;
    let operator = Actor::operator("test");
    app.app
        .newsroom
        .set_password(&operator, ed.id, "a brand new password", &Default::default())
        .await?;
    assert_eq!(admin_get(&app, "/admin", &first).await?.status(), 303);
    assert_eq!(admin_get(&app, "/admin", &second).await?.status(), 303);
    app.app.newsroom.set_password(&operator, ed.id, PASSWORD, &Default::default()).await?;
    let third = sign_in(&app, "ed@example.org").await?;
    app.app.newsroom.set_user_disabled(&operator, ed.id, true, &Default::default()).await?;
    assert_eq!(admin_get(&app, "/admin", &third).await?.status(), 303);
    let (cookie, csrf) = form(&app).await?;
    let r = post_sign_in(&app, &cookie, &csrf, "ed@example.org", PASSWORD, "/admin").await?;
    assert!(set_cookie(&r, "newsdesk_session").is_none(), "a disabled account cannot sign in");
    app.app.newsroom.set_user_disabled(&operator, ed.id, false, &Default::default()).await?;
    // Idle past the limit: over.
    let idle = sign_in(&app, "ed@example.org").await?;
    assert_eq!(admin_get(&app, "/admin", &idle).await?.status(), 200);
    age_sessions(&app).await?;
    assert_eq!(admin_get(&app, "/admin", &idle).await?.status(), 303);
    // Sign out everywhere ends every session of the user.
    let a = sign_in(&app, "ed@example.org").await?;
    let b = sign_in(&app, "ed@example.org").await?;
    let html = admin_get(&app, "/admin", &a).await?.text().await?;
    assert_eq!(sign_out(&app, &a, &hidden(&html, "csrf"), true).await?, 303);
    assert_eq!(admin_get(&app, "/admin", &b).await?.status(), 303);
    app.stop().await
});

/// Makes every session look unused for a day.
async fn age_sessions(app: &TestApp) -> anyhow::Result<()> {
    let day_ago = chrono::Utc::now() - chrono::Duration::days(1);
    let mut tx = app.t.db.begin().await?;
    tx.set_sessions_last_seen(day_ago).await?;
    tx.commit().await?;
    Ok(())
}

db_test!(the_audit_log_and_users_are_for_administrators_only, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    add(&app, "admin@example.org", Role::Administrator).await?;
    add(&app, "ed@example.org", Role::Editor).await?;
    // Signed out: to the sign-in page, and back here afterwards.
    let r = app.get("/admin/audit?action=sign_in").await?;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()[header::LOCATION],
        "/admin/sign-in?next=%2Fadmin%2Faudit%3Faction%3Dsign_in"
    );
    // An editor is refused, and the refusal is audited.
    let editor = sign_in(&app, "ed@example.org").await?;
    let home = admin_get(&app, "/admin", &editor).await?.text().await?;
    assert!(!home.contains("/admin/audit"), "no link to what the role may not see");
    for path in ["/admin/audit", "/admin/users"] {
        let r = admin_get(&app, path, &editor).await?;
        assert_eq!(r.status(), 403, "{path}");
        assert!(r.text().await?.contains("Your role (editor) may not"));
    }
    // The same page opened from a link on another site is refused too, and
    // the entry says so, rather than blaming the editor alone.
    let r = app
        .client
        .get(format!("{}/admin/users", app.base))
        .header(header::COOKIE, format!("newsdesk_session={editor}"))
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await?;
    assert_eq!(r.status(), 403);
    let last = app.t.db.audit_log(1).await?.into_iter().next().map(|e| e.detail);
    assert_eq!(
        last.as_deref(),
        Some("may not manage users (opened from a link on another site)"),
        "noted as such"
    );
    // The administrator sees both, and the editor's refusals in the log.
    let admin = sign_in(&app, "admin@example.org").await?;
    let users = admin_get(&app, "/admin/users", &admin).await?.text().await?;
    assert!(users.contains("ed@example.org") && users.contains("administrator"), "{users}");
    let log = admin_get(&app, "/admin/audit", &admin).await?;
    assert_eq!(log.headers()[header::CACHE_CONTROL], "no-store");
    let log = log.text().await?;
    assert!(log.contains("forbidden") && log.contains("may not read the audit log"), "{log}");
    // Filtered by action, a page of 50 at a time, older ones behind a link.
    let mut tx = app.t.db.begin().await?;
    for i in 0..60 {
        let subject = format!("probe {i}");
        tx.audit(&newsdesk_db::NewAudit {
            at: chrono::Utc::now(),
            user_id: None,
            actor: "test",
            action: "probe",
            subject: &subject,
            ip: "",
            detail: "",
        })
        .await?;
    }
    tx.commit().await?;
    let page = admin_get(&app, "/admin/audit?action=probe", &admin).await?.text().await?;
    assert_eq!(page.matches("<td>probe</td>").count(), 50);
    assert!(page.contains("probe 59") && !page.contains("probe 9<"), "newest first");
    let older = page
        .split_once("href=\"/admin/audit?action=probe&amp;before=")
        .and_then(|(_, r)| r.split_once('"'))
        .map(|(id, _)| id.to_owned())
        .ok_or_else(|| anyhow::anyhow!("a link to older entries"))?;
    let rest =
        admin_get(&app, &format!("/admin/audit?action=probe&before={older}"), &admin).await?;
    let rest = rest.text().await?;
    assert_eq!(rest.matches("<td>probe</td>").count(), 10);
    assert!(rest.contains("probe 0<") && !rest.contains("Older entries"));
    assert_eq!(admin_get(&app, "/admin/audit?before=x", &admin).await?.status(), 400);
    app.stop().await
});

async fn post_password(
    app: &TestApp,
    session: &str,
    fields: &[(&str, &str)],
) -> anyhow::Result<reqwest::Response> {
    Ok(app
        .client
        .post(format!("{}/admin/password", app.base))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("newsdesk_session={session}"))
        .body(serde_urlencoded::to_string(fields)?)
        .send()
        .await?)
}

db_test!(changing_ones_password_keeps_this_session_and_ends_the_others, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    add(&app, "ed@example.org", Role::Editor).await?;
    let here = sign_in(&app, "ed@example.org").await?;
    let elsewhere = sign_in(&app, "ed@example.org").await?;
    let r = admin_get(&app, "/admin/password", &here).await?;
    assert_eq!(r.status(), 200);
    let csrf = hidden(&r.text().await?, "csrf");
    let new = "a fresh long password";
    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[("csrf", &csrf), ("current", PASSWORD), ("new", new), ("again", "something else")],
            "differ",
        ),
        (
            &[("csrf", &csrf), ("current", "not my password"), ("new", new), ("again", new)],
            "not right",
        ),
        (
            &[("csrf", &csrf), ("current", PASSWORD), ("new", "short"), ("again", "short")],
            "at least 10",
        ),
    ];
    for (fields, says) in cases {
        let r = post_password(&app, &here, fields).await?;
        assert_eq!(r.status(), 200);
        assert!(r.text().await?.contains(says), "{says}");
    }
    let forged =
        post_password(&app, &here, &[("current", PASSWORD), ("new", new), ("again", new)]).await?;
    assert_eq!(forged.status(), 403);
    assert!(
        app.app.newsroom.authenticate("ed@example.org", PASSWORD).await?.is_some(),
        "unchanged so far"
    );
    let r = post_password(
        &app,
        &here,
        &[("csrf", &csrf), ("current", PASSWORD), ("new", new), ("again", new)],
    )
    .await?;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[header::LOCATION], "/admin?changed=password");
    let home = admin_get(&app, "/admin?changed=password", &here).await?;
    assert_eq!(home.status(), 200, "this session goes on");
    assert!(home.text().await?.contains("every other device was signed out"));
    assert_eq!(admin_get(&app, "/admin", &elsewhere).await?.status(), 303, "the other one ended");
    assert!(app.app.newsroom.authenticate("ed@example.org", new).await?.is_some());
    assert!(app.app.newsroom.authenticate("ed@example.org", PASSWORD).await?.is_none());
    let log = app.t.db.audit_log(20).await?;
    assert!(log.iter().any(|a| a.action == "password_change_failed"));
    assert!(
        log.iter().any(|a| a.action == "password_changed" && a.detail == "other sessions ended: 1")
    );
    app.stop().await
});
