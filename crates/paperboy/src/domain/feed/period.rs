//! The periods a feed covers: a day, an ISO week or a month, as they appear in paths and query
//! parameters (`2026-05-11`, `2026-W20`, `2026-05`), with their neighbours for navigation.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Weekday};

/// A day, an ISO week or a calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day(NaiveDate),
    /// ISO 8601 week: `year` is the ISO week-numbering year.
    Week {
        year: i32,
        week: u32,
    },
    Month {
        year: i32,
        month: u32,
    },
}

/// A period that cannot be parsed; the message names the value and the expected form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PeriodError(String);

impl Period {
    /// `YYYY-MM-DD`, a real calendar day.
    pub fn parse_day(text: &str) -> Result<Period, PeriodError> {
        parse_date(text).map(Period::Day)
    }

    /// A day as the API accepts it: `YYYY-MM-DD` or a full ISO 8601 date and time (its UTC
    /// date counts).
    pub fn parse_day_or_time(text: &str) -> Result<Period, PeriodError> {
        if text.len() > 10
            && let Ok(time) = DateTime::parse_from_rfc3339(text)
        {
            return Ok(Period::Day(time.to_utc().date_naive()));
        }
        Period::parse_day(text)
    }

    /// `YYYY-Www`, an ISO week that exists in that year (`W53` only in long years).
    pub fn parse_week(text: &str) -> Result<Period, PeriodError> {
        let invalid =
            || PeriodError(format!("invalid week `{}`: expected YYYY-Www, such as 2026-W09", clip(text)));
        let (year, week) = text.split_once("-W").ok_or_else(invalid)?;
        if year.len() != 4 || week.len() != 2 {
            return Err(invalid());
        }
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let week: u32 = week.parse().map_err(|_| invalid())?;
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(|| {
            PeriodError(format!("invalid week `{}`: {year} has no week {week}", clip(text)))
        })?;
        Ok(Period::Week { year, week })
    }

    /// `YYYY-MM`.
    pub fn parse_month(text: &str) -> Result<Period, PeriodError> {
        let invalid =
            || PeriodError(format!("invalid month `{}`: expected YYYY-MM, such as 2026-05", clip(text)));
        let (year, month) = text.split_once('-').ok_or_else(invalid)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(invalid());
        }
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let month: u32 = month.parse().map_err(|_| invalid())?;
        NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(invalid)?;
        Ok(Period::Month { year, month })
    }

    /// The week containing `date`.
    pub fn week_of(date: NaiveDate) -> Period {
        let week = date.iso_week();
        Period::Week { year: week.year(), week: week.week() }
    }

    /// The month containing `date`.
    pub fn month_of(date: NaiveDate) -> Period {
        Period::Month { year: date.year(), month: date.month() }
    }

    /// The first day of the period.
    pub fn first_day(&self) -> NaiveDate {
        match *self {
            Period::Day(day) => day,
            Period::Week { year, week } => {
                NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).unwrap_or_default()
            }
            Period::Month { year, month } => NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default(),
        }
    }

    /// The last day of the period, included.
    pub fn last_day(&self) -> NaiveDate {
        match self {
            Period::Day(day) => *day,
            Period::Week { .. } => self.first_day() + Duration::days(6),
            Period::Month { .. } => self.next().first_day() - Duration::days(1),
        }
    }

    /// The period of the same kind just before this one.
    pub fn previous(&self) -> Period {
        match self {
            Period::Day(day) => Period::Day(*day - Duration::days(1)),
            Period::Week { .. } => Period::week_of(self.first_day() - Duration::days(7)),
            Period::Month { .. } => Period::month_of(self.first_day() - Duration::days(1)),
        }
    }

    /// The period of the same kind just after this one.
    pub fn next(&self) -> Period {
        match *self {
            Period::Day(day) => Period::Day(day + Duration::days(1)),
            Period::Week { .. } => Period::week_of(self.first_day() + Duration::days(7)),
            Period::Month { year, month: 12 } => Period::Month { year: year + 1, month: 1 },
            Period::Month { year, month } => Period::Month { year, month: month + 1 },
        }
    }

    /// How the period is written in paths and parameters: `2026-05-11`, `2026-W20`, `2026-05`.
    pub fn slug(&self) -> String {
        match self {
            Period::Day(day) => day.to_string(),
            Period::Week { year, week } => format!("{year}-W{week:02}"),
            Period::Month { year, month } => format!("{year}-{month:02}"),
        }
    }

    /// The page of the period: `/papers/date/...`, `/papers/week/...` or `/papers/month/...`.
    pub fn path(&self) -> String {
        let kind = match self {
            Period::Day(_) => "date",
            Period::Week { .. } => "week",
            Period::Month { .. } => "month",
        };
        format!("/papers/{kind}/{}", self.slug())
    }

    /// A heading for people: "Monday, 11 May 2026", "Week 20 of 2026", "May 2026".
    pub fn title(&self) -> String {
        match self {
            Period::Day(day) => day.format("%A, %-d %B %Y").to_string(),
            Period::Week { year, week } => format!("Week {week} of {year}"),
            Period::Month { .. } => self.first_day().format("%B %Y").to_string(),
        }
    }

    /// The days it spans, for a subtitle: "11 – 17 May 2026"; empty for a day.
    pub fn span(&self) -> String {
        if let Period::Day(_) = self {
            return String::new();
        }
        let (first, last) = (self.first_day(), self.last_day());
        format!("{} – {}", first.format("%-d %B %Y"), last.format("%-d %B %Y"))
    }

    /// Whether the period lies wholly after `today`.
    pub fn is_after(&self, today: NaiveDate) -> bool {
        self.first_day() > today
    }
}

