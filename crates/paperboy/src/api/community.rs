//! The API's writes, for scripts with a personal token (`Authorization: Bearer pb_...`):
//! submitting (Hugging Face's `POST /api/papers/submit`), votes, comments, links, moderation,
//! and the caller's own account and tokens. Every rule lives in
//! [`crate::actions::community`], shared with the site's forms.

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use paperboy_arxiv::ArxivId;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::auth::ApiUser;
use super::json::{CommentJson, DailyItemJson, PaperJson, iso_millis, object_id};
use crate::domain::accounts::Role;
use crate::error::AppError;
use crate::http::App;
use crate::http::extract::{Body, PathParam};

/// Hugging Face's submit body. Its `media_urls` is accepted and ignored, as any unknown field
/// is: Paperboy shows no media.
#[derive(Debug, Deserialize)]
pub struct SubmitBody {
    paper_id: Option<String>,
    comment: Option<String>,
}

/// `POST /api/papers/submit`: puts a paper on today's feed (or claims it where a rule put it),
/// looking it up on arXiv when the catalog lacks it.
pub async fn submit_paper(
    State(app): State<App>,
    ApiUser(user): ApiUser,
    Body(body): Body<SubmitBody>,
) -> Result<Json<DailyItemJson>, AppError> {
    let Some(paper_id) = body.paper_id.filter(|id| !id.trim().is_empty()) else {
        return Err(AppError::BadRequest("paper_id is required: the arXiv id of the paper to submit".into()));
    };
    let (id, _) = app.core.community().submit(&user, &paper_id, body.comment.as_deref()).await?;
    let (stored, entry) = app
        .core
        .db
        .paper_with_entry(&id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("paper {id} not found")))?;
    Ok(Json(DailyItemJson::new(stored, entry.as_ref())))
}

#[derive(Debug, Serialize)]
pub struct VoteJson {
    upvotes: i64,
    voted: bool,
}

/// What follows a paper's id in `/api/papers/{id}/...`.
enum PaperAction {
    Vote,
    Comments,
    Links,
    Hide,
    Feature,
}

/// Splits `2501.00001/vote` (or `hep-th/9901001/vote`) into the paper and the action.
fn paper_action(path: &str) -> Result<(ArxivId, PaperAction), AppError> {
    let (id, action) =
        path.rsplit_once('/').ok_or_else(|| AppError::NotFound("no such API endpoint".into()))?;
    let action = match action {
        "vote" => PaperAction::Vote,
        "comments" => PaperAction::Comments,
        "links" => PaperAction::Links,
        "hide" => PaperAction::Hide,
        "feature" => PaperAction::Feature,
        _ => return Err(AppError::NotFound("no such API endpoint".into())),
    };
    let id = id.parse::<ArxivId>().map_err(|e| AppError::BadRequest(e.to_string()))?;
    Ok((id, action))
}

/// `GET /api/papers/{id}/comments`, reached through the paper route.
pub async fn list_comments(app: &App, path: &str) -> Option<Result<Response, AppError>> {
    let (id, PaperAction::Comments) = paper_action(path).ok()? else { return None };
    Some(
        async move {
            if app.core.db.get_paper(&id).await?.is_none_or(|p| p.hidden_at.is_some()) {
                return Err(AppError::NotFound(format!("paper {id} not found")));
            }
            let comments: Vec<CommentJson> =
                app.core.db.comments(&id).await?.iter().map(CommentJson::new).collect();
            Ok(Json(comments).into_response())
        }
        .await,
    )
}

/// Every field the paper actions read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaperActionBody {
    body: Option<String>,
    #[serde(alias = "parent_id")]
    parent_id: Option<i64>,
    github_repo: Option<String>,
    project_page: Option<String>,
    reason: Option<String>,
    date: Option<NaiveDate>,
}

/// `POST` and `DELETE` on `/api/papers/{id}/vote`, `/comments`, `/links`, `/hide`, `/feature`.
pub async fn act_on_paper(
    State(app): State<App>,
    method: Method,
    PathParam(path): PathParam<String>,
    ApiUser(user): ApiUser,
    request: Request,
) -> Result<Response, AppError> {
    let (id, action) = paper_action(&path)?;
    let body: PaperActionBody = optional_body(request).await?;
    let deleting = method == Method::DELETE;
    match action {
        PaperAction::Vote => {
            let count = app.core.community().vote(&user, &id, !deleting).await?;
            Ok(Json(VoteJson { upvotes: count.upvotes, voted: count.voted }).into_response())
        }
        PaperAction::Comments if !deleting => {
            let text = body.body.unwrap_or_default();
            let comment = app.core.community().comment(&user, &id, body.parent_id, &text).await?;
            let stored = app.core.db.comments(&id).await?;
            let created = stored.iter().find(|c| c.id == comment).map(CommentJson::new);
            Ok((StatusCode::CREATED, Json(created)).into_response())
        }
        PaperAction::Links if !deleting => {
            app.core
                .community()
                .set_links(&user, &id, body.github_repo.as_deref(), body.project_page.as_deref())
                .await?;
            paper_json(&app, &id).await
        }
        PaperAction::Hide => {
            app.core.community().hide_paper(&user, &id, !deleting, body.reason.as_deref()).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        PaperAction::Feature if !deleting => {
            let featured = app.core.community().feature(&user, &id, body.date).await?;
            Ok(Json(serde_json::json!({ "featured": format!("{featured:?}") })).into_response())
        }
        _ => Err(AppError::NotFound("no such API endpoint".into())),
    }
}

async fn paper_json(app: &App, id: &ArxivId) -> Result<Response, AppError> {
    let (stored, entry) = app
        .core
        .db
        .paper_with_entry(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("paper {id} not found")))?;
    Ok(Json(PaperJson::new(stored, entry.as_ref())).into_response())
}

