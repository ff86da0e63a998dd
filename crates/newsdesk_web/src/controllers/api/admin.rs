//! The Admin API: what an editor does in the back office, for programs.
//! Every write is a use case of the application layer, acting as the
//! token's user, and is audited like the back office's.

use super::views::{
    ApiDeskRow, ApiRevision, ApiToken, ApiUser, ArticleEnvelope, CursorMeta, DeskList, MeResponse,
    RevisionList, UploadResponse,
};
use super::views::{Context, Formats, MediaEnvelope};
use super::{ApiError, Call, ErrorBody, json_ok, json_write, parse_json, path_id, query};
use crate::app::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use newsdesk_app::integrations::Scope;
use newsdesk_app::media::Upload;
use newsdesk_core::{
    Action, Actor, Article, ArticleStatus, Author, Block, Byline, Figure, HeadlineSet, Id, Section,
    Source, Story, Tag, authorize,
};
use newsdesk_db::DeskFilter;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /api/admin/me`: the token's user and scopes.
#[utoipa::path(get, path = "/api/admin/me", tag = "admin", operation_id = "find_me",
    responses((status = 200, description = "The token's user and scopes", body = MeResponse), (status = 401, description = "No token, or one that is unknown, revoked or expired, or its account is disabled", body = ErrorBody), (status = 403, description = "A content key, a missing scope, or a role that may not", body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn me(call: Call, headers: HeaderMap) -> Result<Response, ApiError> {
    let (user, _) = call.admin(Scope::Read)?;
    let scopes: Vec<&'static str> = match &call.caller {
        newsdesk_app::integrations::Caller::Admin { scopes, .. } if !scopes.is_empty() => {
            scopes.iter().map(|s| s.as_str()).collect()
        }
        _ => Scope::ALL.iter().map(|s| s.as_str()).collect(),
    };
    let body = MeResponse {
        user: ApiUser {
            id: user.id,
            name: user.name.clone(),
            email: user.email.clone(),
            role: user.role.as_str(),
            author_id: user.author_id,
        },
        token: ApiToken { id: call.caller.key_id(), scopes },
    };
    Ok(json_ok(&headers, StatusCode::OK, &body))
}

/// Whether `actor` may see every article, not only its own.
fn sees_all(actor: &Actor) -> bool {
    authorize(actor, Action::EditArticle, &[]).is_ok()
}

/// `GET /api/admin/articles?status=&section=&author=&tag=&q=&limit=&before=`:
/// articles of every status, newest first; `meta.next` is the `before` of
/// the next page. Writers below editor see their own.
#[utoipa::path(get, path = "/api/admin/articles", tag = "admin",
    params(
        ("status" = Option<String>, Query, description = "draft, review, scheduled, published or unpublished"),
        ("section" = Option<i64>, Query, description = "Section id"),
        ("author" = Option<i64>, Query, description = "Author id"),
        ("tag" = Option<i64>, Query, description = "Tag id"),
        ("q" = Option<String>, Query, description = "Words in the headline or slug"),
        ("limit" = Option<i64>, Query, description = "Page size, 1 to 100 (default 20)"),
        ("before" = Option<String>, Query, description = "`meta.next` of the previous page"),
    ),
    responses(
        (status = 200, description = "Articles of every status, newest first (writers below editor: their own)", body = DeskList),
        (status = 400, description = "A parameter is wrong", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown, revoked or expired, or its account is disabled", body = ErrorBody), (status = 403, description = "A content key, a missing scope, or a role that may not", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_articles(
    State(app): State<AppState>,
    call: Call,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let (user, actor) = call.admin(Scope::Read)?;
    let params = query(&uri)?;
    super::only(&params, &["status", "section", "author", "tag", "q", "limit", "before"])?;
    let id_param = |name: &str| -> Result<Option<Id>, ApiError> {
        params
            .get(name)
            .map(|v| {
                v.parse::<Id>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| ApiError::field(StatusCode::BAD_REQUEST, name, "give an id"))
            })
            .transpose()
    };
    let status = params
        .get("status")
        .map(|s| {
            s.parse::<ArticleStatus>().map_err(|_| {
                ApiError::field(
                    StatusCode::BAD_REQUEST,
                    "status",
                    "one of draft, review, scheduled, published, unpublished",
                )
            })
        })
        .transpose()?;
    let limit = super::limit(&params)?;
    let filter = DeskFilter {
        status,
        section_id: id_param("section")?,
        author_id: id_param("author")?,
        tag_id: id_param("tag")?,
        mine: (!sees_all(&actor)).then_some((user.id, user.author_id)),
        query: params.get("q").cloned().unwrap_or_default().chars().take(200).collect(),
        before: id_param("before")?,
        ..DeskFilter::default()
    };
    let mut rows = app.db.desk_articles(&filter, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next = if more { rows.last().map(|r| r.id.to_string()) } else { None };
    let articles: Vec<ApiDeskRow> = rows
        .into_iter()
        .map(|r| ApiDeskRow {
            id: r.id,
            headline: r.headline,
            status: r.status.as_str(),
            section_id: r.section_id,
            path: r.path,
            updated_at: r.updated_at,
            first_published_at: r.first_published_at,
            scheduled_at: r.scheduled_at,
            version: r.version,
        })
        .collect();
    let body = DeskList { articles, meta: CursorMeta { limit, next } };
    Ok(json_ok(&headers, StatusCode::OK, &body))
}

/// The article and its version, when the caller may work on it.
async fn openable(app: &AppState, actor: &Actor, id: Id) -> Result<(Article, i32), ApiError> {
    let (a, v) = app.db.find_article_versioned(id).await?;
    if authorize(actor, Action::EditArticle, &a.author_ids()).is_err() {
        // The same answer as for an article that does not exist: other
        // people's drafts are not even confirmed to exist.
        return Err(ApiError::new(StatusCode::NOT_FOUND, format!("article {id} not found")));
    }
    Ok((a, v))
}

/// The article as the Admin API answers it.
async fn article_body(
    app: &AppState,
    a: &Article,
    version: i32,
) -> Result<ArticleEnvelope, ApiError> {
    app.catch_up().await.map_err(ApiError::from)?;
    let t = app.taxonomy();
    let ctx = Context::load(app, &t, &[a], Formats { blocks: true, html: true }, true).await?;
    Ok(ArticleEnvelope { article: ctx.article(a, Some(version)) })
}

/// `GET /api/admin/articles/{id}`
#[utoipa::path(get, path = "/api/admin/articles/{id}", tag = "admin",
    params(("id" = i64, Path, description = "Article id")),
    responses(
        (status = 200, description = "The article with its version", body = ArticleEnvelope),
        (status = 404, description = "No such article, or one the token's user may not open", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown, revoked or expired, or its account is disabled", body = ErrorBody), (status = 403, description = "A content key, a missing scope, or a role that may not", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn find_article(
    State(app): State<AppState>,
    call: Call,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, actor) = call.admin(Scope::Read)?;
    let (a, v) = openable(&app, &actor, path_id(&id)?).await?;
    Ok(json_ok(&headers, StatusCode::OK, &article_body(&app, &a, v).await?))
}

/// What a client sends to create or update an article.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleWriteRequest {
    /// The article.
    pub article: ArticleFields,
}

/// An article's editable fields. On create, a missing field is empty; on
/// update, a missing field keeps its stored value and `null` empties a
/// field that may be empty.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleFields {
    /// The version the change is based on (required to update).
    #[serde(default)]
    pub version: Option<i32>,
    /// Headline variants; `display` is required on create.
    #[serde(default)]
    pub headlines: Option<HeadlineSet>,
    /// Slug; made from the headline when empty.
    #[serde(default)]
    pub slug: Option<String>,
    /// Standfirst.
    #[serde(default)]
    pub dek: Option<String>,
    /// Section id.
    #[serde(default, deserialize_with = "present")]
    pub section_id: Option<Option<Id>>,
    /// Running story id.
    #[serde(default, deserialize_with = "present")]
    pub story_id: Option<Option<Id>>,
    /// Tag ids, in order.
    #[serde(default)]
    pub tags: Option<Vec<Id>>,
    /// Credit lines; the token's own author when none are given on create.
    #[serde(default)]
    pub bylines: Option<Vec<Byline>>,
    /// Lead image.
    #[serde(default, deserialize_with = "present")]
    pub lead: Option<Option<Figure>>,
    /// The body as blocks.
    #[serde(default)]
    pub body: Option<Vec<Block>>,
    /// The body as Markdown (instead of `body`).
    #[serde(default)]
    pub body_markdown: Option<String>,
    /// Sources.
    #[serde(default)]
    pub sources: Option<Vec<Source>>,
    /// Canonical URL.
    #[serde(default, deserialize_with = "present")]
    pub canonical_url: Option<Option<String>>,
    /// Embargo.
    #[serde(default, deserialize_with = "present")]
    pub embargo_until: Option<Option<DateTime<Utc>>>,
}

/// A field that is present, as `Some(value)` (`Some(None)` for `null`);
/// an absent one stays `None` through `#[serde(default)]`.
fn present<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl ArticleFields {
    /// Writes the fields present into `a`.
    fn apply(self, a: &mut Article) -> Result<(), ApiError> {
        match (self.body, self.body_markdown) {
            (Some(_), Some(_)) => {
                return Err(ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "article.body_markdown",
                    "send the body as blocks or as Markdown, not both",
                ));
            }
            (Some(b), None) => a.body = b,
            (None, Some(md)) => {
                a.body = newsdesk_content::markdown::to_blocks(&md).map_err(|e| {
                    ApiError::field(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "article.body_markdown",
                        e.to_string(),
                    )
                })?;
            }
            (None, None) => {}
        }
        if let Some(h) = self.headlines {
            a.headlines = h;
        }
        if let Some(slug) = self.slug {
            a.slug = slug;
        }
        if let Some(dek) = self.dek {
            a.dek = dek;
        }
        if let Some(v) = self.section_id {
            a.section_id = v;
        }
        if let Some(v) = self.story_id {
            a.story_id = v;
        }
        if let Some(v) = self.tags {
            a.tags = v;
        }
        if let Some(v) = self.bylines {
            a.bylines = v;
        }
        if let Some(v) = self.lead {
            a.lead = v;
        }
        if let Some(v) = self.sources {
            a.sources = v;
        }
        if let Some(v) = self.canonical_url {
            a.canonical_url = v;
        }
        if let Some(v) = self.embargo_until {
            a.embargo_until = v;
        }
        Ok(())
    }
}

