//! Two people on one article: presence, holding and taking over (audited),
//! and autosaves that keep typed text on the server without adding
//! revisions, offered back after the tab is gone and dropped by a save.

use crate::TestApp;
use crate::admin::{admin_get, sign_in};
use crate::desk::{account, location, open, post};
use newsdesk_core::Role;
use newsdesk_test_support::{TestDb, db_test};
use reqwest::header;

/// POSTs an editor's autosave (of article `id`, or with `None` of a new
/// one) as the editor's script does; the answer is always JSON.
async fn autosave_to(
    app: &TestApp,
    session: Option<&str>,
    id: Option<i64>,
    fields: &[(&str, &str)],
) -> anyhow::Result<(u16, serde_json::Value)> {
    let which = id.map_or_else(|| "new".to_owned(), |id| id.to_string());
    let mut r = app
        .client
        .post(format!("{}/admin/articles/{which}/autosave", app.base))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields)?);
    if let Some(s) = session {
        r = r.header(header::COOKIE, format!("newsdesk_session={s}"));
    }
    let r = r.send().await?;
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    anyhow::ensure!(ct == "application/json", "{ct}");
    Ok((status, serde_json::from_str(&r.text().await?)?))
}

async fn autosave(
    app: &TestApp,
    session: Option<&str>,
    id: i64,
    fields: &[(&str, &str)],
) -> anyhow::Result<(u16, serde_json::Value)> {
    autosave_to(app, session, Some(id), fields).await
}

