//! Related stories kept up to date one article at a time, and the bulk
//! rebuild they must agree with.

use crate::{article, at, drain, editor, newsroom, section};
use newsdesk_app::events::Event;
use newsdesk_core::{Block, Id};
use newsdesk_test_support::{TestDb, db_test};

async fn rail(n: &newsdesk_app::Newsroom, id: Id) -> anyhow::Result<Vec<Id>> {
    Ok(n.db().related_ids(id).await?.into_iter().map(|r| r.0).collect())
}

// See: the stale-rail finding of the application-layer issue. Editing an
// article so that it now belongs in other articles' rails must change those
// rails and say so, so that servers drop the pages that show them.
db_test!(an_edit_reaches_the_rails_that_now_list_the_article, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let culture = section(&n, "culture").await?;
    let mut ids = Vec::new();
    for (i, (h, sec)) in [
        ("Harbour cranes stand idle as dock strike spreads", s),
        ("Dock strike spreads to second harbour", s),
        ("Parliament debates the museum budget", culture),
    ]
    .iter()
    .enumerate()
    {
        let mut a = article(h, *sec);
        a.body = vec![Block::paragraph(*h)];
        let d = n.create_draft(&editor(), a).await?;
        n.publish_as_of(&editor(), d.article.id, at(2 + i as u32, 9)).await?;
        ids.push(d.article.id);
    }
    drain(&n).await?;
    assert_eq!(rail(&n, ids[0]).await?, vec![ids[1]], "nothing in common with the museum");
    // The museum story is rewritten into a strike story.
    let (mut museum, v) = n.db().find_article_versioned(ids[2]).await?;
    museum.headlines.display = "Dock strike closes the harbour museum".into();
    museum.body =
        vec![Block::paragraph("The dock strike spread to the harbour cranes and the museum.")];
    n.save(&editor(), museum, v).await?;
    assert!(rail(&n, ids[2]).await?.contains(&ids[0]), "its own rail follows at once");
    let before = n.db().last_event_id().await?;
    drain(&n).await?;
    assert!(rail(&n, ids[0]).await?.contains(&ids[2]), "the neighbour's rail lists it now");
    let changed: Vec<Id> = n
        .db()
        .events_after(before, 10)
        .await?
        .iter()
        .filter_map(|e| match Event::from_stored(e) {
            Event::RelatedChanged { ids } => Some(ids),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(changed.contains(&ids[0]), "announced, so the page is dropped: {changed:?}");
    Ok(())
});

db_test!(a_new_article_enters_full_rails_only_when_it_beats_the_last, |t: TestDb| async move {
    let n = newsroom(&t);
    let s = section(&n, "world").await?;
    let other = section(&n, "sports").await?;
    // Thirteen strike stories fill each other's rails (twelve each).
    let mut strike = Vec::new();
    for i in 0..13u32 {
        let d = n
            .create_draft(
                &editor(),
                article(&format!("Dock strike day {i}: harbour cranes idle"), s),
            )
            .await?;
        n.publish_as_of(&editor(), d.article.id, at(1 + i, 9)).await?;
        strike.push(d.article.id);
    }
    drain(&n).await?;
    for id in &strike {
        assert_eq!(rail(&n, *id).await?.len(), 12);
    }
    // A loosely related sports story does not push a strike story out...
    let d = n.create_draft(&editor(), article("Cup final at the harbour stadium", other)).await?;
    n.publish_as_of(&editor(), d.article.id, at(20, 9)).await?;
    drain(&n).await?;
    for id in &strike {
        assert!(!rail(&n, *id).await?.contains(&d.article.id));
    }
    // ...a close match does, in every rail where it beats the last story.
    let close =
        n.create_draft(&editor(), article("Dock strike day 14: harbour cranes idle", s)).await?;
    n.publish_as_of(&editor(), close.article.id, at(14, 12)).await?;
    drain(&n).await?;
    let entered = {
        let mut c = 0;
        for id in &strike {
            let r = rail(&n, *id).await?;
            assert_eq!(r.len(), 12);
            c += usize::from(r.contains(&close.article.id));
        }
        c
    };
    assert!(entered >= 6, "entered {entered} of 13 rails");
    Ok(())
});
