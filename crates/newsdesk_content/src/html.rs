//! Body blocks to HTML.
//!
//! Every piece of text is escaped here and every link target passes
//! [`safe_href`]; templates mark the result `safe` and add nothing to it.

use newsdesk_core::{
    Block, Figure, Id, Inline, Media, Rendition, RenditionKind, safe_href, slugify,
};
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// Where media files are served from.
pub const MEDIA_PREFIX: &str = "/media/";

/// What rendering a body needs besides the blocks.
pub struct BodyContext<'a> {
    /// Media items by id, for figures.
    pub media: &'a HashMap<Id, Media>,
    /// Public paths of articles by id, for timeline links.
    pub article_paths: &'a HashMap<Id, String>,
    /// Put before site-relative URLs: empty for pages, the site's base URL
    /// for feeds, whose readers have no page to resolve them against.
    pub base: &'a str,
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    push_escaped(&mut out, s);
    out
}

fn push_escaped(out: &mut String, s: &str) {
    let _ = escape_html_to(s, |part| {
        out.push_str(part);
        Ok::<(), std::convert::Infallible>(())
    });
}

/// [`escape_html`] into any writer: `put` gets the text in pieces, the runs
/// that need no escaping as they are and an entity for each `& < > " '`;
/// control characters other than tab and line breaks, which HTML does not
/// allow in text, are dropped. Nothing is allocated.
pub fn escape_html_to<E>(s: &str, mut put: impl FnMut(&str) -> Result<(), E>) -> Result<(), E> {
    let bytes = s.as_bytes();
    let (mut start, mut i) = (0, 0);
    while let Some(&b) = bytes.get(i) {
        let (len, entity) = match b {
            b'&' => (1, "&amp;"),
            b'<' => (1, "&lt;"),
            b'>' => (1, "&gt;"),
            b'"' => (1, "&quot;"),
            b'\'' => (1, "&#39;"),
            b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            // C0 controls and DEL, then C1 controls (U+0080 to U+009F,
            // two bytes in UTF-8).
            0..=0x1f | 0x7f => (1, ""),
            0xc2 if matches!(bytes.get(i + 1), Some(0x80..=0x9f)) => (2, ""),
            _ => {
                i += 1;
                continue;
            }
        };
        // `i` is at an ASCII byte or a lead byte: a character boundary.
        if start < i {
            put(&s[start..i])?;
        }
        if !entity.is_empty() {
            put(entity)?;
        }
        i += len;
        start = i;
    }
    if start < s.len() {
        put(&s[start..])?;
    }
    Ok(())
}

/// The public URL of a media file.
pub fn media_url(file: &str) -> String {
    format!("{MEDIA_PREFIX}{file}")
}

/// A `srcset` list of `renditions`, plus the original's full-size file
/// when given.
fn set_of(renditions: &[&Rendition], full: Option<&Media>) -> String {
    let mut parts: Vec<String> =
        renditions.iter().map(|r| format!("{} {}w", media_url(&r.file), r.width)).collect();
    if let Some(m) = full
        && renditions.iter().all(|r| r.width != m.width)
    {
        parts.push(format!("{} {}w", media_url(&m.file), m.width));
    }
    parts.join(", ")
}

/// The `srcset` of a media item in the original's format: its scaled
/// renditions plus the full-size file. Empty when there are none.
pub fn srcset(m: &Media) -> String {
    let scaled = m.fallback_renditions(RenditionKind::Scaled);
    if scaled.is_empty() { String::new() } else { set_of(&scaled, Some(m)) }
}

/// The `srcset` of a media item's WebP renditions (a `<source>` of a
/// `<picture>`); empty when it has none or is WebP itself.
pub fn webp_srcset(m: &Media) -> String {
    set_of(&m.webp_renditions(RenditionKind::Scaled), None)
}

/// A `srcset` list of renditions (no full-size file).
pub fn rendition_srcset(renditions: &[&Rendition]) -> String {
    set_of(renditions, None)
}