/// `POST /api/admin/articles`: a new draft. 201 with the article.
#[utoipa::path(post, path = "/api/admin/articles", tag = "admin",
    request_body = ArticleWriteRequest,
    responses(
        (status = 201, description = "The new draft", body = ArticleEnvelope),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown, revoked or expired, or its account is disabled", body = ErrorBody), (status = 403, description = "A content key, a missing scope, or a role that may not", body = ErrorBody), (status = 422, description = "The body cannot be used; every problem names its `field`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_article(
    State(app): State<AppState>,
    call: Call,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (user, actor) = call.admin(Scope::Articles)?;
    let req: ArticleWriteRequest = parse_json(&headers, &read_body(&headers, body).await?)?;
    if req.article.headlines.is_none() {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "article.headlines",
            "give the headline: `headlines: { display: … }`",
        ));
    }
    let mut a = Article::draft("", Utc::now());
    a.slug.clear();
    req.article.apply(&mut a)?;
    if a.bylines.is_empty()
        && let Some(author_id) = user.author_id
    {
        a.bylines.push(Byline::Author { author_id });
    }
    let mut w = app.newsroom.begin(&actor).await?;
    let saved = w.create_draft(a).await.map_err(|e| ApiError::from(e).within("article", &[]))?;
    let subject = format!("article {}", saved.article.id);
    w.audit("article_created", &subject, &via(&call), &call.from).await?;
    w.commit().await?;
    let body = article_body(&app, &saved.article, saved.version).await?;
    Ok(json_write(StatusCode::CREATED, &body))
}

