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
//! When an article is published or updated, the store builds a
//! [`RelatedIndex`] over the profiles of every published article and asks it
//! for the best candidates. For a target `a` and a candidate `b`:
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
use std::collections::{HashMap, HashSet};

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

/// An inverted index over the term profiles of published articles.
pub struct RelatedIndex<'a> {
    candidates: &'a [Candidate],
    /// Per candidate: term id → normalised tf-idf weight.
    vectors: Vec<Vec<(u32, f64)>>,
    /// term id → (candidate index, weight).
    postings: Vec<Vec<(u32, f64)>>,
    by_id: HashMap<Id, usize>,
    by_story: HashMap<Id, Vec<usize>>,
}

impl<'a> RelatedIndex<'a> {
    /// Indexes `candidates`. Cost grows linearly with their number.
    pub fn build(candidates: &'a [Candidate]) -> RelatedIndex<'a> {
        let mut term_ids: HashMap<&str, u32> = HashMap::new();
        let mut df: Vec<u32> = Vec::new();
        for c in candidates {
            for Term(t, _) in &c.terms {
                let next = term_ids.len() as u32;
                let id = *term_ids.entry(t.as_str()).or_insert(next);
                if id as usize == df.len() {
                    df.push(0);
                }
                df[id as usize] += 1;
            }
        }
        let n = candidates.len().max(1) as f64;
        let mut postings = vec![Vec::new(); df.len()];
        let mut vectors = Vec::with_capacity(candidates.len());
        for (i, c) in candidates.iter().enumerate() {
            let mut v: Vec<(u32, f64)> = c
                .terms
                .iter()
                .map(|Term(t, w)| {
                    let id = term_ids[t.as_str()];
                    let idf = (1.0 + n / f64::from(df[id as usize])).ln();
                    (id, f64::from(*w) * idf)
                })
                .collect();
            let norm = v.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|(_, w)| *w /= norm);
            }
            for &(t, w) in &v {
                postings[t as usize].push((i as u32, w));
            }
            vectors.push(v);
        }
        let by_id = candidates.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
        let mut by_story: HashMap<Id, Vec<usize>> = HashMap::new();
        for (i, c) in candidates.iter().enumerate() {
            if let Some(s) = c.story_id {
                by_story.entry(s).or_default().push(i);
            }
        }
        RelatedIndex { candidates, vectors, postings, by_id, by_story }
    }

    /// The best `limit` related articles for the indexed article `id`, best
    /// first. Empty when `id` is not indexed (not published).
    pub fn related(&self, id: Id, limit: usize) -> Vec<Scored> {
        let Some(&target) = self.by_id.get(&id) else { return Vec::new() };
        let a = &self.candidates[target];
        let mut text: HashMap<usize, f64> = HashMap::new();
        for &(t, w) in &self.vectors[target] {
            let list = &self.postings[t as usize];
            if list.len() > MAX_POSTINGS {
                continue;
            }
            for &(j, wj) in list {
                *text.entry(j as usize).or_default() += w * wj;
            }
        }
        // Story members count even with no word in common.
        if let Some(members) = a.story_id.and_then(|s| self.by_story.get(&s)) {
            for &j in members {
                text.entry(j).or_default();
            }
        }
        let a_tags: HashSet<Id> = a.tags.iter().copied().collect();
        let mut scored: Vec<Scored> = text
            .into_iter()
            .filter(|&(j, _)| j != target)
            .map(|(j, cos)| {
                let b = &self.candidates[j];
                Scored { id: b.id, score: score(a, &a_tags, b, cos) }
            })
            .collect();
        scored.sort_by(|x, y| y.score.total_cmp(&x.score).then(y.id.cmp(&x.id)));
        scored.truncate(limit);
        scored
    }
}

fn score(a: &Candidate, a_tags: &HashSet<Id>, b: &Candidate, cosine: f64) -> f64 {
    let b_tags: HashSet<Id> = b.tags.iter().copied().collect();
    let union = a_tags.union(&b_tags).count();
    let tags =
        if union == 0 { 0.0 } else { a_tags.intersection(&b_tags).count() as f64 / union as f64 };
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
}
