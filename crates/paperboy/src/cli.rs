//! The command line: every process role and admin task is a subcommand of `paperboy`.
//!
//! Parsed once in `main` with clap; every flag can also come from a `PAPERBOY_*` environment
//! variable. Doc comments here are the `--help` text, so they teach rather than merely name.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};
use paperboy_arxiv::Format;
use paperboy_arxiv::client::{ClientConfig, DEFAULT_API_URL, DEFAULT_OAI_URL, DEFAULT_WEB_URL, user_agent};
use paperboy_arxiv::oai::MetadataFormat;

use crate::domain::feed::FeatureRule;

/// Paperboy finds and delivers the research papers worth reading: an arXiv catalog with daily
/// feeds, search, a Hugging Face compatible API and email digests, in one binary.
///
/// By default everything lives in one data directory (an SQLite database and indexes). Point
/// `--database-url` at PostgreSQL when one machine is not enough.
#[derive(Debug, Parser)]
#[command(name = "paperboy", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Directory for the embedded database and indexes; created if missing.
    #[arg(long, global = true, env = "PAPERBOY_DATA_DIR", default_value = "./paperboy-data")]
    pub data_dir: PathBuf,

    /// Database to use instead of the SQLite file in the data directory,
    /// e.g. postgres://user@host/paperboy or sqlite:///path/to/file.db.
    #[arg(long, global = true, env = "PAPERBOY_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Directory of the sentence-embedding model for semantic search and similar papers:
    /// all-MiniLM-L6-v2 in the sentence-transformers layout (config.json, tokenizer.json,
    /// model.safetensors) or a Hugging Face hub cache. `scripts/fetch-model.sh` fetches it.
    /// Without a model, semantic search is off and keyword search serves alone.
    #[arg(long, global = true, env = "PAPERBOY_MODEL_DIR", value_name = "DIR")]
    pub model: Option<PathBuf>,

    /// Embed with paperboy-hash-v1 instead of a model: words and word pairs hashed into 384
    /// dimensions, no model to load, microseconds a text. Semantic search then finds shared
    /// words, not meaning; it is for load tests at scale (bench/scale-out.sh), where embedding a
    /// million abstracts with the model would take this machine's CPUs most of a day. Vectors
    /// are stored under that name, apart from the model's.
    #[arg(long, global = true, env = "PAPERBOY_HASH_EMBEDDER", conflicts_with = "model",
          value_parser = BoolishValueParser::new())]
    pub hash_embedder: bool,

    /// Log format on standard error: `text` for people, `json` for log collectors.
    /// Verbosity follows RUST_LOG (default `info`).
    #[arg(long, global = true, env = "PAPERBOY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Which imported or harvested papers join the daily feed of their announce day. A rule is
    /// `all` (the default: every announced paper), `none`, or terms joined by `+` that must all
    /// hold: `cat:cs.CL` (primary or cross-listed), `cat:cs` (a whole archive),
    /// `keyword:diffusion` (a word or phrase in the title or abstract, any case). Papers any
    /// rule holds for are featured; repeat the flag for more rules (in the variable, separate
    /// them with `;`). Example: --feature-rule 'cat:cs.CL' --feature-rule 'cat:cs.LG+keyword:robot'
    #[arg(
        long = "feature-rule",
        global = true,
        env = "PAPERBOY_FEATURE_RULES",
        value_delimiter = ';',
        default_value = "all",
        value_name = "RULE"
    )]
    pub feature_rules: Vec<FeatureRule>,

    /// SMTP server for outgoing email, as smtp://USER:PASSWORD@HOST:587?tls=required
    /// (STARTTLS), smtps://USER:PASSWORD@HOST:465 (TLS from the start) or smtp://HOST:25 (no
    /// TLS, for a relay on the same machine). Without it, each email is written as an .eml
    /// file into DATA_DIR/mail, which is where to find them on a fresh install.
    #[arg(long, global = true, env = "PAPERBOY_SMTP_URL", hide_env_values = true, value_name = "URL")]
    pub smtp_url: Option<String>,

    /// The address readers reach the site at, such as https://papers.example.org. Feeds,
    /// pagination `Link` headers, canonical links and every link in an email are absolute and
    /// start with it. Default: http:// and the --listen address (`serve`), else
    /// http://127.0.0.1:8080.
    #[arg(long, global = true, env = "PAPERBOY_BASE_URL", value_name = "URL", value_parser = parse_base_url)]
    pub base_url: Option<String>,

    /// The From address of every email.
    #[arg(long, global = true, env = "PAPERBOY_MAIL_FROM", default_value = "Paperboy <paperboy@localhost>")]
    pub mail_from: String,
}

impl GlobalArgs {
    /// `--base-url`, or http://127.0.0.1:8080 for commands that serve nothing themselves.
    pub fn base_url(&self) -> String {
        self.base_url.clone().unwrap_or_else(|| "http://127.0.0.1:8080".into())
    }
}

