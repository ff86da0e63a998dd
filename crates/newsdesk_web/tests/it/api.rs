//! The Content and Admin APIs over real HTTP, on both databases: keys and
//! tokens, every endpoint, the permission table through the API, stale
//! writes, pagination while articles are published, hostile and malformed
//! input, rate limits, and webhooks delivered to a receiver written here.

use crate::TestApp;
use crate::desk::account;
use newsdesk_app::Actor;
use newsdesk_core::Role;
use newsdesk_test_support::{TestDb, db_test};
use reqwest::header;
use serde_json::{Value, json};

/// A token for a new account with `role` (writing as Ann Lee when `ann`).
async fn token(
    app: &TestApp,
    email: &str,
    role: Role,
    ann: bool,
    scopes: &str,
) -> anyhow::Result<String> {
    account(app, email, role, ann).await?;
    let user =
        app.t.db.find_user_by_email(email).await?.ok_or_else(|| anyhow::anyhow!("no user"))?;
    let made = app
        .app
        .newsroom
        .create_admin_token(
            &Actor::operator("test"),
            user.id,
            "test",
            scopes,
            None,
            &Default::default(),
        )
        .await?;
    Ok(made.secret)
}

async fn content_key(app: &TestApp) -> anyhow::Result<String> {
    let made = app
        .app
        .newsroom
        .create_content_key(&Actor::operator("test"), "app", &Default::default())
        .await?;
    Ok(made.secret)
}

/// A request to the API: status, headers and JSON body (Null when empty).
async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<&Value>,
) -> anyhow::Result<(u16, reqwest::header::HeaderMap, Value)> {
    let mut r = app.client.request(method, format!("{}{path}", app.base));
    if !key.is_empty() {
        r = r.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    if let Some(b) = body {
        r = r.header(header::CONTENT_TYPE, "application/json").body(b.to_string());
    }
    let res = r.send().await?;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await?;
    let v = if text.is_empty() { Value::Null } else { serde_json::from_str(&text)? };
    Ok((status, headers, v))
}

async fn get(app: &TestApp, path: &str, key: &str) -> anyhow::Result<(u16, Value)> {
    let (s, _, v) = call(app, reqwest::Method::GET, path, key, None).await?;
    Ok((s, v))
}

async fn post(app: &TestApp, path: &str, key: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
    let (s, _, v) = call(app, reqwest::Method::POST, path, key, Some(body)).await?;
    Ok((s, v))
}

async fn put(app: &TestApp, path: &str, key: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
    let (s, _, v) = call(app, reqwest::Method::PUT, path, key, Some(body)).await?;
    Ok((s, v))
}

/// Takes a workflow step with the version the token reads now.
async fn step(app: &TestApp, token: &str, id: i64, name: &str) -> anyhow::Result<(u16, Value)> {
    let (_, v) = get(app, &format!("/api/admin/articles/{id}"), token).await?;
    let version = v["article"]["version"].clone();
    post(app, &format!("/api/admin/articles/{id}/{name}"), token, &json!({ "version": version }))
        .await
}

/// The fields named by an error answer.
fn fields(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn detail(v: &Value) -> String {
    v["errors"][0]["detail"].as_str().unwrap_or_default().to_owned()
}

fn ids(v: &Value, key: &str) -> Vec<i64> {
    v[key]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["id"].as_i64()).collect())
        .unwrap_or_default()
}

async fn section_id(app: &TestApp, slug: &str) -> anyhow::Result<i64> {
    app.t
        .db
        .list_sections()
        .await?
        .into_iter()
        .find(|s| s.slug == slug)
        .map(|s| s.id)
        .ok_or_else(|| anyhow::anyhow!("no section {slug}"))
}

db_test!(the_content_api_reads_published_content_only, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let key = content_key(&app).await?;

    // No key, a wrong key: 401 in the API's envelope.
    let (s, v) = get(&app, "/api/content/articles", "").await?;
    assert_eq!(s, 401);
    assert!(detail(&v).contains("no key"), "{v}");
    let (s, _) = get(&app, "/api/content/articles", "ndc_0000").await?;
    assert_eq!(s, 401);

    // The list: published articles only, newest first, both formats.
    let (s, v) = get(&app, "/api/content/articles", &key).await?;
    assert_eq!(s, 200, "{v}");
    let listed = ids(&v, "articles");
    assert_eq!(listed.len(), 20, "a page of the default size");
    assert_eq!(listed[..2], [app.ids.main, app.ids.earlier]);
    assert!(!listed.contains(&app.ids.draft));
    assert!(v["meta"]["next"].is_string(), "{}", v["meta"]);
    let main = &v["articles"][0];
    assert_eq!(main["path"], app.ids.main_path.as_str());
    assert!(main["url"].as_str().unwrap_or_default().ends_with(&app.ids.main_path));
    assert!(main["body"].is_array() && main["html"].is_string());
    assert!(!main.as_object().is_some_and(|o| o.contains_key("version")), "no workflow fields");
    // Hostile text arrives as text in the blocks and escaped in the HTML.
    let html = main["html"].as_str().unwrap_or_default();
    assert!(!html.contains("<script"), "{html}");
    assert_eq!(main["headlines"]["display"], "Talks resume as <Arland> & Brevia meet in Geneva");
    assert!(main["first_published_at"].as_str().unwrap_or_default().ends_with('Z'));

    // The client chooses the format.
    let (_, v) = get(&app, "/api/content/articles?formats=html", &key).await?;
    assert!(v["articles"][0].get("body").is_none() && v["articles"][0]["html"].is_string());
    let (_, v) = get(&app, "/api/content/articles?formats=blocks", &key).await?;
    assert!(v["articles"][0].get("html").is_none() && v["articles"][0]["body"].is_array());
    let (_, v) = get(&app, "/api/content/articles?formats=both", &key).await?;
    assert!(v["articles"][0]["html"].is_string() && v["articles"][0]["body"].is_array());
    let (s, v) = get(&app, "/api/content/articles?formats=pdf", &key).await?;
    assert_eq!((s, fields(&v)), (400, vec!["formats".to_owned()]));

    // Filters by slug, and a clear answer for an unknown one.
    let (_, v) = get(&app, "/api/content/articles?tag=diplomacy", &key).await?;
    assert_eq!(ids(&v, "articles"), vec![app.ids.main]);
    let (_, v) = get(&app, "/api/content/articles?story=arland-brevia-water-talks", &key).await?;
    assert_eq!(ids(&v, "articles"), vec![app.ids.main, app.ids.earlier]);
    let (_, v) = get(&app, "/api/content/articles?section=world&author=ann-lee", &key).await?;
    assert_eq!(ids(&v, "articles"), vec![app.ids.main, app.ids.earlier]);
    let (_, v) = get(&app, "/api/content/articles?section=sports&author=ann-lee", &key).await?;
    assert_eq!(ids(&v, "articles"), Vec::<i64>::new());
    let (s, v) = get(&app, "/api/content/articles?section=nowhere", &key).await?;
    assert_eq!((s, fields(&v)), (400, vec!["section".to_owned()]));
    let (s, v) = get(&app, "/api/content/articles?colour=red", &key).await?;
    assert_eq!((s, fields(&v)), (400, vec!["colour".to_owned()]));
    let (_, v) =
        get(&app, "/api/content/articles?updated_since=2030-01-01T00:00:00Z", &key).await?;
    assert_eq!(ids(&v, "articles"), Vec::<i64>::new());
    let (s, _) = get(&app, "/api/content/articles?updated_since=yesterday", &key).await?;
    assert_eq!(s, 400);

    // One article, by id and by path; a draft is not there.
    let (s, v) = get(&app, &format!("/api/content/articles/{}", app.ids.main), &key).await?;
    assert_eq!((s, v["article"]["id"].as_i64()), (200, Some(app.ids.main)));
    let (s, _) = get(&app, &format!("/api/content/articles/{}", app.ids.draft), &key).await?;
    assert_eq!(s, 404);
    let (s, _) = get(&app, "/api/content/articles/abc", &key).await?;
    assert_eq!(s, 404);
    let by_path = format!("/api/content/articles/by-path?path={}", app.ids.main_path);
    let (s, v) = get(&app, &by_path, &key).await?;
    assert_eq!((s, v["article"]["id"].as_i64()), (200, Some(app.ids.main)));

    // Taxonomy and search.
    let (_, v) = get(&app, "/api/content/sections", &key).await?;
    assert_eq!(v["sections"][0]["slug"], "world");
    let (_, v) = get(&app, "/api/content/tags", &key).await?;
    assert!(v["tags"].as_array().is_some_and(|a| a.len() == 2), "{v}");
    let (_, v) = get(&app, "/api/content/authors", &key).await?;
    let ann =
        v["authors"].as_array().and_then(|a| a.iter().find(|x| x["slug"] == "ann-lee")).cloned();
    assert!(ann.is_some_and(|a| a["photo"]["url"].is_string()), "{v}");
    let (_, v) = get(&app, "/api/content/stories", &key).await?;
    assert_eq!(v["stories"][0]["slug"], "arland-brevia-water-talks");
    let (s, v) = get(&app, "/api/content/search?q=geneva", &key).await?;
    assert_eq!(s, 200, "{v}");
    assert!(ids(&v, "results").contains(&app.ids.main), "{v}");
    let (s, v) = get(&app, "/api/content/search", &key).await?;
    assert_eq!((s, fields(&v)), (400, vec!["q".to_owned()]));

    // Media: an item a published article shows; an unused one stays private.
    let lead =
        app.t.db.find_article(app.ids.main).await?.lead.map(|f| f.media_id).unwrap_or_default();
    let (s, v) = get(&app, &format!("/api/content/media/{lead}"), &key).await?;
    assert_eq!(s, 200, "{v}");
    assert!(v["media"]["renditions"].is_array());

    // A key may come in the query string; ETag and 304; CORS.
    let r = app.get(&format!("/api/content/articles?key={key}")).await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    let etag = r.headers()[header::ETAG].to_str()?.to_owned();
    let r = app
        .client
        .get(format!("{}/api/content/articles?key={key}", app.base))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await?;
    assert_eq!(r.status(), 304);
    let r = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/api/content/articles", app.base))
        .header(header::ORIGIN, "https://elsewhere.example")
        .header("access-control-request-method", "GET")
        .send()
        .await?;
    assert_eq!(r.status(), 204);
    assert!(r.headers()[header::ACCESS_CONTROL_ALLOW_HEADERS].to_str()?.contains("Authorization"));

    // A content key cannot use the Admin API; an admin token may read.
    let (s, v) = get(&app, "/api/admin/articles", &key).await?;
    assert_eq!(s, 403, "{v}");
    let admin = token(&app, "reader@example.com", Role::Editor, false, "read").await?;
    let (s, _) = get(&app, "/api/content/articles", &admin).await?;
    assert_eq!(s, 200);
    // Never in the address, though.
    let (s, v) = get(&app, &format!("/api/content/articles?key={admin}"), "").await?;
    assert_eq!(s, 401);
    assert!(detail(&v).contains("revoked"), "{v}");
    assert_eq!(
        get(&app, "/api/content/articles", &admin).await?.0,
        401,
        "a leaked token is revoked"
    );
    // The framework's own refusals answer in the envelope too.
    let (s, h, v) =
        call(&app, reqwest::Method::GET, "/api/content/articles/%FF", &key, None).await?;
    assert_eq!((s, h[header::CONTENT_TYPE].to_str()?), (404, "application/json"), "{v}");
    assert!(v["errors"][0]["detail"].is_string());
    let (s, h, _) =
        call(&app, reqwest::Method::DELETE, "/api/content/articles", &key, None).await?;
    assert_eq!((s, h[header::CONTENT_TYPE].to_str()?), (405, "application/json"));

    // Unknown endpoints answer in JSON.
    let (s, v) = get(&app, "/api/content/nothing", &key).await?;
    assert_eq!(s, 404);
    assert!(v["errors"].is_array());

    // A revoked key stops working at once.
    let row = app.t.db.list_api_keys("content", None).await?;
    app.app.newsroom.revoke_key(&Actor::operator("test"), row[0].id, &Default::default()).await?;
    let (s, _) = get(&app, "/api/content/articles", &key).await?;
    assert_eq!(s, 401);
    app.stop().await
});

