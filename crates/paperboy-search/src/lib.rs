//! Keyword search on tantivy, the query language, snippets, and hybrid fusion.
