//! Word-level differences between two versions of an article, for the
//! revision history: the headlines, the standfirst and every body block.
//!
//! The body is first lined up block by block (a longest common
//! subsequence), so an untouched paragraph costs nothing however long the
//! article; only the stretches that changed are compared word by word.

use crate::markdown;
use newsdesk_core::{Article, Block};

/// One run of words.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "lowercase")]
pub enum Change {
    /// In both versions.
    Same(String),
    /// Only in the newer version.
    Added(String),
    /// Only in the older version.
    Removed(String),
}

/// What changed in one field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldDiff {
    /// The field, as people call it.
    pub field: String,
    /// Its words, old and new interleaved.
    pub changes: Vec<Change>,
}

/// Longest stretch compared word by word; longer ones are shown as one
/// removal and one addition (the cost grows with the square of the length).
const MAX_WORDS: usize = 1_500;

fn push(out: &mut Vec<Change>, c: Change) {
    match (out.last_mut(), &c) {
        (Some(Change::Same(a)), Change::Same(b))
        | (Some(Change::Added(a)), Change::Added(b))
        | (Some(Change::Removed(a)), Change::Removed(b)) => a.push_str(b),
        _ => out.push(c),
    }
}

/// Splits text into words, each with the whitespace that follows it, so
/// the pieces glue back into the text.
fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = false;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            in_space = true;
        } else if in_space {
            out.push(&s[start..i]);
            start = i;
            in_space = false;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Indices of a longest common subsequence of `a` and `b`, as pairs.
fn lcs<T: PartialEq>(a: &[T], b: &[T]) -> Vec<(usize, usize)> {
    let (n, m) = (a.len(), b.len());
    let mut t = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[at(i, j)] = if a[i] == b[j] {
                t[at(i + 1, j + 1)] + 1
            } else {
                t[at(i + 1, j)].max(t[at(i, j + 1)])
            };
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if a[i] == b[j] {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if t[at(i + 1, j)] >= t[at(i, j + 1)] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The word-level difference between two texts.
pub fn words(old: &str, new: &str) -> Vec<Change> {
    let mut out = Vec::new();
    let (a, b) = (tokens(old), tokens(new));
    if a.len() > MAX_WORDS || b.len() > MAX_WORDS {
        if old != new {
            push(&mut out, Change::Removed(old.to_owned()));
            push(&mut out, Change::Added(new.to_owned()));
        } else {
            push(&mut out, Change::Same(old.to_owned()));
        }
        return out;
    }
    // Compare words without their trailing space, so a re-wrapped
    // sentence is not all new.
    let (ta, tb): (Vec<&str>, Vec<&str>) =
        (a.iter().map(|w| w.trim_end()).collect(), b.iter().map(|w| w.trim_end()).collect());
    let (mut i, mut j) = (0, 0);
    for (x, y) in lcs(&ta, &tb) {
        a[i..x].iter().for_each(|w| push(&mut out, Change::Removed((*w).to_owned())));
        b[j..y].iter().for_each(|w| push(&mut out, Change::Added((*w).to_owned())));
        push(&mut out, Change::Same(b[y].to_owned()));
        (i, j) = (x + 1, y + 1);
    }
    a[i..].iter().for_each(|w| push(&mut out, Change::Removed((*w).to_owned())));
    b[j..].iter().for_each(|w| push(&mut out, Change::Added((*w).to_owned())));
    out
}

fn block_text(b: &Block) -> String {
    markdown::from_blocks(std::slice::from_ref(b)).trim_end().to_owned()
}

fn text_field(out: &mut Vec<FieldDiff>, field: &str, old: &str, new: &str) {
    if old != new {
        out.push(FieldDiff { field: field.to_owned(), changes: words(old, new) });
    }
}

/// What changed from `old` to `new`: the fields that differ, each with its
/// words; body blocks by position in the newer version.
pub fn articles(old: &Article, new: &Article) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    let (o, n) = (&old.headlines, &new.headlines);
    text_field(&mut out, "Headline", &o.display, &n.display);
    text_field(&mut out, "Headline for search", &opt(&o.seo), &opt(&n.seo));
    text_field(&mut out, "Headline for social sites", &opt(&o.social), &opt(&n.social));
    text_field(&mut out, "Headline on fronts", &opt(&o.teaser), &opt(&n.teaser));
    text_field(&mut out, "Standfirst", &old.dek, &new.dek);
    text_field(&mut out, "Slug", &old.slug, &new.slug);
    // The body: unchanged blocks are skipped, each changed stretch is one
    // entry compared word by word.
    let pairs = lcs(&old.body, &new.body);
    let (mut i, mut j) = (0, 0);
    let stretch = |i0: usize, i1: usize, j0: usize, j1: usize, out: &mut Vec<FieldDiff>| {
        if i0 == i1 && j0 == j1 {
            return;
        }
        let join = |bs: &[Block]| bs.iter().map(block_text).collect::<Vec<_>>().join("\n\n");
        let field = if j0 < j1 {
            format!("Body, block {}", j0 + 1)
        } else {
            format!("Body, removed after block {j0}")
        };
        out.push(FieldDiff {
            field,
            changes: words(&join(&old.body[i0..i1]), &join(&new.body[j0..j1])),
        });
    };
    for (x, y) in pairs {
        stretch(i, x, j, y, &mut out);
        (i, j) = (x + 1, y + 1);
    }
    stretch(i, old.body.len(), j, new.body.len(), &mut out);
    let rest = |a: &Article| {
        serde_json::json!({
            "section": a.section_id, "story": a.story_id, "tags": a.tags, "bylines": a.bylines,
            "lead": a.lead, "sources": a.sources, "canonical_url": a.canonical_url,
            "top_rank": a.top_rank, "corrections": a.corrections,
        })
    };
    let (ro, rn) = (rest(old), rest(new));
    for key in [
        "section",
        "story",
        "tags",
        "bylines",
        "lead",
        "sources",
        "canonical_url",
        "top_rank",
        "corrections",
    ] {
        if ro[key] != rn[key] {
            text_field(
                &mut out,
                &format!("Other: {key}"),
                &ro[key].to_string(),
                &rn[key].to_string(),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn show(cs: &[Change]) -> String {
        cs.iter()
            .map(|c| match c {
                Change::Same(t) => t.clone(),
                Change::Added(t) => format!("{{+{t}+}}"),
                Change::Removed(t) => format!("[-{t}-]"),
            })
            .collect()
    }

    #[test]
    fn words_show_what_was_added_and_removed() {
        let d = words(
            "The talks resume on Monday in Geneva.",
            "The talks resume on Tuesday in Geneva, officials said.",
        );
        assert_eq!(
            show(&d),
            "The talks resume on [-Monday -]{+Tuesday +}in [-Geneva.-]{+Geneva, officials said.+}"
        );
        assert_eq!(words("same", "same"), vec![Change::Same("same".into())]);
        assert_eq!(show(&words("", "new words")), "{+new words+}");
    }

    #[test]
    fn only_the_changed_blocks_are_listed() {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).single().expect("time");
        let mut old = Article::draft("Old headline", at);
        old.body = ["one", "two", "three"].map(Block::paragraph).to_vec();
        let mut new = old.clone();
        new.headlines.display = "New headline".into();
        new.body = vec![
            Block::paragraph("one"),
            Block::paragraph("two, longer"),
            Block::paragraph("three"),
        ];
        new.body.push(Block::Subhead { text: "Added".into() });
        let d = articles(&old, &new);
        let fields: Vec<&str> = d.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["Headline", "Body, block 2", "Body, block 4"]);
        assert_eq!(show(&d[1].changes), "[-two-]{+two, longer+}");
        assert_eq!(show(&d[2].changes), "{+## Added+}");
        new.tags = vec![3];
        assert_eq!(articles(&old, &new).last().map(|f| f.field.as_str()), Some("Other: tags"));
        assert!(articles(&old, &old).is_empty());
    }
}