db_test!(pages_never_skip_or_repeat_while_articles_are_published, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let key = content_key(&app).await?;
    let editor = token(&app, "ed@example.com", Role::Editor, true, "").await?;
    let world = section_id(&app, "world").await?;
    let (_, all) = get(&app, "/api/content/articles?limit=100", &key).await?;
    let at_start = ids(&all, "articles").len();
    // Six more published articles.
    let mut published = Vec::new();
    for i in 0..6 {
        let body = json!({ "article": {
            "headlines": { "display": format!("Story number {i}") },
            "section_id": world, "body_markdown": "Words.",
        }});
        let (s, v) = post(&app, "/api/admin/articles", &editor, &body).await?;
        assert_eq!(s, 201, "{v}");
        let id = v["article"]["id"].as_i64().unwrap_or_default();
        let (s, v) = step(&app, &editor, id, "publish").await?;
        assert_eq!(s, 200, "{v}");
        published.push(id);
    }
    app.settle().await?;
    let (_, all) = get(&app, "/api/content/articles?limit=100", &key).await?;
    let expected = ids(&all, "articles");
    assert_eq!(expected.len(), at_start + 6);
    // Page through three at a time, publishing a new article between pages.
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    for round in 0.. {
        let path = match &next {
            None => "/api/content/articles?limit=3".to_owned(),
            Some(c) => format!("/api/content/articles?limit=3&cursor={c}"),
        };
        let (s, v) = get(&app, &path, &key).await?;
        assert_eq!(s, 200, "{v}");
        seen.extend(ids(&v, "articles"));
        next = v["meta"]["next"].as_str().map(str::to_owned);
        let body = json!({ "article": {
            "headlines": { "display": format!("Breaking {round}") },
            "section_id": world, "body_markdown": "News.",
        }});
        let (_, v) = post(&app, "/api/admin/articles", &editor, &body).await?;
        let id = v["article"]["id"].as_i64().unwrap_or_default();
        let (s, _) = step(&app, &editor, id, "publish").await?;
        assert_eq!(s, 200);
        if next.is_none() {
            break;
        }
    }
    assert_eq!(seen, expected, "every article once, in order, none of the new ones");
    // A cursor that was tampered with is refused, not misread.
    for bad in ["v1.x.1", "abc", "v1.1.2.3"] {
        let (s, v) = get(&app, &format!("/api/content/articles?cursor={bad}"), &key).await?;
        assert_eq!((s, fields(&v)), (400, vec!["cursor".to_owned()]), "{bad}");
    }
    app.stop().await
});