/// An http(s) address, without a trailing slash.
fn parse_base_url(text: &str) -> Result<String, String> {
    if text.starts_with("http://") || text.starts_with("https://") {
        Ok(text.trim_end_matches('/').to_owned())
    } else {
        Err(format!("{text}: expected an address starting with http:// or https://"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (site and JSON API).
    ///
    /// On an empty embedded database it first loads the bundled demo data set (a few thousand
    /// real arXiv papers), so a fresh install shows real papers. Stops gracefully on Ctrl-C or
    /// SIGTERM, finishing requests in flight.
    Serve(ServeArgs),

    /// Import papers from JSON Lines or JSON files, plain or gzip-compressed.
    ///
    /// Three record formats are understood and detected from the first record: Paperboy's own
    /// (`id, title, summary, authors[], categories[], comment, announce_date`), the Kaggle
    /// "arxiv-metadata-oai-snapshot" dump, and Hugging Face `/api/daily_papers` JSON. Records are
    /// upserted in batches: importing a file twice changes nothing, a newer version of a paper
    /// replaces an older one, and an older version never overwrites a newer one. A malformed
    /// record is reported with its file, line and reason, and skipped.
    Import(ImportArgs),

    /// Harvest papers from arXiv's OAI-PMH interface.
    ///
    /// Pages through ListRecords with resumption tokens, pausing --delay seconds after each response,
    /// honouring HTTP 503 Retry-After. Progress is checkpointed in the database after every
    /// page: running the same command again after an interruption resumes where it stopped.
    Harvest(HarvestArgs),

    /// Look papers up by arXiv id through the arXiv API and store them.
    Fetch(FetchArgs),

    /// Put papers on a day's feed, as a curator.
    ///
    /// The papers must be in the catalog (`paperboy fetch ID` adds one). A paper is on one
    /// day's feed at most: featuring it for another day moves it there. Pages and feeds show
    /// the change within a second. Example:
    ///
    ///   paperboy feature 2606.00124 2606.00250 --date 2026-06-02
    Feature(FeatureArgs),

    /// Run background jobs from the database's queue until stopped (Ctrl-C or SIGTERM).
    ///
    /// Jobs: the trending refresh (enqueued every 5 minutes), the email digests (every minute:
    /// each reader's digest at their hour, sent through --smtp-url or into DATA_DIR/mail, with
    /// links starting with --base-url), with --daily-harvest yesterday's arXiv records
    /// (enqueued once a day), with --stars the repositories' GitHub stars (every hour), with
    /// --fulltext the full texts of new feed papers (every ten minutes), and with a model
    /// (--model or PAPERBOY_MODEL_DIR) the vectors of new and changed papers for semantic
    /// search, as `paperboy embed` (every ten minutes). Any number of workers may share one
    /// PostgreSQL database: each job runs on one of them, and a job whose worker dies runs again
    /// elsewhere once its lease expires. Failed jobs are retried with exponential backoff (30 s,
    /// 1 min, 2 min, ...) up to 5 attempts. On one machine, `paperboy serve --with-worker` runs
    /// a worker inside the server instead.
    Worker(WorkerCommandArgs),

    /// Manage accounts from the command line: list them, add one, grant a role.
    #[command(subcommand)]
    User(UserCommand),

    /// Email digests, "trending papers in your inbox": send them, preview one, list readers.
    ///
    /// Readers subscribe on the site (a form on every feed page, confirmed by email) or through
    /// `POST /api/subscriptions`. A worker (`paperboy worker`, `serve --with-worker`) composes
    /// and sends each reader's digest at their hour; `digest run` does it now, by hand.
    #[command(subcommand)]
    Digest(DigestCommand),

    /// Create or update the database schema, then exit. Other commands migrate on start too.
    Migrate,

    /// Search the catalog and print ranked results with their scores.
    ///
    /// The query language: words are searched in titles, abstracts and authors; "a phrase"
    /// must appear as written; -word excludes; author:Hinton or author:"Geoffrey Hinton";
    /// cat:cs.CL or a whole archive, cat:cs; date:2025-03, date:2025-03-01..2025-03-15,
    /// date:2025.. . An arXiv id or URL puts that paper first. In a query of up to four
    /// words, a word no paper contains is matched to the indexed words it most resembles
    /// (one or two typing errors), with a note. in:fulltext searches the passages of the
    /// papers' full texts instead (`paperboy fulltext` fetches them), by keyword, and prints
    /// the best passage of each paper with its section. Examples:
    ///
    ///   paperboy search '"diffusion model" cat:cs.CV date:2025..' --limit 5
    ///   paperboy search 'backdoor trigger in:fulltext'
    Search(SearchArgs),

    /// Compute the embeddings that semantic search needs, for papers that lack them.
    ///
    /// Needs --model. Embeds every paper whose title and abstract have no stored vector for
    /// this model, or changed since: a second run, or a run after a re-import, embeds nothing
    /// new. Each batch is committed, so an interrupted run resumes where it stopped. On a
    /// 2-core machine this takes roughly a minute per thousand papers; a running server picks
    /// the new vectors up by itself.
    Embed(EmbedArgs),

    /// Give papers keywords and a one-sentence TL;DR, with the embedding model.
    ///
    /// Needs --model. For each paper that has none, or whose title or abstract changed since,
    /// or that an older method annotated: up to five key phrases of its title and abstract
    /// (those closest in meaning to the paper, kept diverse, as KeyBERT chooses them) and the
    /// sentence of its abstract closest to the paper as a whole. The newest papers first; each
    /// batch is committed, so an interrupted run resumes. Pages and the API show them, marked
    /// as automatic. On 2 cores this takes a few papers a second (BENCHMARKS.md); `paperboy
    /// worker --annotate` does the same in the background for new papers.
    Annotate(AnnotateArgs),

    /// Ask a language model for a one-sentence summary of each paper of the last week's feed.
    ///
    /// Needs --llm-url and --llm-model: any OpenAI-compatible chat completions endpoint
    /// (llama.cpp's server, vLLM, Ollama, a hosted one). The summary, stored with the model's
    /// name, is shown instead of the extractive TL;DR. Papers already summarised by this model
    /// from their current abstract are skipped; failures are retried later, not now.
    /// `paperboy worker --llm-url ... --llm-model ...` does the same every ten minutes. The
    /// prompt is crates/paperboy/prompts/summary.txt. Example, with llama.cpp's server:
    ///
    ///   paperboy summarize --llm-url http://localhost:8080/v1 --llm-model qwen2.5-7b-instruct
    #[command(verbatim_doc_comment)]
    Summarize(LlmArgs),

    /// Copy the embedded database to a new file, consistently, while servers run.
    ///
    /// The copy holds exactly what was committed when it began (SQLite's VACUUM INTO), compacted
    /// into one file. Bring it back with `paperboy restore`. On PostgreSQL, use pg_dump.
    /// Example:
    ///
    ///   paperboy backup backups/paperboy-$(date +%F).db
    #[command(verbatim_doc_comment)]
    Backup(BackupArgs),

    /// Put a backup in place of the embedded database; stop the servers first.
    ///
    /// The backup is checked (and an older one brought up to date), the current database is
    /// kept beside it as paperboy.db.before-restore-TIME, and the search indexes are removed:
    /// the next `paperboy serve` builds them again from the restored database. Example:
    ///
    ///   paperboy restore backups/paperboy-2026-12-04.db
    #[command(verbatim_doc_comment)]
    Restore(RestoreArgs),

    /// Rebuild the keyword index from the catalog, from scratch.
    ///
    /// Not needed in normal operation: the index follows the catalog by itself (the server
    /// indexes new and changed papers within seconds; import, harvest and fetch index what
    /// they stored). Use it after restoring a database from a backup, or if the index
    /// directory was damaged. Only one process may write the index: stop `paperboy serve`
    /// first.
    Reindex,

    /// Measure Paperboy's speed with reproducible benchmarks.
    /// Refresh the GitHub stars of papers' repositories now, and print what it did.
    ///
    /// Papers' repositories are the ones people set, or the ones their arXiv comment or abstract
    /// links to. Each is asked about through GitHub's REST API with the ETag of its last
    /// answer; the rate-limit headers are honoured (the run waits up to --max-wait, then stops
    /// and leaves the rest for the next run). A worker started with --stars does this every
    /// hour. Example:
    ///
    ///   GITHUB_TOKEN=ghp_... paperboy stars
    #[command(verbatim_doc_comment)]
    Stars(StarsArgs),

    /// Fetch papers' full texts from arXiv now, and print what it did.
    ///
    /// Queues the papers named (--ids) or on the feed since a day (--since), then fetches
    /// every queued paper's HTML rendering from arXiv, one request at a time with arXiv's
    /// pause between requests, and keeps it as a document: the site serves it as Markdown at
    /// /papers/ID.md. A paper arXiv has no HTML for, a withdrawn one, or one over --max-mb is
    /// recorded without full text, with the reason; a failure that may pass is retried later
    /// (after 1 h, 4 h, 16 h), then given up on. Every outcome is kept as it comes, so an
    /// interrupted run resumes where it stopped. A worker started with --fulltext does this
    /// every ten minutes for the last week's feed. Examples:
    ///
    ///   paperboy fulltext --since 2026-06-01 --contact you@example.org
    ///   paperboy fulltext --ids 2501.11120,2606.00124 --again
    #[command(verbatim_doc_comment)]
    Fulltext(FulltextArgs),

    /// Read one PDF from standard input under a memory and CPU-time limit, and write its
    /// thumbnail (PNG) or text (a document in JSON) to standard output. The full-text job runs
    /// this for every PDF, so a hostile one can only end this process.
    #[command(hide = true)]
    PdfWorker(PdfWorkerArgs),

    #[command(subcommand)]
    Bench(BenchCommand),
}

/// Where GitHub's API is and how to use it.
#[derive(Debug, Clone, Args)]
pub struct GitHubArgs {
    /// GitHub's REST API.
    #[arg(
        long,
        env = "PAPERBOY_GITHUB_API_URL",
        default_value = "https://api.github.com",
        value_name = "URL"
    )]
    pub github_api_url: String,

    /// A GitHub token: 5,000 requests an hour instead of 60. Read from the environment, so it
    /// stays out of the process list.
    #[arg(long, env = "GITHUB_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub github_token: Option<String>,
}

#[derive(Debug, Args)]
pub struct StarsArgs {
    #[command(flatten)]
    pub github: GitHubArgs,

    /// The longest to wait for GitHub's rate limit to reset before stopping, in seconds.
    #[arg(long, default_value_t = 120, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub max_wait: u64,
}

#[derive(Debug, Args)]
pub struct FulltextArgs {
    /// Queue the papers on the feed from this day (YYYY-MM-DD) on that have no full text yet.
    #[arg(long, value_name = "DATE")]
    pub since: Option<NaiveDate>,

    /// Queue these papers (arXiv ids, comma-separated or repeated).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub ids: Vec<String>,

    /// Fetch the papers named by --ids again even if they have a full text or were given up on.
    #[arg(long)]
    pub again: bool,

    /// Fetch at most this many papers in this run; the rest stay queued.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,

    /// The largest page or PDF read for one paper, in megabytes.
    #[arg(long, env = "PAPERBOY_FULLTEXT_MAX_MB", default_value_t = 25, value_name = "MB",
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub max_mb: u64,

    #[command(flatten)]
    pub arxiv: ArxivArgs,
}

#[derive(Debug, Args)]
pub struct PdfWorkerArgs {
    pub task: PdfWorkerTask,

    /// Address space the process may use, in bytes.
    #[arg(long, default_value_t = 1 << 30)]
    pub memory: u64,

    /// CPU seconds the process may use.
    #[arg(long, default_value_t = 31)]
    pub cpu_seconds: u64,
}

/// What `pdf-worker` makes of the PDF.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PdfWorkerTask {
    Thumbnail,
    Text,
}

