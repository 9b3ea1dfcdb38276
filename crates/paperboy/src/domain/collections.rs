//! Collections' names and limits: the slug a title gives, the key that names a collection for
//! good, the address `{slug}-{key}` they make together, the themes, and the checks on titles,
//! descriptions and notes (Hugging Face's limits, so its client's collections fit here).

use std::fmt;

/// The longest title.
pub const MAX_TITLE_CHARS: usize = 60;
/// The longest description; Hugging Face's limit.
pub const MAX_DESCRIPTION_CHARS: usize = 150;
/// The longest note on a paper; Hugging Face's limit.
pub const MAX_NOTE_CHARS: usize = 500;
/// The most papers one collection holds.
pub const MAX_ITEMS: i64 = 10_000;
/// The most collections one member keeps.
pub const MAX_COLLECTIONS: i64 = 1_000;
/// Hex digits in a key, as in Hugging Face's ids.
pub const KEY_DIGITS: usize = 24;
/// The title of the reading list "Save" fills.
pub const READING_LIST_TITLE: &str = "Reading list";

/// The colours a collection may take (Hugging Face's).
pub const THEMES: [&str; 6] = ["orange", "blue", "green", "purple", "pink", "indigo"];
/// A new collection's colour.
pub const DEFAULT_THEME: &str = "blue";

/// A collection's lasting name: [`KEY_DIGITS`] lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CollectionKey(String);

impl CollectionKey {
    /// A fresh random key.
    pub fn generate() -> CollectionKey {
        let mut bytes = [0_u8; KEY_DIGITS / 2];
        // The operating system's generator only fails on a broken system.
        #[allow(clippy::expect_used)]
        getrandom::fill(&mut bytes).expect("the operating system's random generator failed");
        CollectionKey(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The key an address ends with: `graph-networks-0123456789abcdef01234567` gives
    /// `0123456789abcdef01234567`. What comes before it may be any slug, so that an old one
    /// still finds a renamed collection.
    pub fn from_address(address: &str) -> Option<CollectionKey> {
        let start = address.len().checked_sub(KEY_DIGITS)?;
        let key = address.get(start..)?;
        let before = &address[..start];
        let joined = before.is_empty()
            || (before.ends_with('-')
                && before.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        (joined && key.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
            .then(|| CollectionKey(key.to_owned()))
    }

    /// A key as stored.
    pub fn from_stored(text: String) -> CollectionKey {
        CollectionKey(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CollectionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The slug of a title: lower-case ASCII letters and digits, words joined by `-`, accents
/// dropped; `collection` for a title without any.
pub fn slug(title: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut slug = String::new();
    for c in title.nfkd().filter(char::is_ascii).map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() { "collection".to_owned() } else { slug.to_owned() }
}

/// A title as kept, trimmed: at most [`MAX_TITLE_CHARS`] characters as written, not blank, no
/// control characters.
pub fn check_title(title: &str) -> Result<String, String> {
    if title.trim().is_empty()
        || title.chars().count() > MAX_TITLE_CHARS
        || title.chars().any(char::is_control)
    {
        return Err(format!(
            "a collection's title has 1 to {MAX_TITLE_CHARS} characters, without control characters"
        ));
    }
    Ok(title.trim().to_owned())
}

/// A description or note as kept, trimmed: at most `max` characters as written, no control
/// characters but line breaks.
pub fn check_text(what: &str, text: &str, max: usize) -> Result<String, String> {
    if text.chars().count() > max || text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(format!(
            "a {what} has at most {max} characters, and no control characters but line breaks"
        ));
    }
    Ok(text.trim().to_owned())
}

/// A theme, if it is one of [`THEMES`].
pub fn check_theme(theme: &str) -> Result<&'static str, String> {
    THEMES
        .iter()
        .find(|known| **known == theme)
        .copied()
        .ok_or_else(|| format!("a theme is one of {}", THEMES.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_letters_and_digits_of_any_title() {
        assert_eq!(slug("Graph Neural Networks (2026)"), "graph-neural-networks-2026");
        assert_eq!(slug("  Émile's  reading list!  "), "emile-s-reading-list");
        assert_eq!(slug("数学"), "collection");
        assert_eq!(slug("---"), "collection");
    }

    #[test]
    fn keys_are_read_from_the_end_of_an_address() {
        let key = CollectionKey::generate();
        assert_eq!(key.as_str().len(), KEY_DIGITS);
        let address = format!("old-title-{key}");
        assert_eq!(CollectionKey::from_address(&address), Some(key.clone()));
        assert_eq!(CollectionKey::from_address(key.as_str()), Some(key.clone()));
        assert_eq!(CollectionKey::from_address(&format!("title{key}")), None);
        assert_eq!(CollectionKey::from_address("graph-networks"), None);
        assert_eq!(CollectionKey::from_address(&format!("x-{}", "G".repeat(KEY_DIGITS))), None);
        assert_eq!(CollectionKey::from_address(&format!("É-{key}")), None);
    }

    #[test]
    fn titles_notes_and_themes_are_checked() {
        assert_eq!(check_title("  Graphs ").as_deref(), Ok("Graphs"));
        assert!(check_title(" ").is_err());
        assert!(check_title(&"x".repeat(MAX_TITLE_CHARS + 1)).is_err());
        assert!(check_title("a\u{0}b").is_err());
        assert_eq!(check_text("note", "two\nlines", MAX_NOTE_CHARS).as_deref(), Ok("two\nlines"));
        assert!(check_text("note", "bell\u{7}", MAX_NOTE_CHARS).is_err());
        assert!(
            check_text("description", &"x".repeat(MAX_DESCRIPTION_CHARS + 1), MAX_DESCRIPTION_CHARS).is_err()
        );
        assert_eq!(check_theme("green"), Ok("green"));
        assert!(check_theme("chartreuse").is_err());
    }
}
