//! HTML written elsewhere into body blocks.
//!
//! Bodies from other systems are HTML; Newsdesk stores blocks. The
//! converter reads the markup with a WHATWG tokenizer and keeps only what
//! blocks can say: paragraphs with emphasis, strong and links, subheads,
//! quotes with their attribution, lists and images with captions. Scripts,
//! styles, forms, frames and event handlers are dropped (an embedded
//! frame's address is kept as a link); links whose target is not safe keep
//! only their text. Nothing of the markup itself can reach a reader: every
//! word ends up as text inside a block.

use html5gum::{DefaultEmitter, Token, Tokenizer};
use newsdesk_core::{Block, Inline, safe_href};
use std::collections::BTreeSet;

/// An image found in the markup, to be matched with a library item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageRef {
    /// Its address as written.
    pub src: String,
    /// Its alt text, if it had one.
    pub alt: Option<String>,
    /// Its caption (a `figcaption`, or a classic caption).
    pub caption: Option<String>,
    /// The id of the item in the system it came from (WordPress writes
    /// `wp-image-123` classes).
    pub attachment: Option<i64>,
}

/// One piece of a converted body: a block, or an image still to be
/// matched with a library item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// A finished block.
    Block(Block),
    /// An image.
    Image(ImageRef),
}

/// What the converter made, and what it had to leave out.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Converted {
    /// The body, in order.
    pub pieces: Vec<Piece>,
    /// What could not be kept as it was, one line each, for the report.
    pub notes: BTreeSet<String>,
}

/// Elements whose content is never text for readers: skipped whole.
const DROPPED: &[&str] = &[
    "script", "style", "template", "noscript", "svg", "math", "title", "textarea", "object",
    "canvas", "audio", "video", "iframe",
];

/// Elements whose tag is dropped and whose words are kept (an unclosed one
/// must not hide the rest of a body).
const UNWRAPPED: &[&str] = &["form", "button", "select", "dialog", "map", "head", "label"];

/// Elements that end a paragraph.
const BREAKS: &[&str] = &[
    "p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "address",
    "center", "dl", "dt", "dd", "details", "summary", "pre", "table", "thead", "tbody", "tfoot",
    "tr", "caption", "hr", "fieldset", "legend", "body", "html",
];

/// WordPress blocks the converter understands; others are reported.
const KNOWN_BLOCKS: &[&str] = &[
    "paragraph",
    "heading",
    "list",
    "list-item",
    "quote",
    "pullquote",
    "image",
    "gallery",
    "embed",
    "separator",
    "spacer",
    "more",
    "nextpage",
    "freeform",
    "html",
    "group",
    "columns",
    "column",
    "preformatted",
    "code",
    "table",
    "verse",
    "video",
    "audio",
    "cover",
    "media-text",
    "buttons",
    "button",
    "shortcode",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Root,
    Emphasis,
    Strong,
    Link,
    /// A link whose target was refused: its text stays.
    Plain,
}

#[derive(Debug)]
struct Frame {
    mark: Mark,
    tag: String,
    href: String,
    children: Vec<Inline>,
}

impl Frame {
    fn new(mark: Mark, tag: &str, href: &str) -> Frame {
        Frame { mark, tag: tag.to_owned(), href: href.to_owned(), children: Vec::new() }
    }

    fn into_inlines(self) -> Vec<Inline> {
        if self.children.is_empty() {
            return Vec::new();
        }
        match self.mark {
            Mark::Root | Mark::Plain => self.children,
            Mark::Emphasis => vec![Inline::Emphasis { children: self.children }],
            Mark::Strong => vec![Inline::Strong { children: self.children }],
            Mark::Link => vec![Inline::Link { href: self.href, children: self.children }],
        }
    }
}

#[derive(Debug)]
enum Ctx {
    Heading(String),
    Quote { text: Vec<String>, attribution: Option<String>, in_cite: Option<String> },
    List { ordered: bool, items: Vec<Vec<Inline>> },
    Figure { image: Option<ImageRef>, caption: Vec<String>, in_caption: bool, text: Vec<String> },
}

struct Converter {
    out: Converted,
    frames: Vec<Frame>,
    ctx: Vec<Ctx>,
    /// Open `div`s: whether each is a classic caption box.
    divs: Vec<bool>,
    /// Inside a classic caption's text paragraph.
    caption_p: bool,
    /// The dropped element being skipped and how deep in it we are.
    skip: Option<(String, usize)>,
}

