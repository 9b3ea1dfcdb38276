//! Author names as people: one key for the spellings of a name, and the rule that joins an
//! abbreviated name to the full one it stands for.
//!
//! arXiv gives authors as written: `José García-López`, `Jose Garcia-Lopez`, `J. García-López`.
//! [`AuthorName::parse`] folds a name to its parts (accents, case and punctuation dropped,
//! a trailing `Jr.` too), and [`AuthorName::key`] writes them surname first, `lopez jose garcia` (the
//! last word is the surname: arXiv gives names given names first), so that
//! every name with one surname sorts together in the database and an author page finds the
//! abbreviations of a name with one range scan. [`AuthorName::abbreviates`] says whether one
//! name may stand for another (`J. Smith` for `John Smith`); [`Namesakes`] decides, among the
//! names stored under one surname and initial, which are one person and which are ambiguous.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Words after a name that are not part of it.
const SUFFIXES: [&str; 5] = ["jr", "sr", "ii", "iii", "iv"];

/// Each author of a list with its key and place (0-based), for the lookup table; names that
/// fold to nothing are left out.
pub fn author_keys(authors: &[String]) -> impl Iterator<Item = (String, usize)> + '_ {
    authors.iter().enumerate().filter_map(|(i, name)| AuthorName::parse(name).map(|n| (n.key(), i)))
}

/// A name folded for matching: lower case, without accents or punctuation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AuthorName {
    /// The last word of the name (`lopez` in `José García-López`).
    surname: String,
    /// The words before it, in order; an initial is a word of one letter.
    given: Vec<String>,
}

impl AuthorName {
    /// Folds `name`; `None` when nothing of a name is left (punctuation, blanks).
    ///
    /// `Smith, John` is read as `John Smith`; `John Smith, Jr.` as `John Smith`.
    pub fn parse(name: &str) -> Option<AuthorName> {
        let (main, after) = match name.rsplit_once(',') {
            Some((before, after)) => (before, Some(after)),
            None => (name, None),
        };
        let mut words = fold(main);
        if let Some(after) = after {
            let after = fold(after);
            let suffix = after.len() == 1 && SUFFIXES.contains(&after[0].as_str());
            if !suffix {
                // "Surname, Given Names": the part after the comma comes first.
                words = after.into_iter().chain(words).collect();
            }
        }
        if words.len() > 2 && words.last().is_some_and(|w| SUFFIXES.contains(&w.as_str())) {
            words.pop();
        }
        let surname = words.pop()?;
        Some(AuthorName { surname, given: words })
    }

    /// Reads a key back: the surname, then the given names.
    pub fn from_key(key: &str) -> Option<AuthorName> {
        let mut words = key.split(' ').filter(|w| !w.is_empty()).map(str::to_owned);
        let surname = words.next()?;
        Some(AuthorName { surname, given: words.collect() })
    }

    /// The stored key: `smith john a` for `John A. Smith`.
    pub fn key(&self) -> String {
        let mut key = self.surname.clone();
        for word in &self.given {
            key.push(' ');
            key.push_str(word);
        }
        key
    }

    /// The keys every name this one may abbreviate or stand for starts with: the surname and the
    /// first given name's initial (`smith j`), or the surname alone for a one-word name.
    pub fn namesake_prefix(&self) -> String {
        match self.given.first().and_then(|w| w.chars().next()) {
            Some(initial) => format!("{} {initial}", self.surname),
            None => self.surname.clone(),
        }
    }

    /// Whether this name may stand for `other`: the same surname and number of given names, each
    /// the same word or its initial (`j smith` for `john smith`, `j p serre` for
    /// `jean pierre serre`). A name abbreviates itself.
    pub fn abbreviates(&self, other: &AuthorName) -> bool {
        self.surname == other.surname
            && self.given.len() == other.given.len()
            && self.given.iter().zip(&other.given).all(|(short, long)| {
                short == long || (short.chars().count() == 1 && long.starts_with(short.as_str()))
            })
    }
}

