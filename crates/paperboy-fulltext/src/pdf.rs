//! A paper's PDF: the text of its pages in reading order (for papers arXiv has no HTML
//! rendering of), and its first page as a small greyscale PNG (the thumbnail on cards).
//!
//! Both use `hayro`, a PDF interpreter and renderer in safe Rust. Its text comes from a
//! [`Device`] that receives every glyph with its Unicode value and position; glyphs become
//! lines by baseline, and a page where little text crosses the middle is read as two
//! columns, left first, between its full-width blocks (titles, wide figures).
//!
//! The input is bounded ([`MAX_PDF_BYTES`], [`MAX_PAGES`], [`MAX_TEXT_BYTES`], the thumbnail's
//! height), but hayro inflates streams without a bound: a small file can ask for gigabytes.
//! Callers that read PDFs from the network run these functions in a process of their own
//! with a memory limit (`paperboy pdf-worker`), so such a file kills only that process.

use hayro::hayro_interpret::font::{Glyph, GlyphRun};
use hayro::hayro_interpret::hayro_cmap::BfString;
use hayro::hayro_interpret::hayro_syntax::Pdf;
use hayro::hayro_interpret::hayro_syntax::page::Page;
use hayro::hayro_interpret::util::TransformExt;
use hayro::hayro_interpret::{
    BlendMode, ClipPath, Context, Device, DrawMode, DrawProps, Image, ImageDrawProps, InterpreterCache,
    InterpreterSettings, SoftMask, interpret_page,
};
use hayro::kurbo::{BezPath, Point, Rect};
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings, render};
use thiserror::Error;

use crate::document::{Block, Document, Inline, Section, Source};

/// The largest PDF read.
pub const MAX_PDF_BYTES: usize = 50 << 20;
/// Pages whose text is read at most.
pub const MAX_PAGES: usize = 200;
/// The most text kept from one PDF.
pub const MAX_TEXT_BYTES: usize = 4 << 20;
/// The tallest thumbnail made, in pixels: a page of absurd proportions is scaled to fit.
const MAX_THUMBNAIL_HEIGHT: f32 = 2000.0;

/// Why a PDF gave no text or thumbnail.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PdfError {
    /// Larger than [`MAX_PDF_BYTES`].
    #[error("the PDF is {0} bytes, over the limit of {MAX_PDF_BYTES}")]
    TooLarge(usize),
    /// Not a PDF (an HTML page in its place, say).
    #[error("this is not a PDF")]
    NotPdf,
    /// Encrypted with a password.
    #[error("the PDF is encrypted")]
    Encrypted,
    /// Damaged beyond reading.
    #[error("the PDF cannot be read")]
    Unreadable,
    #[error("the PDF has no pages")]
    NoPages,
    /// The first page has no area, or the pages have no text.
    #[error("the PDF has no {0}")]
    Empty(&'static str),
}

/// A first page rendered small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

fn open(bytes: &[u8]) -> Result<Pdf, PdfError> {
    if bytes.len() > MAX_PDF_BYTES {
        return Err(PdfError::TooLarge(bytes.len()));
    }
    if !bytes.trim_ascii_start().starts_with(b"%PDF-") {
        return Err(PdfError::NotPdf);
    }
    Pdf::new(bytes.to_vec()).map_err(|err| match err {
        hayro::hayro_interpret::hayro_syntax::LoadPdfError::Decryption(_) => PdfError::Encrypted,
        _ => PdfError::Unreadable,
    })
}

/// How many pages the PDF has: opening it, without drawing or reading any.
pub fn page_count(bytes: &[u8]) -> Result<usize, PdfError> {
    Ok(open(bytes)?.pages().len())
}

