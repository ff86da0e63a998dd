//! Merging two edits of one article made from the same version.
//!
//! When an editor saves over a version someone else has already replaced,
//! nothing is overwritten: [`three_way`] takes the version both started
//! from (`base`), the editor's (`mine`) and the stored one (`theirs`), and
//! keeps every change that does not touch what the other changed. Fields
//! merge whole; the body merges block by block, so two people working on
//! different paragraphs both keep their work. Where both changed the same
//! field or the same stretch of blocks differently, the merge names it and
//! changes nothing.

use crate::{Article, Block};

/// What both edits changed differently, by field (`headlines.display`,
/// `dek`, `body`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeConflict {
    /// The fields in conflict.
    pub fields: Vec<&'static str>,
}

fn pick<T: PartialEq + Clone>(
    field: &'static str,
    base: &T,
    mine: &T,
    theirs: &T,
    conflicts: &mut Vec<&'static str>,
) -> T {
    if mine == base || mine == theirs {
        theirs.clone()
    } else if theirs == base {
        mine.clone()
    } else {
        conflicts.push(field);
        mine.clone()
    }
}

/// Merges `mine` and `theirs`, both edits of `base`. The workflow fields
/// (status, path, publication and schedule times) are taken from `theirs`,
/// the stored article.
pub fn three_way(
    base: &Article,
    mine: &Article,
    theirs: &Article,
) -> Result<Article, MergeConflict> {
    let (merged, conflict) = merge_preferring_mine(base, mine, theirs);
    match conflict {
        Some(c) => Err(c),
        None => Ok(merged),
    }
}

/// Like [`three_way`], but where both changed the same thing, `mine` is
/// kept and the field named: what the editor is shown when a merge fails,
/// so that saving again keeps every change of theirs that did not clash.
pub fn merge_preferring_mine(
    base: &Article,
    mine: &Article,
    theirs: &Article,
) -> (Article, Option<MergeConflict>) {
    let mut c = Vec::new();
    let mut out = theirs.clone();
    let (b, m, t) = (&base.headlines, &mine.headlines, &theirs.headlines);
    out.headlines.display = pick("headlines.display", &b.display, &m.display, &t.display, &mut c);
    out.headlines.seo = pick("headlines.seo", &b.seo, &m.seo, &t.seo, &mut c);
    out.headlines.social = pick("headlines.social", &b.social, &m.social, &t.social, &mut c);
    out.headlines.teaser = pick("headlines.teaser", &b.teaser, &m.teaser, &t.teaser, &mut c);
    out.dek = pick("dek", &base.dek, &mine.dek, &theirs.dek, &mut c);
    out.slug = pick("slug", &base.slug, &mine.slug, &theirs.slug, &mut c);
    out.section_id =
        pick("section", &base.section_id, &mine.section_id, &theirs.section_id, &mut c);
    out.story_id = pick("story", &base.story_id, &mine.story_id, &theirs.story_id, &mut c);
    out.tags = pick("tags", &base.tags, &mine.tags, &theirs.tags, &mut c);
    out.bylines = pick("bylines", &base.bylines, &mine.bylines, &theirs.bylines, &mut c);
    out.lead = pick("lead", &base.lead, &mine.lead, &theirs.lead, &mut c);
    out.sources = pick("sources", &base.sources, &mine.sources, &theirs.sources, &mut c);
    out.canonical_url = pick(
        "canonical_url",
        &base.canonical_url,
        &mine.canonical_url,
        &theirs.canonical_url,
        &mut c,
    );
    out.top_rank = pick("top_rank", &base.top_rank, &mine.top_rank, &theirs.top_rank, &mut c);
    out.embargo_until =
        pick("embargo", &base.embargo_until, &mine.embargo_until, &theirs.embargo_until, &mut c);
    out.updated_at = mine.updated_at.max(theirs.updated_at);
    let (body, clash) = merge_blocks(&base.body, &mine.body, &theirs.body);
    out.body = body;
    if clash {
        c.push("body");
    }
    let conflict = (!c.is_empty()).then_some(MergeConflict { fields: c });
    (out, conflict)
}

