//! `paperboy bench load`: a mixed load on running servers, as readers and members make it (the
//! load generator of `bench/scale-out.sh`).
//!
//! Each of `connections` connections sends its next request once the answer to its last has
//! been read whole, to the servers in turn. Most act as readers: day and week pages, paper
//! pages, feeds, the JSON API's daily papers and papers, and searches of the API (keyword, and
//! hybrid when asked), half of them one of the built-in queries and half three of their words
//! drawn at random, which no ranking kept from an earlier search can answer. The member
//! connections each sign in with the next one-time link (`paperboy user add` prints one),
//! then open paper after paper signed in and vote on it, save it or comment on it, and sign in
//! as the next member after `ACTIONS_PER_MEMBER`. After each vote, the member asks another
//! server for the paper until it shows the vote's count: how long a vote takes to be seen by
//! every server.
//!
//! Each request says which client sent it in `X-Forwarded-For` (servers started with
//! `--trust-forwarded-for` count quotas by it): a reader's request comes from one of
//! `READER_ADDRESSES` addresses drawn at random, a member's from that member's own address.
//!
//! Reported per kind of request: how many, how many a second, p50 and p99 latency, and errors
//! (an answer other than 2xx or 3xx, or none within `TIMEOUT`), with the first errors in full.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::NaiveDate;
use paperboy_arxiv::reader::{Item, RecordReader};
use paperboy_vectors::measure::Latency;
use paperboy_vectors::random::SplitMix64;
use reqwest::header::{ACCEPT, COOKIE, HeaderMap, SET_COOKIE};
use reqwest::redirect::Policy;

use crate::bench::search::QUERIES;

/// The header that names the client to a server behind a proxy.
const FORWARDED: &str = "x-forwarded-for";

/// Votes, saves and comments a member makes before the next member signs in.
const ACTIONS_PER_MEMBER: usize = 20;

/// How long a request may take before it counts as an error.
const TIMEOUT: Duration = Duration::from_secs(30);

/// How long to wait for another server to show a vote before counting it as not seen.
const SEEN_WITHIN: Duration = Duration::from_secs(5);

/// The pause between two questions to another server about a vote.
const SEEN_POLL: Duration = Duration::from_millis(20);

/// How many client addresses readers' requests come from.
const READER_ADDRESSES: usize = 1_000;

/// Errors printed in full; the rest are counted.
const ERRORS_SHOWN: usize = 10;

/// What to send, where, and for how long.
pub struct LoadOptions {
    /// Base URLs of the servers (`http://127.0.0.1:8080`); requests take turns among them.
    pub servers: Vec<String>,
    /// Ids of papers the servers hold.
    pub papers: Vec<String>,
    /// Announce days that have a feed.
    pub days: Vec<NaiveDate>,
    /// One-time sign-in links, as paths (`/links/login?token=...`).
    pub links: Vec<String>,
    pub connections: usize,
    /// Of `connections`, how many act as members (none without links).
    pub member_connections: usize,
    pub duration: Duration,
    /// How long each connection waits after an answer before its next request, as a reader
    /// does: with it, the load offers at most `connections / pause` requests a second instead
    /// of all the servers can answer.
    pub pause: Duration,
    /// Whether readers' searches include hybrid ones.
    pub hybrid: bool,
    pub seed: u64,
}

impl LoadOptions {
    /// Reads the papers' ids and announce days from a file of records in any format `import`
    /// reads, and the sign-in links from a file of `user add`'s output (any line with one).
    pub fn read_inputs(&mut self, papers: &Path, links: Option<&Path>) -> anyhow::Result<()> {
        let (reader, _) =
            RecordReader::open(papers, None).with_context(|| format!("cannot open {}", papers.display()))?;
        let mut days = BTreeSet::new();
        for item in reader {
            if let Item::Paper { paper, .. } = item.with_context(|| format!("{}", papers.display()))? {
                days.extend(paper.announce_date);
                self.papers.push(paper.id.to_string());
            }
        }
        anyhow::ensure!(!self.papers.is_empty(), "{} holds no papers", papers.display());
        anyhow::ensure!(!days.is_empty(), "no paper of {} has an announce day", papers.display());
        self.days = days.into_iter().collect();
        if let Some(file) = links {
            let text =
                std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
            self.links = text
                .lines()
                .filter_map(|line| line.find("/links/login?token=").map(|at| line[at..].trim().to_owned()))
                .collect();
            anyhow::ensure!(!self.links.is_empty(), "{} holds no sign-in link", file.display());
        }
        Ok(())
    }
}

