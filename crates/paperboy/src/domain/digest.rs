//! A reader's digest preferences, checked field by field, and the schedule they imply: which
//! period each digest covers and when it is due.
//!
//! Periods are UTC feed days, like the daily feed: a daily digest sent on the reader's local
//! date `L` covers feed day `L - 1`; a weekly one sent on their weekday covers the seven feed
//! days before it. A digest is due at the reader's hour in their time zone, but never before
//! its period has ended in UTC (a reader east of UTC at an early hour gets it a little later).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Most papers one digest may hold.
pub const MAX_PAPERS: u32 = 50;
/// Most categories, include keywords or exclude keywords.
pub const MAX_LIST: usize = 20;
/// Longest keyword.
pub const MAX_KEYWORD_CHARS: usize = 50;

/// How often a reader gets a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    Daily,
    Weekly,
}

/// How a digest's papers are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The period's most upvoted papers.
    Trending,
    /// The period's papers closest to what the reader upvoted; trending while they have
    /// upvoted too little.
    Personal,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
        }
    }
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Trending => "trending",
            Mode::Personal => "personal",
        }
    }
}

impl FromStr for Frequency {
    type Err = String;

    fn from_str(text: &str) -> Result<Frequency, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "daily" => Ok(Frequency::Daily),
            "weekly" => Ok(Frequency::Weekly),
            _ => Err(format!("frequency `{}` is not daily or weekly", shown(text))),
        }
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(text: &str) -> Result<Mode, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "trending" => Ok(Mode::Trending),
            "personal" => Ok(Mode::Personal),
            _ => Err(format!("mode `{}` is not trending or personal", shown(text))),
        }
    }
}

/// Everything a reader can choose about their digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    pub frequency: Frequency,
    /// The day a weekly digest goes out.
    pub weekday: Weekday,
    /// The hour (0–23) it goes out, in `time_zone`.
    pub hour: u32,
    pub time_zone: Tz,
    /// arXiv categories or archives (`cs.CL`, `math`); empty: every paper.
    pub categories: Vec<String>,
    /// A paper must mention one of these in its title or abstract; empty: no such condition.
    pub include: Vec<String>,
    /// A paper that mentions any of these is left out.
    pub exclude: Vec<String>,
    pub mode: Mode,
    pub papers_per_email: u32,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            frequency: Frequency::Daily,
            weekday: Weekday::Mon,
            hour: 8,
            time_zone: Tz::UTC,
            categories: Vec::new(),
            include: Vec::new(),
            exclude: Vec::new(),
            mode: Mode::Trending,
            papers_per_email: 10,
        }
    }
}

/// One field of a change as a form (text) or JSON (text, number or list) sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Input {
    Text(String),
    Number(i64),
    List(Vec<String>),
}

impl Input {
    fn text(&self) -> String {
        match self {
            Input::Text(text) => text.trim().to_owned(),
            Input::Number(number) => number.to_string(),
            Input::List(items) => items.join(","),
        }
    }

    /// The items of a list: a JSON array, or text separated by commas or new lines.
    fn items(&self) -> Vec<String> {
        let items: Vec<String> = match self {
            Input::List(items) => items.clone(),
            Input::Text(text) => text.split([',', '\n']).map(str::to_owned).collect(),
            Input::Number(number) => vec![number.to_string()],
        };
        items.iter().map(|item| item.trim().to_owned()).filter(|item| !item.is_empty()).collect()
    }
}

/// Changes to preferences: the fields present replace the current values. The site's forms
/// name them in snake_case (`time_zone`), read here as aliases of the camelCase names the API
/// uses (`timeZone`); the API checks its JSON itself and builds these.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Changes {
    pub frequency: Option<Input>,
    pub weekday: Option<Input>,
    pub hour: Option<Input>,
    #[serde(alias = "time_zone")]
    pub time_zone: Option<Input>,
    pub categories: Option<Input>,
    #[serde(alias = "include_keywords")]
    pub include_keywords: Option<Input>,
    #[serde(alias = "exclude_keywords")]
    pub exclude_keywords: Option<Input>,
    pub mode: Option<Input>,
    #[serde(alias = "papers_per_email")]
    pub papers_per_email: Option<Input>,
}

