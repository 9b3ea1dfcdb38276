//! What templates show, prepared in Rust: cards, links, the layout's parts. Every `*_html`
//! field is already safe HTML (escaped text, checked MathML, `<mark>` highlights); every other
//! string is escaped by the template.

use crate::db::claims::ClaimedAuthor;
use crate::db::feed::FeedItem;
use crate::db::papers::StoredPaper;
use crate::domain::feed::{FeedEntry, FeedSource};
use crate::domain::text::{url_encode, url_encode_path};
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

/// An author page's address: `/authors/Ada%20Lovelace`.
pub fn author_href(name: &str) -> String {
    format!("/authors/{}", url_encode(name).replace('+', "%20"))
}

/// An author in a card's list, with what follows the name: ", ", " and " or nothing.
#[derive(Debug, Clone)]
pub struct CardAuthor {
    pub link: Link,
    pub then: &'static str,
    /// The member verified as this author.
    pub claimed: Option<String>,
}

/// The first authors of `authors`, linked to their pages: all of them up to `most`, otherwise
/// `most - 1` and a count of the others ("A, B, C and 9 others").
fn card_authors(authors: &[String], claimed: &[ClaimedAuthor], most: usize) -> (Vec<CardAuthor>, usize) {
    let shown = if authors.len() <= most { authors.len() } else { most - 1 };
    let others = authors.len() - shown;
    let list = authors[..shown]
        .iter()
        .enumerate()
        .map(|(i, name)| CardAuthor {
            link: Link::new(author_href(name), name),
            claimed: claimed.iter().find(|c| c.position == i).map(|c| c.user.clone()),
            then: match (i + 1 == shown, i + 2 == shown) {
                (true, _) => "",
                (false, true) if others == 0 => " and ",
                _ => ", ",
            },
        })
        .collect();
    (list, others)
}

/// A paper in a listing.
#[derive(Debug, Clone)]
pub struct Card {
    pub id: String,
    pub href: String,
    pub title_html: String,
    pub authors: Vec<CardAuthor>,
    /// Authors not named.
    pub more_authors: usize,
    pub excerpt_html: String,
    pub upvotes: i64,
    pub comments: i64,
    /// Its GitHub repository's stars, once counted.
    pub stars: Option<i64>,
    pub categories: Vec<String>,
    /// Where it comes from: "Submitted by ada", "Featured", "Announced 11 May 2026".
    pub byline: String,
    /// In a search of full texts, the passage found and where it is.
    pub passage: Option<CardPassage>,
}

/// A passage of a paper's full text on its card: its section, linked to it in the reading
/// view, and a stretch of it with the words found marked.
#[derive(Debug, Clone)]
pub struct CardPassage {
    pub href: String,
    pub section: String,
    pub snippet_html: String,
}

impl Card {
    pub fn from_paper(stored: &StoredPaper) -> Card {
        let paper = &stored.paper;
        let byline =
            paper.announce_date.map(|d| format!("Announced {}", d.format("%-d %b %Y"))).unwrap_or_default();
        let (authors, more_authors) = card_authors(&paper.authors, &stored.claimed, CARD_AUTHORS);
        Card {
            id: paper.id.to_string(),
            href: format!("/papers/{}", paper.id),
            title_html: latex::to_html(&paper.title),
            authors,
            more_authors,
            excerpt_html: latex::excerpt_html(&paper.summary, EXCERPT_CHARS),
            upvotes: stored.upvotes,
            comments: stored.num_comments,
            stars: stored.stars,
            categories: paper.categories.clone(),
            byline,
            passage: None,
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
            passage: hit.passage.as_ref().map(|best| CardPassage {
                href: format!("/papers/{}/read#{}", best.id, url_encode_path(&best.anchor)),
                section: best.section.clone(),
                snippet_html: best.snippet_html.clone(),
            }),
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

    #[test]
    fn cards_link_their_first_authors_and_count_the_others() {
        let names = |n: usize| (1..=n).map(|i| format!("A {i}")).collect::<Vec<_>>();
        let text = |(list, others): (Vec<CardAuthor>, usize)| {
            let named: String = list.iter().map(|a| format!("{}{}", a.link.label, a.then)).collect();
            if others > 0 { format!("{named} and {others} others") } else { named }
        };
        assert_eq!(text(card_authors(&names(0), &[], 4)), "");
        assert_eq!(text(card_authors(&names(1), &[], 4)), "A 1");
        assert_eq!(text(card_authors(&names(3), &[], 4)), "A 1, A 2 and A 3");
        assert_eq!(text(card_authors(&names(4), &[], 4)), "A 1, A 2, A 3 and A 4");
        assert_eq!(text(card_authors(&names(12), &[], 4)), "A 1, A 2, A 3 and 9 others");
        assert_eq!(author_href("José García/López"), "/authors/Jos%C3%A9%20Garc%C3%ADa%2FL%C3%B3pez");
    }
}
