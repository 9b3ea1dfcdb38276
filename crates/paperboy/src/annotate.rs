//! Keywords and a TL;DR for every paper, made offline with the local embedding model: the
//! model's side of [`crate::domain::keywords`], and the run over the catalog that the worker's
//! annotation job and `paperboy annotate` make.
//!
//! For each paper the model embeds, in one call for a batch of papers, the paper's text (title
//! and abstract, as semantic search embeds it; the vector `paperboy embed` stored is taken
//! instead when it is of the same text and model), each candidate key phrase and each sentence
//! of the abstract. The keywords are chosen by maximal marginal relevance, the TL;DR is the most
//! central sentence. Each is stored with its method and model ([`Methods`]) and the hash of the
//! text, so only papers that are new, whose title or abstract changed, or that an older method
//! annotated are done again; an interrupted run resumes (each batch is committed).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use paperboy_embed::{EmbedError, Embedder};

use crate::db::Db;
use crate::db::annotations::{NewAnnotation, StoredAnnotation};
use crate::domain::keywords::{Annotation, Texts};
use crate::progress::Progress;
use crate::search::embedding::{paper_text, text_hash};

/// The keyword method's name; stored with the model's as `keybert-mmr/all-MiniLM-L6-v2`.
pub const KEYWORDS_METHOD: &str = "keybert-mmr";
/// The TL;DR method's name, stored likewise.
pub const SUMMARY_METHOD: &str = "central-sentence";
/// Papers embedded in one call: a few hundred short texts, enough to keep both cores busy.
const BATCH: usize = 16;
/// Papers' ids read from the catalog per page while looking for those to annotate.
const PAGE: u32 = 5_000;

/// The model a worker annotates papers with.
#[derive(Debug, Clone)]
pub struct Annotator(pub Arc<dyn Embedder>);

/// The stored names of the methods with `model`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Methods {
    pub keywords: String,
    pub summary: String,
}

impl Methods {
    pub fn of(model: &str) -> Methods {
        Methods {
            keywords: format!("{KEYWORDS_METHOD}/{model}"),
            summary: format!("{SUMMARY_METHOD}/{model}"),
        }
    }
}

/// A paper to annotate: its title and abstract, and its vector when semantic search stored one
/// of this text with this model (then it is not computed again).
#[derive(Debug, Clone, Copy)]
pub struct PaperText<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub vector: Option<&'a [f32]>,
}

/// The keywords and TL;DR of each paper, in order, with one call of the model.
pub fn annotate(embedder: &dyn Embedder, papers: &[PaperText<'_>]) -> Result<Vec<Annotation>, EmbedError> {
    let texts: Vec<Texts> = papers.iter().map(|paper| Texts::of(paper.title, paper.summary)).collect();
    let missing: Vec<String> = papers
        .iter()
        .filter(|paper| paper.vector.is_none())
        .map(|paper| paper_text(paper.title, paper.summary))
        .collect();
    let mut inputs: Vec<&str> = missing.iter().map(String::as_str).collect();
    for paper in &texts {
        inputs.extend(paper.candidates.iter().map(String::as_str));
        inputs.extend(paper.sentences.iter().map(String::as_str));
    }
    let vectors = embedder.embed(&inputs)?;
    let (computed, mut rest) = vectors.split_at(missing.len());
    let mut computed = computed.iter();
    let mut annotations = Vec::with_capacity(papers.len());
    for (paper, texts) in papers.iter().zip(&texts) {
        let vector = match paper.vector {
            Some(stored) => stored,
            None => computed.next().map(Vec::as_slice).unwrap_or_default(),
        };
        let (candidates, after) = rest.split_at(texts.candidates.len());
        let (sentences, after) = after.split_at(texts.sentences.len());
        rest = after;
        annotations.push(texts.choose(vector, candidates, sentences));
    }
    Ok(annotations)
}

/// What a run over the catalog did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AnnotateReport {
    /// Papers in the catalog, and how many of them were due.
    pub papers: u64,
    pub due: u64,
    pub annotated: u64,
    pub seconds: f64,
}

