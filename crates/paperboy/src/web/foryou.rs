//! `GET /papers/for-you`: the recent feed (its last [`WINDOW_DAYS`] days) ranked for the
//! signed-in member by what they upvoted and saved ([`crate::domain::recommend`]), each paper
//! with the one it is close to. Made for one member, so never cached; a member who has liked
//! nothing yet is told how to start.

use std::collections::HashSet;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Days;

use crate::db::feed::{FeedOrder, FeedQuery};
use crate::db::users::User;
use crate::domain::recommend::{MIN_FOR_MODEL, Method, Text, rank};
use crate::error::AppError;
use crate::http::App;
use crate::http::page::{Layout, private_page};
use crate::http::session::Viewer;
use crate::web::view::Card;

/// The days of the feed the page ranks, ending with the newest.
pub const WINDOW_DAYS: u64 = 14;
/// Liked papers the ranking reads, newest first.
const LIKED: i64 = 200;
/// Feed papers ranked at most, and shown.
const CANDIDATES: u64 = 3_000;
const SHOWN: usize = 50;

#[derive(Template)]
#[template(path = "for-you.html")]
struct ForYouPage {
    layout: Layout,
    liked: usize,
    /// Whether a model of the member's taste was trained.
    model: bool,
    picks: Vec<Pick>,
    window_days: u64,
}

struct Pick {
    card: Card,
    reason: String,
}

/// What a paper is ranked by.
fn text(paper: &paperboy_arxiv::Paper) -> Text<'_> {
    Text { title: &paper.title, summary: &paper.summary }
}

/// `GET /papers/for-you`.
pub async fn show_for_you(State(app): State<App>, viewer: Viewer) -> Response {
    let Some(session) = &viewer.session else {
        return Redirect::to("/login?next=%2Fpapers%2Ffor-you").into_response();
    };
    match for_you(&app, &session.user).await {
        Ok(page) => private_page(StatusCode::OK, &page, Some(session)),
        Err(err) => err.into_response(),
    }
}

async fn for_you(app: &App, user: &User) -> Result<ForYouPage, AppError> {
    let db = &app.core.db;
    let liked = db.liked_papers(user.id, LIKED).await?;
    let ids: Vec<String> = liked.iter().map(|l| l.id.clone()).collect();
    let liked_papers = db.get_papers_with_entries(&ids).await?;
    let candidates = match db.latest_feed_date().await? {
        Some(last) if !liked_papers.is_empty() => {
            let query = FeedQuery {
                first: Some(last - Days::new(WINDOW_DAYS - 1)),
                last: Some(last),
                ..FeedQuery::all(FeedOrder::Newest, 0, CANDIDATES)
            };
            let liked_ids: HashSet<&str> = ids.iter().map(String::as_str).collect();
            db.feed(&query)
                .await?
                .into_iter()
                .filter(|item| !liked_ids.contains(item.paper.paper.id.as_str()))
                .collect()
        }
        _ => Vec::new(),
    };
    let liked_texts: Vec<Text<'_>> = liked_papers.iter().map(|(stored, _)| text(&stored.paper)).collect();
    let candidate_texts: Vec<Text<'_>> = candidates.iter().map(|item| text(&item.paper.paper)).collect();
    let upvotes: Vec<i64> = candidates.iter().map(|item| item.paper.upvotes).collect();
    let ranked = rank(&liked_texts, &candidate_texts, &upvotes, Method::Full);
    let picks = ranked
        .iter()
        .take(SHOWN)
        .map(|r| {
            let (because, _) = &liked_papers[r.because];
            let how = liked.iter().find(|l| l.id == because.paper.id.as_str()).is_some_and(|l| l.saved);
            Pick {
                card: Card::from_feed(&candidates[r.candidate]),
                reason: format!(
                    "Close to “{}”, which you {}.",
                    because.paper.title,
                    if how { "saved" } else { "upvoted" }
                ),
            }
        })
        .collect();
    Ok(ForYouPage {
        layout: Layout::new("", format!("{}/papers/for-you", app.core.config.base_url)),
        liked: liked_papers.len(),
        model: liked_papers.len() >= MIN_FOR_MODEL,
        picks,
        window_days: WINDOW_DAYS,
    })
}
