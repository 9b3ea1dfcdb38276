//! arXiv's announcement schedule: which day a paper submitted at a given time is announced.
//!
//! arXiv closes submissions at 14:00 US Eastern time, Monday to Friday, and announces what came
//! in at 20:00 Eastern, Sunday to Thursday; each announcement is dated the following day (the
//! date of its listing, Monday to Friday). Sources that carry no announce date (OAI-PMH, the
//! Atom API, Kaggle, Hugging Face) get this estimate. It ignores arXiv's holiday closures, so a
//! paper submitted just before a holiday may be dated a day or two early.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

/// The listing date of the announcement that includes a paper submitted at `submitted`.
pub fn announce_date_for(submitted: DateTime<Utc>) -> NaiveDate {
    let local = submitted + Duration::hours(eastern_offset_hours(submitted));
    let cutoff = NaiveTime::from_hms_opt(14, 0, 0).unwrap_or_default();
    let mut day = local.date_naive();
    if local.time() >= cutoff || is_weekend(day) {
        day = next_weekday(day);
    }
    next_weekday(day)
}

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

fn next_weekday(day: NaiveDate) -> NaiveDate {
    let mut next = day + Duration::days(1);
    while is_weekend(next) {
        next += Duration::days(1);
    }
    next
}

/// UTC offset of US Eastern time: -4 hours from the second Sunday of March (07:00 UTC) to the
/// first Sunday of November (06:00 UTC), -5 otherwise.
fn eastern_offset_hours(t: DateTime<Utc>) -> i64 {
    let year = t.year();
    let dst_start = nth_sunday(year, 3, 2).and_hms_opt(7, 0, 0).map(|d| Utc.from_utc_datetime(&d));
    let dst_end = nth_sunday(year, 11, 1).and_hms_opt(6, 0, 0).map(|d| Utc.from_utc_datetime(&d));
    match (dst_start, dst_end) {
        (Some(start), Some(end)) if t >= start && t < end => -4,
        _ => -5,
    }
}

fn nth_sunday(year: i32, month: u32, n: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, n as u8).unwrap_or(NaiveDate::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn announce(submitted: &str) -> String {
        announce_date_for(submitted.parse().unwrap()).to_string()
    }

    #[test]
    fn weekday_submissions_before_the_cutoff_are_listed_the_next_day() {
        // Tuesday 2025-03-18, 13:59 EDT.
        assert_eq!(announce("2025-03-18T17:59:00Z"), "2025-03-19");
        // Tuesday 14:00 EDT is past the cutoff: Wednesday's batch, listed Thursday.
        assert_eq!(announce("2025-03-18T18:00:00Z"), "2025-03-20");
    }

    #[test]
    fn friday_and_weekend_submissions_wait_for_the_sunday_announcement() {
        // Friday 2025-03-14, 06:00 EDT: announced Sunday evening, listed Monday.
        assert_eq!(announce("2025-03-14T10:00:00Z"), "2025-03-17");
        // Friday after the cutoff and all weekend: Monday's batch, listed Tuesday.
        assert_eq!(announce("2025-03-14T19:00:00Z"), "2025-03-18");
        assert_eq!(announce("2025-03-16T12:00:00Z"), "2025-03-18");
    }

    #[test]
    fn uses_standard_time_in_winter() {
        // Thursday 2025-01-09 at 18:30 UTC is 13:30 EST: before the cutoff.
        assert_eq!(announce("2025-01-09T18:30:00Z"), "2025-01-10");
        // The same wall-clock time in summer is 14:30 EDT: after it.
        assert_eq!(announce("2025-07-10T18:30:00Z"), "2025-07-14");
    }
}