db_test!(autosaves_presence_and_take_over_keep_two_editors_informed, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    named(&app, "ana@example.org", "Ana Arroyo").await?;
    named(&app, "ben@example.org", "Ben Brandt").await?;
    account(&app, "cy@example.org", Role::Contributor, false).await?;
    let ana = sign_in(&app, "ana@example.org").await?;
    let ben = sign_in(&app, "ben@example.org").await?;
    let id = app.ids.main;
    let path = format!("/admin/articles/{id}");
    let revisions = app.t.db.list_revisions(id).await?.len();

    // Ana opens it first and holds it; Ben is told, with a way to take over.
    let (ana_csrf, version, html) = open(&app, &ana, &path).await?;
    assert!(html.contains(&format!("data-autosave=\"/admin/articles/{id}/autosave\"")));
    assert!(!html.contains("Take it over"));
    let (ben_csrf, _, html) = open(&app, &ben, &path).await?;
    assert!(html.contains("<strong>Ana Arroyo</strong> is editing this article"), "{html}");
    assert!(html.contains("Take it over"));

    // Ana types: each autosave replaces the last, and none is a revision.
    let mut last = serde_json::Value::Null;
    for n in 1..=5 {
        let headline = format!("Talks resume, draft {n}");
        let fields = [
            ("csrf", ana_csrf.as_str()),
            ("version", version.as_str()),
            ("headline", headline.as_str()),
            ("body", "A paragraph typed but never saved."),
        ];
        let (status, json) = autosave(&app, Some(&ana), id, &fields).await?;
        assert_eq!(status, 200, "{json}");
        last = json;
    }
    assert!(last["saved_at"].as_str().is_some_and(|s| s.ends_with('Z')), "{last}");
    assert_eq!(last["mine"], true);
    assert_eq!(last["holder"], "Ana Arroyo");
    assert_eq!(last["others"], serde_json::json!(["Ben Brandt"]), "Ben has it open: {last}");
    assert_eq!(app.t.db.list_revisions(id).await?.len(), revisions, "autosaves add no revision");

    // Ana's tab is gone; on reopening she is offered the text, and gets
    // it back in the form on the version it was written on.
    let (_, _, html) = open(&app, &ana, &path).await?;
    assert!(html.contains("was autosaved at") && html.contains("?autosave=restore"), "{html}");
    let (_, restored_version, html) = open(&app, &ana, &format!("{path}?autosave=restore")).await?;
    assert!(html.contains("value=\"Talks resume, draft 5\""));
    assert!(html.contains("A paragraph typed but never saved."));
    assert_eq!(restored_version, version);
    assert!(html.contains("data-answered"), "the browser's own copy is not offered on top");
    // Ben's page learns nothing of Ana's unsaved text.
    let (_, _, html) = open(&app, &ben, &path).await?;
    assert!(!html.contains("draft 5") && !html.contains("was autosaved"));

    // Ben takes over: audited; Ana's heartbeat says so.
    let r = post(&app, &ben, &format!("{path}/take-over"), &[("csrf", &ben_csrf)]).await?;
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("{path}?done=taken")));
    let beat = [("csrf", ana_csrf.as_str()), ("beat", "1")];
    let (status, json) = autosave(&app, Some(&ana), id, &beat).await?;
    assert_eq!(status, 200);
    assert_eq!(
        (json["mine"].clone(), json["saved_at"].clone()),
        (false.into(), serde_json::Value::Null)
    );
    assert_eq!(json["holder"], "Ben Brandt");
    let log = app.t.db.audit_log(50).await?;
    assert!(
        log.iter().any(|r| r.action == "article_taken_over"
            && r.subject == format!("article {id}")
            && r.detail == "from Ana Arroyo"
            && r.ip == "127.0.0.1"),
        "{log:?}"
    );

    // Ana saves her restored text: the autosave goes with the save.
    let fields = [
        ("csrf", ana_csrf.as_str()),
        ("version", version.as_str()),
        ("headline", "Talks resume, draft 5"),
        ("do", "save"),
    ];
    let r = send_editor(&app, &ana, &path, &fields).await?;
    assert_eq!(r.status(), 303, "{}", r.text().await?);
    assert_eq!(app.t.db.find_article(id).await?.headlines.display, "Talks resume, draft 5");
    assert!(app.app.newsroom.unsaved(&user(&app, "ana@example.org").await?, id).await?.is_none());
    let (_, _, html) = open(&app, &ana, &path).await?;
    assert!(!html.contains("was autosaved at"));
    // An autosave still on its way when she pressed Save (based on the
    // version before it) does not come back as unsaved text.
    let late =
        [("csrf", ana_csrf.as_str()), ("version", version.as_str()), ("headline", "late copy")];
    let (status, json) = autosave(&app, Some(&ana), id, &late).await?;
    assert_eq!((status, json["saved_at"].clone()), (200, serde_json::Value::Null), "{json}");
    assert!(app.app.newsroom.unsaved(&user(&app, "ana@example.org").await?, id).await?.is_none());

    // A holder whose editor went quiet a minute ago is gone: the next to
    // open it holds it.
    let ben_user = user(&app, "ben@example.org").await?;
    let mut tx = app.t.db.begin().await?;
    tx.mark_present(
        id,
        ben_user.id,
        &ben_user.name,
        chrono::Utc::now() - chrono::Duration::minutes(2),
    )
    .await?;
    tx.commit().await?;
    let (status, json) = autosave(&app, Some(&ana), id, &beat).await?;
    assert_eq!((status, json["mine"].clone()), (200, true.into()), "{json}");

    // Refusals: signed out, forged, not theirs — each said in JSON, none kept.
    let (status, json) = autosave(&app, None, id, &beat).await?;
    assert_eq!(status, 401);
    assert!(json["error"].as_str().is_some_and(|e| e.contains("signed out")));
    let (status, _) =
        autosave(&app, Some(&ana), id, &[("csrf", "forged"), ("headline", "x")]).await?;
    assert_eq!(status, 403);
    assert!(app.app.newsroom.unsaved(&user(&app, "ana@example.org").await?, id).await?.is_none());
    let cy = sign_in(&app, "cy@example.org").await?;
    let (cy_csrf, _, _) = open(&app, &cy, "/admin/articles/new").await?;
    let audited = app.t.db.audit_log(500).await?.len();
    for _ in 0..3 {
        let fields = [("csrf", cy_csrf.as_str()), ("headline", "mine now")];
        let (status, _) = autosave(&app, Some(&cy), id, &fields).await?;
        assert_eq!(status, 403);
    }
    assert_eq!(app.t.db.audit_log(500).await?.len(), audited, "heartbeats are not audited");
    let (status, json) = autosave(&app, Some(&ana), 999_999, &beat).await?;
    assert_eq!(status, 404, "{json}");
    let cy_user = user(&app, "cy@example.org").await?;
    assert!(app.app.newsroom.unsaved(&cy_user, id).await?.is_none());
    assert_eq!(admin_get(&app, &format!("{path}?autosave=restore"), &cy).await?.status(), 403);
    app.stop().await
});

