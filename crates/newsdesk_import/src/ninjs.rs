//! `newsdesk import ninjs`: IPTC ninjs items (1.x, 2.x and 3.x; a file
//! holding one item or a list, or a folder of such files) as articles,
//! through the same importer as WordPress and Ghost exports. Items are
//! keyed by `uri`; an item older than the one already imported (by
//! `versioncreated`) is skipped; `pubstatus` withheld or canceled keeps it
//! off the site (a published one is taken down); a future `embargoed` time
//! schedules it for then; the byline's people become authors, subjects
//! tags, information sources the article's sources, and a picture
//! association its lead.

use crate::report::Report;
use crate::wordpress::{EntrySource, Options, Progress, Records, import_entries};
use crate::wxr::{Channel, Entry, ItemTerm, WpAuthor, WpItem};
use newsdesk_app::Newsroom;
use newsdesk_core::{Actor, Source, SourceKind, slugify};
use serde_json::Value;
use std::path::Path;

/// Largest ninjs file read.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The first of `keys` that `v` has (ninjs 3 spells in camelCase what 1
/// and 2 spell in lower case).
fn get<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| v.get(*k)).filter(|x| !x.is_null())
}

fn text(v: &Value, keys: &[&str]) -> String {
    get(v, keys).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn list<'a>(v: &'a Value, keys: &[&str]) -> Vec<&'a Value> {
    match get(v, keys) {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Object(o)) => o.values().collect(),
        _ => Vec::new(),
    }
}

/// A `value` by `role`, from a list of `{role, value, contenttype}`.
fn by_role(items: &[&Value], roles: &[&str]) -> Option<String> {
    roles
        .iter()
        .find_map(|r| items.iter().find(|i| text(i, &["role"]) == *r))
        .or_else(|| items.first())
        .map(|i| text(i, &["value"]))
        .filter(|v| !v.is_empty())
}

