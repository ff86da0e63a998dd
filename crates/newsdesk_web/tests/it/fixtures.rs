//! A small fixed newsroom with hostile strings in every field a reader sees.

use chrono::{DateTime, TimeZone, Utc};
use newsdesk_app::{Actor, Newsroom};
use newsdesk_core::{
    Article, Author, Block, Byline, Correction, Figure, Id, Inline, Media, Rendition, Section,
    Source, SourceKind, Story, Tag, TimelineEntry,
};
use std::path::Path;

pub struct Ids {
    pub main: Id,
    pub main_path: String,
    pub earlier: Id,
    pub earlier_path: String,
    pub gone_path: String,
    pub draft: Id,
}

pub fn at(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, hour, 0, 0).single().expect("valid time")
}

fn actor() -> Actor {
    Actor::system("fixtures")
}

fn jpeg(dir: &Path, file: &str, w: usize, h: usize) -> anyhow::Result<()> {
    let mut rng = newsdesk_demo::Rng::new(5);
    let pic = newsdesk_demo::Picture::new(newsdesk_demo::Scene::Landscape, &mut rng);
    std::fs::create_dir_all(dir.join(file).parent().expect("has a parent"))?;
    std::fs::write(dir.join(file), pic.render_jpeg(w, h)?)?;
    Ok(())
}

async fn photo(
    db: &Newsroom,
    dir: &Path,
    name: &str,
    alt: &str,
    caption: &str,
    credit: &str,
) -> anyhow::Result<Media> {
    let mut renditions = Vec::new();
    for w in [480usize, 800] {
        let file = format!("fx/{name}-{w}.jpg");
        jpeg(dir, &file, w / 10, w * 9 / 160)?;
        renditions.push(Rendition {
            file,
            width: w as u32,
            height: (w * 9 / 16) as u32,
            kind: Default::default(),
        });
    }
    let file = format!("fx/{name}-1200.jpg");
    jpeg(dir, &file, 120, 68)?;
    Ok(db
        .add_media(
            &actor(),
            Media {
                id: 0,
                file,
                width: 1200,
                height: 675,
                alt: Some(alt.into()),
                caption: Some(caption.into()),
                credit: Some(credit.into()),
                rights: Some("Editorial use only".into()),
                renditions,
                ..Media::default()
            },
        )
        .await?)
}

async fn publish(db: &Newsroom, a: &Article, when: DateTime<Utc>) -> anyhow::Result<Article> {
    let stored = db.create_draft(&actor(), a.clone()).await?;
    Ok(db.publish_as_of(&actor(), stored.article.id, when).await?.article)
}

fn section(name: &str, slug: &str, position: i32, description: &str) -> Section {
    Section {
        id: 0,
        name: name.into(),
        slug: slug.into(),
        position,
        description: description.into(),
    }
}

