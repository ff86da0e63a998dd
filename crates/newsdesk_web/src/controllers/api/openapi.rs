//! The APIs' OpenAPI 3.1 document, generated from the handlers'
//! annotations, at `/api/openapi.json`, and a page that reads it at
//! `/api/docs`.

use super::admin;
use super::content;
use super::views;
use crate::app::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use newsdesk_content::escape_html;
use serde_json::Value;
use std::fmt::Write;
use std::sync::OnceLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The document's root.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Newsdesk API",
        description = "The Content API reads published content with a content key; the Admin API does what an editor does in the back office with an admin token, under the same rules. Every error is `{\"errors\": [{\"detail\": …, \"field\": …}]}`; times are RFC 3339 in UTC.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    paths(
        content::list_articles,
        content::find_article,
        content::find_article_by_path,
        content::list_sections,
        content::list_tags,
        content::list_authors,
        content::list_stories,
        content::search,
        content::find_media,
        admin::me,
        admin::list_articles,
        admin::create_article,
        admin::find_article,
        admin::save_article,
        admin::change_status,
        admin::list_revisions,
        admin::upload_media,
        admin::create_section,
        admin::create_tag,
        admin::create_story,
        admin::create_author,
        admin::find_revision,
        admin::restore_revision,
        admin::change_media,
        admin::change_section,
        admin::remove_section,
        admin::change_tag,
        admin::remove_tag,
        admin::change_story,
        admin::remove_story,
        admin::change_author,
        admin::remove_author,
    ),
    components(schemas(super::ErrorBody, views::ApiArticle, admin::Step)),
    modifiers(&Security),
    tags(
        (name = "content", description = "Published content, read-only: a content key (`ndc_…`) or an admin token"),
        (name = "admin", description = "The newsroom's work as the token's user (`nda_…`), with that user's role and the token's scopes"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A content key or an admin token"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "key_header",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Newsdesk-Key",
                "A content key or an admin token",
            ))),
        );
        components.add_security_scheme(
            "key_query",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "key",
                "A content key only: admin tokens never travel in addresses",
            ))),
        );
    }
}

/// The document as JSON, made once.
pub fn json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi())
            .expect("the OpenAPI document always serializes");
        flatten_tagged_variants(&mut doc);
        name_tagged_variants(&mut doc);
        serde_json::to_string_pretty(&doc).expect("JSON values always serialize")
    })
}

/// Gives every variant of a union tagged by `type` a component of its own
/// (`InlineEmphasis`, `BlockFigure`, …) and the union a discriminator, so
/// that generated clients can read the recursive ones (an emphasis holds
/// inline spans) and tell variants apart by their tag.
fn name_tagged_variants(doc: &mut Value) {
    let Some(all) = doc["components"]["schemas"].as_object_mut() else { return };
    let mut named: Vec<(String, Value)> = Vec::new();
    for (name, schema) in all.iter_mut() {
        let Some(variants) = schema.get_mut("oneOf").and_then(Value::as_array_mut) else {
            continue;
        };
        let tag_of = |v: &Value| v["properties"]["type"]["enum"][0].as_str().map(str::to_owned);
        if !variants.iter().all(|v| v["type"] == "object" && tag_of(v).is_some()) {
            continue;
        }
        let mut mapping = serde_json::Map::new();
        for v in variants.iter_mut() {
            let tag = tag_of(v).unwrap_or_default();
            let variant_name = format!(
                "{name}{}",
                tag.split('_')
                    .map(|w| {
                        let mut c = w.chars();
                        c.next()
                            .map(|f| f.to_uppercase().chain(c).collect::<String>())
                            .unwrap_or_default()
                    })
                    .collect::<String>()
            );
            let reference = format!("#/components/schemas/{variant_name}");
            mapping.insert(tag, Value::String(reference.clone()));
            named.push((
                variant_name,
                std::mem::replace(v, serde_json::json!({ "$ref": reference })),
            ));
        }
        schema["discriminator"] = serde_json::json!({ "propertyName": "type", "mapping": mapping });
    }
    all.extend(named);
}

