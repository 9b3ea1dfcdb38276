//! The keyword index follows the catalog.
//!
//! Every paper write takes a number from the catalog clock (`change_seq`), and so does a new
//! full text; the index's last commit records the number it has caught up to, for the papers and
//! for the passages of their full texts each. [`catch_up`] indexes every paper changed since
//! then, in clock order, with the passages of its full text when it has one, committing each
//! batch with its new position, so an interrupted catch-up resumes where it stopped. A passages'
//! index newer than the papers' one (a new installation of a new version) catches up from its
//! own position while the papers already indexed are skipped. `paperboy serve` runs [`follow`]
//! (a catch-up every second) when it holds the index's writer; commands that store papers catch
//! up once when they finish, unless another process holds the writer, which then picks the
//! papers up itself.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use paperboy_arxiv::Paper;
use paperboy_search::{IndexDoc, IndexPassage, SearchError, SearchIndex, Writer};

use crate::db::fulltext::ChangedFullText;
use crate::db::{Db, DbError};
use crate::fulltext::decode;
use crate::progress::Progress;

/// Papers read and indexed per commit.
const BATCH: u32 = 5_000;
/// Full texts read and cut into passages at a time (each is some hundred kilobytes decoded).
const FULL_TEXT_BATCH: i64 = 64;
/// A catch-up of at least this many papers, and of at least a quarter of the index (a bulk
/// load or a rebuild), is a bulk load: segments are not merged while it runs, and it ends by
/// merging the index into one segment. At a million papers that halves the slowest searches,
/// for about half a minute of merging once.
pub const BULK_LOAD: u64 = 10_000;
/// How often a following server looks for changes.
pub const FOLLOW_INTERVAL: Duration = Duration::from_secs(1);

/// Why the index could not follow the catalog.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the indexing thread stopped unexpectedly")]
    Thread(#[from] tokio::task::JoinError),
}

/// Where the keyword index lives in the data directory.
pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("index")
}

/// Fails when another process (a server) holds the keyword index of `data_dir`.
pub fn ensure_unlocked(data_dir: &Path) -> anyhow::Result<()> {
    let dir = index_dir(data_dir);
    if !dir.exists() {
        return Ok(());
    }
    match SearchIndex::open(&dir)?.writer(1) {
        Ok(_) => Ok(()),
        Err(SearchError::Locked(dir)) => anyhow::bail!(
            "another process (probably `paperboy serve`) is using the index in {}; stop it first",
            dir.display()
        ),
        Err(err) => Err(err.into()),
    }
}

/// What the index makes of a paper.
pub fn index_doc(paper: &Paper) -> IndexDoc {
    IndexDoc {
        id: paper.id.as_str().to_owned(),
        title: paper.title.clone(),
        summary: paper.summary.clone(),
        authors: paper.authors.clone(),
        categories: paper.categories.clone(),
        day: paper.announce_date.or(paper.published_at.map(|t| t.date_naive())),
    }
}

/// The passages of a stored full text; a damaged one has none (and says so in the log).
pub fn index_passages(text: &ChangedFullText) -> Vec<IndexPassage> {
    match decode(&text.document) {
        Ok(document) => paperboy_fulltext::passages::passages(&document)
            .into_iter()
            .map(|p| IndexPassage { anchor: p.anchor, section: p.section, text: p.text })
            .collect(),
        Err(reason) => {
            tracing::warn!(paper = %text.paper_id, %reason, "full text not indexed");
            Vec::new()
        }
    }
}

