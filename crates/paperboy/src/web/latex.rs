//! Titles and abstracts with LaTeX math, as safe HTML: text escaped, math as MathML Core.
//!
//! arXiv metadata writes math between `$...$`, `$$...$$`, `\(...\)` and `\[...\]`. Each stretch
//! is rendered on the server by `pulldown-latex`, so pages need no script or font from a CDN.
//! What comes back is only trusted after checking: it must be well-formed XML made of MathML
//! elements and attributes from an allow-list, with plain attribute values. Anything else
//! (LaTeX the renderer cannot parse, or output that fails the check) is shown as its escaped
//! source in `<code>`. A `$` that opens nothing, or closes nothing, stays a dollar sign.

use paperboy_search::escape_html;
use pulldown_latex::config::DisplayMode;
use pulldown_latex::{Parser, ParserError, RenderConfig, Storage, push_mathml};
use quick_xml::events::Event;

/// Longest math stretch rendered; a longer one is almost surely a stray `$`.
const MAX_MATH_CHARS: usize = 2000;

/// A piece of text: prose, or math with its delimiters' display mode.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Math { source: &'a str, display: bool, delimited: &'a str },
}

/// `text` as HTML: prose escaped (with `\$`, `\%`, `\&`, `\_` and `\#` unescaped), math as
/// MathML, unrenderable math as escaped source.
pub fn to_html(text: &str) -> String {
    let mut html = String::with_capacity(text.len() * 2);
    for piece in pieces(text) {
        push_piece(&mut html, &piece);
    }
    html
}

/// One formula's LaTeX (without delimiters) as MathML, or as its escaped source when it cannot
/// be rendered.
pub fn math_html(tex: &str, display: bool) -> String {
    let mut html = String::new();
    push_piece(&mut html, &Piece::Math { source: tex, display, delimited: tex });
    html
}

/// The opening of `text`, about `chars` characters of it, as HTML like [`to_html`]: math is
/// never cut in half, prose is cut at a word boundary and ends with an ellipsis.
pub fn excerpt_html(text: &str, chars: usize) -> String {
    let mut html = String::new();
    let mut used = 0;
    for piece in pieces(text) {
        let length = match &piece {
            Piece::Text(prose) => prose.chars().count(),
            Piece::Math { delimited, .. } => delimited.chars().count(),
        };
        if used + length <= chars {
            push_piece(&mut html, &piece);
            used += length;
            continue;
        }
        if let Piece::Text(prose) = piece {
            let room = chars.saturating_sub(used);
            let cut = prose.char_indices().nth(room).map_or(prose.len(), |(i, _)| i);
            let head = &prose[..cut];
            let head = head.rfind(char::is_whitespace).map_or(head, |space| &head[..space]);
            push_piece(&mut html, &Piece::Text(head.trim_end()));
        }
        html.push('…');
        break;
    }
    html
}

fn push_piece(html: &mut String, piece: &Piece<'_>) {
    match piece {
        Piece::Text(prose) => html.push_str(&escape_html(&unescape_prose(prose))),
        Piece::Math { source, display, delimited } => match render_math(source, *display) {
            Some(mathml) => html.push_str(&mathml),
            None => {
                html.push_str("<code class=\"tex\">");
                html.push_str(&escape_html(delimited));
                html.push_str("</code>");
            }
        },
    }
}

/// LaTeX's escapes for characters that mean something to it, in prose.
fn unescape_prose(prose: &str) -> std::borrow::Cow<'_, str> {
    if !prose.contains('\\') {
        return prose.into();
    }
    let mut out = String::with_capacity(prose.len());
    let mut chars = prose.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(&next @ ('$' | '%' | '&' | '_' | '#'))) => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out.into()
}

/// Splits `text` into prose and math.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut prose_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let found = match bytes[i] {
            b'\\' if i + 1 < bytes.len() => match bytes[i + 1] {
                b'(' => find_close(text, i + 2, "\\)").map(|end| (i + 2, end, end + 2, false)),
                b'[' => find_close(text, i + 2, "\\]").map(|end| (i + 2, end, end + 2, true)),
                _ => {
                    // An escaped character (such as `\$`) is prose.
                    i += 2;
                    continue;
                }
            },
            b'$' if bytes.get(i + 1) == Some(&b'$') => {
                find_close(text, i + 2, "$$").map(|end| (i + 2, end, end + 2, true))
            }
            b'$' => find_dollar_close(text, i + 1).map(|end| (i + 1, end, end + 1, false)),
            _ => None,
        };
        match found {
            Some((start, end, after, display)) if !text[start..end].trim().is_empty() => {
                if prose_start < i {
                    pieces.push(Piece::Text(&text[prose_start..i]));
                }
                pieces.push(Piece::Math { source: &text[start..end], display, delimited: &text[i..after] });
                i = after;
                prose_start = after;
            }
            _ => i += 1,
        }
    }
    if prose_start < text.len() {
        pieces.push(Piece::Text(&text[prose_start..]));
    }
    pieces
}

