//! arXiv identifiers.
//!
//! [`ArxivId`] names a paper, whatever its version: `2503.11731`, or old-style `hep-th/9901001`.
//! Parsing accepts a version suffix (`2503.11731v2`) and, through [`ArxivId::parse_versioned`],
//! keeps it apart; [`ArxivId::from_url_or_id`] also reads `arxiv.org/abs/...` and `/pdf/...`
//! addresses. Anything else is rejected with an [`IdError`] that says why.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Utc};

/// A paper's arXiv identifier without its version, in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct ArxivId(String);

/// Why a string is not an arXiv identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The string is empty or only whitespace.
    #[error("the arXiv id is empty")]
    Empty,
    /// The string is far longer than any identifier.
    #[error("the arXiv id is {0} characters long; none is longer than 40")]
    TooLong(usize),
    /// The string has neither the new (`YYMM.NNNNN`) nor the old (`archive/YYMMNNN`) shape.
    #[error("`{0}` is not an arXiv id (expected e.g. 2503.11731, 2503.11731v2 or hep-th/9901001)")]
    Malformed(String),
    /// The shape is right but the year and month are impossible.
    #[error("`{0}` names month {1:02}, which does not exist")]
    BadMonth(String, u32),
    /// The id's month has not come yet.
    #[error("`{0}` is from a month that has not come yet")]
    Future(String),
    /// An old-style id with an archive arXiv never had.
    #[error("`{0}` names the archive `{1}`, which arXiv never had")]
    UnknownArchive(String, String),
}

/// Longest input worth looking at; real ids are at most 25 characters.
const MAX_INPUT_LEN: usize = 40;

/// Every archive that ever issued old-style ids (1991 to March 2007), and the archives of
/// today's categories. Categories are `archive` or `archive.SUBJECT` over this list.
pub const ARCHIVES: &[&str] = &[
    "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an", "chao-dyn", "chem-ph",
    "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "econ", "eess", "funct-an", "gr-qc", "hep-ex",
    "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin", "nucl-ex", "nucl-th", "patt-sol",
    "physics", "plasm-ph", "q-alg", "q-bio", "q-fin", "quant-ph", "solv-int", "stat", "supr-con",
];

/// Archives that issued old-style ids. [`ArxivId::key`] depends on this order: never reorder.
const OLD_STYLE_ARCHIVES: &[&str] = &[
    "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an", "chao-dyn", "chem-ph",
    "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an", "gr-qc", "hep-ex", "hep-lat", "hep-ph",
    "hep-th", "math", "math-ph", "mtrl-th", "nlin", "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph",
    "q-alg", "q-bio", "quant-ph", "solv-int", "supr-con",
];

impl ArxivId {
    /// Parses an id that may carry a version suffix, returning both parts.
    pub fn parse_versioned(input: &str) -> Result<(ArxivId, Option<u32>), IdError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        if s.len() > MAX_INPUT_LEN {
            return Err(IdError::TooLong(s.len()));
        }
        let malformed = || IdError::Malformed(s.to_owned());
        let (base, version) = split_version(s).ok_or_else(malformed)?;
        let id = match base.split_once('/') {
            Some((archive, number)) => parse_old_style(s, archive, number)?,
            None => parse_new_style(s, base)?,
        };
        Ok((id, version))
    }

    /// Parses an id, or an arXiv abstract or PDF address, such as a user pastes into a form.
    ///
    /// Accepts `https://arxiv.org/abs/2503.11731v2`, `arxiv.org/pdf/2503.11731.pdf`,
    /// `arXiv:2503.11731` and bare ids.
    pub fn from_url_or_id(input: &str) -> Result<(ArxivId, Option<u32>), IdError> {
        let s = input.trim();
        let without_scheme = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")).unwrap_or(s);
        let without_host = ["www.arxiv.org/", "arxiv.org/", "export.arxiv.org/"]
            .iter()
            .find_map(|host| without_scheme.strip_prefix(host));
        let candidate = match without_host {
            Some(path) => {
                let path = path.split(['?', '#']).next().unwrap_or(path);
                let rest = path
                    .strip_prefix("abs/")
                    .or_else(|| path.strip_prefix("pdf/"))
                    .or_else(|| path.strip_prefix("html/"))
                    .ok_or_else(|| IdError::Malformed(s.to_owned()))?;
                let rest = rest.trim_end_matches('/');
                rest.strip_suffix(".pdf").unwrap_or(rest)
            }
            None => s.strip_prefix("arXiv:").or_else(|| s.strip_prefix("arxiv:")).unwrap_or(s),
        };
        Self::parse_versioned(candidate)
    }

    /// The canonical identifier text, e.g. `2503.11731` or `hep-th/9901001`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A number that names this paper and nothing else, for indexes keyed by integers.
    /// New-style ids map to `YYMM * 100000 + number`; old-style ids to
    /// `OLD_STYLE + archive * 10^7 + YYMMNNN`, with the archive's position in a list that is
    /// only ever appended to. [`ArxivId::from_key`] reverses it.
    pub fn key(&self) -> u64 {
        let digits = |s: &str| s.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
        match self.0.split_once('/') {
            Some((archive, number)) => {
                let position = OLD_STYLE_ARCHIVES.iter().position(|a| *a == archive).unwrap_or_default();
                OLD_STYLE_KEYS + position as u64 * 10_000_000 + digits(number)
            }
            None => {
                let (yymm, number) = self.0.split_once('.').unwrap_or_default();
                digits(yymm) * 100_000 + digits(number)
            }
        }
    }

    /// The id whose [`ArxivId::key`] is `key`, if any.
    pub fn from_key(key: u64) -> Option<ArxivId> {
        let text = if key >= OLD_STYLE_KEYS {
            let rest = key - OLD_STYLE_KEYS;
            let archive = OLD_STYLE_ARCHIVES.get(usize::try_from(rest / 10_000_000).ok()?)?;
            format!("{archive}/{:07}", rest % 10_000_000)
        } else {
            let (yymm, number) = (key / 100_000, key % 100_000);
            let width = if yymm >= 1501 { 5 } else { 4 };
            format!("{yymm:04}.{number:0width$}")
        };
        text.parse().ok().filter(|id: &ArxivId| id.key() == key)
    }
}