/// A kind of request, as the report lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    DayPage,
    WeekPage,
    PaperPage,
    Feed,
    ApiDaily,
    ApiPaper,
    SearchKeyword,
    SearchHybrid,
    SignIn,
    MemberPage,
    Vote,
    Save,
    Comment,
}

impl Kind {
    const ALL: [Kind; 13] = [
        Kind::DayPage,
        Kind::WeekPage,
        Kind::PaperPage,
        Kind::Feed,
        Kind::ApiDaily,
        Kind::ApiPaper,
        Kind::SearchKeyword,
        Kind::SearchHybrid,
        Kind::SignIn,
        Kind::MemberPage,
        Kind::Vote,
        Kind::Save,
        Kind::Comment,
    ];

    fn label(self) -> &'static str {
        match self {
            Kind::DayPage => "day page",
            Kind::WeekPage => "week page",
            Kind::PaperPage => "paper page",
            Kind::Feed => "feed (RSS, Atom)",
            Kind::ApiDaily => "API daily papers",
            Kind::ApiPaper => "API paper",
            Kind::SearchKeyword => "API search, keyword",
            Kind::SearchHybrid => "API search, hybrid",
            Kind::SignIn => "sign-in (link, form)",
            Kind::MemberPage => "paper page, signed in",
            Kind::Vote => "vote",
            Kind::Save => "save",
            Kind::Comment => "comment",
        }
    }
}

/// The readers' mix: each kind with its share of their requests.
const READS: [(Kind, u32); 8] = [
    (Kind::DayPage, 20),
    (Kind::WeekPage, 8),
    (Kind::PaperPage, 25),
    (Kind::Feed, 5),
    (Kind::ApiDaily, 10),
    (Kind::ApiPaper, 12),
    (Kind::SearchKeyword, 14),
    (Kind::SearchHybrid, 6),
];

/// What one connection saw.
#[derive(Default)]
struct Tally {
    times: [Vec<Duration>; Kind::ALL.len()],
    errors: [u64; Kind::ALL.len()],
    first_errors: Vec<String>,
    /// From a vote's answer to another server showing its count.
    seen: Vec<Duration>,
    unseen: u64,
}

impl Tally {
    fn error(&mut self, kind: Kind, what: String) {
        self.errors[kind as usize] += 1;
        if self.first_errors.len() < ERRORS_SHOWN {
            self.first_errors.push(format!("{}: {what}", kind.label()));
        }
    }

    fn add(&mut self, other: Tally) {
        for (mine, theirs) in self.times.iter_mut().zip(other.times) {
            mine.extend(theirs);
        }
        for (mine, theirs) in self.errors.iter_mut().zip(other.errors) {
            *mine += theirs;
        }
        let room = ERRORS_SHOWN.saturating_sub(self.first_errors.len());
        self.first_errors.extend(other.first_errors.into_iter().take(room));
        self.seen.extend(other.seen);
        self.unseen += other.unseen;
    }
}

/// An answer read whole.
struct Answer {
    headers: HeaderMap,
    body: String,
}

/// What every connection shares.
struct Plan {
    options: LoadOptions,
    /// The readers' mix, without hybrid searches unless asked for.
    reads: Vec<(Kind, u32)>,
    queries: Vec<&'static str>,
    words: Vec<&'static str>,
    next_link: AtomicUsize,
    deadline: Instant,
}

/// One connection: its own generator and turn among the servers, and what it saw.
struct Connection {
    client: reqwest::Client,
    plan: Arc<Plan>,
    random: SplitMix64,
    turn: usize,
    tally: Tally,
}

/// A signed-in member: the session cookie, and the address the member's requests come from.
struct Member {
    cookie: String,
    address: String,
}

impl Connection {
    fn running(&self) -> bool {
        Instant::now() < self.plan.deadline
    }

    /// The next server's base URL, and the one after it (another server when there are several).
    fn servers(&mut self) -> (String, String) {
        let servers = &self.plan.options.servers;
        self.turn += 1;
        (servers[self.turn % servers.len()].clone(), servers[(self.turn + 1) % servers.len()].clone())
    }

    fn paper(&mut self) -> String {
        let papers = &self.plan.options.papers;
        papers[self.random.below(papers.len())].clone()
    }

    fn day(&mut self) -> NaiveDate {
        let days = &self.plan.options.days;
        days[self.random.below(days.len())]
    }

    /// A built-in query, or three of their words together, half the time each.
    fn query(&mut self) -> String {
        let plan = Arc::clone(&self.plan);
        if self.random.below(2) == 0 {
            return plan.queries[self.random.below(plan.queries.len())].to_owned();
        }
        let words: Vec<&str> = (0..3).map(|_| plan.words[self.random.below(plan.words.len())]).collect();
        words.join(" ")
    }

