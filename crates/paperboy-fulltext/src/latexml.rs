//! arXiv's HTML rendering of a paper (made by LaTeXML) into a [`Document`].
//!
//! LaTeXML marks everything with `ltx_` classes: `ltx_document` holds the paper, `<section>`
//! elements with `ltx_title` headings nest as the LaTeX did, `<math>` carries its LaTeX source
//! in `alttext`, footnotes are `ltx_note` spans, the bibliography is `ltx_bibliography`. The
//! conversion reads those and nothing else of the page: arXiv's navigation, scripts, styles,
//! images, forms and frames are dropped, links keep only `http`/`https` addresses, and nothing
//! of the page's markup survives into the document (it is rebuilt from text), so a hostile page
//! can neither run nor load anything where the document is shown.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use thiserror::Error;

use crate::document::{Block, Document, Footnote, Inline, ListItem, Reference, Section, Source, plain_text};
use crate::dom::{Data, Dom, NodeId};

/// Why a page gave no document.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConvertError {
    /// Larger than the limit set for one paper.
    #[error("the page is {size} bytes, over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    /// Not LaTeXML's rendering of a paper (no `ltx_document`): an error page, a captcha, a
    /// listing.
    #[error("the page is not a paper in arXiv's HTML (LaTeXML) format")]
    NotLatexml,
    /// The page stops before its end: the transfer was cut.
    #[error("the page is truncated: it stops before its closing </html>")]
    Truncated,
    /// A LaTeXML page with no text in it.
    #[error("the page has no text")]
    Empty,
}

/// Elements whose content is never part of the paper's text.
const SKIPPED_TAGS: [&str; 22] = [
    "script", "style", "noscript", "template", "iframe", "frame", "frameset", "object", "embed", "form",
    "input", "button", "select", "textarea", "nav", "header", "footer", "head", "img", "svg", "canvas",
    "video",
];

/// LaTeXML's page chrome and parts that are not text.
const SKIPPED_CLASSES: [&str; 7] = [
    "ltx_page_navbar",
    "ltx_page_footer",
    "ltx_page_logo",
    "ltx_TOC",
    "ltx_pagination",
    "ltx_listing_data",
    "ltx_rdf",
];

/// Elements that start a block; anything else is inline.
const BLOCK_TAGS: [&str; 23] = [
    "p",
    "div",
    "section",
    "article",
    "main",
    "aside",
    "figure",
    "figcaption",
    "table",
    "ul",
    "ol",
    "dl",
    "li",
    "dd",
    "dt",
    "blockquote",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
];

/// How LaTeXML offers a listing's source for download.
const LISTING_DATA: &str = "data:text/plain;base64,";

/// Deeper than this, a subtree is read as plain text: a hostile page may nest without end.
const MAX_DEPTH: usize = 96;

/// Converts arXiv's HTML page of a paper, refusing one larger than `max_bytes`.
pub fn convert(html: &[u8], max_bytes: usize) -> Result<Document, ConvertError> {
    if html.len() > max_bytes {
        return Err(ConvertError::TooLarge { size: html.len(), limit: max_bytes });
    }
    let dom = Dom::parse(html);
    let document = dom
        .find(dom.root(), |n| dom.has_class(n, "ltx_document") && dom.tag(n) != "body")
        .ok_or(ConvertError::NotLatexml)?;
    if !ends_as_html(html) {
        return Err(ConvertError::Truncated);
    }
    let mut converter = Converter { dom: &dom, sections: Vec::new(), footnotes: Vec::new(), depth: 0 };
    let doc = converter.document(document);
    let empty = doc.abstract_blocks.is_empty() && doc.preamble.is_empty() && doc.sections.is_empty();
    if empty { Err(ConvertError::Empty) } else { Ok(doc) }
}

/// Whether the page ends with `</html>`, as every page LaTeXML writes does.
fn ends_as_html(html: &[u8]) -> bool {
    let end = html.trim_ascii_end();
    end.len() >= 7 && end[end.len() - 7..].eq_ignore_ascii_case(b"</html>")
}

struct Converter<'a> {
    dom: &'a Dom,
    sections: Vec<Section>,
    footnotes: Vec<Footnote>,
    depth: usize,
}

