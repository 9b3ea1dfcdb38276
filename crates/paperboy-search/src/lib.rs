//! Keyword search on tantivy, the query language, snippets, and hybrid fusion.
//!
//! [`query::parse`] turns what a person typed into a [`ParsedQuery`] without ever failing;
//! [`SearchIndex`] ranks papers for it with BM25 and marks the matches in titles and abstracts;
//! [`fusion`] merges keyword and semantic rankings; [`passages`] ranks the passages of one
//! paper for a search inside it; [`fulltext`] indexes the passages of every paper's full text
//! beside the papers, for searches of full texts.

mod analysis;
pub mod fulltext;
pub mod fusion;
pub mod html;
pub mod index;
pub mod passages;
pub mod query;
mod rankings;

pub use fulltext::{BestPassage, IndexPassage};
pub use html::{escape_html, escaped_opening};
pub use index::{
    Boosts, Highlight, IndexDoc, Ranked, Ranking, SNIPPET_CHARS, SearchError, SearchIndex, Writer,
};
pub use query::{DateRange, ParsedQuery, Scope, parse};