/// One ninjs item as records (its authors and picture first); `None` with
/// a reason when it is not an article.
fn item(
    v: &Value,
    section: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Entry>, String> {
    let uri = text(v, &["uri"]);
    if uri.is_empty() {
        return Err("an item without a uri".into());
    }
    let kind = text(v, &["type"]);
    if !matches!(kind.as_str(), "" | "text" | "composite") {
        return Err(format!("{kind} items (not articles)"));
    }
    let headlines = list(v, &["headlines"]);
    let title = by_role(&headlines, &["main"]).unwrap_or_else(|| text(v, &["headline", "title"]));
    let bodies = list(v, &["bodies"]);
    let html_bodies: Vec<&Value> = bodies
        .iter()
        .copied()
        .filter(|b| {
            text(b, &["contenttype", "contentType"]).contains("html")
                || text(b, &["role"]).contains("html")
        })
        .collect();
    let body = by_role(&html_bodies, &["html5", "richhtml5", "main"])
        .or_else(|| {
            by_role(&bodies, &["text", "main"]).map(|t| {
                t.split("\n\n")
                    .map(|p| format!("<p>{}</p>", crate::ghost::html_escape(p)))
                    .collect()
            })
        })
        .unwrap_or_else(|| {
            let html = text(v, &["body_html"]);
            if html.is_empty() {
                text(v, &["body_text"])
                    .split("\n\n")
                    .map(|p| format!("<p>{}</p>", crate::ghost::html_escape(p)))
                    .collect()
            } else {
                html
            }
        });
    let descriptions = list(v, &["descriptions"]);
    let dek = by_role(&descriptions, &["summary", "abstract", "main"])
        .unwrap_or_else(|| text(v, &["description_text", "description_html"]));
    let modified = text(v, &["versioncreated", "versionCreated"]);
    let first = text(v, &["firstcreated", "firstCreated"]);
    let embargo = text(v, &["embargoed", "embargoedUntil", "embargoedutil"]);
    let status = match text(v, &["pubstatus", "pubStatus"]).as_str() {
        "" | "usable" => match chrono::DateTime::parse_from_rfc3339(&embargo) {
            Ok(t) if t > now => "future",
            _ => "publish",
        },
        // Held back or killed: never on the site; a published copy is
        // taken down.
        _ => "draft",
    };
    let published = if status == "future" {
        embargo.clone()
    } else if first.is_empty() {
        modified.clone()
    } else {
        first
    };

    let mut out = Vec::new();
    // Bylines: ninjs 3 `bylines[]`, else the people with an author role,
    // else the free-text `by`/`byline`.
    let mut authors: Vec<String> = list(v, &["bylines"])
        .iter()
        .map(|b| text(b, &["name", "byline"]))
        .filter(|n| !n.is_empty())
        .collect();
    if authors.is_empty() {
        authors = list(v, &["people", "person"])
            .iter()
            .filter(|p| text(p, &["rel", "role"]).contains("author"))
            .map(|p| text(p, &["name"]))
            .filter(|n| !n.is_empty())
            .collect();
    }
    if authors.is_empty() {
        let by = text(v, &["by", "byline"]);
        let by = by.trim_start_matches("By ").trim_start_matches("by ").trim().to_owned();
        if !by.is_empty() {
            authors.push(by);
        }
    }
    for a in &authors {
        out.push(Entry::Author(WpAuthor {
            login: slugify(a),
            display_name: crate::ghost::html_escape(a),
            ..WpAuthor::default()
        }));
    }
    let mut it = WpItem {
        title: crate::ghost::html_escape(&title),
        guid: format!("ninjs:{uri}"),
        post_id: crate::wxr::stable_number(&uri),
        post_type: "post".into(),
        status: status.into(),
        post_name: slugify(&title),
        post_date_gmt: crate::wxr::wxr_time(&published),
        post_modified_gmt: crate::wxr::wxr_time(&modified),
        content: body,
        excerpt: crate::ghost::html_escape(&crate::html::text_of(&dek)),
        ..WpItem::default()
    };
    it.set_origin_elsewhere(&authors, section);
    for s in list(v, &["subjects", "subject"]) {
        let name = text(s, &["name", "literal"]);
        if !name.is_empty() {
            it.terms.push(ItemTerm {
                domain: "post_tag".into(),
                nicename: slugify(&name),
                name: crate::ghost::html_escape(&name),
            });
        }
    }
    for s in list(v, &["infosources", "infoSources"]) {
        let name = text(s, &["name", "literal"]);
        if name.is_empty() {
            continue;
        }
        let url = text(s, &["uri"]);
        it.sources.push(Source {
            name,
            kind: SourceKind::Wire,
            url: newsdesk_core::is_web_url(&url).then_some(url),
            attributed: "The report".into(),
        });
    }
    // The first picture association is the lead.
    if let Some(pic) =
        list(v, &["associations"]).into_iter().find(|a| text(a, &["type"]) == "picture")
    {
        let renditions = list(pic, &["renditions"]);
        let biggest = renditions
            .iter()
            .filter(|r| !text(r, &["href"]).is_empty())
            .max_by_key(|r| r.get("width").and_then(Value::as_u64).unwrap_or(0));
        if let Some(r) = biggest {
            let aid = crate::wxr::stable_number(&format!("picture:{}", text(pic, &["uri"])));
            let pdesc = list(pic, &["descriptions"]);
            let caption = by_role(&pdesc, &["caption", "main"])
                .unwrap_or_else(|| text(pic, &["description_text", "body_text"]));
            let mut att = WpItem {
                post_id: aid,
                post_type: "attachment".into(),
                title: crate::ghost::html_escape(&text(pic, &["headline"])),
                attachment_url: text(r, &["href"]),
                excerpt: crate::ghost::html_escape(&caption),
                ..WpItem::default()
            };
            let credit = text(pic, &["by", "byline", "copyrightnotice", "copyrightholder"]);
            if !credit.is_empty() {
                att.meta.push(("_newsdesk_credit".into(), credit));
            }
            out.push(Entry::Item(Box::new(att)));
            it.meta.push(("_thumbnail_id".into(), aid.to_string()));
        }
    }
    out.push(Entry::Item(Box::new(it)));
    Ok(out)
}

/// Imports the ninjs item(s) at `path` (a file, or a folder of `.json`
/// files) into `section`.
pub async fn import(
    room: &Newsroom,
    actor: &Actor,
    path: &Path,
    section: &str,
    opts: &Options,
    progress: &dyn Progress,
) -> anyhow::Result<Report> {
    let mut files = Vec::new();
    if std::fs::metadata(path)?.is_dir() {
        for e in std::fs::read_dir(path)? {
            let p = e?.path();
            if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
        files.sort();
    } else {
        files.push(path.to_owned());
    }
    let mut report = Report::new("ninjs", &path.display().to_string());
    let now = chrono::Utc::now();
    let mut entries = Vec::new();
    for f in &files {
        let name = f.display().to_string();
        let size = std::fs::metadata(f)?.len();
        if size > MAX_FILE_BYTES {
            report.failed(&name, "larger than 64 MiB");
            continue;
        }
        let v: Value = match std::fs::read(f).map_err(|e| e.to_string()).and_then(|b| {
            serde_json::from_slice(&b).map_err(|e| format!("not readable JSON ({e})"))
        }) {
            Ok(v) => v,
            Err(e) => {
                report.failed(&name, &e);
                continue;
            }
        };
        let items: Vec<&Value> = match &v {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for (i, one) in items.into_iter().enumerate() {
            match item(one, section, now) {
                Ok(e) => entries.extend(e),
                Err(why) if why.starts_with("an item") => {
                    report.failed(&format!("{name} item {}", i + 1), &why);
                }
                Err(why) => report.skip(&why),
            }
        }
    }
    let channel = Channel { title: section.to_owned(), ..Channel::default() };
    let total = entries.len() as u64;
    let open = || -> anyhow::Result<Box<dyn EntrySource>> {
        Ok(Box::new(Records::new(channel.clone(), entries.clone())))
    };
    import_entries(room, actor, opts, "ninjs", report, &open, total, progress).await
}