impl Converter<'_> {
    fn document(&mut self, article: NodeId) -> Document {
        let dom = self.dom;
        let mut title = Vec::new();
        let mut authors = String::new();
        let mut abstract_blocks = Vec::new();
        let mut references = Vec::new();
        let mut rest = Vec::new();
        for &child in dom.children(article) {
            if dom.has_class(child, "ltx_title_document") {
                title = normalize(self.inlines(child));
            } else if dom.has_class(child, "ltx_authors") {
                authors = self.authors(child);
            } else if dom.has_class(child, "ltx_abstract") {
                self.blocks(child, &mut abstract_blocks);
            } else if dom.has_class(child, "ltx_bibliography") {
                references = self.references(child);
            } else {
                rest.push(child);
            }
        }
        let mut preamble = Vec::new();
        let mut pending = Vec::new();
        for child in rest {
            self.node(child, &mut pending, &mut preamble);
        }
        flush(&mut pending, &mut preamble);
        // A bibliography inside the last section (some papers put it there).
        if references.is_empty()
            && let Some(bibliography) = dom.find(article, |n| dom.has_class(n, "ltx_bibliography"))
        {
            references = self.references(bibliography);
        }
        Document {
            source: Source::Html,
            title,
            authors,
            abstract_blocks,
            preamble,
            sections: std::mem::take(&mut self.sections),
            footnotes: std::mem::take(&mut self.footnotes),
            references,
        }
    }

    fn skipped(&self, id: NodeId) -> bool {
        let dom = self.dom;
        match dom.data(id) {
            Data::Element { .. } => {
                SKIPPED_TAGS.contains(&dom.tag(id))
                    || SKIPPED_CLASSES.iter().any(|class| dom.has_class(id, class))
            }
            Data::Text(_) => false,
            Data::Root | Data::Other => true,
        }
    }

    fn is_block(&self, id: NodeId) -> bool {
        BLOCK_TAGS.contains(&self.dom.tag(id))
    }

    /// The blocks of `parent`'s children: runs of inline content become paragraphs.
    fn blocks(&mut self, parent: NodeId, out: &mut Vec<Block>) {
        let mut pending = Vec::new();
        for &child in self.dom.children(parent) {
            self.node(child, &mut pending, out);
        }
        flush(&mut pending, out);
    }

    /// One child in a block context: inline content gathers in `pending` until a block comes.
    fn node(&mut self, id: NodeId, pending: &mut Vec<Inline>, out: &mut Vec<Block>) {
        if self.skipped(id) {
            return;
        }
        if let Data::Text(text) = self.dom.data(id) {
            pending.push(Inline::text(text.as_str()));
        } else if self.is_block(id) {
            flush(pending, out);
            self.block(id, out);
        } else {
            self.inline(id, pending);
        }
    }

    fn block(&mut self, id: NodeId, out: &mut Vec<Block>) {
        let dom = self.dom;
        if self.depth > MAX_DEPTH {
            let text = collapse(&dom.text(id));
            if !text.trim().is_empty() {
                out.push(Block::Paragraph { content: vec![Inline::text(text.trim())] });
            }
            return;
        }
        self.depth += 1;
        let tag = dom.tag(id);
        let classes = |class: &str| dom.has_class(id, class);
        if tag == "section" && classes("ltx_bibliography") {
            // Read with the document's references.
        } else if tag == "section" {
            self.section(id);
        } else if classes("ltx_title") {
            // A section's heading, read by the section.
        } else if matches!(tag, "h1" | "h2" | "h3" | "h4" | "h5" | "h6") {
            let content = normalize(self.inlines(id));
            if !content.is_empty() {
                out.push(Block::Paragraph { content: vec![Inline::Strong { content }] });
            }
        } else if tag == "figure" {
            self.figure(id, out);
        } else if tag == "table"
            && (classes("ltx_equation") || classes("ltx_equationgroup") || classes("ltx_eqn_table"))
        {
            out.extend(self.equation(id));
        } else if tag == "table" {
            let rows = self.rows(id);
            if !rows.is_empty() {
                let anchor = dom.attr(id, "id").unwrap_or_default().to_owned();
                out.push(Block::Table { anchor, label: String::new(), caption: Vec::new(), rows });
            }
        } else if matches!(tag, "ul" | "ol") {
            let items = self.list_items(id);
            if !items.is_empty() {
                out.push(Block::List { ordered: tag == "ol", items });
            }
        } else if tag == "dl" {
            let items = self.description_items(id);
            if !items.is_empty() {
                out.push(Block::List { ordered: false, items });
            }
        } else if tag == "blockquote" {
            let mut blocks = Vec::new();
            self.blocks(id, &mut blocks);
            if !blocks.is_empty() {
                out.push(Block::Quote { blocks });
            }
        } else if tag == "pre" {
            out.push(Block::Code { text: dom.text(id).trim_end().to_owned() });
        } else if classes("ltx_listing") {
            out.push(Block::Code { text: self.listing(id) });
        } else {
            self.blocks(id, out);
        }
        self.depth -= 1;
    }

    /// A code listing's text: the exact source LaTeXML offers for download (`data:` in
    /// `ltx_listing_data`), else the text of its lines.
    fn listing(&self, id: NodeId) -> String {
        let dom = self.dom;
        let source = dom
            .find(id, |n| {
                dom.tag(n) == "a" && dom.attr(n, "href").is_some_and(|h| h.starts_with(LISTING_DATA))
            })
            .and_then(|a| dom.attr(a, "href"))
            .and_then(|href| BASE64.decode(href[LISTING_DATA.len()..].trim()).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).trim_end().to_owned());
        source.unwrap_or_else(|| {
            let lines = dom.find_all(id, |n| dom.has_class(n, "ltx_listingline"));
            let lines: Vec<String> = lines
                .iter()
                .map(|&line| dom.text(line).replace('\u{a0}', " ").trim_matches('\n').trim_end().to_owned())
                .collect();
            lines.join("\n")
        })
    }

    fn section(&mut self, id: NodeId) {
        let dom = self.dom;
        let heading = dom
            .children(id)
            .iter()
            .copied()
            .find(|&child| dom.has_class(child, "ltx_title") && dom.tag(child).starts_with('h'));
        let (level, number, title) = match heading {
            Some(heading) => {
                let level = dom.tag(heading)[1..].parse::<u8>().unwrap_or(2).saturating_sub(1).max(1);
                let number = dom
                    .find(heading, |n| dom.has_class(n, "ltx_tag"))
                    .map(|tag| collapse(&dom.text(tag)).trim().to_owned())
                    .unwrap_or_default();
                let title = normalize(self.inlines_without_tags(heading));
                (level, number, title)
            }
            None => (1, String::new(), Vec::new()),
        };
        let anchor = dom.attr(id, "id").unwrap_or_default().to_owned();
        let index = self.sections.len();
        self.sections.push(Section { anchor, level, number, title, blocks: Vec::new() });
        let mut blocks = Vec::new();
        self.blocks(id, &mut blocks);
        self.sections[index].blocks = blocks;
    }

    fn figure(&mut self, id: NodeId, out: &mut Vec<Block>) {
        let dom = self.dom;
        let mut caption = Vec::new();
        let mut label = String::new();
        let mut rows = Vec::new();
        let mut inner = Vec::new();
        for &child in dom.children(id) {
            if self.skipped(child) {
                continue;
            }
            if dom.tag(child) == "figcaption" {
                label = self.label(child);
                caption = normalize(self.inlines_without_tags(child));
            } else if dom.tag(child) == "table" && !dom.has_class(child, "ltx_equation") && rows.is_empty() {
                rows = self.rows(child);
            } else if dom.find(child, |n| dom.tag(n) == "table" && dom.has_class(n, "ltx_tabular")).is_some()
                && rows.is_empty()
                && !dom.has_class(child, "ltx_figure")
            {
                let table = dom.find(child, |n| dom.has_class(n, "ltx_tabular")).unwrap_or(child);
                rows = self.rows(table);
            } else {
                self.block(child, &mut inner);
            }
        }
        out.append(&mut inner);
        let anchor = dom.attr(id, "id").unwrap_or_default().to_owned();
        if !rows.is_empty() || dom.has_class(id, "ltx_table") {
            if !rows.is_empty() || !caption.is_empty() {
                out.push(Block::Table { anchor, label, caption, rows });
            }
        } else if !caption.is_empty() || !label.is_empty() {
            out.push(Block::Figure { anchor, label, caption });
        }
    }

    /// A caption's printed label, `Figure 3`, without its colon.
    fn label(&self, caption: NodeId) -> String {
        let dom = self.dom;
        dom.find(caption, |n| dom.has_class(n, "ltx_tag"))
            .map(|tag| collapse(&dom.text(tag)).trim().trim_end_matches(':').trim().to_owned())
            .unwrap_or_default()
    }

    fn rows(&mut self, table: NodeId) -> Vec<Vec<Vec<Inline>>> {
        let dom = self.dom;
        let rows = dom.find_all(table, |n| dom.tag(n) == "tr");
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let cells = dom.find_all(row, |n| matches!(dom.tag(n), "td" | "th"));
            let cells: Vec<Vec<Inline>> =
                cells.into_iter().map(|cell| normalize(self.inlines(cell))).collect();
            if cells.iter().any(|cell| !cell.is_empty()) {
                out.push(cells);
            }
        }
        out
    }

    /// A displayed equation or group: one block per row when every row has its number (an
    /// `align`), else the rows stacked in one block with the numbers there are.
    fn equation(&self, table: NodeId) -> Vec<Block> {
        let dom = self.dom;
        let mut rows = Vec::new();
        for row in dom.find_all(table, |n| dom.tag(n) == "tr") {
            let maths = dom.find_all(row, |n| dom.tag(n) == "math");
            let line: Vec<String> = maths.iter().map(|&m| tex(dom, m)).filter(|t| !t.is_empty()).collect();
            let number = dom
                .find(row, |n| dom.has_class(n, "ltx_tag_equation"))
                .map(|tag| collapse(&dom.text(tag)).trim().to_owned())
                .unwrap_or_default();
            // An equation's anchor is on its row, or on the row's group (`tbody`), or the table.
            let anchor = [Some(row), dom.parent(row)]
                .into_iter()
                .flatten()
                .find_map(|n| dom.attr(n, "id"))
                .or(dom.attr(table, "id"))
                .unwrap_or_default()
                .to_owned();
            if !line.is_empty() {
                rows.push(Block::Equation { anchor, tex: line.join(" "), number });
            } else if let Some(Block::Equation { number: last, .. }) = rows.last_mut()
                && !number.is_empty()
            {
                *last = number;
            }
        }
        let numbered = |block: &Block| matches!(block, Block::Equation { number, .. } if !number.is_empty());
        if rows.len() <= 1 || rows.iter().all(numbered) {
            return rows;
        }
        let mut lines = Vec::new();
        let mut numbers = Vec::new();
        for row in rows {
            if let Block::Equation { tex, number, .. } = row {
                lines.push(tex);
                let number = number.trim_matches(|c| c == '(' || c == ')').to_owned();
                if !number.is_empty() {
                    numbers.push(number);
                }
            }
        }
        vec![Block::Equation {
            anchor: dom.attr(table, "id").unwrap_or_default().to_owned(),
            tex: format!("\\begin{{gathered}}\n{}\n\\end{{gathered}}", lines.join(" \\\\\n")),
            number: if numbers.is_empty() { String::new() } else { format!("({})", numbers.join(", ")) },
        }]
    }

    fn list_items(&mut self, list: NodeId) -> Vec<ListItem> {
        let dom = self.dom;
        let mut items = Vec::new();
        for &item in dom.children(list) {
            if dom.tag(item) != "li" {
                continue;
            }
            let label = dom
                .children(item)
                .iter()
                .find(|&&c| dom.has_class(c, "ltx_tag"))
                .map(|&tag| collapse(&dom.text(tag)).trim().to_owned())
                .filter(|label| !matches!(label.as_str(), "•" | "–" | "-" | "∙" | "◦" | "▪" | "*"))
                .unwrap_or_default();
            let mut blocks = Vec::new();
            let mut pending = Vec::new();
            for &child in dom.children(item) {
                if !dom.has_class(child, "ltx_tag") {
                    self.node(child, &mut pending, &mut blocks);
                }
            }
            flush(&mut pending, &mut blocks);
            items.push(ListItem { label, blocks });
        }
        items
    }

    fn description_items(&mut self, list: NodeId) -> Vec<ListItem> {
        let dom = self.dom;
        let mut items: Vec<ListItem> = Vec::new();
        for &child in dom.children(list) {
            match dom.tag(child) {
                "dt" => items.push(ListItem {
                    label: collapse(&dom.text(child)).trim().to_owned(),
                    blocks: Vec::new(),
                }),
                "dd" => {
                    let mut blocks = Vec::new();
                    self.blocks(child, &mut blocks);
                    match items.last_mut() {
                        Some(item) if item.blocks.is_empty() => item.blocks = blocks,
                        _ => items.push(ListItem { label: String::new(), blocks }),
                    }
                }
                _ => {}
            }
        }
        items
    }

    fn references(&mut self, bibliography: NodeId) -> Vec<Reference> {
        let dom = self.dom;
        let mut references = Vec::new();
        for item in dom.find_all(bibliography, |n| dom.tag(n) == "li") {
            let label = dom
                .find(item, |n| dom.has_class(n, "ltx_tag"))
                .map(|tag| collapse(&dom.text(tag)).trim().to_owned())
                .unwrap_or_default();
            let mut content = Vec::new();
            for block in dom.find_all(item, |n| dom.has_class(n, "ltx_bibblock")) {
                content.push(Inline::text(" "));
                self.inline_children(block, &mut content);
            }
            let content = normalize(content);
            if !content.is_empty() {
                let anchor = dom.attr(item, "id").unwrap_or_default().to_owned();
                references.push(Reference { anchor, label, content });
            }
        }
        references
    }

    /// The authors as printed: each author block's text (names, and affiliations where the
    /// paper puts them there), superscript marks dropped, blocks and lines separated by `; `.
    fn authors(&mut self, block: NodeId) -> String {
        let dom = self.dom;
        let creators = dom.find_all(block, |n| dom.has_class(n, "ltx_creator"));
        let parts: Vec<NodeId> = if creators.is_empty() { vec![block] } else { creators };
        let mut text = String::new();
        for part in parts {
            for inline in without_marks(normalize(self.inlines(part))) {
                match inline {
                    Inline::Break => text.push(';'),
                    other => text.push_str(&plain_text(std::slice::from_ref(&other))),
                }
                text.push(' ');
            }
            text.push(';');
        }
        collapse(&text)
            .split(';')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn inlines(&mut self, id: NodeId) -> Vec<Inline> {
        let mut out = Vec::new();
        self.inline_children(id, &mut out);
        out
    }

    /// The inline content of a heading or caption without its printed number.
    fn inlines_without_tags(&mut self, id: NodeId) -> Vec<Inline> {
        let dom = self.dom;
        let mut out = Vec::new();
        for &child in dom.children(id) {
            if !dom.has_class(child, "ltx_tag") {
                self.inline(child, &mut out);
            }
        }
        out
    }

    fn inline_children(&mut self, id: NodeId, out: &mut Vec<Inline>) {
        for &child in self.dom.children(id) {
            self.inline(child, out);
        }
    }

    fn inline(&mut self, id: NodeId, out: &mut Vec<Inline>) {
        let dom = self.dom;
        if self.skipped(id) {
            return;
        }
        if let Data::Text(text) = dom.data(id) {
            out.push(Inline::text(text.as_str()));
            return;
        }
        if self.depth > MAX_DEPTH {
            out.push(Inline::text(dom.text(id)));
            return;
        }
        self.depth += 1;
        let tag = dom.tag(id);
        let classes = |class: &str| dom.has_class(id, class);
        match tag {
            "math" => {
                let tex = tex(dom, id);
                if !tex.is_empty() {
                    out.push(Inline::Math { tex, display: dom.attr(id, "display") == Some("block") });
                }
            }
            "br" => out.push(Inline::Break),
            "a" => {
                let content = self.inlines(id);
                out.push(link(dom.attr(id, "href").unwrap_or_default(), content));
            }
            "sup" if classes("ltx_note_mark") => {}
            "sup" => out.push(Inline::Sup { content: self.inlines(id) }),
            "sub" => out.push(Inline::Sub { content: self.inlines(id) }),
            "code" | "tt" | "kbd" | "samp" => out.push(Inline::Code { text: collapse(&dom.text(id)) }),
            "em" | "i" => out.push(Inline::Emph { content: self.inlines(id) }),
            "strong" | "b" => out.push(Inline::Strong { content: self.inlines(id) }),
            _ if classes("ltx_note") => self.note(id, out),
            _ if classes("ltx_font_bold") => out.push(Inline::Strong { content: self.inlines(id) }),
            _ if classes("ltx_font_italic") => out.push(Inline::Emph { content: self.inlines(id) }),
            _ if self.is_block(id) => {
                out.push(Inline::text(" "));
                self.inline_children(id, out);
                out.push(Inline::text(" "));
            }
            _ => self.inline_children(id, out),
        }
        self.depth -= 1;
    }

    /// A footnote: its mark stays in the text, its content joins the footnotes.
    fn note(&mut self, id: NodeId, out: &mut Vec<Inline>) {
        let dom = self.dom;
        let mark = dom
            .children(id)
            .iter()
            .find(|&&c| dom.has_class(c, "ltx_note_mark"))
            .map(|&mark| collapse(&dom.text(mark)).trim().to_owned())
            .filter(|mark| !mark.is_empty())
            .unwrap_or_else(|| (self.footnotes.len() + 1).to_string());
        let mut content = Vec::new();
        if let Some(body) = dom.find(id, |n| dom.has_class(n, "ltx_note_content")) {
            for &child in dom.children(body) {
                let decoration =
                    ["ltx_note_mark", "ltx_tag", "ltx_note_type"].iter().any(|c| dom.has_class(child, c));
                if !decoration {
                    self.inline(child, &mut content);
                }
            }
        }
        let mut label = mark.clone();
        let mut n = 1;
        while self.footnotes.iter().any(|f| f.label == label) {
            n += 1;
            label = format!("{mark}.{n}");
        }
        self.footnotes.push(Footnote { label: label.clone(), content: normalize(content) });
        out.push(Inline::Note { label });
    }
}

