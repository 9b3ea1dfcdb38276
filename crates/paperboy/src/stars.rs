//! GitHub stars of papers' repositories: `paperboy stars` and the worker's hourly job.
//!
//! A run first follows the catalog (`papers.change_seq`, from its own cursor) and writes each
//! changed paper's repository: the one people set, or the one its comment or abstract links
//! to ([`crate::domain::code::repository`]). It then asks GitHub's REST API
//! (`GET /repos/{owner}/{repo}`) about the repositories that are due, one request at a time:
//!
//! - with the ETag of the last answer (`If-None-Match`), so an unchanged repository costs a
//!   `304`, which GitHub does not count against the rate limit;
//! - with the token, when one is configured (5,000 requests an hour instead of 60);
//! - reading the rate-limit headers: when `x-ratelimit-remaining` reaches 0, or GitHub answers
//!   403/429 with `retry-after` or a reset time, the run waits if that is within
//!   `max_wait`, and otherwise stops, leaving the rest due for the next run. It never retries
//!   a refused request before the time GitHub gave;
//! - a repository that is gone (404, 410) is marked missing and asked about again in a week;
//!   a server error or an unreadable answer postpones that repository by an hour, and five in
//!   a row end the run.
//!
//! A counted repository is asked about again after `every`; each answer also records the day's
//! count, which "trending with code" reads (stars gained over the last 7 days).

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, ETAG, HeaderMap, IF_NONE_MATCH, RETRY_AFTER};

use crate::db::code::{Checked, PaperRepo};
use crate::db::{Db, DbError};
use crate::domain::code::repository;

/// Papers read from the catalog per transaction while following it.
const FOLLOW_BATCH: u32 = 1_000;
/// Repositories asked about per run at most.
const PER_RUN: i64 = 5_000;
/// Failures in a row that end a run: GitHub is having trouble.
const FAILURES_IN_A_ROW: u32 = 5;

/// GitHub's REST API, as the stars job uses it.
#[derive(Debug, Clone)]
pub struct GitHub {
    http: reqwest::Client,
    /// `https://api.github.com`, or a local server in tests.
    api: String,
    token: Option<String>,
}

/// How a run behaves.
#[derive(Debug, Clone, Copy)]
pub struct StarsOptions {
    /// How long after an answer a repository is asked about again.
    pub every: Duration,
    /// The longest the run waits for GitHub's rate limit to reset; beyond it, the run stops.
    pub max_wait: Duration,
}

impl Default for StarsOptions {
    fn default() -> Self {
        StarsOptions { every: Duration::from_secs(6 * 3600), max_wait: Duration::from_secs(120) }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StarsReport {
    /// Papers whose repository was (re)written while following the catalog.
    pub papers: u64,
    pub counted: u64,
    pub unchanged: u64,
    pub missing: u64,
    pub failed: u64,
    /// Why the run stopped before every due repository was asked about.
    pub stopped: Option<String>,
}

impl StarsReport {
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{} papers followed; {} repositories counted, {} unchanged (304), {} missing, {} failed",
            self.papers, self.counted, self.unchanged, self.missing, self.failed
        );
        if let Some(reason) = &self.stopped {
            line += &format!("; stopped: {reason}");
        }
        line
    }
}

/// GitHub's answer about one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Checked(Checked),
    /// Refused until then (rate limit).
    Wait(DateTime<Utc>),
    /// Anything else: a server error, an unreadable body, a network failure.
    Failed(String),
}

/// A failure to set up the client.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up GitHub's client: {0}")]
pub struct SetupError(String);

impl GitHub {
    /// A client of the API at `api` (no trailing slash needed), with `token` if given.
    pub fn new(api: &str, token: Option<String>, user_agent: &str) -> Result<GitHub, SetupError> {
        paperboy_arxiv::client::install_tls_provider();
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|err| SetupError(err.to_string()))?;
        Ok(GitHub { http, api: api.trim_end_matches('/').to_owned(), token: token.filter(|t| !t.is_empty()) })
    }

    /// Asks about `repo` (`https://github.com/owner/name`), with the ETag of the last answer.
    async fn ask(
        &self,
        repo: &str,
        etag: Option<&str>,
        now: DateTime<Utc>,
    ) -> (Answer, Option<DateTime<Utc>>) {
        let path = repo.trim_start_matches("https://github.com/");
        let mut request = self
            .http
            .get(format!("{}/repos/{path}", self.api))
            .header(ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28");
        if let Some(token) = &self.token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(etag) = etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => return (Answer::Failed(format!("no answer: {err}")), None),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let exhausted = exhausted_until(&headers, now);
        let answer = match status {
            StatusCode::OK => {
                let etag = headers.get(ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned);
                match response.text().await.map(|body| stars_in(&body)) {
                    Ok(Some(stars)) => Answer::Checked(Checked::Stars { stars, etag }),
                    Ok(None) => Answer::Failed("an answer without a star count".into()),
                    Err(err) => Answer::Failed(format!("the answer broke off: {err}")),
                }
            }
            StatusCode::NOT_MODIFIED => Answer::Checked(Checked::NotModified),
            StatusCode::NOT_FOUND | StatusCode::GONE => Answer::Checked(Checked::Missing),
            StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS => match refused_until(&headers, now) {
                Some(until) => Answer::Wait(until),
                None => Answer::Failed(format!("HTTP {status} without a rate limit")),
            },
            other => Answer::Failed(format!("HTTP {other}")),
        };
        (answer, exhausted)
    }
}

