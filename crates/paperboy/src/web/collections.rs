//! Collections on the site: `/collections` (the member's own, and a form for a new one; the
//! public ones for visitors), `/collections/{owner}/{slug}` (its papers in the owner's order
//! with their notes, and for the owner the forms to change it), its BibTeX at
//! `/collections/{owner}/{slug}.bib`, `/papers/{id}/save` (the reading list and every
//! collection of the member's, to put a paper in or take it out), and `/reading-list`.
//!
//! Forms post to `/collections` and `/collections/{owner}/{slug}/{edit,delete,add,item}` and
//! send the browser back (`303 See Other`) to the page named by `next` when it is one of ours.
//! Pages everyone shares are served from the page cache; a member's own pages are rendered for
//! them. A private collection is a 404 to everyone but its owner. Rules live in
//! [`crate::actions::collections`].

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use paperboy_arxiv::ArxivId;
use serde::Deserialize;

use crate::actions::collections::{CollectionEdit, parse_address};
use crate::db::collections::{Collection, CollectionFilter, Item, ItemOrder};
use crate::db::users::User;
use crate::domain::collections::{MAX_DESCRIPTION_CHARS, MAX_ITEMS, MAX_NOTE_CHARS, MAX_TITLE_CHARS, THEMES};
use crate::error::AppError;
use crate::http::App;
use crate::http::extract::{FormData, Params, PathParam};
use crate::http::page::{FeedLinks, Layout, cached, private_page, render};
use crate::http::session::Viewer;
use crate::web::bibtex::bibtex;
use crate::web::form::refused;
use crate::web::pages::PageParams;
use crate::web::view::{Card, Pager};

/// Papers a collection's page shows at once.
const PAGE_SIZE: u64 = 100;
/// Public collections `/collections` shows a visitor.
const RECENT: i64 = 50;

#[derive(Template)]
#[template(path = "collection.html")]
struct CollectionPage {
    layout: Layout,
    title: String,
    owner: String,
    description: String,
    private: bool,
    reading_list: bool,
    theme: String,
    count: i64,
    href: String,
    items: Vec<ItemView>,
    pager: Pager,
    /// The owner's forms' token; `None` on the page others see.
    csrf: Option<String>,
    themes: &'static [&'static str],
    max_title: usize,
    max_description: usize,
    max_note: usize,
}

/// A paper in a collection, as its page shows it.
struct ItemView {
    id: i64,
    position: i64,
    card: Card,
    note: String,
}

#[derive(Template)]
#[template(path = "collections.html")]
struct CollectionsPage {
    layout: Layout,
    /// The member's own collections; `None` for a visitor.
    own: Option<Vec<Summary>>,
    recent: Vec<Summary>,
    csrf: String,
    error: String,
    max_title: usize,
    max_description: usize,
}

#[derive(Template)]
#[template(path = "save.html")]
struct SavePage {
    layout: Layout,
    id: String,
    title: String,
    saved: bool,
    collections: Vec<(Summary, Option<i64>)>,
    csrf: String,
    max_title: usize,
    max_note: usize,
}

/// A collection in a list.
struct Summary {
    href: String,
    title: String,
    owner: String,
    description: String,
    private: bool,
    count: i64,
}

impl Summary {
    fn new(collection: &Collection) -> Summary {
        Summary {
            href: collection.href(),
            title: collection.title.clone(),
            owner: collection.owner.clone(),
            description: collection.description.clone(),
            private: collection.private,
            count: collection.items,
        }
    }
}

/// Every field the collection forms send.
#[derive(Debug, Default, Deserialize)]
pub struct CollectionForm {
    csrf: Option<String>,
    title: Option<String>,
    description: Option<String>,
    /// "1" when the box is ticked; absent otherwise.
    private: Option<String>,
    theme: Option<String>,
    paper: Option<String>,
    note: Option<String>,
    item: Option<String>,
    position: Option<String>,
    /// What to do with an item: "save" (its note and place) or "remove".
    change: Option<String>,
    /// Where to go afterwards: a path of this site.
    next: Option<String>,
}

/// `next` when it is a path of this site, else `fallback`.
pub fn back_to(next: Option<&str>, fallback: String) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => fallback,
    }
}

/// `GET /collections`.
pub async fn show_collections(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
    viewer: Viewer,
) -> Response {
    match &viewer.session {
        None => {
            cached(&app, &uri, &headers, || async {
                render(StatusCode::OK, &collections_page(&app, None).await?)
            })
            .await
        }
        Some(session) => match collections_page(&app, Some(&session.user)).await {
            Ok(page) => private_page(
                StatusCode::OK,
                &CollectionsPage { csrf: session.csrf_token.clone(), ..page },
                Some(session),
            ),
            Err(err) => err.into_response(),
        },
    }
}

