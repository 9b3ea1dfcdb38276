//! A paper's code and project page: the GitHub repository people set (checked and written one
//! way, `https://github.com/owner/repo`) and the project page they set, or else the ones its
//! arXiv comment or abstract mentions ("Code: https://github.com/...", "Project page:
//! https://..."), marked as found.

use paperboy_arxiv::Paper;
use paperboy_arxiv::paper::check_link;

/// A paper's repository or project page, and whether it was found in its text rather than set
/// by someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    pub url: String,
    pub found: bool,
}

/// The repository people set for `paper`, or else the first one its arXiv comment or abstract
/// links to.
pub fn repository(paper: &Paper) -> Option<Linked> {
    linked(paper, paper.github_repo.as_ref(), find_github_repo)
}

/// The project page people set for `paper`, or else the first one its arXiv comment or abstract
/// names ([`find_project_page`]).
pub fn project_page(paper: &Paper) -> Option<Linked> {
    linked(paper, paper.project_page.as_ref(), find_project_page)
}

fn linked(paper: &Paper, set: Option<&String>, find: fn(&str) -> Option<String>) -> Option<Linked> {
    if let Some(url) = set {
        return Some(Linked { url: url.clone(), found: false });
    }
    let comment = paper.comment.as_deref().and_then(find);
    comment.or_else(|| find(&paper.summary)).map(|url| Linked { url, found: true })
}

/// Longest GitHub account name, and repository name (a leading `.` aside).
const MAX_OWNER: usize = 39;
const MAX_REPO: usize = 100;

/// A GitHub repository as it is kept: `https://github.com/owner/repo`. `None` for empty text
/// (no repository); an error for anything but the address of a repository on github.com:
/// `http` or `https`, `www.` or not, a trailing `/` or `.git` dropped (what
/// `api::contract::GITHUB_REPO` describes).
pub fn github_repo(text: &str) -> Result<Option<String>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    repo_at(text).filter(|(_, used)| *used == text.len()).map(|(repo, _)| Some(repo)).ok_or_else(|| {
        format!(
            "`{}` is not a GitHub repository: give its address, as in https://github.com/owner/repo",
            text.chars().take(80).collect::<String>()
        )
    })
}

/// The repository whose address starts `text`, and how many bytes of `text` it took.
fn repo_at(text: &str) -> Option<(String, usize)> {
    let after_scheme = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://"))?;
    let after_www = after_scheme.strip_prefix("www.").unwrap_or(after_scheme);
    let rest = after_www.strip_prefix("github.com/")?;
    let owner_len = rest.find('/')?;
    let owner = &rest[..owner_len];
    let owner_ok = (1..=MAX_OWNER).contains(&owner.len())
        && owner.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !owner.starts_with('-')
        && !owner.ends_with('-')
        && !owner.contains("--");
    let after = &rest[owner_len + 1..];
    let repo_len =
        after.bytes().take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')).count();
    let raw = &after[..repo_len];
    let body = raw.strip_prefix('.').unwrap_or(raw);
    let repo_ok = (1..=MAX_REPO).contains(&body.len()) && !body.starts_with('.');
    if !owner_ok || !repo_ok {
        return None;
    }
    let repo = raw.strip_suffix(".git").filter(|r| !r.is_empty()).unwrap_or(raw);
    let mut used = text.len() - after.len() + repo_len;
    if text[used..].starts_with('/') {
        used += 1;
    }
    Some((format!("https://github.com/{owner}/{repo}"), used))
}

/// The first GitHub repository `text` links to (an arXiv comment or abstract), if any; a full
/// stop that ends a sentence is not part of it.
pub fn find_github_repo(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    lower.match_indices("github.com/").find_map(|(at, found)| {
        let address = format!("https://github.com/{}", &text[at + found.len()..]);
        repo_at(&address).map(|(repo, _)| repo.trim_end_matches('.').to_owned())
    })
}

/// Words that, shortly before an address, say it is a project's page.
const PROJECT_WORDS: [&str; 6] =
    ["project page", "project website", "project site", "homepage", "website", "webpage"];

/// How far before an address (in bytes) [`PROJECT_WORDS`] may stand.
const PROJECT_WORDS_BEFORE: usize = 40;

/// Hosts whose pages are never a project's page: the paper itself, its DOI, its code.
const NOT_PROJECT_HOSTS: [&str; 5] = ["arxiv.org", "doi.org", "github.com", "www.github.com", "dx.doi.org"];

