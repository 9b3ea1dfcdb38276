//! The keyword index: a tantivy index of titles, abstracts, authors, ids, categories and
//! announce days, searched with BM25 and field boosts, and beside it the passages of papers' full
//! texts (see [`crate::fulltext`]).
//!
//! One process at a time may write an index (tantivy's lock file enforces it, across processes
//! too); any number may read. Every commit records the catalog position it has caught up to
//! (see [`SearchIndex::cursor`]), so whoever writes next knows where to resume.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::directory::error::LockError;
use tantivy::indexer::{LogMergePolicy, NoMergePolicy};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, FuzzyTermQuery, MoreLikeThisQuery,
    Occur, PhraseQuery, Query, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{
    DocAddress, DocSet, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TERMINATED, TantivyDocument,
    Term,
};

use crate::analysis::{NAME_ANALYZER, TEXT_ANALYZER, highlighting_analyzer, register_analyzers};
use crate::fulltext::{
    BestPassage, IndexPassage, PASSAGES_SCHEMA_VERSION, PassageIndex, PassageWriter, by_score,
};
use crate::html::{escape_html, escaped_opening};
use crate::query::ParsedQuery;
use crate::rankings::{RankingKey, Rankings};

/// Bumped whenever the schema or the analysis changes; an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 1;

/// Times a merge of every segment is tried again when background merges got in its way.
const MERGE_ATTEMPTS: usize = 5;
/// Memory the writer may use before it flushes a segment.
const WRITER_MEMORY: usize = 64 << 20;
/// Slop allowed in author names: `"Geoffrey Hinton"` matches `Geoffrey E. Hinton`.
const AUTHOR_SLOP: u32 = 2;
/// Characters of abstract shown around the matches.
pub const SNIPPET_CHARS: usize = 240;
/// Typo tolerance: in a query of at most this many words, a word that no paper contains
/// stands for the indexed words closest to it...
const TYPO_MAX_WORDS: usize = 4;
/// ...when it has at least this many letters (shorter words have too many neighbours)...
const TYPO_MIN_CHARS: usize = 4;
/// ...within one edit (a swap of neighbours counts as one), or two from this many letters...
const TYPO_TWO_EDITS_CHARS: usize = 8;
/// ...and at most this many of them, the most common first.
const TYPO_ALTERNATIVES: usize = 5;

/// Query words that no paper contains, with the indexed terms they are taken to mean.
type Corrections = BTreeMap<String, Vec<String>>;

/// A paper as the index sees it.
#[derive(Debug, Clone, Default)]
pub struct IndexDoc {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    pub day: Option<NaiveDate>,
}

/// How much a match in each field counts; tuned on the SciFact dev set (see BENCHMARKS.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Boosts {
    pub title: f32,
    pub summary: f32,
    /// Title and abstract as one text, so that BM25 sees one document length.
    pub combined: f32,
    pub authors: f32,
}

impl Default for Boosts {
    fn default() -> Self {
        Boosts { title: 0.25, summary: 0.0, combined: 1.0, authors: 1.0 }
    }
}

/// Boosts for finding what to highlight: every text field on its own.
const HIGHLIGHT_BOOSTS: Boosts = Boosts { title: 1.0, summary: 1.0, combined: 0.0, authors: 1.0 };

/// A ranked match.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub id: String,
    pub score: f32,
}

/// Decompressed blocks of stored documents kept per segment (16 kB each, about ten papers):
/// every result's id is read from its stored document, and with tantivy's default of 100 a
/// busy server decompressed the same blocks again and again (11% of the search API's time on
/// the 74.7k sample). 1,024 keep the papers that searches keep finding for 16 MB a segment.
const DOC_STORE_CACHE_BLOCKS: usize = 1_024;

/// One page of keyword results.
#[derive(Debug, Clone, Default)]
pub struct Ranking {
    pub hits: Vec<Ranked>,
    /// How many papers match in all; from [`SearchIndex::top`], only how many were ranked
    /// (the offset and the hits).
    pub total: usize,
    /// Words of the query that no paper contains and that were matched to similar words
    /// (typo tolerance).
    pub corrected: Vec<String>,
}

/// The title and a stretch of abstract with the query's words marked (`<mark>`), as safe HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Highlight {
    pub id: String,
    pub title_html: String,
    pub snippet_html: String,
}

