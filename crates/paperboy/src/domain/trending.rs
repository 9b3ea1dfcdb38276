//! The trending score: how much attention a paper on the feed gets, decaying with its age.
//!
//! ```text
//! points = upvotes + COMMENT_WEIGHT × comments
//! score  = 10000 × log10(1 + points) / (age_hours + AGE_OFFSET_HOURS) ^ GRAVITY
//! ```
//!
//! `age_hours` counts from when the paper joined the feed. The logarithm makes the first votes
//! count most (10 votes weigh twice 3, not three times), and the power of the age lets new
//! papers overtake old ones: the same shape as the "hot" ranks of Hacker News and Lemmy.
//! Comments count half a vote. A paper without votes or comments scores 0, and so does every
//! paper older than [`WINDOW_DAYS`]: the score is stored, indexed, and refreshed by a job that
//! reads only papers younger than the window or not yet set to 0, so the work stays small
//! however large the catalog grows. Ties are broken by recency. The about page states all
//! this with the numbers below.

use chrono::{DateTime, Utc};

/// How strongly age pulls a score down.
pub const GRAVITY: f64 = 1.8;
/// Hours added to every age, so that a brand-new paper is not divided by nearly zero.
pub const AGE_OFFSET_HOURS: f64 = 2.0;
/// What a comment counts, in votes.
pub const COMMENT_WEIGHT: f64 = 0.5;
/// Papers that joined the feed longer ago than this score 0.
pub const WINDOW_DAYS: i64 = 7;

/// The score of a paper with `upvotes` and `comments` that joined the feed at `joined`, at
/// time `now`.
pub fn score(upvotes: i64, comments: i64, joined: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    let age_hours = (now - joined).num_seconds().max(0) as f64 / 3600.0;
    if age_hours >= (WINDOW_DAYS * 24) as f64 {
        return 0.0;
    }
    let points = upvotes.max(0) as f64 + COMMENT_WEIGHT * comments.max(0) as f64;
    10_000.0 * (1.0 + points).log10() / (age_hours + AGE_OFFSET_HOURS).powf(GRAVITY)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn at(hours: i64) -> (DateTime<Utc>, DateTime<Utc>) {
        let now: DateTime<Utc> = "2026-11-27T12:00:00Z".parse().expect("time");
        (now - Duration::hours(hours), now)
    }

    #[test]
    fn the_formula_is_pinned() {
        let (joined, now) = at(0);
        // 10000 × log10(11) / 2^1.8
        assert!((score(10, 0, joined, now) - 2_990.615).abs() < 0.01, "{}", score(10, 0, joined, now));
        let (joined, now) = at(10);
        // 10000 × log10(1 + 4 + 0.5 × 2) / 12^1.8
        assert!((score(4, 2, joined, now) - 88.826).abs() < 0.01, "{}", score(4, 2, joined, now));
    }

    #[test]
    fn nothing_and_old_papers_score_exactly_zero() {
        let (joined, now) = at(1);
        assert_eq!(score(0, 0, joined, now), 0.0);
        let (joined, now) = at(WINDOW_DAYS * 24);
        assert_eq!(score(500, 40, joined, now), 0.0);
    }

    #[test]
    fn more_attention_ranks_higher_and_age_pulls_down() {
        let (joined, now) = at(5);
        assert!(score(6, 0, joined, now) > score(5, 0, joined, now));
        assert!(score(5, 2, joined, now) > score(5, 0, joined, now));
        let (old, now) = at(30);
        let (new, _) = at(2);
        assert!(
            score(5, 0, new, now) > score(20, 0, old, now),
            "a fresh paper overtakes an older, busier one"
        );
    }

    #[test]
    fn a_future_join_time_counts_as_now() {
        let (now, joined) = at(3);
        assert_eq!(score(3, 0, joined, now), score(3, 0, now, now));
    }
}