db_test!(
    an_editor_writes_illustrates_publishes_corrects_and_unpublishes_through_the_api,
    |t: TestDb| async move {
        let app = TestApp::start(t).await?;
        let ed = token(&app, "editor@example.com", Role::Editor, true, "").await?;
        let world = section_id(&app, "world").await?;

        let (s, v) = get(&app, "/api/admin/me", &ed).await?;
        assert_eq!((s, v["user"]["role"].as_str()), (200, Some("editor")));

        // Upload a picture as the body of the request.
        let pic = newsdesk_test_support::photos::jpeg(640, 480, 3, &Default::default());
        let r = app
            .client
            .post(format!("{}/api/admin/media?file_name=harbour.jpg", app.base))
            .header(header::AUTHORIZATION, format!("Bearer {ed}"))
            .header(header::CONTENT_TYPE, "image/jpeg")
            .body(pic.clone())
            .send()
            .await?;
        assert_eq!(r.status(), 201);
        let v: Value = serde_json::from_str(&r.text().await?)?;
        let media_id = v["media"]["id"].as_i64().unwrap_or_default();
        assert!(media_id > 0, "{v}");

        // A draft with only a headline is fine; publishing it is not, and every
        // problem is named by its field.
        let (s, v) = post(
            &app,
            "/api/admin/articles",
            &ed,
            &json!({ "article": {
        "headlines": { "display": "Harbour reopens" } } }),
        )
        .await?;
        assert_eq!(s, 201, "{v}");
        let id = v["article"]["id"].as_i64().unwrap_or_default();
        let version = v["article"]["version"].as_i64().unwrap_or_default();
        assert_eq!(v["article"]["status"], "draft");
        assert_eq!(v["article"]["bylines"][0]["name"], "Ann Lee", "the token's author by default");
        let (s, v) = step(&app, &ed, id, "publish").await?;
        assert_eq!(s, 422, "{v}");
        let f = fields(&v);
        assert!(
            f.contains(&"article.section_id".to_owned()) && f.contains(&"article.body".to_owned()),
            "{v}"
        );
        // A step needs the version it acts on.
        let (s, v) =
            post(&app, &format!("/api/admin/articles/{id}/publish"), &ed, &json!({})).await?;
        assert_eq!((s, fields(&v)), (422, vec!["version".to_owned()]));

        // Fill it in, with the picture; a stale version is a conflict.
        let article = json!({ "article": {
            "version": version,
            "headlines": { "display": "Harbour reopens", "seo": "Harbour reopens after storm" },
            "dek": "Ships are back.", "section_id": world,
            "lead": { "media_id": media_id, "alt": "Ships at the quay", "credit": "Staff" },
            "body_markdown": "The harbour reopened on **Monday**.",
        }});
        let (s, v) = put(&app, &format!("/api/admin/articles/{id}"), &ed, &article).await?;
        assert_eq!(s, 200, "{v}");
        let new_version = v["article"]["version"].as_i64().unwrap_or_default();
        assert!(new_version > version);
        let (s, v) = put(&app, &format!("/api/admin/articles/{id}"), &ed, &article).await?;
        assert_eq!(s, 409, "{v}");
        assert_eq!(v["errors"][0]["current_version"].as_i64(), Some(new_version));
        let (_, again) = get(&app, &format!("/api/admin/articles/{id}"), &ed).await?;
        assert_eq!(again["article"]["headlines"]["seo"], "Harbour reopens after storm");
        // Only the fields sent change; the rest stay.
        let (s, v) = put(
            &app,
            &format!("/api/admin/articles/{id}"),
            &ed,
            &json!({ "article": { "version": new_version, "dek": "Ships are back at last." } }),
        )
        .await?;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["article"]["dek"], "Ships are back at last.");
        assert_eq!(v["article"]["body"], again["article"]["body"]);
        assert_eq!(v["article"]["lead"]["media_id"].as_i64(), Some(media_id));
        let new_version = v["article"]["version"].as_i64().unwrap_or_default();

        // Publish; the page is there for readers.
        let (s, v) = post(
            &app,
            &format!("/api/admin/articles/{id}/publish"),
            &ed,
            &json!({ "version": new_version }),
        )
        .await?;
        assert_eq!(s, 200, "{v}");
        let path = v["article"]["path"].as_str().unwrap_or_default().to_owned();
        app.settle().await?;
        let (s, page) = app.text(&path).await?;
        assert_eq!(s, 200);
        assert!(page.contains("Harbour reopens"));

        // Correct, then unpublish: the page is gone (410).
        let (s, v) = post(
            &app,
            &format!("/api/admin/articles/{id}/correct"),
            &ed,
            &json!({ "text": "An earlier version gave the wrong day." }),
        )
        .await?;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["article"]["corrections"].as_array().map(Vec::len), Some(1));
        // Restoring an earlier version brings its words back, never without
        // the corrections readers were shown.
        let current = v["article"]["version"].clone();
        let restore = format!("/api/admin/articles/{id}/revisions/2/restore");
        let (s, v) = post(&app, &restore, &ed, &json!({ "version": current })).await?;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["article"]["corrections"].as_array().map(Vec::len), Some(1), "{v}");
        // A sync client asking for changes since before the restore sees it.
        let key = content_key(&app).await?;
        let since = (chrono::Utc::now() - chrono::Duration::seconds(30)).to_rfc3339();
        let (_, listed) = get(
            &app,
            &format!("/api/content/articles?updated_since={}", since.replace('+', "%2B")),
            &key,
        )
        .await?;
        assert!(ids(&listed, "articles").contains(&id), "an edit is a change: {listed}");
        let (s, _) =
            post(&app, &format!("/api/admin/articles/{id}/correct"), &ed, &json!({})).await?;
        assert_eq!(s, 422);
        let (s, _) =
            post(&app, &format!("/api/admin/articles/{id}/unpublish"), &ed, &json!({})).await?;
        assert_eq!(s, 200);
        app.settle().await?;
        assert_eq!(app.text(&path).await?.0, 410);

        // Schedule needs a time; revisions list every version.
        let (_, now) = get(&app, &format!("/api/admin/articles/{id}"), &ed).await?;
        let version = now["article"]["version"].clone();
        let (s, v) = post(
            &app,
            &format!("/api/admin/articles/{id}/schedule"),
            &ed,
            &json!({ "version": version }),
        )
        .await?;
        assert_eq!((s, fields(&v)), (422, vec!["at".to_owned()]));
        // A schedule in the past is refused, naming the time.
        let later = json!({ "article": { "headlines": { "display": "Later" }, "section_id": world,
            "body_markdown": "Soon." } });
        let (_, v) = post(&app, "/api/admin/articles", &ed, &later).await?;
        let (later, version) =
            (v["article"]["id"].as_i64().unwrap_or_default(), v["article"]["version"].clone());
        let past = json!({ "version": version, "at": "2001-01-01T00:00:00Z" });
        let (s, v) =
            post(&app, &format!("/api/admin/articles/{later}/schedule"), &ed, &past).await?;
        assert_eq!((s, fields(&v)), (422, vec!["at".to_owned()]), "a time in the past: {v}");
        let (s, v) = get(&app, &format!("/api/admin/articles/{id}/revisions"), &ed).await?;
        assert_eq!(s, 200);
        assert!(v["revisions"].as_array().is_some_and(|r| r.len() >= 4), "{v}");

        // Lists: every status for an editor, keyset pages.
        let (_, v) = get(&app, "/api/admin/articles?status=unpublished", &ed).await?;
        assert!(ids(&v, "articles").contains(&id));
        let (_, v) = get(&app, "/api/admin/articles?limit=1", &ed).await?;
        let before = v["meta"]["next"].as_str().unwrap_or_default().to_owned();
        let (s, v2) =
            get(&app, &format!("/api/admin/articles?limit=1&before={before}"), &ed).await?;
        assert_eq!(s, 200, "{v2}");
        let (first, second) = (ids(&v, "articles"), ids(&v2, "articles"));
        assert_eq!((first.len(), second.len()), (1, 1));
        assert!(second[0] < first[0], "the next page is older: {first:?} {second:?}");

        // Taxonomy.
        let (s, v) = post(
            &app,
            "/api/admin/tags",
            &ed,
            &json!({ "tag": { "name": "Ports", "slug": "ports" } }),
        )
        .await?;
        assert_eq!(s, 403, "editors do not manage tags: {v}");

        // Every change is in the audit log, marked as coming through the API.
        let audit = app.t.db.audit_log(200).await?;
        let api: Vec<_> = audit
            .iter()
            .filter(|e| e.detail.starts_with("via API token"))
            .map(|e| e.action.as_str())
            .collect();
        for action in [
            "article_created",
            "article_saved",
            "article_published",
            "article_corrected",
            "article_unpublished",
        ] {
            assert!(api.contains(&action), "{action} in {api:?}");
        }
        // The upload's own entry names the token's user as acting through
        // the API.
        assert!(
            audit.iter().any(|e| e.action == "media_uploaded" && e.actor.ends_with("(API)")),
            "{audit:?}"
        );
        app.stop().await
    }
);

