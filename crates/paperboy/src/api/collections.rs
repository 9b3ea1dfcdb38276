//! Collections in Hugging Face's shapes, so that `huggingface_hub`'s `create_collection`,
//! `get_collection`, `list_collections`, `update_collection_metadata`, `delete_collection`,
//! `add_collection_item(item_type="paper")`, `update_collection_item` and
//! `delete_collection_item` work unchanged: `/api/collections` and
//! `/api/collections/{owner}/{slug}[/items[/{item}]]`. Collections hold papers only. A private
//! collection is a 404 to everyone but its owner. The rules are in
//! [`crate::actions::collections`].

use aide::transform::TransformOperation;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::NoContent;
use paperboy_search::escape_html;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::auth::{ApiUser, MaybeApiUser};
use super::contract::{
    COLLECTION_ADDRESS, COLLECTION_TITLE, NO_CONTROL_BUT_NEWLINE, PAPER_ID, PAPER_ITEM, USER_NAME, checked,
    integer, matches, names, variant,
};
use super::json::{UserJson, iso_millis};
use super::paging::{Paged, next_link, parse_limit, parse_page};
use crate::actions::collections::{CollectionEdit, parse_address};
use crate::db::collections::{Collection, CollectionFilter, Item, ItemOrder};
use crate::db::users::User;
use crate::domain::Refusal;
use crate::domain::collections::{
    CollectionKey, MAX_DESCRIPTION_CHARS, MAX_ITEMS, MAX_NOTE_CHARS, MAX_TITLE_CHARS,
};
use crate::error::AppError;
use crate::http::App;
use crate::http::error::errors;
use crate::http::extract::{Body, Params, PathParam, no_null};

/// Items a listing shows of each collection, as Hugging Face's does.
const LISTED_ITEMS: i64 = 4;
/// Collections `GET /api/collections` returns unless `limit` says otherwise, and the most.
const LIST_LIMIT: u64 = 20;
const MAX_LIST_LIMIT: u64 = 100;

/// A collection, as Hugging Face shapes it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Collection")]
pub struct CollectionJson {
    /// `owner/title-slug-key`: what the other collection endpoints take after `/api/collections/`.
    slug: String,
    title: String,
    description: String,
    owner: UserJson,
    /// Its papers in the owner's order; a listing shows the first 4.
    items: Vec<CollectionItemJson>,
    #[schemars(extend("format" = "date-time"))]
    last_updated: String,
    /// Its place among the owner's collections, 0 first; a listing leaves it out, as Hugging
    /// Face's does (its client numbers a listing itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<i64>,
    private: bool,
    theme: String,
    /// Collections take no votes here: always 0.
    upvotes: u64,
    is_upvoted_by_user: bool,
    gating: bool,
    /// Paperboy's addition: how many papers it holds.
    num_items: i64,
    /// Paperboy's addition: whether it is its owner's reading list, which "Save" fills.
    reading_list: bool,
}

/// A paper in a collection, as Hugging Face shapes it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "CollectionItem")]
pub struct CollectionItemJson {
    /// The item's own id, which `PATCH` and `DELETE .../items/{item}` take.
    #[serde(rename = "_id")]
    item_id: String,
    /// The paper's arXiv id.
    id: String,
    /// Always `paper`.
    #[serde(rename = "type")]
    kind: &'static str,
    position: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<NoteJson>,
    title: String,
    #[schemars(extend("format" = "date-time"))]
    published_at: Option<String>,
    upvotes: i64,
    num_comments: i64,
    #[schemars(extend("format" = "date-time"))]
    added_at: String,
}

/// The owner's note on an item: as written, and as HTML.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "CollectionNote")]
pub struct NoteJson {
    text: String,
    html: String,
}

impl CollectionJson {
    fn new(collection: Collection, items: Vec<Item>) -> CollectionJson {
        CollectionJson {
            slug: collection.full_slug(),
            owner: UserJson::named(&collection.owner),
            items: items.into_iter().map(CollectionItemJson::new).collect(),
            last_updated: iso_millis(collection.updated_at),
            position: Some(collection.position),
            private: collection.private,
            upvotes: 0,
            is_upvoted_by_user: false,
            gating: false,
            num_items: collection.items,
            reading_list: collection.reading_list,
            title: collection.title,
            description: collection.description,
            theme: collection.theme,
        }
    }
}

