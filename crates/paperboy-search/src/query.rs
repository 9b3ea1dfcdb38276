//! The query language of the search box, parsed leniently.
//!
//! Words are searched in titles, abstracts and authors; `"a phrase"` must appear as written;
//! `-word` or `-"a phrase"` excludes; `author:Hinton` or `author:"Geoffrey Hinton"` requires an
//! author; `cat:cs.CL` (or a whole archive, `cat:cs`) keeps one category; `date:2025-03`,
//! `date:2025-03-01..2025-03-15`, `date:2025..` or `date:..2024-12-31` keeps an announce-date
//! range; `in:fulltext` searches the passages of papers' full texts instead of titles,
//! abstracts and authors (`in:abstract`, the default). Nothing a person types is an error: a filter that cannot be understood is dropped with
//! a notice that says why, unbalanced quotes close at the end, and parentheses are ignored.

use chrono::{Datelike, NaiveDate};

/// Longest query looked at, in characters; the rest is dropped with a notice.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// Most words, phrases and filters used from one query.
pub const MAX_CLAUSES: usize = 32;

/// A query, split into what to match and what to filter by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ParsedQuery {
    /// Free words, as typed.
    pub words: Vec<String>,
    /// Quoted phrases that must appear.
    pub phrases: Vec<String>,
    /// Words and phrases that must not appear.
    pub excluded: Vec<String>,
    /// Authors that must be among the paper's authors (each a name or part of one).
    pub authors: Vec<String>,
    /// Categories or archives, lowercased; a paper must be in one of them.
    pub categories: Vec<String>,
    /// Announce-date range, inclusive.
    pub dates: DateRange,
    /// Where the words are looked for, when the query says (`in:`).
    pub scope: Option<Scope>,
    /// What was ignored, and why, in words for the person who typed it.
    pub notices: Vec<String>,
}

/// Where a search looks for the query's words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Titles, abstracts and authors.
    #[default]
    Abstract,
    /// The passages of papers' full texts, each paper ranked by its best passage.
    Fulltext,
}

impl Scope {
    /// The scope a name stands for: `abstract` or `fulltext` (also `abstracts`, `full-text`).
    pub fn from_name(name: &str) -> Option<Scope> {
        match name.to_ascii_lowercase().as_str() {
            "abstract" | "abstracts" => Some(Scope::Abstract),
            "fulltext" | "full-text" | "full_text" => Some(Scope::Fulltext),
            _ => None,
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scope::Abstract => "abstract",
            Scope::Fulltext => "fulltext",
        })
    }
}

/// An inclusive range of days; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DateRange {
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

impl DateRange {
    /// Whether the range restricts anything.
    pub fn is_open(&self) -> bool {
        self.from.is_none() && self.until.is_none()
    }

    /// The overlap of two ranges.
    pub fn intersect(self, other: DateRange) -> DateRange {
        DateRange {
            from: self.from.max(other.from),
            until: match (self.until, other.until) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }
}

impl ParsedQuery {
    /// Whether the query asks for anything that is scored (words or phrases), as opposed to
    /// filters alone.
    pub fn has_text(&self) -> bool {
        !self.words.is_empty() || !self.phrases.is_empty() || !self.authors.is_empty()
    }

    /// Whether the query is empty: nothing to match, exclude or filter by.
    pub fn is_empty(&self) -> bool {
        !self.has_text() && self.excluded.is_empty() && self.categories.is_empty() && self.dates.is_open()
    }

