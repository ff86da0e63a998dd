//! The application state every handler shares.

use crate::cache::{CachedPage, IMMUTABLE_CACHE_CONTROL, PageCache};
use axum::http::StatusCode;
use newsdesk_app::Newsroom;
use newsdesk_app::events::Follower;
use newsdesk_app::settings::SiteSettings;
use newsdesk_config::Config;
use newsdesk_core::{Author, Id, Section, Story, Tag};
use newsdesk_db::Database;
use newsdesk_render::{Link, Renderer, SiteView};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// Sections, tags, authors and stories, and the settings changed in the
/// back office, held in memory: small, and read on every page.
#[derive(Debug, Default, Clone)]
pub struct Taxonomy {
    /// The site's settings set in the database.
    pub settings: SiteSettings,
    /// The logo's file in the media folder, when the settings name one.
    pub logo_file: Option<String>,
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
        let settings = SiteSettings::load(db).await?;
        let logo_file = match settings.logo_media_id {
            Some(m) => db.media_by_ids(&[m]).await?.into_iter().next().map(|m| m.file),
            None => None,
        };
        Ok(Taxonomy {
            settings,
            logo_file,
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

/// The taxonomy as the site shows it, swapped whole when it changes.
#[derive(Debug, Default)]
pub struct SharedTaxonomy(RwLock<Arc<Taxonomy>>);

impl SharedTaxonomy {
    /// The taxonomy as last loaded.
    pub fn get(&self) -> Arc<Taxonomy> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces it.
    pub fn set(&self, t: Taxonomy) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(t);
    }
}

/// The application: configuration, the newsroom (store and use cases),
/// theme, caches, and the follower that keeps the caches in step with
/// changes made by any process.
pub struct App {
    /// Configuration.
    pub config: Config,
    /// The store, for reads.
    pub db: Database,
    /// The use cases, for writes.
    pub newsroom: Arc<Newsroom>,
    /// The theme.
    pub renderer: Renderer,
    /// Rendered pages.
    pub cache: Arc<PageCache>,
    /// Follows the event log into [`App::cache`] and the taxonomy.
    pub follower: Arc<Follower>,
    /// The configuration's time zone (the settings may set another).
    default_tz: chrono_tz::Tz,
    /// Public base URL without a trailing slash.
    pub base_url: String,
    /// Where media files live.
    pub media_dir: PathBuf,
    /// The `Content-Security-Policy` header value.
    pub csp: axum::http::HeaderValue,
    /// Fingerprinted static assets by file name.
    pub assets: HashMap<String, Arc<CachedPage>>,
    /// The bounded wait in front of database work.
    pub gate: Arc<crate::gate::DbGate>,
    /// The turns searches take before [`App::gate`]: half of its turns, so
    /// a flood of searches (never cached, each a query) always leaves the
    /// other half to pages that are built once and then served from memory.
    pub search_gate: Arc<crate::gate::DbGate>,
    /// How many static exports are running ([`App::exporting`]).
    pub exports: std::sync::atomic::AtomicUsize,
    /// Feed items the export has made so far, for the other feeds that
    /// show the same articles (empty outside an export).
    pub feed_items: std::sync::Mutex<crate::controllers::site::distribution::SharedFeedItems>,
    /// Rail cards the export has made so far (their markup), for the
    /// other article pages whose rails show the same stories (empty
    /// outside an export).
    pub rail_cards: std::sync::Mutex<crate::memo::Shared<Arc<crate::views::RailCard>>>,
    /// The back office's stylesheet, fingerprinted.
    pub admin_stylesheet_url: String,
    /// The back office's script.
    pub admin_script_url: String,
    /// The body editor's script.
    pub editor_script_url: String,
    /// The site's logo, fingerprinted (the back office's icon).
    pub logo_url: String,
    /// The Content API's answers, dropped whenever readers could see a
    /// change.
    pub api_cache: Arc<PageCache>,
    /// Request budgets of API keys on this server.
    pub api_limits: crate::controllers::api::RateLimits,
    /// Values every template receives (navigation filled per render).
    site: SiteView,
    taxonomy: Arc<SharedTaxonomy>,
}

/// Content API answers kept in memory (each at most
/// [`API_CACHE_MAX_BYTES`], so at most 64 MiB in all).
pub const API_CACHE_ENTRIES: usize = 256;

/// The largest Content API answer kept; larger ones are built each time.
pub const API_CACHE_MAX_BYTES: usize = 256 * 1024;

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
    /// Whether a static export is running. It asks for every format of
    /// every feed: a feed's build then stores its other two formats in
    /// the cache too, reads its image sizes on the lane, and shares its
    /// items with the other feeds ([`App::feed_items`]); article pages
    /// share their rail cards ([`App::rail_cards`]). A server alone
    /// does none of that (readers poll one format; the cache keeps what
    /// they ask for).
    pub fn exporting(&self) -> bool {
        self.exports.load(std::sync::atomic::Ordering::Relaxed) > 0
    }

    /// Builds the application over a migrated store. The event follower is
    /// created here and runs once [`crate::serve`] starts it.
    pub async fn new(config: Config, db: Database) -> anyhow::Result<App> {
        config.validate()?;
        let tz = config.timezone()?;
        let renderer = Renderer::new(config.theme.dir.as_deref())?;
        let taxonomy = Arc::new(SharedTaxonomy::default());
        taxonomy.set(Taxonomy::load(&db).await?);
        let cache = Arc::new(PageCache::new(config.server.page_cache_entries));
        // The follower's statements are not the requests': a counter of
        // its own keeps "queries per page" honest.
        let background = db.with_own_counter();
        let api_cache = Arc::new(PageCache::new(API_CACHE_ENTRIES));
        let sink = Arc::new(
            crate::events::CacheSink::new(background.clone(), cache.clone(), taxonomy.clone())
                .with_api_cache(api_cache.clone()),
        );
        let newsroom = Arc::new(
            Newsroom::new(db.clone(), tz)
                .with_library(media_library(&config))
                .with_webhook_policy(webhook_policy(&config)),
        );
        let follower =
            Arc::new(Follower::start(background, sink, newsroom.signals().clone()).await?);
        let (css_name, css) =
            asset("site", "css", "text/css; charset=utf-8", newsdesk_render::STYLESHEET);
        let (js_name, js) =
            asset("share", "js", "text/javascript; charset=utf-8", newsdesk_render::SCRIPT);
        let (logo_name, logo) = asset("logo", "svg", "image/svg+xml", newsdesk_render::LOGO_SVG);
        let (admin_css_name, admin_css) =
            asset("admin", "css", "text/css; charset=utf-8", newsdesk_render::ADMIN_STYLESHEET);
        let admin_stylesheet_url = format!("/assets/{admin_css_name}");
        let (admin_js_name, admin_js) =
            asset("admin", "js", "text/javascript; charset=utf-8", newsdesk_render::ADMIN_SCRIPT);
        let admin_script_url = format!("/assets/{admin_js_name}");
        let (editor_js_name, editor_js) =
            asset("editor", "js", "text/javascript; charset=utf-8", newsdesk_render::EDITOR_SCRIPT);
        let editor_script_url = format!("/assets/{editor_js_name}");
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
        let assets = HashMap::from([
            (css_name, css),
            (js_name, js),
            (logo_name, logo),
            (admin_css_name, admin_css),
            (admin_js_name, admin_js),
            (editor_js_name, editor_js),
        ]);
        let csp = axum::http::HeaderValue::from_str(&config.server.content_security_policy)?;
        let gate = Arc::new(crate::gate::DbGate::new(
            crate::gate::permits_for(db.pool_size()),
            crate::gate::QUEUE_DEADLINE,
        ));
        let search_gate = Arc::new(crate::gate::DbGate::new(
            (gate.permits() / 2).max(1),
            crate::gate::QUEUE_DEADLINE,
        ));
        Ok(App {
            exports: Default::default(),
            feed_items: Default::default(),
            rail_cards: Default::default(),
            api_limits: Default::default(),
            api_cache,
            gate,
            search_gate,
            admin_stylesheet_url,
            admin_script_url,
            editor_script_url,
            logo_url: site.logo_url.clone(),
            csp,
            cache,
            follower,
            newsroom,
            media_dir: config.media_dir(),
            default_tz: tz,
            base_url,
            renderer,
            assets,
            site,
            taxonomy,
            config,
            db,
        })
    }

    /// The taxonomy as last loaded.
    pub fn taxonomy(&self) -> Arc<Taxonomy> {
        self.taxonomy.get()
    }

    /// Applies every change committed so far, by any process, to this
    /// server's caches: after a use case, a handler calls it so the next
    /// page it serves already shows the change.
    pub async fn catch_up(&self) -> newsdesk_db::Result<usize> {
        self.follower.catch_up().await
    }

    /// The site values for a template, with current navigation and
    /// settings.
    pub fn site_view(&self, t: &Taxonomy) -> SiteView {
        SiteView {
            sections: section_links(t),
            title: t.settings.title.clone().unwrap_or_else(|| self.site.title.clone()),
            description: t
                .settings
                .description
                .clone()
                .unwrap_or_else(|| self.site.description.clone()),
            logo_url: t
                .logo_file
                .as_ref()
                .map_or_else(|| self.site.logo_url.clone(), |f| newsdesk_content::media_url(f)),
            ..self.site.clone()
        }
    }

    /// The site's time zone: the settings', else the configuration's.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.taxonomy().settings.tz().unwrap_or(self.default_tz)
    }

