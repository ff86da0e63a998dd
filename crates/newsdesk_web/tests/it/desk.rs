//! The desk over real HTTP: the dashboard, the article list, the editor's
//! form, the workflow buttons, merges and conflicts, and what happens to
//! the text when a save is refused.

use crate::TestApp;
use crate::admin::{PASSWORD, admin_get, hidden, sign_in};
use newsdesk_app::accounts::NewAccount;
use newsdesk_core::{Actor, ArticleStatus, Block, Id, Role};
use newsdesk_test_support::{TestDb, db_test};
use reqwest::header;

/// An account writing as the fixtures' Ann Lee (or as nobody).
pub(crate) async fn account(
    app: &TestApp,
    email: &str,
    role: Role,
    as_ann: bool,
) -> anyhow::Result<()> {
    let author_id = if as_ann {
        app.t.db.list_authors().await?.into_iter().find(|a| a.slug == "ann-lee").map(|a| a.id)
    } else {
        None
    };
    let new = NewAccount {
        email: email.into(),
        name: format!("Desk {role}"),
        role,
        author_id,
        password: PASSWORD.into(),
    };
    app.app.newsroom.add_user(&Actor::operator("test"), new, &Default::default()).await?;
    Ok(())
}

/// The editor form of `path` and its CSRF token and version.
pub(crate) async fn open(
    app: &TestApp,
    session: &str,
    path: &str,
) -> anyhow::Result<(String, String, String)> {
    let r = admin_get(app, path, session).await?;
    anyhow::ensure!(r.status() == 200, "{path}: {}", r.status());
    let html = r.text().await?;
    Ok((hidden(&html, "csrf"), hidden(&html, "version"), html))
}

pub(crate) async fn post(
    app: &TestApp,
    session: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> anyhow::Result<reqwest::Response> {
    Ok(app
        .client
        .post(format!("{}{path}", app.base))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("newsdesk_session={session}"))
        .body(serde_urlencoded::to_string(fields)?)
        .send()
        .await?)
}