    /// The words and phrases to match, joined back into plain text (for the embedder).
    pub fn text(&self) -> String {
        let mut parts: Vec<&str> = self.words.iter().map(String::as_str).collect();
        parts.extend(self.phrases.iter().map(String::as_str));
        parts.join(" ")
    }
}

/// One piece of the query string: a bare word or a quoted phrase, with its prefix.
#[derive(Debug)]
struct Piece {
    negated: bool,
    field: Option<String>,
    value: String,
    quoted: bool,
}

/// Parses what a person typed. Never fails; see the module docs.
pub fn parse(input: &str) -> ParsedQuery {
    let mut query = ParsedQuery::default();
    let chars = input.chars().count();
    let cleaned: String = input
        .chars()
        .take(MAX_QUERY_CHARS)
        .map(|c| if c.is_control() || c == '(' || c == ')' { ' ' } else { c })
        .collect();
    if chars > MAX_QUERY_CHARS {
        query.notices.push(format!("only the first {MAX_QUERY_CHARS} characters of the query were used"));
    }
    let pieces = split_pieces(&cleaned);
    if pieces.len() > MAX_CLAUSES {
        query.notices.push(format!("only the first {MAX_CLAUSES} words and filters of the query were used"));
    }
    for piece in pieces.into_iter().take(MAX_CLAUSES) {
        apply(&mut query, piece);
    }
    query
}

fn apply(query: &mut ParsedQuery, piece: Piece) {
    let Piece { negated, field, value, quoted } = piece;
    match field.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some(name @ ("author" | "cat" | "date" | "in")) if value.trim().is_empty() => {
            query.notices.push(format!("ignored `{name}:` with nothing after it"));
        }
        Some(name @ ("author" | "cat" | "date" | "in")) if negated => {
            query.notices.push(format!("ignored -{name}:{value}: filters keep papers, they cannot exclude"));
        }
        Some("in") => match Scope::from_name(&value) {
            Some(scope) => query.scope = Some(scope),
            None => query.notices.push(format!("ignored in:{value}: use in:fulltext or in:abstract")),
        },
        Some("author") => query.authors.push(value),
        Some("cat") => query.categories.push(value.to_lowercase()),
        Some("date") => match parse_date_range(&value) {
            Ok(range) => query.dates = query.dates.intersect(range),
            Err(reason) => query.notices.push(format!("ignored date:{value}: {reason}")),
        },
        // An unknown `name:` is ordinary text (`BERT: a study`, a URL, `ratio 3:1`).
        Some(_) => {
            let text = format!("{}:{value}", field.unwrap_or_default());
            push_text(query, negated, text, quoted);
        }
        None => push_text(query, negated, value, quoted),
    }
}

fn push_text(query: &mut ParsedQuery, negated: bool, text: String, quoted: bool) {
    if text.trim().is_empty() {
        return;
    }
    if negated {
        query.excluded.push(text);
    } else if quoted {
        query.phrases.push(text);
    } else {
        query.words.push(text);
    }
}

/// Splits on whitespace, keeping quoted stretches whole; `field:"a b"` is one piece.
fn split_pieces(s: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let (negated, body) = match rest.strip_prefix('-') {
            Some(after) if !after.starts_with(char::is_whitespace) && !after.is_empty() => (true, after),
            _ => (false, rest),
        };
        let (field, body) = split_field(body);
        let (value, quoted, after) = match body.strip_prefix('"') {
            Some(inner) => match inner.find('"') {
                Some(end) => (&inner[..end], true, &inner[end + 1..]),
                None => (inner, true, ""),
            },
            None => {
                let end = body.find(char::is_whitespace).unwrap_or(body.len());
                (&body[..end], false, &body[end..])
            }
        };
        let value = value.trim().trim_matches('"');
        if !value.is_empty() || field.is_some() {
            pieces.push(Piece { negated, field, value: value.to_owned(), quoted });
        }
        rest = after.trim_start();
    }
    pieces
}

/// Splits `author:rest` into the field name and the rest, when the word starts with a short
/// alphabetic name and a colon.
fn split_field(body: &str) -> (Option<String>, &str) {
    let word_end = body.find(char::is_whitespace).unwrap_or(body.len());
    match body[..word_end].find(':') {
        Some(colon) if colon > 0 && colon <= 12 && body[..colon].chars().all(|c| c.is_ascii_alphabetic()) => {
            (Some(body[..colon].to_owned()), &body[colon + 1..])
        }
        _ => (None, body),
    }
}

/// Parses `2025`, `2025-03`, `2025-03-05`, and ranges of those with `..`, either end open.
pub fn parse_date_range(s: &str) -> Result<DateRange, String> {
    let s = s.trim();
    let range = match s.split_once("..") {
        None => {
            let (first, last) = parse_date_span(s)?;
            DateRange { from: Some(first), until: Some(last) }
        }
        Some((from, until)) => DateRange {
            from: (!from.is_empty()).then(|| parse_date_span(from).map(|(first, _)| first)).transpose()?,
            until: (!until.is_empty()).then(|| parse_date_span(until).map(|(_, last)| last)).transpose()?,
        },
    };
    match (range.from, range.until) {
        (None, None) => Err("the range has no ends".into()),
        (Some(from), Some(until)) if from > until => Err("the range ends before it starts".into()),
        _ => Ok(range),
    }
}

