//! Paperboy's integration tests: one test binary, each module a part of the product, each test
//! on its own database (SQLite in a temporary directory, or a fresh PostgreSQL database).

#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test, with its location")]

mod annotate;
mod api;
mod architecture;
mod backup;
mod cli;
mod clients;
mod code;
mod collections;
mod community;
mod delivery;
mod digests;
mod fulltext;
mod harness;
mod harvest;
mod import;
mod jobs;
mod mail;
mod people;
mod quotas;
mod scale;
mod search;
mod site;
mod snapshots;
mod storage;
mod summarize;
