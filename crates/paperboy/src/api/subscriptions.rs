//! Digest subscriptions over the API: subscribe, read, change and end one.
//!
//! `POST /api/subscriptions` with an email starts double opt-in exactly as the site's form does
//! (`202`, the same answer whatever the address); with an API token it subscribes the token's
//! account at once. `/api/subscriptions/current` reads (`GET`), changes (`PATCH`) and ends
//! (`DELETE`) the subscription named by `?token=` (the signed token of every digest's links) or
//! by the API token's account.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::auth::ApiUser;
use crate::actions::subscriptions::CHECK_INBOX;
use crate::db::digests::Subscription;
use crate::digest::links::LinkKey;
use crate::digest::render::Renderer;
use crate::domain::digest::{Changes, Preferences, weekday_name};
use crate::error::AppError;
use crate::http::App;
use crate::http::extract::Body;
use crate::http::extract::TokenQuery;
use crate::http::session::Viewer;

/// A subscription as the API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionJson {
    email: String,
    state: &'static str,
    frequency: &'static str,
    weekday: String,
    hour: u32,
    time_zone: String,
    categories: Vec<String>,
    include_keywords: Vec<String>,
    exclude_keywords: Vec<String>,
    mode: &'static str,
    papers_per_email: u32,
    next_digest_at: Option<String>,
    manage_url: String,
    unsubscribe_url: String,
}

async fn to_json(app: &App, subscription: Subscription) -> Result<SubscriptionJson, AppError> {
    let renderer = Renderer::new(
        &app.core.config.base_url,
        LinkKey::load(&app.core.db).await?,
        &app.core.config.mail.from,
    );
    let prefs = subscription.prefs;
    Ok(SubscriptionJson {
        manage_url: renderer.manage_url(subscription.id, &subscription.email),
        unsubscribe_url: renderer.unsubscribe_url(subscription.id, &subscription.email),
        email: subscription.email,
        state: subscription.state.as_str(),
        frequency: prefs.frequency.as_str(),
        weekday: weekday_name(prefs.weekday).to_lowercase(),
        hour: prefs.hour,
        time_zone: prefs.time_zone.name().to_owned(),
        categories: prefs.categories,
        include_keywords: prefs.include,
        exclude_keywords: prefs.exclude,
        mode: prefs.mode.as_str(),
        papers_per_email: prefs.papers_per_email,
        next_digest_at: subscription.next_due_at.map(super::json::iso_millis),
    })
}

/// Splits `email` off a JSON body and reads the rest as settings.
fn read_body(body: serde_json::Value) -> Result<(Option<String>, Changes), AppError> {
    let serde_json::Value::Object(mut fields) = body else {
        return Err(AppError::BadRequest("the body must be a JSON object".into()));
    };
    let email = match fields.remove("email") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(email)) => Some(email),
        Some(_) => return Err(AppError::BadRequest("email must be a string".into())),
    };
    let changes = serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|err| AppError::BadRequest(format!("settings: {err}")))?;
    Ok((email, changes))
}

/// `POST /api/subscriptions`.
pub async fn subscribe(
    State(app): State<App>,
    headers: HeaderMap,
    viewer: Viewer,
    Body(body): Body<serde_json::Value>,
) -> Result<Response, AppError> {
    let (email, changes) = read_body(body)?;
    if let Some(ApiUser(user)) = ApiUser::optional(&headers, &app).await? {
        if email.as_deref().is_some_and(|email| !email.trim().eq_ignore_ascii_case(&user.email)) {
            return Err(AppError::BadRequest(
                "with an API token, the subscription is the account's: leave email out".into(),
            ));
        }
        let subscription = app.core.subscriptions().subscribe_member(&user, &changes).await?;
        return Ok((StatusCode::OK, Json(to_json(&app, subscription).await?)).into_response());
    }
    let Some(email) = email else {
        return Err(AppError::BadRequest(
            "email is required (or an API token, to subscribe its account)".into(),
        ));
    };
    app.core.subscriptions().ask(viewer.address, &email, &changes).await?;
    let answer = serde_json::json!({ "status": "confirmation_sent", "message": CHECK_INBOX });
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

/// The subscription `?token=` or the API token names; 404 (the same for every bad token) or
/// 401 without either.
async fn current(app: &App, headers: &HeaderMap, query: &TokenQuery) -> Result<Subscription, AppError> {
    if let Some(token) = &query.token {
        return app.core.subscriptions().open(token).await?.ok_or_else(|| {
            AppError::NotFound("this subscription token is not valid: use the link from a digest".into())
        });
    }
    let Some(ApiUser(user)) = ApiUser::optional(headers, app).await? else {
        return Err(AppError::Unauthorized(
            "name the subscription with ?token= (from a digest's links) or an API token".into(),
        ));
    };
    app.core
        .subscriptions()
        .of_member(&user)
        .await?
        .ok_or_else(|| AppError::NotFound("this account has no subscription: POST /api/subscriptions".into()))
}

/// `GET /api/subscriptions/current`.
pub async fn show(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Result<Json<SubscriptionJson>, AppError> {
    let subscription = current(&app, &headers, &query).await?;
    Ok(Json(to_json(&app, subscription).await?))
}

/// `PATCH /api/subscriptions/current`: the fields sent replace the current settings.
pub async fn change(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
    Body(body): Body<serde_json::Value>,
) -> Result<Json<SubscriptionJson>, AppError> {
    let subscription = current(&app, &headers, &query).await?;
    let (email, changes) = read_body(body)?;
    if email.is_some() {
        return Err(AppError::BadRequest(
            "the address of a subscription cannot change: subscribe the new one".into(),
        ));
    }
    let prefs: Preferences = subscription.prefs.with(&changes).map_err(AppError::BadRequest)?;
    let saved = app.core.db.set_preferences(subscription.id, &prefs).await?;
    Ok(Json(to_json(&app, saved).await?))
}

/// `DELETE /api/subscriptions/current`: unsubscribes; repeating it changes nothing.
pub async fn end(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Result<Json<SubscriptionJson>, AppError> {
    let subscription = current(&app, &headers, &query).await?;
    app.core.db.unsubscribe(subscription.id, "API").await?;
    let ended = app.core.db.subscription(subscription.id).await?.unwrap_or(subscription);
    Ok(Json(to_json(&app, ended).await?))
}
