//! `newsdesk import ghost`: a Ghost export (Ghost 4, 5 and 6: *Settings →
//! Advanced → Import/Export → Export content*) into the same records a
//! WordPress export gives, so the same importer takes it in: staff users
//! become authors, tags sections and tags (each post's primary tag is its
//! section), feature images library items, and Lexical, Mobiledoc or HTML
//! bodies HTML that the body converter reads.

use crate::report::Report;
use crate::wordpress::{EntrySource, Options, Progress, Records, import_entries};
use crate::wxr::{Channel, Entry, ItemTerm, WpAuthor, WpItem, WpTerm};
use newsdesk_app::Newsroom;
use newsdesk_core::Actor;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Largest export read (it is parsed whole).
pub const MAX_EXPORT_BYTES: u64 = 512 * 1024 * 1024;

/// Imports the Ghost export at `path`. `site_url` is the Ghost site's
/// address (exports do not say it): images written as `__GHOST_URL__/…`
/// are fetched from there when not found in `opts.uploads` (Ghost's
/// `content/images` folder).
pub async fn import(
    room: &Newsroom,
    actor: &Actor,
    path: &Path,
    site_url: &str,
    opts: &Options,
    progress: &dyn Progress,
) -> anyhow::Result<Report> {
    let size = std::fs::metadata(path)?.len();
    anyhow::ensure!(
        size <= MAX_EXPORT_BYTES,
        "the export is larger than {} MiB",
        MAX_EXPORT_BYTES / (1024 * 1024)
    );
    anyhow::ensure!(
        site_url.starts_with("https://") || site_url.starts_with("http://"),
        "--url must be the Ghost site's address with http:// or https:// (it is {site_url:?})"
    );
    anyhow::ensure!(
        std::fs::metadata(path)?.is_file(),
        "{} is a folder, not an export file",
        path.display()
    );
    let bytes = std::fs::read(path)?;
    let doc: Value = serde_json::from_slice(&bytes).map_err(|e| {
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
            anyhow::anyhow!(
                "this is not a Ghost export: it is XML, not JSON (a WordPress export? use `newsdesk import wordpress`)"
            )
        } else {
            anyhow::anyhow!("this is not a Ghost export: the JSON is not readable ({e})")
        }
    })?;
    let (channel, entries, notes) = records(&doc, site_url)?;
    let mut report = Report::new("ghost", &path.display().to_string());
    for n in notes {
        report.note(&n);
    }
    let total = entries.len() as u64;
    let open = || -> anyhow::Result<Box<dyn EntrySource>> {
        Ok(Box::new(Records::new(channel.clone(), entries.clone())))
    };
    import_entries(room, actor, opts, "ghost", report, &open, total, progress).await
}

