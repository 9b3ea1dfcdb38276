//! What templates show, prepared in Rust: cards, links, the layout's parts. Every `*_html`
//! field is already safe HTML (escaped text, checked MathML, `<mark>` highlights); every other
//! string is escaped by the template.

use crate::db::feed::FeedItem;
use crate::db::papers::StoredPaper;
use crate::domain::feed::{FeedEntry, FeedSource};
use crate::domain::text::short_authors;
use crate::search::SearchHit;
use crate::web::latex;

/// Characters of abstract a card shows.
const EXCERPT_CHARS: usize = 280;

/// Authors a card names before "and N others".
const CARD_AUTHORS: usize = 4;

/// A link with its text.
#[derive(Debug, Clone)]
pub struct Link {
    pub href: String,
    pub label: String,
}

impl Link {
    pub fn new(href: impl Into<String>, label: impl Into<String>) -> Link {
        Link { href: href.into(), label: label.into() }
    }
}

/// Previous and next pages of a listing.
#[derive(Debug, Clone, Default)]
pub struct Pager {
    pub previous: Option<Link>,
    pub next: Option<Link>,
    /// "Page 2 of 5", empty when there is one page.
    pub position: String,
}

impl Pager {
    /// The pager of page `page` (1-based) of `total` items, `size` a page; `href` makes a page's
    /// address from its number.
    pub fn numbered(page: u64, size: u64, total: u64, href: impl Fn(u64) -> String) -> Pager {
        let pages = total.div_ceil(size).max(1);
        Pager {
            previous: (page > 1).then(|| Link::new(href(page - 1), "Previous page")),
            next: (page < pages).then(|| Link::new(href(page + 1), "Next page")),
            position: if pages > 1 { format!("Page {page} of {pages}") } else { String::new() },
        }
    }

    pub fn is_empty(&self) -> bool {
        self.previous.is_none() && self.next.is_none()
    }
}

/// A paper in a listing.
#[derive(Debug, Clone)]
pub struct Card {
    pub id: String,
    pub href: String,
    pub title_html: String,
    pub authors: String,
    pub excerpt_html: String,
    pub upvotes: i64,
    pub comments: i64,
    pub categories: Vec<String>,
    /// Where it comes from: "Submitted by ada", "Featured", "Announced 11 May 2026".
    pub byline: String,
}

impl Card {
    pub fn from_paper(stored: &StoredPaper) -> Card {
        let paper = &stored.paper;
        let byline =
            paper.announce_date.map(|d| format!("Announced {}", d.format("%-d %b %Y"))).unwrap_or_default();
        Card {
            id: paper.id.to_string(),
            href: format!("/papers/{}", paper.id),
            title_html: latex::to_html(&paper.title),
            authors: short_authors(&paper.authors, CARD_AUTHORS),
            excerpt_html: latex::excerpt_html(&paper.summary, EXCERPT_CHARS),
            upvotes: stored.upvotes,
            comments: stored.num_comments,
            categories: paper.categories.clone(),
            byline,
        }
    }

    pub fn from_feed(item: &FeedItem) -> Card {
        Card { byline: byline(&item.entry), ..Card::from_paper(&item.paper) }
    }

    /// A search result: the title and snippet come highlighted from the index.
    pub fn from_hit(hit: &SearchHit) -> Card {
        let card = Card::from_paper(&hit.paper);
        Card {
            title_html: hit.title_html.clone(),
            excerpt_html: hit.snippet_html.clone(),
            byline: hit.entry.as_ref().map_or(card.byline.clone(), byline),
            ..card
        }
    }
}

/// Who put a feed entry there.
pub fn byline(entry: &FeedEntry) -> String {
    match (&entry.source, &entry.submitted_by) {
        (FeedSource::User, Some(name)) => format!("Submitted by {name}"),
        (FeedSource::Curator, _) => "Picked by a curator".to_owned(),
        _ => "Featured".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagers_link_only_to_pages_that_exist() {
        let pager = Pager::numbered(1, 50, 120, |p| format!("?page={p}"));
        assert!(pager.previous.is_none());
        assert_eq!(pager.next.as_ref().map(|l| l.href.as_str()), Some("?page=2"));
        assert_eq!(pager.position, "Page 1 of 3");
        assert!(Pager::numbered(1, 50, 50, |p| p.to_string()).is_empty());
    }
}
