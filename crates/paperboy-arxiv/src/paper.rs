//! The paper record every source is read into, and the rules a record must meet to be stored.
//!
//! Readers of the different formats build a [`RawPaper`] with whatever the source carried;
//! [`RawPaper::validate`] normalises whitespace, checks every field against the limits below
//! and returns a [`Paper`], or an [`InvalidRecord`] naming the field and the reason. Storage
//! only ever sees validated papers.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, Timelike, Utc};

use crate::announce::announce_date_for;
use crate::id::{ARCHIVES, ArxivId};

/// Longest title accepted, in characters. arXiv's own limit is far below it.
pub const MAX_TITLE_CHARS: usize = 1_000;
/// Longest abstract accepted, in characters (arXiv asks for at most 1,920).
pub const MAX_ABSTRACT_CHARS: usize = 20_000;
/// Most authors accepted on one paper (large collaborations list about 3,000).
pub const MAX_AUTHORS: usize = 10_000;
/// Longest author name accepted, in characters.
pub const MAX_AUTHOR_CHARS: usize = 2_000;
/// Most categories accepted on one paper.
pub const MAX_CATEGORIES: usize = 32;
/// Longest comment, journal reference, DOI list or license accepted, in characters.
pub const MAX_NOTE_CHARS: usize = 4_000;
/// Highest version accepted; the id syntax allows four digits.
pub const MAX_VERSION: u32 = 9_999;

/// A validated paper: what the catalog stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paper {
    pub id: ArxivId,
    /// The latest version the source knew of; `None` when the source does not say.
    pub version: Option<u32>,
    pub title: String,
    pub summary: String,
    /// Author names in the order the paper lists them.
    pub authors: Vec<String>,
    /// arXiv categories, the primary one first; empty only when the source has none (Hugging Face).
    pub categories: Vec<String>,
    pub comment: Option<String>,
    pub journal_ref: Option<String>,
    pub doi: Option<String>,
    pub license: Option<String>,
    pub submitter: Option<String>,
    /// The paper's code and its project page, when a source knows them (Hugging Face does);
    /// absolute `http(s)` addresses.
    pub github_repo: Option<String>,
    pub project_page: Option<String>,
    /// When version 1 was submitted.
    pub published_at: Option<DateTime<Utc>>,
    /// When the latest known version was submitted.
    pub updated_at: Option<DateTime<Utc>>,
    /// The day arXiv announced the paper: given by the source, or estimated from
    /// `published_at` with arXiv's schedule.
    pub announce_date: Option<NaiveDate>,
    /// Whether `announce_date` is an estimate; a date a source gave always replaces one.
    pub announce_date_estimated: bool,
}

/// What storing an incoming record over a stored one comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant, reason = "a transient result, moved once; boxing buys nothing")]
pub enum Merge {
    /// The incoming record is of an older version; the stored one stays.
    Stale,
    /// Merging changes nothing.
    Unchanged,
    /// The stored record is to be replaced by this one.
    Changed(Paper),
}

/// A record as a source carried it, before validation. Its JSON form is Paperboy's own import
/// format (the shared sample's, with the optional fields beside).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RawPaper {
    pub id: Option<String>,
    pub version: Option<u32>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    pub comment: Option<String>,
    pub journal_ref: Option<String>,
    pub doi: Option<String>,
    pub license: Option<String>,
    pub submitter: Option<String>,
    pub github_repo: Option<String>,
    pub project_page: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub announce_date: Option<NaiveDate>,
}

/// Why a record cannot be stored: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {reason}")]
pub struct InvalidRecord {
    pub field: &'static str,
    pub reason: String,
}

impl InvalidRecord {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self { field, reason: reason.into() }
    }
}