impl From<PdfWorkerTask> for crate::fulltext::PdfTask {
    fn from(task: PdfWorkerTask) -> Self {
        match task {
            PdfWorkerTask::Thumbnail => crate::fulltext::PdfTask::Thumbnail,
            PdfWorkerTask::Text => crate::fulltext::PdfTask::Text,
        }
    }
}

/// How a worker runs, for `paperboy worker` and `paperboy serve --with-worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Enqueue a harvest of yesterday's arXiv records every day (see `paperboy harvest`).
    #[arg(long, env = "PAPERBOY_DAILY_HARVEST", value_parser = BoolishValueParser::new())]
    pub daily_harvest: bool,

    /// OAI-PMH set of the daily harvest, e.g. `cs`; all of arXiv without it.
    #[arg(long, env = "PAPERBOY_HARVEST_SET")]
    pub harvest_set: Option<String>,

    /// Seconds a worker holds a job before others may take it over if it stops answering; it
    /// renews the hold every third of this while the job runs.
    #[arg(long, env = "PAPERBOY_JOB_LEASE", default_value_t = 60, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(3..=86_400))]
    pub job_lease: u64,

    /// Seconds an idle worker waits before looking for jobs again.
    #[arg(long, env = "PAPERBOY_JOB_POLL", default_value_t = 2.0, value_name = "SECONDS", value_parser = parse_delay)]
    pub job_poll: f64,

    /// Refresh the GitHub stars of papers' repositories every hour (see `paperboy stars`).
    #[arg(long, env = "PAPERBOY_STARS", value_parser = BoolishValueParser::new())]
    pub stars: bool,

    /// Fetch the full texts of the last week's feed papers, and of papers people open, from
    /// arXiv every ten minutes (see `paperboy fulltext`).
    #[arg(long, env = "PAPERBOY_FULLTEXT", value_parser = BoolishValueParser::new())]
    pub fulltext: bool,

    #[command(flatten)]
    pub llm: LlmArgs,

    /// Give new papers keywords and a TL;DR every ten minutes (see `paperboy annotate`); needs
    /// --model.
    #[arg(long, env = "PAPERBOY_ANNOTATE", value_parser = BoolishValueParser::new())]
    pub annotate: bool,

    /// Digests the worker hands to the SMTP server at once, at most (as `digest run
    /// --concurrency`).
    #[arg(long, env = "PAPERBOY_DIGEST_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub digest_concurrency: u32,

    /// Digests the worker may keep handed over and unrecorded at once (as `digest run
    /// --in-doubt`): each is a second copy should it be killed; raise it for a distant relay.
    #[arg(long, env = "PAPERBOY_DIGEST_IN_DOUBT", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub digest_in_doubt: u32,

    /// The largest page or PDF the worker reads for one paper, in megabytes.
    #[arg(long, env = "PAPERBOY_FULLTEXT_MAX_MB", default_value_t = 25, value_name = "MB",
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub fulltext_max_mb: u64,

    #[command(flatten)]
    pub github: GitHubArgs,
}

