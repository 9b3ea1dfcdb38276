//! Why the community's rules refuse an action: the one answer storage, quotas and actions give
//! for "no" that is not a failure, and that the HTTP layer turns into a 4xx with the message.

use chrono::NaiveDate;

use crate::domain::accounts::LinkError;

/// Why the community's rules refuse an action. Each message says what happened and what can
/// be done instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("there is no paper {0} here")]
    NoSuchPaper(String),
    #[error("this paper was hidden by the curators: it takes no votes, submissions or comments")]
    PaperHidden,
    #[error("there is no such comment")]
    NoSuchComment,
    #[error("you can only change your own comments")]
    NotYourComment,
    #[error("this comment was deleted or hidden, and cannot change any more")]
    CommentGone,
    #[error("the comment you reply to is not on this paper")]
    ParentElsewhere,
    #[error("{id} was submitted already, by {by}, to the feed of {date}: upvote it instead")]
    AlreadySubmitted { id: String, by: String, date: NaiveDate },
    /// An admin's own role changes only by another admin, so the site never loses its last one.
    #[error("you cannot change your own role: ask another admin")]
    OwnRole,
    #[error("you submitted {0} papers today, the most a day allows; submit more tomorrow (UTC)")]
    DailyCap(u32),
    #[error(
        "{id} was first published on {published}, more than {days} days ago: papers join the feed within {days} days of publication"
    )]
    OutsideWindow { id: String, published: NaiveDate, days: i64 },
    /// A quota of single actions is used up; it refills after `retry_after` seconds.
    #[error("too many {action} attempts; try again in {} minutes", .retry_after.div_ceil(60))]
    TooMany { action: &'static str, retry_after: u64 },
    #[error("{id} lists no author called {name}: claim the name as the paper writes it")]
    NotAnAuthor { id: String, name: String },
    #[error("{by} is the verified author of this entry: ask a curator if that is wrong")]
    ClaimTaken { by: String },
    #[error("you claimed this already; it is {0}")]
    ClaimExists(&'static str),
    #[error("this claim was rejected twice: ask a curator")]
    ClaimRejectedTwice,
    #[error("there is no such claim")]
    NoSuchClaim,
    #[error("this claim was {0} already")]
    ClaimDecided(&'static str),
    #[error("you cannot decide your own claim: another curator must")]
    OwnClaim,
    /// A collection that is not there, or is private and not the caller's: both answer alike,
    /// so a private collection's existence does not leak.
    #[error("there is no such collection")]
    NoSuchCollection,
    #[error("only its owner changes a collection")]
    NotYourCollection,
    #[error("you have a collection called {title} already")]
    CollectionExists { title: String, slug: String },
    #[error("you keep {0} collections, the most a member may: delete one first")]
    TooManyCollections(i64),
    #[error("{0} is in this collection already")]
    InCollection(String),
    #[error("a collection holds at most {0} papers: start another one")]
    CollectionFull(i64),
    #[error("this collection has no such item")]
    NoSuchItem,
    /// An emailed link that does not work (any more).
    #[error(transparent)]
    Link(#[from] LinkError),
}