pub async fn seed(db: &Newsroom, media_dir: &Path) -> anyhow::Result<Ids> {
    let a = actor();
    let world = db
        .create_section(
            &a,
            section("World", "world", 1, "News from around the world <b>& beyond</b>."),
        )
        .await?;
    let sports =
        db.create_section(&a, section("Sports", "sports", 2, "Results and reports.")).await?;
    let tag = |name: &str, slug: &str| Tag { id: 0, name: name.into(), slug: slug.into() };
    let water = db.create_tag(&a, tag("Water", "water")).await?;
    let diplomacy = db.create_tag(&a, tag("Diplomacy <&> \"talks\"", "diplomacy")).await?;
    let story = db
        .create_story(
            &a,
            Story {
                id: 0,
                name: "Arland–Brevia water talks".into(),
                slug: "arland-brevia-water-talks".into(),
            },
        )
        .await?;
    let portrait = photo(
        db,
        media_dir,
        "ann",
        "Head-and-shoulders drawing on a blue background",
        "Ann Lee",
        "Staff",
    )
    .await?;
    let ann = db
        .create_author(
            &a,
            Author {
                id: 0,
                name: "Ann Lee".into(),
                slug: "ann-lee".into(),
                title: Some("Diplomatic correspondent".into()),
                bio: "Ann covers diplomacy. <script>alert(\"bio\")</script>".into(),
                photo_media_id: Some(portrait.id),
            },
        )
        .await?;
    let bo = db
        .create_author(
            &a,
            Author {
                id: 0,
                name: "Bo Chan".into(),
                slug: "bo-chan".into(),
                title: None,
                bio: "Bo writes about sport.".into(),
                photo_media_id: None,
            },
        )
        .await?;
    let lead = photo(
        db,
        media_dir,
        "lead",
        "Two rows of delegates facing each other across a long table",
        "Delegations at the opening session in Geneva.",
        "Jane Roe / Pool via Meridian Press Agency",
    )
    .await?;
    let inline = photo(
        db,
        media_dir,
        "river",
        "A river between green hills",
        "The river at the heart of the dispute.",
        "Sam Okoro for The Daily",
    )
    .await?;

    let mut earlier = Article::draft("Negotiators set a date for water talks", at(7, 1, 9));
    earlier.dek = "Both governments agreed to meet in Geneva later this month.".into();
    earlier.section_id = Some(world.id);
    earlier.story_id = Some(story.id);
    earlier.tags = vec![water.id];
    earlier.bylines = vec![Byline::Author { author_id: ann.id }];
    earlier.lead = Some(Figure::of(inline.id));
    earlier.body = vec![Block::paragraph(
        "Arland and Brevia agreed on Monday to resume water talks in Geneva.",
    )];
    let earlier = publish(db, &earlier, at(7, 1, 9)).await?;

    let mut main =
        Article::draft("Talks resume as <Arland> & Brevia meet in Geneva", at(7, 14, 10));
    main.headlines.seo = Some("Arland–Brevia water talks resume in Geneva".into());
    main.headlines.social = Some("The water talks are back on".into());
    main.headlines.teaser = Some("Water talks resume".into());
    main.slug = "talks-resume-in-geneva".into();
    main.dek = "Negotiators met for the first time in a year, hoping to settle a dispute over the river that both countries depend on for farming, drinking water and power generation along its length.".into();
    main.section_id = Some(world.id);
    main.story_id = Some(story.id);
    main.tags = vec![water.id, diplomacy.id];
    main.bylines = vec![
        Byline::Author { author_id: ann.id },
        Byline::Author { author_id: bo.id },
        Byline::Credit { text: "Meridian Press Agency".into() },
    ];
    main.lead = Some(Figure::of(lead.id));
    main.body = vec![
        Block::Paragraph {
            content: vec![
                Inline::text("Negotiators from Arland and Brevia "),
                Inline::Emphasis { children: vec![Inline::text("finally")] },
                Inline::text(" sat down in Geneva on Tuesday, "),
                Inline::link("https://example.org/report?a=1&b=2", "officials said"),
                Inline::text(". <script>alert('body')</script>"),
            ],
        },
        Block::Subhead { text: "What is on the table".into() },
        Block::Quote {
            text: "We came here to reach an agreement.".into(),
            attribution: Some("Arland's chief negotiator".into()),
        },
        Block::List {
            ordered: false,
            items: vec![
                vec![Inline::text("Water quotas")],
                vec![Inline::text("A joint commission")],
            ],
        },
        Block::Figure(Figure {
            caption: Some("Farmland along the river, which both sides want to protect.".into()),
            ..Figure::of(inline.id)
        }),
        Block::Timeline {
            title: Some("Recent track".into()),
            entries: vec![
                TimelineEntry {
                    date: at(7, 1, 9).date_naive(),
                    text: "Talks date agreed".into(),
                    article_id: Some(earlier.id),
                },
                TimelineEntry {
                    date: at(7, 14, 9).date_naive(),
                    text: "Talks open in Geneva".into(),
                    article_id: None,
                },
            ],
        },
        Block::Subhead { text: "What comes next".into() },
        Block::Paragraph {
            content: vec![
                Inline::text("Ends with ]]> and a control\u{1} character; "),
                Inline::link("javascript:alert(2)", "a bad link"),
            ],
        },
    ];
    main.sources = vec![
        Source {
            name: "Meridian Press Agency".into(),
            kind: SourceKind::Wire,
            url: Some("https://wire.example/geneva".into()),
            attributed: "reporting from Geneva".into(),
        },
        Source {
            name: "A diplomat familiar with the talks".into(),
            kind: SourceKind::Anonymous,
            url: None,
            attributed: "the agenda".into(),
        },
    ];
    main.corrections = vec![Correction {
        at: at(7, 14, 15),
        text: "An earlier version misstated the venue.".into(),
    }];
    main.updated_at = at(7, 14, 16);
    main.top_rank = Some(1);
    // The unsafe link must block publication first; then it is removed.
    let draft_with_bad_link = db.create_draft(&a, main.clone()).await?.article;
    let err =
        db.publish_as_of(&a, draft_with_bad_link.id, at(7, 14, 10)).await.expect_err("unsafe link");
    assert!(err.to_string().contains("javascript:alert(2)"), "{err}");
    let (mut fixed, v) = db.db().find_article_versioned(draft_with_bad_link.id).await?;
    if let Some(Block::Paragraph { content }) = fixed.body.last_mut() {
        content.pop();
        content.push(Inline::text("the end."));
    }
    db.save(&a, fixed.clone(), v).await?;
    let main = db.publish_as_of(&a, fixed.id, at(7, 14, 10)).await?.article;

    for n in 1..=25 {
        let mut a = Article::draft(format!("Match report {n}: Rovers beat United"), at(6, 1, 12));
        a.dek = format!("Report number {n}.");
        a.section_id = Some(sports.id);
        a.bylines = vec![Byline::Author { author_id: bo.id }];
        a.body = vec![Block::paragraph("Rovers won the match at home.")];
        publish(db, &a, at(6, 1, 12) + chrono::Duration::hours(n)).await?;
    }

    let mut gone = Article::draft("Withdrawn story", at(7, 2, 9));
    gone.section_id = Some(world.id);
    gone.bylines = vec![Byline::Credit { text: "Staff".into() }];
    gone.body = vec![Block::paragraph("This was taken down.")];
    let gone = publish(db, &gone, at(7, 2, 9)).await?;
    db.unpublish(&a, gone.id).await?;

    let mut draft = Article::draft("Unfinished draft", at(7, 3, 9));
    draft.section_id = Some(world.id);
    let draft = db.create_draft(&a, draft).await?.article;

    Ok(Ids {
        main: main.id,
        main_path: main.path.unwrap_or_default(),
        earlier: earlier.id,
        earlier_path: earlier.path.unwrap_or_default(),
        gone_path: gone.path.unwrap_or_default(),
        draft: draft.id,
    })
}
