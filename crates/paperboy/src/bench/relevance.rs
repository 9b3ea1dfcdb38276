//! `paperboy bench relevance`: how well each search mode ranks, on any BEIR-format set.
//!
//! Reads `corpus.jsonl` (`_id`, `title`, `text`), `queries.jsonl` (`_id`, `text`) and
//! `qrels.tsv` (`query-id`, `corpus-id`, `score`, with a header line), indexes the corpus in a
//! throwaway in-memory index, runs every query that has judgements through the same query path
//! as the search box, and prints nDCG@10 (linear gains, log2 discount, as trec_eval) and
//! recall@100 per mode. Semantic ranking is exact cosine over the corpus's embeddings, so it
//! measures the model and not the approximate index (whose recall is measured on its own).
//! Corpus embeddings are cached in the data directory, keyed by model and text, so only the
//! first run pays for them. `--tune` also prints the grids the defaults were chosen from.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use paperboy_embed::Embedder;
use paperboy_search::fusion::Fusion;
use paperboy_search::{Boosts, IndexDoc, Ranked, SearchIndex, parse};
use paperboy_vectors::exact_search;
use serde::Deserialize;

use crate::progress::Progress;
use crate::search::embedding::{EmbeddingCache, paper_text};

/// Results retrieved per query and mode (recall is measured at this depth).
const DEPTH: usize = 100;

/// A BEIR data set.
pub struct BeirSet {
    pub corpus: Vec<IndexDoc>,
    pub queries: Vec<(String, String)>,
    /// Query id → (document id → graded relevance).
    pub qrels: HashMap<String, HashMap<String, u32>>,
}

#[derive(Deserialize)]
struct CorpusLine {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
struct QueryLine {
    #[serde(rename = "_id")]
    id: String,
    text: String,
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<Vec<T>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut records = Vec::new();
    for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("{}:{}: cannot read", path.display(), number + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}: not a BEIR record", path.display(), number + 1))?;
        records.push(record);
    }
    Ok(records)
}

impl BeirSet {
    /// Reads the three files of a BEIR set.
    pub fn load(corpus: &Path, queries: &Path, qrels: &Path) -> anyhow::Result<BeirSet> {
        let corpus: Vec<IndexDoc> = read_jsonl::<CorpusLine>(corpus)?
            .into_iter()
            .map(|c| IndexDoc { id: c.id, title: c.title, summary: c.text, ..IndexDoc::default() })
            .collect();
        let queries = read_jsonl::<QueryLine>(queries)?.into_iter().map(|q| (q.id, q.text)).collect();
        let text =
            std::fs::read_to_string(qrels).with_context(|| format!("cannot open {}", qrels.display()))?;
        let mut judged: HashMap<String, HashMap<String, u32>> = HashMap::new();
        for (number, line) in text.lines().enumerate().skip(1) {
            let fields: Vec<&str> = line.split('\t').collect();
            let [query, doc, score] = fields[..] else {
                bail!("{}:{}: expected query-id, corpus-id and score", qrels.display(), number + 1);
            };
            let score: u32 = score.trim().parse().with_context(|| {
                format!("{}:{}: the score `{score}` is not a number", qrels.display(), number + 1)
            })?;
            judged.entry(query.to_owned()).or_default().insert(doc.to_owned(), score);
        }
        Ok(BeirSet { corpus, queries, qrels: judged })
    }

    /// The queries that have judgements, in file order.
    fn judged_queries(&self) -> Vec<&(String, String)> {
        self.queries.iter().filter(|(id, _)| self.qrels.contains_key(id)).collect()
    }
}

/// nDCG@10 and recall@100 averaged over queries.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Scores {
    pub ndcg_at_10: f64,
    pub recall_at_100: f64,
}

