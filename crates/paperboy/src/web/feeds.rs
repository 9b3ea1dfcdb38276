//! RSS 2.0 and Atom feeds: the daily feed, trending, any category, any author, any public
//! collection and any search.
//!
//! `/feeds/daily.rss`, `/feeds/trending.atom`, `/feeds/trending-code.rss`, `/feeds/categories/cs.CL.rss`,
//! `/feeds/authors/Ada%20Lovelace.atom`, `/feeds/collections/ada/graphs-0123456789abcdef01234567.rss`
//! (its papers as they are added), `/feeds/search.atom?q=...`. Each item's guid (Atom: id) is the paper's absolute address, so
//! it stays the same however often the feed is rebuilt; links are absolute, from the configured
//! base URL. Text is escaped, and characters XML 1.0 forbids are dropped.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::{DateTime, NaiveTime, Utc};

use crate::actions::collections::parse_address;
use crate::actions::community::find_author;
use crate::db::collections::ItemOrder;
use crate::db::feed::{FeedOrder, FeedQuery};
use crate::db::papers::StoredPaper;
use crate::domain::text::url_encode;
use crate::error::AppError;
use crate::http::App;
use crate::http::cache::Rendered;
use crate::http::extract::{Params, PathParam};
use crate::http::page::{cached, render};
use crate::search::Shown;
use crate::web::authors;
use crate::web::pages::check_category;
use crate::web::search::SearchParams;
use crate::web::view::author_href;

/// Items in a feed.
const ITEMS: u64 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Rss,
    Atom,
}

impl Format {
    /// Splits `name.rss` or `name.atom`.
    fn split(file: &str) -> Option<(&str, Format)> {
        if let Some(name) = file.strip_suffix(".rss") {
            Some((name, Format::Rss))
        } else {
            file.strip_suffix(".atom").map(|name| (name, Format::Atom))
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
        }
    }
}

struct Item {
    title: String,
    url: String,
    authors: Vec<String>,
    categories: Vec<String>,
    summary: String,
    date_rfc2822: String,
    date_rfc3339: String,
    updated_rfc3339: String,
}

#[derive(Template)]
#[template(path = "rss.xml")]
struct Rss<'a> {
    title: &'a str,
    description: &'a str,
    page_url: &'a str,
    self_url: &'a str,
    updated_rfc2822: String,
    items: &'a [Item],
}

#[derive(Template)]
#[template(path = "atom.xml")]
struct Atom<'a> {
    title: &'a str,
    description: &'a str,
    page_url: &'a str,
    self_url: &'a str,
    updated_rfc3339: String,
    items: &'a [Item],
}

/// A feed before it is written out in one format.
struct Channel {
    title: String,
    description: String,
    /// The page this feed follows, from the site's root.
    page: String,
    /// This feed, from the site's root, without its extension.
    path: String,
    /// Appended to the feed's own address: the search's query string.
    query: String,
    items: Vec<Item>,
}

/// `GET /feeds/{file}`: `daily` and `trending`, `.rss` or `.atom`.
pub async fn show_feed(
    State(app): State<App>,
    PathParam(file): PathParam<String>,
    uri: Uri,
    headers: HeaderMap,
    Params(params): Params<SearchParams>,
) -> Response {
    cached(&app, &uri, &headers, || async {
        let (name, format) = Format::split(&file).ok_or_else(no_such_feed)?;
        let channel = match name {
            "daily" => daily(&app).await?,
            "trending" => trending(&app).await?,
            "trending-code" => trending_code(&app).await?,
            "search" => search(&app, &params).await?,
            _ => return Err(no_such_feed()),
        };
        write(&app, &channel, format)
    })
    .await
}

/// `GET /feeds/categories/{file}`: `cs.CL.rss`, `hep-th.atom`.
pub async fn show_category_feed(
    State(app): State<App>,
    PathParam(file): PathParam<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    cached(&app, &uri, &headers, || async {
        let (category, format) = Format::split(&file).ok_or_else(no_such_feed)?;
        check_category(category)?;
        let (papers, _) = app.core.db.papers_in_category(category, 0, ITEMS).await?;
        let channel = Channel {
            title: format!("Paperboy: {category}"),
            description: format!("The newest papers in {category} on Paperboy."),
            page: format!("/categories/{category}"),
            path: format!("/feeds/categories/{category}"),
            query: String::new(),
            items: papers.iter().map(|paper| item(&app, paper, announced(paper))).collect(),
        };
        write(&app, &channel, format)
    })
    .await
}

