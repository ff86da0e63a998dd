//! Sections, tags, authors and running stories (administrators): a list
//! of each with a form to add one, and a page per item to change or
//! remove it. One set of handlers serves the four kinds; each kind says
//! which fields it has. Changes go through the application layer's use
//! cases (events, so pages and caches follow); removals and changes of a
//! public address are audited.

use super::{
    AdminPage, Posted, field, page, posted, private_json, query, refusal, see_other, signed_in_for,
};
use crate::app::AppState;
use crate::error::AppError;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use newsdesk_app::sessions::{Origin, Session};
use newsdesk_core::{Action, Author, Id, Section, Story, Tag, slugify};
use serde::Serialize;

/// Items a list page shows at most; a search narrows longer lists.
pub const LIST_LIMIT: usize = 300;

pub fn routes() -> Router<AppState> {
    let mut r = Router::new().route("/admin/tags/suggest", get(suggest_tags));
    for kind in Kind::ALL {
        r = r
            .route(&format!("/admin/{}", kind.plural()), get(list).post(create))
            .route(&format!("/admin/{}/{{id}}", kind.plural()), get(show).post(change));
    }
    r
}

/// The four kinds of item that sort articles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Section,
    Tag,
    Author,
    Story,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Section, Kind::Tag, Kind::Author, Kind::Story];

    fn singular(self) -> &'static str {
        match self {
            Kind::Section => "section",
            Kind::Tag => "tag",
            Kind::Author => "author",
            Kind::Story => "story",
        }
    }

    fn plural(self) -> &'static str {
        match self {
            Kind::Section => "sections",
            Kind::Tag => "tags",
            Kind::Author => "authors",
            Kind::Story => "stories",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Kind::Section => "Sections",
            Kind::Tag => "Tags",
            Kind::Author => "Authors",
            Kind::Story => "Running stories",
        }
    }

    /// The kind whose pages `path` is under.
    fn of_path(path: &str) -> Option<Kind> {
        let rest = path.strip_prefix("/admin/")?;
        let first = rest.split('/').next()?;
        Kind::ALL.into_iter().find(|k| k.plural() == first)
    }

    /// The public page of the item with `slug`, if the kind has pages.
    fn public_url(self, slug: &str) -> Option<String> {
        match self {
            Kind::Section => Some(format!("/{slug}")),
            Kind::Tag => Some(format!("/tag/{slug}")),
            Kind::Author => Some(format!("/author/{slug}")),
            Kind::Story => None,
        }
    }

    /// What it means to remove one.
    fn removal_note(self) -> &'static str {
        match self {
            Kind::Section => {
                "A section that articles belong to cannot be removed: move them first."
            }
            Kind::Tag => "A tag that articles carry cannot be removed: take it off them first.",
            Kind::Author => {
                "An author named in a byline cannot be removed: change those bylines first."
            }
            Kind::Story => "A story that articles follow cannot be removed: move them first.",
        }
    }
}

/// One item of any kind, as its form holds it (fields a kind lacks stay
/// empty).
#[derive(Debug, Clone, Default, Serialize)]
struct Item {
    id: Id,
    name: String,
    slug: String,
    position: String,
    description: String,
    title: String,
    bio: String,
    photo: String,
}

impl Item {
    /// An item with only a name and a slug (a tag, a story).
    fn named(id: Id, name: &str, slug: &str) -> Item {
        Item { id, name: name.to_owned(), slug: slug.to_owned(), ..Item::default() }
    }

    fn of_section(s: &Section) -> Item {
        Item {
            position: s.position.to_string(),
            description: s.description.clone(),
            ..Item::named(s.id, &s.name, &s.slug)
        }
    }

    fn of_author(a: &Author) -> Item {
        Item {
            title: a.title.clone().unwrap_or_default(),
            bio: a.bio.clone(),
            photo: a.photo_media_id.map(|m| m.to_string()).unwrap_or_default(),
            ..Item::named(a.id, &a.name, &a.slug)
        }
    }

    fn from_form(fields: &[(String, String)]) -> Item {
        let f = |n| field(fields, n).trim().to_owned();
        Item {
            id: 0,
            name: f("name"),
            slug: f("slug"),
            position: f("position"),
            description: f("description"),
            title: f("title"),
            bio: field(fields, "bio").trim().to_owned(),
            photo: f("photo"),
        }
    }

    /// The slug to store: the one typed, or one made from the name.
    fn slug_or_name(&self) -> String {
        if self.slug.is_empty() { slugify(&self.name) } else { self.slug.clone() }
    }