/// Converts `html` into pieces of a body.
pub fn convert(html: &str) -> Converted {
    let mut emitter = DefaultEmitter::default();
    // Script and style content is read as raw text, the way a browser
    // reads it, so markup-looking text inside them stays inside them.
    emitter.naively_switch_states(true);
    let mut c = Converter {
        out: Converted::default(),
        frames: vec![Frame::new(Mark::Root, "", "")],
        ctx: Vec::new(),
        divs: Vec::new(),
        caption_p: false,
        skip: None,
    };
    for token in Tokenizer::new_with_emitter(html, emitter) {
        let Ok(token) = token;
        match token {
            Token::StartTag(t) => {
                let name = String::from_utf8_lossy(&t.name).to_ascii_lowercase();
                let attr = |k: &str| {
                    t.attributes
                        .get(k.as_bytes())
                        .map(|v| String::from_utf8_lossy(v).trim().to_owned())
                };
                c.start(&name, &attr, t.self_closing);
            }
            Token::EndTag(t) => {
                let name = String::from_utf8_lossy(&t.name).to_ascii_lowercase();
                c.end(&name);
            }
            Token::String(s) => {
                if c.skip.is_none() {
                    c.text(&String::from_utf8_lossy(&s));
                }
            }
            Token::Comment(s) => c.comment(&String::from_utf8_lossy(&s)),
            Token::Doctype(_) | Token::Error(_) => {}
        }
    }
    if let Some((tag, _)) = &c.skip {
        let n = format!("an unclosed <{tag}> element hid the rest of a body");
        c.note(n);
    }
    // Whatever is still open ends with the input.
    while !c.ctx.is_empty() {
        c.close_ctx();
    }
    c.flush();
    c.out
}

impl Converter {
    fn note(&mut self, s: impl Into<String>) {
        self.out.notes.insert(s.into());
    }

