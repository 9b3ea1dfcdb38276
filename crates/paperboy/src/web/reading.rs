//! `GET /papers/{id}/read`: a paper's full text as a page, rendered on the server from the kept
//! document: a search inside it (`?q=`, the matching passages with their sections), a table of
//! contents, every section with its paper's anchor (so the paper's own
//! links to sections, figures, tables, equations and references work), math as MathML as on
//! the paper page, captions, footnotes and the references. Nothing of arXiv's markup reaches
//! the page: it is written here from the document's text, escaped.

use std::collections::HashSet;

use askama::Template;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use paperboy_arxiv::ArxivId;
use paperboy_fulltext::document::{Block, Document, Inline, Source, plain_text};
use paperboy_fulltext::passages::passages;
use paperboy_search::escape_html;
use paperboy_search::passages::rank_passages;

use crate::actions::search::MAX_QUERY_CHARS;
use crate::error::AppError;
use crate::fulltext::FullText;
use crate::http::App;
use crate::http::cache::Rendered;
use crate::http::page::{Layout, cached, render};
use crate::web::fulltext::paper_and_text;
use crate::web::latex;
use crate::web::view::Link;

#[derive(Template)]
#[template(path = "read.html")]
struct ReadingPage {
    layout: Layout,
    id: String,
    title_html: String,
    title_text: String,
    authors: String,
    from_pdf: bool,
    toc: Vec<TocEntry>,
    body_html: String,
    links: Vec<Link>,
    /// What was searched for in this paper, and the passages found.
    query: String,
    found: Option<Vec<Found>>,
}

/// A passage that matches a search inside the paper.
struct Found {
    anchor: String,
    section: String,
    snippet_html: String,
}

/// Passages shown for a search inside a paper, at most.
const FOUND: usize = 20;

/// A line of the table of contents.
struct TocEntry {
    anchor: String,
    level: u8,
    label: String,
}

/// `GET /papers/{id}/read[?q=...]`, from the page cache; with `q`, the passages that match it
/// come first.
pub async fn show_reading(app: &App, id: &ArxivId, uri: &Uri, headers: &HeaderMap) -> Response {
    let query = uri
        .query()
        .and_then(|query| url::form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == "q"))
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty());
    if let Some(query) = &query
        && query.chars().count() > MAX_QUERY_CHARS
    {
        let refusal = format!(
            "the search is {} characters long; the limit is {MAX_QUERY_CHARS}",
            query.chars().count()
        );
        return AppError::BadRequest(refusal).into_response();
    }
    cached(app, uri, headers, || render_reading(app, id, query)).await
}

async fn render_reading(app: &App, id: &ArxivId, query: Option<String>) -> Result<Rendered, AppError> {
    let (stored, document) = match paper_and_text(app, id).await? {
        (stored, FullText::Ready(document)) => (stored, document),
        (_, FullText::Missing(why)) => {
            let why = why.map(|why| format!(" ({why})")).unwrap_or_else(|| " yet".into());
            return Err(AppError::NotFound(format!(
                "Paperboy has no full text of {id}{why}; its abstract is at /papers/{id}."
            )));
        }
    };
    let paper = &stored.paper;
    let found = query.as_deref().map(|query| {
        let passages = passages(&document);
        let texts: Vec<&str> = passages.iter().map(|passage| passage.text.as_str()).collect();
        rank_passages(query, &texts, FOUND)
            .into_iter()
            .map(|hit| {
                let passage = &passages[hit.index];
                Found {
                    anchor: passage.anchor.clone(),
                    section: passage.section.clone(),
                    snippet_html: hit.snippet_html,
                }
            })
            .collect()
    });
    let page = ReadingPage {
        layout: Layout::new("", format!("{}/papers/{id}/read", app.core.config.base_url)),
        id: id.to_string(),
        title_html: latex::to_html(&paper.title),
        title_text: paper.title.replace('\n', " "),
        authors: paper.authors.join(", "),
        from_pdf: document.source == Source::Pdf,
        toc: toc(&document),
        body_html: body(&document),
        links: vec![
            Link::new(format!("/papers/{id}"), "The paper's page"),
            Link::new(format!("https://arxiv.org/pdf/{id}"), "PDF"),
            Link::new(format!("/papers/{id}.md"), "Markdown"),
        ],
        query: query.unwrap_or_default(),
        found,
    };
    render(StatusCode::OK, &page)
}

