//! Keywords and a TL;DR from a paper's title and abstract, the text's side of them (the model's
//! side is [`crate::annotate`]): the candidate key phrases, the abstract's sentences, the
//! choice of keywords by maximal marginal relevance as KeyBERT makes it, and the most central
//! sentence, trimmed. Pure computation.
//!
//! A candidate is a run of one to [`MAX_PHRASE_WORDS`] words inside a stretch of the text that
//! no punctuation, formula, number or [break word](BREAK_WORDS) interrupts ("sparse attention",
//! "vision-language models"), as KeyBERT's vectorizer with stop words finds them. The keywords
//! are the candidates whose embeddings are closest to the paper's, each next one chosen for
//! closeness to the paper less its closeness to those chosen ([`DIVERSITY`]), so that five
//! keywords say five things. The TL;DR is the sentence of the abstract whose embedding is
//! closest to the paper's: the one most of the abstract is about.

use std::collections::HashMap;

/// Keywords kept per paper.
pub const KEYWORDS: usize = 5;
/// How much a keyword's likeness to those chosen before counts against it (KeyBERT's
/// `diversity`; 0 ranks by closeness to the paper alone).
pub const DIVERSITY: f32 = 0.5;
/// The longest candidate, in words.
pub const MAX_PHRASE_WORDS: usize = 3;
/// Candidates embedded per paper at most: the model's time is most of the cost.
pub const MAX_CANDIDATES: usize = 48;
/// Sentences shorter than this (headings such as "Objective.") are not a TL;DR.
const MIN_SENTENCE_WORDS: usize = 6;
/// The longest TL;DR, in characters; a longer sentence is cut at a word and ends with "…".
pub const MAX_SUMMARY_CHARS: usize = 280;

/// Words that end a candidate: English function words, and the verbs and fillers every
/// abstract uses ("we propose a novel method") that name no subject.
const BREAK_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "across",
    "after",
    "again",
    "against",
    "all",
    "almost",
    "along",
    "already",
    "also",
    "although",
    "always",
    "among",
    "an",
    "and",
    "another",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "cannot",
    "could",
    "do",
    "does",
    "doing",
    "done",
    "down",
    "during",
    "each",
    "either",
    "enough",
    "especially",
    "even",
    "ever",
    "every",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "him",
    "his",
    "how",
    "however",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "less",
    "like",
    "many",
    "may",
    "might",
    "more",
    "most",
    "much",
    "must",
    "neither",
    "no",
    "nor",
    "not",
    "of",
    "off",
    "often",
    "on",
    "once",
    "one",
    "only",
    "onto",
    "or",
    "other",
    "others",
    "otherwise",
    "our",
    "ours",
    "out",
    "over",
    "own",
    "per",
    "rather",
    "same",
    "she",
    "should",
    "since",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "therefore",
    "these",
    "they",
    "this",
    "those",
    "though",
    "through",
    "thus",
    "to",
    "too",
    "toward",
    "towards",
    "under",
    "unlike",
    "until",
    "up",
    "upon",
    "us",
    "very",
    "via",
    "was",
    "we",
    "well",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "without",
    "would",
    "yet",
    "you",
    "your",
    // The verbs and fillers of abstracts.
    "achieve",
    "achieves",
    "achieved",
    "achieving",
    "address",
    "addresses",
    "allow",
    "allows",
    "aim",
    "approach",
    "approaches",
    "aims",
    "based",
    "better",
    "called",
    "compared",
    "consider",
    "considers",
    "demonstrate",
    "demonstrates",
    "demonstrated",
    "describe",
    "describes",
    "develop",
    "develops",
    "developed",
    "enable",
    "enables",
    "enabling",
    "existing",
    "explore",
    "explores",
    "extensive",
    "extensively",
    "find",
    "finds",
    "first",
    "focus",
    "focuses",
    "given",
    "improve",
    "improves",
    "improved",
    "improving",
    "include",
    "includes",
    "including",
    "introduce",
    "introduces",
    "introduced",
    "key",
    "lead",
    "leads",
    "leading",
    "make",
    "makes",
    "making",
    "method",
    "methods",
    "new",
    "novel",
    "obtain",
    "obtained",
    "outperform",
    "outperforms",
    "outperforming",
    "paper",
    "perform",
    "performs",
    "present",
    "presents",
    "presented",
    "propose",
    "proposes",
    "proposed",
    "provide",
    "provides",
    "providing",
    "recent",
    "recently",
    "remain",
    "remains",
    "require",
    "requires",
    "requiring",
    "respectively",
    "result",
    "results",
    "show",
    "shows",
    "showed",
    "shown",
    "significant",
    "significantly",
    "state",
    "study",
    "studies",
    "substantially",
    "suggest",
    "suggests",
    "use",
    "used",
    "uses",
    "using",
    "various",
    "widely",
    "work",
    "works",
];

