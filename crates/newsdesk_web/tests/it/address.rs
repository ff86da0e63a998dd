//! A published article's address: only an editor changes it (by its
//! slug), the old address answers 301, and the move is audited.

use crate::TestApp;
use crate::admin::sign_in;
use crate::company::send_editor;
use crate::desk::{account, location, open};
use newsdesk_core::Role;
use newsdesk_test_support::{TestDb, db_test};

db_test!(an_editor_moves_a_published_article_and_the_old_address_follows, |t: TestDb| async move {
    let app = TestApp::start(t).await?;
    account(&app, "ann@example.org", Role::Author, true).await?;
    account(&app, "ed@example.org", Role::Editor, false).await?;
    let ann = sign_in(&app, "ann@example.org").await?;
    let ed = sign_in(&app, "ed@example.org").await?;
    let id = app.ids.main;
    let old = app.ids.main_path.clone();
    let admin_path = format!("/admin/articles/{id}");
    assert_eq!(app.get(&old).await?.status(), 200);

    // Its author may edit it, not move it: the field says so, the server
    // refuses, and nothing moves.
    let (_, _, html) = open(&app, &ann, &admin_path).await?;
    assert!(
        html.contains("only an editor changes it once published") && html.contains(" readonly")
    );
    let r = send_editor(
        &app,
        &ann,
        &admin_path,
        &[("slug", "a-new-name"), ("bump", "1"), ("do", "save")],
    )
    .await?;
    assert_eq!(r.status(), 403);
    let html = r.text().await?;
    assert!(html.contains("name=\"bump\" value=\"1\" checked"), "the box stays ticked: {html}");
    assert_eq!(app.t.db.find_article(id).await?.path.as_deref(), Some(old.as_str()));

    // An editor moves it.
    let (_, _, html) = open(&app, &ed, &admin_path).await?;
    assert!(html.contains("changing it moves the article"));
    let r = send_editor(&app, &ed, &admin_path, &[("slug", "water-deal-signed"), ("do", "save")])
        .await?;
    assert_eq!(r.status(), 303, "{}", r.text().await?);
    let new = app.t.db.find_article(id).await?.path.unwrap_or_default();
    let prefix = old.rsplit_once('/').map(|(p, _)| p).unwrap_or_default();
    assert_eq!(new, format!("{prefix}/water-deal-signed"));
    let (status, page) = app.text(&new).await?;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("{new}\"")), "the canonical link names the new address");
    let r = app.get(&old).await?;
    assert_eq!((r.status().as_u16(), location(&r)), (301, new.clone()));
    let (_, sitemap) = app.text("/sitemaps/articles-1.xml").await?;
    assert!(sitemap.contains(&new) && !sitemap.contains(&old), "{sitemap}");
    let log = app.t.db.audit_log(20).await?;
    assert!(
        log.iter().any(|r| r.action == "article_moved" && r.detail == format!("{old} → {new}")),
        "{log:?}"
    );

    // Moved back: the first address is live again, the second redirects.
    let old_slug = old.rsplit_once('/').map(|(_, s)| s).unwrap_or_default().to_owned();
    let r =
        send_editor(&app, &ed, &admin_path, &[("slug", old_slug.as_str()), ("do", "save")]).await?;
    assert_eq!(r.status(), 303);
    assert_eq!(app.get(&old).await?.status(), 200);
    let r = app.get(&new).await?;
    assert_eq!((r.status().as_u16(), location(&r)), (301, old.clone()));

    // Another article of that day and section cannot take an address this
    // one had.
    let mut twin = app.t.db.find_article(id).await?;
    (twin.id, twin.slug, twin.path, twin.first_published_at) = (0, "twin".into(), None, None);
    twin.status = newsdesk_core::ArticleStatus::Draft;
    let system = newsdesk_core::Actor::system("test");
    let twin = app.app.newsroom.create_draft(&system, twin).await?.article.id;
    let first = app.t.db.find_article(id).await?.first_published_at.unwrap_or_default();
    let twin = app.app.newsroom.publish_as_of(&system, twin, first).await?;
    let former = new.rsplit_once('/').map(|(_, s)| s).unwrap_or_default().to_owned();
    let twin_admin = format!("/admin/articles/{}", twin.article.id);
    let r =
        send_editor(&app, &ed, &twin_admin, &[("slug", former.as_str()), ("do", "save")]).await?;
    assert_eq!(r.status(), 422, "{}", r.text().await?);
    let r = app.get(&new).await?;
    assert_eq!((r.status().as_u16(), location(&r)), (301, old.clone()), "still ours");

    // Taken down, every address it had says gone.
    let r = send_editor(&app, &ed, &admin_path, &[("do", "unpublish")]).await?;
    assert_eq!(r.status(), 303);
    assert_eq!(app.get(&new).await?.status(), 410);
    assert_eq!(app.get(&old).await?.status(), 410);
    app.stop().await
});