/// The label under a picture an algorithm made.
pub const AI_LABEL: &str = "AI-generated image";

fn push_inlines(out: &mut String, spans: &[Inline], base: &str) {
    for span in spans {
        match span {
            Inline::Text { text } => push_escaped(out, text),
            Inline::Emphasis { children } => {
                out.push_str("<em>");
                push_inlines(out, children, base);
                out.push_str("</em>");
            }
            Inline::Strong { children } => {
                out.push_str("<strong>");
                push_inlines(out, children, base);
                out.push_str("</strong>");
            }
            Inline::Link { href, children } => match safe_href(href) {
                Some(h) => {
                    out.push_str("<a href=\"");
                    if h.starts_with('/') {
                        push_escaped(out, base);
                    }
                    push_escaped(out, h);
                    out.push_str("\">");
                    push_inlines(out, children, base);
                    out.push_str("</a>");
                }
                // An unsafe target loses the link, never the words.
                None => push_inlines(out, children, base),
            },
        }
    }
}

/// Renders one figure. `lazy` defers loading for images below the fold.
pub(crate) fn push_figure(
    out: &mut String,
    fig: &Figure,
    media: Option<&Media>,
    lazy: bool,
    base: &str,
) {
    let Some(m) = media else {
        // A figure whose media is gone keeps its caption so no words are lost.
        if let Some(c) = fig.caption(None) {
            out.push_str("<p class=\"figure-missing\">");
            push_escaped(out, c);
            out.push_str("</p>\n");
        }
        return;
    };
    const SIZES: &str = "(min-width: 48rem) 46rem, 100vw";
    // Feeds (an absolute `base`) get one plain file; pages get every size.
    let (set, webp) =
        if base.is_empty() { (srcset(m), webp_srcset(m)) } else { (String::new(), String::new()) };
    out.push_str("<figure class=\"figure\">\n");
    if !webp.is_empty() {
        let _ = write!(out, "<picture><source type=\"image/webp\" srcset=\"");
        push_escaped(out, &webp);
        let _ = write!(out, "\" sizes=\"{SIZES}\">");
    }
    // Browsers that read `srcset` never fetch `src`; the others, and feed
    // readers, get a file of a sensible size rather than a camera original
    // (`width` and `height` keep the picture's own shape either way).
    let (file, w, h) = if !base.is_empty() {
        m.sized(1280)
    } else if set.is_empty() {
        (m.file.as_str(), m.width, m.height)
    } else {
        (m.sized(960).0, m.width, m.height)
    };
    out.push_str("<img src=\"");
    push_escaped(out, base);
    push_escaped(out, &media_url(file));
    out.push('"');
    if !set.is_empty() {
        out.push_str(" srcset=\"");
        push_escaped(out, &set);
        let _ = write!(out, "\" sizes=\"{SIZES}\"");
    }
    let _ = write!(out, " width=\"{w}\" height=\"{h}\" alt=\"");
    push_escaped(out, fig.alt(Some(m)).unwrap_or_default());
    out.push('"');
    if lazy {
        out.push_str(" loading=\"lazy\" decoding=\"async\"");
    } else {
        out.push_str(" fetchpriority=\"high\"");
    }
    out.push('>');
    if !webp.is_empty() {
        out.push_str("</picture>");
    }
    let caption = fig.caption(Some(m));
    let credit = fig.credit(Some(m));
    if caption.is_some() || credit.is_some() || m.ai_generated {
        out.push_str("\n<figcaption>");
        if m.ai_generated {
            let _ = write!(out, "<span class=\"ai-label\">{AI_LABEL}</span> ");
        }
        if let Some(c) = caption {
            out.push_str("<span class=\"caption\">");
            push_escaped(out, c);
            out.push_str("</span>");
        }
        if let Some(c) = credit {
            out.push_str(" <span class=\"credit\">");
            push_escaped(out, c);
            out.push_str("</span>");
        }
        out.push_str("</figcaption>");
    }
    out.push_str("\n</figure>\n");
}