/// Words ending in "ly" that are not adverbs, and so may be part of a key phrase.
const NOT_ADVERBS: &[&str] = &[
    "anomaly",
    "assembly",
    "butterfly",
    "daily",
    "early",
    "family",
    "friendly",
    "monopoly",
    "monthly",
    "reply",
    "supply",
    "weekly",
    "yearly",
];

/// Abbreviations after which a full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "al", "vs", "cf", "fig", "figs", "eq", "eqs", "sec", "resp", "approx", "etc", "no", "ref",
    "refs", "dr", "prof", "st",
];

/// Openings that tie a sentence to the one before it; a TL;DR stands alone without them.
const CONNECTIVES: &[&str] = &[
    "however",
    "moreover",
    "furthermore",
    "additionally",
    "in addition",
    "finally",
    "specifically",
    "in particular",
    "therefore",
    "thus",
    "consequently",
    "to this end",
    "in this paper",
    "in this work",
    "in this study",
    "here",
    "overall",
];

/// What a paper gets: its keywords, best first, and its TL;DR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub keywords: Vec<String>,
    pub summary: String,
}

/// The texts of a paper the model embeds besides the paper itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Texts {
    /// Candidate key phrases, in the order they first appear.
    pub candidates: Vec<String>,
    /// The abstract's sentences long enough to be a TL;DR.
    pub sentences: Vec<String>,
}

impl Texts {
    /// The candidates and sentences of a paper.
    pub fn of(title: &str, summary: &str) -> Texts {
        Texts { candidates: candidates(title, summary), sentences: sentences(summary) }
    }

