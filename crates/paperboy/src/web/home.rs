//! `GET /`: the newest announcement day's papers, as plain server-rendered HTML.
//!
//! A deliberately small page so that a fresh install shows its catalog; the full site (feeds,
//! paper pages, search, templates) replaces it.

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use paperboy_search::escape_html;

use crate::app::AppState;
use crate::error::AppError;

/// Papers listed on the page at most.
const PAGE_SIZE: u32 = 200;

pub async fn show_home(State(app): State<AppState>) -> Result<impl IntoResponse, AppError> {
    let total = app.db.count_papers().await?;
    let mut body = String::with_capacity(64 << 10);
    body.push_str(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\"><title>Paperboy</title></head>\
         <body><header><h1>Paperboy</h1></header><main>",
    );
    match app.db.latest_announce_date().await? {
        None => {
            body.push_str("<p>The catalog is empty. Import papers with <code>paperboy import</code>.</p>")
        }
        Some(date) => {
            let papers = app.db.papers_announced_on(date, PAGE_SIZE).await?;
            let _ = write!(
                body,
                "<p>{total} papers in the catalog. Announced on {date}: {} shown.</p><ol>",
                papers.len()
            );
            for stored in papers {
                let paper = &stored.paper;
                let id = escape_html(paper.id.as_str());
                let _ = write!(
                    body,
                    "<li><a href=\"https://arxiv.org/abs/{id}\">{}</a> <small>({id}, \
                     <a href=\"/api/papers/{id}\">JSON</a>)</small><br>{}</li>",
                    escape_html(&paper.title),
                    escape_html(&paper.authors.join(", "))
                );
            }
            body.push_str("</ol>");
        }
    }
    body.push_str("</main></body></html>");
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body))
}