/// Inline content without superscripts and footnote marks (affiliation marks of names).
fn without_marks(inlines: Vec<Inline>) -> Vec<Inline> {
    inlines
        .into_iter()
        .filter(|inline| !matches!(inline, Inline::Sup { .. } | Inline::Note { .. }))
        .map(|inline| match inline {
            Inline::Strong { content } => Inline::Strong { content: without_marks(content) },
            Inline::Emph { content } => Inline::Emph { content: without_marks(content) },
            other => other,
        })
        .collect()
}

/// The LaTeX of a `<math>` element: its `alttext`, else the `application/x-tex` annotation.
fn tex(dom: &Dom, math: NodeId) -> String {
    let source = match dom.attr(math, "alttext") {
        Some(alt) => alt.to_owned(),
        None => dom
            .find(math, |n| {
                dom.tag(n) == "annotation" && dom.attr(n, "encoding") == Some("application/x-tex")
            })
            .map(|annotation| dom.text(annotation))
            .unwrap_or_default(),
    };
    collapse(&source).trim().to_owned()
}

/// A link: to a place in the paper (`#S3`, or arXiv's address of this page with a fragment),
/// out of it (http or https), or, for anything else (`javascript:`), just its text.
fn link(href: &str, content: Vec<Inline>) -> Inline {
    let href = href.trim();
    if let Some((page, fragment)) = href.split_once('#')
        && !fragment.is_empty()
        && (page.is_empty() || page.contains("arxiv.org/html/"))
    {
        return Inline::Ref { anchor: fragment.to_owned(), content };
    }
    let lower = href.to_ascii_lowercase();
    let plain = href.chars().all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '<' | '>' | '"'));
    if (lower.starts_with("https://") || lower.starts_with("http://")) && plain {
        Inline::Link { href: href.to_owned(), content }
    } else {
        Inline::text(plain_text(&content))
    }
}