    fn start(&mut self, name: &str, attr: &dyn Fn(&str) -> Option<String>, self_closing: bool) {
        if let Some((tag, depth)) = &mut self.skip {
            if tag == name && !self_closing {
                *depth += 1;
            }
            return;
        }
        if attr("onclick").is_some()
            || attr("onerror").is_some()
            || attr("onload").is_some()
            || attr("onmouseover").is_some()
        {
            self.note("removed event handler attributes");
        }
        match name {
            "iframe" | "embed" | "video" | "audio" | "object" => {
                let src = attr("src").or_else(|| attr("data"));
                if let Some(src) = src.filter(|s| is_web_url(s)) {
                    self.embed_link(&src);
                } else {
                    self.note(format!("removed a <{name}> element"));
                }
                if name != "embed" && !self_closing {
                    self.skip = Some((name.to_owned(), 1));
                }
            }
            n if UNWRAPPED.contains(&n) => {
                self.note(format!("kept the words of <{n}> elements as text"));
            }
            n if DROPPED.contains(&n) => {
                self.note(format!("removed a <{n}> element"));
                if !self_closing {
                    self.skip = Some((n.to_owned(), 1));
                }
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush();
                self.ctx.push(Ctx::Heading(String::new()));
            }
            "blockquote" => {
                self.flush();
                self.ctx.push(Ctx::Quote { text: Vec::new(), attribution: None, in_cite: None });
            }
            "cite" | "footer" if matches!(self.ctx.last(), Some(Ctx::Quote { .. })) => {
                self.flush();
                if let Some(Ctx::Quote { in_cite, .. }) = self.ctx.last_mut() {
                    *in_cite = Some(name.to_owned());
                }
            }
            "ul" | "ol" => {
                self.flush();
                self.ctx.push(Ctx::List { ordered: name == "ol", items: Vec::new() });
            }
            "li" => self.flush(),
            "figure" => {
                self.flush();
                self.open_figure();
            }
            "div" => {
                self.flush();
                let caption_box = has_class(attr("class").as_deref(), "wp-caption");
                if caption_box {
                    self.open_figure();
                }
                self.divs.push(caption_box);
            }
            "p" if has_class(attr("class").as_deref(), "wp-caption-text") => {
                self.flush();
                self.caption_p = true;
                self.set_in_caption(true);
            }
            "figcaption" => {
                self.flush();
                self.set_in_caption(true);
            }
            "img" => self.image(attr),
            "a" => {
                let href = attr("href").unwrap_or_default();
                if href.is_empty() {
                    self.frames.push(Frame::new(Mark::Plain, "a", ""));
                } else if safe_href(&href).is_some() {
                    self.frames.push(Frame::new(Mark::Link, "a", &href));
                } else {
                    self.note("kept the text of links whose target is not allowed");
                    self.frames.push(Frame::new(Mark::Plain, "a", ""));
                }
            }
            "em" | "i" | "cite" | "dfn" | "var" => {
                self.frames.push(Frame::new(Mark::Emphasis, name, ""));
            }
            "strong" | "b" => self.frames.push(Frame::new(Mark::Strong, name, "")),
            "br" => self.text(" "),
            "td" | "th" => self.text(" "),
            n if BREAKS.contains(&n) => {
                if matches!(n, "table") {
                    self.note("flattened tables into paragraphs");
                }
                if matches!(n, "pre") {
                    self.note("kept preformatted text as paragraphs");
                }
                self.flush();
            }
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        if let Some((tag, depth)) = &mut self.skip {
            if tag == name {
                *depth -= 1;
                if *depth == 0 {
                    self.skip = None;
                }
            }
            return;
        }
        match name {
            "a" | "em" | "i" | "cite" | "dfn" | "var" | "strong" | "b"
                if self.frames.iter().skip(1).any(|f| f.tag == name) =>
            {
                while let Some(f) = self.frames.pop() {
                    let done = f.tag == name;
                    let inl = f.into_inlines();
                    if let Some(parent) = self.frames.last_mut() {
                        parent.children.extend(inl);
                    }
                    if done {
                        break;
                    }
                }
            }
            "cite" | "footer" => {
                let is_cite = matches!(
                    self.ctx.last(),
                    Some(Ctx::Quote { in_cite: Some(t), .. }) if t == name
                );
                if is_cite {
                    let who = plain(&self.take());
                    if let Some(Ctx::Quote { attribution, in_cite, .. }) = self.ctx.last_mut() {
                        *in_cite = None;
                        if !who.is_empty() {
                            let who = who.trim_start_matches(['—', '–', '-', ' ']).to_owned();
                            *attribution = Some(who);
                        }
                    }
                }
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                if matches!(self.ctx.last(), Some(Ctx::Heading(_))) {
                    self.close_ctx();
                }
            }
            "blockquote" if self.ctx.iter().any(|c| matches!(c, Ctx::Quote { .. })) => {
                while let Some(c) = self.ctx.last() {
                    let quote = matches!(c, Ctx::Quote { .. });
                    self.close_ctx();
                    if quote {
                        break;
                    }
                }
            }
            "ul" | "ol" if self.ctx.iter().any(|c| matches!(c, Ctx::List { .. })) => {
                while let Some(c) = self.ctx.last() {
                    let list = matches!(c, Ctx::List { .. });
                    self.close_ctx();
                    if list {
                        break;
                    }
                }
            }
            "li" => self.flush(),
            "figure" => self.close_figure(),
            "figcaption" => {
                self.flush();
                self.set_in_caption(false);
            }
            "div" => {
                self.flush();
                if self.divs.pop() == Some(true) {
                    self.close_figure();
                }
            }
            "p" if self.caption_p => {
                self.flush();
                self.caption_p = false;
                self.set_in_caption(false);
            }
            n if BREAKS.contains(&n) => self.flush(),
            _ => {}
        }
    }

    fn comment(&mut self, s: &str) {
        let s = s.trim();
        let Some(rest) = s.strip_prefix("wp:") else { return };
        let name: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != '{').collect();
        let name = name.trim_end_matches('/');
        let short = name.strip_prefix("core/").unwrap_or(name);
        if !KNOWN_BLOCKS.contains(&short) && !short.starts_with("core-embed") {
            self.note(format!("converted the unknown block wp:{name} to text"));
        }
        if matches!(short, "table") {
            self.note("flattened tables into paragraphs");
        }
    }

    /// Adds text where it belongs now. Outside lists, headings and figures
    /// a blank line ends a paragraph, as classic WordPress bodies (written
    /// without `<p>`) mean it to.
    fn text(&mut self, s: &str) {
        let splits = !matches!(
            self.ctx.last(),
            Some(Ctx::List { .. } | Ctx::Heading(_) | Ctx::Figure { .. })
        );
        let mut parts = if splits { split_blank_lines(s) } else { vec![s] }.into_iter();
        if let Some(first) = parts.next() {
            self.push_text(first);
        }
        for part in parts {
            self.flush();
            self.push_text(part);
        }
    }