#[derive(Debug, Args)]
pub struct WorkerCommandArgs {
    #[command(flatten)]
    pub worker: WorkerArgs,

    /// Harvest jobs talk to arXiv here.
    #[command(flatten)]
    pub arxiv: ArxivArgs,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Print every account: name, email, role, and whether it is confirmed.
    List,

    /// Create a confirmed account without a password and print a one-time sign-in link for
    /// it (valid 30 minutes), for the first admin of a new site. Example:
    ///
    ///   paperboy user add ada@example.org --name ada --role admin
    Add(UserAddArgs),

    /// Give an account a role: `user`, `curator` (features and hides papers, edits their
    /// links, hides comments) or `admin` (a curator who may also grant roles). The change is
    /// written to the audit log. Example:
    ///
    ///   paperboy user grant ada@example.org curator
    Grant(UserGrantArgs),
}

#[derive(Debug, Subcommand)]
pub enum DigestCommand {
    /// Compose the digests due now, or every reader's digest of --period, and send them.
    ///
    /// Composing puts one digest per reader and period in the database's outbox (running
    /// again adds none twice); sending hands each to the mailer (--smtp-url, or .eml files in
    /// DATA_DIR/mail) and records the outcome. Transient failures are retried with exponential
    /// backoff; by default the command waits for them, so it outlasts an SMTP outage. Killed
    /// at any moment, the next run finishes the work: no digest is lost, and one is sent twice
    /// only if its attempt was cut off after the server may have taken it (the process died,
    /// or the connection broke), then with the same Message-ID. Examples:
    ///
    ///   paperboy digest run
    ///   paperboy --smtp-url smtp://mail.example.org:587?tls=required digest run --period day:2026-11-26
    Run(DigestRunArgs),

    /// Write one reader's digest to files, to look at it, without sending or recording it.
    ///
    /// Writes DIR/digest-preview.eml (the whole message, headers included) and
    /// DIR/digest-preview.html (its HTML part, to open in a browser). Example:
    ///
    ///   paperboy digest preview --email ada@example.org --period day:2026-11-26
    Preview(DigestPreviewArgs),

    /// Print every subscription: address, state, schedule and mode.
    List,
}

#[derive(Debug, Args)]
pub struct DigestRunArgs {
    /// The period to send: day:YYYY-MM-DD (one feed day, to daily readers) or week:YYYY-MM-DD
    /// (the seven days ending that day, to weekly readers). Default: whatever is due now, for
    /// each reader at their hour.
    #[arg(long, value_name = "PERIOD")]
    pub period: Option<String>,

    /// Digests handed to the SMTP server at once, at most, each on a pooled connection. A run
    /// starts with one sender and adds more while the server holds under half a message
    /// unanswered on average (it answers at once), and stops one when it holds more than one:
    /// each message it holds unanswered is a second copy should the run be killed.
    #[arg(long, env = "PAPERBOY_DIGEST_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub concurrency: u32,

    /// Digests that may be in doubt at once: handed to the server, their `sent` record not yet
    /// committed. Each is a second copy (with the same Message-ID) should the run be killed.
    /// With 1 a run sends at most one message per answer of the server, which is plenty for a
    /// relay on the same machine; one 50 ms away allows about 20 a second, so raise it there.
    #[arg(long, env = "PAPERBOY_DIGEST_IN_DOUBT", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub in_doubt: u32,

    /// Seconds a sender holds the digests it claims before another may take them over (after a
    /// crash). Each attempt must end within three quarters of it: 1 to 3600.
    #[arg(long, env = "PAPERBOY_DIGEST_LEASE", default_value_t = 120.0, value_name = "SECONDS", value_parser = parse_lease)]
    pub lease: f64,

    /// Seconds before the first retry of a failed attempt; doubled for each further one.
    #[arg(long, env = "PAPERBOY_DIGEST_RETRY", default_value_t = 30.0, value_name = "SECONDS", value_parser = parse_delay)]
    pub retry_base: f64,

    /// Attempts before a digest fails for good.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(i64).range(1..=50))]
    pub max_attempts: i64,

