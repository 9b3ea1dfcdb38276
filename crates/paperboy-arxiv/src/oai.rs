//! Reading arXiv's OAI-PMH answers to `ListRecords` and `GetRecord`.
//!
//! [`parse_response`] turns one response body into the page's records and its resumption token,
//! or into an [`OaiError`]: the repository's own error (such as `noRecordsMatch`), a body that
//! is broken or cut off (with the complete records before the break), or something that is not
//! OAI-PMH at all. Records are mapped into [`RawPaper`]s from the `arXivRaw` format (which has
//! every version with its date) or the `arXiv` format; they are not validated here. HTTP,
//! retries and the resumption loop belong to the client.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};

use crate::authors::split_author_list;
use crate::paper::{RawPaper, collapse_whitespace, truncate_for_message};
use crate::xml::{self, Element};

/// The metadata format requested with `metadataPrefix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetadataFormat {
    /// `arXivRaw`: every version with its submission date, the submitter and the license.
    #[default]
    ArxivRaw,
    /// `arXiv`: structured author names, but only the first and latest dates.
    Arxiv,
}

impl MetadataFormat {
    /// The `metadataPrefix` value for requests.
    pub fn prefix(self) -> &'static str {
        match self {
            MetadataFormat::ArxivRaw => "arXivRaw",
            MetadataFormat::Arxiv => "arXiv",
        }
    }
}

impl fmt::Display for MetadataFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

/// A metadata format name that Paperboy cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown OAI-PMH metadata format `{0}` (expected arXivRaw or arXiv)")]
pub struct UnknownMetadataFormat(pub String);

impl FromStr for MetadataFormat {
    type Err = UnknownMetadataFormat;

    /// Accepts the `metadataPrefix` in any letter case: `arXivRaw`, `arxivraw`, `arXiv`, `arxiv`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("arXivRaw") {
            Ok(MetadataFormat::ArxivRaw)
        } else if s.eq_ignore_ascii_case("arXiv") {
            Ok(MetadataFormat::Arxiv)
        } else {
            Err(UnknownMetadataFormat(truncate_for_message(s)))
        }
    }
}

/// One page of records.
#[derive(Debug, Clone)]
pub struct OaiPage {
    pub records: Vec<OaiRecord>,
    /// Where the next page starts; `None` when the element is absent or empty, which ends the
    /// list.
    pub resumption_token: Option<ResumptionToken>,
}

/// The token that asks for the next page of a list, with the repository's progress counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumptionToken {
    pub token: String,
    /// How many records of the list came before this page.
    pub cursor: Option<u64>,
    /// How many records the whole list has.
    pub complete_list_size: Option<u64>,
}

/// One record of a page.
#[derive(Debug, Clone)]
pub struct OaiRecord {
    /// The OAI identifier, e.g. `oai:arXiv.org:0704.0471`; empty when the header lacks it.
    pub identifier: String,
    /// When the record last changed in the repository.
    pub datestamp: Option<NaiveDate>,
    pub body: RecordBody,
}

/// What a record holds.
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "nearly every record is a paper, so boxing would only add an allocation to each"
)]
pub enum RecordBody {
    /// The paper's metadata, not yet validated.
    Paper(RawPaper),
    /// The repository withdrew the record (header `status="deleted"`).
    Deleted,
    /// The record is complete but cannot be mapped; the text says why.
    Unreadable(String),
}

/// Why a response gave no page.
#[derive(Debug, thiserror::Error)]
pub enum OaiError {
    /// The repository answered with an OAI-PMH error such as noRecordsMatch or badArgument.
    #[error("the OAI-PMH repository answered with error `{code}`: {message}")]
    Protocol { code: String, message: String },
    /// The response is not well-formed XML or is cut off; `salvaged` holds the complete records
    /// that came before the break.
    #[error(
        "the OAI-PMH response {}: {message}",
        describe_break(.last_complete.as_deref(), .salvaged.len(), *.position)
    )]
    Malformed {
        message: String,
        position: u64,
        /// The identifier of the last complete record before the break.
        last_complete: Option<String>,
        salvaged: Vec<OaiRecord>,
    },
    /// Well-formed XML that is not an OAI-PMH response (wrong root etc.).
    #[error("the response is not an OAI-PMH answer to ListRecords or GetRecord: {0}")]
    NotOaiPmh(String),
}

