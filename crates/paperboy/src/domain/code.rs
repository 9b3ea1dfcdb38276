//! A paper's code: the GitHub repository people set (checked and written one way,
//! `https://github.com/owner/repo`), and the one its arXiv comment or abstract mentions
//! ("Code: https://github.com/..."), found when no one set one.

use paperboy_arxiv::Paper;

/// A paper's repository, and whether it was found in its text rather than set by someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub url: String,
    pub found: bool,
}

/// The repository people set for `paper`, or else the first one its arXiv comment or abstract
/// links to.
pub fn repository(paper: &Paper) -> Option<Repository> {
    if let Some(url) = &paper.github_repo {
        return Some(Repository { url: url.clone(), found: false });
    }
    let comment = paper.comment.as_deref().and_then(find_github_repo);
    comment.or_else(|| find_github_repo(&paper.summary)).map(|url| Repository { url, found: true })
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
}
