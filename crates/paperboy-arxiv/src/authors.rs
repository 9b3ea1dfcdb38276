//! Splitting arXiv's one-line author lists into names.
//!
//! arXiv's `arXivRaw` metadata (and its listings) give the authors as one free-text line, such as
//! `D.V. Shetty, S.J. Yennello, and G.A. Souliotis` or `A. One (Univ X, Dept Y), B. Two and
//! C. Three`. This module turns such a line into a list of names; it does not judge the names
//! (validation in [`crate::paper`] bounds their length).

use crate::paper::collapse_whitespace;

/// Name suffixes that follow a comma but belong to the name before it (`J. Smith, Jr.`).
const SUFFIXES: [&str; 7] = ["Jr", "Jr.", "Sr", "Sr.", "II", "III", "IV"];

/// Splits an arXiv author line into names, in the order given.
///
/// Names are separated by commas and by the word `and`; parenthesised affiliations are dropped
/// together with any commas inside them. Whitespace is collapsed and empty names are dropped.
pub fn split_author_list(s: &str) -> Vec<String> {
    let flat = remove_parenthesised(s);
    let mut names: Vec<String> = Vec::new();
    for piece in flat.split(',') {
        let mut words: Vec<&str> = Vec::new();
        for word in piece.split_whitespace().chain(["and"]) {
            // The chained `and` flushes the last name of the piece.
            if word != "and" {
                words.push(word);
                continue;
            }
            let name = words.join(" ");
            words.clear();
            if name.is_empty() {
                continue;
            }
            match names.last_mut() {
                Some(previous) if SUFFIXES.contains(&name.as_str()) => {
                    previous.push_str(", ");
                    previous.push_str(&name);
                }
                _ => names.push(name),
            }
        }
    }
    names
}

/// Replaces each balanced parenthesised group (nested ones included) with a space.
///
/// A bracket without its partner is dropped on its own, so that a stray `(` cannot swallow the
/// rest of the line and the authors listed after it.
fn remove_parenthesised(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut matched = vec![false; chars.len()];
    let mut open = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '(' => open.push(i),
            ')' => {
                if let Some(start) = open.pop() {
                    matched[start] = true;
                    matched[i] = true;
                }
            }
            _ => {}
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '(' if matched[i] => {
                depth += 1;
                out.push(' ');
            }
            ')' if matched[i] => depth = depth.saturating_sub(1),
            '(' | ')' => {}
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    collapse_whitespace(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_commas_and_the_word_and() {
        assert_eq!(
            split_author_list("D.V. Shetty, S.J. Yennello, and G.A. Souliotis"),
            ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]
        );
        assert_eq!(
            split_author_list("Valeria M. Rosa and Patricio S. letelier"),
            ["Valeria M. Rosa", "Patricio S. letelier"]
        );
        assert_eq!(split_author_list("T. S. Barman"), ["T. S. Barman"]);
    }

    #[test]
    fn drops_affiliations_with_their_commas() {
        assert_eq!(
            split_author_list("A. One (Univ X, Dept Y), B. Two and C. Three"),
            ["A. One", "B. Two", "C. Three"]
        );
        assert_eq!(split_author_list("A. One ((nested), Lab) and B. Two (Inst (Z))"), ["A. One", "B. Two"]);
    }

    #[test]
    fn keeps_names_containing_and() {
        assert_eq!(split_author_list("Sandy Anderson and Rand Andrews"), ["Sandy Anderson", "Rand Andrews"]);
    }

    #[test]
    fn collapses_whitespace_and_drops_empty_names() {
        assert_eq!(split_author_list("  A.\n  One ,, and ,  B.   Two\t, "), ["A. One", "B. Two"]);
        assert!(split_author_list("").is_empty());
        assert!(split_author_list(" , and (Univ X) ").is_empty());
    }

    #[test]
    fn a_stray_bracket_does_not_swallow_later_authors() {
        assert_eq!(split_author_list("A. One (Univ X, B. Two"), ["A. One Univ X", "B. Two"]);
        assert_eq!(split_author_list("A. One) and B. Two"), ["A. One", "B. Two"]);
    }

    #[test]
    fn keeps_suffixes_with_their_name() {
        assert_eq!(split_author_list("J. Smith, Jr., and K. Jones, III"), ["J. Smith, Jr.", "K. Jones, III"]);
    }
}
