//! Search in the running service: keyword, semantic or hybrid, over the catalog.
//!
//! [`Search`] holds the keyword index ([`paperboy_search::SearchIndex`], kept up to date by
//! [`follow`]) and, when a model is configured, the embedder and vector index. A query that is
//! an arXiv id or address puts that paper first, whatever the mode. A query with `in:fulltext`
//! searches the passages of papers' full texts instead, by keyword, and each result comes with
//! its best passage. Results are loaded from the database, which stays the truth (or as kept for
//! the catalog version the caller read, [`cards`]): a paper the index knows but the catalog lost
//! is skipped.

pub mod cards;
pub mod embedding;
pub mod follow;
pub mod semantic;

use std::sync::Arc;

use paperboy_arxiv::ArxivId;
use paperboy_search::fusion::Fusion;
use paperboy_search::{
    BestPassage, DateRange, Highlight, ParsedQuery, Ranked, Ranking, SNIPPET_CHARS, Scope, SearchIndex,
    escape_html, escaped_opening,
};
use serde::{Deserialize, Serialize};

use crate::db::papers::StoredPaper;
use crate::db::{Db, DbError};
use crate::domain::feed::FeedEntry;
use cards::Cards;
use semantic::{Semantic, SemanticError};

/// Candidates taken from each ranking before fusing and filtering.
pub const CANDIDATES: usize = 100;

/// How results are ranked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// BM25 over titles, abstracts and authors.
    Keyword,
    /// Nearest neighbours of the query's embedding.
    Semantic,
    /// Both, fused by reciprocal rank.
    #[default]
    Hybrid,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Keyword => "keyword",
            Mode::Semantic => "semantic",
            Mode::Hybrid => "hybrid",
        })
    }
}

/// A search as asked for.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: String,
    pub mode: Mode,
    pub offset: usize,
    pub limit: usize,
    /// Announce-date range from outside the query (API parameters), combined with `date:`.
    pub dates: DateRange,
    /// What the caller shows, so that the search does no work for the rest.
    pub shown: Shown,
    /// The catalog version the caller read ([`crate::http::cache::CatalogVersion`]): papers
    /// loaded for results are kept for later searches at the same version ([`cards`]). `None`
    /// loads them afresh.
    pub catalog_version: Option<i64>,
}

/// What a caller shows of the results beyond the papers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    /// Titles and snippets with the query's words in `<mark>`; otherwise escaped text and the
    /// abstract's opening. Highlighting is about half of a keyword search's time.
    pub highlights: bool,
    /// How many papers match in all; otherwise [`SearchResults::total`] counts only the ranked
    /// ones. Counting visits every paper that has any of the words.
    pub total: bool,
}

impl Shown {
    /// The search page: highlights and the total.
    pub const PAGE: Shown = Shown { highlights: true, total: true };
    /// A list with its total but no marks (the MCP search tool).
    pub const LIST: Shown = Shown { highlights: false, total: true };
    /// Items alone (the JSON API, the search feed).
    pub const ITEMS: Shown = Shown { highlights: false, total: false };
}

impl Default for Shown {
    fn default() -> Self {
        Shown::PAGE
    }
}

/// One result: the stored paper, its score, and what to show of it.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub paper: StoredPaper,
    /// Its place on the daily feed, if it has one.
    pub entry: Option<FeedEntry>,
    /// The ranking's score: BM25 for keyword, cosine for semantic, fused for hybrid; infinite
    /// for a paper named by its id.
    pub score: f32,
    /// Title and a stretch of abstract with the query's words in `<mark>`, HTML-escaped.
    pub title_html: String,
    pub snippet_html: String,
    /// In a search of full texts, the passage that matches best.
    pub passage: Option<BestPassage>,
}

/// A page of results.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// How many papers match in all (for paging); in semantic and hybrid modes, how many of the
    /// [`CANDIDATES`] best pass the query's filters; in keyword mode without [`Shown::total`],
    /// how many were ranked (the offset and the hits).
    pub total: usize,
    /// The mode that ranked them; keyword when semantic search is off.
    pub mode: Mode,
    /// Parts of the query that were ignored, and why.
    pub notices: Vec<String>,
}

/// Why a search failed (never because of what the user typed).
#[derive(Debug, thiserror::Error)]
pub enum SearchFailure {
    #[error(transparent)]
    Index(#[from] paperboy_search::SearchError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Semantic(#[from] SemanticError),
}

/// The search service.
pub struct Search {
    pub index: Arc<SearchIndex>,
    pub semantic: Option<Arc<Semantic>>,
    pub fusion: Fusion,
    cards: Cards,
}

impl std::fmt::Debug for Search {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Search")
            .field("indexed", &self.index.len())
            .field("vectors", &self.semantic.as_ref().map(|s| s.len()))
            .finish()
    }
}

