//! `GET /authors/{name}`: an author's papers, newest announced first, with what they add up to
//! (papers, upvotes, comments), the other spellings the page takes in and the fuller names an
//! ambiguous abbreviation may stand for. The name is matched folded (case, accents and
//! punctuation aside) and an initial joins the one full name it can stand for
//! ([`crate::domain::authors`]); an abbreviation shows its full name's page, whose canonical
//! address is the full name's.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use crate::actions::community::find_author;
use crate::http::App;
use crate::http::extract::{Params, PathParam};
use crate::http::page::{FeedLinks, Layout, cached, render};
use crate::web::pages::{PAGE_SIZE, PageParams};
use crate::web::view::{Card, Link, Pager, author_href};

#[derive(Template)]
#[template(path = "author.html")]
struct AuthorPage {
    layout: Layout,
    name: String,
    papers: u64,
    upvotes: i64,
    comments: i64,
    also_written: Vec<String>,
    may_be: Vec<Link>,
    cards: Vec<Card>,
    pager: Pager,
}

/// `GET /authors/{name}`.
pub async fn show_author(
    State(app): State<App>,
    PathParam(name): PathParam<String>,
    uri: Uri,
    headers: HeaderMap,
    Params(params): Params<PageParams>,
) -> Response {
    cached(&app, &uri, &headers, || async {
        let page = params.number()?;
        let author = find_author(&app.core.db, &name).await?;
        let (papers, totals) =
            app.core.db.papers_by_authors(&author.keys, (page - 1) * PAGE_SIZE, PAGE_SIZE).await?;
        let shown = if author.name.is_empty() { name.trim().to_owned() } else { author.name.clone() };
        let href = author_href(&shown);
        let base = &app.core.config.base_url;
        let layout = Layout::new("", format!("{base}{href}")).with_feeds(author_feeds(base, &shown));
        let view = AuthorPage {
            layout,
            papers: totals.papers,
            upvotes: totals.upvotes,
            comments: totals.comments,
            also_written: author.also_written,
            may_be: author.may_be.iter().map(|other| Link::new(author_href(other), other)).collect(),
            cards: papers.iter().map(Card::from_paper).collect(),
            pager: Pager::numbered(page, PAGE_SIZE, totals.papers, |n| format!("{href}?page={n}")),
            name: shown,
        };
        render(StatusCode::OK, &view)
    })
    .await
}

/// The address of an author's feeds, without the extension: `/feeds/authors/Ada%20Lovelace`.
pub fn feed_path(name: &str) -> String {
    author_href(name).replacen("/authors/", "/feeds/authors/", 1)
}

/// The RSS and Atom feeds of an author's new papers.
fn author_feeds(base: &str, name: &str) -> FeedLinks {
    let path = feed_path(name);
    FeedLinks {
        title: format!("Paperboy: {name}"),
        rss: format!("{base}{path}.rss"),
        atom: format!("{base}{path}.atom"),
    }
}
