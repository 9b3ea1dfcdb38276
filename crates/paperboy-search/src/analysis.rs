//! How text becomes terms: the English analyzer of titles and abstracts, the names analyzer of
//! authors, and a cheaper English analyzer for marking matches in text that was already found.
//!
//! Stemming is most of the cost of analysing an abstract. The English (Porter2) stemmer only
//! rewrites suffixes, and its whole-word exceptions ("skies" to "sky", "dying" to "die") keep the
//! first letter too, so a word's stem always starts with the word's first letter. A word can
//! therefore only stem to one of a query's terms if it starts with one of their first letters;
//! [`highlighting_analyzer`] stems only those words and leaves the rest as they are, which marks
//! exactly what the full analyzer would at a fraction of the cost.

use std::borrow::Cow;
use std::collections::BTreeSet;

use tantivy::Index;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter,
    TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// Name of the analyzer of titles and abstracts.
pub(crate) const TEXT_ANALYZER: &str = "paperboy_en";
/// Name of the analyzer of author names.
pub(crate) const NAME_ANALYZER: &str = "paperboy_names";

/// Lucene's English stop words: too common to tell papers apart, and noise in BM25 sums.
const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no",
    "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to",
    "was", "will", "with",
];

/// Words longer than this many bytes are dropped (they are not words).
const LONGEST_WORD: usize = 40;

/// English text: lowercased, accents folded, stop words removed, stemmed.
pub(crate) fn english_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(ENGLISH_STOP_WORDS.iter().map(|w| (*w).to_owned())))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// [`english_analyzer`] for titles and abstracts; names: the same without stop words or
/// stemming.
pub(crate) fn register_analyzers(index: &Index) {
    let english = english_analyzer();
    let names = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    index.tokenizers().register(TEXT_ANALYZER, english);
    index.tokenizers().register(NAME_ANALYZER, names);
}

/// The English analyzer for finding `terms` in a text: it yields every term the full analyzer
/// would yield that is among `terms`, at the same offsets, and skips the stemmer for words that
/// cannot stem to any of them (see the module docs).
pub(crate) fn highlighting_analyzer<'a>(terms: impl IntoIterator<Item = &'a str>) -> TextAnalyzer {
    let initials = terms.into_iter().filter_map(|term| term.chars().next()).collect();
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(ENGLISH_STOP_WORDS.iter().map(|w| (*w).to_owned())))
        .filter(StemInitials { initials })
        .build()
}

/// English stemming of the words that begin with one of `initials`; other words pass unchanged.
#[derive(Clone)]
struct StemInitials {
    initials: BTreeSet<char>,
}

impl TokenFilter for StemInitials {
    type Tokenizer<T: Tokenizer> = StemInitialsFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> StemInitialsFilter<T> {
        StemInitialsFilter { initials: self.initials, inner }
    }
}

#[derive(Clone)]
struct StemInitialsFilter<T> {
    initials: BTreeSet<char>,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for StemInitialsFilter<T> {
    type TokenStream<'a> = StemInitialsStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        StemInitialsStream {
            tail: self.inner.token_stream(text),
            initials: &self.initials,
            stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
        }
    }
}

struct StemInitialsStream<'a, T> {
    tail: T,
    initials: &'a BTreeSet<char>,
    stemmer: frostem::Stemmer,
}

impl<T: TokenStream> TokenStream for StemInitialsStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if token.text.chars().next().is_some_and(|c| self.initials.contains(&c)) {
            let stem = match self.stemmer.stem(&token.text) {
                Cow::Owned(stem) => stem,
                Cow::Borrowed(stem) if stem != token.text => stem.to_owned(),
                Cow::Borrowed(_) => return true,
            };
            token.text = stem;
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Abstract-like text with the stemmer's whole-word exceptions, accents, and words whose
    /// stems differ most from them.
    const TEXT: &str = "Skies, dying and lying: the ability of generalization! Happily, \
        Générale relational operators organize sensitivity; news of the atlas and cosmos. \
        We propose a self-supervised pre-training objective for graph neural networks, \
        yielding state-of-the-art results on ÉCOLE benchmarks with fewer parameters. \
        Only early, ugly, gently, idly, singly; skis, tying, howe, bias, andes, proceeding.";

    fn analyzer(index: &Index, name: &str) -> TextAnalyzer {
        index.tokenizers().get(name).expect("registered")
    }

    fn tokens(mut analyzer: TextAnalyzer, text: &str) -> Vec<(usize, usize, String)> {
        let mut stream = analyzer.token_stream(text);
        let mut tokens = Vec::new();
        while let Some(token) = stream.next() {
            tokens.push((token.offset_from, token.offset_to, token.text.clone()));
        }
        tokens
    }

    #[test]
    fn highlighting_finds_every_term_where_the_full_analyzer_does() {
        let index = Index::create_in_ram(tantivy::schema::Schema::builder().build());
        register_analyzers(&index);
        let full = tokens(analyzer(&index, TEXT_ANALYZER), TEXT);
        let terms: BTreeSet<&str> = full.iter().map(|(_, _, term)| term.as_str()).collect();
        // Every term alone, and all of them at once.
        let mut queries: Vec<Vec<&str>> = terms.iter().map(|term| vec![*term]).collect();
        queries.push(terms.iter().copied().collect());
        for query in queries {
            let found = |tokens: &[(usize, usize, String)]| -> Vec<(usize, usize, String)> {
                tokens.iter().filter(|(_, _, term)| query.contains(&term.as_str())).cloned().collect()
            };
            let highlighting = tokens(highlighting_analyzer(query.iter().copied()), TEXT);
            assert_eq!(found(&highlighting), found(&full), "query {query:?}");
        }
    }

    #[test]
    fn words_of_other_initials_are_not_stemmed() {
        let tokens = tokens(highlighting_analyzer(["network"]), "Networks of running processes");
        let words: Vec<&str> = tokens.iter().map(|(_, _, term)| term.as_str()).collect();
        assert_eq!(words, ["network", "running", "processes"]);
    }
}
