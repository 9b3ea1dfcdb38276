//! `GET /api/daily_papers`: the daily feed in Hugging Face's item shape, by day, ISO week or
//! month, by submitter, sorted, paged, with `Link: rel="next"`.

use aide::generate::GenContext;
use aide::openapi::{
    Operation, Parameter, ParameterData, ParameterSchemaOrContent, QueryStyle, SchemaObject,
};
use aide::operation::{OperationInput, add_parameters};
use aide::transform::TransformOperation;
use axum::extract::{FromRequestParts, OriginalUri, Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use chrono::Utc;
use schemars::JsonSchema;
use serde::Deserialize;

use super::cached::Cached;
use super::contract::{DATE, DATE_TIME, MONTH, WEEK, matches, names, variant};
use super::json::DailyItemJson;
use super::paging::{MAX_PAGE, Paged, next_link, parse_limit, parse_page};
use crate::db::feed::{FeedOrder, FeedQuery};
use crate::domain::feed::{Period, PeriodError};
use crate::error::AppError;
use crate::http::App;
use crate::http::error::errors;
use crate::http::extract::{Params, no_null};

/// Items per page unless `limit` says otherwise, and the most it may say.
const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 100;

/// How the feed is ordered.
#[derive(Deserialize, JsonSchema)]
enum DailySort {
    /// The latest to join first (the default without a period).
    #[serde(rename = "publishedAt")]
    PublishedAt,
    /// By the trending score; without a period, what trends now.
    #[serde(rename = "trending")]
    Trending,
    /// Trending with code: papers whose GitHub repository gained the most stars over the last
    /// 7 days (then the most starred); Paperboy's addition.
    #[serde(rename = "trendingWithCode")]
    TrendingWithCode,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(transform = no_null)]
pub struct DailyParams {
    /// Only papers submitted by this user.
    #[schemars(length(max = 100))]
    submitter: Option<String>,
    /// The order: the most upvoted first within a period, the newest first without one.
    #[schemars(with = "Option<DailySort>")]
    sort: Option<String>,
    /// The 0-based page.
    #[schemars(with = "Option<u64>", range(max = MAX_PAGE))]
    p: Option<String>,
    /// Items per page, from 1 to 100 (50 when absent).
    #[schemars(with = "Option<u64>", range(min = 1, max = MAX_LIMIT))]
    limit: Option<String>,
}

/// `date`, `week` or `month`: the period whose feed to list; at most one of them.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(transform = no_null, extend("maxProperties" = 1, "additionalProperties" = false))]
pub struct PeriodParams {
    /// A day, `YYYY-MM-DD`, or a date and time (its UTC day counts).
    #[schemars(with = "Option<DayOrTime>")]
    date: Option<String>,
    /// An ISO week, `YYYY-Www`.
    #[schemars(pattern(WEEK))]
    week: Option<String>,
    /// A month, `YYYY-MM`.
    #[schemars(pattern(MONTH))]
    month: Option<String>,
}

/// A day or a date and time.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code, reason = "only its schema is used")]
enum DayOrTime {
    Day(#[schemars(pattern(DATE))] String),
    Time(#[schemars(extend("format" = "date-time"))] String),
}

/// The period `date`, `week` or `month` names, if any. 400 when it is malformed or several are
/// given; 404 when it has the form of a period that does not exist (week 53 of a short year)
/// or has not come yet.
pub struct PeriodQuery(pub Option<Period>);

impl<S: Send + Sync> FromRequestParts<S> for PeriodQuery {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Query(params) = Query::<PeriodParams>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| AppError::BadRequest(rejection.body_text()))?;
        let day = |text: &str| {
            let time = matches(DATE_TIME, text);
            if !matches(DATE, text) && !time {
                return Err(malformed(Period::parse_day(text), text, "a date"));
            }
            Period::parse_day_or_time(text).map_err(|err| AppError::BadRequest(err.to_string()))
        };
        let week = |text: &str| shaped(WEEK, text, Period::parse_week(text), "a week");
        let month = |text: &str| shaped(MONTH, text, Period::parse_month(text), "a month");
        let chosen: Vec<Period> = [
            params.date.as_deref().map(day),
            params.week.as_deref().map(week),
            params.month.as_deref().map(month),
        ]
        .into_iter()
        .flatten()
        .collect::<Result<_, _>>()?;
        if chosen.len() > 1 {
            return Err(AppError::BadRequest("give one of date, week and month, not several".into()));
        }
        let period = chosen.first().copied();
        if let Some(period) = period
            && period.is_after(Utc::now().date_naive())
        {
            return Err(AppError::NotFound(format!("{} is in the future", period.slug())));
        }
        Ok(PeriodQuery(period))
    }
}

/// A period of `pattern`'s form: 400 when `text` does not have it, 404 when it does but names no
/// period.
fn shaped(
    pattern: &'static str,
    text: &str,
    parsed: Result<Period, PeriodError>,
    what: &str,
) -> Result<Period, AppError> {
    if !matches(pattern, text) {
        return Err(malformed(parsed, text, what));
    }
    parsed.map_err(|err| AppError::NotFound(err.to_string()))
}

/// The 400 of a malformed period: the parser's message when it has one.
fn malformed(parsed: Result<Period, PeriodError>, text: &str, what: &str) -> AppError {
    let message = match parsed {
        Err(err) => err.to_string(),
        Ok(_) => {
            format!("`{}` is not {what} in the documented form", text.chars().take(40).collect::<String>())
        }
    };
    AppError::BadRequest(message)
}

/// The period is one query parameter in the document, an object of `date`, `week` and `month`
/// written out as separate parameters (`style: form, explode: true`) of which at most one may be
/// given: the one way OpenAPI 3.1 can say "one of these, or none".
impl OperationInput for PeriodQuery {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let mut generator = schemars::generate::SchemaSettings::draft2020_12()
            .with(|settings| settings.inline_subschemas = true)
            .into_generator();
        let mut schema = generator.root_schema_for::<PeriodParams>();
        for key in ["$schema", "title", "description"] {
            schema.remove(key);
        }
        let parameter = Parameter::Query {
            parameter_data: ParameterData {
                name: "period".into(),
                description: Some(
                    "At most one of `date` (a day, or a date and time whose UTC day counts), `week` \
                     (`YYYY-Www`) and `month` (`YYYY-MM`): the period whose feed to list. A period that has \
                     not come yet, or a week a year does not have, is answered 404."
                        .into(),
                ),
                required: false,
                format: ParameterSchemaOrContent::Schema(SchemaObject {
                    json_schema: schema,
                    example: None,
                    external_docs: None,
                }),
                extensions: Default::default(),
                deprecated: None,
                example: None,
                examples: Default::default(),
                explode: Some(true),
            },
            allow_reserved: false,
            style: QueryStyle::Form,
            allow_empty_value: None,
        };
        add_parameters(ctx, operation, [parameter]);
    }
}

