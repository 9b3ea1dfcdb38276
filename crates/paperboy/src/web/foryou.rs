//! `GET /papers/for-you`: the signed-in member's "for you" list ([`crate::actions::foryou`]),
//! each paper with the one it is close to. Made for one member, so never cached; a member who
//! has liked nothing yet is told how to start.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::actions::foryou::{WINDOW_DAYS, for_you};
use crate::db::users::User;
use crate::error::AppError;
use crate::http::App;
use crate::http::page::{Layout, private_page};
use crate::http::session::Viewer;
use crate::web::view::{Card, byline};

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

/// `GET /papers/for-you`.
pub async fn show_for_you(State(app): State<App>, viewer: Viewer) -> Response {
    let Some(session) = &viewer.session else {
        return Redirect::to("/login?next=%2Fpapers%2Ffor-you").into_response();
    };
    match page(&app, &session.user).await {
        Ok(page) => private_page(StatusCode::OK, &page, Some(session)),
        Err(err) => err.into_response(),
    }
}

async fn page(app: &App, user: &User) -> Result<ForYouPage, AppError> {
    let list = for_you(&app.core.db, user).await?;
    let picks = list
        .picks
        .into_iter()
        .map(|pick| {
            let card = Card::from_paper(&pick.paper);
            Pick {
                card: Card { byline: pick.entry.as_ref().map(byline).unwrap_or(card.byline.clone()), ..card },
                reason: pick.reason(),
            }
        })
        .collect();
    Ok(ForYouPage {
        layout: Layout::new("", format!("{}/papers/for-you", app.core.config.base_url)),
        liked: list.liked,
        model: list.model,
        picks,
        window_days: WINDOW_DAYS,
    })
}
