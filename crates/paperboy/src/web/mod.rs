//! The HTTP server: routes, middleware, pages, health checks and graceful shutdown.
//!
//! Pages are rendered on the server from templates compiled into the binary (`templates/`),
//! work without JavaScript, and are kept in the page cache ([`cache`]) until the catalog
//! changes. The JSON API lives in [`crate::api`]. Every request passes through the metrics and
//! access log ([`metrics`]), then the rate limit ([`limit`]); responses that are not already
//! compressed are gzipped for clients that accept it. `/healthz` answers while the process
//! runs; `/readyz` only while the database answers too, so a load balancer stops sending
//! traffic to an instance that lost its database.

pub mod account;
pub mod cache;
pub mod community;
pub mod digest;
pub mod feeds;
pub mod latex;
pub mod limit;
pub mod metrics;
pub mod pages;
pub mod paper;
pub mod search;
pub mod session;
pub mod view;

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;

use crate::app::{App, AppState};
use crate::db::DbError;
use crate::db::users::Session;
use crate::domain::secrets::Secret;
use crate::error::{AppError, error_response};
use crate::search::SearchFailure;
use cache::Rendered;
use view::Layout;

/// The whole application as a router, ready to serve or to test with `oneshot`.
pub fn router(app: App) -> Router {
    let app = Arc::new(app);
    Router::new()
        .route("/", get(pages::show_latest))
        .route("/papers", get(pages::show_latest))
        .route("/papers/date/{date}", get(pages::show_day))
        .route("/papers/week", get(pages::latest_week))
        .route("/papers/week/{week}", get(pages::show_week))
        .route("/papers/month", get(pages::latest_month))
        .route("/papers/month/{month}", get(pages::show_month))
        .route("/papers/trending", get(pages::show_trending))
        .route("/papers/{*id}", get(paper::show_paper).post(community::act_on_paper))
        .route("/comments/{id}/{action}", post(community::act_on_comment))
        .route("/submit", get(community::show_submit).post(community::submit_paper))
        .route("/search", get(search::show_search))
        .route("/categories/{category}", get(pages::show_category))
        .route("/about", get(pages::show_about))
        .route("/signup", get(account::show_sign_up).post(account::create_account))
        .route("/login", get(account::show_login).post(account::create_session))
        .route("/login/link", post(account::request_login_link))
        .route("/logout", post(account::delete_session))
        .route("/password/forgot", get(account::show_forgot_password).post(account::request_reset_link))
        .route("/links/{purpose}", get(account::show_link).post(account::use_link))
        .route("/settings", get(account::show_settings))
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
        .route("/static/{file}", get(show_asset))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(check_ready))
        .route("/metrics", get(metrics::show_metrics))
        .nest("/api", crate::api::routes())
        .fallback(pages::not_found)
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn(secure_headers))
        .layer(axum::middleware::from_fn_with_state(app.clone(), limit::limit))
        .layer(axum::middleware::from_fn_with_state(app.clone(), metrics::observe))
        .with_state(app)
}

/// A page that could not be shown, as a friendly HTML page with the right status.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
}

impl PageError {
    pub fn bad_request(message: String) -> PageError {
        PageError { status: StatusCode::BAD_REQUEST, message }
    }

    pub fn not_found(message: String) -> PageError {
        PageError { status: StatusCode::NOT_FOUND, message }
    }

    /// A failure of ours: logged with its cause; the reader learns only that it happened.
    pub fn internal(cause: &dyn std::fmt::Display) -> PageError {
        tracing::error!(error = %cause, "page failed");
        PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "Something went wrong on our side. Please try again in a moment.".into(),
        }
    }

    pub fn search(failure: SearchFailure) -> PageError {
        PageError::internal(&failure)
    }
}

impl PageError {
    pub fn from_db(err: &DbError) -> PageError {
        PageError::internal(err)
    }
}

impl From<DbError> for PageError {
    fn from(err: DbError) -> Self {
        PageError::internal(&err)
    }
}

