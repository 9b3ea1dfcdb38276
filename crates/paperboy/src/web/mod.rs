//! The HTTP server: routes, middleware, health checks and graceful shutdown.
//!
//! `/healthz` answers while the process runs; `/readyz` only while the database answers too,
//! so a load balancer stops sending traffic to an instance that lost its database. The JSON
//! API lives in [`crate::api`]; the HTML pages here.

mod home;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::app::{App, AppState};
use crate::error::error_response;

/// The whole application as a router, ready to serve or to test with `oneshot`.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/", get(home::show_home))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(check_ready))
        .nest("/api", crate::api::routes())
        .layer(TraceLayer::new_for_http())
        .with_state(Arc::new(app))
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
    let server = axum::serve(listener, router).with_graceful_shutdown(async move {
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

async fn shutdown_signal() {
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
    tracing::info!("shutting down: finishing requests in flight");
}
