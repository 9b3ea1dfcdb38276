//! A [`Document`] as Markdown, what `GET /papers/{id}.md` serves and Hugging Face's client
//! reads: headings with their numbers, paragraphs, lists, GitHub tables, captions in bold,
//! math as `$...$` and `$$...$$`, footnotes as `[^1]`, links to places in the paper as
//! `(#anchor)`, and the references last.

use crate::document::{Block, Document, Inline, Section, Source};

/// Renders `doc` as Markdown.
pub fn to_markdown(doc: &Document) -> String {
    let mut out = String::new();
    let title = inlines(&doc.title, Context::Line);
    out.push_str(&format!("# {}\n\n", if title.is_empty() { "Untitled" } else { &title }));
    if !doc.authors.is_empty() {
        out.push_str(&format!("{}\n\n", escape(&doc.authors, Context::Text)));
    }
    if doc.source == Source::Pdf {
        out.push_str(
            "> This text was extracted from the paper's PDF: its layout, tables and math are not kept.\n\n",
        );
    }
    if !doc.abstract_blocks.is_empty() {
        out.push_str("## Abstract\n\n");
        blocks(&doc.abstract_blocks, &mut out);
    }
    blocks(&doc.preamble, &mut out);
    sections_into(&doc.sections, &mut out);
    if !doc.footnotes.is_empty() {
        for note in &doc.footnotes {
            out.push_str(&format!(
                "[^{}]: {}\n",
                footnote_label(&note.label),
                inlines(&note.content, Context::Line)
            ));
        }
        out.push('\n');
    }
    if !doc.references.is_empty() {
        out.push_str("## References\n\n");
        for reference in &doc.references {
            let text = inlines(&reference.content, Context::Line);
            match reference.label.is_empty() {
                true => out.push_str(&format!("- {text}\n")),
                false => out.push_str(&format!("- **{}** {text}\n", escape(&reference.label, Context::Line))),
            }
        }
        out.push('\n');
    }
    let end = out.trim_end().len();
    out.truncate(end);
    out.push('\n');
    out
}

/// Some of a document's sections alone as Markdown, headed as in [`to_markdown`] (an agent
/// reading a paper a section at a time).
pub fn sections_markdown(sections: &[Section]) -> String {
    let mut out = String::new();
    sections_into(sections, &mut out);
    out.trim_end().to_owned()
}

fn sections_into(sections: &[Section], out: &mut String) {
    for section in sections {
        let hashes = "#".repeat((usize::from(section.level) + 1).min(6));
        let title = inlines(&section.title, Context::Line);
        let heading = match (section.number.is_empty(), title.is_empty()) {
            (false, false) => format!("{} {title}", escape(&section.number, Context::Line)),
            (false, true) => escape(&section.number, Context::Line),
            (true, _) => title,
        };
        if !heading.is_empty() {
            out.push_str(&format!("{hashes} {heading}\n\n"));
        }
        blocks(&section.blocks, out);
    }
}

/// Where inline content goes: a paragraph may break lines; a heading, list label or table cell
/// may not, and a table cell escapes `|` too.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Text,
    Line,
    Cell,
}

fn blocks(list: &[Block], out: &mut String) {
    for block in list {
        block_into(block, out);
    }
}