/// Renders a lead figure (eagerly loaded, above the fold). `base` is put
/// before its site-relative URL, as in [`BodyContext::base`].
pub fn render_lead(fig: &Figure, media: Option<&Media>, base: &str) -> String {
    let mut out = String::new();
    push_figure(&mut out, fig, media, false, base);
    out
}

/// Renders body blocks to HTML. Subheads get stable, unique `id`s.
pub fn render_body(blocks: &[Block], ctx: &BodyContext<'_>) -> String {
    let mut out = String::with_capacity(blocks.len() * 400);
    let mut ids = HashSet::new();
    for block in blocks {
        match block {
            Block::Paragraph { content } => {
                out.push_str("<p>");
                push_inlines(&mut out, content, ctx.base);
                out.push_str("</p>\n");
            }
            Block::Subhead { text } => {
                let base = slugify(text);
                let mut id = base.clone();
                let mut n = 2;
                while !ids.insert(id.clone()) {
                    id = format!("{base}-{n}");
                    n += 1;
                }
                let _ = write!(out, "<h2 id=\"{id}\">");
                push_escaped(&mut out, text);
                out.push_str("</h2>\n");
            }
            Block::Quote { text, attribution } => {
                out.push_str("<blockquote class=\"quote\"><p>");
                push_escaped(&mut out, text);
                out.push_str("</p>");
                if let Some(a) = attribution {
                    out.push_str("<footer>— ");
                    push_escaped(&mut out, a);
                    out.push_str("</footer>");
                }
                out.push_str("</blockquote>\n");
            }
            Block::List { ordered, items } => {
                let tag = if *ordered { "ol" } else { "ul" };
                let _ = write!(out, "<{tag}>");
                for item in items {
                    out.push_str("<li>");
                    push_inlines(&mut out, item, ctx.base);
                    out.push_str("</li>");
                }
                let _ = writeln!(out, "</{tag}>");
            }
            Block::Figure(fig) => {
                push_figure(&mut out, fig, ctx.media.get(&fig.media_id), true, ctx.base)
            }
            Block::Timeline { title, entries } => {
                out.push_str("<aside class=\"timeline\">\n");
                if let Some(t) = title {
                    out.push_str("<h2 class=\"timeline-title\">");
                    push_escaped(&mut out, t);
                    out.push_str("</h2>\n");
                }
                out.push_str("<ol>\n");
                for e in entries {
                    let _ = write!(
                        out,
                        "<li><time datetime=\"{}\">{}</time> ",
                        e.date.format("%Y-%m-%d"),
                        crate::display_date(e.date)
                    );
                    match e.article_id.and_then(|id| ctx.article_paths.get(&id)) {
                        Some(path) => {
                            out.push_str("<a href=\"");
                            push_escaped(&mut out, ctx.base);
                            push_escaped(&mut out, path);
                            out.push_str("\">");
                            push_escaped(&mut out, &e.text);
                            out.push_str("</a>");
                        }
                        None => push_escaped(&mut out, &e.text),
                    }
                    out.push_str("</li>\n");
                }
                out.push_str("</ol>\n</aside>\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use newsdesk_core::{Rendition, TimelineEntry};

    #[test]
    fn escaping_replaces_markup_keeps_text_and_drops_controls() {
        assert_eq!(
            escape_html("<a href=\"x\" onclick='y'>Tom & Jerry</a>"),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;"
        );
        // Tab and line breaks stay; C0, DEL and C1 controls go; letters of
        // any script (é is C3 A9, ¢ is C2 A2) are untouched.
        assert_eq!(escape_html("a\tb\nc\r\0d\u{7}e\u{7f}f\u{85}g\u{9f}"), "a\tb\nc\rdefg");
        assert_eq!(escape_html("café ¢ 東京 &"), "café ¢ 東京 &amp;");
        assert_eq!(escape_html(""), "");
        // The writer gets the same text in pieces, none of them empty.
        let mut pieces = Vec::new();
        let written = escape_html_to("x<y", |p| {
            pieces.push(p.to_owned());
            Ok::<(), ()>(())
        });
        assert_eq!(written, Ok(()));
        assert_eq!(pieces, ["x", "&lt;", "y"]);
    }

    fn media() -> HashMap<Id, Media> {
        let m = Media {
            id: 3,
            file: "p/3.jpg".into(),
            width: 1200,
            height: 675,
            alt: Some("Delegates at a long table".into()),
            caption: Some("Talks opened on Monday.".into()),
            credit: Some("Jane Roe / Pool via Wire".into()),
            rights: None,
            renditions: vec![Rendition {
                file: "p/3-400.jpg".into(),
                width: 400,
                height: 225,
                kind: Default::default(),
            }],
            ..Media::default()
        };
        HashMap::from([(3, m)])
    }

    #[test]
    fn renders_every_block_kind() {
        let media = media();
        let paths = HashMap::from([(9, "/world/2026/01/02/earlier".to_owned())]);
        let blocks = vec![
            Block::Paragraph {
                content: vec![
                    Inline::text("Talks "),
                    Inline::Strong { children: vec![Inline::text("resumed")] },
                    Inline::text(" "),
                    Inline::link("https://x.test/?a=1&b=2", "today"),
                ],
            },
            Block::Subhead { text: "What comes next".into() },
            Block::Subhead { text: "What comes next".into() },
            Block::Quote { text: "We are close.".into(), attribution: Some("A minister".into()) },
            Block::List { ordered: true, items: vec![vec![Inline::text("one")]] },
            Block::Figure(Figure::of(3)),
            Block::Timeline {
                title: Some("Recent track".into()),
                entries: vec![
                    TimelineEntry {
                        date: NaiveDate::from_ymd_opt(2026, 1, 2).expect("date"),
                        text: "First round".into(),
                        article_id: Some(9),
                    },
                    TimelineEntry {
                        date: NaiveDate::from_ymd_opt(2026, 2, 3).expect("date"),
                        text: "Second round".into(),
                        article_id: None,
                    },
                ],
            },
        ];
        let html =
            render_body(&blocks, &BodyContext { media: &media, article_paths: &paths, base: "" });
        insta::assert_snapshot!(html);
    }

    #[test]
    fn hostile_text_is_escaped_and_unsafe_links_lose_only_the_link() {
        let media = HashMap::new();
        let paths = HashMap::new();
        let blocks = vec![
            Block::Paragraph {
                content: vec![
                    Inline::text("<script>alert(1)</script><img src=x onerror=alert(2)>"),
                    Inline::link("javascript:alert(3)", "click me"),
                    Inline::link("https://ok.test/\" onmouseover=\"x", "quoted"),
                ],
            },
            Block::Subhead { text: "<b onclick=x>Sub</b>".into() },
            Block::Figure(Figure { caption: Some("Kept caption".into()), ..Figure::of(404) }),
        ];
        let html =
            render_body(&blocks, &BodyContext { media: &media, article_paths: &paths, base: "" });
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("\" onmouseover"), "{html}");
        assert!(html.contains("click me"), "link text kept: {html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
        assert!(html.contains("Kept caption"), "{html}");
        assert!(
            html.contains("<h2 id=\"b-onclick-x-sub-b\">&lt;b onclick=x&gt;Sub&lt;/b&gt;</h2>"),
            "{html}"
        );
    }

    #[test]
    fn srcset_lists_renditions_then_the_original() {
        let m = media();
        assert_eq!(srcset(&m[&3]), "/media/p/3-400.jpg 400w, /media/p/3.jpg 1200w");
        let mut bare = m[&3].clone();
        bare.renditions.clear();
        assert_eq!(srcset(&bare), "");
    }
}
