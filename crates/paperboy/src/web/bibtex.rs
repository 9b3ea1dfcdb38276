//! BibTeX entries of papers, in the form arXiv recommends: a paper page shows its entry, and a
//! collection's export is one entry per paper.

use paperboy_arxiv::Paper;

/// A BibTeX `@misc` entry in the form arXiv recommends.
pub fn bibtex(paper: &Paper) -> String {
    let year = paper
        .published_at
        .map(|t| t.format("%Y").to_string())
        .or_else(|| paper.announce_date.map(|d| d.format("%Y").to_string()))
        .unwrap_or_default();
    let surname = |name: &str| name.split_whitespace().last().unwrap_or(name).to_owned();
    let key_word = paper
        .title
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| w.len() > 3)
        .unwrap_or("paper")
        .to_lowercase();
    let first = paper.authors.first().map(|a| surname(a)).unwrap_or_else(|| "anonymous".into());
    let key: String = format!("{first}{year}{key_word}")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    let authors: Vec<String> = paper
        .authors
        .iter()
        .map(|name| {
            let mut parts: Vec<&str> = name.split_whitespace().collect();
            match parts.pop() {
                Some(last) if !parts.is_empty() => format!("{last}, {}", parts.join(" ")),
                _ => name.clone(),
            }
        })
        .collect();
    let mut fields = vec![
        ("title", braced(&paper.title)),
        ("author", braced(&authors.join(" and "))),
        ("year", year),
        ("eprint", paper.id.to_string()),
        ("archivePrefix", "arXiv".into()),
    ];
    if let Some(primary) = paper.categories.first() {
        fields.push(("primaryClass", primary.clone()));
    }
    if let Some(doi) = &paper.doi {
        fields.push(("doi", braced(doi)));
    }
    fields.push(("url", format!("https://arxiv.org/abs/{}", paper.id)));
    let body: Vec<String> =
        fields.iter().map(|(name, value)| format!("  {name:<13} = {{{value}}}")).collect();
    format!("@misc{{{key},\n{}\n}}", body.join(",\n"))
}

/// `text` with its braces kept only if they balance, so the entry always parses.
fn braced(text: &str) -> String {
    let mut depth = 0i32;
    let balanced = text.chars().all(|c| {
        depth += match c {
            '{' => 1,
            '}' => -1,
            _ => 0,
        };
        depth >= 0
    }) && depth == 0;
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if balanced { flat } else { flat.replace(['{', '}'], "") }
}

#[cfg(test)]
mod tests {
    use paperboy_arxiv::RawPaper;

    use super::*;

    #[test]
    fn bibtex_entries_follow_arxiv_and_stay_balanced() {
        let paper = RawPaper {
            id: Some("2605.00001v2".into()),
            title: Some("Attention {Is} All\nYou Need".into()),
            summary: Some("S".into()),
            authors: vec!["Ada Lovelace".into(), "Alan M. Turing".into()],
            categories: vec!["cs.CL".into()],
            published_at: "2026-05-01T10:00:00Z".parse().ok(),
            ..RawPaper::default()
        }
        .validate()
        .unwrap();
        let entry = bibtex(&paper);
        assert!(entry.starts_with("@misc{lovelace2026attention,\n"), "{entry}");
        assert!(entry.contains("  title         = {Attention {Is} All You Need},"), "{entry}");
        assert!(entry.contains("  author        = {Lovelace, Ada and Turing, Alan M.},"), "{entry}");
        assert!(entry.contains("  eprint        = {2605.00001},"), "{entry}");
        assert!(entry.ends_with("  url           = {https://arxiv.org/abs/2605.00001}\n}"), "{entry}");
        assert_eq!(braced("a } b {"), "a  b ");
    }
}