fn describe_break(last_complete: Option<&str>, salvaged: usize, position: u64) -> String {
    match last_complete {
        Some(id) => {
            format!("is cut off after record {id} (byte {position}; {salvaged} complete records before it)")
        }
        None => format!("is broken at byte {position}, before its first complete record"),
    }
}

impl OaiError {
    /// Whether the repository said the request matches no records: an empty result, not a
    /// failure.
    pub fn is_no_records_match(&self) -> bool {
        matches!(self, OaiError::Protocol { code, .. } if code == "noRecordsMatch")
    }
}

/// Parses one `ListRecords` or `GetRecord` response body in the given metadata format.
pub fn parse_response(xml: &[u8], format: MetadataFormat) -> Result<OaiPage, OaiError> {
    let doc = xml::parse(xml);
    let malformed = |error: xml::XmlError, records: Vec<OaiRecord>| OaiError::Malformed {
        message: error.message,
        position: error.position,
        last_complete: records.last().map(|r| r.identifier.clone()),
        salvaged: records,
    };
    let Some(root) = doc.root else {
        let error = doc
            .error
            .unwrap_or_else(|| xml::XmlError { message: "the document is empty".into(), position: 0 });
        return Err(malformed(error, Vec::new()));
    };
    if root.name != "OAI-PMH" {
        return Err(OaiError::NotOaiPmh(format!(
            "its root element is <{}>, not <OAI-PMH>",
            truncate_for_message(&root.name)
        )));
    }

    // The repository's error comes first: with it there are no records to read.
    let errors: Vec<&Element> = root.children_named("error").filter(|e| e.complete).collect();
    if let Some(first) = errors.first() {
        let code = first.attr("code").unwrap_or("unknown").to_owned();
        let messages: Vec<String> = errors.iter().map(|e| collapse_whitespace(&e.text)).collect();
        return Err(OaiError::Protocol { code, message: messages.join("; ") });
    }

    let container = root.child("ListRecords").or_else(|| root.child("GetRecord"));
    let Some(container) = container else {
        return Err(match doc.error {
            Some(error) => malformed(error, Vec::new()),
            None => OaiError::NotOaiPmh("it holds neither <ListRecords>, <GetRecord> nor <error>".into()),
        });
    };

    // A record cut off by the break is left out: half a record must never pass for a paper.
    let records: Vec<OaiRecord> =
        container.children_named("record").filter(|r| r.complete).map(|r| read_record(r, format)).collect();
    if let Some(error) = doc.error {
        return Err(malformed(error, records));
    }
    let resumption_token = container.child("resumptionToken").and_then(read_token);
    Ok(OaiPage { records, resumption_token })
}

fn read_token(element: &Element) -> Option<ResumptionToken> {
    let token = element.text.trim();
    if token.is_empty() {
        return None;
    }
    let number = |name: &str| element.attr(name).and_then(|v| v.trim().parse().ok());
    Some(ResumptionToken {
        token: token.to_owned(),
        cursor: number("cursor"),
        complete_list_size: number("completeListSize"),
    })
}

fn read_record(record: &Element, format: MetadataFormat) -> OaiRecord {
    let header = record.child("header");
    let identifier = header.and_then(|h| h.text_of("identifier")).unwrap_or("").trim().to_owned();
    // Datestamps may carry a time (`2014-11-18T00:00:00Z`) at finer granularity; the day is
    // what matters. The datestamp is informational, so a bad one is left out, not fatal.
    let datestamp = header
        .and_then(|h| h.text_of("datestamp"))
        .and_then(|d| d.trim().get(..10))
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let body = if header.is_none() {
        RecordBody::Unreadable("the record has no <header>".into())
    } else if header.and_then(|h| h.attr("status")) == Some("deleted") {
        RecordBody::Deleted
    } else {
        match read_metadata(record, format) {
            Ok(paper) => RecordBody::Paper(paper),
            Err(why) => RecordBody::Unreadable(why),
        }
    };
    OaiRecord { identifier, datestamp, body }
}