async fn user(app: &TestApp, email: &str) -> anyhow::Result<newsdesk_app::accounts::User> {
    app.app
        .newsroom
        .users()
        .await?
        .into_iter()
        .find(|u| u.email == email)
        .ok_or_else(|| anyhow::anyhow!("no {email}"))
}

/// Sends the editor form at `path` as a browser would, with `over`.
pub(crate) async fn send_editor(
    app: &TestApp,
    session: &str,
    path: &str,
    over: &[(&str, &str)],
) -> anyhow::Result<reqwest::Response> {
    let fields = editor_fields(app, session, path, over).await?;
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    post(app, session, path, &fields).await
}

/// The editor form at `path` as a browser would send it, with `overrides`.
async fn editor_fields(
    app: &TestApp,
    session: &str,
    path: &str,
    overrides: &[(&str, &str)],
) -> anyhow::Result<Vec<(String, String)>> {
    let html = admin_get(app, path, session).await?.text().await?;
    let form = html.split_once("<form class=\"editor\"").map_or("", |(_, f)| f);
    let form = form.split_once("</form>").map_or(form, |(f, _)| f);
    let attr = |tag: &str, name: &str| -> Option<String> {
        let marker = format!(" {name}=\"");
        tag.split_once(&marker).and_then(|(_, r)| r.split_once('"')).map(|(v, _)| unescape(v))
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for part in form.split('<').skip(1) {
        let tag = part.split_once('>').map_or(part, |(t, _)| t);
        let Some(name) = attr(tag, "name") else { continue };
        if tag.starts_with("input ")
            && !tag.contains("type=\"checkbox\"")
            && !tag.contains("disabled")
        {
            out.push((name, attr(tag, "value").unwrap_or_default()));
        } else if tag.starts_with("textarea ") {
            let text = part.split_once('>').map_or("", |(_, t)| t);
            out.push((name, unescape(text)));
        } else if tag.starts_with("select ") {
            let whole = form.split_once(tag).map_or("", |(_, r)| r);
            let options = whole.split_once("</select>").map_or("", |(o, _)| o);
            let chosen = options
                .split("<option")
                .find(|o| o.contains(" selected"))
                .and_then(|o| attr(o, "value"))
                .unwrap_or_default();
            out.push((name, chosen));
        }
    }
    for (k, v) in overrides {
        out.retain(|(name, _)| name != k);
        out.push(((*k).to_owned(), (*v).to_owned()));
    }
    Ok(out)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

/// A new draft made from the fixtures' draft, at `slug`, changed by
/// `change`; its id.
async fn another_draft(
    app: &TestApp,
    slug: &str,
    change: impl FnOnce(&mut newsdesk_core::Article),
) -> anyhow::Result<i64> {
    let mut draft = app.t.db.find_article(app.ids.draft).await?;
    draft.id = 0;
    draft.slug = slug.into();
    change(&mut draft);
    let system = newsdesk_core::Actor::system("test");
    Ok(app.app.newsroom.create_draft(&system, draft).await?.article.id)
}

db_test!(an_editor_sends_a_story_back_to_its_writer_with_a_note, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    account(&app, "writer@example.org", Role::Contributor, true).await?;
    account(&app, "ed@example.org", Role::Editor, false).await?;
    let writer = sign_in(&app, "writer@example.org").await?;
    let ed = sign_in(&app, "ed@example.org").await?;
    // A draft of Ann Lee's: the contributor writes as her.
    let ann = app.t.db.list_authors().await?.into_iter().find(|a| a.slug == "ann-lee");
    let id = another_draft(&app, "quota-figures", |d| {
        d.bylines =
            vec![newsdesk_core::Byline::Author { author_id: ann.map(|a| a.id).unwrap_or_default() }]
    })
    .await?;
    let path = format!("/admin/articles/{id}");
    let r = send_editor(&app, &writer, &path, &[("do", "submit")]).await?;
    assert_eq!(r.status(), 303, "{}", r.text().await?);
    let (_, _, html) = open(&app, &writer, &path).await?;
    assert!(!html.contains("value=\"send_back\""), "a contributor cannot send back");

    // The editor must say what to change; the note is kept on refusal.
    let (_, _, html) = open(&app, &ed, &path).await?;
    assert!(html.contains("value=\"send_back\""));
    let r = send_editor(&app, &ed, &path, &[("do", "send_back"), ("note", "  ")]).await?;
    assert_eq!(r.status(), 422);
    assert!(r.text().await?.contains("the note is empty"));
    let note = "Needs a second source for the quota figure, and <the> minister's full title.";
    let r = send_editor(&app, &ed, &path, &[("do", "send_back"), ("note", note)]).await?;
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("{path}?done=sent_back")));
    let a = app.t.db.find_article(id).await?;
    assert_eq!(a.status, newsdesk_core::ArticleStatus::Draft);
    let latest = app.t.db.list_revisions(id).await?.into_iter().next();
    assert_eq!(latest.map(|r| (r.reason, r.note)), Some(("send_back".into(), note.into())));
    assert!(app.t.db.audit_log(20).await?.iter().any(|r| r.action == "article_sent_back"
        && r.subject == format!("article {id}")
        && r.detail == note));

    // The writer sees who sent it back and why, escaped, until it moves on.
    let (_, _, html) = open(&app, &writer, &path).await?;
    assert!(html.contains("Sent back by Desk editor"), "{html}");
    assert!(html.contains("&lt;the&gt; minister"));
    assert_eq!(
        send_editor(&app, &writer, &path, &[("dek", "Now with two sources.")]).await?.status(),
        303
    );
    let (_, _, html) = open(&app, &writer, &path).await?;
    assert!(html.contains("Sent back by Desk editor"), "a save keeps the note in view");
    assert_eq!(send_editor(&app, &writer, &path, &[("do", "submit")]).await?.status(), 303);
    let (_, _, html) = open(&app, &writer, &path).await?;
    assert!(!html.contains("Sent back by"));

    // A draft cannot be sent back, and a contributor's forged form is
    // refused and audited.
    assert_eq!(
        send_editor(&app, &writer, &path, &[("do", "send_back"), ("note", "bounce")])
            .await?
            .status(),
        403
    );
    assert!(
        app.t
            .db
            .audit_log(20)
            .await?
            .iter()
            .any(|r| r.action == "forbidden" && r.detail.contains("publish this article"))
    );
    let n = app
        .app
        .newsroom
        .send_back(&newsdesk_core::Actor::system("test"), app.ids.main, "why", None)
        .await;
    assert!(matches!(n, Err(newsdesk_app::Error::Refused(_))), "{n:?}");
    app.stop().await
});

