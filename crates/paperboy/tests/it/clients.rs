//! Real clients against a real `paperboy serve`: the `huggingface_hub` Python client and its
//! `hf` command line, the MCP Python SDK, `feedparser`, and headless Chromium driven by Selenium
//! (`tests/clients/*.py`), as a reader and as a member who signs up, votes and comments.
//!
//! They need a Python with the packages of `tests/clients/requirements.txt` in
//! `PAPERBOY_TEST_PYTHON`, and Debian's `chromium` and `chromium-driver`; `.ci/run` sets them
//! up with `scripts/test-tools.sh`. Without `PAPERBOY_TEST_PYTHON` these tests say loudly that
//! they checked nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use paperboy::db::Db;
use paperboy_arxiv::Paper;

use paperboy::domain::accounts::{Email, Role, UserName};

use crate::harness::fixtures::{recent, sample};

/// A `paperboy serve` of the site tests' sample papers on a free port, stopped on drop, with an
/// admin, `curator`, and a member, `reader`, and an API token of each; the papers have their
/// keywords and TL;DRs.
struct Server {
    child: Child,
    base_url: String,
    admin_token: String,
    member_token: String,
    /// A second token of the member, for a client to revoke.
    spare_token: String,
    log: PathBuf,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn record(paper: &Paper) -> serde_json::Value {
    serde_json::json!({
        "id": paper.id.as_str(),
        "title": paper.title,
        "summary": paper.summary,
        "authors": paper.authors,
        "categories": paper.categories,
        "doi": paper.doi,
        "github_repo": paper.github_repo,
        "project_page": paper.project_page,
        "published_at": paper.published_at,
        "announce_date": paper.announce_date,
    })
}

impl Server {
    fn start() -> Server {
        Server::with(sample(), &[])
    }

