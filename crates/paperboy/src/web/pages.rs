//! The feed pages: the latest day (`/`, `/papers`), a day, an ISO week or a month, trending, a
//! category, and the about page. Each is rendered from a template and kept in the page cache
//! until the catalog changes.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Redirect, Response};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;

use crate::db::feed::{FeedOrder, FeedQuery, STARS_GAINED_DAYS};
use crate::db::{Db, DbError};
use crate::domain::category::is_category;
use crate::domain::feed::{Period, PeriodError};
use crate::domain::trending::{AGE_OFFSET_HOURS, COMMENT_WEIGHT, GRAVITY, WINDOW_DAYS};
use crate::error::AppError;
use crate::http::App;
use crate::http::cache::Rendered;
use crate::http::extract::{Params, PathParam};
use crate::http::page::{FeedLinks, Layout};
use crate::http::page::{cached, render};
use crate::web::view::{Card, Link, Pager};

/// Cards on a page of a listing.
pub const PAGE_SIZE: u64 = 50;

/// `?page=N`, 1-based.
#[derive(Debug, Deserialize)]
pub struct PageParams {
    page: Option<String>,
}

impl PageParams {
    /// The page number, or a 400 for anything but a positive integer.
    pub fn number(&self) -> Result<u64, AppError> {
        page_number(self.page.as_deref())
    }
}

/// A `page` parameter's number: 1 when absent, a 400 for anything but a positive integer.
pub fn page_number(page: Option<&str>) -> Result<u64, AppError> {
    match page {
        None | Some("") => Ok(1),
        Some(text) => text.parse::<u64>().ok().filter(|page| (1..=100_000).contains(page)).ok_or_else(|| {
            AppError::BadRequest(format!("`page={text}` is not a page number: use 1, 2, 3..."))
        }),
    }
}

#[derive(Template)]
#[template(path = "feed.html")]
struct FeedPage {
    layout: Layout,
    heading: String,
    span: String,
    tabs: Vec<Tab>,
    previous: Link,
    next: Option<Link>,
    cards: Vec<Card>,
    total: u64,
    pager: Pager,
    empty_subject: String,
    nearest: Vec<Link>,
}

struct Tab {
    link: Link,
    current: &'static str,
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    layout: Layout,
    heading: String,
    summary: String,
    empty: String,
    cards: Vec<Card>,
    pager: Pager,
}

#[derive(Template)]
#[template(path = "about.html")]
struct AboutPage {
    layout: Layout,
    papers: u64,
    featured: u64,
    rules: String,
    trending_days: i64,
    gravity: f64,
    age_offset_hours: f64,
    comment_weight: f64,
    base_url: String,
}

/// `GET /` and `GET /papers`: the latest day with papers.
pub async fn show_latest(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
    Params(params): Params<PageParams>,
) -> Response {
    cached(&app, &uri, &headers, || async {
        render_period(&app, Period::Day(latest_day(&app.core.db).await?), params.number()?).await
    })
    .await
}

/// `GET /papers/date/{date}`.
pub async fn show_day(
    State(app): State<App>,
    PathParam(date): PathParam<String>,
    uri: Uri,
    headers: HeaderMap,
    Params(params): Params<PageParams>,
) -> Response {
    show_period(&app, &date, Period::parse_day, &uri, &headers, &params).await
}

/// `GET /papers/week/{week}`.
pub async fn show_week(
    State(app): State<App>,
    PathParam(week): PathParam<String>,
    uri: Uri,
    headers: HeaderMap,
    Params(params): Params<PageParams>,
) -> Response {
    show_period(&app, &week, Period::parse_week, &uri, &headers, &params).await
}

/// `GET /papers/month/{month}`.
pub async fn show_month(
    State(app): State<App>,
    PathParam(month): PathParam<String>,
    uri: Uri,
    headers: HeaderMap,
    Params(params): Params<PageParams>,
) -> Response {
    show_period(&app, &month, Period::parse_month, &uri, &headers, &params).await
}

/// The page of the period `slug` names, read by `parse`; a 400 page when it names none.
async fn show_period(
    app: &App,
    slug: &str,
    parse: fn(&str) -> Result<Period, PeriodError>,
    uri: &Uri,
    headers: &HeaderMap,
    params: &PageParams,
) -> Response {
    cached(app, uri, headers, || async {
        let period = parse(slug).map_err(|e| AppError::BadRequest(e.to_string()))?;
        render_period(app, period, params.number()?).await
    })
    .await
}