/// Lower case words of `text`: accents dropped, letters outside ASCII that do not decompose
/// spelled out (`ß` as `ss`, `ø` as `o`), apostrophes dropped (`O'Brien` is `obrien`), anything
/// else that is not a letter or digit a break between words.
fn fold(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase) {
        match c {
            '\'' | '’' | 'ʼ' | '`' => {}
            'ß' => word.push_str("ss"),
            'æ' => word.push_str("ae"),
            'œ' => word.push_str("oe"),
            'þ' => word.push_str("th"),
            'ø' => word.push('o'),
            'ł' => word.push('l'),
            'đ' | 'ð' => word.push('d'),
            'ı' => word.push('i'),
            c if c.is_alphanumeric() => word.push(c),
            _ if !word.is_empty() => words.push(std::mem::take(&mut word)),
            _ => {}
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// What an author page for one name shows, decided among the names stored under its surname and
/// initial ([`AuthorName::namesake_prefix`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Namesakes {
    /// The page lists the papers of these keys: the name's own and the abbreviations that can
    /// stand for nobody else (`j smith` joins `john smith` unless a `jane smith` exists too).
    /// `others` are fuller names this one may abbreviate, when there are several.
    Page { keys: Vec<String>, others: Vec<String> },
    /// The name abbreviates exactly one fuller name, whose page shows its papers too.
    Moved(String),
    /// No stored name is this one or stands for it.
    Unknown,
}

impl Namesakes {
    /// Decides for `name` among the stored keys `stored` (those sharing its namesake prefix).
    pub fn decide(name: &AuthorName, stored: &[String]) -> Namesakes {
        let stored: Vec<AuthorName> = stored.iter().filter_map(|k| AuthorName::from_key(k)).collect();
        let fuller: Vec<&AuthorName> =
            stored.iter().filter(|other| *other != name && name.abbreviates(other)).collect();
        // The fullest of them: those no other of them abbreviates.
        let fullest: Vec<&AuthorName> =
            fuller.iter().copied().filter(|a| !fuller.iter().any(|b| a != b && a.abbreviates(b))).collect();
        if let [only] = fullest.as_slice() {
            return Namesakes::Moved(only.key());
        }
        let own = stored.contains(name);
        let mut keys: Vec<String> = stored
            .iter()
            .filter(|short| {
                *short == name || (short.abbreviates(name) && stands_only_for(short, name, &stored))
            })
            .map(AuthorName::key)
            .collect();
        keys.sort();
        if !own && keys.is_empty() && fullest.is_empty() {
            return Namesakes::Unknown;
        }
        let mut others: Vec<String> = fullest.iter().map(|n| n.key()).collect();
        others.sort();
        Namesakes::Page { keys, others }
    }
}

/// Whether every stored name `short` may stand for is `name` or abbreviates it.
fn stands_only_for(short: &AuthorName, name: &AuthorName, stored: &[AuthorName]) -> bool {
    stored.iter().filter(|other| short.abbreviates(other)).all(|other| other.abbreviates(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> String {
        AuthorName::parse(name).map(|n| n.key()).unwrap_or_default()
    }

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| key(n)).collect()
    }

    fn decide(name: &str, stored: &[&str]) -> Namesakes {
        Namesakes::decide(&AuthorName::parse(name).expect("a name"), &keys(stored))
    }

    #[test]
    fn spellings_of_one_name_fold_to_one_key() {
        for spelling in ["José García-López", "Jose Garcia-Lopez", "JOSÉ GARCÍA LÓPEZ", "García-López, José"]
        {
            assert_eq!(key(spelling), "lopez jose garcia", "{spelling}");
        }
        assert_eq!(key("Geoffrey E. Hinton"), "hinton geoffrey e");
        assert_eq!(key("J.-P. Serre"), "serre j p");
        assert_eq!(key("Conan O'Brien"), "obrien conan");
        assert_eq!(key("Łukasz Kaiser"), "kaiser lukasz");
        assert_eq!(key("Jürgen Schmidhuber"), "schmidhuber jurgen");
        assert_eq!(key("Martin Luther King, Jr."), "king martin luther");
        assert_eq!(key("Sam Smith Jr"), "smith sam");
        assert_eq!(key("Ωmega Ψ"), "ψ ωmega");
        assert_eq!(key("ATLAS"), "atlas");
        assert_eq!(AuthorName::parse(" .,- "), None);
    }

    #[test]
    fn a_key_reads_back_as_the_name() {
        for name in ["John A. Smith", "Ada Lovelace", "Plato"] {
            let parsed = AuthorName::parse(name).expect("a name");
            assert_eq!(AuthorName::from_key(&parsed.key()), Some(parsed));
        }
    }

    #[test]
    fn initials_abbreviate_the_words_they_begin() {
        let name = |n: &str| AuthorName::parse(n).expect("a name");
        assert!(name("J. Smith").abbreviates(&name("John Smith")));
        assert!(name("J.-P. Serre").abbreviates(&name("Jean-Pierre Serre")));
        assert!(name("John Smith").abbreviates(&name("John Smith")));
        assert!(!name("John Smith").abbreviates(&name("J. Smith")));
        assert!(!name("J. Smith").abbreviates(&name("John A. Smith")));
        assert!(!name("J. Smith").abbreviates(&name("John Smyth")));
        assert!(!name("Jo Smith").abbreviates(&name("John Smith")));
        assert_eq!(name("Jean-Pierre Serre").namesake_prefix(), "serre j");
        assert_eq!(name("Plato").namesake_prefix(), "plato");
    }

    #[test]
    fn an_abbreviation_joins_the_one_name_it_can_stand_for() {
        let stored = ["John Smith", "J. Smith", "J. A. Smith"];
        assert_eq!(
            decide("John Smith", &stored),
            Namesakes::Page { keys: keys(&["J. Smith", "John Smith"]), others: vec![] }
        );
        assert_eq!(decide("J. Smith", &stored), Namesakes::Moved(key("John Smith")));
        assert_eq!(decide("j smith", &stored), Namesakes::Moved(key("John Smith")));
    }

    #[test]
    fn an_ambiguous_abbreviation_keeps_a_page_of_its_own() {
        let stored = ["John Smith", "Jane Smith", "J. Smith"];
        assert_eq!(
            decide("John Smith", &stored),
            Namesakes::Page { keys: keys(&["John Smith"]), others: vec![] }
        );
        assert_eq!(
            decide("J. Smith", &stored),
            Namesakes::Page { keys: keys(&["J. Smith"]), others: keys(&["Jane Smith", "John Smith"]) }
        );
    }

    #[test]
    fn a_name_nobody_has_is_unknown_and_one_that_only_abbreviates_is_moved() {
        assert_eq!(decide("Grace Hopper", &["Grace Kelly"]), Namesakes::Unknown);
        assert_eq!(decide("G. Hopper", &["Grace Hopper"]), Namesakes::Moved(key("Grace Hopper")));
        assert_eq!(
            decide("G. Hopper", &["Grace Hopper", "Gregory Hopper"]),
            Namesakes::Page { keys: vec![], others: keys(&["Grace Hopper", "Gregory Hopper"]) }
        );
    }
}
