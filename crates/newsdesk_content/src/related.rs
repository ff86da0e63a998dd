//! Related articles: which published stories to show in an article's
//! "You May Also Like" rail.
//!
//! # Scoring
//!
//! Each article is reduced once, when it is saved, to a *term profile*: its
//! most frequent content words (lower-cased, stop words dropped, light
//! suffix stemming), headline words counted three times and dek words twice,
//! each weighted `1 + ln(tf)`. See [`term_profile`].
//!
//! For a target `a` and a candidate `b`:
//!
//! ```text
//! text    = cosine(tfidf(a), tfidf(b))            idf = ln(1 + N / df)
//! tags    = |tags(a) ∩ tags(b)| / |tags(a) ∪ tags(b)|
//! section = 1 if same section else 0
//! story   = 1 if both follow the same ongoing story else 0
//! base    = 0.50·text + 0.15·tags + 0.05·section + 0.30·story
//! fresh   = 0.5^(|published(a) − published(b)| / 45 days)
//! score   = base · (0.75 + 0.25·fresh)
//! ```
//!
//! The score is symmetric: `score(a, b) == score(b, a)`. That is what lets
//! a publish update other articles' rails without rescoring them: the new
//! article enters `b`'s rail exactly when its score beats the last story
//! there.
//!
//! Two ways to find candidates share [`score`] and [`rank`]:
//!
//! - [`RelatedIndex`], an in-memory inverted index over every published
//!   article, for the bulk rebuild. Terms are interned to `u32` and weights
//!   kept as `f32`, so 100k articles of 64 terms take about 100 MB.
//! - [`cosines`] over postings read from the store (term → articles), for
//!   one article at a time: publishing reads only the articles that share
//!   the new article's terms, not the archive.
//!
//! Terms that appear in more than [`MAX_POSTINGS`] articles are left out of
//! the cosine's numerator, as a search engine's stop list would.
//!
//! The story signal is the strongest single one because an editor put both
//! articles on the same running story; text similarity still orders stories
//! inside a cluster and finds related copy outside it. Freshness is a gentle
//! multiplier, so a close match from last year still beats a loose one from
//! today. The article itself and anything not passed in (unpublished copy)
//! can never appear.

use chrono::{DateTime, Utc};
use newsdesk_core::Id;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Terms kept per article profile. More terms cost index memory and scoring
/// time for little gain in ranking.
pub const PROFILE_TERMS: usize = 64;

/// Stories shown in the rail.
pub const RAIL_SIZE: usize = 12;

/// Terms found in more articles than this are skipped when collecting
/// candidates (their weight still counts in each vector's norm). Such terms
/// carry little information, and their long posting lists would make the cost
/// of one lookup grow with the size of the archive.
pub const MAX_POSTINGS: usize = 2_000;

/// Half-life of the freshness multiplier, in days.
const FRESHNESS_HALF_LIFE_DAYS: f64 = 45.0;

const W_TEXT: f64 = 0.50;
const W_TAGS: f64 = 0.15;
const W_SECTION: f64 = 0.05;
const W_STORY: f64 = 0.30;

/// One term and its weight in a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Term(pub String, pub f32);

/// What the scorer knows of an article besides its terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    /// Article id.
    pub id: Id,
    /// Section id.
    pub section_id: Option<Id>,
    /// Ongoing story id.
    pub story_id: Option<Id>,
    /// Tag ids.
    pub tags: Vec<Id>,
    /// First publication time.
    pub published_at: DateTime<Utc>,
}

/// Everything the scorer knows about one published article.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Article id.
    pub id: Id,
    /// Section id.
    pub section_id: Option<Id>,
    /// Ongoing story id.
    pub story_id: Option<Id>,
    /// Tag ids.
    pub tags: Vec<Id>,
    /// First publication time.
    pub published_at: DateTime<Utc>,
    /// Term profile from [`term_profile`].
    pub terms: Vec<Term>,
}

impl Candidate {
    /// Its features.
    pub fn features(&self) -> Features {
        Features {
            id: self.id,
            section_id: self.section_id,
            story_id: self.story_id,
            tags: self.tags.clone(),
            published_at: self.published_at,
        }
    }
}