/// Where `close` next occurs in `text` after `from`, within [`MAX_MATH_CHARS`].
fn find_close(text: &str, from: usize, close: &str) -> Option<usize> {
    let window = &text[from..];
    let end = window.find(close)?;
    (end <= MAX_MATH_CHARS).then_some(from + end)
}

/// The `$` that closes inline math opened just before `from`, by the rules Pandoc uses so that
/// prices stay prose: the opening `$` is followed by a non-space, the closing one follows a
/// non-space and is not followed by a digit, and an escaped `\$` closes nothing.
fn find_dollar_close(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.get(from).is_none_or(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let mut j = from;
    while j < bytes.len() && j - from <= MAX_MATH_CHARS {
        match bytes[j] {
            b'\\' => j += 2,
            b'$' => {
                let closes =
                    !bytes[j - 1].is_ascii_whitespace() && !bytes.get(j + 1).is_some_and(u8::is_ascii_digit);
                return closes.then_some(j);
            }
            _ => j += 1,
        }
    }
    None
}

/// MathML for `source`, or `None` when it does not parse or the output fails the check.
fn render_math(source: &str, display: bool) -> Option<String> {
    let storage = Storage::new();
    // Parsed once, in full: a parse error shows the source instead of an error in the math.
    let events: Vec<_> = Parser::new(source, &storage).collect::<Result<_, ParserError>>().ok()?;
    let config = RenderConfig {
        display_mode: if display { DisplayMode::Block } else { DisplayMode::Inline },
        ..RenderConfig::default()
    };
    let mut mathml = String::new();
    push_mathml(&mut mathml, events.into_iter().map(Ok::<_, ParserError>), config).ok()?;
    let mathml = escape_stray_angles(&mathml);
    is_safe_mathml(&mathml).then_some(mathml)
}

/// The renderer writes relations such as `<` and `>` into `<mo>` unescaped; a `<` that starts
/// no tag becomes `&lt;` (and `>` in text `&gt;`), so that the markup parses as XML.
fn escape_stray_angles(mathml: &str) -> String {
    let mut out = String::with_capacity(mathml.len() + 16);
    let mut in_tag = false;
    let mut chars = mathml.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' if chars.peek().is_some_and(|n| n.is_ascii_alphabetic() || *n == '/') => {
                in_tag = true;
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' if in_tag => {
                in_tag = false;
                out.push(c);
            }
            '>' => out.push_str("&gt;"),
            '&' if !in_tag && !starts_entity(chars.clone()) => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

/// Whether the characters after an `&` make a character reference (`lt;`, `#x27;`).
fn starts_entity(rest: impl Iterator<Item = char>) -> bool {
    for (length, c) in rest.take(12).enumerate() {
        if c == ';' {
            return length > 0;
        }
        if !(c.is_ascii_alphanumeric() || c == '#') {
            return false;
        }
    }
    false
}

const ELEMENTS: &[&str] = &[
    "math",
    "semantics",
    "annotation",
    "mrow",
    "mi",
    "mn",
    "mo",
    "ms",
    "mtext",
    "mspace",
    "msub",
    "msup",
    "msubsup",
    "munder",
    "mover",
    "munderover",
    "mfrac",
    "msqrt",
    "mroot",
    "mtable",
    "mtr",
    "mtd",
    "mstyle",
    "mpadded",
    "mphantom",
    "menclose",
    "merror",
    "mmultiscripts",
    "mprescripts",
    "none",
];

const ATTRIBUTES: &[&str] = &[
    "class",
    "depth",
    "display",
    "displaystyle",
    "encoding",
    "height",
    "largeop",
    "linethickness",
    "mathvariant",
    "maxsize",
    "minsize",
    "movablelimits",
    "scriptlevel",
    "stretchy",
    "style",
    "symmetric",
    "width",
    "xmlns",
    "lspace",
    "rspace",
    "fence",
    "separator",
    "accent",
    "accentunder",
    "columnalign",
    "rowalign",
    "columnspacing",
    "rowspacing",
    "notation",
    "form",
    "voffset",
];

/// Whether `mathml` is well-formed XML of allowed MathML elements and attributes whose values
/// hold nothing that could fetch or run anything.
fn is_safe_mathml(mathml: &str) -> bool {
    let mut reader = quick_xml::Reader::from_str(mathml);
    let mut depth = 0usize;
    loop {
        let start = match reader.read_event() {
            Ok(Event::Start(start)) => {
                depth += 1;
                start
            }
            Ok(Event::Empty(start)) => start,
            Ok(Event::End(_)) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            Ok(Event::Text(_) | Event::GeneralRef(_)) => continue,
            Ok(Event::Eof) => return depth == 0,
            // Comments, CDATA, processing instructions, doctypes, and malformed XML.
            Ok(_) | Err(_) => return false,
        };
        if !ELEMENTS.contains(&String::from_utf8_lossy(start.name().as_ref()).as_ref()) {
            return false;
        }
        for attribute in start.attributes() {
            let Ok(attribute) = attribute else { return false };
            let name = String::from_utf8_lossy(attribute.key.as_ref()).into_owned();
            let value = String::from_utf8_lossy(&attribute.value).to_ascii_lowercase();
            let plain = value.chars().all(|c| c.is_ascii_alphanumeric() || " .#%,;:()-/".contains(c));
            let fetches = value.contains("url(") || value.contains("expression") || value.contains("script");
            let namespace = name != "xmlns" || value == "http://www.w3.org/1998/math/mathml";
            if !ATTRIBUTES.contains(&name.as_str()) || !plain || fetches || !namespace {
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_display_math_become_mathml() {
        let html = to_html("Energy $E = mc^2$ and $$\\int_0^1 x\\,dx$$ and \\(\\alpha\\).");
        assert!(html.starts_with("Energy <math"), "{html}");
        assert_eq!(html.matches("<math").count(), 3, "{html}");
        assert!(html.contains("display=\"block\""), "{html}");
        assert!(html.contains("<mi>α</mi>") || html.contains("α"), "{html}");
    }

    #[test]
    fn relations_are_escaped_inside_math() {
        let html = to_html("when $p<0.05$ and $a > b$ and $x \\lt y$");
        assert!(html.contains("&lt;"), "{html}");
        assert!(!html.contains("<<") && !html.contains("><<"), "{html}");
        assert_eq!(html.matches("<math").count(), 3, "{html}");
    }

    #[test]
    fn stray_dollars_and_backslashes_stay_text() {
        assert_eq!(to_html("It costs $5 and $10."), "It costs $5 and $10.");
        assert_eq!(to_html("A lone $ sign"), "A lone $ sign");
        assert_eq!(to_html("50\\% off \\$3 \\\\ path\\"), "50% off $3 \\\\ path\\");
        assert_eq!(to_html("$ x$"), "$ x$");
    }

    #[test]
    fn html_in_prose_and_math_is_inert() {
        let html = to_html("<script>alert(1)</script> \"><img src=x onerror=alert(1)> $<img src=x>$");
        assert!(!html.contains("<script") && !html.contains("<img"), "{html}");
        assert!(html.starts_with("&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img"), "{html}");
        let text = to_html("$\\text{<script>alert(1)</script>}$");
        assert!(!text.contains("<script"), "{text}");
    }

    #[test]
    fn unparsable_math_shows_its_source() {
        let html = to_html("broken $\\frac{a$ here");
        assert_eq!(html, "broken <code class=\"tex\">$\\frac{a$</code> here");
    }

    #[test]
    fn excerpts_cut_prose_at_words_and_keep_math_whole() {
        let text = "We prove that $\\sum_{i=1}^n i = n(n+1)/2$ holds for every natural number and more.";
        let short = excerpt_html(text, 20);
        assert!(short.ends_with('…') && !short.contains("<math"), "{short}");
        let longer = excerpt_html(text, 60);
        assert!(longer.contains("</math>") && longer.ends_with("every…"), "{longer}");
        assert_eq!(excerpt_html("Short.", 60), "Short.");
    }

    #[test]
    fn the_mathml_check_rejects_anything_outside_the_allow_list() {
        assert!(is_safe_mathml("<math><mi>x</mi></math>"));
        assert!(!is_safe_mathml("<math><mi>x</mi>"));
        assert!(!is_safe_mathml("<math><script>alert(1)</script></math>"));
        assert!(!is_safe_mathml("<math href=\"javascript:alert(1)\"><mi>x</mi></math>"));
        assert!(!is_safe_mathml("<math><mi style=\"background:url(x)\">x</mi></math>"));
        assert!(!is_safe_mathml("<math><!-- c --><mi>x</mi></math>"));
        assert!(!is_safe_mathml("<math><mo><</mo></math>"));
    }
}