async fn collections_page(app: &App, member: Option<&User>) -> Result<CollectionsPage, AppError> {
    let db = &app.core.db;
    let own = match member {
        Some(user) => {
            Some(db.collections_of(user.id, Some(user.id)).await?.iter().map(Summary::new).collect())
        }
        None => None,
    };
    let recent =
        db.list_collections(CollectionFilter { limit: RECENT, ..CollectionFilter::default() }).await?;
    Ok(CollectionsPage {
        layout: Layout::new("", format!("{}/collections", app.core.config.base_url)),
        own,
        recent: recent.iter().map(Summary::new).collect(),
        csrf: String::new(),
        error: String::new(),
        max_title: MAX_TITLE_CHARS,
        max_description: MAX_DESCRIPTION_CHARS,
    })
}

/// `POST /collections`: a new collection, with the paper `paper` in it when the form names
/// one (the save page's form).
pub async fn create_collection(
    State(app): State<App>,
    viewer: Viewer,
    FormData(form): FormData<CollectionForm>,
) -> Response {
    let result = async {
        let user = viewer.require_user()?;
        viewer.check_csrf(form.csrf.as_deref())?;
        let community = app.core.community();
        let collection = community
            .create_collection(
                user,
                form.title.as_deref().unwrap_or_default(),
                form.description.as_deref(),
                form.private.as_deref() == Some("1"),
                form.theme.as_deref().filter(|t| !t.is_empty()),
            )
            .await?;
        if let Some(paper) = form.paper.as_deref().filter(|p| !p.is_empty()) {
            community.add_item(user, &collection.key, paper, form.note.as_deref()).await?;
        }
        Ok::<_, AppError>(back_to(form.next.as_deref(), collection.href()))
    }
    .await;
    match result {
        Ok(next) => Redirect::to(&next).into_response(),
        Err(err) => refused(err, "/collections"),
    }
}

/// `GET /collections/{owner}/{file}`: the page of `slug-key`, or the BibTeX of `slug-key.bib`.
/// An address whose slug is not the collection's current one is redirected to it.
pub async fn show_collection(
    State(app): State<App>,
    PathParam((owner, file)): PathParam<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    viewer: Viewer,
    Params(params): Params<PageParams>,
) -> Response {
    let (address, bib) = match file.strip_suffix(".bib") {
        Some(address) => (address, true),
        None => (file.as_str(), false),
    };
    let key = match parse_address(address) {
        Ok(key) => key,
        Err(err) => return err.into_response(),
    };
    let collection = match app.core.community().find_collection(&owner, &key, viewer.user()).await {
        Ok(collection) => collection,
        Err(err) => return err.into_response(),
    };
    if collection.address() != address {
        let suffix = if bib { ".bib" } else { "" };
        return Redirect::permanent(&format!("{}{suffix}", collection.href())).into_response();
    }
    let own = viewer.session.as_ref().filter(|s| s.user.id == collection.owner_id);
    match (bib, own) {
        (true, _) => bibliography(&app, &collection).await.unwrap_or_else(IntoResponse::into_response),
        (false, Some(session)) => {
            match collection_page(&app, collection, &params, Some(session.csrf_token.clone())).await {
                Ok(page) => private_page(StatusCode::OK, &page, Some(session)),
                Err(err) => err.into_response(),
            }
        }
        (false, None) => {
            cached(&app, &uri, &headers, || async {
                render(StatusCode::OK, &collection_page(&app, collection, &params, None).await?)
            })
            .await
        }
    }
}

async fn collection_page(
    app: &App,
    collection: Collection,
    params: &PageParams,
    csrf: Option<String>,
) -> Result<CollectionPage, AppError> {
    let page = params.number()?;
    let offset = ((page - 1) * PAGE_SIZE) as i64;
    let items = app.core.db.items(collection.id, ItemOrder::Position, offset, PAGE_SIZE as i64).await?;
    let href = collection.href();
    let base = &app.core.config.base_url;
    let mut layout = Layout::new("", format!("{base}{href}"));
    if !collection.private {
        let feed = format!("{base}/feeds{href}");
        layout = layout.with_feeds(FeedLinks {
            title: format!("Paperboy: {}", collection.title),
            rss: format!("{feed}.rss"),
            atom: format!("{feed}.atom"),
        });
    }
    Ok(CollectionPage {
        layout,
        pager: Pager::numbered(page, PAGE_SIZE, collection.items.max(0) as u64, |n| {
            format!("{href}?page={n}")
        }),
        items: items.iter().map(ItemView::new).collect(),
        title: collection.title,
        owner: collection.owner,
        description: collection.description,
        private: collection.private,
        reading_list: collection.reading_list,
        theme: collection.theme,
        count: collection.items,
        href,
        csrf,
        themes: &THEMES,
        max_title: MAX_TITLE_CHARS,
        max_description: MAX_DESCRIPTION_CHARS,
        max_note: MAX_NOTE_CHARS,
    })
}

impl ItemView {
    fn new(item: &Item) -> ItemView {
        ItemView {
            id: item.id,
            position: item.position,
            card: Card::from_paper(&item.paper),
            note: item.note.clone(),
        }
    }
}

