//! Searching full texts end to end: papers and their passages in a real tantivy index, in
//! memory or in a temporary directory.

#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use paperboy_search::{IndexDoc, IndexPassage, ParsedQuery, SearchIndex, Writer, parse};

fn paper(id: &str, title: &str, authors: &[&str], category: &str, day: &str) -> IndexDoc {
    IndexDoc {
        id: id.into(),
        title: title.into(),
        summary: format!("The abstract of {title}."),
        authors: authors.iter().map(|a| (*a).into()).collect(),
        categories: vec![category.into()],
        day: Some(day.parse::<NaiveDate>().unwrap()),
    }
}

fn passage(anchor: &str, section: &str, text: &str) -> IndexPassage {
    IndexPassage { anchor: anchor.into(), section: section.into(), text: text.into() }
}

/// Three papers: two with full texts that speak of backdoors in their bodies (never in their
/// abstracts), one without a full text.
fn fill(writer: &mut Writer) {
    writer.upsert(&paper("2601.00001", "Sleeper agents", &["Evan Hubinger"], "cs.CL", "2026-01-05")).unwrap();
    writer
        .upsert(&paper("2601.00002", "Data poisoning at scale", &["Nicholas Carlini"], "cs.CR", "2026-01-20"))
        .unwrap();
    writer
        .upsert(&paper("2601.00003", "Backdoors in abstracts only", &["Ann Other"], "cs.CL", "2026-01-21"))
        .unwrap();
    writer
        .replace_passages(
            "2601.00001",
            &[
                passage("abstract", "Abstract", "We train deceptive models."),
                passage(
                    "S3",
                    "3 Method",
                    "A backdoor trigger makes the model write vulnerable code. The trigger is a year.",
                ),
                passage(
                    "S4.SS1",
                    "4.1 Results",
                    "Safety training does not remove the backdoor; backdoors persist.",
                ),
                passage("S5", "5 Related work", "Backdoor attacks on classifiers were studied before."),
            ],
        )
        .unwrap();
    writer
        .replace_passages(
            "2601.00002",
            &[
                passage("abstract", "Abstract", "Poisoning web-scale datasets is practical."),
                passage("S2", "2 Threat model", "An attacker plants a backdoor in a small fraction of the data, which we call <poison> & co."),
            ],
        )
        .unwrap();
}

fn index() -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    let mut writer = index.writer(1).unwrap();
    fill(&mut writer);
    writer.commit(3).unwrap();
    index.refresh().unwrap();
    index
}

fn ids(index: &SearchIndex, query: &str) -> Vec<String> {
    index.search_passages(&parse(query), 0, 10).unwrap().hits.into_iter().map(|h| h.id).collect()
}

#[test]
fn papers_rank_by_their_best_passage_and_count_once() {
    let index = index();
    assert_eq!(index.passage_count(), 6);
    let ranking = index.search_passages(&parse("backdoor trigger"), 0, 10).unwrap();
    let found: Vec<&str> = ranking.hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(found, ["2601.00001", "2601.00002"], "the passage with both words wins");
    assert_eq!(ranking.total, 2, "three matching passages of one paper count once");
    assert!(ranking.hits[0].score > ranking.hits[1].score);
    assert_eq!(ids(&index, "vulnerable"), ["2601.00001"]);
    assert!(ids(&index, "abstracts only").is_empty(), "a paper's title and abstract are not its full text");
    assert!(ids(&index, "the of").is_empty() && ids(&index, "cat:cs.CL").is_empty(), "no words, nothing");

    let second_page = index.search_passages(&parse("backdoor"), 1, 1).unwrap();
    assert_eq!((second_page.hits.len(), second_page.total), (1, 2));
}

