//! `GET /users/{name}`: a member's profile: the bio and links they set (text, and addresses
//! checked when saved, shown `nofollow`), the author names they are verified as, the papers they
//! wrote and submitted, their public collections, and their latest comments. Kept in the page cache like other pages; what
//! changes a profile moves the catalog clock.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use crate::db::claims::ClaimStatus;
use crate::db::feed::{FeedOrder, FeedQuery};
use crate::domain::accounts::Role;
use crate::error::AppError;
use crate::http::App;
use crate::http::extract::PathParam;
use crate::http::page::{Layout, cached, render};
use crate::web::view::{Card, Link, author_href};

/// Papers, submissions and comments a profile shows.
const SHOWN: u32 = 50;
const COMMENTS: u32 = 20;
/// Characters of a comment a profile shows.
const COMMENT_CHARS: usize = 200;

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    layout: Layout,
    name: String,
    since: String,
    curator: bool,
    bio: String,
    links: Vec<String>,
    author_names: Vec<Link>,
    papers: Vec<Card>,
    submissions: Vec<Card>,
    /// Public collections, in the member's order, with their sizes.
    collections: Vec<(Link, i64)>,
    comments: Vec<CommentLine>,
}

struct CommentLine {
    href: String,
    paper_title: String,
    excerpt: String,
    when: String,
}

/// `GET /users/{name}`.
pub async fn show_profile(
    State(app): State<App>,
    PathParam(name): PathParam<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    cached(&app, &uri, &headers, || async {
        let db = &app.core.db;
        let shown: String = name.chars().take(40).collect();
        let user = db
            .user_by_name(&name)
            .await?
            .filter(|user| user.confirmed)
            .ok_or_else(|| AppError::NotFound(format!("There is no member called {shown}.")))?;
        let profile = db.profile(user.id).await?;
        let mut author_names: Vec<Link> = Vec::new();
        for claim in db.claims_of(user.id, 200).await? {
            let verified = claim.status == ClaimStatus::Verified;
            if verified && !author_names.iter().any(|link| link.label == claim.name) {
                author_names.push(Link::new(author_href(&claim.name), claim.name));
            }
        }
        let ids = db.claimed_paper_ids(user.id, 0, u64::from(SHOWN)).await?;
        let papers = db.get_papers_with_entries(&ids).await?;
        let submitted = FeedQuery {
            submitter: Some(user.name.clone()),
            ..FeedQuery::all(FeedOrder::Newest, 0, u64::from(SHOWN))
        };
        let submissions = db.feed(&submitted).await?;
        let collections = db
            .collections_of(user.id, None)
            .await?
            .iter()
            .map(|c| (Link::new(c.href(), c.title.clone()), c.items))
            .collect();
        let comments = db
            .comments_by(user.id, COMMENTS)
            .await?
            .into_iter()
            .map(|c| CommentLine {
                href: format!("/papers/{}#comment-{}", c.paper_id, c.id),
                paper_title: c.title,
                excerpt: excerpt(&c.body),
                when: c.created_at.format("%-d %b %Y").to_string(),
            })
            .collect();
        let view = ProfilePage {
            layout: Layout::new("", format!("{}/users/{}", app.core.config.base_url, user.name)),
            since: user.created_at.format("%B %Y").to_string(),
            curator: user.role >= Role::Curator,
            bio: profile.bio,
            links: profile.links,
            author_names,
            papers: papers.iter().map(|(paper, _)| Card::from_paper(paper)).collect(),
            submissions: submissions.iter().map(Card::from_feed).collect(),
            collections,
            comments,
            name: user.name,
        };
        render(StatusCode::OK, &view)
    })
    .await
}

/// The start of a comment's Markdown as plain words, for a list.
fn excerpt(body: &str) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= COMMENT_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(COMMENT_CHARS).collect();
    format!("{}…", cut.trim_end())
}