    /// The paper's keywords and TL;DR, from the unit vectors of the paper, of each candidate and
    /// of each sentence (in the order of [`Texts::candidates`] and [`Texts::sentences`]).
    pub fn choose(&self, paper: &[f32], candidates: &[Vec<f32>], sentences: &[Vec<f32>]) -> Annotation {
        let keywords = mmr(paper, candidates, KEYWORDS, DIVERSITY)
            .into_iter()
            .map(|at| self.candidates[at].clone())
            .collect();
        let central = sentences
            .iter()
            .enumerate()
            .map(|(at, vector)| (at, dot(vector, paper)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(at, _)| trim_summary(&self.sentences[at]))
            .unwrap_or_default();
        Annotation { keywords, summary: central }
    }
}

/// A candidate while the text is read: its first form, how often it occurs, where first.
struct Seen {
    phrase: String,
    count: usize,
    first: usize,
    in_title: bool,
}

/// The candidate key phrases of a paper, in the order they first appear: at most
/// [`MAX_CANDIDATES`], those of the title and the most frequent first when there are more.
pub fn candidates(title: &str, summary: &str) -> Vec<String> {
    let mut seen: HashMap<String, Seen> = HashMap::new();
    let mut order = 0;
    for (in_title, text) in [(true, title), (false, summary)] {
        for stretch in stretches(text) {
            for n in 1..=MAX_PHRASE_WORDS.min(stretch.len()) {
                for words in stretch.windows(n) {
                    if n == 1 && !worth_alone(words[0]) {
                        continue;
                    }
                    let entry = seen.entry(phrase_key(words)).or_insert_with(|| {
                        order += 1;
                        Seen { phrase: display(words), count: 0, first: order, in_title }
                    });
                    entry.count += 1;
                }
            }
        }
    }
    let mut found: Vec<Seen> = seen.into_values().collect();
    found.sort_by(|a, b| b.in_title.cmp(&a.in_title).then(b.count.cmp(&a.count)).then(a.first.cmp(&b.first)));
    found.truncate(MAX_CANDIDATES);
    found.sort_by_key(|seen| seen.first);
    found.into_iter().map(|seen| seen.phrase).collect()
}

/// The stretches of `text` that candidates are cut from: runs of words that no punctuation,
/// formula, number or break word interrupts.
fn stretches(text: &str) -> Vec<Vec<&str>> {
    let mut stretches = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut in_math = false;
    let mut start: Option<usize> = None;
    let chars: Vec<(usize, char)> = text.char_indices().chain([(text.len(), ' ')]).collect();
    for (at, &(offset, c)) in chars.iter().enumerate() {
        let inner_joiner = matches!(c, '-' | '\'' | '’')
            && start.is_some()
            && chars.get(at + 1).is_some_and(|(_, next)| next.is_alphanumeric());
        if !in_math && (c.is_alphanumeric() || inner_joiner) {
            start.get_or_insert(offset);
            continue;
        }
        if let Some(begin) = start.take() {
            let word = &text[begin..offset];
            if breaks(word) {
                end_stretch(&mut current, &mut stretches);
            } else {
                current.push(word);
            }
        }
        if c == '$' {
            in_math = !in_math;
        }
        if !c.is_whitespace() {
            end_stretch(&mut current, &mut stretches);
        }
    }
    end_stretch(&mut current, &mut stretches);
    stretches
}

/// Closes the stretch being read, if it has words.
fn end_stretch<'a>(current: &mut Vec<&'a str>, stretches: &mut Vec<Vec<&'a str>>) {
    if !current.is_empty() {
        stretches.push(std::mem::take(current));
    }
}

/// Whether `word` ends a stretch: a break word, an adverb ("commonly"), a number, or a single
/// character.
fn breaks(word: &str) -> bool {
    let lower = word.to_lowercase();
    word.chars().count() < 2
        || !word.chars().any(char::is_alphabetic)
        || BREAK_WORDS.contains(&lower.as_str())
        || (lower.len() > 4 && lower.ends_with("ly") && !NOT_ADVERBS.contains(&lower.as_str()))
}

/// Whether a word may be a keyword on its own: three letters or more, or an acronym ("AI").
fn worth_alone(word: &str) -> bool {
    word.chars().count() >= 3 || is_acronym(word)
}

fn is_acronym(word: &str) -> bool {
    word.chars().filter(|c| c.is_uppercase()).count() >= 2
}

/// How a word is shown: each part between hyphens in lower case, unless its capitals are
/// inside it (acronyms and names such as "LLMs", "GPT-4", "ImageNet"; "Multi-Traversal" becomes
/// "multi-traversal").
fn display_word(word: &str) -> String {
    let parts: Vec<String> = word
        .split('-')
        .map(|part| match part.chars().skip(1).any(char::is_uppercase) {
            true => part.to_owned(),
            false => part.to_lowercase(),
        })
        .collect();
    parts.join("-")
}

fn display(words: &[&str]) -> String {
    words.iter().map(|word| display_word(word)).collect::<Vec<_>>().join(" ")
}

/// What makes two candidates the same: the words in lower case, a plural's last `s` dropped
/// ("language models" and "language model").
fn phrase_key(words: &[&str]) -> String {
    let mut key = words.iter().map(|word| word.to_lowercase()).collect::<Vec<_>>().join(" ");
    if key.len() > 3
        && key.ends_with('s')
        && !key.ends_with("ss")
        && !key.ends_with("us")
        && !key.ends_with("is")
    {
        key.pop();
    }
    key
}