/// `GET /api/daily_papers`, from the page cache.
pub async fn list_daily_papers(
    State(app): State<App>,
    uri: OriginalUri,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    PeriodQuery(period): PeriodQuery,
    Params(params): Params<DailyParams>,
) -> Cached<Paged<DailyItemJson>> {
    Cached::answer(&app, &uri, &headers, daily_papers(&app, raw, period, params)).await
}

/// The daily feed's page that `period` and `params` ask for.
async fn daily_papers(
    app: &App,
    raw: Option<String>,
    period: Option<Period>,
    params: DailyParams,
) -> Result<Paged<DailyItemJson>, AppError> {
    let limit = parse_limit(params.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let page = parse_page(params.p.as_deref())?;
    let sort = params.sort.as_deref().map(|text| {
        variant::<DailySort>(text).ok_or_else(|| {
            let shown: String = text.chars().take(40).collect();
            AppError::BadRequest(format!("unknown sort `{shown}`: use {}", names::<DailySort>()))
        })
    });
    let order = match sort.transpose()? {
        None if period.is_some() => FeedOrder::Upvotes,
        None | Some(DailySort::PublishedAt) => FeedOrder::Newest,
        Some(DailySort::Trending) => FeedOrder::Trending,
        Some(DailySort::TrendingWithCode) => FeedOrder::StarsGained,
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
    let next = more.then(|| {
        next_link(
            &app.core.config.base_url,
            "/api/daily_papers",
            raw.as_deref(),
            "p",
            &(page + 1).to_string(),
        )
    });
    Ok(Paged {
        items: items
            .into_iter()
            .map(|item| DailyItemJson::of_entry(&app.core.config.base_url, item))
            .collect(),
        next,
    })
}

pub fn list_daily_papers_docs(op: TransformOperation) -> TransformOperation {
    op.id("listDailyPapers")
        .summary("The daily feed")
        .description(
            "The papers on the daily feed in Hugging Face's item shape: of a day, an ISO week or a month, \
             or all of them newest first.",
        )
        .with(|op| errors(op, &[(404, "The period has not come yet, or the year has no such week.")]))
}