pub(crate) fn location(r: &reqwest::Response) -> String {
    r.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

fn id_of(location: &str) -> Id {
    location
        .trim_start_matches("/admin/articles/")
        .split('?')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_default()
}

const BODY: &str = "Ministers met on *Tuesday* and **agreed**, [officials said](https://example.org/a).\n\n\
## What comes next\n\n\
> We will be back in a month.\n> — A negotiator\n\n\
- water quotas\n- dams\n\n\
::: timeline How the talks went\n2026-07-01: Talks set.\n2026-07-14: Talks resume.\n:::\n";

db_test!(
    an_editor_writes_previews_publishes_and_corrects_through_the_forms,
    |t: TestDb| async move {
        let app = TestApp::start(t).await?;
        account(&app, "ed@example.org", Role::Editor, true).await?;
        let session = sign_in(&app, "ed@example.org").await?;
        let lead = app.t.db.find_article(app.ids.main).await?.lead.map(|f| f.media_id).unwrap_or(0);
        let world = app.t.db.list_sections().await?.into_iter().find(|s| s.slug == "world");
        let world = world.map(|s| s.id.to_string()).unwrap_or_default();
        let (csrf, version, html) = open(&app, &session, "/admin/articles/new").await?;
        assert_eq!(version, "0");
        assert!(html.contains(">Ann Lee</textarea>"), "bylines start with the user's own name");
        // The editor's scripts are this site's own files: the rich-text
        // editor and the helper that keeps unsaved text.
        let mut scripts = String::new();
        for part in html.split("<script src=\"").skip(1) {
            let url = part.split_once('"').map(|(u, _)| u).unwrap_or_default();
            let r = app.get(url).await?;
            assert_eq!(r.status(), 200, "{url}");
            scripts.push_str(&r.text().await?);
        }
        assert!(scripts.contains("newsdesk:unsaved:") && scripts.contains("body_blocks"));
        let lead_s = lead.to_string();
        let figure =
            format!("{BODY}\n::: figure {lead}\nalt: Delegates at a table\ncredit: Pool\n:::\n");
        let fields = vec![
            ("csrf", csrf.as_str()),
            ("version", "0"),
            ("headline", "Dams deal reached after all-night talks"),
            ("dek", "Both sides claim victory."),
            ("section", world.as_str()),
            ("tags", "Water, diplomacy"),
            ("bylines", "Ann Lee\nMeridian Press Agency"),
            ("lead_media", lead_s.as_str()),
            ("lead_alt", "Delegates at a long table"),
            ("lead_credit", "Jane Roe / Pool"),
            ("body", figure.as_str()),
            (
                "sources",
                "Arland ministry | official | https://example.org/m | the quotas\nA delegate | anonymous |  | the night's mood",
            ),
            ("do", "save"),
        ];
        let r = post(&app, &session, "/admin/articles/new", &fields).await?;
        let (status, loc) = (r.status(), location(&r));
        let html = r.text().await?;
        let problems: String =
            html.split_once("role=\"alert\"").map_or("", |(_, p)| p).chars().take(800).collect();
        assert_eq!(status, 303, "{problems}");
        let id = id_of(&loc);
        let (a, v) = app.t.db.find_article_versioned(id).await?;
        assert_eq!((a.status, v), (ArticleStatus::Draft, 1));
        assert_eq!(a.slug, "dams-deal-reached-after-all-night-talks", "made from the headline");
        assert_eq!(a.bylines.len(), 2);
        assert_eq!(a.sources.len(), 2);
        assert_eq!(a.tags.len(), 2, "tags by name or slug");
        assert!(matches!(a.body[1], Block::Subhead { .. }));
        assert!(a.body.iter().any(|b| matches!(b, Block::Timeline { .. })));
        assert!(a.body.iter().any(|b| matches!(b, Block::Figure(_))));

        // The editor shows it back, with the checklist clear; the preview uses
        // the public theme and is never cached.
        let (csrf, version, html) = open(&app, &session, &format!("/admin/articles/{id}")).await?;
        assert_eq!(version, "1");
        assert!(html.contains("Ready: nothing is missing."), "{html}");
        let r = admin_get(&app, &format!("/admin/articles/{id}/preview"), &session).await?;
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY].to_str()?.to_owned();
        assert!(csp.starts_with("script-src 'self'"), "{csp}");
        assert!(r.text().await?.contains("What comes next"));

        // Saving with no change writes no revision.
        let mut same: Vec<(&str, &str)> = fields
            .iter()
            .filter(|(k, _)| !matches!(*k, "csrf" | "version" | "tags"))
            .cloned()
            .collect();
        same.extend([
            ("csrf", csrf.as_str()),
            ("version", version.as_str()),
            ("tags", "Water, diplomacy"),
        ]);
        let r = post(&app, &session, &format!("/admin/articles/{id}"), &same).await?;
        assert!(location(&r).ends_with("done=unchanged"), "{}", location(&r));
        assert_eq!(app.t.db.list_revisions(id).await?.len(), 1);

        // Publish: the public page has every part.
        let mut publish = same.clone();
        publish.retain(|(k, _)| *k != "do");
        publish.push(("do", "publish"));
        let r = post(&app, &session, &format!("/admin/articles/{id}"), &publish).await?;
        assert!(location(&r).ends_with("done=publish"), "{}", location(&r));
        let a = app.t.db.find_article(id).await?;
        let path = a.path.clone().unwrap_or_default();
        let (status, page) = app.text(&path).await?;
        assert_eq!(status, 200);
        for part in [
            "Dams deal reached",
            "What comes next",
            "A negotiator",
            "How the talks went",
            "Arland ministry",
            "Jane Roe / Pool",
            "officials said",
        ] {
            assert!(page.contains(part), "{part} on the public page");
        }
        // The list and the dashboard show it; the audit log has the publish.
        let list = admin_get(&app, "/admin/articles?status=published&q=dams", &session)
            .await?
            .text()
            .await?;
        assert!(list.contains("Dams deal reached"));
        let dash = admin_get(&app, "/admin", &session).await?.text().await?;
        assert!(dash.contains("Dams deal reached"));
        let log = app.t.db.audit_log(5).await?;
        assert!(
            log.iter()
                .any(|e| e.action == "article_published" && e.subject == format!("article {id}"))
        );

        // A correction: a public note, audited.
        let (csrf, version, _) = open(&app, &session, &format!("/admin/articles/{id}")).await?;
        let mut correct = same.clone();
        correct.retain(|(k, _)| !matches!(*k, "do" | "csrf" | "version"));
        correct.extend([
            ("csrf", csrf.as_str()),
            ("version", version.as_str()),
            ("do", "correct"),
            ("correction", "An earlier version misnamed the river."),
        ]);
        let r = post(&app, &session, &format!("/admin/articles/{id}"), &correct).await?;
        assert!(location(&r).ends_with("done=correct"), "{}", location(&r));
        assert!(app.text(&path).await?.1.contains("misnamed the river"));

        // Take it down: readers get 410.
        let (csrf, version, _) = open(&app, &session, &format!("/admin/articles/{id}")).await?;
        let mut down = same.clone();
        down.retain(|(k, _)| !matches!(*k, "do" | "csrf" | "version"));
        down.extend([("csrf", csrf.as_str()), ("version", version.as_str()), ("do", "unpublish")]);
        let r = post(&app, &session, &format!("/admin/articles/{id}"), &down).await?;
        assert!(location(&r).ends_with("done=unpublish"), "{}", location(&r));
        assert_eq!(app.get(&path).await?.status(), 410);

        // Revisions list every step; restoring the first makes a new one.
        let revs = app.t.db.list_revisions(id).await?;
        let reasons: Vec<&str> = revs.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(reasons, ["unpublish", "correct", "publish", "create"]);
        let page = admin_get(&app, &format!("/admin/articles/{id}/revisions"), &session)
            .await?
            .text()
            .await?;
        assert!(page.contains("Restore version 1"));
        let version = revs[0].version.to_string();
        let r = post(
            &app,
            &session,
            &format!("/admin/articles/{id}/restore"),
            &[("csrf", &hidden(&page, "csrf")), ("revision", "1"), ("version", &version)],
        )
        .await?;
        assert!(location(&r).ends_with("done=restore"), "{}", location(&r));
        assert_eq!(app.t.db.list_revisions(id).await?[0].reason, "restore");
        app.stop().await
    }
);

