//! The body as plain text: a small Markdown dialect that maps one to one
//! onto the body blocks, for the editor's no-JavaScript fallback and for
//! anyone who prefers typing to clicking.
//!
//! ```text
//! A paragraph with *emphasis*, **strong** and a [link](https://example.org).
//!
//! ## A subhead
//!
//! > The quoted words, on one line.
//! > — Who said them
//!
//! - an item
//! - another (`1.` starts an ordered list)
//!
//! ::: figure 12
//! alt: What the picture shows
//! caption: What it means here
//! credit: Photographer / Agency
//! :::
//!
//! ::: timeline How it happened
//! 2024-03-01: Something happened.
//! 2024-03-04 (42): Something an earlier article (id 42) told.
//! :::
//! ```
//!
//! A backslash before punctuation keeps it literal. [`to_blocks`] never
//! fails on ordinary text: what it cannot read as structure is a paragraph.
//! It refuses only a figure or timeline whose lines cannot be read, naming
//! the line. [`from_blocks`] writes text that [`to_blocks`] reads back to
//! the same blocks (with runs of whitespace inside a block collapsed).

use chrono::NaiveDate;
use newsdesk_core::{Block, Figure, Id, Inline, TimelineEntry};
use std::fmt;

/// A line of body text that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkdownError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, for people.
    pub message: String,
}

impl fmt::Display for MarkdownError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "body, line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for MarkdownError {}

fn err(line: usize, message: impl Into<String>) -> MarkdownError {
    MarkdownError { line, message: message.into() }
}

/// Characters a backslash keeps literal.
fn escapable(c: char) -> bool {
    c.is_ascii_punctuation()
}

fn list_marker(line: &str) -> Option<(bool, &str)> {
    if matches!(line, "-" | "*" | "+") {
        return Some((false, ""));
    }
    for m in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(m) {
            return Some((false, rest));
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &line[digits..];
        if matches!(rest, "." | ")") {
            return Some((true, ""));
        }
        if let Some(r) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some((true, r));
        }
    }
    None
}

fn heading(line: &str) -> Option<&str> {
    let hashes = line.bytes().take_while(|b| *b == b'#').count();
    if !(1..=6).contains(&hashes) {
        None
    } else if hashes == line.len() {
        Some("")
    } else {
        line[hashes..].strip_prefix(' ').map(str::trim)
    }
}

/// Runs of ASCII white space as one space; no-break and other special
/// spaces are the writer's and stay.
fn collapse(s: &str) -> String {
    s.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads body text into blocks. Lines are trimmed of ASCII white space
/// only: a no-break space the writer put at the start of a paragraph stays
/// (a line holding nothing else is still a blank line).
pub fn to_blocks(text: &str) -> Result<Vec<Block>, MarkdownError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_ascii();
        // A line of only white space of any kind (a no-break space pasted
        // from a word processor) still ends a paragraph.
        if trimmed.trim().is_empty() {
            i += 1;
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix(":::") {
            let (block, next) = directive(&lines, i, rest.trim())?;
            blocks.push(block);
            i = next;
            continue;
        }
        if let Some(h) = heading(trimmed) {
            blocks.push(Block::Subhead { text: collapse(h) });
            i += 1;
            continue;
        }
        // The rest run to the next blank line or directive.
        let start = i;
        while i < lines.len() {
            let t = lines[i].trim_ascii();
            if t.trim().is_empty() || (i > start && (t.starts_with(":::") || heading(t).is_some()))
            {
                break;
            }
            i += 1;
        }
        let group: Vec<&str> = lines[start..i].iter().map(|l| l.trim_ascii()).collect();
        if group.iter().all(|l| l.starts_with('>')) {
            blocks.push(quote(&group));
        } else if list_marker(group[0]).is_some() {
            blocks.push(list(&group));
        } else {
            blocks.push(Block::Paragraph { content: inlines(&collapse(&group.join(" "))) });
        }
    }
    Ok(blocks)
}

fn quote(group: &[&str]) -> Block {
    let mut lines: Vec<String> = group
        .iter()
        .map(|l| {
            let l = &l[1..];
            l.strip_prefix(' ').unwrap_or(l).to_owned()
        })
        .collect();
    let mut attribution = None;
    if lines.len() > 1
        && let Some(last) = lines.last()
        && let Some(who) = last.strip_prefix("— ").or_else(|| last.strip_prefix("-- "))
    {
        attribution = Some(collapse(who));
        lines.pop();
    }
    let text = collapse(&lines.join(" "));
    let text = text.strip_prefix('\\').map(str::to_owned).unwrap_or(text);
    Block::Quote { text, attribution }
}