fn block_into(block: &Block, out: &mut String) {
    match block {
        Block::Paragraph { content } => {
            out.push_str(&guard_start(&inlines(content, Context::Text)));
            out.push_str("\n\n");
        }
        Block::Equation { tex, number, .. } => {
            let tag = number.trim_matches(|c| c == '(' || c == ')');
            match tag.is_empty() {
                true => out.push_str(&format!("$$\n{}\n$$\n\n", tex.trim())),
                false => out.push_str(&format!("$$\n{} \\tag{{{tag}}}\n$$\n\n", tex.trim())),
            }
        }
        Block::List { ordered, items } => {
            for (n, item) in items.iter().enumerate() {
                let marker = match (ordered, item.label.is_empty()) {
                    (true, _) => format!("{}. ", n + 1),
                    (false, true) => "- ".to_owned(),
                    (false, false) => format!("- {} ", escape(&item.label, Context::Line)),
                };
                let mut body = String::new();
                blocks(&item.blocks, &mut body);
                let indent = " ".repeat(if *ordered { marker.len() } else { 2 });
                let mut lines = body.trim_start_matches('\n').trim_end().lines();
                out.push_str(&marker);
                out.push_str(lines.next().unwrap_or_default());
                out.push('\n');
                for line in lines {
                    if !line.is_empty() {
                        out.push_str(&indent);
                    }
                    out.push_str(line);
                    out.push('\n');
                }
            }
            out.push('\n');
        }
        Block::Table { label, caption, rows, .. } => {
            caption_into(label, caption, out);
            table(rows, out);
        }
        Block::Figure { label, caption, .. } => caption_into(label, caption, out),
        Block::Quote { blocks: inner } => {
            let mut body = String::new();
            blocks(inner, &mut body);
            for line in body.trim_start_matches('\n').trim_end().lines() {
                out.push_str(if line.is_empty() { ">" } else { "> " });
                out.push_str(line);
                out.push('\n');
            }
            out.push('\n');
        }
        Block::Code { text } => {
            let fence = "`".repeat(longest_run(text, '`').max(2) + 1);
            out.push_str(&format!("{fence}\n{text}\n{fence}\n\n"));
        }
    }
}

fn caption_into(label: &str, caption: &[Inline], out: &mut String) {
    let text = inlines(caption, Context::Text);
    match (label.is_empty(), text.is_empty()) {
        (true, true) => {}
        (true, false) => out.push_str(&format!("{}\n\n", guard_start(&text))),
        (false, _) => out.push_str(&format!("**{}:** {text}\n\n", escape(label, Context::Line))),
    }
}

