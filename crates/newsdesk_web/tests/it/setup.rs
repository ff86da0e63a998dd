//! The newsroom's setup in the browser: accounts, and the sections, tags,
//! authors and stories that sort articles. Each change is checked where it
//! shows (the public site, the sign-in, the audit log) and each refusal
//! for its message and the text it keeps.

use crate::TestApp;
use crate::admin::{add, admin_get, hidden, sign_in};
use crate::desk::{location, post};
use newsdesk_core::Role;
use newsdesk_test_support::{TestDb, db_test};

/// The page at `path` and its CSRF token.
async fn open(app: &TestApp, session: &str, path: &str) -> anyhow::Result<(String, String)> {
    let r = admin_get(app, path, session).await?;
    anyhow::ensure!(r.status() == 200, "{path}: {}", r.status());
    let html = r.text().await?;
    Ok((hidden(&html, "csrf"), html))
}

async fn audit_actions(app: &TestApp) -> anyhow::Result<Vec<(String, String, String, String)>> {
    Ok(app
        .t
        .db
        .audit_log(100)
        .await?
        .into_iter()
        .map(|r| (r.action, r.subject, r.detail, r.ip))
        .collect())
}

db_test!(administrators_add_accounts_change_roles_and_disable_them, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    add(&app, "owner@example.org", Role::Owner).await?;
    add(&app, "admin@example.org", Role::Administrator).await?;
    add(&app, "ed@example.org", Role::Editor).await?;
    let admin = sign_in(&app, "admin@example.org").await?;
    let (csrf, html) = open(&app, &admin, "/admin/users").await?;
    assert!(html.contains("owner@example.org") && html.contains("Add an account"));
    assert!(
        !html.contains("<option>administrator</option>")
            && !html.contains("<option>owner</option>"),
        "only the roles an administrator may give are offered"
    );

    // Two passwords that differ: refused, what was typed kept.
    let form = |email: &'static str, role: &'static str, again: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", "Ruth <Ng>".to_owned()),
            ("email", email.to_owned()),
            ("role", role.to_owned()),
            ("password", "the first password".to_owned()),
            ("again", again.to_owned()),
        ]
    };
    let as_refs = |f: &[(&'static str, String)]| {
        f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<(&str, String)>>()
    };
    let send = |fields: Vec<(&'static str, String)>| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post(app, &admin, "/admin/users", &fields).await
        }
    };
    let r = send(as_refs(&form("ruth@example.org", "author", "another password"))).await?;
    assert_eq!(r.status(), 422);
    let html = r.text().await?;
    assert!(html.contains("The two passwords differ"), "{html}");
    assert!(
        html.contains("value=\"Ruth &lt;Ng&gt;\"") && html.contains("value=\"ruth@example.org\"")
    );
    assert!(html.contains("<option selected>author</option>"), "the role chosen is kept");
    // An administrator cannot make an administrator, even by posting it.
    let r = send(as_refs(&form("boss@example.org", "administrator", "the first password"))).await?;
    assert_eq!(r.status(), 403);
    // A bad address is named.
    let r = send(as_refs(&form("not-an-address", "author", "the first password"))).await?;
    assert_eq!(r.status(), 422);
    assert!(r.text().await?.contains("value=\"not-an-address\""));

    let r = send(as_refs(&form("ruth@example.org", "author", "the first password"))).await?;
    assert_eq!(r.status(), 303, "{}", r.text().await?);
    let users = app.app.newsroom.users().await?;
    let ruth = users.iter().find(|u| u.email == "ruth@example.org").expect("added");
    assert_eq!((ruth.role, ruth.name.as_str()), (Role::Author, "Ruth <Ng>"));
    assert!(ruth.author_id.is_some(), "an author writes as a profile of their own");
    assert!(
        app.app.newsroom.authenticate("ruth@example.org", "the first password").await?.is_some()
    );
    // A duplicate address is refused.
    let r = send(as_refs(&form("RUTH@example.org", "author", "the first password"))).await?;
    assert_eq!(r.status(), 409);

    // Role changes: within what the administrator manages, audited with
    // the address.
    let page = format!("/admin/users/{}", ruth.id);
    let (csrf, html) = open(&app, &admin, &page).await?;
    assert!(html.contains("Ruth &lt;Ng&gt;") && html.contains("Change role"));
    assert!(html.contains("<a href=\"/admin/users\" aria-current=\"page\">Users</a>"));
    assert!(html.contains("data-confirm=\"Disable Ruth &lt;Ng&gt;?"), "disabling asks first");
    let r =
        post(&app, &admin, &page, &[("csrf", &csrf), ("do", "role"), ("role", "editor")]).await?;
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("{page}?done=role")));
    let ruth_now = app.app.newsroom.users().await?.into_iter().find(|u| u.id == ruth.id);
    assert_eq!(ruth_now.map(|u| u.role), Some(Role::Editor));
    let r =
        post(&app, &admin, &page, &[("csrf", &csrf), ("do", "role"), ("role", "owner")]).await?;
    assert_eq!(r.status(), 403);
    let owner_id = users.iter().find(|u| u.role == Role::Owner).map(|u| u.id).unwrap_or_default();
    let owner_page = format!("/admin/users/{owner_id}");
    let (_, html) = open(&app, &admin, &owner_page).await?;
    assert!(html.contains("Only an owner changes this account") && !html.contains("Change role"));
    let r = post(&app, &admin, &owner_page, &[("csrf", &csrf), ("do", "disable")]).await?;
    assert_eq!(r.status(), 403, "the server decides, not the page");

    // A new password and disabling both end the account's sessions.
    let ruth_session = sign_in_with(&app, "ruth@example.org", "the first password").await?;
    let fields =
        [("csrf", csrf.as_str()), ("do", "password"), ("password", "short"), ("again", "short")];
    let r = post(&app, &admin, &page, &fields).await?;
    assert_eq!(r.status(), 422);
    assert!(r.text().await?.contains("at least 10 characters"));
    // A new password ends their sessions; so does disabling.
    let fields = [
        ("csrf", csrf.as_str()),
        ("do", "password"),
        ("password", "a second password"),
        ("again", "a second password"),
    ];
    let r = post(&app, &admin, &page, &fields).await?;
    assert_eq!(r.status(), 303);
    assert_eq!(admin_get(&app, "/admin", &ruth_session).await?.status(), 303, "signed out");
    let ruth_auth = |pw: &'static str| {
        let app = &app;
        async move { app.app.newsroom.authenticate("ruth@example.org", pw).await }
    };
    assert!(ruth_auth("the first password").await?.is_none());
    let ruth_session = sign_in_with(&app, "ruth@example.org", "a second password").await?;
    let r = post(&app, &admin, &page, &[("csrf", &csrf), ("do", "disable")]).await?;
    assert_eq!(r.status(), 303);
    let r = admin_get(&app, "/admin", &ruth_session).await?;
    assert_eq!(r.status(), 303, "signed out when disabled");
    assert!(ruth_auth("a second password").await?.is_none());
    let r = post(&app, &admin, &page, &[("csrf", &csrf), ("do", "enable")]).await?;
    assert_eq!(r.status(), 303);
    assert!(ruth_auth("a second password").await?.is_some());
    // An administrator's own password changes only where the current one
    // is asked for.
    let me = app.app.newsroom.users().await?.into_iter().find(|u| u.email == "admin@example.org");
    let own_page = format!("/admin/users/{}", me.map(|u| u.id).unwrap_or_default());
    let own = [
        ("csrf", csrf.as_str()),
        ("do", "password"),
        ("password", "taken over quietly"),
        ("again", "taken over quietly"),
    ];
    assert_eq!(post(&app, &admin, &own_page, &own).await?.status(), 422);
    assert!(
        app.app.newsroom.authenticate("admin@example.org", "taken over quietly").await?.is_none()
    );

    // Forged forms and other roles change nothing.
    let r = post(&app, &admin, &page, &[("csrf", "forged"), ("do", "disable")]).await?;
    assert_eq!(r.status(), 403);
    let ed = sign_in(&app, "ed@example.org").await?;
    assert_eq!(admin_get(&app, "/admin/users", &ed).await?.status(), 403);
    let (ed_csrf, _) = open(&app, &ed, "/admin").await?;
    let r = post(&app, &ed, &page, &[("csrf", &ed_csrf), ("do", "disable")]).await?;
    assert_eq!(r.status(), 403);
    assert!(ruth_auth("a second password").await?.is_some());

    let log = audit_actions(&app).await?;
    for action in ["user_added", "role_changed", "user_disabled", "user_enabled"] {
        let entry = log.iter().find(|(a, s, ..)| a == action && s == "ruth@example.org");
        assert_eq!(entry.map(|e| e.3.as_str()), Some("127.0.0.1"), "{action}: {log:?}");
    }
    assert!(log.iter().any(|(a, _, d, _)| a == "role_changed" && d == "author → editor"));
    let refused = |who: &str, what: &str| {
        log.iter().filter(|(a, s, d, _)| a == "forbidden" && s == who && d.contains(what)).count()
    };
    assert_eq!(refused("boss@example.org", "manage administrators"), 1, "{log:?}");
    assert_eq!(refused(&format!("user {}", ruth.id), "manage administrators"), 1, "{log:?}");
    assert_eq!(refused(&format!("user {owner_id}"), "manage administrators"), 1, "{log:?}");
    assert_eq!(refused("ed@example.org", "manage users"), 2, "{log:?}");
    app.stop().await
});