/// An editor account with a name of its own.
async fn named(app: &TestApp, email: &str, name: &str) -> anyhow::Result<()> {
    let new = newsdesk_app::accounts::NewAccount {
        email: email.into(),
        name: name.into(),
        role: Role::Editor,
        author_id: None,
        password: crate::admin::PASSWORD.into(),
    };
    app.app
        .newsroom
        .add_user(&newsdesk_core::Actor::operator("test"), new, &Default::default())
        .await?;
    Ok(())
}

db_test!(an_embargo_set_in_the_form_holds_back_publication, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    account(&app, "ed@example.org", Role::Editor, false).await?;
    let ed = sign_in(&app, "ed@example.org").await?;
    let mut copy = app.t.db.find_article(app.ids.main).await?;
    (copy.id, copy.slug, copy.path, copy.first_published_at) = (0, "embargoed".into(), None, None);
    copy.status = newsdesk_core::ArticleStatus::Draft;
    let system = newsdesk_core::Actor::system("test");
    let id = app.app.newsroom.create_draft(&system, copy).await?.article.id;
    let path = format!("/admin/articles/{id}");
    let until = (chrono::Utc::now() + chrono::Duration::days(1)).with_timezone(&app.app.tz());
    let typed = until.format("%Y-%m-%dT%H:%M").to_string();
    let r =
        send_editor(&app, &ed, &path, &[("embargo", typed.as_str()), ("do", "publish")]).await?;
    assert_eq!(r.status(), 422);
    let html = r.text().await?;
    assert!(
        html.contains("under embargo until") && html.contains(&format!("value=\"{typed}\"")),
        "{html}"
    );
    assert_eq!(
        send_editor(&app, &ed, &path, &[("embargo", typed.as_str()), ("do", "save")])
            .await?
            .status(),
        303
    );
    let stored = app.t.db.find_article(id).await?.embargo_until.map(|u| u.timestamp() / 60);
    assert_eq!(stored, Some(until.timestamp() / 60), "typed in the site's time zone");
    let (_, _, html) = open(&app, &ed, &path).await?;
    assert!(html.contains(&format!("id=\"embargo\" name=\"embargo\" value=\"{typed}\"")));
    let r = send_editor(&app, &ed, &path, &[("embargo", "next tuesday"), ("do", "save")]).await?;
    assert_eq!(r.status(), 422);
    assert!(r.text().await?.contains("Embargo — Give a date and a time"));
    app.stop().await
});

