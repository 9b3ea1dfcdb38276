//! The keyword index end to end: a real tantivy index in memory or in a temporary directory.

#![allow(clippy::unwrap_used)]

use std::sync::LazyLock;

use chrono::NaiveDate;
use paperboy_search::{IndexDoc, SearchError, SearchIndex, parse};
use proptest::prelude::*;

fn doc(id: &str, title: &str, summary: &str, authors: &[&str], categories: &[&str], day: &str) -> IndexDoc {
    IndexDoc {
        id: id.into(),
        title: title.into(),
        summary: summary.into(),
        authors: authors.iter().map(|a| (*a).into()).collect(),
        categories: categories.iter().map(|c| (*c).into()).collect(),
        day: Some(day.parse::<NaiveDate>().unwrap()),
    }
}

fn corpus() -> Vec<IndexDoc> {
    vec![
        doc(
            "2503.00001",
            "Sparse attention for long context language models",
            "We study sparse attention patterns that let transformers read long documents.",
            &["Tri Dao", "Albert Gu"],
            &["cs.CL", "cs.LG"],
            "2025-03-03",
        ),
        doc(
            "2503.00002",
            "Graph neural networks for molecules",
            "Message passing networks predict molecular properties; attention is not needed.",
            &["Jure Leskovec"],
            &["cs.LG", "q-bio.BM"],
            "2025-03-10",
        ),
        doc(
            "2504.00003",
            "A survey of attention mechanisms",
            "This survey covers attention in vision and language, including <script>alert(1)</script>.",
            &["Geoffrey E. Hinton"],
            &["cs.CV"],
            "2025-04-01",
        ),
        doc(
            "2504.00004",
            "Dark matter halos in dwarf galaxies",
            "Observations of rotation curves constrain dark matter profiles.",
            &["Vera Rubin"],
            &["astro-ph.GA"],
            "2025-04-15",
        ),
    ]
}

fn index_of(docs: &[IndexDoc]) -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    let mut writer = index.writer(1).unwrap();
    for doc in docs {
        writer.upsert(doc).unwrap();
    }
    writer.commit(docs.len() as i64).unwrap();
    index.refresh().unwrap();
    index
}

fn ids(index: &SearchIndex, query: &str) -> Vec<String> {
    index.search(&parse(query), 0, 10).unwrap().hits.into_iter().map(|h| h.id).collect()
}

#[test]
fn words_are_stemmed_and_ranked_with_titles_first() {
    let index = index_of(&corpus());
    assert_eq!(ids(&index, "networks"), ["2503.00002"]);
    assert_eq!(ids(&index, "network"), ["2503.00002"]);
    let attention = ids(&index, "attention");
    assert_eq!(attention.len(), 3);
    assert_ne!(attention[2], "2503.00001", "a title match outranks an abstract-only match: {attention:?}");
    assert_eq!(attention[2], "2503.00002");
    assert_eq!(index.search(&parse("attention"), 0, 1).unwrap().total, 3);
}

#[test]
fn top_ranks_as_search_does_without_counting_every_match() {
    let index = index_of(&corpus());
    let page_ids =
        |ranking: paperboy_search::Ranking| ranking.hits.into_iter().map(|hit| hit.id).collect::<Vec<_>>();
    for query in ["attention", r#""long context""#, "attention cat:cs.lg", "cat:cs", "atention"] {
        let counted = index.search(&parse(query), 1, 2).unwrap();
        let top = index.top(&parse(query), 1, 2).unwrap();
        assert_eq!(top.total, 1 + top.hits.len(), "{query}: the offset and the hits");
        assert_eq!(top.corrected, counted.corrected, "{query}");
        assert_eq!(page_ids(top), page_ids(counted), "{query}");
    }
}

