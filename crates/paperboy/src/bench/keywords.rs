//! `paperboy bench keywords`: how well the automatic keywords say what a paper is about, against
//! a TF-IDF baseline, and what the keywords and TL;DR cost per paper.
//!
//! The sample has no author keywords; it has arXiv's categories, which the authors chose. So
//! keywords are judged by how well they tell a paper's primary category: a multinomial naive
//! Bayes classifier over the words of each paper's five keywords, leave-one-out over the
//! sample (each paper classified by the keywords of all the others), scored by accuracy and
//! macro-F1 over the categories with at least [`MIN_CLASS`] papers. The same classifier reads:
//!
//! - `most frequent category`: no words at all, the floor;
//! - `TF-IDF`: the same candidate phrases ([`crate::domain::keywords::candidates`]), the five
//!   with the highest count in the paper × smoothed inverse document frequency over the sample;
//! - `KeyBERT (MMR)`: what `paperboy annotate` stores, with the model;
//! - `title and abstract`: every word of them, the ceiling for any five phrases.
//!
//! The keywords are not judged by the text they were chosen from, and the categories are not
//! seen by either method. Time: wall-clock per paper for each method on the same papers; the
//! model's TL;DR comes with its keywords, from the same call. For the TL;DR, which sentence of
//! the abstract it takes is reported (how often the first, the mean position).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use paperboy_arxiv::reader::{Item, RecordReader};
use paperboy_embed::Embedder;

use crate::annotate::{PaperText, annotate};
use crate::domain::keywords::{Annotation, KEYWORDS, candidates, sentences, trim_summary};
use crate::progress::Progress;

/// What to measure.
pub struct KeywordsBenchOptions {
    pub file: PathBuf,
    /// Papers taken from the file, spread evenly over it.
    pub papers: usize,
    pub embedder: Arc<dyn Embedder>,
}

/// Categories with fewer papers in the sample are left out of the scores.
const MIN_CLASS: usize = 20;
/// Papers annotated in one model call, as the job does.
const BATCH: usize = 16;

struct Paper {
    title: String,
    summary: String,
    category: String,
}

/// Runs the benchmark and returns its report as Markdown.
pub async fn bench_keywords(options: &KeywordsBenchOptions) -> anyhow::Result<String> {
    let papers = sample(options)?;
    let model = options.embedder.clone();
    let texts: Vec<(String, String)> = papers.iter().map(|p| (p.title.clone(), p.summary.clone())).collect();
    let (made, model_seconds) =
        tokio::task::spawn_blocking(move || keybert(model.as_ref(), &texts)).await??;
    let started = Instant::now();
    let baseline = tfidf(&papers);
    let tfidf_seconds = started.elapsed().as_secs_f64();

    let labels: Vec<&str> = papers.iter().map(|p| p.category.as_str()).collect();
    let bags = |keywords: &dyn Fn(usize) -> Vec<String>| -> Vec<Vec<String>> {
        (0..papers.len()).map(|at| keywords(at).iter().flat_map(|phrase| words(phrase)).collect()).collect()
    };
    let rows = [
        ("most frequent category", bags(&|_| Vec::new())),
        ("TF-IDF, 5 phrases", bags(&|at| baseline[at].clone())),
        ("KeyBERT (MMR), 5 phrases", bags(&|at| made[at].keywords.clone())),
        (
            "title and abstract, every word",
            bags(&|at| vec![format!("{} {}", papers[at].title, papers[at].summary)]),
        ),
    ];

    let mut out = String::new();
    let classes: BTreeMap<&str, usize> = labels.iter().fold(BTreeMap::new(), |mut counts, label| {
        *counts.entry(*label).or_default() += 1;
        counts
    });
    let scored: Vec<&str> = classes.iter().filter(|(_, n)| **n >= MIN_CLASS).map(|(c, _)| *c).collect();
    let evaluated = labels.iter().filter(|label| scored.contains(label)).count();
    writeln!(
        out,
        "{} papers of {}, {} of them in the {} primary categories with at least {MIN_CLASS} papers \
         ({}); naive Bayes over keyword words, leave-one-out.\n",
        papers.len(),
        options.file.display(),
        evaluated,
        scored.len(),
        scored.join(", ")
    )?;
    writeln!(out, "| keywords | category accuracy | macro-F1 |\n| --- | --- | --- |")?;
    for (name, bag) in &rows {
        let (accuracy, macro_f1) = leave_one_out(bag, &labels, &scored);
        writeln!(out, "| {name} | {accuracy:.3} | {macro_f1:.3} |")?;
    }
    let per_paper = |seconds: f64| seconds * 1000.0 / papers.len() as f64;
    writeln!(out, "\n| method | total s | ms per paper | papers/s |\n| --- | --- | --- | --- |")?;
    writeln!(
        out,
        "| keywords and TL;DR with {} (one call per {BATCH} papers) | {model_seconds:.1} | {:.1} | {:.2} |",
        options.embedder.model(),
        per_paper(model_seconds),
        papers.len() as f64 / model_seconds
    )?;
    writeln!(
        out,
        "| TF-IDF keywords (the baseline) | {tfidf_seconds:.2} | {:.2} | {:.0} |",
        per_paper(tfidf_seconds),
        papers.len() as f64 / tfidf_seconds
    )?;
    writeln!(out, "\n{}", tldr_positions(&papers, &made))?;
    writeln!(out, "\nExamples (the first three papers):\n")?;
    for (at, paper) in papers.iter().enumerate().take(3) {
        writeln!(
            out,
            "- {} [{}]\n  - KeyBERT: {}\n  - TF-IDF: {}\n  - TL;DR: {}",
            paper.title.split_whitespace().collect::<Vec<_>>().join(" "),
            paper.category,
            made[at].keywords.join(" · "),
            baseline[at].join(" · "),
            made[at].summary
        )?;
    }
    Ok(out)
}

