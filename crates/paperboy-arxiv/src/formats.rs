//! The JSON record formats Paperboy imports, and how each becomes a [`RawPaper`].
//!
//! - [`Format::Paperboy`]: one paper per line as in the shared sample
//!   (`id, title, summary, authors[], categories[], comment, announce_date`), which is also what
//!   Paperboy itself exports.
//! - [`Format::Kaggle`]: the "arxiv-metadata-oai-snapshot" dump (`versions`, `update_date`,
//!   `authors_parsed`, space-separated `categories`).
//! - [`Format::HuggingFace`]: items of Hugging Face's `/api/daily_papers` (`{"paper": {...}}`),
//!   or flat paper objects as `/api/papers/{id}` returns them.
//!
//! Reading bytes from files (lines, arrays, gzip) is [`crate::reader`]'s job, not this module's.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::authors::split_author_list;
use crate::paper::RawPaper;

/// A record format, chosen by the user or detected from the first record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Paperboy,
    Kaggle,
    HuggingFace,
}

impl Format {
    pub const NAMES: &'static str = "paperboy, kaggle, hf";

    /// Guesses the format from the keys of one record.
    pub fn detect(record: &Map<String, Value>) -> Option<Format> {
        let has = |key: &str| record.contains_key(key);
        if has("paper") || has("publishedAt") {
            Some(Format::HuggingFace)
        } else if has("versions") || has("authors_parsed") || has("update_date") || has("abstract") {
            Some(Format::Kaggle)
        } else if has("summary") || has("announce_date") {
            Some(Format::Paperboy)
        } else {
            None
        }
    }

    /// Reads one JSON record of this format. The error names the offending field.
    pub fn parse(self, json: &[u8]) -> Result<RawPaper, String> {
        match self {
            Format::Paperboy => from_json::<RawPaper>(json),
            Format::Kaggle => from_json::<KaggleRecord>(json)?.into_raw(),
            Format::HuggingFace => from_json::<HfItem>(json)?.into_raw(),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Paperboy => "paperboy",
            Format::Kaggle => "kaggle",
            Format::HuggingFace => "hf",
        })
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "paperboy" | "sample" | "jsonl" => Ok(Format::Paperboy),
            "kaggle" => Ok(Format::Kaggle),
            "hf" | "huggingface" | "hugging-face" => Ok(Format::HuggingFace),
            other => Err(format!("unknown format `{other}` (expected one of {})", Format::NAMES)),
        }
    }
}

/// Deserialises `json`, naming the field at fault in the error ("authors[2]: invalid type...").
fn from_json<'de, T: Deserialize<'de>>(json: &'de [u8]) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() || path == "." {
            format!("not valid JSON: {inner}")
        } else {
            format!("field `{path}`: {inner}")
        }
    })?;
    de.end().map_err(|e| format!("not valid JSON: {e}"))?;
    Ok(value)
}