/// The star count in a repository's JSON, if the body is one.
fn stars_in(body: &str) -> Option<i64> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    value.get("stargazers_count")?.as_i64().filter(|stars| *stars >= 0)
}

/// When the quota resets, if this answer used the last request of it.
fn exhausted_until(headers: &HeaderMap, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let remaining: i64 = header_number(headers, "x-ratelimit-remaining")?;
    (remaining <= 0).then(|| reset_time(headers, now)).flatten()
}

/// When a refused request may be sent again: `retry-after` seconds, or the quota's reset time
/// when it is used up.
fn refused_until(headers: &HeaderMap, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if let Some(seconds) = header_number(headers, RETRY_AFTER.as_str()) {
        return Some(now + TimeDelta::seconds(seconds.clamp(0, 86_400)));
    }
    exhausted_until(headers, now)
}

fn reset_time(headers: &HeaderMap, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let reset = header_number(headers, "x-ratelimit-reset")?;
    let at = DateTime::from_timestamp(reset, 0)?;
    Some(at.max(now))
}

fn header_number(headers: &HeaderMap, name: &str) -> Option<i64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Follows the catalog from the stars job's cursor, writing each changed paper's repository.
pub async fn follow(db: &Db) -> Result<u64, DbError> {
    let mut cursor = db.repos_cursor().await?;
    let mut papers = 0;
    loop {
        let batch = db.papers_changed_since(cursor, FOLLOW_BATCH).await?;
        let Some(last) = batch.last().map(|p| p.change_seq) else { return Ok(papers) };
        let repos: Vec<PaperRepo> = batch
            .iter()
            .map(|stored| PaperRepo {
                paper_id: stored.paper.id.to_string(),
                repo: repository(&stored.paper).map(|r| (r.url, r.found)),
            })
            .collect();
        db.follow_repos(&repos, last, Utc::now()).await?;
        papers += repos.len() as u64;
        cursor = last;
    }
}

/// One run: follow the catalog, then ask GitHub about the repositories that are due.
pub async fn refresh(db: &Db, github: &GitHub, options: StarsOptions) -> Result<StarsReport, DbError> {
    let mut report = StarsReport { papers: follow(db).await?, ..StarsReport::default() };
    let every = TimeDelta::from_std(options.every).unwrap_or(TimeDelta::hours(6));
    let max_wait = TimeDelta::from_std(options.max_wait).unwrap_or(TimeDelta::zero());
    let due = db.repos_due(Utc::now(), PER_RUN).await?;
    let mut failures = 0;
    let mut queue = due.into_iter();
    let mut current = queue.next();
    while let Some(repo) = current.take() {
        let now = Utc::now();
        let (answer, exhausted) = github.ask(&repo.repo, repo.etag.as_deref(), now).await;
        match answer {
            Answer::Checked(checked) => {
                failures = 0;
                let next = match checked {
                    Checked::Missing => now + TimeDelta::days(7),
                    _ => now + every,
                };
                match &checked {
                    Checked::Stars { .. } => report.counted += 1,
                    Checked::NotModified => report.unchanged += 1,
                    Checked::Missing => report.missing += 1,
                }
                db.record_repo(&repo.repo, &checked, now, next).await?;
                current = queue.next();
            }
            Answer::Wait(until) => {
                if until - now > max_wait {
                    report.stopped = Some(format!("GitHub's rate limit holds until {until}"));
                    break;
                }
                tracing::info!(%until, "GitHub's rate limit: waiting");
                tokio::time::sleep((until - now).to_std().unwrap_or_default()).await;
                current = Some(repo);
                continue;
            }
            Answer::Failed(reason) => {
                tracing::warn!(repo = %repo.repo, %reason, "GitHub did not answer usefully");
                report.failed += 1;
                failures += 1;
                db.postpone_repo(&repo.repo, now + TimeDelta::hours(1)).await?;
                if failures >= FAILURES_IN_A_ROW {
                    report.stopped = Some(format!("{failures} failures in a row, the last: {reason}"));
                    break;
                }
                current = queue.next();
            }
        }
        if let Some(until) = exhausted
            && current.is_some()
        {
            let now = Utc::now();
            if until - now > max_wait {
                report.stopped = Some(format!("GitHub's rate limit is used up until {until}"));
                break;
            }
            tokio::time::sleep((until - now).to_std().unwrap_or_default()).await;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn star_counts_are_read_only_from_a_repository_answer() {
        assert_eq!(stars_in(r#"{"full_name": "a/b", "stargazers_count": 42}"#), Some(42));
        for garbage in ["", "<html>", r#"{"stargazers_count": "many"}"#, r#"{"stargazers_count": -1}"#, "[]"]
        {
            assert_eq!(stars_in(garbage), None, "{garbage}");
        }
    }

    #[test]
    fn rate_limit_headers_say_when_to_ask_again() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("1800000090"));
        assert_eq!(exhausted_until(&headers, now), Some(now + TimeDelta::seconds(90)));
        assert_eq!(refused_until(&headers, now), Some(now + TimeDelta::seconds(90)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("30"));
        assert_eq!(refused_until(&headers, now), Some(now + TimeDelta::seconds(30)));
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("12"));
        assert_eq!(exhausted_until(&headers, now), None);
        assert_eq!(refused_until(&HeaderMap::new(), now), None);
    }
}
