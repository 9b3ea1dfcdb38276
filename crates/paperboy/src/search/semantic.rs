//! Semantic search: the embedder and the vector index of the stored embeddings, following the
//! catalog the way the keyword index does.
//!
//! Stored vectors take catalog clock numbers (`embeddings.change_seq`); [`Semantic::catch_up`]
//! adds every vector written since the index's cursor. Additions go to the index's pending list
//! (searched exhaustively) and [`Semantic::maintain`] grows them into the graph one at a time on
//! one blocking thread, each planned under the shared lock beside searches and applied under the
//! exclusive one in microseconds. A whole rebuild, with all cores, happens only when far more is
//! pending than the graph holds (a first start over a full database) or when replaced vectors
//! leave a few percent of the graph stale. The graph and its cursor are saved in the data
//! directory after a rebuild and after every few thousand grown vectors, so a restart loads them
//! instead of building again. Keys are [`ArxivId::key`].
//!
//! Each server keeps its own index, following the one database: growing costs a few
//! milliseconds of one core per new paper, which is cheaper than moving a shared graph between
//! processes, and a server never waits on another to search.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use paperboy_arxiv::ArxivId;
use paperboy_embed::Embedder;
use paperboy_search::Ranked;
use paperboy_vectors::{IndexParams, VectorIndex};

use crate::db::{Db, DbError};

/// Vectors read from the database per step.
const BATCH: u32 = 5_000;
/// Stale graph nodes, as a share of the index, that trigger a rebuild of the graph.
const REBUILD_SHARE: f64 = 0.05;
/// Stale or pending vectors below which the index is never rebuilt.
const REBUILD_MIN: usize = 2_000;
/// Vectors grown into the graph per blocking task (about a second of one core), so that a
/// stopping server is not held up by a long backlog.
const GROWTH_STEP: usize = 256;
/// Vectors grown since the last save after which the index is saved again.
const SAVE_AFTER: usize = 2_000;
/// Graph parameters: the graph returns at most `ef_search` results, and hybrid search asks for
/// 100 (`super::CANDIDATES`); asking for more than the graph gives falls back to a full scan.
pub const PARAMS: IndexParams = IndexParams { ef_construction: 100, ef_search: 128 };