fn s(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(x)) => x.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The export as records: the site, then users, tags, feature images and
/// posts; and notes for the report.
fn records(doc: &Value, site_url: &str) -> anyhow::Result<(Channel, Vec<Entry>, Vec<String>)> {
    let db = doc.get("db").and_then(|d| d.get(0)).unwrap_or(doc);
    let Some(data) = db.get("data").filter(|d| d.is_object()) else {
        anyhow::bail!("this is not a Ghost export: it has no db[0].data");
    };
    let list = |k: &str| data.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
    let posts = list("posts");
    anyhow::ensure!(data.get("posts").is_some(), "this is not a Ghost export: it has no posts");
    let base = site_url.trim_end_matches('/').to_owned();
    let mut notes = Vec::new();
    let mut channel =
        Channel { link: base.clone(), base_site_url: base.clone(), ..Channel::default() };
    for st in list("settings") {
        if s(&st, "key") == "title" {
            channel.title = s(&st, "value");
        }
    }
    let mut entries = Vec::new();

    let mut user_slug: HashMap<String, String> = HashMap::new();
    for u in list("users") {
        let slug = s(&u, "slug");
        user_slug.insert(s(&u, "id"), slug.clone());
        entries.push(Entry::Author(WpAuthor {
            id: s(&u, "id"),
            login: slug,
            email: s(&u, "email"),
            display_name: s(&u, "name"),
            ..WpAuthor::default()
        }));
    }
    let mut tags: HashMap<String, (String, String, bool)> = HashMap::new();
    for t in list("tags") {
        let name = s(&t, "name");
        let internal = s(&t, "visibility") == "internal" || name.starts_with('#');
        tags.insert(s(&t, "id"), (s(&t, "slug"), name.clone(), internal));
        if !internal {
            entries.push(Entry::Category(WpTerm {
                slug: s(&t, "slug"),
                name,
                parent: String::new(),
                description: s(&t, "description"),
            }));
        }
    }
    let mut post_tags: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for pt in list("posts_tags") {
        let order = pt.get("sort_order").and_then(Value::as_i64).unwrap_or(0);
        post_tags.entry(s(&pt, "post_id")).or_default().push((order, s(&pt, "tag_id")));
    }
    let mut post_authors: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for pa in list("posts_authors") {
        let order = pa.get("sort_order").and_then(Value::as_i64).unwrap_or(0);
        post_authors.entry(s(&pa, "post_id")).or_default().push((order, s(&pa, "author_id")));
    }
    let mut meta: HashMap<String, Value> = HashMap::new();
    for m in list("posts_meta") {
        meta.insert(s(&m, "post_id"), m);
    }
    let full = |u: &str| u.replace("__GHOST_URL__", &base);

    let mut items = Vec::new();
    for p in &posts {
        let id = s(p, "id");
        let m = meta.get(&id).cloned().unwrap_or(Value::Null);
        // Ghost 4 kept these on the post itself.
        let pick = |k: &str| {
            let v = s(&m, k);
            if v.is_empty() { s(p, k) } else { v }
        };
        let mut item = WpItem {
            title: html_escape(&s(p, "title")),
            post_id: crate::wxr::stable_number(&id),
            guid: id.clone(),
            post_name: s(p, "slug"),
            post_type: match s(p, "type").as_str() {
                "" => "post".into(),
                t => t.into(),
            },
            excerpt: html_escape(&s(p, "custom_excerpt")),
            seo_title: html_escape(&pick("meta_title")),
            social_title: html_escape(&{
                let og = pick("og_title");
                if og.is_empty() { pick("twitter_title") } else { og }
            }),
            ..WpItem::default()
        };
        item.status = match s(p, "status").as_str() {
            "published" => "publish",
            "scheduled" => "future",
            "draft" => "draft",
            // Sent as a newsletter only: never on the site.
            "sent" => {
                notes.push("newsletter-only posts imported as drafts".into());
                "draft"
            }
            other => {
                notes.push(format!("posts with status {other} imported as drafts"));
                "draft"
            }
        }
        .into();
        let when = [s(p, "published_at"), s(p, "created_at")].into_iter().find(|d| !d.is_empty());
        item.post_date_gmt = when.map(|d| crate::wxr::wxr_time(&d)).unwrap_or_default();
        item.post_date = item.post_date_gmt.clone();
        item.link = format!("{base}/{}/", item.post_name);
        let mut authors = post_authors.remove(&id).unwrap_or_default();
        authors.sort();
        let mut logins = authors.into_iter().filter_map(|(_, a)| user_slug.get(&a).cloned());
        item.creator = logins.next().unwrap_or_default();
        item.more_creators = logins.collect();
        let mut ptags = post_tags.remove(&id).unwrap_or_default();
        ptags.sort();
        let mut first = true;
        for (_, tid) in ptags {
            let Some((slug, name, internal)) = tags.get(&tid) else { continue };
            if *internal {
                notes.push("internal (#) tags not imported: Newsdesk tags are public".into());
                continue;
            }
            // The primary tag (the first) is the section.
            item.terms.push(ItemTerm {
                domain: if first { "category" } else { "post_tag" }.into(),
                nicename: slug.clone(),
                name: html_escape(name),
            });
            first = false;
        }
        if s(p, "visibility") != "public" && !s(p, "visibility").is_empty() {
            notes.push("members-only posts imported as drafts".into());
            item.status = "draft".into();
        }
        let (html, note) = body_html(p);
        if let Some(n) = note {
            notes.push(n);
        }
        item.content = html;
        let feature = s(p, "feature_image");
        if !feature.is_empty() {
            let aid = crate::wxr::stable_number(&format!("feature:{id}"));
            let url = full(&feature);
            let mut att = WpItem {
                post_id: aid,
                post_type: "attachment".into(),
                title: item.title.clone(),
                attachment_url: url.clone(),
                excerpt: pick("feature_image_caption"),
                ..WpItem::default()
            };
            if let Some((_, rel)) = url.split_once("/content/images/") {
                att.meta.push(("_wp_attached_file".into(), rel.to_owned()));
            }
            let alt = pick("feature_image_alt");
            if !alt.is_empty() {
                att.meta.push(("_wp_attachment_image_alt".into(), html_escape(&alt)));
            }
            entries.push(Entry::Item(Box::new(att)));
            item.meta.push(("_thumbnail_id".into(), aid.to_string()));
        }
        item.content = full(&item.content);
        items.push(Entry::Item(Box::new(item)));
    }
    entries.extend(items);
    Ok((channel, entries, notes))
}