    /// A server of `papers`, which must include the sample papers, run with `serve`'s `options`
    /// besides.
    fn with(papers: Vec<Paper>, options: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("papers.jsonl");
        let mut out = std::fs::File::create(&file).unwrap();
        for paper in &papers {
            writeln!(out, "{}", record(paper)).unwrap();
        }
        let data = dir.path().join("data");
        let import = paperboy(&data).arg("import").arg(&file).output().unwrap();
        assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
        let joined = format!("{} joined the daily feed", papers.len());
        assert!(String::from_utf8_lossy(&import.stdout).contains(&joined));
        let runtime = tokio::runtime::Runtime::new().unwrap();
        // A reader submitted 2605.00003 an hour ago (on its own day) and four people upvoted
        // it, so it trends now.
        let (admin_token, member_token, spare_token) = runtime.block_on(async {
            let db = Db::open_embedded(&data).await.unwrap();
            let id: paperboy_arxiv::ArxivId = "2605.00003".parse().unwrap();
            let mut voters = Vec::new();
            for name in ["reader", "voter-a", "voter-b", "voter-c"] {
                let email: Email = format!("{name}@example.org").parse().unwrap();
                let handle: UserName = name.parse().unwrap();
                voters.push(db.create_user(&handle, &email, None, Role::User, false).await.unwrap().unwrap());
            }
            let day = chrono::NaiveDate::from_ymd_opt(2026, 5, 11).unwrap();
            db.seed_submission(&voters[0], &id, day, chrono::Utc::now() - chrono::Duration::hours(1))
                .await
                .unwrap();
            for voter in &voters {
                db.set_vote(voter.id, &id, true).await.unwrap();
            }
            let email: Email = "curator@example.org".parse().unwrap();
            let handle: UserName = "curator".parse().unwrap();
            let admin = db.create_user(&handle, &email, None, Role::Admin, false).await.unwrap().unwrap();
            let (_, admin_token) = db.create_api_token(admin.id, "client tests").await.unwrap();
            let (_, member_token) = db.create_api_token(voters[0].id, "client tests").await.unwrap();
            let (_, spare_token) = db.create_api_token(voters[0].id, "spare").await.unwrap();
            // Keywords and TL;DRs, as the annotation job makes them (with the test embedder).
            let embedder: std::sync::Arc<dyn paperboy_embed::Embedder> =
                std::sync::Arc::new(paperboy_embed::HashEmbedder::default());
            let quiet = paperboy::progress::Progress::records(false, "annotating");
            paperboy::annotate::annotate_catalog(&db, embedder, None, &quiet).await.unwrap();
            db.close().await;
            let expose = |token: paperboy::domain::secrets::Secret| token.expose().to_string();
            (expose(admin_token), expose(member_token), expose(spare_token))
        });

        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = dir.path().join("serve.log");
        let child = paperboy(&data)
            .args(["serve", "--no-demo", "--rate-limit", "off", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--oai-url", "http://127.0.0.1:9/", "--arxiv-api-url", "http://127.0.0.1:9/"])
            .args(options)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let base_url = format!("http://127.0.0.1:{port}");
        let server = Server { child, base_url, admin_token, member_token, spare_token, log, dir };
        server.wait_until_searchable();
        server
    }

    /// Waits until the server answers and its keyword index holds the papers.
    fn wait_until_searchable(&self) {
        paperboy_arxiv::client::install_tls_provider();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let found = runtime.block_on(async {
                let reply =
                    reqwest::get(format!("{}/api/papers/search?q=graph", self.base_url)).await.ok()?;
                let items: serde_json::Value = serde_json::from_str(&reply.text().await.ok()?).ok()?;
                Some(items.as_array().is_some_and(|a| !a.is_empty()))
            });
            if found == Some(true) {
                return;
            }
            assert!(Instant::now() < deadline, "the server did not come up:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn paperboy(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paperboy"));
    command
        .arg("--data-dir")
        .arg(data)
        .env_remove("PAPERBOY_DATABASE_URL")
        .env_remove("PAPERBOY_MODEL_DIR")
        .env_remove("PAPERBOY_FEATURE_RULES");
    command
}

/// The Python to run the client scripts with, or `None` (after saying so) when not set up.
fn python(test: &str) -> Option<PathBuf> {
    match std::env::var_os("PAPERBOY_TEST_PYTHON") {
        Some(python) => Some(PathBuf::from(python)),
        None => {
            eprintln!(
                "\n*** SKIPPED: PAPERBOY_TEST_PYTHON is not set, so {test} checked NOTHING. Set it up with\n\
                 ***   export PAPERBOY_TEST_PYTHON=$(scripts/test-tools.sh)\n"
            );
            None
        }
    }
}

/// Runs `tests/clients/SCRIPT` against a fresh server; fails with its output if it fails. A
/// `MAIL_DIR` among `extra` becomes the server's mail directory.
fn run_client(python: &Path, script: &str, extra: &[&str]) {
    let server = Server::start();
    let mail = server.dir.path().join("data").join("mail");
    let extra: Vec<&str> =
        extra.iter().map(|arg| if *arg == "MAIL_DIR" { mail.to_str().unwrap() } else { arg }).collect();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients").join(script);
    let output = Command::new(python)
        .arg(&path)
        .arg(&server.base_url)
        .args(&extra)
        .env("PAPERBOY_ADMIN_TOKEN", &server.admin_token)
        .env("PAPERBOY_MEMBER_TOKEN", &server.member_token)
        .env("PAPERBOY_SPARE_TOKEN", &server.spare_token)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{script} failed:\n{stdout}\n{stderr}\nserver log:\n{}", server.log());
    eprintln!("{stdout}");
}

#[test]
fn the_hugging_face_client_works_against_paperboy() {
    if let Some(python) = python("the_hugging_face_client_works_against_paperboy") {
        run_client(&python, "hf_client.py", &[]);
    }
}

#[test]
fn the_hf_command_line_lists_shows_searches_and_reads_papers() {
    if let Some(python) = python("the_hf_command_line_lists_shows_searches_and_reads_papers") {
        run_client(&python, "hf_cli.py", &[]);
    }
}

#[test]
fn an_agent_uses_every_tool_of_the_mcp_server_through_the_official_sdk() {
    if let Some(python) = python("an_agent_uses_every_tool_of_the_mcp_server_through_the_official_sdk") {
        run_client(&python, "mcp_client.py", &[]);
    }
}

#[test]
fn the_hugging_face_client_keeps_collections_of_papers() {
    if let Some(python) = python("the_hugging_face_client_keeps_collections_of_papers") {
        run_client(&python, "hf_collections.py", &[]);
    }
}

#[test]
fn papers_read_as_markdown_in_the_hugging_face_client_and_as_a_page_in_chromium() {
    let Some(python) = python("papers_read_as_markdown_in_the_hugging_face_client_and_as_a_page_in_chromium")
    else {
        return;
    };
    let server = Server::start();
    // The recorded arXiv page stands in for 2605.00002's, served as arXiv would.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let page =
        std::fs::read(crate::harness::shared("fixtures/arxiv-fulltext/html/2501.11120v1.html")).unwrap();
    let arxiv = runtime.block_on(crate::harness::replay::ReplayServer::start(vec![
        crate::harness::replay::Scripted::ok(page),
    ]));
    let data = server.dir.path().join("data");
    let fetched = paperboy(&data)
        .args(["fulltext", "--ids", "2605.00002", "--delay", "0"])
        .args(["--arxiv-web-url", arxiv.url.trim_end_matches("/oai")])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&fetched.stdout);
    assert!(
        fetched.status.success() && stdout.contains("1 full texts ready"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&fetched.stderr)
    );
    let shots = server.dir.path().join("screenshots");
    for (script, extra) in [
        ("hf_read.py", vec![]),
        ("mcp_client.py", vec!["2605.00002"]),
        ("reading.py", vec!["2605.00002", shots.to_str().unwrap()]),
    ] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients").join(script);
        let output = Command::new(&python)
            .arg(&path)
            .arg(&server.base_url)
            .args(&extra)
            .env("PAPERBOY_MEMBER_TOKEN", &server.member_token)
            .env("PAPERBOY_SPARE_TOKEN", &server.spare_token)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{script} failed:\n{stdout}\n{stderr}\nserver log:\n{}",
            server.log()
        );
        eprintln!("{stdout}");
    }
}