/// Why the index could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("another process is writing the search index in {0} (only one may)")]
    Locked(PathBuf),
    #[error("cannot create the search index directory {0}: {1}")]
    Directory(PathBuf, std::io::Error),
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    summary: Field,
    combined: Field,
    authors: Field,
    category: Field,
    day: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = |analyzer: &str| {
        TextOptions::default().set_stored().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        title: builder.add_text_field("title", text(TEXT_ANALYZER)),
        summary: builder.add_text_field("summary", text(TEXT_ANALYZER)),
        combined: builder.add_text_field(
            "combined",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(TEXT_ANALYZER)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            ),
        ),
        authors: builder.add_text_field("authors", text(NAME_ANALYZER)),
        category: builder.add_text_field("category", STRING),
        day: builder.add_i64_field("day", NumericOptions::default().set_indexed().set_fast()),
    };
    (builder.build(), fields)
}

fn day_number(day: NaiveDate) -> i64 {
    i64::from(day.num_days_from_ce())
}

/// A keyword index, on disk or in memory: the papers, and the passages of their full texts.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    boosts: Boosts,
    path: Option<PathBuf>,
    passages: PassageIndex,
    /// Rankings of recent queries, kept while the searcher is the same; `None` scores every
    /// search afresh.
    rankings: Option<Rankings>,
}

/// The single writer of an index. Changes become visible to searches at [`Writer::commit`].
pub struct Writer {
    inner: IndexWriter,
    fields: Fields,
    passages: PassageWriter,
}

/// What a commit records about the catalog.
#[derive(serde::Serialize, serde::Deserialize)]
struct Payload {
    schema: u32,
    cursor: i64,
}