    fn push_text(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if let Some(f) = self.frames.last_mut() {
            match f.children.last_mut() {
                Some(Inline::Text { text }) => text.push_str(s),
                _ => f.children.push(Inline::text(s)),
            }
        }
    }

    /// Closes every open mark and returns the spans written since the last
    /// boundary, whitespace folded; the marks stay open for what follows
    /// (`<b><p>a</p><p>b</p></b>` keeps both bold).
    fn take(&mut self) -> Vec<Inline> {
        let reopen: Vec<(Mark, String, String)> =
            self.frames.iter().skip(1).map(|f| (f.mark, f.tag.clone(), f.href.clone())).collect();
        while self.frames.len() > 1 {
            if let Some(f) = self.frames.pop() {
                let inl = f.into_inlines();
                if let Some(parent) = self.frames.last_mut() {
                    parent.children.extend(inl);
                }
            }
        }
        let raw = self.frames.first_mut().map(|f| std::mem::take(&mut f.children));
        for (mark, tag, href) in reopen {
            self.frames.push(Frame::new(mark, &tag, &href));
        }
        normalize(raw.unwrap_or_default())
    }

    /// Ends the current paragraph: its spans go to the innermost open
    /// block (a list item, a quote, a caption, a heading) or become a
    /// paragraph.
    fn flush(&mut self) {
        let spans = self.take();
        if spans.is_empty() {
            return;
        }
        match self.ctx.last_mut() {
            Some(Ctx::Heading(text)) => push_joined(text, &plain(&spans)),
            Some(Ctx::Quote { text, .. }) => text.push(plain(&spans)),
            Some(Ctx::List { items, .. }) => items.push(spans),
            Some(Ctx::Figure { caption, in_caption, text, .. }) => {
                if *in_caption {
                    caption.push(plain(&spans));
                } else {
                    text.push(plain(&spans));
                }
            }
            None => self.out.pieces.push(Piece::Block(Block::Paragraph { content: spans })),
        }
    }

    fn close_ctx(&mut self) {
        self.flush();
        let Some(c) = self.ctx.pop() else { return };
        match c {
            Ctx::Heading(text) => {
                let text = text.trim().to_owned();
                if !text.is_empty() {
                    self.emit(Block::Subhead { text });
                }
            }
            Ctx::Quote { text, attribution, .. } => {
                let text = text.join(" ").trim().to_owned();
                if !text.is_empty() {
                    self.emit(Block::Quote { text, attribution });
                }
            }
            Ctx::List { ordered, items } => {
                // A list inside a list item continues the outer list.
                if let Some(Ctx::List { items: outer, .. }) = self.ctx.last_mut() {
                    outer.extend(items);
                } else if !items.is_empty() {
                    self.emit(Block::List { ordered, items });
                }
            }
            Ctx::Figure { image, caption, text, .. } => {
                let caption = caption.join(" ").trim().to_owned();
                let text: Vec<String> = text
                    .into_iter()
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .collect();
                match image {
                    Some(mut img) => {
                        if img.caption.is_none() && !caption.is_empty() {
                            img.caption = Some(caption);
                        }
                        self.out.pieces.push(Piece::Image(img));
                        if !text.is_empty() {
                            self.note("kept words inside a figure as paragraphs after it");
                        }
                        for t in text {
                            self.emit(Block::paragraph(t));
                        }
                    }
                    None => {
                        // An embed's figure holds only its address.
                        if let [only] = text.as_slice()
                            && is_web_url(only)
                        {
                            self.embed_link(only);
                        } else {
                            for t in text {
                                self.emit(Block::paragraph(t));
                            }
                        }
                        if !caption.is_empty() {
                            self.emit(Block::paragraph(caption));
                        }
                    }
                }
            }
        }
    }

    /// A block goes into the innermost open block that can hold it, or
    /// into the body.
    fn emit(&mut self, b: Block) {
        match (self.ctx.last_mut(), b) {
            (Some(Ctx::Quote { text, .. }), b) => {
                let mut s = String::new();
                b.push_plain_text(&mut s);
                text.push(s.trim().to_owned());
            }
            (Some(Ctx::List { items, .. }), b) => {
                let mut s = String::new();
                b.push_plain_text(&mut s);
                items.push(vec![Inline::text(s.trim())]);
            }
            (_, b) => self.out.pieces.push(Piece::Block(b)),
        }
    }