/// Every run of whitespace as one space.
fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

/// Ends a paragraph: its inline content, when it has text, becomes a block. A paragraph that is
/// one displayed formula is an equation.
fn flush(pending: &mut Vec<Inline>, out: &mut Vec<Block>) {
    let content = normalize(std::mem::take(pending));
    if let [Inline::Math { tex, display: true }] = content.as_slice() {
        out.push(Block::Equation { anchor: String::new(), tex: tex.clone(), number: String::new() });
    } else if !plain_text(&content).is_empty() {
        out.push(Block::Paragraph { content });
    }
}

/// Whitespace as a reader sees it: runs collapsed (also across elements), none at either end,
/// adjacent text joined, empty text and empty wrappers dropped.
fn normalize(inlines: Vec<Inline>) -> Vec<Inline> {
    let mut space = true;
    let mut out = normalize_in(inlines, &mut space);
    while let Some(Inline::Text { text }) = out.last_mut() {
        let trimmed = text.trim_end().len();
        text.truncate(trimmed);
        if !text.is_empty() {
            break;
        }
        out.pop();
    }
    while matches!(out.last(), Some(Inline::Break)) {
        out.pop();
    }
    out
}

fn normalize_in(inlines: Vec<Inline>, space: &mut bool) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::with_capacity(inlines.len());
    for inline in inlines {
        match inline {
            Inline::Text { text } => push_text(&mut out, &text, space),
            Inline::Break => {
                if let Some(Inline::Text { text }) = out.last_mut() {
                    let trimmed = text.trim_end().len();
                    text.truncate(trimmed);
                }
                *space = true;
                out.push(Inline::Break);
            }
            Inline::Emph { content } => wrap(&mut out, content, space, |content| Inline::Emph { content }),
            Inline::Strong { content } => {
                wrap(&mut out, content, space, |content| Inline::Strong { content })
            }
            Inline::Link { href, content } => {
                wrap(&mut out, content, space, |content| Inline::Link { href, content })
            }
            Inline::Ref { anchor, content } => {
                wrap(&mut out, content, space, |content| Inline::Ref { anchor, content })
            }
            Inline::Sup { content } => wrap(&mut out, content, space, |content| Inline::Sup { content }),
            Inline::Sub { content } => wrap(&mut out, content, space, |content| Inline::Sub { content }),
            Inline::Code { text } if text.trim().is_empty() => {}
            other => {
                *space = false;
                out.push(other);
            }
        }
    }
    out
}