fn list(group: &[&str]) -> Block {
    let ordered = list_marker(group[0]).is_some_and(|(o, _)| o);
    let mut items: Vec<String> = Vec::new();
    for l in group {
        match list_marker(l) {
            Some((_, rest)) => items.push(rest.to_owned()),
            None => {
                if let Some(last) = items.last_mut() {
                    last.push(' ');
                    last.push_str(l);
                }
            }
        }
    }
    Block::List { ordered, items: items.iter().map(|t| inlines(&collapse(t))).collect() }
}

fn directive(lines: &[&str], at: usize, head: &str) -> Result<(Block, usize), MarkdownError> {
    let (kind, arg) = head.split_once(' ').unwrap_or((head, ""));
    let mut body = Vec::new();
    let mut i = at + 1;
    loop {
        let Some(l) = lines.get(i) else {
            return Err(err(at + 1, format!("`::: {kind}` is not closed by a line `:::`")));
        };
        if l.trim() == ":::" {
            break;
        }
        body.push((i + 1, l.trim()));
        i += 1;
    }
    let block = match kind {
        "figure" => {
            let media_id: Id = arg.trim().parse().map_err(|_| {
                err(at + 1, "a figure starts `::: figure N`, N being the media item's number")
            })?;
            let mut fig = Figure::of(media_id);
            for (n, l) in body.into_iter().filter(|(_, l)| !l.is_empty()) {
                let (k, v) = l
                    .split_once(':')
                    .ok_or_else(|| err(n, "a figure line is `alt:`, `caption:` or `credit:`"))?;
                let v = Some(collapse(v)).filter(|v| !v.is_empty());
                match k.trim() {
                    "alt" => fig.alt = v,
                    "caption" => fig.caption = v,
                    "credit" => fig.credit = v,
                    other => {
                        return Err(err(
                            n,
                            format!("a figure has alt, caption and credit, not `{other}`"),
                        ));
                    }
                }
            }
            Block::Figure(fig)
        }
        "timeline" => {
            let title = Some(collapse(arg)).filter(|t| !t.is_empty());
            let mut entries = Vec::new();
            for (n, l) in body.into_iter().filter(|(_, l)| !l.is_empty()) {
                entries.push(timeline_entry(l).ok_or_else(|| {
                    err(n, "a timeline line is `YYYY-MM-DD: what happened` or `YYYY-MM-DD (article number): …`")
                })?);
            }
            Block::Timeline { title, entries }
        }
        other => {
            return Err(err(
                at + 1,
                format!("`::: {other}` is not a block; use `::: figure` or `::: timeline`"),
            ));
        }
    };
    Ok((block, i + 1))
}

fn timeline_entry(l: &str) -> Option<TimelineEntry> {
    let (head, text) = l.split_once(": ").or_else(|| l.strip_suffix(':').map(|h| (h, "")))?;
    let (date, article_id) = match head.split_once(" (") {
        Some((d, id)) => (d, Some(id.strip_suffix(')')?.trim().parse::<Id>().ok()?)),
        None => (head, None),
    };
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    Some(TimelineEntry { date, text: collapse(text), article_id })
}

/// Reads inline markup: `*em*`, `_em_`, `**strong**`, `[text](href)` and
/// backslash escapes. Unmatched markers stay as text.
pub fn inlines(s: &str) -> Vec<Inline> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    parse_span(&chars, &mut out);
    out
}

fn push_text(out: &mut Vec<Inline>, t: &str) {
    if t.is_empty() {
        return;
    }
    if let Some(Inline::Text { text }) = out.last_mut() {
        text.push_str(t);
    } else {
        out.push(Inline::text(t));
    }
}

/// Index of the closing `marker` at or after `from`, skipping escapes and
/// nested links.
fn find_close(c: &[char], from: usize, marker: &[char]) -> Option<usize> {
    let mut i = from;
    while i < c.len() {
        if c[i] == '\\' && c.get(i + 1).is_some_and(|n| escapable(*n)) {
            i += 2;
            continue;
        }
        if c[i..].starts_with(marker) {
            // `*` never closes on `**`, or emphasis would end inside strong.
            if marker.len() == 1 && c.get(i + 1) == Some(&marker[0]) {
                i += 2;
                continue;
            }
            return Some(i);
        }
        if c[i] == '['
            && let Some((_, _, end)) = link_at(c, i)
        {
            i = end;
            continue;
        }
        i += 1;
    }
    None
}