    fn section(&self) -> Result<Section, String> {
        let position = match self.position.as_str() {
            "" => 0,
            p => p.parse().map_err(|_| "The position is a whole number.".to_owned())?,
        };
        Ok(Section {
            id: self.id,
            name: self.name.clone(),
            slug: self.slug_or_name(),
            position,
            description: self.description.clone(),
        })
    }

    fn author(&self) -> Result<Author, String> {
        let photo_media_id = match self.photo.trim_start_matches('#') {
            "" => None,
            p => Some(p.parse().map_err(|_| "The portrait is a media item's number.".to_owned())?),
        };
        Ok(Author {
            id: self.id,
            name: self.name.clone(),
            slug: self.slug_or_name(),
            title: (!self.title.is_empty()).then(|| self.title.clone()),
            bio: self.bio.clone(),
            photo_media_id,
        })
    }
}

/// Every item of `kind` the site has, in the order readers meet them
/// (sections by position, the rest by name).
fn items(app: &AppState, kind: Kind) -> Vec<Item> {
    let t = app.taxonomy();
    let mut items: Vec<Item> = match kind {
        Kind::Section => t.sections.iter().map(Item::of_section).collect(),
        Kind::Tag => t.tags.values().map(|x| Item::named(x.id, &x.name, &x.slug)).collect(),
        Kind::Story => t.stories.values().map(|x| Item::named(x.id, &x.name, &x.slug)).collect(),
        Kind::Author => t.authors.values().map(Item::of_author).collect(),
    };
    if kind != Kind::Section {
        items.sort_by_cached_key(|i| (i.name.to_lowercase(), i.id));
    }
    items
}

/// The stored item `id` of `kind`.
fn stored(app: &AppState, kind: Kind, id: Id) -> Result<Item, AppError> {
    let t = app.taxonomy();
    let found = match kind {
        Kind::Section => t.section(Some(id)).map(Item::of_section),
        Kind::Tag => t.tags.get(&id).map(|x| Item::named(x.id, &x.name, &x.slug)),
        Kind::Story => t.stories.get(&id).map(|x| Item::named(x.id, &x.name, &x.slug)),
        Kind::Author => t.authors.get(&id).map(Item::of_author),
    };
    found.ok_or(AppError::NotFound)
}

/// One form field (`admin/fields.html` draws a list of them).
#[derive(Serialize)]
pub(super) struct Input {
    pub name: &'static str,
    pub label: &'static str,
    /// `text`, `number` or `textarea`.
    pub kind: &'static str,
    pub value: String,
    pub hint: &'static str,
    pub required: bool,
    pub max: usize,
    /// Takes a media item's number: the library's picker is offered.
    pub picker: bool,
    /// The form's error is about this field.
    pub invalid: bool,
    /// The form's error is read out with this field.
    pub described: bool,
}