/// `PUT /api/admin/articles/{id}`: changes the fields sent, based on
/// `article.version`; a stale version is a 409 with the current one.
#[utoipa::path(put, path = "/api/admin/articles/{id}", tag = "admin", operation_id = "update_article",
    params(("id" = i64, Path, description = "Article id")),
    request_body = ArticleWriteRequest,
    responses(
        (status = 200, description = "The article as saved", body = ArticleEnvelope),
        (status = 404, description = "No such article, or one the token's user may not open", body = ErrorBody),
        (status = 409, description = "Someone saved since `version`; `current_version` says what is stored", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown, revoked or expired, or its account is disabled", body = ErrorBody), (status = 403, description = "A content key, a missing scope, or a role that may not", body = ErrorBody), (status = 422, description = "The body cannot be used; every problem names its `field`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn save_article(
    State(app): State<AppState>,
    call: Call,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (_, actor) = call.admin(Scope::Articles)?;
    let id = path_id(&id)?;
    let req: ArticleWriteRequest = parse_json(&headers, &read_body(&headers, body).await?)?;
    let Some(version) = req.article.version else {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "article.version",
            "give the version the change is based on (from the article you read)",
        ));
    };
    let (mut a, _) = openable(&app, &actor, id).await?;
    req.article.apply(&mut a)?;
    let mut w = app.newsroom.begin(&actor).await?;
    let saved = w.save(a, version).await.map_err(|e| ApiError::from(e).within("article", &[]))?;
    w.audit("article_saved", &format!("article {id}"), &via(&call), &call.from).await?;
    w.commit().await?;
    let body = article_body(&app, &saved.article, saved.version).await?;
    Ok(json_write(StatusCode::OK, &body))
}

/// A workflow step of `POST /api/admin/articles/{id}/{step}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// Send for review.
    Submit,
    /// Publish now.
    Publish,
    /// Publish at `at`.
    Schedule,
    /// Take down (the page answers 410).
    Unpublish,
    /// Append a public correction.
    Correct,
    /// Send an article in review (or scheduled) back to its writer with a
    /// note (`text`).
    #[serde(rename = "send_back")]
    SendBack,
}

/// A picture's bytes.
#[derive(ToSchema)]
#[allow(
    dead_code,
    reason = "describes the body for the OpenAPI document; the handler reads the bytes"
)]
#[schema(value_type = String, format = Binary)]
pub struct Picture(pub Vec<u8>);

