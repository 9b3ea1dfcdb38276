//! Getting papers into the catalog: files (`import`), arXiv OAI-PMH (`harvest`) and the arXiv
//! API (`fetch`). Parsing lives in `paperboy-arxiv`; storage rules in [`crate::db::papers`].

pub mod harvest;
pub mod import;