impl SearchIndex {
    /// Opens the index under `dir`, creating it if needed. Each schema version lives in its own
    /// subdirectory (`v1/`, and `passages/v1/` for the passages), so a new version starts empty
    /// and is filled by whoever writes.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        let path = dir.join(format!("v{SCHEMA_VERSION}"));
        std::fs::create_dir_all(&path).map_err(|e| SearchError::Directory(path.clone(), e))?;
        let directory = MmapDirectory::open(&path).map_err(tantivy::TantivyError::from)?;
        let (schema, fields) = schema();
        let index = Index::open_or_create(directory, schema)?;
        let passages = PassageIndex::open(&dir.join("passages").join(format!("v{PASSAGES_SCHEMA_VERSION}")))?;
        Self::with_index(index, fields, Some(path), passages)
    }

    /// A throwaway index in memory (benchmarks, tests).
    pub fn in_memory() -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema();
        Self::with_index(Index::create_in_ram(schema), fields, None, PassageIndex::in_memory()?)
    }

    fn with_index(
        index: Index,
        fields: Fields,
        path: Option<PathBuf>,
        passages: PassageIndex,
    ) -> Result<SearchIndex, SearchError> {
        register_analyzers(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .doc_store_cache_num_blocks(DOC_STORE_CACHE_BLOCKS)
            .try_into()?;
        let rankings = Some(Rankings::default());
        Ok(SearchIndex { index, reader, fields, boosts: Boosts::default(), path, passages, rankings })
    }

    /// Uses other field boosts (the relevance benchmark tunes them).
    pub fn set_boosts(&mut self, boosts: Boosts) {
        self.boosts = boosts;
        self.keep_rankings(self.rankings.is_some());
    }

    /// Whether rankings of recent queries are kept ([`crate::rankings`]; on by default). A
    /// benchmark that repeats its queries turns it off to time the scoring.
    pub fn keep_rankings(&mut self, keep: bool) {
        self.rankings = keep.then(Rankings::default);
    }

    /// Takes the index's only writer, or says that another process holds it.
    pub fn writer(&self, threads: usize) -> Result<Writer, SearchError> {
        let threads = threads.max(1);
        let inner = self.locked(self.index.writer_with_num_threads(threads, WRITER_MEMORY * threads))?;
        let passages = self.locked(self.passages.writer(threads))?;
        Ok(Writer { inner, fields: self.fields, passages })
    }

    /// A writer, or [`SearchError::Locked`] when another process holds it.
    fn locked<T>(&self, writer: tantivy::Result<T>) -> Result<T, SearchError> {
        match writer {
            Err(tantivy::TantivyError::LockFailure(LockError::LockBusy, _)) => {
                Err(SearchError::Locked(self.path.clone().unwrap_or_default()))
            }
            other => Ok(other?),
        }
    }

    /// The catalog position the last commit of the papers caught up to (0 for a new index).
    pub fn cursor(&self) -> Result<i64, SearchError> {
        cursor_of(&self.index, SCHEMA_VERSION)
    }

    /// The catalog position the last commit of the passages caught up to: behind the papers'
    /// when the passages' index is new.
    pub fn passages_cursor(&self) -> Result<i64, SearchError> {
        cursor_of(&self.passages.index, PASSAGES_SCHEMA_VERSION)
    }

    /// Makes the latest commit visible to searches now rather than after the reload delay.
    pub fn refresh(&self) -> Result<(), SearchError> {
        self.passages.refresh()?;
        Ok(self.reader.reload()?)
    }

    /// How many papers are indexed.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// How many passages of full texts are indexed.
    pub fn passage_count(&self) -> u64 {
        self.passages.len()
    }

    /// Papers by their best passage for the query's words and phrases (see
    /// [`crate::fulltext`]), less those with an excluded word in their full text, kept when
    /// they satisfy the query's authors, categories and dates: the best `limit` after `offset`,
    /// with the total. A query without words or phrases finds nothing.
    pub fn search_passages(
        &self,
        query: &ParsedQuery,
        offset: usize,
        limit: usize,
    ) -> Result<Ranking, SearchError> {
        let filters = ParsedQuery {
            authors: query.authors.clone(),
            categories: query.categories.clone(),
            dates: query.dates,
            ..ParsedQuery::default()
        };
        if filters.is_empty() && query.excluded.is_empty() {
            let (top, total) = self.passages.top_papers(query, offset + limit)?;
            let hits =
                top.into_iter().skip(offset).take(limit).map(|(id, score)| Ranked { id, score }).collect();
            return Ok(Ranking { hits, total, corrected: Vec::new() });
        }
        let mut scores = self.passages.papers(query)?;
        if !filters.is_empty() && !scores.is_empty() {
            let ids: Vec<String> = scores.keys().cloned().collect();
            let keep = self.filter(&filters, &ids)?;
            scores.retain(|id, _| keep.contains(id));
        }
        let ranked = by_score(scores);
        let total = ranked.len();
        let hits =
            ranked.into_iter().skip(offset).take(limit).map(|(id, score)| Ranked { id, score }).collect();
        Ok(Ranking { hits, total, corrected: Vec::new() })
    }

    /// The passage of each of `ids` that matches the query best, with the matches marked.
    /// Ids without a matching passage are left out.
    pub fn best_passages(
        &self,
        query: &ParsedQuery,
        ids: &[String],
    ) -> Result<Vec<BestPassage>, SearchError> {
        self.passages.best(query, ids)
    }

    /// How many segments a search visits (each costs a dictionary lookup per term).
    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The best `limit` matches after skipping `offset`, with the total count. A query of
    /// filters alone lists the newest matching papers first.
    pub fn search(&self, query: &ParsedQuery, offset: usize, limit: usize) -> Result<Ranking, SearchError> {
        self.rank(query, offset, limit, true)
    }

    /// [`SearchIndex::search`] without counting every match, for callers that show no total:
    /// counting visits every document that has any of the words, ranking skips most of them.
    pub fn top(&self, query: &ParsedQuery, offset: usize, limit: usize) -> Result<Ranking, SearchError> {
        self.rank(query, offset, limit, false)
    }

    /// Ranks from the kept rankings ([`crate::rankings`]) when it can.
    fn rank(
        &self,
        query: &ParsedQuery,
        offset: usize,
        limit: usize,
        count: bool,
    ) -> Result<Ranking, SearchError> {
        let searcher = self.reader.searcher();
        let Some(rankings) = &self.rankings else {
            return self.rank_afresh(&searcher, query, offset, limit, count);
        };
        let generation = searcher.generation().generation_id();
        let key = RankingKey { query: query.clone(), offset, limit, count };
        if let Some(kept) = rankings.get(generation, &key) {
            return Ok(kept);
        }
        let ranking = self.rank_afresh(&searcher, query, offset, limit, count)?;
        rankings.keep(generation, key, &ranking);
        Ok(ranking)
    }

    fn rank_afresh(
        &self,
        searcher: &tantivy::Searcher,
        query: &ParsedQuery,
        offset: usize,
        limit: usize,
        count: bool,
    ) -> Result<Ranking, SearchError> {
        let corrections = self.corrections(searcher, query)?;
        let tantivy_query = self.build(query, &self.boosts, &corrections);
        let top = TopDocs::with_limit(limit.max(1)).and_offset(offset);
        let (scored, total): (Vec<(f32, DocAddress)>, usize) =
            match (count, self.prunable(query, &corrections)) {
                (false, _) => {
                    let scored = Self::top_docs(searcher, &*tantivy_query, top, query.has_text())?;
                    let ranked = offset + scored.len();
                    (scored, ranked)
                }
                // Two passes: ranking alone skips the documents that cannot reach the top, and
                // counting alone need not score.
                (true, true) => (
                    Self::top_docs(searcher, &*tantivy_query, top, query.has_text())?,
                    searcher.search(&*tantivy_query, &Count)?,
                ),
                // Phrases and filters are matched in full anyway: rank and count in one pass.
                (true, false) if query.has_text() => {
                    searcher.search(&*tantivy_query, &(top.order_by_score(), Count))?
                }
                (true, false) => {
                    let (newest, total) = searcher.search(
                        &*tantivy_query,
                        &(top.order_by_fast_field::<i64>("day", Order::Desc), Count),
                    )?;
                    (newest.into_iter().map(|(_, address)| (0.0, address)).collect(), total)
                }
            };
        let hits = self.ranked(searcher, scored.into_iter())?;
        Ok(Ranking { hits, total, corrected: corrections.into_keys().collect() })
    }

    /// The page `top` asks for, best first by score, or newest first for a query of filters.
    fn top_docs(
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        top: TopDocs,
        by_score: bool,
    ) -> Result<Vec<(f32, DocAddress)>, SearchError> {
        Ok(match by_score {
            true => searcher.search(query, &top.order_by_score())?,
            false => searcher
                .search(query, &top.order_by_fast_field::<i64>("day", Order::Desc))?
                .into_iter()
                .map(|(_, address)| (0.0, address))
                .collect(),
        })
    }

    /// The ids among `ids` of papers that satisfy the query's phrases, authors, categories,
    /// dates and exclusions, judged as keyword search judges them (its free words aside).
    pub fn filter(
        &self,
        query: &ParsedQuery,
        ids: &[String],
    ) -> Result<std::collections::HashSet<String>, SearchError> {
        let searcher = self.reader.searcher();
        let filters = ParsedQuery { words: Vec::new(), ..query.clone() };
        let candidates = TermSetQuery::new(ids.iter().map(|id| Term::from_field_text(self.fields.id, id)));
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(candidates))];
        if !filters.is_empty() {
            clauses.push((Occur::Must, self.build(&filters, &self.boosts, &Corrections::new())));
        }
        let top = searcher
            .search(&BooleanQuery::new(clauses), &TopDocs::with_limit(ids.len().max(1)).order_by_score())?;
        Ok(self.ranked(&searcher, top.into_iter())?.into_iter().map(|r| r.id).collect())
    }

    /// Papers that read like the paper `id` ("more like this"), best first, without it.
    pub fn similar(&self, id: &str, limit: usize) -> Result<Vec<Ranked>, SearchError> {
        let searcher = self.reader.searcher();
        let Some(address) = self.address_of(&searcher, id)? else {
            return Ok(Vec::new());
        };
        // Document frequencies count replaced papers until a merge drops them; a term found in
        // more documents than are live says nothing of likeness, and tantivy would assert on it.
        let query = MoreLikeThisQuery::builder()
            .with_max_doc_frequency(searcher.num_docs())
            .with_min_doc_frequency(2)
            .with_min_term_frequency(1)
            .with_max_query_terms(30)
            .with_min_word_length(3)
            .with_document(address);
        let top = searcher.search(&query, &TopDocs::with_limit(limit + 1).order_by_score())?;
        let mut ranked = self.ranked(&searcher, top.into_iter())?;
        ranked.retain(|r| r.id != id);
        ranked.truncate(limit);
        Ok(ranked)
    }

    /// Titles and abstract snippets for `ids`, with the words of `query` marked. Ids that are
    /// not indexed are left out.
    pub fn highlight(&self, query: &ParsedQuery, ids: &[String]) -> Result<Vec<Highlight>, SearchError> {
        let searcher = self.reader.searcher();
        // Ranking may search title and abstract as one field; snippets need each on its own.
        // Excluded words are not what the reader looks for: they are not marked.
        let wanted = ParsedQuery { excluded: Vec::new(), ..query.clone() };
        let corrections = self.corrections(&searcher, &wanted)?;
        let tantivy_query = self.build(&wanted, &HIGHLIGHT_BOOSTS, &corrections);
        let title = snippet_generator(&searcher, &*tantivy_query, self.fields.title, 1_000)?;
        let summary = snippet_generator(&searcher, &*tantivy_query, self.fields.summary, SNIPPET_CHARS)?;
        let mut highlights = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(address) = self.address_of(&searcher, id)? else { continue };
            let doc: TantivyDocument = searcher.doc(address)?;
            let title_snippet = title.snippet_from_doc(&doc);
            let mut summary_snippet = summary.snippet_from_doc(&doc);
            summary_snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
            let snippet_html = if summary_snippet.is_empty() {
                // No word of the query is in the abstract: show how it begins.
                escaped_opening(first_str(&doc, self.fields.summary), SNIPPET_CHARS)
            } else {
                summary_snippet.to_html()
            };
            let title_html = mark_whole(first_str(&doc, self.fields.title), &title_snippet);
            highlights.push(Highlight { id: id.clone(), title_html, snippet_html });
        }
        Ok(highlights)
    }

    /// Where the live document of paper `id` is, read straight from the id's postings (a
    /// search per id would cost a collector pass over every segment).
    fn address_of(&self, searcher: &tantivy::Searcher, id: &str) -> Result<Option<DocAddress>, SearchError> {
        let term = Term::from_field_text(self.fields.id, id);
        for (ordinal, segment) in searcher.segment_readers().iter().enumerate() {
            let inverted = segment.inverted_index(self.fields.id)?;
            let postings = inverted
                .read_postings(&term, IndexRecordOption::Basic)
                .map_err(tantivy::TantivyError::from)?;
            let Some(mut postings) = postings else { continue };
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if !segment.is_deleted(doc) {
                    return Ok(Some(DocAddress::new(ordinal as u32, doc)));
                }
                doc = postings.advance();
            }
        }
        Ok(None)
    }

    fn ranked(
        &self,
        searcher: &tantivy::Searcher,
        top: impl Iterator<Item = (f32, DocAddress)>,
    ) -> Result<Vec<Ranked>, SearchError> {
        top.map(|(score, address)| {
            let doc: TantivyDocument = searcher.doc(address)?;
            Ok(Ranked { id: first_str(&doc, self.fields.id).to_owned(), score })
        })
        .collect()
    }

    fn tokens(&self, field: Field, text: &str) -> Vec<(usize, String)> {
        tokens(&self.index, field, text)
    }

    fn text_query(&self, field: Field, text: &str, slop: u32) -> Option<Box<dyn Query>> {
        text_query(&self.index, field, text, slop)
    }

    fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
        if (boost - 1.0).abs() < f32::EPSILON { query } else { Box::new(BoostQuery::new(query, boost)) }
    }

    /// `text` in any text field (and in the authors when `authors`), as clauses of which any
    /// may match; each scores its field's BM25 times the field's boost.
    fn field_clauses(&self, boosts: &Boosts, text: &str, authors: bool) -> Vec<(Occur, Box<dyn Query>)> {
        let mut fields = vec![
            (self.fields.title, boosts.title),
            (self.fields.summary, boosts.summary),
            (self.fields.combined, boosts.combined),
        ];
        if authors {
            fields.push((self.fields.authors, boosts.authors));
        }
        fields
            .into_iter()
            .filter(|(_, boost)| *boost > 0.0)
            .filter_map(|(field, boost)| {
                self.text_query(field, text, 0).map(|q| (Occur::Should, Self::boosted(q, boost)))
            })
            .collect()
    }

    /// [`SearchIndex::field_clauses`] as one query, or `None` when `text` has no words.
    fn any_field(&self, boosts: &Boosts, text: &str, authors: bool) -> Option<Box<dyn Query>> {
        let clauses = self.field_clauses(boosts, text, authors);
        (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
    }

    /// Typo tolerance: the query's words that no paper contains, each with the most common
    /// indexed terms within an edit or two of it (see [`TYPO_MAX_WORDS`] and the constants
    /// after it). Costs a few dictionary lookups for a query of known words.
    fn corrections(
        &self,
        searcher: &tantivy::Searcher,
        query: &ParsedQuery,
    ) -> Result<Corrections, SearchError> {
        let mut corrections = Corrections::new();
        if query.words.len() > TYPO_MAX_WORDS {
            return Ok(corrections);
        }
        let known = |field: Field, text: &str| -> Result<bool, SearchError> {
            Ok(searcher.doc_freq(&Term::from_field_text(field, text))? > 0)
        };
        for word in &query.words {
            let tokens = self.tokens(self.fields.combined, word);
            let [(_, term)] = tokens.as_slice() else { continue };
            let letters = term.chars().count();
            if letters < TYPO_MIN_CHARS
                || term.chars().any(|c| c.is_ascii_digit())
                || known(self.fields.combined, term)?
            {
                continue;
            }
            // A surname is a word too: "hinton" is no typo.
            let mut a_name = false;
            for (_, name) in self.tokens(self.fields.authors, word) {
                a_name |= known(self.fields.authors, &name)?;
            }
            if a_name {
                continue;
            }
            let distance = if letters >= TYPO_TWO_EDITS_CHARS { 2 } else { 1 };
            let fuzzy =
                FuzzyTermQuery::new(Term::from_field_text(self.fields.combined, term), distance, true);
            let mut doc_freqs: HashMap<String, u64> = HashMap::new();
            for segment in searcher.segment_readers() {
                let inverted = segment.inverted_index(self.fields.combined)?;
                let mut stream = inverted
                    .terms()
                    .search(fuzzy.automaton()?)
                    .into_stream()
                    .map_err(tantivy::TantivyError::from)?;
                while stream.advance() {
                    let similar = String::from_utf8_lossy(stream.key()).into_owned();
                    *doc_freqs.entry(similar).or_default() += u64::from(stream.value().doc_freq);
                }
            }
            let mut similar: Vec<(String, u64)> = doc_freqs.into_iter().collect();
            similar.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            similar.truncate(TYPO_ALTERNATIVES);
            if !similar.is_empty() {
                corrections.insert(word.clone(), similar.into_iter().map(|(term, _)| term).collect());
            }
        }
        Ok(corrections)
    }

    /// Any of the analysed `terms` in the title or abstract, weighed as a word is, as clauses
    /// of which any may match.
    fn term_clauses(&self, boosts: &Boosts, terms: &[String]) -> Vec<(Occur, Box<dyn Query>)> {
        let fields = [
            (self.fields.title, boosts.title),
            (self.fields.summary, boosts.summary),
            (self.fields.combined, boosts.combined),
        ];
        fields
            .into_iter()
            .filter(|(_, boost)| *boost > 0.0)
            .flat_map(|(field, boost)| {
                terms.iter().map(move |term| {
                    let query =
                        TermQuery::new(Term::from_field_text(field, term), IndexRecordOption::WithFreqs);
                    (Occur::Should, Self::boosted(Box::new(query), boost))
                })
            })
            .collect()
    }

    /// Whether the query has free words and nothing else.
    fn words_only(query: &ParsedQuery) -> bool {
        !query.words.is_empty()
            && query.phrases.is_empty()
            && query.authors.is_empty()
            && query.categories.is_empty()
            && query.dates.is_open()
            && query.excluded.is_empty()
    }

    /// Whether [`SearchIndex::build`] makes a flat disjunction of single terms of the query,
    /// which tantivy ranks without visiting every match (block-max WAND). A word that
    /// analyses into several terms ("low-rank") is a phrase, and phrases are matched in full.
    fn prunable(&self, query: &ParsedQuery, corrections: &Corrections) -> bool {
        Self::words_only(query)
            && query.words.iter().all(|word| {
                // The names analyzer keeps stop words, so it splits at least as finely.
                corrections.contains_key(word) || self.tokens(self.fields.authors, word).len() <= 1
            })
    }

    /// Translates a parsed query. Words are optional but scored (any of them matches), a
    /// corrected word as its similar words; phrases and authors are required; categories and
    /// dates filter without changing scores.
    fn build(&self, query: &ParsedQuery, boosts: &Boosts, corrections: &Corrections) -> Box<dyn Query> {
        if query.is_empty() {
            return Box::new(EmptyQuery);
        }
        // Every field of every word in one flat disjunction: its score is the same sum as
        // nested ones would give, and a flat disjunction of terms lets tantivy skip the
        // documents that cannot reach the top (block-max WAND).
        let words: Vec<(Occur, Box<dyn Query>)> = query
            .words
            .iter()
            .flat_map(|w| match corrections.get(w) {
                Some(similar) => self.term_clauses(boosts, similar),
                None => self.field_clauses(boosts, w, true),
            })
            .collect();
        if Self::words_only(query) && !words.is_empty() {
            return Box::new(BooleanQuery::new(words));
        }
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !words.is_empty() {
            must.push((Occur::Must, Box::new(BooleanQuery::new(words))));
        }
        for phrase in &query.phrases {
            if let Some(q) = self.any_field(boosts, phrase, false) {
                must.push((Occur::Must, q));
            }
        }
        for author in &query.authors {
            if let Some(q) = self.text_query(self.fields.authors, author, AUTHOR_SLOP) {
                must.push((Occur::Must, Self::boosted(q, boosts.authors)));
            }
        }
        if query.has_text() && must.is_empty() {
            // Every word analysed away (punctuation, emoji): nothing can match.
            return Box::new(EmptyQuery);
        }
        if !query.categories.is_empty() {
            let categories: Vec<(Occur, Box<dyn Query>)> = query
                .categories
                .iter()
                .map(|c| {
                    let term = Term::from_field_text(self.fields.category, c);
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>,
                    )
                })
                .collect();
            must.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::new(categories)), 0.0)),
            ));
        }
        if !query.dates.is_open() {
            let bound = |day: Option<NaiveDate>| match day {
                Some(day) => Bound::Included(Term::from_field_i64(self.fields.day, day_number(day))),
                None => Bound::Unbounded,
            };
            let range = RangeQuery::new(bound(query.dates.from), bound(query.dates.until));
            must.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(range), 0.0))));
        }
        if must.is_empty() {
            must.push((Occur::Must, Box::new(AllQuery)));
        }
        for excluded in &query.excluded {
            if let Some(q) = self.any_field(boosts, excluded, true) {
                must.push((Occur::MustNot, q));
            }
        }
        Box::new(BooleanQuery::new(must))
    }
}

