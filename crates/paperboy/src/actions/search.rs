//! Searching as readers ask: the query, mode, scope, category and dates checked with messages
//! that say what to change, then run against the catalog's indexes.

use chrono::NaiveDate;
use paperboy_search::{DateRange, Scope};

use crate::db::Db;
use crate::domain::category::is_category;
use crate::domain::feed::Period;
use crate::error::AppError;
use crate::search::{Mode, Search, SearchRequest, SearchResults, Shown};

/// The longest query accepted, as on Hugging Face.
pub const MAX_QUERY_CHARS: usize = 250;

/// A search's parameters as they came (a page's query string, the API's), unchecked; an empty
/// value counts as absent.
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchInput<'a> {
    pub q: &'a str,
    pub mode: Option<&'a str>,
    /// `abstract` or `fulltext`; an `in:` in the query says it first.
    pub scope: Option<&'a str>,
    pub cat: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
}

/// A search the parameters describe, checked.
#[derive(Debug, Clone)]
pub struct CheckedSearch {
    pub query: String,
    pub mode: Mode,
    /// Where the words are looked for: the query's `in:`, else the parameter, else abstracts.
    pub scope: Scope,
    pub category: Option<String>,
    pub dates: DateRange,
}

impl CheckedSearch {
    /// Checks the query, mode, scope, category and dates; `semantic` says whether a model is
    /// loaded (the default mode is hybrid with one, keyword without).
    pub fn from_input(input: SearchInput<'_>, semantic: bool) -> Result<CheckedSearch, String> {
        let SearchInput { q, mode, scope, cat, from, to } = input;
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(format!(
                "the query is {} characters long; the limit is {MAX_QUERY_CHARS}",
                q.chars().count()
            ));
        }
        let mode = match mode.filter(|m| !m.is_empty()) {
            None if semantic => Mode::Hybrid,
            None => Mode::Keyword,
            Some("keyword") => Mode::Keyword,
            Some("semantic") => Mode::Semantic,
            Some("hybrid") => Mode::Hybrid,
            Some(other) => {
                return Err(format!("unknown mode `{}`: use keyword, semantic or hybrid", clip(other)));
            }
        };
        let category = match cat.map(str::trim).filter(|c| !c.is_empty()) {
            Some(category) if is_category(category) => Some(category.to_owned()),
            Some(category) => {
                return Err(format!("`{}` is not an arXiv category, such as cs.CL", clip(category)));
            }
            None => None,
        };
        let day = |value: Option<&str>| -> Result<Option<NaiveDate>, String> {
            match value.filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(text) => match Period::parse_day(text) {
                    Ok(Period::Day(day)) => Ok(Some(day)),
                    Ok(_) => Ok(None),
                    Err(err) => Err(err.to_string()),
                },
            }
        };
        let dates = DateRange { from: day(from)?, until: day(to)? };
        let asked = match scope.filter(|s| !s.is_empty()) {
            None => None,
            Some(name) => Some(
                Scope::from_name(name)
                    .ok_or_else(|| format!("unknown scope `{}`: use abstract or fulltext", clip(name)))?,
            ),
        };
        let scope = paperboy_search::parse(q).scope.or(asked).unwrap_or_default();
        Ok(CheckedSearch { query: q.trim().to_owned(), mode, scope, category, dates })
    }

    /// The query the index sees: the words, the category as a `cat:` filter, and the scope as
    /// `in:fulltext` unless the words say where to look.
    pub fn full_query(&self) -> String {
        let mut query = self.query.clone();
        if let Some(category) = &self.category {
            query += &format!(" cat:{category}");
        }
        if self.scope == Scope::Fulltext && paperboy_search::parse(&self.query).scope.is_none() {
            query += " in:fulltext";
        }
        query
    }
}

/// Runs a checked search for a caller that shows `shown` of it, at the catalog `version` it
/// read (see [`SearchRequest::catalog_version`]).
pub async fn run(
    search: &Search,
    db: &Db,
    checked: &CheckedSearch,
    page: (u64, u64),
    shown: Shown,
    version: Option<i64>,
) -> Result<SearchResults, AppError> {
    let (offset, limit) = page;
    let request = SearchRequest {
        query: checked.full_query(),
        mode: checked.mode,
        offset: offset as usize,
        limit: limit as usize,
        dates: checked.dates,
        shown,
        catalog_version: version,
    };
    search.search(db, &request).await.map_err(|failure| AppError::Internal(failure.to_string()))
}

fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(
        q: &str,
        mode: Option<&str>,
        cat: Option<&str>,
        from: Option<&str>,
    ) -> Result<CheckedSearch, String> {
        CheckedSearch::from_input(SearchInput { q, mode, cat, from, ..SearchInput::default() }, true)
    }

    #[test]
    fn parameters_are_checked_with_clear_messages() {
        assert_eq!(check("x", None, None, None).unwrap().mode, Mode::Hybrid);
        assert_eq!(
            CheckedSearch::from_input(SearchInput { q: "x", ..SearchInput::default() }, false).unwrap().mode,
            Mode::Keyword
        );
        assert!(check(&"a".repeat(250), None, None, None).is_ok());
        assert!(check(&"a".repeat(251), None, None, None).unwrap_err().contains("limit is 250"));
        assert!(check("x", Some("fuzzy"), None, None).unwrap_err().contains("unknown mode"));
        assert!(check("x", None, Some("<b>"), None).is_err());
        assert!(check("x", None, None, Some("2025-02-30")).unwrap_err().contains("2025-02-30"));
        let full = check("llm", Some("keyword"), Some("cs.CL"), Some("2026-05-01")).unwrap();
        assert_eq!(full.full_query(), "llm cat:cs.CL");
        assert_eq!(full.dates.from, "2026-05-01".parse().ok());
    }

    #[test]
    fn the_scope_comes_from_the_query_then_the_parameter() {
        let scoped =
            |q, scope| CheckedSearch::from_input(SearchInput { q, scope, ..SearchInput::default() }, true);
        assert_eq!(scoped("llm", None).unwrap().scope, Scope::Abstract);
        let fulltext = scoped("llm", Some("fulltext")).unwrap();
        assert_eq!((fulltext.scope, fulltext.full_query().as_str()), (Scope::Fulltext, "llm in:fulltext"));
        let typed = scoped("llm in:fulltext", Some("abstract")).unwrap();
        assert_eq!((typed.scope, typed.full_query().as_str()), (Scope::Fulltext, "llm in:fulltext"));
        assert_eq!(scoped("llm", Some("")).unwrap().scope, Scope::Abstract);
        assert!(scoped("llm", Some("pdf")).unwrap_err().contains("use abstract or fulltext"));
    }
}