    /// Sends `request` and reads its answer whole, timing both as `kind`; records an error and
    /// answers `None` for a status other than 2xx or 3xx, or no answer.
    async fn send(&mut self, kind: Kind, request: reqwest::RequestBuilder) -> Option<Answer> {
        let request = match request.build() {
            Ok(request) => request,
            Err(err) => {
                self.tally.error(kind, err.to_string());
                return None;
            }
        };
        let url = request.url().clone();
        let start = Instant::now();
        let result = async {
            let response = self.client.execute(request).await?;
            let (status, headers) = (response.status(), response.headers().clone());
            let body = response.text().await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        }
        .await;
        let elapsed = start.elapsed();
        match result {
            Ok((status, headers, body)) if status.is_success() || status.is_redirection() => {
                self.tally.times[kind as usize].push(elapsed);
                Some(Answer { headers, body })
            }
            Ok((status, _, body)) => {
                let clipped: String = body.chars().take(200).collect();
                self.tally.error(kind, format!("{status} from {url}: {clipped}"));
                None
            }
            Err(err) => {
                self.tally.error(kind, format!("{url}: {err}"));
                None
            }
        }
    }

    /// One reader's request, of a kind drawn from the mix.
    async fn read(&mut self) {
        let kind = self.reader_kind();
        let (base, _) = self.servers();
        let reader = self.random.below(READER_ADDRESSES);
        let address = format!("10.0.{}.{}", reader / 256, reader % 256);
        let mut search = None;
        let path = match kind {
            Kind::DayPage => format!("/papers/date/{}", self.day()),
            Kind::WeekPage => format!("/papers/week/{}", self.day().format("%G-W%V")),
            Kind::PaperPage => format!("/papers/{}", self.paper()),
            Kind::Feed => format!("/feeds/{}", ["daily.rss", "trending.atom"][self.random.below(2)]),
            Kind::ApiDaily => format!("/api/daily_papers?date={}", self.day()),
            Kind::ApiPaper => format!("/api/papers/{}", self.paper()),
            _ => {
                let mode = if kind == Kind::SearchHybrid { "hybrid" } else { "keyword" };
                search = Some([("mode", mode.to_owned()), ("limit", "20".to_owned()), ("q", self.query())]);
                "/api/papers/search".to_owned()
            }
        };
        let mut request = self.client.get(format!("{base}{path}")).header(FORWARDED, address);
        if let Some(parameters) = &search {
            request = request.query(parameters);
        }
        self.send(kind, request).await;
    }

    fn reader_kind(&mut self) -> Kind {
        let reads = &self.plan.reads;
        let total: u32 = reads.iter().map(|(_, share)| share).sum();
        let mut draw = self.random.below(total as usize) as u32;
        for &(kind, share) in reads {
            if draw < share {
                return kind;
            }
            draw -= share;
        }
        unreachable!("the draw is below the shares' sum")
    }

    /// Signs in with the next unused link; `None` when none is left or signing in failed.
    async fn sign_in(&mut self) -> Option<Member> {
        let plan = Arc::clone(&self.plan);
        let number = plan.next_link.fetch_add(1, Ordering::Relaxed);
        let link = plan.options.links.get(number)?;
        let token = link.split_once("token=")?.1;
        let address = format!("10.1.{}.{}", number / 256, number % 256);
        let (base, _) = self.servers();
        let page = self.client.get(format!("{base}{link}")).header(FORWARDED, &address);
        let page = self.send(Kind::SignIn, page).await?;
        let (Some(csrf_cookie), Some(csrf)) = (cookie(&page.headers, "pb_csrf"), form_csrf(&page.body))
        else {
            self.tally.error(Kind::SignIn, format!("the link page {link} has no form token"));
            return None;
        };
        let request = self
            .client
            .post(format!("{base}/links/login"))
            .header(FORWARDED, &address)
            .header(COOKIE, format!("pb_csrf={csrf_cookie}"))
            .form(&[("csrf", csrf.as_str()), ("token", token)]);
        let answer = self.send(Kind::SignIn, request).await?;
        match cookie(&answer.headers, "pb_session") {
            Some(session) => Some(Member { cookie: format!("pb_session={session}"), address }),
            None => {
                self.tally.error(Kind::SignIn, format!("signing in with {link} started no session"));
                None
            }
        }
    }

