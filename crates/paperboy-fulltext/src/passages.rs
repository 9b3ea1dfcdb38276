//! A document cut into passages for searching inside it: the abstract, then each section (a
//! long one in pieces of a few paragraphs), each passage with the section it is in, so a match
//! can say where it is and link there.

use crate::document::{Document, blocks_text, plain_text};

/// The longest passage, in bytes; a longer section is cut at paragraph ends.
pub const MAX_PASSAGE_BYTES: usize = 1_500;

/// A piece of a paper's text and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// The anchor of its section (`S3.SS1`), `abstract`, or `paper-title` before any section.
    pub anchor: String,
    /// Its section as printed: `3.1 Finetuning on multiple-choice responses`.
    pub section: String,
    pub text: String,
}

/// The document's passages in reading order (notes and references are not passages).
pub fn passages(doc: &Document) -> Vec<Passage> {
    let mut out = Vec::new();
    cut("abstract", "Abstract", &blocks_text(&doc.abstract_blocks), &mut out);
    cut("paper-title", "Before the first section", &blocks_text(&doc.preamble), &mut out);
    for section in &doc.sections {
        let title = plain_text(&section.title);
        let name = match section.number.is_empty() {
            true => title,
            false => format!("{} {title}", section.number),
        };
        cut(&section.anchor, name.trim(), &blocks_text(&section.blocks), &mut out);
    }
    out
}

/// Adds `text` as passages of at most [`MAX_PASSAGE_BYTES`], cut between its lines (its
/// paragraphs); a single longer line is a passage of its own.
fn cut(anchor: &str, section: &str, text: &str, out: &mut Vec<Passage>) {
    let mut current = String::new();
    let mut flush = |current: &mut String| {
        if !current.trim().is_empty() {
            out.push(Passage {
                anchor: anchor.to_owned(),
                section: section.to_owned(),
                text: std::mem::take(current),
            });
        }
        current.clear();
    };
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        if !current.is_empty() && current.len() + line.len() + 1 > MAX_PASSAGE_BYTES {
            flush(&mut current);
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(line);
    }
    flush(&mut current);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Block, Inline, Section, Source};

    fn paragraph(text: &str) -> Block {
        Block::Paragraph { content: vec![Inline::text(text)] }
    }

    #[test]
    fn sections_become_passages_and_long_ones_are_cut_between_paragraphs() {
        let long: Vec<Block> = (0..6).map(|n| paragraph(&format!("{n} {}", "word ".repeat(100)))).collect();
        let doc = Document {
            source: Source::Html,
            title: vec![Inline::text("A paper")],
            authors: String::new(),
            abstract_blocks: vec![paragraph("We study things.")],
            preamble: Vec::new(),
            sections: vec![Section {
                anchor: "S1".into(),
                level: 1,
                number: "1".into(),
                title: vec![Inline::text("Introduction")],
                blocks: long,
            }],
            footnotes: Vec::new(),
            references: Vec::new(),
        };
        let found = passages(&doc);
        assert_eq!(
            found[0],
            Passage {
                anchor: "abstract".into(),
                section: "Abstract".into(),
                text: "We study things.".into()
            }
        );
        let section: Vec<&Passage> = found.iter().filter(|p| p.anchor == "S1").collect();
        assert_eq!(section.len(), 3, "six paragraphs of 500 bytes, three passages of two");
        assert!(section.iter().all(|p| p.section == "1 Introduction" && p.text.len() <= MAX_PASSAGE_BYTES));
    }
}