/// What a status change may carry.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    /// The version the step acts on (required for submit, publish,
    /// schedule and send_back).
    #[serde(default)]
    pub version: Option<i32>,
    /// When to publish (`schedule`).
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    /// The correction (`correct`) or the note to the writer (`send_back`).
    #[serde(default)]
    pub text: Option<String>,
}

/// `POST /api/admin/articles/{id}/{submit|publish|schedule|unpublish|correct|send_back}`:
/// each step saves a new version.
#[utoipa::path(post, path = "/api/admin/articles/{id}/{step}", tag = "admin", operation_id = "change_article_status",
    params(("id" = i64, Path, description = "Article id"), ("step" = Step, Path, description = "The workflow step")),
    request_body(content = Option<StepRequest>, description = "`version` for submit, publish and schedule; `at` for schedule; `text` for correct"),
    responses(
        (status = 200, description = "The article after the step", body = ArticleEnvelope),
        (status = 404, description = "No such article or step", body = ErrorBody),
        (status = 409, description = "A stale version, or a step the workflow does not allow now", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown, revoked or expired, or its account is disabled", body = ErrorBody), (status = 403, description = "A content key, a missing scope, or a role that may not", body = ErrorBody), (status = 422, description = "The body cannot be used; every problem names its `field`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn change_status(
    State(app): State<AppState>,
    call: Call,
    Path((id, step)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (_, actor) = call.admin(Scope::Articles)?;
    let id = path_id(&id)?;
    let step = match step.as_str() {
        "submit" => Step::Submit,
        "publish" => Step::Publish,
        "schedule" => Step::Schedule,
        "unpublish" => Step::Unpublish,
        "correct" => Step::Correct,
        "send_back" => Step::SendBack,
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "no such step: use submit, publish, schedule, unpublish, correct or send_back",
            ));
        }
    };
    let bytes = read_body(&headers, body).await?;
    let req: StepRequest =
        if bytes.is_empty() { StepRequest::default() } else { parse_json(&headers, &bytes)? };
    openable(&app, &actor, id).await?;
    // A step that acts on what the article says must say which version the
    // client read, or it could publish edits the client never saw.
    let version = match (step, req.version) {
        (Step::Submit | Step::Publish | Step::Schedule | Step::SendBack, None) => {
            return Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "version",
                "give the version you read: the step acts on the article as it was then",
            ));
        }
        (_, v) => v,
    };
    let at = match (step, req.at) {
        (Step::Schedule, None) => {
            return Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "at",
                "give the time to publish at, in RFC 3339",
            ));
        }
        (_, at) => at,
    };
    let text = req.text.unwrap_or_default();
    if matches!(step, Step::Correct | Step::SendBack) && text.trim().is_empty() {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "text",
            "the correction is empty",
        ));
    }
    let mut w = app.newsroom.begin(&actor).await?;
    let done = match step {
        Step::Submit => w.submit_for_review(id, version).await.map(|s| (s, "article_submitted")),
        Step::Publish => w.publish(id, version).await.map(|s| (s, "article_published")),
        Step::Schedule => {
            // `at` is there: a schedule without one was refused above.
            let at = at.unwrap_or_default();
            w.schedule(id, at, version).await.map(|s| (s, "article_scheduled"))
        }
        Step::Unpublish => w.unpublish(id).await.map(|s| (s, "article_unpublished")),
        Step::Correct => w.correct(id, &text).await.map(|s| (s, "article_corrected")),
        Step::SendBack => w.send_back(id, &text, version).await.map(|s| (s, "article_sent_back")),
    };
    let (saved, action) = done.map_err(|e| {
        let e = ApiError::from(e);
        match step {
            // A refused schedule is about its time.
            Step::Schedule if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
                e.within("", &[]).or_field("at")
            }
            Step::Correct | Step::SendBack => {
                e.within("", &[("correction", "text"), ("note", "text")])
            }
            _ => e.within("article", &[]).keep_top_level("version"),
        }
    })?;
    w.audit(action, &format!("article {id}"), &via(&call), &call.from).await?;
    w.commit().await?;
    let body = article_body(&app, &saved.article, saved.version).await?;
    Ok(json_write(StatusCode::OK, &body))
}

/// `GET /api/admin/articles/{id}/revisions`: every saved version, newest
/// first (without their content).
#[utoipa::path(get, path = "/api/admin/articles/{id}/revisions", tag = "admin", operation_id = "list_article_revisions",
    params(("id" = i64, Path, description = "Article id")),
    responses(
        (status = 200, description = "Every saved version, newest first", body = RevisionList),
        (status = 404, description = "No such article, or one the token's user may not open", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown, revoked or expired, or its account is disabled", body = ErrorBody), (status = 403, description = "A content key, a missing scope, or a role that may not", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_revisions(
    State(app): State<AppState>,
    call: Call,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, actor) = call.admin(Scope::Read)?;
    let id = path_id(&id)?;
    openable(&app, &actor, id).await?;
    let revisions: Vec<ApiRevision> = app
        .db
        .list_revisions(id)
        .await?
        .into_iter()
        .map(|r| ApiRevision {
            version: r.version,
            created_at: r.created_at,
            actor: r.actor,
            reason: r.reason,
            status: r.status,
            note: r.note,
        })
        .collect();
    Ok(json_ok(&headers, StatusCode::OK, &RevisionList { revisions }))
}

