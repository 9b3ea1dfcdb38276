//! The `paperboy` binary: parses the command line once, sets up logging and the database, and
//! runs the chosen subcommand. All the work happens in the library.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Parser;
use paperboy::actions::community::SubmitRules;
use paperboy::annotate::{Annotator, annotate_catalog};
use paperboy::app::SiteConfig;
use paperboy::bench::relevance::{BeirSet, RelevanceOptions};
use paperboy::cli::{
    AnnotateArgs, BenchCommand, BenchRelevanceArgs, Cli, Command, DigestCommand, EmbedArgs, FeatureArgs,
    FetchArgs, GlobalArgs, HarvestArgs, ImportArgs, LlmArgs, LogFormat, SearchArgs, ServeArgs, UserCommand,
    WorkerArgs,
};
use paperboy::db::Db;
use paperboy::db::feed::Featured;
use paperboy::digest::Delivery;
use paperboy::digest::compose::{Composer, message_host};
use paperboy::digest::render::DigestPaper;
use paperboy::digest::send::SendOptions;
use paperboy::domain::accounts::{Email, Role, UserName};
use paperboy::domain::digest::{Frequency, Period, weekday_name};
use paperboy::domain::feed::FeatureRules;
use paperboy::http::App;
use paperboy::ingest::harvest::{HarvestOptions, fetch, harvest};
use paperboy::ingest::import::{ImportOptions, import_sources, open_files};
use paperboy::jobs::{WorkerConfig, run_worker};
use paperboy::mail::Mailer;
use paperboy::mail::Outbox;
use paperboy::progress::Progress;
use paperboy::quota::SiteLimits;
use paperboy::search::follow::{self, FollowError, Indexed};
use paperboy::search::semantic::{self, Semantic};
use paperboy::search::{Search, SearchRequest, embedding};
use paperboy::summarize::{Llm, LlmOptions};
use paperboy_arxiv::ArxivId;
use paperboy_arxiv::client::ArxivClient;
use paperboy_embed::{Embedder, HashEmbedder, MiniLm};
use paperboy_search::{SearchError, SearchIndex};
use tracing_subscriber::EnvFilter;

