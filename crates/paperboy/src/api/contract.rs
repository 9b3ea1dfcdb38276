//! What the API accepts, written once for both sides of the contract: the patterns of ids,
//! periods, cursors, emails and free text go into the OpenAPI document (through `schemars`
//! attributes that name these constants) and are what the handlers check a value against
//! before anything else, so that a value the document allows is never refused as malformed and
//! one it forbids is never accepted. Values that have the documented shape but name nothing
//! (an id arXiv never issued, week 53 of a short year) are answered 404, not 400.
//!
//! The patterns are written in the syntax ECMAScript (JSON Schema) and Rust's `regex` share:
//! anchors, classes of ASCII ranges and `\uXXXX` escapes, groups, counted repetition.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use regex::Regex;

use crate::error::AppError;

/// The body of [`PAPER_ID`]: an id of either style, without its version.
macro_rules! id_body {
    () => {
        r"([0-9]{4}\.[0-9]{4,5}|[a-z][a-z-]{0,11}(\.[A-Za-z]{2})?/[0-9]{7})"
    };
}

/// White space as Rust's `char::is_whitespace` has it, for patterns of text that is trimmed.
macro_rules! space {
    () => {
        r"[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    };
}

/// An arXiv id, new style (`2503.11731`) or old (`hep-th/9901001`, its `/` sent as `%2F` in a
/// path), with an optional version.
pub const PAPER_ID: &str = concat!("^", id_body!(), r"(v[1-9][0-9]{0,3})?$");

/// An arXiv id (`arXiv:` may come first), or the address of its abstract, PDF or HTML page on
/// arxiv.org, as `ArxivId::from_url_or_id` reads them: white space around the whole and around
/// the id is ignored, and so is an address's query or fragment.
pub const PAPER_ID_OR_URL: &str = concat!(
    "^",
    space!(),
    "*((arXiv:|arxiv:)?",
    space!(),
    "*",
    id_body!(),
    r"(v[1-9][0-9]{0,3})?|(https?://)?(www\.|export\.)?arxiv\.org/(abs|pdf|html)/",
    space!(),
    "*",
    id_body!(),
    r"(v[1-9][0-9]{0,3})?",
    space!(),
    r"*(\.pdf)?/*([?#][\s\S]*)?)",
    space!(),
    "*$"
);

/// The body of [`DATE`], for patterns that hold a date.
macro_rules! date_body {
    () => {
        "([0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))|([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)"
    };
}

/// A calendar date, `YYYY-MM-DD`, that exists (leap days included).
pub const DATE: &str = concat!("^", date_body!(), "$");

/// A date and time of RFC 3339.
pub const DATE_TIME: &str =
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$";

/// An ISO week, `YYYY-Www`.
pub const WEEK: &str = r"^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$";

/// A month, `YYYY-MM`.
pub const MONTH: &str = r"^[0-9]{4}-(0[1-9]|1[0-2])$";

/// Where the previous page of `/api/papers` ended: its last paper's announce day and id.
pub const CURSOR: &str = concat!("^", date_body!(), r"~([0-9]{4}\.[0-9]{4,5}|[a-z][a-z-]{0,11}/[0-9]{7})$");

/// The body of [`EMAIL`]: beyond ASCII, a character that is neither white space nor a control
/// character (as Rust's `char` has them), as [`NOT_BLANK`] lists them.
macro_rules! other_char {
    () => {
        r"[^\u0000-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    };
}

/// An email address: a dot-atom, `@`, and a host name of two or more labels of up to 63
/// characters, starting and ending with no hyphen; letters beyond ASCII are welcome.
pub const EMAIL: &str = concat!(
    r"^(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]|",
    other_char!(),
    r")+(?:\.(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]|",
    other_char!(),
    r")+)*@(?:[A-Za-z0-9]|",
    other_char!(),
    r")(?:[A-Za-z0-9-]|",
    other_char!(),
    r"){0,62}(?:\.(?:[A-Za-z0-9-]|",
    other_char!(),
    r"){1,63})*\.(?:[A-Za-z0-9-]|",
    other_char!(),
    r"){0,62}(?:[A-Za-z0-9]|",
    other_char!(),
    r")$"
);

/// Text with a character that is not white space (as Rust's `char::is_whitespace` has it).
pub const NOT_BLANK: &str =
    r"[^\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

/// Text without control characters but for line breaks.
pub const NO_CONTROL_BUT_NEWLINE: &str = r"^[^\u0000-\u0009\u000B-\u001F\u007F-\u009F]*$";

/// Text without control characters and without white space at either end: a keyword.
pub const KEYWORD: &str = r"^([^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?)?$";

/// The body of [`CATEGORY`].
macro_rules! category_body {
    () => {
        r"[A-Za-z0-9-]{1,20}(\.[A-Za-z0-9-]{1,20})?"
    };
}

/// An arXiv category or archive: `cs.CL`, `hep-th`, `math`.
pub const CATEGORY: &str = concat!("^", category_body!(), "$");

/// Up to 20 categories (`MAX_LIST` of digest settings) in one text, separated by commas or new
/// lines, white space around each and empty items ignored: `cs.CL, math`.
pub const CATEGORY_LIST: &str = concat!(
    "^(",
    space!(),
    "|,)*(",
    category_body!(),
    "(",
    space!(),
    r"*[,\u000A](",
    space!(),
    "|,)*",
    category_body!(),
    "){0,19})?(",
    space!(),
    "|,)*$"
);

/// An absolute `http(s)` address without spaces, quotes, backslashes or angle brackets; or
/// nothing, to remove one.
pub const LINK: &str = r#"^(https?://[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000/?#"'`<>\\]+([/?#][^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"'`<>\\]*)?)?$"#;

/// A repository on GitHub, as `domain::code::github_repo` takes it; or nothing, to remove one.
pub const GITHUB_REPO: &str = r"^(https?://(www\.)?github\.com/[A-Za-z0-9](-?[A-Za-z0-9]){0,38}/\.?[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}/?)?$";

/// A user name, as accounts are named.
pub const USER_NAME: &str = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$";

/// The last part of a collection's address: its slug and key (24 hex digits), or the key alone.
pub const COLLECTION_ADDRESS: &str = r"^([a-z0-9-]*-)?[0-9a-f]{24}$";

/// A collection's title: something not blank, without control characters.
pub const COLLECTION_TITLE: &str = concat!(
    r"^[^\u0000-\u001F\u007F-\u009F]*",
    r"[^\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F]",
    r"[^\u0000-\u001F\u007F-\u009F]*$"
);

/// A paper as a collection listing's `item` filter names it: `papers/` and its id.
pub const PAPER_ITEM: &str = concat!("^papers/", id_body!(), r"(v[1-9][0-9]{0,3})?$");

/// Whether `text` matches `pattern`.
pub fn matches(pattern: &'static str, text: &str) -> bool {
    static COMPILED: OnceLock<Mutex<HashMap<&'static str, &'static Regex>>> = OnceLock::new();
    // Each pattern is compiled once and kept for the life of the process (they are the few
    // constants above), so that every match shares its search caches: a cloned `Regex` would
    // start with empty ones, built again on each request. The lock is held only to look it up.
    let regex: &'static Regex = {
        let mut compiled = COMPILED.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
        compiled.entry(pattern).or_insert_with(|| {
            // The patterns above are constants checked by the tests below.
            Box::leak(Box::new(Regex::new(pattern).expect("a valid pattern")))
        })
    };
    regex.is_match(text)
}

/// `text`, if it matches `pattern`; otherwise a 400 that names `what` and the value.
pub fn checked<'t>(pattern: &'static str, text: &'t str, what: &str) -> Result<&'t str, AppError> {
    if matches(pattern, text) {
        Ok(text)
    } else {
        let shown: String = text.chars().take(60).collect();
        Err(AppError::BadRequest(format!("`{shown}` is not {what}")))
    }
}

/// The unit variant of `T` that `text` names: its serde name, which is also what `T`'s schema
/// lists ([`names`]).
pub fn variant<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    use serde::de::IntoDeserializer;
    T::deserialize(IntoDeserializer::<serde::de::value::Error>::into_deserializer(text)).ok()
}

