//! Embedding papers: what text is embedded, how it is hashed, and `paperboy embed`, which
//! computes the vectors the catalog lacks.
//!
//! A paper's text is its title and abstract. Each stored vector keeps the hash of the text it
//! came from; `paperboy embed` embeds only papers whose text hash differs from the stored one
//! (new papers, and papers whose title or abstract changed), so re-imports and reindexing cost
//! nothing here, and an interrupted run resumes where it stopped (each batch is committed). It
//! reads only papers written since the version their vector matches (`embeddings.paper_seq`:
//! the paper's `change_seq` when its text was read, or last found unchanged), so an up-to-date
//! catalog costs one pass over two tables' keys, and a text rewritten while its old version was
//! being embedded is read again next time.
//! [`EmbeddingCache`] is the same idea for data outside the catalog (the relevance benchmark).

use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use paperboy_embed::Embedder;

use crate::db::Db;
use crate::db::embeddings::NewEmbedding;
use crate::progress::Progress;

/// Papers read from the catalog per page.
const PAGE: u32 = 2_000;

/// The text embedded for a paper.
pub fn paper_text(title: &str, summary: &str) -> String {
    format!("{} {}", title.trim(), summary.trim())
}

/// A stable 64-bit FNV-1a hash of `text`, as 16 hex digits.
pub fn text_hash(text: &str) -> String {
    format!("{:016x}", fnv1a(text))
}

fn fnv1a(text: &str) -> u64 {
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// What `paperboy embed` did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EmbedReport {
    pub papers: u64,
    pub embedded: u64,
    pub seconds: f64,
}

impl EmbedReport {
    /// One line for people.
    pub fn summary(&self) -> String {
        let rate = if self.seconds > 0.0 { self.embedded as f64 / self.seconds } else { 0.0 };
        format!(
            "{} papers: {} embedded in {:.1} s ({rate:.1} papers/s), {} already up to date.",
            self.papers,
            self.embedded,
            self.seconds,
            self.papers - self.embedded
        )
    }
}

/// Embeds the papers whose stored vector is missing or stale, `batch` texts at a time, at most
/// `limit` of them (the rest wait for the next run).
pub async fn embed_catalog(
    db: &Db,
    embedder: Arc<dyn Embedder>,
    batch: usize,
    limit: Option<u64>,
    progress: &Progress,
) -> anyhow::Result<EmbedReport> {
    let started = Instant::now();
    let model_name = embedder.model();
    let mut report = EmbedReport { papers: db.count_papers().await?, ..EmbedReport::default() };
    if progress.is_shown() {
        // As costly as the pass itself at a million papers: only for a bar someone sees.
        progress.set_length(db.count_texts_to_embed(model_name).await?);
    }
    let (mut after, mut examined, mut marked) = (String::new(), 0, 0);
    while limit.is_none_or(|limit| report.embedded < limit) {
        let page = db.texts_to_embed(model_name, &after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        examined += page.len() as u64;
        let room = limit.map_or(usize::MAX, |limit| (limit - report.embedded) as usize);
        // Texts unchanged since their vector (the paper moved for something else) are marked
        // current, so the next run does not read them again.
        let mut current = Vec::new();
        let mut pending = Vec::new();
        for paper in page {
            let text = paper_text(&paper.title, &paper.summary);
            let hash = text_hash(&text);
            if paper.text_hash.as_ref() == Some(&hash) {
                current.push((paper.id, paper.change_seq));
            } else if pending.len() < room {
                pending.push((paper.id, paper.change_seq, hash, text));
            }
        }
        db.mark_embeddings_current(model_name, &current).await?;
        marked += current.len() as u64;
        for chunk in pending.chunks(batch.max(1)) {
            let texts: Vec<String> = chunk.iter().map(|(_, _, _, text)| text.clone()).collect();
            let model = embedder.clone();
            let vectors = tokio::task::spawn_blocking(move || {
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                model.embed(&refs)
            })
            .await??;
            let rows: Vec<NewEmbedding> = chunk
                .iter()
                .zip(vectors)
                .map(|((id, seq, hash, _), vector)| NewEmbedding {
                    paper_id: id.clone(),
                    text_hash: hash.clone(),
                    vector,
                    paper_seq: *seq,
                })
                .collect();
            db.store_embeddings(embedder.model(), &rows).await?;
            report.embedded += rows.len() as u64;
            progress.set_records(report.embedded);
        }
        progress.set_position(examined);
    }
    // Marking a catalog's vectors current the first time (after an upgrade) rewrites every row.
    db.after_bulk_write(report.embedded + marked).await?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Vectors of texts outside the catalog, kept in a file per model so that a second run embeds
/// nothing. The file is a sequence of records (text hash, then `dim` little-endian `f32`), only
/// ever appended to; a record cut short by an interruption is ignored.
pub struct EmbeddingCache {
    path: PathBuf,
    dim: usize,
    vectors: HashMap<u64, Vec<f32>>,
}

impl EmbeddingCache {
    /// Opens (or starts) the cache for `model` in `dir`.
    pub fn open(dir: &Path, model: &str, dim: usize) -> anyhow::Result<EmbeddingCache> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let name: String =
            model.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        let path = dir.join(format!("embeddings-{name}-{dim}.bin"));
        let mut vectors = HashMap::new();
        if let Ok(file) = std::fs::File::open(&path) {
            let mut reader = BufReader::new(file);
            let mut record = vec![0u8; 8 + dim * 4];
            while reader.read_exact(&mut record).is_ok() {
                let (hash, floats) = record.split_at(8);
                let hash = u64::from_le_bytes(hash.try_into().context("hash of 8 bytes")?);
                let vector =
                    floats.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
                vectors.insert(hash, vector);
            }
        }
        Ok(EmbeddingCache { path, dim, vectors })
    }

    /// The vector of every text, in order, embedding (and caching) only those not cached.
    pub fn embed_all(
        &mut self,
        embedder: &dyn Embedder,
        texts: &[String],
        progress: &Progress,
    ) -> anyhow::Result<Vec<Vec<f32>>> {
        let mut missing: Vec<&String> =
            texts.iter().filter(|t| !self.vectors.contains_key(&fnv1a(t))).collect();
        missing.sort();
        missing.dedup();
        progress.set_length(missing.len() as u64);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        let mut writer = BufWriter::new(file);
        for (done, chunk) in missing.chunks(32).enumerate() {
            let refs: Vec<&str> = chunk.iter().map(|t| t.as_str()).collect();
            for (text, vector) in chunk.iter().zip(embedder.embed(&refs)?) {
                anyhow::ensure!(
                    vector.len() == self.dim,
                    "the model returned {} dimensions, not {}",
                    vector.len(),
                    self.dim
                );
                let hash = fnv1a(text);
                writer.write_all(&hash.to_le_bytes())?;
                for x in &vector {
                    writer.write_all(&x.to_le_bytes())?;
                }
                self.vectors.insert(hash, vector);
            }
            writer.flush()?;
            let embedded = ((done + 1) * 32).min(missing.len()) as u64;
            progress.set_position(embedded);
            progress.set_records(embedded);
        }
        Ok(texts.iter().map(|t| self.vectors[&fnv1a(t)].clone()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable_across_runs_and_versions() {
        // FNV-1a test vectors: these must never change, or every stored vector looks stale.
        assert_eq!(text_hash(""), "cbf29ce484222325");
        assert_eq!(text_hash("a"), "af63dc4c8601ec8c");
        assert_ne!(text_hash("attention"), text_hash("attention "));
    }
}