/// The first project page `text` (an arXiv comment or abstract) names: an address on
/// `github.io`, or one shortly after "project page", "website" or "homepage". A punctuation
/// mark that ends a sentence or a bracket around it is not part of it.
pub fn find_project_page(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    lower.match_indices("http").find_map(|(at, _)| {
        let rest = &text[at..];
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '<' | '>' | ',' | ';'))
            .unwrap_or(rest.len());
        let url = rest[..end].trim_end_matches(['.', ')', ']', '}', ':']);
        let url = check_link("projectPage", Some(url.to_owned())).ok().flatten()?;
        let host = url.split("://").nth(1)?.split(['/', '?', '#']).next()?.to_ascii_lowercase();
        if NOT_PROJECT_HOSTS.iter().any(|h| host == *h || host.ends_with(&format!(".{h}"))) {
            return None;
        }
        let before = &lower[at.saturating_sub(PROJECT_WORDS_BEFORE)..at];
        let named = PROJECT_WORDS.iter().any(|word| before.contains(word));
        (named || host.ends_with(".github.io")).then_some(url)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_kept_one_way_and_nothing_else_passes() {
        for (given, kept) in [
            ("https://github.com/huggingface/transformers", "https://github.com/huggingface/transformers"),
            ("  http://www.github.com/a-b/c.d_e.git/ ", "https://github.com/a-b/c.d_e"),
            ("https://github.com/owner/.github", "https://github.com/owner/.github"),
        ] {
            assert_eq!(github_repo(given), Ok(Some(kept.to_owned())), "{given}");
        }
        assert_eq!(github_repo(" "), Ok(None));
        for bad in [
            "https://gitlab.com/a/b",
            "https://github.com/a",
            "https://github.com/a/",
            "https://github.com/a/b/tree/main",
            "https://github.com.evil.example/a/b",
            "https://github.com/-a/b",
            "https://github.com/a/..",
            "https://GitHub.com/a/b",
            "github.com/a/b",
            "javascript:alert(1)//github.com/a/b",
            "https://github.com/a/b c",
        ] {
            assert!(github_repo(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn repositories_are_found_in_comments_and_abstracts() {
        let comment = "12 pages. Code: https://github.com/ada/engine. Data at https://example.org";
        assert_eq!(find_github_repo(comment).as_deref(), Some("https://github.com/ada/engine"));
        let bare = "Our code is at github.com/ada/engine-2 (MIT).";
        assert_eq!(find_github_repo(bare).as_deref(), Some("https://github.com/ada/engine-2"));
        assert_eq!(find_github_repo("See https://github.com/ada for more."), None);
        let shouted = "Code: https://GitHub.com/Ada/Engine.";
        assert_eq!(find_github_repo(shouted).as_deref(), Some("https://github.com/Ada/Engine"));
        assert_eq!(find_github_repo("No code."), None);
    }

    #[test]
    fn project_pages_are_found_by_their_words_or_on_github_io() {
        let comment =
            "CVPR 2026. Project page: https://ada.example.org/engine/. Code: https://github.com/ada/engine";
        assert_eq!(find_project_page(comment).as_deref(), Some("https://ada.example.org/engine/"));
        let pages = "Videos are on our website (https://www.ada-lab.org/demo).";
        assert_eq!(find_project_page(pages).as_deref(), Some("https://www.ada-lab.org/demo"));
        let io = "See https://ada.github.io/engine for results.";
        assert_eq!(find_project_page(io).as_deref(), Some("https://ada.github.io/engine"));
        for none in [
            "Data at https://example.org/data.",
            "Our website mirrors https://github.com/ada/engine.",
            "Homepage of the dataset: https://arxiv.org/abs/2501.00001",
            "No links at all.",
        ] {
            assert_eq!(find_project_page(none), None, "{none}");
        }
    }

    #[test]
    fn what_people_set_wins_over_what_is_found() {
        let mut paper = paperboy_arxiv::paper::RawPaper {
            id: Some("2601.00001".into()),
            title: Some("A paper".into()),
            summary: Some(
                "Code at https://github.com/ada/found, project page: https://found.example.org".into(),
            ),
            authors: vec!["Ada".into()],
            ..Default::default()
        }
        .validate()
        .unwrap();
        let found = |url: &str| Some(Linked { url: url.into(), found: true });
        assert_eq!(repository(&paper), found("https://github.com/ada/found"));
        assert_eq!(project_page(&paper), found("https://found.example.org"));
        paper.github_repo = Some("https://github.com/ada/set".into());
        paper.project_page = Some("https://set.example.org".into());
        let set = |url: &str| Some(Linked { url: url.into(), found: false });
        assert_eq!(repository(&paper), set("https://github.com/ada/set"));
        assert_eq!(project_page(&paper), set("https://set.example.org"));
    }
}
