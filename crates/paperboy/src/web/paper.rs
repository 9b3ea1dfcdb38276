//! `GET /papers/{id}`: a paper's page, with its math rendered, links, similar papers, a BibTeX
//! entry to copy, its upvoters and its comment thread, and for signed-in readers the vote
//! button and the forms to comment, edit their comments and (curators) moderate.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use paperboy_arxiv::{ArxivId, Paper};

use crate::db::annotations::GENERATED;
use crate::db::community::Comment;
use crate::db::users::Session;
use crate::domain::accounts::UserId;
use crate::domain::code::{Linked, project_page, repository};
use crate::domain::feed::Period;
use crate::domain::markdown;
use crate::domain::text::{url_encode, url_encode_path};
use crate::error::AppError;
use crate::http::App;
use crate::http::cache::Rendered;
use crate::http::extract::PathParam;
use crate::http::page::Layout;
use crate::http::page::{cached, private_html, render};
use crate::http::session::Viewer;
use crate::web::bibtex::bibtex;
use crate::web::collections::show_save;
use crate::web::fulltext::{show_markdown, show_thumbnail, wants_markdown};
use crate::web::latex;
use crate::web::reading::show_reading;
use crate::web::view::{Card, Link, author_href, byline};

/// The endings of a paper's other pages under `/papers/`.
const PARTS: [&str; 4] = ["/save", "/read", "/thumbnail", ".md"];

/// Similar papers shown under the abstract.
const SIMILAR: usize = 5;

