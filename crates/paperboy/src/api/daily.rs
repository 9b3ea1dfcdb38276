//! `GET /api/daily_papers`: the daily feed in Hugging Face's item shape, by day, ISO week or
//! month, by submitter, sorted, paged, with `Link: rel="next"`.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;

use super::json::DailyItemJson;
use super::paging::{next_link, parse_limit, parse_page};
use crate::db::feed::{FeedOrder, FeedQuery};
use crate::domain::feed::Period;
use crate::error::AppError;
use crate::http::App;
use crate::http::extract::Params;

/// Items per page unless `limit` says otherwise, and the most it may say.
const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 100;

#[derive(Debug, Default, Deserialize)]
pub struct DailyParams {
    date: Option<String>,
    week: Option<String>,
    month: Option<String>,
    submitter: Option<String>,
    sort: Option<String>,
    p: Option<String>,
    limit: Option<String>,
}

/// `GET /api/daily_papers`.
pub async fn list_daily_papers(
    State(app): State<App>,
    RawQuery(raw): RawQuery,
    params: Params<DailyParams>,
) -> Result<Response, AppError> {
    let params = params.0;
    let limit = parse_limit(params.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let page = parse_page(params.p.as_deref())?;
    let today = Utc::now().date_naive();
    let chosen: Vec<Period> = [
        params.date.as_deref().map(Period::parse_day_or_time),
        params.week.as_deref().map(Period::parse_week),
        params.month.as_deref().map(Period::parse_month),
    ]
    .into_iter()
    .flatten()
    .collect::<Result<_, _>>()
    .map_err(|e| AppError::BadRequest(e.to_string()))?;
    if chosen.len() > 1 {
        return Err(AppError::BadRequest("give one of date, week and month, not several".into()));
    }
    let period = chosen.first().copied();
    if let Some(period) = period
        && period.is_after(today)
    {
        return Err(AppError::BadRequest(format!("{} is in the future", period.slug())));
    }
    let order = match params.sort.as_deref() {
        None if period.is_some() => FeedOrder::Upvotes,
        None | Some("publishedAt") => FeedOrder::Newest,
        Some("trending") => FeedOrder::Trending,
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "unknown sort `{}`: use publishedAt or trending",
                other.chars().take(40).collect::<String>()
            )));
        }
    };
    let (first, last) = match period {
        Some(period) => (Some(period.first_day()), Some(period.last_day())),
        None => (None, None),
    };
    // Without a period, `sort=trending` lists what trends now, as the trending page does.
    let trending_only = period.is_none() && order == FeedOrder::Trending;
    let submitter = params.submitter.filter(|s| !s.is_empty());
    if submitter.as_ref().is_some_and(|s| s.chars().count() > 100) {
        return Err(AppError::BadRequest("submitter names are at most 100 characters".into()));
    }
    let query =
        FeedQuery { first, last, submitter, trending_only, ..FeedQuery::all(order, page * limit, limit + 1) };
    let mut items = app.core.db.feed(&query).await?;
    let more = items.len() as u64 > limit;
    items.truncate(limit as usize);
    let items: Vec<DailyItemJson> = items.into_iter().map(DailyItemJson::from).collect();
    let mut response = Json(items).into_response();
    if more {
        let link = next_link(
            &app.core.config.base_url,
            "/api/daily_papers",
            raw.as_deref(),
            "p",
            &(page + 1).to_string(),
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}