/// mimalloc instead of glibc's malloc: the model's large short-lived buffers are reused instead
/// of mapped and unmapped on every operation (see BENCHMARKS.md, embedding throughput).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Before any thread or runtime: the PDF reader limits its own memory and CPU time.
    if let Command::PdfWorker(args) = &cli.command {
        return paperboy::fulltext::pdf_worker(args.task.into(), args.memory, args.cpu_seconds);
    }
    init_logging(cli.global.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve(&cli.global, args).await,
        Command::Import(args) => import(&cli.global, args).await,
        Command::Harvest(args) => run_harvest(&cli.global, args).await,
        Command::Fetch(args) => run_fetch(&cli.global, args).await,
        Command::Feature(args) => run_feature(&cli.global, args).await,
        Command::Search(args) => run_search(&cli.global, args).await,
        Command::Reindex => run_reindex(&cli.global).await,
        Command::Embed(args) => run_embed(&cli.global, args).await,
        Command::Annotate(args) => run_annotate(&cli.global, args).await,
        Command::Backup(args) => {
            let db = open_db(&cli.global).await?;
            let report = paperboy::backup::backup(&db, &args.dest).await?;
            println!(
                "Backed up {} papers to {} ({} bytes).",
                report.papers,
                args.dest.display(),
                report.bytes
            );
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore(args) => {
            if cli.global.database_url.is_some() {
                bail!("`paperboy restore` brings back the embedded database; for PostgreSQL use pg_restore");
            }
            let report = paperboy::backup::restore(&cli.global.data_dir, &args.source).await?;
            println!(
                "Restored {} papers from {}; the search indexes are built again when `paperboy serve` starts.",
                report.papers,
                args.source.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Summarize(args) => {
            let Some(llm) = llm(&args)? else {
                bail!(
                    "`paperboy summarize` needs --llm-url and --llm-model (or PAPERBOY_LLM_URL and PAPERBOY_LLM_MODEL)"
                );
            };
            let db = open_db(&cli.global).await?;
            let report = paperboy::summarize::summarize_featured(&db, &llm).await?;
            println!("{}", report.summary());
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::User(command) => run_user(&cli.global, command).await,
        Command::Digest(command) => run_digest(&cli.global, command).await,
        Command::Worker(args) => {
            let db = open_db(&cli.global).await?;
            let arxiv = ArxivClient::new(args.arxiv.client_config())?;
            let config = worker_config(&cli.global, &args.worker, arxiv, cli.global.base_url())?;
            run_worker(db.clone(), config, paperboy::server::shutdown_signal()).await?;
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let db = open_db(&cli.global).await?;
            println!("The {} schema is up to date.", db.engine());
            Ok(ExitCode::SUCCESS)
        }
        Command::Stars(args) => {
            let db = open_db(&cli.global).await?;
            let github = github(&args.github)?;
            let options = paperboy::stars::StarsOptions {
                max_wait: std::time::Duration::from_secs(args.max_wait),
                ..paperboy::stars::StarsOptions::default()
            };
            let report = paperboy::stars::refresh(&db, &github, options).await?;
            println!("{}", report.summary());
            Ok(ExitCode::SUCCESS)
        }
        Command::Fulltext(args) => run_fulltext(&cli.global, args).await,
        Command::PdfWorker(_) => unreachable!("main runs the PDF reader before the runtime"),
        Command::Bench(BenchCommand::Import(args)) => {
            print!("{}", paperboy::bench::bench_import(&args).await?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Relevance(args)) => bench_relevance(&cli.global, args),
        Command::Bench(BenchCommand::Search(args)) => {
            let options = paperboy::bench::search::SearchBenchOptions {
                files: args.files,
                runs: args.runs as usize,
                embedder: load_model(&cli.global)?,
            };
            print!("{}", paperboy::bench::search::bench_search(&options).await?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Keywords(args)) => {
            let Some(embedder) = load_model(&cli.global)? else {
                bail!("`paperboy bench keywords` needs a model: pass --model DIR or set PAPERBOY_MODEL_DIR");
            };
            let options = paperboy::bench::keywords::KeywordsBenchOptions {
                file: args.file,
                papers: args.papers as usize,
                embedder,
            };
            print!("{}", paperboy::bench::keywords::bench_keywords(&options).await?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Digest(args)) => {
            print!("{}", paperboy::bench::digest::bench_digest(&args).await?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::ForYou(args)) => {
            let options = paperboy::bench::foryou::ForYouOptions {
                file: args.file,
                members: args.members as usize,
                seed: args.seed,
                window_days: args.window_days,
                history_days: args.history_days,
            };
            print!("{}", paperboy::bench::foryou::bench_for_you(&options)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Fulltext(args)) => {
            let options = paperboy::bench::fulltext::FullTextBenchOptions {
                fixtures: args.fixtures,
                runs: args.runs as usize,
                program: std::env::current_exe()?,
            };
            print!("{}", paperboy::bench::fulltext::bench_fulltext(&options).await?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Mcp(args)) => {
            print!("{}", paperboy::bench::mcp::bench_mcp(args.runs as usize).await?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Load(args)) => {
            let mut options = paperboy::bench::load::LoadOptions {
                servers: args.servers.iter().map(|url| url.trim_end_matches('/').to_owned()).collect(),
                papers: Vec::new(),
                days: Vec::new(),
                links: Vec::new(),
                connections: args.connections as usize,
                member_connections: args.member_connections as usize,
                duration: std::time::Duration::from_secs(args.seconds),
                pause: std::time::Duration::from_millis(args.pause_ms),
                hybrid: args.hybrid,
                seed: args.seed,
            };
            options.read_inputs(&args.papers, args.members.as_deref())?;
            let (report, clean) = paperboy::bench::load::run(options).await?;
            print!("{report}");
            Ok(if clean { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Bench(BenchCommand::SyntheticVectors) => {
            let Some(embedder) = load_model(&cli.global)? else {
                bail!(
                    "`paperboy bench synthetic-vectors` stands in for an embedder: pass --hash-embedder or --model DIR"
                );
            };
            let stand_in =
                Arc::new(paperboy::bench::vectors::MixtureEmbedder::standing_in_for(embedder.as_ref())?);
            let db = open_db(&cli.global).await?;
            let progress = Progress::records(true, "synthetic vectors");
            let report = embedding::embed_catalog(&db, stand_in, 1_000, None, &progress).await?;
            progress.finish();
            println!("{}", report.summary());
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Passages(args)) => {
            let options = paperboy::bench::passages::PassagesBenchOptions {
                files: args.files,
                fixtures: args.fixtures,
                full_texts: args.full_texts as usize,
                runs: args.runs as usize,
                seed: args.seed,
            };
            print!("{}", paperboy::bench::passages::bench_passages(&options).await?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Vectors(args)) => {
            print!("{}", paperboy::bench::vectors::bench_vectors(&args)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Opens the configured database (the embedded one by default) and migrates it.
async fn open_db(global: &GlobalArgs) -> anyhow::Result<Db> {
    let db = match &global.database_url {
        Some(url) => Db::connect(url).await,
        None => {
            std::fs::create_dir_all(&global.data_dir)
                .with_context(|| format!("cannot create the data directory {}", global.data_dir.display()))?;
            Db::open_embedded(&global.data_dir).await
        }
    };
    let db = db.context("cannot open the database")?;
    db.migrate().await?;
    Ok(db)
}

fn worker_config(
    global: &GlobalArgs,
    args: &WorkerArgs,
    arxiv: ArxivClient,
    base_url: String,
) -> anyhow::Result<WorkerConfig> {
    let model = load_model(global)?;
    Ok(WorkerConfig {
        daily_harvest: args.daily_harvest,
        harvest_set: args.harvest_set.clone(),
        lease: std::time::Duration::from_secs(args.job_lease),
        poll: std::time::Duration::from_secs_f64(args.job_poll),
        digests: Some(Delivery {
            outbox: outbox(global)?,
            base_url,
            send: SendOptions {
                concurrency: args.digest_concurrency as usize,
                in_doubt: args.digest_in_doubt as usize,
                ..SendOptions::default()
            },
        }),
        stars: if args.stars { Some(github(&args.github)?) } else { None },
        fulltext: args.fulltext.then(|| paperboy::fulltext::FullTextOptions {
            max_bytes: megabytes(args.fulltext_max_mb),
            ..paperboy::fulltext::FullTextOptions::default()
        }),
        summarize: llm(&args.llm)?,
        embed: model.clone(),
        annotate: match (args.annotate, model) {
            (false, _) => None,
            (true, Some(model)) => Some(Annotator(model)),
            (true, None) => bail!(
                "--annotate needs a model: pass --model DIR or set PAPERBOY_MODEL_DIR (scripts/fetch-model.sh fetches one)"
            ),
        },
        ..WorkerConfig::new(arxiv, feature_rules(global))
    })
}

async fn run_fulltext(global: &GlobalArgs, args: paperboy::cli::FulltextArgs) -> anyhow::Result<ExitCode> {
    let db = open_db(global).await?;
    let now = chrono::Utc::now();
    let mut ids = Vec::with_capacity(args.ids.len());
    for (n, raw) in args.ids.iter().enumerate() {
        let (id, _) = ArxivId::from_url_or_id(raw.trim())
            .map_err(|err| anyhow::anyhow!("--ids, item {}: `{raw}` is not an arXiv id: {err}", n + 1))?;
        ids.push(id.to_string());
    }
    let mut queued = db.queue_full_texts(&ids, args.again, now).await?;
    if let Some(since) = args.since {
        queued += db.queue_featured_full_texts(since, now).await?;
    }
    println!("{queued} papers queued.");
    let arxiv = ArxivClient::new(args.arxiv.client_config())?;
    let options = paperboy::fulltext::FullTextOptions {
        max_bytes: megabytes(args.max_mb),
        limit: args.limit,
        progress: std::io::stderr().is_terminal(),
        ..paperboy::fulltext::FullTextOptions::default()
    };
    let report = paperboy::fulltext::fetch_due(&db, &arxiv, options).await?;
    println!("{}", report.summary());
    let counts: Vec<String> =
        db.full_text_counts().await?.into_iter().map(|(state, count)| format!("{count} {state}")).collect();
    println!("All full texts: {}.", counts.join(", "));
    Ok(ExitCode::SUCCESS)
}

fn megabytes(mb: u64) -> usize {
    usize::try_from(mb << 20).unwrap_or(usize::MAX)
}

/// GitHub's client, as configured.
fn github(args: &paperboy::cli::GitHubArgs) -> anyhow::Result<paperboy::stars::GitHub> {
    let agent = paperboy_arxiv::client::user_agent(None);
    Ok(paperboy::stars::GitHub::new(&args.github_api_url, args.github_token.clone(), &agent)?)
}

async fn run_digest(global: &GlobalArgs, command: DigestCommand) -> anyhow::Result<ExitCode> {
    let db = open_db(global).await?;
    let period = |text: Option<&str>| {
        text.map(|text| text.parse::<Period>().map_err(anyhow::Error::msg).context("--period")).transpose()
    };
    match command {
        DigestCommand::Run(args) => {
            let period = period(args.period.as_deref())?;
            let send = SendOptions {
                concurrency: args.concurrency as usize,
                in_doubt: args.in_doubt as usize,
                lease: std::time::Duration::from_secs_f64(args.lease),
                retry_base: std::time::Duration::from_secs_f64(args.retry_base),
                max_attempts: args.max_attempts,
                wait: !args.no_wait,
            };
            let delivery = Delivery { outbox: outbox(global)?, base_url: global.base_url(), send };
            let progress = std::io::stderr().is_terminal();
            let (composed, sent) = delivery.run(&db, period, args.compose_only, progress).await?;
            println!("Composed: {}.", composed.summary());
            if let Some(sent) = sent {
                println!("Sent: {}.", sent.summary());
            }
            let counts = db.outbox_counts().await?;
            if counts.pending() > 0 {
                println!(
                    "The outbox still holds {} digests to send; the next `digest run` or a worker sends them.",
                    counts.pending()
                );
            }
        }
        DigestCommand::Preview(args) => {
            let email: Email = args.email.parse().map_err(anyhow::Error::msg).context("--email")?;
            let subscription = db
                .subscription_by_email(&email)
                .await?
                .with_context(|| format!("{email} has no subscription (see `paperboy digest list`)"))?;
            let period = match period(args.period.as_deref())? {
                Some(period) => period,
                None => subscription
                    .prefs
                    .latest_due(chrono::Utc::now())
                    .map(|(period, _)| period)
                    .context("this reader's schedule names no period; pass --period")?,
            };
            let delivery = Delivery {
                outbox: outbox(global)?,
                base_url: global.base_url(),
                send: SendOptions::default(),
            };
            let renderer = delivery.renderer(&db).await?;
            let mut composer = Composer::new(&db, &delivery.base_url);
            let picks = composer.choose(&subscription, period).await?;
            if picks.is_empty() {
                println!(
                    "{email} would get nothing for {period}: no paper on those days matches their settings."
                );
                return Ok(ExitCode::SUCCESS);
            }
            let mut papers = Vec::new();
            for pick in &picks {
                if let Some(paper) = db.digest_paper(&pick.id).await? {
                    papers.push(DigestPaper::new(renderer.base_url(), &paper, pick));
                }
            }
            let message_id = format!("<preview.{}@{}>", subscription.id, message_host(&delivery.base_url));
            let mail = renderer.render(
                subscription.id,
                &email,
                subscription.prefs.mode,
                period,
                &papers,
                &message_id,
            );
            std::fs::create_dir_all(&args.out)
                .with_context(|| format!("cannot create {}", args.out.display()))?;
            let eml = args.out.join("digest-preview.eml");
            let html = args.out.join("digest-preview.html");
            std::fs::write(&eml, Mailer::format(&delivery.outbox.from, &mail)?)
                .with_context(|| format!("cannot write {}", eml.display()))?;
            std::fs::write(&html, mail.html.as_deref().unwrap_or_default())
                .with_context(|| format!("cannot write {}", html.display()))?;
            println!("{} papers for {email}, {period}:", papers.len());
            println!("  {} (the message)\n  {} (open in a browser)", eml.display(), html.display());
        }
        DigestCommand::List => {
            for s in db.all_subscriptions().await? {
                let schedule = match s.prefs.frequency {
                    Frequency::Daily => format!("daily at {}:00", s.prefs.hour),
                    Frequency::Weekly => {
                        format!("weekly on {} at {}:00", weekday_name(s.prefs.weekday), s.prefs.hour)
                    }
                };
                println!(
                    "{}\t{}\t{schedule} {}\t{}\t{} papers",
                    s.email,
                    s.state.as_str(),
                    s.prefs.time_zone.name(),
                    s.prefs.mode.as_str(),
                    s.prefs.papers_per_email
                );
            }
        }
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// The mailer `--smtp-url` and `--mail-from` describe.
fn outbox(global: &GlobalArgs) -> anyhow::Result<Outbox> {
    let from = global
        .mail_from
        .parse()
        .map_err(|err| anyhow::anyhow!("--mail-from `{}`: {err}", global.mail_from))?;
    let mailer = Mailer::new(global.smtp_url.as_deref(), global.data_dir.join("mail"))?;
    Ok(Outbox { mailer, from })
}

async fn run_user(global: &GlobalArgs, command: UserCommand) -> anyhow::Result<ExitCode> {
    let db = open_db(global).await?;
    match command {
        UserCommand::List => {
            for user in db.list_users().await? {
                let state = if user.confirmed { "" } else { "  (unconfirmed)" };
                let demo = if user.is_demo { "  (demo)" } else { "" };
                println!("{:<24} {:<36} {:<8}{state}{demo}", user.name, user.email, user.role.as_str());
            }
        }
        UserCommand::Add(args) => {
            let email: Email = args.email.parse().map_err(anyhow::Error::msg).context("EMAIL")?;
            let name: UserName = args.name.parse().map_err(anyhow::Error::msg).context("--name")?;
            let role: Role = args.role.parse().map_err(anyhow::Error::msg).context("--role")?;
            let Some(user) = db.create_user(&name, &email, None, role, false).await? else {
                bail!("{email} or the name {name} has an account already (see `paperboy user list`)");
            };
            let link = db
                .create_link(
                    user.id,
                    paperboy::domain::accounts::LinkPurpose::Login,
                    chrono::Duration::minutes(30),
                )
                .await?;
            println!("Created {} <{}> as {}.", user.name, user.email, user.role);
            println!(
                "Sign in within 30 minutes at {}/links/login?token={}",
                global.base_url(),
                link.expose()
            );
        }
        UserCommand::Grant(args) => {
            let email: Email = args.email.parse().map_err(anyhow::Error::msg).context("EMAIL")?;
            let role: Role = args.role.parse().map_err(anyhow::Error::msg).context("ROLE")?;
            let Some(user) = db.user_by_email(&email).await? else {
                bail!("no account has the email {email} (see `paperboy user list`)");
            };
            db.grant(None, &user, role).await?;
            println!("{} <{}> is now {role} (was {}).", user.name, user.email, user.role);
        }
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

fn feature_rules(global: &GlobalArgs) -> FeatureRules {
    FeatureRules::new(global.feature_rules.clone())
}

async fn run_feature(global: &GlobalArgs, args: FeatureArgs) -> anyhow::Result<ExitCode> {
    let date = args.date.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let ids = args
        .ids
        .iter()
        .map(|text| ArxivId::from_url_or_id(text).map(|(id, _)| id).with_context(|| format!("`{text}`")))
        .collect::<anyhow::Result<Vec<ArxivId>>>()?;
    let db = open_db(global).await?;
    let mut missing = 0;
    for id in &ids {
        match db.feature(None, id, date).await? {
            Some(Featured::Added) => println!("{id}: on the feed of {date}."),
            Some(Featured::Moved { from }) => println!("{id}: moved from the feed of {from} to {date}."),
            Some(Featured::AlreadyThere) => println!("{id}: already on the feed of {date}."),
            None => {
                missing += 1;
                eprintln!("{id}: not in the catalog; add it with `paperboy fetch {id}` first.");
            }
        }
    }
    db.close().await;
    Ok(exit_code(missing == 0))
}

async fn serve(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut rate_limits = SiteLimits::default();
    for setting in &args.rate_limit {
        rate_limits.set(setting).map_err(anyhow::Error::msg).context("--rate-limit")?;
    }
    let db = open_db(global).await?;
    let embedded = global.database_url.is_none();
    if embedded && !args.no_demo && db.count_papers().await? == 0 {
        eprintln!("The catalog is empty: loading the bundled demo data set (pass --no-demo to skip).");
        let report = paperboy::demo::load_demo(&db, &feature_rules(global), true).await?;
        eprintln!("Demo data loaded: {}", report.summary(false));
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let index = Arc::new(
        SearchIndex::open(&follow::index_dir(&global.data_dir)).context("cannot open the search index")?,
    );
    // The follower's first catch-up indexes whatever the index lacks, while the server runs.
    let follower = match index.writer(2) {
        Ok(writer) => Some(tokio::spawn(follow::follow(db.clone(), index.clone(), writer))),
        Err(SearchError::Locked(dir)) => {
            eprintln!(
                "Another process writes the search index in {}; this server only reads it.",
                dir.display()
            );
            None
        }
        Err(e) => return Err(e).context("cannot open the search index for writing"),
    };
    let search = open_search(global, &db, index, false).await?;
    if !search.semantic_enabled() {
        eprintln!("No embedding model configured (--model, PAPERBOY_MODEL_DIR): semantic search is off.");
    }
    let vector_follower =
        search.semantic.clone().map(|semantic| tokio::spawn(semantic::follow(db.clone(), semantic)));
    eprintln!("Paperboy is serving {} papers at http://{}/", db.count_papers().await?, args.listen);
    let config = SiteConfig {
        base_url: global.base_url.clone().unwrap_or_else(|| format!("http://{}", args.listen)),
        rate_limits,
        trust_forwarded_for: args.trust_forwarded_for,
        feature_rules: global.feature_rules.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
        mail: outbox(global)?,
        action_limits: !args.no_action_limits,
        submissions: SubmitRules { window_days: args.submit_window_days, daily_cap: args.daily_submissions },
        arxiv: Some(ArxivClient::new(args.arxiv.client_config())?),
        mcp: !args.no_mcp,
    };
    let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = match args.with_worker {
        true => {
            let client = config.arxiv.clone().context("an arXiv client")?;
            let worker_config = worker_config(global, &args.worker, client, config.base_url.clone())?;
            let shutdown = async move {
                let _ = worker_stopped.await;
            };
            Some(tokio::spawn(run_worker(db.clone(), worker_config, shutdown)))
        }
        false => None,
    };
    let app = App::new(db.clone(), Arc::new(search), config);
    let router = paperboy::server::router(app);
    let served = paperboy::server::serve(listener, router).await;
    let _ = stop_worker.send(());
    if let Some(worker) = worker {
        match worker.await {
            Ok(Err(err)) => tracing::error!(error = %format!("{err:#}"), "the worker failed"),
            Err(err) => tracing::error!(error = %err, "the worker stopped abnormally"),
            Ok(Ok(())) => {}
        }
    }
    for task in [follower, vector_follower].into_iter().flatten() {
        task.abort();
    }
    served.context("the server failed")?;
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn import(global: &GlobalArgs, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let options = ImportOptions {
        batch_size: args.batch_size as usize,
        progress: true,
        report_rejections: true,
        features: feature_rules(global),
    };
    if args.strict || args.dry_run {
        let check = import_sources(None, open_files(&args.files, args.format)?, &options).await?;
        println!("{}", check.summary(true));
        if args.dry_run {
            return Ok(exit_code(check.rejected == 0 && check.file_errors.is_empty()));
        }
        if check.rejected > 0 || !check.file_errors.is_empty() {
            bail!(
                "--strict: {} malformed records and {} unreadable files; nothing was imported",
                check.rejected,
                check.file_errors.len()
            );
        }
    }
    let db = open_db(global).await?;
    let report = import_sources(Some(&db), open_files(&args.files, args.format)?, &options).await?;
    println!("{}", report.summary(false));
    update_index(&db, global).await?;
    db.close().await;
    Ok(exit_code(report.file_errors.is_empty()))
}

async fn run_harvest(global: &GlobalArgs, args: HarvestArgs) -> anyhow::Result<ExitCode> {
    if let Some(until) = args.until
        && until < args.from
    {
        bail!("--until {until} is before --from {}", args.from);
    }
    let db = open_db(global).await?;
    let client = ArxivClient::new(args.arxiv.client_config())?;
    let options = HarvestOptions {
        from: args.from,
        until: args.until,
        set: args.set,
        format: args.metadata_prefix,
        restart: args.restart,
        progress: true,
        features: feature_rules(global),
    };
    let report = harvest(&db, &client, &options).await?;
    println!("{}", report.summary());
    update_index(&db, global).await?;
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn run_fetch(global: &GlobalArgs, args: FetchArgs) -> anyhow::Result<ExitCode> {
    let mut ids = Vec::with_capacity(args.ids.len());
    for (position, raw) in args.ids.iter().enumerate() {
        let (id, _) = ArxivId::from_url_or_id(raw).with_context(|| format!("argument {}", position + 1))?;
        ids.push(id);
    }
    let db = open_db(global).await?;
    let client = ArxivClient::new(args.arxiv.client_config())?;
    let report = fetch(&db, &client, &ids).await?;
    for paper in &report.papers {
        let version = paper.version.map(|v| format!("v{v}")).unwrap_or_default();
        println!("{}{version}  {}", paper.id, paper.title);
    }
    for rejection in &report.rejected {
        eprintln!("{rejection}");
    }
    for id in &report.missing {
        eprintln!("{id}: not found on arXiv");
    }
    println!(
        "{} fetched: {} inserted, {} updated, {} unchanged; {} not found.",
        report.papers.len(),
        report.counts.inserted,
        report.counts.updated,
        report.counts.unchanged,
        report.missing.len()
    );
    update_index(&db, global).await?;
    db.close().await;
    Ok(exit_code(report.missing.is_empty()))
}

/// Indexes what a command stored, unless a running server does it.
async fn update_index(db: &Db, global: &GlobalArgs) -> anyhow::Result<()> {
    match follow::index_now(db, &global.data_dir, true).await.context("cannot update the search index")? {
        Indexed::Papers(0) => {}
        Indexed::Papers(n) => println!("Indexed {n} papers for search."),
        Indexed::ByOtherProcess => {
            println!("A running server holds the search index; it indexes the new papers.")
        }
    }
    Ok(())
}

async fn run_search(global: &GlobalArgs, args: SearchArgs) -> anyhow::Result<ExitCode> {
    let db = open_db(global).await?;
    let index =
        SearchIndex::open(&follow::index_dir(&global.data_dir)).context("cannot open the search index")?;
    if index.cursor()? < db.latest_paper_change().await? {
        eprintln!(
            "The search index is behind the catalog; `paperboy reindex` or a running server brings it up to date."
        );
    }
    let search = open_search(global, &db, Arc::new(index), true).await?;
    let request = SearchRequest {
        query: args.query,
        mode: args.mode,
        limit: args.limit as usize,
        ..SearchRequest::default()
    };
    let results = search.search(&db, &request).await?;
    for notice in &results.notices {
        eprintln!("note: {notice}");
    }
    for (rank, hit) in results.hits.iter().enumerate() {
        let paper = &hit.paper.paper;
        let day = paper.announce_date.map(|d| d.to_string()).unwrap_or_default();
        let score = if hit.score.is_infinite() { "id".to_owned() } else { format!("{:.4}", hit.score) };
        println!("{:>3}. {score:>8}  {:<14} {day}  {}", rank + 1, paper.id.as_str(), paper.title);
        if let Some(passage) = &hit.passage {
            println!("{:>15}{}: {}", "", passage.section, passage.text.replace('\n', " "));
        }
    }
    println!("{} of {} matches ({} search).", results.hits.len(), results.total, results.mode);
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn run_reindex(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let db = open_db(global).await?;
    let index =
        SearchIndex::open(&follow::index_dir(&global.data_dir)).context("cannot open the search index")?;
    let progress = Progress::records(true, "reindexing");
    let started = std::time::Instant::now();
    let done = follow::reindex(&db, &index, &progress).await.map_err(|e| match e {
        FollowError::Search(SearchError::Locked(dir)) => anyhow::anyhow!(
            "another process (probably `paperboy serve`) is writing the index in {}; stop it first",
            dir.display()
        ),
        e => e.into(),
    })?;
    progress.finish();
    println!("Reindexed {done} papers in {:.1} s.", started.elapsed().as_secs_f64());
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Search over `index`, with semantic search when a model is configured. With `catch_up`, the
/// vector index takes in every stored embedding now; otherwise a follower task does that.
async fn open_search(
    global: &GlobalArgs,
    db: &Db,
    index: Arc<SearchIndex>,
    catch_up: bool,
) -> anyhow::Result<Search> {
    let Some(embedder) = load_model(global)? else { return Ok(Search::new(index)) };
    let semantic = Semantic::open(embedder, Some(&global.data_dir.join("vectors"))).await?;
    if catch_up {
        semantic.catch_up(db).await.context("cannot read the stored embeddings")?;
    }
    Ok(Search::with_semantic(index, Arc::new(semantic)))
}

/// Loads the configured embedding model, if any (the hashing embedder when asked for).
fn load_model(global: &GlobalArgs) -> anyhow::Result<Option<Arc<dyn Embedder>>> {
    if global.hash_embedder {
        return Ok(Some(Arc::new(HashEmbedder::default())));
    }
    let Some(dir) = &global.model else { return Ok(None) };
    let model = MiniLm::load(dir).with_context(|| format!("cannot load the model in {}", dir.display()))?;
    Ok(Some(Arc::new(model)))
}

async fn run_embed(global: &GlobalArgs, args: EmbedArgs) -> anyhow::Result<ExitCode> {
    let Some(embedder) = load_model(global)? else {
        bail!(
            "`paperboy embed` needs a model: pass --model DIR or set PAPERBOY_MODEL_DIR (scripts/fetch-model.sh fetches one)"
        );
    };
    let db = open_db(global).await?;
    let progress = Progress::records(true, "embedding");
    let report = embedding::embed_catalog(&db, embedder, args.batch as usize, None, &progress).await?;
    progress.finish();
    println!("{}", report.summary());
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// The summary endpoint's client, when one is configured.
fn llm(args: &LlmArgs) -> anyhow::Result<Option<Llm>> {
    let (Some(url), Some(model)) = (&args.llm_url, &args.llm_model) else { return Ok(None) };
    let options = LlmOptions {
        api_key: args.llm_api_key.clone().filter(|key| !key.is_empty()),
        stream: args.llm_stream,
        concurrency: args.llm_concurrency as usize,
        daily_budget: args.llm_daily_budget,
        timeout: std::time::Duration::from_secs(args.llm_timeout),
        ..LlmOptions::new(url, model)
    };
    Ok(Some(Llm::new(options)?))
}

async fn run_annotate(global: &GlobalArgs, args: AnnotateArgs) -> anyhow::Result<ExitCode> {
    let Some(embedder) = load_model(global)? else {
        bail!(
            "`paperboy annotate` needs a model: pass --model DIR or set PAPERBOY_MODEL_DIR (scripts/fetch-model.sh fetches one)"
        );
    };
    let db = open_db(global).await?;
    let progress = Progress::records(true, "annotating");
    let report = annotate_catalog(&db, embedder, args.limit, &progress).await?;
    progress.finish();
    println!("{}", report.summary());
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

fn bench_relevance(global: &GlobalArgs, args: BenchRelevanceArgs) -> anyhow::Result<ExitCode> {
    let set = BeirSet::load(&args.corpus, &args.queries, &args.qrels)?;
    let options = RelevanceOptions {
        embedder: load_model(global)?,
        cache_dir: &global.data_dir.join("cache"),
        tune: args.tune,
    };
    print!("{}", paperboy::bench::bench_relevance(&set, &options)?);
    Ok(ExitCode::SUCCESS)
}

fn exit_code(success: bool) -> ExitCode {
    if success { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