/// The names `T`'s schema lists (an `enum`, or a `oneOf` of `const`s when its variants are
/// described), the empty one left out, for messages: `keyword, semantic, hybrid`.
pub fn names<T: schemars::JsonSchema>() -> String {
    let schema = schemars::SchemaGenerator::default().into_root_schema_for::<T>();
    let listed: Vec<&serde_json::Value> = match (schema.get("enum"), schema.get("oneOf")) {
        (Some(serde_json::Value::Array(names)), _) => names.iter().collect(),
        (_, Some(serde_json::Value::Array(cases))) => {
            cases.iter().filter_map(|case| case.get("const")).collect()
        }
        _ => Vec::new(),
    };
    let names: Vec<&str> =
        listed.into_iter().filter_map(serde_json::Value::as_str).filter(|n| !n.is_empty()).collect();
    names.join(", ")
}

/// A JSON integer, also when written with a zero fraction (`3.0`), as JSON Schema's `integer`
/// allows; for optional fields (`#[serde(default, deserialize_with = "integer")]`).
pub fn integer<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    use serde::Deserialize;
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else { return Ok(None) };
    whole_number(&number)
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("{number} is not a whole number in range")))
}

/// A JSON number as JSON Schema's `integer` reads it: whole, also when written with a zero
/// fraction (`3.0`), and within `i64`.
pub fn whole_number(number: &serde_json::Number) -> Option<i64> {
    number.as_i64().or_else(|| {
        number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && (i64::MIN as f64..=i64::MAX as f64).contains(f))
            .map(|f| f as i64)
    })
}

