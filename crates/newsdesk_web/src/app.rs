//! The application state every handler shares.

use crate::cache::{CachedPage, IMMUTABLE_CACHE_CONTROL, PageCache};
use axum::http::StatusCode;
use newsdesk_config::Config;
use newsdesk_core::{Author, Id, Section, Story, Tag};
use newsdesk_db::Database;
use newsdesk_render::{Link, Renderer, SiteView};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// Sections, tags, authors and stories, held in memory: small, and read on
/// every page.
#[derive(Debug, Default, Clone)]
pub struct Taxonomy {
    /// Sections in navigation order.
    pub sections: Vec<Section>,
    /// Tags by id.
    pub tags: HashMap<Id, Tag>,
    /// Authors by id.
    pub authors: HashMap<Id, Author>,
    /// Stories by id.
    pub stories: HashMap<Id, Story>,
}

impl Taxonomy {
    /// Loads everything from the store.
    pub async fn load(db: &Database) -> newsdesk_db::Result<Taxonomy> {
        Ok(Taxonomy {
            sections: db.list_sections().await?,
            tags: db.list_tags().await?.into_iter().map(|t| (t.id, t)).collect(),
            authors: db.list_authors().await?.into_iter().map(|a| (a.id, a)).collect(),
            stories: db.list_stories().await?.into_iter().map(|s| (s.id, s)).collect(),
        })
    }

    /// The section with this id.
    pub fn section(&self, id: Option<Id>) -> Option<&Section> {
        id.and_then(|id| self.sections.iter().find(|s| s.id == id))
    }
}

/// The application: configuration, store, theme, caches.
pub struct App {
    /// Configuration.
    pub config: Config,
    /// The store.
    pub db: Database,
    /// The theme.
    pub renderer: Renderer,
    /// Rendered pages.
    pub cache: PageCache,
    /// The site's time zone.
    pub tz: chrono_tz::Tz,
    /// Public base URL without a trailing slash.
    pub base_url: String,
    /// Where media files live.
    pub media_dir: PathBuf,
    /// The `Content-Security-Policy` header value.
    pub csp: axum::http::HeaderValue,
    /// Fingerprinted static assets by file name.
    pub assets: HashMap<String, Arc<CachedPage>>,
    /// Values every template receives (navigation filled per render).
    site: SiteView,
    taxonomy: RwLock<Arc<Taxonomy>>,
}

/// Shared handle to the [`App`].
pub type AppState = Arc<App>;

fn asset(
    name: &str,
    ext: &str,
    content_type: &'static str,
    body: &'static str,
) -> (String, Arc<CachedPage>) {
    let file = format!("{name}.{:08x}.{ext}", newsdesk_render::fingerprint(body.as_bytes()) as u32);
    let page =
        CachedPage::new(StatusCode::OK, content_type, IMMUTABLE_CACHE_CONTROL, body, None, vec![]);
    (file, Arc::new(page))
}

impl App {
    /// Builds the application over a migrated store.
    pub async fn new(config: Config, db: Database) -> anyhow::Result<App> {
        config.validate()?;
        let tz = config.timezone()?;
        let renderer = Renderer::new(config.theme.dir.as_deref())?;
        let taxonomy = Taxonomy::load(&db).await?;
        let (css_name, css) =
            asset("site", "css", "text/css; charset=utf-8", newsdesk_render::STYLESHEET);
        let (js_name, js) =
            asset("share", "js", "text/javascript; charset=utf-8", newsdesk_render::SCRIPT);
        let (logo_name, logo) = asset("logo", "svg", "image/svg+xml", newsdesk_render::LOGO_SVG);
        let base_url = config.base_url();
        let site = SiteView {
            title: config.site.title.clone(),
            description: config.site.description.clone(),
            base_url: base_url.clone(),
            language: config.site.language.clone(),
            sections: Vec::new(),
            stylesheet_url: format!("/assets/{css_name}"),
            script_url: format!("/assets/{js_name}"),
            logo_url: format!("/assets/{logo_name}"),
        };
        let assets = HashMap::from([(css_name, css), (js_name, js), (logo_name, logo)]);
        let csp = axum::http::HeaderValue::from_str(&config.server.content_security_policy)?;
        Ok(App {
            csp,
            cache: PageCache::new(config.server.page_cache_entries),
            media_dir: config.media_dir(),
            tz,
            base_url,
            renderer,
            assets,
            site,
            taxonomy: RwLock::new(Arc::new(taxonomy)),
            config,
            db,
        })
    }

