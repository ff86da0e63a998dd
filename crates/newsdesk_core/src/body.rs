//! The structured article body: a list of typed blocks.
//!
//! The body is never stored as HTML. Every output (the page, feeds, teasers,
//! search text, JSON-LD) renders from these blocks, so hostile markup in an
//! input can only ever become escaped text.

use crate::Id;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A span of inline text with its marks.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Inline {
    /// Plain text.
    Text {
        /// The text, unescaped.
        text: String,
    },
    /// Emphasised (italic) text.
    Emphasis {
        /// What is emphasised.
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        children: Vec<Inline>,
    },
    /// Strong (bold) text.
    Strong {
        /// What is strong.
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        children: Vec<Inline>,
    },
    /// A link. Unsafe targets (see [`safe_href`]) render as their plain text.
    Link {
        /// The target as written by the editor.
        href: String,
        /// The link text.
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        children: Vec<Inline>,
    },
}

impl Inline {
    /// Plain text.
    pub fn text(text: impl Into<String>) -> Inline {
        Inline::Text { text: text.into() }
    }

    /// A link with plain text.
    pub fn link(href: impl Into<String>, text: impl Into<String>) -> Inline {
        Inline::Link { href: href.into(), children: vec![Inline::text(text)] }
    }

    /// Appends the plain text of this span to `out`.
    pub fn push_plain_text(&self, out: &mut String) {
        match self {
            Inline::Text { text } => out.push_str(text),
            Inline::Emphasis { children }
            | Inline::Strong { children }
            | Inline::Link { children, .. } => {
                children.iter().for_each(|c| c.push_plain_text(out));
            }
        }
    }
}

/// One dated entry of a timeline.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineEntry {
    /// The day the event happened.
    pub date: NaiveDate,
    /// What happened.
    pub text: String,
    /// The article that reported it, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article_id: Option<Id>,
}

/// One block of an article body.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Block {
    /// A paragraph of inline content.
    Paragraph {
        /// The paragraph's spans.
        content: Vec<Inline>,
    },
    /// A subheading inside the article (rendered as `<h2>`).
    Subhead {
        /// The subheading's text.
        text: String,
    },
    /// A quotation, optionally attributed.
    Quote {
        /// The quoted words.
        text: String,
        /// Who said or wrote them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attribution: Option<String>,
    },
    /// A bulleted or numbered list.
    List {
        /// Whether the list is numbered.
        ordered: bool,
        /// Each item's spans.
        items: Vec<Vec<Inline>>,
    },
    /// An image from the media library.
    Figure(crate::Figure),
    /// A dated list of events.
    Timeline {
        /// The timeline's heading, such as "Recent track".
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        /// The entries, oldest first.
        entries: Vec<TimelineEntry>,
    },
}

impl Block {
    /// A paragraph of plain text.
    pub fn paragraph(text: impl Into<String>) -> Block {
        Block::Paragraph { content: vec![Inline::text(text)] }
    }

    /// Appends the block's readable text to `out`, followed by a blank line.
    /// Figures contribute their caption; timelines their entries.
    pub fn push_plain_text(&self, out: &mut String) {
        match self {
            Block::Paragraph { content } => content.iter().for_each(|i| i.push_plain_text(out)),
            Block::Subhead { text } => out.push_str(text),
            Block::Quote { text, attribution } => {
                out.push_str(text);
                if let Some(a) = attribution {
                    out.push_str(" — ");
                    out.push_str(a);
                }
            }
            Block::List { items, .. } => {
                for item in items {
                    item.iter().for_each(|i| i.push_plain_text(out));
                    out.push('\n');
                }
            }
            Block::Figure(fig) => out.push_str(fig.caption.as_deref().unwrap_or_default()),
            Block::Timeline { title, entries } => {
                if let Some(t) = title {
                    out.push_str(t);
                    out.push('\n');
                }
                for e in entries {
                    out.push_str(&e.text);
                    out.push('\n');
                }
            }
        }
        out.push_str("\n\n");
    }

    /// The links a block holds, in order.
    pub fn links(&self) -> Vec<&str> {
        fn walk<'a>(spans: &'a [Inline], out: &mut Vec<&'a str>) {
            for s in spans {
                match s {
                    Inline::Text { .. } => {}
                    Inline::Emphasis { children } | Inline::Strong { children } => {
                        walk(children, out)
                    }
                    Inline::Link { href, children } => {
                        out.push(href);
                        walk(children, out);
                    }
                }
            }
        }
        let mut out = Vec::new();
        match self {
            Block::Paragraph { content } => walk(content, &mut out),
            Block::List { items, .. } => items.iter().for_each(|i| walk(i, &mut out)),
            _ => {}
        }
        out
    }
}

/// Returns the link target if it is safe to put in an `href`, else `None`.
///
/// Allowed: `http:`, `https:` and `mailto:` URLs, site-relative paths (`/x`,
/// not the protocol-relative `//host`) and fragments (`#x`). Browsers ignore
/// ASCII tabs and newlines inside a scheme and trim control characters, so
/// `java\tscript:` is judged after removing them, the way a browser would.
pub fn safe_href(href: &str) -> Option<&str> {
    let trimmed = href.trim_matches(|c: char| c.is_ascii_whitespace() || c.is_control());
    if trimmed.is_empty() || trimmed.chars().any(|c| c.is_control()) {
        return None;
    }
    if let Some(rest) = trimmed.strip_prefix('/') {
        return if rest.starts_with('/') || rest.starts_with('\\') { None } else { Some(trimmed) };
    }
    if trimmed.starts_with('#') {
        return Some(trimmed);
    }
    let scheme_end = trimmed.find(':')?;
    let scheme = trimmed[..scheme_end].to_ascii_lowercase();
    match scheme.as_str() {
        "http" | "https" if trimmed[scheme_end..].starts_with("://") => Some(trimmed),
        "mailto" => Some(trimmed),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_href_refuses_script_and_data_urls() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "\u{0}javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "//evil.example/x",
            "/\\evil.example",
            "http:evil",
            "",
            "relative/path",
        ] {
            assert_eq!(safe_href(bad), None, "{bad:?} should be refused");
        }
    }

    #[test]
    fn safe_href_keeps_ordinary_links() {
        for good in [
            "https://example.org/a?b=c",
            "http://x.test",
            "mailto:desk@x.test",
            "/world",
            "#sources",
        ] {
            assert_eq!(safe_href(good), Some(good));
        }
        assert_eq!(safe_href("  https://x.test  "), Some("https://x.test"));
    }

    #[test]
    fn blocks_round_trip_through_json_with_type_tags() {
        let b = Block::Paragraph {
            content: vec![
                Inline::text("Talks "),
                Inline::Emphasis { children: vec![Inline::text("resumed")] },
                Inline::link("https://x.test", "here"),
            ],
        };
        let json = serde_json::to_string(&b).expect("serializes");
        assert!(json.starts_with(r#"{"type":"paragraph""#), "{json}");
        let back: Block = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, b);
        let mut text = String::new();
        b.push_plain_text(&mut text);
        assert_eq!(text, "Talks resumedhere\n\n");
        assert_eq!(b.links(), vec!["https://x.test"]);
    }
}