impl Writer {
    /// Replaces the passages of paper `id`'s full text with `passages` (none removes them).
    pub fn replace_passages(&mut self, id: &str, passages: &[IndexPassage]) -> Result<(), SearchError> {
        self.passages.replace(id, passages)
    }

    /// Adds a paper, replacing what was indexed under its id.
    pub fn upsert(&mut self, doc: &IndexDoc) -> Result<(), SearchError> {
        let fields = self.fields;
        self.inner.delete_term(Term::from_field_text(fields.id, &doc.id));
        let mut document = TantivyDocument::default();
        document.add_text(fields.id, &doc.id);
        document.add_text(fields.title, &doc.title);
        document.add_text(fields.summary, &doc.summary);
        document.add_text(fields.combined, format!("{}\n{}", doc.title, doc.summary));
        for author in &doc.authors {
            document.add_text(fields.authors, author);
        }
        for category in &doc.categories {
            let category = category.to_lowercase();
            // A paper in cs.CL is also found under the whole archive, cs.
            if let Some((archive, _)) = category.split_once('.') {
                document.add_text(fields.category, archive);
            }
            document.add_text(fields.category, &category);
        }
        if let Some(day) = doc.day {
            document.add_i64(fields.day, day_number(day));
        }
        self.inner.add_document(document)?;
        Ok(())
    }

