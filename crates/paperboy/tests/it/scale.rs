//! Several processes on one PostgreSQL database, as `bench/scale-out.sh` runs them at a million
//! papers: two `paperboy serve`, each with its own data directory and indexes (the vector index
//! from synthetic vectors standing in for `--hash-embedder`'s), under `paperboy bench load`'s
//! mixed load of readers and members who sign in, vote, save and comment. Every request
//! succeeds, and a vote made on one server shows on the other.

use crate::harness::{Server, TestDb, paperboy};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The requests of `kind`'s row in the load report's table.
fn requests(report: &str, kind: &str) -> u64 {
    let row = report.lines().find(|line| line.starts_with(&format!("| {kind} "))).unwrap_or_else(|| {
        panic!("no row for {kind} in\n{report}");
    });
    row.split('|').nth(2).unwrap().trim().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_servers_on_postgresql_take_a_mixed_load_and_show_each_others_votes() {
    let test = TestDb::postgres().await;
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let url = test.postgres_url();
    let global = ["--database-url", url.as_str(), "--hash-embedder"];
    let papers = one.path().join("papers.jsonl");
    let topics = ["sparse attention", "graph networks", "protein folding", "diffusion models", "speech"];
    let records: Vec<String> = (1..=40)
        .map(|n| {
            let topic = topics[n % topics.len()];
            let day = 16 + n % 3;
            format!(
                r#"{{"id":"2503.{n:05}","title":"On {topic}, part {n}","summary":"We study {topic} at scale.","authors":["A. Author"],"categories":["cs.LG"],"comment":null,"announce_date":"2025-03-{day}"}}"#
            )
        })
        .collect();
    std::fs::write(&papers, records.join("\n") + "\n").unwrap();
    let papers = papers.to_str().unwrap();
    let run = |args: &[&str]| {
        let output = paperboy(one.path(), &[&global[..], args].concat());
        assert!(output.status.success(), "{args:?}: {}", text(&output.stderr));
        text(&output.stdout)
    };
    run(&["import", papers]);
    // Vectors shaped like the model's stand in for it, and `embed` leaves them be.
    let synthetic = run(&["bench", "synthetic-vectors"]);
    assert!(synthetic.contains("40 papers: 40 embedded"), "{synthetic}");
    let embedded = run(&["embed"]);
    assert!(embedded.contains("0 embedded") && embedded.contains("40 already up to date"), "{embedded}");
    let links: String = (1..=3)
        .map(|n| run(&["user", "add", &format!("m{n}@example.org"), "--name", &format!("m{n}")]))
        .collect();
    let links_file = one.path().join("links");
    std::fs::write(&links_file, links).unwrap();

    // The default quotas, counted per client as the load names them.
    let limits = ["--trust-forwarded-for"];
    let first = Server::start(one.path(), &global, &limits);
    let second = Server::start(two.path(), &global, &limits);
    let (a, b) = (first.url(""), second.url(""));
    let output = paperboy(
        one.path(),
        &[
            "bench",
            "load",
            "--server",
            &a,
            "--server",
            &b,
            "--papers",
            papers,
            "--members",
            links_file.to_str().unwrap(),
            "--connections",
            "6",
            "--member-connections",
            "2",
            "--seconds",
            "3",
            "--hybrid",
        ],
    );
    let report = text(&output.stdout);
    assert!(output.status.success(), "{report}{}", text(&output.stderr));
    assert!(report.contains("2 server(s), 6 connections (2 as members, "), "{report}");
    assert!(report.contains("0 ms pause after each answer, 3 s:"), "{report}");
    for kind in
        ["day page", "paper page", "API search, hybrid", "sign-in (link, form)", "vote", "save", "comment"]
    {
        assert!(requests(&report, kind) > 0, "{kind} in\n{report}");
    }
    assert!(
        report.contains("A vote seen by another server:") && report.contains("not seen within 5 s: 0"),
        "{report}"
    );
}
