//! Members through the API: `GET /api/users/{name}/overview` in Hugging Face's shape (what
//! `HfApi.get_user_overview` reads), and a member's papers (those they are the verified author
//! of), submissions and collections, each a page with the next one in `Link`. Only confirmed
//! accounts are members here; any other name is a 404.

use aide::transform::TransformOperation;
use axum::Json;
use axum::extract::{OriginalUri, RawQuery, State};
use axum::http::HeaderMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::auth::MaybeApiUser;
use super::cached::Cached;
use super::collections::{CollectionJson, listing};
use super::contract::{USER_NAME, checked};
use super::json::{DailyItemJson, PaperJson, iso_millis};
use super::paging::{MAX_PAGE, Paged, next_link, parse_limit, parse_page};
use crate::db::collections::CollectionFilter;
use crate::db::feed::{FeedOrder, FeedQuery};
use crate::db::users::User;
use crate::domain::accounts::Role;
use crate::error::AppError;
use crate::http::App;
use crate::http::error::errors;
use crate::http::extract::{Params, PathParam, no_null};

/// Items a page holds unless `limit` says otherwise, and the most.
const LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 100;

/// A member named in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct MemberPath {
    /// The member's user name.
    #[schemars(pattern(USER_NAME))]
    name: String,
}

impl MemberPath {
    /// The confirmed account of that name: 400 for what is not a user name, 404 for no member.
    async fn member(&self, app: &App) -> Result<User, AppError> {
        let name = checked(USER_NAME, &self.name, "a user name (2 to 32 letters, digits, `-` or `_`)")?;
        app.core
            .db
            .user_by_name(name)
            .await?
            .filter(|user| user.confirmed)
            .ok_or_else(|| AppError::NotFound(format!("there is no member called {name}")))
    }
}

/// A page of a member's things.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(transform = no_null)]
pub struct PageParams {
    /// How many, from 1 to 100 (50 when absent).
    #[schemars(with = "Option<u64>", range(min = 1, max = MAX_LIMIT))]
    limit: Option<String>,
    /// The 0-based page.
    #[schemars(with = "Option<u64>", range(max = MAX_PAGE))]
    p: Option<String>,
}

impl PageParams {
    /// The page and its size.
    fn checked(&self) -> Result<(u64, u64), AppError> {
        Ok((parse_page(self.p.as_deref())?, parse_limit(self.limit.as_deref(), LIMIT, MAX_LIMIT)?))
    }
}

/// A member, as Hugging Face's user overview shapes one; the counts of what Paperboy does not
/// have (models, followers...) are 0.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "UserOverview")]
pub struct OverviewJson {
    #[serde(rename = "_id")]
    id: String,
    user: String,
    fullname: String,
    avatar_url: String,
    /// Their bio; absent when they set none.
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<String>,
    #[serde(rename = "type")]
    kind: &'static str,
    is_pro: bool,
    is_following: bool,
    /// Papers they are the verified author of.
    num_papers: i64,
    /// Upvotes those papers have.
    num_upvotes: i64,
    /// Upvotes they gave.
    num_likes: i64,
    /// Their comments.
    num_discussions: i64,
    num_models: i64,
    num_datasets: i64,
    num_spaces: i64,
    num_following: i64,
    num_followers: i64,
    orgs: Vec<serde_json::Value>,
    #[schemars(extend("format" = "date-time"))]
    created_at: String,
    /// Paperboy's additions: the links they set, papers they submitted to the daily feed, their
    /// public collections, and whether they are a curator.
    links: Vec<String>,
    num_submissions: i64,
    num_collections: i64,
    is_curator: bool,
}

/// `GET /api/users/{name}/overview`.
pub async fn show_overview(
    State(app): State<App>,
    uri: OriginalUri,
    headers: HeaderMap,
    PathParam(path): PathParam<MemberPath>,
) -> Cached<Json<OverviewJson>> {
    Cached::answer(&app, &uri, &headers, overview(&app, path)).await
}

/// A member's overview.
async fn overview(app: &App, path: MemberPath) -> Result<Json<OverviewJson>, AppError> {
    let member = path.member(app).await?;
    let profile = app.core.db.profile(member.id).await?;
    let totals = app.core.db.member_totals(member.id).await?;
    let base = &app.core.config.base_url;
    Ok(Json(OverviewJson {
        id: super::json::object_id(&[member.name.as_bytes()]),
        fullname: member.name.clone(),
        avatar_url: format!("{base}/static/icon.svg"),
        details: (!profile.bio.is_empty()).then_some(profile.bio),
        kind: "user",
        is_pro: false,
        is_following: false,
        num_papers: totals.papers,
        num_upvotes: totals.upvotes_received,
        num_likes: totals.votes,
        num_discussions: totals.comments,
        num_models: 0,
        num_datasets: 0,
        num_spaces: 0,
        num_following: 0,
        num_followers: 0,
        orgs: Vec::new(),
        created_at: iso_millis(member.created_at),
        links: profile.links,
        num_submissions: totals.submissions,
        num_collections: totals.public_collections,
        is_curator: member.role >= Role::Curator,
        user: member.name,
    }))
}

