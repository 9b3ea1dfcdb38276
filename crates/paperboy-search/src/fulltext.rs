//! The full-text index: the passages of papers' full texts (a section, or a few of its
//! paragraphs, each; see `paperboy_fulltext::passages`), one tantivy document each, in an index
//! of their own beside the papers' index.
//!
//! Apart, the two indexes cannot slow each other down: a search of titles and abstracts never
//! visits a passage, and a paper's passages are replaced without touching its abstract. A paper
//! is ranked by its best passage (BM25 over passages, whose lengths BM25 compares with other
//! passages, not with whole papers). A query of words and phrases alone takes the best passages
//! as tantivy finds them without scoring every match (block-max WAND), widening the net until it
//! holds enough papers, and counts the matching papers without scoring; one with filters or
//! exclusions scores every match with [`BestPerPaper`], which reads each matching passage's paper
//! from a fast field and keeps the best score per paper. Either way every matching paper is
//! counted once, whatever the number of its matching passages.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector, TopDocs};
use tantivy::columnar::StrColumn;
use tantivy::directory::MmapDirectory;
use tantivy::indexer::UserOperation;
use tantivy::query::{BooleanQuery, EmptyQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{
    DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentOrdinal, SegmentReader,
    TantivyDocument, Term,
};

use crate::analysis::{TEXT_ANALYZER, register_analyzers};
use crate::index::{SearchError, first_str, snippet_generator, text_query};
use crate::query::ParsedQuery;

/// Bumped whenever the passages' schema or analysis changes; an index of another version is
/// rebuilt from the catalog.
pub const PASSAGES_SCHEMA_VERSION: u32 = 1;
/// Characters of passage shown around the matches.
pub const PASSAGE_SNIPPET_CHARS: usize = 320;
/// Memory the passages' writer may use per thread before it flushes a segment.
const WRITER_MEMORY: usize = 64 << 20;
/// The fast field that names a passage's paper.
const PAPER: &str = "paper";

/// A passage as the index takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexPassage {
    /// The anchor of its section in the reading view (`S3.SS1`, `abstract`).
    pub anchor: String,
    /// Its section as printed: `3.1 Finetuning`.
    pub section: String,
    pub text: String,
}

/// The passage of a paper that matches a query best, with its matches marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BestPassage {
    /// The paper's id.
    pub id: String,
    pub anchor: String,
    pub section: String,
    /// A stretch of the passage around the matches, as plain text.
    pub text: String,
    /// The same stretch, escaped, with the matches in `<mark>`.
    pub snippet_html: String,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    paper: Field,
    anchor: Field,
    section: Field,
    text: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let fields = Fields {
        paper: builder.add_text_field(PAPER, STRING | STORED | FAST),
        anchor: builder.add_text_field("anchor", STORED),
        section: builder.add_text_field("section", STORED),
        text: builder.add_text_field(
            "text",
            TextOptions::default().set_stored().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(TEXT_ANALYZER)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            ),
        ),
    };
    (builder.build(), fields)
}

/// The passages' index, held by [`crate::SearchIndex`].
pub(crate) struct PassageIndex {
    pub(crate) index: Index,
    reader: IndexReader,
    fields: Fields,
}

/// The passages' writer, held by [`crate::Writer`].
pub(crate) struct PassageWriter {
    pub(crate) inner: IndexWriter,
    fields: Fields,
}

impl PassageIndex {
    /// Opens the passages' index in `path`, creating it if needed.
    pub(crate) fn open(path: &std::path::Path) -> Result<PassageIndex, SearchError> {
        std::fs::create_dir_all(path).map_err(|e| SearchError::Directory(path.to_owned(), e))?;
        let directory = MmapDirectory::open(path).map_err(tantivy::TantivyError::from)?;
        let (schema, fields) = schema();
        Self::with_index(Index::open_or_create(directory, schema)?, fields)
    }

    pub(crate) fn in_memory() -> Result<PassageIndex, SearchError> {
        let (schema, fields) = schema();
        Self::with_index(Index::create_in_ram(schema), fields)
    }