/// A JSON body when the request has one, else the defaults.
async fn optional_body<T: DeserializeOwned + Default>(request: Request) -> Result<T, AppError> {
    if request.headers().contains_key(header::CONTENT_TYPE) {
        Ok(Body::from_request(request, &()).await?.0)
    } else {
        Ok(T::default())
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CommentBody {
    body: Option<String>,
    reason: Option<String>,
}

/// `PATCH /api/comments/{id}`: edits one of the caller's comments.
pub async fn edit_comment(
    State(app): State<App>,
    PathParam(comment): PathParam<i64>,
    ApiUser(user): ApiUser,
    Body(body): Body<CommentBody>,
) -> Result<Json<CommentJson>, AppError> {
    let text = body.body.unwrap_or_default();
    let paper = app.core.community().change_comment(&user, comment, Some(&text)).await?;
    comment_json(&app, &paper, comment).await
}

/// `DELETE /api/comments/{id}`: deletes one of the caller's comments.
pub async fn delete_comment(
    State(app): State<App>,
    PathParam(comment): PathParam<i64>,
    ApiUser(user): ApiUser,
) -> Result<StatusCode, AppError> {
    app.core.community().change_comment(&user, comment, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/comments/{id}/hide`: a curator hides a comment.
pub async fn hide_comment(
    State(app): State<App>,
    PathParam(comment): PathParam<i64>,
    ApiUser(user): ApiUser,
    request: Request,
) -> Result<StatusCode, AppError> {
    let body: CommentBody = optional_body(request).await?;
    app.core.community().hide_comment(&user, comment, body.reason.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn comment_json(app: &App, paper: &str, comment: i64) -> Result<Json<CommentJson>, AppError> {
    let id: ArxivId =
        paper.parse().map_err(|_| AppError::Internal("a comment's paper id is malformed".into()))?;
    app.core
        .db
        .comments(&id)
        .await?
        .iter()
        .find(|c| c.id == comment)
        .map(|c| Json(CommentJson::new(c)))
        .ok_or_else(|| AppError::NotFound("there is no such comment".into()))
}

/// `GET /api/whoami-v2`: the caller, as Hugging Face's `whoami` reads it.
pub async fn show_whoami(ApiUser(user): ApiUser) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "type": "user",
        "id": object_id(&[user.name.as_bytes()]),
        "name": user.name,
        "fullname": user.name,
        "email": user.email,
        "emailVerified": user.confirmed,
        "role": user.role.as_str(),
        "isPro": false,
        "orgs": [],
    }))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenJson {
    id: i64,
    name: String,
    prefix: String,
    created_at: String,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
}

/// `GET /api/tokens`: the caller's tokens (never their secrets).
pub async fn list_tokens(
    State(app): State<App>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<TokenJson>>, AppError> {
    let tokens = app.core.db.api_tokens(user.id).await?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|t| TokenJson {
                id: t.id,
                name: t.name,
                prefix: t.prefix,
                created_at: iso_millis(t.created_at),
                last_used_at: t.last_used_at.map(iso_millis),
                revoked_at: t.revoked_at.map(iso_millis),
            })
            .collect(),
    ))
}

/// `DELETE /api/tokens/{id}`: revokes one of the caller's tokens (the one in use too).
pub async fn revoke_token(
    State(app): State<App>,
    PathParam(token): PathParam<i64>,
    ApiUser(user): ApiUser,
) -> Result<StatusCode, AppError> {
    if app.core.db.revoke_api_token(user.id, token).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound("you have no such token, or it was revoked already".into()))
    }
}

#[derive(Debug, Deserialize)]
pub struct RoleBody {
    role: Option<String>,
}

/// `POST /api/users/{name}/role`: an admin grants a role.
pub async fn grant_role(
    State(app): State<App>,
    PathParam(name): PathParam<String>,
    ApiUser(user): ApiUser,
    Body(body): Body<RoleBody>,
) -> Result<Json<serde_json::Value>, AppError> {
    let role: Role = body.role.unwrap_or_default().parse().map_err(AppError::BadRequest)?;
    let granted = app.core.community().grant(&user, &name, role).await?;
    Ok(Json(serde_json::json!({ "name": granted.name, "role": granted.role.as_str() })))
}

/// `GET /api/moderation/log`: the latest moderation actions, for curators.
pub async fn show_audit_log(State(app): State<App>, ApiUser(user): ApiUser) -> Result<Response, AppError> {
    if !user.role.moderates() {
        return Err(AppError::Forbidden("only curators may read the moderation log".into()));
    }
    let entries = app.core.db.audit_log(200).await?;
    let json: Vec<serde_json::Value> = entries
        .into_iter()
        .map(|e| {
            serde_json::json!({
                "at": iso_millis(e.at), "actor": e.actor, "action": e.action, "target": e.target, "detail": e.detail,
            })
        })
        .collect();
    Ok(Json(json).into_response())
}