/// `options.papers` papers with a category, spread evenly over the file.
fn sample(options: &KeywordsBenchOptions) -> anyhow::Result<Vec<Paper>> {
    let file = &options.file;
    let (reader, _) =
        RecordReader::open(file, None).with_context(|| format!("cannot open {}", file.display()))?;
    let mut all = Vec::new();
    for item in reader {
        if let Item::Paper { paper, .. } = item.with_context(|| format!("{}", file.display()))?
            && let Some(category) = paper.categories.first()
        {
            all.push(Paper { category: category.clone(), title: paper.title, summary: paper.summary });
        }
    }
    let stride = (all.len() / options.papers.max(1)).max(1);
    Ok(all.into_iter().step_by(stride).take(options.papers).collect())
}

/// The model's annotations of `texts`, [`BATCH`] papers a call, and the seconds they took.
fn keybert(model: &dyn Embedder, texts: &[(String, String)]) -> anyhow::Result<(Vec<Annotation>, f64)> {
    let progress = Progress::records(true, "annotating");
    progress.set_length(texts.len() as u64);
    let started = Instant::now();
    let mut made = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(BATCH) {
        let papers: Vec<PaperText<'_>> =
            chunk.iter().map(|(title, summary)| PaperText { title, summary, vector: None }).collect();
        made.extend(annotate(model, &papers)?);
        progress.set_position(made.len() as u64);
        progress.set_records(made.len() as u64);
    }
    progress.finish();
    Ok((made, started.elapsed().as_secs_f64()))
}

/// The TF-IDF baseline: of each paper's candidates, the [`KEYWORDS`] with the highest count in
/// the paper × smoothed inverse document frequency over `papers`.
fn tfidf(papers: &[Paper]) -> Vec<Vec<String>> {
    let found: Vec<Vec<String>> = papers.iter().map(|p| candidates(&p.title, &p.summary)).collect();
    let mut df: HashMap<String, usize> = HashMap::new();
    for phrases in &found {
        let unique: HashSet<String> = phrases.iter().map(|phrase| phrase.to_lowercase()).collect();
        for phrase in unique {
            *df.entry(phrase).or_default() += 1;
        }
    }
    let n = papers.len() as f64;
    papers
        .iter()
        .zip(&found)
        .map(|(paper, phrases)| {
            let text = format!("{} {}", paper.title, paper.summary).to_lowercase();
            let mut scored: Vec<(f64, usize)> = phrases
                .iter()
                .enumerate()
                .map(|(at, phrase)| {
                    let key = phrase.to_lowercase();
                    let tf = text.matches(key.as_str()).count().max(1) as f64;
                    let idf = ((1.0 + n) / (1.0 + df[&key] as f64)).ln() + 1.0;
                    (tf * idf, at)
                })
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            scored.into_iter().take(KEYWORDS).map(|(_, at)| phrases[at].clone()).collect()
        })
        .collect()
}