impl AnnotateReport {
    /// One line for people.
    pub fn summary(&self) -> String {
        let rate = if self.seconds > 0.0 { self.annotated as f64 / self.seconds } else { 0.0 };
        format!(
            "{} papers: {} annotated in {:.1} s ({rate:.2} papers/s), {} still due, {} up to date.",
            self.papers,
            self.annotated,
            self.seconds,
            self.due - self.annotated,
            self.papers - self.due
        )
    }
}

/// Annotates the papers that are due, the newest first, at most `limit` of them.
pub async fn annotate_catalog(
    db: &Db,
    embedder: Arc<dyn Embedder>,
    limit: Option<u64>,
    progress: &Progress,
) -> anyhow::Result<AnnotateReport> {
    let started = Instant::now();
    let methods = Methods::of(embedder.model());
    let stored = db.annotation_hashes(&methods.keywords).await?;
    let mut report = AnnotateReport::default();
    let mut due: Vec<(String, String)> = Vec::new();
    let mut after = String::new();
    loop {
        let page = db.paper_texts_after(&after, PAGE).await?;
        let Some((last, _, _)) = page.last() else { break };
        after = last.clone();
        report.papers += page.len() as u64;
        due.extend(page.into_iter().filter_map(|(id, title, summary)| {
            let hash = text_hash(&paper_text(&title, &summary));
            (stored.get(&id) != Some(&hash)).then_some((id, hash))
        }));
    }
    report.due = due.len() as u64;
    due.sort_unstable_by(|a, b| b.0.cmp(&a.0));
    due.truncate(limit.map_or(usize::MAX, |limit| limit as usize));
    progress.set_length(due.len() as u64);
    for chunk in due.chunks(BATCH) {
        let ids: Vec<String> = chunk.iter().map(|(id, _)| id.clone()).collect();
        let papers = db.paper_texts(&ids).await?;
        // A stored vector is the paper's only if it was made from the same text.
        let vectors: HashMap<String, Vec<f32>> = db
            .embeddings_of(embedder.model(), &ids)
            .await?
            .into_iter()
            .filter(|stored| {
                chunk.iter().any(|(id, hash)| *id == stored.paper_id && *hash == stored.text_hash)
            })
            .map(|stored| (stored.paper_id, stored.vector))
            .collect();
        let model = embedder.clone();
        let annotations = tokio::task::spawn_blocking(move || {
            let texts: Vec<PaperText<'_>> = papers
                .iter()
                .map(|(id, title, summary)| PaperText {
                    title,
                    summary,
                    vector: vectors.get(id).map(Vec::as_slice),
                })
                .collect();
            let made = annotate(model.as_ref(), &texts)?;
            Ok::<_, EmbedError>(papers.iter().map(|(id, ..)| id.clone()).zip(made).collect::<Vec<_>>())
        })
        .await??;
        let rows = rows(chunk, annotations, &methods);
        db.store_annotations(&rows).await?;
        report.annotated += chunk.len() as u64;
        progress.set_position(report.annotated);
        progress.set_records(report.annotated);
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The rows to store: each paper's annotation with the hash of the text it came from. A paper
/// whose text could not be read meanwhile (deleted) has none.
fn rows(due: &[(String, String)], made: Vec<(String, Annotation)>, methods: &Methods) -> Vec<NewAnnotation> {
    made.into_iter()
        .filter_map(|(id, annotation)| {
            let (_, hash) = due.iter().find(|(due_id, _)| *due_id == id)?;
            Some(NewAnnotation {
                paper_id: id,
                text_hash: hash.clone(),
                annotation: StoredAnnotation {
                    keywords: annotation.keywords,
                    keywords_method: methods.keywords.clone(),
                    summary: annotation.summary,
                    summary_method: methods.summary.clone(),
                },
            })
        })
        .collect()
}