    /// The publication's name: the settings', else the configuration's.
    pub fn title(&self) -> String {
        self.taxonomy().settings.title.clone().unwrap_or_else(|| self.config.site.title.clone())
    }

    /// One sentence about the publication: the settings', else the
    /// configuration's.
    pub fn description(&self) -> String {
        let t = self.taxonomy();
        t.settings.description.clone().unwrap_or_else(|| self.config.site.description.clone())
    }

    /// An absolute URL for a site path.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

fn section_links(t: &Taxonomy) -> Vec<Link> {
    t.sections.iter().map(|s| Link { name: s.name.clone(), url: format!("/{}", s.slug) }).collect()
}

/// What webhooks may reach, as the configuration's `[api]` says.
pub fn webhook_policy(config: &Config) -> newsdesk_app::integrations::WebhookPolicy {
    newsdesk_app::integrations::WebhookPolicy {
        allow_private: config.api.webhooks_allow_private,
        // A try must end before its job's lease does, or another worker
        // would send it a second time meanwhile.
        timeout: std::time::Duration::from_secs(
            config
                .api
                .webhook_timeout_seconds
                .clamp(1, 60)
                .min(config.jobs.lease_seconds.saturating_sub(1).max(1)),
        ),
    }
}

/// The media library a configuration describes: the public media folder,
/// the private originals beside it, and the upload limits.
pub fn media_library(config: &Config) -> newsdesk_app::media::Library {
    let mut lib = newsdesk_app::media::Library::local(&config.media_dir(), &config.originals_dir());
    lib.limits = newsdesk_media::Limits {
        max_bytes: config.media.max_upload_bytes(),
        max_pixels: config.media.max_megapixels * 1_000_000,
    };
    lib
}