/// Scores one ranking against its judgements.
pub fn score_ranking(ranking: &[String], relevant: &HashMap<String, u32>) -> Scores {
    let gain = |id: &String| f64::from(relevant.get(id).copied().unwrap_or(0));
    let discount = |rank: usize| (rank as f64 + 2.0).log2();
    let dcg: f64 = ranking.iter().take(10).enumerate().map(|(i, id)| gain(id) / discount(i)).sum();
    let mut ideal: Vec<f64> = relevant.values().map(|&g| f64::from(g)).collect();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let idcg: f64 = ideal.iter().take(10).enumerate().map(|(i, g)| g / discount(i)).sum();
    let wanted: HashSet<&String> = relevant.iter().filter(|(_, g)| **g > 0).map(|(id, _)| id).collect();
    let found = ranking.iter().take(DEPTH).filter(|id| wanted.contains(id)).count();
    Scores {
        ndcg_at_10: if idcg > 0.0 { dcg / idcg } else { 0.0 },
        recall_at_100: if wanted.is_empty() { 0.0 } else { found as f64 / wanted.len() as f64 },
    }
}

fn mean(scores: &[Scores]) -> Scores {
    let n = scores.len().max(1) as f64;
    Scores {
        ndcg_at_10: scores.iter().map(|s| s.ndcg_at_10).sum::<f64>() / n,
        recall_at_100: scores.iter().map(|s| s.recall_at_100).sum::<f64>() / n,
    }
}

/// The keyword and semantic rankings of every judged query, computed once.
struct Runs {
    keyword: Vec<Vec<Ranked>>,
    semantic: Option<Vec<Vec<Ranked>>>,
}

fn index_corpus(set: &BeirSet, boosts: Boosts) -> anyhow::Result<SearchIndex> {
    let mut index = SearchIndex::in_memory()?;
    index.set_boosts(boosts);
    let mut writer = index.writer(2)?;
    for doc in &set.corpus {
        writer.upsert(doc)?;
    }
    writer.commit(0)?;
    index.refresh()?;
    Ok(index)
}

fn keyword_runs(set: &BeirSet, index: &SearchIndex) -> anyhow::Result<Vec<Vec<Ranked>>> {
    set.judged_queries().iter().map(|(_, text)| Ok(index.search(&parse(text), 0, DEPTH)?.hits)).collect()
}

fn semantic_runs(
    set: &BeirSet,
    embedder: &dyn Embedder,
    cache_dir: &Path,
) -> anyhow::Result<Vec<Vec<Ranked>>> {
    let texts: Vec<String> = set.corpus.iter().map(|d| paper_text(&d.title, &d.summary)).collect();
    let mut cache = EmbeddingCache::open(cache_dir, embedder.model(), embedder.dim())?;
    let progress = Progress::records(true, "embedding");
    let vectors = cache.embed_all(embedder, &texts, &progress)?;
    progress.finish();
    let queries: Vec<&str> = set.judged_queries().iter().map(|(_, text)| text.as_str()).collect();
    let query_vectors = embedder.embed(&queries)?;
    // Keyed by position in the corpus.
    let keyed: Vec<(u64, Vec<f32>)> = (0..).zip(vectors).collect();
    Ok(query_vectors
        .iter()
        .map(|q| {
            exact_search(&keyed, q, DEPTH)
                .into_iter()
                .map(|(key, score)| Ranked { id: set.corpus[key as usize].id.clone(), score })
                .collect()
        })
        .collect())
}

fn evaluate(set: &BeirSet, rankings: &[Vec<Ranked>]) -> Scores {
    let per_query: Vec<Scores> = set
        .judged_queries()
        .iter()
        .zip(rankings)
        .map(|((id, _), ranking)| {
            let ids: Vec<String> = ranking.iter().map(|r| r.id.clone()).collect();
            score_ranking(&ids, &set.qrels[id])
        })
        .collect();
    mean(&per_query)
}

fn fused(runs: &Runs, fusion: &Fusion) -> Option<Vec<Vec<Ranked>>> {
    let semantic = runs.semantic.as_ref()?;
    Some(runs.keyword.iter().zip(semantic).map(|(k, s)| fusion.fuse(k, s)).collect())
}

/// What to measure.
pub struct RelevanceOptions<'a> {
    pub embedder: Option<Arc<dyn Embedder>>,
    pub cache_dir: &'a Path,
    pub tune: bool,
}