impl RawPaper {
    /// Checks and normalises the record into a [`Paper`].
    pub fn validate(self) -> Result<Paper, InvalidRecord> {
        let raw_id = self.id.ok_or_else(|| InvalidRecord::new("id", "is missing"))?;
        let (id, id_version) =
            ArxivId::parse_versioned(&raw_id).map_err(|e| InvalidRecord::new("id", e.to_string()))?;
        let version = self.version.or(id_version);
        if let Some(version) = version
            && !(1..=MAX_VERSION).contains(&version)
        {
            return Err(InvalidRecord::new(
                "version",
                format!("{version} is not between 1 and {MAX_VERSION}"),
            ));
        }

        let title = collapse_whitespace(&required("title", self.title)?);
        check_len("title", &title, MAX_TITLE_CHARS)?;
        let summary = tidy_lines(&required("summary", self.summary)?);
        check_len("summary", &summary, MAX_ABSTRACT_CHARS)?;

        if self.authors.len() > MAX_AUTHORS {
            return Err(InvalidRecord::new(
                "authors",
                format!("lists {} authors; at most {MAX_AUTHORS} are accepted", self.authors.len()),
            ));
        }
        let mut authors = Vec::with_capacity(self.authors.len());
        for name in &self.authors {
            let name = collapse_whitespace(name);
            check_len("authors", &name, MAX_AUTHOR_CHARS)?;
            if !name.is_empty() {
                authors.push(name);
            }
        }

        let categories = validate_categories(self.categories)?;
        let comment = optional("comment", self.comment, collapse_whitespace)?;
        let journal_ref = optional("journal_ref", self.journal_ref, collapse_whitespace)?;
        let doi = optional("doi", self.doi, collapse_whitespace)?;
        let license = optional("license", self.license, collapse_whitespace)?;
        let submitter = optional("submitter", self.submitter, collapse_whitespace)?;
        let github_repo = check_link("github_repo", self.github_repo)?;
        let project_page = check_link("project_page", self.project_page)?;

        let published_at = check_time("published_at", self.published_at)?;
        let updated_at = check_time("updated_at", self.updated_at)?;
        if let (Some(published), Some(updated)) = (published_at, updated_at)
            && updated < published
        {
            return Err(InvalidRecord::new(
                "updated_at",
                format!("{updated} is before the first publication at {published}"),
            ));
        }
        if let Some(date) = self.announce_date
            && !plausible_dates().contains(&date)
        {
            return Err(InvalidRecord::new(
                "announce_date",
                format!("{date} is not a day arXiv announced papers"),
            ));
        }
        let estimated = published_at.map(announce_date_for);
        let announce_date_estimated = self.announce_date.is_none() && estimated.is_some();
        let announce_date = self.announce_date.or(estimated);

        Ok(Paper {
            id,
            version,
            title,
            summary,
            authors,
            categories,
            comment,
            journal_ref,
            doi,
            license,
            submitter,
            github_repo,
            project_page,
            published_at,
            updated_at,
            announce_date,
            announce_date_estimated,
        })
    }
}

/// Longest link accepted, in characters.
pub const MAX_LINK_CHARS: usize = 500;

/// An optional web address: empty is none; anything else must be an absolute `http(s)`
/// address without spaces, quotes or angle brackets, so that it can only ever be a link.
pub fn check_link(field: &'static str, value: Option<String>) -> Result<Option<String>, InvalidRecord> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    check_len(field, &value, MAX_LINK_CHARS)?;
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
    let host = rest.and_then(|rest| rest.split(['/', '?', '#']).next()).unwrap_or_default();
    let plain = value
        .chars()
        .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '"' | '\'' | '<' | '>' | '`' | '\\'));
    if host.is_empty() || !plain {
        return Err(InvalidRecord::new(field, "is not an absolute http:// or https:// address"));
    }
    Ok(Some(value))
}

