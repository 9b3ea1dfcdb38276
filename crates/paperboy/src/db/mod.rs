//! Storage: one [`Db`] handle over SQLite (the embedded default) or PostgreSQL.
//!
//! Everything that differs between the two engines lives here and in `migrations/`: how to
//! connect (WAL, foreign keys and a busy timeout on SQLite), which migration set to run, and
//! the [`with_pool!`] macro that runs one piece of query code against whichever pool is open.
//! Queries in the submodules are written once, in SQL both engines accept (`$1` placeholders,
//! `ON CONFLICT ... DO UPDATE`), and compiled for each engine by that macro. The database is the
//! truth; search indexes and caches are rebuilt from it.

pub mod annotations;
pub mod authors;
pub mod checkpoints;
pub mod claims;
pub mod code;
pub mod collections;
pub mod community;
pub mod digests;
pub mod embeddings;
pub mod feed;
pub mod fulltext;
pub mod jobs;
pub mod moderation;
pub mod papers;
pub mod queue;
pub mod quotas;
pub mod scratch;
pub mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::domain::Refusal;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// The file name of the embedded database inside the data directory.
pub const SQLITE_FILE: &str = "paperboy.db";

/// An open connection pool to the catalog.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Which engine a [`Db`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database URL names neither `sqlite:` nor `postgres:`. Only the scheme is kept, so
    /// that a password in the URL never reaches a message.
    #[error("unsupported database URL scheme `{0}`: expected sqlite:PATH or postgres://...")]
    UnsupportedUrl(String),
    /// The database could not be reached or refused a query.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// A migration failed; the schema is as the last successful migration left it.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Other writers kept changing the same papers while a batch was being stored.
    #[error("{0} papers kept changing under concurrent writers; try the batch again")]
    Contention(usize),
    /// A stored row does not hold what the catalog writes (edited by hand, or a bug).
    #[error("corrupt row for {id}: {reason}")]
    CorruptRow { id: String, reason: String },
    /// The community's rules refused the write, inside its transaction (no such paper, submitted
    /// already, a link used before...): not a failure, an answer for the person who asked.
    #[error(transparent)]
    Refused(#[from] Refusal),
}

/// Runs `$body` with `$pool` bound to the open pool and `$DB` naming its sqlx database type.
macro_rules! with_pool {
    ($db:expr, |$pool:ident, $DB:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => {
                #[allow(dead_code)]
                type $DB = sqlx::Sqlite;
                $body
            }
            $crate::db::Db::Postgres($pool) => {
                #[allow(dead_code)]
                type $DB = sqlx::Postgres;
                $body
            }
        }
    };
}
pub(crate) use with_pool;

/// Locks the catalog clock until the transaction `$tx` ends and evaluates to its last number.
/// Writers of papers and embeddings take it first, so they commit in the order of the numbers
/// they hand out (see `migrations/*/0002_search.sql`).
macro_rules! take_clock {
    ($tx:ident) => {
        sqlx::query_scalar::<_, i64>("UPDATE catalog_clock SET seq = seq WHERE id = 1 RETURNING seq")
            .fetch_one(&mut *$tx)
            .await?
    };
}
pub(crate) use take_clock;

/// Records `$seq` as the last number handed out in the transaction `$tx`.
macro_rules! set_clock {
    ($tx:ident, $seq:expr) => {
        sqlx::query("UPDATE catalog_clock SET seq = $1 WHERE id = 1").bind($seq).execute(&mut *$tx).await?
    };
}
pub(crate) use set_clock;