    /// The taxonomy as last loaded.
    pub fn taxonomy(&self) -> Arc<Taxonomy> {
        self.taxonomy.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reloads sections, tags, authors and stories, and drops every cached
    /// page (navigation appears on all of them).
    pub async fn reload_taxonomy(&self) -> anyhow::Result<()> {
        let t = Taxonomy::load(&self.db).await?;
        *self.taxonomy.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(t);
        self.cache.clear();
        Ok(())
    }

    /// The site values for a template, with current navigation.
    pub fn site_view(&self, t: &Taxonomy) -> SiteView {
        SiteView { sections: section_links(t), ..self.site.clone() }
    }

    /// The surrogate keys of everything that shows `a`: its page, the home
    /// page, its section, tag and author pages and their feeds, sitemaps.
    pub fn keys_for(a: &newsdesk_core::Article) -> Vec<String> {
        let mut keys = vec![format!("article:{}", a.id), "home".into(), "sitemaps".into()];
        keys.extend(a.section_id.map(|s| format!("section:{s}")));
        keys.extend(a.tags.iter().map(|t| format!("tag:{t}")));
        keys.extend(a.bylines.iter().filter_map(|b| match b {
            newsdesk_core::Byline::Author { author_id } => Some(format!("author:{author_id}")),
            newsdesk_core::Byline::Credit { .. } => None,
        }));
        keys
    }

    /// Publishes a stored article and drops exactly the cached pages that
    /// show it: [`App::keys_for`], plus the articles whose related rail
    /// changed because of it.
    pub async fn publish_article(&self, id: Id) -> anyhow::Result<newsdesk_core::Article> {
        let a = self
            .db
            .publish_article(id, chrono::Utc::now(), self.tz, newsdesk_db::RelatedUpdate::Deferred)
            .await?;
        let changed = self.db.recompute_related(id).await?;
        let mut keys = App::keys_for(&a);
        keys.extend(changed.iter().map(|c| format!("article:{c}")));
        self.cache.invalidate(&keys);
        Ok(a)
    }

    /// Saves an edit made from `expected_version` and, when the article is
    /// public, drops the pages that showed it before or show it now (a
    /// section or tag change touches both the old and the new lists).
    pub async fn update_article(
        &self,
        a: &newsdesk_core::Article,
        expected_version: i32,
    ) -> anyhow::Result<i32> {
        let before = self.db.find_article(a.id).await?;
        let version = self.db.update_article(a, expected_version).await?;
        if before.status.is_public() {
            let mut keys = App::keys_for(&before);
            keys.extend(App::keys_for(a));
            self.cache.invalidate(&keys);
        }
        Ok(version)
    }

    /// Takes an article down and drops the pages that showed it, including
    /// the rails it appeared in.
    pub async fn unpublish_article(&self, id: Id) -> anyhow::Result<()> {
        let a = self.db.find_article(id).await?;
        let mut keys = App::keys_for(&a);
        keys.extend(self.db.articles_relating_to(id).await?.iter().map(|r| format!("article:{r}")));
        self.db.unpublish_article(id).await?;
        self.cache.invalidate(&keys);
        Ok(())
    }

    /// An absolute URL for a site path.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

fn section_links(t: &Taxonomy) -> Vec<Link> {
    t.sections.iter().map(|s| Link { name: s.name.clone(), url: format!("/{}", s.slug) }).collect()
}