db_test!(the_permission_table_holds_through_the_api, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let world = section_id(&app, "world").await?;
    let contributor = token(&app, "c@example.com", Role::Contributor, false, "").await?;
    let author = token(&app, "a@example.com", Role::Author, false, "").await?;
    let admin = token(&app, "adm@example.com", Role::Administrator, false, "").await?;
    let read_only = token(&app, "ro@example.com", Role::Editor, false, "read").await?;
    let complete = |h: &str| {
        json!({ "article": {
            "headlines": { "display": h }, "section_id": world, "body_markdown": "Text.",
        }})
    };

    // A contributor writes and submits, but cannot publish.
    let (s, v) = post(&app, "/api/admin/articles", &contributor, &complete("Mine")).await?;
    assert_eq!(s, 201, "{v}");
    let mine = v["article"]["id"].as_i64().unwrap_or_default();
    let (s, v) = step(&app, &contributor, mine, "publish").await?;
    assert_eq!(s, 403, "{v}");
    let (s, _) = step(&app, &contributor, mine, "submit").await?;
    assert_eq!(s, 200);
    assert_eq!(app.t.db.find_article(mine).await?.status.as_str(), "review");

    // Someone else's draft is not even there for them.
    let (s, _) = get(&app, &format!("/api/admin/articles/{}", app.ids.draft), &contributor).await?;
    assert_eq!(s, 404);
    let (s, _) = put(
        &app,
        &format!("/api/admin/articles/{}", app.ids.draft),
        &contributor,
        &json!({ "article": { "version": 1, "headlines": { "display": "Taken over" } } }),
    )
    .await?;
    assert_eq!(s, 404);
    let (_, v) = get(&app, "/api/admin/articles", &contributor).await?;
    assert_eq!(ids(&v, "articles"), vec![mine], "a contributor lists their own");

    // An author cannot touch someone else's article…
    let (s, _) = step(&app, &author, mine, "publish").await?;
    assert_eq!(s, 404);
    // …but publishes, corrects and unpublishes their own.
    let (s, v) = post(&app, "/api/admin/articles", &author, &complete("By the author")).await?;
    assert_eq!(s, 201, "{v}");
    let own = v["article"]["id"].as_i64().unwrap_or_default();
    let (s, v) = step(&app, &author, own, "publish").await?;
    assert_eq!(s, 200, "an author publishes their own: {v}");
    let (s, _) = post(
        &app,
        &format!("/api/admin/articles/{own}/correct"),
        &author,
        &json!({ "text": "Fixed." }),
    )
    .await?;
    assert_eq!(s, 200);
    // An editor publishes the contributor's story, corrects and unpublishes it.
    let editor = token(&app, "ed@example.com", Role::Editor, false, "").await?;
    let (s, v) = step(&app, &editor, mine, "publish").await?;
    assert_eq!(s, 200, "{v}");
    let (s, _) = post(
        &app,
        &format!("/api/admin/articles/{mine}/correct"),
        &editor,
        &json!({ "text": "A name was wrong." }),
    )
    .await?;
    assert_eq!(s, 200);
    let (s, _) =
        post(&app, &format!("/api/admin/articles/{mine}/unpublish"), &editor, &json!({})).await?;
    assert_eq!(s, 200);
    let (s, _) =
        post(&app, &format!("/api/admin/articles/{own}/unpublish"), &contributor, &json!({}))
            .await?;
    assert_eq!(s, 404, "not the contributor's to take down");

    // A read-only token reads but writes nothing.
    let (s, _) = get(&app, "/api/admin/articles", &read_only).await?;
    assert_eq!(s, 200);
    let (s, v) = post(&app, "/api/admin/articles", &read_only, &complete("No")).await?;
    assert_eq!(s, 403);
    assert!(detail(&v).contains("articles"), "{v}");

    // Administrators manage taxonomy; a taken slug is a conflict.
    let (s, v) = post(
        &app,
        "/api/admin/tags",
        &admin,
        &json!({ "tag": { "name": "Ports", "slug": "ports" } }),
    )
    .await?;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["tag"]["slug"], "ports");
    let (s, v) = post(
        &app,
        "/api/admin/tags",
        &admin,
        &json!({ "tag": { "name": "Ports", "slug": "ports" } }),
    )
    .await?;
    assert_eq!(s, 409, "{v}");
    let (s, _) = post(&app, "/api/admin/planets", &admin, &json!({})).await?;
    assert_eq!(s, 404);

    // A disabled account's token stops working.
    let user = app
        .t
        .db
        .find_user_by_email("c@example.com")
        .await?
        .ok_or_else(|| anyhow::anyhow!("user"))?;
    app.app
        .newsroom
        .set_user_disabled(&Actor::operator("test"), user.id, true, &Default::default())
        .await?;
    let (s, _) = get(&app, "/api/admin/me", &contributor).await?;
    assert_eq!(s, 401);
    app.stop().await
});

db_test!(malformed_and_hostile_requests_change_nothing, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let ed = token(&app, "e@example.com", Role::Editor, true, "").await?;
    let world = section_id(&app, "world").await?;
    let before = app.t.db.count_articles().await?;
    let raw = |body: String, ct: &'static str| {
        app.client
            .post(format!("{}/api/admin/articles", app.base))
            .header(header::AUTHORIZATION, format!("Bearer {ed}"))
            .header(header::CONTENT_TYPE, ct)
            .body(body)
            .send()
    };
    // Not JSON; not declared as JSON.
    let r = raw("{\"article\": ".into(), "application/json").await?;
    assert_eq!(r.status(), 400);
    let r = raw("headline=x".into(), "application/x-www-form-urlencoded").await?;
    assert_eq!(r.status(), 415);
    // Wrong type and unknown field, each named.
    let (s, v) = post(
        &app,
        "/api/admin/articles",
        &ed,
        &json!({ "article": {
        "headlines": { "display": "x" }, "section_id": "world" } }),
    )
    .await?;
    assert_eq!((s, fields(&v)), (422, vec!["article.section_id".to_owned()]), "{v}");
    let (s, v) = post(
        &app,
        "/api/admin/articles",
        &ed,
        &json!({ "article": {
        "headlines": { "display": "x" }, "status": "published" } }),
    )
    .await?;
    assert_eq!(s, 422);
    assert!(detail(&v).contains("unknown field `status`"), "{v}");
    // Ten megabytes; nesting a thousand deep.
    let r = raw(
        format!("{{\"article\":{{\"dek\":\"{}\"}}}}", "a".repeat(10 << 20)),
        "application/json",
    )
    .await?;
    assert_eq!(r.status(), 413);
    let deep = format!(
        "{{\"article\":{{\"headlines\":{{\"display\":\"x\"}},\"body\":[{{\"type\":\"paragraph\",\"content\":[{}{{\"type\":\"text\",\"text\":\"x\"}}{}]}}]}}}}",
        "{\"type\":\"strong\",\"children\":[".repeat(1000),
        "]}".repeat(1000)
    );
    let r = raw(deep, "application/json").await?;
    assert_eq!(r.status(), 400);
    let v: Value = serde_json::from_str(&r.text().await?)?;
    assert!(detail(&v).contains("recursion limit"), "{v}");
    assert_eq!(app.t.db.count_articles().await?, before, "nothing was stored");

    // Hostile strings are stored as text and never run.
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)><svg onload=alert(3)><iframe srcdoc=x>";
    let (s, v) = post(
        &app,
        "/api/admin/articles",
        &ed,
        &json!({ "article": {
            "headlines": { "display": hostile }, "dek": hostile, "section_id": world,
            "body": [
                { "type": "paragraph", "content": [ { "type": "link", "href": "javascript:alert(3)",
                  "children": [ { "type": "text", "text": hostile } ] } ] }
            ],
        }}),
    )
    .await?;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["article"]["headlines"]["display"], hostile);
    let html = v["article"]["html"].as_str().unwrap_or_default();
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(
        !html.contains("<script") && !html.contains("<img") && !html.contains("href=\"javascript"),
        "{html}"
    );
    let id = v["article"]["id"].as_i64().unwrap_or_default();
    let (s, v) = step(&app, &ed, id, "publish").await?;
    assert_eq!(s, 422, "a javascript: link is refused at publication: {v}");
    assert!(fields(&v).contains(&"article.body[0]".to_owned()), "{v}");
    app.stop().await
});

db_test!(each_key_has_a_budget_per_minute, |t: TestDb| async move {
    let app = TestApp::start_with(t, |c| c.api.content_requests_per_minute = 3).await?;
    let key = content_key(&app).await?;
    for _ in 0..3 {
        assert_eq!(get(&app, "/api/content/sections", &key).await?.0, 200);
    }
    let (s, h, v) = call(&app, reqwest::Method::GET, "/api/content/sections", &key, None).await?;
    assert_eq!(s, 429, "{v}");
    let wait: u64 = h[header::RETRY_AFTER].to_str()?.parse()?;
    assert!((1..=20).contains(&wait), "{wait}");
    // Another key has its own budget.
    let other = content_key(&app).await?;
    assert_eq!(get(&app, "/api/content/sections", &other).await?.0, 200);
    app.stop().await
});

/// What a receiver written for the tests got: headers and body of each
/// request, in order.
#[derive(Default)]
struct Received {
    requests: std::sync::Mutex<Vec<(reqwest::header::HeaderMap, String)>>,
    /// Answer 500 to this many requests first.
    fail_first: std::sync::atomic::AtomicUsize,
}

