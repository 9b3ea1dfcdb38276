//! Shared test fixtures: fresh databases on both engines, sample papers, fixture files, and a
//! local HTTP server that replays recorded arXiv responses.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use paperboy::db::Db;
use paperboy::db::scratch::ScratchDatabase;
use paperboy_arxiv::{Paper, RawPaper};

/// The PostgreSQL server tests create their databases on.
pub fn postgres_server_url() -> String {
    std::env::var("PAPERBOY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database of its own for one test, removed when the test ends.
pub struct TestDb {
    pub db: Db,
    _dir: Option<tempfile::TempDir>,
    scratch: Option<ScratchDatabase>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_embedded(dir.path()).await.unwrap();
        db.migrate().await.unwrap();
        TestDb { db, _dir: Some(dir), scratch: None }
    }

    pub async fn postgres() -> TestDb {
        let scratch = ScratchDatabase::create(&postgres_server_url(), "test")
            .await
            .expect("PostgreSQL must be reachable at PAPERBOY_TEST_POSTGRES_URL (default 127.0.0.1:5432)");
        let db = Db::connect(scratch.url()).await.unwrap();
        db.migrate().await.unwrap();
        TestDb { db, _dir: None, scratch: Some(scratch) }
    }

    /// The data directory of this SQLite database, for running the binary against it.
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.as_ref().expect("a SQLite test database").path()
    }

    /// The URL of this PostgreSQL database, for running the binary against it.
    pub fn postgres_url(&self) -> String {
        self.scratch.as_ref().expect("a PostgreSQL test database").url().to_owned()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(scratch) = self.scratch.take() {
            // Drop runs outside async context: drop the database from a runtime of its own.
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(scratch.drop_database()).unwrap();
            })
            .join()
            .unwrap();
        }
    }
}

/// Runs each named `async fn(&Db)` as two tests, `NAME::sqlite` and `NAME::postgres`.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let test_db = crate::harness::TestDb::sqlite().await;
                super::$name(&test_db.db).await;
            }

            #[tokio::test]
            async fn postgres() {
                let test_db = crate::harness::TestDb::postgres().await;
                super::$name(&test_db.db).await;
            }
        }
    )*};
}
pub(crate) use on_both_engines;

/// A valid paper with the given id (which may carry a version) and title.
pub fn paper(id: &str, title: &str) -> Paper {
    RawPaper {
        id: Some(id.to_owned()),
        title: Some(title.to_owned()),
        summary: Some(format!("An abstract about {title}.")),
        authors: vec!["Ada Lovelace".into(), "Alan Turing".into()],
        categories: vec!["cs.CL".into(), "cs.LG".into()],
        announce_date: chrono::NaiveDate::from_ymd_opt(2025, 3, 18),
        ..RawPaper::default()
    }
    .validate()
    .unwrap()
}

/// A file among the handwritten fixtures of `paperboy-arxiv`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../paperboy-arxiv/tests/fixtures").join(name)
}

/// A file in the read-only `shared/` folder beside the repository.
pub fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(path)
}

/// One scripted answer of the replay server.
#[derive(Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// How long the server takes before it answers.
    pub delay: std::time::Duration,
}

impl Reply {
    pub fn ok(body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: StatusCode::OK,
            headers: vec![("content-type", "text/xml".into())],
            body: body.into(),
            delay: std::time::Duration::ZERO,
        }
    }

    pub fn file(path: PathBuf) -> Reply {
        Reply::ok(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
    }

    pub fn status(status: u16, headers: Vec<(&'static str, String)>) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: b"unavailable".to_vec(),
            delay: std::time::Duration::ZERO,
        }
    }

    /// The same reply, sent after `delay`.
    pub fn after(self, delay: std::time::Duration) -> Reply {
        Reply { delay, ..self }
    }
}

/// A request the replay server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub query: String,
    pub user_agent: String,
    pub at: Instant,
}

#[derive(Default)]
struct Script {
    replies: VecDeque<Reply>,
    seen: Vec<Seen>,
}

/// A real HTTP server on loopback that answers every GET with the next scripted reply
/// (404 once the script is used up) and records what it was asked.
pub struct ReplayServer {
    pub url: String,
    script: Arc<Mutex<Script>>,
}

impl ReplayServer {
    pub async fn start(replies: Vec<Reply>) -> ReplayServer {
        let script = Arc::new(Mutex::new(Script { replies: replies.into(), seen: Vec::new() }));
        let router = Router::new().fallback(replay).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        ReplayServer { url: format!("http://{address}/oai"), script }
    }

    /// Queues more replies behind the current ones.
    pub fn push(&self, replies: Vec<Reply>) {
        self.script.lock().unwrap().replies.extend(replies);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.script.lock().unwrap().seen.clone()
    }
}

async fn replay(
    State(script): State<Arc<Mutex<Script>>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let user_agent = headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let next = {
        let mut script = script.lock().unwrap();
        script.seen.push(Seen { query: query.unwrap_or_default(), user_agent, at: Instant::now() });
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