impl Paper {
    /// Combines this incoming record with the stored one for the same paper.
    ///
    /// A record older than the stored one never changes it (older: a lower version, or, when
    /// either side lacks a version, an earlier `updated_at`). Otherwise the incoming values win,
    /// and what the incoming source does not carry (Hugging Face has no categories, the shared
    /// sample no versions) is kept from the stored record. See [`pick_announce_date`] for the
    /// announce date.
    pub fn merge_over(self, stored: &Paper) -> Merge {
        let age = self.age_against(stored);
        if age == Ordering::Less {
            return Merge::Stale;
        }
        let keep = |new: Option<String>, old: &Option<String>| new.or_else(|| old.clone());
        let (announce_date, announce_date_estimated) = pick_announce_date(
            (self.announce_date, self.announce_date_estimated),
            (stored.announce_date, stored.announce_date_estimated),
            age == Ordering::Greater,
        );
        let merged = Paper {
            id: self.id,
            version: self.version.or(stored.version),
            title: self.title,
            summary: self.summary,
            authors: if self.authors.is_empty() { stored.authors.clone() } else { self.authors },
            categories: if self.categories.is_empty() { stored.categories.clone() } else { self.categories },
            comment: keep(self.comment, &stored.comment),
            journal_ref: keep(self.journal_ref, &stored.journal_ref),
            doi: keep(self.doi, &stored.doi),
            license: keep(self.license, &stored.license),
            github_repo: keep(self.github_repo, &stored.github_repo),
            project_page: keep(self.project_page, &stored.project_page),
            submitter: keep(self.submitter, &stored.submitter),
            published_at: self.published_at.or(stored.published_at),
            updated_at: self.updated_at.or(stored.updated_at),
            announce_date,
            announce_date_estimated,
        };
        if merged == *stored { Merge::Unchanged } else { Merge::Changed(merged) }
    }

    /// Whether this record describes an older, the same, or a newer state of the paper.
    fn age_against(&self, stored: &Paper) -> Ordering {
        match (self.version, stored.version) {
            (Some(incoming), Some(existing)) => incoming.cmp(&existing),
            _ => match (self.updated_at, stored.updated_at) {
                (Some(incoming), Some(existing)) => incoming.cmp(&existing),
                _ => Ordering::Equal,
            },
        }
    }
}

/// The announce date to keep, from the incoming and stored `(date, estimated)` pairs.
///
/// A date a source gave beats an estimate, whichever arrived first. Otherwise the date is the
/// first version's, so a newer version's record does not move it; a record of the same
/// version may correct it.
fn pick_announce_date(
    incoming: (Option<NaiveDate>, bool),
    stored: (Option<NaiveDate>, bool),
    incoming_is_newer: bool,
) -> (Option<NaiveDate>, bool) {
    match (incoming.0, stored.0) {
        (None, _) => stored,
        (_, None) => incoming,
        _ if incoming.1 != stored.1 => {
            if incoming.1 {
                stored
            } else {
                incoming
            }
        }
        _ if incoming_is_newer => stored,
        _ => incoming,
    }
}

/// The days a paper can plausibly carry: from arXiv's start to a year ahead (clock skew,
/// time zones).
fn plausible_dates() -> std::ops::RangeInclusive<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(1991, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = Utc::now().date_naive() + chrono::Duration::days(366);
    first..=last
}