impl Preferences {
    /// These preferences with `changes` made, or a message naming the first field at fault.
    pub fn with(&self, changes: &Changes) -> Result<Preferences, String> {
        let mut next = self.clone();
        if let Some(input) = &changes.frequency {
            next.frequency = input.text().parse()?;
        }
        if let Some(input) = &changes.weekday {
            next.weekday = parse_weekday(&input.text())?;
        }
        if let Some(input) = &changes.hour {
            let text = input.text();
            next.hour = text
                .parse()
                .ok()
                .filter(|hour| *hour < 24)
                .ok_or_else(|| format!("hour `{}` is not a whole number from 0 to 23", shown(&text)))?;
        }
        if let Some(input) = &changes.time_zone {
            let text = input.text();
            next.time_zone = text.parse().map_err(|_| {
                format!(
                    "time zone `{}` is not an IANA time zone name such as Europe/Berlin or UTC",
                    shown(&text)
                )
            })?;
        }
        if let Some(input) = &changes.categories {
            next.categories = checked_list("categories", input.items(), |item| {
                crate::domain::category::is_category(item).then_some(()).ok_or_else(|| {
                    format!("`{}` is not an arXiv category such as cs.CL or math", shown(item))
                })
            })?;
        }
        if let Some(input) = &changes.include_keywords {
            next.include = checked_list("include keywords", input.items(), check_keyword)?;
        }
        if let Some(input) = &changes.exclude_keywords {
            next.exclude = checked_list("exclude keywords", input.items(), check_keyword)?;
        }
        if let Some(input) = &changes.mode {
            next.mode = input.text().parse()?;
        }
        if let Some(input) = &changes.papers_per_email {
            let text = input.text();
            next.papers_per_email =
                text.parse().ok().filter(|n| (1..=MAX_PAPERS).contains(n)).ok_or_else(|| {
                    format!(
                        "papers_per_email `{}` is not a whole number from 1 to {MAX_PAPERS}",
                        shown(&text)
                    )
                })?;
        }
        Ok(next)
    }

    /// The period a digest sent on the reader's local date `date` covers, and when it is due;
    /// `None` for a weekly reader on another weekday.
    pub fn due_on(&self, date: NaiveDate) -> Option<(Period, DateTime<Utc>)> {
        let last_day = date.pred_opt()?;
        let period = match self.frequency {
            Frequency::Daily => Period::Day(last_day),
            Frequency::Weekly if date.weekday() == self.weekday => Period::Week(last_day),
            Frequency::Weekly => return None,
        };
        let local = date.and_hms_opt(self.hour, 0, 0)?;
        // In a gap (clocks going forward) the hour does not exist: take the one after it.
        let at = self
            .time_zone
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| self.time_zone.from_local_datetime(&(local + chrono::Duration::hours(1))).earliest())?
            .with_timezone(&Utc);
        let period_end = date.and_hms_opt(0, 0, 0)?.and_utc();
        Some((period, at.max(period_end)))
    }

    /// The first digest due strictly after `after`.
    pub fn next_due_after(&self, after: DateTime<Utc>) -> Option<(Period, DateTime<Utc>)> {
        let today = after.with_timezone(&self.time_zone).date_naive();
        (0..10)
            .filter_map(|days| today.checked_sub_days(Days::new(1))?.checked_add_days(Days::new(days)))
            .filter_map(|date| self.due_on(date))
            .find(|(_, due)| *due > after)
    }

    /// The latest digest due at or before `now`.
    pub fn latest_due(&self, now: DateTime<Utc>) -> Option<(Period, DateTime<Utc>)> {
        let tomorrow = now.with_timezone(&self.time_zone).date_naive().checked_add_days(Days::new(1))?;
        (0..10)
            .filter_map(|days| tomorrow.checked_sub_days(Days::new(days)))
            .filter_map(|date| self.due_on(date))
            .find(|(_, due)| *due <= now)
    }
}

/// A weekday's English name, `Monday`.
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

fn parse_weekday(text: &str) -> Result<Weekday, String> {
    let lower = text.trim().to_ascii_lowercase();
    let day = match lower.as_str() {
        "1" => Some(Weekday::Mon),
        "2" => Some(Weekday::Tue),
        "3" => Some(Weekday::Wed),
        "4" => Some(Weekday::Thu),
        "5" => Some(Weekday::Fri),
        "6" => Some(Weekday::Sat),
        "7" => Some(Weekday::Sun),
        _ => lower.parse().ok(),
    };
    day.ok_or_else(|| format!("weekday `{}` is not a day of the week such as monday", shown(text)))
}

