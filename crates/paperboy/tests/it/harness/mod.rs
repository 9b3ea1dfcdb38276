//! The one test harness every integration test uses: a database of its own on either engine
//! ([`TestDb`], [`on_both_engines!`]), the application over it with its clients ([`app`]),
//! the papers and subscriptions tests start from ([`fixtures`]), mail as tests read it and a real
//! SMTP server ([`mail`]), and a local server that replays recorded arXiv answers ([`replay`]).
//! Test modules take their helpers from here, never from each other.

pub mod app;
pub mod fixtures;
pub mod mail;
pub mod replay;

pub use app::{BASE_URL, TestApp, api_token, csrf_in, keyword_index};
pub use fixtures::paper;
pub use replay::{ReplayServer, Scripted};

use std::path::PathBuf;

use paperboy::db::Db;
use paperboy::db::scratch::ScratchDatabase;

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

/// Runs the `paperboy` binary on `data_dir` with `args`, as a user would, with none of the
/// settings a developer's environment may hold (a database, a model, a language model).
pub fn paperboy(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_paperboy"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("PAPERBOY_DATABASE_URL")
        .env_remove("PAPERBOY_MODEL_DIR")
        .env_remove("PAPERBOY_LLM_URL")
        .env_remove("PAPERBOY_LLM_MODEL")
        .output()
        .unwrap()
}

/// A `paperboy serve` process on a free port of its own, stopped when dropped.
pub struct Server {
    child: std::process::Child,
    pub port: u16,
}

impl Server {
    /// Runs `paperboy --data-dir DATA GLOBAL... serve --no-demo --listen ... ARGS...`, as
    /// [`paperboy`] does, and waits until it serves.
    pub fn start(data_dir: &std::path::Path, global: &[&str], args: &[&str]) -> Server {
        use std::io::BufRead;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let listen = format!("127.0.0.1:{port}");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_paperboy"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(global)
            .args(["serve", "--no-demo", "--listen", &listen])
            .args(args)
            .env_remove("PAPERBOY_DATABASE_URL")
            .env_remove("PAPERBOY_MODEL_DIR")
            .env_remove("PAPERBOY_RATE_LIMIT")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        while !line.contains("Paperboy is serving") {
            line.clear();
            assert!(stderr.read_line(&mut line).unwrap() > 0, "the server exited");
        }
        // Keep reading what it logs, so that it never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Server { child, port }
    }

    /// The address of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A command's output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A file among the handwritten fixtures of `paperboy-arxiv`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../paperboy-arxiv/tests/fixtures").join(name)
}

/// A file in the read-only `shared/` folder beside the repository.
pub fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(path)
}
