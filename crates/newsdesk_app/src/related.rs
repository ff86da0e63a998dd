//! Related stories, kept up to date one article at a time.
//!
//! Publishing indexes the article's terms as postings and scores it against
//! the newest articles that share its terms (at most [`NEWEST_PER_TERM`] per
//! term) and against its running story, so the work per publish does not
//! grow with the archive. Other articles' rails follow in a job
//! ([`update_neighbours`]): because the score is symmetric, the new article
//! enters another article's rail when it scores above the last story there
//! (as scored when that rail was computed: lengths and document frequencies
//! drift a little as the archive grows, until the next bulk rebuild). The bulk rebuild ([`rebuild_all`]) pages through the archive and
//! scores everything in memory with interned terms.

use chrono::{DateTime, Utc};
use newsdesk_content::related::{
    Features, IndexBuilder, MAX_POSTINGS, RAIL_SIZE, RelatedIndex, Scored, cosines, term_profile,
    vector_norm,
};
use newsdesk_core::{Article, Id};
use newsdesk_db::{ProfileRow, Result, TermStat, Tx};
use std::collections::HashMap;
use std::sync::Arc;

/// Postings read per term when scoring one article: the newest articles
/// with that term. Distinctive terms (found in fewer articles) are read
/// whole; common ones contribute their most recent articles, which is where
/// related news lives.
pub const NEWEST_PER_TERM: i64 = 200;

/// Articles read per page by the bulk rebuild.
const REBUILD_PAGE: i64 = 2_000;

/// Articles whose rails are written per batch and thread by the bulk
/// rebuild.
const REBUILD_WRITE_BATCH: usize = 1_000;

/// Postings written per batch by the bulk rebuild.
const POSTINGS_BATCH: usize = 50_000;

/// The scorer's view of an article.
pub fn features(a: &Article, published_at: DateTime<Utc>) -> Features {
    Features {
        id: a.id,
        section_id: a.section_id,
        story_id: a.story_id,
        tags: a.tags.clone(),
        published_at,
    }
}

/// Every candidate for `target`'s rail, scored (not sorted, not cut).
async fn candidates(
    tx: &mut Tx,
    target: &Features,
    terms: &[TermStat],
    n: i64,
) -> Result<Vec<(ProfileRow, f64)>> {
    let n = n.max(1) as u64;
    let readable: Vec<i64> =
        terms.iter().filter(|t| t.df as usize <= MAX_POSTINGS).map(|t| t.id).collect();
    let postings = tx.newest_postings(&readable, NEWEST_PER_TERM, target.id).await?;
    let mut ids: Vec<Id> = postings.iter().map(|p| p.article).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut profiles: HashMap<Id, ProfileRow> =
        tx.profiles(&ids).await?.into_iter().map(|p| (p.features.id, p)).collect();
    if let Some(story) = target.story_id {
        for p in tx.story_profiles(story).await? {
            profiles.entry(p.features.id).or_insert(p);
        }
    }
    profiles.remove(&target.id);
    let weights: Vec<(i64, f32, u64)> =
        terms.iter().map(|t| (t.id, t.weight, t.df.max(1) as u64)).collect();
    let cos = cosines(&weights, n, &postings, |id| profiles.get(&id).map_or(0.0, |p| p.norm));
    Ok(profiles
        .into_values()
        .map(|p| {
            let c = cos.get(&p.features.id).copied().unwrap_or(0.0);
            let s = newsdesk_content::related::score(target, &p.features, c);
            (p, s)
        })
        .collect())
}

fn best(target: &Features, scored: &[(ProfileRow, f64)]) -> Vec<(Id, f64)> {
    let mut list: Vec<Scored> =
        scored.iter().map(|(p, s)| Scored { id: p.features.id, score: *s }).collect();
    list.retain(|s| s.id != target.id);
    list.sort_by(|x, y| y.score.total_cmp(&x.score).then(y.id.cmp(&x.id)));
    list.truncate(RAIL_SIZE);
    list.into_iter().map(|s| (s.id, s.score)).collect()
}

