//! A paper's full text: arXiv's HTML rendering (LaTeXML) read into a [`Document`] of sections,
//! blocks and inline text with math as LaTeX ([`latexml`]), or its PDF's text ([`pdf`]), and
//! that document as Markdown ([`markdown`]); the PDF's first page as a thumbnail. Pure functions over bytes: fetching, storing and serving live in the
//! `paperboy` crate.

pub mod dom;

pub mod document;
pub mod latexml;
pub mod markdown;
pub mod passages;
pub mod pdf;

pub use document::{Block, Document, Inline, Section, Source};
pub use latexml::{ConvertError, convert};
pub use markdown::{sections_markdown, to_markdown};
