//! The `paperboy` binary: parses the command line once, sets up logging and the database, and
//! runs the chosen subcommand. All the work happens in the library.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Parser;
use paperboy::cli::{
    BenchCommand, Cli, Command, FetchArgs, GlobalArgs, HarvestArgs, ImportArgs, LogFormat, ServeArgs,
};
use paperboy::db::Db;
use paperboy::ingest::harvest::{HarvestOptions, fetch, harvest};
use paperboy::ingest::import::{ImportOptions, import_sources, open_files};
use paperboy_arxiv::ArxivId;
use paperboy_arxiv::client::ArxivClient;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
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
        Command::Migrate => {
            let db = open_db(&cli.global).await?;
            println!("The {} schema is up to date.", db.engine());
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Import(args)) => {
            print!("{}", paperboy::bench::bench_import(&args).await?);
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

async fn serve(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let db = open_db(global).await?;
    let embedded = global.database_url.is_none();
    if embedded && !args.no_demo && db.count_papers().await? == 0 {
        eprintln!("The catalog is empty: loading the bundled demo data set (pass --no-demo to skip).");
        let report = paperboy::demo::load_demo(&db, true).await?;
        eprintln!("Demo data loaded: {}", report.summary(false));
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    eprintln!("Paperboy is serving {} papers at http://{}/", db.count_papers().await?, args.listen);
    let router = paperboy::web::router(paperboy::app::App { db: db.clone() });
    paperboy::web::serve(listener, router).await.context("the server failed")?;
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn import(global: &GlobalArgs, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let options =
        ImportOptions { batch_size: args.batch_size as usize, progress: true, report_rejections: true };
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
    };
    let report = harvest(&db, &client, &options).await?;
    println!("{}", report.summary());
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
    db.close().await;
    Ok(exit_code(report.missing.is_empty()))
}

fn exit_code(success: bool) -> ExitCode {
    if success { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
