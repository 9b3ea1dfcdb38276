//! A digest as an email: plain text and HTML from templates compiled into the binary, with
//! the headers mailing lists carry.
//!
//! Every link is absolute, from the configured base URL. Headers: `Date`, the digest's own
//! `Message-ID` (the same on every attempt), `List-Id`, `List-Unsubscribe` with an https and a
//! mailto address, and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), so mail
//! clients offer an unsubscribe button that works with one POST and no sign-in.

use askama::Template;
use lettre::message::Mailbox;

use crate::db::digests::PeriodPaper;
use crate::digest::compose::message_host;
use crate::digest::links::LinkKey;
use crate::domain::accounts::Email;
use crate::domain::digest::Pick;
use crate::domain::digest::{Mode, Period};
use crate::domain::text::short_authors;
use crate::mail::Mail;

/// Characters of an abstract a digest shows.
const BLURB_CHARS: usize = 280;
/// Width the plain text wraps at.
const TEXT_WIDTH: usize = 72;

/// One paper as a digest shows it.
#[derive(Debug, Clone)]
pub struct DigestPaper {
    pub title: String,
    pub url: String,
    pub authors: String,
    pub upvotes: i64,
    /// Why it is here, or the start of its abstract.
    pub blurb: String,
    /// `blurb`, wrapped for the plain text.
    pub blurb_lines: Vec<String>,
}

impl DigestPaper {
    pub fn new(base_url: &str, paper: &PeriodPaper, pick: &Pick) -> DigestPaper {
        let authors: Vec<String> = serde_json::from_str(&paper.authors).unwrap_or_default();
        let blurb = match &pick.reason {
            Some(reason) => reason.clone(),
            None => excerpt(&paper.summary, BLURB_CHARS),
        };
        DigestPaper {
            title: collapse(&paper.title),
            url: format!("{base_url}/papers/{}", paper.id),
            authors: short_authors(&authors, 4),
            upvotes: paper.upvotes,
            blurb_lines: wrap(&blurb, TEXT_WIDTH - 3),
            blurb,
        }
    }
}

/// What both parts of a digest show.
struct DigestView<'a> {
    heading: &'a str,
    period: &'a str,
    papers: &'a [DigestPaper],
    email: &'a str,
    base_url: &'a str,
    manage_url: &'a str,
    unsubscribe_url: &'a str,
}

#[derive(Template)]
#[template(path = "email/digest.txt")]
struct DigestText<'a> {
    digest: &'a DigestView<'a>,
}

#[derive(Template)]
#[template(path = "email/digest.html")]
struct DigestHtml<'a> {
    digest: &'a DigestView<'a>,
}

/// Renders digests for one site.
#[derive(Debug, Clone)]
pub struct Renderer {
    base_url: String,
    key: LinkKey,
    list_id: String,
    /// Where `mailto:` unsubscribe requests go: the sender's address.
    mailto: String,
}

impl Renderer {
    pub fn new(base_url: &str, key: LinkKey, from: &Mailbox) -> Renderer {
        let base_url = base_url.trim_end_matches('/').to_owned();
        let list_id = format!("Paperboy digest <digest.{}>", message_host(&base_url));
        Renderer { base_url, key, list_id, mailto: from.email.to_string() }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The settings page of a subscription.
    pub fn manage_url(&self, subscription: i64, email: &str) -> String {
        format!("{}/subscription?token={}", self.base_url, self.key.token(subscription, email))
    }

    /// The one-click unsubscribe address of a subscription.
    pub fn unsubscribe_url(&self, subscription: i64, email: &str) -> String {
        format!("{}/unsubscribe?token={}", self.base_url, self.key.token(subscription, email))
    }

    /// The digest of `period` for one reader.
    pub fn render(
        &self,
        subscription: i64,
        email: &Email,
        mode: Mode,
        period: Period,
        papers: &[DigestPaper],
        message_id: &str,
    ) -> Mail {
        let heading = match mode {
            Mode::Trending => "Trending papers",
            Mode::Personal => "Papers for you",
        };
        let period = period.label();
        let token = self.key.token(subscription, email.as_str());
        let manage_url = self.manage_url(subscription, email.as_str());
        let unsubscribe_url = self.unsubscribe_url(subscription, email.as_str());
        let view = DigestView {
            heading,
            period: &period,
            papers,
            email: email.as_str(),
            base_url: &self.base_url,
            manage_url: &manage_url,
            unsubscribe_url: &unsubscribe_url,
        };
        let mut mail = Mail::new(
            email.clone(),
            format!("{heading} · {period}"),
            DigestText { digest: &view }
                .render()
                .unwrap_or_else(|err| format!("The digest could not be rendered: {err}")),
        );
        mail.html = DigestHtml { digest: &view }.render().ok();
        mail.message_id = Some(message_id.to_owned());
        mail.headers = vec![
            ("List-Id", self.list_id.clone()),
            (
                "List-Unsubscribe",
                format!("<{unsubscribe_url}>, <mailto:{}?subject=unsubscribe%20{token}>", self.mailto),
            ),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".into()),
        ];
        mail
    }
}

/// Whitespace runs as single spaces.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The start of `text`, cut at a word before `chars` characters, with an ellipsis when cut.
fn excerpt(text: &str, chars: usize) -> String {
    let text = collapse(text);
    if text.chars().count() <= chars {
        return text;
    }
    let cut: String = text.chars().take(chars).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.']))
}

/// `text` in lines of at most `width` characters, broken between words.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abstracts_are_cut_between_words_and_wrapped() {
        let text = "We study the   problem of ranking papers.\nIt is hard; we show why, and how to fix it.";
        assert_eq!(excerpt(text, 30), "We study the problem of…");
        assert_eq!(excerpt("short", 30), "short");
        assert_eq!(wrap("aaa bbb ccc ddd", 7), ["aaa bbb", "ccc ddd"]);
        assert_eq!(wrap("", 7), Vec::<String>::new());
    }
}