/// Adds text, its whitespace collapsed with what comes before, to `out`.
fn push_text(out: &mut Vec<Inline>, text: &str, space: &mut bool) {
    let mut text = collapse(text);
    if *space && text.starts_with(' ') {
        text.remove(0);
    }
    if text.is_empty() {
        return;
    }
    *space = text.ends_with(' ');
    match out.last_mut() {
        Some(Inline::Text { text: last }) => last.push_str(&text),
        _ => out.push(Inline::Text { text }),
    }
}

/// A wrapper (emphasis, a link) around normalized content. Spaces at its edges move outside
/// it, where Markdown needs them; an empty wrapper is dropped.
fn wrap(
    out: &mut Vec<Inline>,
    content: Vec<Inline>,
    space: &mut bool,
    make: impl FnOnce(Vec<Inline>) -> Inline,
) {
    let before = *space;
    let mut content = normalize_in(content, space);
    if let Some(Inline::Text { text }) = content.first_mut()
        && text.starts_with(' ')
    {
        text.remove(0);
        if !before {
            push_text(out, " ", &mut false);
        }
    }
    let mut trailing = false;
    if let Some(Inline::Text { text }) = content.last_mut()
        && text.ends_with(' ')
    {
        text.pop();
        trailing = true;
    }
    content.retain(|inline| !matches!(inline, Inline::Text { text } if text.is_empty()));
    if content.is_empty() {
        if trailing && !before {
            push_text(out, " ", &mut false);
        }
        *space = before || trailing;
        return;
    }
    out.push(make(content));
    *space = false;
    if trailing {
        push_text(out, " ", space);
    }
}