db_test!(
    a_contributor_writes_and_submits_but_cannot_publish_and_keeps_the_text,
    |t: TestDb| async move {
        let app = TestApp::start(t).await?;
        account(&app, "c@example.org", Role::Contributor, true).await?;
        let session = sign_in(&app, "c@example.org").await?;
        let (csrf, _, html) = open(&app, &session, "/admin/articles/new").await?;
        assert!(!html.contains("value=\"publish\""), "no publish button for a contributor");
        let body = "A first paragraph nobody should lose.";
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("version", "0"),
            ("headline", "Market hours change"),
            ("bylines", "Ann Lee"),
            ("body", body),
            ("do", "submit"),
        ];
        let r = post(&app, &session, "/admin/articles/new", &fields).await?;
        assert_eq!(r.status(), 303);
        let id = id_of(&location(&r));
        assert_eq!(app.t.db.find_article(id).await?.status, ArticleStatus::Review);

        // Posting the publish button anyway: 403, audited, the text kept.
        let (_, version, _) = open(&app, &session, &format!("/admin/articles/{id}")).await?;
        fields.retain(|(k, _)| !matches!(*k, "do" | "version"));
        fields.extend([("version", version.as_str()), ("do", "publish")]);
        let r = post(&app, &session, &format!("/admin/articles/{id}"), &fields).await?;
        assert_eq!(r.status(), 403);
        assert!(r.text().await?.contains(body), "the text comes back");
        assert_eq!(app.t.db.find_article(id).await?.status, ArticleStatus::Review);
        let log = app.t.db.audit_log(3).await?;
        assert_eq!(log[0].action, "forbidden");
        assert_eq!(log[0].subject, format!("article {id}"));

        // Someone else's article by id: refused and audited too.
        let theirs = app.ids.draft;
        for page in ["", "/revisions", "/preview", "/diff?from=1&to=1"] {
            let r = admin_get(&app, &format!("/admin/articles/{theirs}{page}"), &session).await?;
            assert_eq!(r.status(), 403, "{page}: a contributor opens only their own");
        }
        let v = app.t.db.find_article_versioned(theirs).await?.1.to_string();
        fields.retain(|(k, _)| !matches!(*k, "do" | "version"));
        fields.extend([("version", v.as_str()), ("do", "save")]);
        let r = post(&app, &session, &format!("/admin/articles/{theirs}"), &fields).await?;
        assert_eq!(r.status(), 403);
        assert_eq!(app.t.db.audit_log(1).await?[0].subject, format!("article {theirs}"));
        // Not even a made-up version draws their text into a conflict view.
        let secret = app.t.db.find_article(theirs).await?.headlines.display;
        fields.retain(|(k, _)| *k != "version");
        fields.push(("version", "999999"));
        let r = post(&app, &session, &format!("/admin/articles/{theirs}"), &fields).await?;
        assert_eq!(r.status(), 403);
        let html = r.text().await?;
        assert!(!html.contains(&secret) && !html.contains("Saved meanwhile"), "{html}");

        // A tag that does not exist: contributors cannot make one.
        fields.retain(|(k, _)| *k != "do");
        let mut tagged = fields.clone();
        tagged.retain(|(k, _)| *k != "version");
        let (_, v, _) = open(&app, &session, &format!("/admin/articles/{id}")).await?;
        tagged.extend([("version", v.as_str()), ("tags", "Invented"), ("do", "save")]);
        let r = post(&app, &session, &format!("/admin/articles/{id}"), &tagged).await?;
        assert_eq!(r.status(), 422);
        assert!(r.text().await?.contains("No tag is called “Invented”"));
        app.stop().await
    }
);

