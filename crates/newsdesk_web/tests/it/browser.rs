//! The back office in a real browser: Debian's Chromium, driven over the
//! WebDriver protocol by `chromedriver` (both installed by `.ci/run`).
//! Without a `chromedriver` these tests say so and pass, except under
//! `CI=true`, where a missing browser fails the run.

use crate::TestApp;
use crate::admin::PASSWORD;
use newsdesk_app::accounts::NewAccount;
use newsdesk_core::{Actor, Block, Inline, Role};
use newsdesk_test_support::TestDb;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One browser session.
struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
}

fn chromedriver() -> Option<&'static str> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

impl Browser {
    /// Starts chromedriver and a headless Chromium, or `None` when the
    /// machine has none (an error under CI).
    async fn start() -> anyhow::Result<Option<Browser>> {
        let Some(bin) = chromedriver() else {
            anyhow::ensure!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but no chromedriver: .ci/run installs chromium-driver"
            );
            eprintln!("no chromedriver here: browser test skipped");
            return Ok(None);
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let driver = Command::new(bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let mut b = Browser {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            http: {
                newsdesk_app::integrations::install_tls();
                reqwest::Client::new()
            },
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = b.call("GET", "/status", None).await.ok();
            if ready.is_some_and(|v| v["ready"] == true) {
                break;
            }
            anyhow::ensure!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,1000"]
            }
        }}});
        let v = b.call("POST", "/session", Some(caps)).await?;
        b.session = v["sessionId"].as_str().unwrap_or_default().to_owned();
        anyhow::ensure!(!b.session.is_empty(), "no session: {v}");
        Ok(Some(b))
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self
                .http
                .post(url)
                .header("content-type", "application/json")
                .body(body.unwrap_or_else(|| json!({})).to_string()),
        };
        let text = req.send().await?.text().await?;
        let v: Value = serde_json::from_str(&text)?;
        if let Some(err) = v["value"]["error"].as_str() {
            anyhow::bail!("webdriver {path}: {err}: {}", v["value"]["message"]);
        }
        Ok(v["value"].clone())
    }

    async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        self.call(method, &format!("/session/{}{path}", self.session), body).await
    }

    async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.cmd("POST", "/url", Some(json!({ "url": url }))).await.map(|_| ())
    }

    async fn url(&self) -> anyhow::Result<String> {
        Ok(self.cmd("GET", "/url", None).await?.as_str().unwrap_or_default().to_owned())
    }

    /// The element matching `css`, waiting up to five seconds for it.
    async fn find(&self, css: &str) -> anyhow::Result<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let found = self
                .cmd("POST", "/element", Some(json!({"using": "css selector", "value": css})))
                .await;
            match found {
                Ok(v) => return Ok(v[ELEMENT].as_str().unwrap_or_default().to_owned()),
                Err(e) if Instant::now() > deadline => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    async fn click(&self, css: &str) -> anyhow::Result<()> {
        let el = self.find(css).await?;
        self.cmd("POST", &format!("/element/{el}/click"), None).await.map(|_| ())
    }

    /// Types `text` into the element (WebDriver key codes allowed).
    async fn type_into(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let el = self.find(css).await?;
        self.cmd("POST", &format!("/element/{el}/value"), Some(json!({ "text": text })))
            .await
            .map(|_| ())
    }

    async fn run(&self, script: &str, args: Value) -> anyhow::Result<Value> {
        self.cmd("POST", "/execute/sync", Some(json!({ "script": script, "args": args }))).await
    }

    /// Waits until the page's address satisfies `ok`.
    async fn wait_url(&self, ok: impl Fn(&str) -> bool) -> anyhow::Result<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let u = self.url().await?;
            if ok(&u) {
                return Ok(u);
            }
            anyhow::ensure!(Instant::now() < deadline, "still at {u}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn sign_in(&self, site: &str, email: &str) -> anyhow::Result<()> {
        self.goto(&format!("{site}/admin/sign-in")).await?;
        self.type_into("#email", email).await?;
        self.type_into("#password", PASSWORD).await?;
        self.click("form button[type=submit]").await?;
        self.wait_url(|u| !u.contains("sign-in")).await?;
        Ok(())
    }

    /// Opens a new tab, closes the current one (as a writer closing it
    /// mid-sentence would) and carries on in the new one.
    async fn close_tab_for_a_new_one(&self) -> anyhow::Result<()> {
        let new = self.cmd("POST", "/window/new", Some(json!({"type": "tab"}))).await?;
        let handle = new["handle"].as_str().unwrap_or_default().to_owned();
        self.cmd("DELETE", "/window", None).await?;
        self.cmd("POST", "/window", Some(json!({ "handle": handle }))).await?;
        Ok(())
    }

    async fn stop(mut self) -> anyhow::Result<()> {
        let _ = self.cmd("DELETE", "", None).await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

async fn site() -> anyhow::Result<TestApp> {
    let t = TestDb::sqlite().await?;
    // Plain http on loopback: the session cookie must not be `Secure`.
    let app = TestApp::start_with(t, |c| c.site.url = Some("http://127.0.0.1".into())).await?;
    let ann = app.t.db.list_authors().await?.into_iter().find(|a| a.slug == "ann-lee");
    let new = NewAccount {
        email: "ed@example.org".into(),
        name: "Eda Editor".into(),
        role: Role::Editor,
        author_id: ann.map(|a| a.id),
        password: PASSWORD.into(),
    };
    app.app.newsroom.add_user(&Actor::operator("test"), new, &Default::default()).await?;
    Ok(app)
}

/// The editor's current body, as the blocks it would send.
async fn blocks(b: &Browser) -> anyhow::Result<Vec<Block>> {
    let v = b.run("return window.newsdeskEditor.toBlocks();", json!([])).await?;
    Ok(serde_json::from_value(v)?)
}

const CTRL: &str = "\u{E009}";
const RELEASE: &str = "\u{E000}";
const ENTER: &str = "\u{E007}";

/// Fills the open dialog's fields in order, then presses Done.
async fn dialog(b: &Browser, values: &[&str]) -> anyhow::Result<()> {
    for (i, v) in values.iter().enumerate() {
        b.type_into(&format!("dialog #pm-field-{i}"), v).await?;
    }
    b.click("dialog button[value=ok]").await
}

#[tokio::test]
async fn an_editor_writes_formats_illustrates_pastes_and_publishes_in_the_browser()
-> anyhow::Result<()> {
    let Some(b) = Browser::start().await? else { return Ok(()) };
    let app = site().await?;
    let lead = app.t.db.find_article(app.ids.main).await?.lead.map_or(0, |f| f.media_id);
    b.sign_in(&app.base, "ed@example.org").await?;
    b.goto(&format!("{}/admin/articles/new", app.base)).await?;
    b.type_into("#headline", "Deal reached after all-night talks").await?;
    b.type_into("#dek", "Both sides claim victory.").await?;
    // Tags: the field suggests existing ones for the one being typed.
    b.type_into("#tags", "Diplomacy, wat").await?;
    let mut offered = Value::Null;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        offered = b
            .run(
                "return [...document.querySelectorAll('#tag-options option')].map(o => o.value);",
                json!([]),
            )
            .await?;
        if offered.as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
    }
    assert_eq!(offered, json!(["Diplomacy, Water"]), "the whole field, the last tag completed");
    b.run("document.getElementById('tags').value = ''; return true;", json!([])).await?;
    b.run(
        "const s = document.getElementById('section'); \
         s.value = [...s.options].find(o => o.text === 'World').value;",
        json!([]),
    )
    .await?;
    b.type_into("#sources", "Arland ministry | official | https://example.org/m | the quotas")
        .await?;
    // Typing: an input rule makes the subhead, Ctrl+B makes strong text.
    b.click(".pm-body").await?;
    b.type_into(".pm-body", &format!("## What was agreed{ENTER}Ministers met ")).await?;
    b.type_into(
        ".pm-body",
        &format!("{CTRL}b{RELEASE}late{CTRL}b{RELEASE} into the night.{ENTER}"),
    )
    .await?;
    // An empty item ends the list.
    b.type_into(".pm-body", &format!("- water quotas{ENTER}dams{ENTER}{ENTER}")).await?;
    // A figure from the library and a timeline, through their dialogs.
    b.click(".pm-toolbar button[data-command=figure]").await?;
    dialog(&b, &[&lead.to_string(), "Delegates at a table", "The closing session.", "Pool"])
        .await?;
    b.click(".pm-toolbar button[data-command=timeline]").await?;
    dialog(&b, &["How the talks went", "2026-07-01: Talks set.\n2026-07-14: Talks resume."])
        .await?;
    // A paste from a word processor: only what the body model holds stays,
    // and nothing in it runs.
    let html = "<meta charset=\"utf-8\"><b style=\"font-weight:normal;\" id=\"docs-internal-guid-1\">\
        <p dir=\"ltr\"><span style=\"font-weight:700\">Bold from Docs</span><span> and </span>\
        <span style=\"font-style:italic\">italic</span><span> with a </span>\
        <a href=\"javascript:window.pwned=1\">bad link</a> and \
        <a href=\"https://example.org/x\">good link</a></p>\
        <table><tr><td>cell text</td></tr></table>\
        <script>window.pwned=2</script><img src=x onerror=\"window.pwned=3\"></b>";
    b.run(
        "const dt = new DataTransfer(); dt.setData('text/html', arguments[0]); \
         dt.setData('text/plain', 'plain'); \
         document.querySelector('.pm-body').dispatchEvent(new ClipboardEvent('paste', \
         {clipboardData: dt, bubbles: true, cancelable: true}));",
        json!([html]),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(b.run("return window.pwned === undefined;", json!([])).await?, json!(true));
    let body = blocks(&b).await?;
    assert_eq!(body[0], Block::Subhead { text: "What was agreed".into() });
    assert_eq!(
        body[1],
        Block::Paragraph {
            content: vec![
                Inline::text("Ministers met "),
                Inline::Strong { children: vec![Inline::text("late")] },
                Inline::text(" into the night."),
            ]
        }
    );
    assert!(matches!(&body[2], Block::List { ordered: false, items } if items.len() == 2));
    assert!(body.iter().any(|x| matches!(x, Block::Figure(f) if f.media_id == lead)), "{body:?}");
    assert!(
        body.iter().any(|x| matches!(x, Block::Timeline { entries, .. } if entries.len() == 2))
    );
    let pasted = body
        .iter()
        .find(|x| {
            let mut s = String::new();
            x.push_plain_text(&mut s);
            s.contains("Bold from Docs")
        })
        .cloned();
    let Some(Block::Paragraph { content }) = pasted else {
        anyhow::bail!("the pasted paragraph is missing: {body:?}");
    };
    assert!(content.contains(&Inline::Strong { children: vec![Inline::text("Bold from Docs")] }));
    assert!(content.contains(&Inline::Emphasis { children: vec![Inline::text("italic")] }));
    assert!(content.contains(&Inline::link("https://example.org/x", "good link")));
    assert!(!format!("{content:?}").contains("javascript"), "{content:?}");
    b.click("button[name=do][value=save]").await?;
    let url = b.wait_url(|u| u.contains("done=saved")).await?;
    let id: i64 = url
        .split("/admin/articles/")
        .nth(1)
        .and_then(|r| r.split('?').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    assert_eq!(app.t.db.find_article(id).await?.body, body, "stored as the editor showed it");
    // Publish from the editor; the public page has every part.
    b.click("button[name=do][value=publish]").await?;
    b.wait_url(|u| u.contains("done=publish")).await?;
    let path = app.t.db.find_article(id).await?.path.unwrap_or_default();
    let (status, page) = app.text(&path).await?;
    assert_eq!(status, 200);
    for part in [
        "What was agreed",
        "<strong>late</strong>",
        "How the talks went",
        "Bold from Docs",
        "Arland ministry",
        "Pool",
    ] {
        assert!(page.contains(part), "{part} on the public page");
    }
    b.stop().await?;
    app.stop().await
}

#[tokio::test]
async fn text_typed_before_a_closed_tab_is_offered_back() -> anyhow::Result<()> {
    let Some(b) = Browser::start().await? else { return Ok(()) };
    let app = site().await?;
    b.sign_in(&app.base, "ed@example.org").await?;
    let editor = format!("{}/admin/articles/{}", app.base, app.ids.draft);
    b.goto(&editor).await?;
    b.click(".pm-body").await?;
    b.run(
        "const v = window.newsdeskEditor.view; \
         v.dispatch(v.state.tr.insertText('An unsaved sentence in progr', 1));",
        json!([]),
    )
    .await?;
    // The tab is closed mid-sentence, without saving.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    b.close_tab_for_a_new_one().await?;
    b.goto(&editor).await?;
    b.click(".restore:not(.kept) button").await?;
    let body = blocks(&b).await?;
    let mut text = String::new();
    body.iter().for_each(|x| x.push_plain_text(&mut text));
    assert!(text.contains("An unsaved sentence in progr"), "{text}");
    // Saved now, the copy is dropped: reopening offers nothing.
    b.click("button[name=do][value=save]").await?;
    b.wait_url(|u| u.contains("done=")).await?;
    let stored = app.t.db.find_article(app.ids.draft).await?;
    let mut saved = String::new();
    stored.body.iter().for_each(|x| x.push_plain_text(&mut saved));
    assert!(saved.contains("An unsaved sentence in progr"));
    b.goto(&editor).await?;
    b.find(".pm-body").await?;
    let offered = b.run("return document.querySelector('.restore') !== null;", json!([])).await?;
    assert_eq!(offered, json!(false));
    b.stop().await?;
    app.stop().await
}

#[tokio::test]
async fn the_server_keeps_what_is_typed_within_seconds() -> anyhow::Result<()> {
    let Some(b) = Browser::start().await? else { return Ok(()) };
    let app = site().await?;
    b.sign_in(&app.base, "ed@example.org").await?;
    let id = app.ids.draft;
    let editor = format!("{}/admin/articles/{id}", app.base);
    b.goto(&editor).await?;
    b.click(".pm-body").await?;
    b.run(
        "const v = window.newsdeskEditor.view; \
         v.dispatch(v.state.tr.insertText('Typed on a laptop that was then lost ', 1));",
        json!([]),
    )
    .await?;
    let user = app.app.newsroom.users().await?.into_iter().find(|u| u.email == "ed@example.org");
    let user = user.ok_or_else(|| anyhow::anyhow!("no editor"))?;
    // At most five seconds later the server has it, and says so.
    let mut kept = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        kept = app.app.newsroom.unsaved(&user, id).await?;
        if kept.is_some() {
            break;
        }
    }
    let (_, fields, _) = kept.ok_or_else(|| anyhow::anyhow!("nothing autosaved within 5 s"))?;
    let body = fields.iter().find(|(k, _)| k == "body_blocks").map(|(_, v)| v.clone());
    assert!(body.is_some_and(|b| b.contains("Typed on a laptop")), "{fields:?}");
    let line =
        b.run("return document.getElementById('autosave-status').textContent;", json!([])).await?;
    assert!(line.as_str().is_some_and(|l| l.starts_with("Autosaved at")), "{line}");
    // Another browser (this one's copy wiped) is offered the server's copy.
    b.run("window.localStorage.clear(); return true;", json!([])).await?;
    b.close_tab_for_a_new_one().await?;
    b.goto(&editor).await?;
    b.click(".kept a.button").await?;
    b.wait_url(|u| u.contains("autosave=restore")).await?;
    let mut text = String::new();
    blocks(&b).await?.iter().for_each(|x| x.push_plain_text(&mut text));
    assert!(text.contains("Typed on a laptop that was then lost"), "{text}");
    b.stop().await?;
    app.stop().await
}

#[tokio::test]
async fn a_new_article_becomes_a_draft_seconds_after_typing_and_is_saved_once() -> anyhow::Result<()>
{
    let Some(b) = Browser::start().await? else { return Ok(()) };
    let app = site().await?;
    b.sign_in(&app.base, "ed@example.org").await?;
    let drafts = || async {
        let all = app.t.db.desk_articles(&Default::default(), 1000).await?;
        anyhow::Ok(
            all.into_iter()
                .filter(|r| r.headline.starts_with("Lighthouse keeper"))
                .collect::<Vec<_>>(),
        )
    };
    b.goto(&format!("{}/admin/articles/new", app.base)).await?;
    b.type_into("#headline", "Lighthouse keeper retires after 40 years").await?;
    b.click(".pm-body").await?;
    b.run(
        "const v = window.newsdeskEditor.view; \
         v.dispatch(v.state.tr.insertText('She climbed the 112 steps every night', 1));",
        json!([]),
    )
    .await?;
    // Within five seconds the server has it as a draft, and the page is
    // that draft's editor.
    let mut made = Vec::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        made = drafts().await?;
        if !made.is_empty() {
            break;
        }
    }
    assert_eq!(made.len(), 1, "kept as one draft within 5 s");
    let id = made[0].id;
    let url = b.wait_url(|u| u.ends_with(&format!("/admin/articles/{id}"))).await?;
    assert!(url.ends_with(&format!("/admin/articles/{id}")), "{url}");
    let action = b
        .run("return document.querySelector('form.editor').getAttribute('action');", json!([]))
        .await?;
    assert_eq!(action, json!(format!("/admin/articles/{id}")));
    let heading = b.run("return document.querySelector('main h1').textContent;", json!([])).await?;
    assert_eq!(heading, json!("Edit article"));
    // Typing on and saving saves that draft; no second one is made.
    b.run(
        "const v = window.newsdeskEditor.view; \
         v.dispatch(v.state.tr.insertText(' for four decades.', v.state.doc.content.size - 1));",
        json!([]),
    )
    .await?;
    b.click("button[name=do][value=save]").await?;
    b.wait_url(|u| u.contains("done=")).await?;
    let made = drafts().await?;
    assert_eq!(made.len(), 1, "saved into the draft autosave made");
    let mut text = String::new();
    app.t.db.find_article(id).await?.body.iter().for_each(|x| x.push_plain_text(&mut text));
    assert!(text.contains("every night for four decades."), "{text}");

    // Pressing Save while the first autosave is still on its way waits for
    // it, and saves the draft it made (its answer is held back 1.5 s here,
    // after the server has made the draft).
    b.goto(&format!("{}/admin/articles/new", app.base)).await?;
    b.run(
        "const f = window.fetch; window.__sent = false; \
         window.fetch = function (u, o) { \
           const p = f(u, o); \
           if (!String(u).endsWith('/new/autosave') || String(o.body).includes('beat=1')) return p; \
           window.__sent = true; \
           return p.then(r => new Promise(done => setTimeout(() => done(r), 1500))); \
         }; return true;",
        json!([]),
    )
    .await?;
    b.type_into("#headline", "Lighthouse keeper's successor named").await?;
    let mut sent = false;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if b.run("return window.__sent;", json!([])).await? == json!(true) {
            sent = true;
            break;
        }
    }
    assert!(sent, "the first autosave went out");
    b.click("button[name=do][value=save]").await?;
    b.wait_url(|u| u.contains("done=")).await?;
    let made: Vec<_> =
        drafts().await?.into_iter().filter(|r| r.headline.contains("successor")).collect();
    assert_eq!(made.len(), 1, "one draft, not two");
    b.stop().await?;
    app.stop().await
}