    fn open_figure(&mut self) {
        self.ctx.push(Ctx::Figure {
            image: None,
            caption: Vec::new(),
            in_caption: false,
            text: Vec::new(),
        });
    }

    fn close_figure(&mut self) {
        if self.ctx.iter().any(|c| matches!(c, Ctx::Figure { .. })) {
            while let Some(c) = self.ctx.last() {
                let fig = matches!(c, Ctx::Figure { .. });
                self.close_ctx();
                if fig {
                    break;
                }
            }
        } else {
            self.flush();
        }
    }

    fn set_in_caption(&mut self, on: bool) {
        if let Some(Ctx::Figure { in_caption, .. }) = self.ctx.last_mut() {
            *in_caption = on;
        }
    }

    fn image(&mut self, attr: &dyn Fn(&str) -> Option<String>) {
        let src = attr("src").unwrap_or_default();
        let attachment = attr("class")
            .and_then(|c| {
                c.split_whitespace()
                    .find_map(|w| w.strip_prefix("wp-image-").and_then(|n| n.parse().ok()))
            })
            .or_else(|| attr("data-id").and_then(|v| v.parse().ok()))
            .or_else(|| attr("data-attachment-id").and_then(|v| v.parse().ok()));
        if src.is_empty() && attachment.is_none() {
            return;
        }
        let alt = attr("alt").map(|a| fold_space(&a)).filter(|a| !a.is_empty());
        let img = ImageRef { src, alt, caption: None, attachment };
        if let Some(Ctx::Figure { image, .. }) = self.ctx.last_mut()
            && image.is_none()
        {
            *image = Some(img);
            return;
        }
        // An image in running text stands between two paragraphs.
        self.flush();
        self.out.pieces.push(Piece::Image(img));
    }

    fn embed_link(&mut self, url: &str) {
        self.note("kept embedded media as links");
        self.flush();
        self.emit(Block::Paragraph { content: vec![Inline::link(url, url)] });
    }
}

/// The text of an HTML fragment (a title, a term's name): tags dropped,
/// character references decoded, whitespace folded.
pub fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut skip: Option<String> = None;
    let mut emitter = DefaultEmitter::default();
    emitter.naively_switch_states(true);
    for token in Tokenizer::new_with_emitter(html, emitter) {
        let Ok(token) = token;
        match token {
            Token::StartTag(t) => {
                let name = String::from_utf8_lossy(&t.name).to_ascii_lowercase();
                if skip.is_none() && DROPPED.contains(&name.as_str()) && !t.self_closing {
                    skip = Some(name);
                }
            }
            Token::EndTag(t)
                if skip.as_deref()
                    == Some(&*String::from_utf8_lossy(&t.name).to_ascii_lowercase()) =>
            {
                skip = None;
            }
            Token::String(s) if skip.is_none() => out.push_str(&String::from_utf8_lossy(&s)),
            _ => {}
        }
    }
    fold_space(&out)
}

fn has_class(class: Option<&str>, want: &str) -> bool {
    class.is_some_and(|c| c.split_whitespace().any(|w| w == want))
}

fn is_web_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://")) && safe_href(s).is_some()
}

/// `s` cut at blank lines (a line break, optional spaces, a line break).
fn split_blank_lines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            let mut j = i + 1;
            while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\r') {
                j += 1;
            }
            if j < bytes.len() && bytes[j] == b'\n' {
                out.push(&s[start..i]);
                while j < bytes.len() && matches!(bytes[j], b'\n' | b' ' | b'\t' | b'\r') {
                    j += 1;
                }
                start = j;
                i = j;
                continue;
            }
        }
        i += 1;
    }
    out.push(&s[start..]);
    out
}

fn push_joined(into: &mut String, s: &str) {
    if !into.is_empty() && !s.is_empty() {
        into.push(' ');
    }
    into.push_str(s);
}

