//! PDFs: the text of real arXiv PDFs in reading order (two columns included), first-page
//! thumbnails, and PDFs that are encrypted, truncated, empty, of no pages, or not PDFs at all.

use paperboy_fulltext::document::{Block, Source, plain_text};
use paperboy_fulltext::pdf::{PdfError, document, page_texts, thumbnail};
use paperboy_fulltext::to_markdown;

fn arxiv_pdf(name: &str) -> Vec<u8> {
    let path = format!("{}/../../../shared/fixtures/arxiv-fulltext/pdf/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).expect("a shared arXiv PDF fixture")
}

/// A one-page PDF whose page says `text` at (72, 700), with a correct cross-reference table.
fn minimal_pdf(page: &str, text: &str) -> Vec<u8> {
    let content = format!("BT /F1 24 Tf 72 700 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        format!(
            "<< /Type /Page /Parent 2 0 R {page} /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
    ];
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (n, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", n + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    out
}

#[test]
fn a_two_column_paper_reads_column_by_column() {
    let pages = page_texts(&arxiv_pdf("2304.02623v1.pdf")).unwrap();
    assert_eq!(pages.len(), 4);
    let first = &pages[0];
    let (abstract_at, introduction_at) =
        (first.find("ABSTRACT").unwrap(), first.find("INTRODUCTION").unwrap());
    assert!(abstract_at < introduction_at, "the left column comes first");
    assert!(!first.contains('\u{FB01}'), "ligatures become letters");
}

#[test]
fn a_pdf_becomes_a_document_of_pages_and_paragraphs() {
    let doc = document(&arxiv_pdf("2206.10883v3.pdf")).unwrap();
    assert_eq!(doc.source, Source::Pdf);
    assert_eq!(doc.sections.len(), 37);
    assert_eq!(plain_text(&doc.sections[2].title), "Page 3");
    let paragraphs =
        doc.sections.iter().flat_map(|s| &s.blocks).filter(|b| matches!(b, Block::Paragraph { .. })).count();
    assert!(paragraphs > 100, "{paragraphs} paragraphs");
    let markdown = to_markdown(&doc);
    assert!(markdown.contains("> This text was extracted from the paper's PDF"));
    assert!(markdown.contains("\n## Page 1\n"));
}

#[test]
fn thumbnails_are_small_greyscale_pngs_of_the_first_page() {
    for name in ["1903.10676.pdf", "2206.10883v3.pdf", "2304.02623v1.pdf", "2305.03393v1-pg9.pdf"] {
        let made = thumbnail(&arxiv_pdf(name), 320).unwrap();
        assert_eq!(made.width, 320, "{name}");
        assert!((400..=460).contains(&made.height), "{name}: {} high", made.height);
        assert!(made.png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}");
        assert!(made.png.len() < 40_000, "{name}: {} bytes", made.png.len());
    }
}

#[test]
fn broken_and_foreign_files_are_refused_with_a_reason() {
    let real = arxiv_pdf("2304.02623v1.pdf");
    assert_eq!(page_texts(&real[..2048]).unwrap_err(), PdfError::Unreadable);
    assert_eq!(thumbnail(&real[..real.len() / 2], 320).unwrap_err(), PdfError::Unreadable);
    let encrypted =
        std::fs::read(format!("{}/tests/fixtures/encrypted.pdf", env!("CARGO_MANIFEST_DIR"))).unwrap();
    assert_eq!(thumbnail(&encrypted, 320).unwrap_err(), PdfError::Encrypted);
    assert_eq!(document(&encrypted).unwrap_err(), PdfError::Encrypted);
    assert_eq!(thumbnail(b"", 320).unwrap_err(), PdfError::NotPdf);
    let captcha = b"<!DOCTYPE html><html><body>Checking your browser</body></html>";
    assert_eq!(document(captcha).unwrap_err(), PdfError::NotPdf);
    let garbage: Vec<u8> =
        b"%PDF-1.7\n".iter().copied().chain((0..50_000u32).map(|n| (n * 7919 % 251) as u8)).collect();
    assert_eq!(thumbnail(&garbage, 320).unwrap_err(), PdfError::Unreadable);
    let no_pages = without_pages(minimal_pdf("/MediaBox [0 0 612 792]", "x"));
    assert!(matches!(document(&no_pages).unwrap_err(), PdfError::NoPages | PdfError::Unreadable));
}

#[test]
fn a_page_of_absurd_proportions_makes_a_bounded_thumbnail() {
    let tall = minimal_pdf("/MediaBox [0 0 612 200000]", "Tall");
    match thumbnail(&tall, 320) {
        Ok(made) => assert!(made.height <= 2000 && made.width <= 320),
        Err(err) => assert_eq!(err, PdfError::Empty("first page")),
    }
    let fine = minimal_pdf("/MediaBox [0 0 612 792]", "Hello hostile world");
    assert_eq!(page_texts(&fine).unwrap(), ["Hello hostile world"]);
    let doc = document(&minimal_pdf("/MediaBox [0 0 612 792]", "")).unwrap_err();
    assert_eq!(doc, PdfError::Empty("text"));
}

/// `pdf` with a page tree of no pages (offsets kept: the replacement is as long).
fn without_pages(pdf: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8(pdf).expect("an ASCII PDF");
    text.replace("/Kids [3 0 R] /Count 1", "/Kids [     ] /Count 0").into_bytes()
}
