//! The bottom layer: plain domain types and the rules that need nothing but their values.
//!
//! Accounts (names, addresses, roles, ids), author names and who they may be, secrets and
//! password hashes, comments' Markdown, key phrases and sentences of abstracts, the trending formula, the daily feed's periods, entries
//! and feature rules, digest preferences and picks, arXiv categories, and the refusals of the
//! community's rules. Nothing here reads a database, a socket or a clock other than the one
//! passed in; every layer above may use it, and it imports from none of them (ARCHITECTURE.md,
//! "Layers").

pub mod accounts;
pub mod authors;
pub mod category;
pub mod code;
pub mod collections;
pub mod digest;
pub mod feed;
pub mod keywords;
pub mod markdown;
pub mod recommend;
pub mod refusal;
pub mod secrets;
pub mod text;
pub mod trending;

pub use refusal::Refusal;