    /// A member opens a paper's page and votes on it (half the time), saves it or comments.
    async fn act(&mut self, member: &Member) {
        let id = self.paper();
        let (base, other) = self.servers();
        let page = self
            .client
            .get(format!("{base}/papers/{id}"))
            .header(FORWARDED, &member.address)
            .header(COOKIE, &member.cookie);
        let Some(page) = self.send(Kind::MemberPage, page).await else { return };
        let Some(csrf) = form_csrf(&page.body) else {
            self.tally.error(Kind::MemberPage, format!("the signed-in page of {id} has no form token"));
            return;
        };
        let client = self.client.clone();
        let post = |action: &str| {
            client
                .post(format!("{base}/papers/{id}/{action}"))
                .header(FORWARDED, &member.address)
                .header(COOKIE, &member.cookie)
                .header(ACCEPT, "application/json")
        };
        match self.random.below(10) {
            0..5 => {
                let up = if self.random.below(4) == 0 { "0" } else { "1" };
                let request = post("vote").form(&[("csrf", csrf.as_str()), ("up", up)]);
                let Some(answer) = self.send(Kind::Vote, request).await else { return };
                if let Some(count) = upvotes(&answer.body)
                    && other != base
                {
                    self.wait_until_seen(&other, &id, count, &member.address).await;
                }
            }
            5..8 => {
                let request = post("save").form(&[("csrf", csrf.as_str()), ("saved", "1")]);
                self.send(Kind::Save, request).await;
            }
            _ => {
                let body =
                    format!("Read this during the load test (comment {}).", self.random.below(1_000_000));
                let request = post("comments").form(&[("csrf", csrf.as_str()), ("body", body.as_str())]);
                self.send(Kind::Comment, request).await;
            }
        }
    }

    /// Asks `server` for paper `id`, from `address`, until it shows `count` upvotes, and records
    /// how long that took.
    async fn wait_until_seen(&mut self, server: &str, id: &str, count: i64, address: &str) {
        let start = Instant::now();
        while start.elapsed() < SEEN_WITHIN {
            let shown = async {
                let request = self.client.get(format!("{server}/api/papers/{id}")).header(FORWARDED, address);
                request.send().await?.text().await
            };
            if shown.await.ok().as_deref().and_then(upvotes) == Some(count) {
                self.tally.seen.push(start.elapsed());
                return;
            }
            tokio::time::sleep(SEEN_POLL).await;
        }
        self.tally.unseen += 1;
    }

    async fn pause(&self) {
        if !self.plan.options.pause.is_zero() {
            tokio::time::sleep(self.plan.options.pause).await;
        }
    }

    /// A reader's loop, until the deadline.
    async fn run_reader(mut self) -> Tally {
        while self.running() {
            self.read().await;
            self.pause().await;
        }
        self.tally
    }

    /// A member's loop: sign in, act, and sign in as the next member; reads once no link is
    /// left and no member is signed in.
    async fn run_member(mut self) -> Tally {
        let mut member: Option<Member> = None;
        let mut actions = 0;
        while self.running() {
            if (member.is_none() || actions >= ACTIONS_PER_MEMBER)
                && let Some(next) = self.sign_in().await
            {
                member = Some(next);
                actions = 0;
            }
            match &member {
                Some(signed_in) => {
                    self.act(signed_in).await;
                    actions += 1;
                }
                None => self.read().await,
            }
            self.pause().await;
        }
        self.tally
    }
}

/// The value of cookie `name` that `headers` set.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(SET_COOKIE).iter().filter_map(|value| value.to_str().ok()).find_map(|value| {
        let (pair, _) = value.split_once(';').unwrap_or((value, ""));
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name && !value.is_empty()).then(|| value.to_owned())
    })
}

/// The form token of the first form on a page.
fn form_csrf(page: &str) -> Option<String> {
    let start = page.find(r#"name="csrf" value=""#)? + r#"name="csrf" value=""#.len();
    let end = page[start..].find('"')?;
    Some(page[start..start + end].to_owned())
}

/// `upvotes` of a JSON answer (a vote's, or a paper's).
fn upvotes(body: &str) -> Option<i64> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    value.get("upvotes")?.as_i64()
}

