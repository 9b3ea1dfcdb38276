//! Comments are written in Markdown and shown as HTML that can do no harm: pulldown-cmark
//! renders, then ammonia keeps only an allow-list of tags and attributes. Raw HTML in a comment
//! is shown as text, links may only go to http(s) and mailto addresses and carry
//! `rel="nofollow noopener noreferrer ugc"`, and images are not allowed at all (they would let a
//! commenter load anything into every reader's browser).

use std::collections::HashSet;

use pulldown_cmark::{Event, Options, Parser};

/// Longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 10_000;

/// Checks a comment's text: at most [`MAX_COMMENT_CHARS`] as written, not only white space; the
/// text without the white space at either end.
pub fn check_comment(body: &str) -> Result<&str, String> {
    if body.chars().count() > MAX_COMMENT_CHARS {
        return Err(format!("a comment may have at most {MAX_COMMENT_CHARS} characters"));
    }
    let body = body.trim();
    if body.is_empty() { Err("the comment is empty".into()) } else { Ok(body) }
}

/// Renders a comment's Markdown to safe HTML.
pub fn to_html(markdown: &str) -> String {
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES;
    // Raw HTML becomes text: what a commenter typed is shown, never interpreted.
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
        other => other,
    });
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    sanitiser().clean(&html).to_string()
}

fn sanitiser() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder
        .rm_tags(["img"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("nofollow noopener noreferrer ugc"));
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders() {
        assert_eq!(to_html("**bold** and `code`"), "<p><strong>bold</strong> and <code>code</code></p>\n");
        assert!(to_html("- a\n- b").contains("<li>a</li>"));
    }

    #[test]
    fn scripts_handlers_and_raw_html_stay_text() {
        let html = to_html("<script>alert(1)</script> <b onclick=\"x()\">hi</b>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b "), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn links_are_checked_and_marked() {
        let html = to_html("[click](javascript:alert(1)) [ok](https://example.org)");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("href=\"https://example.org\""), "{html}");
        assert!(html.contains("rel=\"nofollow noopener noreferrer ugc\""), "{html}");
        assert!(!to_html("![x](https://example.org/t.png)").contains("<img"));
    }

    #[test]
    fn empty_and_huge_comments_are_refused() {
        assert!(check_comment("  \n").is_err());
        assert!(check_comment(&"x".repeat(MAX_COMMENT_CHARS + 1)).is_err());
        assert_eq!(check_comment("  fine "), Ok("fine"));
    }
}
