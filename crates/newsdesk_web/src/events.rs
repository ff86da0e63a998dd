//! Turning the event log into cache invalidation: what each change means
//! for the pages this server keeps.

use crate::app::{SharedTaxonomy, Taxonomy};
use crate::cache::PageCache;
use newsdesk_app::events::{BoxFuture, Event, EventSink, Placement};
use newsdesk_db::Database;
use std::sync::Arc;

/// The surrogate keys of everything that shows an article placed so: the
/// home page (and the site feed), its section, tag and author pages and
/// feeds, the sitemaps.
pub fn placement_keys(p: &Placement, keys: &mut Vec<String>) {
    keys.push("home".into());
    keys.push("sitemaps".into());
    keys.extend(p.section_id.map(|s| format!("section:{s}")));
    keys.extend(p.tags.iter().map(|t| format!("tag:{t}")));
    keys.extend(p.authors.iter().map(|a| format!("author:{a}")));
}

/// What an event asks of the cache.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Invalidation {
    /// Make the pages with any of these surrogate keys stale (built again
    /// on the next request; served meanwhile only when the database cannot
    /// build them).
    pub keys: Vec<String>,
    /// Drop the pages with any of these keys outright: they show content
    /// taken down, which must not be served even stale.
    pub gone: Vec<String>,
    /// Reload sections, tags, authors and stories, and drop every page.
    pub reload_taxonomy: bool,
    /// Drop every page.
    pub everything: bool,
}

/// What `events` ask of the cache, merged.
pub fn invalidation(events: &[Event]) -> Invalidation {
    let mut out = Invalidation::default();
    for e in events {
        match e {
            Event::ArticlePublished { id, placement, .. } => {
                out.keys.push(format!("article:{id}"));
                placement_keys(placement, &mut out.keys);
            }
            Event::ArticleUpdated { id, before, after, .. } => {
                // A page that shows it as a card (a rail, a timeline) also
                // names it, so its headline changes there too.
                out.keys.push(format!("article:{id}"));
                placement_keys(before, &mut out.keys);
                placement_keys(after, &mut out.keys);
            }
            Event::ArticleUnpublished { id, placement, listed_by, .. } => {
                out.gone.push(format!("article:{id}"));
                placement_keys(placement, &mut out.gone);
                out.gone.extend(listed_by.iter().map(|l| format!("article:{l}")));
            }
            Event::RelatedChanged { ids } => {
                out.keys.extend(ids.iter().map(|i| format!("article:{i}")));
            }
            Event::TaxonomyChanged { .. } => out.reload_taxonomy = true,
            // A picture shows on its articles' pages and on every card
            // and rail that lists them, as portraits on author pages and
            // as the logo on every page: rare enough to drop them all.
            Event::MediaChanged { shown: true, .. } => {
                out.reload_taxonomy = true;
                out.everything = true;
            }
            Event::MediaChanged { shown: false, .. } => {}
            Event::SiteChanged { .. } | Event::Unknown => {
                out.reload_taxonomy = true;
                out.everything = true;
            }
            Event::ArticleCreated { .. }
            | Event::ArticleSaved { .. }
            | Event::ArticleDeleted { .. }
            | Event::ScheduleFailed { .. }
            | Event::MediaAdded { .. } => {}
        }
    }
    out.keys.sort_unstable();
    out.keys.dedup();
    out.gone.sort_unstable();
    out.gone.dedup();
    out
}

/// The web layer's [`EventSink`]: drops cached pages and reloads the
/// taxonomy as events say.
pub struct CacheSink {
    db: Database,
    cache: Arc<PageCache>,
    taxonomy: Arc<SharedTaxonomy>,
    api: Option<Arc<PageCache>>,
}

impl CacheSink {
    /// A sink over these caches.
    pub fn new(db: Database, cache: Arc<PageCache>, taxonomy: Arc<SharedTaxonomy>) -> CacheSink {
        CacheSink { db, cache, taxonomy, api: None }
    }

    /// Also drops the Content API's answers whenever readers could see a
    /// change (they list across sections, tags and authors, so any such
    /// change may touch any of them).
    pub fn with_api_cache(mut self, api: Arc<PageCache>) -> CacheSink {
        self.api = Some(api);
        self
    }

    /// Reloads the taxonomy and makes every page stale (navigation appears
    /// on all of them); `false` when the taxonomy could not be read.
    async fn reload_taxonomy(&self) -> bool {
        let ok = match Taxonomy::load(&self.db).await {
            Ok(t) => {
                self.taxonomy.set(t);
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not reload sections, tags and authors");
                false
            }
        };
        self.cache.clear();
        // Answers built while the old taxonomy was still in memory go too.
        self.clear_api();
        ok
    }

    fn clear_api(&self) {
        // The API serves no stale answers: nothing to keep.
        if let Some(api) = &self.api {
            api.purge();
        }
    }
}

impl EventSink for CacheSink {
    fn apply<'a>(&'a self, events: &'a [Event]) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let inv = invalidation(events);
            let api_too = inv.everything
                || inv.reload_taxonomy
                || !inv.keys.is_empty()
                || !inv.gone.is_empty();
            if api_too {
                self.clear_api();
            }
            // Pages go first, so even when the taxonomy cannot be read the
            // cache serves nothing out of date while it can build pages;
            // the events come back for the rest.
            if !inv.gone.is_empty() {
                self.cache.remove(&inv.gone);
            }
            if inv.everything {
                self.cache.clear();
            } else if !inv.keys.is_empty() {
                self.cache.invalidate(&inv.keys);
            }
            if inv.reload_taxonomy { self.reload_taxonomy().await } else { true }
        })
    }

    fn reset(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {
            // Missed events, which may have taken content down: drop
            // everything, stale copies too.
            self.cache.purge();
            self.reload_taxonomy().await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_names_the_pages_that_show_the_change() {
        let p = |s, t: &[i64], a: &[i64]| Placement {
            section_id: Some(s),
            tags: t.to_vec(),
            authors: a.to_vec(),
        };
        let inv = invalidation(&[
            Event::ArticleUpdated {
                id: 7,
                path: "/x".into(),
                before: p(1, &[2], &[]),
                after: p(3, &[2], &[4]),
            },
            Event::RelatedChanged { ids: vec![9, 10] },
            Event::ArticleSaved { id: 11, status: "draft".into() },
        ]);
        assert_eq!(
            inv.keys,
            [
                "article:10",
                "article:7",
                "article:9",
                "author:4",
                "home",
                "section:1",
                "section:3",
                "sitemaps",
                "tag:2"
            ]
        );
        assert!(!inv.reload_taxonomy && !inv.everything);
        let gone = invalidation(&[Event::ArticleUnpublished {
            id: 5,
            path: "/y".into(),
            placement: p(1, &[], &[]),
            listed_by: vec![6],
        }]);
        assert!(gone.gone.contains(&"article:6".to_owned()), "rails that listed it");
        assert!(gone.gone.contains(&"article:5".to_owned()) && gone.gone.contains(&"home".into()));
        assert!(gone.keys.is_empty(), "pages of a story taken down are dropped, never kept stale");
        assert!(
            invalidation(&[Event::TaxonomyChanged { what: "tag".into(), id: 1 }]).reload_taxonomy
        );
        assert!(invalidation(&[Event::Unknown]).everything, "unknown kinds drop everything");
        assert_eq!(invalidation(&[Event::ArticleCreated { id: 1 }]), Invalidation::default());
    }
}