/// `POST /api/admin/media?file_name=photo.jpg`: the picture's bytes as the
/// body. 201 with the new item, 200 with the existing one when the same
/// file is in the library already.
#[utoipa::path(post, path = "/api/admin/media", tag = "admin",
    params(("file_name" = Option<String>, Query, description = "The file's name, for the library's list")),
    request_body(content = Picture, content_type = "application/octet-stream", description = "A JPEG, PNG, WebP or GIF file"),
    responses(
        (status = 201, description = "A new library item; renditions follow as a job", body = UploadResponse),
        (status = 200, description = "The same file was in the library already", body = UploadResponse),
        (status = 413, description = "Larger than the site allows", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown, revoked or expired, or its account is disabled", body = ErrorBody), (status = 403, description = "A content key, a missing scope, or a role that may not", body = ErrorBody), (status = 422, description = "The body cannot be used; every problem names its `field`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn upload_media(
    State(app): State<AppState>,
    call: Call,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Result<Response, ApiError> {
    let (_, actor) = call.admin(Scope::Media)?;
    let params = query(&uri)?;
    let limit = usize::try_from(app.config.media.max_upload_bytes()).unwrap_or(usize::MAX);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_big = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the file is larger than {} MB", app.config.media.max_upload_mb),
        )
    };
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_big());
    }
    let Some(lib) = app.newsroom.media_library() else {
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "no media library"));
    };
    let Some(_slot) = lib.receive_slot() else {
        let mut e = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "too many uploads at once");
        e.retry_after = Some(5);
        return Err(e);
    };
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| too_big())?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request("the body is empty: send the picture's bytes"));
    }
    let file_name = params.get("file_name").cloned().unwrap_or_else(|| "upload".into());
    let up = Upload { bytes: bytes.to_vec(), file_name };
    // The use case writes the audit entry.
    let done = app.newsroom.upload_media(&actor, up, &call.from).await?;
    let status = if done.reused { StatusCode::OK } else { StatusCode::CREATED };
    let body =
        UploadResponse { media: super::views::media(&app, &done.media), reused: done.reused };
    Ok(json_write(status, &body))
}

/// `{"section": …}` to create one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionRequest {
    /// The section.
    pub section: SectionFields,
}

/// A new section.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionFields {
    /// Name.
    pub name: String,
    /// Slug: its page is `/{slug}`.
    pub slug: String,
    /// What it covers.
    #[serde(default)]
    pub description: String,
    /// Place in the navigation, lowest first.
    #[serde(default)]
    pub position: i32,
}

/// A new tag or running story.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NameFields {
    /// Name.
    pub name: String,
    /// Slug.
    pub slug: String,
}

/// `{"tag": …}` to create one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagRequest {
    /// The tag.
    pub tag: NameFields,
}

/// `{"story": …}` to create one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoryRequest {
    /// The running story.
    pub story: NameFields,
}

/// A new author.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorFields {
    /// Name.
    pub name: String,
    /// Slug: their page is `/author/{slug}`.
    pub slug: String,
    /// Job title.
    #[serde(default)]
    pub title: Option<String>,
    /// Biography.
    #[serde(default)]
    pub bio: String,
    /// Portrait: a media item's id.
    #[serde(default)]
    pub photo_media_id: Option<Id>,
}

/// `{"author": …}` to create one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorRequest {
    /// The author.
    pub author: AuthorFields,
}

/// `{"section": …}`
#[derive(Debug, Serialize, ToSchema)]
pub struct SectionEnvelope {
    /// The section.
    pub section: Section,
}

/// `{"tag": …}`
#[derive(Debug, Serialize, ToSchema)]
pub struct TagEnvelope {
    /// The tag.
    pub tag: Tag,
}

/// `{"story": …}`
#[derive(Debug, Serialize, ToSchema)]
pub struct StoryEnvelope {
    /// The running story.
    pub story: Story,
}

/// `{"author": …}`
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorEnvelope {
    /// The author.
    pub author: Author,
}