/// The first page as a PNG `width` pixels wide: 16 levels of grey, which at this size look
/// the same as 256 and take half the bytes (BENCHMARKS.md compares the formats).
pub fn thumbnail(bytes: &[u8], width: u32) -> Result<Thumbnail, PdfError> {
    let pdf = open(bytes)?;
    let page = pdf.pages().first().ok_or(PdfError::NoPages)?;
    let (page_width, page_height) = page.render_dimensions();
    if page_width <= 0.0 || page_height <= 0.0 {
        return Err(PdfError::Empty("first page"));
    }
    let mut scale = width as f32 / page_width;
    if page_height * scale > MAX_THUMBNAIL_HEIGHT {
        scale = MAX_THUMBNAIL_HEIGHT / page_height;
    }
    let settings = PixmapSettings { x_scale: scale, y_scale: scale, bg_color: WHITE };
    let pixmap = render(
        page,
        &RenderCache::new(),
        &InterpreterSettings::default(),
        &RenderSettings::default(),
        &settings,
    );
    let (width, height) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
    if width == 0 || height == 0 {
        return Err(PdfError::Empty("first page"));
    }
    // On an opaque white background premultiplied colour is the colour; BT.601 luma, in 16
    // levels, two pixels a byte.
    let level = |p: &hayro::vello_cpu::peniko::color::PremulRgba8| {
        let luma = (u32::from(p.r) * 299 + u32::from(p.g) * 587 + u32::from(p.b) * 114 + 500) / 1000;
        ((luma * 15 + 127) / 255) as u8
    };
    let mut packed = Vec::with_capacity((width as usize).div_ceil(2) * height as usize);
    for row in pixmap.data().chunks(width as usize) {
        for pair in row.chunks(2) {
            packed.push((level(&pair[0]) << 4) | pair.get(1).map_or(0, level));
        }
    }
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Four);
    encoder.set_compression(png::Compression::High);
    let written = encoder.write_header().and_then(|mut writer| {
        writer.write_image_data(&packed)?;
        writer.finish()
    });
    written.map_err(|_| PdfError::Unreadable)?;
    Ok(Thumbnail { png, width, height })
}

/// The PDF's text as a document: a section per page, paragraphs as the layout separates them,
/// words broken across lines joined again.
pub fn document(bytes: &[u8]) -> Result<Document, PdfError> {
    let pages = page_texts(bytes)?;
    let sections: Vec<Section> = pages
        .iter()
        .enumerate()
        .map(|(n, text)| Section {
            anchor: format!("page-{}", n + 1),
            level: 1,
            number: String::new(),
            title: vec![Inline::text(format!("Page {}", n + 1))],
            blocks: paragraphs(text),
        })
        .collect();
    if sections.iter().all(|section| section.blocks.is_empty()) {
        return Err(PdfError::Empty("text"));
    }
    Ok(Document {
        source: Source::Pdf,
        title: Vec::new(),
        authors: String::new(),
        abstract_blocks: Vec::new(),
        preamble: Vec::new(),
        sections,
        footnotes: Vec::new(),
        references: Vec::new(),
    })
}

/// The text of each page (up to [`MAX_PAGES`]), lines in reading order.
pub fn page_texts(bytes: &[u8]) -> Result<Vec<String>, PdfError> {
    let pdf = open(bytes)?;
    let pages = pdf.pages();
    if pages.is_empty() {
        return Err(PdfError::NoPages);
    }
    let cache = InterpreterCache::new();
    let settings = InterpreterSettings::default();
    let mut texts = Vec::new();
    let mut total = 0;
    for page in pages.iter().take(MAX_PAGES) {
        let text = without_ligatures(&page_text(page, &cache, &settings));
        total += text.len();
        if total > MAX_TEXT_BYTES {
            break;
        }
        texts.push(text);
    }
    Ok(texts)
}

fn page_text<'a>(page: &'a Page<'a>, cache: &InterpreterCache<'a>, settings: &InterpreterSettings) -> String {
    let (width, height) = page.render_dimensions();
    // Page space with y growing downwards, one unit a point.
    let transform = page.initial_transform(true).to_kurbo();
    let area = Rect::new(0.0, 0.0, f64::from(width), f64::from(height));
    let mut context = Context::new(transform, area, cache, page.xref(), settings.clone());
    let mut device = TextDevice::default();
    interpret_page(page, &mut context, &mut device);
    let mut out = String::new();
    read_page(fragments(device.glyphs), f64::from(width), &mut out);
    out
}