db_test!(
    two_editors_merge_different_paragraphs_and_see_a_conflict_on_the_same,
    |t: TestDb| async move {
        let app = TestApp::start(t).await?;
        account(&app, "a@example.org", Role::Editor, false).await?;
        account(&app, "b@example.org", Role::Editor, false).await?;
        let (sa, sb) =
            (sign_in(&app, "a@example.org").await?, sign_in(&app, "b@example.org").await?);
        let (csrf, _, _) = open(&app, &sa, "/admin/articles/new").await?;
        let base = "First paragraph.\n\nSecond paragraph.\n\nThird paragraph.\n";
        let r = post(
            &app,
            &sa,
            "/admin/articles/new",
            &[
                ("csrf", &csrf),
                ("version", "0"),
                ("headline", "Shared story"),
                ("body", base),
                ("do", "save"),
            ],
        )
        .await?;
        let path = format!("/admin/articles/{}", id_of(&location(&r)));
        let id = id_of(&location(&r));

        // Both open version 1.
        let (ca, va, _) = open(&app, &sa, &path).await?;
        let (cb, vb, _) = open(&app, &sb, &path).await?;
        assert_eq!((va.as_str(), vb.as_str()), ("1", "1"));
        let r = post(
            &app,
            &sa,
            &path,
            &[
                ("csrf", &ca),
                ("version", &va),
                ("headline", "Shared story"),
                ("body", "First paragraph, by A.\n\nSecond paragraph.\n\nThird paragraph.\n"),
                ("do", "save"),
            ],
        )
        .await?;
        assert!(location(&r).ends_with("done=saved"));
        let r = post(
            &app,
            &sb,
            &path,
            &[
                ("csrf", &cb),
                ("version", &vb),
                ("headline", "Shared story"),
                ("body", "First paragraph.\n\nSecond paragraph.\n\nThird paragraph, by B.\n"),
                ("do", "save"),
            ],
        )
        .await?;
        assert!(location(&r).ends_with("done=merged"), "{}", location(&r));
        // The revision history shows A's change word by word.
        let d = admin_get(&app, &format!("{path}/diff?from=1&to=2"), &sa).await?.text().await?;
        assert!(d.contains("First <del>paragraph.</del><ins>paragraph, by A.</ins>"), "{d}");
        let revs = admin_get(&app, &format!("{path}/revisions"), &sa).await?.text().await?;
        assert!(revs.contains(&format!("{path}/diff?from=1&amp;to=2")), "{revs}");
        let body = app.t.db.find_article(id).await?.body;
        assert_eq!(
            body,
            vec![
                Block::paragraph("First paragraph, by A."),
                Block::paragraph("Second paragraph."),
                Block::paragraph("Third paragraph, by B.")
            ]
        );

        // Now both change the second paragraph.
        let (ca, va, _) = open(&app, &sa, &path).await?;
        let (cb, vb, _) = open(&app, &sb, &path).await?;
        let a_text = "First paragraph, by A.\n\nSecond, as A sees it.\n\nThird paragraph, by B.\n";
        let b_text = "First paragraph, by A.\n\nSecond, as B sees it.\n\nThird paragraph, by B.\n";
        post(
            &app,
            &sa,
            &path,
            &[
                ("csrf", &ca),
                ("version", &va),
                ("headline", "Shared story, retitled by A"),
                ("body", a_text),
                ("do", "save"),
            ],
        )
        .await?;
        let r = post(
            &app,
            &sb,
            &path,
            &[
                ("csrf", &cb),
                ("version", &vb),
                ("headline", "Shared story"),
                ("body", b_text),
                ("do", "save"),
            ],
        )
        .await?;
        assert_eq!(r.status(), 409);
        let html = r.text().await?;
        assert!(html.contains("Second, as B sees it."), "B's text stays in the form");
        assert!(html.contains("<h3>Body, block 2</h3>"), "only the clash is shown");
        assert!(html.contains("as <del>B </del><ins>A </ins>sees"), "A's words beside B's");
        let stored = app.t.db.find_article(id).await?.body;
        assert_eq!(stored[1], Block::paragraph("Second, as A sees it."), "nothing was overwritten");
        // B's form holds A's new headline (no clash) and B's paragraph, at
        // the current version: saving it again undoes nothing of A's.
        let v = hidden(&html, "version");
        let headline = hidden(&html, "headline");
        assert_eq!(headline, "Shared story, retitled by A");
        let r = post(
            &app,
            &sb,
            &path,
            &[
                ("csrf", &cb),
                ("version", &v),
                ("headline", &headline),
                ("body", b_text),
                ("do", "save"),
            ],
        )
        .await?;
        assert!(location(&r).ends_with("done=saved"));
        assert_eq!(
            app.t.db.find_article(id).await?.headlines.display,
            "Shared story, retitled by A"
        );

        // Both retitle it; B also writes a headline for search engines,
        // which A left alone. The clash view shows the headline only.
        let (ca, va, _) = open(&app, &sa, &path).await?;
        let (cb, vb, _) = open(&app, &sb, &path).await?;
        let a = [
            ("csrf", ca.as_str()),
            ("version", va.as_str()),
            ("headline", "Retitled again by A"),
            ("body", b_text),
            ("do", "save"),
        ];
        assert!(location(&post(&app, &sa, &path, &a).await?).ends_with("done=saved"));
        let b = [
            ("csrf", cb.as_str()),
            ("version", vb.as_str()),
            ("headline", "Retitled by B"),
            ("headline_seo", "Words from B for search"),
            ("body", b_text),
            ("do", "save"),
        ];
        let r = post(&app, &sb, &path, &b).await?;
        assert_eq!(r.status(), 409);
        let html = r.text().await?;
        assert!(html.contains("<h3>Headline</h3>"), "{html}");
        assert!(!html.contains("<h3>Headline for search</h3>"), "no clash there");
        assert_eq!(hidden(&html, "headline_seo"), "Words from B for search");
        assert_eq!(
            app.t.db.find_article(id).await?.body[1],
            Block::paragraph("Second, as B sees it.")
        );
        app.stop().await
    }
);