#[derive(Template)]
#[template(path = "paper.html")]
struct PaperPage {
    layout: Layout,
    id: String,
    version: Option<u32>,
    title_html: String,
    title_text: String,
    description: String,
    authors: Vec<PaperAuthor>,
    categories: Vec<String>,
    facts: Vec<(&'static str, String)>,
    feed: Option<Link>,
    byline: String,
    links: Vec<Link>,
    /// Whether the full text is kept: the page offers to read it and to search in it.
    readable: bool,
    upvotes: i64,
    comments: i64,
    abstract_html: String,
    /// The automatic TL;DR and keywords (links to a search), each with who made it; empty
    /// until the annotation job made them.
    tldr: String,
    tldr_by: String,
    keywords: Vec<Link>,
    keywords_by: String,
    bibtex: String,
    similar: Vec<Card>,
    upvoters: Vec<String>,
    /// Upvoters beyond those named.
    more_upvoters: i64,
    thread: Vec<CommentView>,
    /// What the signed-in reader may do here; `None` on the page everyone shares.
    reader: Option<Reader>,
    hidden: bool,
    github_repo: String,
    project_page: String,
}

/// Who made an automatic keyword list or TL;DR, for people, from its stored method
/// (`central-sentence/all-MiniLM-L6-v2`).
fn made_by(method: &str) -> String {
    let (how, model) = method.split_once('/').unwrap_or((method, ""));
    if how == GENERATED {
        return format!("Automatic: written by {model} from the abstract.");
    }
    let how = match how {
        "keybert-mmr" => {
            "the phrases of the title and abstract closest in meaning to the paper, kept diverse"
        }
        "central-sentence" => "the abstract's sentence closest in meaning to the whole paper",
        other => other,
    };
    match model {
        "" => format!("Automatic: {how}."),
        model => format!("Automatic: {how}, by {model}."),
    }
}

/// An author of the paper, with the member verified as them.
struct PaperAuthor {
    link: Link,
    claimed: Option<String>,
}

/// The signed-in reader of a paper page.
struct Reader {
    csrf: String,
    voted: bool,
    /// On the reader's reading list.
    saved: bool,
    moderator: bool,
    /// The submitter or a curator.
    edits_links: bool,
    user_id: UserId,
}

/// One comment in the thread, in reading order, with its depth.
pub struct CommentView {
    pub id: i64,
    pub author: String,
    pub user_id: UserId,
    pub when: String,
    pub edited: bool,
    /// Safe HTML; empty when deleted or hidden.
    pub html: String,
    /// The Markdown, for the author's edit form.
    pub body: String,
    /// "deleted" or "hidden by a curator", when its text is gone.
    pub gone: &'static str,
    pub depth: usize,
}

/// How deep replies indent; deeper ones stay at this depth.
const MAX_DEPTH: usize = 6;

/// Upvoters named on the page.
const UPVOTERS: u64 = 30;

/// `GET /papers/{id}`. A versioned id or an old-style id with a slash works too; a
/// non-canonical spelling redirects to the canonical address. Readers who are not signed in
/// share one cached page; a signed-in reader's page is rendered for them (their vote, their
/// comments' buttons, the forms' token).
pub async fn show_paper(
    State(app): State<App>,
    PathParam(raw): PathParam<String>,
    uri: Uri,
    headers: HeaderMap,
    viewer: Viewer,
) -> Response {
    // A paper's other pages: `/papers/{id}/save`, `/read`, `/thumbnail`, and `/papers/{id}.md`.
    let part = PARTS.iter().find_map(|part| raw.strip_suffix(part).map(|paper| (paper, *part)));
    if let Some((paper, part)) = part {
        let Ok(id) = paper.parse::<ArxivId>() else {
            return AppError::NotFound("There is no such paper.".into()).into_response();
        };
        return match part {
            "/save" => show_save(&app, &id, &viewer).await,
            "/read" => show_reading(&app, &id, &uri, &headers).await,
            "/thumbnail" => show_thumbnail(&app, &id).await,
            _ if id.as_str() != paper => Redirect::permanent(&format!("/papers/{id}.md")).into_response(),
            _ => show_markdown(&app, &id, &uri, &headers).await,
        };
    }
    let id = match ArxivId::from_url_or_id(&raw) {
        Ok((id, _)) => id,
        Err(err) => {
            return AppError::BadRequest(format!("`{}` is not an arXiv id: {err}", clip(&raw)))
                .into_response();
        }
    };
    if id.as_str() != raw {
        return Redirect::permanent(&format!("/papers/{id}")).into_response();
    }
    if wants_markdown(&headers) {
        let key: Uri = format!("/papers/{id}.md").parse().unwrap_or_else(|_| uri.clone());
        return show_markdown(&app, &id, &key, &headers).await;
    }
    match &viewer.session {
        None => {
            let mut page = cached(&app, &uri, &headers, || render_paper(&app, &id, None)).await;
            // The same address answers Markdown to those who ask for it.
            page.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept"));
            page
        }
        Some(session) => match render_paper(&app, &id, Some(session)).await {
            Ok(rendered) => private_html(rendered.status, rendered.body, Some(session)),
            Err(err) => err.into_response(),
        },
    }
}

async fn render_paper(app: &App, id: &ArxivId, session: Option<&Session>) -> Result<Rendered, AppError> {
    let (stored, entry) = app
        .core
        .db
        .paper_with_entry(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Paper {id} is not in this catalog.")))?;
    let moderator = session.is_some_and(|s| s.user.role.moderates());
    if stored.hidden_at.is_some() && !moderator {
        return Err(AppError::Gone(format!("Paper {id} was hidden by the curators.")));
    }
    let similar = match app.core.search.similar(&app.core.db, id, SIMILAR).await {
        Ok(hits) => hits.iter().map(|hit| Card::from_paper(&hit.paper)).collect(),
        Err(err) => {
            tracing::warn!(error = %err, paper = %id, "similar papers unavailable");
            Vec::new()
        }
    };
    let upvoters = app.core.db.upvoters(id, UPVOTERS).await?;
    let full_text = app.core.db.full_text_state(id.as_str()).await?;
    if full_text.is_none() {
        // First viewed: the full-text job fetches it (older papers are queued no other way).
        app.core.db.queue_full_texts(&[id.to_string()], false, chrono::Utc::now()).await?;
    }
    let readable = full_text.as_deref() == Some("ready");
    let thread = thread(app.core.db.comments(id).await?);
    let reader = match session {
        Some(session) => Some(Reader {
            csrf: session.csrf_token.clone(),
            voted: app.core.db.has_voted(session.user.id, id).await?,
            saved: app.core.db.is_saved(session.user.id, id).await?,
            moderator,
            edits_links: moderator
                || entry.as_ref().and_then(|e| e.submitted_by.as_deref()) == Some(session.user.name.as_str())
                || stored.claimed.iter().any(|c| c.user == session.user.name),
            user_id: session.user.id,
        }),
        None => None,
    };
    let paper = &stored.paper;
    let feed = entry.as_ref().map(|entry| {
        let day = Period::Day(entry.feed_date);
        Link::new(day.path(), day.title())
    });
    let byline = entry.as_ref().map(byline).unwrap_or_default();
    let view = PaperPage {
        layout: Layout::new("", format!("{}/papers/{id}", app.core.config.base_url)),
        id: id.to_string(),
        version: paper.version,
        title_html: latex::to_html(&paper.title),
        title_text: paper.title.clone(),
        description: paper.summary.chars().take(200).collect(),
        authors: paper
            .authors
            .iter()
            .enumerate()
            .map(|(i, name)| PaperAuthor {
                link: Link::new(author_href(name), name.clone()),
                claimed: stored.claimed.iter().find(|c| c.position == i).map(|c| c.user.clone()),
            })
            .collect(),
        categories: paper.categories.clone(),
        facts: facts(paper),
        feed,
        byline,
        links: links(paper, stored.stars, readable),
        readable,
        upvotes: stored.upvotes,
        comments: stored.num_comments,
        abstract_html: latex::to_html(&paper.summary),
        tldr: stored.annotation.as_ref().map(|a| a.summary.clone()).unwrap_or_default(),
        tldr_by: stored.annotation.as_ref().map(|a| made_by(&a.summary_method)).unwrap_or_default(),
        keywords: stored
            .annotation
            .iter()
            .flat_map(|a| &a.keywords)
            .map(|phrase| {
                Link::new(format!("/search?q={}", url_encode(&format!("\"{phrase}\""))), phrase.clone())
            })
            .collect(),
        keywords_by: stored.annotation.as_ref().map(|a| made_by(&a.keywords_method)).unwrap_or_default(),
        bibtex: bibtex(paper),
        similar,
        more_upvoters: (stored.upvotes - upvoters.len() as i64).max(0),
        upvoters,
        thread,
        reader,
        hidden: stored.hidden_at.is_some(),
        github_repo: paper.github_repo.clone().unwrap_or_default(),
        project_page: paper.project_page.clone().unwrap_or_default(),
    };
    render(StatusCode::OK, &view)
}

/// Orders comments as a thread: each followed by its replies, oldest first at every level.
fn thread(comments: Vec<Comment>) -> Vec<CommentView> {
    let mut replies: HashMap<Option<i64>, Vec<&Comment>> = HashMap::new();
    for comment in &comments {
        replies.entry(comment.parent_id).or_default().push(comment);
    }
    let mut out = Vec::with_capacity(comments.len());
    let mut stack: Vec<(&Comment, usize)> =
        replies.get(&None).map(|roots| roots.iter().rev().map(|c| (*c, 0)).collect()).unwrap_or_default();
    while let Some((comment, depth)) = stack.pop() {
        let gone = if comment.hidden_at.is_some() {
            "hidden by a curator"
        } else if comment.deleted_at.is_some() {
            "deleted by its author"
        } else {
            ""
        };
        out.push(CommentView {
            id: comment.id,
            author: comment.author.clone(),
            user_id: comment.user_id,
            when: comment.created_at.format("%-d %b %Y, %H:%M UTC").to_string(),
            edited: comment.edited_at.is_some(),
            html: if gone.is_empty() { markdown::to_html(&comment.body) } else { String::new() },
            body: if gone.is_empty() { comment.body.clone() } else { String::new() },
            gone,
            depth: depth.min(MAX_DEPTH),
        });
        if let Some(children) = replies.get(&Some(comment.id)) {
            stack.extend(children.iter().rev().map(|c| (*c, depth + 1)));
        }
    }
    out
}

fn facts(paper: &Paper) -> Vec<(&'static str, String)> {
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%-d %B %Y, %H:%M UTC").to_string();
    let mut facts = Vec::new();
    if let Some(published) = paper.published_at {
        facts.push(("Submitted", time(published)));
    }
    if let Some(updated) = paper.updated_at.filter(|u| Some(*u) != paper.published_at) {
        facts.push(("Last revised", time(updated)));
    }
    if let Some(day) = paper.announce_date {
        facts.push(("Announced", day.format("%-d %B %Y").to_string()));
    }
    for (label, value) in [
        ("Comment", &paper.comment),
        ("Journal reference", &paper.journal_ref),
        ("DOI", &paper.doi),
        ("License", &paper.license),
    ] {
        if let Some(value) = value {
            facts.push((label, value.clone()));
        }
    }
    facts
}

fn links(paper: &Paper, stars: Option<i64>, readable: bool) -> Vec<Link> {
    let id = &paper.id;
    let mut links = Vec::new();
    if readable {
        links.push(Link::new(format!("/papers/{id}/read"), "Read the full text"));
    }
    links.extend([
        Link::new(format!("https://arxiv.org/abs/{id}"), "arXiv page"),
        Link::new(format!("https://arxiv.org/pdf/{id}"), "PDF"),
    ]);
    if let Some(doi) = &paper.doi {
        links.push(Link::new(format!("https://doi.org/{}", url_encode_path(doi)), "DOI"));
    }
    if let Some(Linked { url, found }) = repository(paper) {
        let mut label = if found { "Code (linked in the abstract)".to_owned() } else { "Code".to_owned() };
        if let Some(stars) = stars {
            label += &format!(" ★ {stars}");
        }
        links.push(Link::new(url, label));
    }
    if let Some(Linked { url, found }) = project_page(paper) {
        links.push(Link::new(
            url,
            if found { "Project page (linked in the abstract)" } else { "Project page" },
        ));
    }
    links.push(Link::new(format!("/papers/{id}.md"), "Markdown"));
    links.push(Link::new(format!("/api/papers/{id}"), "JSON"));
    links
}

fn clip(text: &str) -> String {
    text.chars().take(60).collect()
}