/// A link starting at `i`: (text range, href, index after it).
fn link_at(c: &[char], i: usize) -> Option<((usize, usize), String, usize)> {
    let mut depth = 0;
    let mut j = i;
    let close = loop {
        match c.get(j)? {
            '\\' => j += 1,
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    break j;
                }
            }
            _ => {}
        }
        j += 1;
    };
    if c.get(close + 1) != Some(&'(') {
        return None;
    }
    let mut k = close + 2;
    let mut href = String::new();
    let mut parens = 0;
    loop {
        match c.get(k)? {
            '\\' if c.get(k + 1).is_some_and(|n| escapable(*n)) => {
                href.push(c[k + 1]);
                k += 2;
                continue;
            }
            ')' if parens == 0 => break,
            '(' => {
                parens += 1;
                href.push('(');
            }
            ')' => {
                parens -= 1;
                href.push(')');
            }
            ch if ch.is_whitespace() => return None,
            ch => href.push(*ch),
        }
        k += 1;
    }
    Some(((i + 1, close), href, k + 1))
}

fn parse_span(c: &[char], out: &mut Vec<Inline>) {
    let mut i = 0;
    let mut text = String::new();
    while i < c.len() {
        let ch = c[i];
        if ch == '\\' && c.get(i + 1).is_some_and(|n| escapable(*n)) {
            text.push(c[i + 1]);
            i += 2;
            continue;
        }
        if ch == '['
            && let Some(((a, b), href, end)) = link_at(c, i)
        {
            push_text(out, &std::mem::take(&mut text));
            let mut children = Vec::new();
            parse_span(&c[a..b], &mut children);
            out.push(Inline::Link { href, children });
            i = end;
            continue;
        }
        if ch == '*' && c.get(i + 1) == Some(&'*') {
            if let Some(end) = find_close(c, i + 2, &['*', '*'])
                && end > i + 2
            {
                push_text(out, &std::mem::take(&mut text));
                let mut children = Vec::new();
                parse_span(&c[i + 2..end], &mut children);
                out.push(Inline::Strong { children });
                i = end + 2;
                continue;
            }
        } else if (ch == '*' || ch == '_')
            && let Some(end) = find_close(c, i + 1, &[ch])
            && end > i + 1
        {
            push_text(out, &std::mem::take(&mut text));
            let mut children = Vec::new();
            parse_span(&c[i + 1..end], &mut children);
            out.push(Inline::Emphasis { children });
            i = end + 1;
            continue;
        }
        text.push(ch);
        i += 1;
    }
    push_text(out, &text);
}

/// Writes blocks as body text that [`to_blocks`] reads back.
pub fn from_blocks(blocks: &[Block]) -> String {
    let mut out = String::new();
    for b in blocks {
        if !out.is_empty() {
            out.push('\n');
        }
        match b {
            Block::Paragraph { content } => {
                out.push_str(&guard_start(&inline_text(content)));
                out.push('\n');
            }
            Block::Subhead { text } => {
                out.push_str("## ");
                out.push_str(&collapse(text));
                out.push('\n');
            }
            Block::Quote { text, attribution } => {
                let t = collapse(text);
                out.push_str("> ");
                if t.starts_with('\\') {
                    out.push('\\');
                }
                out.push_str(&t);
                out.push('\n');
                if let Some(a) = attribution {
                    out.push_str("> — ");
                    out.push_str(&collapse(a));
                    out.push('\n');
                }
            }
            Block::List { ordered, items } => {
                for (n, item) in items.iter().enumerate() {
                    if *ordered {
                        out.push_str(&format!("{}. ", n + 1));
                    } else {
                        out.push_str("- ");
                    }
                    out.push_str(&inline_text(item));
                    out.push('\n');
                }
            }
            Block::Figure(f) => {
                out.push_str(&format!("::: figure {}\n", f.media_id));
                for (k, v) in [("alt", &f.alt), ("caption", &f.caption), ("credit", &f.credit)] {
                    if let Some(v) = v {
                        out.push_str(&format!("{k}: {}\n", collapse(v)));
                    }
                }
                out.push_str(":::\n");
            }
            Block::Timeline { title, entries } => {
                out.push_str("::: timeline");
                if let Some(t) = title {
                    out.push(' ');
                    out.push_str(&collapse(t));
                }
                out.push('\n');
                for e in entries {
                    out.push_str(&e.date.format("%Y-%m-%d").to_string());
                    if let Some(id) = e.article_id {
                        out.push_str(&format!(" ({id})"));
                    }
                    out.push_str(": ");
                    out.push_str(&collapse(&e.text));
                    out.push('\n');
                }
                out.push_str(":::\n");
            }
        }
    }
    out
}