    /// Stop when nothing can be sent right now, instead of waiting for retries.
    #[arg(long)]
    pub no_wait: bool,

    /// Only compose: put the digests in the outbox and send nothing.
    #[arg(long)]
    pub compose_only: bool,
}

/// A lease of 1 to 3600 seconds.
fn parse_lease(text: &str) -> Result<f64, String> {
    let seconds = parse_delay(text)?;
    if seconds < 1.0 {
        return Err(format!("{text}: a lease shorter than a second leaves no time to send"));
    }
    Ok(seconds)
}

#[derive(Debug, Args)]
pub struct DigestPreviewArgs {
    /// The subscriber's address.
    #[arg(long)]
    pub email: String,

    /// The period, as for `digest run`. Default: the reader's latest due digest.
    #[arg(long, value_name = "PERIOD")]
    pub period: Option<String>,

    /// Where to write the files.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// The account's email address.
    pub email: String,

    /// Its public user name (2 to 32 letters, digits, - or _).
    #[arg(long)]
    pub name: String,

    /// Its role.
    #[arg(long, default_value = "user")]
    pub role: String,
}

#[derive(Debug, Args)]
pub struct UserGrantArgs {
    /// The account's email address.
    pub email: String,

    /// user, curator or admin.
    pub role: String,
}

#[derive(Debug, Args)]
pub struct FeatureArgs {
    /// arXiv ids or addresses (a version suffix is ignored).
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,

    /// The day whose feed shows them (YYYY-MM-DD); today, in UTC, by default.
    #[arg(long)]
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "PAPERBOY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Do not load the demo data set into an empty embedded database.
    #[arg(long, env = "PAPERBOY_NO_DEMO", value_parser = BoolishValueParser::new())]
    pub no_demo: bool,

    /// Do not serve the MCP server at /mcp (the Model Context Protocol, for AI assistants and
    /// agents: search papers, list a day's, read a paper's full text).
    #[arg(long, env = "PAPERBOY_NO_MCP", value_parser = BoolishValueParser::new())]
    pub no_mcp: bool,

    /// Requests each member (signed in) or client address may make per window, counted apart
    /// per family: `reads` (pages, feeds, the API's reads; default 3000/300s), `searches`
    /// (site, API and MCP; 500/300s, Hugging Face's anonymous quota), `writes` (300/300s) and
    /// `sign-ins` (signing up or in, emailed links; 30/300s). Give FAMILY=REQUESTS/SECONDSs or
    /// FAMILY=off for one family, REQUESTS/SECONDSs or `off` for all; repeat or separate with
    /// commas, later settings win: `--rate-limit searches=200/60s,reads=off`. Counted in the
    /// database, so several servers share one quota. Health checks, /metrics and static files
    /// do not count. Clients learn their quota from the RateLimit-Policy and RateLimit headers,
    /// and get 429 with Retry-After past it.
    #[arg(long, env = "PAPERBOY_RATE_LIMIT", value_delimiter = ',', value_name = "[FAMILY=]QUOTA")]
    pub rate_limit: Vec<String>,

    /// Behind a reverse proxy: count requests by the last X-Forwarded-For address instead of
    /// the connection's. Only set it when the proxy overwrites that header.
    #[arg(long, env = "PAPERBOY_TRUST_FORWARDED_FOR", value_parser = BoolishValueParser::new())]
    pub trust_forwarded_for: bool,

    /// Turn off the quotas on single actions (sign-ups and sign-ins per address and per email,
    /// emailed links, submissions, votes and comments per user). For load tests only.
    #[arg(long, env = "PAPERBOY_NO_ACTION_LIMITS", value_parser = BoolishValueParser::new())]
    pub no_action_limits: bool,

    /// How many days after its first publication on arXiv a paper may still be submitted to
    /// the daily feed.
    #[arg(long, env = "PAPERBOY_SUBMIT_WINDOW_DAYS", default_value_t = 14,
          value_parser = clap::value_parser!(i64).range(0..=36_500))]
    pub submit_window_days: i64,

    /// Papers each user may submit per day (UTC).
    #[arg(long, env = "PAPERBOY_DAILY_SUBMISSIONS", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub daily_submissions: u32,

    /// Also run the background jobs in this process (trending refresh, email digests, the daily
    /// harvest): the one-machine default. With several servers, run `paperboy worker` instead.
    #[arg(long, env = "PAPERBOY_WITH_WORKER", value_parser = BoolishValueParser::new())]
    pub with_worker: bool,

    #[command(flatten)]
    pub worker: WorkerArgs,

    /// Papers users submit that the catalog lacks are looked up here.
    #[command(flatten)]
    pub arxiv: ArxivArgs,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file to write; a backup never overwrites one.
    pub dest: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file `paperboy backup` wrote.
    pub source: PathBuf,
}

/// A language model's endpoint, for generative summaries (`paperboy summarize`, the worker).
#[derive(Debug, Args)]
pub struct LlmArgs {
    /// An OpenAI-compatible chat completions endpoint: `http://localhost:8080/v1` or the whole
    /// `.../v1/chat/completions`. With it, the worker asks for a one-sentence summary of each
    /// paper of the last week's feed every ten minutes (see `paperboy summarize`).
    #[arg(long, env = "PAPERBOY_LLM_URL", value_name = "URL", requires = "llm_model")]
    pub llm_url: Option<String>,

    /// The model to ask, as the endpoint names it; stored beside each summary.
    #[arg(long, env = "PAPERBOY_LLM_MODEL", value_name = "NAME")]
    pub llm_model: Option<String>,

    /// Sent as `Authorization: Bearer KEY`, for hosted endpoints.
    #[arg(long, env = "PAPERBOY_LLM_API_KEY", value_name = "KEY", hide_env_values = true)]
    pub llm_api_key: Option<String>,

    /// Ask for answers as server-sent events (some proxies cut long silent requests).
    #[arg(long, env = "PAPERBOY_LLM_STREAM", value_parser = BoolishValueParser::new())]
    pub llm_stream: bool,