/// Checks a time against [`plausible_dates`] and drops what storage cannot keep: PostgreSQL
/// holds microseconds, so finer digits would make every re-import look like a change.
fn check_time(
    field: &'static str,
    time: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>, InvalidRecord> {
    let Some(time) = time else { return Ok(None) };
    if !plausible_dates().contains(&time.date_naive()) {
        return Err(InvalidRecord::new(field, format!("{time} is not a plausible time for an arXiv paper")));
    }
    let micros = time.timestamp_subsec_micros() * 1_000;
    Ok(Some(time.with_nanosecond(micros).unwrap_or(time)))
}

fn required(field: &'static str, value: Option<String>) -> Result<String, InvalidRecord> {
    match value {
        None => Err(InvalidRecord::new(field, "is missing")),
        Some(v) if v.trim().is_empty() => Err(InvalidRecord::new(field, "is empty")),
        Some(v) => Ok(v),
    }
}

fn optional(
    field: &'static str,
    value: Option<String>,
    normalise: fn(&str) -> String,
) -> Result<Option<String>, InvalidRecord> {
    let Some(value) = value else { return Ok(None) };
    let value = normalise(&value);
    if value.is_empty() {
        return Ok(None);
    }
    check_len(field, &value, MAX_NOTE_CHARS)?;
    Ok(Some(value))
}

fn check_len(field: &'static str, value: &str, max_chars: usize) -> Result<(), InvalidRecord> {
    // Byte length bounds the character count from above, so most values skip the count.
    if value.len() > max_chars {
        let chars = value.chars().count();
        if chars > max_chars {
            return Err(InvalidRecord::new(
                field,
                format!("is {chars} characters long; at most {max_chars} are accepted"),
            ));
        }
    }
    if value.contains('\u{0}') {
        return Err(InvalidRecord::new(field, "contains a NUL character"));
    }
    Ok(())
}

/// Keeps the arXiv categories (`cs.CL`, `hep-th`, `cond-mat.mes-hall`) in order, without
/// repeats. Entries may hold several, separated by spaces (Kaggle) or commas. Real records also
/// carry ACM and MSC classes (`I.2.6; I.2.7`, `68T07 (Primary)`) and free keywords among their
/// categories; those are dropped. The first entry names the primary category and must be one.
fn validate_categories(categories: Vec<String>) -> Result<Vec<String>, InvalidRecord> {
    let tokens = |entry: &str| -> Vec<String> {
        entry
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    };
    if let Some(first) = categories.first() {
        let primary = tokens(first).into_iter().next().unwrap_or_default();
        if !is_arxiv_category(&primary) {
            return Err(InvalidRecord::new(
                "categories",
                format!(
                    "the primary category `{}` is not an arXiv category",
                    truncate_for_message(first.trim())
                ),
            ));
        }
    }
    let mut seen: Vec<String> = Vec::with_capacity(categories.len());
    for category in categories.iter().flat_map(|entry| tokens(entry)) {
        if is_arxiv_category(&category) && !seen.contains(&category) {
            seen.push(category);
        }
    }
    if seen.len() > MAX_CATEGORIES {
        return Err(InvalidRecord::new(
            "categories",
            format!("lists {}; at most {MAX_CATEGORIES} are accepted", seen.len()),
        ));
    }
    Ok(seen)
}

/// `archive` or `archive.SUBJECT` over arXiv's archives (`cs.CL`, `hep-th`, `math.GT`,
/// `cond-mat.mes-hall`).
fn is_arxiv_category(s: &str) -> bool {
    let (archive, subject) = match s.split_once('.') {
        Some((archive, subject)) => (archive, Some(subject)),
        None => (s, None),
    };
    ARCHIVES.contains(&archive)
        && subject.is_none_or(|subject| {
            subject.len() <= 20
                && subject.starts_with(|c: char| c.is_ascii_alphabetic())
                && subject.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
        })
}

/// Shortens a value quoted in an error message so a hostile record cannot flood the log.
pub fn truncate_for_message(value: &str) -> String {
    const MAX: usize = 60;
    match value.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_owned(),
    }
}