fn read_metadata(record: &Element, format: MetadataFormat) -> Result<RawPaper, String> {
    let metadata = record.child("metadata").ok_or("the record has no <metadata>")?;
    let Some(inner) = metadata.child(format.prefix()) else {
        let found = metadata
            .children
            .first()
            .map_or("nothing".to_owned(), |c| format!("<{}>", truncate_for_message(&c.name)));
        return Err(format!("the record's <metadata> holds {found}, not <{}>", format.prefix()));
    };
    match format {
        MetadataFormat::ArxivRaw => read_arxiv_raw(inner),
        MetadataFormat::Arxiv => read_arxiv(inner),
    }
}

/// Fields the two formats share, under the same element names.
fn common_fields(meta: &Element) -> RawPaper {
    let text = |name: &str| meta.text_of(name).map(str::to_owned);
    RawPaper {
        id: meta.text_of("id").map(|id| id.trim().to_owned()),
        title: text("title"),
        summary: text("abstract"),
        categories: meta
            .text_of("categories")
            .map(|c| c.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default(),
        comment: text("comments"),
        journal_ref: text("journal-ref"),
        doi: text("doi"),
        license: text("license"),
        ..RawPaper::default()
    }
}

fn read_arxiv_raw(meta: &Element) -> Result<RawPaper, String> {
    let mut versions: Vec<(u32, DateTime<Utc>)> = Vec::new();
    for version in meta.children_named("version") {
        let label = version.attr("version").unwrap_or("").trim();
        let number = label
            .strip_prefix('v')
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("version `{}` is not v1, v2, …", truncate_for_message(label)))?;
        let date = version.text_of("date").unwrap_or("").trim();
        let date = DateTime::parse_from_rfc2822(date).map_err(|e| {
            format!(
                "the date `{}` of version v{number} is not an RFC 2822 date ({e})",
                truncate_for_message(date)
            )
        })?;
        versions.push((number, date.with_timezone(&Utc)));
    }
    let latest = versions.iter().max_by_key(|(number, _)| *number);
    Ok(RawPaper {
        version: latest.map(|(number, _)| *number),
        published_at: versions.iter().find(|(number, _)| *number == 1).map(|(_, date)| *date),
        updated_at: latest.map(|(_, date)| *date),
        authors: meta.text_of("authors").map(split_author_list).unwrap_or_default(),
        submitter: meta.text_of("submitter").map(str::to_owned),
        ..common_fields(meta)
    })
}