    /// Requests in flight at most.
    #[arg(long, env = "PAPERBOY_LLM_CONCURRENCY", default_value_t = 2, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=64))]
    pub llm_concurrency: u64,

    /// Requests a UTC day at most, retries included, for all workers together.
    #[arg(long, env = "PAPERBOY_LLM_DAILY_BUDGET", default_value_t = 500, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub llm_daily_budget: u64,

    /// Seconds one request may take, answer included.
    #[arg(long, env = "PAPERBOY_LLM_TIMEOUT", default_value_t = 60, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub llm_timeout: u64,
}

#[derive(Debug, Args)]
pub struct AnnotateArgs {
    /// Annotate at most this many papers (the newest that are due), then stop.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
}

#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// Texts per model call: larger batches amortise more, up to a point (see BENCHMARKS.md).
    #[arg(long, env = "PAPERBOY_EMBED_BATCH", default_value_t = 64,
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub batch: u64,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to look for (see `paperboy search --help` for the query language).
    pub query: String,

    /// How to rank: keyword (BM25), semantic (embeddings) or hybrid (both, fused).
    #[arg(long, env = "PAPERBOY_SEARCH_MODE", value_enum, default_value_t = crate::search::Mode::Hybrid)]
    pub mode: crate::search::Mode,

    /// How many results to print.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub limit: u64,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files to import (.jsonl, .json, optionally .gz; compression is detected from content).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Record format, instead of detecting it from the first record: paperboy, kaggle or hf.
    #[arg(long, env = "PAPERBOY_IMPORT_FORMAT")]
    pub format: Option<Format>,

    /// Check every record first and import nothing if any is malformed.
    #[arg(long, env = "PAPERBOY_IMPORT_STRICT", conflicts_with = "dry_run", value_parser = BoolishValueParser::new())]
    pub strict: bool,

    /// Read and check the files, report what is wrong, and write nothing.
    #[arg(long, env = "PAPERBOY_IMPORT_DRY_RUN", value_parser = BoolishValueParser::new())]
    pub dry_run: bool,

    /// Records per database transaction.
    #[arg(long, env = "PAPERBOY_IMPORT_BATCH_SIZE", default_value_t = 2000,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub batch_size: u64,
}

/// How Paperboy talks to arXiv.
#[derive(Debug, Args)]
pub struct ArxivArgs {
    /// Base URL of arXiv's OAI-PMH endpoint.
    #[arg(long, env = "PAPERBOY_OAI_URL", default_value = DEFAULT_OAI_URL)]
    pub oai_url: String,

    /// Base URL of arXiv's Atom query API.
    #[arg(long, env = "PAPERBOY_ARXIV_API_URL", default_value = DEFAULT_API_URL)]
    pub arxiv_api_url: String,

    /// Base URL arXiv serves papers' HTML renderings (/html/ID) and PDFs (/pdf/ID) from.
    #[arg(long, env = "PAPERBOY_ARXIV_WEB_URL", default_value = DEFAULT_WEB_URL)]
    pub arxiv_web_url: String,

    /// Seconds to wait between two requests to arXiv (arXiv asks for 3).
    #[arg(long, env = "PAPERBOY_ARXIV_DELAY", default_value_t = 3.0, value_parser = parse_delay)]
    pub delay: f64,

    /// Attempts per request before giving up (503s with Retry-After count too).
    #[arg(long, env = "PAPERBOY_ARXIV_ATTEMPTS", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub attempts: u32,

    /// Contact email put in the User-Agent, as arXiv asks of harvesters.
    #[arg(long, env = "PAPERBOY_CONTACT")]
    pub contact: Option<String>,
}

impl ArxivArgs {
    pub fn client_config(&self) -> ClientConfig {
        ClientConfig {
            oai_url: self.oai_url.clone(),
            api_url: self.arxiv_api_url.clone(),
            web_url: self.arxiv_web_url.clone(),
            user_agent: user_agent(self.contact.as_deref()),
            delay: Duration::from_secs_f64(self.delay),
            attempts: self.attempts,
            ..ClientConfig::default()
        }
    }
}

fn parse_delay(s: &str) -> Result<f64, String> {
    let seconds: f64 = s.parse().map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !(0.0..=3600.0).contains(&seconds) {
        return Err(format!("{seconds} is outside 0..=3600 seconds"));
    }
    Ok(seconds)
}

#[derive(Debug, Args)]
pub struct HarvestArgs {
    /// First datestamp to harvest (YYYY-MM-DD), inclusive.
    #[arg(long, env = "PAPERBOY_HARVEST_FROM")]
    pub from: NaiveDate,

    /// Last datestamp to harvest (YYYY-MM-DD), inclusive; without it, up to the newest.
    #[arg(long, env = "PAPERBOY_HARVEST_UNTIL")]
    pub until: Option<NaiveDate>,

    /// OAI-PMH set, e.g. `cs`, `math`, `physics:hep-th`.
    #[arg(long, env = "PAPERBOY_HARVEST_SET")]
    pub set: Option<String>,

    /// Metadata format: arXivRaw carries every version with its date (the default); arXiv
    /// carries parsed author names but only dates.
    #[arg(long, env = "PAPERBOY_HARVEST_METADATA_PREFIX", default_value = "arXivRaw")]
    pub metadata_prefix: MetadataFormat,

    /// Ignore a saved checkpoint and start this harvest from its first page.
    #[arg(long, env = "PAPERBOY_HARVEST_RESTART", value_parser = BoolishValueParser::new())]
    pub restart: bool,

    #[command(flatten)]
    pub arxiv: ArxivArgs,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// arXiv ids or URLs, e.g. 2503.11731, 2503.11731v2, hep-th/9901001,
    /// https://arxiv.org/abs/2503.11731.
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,

    #[command(flatten)]
    pub arxiv: ArxivArgs,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Time `import` of a file into fresh databases: parse-only baseline, SQLite, and
    /// PostgreSQL when --postgres-url is given. Prints the median time, papers/s and peak RSS.
    Import(BenchImportArgs),

