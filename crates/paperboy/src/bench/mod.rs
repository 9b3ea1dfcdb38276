//! `paperboy bench ...`: reproducible measurements, reported as medians beside a baseline
//! measured in the same process.
//!
//! - [`digest`]: composing and sending digests through an SMTP server, beside raw sends;
//! - [`foryou`]: how well "For you" finds simulated members' held-out saves, beside "most
//!   upvoted";
//! - [`fulltext`]: a paper's full text: conversion, thumbnails and PDF text, beside parsing;
//! - [`passages`]: searching synthetic full texts, and keyword search beside them and without;
//! - [`load`]: a mixed load of readers and members on running servers (the scale-out run);
//! - [`mcp`]: an MCP tool call beside the JSON API call that answers the same question;
//! - [`keywords`]: how well automatic keywords tell a paper's category, beside TF-IDF ones;
//! - [`import`]: the import pipeline on SQLite and PostgreSQL beside a parse-only baseline;
//! - [`relevance`]: nDCG@10 and recall@100 of each search mode on a BEIR-format set;
//! - [`search`]: keyword search latency beside SQLite FTS5 on the same papers and queries;
//! - [`vectors`]: the vector index over synthetic embeddings: build, latency, recall, memory.

pub mod digest;
pub mod foryou;
pub mod fulltext;
pub mod import;
pub mod keywords;
pub mod load;
pub mod mcp;
pub mod passages;
pub mod relevance;
pub mod search;
pub mod vectors;

pub use import::bench_import;
pub use relevance::bench_relevance;