/// Indexes every paper changed since the index's cursors, and the passages of their full
/// texts; returns how many papers it went through.
pub async fn catch_up(
    db: &Db,
    index: &SearchIndex,
    writer: Writer,
    progress: &Progress,
) -> Result<(Writer, u64), FollowError> {
    let mut writer = writer;
    let mut papers_cursor = index.cursor()?;
    let mut passages_cursor = index.passages_cursor()?;
    let clock = db.catalog_version().await?;
    if papers_cursor.max(passages_cursor) > clock {
        // The index has seen a catalog further on than this one: the database was restored
        // from an older copy. Nothing in the index can be trusted; it is made again.
        tracing::warn!(
            index = papers_cursor,
            database = clock,
            "the keyword index is ahead of the database: rebuilding it"
        );
        writer.clear()?;
        writer.commit(0)?;
        (papers_cursor, passages_cursor) = (0, 0);
    }
    let mut cursor = papers_cursor.min(passages_cursor);
    let pending = db.count_papers_changed_since(cursor).await?;
    if pending == 0 {
        return Ok((writer, 0));
    }
    progress.set_length(pending);
    let bulk = pending >= BULK_LOAD && pending.saturating_mul(4) >= index.len() + pending;
    if bulk {
        writer.pause_merging();
    }
    let mut done = 0;
    loop {
        let papers = db.papers_changed_since(cursor, BATCH).await?;
        let Some(last) = papers.last() else { break };
        let until = last.change_seq;
        let count = papers.len() as u64;
        let docs: Vec<IndexDoc> = papers
            .iter()
            .filter(|stored| stored.change_seq > papers_cursor)
            .map(|stored| index_doc(&stored.paper))
            .collect();
        // A changed paper's passages go; those of its full text, if it has one, come back.
        let changed: Vec<String> = papers
            .iter()
            .filter(|stored| stored.change_seq > passages_cursor)
            .map(|stored| stored.paper.id.as_str().to_owned())
            .collect();
        // Indexing is CPU work: keep it off the async threads.
        writer = tokio::task::spawn_blocking(move || -> Result<Writer, SearchError> {
            for doc in &docs {
                writer.upsert(doc)?;
            }
            for id in &changed {
                writer.replace_passages(id, &[])?;
            }
            Ok(writer)
        })
        .await??;
        let mut texts_after = cursor.max(passages_cursor);
        loop {
            let texts = db.full_texts_changed_between(texts_after, until, FULL_TEXT_BATCH).await?;
            let Some(last) = texts.last() else { break };
            texts_after = last.change_seq;
            writer = tokio::task::spawn_blocking(move || -> Result<Writer, SearchError> {
                for text in &texts {
                    writer.replace_passages(&text.paper_id, &index_passages(text))?;
                }
                Ok(writer)
            })
            .await??;
        }
        cursor = until;
        writer = tokio::task::spawn_blocking(move || -> Result<Writer, SearchError> {
            writer.commit(cursor)?;
            Ok(writer)
        })
        .await??;
        done += count;
        progress.set_position(done);
        progress.set_records(done);
    }
    index.refresh()?;
    if bulk {
        progress.println(format!("Merging the search index after {done} papers..."));
        writer = tokio::task::spawn_blocking(move || -> Result<Writer, SearchError> {
            writer.merge_segments()?;
            Ok(writer)
        })
        .await??;
        index.refresh()?;
    }
    Ok((writer, done))
}

/// Empties the index and indexes the whole catalog again.
pub async fn reindex(db: &Db, index: &SearchIndex, progress: &Progress) -> Result<u64, FollowError> {
    let mut writer = index.writer(2)?;
    writer.clear()?;
    writer.commit(0)?;
    let (_, done) = catch_up(db, index, writer, progress).await?;
    Ok(done)
}

/// What a command that stored papers did about the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indexed {
    /// It indexed this many papers itself.
    Papers(u64),
    /// Another process (a running server) holds the writer and indexes them.
    ByOtherProcess,
}

/// Brings the index in `data_dir` up to date after a command stored papers.
pub async fn index_now(db: &Db, data_dir: &Path, show_progress: bool) -> Result<Indexed, FollowError> {
    let index = SearchIndex::open(&index_dir(data_dir))?;
    let writer = match index.writer(2) {
        Ok(writer) => writer,
        Err(SearchError::Locked(_)) => return Ok(Indexed::ByOtherProcess),
        Err(e) => return Err(e.into()),
    };
    let progress = Progress::records(show_progress, "indexing");
    let (_, done) = catch_up(db, &index, writer, &progress).await?;
    progress.finish();
    Ok(Indexed::Papers(done))
}

/// Catches up every [`FOLLOW_INTERVAL`], for as long as the task runs (the server aborts it when
/// it stops); the first tick indexes whatever the index lacks. Errors are logged, and the
/// writer is reopened and the catch-up retried at the next tick, so a database restart or a
/// damaged segment only delays searchability.
pub async fn follow(db: Db, index: Arc<SearchIndex>, writer: Writer) {
    let mut writer = Some(writer);
    let mut ticks = tokio::time::interval(FOLLOW_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let quiet = Progress::records(false, "indexing");
    loop {
        ticks.tick().await;
        let current = match writer.take() {
            Some(current) => current,
            None => match index.writer(2) {
                Ok(fresh) => fresh,
                Err(e) => {
                    tracing::error!(error = %e, "cannot reopen the index writer; retrying");
                    continue;
                }
            },
        };
        match catch_up(&db, &index, current, &quiet).await {
            Ok((back, 0)) => writer = Some(back),
            Ok((back, done)) => {
                tracing::info!(papers = done, "indexed new and changed papers");
                writer = Some(back);
            }
            Err(e) => tracing::error!(error = %e, "indexing failed; retrying with a new writer"),
        }
    }
}