pub fn show_overview_docs(op: TransformOperation) -> TransformOperation {
    op.id("getUserOverview")
        .summary("A member's overview")
        .description("A member in the shape of Hugging Face's user overview, with their bio and counts.")
        .with(|op| errors(op, &[(404, "There is no member of that name.")]))
}

/// `GET /api/users/{name}/papers`: the papers the member is the verified author of, newest
/// announced first.
pub async fn list_papers(
    State(app): State<App>,
    uri: OriginalUri,
    headers: HeaderMap,
    PathParam(path): PathParam<MemberPath>,
    RawQuery(raw): RawQuery,
    Params(params): Params<PageParams>,
) -> Cached<Paged<PaperJson>> {
    Cached::answer(&app, &uri, &headers, papers(&app, path, raw, params)).await
}

/// A page of the papers a member wrote.
async fn papers(
    app: &App,
    path: MemberPath,
    raw: Option<String>,
    params: PageParams,
) -> Result<Paged<PaperJson>, AppError> {
    let member = path.member(app).await?;
    let (page, limit) = params.checked()?;
    let mut ids = app.core.db.claimed_paper_ids(member.id, page * limit, limit + 1).await?;
    let more = ids.len() as u64 > limit;
    ids.truncate(limit as usize);
    let papers = app.core.db.get_papers_with_entries(&ids).await?;
    let items = papers.into_iter().map(|(stored, entry)| PaperJson::new(stored, entry.as_ref())).collect();
    let url = format!("/api/users/{}/papers", member.name);
    Ok(Paged { items, next: next_page(app, more, &url, raw.as_deref(), page) })
}

pub fn list_papers_docs(op: TransformOperation) -> TransformOperation {
    op.id("listUserPapers")
        .summary("A member's papers")
        .description("The papers a member is the verified author of, newest announced first.")
        .with(|op| errors(op, &[(404, "There is no member of that name.")]))
}

/// `GET /api/users/{name}/submissions`: the papers the member submitted to the daily feed,
/// newest first.
pub async fn list_submissions(
    State(app): State<App>,
    uri: OriginalUri,
    headers: HeaderMap,
    PathParam(path): PathParam<MemberPath>,
    RawQuery(raw): RawQuery,
    Params(params): Params<PageParams>,
) -> Cached<Paged<DailyItemJson>> {
    Cached::answer(&app, &uri, &headers, submissions(&app, path, raw, params)).await
}

/// A page of the papers a member submitted to the feed.
async fn submissions(
    app: &App,
    path: MemberPath,
    raw: Option<String>,
    params: PageParams,
) -> Result<Paged<DailyItemJson>, AppError> {
    let member = path.member(app).await?;
    let (page, limit) = params.checked()?;
    let query = FeedQuery {
        submitter: Some(member.name.clone()),
        ..FeedQuery::all(FeedOrder::Newest, page * limit, limit + 1)
    };
    let mut entries = app.core.db.feed(&query).await?;
    let more = entries.len() as u64 > limit;
    entries.truncate(limit as usize);
    let items =
        entries.into_iter().map(|item| DailyItemJson::of_entry(&app.core.config.base_url, item)).collect();
    let url = format!("/api/users/{}/submissions", member.name);
    Ok(Paged { items, next: next_page(app, more, &url, raw.as_deref(), page) })
}

pub fn list_submissions_docs(op: TransformOperation) -> TransformOperation {
    op.id("listUserSubmissions")
        .summary("A member's submissions")
        .description("The papers a member submitted to the daily feed, newest first, as daily items.")
        .with(|op| errors(op, &[(404, "There is no member of that name.")]))
}

/// `GET /api/users/{name}/collections`: the member's public collections, and with the member's
/// own token their private ones too, most recently changed first.
pub async fn list_collections(
    State(app): State<App>,
    PathParam(path): PathParam<MemberPath>,
    MaybeApiUser(viewer): MaybeApiUser,
    RawQuery(raw): RawQuery,
    Params(params): Params<PageParams>,
) -> Result<Paged<CollectionJson>, AppError> {
    let member = path.member(&app).await?;
    let (page, limit) = params.checked()?;
    let filter = CollectionFilter {
        viewer: viewer.map(|v| v.id),
        owner: Some(&member.name),
        paper: None,
        offset: (page * limit) as i64,
        limit: limit as i64 + 1,
    };
    let url = format!("/api/users/{}/collections", member.name);
    listing(&app, filter, page, &url, raw.as_deref()).await
}

pub fn list_collections_docs(op: TransformOperation) -> TransformOperation {
    op.id("listUserCollections")
        .summary("A member's collections")
        .description(
            "A member's public collections (and, with their own token, their private ones), most recently \
             changed first, each with its first 4 papers.",
        )
        .with(|op| errors(op, &[(404, "There is no member of that name.")]))
}

/// The `Link` to page `page + 1` when `more` follow.
fn next_page(app: &App, more: bool, path: &str, raw_query: Option<&str>, page: u64) -> Option<String> {
    more.then(|| next_link(&app.core.config.base_url, path, raw_query, "p", &(page + 1).to_string()))
}