/// `GET /feeds/authors/{file}`: `Ada Lovelace.rss`, an author's newest papers.
pub async fn show_author_feed(
    State(app): State<App>,
    PathParam(file): PathParam<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    cached(&app, &uri, &headers, || async {
        let (name, format) = Format::split(&file).ok_or_else(no_such_feed)?;
        let author = find_author(&app.core.db, name).await?;
        let (papers, _) = app.core.db.papers_by_authors(&author.keys, 0, ITEMS).await?;
        let shown = if author.name.is_empty() { name } else { author.name.as_str() };
        let page = author_href(shown);
        let channel = Channel {
            title: format!("Paperboy: {shown}"),
            description: format!("The newest papers by {shown} on Paperboy."),
            path: authors::feed_path(shown),
            page,
            query: String::new(),
            items: papers.iter().map(|paper| item(&app, paper, announced(paper))).collect(),
        };
        write(&app, &channel, format)
    })
    .await
}

/// `GET /feeds/collections/{owner}/{file}`: `graphs-0123456789abcdef01234567.rss`, the papers
/// most recently added to a public collection. A private one is a 404, as to everyone but its
/// owner, whose feed reader has no session.
pub async fn show_collection_feed(
    State(app): State<App>,
    PathParam((owner, file)): PathParam<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    cached(&app, &uri, &headers, || async {
        let (address, format) = Format::split(&file).ok_or_else(no_such_feed)?;
        let key = parse_address(address)?;
        let collection = app.core.community().find_collection(&owner, &key, None).await?;
        let items = app.core.db.items(collection.id, ItemOrder::Newest, 0, ITEMS as i64).await?;
        let page = collection.href();
        let channel = Channel {
            title: format!("Paperboy: {} by {}", collection.title, collection.owner),
            description: if collection.description.is_empty() {
                format!("Papers {} adds to {} on Paperboy.", collection.owner, collection.title)
            } else {
                collection.description.clone()
            },
            path: format!("/feeds{page}"),
            page,
            query: String::new(),
            items: items.iter().map(|i| item(&app, &i.paper, i.added_at)).collect(),
        };
        write(&app, &channel, format)
    })
    .await
}

fn no_such_feed() -> AppError {
    AppError::NotFound(
        "No such feed: try /feeds/daily.rss, /feeds/trending.atom, /feeds/categories/cs.CL.rss or /feeds/search.rss?q=..."
            .into(),
    )
}

async fn daily(app: &App) -> Result<Channel, AppError> {
    let items = app.core.db.feed(&FeedQuery::all(FeedOrder::Newest, 0, ITEMS)).await?;
    Ok(Channel {
        title: "Paperboy: daily papers".into(),
        description: "Papers as they join Paperboy's daily feed.".into(),
        page: "/papers".into(),
        path: "/feeds/daily".into(),
        query: String::new(),
        items: items.iter().map(|i| item(app, &i.paper, i.entry.submitted_at)).collect(),
    })
}

async fn trending(app: &App) -> Result<Channel, AppError> {
    let items = app.core.db.feed(&FeedQuery::trending(0, ITEMS)).await?;
    Ok(Channel {
        title: "Paperboy: trending papers".into(),
        description: "The papers trending on Paperboy's feed.".into(),
        page: "/papers/trending".into(),
        path: "/feeds/trending".into(),
        query: String::new(),
        items: items.iter().map(|i| item(app, &i.paper, i.entry.submitted_at)).collect(),
    })
}

async fn trending_code(app: &App) -> Result<Channel, AppError> {
    let items = app.core.db.feed(&FeedQuery::all(FeedOrder::StarsGained, 0, ITEMS)).await?;
    Ok(Channel {
        title: "Paperboy: trending papers with code".into(),
        description: "Papers on Paperboy's feed whose GitHub repository gained the most stars this week."
            .into(),
        page: "/papers/trending/code".into(),
        path: "/feeds/trending-code".into(),
        query: String::new(),
        items: items.iter().map(|i| item(app, &i.paper, i.entry.submitted_at)).collect(),
    })
}

