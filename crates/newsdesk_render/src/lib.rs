//! Themes: the built-in templates, overrides from a theme folder, and the
//! view structs pages are rendered from.
//!
//! Templates are minijinja, auto-escaped. The built-in theme is embedded in
//! the binary; a theme folder given with `--theme DIR` replaces any template
//! of the same name (and may add partials) without recompiling. Views are
//! plain data: this crate does not know the database exists.

mod meta;
mod views;

pub use meta::article_tags;
pub use views::*;

use minijinja::value::Serde;
use minijinja::{Environment, Value};
use std::path::{Path, PathBuf};

/// The built-in templates, by name.
pub const BUILTIN_TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("card.html", include_str!("../templates/card.html")),
    ("image.html", include_str!("../templates/image.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("article.html", include_str!("../templates/article.html")),
    ("list.html", include_str!("../templates/list.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("search.html", include_str!("../templates/search.html")),
];

/// The template [`Renderer::rail_card`] renders, and those it follows.
const RAIL_CARD: &str = "_rail_card.html";
const RAIL_TEMPLATES: &[&str] = &["article.html", "card.html", "image.html"];

/// The built-in stylesheet.
pub const STYLESHEET: &str = include_str!("../assets/site.css");

/// The site's logo and favicon.
pub const LOGO_SVG: &str = include_str!("../assets/logo.svg");

/// The built-in enhancement script (copy link, native share). Pages work
/// fully without it.
pub const SCRIPT: &str = include_str!("../assets/share.js");

/// A theme that failed to load or a page that failed to render.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// A theme file could not be read.
    #[error("cannot read theme file `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A template does not parse or failed while rendering.
    #[error("template error: {0:#}")]
    Template(#[from] minijinja::Error),
}

/// The back office's templates: loaded after the theme, so a theme folder
/// changes the public site only.
pub const ADMIN_TEMPLATES: &[(&str, &str)] = &[
    ("admin/base.html", include_str!("../templates/admin/base.html")),
    ("admin/sign_in.html", include_str!("../templates/admin/sign_in.html")),
    ("admin/dashboard.html", include_str!("../templates/admin/dashboard.html")),
    ("admin/articles.html", include_str!("../templates/admin/articles.html")),
    ("admin/media.html", include_str!("../templates/admin/media.html")),
    ("admin/media_item.html", include_str!("../templates/admin/media_item.html")),
    ("admin/editor.html", include_str!("../templates/admin/editor.html")),
    ("admin/revisions.html", include_str!("../templates/admin/revisions.html")),
    ("admin/diff.html", include_str!("../templates/admin/diff.html")),
    ("admin/audit.html", include_str!("../templates/admin/audit.html")),
    ("admin/users.html", include_str!("../templates/admin/users.html")),
    ("admin/user.html", include_str!("../templates/admin/user.html")),
    ("admin/fields.html", include_str!("../templates/admin/fields.html")),
    ("admin/said.html", include_str!("../templates/admin/said.html")),
    ("admin/taxonomy.html", include_str!("../templates/admin/taxonomy.html")),
    ("admin/taxonomy_item.html", include_str!("../templates/admin/taxonomy_item.html")),
    ("admin/settings.html", include_str!("../templates/admin/settings.html")),
    ("admin/kept.html", include_str!("../templates/admin/kept.html")),
    ("admin/missing.html", include_str!("../templates/admin/missing.html")),
    ("admin/password.html", include_str!("../templates/admin/password.html")),
    ("admin/integrations.html", include_str!("../templates/admin/integrations.html")),
    ("admin/webhook.html", include_str!("../templates/admin/webhook.html")),
];

/// The back office's stylesheet.
pub const ADMIN_STYLESHEET: &str = include_str!("../assets/admin.css");

/// The back office's script: length hints and a local copy of unsaved
/// text. Every page works without it.
pub const ADMIN_SCRIPT: &str = include_str!("../assets/admin.js");

/// The body editor (ProseMirror), built from `admin-ui/` by its `npm run
/// build`; only the editor page loads it.
pub const EDITOR_SCRIPT: &str = include_str!("../assets/editor.js");

/// The template environment of a site.
pub struct Renderer {
    env: Environment<'static>,
    overridden: Vec<String>,
}

impl Renderer {
    /// Loads the built-in theme, then every `*.html` of `theme_dir` over it.
    /// A template that does not parse is an error naming the file.
    pub fn new(theme_dir: Option<&Path>) -> Result<Renderer, RenderError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        // The default HTML escaper also escapes `/`, which is valid but
        // bloats every URL on a page; escaping `& < > " '` is enough.
        env.set_formatter(|out, state, value| {
            if matches!(state.auto_escape(), minijinja::AutoEscape::Html)
                && !value.is_safe()
                && let Some(s) = value.as_str()
            {
                return newsdesk_content::escape_html_to(s, |part| out.write_str(part)).map_err(
                    |_| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "write failed"),
                );
            }
            minijinja::escape_formatter(out, state, value)
        });
        for (name, src) in BUILTIN_TEMPLATES {
            env.add_template(name, src)?;
        }
        let mut overridden = Vec::new();
        if let Some(dir) = theme_dir {
            let entries = std::fs::read_dir(dir)
                .map_err(|source| RenderError::Read { path: dir.into(), source })?;
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "html"))
                .collect();
            files.sort();
            for path in files {
                let src = std::fs::read_to_string(&path)
                    .map_err(|source| RenderError::Read { path: path.clone(), source })?;
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
                env.add_template_owned(name.clone(), src).map_err(|e| {
                    RenderError::Template(minijinja::Error::new(
                        minijinja::ErrorKind::SyntaxError,
                        format!("in theme file `{}`: {e}", path.display()),
                    ))
                })?;
                overridden.push(name);
            }
        }
        for (name, src) in ADMIN_TEMPLATES {
            env.add_template(name, src)?;
        }
        // Last, so that no theme file can take its name.
        env.add_template(RAIL_CARD, "{% include \"card.html\" %}")?;
        Ok(Renderer { env, overridden })
    }

    /// Whether [`Renderer::rail_card`] makes what the article page's rail
    /// shows: the theme replaces none of the templates involved (a theme's
    /// card may use more of the page than the card).
    pub fn shares_rail_cards(&self) -> bool {
        !self.overridden.iter().any(|n| RAIL_TEMPLATES.contains(&n.as_str()))
    }

    /// One card of an article page's related-stories rail, as the page's
    /// own template makes it (see [`ArticleView::related_markup`]).
    pub fn rail_card(&self, card: &CardView) -> Result<String, RenderError> {
        let ctx = minijinja::context! {
            c => Value::from(Serde(card)), level => 3, lazy => true, thumb => true,
        };
        Ok(self.env.get_template(RAIL_CARD)?.render(ctx)?)
    }

    /// Names of the templates the theme folder replaced or added.
    pub fn overridden(&self) -> &[String] {
        &self.overridden
    }

    /// Renders template `name` with `view` as its context.
    pub fn render<T: serde::Serialize>(&self, name: &str, view: &T) -> Result<String, RenderError> {
        let tmpl = self.env.get_template(name)?;
        Ok(tmpl.render(Value::from(Serde(view)))?)
    }
}

/// FNV-1a over `bytes`: a stable fingerprint for asset names and the API's
/// ETags (pages use the faster `body_hash` of the web crate).
/// Stable across builds and machines, so every node of a site agrees.
pub fn fingerprint(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests;
