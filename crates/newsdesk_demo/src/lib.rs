//! The demo newsroom: a deterministic, realistic site to try Newsdesk on.
//!
//! For a seed and an anchor date, [`seed`] always writes the same newsroom:
//! six sections, fifteen staff authors plus wire credits, forty tags, and
//! running *stories* of 5–12 articles each (peace talks, a governor's race, a
//! fraud trial, a takeover, a football season, a museum rebuild) whose prose
//! is built from each story's facts, plus standalone briefs. Every article has
//! subheads, photographs drawn by the program with alt text that describes
//! the drawing, captions that tell the story and credit lines, sources, and
//! some have timelines and corrections.

mod images;
mod rng;
mod stories;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use newsdesk_app::media::Library;
use newsdesk_app::{Actor, Newsroom, Write};
use newsdesk_core::{
    Article, Author, Block, Byline, Correction, Figure, Id, Inline, Media, Rendition, Section,
    Source, Story, Tag, TimelineEntry, article_path, slugify,
};
use std::collections::{HashMap, HashSet};
use std::path::Path;

pub use images::{Picture, Scene};
pub use rng::Rng;
use stories::{BRIEFS, KINDS, Kind};

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Articles to write (at least 12).
    pub articles: usize,
    /// The seed: same seed, same newsroom.
    pub seed: u64,
    /// The newest article is published shortly before this time; the rest
    /// spread back from it. Fix it for byte-identical output.
    pub anchor: DateTime<Utc>,
    /// The site's time zone (article URLs are dated in it).
    pub tz: chrono_tz::Tz,
}

/// What [`seed`] wrote.
#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    /// Articles published.
    pub articles: usize,
    /// Running stories.
    pub stories: usize,
    /// Image files written (all sizes).
    pub image_files: usize,
    /// Article ids per story id, in publication order.
    pub story_members: HashMap<Id, Vec<Id>>,
}

/// Stories that get photographs of their own; later ones reuse these.
const PHOTO_STORIES: usize = 60;

/// Widths of every photo: the original last. 16:9.
const PHOTO_WIDTHS: [usize; 3] = [480, 800, 1200];

const SECTIONS: &[(&str, &str, &str)] = &[
    ("World", "world", "International news, diplomacy and conflict."),
    ("Politics", "politics", "Campaigns, elections and government."),
    ("National", "national", "News from across the country, from the courts to city hall."),
    ("Business", "business", "Companies, markets and the economy."),
    ("Sports", "sports", "Results, transfers and the stories behind them."),
    ("Culture", "culture", "Arts, museums, film and music."),
];

const EXTRA_TAGS: &[&str] = &["Analysis", "Climate", "Technology", "Health"];

const DESK_TITLES: &[&str] = &[
    "Diplomatic correspondent",
    "Political reporter",
    "Courts reporter",
    "Business reporter",
    "Sports writer",
    "Arts correspondent",
];

const PHOTOGRAPHERS: &[&str] =
    &["Lena Hart", "Tomás Ferreira", "Yuki Mori", "Ade Bankole", "Petra Novak", "Sam Okoro"];

const US_CITIES: &[&str] =
    &["Columbus", "Sacramento", "Denver", "Baltimore", "Omaha", "Tucson", "Raleigh", "Boise"];

/// The facts one running story is written from.
struct Facts {
    kind: &'static Kind,
    map: Vec<(&'static str, String)>,
}

impl Facts {
    fn fill(&self, template: &str) -> String {
        let mut s = template.to_owned();
        for (k, v) in &self.map {
            s = s.replace(k, v);
        }
        let mut chars = s.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => s,
        }
    }
}

fn person(rng: &mut Rng) -> String {
    format!("{} {}", rng.pick(stories::FIRST), rng.pick(stories::LAST))
}

fn coined(rng: &mut Rng, ends: &[&str]) -> String {
    format!(
        "{}{}{}",
        rng.pick(stories::SYLLABLES_A),
        rng.pick(stories::SYLLABLES_B),
        rng.pick(ends)
    )
}