/// The body as HTML: from Lexical (Ghost 5–6), Mobiledoc (Ghost 4–5), or
/// the stored HTML; and a note when none was there.
fn body_html(p: &Value) -> (String, Option<String>) {
    let parse = |k: &str| -> Option<Value> {
        let raw = s(p, k);
        (!raw.is_empty()).then(|| serde_json::from_str(&raw).ok()).flatten()
    };
    if let Some(doc) = parse("lexical") {
        let mut out = String::new();
        if let Some(children) =
            doc.get("root").and_then(|r| r.get("children")).and_then(Value::as_array)
        {
            for c in children {
                lexical(c, &mut out);
            }
        }
        return (out, None);
    }
    if let Some(doc) = parse("mobiledoc") {
        return (mobiledoc(&doc), None);
    }
    let html = s(p, "html");
    if html.is_empty() {
        return (String::new(), Some("posts without a body".into()));
    }
    (html, None)
}

/// Text for HTML.
pub(crate) fn html_escape(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn figure(out: &mut String, src: &str, alt: &str, caption: &str) {
    out.push_str(&format!(
        "<figure><img src=\"{}\" alt=\"{}\"><figcaption>{caption}</figcaption></figure>",
        html_escape(src),
        html_escape(alt)
    ));
}

/// One Lexical node as HTML.
fn lexical(n: &Value, out: &mut String) {
    let kids = |out: &mut String| {
        if let Some(c) = n.get("children").and_then(Value::as_array) {
            for k in c {
                lexical(k, out);
            }
        }
    };
    match s(n, "type").as_str() {
        "text" | "extended-text" => {
            let format = n.get("format").and_then(Value::as_i64).unwrap_or(0);
            let mut t = html_escape(&s(n, "text"));
            if format & 2 != 0 {
                t = format!("<em>{t}</em>");
            }
            if format & 1 != 0 {
                t = format!("<strong>{t}</strong>");
            }
            out.push_str(&t);
        }
        "linebreak" => out.push_str("<br>"),
        "paragraph" => {
            out.push_str("<p>");
            kids(out);
            out.push_str("</p>");
        }
        "heading" | "extended-heading" => {
            let tag = match s(n, "tag").as_str() {
                t @ ("h1" | "h2" | "h3" | "h4" | "h5" | "h6") => t.to_owned(),
                _ => "h2".to_owned(),
            };
            out.push_str(&format!("<{tag}>"));
            kids(out);
            out.push_str(&format!("</{tag}>"));
        }
        "quote" | "aside" | "extended-quote" => {
            out.push_str("<blockquote><p>");
            kids(out);
            out.push_str("</p></blockquote>");
        }
        "list" => {
            let tag = if s(n, "listType") == "number" || s(n, "tag") == "ol" { "ol" } else { "ul" };
            out.push_str(&format!("<{tag}>"));
            kids(out);
            out.push_str(&format!("</{tag}>"));
        }
        "listitem" => {
            out.push_str("<li>");
            kids(out);
            out.push_str("</li>");
        }
        "link" | "autolink" => {
            out.push_str(&format!("<a href=\"{}\">", html_escape(&s(n, "url"))));
            kids(out);
            out.push_str("</a>");
        }
        "horizontalrule" => out.push_str("<hr>"),
        "image" => figure(out, &s(n, "src"), &s(n, "alt"), &s(n, "caption")),
        "gallery" => {
            for img in n.get("images").and_then(Value::as_array).into_iter().flatten() {
                figure(out, &s(img, "src"), &s(img, "alt"), &s(img, "caption"));
            }
        }
        "html" => out.push_str(&s(n, "html")),
        "markdown" => {
            for para in s(n, "markdown").split("\n\n") {
                out.push_str(&format!("<p>{}</p>", html_escape(para)));
            }
        }
        "embed" | "video" | "audio" => {
            let url = s(n, "url");
            let url = if url.is_empty() { s(n, "src") } else { url };
            out.push_str(&format!("<iframe src=\"{}\"></iframe>", html_escape(&url)));
        }
        "bookmark" => {
            let url = s(n, "url");
            let title = n
                .get("metadata")
                .map(|m| s(m, "title"))
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| url.clone());
            out.push_str(&format!(
                "<p><a href=\"{}\">{}</a></p>",
                html_escape(&url),
                html_escape(&title)
            ));
        }
        "callout" => out.push_str(&format!("<p>{}</p>", s(n, "calloutText"))),
        _ => kids(out),
    }
}