db_test!(a_late_or_failed_schedule_is_plain_to_see, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    account(&app, "ed@example.org", Role::Editor, false).await?;
    let ed = sign_in(&app, "ed@example.org").await?;
    let system = newsdesk_core::Actor::system("test");
    let id = another_draft(&app, "harbour-vote", |d| {
        d.headlines.display = "Harbour vote goes ahead".into();
        d.bylines = vec![newsdesk_core::Byline::Credit { text: "Staff".into() }];
        d.body = vec![newsdesk_core::Block::paragraph("The council votes on the harbour.")];
    })
    .await?;
    let when = chrono::Utc::now() + chrono::Duration::hours(1);
    let saved = app.app.newsroom.schedule(&system, id, when, None).await?;
    let row = |html: &str| {
        html.split("<li>").find(|li| li.contains("Harbour vote goes ahead")).map(str::to_owned)
    };
    let html = admin_get(&app, "/admin", &ed).await?.text().await?;
    let listed = row(&html).expect("listed as scheduled");
    assert!(!listed.contains("overdue"), "{listed}");
    assert!(listed.contains("goes live <time") && listed.contains("(Europe/London)"), "{listed}");

    // Its time passes with no worker to publish it (its job failing, say):
    // the dashboard and the list say it is overdue.
    let a = &saved.article;
    let state = newsdesk_db::ArticleState {
        status: a.status,
        first_published_at: a.first_published_at,
        path: a.path.clone(),
        scheduled_at: Some(chrono::Utc::now() - chrono::Duration::minutes(2)),
        updated_at: a.updated_at,
    };
    let mut tx = app.t.db.begin().await?;
    tx.set_article_state(id, &state, saved.version).await?;
    tx.commit().await?;
    let html = admin_get(&app, "/admin", &ed).await?.text().await?;
    let listed = row(&html).expect("still listed as scheduled");
    assert!(listed.contains("overdue: not published yet"), "{listed}");
    let html = admin_get(&app, "/admin/articles?status=scheduled", &ed).await?.text().await?;
    assert!(html.contains("overdue: not published yet"), "{html}");

    // The publication then fails for good: the article is in review and
    // its editor says why.
    let at = app.t.db.find_article(id).await?.scheduled_at.expect("still scheduled");
    let mut w = app.app.newsroom.begin(&system).await?;
    w.schedule_failed(id, at, vec!["publishing failed: disk I/O error".into()]).await?;
    w.commit().await?;
    let (_, _, html) = open(&app, &ed, &format!("/admin/articles/{id}")).await?;
    assert!(html.contains("Its scheduled publication failed"), "{html}");
    assert!(html.contains("publishing failed: disk I/O error"));
    let html = admin_get(&app, "/admin", &ed).await?.text().await?;
    assert!(!html.contains("overdue"), "no longer scheduled");
    Ok(())
});