/// Writes out the variants of tagged unions that wrap a struct (a body's
/// `figure` block is a `Figure` plus `"type": "figure"`) as one object, as
/// they travel, instead of `allOf` a reference and the tag: many client
/// generators cannot read the latter inside a `oneOf`.
fn flatten_tagged_variants(doc: &mut Value) {
    let schemas = doc["components"]["schemas"].clone();
    let Some(all) = doc["components"]["schemas"].as_object_mut() else { return };
    for schema in all.values_mut() {
        let Some(variants) = schema.get_mut("oneOf").and_then(Value::as_array_mut) else {
            continue;
        };
        for v in variants.iter_mut() {
            let Some([first, tag]) = v.get("allOf").and_then(Value::as_array).map(Vec::as_slice)
            else {
                continue;
            };
            let name =
                first["$ref"].as_str().and_then(|r| r.rsplit('/').next()).unwrap_or_default();
            let inner = &schemas[name];
            let mut props = inner["properties"].as_object().cloned().unwrap_or_default();
            props.extend(tag["properties"].as_object().cloned().unwrap_or_default());
            let mut required = inner["required"].as_array().cloned().unwrap_or_default();
            required.extend(tag["required"].as_array().cloned().unwrap_or_default());
            let description = v.get("description").cloned().unwrap_or(Value::Null);
            *v = serde_json::json!({
                "type": "object",
                "description": description,
                "required": required,
                "properties": props,
            });
        }
    }
}

/// `GET /api/openapi.json` (no key needed).
pub async fn document() -> Response {
    let mut res = (StatusCode::OK, json()).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    res
}

/// `GET /api/docs`: the document as a page people read.
pub async fn docs(State(app): State<AppState>) -> Response {
    static PAGE: OnceLock<String> = OnceLock::new();
    let body = PAGE.get_or_init(|| page(&app.config.site.language, &app.logo_url));
    let mut res = (StatusCode::OK, body.as_str()).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    res
}

/// A description as HTML: escaped, with `code` spans.
fn text(v: &Value) -> String {
    let escaped = escape_html(v.as_str().unwrap_or_default());
    let mut out = String::with_capacity(escaped.len() + 16);
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(part);
            out.push_str("</code>");
        } else {
            out.push_str(part);
        }
    }
    // An odd number of backticks leaves a span open: close it.
    if escaped.matches('`').count() % 2 == 1 {
        out.push_str("</code>");
    }
    out
}

/// An operation's summary without the method and path it repeats
/// (`` `GET /api/…`: published articles `` reads "Published articles").
fn summary(op: &Value) -> String {
    let s = op["summary"].as_str().unwrap_or_default();
    let rest = s
        .strip_prefix('`')
        .and_then(|r| r.split_once('`'))
        .filter(|(code, _)| code.contains(" /api/"))
        .map(|(_, rest)| rest.trim_start_matches([':', ',', '.']).trim_start());
    match rest {
        Some("") => String::new(),
        Some(r) => {
            let mut c = r.chars();
            let first: String = c.next().map(|f| f.to_uppercase().collect()).unwrap_or_default();
            text(&Value::String(first + c.as_str()))
        }
        None => text(&op["summary"]),
    }
}

