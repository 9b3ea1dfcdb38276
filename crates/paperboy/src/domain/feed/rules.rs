//! Feature rules: which imported or harvested papers join the daily feed of their announce day
//! on their own, so that a fresh install is never empty.
//!
//! A rule is `all`, `none`, or terms joined by `+` that must all hold:
//! `cat:cs.CL` (that category, primary or cross-listed), `cat:cs` (any category of that
//! archive), `keyword:diffusion` (a word or phrase in the title or abstract, any case). A paper
//! is featured when any rule holds. The default is `all`: everything announced that day.

use std::str::FromStr;

use paperboy_arxiv::Paper;

use crate::domain::category::is_category;

/// One rule: every term must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureRule {
    terms: Vec<Term>,
    /// The rule as written.
    text: String,
}

impl std::fmt::Display for FeatureRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    /// An exact category, or an archive (`cs`) matching all its categories.
    Category(String),
    /// Lowercase words that must appear together, in order, in the title or abstract.
    Keyword(Vec<String>),
    /// Never holds (`none`).
    Nothing,
}

/// The rules in force: a paper is featured when any of them holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureRules(Vec<FeatureRule>);

impl Default for FeatureRules {
    /// `all`.
    fn default() -> Self {
        FeatureRules(vec![FeatureRule { terms: Vec::new(), text: "all".into() }])
    }
}

impl FeatureRules {
    pub fn new(rules: Vec<FeatureRule>) -> FeatureRules {
        FeatureRules(rules)
    }

    /// Whether `paper` joins its announce day's feed.
    pub fn features(&self, paper: &Paper) -> bool {
        self.0.iter().any(|rule| rule.holds(paper))
    }
}

impl FeatureRule {
    fn holds(&self, paper: &Paper) -> bool {
        self.terms.iter().all(|term| match term {
            Term::Category(wanted) => paper.categories.iter().any(|category| {
                category == wanted
                    || category.strip_prefix(wanted.as_str()).is_some_and(|rest| rest.starts_with('.'))
            }),
            Term::Keyword(phrase) => {
                contains_phrase(&paper.title, phrase) || contains_phrase(&paper.summary, phrase)
            }
            Term::Nothing => false,
        })
    }
}

/// Whether the words of `text`, lowercased, contain `phrase` as consecutive words.
fn contains_phrase(text: &str, phrase: &[String]) -> bool {
    let words: Vec<String> = words(text).collect();
    words.windows(phrase.len()).any(|window| window == phrase)
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

impl FromStr for FeatureRule {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        match text {
            "all" => return Ok(FeatureRule { terms: Vec::new(), text: text.into() }),
            "none" => return Ok(FeatureRule { terms: vec![Term::Nothing], text: text.into() }),
            _ => {}
        }
        let mut terms = Vec::new();
        for term in text.split('+').map(str::trim) {
            let parsed = match term.split_once(':') {
                Some(("cat", category)) if is_category(category) => Term::Category(category.to_owned()),
                Some(("cat", category)) => {
                    return Err(format!(
                        "`{category}` is not an arXiv category or archive, such as cs.CL or cs"
                    ));
                }
                Some(("keyword", keyword)) => {
                    let phrase: Vec<String> = words(keyword).collect();
                    if phrase.is_empty() {
                        return Err(format!("`{term}` names no word to look for"));
                    }
                    Term::Keyword(phrase)
                }
                _ => {
                    return Err(format!(
                        "`{term}` is not a rule term: use all, none, cat:CATEGORY or keyword:WORDS, joined by +"
                    ));
                }
            };
            terms.push(parsed);
        }
        Ok(FeatureRule { terms, text: text.into() })
    }
}

#[cfg(test)]
mod tests {
    use paperboy_arxiv::RawPaper;

    use super::*;

    fn paper(title: &str, categories: &[&str]) -> Paper {
        RawPaper {
            id: Some("2605.00001".into()),
            title: Some(title.into()),
            summary: Some("We study Large Language Models.".into()),
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
            ..RawPaper::default()
        }
        .validate()
        .unwrap()
    }

    fn rules(texts: &[&str]) -> FeatureRules {
        FeatureRules::new(texts.iter().map(|t| t.parse().unwrap()).collect())
    }

    #[test]
    fn the_default_features_everything_and_none_nothing() {
        let any = paper("Anything", &["math.AG"]);
        assert!(FeatureRules::default().features(&any));
        assert!(!rules(&["none"]).features(&any));
    }

    #[test]
    fn categories_match_exactly_or_by_archive() {
        let robotics = paper("Grasping", &["cs.RO", "cs.LG"]);
        assert!(rules(&["cat:cs.LG"]).features(&robotics));
        assert!(rules(&["cat:cs"]).features(&robotics));
        assert!(!rules(&["cat:cs.L"]).features(&robotics));
        assert!(!rules(&["cat:c"]).features(&robotics));
        assert!(!rules(&["cat:math"]).features(&robotics));
    }

    #[test]
    fn keywords_match_whole_words_in_title_or_abstract_and_terms_combine() {
        let llm = paper("Diffusion for Robots", &["cs.RO"]);
        assert!(rules(&["keyword:diffusion"]).features(&llm));
        assert!(rules(&["keyword:language models"]).features(&llm));
        assert!(!rules(&["keyword:diffuse"]).features(&llm));
        assert!(rules(&["cat:cs.RO+keyword:robots"]).features(&llm));
        assert!(!rules(&["cat:cs.CL+keyword:robots"]).features(&llm));
        assert!(rules(&["cat:cs.CL+keyword:robots", "cat:cs.RO"]).features(&llm));
    }

    #[test]
    fn malformed_rules_say_what_is_wrong() {
        for bad in ["cat:", "cat:cs..LG", "keyword:  ", "title:robots", "everything"] {
            assert!(bad.parse::<FeatureRule>().is_err(), "{bad}");
        }
    }
}