/// For each item of `a`, its index in `b` along a longest common
/// subsequence.
fn matches(a: &[Block], b: &[Block]) -> Vec<Option<usize>> {
    let (n, m) = (a.len(), b.len());
    // lcs[i][j]: length of the LCS of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] =
                if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut out = vec![None; n];
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if a[i] == b[j] {
            out[i] = Some(j);
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The block lists merged (diff3): stretches only one side changed take
/// that side's blocks; a stretch both changed differently keeps mine and
/// counts as a clash.
fn merge_blocks(base: &[Block], mine: &[Block], theirs: &[Block]) -> (Vec<Block>, bool) {
    let to_mine = matches(base, mine);
    let to_theirs = matches(base, theirs);
    let mut out = Vec::new();
    let mut clash = false;
    let (mut i, mut j, mut k) = (0, 0, 0);
    loop {
        // The next base block both sides kept (a stable point), or the end.
        let stable = (i..base.len()).find_map(|ib| Some((ib, to_mine[ib]?, to_theirs[ib]?)));
        let (ib, jb, kb) = stable.unwrap_or((base.len(), mine.len(), theirs.len()));
        let (b, m, t) = (&base[i..ib], &mine[j..jb], &theirs[k..kb]);
        if m == b || m == t {
            out.extend_from_slice(t);
        } else if t == b {
            out.extend_from_slice(m);
        } else if b.len() == m.len() && b.len() == t.len() {
            // Edits of the same blocks in place: merge block by block.
            for ((bx, mx), tx) in b.iter().zip(m).zip(t) {
                if mx == bx || mx == tx {
                    out.push(tx.clone());
                } else if tx == bx {
                    out.push(mx.clone());
                } else {
                    clash = true;
                    out.push(mx.clone());
                }
            }
        } else {
            clash = true;
            out.extend_from_slice(m);
        }
        if stable.is_none() {
            return (out, clash);
        }
        out.push(base[ib].clone());
        (i, j, k) = (ib + 1, jb + 1, kb + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn article(body: &[&str]) -> Article {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).single().expect("time");
        let mut a = Article::draft("Headline", at);
        a.body = body.iter().map(|t| Block::paragraph(*t)).collect();
        a
    }

    #[test]
    fn different_paragraphs_merge() {
        let base = article(&["one", "two", "three"]);
        let mine = article(&["one!", "two", "three"]);
        let theirs = article(&["one", "two", "three!", "four"]);
        let merged = three_way(&base, &mine, &theirs).expect("merges");
        assert_eq!(merged.body, article(&["one!", "two", "three!", "four"]).body);
    }

    #[test]
    fn the_same_paragraph_changed_twice_is_a_conflict() {
        let base = article(&["one", "two"]);
        let mine = article(&["one", "two, as I see it"]);
        let theirs = article(&["one", "two, as they see it"]);
        assert_eq!(three_way(&base, &mine, &theirs), Err(MergeConflict { fields: vec!["body"] }));
        // Both making the same change is no conflict.
        assert!(three_way(&base, &mine, &mine.clone()).is_ok());
    }

    #[test]
    fn fields_merge_whole_and_conflict_by_name() {
        let base = article(&["x"]);
        let mut mine = base.clone();
        let mut theirs = base.clone();
        mine.headlines.display = "Mine".into();
        theirs.dek = "Their dek".into();
        let merged = three_way(&base, &mine, &theirs).expect("merges");
        assert_eq!((merged.headlines.display.as_str(), merged.dek.as_str()), ("Mine", "Their dek"));
        theirs.headlines.display = "Theirs".into();
        mine.section_id = Some(3);
        let e = three_way(&base, &mine, &theirs).expect_err("conflict");
        assert_eq!(e.fields, vec!["headlines.display"]);
    }

    #[test]
    fn insertions_at_both_ends_and_a_deletion_merge() {
        let base = article(&["a", "b", "c", "d"]);
        let mine = article(&["new top", "a", "b", "d"]);
        let theirs = article(&["a", "b", "c", "d", "new end"]);
        let merged = three_way(&base, &mine, &theirs).expect("merges");
        assert_eq!(merged.body, article(&["new top", "a", "b", "d", "new end"]).body);
        // Deleting a block the other side edited is a conflict.
        let theirs = article(&["a", "b", "c edited", "d"]);
        assert!(three_way(&base, &mine, &theirs).is_err());
    }

    #[test]
    fn a_failed_merge_keeps_mine_where_they_clash_and_theirs_elsewhere() {
        let base = article(&["one", "two", "three"]);
        let mut mine = article(&["one", "two, mine", "three"]);
        let mut theirs = article(&["one, theirs", "two, theirs", "three"]);
        theirs.headlines.display = "Their headline".into();
        mine.dek = "My dek".into();
        let (merged, conflict) = merge_preferring_mine(&base, &mine, &theirs);
        assert_eq!(conflict, Some(MergeConflict { fields: vec!["body"] }));
        assert_eq!(merged.headlines.display, "Their headline");
        assert_eq!(merged.dek, "My dek");
        assert_eq!(merged.body, article(&["one, theirs", "two, mine", "three"]).body);
    }
}