fn facts_for(kind: &'static Kind, rng: &mut Rng) -> Facts {
    let topic = (*rng.pick(kind.topics)).to_owned();
    let mut topic_cap = topic.clone();
    if let Some(f) = topic_cap.get_mut(..1) {
        f.make_ascii_uppercase();
    }
    let (a, b, place, org) = match kind.section {
        "world" => {
            let a = coined(rng, stories::COUNTRY_ENDS);
            let mut b = coined(rng, stories::COUNTRY_ENDS);
            while b == a {
                b = coined(rng, stories::COUNTRY_ENDS);
            }
            (a, b, (*rng.pick(stories::CITIES)).to_owned(), String::new())
        }
        "politics" => {
            (String::new(), String::new(), (*rng.pick(stories::STATES)).to_owned(), String::new())
        }
        "national" => {
            let org = format!(
                "{} {}",
                coined(rng, stories::COMPANY_ENDS),
                rng.pick(stories::COMPANY_KINDS)
            );
            (String::new(), String::new(), (*rng.pick(US_CITIES)).to_owned(), org)
        }
        "business" => {
            let a = format!(
                "{} {}",
                coined(rng, stories::COMPANY_ENDS),
                rng.pick(stories::COMPANY_KINDS)
            );
            let b = format!(
                "{} {}",
                coined(rng, stories::COMPANY_ENDS),
                rng.pick(stories::COMPANY_KINDS)
            );
            (a, b, String::new(), String::new())
        }
        "sports" => {
            let a = format!("{} {}", rng.pick(US_CITIES), rng.pick(stories::TEAM_KINDS));
            let mut b = format!("{} {}", rng.pick(US_CITIES), rng.pick(stories::TEAM_KINDS));
            while b == a {
                b = format!("{} {}", rng.pick(US_CITIES), rng.pick(stories::TEAM_KINDS));
            }
            (a, b, String::new(), String::new())
        }
        _ => {
            let city = (*rng.pick(stories::CITIES)).to_owned();
            let org =
                format!("{} {}", coined(rng, &["a", "ia", "on"]), rng.pick(stories::INSTITUTIONS));
            (String::new(), String::new(), city, org)
        }
    };
    let lead = person(rng);
    let mut other = person(rng);
    while other == lead {
        other = person(rng);
    }
    let n = rng.range(2, 9).to_string();
    Facts {
        kind,
        // `{topic_cap}` must be replaced before `{topic}` would match inside it.
        map: vec![
            ("{topic_cap}", topic_cap),
            ("{topic}", topic),
            ("{a}", a),
            ("{b}", b),
            ("{place}", place),
            ("{org}", org),
            ("{lead}", lead),
            ("{other}", other),
            ("{n}", n),
        ],
    }
}

/// A story's photographs: media id and, for reused photos, the caption
/// this story gives them.
type PhotoPool = Vec<(Id, Option<String>)>;

/// One planned article before it is stored.
struct Plan {
    at: DateTime<Utc>,
    story: Option<usize>,
    stage: usize,
    brief: Option<usize>,
}

/// Writes the demo newsroom through the application layer, with image files
/// under `media_dir`, in one transaction: a seed that stops half-way (killed,
/// disk full) leaves the database as it was. The database should be empty;
/// slugs of sections, tags and authors would otherwise collide.
pub async fn seed(
    newsroom: &Newsroom,
    media_dir: &Path,
    opts: &DemoOptions,
) -> anyhow::Result<DemoReport> {
    let mut w = newsroom.begin(&Actor::system("demo")).await?.bulk();
    let library = newsroom.media_library();
    let report = write_newsroom(&mut w, media_dir, library.as_deref(), opts).await?;
    w.rebuild_related().await?;
    w.commit().await?;
    newsroom.db().analyze().await?;
    Ok(report)
}