/// A schema's name from a `$ref`, or its type.
fn type_of(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or_default();
        return format!("<a href=\"#schema-{0}\">{0}</a>", escape_html(name));
    }
    if let Some(items) = schema.get("items") {
        return format!("array of {}", type_of(items));
    }
    if let Some(any) = schema.get("oneOf").or_else(|| schema.get("anyOf")).and_then(Value::as_array)
    {
        return any.iter().map(type_of).collect::<Vec<_>>().join(" or ");
    }
    match schema.get("type") {
        Some(Value::Array(ts)) => ts
            .iter()
            .map(|t| escape_html(t.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(" or "),
        Some(t) => text(t),
        None => "any".into(),
    }
}

/// The whole page (a definition list per operation, a table per schema).
fn page(language: &str, icon: &str) -> String {
    let doc: Value = serde_json::from_str(json()).unwrap_or(Value::Null);
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Newsdesk API</title>\n<link rel=\"icon\" href=\"{}\" type=\"image/svg+xml\">\n<meta name=\"description\" content=\"The Content and Admin APIs of this Newsdesk site\">\n</head>\n<body>\n<main>\n\
         <h1>Newsdesk API</h1>\n<p>{}</p>\n<p>The machine-readable document: <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI 3.1).</p>\n",
        escape_html(language),
        escape_html(icon),
        text(&doc["info"]["description"])
    );
    let mut ops: Vec<(String, String, &Value)> = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "put", "delete"] {
                if let Some(op) = item.get(method) {
                    ops.push((method.to_uppercase(), path.clone(), op));
                }
            }
        }
    }
    for tag in ["content", "admin"] {
        let tag_doc = doc["tags"]
            .as_array()
            .and_then(|t| t.iter().find(|x| x["name"] == tag))
            .map(|t| text(&t["description"]))
            .unwrap_or_default();
        let title = if tag == "content" { "Content API" } else { "Admin API" };
        let _ = writeln!(out, "<section>\n<h2 id=\"{tag}\">{title}</h2>\n<p>{tag_doc}</p>");
        for (method, path, op) in ops.iter().filter(|(_, _, op)| op["tags"][0] == tag) {
            let id = text(&op["operationId"]);
            let _ = writeln!(
                out,
                "<h3 id=\"op-{id}\"><code>{method} {}</code></h3>",
                escape_html(path)
            );
            let said = summary(op);
            if !said.is_empty() {
                let _ = writeln!(out, "<p>{said}</p>");
            }
            if op["description"].is_string() {
                let _ = writeln!(out, "<p>{}</p>", text(&op["description"]));
            }
            let _ = writeln!(out, "<dl>");
            if let Some(params) = op["parameters"].as_array() {
                for p in params {
                    let required = if p["required"] == true { ", required" } else { "" };
                    let _ = writeln!(
                        out,
                        "<dt><code>{}</code> ({} in {}{required})</dt><dd>{}</dd>",
                        text(&p["name"]),
                        type_of(&p["schema"]),
                        text(&p["in"]),
                        text(&p["description"])
                    );
                }
            }
            if let Some(content) = op["requestBody"]["content"].as_object() {
                for (ct, c) in content {
                    let _ = writeln!(
                        out,
                        "<dt>Body ({})</dt><dd>{}</dd>",
                        escape_html(ct),
                        type_of(&c["schema"])
                    );
                }
            }
            if let Some(responses) = op["responses"].as_object() {
                for (code, r) in responses {
                    let body = r["content"]["application/json"]["schema"].clone();
                    let shape = if body.is_null() {
                        String::new()
                    } else {
                        format!(": {}", type_of(&body))
                    };
                    let _ = writeln!(
                        out,
                        "<dt>{}</dt><dd>{}{shape}</dd>",
                        escape_html(code),
                        text(&r["description"])
                    );
                }
            }
            let _ = writeln!(out, "</dl>");
        }
        let _ = writeln!(out, "</section>");
    }
    let _ = writeln!(out, "<section>\n<h2 id=\"schemas\">Shapes</h2>");
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            let n = escape_html(name);
            let _ = writeln!(out, "<h3 id=\"schema-{n}\">{n}</h3>");
            if schema["description"].is_string() {
                let _ = writeln!(out, "<p>{}</p>", text(&schema["description"]));
            }
            if let Some(props) = schema["properties"].as_object() {
                let _ = writeln!(out, "<dl>");
                for (p, s) in props {
                    let _ = writeln!(
                        out,
                        "<dt><code>{}</code> ({})</dt><dd>{}</dd>",
                        escape_html(p),
                        type_of(s),
                        text(&s["description"])
                    );
                }
                let _ = writeln!(out, "</dl>");
            } else if schema.get("oneOf").is_some() || schema.get("enum").is_some() {
                let _ = writeln!(out, "<p>One of: {}</p>", variants(schema));
            }
        }
    }
    let _ = writeln!(out, "</section>\n</main>\n</body>\n</html>");
    out
}

/// The variants of an enum or tagged union, by their `type` or value.
fn variants(schema: &Value) -> String {
    if let Some(vals) = schema["enum"].as_array() {
        return vals
            .iter()
            .map(|v| format!("<code>{}</code>", text(v)))
            .collect::<Vec<_>>()
            .join(", ");
    }
    schema["oneOf"]
        .as_array()
        .map(|vs| {
            vs.iter()
                .map(|v| {
                    let tag = v["properties"]["type"]["enum"][0]
                        .as_str()
                        .or_else(|| v["allOf"][1]["properties"]["type"]["enum"][0].as_str())
                        .or_else(|| v["enum"][0].as_str());
                    match tag {
                        Some(t) => format!("<code>{}</code>", escape_html(t)),
                        None => type_of(v),
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}
