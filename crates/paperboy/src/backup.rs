//! `paperboy backup` and `paperboy restore`: a consistent copy of the embedded database taken
//! while servers run, and bringing one back.
//!
//! A backup is SQLite's `VACUUM INTO`: one read transaction, so the copy holds exactly what was
//! committed when it began, whatever is written meanwhile, compacted into a single file with no
//! write-ahead log beside it. On PostgreSQL the database's own tools do this (`pg_dump`), and
//! the command says so.
//!
//! A restore checks the file is a Paperboy database (it is opened and migrated, so an older
//! backup comes up to date), keeps the current database beside it as
//! `paperboy.db.before-restore-TIME`, puts the backup in its place, and removes the derived
//! indexes (`index/`, `vectors/`): the next `serve` builds them again from the database, as it
//! does when they are lost. It refuses while a server holds the keyword index.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::Utc;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::db::{Db, SQLITE_FILE};

/// What a backup or a restore holds: its papers, and the file's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupReport {
    pub papers: u64,
    pub bytes: u64,
}

/// Copies `db` to the new file `dest`, consistently, while others go on writing.
pub async fn backup(db: &Db, dest: &Path) -> anyhow::Result<BackupReport> {
    let Db::Sqlite(pool) = db else {
        bail!(
            "`paperboy backup` copies the embedded SQLite database; for PostgreSQL use its own tools, \
             e.g. `pg_dump --format=custom --file=paperboy.dump DATABASE_URL` (and `pg_restore` to bring it back)"
        );
    };
    if dest.exists() {
        bail!("{} exists already: give a new file, a backup never overwrites", dest.display());
    }
    let path = dest.to_str().with_context(|| format!("{} is not a UTF-8 path", dest.display()))?;
    sqlx::query("VACUUM INTO $1")
        .bind(path)
        .execute(pool)
        .await
        .with_context(|| format!("cannot write the backup to {}", dest.display()))?;
    let bytes = std::fs::metadata(dest)?.len();
    Ok(BackupReport { papers: count_papers(dest).await?, bytes })
}

/// The papers in the database file `path`, read without writing to it.
async fn count_papers(path: &Path) -> anyhow::Result<u64> {
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM papers").fetch_one(&pool).await?;
    pool.close().await;
    Ok(count.max(0) as u64)
}

/// Puts the backup `source` in place of the embedded database of `data_dir`, keeping the
/// current one beside it, and removes the indexes derived from the old one.
pub async fn restore(data_dir: &Path, source: &Path) -> anyhow::Result<BackupReport> {
    if !source.is_file() {
        bail!("{} is not a file", source.display());
    }
    crate::search::follow::ensure_unlocked(data_dir)?;
    std::fs::create_dir_all(data_dir)?;
    let incoming = data_dir.join(format!("{SQLITE_FILE}.restoring"));
    std::fs::copy(source, &incoming)
        .with_context(|| format!("cannot copy {} to {}", source.display(), incoming.display()))?;
    let papers = match check(&incoming).await {
        Ok(papers) => papers,
        Err(err) => {
            let _ = std::fs::remove_file(&incoming);
            return Err(err.context(format!("{} is not a Paperboy database", source.display())));
        }
    };
    let current = data_dir.join(SQLITE_FILE);
    if current.exists() {
        let kept =
            data_dir.join(format!("{SQLITE_FILE}.before-restore-{}", Utc::now().format("%Y%m%dT%H%M%SZ")));
        for suffix in ["", "-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", current.display()));
            if from.exists() {
                std::fs::rename(&from, format!("{}{suffix}", kept.display()))?;
            }
        }
    }
    std::fs::rename(&incoming, &current)?;
    for derived in ["index", "vectors"] {
        let dir = data_dir.join(derived);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("cannot remove {}", dir.display()))?;
        }
    }
    Ok(BackupReport { papers, bytes: std::fs::metadata(&current)?.len() })
}

/// Opens the database file `path`, brings its schema up to date and counts its papers.
async fn check(path: &Path) -> anyhow::Result<u64> {
    let url = format!("sqlite:{}", path.display());
    let db = Db::connect(&url).await?;
    let counted = async {
        let Db::Sqlite(pool) = &db else { bail!("not SQLite") };
        let tables: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('papers', '_sqlx_migrations')",
        )
        .fetch_one(pool)
        .await?;
        if tables != 2 {
            bail!("it has no papers table and no schema history");
        }
        db.migrate().await?;
        Ok(db.count_papers().await?)
    }
    .await;
    db.close().await;
    // The check leaves no write-ahead log behind to be mistaken for the restored database's.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    counted
}