    /// nDCG@10 and recall@100 of keyword, semantic (with --model) and hybrid search on a
    /// BEIR-format set, indexed into a throwaway index. Corpus embeddings are cached in the
    /// data directory. Example:
    ///
    ///   paperboy --model ~/.cache/paperboy/models/all-MiniLM-L6-v2 bench relevance \
    ///     --corpus ../shared/bench/scifact-train/corpus.jsonl \
    ///     --queries ../shared/bench/scifact-train/queries.jsonl \
    ///     --qrels ../shared/bench/scifact-train/qrels.tsv
    #[command(verbatim_doc_comment)]
    Relevance(BenchRelevanceArgs),

    /// Build the vector index over synthetic embeddings (a seeded mixture of topics on the
    /// 384-dimensional sphere, shaped like all-MiniLM-L6-v2 vectors) and print its build time,
    /// single-threaded query p50/p99, recall@10 against exact search, and memory; with --grow,
    /// the same after growing more vectors into it. Examples:
    ///
    ///   paperboy bench vectors --size 1000000
    ///   paperboy bench vectors --size 1000000 --grow 50000 --compare-rebuild
    #[command(verbatim_doc_comment)]
    Vectors(BenchVectorsArgs),

    /// Compose and send --readers digests into a fresh database with the demo papers, through
    /// the SMTP server at --to (bench/digest.sh starts a local one), beside a baseline
    /// measured in the same run: one pre-rendered message sent as often through the same
    /// connections, with no database and no rendering. Prints times, rates and peak RSS.
    /// Example:
    ///
    ///   paperboy bench digest --readers 100000 --to smtp://127.0.0.1:2525
    Digest(BenchDigestArgs),

    /// Search latency (p50, p99) on the papers of FILE..., beside SQLite FTS5 bm25 over the same
    /// papers and queries (bench/search-queries.txt) in the same run. Keyword search always;
    /// with --model, hybrid and semantic search too, each query embedded by the model (the
    /// vector index holds synthetic vectors: the timings are real, the rankings are not).
    /// Example:
    ///
    ///   paperboy --model ~/.cache/paperboy/models/all-MiniLM-L6-v2 bench search \
    ///       ../shared/data/arxiv-2025-2026.jsonl.gz
    #[command(verbatim_doc_comment)]
    Search(BenchSearchArgs),

    /// How well the "For you" ranking finds what simulated members would save, beside "most
    /// upvoted" in the same run: members who care for one arXiv category saved some of its
    /// earlier papers; part of their saves from the last --window-days is held out, and each
    /// ranking of those days' papers is scored by recall@20 and nDCG@20 of them. Example:
    ///
    ///   paperboy bench for-you ../shared/data/arxiv-2025-2026.jsonl.gz --members 300
    #[command(verbatim_doc_comment, name = "for-you")]
    ForYou(BenchForYouArgs),

    /// How well the automatic keywords tell a paper's arXiv category beside TF-IDF keywords
    /// (naive Bayes over their words, leave-one-out), and what keywords and a TL;DR cost per
    /// paper with the model. Needs --model. Example:
    ///
    ///   paperboy --model ~/.cache/paperboy/models/all-MiniLM-L6-v2 bench keywords \
    ///       ../shared/data/arxiv-2025-2026.jsonl.gz --papers 1000
    #[command(verbatim_doc_comment)]
    Keywords(BenchKeywordsArgs),

    /// What a paper's full text costs, per paper, on recorded arXiv pages and PDFs: HTML to a
    /// document and to Markdown beside parsing alone; a PDF's thumbnail and text beside
    /// opening it; the thumbnail through the separate PDF process the job uses. Example:
    ///
    ///   paperboy bench fulltext ../shared/fixtures/arxiv-fulltext --runs 20
    #[command(verbatim_doc_comment)]
    Fulltext(BenchFulltextArgs),

    /// Searching full texts: indexes synthetic full texts of the newest --full-texts papers of
    /// FILE... (the recorded captures' sections and passage lengths, filled with sentences of
    /// the sample's abstracts) beside the papers, and reports the index's size, the indexing
    /// rate, and p50/p99 of in:fulltext searches; and keyword search of the same papers with
    /// and without the full texts beside them, alternating query by query. Example:
    ///
    ///   paperboy bench passages ../shared/data/arxiv-2025-2026.jsonl.gz \
    ///       --fixtures ../shared/fixtures/arxiv-fulltext --full-texts 10000
    #[command(verbatim_doc_comment)]
    Passages(BenchPassagesArgs),

    /// What an MCP tool call costs beside its JSON API twin: serves the bundled demo data on a
    /// local port and alternates search_papers, get_paper and list_papers with the API calls
    /// that answer the same, over HTTP, reporting medians and p99. Example:
    ///
    ///   paperboy bench mcp --runs 50
    #[command(verbatim_doc_comment)]
    Mcp(BenchMcpArgs),

    /// A mixed load on running servers, as readers and members make it: day and week pages,
    /// paper pages, feeds, the JSON API and its searches, and members who sign in with
    /// one-time links and vote, save and comment; requests take turns among the servers. Prints
    /// requests, req/s, p50 and p99 per kind, errors, and how long a vote took to be seen by
    /// another server; fails when any request failed. bench/scale-out.sh runs it on two
    /// servers over a million papers. Example:
    ///
    ///   paperboy user add reader@example.org --name reader --base-url http://127.0.0.1:8080 > links
    ///   paperboy bench load --server http://127.0.0.1:8080 --server http://127.0.0.1:8081 \
    ///       --papers ../shared/data/arxiv-2025-2026.jsonl.gz --members links --seconds 60
    #[command(verbatim_doc_comment)]
    Load(BenchLoadArgs),

