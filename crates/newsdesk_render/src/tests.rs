use super::*;

fn site() -> SiteView {
    SiteView {
        title: "The Daily <Test>".into(),
        description: "Test site".into(),
        base_url: "https://news.example".into(),
        language: "en".into(),
        sections: vec![Link { name: "World".into(), url: "/world".into() }],
        stylesheet_url: "/assets/site.0.css".into(),
        script_url: "/assets/share.0.js".into(),
        logo_url: "/assets/logo.0.svg".into(),
    }
}

fn meta() -> PageMeta {
    PageMeta {
        title: "Title \"quoted\"".into(),
        description: "Description".into(),
        canonical: "https://news.example/".into(),
        robots: "index, follow, max-image-preview:large".into(),
        tags: vec![MetaTag {
            attr: "property",
            key: "og:title".into(),
            content: "<script>".into(),
        }],
        json_ld: Some(r#"{"@type":"NewsArticle"}"#.into()),
        alternates: vec![Alternate {
            mime: "application/rss+xml".into(),
            title: "RSS".into(),
            url: "/feed.xml".into(),
        }],
    }
}

fn card(n: u32) -> CardView {
    CardView {
        url: format!("/world/2026/01/0{n}/story-{n}"),
        headline: format!("Story {n} <b>"),
        teaser: "Teaser…".into(),
        section: Some(Link { name: "World".into(), url: "/world".into() }),
        byline: String::new(),
        published_iso: "2026-01-01T10:00:00+00:00".into(),
        published_display: "1 January 2026, 10:00 GMT".into(),
        image: Some(ImageView {
            src: "/media/a.jpg".into(),
            srcset: "/media/a-480.jpg 480w".into(),
            webp_srcset: String::new(),
            width: 1200,
            height: 675,
            alt: "A drawing".into(),
        }),
    }
}

fn article_page() -> ArticlePage {
    ArticlePage {
        site: site(),
        meta: meta(),
        article: ArticleView {
            headline: "Talks resume".into(),
            dek: "Dek".into(),
            section: Some(Link { name: "World".into(), url: "/world".into() }),
            story: Some("Water talks".into()),
            bylines: vec![
                BylineView {
                    name: "Ann Lee".into(),
                    url: Some("/author/ann-lee".into()),
                    title: None,
                },
                BylineView {
                    name: "Bo Chan".into(),
                    url: Some("/author/bo-chan".into()),
                    title: None,
                },
                BylineView { name: "Meridian Press Agency".into(), url: None, title: None },
            ],
            published_iso: "2026-01-01T10:00:00+00:00".into(),
            published_display: "1 January 2026".into(),
            updated_iso: Some("2026-01-01T12:00:00+00:00".into()),
            updated_display: Some("1 January 2026, 12:00".into()),
            lead_html: "<figure>lead</figure>".into(),
            body_html: "<p>Body</p>".into(),
            sources: vec![SourceView {
                name: "Wire".into(),
                kind: "Wire service".into(),
                url: Some("https://wire.example/a".into()),
                attributed: "the quote".into(),
            }],
            corrections: vec![CorrectionView {
                iso: "x".into(),
                display: "y".into(),
                text: "Fixed.".into(),
            }],
            tags: vec![Link { name: "Water".into(), url: "/tag/water".into() }],
            share: vec![Link { name: "Email".into(), url: "mailto:?subject=Talks".into() }],
            permalink: "https://news.example/world/2026/01/01/talks".into(),
            related: vec![card(1), card(2)],
            related_markup: None,
        },
    }
}

/// A home page with one top story and one latest story.
fn home_page() -> HomePage {
    HomePage {
        site: site(),
        meta: meta(),
        top: vec![card(1)],
        latest: vec![card(2)],
        blocks: vec![],
    }
}

#[test]
fn every_builtin_page_template_renders_its_fixture() -> Result<(), RenderError> {
    let r = Renderer::new(None)?;
    let html = r.render("article.html", &article_page())?;
    assert!(html.contains("By <a rel=\"author\" href=\"/author/ann-lee\">Ann Lee</a>, <a rel=\"author\" href=\"/author/bo-chan\">Bo Chan</a> and Meridian Press Agency"), "{html}");
    assert!(html.contains("<title>Title &quot;quoted&quot;</title>"));
    assert!(html.contains("content=\"&lt;script&gt;\""), "meta content escaped");
    assert!(html.contains("Story 1 &lt;b&gt;"), "card headline escaped");
    assert!(html.contains("You May Also Like"));
    assert_eq!(html.matches("class=\"share\"").count(), 2, "share row at top and bottom");
    let home = home_page();
    assert!(r.render("home.html", &home)?.contains("Top stories"));
    let list = ListPage {
        site: site(),
        meta: meta(),
        kind: "section",
        heading: "World".into(),
        description: "World news".into(),
        author: None,
        cards: vec![card(3)],
        pagination: Pagination {
            page: 2,
            pages: 3,
            prev_url: Some("/world".into()),
            next_url: Some("/world?page=3".into()),
        },
    };
    let html = r.render("list.html", &list)?;
    assert!(html.contains("rel=\"next\" href=\"/world?page=3\""));
    let err = ErrorPage {
        site: site(),
        meta: meta(),
        status: 404,
        heading: "Not found".into(),
        message: "Gone".into(),
        latest: vec![card(4)],
    };
    assert!(r.render("error.html", &err)?.contains("Error 404"));
    let search = SearchPage {
        site: site(),
        meta: meta(),
        query: "water <talks>".into(),
        sections: vec![OptionView {
            value: String::new(),
            label: "All sections".into(),
            selected: true,
        }],
        from: String::new(),
        to: String::new(),
        results: vec![SearchResultView {
            card: card(5),
            snippet_html: "the <mark>water</mark> talks".into(),
        }],
        total: 1,
        message: None,
        pagination: Pagination { page: 1, pages: 1, prev_url: None, next_url: None },
    };
    let html = r.render("search.html", &search)?;
    assert!(html.contains("value=\"water &lt;talks&gt;\""), "{html}");
    assert!(html.contains("the <mark>water</mark> talks"));
    assert!(html.contains(
        "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"RSS\" href=\"/feed.xml\">"
    ));
    Ok(())
}

#[test]
fn a_theme_folder_overrides_templates_by_name() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("error.html"), "Custom {{ status }} for {{ site.title }}")?;
    std::fs::write(dir.path().join("notes.txt"), "ignored")?;
    let r = Renderer::new(Some(dir.path()))?;
    assert_eq!(r.overridden(), &["error.html".to_owned()]);
    let err = ErrorPage {
        site: site(),
        meta: meta(),
        status: 410,
        heading: String::new(),
        message: String::new(),
        latest: vec![],
    };
    assert_eq!(r.render("error.html", &err)?, "Custom 410 for The Daily &lt;Test&gt;");
    // Templates that were not overridden still come from the built-in theme.
    assert!(r.render("article.html", &article_page())?.contains("You May Also Like"));
    Ok(())
}