/// Indexes a published article (replacing what was indexed for it) and
/// stores its own rail. Other rails are left to [`update_neighbours`].
pub async fn index_article(tx: &mut Tx, a: &Article, published_at: DateTime<Utc>) -> Result<()> {
    tx.lock_related().await?;
    tx.unindex_terms(a.id).await?;
    let mut body = String::new();
    for b in &a.body {
        b.push_plain_text(&mut body);
    }
    let terms = term_profile(&a.headlines.display, &a.dek, &body);
    let (stats, n) = tx.index_terms(a.id, published_at, &terms).await?;
    let norm = vector_norm(stats.iter().map(|t| (t.weight, t.df.max(1) as u64)), n.max(1) as u64);
    let f = features(a, published_at);
    tx.upsert_profile(&ProfileRow { features: f.clone(), norm, floor: 0.0 }).await?;
    let scored = candidates(tx, &f, &stats, n).await?;
    let rail = best(&f, &scored);
    tx.store_rail(a.id, &rail, rail.len() >= RAIL_SIZE).await?;
    Ok(())
}

/// Recomputes one indexed article's rail from scratch; returns whether it
/// changed. Articles no longer indexed (unpublished) are skipped.
pub async fn recompute(tx: &mut Tx, id: Id) -> Result<bool> {
    tx.lock_related().await?;
    let Some(profile) = tx.profiles(&[id]).await?.into_iter().next() else {
        return Ok(false);
    };
    let terms = tx.indexed_terms(id).await?;
    let n = tx.published_count().await?;
    let scored = candidates(tx, &profile.features, &terms, n).await?;
    let rail = best(&profile.features, &scored);
    let before = tx.rail(id).await?;
    let changed = before.iter().map(|r| r.0).ne(rail.iter().map(|r| r.0));
    tx.store_rail(id, &rail, rail.len() >= RAIL_SIZE).await?;
    Ok(changed)
}

/// Brings other articles' rails up to date with article `id` after it was
/// published or changed: it enters every rail where it now scores above the
/// last story, and every rail that listed it is recomputed (its score may
/// have dropped). Returns the articles whose rail changed.
pub async fn update_neighbours(tx: &mut Tx, id: Id) -> Result<Vec<Id>> {
    tx.lock_related().await?;
    let Some(profile) = tx.profiles(&[id]).await?.into_iter().next() else {
        return Ok(Vec::new());
    };
    let terms = tx.indexed_terms(id).await?;
    let n = tx.published_count().await?;
    let scored = candidates(tx, &profile.features, &terms, n).await?;
    let listers = tx.listers(id).await?;
    let mut changed = Vec::new();
    for (p, s) in &scored {
        let other = p.features.id;
        if listers.contains(&other) || *s <= p.floor {
            continue;
        }
        let mut rail = tx.rail(other).await?;
        if rail.iter().any(|r| r.0 == id) {
            continue;
        }
        rail.push((id, *s));
        rail.sort_by(|x, y| y.1.total_cmp(&x.1).then(y.0.cmp(&x.0)));
        rail.truncate(RAIL_SIZE);
        if rail.iter().any(|r| r.0 == id) {
            tx.store_rail(other, &rail, rail.len() >= RAIL_SIZE).await?;
            changed.push(other);
        }
    }
    for l in listers {
        if recompute(tx, l).await? {
            changed.push(l);
        }
    }
    changed.sort_unstable();
    changed.dedup();
    Ok(changed)
}