/// Replaces the text of top-level block `i` (a paragraph) in the editor.
async fn retype(b: &Browser, i: usize, text: &str) -> anyhow::Result<()> {
    b.run(
        "const v = window.newsdeskEditor.view; const doc = v.state.doc; \
         let pos = 0; for (let k = 0; k < arguments[0]; k++) pos += doc.child(k).nodeSize; \
         const node = doc.child(arguments[0]); \
         v.dispatch(v.state.tr.insertText(arguments[1], pos + 1, pos + node.nodeSize - 1));",
        json!([i, text]),
    )
    .await?;
    Ok(())
}

fn plain(blocks: &[Block]) -> Vec<String> {
    blocks
        .iter()
        .map(|x| {
            let mut t = String::new();
            x.push_plain_text(&mut t);
            t.trim().to_owned()
        })
        .collect()
}

#[tokio::test]
async fn two_browsers_on_one_article_merge_or_see_the_conflict_and_lose_nothing()
-> anyhow::Result<()> {
    let Some(one) = Browser::start().await? else { return Ok(()) };
    let Some(two) = Browser::start().await? else { return Ok(()) };
    let app = site().await?;
    let second = NewAccount {
        email: "ed2@example.org".into(),
        name: "Sam Second".into(),
        role: Role::Editor,
        author_id: None,
        password: PASSWORD.into(),
    };
    app.app.newsroom.add_user(&Actor::operator("test"), second, &Default::default()).await?;
    let (mut draft, version) = app.t.db.find_article_versioned(app.ids.draft).await?;
    draft.body =
        (1..=4).map(|n| Block::paragraph(format!("Paragraph {n} as first written."))).collect();
    app.app.newsroom.save(&Actor::system("test"), draft, version).await?;
    let editor = format!("{}/admin/articles/{}", app.base, app.ids.draft);
    one.sign_in(&app.base, "ed@example.org").await?;
    two.sign_in(&app.base, "ed2@example.org").await?;
    one.goto(&editor).await?;
    two.goto(&editor).await?;
    one.find(".pm-body").await?;
    two.find(".pm-body").await?;

    // Different paragraphs: both saves go through, the second merged.
    retype(&one, 0, "Paragraph 1, tightened by the first editor.").await?;
    retype(&two, 2, "Paragraph 3, with a figure checked by the second.").await?;
    one.click("button[name=do][value=save]").await?;
    one.wait_url(|u| u.contains("done=saved")).await?;
    two.click("button[name=do][value=save]").await?;
    two.wait_url(|u| u.contains("done=merged")).await?;
    let stored = plain(&app.t.db.find_article(app.ids.draft).await?.body);
    assert_eq!(stored[0], "Paragraph 1, tightened by the first editor.");
    assert_eq!(stored[2], "Paragraph 3, with a figure checked by the second.");

    // The same paragraph: the second save shows the conflict, keeps the
    // second editor's words in the form, and saving again settles it.
    one.goto(&editor).await?;
    one.find(".pm-body").await?;
    retype(&one, 1, "Paragraph 2 in the first editor's words.").await?;
    retype(&two, 1, "Paragraph 2 in the second editor's words.").await?;
    retype(&two, 3, "Paragraph 4, also changed by the second.").await?;
    one.click("button[name=do][value=save]").await?;
    one.wait_url(|u| u.contains("done=saved")).await?;
    two.click("button[name=do][value=save]").await?;
    two.find(".conflict").await?;
    let shown =
        two.run("return document.querySelector('.conflict').textContent;", json!([])).await?;
    assert!(shown.as_str().is_some_and(|t| t.contains("first editor")), "{shown}");
    let form = plain(&blocks(&two).await?);
    assert_eq!(form[1], "Paragraph 2 in the second editor's words.", "{form:?}");
    assert_eq!(form[3], "Paragraph 4, also changed by the second.");
    assert_eq!(form[0], "Paragraph 1, tightened by the first editor.", "theirs merged in");
    let stored = plain(&app.t.db.find_article(app.ids.draft).await?.body);
    assert_eq!(stored[1], "Paragraph 2 in the first editor's words.", "nothing saved yet");
    two.click("button[name=do][value=save]").await?;
    two.wait_url(|u| u.contains("done=saved")).await?;
    let stored = plain(&app.t.db.find_article(app.ids.draft).await?.body);
    assert_eq!(
        stored,
        vec![
            "Paragraph 1, tightened by the first editor.",
            "Paragraph 2 in the second editor's words.",
            "Paragraph 3, with a figure checked by the second.",
            "Paragraph 4, also changed by the second.",
        ]
    );
    one.stop().await?;
    two.stop().await?;
    app.stop().await
}