/// A scored related article.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// The related article's id.
    pub id: Id,
    /// Its score; higher is more related.
    pub score: f64,
}

const STOP_WORDS: &[&str] = &[
    "about",
    "above",
    "after",
    "again",
    "against",
    "also",
    "among",
    "and",
    "any",
    "are",
    "around",
    "because",
    "been",
    "before",
    "being",
    "between",
    "both",
    "but",
    "can",
    "could",
    "did",
    "does",
    "during",
    "each",
    "even",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "her",
    "here",
    "hers",
    "him",
    "his",
    "how",
    "into",
    "its",
    "itself",
    "just",
    "last",
    "least",
    "less",
    "made",
    "make",
    "many",
    "may",
    "more",
    "most",
    "much",
    "must",
    "new",
    "not",
    "now",
    "off",
    "once",
    "one",
    "only",
    "other",
    "our",
    "out",
    "over",
    "own",
    "said",
    "same",
    "says",
    "she",
    "should",
    "since",
    "some",
    "still",
    "such",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "told",
    "too",
    "two",
    "under",
    "until",
    "very",
    "was",
    "way",
    "week",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "year",
    "years",
    "yet",
    "you",
    "your",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "according",
    "people",
    "time",
    "first",
    "three",
    "like",
    "says",
    "percent",
];

/// Strips the commonest English inflections so "talks"/"talk" and
/// "voted"/"vote" meet. Deliberately light: a wrong merge hurts more than a
/// missed one.
fn stem(word: &str) -> &str {
    for suffix in ["ings", "ing", "edly", "ed", "ies", "es", "s"] {
        if let Some(stripped) = word.strip_suffix(suffix)
            && stripped.len() >= 4
        {
            if suffix == "s" && stripped.ends_with('s') {
                return word;
            }
            return stripped;
        }
    }
    word
}

/// Splits text into lower-cased, stemmed content words.
pub fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3 && !w.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_lowercase)
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .map(|w| stem(&w).to_owned())
}

/// Builds the term profile of an article from its headline, dek and body
/// text: the [`PROFILE_TERMS`] heaviest terms, heaviest first (ties by term).
pub fn term_profile(headline: &str, dek: &str, body: &str) -> Vec<Term> {
    let mut tf: HashMap<String, f32> = HashMap::new();
    for (text, weight) in [(headline, 3.0), (dek, 2.0), (body, 1.0)] {
        for t in tokens(text) {
            *tf.entry(t).or_default() += weight;
        }
    }
    let mut terms: Vec<Term> = tf.into_iter().map(|(t, n)| Term(t, 1.0 + n.ln())).collect();
    terms.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    terms.truncate(PROFILE_TERMS);
    terms
}

/// The inverse document frequency of a term found in `df` of `n` articles.
pub fn idf(n: u64, df: u64) -> f64 {
    (1.0 + n as f64 / df.max(1) as f64).ln()
}

/// The length of an article's tf-idf vector: its terms as (weight, df)
/// among `n` articles.
pub fn vector_norm(terms: impl IntoIterator<Item = (f32, u64)>, n: u64) -> f64 {
    terms.into_iter().map(|(w, df)| (f64::from(w) * idf(n, df)).powi(2)).sum::<f64>().sqrt()
}

/// One posting: an article (`article`) has the term `term` with weight
/// `weight` in its profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Posting {
    /// The term's key (any stable number, e.g. a row id).
    pub term: i64,
    /// The article.
    pub article: Id,
    /// The term's weight in that article's profile.
    pub weight: f32,
}