/// The sentences of an abstract with at least [`MIN_SENTENCE_WORDS`] words, whitespace folded.
pub fn sentences(summary: &str) -> Vec<String> {
    let text = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut sentences = Vec::new();
    let mut begin = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (at, &(offset, c)) in chars.iter().enumerate() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let next_starts = match (chars.get(at + 1), chars.get(at + 2)) {
            (None, _) => true,
            (Some((_, ' ')), Some((_, next))) => next.is_uppercase() || next.is_ascii_digit() || *next == '(',
            _ => false,
        };
        let word_before = text[begin..offset].rsplit(' ').next().unwrap_or("").to_lowercase();
        if next_starts && !(c == '.' && ABBREVIATIONS.contains(&word_before.trim_start_matches('('))) {
            sentences.push(text[begin..=offset].trim().to_owned());
            begin = offset + 1;
        }
    }
    sentences.push(text[begin..].trim().to_owned());
    sentences.retain(|sentence| sentence.split(' ').count() >= MIN_SENTENCE_WORDS);
    sentences
}

/// A sentence as a TL;DR: without an opening that ties it to the one before, starting with a
/// capital, at most [`MAX_SUMMARY_CHARS`].
pub fn trim_summary(sentence: &str) -> String {
    let mut text = sentence.trim();
    // "To address these issues, we propose ..." says what the sentence before it did.
    if let Some((head, rest)) = text.split_once(", ")
        && head.starts_with("To ")
        && head.split(' ').count() <= 8
    {
        text = rest;
    }
    for connective in CONNECTIVES {
        let Some(head) = text.get(..connective.len()) else { continue };
        if head.eq_ignore_ascii_case(connective) && text[connective.len()..].starts_with(',') {
            text = text[connective.len() + 1..].trim_start();
            break;
        }
    }
    let mut chars = text.chars();
    let mut summary: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if summary.chars().count() > MAX_SUMMARY_CHARS {
        let cut: String = summary.chars().take(MAX_SUMMARY_CHARS).collect();
        let at_word = cut.rfind(' ').unwrap_or(cut.len());
        summary = format!("{}…", cut[..at_word].trim_end_matches([',', ';', ':']));
    }
    summary
}