impl CollectionItemJson {
    fn new(item: Item) -> CollectionItemJson {
        let paper = item.paper.paper;
        let published = paper
            .published_at
            .or_else(|| paper.announce_date.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc()));
        CollectionItemJson {
            item_id: item.id.to_string(),
            id: paper.id.to_string(),
            kind: "paper",
            position: item.position,
            note: (!item.note.is_empty())
                .then(|| NoteJson { html: escape_html(&item.note).replace('\n', "<br>"), text: item.note }),
            title: paper.title,
            published_at: published.map(iso_millis),
            upvotes: item.paper.upvotes,
            num_comments: item.paper.num_comments,
            added_at: iso_millis(item.added_at),
        }
    }
}

/// A collection named in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CollectionPath {
    /// The owner's name.
    #[schemars(pattern(USER_NAME))]
    owner: String,
    /// The rest of its slug: `title-slug-key`, or the key (24 hex digits) alone.
    #[schemars(pattern(COLLECTION_ADDRESS))]
    slug: String,
}

impl CollectionPath {
    /// The owner's name and the collection's key. A path shaped like neither names no
    /// collection: a 404, as for one that is not there.
    fn key(&self) -> Result<(String, CollectionKey), AppError> {
        if !matches(USER_NAME, &self.owner) || !matches(COLLECTION_ADDRESS, &self.slug) {
            return Err(Refusal::NoSuchCollection.into());
        }
        Ok((self.owner.clone(), parse_address(&self.slug)?))
    }
}

/// An item of a collection named in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ItemPath {
    #[schemars(pattern(USER_NAME))]
    owner: String,
    #[schemars(pattern(COLLECTION_ADDRESS))]
    slug: String,
    /// The item's `_id`.
    #[schemars(with = "u64")]
    item: String,
}

impl ItemPath {
    fn collection(&self) -> CollectionPath {
        CollectionPath { owner: self.owner.clone(), slug: self.slug.clone() }
    }

    fn item(&self) -> Result<i64, AppError> {
        self.item
            .parse::<u64>()
            .ok()
            .and_then(|n| i64::try_from(n).ok())
            .filter(|_| self.item.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| AppError::BadRequest("an item's id is the whole number of its `_id`".into()))
    }
}

/// The whole collection, if the caller may see it.
/// The collection `key` of `owner`, whole, as `viewer` may see it (404 when private and not
/// theirs).
pub(crate) async fn whole(
    app: &App,
    owner: &str,
    key: &CollectionKey,
    viewer: Option<&User>,
) -> Result<CollectionJson, AppError> {
    let collection = app.core.community().find_collection(owner, key, viewer).await?;
    let items = app.core.db.items(collection.id, ItemOrder::Position, 0, MAX_ITEMS).await?;
    Ok(CollectionJson::new(collection, items))
}

/// How a listing is ordered: Hugging Face's names. Collections take no votes here, so each
/// orders by the last change.
#[derive(Deserialize, JsonSchema)]
enum CollectionSort {
    #[serde(rename = "lastModified")]
    LastModified,
    #[serde(rename = "trending")]
    Trending,
    #[serde(rename = "upvotes")]
    Upvotes,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(transform = no_null)]
pub struct ListParams {
    /// Only this member's collections.
    #[schemars(pattern(USER_NAME))]
    owner: Option<String>,
    /// Only collections holding this paper: `papers/2503.11731`.
    #[schemars(pattern(PAPER_ITEM))]
    item: Option<String>,
    /// `lastModified` (the default), `trending` or `upvotes`: all three order by the last change.
    #[schemars(with = "Option<CollectionSort>")]
    sort: Option<String>,
    /// How many collections, from 1 to 100 (20 when absent).
    #[schemars(with = "Option<u64>", range(min = 1, max = MAX_LIST_LIMIT))]
    limit: Option<String>,
    /// The 0-based page.
    #[schemars(with = "Option<u64>", range(max = super::paging::MAX_PAGE))]
    p: Option<String>,
}