/// Runs a taxonomy change as the token's user, audited, and answers 201.
async fn term<T: Serialize>(
    app: &AppState,
    call: &Call,
    (action, what, status): (&str, &str, StatusCode),
    change: impl AsyncFnOnce(&mut newsdesk_app::Write) -> Result<T, ApiError>,
) -> Result<Response, ApiError> {
    let (_, actor) = call.admin(Scope::Taxonomy)?;
    let mut w = app.newsroom.begin(&actor).await?;
    let out = change(&mut w).await?;
    w.audit(action, what, &via(call), &call.from).await?;
    w.commit().await?;
    app.catch_up().await?;
    if status == StatusCode::NO_CONTENT {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(json_write(status, &out))
}

const CREATED: (&str, StatusCode) = ("taxonomy_created", StatusCode::CREATED);
const CHANGED: (&str, StatusCode) = ("taxonomy_changed", StatusCode::OK);
const REMOVED: (&str, StatusCode) = ("taxonomy_removed", StatusCode::NO_CONTENT);

/// `POST`, `PUT` and `DELETE` of one kind of term (section, tag, story,
/// author): made from its request; changed, every field replaced; removed,
/// unless articles use it.
macro_rules! term_endpoints {
    ($create:ident, $change:ident, $remove:ident, $collection:literal, $path:literal,
     $create_op:literal, $change_op:literal, $remove_op:literal, $what:literal, $req:ident,
     $env:ident, $field:ident, $insert:ident, $update:ident, $delete:ident, $build:expr) => {
        #[doc = concat!("`POST ", $collection, "`: a new one.")]
        #[utoipa::path(post, path = $collection, tag = "admin", operation_id = $create_op,
            summary = "Makes a new one.",
            request_body = $req,
            responses(
                (status = 201, description = "Created", body = $env),
                (status = 409, description = "The slug is taken", body = ErrorBody),
                (status = 401, description = "No token, or one that is unknown, revoked or expired, or its account is disabled", body = ErrorBody), (status = 403, description = "A content key, a missing scope, or a role that may not", body = ErrorBody), (status = 422, description = "The body cannot be used; every problem names its `field`", body = ErrorBody),
            ),
            security(("bearer" = []))
        )]
        pub async fn $create(
            State(app): State<AppState>,
            call: Call,
            headers: HeaderMap,
            body: Body,
        ) -> Result<Response, ApiError> {
            call.admin(Scope::Taxonomy)?;
            let r: $req = parse_json(&headers, &read_body(&headers, body).await?)?;
            let x = ($build)(0, r);
            term(&app, &call, (CREATED.0, $what, CREATED.1), async |w| {
                Ok($env { $field: w.$insert(&x).await? })
            })
            .await
        }

        #[doc = concat!("`PUT ", $path, "`: replaces its fields.")]
        #[utoipa::path(put, path = $path, tag = "admin", operation_id = $change_op,
            summary = "Replaces its fields.",
            params(("id" = i64, Path, description = "Its id")),
            request_body = $req,
            responses(
                (status = 200, description = "Changed", body = $env),
                (status = 404, description = "Nothing with that id", body = ErrorBody),
                (status = 409, description = "The slug is taken", body = ErrorBody),
                (status = 401, description = "No token, or one that is unknown, revoked or expired, or its account is disabled", body = ErrorBody), (status = 403, description = "A content key, a missing scope, or a role that may not", body = ErrorBody), (status = 422, description = "The body cannot be used; every problem names its `field`", body = ErrorBody),
            ),
            security(("bearer" = []))
        )]
        pub async fn $change(
            State(app): State<AppState>,
            call: Call,
            Path(id): Path<String>,
            headers: HeaderMap,
            body: Body,
        ) -> Result<Response, ApiError> {
            call.admin(Scope::Taxonomy)?;
            let id = path_id(&id)?;
            let r: $req = parse_json(&headers, &read_body(&headers, body).await?)?;
            let x = ($build)(id, r);
            let what = format!(concat!($what, " {}"), id);
            term(&app, &call, (CHANGED.0, &what, CHANGED.1), async |w| {
                w.$update(&x).await?;
                Ok($env { $field: x })
            })
            .await
        }

        #[doc = concat!("`DELETE ", $path, "`: only when nothing uses it.")]
        #[utoipa::path(delete, path = $path, tag = "admin", operation_id = $remove_op,
            summary = "Removes it, only when nothing uses it.",
            params(("id" = i64, Path, description = "Its id")),
            responses(
                (status = 204, description = "Removed"),
                (status = 404, description = "Nothing with that id", body = ErrorBody),
                (status = 409, description = "Articles still use it", body = ErrorBody),
                (status = 401, description = "No token, or one that is unknown, revoked or expired, or its account is disabled", body = ErrorBody), (status = 403, description = "A content key, a missing scope, or a role that may not", body = ErrorBody),
            ),
            security(("bearer" = []))
        )]
        pub async fn $remove(
            State(app): State<AppState>,
            call: Call,
            Path(id): Path<String>,
        ) -> Result<Response, ApiError> {
            let id = path_id(&id)?;
            let what = format!(concat!($what, " {}"), id);
            term(&app, &call, (REMOVED.0, &what, REMOVED.1), async |w| {
                w.$delete(id).await?;
                Ok(())
            })
            .await
        }
    };
}

