//! The site's community forms: vote, comment, edit and delete a comment, submit a paper, and the
//! curators' actions, authorship claims and their verdicts. They post to the paper's own address
//! (`/papers/{id}/vote`, `/save`, `/comments`, `/links`, `/claim`, `/hide`, `/feature`), to
//! `/comments/{id}/{edit,delete,hide}`, `/claims/{id}/{verify,reject}` and to `/submit`.
//!
//! Without JavaScript a form posts and the browser is sent back to the paper (`303 See Other`).
//! With it, `static/app.js` posts the vote form with `Accept: application/json` and updates the
//! button in place; errors then come as JSON too. A visitor who is not signed in is sent to the
//! sign-in page, and back afterwards. The rules are in [`crate::actions::community`].

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use paperboy_arxiv::ArxivId;
use serde::Deserialize;

use crate::error::AppError;
use crate::http::App;
use crate::http::error::sentence;
use crate::http::extract::{FormData, PathParam};
use crate::http::session::Viewer;
use crate::web::collections::back_to;
use crate::web::form::{Field, FormPage, FormSpec, refused};

/// Every field the community forms send.
#[derive(Debug, Default, Deserialize)]
pub struct ActionForm {
    csrf: Option<String>,
    /// "1" to upvote or hide, "0" to take the vote back or show again.
    up: Option<String>,
    hidden: Option<String>,
    body: Option<String>,
    parent: Option<String>,
    reason: Option<String>,
    github_repo: Option<String>,
    project_page: Option<String>,
    date: Option<String>,
    paper: Option<String>,
    comment: Option<String>,
    /// The author a claim names, "1" to claim every paper under the name, and the member it is
    /// for, when a form says (it must be the one who sends it).
    author: Option<String>,
    all: Option<String>,
    user: Option<String>,
    /// "1" to put the paper on the reading list, "0" to take it off; and where to go after.
    saved: Option<String>,
    next: Option<String>,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}

/// An error, answered as JSON to the script and as a page otherwise; a visitor who is not
/// signed in goes to the sign-in page instead, and back afterwards.
fn fail(err: AppError, json: bool, back: &str) -> Response {
    match json {
        true => err.into_response(),
        false => refused(err, back),
    }
}

fn flag(value: Option<&str>) -> Result<bool, AppError> {
    match value {
        Some("1") => Ok(true),
        Some("0") => Ok(false),
        _ => Err(AppError::BadRequest("the form is incomplete: reload the page and try again".into())),
    }
}

/// `POST /papers/{id}/{action}`.
pub async fn act_on_paper(
    State(app): State<App>,
    PathParam(path): PathParam<String>,
    headers: HeaderMap,
    viewer: Viewer,
    FormData(form): FormData<ActionForm>,
) -> Response {
    let json = wants_json(&headers);
    let Some((raw_id, action)) = path.rsplit_once('/') else {
        return AppError::NotFound("There is no such page.".into()).into_response();
    };
    let Ok(id) = raw_id.parse::<ArxivId>() else {
        return AppError::NotFound("There is no such paper.".into()).into_response();
    };
    let back = format!("/papers/{id}");
    let result = async {
        let user = viewer.require_user()?;
        viewer.check_csrf(form.csrf.as_deref())?;
        match action {
            "vote" => {
                let count = app.core.community().vote(user, &id, flag(form.up.as_deref())?).await?;
                Ok(if json {
                    Json(serde_json::json!({ "upvotes": count.upvotes, "voted": count.voted }))
                        .into_response()
                } else {
                    Redirect::to(&back).into_response()
                })
            }
            "save" => {
                let saved = flag(form.saved.as_deref())?;
                app.core.community().save(user, &id, saved).await?;
                Ok(if json {
                    Json(serde_json::json!({ "saved": saved })).into_response()
                } else {
                    Redirect::to(&back_to(form.next.as_deref(), back.clone())).into_response()
                })
            }
            "comments" => {
                let parent = match form.parent.as_deref().filter(|p| !p.is_empty()) {
                    Some(text) => Some(
                        text.parse::<i64>().map_err(|_| AppError::BadRequest("bad reply target".into()))?,
                    ),
                    None => None,
                };
                let comment = app
                    .core
                    .community()
                    .comment(user, &id, parent, form.body.as_deref().unwrap_or_default())
                    .await?;
                Ok(Redirect::to(&format!("{back}#comment-{comment}")).into_response())
            }
            "links" => {
                app.core
                    .community()
                    .set_links(user, &id, form.github_repo.as_deref(), form.project_page.as_deref())
                    .await?;
                Ok(Redirect::to(&back).into_response())
            }
            "claim" => {
                let name = form.author.as_deref().unwrap_or_default();
                let all = form.all.as_deref() == Some("1");
                app.core.community().claim(user, &id, name, all, form.user.as_deref()).await?;
                Ok(Redirect::to(&format!("/users/{}", user.name)).into_response())
            }
            "hide" => {
                app.core
                    .community()
                    .hide_paper(user, &id, flag(form.hidden.as_deref())?, form.reason.as_deref())
                    .await?;
                Ok(Redirect::to(&back).into_response())
            }
            "feature" => {
                let date = match form.date.as_deref().filter(|d| !d.is_empty()) {
                    Some(text) => Some(text.parse::<NaiveDate>().map_err(|_| {
                        AppError::BadRequest(format!("`{text}` is not a date: use YYYY-MM-DD"))
                    })?),
                    None => None,
                };
                app.core.community().feature(user, &id, date).await?;
                Ok(Redirect::to(&back).into_response())
            }
            _ => Err(AppError::NotFound("there is no such page".into())),
        }
    }
    .await;
    result.unwrap_or_else(|err| fail(err, json, &back))
}