/// Text cosines between a target and the articles in `postings`.
///
/// `target` lists the target's terms as (term key, weight, df) among `n`
/// published articles, `target_norm` its [`vector_norm`]; `norm` gives each
/// candidate's stored norm. Terms found in more than [`MAX_POSTINGS`]
/// articles add nothing (as in [`RelatedIndex`]), and postings of terms the
/// target lacks are ignored.
pub fn cosines(
    target: &[(i64, f32, u64)],
    n: u64,
    postings: &[Posting],
    norm: impl Fn(Id) -> f64,
) -> HashMap<Id, f64> {
    let target_norm = vector_norm(target.iter().map(|&(_, w, df)| (w, df)), n);
    let mut weights: HashMap<i64, (f64, f64)> = HashMap::with_capacity(target.len());
    for &(t, w, df) in target {
        if df as usize <= MAX_POSTINGS {
            let i = idf(n, df);
            weights.insert(t, (f64::from(w) * i, i));
        }
    }
    let mut dots: HashMap<Id, f64> = HashMap::new();
    for p in postings {
        if let Some(&(wa, i)) = weights.get(&p.term) {
            *dots.entry(p.article).or_default() += wa * f64::from(p.weight) * i;
        }
    }
    dots.into_iter()
        .map(|(id, dot)| {
            let denom = target_norm * norm(id);
            (id, if denom > 0.0 { dot / denom } else { 0.0 })
        })
        .collect()
}

/// Scores `candidates` (features and text cosine) against `target` and keeps
/// the best `limit`, best first; ties go to the newer id. The target itself
/// never appears.
pub fn rank<'a>(
    target: &Features,
    candidates: impl IntoIterator<Item = (&'a Features, f64)>,
    limit: usize,
) -> Vec<Scored> {
    let mut scored: Vec<Scored> = candidates
        .into_iter()
        .filter(|(b, _)| b.id != target.id)
        .map(|(b, cos)| Scored { id: b.id, score: score(target, b, cos) })
        .collect();
    scored.sort_by(|x, y| y.score.total_cmp(&x.score).then(y.id.cmp(&x.id)));
    scored.truncate(limit);
    scored
}

/// Builds a [`RelatedIndex`] one article at a time, interning terms as it
/// goes, so a caller can stream articles from the store without holding
/// their profiles as strings.
#[derive(Debug, Default)]
pub struct IndexBuilder {
    dict: HashMap<String, u32>,
    df: Vec<u32>,
    features: Vec<Features>,
    raw: Vec<Vec<(u32, f32)>>,
}

impl IndexBuilder {
    /// An empty builder.
    pub fn new() -> IndexBuilder {
        IndexBuilder::default()
    }

    /// Adds one published article.
    pub fn add(&mut self, features: Features, terms: &[Term]) {
        let mut v = Vec::with_capacity(terms.len());
        for Term(t, w) in terms {
            let id = match self.dict.get(t.as_str()) {
                Some(&id) => id,
                None => {
                    let id = self.df.len() as u32;
                    self.dict.insert(t.clone(), id);
                    self.df.push(0);
                    id
                }
            };
            self.df[id as usize] += 1;
            v.push((id, *w));
        }
        self.features.push(features);
        self.raw.push(v);
    }

    /// Articles added so far.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// Weighs every vector with idf, normalises it and builds the postings.
    pub fn build(self) -> RelatedIndex {
        let n = self.features.len() as u64;
        let mut postings: Vec<Vec<(u32, f32)>> =
            self.df.iter().map(|&df| Vec::with_capacity(df as usize)).collect();
        let mut norms = Vec::with_capacity(self.raw.len());
        let mut vectors = Vec::with_capacity(self.raw.len());
        for (i, raw) in self.raw.into_iter().enumerate() {
            let norm =
                vector_norm(raw.iter().map(|&(t, w)| (w, u64::from(self.df[t as usize]))), n);
            let v: Vec<(u32, f32)> = raw
                .into_iter()
                .map(|(t, w)| {
                    let x = f64::from(w) * idf(n, u64::from(self.df[t as usize]));
                    (t, if norm > 0.0 { (x / norm) as f32 } else { 0.0 })
                })
                .collect();
            for &(t, w) in &v {
                postings[t as usize].push((i as u32, w));
            }
            norms.push(norm);
            vectors.push(v);
        }
        let by_id = self.features.iter().enumerate().map(|(i, f)| (f.id, i as u32)).collect();
        let mut by_story: HashMap<Id, Vec<u32>> = HashMap::new();
        for (i, f) in self.features.iter().enumerate() {
            if let Some(s) = f.story_id {
                by_story.entry(s).or_default().push(i as u32);
            }
        }
        let mut terms = vec![String::new(); self.df.len()];
        for (t, id) in self.dict {
            terms[id as usize] = t;
        }
        RelatedIndex {
            features: self.features,
            vectors,
            postings,
            norms,
            by_id,
            by_story,
            terms,
            df: self.df,
        }
    }
}