impl Received {
    fn all(&self) -> Vec<(reqwest::header::HeaderMap, String)> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// A webhook receiver on a loopback port: its URL and what it got.
async fn receiver(fail_first: usize) -> anyhow::Result<(String, std::sync::Arc<Received>)> {
    use axum::extract::State;
    use std::sync::atomic::Ordering;
    let got = std::sync::Arc::new(Received::default());
    got.fail_first.store(fail_first, Ordering::SeqCst);
    async fn take(
        State(got): State<std::sync::Arc<Received>>,
        headers: axum::http::HeaderMap,
        body: String,
    ) -> axum::http::StatusCode {
        let mut h = reqwest::header::HeaderMap::new();
        for (k, v) in &headers {
            if let (Ok(k), Ok(v)) = (
                reqwest::header::HeaderName::from_bytes(k.as_str().as_bytes()),
                reqwest::header::HeaderValue::from_bytes(v.as_bytes()),
            ) {
                h.insert(k, v);
            }
        }
        if let Ok(mut r) = got.requests.lock() {
            r.push((h, body));
        }
        let failing = got.fail_first.load(Ordering::SeqCst);
        if failing > 0 {
            got.fail_first.store(failing - 1, Ordering::SeqCst);
            return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
        }
        axum::http::StatusCode::NO_CONTENT
    }
    let router =
        axum::Router::new().route("/hook", axum::routing::post(take)).with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok((url, got))
}

/// Checks a delivery's signature the way a receiver should: the HMAC of
/// `time.body`, a fresh time.
fn verify(secret: &str, headers: &reqwest::header::HeaderMap, body: &str) -> bool {
    use hmac::{KeyInit, Mac};
    let Some(sig) = headers.get("newsdesk-signature").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut t = None;
    let mut v1 = None;
    for part in sig.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = x.parse::<i64>().ok(),
            Some(("v1", x)) => v1 = Some(x.to_owned()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return false };
    if (chrono::Utc::now().timestamp() - t).abs() > 300 {
        return false;
    }
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(format!("{t}.{body}").as_bytes());
    let want: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    want == v1
}

/// Runs due jobs with a fast backoff until `done` holds (or gives up).
async fn work_until(app: &TestApp, done: impl Fn() -> bool) -> anyhow::Result<()> {
    let worker = newsdesk_app::worker::Worker::new(
        app.app.newsroom.clone(),
        newsdesk_app::jobs::builtin(),
        newsdesk_app::worker::WorkerConfig {
            base_backoff: std::time::Duration::from_millis(20),
            max_backoff: std::time::Duration::from_millis(20),
            ..Default::default()
        },
    );
    for _ in 0..200 {
        worker.drain().await?;
        if done() {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    anyhow::bail!("gave up waiting")
}

db_test!(webhooks_arrive_signed_are_retried_and_logged, |t: TestDb| async move {
    let app = TestApp::start_with(t, |c| c.api.webhooks_allow_private = true).await?;
    let (url, got) = receiver(2).await?;
    let op = Actor::operator("test");
    let events = vec!["article.published".to_owned(), "article.unpublished".to_owned()];
    let hook = app
        .app
        .newsroom
        .create_webhook(&op, "Receiver", &url, &events, &Default::default())
        .await?;
    let ed = token(&app, "ed@example.com", Role::Editor, true, "").await?;
    let world = section_id(&app, "world").await?;

    // A draft tells nobody; publishing does, in its own transaction.
    let (_, v) = post(&app, "/api/admin/articles", &ed, &json!({ "article": {
        "headlines": { "display": "Dam opens" }, "section_id": world, "body_markdown": "Water." } })).await?;
    let id = v["article"]["id"].as_i64().unwrap_or_default();
    assert!(app.t.db.list_deliveries(hook.id, 10).await?.is_empty());
    let (s, _) = step(&app, &ed, id, "publish").await?;
    assert_eq!(s, 200);
    let queued = app.t.db.list_deliveries(hook.id, 10).await?;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].event, "article.published");

    // Two failures, then accepted: three tries of the same delivery.
    work_until(&app, || got.all().len() >= 3).await?;
    let all = got.all();
    assert_eq!(all.len(), 3);
    let secret = app.t.db.webhook(hook.id).await?.secret;
    let ids: Vec<_> = all.iter().map(|(h, _)| h["newsdesk-delivery"].clone()).collect();
    assert!(ids.iter().all(|d| *d == ids[0]), "one delivery id on every try");
    for (h, body) in &all {
        assert!(verify(&secret, h, body), "signed: {h:?}");
        assert!(!verify("whsec_wrong", h, body));
        assert!(
            !verify(&secret, h, &body.replacen("article", "Article", 1)),
            "a changed body fails"
        );
        assert_eq!(h["newsdesk-event"], "article.published");
        let v: Value = serde_json::from_str(body)?;
        assert_eq!(v["data"]["article"]["id"].as_i64(), Some(id));
        assert_eq!(v["event"], "article.published");
    }
    let d = &app.t.db.list_deliveries(hook.id, 10).await?[0];
    assert_eq!((d.attempts, d.status), (3, Some(204)));
    assert!(d.delivered_at.is_some() && d.error.is_empty());

    // An https address is reached with TLS: a receiver that does not speak
    // it fails the handshake (no "scheme not supported").
    let tls = app
        .app
        .newsroom
        .create_webhook(
            &op,
            "TLS",
            &url.replace("http://", "https://"),
            &events,
            &Default::default(),
        )
        .await?;
    app.app.newsroom.send_test_delivery(&op, tls.id, &Default::default()).await?;
    let db = app.t.db.clone();
    work_until(&app, || true).await?;
    let failed = &db.list_deliveries(tls.id, 1).await?[0];
    assert!(failed.attempts >= 1 && failed.delivered_at.is_none(), "{failed:?}");
    let e = failed.error.to_lowercase();
    assert!(
        !e.contains("scheme")
            && (e.contains("tls")
                || e.contains("ssl")
                || e.contains("handshake")
                || e.contains("peer")
                || e.contains("corrupt")),
        "{}",
        failed.error
    );
    app.app.newsroom.delete_webhook(&op, tls.id, &Default::default()).await?;
    let before_tls = got.all().len();

    // The log in the back office; "send test" and "redeliver".
    account(&app, "admin@example.com", Role::Administrator, false).await?;
    let session = crate::admin::sign_in(&app, "admin@example.com").await?;
    let page = crate::admin::admin_get(
        &app,
        &format!("/admin/integrations/webhooks/{}", hook.id),
        &session,
    )
    .await?
    .text()
    .await?;
    assert!(page.contains("article.published") && page.contains("204"), "{page}");
    let csrf = crate::admin::hidden(&page, "csrf");
    let r = crate::desk::post(
        &app,
        &session,
        &format!("/admin/integrations/webhooks/{}", hook.id),
        &[("csrf", &csrf), ("do", "test")],
    )
    .await?;
    assert_eq!(r.status(), 303);
    let r = crate::desk::post(
        &app,
        &session,
        &format!("/admin/integrations/webhooks/{}", hook.id),
        &[("csrf", &csrf), ("do", "redeliver"), ("delivery", &d.id.to_string())],
    )
    .await?;
    assert_eq!(r.status(), 303);
    work_until(&app, || got.all().len() >= before_tls + 2).await?;
    let all: Vec<_> = got.all().split_off(before_tls - 3);
    let events: Vec<_> = all[3..]
        .iter()
        .map(|(h, _)| h["newsdesk-event"].to_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        events.contains(&"ping".to_owned()) && events.contains(&"article.published".to_owned()),
        "{events:?}"
    );
    assert!(
        all[3..].iter().any(|(h, _)| h["newsdesk-delivery"] == ids[0]),
        "a redelivery keeps its id"
    );

    // Unpublishing is told too; a switched-off webhook hears nothing.
    let (s, _) =
        post(&app, &format!("/api/admin/articles/{id}/unpublish"), &ed, &json!({})).await?;
    assert_eq!(s, 200);
    work_until(&app, || got.all().len() >= before_tls + 3).await?;
    assert_eq!(got.all()[before_tls + 2].0["newsdesk-event"], "article.unpublished");
    app.app.newsroom.set_webhook_enabled(&op, hook.id, false, &Default::default()).await?;
    let (s, _) = step(&app, &ed, id, "publish").await?;
    assert_eq!(s, 200);
    // Published, the test, unpublished (the redelivery reused its row).
    assert_eq!(app.t.db.list_deliveries(hook.id, 100).await?.len(), 3, "nothing queued while off");
    app.stop().await
});

db_test!(webhooks_never_reach_internal_addresses_unless_allowed, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let (url, got) = receiver(0).await?;
    let op = Actor::operator("test");
    let events = vec!["article.published".to_owned()];
    let hook =
        app.app.newsroom.create_webhook(&op, "Inside", &url, &events, &Default::default()).await?;
    let localhost = url.replace("127.0.0.1", "localhost");
    let by_name = app
        .app
        .newsroom
        .create_webhook(&op, "By name", &localhost, &events, &Default::default())
        .await?;
    let ed = token(&app, "ed@example.com", Role::Editor, true, "").await?;
    let world = section_id(&app, "world").await?;
    let (_, v) = post(&app, "/api/admin/articles", &ed, &json!({ "article": {
        "headlines": { "display": "Dam opens" }, "section_id": world, "body_markdown": "Water." } })).await?;
    let id = v["article"]["id"].as_i64().unwrap_or_default();
    step(&app, &ed, id, "publish").await?;
    let db = app.t.db.clone();
    let tried = || {
        let db = db.clone();
        async move {
            let a = db.list_deliveries(hook.id, 1).await.ok()?.first()?.attempts;
            let b = db.list_deliveries(by_name.id, 1).await.ok()?.first()?.attempts;
            Some(a > 0 && b > 0)
        }
    };
    for _ in 0..100 {
        app.settle().await.ok();
        if tried().await == Some(true) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    for h in [hook.id, by_name.id] {
        let d = &app.t.db.list_deliveries(h, 1).await?[0];
        assert!(d.error.contains("internal address"), "{}", d.error);
        assert!(d.delivered_at.is_none() && d.status.is_none());
    }
    assert!(got.all().is_empty(), "the receiver heard nothing");
    // Bad addresses are refused when the webhook is made.
    for bad in ["ftp://example.com/", "https://user:pw@example.com/", "not a url"] {
        let e =
            app.app.newsroom.create_webhook(&op, "Bad", bad, &events, &Default::default()).await;
        assert!(e.is_err(), "{bad}");
    }
    app.stop().await
});

db_test!(every_user_makes_and_revokes_tokens_in_the_back_office, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    account(&app, "c@example.com", Role::Contributor, false).await?;
    let session = crate::admin::sign_in(&app, "c@example.com").await?;
    let page = crate::admin::admin_get(&app, "/admin/integrations", &session).await?.text().await?;
    assert!(
        page.contains("Your API tokens") && !page.contains("Add a webhook"),
        "contributors see their tokens only"
    );
    let csrf = crate::admin::hidden(&page, "csrf");
    let r = crate::desk::post(
        &app,
        &session,
        "/admin/integrations/tokens",
        &[("csrf", &csrf), ("name", "My script"), ("scope", "read"), ("expires_days", "30")],
    )
    .await?;
    assert_eq!(r.status(), 201);
    let page = r.text().await?;
    let secret = page
        .split("value=\"nda_")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(|s| format!("nda_{s}"))
        .unwrap_or_default();
    assert_eq!(secret.len(), 68, "the secret is shown once: {page}");
    let (s, v) = get(&app, "/api/admin/me", &secret).await?;
    assert_eq!((s, v["token"]["scopes"][0].as_str()), (200, Some("read")));
    let page = crate::admin::admin_get(&app, "/admin/integrations", &session).await?.text().await?;
    assert!(!page.contains(&secret), "never shown again");
    assert!(page.contains("My script") && page.contains("live until"));
    // Someone else's webhooks and keys are out of reach.
    let r = crate::desk::post(
        &app,
        &session,
        "/admin/integrations/keys",
        &[("csrf", &csrf), ("name", "x")],
    )
    .await?;
    assert_eq!(r.status(), 403);
    // Revoke it from the page.
    let key_id = app.t.db.list_api_keys("admin", None).await?[0].id;
    let r = crate::desk::post(
        &app,
        &session,
        &format!("/admin/integrations/keys/{key_id}/revoke"),
        &[("csrf", &csrf)],
    )
    .await?;
    assert_eq!(r.status(), 303);
    assert_eq!(get(&app, "/api/admin/me", &secret).await?.0, 401);
    // A forged form (no token) changes nothing.
    let r = crate::desk::post(&app, &session, "/admin/integrations/tokens", &[("name", "Forged")])
        .await?;
    assert_eq!(r.status(), 403);
    assert_eq!(app.t.db.list_api_keys("admin", None).await?.len(), 1);

    // An administrator adds a webhook; a bad address is explained.
    account(&app, "adm@example.com", Role::Administrator, false).await?;
    let admin = crate::admin::sign_in(&app, "adm@example.com").await?;
    let page = crate::admin::admin_get(&app, "/admin/integrations", &admin).await?.text().await?;
    let csrf = crate::admin::hidden(&page, "csrf");
    let r = crate::desk::post(
        &app,
        &admin,
        "/admin/integrations/webhooks",
        &[
            ("csrf", &csrf),
            ("name", "CMS"),
            ("url", "javascript:alert(1)"),
            ("event", "article.published"),
        ],
    )
    .await?;
    assert_eq!(r.status(), 422);
    assert!(r.text().await?.contains("http:// or https://"));
    let r = crate::desk::post(
        &app,
        &admin,
        "/admin/integrations/webhooks",
        &[
            ("csrf", &csrf),
            ("name", "CMS <b>"),
            ("url", "https://example.com/hook"),
            ("event", "article.published"),
            ("event", "media.added"),
        ],
    )
    .await?;
    assert_eq!(r.status(), 303);
    let page =
        crate::admin::admin_get(&app, &crate::desk::location(&r), &admin).await?.text().await?;
    assert!(
        page.contains("CMS &lt;b&gt;") && page.contains("whsec_") && page.contains("media.added")
    );
    app.stop().await
});