/// Signs in with a password of one's own.
async fn sign_in_with(app: &TestApp, email: &str, password: &str) -> anyhow::Result<String> {
    let r = app.get("/admin/sign-in").await?;
    let cookie = crate::admin::cookie_value(
        &crate::admin::set_cookie(&r, "newsdesk_signin").unwrap_or_default(),
    );
    let csrf = hidden(&r.text().await?, "csrf");
    let r = app
        .client
        .post(format!("{}/admin/sign-in", app.base))
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(reqwest::header::COOKIE, format!("newsdesk_signin={cookie}"))
        .body(serde_urlencoded::to_string([
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
            ("next", "/admin"),
        ])?)
        .send()
        .await?;
    anyhow::ensure!(r.status() == 303, "signed in: {}", r.status());
    Ok(crate::admin::cookie_value(
        &crate::admin::set_cookie(&r, "newsdesk_session").unwrap_or_default(),
    ))
}

db_test!(sections_tags_authors_and_stories_are_kept_in_the_browser, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    add(&app, "admin@example.org", Role::Administrator).await?;
    add(&app, "ed@example.org", Role::Editor).await?;
    let admin = sign_in(&app, "admin@example.org").await?;
    let (csrf, html) = open(&app, &admin, "/admin/sections").await?;
    assert!(html.contains("World") && html.contains("href=\"/world\""));
    let c = csrf.as_str();

    // A new section, its slug made from the name, answers at once.
    let r = post(
        &app,
        &admin,
        "/admin/sections",
        &[
            ("csrf", c),
            ("name", "Climate & Energy"),
            ("position", "3"),
            ("description", "The warming world."),
        ],
    )
    .await?;
    assert_eq!(r.status(), 303);
    let at = location(&r);
    assert!(at.starts_with("/admin/sections/") && at.ends_with("?done=added"), "{at}");
    let (status, page) = app.text("/climate-energy").await?;
    assert_eq!(status, 200);
    assert!(page.contains("Climate &amp; Energy") && page.contains("The warming world."));

    // Refusals name the problem and keep what was typed.
    let r = post(
        &app,
        &admin,
        "/admin/sections",
        &[("csrf", c), ("name", "Admin desk"), ("slug", "admin"), ("description", "kept text")],
    )
    .await?;
    assert_eq!(r.status(), 422);
    let html = r.text().await?;
    assert!(html.contains("belongs to the site itself") && html.contains("kept text"), "{html}");
    // Each refusal is tied to its field for assistive technology.
    assert_eq!(flagged(&html), vec!["slug"], "{html}");
    let r =
        post(&app, &admin, "/admin/sections", &[("csrf", c), ("name", "Globe"), ("slug", "world")])
            .await?;
    assert_eq!(r.status(), 409);
    let html = r.text().await?;
    assert!(html.contains("value=\"Globe\""));
    assert_eq!(flagged(&html), vec!["slug"], "{html}");
    let r = post(
        &app,
        &admin,
        "/admin/sections",
        &[("csrf", c), ("name", "Numbers"), ("position", "first")],
    )
    .await?;
    assert_eq!(r.status(), 422);
    assert_eq!(flagged(&r.text().await?), vec!["position"]);
    let r = post(
        &app,
        &admin,
        "/admin/authors",
        &[("csrf", c), ("name", "Pat Doe"), ("photo", "999999")],
    )
    .await?;
    assert_eq!(r.status(), 422);
    let html = r.text().await?;
    assert_eq!(flagged(&html), vec!["photo"]);
    assert!(html.contains("no media item 999999"));

    // An author with a bio and a portrait from the library.
    let authors = app.t.db.list_authors().await?;
    let portrait = authors.iter().find_map(|a| a.photo_media_id).expect("a fixture portrait");
    let photo = portrait.to_string();
    let bio = "Covers water, <b>dams</b> and diplomacy.";
    let r = post(
        &app,
        &admin,
        "/admin/authors",
        &[
            ("csrf", c),
            ("name", "Pat Doe"),
            ("title", "Water correspondent"),
            ("bio", bio),
            ("photo", &photo),
        ],
    )
    .await?;
    assert_eq!(r.status(), 303);
    let (_, html) = open(&app, &admin, &location(&r)).await?;
    assert!(html.contains("<img src=\"/media/") && html.contains("alt=\"The portrait now\""));
    assert!(html.contains("data-confirm=\"Remove this author for good?\""));
    assert!(
        html.contains("<a href=\"/admin/sections\" aria-current=\"page\">Sections &amp; tags</a>")
    );
    let (status, page) = app.text("/author/pat-doe").await?;
    assert_eq!(status, 200);
    assert!(
        page.contains("Water correspondent") && page.contains("&lt;b&gt;dams&lt;/b&gt;"),
        "escaped, never markup"
    );

    // A tag renamed to a new address: the old one goes, the new one
    // answers, and the change of address is audited.
    let tags = app.t.db.list_tags().await?;
    let water = tags.iter().find(|t| t.slug == "water").map(|t| t.id).unwrap_or_default();
    let tag_page = format!("/admin/tags/{water}");
    let r = post(
        &app,
        &admin,
        &tag_page,
        &[("csrf", c), ("name", "Water supply"), ("slug", "water-supply")],
    )
    .await?;
    assert_eq!(r.status(), 303);
    assert_eq!(app.get("/tag/water-supply").await?.status(), 200);
    assert_eq!(app.get("/tag/water").await?.status(), 404);
    // In use: not removed, with a message saying why.
    let r = post(&app, &admin, &tag_page, &[("csrf", c), ("do", "remove")]).await?;
    assert_eq!(r.status(), 409);
    assert!(r.text().await?.contains("take it off them first"));
    // Unused: removed.
    let r = post(&app, &admin, "/admin/stories", &[("csrf", c), ("name", "Dam inquiry")]).await?;
    let story_page = location(&r).replace("?done=added", "");
    let r = post(&app, &admin, &story_page, &[("csrf", c), ("do", "remove")]).await?;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/admin/stories?removed=1".to_owned()));
    assert!(app.t.db.list_stories().await?.iter().all(|s| s.name != "Dam inquiry"));
    let log = audit_actions(&app).await?;
    assert!(
        log.iter().any(|(a, s, d, ip)| a == "tag_slug_changed"
            && s == &format!("tag {water}")
            && d == "water → water-supply"
            && ip == "127.0.0.1"),
        "{log:?}"
    );
    assert!(
        log.iter().any(|(a, _, d, _)| a == "story_deleted" && d == "Dam inquiry (dam-inquiry)"),
        "{log:?}"
    );

    // Search narrows a long list.
    let (_, html) = open(&app, &admin, "/admin/tags?q=supply").await?;
    assert!(html.contains("Water supply") && !html.contains(">Diplomacy"), "{html}");
    // Editors write; they do not set up the newsroom, but the editor
    // suggests existing tags as they type one.
    let ed = sign_in(&app, "ed@example.org").await?;
    let suggest = |q: &'static str| {
        let (app, ed) = (&app, ed.clone());
        async move {
            let r = admin_get(app, &format!("/admin/tags/suggest?q={q}"), &ed).await?;
            anyhow::ensure!(r.status() == 200, "{}", r.status());
            anyhow::Ok(serde_json::from_str::<Vec<String>>(&r.text().await?)?)
        }
    };
    assert_eq!(suggest("wat").await?, vec!["Water supply"]);
    assert_eq!(suggest("TALKS").await?, vec!["Diplomacy <&> \"talks\""], "inside a name, any case");
    assert!(suggest("").await?.is_empty() && suggest("zzz").await?.is_empty());
    assert_eq!(app.get("/admin/tags/suggest?q=wat").await?.status(), 303, "signed in only");
    let (_, html) = open(&app, &ed, "/admin/articles/new").await?;
    assert!(
        html.contains("list=\"tag-options\"")
            && html.contains("data-suggest=\"/admin/tags/suggest\"")
    );
    assert_eq!(admin_get(&app, "/admin/sections", &ed).await?.status(), 403);
    let (ed_csrf, _) = open(&app, &ed, "/admin").await?;
    let r = post(&app, &ed, "/admin/tags", &[("csrf", &ed_csrf), ("name", "Sneaky")]).await?;
    assert_eq!(r.status(), 403);
    let r = post(&app, &admin, "/admin/tags", &[("csrf", "forged"), ("name", "Forged")]).await?;
    assert_eq!(r.status(), 403);
    // An expired form or an ended session changes nothing and shows what
    // was typed.
    let bio =
        [("csrf", "expired"), ("name", "Lee Long"), ("bio", "Twenty years on the <court> beat.")];
    let r = post(&app, &admin, "/admin/authors", &bio).await?;
    assert_eq!(r.status(), 403);
    let html = r.text().await?;
    assert!(
        html.contains("Twenty years on the &lt;court&gt; beat.") && html.contains("Lee Long"),
        "{html}"
    );
    let r = app
        .client
        .post(format!("{}/admin/authors", app.base))
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(bio)?)
        .send()
        .await?;
    assert_eq!(r.status(), 401);
    assert!(r.text().await?.contains("Twenty years on the &lt;court&gt; beat."));
    assert!(app.t.db.list_authors().await?.iter().all(|a| a.name != "Lee Long"));
    assert!(app.t.db.list_tags().await?.iter().all(|t| t.name != "Sneaky" && t.name != "Forged"));
    app.stop().await
});