db_test!(
    the_lead_image_is_checked_on_save_and_shown_with_its_library_texts,
    |t: TestDb| async move {
        let app = TestApp::start(t).await?;
        account(&app, "ed@example.org", Role::Editor, false).await?;
        let ed = sign_in(&app, "ed@example.org").await?;
        let path = format!("/admin/articles/{}", app.ids.draft);
        let before = app.t.db.find_article_versioned(app.ids.draft).await?;

        // A number no picture has: refused at once, not at publication, with
        // the field named as the form names it and the typed text kept.
        let r = send_editor(
            &app,
            &ed,
            &path,
            &[("lead_media", "987654"), ("dek", "A dek typed before the mistake")],
        )
        .await?;
        assert_eq!(r.status(), 422);
        let html = r.text().await?;
        assert!(
            html.contains("Lead image: the lead image is media item 987654, which does not exist."),
            "{html}"
        );
        assert!(html.contains("A dek typed before the mistake"));
        assert_eq!(app.t.db.find_article_versioned(app.ids.draft).await?, before, "nothing saved");

        // A real picture shows beside its fields, with the texts the library
        // has for it; the fields say they replace them.
        let m = app.t.db.find_article(app.ids.main).await?.lead.expect("the fixture has a lead");
        let media = app.t.db.media_by_ids(&[m.media_id]).await?;
        let media = media.first().expect("its picture exists");
        let id = m.media_id.to_string();
        let r = send_editor(&app, &ed, &path, &[("lead_media", &id), ("lead_alt", "")]).await?;
        assert_eq!(r.status(), 303, "{}", r.text().await?);
        let (_, _, html) = open(&app, &ed, &path).await?;
        let preview = html.split_once("id=\"lead-preview\"").map_or("", |(_, p)| p);
        let preview = preview.split_once("</div>").map_or("", |(p, _)| p);
        assert!(preview.contains(&format!("href=\"/admin/media/{id}\"")), "{preview}");
        assert!(preview.contains("<img src=\"/media/"), "{preview}");
        let alt = media.alt.clone().unwrap_or_else(|| "(none)".into());
        assert!(preview.contains(&alt), "{preview}");
        assert!(html.contains("replace the library's texts"));
        Ok(())
    }
);

/// POSTs the new-article autosave as the editor's script does.
async fn autosave_new(
    app: &TestApp,
    session: Option<&str>,
    fields: &[(&str, &str)],
) -> anyhow::Result<(u16, serde_json::Value)> {
    autosave_to(app, session, None, fields).await
}