/// Paragraphs of a page's text: blank lines separate them; a word hyphenated at a line's end
/// is joined again.
fn paragraphs(text: &str) -> Vec<Block> {
    text.split("\n\n")
        .filter_map(|paragraph| {
            let mut joined = String::new();
            for line in paragraph.lines().map(str::trim).filter(|line| !line.is_empty()) {
                let hyphenated = joined.ends_with('-')
                    && joined.chars().rev().nth(1).is_some_and(char::is_alphabetic)
                    && line.starts_with(|c: char| c.is_lowercase());
                if hyphenated {
                    joined.pop();
                } else if !joined.is_empty() {
                    joined.push(' ');
                }
                joined.push_str(line);
            }
            (!joined.is_empty()).then(|| Block::Paragraph { content: vec![Inline::text(joined)] })
        })
        .collect()
}

/// One glyph as the page shows it: its extent along the baseline, the baseline, its size.
struct Placed {
    x0: f64,
    x1: f64,
    y: f64,
    size: f64,
    text: String,
}

/// Collects the page's upright glyphs; paths and images are not needed (and so not decoded).
#[derive(Default)]
struct TextDevice {
    glyphs: Vec<Placed>,
    /// The last run's glyph count and origin: text drawn filled then stroked comes twice.
    last_run: Option<(usize, f64, f64)>,
}

