//! Searching inside one paper: its passages ranked for a query by BM25 over those passages
//! alone, with the English analyzer of the index (so "trigger" finds "triggers"), each with a
//! snippet around its first match, the matches marked. A paper has a few hundred passages at
//! most: they are scored as they are, with no index.

use std::collections::HashMap;

use tantivy::tokenizer::TextAnalyzer;

use crate::analysis::{english_analyzer, highlighting_analyzer};
use crate::html::escape_html;

/// BM25's saturation and length normalisation, as tantivy uses them.
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// Characters of a snippet, about.
const SNIPPET_CHARS: usize = 320;

/// A passage that matches, by its place in the list given.
#[derive(Debug, Clone, PartialEq)]
pub struct PassageHit {
    pub index: usize,
    pub score: f32,
    /// Escaped text around the first match, the matches in `<mark>`.
    pub snippet_html: String,
}

/// The passages that contain a word of `query`, best first, at most `limit`.
pub fn rank_passages(query: &str, passages: &[&str], limit: usize) -> Vec<PassageHit> {
    let mut analyzer = english_analyzer();
    let mut terms = terms_of(&mut analyzer, query);
    terms.sort();
    terms.dedup();
    if terms.is_empty() || passages.is_empty() {
        return Vec::new();
    }
    let counted: Vec<(HashMap<String, u32>, usize)> = passages
        .iter()
        .map(|text| {
            let words = terms_of(&mut analyzer, text);
            let length = words.len();
            let mut counts = HashMap::new();
            for word in words.into_iter().filter(|word| terms.contains(word)) {
                *counts.entry(word).or_insert(0) += 1;
            }
            (counts, length)
        })
        .collect();
    let total = passages.len() as f32;
    let average = counted.iter().map(|(_, length)| *length as f32).sum::<f32>() / total;
    let idf: Vec<f32> = terms
        .iter()
        .map(|term| {
            let with = counted.iter().filter(|(counts, _)| counts.contains_key(term)).count() as f32;
            (1.0 + (total - with + 0.5) / (with + 0.5)).ln()
        })
        .collect();
    let mut hits: Vec<(usize, f32)> = counted
        .iter()
        .enumerate()
        .filter_map(|(index, (counts, length))| {
            let norm = K1 * (1.0 - B + B * *length as f32 / average.max(1.0));
            let score: f32 = terms
                .iter()
                .zip(&idf)
                .map(|(term, idf)| {
                    let tf = counts.get(term).copied().unwrap_or(0) as f32;
                    idf * tf * (K1 + 1.0) / (tf + norm)
                })
                .sum();
            (score > 0.0).then_some((index, score))
        })
        .collect();
    hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    hits.truncate(limit);
    let mut marker = highlighting_analyzer(terms.iter().map(String::as_str));
    hits.into_iter()
        .map(|(index, score)| PassageHit {
            index,
            score,
            snippet_html: snippet(&mut marker, &terms, passages[index]),
        })
        .collect()
}

fn terms_of(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut terms = Vec::new();
    while stream.advance() {
        terms.push(stream.token().text.clone());
    }
    terms
}

/// About [`SNIPPET_CHARS`] of `text` from a little before its first match, escaped, with the
/// words that analyse to `terms` marked.
fn snippet(marker: &mut TextAnalyzer, terms: &[String], text: &str) -> String {
    let mut matches = Vec::new();
    let mut stream = marker.token_stream(text);
    while stream.advance() {
        let token = stream.token();
        if terms.contains(&token.text) {
            matches.push((token.offset_from, token.offset_to));
        }
    }
    let first = matches.first().map_or(0, |(from, _)| *from);
    // Some sixty characters of context before the first match, from a word's start.
    let start = match text[..first].char_indices().rev().nth(60) {
        Some((at, _)) => text[at..first].find(' ').map_or(at, |space| at + space + 1).min(first),
        None => 0,
    };
    let end = text[start..].char_indices().nth(SNIPPET_CHARS).map_or(text.len(), |(at, _)| start + at);
    let mut html = String::new();
    if start > 0 {
        html.push('…');
    }
    let mut at = start;
    for (from, to) in matches.into_iter().filter(|(from, to)| *from >= start && *to <= end) {
        html.push_str(&escape_html(&text[at..from]));
        html.push_str("<mark>");
        html.push_str(&escape_html(&text[from..to]));
        html.push_str("</mark>");
        at = to;
    }
    html.push_str(&escape_html(&text[at..end]));
    if end < text.len() {
        html.push('…');
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passages_are_ranked_by_their_matches_and_stems_match() {
        let passages = [
            "Nothing relevant is said here at all.",
            "The model learned a backdoor. Backdoors with triggers are hidden behaviours.",
            "A trigger appears once in this passage, which is long and about many other things too.",
        ];
        let hits = rank_passages("backdoor trigger", &passages, 10);
        let order: Vec<usize> = hits.iter().map(|hit| hit.index).collect();
        assert_eq!(order, [1, 2]);
        assert_eq!(
            hits[0].snippet_html,
            "The model learned a <mark>backdoor</mark>. <mark>Backdoors</mark> with <mark>triggers</mark> are hidden behaviours."
        );
        assert!(rank_passages("the of", &passages, 10).is_empty(), "stop words alone find nothing");
        assert!(rank_passages("zebra", &passages, 10).is_empty());
    }

    #[test]
    fn snippets_start_near_the_first_match_and_stay_escaped() {
        let long = format!("{} <b>needle</b> & more", "padding words ".repeat(40));
        let hits = rank_passages("needle", &[long.as_str()], 1);
        let snippet = &hits[0].snippet_html;
        assert!(
            snippet.starts_with('…') && snippet.contains("&lt;b&gt;<mark>needle</mark>&lt;/b&gt; &amp; more"),
            "{snippet}"
        );
    }
}
