//! arXiv's HTML (LaTeXML) to a document and Markdown: a real arXiv page, a page LaTeXML made
//! from LaTeX written for the test, and pages that are hostile, truncated, enormous, deeply
//! nested or not LaTeXML at all.

use paperboy_fulltext::document::{Block, Inline, Source};
use paperboy_fulltext::{ConvertError, Document, convert, to_markdown};

const LIMIT: usize = 20 * 1024 * 1024;

fn arxiv_page() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/arxiv-fulltext/html/2501.11120v1.html"
    );
    std::fs::read(path).expect("the shared arXiv HTML fixture")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR")))
        .expect("a fixture of paperboy-fulltext")
}

fn maths(inlines: &[Inline]) -> usize {
    inlines
        .iter()
        .map(|inline| match inline {
            Inline::Math { .. } => 1,
            Inline::Emph { content }
            | Inline::Strong { content }
            | Inline::Link { content, .. }
            | Inline::Ref { content, .. }
            | Inline::Sup { content }
            | Inline::Sub { content } => maths(content),
            _ => 0,
        })
        .sum()
}

fn block_maths(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .map(|block| match block {
            Block::Paragraph { content } => maths(content),
            Block::Equation { .. } => 1,
            Block::List { items, .. } => items.iter().map(|item| block_maths(&item.blocks)).sum(),
            Block::Table { caption, rows, .. } => {
                maths(caption) + rows.iter().flatten().map(|cell| maths(cell)).sum::<usize>()
            }
            Block::Figure { caption, .. } => maths(caption),
            Block::Quote { blocks } => block_maths(blocks),
            Block::Code { .. } => 0,
        })
        .sum()
}

fn all_maths(doc: &Document) -> usize {
    maths(&doc.title)
        + block_maths(&doc.abstract_blocks)
        + block_maths(&doc.preamble)
        + doc.sections.iter().map(|s| maths(&s.title) + block_maths(&s.blocks)).sum::<usize>()
        + doc.footnotes.iter().map(|f| maths(&f.content)).sum::<usize>()
        + doc.references.iter().map(|r| maths(&r.content)).sum::<usize>()
}

#[test]
fn an_arxiv_page_keeps_its_structure_math_and_references() {
    let doc = convert(&arxiv_page(), LIMIT).unwrap();
    assert_eq!(doc.source, Source::Html);
    let title = paperboy_fulltext::document::plain_text(&doc.title);
    assert_eq!(title, "Tell me about yourself: LLMs are aware of their learned behaviors");
    assert!(doc.authors.starts_with("Jan Betley Xuchan Bao"), "{}", doc.authors);
    assert_eq!(doc.abstract_blocks.len(), 4);
    // Every one of the page's 187 formulas, as LaTeX.
    assert_eq!(all_maths(&doc), 187);
    let numbered: Vec<&str> =
        doc.sections.iter().filter(|s| s.level == 1).map(|s| s.number.as_str()).collect();
    assert_eq!(
        numbered,
        ["1", "2", "3", "4", "5", "6", "7", "8", "", "Appendix A", "Appendix B", "Appendix C"],
        "sections, acknowledgments and appendices"
    );
    let subsection = doc.sections.iter().find(|s| s.number == "3.1").unwrap();
    assert_eq!((subsection.level, subsection.anchor.as_str()), (2, "S3.SS1"));
    assert_eq!(doc.references.len(), 48);
    assert_eq!(doc.references[1].label, "Allen-Zhu & Li (2023)");
    assert_eq!(doc.footnotes.len(), 6);

    let markdown = to_markdown(&doc);
    assert!(markdown.starts_with("# Tell me about yourself: LLMs are aware of their learned behaviors\n"));
    for expected in [
        "## Abstract\n\nWe study *behavioral self-awareness* — an LLM’s ability",
        "\n## 1 Introduction\n",
        "\n### 3.1 Finetuning on multiple-choice responses (economic decisions)\n",
        "\n#### 3.1.1 Design\n",
        "latent policy $z\\in Z$ and two data generating distributions $\\varphi_{T}$",
        "(Berglund et al., [2023a](#bib.bib7); Allen-Zhu & Li, [2023](#bib.bib2))",
        "\n**Figure 1:** **Models can describe a learned behavioral policy",
        "\n| Economic decisions ([Section 3.1](#S3.SS1)) | “A” or “B” |",
        "\n[^1]: We replicate some of our experiments on open-weight models",
        "\n## References\n\n- **AI@Meta (2024)** AI@Meta. Llama 3 model card.",
        "\n```\n    def message_probability_me(message: str) -> float:\n        responses = [\"woof\",",
    ] {
        assert!(markdown.contains(expected), "missing {expected:?}");
    }
    // arXiv's page chrome, MathML's glyphs and its other annotations stay out.
    for chrome in [
        "html2canvas",
        "Generated on",
        "Mascot",
        "Refer to caption",
        "italic_z",
        "ltx_",
        "<math",
        "<span",
        "𝑧",
    ] {
        assert!(!markdown.contains(chrome), "{chrome} leaked into the Markdown");
    }
}

