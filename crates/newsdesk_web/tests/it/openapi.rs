//! The OpenAPI document: locked by a snapshot, valid by a third-party
//! validator, and good enough that a client generated from it works
//! against the server.

use crate::TestApp;
use crate::desk::account;
use newsdesk_app::Actor;
use newsdesk_core::Role;
use newsdesk_test_support::{Kind, TestDb};
use std::process::Command;

/// Whether `program` runs here. Missing, the test is skipped with a
/// message, except under `CI=true` (where `.ci/run` installs it).
fn have(program: &str, args: &[&str]) -> anyhow::Result<bool> {
    let ok = Command::new(program).args(args).output().is_ok_and(|o| o.status.success());
    if !ok {
        anyhow::ensure!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but `{program}` is missing: .ci/run installs it"
        );
        eprintln!(
            "no `{program}` here: skipped (pip install openapi-spec-validator openapi-python-client)"
        );
    }
    Ok(ok)
}

async fn document(app: &TestApp) -> anyhow::Result<String> {
    let r = app.get("/api/openapi.json").await?;
    anyhow::ensure!(r.status() == 200, "the document: {}", r.status());
    Ok(r.text().await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_locked_and_valid() -> anyhow::Result<()> {
    let Some(t) = TestDb::new(Kind::Sqlite).await? else { return Ok(()) };
    let app = TestApp::start(t).await?;
    let doc = document(&app).await?;
    let v: serde_json::Value = serde_json::from_str(&doc)?;
    assert_eq!(v["openapi"], "3.1.0");
    // Every route of the APIs is in it, with an operation id of its own.
    let ops: Vec<&str> = v["paths"]
        .as_object()
        .map(|p| {
            p.values()
                .flat_map(|item| item.as_object().into_iter().flat_map(|o| o.values()))
                .filter_map(|op| op["operationId"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(ops.len(), 32, "{ops:?}");
    let mut unique = ops.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ops.len(), "operation ids are unique");
    insta::assert_snapshot!("openapi", doc);

    // The page people read links every operation and shape.
    let (s, page) = app.text("/api/docs").await?;
    assert_eq!(s, 200);
    assert!(page.contains("<code>POST /api/admin/articles/{id}/{step}</code>"), "{page}");
    assert!(page.contains("id=\"schema-ArticleFields\""));

    if have("python3", &["-c", "import openapi_spec_validator"])? {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("openapi.json");
        std::fs::write(&file, &doc)?;
        let out =
            Command::new("python3").arg("-m").arg("openapi_spec_validator").arg(&file).output()?;
        let said = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && said.trim_end().ends_with("OK"), "{said}");
    }
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_generated_from_the_document_works() -> anyhow::Result<()> {
    if !have("openapi-python-client", &["--version"])? {
        return Ok(());
    }
    let Some(t) = TestDb::new(Kind::Sqlite).await? else { return Ok(()) };
    let app = TestApp::start(t).await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, document(&app).await?)?;
    let out = Command::new("openapi-python-client")
        .args(["generate", "--meta", "none", "--path"])
        .arg(&file)
        .arg("--output-path")
        .arg(dir.path().join("newsdesk_api"))
        .output()?;
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(!said.contains("WARNING"), "the whole document is understood: {said}");

    let op = Actor::operator("test");
    let key = app.app.newsroom.create_content_key(&op, "generated", &Default::default()).await?;
    account(&app, "script@example.com", Role::Editor, true).await?;
    let user = app
        .t
        .db
        .find_user_by_email("script@example.com")
        .await?
        .ok_or_else(|| anyhow::anyhow!("user"))?;
    let token = app
        .app
        .newsroom
        .create_admin_token(&op, user.id, "script", "", None, &Default::default())
        .await?;
    let section =
        app.t.db.list_sections().await?.into_iter().next().map(|s| s.id).unwrap_or_default();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/client/use_generated_client.py");
    let out = Command::new("python3")
        .arg(script)
        .env("PYTHONPATH", dir.path())
        .env("NEWSDESK_BASE", &app.base)
        .env("NEWSDESK_CONTENT_KEY", &key.secret)
        .env("NEWSDESK_ADMIN_TOKEN", &token.secret)
        .env("NEWSDESK_SECTION_ID", section.to_string())
        .output()?;
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.trim_end().ends_with("ok"), "{said}");
    app.stop().await
}
