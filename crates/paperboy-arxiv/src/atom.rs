//! Reading the Atom feeds of arXiv's query API (`/api/query?id_list=...`).
//!
//! [`parse_feed`] turns one response body into its entries, each mapped into a [`RawPaper`]
//! (not yet validated), or into an [`AtomError`]: the API's own error entry, a body that is
//! broken or cut off, or a document that is not an Atom feed. The format is the one documented
//! in arXiv's API user manual. HTTP and paging belong to the client.

use chrono::{DateTime, Utc};

use crate::id::ArxivId;
use crate::paper::{RawPaper, collapse_whitespace, truncate_for_message};
use crate::xml::{self, Element};

/// One answer of the query API.
#[derive(Debug, Clone)]
pub struct AtomFeed {
    /// How many results the query has in all (`opensearch:totalResults`).
    pub total_results: Option<u64>,
    pub entries: Vec<AtomEntry>,
}

/// One paper of a feed.
#[derive(Debug, Clone)]
pub struct AtomEntry {
    /// The entry's `<id>`, e.g. `http://arxiv.org/abs/2503.11731v2`.
    pub id_url: String,
    pub paper: RawPaper,
}

/// Why a response gave no feed.
#[derive(Debug, thiserror::Error)]
pub enum AtomError {
    /// arXiv's API reported an error (an entry whose id is `http://arxiv.org/api/errors#...`;
    /// its `<summary>` holds the message).
    #[error("the arXiv API answered with an error: {0}")]
    Api(String),
    /// The response is not well-formed XML or is cut off.
    #[error("the arXiv API response is broken or cut off at byte {position}: {message}")]
    Malformed { message: String, position: u64 },
    /// Well-formed XML that is not an Atom feed.
    #[error("the arXiv API response is not an Atom feed: {0}")]
    NotAtom(String),
}

/// Parses one response body of the query API.
pub fn parse_feed(xml: &[u8]) -> Result<AtomFeed, AtomError> {
    let doc = xml::parse(xml);
    let Some(root) = doc.root else {
        let (message, position) =
            doc.error.map_or(("the document is empty".into(), 0), |e| (e.message, e.position));
        return Err(AtomError::Malformed { message, position });
    };
    if root.name != "feed" {
        return Err(AtomError::NotAtom(format!(
            "its root element is <{}>, not <feed>",
            truncate_for_message(&root.name)
        )));
    }
    // The API reports errors as a feed of one entry; a complete one is worth more to the user
    // than a complaint about a break after it.
    let api_error = root
        .children_named("entry")
        .filter(|entry| entry.complete)
        .find(|entry| entry.text_of("id").is_some_and(|id| id.contains("arxiv.org/api/errors")));
    if let Some(entry) = api_error {
        let summary = collapse_whitespace(entry.text_of("summary").unwrap_or(""));
        let message =
            if summary.is_empty() { collapse_whitespace(entry.text_of("id").unwrap_or("")) } else { summary };
        return Err(AtomError::Api(message));
    }
    // Entries are short and a client asks again for a broken answer, so nothing is salvaged:
    // a cut-off feed yields no entries at all, and never half of one.
    if let Some(error) = doc.error {
        return Err(AtomError::Malformed { message: error.message, position: error.position });
    }
    let total_results = root.text_of("totalResults").and_then(|n| n.trim().parse().ok());
    let entries = root.children_named("entry").map(read_entry).collect();
    Ok(AtomFeed { total_results, entries })
}