#[test]
fn a_latexml_page_becomes_the_expected_markdown() {
    let doc = convert(&fixture("equations.html"), LIMIT).unwrap();
    let expected = String::from_utf8(fixture("equations.md")).unwrap();
    assert_eq!(to_markdown(&doc), expected);
    let anchors: Vec<&str> = doc.sections[1]
        .blocks
        .iter()
        .filter_map(|block| match block {
            Block::Equation { anchor, number, .. } if !number.is_empty() => Some(anchor.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(anchors, ["S1.E2", "S1.E3"], "each numbered row of an align is its own equation");
}

#[test]
fn a_document_survives_storage_as_json() {
    let doc = convert(&fixture("equations.html"), LIMIT).unwrap();
    let stored = serde_json::to_vec(&doc).unwrap();
    let read: Document = serde_json::from_slice(&stored).unwrap();
    assert_eq!(read, doc);
}

/// A LaTeXML page around `body`.
fn page(body: &str) -> Vec<u8> {
    format!(
        "<!DOCTYPE html><html><head><title>t</title></head><body><div class=\"ltx_page_main\">\
         <article class=\"ltx_document\"><h1 class=\"ltx_title ltx_title_document\">A title</h1>\
         {body}</article></div></body></html>\n"
    )
    .into_bytes()
}

#[test]
fn nothing_of_a_hostile_page_runs_or_loads() {
    let hostile = page(
        "<section class=\"ltx_section\" id=\"S1\"><h2 class=\"ltx_title ltx_title_section\">\
         <span class=\"ltx_tag ltx_tag_section\">1 </span>Intro<script>alert('h')</script></h2>\
         <div class=\"ltx_para\"><p class=\"ltx_p\" onclick=\"alert('p')\">Safe words \
         <script>alert(1)</script><style>body{display:none}</style>\
         <iframe src=\"https://evil.example/\">framed</iframe>\
         <img src=x onerror=\"alert(2)\"><svg onload=\"alert(3)\"><text>drawn</text></svg>\
         <a href=\"javascript:alert(4)\">a trap</a> <a href=\"data:text/html,<b>x</b>\">data</a> \
          <a href=\"https://example.org/ok\" onmouseover=\"alert(5)\">a real link</a>\
         <object data=\"x.swf\">plugin</object><form action=\"/steal\"><input name=a value=b></form>\
         <b>**not bold**</b> [not](a link) &lt;b&gt;escaped&lt;/b&gt; $not math$</p></div></section>",
    );
    let doc = convert(&hostile, LIMIT).unwrap();
    let markdown = to_markdown(&doc);
    assert!(markdown.contains("## 1 Intro\n"), "{markdown}");
    assert!(markdown.contains("Safe words"), "{markdown}");
    assert!(
        markdown.contains("Safe words a trap data [a real link](https://example.org/ok)\n"),
        "{markdown}"
    );
    // The form closed the paragraph, as in a browser; markup in text stays text.
    let escaped = "\n**\\*\\*not bold\\*\\*** \\[not\\](a link) \\<b\\>escaped\\</b\\> \\$not math\\$\n";
    assert!(markdown.contains(escaped), "{markdown}");
    for forbidden in [
        "alert",
        "script",
        "iframe",
        "framed",
        "onerror",
        "onclick",
        "javascript",
        "data:",
        "evil",
        "drawn",
        "plugin",
        "steal",
        "display:none",
    ] {
        assert!(!markdown.contains(forbidden), "{forbidden} in {markdown}");
    }
}

#[test]
fn truncated_enormous_and_foreign_pages_are_refused_with_a_reason() {
    let whole = arxiv_page();
    let cut = &whole[..whole.len() / 2];
    assert_eq!(convert(cut, LIMIT), Err(ConvertError::Truncated));
    assert_eq!(convert(&whole, 1000), Err(ConvertError::TooLarge { size: whole.len(), limit: 1000 }));
    let captcha = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>\
        <body><h1>Checking your browser before accessing arxiv.org</h1></body></html>";
    assert_eq!(convert(captcha, LIMIT), Err(ConvertError::NotLatexml));
    assert_eq!(convert(b"", LIMIT), Err(ConvertError::NotLatexml));
    assert_eq!(convert(b"\xff\xfe\x00garbage", LIMIT), Err(ConvertError::NotLatexml));
    assert_eq!(convert(&page(""), LIMIT), Err(ConvertError::Empty));
}

#[test]
fn a_page_nested_a_hundred_thousand_deep_converts_without_overflowing() {
    let depth = 100_000;
    let body = format!(
        "<div class=\"ltx_para\"><p class=\"ltx_p\">{}deep text{}</p></div>",
        "<span>".repeat(depth),
        "</span>".repeat(depth)
    );
    let doc = convert(&page(&body), LIMIT).unwrap();
    assert!(to_markdown(&doc).contains("deep text"));
}
