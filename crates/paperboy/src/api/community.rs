//! The API's writes, for scripts with a personal token (`Authorization: Bearer pb_...`):
//! submitting (Hugging Face's `POST /api/papers/submit`), votes, comments, links, moderation,
//! and the caller's own account and tokens. Every rule lives in
//! [`crate::actions::community`], shared with the site's forms.

use aide::transform::TransformOperation;
use axum::Json;
use axum::extract::State;
use axum::response::NoContent;
use paperboy_arxiv::ArxivId;
use paperboy_arxiv::paper::MAX_LINK_CHARS;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::auth::ApiUser;
use super::contract::{
    DATE, GITHUB_REPO, LINK, NO_CONTROL_BUT_NEWLINE, NOT_BLANK, PAPER_ID_OR_URL, USER_NAME, checked, integer,
};
use super::json::{CommentJson, Created, DailyItemJson, PaperJson, iso_millis, object_id};
use super::papers::{PaperPath, any_paper};
use crate::actions::community::MAX_REASON_CHARS;
use crate::domain::accounts::Role;
use crate::domain::markdown::MAX_COMMENT_CHARS;
use crate::error::AppError;
use crate::http::App;
use crate::http::error::errors;
use crate::http::extract::{Body, OptionalBody, PathParam};

/// Hugging Face's submit body. Its `media_urls` is accepted and ignored, as any unknown field
/// is: Paperboy shows no media.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SubmitBody {
    /// The paper: its arXiv id, or the address of its page on arxiv.org.
    #[schemars(required, pattern(PAPER_ID_OR_URL))]
    paper_id: Option<String>,
    /// A first comment, in Markdown; empty or absent for none.
    #[schemars(length(max = MAX_COMMENT_CHARS))]
    comment: Option<String>,
}

/// `POST /api/papers/submit`: puts a paper on today's feed (or claims it where a rule put it),
/// looking it up on arXiv when the catalog lacks it.
pub async fn submit_paper(
    State(app): State<App>,
    ApiUser(user): ApiUser,
    Body(body): Body<SubmitBody>,
) -> Result<Json<DailyItemJson>, AppError> {
    let Some(paper_id) = body.paper_id else {
        return Err(AppError::BadRequest("paper_id is required: the arXiv id of the paper to submit".into()));
    };
    // A malformed id is a 400; one of the right shape that arXiv never issued, a 404.
    let text = checked(PAPER_ID_OR_URL, &paper_id, "an arXiv id or an arxiv.org address")?;
    let (id, _) = ArxivId::from_url_or_id(text)
        .map_err(|err| AppError::NotFound(format!("arXiv has no paper {}: {err}", text.trim())))?;
    let (id, _) = app.core.community().submit(&user, id.as_str(), body.comment.as_deref()).await?;
    let (stored, entry) = app
        .core
        .db
        .paper_with_entry(&id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("paper {id} not found")))?;
    Ok(Json(DailyItemJson::new(&app.core.config.base_url, stored, entry.as_ref())))
}