impl<'a> Device<'a> for TextDevice {
    fn draw_path(&mut self, _: &BezPath, _: DrawProps<'a>, _: &DrawMode) {}
    fn push_clip_path(&mut self, _: &ClipPath) {}
    fn push_transparency_group(&mut self, _: f32, _: Option<SoftMask<'a>>, _: BlendMode) {}
    fn draw_image(&mut self, _: Image<'a, '_>, _: ImageDrawProps<'a>) {}
    fn pop_clip(&mut self) {}
    fn pop_transparency_group(&mut self) {}

    fn draw_glyph_run(&mut self, run: &GlyphRun<'_, 'a>, props: DrawProps<'a>, mode: &DrawMode) {
        let glyphs = run.glyphs();
        let Some(first) = glyphs.first() else { return };
        let origin = (props.transform * first.transform()) * Point::ZERO;
        let key = (glyphs.len(), origin.x, origin.y);
        if matches!(mode, DrawMode::Stroke(_)) && self.last_run == Some(key) {
            return;
        }
        self.last_run = Some(key);
        for glyph in glyphs {
            // Glyph space (1000 units an em) to page space.
            let transform = props.transform * glyph.transform();
            let [a, b, c, d, _, _] = transform.as_coeffs();
            // Upright horizontal text only: arXiv's stamp up the margin and rotated labels
            // are not part of the reading.
            if a <= 0.0 || d >= 0.0 || b.abs() > a.abs() * 0.05 || c.abs() > d.abs() * 0.05 {
                continue;
            }
            let text = match glyph.as_unicode() {
                Some(BfString::Char(c)) => c.to_string(),
                Some(BfString::String(s)) => s,
                None => continue,
            };
            let advance = match &**glyph {
                Glyph::Outline(outline) => outline.advance_width(),
                Glyph::Type3(type3) => type3.advance_width(),
            };
            let start = transform * Point::ZERO;
            let end = transform * Point::new(f64::from(advance.unwrap_or(500.0)), 0.0);
            self.glyphs.push(Placed {
                x0: start.x,
                x1: end.x.max(start.x),
                y: start.y,
                size: (-d * 1000.0).max(1.0),
                text,
            });
        }
    }
}

/// Glyphs in drawing order joined into runs on one baseline without a wide gap; a gap of
/// more than 0.15 em is a space.
fn fragments(glyphs: Vec<Placed>) -> Vec<Placed> {
    let mut out: Vec<Placed> = Vec::new();
    for glyph in glyphs {
        if let Some(run) = out.last_mut() {
            let same_line = (glyph.y - run.y).abs() < 0.5 * run.size.min(glyph.size);
            let gap = glyph.x0 - run.x1;
            if same_line && gap > -0.5 * glyph.size && gap < glyph.size {
                let blank = glyph.text.trim().is_empty();
                if gap > 0.15 * glyph.size && !blank && !run.text.ends_with(' ') {
                    run.text.push(' ');
                }
                if !(blank && run.text.ends_with(' ')) {
                    run.text.push_str(&glyph.text);
                }
                run.x1 = run.x1.max(glyph.x1);
                run.size = run.size.max(glyph.size);
                continue;
            }
        }
        if !glyph.text.trim().is_empty() {
            out.push(glyph);
        }
    }
    out
}

/// A page in reading order. When under 30% of its text crosses the middle it has two
/// columns: cut at the full-width runs, each band is read left column first.
fn read_page(runs: Vec<Placed>, page_width: f64, out: &mut String) {
    let middle = page_width / 2.0;
    let crosses = |run: &Placed| run.x0 < middle - 5.0 && run.x1 > middle + 5.0;
    let total: usize = runs.iter().map(|run| run.text.len()).sum();
    let crossing: usize = runs.iter().filter(|run| crosses(run)).map(|run| run.text.len()).sum();
    let mut ordered: Vec<&Placed> = runs.iter().collect();
    if total == 0 || crossing as f64 >= 0.3 * total as f64 {
        return block(&mut ordered, out);
    }
    ordered.sort_by(|a, b| a.y.total_cmp(&b.y));
    let (mut full, mut left, mut right) = (Vec::new(), Vec::new(), Vec::new());
    for run in ordered {
        if crosses(run) {
            block(&mut left, out);
            block(&mut right, out);
            full.push(run);
        } else {
            block(&mut full, out);
            if run.x1 <= middle + 5.0 { left.push(run) } else { right.push(run) }
        }
    }
    block(&mut full, out);
    block(&mut left, out);
    block(&mut right, out);
}

/// A block of runs, after a blank line: runs that overlap vertically are one line (so
/// superscripts stay on theirs), each line left to right; a gap of two lines is a new paragraph.
fn block(runs: &mut Vec<&Placed>, out: &mut String) {
    if runs.is_empty() {
        return;
    }
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
    }
    runs.sort_by(|a, b| a.y.total_cmp(&b.y));
    // Each line: the baseline and size of its largest run, and its runs.
    let mut lines: Vec<(f64, f64, Vec<&Placed>)> = Vec::new();
    for &run in runs.iter() {
        if let Some((y, size, members)) = lines.last_mut() {
            let top = (run.y - 0.7 * run.size).max(*y - 0.7 * *size);
            let bottom = run.y.min(*y);
            if bottom - top > 0.35 * run.size.min(*size) {
                if run.size > *size {
                    (*y, *size) = (run.y, run.size);
                }
                members.push(run);
                continue;
            }
        }
        lines.push((run.y, run.size, vec![run]));
    }
    let mut previous: Option<(f64, f64)> = None;
    for (y, size, mut members) in lines {
        if let Some((previous_y, previous_size)) = previous {
            out.push('\n');
            if y - previous_y > 1.9 * previous_size.max(size) {
                out.push('\n');
            }
        }
        members.sort_by(|a, b| a.x0.total_cmp(&b.x0));
        for (i, run) in members.iter().enumerate() {
            if i > 0 && run.x0 - members[i - 1].x1 > 0.1 * size {
                out.push(' ');
            }
            out.push_str(run.text.trim_end());
        }
        previous = Some((y, size));
    }
    runs.clear();
}

/// TeX fonts map ligatures to their own code points; readers and search want the letters.
fn without_ligatures(text: &str) -> String {
    text.replace('\u{FB00}', "ff")
        .replace('\u{FB01}', "fi")
        .replace('\u{FB02}', "fl")
        .replace('\u{FB03}', "ffi")
        .replace('\u{FB04}', "ffl")
}