fn check_keyword(keyword: &str) -> Result<(), String> {
    if keyword.chars().count() > MAX_KEYWORD_CHARS {
        return Err(format!("keyword `{}…` is longer than {MAX_KEYWORD_CHARS} characters", shown(keyword)));
    }
    if keyword.chars().any(char::is_control) {
        return Err(format!("keyword `{}` holds a control character", shown(keyword).escape_default()));
    }
    Ok(())
}

fn checked_list(
    field: &str,
    items: Vec<String>,
    check: impl Fn(&str) -> Result<(), String>,
) -> Result<Vec<String>, String> {
    if items.len() > MAX_LIST {
        return Err(format!("{field}: at most {MAX_LIST}, not {}", items.len()));
    }
    let mut kept: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        check(&item).map_err(|message| format!("{field}: {message}"))?;
        if !kept.iter().any(|other| other.eq_ignore_ascii_case(&item)) {
            kept.push(item);
        }
    }
    Ok(kept)
}

/// At most 40 characters of a value, for messages.
fn shown(text: &str) -> String {
    text.chars().take(40).collect()
}

/// The feed days one digest covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// One feed day.
    Day(NaiveDate),
    /// The seven feed days ending with this one.
    Week(NaiveDate),
}

impl Period {
    pub fn first_day(self) -> NaiveDate {
        match self {
            Period::Day(day) => day,
            Period::Week(last) => last - Days::new(6),
        }
    }

    pub fn last_day(self) -> NaiveDate {
        match self {
            Period::Day(day) | Period::Week(day) => day,
        }
    }

    pub fn frequency(self) -> Frequency {
        match self {
            Period::Day(_) => Frequency::Daily,
            Period::Week(_) => Frequency::Weekly,
        }
    }

    /// The dates in words: `26 Nov 2026`, `20–26 Nov 2026`, `28 Nov – 4 Dec 2026`.
    pub fn label(self) -> String {
        let (first, last) = (self.first_day(), self.last_day());
        if first == last {
            last.format("%-d %b %Y").to_string()
        } else if first.year() != last.year() {
            format!("{} – {}", first.format("%-d %b %Y"), last.format("%-d %b %Y"))
        } else if first.month() != last.month() {
            format!("{} – {}", first.format("%-d %b"), last.format("%-d %b %Y"))
        } else {
            format!("{}–{}", first.format("%-d"), last.format("%-d %b %Y"))
        }
    }
}

/// The key stored with each digest: `day:2026-11-26` or `week:2026-11-26`.
impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Day(day) => write!(f, "day:{day}"),
            Period::Week(last) => write!(f, "week:{last}"),
        }
    }
}

impl FromStr for Period {
    type Err = String;

    fn from_str(text: &str) -> Result<Period, String> {
        let invalid = || {
            format!(
                "period `{}` is neither day:YYYY-MM-DD nor week:YYYY-MM-DD (the seven days ending that day)",
                shown(text)
            )
        };
        let (kind, date) = text.split_once(':').ok_or_else(invalid)?;
        let date: NaiveDate = date.parse().map_err(|_| invalid())?;
        match kind {
            "day" => Ok(Period::Day(date)),
            "week" => Ok(Period::Week(date)),
            _ => Err(invalid()),
        }
    }
}