db_test!(
    a_new_article_is_kept_on_the_server_as_a_draft_seconds_after_typing,
    |t: TestDb| async move {
        let app = TestApp::start(t).await?;
        account(&app, "writer@example.org", Role::Contributor, true).await?;
        let s = sign_in(&app, "writer@example.org").await?;
        let (csrf, version, html) = open(&app, &s, "/admin/articles/new").await?;
        assert_eq!(version, "0");
        assert!(
            html.contains("data-autosave=\"/admin/articles/new/autosave\""),
            "the page autosaves"
        );
        let count =
            || async { anyhow::Ok(app.t.db.desk_articles(&Default::default(), 1000).await?.len()) };
        let before = count().await?;

        // Heartbeats and an untouched form make nothing.
        let (status, j) = autosave_new(&app, Some(&s), &[("csrf", &csrf), ("beat", "1")]).await?;
        assert_eq!((status, j["saved_at"].is_null()), (200, true));
        let blank = [("csrf", csrf.as_str()), ("version", "0"), ("headline", " "), ("body", "")];
        let (status, j) = autosave_new(&app, Some(&s), &blank).await?;
        assert_eq!((status, j.get("id").is_none()), (200, true));
        assert_eq!(count().await?, before);

        // Refusals say why, as JSON, and make nothing.
        let typed = [
            ("csrf", csrf.as_str()),
            ("version", "0"),
            ("headline", "Ferry strike ends after talks"),
            ("body", "Crews return on Monday, the union said."),
            ("bylines", "Ann Lee"),
            ("tags", "Transport, Not-yet-a-tag"),
        ];
        assert_eq!(autosave_new(&app, None, &typed).await?.0, 401);
        let mut forged = typed;
        forged[0].1 = "forged";
        assert_eq!(autosave_new(&app, Some(&s), &forged).await?.0, 403);
        let mut bad = typed.to_vec();
        bad.push(("lead_media", "twelve"));
        let (status, j) = autosave_new(&app, Some(&s), &bad).await?;
        assert_eq!(status, 422);
        assert!(j["error"].as_str().unwrap_or_default().contains("media item's number"), "{j}");
        // A contributor's draft under someone else's name would not be theirs
        // to open: not made.
        let mut not_mine = typed;
        not_mine[4].1 = "Staff reporter";
        let (status, j) = autosave_new(&app, Some(&s), &not_mine).await?;
        assert_eq!(status, 422);
        assert!(j["error"].as_str().unwrap_or_default().contains("your own name"), "{j}");
        assert_eq!(count().await?, before);

        // Typed text becomes a draft of the writer's, with one revision; the
        // whole form, new tag name included, is its autosaved copy.
        let (status, j) = autosave_new(&app, Some(&s), &typed).await?;
        assert_eq!(status, 201, "{j}");
        let id = j["id"].as_i64().expect("the draft's number");
        assert_eq!(j["url"], format!("/admin/articles/{id}"));
        assert_eq!(j["autosave"], format!("/admin/articles/{id}/autosave"));
        assert_eq!((j["version"].as_i64(), j["mine"].as_bool()), (Some(1), Some(true)));
        let a = app.t.db.find_article(id).await?;
        assert_eq!(a.status, newsdesk_core::ArticleStatus::Draft);
        assert_eq!(a.headlines.display, "Ferry strike ends after talks");
        assert_eq!(app.t.db.list_revisions(id).await?.len(), 1);
        assert_eq!(count().await?, before + 1);
        // From another device: in "My drafts", and the tag typed is offered back.
        let elsewhere = sign_in(&app, "writer@example.org").await?;
        let dash = admin_get(&app, "/admin", &elsewhere).await?.text().await?;
        assert!(dash.contains("Ferry strike ends after talks"));
        let (_, _, html) = open(&app, &elsewhere, &format!("/admin/articles/{id}")).await?;
        assert!(html.contains("autosaved at"), "the copy with the new tag is offered");
        let (_, _, html) =
            open(&app, &elsewhere, &format!("/admin/articles/{id}?autosave=restore")).await?;
        assert!(html.contains("Not-yet-a-tag"));

        // Typing on: until someone saves it, the draft itself follows the
        // typing (still version 1, one revision, no copy to offer), so the
        // lists and other devices never show a cut-off first few seconds.
        let more = [
            ("csrf", csrf.as_str()),
            ("version", "1"),
            ("headline", "Ferry strike ends after all-night talks"),
            ("body", "Crews return on Monday, the union said.\n\nThe first sailing is at six."),
            ("bylines", "Ann Lee"),
        ];
        let (status, j) = autosave(&app, Some(&s), id, &more).await?;
        assert_eq!(status, 200, "{j}");
        assert!(j["saved_at"].is_string());
        let clock = j["saved_at_text"].as_str().unwrap_or_default();
        assert!(clock.len() == 8 && clock.as_bytes()[2] == b':', "a 24-hour time of day: {j}");
        let (a, v) = app.t.db.find_article_versioned(id).await?;
        assert_eq!(
            (a.headlines.display.as_str(), v),
            ("Ferry strike ends after all-night talks", 1)
        );
        assert_eq!(a.body.len(), 2);
        let revs = app.t.db.list_revisions(id).await?;
        assert_eq!(revs.iter().map(|r| r.reason.as_str()).collect::<Vec<_>>(), vec!["autosave"]);
        let dash = admin_get(&app, "/admin", &elsewhere).await?.text().await?;
        assert!(dash.contains("Ferry strike ends after all-night talks"));
        let (_, _, html) = open(&app, &elsewhere, &format!("/admin/articles/{id}")).await?;
        assert!(!html.contains("autosaved at"), "nothing to put back: the draft is the text");
        // Save with nothing new since the last autosave is still a save
        // (the press is what the writer asked to keep); from then on it is
        // an article like any other, and autosaves are copies.
        let r = send_editor(&app, &s, &format!("/admin/articles/{id}"), &[]).await?;
        assert_eq!(
            (r.status().as_u16(), location(&r)),
            (303, format!("/admin/articles/{id}?done=saved"))
        );
        let revs = app.t.db.list_revisions(id).await?;
        assert_eq!(
            revs.iter().map(|r| r.reason.as_str()).collect::<Vec<_>>(),
            vec!["save", "autosave"]
        );
        let later = [("csrf", csrf.as_str()), ("version", "2"), ("headline", "Not saved yet")];
        assert_eq!(autosave(&app, Some(&s), id, &later).await?.0, 200);
        let (a, v) = app.t.db.find_article_versioned(id).await?;
        assert_eq!(
            (a.headlines.display.as_str(), v),
            ("Ferry strike ends after all-night talks", 2)
        );
        Ok(())
    }
);