/// Copies the upvotes and the hidden mark of the paper `$id` (a `&str`) onto its feed entry, if
/// it has one, in the transaction `$tx`. Every transaction that changes either, or puts the paper
/// on a feed, ends with it, so the ranking of a period never reads the papers.
macro_rules! copy_paper_to_entry {
    ($tx:ident, $id:expr) => {
        sqlx::query(
            "UPDATE feed_entries SET paper_upvotes = (SELECT p.upvotes FROM papers p WHERE p.id = $1), \
             paper_hidden_at = (SELECT p.hidden_at FROM papers p WHERE p.id = $1) WHERE paper_id = $1",
        )
        .bind($id)
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use copy_paper_to_entry;

/// Moves the paper `$id` on the catalog clock in the transaction `$tx`, so cached pages and the
/// search index see it changed; evaluates to whether the paper exists.
macro_rules! move_paper {
    ($tx:ident, $id:expr) => {{
        let seq = $crate::db::take_clock!($tx) + 1;
        let moved = sqlx::query("UPDATE papers SET change_seq = $1 WHERE id = $2")
            .bind(seq)
            .bind($id)
            .execute(&mut *$tx)
            .await?
            .rows_affected()
            > 0;
        if moved {
            $crate::db::set_clock!($tx, seq);
        }
        moved
    }};
}
pub(crate) use move_paper;

/// Rows one command writes from which it refreshes the planner's statistics
/// ([`Db::after_bulk_write`]).
pub const BULK_WRITE: u64 = 10_000;

impl Db {
    /// Opens the database at `url`: `sqlite:PATH` (created if missing) or `postgres://...`.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        if url.starts_with("sqlite:") {
            Self::open_sqlite(SqliteConnectOptions::from_str(url)?).await
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?.application_name("paperboy");
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
            Err(DbError::UnsupportedUrl(scheme.chars().take(20).collect()))
        }
    }

    /// Opens (creating if missing) the embedded database file in `data_dir`.
    pub async fn open_embedded(data_dir: &Path) -> Result<Db, DbError> {
        Self::open_sqlite(SqliteConnectOptions::new().filename(data_dir.join(SQLITE_FILE))).await
    }

    async fn open_sqlite(options: SqliteConnectOptions) -> Result<Db, DbError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // 32 MiB of pages per connection (SQLite's default is 2 MiB): an import's index
            // B-trees (papers by date, authors by name) stay in memory between batches.
            .pragma("cache_size", "-32768");
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        Ok(Db::Sqlite(pool))
    }

    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// Brings the schema up to date, then fills in what a migration made but SQL cannot compute
    /// (`backfills`). Safe to run at every start and from several processes.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        self.backfill_paper_authors().await
    }

    /// The statement that opens a transaction which will write.
    ///
    /// SQLite must take the write lock up front (`IMMEDIATE`): a transaction that reads first
    /// and writes later fails at once, without waiting, if another writer committed meanwhile.
    pub(crate) fn begin_write(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "BEGIN IMMEDIATE",
            Db::Postgres(_) => "BEGIN",
        }
    }

    /// Refreshes the query planner's statistics when a command has written `rows` rows, at least
    /// [`BULK_WRITE`] (`ANALYZE` on PostgreSQL, `PRAGMA optimize` on SQLite). Without them
    /// PostgreSQL plans a freshly loaded catalog blind until autovacuum analyzes it, and
    /// autovacuum may be off or far behind: at a million papers, counting the few papers
    /// changed since an index's cursor then read every row, 2 to 5 s instead of milliseconds,
    /// and every page waited behind it. `ANALYZE` samples: 2 s at a million papers.
    pub async fn after_bulk_write(&self, rows: u64) -> Result<(), DbError> {
        if rows < BULK_WRITE {
            return Ok(());
        }
        let statement = match self {
            Db::Sqlite(_) => "PRAGMA optimize",
            Db::Postgres(_) => "ANALYZE",
        };
        with_pool!(self, |pool, DB| {
            sqlx::query(statement).execute(pool).await?;
        });
        Ok(())
    }

    /// Answers whether the database accepts queries, for readiness checks.
    pub async fn ping(&self) -> Result<(), DbError> {
        with_pool!(self, |pool, DB| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Closes every connection, waiting for queries in flight.
    pub async fn close(&self) {
        with_pool!(self, |pool, DB| pool.close().await)
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        })
    }
}