/// What no page may hold, whatever its content security policy lets run:
/// handlers, script URLs, foreign scripts, frames.
const DOM_SCAN: &str = r#"
const bad = [];
for (const el of document.querySelectorAll('*')) {
  for (const a of el.attributes) {
    const v = (a.value || '').replace(/[\s\u0000-\u001f]/g, '').toLowerCase();
    if (a.name.startsWith('on')) bad.push(el.tagName + ' ' + a.name);
    if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'srcdoc'].includes(a.name)
        && (v.startsWith('javascript:') || v.startsWith('vbscript:') || v.startsWith('data:text/html') || a.name === 'srcdoc'))
      bad.push(el.tagName + ' ' + a.name + '=' + a.value);
  }
  const tag = el.tagName.toLowerCase();
  if (['iframe', 'object', 'embed', 'frame', 'frameset', 'base', 'math', 'svg', 'template', 'xmp', 'plaintext', 'listing', 'marquee', 'style', 'link'].includes(tag)
      && !(tag === 'link' && el.parentNode === document.head))
    bad.push('element ' + tag);
  if (tag === 'script') {
    const t = el.getAttribute('type') || '';
    const src = el.getAttribute('src') || '';
    if (!(src.startsWith('/assets/') || t === 'application/json' || t === 'application/ld+json')) bad.push('script ' + src + ' ' + t);
  }
  if (tag === 'meta' && el.getAttribute('http-equiv')) bad.push('meta http-equiv');
}
return { bad, ran: window.__xss || null };
"#;