/// Where the keys of old-style ids begin, above every new-style key.
const OLD_STYLE_KEYS: u64 = 1 << 40;

/// Splits `2503.11731v2` into (`2503.11731`, Some(2)). Returns `None` for a bad suffix.
fn split_version(s: &str) -> Option<(&str, Option<u32>)> {
    match s.rfind('v') {
        Some(pos) if s[pos + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            let digits = &s[pos + 1..];
            if digits.is_empty() || digits.starts_with('0') || digits.len() > 4 {
                return None;
            }
            Some((&s[..pos], digits.parse().ok()))
        }
        // A `v` inside an archive name (`solv-int/9901001`) is not a version marker.
        _ => Some((s, None)),
    }
}

fn parse_new_style(input: &str, base: &str) -> Result<ArxivId, IdError> {
    let malformed = || IdError::Malformed(input.to_owned());
    let (yymm, number) = base.split_once('.').ok_or_else(malformed)?;
    if yymm.len() != 4 || !yymm.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    if !number.bytes().all(|b| b.is_ascii_digit()) || number.bytes().all(|b| b == b'0') {
        return Err(malformed());
    }
    let yy: u32 = yymm[0..2].parse().map_err(|_| malformed())?;
    let mm: u32 = yymm[2..4].parse().map_err(|_| malformed())?;
    if !(1..=12).contains(&mm) {
        return Err(IdError::BadMonth(input.to_owned(), mm));
    }
    // New-style ids began in April 2007; five-digit numbers in January 2015.
    if (yy, mm) < (7, 4) {
        return Err(malformed());
    }
    let expected_digits = if (yy, mm) >= (15, 1) { 5 } else { 4 };
    if number.len() != expected_digits {
        return Err(malformed());
    }
    // Ids are issued as the month goes; allow a month of clock skew.
    let today = Utc::now();
    let latest = (today.year() - 2000) as u32 * 12 + today.month() + 1;
    if yy * 12 + mm > latest {
        return Err(IdError::Future(input.to_owned()));
    }
    Ok(ArxivId(base.to_owned()))
}

fn parse_old_style(input: &str, archive: &str, number: &str) -> Result<ArxivId, IdError> {
    let malformed = || IdError::Malformed(input.to_owned());
    // `math.GT/0309136` names the same paper as `math/0309136`: the subject class is an alias.
    let (archive, subject) = match archive.split_once('.') {
        Some((archive, subject)) => (archive, Some(subject)),
        None => (archive, None),
    };
    let archive_ok = !archive.is_empty()
        && archive.len() <= 12
        && archive.starts_with(|c: char| c.is_ascii_lowercase())
        && archive.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
    let subject_ok = subject
        .is_none_or(|s| s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_lowercase()));
    if !archive_ok || !subject_ok {
        return Err(malformed());
    }
    if number.len() != 7 || !number.bytes().all(|b| b.is_ascii_digit()) || number.ends_with("000") {
        return Err(malformed());
    }
    if !OLD_STYLE_ARCHIVES.contains(&archive) {
        return Err(IdError::UnknownArchive(input.to_owned(), archive.to_owned()));
    }
    let yy: u32 = number[0..2].parse().map_err(|_| malformed())?;
    let mm: u32 = number[2..4].parse().map_err(|_| malformed())?;
    if !(1..=12).contains(&mm) {
        return Err(IdError::BadMonth(input.to_owned(), mm));
    }
    // Old-style ids ran from August 1991 to March 2007.
    if !(yy >= 91 || yy <= 7) || (yy == 7 && mm > 3) || (yy == 91 && mm < 8) {
        return Err(malformed());
    }
    Ok(ArxivId(format!("{archive}/{number}")))
}

