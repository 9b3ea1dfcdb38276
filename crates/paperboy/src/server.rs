//! The HTTP server: the site and the API under one router, the middleware every request passes,
//! health checks, and serving until a signal with a grace period for requests in flight.
//!
//! Every request passes, outermost first: [`crate::http::observe`] (the request's id, the
//! writing of error answers for their reader by [`crate::http::error`], the security headers,
//! the metrics and the access log), the rate limit ([`crate::http::limit`]), then gzip for
//! responses not compressed yet, then CORS for `GET /api/*`. `/healthz` answers while the
//! process runs; `/readyz` only while the database answers too, so a load balancer stops sending
//! traffic to an instance that lost its database.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::{ListenerExt, TapIo};
use axum::{Json, Router};
use tokio::net::{TcpListener, TcpStream};
use tower_http::compression::CompressionLayer;

use crate::error::AppError;
use crate::http::{App, limit, observe};

/// The whole application as a router, ready to serve or to test with `oneshot`.
pub fn router(app: App) -> Router {
    let mut router = Router::new().merge(crate::web::routes()).nest("/api", crate::api::routes());
    if app.core.config.mcp {
        router = router.nest_service("/mcp", crate::mcp::service(app.clone()));
    }
    router
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(check_ready))
        .route("/metrics", get(observe::show_metrics))
        .fallback(|| async { AppError::NotFound("there is no page at this address".into()) })
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(app.clone(), limit::limit))
        .layer(axum::middleware::from_fn_with_state(app.clone(), observe::observe))
        .with_state(app)
}

/// `GET /readyz`: 200 while the database answers, 503 with a JSON reason otherwise.
async fn check_ready(State(app): State<App>) -> Response {
    match app.core.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "not ready: the database does not answer");
            let body = Json(serde_json::json!({ "error": "the database is unavailable" }));
            (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
        }
    }
}

/// `listener` with Nagle's algorithm off on every connection it accepts: an answer written in
/// pieces (the MCP server's events) goes out at once instead of waiting on the client's delayed
/// acknowledgement, some 40 ms a request.
pub fn without_delay(
    listener: TcpListener,
) -> TapIo<TcpListener, impl FnMut(&mut TcpStream) + Send + 'static> {
    listener.tap_io(|stream| {
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "cannot turn off Nagle's algorithm on a connection");
        }
    })
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
    let server = axum::serve(without_delay(listener), service).with_graceful_shutdown(async move {
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