db_test!(site_settings_live_in_the_database_and_reach_every_page, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    add(&app, "admin@example.org", Role::Administrator).await?;
    add(&app, "ed@example.org", Role::Editor).await?;
    let admin = sign_in(&app, "admin@example.org").await?;
    let (csrf, html) = open(&app, &admin, "/admin/settings").await?;
    let default_title = app.app.config.site.title.clone();
    assert!(html.contains(&default_title), "the configuration's values are shown");
    let c = csrf.as_str();
    let authors = app.t.db.list_authors().await?;
    let logo =
        authors.iter().find_map(|a| a.photo_media_id).expect("a fixture picture").to_string();

    // A time zone that does not exist: refused, what was typed kept.
    let r = post(
        &app,
        &admin,
        "/admin/settings",
        &[("csrf", c), ("title", "The Harbour Herald"), ("timezone", "Mars/Olympus")],
    )
    .await?;
    assert_eq!(r.status(), 422);
    let html = r.text().await?;
    assert!(
        html.contains("is not a time zone") && html.contains("value=\"The Harbour Herald\""),
        "{html}"
    );
    assert_eq!(flagged(&html), vec!["timezone"]);
    assert!(!app.text("/").await?.1.contains("The Harbour Herald"), "nothing saved");

    let fields = [
        ("csrf", c),
        ("title", "The Harbour Herald"),
        ("description", "News from the harbour & the hills."),
        ("timezone", "America/New_York"),
        ("logo", logo.as_str()),
    ];
    let r = post(&app, &admin, "/admin/settings", &fields).await?;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/admin/settings?done=saved".to_owned()));
    let (_, home) = app.text("/").await?;
    assert!(
        home.contains("<title>The Harbour Herald — News from the harbour &amp; the hills.</title>"),
        "{home}"
    );
    assert!(home.contains("/media/"), "the logo comes from the library");
    let (_, feed) = app.text("/feed.xml").await?;
    assert!(feed.contains("<title>The Harbour Herald</title>"), "{feed}");
    let (_, admin_home) = open(&app, &admin, "/admin").await?;
    assert!(admin_home.contains("The Harbour Herald"));
    // The time zone dates the addresses of what is published from now on:
    // 03:00 UTC on 2 March is still 1 March in New York.
    let mut copy = app.t.db.find_article(app.ids.main).await?;
    (copy.id, copy.slug, copy.path, copy.first_published_at) =
        (0, "late-night-copy".into(), None, None);
    copy.status = newsdesk_core::ArticleStatus::Draft;
    let system = newsdesk_core::Actor::system("test");
    let draft = app.app.newsroom.create_draft(&system, copy).await?.article.id;
    let at = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 2, 3, 0, 0)
        .single()
        .expect("a time");
    let published =
        app.app.newsroom.publish_as_of(&newsdesk_core::Actor::system("test"), draft, at).await?;
    assert!(published.article.path.is_some_and(|p| p.contains("/2026/03/01/")));
    let log = audit_actions(&app).await?;
    assert!(
        log.iter().any(|(a, s, d, ip)| a == "settings_changed"
            && s == "site"
            && d == "title, description, timezone, logo_media_id"
            && ip == "127.0.0.1"),
        "{log:?}"
    );

    // Emptied, a setting takes the configuration's value again.
    let r = post(
        &app,
        &admin,
        "/admin/settings",
        &[("csrf", c), ("title", ""), ("timezone", "America/New_York")],
    )
    .await?;
    assert_eq!(r.status(), 303);
    let (_, home) = app.text("/").await?;
    assert!(home.contains(&format!("<title>{default_title}")) && !home.contains("Harbour Herald"));

    // Editors do not change the site's settings.
    let ed = sign_in(&app, "ed@example.org").await?;
    assert_eq!(admin_get(&app, "/admin/settings", &ed).await?.status(), 403);
    let (ed_csrf, _) = open(&app, &ed, "/admin").await?;
    let r =
        post(&app, &ed, "/admin/settings", &[("csrf", &ed_csrf), ("title", "Hijacked")]).await?;
    assert_eq!(r.status(), 403);
    assert!(!app.text("/").await?.1.contains("Hijacked"));
    app.stop().await
});

/// The fields a refused form marks invalid, each read out with the error.
fn flagged(html: &str) -> Vec<String> {
    assert!(html.contains("id=\"form-error\""), "the error has an id to point at");
    html.split('<')
        .filter(|tag| tag.contains("aria-invalid=\"true\""))
        .map(|tag| {
            assert!(tag.contains("aria-describedby=\"form-error"), "{tag}");
            let id = tag.split_once("id=\"").and_then(|(_, r)| r.split_once('"'));
            id.map(|(id, _)| id.to_owned()).unwrap_or_default()
        })
        .collect()
}