    /// Stops merging segments in the background, for a bulk load: every segment is then
    /// written once, and [`Writer::merge_segments`] makes them one at the end.
    pub fn pause_merging(&mut self) {
        self.inner.set_merge_policy(Box::new(NoMergePolicy));
        self.passages.inner.set_merge_policy(Box::new(NoMergePolicy));
    }

    /// Merges every committed segment into one, waits for it, and goes back to merging in the
    /// background: a search then visits one segment instead of dozens. Worth it after a bulk
    /// load (see [`Writer::pause_merging`]).
    pub fn merge_segments(&mut self) -> Result<(), SearchError> {
        merge_all(&mut self.inner)?;
        merge_all(&mut self.passages.inner)
    }

    /// Removes every paper and passage, for a rebuild; takes effect at the next commit.
    pub fn clear(&mut self) -> Result<(), SearchError> {
        self.inner.delete_all_documents()?;
        self.passages.inner.delete_all_documents()?;
        Ok(())
    }

    /// Makes everything added so far searchable, recording that the papers and the passages
    /// have caught up with the catalog to `cursor`. The passages are committed first: were the
    /// papers' commit lost, they would be indexed again, never skipped.
    pub fn commit(&mut self, cursor: i64) -> Result<(), SearchError> {
        commit_at(&mut self.passages.inner, PASSAGES_SCHEMA_VERSION, cursor)?;
        commit_at(&mut self.inner, SCHEMA_VERSION, cursor)
    }
}