/// Why semantic search could not load or follow.
#[derive(Debug, thiserror::Error)]
pub enum SemanticError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("vector index: {0}")]
    Vectors(#[from] paperboy_vectors::VectorError),
    #[error("embedding: {0}")]
    Embed(#[from] paperboy_embed::EmbedError),
    #[error("cannot write {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("a background task stopped unexpectedly")]
    Thread(#[from] tokio::task::JoinError),
}

struct Vectors {
    index: VectorIndex,
    /// The catalog clock number of the last vector in `index`.
    cursor: i64,
}

/// The embedder and the vector index.
pub struct Semantic {
    embedder: Arc<dyn Embedder>,
    /// Searches read; only the catch-up writes (adding vectors, swapping in a rebuilt graph).
    vectors: Arc<RwLock<Vectors>>,
    /// Where the index is saved; `None` keeps it in memory only.
    file: Option<PathBuf>,
    /// Vectors grown into the graph since the index was last saved.
    unsaved: AtomicUsize,
}

impl Semantic {
    /// Loads the saved index for the embedder's model from `dir`, or starts an empty one when
    /// there is none or it cannot be read; [`Semantic::catch_up`] then adds what the database
    /// has beyond it.
    pub async fn open(embedder: Arc<dyn Embedder>, dir: Option<&Path>) -> Result<Semantic, SemanticError> {
        let file = dir.map(|dir| {
            let name: String =
                embedder.model().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
            dir.join(format!("{name}-{}.vectors", embedder.dim()))
        });
        let saved = match &file {
            Some(file) => load(file, embedder.dim()).await,
            None => None,
        };
        let empty = || VectorIndex::build_with(embedder.dim(), PARAMS, Vec::new()).map(|index| (index, 0));
        let (index, cursor) = match saved {
            Some(saved) => saved,
            None => empty()?,
        };
        let vectors = Arc::new(RwLock::new(Vectors { index, cursor }));
        Ok(Semantic { embedder, vectors, file, unsaved: AtomicUsize::new(0) })
    }

    /// Semantic search over an index built elsewhere with [`PARAMS`], kept in memory only
    /// (benchmarks build one from synthetic vectors).
    pub fn with_index(embedder: Arc<dyn Embedder>, index: VectorIndex) -> Semantic {
        let vectors = Arc::new(RwLock::new(Vectors { index, cursor: 0 }));
        Semantic { embedder, vectors, file: None, unsaved: AtomicUsize::new(0) }
    }

    /// The catalog clock reading up to which stored vectors are in the index.
    pub fn cursor(&self) -> i64 {
        self.read().cursor
    }

    pub fn embedder(&self) -> &Arc<dyn Embedder> {
        &self.embedder
    }

    /// How many papers have vectors in the index.
    pub fn len(&self) -> usize {
        self.read().index.len()
    }

    /// Whether no paper has a vector yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> RwLockReadGuard<'_, Vectors> {
        self.vectors.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Vectors> {
        self.vectors.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds every vector stored since the cursor (to the pending list, searched exhaustively
    /// until [`Semantic::maintain`] grows it into the graph). Returns how many it added.
    pub async fn catch_up(&self, db: &Db) -> Result<u64, SemanticError> {
        let model = self.embedder.model().to_owned();
        let clock = db.catalog_version().await?;
        if self.read().cursor > clock {
            // The index has seen a catalog further on than this one: the database was restored
            // from an older copy. It starts again from nothing.
            tracing::warn!(
                index = self.cursor(),
                database = clock,
                "the vector index is ahead of the database: rebuilding it"
            );
            let empty = VectorIndex::build_with(self.embedder.dim(), PARAMS, Vec::new())?;
            *self.write() = Vectors { index: empty, cursor: 0 };
        }
        let mut added = 0;
        loop {
            let cursor = self.read().cursor;
            let rows = db.embeddings_changed_since(&model, cursor, BATCH).await?;
            let Some(last) = rows.last() else { break };
            let mut vectors = self.write();
            for row in &rows {
                let inserted = match row.paper_id.parse::<ArxivId>() {
                    Ok(id) => vectors.index.insert(id.key(), &row.vector).map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                // One bad row must not stop every later vector: it is skipped, loudly.
                if let Err(reason) = inserted {
                    tracing::warn!(paper = %row.paper_id, %reason, "skipped a stored embedding");
                }
            }
            vectors.cursor = last.change_seq;
            added += rows.len() as u64;
        }
        Ok(added)
    }

    /// Grows pending vectors into the graph, or rebuilds it when that is cheaper or stale
    /// nodes pile up, and saves it now and then (see the module docs). Must not run beside
    /// [`Semantic::catch_up`]: one task does both, in turn. Returns how many vectors it grew.
    pub async fn maintain(&self) -> Result<usize, SemanticError> {
        let (pending, stale, graph, len) = {
            let vectors = self.read();
            let index = &vectors.index;
            (index.pending_len(), index.stale_len(), index.graph_len(), index.len())
        };
        let rebuild = (pending >= REBUILD_MIN && pending > graph)
            || (stale >= REBUILD_MIN && stale as f64 >= REBUILD_SHARE * len as f64);
        if rebuild {
            // Nothing is added while the graph is rebuilt (see above); searches go on over the
            // old one.
            let vectors = self.vectors.clone();
            let started = std::time::Instant::now();
            let rebuilt = tokio::task::spawn_blocking(move || {
                vectors.read().unwrap_or_else(PoisonError::into_inner).index.rebuilt()
            })
            .await?;
            self.write().index = rebuilt;
            tracing::info!(vectors = len, seconds = started.elapsed().as_secs(), "built the vector graph");
            self.save().await?;
            return Ok(0);
        }
        let mut grown = 0;
        loop {
            let vectors = self.vectors.clone();
            let step = tokio::task::spawn_blocking(move || grow_step(&vectors)).await?;
            if step == 0 {
                break;
            }
            grown += step;
        }
        if self.unsaved.fetch_add(grown, Ordering::Relaxed) + grown >= SAVE_AFTER {
            self.save().await?;
        }
        Ok(grown)
    }

    async fn save(&self) -> Result<(), SemanticError> {
        let Some(file) = self.file.clone() else { return Ok(()) };
        self.unsaved.store(0, Ordering::Relaxed);
        let vectors = self.vectors.clone();
        tokio::task::spawn_blocking(move || -> Result<(), SemanticError> {
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir).map_err(|e| SemanticError::Io(dir.to_owned(), e))?;
            }
            let vectors = vectors.read().unwrap_or_else(PoisonError::into_inner);
            let cursor = vectors.cursor;
            // The index first: a crash between the two leaves an older cursor beside a newer
            // index, and the next catch-up merely adds some vectors again (an insert replaces).
            vectors.index.save(&file)?;
            let cursor_file = file.with_extension("cursor");
            std::fs::write(&cursor_file, cursor.to_string()).map_err(|e| SemanticError::Io(cursor_file, e))
        })
        .await?
    }

    /// The papers nearest to `text`, best first.
    pub async fn search_text(&self, text: &str, k: usize) -> Result<Vec<Ranked>, SemanticError> {
        let embedder = self.embedder.clone();
        let text = text.to_owned();
        let query = tokio::task::spawn_blocking(move || embedder.embed(&[text.as_str()])).await??;
        let Some(query) = query.into_iter().next() else { return Ok(Vec::new()) };
        self.search_vector(&query, k)
    }

    /// The papers nearest to `vector`, best first.
    pub fn search_vector(&self, vector: &[f32], k: usize) -> Result<Vec<Ranked>, SemanticError> {
        Ok(self
            .read()
            .index
            .search(vector, k)?
            .into_iter()
            .filter_map(|(key, score)| {
                ArxivId::from_key(key).map(|id| Ranked { id: id.as_str().to_owned(), score })
            })
            .collect())
    }
}

/// Grows up to [`GROWTH_STEP`] pending vectors into the graph, each planned under the shared
/// lock and applied under the exclusive one; returns how many.
fn grow_step(vectors: &RwLock<Vectors>) -> usize {
    let mut grown = 0;
    while grown < GROWTH_STEP {
        let planned = vectors.read().unwrap_or_else(PoisonError::into_inner).index.plan_growth();
        let Some(growth) = planned else { break };
        if vectors.write().unwrap_or_else(PoisonError::into_inner).index.apply_growth(growth) {
            grown += 1;
        }
    }
    grown
}

/// A saved index and its cursor, when both are there and readable.
async fn load(file: &Path, dim: usize) -> Option<(VectorIndex, i64)> {
    let file = file.to_owned();
    tokio::task::spawn_blocking(move || {
        let cursor: i64 = std::fs::read_to_string(file.with_extension("cursor")).ok()?.trim().parse().ok()?;
        match VectorIndex::load(&file) {
            Ok(index) if index.dim() == dim && index.params() == PARAMS => Some((index, cursor)),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(file = %file.display(), error = %e, "cannot load the vector index; rebuilding it");
                None
            }
        }
    })
    .await
    .ok()
    .flatten()
}

/// Adds new vectors every [`super::follow::FOLLOW_INTERVAL`] and keeps the graph fresh, for as
/// long as the task runs (the server aborts it when it stops). Errors are logged and retried at
/// the next tick. The first tick adds everything the saved index lacks.
pub async fn follow(db: Db, semantic: Arc<Semantic>) {
    let mut ticks = tokio::time::interval(super::follow::FOLLOW_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match semantic.catch_up(&db).await {
            Ok(0) => {}
            Ok(added) => tracing::info!(vectors = added, "added new embeddings to the vector index"),
            Err(e) => tracing::error!(error = %e, "following the embeddings failed; retrying"),
        }
        match semantic.maintain().await {
            Ok(0) => {}
            Ok(grown) => tracing::info!(vectors = grown, "grew new embeddings into the vector graph"),
            Err(e) => tracing::error!(error = %e, "growing the vector index failed; retrying"),
        }
    }
}