#[test]
fn every_feed_parses_cleanly_in_feedparser() {
    if let Some(python) = python("every_feed_parses_cleanly_in_feedparser") {
        run_client(&python, "feeds.py", &[]);
    }
}

#[test]
fn a_reader_in_chromium_sees_the_site_work() {
    if let Some(python) = python("a_reader_in_chromium_sees_the_site_work") {
        let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        run_client(&python, "browser.py", &[shots.to_str().unwrap()]);
    }
}

#[test]
fn a_member_in_chromium_signs_up_votes_and_comments() {
    if let Some(python) = python("a_member_in_chromium_signs_up_votes_and_comments") {
        let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        run_client(&python, "member.py", &[shots.to_str().unwrap(), "MAIL_DIR"]);
    }
}

#[test]
fn a_reader_subscribes_in_chromium_and_the_digest_renders_well() {
    let Some(python) = python("a_reader_subscribes_in_chromium_and_the_digest_renders_well") else { return };
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    let server = Server::start();
    let data = server.dir.path().join("data");
    let scripts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    let run = |script: &str, args: &[&str]| {
        let output = Command::new(&python).arg(scripts.join(script)).args(args).output().unwrap();
        let (stdout, stderr) =
            (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(
            output.status.success(),
            "{script} failed:\n{stdout}\n{stderr}\nserver log:\n{}",
            server.log()
        );
        eprintln!("{stdout}");
    };
    let mail = data.join("mail");
    run("subscriber.py", &[&server.base_url, shots.to_str().unwrap(), mail.to_str().unwrap()]);

    // The week ending on the day 2605.00003 was submitted and upvoted.
    let preview = paperboy(&data)
        .args(["--base-url", &server.base_url, "digest", "preview", "--email", "reader2@example.org"])
        .args(["--period", "week:2026-05-12", "--out"])
        .arg(&shots)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&preview.stdout);
    assert!(preview.status.success(), "{stdout}{}", String::from_utf8_lossy(&preview.stderr));
    assert!(stdout.contains("papers for reader2@example.org, week:2026-05-12"), "{stdout}");
    let eml = std::fs::read_to_string(shots.join("digest-preview.eml")).unwrap();
    assert!(eml.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{eml}");
    let html = shots.join("digest-preview.html");
    run("digest_preview.py", &[html.to_str().unwrap(), shots.to_str().unwrap(), &server.base_url]);
}

/// Schemathesis reads the served OpenAPI document and throws examples, boundary values and
/// random valid and invalid requests at every operation, as the admin, then follows the links it
/// infers between operations (`tests/clients/schemathesis.toml` says how). Any server error, or
/// any status, header, content type or body the document does not state, or any invalid request
/// accepted or valid one refused, fails the test. The seed makes a failure reproducible with the
/// command the output prints.
#[test]
fn schemathesis_finds_the_api_true_to_its_openapi_document() {
    let Some(python) = python("schemathesis_finds_the_api_true_to_its_openapi_document") else { return };
    // A paper fresh enough to be submitted, beside the old ones, and no quotas on actions, so
    // the operations behind them run rather than answer 429.
    let mut papers = sample();
    papers.push(recent("2612.00001", "Fresh graph networks", 1));
    let server = Server::with(papers, &["--no-action-limits"]);
    // Comments of the admin's, 1 and 2, to edit, hide and delete.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for body in ["A first comment", "A second comment"] {
        let url = format!("{}/api/papers/2612.00001/comments", server.base_url);
        let reply = runtime.block_on(
            reqwest::Client::new()
                .post(url)
                .bearer_auth(&server.admin_token)
                .header("content-type", "application/json")
                .body(serde_json::json!({ "body": body }).to_string())
                .send(),
        );
        assert_eq!(reply.unwrap().status(), reqwest::StatusCode::CREATED);
    }
    let clients = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    let output = Command::new(&python)
        .args(["-c", "import sys; from schemathesis.cli import schemathesis; sys.argv[0] = 'st'; sys.exit(schemathesis())"])
        .arg("--config-file")
        .arg(clients.join("schemathesis.toml"))
        .args(["run", &format!("{}/api/openapi.json", server.base_url), "--url", &server.base_url])
        // Its and hypothesis's working files go to the server's temporary directory.
        .current_dir(server.dir.path())
        .env("PAPERBOY_ADMIN_TOKEN", &server.admin_token)
        .env("PAPERBOY_MEMBER_TOKEN", &server.member_token)
        .env("PAPERBOY_SPARE_TOKEN", &server.spare_token)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "schemathesis failed:\n{stdout}\n{stderr}\nserver log:\n{}",
        server.log()
    );
    eprintln!("{stdout}");
}