fn table(rows: &[Vec<Vec<Inline>>], out: &mut String) {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    if width == 0 {
        return;
    }
    for (n, row) in rows.iter().enumerate() {
        out.push('|');
        for column in 0..width {
            let cell = row.get(column).map(|cell| inlines(cell, Context::Cell)).unwrap_or_default();
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
        if n == 0 {
            out.push('|');
            out.push_str(&" --- |".repeat(width));
            out.push('\n');
        }
    }
    out.push('\n');
}

/// Inline content as Markdown.
fn inlines(list: &[Inline], context: Context) -> String {
    let mut out = String::new();
    for inline in list {
        match inline {
            Inline::Text { text } => out.push_str(&escape(text, context)),
            Inline::Emph { content } => out.push_str(&format!("*{}*", inlines(content, context))),
            Inline::Strong { content } => out.push_str(&format!("**{}**", inlines(content, context))),
            Inline::Code { text } => {
                let fence = "`".repeat(longest_run(text, '`') + 1);
                let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
                out.push_str(&format!("{fence}{pad}{text}{pad}{fence}"));
            }
            Inline::Math { tex, display } => {
                let tex = tex.replace(['\n', '\r'], " ");
                let tex = if context == Context::Cell { tex.replace('|', "\\vert ") } else { tex };
                match display {
                    true => out.push_str(&format!("$${}$$", tex.trim())),
                    false => out.push_str(&format!("${}$", tex.trim())),
                }
            }
            Inline::Link { href, content } => {
                out.push_str(&format!("[{}]({})", inlines(content, context), link_target(href)));
            }
            Inline::Ref { anchor, content } => {
                out.push_str(&format!("[{}](#{})", inlines(content, context), link_target(anchor)));
            }
            Inline::Note { label } => out.push_str(&format!("[^{}]", footnote_label(label))),
            Inline::Sup { content } => out.push_str(&format!("<sup>{}</sup>", inlines(content, context))),
            Inline::Sub { content } => out.push_str(&format!("<sub>{}</sub>", inlines(content, context))),
            Inline::Break => match context {
                Context::Text => out.push_str("\\\n"),
                Context::Line | Context::Cell => out.push(' '),
            },
        }
    }
    out
}

/// Text with what Markdown would read as markup escaped: emphasis, code, links, HTML, math.
fn escape(text: &str, context: Context) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let intraword = |c: char| {
            c == '_'
                && i > 0
                && chars[i - 1].is_alphanumeric()
                && chars.get(i + 1).is_some_and(|next| next.is_alphanumeric())
        };
        let special = matches!(c, '\\' | '*' | '`' | '[' | ']' | '<' | '>' | '$' | '_')
            || (c == '|' && context == Context::Cell);
        if special && !intraword(c) {
            out.push('\\');
        }
        match c {
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A paragraph that would start a heading, list or quote in Markdown starts with a backslash.
fn guard_start(text: &str) -> String {
    let starts_block = text.starts_with('#')
        || text.starts_with("- ")
        || text.starts_with("+ ")
        || text.starts_with("= ")
        || text.starts_with("---");
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let numbered = digits > 0 && matches!(text.as_bytes().get(digits..digits + 2), Some(b". " | b") "));
    if starts_block {
        format!("\\{text}")
    } else if numbered {
        format!("{}\\{}", &text[..digits], &text[digits..])
    } else {
        text.to_owned()
    }
}

/// A link target: spaces and parentheses percent-encoded, so the link cannot end early.
fn link_target(target: &str) -> String {
    target.replace(' ', "%20").replace('(', "%28").replace(')', "%29").replace('<', "%3C").replace('>', "%3E")
}

/// A footnote label as Markdown allows one: no spaces or brackets.
fn footnote_label(label: &str) -> String {
    label.chars().map(|c| if c.is_whitespace() || matches!(c, '[' | ']' | '^') { '-' } else { c }).collect()
}

fn longest_run(text: &str, of: char) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == of { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::ListItem;

    fn text(t: &str) -> Inline {
        Inline::text(t)
    }

    fn paragraph(content: Vec<Inline>) -> Block {
        Block::Paragraph { content }
    }

    #[test]
    fn text_that_looks_like_markup_stays_text() {
        assert_eq!(
            escape("a*b [c](d) <e> $5 snake_case _x_ \\", Context::Text),
            "a\\*b \\[c\\](d) \\<e\\> \\$5 snake_case \\_x\\_ \\\\"
        );
        assert_eq!(escape("a | b", Context::Cell), "a \\| b");
        assert_eq!(guard_start("# not a heading"), "\\# not a heading");
        assert_eq!(guard_start("2026. A year"), "2026\\. A year");
        assert_eq!(guard_start("- not a list"), "\\- not a list");
        assert_eq!(guard_start("3.5 is a number"), "3.5 is a number");
    }

    #[test]
    fn blocks_become_markdown() {
        let mut out = String::new();
        let items = vec![
            ListItem {
                label: String::new(),
                blocks: vec![paragraph(vec![text("one")]), paragraph(vec![text("more")])],
            },
            ListItem { label: "(b)".into(), blocks: vec![paragraph(vec![text("two")])] },
        ];
        blocks(
            &[
                Block::List { ordered: false, items },
                Block::Table {
                    anchor: "T1".into(),
                    label: "Table 1".into(),
                    caption: vec![text("Scores")],
                    rows: vec![
                        vec![vec![text("a|b")], vec![Inline::Math { tex: "|x|".into(), display: false }]],
                        vec![vec![text("1")]],
                    ],
                },
                Block::Code { text: "x = ```".into() },
                Block::Quote { blocks: vec![paragraph(vec![text("said"), Inline::Break, text("twice")])] },
            ],
            &mut out,
        );
        let expected = "- one\n\n  more\n- (b) two\n\n**Table 1:** Scores\n\n| a\\|b | $\\vert x\\vert$ |\n| --- | --- |\n| 1 |  |\n\n````\nx = ```\n````\n\n> said\\\n> twice\n\n";
        assert_eq!(out, expected);
    }
}