/// `GET /papers/week`: to the week of the latest day with papers.
pub async fn latest_week(State(app): State<App>) -> Result<Redirect, AppError> {
    Ok(Redirect::to(&Period::week_of(latest_day(&app.core.db).await?).path()))
}

/// `GET /papers/month`: to the month of the latest day with papers.
pub async fn latest_month(State(app): State<App>) -> Result<Redirect, AppError> {
    Ok(Redirect::to(&Period::month_of(latest_day(&app.core.db).await?).path()))
}

async fn render_period(app: &App, period: Period, page: u64) -> Result<Rendered, AppError> {
    let today = Utc::now().date_naive();
    if period.is_after(today) {
        return Err(AppError::NotFound(format!("{} has not happened yet.", period.title())));
    }
    let query = FeedQuery {
        first: Some(period.first_day()),
        last: Some(period.last_day()),
        ..FeedQuery::all(FeedOrder::Upvotes, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    };
    let total = app.core.db.count_feed(&query).await?;
    let items = app.core.db.feed(&query).await?;
    let (before, after) = app.core.db.feed_days_around(period.first_day(), period.last_day()).await?;
    let nearest: Vec<Link> = [before, after]
        .into_iter()
        .flatten()
        .map(|day| Link::new(Period::Day(day).path(), day.format("%A, %-d %B %Y").to_string()))
        .collect();
    let (kind, nav) = match period {
        Period::Day(_) => ("day", "daily"),
        Period::Week { .. } => ("week", "weekly"),
        Period::Month { .. } => ("month", "monthly"),
    };
    let anchor = period.first_day();
    let tabs = [
        ("Day", Period::Day(anchor)),
        ("Week", Period::week_of(anchor)),
        ("Month", Period::month_of(anchor)),
    ]
    .into_iter()
    .map(|(label, tab)| Tab {
        current: if std::mem::discriminant(&tab) == std::mem::discriminant(&period) {
            "page"
        } else {
            "false"
        },
        link: Link::new(tab.path(), label),
    })
    .collect();
    let neighbour = |p: Period, direction: &str| Link::new(p.path(), format!("{direction} {kind}"));
    let next = period.next();
    let path = period.path();
    let layout =
        Layout::new(nav, format!("{}{path}", app.core.config.base_url)).with_feeds(daily_feed_links(app));
    let page_view = FeedPage {
        layout,
        heading: period.title(),
        span: period.span(),
        tabs,
        previous: neighbour(period.previous(), "Previous"),
        next: (!next.is_after(today)).then(|| neighbour(next, "Next")),
        cards: items.iter().map(Card::from_feed).collect(),
        total,
        pager: Pager::numbered(page, PAGE_SIZE, total, |n| format!("{path}?page={n}")),
        empty_subject: match period {
            Period::Day(day) => day.format("%A, %-d %B %Y").to_string(),
            _ => format!("this {kind}"),
        },
        nearest,
    };
    render(StatusCode::OK, &page_view)
}

/// The RSS and Atom feeds of the daily feed.
fn daily_feed_links(app: &App) -> FeedLinks {
    let base = &app.core.config.base_url;
    FeedLinks {
        title: "Paperboy daily papers".into(),
        rss: format!("{base}/feeds/daily.rss"),
        atom: format!("{base}/feeds/daily.atom"),
    }
}

/// `GET /papers/trending/code`: trending with code.
pub async fn show_trending_code(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
    Params(params): Params<PageParams>,
) -> Response {
    let texts = RankedTexts {
        path: "/papers/trending/code",
        feed: "trending-code",
        heading: "Trending with code",
        summary: format!(
            "Papers on the feed whose GitHub repository gained the most stars over the last \
             {STARS_GAINED_DAYS} days, then the most starred. Stars are refreshed through GitHub's API every \
             few hours."
        ),
        empty: "No paper on the feed has a repository whose stars were counted yet.".into(),
    };
    cached(&app, &uri, &headers, || async {
        let page = params.number()?;
        ranked_page(
            &app,
            FeedQuery::all(FeedOrder::StarsGained, (page - 1) * PAGE_SIZE, PAGE_SIZE),
            page,
            texts,
        )
        .await
    })
    .await
}

/// What a ranked feed page says: its address, feeds' name, heading and explanations.
struct RankedTexts {
    path: &'static str,
    feed: &'static str,
    heading: &'static str,
    summary: String,
    empty: String,
}

/// Page `page` of the feed `query` ranks, with its feeds and pager.
async fn ranked_page(
    app: &App,
    query: FeedQuery,
    page: u64,
    texts: RankedTexts,
) -> Result<Rendered, AppError> {
    let total = app.core.db.count_feed(&query).await?;
    let items = app.core.db.feed(&query).await?;
    let base = &app.core.config.base_url;
    let RankedTexts { path, feed, heading, summary, empty } = texts;
    let layout = Layout::new("trending", format!("{base}{path}")).with_feeds(FeedLinks {
        title: format!("Paperboy: {}", heading.to_lowercase()),
        rss: format!("{base}/feeds/{feed}.rss"),
        atom: format!("{base}/feeds/{feed}.atom"),
    });
    let view = ListPage {
        layout,
        heading: heading.into(),
        summary,
        empty,
        cards: items.iter().map(Card::from_feed).collect(),
        pager: Pager::numbered(page, PAGE_SIZE, total, |n| format!("{path}?page={n}")),
    };
    render(StatusCode::OK, &view)
}

/// The latest day whose feed has papers; today (UTC) while the feed is empty.
async fn latest_day(db: &Db) -> Result<NaiveDate, DbError> {
    Ok(db.latest_feed_date().await?.unwrap_or_else(|| Utc::now().date_naive()))
}

/// `GET /papers/trending`.
pub async fn show_trending(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
    Params(params): Params<PageParams>,
) -> Response {
    let texts = RankedTexts {
        path: "/papers/trending",
        feed: "trending",
        heading: "Trending papers",
        summary: format!(
            "Papers that joined the feed in the last {WINDOW_DAYS} days, ranked by their upvotes and \
             comments with a decay for age (the about page has the formula)."
        ),
        empty: format!(
            "Nothing is trending: no paper that joined the feed in the last {WINDOW_DAYS} days has votes or comments yet."
        ),
    };
    cached(&app, &uri, &headers, || async {
        let page = params.number()?;
        ranked_page(&app, FeedQuery::trending((page - 1) * PAGE_SIZE, PAGE_SIZE), page, texts).await
    })
    .await
}

/// `Ok` for an arXiv category or archive, a 400 page naming the value otherwise.
pub fn check_category(text: &str) -> Result<(), AppError> {
    if is_category(text) {
        return Ok(());
    }
    let shown: String = text.chars().take(40).collect();
    Err(AppError::BadRequest(format!(
        "`{shown}` is not an arXiv category: categories look like cs.CL or hep-th"
    )))
}

/// `GET /categories/{category}`: the category's papers, newest announced first.
pub async fn show_category(
    State(app): State<App>,
    PathParam(category): PathParam<String>,
    uri: Uri,
    headers: HeaderMap,
    Params(params): Params<PageParams>,
) -> Response {
    cached(&app, &uri, &headers, || async {
        check_category(&category)?;
        let page = params.number()?;
        let (papers, total) =
            app.core.db.papers_in_category(&category, (page - 1) * PAGE_SIZE, PAGE_SIZE).await?;
        if total == 0 {
            return Err(AppError::NotFound(format!("No paper in the catalog is in {category}.")));
        }
        let base = &app.core.config.base_url;
        let layout = Layout::new("", format!("{base}/categories/{category}")).with_feeds(FeedLinks {
            title: format!("Paperboy: {category}"),
            rss: format!("{base}/feeds/categories/{category}.rss"),
            atom: format!("{base}/feeds/categories/{category}.atom"),
        });
        let view = ListPage {
            layout,
            heading: category.clone(),
            summary: format!("{total} papers in {category}, primary or cross-listed, newest first."),
            empty: "No papers on this page.".into(),
            cards: papers.iter().map(Card::from_paper).collect(),
            pager: Pager::numbered(page, PAGE_SIZE, total, |n| format!("/categories/{category}?page={n}")),
        };
        render(StatusCode::OK, &view)
    })
    .await
}

/// `GET /about`.
pub async fn show_about(State(app): State<App>, uri: Uri, headers: HeaderMap) -> Response {
    cached(&app, &uri, &headers, || async {
        let everything = FeedQuery::all(FeedOrder::Newest, 0, 0);
        let view = AboutPage {
            layout: Layout::new("about", format!("{}/about", app.core.config.base_url)),
            papers: app.core.db.count_papers().await?,
            featured: app.core.db.count_feed(&everything).await?,
            rules: app.core.config.feature_rules.clone(),
            trending_days: WINDOW_DAYS,
            gravity: GRAVITY,
            age_offset_hours: AGE_OFFSET_HOURS,
            comment_weight: COMMENT_WEIGHT,
            base_url: app.core.config.base_url.clone(),
        };
        render(StatusCode::OK, &view)
    })
    .await
}