#[test]
fn phrases_exclusions_and_the_papers_filters() {
    let index = index();
    assert_eq!(ids(&index, r#""safety training" backdoor"#), ["2601.00001"]);
    assert!(ids(&index, r#""training safety""#).is_empty());
    assert_eq!(
        ids(&index, "backdoor -poisoning"),
        ["2601.00001"],
        "any passage with the word excludes the paper"
    );
    assert_eq!(ids(&index, "backdoor cat:cs.CR"), ["2601.00002"]);
    assert_eq!(ids(&index, "backdoor author:Hubinger"), ["2601.00001"]);
    assert_eq!(ids(&index, "backdoor date:2026-01-10.."), ["2601.00002"]);
    assert!(ids(&index, "backdoor date:2025").is_empty());
    assert_eq!(
        ids(&index, "backdoor trigger"),
        ids(&index, "backdoor trigger date:2000.."),
        "scoring every match ranks as the pruned search does"
    );
}

#[test]
fn the_best_passage_says_where_it_is_and_marks_the_words_safely() {
    let index = index();
    let query = parse("poisoned backdoor");
    let best = index
        .best_passages(&query, &["2601.00002".into(), "2601.00003".into(), "2601.00001".into()])
        .unwrap();
    assert_eq!(best.len(), 2, "a paper without a matching passage has none: {best:?}");
    assert_eq!(
        (best[0].id.as_str(), best[0].anchor.as_str(), best[0].section.as_str()),
        ("2601.00002", "S2", "2 Threat model")
    );
    assert!(best[0].snippet_html.contains("<mark>backdoor</mark>"), "{}", best[0].snippet_html);
    assert!(
        best[0].snippet_html.contains("&lt;<mark>poison</mark>&gt; &amp; co"),
        "{}",
        best[0].snippet_html
    );
    assert!(best[0].text.contains("<poison> & co") && !best[0].text.contains("<mark>"));
    assert_eq!(best[1].anchor, "S4.SS1", "the passage that says \"backdoor\" most");
}

#[test]
fn replacing_a_papers_passages_drops_the_old_ones() {
    let index = index();
    let mut writer = index.writer(1).unwrap();
    writer
        .replace_passages("2601.00001", &[passage("S1", "1 Introduction", "A new version about kernels.")])
        .unwrap();
    writer.replace_passages("2601.00002", &[]).unwrap();
    writer.commit(5).unwrap();
    index.refresh().unwrap();
    assert!(ids(&index, "backdoor").is_empty());
    assert_eq!(ids(&index, "kernels"), ["2601.00001"]);
    assert_eq!(index.passage_count(), 1);
}

#[test]
fn passages_keep_their_own_cursor_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!((index.cursor().unwrap(), index.passages_cursor().unwrap()), (0, 0));
    let mut writer = index.writer(1).unwrap();
    fill(&mut writer);
    writer.commit(9).unwrap();
    drop(writer);

    let reopened = SearchIndex::open(dir.path()).unwrap();
    assert_eq!((reopened.cursor().unwrap(), reopened.passages_cursor().unwrap()), (9, 9));
    assert_eq!(reopened.passage_count(), 6);
    assert_eq!(reopened.search_passages(&parse("backdoor"), 0, 10).unwrap().total, 2);

    // An index made before passages were indexed: its papers are there, its passages are new.
    std::fs::remove_dir_all(dir.path().join("passages")).unwrap();
    let upgraded = SearchIndex::open(dir.path()).unwrap();
    assert_eq!((upgraded.cursor().unwrap(), upgraded.passages_cursor().unwrap()), (9, 0));
    assert_eq!((upgraded.len(), upgraded.passage_count()), (3, 0));
}

#[test]
fn bulk_loads_merge_passages_too_and_clear_empties_both() {
    let index = SearchIndex::in_memory().unwrap();
    let mut writer = index.writer(1).unwrap();
    writer.pause_merging();
    for n in 0..5 {
        let id = format!("2602.{n:05}");
        writer.upsert(&paper(&id, "A paper", &["A. Author"], "cs.LG", "2026-02-01")).unwrap();
        writer
            .replace_passages(&id, &[passage("S1", "1 Introduction", &format!("word{n} shared text"))])
            .unwrap();
        writer.commit(n).unwrap();
    }
    index.refresh().unwrap();
    assert_eq!(index.search_passages(&parse("shared"), 0, 10).unwrap().total, 5, "over five segments");
    writer.merge_segments().unwrap();
    index.refresh().unwrap();
    assert_eq!(index.search_passages(&parse("shared"), 0, 10).unwrap().total, 5, "in one");
    assert_eq!(ids(&index, "word3"), ["2602.00003"]);

    writer.clear().unwrap();
    writer.commit(6).unwrap();
    index.refresh().unwrap();
    assert_eq!((index.len(), index.passage_count()), (0, 0));
}

#[test]
fn hostile_queries_find_nothing_or_something_never_fail() {
    let index = index();
    for query in
        ["", "\"", "-", "-backdoor", "in:fulltext", "((((", "🦀", &"backdoor ".repeat(400), "\"\u{0}\""]
    {
        let parsed: ParsedQuery = parse(query);
        index.search_passages(&parsed, 0, 10).unwrap();
        index.best_passages(&parsed, &["2601.00001".into()]).unwrap();
    }
}