db_test!(content_answers_are_kept_until_readers_could_see_a_change, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let key = content_key(&app).await?;
    let ed = token(&app, "ed@example.com", Role::Editor, true, "").await?;
    let world = section_id(&app, "world").await?;
    let (_, first) = get(&app, "/api/content/articles?limit=5", &key).await?;
    assert_eq!(app.app.api_cache.len(), 1, "kept");
    // The same answer, whichever key asks and in whatever order the
    // parameters come.
    let other = content_key(&app).await?;
    let (_, again) = get(&app, "/api/content/articles?limit=5", &other).await?;
    assert_eq!(again, first);
    assert_eq!(app.app.api_cache.len(), 1);
    // A draft changes nothing readers see: the answer stays.
    let (_, v) = post(
        &app,
        "/api/admin/articles",
        &ed,
        &json!({ "article": {
        "headlines": { "display": "Fresh news" }, "section_id": world, "body_markdown": "Now." } }),
    )
    .await?;
    let id = v["article"]["id"].as_i64().unwrap_or_default();
    app.settle().await?;
    assert_eq!(app.app.api_cache.len(), 1, "a draft keeps the answers");
    // Publishing drops them: the next list starts with the new article.
    step(&app, &ed, id, "publish").await?;
    app.settle().await?;
    assert_eq!(app.app.api_cache.len(), 0);
    let (_, v) = get(&app, "/api/content/articles?limit=5", &key).await?;
    assert_eq!(ids(&v, "articles")[0], id);
    // Renaming a tag changes every answer that names it.
    let (_, v) = get(&app, "/api/content/articles?tag=water", &key).await?;
    assert_eq!(v["articles"][0]["tags"][0]["name"], "Water");
    let admin = token(&app, "adm@example.com", Role::Administrator, false, "").await?;
    let water = v["articles"][0]["tags"][0]["id"].as_i64().unwrap_or_default();
    let (s, _) = put(
        &app,
        &format!("/api/admin/tags/{water}"),
        &admin,
        &json!({ "tag": { "name": "Fresh water", "slug": "water" } }),
    )
    .await?;
    assert_eq!(s, 200);
    app.settle().await?;
    let (_, v) = get(&app, "/api/content/articles?tag=water", &key).await?;
    assert_eq!(v["articles"][0]["tags"][0]["name"], "Fresh water");
    app.stop().await
});

