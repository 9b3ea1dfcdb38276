//! The site: pages rendered on the server from templates compiled into the binary
//! (`templates/`), which work without JavaScript and are kept in the page cache until the
//! catalog changes; RSS and Atom feeds; the account, community and digest forms; the static
//! files. The JSON API is its sibling, [`crate::api`]; what both share is [`crate::http`].

pub mod account;
pub mod assets;
pub mod authors;
pub mod bibtex;
pub mod collections;
pub mod community;
pub mod digest;
pub mod feeds;
pub mod form;
pub mod foryou;
pub mod fulltext;
pub mod latex;
pub mod pages;
pub mod paper;
pub mod profiles;
pub mod reading;
pub mod search;
pub mod view;

use axum::Router;
use axum::routing::{get, post};

use crate::http::App;

/// The site's routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(pages::show_latest))
        .route("/papers", get(pages::show_latest))
        .route("/papers/date/{date}", get(pages::show_day))
        .route("/papers/week", get(pages::latest_week))
        .route("/papers/week/{week}", get(pages::show_week))
        .route("/papers/month", get(pages::latest_month))
        .route("/papers/month/{month}", get(pages::show_month))
        .route("/papers/trending", get(pages::show_trending))
        .route("/papers/trending/code", get(pages::show_trending_code))
        .route("/papers/for-you", get(foryou::show_for_you))
        .route("/papers/{*id}", get(paper::show_paper).post(community::act_on_paper))
        .route("/comments/{id}/{action}", post(community::act_on_comment))
        .route("/claims/{id}/{action}", post(community::decide_claim))
        .route("/submit", get(community::show_submit).post(community::submit_paper))
        .route("/search", get(search::show_search))
        .route("/categories/{category}", get(pages::show_category))
        .route("/authors/{name}", get(authors::show_author))
        .route("/users/{name}", get(profiles::show_profile))
        .route("/collections", get(collections::show_collections).post(collections::create_collection))
        .route("/collections/{owner}/{file}", get(collections::show_collection))
        .route("/collections/{owner}/{slug}/{action}", post(collections::act_on_collection))
        .route("/reading-list", get(collections::show_reading_list))
        .route("/about", get(pages::show_about))
        .route("/signup", get(account::show_sign_up).post(account::create_account))
        .route("/login", get(account::show_login).post(account::create_session))
        .route("/login/link", post(account::request_login_link))
        .route("/logout", post(account::delete_session))
        .route("/password/forgot", get(account::show_forgot_password).post(account::request_reset_link))
        .route("/links/{purpose}", get(account::show_link).post(account::use_link))
        .route("/settings", get(account::show_settings))
        .route("/settings/profile", post(account::save_profile))
        .route("/settings/tokens", post(account::create_token))
        .route("/settings/tokens/{id}/revoke", post(account::revoke_token))
        .route("/moderation", get(account::show_moderation_log))
        .route("/subscribe", get(digest::show_subscribe).post(digest::subscribe))
        .route("/subscription", get(digest::show_settings).post(digest::save_settings))
        .route("/subscription/confirm", get(digest::show_confirm).post(digest::confirm))
        .route("/unsubscribe", get(digest::show_unsubscribe).post(digest::unsubscribe))
        .route("/settings/digest", get(digest::show_account_digest).post(digest::save_account_digest))
        .route("/settings/digest/unsubscribe", post(digest::unsubscribe_account))
        .route("/feeds/{file}", get(feeds::show_feed))
        .route("/feeds/categories/{file}", get(feeds::show_category_feed))
        .route("/feeds/authors/{file}", get(feeds::show_author_feed))
        .route("/feeds/collections/{owner}/{file}", get(feeds::show_collection_feed))
        .route("/static/{file}", get(assets::show_asset))
}