#[test]
fn a_rail_made_of_cards_made_beforehand_is_the_same_page() -> Result<(), Box<dyn std::error::Error>>
{
    let r = Renderer::new(None)?;
    assert!(r.shares_rail_cards());
    // Cards with and without a picture, teaser or section, one with a
    // WebP set.
    let mut page = article_page();
    let mut bare = card(3);
    bare.image = None;
    bare.teaser = String::new();
    bare.section = None;
    let mut webp = card(4);
    if let Some(img) = webp.image.as_mut() {
        img.webp_srcset = "/media/a-480.webp 480w".into();
    }
    page.article.related.extend([bare, webp]);
    let whole = r.render("article.html", &page)?;
    assert!(whole.contains("a-480.webp"), "{whole}");
    let mut shared = page;
    let cards = std::mem::take(&mut shared.article.related);
    let mut markup = String::new();
    for c in &cards {
        markup.push('\n');
        markup.push_str(&r.rail_card(c)?);
    }
    shared.article.related_markup = Some(markup);
    assert_eq!(r.render("article.html", &shared)?, whole);
    assert!(whole.contains("Story 2"), "{whole}");
    // A theme's card, picture or article template may use more of the
    // page than a card: no markup is shared then.
    for name in ["card.html", "image.html", "article.html"] {
        let dir = tempfile::tempdir()?;
        let src = BUILTIN_TEMPLATES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s);
        std::fs::write(dir.path().join(name), src.unwrap_or_default())?;
        assert!(!Renderer::new(Some(dir.path()))?.shares_rail_cards(), "{name}");
    }
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("home.html"), "home")?;
    assert!(Renderer::new(Some(dir.path()))?.shares_rail_cards());
    Ok(())
}

#[test]
fn a_themes_card_partial_restyles_every_list_and_rail() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("card.html"),
        "<li class=\"my-card\" data-level=\"{{ level }}\" data-lazy=\"{{ lazy }}\">{{ c.headline }}</li>",
    )?;
    let r = Renderer::new(Some(dir.path()))?;
    // The article's rail, a list page, the home page and the error page
    // (which still calls the old `card` macro) all use it, with the
    // heading level and loading each asks for.
    let html = r.render("article.html", &article_page())?;
    assert!(html.contains("<li class=\"my-card\" data-level=\"3\" data-lazy=\"True\">"), "{html}");
    assert!(!html.contains("class=\"card\""));
    let list = ListPage {
        site: site(),
        meta: meta(),
        kind: "section",
        heading: "World".into(),
        description: String::new(),
        author: None,
        cards: vec![card(1), card(2)],
        pagination: Pagination { page: 1, pages: 1, prev_url: None, next_url: None },
    };
    let html = r.render("list.html", &list)?;
    assert!(html.contains("data-level=\"2\" data-lazy=\"False\">Story 1"), "{html}");
    assert!(html.contains("data-level=\"2\" data-lazy=\"True\">Story 2"), "{html}");
    let home = home_page();
    assert_eq!(r.render("home.html", &home)?.matches("class=\"my-card\"").count(), 2);
    let err = ErrorPage {
        site: site(),
        meta: meta(),
        status: 404,
        heading: String::new(),
        message: String::new(),
        latest: vec![card(4)],
    };
    assert!(r.render("error.html", &err)?.contains("class=\"my-card\""));
    Ok(())
}

#[test]
fn a_broken_theme_template_is_an_error_naming_the_file() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("home.html"), "{% for x in %}")?;
    let err = Renderer::new(Some(dir.path())).err().ok_or("expected an error")?;
    assert!(err.to_string().contains("home.html"), "{err}");
    Ok(())
}

#[test]
fn stylesheet_stays_small() {
    assert!(STYLESHEET.len() <= 15 * 1024, "{} bytes", STYLESHEET.len());
    assert!(STYLESHEET.contains("prefers-color-scheme: dark"));
    assert!(STYLESHEET.contains(":focus-visible"));
}

#[test]
fn fingerprint_is_stable() {
    assert_eq!(fingerprint(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fingerprint(b"a"), 0xaf63_dc4c_8601_ec8c);
}