db_test!(every_field_sent_through_the_api_reaches_readers_as_text, |t: TestDb| async move {
    let app = TestApp::start_with(t, |c| c.api.admin_requests_per_minute = 0).await?;
    let ed = token(&app, "ed@example.com", Role::Administrator, true, "").await?;
    let key = content_key(&app).await?;
    let world = section_id(&app, "world").await?;
    // The back office's corpus, through every field the API takes.
    let corpus = newsdesk_test_support::xss_corpus();
    for (n, x) in corpus.iter().enumerate() {
        if x.contains('\0') {
            // PostgreSQL cannot store NUL: refused with a clear word, on
            // both databases alike.
            let body = json!({ "article": { "headlines": { "display": x } } });
            let (s, v) = post(&app, "/api/admin/articles", &ed, &body).await?;
            assert_eq!(s, 422, "{v}");
            assert!(detail(&v).contains("NUL"), "{v}");
            continue;
        }
        let mut article = json!({
            "headlines": { "display": x, "seo": x, "social": x, "teaser": x },
            "slug": format!("hostile-{n}"), "dek": x, "section_id": world,
            "bylines": [{ "type": "credit", "text": x }],
            "sources": [{ "name": x, "kind": "wire", "url": "https://example.com/", "attributed": x }],
            "body": [
                { "type": "paragraph", "content": [{ "type": "text", "text": x },
                  { "type": "link", "href": "https://example.com/", "children": [{ "type": "text", "text": x }] }] },
                { "type": "subhead", "text": x },
                { "type": "quote", "text": x, "attribution": x },
                { "type": "list", "ordered": false, "items": [[{ "type": "text", "text": x }]] },
            ],
        });
        // Every tenth also names a tag, a story and an author.
        let named = n % 10 == 0;
        if named {
            let (s, v) = post(
                &app,
                "/api/admin/tags",
                &ed,
                &json!({ "tag": { "name": x, "slug": format!("t{n}") } }),
            )
            .await?;
            assert_eq!(s, 201, "{v}");
            article["tags"] = json!([v["tag"]["id"]]);
            let (s, v) = post(
                &app,
                "/api/admin/stories",
                &ed,
                &json!({ "story": { "name": x, "slug": format!("s{n}") } }),
            )
            .await?;
            assert_eq!(s, 201, "{v}");
            article["story_id"] = v["story"]["id"].clone();
            let (s, v) = post(
                &app,
                "/api/admin/authors",
                &ed,
                &json!({ "author": {
                "name": x, "slug": format!("a{n}"), "title": x, "bio": x } }),
            )
            .await?;
            assert_eq!(s, 201, "{v}");
            article["bylines"] = json!([{ "type": "author", "author_id": v["author"]["id"] }, { "type": "credit", "text": x }]);
        }
        let (s, v) = post(&app, "/api/admin/articles", &ed, &json!({ "article": article })).await?;
        assert_eq!(s, 201, "{x}: {v}");
        let id = v["article"]["id"].as_i64().unwrap_or_default();
        let version = v["article"]["version"].clone();
        let (s, v) = post(
            &app,
            &format!("/api/admin/articles/{id}/publish"),
            &ed,
            &json!({ "version": version }),
        )
        .await?;
        assert_eq!(s, 200, "{x}: {v}");
        let path = v["article"]["path"].as_str().unwrap_or_default().to_owned();
        app.settle().await?;
        // Stored as sent; shown as text on the page, in the API's HTML,
        // and on the tag and author pages.
        let (_, v) = get(&app, &format!("/api/content/articles/{id}"), &key).await?;
        assert_eq!(v["article"]["headlines"]["display"].as_str(), Some(x.as_str()));
        let mut outputs = vec![
            app.text(&path).await?.1,
            v["article"]["html"].as_str().unwrap_or_default().to_owned(),
        ];
        if named {
            outputs.push(app.text(&format!("/author/a{n}")).await?.1);
            outputs.push(app.text(&format!("/tag/t{n}")).await?.1);
        }
        for out in outputs {
            if x.contains('<') {
                assert!(!out.contains(x.as_str()), "{x} came through as markup");
            }
            for raw in
                ["href=\"javascript:", "src=\"javascript:", "<script>alert", "<img src=x onerror"]
            {
                assert!(!out.contains(raw), "{raw} came through from {x}");
            }
        }
    }
    app.stop().await
});