fn toc(doc: &Document) -> Vec<TocEntry> {
    let mut entries: Vec<TocEntry> = doc
        .sections
        .iter()
        .filter(|section| section.level <= 2 && !section.anchor.is_empty())
        .map(|section| {
            let title = plain_text(&section.title);
            let label = match section.number.is_empty() {
                true => title,
                false => format!("{} {title}", section.number),
            };
            TocEntry { anchor: section.anchor.clone(), level: section.level, label: label.trim().to_owned() }
        })
        .collect();
    if !doc.footnotes.is_empty() {
        entries.push(TocEntry { anchor: "notes".into(), level: 1, label: "Notes".into() });
    }
    if !doc.references.is_empty() {
        entries.push(TocEntry { anchor: "references".into(), level: 1, label: "References".into() });
    }
    entries
}

/// The document's sections, notes and references as HTML.
fn body(doc: &Document) -> String {
    let mut html = String::new();
    if !doc.abstract_blocks.is_empty() {
        html.push_str(
            "<section class=\"abstract\" aria-labelledby=\"abstract\"><h2 id=\"abstract\">Abstract</h2>",
        );
        blocks(&doc.abstract_blocks, &mut html);
        html.push_str("</section>");
    }
    blocks(&doc.preamble, &mut html);
    for section in &doc.sections {
        let level = (section.level + 1).min(6);
        html.push_str(&format!("<h{level} id=\"{}\">", escape_html(&section.anchor)));
        if !section.number.is_empty() {
            html.push_str(&format!("<span class=\"number\">{}</span> ", escape_html(&section.number)));
        }
        inlines(&section.title, &mut html);
        html.push_str(&format!("</h{level}>"));
        blocks(&section.blocks, &mut html);
    }
    if !doc.footnotes.is_empty() {
        let mut marked = HashSet::new();
        note_marks(doc, &mut marked);
        html.push_str("<section aria-labelledby=\"notes\"><h2 id=\"notes\">Notes</h2><ol class=\"notes\">");
        for note in &doc.footnotes {
            let id = note_id(&note.label);
            html.push_str(&format!(
                "<li id=\"{id}\"><span class=\"label\">{}</span> ",
                escape_html(&note.label)
            ));
            inlines(&note.content, &mut html);
            // A note whose mark is in the text links back to it (a title's mark is not kept).
            if marked.contains(note.label.as_str()) {
                html.push_str(&format!(" <a href=\"#ref-{id}\" aria-label=\"Back to the text\">↩</a>"));
            }
            html.push_str("</li>");
        }
        html.push_str("</ol></section>");
    }
    if !doc.references.is_empty() {
        html.push_str("<section aria-labelledby=\"references\"><h2 id=\"references\">References</h2><ol class=\"references\">");
        for reference in &doc.references {
            html.push_str(&format!("<li id=\"{}\">", escape_html(&reference.anchor)));
            if !reference.label.is_empty() {
                html.push_str(&format!("<span class=\"label\">{}</span> ", escape_html(&reference.label)));
            }
            inlines(&reference.content, &mut html);
            html.push_str("</li>");
        }
        html.push_str("</ol></section>");
    }
    html
}

fn id_attribute(anchor: &str) -> String {
    match anchor.is_empty() {
        true => String::new(),
        false => format!(" id=\"{}\"", escape_html(anchor)),
    }
}

fn blocks(list: &[Block], html: &mut String) {
    for block in list {
        match block {
            Block::Paragraph { content } => {
                html.push_str("<p>");
                inlines(content, html);
                html.push_str("</p>");
            }
            Block::Equation { anchor, tex, number } => {
                html.push_str(&format!("<div class=\"equation\"{}>", id_attribute(anchor)));
                html.push_str(&latex::math_html(tex, true));
                if !number.is_empty() {
                    html.push_str(&format!("<span class=\"equation-number\">{}</span>", escape_html(number)));
                }
                html.push_str("</div>");
            }
            Block::List { ordered, items } => {
                html.push_str(if *ordered { "<ol>" } else { "<ul>" });
                for item in items {
                    html.push_str("<li>");
                    if !item.label.is_empty() && !*ordered {
                        html.push_str(&format!("<span class=\"label\">{}</span> ", escape_html(&item.label)));
                    }
                    blocks(&item.blocks, html);
                    html.push_str("</li>");
                }
                html.push_str(if *ordered { "</ol>" } else { "</ul>" });
            }
            Block::Table { anchor, label, caption, rows } => {
                html.push_str(&format!("<figure class=\"table\"{}>", id_attribute(anchor)));
                caption_html(label, caption, html);
                if !rows.is_empty() {
                    html.push_str("<div class=\"scroll\"><table>");
                    for (n, row) in rows.iter().enumerate() {
                        let cell = if n == 0 { "th" } else { "td" };
                        html.push_str("<tr>");
                        for content in row {
                            html.push_str(&format!("<{cell}>"));
                            inlines(content, html);
                            html.push_str(&format!("</{cell}>"));
                        }
                        html.push_str("</tr>");
                    }
                    html.push_str("</table></div>");
                }
                html.push_str("</figure>");
            }
            Block::Figure { anchor, label, caption } => {
                html.push_str(&format!("<figure class=\"figure\"{}>", id_attribute(anchor)));
                caption_html(label, caption, html);
                html.push_str("</figure>");
            }
            Block::Quote { blocks: inner } => {
                html.push_str("<blockquote>");
                blocks(inner, html);
                html.push_str("</blockquote>");
            }
            Block::Code { text } => html.push_str(&format!("<pre><code>{}</code></pre>", escape_html(text))),
        }
    }
}