async fn write_newsroom(
    db: &mut Write,
    media_dir: &Path,
    library: Option<&Library>,
    opts: &DemoOptions,
) -> anyhow::Result<DemoReport> {
    let mut rng = Rng::new(opts.seed);
    let mut report = DemoReport::default();
    let demo_dir = media_dir.join("demo");
    std::fs::create_dir_all(&demo_dir)
        .with_context(|| format!("creating `{}`", demo_dir.display()))?;

    let mut sections = HashMap::new();
    for (i, (name, slug, desc)) in SECTIONS.iter().enumerate() {
        let s = db
            .create_section(&Section {
                id: 0,
                name: (*name).into(),
                slug: (*slug).into(),
                position: i as i32 + 1,
                description: (*desc).into(),
            })
            .await?;
        sections.insert(*slug, s);
    }

    let mut tag_ids: HashMap<&str, Id> = HashMap::new();
    for name in KINDS.iter().flat_map(|k| k.tags.iter()).chain(EXTRA_TAGS) {
        if !tag_ids.contains_key(name) {
            let t =
                db.create_tag(&Tag { id: 0, name: (*name).into(), slug: slugify(name) }).await?;
            tag_ids.insert(name, t.id);
        }
    }

    // Fifteen staff authors, spread over the six desks.
    let mut desk_authors: HashMap<&str, Vec<Id>> = HashMap::new();
    let mut used_names = HashSet::new();
    let mut author_rng = rng.fork(1);
    for i in 0..15 {
        let desk = i % SECTIONS.len();
        let mut name = person(&mut author_rng);
        while !used_names.insert(name.clone()) {
            name = person(&mut author_rng);
        }
        let pic = Picture::new(Scene::Portrait, &mut author_rng);
        let file = format!("demo/author-{}.jpg", slugify(&name));
        let drawn = pic.render_jpeg(400, 400)?;
        std::fs::write(media_dir.join(&file), &drawn)
            .with_context(|| format!("writing `{file}`"))?;
        report.image_files += 1;
        let portrait = Media {
            id: 0,
            file: file.clone(),
            width: 400,
            height: 400,
            alt: Some(pic.alt.clone()),
            caption: Some(name.clone()),
            credit: Some("The Newsdesk Daily".into()),
            rights: Some("Staff portrait".into()),
            renditions: vec![],
            file_name: file.rsplit('/').next().unwrap_or_default().to_owned(),
            ..Media::default()
        };
        let photo = add_photo(db, library, &portrait, &drawn).await?;
        let first = name.split(' ').next().unwrap_or_default().to_owned();
        let a = db
            .create_author(&Author {
                id: 0,
                slug: slugify(&name),
                title: Some(DESK_TITLES[desk].into()),
                bio: format!(
                    "{name} is a {} for The Newsdesk Daily. Before joining the paper, {first} reported for regional newspapers and a wire service. {first} can be reached at the newsroom's tips line.",
                    DESK_TITLES[desk].to_lowercase()
                ),
                name,
                photo_media_id: Some(photo.id),
            })
            .await?;
        desk_authors.entry(SECTIONS[desk].1).or_default().push(a.id);
    }

    // Plan stories until about 90 % of the articles are spoken for; briefs
    // fill the rest.
    let total = opts.articles.max(12);
    let period_days = (total as i64 / 5).max(60);
    let start = opts.anchor - Duration::days(period_days);
    let mut plans: Vec<Plan> = Vec::new();
    let mut story_facts: Vec<(Facts, Id, PhotoPool)> = Vec::new();
    let mut planned = 0;
    let mut story_rng = rng.fork(2);
    while planned < total * 9 / 10 {
        let kind = &KINDS[story_facts.len() % KINDS.len()];
        let facts = facts_for(kind, &mut story_rng);
        let max = kind.stages.len().min(12);
        let size = (story_rng.range(5, max as u64) as usize).min(total - planned).max(1);
        // Keep the opening stage and the order; drop some middle ones.
        let mut stages: Vec<usize> = std::iter::once(0)
            .chain({
                let mut rest: Vec<usize> = story_rng
                    .sample(kind.stages.len() - 1, size - 1)
                    .into_iter()
                    .map(|i| i + 1)
                    .collect();
                rest.sort_unstable();
                rest
            })
            .collect();
        stages.truncate(size);
        let span: i64 = stages.len() as i64 * 6;
        let offset_max = (period_days - span).max(1) as u64;
        let mut at = start + Duration::days(story_rng.range(0, offset_max) as i64);
        let story_idx = story_facts.len();
        for stage in stages {
            at += Duration::hours(story_rng.range(30, 140) as i64);
            plans.push(Plan {
                at: at.min(opts.anchor - Duration::minutes(5)),
                story: Some(story_idx),
                stage,
                brief: None,
            });
        }
        planned += size;
        let name = facts.fill(kind.story_name);
        let story = db
            .create_story(&Story {
                id: 0,
                slug: format!("{}-{}", slugify(&name), story_idx + 1),
                name: name.clone(),
            })
            .await?;
        // A pool of photos per story: each article draws its pictures here.
        // Past the first PHOTO_STORIES stories, a story reuses the photos of
        // an earlier story of the same kind with captions of its own, as a
        // desk reuses file photos; this keeps big demo newsrooms (the
        // benchmarks' 100k articles) from writing gigabytes of images.
        let mut pool: Vec<(Id, Option<String>)> = Vec::new();
        if story_idx >= PHOTO_STORIES {
            let (_, _, earlier) = &story_facts[story_idx % PHOTO_STORIES];
            for (p, (media_id, _)) in earlier.iter().enumerate() {
                pool.push((*media_id, Some(facts.fill(kind.captions[p % kind.captions.len()]))));
            }
        }
        for (p, scene) in kind.scenes.iter().enumerate().filter(|_| story_idx < PHOTO_STORIES) {
            let pic = Picture::new(*scene, &mut story_rng);
            let photographer = story_rng.pick(PHOTOGRAPHERS);
            let credit = match p % 3 {
                0 => format!("{photographer} / Pool photo via Meridian Press Agency"),
                1 => format!("{photographer} for The Newsdesk Daily"),
                _ => format!("{photographer} / Meridian Press Agency"),
            };
            let caption = facts.fill(kind.captions[p % kind.captions.len()]);
            let base = format!("demo/story{}-{}", story_idx + 1, p + 1);
            let id = store_photo(
                db,
                media_dir,
                library,
                &pic,
                &base,
                Some(caption),
                credit,
                &mut report,
            )
            .await?;
            pool.push((id, None));
        }
        story_facts.push((facts, story.id, pool));
    }
    let mut brief_rng = rng.fork(3);
    // One file photo per kind of brief.
    let mut brief_photos = Vec::new();
    for (i, (_, _, _, _, scene, _)) in BRIEFS.iter().enumerate() {
        let pic = Picture::new(*scene, &mut brief_rng);
        let credit = format!("{} / Meridian Press Agency", brief_rng.pick(PHOTOGRAPHERS));
        let base = format!("demo/brief{}", i + 1);
        let id =
            store_photo(db, media_dir, library, &pic, &base, None, credit, &mut report).await?;
        brief_photos.push(id);
    }
    while plans.len() < total {
        let at = start + Duration::minutes(brief_rng.range(0, period_days as u64 * 24 * 60) as i64);
        plans.push(Plan {
            at: at.min(opts.anchor - Duration::minutes(5)),
            story: None,
            stage: 0,
            brief: Some(brief_rng.range(0, BRIEFS.len() as u64 - 1) as usize),
        });
    }
    plans.sort_by_key(|p| p.at);

    // Write in publication order so timelines can point at earlier articles.
    let mut written: HashMap<(usize, usize), (Id, DateTime<Utc>, String)> = HashMap::new();
    let mut paths = HashSet::new();
    let mut art_rng = rng.fork(4);
    let wire_credit = |r: &mut Rng| match r.range(0, 2) {
        0 => "Staff and wire reports".to_owned(),
        1 => format!("By {}, Meridian Press Agency", person(r)),
        _ => "Meridian Press Agency".to_owned(),
    };
    for plan in &plans {
        let mut a = Article::draft("", plan.at);
        let section_slug;
        if let Some(si) = plan.story {
            let (facts, story_id, pool) = &story_facts[si];
            let kind = facts.kind;
            section_slug = kind.section;
            let stage = &kind.stages[plan.stage];
            a.headlines.display = facts.fill(stage.headline);
            a.dek = facts.fill(stage.dek);
            a.story_id = Some(*story_id);
            a.body = story_body(facts, pool, plan, &written, &mut art_rng);
            let (lead_id, lead_caption) = &pool[plan.stage % pool.len()];
            a.lead = Some(Figure { caption: lead_caption.clone(), ..Figure::of(*lead_id) });
            let n_sources = art_rng.range(1, 3) as usize;
            for i in art_rng.sample(kind.sources.len(), n_sources) {
                let (name, skind, what) = kind.sources[i];
                a.sources.push(Source {
                    name: facts.fill(name),
                    kind: skind,
                    url: None,
                    attributed: facts.fill(what),
                });
            }
            let mut tags: Vec<Id> = art_rng
                .sample(kind.tags.len(), 2)
                .into_iter()
                .map(|i| tag_ids[kind.tags[i]])
                .collect();
            if art_rng.chance(0.3) {
                tags.push(tag_ids[art_rng.pick(EXTRA_TAGS)]);
            }
            a.tags = tags;
            if plan.stage == 0 {
                a.headlines.teaser = Some(facts.fill(kind.story_name));
            }
        } else {
            let bi = plan.brief.unwrap_or_default();
            let (sec, h, d, paras, _, caption) = BRIEFS[bi];
            section_slug = sec;
            let place = (*art_rng.pick(stories::CITIES)).to_owned();
            let f = |s: &str| s.replace("{place}", &place);
            a.headlines.display = f(h);
            a.dek = f(d);
            // Every article has two or three subheads, briefs included.
            a.body = vec![
                Block::paragraph(f(paras[0])),
                Block::Subhead { text: "What happened".into() },
                Block::paragraph(f(paras[1])),
                Block::Subhead { text: "What comes next".into() },
                Block::paragraph(f(paras[2])),
            ];
            a.lead = Some(Figure { caption: Some(f(caption)), ..Figure::of(brief_photos[bi]) });
            a.sources.push(Source {
                name: "Meridian Press Agency".into(),
                kind: newsdesk_core::SourceKind::Wire,
                url: None,
                attributed: "the facts of this report".into(),
            });
            a.tags = vec![tag_ids[art_rng.pick(EXTRA_TAGS)]];
        }
        a.section_id = Some(sections[section_slug].id);
        let desk = &desk_authors[section_slug];
        a.bylines = if art_rng.chance(0.65) {
            let mut b = vec![Byline::Author { author_id: *art_rng.pick(desk) }];
            if desk.len() > 1 && art_rng.chance(0.2) {
                let other = *art_rng.pick(desk);
                if !b.contains(&Byline::Author { author_id: other }) {
                    b.push(Byline::Author { author_id: other });
                }
            }
            b
        } else {
            vec![Byline::Credit { text: wire_credit(&mut art_rng) }]
        };
        a.slug = slugify(&a.headlines.display);
        let day = plan.at.with_timezone(&opts.tz).date_naive();
        let mut n = 2;
        while !paths.insert(article_path(section_slug, day, &a.slug)) {
            a.slug = format!("{}-{n}", slugify(&a.headlines.display));
            n += 1;
        }
        if art_rng.chance(0.25) {
            a.updated_at = plan.at + Duration::minutes(art_rng.range(20, 600) as i64);
        }
        if art_rng.chance(0.08) {
            let at = plan.at + Duration::hours(art_rng.range(2, 30) as i64);
            a.corrections.push(Correction {
                at,
                text: "An earlier version of this article misstated the day of the week on which the previous meeting took place. It was a Tuesday, not a Wednesday.".into(),
            });
            a.updated_at = a.updated_at.max(at);
        }
        a.updated_at = a.updated_at.min(opts.anchor);
        let stored = db.create_draft(a.clone()).await?.article;
        db.publish_as_of(stored.id, plan.at).await?;
        if let Some(si) = plan.story {
            written.insert((si, plan.stage), (stored.id, plan.at, a.headlines.display.clone()));
            report.story_members.entry(story_facts[si].1).or_default().push(stored.id);
        }
        report.articles += 1;
    }
    // Pin the newest story of four different sections as top stories.
    let mut pinned_sections = HashSet::new();
    let mut rank = 1;
    for plan in plans.iter().rev() {
        let Some(si) = plan.story else { continue };
        let (facts, _, _) = &story_facts[si];
        if rank > 4 || !pinned_sections.insert(facts.kind.section) {
            continue;
        }
        let (id, _, _) = &written[&(si, plan.stage)];
        let (mut a, v) = db.tx().find_article_versioned(*id).await?;
        a.top_rank = Some(rank);
        db.save(a, v).await?;
        rank += 1;
    }
    report.stories = story_facts.len();
    Ok(report)
}