/// The first and last day of `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
fn parse_date_span(s: &str) -> Result<(NaiveDate, NaiveDate), String> {
    let not_a_date = || format!("`{s}` is not a date (expected YYYY, YYYY-MM or YYYY-MM-DD)");
    let parts: Vec<&str> = s.split('-').collect();
    let numbers: Vec<u32> =
        parts.iter().map(|p| p.parse().map_err(|_| not_a_date())).collect::<Result<_, _>>()?;
    let year = i32::try_from(numbers[0]).map_err(|_| not_a_date())?;
    if parts[0].len() != 4 {
        return Err(not_a_date());
    }
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).ok_or_else(not_a_date);
    match numbers[..] {
        [_] => Ok((day(year, 1, 1)?, day(year, 12, 31)?)),
        [_, month] => {
            let first = day(year, month, 1)?;
            let next = if month == 12 { day(year + 1, 1, 1)? } else { day(year, month + 1, 1)? };
            Ok((first, next.pred_opt().ok_or_else(not_a_date)?))
        }
        [_, month, d] => {
            let date = day(year, month, d)?;
            debug_assert_eq!(date.year(), year);
            Ok((date, date))
        }
        _ => Err(not_a_date()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn words_phrases_exclusions_and_filters() {
        let q = parse(r#"sparse attention "long context" -survey author:"Tri Dao" cat:CS.LG date:2025-03"#);
        assert_eq!(q.words, ["sparse", "attention"]);
        assert_eq!(q.phrases, ["long context"]);
        assert_eq!(q.excluded, ["survey"]);
        assert_eq!(q.authors, ["Tri Dao"]);
        assert_eq!(q.categories, ["cs.lg"]);
        assert_eq!(q.dates, DateRange { from: Some(date("2025-03-01")), until: Some(date("2025-03-31")) });
        assert!(q.notices.is_empty());
    }

    #[test]
    fn unknown_fields_are_text_and_bad_filters_are_notices() {
        let q = parse("BERT: ratio 3:1 author: date:2025-13 date:2026..2025");
        assert_eq!(q.words, ["BERT:", "ratio", "3:1"]);
        assert_eq!(q.notices.len(), 3, "{:?}", q.notices);
        assert!(q.notices[0].contains("author:"));
        assert!(q.notices[2].contains("ends before it starts"));
    }

    #[test]
    fn unbalanced_quotes_and_parentheses_are_forgiven() {
        let q = parse(r#"(graph "neural network"#);
        assert_eq!(q.words, ["graph"]);
        assert_eq!(q.phrases, ["neural network"]);
        let q = parse(r#"""""#);
        assert!(q.is_empty(), "{q:?}");
        let q = parse("- -- \"\"");
        assert!(q.words.iter().all(|w| !w.is_empty()));
    }

    #[test]
    fn date_ranges() {
        let range = |s| parse_date_range(s).unwrap();
        assert_eq!(
            range("2024"),
            DateRange { from: Some(date("2024-01-01")), until: Some(date("2024-12-31")) }
        );
        assert_eq!(range("2024-02").until, Some(date("2024-02-29")));
        assert_eq!(range("2024-12").until, Some(date("2024-12-31")));
        assert_eq!(range("2025-03-05..").until, None);
        assert_eq!(range("..2025-03").until, Some(date("2025-03-31")));
        assert!(parse_date_range("..").is_err());
        assert!(parse_date_range("25-03").is_err());
        assert!(parse_date_range("2025-02-30").is_err());
        assert!(parse_date_range("99999999999").is_err());
    }

    #[test]
    fn long_queries_are_cut_with_a_notice() {
        let q = parse(&"word ".repeat(5_000));
        assert_eq!(q.words.len(), MAX_CLAUSES);
        assert_eq!(q.notices.len(), 2);
    }

    #[test]
    fn text_joins_what_is_matched() {
        assert_eq!(parse(r#"graph "neural net" cat:cs.lg"#).text(), "graph neural net");
    }

    #[test]
    fn in_chooses_where_words_are_looked_for() {
        assert_eq!(parse("backdoor trigger").scope, None);
        let q = parse("backdoor in:fulltext trigger");
        assert_eq!((q.words.len(), q.scope), (2, Some(Scope::Fulltext)));
        assert_eq!(parse("x IN:Abstract").scope, Some(Scope::Abstract));
        let q = parse("x in:pdf -in:fulltext");
        assert_eq!(q.scope, None);
        assert_eq!(q.notices.len(), 2, "{:?}", q.notices);
        assert!(q.notices[0].contains("use in:fulltext"));
    }

    #[test]
    fn negated_filters_are_refused_with_a_notice_not_inverted() {
        let q = parse("attention -cat:cs.CV -author:Hinton -date:2025");
        assert!(q.categories.is_empty() && q.authors.is_empty() && q.dates.is_open(), "{q:?}");
        assert_eq!(q.notices.len(), 3, "{:?}", q.notices);
        assert!(q.notices[0].contains("cannot exclude"));
    }
}