/// A Mobiledoc document as HTML.
fn mobiledoc(doc: &Value) -> String {
    let arr = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    let markups = arr(doc.get("markups"));
    let cards = arr(doc.get("cards"));
    let atoms = arr(doc.get("atoms"));
    let mut out = String::new();
    let markers = |ms: &[Value], out: &mut String| {
        let mut open: Vec<String> = Vec::new();
        for m in ms {
            let Some(m) = m.as_array() else { continue };
            for idx in arr(m.get(1)) {
                let Some(mk) =
                    idx.as_u64().and_then(|i| markups.get(i as usize)).and_then(Value::as_array)
                else {
                    continue;
                };
                let tag = mk.first().and_then(Value::as_str).unwrap_or("span").to_ascii_lowercase();
                let tag = match tag.as_str() {
                    "a" | "em" | "i" | "strong" | "b" | "code" | "s" | "sub" | "sup" | "u" => tag,
                    _ => "span".into(),
                };
                let mut attrs = String::new();
                if let Some(a) = mk.get(1).and_then(Value::as_array) {
                    for pair in a.chunks(2) {
                        if let [k, v] = pair {
                            attrs.push_str(&format!(
                                " {}=\"{}\"",
                                k.as_str()
                                    .unwrap_or("x")
                                    .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', ""),
                                html_escape(v.as_str().unwrap_or(""))
                            ));
                        }
                    }
                }
                out.push_str(&format!("<{tag}{attrs}>"));
                open.push(tag);
            }
            let text = match m.first().and_then(Value::as_u64) {
                Some(1) => m
                    .get(3)
                    .and_then(Value::as_u64)
                    .and_then(|i| atoms.get(i as usize))
                    .and_then(|a| a.get(1))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                _ => m.get(3).and_then(Value::as_str).unwrap_or("").to_owned(),
            };
            out.push_str(&html_escape(&text));
            let close = m.get(2).and_then(Value::as_u64).unwrap_or(0);
            for _ in 0..close {
                if let Some(t) = open.pop() {
                    out.push_str(&format!("</{t}>"));
                }
            }
        }
        while let Some(t) = open.pop() {
            out.push_str(&format!("</{t}>"));
        }
    };
    for sec in arr(doc.get("sections")) {
        let Some(sec) = sec.as_array() else { continue };
        match sec.first().and_then(Value::as_u64) {
            Some(1) => {
                let tag = sec.get(1).and_then(Value::as_str).unwrap_or("p").to_ascii_lowercase();
                let tag = match tag.as_str() {
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote" | "aside" => tag,
                    _ => "p".into(),
                };
                let tag = if tag == "aside" { "blockquote".into() } else { tag };
                out.push_str(&format!("<{tag}>"));
                markers(&arr(sec.get(2)), &mut out);
                out.push_str(&format!("</{tag}>"));
            }
            Some(3) => {
                let tag =
                    if sec.get(1).and_then(Value::as_str) == Some("ol") { "ol" } else { "ul" };
                out.push_str(&format!("<{tag}>"));
                for item in arr(sec.get(2)) {
                    out.push_str("<li>");
                    markers(item.as_array().map(Vec::as_slice).unwrap_or_default(), &mut out);
                    out.push_str("</li>");
                }
                out.push_str(&format!("</{tag}>"));
            }
            Some(10) => {
                let Some(card) =
                    sec.get(1).and_then(Value::as_u64).and_then(|i| cards.get(i as usize))
                else {
                    continue;
                };
                let name = card.get(0).and_then(Value::as_str).unwrap_or("");
                let payload = card.get(1).cloned().unwrap_or(Value::Null);
                match name {
                    "image" => figure(
                        &mut out,
                        &s(&payload, "src"),
                        &s(&payload, "alt"),
                        &s(&payload, "caption"),
                    ),
                    "gallery" => {
                        for img in arr(payload.get("images")) {
                            figure(&mut out, &s(&img, "src"), &s(&img, "alt"), &s(&img, "caption"));
                        }
                    }
                    "html" => out.push_str(&s(&payload, "html")),
                    "markdown" | "card-markdown" => {
                        for para in s(&payload, "markdown").split("\n\n") {
                            out.push_str(&format!("<p>{}</p>", html_escape(para)));
                        }
                    }
                    "embed" | "video" => {
                        out.push_str(&format!(
                            "<iframe src=\"{}\"></iframe>",
                            html_escape(&s(&payload, "url"))
                        ));
                    }
                    "bookmark" => {
                        let url = s(&payload, "url");
                        out.push_str(&format!(
                            "<p><a href=\"{}\">{}</a></p>",
                            html_escape(&url),
                            html_escape(&url)
                        ));
                    }
                    "hr" => out.push_str("<hr>"),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::{Piece, convert};
    use newsdesk_core::{Block, Inline};

    #[test]
    fn lexical_bodies_become_blocks() {
        let lex = serde_json::json!({"root": {"children": [
            {"type": "paragraph", "children": [
                {"type": "text", "text": "The ", "format": 0},
                {"type": "text", "text": "ferry", "format": 2},
                {"type": "text", "text": " is back ", "format": 1},
                {"type": "link", "url": "https://x.test/", "children": [{"type": "text", "text": "here", "format": 0}]}
            ]},
            {"type": "heading", "tag": "h3", "children": [{"type": "text", "text": "Next", "format": 0}]},
            {"type": "list", "listType": "number", "children": [
                {"type": "listitem", "children": [{"type": "text", "text": "one", "format": 0}]}
            ]},
            {"type": "image", "src": "__GHOST_URL__/content/images/a.jpg", "alt": "A", "caption": "Cap <b>tion</b>"},
            {"type": "html", "html": "<script>alert(1)</script><p>kept</p>"}
        ]}});
        let mut html = String::new();
        for c in lex["root"]["children"].as_array().into_iter().flatten() {
            lexical(c, &mut html);
        }
        let got = convert(&html).pieces;
        assert_eq!(
            got[0],
            Piece::Block(Block::Paragraph {
                content: vec![
                    Inline::text("The "),
                    Inline::Emphasis { children: vec![Inline::text("ferry")] },
                    Inline::Strong { children: vec![Inline::text(" is back ")] },
                    Inline::link("https://x.test/", "here"),
                ]
            })
        );
        assert_eq!(got[1], Piece::Block(Block::Subhead { text: "Next".into() }));
        assert_eq!(
            got[2],
            Piece::Block(Block::List { ordered: true, items: vec![vec![Inline::text("one")]] })
        );
        assert!(
            matches!(&got[3], Piece::Image(i) if i.alt.as_deref() == Some("A") && i.caption.as_deref() == Some("Cap tion"))
        );
        assert_eq!(got[4], Piece::Block(Block::paragraph("kept")));
        assert_eq!(got.len(), 5);
    }

    #[test]
    fn mobiledoc_bodies_become_blocks() {
        let doc = serde_json::json!({
            "version": "0.3.1",
            "atoms": [],
            "markups": [["a", ["href", "https://x.test/"]], ["strong"]],
            "cards": [["image", {"src": "/content/images/b.jpg", "alt": "B", "caption": "Bee"}], ["hr", {}]],
            "sections": [
                [1, "p", [[0, [], 0, "Hello "], [0, [1], 1, "bold"], [0, [], 0, " and "], [0, [0], 1, "a link"]]],
                [1, "h2", [[0, [], 0, "Sub"]]],
                [3, "ul", [[[0, [], 0, "item"]]]],
                [10, 0],
                [10, 1]
            ]
        });
        let got = convert(&mobiledoc(&doc)).pieces;
        assert_eq!(
            got[0],
            Piece::Block(Block::Paragraph {
                content: vec![
                    Inline::text("Hello "),
                    Inline::Strong { children: vec![Inline::text("bold")] },
                    Inline::text(" and "),
                    Inline::link("https://x.test/", "a link"),
                ]
            })
        );
        assert_eq!(got[1], Piece::Block(Block::Subhead { text: "Sub".into() }));
        assert!(matches!(&got[3], Piece::Image(i) if i.caption.as_deref() == Some("Bee")));
        assert_eq!(got.len(), 4);
    }
}
