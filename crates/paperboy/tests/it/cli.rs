//! The `paperboy` binary as a user runs it: messages, exit codes, the demo data, and a real
//! server on a socket that shuts down gracefully.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{TestDb, paperboy, text};

const GOOD: &str = r#"{"id":"2503.00001","title":"Good","summary":"S","authors":["A"],"categories":["cs.CL"],"comment":null,"announce_date":"2025-03-18"}"#;

#[test]
fn import_reports_bad_lines_by_file_and_line_and_summarises() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("papers.jsonl");
    std::fs::write(&file, format!("{GOOD}\n{{broken\n{}\n", GOOD.replace("2503.00001", "2503.00002")))
        .unwrap();
    let output = paperboy(dir.path(), &["import", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("papers.jsonl:2: skipped: not valid JSON"), "{stderr}");
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("3 records in") && stdout.contains("2 inserted, 0 updated, 0 unchanged, 1 rejected"),
        "{stdout}"
    );

    let again = paperboy(dir.path(), &["import", file.to_str().unwrap()]);
    assert!(text(&again.stdout).contains("0 inserted, 0 updated, 2 unchanged, 1 rejected"));
}

#[test]
fn imported_papers_are_searchable_and_reindex_rebuilds_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("papers.jsonl");
    let other = GOOD
        .replace("2503.00001", "2503.00002")
        .replace(r#""title":"Good""#, r#""title":"Sparse attention""#);
    std::fs::write(&file, format!("{GOOD}\n{other}\n")).unwrap();
    let import = paperboy(dir.path(), &["import", file.to_str().unwrap()]);
    assert!(text(&import.stdout).contains("Indexed 2 papers for search."), "{}", text(&import.stdout));

    let search = paperboy(dir.path(), &["search", "attention", "--limit", "5"]);
    assert!(search.status.success(), "{}", text(&search.stderr));
    let stdout = text(&search.stdout);
    assert!(stdout.contains("2503.00002") && stdout.contains("Sparse attention"), "{stdout}");
    assert!(!stdout.contains("2503.00001"), "{stdout}");
    assert!(stdout.contains("1 of 1 matches (keyword search)."), "{stdout}");
    assert!(text(&search.stderr).contains("semantic search is off"), "{}", text(&search.stderr));

    let reindex = paperboy(dir.path(), &["reindex"]);
    assert!(text(&reindex.stdout).contains("Reindexed 2 papers"), "{}", text(&reindex.stderr));
    let search = paperboy(dir.path(), &["search", "2503.00001"]);
    assert!(text(&search.stdout).contains("  1.       id  2503.00001"), "{}", text(&search.stdout));
}

#[test]
fn embed_without_a_model_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let output = paperboy(dir.path(), &["embed"]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("scripts/fetch-model.sh"), "{}", text(&output.stderr));
    let output = paperboy(dir.path(), &["--model", dir.path().to_str().unwrap(), "embed"]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("cannot load the model"), "{}", text(&output.stderr));
}

#[test]
fn curators_feature_papers_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("papers.jsonl");
    std::fs::write(&file, format!("{GOOD}\n")).unwrap();
    let output = paperboy(dir.path(), &["--feature-rule", "cat:math", "import", file.to_str().unwrap()]);
    assert!(text(&output.stdout).contains("0 joined the daily feed"), "{}", text(&output.stdout));

    let output = paperboy(dir.path(), &["feature", "2503.00001", "2503.99999", "--date", "2025-03-20"]);
    assert_eq!(output.status.code(), Some(1), "an unknown paper fails the command");
    assert!(
        text(&output.stdout).contains("2503.00001: on the feed of 2025-03-20."),
        "{}",
        text(&output.stdout)
    );
    assert!(
        text(&output.stderr)
            .contains("2503.99999: not in the catalog; add it with `paperboy fetch 2503.99999` first.")
    );
    let output = paperboy(dir.path(), &["feature", "arxiv.org/abs/2503.00001v2", "--date", "2025-03-21"]);
    assert!(output.status.success());
    assert!(text(&output.stdout).contains("2503.00001: moved from the feed of 2025-03-20 to 2025-03-21."));

    let output = paperboy(dir.path(), &["--feature-rule", "title:x", "feature", "2503.00001"]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("is not a rule term"), "{}", text(&output.stderr));
}

#[test]
fn serve_refuses_a_bad_quota_or_base_url_before_loading_anything() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, value, message) in [
        ("--rate-limit", "lots", "is not a rate limit"),
        ("--rate-limit", "talks=5/60s", "is not a family of requests"),
        ("--digest-in-doubt", "0", "0 is not in 1..=32"),
        ("--base-url", "papers.example.org", "expected an address starting with http:// or https://"),
    ] {
        let output = paperboy(dir.path(), &["serve", "--listen", "127.0.0.1:0", flag, value]);
        assert!(!output.status.success(), "{flag} {value}");
        assert!(text(&output.stderr).contains(message), "{flag}: {}", text(&output.stderr));
        assert!(!text(&output.stderr).contains("demo data"), "nothing is loaded first");
    }
}