/// The catalog position recorded by `index`'s last commit, if made by schema version `schema`.
fn cursor_of(index: &Index, schema: u32) -> Result<i64, SearchError> {
    let payload = index.load_metas()?.payload;
    Ok(payload
        .and_then(|p| serde_json::from_str::<Payload>(&p).ok())
        .filter(|p| p.schema == schema)
        .map_or(0, |p| p.cursor))
}

fn commit_at(writer: &mut IndexWriter, schema: u32, cursor: i64) -> Result<(), SearchError> {
    let payload = serde_json::to_string(&Payload { schema, cursor })
        .map_err(|e| tantivy::TantivyError::SystemError(e.to_string()))?;
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&payload);
    prepared.commit()?;
    Ok(())
}

/// Merges every committed segment of `writer`'s index into one and goes back to merging in
/// the background (see [`Writer::merge_segments`]).
fn merge_all(writer: &mut IndexWriter) -> Result<(), SearchError> {
    let mut attempts = 0;
    loop {
        let segments = writer.index().searchable_segment_ids()?;
        if segments.len() <= 1 {
            break;
        }
        match writer.merge(&segments).wait() {
            // A background merge started before the pause retired some of the segments
            // first: list them again.
            Err(tantivy::TantivyError::InvalidArgument(_)) if attempts < MERGE_ATTEMPTS => attempts += 1,
            Err(e) => return Err(e.into()),
            Ok(_) => break,
        }
    }
    writer.set_merge_policy(Box::new(LogMergePolicy::default()));
    Ok(())
}