impl Search {
    /// Keyword search alone.
    pub fn new(index: Arc<SearchIndex>) -> Search {
        Search { index, semantic: None, fusion: Fusion::default(), cards: Cards::default() }
    }

    /// Keyword, semantic and hybrid search.
    pub fn with_semantic(index: Arc<SearchIndex>, semantic: Arc<Semantic>) -> Search {
        Search { index, semantic: Some(semantic), fusion: Fusion::default(), cards: Cards::default() }
    }

    /// Whether semantic and hybrid modes are available.
    pub fn semantic_enabled(&self) -> bool {
        self.semantic.is_some()
    }

    /// Runs a search. See the module docs. Semantic and hybrid rankings hold the best
    /// [`CANDIDATES`] papers: pages beyond them are empty.
    pub async fn search(&self, db: &Db, request: &SearchRequest) -> Result<SearchResults, SearchFailure> {
        let mut parsed = paperboy_search::parse(&request.query);
        parsed.dates = parsed.dates.intersect(request.dates);
        let mut notices = std::mem::take(&mut parsed.notices);
        let limit = request.limit.max(1);
        let pinned = self.pinned(db, &request.query).await?;
        let fulltext = parsed.scope == Some(Scope::Fulltext);
        let mode = match fulltext {
            true => Self::fulltext_mode(request.mode, &parsed, &mut notices),
            false => self.mode_for(request.mode, &parsed, pinned.is_some(), &mut notices),
        };
        let Ranking { hits: mut ranked, mut total, corrected } = match fulltext {
            true => self.index.search_passages(&parsed, request.offset, limit)?,
            false => self.rank(&parsed, mode, request.offset, limit, request.shown.total).await?,
        };
        notices.extend(
            corrected.iter().map(|word| format!("no paper contains \"{word}\": matched similar words")),
        );
        if let Some(paper) = &pinned {
            let id = paper.paper.id.as_str();
            if !ranked.iter().any(|r| r.id == id) {
                total += 1;
            }
            ranked.retain(|r| r.id != id);
            if request.offset == 0 {
                ranked.insert(0, Ranked { id: id.to_owned(), score: f32::INFINITY });
                ranked.truncate(limit);
            }
        }
        let highlight = request.shown.highlights.then_some(&parsed);
        let mut hits = self.load(db, request.catalog_version, highlight, &ranked).await?;
        if fulltext {
            let ids: Vec<String> = hits.iter().map(|hit| hit.paper.paper.id.as_str().to_owned()).collect();
            let mut best: std::collections::HashMap<String, BestPassage> =
                self.index.best_passages(&parsed, &ids)?.into_iter().map(|b| (b.id.clone(), b)).collect();
            for hit in &mut hits {
                hit.passage = best.remove(hit.paper.paper.id.as_str());
            }
        }
        Ok(SearchResults { hits, total, mode, notices })
    }

    /// A search of full texts ranks passages by their words: keyword mode, with a notice when
    /// another was asked for by name, or when there are no words to look for.
    fn fulltext_mode(wanted: Mode, parsed: &ParsedQuery, notices: &mut Vec<String>) -> Mode {
        if parsed.words.is_empty() && parsed.phrases.is_empty() {
            notices.push("a search of full texts needs words or \"a phrase\" to look for".into());
        } else if wanted == Mode::Semantic {
            notices.push("full texts are searched by their words: keyword results".into());
        }
        Mode::Keyword
    }

    /// The mode that can serve `wanted` for this query, with a notice when it is not `wanted`
    /// for a reason the reader should know.
    fn mode_for(&self, wanted: Mode, parsed: &ParsedQuery, pinned: bool, notices: &mut Vec<String>) -> Mode {
        match (wanted, &self.semantic) {
            (Mode::Keyword, _) => Mode::Keyword,
            (_, None) => {
                notices.push("semantic search is off (no model configured): keyword results only".into());
                Mode::Keyword
            }
            (_, Some(semantic)) if semantic.is_empty() => {
                notices.push(
                    "no paper has an embedding yet (run `paperboy embed`): keyword results only".into(),
                );
                Mode::Keyword
            }
            // Nothing to embed: filters alone list the newest matches, and an id names a paper.
            _ if parsed.text().trim().is_empty() || pinned => Mode::Keyword,
            (mode, Some(_)) => mode,
        }
    }