#[test]
fn strict_import_writes_nothing_when_a_record_is_bad() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("papers.jsonl");
    std::fs::write(&file, format!("{GOOD}\nnot json\n")).unwrap();
    let output = paperboy(dir.path(), &["import", "--strict", file.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("papers.jsonl:2: skipped: not valid JSON"), "{stderr}");
    assert!(
        stderr.contains("--strict: 1 malformed records and 0 unreadable files; nothing was imported"),
        "{stderr}"
    );
    let dry_run = paperboy(dir.path(), &["import", "--dry-run", file.to_str().unwrap()]);
    assert!(text(&dry_run.stdout).contains("1 valid, 1 rejected (dry run: nothing written)"));

    // Once the file is clean, --strict imports it.
    std::fs::write(&file, format!("{GOOD}\n")).unwrap();
    let output = paperboy(dir.path(), &["import", "--strict", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("1 inserted"), "{}", text(&output.stdout));
}

#[test]
fn import_of_a_missing_file_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let output = paperboy(dir.path(), &["import", "/nonexistent/papers.jsonl"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("error: cannot open /nonexistent/papers.jsonl: No such file or directory"),
        "{stderr}"
    );
}

#[test]
fn fetch_rejects_a_malformed_id_before_going_online() {
    let dir = tempfile::tempdir().unwrap();
    let output =
        paperboy(dir.path(), &["fetch", "2503.11731", "not/an-id", "--arxiv-api-url", "http://127.0.0.1:9/"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("argument 2") && stderr.contains("`not/an-id` is not an arXiv id"), "{stderr}");
}

#[test]
fn a_database_url_with_a_password_is_never_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let output = paperboy(dir.path(), &["--database-url", "mysql://user:hunter2@db/papers", "migrate"]);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("unsupported database URL scheme `mysql`"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn a_data_dir_with_url_characters_works() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("q?x%41 #1");
    let output = paperboy(&odd, &["migrate"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(odd.join("paperboy.db").exists());
}

#[test]
fn boolean_environment_variables_accept_1_and_yes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("papers.jsonl");
    std::fs::write(&file, format!("{GOOD}\n")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_paperboy"))
        .args(["--data-dir", dir.path().to_str().unwrap(), "import", file.to_str().unwrap()])
        .env("PAPERBOY_IMPORT_DRY_RUN", "1")
        .output()
        .unwrap();
    assert!(text(&output.stdout).contains("dry run: nothing written"), "{}", text(&output.stderr));
}

#[test]
fn every_subcommand_explains_itself() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        "serve", "worker", "user", "import", "harvest", "fetch", "feature", "migrate", "search", "embed",
        "reindex", "bench", "digest",
    ] {
        let output = paperboy(dir.path(), &[command, "--help"]);
        assert!(output.status.success(), "{command}");
        let help = text(&output.stdout);
        assert!(help.contains("--data-dir") && help.contains("PAPERBOY_DATA_DIR"), "{command}: {help}");
    }
    let help = text(&paperboy(dir.path(), &["harvest", "--help"]).stdout);
    for flag in ["--from", "--until", "--set", "--delay", "--oai-url", "PAPERBOY_OAI_URL", "resumes"] {
        assert!(help.contains(flag), "harvest --help lacks {flag}");
    }
    // Help is wrapped to the terminal's width: compare words, not lines.
    let words = |text: String| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let help = words(text(&paperboy(dir.path(), &["worker", "--help"]).stdout));
    for flag in ["--job-lease", "--daily-harvest", "exponential backoff", "--with-worker", "email digests"] {
        assert!(help.contains(flag), "worker --help lacks {flag}");
    }
    let help = text(&paperboy(dir.path(), &["serve", "--help"]).stdout);
    for flag in ["--with-worker", "--submit-window-days", "--daily-submissions", "--smtp-url", "--mail-from"]
    {
        assert!(help.contains(flag), "serve --help lacks {flag}");
    }
}

#[test]
fn migrate_works_on_postgres_through_database_url() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let test = runtime.block_on(TestDb::postgres());
    let dir = tempfile::tempdir().unwrap();
    let output = paperboy(dir.path(), &["--database-url", &test.postgres_url(), "migrate"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("The PostgreSQL schema is up to date."));
    drop(test);
}

/// Kills the server if a test fails before stopping it, so no process outlives its test.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `paperboy serve` on an empty data directory loads the demo data and its community, serves
/// it on a real socket with a worker beside it, and exits cleanly on SIGTERM.
#[test]
fn serve_loads_the_demo_data_and_stops_gracefully() {
    // reqwest is built without a default TLS provider; the app installs ring, so does the test.
    paperboy_arxiv::client::install_tls_provider();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_paperboy"))
            .args([
                "--data-dir",
                dir.path().to_str().unwrap(),
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--with-worker",
            ])
            .env_remove("PAPERBOY_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stderr = BufReader::new(child.0.stderr.take().unwrap());
    let mut log = String::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !log.contains("Paperboy is serving") {
        assert!(Instant::now() < deadline, "the server did not start: {log}");
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            panic!("the server exited: {log}");
        }
        log.push_str(&line);
    }
    assert!(log.contains("loading the bundled demo data set"), "{log}");
    assert!(log.contains("3841 inserted"), "{log}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let body: serde_json::Value = runtime.block_on(async {
        reqwest::get(format!("http://127.0.0.1:{port}/api/papers/2606.00124"))
            .await
            .unwrap()
            .text()
            .await
            .map(|body| serde_json::from_str(&body).unwrap())
            .unwrap()
    });
    assert_eq!(body["id"], "2606.00124", "{body}");

    // The demo community: submissions of the last days, votes and comments, trending now.
    let get = |path: &str| {
        runtime.block_on(async {
            reqwest::get(format!("http://127.0.0.1:{port}{path}")).await.unwrap().text().await.unwrap()
        })
    };
    let trending: serde_json::Value = serde_json::from_str(&get("/api/daily_papers?sort=trending")).unwrap();
    let items = trending.as_array().unwrap();
    assert_eq!(items.len(), 20, "{trending}");
    assert!(items.iter().all(|item| item["submittedBy"]["name"].as_str().unwrap().starts_with("demo-")));
    assert!(
        items[0]["paper"]["upvotes"].as_u64().unwrap() >= items[19]["paper"]["upvotes"].as_u64().unwrap()
    );
    let discussed = items.iter().find(|item| item["numComments"].as_u64() > Some(0)).unwrap();
    let page = get(&format!("/papers/{}", discussed["paper"]["id"].as_str().unwrap()));
    assert!(page.contains("Demo comment") && page.contains("Upvoted by demo-"), "{page}");
    assert!(get("/").contains("Submitted by demo-"));

    let status = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = child.0.wait().unwrap();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit}");
}