/// Runs the load and returns the report, and whether every request succeeded and every vote
/// was seen.
pub async fn run(options: LoadOptions) -> anyhow::Result<(String, bool)> {
    anyhow::ensure!(!options.servers.is_empty(), "give at least one server");
    paperboy_arxiv::client::install_tls_provider();
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(TIMEOUT)
        .pool_max_idle_per_host(options.connections)
        .build()?;
    let queries: Vec<&'static str> =
        QUERIES.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')).collect();
    let words = queries
        .iter()
        .copied()
        .filter(|query| !query.contains([':', '"']))
        .flat_map(|query| query.split_whitespace())
        .collect();
    let members =
        if options.links.is_empty() { 0 } else { options.member_connections.min(options.connections) };
    let (connections, duration, seed) = (options.connections, options.duration, options.seed);
    let hybrid = options.hybrid;
    let plan = Arc::new(Plan {
        reads: READS.into_iter().filter(|(kind, _)| hybrid || *kind != Kind::SearchHybrid).collect(),
        options,
        queries,
        words,
        next_link: AtomicUsize::new(0),
        deadline: Instant::now() + duration,
    });
    let start = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|index| {
            let connection = Connection {
                client: client.clone(),
                plan: Arc::clone(&plan),
                random: SplitMix64::for_item(seed, 0, index as u64),
                turn: index,
                tally: Tally::default(),
            };
            match index < members {
                true => tokio::spawn(connection.run_member()),
                false => tokio::spawn(connection.run_reader()),
            }
        })
        .collect();
    let mut tally = Tally::default();
    for task in tasks {
        tally.add(task.await?);
    }
    let elapsed = start.elapsed();
    let signed_in = plan.next_link.load(Ordering::Relaxed).min(plan.options.links.len());
    Ok(report(&tally, elapsed, &plan.options, members, signed_in))
}

fn report(
    tally: &Tally,
    elapsed: Duration,
    options: &LoadOptions,
    members: usize,
    links: usize,
) -> (String, bool) {
    let seconds = elapsed.as_secs_f64();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let total: usize = tally.times.iter().map(Vec::len).sum();
    let errors: u64 = tally.errors.iter().sum();
    let mut out = format!(
        "{} server(s), {} connections ({members} as members, {links} sign-in links used), {} ms pause \
         after each answer, {:.0} s: {total} answers, {:.0} a second, {errors} errors\n\n\
         | kind                   | requests |  req/s  | p50 ms  | p99 ms  | errors |\n\
         | ---------------------- | -------- | ------- | ------- | ------- | ------ |\n",
        options.servers.len(),
        options.connections,
        options.pause.as_millis(),
        seconds,
        total as f64 / seconds,
    );
    let mut all = Vec::with_capacity(total);
    for kind in Kind::ALL {
        let times = &tally.times[kind as usize];
        let failed = tally.errors[kind as usize];
        if times.is_empty() && failed == 0 {
            continue;
        }
        all.extend_from_slice(times);
        let latency = Latency::of(times.clone());
        let _ = writeln!(
            out,
            "| {:<22} | {:>8} | {:>7.1} | {:>7.2} | {:>7.2} | {:>6} |",
            kind.label(),
            times.len(),
            times.len() as f64 / seconds,
            ms(latency.p50),
            ms(latency.p99),
            failed
        );
    }
    let latency = Latency::of(all);
    let _ = writeln!(
        out,
        "| {:<22} | {:>8} | {:>7.1} | {:>7.2} | {:>7.2} | {:>6} |",
        "all",
        total,
        total as f64 / seconds,
        ms(latency.p50),
        ms(latency.p99),
        errors
    );
    if !tally.seen.is_empty() || tally.unseen > 0 {
        let max = tally.seen.iter().max().copied().unwrap_or_default();
        let seen = Latency::of(tally.seen.clone());
        let _ = writeln!(
            out,
            "\nA vote seen by another server: {} votes, p50 {:.0} ms, p99 {:.0} ms, slowest {:.0} ms; \
             not seen within {} s: {}",
            tally.seen.len(),
            ms(seen.p50),
            ms(seen.p99),
            ms(max),
            SEEN_WITHIN.as_secs(),
            tally.unseen
        );
    }
    for error in &tally.first_errors {
        let _ = writeln!(out, "error: {error}");
    }
    (out, errors == 0 && tally.unseen == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_from_set_cookie_headers() {
        let mut headers = HeaderMap::new();
        headers.append(SET_COOKIE, "pb_csrf=abc; Path=/; HttpOnly".parse().unwrap());
        headers.append(SET_COOKIE, "pb_session=xyz; Path=/".parse().unwrap());
        assert_eq!(cookie(&headers, "pb_session").as_deref(), Some("xyz"));
        assert_eq!(cookie(&headers, "pb_csrf").as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "other"), None);
    }

    #[test]
    fn form_tokens_and_counts_are_found() {
        let page = r#"<form><input type="hidden" name="csrf" value="t0k-en"></form>"#;
        assert_eq!(form_csrf(page).as_deref(), Some("t0k-en"));
        assert_eq!(form_csrf("<p>no form</p>"), None);
        assert_eq!(upvotes(r#"{"upvotes":3,"voted":true}"#), Some(3));
        assert_eq!(upvotes("<html>"), None);
    }
}
