//! Quotas every process shares: counted in the database, two processes give a client its quota
//! once, not once each, whether they ask in turn or all at once; a window that ends gives the
//! quota back; and two `paperboy serve` processes on one database (the embedded file, or
//! PostgreSQL) refuse a client past its quota together.

use std::time::Duration;

use futures_util::future::join_all;
use paperboy::db::Db;
use paperboy::domain::accounts::UserId;
use paperboy::quota::{Quotas, RateLimit, SiteLimits};

use crate::harness::{Server, TestDb, on_both_engines};

on_both_engines!(two_processes_give_a_client_its_quota_once, a_quota_comes_back_when_its_window_ends);

fn searches(requests: u32, window: Duration) -> SiteLimits {
    SiteLimits { searches: Some(RateLimit { requests, window }), ..SiteLimits::off() }
}

async fn two_processes_give_a_client_its_quota_once(db: &Db) {
    // Two counters over one database are what two server processes hold.
    let site = searches(150, Duration::from_secs(60));
    let (a, b) = (Quotas::new(db.clone(), site, true), Quotas::new(db.clone(), site, true));
    let mut allowed = 0;
    for turn in 0..400 {
        let quotas = if turn % 2 == 0 { &a } else { &b };
        allowed += usize::from(quotas.searches.check("203.0.113.1").await.unwrap().allowed);
    }
    assert_eq!(allowed, 150, "taking turns");

    let at_once = (0..400).map(|turn| {
        let quotas = if turn % 2 == 0 { &a } else { &b };
        quotas.searches.check("203.0.113.2")
    });
    let decisions = join_all(at_once).await;
    assert_eq!(decisions.iter().filter(|decision| decision.unwrap().allowed).count(), 150, "all at once");

    let other = a.searches.check("203.0.113.3").await.unwrap();
    assert!(other.allowed && other.remaining == 149, "another client has its own: {other:?}");

    // An action's quota (300 votes per 10 minutes per member) is shared the same way.
    let mut votes = 0;
    for turn in 0..700 {
        let quotas = if turn % 2 == 0 { &a } else { &b };
        votes += usize::from(quotas.vote.within(UserId(1), "vote").await.is_ok());
    }
    assert_eq!(votes, 300);
}

async fn a_quota_comes_back_when_its_window_ends(db: &Db) {
    let quotas = Quotas::new(db.clone(), searches(2, Duration::from_millis(400)), true);
    for _ in 0..2 {
        assert!(quotas.searches.check("203.0.113.1").await.unwrap().allowed);
    }
    let refused = quotas.searches.check("203.0.113.1").await.unwrap();
    assert!(!refused.allowed && refused.reset <= Duration::from_millis(400), "{refused:?}");
    tokio::time::sleep(Duration::from_millis(450)).await;
    let again = quotas.searches.check("203.0.113.1").await.unwrap();
    assert!(again.allowed && again.remaining == 1, "{again:?}");

    tokio::time::sleep(Duration::from_millis(450)).await;
    let now = chrono::Utc::now().timestamp_millis();
    assert_eq!(db.forget_quotas(now).await.unwrap(), 1, "the ended window's count is deleted");
}

/// Sends `count` searches to `servers` in turn; the statuses they answered with, in order.
async fn search_in_turn(servers: &[&Server], count: usize) -> Vec<u16> {
    paperboy_arxiv::client::install_tls_provider();
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for turn in 0..count {
        let url = servers[turn % servers.len()].url("/api/papers/search?q=graph&mode=keyword");
        statuses.push(client.get(url).send().await.unwrap().status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn two_servers_on_the_embedded_database_share_a_quota() {
    let test = TestDb::sqlite().await;
    let other = tempfile::tempdir().unwrap();
    let file = format!("sqlite:{}", test.data_dir().join("paperboy.db").display());
    let limits = ["--rate-limit", "searches=6/60s"];
    let first = Server::start(test.data_dir(), &[], &limits);
    let second = Server::start(other.path(), &["--database-url", &file], &limits);
    let statuses = search_in_turn(&[&first, &second], 12).await;
    assert_eq!(statuses, [[200; 6], [429; 6]].concat());
}

#[tokio::test]
async fn two_servers_on_postgresql_share_a_quota() {
    let test = TestDb::postgres().await;
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let url = test.postgres_url();
    let global = ["--database-url", url.as_str()];
    let limits = ["--rate-limit", "searches=6/60s"];
    let first = Server::start(one.path(), &global, &limits);
    let second = Server::start(two.path(), &global, &limits);
    let statuses = search_in_turn(&[&first, &second], 12).await;
    assert_eq!(statuses, [[200; 6], [429; 6]].concat());
}