/// Joins all whitespace runs (arXiv titles carry hard line breaks) into single spaces.
pub fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Keeps an abstract's line breaks but trims each line's trailing space and the text's ends.
fn tidy_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.trim().lines() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line.trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawPaper {
        RawPaper {
            id: Some("2503.11731v2".into()),
            title: Some("  A   title\n  across lines ".into()),
            summary: Some("  First line  \nsecond line\n".into()),
            authors: vec!["Ada  Lovelace".into(), " ".into(), "Alan Turing".into()],
            categories: vec![
                "cs.CL cs.LG".into(),
                "cs.CL".into(),
                "68T07 (Primary) 92B20, 37N25 (Secondary)".into(),
                "I.2.6; I.2.7".into(),
                "cs.CV, cs.MM".into(),
                "es: 68T05, 68T20".into(),
                "spatial computing, gr-qc".into(),
            ],
            comment: Some("  ".into()),
            ..RawPaper::default()
        }
    }

    #[test]
    fn normalises_a_good_record() {
        let paper = raw().validate().unwrap();
        assert_eq!(paper.id.as_str(), "2503.11731");
        assert_eq!(paper.version, Some(2));
        assert_eq!(paper.title, "A title across lines");
        assert_eq!(paper.summary, "First line\nsecond line");
        assert_eq!(paper.authors, ["Ada Lovelace", "Alan Turing"]);
        assert_eq!(paper.categories, ["cs.CL", "cs.LG", "cs.CV", "cs.MM", "gr-qc"]);
        assert_eq!(paper.comment, None);
    }

    #[test]
    fn names_the_field_that_is_wrong() {
        let cases: Vec<(RawPaper, &str, &str)> = vec![
            (RawPaper { id: None, ..raw() }, "id", "is missing"),
            (RawPaper { id: Some("nope".into()), ..raw() }, "id", "not an arXiv id"),
            (RawPaper { title: Some(" \n ".into()), ..raw() }, "title", "is empty"),
            (RawPaper { title: None, ..raw() }, "title", "is missing"),
            (RawPaper { title: Some("x".repeat(10 << 20)), ..raw() }, "title", "10485760 characters"),
            (RawPaper { summary: None, ..raw() }, "summary", "is missing"),
            (
                RawPaper { categories: vec!["<script>".into()], ..raw() },
                "categories",
                "not an arXiv category",
            ),
            (RawPaper { title: Some("a\u{0}b".into()), ..raw() }, "title", "NUL"),
        ];
        for (record, field, reason) in cases {
            let err = record.validate().unwrap_err();
            assert_eq!(err.field, field);
            assert!(err.reason.contains(reason), "{err} should mention {reason:?}");
        }
    }

    #[test]
    fn rejects_an_update_before_the_publication() {
        let published = "2025-03-14T10:00:00Z".parse().ok();
        let updated = "2025-03-13T10:00:00Z".parse().ok();
        let err = RawPaper { published_at: published, updated_at: updated, ..raw() }.validate().unwrap_err();
        assert_eq!(err.field, "updated_at");
    }

    #[test]
    fn derives_the_announce_date_from_publication_when_missing() {
        let published = "2025-03-14T10:00:00Z".parse().ok();
        let paper = RawPaper { published_at: published, ..raw() }.validate().unwrap();
        assert_eq!(paper.announce_date, NaiveDate::from_ymd_opt(2025, 3, 17));
    }

    #[test]
    fn an_older_version_never_overwrites_a_newer_one() {
        let v2 = RawPaper { id: Some("2503.11731v2".into()), ..raw() }.validate().unwrap();
        let v1 = RawPaper { id: Some("2503.11731v1".into()), title: Some("Old".into()), ..raw() }
            .validate()
            .unwrap();
        assert_eq!(v1.clone().merge_over(&v2), Merge::Stale);
        match v2.clone().merge_over(&v1) {
            Merge::Changed(merged) => {
                assert_eq!((merged.version, merged.title.as_str()), (Some(2), "A title across lines"))
            }
            other => panic!("expected a change, got {other:?}"),
        }
        assert_eq!(v2.clone().merge_over(&v2), Merge::Unchanged);
    }

    #[test]
    fn a_poorer_source_keeps_what_it_does_not_carry() {
        let stored = RawPaper { id: Some("2503.11731".into()), comment: Some("12 pages".into()), ..raw() }
            .validate()
            .unwrap();
        let from_hf =
            RawPaper { id: Some("2503.11731".into()), categories: vec![], ..raw() }.validate().unwrap();
        // Same content apart from the missing fields: nothing to do.
        assert_eq!(from_hf.merge_over(&stored), Merge::Unchanged);
    }

    #[test]
    fn rejects_impossible_versions_and_times() {
        let err = RawPaper { version: Some(3_000_000_000), ..raw() }.validate().unwrap_err();
        assert_eq!(err.field, "version");
        let err =
            RawPaper { id: Some("2503.11731".into()), version: Some(0), ..raw() }.validate().unwrap_err();
        assert_eq!(err.field, "version");
        let err =
            RawPaper { published_at: "-5000-01-01T00:00:00Z".parse().ok(), ..raw() }.validate().unwrap_err();
        assert_eq!(err.field, "published_at");
        let err =
            RawPaper { updated_at: "2999-01-01T00:00:00Z".parse().ok(), ..raw() }.validate().unwrap_err();
        assert_eq!(err.field, "updated_at");
        let err =
            RawPaper { announce_date: NaiveDate::from_ymd_opt(1900, 1, 1), ..raw() }.validate().unwrap_err();
        assert_eq!(err.field, "announce_date");
    }

    #[test]
    fn keeps_times_to_the_microsecond_as_storage_does() {
        let published = "2025-03-14T10:00:00.123456789Z".parse().ok();
        let paper = RawPaper { published_at: published, ..raw() }.validate().unwrap();
        assert_eq!(paper.published_at.unwrap().to_rfc3339(), "2025-03-14T10:00:00.123456+00:00");
    }

    #[test]
    fn reads_categories_with_any_separator_and_rejects_a_keyword_as_primary() {
        let paper = RawPaper { categories: vec![" cs.CL\tcs.LG ".into()], ..raw() }.validate().unwrap();
        assert_eq!(paper.categories, ["cs.CL", "cs.LG"]);
        let err = RawPaper { categories: vec!["self-supervised learning, cs.LG".into()], ..raw() }
            .validate()
            .unwrap_err();
        assert!(err.reason.contains("primary category `self-supervised"), "{err}");
    }

    #[test]
    fn a_given_announce_date_beats_an_estimate_in_either_order() {
        let given = RawPaper {
            id: Some("2503.11677".into()),
            announce_date: NaiveDate::from_ymd_opt(2025, 3, 18),
            ..raw()
        }
        .validate()
        .unwrap();
        let mut estimated = RawPaper {
            id: Some("2503.11677".into()),
            announce_date: None,
            published_at: "2025-03-10T10:00:00Z".parse().ok(),
            ..raw()
        }
        .validate()
        .unwrap();
        assert!(estimated.announce_date_estimated);
        assert_eq!(estimated.announce_date, NaiveDate::from_ymd_opt(2025, 3, 11));
        let Merge::Changed(merged) = estimated.clone().merge_over(&given) else {
            panic!("expected a change")
        };
        assert_eq!((merged.announce_date, merged.announce_date_estimated), (given.announce_date, false));
        estimated.title = "Another title".into();
        let Merge::Changed(merged) = given.clone().merge_over(&estimated) else {
            panic!("expected a change")
        };
        assert_eq!((merged.announce_date, merged.announce_date_estimated), (given.announce_date, false));
    }

    #[test]
    fn without_versions_the_update_time_decides() {
        let older = RawPaper {
            id: Some("2503.11731".into()),
            title: Some("Old".into()),
            updated_at: "2025-03-14T10:00:00Z".parse().ok(),
            ..raw()
        }
        .validate()
        .unwrap();
        let newer = RawPaper {
            id: Some("2503.11731".into()),
            title: Some("New".into()),
            updated_at: "2025-03-20T10:00:00Z".parse().ok(),
            ..raw()
        }
        .validate()
        .unwrap();
        let stored_v2 =
            RawPaper { version: Some(2), updated_at: "2025-03-15T10:00:00Z".parse().ok(), ..raw() }
                .validate()
                .unwrap();
        assert_eq!(older.merge_over(&stored_v2), Merge::Stale);
        let Merge::Changed(merged) = newer.merge_over(&stored_v2) else { panic!("expected a change") };
        assert_eq!((merged.title.as_str(), merged.version), ("New", Some(2)));
    }

    #[test]
    fn truncates_long_values_in_messages() {
        assert_eq!(truncate_for_message("short"), "short");
        assert_eq!(truncate_for_message(&"é".repeat(100)).chars().count(), 61);
    }

    #[test]
    fn links_must_be_web_addresses_that_can_only_be_links() {
        let with = |github: &str| {
            RawPaper {
                id: Some("2503.00001".into()),
                title: Some("T".into()),
                summary: Some("S".into()),
                github_repo: Some(github.into()),
                ..RawPaper::default()
            }
            .validate()
        };
        assert_eq!(
            with("  https://github.com/a/b  ").unwrap().github_repo.as_deref(),
            Some("https://github.com/a/b")
        );
        assert_eq!(with("").unwrap().github_repo, None);
        for bad in [
            "javascript:alert(1)",
            "github.com/a/b",
            "https://",
            "https://x.org/\"><script>",
            "https://x.org/a b",
            "ftp://x.org/",
        ] {
            let error = with(bad).unwrap_err();
            assert_eq!(error.field, "github_repo", "{bad}");
        }
    }
}