db_test!(taxonomy_revisions_and_expiry_through_the_api, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    let admin = token(&app, "adm@example.com", Role::Administrator, true, "").await?;
    // Sections, stories and authors: made, changed, removed; in use, kept.
    let (s, v) = post(
        &app,
        "/api/admin/sections",
        &admin,
        &json!({ "section": { "name": "Science", "slug": "science", "position": 9 } }),
    )
    .await?;
    assert_eq!(s, 201, "{v}");
    let science = v["section"]["id"].as_i64().unwrap_or_default();
    let (s, v) = put(&app, &format!("/api/admin/sections/{science}"), &admin,
        &json!({ "section": { "name": "Science & tech", "slug": "science", "description": "Labs." } })).await?;
    assert_eq!((s, v["section"]["name"].as_str()), (200, Some("Science & tech")), "{v}");
    let key = content_key(&app).await?;
    let (_, v) = get(&app, "/api/content/sections", &key).await?;
    assert!(
        v["sections"].as_array().is_some_and(|a| a.iter().any(|x| x["name"] == "Science & tech")),
        "{v}"
    );
    let world = section_id(&app, "world").await?;
    let (s, _, _) =
        call(&app, reqwest::Method::DELETE, &format!("/api/admin/sections/{world}"), &admin, None)
            .await?;
    assert_eq!(s, 409, "a section in use stays");
    let (s, _, _) = call(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/admin/sections/{science}"),
        &admin,
        None,
    )
    .await?;
    assert_eq!(s, 204);
    let (s, _, _) = call(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/admin/sections/{science}"),
        &admin,
        None,
    )
    .await?;
    assert_eq!(s, 404);
    let (s, v) = post(
        &app,
        "/api/admin/stories",
        &admin,
        &json!({ "story": { "name": "Floods", "slug": "floods" } }),
    )
    .await?;
    assert_eq!(s, 201, "{v}");
    let story = v["story"]["id"].as_i64().unwrap_or_default();
    let (s, _) = put(
        &app,
        &format!("/api/admin/stories/{story}"),
        &admin,
        &json!({ "story": { "name": "Floods of 2026", "slug": "floods" } }),
    )
    .await?;
    assert_eq!(s, 200);
    let (s, v) = post(
        &app,
        "/api/admin/authors",
        &admin,
        &json!({ "author": { "name": "Cy Diaz", "slug": "cy-diaz", "bio": "Reports." } }),
    )
    .await?;
    assert_eq!(s, 201, "{v}");
    let author = v["author"]["id"].as_i64().unwrap_or_default();
    let (s, v) = put(
        &app,
        &format!("/api/admin/authors/{author}"),
        &admin,
        &json!({ "author": { "name": "Cy Díaz", "slug": "cy-diaz", "title": "Reporter" } }),
    )
    .await?;
    assert_eq!((s, v["author"]["title"].as_str()), (200, Some("Reporter")));
    let (s, v) = put(
        &app,
        "/api/admin/authors/999999",
        &admin,
        &json!({ "author": { "name": "Nobody", "slug": "nobody" } }),
    )
    .await?;
    assert_eq!(s, 404, "{v}");

    // A revision reads as it was.
    let (_, v) = post(
        &app,
        "/api/admin/articles",
        &admin,
        &json!({ "article": { "headlines": { "display": "First words" } } }),
    )
    .await?;
    let id = v["article"]["id"].as_i64().unwrap_or_default();
    let (_, v) = put(
        &app,
        &format!("/api/admin/articles/{id}"),
        &admin,
        &json!({ "article": { "version": 1, "headlines": { "display": "Second words" } } }),
    )
    .await?;
    assert_eq!(v["article"]["version"].as_i64(), Some(2));
    let (s, v) = get(&app, &format!("/api/admin/articles/{id}/revisions/1"), &admin).await?;
    assert_eq!((s, v["article"]["headlines"]["display"].as_str()), (200, Some("First words")));
    let (s, _) = get(&app, &format!("/api/admin/articles/{id}/revisions/9"), &admin).await?;
    assert_eq!(s, 404);
    // Restoring it saves its content as a new version, from the current one.
    let restore = format!("/api/admin/articles/{id}/revisions/1/restore");
    let (s, v) = post(&app, &restore, &admin, &json!({ "version": 2 })).await?;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["article"]["headlines"]["display"], "First words");
    assert_eq!(v["article"]["version"].as_i64(), Some(3));
    let (s, v) = post(&app, &restore, &admin, &json!({ "version": 2 })).await?;
    assert_eq!((s, v["errors"][0]["current_version"].as_i64()), (409, Some(3)));

    // An editor sends a submitted story back with a note.
    let writer = token(&app, "w@example.com", Role::Contributor, false, "").await?;
    let (_, v) = post(
        &app,
        "/api/admin/articles",
        &writer,
        &json!({ "article": { "headlines": { "display": "Draft for review" } } }),
    )
    .await?;
    let draft = v["article"]["id"].as_i64().unwrap_or_default();
    assert_eq!(step(&app, &writer, draft, "submit").await?.0, 200);
    let (s, v) = step(&app, &admin, draft, "send_back").await?;
    assert_eq!((s, fields(&v)), (422, vec!["text".to_owned()]), "a note is needed");
    let (_, now) = get(&app, &format!("/api/admin/articles/{draft}"), &admin).await?;
    let back = json!({ "version": now["article"]["version"], "text": "Add a second source." });
    let (s, v) =
        post(&app, &format!("/api/admin/articles/{draft}/send_back"), &admin, &back).await?;
    assert_eq!((s, v["article"]["status"].as_str()), (200, Some("draft")), "{v}");
    let (_, now) = get(&app, &format!("/api/admin/articles/{draft}"), &writer).await?;
    let back = json!({ "version": now["article"]["version"], "text": "Mine is fine." });
    let (s, _) =
        post(&app, &format!("/api/admin/articles/{draft}/send_back"), &writer, &back).await?;
    assert_eq!(s, 403, "a contributor sends nothing back");

    // A picture's texts and focal point, on its version.
    let pic = newsdesk_test_support::photos::jpeg(320, 240, 9, &Default::default());
    let r = app
        .client
        .post(format!("{}/api/admin/media?file_name=dam.jpg", app.base))
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .body(pic)
        .send()
        .await?;
    let v: Value = serde_json::from_str(&r.text().await?)?;
    let media = v["media"]["id"].as_i64().unwrap_or_default();
    let version = v["media"]["version"].as_i64().unwrap_or_default();
    let edit = |version: i64| {
        json!({ "media": { "version": version, "alt": "The dam at dawn",
        "credit": "Staff", "focal_x": 200, "focal_y": 300, "ai_generated": false } })
    };
    let (s, v) = put(&app, &format!("/api/admin/media/{media}"), &admin, &edit(version)).await?;
    assert_eq!((s, v["media"]["alt"].as_str()), (200, Some("The dam at dawn")), "{v}");
    let (s, _) = put(&app, &format!("/api/admin/media/{media}"), &admin, &edit(version)).await?;
    assert_eq!(s, 409, "a stale version");
    // Fields left out keep their values; null empties a text.
    let (s, v) = put(
        &app,
        &format!("/api/admin/media/{media}"),
        &admin,
        &json!({ "media": { "version": version + 1, "credit": "Agency", "rights": null } }),
    )
    .await?;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["media"]["alt"].as_str(), v["media"]["credit"].as_str()),
        (Some("The dam at dawn"), Some("Agency"))
    );
    assert_eq!(
        (v["media"]["focal_x"].as_u64(), v["media"]["focal_y"].as_u64()),
        (Some(200), Some(300))
    );
    let (s, v) = put(
        &app,
        &format!("/api/admin/media/{media}"),
        &admin,
        &json!({ "media": { "version": version + 2, "focal_x": 5000 } }),
    )
    .await?;
    assert_eq!((s, fields(&v)), (422, vec!["media.focal_x".to_owned()]));
    let (s, v) = put(
        &app,
        &format!("/api/admin/media/{media}"),
        &admin,
        &json!({ "media": { "version": version + 1, "alt_text": "x" } }),
    )
    .await?;
    assert_eq!(s, 422);
    assert!(detail(&v).contains("alt_text"), "{v}");

    // A token that expires stops working then.
    let user = app
        .t
        .db
        .find_user_by_email("adm@example.com")
        .await?
        .ok_or_else(|| anyhow::anyhow!("user"))?;
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let short = app
        .app
        .newsroom
        .create_admin_token(
            &Actor::operator("test"),
            user.id,
            "short",
            "",
            Some(soon),
            &Default::default(),
        )
        .await?;
    assert_eq!(get(&app, "/api/admin/me", &short.secret).await?.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let (s, v) = get(&app, "/api/admin/me", &short.secret).await?;
    assert_eq!(s, 401);
    assert!(detail(&v).contains("expired"), "{v}");
    let past = app
        .app
        .newsroom
        .create_admin_token(
            &Actor::operator("test"),
            user.id,
            "past",
            "",
            Some(chrono::Utc::now()),
            &Default::default(),
        )
        .await;
    assert!(past.is_err(), "an expiry in the past is refused");
    app.stop().await
});

db_test!(every_role_gets_through_the_api_what_the_permission_table_says, |t: TestDb| async move {
    use newsdesk_core::{Action, role_may};
    let app = TestApp::start_with(t, |c| c.api.admin_requests_per_minute = 0).await?;
    let world = section_id(&app, "world").await?;
    let boss = token(&app, "boss@example.com", Role::Editor, false, "").await?;
    let article = |h: &str| json!({ "article": { "headlines": { "display": h }, "section_id": world, "body_markdown": "Text." } });
    for (n, role) in Role::ALL.into_iter().enumerate() {
        let me = token(&app, &format!("r{n}@example.com"), role, false, "").await?;
        let (_, who) = get(&app, "/api/admin/me", &me).await?;
        let has_profile = who["user"]["author_id"].is_i64();
        let code = |ok: bool, yes: u16, no: u16| if ok { yes } else { no };

        // Their own article: the token's author is its byline (a credit
        // line for roles that write as no author).
        let mut mine = article(&format!("Own {n}"));
        if !has_profile {
            mine["article"]["bylines"] = json!([{ "type": "credit", "text": "The desk" }]);
        }
        let (s, v) = post(&app, "/api/admin/articles", &me, &mine).await?;
        assert_eq!(s, 201, "{role} creates: {v}");
        let own = v["article"]["id"].as_i64().unwrap_or_default();
        let may_publish_own = role_may(role, Action::PublishArticle, has_profile);
        let (s, v) = step(&app, &me, own, "publish").await?;
        assert_eq!(s, code(may_publish_own, 200, 403), "{role} publishes their own: {v}");

        // Someone else's published article.
        let mut theirs = article(&format!("Other {n}"));
        theirs["article"]["bylines"] = json!([{ "type": "credit", "text": "The desk" }]);
        let (_, v) = post(&app, "/api/admin/articles", &boss, &theirs).await?;
        let other = v["article"]["id"].as_i64().unwrap_or_default();
        let (s, _) = step(&app, &boss, other, "publish").await?;
        assert_eq!(s, 200);
        let may_open = role_may(role, Action::EditArticle, false);
        let (s, _) = get(&app, &format!("/api/admin/articles/{other}"), &me).await?;
        assert_eq!(s, code(may_open, 200, 404), "{role} opens someone else's");
        let expect =
            |action| if !may_open { 404 } else { code(role_may(role, action, false), 200, 403) };
        let (s, _) = post(
            &app,
            &format!("/api/admin/articles/{other}/correct"),
            &me,
            &json!({ "text": "Fixed." }),
        )
        .await?;
        assert_eq!(s, expect(Action::CorrectArticle), "{role} corrects someone else's");
        let (s, _) =
            post(&app, &format!("/api/admin/articles/{other}/unpublish"), &me, &json!({})).await?;
        assert_eq!(s, expect(Action::UnpublishArticle), "{role} unpublishes someone else's");

        // Taxonomy and media.
        let (s, _) = post(
            &app,
            "/api/admin/tags",
            &me,
            &json!({ "tag": { "name": format!("T{n}"), "slug": format!("t{n}") } }),
        )
        .await?;
        assert_eq!(
            s,
            code(role_may(role, Action::EditTaxonomy, false), 201, 403),
            "{role} adds a tag"
        );
    }
    app.stop().await
});
