//! Text made safe for HTML: the one escaping function of the project's pages and snippets.

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The first `chars` characters of `text`, escaped, with an ellipsis when it goes on.
pub fn escaped_opening(text: &str, chars: usize) -> String {
    let cut: String = text.chars().take(chars).collect();
    let more = if cut.len() < text.len() { "…" } else { "" };
    escape_html(&cut) + more
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn openings_are_cut_by_characters() {
        assert_eq!(escaped_opening("née <b>", 3), "née…");
        assert_eq!(escaped_opening("short", 10), "short");
    }
}