/// Draws `pic` at every width of [`PHOTO_WIDTHS`] as `{base}-{width}.jpg`
/// and adds it to the media library; returns its id.
#[allow(clippy::too_many_arguments, reason = "one call site per kind of photo")]
async fn store_photo(
    db: &mut Write,
    media_dir: &Path,
    library: Option<&Library>,
    pic: &Picture,
    base: &str,
    caption: Option<String>,
    credit: String,
    report: &mut DemoReport,
) -> anyhow::Result<Id> {
    let mut renditions = Vec::new();
    let mut drawn = Vec::new();
    for w in PHOTO_WIDTHS {
        let h = w * 9 / 16;
        let file = format!("{base}-{w}.jpg");
        drawn = pic.render_jpeg(w, h)?;
        std::fs::write(media_dir.join(&file), &drawn)
            .with_context(|| format!("writing `{file}`"))?;
        report.image_files += 1;
        renditions.push(Rendition {
            file,
            width: w as u32,
            height: h as u32,
            kind: Default::default(),
        });
    }
    let original = renditions.pop().context("photo sizes are not empty")?;
    let item = Media {
        id: 0,
        file_name: original.file.rsplit('/').next().unwrap_or_default().to_owned(),
        file: original.file,
        width: original.width,
        height: original.height,
        alt: Some(pic.alt.clone()),
        caption,
        credit: Some(credit),
        rights: Some("Editorial use only".into()),
        renditions,
        ..Media::default()
    };
    Ok(add_photo(db, library, &item, &drawn).await?.id)
}