/// An in-memory inverted index over the term profiles of published
/// articles, for the bulk rebuild and for evaluations.
#[derive(Debug)]
pub struct RelatedIndex {
    features: Vec<Features>,
    /// Per article: term id → normalised tf-idf weight.
    vectors: Vec<Vec<(u32, f32)>>,
    /// term id → (article index, normalised weight).
    postings: Vec<Vec<(u32, f32)>>,
    norms: Vec<f64>,
    by_id: HashMap<Id, u32>,
    by_story: HashMap<Id, Vec<u32>>,
    terms: Vec<String>,
    df: Vec<u32>,
}

impl RelatedIndex {
    /// Indexes `candidates`. Cost grows linearly with their number.
    pub fn build(candidates: &[Candidate]) -> RelatedIndex {
        let mut b = IndexBuilder::new();
        for c in candidates {
            b.add(c.features(), &c.terms);
        }
        b.build()
    }

    /// Articles indexed.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The features of every article, in the order they were added.
    pub fn features(&self) -> &[Features] {
        &self.features
    }

    /// The length of article `i`'s tf-idf vector (see [`vector_norm`]).
    pub fn norm(&self, i: usize) -> f64 {
        self.norms[i]
    }

    /// Article `i`'s terms as (term id, weight before idf and
    /// normalisation), for writing postings.
    pub fn raw_terms(&self, i: usize) -> impl Iterator<Item = (u32, f32)> + '_ {
        let norm = self.norms[i];
        let n = self.len() as u64;
        self.vectors[i].iter().map(move |&(t, w)| {
            let i = idf(n, u64::from(self.df[t as usize]));
            (t, if i > 0.0 { (f64::from(w) * norm / i) as f32 } else { 0.0 })
        })
    }

    /// The postings of term `t`: [(article features, weight before idf
    /// and normalisation)], oldest article first. That is the postings
    /// table's key order, so writing them in this order appends.
    pub fn term_postings(&self, t: u32) -> Vec<(&Features, f32)> {
        let n = self.len() as u64;
        let i = idf(n, u64::from(self.df[t as usize]));
        let mut out: Vec<(&Features, f32)> = self.postings[t as usize]
            .iter()
            .map(|&(j, w)| {
                let raw = if i > 0.0 { f64::from(w) * self.norms[j as usize] / i } else { 0.0 };
                (&self.features[j as usize], raw as f32)
            })
            .collect();
        out.sort_by(|a, b| {
            a.0.published_at
                .timestamp()
                .cmp(&b.0.published_at.timestamp())
                .then(a.0.id.cmp(&b.0.id))
        });
        out
    }

    /// Terms indexed.
    pub fn term_count(&self) -> usize {
        self.terms.len()
    }

    /// Every term with its id and document frequency.
    pub fn terms(&self) -> impl Iterator<Item = (u32, &str, u32)> + '_ {
        self.terms.iter().enumerate().map(|(i, t)| (i as u32, t.as_str(), self.df[i]))
    }

    /// The best `limit` related articles for the indexed article `id`, best
    /// first. Empty when `id` is not indexed (not published).
    pub fn related(&self, id: Id, limit: usize) -> Vec<Scored> {
        let Some(&target) = self.by_id.get(&id) else { return Vec::new() };
        self.related_at(target as usize, limit)
    }

    /// Like [`RelatedIndex::related`], for the article at position `i`.
    pub fn related_at(&self, target: usize, limit: usize) -> Vec<Scored> {
        self.related_with(target, limit, &mut self.scratch())
    }

    /// Working memory for [`RelatedIndex::related_with`], reused across
    /// calls so the bulk rebuild allocates it once.
    pub fn scratch(&self) -> Scratch {
        Scratch { acc: vec![0.0; self.len()], touched: Vec::new(), by_cos: Vec::new() }
    }

    /// Like [`RelatedIndex::related_at`], with reusable working memory.
    ///
    /// Text scores accumulate in a dense array. Only some candidates are
    /// scored in full: the story's members, the best by text, and every
    /// other whose best possible score (its text part plus full tag and
    /// section parts) could still beat the last story kept. That bound is
    /// exact, so the result is the same as scoring them all.
    pub fn related_with(&self, target: usize, limit: usize, s: &mut Scratch) -> Vec<Scored> {
        let a = &self.features[target];
        for &(t, w) in &self.vectors[target] {
            let list = &self.postings[t as usize];
            if list.len() > MAX_POSTINGS {
                continue;
            }
            for &(j, wj) in list {
                let slot = &mut s.acc[j as usize];
                if *slot == 0.0 {
                    s.touched.push(j);
                }
                *slot += f64::from(w) * f64::from(wj);
            }
        }
        let mut scored: Vec<Scored> = Vec::new();
        let done = |j: u32, scored: &mut Vec<Scored>, acc: &[f64]| {
            if j as usize != target {
                let b = &self.features[j as usize];
                scored.push(Scored { id: b.id, score: score(a, b, acc[j as usize]) });
            }
        };
        // Story members count even with no word in common; they are always
        // scored in full.
        let members: &[u32] = a.story_id.and_then(|st| self.by_story.get(&st)).map_or(&[], |m| m);
        for &j in members {
            done(j, &mut scored, &s.acc);
        }
        let in_story =
            |j: u32| a.story_id.is_some() && self.features[j as usize].story_id == a.story_id;
        s.by_cos.clear();
        s.by_cos
            .extend(s.touched.iter().filter(|&&j| !in_story(j)).map(|&j| (s.acc[j as usize], j)));
        let head = (limit * 4).min(s.by_cos.len());
        if head > 0 && head < s.by_cos.len() {
            s.by_cos.select_nth_unstable_by(head - 1, |x, y| y.0.total_cmp(&x.0));
        }
        for &(_, j) in &s.by_cos[..head] {
            done(j, &mut scored, &s.acc);
        }
        let threshold = {
            let mut best: Vec<f64> = scored.iter().map(|x| x.score).collect();
            if best.len() >= limit && limit > 0 {
                best.select_nth_unstable_by(limit - 1, |x, y| y.total_cmp(x));
                best[limit - 1]
            } else {
                0.0
            }
        };
        for &(cos, j) in &s.by_cos[head..] {
            // The most a candidate outside the story can score.
            if W_TEXT * cos + W_TAGS + W_SECTION >= threshold {
                done(j, &mut scored, &s.acc);
            }
        }
        for &j in &s.touched {
            s.acc[j as usize] = 0.0;
        }
        s.touched.clear();
        scored.sort_by(|x, y| y.score.total_cmp(&x.score).then(y.id.cmp(&x.id)));
        scored.truncate(limit);
        scored
    }
}