/// Runs the benchmark and returns the report.
pub fn bench_relevance(set: &BeirSet, options: &RelevanceOptions) -> anyhow::Result<String> {
    let started = Instant::now();
    let judged = set.judged_queries().len();
    let mut report = format!(
        "Relevance on {} documents and {judged} judged queries (nDCG@10, recall@{DEPTH}):\n\n",
        set.corpus.len()
    );
    let index = index_corpus(set, Boosts::default())?;
    let runs = Runs {
        keyword: keyword_runs(set, &index)?,
        semantic: match &options.embedder {
            Some(embedder) => Some(semantic_runs(set, embedder.as_ref(), options.cache_dir)?),
            None => None,
        },
    };
    report += &format!("{:<10} {:>8} {:>11}\n", "mode", "nDCG@10", "recall@100");
    let mut line = |mode: &str, scores: Scores| {
        report += &format!("{mode:<10} {:>8.4} {:>11.4}\n", scores.ndcg_at_10, scores.recall_at_100);
    };
    line("keyword", evaluate(set, &runs.keyword));
    match (&runs.semantic, fused(&runs, &Fusion::default())) {
        (Some(semantic), Some(hybrid)) => {
            line("semantic", evaluate(set, semantic));
            line("hybrid", evaluate(set, &hybrid));
        }
        _ => report += "semantic and hybrid: no model given (--model DIR)\n",
    }
    if options.tune {
        report += &tuning_grids(set, &runs)?;
    }
    report += &format!("\n({:.1} s)\n", started.elapsed().as_secs_f64());
    Ok(report)
}

/// nDCG@10 over grids of field boosts and fusion parameters.
fn tuning_grids(set: &BeirSet, runs: &Runs) -> anyhow::Result<String> {
    let mut out = String::from("\nkeyword, field boosts (title, abstract, title+abstract as one field):\n");
    let grid = [
        (1.0, 1.0, 0.0),
        (0.75, 1.0, 0.0),
        (0.5, 1.0, 0.0),
        (1.5, 1.0, 0.0),
        (0.0, 0.0, 1.0),
        (0.25, 0.0, 1.0),
        (0.5, 0.0, 1.0),
        (0.25, 0.25, 1.0),
        (0.5, 0.5, 1.0),
    ];
    for (title, summary, combined) in grid {
        let index = index_corpus(set, Boosts { title, summary, combined, ..Boosts::default() })?;
        let scores = evaluate(set, &keyword_runs(set, &index)?);
        out += &format!(
            "  title {title:<5} abstract {summary:<5} combined {combined:<5} nDCG@10 {:.4}\n",
            scores.ndcg_at_10
        );
    }
    if runs.semantic.is_some() {
        out += "\nhybrid, reciprocal rank fusion (k, semantic weight):\n";
        for k in [10.0, 20.0, 40.0, 60.0, 100.0] {
            for semantic_weight in [0.5, 0.75, 1.0, 1.5, 2.0] {
                let fusion = Fusion { k, semantic_weight, ..Fusion::default() };
                if let Some(hybrid) = fused(runs, &fusion) {
                    let scores = evaluate(set, &hybrid);
                    out +=
                        &format!("  k {k:<5} weight {semantic_weight:<5} nDCG@10 {:.4}\n", scores.ndcg_at_10);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(pairs: &[(&str, u32)]) -> HashMap<String, u32> {
        pairs.iter().map(|(id, g)| ((*id).to_owned(), *g)).collect()
    }

    fn ranking(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|id| (*id).to_owned()).collect()
    }

    #[test]
    fn ndcg_and_recall_by_hand() {
        let relevant = judged(&[("a", 1), ("b", 1)]);
        let perfect = score_ranking(&ranking(&["a", "b", "x"]), &relevant);
        assert!((perfect.ndcg_at_10 - 1.0).abs() < 1e-12);
        assert!((perfect.recall_at_100 - 1.0).abs() < 1e-12);
        // One of two found, at rank 2: DCG 1/log2(3), ideal 1 + 1/log2(3).
        let half = score_ranking(&ranking(&["x", "a"]), &relevant);
        let expected = (1.0 / 3f64.log2()) / (1.0 + 1.0 / 3f64.log2());
        assert!((half.ndcg_at_10 - expected).abs() < 1e-12);
        assert!((half.recall_at_100 - 0.5).abs() < 1e-12);
        assert_eq!(score_ranking(&[], &relevant), Scores::default());
    }
}