/// Adds a drawn photo to the library. With a media library to keep it in,
/// the largest drawing is kept as the original and the library's own
/// renditions (WebP, crops) are queued: the drawn sizes serve until the
/// worker has made them.
async fn add_photo(
    db: &mut Write,
    library: Option<&Library>,
    m: &Media,
    original: &[u8],
) -> anyhow::Result<Media> {
    Ok(match library {
        Some(lib) => db.add_media_from(lib, m, original).await?,
        None => db.add_media(m).await?,
    })
}

fn story_body(
    facts: &Facts,
    pool: &PhotoPool,
    plan: &Plan,
    written: &HashMap<(usize, usize), (Id, DateTime<Utc>, String)>,
    rng: &mut Rng,
) -> Vec<Block> {
    let kind = facts.kind;
    let stage = &kind.stages[plan.stage];
    let mut bg = rng.sample(kind.background.len(), kind.background.len()).into_iter().cycle();
    let mut next_bg = || facts.fill(kind.background[bg.next().unwrap_or_default()]);
    let mut body = vec![Block::paragraph(facts.fill(stage.lede))];
    let bg1 = next_bg();
    body.push(Block::Paragraph {
        content: vec![
            Inline::text(format!("{bg1} ")),
            Inline::Emphasis { children: vec![Inline::text(next_bg())] },
        ],
    });
    let mut heads = rng.sample(kind.subheads.len(), 3);
    // "What comes next" belongs at the end when it is used.
    heads.sort_by_key(|&i| kind.subheads[i] == "What comes next");
    body.push(Block::Subhead { text: kind.subheads[heads[0]].into() });
    body.push(Block::paragraph(format!("{} {}", next_bg(), next_bg())));
    let (q, who) = *rng.pick(kind.quotes);
    body.push(Block::Quote { text: q.into(), attribution: Some(facts.fill(who)) });
    body.push(Block::paragraph(next_bg()));
    if pool.len() > 1 && rng.chance(0.7) {
        let (media_id, caption) = &pool[(plan.stage + 1) % pool.len()];
        body.push(Block::Figure(Figure { caption: caption.clone(), ..Figure::of(*media_id) }));
    }
    body.push(Block::Subhead { text: kind.subheads[heads[1]].into() });
    body.push(Block::paragraph(next_bg()));
    body.push(Block::paragraph(next_bg()));
    let earlier: Vec<&(Id, DateTime<Utc>, String)> =
        (0..plan.stage).filter_map(|s| written.get(&(plan.story.unwrap_or_default(), s))).collect();
    if earlier.len() >= 2 && rng.chance(0.6) {
        body.push(Block::Timeline {
            title: Some(kind.timeline_title.into()),
            entries: earlier
                .iter()
                .map(|(id, at, headline)| TimelineEntry {
                    date: at.date_naive(),
                    text: headline.clone(),
                    article_id: Some(*id),
                })
                .collect(),
        });
    }
    if rng.chance(0.8) {
        body.push(Block::Subhead { text: kind.subheads[heads[2]].into() });
        body.push(Block::paragraph(next_bg()));
        if rng.chance(0.4) {
            body.push(Block::List {
                ordered: false,
                items: rng
                    .sample(kind.background.len(), 3)
                    .into_iter()
                    .map(|i| {
                        let s = facts.fill(kind.background[i]);
                        let first = s
                            .split(". ")
                            .next()
                            .unwrap_or_default()
                            .trim_end_matches('.')
                            .to_owned();
                        vec![Inline::text(format!("{first}."))]
                    })
                    .collect(),
            });
        }
    }
    body
}