term_endpoints!(
    create_section,
    change_section,
    remove_section,
    "/api/admin/sections",
    "/api/admin/sections/{id}",
    "create_section",
    "change_section",
    "remove_section",
    "section",
    SectionRequest,
    SectionEnvelope,
    section,
    create_section,
    update_section,
    delete_section,
    |id, r: SectionRequest| Section {
        id,
        name: r.section.name,
        slug: r.section.slug,
        position: r.section.position,
        description: r.section.description,
    }
);
term_endpoints!(
    create_tag,
    change_tag,
    remove_tag,
    "/api/admin/tags",
    "/api/admin/tags/{id}",
    "create_tag",
    "change_tag",
    "remove_tag",
    "tag",
    TagRequest,
    TagEnvelope,
    tag,
    create_tag,
    update_tag,
    delete_tag,
    |id, r: TagRequest| Tag { id, name: r.tag.name, slug: r.tag.slug }
);
term_endpoints!(
    create_story,
    change_story,
    remove_story,
    "/api/admin/stories",
    "/api/admin/stories/{id}",
    "create_story",
    "change_story",
    "remove_story",
    "story",
    StoryRequest,
    StoryEnvelope,
    story,
    create_story,
    update_story,
    delete_story,
    |id, r: StoryRequest| Story { id, name: r.story.name, slug: r.story.slug }
);
term_endpoints!(
    create_author,
    change_author,
    remove_author,
    "/api/admin/authors",
    "/api/admin/authors/{id}",
    "create_author",
    "change_author",
    "remove_author",
    "author",
    AuthorRequest,
    AuthorEnvelope,
    author,
    create_author,
    update_author,
    delete_author,
    |id, r: AuthorRequest| Author {
        id,
        name: r.author.name,
        slug: r.author.slug,
        title: r.author.title,
        bio: r.author.bio,
        photo_media_id: r.author.photo_media_id,
    }
);

/// `GET /api/admin/articles/{id}/revisions/{version}`: the article as it
/// read at that version.
#[utoipa::path(get, path = "/api/admin/articles/{id}/revisions/{version}", tag = "admin", operation_id = "find_article_revision",
    params(("id" = i64, Path, description = "Article id"), ("version" = i32, Path, description = "Version")),
    responses(
        (status = 200, description = "The article at that version", body = ArticleEnvelope),
        (status = 404, description = "No such article or version, or one the token's user may not open", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown, revoked or expired, or its account is disabled", body = ErrorBody), (status = 403, description = "A content key, a missing scope, or a role that may not", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn find_revision(
    State(app): State<AppState>,
    call: Call,
    Path((id, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, actor) = call.admin(Scope::Read)?;
    let id = path_id(&id)?;
    let version = i32::try_from(path_id(&version)?)
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "no such version"))?;
    openable(&app, &actor, id).await?;
    let a = app.db.revision_content(id, version).await?;
    Ok(json_ok(&headers, StatusCode::OK, &article_body(&app, &a, version).await?))
}

/// `{"version": …}`: the version a restore is based on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreRequest {
    /// The article's current version (what the client read).
    pub version: i32,
}

/// `POST /api/admin/articles/{id}/revisions/{version}/restore`: saves an
/// earlier version's content as a new version.
#[utoipa::path(post, path = "/api/admin/articles/{id}/revisions/{version}/restore", tag = "admin", operation_id = "restore_article_revision",
    params(("id" = i64, Path, description = "Article id"), ("version" = i32, Path, description = "The version to bring back")),
    request_body = RestoreRequest,
    responses(
        (status = 200, description = "The article, now at a new version with that content", body = ArticleEnvelope),
        (status = 404, description = "No such article or version, or one the token's user may not open", body = ErrorBody),
        (status = 409, description = "Someone saved since `version`", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown, revoked or expired, or its account is disabled", body = ErrorBody), (status = 403, description = "A content key, a missing scope, or a role that may not", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn restore_revision(
    State(app): State<AppState>,
    call: Call,
    Path((id, version)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (_, actor) = call.admin(Scope::Articles)?;
    let id = path_id(&id)?;
    let version = i32::try_from(path_id(&version)?)
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "no such version"))?;
    let req: RestoreRequest = parse_json(&headers, &read_body(&headers, body).await?)?;
    openable(&app, &actor, id).await?;
    let mut w = app.newsroom.begin(&actor).await?;
    let saved = w
        .restore_revision(id, version, Some(req.version))
        .await
        .map_err(|e| ApiError::from(e).within("article", &[]).keep_top_level("version"))?;
    let detail = format!("version {version}, {}", via(&call));
    w.audit("revision_restored", &format!("article {id}"), &detail, &call.from).await?;
    w.commit().await?;
    Ok(json_write(StatusCode::OK, &article_body(&app, &saved.article, saved.version).await?))
}