fn caption_html(label: &str, caption: &[Inline], html: &mut String) {
    html.push_str("<figcaption>");
    if !label.is_empty() {
        html.push_str(&format!("<b>{}:</b> ", escape_html(label)));
    }
    inlines(caption, html);
    html.push_str("</figcaption>");
}

/// The labels of the footnote marks the document's text carries.
fn note_marks<'a>(doc: &'a Document, marks: &mut HashSet<&'a str>) {
    fn in_inlines<'a>(list: &'a [Inline], marks: &mut HashSet<&'a str>) {
        for inline in list {
            match inline {
                Inline::Note { label } => {
                    marks.insert(label);
                }
                Inline::Emph { content }
                | Inline::Strong { content }
                | Inline::Sup { content }
                | Inline::Sub { content }
                | Inline::Link { content, .. }
                | Inline::Ref { content, .. } => in_inlines(content, marks),
                Inline::Text { .. } | Inline::Code { .. } | Inline::Math { .. } | Inline::Break => {}
            }
        }
    }
    fn in_blocks<'a>(list: &'a [Block], marks: &mut HashSet<&'a str>) {
        for block in list {
            match block {
                Block::Paragraph { content } => in_inlines(content, marks),
                Block::List { items, .. } => items.iter().for_each(|item| in_blocks(&item.blocks, marks)),
                Block::Table { caption, rows, .. } => {
                    in_inlines(caption, marks);
                    rows.iter().flatten().for_each(|cell| in_inlines(cell, marks));
                }
                Block::Figure { caption, .. } => in_inlines(caption, marks),
                Block::Quote { blocks } => in_blocks(blocks, marks),
                Block::Equation { .. } | Block::Code { .. } => {}
            }
        }
    }
    in_blocks(&doc.abstract_blocks, marks);
    in_blocks(&doc.preamble, marks);
    for section in &doc.sections {
        in_inlines(&section.title, marks);
        in_blocks(&section.blocks, marks);
    }
    doc.footnotes.iter().for_each(|note| in_inlines(&note.content, marks));
}

/// A footnote's id on the page, from its label (`†`, `3`).
fn note_id(label: &str) -> String {
    let safe: String = label.chars().map(|c| if c.is_alphanumeric() { c } else { '-' }).collect();
    format!("note-{safe}")
}

fn inlines(list: &[Inline], html: &mut String) {
    for inline in list {
        match inline {
            Inline::Text { text } => html.push_str(&escape_html(text)),
            Inline::Emph { content } => wrap("em", content, html),
            Inline::Strong { content } => wrap("strong", content, html),
            Inline::Sup { content } => wrap("sup", content, html),
            Inline::Sub { content } => wrap("sub", content, html),
            Inline::Code { text } => html.push_str(&format!("<code>{}</code>", escape_html(text))),
            Inline::Math { tex, display } => html.push_str(&latex::math_html(tex, *display)),
            Inline::Link { href, content } => {
                let lower = href.to_ascii_lowercase();
                if lower.starts_with("https://") || lower.starts_with("http://") {
                    html.push_str(&format!("<a href=\"{}\" rel=\"nofollow noopener\">", escape_html(href)));
                    inlines(content, html);
                    html.push_str("</a>");
                } else {
                    inlines(content, html);
                }
            }
            Inline::Ref { anchor, content } => {
                html.push_str(&format!("<a href=\"#{}\">", escape_html(anchor)));
                inlines(content, html);
                html.push_str("</a>");
            }
            Inline::Note { label } => {
                let id = note_id(label);
                html.push_str(&format!(
                    "<sup class=\"note\"><a id=\"ref-{id}\" href=\"#{id}\" aria-label=\"Note {}\">{}</a></sup>",
                    escape_html(label),
                    escape_html(label)
                ));
            }
            Inline::Break => html.push_str("<br>"),
        }
    }
}

fn wrap(tag: &str, content: &[Inline], html: &mut String) {
    html.push_str(&format!("<{tag}>"));
    inlines(content, html);
    html.push_str(&format!("</{tag}>"));
}