/// `GET /api/collections`: the public collections, and the caller's private ones, most
/// recently changed first, each with its first 4 papers.
pub async fn list_collections(
    State(app): State<App>,
    MaybeApiUser(viewer): MaybeApiUser,
    RawQuery(raw): RawQuery,
    Params(params): Params<ListParams>,
) -> Result<Paged<CollectionJson>, AppError> {
    let owner = params.owner.as_deref().map(|o| checked(USER_NAME, o, "a user name")).transpose()?;
    let item =
        params.item.as_deref().map(|i| checked(PAPER_ITEM, i, "papers/ and an arXiv id")).transpose()?;
    if let Some(sort) = params.sort.as_deref()
        && variant::<CollectionSort>(sort).is_none()
    {
        let shown: String = sort.chars().take(40).collect();
        return Err(AppError::BadRequest(format!(
            "unknown sort `{shown}`: use {}",
            names::<CollectionSort>()
        )));
    }
    let limit = parse_limit(params.limit.as_deref(), LIST_LIMIT, MAX_LIST_LIMIT)?;
    let page = parse_page(params.p.as_deref())?;
    // An id arXiv never issued is in no collection.
    let paper = match item.map(|item| item.trim_start_matches("papers/").parse::<paperboy_arxiv::ArxivId>()) {
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return Ok(Paged { items: Vec::new(), next: None }),
        None => None,
    };
    let filter = CollectionFilter {
        viewer: viewer.as_ref().map(|v| v.id),
        owner,
        paper: paper.as_ref().map(|p| p.as_str()),
        offset: (page * limit) as i64,
        limit: limit as i64 + 1,
    };
    listing(&app, filter, page, "/api/collections", raw.as_deref()).await
}

/// A page of the collections `filter` asks for (`filter.limit` one more than the page holds,
/// to know whether another follows), as listings show them: with their first 4 papers. `path`
/// and `raw_query` make the next page's `Link`.
pub async fn listing(
    app: &App,
    filter: CollectionFilter<'_>,
    page: u64,
    path: &str,
    raw_query: Option<&str>,
) -> Result<Paged<CollectionJson>, AppError> {
    let limit = (filter.limit - 1).max(0) as usize;
    let mut collections = app.core.db.list_collections(filter).await?;
    let more = collections.len() > limit;
    collections.truncate(limit);
    let mut items = Vec::with_capacity(collections.len());
    for collection in collections {
        let first = app.core.db.items(collection.id, ItemOrder::Position, 0, LISTED_ITEMS).await?;
        items.push(CollectionJson { position: None, ..CollectionJson::new(collection, first) });
    }
    let next =
        more.then(|| next_link(&app.core.config.base_url, path, raw_query, "p", &(page + 1).to_string()));
    Ok(Paged { items, next })
}

pub fn list_collections_docs(op: TransformOperation) -> TransformOperation {
    op.id("listCollections").summary("List collections").description(
        "Public collections, and with a token the caller's private ones, most recently changed first; each \
         with its first 4 papers (get a collection for all of them).",
    )
}

/// Hugging Face's body for a new collection.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateBody {
    #[schemars(required, length(max = MAX_TITLE_CHARS), pattern(COLLECTION_TITLE))]
    title: Option<String>,
    /// The owner: the caller's own name (the default).
    #[schemars(pattern(USER_NAME))]
    namespace: Option<String>,
    #[schemars(length(max = MAX_DESCRIPTION_CHARS), pattern(NO_CONTROL_BUT_NEWLINE))]
    description: Option<String>,
    /// Only the owner sees a private collection (`false` when absent).
    private: Option<bool>,
    #[schemars(with = "Option<Theme>")]
    theme: Option<String>,
}

/// A collection's colour.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Theme {
    Orange,
    Blue,
    Green,
    Purple,
    Pink,
    Indigo,
}

fn own_namespace(user: &User, namespace: Option<&str>) -> Result<(), AppError> {
    match namespace {
        Some(name) if !name.eq_ignore_ascii_case(&user.name) => {
            checked(USER_NAME, name, "a user name")?;
            Err(AppError::Forbidden(format!("you can only create collections as {}", user.name)))
        }
        _ => Ok(()),
    }
}

/// `POST /api/collections`: a new collection of the caller's.
pub async fn create_collection(
    State(app): State<App>,
    ApiUser(user): ApiUser,
    Body(body): Body<CreateBody>,
) -> Result<Json<CollectionJson>, AppError> {
    let Some(title) = body.title else {
        return Err(AppError::BadRequest("title is required: the collection's title".into()));
    };
    own_namespace(&user, body.namespace.as_deref())?;
    let collection = app
        .core
        .community()
        .create_collection(
            &user,
            &title,
            body.description.as_deref(),
            body.private.unwrap_or(false),
            body.theme.as_deref(),
        )
        .await?;
    Ok(Json(CollectionJson::new(collection, Vec::new())))
}