/// Working memory of [`RelatedIndex::related_with`].
#[derive(Debug)]
pub struct Scratch {
    acc: Vec<f64>,
    touched: Vec<u32>,
    by_cos: Vec<(f64, u32)>,
}

/// The score of `b` as a related story of `a`, given their text cosine. See
/// the module docs for the formula; `score(a, b, c) == score(b, a, c)`.
pub fn score(a: &Features, b: &Features, cosine: f64) -> f64 {
    let shared = a.tags.iter().filter(|t| b.tags.contains(t)).count();
    let union = a.tags.len() + b.tags.iter().filter(|t| !a.tags.contains(t)).count();
    let tags = if union == 0 { 0.0 } else { shared as f64 / union as f64 };
    let section = f64::from(u8::from(a.section_id.is_some() && a.section_id == b.section_id));
    let story = f64::from(u8::from(a.story_id.is_some() && a.story_id == b.story_id));
    let base = W_TEXT * cosine + W_TAGS * tags + W_SECTION * section + W_STORY * story;
    let days = (a.published_at - b.published_at).num_seconds().unsigned_abs() as f64 / 86_400.0;
    let fresh = 0.5f64.powf(days / FRESHNESS_HALF_LIFE_DAYS);
    base * (0.75 + 0.25 * fresh)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn cand(
        id: Id,
        story: Option<Id>,
        section: Id,
        tags: &[Id],
        day: u32,
        text: &str,
    ) -> Candidate {
        Candidate {
            id,
            section_id: Some(section),
            story_id: story,
            tags: tags.to_vec(),
            published_at: Utc.with_ymd_and_hms(2026, 1, day, 12, 0, 0).single().expect("date"),
            terms: term_profile(text, "", text),
        }
    }

    #[test]
    fn profile_stems_drops_stop_words_and_weights_headline() {
        let p = term_profile("Treaty talks", "", "The talks about the treaty were talking points.");
        let names: Vec<&str> = p.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(names, vec!["talk", "treaty", "point"]);
        assert!(p[0].1 > p[2].1);
    }

    #[test]
    fn ranks_story_and_text_matches_above_unrelated_copy() {
        let cs = vec![
            cand(1, Some(7), 1, &[1, 2], 10, "Water treaty talks resume between Arland and Brevia"),
            cand(2, Some(7), 1, &[1], 12, "Arland and Brevia negotiators stall on water treaty"),
            cand(3, None, 1, &[1], 11, "Brevia water shortage worsens as river runs low"),
            cand(4, None, 4, &[9], 10, "Harbour City wins the football cup final"),
            cand(5, Some(7), 1, &[], 28, "Ministers sign accord"),
        ];
        let idx = RelatedIndex::build(&cs);
        let r = idx.related(1, 12);
        let ids: Vec<Id> = r.iter().map(|s| s.id).collect();
        assert_eq!(&ids[..3], &[2, 5, 3], "{r:?}");
        assert!(!ids.contains(&1), "never itself");
        assert!(!ids.contains(&4), "nothing in common, not a candidate: {r:?}");
        assert!(idx.related(99, 12).is_empty(), "unknown (unpublished) target");
    }

    #[test]
    fn freshness_breaks_ties_between_equal_matches() {
        let cs = vec![
            cand(1, None, 1, &[], 1, "Central bank raises interest rates"),
            cand(2, None, 1, &[], 2, "Central bank raises interest rates"),
            cand(3, None, 1, &[], 30, "Central bank raises interest rates"),
        ];
        let idx = RelatedIndex::build(&cs);
        let ids: Vec<Id> = idx.related(1, 12).iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![2, 3]);
    }

    #[test]
    fn score_is_symmetric() {
        let a = cand(1, Some(7), 1, &[1, 2, 3], 10, "x").features();
        let b = cand(2, Some(7), 2, &[2, 9], 25, "y").features();
        assert_eq!(score(&a, &b, 0.4), score(&b, &a, 0.4));
    }

    #[test]
    fn postings_path_agrees_with_the_in_memory_index() {
        let cs = vec![
            cand(1, Some(7), 1, &[1, 2], 10, "Water treaty talks resume between Arland and Brevia"),
            cand(2, Some(7), 1, &[1], 12, "Arland and Brevia negotiators stall on water treaty"),
            cand(3, None, 1, &[1], 11, "Brevia water shortage worsens as river runs low"),
            cand(4, None, 4, &[9], 10, "Harbour City wins the football cup final"),
            cand(5, None, 2, &[], 28, "River authority warns of drought along the treaty border"),
        ];
        let idx = RelatedIndex::build(&cs);
        // Postings as the store keeps them: raw weights per (term, article).
        let mut keys: HashMap<String, i64> = HashMap::new();
        let mut df: HashMap<String, u64> = HashMap::new();
        for c in &cs {
            for Term(t, _) in &c.terms {
                let next = keys.len() as i64;
                keys.entry(t.clone()).or_insert(next);
                *df.entry(t.clone()).or_default() += 1;
            }
        }
        let postings: Vec<Posting> = cs
            .iter()
            .flat_map(|c| {
                c.terms.iter().map(|Term(t, w)| Posting {
                    term: keys[t],
                    article: c.id,
                    weight: *w,
                })
            })
            .collect();
        let n = cs.len() as u64;
        let norms: HashMap<Id, f64> = cs
            .iter()
            .map(|c| (c.id, vector_norm(c.terms.iter().map(|Term(t, w)| (*w, df[t])), n)))
            .collect();
        for (i, c) in cs.iter().enumerate() {
            assert!((norms[&c.id] - idx.norm(i)).abs() < 1e-9);
            let target: Vec<(i64, f32, u64)> =
                c.terms.iter().map(|Term(t, w)| (keys[t], *w, df[t])).collect();
            let cos = cosines(&target, n, &postings, |id| norms[&id]);
            let feats: Vec<Features> = cs.iter().map(Candidate::features).collect();
            let mut found: Vec<(&Features, f64)> =
                feats.iter().filter_map(|f| cos.get(&f.id).map(|&x| (f, x))).collect();
            for f in feats.iter().filter(|f| f.story_id.is_some() && f.story_id == c.story_id) {
                if !cos.contains_key(&f.id) {
                    found.push((f, 0.0));
                }
            }
            let via_postings = rank(&c.features(), found, 12);
            let in_memory = idx.related(c.id, 12);
            assert_eq!(
                via_postings.iter().map(|s| s.id).collect::<Vec<_>>(),
                in_memory.iter().map(|s| s.id).collect::<Vec<_>>()
            );
            for (x, y) in via_postings.iter().zip(&in_memory) {
                assert!((x.score - y.score).abs() < 1e-6, "{x:?} {y:?}");
            }
            let raw: Vec<(u32, f32)> = idx.raw_terms(i).collect();
            assert_eq!(raw.len(), c.terms.len());
        }
    }

    #[test]
    fn pruned_scoring_equals_scoring_every_candidate() {
        // 400 articles over a small vocabulary, so lists overlap heavily and
        // the pruning has work to do.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % m
        };
        let words: Vec<String> = (0..120).map(|i| format!("word{i}")).collect();
        let cs: Vec<Candidate> = (0..400)
            .map(|id| {
                let text: Vec<&str> = (0..12).map(|_| words[next(120) as usize].as_str()).collect();
                let tags: Vec<Id> = (0..next(4))
                    .map(|_| next(10) as Id)
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                Candidate {
                    id,
                    section_id: Some(next(5) as Id),
                    story_id: (next(3) == 0).then(|| next(20) as Id),
                    tags,
                    published_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("date")
                        + chrono::Duration::hours(next(24 * 200) as i64),
                    terms: term_profile(&text.join(" "), "", &text.join(" ")),
                }
            })
            .collect();
        let idx = RelatedIndex::build(&cs);
        let mut scratch = idx.scratch();
        for i in 0..cs.len() {
            let fast = idx.related_with(i, RAIL_SIZE, &mut scratch);
            // Every candidate, scored.
            let a = &idx.features()[i];
            let all: Vec<(&Features, f64)> = idx
                .features()
                .iter()
                .enumerate()
                .map(|(j, b)| {
                    let cos: f64 = idx.vectors[i]
                        .iter()
                        .filter(|(t, _)| idx.postings[*t as usize].len() <= MAX_POSTINGS)
                        .filter_map(|(t, w)| {
                            idx.vectors[j]
                                .iter()
                                .find(|(u, _)| u == t)
                                .map(|(_, v)| f64::from(*w) * f64::from(*v))
                        })
                        .sum();
                    (b, cos)
                })
                .filter(|(b, cos)| *cos > 0.0 || (a.story_id.is_some() && b.story_id == a.story_id))
                .collect();
            let slow = rank(a, all, RAIL_SIZE);
            assert_eq!(
                fast.iter().map(|s| s.id).collect::<Vec<_>>(),
                slow.iter().map(|s| s.id).collect::<Vec<_>>(),
                "article {i}"
            );
        }
    }
}