db_test!(
    a_draft_is_deleted_from_its_editor_after_a_question_and_the_audit_keeps_its_headline,
    |t: TestDb| async move {
        let app = TestApp::start(t).await?;
        account(&app, "ed@example.org", Role::Editor, false).await?;
        let ed = sign_in(&app, "ed@example.org").await?;
        let id = another_draft(&app, "notes-to-self", |d| {
            d.headlines.display = "Notes to self".into();
        })
        .await?;
        let path = format!("/admin/articles/{id}");
        let (csrf, version, html) = open(&app, &ed, &path).await?;
        assert!(
            html.contains(&format!("action=\"/admin/articles/{id}/delete\" data-confirm=")),
            "{html}"
        );
        // Published stories have no such button.
        let (_, _, live) = open(&app, &ed, &format!("/admin/articles/{}", app.ids.main)).await?;
        assert!(!live.contains("/delete\""));
        let delete = format!("/admin/articles/{id}/delete");
        // A forged form changes nothing.
        let r = post(&app, &ed, &delete, &[("csrf", "forged"), ("version", &version)]).await?;
        assert_eq!(r.status(), 403);
        assert!(app.t.db.find_article(id).await.is_ok());
        let r = post(&app, &ed, &delete, &[("csrf", &csrf), ("version", &version)]).await?;
        assert_eq!(
            (r.status().as_u16(), location(&r)),
            (303, "/admin/articles?deleted=1".to_owned())
        );
        let gone = admin_get(&app, &path, &ed).await?;
        assert_eq!(gone.status(), 404);
        let gone = gone.text().await?;
        assert!(
            gone.contains(&format!("There is no article No. {id}"))
                && gone.contains("href=\"/admin/articles\""),
            "said in the back office, with the way back: {gone}"
        );
        let list = admin_get(&app, "/admin/articles?deleted=1", &ed).await?.text().await?;
        assert!(list.contains("The draft was deleted."));
        assert!(app.t.db.audit_log(20).await?.iter().any(|r| r.action == "article_deleted"
            && r.subject == format!("article {id}")
            && r.detail == "Notes to self"));
        // A published story cannot be deleted even by a hand-made form.
        let (csrf, version, _) =
            open(&app, &ed, &format!("/admin/articles/{}", app.ids.main)).await?;
        let r = post(
            &app,
            &ed,
            &format!("/admin/articles/{}/delete", app.ids.main),
            &[("csrf", &csrf), ("version", &version)],
        )
        .await?;
        assert_eq!(r.status(), 403);
        assert!(r.text().await?.contains("take a published story down instead"));
        assert!(app.t.db.find_article(app.ids.main).await.is_ok());
        Ok(())
    }
);

db_test!(what_publishing_still_needs_is_shown_beside_each_field, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    account(&app, "ed@example.org", Role::Editor, false).await?;
    let ed = sign_in(&app, "ed@example.org").await?;
    // A new, empty article already lists what publishing needs.
    let (_, _, html) = open(&app, &ed, "/admin/articles/new").await?;
    assert!(html.contains("id=\"check-heading\""), "the checklist is there from the start");
    assert!(html.contains("id=\"section-needs\""), "{html}");
    assert!(!html.contains("aria-invalid"), "nothing is wrong yet: only missing");
    // A refused publish names the step, says nothing was saved, and marks
    // the fields it names, each with its reason beside it.
    let path = format!("/admin/articles/{}", app.ids.draft);
    let r = send_editor(&app, &ed, &path, &[("section", ""), ("bylines", ""), ("do", "publish")])
        .await?;
    assert_eq!(r.status(), 422);
    let html = r.text().await?;
    assert!(html.contains("Not published, and nothing was saved: the article is not ready."));
    let tag = |id: &str| {
        html.split('<')
            .find(|t| t.contains(&format!("id=\"{id}\"")) && !t.starts_with("label"))
            .unwrap_or_default()
            .to_owned()
    };
    for field in ["section", "bylines"] {
        let t = tag(field);
        assert!(t.contains("aria-invalid=\"true\""), "{t}");
        assert!(t.contains(&format!("{field}-needs")), "{t}");
        assert!(
            html.contains(&format!("<small class=\"needs\" id=\"{field}-needs\">To publish: "))
        );
    }
    assert!(!tag("headline").contains("aria-invalid"), "what is fine is not marked");
    // The checklist follows the form as sent, not the stored version.
    let r = send_editor(&app, &ed, &path, &[("section", ""), ("do", "publish")]).await?;
    let html = r.text().await?;
    let checklist = html.split_once("id=\"check-heading\"").map_or("", |(_, c)| c);
    assert!(checklist.contains("no section is chosen"), "{checklist}");
    Ok(())
});
