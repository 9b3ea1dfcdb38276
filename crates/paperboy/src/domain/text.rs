//! Small pieces of text that pages, the API and emails write the same way: percent-encoded
//! addresses and shortened author lists.

/// Percent-encodes a query parameter value.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Percent-encodes what may not appear in a URL path, keeping `/`.
pub fn url_encode_path(text: &str) -> String {
    text.split('/').map(|part| url_encode(part).replace('+', "%20")).collect::<Vec<_>>().join("/")
}

/// "Ada Lovelace, Alan Turing and Grace Hopper", or the first `most` and "N others".
pub fn short_authors(authors: &[String], most: usize) -> String {
    match authors {
        [] => String::new(),
        [one] => one.clone(),
        _ if authors.len() <= most => {
            let (last, rest) = authors.split_last().unwrap_or((&authors[0], &[]));
            format!("{} and {last}", rest.join(", "))
        }
        _ => {
            let others = authors.len() - (most - 1);
            format!("{} and {others} others", authors[..most - 1].join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(url_encode("author:\"Ada L\""), "author%3A%22Ada+L%22");
        assert_eq!(url_encode_path("10.1000/a b<c>"), "10.1000/a%20b%3Cc%3E");
    }

    fn names(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("A{i}")).collect()
    }

    #[test]
    fn author_lists_shorten_with_a_count() {
        assert_eq!(short_authors(&names(1), 4), "A1");
        assert_eq!(short_authors(&names(3), 4), "A1, A2 and A3");
        assert_eq!(short_authors(&names(4), 4), "A1, A2, A3 and A4");
        assert_eq!(short_authors(&names(12), 4), "A1, A2, A3 and 9 others");
    }
}