/// Rebuilds postings, profiles and every rail from the articles, paging
/// through the archive; returns how many articles were indexed.
///
/// Memory grows with the archive only through the interned index (about a
/// kilobyte per article); profiles are read and rails written in pages.
/// Runs in the caller's transaction: on PostgreSQL it locks the postings
/// first, so a publish that commits meanwhile waits and then indexes itself
/// into the new tables.
pub async fn rebuild_all(tx: &mut Tx) -> Result<usize> {
    tx.lock_related().await?;
    let t0 = std::time::Instant::now();
    tx.clear_related_index().await?;
    tracing::debug!(ms = t0.elapsed().as_millis() as u64, "rebuild: cleared");
    let mut builder = IndexBuilder::new();
    let mut after = 0;
    loop {
        let page = tx.published_profiles_after(after, REBUILD_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.0.id;
        for (f, terms) in page {
            builder.add(f, &terms);
        }
    }
    tracing::debug!(ms = t0.elapsed().as_millis() as u64, "rebuild: read");
    // Scoring is CPU work of seconds: it runs on the blocking pool, never
    // on the threads that answer requests.
    let index = Arc::new(blocking(move || builder.build()).await);
    tracing::debug!(ms = t0.elapsed().as_millis() as u64, "rebuild: indexed");
    let terms: Vec<(i64, String, i64)> =
        index.terms().map(|(id, t, df)| (i64::from(id) + 1, t.to_owned(), i64::from(df))).collect();
    let term_refs: Vec<(i64, &str, i64)> =
        terms.iter().map(|(i, t, d)| (*i, t.as_str(), *d)).collect();
    tx.insert_terms(&term_refs).await?;
    let term_count = terms.len();
    drop(term_refs);
    drop(terms);
    // Postings in key order (term, then time): each insert appends.
    let mut start = 0;
    while start < term_count {
        let (ix, from) = (index.clone(), start);
        let (rows, end) = blocking(move || {
            let mut rows: Vec<(i64, i64, Id, f32)> = Vec::with_capacity(POSTINGS_BATCH);
            let mut end = from;
            while end < ix.term_count() && rows.len() < POSTINGS_BATCH {
                let term = end as u32;
                rows.extend(
                    ix.term_postings(term)
                        .into_iter()
                        .map(|(f, w)| (i64::from(term) + 1, f.published_at.timestamp(), f.id, w)),
                );
                end += 1;
            }
            (rows, end)
        })
        .await;
        tx.insert_postings(&rows).await?;
        start = end;
    }
    tracing::debug!(ms = t0.elapsed().as_millis() as u64, "rebuild: postings written");
    tx.finish_related_index().await?;
    tracing::debug!(ms = t0.elapsed().as_millis() as u64, "rebuild: postings indexed");
    let total = index.len();
    // Scoring every article is the long part: it uses every core.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let mut start = 0;
    while start < total {
        let end = (start + REBUILD_WRITE_BATCH * threads).min(total);
        let ix = index.clone();
        let (profiles, rails) = blocking(move || score_range(&ix, start, end, threads)).await;
        tx.insert_profiles(&profiles).await?;
        tx.insert_rails(&rails).await?;
        start = end;
    }
    tracing::debug!(ms = t0.elapsed().as_millis() as u64, "rebuild: rails written");
    Ok(total)
}

/// A profile and a rail for each article in `start..end`, scored on
/// `threads` threads.
#[allow(clippy::type_complexity)]
fn score_range(
    ix: &RelatedIndex,
    start: usize,
    end: usize,
    threads: usize,
) -> (Vec<ProfileRow>, Vec<(Id, Vec<(Id, f64)>)>) {
    let per = (end - start).div_ceil(threads).max(1);
    let parts: Vec<(Vec<ProfileRow>, Vec<(Id, Vec<(Id, f64)>)>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (start..end)
            .step_by(per)
            .map(|from| {
                scope.spawn(move || {
                    let mut scratch = ix.scratch();
                    let to = (from + per).min(end);
                    let mut profiles = Vec::with_capacity(to - from);
                    let mut rails = Vec::with_capacity(to - from);
                    for i in from..to {
                        let f = &ix.features()[i];
                        let rail: Vec<(Id, f64)> = ix
                            .related_with(i, RAIL_SIZE, &mut scratch)
                            .into_iter()
                            .map(|s| (s.id, s.score))
                            .collect();
                        let floor = if rail.len() >= RAIL_SIZE {
                            rail.last().map_or(0.0, |r| r.1)
                        } else {
                            0.0
                        };
                        profiles.push(ProfileRow { features: f.clone(), norm: ix.norm(i), floor });
                        rails.push((f.id, rail));
                    }
                    (profiles, rails)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut profiles = Vec::with_capacity(end - start);
    let mut rails = Vec::with_capacity(end - start);
    for (p, r) in parts {
        profiles.extend(p);
        rails.extend(r);
    }
    (profiles, rails)
}

/// Runs CPU work on the blocking pool; a panic there panics here (the job
/// then fails and is retried like any other failure). Not at a lower
/// priority like pictures' sizes: the rebuild holds the database's write
/// lock (SQLite) or the publishing lock (PostgreSQL) while it scores, so it
/// must finish as fast as it can.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("the runtime is shutting down: {e}"),
    }
}

/// The rail `a` would get from the postings now, without storing it (for
/// evaluations: the incremental path against the bulk one).
pub async fn preview(tx: &mut Tx, id: Id) -> Result<Vec<(Id, f64)>> {
    let Some(profile) = tx.profiles(&[id]).await?.into_iter().next() else {
        return Ok(Vec::new());
    };
    let terms = tx.indexed_terms(id).await?;
    let n = tx.published_count().await?;
    let scored = candidates(tx, &profile.features, &terms, n).await?;
    Ok(best(&profile.features, &scored))
}
