//! `GET /papers/for-you`: the recent feed (its last [`WINDOW_DAYS`] days) ranked for the
//! signed-in member by what they upvoted and saved ([`crate::domain::recommend`]), each paper
//! with the one it is close to. Made for one member, so never cached; a member who has liked
//! nothing yet is told how to start.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Days;

use crate::db::feed::FeedText;
use crate::db::papers::StoredPaper;
use crate::db::users::User;
use crate::domain::feed::FeedEntry;
use crate::domain::recommend::{MIN_FOR_MODEL, Method, Ranked, Text, rank};
use crate::error::AppError;
use crate::http::App;
use crate::http::page::{Layout, private_page};
use crate::http::session::Viewer;
use crate::web::view::{Card, byline};

/// The days of the feed the page ranks, ending with the newest.
pub const WINDOW_DAYS: u64 = 14;
/// Liked papers the ranking reads, the most recently liked first: recent interests, and a
/// bound on the work (each candidate is compared with each of them).
const LIKED: i64 = 50;
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
    let candidates: Vec<FeedText> = match db.latest_feed_date().await? {
        Some(last) if !liked_papers.is_empty() => {
            let first = last - Days::new(WINDOW_DAYS - 1);
            let liked_ids: HashSet<&str> = ids.iter().map(String::as_str).collect();
            let texts = db.feed_texts(first, last, CANDIDATES).await?;
            texts.into_iter().filter(|paper| !liked_ids.contains(paper.id.as_str())).collect()
        }
        _ => Vec::new(),
    };
    let liked_texts: Vec<Text<'_>> = liked_papers.iter().map(|(stored, _)| text(&stored.paper)).collect();
    let candidate_texts: Vec<Text<'_>> =
        candidates.iter().map(|paper| Text { title: &paper.title, summary: &paper.summary }).collect();
    let upvotes: Vec<i64> = candidates.iter().map(|paper| paper.upvotes).collect();
    let ranked: Vec<Ranked> =
        rank(&liked_texts, &candidate_texts, &upvotes, Method::Full).into_iter().take(SHOWN).collect();
    // Only the papers shown are read whole, with their entries, authors' claims and stars.
    let shown_ids: Vec<String> = ranked.iter().map(|r| candidates[r.candidate].id.clone()).collect();
    let mut shown: HashMap<String, (StoredPaper, Option<FeedEntry>)> = db
        .get_papers_with_entries(&shown_ids)
        .await?
        .into_iter()
        .map(|(stored, entry)| (stored.paper.id.to_string(), (stored, entry)))
        .collect();
    let picks = ranked
        .iter()
        .filter_map(|r| Some((r, shown.remove(&candidates[r.candidate].id)?)))
        .map(|(r, (stored, entry))| {
            let (because, _) = &liked_papers[r.because];
            let saved = liked.iter().find(|l| l.id == because.paper.id.as_str()).is_some_and(|l| l.saved);
            let card = Card::from_paper(&stored);
            Pick {
                card: Card { byline: entry.as_ref().map(byline).unwrap_or(card.byline.clone()), ..card },
                reason: format!(
                    "Close to “{}”, which you {}.",
                    because.paper.title,
                    if saved { "saved" } else { "upvoted" }
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
