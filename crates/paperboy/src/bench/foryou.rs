//! `paperboy bench for-you`: how well the "For you" ranking finds what simulated members would
//! save, against "most upvoted", on the papers of a real catalog.
//!
//! The last `--window-days` announce days of the file are the recent feed a member's page
//! ranks; the `--history-days` before them are the past. Every paper gets upvotes from a seeded
//! heavy-tailed draw (a few papers are very popular, most are not). Each simulated member cares
//! for one arXiv category: they saved 15 of its papers from the past, and would save 10 of its
//! papers from the recent feed, both drawn in proportion to upvotes + 1, so their taste leans
//! to what is popular as a real reader's does. Those 10 are held out; each ranking of the whole
//! recent feed is scored by recall@20 and nDCG@20 of them, averaged over members:
//!
//! - `most upvoted`: the baseline, the same list for everyone;
//! - `similarity`: TF-IDF cosine to the nearest saved paper;
//! - `for you`: what `/papers/for-you` serves (similarity and the per-member model).
//!
//! The categories are arXiv's labels, not the text the ranking reads, so the ranking is not
//! judged by its own measure. The time one member's ranking takes is reported too.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use chrono::{Days, NaiveDate};
use paperboy_arxiv::reader::{Item, RecordReader};
use paperboy_vectors::random::SplitMix64;

use crate::domain::recommend::{Method, Text, rank};
use crate::progress::Progress;

/// What to measure.
#[derive(Debug, Clone)]
pub struct ForYouOptions {
    pub file: PathBuf,
    pub members: usize,
    pub seed: u64,
    pub window_days: u64,
    pub history_days: u64,
}

/// Saved papers from the past, and held-out ones from the recent feed, per member.
const SAVED: usize = 15;
const HELD_OUT: usize = 10;
/// The depth the rankings are scored at.
const DEPTH: usize = 20;

struct Paper {
    title: String,
    summary: String,
    category: String,
    day: NaiveDate,
    upvotes: i64,
}

/// The seeded generator the benchmarks share, with the draws this one needs.
struct Rng(SplitMix64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal draw (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u = self.unit().max(f64::MIN_POSITIVE);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos()
    }

    /// `count` distinct indices of `pool`, each drawn in proportion to `weight`.
    fn weighted(&mut self, pool: &[usize], weight: impl Fn(usize) -> f64, count: usize) -> Vec<usize> {
        let mut left: Vec<usize> = pool.to_vec();
        let mut chosen = Vec::with_capacity(count);
        while chosen.len() < count && !left.is_empty() {
            let total: f64 = left.iter().map(|i| weight(*i)).sum();
            let mut target = self.unit() * total;
            let at = left
                .iter()
                .position(|i| {
                    target -= weight(*i);
                    target < 0.0
                })
                .unwrap_or(left.len() - 1);
            chosen.push(left.swap_remove(at));
        }
        chosen
    }
}

fn read(file: &Path, rng: &mut Rng) -> anyhow::Result<Vec<Paper>> {
    let (reader, _) =
        RecordReader::open(file, None).with_context(|| format!("cannot open {}", file.display()))?;
    let mut papers = Vec::new();
    for item in reader {
        if let Item::Paper { paper, .. } = item.with_context(|| format!("{}", file.display()))?
            && let (Some(day), Some(category)) = (paper.announce_date, paper.categories.first())
        {
            let upvotes = ((rng.normal() * 1.3).exp() - 1.0).max(0.0).floor() as i64;
            papers.push(Paper {
                category: category.clone(),
                title: paper.title,
                summary: paper.summary,
                day,
                upvotes,
            });
        }
    }
    Ok(papers)
}

/// Recall and nDCG at [`DEPTH`] of `wanted` in `ranking`.
fn scores(ranking: &[usize], wanted: &[usize]) -> (f64, f64) {
    let top = &ranking[..ranking.len().min(DEPTH)];
    let hits: Vec<bool> = top.iter().map(|i| wanted.contains(i)).collect();
    let recall = hits.iter().filter(|h| **h).count() as f64 / wanted.len().max(1) as f64;
    let gain = |rank: usize| 1.0 / (rank as f64 + 2.0).log2();
    let dcg: f64 = hits.iter().enumerate().filter(|(_, h)| **h).map(|(rank, _)| gain(rank)).sum();
    let ideal: f64 = (0..wanted.len().min(DEPTH)).map(gain).sum();
    (recall, if ideal > 0.0 { dcg / ideal } else { 0.0 })
}