    /// Store a synthetic vector for every paper that has none, under the name of the embedder
    /// configured (--hash-embedder or --model): the mixture of `bench vectors`, shaped like
    /// all-MiniLM-L6-v2's, one distinct vector per paper. A server with that embedder then
    /// builds and searches a vector index that costs what a real model's would, over a catalog
    /// a CPU could not embed in a day; rankings by these vectors mean nothing, and `embed`
    /// leaves them be until a paper's text changes. For load tests (bench/scale-out.sh):
    ///
    ///   paperboy --hash-embedder --database-url postgres://... bench synthetic-vectors
    #[command(verbatim_doc_comment, name = "synthetic-vectors")]
    SyntheticVectors,
}

#[derive(Debug, Args)]
pub struct BenchLoadArgs {
    /// A server's base URL; give it once per server.
    #[arg(long = "server", required = true, value_name = "URL")]
    pub servers: Vec<String>,

    /// The file of papers the servers hold (any format `import` reads): papers and days are
    /// drawn from its ids and announce days.
    #[arg(long, value_name = "FILE")]
    pub papers: PathBuf,

    /// A file with one-time sign-in links, one a line (`paperboy user add` prints them); without
    /// it, every connection reads.
    #[arg(long, value_name = "FILE")]
    pub members: Option<PathBuf>,

    /// Connections, each sending its next request when the last answer has been read.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub connections: u32,

    /// Of the connections, how many act as members (one member after another).
    #[arg(long, default_value_t = 8)]
    pub member_connections: u32,

    /// How long to load, in seconds.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub seconds: u64,

    /// Milliseconds each connection waits after an answer, as a reader would: the load then
    /// offers at most connections * 1000 / pause-ms requests a second (0: as fast as answered).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub pause_ms: u64,

    /// Include hybrid searches (the servers need --model or --hash-embedder).
    #[arg(long)]
    pub hybrid: bool,

    /// Seed of the draws (papers, days, queries, actions).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct BenchMcpArgs {
    /// Timed passes (after one untimed warm-up pass); a pass searches every built-in query.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub runs: u64,
}

#[derive(Debug, Args)]
pub struct BenchPassagesArgs {
    /// Files of papers, in any format `import` reads.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// A folder with html/*.html (arXiv's LaTeXML pages) and pdf/*.pdf whose shapes the
    /// synthetic full texts take.
    #[arg(long)]
    pub fixtures: PathBuf,

    /// Papers given a synthetic full text, the newest first.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub full_texts: u64,

    /// Timed passes over the queries (after one untimed warm-up pass).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub runs: u64,

    /// Seeds the choice of sentences: the same seed builds the same corpus.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct BenchFulltextArgs {
    /// A folder with html/*.html (arXiv's LaTeXML pages) and pdf/*.pdf.
    pub fixtures: PathBuf,

    /// Timed runs of each measurement (after one untimed run).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub runs: u64,
}

#[derive(Debug, Args)]
pub struct BenchKeywordsArgs {
    /// A file of papers, in any format `import` reads.
    pub file: PathBuf,

    /// Papers taken from the file, spread evenly over it.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(50..=1_000_000))]
    pub papers: u64,
}

#[derive(Debug, Args)]
pub struct BenchForYouArgs {
    /// A file of papers with announce dates, in any format `import` reads.
    pub file: PathBuf,

    /// Simulated members.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub members: u64,

    /// Seeds the upvotes and the members: the same seed gives the same run.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// The days of the recent feed a member's page ranks.
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u64).range(1..=365))]
    pub window_days: u64,

    /// The days before the window that members' saves come from.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub history_days: u64,
}

#[derive(Debug, Args)]
pub struct BenchSearchArgs {
    /// Files of papers, in any format `import` reads.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Timed passes over the queries (after one untimed warm-up pass).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub runs: u64,
}

#[derive(Debug, Args)]
pub struct BenchVectorsArgs {
    /// Vectors in the index.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(100..=10_000_000))]
    pub size: u64,

    /// Queries timed and checked against exact search.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub queries: u64,

    /// Then grow this many more vectors into the built graph, one at a time on one thread as a
    /// server does with new embeddings, and measure the index again.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    pub grow: u64,

    /// With --grow: also time a whole rebuild of the grown index with all cores (what serving
    /// new embeddings cost before the graph could grow).
    #[arg(long, requires = "grow")]
    pub compare_rebuild: bool,
}

#[derive(Debug, Args)]
pub struct BenchDigestArgs {
    /// Subscribers, each sent one digest.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub readers: u64,

    /// The SMTP server to hand the digests to.
    #[arg(long = "to", value_name = "URL")]
    pub to: String,

    /// Digests handed over at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub concurrency: u32,

    /// Messages of each baseline run (three runs; the median is reported).
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub baseline_messages: u64,
}

#[derive(Debug, Args)]
pub struct BenchRelevanceArgs {
    /// corpus.jsonl: one {"_id", "title", "text"} per line.
    #[arg(long)]
    pub corpus: PathBuf,

    /// queries.jsonl: one {"_id", "text"} per line.
    #[arg(long)]
    pub queries: PathBuf,

    /// qrels.tsv: query-id, corpus-id, score; tab-separated, after a header line.
    #[arg(long)]
    pub qrels: PathBuf,

    /// Also print the grids of field boosts and fusion parameters the defaults come from.
    #[arg(long)]
    pub tune: bool,
}

#[derive(Debug, Args)]
pub struct BenchImportArgs {
    /// The file to import, e.g. ../shared/data/arxiv-2025-2026.jsonl.gz.
    pub file: PathBuf,

    /// Runs per configuration; the median is reported.
    #[arg(long, env = "PAPERBOY_BENCH_RUNS", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub runs: u32,

    /// A PostgreSQL server URL to benchmark too; a fresh database is created on it per run
    /// and dropped afterwards.
    #[arg(long, env = "PAPERBOY_BENCH_POSTGRES_URL")]
    pub postgres_url: Option<String>,

    /// Records per database transaction.
    #[arg(long, env = "PAPERBOY_IMPORT_BATCH_SIZE", default_value_t = 2000)]
    pub batch_size: u64,
}