#[cfg(test)]
mod tests {
    use paperboy_arxiv::ArxivId;

    use super::*;

    #[test]
    fn the_repository_pattern_takes_what_the_check_takes() {
        use crate::domain::code::github_repo;
        for text in [
            "https://github.com/a/b",
            "http://www.github.com/a-b/c.d_e.git/",
            "https://github.com/owner/.github",
            "https://github.com/a/",
            "https://github.com/a/b/tree/main",
            "https://github.com/-a/b",
            "https://github.com/a--b/c",
            "https://github.com/a/..",
            "https://github.com/a/.x",
            "https://gitlab.com/a/b",
            "https://GitHub.com/a/b",
            "",
        ] {
            assert_eq!(matches(GITHUB_REPO, text), github_repo(text).is_ok(), "{text:?}");
        }
    }

    #[test]
    fn ids_of_both_styles_match_and_nothing_else() {
        for good in ["2503.11731", "2503.11731v2", "0704.0001", "hep-th/9901001", "math.GT/0309136v3"] {
            assert!(matches(PAPER_ID, good), "{good}");
        }
        for bad in ["2503.117", "2503.11731v0", " 2503.11731", "2503.11731 ", "HEP-TH/9901001", "x/1", ""] {
            assert!(!matches(PAPER_ID, bad), "{bad}");
        }
        // What the pattern takes, `from_url_or_id` reads, and the reverse.
        for text in [
            "2503.11731",
            " arXiv:2503.11731v2\n",
            "arXiv: 2503.11731",
            "arxiv.org/abs/ 2503.11731 .pdf//?",
            "https://arxiv.org/abs/2503.11731v2",
            "arxiv.org/pdf/2503.11731.pdf",
            "http://export.arxiv.org/abs/hep-th/9901001/?context=cs\n#x",
            "https://www.arxiv.org/html/2503.11731v1/",
        ] {
            assert!(matches(PAPER_ID_OR_URL, text), "{text:?}");
            assert!(ArxivId::from_url_or_id(text).is_ok(), "{text:?}");
        }
        for text in [
            "2503.11731.pdf",
            "arXiv 2503.11731",
            "https://arxiv.org/abs/2503.11731.pdf /",
            "https://example.org/abs/2503.11731",
            "https://arxiv.org/list/2503.11731",
            "https://arxiv.org/abs/2503.11731/.pdf",
            "2503.11731?x",
        ] {
            assert!(!matches(PAPER_ID_OR_URL, text), "{text:?}");
            assert!(ArxivId::from_url_or_id(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn names_come_from_the_schema_and_variants_from_serde() {
        #[derive(Debug, PartialEq, serde::Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "lowercase")]
        enum Plain {
            Daily,
            Weekly,
        }
        #[derive(Debug, PartialEq, serde::Deserialize, schemars::JsonSchema)]
        enum Described {
            /// The default.
            #[serde(rename = "")]
            Default,
            /// The newest first.
            #[serde(rename = "publishedAt")]
            PublishedAt,
        }
        assert_eq!(names::<Plain>(), "daily, weekly");
        assert_eq!(names::<Described>(), "publishedAt");
        assert_eq!(variant::<Plain>("weekly"), Some(Plain::Weekly));
        assert_eq!(variant::<Described>(""), Some(Described::Default));
        assert_eq!(variant::<Plain>("Weekly"), None);
    }

    #[test]
    fn dates_are_real_calendar_days() {
        for good in ["2026-05-11", "2024-02-29", "2000-02-29", "0000-02-29", "2026-12-31"] {
            assert!(matches(DATE, good), "{good}");
            assert!(chrono::NaiveDate::parse_from_str(good, "%Y-%m-%d").is_ok(), "{good}");
        }
        for bad in ["2026-02-29", "1900-02-29", "2026-04-31", "2026-13-01", "2026-5-11", "+2026-05-11"] {
            assert!(!matches(DATE, bad), "{bad}");
        }
        assert!(matches(CURSOR, "2026-05-11~2605.00001") && matches(CURSOR, "2024-02-29~hep-th/9901001"));
        assert!(!matches(CURSOR, "2026-02-30~2605.00001") && !matches(CURSOR, "2026-05-11~2605.00001v2"));
        assert!(matches(WEEK, "2026-W53") && !matches(WEEK, "2026-W54") && !matches(WEEK, "2026-w05"));
        assert!(matches(MONTH, "2026-05") && !matches(MONTH, "2026-13") && !matches(MONTH, "+202-05"));
        assert!(
            matches(DATE_TIME, "2026-05-11T08:30:00Z") && matches(DATE_TIME, "2026-05-11t08:30:00.5+02:00")
        );
    }

    #[test]
    fn white_space_and_control_characters_are_rusts() {
        let spaces: String =
            (0..=0x3000_u32).filter_map(char::from_u32).filter(|c| c.is_whitespace()).collect();
        for space in spaces.chars() {
            assert!(!matches(NOT_BLANK, &space.to_string()), "{:?} counts as white space", space);
        }
        assert!(matches(NOT_BLANK, " a ") && !matches(NOT_BLANK, "\u{a0}\u{3000}"));
        assert!(matches(NOT_BLANK, "\u{feff}"), "a byte-order mark is not white space to Rust");
        assert!(matches(NO_CONTROL_BUT_NEWLINE, "a\nb") && !matches(NO_CONTROL_BUT_NEWLINE, "a\tb"));
        for good in ["", "graph", "graph networks", "ü"] {
            assert!(matches(KEYWORD, good), "{good:?}");
        }
        for bad in [" graph", "graph ", "a\u{0}b", "\u{a0}x"] {
            assert!(!matches(KEYWORD, bad), "{bad:?}");
        }
    }

    #[test]
    fn emails_links_and_names_have_their_shapes() {
        for good in ["ada@example.org", "First.Last+tag@sub.example.co.uk", "a@b.c"] {
            assert!(matches(EMAIL, good), "{good}");
        }
        for bad in ["ada@example", "ada@-x.org", "a..b@example.org", " ada@example.org", "ada@exa_mple.org"] {
            assert!(!matches(EMAIL, bad), "{bad}");
        }
        let samples = [
            "ada@example.org",
            "Ada@Example.ORG",
            "a.b@c.d",
            "a@b",
            "a@b.",
            "a@.b",
            "@b.c",
            "a@b..c",
            "a.@b.c",
            ".a@b.c",
            "a@@b.c",
            "a@b-.c",
            "a@-b.c",
            "a@b_c.d",
            "ü@b.c",
            "a@ü.de",
            "a b@c.d",
            "{a}|~@b.c",
            "a@b.c\n",
            "a\"b@c.d",
            "a@1.2",
            "a@b.-c.d",
            "a@b.c-",
            "josé@café.fr",
            "→@b.de",
            "a\u{a0}b@c.de",
            "a@b\u{3000}.de",
            "a\u{85}@b.de",
            "🦀@rust.dev",
        ];
        for sample in samples {
            let (label_63, label_64) =
                (format!("a@{}.org", "ü".repeat(63)), format!("a@{}.org", "b".repeat(64)));
            for text in [sample, &label_63, &label_64] {
                // The parser trims what people paste into a form; the API takes no white space.
                let parsed = text.trim() == text && text.parse::<crate::domain::accounts::Email>().is_ok();
                assert_eq!(matches(EMAIL, text), parsed, "the pattern and the parser differ on {text:?}");
            }
        }
        for good in ["", "https://github.com/ada/strings", "http://x.org/?q=1&r=ü#top"] {
            assert!(matches(LINK, good), "{good}");
        }
        for bad in
            ["github.com/ada", "https://", "https://x.org/a b", "https://x.org/\"", "javascript:alert(1)"]
        {
            assert!(!matches(LINK, bad), "{bad}");
        }
        assert!(matches(CATEGORY, "cs.CL") && matches(CATEGORY, "hep-th") && !matches(CATEGORY, "cs.CL.x"));
        assert!(matches(USER_NAME, "ada") && !matches(USER_NAME, "-ada") && !matches(USER_NAME, "a"));
    }

    #[test]
    fn categories_in_one_text_match_what_the_digest_settings_take() {
        use crate::domain::digest::{Changes, Input, MAX_LIST, Preferences};
        let many = |n: usize| vec!["cs.CL"; n].join(", ");
        let (most, too_many) = (many(MAX_LIST), many(MAX_LIST + 1));
        for text in [
            "cs.CL",
            "cs.CL, math",
            " cs.LG,\nhep-th ,",
            ",,",
            "",
            "cs.CL,\u{3000}math",
            most.as_str(),
            too_many.as_str(),
            "cs.CL math",
            "cs.CL;math",
            "cs.CL.x",
            "cs.CL,<script>",
        ] {
            let changes = Changes { categories: Some(Input::Text(text.to_owned())), ..Changes::default() };
            assert_eq!(
                matches(CATEGORY_LIST, text),
                Preferences::default().with(&changes).is_ok(),
                "{text:?}"
            );
        }
    }
}