/// Runs of HTML whitespace as one space, trimmed.
pub fn fold_space(s: &str) -> String {
    s.split([' ', '\t', '\n', '\r', '\u{c}'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The plain text of spans.
pub fn plain(spans: &[Inline]) -> String {
    let mut s = String::new();
    spans.iter().for_each(|i| i.push_plain_text(&mut s));
    fold_space(&s)
}

/// Folds whitespace across spans (as a browser shows it), trims both ends,
/// drops empty spans and joins neighbouring texts.
fn normalize(spans: Vec<Inline>) -> Vec<Inline> {
    fn fold(spans: Vec<Inline>, prev_space: &mut bool) -> Vec<Inline> {
        let mut out: Vec<Inline> = Vec::with_capacity(spans.len());
        for s in spans {
            match s {
                Inline::Text { text } => {
                    let mut t = String::with_capacity(text.len());
                    for c in text.chars() {
                        if matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{c}') {
                            if !*prev_space {
                                t.push(' ');
                                *prev_space = true;
                            }
                        } else if !c.is_control() {
                            t.push(c);
                            *prev_space = false;
                        }
                    }
                    if t.is_empty() {
                        continue;
                    }
                    if let Some(Inline::Text { text: last }) = out.last_mut() {
                        last.push_str(&t);
                    } else {
                        out.push(Inline::Text { text: t });
                    }
                }
                Inline::Emphasis { children } => {
                    let children = fold(children, prev_space);
                    if !children.is_empty() {
                        out.push(Inline::Emphasis { children });
                    }
                }
                Inline::Strong { children } => {
                    let children = fold(children, prev_space);
                    if !children.is_empty() {
                        out.push(Inline::Strong { children });
                    }
                }
                Inline::Link { href, children } => {
                    let children = fold(children, prev_space);
                    if !children.is_empty() {
                        out.push(Inline::Link { href, children });
                    }
                }
            }
        }
        out
    }
    /// Trims trailing spaces of the last text; `true` when `spans` ended
    /// up empty.
    fn trim_end(spans: &mut Vec<Inline>) {
        while let Some(last) = spans.last_mut() {
            let empty = match last {
                Inline::Text { text } => {
                    let t = text.trim_end_matches(' ').len();
                    text.truncate(t);
                    text.is_empty()
                }
                Inline::Emphasis { children }
                | Inline::Strong { children }
                | Inline::Link { children, .. } => {
                    trim_end(children);
                    children.is_empty()
                }
            };
            if empty {
                spans.pop();
            } else {
                break;
            }
        }
    }
    let mut prev_space = true;
    let mut spans = fold(spans, &mut prev_space);
    trim_end(&mut spans);
    // A paragraph of nothing but no-break spaces (`<p>&nbsp;</p>`, a
    // classic editor's empty line) is no paragraph.
    if plain(&spans).trim_matches(|c: char| c.is_whitespace()).is_empty() {
        return Vec::new();
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(html: &str) -> Vec<Piece> {
        convert(html).pieces
    }

    fn para(s: &str) -> Piece {
        Piece::Block(Block::paragraph(s))
    }

    #[test]
    fn paragraphs_marks_and_links_survive() {
        let got = blocks(
            "<p>A <em>very</em> <strong>big</strong> <a href=\"https://x.test/\">day</a>.</p>",
        );
        assert_eq!(
            got,
            vec![Piece::Block(Block::Paragraph {
                content: vec![
                    Inline::text("A "),
                    Inline::Emphasis { children: vec![Inline::text("very")] },
                    Inline::text(" "),
                    Inline::Strong { children: vec![Inline::text("big")] },
                    Inline::text(" "),
                    Inline::link("https://x.test/", "day"),
                    Inline::text("."),
                ]
            })]
        );
    }

    #[test]
    fn classic_bodies_split_at_blank_lines() {
        let got = blocks("First line\nstill first.\n\nSecond &amp; last.\n \n");
        assert_eq!(got, vec![para("First line still first."), para("Second & last.")]);
    }

    #[test]
    fn headings_quotes_and_lists_become_their_blocks() {
        let got = blocks(
            "<h3>What next</h3><blockquote><p>We will rebuild.</p><cite>— The mayor</cite></blockquote>\
             <ul><li>One</li><li>Two<ul><li>Two and a half</li></ul></li></ul><ol><li>First</li></ol>",
        );
        assert_eq!(
            got,
            vec![
                Piece::Block(Block::Subhead { text: "What next".into() }),
                Piece::Block(Block::Quote {
                    text: "We will rebuild.".into(),
                    attribution: Some("The mayor".into())
                }),
                Piece::Block(Block::List {
                    ordered: false,
                    items: vec![
                        vec![Inline::text("One")],
                        vec![Inline::text("Two")],
                        vec![Inline::text("Two and a half")],
                    ]
                }),
                Piece::Block(Block::List {
                    ordered: true,
                    items: vec![vec![Inline::text("First")]]
                }),
            ]
        );
    }

    #[test]
    fn figures_and_classic_captions_carry_their_image() {
        let got = blocks(
            "<!-- wp:image {\"id\":12} --><figure class=\"wp-block-image\"><img src=\"https://old.test/a-1024x683.jpg\" alt=\"A boat\" class=\"wp-image-12\"/><figcaption>The harbour at dawn</figcaption></figure><!-- /wp:image -->\
             <div id=\"attachment_13\" class=\"wp-caption alignnone\"><img class=\"size-full wp-image-13\" src=\"https://old.test/b.jpg\" alt=\"\" /><p class=\"wp-caption-text\">The quay</p></div>\
             <p>Text <img src=\"https://old.test/c.jpg\"> more</p>",
        );
        assert_eq!(
            got,
            vec![
                Piece::Image(ImageRef {
                    src: "https://old.test/a-1024x683.jpg".into(),
                    alt: Some("A boat".into()),
                    caption: Some("The harbour at dawn".into()),
                    attachment: Some(12),
                }),
                Piece::Image(ImageRef {
                    src: "https://old.test/b.jpg".into(),
                    alt: None,
                    caption: Some("The quay".into()),
                    attachment: Some(13),
                }),
                para("Text"),
                Piece::Image(ImageRef {
                    src: "https://old.test/c.jpg".into(),
                    ..Default::default()
                }),
                para("more"),
            ]
        );
    }

    #[test]
    fn hostile_markup_becomes_text_or_nothing() {
        for hostile in newsdesk_test_support::xss_corpus() {
            let c = convert(&hostile);
            for b in c.pieces.iter().filter_map(|p| match p {
                Piece::Block(b) => Some(b),
                Piece::Image(_) => None,
            }) {
                for href in b.links() {
                    assert!(safe_href(href).is_some(), "{hostile:?} kept link {href:?}");
                }
            }
        }
        let c = convert(
            "<p onclick=\"steal()\">Hi<script>document.write('<p>owned</p>')</script> there</p>\
             <a href=\"javascript:alert(1)\">click</a><style>p{}</style><iframe src=\"https://video.test/e/1\"></iframe>",
        );
        assert_eq!(
            c.pieces,
            vec![
                para("Hi there"),
                para("click"),
                Piece::Block(Block::Paragraph {
                    content: vec![Inline::link("https://video.test/e/1", "https://video.test/e/1")]
                }),
            ]
        );
        assert!(c.notes.contains("removed a <script> element"), "{:?}", c.notes);
        assert!(c.notes.contains("removed event handler attributes"));
    }

    #[test]
    fn unknown_blocks_and_empty_paragraphs_are_handled() {
        let c = convert(
            "<!-- wp:acme/poll {\"id\":3} --><div>Vote now</div><!-- /wp:acme/poll --><p>&nbsp;</p><p> </p>",
        );
        assert_eq!(c.pieces, vec![para("Vote now")]);
        assert!(
            c.notes.contains("converted the unknown block wp:acme/poll to text"),
            "{:?}",
            c.notes
        );
    }

    #[test]
    fn nothing_is_swallowed_by_figures_or_unclosed_elements() {
        let got = blocks(
            "<figure><img src=\"a.jpg\"><p>Key fact</p></figure>\
             <figure class=\"wp-block-table\"><table><tr><td>See https://x.test/a</td><td>two</td></tr></table></figure>\
             <form><p>Inside a form</p><p>and after</p>",
        );
        assert_eq!(got[0], Piece::Image(ImageRef { src: "a.jpg".into(), ..Default::default() }));
        assert_eq!(got[1], para("Key fact"));
        assert_eq!(got[2], para("See https://x.test/a two"));
        assert_eq!(got[3], para("Inside a form"));
        assert_eq!(got[4], para("and after"));
        let c = convert("<p>a</p><svg><p>hidden");
        assert!(
            c.notes.contains("an unclosed <svg> element hid the rest of a body"),
            "{:?}",
            c.notes
        );
    }

    #[test]
    fn marks_spanning_paragraphs_and_misnesting_are_tolerated() {
        let got = blocks("<b><p>one</p><p>two</p></b><p><em>a<strong>b</em>c</strong></p>");
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[0],
            Piece::Block(Block::Paragraph {
                content: vec![Inline::Strong { children: vec![Inline::text("one")] }]
            })
        );
    }
}