#[test]
fn phrases_authors_categories_dates_and_exclusions() {
    let index = index_of(&corpus());
    assert_eq!(ids(&index, r#""long context""#), ["2503.00001"]);
    assert!(ids(&index, r#""context long""#).is_empty());
    assert_eq!(ids(&index, r#"attention author:"Geoffrey Hinton""#), ["2504.00003"]);
    assert_eq!(ids(&index, "author:dao"), ["2503.00001"]);
    let mut in_cs_lg = ids(&index, "attention cat:cs.lg");
    in_cs_lg.sort();
    assert_eq!(in_cs_lg, ["2503.00001", "2503.00002"]);
    assert_eq!(ids(&index, "cat:astro-ph"), ["2504.00004"]);
    assert_eq!(ids(&index, "attention date:2025-04"), ["2504.00003"]);
    assert_eq!(ids(&index, "attention -survey -molecules"), ["2503.00001"]);
}

#[test]
fn filters_alone_list_the_newest_first() {
    let index = index_of(&corpus());
    assert_eq!(ids(&index, "cat:cs"), ["2504.00003", "2503.00002", "2503.00001"]);
    assert_eq!(ids(&index, "date:2025-04-10.."), ["2504.00004"]);
    assert!(ids(&index, "").is_empty());
    assert_eq!(ids(&index, "-attention"), ["2504.00004"]);
}

#[test]
fn short_queries_tolerate_typos() {
    let index = index_of(&corpus());
    // Two letters swapped, one dropped, two edits in a long word.
    assert_eq!(ids(&index, "molceules"), ["2503.00002"]);
    assert_eq!(ids(&index, "galxies"), ["2504.00004"]);
    assert_eq!(ids(&index, "trasnformrs"), ["2503.00001"]);
    let ranking = index.search(&parse("sparse atention"), 0, 10).unwrap();
    assert_eq!(ranking.corrected, ["atention"]);
    assert_eq!(ranking.total, 3, "the corrected word counts as the word");
    // The corrected word is marked where it was found.
    let marked = index.highlight(&parse("atention"), &["2504.00003".into()]).unwrap();
    assert_eq!(marked[0].title_html, "A survey of <mark>attention</mark> mechanisms");
    // Known words, surnames, short words and long queries are taken as typed.
    assert!(index.search(&parse("attention"), 0, 10).unwrap().corrected.is_empty());
    assert!(index.search(&parse("leskovec"), 0, 10).unwrap().corrected.is_empty());
    assert!(ids(&index, "dak").is_empty());
    assert!(ids(&index, "one two three four molceules").is_empty());
    assert!(ids(&index, "zzzzzzzz").is_empty());
}

#[test]
fn highlights_mark_matches_and_escape_html() {
    let index = index_of(&corpus());
    let query = parse("attention survey");
    let highlights =
        index.highlight(&query, &["2504.00003".into(), "2504.00004".into(), "nope".into()]).unwrap();
    assert_eq!(highlights.len(), 2);
    assert_eq!(highlights[0].title_html, "A <mark>survey</mark> of <mark>attention</mark> mechanisms");
    // A title is shown whole, even past its last match; excluded words are not marked.
    let ending = index.highlight(&parse("attention -language"), &["2503.00001".into()]).unwrap();
    assert_eq!(ending[0].title_html, "Sparse <mark>attention</mark> for long context language models");
    assert!(highlights[0].snippet_html.contains("&lt;script&gt;"), "{}", highlights[0].snippet_html);
    assert!(!highlights[0].snippet_html.contains("<script>"));
    // No match in the abstract: it is shown from the start, unmarked.
    assert_eq!(highlights[1].snippet_html, "Observations of rotation curves constrain dark matter profiles.");
}

#[test]
fn a_kept_ranking_gives_way_to_the_next_commit() {
    let docs = corpus();
    let index = index_of(&docs);
    assert_eq!(ids(&index, "attention").len(), 3);
    assert_eq!(ids(&index, "attention").len(), 3, "asked again: the kept ranking");
    let mut writer = index.writer(1).unwrap();
    writer
        .upsert(&doc("2504.00009", "Attention everywhere", "More attention.", &[], &["cs.LG"], "2025-04-21"))
        .unwrap();
    writer.commit(docs.len() as i64 + 1).unwrap();
    index.refresh().unwrap();
    assert_eq!(ids(&index, "attention")[0], "2504.00009");
    assert_eq!(index.search(&parse("attention"), 0, 1).unwrap().total, 4);
}

#[test]
fn upsert_replaces_and_similar_finds_neighbours() {
    let mut docs = corpus();
    docs.push(doc(
        "2504.00005",
        "Attention sinks in long context transformers",
        "Long documents make attention collapse onto the first tokens of transformers.",
        &[],
        &["cs.CL"],
        "2025-04-20",
    ));
    let index = index_of(&docs);
    let similar = index.similar("2503.00001", 2).unwrap();
    assert_eq!(similar[0].id, "2504.00005", "{similar:?}");
    assert!(similar.iter().all(|r| r.id != "2503.00001"));
    assert!(index.similar("9999.99999", 3).unwrap().is_empty());

    let mut writer = index.writer(1).unwrap();
    let mut renamed = docs[3].clone();
    renamed.title = "Cold dark matter simulations".into();
    writer.upsert(&renamed).unwrap();
    writer.commit(99).unwrap();
    index.refresh().unwrap();
    assert_eq!(index.len(), 5);
    assert_eq!(ids(&index, "simulations"), ["2504.00004"]);
    assert!(ids(&index, "halos").is_empty());
    assert_eq!(index.cursor().unwrap(), 99);
}

/// Regression: "more like this" weighed a term by live documents against a document frequency
/// that counts replaced ones too, and tantivy asserts the one is at least the other: a paper
/// re-indexed a few times (its full text arrived, its links changed) made its page fail.
#[test]
fn similar_survives_papers_replaced_until_deleted_copies_outnumber_live_ones() {
    let docs: Vec<IndexDoc> = (0..6)
        .map(|n| {
            let id = format!("2505.0000{n}");
            let title = format!("Paper {n} on sparse transformers");
            doc(&id, &title, "Sparse transformers attend to few tokens.", &[], &["cs.CL"], "2025-05-01")
        })
        .collect();
    let index = index_of(&docs);
    // Five of the six replaced: the first segment keeps one live paper and five deleted ones.
    let mut writer = index.writer(1).unwrap();
    writer.pause_merging();
    for (n, doc) in docs[..5].iter().enumerate() {
        writer.upsert(doc).unwrap();
        writer.commit(10 + n as i64).unwrap();
    }
    index.refresh().unwrap();
    assert_eq!(index.len(), docs.len() as u64);
    for doc in &docs {
        let similar = index.similar(&doc.id, 3).unwrap();
        assert!(similar.iter().all(|r| r.id != doc.id));
    }
}

#[test]
fn merging_segments_keeps_every_paper_and_every_replacement() {
    let index = SearchIndex::in_memory().unwrap();
    let mut writer = index.writer(1).unwrap();
    writer.pause_merging();
    for (n, doc) in corpus().iter().enumerate() {
        writer.upsert(doc).unwrap();
        writer.commit(n as i64).unwrap();
    }
    let mut renamed = corpus()[3].clone();
    renamed.title = "Cold dark matter in dwarf galaxies".into();
    writer.upsert(&renamed).unwrap();
    writer.commit(9).unwrap();
    index.refresh().unwrap();
    assert_eq!(index.segments(), 4, "nothing merged while paused");

    writer.merge_segments().unwrap();
    index.refresh().unwrap();
    assert_eq!((index.segments(), index.len(), index.cursor().unwrap()), (1, 4, 9));
    assert_eq!(ids(&index, "cold"), ["2504.00004"]);
    assert_eq!(ids(&index, "attention").len(), 3);
}

#[test]
fn one_writer_per_directory_and_the_cursor_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(index.cursor().unwrap(), 0);
    let mut writer = index.writer(1).unwrap();
    writer.upsert(&corpus()[0]).unwrap();
    writer.commit(7).unwrap();

    let second = SearchIndex::open(dir.path()).unwrap();
    assert!(matches!(second.writer(1), Err(SearchError::Locked(_))));
    drop(writer);
    assert_eq!(second.cursor().unwrap(), 7);
    assert_eq!(second.len(), 1);
    second.writer(1).unwrap();
}

#[test]
fn hostile_queries_return_results_or_nothing_never_errors() {
    let index = index_of(&corpus());
    let long = "attention ".repeat(1_000);
    for query in [
        "",
        "   ",
        "the of and a",
        "\"unbalanced",
        "(((attention",
        "attention)))",
        "author:",
        "cat:",
        "date:",
        "date:2025-99",
        "date:2026..2025",
        "\u{0}\u{7}attention\u{1b}[31m",
        "🚀🔥 attention 🤖",
        "注意力机制 transformer",
        "آلية الانتباه",
        "*",
        "?",
        "~",
        "^2",
        "attention^2",
        "-",
        "--",
        "-\"\"",
        "AND OR NOT",
        "a:b:c:d",
        &long,
    ] {
        let parsed = parse(query);
        index.search(&parsed, 0, 10).unwrap();
        index.search(&parsed, 1_000_000, 10).unwrap();
        index.highlight(&parsed, &["2503.00001".into()]).unwrap();
    }
}

#[test]
fn a_phrase_excluded_where_it_never_occurs_is_a_query() {
    let index = index_of(&corpus());
    for query in ["1(a -1-1 ", "graph -\"no such phrase\"", "-1-1"] {
        let parsed = parse(query);
        assert!(index.search(&parsed, 0, 10).is_ok(), "{query}");
        assert!(index.highlight(&parsed, &["2503.00001".into()]).is_ok(), "{query}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn any_string_is_a_query(query in "\\PC{0,80}|[-\"():a-z0-9 .]{0,40}") {
        static INDEX: LazyLock<SearchIndex> = LazyLock::new(|| index_of(&corpus()));
        let index = &*INDEX;
        let parsed = parse(&query);
        prop_assert!(index.search(&parsed, 0, 10).is_ok());
        prop_assert!(index.highlight(&parsed, &["2503.00001".into()]).is_ok());
    }
}