fn read_arxiv(meta: &Element) -> Result<RawPaper, String> {
    let day = |name: &str| -> Result<Option<DateTime<Utc>>, String> {
        let Some(text) = meta.text_of(name) else {
            return Ok(None);
        };
        let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|e| {
            format!("<{name}> `{}` is not a YYYY-MM-DD date ({e})", truncate_for_message(text))
        })?;
        Ok(Some(date.and_time(chrono::NaiveTime::MIN).and_utc()))
    };
    let created = day("created")?;
    // `updated` is present only once there is a second version; like arXivRaw's latest-version
    // date, the update time of a single-version paper is its creation.
    let updated = day("updated")?.or(created);
    let authors = meta
        .child("authors")
        .map(|list| {
            list.children_named("author")
                .map(|author| {
                    let parts = ["forenames", "keyname", "suffix"]
                        .map(|part| author.text_of(part).map(collapse_whitespace).unwrap_or_default());
                    collapse_whitespace(&parts.join(" "))
                })
                .filter(|name| !name.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Ok(RawPaper { published_at: created, updated_at: updated, authors, ..common_fields(meta) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared_fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/../../../shared/fixtures/arxiv-oai-pmh/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn local_fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn paper(record: &OaiRecord) -> &RawPaper {
        match &record.body {
            RecordBody::Paper(paper) => paper,
            other => panic!("{} is {other:?}", record.identifier),
        }
    }

    fn utc(s: &str) -> Option<DateTime<Utc>> {
        Some(s.parse().unwrap())
    }

    /// The offset just before the `n`th (0-based) occurrence of `needle`.
    fn offset_of(haystack: &[u8], needle: &str, n: usize) -> usize {
        haystack
            .windows(needle.len())
            .enumerate()
            .filter(|(_, w)| *w == needle.as_bytes())
            .nth(n)
            .map(|(i, _)| i)
            .unwrap()
    }

    #[test]
    fn reads_the_recorded_list_records_page() {
        let page =
            parse_response(&shared_fixture("ListRecordsResponse.xml"), MetadataFormat::ArxivRaw).unwrap();
        let ids: Vec<&str> = page.records.iter().map(|r| r.identifier.as_str()).collect();
        assert_eq!(
            ids,
            [
                "oai:arXiv.org:0704.0471",
                "oai:arXiv.org:0704.0716",
                "oai:arXiv.org:0704.0874",
                "oai:arXiv.org:0704.1109",
                "oai:arXiv.org:0704.1114",
                "oai:arXiv.org:0704.1586",
            ]
        );
        let paper_ids: Vec<_> = page.records.iter().map(|r| paper(r).id.clone().unwrap()).collect();
        assert_eq!(paper_ids, ["0704.0471", "0704.0716", "0704.0874", "0704.1109", "0704.1114", "0704.1586"]);
        let versions: Vec<_> = page.records.iter().map(|r| paper(r).version).collect();
        assert_eq!(versions, [Some(1), Some(4), Some(3), Some(2), Some(1), Some(1)]);
        assert_eq!(
            page.resumption_token,
            Some(ResumptionToken {
                token: "726959|1001".into(),
                cursor: Some(0),
                complete_list_size: Some(58011),
            })
        );

        let first = &page.records[0];
        assert_eq!(first.datestamp, NaiveDate::from_ymd_opt(2014, 11, 18));
        let p = paper(first);
        assert_eq!(p.submitter.as_deref(), Some("Dinesh Shetty"));
        assert_eq!(p.published_at, utc("2007-04-03T22:04:11Z"));
        assert_eq!(p.updated_at, p.published_at);
        assert_eq!(p.authors, ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]);
        assert_eq!(p.categories, ["nucl-ex", "nucl-th"]);
        assert_eq!(p.comment.as_deref(), Some("16 pages, 14 figures"));
        assert_eq!(p.journal_ref.as_deref(), Some("Phys.Rev.C76:024606,2007; Erratum-ibid.C76:039902,2007"));
        assert_eq!(p.doi.as_deref(), Some("10.1103/PhysRevC.76.024606 10.1103/PhysRevC.76.039902"));
        assert_eq!(p.license, None);
        let summary = p.summary.as_deref().unwrap();
        assert!(summary.contains("an extremely \" stiff \" and \" soft \"\nform"), "{summary}");
        assert!(p.title.as_deref().unwrap().starts_with("Density dependence"));

        let p = paper(&page.records[1]);
        assert_eq!(p.published_at, utc("2007-04-05T12:45:03Z"));
        assert_eq!(p.updated_at, utc("2008-11-14T09:07:25Z"));
        assert_eq!(p.categories, ["math-ph", "math.MP"]);
        assert_eq!(p.license.as_deref(), Some("http://arxiv.org/licenses/nonexclusive-distrib/1.0/"));

        let p = paper(&page.records[5]);
        assert_eq!(
            p.title.as_deref(),
            Some("Core excitation in the elastic scattering and breakup of $^{11}$Be on\n  protons")
        );

        // Every record of the capture passes validation.
        for record in &page.records {
            let validated = paper(record).clone().validate().unwrap();
            assert_eq!(format!("oai:arXiv.org:{}", validated.id), record.identifier);
        }
    }

    #[test]
    fn reads_the_recorded_get_record_answer() {
        let page =
            parse_response(&shared_fixture("GetRecordResponse.xml"), MetadataFormat::ArxivRaw).unwrap();
        assert_eq!(page.records.len(), 1);
        assert_eq!(page.resumption_token, None);
        let record = &page.records[0];
        assert_eq!(record.identifier, "oai:arXiv.org:1302.2146");
        assert_eq!(record.datestamp, NaiveDate::from_ymd_opt(2013, 4, 3));
        let p = paper(record).clone().validate().unwrap();
        assert_eq!(p.id.as_str(), "1302.2146");
        assert_eq!(p.version, Some(2));
        assert_eq!(p.authors, ["Joshua Berger", "Maxim Perelstein", "Michael Saelim", "Philip Tanedo"]);
        assert_eq!(p.categories, ["hep-ph", "hep-ex"]);
        assert_eq!(p.published_at, utc("2013-02-08T21:00:01Z"));
        assert_eq!(p.updated_at, utc("2013-04-02T01:50:08Z"));
        assert_eq!(p.title, "The Same-Sign Dilepton Signature of RPV/MFV SUSY");
    }

    #[test]
    fn maps_every_recorded_error_answer() {
        for (file, code) in [
            ("ErrorResponseBadArgument.xml", "badArgument"),
            ("ErrorResponseBadResumptionToken.xml", "badResumptionToken"),
            ("ErrorResponseBadVerb.xml", "badVerb"),
            ("ErrorResponseIdDoesNotExist.xml", "idDoesNotExist"),
            ("ErrorResponseNoRecordsMatch.xml", "noRecordsMatch"),
        ] {
            let err = parse_response(&shared_fixture(file), MetadataFormat::ArxivRaw).unwrap_err();
            match &err {
                OaiError::Protocol { code: c, message } => {
                    assert_eq!(c, code, "{file}");
                    assert!(!message.is_empty(), "{file}");
                }
                other => panic!("{file}: {other:?}"),
            }
            assert_eq!(err.is_no_records_match(), code == "noRecordsMatch", "{file}");
        }
        let err =
            parse_response(&shared_fixture("ErrorResponseNoRecordsMatch.xml"), MetadataFormat::ArxivRaw)
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the OAI-PMH repository answered with error `noRecordsMatch`: \
             Set argument doesn't match any sets. The setSpec was 'moo'"
        );
    }

    #[test]
    fn salvages_the_records_before_a_cut_in_the_fourth_record() {
        let full = shared_fixture("ListRecordsResponse.xml");
        // Inside the fourth record's abstract.
        let cut = offset_of(&full, "The existence and stability", 0) + 10;
        let err = parse_response(&full[..cut], MetadataFormat::ArxivRaw).unwrap_err();
        let message = err.to_string();
        let OaiError::Malformed { position, last_complete, salvaged, message: why } = err else {
            panic!("{err:?}")
        };
        assert_eq!(position, cut as u64);
        assert_eq!(last_complete.as_deref(), Some("oai:arXiv.org:0704.0874"));
        assert_eq!(salvaged.len(), 3);
        assert!(salvaged.iter().all(|r| matches!(r.body, RecordBody::Paper(_))));
        assert!(why.contains("<abstract>"), "{why}");
        assert_eq!(
            message,
            format!(
                "the OAI-PMH response is cut off after record oai:arXiv.org:0704.0874 \
                 (byte {cut}; 3 complete records before it): the document ends inside <abstract>"
            )
        );
    }

    #[test]
    fn salvages_the_records_before_a_cut_inside_a_tag() {
        let full = shared_fixture("ListRecordsResponse.xml");
        // In the middle of the fifth record's `<journal-ref>` start tag.
        let cut = offset_of(&full, "<journal-ref>", 4) + 6;
        let err = parse_response(&full[..cut], MetadataFormat::ArxivRaw).unwrap_err();
        let OaiError::Malformed { last_complete, salvaged, .. } = err else { panic!("{err:?}") };
        assert_eq!(last_complete.as_deref(), Some("oai:arXiv.org:0704.1109"));
        assert_eq!(salvaged.len(), 4);
    }

    #[test]
    fn a_cut_before_the_resumption_token_is_not_the_end_of_the_list() {
        let full = shared_fixture("ListRecordsResponse.xml");
        let cut = offset_of(&full, "<resumptionToken", 0) + 30;
        let err = parse_response(&full[..cut], MetadataFormat::ArxivRaw).unwrap_err();
        let OaiError::Malformed { salvaged, .. } = err else { panic!("{err:?}") };
        assert_eq!(salvaged.len(), 6);
    }

    #[test]
    fn rejects_garbage_and_foreign_documents() {
        for garbage in [&b""[..], b"\x00\xff\xfe garbage", b"Service Unavailable", b"<OAI-PMH"] {
            let err = parse_response(garbage, MetadataFormat::ArxivRaw).unwrap_err();
            let OaiError::Malformed { last_complete, salvaged, .. } = &err else { panic!("{err:?}") };
            assert!(last_complete.is_none() && salvaged.is_empty());
            assert!(err.to_string().contains("before its first complete record"), "{err}");
        }
        let err = parse_response(b"<html><body>Busy</body></html>", MetadataFormat::ArxivRaw).unwrap_err();
        assert!(matches!(&err, OaiError::NotOaiPmh(why) if why.contains("<html>")), "{err:?}");
        let err = parse_response(
            b"<OAI-PMH><Identify><repositoryName>arXiv</repositoryName></Identify></OAI-PMH>",
            MetadataFormat::ArxivRaw,
        )
        .unwrap_err();
        assert!(matches!(err, OaiError::NotOaiPmh(_)), "{err:?}");
    }

    #[test]
    fn reads_the_last_page() {
        let page = parse_response(&local_fixture("oai-last-page.xml"), MetadataFormat::ArxivRaw).unwrap();
        assert_eq!(page.resumption_token, None);
        assert_eq!(page.records.len(), 2);
        let p = paper(&page.records[0]).clone().validate().unwrap();
        assert_eq!(p.id.as_str(), "2503.11731");
        assert_eq!(p.version, Some(2));
        assert_eq!(p.published_at, utc("2025-03-14T17:59:00Z"));
        assert_eq!(p.updated_at, utc("2025-03-20T09:12:45Z"));
        assert!(p.summary.contains("\"quoted\" words, $x^2$ math, & an ampersand"));
        assert_eq!(p.authors, ["Ada Example", "Bob Sample", "Carol Placeholder"]);
        let p = paper(&page.records[1]).clone().validate().unwrap();
        assert_eq!(p.id.as_str(), "2503.12002");
        assert_eq!(p.version, Some(1));
        assert_eq!(p.published_at, utc("2025-03-17T13:30:00Z"));
        assert_eq!(p.updated_at, p.published_at);
    }

    #[test]
    fn reads_deleted_and_unreadable_records() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2025-03-21T10:00:00Z</responseDate>
<request verb="ListRecords" metadataPrefix="arXivRaw">http://export.arxiv.org/oai2</request>
<ListRecords>
<record><header status="deleted"><identifier>oai:arXiv.org:2503.00001</identifier><datestamp>2025-03-20</datestamp></header></record>
<record><header><identifier>oai:arXiv.org:2503.00002</identifier><datestamp>2025-03-20</datestamp></header></record>
<record><header><identifier>oai:arXiv.org:2503.00003</identifier><datestamp>2025-03-20</datestamp></header><metadata><arXivRaw><id>2503.00003</id><version version="v1"><date>yesterday</date></version></arXivRaw></metadata></record>
<record><header><identifier>oai:arXiv.org:2503.00004</identifier><datestamp>2025-03-20</datestamp></header><metadata><arXiv><id>2503.00004</id></arXiv></metadata></record>
<record><header><identifier>oai:arXiv.org:2503.00005</identifier><datestamp>2025-03-20</datestamp></header><metadata><arXivRaw><id>2503.00005</id><version version="first"><date>Mon, 17 Mar 2025 10:00:00 GMT</date></version></arXivRaw></metadata></record>
<resumptionToken cursor="5" completeListSize="5"/>
</ListRecords>
</OAI-PMH>"#;
        let page = parse_response(xml, MetadataFormat::ArxivRaw).unwrap();
        assert_eq!(page.resumption_token, None);
        assert!(matches!(page.records[0].body, RecordBody::Deleted));
        assert_eq!(page.records[0].identifier, "oai:arXiv.org:2503.00001");
        let why: Vec<&str> = page.records[1..]
            .iter()
            .map(|r| match &r.body {
                RecordBody::Unreadable(why) => why.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(why[0].contains("no <metadata>"), "{}", why[0]);
        assert!(why[1].contains("`yesterday` of version v1"), "{}", why[1]);
        assert!(why[2].contains("holds <arXiv>, not <arXivRaw>"), "{}", why[2]);
        assert!(why[3].contains("version `first`"), "{}", why[3]);
    }

    #[test]
    fn reads_the_arxiv_format() {
        let page = parse_response(&local_fixture("oai-arxiv-format.xml"), MetadataFormat::Arxiv).unwrap();
        assert_eq!(
            page.resumption_token,
            Some(ResumptionToken {
                token: "8112351|1001".into(),
                cursor: Some(0),
                complete_list_size: Some(5),
            })
        );
        assert_eq!(page.records.len(), 3);
        let first = paper(&page.records[0]);
        assert_eq!(first.version, None);
        assert_eq!(first.submitter, None);
        let p = first.clone().validate().unwrap();
        assert_eq!(p.id.as_str(), "0704.0471");
        assert_eq!(p.authors, ["D. V. Shetty", "S. J. Yennello", "G. A. Souliotis"]);
        assert_eq!(p.categories, ["nucl-ex", "nucl-th"]);
        assert_eq!(p.published_at, utc("2007-04-03T00:00:00Z"));
        assert_eq!(p.updated_at, utc("2007-05-01T00:00:00Z"));
        assert_eq!(p.doi.as_deref(), Some("10.1103/PhysRevC.76.024606"));
        assert!(p.summary.contains("\"stiff\" and \"soft\""), "{}", p.summary);

        let second = &page.records[1];
        assert_eq!(second.identifier, "oai:arXiv.org:hep-th/9901001");
        let p = paper(second).clone().validate().unwrap();
        assert_eq!(p.id.as_str(), "hep-th/9901001");
        assert_eq!(p.authors, ["John Q. Doe Jr", "The Example Collaboration"]);
        assert_eq!(p.published_at, utc("1999-01-04T00:00:00Z"));
        assert_eq!(p.updated_at, p.published_at);

        assert!(matches!(page.records[2].body, RecordBody::Deleted));
    }

    #[test]
    fn the_format_must_match_the_request() {
        let page = parse_response(&local_fixture("oai-arxiv-format.xml"), MetadataFormat::ArxivRaw).unwrap();
        assert!(
            page.records[..2].iter().all(|r| matches!(r.body, RecordBody::Unreadable(_))),
            "{:?}",
            page.records
        );
    }

    #[test]
    fn parses_and_prints_format_names() {
        for (text, format) in [
            ("arXivRaw", MetadataFormat::ArxivRaw),
            ("arxivraw", MetadataFormat::ArxivRaw),
            ("arXiv", MetadataFormat::Arxiv),
            ("arxiv", MetadataFormat::Arxiv),
        ] {
            assert_eq!(text.parse::<MetadataFormat>(), Ok(format));
        }
        assert!("oai_dc".parse::<MetadataFormat>().is_err());
        assert_eq!(MetadataFormat::default().prefix(), "arXivRaw");
        assert_eq!(MetadataFormat::Arxiv.to_string(), "arXiv");
    }
}