/// The words a classifier reads: lower case, letters and digits, a plural's `s` dropped.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.chars().count() >= 2)
        .map(|word| {
            let word = word.to_lowercase();
            match word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") {
                true => word[..word.len() - 1].to_owned(),
                false => word,
            }
        })
        .collect()
}

/// Accuracy and macro-F1 of a multinomial naive Bayes (add-one smoothing) that classifies each
/// paper of a `scored` class by the bags of all the others.
fn leave_one_out(bags: &[Vec<String>], labels: &[&str], scored: &[&str]) -> (f64, f64) {
    let mut docs: HashMap<&str, f64> = HashMap::new();
    let mut counts: HashMap<&str, HashMap<&str, f64>> = HashMap::new();
    let mut totals: HashMap<&str, f64> = HashMap::new();
    let mut vocabulary: HashSet<&str> = HashSet::new();
    for (bag, label) in bags.iter().zip(labels).filter(|(_, label)| scored.contains(label)) {
        *docs.entry(label).or_default() += 1.0;
        for word in bag {
            *counts.entry(label).or_default().entry(word).or_default() += 1.0;
            *totals.entry(label).or_default() += 1.0;
            vocabulary.insert(word);
        }
    }
    let vocabulary = vocabulary.len() as f64;
    let all_docs: f64 = docs.values().sum();
    let mut confusion: HashMap<(&str, &str), f64> = HashMap::new();
    for (bag, label) in bags.iter().zip(labels).filter(|(_, label)| scored.contains(label)) {
        let mut own: HashMap<&str, f64> = HashMap::new();
        for word in bag {
            *own.entry(word).or_default() += 1.0;
        }
        let predicted = scored
            .iter()
            .map(|class| {
                let mine = |n: f64| if class == label { n } else { 0.0 };
                let class_docs = docs[class] - mine(1.0);
                let class_total = totals.get(class).copied().unwrap_or(0.0) - mine(bag.len() as f64);
                let prior = (class_docs / (all_docs - 1.0)).ln();
                let likelihood: f64 = own
                    .iter()
                    .map(|(word, times)| {
                        let seen = counts.get(class).and_then(|c| c.get(word)).copied().unwrap_or(0.0)
                            - mine(*times);
                        times * ((seen + 1.0) / (class_total + vocabulary)).ln()
                    })
                    .sum();
                (*class, prior + likelihood)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(a.0)))
            .map(|(class, _)| class)
            .unwrap_or(label);
        *confusion.entry((label, predicted)).or_default() += 1.0;
    }
    let right: f64 = scored.iter().map(|c| confusion.get(&(c, c)).copied().unwrap_or(0.0)).sum();
    let f1s: Vec<f64> = scored
        .iter()
        .map(|class| {
            let hit = confusion.get(&(class, class)).copied().unwrap_or(0.0);
            let predicted: f64 = confusion.iter().filter(|((_, p), _)| p == class).map(|(_, n)| n).sum();
            let actual = docs[class];
            if hit > 0.0 { 2.0 * hit / (predicted + actual) } else { 0.0 }
        })
        .collect();
    (right / all_docs, f1s.iter().sum::<f64>() / f1s.len() as f64)
}

/// Which sentence of the abstract each TL;DR is.
fn tldr_positions(papers: &[Paper], made: &[Annotation]) -> String {
    let mut first = 0usize;
    let mut positions = 0.0;
    let mut counted = 0usize;
    let mut chars = 0usize;
    for (paper, annotation) in papers.iter().zip(made) {
        let found = sentences(&paper.summary);
        let Some(at) = found.iter().position(|sentence| trim_summary(sentence) == annotation.summary) else {
            continue;
        };
        counted += 1;
        first += usize::from(at == 0);
        positions += (at + 1) as f64 / found.len() as f64;
        chars += annotation.summary.chars().count();
    }
    let counted_f = counted.max(1) as f64;
    format!(
        "TL;DR: of {counted} papers with one, {:.0}% take the abstract's first sentence; mean relative \
         position {:.2} (1 = last); mean length {:.0} characters.",
        100.0 * first as f64 / counted_f,
        positions / counted_f,
        chars as f64 / counted_f
    )
}