pub fn create_collection_docs(op: TransformOperation) -> TransformOperation {
    op.id("createCollection").summary("Create a collection").with(|op| {
        errors(
            op,
            &[
                (403, "The namespace is not the caller's."),
                (409, "The caller has a collection of that title (its slug is in the answer), or 1,000 collections."),
                (429, "The caller's quota of collection changes is used up."),
            ],
        )
    })
}

/// `GET /api/collections/{owner}/{slug}`: the collection with all its papers.
pub async fn show_collection(
    State(app): State<App>,
    PathParam(path): PathParam<CollectionPath>,
    MaybeApiUser(viewer): MaybeApiUser,
) -> Result<Json<CollectionJson>, AppError> {
    let (owner, key) = path.key()?;
    Ok(Json(whole(&app, &owner, &key, viewer.as_ref()).await?))
}

pub fn show_collection_docs(op: TransformOperation) -> TransformOperation {
    op.id("getCollection")
        .summary("One collection")
        .description("A collection with all its papers, in its owner's order.")
        .with(|op| {
            errors(op, &[(404, "There is no such collection, or it is private and not the caller's.")])
        })
}

/// What refuses a change to a collection, beside a missing token and a malformed path.
const CHANGE_REFUSALS: &[(u16, &str)] = &[
    (403, "The collection is someone else's."),
    (404, "There is no such collection, or it is private and not the caller's."),
    (429, "The caller's quota of collection changes is used up."),
];

/// Hugging Face's body for changing a collection; what is absent stays.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct UpdateBody {
    #[schemars(length(max = MAX_TITLE_CHARS), pattern(COLLECTION_TITLE))]
    title: Option<String>,
    #[schemars(length(max = MAX_DESCRIPTION_CHARS), pattern(NO_CONTROL_BUT_NEWLINE))]
    description: Option<String>,
    /// A new place among the owner's collections, 0 first; past the last means last.
    #[serde(default, deserialize_with = "integer")]
    #[schemars(with = "Option<u32>")]
    position: Option<i64>,
    private: Option<bool>,
    #[schemars(with = "Option<Theme>")]
    theme: Option<String>,
}

/// What `PATCH /api/collections/{owner}/{slug}` answers, as Hugging Face's client reads it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "CollectionUpdated")]
pub struct UpdatedJson {
    success: bool,
    data: CollectionJson,
}

fn position(value: Option<i64>) -> Result<Option<i64>, AppError> {
    match value {
        Some(p) if !(0..=i64::from(u32::MAX)).contains(&p) => {
            Err(AppError::BadRequest("position is a whole number from 0".into()))
        }
        other => Ok(other),
    }
}

/// `PATCH /api/collections/{owner}/{slug}`: changes the caller's collection.
pub async fn update_collection(
    State(app): State<App>,
    PathParam(path): PathParam<CollectionPath>,
    ApiUser(user): ApiUser,
    Body(body): Body<UpdateBody>,
) -> Result<Json<UpdatedJson>, AppError> {
    let (owner, key) = path.key()?;
    let community = app.core.community();
    community.find_collection(&owner, &key, Some(&user)).await?;
    let edit = CollectionEdit {
        title: body.title.as_deref(),
        description: body.description.as_deref(),
        private: body.private,
        theme: body.theme.as_deref(),
        position: position(body.position)?,
    };
    community.update_collection(&user, &key, edit).await?;
    Ok(Json(UpdatedJson { success: true, data: whole(&app, &owner, &key, Some(&user)).await? }))
}

pub fn update_collection_docs(op: TransformOperation) -> TransformOperation {
    op.id("updateCollection").summary("Change a collection").with(|op| {
        errors(op, CHANGE_REFUSALS)
            .with(|op| errors(op, &[(409, "The caller has another collection of that title.")]))
    })
}

/// `DELETE /api/collections/{owner}/{slug}`: deletes the caller's collection.
pub async fn delete_collection(
    State(app): State<App>,
    PathParam(path): PathParam<CollectionPath>,
    ApiUser(user): ApiUser,
) -> Result<NoContent, AppError> {
    let (owner, key) = path.key()?;
    let community = app.core.community();
    community.find_collection(&owner, &key, Some(&user)).await?;
    community.delete_collection(&user, &key).await?;
    Ok(NoContent)
}

pub fn delete_collection_docs(op: TransformOperation) -> TransformOperation {
    op.id("deleteCollection").summary("Delete a collection").with(|op| errors(op, CHANGE_REFUSALS))
}

