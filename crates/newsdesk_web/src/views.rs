//! Turning store rows into the view structs templates render.

use crate::app::{App, Taxonomy};
use chrono::{DateTime, Utc};
use newsdesk_content::related::RAIL_SIZE;
use newsdesk_content::structured::{
    ArticleFacts, Creator, LeadImage, news_article, schema_source_type,
};
use newsdesk_content::{
    BodyContext, display_datetime, json_for_script, media_url, render_body, render_lead,
    rendition_srcset, rfc3339, srcset, teaser, url_encode, webp_srcset,
};
use newsdesk_core::{Article, Block, Byline, Figure, Id, Media, RenditionKind, is_web_url};
use newsdesk_db::ArticleCard;
use newsdesk_render::{
    ArticleView, BylineView, CardView, CorrectionView, ImageView, Link, MetaTag, PageMeta,
    SourceView,
};
use std::collections::HashMap;
use std::sync::Arc;

/// Longest teaser under a card, in characters.
pub const TEASER_CHARS: usize = 160;

/// Robots directives for indexable pages: large image previews for Discover.
pub const ROBOTS_INDEX: &str =
    "index, follow, max-image-preview:large, max-snippet:-1, max-video-preview:-1";

/// The image shown for a figure at card size: its 16:9 crops around the
/// focal point when they exist (WebP and the original's format), else the
/// smallest scaled size at least 400 pixels wide, else the original.
pub fn card_image(fig: &Figure, m: &Media) -> ImageView {
    crop_image(fig, m, RenditionKind::Card)
}

/// A portrait: the square crops around the focal point when they exist,
/// else as [`card_image`] falls back.
pub fn square_image(fig: &Figure, m: &Media) -> ImageView {
    crop_image(fig, m, RenditionKind::Thumb)
}

fn crop_image(fig: &Figure, m: &Media, kind: RenditionKind) -> ImageView {
    let alt = fig.alt(Some(m)).unwrap_or_default().to_owned();
    let crops = m.fallback_renditions(kind);
    if let Some(first) = crops.first() {
        return ImageView {
            src: media_url(&first.file),
            srcset: rendition_srcset(&crops),
            webp_srcset: rendition_srcset(&m.webp_renditions(kind)),
            width: first.width,
            height: first.height,
            alt,
        };
    }
    let (file, width, height) = m.sized(400);
    ImageView {
        src: media_url(file),
        srcset: srcset(m),
        webp_srcset: webp_srcset(m),
        width,
        height,
        alt,
    }
}