/// Maximal marginal relevance: the indices of up to `top` of `candidates`, the first the
/// closest to `paper`, each next one the best by closeness to `paper` × (1 − `diversity`) less
/// its closeness to the nearest chosen one × `diversity`. All vectors are unit length.
pub fn mmr(paper: &[f32], candidates: &[Vec<f32>], top: usize, diversity: f32) -> Vec<usize> {
    let relevance: Vec<f32> = candidates.iter().map(|candidate| dot(candidate, paper)).collect();
    let mut nearest_chosen = vec![f32::NEG_INFINITY; candidates.len()];
    let mut chosen: Vec<usize> = Vec::new();
    while chosen.len() < top.min(candidates.len()) {
        let score = |at: usize| match chosen.is_empty() {
            true => relevance[at],
            false => (1.0 - diversity) * relevance[at] - diversity * nearest_chosen[at],
        };
        let Some(best) = (0..candidates.len())
            .filter(|at| !chosen.contains(at))
            .max_by(|&a, &b| score(a).total_cmp(&score(b)).then(b.cmp(&a)))
        else {
            break;
        };
        for (at, candidate) in candidates.iter().enumerate() {
            nearest_chosen[at] = nearest_chosen[at].max(dot(candidate, &candidates[best]));
        }
        chosen.push(best);
    }
    chosen
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_runs_of_words_that_nothing_interrupts() {
        let found = candidates(
            "Sparse attention for long documents",
            "We propose sparse attention, a novel method for $O(n)$ long-context language models. \
             It uses 3 heads.",
        );
        for phrase in
            ["sparse attention", "long documents", "long-context language models", "language models"]
        {
            assert!(found.contains(&phrase.to_owned()), "{phrase} in {found:?}");
        }
        for phrase in ["we propose", "propose sparse", "attention a", "method", "o", "n", "3 heads"] {
            assert!(!found.contains(&phrase.to_owned()), "{phrase} not in {found:?}");
        }
        assert!(found.contains(&"heads".to_owned()), "{found:?}");
    }

    #[test]
    fn a_plural_and_its_singular_are_one_candidate_in_the_form_met_first() {
        let found = candidates(
            "Language models",
            "A language model and LLMs, and GPT-4 and ImageNet, commonly collected Multi-Traversal data.",
        );
        assert!(found.contains(&"multi-traversal data".to_owned()), "{found:?}");
        assert!(!found.iter().any(|phrase| phrase.contains("commonly")), "adverbs break: {found:?}");
        assert_eq!(found.iter().filter(|p| p.starts_with("language model")).count(), 1, "{found:?}");
        assert!(found.contains(&"language models".to_owned()), "{found:?}");
        for kept in ["LLMs", "GPT-4", "ImageNet"] {
            assert!(found.contains(&kept.to_owned()), "{kept} keeps its capitals: {found:?}");
        }
    }

    #[test]
    fn candidates_are_bounded_and_the_title_comes_first() {
        let summary: String = (0..400).map(|n| format!("topic{n} area{n}, ")).collect();
        let found = candidates("Graph networks", &summary);
        assert_eq!(found.len(), MAX_CANDIDATES);
        assert_eq!(found[..3], ["graph", "networks", "graph networks"]);
    }

    #[test]
    fn sentences_end_at_full_stops_but_not_after_abbreviations() {
        let found = sentences(
            "Objective. Models (e.g. Transformers) fail on long inputs, as Smith et al. Showed in 2020.\n\
             We fix this with a cache of 2.5 GB per layer of the model! Does it work for all the tasks? Yes.",
        );
        assert_eq!(
            found,
            [
                "Models (e.g. Transformers) fail on long inputs, as Smith et al. Showed in 2020.",
                "We fix this with a cache of 2.5 GB per layer of the model!",
                "Does it work for all the tasks?",
            ]
        );
    }

    #[test]
    fn a_summary_stands_alone_and_is_cut_at_a_word() {
        assert_eq!(trim_summary("However, we show that caches help."), "We show that caches help.");
        assert_eq!(trim_summary("In this paper, graphs are studied."), "Graphs are studied.");
        assert_eq!(trim_summary("To address these issues, we propose caches."), "We propose caches.");
        assert_eq!(trim_summary("To be sure, caches help."), "Caches help.");
        assert_eq!(trim_summary("Heretofore unknown, bounds hold."), "Heretofore unknown, bounds hold.");
        let long = "word ".repeat(100);
        let cut = trim_summary(&long);
        assert!(cut.ends_with("word…") && cut.chars().count() <= MAX_SUMMARY_CHARS + 1, "{cut}");
    }

    fn unit(v: &[f32]) -> Vec<f32> {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / norm).collect()
    }

    #[test]
    fn mmr_takes_the_closest_first_then_what_says_something_else() {
        let paper = unit(&[1.0, 1.0, 0.0]);
        let candidates = vec![
            unit(&[1.0, 0.9, 0.0]),
            unit(&[1.0, 0.85, 0.0]),
            unit(&[0.2, 1.0, 0.3]),
            unit(&[0.0, 0.0, 1.0]),
        ];
        assert_eq!(mmr(&paper, &candidates, 2, 0.0), [0, 1], "no diversity: by closeness alone");
        assert_eq!(mmr(&paper, &candidates, 2, 0.5), [0, 2], "the near-copy of the first gives way");
        assert_eq!(mmr(&paper, &candidates, 9, 0.5).len(), 4);
        assert!(mmr(&paper, &[], 5, 0.5).is_empty());
    }

    #[test]
    fn the_tldr_is_the_sentence_closest_to_the_paper() {
        let texts = Texts::of(
            "Caches",
            "Memory is slow for many programs today. Moreover, caches make memory fast for programs. \
             The sky was blue all day long today.",
        );
        assert_eq!(texts.sentences.len(), 3);
        let paper = unit(&[1.0, 0.2]);
        let sentences = vec![unit(&[0.5, 1.0]), unit(&[1.0, 0.1]), unit(&[0.0, 1.0])];
        let candidates: Vec<Vec<f32>> = texts.candidates.iter().map(|_| unit(&[0.0, 1.0])).collect();
        let annotation = texts.choose(&paper, &candidates, &sentences);
        assert_eq!(annotation.summary, "Caches make memory fast for programs.");
        assert_eq!(annotation.keywords.len(), KEYWORDS.min(texts.candidates.len()));
    }
}