/// Words `field`'s analyzer makes of `text`, with their positions (stop words leave gaps,
/// which phrases keep).
fn tokens(index: &Index, field: Field, text: &str) -> Vec<(usize, String)> {
    let Ok(mut analyzer) = index.tokenizer_for_field(field) else { return Vec::new() };
    let mut stream = analyzer.token_stream(text);
    let mut tokens = Vec::new();
    while let Some(token) = stream.next() {
        tokens.push((token.position, token.text.clone()));
    }
    tokens
}

/// `text` in `field`: one term, or a phrase when the analyzer splits it.
pub(crate) fn text_query(index: &Index, field: Field, text: &str, slop: u32) -> Option<Box<dyn Query>> {
    let tokens = tokens(index, field, text);
    let first = tokens.first().map_or(0, |(position, _)| *position);
    let mut terms: Vec<(usize, Term)> =
        tokens.iter().map(|(position, t)| (position - first, Term::from_field_text(field, t))).collect();
    match terms.len() {
        0 => None,
        1 => Some(Box::new(TermQuery::new(terms.remove(0).1, IndexRecordOption::WithFreqs))),
        _ => Some(Box::new(PhraseQuery::new_with_offset_and_slop(terms, slop))),
    }
}

/// `SnippetGenerator::create` with the [`highlighting_analyzer`] of the query's terms: the
/// same terms and weights (rarer terms weigh more in choosing the stretch of text).
pub(crate) fn snippet_generator(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    field: Field,
    max_chars: usize,
) -> Result<SnippetGenerator, SearchError> {
    let mut terms = BTreeSet::new();
    query.query_terms(&mut |term, _| {
        if term.field() == field {
            terms.insert(term.clone());
        }
    });
    let mut weights = BTreeMap::new();
    for term in terms {
        let Some(text) = term.value().as_str().map(str::to_owned) else { continue };
        let doc_freq = searcher.doc_freq(&term)?;
        if doc_freq > 0 {
            weights.insert(text, 1.0 / (1.0 + doc_freq as f32));
        }
    }
    let analyzer = highlighting_analyzer(weights.keys().map(String::as_str));
    Ok(SnippetGenerator::new(weights, analyzer, field, max_chars))
}

pub(crate) fn first_str(doc: &TantivyDocument, field: Field) -> &str {
    doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default()
}

/// All of `text`, escaped, with the snippet's matches marked: a title is shown whole, where a
/// snippet would stop at its last matching word.
fn mark_whole(text: &str, snippet: &tantivy::snippet::Snippet) -> String {
    let offset = snippet.fragment_range().start;
    let mut html = String::with_capacity(text.len() + 32);
    let mut done = 0;
    for range in tantivy::snippet::collapse_overlapped_ranges(snippet.highlighted()) {
        let (start, end) = (range.start + offset, range.end + offset);
        let (Some(before), Some(marked)) = (text.get(done..start), text.get(start..end)) else { break };
        html += &escape_html(before);
        html += "<mark>";
        html += &escape_html(marked);
        html += "</mark>";
        done = end;
    }
    html + &escape_html(text.get(done..).unwrap_or_default())
}