fn parse_date(text: &str) -> Result<NaiveDate, PeriodError> {
    let shaped = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    shaped.then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()).flatten().ok_or_else(|| {
        PeriodError(format!("invalid date `{}`: expected YYYY-MM-DD, a real calendar day", clip(text)))
    })
}

/// At most 40 characters of a value, for an error message.
fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn days_must_exist() {
        assert_eq!(Period::parse_day("2025-02-28"), Ok(Period::Day(day("2025-02-28"))));
        for bad in ["2025-02-30", "2025-13-01", "2025-1-01", "20250201", "", "2025-02-28x"] {
            assert!(Period::parse_day(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Period::parse_day_or_time("2025-03-18T23:30:00-02:00"),
            Ok(Period::Day(day("2025-03-19")))
        );
    }

    #[test]
    fn weeks_follow_iso_8601() {
        let week = Period::parse_week("2026-W01").unwrap();
        assert_eq!((week.first_day(), week.last_day()), (day("2025-12-29"), day("2026-01-04")));
        assert_eq!(
            Period::parse_week("2025-W53").unwrap_err().to_string(),
            "invalid week `2025-W53`: 2025 has no week 53"
        );
        assert!(Period::parse_week("2020-W53").is_ok());
        for bad in ["2025-W54", "2025-W00", "2025-W5", "2025W05", "2025-05"] {
            assert!(Period::parse_week(bad).is_err(), "{bad}");
        }
        assert_eq!(week.previous().slug(), "2025-W52");
        assert_eq!(Period::parse_week("2020-W53").unwrap().next().slug(), "2021-W01");
    }

    #[test]
    fn months_know_their_length() {
        let february = Period::parse_month("2024-02").unwrap();
        assert_eq!(february.last_day(), day("2024-02-29"));
        assert_eq!(Period::parse_month("2025-12").unwrap().next().slug(), "2026-01");
        assert_eq!(Period::parse_month("2026-01").unwrap().previous().slug(), "2025-12");
        for bad in ["2025-13", "2025-00", "2025-1", "2025-01-01"] {
            assert!(Period::parse_month(bad).is_err(), "{bad}");
        }
        assert_eq!(february.title(), "February 2024");
        assert_eq!(february.path(), "/papers/month/2024-02");
    }
}
