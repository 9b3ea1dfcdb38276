//! Paperboy: the app. The `paperboy` binary (`main.rs`) parses the command line and calls in
//! here; each process role is a module: the web server ([`web`], [`api`]), ingestion
//! ([`ingest`]), benchmarks ([`bench`]). Storage is [`db`], on SQLite or PostgreSQL.
//! ARCHITECTURE.md at the repository root is the map.

pub mod actions;
pub mod annotate;
pub mod api;
pub mod app;
pub mod backup;
pub mod bench;
pub mod cli;
pub mod db;
pub mod demo;
pub mod digest;
pub mod domain;
pub mod error;
pub mod fulltext;
pub mod http;
pub mod ingest;
pub mod jobs;
pub mod mail;
pub mod mcp;
pub mod progress;
pub mod quota;
pub mod search;
pub mod server;
pub mod stars;
pub mod summarize;
pub mod web;