/// Ties a refused form's `error` to the field it is about (the first whose
/// label or name it mentions), so assistive technology reads it out with
/// that field and marks it invalid; an error about no one field is read
/// out with every field.
pub(super) fn tie_error(inputs: &mut [Input], error: Option<&str>) {
    let Some(error) = error else { return };
    let said = error.to_lowercase();
    let mentions = |word: &str| {
        said.match_indices(word).any(|(at, _)| {
            let before = said[..at].chars().next_back();
            let after = said[at + word.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    };
    let about = inputs.iter().position(|i| mentions(&i.label.to_lowercase()) || mentions(i.name));
    for (n, i) in inputs.iter_mut().enumerate() {
        i.invalid = about == Some(n);
        i.described = about.is_none_or(|a| a == n);
    }
}

/// A field that may be left empty; `max` characters at most (0: no limit).
pub(super) fn input(
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    value: &str,
    hint: &'static str,
    max: usize,
) -> Input {
    Input {
        name,
        label,
        kind,
        value: value.to_owned(),
        hint,
        required: false,
        max,
        picker: false,
        invalid: false,
        described: false,
    }
}

/// The form fields of `kind`, holding `item`.
fn inputs(kind: Kind, item: &Item) -> Vec<Input> {
    let mut v = vec![
        Input { required: true, ..input("name", "Name", "text", &item.name, "", 200) },
        input(
            "slug",
            "Slug",
            "text",
            &item.slug,
            "Lowercase letters, digits and hyphens; left empty, it is made from the name. \
             It is part of the public address.",
            200,
        ),
    ];
    match kind {
        Kind::Section => {
            v.push(input(
                "position",
                "Position",
                "number",
                &item.position,
                "Smaller numbers come first in the site's navigation.",
                0,
            ));
            v.push(input(
                "description",
                "Description",
                "textarea",
                &item.description,
                "One sentence for the section page and search engines.",
                500,
            ));
        }
        Kind::Author => {
            v.push(input("title", "Job title", "text", &item.title, "", 500));
            v.push(input(
                "bio",
                "Biography",
                "textarea",
                &item.bio,
                "A few sentences for the author page.",
                2000,
            ));
            v.push(Input {
                picker: true,
                ..input(
                    "photo",
                    "Portrait",
                    "text",
                    &item.photo,
                    "The number of a picture in the media library, e.g. 12.",
                    20,
                )
            });
        }
        Kind::Tag | Kind::Story => {}
    }
    v
}

#[derive(Serialize)]
struct Row {
    url: String,
    name: String,
    slug: String,
    public_url: Option<String>,
}

#[derive(Serialize)]
struct ListView {
    #[serde(flatten)]
    page: AdminPage,
    kind: &'static str,
    plural: &'static str,
    kinds: Vec<KindLink>,
    q: String,
    rows: Vec<Row>,
    total: usize,
    shown: usize,
    inputs: Vec<Input>,
}

#[derive(Serialize)]
struct KindLink {
    name: &'static str,
    url: String,
    current: bool,
}

fn kind_links(current: Kind) -> Vec<KindLink> {
    Kind::ALL
        .into_iter()
        .map(|k| KindLink {
            name: k.heading(),
            url: format!("/admin/{}", k.plural()),
            current: k == current,
        })
        .collect()
}

#[derive(Serialize)]
struct ItemView {
    #[serde(flatten)]
    page: AdminPage,
    kind: &'static str,
    plural: &'static str,
    heading: &'static str,
    id: Id,
    public_url: Option<String>,
    inputs: Vec<Input>,
    removal_note: &'static str,
    /// The author's portrait as stored, shown beside its field.
    portrait_url: Option<String>,
}

fn kind_of(req: &axum::http::request::Parts) -> Result<Kind, AppError> {
    Kind::of_path(req.uri.path()).ok_or(AppError::NotFound)
}

struct Said {
    status: StatusCode,
    error: Option<String>,
    notice: Option<String>,
}

impl Said {
    fn nothing() -> Said {
        Said { status: StatusCode::OK, error: None, notice: None }
    }
}

fn list_page(
    app: &AppState,
    s: &Session,
    kind: Kind,
    q: &str,
    typed: &Item,
    said: Said,
) -> Result<Response, AppError> {
    let all = items(app, kind);
    let total = all.len();
    let needle = q.trim().to_lowercase();
    let rows: Vec<Row> = all
        .into_iter()
        .filter(|i| {
            needle.is_empty() || i.name.to_lowercase().contains(&needle) || i.slug.contains(&needle)
        })
        .take(LIST_LIMIT)
        .map(|i| Row {
            url: format!("/admin/{}/{}", kind.plural(), i.id),
            public_url: kind.public_url(&i.slug),
            name: i.name,
            slug: i.slug,
        })
        .collect();
    let mut view = ListView {
        page: AdminPage::new(app, kind.heading()).signed_in(s),
        kind: kind.singular(),
        plural: kind.plural(),
        kinds: kind_links(kind),
        q: q.to_owned(),
        shown: rows.len(),
        rows,
        total,
        inputs: inputs(kind, typed),
    };
    tie_error(&mut view.inputs, said.error.as_deref());
    view.page.error = said.error;
    view.page.notice = said.notice;
    page(app, said.status, "admin/taxonomy.html", &view)
}

/// `GET /admin/{kind}?q=…`: the items of a kind, and the form to add one.
async fn list(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (req, _) = req.into_parts();
    let kind = kind_of(&req)?;
    let s = match signed_in_for(&app, &req, Action::EditTaxonomy).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let q = query(&req);
    let mut said = Said::nothing();
    if field(&q, "removed") == "1" {
        said.notice = Some(format!("The {} was removed.", kind.singular()));
    }
    list_page(&app, &s, kind, field(&q, "q"), &Item::default(), said)
}

/// What an item's form asks to store, read and checked for what only the
/// web form can get wrong (numbers that are not, a portrait that is not in
/// the library); the use case checks the rest.
enum Wanted {
    Section(Section),
    Tag(Tag),
    Author(Author),
    Story(Story),
}

impl Wanted {
    async fn read(
        app: &AppState,
        kind: Kind,
        item: &Item,
    ) -> Result<Result<Wanted, String>, AppError> {
        Ok(Ok(match kind {
            Kind::Section => match item.section() {
                Ok(x) => Wanted::Section(x),
                Err(e) => return Ok(Err(e)),
            },
            Kind::Tag => {
                Wanted::Tag(Tag { id: item.id, name: item.name.clone(), slug: item.slug_or_name() })
            }
            Kind::Story => Wanted::Story(Story {
                id: item.id,
                name: item.name.clone(),
                slug: item.slug_or_name(),
            }),
            Kind::Author => match item.author() {
                Err(e) => return Ok(Err(e)),
                Ok(a) => {
                    if let Some(m) = a.photo_media_id
                        && app.db.media_by_ids(&[m]).await?.is_empty()
                    {
                        return Ok(Err(format!("There is no media item {m} for the portrait.")));
                    }
                    Wanted::Author(a)
                }
            },
        }))
    }

    fn slug(&self) -> &str {
        match self {
            Wanted::Section(x) => &x.slug,
            Wanted::Tag(x) => &x.slug,
            Wanted::Author(x) => &x.slug,
            Wanted::Story(x) => &x.slug,
        }
    }
}

/// Stores `wanted` as a new item (id 0) or over the stored one `before`;
/// returns its id. A changed public address is audited.
async fn store(
    app: &AppState,
    s: &Session,
    from: &Origin,
    kind: Kind,
    wanted: &Wanted,
    before: Option<&Item>,
) -> newsdesk_app::Result<Id> {
    let mut w = app.newsroom.begin(&s.user.actor()).await?;
    let id = match wanted {
        Wanted::Section(x) if x.id == 0 => w.create_section(x).await?.id,
        Wanted::Section(x) => w.update_section(x).await.map(|()| x.id)?,
        Wanted::Tag(x) if x.id == 0 => w.create_tag(x).await?.id,
        Wanted::Tag(x) => w.update_tag(x).await.map(|()| x.id)?,
        Wanted::Story(x) if x.id == 0 => w.create_story(x).await?.id,
        Wanted::Story(x) => w.update_story(x).await.map(|()| x.id)?,
        Wanted::Author(x) if x.id == 0 => w.create_author(x).await?.id,
        Wanted::Author(x) => w.update_author(x).await.map(|()| x.id)?,
    };
    if let Some(before) = before
        && before.slug != wanted.slug()
    {
        let action = format!("{}_slug_changed", kind.singular());
        let detail = format!("{} → {}", before.slug, wanted.slug());
        w.audit(&action, &format!("{} {id}", kind.singular()), &detail, from).await?;
    }
    w.commit().await?;
    Ok(id)
}

/// `POST /admin/{kind}`: adds an item.
async fn create(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let kind = Kind::of_path(req.uri().path()).ok_or(AppError::NotFound)?;
    let Posted { session, from, fields } = match posted(&app, req, Action::EditTaxonomy).await? {
        Ok(p) => p,
        Err(redirect) => return Ok(redirect),
    };
    let item = Item::from_form(&fields);
    let again = |status, error| {
        let said = Said { status, error: Some(error), notice: None };
        list_page(&app, &session, kind, "", &item, said)
    };
    let wanted = match Wanted::read(&app, kind, &item).await? {
        Ok(w) => w,
        Err(e) => return again(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    match store(&app, &session, &from, kind, &wanted, None).await {
        Ok(id) => {
            app.catch_up().await?;
            Ok(see_other(&format!("/admin/{}/{id}?done=added", kind.plural())))
        }
        Err(e) => {
            let subject = format!("new {}", kind.singular());
            let (status, error) = refusal(&app, (&session, &from), &subject, e).await?;
            again(status, error)
        }
    }
}

/// The page of `stored`, its form holding `item` (what was sent, on a
/// refusal).
async fn item_page(
    app: &AppState,
    s: &Session,
    kind: Kind,
    stored: &Item,
    item: &Item,
    said: Said,
) -> Result<Response, AppError> {
    let title = if item.name.is_empty() { kind.heading() } else { item.name.as_str() };
    let portrait = stored.photo.parse::<Id>().ok();
    let portrait_url = match portrait {
        Some(m) => {
            app.db.media_by_ids(&[m]).await?.first().map(|m| newsdesk_content::media_url(&m.file))
        }
        None => None,
    };
    let mut view = ItemView {
        page: AdminPage::new(app, title).signed_in(s).under("Sections & tags"),
        kind: kind.singular(),
        plural: kind.plural(),
        heading: kind.heading(),
        id: item.id,
        public_url: kind.public_url(&stored.slug),
        inputs: inputs(kind, item),
        removal_note: kind.removal_note(),
        portrait_url,
    };
    tie_error(&mut view.inputs, said.error.as_deref());
    view.page.error = said.error;
    view.page.notice = said.notice;
    page(app, said.status, "admin/taxonomy_item.html", &view)
}

/// `GET /admin/{kind}/{id}`: one item's form.
async fn show(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let (req, _) = req.into_parts();
    let kind = kind_of(&req)?;
    let s = match signed_in_for(&app, &req, Action::EditTaxonomy).await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let item = stored(&app, kind, id)?;
    let mut said = Said::nothing();
    said.notice = match field(&query(&req), "done") {
        "added" => Some(format!("The {} was added.", kind.singular())),
        "saved" => Some("Saved. Pages that show it follow in a moment.".to_owned()),
        _ => None,
    };
    item_page(&app, &s, kind, &item, &item, said).await
}

/// `POST /admin/{kind}/{id}`: saves the item, or removes it
/// (`do=remove`).
async fn change(
    State(app): State<AppState>,
    Path(id): Path<Id>,
    req: Request,
) -> Result<Response, AppError> {
    let kind = Kind::of_path(req.uri().path()).ok_or(AppError::NotFound)?;
    let Posted { session, from, fields } = match posted(&app, req, Action::EditTaxonomy).await? {
        Ok(p) => p,
        Err(redirect) => return Ok(redirect),
    };
    let before = stored(&app, kind, id)?;
    if field(&fields, "do") == "remove" {
        let result = async {
            let mut w = app.newsroom.begin(&session.user.actor()).await?;
            match kind {
                Kind::Section => w.delete_section(id).await?,
                Kind::Tag => w.delete_tag(id).await?,
                Kind::Author => w.delete_author(id).await?,
                Kind::Story => w.delete_story(id).await?,
            }
            let action = format!("{}_deleted", kind.singular());
            let detail = format!("{} ({})", before.name, before.slug);
            w.audit(&action, &format!("{} {id}", kind.singular()), &detail, &from).await?;
            w.commit().await
        }
        .await;
        return match result {
            Ok(_) => {
                app.catch_up().await?;
                Ok(see_other(&format!("/admin/{}?removed=1", kind.plural())))
            }
            Err(newsdesk_app::Error::Conflict { .. }) => {
                let said = Said {
                    status: StatusCode::CONFLICT,
                    error: Some(format!("Not removed. {}", kind.removal_note())),
                    notice: None,
                };
                item_page(&app, &session, kind, &before, &before, said).await
            }
            Err(e) => {
                let subject = format!("{} {id}", kind.singular());
                let (status, error) = refusal(&app, (&session, &from), &subject, e).await?;
                let said = Said { status, error: Some(error), notice: None };
                item_page(&app, &session, kind, &before, &before, said).await
            }
        };
    }
    let item = Item { id, ..Item::from_form(&fields) };
    let again = |status, error| {
        let said = Said { status, error: Some(error), notice: None };
        item_page(&app, &session, kind, &before, &item, said)
    };
    let wanted = match Wanted::read(&app, kind, &item).await? {
        Ok(w) => w,
        Err(e) => return again(StatusCode::UNPROCESSABLE_ENTITY, e).await,
    };
    match store(&app, &session, &from, kind, &wanted, Some(&before)).await {
        Ok(_) => {
            app.catch_up().await?;
            Ok(see_other(&format!("/admin/{}/{id}?done=saved", kind.plural())))
        }
        Err(e) => {
            let subject = format!("{} {id}", kind.singular());
            let (status, error) = refusal(&app, (&session, &from), &subject, e).await?;
            again(status, error).await
        }
    }
}

/// Tag names suggested for what is typed, at most this many.
pub const SUGGESTIONS: usize = 12;

/// `GET /admin/tags/suggest?q=…`: the editor's type-ahead for tags (JSON
/// list of names; names that start with the text first, then names that
/// contain it). For anyone who writes.
async fn suggest_tags(State(app): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (req, _) = req.into_parts();
    if let Err(redirect) = signed_in_for(&app, &req, Action::CreateArticle).await? {
        return Ok(redirect);
    }
    let q = field(&query(&req), "q").trim().to_lowercase();
    let mut names: Vec<(bool, String)> = if q.is_empty() {
        Vec::new()
    } else {
        app.taxonomy()
            .tags
            .values()
            .filter_map(|t| {
                let lower = t.name.to_lowercase();
                if lower.starts_with(&q) {
                    Some((false, t.name.clone()))
                } else if lower.contains(&q) || t.slug.contains(&q) {
                    Some((true, t.name.clone()))
                } else {
                    None
                }
            })
            .collect()
    };
    names.sort_by_cached_key(|(later, n)| (*later, n.to_lowercase()));
    let names: Vec<String> = names.into_iter().take(SUGGESTIONS).map(|(_, n)| n).collect();
    Ok(private_json(StatusCode::OK, &names))
}
