//! `paperboy bench mcp`: what an MCP tool call costs beside the JSON API call that answers the
//! same question, over HTTP on one machine, in one run.
//!
//! Serves the bundled demo data (a temporary SQLite catalog and keyword index, no rate limit)
//! on a local port, opens one MCP session (initialize, then `notifications/initialized`), and
//! alternates, request by request, each tool call with its API twin: `search_papers` with
//! `GET /api/papers/search` (the built-in queries, keyword mode, 10 results), `get_paper` with
//! `GET /api/papers/{id}`, and `list_papers` with `GET /api/daily_papers?date=`. Each time is a
//! whole request and its whole answer read; the first pass warms up and is not counted.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use paperboy_search::SearchIndex;
use paperboy_vectors::measure::Latency;
use serde_json::json;

use crate::app::SiteConfig;
use crate::bench::search::QUERIES;
use crate::db::Db;
use crate::db::feed::{FeedOrder, FeedQuery};
use crate::domain::feed::FeatureRules;
use crate::http::App;
use crate::progress::Progress;
use crate::quota::SiteLimits;
use crate::search::{Search, follow};

/// An MCP session over HTTP: its address, its id, and the next request's id.
struct Session {
    client: reqwest::Client,
    url: String,
    id: String,
    next: u64,
}

impl Session {
    async fn open(client: &reqwest::Client, base: &str) -> anyhow::Result<Session> {
        let url = format!("{base}/mcp");
        let hello = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "paperboy-bench", "version": "1"}}});
        let response = post(client, &url, None, &hello).await?;
        let id = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .context("the server gave no session id")?
            .to_owned();
        response.bytes().await?;
        let ready = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        post(client, &url, Some(&id), &ready).await?.bytes().await?;
        Ok(Session { client: client.clone(), url, id, next: 1 })
    }

    /// Calls `tool` and reads the whole answer; fails on a tool error.
    async fn call(&mut self, tool: &str, arguments: serde_json::Value) -> anyhow::Result<()> {
        self.next += 1;
        let request = json!({"jsonrpc": "2.0", "id": self.next, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments}});
        let body = post(&self.client, &self.url, Some(&self.id), &request).await?.text().await?;
        anyhow::ensure!(body.contains("\"result\"") && !body.contains("\"isError\":true"), "{tool}: {body}");
        Ok(())
    }
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    session: Option<&str>,
    body: &serde_json::Value,
) -> anyhow::Result<reqwest::Response> {
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .body(body.to_string());
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    let response = request.send().await?;
    anyhow::ensure!(response.status().is_success(), "POST /mcp answered {}", response.status());
    Ok(response)
}

async fn get(client: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    let response = client.get(url).send().await?;
    anyhow::ensure!(response.status().is_success(), "GET {url} answered {}", response.status());
    response.bytes().await?;
    Ok(())
}

/// Runs the benchmark with `runs` timed passes and returns the report.
pub async fn bench_mcp(runs: usize) -> anyhow::Result<String> {
    let dir = tempfile::tempdir()?;
    let db = Db::open_embedded(dir.path()).await?;
    db.migrate().await?;
    crate::demo::load_demo(&db, &FeatureRules::default(), false).await?;
    let index = Arc::new(SearchIndex::open(&follow::index_dir(dir.path()))?);
    follow::catch_up(&db, &index, index.writer(2)?, &Progress::records(false, "indexing")).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let config =
        SiteConfig { base_url: base.clone(), rate_limits: SiteLimits::off(), ..SiteConfig::default() };
    let router = crate::server::router(App::new(db.clone(), Arc::new(Search::new(index)), config));
    let server = tokio::spawn(
        axum::serve(
            crate::server::without_delay(listener),
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .into_future(),
    );

    let newest = db.feed(&FeedQuery::all(FeedOrder::Newest, 0, 1)).await?;
    let item = newest.first().context("the demo data has no feed")?;
    let (paper, day) = (item.paper.paper.id.to_string(), item.entry.feed_date.to_string());
    let queries: Vec<&str> = QUERIES.lines().map(str::trim).filter(|q| !q.is_empty()).collect();
    paperboy_arxiv::client::install_tls_provider();
    let client = reqwest::Client::new();
    let mut session = Session::open(&client, &base).await?;

    let mut times: [(Vec<Duration>, Vec<Duration>); 3] = Default::default();
    for run in 0..=runs {
        for query in &queries {
            let api = format!(
                "{base}/api/papers/search?q={}&mode=keyword&limit=10",
                crate::domain::text::url_encode(query)
            );
            let (api_time, mcp_time) = twins(
                get(&client, &api),
                session.call("search_papers", json!({"query": query, "mode": "keyword", "limit": 10})),
            )
            .await?;
            if run > 0 {
                times[0].0.push(api_time);
                times[0].1.push(mcp_time);
            }
        }
        let (api_time, mcp_time) = twins(
            get(&client, &format!("{base}/api/papers/{paper}")),
            session.call("get_paper", json!({"id": paper})),
        )
        .await?;
        let (list_api, list_mcp) = twins(
            get(&client, &format!("{base}/api/daily_papers?date={day}")),
            session.call("list_papers", json!({"date": day, "limit": 50})),
        )
        .await?;
        if run > 0 {
            times[1].0.push(api_time);
            times[1].1.push(mcp_time);
            times[2].0.push(list_api);
            times[2].1.push(list_mcp);
        }
    }
    server.abort();
    db.close().await;

    let mut report = format!(
        "paperboy bench mcp: the demo catalog over HTTP on 127.0.0.1, one MCP session, {runs} runs \
         (search: {} queries each), each call beside its API twin\n\n\
         | call | API p50 ms | MCP p50 ms | MCP − API p50 ms | API p99 ms | MCP p99 ms |\n\
         | --- | --- | --- | --- | --- | --- |\n",
        queries.len()
    );
    let labels = [
        "search_papers / GET /api/papers/search",
        "get_paper / GET /api/papers/{id}",
        "list_papers / GET /api/daily_papers?date=",
    ];
    for (label, (api, mcp)) in labels.iter().zip(times) {
        let (api, mcp) = (Latency::of(api), Latency::of(mcp));
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        report += &format!(
            "| {label} | {:.3} | {:.3} | {:+.3} | {:.3} | {:.3} |\n",
            ms(api.p50),
            ms(mcp.p50),
            ms(mcp.p50) - ms(api.p50),
            ms(api.p99),
            ms(mcp.p99)
        );
    }
    Ok(report)
}

/// Times an API request, then its MCP twin.
async fn twins(
    api: impl std::future::Future<Output = anyhow::Result<()>>,
    mcp: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<(Duration, Duration)> {
    let started = Instant::now();
    api.await?;
    let api_time = started.elapsed();
    let started = Instant::now();
    mcp.await?;
    Ok((api_time, started.elapsed()))
}