/// `POST /comments/{id}/{edit,delete,hide}`.
pub async fn act_on_comment(
    State(app): State<App>,
    path: Result<Path<(i64, String)>, PathRejection>,
    headers: HeaderMap,
    viewer: Viewer,
    FormData(form): FormData<ActionForm>,
) -> Response {
    let Ok(Path((comment, action))) = path else {
        return AppError::NotFound("There is no such comment.".into()).into_response();
    };
    let json = wants_json(&headers);
    let result = async {
        let user = viewer.require_user()?;
        viewer.check_csrf(form.csrf.as_deref())?;
        let paper = match action.as_str() {
            "edit" => {
                app.core
                    .community()
                    .change_comment(user, comment, Some(form.body.as_deref().unwrap_or_default()))
                    .await?
            }
            "delete" => app.core.community().change_comment(user, comment, None).await?,
            "hide" => app.core.community().hide_comment(user, comment, form.reason.as_deref()).await?,
            _ => return Err(AppError::NotFound("there is no such page".into())),
        };
        Ok(Redirect::to(&format!("/papers/{paper}#comments")).into_response())
    }
    .await;
    result.unwrap_or_else(|err| fail(err, json, "/"))
}

/// `POST /claims/{id}/{verify,reject}`: a curator's verdict on an authorship claim.
pub async fn decide_claim(
    State(app): State<App>,
    path: Result<Path<(i64, String)>, PathRejection>,
    viewer: Viewer,
    FormData(form): FormData<ActionForm>,
) -> Response {
    let Ok(Path((claim, action))) = path else {
        return AppError::NotFound("There is no such claim.".into()).into_response();
    };
    let result = async {
        let user = viewer.require_user()?;
        viewer.check_csrf(form.csrf.as_deref())?;
        let verify = match action.as_str() {
            "verify" => true,
            "reject" => false,
            _ => return Err(AppError::NotFound("there is no such page".into())),
        };
        app.core.community().decide_claim(user, claim, verify).await?;
        Ok(Redirect::to("/moderation#claims").into_response())
    }
    .await;
    result.unwrap_or_else(|err| fail(err, false, "/moderation"))
}

fn submit_page(app: &App, csrf: String, form: &ActionForm) -> FormPage {
    let rules = app.core.config.submissions;
    let mut page = FormPage::new(app, "/submit", "Submit a paper", csrf);
    page.intros.push(format!(
        "Put a paper on today's daily feed for others to read and upvote. It must have been first \
         published on arXiv within the last {} days; you may submit {} papers a day.",
        rules.window_days, rules.daily_cap
    ));
    page.forms.push(FormSpec {
        id: "submit",
        action: "/submit".into(),
        legend: None,
        hidden: Vec::new(),
        fields: vec![
            Field::new("paper", "arXiv id or address", "text", "off")
                .value(form.paper.as_deref())
                .max(200)
                .hint("For example 2501.00001 or https://arxiv.org/abs/2501.00001"),
            Field::new("comment", "First comment (optional, Markdown)", "textarea", "off")
                .value(form.comment.as_deref())
                .max(10_000)
                .optional(),
        ],
        submit: "Submit",
    });
    page
}

/// `GET /submit`.
pub async fn show_submit(State(app): State<App>, viewer: Viewer) -> Response {
    match &viewer.session {
        Some(session) => submit_page(&app, session.csrf_token.clone(), &ActionForm::default())
            .respond(StatusCode::OK, None),
        None => Redirect::to("/login?next=/submit").into_response(),
    }
}

/// `POST /submit`: on to the paper's page, or the form again with what went wrong.
pub async fn submit_paper(
    State(app): State<App>,
    viewer: Viewer,
    FormData(form): FormData<ActionForm>,
) -> Response {
    let result = async {
        let user = viewer.require_user()?;
        viewer.check_csrf(form.csrf.as_deref())?;
        app.core
            .community()
            .submit(user, form.paper.as_deref().unwrap_or_default(), form.comment.as_deref())
            .await
    }
    .await;
    match result {
        Ok((id, _)) => Redirect::to(&format!("/papers/{id}")).into_response(),
        Err(AppError::Unauthorized(_)) => Redirect::to("/login?next=/submit").into_response(),
        Err(err @ (AppError::Db(_) | AppError::Internal(_))) => err.into_response(),
        Err(err) => {
            let mut page =
                submit_page(&app, viewer.csrf_token().unwrap_or_default().to_owned(), &form).seen_by(&viewer);
            page.error = Some(sentence(&err.to_string()));
            page.respond(err.status(), None)
        }
    }
}
