//! Keyword search on tantivy, the query language, snippets, and hybrid fusion.
//!
//! [`query::parse`] turns what a person typed into a [`ParsedQuery`] without ever failing;
//! [`SearchIndex`] ranks papers for it with BM25 and marks the matches in titles and abstracts;
//! [`fusion`] merges keyword and semantic rankings; [`passages`] ranks the passages of one
//! paper for a search inside it.

mod analysis;
pub mod fusion;
pub mod html;
pub mod index;
pub mod passages;
pub mod query;

pub use html::{escape_html, escaped_opening};
pub use index::{
    Boosts, Highlight, IndexDoc, Ranked, Ranking, SNIPPET_CHARS, SearchError, SearchIndex, Writer,
};
pub use query::{DateRange, ParsedQuery, parse};