impl FromStr for ArxivId {
    type Err = IdError;

    /// Parses an id; a version suffix is accepted and dropped, since the id names every version.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_versioned(s).map(|(id, _)| id)
    }
}

impl fmt::Display for ArxivId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<(String, Option<u32>), IdError> {
        ArxivId::parse_versioned(s).map(|(id, v)| (id.to_string(), v))
    }

    #[test]
    fn accepts_new_style_with_and_without_version() {
        assert_eq!(parse("2503.11731"), Ok(("2503.11731".into(), None)));
        assert_eq!(parse("2503.11731v2"), Ok(("2503.11731".into(), Some(2))));
        assert_eq!(parse(" 0704.0471 "), Ok(("0704.0471".into(), None)));
        assert_eq!(parse("1412.9999v12"), Ok(("1412.9999".into(), Some(12))));
    }

    #[test]
    fn accepts_old_style_and_drops_subject_class() {
        assert_eq!(parse("hep-th/9901001"), Ok(("hep-th/9901001".into(), None)));
        assert_eq!(parse("math.GT/0309136v1"), Ok(("math/0309136".into(), Some(1))));
        assert_eq!(parse("solv-int/9901001"), Ok(("solv-int/9901001".into(), None)));
        assert_eq!(parse("cond-mat/0703999"), Ok(("cond-mat/0703999".into(), None)));
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "   ",
            "2503.1173",        // too few digits after 2015
            "2503.117311",      // too many
            "1412.99999",       // five digits before 2015
            "0703.0001",        // new style before April 2007
            "2513.11731",       // month 13
            "2503.11731v",      // empty version
            "2503.11731v0",     // versions start at 1
            "2503.11731v2v3",   // two versions
            "2503-11731",       // wrong separator
            "hep-th/990100",    // six digits
            "HEP-TH/9901001",   // archive is lower case
            "hep-th/0704001",   // old style after March 2007
            "hep th/9901001",   // space
            "../../etc/passwd", // path traversal attempt
            "2503.11731; DROP TABLE papers",
            "１２３４.５６７８９", // full-width digits
            "2503.00000",          // numbers start at 1
            "hep-th/9901000",      // numbers start at 1
            "foo/9901001",         // no such archive
            "zz-/0001000",         // no such archive
            "9912.12345",          // December 2099 has not come
        ] {
            assert!(ArxivId::parse_versioned(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(parse(&"1".repeat(100)), Err(IdError::TooLong(100)));
    }

    #[test]
    fn keys_name_one_paper_each_and_reverse() {
        let ids = [
            "0704.0001",
            "1412.9999",
            "1501.00001",
            "2503.11731",
            "hep-th/9901001",
            "math/0309136",
            "supr-con/9608001",
            "acc-phys/9411001",
        ];
        let mut keys = std::collections::HashSet::new();
        for text in ids {
            let id: ArxivId = text.parse().unwrap();
            assert!(keys.insert(id.key()), "{text}");
            assert_eq!(ArxivId::from_key(id.key()), Some(id), "{text}");
        }
        assert_eq!("2503.11731".parse::<ArxivId>().unwrap().key(), 2503_11731);
        for bad in [0, 1, 99_999, 2513_00001, (1 << 40) + 99 * 10_000_000, u64::MAX] {
            assert_eq!(ArxivId::from_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn reads_urls_and_prefixes() {
        for (input, id, version) in [
            ("https://arxiv.org/abs/2503.11731v2", "2503.11731", Some(2)),
            ("http://arxiv.org/abs/hep-th/9901001", "hep-th/9901001", None),
            ("arxiv.org/pdf/2503.11731.pdf", "2503.11731", None),
            ("https://arxiv.org/pdf/2503.11731v3", "2503.11731", Some(3)),
            ("https://www.arxiv.org/abs/2503.11731?context=cs", "2503.11731", None),
            ("arXiv:2503.11731", "2503.11731", None),
            ("2503.11731", "2503.11731", None),
        ] {
            let (parsed, v) = ArxivId::from_url_or_id(input).unwrap();
            assert_eq!((parsed.as_str(), v), (id, version), "{input}");
        }
        assert!(ArxivId::from_url_or_id("https://example.org/abs/2503.11731").is_err());
        assert!(ArxivId::from_url_or_id("https://arxiv.org/list/cs.CL/new").is_err());
    }
}
