//! arXiv for Paperboy: identifiers, the paper record, every metadata format Paperboy reads, and
//! the polite HTTP clients for arXiv's OAI-PMH and Atom APIs.
//!
//! This crate knows nothing of storage or of the web app: it turns bytes from files and from
//! arXiv into validated [`Paper`]s, and says precisely what is wrong with what it cannot read.

pub mod announce;
pub mod atom;
pub mod authors;
pub mod client;
pub mod formats;
pub mod id;
pub mod oai;
pub mod paper;
pub mod reader;
mod xml;

pub use formats::Format;
pub use id::{ArxivId, IdError};
pub use paper::{InvalidRecord, Merge, Paper, RawPaper};
pub use reader::{FileError, Item, RecordReader};