/// One line of bylines, e.g. "Ann Lee and Bo Chan".
fn byline_text(bylines: &[Byline], t: &Taxonomy) -> String {
    let names: Vec<String> = bylines
        .iter()
        .map(|b| match b {
            Byline::Author { author_id } => {
                t.authors.get(author_id).map(|a| a.name.clone()).unwrap_or_default()
            }
            Byline::Credit { text } => text.clone(),
        })
        .filter(|n| !n.is_empty())
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A card for a list or rail.
pub fn card(app: &App, t: &Taxonomy, c: &ArticleCard, media: &HashMap<Id, Media>) -> CardView {
    let section =
        t.section(c.section_id).map(|s| Link { name: s.name.clone(), url: format!("/{}", s.slug) });
    let image = c.lead.as_ref().and_then(|f| media.get(&f.media_id).map(|m| card_image(f, m)));
    CardView {
        url: c.path.clone(),
        headline: c.headlines.teaser().to_owned(),
        teaser: teaser(&c.dek, TEASER_CHARS),
        section,
        byline: byline_text(&c.bylines, t),
        published_iso: rfc3339(c.first_published_at, app.tz()),
        published_display: display_datetime(c.first_published_at, app.tz()),
        image,
    }
}

/// Loads the lead media of `cards` in one query.
pub async fn card_media(
    app: &App,
    cards: &[&ArticleCard],
) -> newsdesk_db::Result<HashMap<Id, Media>> {
    let ids: Vec<Id> = cards.iter().filter_map(|c| c.lead.as_ref().map(|f| f.media_id)).collect();
    Ok(app.db.media_by_ids(&ids).await?.into_iter().map(|m| (m.id, m)).collect())
}

/// Cards for a list of rows, media loaded in one query.
pub async fn cards(
    app: &App,
    t: &Taxonomy,
    rows: &[ArticleCard],
) -> newsdesk_db::Result<Vec<CardView>> {
    let refs: Vec<&ArticleCard> = rows.iter().collect();
    let media = card_media(app, &refs).await?;
    Ok(rows.iter().map(|c| card(app, t, c, &media)).collect())
}

/// The meta tags common to every page.
pub fn page_meta(app: &App, title: String, description: String, path: &str) -> PageMeta {
    let canonical = app.absolute(path);
    let mut tags = vec![
        og("og:site_name", &app.title()),
        og("og:type", "website"),
        og("og:title", &title),
        og("og:description", &description),
        og("og:url", &canonical),
        og("og:locale", &app.config.site.language.replace('-', "_")),
    ];
    if let Some(handle) = &app.config.site.twitter {
        tags.push(tw("twitter:site", handle));
    }
    PageMeta {
        title,
        description,
        canonical,
        robots: ROBOTS_INDEX.into(),
        tags,
        json_ld: None,
        alternates: Vec::new(),
    }
}

fn og(key: &str, content: &str) -> MetaTag {
    MetaTag { attr: "property", key: key.into(), content: content.into() }
}

fn tw(key: &str, content: &str) -> MetaTag {
    MetaTag { attr: "name", key: key.into(), content: content.into() }
}

/// Cards with one more media item fetched in the same query (an author's
/// portrait on their list page).
pub struct Cards {
    /// The cards.
    pub cards: Vec<CardView>,
    /// The extra media item, when asked for and found.
    pub extra: Option<Media>,
}

/// Cards for a list of rows plus one more media item, in one query.
pub async fn cards_with(
    app: &App,
    t: &Taxonomy,
    rows: &[ArticleCard],
    extra: Option<Id>,
) -> newsdesk_db::Result<Cards> {
    let mut ids: Vec<Id> =
        rows.iter().filter_map(|c| c.lead.as_ref().map(|f| f.media_id)).collect();
    ids.extend(extra);
    let media: HashMap<Id, Media> =
        app.db.media_by_ids(&ids).await?.into_iter().map(|m| (m.id, m)).collect();
    Ok(Cards {
        cards: rows.iter().map(|c| card(app, t, c, &media)).collect(),
        extra: extra.and_then(|id| media.get(&id).cloned()),
    })
}

/// Everything an article page needs, with its surrogate keys.
pub struct ArticleRender {
    /// The article view.
    pub view: ArticleView,
    /// The head.
    pub meta: PageMeta,
    /// What the page was rendered from.
    pub keys: Vec<String>,
}

/// What article pages show besides their articles, read for many at once:
/// each one's related rail, every picture (leads, body figures, rail
/// cards) and the addresses timeline entries link to.
#[derive(Debug, Default)]
pub struct ArticleExtras {
    rails: HashMap<Id, Vec<ArticleCard>>,
    /// In an export ([`export_article_extras`]): each rail as cards made
    /// once for every page, in place of `rails`.
    shared_rails: HashMap<Id, Vec<Arc<RailCard>>>,
    media: HashMap<Id, Media>,
    paths: HashMap<Id, String>,
}

/// The pictures an article page shows: lead, body figures, rail cards.
fn page_media(a: &Article, rail: &[ArticleCard]) -> Vec<Id> {
    let mut ids: Vec<Id> = a.lead.iter().map(|f| f.media_id).collect();
    ids.extend(a.body.iter().filter_map(|b| match b {
        Block::Figure(f) => Some(f.media_id),
        _ => None,
    }));
    ids.extend(rail.iter().filter_map(|c| c.lead.as_ref().map(|f| f.media_id)));
    ids
}

/// The articles an article's timelines link to.
fn linked_articles(a: &Article) -> Vec<Id> {
    let mut ids = Vec::new();
    for b in &a.body {
        if let Block::Timeline { entries, .. } = b {
            ids.extend(entries.iter().filter_map(|e| e.article_id));
        }
    }
    ids
}

/// The [`ArticleExtras`] of `articles`: three queries at most, whatever
/// their number.
pub async fn article_extras(app: &App, articles: &[Article]) -> anyhow::Result<ArticleExtras> {
    let ids: Vec<Id> = articles.iter().map(|a| a.id).collect();
    let mut rails = app.db.related_cards_of(&ids).await?;
    for rail in rails.values_mut() {
        rail.truncate(RAIL_SIZE);
    }
    let cards = rails.values().flatten();
    let (media, paths) = pictures_and_links(app, articles, cards).await?;
    Ok(ArticleExtras { rails, shared_rails: HashMap::new(), media, paths })
}

/// The pictures `articles` and rail `cards` show and the addresses the
/// articles' timelines link to: two queries.
async fn pictures_and_links(
    app: &App,
    articles: &[Article],
    cards: impl Iterator<Item = &ArticleCard>,
) -> anyhow::Result<(HashMap<Id, Media>, HashMap<Id, String>)> {
    let (mut media_ids, mut linked) = (Vec::new(), Vec::new());
    for a in articles {
        media_ids.extend(page_media(a, &[]));
        linked.extend(linked_articles(a));
    }
    media_ids.extend(cards.filter_map(|c| c.lead.as_ref().map(|f| f.media_id)));
    media_ids.sort_unstable();
    media_ids.dedup();
    linked.sort_unstable();
    linked.dedup();
    let media = app.db.media_by_ids(&media_ids).await?.into_iter().map(|m| (m.id, m)).collect();
    Ok((media, app.db.article_paths(&linked).await?))
}

/// One story's card in the article pages' rails, made once by an export
/// for every rail that shows it ([`export_article_extras`]).
#[derive(Debug)]
pub struct RailCard {
    /// The story.
    id: Id,
    /// Its list item ([`newsdesk_render::Renderer::rail_card`]).
    markup: String,
    /// Its picture, when it shows one (the page's cache keys name it).
    picture: Option<Id>,
}

impl RailCard {
    /// The card of story `id`: its list item and the picture it shows.
    pub fn new(id: Id, markup: String, picture: Option<Id>) -> RailCard {
        RailCard { id, markup, picture }
    }
}

/// Rail cards an export keeps at most (some 800 bytes each): every story
/// of a site of this size. Past it, the cards of stories not yet kept
/// are made again for each page that shows them.
const MAX_SHARED_CARDS: usize = 50_000;

/// [`article_extras`] for a batch of an export's article pages, built for
/// cache `generation`: each story's rail card is made once for every
/// rail that shows it ([`App::rail_cards`]), so only the cards no page
/// has made yet are read and rendered. Four queries besides the
/// articles' own, whatever their number. With a theme whose templates
/// the cards depend on, the same as [`article_extras`].
pub async fn export_article_extras(
    app: &App,
    t: &Taxonomy,
    articles: &[Article],
    generation: u64,
) -> anyhow::Result<ArticleExtras> {
    if !app.renderer.shares_rail_cards() {
        return article_extras(app, articles).await;
    }
    let ids: Vec<Id> = articles.iter().map(|a| a.id).collect();
    let mut rails = app.db.related_ids_of(&ids).await?;
    let mut shown: Vec<Id> = Vec::new();
    for rail in rails.values_mut() {
        rail.truncate(RAIL_SIZE);
        shown.extend_from_slice(rail);
    }
    shown.sort_unstable();
    shown.dedup();
    let shared = || crate::memo::lock(&app.rail_cards);
    // Taken now: a newer generation emptying the shared cards later
    // cannot take one out of these pages.
    let mut have = shared().find(generation, &shown);
    let missing: Vec<Id> = shown.iter().filter(|id| !have.contains_key(id)).copied().collect();
    let cards = app.db.published_cards(&missing).await?;
    let (media, paths) = pictures_and_links(app, articles, cards.iter()).await?;
    let mut made: Vec<(Id, Arc<RailCard>)> = Vec::with_capacity(cards.len());
    for c in &cards {
        let view = card(app, t, c, &media);
        let picture = c.lead.as_ref().map(|f| f.media_id).filter(|_| view.image.is_some());
        let markup = app.renderer.rail_card(&view)?;
        made.push((c.id, Arc::new(RailCard { id: c.id, markup, picture })));
    }
    {
        // Only while an export runs: a batch that finishes after the last
        // export ended (it failed and left its batches running) leaves
        // nothing behind.
        let mut kept = shared();
        if app.exporting() && kept.len() < MAX_SHARED_CARDS {
            kept.keep(generation, &made);
        }
    }
    have.extend(made);
    let mut shared_rails = HashMap::new();
    for (id, rail) in rails {
        // A story taken down since its rail was read has no card: left out.
        let cards: Vec<Arc<RailCard>> = rail.iter().filter_map(|r| have.get(r).cloned()).collect();
        if !cards.is_empty() {
            shared_rails.insert(id, cards);
        }
    }
    Ok(ArticleExtras { rails: HashMap::new(), shared_rails, media, paths })
}

/// Builds the article page's view from a published article.
pub async fn article(app: &App, t: &Taxonomy, a: &Article) -> anyhow::Result<ArticleRender> {
    let extras = article_extras(app, std::slice::from_ref(a)).await?;
    Ok(article_with(app, t, a, &extras))
}

/// [`article`] from extras read beforehand ([`article_extras`] of a batch
/// of articles that holds `a`).
pub fn article_with(app: &App, t: &Taxonomy, a: &Article, x: &ArticleExtras) -> ArticleRender {
    let path = a.path.clone().unwrap_or_default();
    let permalink = app.absolute(&path);
    let canonical =
        a.canonical_url.clone().filter(|u| is_web_url(u)).unwrap_or_else(|| permalink.clone());
    let related_rows: &[ArticleCard] = x.rails.get(&a.id).map_or(&[], Vec::as_slice);
    let shared_rail: Option<&[Arc<RailCard>]> = x.shared_rails.get(&a.id).map(Vec::as_slice);
    let linked = linked_articles(a);
    let (media, article_paths) = (&x.media, &x.paths);

    let section = t.section(a.section_id);
    let published = a.first_published_at.unwrap_or(a.updated_at);
    let updated = (a.updated_at - published > chrono::Duration::minutes(1)).then_some(a.updated_at);
    let bylines: Vec<BylineView> = a
        .bylines
        .iter()
        .filter_map(|b| match b {
            Byline::Author { author_id } => t.authors.get(author_id).map(|au| BylineView {
                name: au.name.clone(),
                url: Some(format!("/author/{}", au.slug)),
                title: au.title.clone(),
            }),
            Byline::Credit { text } => {
                Some(BylineView { name: text.clone(), url: None, title: None })
            }
        })
        .collect();
    let tags: Vec<Link> = a
        .tags
        .iter()
        .filter_map(|id| t.tags.get(id))
        .map(|tag| Link { name: tag.name.clone(), url: format!("/tag/{}", tag.slug) })
        .collect();
    let headline = a.headlines.display.clone();
    let share = share_links(&permalink, a.headlines.social());
    let lead = a.lead.as_ref();
    let lead_media = lead.and_then(|f| media.get(&f.media_id));
    let related: Vec<CardView> = related_rows.iter().map(|c| card(app, t, c, media)).collect();

    let view = ArticleView {
        headline: headline.clone(),
        dek: a.dek.clone(),
        section: section.map(|s| Link { name: s.name.clone(), url: format!("/{}", s.slug) }),
        story: a.story_id.and_then(|id| t.stories.get(&id)).map(|s| s.name.clone()),
        bylines: bylines.clone(),
        published_iso: rfc3339(published, app.tz()),
        published_display: display_datetime(published, app.tz()),
        updated_iso: updated.map(|u| rfc3339(u, app.tz())),
        updated_display: updated.map(|u| display_datetime(u, app.tz())),
        lead_html: lead.map(|f| render_lead(f, lead_media, "")).unwrap_or_default(),
        body_html: render_body(&a.body, &BodyContext { media, article_paths, base: "" }),
        sources: a
            .sources
            .iter()
            .map(|s| SourceView {
                name: s.name.clone(),
                kind: s.kind.label().into(),
                url: s.url.clone().filter(|u| is_web_url(u)),
                attributed: s.attributed.clone(),
            })
            .collect(),
        corrections: a
            .corrections
            .iter()
            .map(|c| CorrectionView {
                iso: rfc3339(c.at, app.tz()),
                display: display_datetime(c.at, app.tz()),
                text: c.text.clone(),
            })
            .collect(),
        tags: tags.clone(),
        share,
        permalink: permalink.clone(),
        related,
        related_markup: shared_rail.map(|cards| {
            let mut markup = String::with_capacity(cards.iter().map(|c| c.markup.len() + 1).sum());
            for c in cards {
                markup.push('\n');
                markup.push_str(&c.markup);
            }
            markup
        }),
    };

    // Head: title from the SEO headline, social tags from the social one;
    // the tags and the JSON-LD come from one set of facts.
    let description =
        if a.dek.is_empty() { teaser(&a.plain_text(), TEASER_CHARS) } else { a.dek.clone() };
    let facts = ArticleFacts {
        seo_headline: a.headlines.seo().to_owned(),
        social_headline: a.headlines.social().to_owned(),
        description: description.clone(),
        permalink: permalink.clone(),
        canonical: canonical.clone(),
        published,
        modified: a.updated_at,
        tz: app.tz(),
        section: section.map(|s| s.name.clone()),
        creators: bylines
            .iter()
            .map(|b| Creator { name: b.name.clone(), url: b.url.as_ref().map(|u| app.absolute(u)) })
            .collect(),
        keywords: tags.iter().map(|t| t.name.clone()).collect(),
        image: match (lead, lead_media) {
            (Some(f), Some(m)) => {
                // Search engines and social sites want at least 1200 pixels,
                // not a camera original.
                let (file, width, height) = m.sized(1200);
                Some(LeadImage {
                    url: app.absolute(&media_url(file)),
                    width,
                    height,
                    alt: f.alt(Some(m)).unwrap_or_default().to_owned(),
                    caption: f.caption(Some(m)).map(Into::into),
                    credit: f.credit(Some(m)).map(Into::into),
                    source_type: m
                        .ai_generated
                        .then(|| schema_source_type(m.source_type.as_deref())),
                })
            }
            _ => None,
        },
        corrections: a.corrections.iter().map(|c| (c.at, c.text.clone())).collect(),
        site_title: app.title().clone(),
        site_url: app.absolute("/"),
        logo_url: app.absolute(&app.site_view(t).logo_url),
        language: app.config.site.language.clone(),
    };
    let mut meta =
        page_meta(app, format!("{} | {}", a.headlines.seo(), app.title()), description, &path);
    meta.canonical = canonical;
    meta.tags.retain(|m| !matches!(m.key.as_str(), "og:type" | "og:title" | "og:url"));
    meta.tags.extend(newsdesk_render::article_tags(&facts));
    meta.json_ld = Some(json_for_script(&news_article(&facts)));
    meta.alternates = crate::controllers::site::distribution::feed_links(&app.title(), "");
    meta.alternates.push(newsdesk_render::Alternate {
        mime: "application/json+oembed".into(),
        title: a.headlines.social().into(),
        url: format!("/oembed?url={}&format=json", url_encode(&permalink)),
    });

    let mut keys = vec![format!("article:{}", a.id)];
    keys.extend(related_rows.iter().map(|c| format!("article:{}", c.id)));
    let shared_rail = shared_rail.unwrap_or_default();
    keys.extend(shared_rail.iter().map(|c| format!("article:{}", c.id)));
    keys.extend(linked.iter().map(|id| format!("article:{id}")));
    // The pictures found among the page's own (the batch's map holds
    // other pages' too; a shared card says whether it shows its own).
    let mut shown = page_media(a, related_rows);
    shown.retain(|id| media.contains_key(id));
    shown.extend(shared_rail.iter().filter_map(|c| c.picture));
    shown.sort_unstable();
    shown.dedup();
    keys.extend(shown.iter().map(|id| format!("media:{id}")));
    keys.push("taxonomy".into());
    ArticleRender { view, meta, keys }
}

/// Share links that need no third-party script.
pub fn share_links(url: &str, title: &str) -> Vec<Link> {
    let u = url_encode(url);
    let t = url_encode(title);
    vec![
        Link { name: "X".into(), url: format!("https://x.com/intent/post?url={u}&text={t}") },
        Link {
            name: "Facebook".into(),
            url: format!("https://www.facebook.com/sharer/sharer.php?u={u}"),
        },
        Link {
            name: "LinkedIn".into(),
            url: format!("https://www.linkedin.com/sharing/share-offsite/?url={u}"),
        },
        Link { name: "WhatsApp".into(), url: format!("https://wa.me/?text={t}%20{u}") },
        Link { name: "Email".into(), url: format!("mailto:?subject={t}&body={u}") },
    ]
}

/// The newest update among `rows`, for `Last-Modified`.
pub fn newest(rows: &[ArticleCard]) -> Option<DateTime<Utc>> {
    rows.iter().map(|c| c.updated_at.max(c.first_published_at)).max()
}