/// `{"media": …}`: what an editor says about a picture.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaRequest {
    /// The item's fields.
    pub media: MediaFields,
}

/// A media item's texts, focal point and label. A field left out keeps its
/// stored value; `null` empties a text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaFields {
    /// The version the change is based on.
    pub version: i32,
    /// Alternative text.
    #[serde(default, deserialize_with = "present")]
    pub alt: Option<Option<String>>,
    /// Default caption.
    #[serde(default, deserialize_with = "present")]
    pub caption: Option<Option<String>>,
    /// Default credit line.
    #[serde(default, deserialize_with = "present")]
    pub credit: Option<Option<String>>,
    /// Rights and usage terms.
    #[serde(default, deserialize_with = "present")]
    pub rights: Option<Option<String>>,
    /// Photographer or maker.
    #[serde(default, deserialize_with = "present")]
    pub creator: Option<Option<String>>,
    /// Focal point across, in thousandths (0 to 1000).
    #[serde(default)]
    pub focal_x: Option<u16>,
    /// Focal point down, in thousandths (0 to 1000).
    #[serde(default)]
    pub focal_y: Option<u16>,
    /// Made or changed by generative AI (readers are told).
    #[serde(default)]
    pub ai_generated: Option<bool>,
}

/// `PUT /api/admin/media/{id}`: changes a picture's texts, focal point
/// and AI label; fields left out keep their values.
#[utoipa::path(put, path = "/api/admin/media/{id}", tag = "admin", operation_id = "change_media",
    params(("id" = i64, Path, description = "Media id")),
    request_body = MediaRequest,
    responses(
        (status = 200, description = "The item as saved", body = MediaEnvelope),
        (status = 404, description = "No such item", body = ErrorBody),
        (status = 409, description = "Someone changed it since `version`", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown, revoked or expired, or its account is disabled", body = ErrorBody), (status = 403, description = "A content key, a missing scope, or a role that may not", body = ErrorBody), (status = 422, description = "The body cannot be used; every problem names its `field`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn change_media(
    State(app): State<AppState>,
    call: Call,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (_, actor) = call.admin(Scope::Media)?;
    let id = path_id(&id)?;
    let r: MediaRequest = parse_json(&headers, &read_body(&headers, body).await?)?;
    let f = r.media;
    for (name, v) in [("media.focal_x", f.focal_x), ("media.focal_y", f.focal_y)] {
        if v.is_some_and(|v| v > 1000) {
            return Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                name,
                "a focal point is in thousandths, from 0 to 1000",
            ));
        }
    }
    let stored = app.db.media(id).await?;
    let keep =
        |sent: Option<Option<String>>, had: &Option<String>| sent.unwrap_or_else(|| had.clone());
    let edit = newsdesk_app::media::MediaEdit {
        alt: keep(f.alt, &stored.alt),
        caption: keep(f.caption, &stored.caption),
        credit: keep(f.credit, &stored.credit),
        rights: keep(f.rights, &stored.rights),
        creator: keep(f.creator, &stored.creator),
        focal: (f.focal_x.unwrap_or(stored.focal_x), f.focal_y.unwrap_or(stored.focal_y)),
        ai_generated: f.ai_generated.unwrap_or(stored.ai_generated),
    };
    let m = app
        .newsroom
        .edit_media(&actor, id, edit, f.version, &call.from)
        .await
        .map_err(|e| ApiError::from(e).within("media", &[]))?;
    app.catch_up().await?;
    Ok(json_write(StatusCode::OK, &MediaEnvelope { media: super::views::media(&app, &m) }))
}

/// Reads a JSON request's body, refusing one larger than
/// [`super::MAX_JSON_BYTES`] before reading it when it says so.
async fn read_body(headers: &HeaderMap, body: Body) -> Result<bytes::Bytes, ApiError> {
    let too_big = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {} MB", super::MAX_JSON_BYTES / 1024 / 1024),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(n) if n > super::MAX_JSON_BYTES => {
            // A body a little too large is read and dropped, so the client
            // gets the answer instead of a connection cut mid-send; a much
            // larger one is cut.
            if n <= DRAIN_BYTES {
                drain(body).await;
            }
            Err(too_big())
        }
        _ => axum::body::to_bytes(body, super::MAX_JSON_BYTES).await.map_err(|_| too_big()),
    }
}

/// The largest refused body still read to its end (see [`read_body`]).
const DRAIN_BYTES: usize = 16 * 1024 * 1024;

/// Reads a body to its end, keeping nothing.
async fn drain(body: Body) {
    use futures_util::StreamExt;
    let mut s = body.into_data_stream();
    while let Some(Ok(_)) = s.next().await {}
}

/// The audit log's detail for a change made through the API.
fn via(call: &Call) -> String {
    format!("via API token {}", call.caller.key_id())
}