    fn with_index(index: Index, fields: Fields) -> Result<PassageIndex, SearchError> {
        register_analyzers(&index);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::OnCommitWithDelay).try_into()?;
        Ok(PassageIndex { index, reader, fields })
    }

    pub(crate) fn writer(&self, threads: usize) -> tantivy::Result<PassageWriter> {
        let inner = self.index.writer_with_num_threads(threads, WRITER_MEMORY * threads)?;
        Ok(PassageWriter { inner, fields: self.fields })
    }

    pub(crate) fn refresh(&self) -> Result<(), SearchError> {
        Ok(self.reader.reload()?)
    }

    /// How many passages are indexed.
    pub(crate) fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Every paper with a passage that matches the query's words and phrases, with the score
    /// of its best passage, less the papers with a passage that has an excluded word. Authors,
    /// categories and dates are the papers' index's business.
    pub(crate) fn papers(&self, query: &ParsedQuery) -> Result<HashMap<String, Score>, SearchError> {
        let searcher = self.reader.searcher();
        let mut best = searcher.search(&*self.build(query), &BestPerPaper { scoring: true })?;
        for excluded in &query.excluded {
            if let Some(excluded) = text_query(&self.index, self.fields.text, excluded, 0) {
                for id in searcher.search(&*excluded, &BestPerPaper { scoring: false })?.into_keys() {
                    best.remove(&id);
                }
            }
        }
        Ok(best)
    }

    /// The best `wanted` papers for the query's words and phrases, by their best passage, best
    /// first, and how many papers match in all (see the module docs).
    pub(crate) fn top_papers(
        &self,
        query: &ParsedQuery,
        wanted: usize,
    ) -> Result<(Vec<(String, Score)>, usize), SearchError> {
        let searcher = self.reader.searcher();
        let built = self.build(query);
        let columns: Vec<StrColumn> =
            searcher.segment_readers().iter().map(paper_column).collect::<tantivy::Result<_>>()?;
        let mut net = wanted.max(1) * 4;
        let mut papers: Vec<(String, Score)> = Vec::new();
        loop {
            let top = searcher.search(&*built, &TopDocs::with_limit(net).order_by_score())?;
            let mut seen = std::collections::HashSet::new();
            papers.clear();
            for (score, address) in &top {
                let column = &columns[address.segment_ord as usize];
                let mut id = String::new();
                let Some(ordinal) = column.ords().first(address.doc_id) else { continue };
                if column.ord_to_str(ordinal, &mut id).map_err(tantivy::TantivyError::from)?
                    && seen.insert(id.clone())
                {
                    papers.push((id, *score));
                }
            }
            if papers.len() >= wanted || top.len() < net {
                break;
            }
            net *= 4;
        }
        let total = searcher.search(&*built, &PaperCount)?;
        Ok((papers, total))
    }

    /// The best passage of each of `ids` for the query, with its matches marked; ids without
    /// a matching passage are left out.
    pub(crate) fn best(&self, query: &ParsedQuery, ids: &[String]) -> Result<Vec<BestPassage>, SearchError> {
        let searcher = self.reader.searcher();
        let wanted = self.build(query);
        let generator = snippet_generator(&searcher, &*wanted, self.fields.text, PASSAGE_SNIPPET_CHARS)?;
        let mut best = Vec::with_capacity(ids.len());
        for id in ids {
            let of_paper =
                TermQuery::new(Term::from_field_text(self.fields.paper, id), IndexRecordOption::Basic);
            let query = BooleanQuery::new(vec![
                (Occur::Must, Box::new(of_paper) as Box<dyn Query>),
                (Occur::Must, wanted.box_clone()),
            ]);
            let Some((_, address)) =
                searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?.into_iter().next()
            else {
                continue;
            };
            let doc: TantivyDocument = searcher.doc(address)?;
            let mut snippet = generator.snippet_from_doc(&doc);
            snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
            best.push(BestPassage {
                id: id.clone(),
                anchor: first_str(&doc, self.fields.anchor).to_owned(),
                section: first_str(&doc, self.fields.section).to_owned(),
                text: snippet.fragment().to_owned(),
                snippet_html: snippet.to_html(),
            });
        }
        Ok(best)
    }

    /// The query's words (any may match, each scored) and phrases (each required) in a
    /// passage's text.
    fn build(&self, query: &ParsedQuery) -> Box<dyn Query> {
        let field = self.fields.text;
        let words: Vec<(Occur, Box<dyn Query>)> = query
            .words
            .iter()
            .filter_map(|word| text_query(&self.index, field, word, 0))
            .map(|q| (Occur::Should, q))
            .collect();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = query
            .phrases
            .iter()
            .filter_map(|phrase| text_query(&self.index, field, phrase, 0))
            .map(|q| (Occur::Must, q))
            .collect();
        if clauses.is_empty() && words.is_empty() {
            return Box::new(EmptyQuery);
        }
        if clauses.is_empty() {
            return Box::new(BooleanQuery::new(words));
        }
        if !words.is_empty() {
            clauses.push((Occur::Should, Box::new(BooleanQuery::new(words))));
        }
        Box::new(BooleanQuery::new(clauses))
    }
}