    /// The page of ids `mode` ranks for the query, and how many match in all when `count`
    /// (see [`SearchResults::total`]); keyword ranking when semantic search is off.
    pub async fn rank(
        &self,
        parsed: &ParsedQuery,
        mode: Mode,
        offset: usize,
        limit: usize,
        count: bool,
    ) -> Result<Ranking, SearchFailure> {
        let semantic = match (mode, &self.semantic) {
            (Mode::Keyword, _) | (_, None) => {
                let ranking = match count {
                    true => self.index.search(parsed, offset, limit)?,
                    false => self.index.top(parsed, offset, limit)?,
                };
                return Ok(ranking);
            }
            (_, Some(semantic)) => semantic,
        };
        let nearest = semantic.search_text(&parsed.text(), CANDIDATES).await?;
        let (candidates, corrected) = if mode == Mode::Hybrid {
            let keyword = self.index.top(parsed, 0, CANDIDATES)?;
            (self.fusion.fuse(&keyword.hits, &nearest), keyword.corrected)
        } else {
            (nearest, Vec::new())
        };
        let candidates = self.filtered(parsed, candidates)?;
        let total = candidates.len();
        Ok(Ranking { hits: candidates.into_iter().skip(offset).take(limit).collect(), total, corrected })
    }

    /// Papers like the paper `id`, best first, without it: its nearest neighbours by vector
    /// when it has one, otherwise the keyword index's "more like this".
    pub async fn similar(
        &self,
        db: &Db,
        id: &ArxivId,
        limit: usize,
    ) -> Result<Vec<SearchHit>, SearchFailure> {
        let mut ranked = Vec::new();
        if let Some(semantic) = &self.semantic
            && let Some(vector) = db.embedding(semantic.embedder().model(), id.as_str()).await?
        {
            ranked = semantic.search_vector(&vector, limit + 1)?;
        }
        if ranked.is_empty() {
            ranked = self.index.similar(id.as_str(), limit + 1)?;
        }
        ranked.retain(|r| r.id != id.as_str());
        ranked.truncate(limit);
        self.load(db, None, None, &ranked).await
    }

    /// Keeps the candidates that satisfy the query's phrases, authors, categories, dates and
    /// exclusions (the semantic ranking knows nothing of them), judged by the keyword index as
    /// keyword search would; the order is kept.
    fn filtered(&self, parsed: &ParsedQuery, candidates: Vec<Ranked>) -> Result<Vec<Ranked>, SearchFailure> {
        let unfiltered = ParsedQuery { words: Vec::new(), notices: Vec::new(), ..parsed.clone() }.is_empty();
        if unfiltered {
            return Ok(candidates);
        }
        let ids: Vec<String> = candidates.iter().map(|r| r.id.clone()).collect();
        let keep = self.index.filter(parsed, &ids)?;
        Ok(candidates.into_iter().filter(|r| keep.contains(&r.id)).collect())
    }

    /// The paper a query names by arXiv id or address, when it is in the catalog.
    async fn pinned(&self, db: &Db, query: &str) -> Result<Option<StoredPaper>, DbError> {
        match ArxivId::from_url_or_id(query) {
            Ok((id, _)) => db.get_paper(&id).await,
            Err(_) => Ok(None),
        }
    }

    /// Loads ranked papers from the catalog (or as kept for `version`, see [`cards`]) in rank
    /// order, with the query's words highlighted when there is a query to highlight. Papers
    /// curators hid are left out.
    async fn load(
        &self,
        db: &Db,
        version: Option<i64>,
        highlight: Option<&ParsedQuery>,
        ranked: &[Ranked],
    ) -> Result<Vec<SearchHit>, SearchFailure> {
        let ids: Vec<String> = ranked.iter().map(|r| r.id.clone()).collect();
        let papers = self.cards.load(db, version, &ids).await?;
        let highlights = match highlight {
            Some(parsed) => self.index.highlight(parsed, &ids)?,
            None => Vec::new(),
        };
        let mut by_id: std::collections::HashMap<String, Highlight> =
            highlights.into_iter().map(|h| (h.id.clone(), h)).collect();
        let scores: std::collections::HashMap<&str, f32> =
            ranked.iter().map(|r| (r.id.as_str(), r.score)).collect();
        Ok(papers
            .into_iter()
            .filter(|(paper, _)| paper.hidden_at.is_none())
            .map(|(paper, entry)| {
                let id = paper.paper.id.as_str().to_owned();
                let highlight = by_id.remove(&id);
                let (title_html, snippet_html) = match highlight {
                    Some(h) => (h.title_html, h.snippet_html),
                    None => (
                        escape_html(&paper.paper.title),
                        escaped_opening(&paper.paper.summary, SNIPPET_CHARS),
                    ),
                };
                SearchHit {
                    score: scores.get(id.as_str()).copied().unwrap_or_default(),
                    paper,
                    entry,
                    title_html,
                    snippet_html,
                    passage: None,
                }
            })
            .collect())
    }
}