db_test!(refused_saves_give_the_text_back, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    account(&app, "ed@example.org", Role::Editor, true).await?;
    let session = sign_in(&app, "ed@example.org").await?;
    let (csrf, _, _) = open(&app, &session, "/admin/articles/new").await?;
    let before = app.t.db.count_articles().await?;
    let words = "Words typed on deadline.";
    // Publishing what is not ready: every missing part named, nothing lost.
    let r = post(
        &app,
        &session,
        "/admin/articles/new",
        &[
            ("csrf", &csrf),
            ("version", "0"),
            ("headline", "Half done"),
            ("body", words),
            ("do", "publish"),
        ],
    )
    .await?;
    assert_eq!(r.status(), 422);
    let html = r.text().await?;
    assert!(html.contains(words));
    assert!(
        html.contains("Section: ") && html.contains("Bylines: "),
        "named as the form names them: {html}"
    );
    // A broken figure line names the line.
    let r = post(
        &app,
        &session,
        "/admin/articles/new",
        &[
            ("csrf", &csrf),
            ("version", "0"),
            ("headline", "Figure"),
            ("body", "Intro.\n\n::: figure x\n:::"),
            ("do", "save"),
        ],
    )
    .await?;
    assert_eq!(r.status(), 422);
    assert!(r.text().await?.contains("line 3"));
    // A form of an earlier session: refused, the text comes back with a
    // fresh token.
    let r = post(
        &app,
        &session,
        "/admin/articles/new",
        &[
            ("csrf", "stale"),
            ("version", "0"),
            ("headline", "Old form"),
            ("body", words),
            ("do", "save"),
        ],
    )
    .await?;
    assert_eq!(r.status(), 403);
    let html = r.text().await?;
    assert!(html.contains(words) && hidden(&html, "csrf") == csrf);
    // Signed out meanwhile: 401, the text comes back.
    let r = post(
        &app,
        "expired",
        "/admin/articles/new",
        &[
            ("csrf", &csrf),
            ("version", "0"),
            ("headline", "Lost?"),
            ("body", words),
            ("do", "save"),
        ],
    )
    .await?;
    assert_eq!(r.status(), 401);
    assert!(r.text().await?.contains(words));
    // From another site: refused outright.
    let r = app
        .client
        .post(format!("{}/admin/articles/new", app.base))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("newsdesk_session={session}"))
        .header(header::ORIGIN, "https://evil.example")
        .body(serde_urlencoded::to_string([
            ("csrf", csrf.as_str()),
            ("headline", "x"),
            ("do", "save"),
        ])?)
        .send()
        .await?;
    assert_eq!(r.status(), 403);
    assert_eq!(app.t.db.count_articles().await?, before, "nothing was created");
    // Hostile text is only ever text in the editor and the list.
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let r = post(
        &app,
        &session,
        "/admin/articles/new",
        &[
            ("csrf", &csrf),
            ("version", "0"),
            ("headline", hostile),
            ("body", hostile),
            ("do", "save"),
        ],
    )
    .await?;
    let id = id_of(&location(&r));
    for page in [format!("/admin/articles/{id}"), "/admin/articles".into(), "/admin".into()] {
        let html = admin_get(&app, &page, &session).await?.text().await?;
        assert!(!html.contains("<script>alert") && !html.contains("<img src=x"), "{page}");
        assert!(html.contains("&lt;script&gt;"), "{page}");
    }
    app.stop().await
});