impl PassageWriter {
    /// Replaces the passages of paper `id` with `passages` (none removes them), in one group
    /// of operations: a paper's passages are written to one segment, and merged together, so
    /// a paper is in one segment only ([`PaperCount`] counts on it).
    pub(crate) fn replace(&mut self, id: &str, passages: &[IndexPassage]) -> Result<(), SearchError> {
        let fields = self.fields;
        let mut operations = vec![UserOperation::Delete(Term::from_field_text(fields.paper, id))];
        for passage in passages {
            let mut document = TantivyDocument::default();
            document.add_text(fields.paper, id);
            document.add_text(fields.anchor, &passage.anchor);
            document.add_text(fields.section, &passage.section);
            document.add_text(fields.text, &passage.text);
            operations.push(UserOperation::Add(document));
        }
        self.inner.run(operations)?;
        Ok(())
    }
}

/// Collects every matching paper once, with the score of its best passage (see the module
/// docs), or with no score, only faster, when not `scoring`.
struct BestPerPaper {
    scoring: bool,
}

/// [`BestPerPaper`] in one segment: the best score per paper, by the paper's ordinal in the
/// segment's dictionary of papers.
struct BestInSegment {
    papers: StrColumn,
    best: Vec<Option<Score>>,
}

impl Collector for BestPerPaper {
    type Fruit = HashMap<String, Score>;
    type Child = BestInSegment;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<BestInSegment> {
        let papers = paper_column(segment)?;
        let best = vec![None; papers.num_terms()];
        Ok(BestInSegment { papers, best })
    }

    fn requires_scoring(&self) -> bool {
        self.scoring
    }

    fn merge_fruits(&self, segments: Vec<HashMap<String, Score>>) -> tantivy::Result<HashMap<String, Score>> {
        let mut merged: HashMap<String, Score> = HashMap::new();
        for (id, score) in segments.into_iter().flatten() {
            let best = merged.entry(id).or_insert(score);
            *best = best.max(score);
        }
        Ok(merged)
    }
}

impl SegmentCollector for BestInSegment {
    type Fruit = HashMap<String, Score>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(ordinal) = self.papers.ords().first(doc)
            && let Some(best) = self.best.get_mut(ordinal as usize)
        {
            *best = Some(best.map_or(score, |b| b.max(score)));
        }
    }

    fn harvest(self) -> HashMap<String, Score> {
        // Looking up each ordinal would decode a block of the dictionary each time: read the
        // dictionary once, in order, instead.
        let mut found = HashMap::new();
        let Ok(mut terms) = self.papers.dictionary().stream() else { return found };
        while terms.advance() {
            if let Some(Some(score)) = self.best.get(terms.term_ord() as usize)
                && let Ok(id) = std::str::from_utf8(terms.key())
            {
                found.insert(id.to_owned(), *score);
            }
        }
        found
    }
}

/// Counts the papers with a matching passage, without scoring. A paper's passages are all in
/// one segment (see [`PassageWriter::replace`]), so each segment's count adds up.
struct PaperCount;

/// [`PaperCount`] in one segment: which of the segment's papers matched, by ordinal.
struct PaperCountInSegment {
    papers: StrColumn,
    matched: Vec<bool>,
}

impl Collector for PaperCount {
    type Fruit = usize;
    type Child = PaperCountInSegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<PaperCountInSegment> {
        let papers = paper_column(segment)?;
        let matched = vec![false; papers.num_terms()];
        Ok(PaperCountInSegment { papers, matched })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<usize>) -> tantivy::Result<usize> {
        Ok(segments.into_iter().sum())
    }
}

impl SegmentCollector for PaperCountInSegment {
    type Fruit = usize;

    fn collect(&mut self, doc: DocId, _: Score) {
        if let Some(ordinal) = self.papers.ords().first(doc)
            && let Some(matched) = self.matched.get_mut(ordinal as usize)
        {
            *matched = true;
        }
    }

    fn harvest(self) -> usize {
        self.matched.into_iter().filter(|matched| *matched).count()
    }
}

/// The column of a segment's passages' papers.
fn paper_column(segment: &SegmentReader) -> tantivy::Result<StrColumn> {
    segment
        .fast_fields()
        .str(PAPER)?
        .ok_or_else(|| tantivy::TantivyError::SchemaError(format!("`{PAPER}` is not a fast field")))
}

/// Sorts papers by score, best first, ties by id so that pages are stable.
pub(crate) fn by_score(scores: HashMap<String, Score>) -> Vec<(String, Score)> {
    let mut ranked: Vec<(String, Score)> = scores.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked
}