/// Every paper of the collection as BibTeX, in its order, as a file to save.
async fn bibliography(app: &App, collection: &Collection) -> Result<Response, AppError> {
    let items = app.core.db.items(collection.id, ItemOrder::Position, 0, MAX_ITEMS).await?;
    let mut text = String::new();
    for item in &items {
        text.push_str(&bibtex(&item.paper.paper));
        text.push_str("\n\n");
    }
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-bibtex; charset=utf-8"));
    let disposition = format!("attachment; filename=\"{}.bib\"", collection.slug);
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if collection.private {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    Ok(response)
}

/// `POST /collections/{owner}/{slug}/{action}`: `edit`, `delete`, `add` (a paper) or `item`
/// (change an item's note or place, or remove it).
pub async fn act_on_collection(
    State(app): State<App>,
    PathParam((owner, address, action)): PathParam<(String, String, String)>,
    viewer: Viewer,
    FormData(form): FormData<CollectionForm>,
) -> Response {
    let page = format!("/collections/{owner}/{address}");
    let result = async {
        let user = viewer.require_user()?;
        viewer.check_csrf(form.csrf.as_deref())?;
        let key = parse_address(&address)?;
        let community = app.core.community();
        let collection = community.find_collection(&owner, &key, Some(user)).await?;
        let fallback = collection.href();
        match action.as_str() {
            "edit" => {
                let edit = CollectionEdit {
                    title: form.title.as_deref(),
                    description: form.description.as_deref(),
                    private: Some(form.private.as_deref() == Some("1")),
                    theme: form.theme.as_deref(),
                    position: None,
                };
                let changed = community.update_collection(user, &key, edit).await?;
                return Ok(changed.href());
            }
            "delete" => {
                community.delete_collection(user, &key).await?;
                return Ok("/collections".to_owned());
            }
            "add" => {
                let paper = form.paper.as_deref().unwrap_or_default();
                community.add_item(user, &key, paper, form.note.as_deref()).await?;
            }
            "item" => {
                let item = form.item.as_deref().and_then(|i| i.parse::<i64>().ok()).ok_or_else(|| {
                    AppError::BadRequest("the form is incomplete: reload the page and try again".into())
                })?;
                match form.change.as_deref() {
                    Some("remove") => community.remove_item(user, &key, item).await?,
                    _ => {
                        let position = match form.position.as_deref().map(str::trim).filter(|p| !p.is_empty())
                        {
                            Some(text) => Some(
                                text.parse::<i64>().ok().filter(|p| *p >= 1).ok_or_else(|| {
                                    AppError::BadRequest(format!(
                                        "`{}` is not a place: give a number from 1",
                                        text.chars().take(20).collect::<String>()
                                    ))
                                })? - 1,
                            ),
                            None => None,
                        };
                        community.update_item(user, &key, item, form.note.as_deref(), position).await?;
                    }
                }
            }
            _ => return Err(AppError::NotFound("There is no such page.".into())),
        }
        Ok(back_to(form.next.as_deref(), fallback))
    }
    .await;
    match result {
        Ok(next) => Redirect::to(&next).into_response(),
        Err(err) => refused(err, &page),
    }
}

/// `GET /papers/{id}/save`: the member's reading list and collections, each saying whether it
/// holds the paper, with the forms to change that.
pub async fn show_save(app: &App, id: &ArxivId, viewer: &Viewer) -> Response {
    let back = format!("/papers/{id}/save");
    let Some(session) = &viewer.session else {
        return refused(AppError::Unauthorized("sign in first".into()), &back);
    };
    let result = async {
        let stored = app
            .core
            .db
            .get_paper(id)
            .await?
            .filter(|p| p.hidden_at.is_none())
            .ok_or_else(|| AppError::NotFound(format!("Paper {id} is not in this catalog.")))?;
        let collections = app.core.db.collections_with(session.user.id, id).await?;
        let saved = collections.iter().any(|(c, item)| c.reading_list && item.is_some());
        Ok::<_, AppError>(SavePage {
            layout: Layout::new("", format!("{}{back}", app.core.config.base_url)),
            id: id.to_string(),
            title: stored.paper.title,
            saved,
            collections: collections
                .iter()
                .filter(|(c, _)| !c.reading_list)
                .map(|(c, item)| (Summary::new(c), *item))
                .collect(),
            csrf: session.csrf_token.clone(),
            max_title: MAX_TITLE_CHARS,
            max_note: MAX_NOTE_CHARS,
        })
    }
    .await;
    match result {
        Ok(page) => private_page(StatusCode::OK, &page, Some(session)),
        Err(err) => err.into_response(),
    }
}

/// `GET /reading-list`: the member's reading list (or the sign-in page, and back).
pub async fn show_reading_list(State(app): State<App>, viewer: Viewer) -> Response {
    let Some(user) = viewer.user() else {
        return refused(AppError::Unauthorized("sign in first".into()), "/reading-list");
    };
    match app.core.db.reading_list(user.id).await {
        Ok(Some(list)) => Redirect::to(&list.href()).into_response(),
        Ok(None) => AppError::NotFound(
            "Your reading list is empty: \u{201c}Save\u{201d} on any paper puts it there.".into(),
        )
        .into_response(),
        Err(err) => AppError::from(err).into_response(),
    }
}