/// The item Hugging Face's client adds: a paper, by id.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewItem {
    /// The paper's arXiv id.
    #[schemars(required, pattern(PAPER_ID))]
    id: Option<String>,
    /// `paper`: collections here hold papers only.
    #[schemars(required, with = "Option<ItemType>")]
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// What a collection holds.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum ItemType {
    Paper,
}

/// Hugging Face's body for adding an item.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddBody {
    #[schemars(required)]
    item: Option<NewItem>,
    #[schemars(length(max = MAX_NOTE_CHARS), pattern(NO_CONTROL_BUT_NEWLINE))]
    note: Option<String>,
}

/// `POST /api/collections/{owner}/{slug}/items`: adds a paper, last.
pub async fn add_item(
    State(app): State<App>,
    PathParam(path): PathParam<CollectionPath>,
    ApiUser(user): ApiUser,
    Body(body): Body<AddBody>,
) -> Result<Json<CollectionJson>, AppError> {
    let (owner, key) = path.key()?;
    let Some(NewItem { id: Some(id), kind: Some(kind) }) = body.item else {
        return Err(AppError::BadRequest(
            "item is required: {\"id\": \"2503.11731\", \"type\": \"paper\"}".into(),
        ));
    };
    if variant::<ItemType>(&kind).is_none() {
        let shown: String = kind.chars().take(40).collect();
        return Err(AppError::BadRequest(format!(
            "collections here hold papers only: type `{shown}` must be paper"
        )));
    }
    let text = checked(PAPER_ID, &id, "an arXiv id such as 2503.11731")?;
    let paper: paperboy_arxiv::ArxivId =
        text.parse().map_err(|err| AppError::NotFound(format!("paper {text} not found: {err}")))?;
    let community = app.core.community();
    community.find_collection(&owner, &key, Some(&user)).await?;
    community.add_item(&user, &key, paper.as_str(), body.note.as_deref()).await?;
    Ok(Json(whole(&app, &owner, &key, Some(&user)).await?))
}

pub fn add_item_docs(op: TransformOperation) -> TransformOperation {
    op.id("addCollectionItem").summary("Add a paper to a collection").with(|op| {
        errors(op, CHANGE_REFUSALS).with(|op| {
            errors(
                op,
                &[
                    (403, "The curators hid the paper."),
                    (404, "The catalog has no such paper."),
                    (409, "The paper is in the collection already, or it holds 10,000 papers."),
                ],
            )
        })
    })
}

/// Hugging Face's body for changing an item; what is absent stays.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ItemBody {
    #[schemars(length(max = MAX_NOTE_CHARS), pattern(NO_CONTROL_BUT_NEWLINE))]
    note: Option<String>,
    /// A new place in the collection, 0 first; past the last means last.
    #[serde(default, deserialize_with = "integer")]
    #[schemars(with = "Option<u32>")]
    position: Option<i64>,
}

/// `PATCH /api/collections/{owner}/{slug}/items/{item}`: changes an item's note or place.
pub async fn update_item(
    State(app): State<App>,
    PathParam(path): PathParam<ItemPath>,
    ApiUser(user): ApiUser,
    Body(body): Body<ItemBody>,
) -> Result<NoContent, AppError> {
    let (owner, key) = path.collection().key()?;
    let item = path.item()?;
    let community = app.core.community();
    community.find_collection(&owner, &key, Some(&user)).await?;
    community.update_item(&user, &key, item, body.note.as_deref(), position(body.position)?).await?;
    Ok(NoContent)
}

pub fn update_item_docs(op: TransformOperation) -> TransformOperation {
    op.id("updateCollectionItem").summary("Change a paper's note or place in a collection").with(|op| {
        errors(op, CHANGE_REFUSALS).with(|op| errors(op, &[(404, "The collection has no such item.")]))
    })
}

/// `DELETE /api/collections/{owner}/{slug}/items/{item}`: takes a paper out.
pub async fn delete_item(
    State(app): State<App>,
    PathParam(path): PathParam<ItemPath>,
    ApiUser(user): ApiUser,
) -> Result<NoContent, AppError> {
    let (owner, key) = path.collection().key()?;
    let item = path.item()?;
    let community = app.core.community();
    community.find_collection(&owner, &key, Some(&user)).await?;
    community.remove_item(&user, &key, item).await?;
    Ok(NoContent)
}

pub fn delete_item_docs(op: TransformOperation) -> TransformOperation {
    op.id("deleteCollectionItem").summary("Take a paper out of a collection").with(|op| {
        errors(op, CHANGE_REFUSALS).with(|op| errors(op, &[(404, "The collection has no such item.")]))
    })
}