db_test!(the_list_filters_and_pages_by_keyset, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    account(&app, "ed@example.org", Role::Editor, false).await?;
    let session = sign_in(&app, "ed@example.org").await?;
    let actor = Actor::operator("test");
    for n in 0..60 {
        let a = newsdesk_core::Article::draft(format!("Bulk draft {n:02}"), chrono::Utc::now());
        app.app.newsroom.create_draft(&actor, a).await?;
    }
    let first =
        admin_get(&app, "/admin/articles?status=draft&q=bulk", &session).await?.text().await?;
    assert_eq!(first.matches("Bulk draft").count(), 50);
    assert!(first.contains("Bulk draft 59") && !first.contains("Bulk draft 09"));
    let older = first
        .split_once("<a href=\"/admin/articles?")
        .and_then(|(_, r)| r.split_once('"'))
        .map(|(q, _)| format!("/admin/articles?{}", q.replace("&amp;", "&")))
        .unwrap_or_default();
    assert!(older.contains("before="), "{older}");
    let second = admin_get(&app, &older, &session).await?.text().await?;
    assert_eq!(second.matches("Bulk draft").count(), 10);
    assert!(second.contains("Bulk draft 00"));
    // Filters: the fixtures' published story by section and text; a LIKE
    // wildcard matches only itself.
    let world = app
        .t
        .db
        .list_sections()
        .await?
        .into_iter()
        .find(|s| s.slug == "world")
        .map(|s| s.id)
        .unwrap_or(0);
    let hit = admin_get(
        &app,
        &format!("/admin/articles?section={world}&status=published&q=geneva"),
        &session,
    )
    .await?
    .text()
    .await?;
    assert!(hit.contains("Talks resume"), "{hit}");
    let none = admin_get(&app, "/admin/articles?q=%25", &session).await?.text().await?;
    assert!(none.contains("No article matches."));
    assert_eq!(admin_get(&app, "/admin/articles?status=nonsense", &session).await?.status(), 400);
    app.stop().await
});