fn read_entry(entry: &Element) -> AtomEntry {
    let id_url = entry.text_of("id").unwrap_or("").trim().to_owned();
    let (id, version) = match ArxivId::from_url_or_id(&id_url) {
        Ok((id, version)) => (Some(id.to_string()), version),
        // Validation reports an unreadable id with its reason; an absent one stays absent.
        Err(_) => ((!id_url.is_empty()).then(|| id_url.clone()), None),
    };
    let time = |name: &str| -> Option<DateTime<Utc>> {
        let text = entry.text_of(name)?.trim();
        match DateTime::parse_from_rfc3339(text) {
            Ok(time) => Some(time.with_timezone(&Utc)),
            Err(e) => {
                tracing::warn!(
                    entry = %id_url,
                    "ignoring <{name}> `{}`: not an RFC 3339 time ({e})",
                    truncate_for_message(text)
                );
                None
            }
        }
    };
    // The API lists ACM (`I.2.6`) and MSC (`68T05`) classes as categories too; arXiv's own
    // categories are the ones that start with a lower-case archive name.
    let primary = entry.child("primary_category").and_then(|c| c.attr("term"));
    let categories = primary
        .into_iter()
        .chain(entry.children_named("category").filter_map(|c| c.attr("term")))
        .map(str::trim)
        .filter(|term| term.starts_with(|c: char| c.is_ascii_lowercase()))
        .map(str::to_owned)
        .collect();
    let text = |name: &str| entry.text_of(name).map(str::to_owned);
    let paper = RawPaper {
        id,
        version,
        title: text("title"),
        summary: text("summary"),
        authors: entry
            .children_named("author")
            .filter_map(|author| author.text_of("name"))
            .map(collapse_whitespace)
            .filter(|name| !name.is_empty())
            .collect(),
        categories,
        comment: text("comment"),
        journal_ref: text("journal_ref"),
        doi: text("doi"),
        published_at: time("published"),
        updated_at: time("updated"),
        ..RawPaper::default()
    };
    AtomEntry { id_url, paper }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn utc(s: &str) -> Option<DateTime<Utc>> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn reads_a_feed_of_three_entries() {
        let feed = parse_feed(&fixture("atom-three-entries.xml")).unwrap();
        assert_eq!(feed.total_results, Some(3));
        let urls: Vec<&str> = feed.entries.iter().map(|e| e.id_url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "http://arxiv.org/abs/hep-th/9901001v1",
                "http://arxiv.org/abs/2503.11731v2",
                "http://arxiv.org/abs/2503.12002v1",
            ]
        );
        let papers: Vec<_> = feed.entries.iter().map(|e| e.paper.clone().validate().unwrap()).collect();

        let old = &papers[0];
        assert_eq!((old.id.as_str(), old.version), ("hep-th/9901001", Some(1)));
        assert_eq!(old.title, "A Handwritten Old-Style Record in the Atom Format");
        assert!(old.summary.starts_with("Written by hand"));
        assert!(old.summary.contains("<angle\nbrackets> and \"quotes\""), "{}", old.summary);
        assert_eq!(old.authors, ["The Example Collaboration", "John Q. Doe"]);
        assert_eq!(old.categories, ["hep-th"]);
        assert_eq!(old.comment.as_deref(), Some("23 pages, 8 figures and 4 tables"));
        assert_eq!(old.published_at, utc("1999-01-04T18:46:39Z"));
        assert_eq!(old.updated_at, old.published_at);
        assert_eq!((old.journal_ref.as_deref(), old.doi.as_deref()), (None, None));

        let new = &papers[1];
        assert_eq!((new.id.as_str(), new.version), ("2503.11731", Some(2)));
        assert_eq!(new.doi.as_deref(), Some("10.1234/paperboy.test.11731"));
        assert_eq!(new.journal_ref.as_deref(), Some("J. Test. Fixtures 1 (2025) 1-12"));
        assert_eq!(new.comment.as_deref(), Some("12 pages, 3 figures; v2: typos fixed"));
        assert_eq!(new.authors, ["Ada Example", "Bob Sample", "Carol Placeholder"]);
        assert_eq!(new.categories, ["cs.CL", "cs.LG"]);
        assert_eq!(new.published_at, utc("2025-03-14T17:59:00Z"));
        assert_eq!(new.updated_at, utc("2025-03-20T09:12:45Z"));
        assert_eq!(new.license, None);

        let many = &papers[2];
        assert_eq!((many.id.as_str(), many.version), ("2503.12002", Some(1)));
        assert_eq!(many.categories, ["stat.ML", "cs.LG", "cs.AI", "cond-mat.stat-mech"]);
        assert_eq!(many.categories[0], "stat.ML");
        assert_eq!(many.published_at, utc("2025-03-17T13:30:00Z"));
    }

    #[test]
    fn reports_the_api_error_entry() {
        let err = parse_feed(&fixture("atom-error.xml")).unwrap_err();
        assert!(
            matches!(&err, AtomError::Api(message) if message == "incorrect id format for 1234.12345"),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "the arXiv API answered with an error: incorrect id format for 1234.12345"
        );
    }

    #[test]
    fn reads_an_empty_feed() {
        let feed = parse_feed(&fixture("atom-empty.xml")).unwrap();
        assert_eq!(feed.total_results, Some(0));
        assert!(feed.entries.is_empty());
    }

    #[test]
    fn returns_nothing_from_a_cut_off_feed() {
        let full = fixture("atom-three-entries.xml");
        let text = String::from_utf8(full.clone()).unwrap();
        for cut in [
            text.find("Another Handwritten").unwrap(),
            text.rfind("<category").unwrap() + 5,
            text.rfind("</feed>").unwrap(),
        ] {
            let err = parse_feed(&full[..cut]).unwrap_err();
            let AtomError::Malformed { position, .. } = &err else { panic!("{err:?}") };
            assert!(*position <= cut as u64, "{err}");
            assert!(err.to_string().starts_with("the arXiv API response is broken or cut off"));
        }
    }

    #[test]
    fn rejects_garbage_and_other_documents() {
        for garbage in [&b""[..], b"\xff\xfe\x00garbage", b"Rate exceeded.", b"<feed"] {
            let err = parse_feed(garbage).unwrap_err();
            assert!(matches!(err, AtomError::Malformed { .. }), "{err:?}");
        }
        let err = parse_feed(b"<OAI-PMH><error code=\"badVerb\">no</error></OAI-PMH>").unwrap_err();
        assert!(matches!(&err, AtomError::NotAtom(why) if why.contains("<OAI-PMH>")), "{err:?}");
    }

    #[test]
    fn keeps_unreadable_fields_for_validation_to_report() {
        let xml = br#"<feed xmlns="http://www.w3.org/2005/Atom">
  <entry><id>http://arxiv.org/abs/not-an-id</id><published>last week</published>
    <title>T</title><summary>S</summary><category term="cs.CL"/></entry>
  <entry><title>No id</title></entry>
</feed>"#;
        let feed = parse_feed(xml).unwrap();
        assert_eq!(feed.total_results, None);
        let first = &feed.entries[0].paper;
        assert_eq!(first.id.as_deref(), Some("http://arxiv.org/abs/not-an-id"));
        assert_eq!(first.published_at, None);
        assert_eq!(first.clone().validate().unwrap_err().field, "id");
        assert_eq!(feed.entries[1].id_url, "");
        assert_eq!(feed.entries[1].paper.id, None);
    }
}
