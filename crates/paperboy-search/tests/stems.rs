//! The stemmer property that highlighting relies on (see `analysis`): over every word of the
//! shared sample's titles and abstracts, a word's English stem starts with the word's first
//! letter. Words are split, lowercased and folded as the analyzer does before stemming.

use std::collections::HashSet;
use std::path::Path;

use paperboy_arxiv::reader::{Item, RecordReader};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer};

const SAMPLE: &str = "../../../shared/data/arxiv-2025-2026.jsonl.gz";

#[test]
fn every_stem_keeps_the_first_letter_of_its_word() {
    let (reader, _) = RecordReader::open(Path::new(SAMPLE), None).expect("the shared sample is readable");
    let mut analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    let mut words = HashSet::new();
    for item in reader {
        let Item::Paper { paper, .. } = item.expect("a valid record") else { continue };
        for text in [&paper.title, &paper.summary] {
            let mut stream = analyzer.token_stream(text);
            while let Some(token) = stream.next() {
                if !words.contains(&token.text) {
                    words.insert(token.text.clone());
                }
            }
        }
    }
    assert!(words.len() > 100_000, "only {} distinct words", words.len());
    let stemmer = frostem::Stemmer::new(frostem::Algorithm::English);
    let broken: Vec<(String, String)> = words
        .iter()
        .filter_map(|word| {
            let stem = stemmer.stem(word);
            let first = word.chars().next()?;
            (!stem.starts_with(first)).then(|| (word.clone(), stem.into_owned()))
        })
        .collect();
    assert!(
        broken.is_empty(),
        "{} words lose their first letter: {:?}",
        broken.len(),
        &broken[..broken.len().min(20)]
    );
}