async fn search(app: &App, params: &SearchParams) -> Result<Channel, AppError> {
    let checked = params.checked(app.core.search.semantic_enabled()).map_err(AppError::BadRequest)?;
    if checked.query.is_empty() {
        return Err(AppError::BadRequest("a search feed needs a query: /feeds/search.rss?q=...".into()));
    }
    let results = app.search(&checked, 0, ITEMS, Shown::ITEMS).await?;
    let query = format!("?q={}", url_encode(&checked.full_query()));
    Ok(Channel {
        title: format!("Paperboy search: {}", checked.full_query()),
        description: format!(
            "Papers matching \u{201c}{}\u{201d} on Paperboy, best first.",
            checked.full_query()
        ),
        page: format!("/search{query}"),
        path: "/feeds/search".into(),
        query,
        items: results.hits.iter().map(|hit| item(app, &hit.paper, announced(&hit.paper))).collect(),
    })
}

/// When a paper appeared: its first version, or its announce day.
fn announced(paper: &StoredPaper) -> DateTime<Utc> {
    paper
        .paper
        .published_at
        .or_else(|| paper.paper.announce_date.map(|day| day.and_time(NaiveTime::MIN).and_utc()))
        .unwrap_or(paper.created_at)
}

fn item(app: &App, stored: &StoredPaper, date: DateTime<Utc>) -> Item {
    let paper = &stored.paper;
    let updated = paper.updated_at.unwrap_or(date).max(date);
    Item {
        title: xml_text(&paper.title),
        url: format!("{}/papers/{}", app.core.config.base_url, paper.id),
        authors: paper.authors.iter().map(|a| xml_text(a)).collect(),
        categories: paper.categories.iter().map(|c| xml_text(c)).collect(),
        summary: xml_text(&paper.summary),
        date_rfc2822: date.to_rfc2822(),
        date_rfc3339: date.to_rfc3339(),
        updated_rfc3339: updated.to_rfc3339(),
    }
}

fn write(app: &App, channel: &Channel, format: Format) -> Result<Rendered, AppError> {
    let base = &app.core.config.base_url;
    let page_url = format!("{base}{}", channel.page);
    let self_url = format!("{base}{}.{}{}", channel.path, format.extension(), channel.query);
    let title = xml_text(&channel.title);
    let description = xml_text(&channel.description);
    // The newest item's date, so the feed's date moves only when its content does.
    let updated = channel
        .items
        .iter()
        .filter_map(|item| DateTime::parse_from_rfc3339(&item.updated_rfc3339).ok())
        .max()
        .map_or(DateTime::UNIX_EPOCH, |t| t.to_utc());
    let mut rendered = match format {
        Format::Rss => render(
            StatusCode::OK,
            &Rss {
                title: &title,
                description: &description,
                page_url: &page_url,
                self_url: &self_url,
                updated_rfc2822: updated.to_rfc2822(),
                items: &channel.items,
            },
        )?,
        Format::Atom => render(
            StatusCode::OK,
            &Atom {
                title: &title,
                description: &description,
                page_url: &page_url,
                self_url: &self_url,
                updated_rfc3339: updated.to_rfc3339(),
                items: &channel.items,
            },
        )?,
    };
    rendered.content_type = match format {
        Format::Rss => "application/rss+xml; charset=utf-8",
        Format::Atom => "application/atom+xml; charset=utf-8",
    };
    Ok(rendered)
}

/// `text` without the characters XML 1.0 does not allow (most control characters).
fn xml_text(text: &str) -> String {
    text.chars()
        .filter(|&c| matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_dropped_from_feed_text() {
        assert_eq!(xml_text("a\u{0}b\u{b}c\td\u{FFFF}"), "abc\td");
        assert_eq!(Format::split("cs.CL.rss"), Some(("cs.CL", Format::Rss)));
        assert_eq!(Format::split("daily.atom"), Some(("daily", Format::Atom)));
        assert_eq!(Format::split("daily.json"), None);
    }
}