#[tokio::test]
async fn no_hostile_string_runs_or_becomes_markup_on_any_page() -> anyhow::Result<()> {
    let Some(b) = Browser::start().await? else { return Ok(()) };
    let corpus = newsdesk_test_support::xss_corpus();
    assert!(corpus.len() >= 150, "{} vectors", corpus.len());
    let app = site().await?;
    let owner = NewAccount {
        email: "owner@example.org".into(),
        name: "Owen Owner".into(),
        role: Role::Owner,
        author_id: None,
        password: PASSWORD.into(),
    };
    app.app.newsroom.add_user(&Actor::operator("test"), owner, &Default::default()).await?;
    b.sign_in(&app.base, "owner@example.org").await?;
    // The same session over plain HTTP, for the many saves.
    let session = b
        .cmd("GET", "/cookie/newsdesk_session", None)
        .await?
        .get("value")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let form = |path: String, fields: Vec<(String, String)>| {
        let (http, base, session) = (app.client.clone(), app.base.clone(), session.clone());
        async move {
            let r = http
                .post(format!("{base}{path}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", format!("newsdesk_session={session}"))
                .body(serde_urlencoded::to_string(&fields)?)
                .send()
                .await?;
            anyhow::Ok(r)
        }
    };
    let csrf = {
        b.goto(&format!("{}/admin/articles/new", app.base)).await?;
        b.run("return document.querySelector('input[name=csrf]').value;", json!([]))
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let world = app.t.db.list_sections().await?.into_iter().find(|s| s.slug == "world");
    let world = world.map(|s| s.id.to_string()).unwrap_or_default();
    let lead = app.t.db.find_article(app.ids.main).await?.lead.map_or(0, |f| f.media_id);
    // Every vector as a headline, a standfirst, a tag and a credit line
    // (drafts, shown by the list and the dashboard).
    for v in &corpus {
        let fields = vec![
            ("csrf".into(), csrf.clone()),
            ("version".into(), "0".into()),
            ("headline".into(), v.clone()),
            ("dek".into(), v.clone()),
            ("bylines".into(), v.clone()),
            ("do".into(), "save".into()),
        ];
        let r = form("/admin/articles/new".into(), fields).await?;
        assert_eq!(r.status(), 303, "{v}");
    }
    // Every vector in every part of a body, as the plain form's text: a
    // draft (links of every kind) and a published article (text only).
    let one_line = |v: &str| v.replace(['\n', '|'], " ");
    let mut body = String::new();
    let mut sources = String::new();
    for (i, v) in corpus.iter().enumerate() {
        let v = one_line(v);
        body.push_str(&format!(
            "{v} [{v}]({}) **{v}**\n\n## {v}\n\n> {v}\n> — {v}\n\n- {v}\n\n::: figure {lead}\nalt: {v}\ncaption: {v}\ncredit: {v}\n:::\n\n::: timeline {v}\n2026-07-0{}: {v}\n:::\n\n",
            if i % 2 == 0 { "javascript:alert(1)" } else { "https://example.org/a" },
            1 + i % 9,
        ));
        sources.push_str(&format!("{v} | official | https://example.org/s | {v}\n"));
    }
    let article = |headline: &str, body: &str, sources: &str, step: &str| {
        vec![
            ("csrf".to_owned(), csrf.clone()),
            ("version".to_owned(), "0".to_owned()),
            ("headline".to_owned(), headline.to_owned()),
            ("dek".to_owned(), "Every hostile string.".to_owned()),
            ("section".to_owned(), world.clone()),
            ("bylines".to_owned(), "Ann Lee".to_owned()),
            ("lead_media".to_owned(), lead.to_string()),
            ("lead_alt".to_owned(), corpus[0].clone()),
            ("lead_credit".to_owned(), corpus[1].clone()),
            ("lead_caption".to_owned(), corpus[2].clone()),
            ("body".to_owned(), body.to_owned()),
            ("sources".to_owned(), sources.to_owned()),
            ("do".to_owned(), step.to_owned()),
        ]
    };
    let r = form("/admin/articles/new".into(), article("Hostile draft", &body, &sources, "save"))
        .await?;
    assert_eq!(r.status(), 303);
    let draft = r.headers()["location"].to_str()?.to_owned();
    // The published one holds every vector as text in every kind of block
    // (written by the text form's own writer, so link syntax stays text).
    let mut blocks_live = Vec::new();
    for (i, v) in corpus.iter().enumerate() {
        let t = one_line(v);
        let date = chrono::NaiveDate::from_ymd_opt(2026, 7, 1 + (i % 9) as u32).unwrap_or_default();
        blocks_live.extend([
            Block::paragraph(t.clone()),
            Block::Subhead { text: t.clone() },
            Block::Quote { text: t.clone(), attribution: Some(t.clone()) },
            Block::List { ordered: false, items: vec![vec![Inline::text(t.clone())]] },
            Block::Figure(newsdesk_core::Figure {
                media_id: lead,
                alt: Some(t.clone()),
                caption: Some(t.clone()),
                credit: Some(t.clone()),
            }),
            Block::Timeline {
                title: Some(t.clone()),
                entries: vec![newsdesk_core::TimelineEntry {
                    date,
                    text: t.clone(),
                    article_id: None,
                }],
            },
        ]);
    }
    let plain = newsdesk_content::markdown::from_blocks(&blocks_live);
    let r =
        form("/admin/articles/new".into(), article("Hostile story", &plain, &sources, "publish"))
            .await?;
    assert_eq!(r.status(), 303, "{}", r.text().await?);
    let live = r.headers()["location"].to_str()?.split('?').next().unwrap_or_default().to_owned();
    let id: i64 = live.rsplit('/').next().and_then(|s| s.parse().ok()).unwrap_or_default();
    // Corrections carry them to the audit log; a second save to the diff.
    let (_, v) = app.t.db.find_article_versioned(id).await?;
    let mut correct = article("Hostile story", &plain, &sources, "correct");
    correct.retain(|(k, _)| k != "version");
    correct.push(("version".into(), v.to_string()));
    correct.push(("correction".into(), corpus[..20].join(" ")));
    let r = form(live.clone(), correct).await?;
    assert_eq!(r.status(), 303, "{}", r.text().await?);
    let path = app.t.db.find_article(id).await?.path.unwrap_or_default();
    let draft_path = draft.split('?').next().unwrap_or_default().to_owned();
    let mut pages = vec![
        path.clone(),
        "/admin".to_owned(),
        format!("{draft_path}"),
        format!("{draft_path}/preview"),
        format!("{live}"),
        format!("{live}/revisions"),
        format!("{live}/diff?from=1&to=3"),
        "/admin/audit".to_owned(),
    ];
    let mut before = String::new();
    for _ in 0..4 {
        let q = if before.is_empty() { String::new() } else { format!("&before={before}") };
        pages.push(format!("/admin/articles?status=draft{q}"));
        let rows = app
            .t
            .db
            .desk_articles(
                &newsdesk_db::DeskFilter {
                    status: Some(newsdesk_core::ArticleStatus::Draft),
                    before: before.parse().ok(),
                    ..Default::default()
                },
                50,
            )
            .await?;
        before = rows.last().map(|r| r.id.to_string()).unwrap_or_default();
    }
    let mut seen_vectors = 0;
    for page in &pages {
        b.goto(&format!("{}{page}", app.base)).await?;
        // An alert left open would fail this call.
        let scan = b.run(DOM_SCAN, json!([])).await?;
        assert_eq!(scan["bad"], json!([]), "{page}: {scan}");
        assert_eq!(scan["ran"], Value::Null, "{page}");
        let text = b.run("return document.body.innerText;", json!([])).await?;
        seen_vectors +=
            corpus.iter().filter(|v| text.as_str().unwrap_or_default().contains(v.trim())).count();
    }
    assert!(seen_vectors > corpus.len(), "the vectors were shown as text: {seen_vectors}");
    // Pasted into the rich-text editor, as HTML: nothing runs, nothing but
    // the model's marks and safe links survives.
    b.goto(&format!("{}/admin/articles/new", app.base)).await?;
    b.click(".pm-body").await?;
    b.run(
        "const dt = new DataTransfer(); dt.setData('text/html', arguments[0]); \
         document.querySelector('.pm-body').dispatchEvent(new ClipboardEvent('paste', \
         {clipboardData: dt, bubbles: true, cancelable: true}));",
        json!([corpus.join("<br>")]),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let scan = b.run(DOM_SCAN, json!([])).await?;
    assert_eq!(scan["bad"], json!([]), "after the paste: {scan}");
    let blocks = serde_json::to_string(&blocks(&b).await?)?;
    for bad in ["javascript:", "vbscript:", "data:text"] {
        assert!(!blocks.to_lowercase().contains(&format!("\"href\":\"{bad}")), "{bad} in {blocks}");
    }
    b.stop().await?;
    app.stop().await
}

#[tokio::test]
async fn an_editor_uploads_in_the_browser_sets_the_focal_point_and_picks_the_photo()
-> anyhow::Result<()> {
    let Some(b) = Browser::start().await? else { return Ok(()) };
    let app = site().await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("harbour.jpg");
    let meta = newsdesk_test_support::photos::Meta {
        credit: Some("Lena Berg / Nordic Wire"),
        caption: Some("Ferries wait in the harbour."),
        ..Default::default()
    };
    std::fs::write(&file, newsdesk_test_support::photos::jpeg(1200, 800, 42, &meta))?;
    b.sign_in(&app.base, "ed@example.org").await?;
    b.goto(&format!("{}/admin/media", app.base)).await?;
    // The script sends the file with progress, then shows the library.
    b.type_into("#file", &file.display().to_string()).await?;
    b.click("form[data-upload] button[type=submit]").await?;
    b.wait_url(|u| u.contains("uploaded=1")).await?;
    let listed =
        b.run("return document.querySelector('.media-grid').textContent;", json!([])).await?;
    assert!(listed.as_str().unwrap_or_default().contains("harbour.jpg"), "{listed}");
    assert!(listed.as_str().unwrap_or_default().contains("Lena Berg / Nordic Wire"), "{listed}");

    // The item page: a click on the picture moves the focal point.
    b.click(".media-grid a").await?;
    b.wait_url(|u| u.contains("/admin/media/")).await?;
    b.run(
        "const img = document.querySelector('[data-focal] img'); const r = img.getBoundingClientRect(); \
         img.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: r.left + r.width * 0.25, clientY: r.top + r.height * 0.75}));",
        json!([]),
    )
    .await?;
    let focal = b
        .run("return [document.getElementById('focal_x').value, document.getElementById('focal_y').value];", json!([]))
        .await?;
    assert_eq!(focal, json!(["25", "75"]));
    b.type_into("#alt", "Three ferries moored at a quay").await?;
    b.click(".media-form button[type=submit]").await?;
    b.wait_url(|u| u.contains("done=saved")).await?;
    let m = app
        .t
        .db
        .list_media(&Default::default(), 5)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no item"))?;
    assert_eq!(
        (m.focal_x, m.focal_y, m.alt.as_deref()),
        (250, 750, Some("Three ferries moored at a quay"))
    );

    // The editor's lead image field opens the library's picker.
    b.goto(&format!("{}/admin/articles/new", app.base)).await?;
    b.click("#lead_media + button").await?;
    b.type_into("#picker-q", "harbour").await?;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let n = b
            .run("return document.querySelectorAll('.picker-results button').length;", json!([]))
            .await?;
        if n == json!(1) {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "the picker found {n} items");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.click(".picker-results button").await?;
    let chosen = b.run("return document.getElementById('lead_media').value;", json!([])).await?;
    assert_eq!(chosen, json!(m.id.to_string()));
    // The chosen picture shows beside the fields, with the library's texts.
    let preview =
        b.run("return document.getElementById('lead-preview').innerHTML;", json!([])).await?;
    let preview = preview.as_str().unwrap_or_default();
    assert!(
        preview.contains("<img") && preview.contains("Three ferries moored at a quay"),
        "{preview}"
    );

    // A batch where one file is refused: the page stays to say why, and
    // the picture that was taken is in the grid all the same.
    let second = dir.path().join("quay.jpg");
    std::fs::write(&second, newsdesk_test_support::photos::jpeg(900, 600, 7, &meta))?;
    let bad = dir.path().join("notes.jpg");
    std::fs::write(&bad, "<html><script>alert(1)</script></html>")?;
    b.goto(&format!("{}/admin/media", app.base)).await?;
    b.type_into("#file", &format!("{}\n{}", second.display(), bad.display())).await?;
    b.click("form[data-upload] button[type=submit]").await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rows = b
            .run(
                "return document.querySelectorAll('form[data-upload] .progress p').length;",
                json!([]),
            )
            .await?;
        let busy = b
            .run("return document.querySelector('form[data-upload] progress') !== null;", json!([]))
            .await?;
        if rows == json!(2) && busy == json!(false) {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "the batch did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!b.url().await?.contains("uploaded="), "the page stays to show the refusal");
    let first =
        b.run("return document.querySelector('.media-grid li').textContent;", json!([])).await?;
    assert!(first.as_str().unwrap_or_default().contains("quay.jpg"), "{first}");
    b.stop().await?;
    app.stop().await
}
