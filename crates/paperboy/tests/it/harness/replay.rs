//! A real HTTP server on loopback that replays scripted answers (recorded arXiv responses and
//! handwritten ones, GitHub's answers) and records what it was asked: neither arXiv nor GitHub
//! is ever contacted.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// One scripted answer of the replay server.
#[derive(Clone)]
pub struct Scripted {
    pub status: StatusCode,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// How long the server takes before it answers.
    pub delay: std::time::Duration,
}

impl Scripted {
    pub fn ok(body: impl Into<Vec<u8>>) -> Scripted {
        Scripted {
            status: StatusCode::OK,
            headers: vec![("content-type", "text/xml".into())],
            body: body.into(),
            delay: std::time::Duration::ZERO,
        }
    }

    pub fn file(path: PathBuf) -> Scripted {
        Scripted::ok(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
    }

    pub fn status(status: u16, headers: Vec<(&'static str, String)>) -> Scripted {
        Scripted {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: b"unavailable".to_vec(),
            delay: std::time::Duration::ZERO,
        }
    }

    /// The same reply, sent after `delay`.
    pub fn after(self, delay: std::time::Duration) -> Scripted {
        Scripted { delay, ..self }
    }
}

/// A request the replay server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub query: String,
    pub user_agent: String,
    /// The `Authorization` and `If-None-Match` headers, when sent.
    pub authorization: Option<String>,
    pub if_none_match: Option<String>,
    /// The request's body, as text.
    pub body: String,
    pub at: Instant,
}

#[derive(Default)]
struct Script {
    replies: VecDeque<Scripted>,
    seen: Vec<Seen>,
}

/// A real HTTP server on loopback that answers every request with the next scripted reply
/// (404 once the script is used up) and records what it was asked.
pub struct ReplayServer {
    pub url: String,
    script: Arc<Mutex<Script>>,
}

impl ReplayServer {
    pub async fn start(replies: Vec<Scripted>) -> ReplayServer {
        let script = Arc::new(Mutex::new(Script { replies: replies.into(), seen: Vec::new() }));
        let router = Router::new().fallback(replay).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        ReplayServer { url: format!("http://{address}/oai"), script }
    }

    /// Queues more replies behind the current ones.
    pub fn push(&self, replies: Vec<Scripted>) {
        self.script.lock().unwrap().replies.extend(replies);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.script.lock().unwrap().seen.clone()
    }
}

async fn replay(
    State(script): State<Arc<Mutex<Script>>>,
    uri: Uri,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let next = {
        let mut script = script.lock().unwrap();
        script.seen.push(Seen {
            path: uri.path().to_owned(),
            query: query.unwrap_or_default(),
            user_agent: header("user-agent").unwrap_or_default(),
            authorization: header("authorization"),
            if_none_match: header("if-none-match"),
            body: String::from_utf8_lossy(&body).into_owned(),
            at: Instant::now(),
        });
        script.replies.pop_front()
    };
    match next {
        Some(reply) => {
            tokio::time::sleep(reply.delay).await;
            let mut response = (reply.status, reply.body).into_response();
            for (name, value) in reply.headers {
                response.headers_mut().insert(name, value.parse().unwrap());
            }
            response
        }
        None => (StatusCode::NOT_FOUND, "script exhausted").into_response(),
    }
}
