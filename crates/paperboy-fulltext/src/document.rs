//! A paper's full text as Paperboy keeps it: title, authors, abstract, numbered sections of
//! blocks, footnotes and references, with math as LaTeX. Markdown ([`crate::markdown`]), the
//! reading view and search passages are all made from this one structure.

use serde::{Deserialize, Serialize};

/// Where a full text was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// arXiv's HTML rendering (LaTeXML).
    Html,
    /// The text of the PDF, when arXiv has no HTML rendering.
    Pdf,
}

/// A paper's full text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub source: Source,
    pub title: Vec<Inline>,
    /// The authors and affiliations as the paper prints them.
    pub authors: String,
    #[serde(rename = "abstract")]
    pub abstract_blocks: Vec<Block>,
    /// What comes before the first section, if anything.
    pub preamble: Vec<Block>,
    /// Sections, subsections and paragraphs in reading order, each with its level.
    pub sections: Vec<Section>,
    pub footnotes: Vec<Footnote>,
    pub references: Vec<Reference>,
}

/// A section, subsection, subsubsection or named paragraph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// The paper's own anchor (`S3.SS1`), which its internal links point to.
    pub anchor: String,
    /// 1 for a section or an appendix, 2 for a subsection, and so on.
    pub level: u8,
    /// As printed: `3.1`, `Appendix A`; empty when unnumbered.
    pub number: String,
    pub title: Vec<Inline>,
    pub blocks: Vec<Block>,
}

/// A block of a section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        content: Vec<Inline>,
    },
    /// A displayed equation in LaTeX, with its anchor and its number as printed (`(3)`).
    Equation {
        anchor: String,
        tex: String,
        number: String,
    },
    List {
        ordered: bool,
        items: Vec<ListItem>,
    },
    Table {
        anchor: String,
        label: String,
        caption: Vec<Inline>,
        rows: Vec<Vec<Vec<Inline>>>,
    },
    /// A figure's caption: the image itself is not kept.
    Figure {
        anchor: String,
        label: String,
        caption: Vec<Inline>,
    },
    Quote {
        blocks: Vec<Block>,
    },
    Code {
        text: String,
    },
}

/// One item of a list, with its label as printed when it is not a bullet (`(a)`, `3.`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListItem {
    pub label: String,
    pub blocks: Vec<Block>,
}

/// Text and what is inside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Inline {
    Text {
        text: String,
    },
    Emph {
        content: Vec<Inline>,
    },
    Strong {
        content: Vec<Inline>,
    },
    Code {
        text: String,
    },
    Math {
        tex: String,
        display: bool,
    },
    /// A link out of the paper (http or https only).
    Link {
        href: String,
        content: Vec<Inline>,
    },
    /// A link to a place in the paper: a section, a figure, a reference.
    Ref {
        anchor: String,
        content: Vec<Inline>,
    },
    /// A mark pointing to the footnote with this label.
    Note {
        label: String,
    },
    Sup {
        content: Vec<Inline>,
    },
    Sub {
        content: Vec<Inline>,
    },
    Break,
}

/// A footnote, by the label its mark shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Footnote {
    pub label: String,
    pub content: Vec<Inline>,
}

/// An entry of the bibliography.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// The anchor citations link to (`bib.bib7`).
    pub anchor: String,
    /// As printed: `[7]`, `Berglund et al. (2023a)`.
    pub label: String,
    pub content: Vec<Inline>,
}

impl Inline {
    pub fn text(text: impl Into<String>) -> Inline {
        Inline::Text { text: text.into() }
    }
}

/// The words of `inlines`, math as its LaTeX, for search and outlines.
pub fn plain_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    push_plain(inlines, &mut out);
    out.trim().to_owned()
}

fn push_plain(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text { text } | Inline::Code { text } => out.push_str(text),
            Inline::Math { tex, .. } => out.push_str(tex),
            Inline::Emph { content }
            | Inline::Strong { content }
            | Inline::Link { content, .. }
            | Inline::Ref { content, .. }
            | Inline::Sup { content }
            | Inline::Sub { content } => push_plain(content, out),
            Inline::Note { .. } => {}
            Inline::Break => out.push(' '),
        }
    }
}

/// The words of `blocks`, one line per paragraph, for search passages.
pub fn blocks_text(blocks: &[Block]) -> String {
    let mut lines = Vec::new();
    push_blocks_text(blocks, &mut lines);
    lines.join("\n")
}

fn push_blocks_text(blocks: &[Block], lines: &mut Vec<String>) {
    for block in blocks {
        match block {
            Block::Paragraph { content } => lines.push(plain_text(content)),
            Block::Equation { tex, .. } => lines.push(tex.clone()),
            Block::List { items, .. } => items.iter().for_each(|item| push_blocks_text(&item.blocks, lines)),
            Block::Table { label, caption, rows, .. } => {
                lines.push(format!("{label}: {}", plain_text(caption)));
                for row in rows {
                    lines.push(row.iter().map(|cell| plain_text(cell)).collect::<Vec<_>>().join(" "));
                }
            }
            Block::Figure { label, caption, .. } => lines.push(format!("{label}: {}", plain_text(caption))),
            Block::Quote { blocks } => push_blocks_text(blocks, lines),
            Block::Code { text } => lines.push(text.clone()),
        }
    }
}