/// A paper chosen for a digest, and why when the reason is not "it trends".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pick {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("time")
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    fn text(value: &str) -> Option<Input> {
        Some(Input::Text(value.into()))
    }

    #[test]
    fn a_daily_digest_comes_at_the_readers_hour_after_its_day() {
        let berlin =
            Preferences { time_zone: "Europe/Berlin".parse().expect("tz"), ..Preferences::default() };
        // 08:00 in Berlin in November is 07:00 UTC.
        let (period, due) = berlin.next_due_after(at("2026-11-26T12:00:00Z")).expect("due");
        assert_eq!((period, due), (Period::Day(day("2026-11-26")), at("2026-11-27T07:00:00Z")));
        assert_eq!(berlin.next_due_after(due).expect("next").1, at("2026-11-28T07:00:00Z"));
        assert_eq!(berlin.latest_due(at("2026-11-27T07:30:00Z")), Some((period, due)));
        assert_eq!(
            berlin.latest_due(at("2026-11-27T06:59:00Z")).expect("earlier").0,
            Period::Day(day("2026-11-25"))
        );
        // Far east at 01:00, the day has not ended in UTC yet: it waits for midnight UTC.
        let kiribati = Preferences {
            time_zone: "Pacific/Kiritimati".parse().expect("tz"),
            hour: 1,
            ..Preferences::default()
        };
        let (period, due) = kiribati.next_due_after(at("2026-11-26T00:30:00Z")).expect("due");
        assert_eq!((period, due), (Period::Day(day("2026-11-26")), at("2026-11-27T00:00:00Z")));
    }

    #[test]
    fn a_weekly_digest_covers_the_seven_days_before_its_weekday() {
        let prefs =
            Preferences { frequency: Frequency::Weekly, weekday: Weekday::Fri, ..Preferences::default() };
        // 2026-11-27 is a Friday.
        let (period, due) = prefs.next_due_after(at("2026-11-23T09:00:00Z")).expect("due");
        assert_eq!((period, due), (Period::Week(day("2026-11-26")), at("2026-11-27T08:00:00Z")));
        assert_eq!(period.first_day(), day("2026-11-20"));
        assert_eq!(period.label(), "20–26 Nov 2026");
        assert_eq!(prefs.next_due_after(due).expect("next").1, at("2026-12-04T08:00:00Z"));
    }

    #[test]
    fn the_hour_a_clock_change_skips_becomes_the_next() {
        // Europe/Berlin skips 02:00–03:00 on 2026-03-29.
        let prefs = Preferences {
            time_zone: "Europe/Berlin".parse().expect("tz"),
            hour: 2,
            ..Preferences::default()
        };
        let (_, due) = prefs.due_on(day("2026-03-29")).expect("due");
        assert_eq!(due, at("2026-03-29T01:00:00Z"));
    }

    #[test]
    fn changes_are_checked_field_by_field() {
        let base = Preferences::default();
        let changes = Changes {
            frequency: text("weekly"),
            weekday: text("Friday"),
            hour: Some(Input::Number(7)),
            time_zone: text("America/New_York"),
            categories: Some(Input::List(vec!["cs.CL".into(), "math".into(), "cs.cl".into()])),
            include_keywords: text("diffusion, large language model\n"),
            mode: text("personal"),
            papers_per_email: text("5"),
            ..Changes::default()
        };
        let prefs = base.with(&changes).expect("valid");
        assert_eq!(prefs.frequency, Frequency::Weekly);
        assert_eq!(prefs.weekday, Weekday::Fri);
        assert_eq!(prefs.hour, 7);
        assert_eq!(prefs.time_zone.name(), "America/New_York");
        assert_eq!(prefs.categories, ["cs.CL", "math"]);
        assert_eq!(prefs.include, ["diffusion", "large language model"]);
        assert_eq!(prefs.mode, Mode::Personal);
        assert_eq!(prefs.papers_per_email, 5);

        let refused = |changes: Changes| base.with(&changes).expect_err("refused");
        assert!(refused(Changes { hour: text("24"), ..Changes::default() }).contains("hour `24`"));
        assert!(refused(Changes { time_zone: text("Mars/Olympus"), ..Changes::default() }).contains("IANA"));
        assert!(
            refused(Changes { categories: text("cs.CL, <script>"), ..Changes::default() })
                .contains("categories")
        );
        assert!(refused(Changes { papers_per_email: text("0"), ..Changes::default() }).contains("1 to 50"));
        assert!(refused(Changes { mode: text("random"), ..Changes::default() }).contains("mode"));
        assert!(
            refused(Changes { include_keywords: text(&"x".repeat(51)), ..Changes::default() })
                .contains("longer")
        );
        let many = (0..21).map(|n| format!("k{n}")).collect();
        assert!(
            refused(Changes { exclude_keywords: Some(Input::List(many)), ..Changes::default() })
                .contains("at most 20")
        );
        assert!(
            refused(Changes {
                include_keywords: Some(Input::List(vec!["a\r\nBcc: x".into()])),
                ..Changes::default()
            })
            .contains("control character")
        );
    }

    #[test]
    fn periods_read_back_what_they_write() {
        for period in [Period::Day(day("2026-11-26")), Period::Week(day("2027-01-02"))] {
            assert_eq!(period.to_string().parse::<Period>(), Ok(period));
        }
        assert_eq!(Period::Week(day("2027-01-02")).label(), "27 Dec 2026 – 2 Jan 2027");
        assert!("month:2026-11".parse::<Period>().is_err());
    }
}