#[test]
fn accounts_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let add = paperboy(
        dir.path(),
        &["user", "add", "ada@example.org", "--name", "ada", "--base-url", "https://p.example"],
    );
    assert!(add.status.success(), "{}", text(&add.stderr));
    let out = text(&add.stdout);
    assert!(out.contains("Created ada <ada@example.org> as user."), "{out}");
    assert!(out.contains("https://p.example/links/login?token="), "{out}");
    let twice = paperboy(dir.path(), &["user", "add", "ADA@example.org", "--name", "other"]);
    assert!(!twice.status.success());
    assert!(text(&twice.stderr).contains("has an account already"));

    let grant = paperboy(dir.path(), &["user", "grant", "ada@example.org", "curator"]);
    assert!(grant.status.success(), "{}", text(&grant.stderr));
    assert!(text(&grant.stdout).contains("ada <ada@example.org> is now curator (was user)."));
    for (args, message) in [
        (vec!["user", "grant", "ada@example.org", "root"], "unknown role `root`"),
        (vec!["user", "grant", "nobody@example.org", "admin"], "no account has the email nobody@example.org"),
        (vec!["user", "add", "not an email", "--name", "x1"], "is not an email address"),
        (vec!["user", "add", "b@example.org", "--name", "b c"], "a user name has 2 to 32"),
    ] {
        let output = paperboy(dir.path(), &args);
        assert!(!output.status.success(), "{args:?}");
        assert!(text(&output.stderr).contains(message), "{args:?}: {}", text(&output.stderr));
    }
    let list = paperboy(dir.path(), &["user", "list"]);
    assert!(
        text(&list.stdout).contains("ada") && text(&list.stdout).contains("curator"),
        "{}",
        text(&list.stdout)
    );
}

#[test]
fn digest_commands_explain_what_is_wrong_and_report_what_they_did() {
    let dir = tempfile::tempdir().unwrap();
    let output = paperboy(dir.path(), &["digest", "run", "--period", "month:2026-11"]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--period") && stderr.contains("neither day:YYYY-MM-DD nor week:YYYY-MM-DD"),
        "{stderr}"
    );
    let output = paperboy(dir.path(), &["digest", "preview", "--email", "nobody@example.org"]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("nobody@example.org has no subscription"),
        "{}",
        text(&output.stderr)
    );
    let output =
        paperboy(dir.path(), &["--smtp-url", "smtp://user:hunter2@host?tls=sometimes", "digest", "run"]);
    assert!(!output.status.success());
    assert!(!text(&output.stderr).contains("hunter2"), "{}", text(&output.stderr));
    let output = paperboy(dir.path(), &["digest", "run"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("Composed: 0 readers") && stdout.contains("Sent: 0 sent"), "{stdout}");
    let help = paperboy(dir.path(), &["digest", "run", "--help"]);
    let help = text(&help.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("same Message-ID"), "{help}");
}