/// The report of one run.
pub fn bench_for_you(options: &ForYouOptions) -> anyhow::Result<String> {
    let started = Instant::now();
    let mut rng = Rng(SplitMix64(options.seed));
    let papers = read(&options.file, &mut rng)?;
    let last = papers.iter().map(|p| p.day).max().context("the file holds no papers with announce dates")?;
    let window_start = last - Days::new(options.window_days.saturating_sub(1));
    let history_start = window_start - Days::new(options.history_days);
    let recent: Vec<usize> = (0..papers.len()).filter(|i| papers[*i].day >= window_start).collect();
    let past: Vec<usize> =
        (0..papers.len()).filter(|i| (history_start..window_start).contains(&papers[*i].day)).collect();
    let in_category = |pool: &[usize], category: &str| -> Vec<usize> {
        pool.iter().copied().filter(|i| papers[*i].category == category).collect()
    };
    let mut categories: Vec<String> = recent.iter().map(|i| papers[*i].category.clone()).collect();
    categories.sort();
    categories.dedup();
    categories.retain(|c| {
        in_category(&recent, c).len() >= 2 * HELD_OUT && in_category(&past, c).len() >= 3 * SAVED
    });
    anyhow::ensure!(!categories.is_empty(), "no category has enough papers in the window and before it");

    let candidates: Vec<Text<'_>> =
        recent.iter().map(|i| Text { title: &papers[*i].title, summary: &papers[*i].summary }).collect();
    let upvotes: Vec<i64> = recent.iter().map(|i| papers[*i].upvotes).collect();
    let mut most_upvoted: Vec<usize> = (0..recent.len()).collect();
    most_upvoted.sort_by(|a, b| upvotes[*b].cmp(&upvotes[*a]).then(a.cmp(b)));

    let weight = |i: usize| papers[i].upvotes as f64 + 1.0;
    let progress = Progress::records(true, "members");
    let mut totals = [(0.0, 0.0); 3];
    let mut times = Vec::with_capacity(options.members);
    for member in 0..options.members {
        let category = &categories[(rng.next() % categories.len() as u64) as usize];
        let saved = rng.weighted(&in_category(&past, category), weight, SAVED);
        let held_out: Vec<usize> = rng
            .weighted(&in_category(&recent, category), weight, HELD_OUT)
            .into_iter()
            .filter_map(|paper| recent.iter().position(|r| *r == paper))
            .collect();
        let liked: Vec<Text<'_>> =
            saved.iter().map(|i| Text { title: &papers[*i].title, summary: &papers[*i].summary }).collect();
        let timer = Instant::now();
        let for_you: Vec<usize> =
            rank(&liked, &candidates, &upvotes, Method::Full).iter().map(|r| r.candidate).collect();
        times.push(timer.elapsed().as_secs_f64() * 1000.0);
        let similar: Vec<usize> =
            rank(&liked, &candidates, &upvotes, Method::SimilarityOnly).iter().map(|r| r.candidate).collect();
        for (total, ranking) in totals.iter_mut().zip([&most_upvoted, &similar, &for_you]) {
            let (recall, ndcg) = scores(ranking, &held_out);
            total.0 += recall;
            total.1 += ndcg;
        }
        progress.set_records(member as u64 + 1);
    }
    progress.finish();
    times.sort_by(f64::total_cmp);
    let members = options.members.max(1) as f64;
    let baseline = totals[0];
    let mut report = format!(
        "For you on {} recent papers ({} to {last}) and {} before them, {} simulated members in {} categories \
         (seed {}):\n{SAVED} saved papers each from before, {HELD_OUT} held out from the recent feed.\n\n",
        recent.len(),
        window_start,
        past.len(),
        options.members,
        categories.len(),
        options.seed
    );
    report +=
        &format!("{:<14} {:>10} {:>8} {:>10} {:>8}\n", "ranking", "recall@20", "ratio", "nDCG@20", "ratio");
    for (name, (recall, ndcg)) in ["most upvoted", "similarity", "for you"].into_iter().zip(totals) {
        report += &format!(
            "{name:<14} {:>10.4} {:>7.2}x {:>10.4} {:>7.2}x\n",
            recall / members,
            recall / baseline.0.max(f64::MIN_POSITIVE),
            ndcg / members,
            ndcg / baseline.1.max(f64::MIN_POSITIVE),
        );
    }
    report += &format!(
        "\nOne member's ranking of the {} recent papers: median {:.1} ms, p90 {:.1} ms ({:.1} s in all)\n",
        recent.len(),
        times[times.len() / 2],
        times[times.len() * 9 / 10],
        started.elapsed().as_secs_f64()
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_count_held_out_papers_near_the_top() {
        assert_eq!(scores(&[3, 1, 2], &[3]), (1.0, 1.0));
        let (recall, ndcg) = scores(&[0, 1, 2], &[2, 9]);
        assert_eq!(recall, 0.5);
        assert!((ndcg - (0.5 / (1.0 + 1.0 / 3f64.log2()))).abs() < 1e-9);
        let mut rng = Rng(SplitMix64(1));
        let picked = rng.weighted(&[5, 6, 7], |i| if i == 6 { 1000.0 } else { 1.0 }, 2);
        assert_eq!(picked.len(), 2);
        assert!(picked.contains(&6));
    }
}