pub fn submit_paper_docs(op: TransformOperation) -> TransformOperation {
    op.id("submitPaper")
        .summary("Submit a paper to today's feed")
        .description(
            "Puts a paper first published within the submission window on today's feed, or stands beside \
             the feature rule that put it on a feed already; a paper the catalog lacks is looked up on arXiv.",
        )
        .with(|op| {
            errors(
                op,
                &[
                    (403, "The curators hid the paper: it takes no submissions."),
                    (404, "arXiv has no such paper, or this site does not look papers up and lacks it."),
                    (409, "Someone submitted it already, or it was published too long ago."),
                    (429, "The caller's submissions of the day, or their quota, are used up."),
                    (503, "arXiv did not answer; try again in a minute."),
                ],
            )
        })
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Vote")]
pub struct VoteJson {
    /// The paper's upvotes now.
    upvotes: i64,
    /// Whether the caller's vote is on it.
    voted: bool,
}

/// What a paper action can be refused for, beside a missing token and a malformed id.
const PAPER_REFUSALS: &[(u16, &str)] = &[
    (403, "The curators hid the paper: it takes no votes or comments."),
    (404, "The catalog has no such paper."),
    (429, "The caller's quota for this action is used up."),
];

/// `POST /api/papers/{id}/vote`: upvotes the paper.
pub async fn upvote(
    State(app): State<App>,
    PathParam(path): PathParam<PaperPath>,
    ApiUser(user): ApiUser,
) -> Result<Json<VoteJson>, AppError> {
    let count = app.core.community().vote(&user, &path.paper()?, true).await?;
    Ok(Json(VoteJson { upvotes: count.upvotes, voted: count.voted }))
}

pub fn upvote_docs(op: TransformOperation) -> TransformOperation {
    op.id("upvotePaper").summary("Upvote a paper").with(|op| errors(op, PAPER_REFUSALS))
}

/// `DELETE /api/papers/{id}/vote`: takes the caller's vote back.
pub async fn take_vote_back(
    State(app): State<App>,
    PathParam(path): PathParam<PaperPath>,
    ApiUser(user): ApiUser,
) -> Result<Json<VoteJson>, AppError> {
    let count = app.core.community().vote(&user, &path.paper()?, false).await?;
    Ok(Json(VoteJson { upvotes: count.upvotes, voted: count.voted }))
}

pub fn take_vote_back_docs(op: TransformOperation) -> TransformOperation {
    op.id("unvotePaper").summary("Take an upvote back").with(|op| errors(op, PAPER_REFUSALS))
}

/// `GET /api/papers/{id}/comments`: the thread, oldest first.
pub async fn list_comments(
    State(app): State<App>,
    PathParam(path): PathParam<PaperPath>,
) -> Result<Json<Vec<CommentJson>>, AppError> {
    let id = path.paper()?;
    if app.core.db.get_paper(&id).await?.is_none_or(|p| p.hidden_at.is_some()) {
        return Err(AppError::NotFound(format!("paper {id} not found")));
    }
    Ok(Json(app.core.db.comments(&id).await?.iter().map(CommentJson::new).collect()))
}

pub fn list_comments_docs(op: TransformOperation) -> TransformOperation {
    op.id("listComments")
        .summary("A paper's comments")
        .description("Every comment on the paper, oldest first; deleted and hidden ones without their text.")
        .with(|op| errors(op, &[(404, "The catalog has no such paper, or the curators hid it.")]))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewCommentBody {
    /// The comment, in Markdown.
    #[schemars(required, length(max = MAX_COMMENT_CHARS), pattern(NOT_BLANK))]
    body: Option<String>,
    /// The comment this one replies to, on the same paper.
    #[serde(default, alias = "parent_id", deserialize_with = "integer")]
    #[schemars(with = "Option<i64>")]
    parent_id: Option<i64>,
}

/// `POST /api/papers/{id}/comments`: comments on the paper, or replies to one of its comments.
pub async fn create_comment(
    State(app): State<App>,
    PathParam(path): PathParam<PaperPath>,
    ApiUser(user): ApiUser,
    Body(body): Body<NewCommentBody>,
) -> Result<Created<CommentJson>, AppError> {
    let id = path.paper()?;
    let text = body.body.unwrap_or_default();
    let comment = app.core.community().comment(&user, &id, body.parent_id, &text).await?;
    comment_json(&app, &id, comment).await.map(|Json(json)| Created(json))
}

pub fn create_comment_docs(op: TransformOperation) -> TransformOperation {
    op.id("addComment").summary("Comment on a paper").with(|op| {
        errors(
            op,
            &[
                (403, "The curators hid the paper: it takes no comments."),
                (404, "The catalog has no such paper, or the comment replied to is not on it."),
                (429, "The caller's quota of comments is used up."),
            ],
        )
    })
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinksBody {
    /// The paper's repository on GitHub, `https://github.com/owner/repo`; empty to remove it.
    #[schemars(length(max = MAX_LINK_CHARS), pattern(GITHUB_REPO))]
    github_repo: Option<String>,
    /// The paper's project page; empty to remove it.
    #[schemars(length(max = MAX_LINK_CHARS), pattern(LINK))]
    project_page: Option<String>,
}

/// `POST /api/papers/{id}/links`: sets the paper's repository and project page.
pub async fn set_links(
    State(app): State<App>,
    PathParam(path): PathParam<PaperPath>,
    ApiUser(user): ApiUser,
    Body(body): Body<LinksBody>,
) -> Result<Json<PaperJson>, AppError> {
    let id = path.paper()?;
    if let Some(repo) = &body.github_repo {
        checked(GITHUB_REPO, repo, "a GitHub repository's address, as in https://github.com/owner/repo")?;
    }
    if let Some(page) = &body.project_page {
        checked(LINK, page, "an absolute http(s) address without spaces, quotes or angle brackets")?;
    }
    let community = app.core.community();
    community.set_links(&user, &id, body.github_repo.as_deref(), body.project_page.as_deref()).await?;
    any_paper(&app, &id).await
}

pub fn set_links_docs(op: TransformOperation) -> TransformOperation {
    op.id("setPaperLinks")
        .summary("Set a paper's links")
        .description("For the paper's submitter and curators.")
        .with(|op| {
            errors(
                op,
                &[
                    (403, "Only the paper's submitter or a curator may edit its links."),
                    (404, "The catalog has no such paper."),
                ],
            )
        })
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ReasonBody {
    /// Why, for the moderation log.
    #[schemars(length(max = MAX_REASON_CHARS), pattern(NO_CONTROL_BUT_NEWLINE))]
    reason: Option<String>,
}

/// What hiding or showing can be refused for.
const MODERATION_REFUSALS: &[(u16, &str)] = &[
    (403, "Only curators may do this."),
    (404, "There is no such paper or comment."),
    (409, "It is hidden already, or not hidden."),
];

/// `POST /api/papers/{id}/hide`: a curator hides the paper.
pub async fn hide_paper(
    State(app): State<App>,
    PathParam(path): PathParam<PaperPath>,
    ApiUser(user): ApiUser,
    OptionalBody(body): OptionalBody<ReasonBody>,
) -> Result<NoContent, AppError> {
    app.core.community().hide_paper(&user, &path.paper()?, true, body.reason.as_deref()).await?;
    Ok(NoContent)
}

pub fn hide_paper_docs(op: TransformOperation) -> TransformOperation {
    op.id("hidePaper").summary("Hide a paper (curators)").with(|op| errors(op, MODERATION_REFUSALS))
}

/// `DELETE /api/papers/{id}/hide`: a curator shows the paper again.
pub async fn show_hidden_paper(
    State(app): State<App>,
    PathParam(path): PathParam<PaperPath>,
    ApiUser(user): ApiUser,
    OptionalBody(body): OptionalBody<ReasonBody>,
) -> Result<NoContent, AppError> {
    app.core.community().hide_paper(&user, &path.paper()?, false, body.reason.as_deref()).await?;
    Ok(NoContent)
}

pub fn show_hidden_paper_docs(op: TransformOperation) -> TransformOperation {
    op.id("showPaper")
        .summary("Show a hidden paper again (curators)")
        .with(|op| errors(op, MODERATION_REFUSALS))
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct FeatureBody {
    /// The day whose feed the paper joins; today (UTC) when absent.
    #[schemars(with = "Option<String>", extend("format" = "date"), pattern(DATE))]
    date: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Featured")]
pub struct FeaturedJson {
    /// What featuring did: `Added`, `Moved { from: DAY }` or `AlreadyThere`.
    featured: String,
}

/// `POST /api/papers/{id}/feature`: a curator puts the paper on a day's feed.
pub async fn feature_paper(
    State(app): State<App>,
    PathParam(path): PathParam<PaperPath>,
    ApiUser(user): ApiUser,
    OptionalBody(body): OptionalBody<FeatureBody>,
) -> Result<Json<FeaturedJson>, AppError> {
    let id = path.paper()?;
    let date = match body.date.as_deref() {
        Some(text) => Some(
            checked(DATE, text, "a date: use YYYY-MM-DD")?
                .parse()
                .map_err(|_| AppError::BadRequest(format!("`{text}` is not a date: use YYYY-MM-DD")))?,
        ),
        None => None,
    };
    let featured = app.core.community().feature(&user, &id, date).await?;
    Ok(Json(FeaturedJson { featured: format!("{featured:?}") }))
}

pub fn feature_paper_docs(op: TransformOperation) -> TransformOperation {
    op.id("featurePaper").summary("Put a paper on a day's feed (curators)").with(|op| {
        errors(op, &[(403, "Only curators may feature papers."), (404, "The catalog has no such paper.")])
    })
}

/// A comment named in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CommentPath {
    /// The comment's number.
    id: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct EditedCommentBody {
    /// The new text, in Markdown.
    #[schemars(required, length(max = MAX_COMMENT_CHARS), pattern(NOT_BLANK))]
    body: Option<String>,
}

/// What a change to a comment can be refused for.
const COMMENT_REFUSALS: &[(u16, &str)] = &[
    (403, "Only its author may change a comment."),
    (404, "There is no such comment."),
    (409, "The comment was deleted or hidden, and cannot change any more."),
    (429, "The caller's quota of comments is used up."),
];

/// `PATCH /api/comments/{id}`: edits one of the caller's comments.
pub async fn edit_comment(
    State(app): State<App>,
    PathParam(path): PathParam<CommentPath>,
    ApiUser(user): ApiUser,
    Body(body): Body<EditedCommentBody>,
) -> Result<Json<CommentJson>, AppError> {
    let text = body.body.unwrap_or_default();
    let paper = app.core.community().change_comment(&user, path.id, Some(&text)).await?;
    comment_json(&app, &paper, path.id).await
}

pub fn edit_comment_docs(op: TransformOperation) -> TransformOperation {
    op.id("editComment").summary("Edit one of your comments").with(|op| errors(op, COMMENT_REFUSALS))
}

/// `DELETE /api/comments/{id}`: deletes one of the caller's comments.
pub async fn delete_comment(
    State(app): State<App>,
    PathParam(path): PathParam<CommentPath>,
    ApiUser(user): ApiUser,
) -> Result<NoContent, AppError> {
    app.core.community().change_comment(&user, path.id, None).await?;
    Ok(NoContent)
}

pub fn delete_comment_docs(op: TransformOperation) -> TransformOperation {
    op.id("deleteComment").summary("Delete one of your comments").with(|op| errors(op, COMMENT_REFUSALS))
}

/// `POST /api/comments/{id}/hide`: a curator hides a comment.
pub async fn hide_comment(
    State(app): State<App>,
    PathParam(path): PathParam<CommentPath>,
    ApiUser(user): ApiUser,
    OptionalBody(body): OptionalBody<ReasonBody>,
) -> Result<NoContent, AppError> {
    app.core.community().hide_comment(&user, path.id, body.reason.as_deref()).await?;
    Ok(NoContent)
}

pub fn hide_comment_docs(op: TransformOperation) -> TransformOperation {
    op.id("hideComment").summary("Hide a comment (curators)").with(|op| errors(op, MODERATION_REFUSALS))
}

async fn comment_json(app: &App, paper: &ArxivId, comment: i64) -> Result<Json<CommentJson>, AppError> {
    app.core
        .db
        .comments(paper)
        .await?
        .iter()
        .find(|c| c.id == comment)
        .map(|c| Json(CommentJson::new(c)))
        .ok_or_else(|| AppError::NotFound("there is no such comment".into()))
}

/// The caller, as Hugging Face's `whoami` reads it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "WhoAmI")]
pub struct WhoAmIJson {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    name: String,
    fullname: String,
    email: String,
    email_verified: bool,
    /// `user`, `curator` or `admin`.
    role: &'static str,
    is_pro: bool,
    orgs: Vec<String>,
}

/// `GET /api/whoami-v2`: the caller, as Hugging Face's `whoami` reads it.
pub async fn show_whoami(ApiUser(user): ApiUser) -> Json<WhoAmIJson> {
    Json(WhoAmIJson {
        kind: "user",
        id: object_id(&[user.name.as_bytes()]),
        fullname: user.name.clone(),
        name: user.name,
        email: user.email,
        email_verified: user.confirmed,
        role: user.role.as_str(),
        is_pro: false,
        orgs: Vec::new(),
    })
}

pub fn show_whoami_docs(op: TransformOperation) -> TransformOperation {
    op.id("whoami").summary("The token's account")
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Token")]
pub struct TokenJson {
    id: i64,
    name: String,
    /// The first characters of the token, to tell it apart.
    prefix: String,
    #[schemars(extend("format" = "date-time"))]
    created_at: String,
    #[schemars(extend("format" = "date-time"))]
    last_used_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
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

pub fn list_tokens_docs(op: TransformOperation) -> TransformOperation {
    op.id("listTokens").summary("Your API tokens").description("The caller's tokens, never their secrets.")
}

/// A token named in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct TokenPath {
    /// The token's number, from `GET /api/tokens`.
    id: i64,
}

/// `DELETE /api/tokens/{id}`: revokes one of the caller's tokens (the one in use too).
pub async fn revoke_token(
    State(app): State<App>,
    PathParam(path): PathParam<TokenPath>,
    ApiUser(user): ApiUser,
) -> Result<NoContent, AppError> {
    if app.core.db.revoke_api_token(user.id, path.id).await? {
        Ok(NoContent)
    } else {
        Err(AppError::NotFound("you have no such token, or it was revoked already".into()))
    }
}

pub fn revoke_token_docs(op: TransformOperation) -> TransformOperation {
    op.id("revokeToken")
        .summary("Revoke one of your API tokens")
        .with(|op| errors(op, &[(404, "The caller has no such token, or it was revoked already.")]))
}

/// An account named in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct UserPath {
    /// The account's user name.
    #[schemars(pattern(USER_NAME))]
    name: String,
}

/// A role to grant.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    User,
    /// Features and hides papers, edits their links, hides comments.
    Curator,
    /// A curator who may also grant roles.
    Admin,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RoleBody {
    role: RoleName,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "RoleGranted")]
pub struct RoleJson {
    name: String,
    role: &'static str,
}

/// `POST /api/users/{name}/role`: an admin grants a role.
pub async fn grant_role(
    State(app): State<App>,
    PathParam(path): PathParam<UserPath>,
    ApiUser(user): ApiUser,
    Body(body): Body<RoleBody>,
) -> Result<Json<RoleJson>, AppError> {
    let role = match body.role {
        RoleName::User => Role::User,
        RoleName::Curator => Role::Curator,
        RoleName::Admin => Role::Admin,
    };
    let name = checked(USER_NAME, &path.name, "a user name (2 to 32 letters, digits, `-` or `_`)")?;
    let granted = app.core.community().grant(&user, name, role).await?;
    Ok(Json(RoleJson { name: granted.name, role: granted.role.as_str() }))
}

pub fn grant_role_docs(op: TransformOperation) -> TransformOperation {
    op.id("grantRole").summary("Grant a role (admins)").with(|op| {
        errors(
            op,
            &[
                (403, "Only admins may grant roles."),
                (404, "There is no such user."),
                (409, "An admin's own role changes only by another admin."),
            ],
        )
    })
}

/// One moderation action.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "AuditEntry")]
pub struct AuditJson {
    #[schemars(extend("format" = "date-time"))]
    at: String,
    /// Who did it: a user name, or `cli` for the command line.
    actor: String,
    action: String,
    target: String,
    detail: String,
}

/// Moderation actions the log answers with.
const LOG_ENTRIES: u64 = 200;

/// `GET /api/moderation/log`: the latest moderation actions, for curators.
pub async fn show_audit_log(
    State(app): State<App>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<AuditJson>>, AppError> {
    if !user.role.moderates() {
        return Err(AppError::Forbidden("only curators may read the moderation log".into()));
    }
    let entries = app.core.db.audit_log(LOG_ENTRIES).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AuditJson {
                at: iso_millis(e.at),
                actor: e.actor,
                action: e.action,
                target: e.target,
                detail: e.detail,
            })
            .collect(),
    ))
}

pub fn show_audit_log_docs(op: TransformOperation) -> TransformOperation {
    op.id("auditLog")
        .summary("The moderation log (curators)")
        .with(|op| errors(op, &[(403, "Only curators may read the moderation log.")]))
}