#[derive(Deserialize)]
struct KaggleRecord {
    id: Option<String>,
    submitter: Option<String>,
    authors: Option<String>,
    title: Option<String>,
    comments: Option<String>,
    #[serde(rename = "journal-ref")]
    journal_ref: Option<String>,
    doi: Option<String>,
    categories: Option<String>,
    license: Option<String>,
    #[serde(rename = "abstract")]
    summary: Option<String>,
    #[serde(default)]
    versions: Vec<KaggleVersion>,
    #[serde(default)]
    authors_parsed: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct KaggleVersion {
    version: String,
    created: String,
}

impl KaggleRecord {
    fn into_raw(self) -> Result<RawPaper, String> {
        let mut versions = Vec::with_capacity(self.versions.len());
        for (i, v) in self.versions.iter().enumerate() {
            let number =
                v.version.strip_prefix('v').and_then(|n| n.parse::<u32>().ok()).ok_or_else(|| {
                    format!("field `versions[{i}].version`: `{}` is not like v2", v.version)
                })?;
            let created = DateTime::parse_from_rfc2822(&v.created)
                .map_err(|e| format!("field `versions[{i}].created`: `{}`: {e}", v.created))?
                .with_timezone(&Utc);
            versions.push((number, created));
        }
        versions.sort();
        let authors = if self.authors_parsed.is_empty() {
            self.authors.as_deref().map(split_author_list).unwrap_or_default()
        } else {
            self.authors_parsed.iter().map(|parts| join_name_parts(parts)).collect()
        };
        Ok(RawPaper {
            id: self.id,
            version: versions.last().map(|(n, _)| *n),
            title: self.title,
            summary: self.summary,
            authors,
            categories: self.categories.into_iter().collect(),
            comment: self.comments,
            journal_ref: self.journal_ref,
            doi: self.doi,
            license: self.license,
            submitter: self.submitter,
            // The Kaggle dump carries no links.
            github_repo: None,
            project_page: None,
            published_at: versions.first().map(|(_, t)| *t),
            updated_at: versions.last().map(|(_, t)| *t),
            announce_date: None,
        })
    }
}

/// `["Balázs", "C.", ""]` (keyname, forenames, suffix) becomes `C. Balázs`.
fn join_name_parts(parts: &[String]) -> String {
    let keyname = parts.first().map(String::as_str).unwrap_or("");
    let forenames = parts.get(1).map(String::as_str).unwrap_or("");
    let suffix = parts.get(2).map(String::as_str).unwrap_or("");
    [forenames, keyname, suffix]
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A daily-papers item (`{"paper": {...}, ...}`) or a bare paper object.
#[derive(Deserialize)]
struct HfItem {
    paper: Option<HfPaper>,
    #[serde(flatten)]
    flat: HfPaper,
}

#[derive(Deserialize)]
struct HfPaper {
    id: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    #[serde(default)]
    authors: Vec<HfAuthor>,
    #[serde(rename = "publishedAt")]
    published_at: Option<DateTime<Utc>>,
    #[serde(rename = "githubRepo")]
    github_repo: Option<String>,
    #[serde(rename = "projectPage")]
    project_page: Option<String>,
}

#[derive(Deserialize)]
struct HfAuthor {
    name: String,
}

impl HfItem {
    fn into_raw(self) -> Result<RawPaper, String> {
        let paper = self.paper.unwrap_or(self.flat);
        Ok(RawPaper {
            id: paper.id,
            title: paper.title,
            summary: paper.summary,
            authors: paper.authors.into_iter().map(|a| a.name).collect(),
            // Hugging Face does not carry arXiv categories.
            categories: Vec::new(),
            published_at: paper.published_at,
            github_repo: paper.github_repo,
            project_page: paper.project_page,
            ..RawPaper::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(json: &str) -> Option<Format> {
        let value: Value = serde_json::from_str(json).unwrap();
        Format::detect(value.as_object().unwrap())
    }

    #[test]
    fn detects_each_format_by_its_keys() {
        assert_eq!(
            detect(r#"{"id":"x","summary":"s","announce_date":"2025-03-18"}"#),
            Some(Format::Paperboy)
        );
        assert_eq!(detect(r#"{"id":"x","abstract":"s","versions":[]}"#), Some(Format::Kaggle));
        assert_eq!(detect(r#"{"paper":{"id":"x"},"title":"t"}"#), Some(Format::HuggingFace));
        assert_eq!(detect(r#"{"name":"something else"}"#), None);
    }

    #[test]
    fn reads_a_kaggle_record() {
        let json = br#"{"id":"0704.0001","submitter":"Pavel Nadolsky","authors":"C. Bal\u00e1zs, E. L. Berger",
            "title":"Calculation of prompt diphoton production","comments":"37 pages",
            "journal-ref":"Phys.Rev.D76:013009,2007","doi":"10.1103/PhysRevD.76.013009","report-no":"ANL-HEP-PR-07-12",
            "categories":"hep-ph","license":null,"abstract":"  A fully differential calculation.\n",
            "versions":[{"version":"v2","created":"Tue, 24 Jul 2007 20:10:27 GMT"},{"version":"v1","created":"Mon, 2 Apr 2007 19:18:42 GMT"}],
            "update_date":"2008-11-13","authors_parsed":[["Bal\u00e1zs","C.",""],["Berger","E. L.",""]]}"#;
        let paper = Format::Kaggle.parse(json).unwrap().validate().unwrap();
        assert_eq!(paper.id.as_str(), "0704.0001");
        assert_eq!(paper.version, Some(2));
        assert_eq!(paper.authors, ["C. Balázs", "E. L. Berger"]);
        assert_eq!(paper.categories, ["hep-ph"]);
        assert_eq!(paper.published_at.unwrap().to_rfc3339(), "2007-04-02T19:18:42+00:00");
        assert_eq!(paper.updated_at.unwrap().to_rfc3339(), "2007-07-24T20:10:27+00:00");
        assert_eq!(paper.submitter.as_deref(), Some("Pavel Nadolsky"));
    }

    #[test]
    fn reads_a_hugging_face_item_and_a_flat_paper() {
        let item = br#"{"paper":{"id":"2407.13168","authors":[{"_id":"a","name":"Yanxin Lu","hidden":false}],
            "publishedAt":"2024-07-18T05:15:24.000Z","title":"SciCode","summary":"Since language models","upvotes":17,
            "githubRepo":"https://github.com/scicode-bench/SciCode","projectPage":"https://scicode-bench.github.io"},
            "publishedAt":"2024-07-22T03:17:16.000Z","title":"SciCode","numComments":3}"#;
        let raw = Format::HuggingFace.parse(item).unwrap();
        assert_eq!(raw.id.as_deref(), Some("2407.13168"));
        assert_eq!(raw.github_repo.as_deref(), Some("https://github.com/scicode-bench/SciCode"));
        assert_eq!(raw.project_page.as_deref(), Some("https://scicode-bench.github.io"));
        assert_eq!(raw.authors, ["Yanxin Lu"]);
        assert_eq!(raw.published_at.unwrap().to_rfc3339(), "2024-07-18T05:15:24+00:00");
        let flat = br#"{"id":"2407.13168","title":"SciCode","summary":"s","authors":[],"publishedAt":"2024-07-18T05:15:24.000Z"}"#;
        assert_eq!(Format::HuggingFace.parse(flat).unwrap().id.as_deref(), Some("2407.13168"));
    }

    #[test]
    fn names_the_field_with_a_wrong_type() {
        let err = Format::Paperboy.parse(br#"{"id":"2503.11731","authors":["a", 5]}"#).unwrap_err();
        assert!(err.starts_with("field `authors[1]`"), "{err}");
        let err = Format::Kaggle
            .parse(br#"{"id":"0704.0001","versions":[{"version":"v1","created":"yesterday"}]}"#)
            .unwrap_err();
        assert!(err.starts_with("field `versions[0].created`"), "{err}");
        let err = Format::Paperboy.parse(br#"{"id": "#).unwrap_err();
        assert!(err.starts_with("not valid JSON"), "{err}");
    }
}