/// An API error shown as a page: the same status, the message as a sentence.
impl From<AppError> for PageError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Db(err) => PageError::internal(&err),
            AppError::Internal(message) => PageError::internal(&message),
            other => {
                PageError { status: other.status(), message: format!("{}.", sentence(&other.to_string())) }
            }
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = match self.status {
            StatusCode::BAD_REQUEST => "That address is not quite right",
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::UNAUTHORIZED => "Please sign in",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::CONFLICT => "Already done",
            StatusCode::TOO_MANY_REQUESTS => "Slow down",
            _ => "Something went wrong",
        };
        let page = ErrorPage { layout: Layout::new("", String::new()), title, message: &self.message };
        match page.render() {
            Ok(body) => {
                (self.status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
            }
            Err(_) => (self.status, self.message).into_response(),
        }
    }
}

/// An error message as a page shows it: starting with a capital letter.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Renders a template into a page body.
pub fn render(status: StatusCode, template: &impl Template) -> Result<Rendered, PageError> {
    let body = template.render().map_err(|err| PageError::internal(&err))?;
    Ok(Rendered::html(status, body))
}

/// A page made for one visitor (a form, their settings, a paper page with their vote): with
/// their account corner when `session` is theirs, and never stored by browsers or proxies.
pub fn private_html(status: StatusCode, body: String, session: Option<&Session>) -> Response {
    let body = session.and_then(|session| session::personalize(&body, session)).unwrap_or(body);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

/// Serves the page at `uri` from the page cache when it was rendered at the catalog's current
/// version, and otherwise renders it with `render` and keeps it. Errors are not kept.
pub async fn cached<F, Fut>(app: &App, uri: &Uri, headers: &HeaderMap, render: F) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Rendered, PageError>>,
{
    let key = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let version = match app.version.current(&app.db).await {
        Ok(version) => version,
        Err(err) => return PageError::from(err).into_response(),
    };
    let session = match session::cookie(headers, session::SESSION_COOKIE) {
        Some(cookie) => match app.db.session(&Secret::from_client(cookie)).await {
            Ok(session) => session,
            Err(err) => return PageError::from(err).into_response(),
        },
        None => None,
    };
    let page = match app.pages.get(key, version) {
        Some(page) => {
            app.metrics.count_cache(true);
            page
        }
        None => {
            app.metrics.count_cache(false);
            match render().await {
                Ok(rendered) => app.pages.put(key, version, rendered),
                Err(err) => return err.into_response(),
            }
        }
    };
    session
        .and_then(|session| page.respond_personal(headers, &session::account_corner(&session)))
        .unwrap_or_else(|| page.respond(headers))
}

/// The Content-Security-Policy of every response: scripts and styles only from this site, no
/// inline script, no framing. Style attributes are allowed because MathML sets spacing with
/// them (they cannot run code).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    style-src-attr 'unsafe-inline'; img-src 'self'; connect-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

/// Middleware: the security headers every response carries.
async fn secure_headers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

const STYLE: &str = include_str!("../../static/style.css");
const SCRIPT: &str = include_str!("../../static/app.js");
const ICON: &str = include_str!("../../static/icon.svg");

/// `GET /static/{file}`: the stylesheet, the script and the icon, cacheable for a day (their
/// addresses carry the version).
async fn show_asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "style.css" => (STYLE, "text/css; charset=utf-8"),
        "app.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        "icon.svg" => (ICON, "image/svg+xml"),
        _ => return PageError::not_found("No such file.".into()).into_response(),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    response
}

async fn check_ready(State(app): State<AppState>) -> impl IntoResponse {
    match app.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "not ready: the database does not answer");
            error_response(StatusCode::SERVICE_UNAVAILABLE, "the database is unavailable")
        }
    }
}

/// How long requests in flight may take to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` until Ctrl-C or SIGTERM, then finishes requests in flight,
/// for at most [`SHUTDOWN_GRACE`].
pub async fn serve(listener: TcpListener, router: Router) -> std::io::Result<()> {
    let address: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(address = ?address, "listening");
    let (signalled, on_signal) = tokio::sync::oneshot::channel();
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = signalled.send(());
    });
    let deadline = async move {
        match on_signal.await {
            Ok(()) => tokio::time::sleep(SHUTDOWN_GRACE).await,
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        result = server.into_future() => result,
        () = deadline => {
            tracing::warn!(seconds = SHUTDOWN_GRACE.as_secs(), "requests still running after the grace period; stopping anyway");
            Ok(())
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing the work in hand");
}