/// A paragraph that would read as another block gets a leading escape.
fn guard_start(p: &str) -> String {
    if p.starts_with(|c: char| c.is_ascii_digit()) && list_marker(p).is_some() {
        // `1. x` stays a paragraph as `1\. x`.
        let digits = p.bytes().take_while(u8::is_ascii_digit).count();
        return format!("{}\\{}", &p[..digits], &p[digits..]);
    }
    let needs = p.starts_with(['#', '>', '-', '+', ':']) || list_marker(p).is_some();
    if needs { format!("\\{p}") } else { p.to_owned() }
}

fn escape_into(out: &mut String, text: &str) {
    for ch in text.chars() {
        if matches!(ch, '\\' | '*' | '_' | '[' | ']') {
            out.push('\\');
        }
        out.push(ch);
    }
}

fn inline_text(spans: &[Inline]) -> String {
    let mut out = String::new();
    write_spans(&mut out, spans);
    collapse(&out)
}

fn write_spans(out: &mut String, spans: &[Inline]) {
    for s in spans {
        match s {
            Inline::Text { text } => escape_into(out, text),
            Inline::Emphasis { children } => {
                out.push('_');
                write_spans(out, children);
                out.push('_');
            }
            Inline::Strong { children } => {
                out.push_str("**");
                write_spans(out, children);
                out.push_str("**");
            }
            Inline::Link { href, children } => {
                out.push('[');
                write_spans(out, children);
                out.push_str("](");
                for ch in href.chars() {
                    if matches!(ch, '\\' | '(' | ')') {
                        out.push('\\');
                    }
                    if ch.is_whitespace() {
                        out.push_str("%20");
                    } else {
                        out.push(ch);
                    }
                }
                out.push(')');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(t: &str) -> Block {
        Block::paragraph(t)
    }

    #[test]
    fn every_block_kind_is_read() {
        let text = "First *one* and **two** and [three](https://x.test/a).\n\
                    still the first paragraph\n\n\
                    ## A subhead\n\
                    > Words said.\n> — Someone\n\n\
                    - a\n- b\n  continued\n\n\
                    1. x\n2. y\n\n\
                    ::: figure 7\nalt: A harbour\ncaption: Boats\ncredit: Agency\n:::\n\
                    ::: timeline What happened\n2024-03-01: Start.\n2024-03-04 (42): Later.\n:::\n";
        let blocks = to_blocks(text).expect("reads");
        assert_eq!(
            blocks,
            vec![
                Block::Paragraph {
                    content: vec![
                        Inline::text("First "),
                        Inline::Emphasis { children: vec![Inline::text("one")] },
                        Inline::text(" and "),
                        Inline::Strong { children: vec![Inline::text("two")] },
                        Inline::text(" and "),
                        Inline::link("https://x.test/a", "three"),
                        Inline::text(". still the first paragraph"),
                    ]
                },
                Block::Subhead { text: "A subhead".into() },
                Block::Quote { text: "Words said.".into(), attribution: Some("Someone".into()) },
                Block::List {
                    ordered: false,
                    items: vec![vec![Inline::text("a")], vec![Inline::text("b continued")]]
                },
                Block::List {
                    ordered: true,
                    items: vec![vec![Inline::text("x")], vec![Inline::text("y")]]
                },
                Block::Figure(Figure {
                    media_id: 7,
                    alt: Some("A harbour".into()),
                    caption: Some("Boats".into()),
                    credit: Some("Agency".into()),
                }),
                Block::Timeline {
                    title: Some("What happened".into()),
                    entries: vec![
                        TimelineEntry {
                            date: NaiveDate::from_ymd_opt(2024, 3, 1).expect("date"),
                            text: "Start.".into(),
                            article_id: None
                        },
                        TimelineEntry {
                            date: NaiveDate::from_ymd_opt(2024, 3, 4).expect("date"),
                            text: "Later.".into(),
                            article_id: Some(42)
                        },
                    ]
                },
            ]
        );
        assert_eq!(to_blocks(&from_blocks(&blocks)).expect("reads back"), blocks);
    }

    #[test]
    fn markup_is_only_ever_text() {
        let b = to_blocks("<script>alert(1)</script> <img src=x onerror=alert(1)>").expect("ok");
        assert_eq!(b, vec![p("<script>alert(1)</script> <img src=x onerror=alert(1)>")]);
        // A hostile link is kept as written; publishing and rendering judge it.
        let b = to_blocks("[x](javascript:alert(1))").expect("ok");
        assert_eq!(
            b,
            vec![Block::Paragraph { content: vec![Inline::link("javascript:alert(1)", "x")] }]
        );
    }

    #[test]
    fn literal_punctuation_survives_the_round_trip() {
        for text in [
            "# not a heading",
            "> not a quote",
            "- not a list",
            "1. not a list",
            "::: not a figure",
            "2024: a year, 3 * 4 = 12, snake_case_name, [brackets] and a \\ backslash",
            "*unclosed emphasis and **unclosed strong",
            "12",
            "+ plus",
        ] {
            let blocks = vec![p(text)];
            let written = from_blocks(&blocks);
            assert_eq!(to_blocks(&written).expect("reads"), blocks, "{text:?} as {written:?}");
        }
        let q = vec![Block::Quote { text: "— not an attribution".into(), attribution: None }];
        assert_eq!(to_blocks(&from_blocks(&q)).expect("reads"), q);
    }

    #[test]
    fn nested_marks_and_links_round_trip() {
        let blocks = vec![Block::Paragraph {
            content: vec![
                Inline::Strong {
                    children: vec![
                        Inline::text("bold "),
                        Inline::Emphasis { children: vec![Inline::text("and italic")] },
                    ],
                },
                Inline::text(" then "),
                Inline::Link {
                    href: "https://x.test/a_(b)".into(),
                    children: vec![Inline::Emphasis { children: vec![Inline::text("a link")] }],
                },
            ],
        }];
        assert_eq!(to_blocks(&from_blocks(&blocks)).expect("reads"), blocks);
    }

    #[test]
    fn broken_directives_name_their_line() {
        let e = to_blocks("Intro\n\n::: figure twelve\n:::").expect_err("bad id");
        assert_eq!(e.line, 3);
        let e = to_blocks("::: figure 3\nalt: x").expect_err("not closed");
        assert_eq!(e.line, 1);
        let e = to_blocks("::: timeline\nyesterday: x\n:::").expect_err("bad date");
        assert_eq!(e.line, 2);
        let e = to_blocks("::: figure 3\nsize: big\n:::").expect_err("bad key");
        assert_eq!(e.line, 2);
        assert!(to_blocks("::: video 3\n:::").is_err());
    }

    #[test]
    fn special_spaces_empty_subheads_and_empty_items_survive() {
        let blocks = vec![
            p("10\u{a0}km and 5\u{202f}%"),
            p("\u{a0}\u{a0}Indented by the writer, and ending on one\u{a0}"),
            Block::Subhead { text: String::new() },
            Block::List {
                ordered: false,
                items: vec![vec![Inline::text("a")], vec![], vec![Inline::text("c")]],
            },
            Block::List { ordered: true, items: vec![vec![Inline::text("a")], vec![]] },
        ];
        assert_eq!(to_blocks(&from_blocks(&blocks)).expect("reads"), blocks);
    }

    #[test]
    fn a_line_of_no_break_spaces_still_parts_paragraphs() {
        assert_eq!(
            to_blocks("One.\n\u{a0}\u{a0}\nTwo.").expect("reads"),
            vec![p("One."), p("Two.")]
        );
        assert_eq!(to_blocks("\u{a0}\n\n\u{a0}").expect("reads"), vec![]);
    }

    #[test]
    fn windows_line_ends_and_blank_text() {
        assert_eq!(to_blocks("").expect("ok"), vec![]);
        assert_eq!(to_blocks("\r\n  \r\n").expect("ok"), vec![]);
        assert_eq!(to_blocks("a\r\nb\r\n\r\nc").expect("ok"), vec![p("a b"), p("c")]);
    }
}
