//! Subscriptions and the digest outbox.
//!
//! Subscribing is double opt-in: a new address is `pending` with the hash of an emailed
//! confirmation token, and at most one confirmation goes to an address per window however
//! often it is submitted (one conditional update decides, so concurrent requests cannot both
//! win). The outbox holds one digest per (subscription, period) under a unique constraint, with
//! the papers chosen for it recorded in `digest_papers` in the same transaction, so a paper
//! never goes to one reader twice. Each state change of a digest is one transaction that also
//! appends to `digest_events`. The outbox is a leased queue ([`OUTBOX`], through
//! [`super::queue`]): a sender claims a few digests at a time, which marks them `sending` under a
//! lease; a digest still `sending` when its lease runs out belonged to a sender that died,
//! perhaps after handing the message over, so its claim counts `in_doubt`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc, Weekday};
use sqlx::QueryBuilder;

use super::queue::{self, Counts, Lease, Outcome, Queue, State};
use super::{Db, DbError, with_pool};
use crate::domain::accounts::{Email, UserId};
use crate::domain::digest::{Frequency, Mode, Period, Pick, Preferences};

/// Rows of a multi-row insert into `digest_papers` or `digest_events` (4 parameters each at
/// most, under SQLite's limit of 32,766).
const PAPER_ROWS_PER_INSERT: usize = 2_000;

/// Permanent failures in a row after which a subscription is paused.
pub const PAUSE_AFTER_BOUNCES: i64 = 3;

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionState {
    /// Waiting for its confirmation link.
    Pending,
    Active,
    /// Stopped after repeated bounces; saving the preferences again resumes it.
    Paused,
    Unsubscribed,
}

impl SubscriptionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionState::Pending => "pending",
            SubscriptionState::Active => "active",
            SubscriptionState::Paused => "paused",
            SubscriptionState::Unsubscribed => "unsubscribed",
        }
    }

    fn parse(text: &str) -> Option<SubscriptionState> {
        match text {
            "pending" => Some(SubscriptionState::Pending),
            "active" => Some(SubscriptionState::Active),
            "paused" => Some(SubscriptionState::Paused),
            "unsubscribed" => Some(SubscriptionState::Unsubscribed),
            _ => None,
        }
    }
}

/// A subscription and its preferences.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: i64,
    pub email: String,
    pub user_id: Option<UserId>,
    pub state: SubscriptionState,
    pub prefs: Preferences,
    pub bounces: i64,
    pub next_due_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct SubscriptionRow {
    id: i64,
    email: String,
    user_id: Option<UserId>,
    state: String,
    frequency: String,
    weekday: i64,
    send_hour: i64,
    time_zone: String,
    categories: String,
    include_keywords: String,
    exclude_keywords: String,
    mode: String,
    papers_per_email: i64,
    bounces: i64,
    next_due_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    confirmed_at: Option<DateTime<Utc>>,
}

const SUBSCRIPTION_COLUMNS: &str = "id, email, user_id, state, frequency, weekday, send_hour, time_zone, \
     categories, include_keywords, exclude_keywords, mode, papers_per_email, bounces, next_due_at, \
     created_at, confirmed_at";

impl SubscriptionRow {
    fn into_subscription(self) -> Result<Subscription, DbError> {
        let corrupt =
            |reason: String| DbError::CorruptRow { id: format!("subscription {}", self.id), reason };
        let list =
            |text: &str| serde_json::from_str::<Vec<String>>(text).map_err(|err| corrupt(err.to_string()));
        let weekday = u8::try_from(self.weekday - 1)
            .ok()
            .and_then(|n| Weekday::try_from(n).ok())
            .ok_or_else(|| corrupt(format!("weekday {}", self.weekday)))?;
        let prefs = Preferences {
            frequency: self.frequency.parse().map_err(corrupt)?,
            weekday,
            hour: u32::try_from(self.send_hour).map_err(|_| corrupt(format!("hour {}", self.send_hour)))?,
            time_zone: self
                .time_zone
                .parse()
                .map_err(|_| corrupt(format!("time zone {}", self.time_zone)))?,
            categories: list(&self.categories)?,
            include: list(&self.include_keywords)?,
            exclude: list(&self.exclude_keywords)?,
            mode: self.mode.parse().map_err(corrupt)?,
            papers_per_email: u32::try_from(self.papers_per_email)
                .map_err(|_| corrupt(format!("papers_per_email {}", self.papers_per_email)))?,
        };
        Ok(Subscription {
            id: self.id,
            state: SubscriptionState::parse(&self.state)
                .ok_or_else(|| corrupt(format!("state {}", self.state)))?,
            email: self.email,
            user_id: self.user_id,
            prefs,
            bounces: self.bounces,
            next_due_at: self.next_due_at,
            created_at: self.created_at,
            confirmed_at: self.confirmed_at,
        })
    }
}

/// The preference columns' values, in `SUBSCRIPTION_COLUMNS` order from `frequency`.
struct PrefColumns {
    frequency: &'static str,
    weekday: i64,
    hour: i64,
    time_zone: String,
    categories: String,
    include: String,
    exclude: String,
    mode: &'static str,
    papers: i64,
}

impl PrefColumns {
    fn of(prefs: &Preferences) -> PrefColumns {
        let json = |items: &[String]| serde_json::to_string(items).unwrap_or_else(|_| "[]".into());
        PrefColumns {
            frequency: prefs.frequency.as_str(),
            weekday: i64::from(prefs.weekday.number_from_monday()),
            hour: i64::from(prefs.hour),
            time_zone: prefs.time_zone.name().to_owned(),
            categories: json(&prefs.categories),
            include: json(&prefs.include),
            exclude: json(&prefs.exclude),
            mode: prefs.mode.as_str(),
            papers: i64::from(prefs.papers_per_email),
        }
    }
}

/// Binds a [`PrefColumns`] to the next nine placeholders.
macro_rules! bind_prefs {
    ($query:expr, $cols:expr) => {
        $query
            .bind($cols.frequency)
            .bind($cols.weekday)
            .bind($cols.hour)
            .bind(&$cols.time_zone)
            .bind(&$cols.categories)
            .bind(&$cols.include)
            .bind(&$cols.exclude)
            .bind($cols.mode)
            .bind($cols.papers)
    };
}

/// What asking to subscribe an address led to.
#[derive(Debug, Clone, PartialEq)]
pub enum SubscribeOutcome {
    /// A new or renewed pending subscription: send it the confirmation.
    Confirm(Subscription),
    /// The address is subscribed already: send it a note with its settings link.
    AlreadySubscribed(Subscription),
    /// A confirmation or note went to the address within the window: send nothing.
    Throttled,
}

/// What a confirmation link led to.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfirmOutcome {
    Confirmed(Subscription),
    /// The link was used before (the subscription is active, or ended since).
    Used(Subscription),
    Expired,
    Unknown,
}

/// The outbox as a leased queue: a digest is `sending` while a sender holds it, `sent` once the
/// mail server took it, which is recorded whoever holds it by then.
pub const OUTBOX: Queue = Queue {
    table: "digests",
    due: "next_attempt_at",
    states: ["queued", "sending", "sent", "failed", "cancelled"],
    taken_over: Some("in_doubt"),
    max_attempts: None,
    done_at: "sent_at",
    failed_at: None,
    done_by_anyone: true,
    error_of_last_attempt: true,
    claimed: "id, subscription_id, recipient, mode, period, papers, message_id, attempts, worker",
};

/// A digest a sender holds, with what it needs to render and send it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedDigest {
    pub id: i64,
    pub subscription_id: i64,
    /// The subscription's address.
    pub recipient: String,
    /// The mode the papers were chosen by: `trending` or `personal`.
    pub mode: String,
    pub period: String,
    /// JSON `[{"id": …, "reason": …}]`.
    pub papers: String,
    pub message_id: String,
    /// This attempt's number, from 1.
    pub attempts: i64,
    /// The sender that holds it.
    pub worker: String,
    /// Whether an earlier sender died holding it.
    pub taken_over: bool,
}

impl ClaimedDigest {
    fn lease(&self) -> Lease<'_> {
        Lease { id: self.id, attempt: self.attempts, worker: &self.worker }
    }
}

/// One digest's delivery record, for reports and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRecord {
    pub id: i64,
    pub email: String,
    pub period: String,
    pub state: State,
    pub attempts: i64,
    pub in_doubt: i64,
    pub message_id: String,
    pub last_error: Option<String>,
}

#[derive(sqlx::FromRow)]
struct DigestRow {
    id: i64,
    email: String,
    period: String,
    state: String,
    attempts: i64,
    in_doubt: i64,
    message_id: String,
    last_error: Option<String>,
}

impl DigestRow {
    fn into_record(self) -> Result<DigestRecord, DbError> {
        let state = OUTBOX.state(&self.state).ok_or_else(|| DbError::CorruptRow {
            id: format!("digest {}", self.id),
            reason: format!("state {}", self.state),
        })?;
        Ok(DigestRecord {
            id: self.id,
            email: self.email,
            period: self.period,
            state,
            attempts: self.attempts,
            in_doubt: self.in_doubt,
            message_id: self.message_id,
            last_error: self.last_error,
        })
    }
}

/// How many digests are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub queued: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
    pub cancelled: i64,
}

impl OutboxCounts {
    /// Digests still to be sent.
    pub fn pending(&self) -> i64 {
        self.queued + self.sending
    }
}

impl From<Counts> for OutboxCounts {
    fn from(counts: Counts) -> Self {
        OutboxCounts {
            queued: counts.get(State::Queued),
            sending: counts.get(State::Leased),
            sent: counts.get(State::Done),
            failed: counts.get(State::Failed),
            cancelled: counts.get(State::Cancelled),
        }
    }
}

impl Db {
    /// Asks to subscribe `email` (double opt-in): see [`SubscribeOutcome`]. `window` is the least
    /// time between two emails to one address about subscribing.
    pub async fn subscribe(
        &self,
        email: &Email,
        prefs: &Preferences,
        confirm_hash: &str,
        confirm_for: Duration,
        window: Duration,
    ) -> Result<SubscribeOutcome, DbError> {
        let now = Utc::now();
        let cols = PrefColumns::of(prefs);
        let (id, state): (i64, String) = with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let inserted: Option<i64> = bind_prefs!(
                sqlx::query_scalar(
                    "INSERT INTO subscriptions (email, state, frequency, weekday, send_hour, time_zone, categories, \
                     include_keywords, exclude_keywords, mode, papers_per_email, confirm_hash, confirm_expires_at, \
                     confirm_sent_at, created_at, updated_at) \
                     VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $13) \
                     ON CONFLICT (email) DO NOTHING RETURNING id",
                )
                .bind(email.as_str()),
                cols
            )
            .bind(confirm_hash)
            .bind(now + confirm_for)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match inserted {
                Some(id) => Some((id, "pending".to_owned())),
                None => {
                    // One email per window: whoever moves `confirm_sent_at` sends it.
                    let claimed: Option<(i64, String)> = sqlx::query_as(
                        "UPDATE subscriptions SET confirm_sent_at = $1 WHERE email = $2 \
                         AND (confirm_sent_at IS NULL OR confirm_sent_at <= $3) RETURNING id, state",
                    )
                    .bind(now)
                    .bind(email.as_str())
                    .bind(now - window)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some((id, state)) = &claimed
                        && matches!(state.as_str(), "pending" | "unsubscribed")
                    {
                        bind_prefs!(
                            sqlx::query(
                                "UPDATE subscriptions SET state = 'pending', frequency = $2, weekday = $3, \
                                 send_hour = $4, time_zone = $5, categories = $6, include_keywords = $7, \
                                 exclude_keywords = $8, mode = $9, papers_per_email = $10, confirm_hash = $11, \
                                 confirm_expires_at = $12, updated_at = $13 WHERE id = $1",
                            )
                            .bind(*id),
                            cols
                        )
                        .bind(confirm_hash)
                        .bind(now + confirm_for)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    }
                    claimed
                }
            };
            tx.commit().await?;
            match outcome {
                Some(outcome) => outcome,
                None => return Ok(SubscribeOutcome::Throttled),
            }
        });
        let subscription = self.subscription(id).await?.ok_or_else(|| vanished(id))?;
        Ok(match state.as_str() {
            "pending" | "unsubscribed" => SubscribeOutcome::Confirm(subscription),
            _ => SubscribeOutcome::AlreadySubscribed(subscription),
        })
    }

    /// Subscribes a signed-in user's confirmed address at once, or changes their subscription's
    /// preferences; the subscription is theirs from then on.
    pub async fn subscribe_user(
        &self,
        user: UserId,
        email: &Email,
        prefs: &Preferences,
    ) -> Result<Subscription, DbError> {
        let now = Utc::now();
        let next_due = prefs.next_due_after(now).map(|(_, due)| due);
        let cols = PrefColumns::of(prefs);
        let id: i64 = with_pool!(self, |pool, DB| {
            bind_prefs!(
                sqlx::query_scalar(
                    "INSERT INTO subscriptions (email, user_id, state, frequency, weekday, send_hour, time_zone, \
                     categories, include_keywords, exclude_keywords, mode, papers_per_email, next_due_at, \
                     created_at, confirmed_at, updated_at) \
                     VALUES ($1, $11, 'active', $2, $3, $4, $5, $6, $7, $8, $9, $10, $12, $13, $13, $13) \
                     ON CONFLICT (email) DO UPDATE SET user_id = $11, state = 'active', bounces = 0, \
                     frequency = $2, weekday = $3, send_hour = $4, time_zone = $5, categories = $6, \
                     include_keywords = $7, exclude_keywords = $8, mode = $9, papers_per_email = $10, \
                     next_due_at = $12, confirmed_at = COALESCE(subscriptions.confirmed_at, $13), updated_at = $13 \
                     RETURNING id",
                )
                .bind(email.as_str()),
                cols
            )
            .bind(user)
            .bind(next_due)
            .bind(now)
            .fetch_one(pool)
            .await?
        });
        self.subscription(id).await?.ok_or_else(|| vanished(id))
    }

    /// Uses a confirmation link (by its token's hash): see [`ConfirmOutcome`].
    pub async fn confirm_subscription(&self, confirm_hash: &str) -> Result<ConfirmOutcome, DbError> {
        let now = Utc::now();
        let found: Option<(i64, Option<DateTime<Utc>>)> = with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT id, confirm_expires_at FROM subscriptions WHERE confirm_hash = $1")
                .bind(confirm_hash)
                .fetch_optional(pool)
                .await?
        });
        let Some((id, expires_at)) = found else { return Ok(ConfirmOutcome::Unknown) };
        let subscription = self.subscription(id).await?.ok_or_else(|| vanished(id))?;
        if subscription.state != SubscriptionState::Pending {
            return Ok(ConfirmOutcome::Used(subscription));
        }
        if expires_at.is_none_or(|at| at <= now) {
            return Ok(ConfirmOutcome::Expired);
        }
        let next_due = subscription.prefs.next_due_after(now).map(|(_, due)| due);
        let confirmed = with_pool!(self, |pool, DB| {
            sqlx::query(
                "UPDATE subscriptions SET state = 'active', confirmed_at = $1, updated_at = $1, next_due_at = $2, \
                 bounces = 0 WHERE id = $3 AND confirm_hash = $4 AND state = 'pending' AND confirm_expires_at > $1",
            )
            .bind(now)
            .bind(next_due)
            .bind(id)
            .bind(confirm_hash)
            .execute(pool)
            .await?
            .rows_affected()
        });
        let subscription = self.subscription(id).await?.ok_or_else(|| vanished(id))?;
        Ok(if confirmed > 0 {
            ConfirmOutcome::Confirmed(subscription)
        } else {
            ConfirmOutcome::Used(subscription)
        })
    }

    pub async fn subscription(&self, id: i64) -> Result<Option<Subscription>, DbError> {
        self.subscription_where("id = $1", id).await
    }

    pub async fn subscription_of_user(&self, user: UserId) -> Result<Option<Subscription>, DbError> {
        self.subscription_where("user_id = $1", user.0).await
    }

    pub async fn subscription_by_email(&self, email: &Email) -> Result<Option<Subscription>, DbError> {
        let query = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE email = $1");
        let row: Option<SubscriptionRow> = with_pool!(self, |pool, DB| {
            sqlx::query_as(sqlx::AssertSqlSafe(query)).bind(email.as_str()).fetch_optional(pool).await?
        });
        row.map(SubscriptionRow::into_subscription).transpose()
    }

    async fn subscription_where(&self, condition: &str, value: i64) -> Result<Option<Subscription>, DbError> {
        let query = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE {condition}");
        let row: Option<SubscriptionRow> = with_pool!(self, |pool, DB| {
            sqlx::query_as(sqlx::AssertSqlSafe(query)).bind(value).fetch_optional(pool).await?
        });
        row.map(SubscriptionRow::into_subscription).transpose()
    }

    /// Takes the subscription's turn to be emailed about itself: false when it was emailed
    /// within `window` already.
    pub async fn claim_mail_turn(&self, id: i64, window: Duration) -> Result<bool, DbError> {
        let now = Utc::now();
        let claimed = with_pool!(self, |pool, DB| {
            sqlx::query(
                "UPDATE subscriptions SET confirm_sent_at = $1 WHERE id = $2 \
                 AND (confirm_sent_at IS NULL OR confirm_sent_at <= $3)",
            )
            .bind(now)
            .bind(id)
            .bind(now - window)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(claimed > 0)
    }

    /// Every subscription, by address.
    pub async fn all_subscriptions(&self) -> Result<Vec<Subscription>, DbError> {
        let query = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions ORDER BY email");
        let rows: Vec<SubscriptionRow> =
            with_pool!(self, |pool, DB| sqlx::query_as(sqlx::AssertSqlSafe(query)).fetch_all(pool).await?);
        rows.into_iter().map(SubscriptionRow::into_subscription).collect()
    }

    /// Saves new preferences. A paused subscription resumes, and an ended one starts again (the
    /// caller proved the mailbox: a signed link, or the account); a pending one stays pending.
    pub async fn set_preferences(&self, id: i64, prefs: &Preferences) -> Result<Subscription, DbError> {
        let now = Utc::now();
        let next_due = prefs.next_due_after(now).map(|(_, due)| due);
        let cols = PrefColumns::of(prefs);
        with_pool!(self, |pool, DB| {
            bind_prefs!(
                sqlx::query(
                    "UPDATE subscriptions SET frequency = $2, weekday = $3, send_hour = $4, time_zone = $5, \
                     categories = $6, include_keywords = $7, exclude_keywords = $8, mode = $9, papers_per_email = $10, \
                     state = CASE WHEN state = 'pending' THEN state ELSE 'active' END, \
                     bounces = CASE WHEN state = 'pending' THEN bounces ELSE 0 END, \
                     next_due_at = CASE WHEN state = 'pending' THEN NULL ELSE $11 END, updated_at = $12 \
                     WHERE id = $1",
                )
                .bind(id),
                cols
            )
            .bind(next_due)
            .bind(now)
            .execute(pool)
            .await?;
        });
        self.subscription(id).await?.ok_or_else(|| vanished(id))
    }

    /// Ends a subscription and cancels its digests not yet sent; true when it was not ended
    /// already.
    pub async fn unsubscribe(&self, id: i64, how: &str) -> Result<bool, DbError> {
        let now = Utc::now();
        let changed = with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let changed = sqlx::query(
                "UPDATE subscriptions SET state = 'unsubscribed', next_due_at = NULL, updated_at = $1 \
                 WHERE id = $2 AND state <> 'unsubscribed'",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            cancel_queued(&mut tx, id, now, &format!("unsubscribed ({how})")).await?;
            tx.commit().await?;
            changed
        });
        Ok(changed > 0)
    }

    /// Active subscriptions whose next digest is due at `now`, in id order after `after_id`.
    pub async fn due_subscriptions(
        &self,
        now: DateTime<Utc>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<Subscription>, DbError> {
        let query = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE state = 'active' AND next_due_at <= $1 \
             AND id > $2 ORDER BY id LIMIT $3"
        );
        let rows: Vec<SubscriptionRow> = with_pool!(self, |pool, DB| {
            sqlx::query_as(sqlx::AssertSqlSafe(query))
                .bind(now)
                .bind(after_id)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(SubscriptionRow::into_subscription).collect()
    }

    /// Active subscriptions of `frequency`, in id order after `after_id`.
    pub async fn active_subscriptions(
        &self,
        frequency: Frequency,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<Subscription>, DbError> {
        let query = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE state = 'active' AND frequency = $1 \
             AND id > $2 ORDER BY id LIMIT $3"
        );
        let rows: Vec<SubscriptionRow> = with_pool!(self, |pool, DB| {
            sqlx::query_as(sqlx::AssertSqlSafe(query))
                .bind(frequency.as_str())
                .bind(after_id)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(SubscriptionRow::into_subscription).collect()
    }

    /// Moves the next digest times of subscriptions that were due at `now`, in one
    /// transaction; one whose settings or state changed meanwhile (it is no longer due, or no
    /// longer active) keeps the time its change set.
    pub async fn set_next_dues(
        &self,
        next: &[(i64, Option<DateTime<Utc>>)],
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            for (id, next_due) in next {
                sqlx::query(
                    "UPDATE subscriptions SET next_due_at = $1 WHERE id = $2 AND state = 'active' AND next_due_at <= $3",
                )
                .bind(*next_due)
                .bind(*id)
                .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The papers this subscription has been sent, ever.
    pub async fn sent_papers(&self, subscription: i64) -> Result<HashSet<String>, DbError> {
        let rows: Vec<String> = with_pool!(self, |pool, DB| {
            sqlx::query_scalar("SELECT paper_id FROM digest_papers WHERE subscription_id = $1")
                .bind(subscription)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().collect())
    }

    /// Whether the subscription has a digest of `period` in the outbox, in any state.
    pub async fn has_digest(&self, subscription: i64, period: Period) -> Result<bool, DbError> {
        let found: Option<i64> = with_pool!(self, |pool, DB| {
            sqlx::query_scalar("SELECT id FROM digests WHERE subscription_id = $1 AND period = $2")
                .bind(subscription)
                .bind(period.to_string())
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }

    /// The papers each subscription with an id from `first` to `last` has been sent, ever.
    pub async fn sent_papers_between(
        &self,
        first: i64,
        last: i64,
    ) -> Result<HashMap<i64, HashSet<String>>, DbError> {
        let rows: Vec<(i64, String)> = with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT subscription_id, paper_id FROM digest_papers WHERE subscription_id >= $1 AND subscription_id <= $2",
            )
            .bind(first)
            .bind(last)
            .fetch_all(pool)
            .await?
        });
        let mut sent: HashMap<i64, HashSet<String>> = HashMap::new();
        for (subscription, paper) in rows {
            sent.entry(subscription).or_default().insert(paper);
        }
        Ok(sent)
    }

    /// Puts digests in the outbox with their papers, in one transaction; a subscription that
    /// has its period's digest already keeps it, and one that ended meanwhile gets none. Returns
    /// how many were new.
    pub async fn queue_digests(&self, digests: &[NewDigest]) -> Result<u64, DbError> {
        if digests.is_empty() {
            return Ok(0);
        }
        let now = Utc::now();
        let first = digests.iter().map(|d| d.subscription).min().unwrap_or_default();
        let last = digests.iter().map(|d| d.subscription).max().unwrap_or_default();
        let lock = match self {
            Db::Postgres(_) => " FOR UPDATE",
            Db::Sqlite(_) => "",
        };
        // Locked until the digests are in, so that an unsubscribe either comes first (and the
        // digest is not queued) or after (and cancels it).
        let active_query = format!(
            "SELECT id FROM subscriptions WHERE id >= $1 AND id <= $2 AND state = 'active' ORDER BY id{lock}"
        );
        let queued = with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let active: HashSet<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(active_query))
                .bind(first)
                .bind(last)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
            // Papers a reader was sent since their digest was chosen (by another composer, for
            // an overlapping period) are left out now, under the same lock.
            let sent: Vec<(i64, String)> = sqlx::query_as(
                "SELECT subscription_id, paper_id FROM digest_papers WHERE subscription_id >= $1 AND subscription_id <= $2",
            )
            .bind(first)
            .bind(last)
            .fetch_all(&mut *tx)
            .await?;
            let sent: HashSet<(i64, &str)> = sent.iter().map(|(s, p)| (*s, p.as_str())).collect();
            let digests: Vec<Chosen<'_>> = digests
                .iter()
                .filter(|d| active.contains(&d.subscription))
                .filter_map(|digest| {
                    let picks: Vec<&Pick> = digest
                        .picks
                        .iter()
                        .filter(|p| !sent.contains(&(digest.subscription, p.id.as_str())))
                        .collect();
                    let papers = serde_json::to_string(&picks).ok()?;
                    (!picks.is_empty()).then_some(Chosen { digest, picks, papers })
                })
                .collect();
            if digests.is_empty() {
                return Ok(0);
            }
            let mut insert = QueryBuilder::<DB>::new(
                "INSERT INTO digests (subscription_id, period, recipient, mode, papers, message_id, state, \
                 next_attempt_at, created_at) ",
            );
            insert.push_values(&digests, |mut row, chosen| {
                let digest = chosen.digest;
                row.push_bind(digest.subscription)
                    .push_bind(digest.period.to_string())
                    .push_bind(&digest.recipient)
                    .push_bind(digest.mode.as_str())
                    .push_bind(&chosen.papers)
                    .push_bind(&digest.message_id)
                    .push_bind("queued")
                    .push_bind(now)
                    .push_bind(now);
            });
            insert.push(" ON CONFLICT (subscription_id, period) DO NOTHING RETURNING id, subscription_id");
            let inserted: Vec<(i64, i64)> = insert.build_query_as().fetch_all(&mut *tx).await?;
            let by_subscription: HashMap<i64, &Chosen<'_>> =
                digests.iter().map(|c| (c.digest.subscription, c)).collect();
            let papers: Vec<(i64, i64, &str)> = inserted
                .iter()
                .flat_map(|(id, subscription)| {
                    by_subscription[subscription]
                        .picks
                        .iter()
                        .map(move |pick| (*subscription, *id, pick.id.as_str()))
                })
                .collect();
            for chunk in papers.chunks(PAPER_ROWS_PER_INSERT) {
                let mut rows = QueryBuilder::<DB>::new(
                    "INSERT INTO digest_papers (subscription_id, digest_id, paper_id) ",
                );
                rows.push_values(chunk, |mut row, (subscription, id, paper)| {
                    row.push_bind(*subscription).push_bind(*id).push_bind(*paper);
                });
                rows.push(" ON CONFLICT DO NOTHING");
                rows.build().execute(&mut *tx).await?;
            }
            let events: Vec<(i64, String)> = inserted
                .iter()
                .map(|(id, subscription)| {
                    let chosen = by_subscription[subscription];
                    (*id, format!("{} papers for {}", chosen.picks.len(), chosen.digest.period))
                })
                .collect();
            for chunk in events.chunks(PAPER_ROWS_PER_INSERT) {
                let mut rows =
                    QueryBuilder::<DB>::new("INSERT INTO digest_events (digest_id, at, state, detail) ");
                rows.push_values(chunk, |mut row, (id, detail)| {
                    row.push_bind(*id).push_bind(now).push_bind("queued").push_bind(detail.as_str());
                });
                rows.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            inserted.len() as u64
        });
        Ok(queued)
    }

    /// Claims up to `limit` digests to send for `worker` until `now + lease`: first those whose
    /// sender's lease ran out (counted in doubt), then queued ones whose time has come, oldest
    /// first.
    pub async fn claim_digests(
        &self,
        worker: &str,
        lease: Duration,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ClaimedDigest>, DbError> {
        let engine = self.engine();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let claimed: Vec<ClaimedDigest> =
                queue::claim::<DB, _>(&mut tx, engine, &OUTBOX, worker, now + lease, now, limit).await?;
            if !claimed.is_empty() {
                let mut events =
                    QueryBuilder::<DB>::new("INSERT INTO digest_events (digest_id, at, state, detail) ");
                let rows = claimed.iter().flat_map(|digest| {
                    let doubt = digest.taken_over.then(|| {
                        (
                            digest.id,
                            "in_doubt",
                            "its sender stopped while holding it; sending again".to_owned(),
                        )
                    });
                    doubt.into_iter().chain([(
                        digest.id,
                        "sending",
                        format!("attempt {} by {worker}", digest.attempts),
                    )])
                });
                events.push_values(rows, |mut row, (id, state, detail)| {
                    row.push_bind(id).push_bind(now).push_bind(state).push_bind(detail);
                });
                events.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(claimed)
        })
    }

    /// Gives back digests claimed but not attempted (their lease was about to run out), so that
    /// they are not counted in doubt.
    pub async fn release_digests(&self, digests: &[ClaimedDigest]) -> Result<(), DbError> {
        for digest in digests {
            self.settle_digest(digest, Outcome::Released, "released", "given back unattempted").await?;
        }
        Ok(())
    }

    /// Records that the SMTP server accepted a digest; the subscription's bounces start over.
    pub async fn digest_sent(&self, digest: &ClaimedDigest) -> Result<(), DbError> {
        self.settle_digest(digest, Outcome::Done, "sent", "accepted by the mail server").await
    }

    /// Records a failed attempt to be tried again at `retry_at`.
    pub async fn digest_retry(
        &self,
        digest: &ClaimedDigest,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), DbError> {
        let detail = format!("{error}; next attempt at {}", retry_at.to_rfc3339());
        self.settle_digest(digest, Outcome::Retry { at: retry_at, error }, "retry", &detail).await
    }

    /// Records a digest that will not be sent, because the server refused it for good (a
    /// bounce: enough in a row pause the subscription) or it failed its last attempt.
    pub async fn digest_failed(
        &self,
        digest: &ClaimedDigest,
        bounce: bool,
        error: &str,
    ) -> Result<(), DbError> {
        let event = if bounce { "bounced" } else { "failed" };
        self.settle_digest(digest, Outcome::Failed { error }, event, error).await
    }

    /// Settles a digest through the queue and, if that changed it, records `event` and what it
    /// means for the subscription, in the same transaction.
    async fn settle_digest(
        &self,
        digest: &ClaimedDigest,
        outcome: Outcome<'_>,
        event_state: &str,
        detail: &str,
    ) -> Result<(), DbError> {
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            if queue::settle(&mut *tx, &OUTBOX, digest.lease(), outcome, now).await? {
                event(&mut tx, digest.id, now, event_state, detail).await?;
                match event_state {
                    "sent" => {
                        sqlx::query("UPDATE subscriptions SET bounces = 0 WHERE id = $1 AND bounces <> 0")
                            .bind(digest.subscription_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    "bounced" => {
                        let paused = sqlx::query(
                            "UPDATE subscriptions SET bounces = bounces + 1, \
                             state = CASE WHEN bounces + 1 >= $1 AND state = 'active' THEN 'paused' ELSE state END, \
                             next_due_at = CASE WHEN bounces + 1 >= $1 THEN NULL ELSE next_due_at END \
                             WHERE id = $2 AND bounces + 1 >= $1",
                        )
                        .bind(PAUSE_AFTER_BOUNCES)
                        .bind(digest.subscription_id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if paused == 0 {
                            sqlx::query("UPDATE subscriptions SET bounces = bounces + 1 WHERE id = $1")
                                .bind(digest.subscription_id)
                                .execute(&mut *tx)
                                .await?;
                        } else {
                            cancel_queued(
                                &mut tx,
                                digest.subscription_id,
                                now,
                                "the subscription was paused after repeated bounces",
                            )
                            .await?;
                        }
                    }
                    _ => {}
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// How many digests are in each state.
    pub async fn outbox_counts(&self) -> Result<OutboxCounts, DbError> {
        Ok(with_pool!(self, |pool, DB| queue::counts(pool, &OUTBOX).await?).into())
    }

    /// When the next digest becomes claimable: the earliest retry or lease end.
    pub async fn next_digest_at(&self) -> Result<Option<DateTime<Utc>>, DbError> {
        with_pool!(self, |pool, DB| queue::next_claimable(pool, &OUTBOX).await)
    }

    /// The delivery record of every digest of `period` (all periods when `None`), by id.
    pub async fn digest_records(&self, period: Option<Period>) -> Result<Vec<DigestRecord>, DbError> {
        let period = period.map(|p| p.to_string());
        let rows: Vec<DigestRow> = with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT d.id, s.email, d.period, d.state, d.attempts, d.in_doubt, d.message_id, d.last_error \
                 FROM digests d JOIN subscriptions s ON s.id = d.subscription_id \
                 WHERE $1 IS NULL OR d.period = $1 ORDER BY d.id",
            )
            .bind(period)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(DigestRow::into_record).collect()
    }

    /// The states a digest went through, oldest first.
    pub async fn digest_history(&self, digest: i64) -> Result<Vec<(DateTime<Utc>, String, String)>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT at, state, detail FROM digest_events WHERE digest_id = $1 ORDER BY id")
                .bind(digest)
                .fetch_all(pool)
                .await?
        }))
    }

    /// The secret called `name`, made from `generate` by the first process that asks. Read
    /// first, so that only that first ask writes.
    pub async fn server_key(&self, name: &str, generate: impl FnOnce() -> String) -> Result<String, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            let select = "SELECT value FROM server_keys WHERE name = $1";
            let found: Option<String> = sqlx::query_scalar(select).bind(name).fetch_optional(pool).await?;
            match found {
                Some(value) => value,
                None => {
                    sqlx::query(
                        "INSERT INTO server_keys (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    )
                    .bind(name)
                    .bind(generate())
                    .bind(Utc::now())
                    .execute(pool)
                    .await?;
                    sqlx::query_scalar(select).bind(name).fetch_one(pool).await?
                }
            }
        }))
    }

    /// Papers on the feeds of `first` to `last`, not hidden, most upvoted first: the
    /// candidates of a period's digests.
    pub async fn period_papers(
        &self,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<PeriodPaper>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT p.id, p.title, p.summary, CAST(p.authors AS TEXT) AS authors, \
                 CAST(p.categories AS TEXT) AS categories, p.upvotes, p.num_comments \
                 FROM feed_entries f JOIN papers p ON p.id = f.paper_id \
                 WHERE f.feed_date >= $1 AND f.feed_date <= $2 AND p.hidden_at IS NULL \
                 ORDER BY p.upvotes DESC, p.num_comments DESC, f.submitted_at, p.id",
            )
            .bind(first)
            .bind(last)
            .fetch_all(pool)
            .await?
        }))
    }

    /// One paper as a digest shows it.
    pub async fn digest_paper(&self, id: &str) -> Result<Option<PeriodPaper>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT id, title, summary, CAST(authors AS TEXT) AS authors, CAST(categories AS TEXT) AS categories, \
                 upvotes, num_comments FROM papers WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// The model with the most stored vectors: the one personal digests rank by.
    pub async fn main_embedding_model(&self) -> Result<Option<String>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_scalar("SELECT model FROM embeddings GROUP BY model ORDER BY COUNT(*) DESC LIMIT 1")
                .fetch_optional(pool)
                .await?
        }))
    }

    /// The papers `user` upvoted or saved to one of their collections, newest first, each once,
    /// at most `limit`.
    pub async fn liked_papers(&self, user: UserId, limit: i64) -> Result<Vec<Liked>, DbError> {
        let rows: Vec<(String, String, bool)> = with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT id, title, saved FROM (\
                 SELECT p.id, p.title, FALSE AS saved, v.created_at AS liked_at FROM votes v \
                 JOIN papers p ON p.id = v.paper_id WHERE v.user_id = $1 \
                 UNION ALL SELECT p.id, p.title, TRUE AS saved, i.added_at AS liked_at FROM collection_items i \
                 JOIN collections c ON c.id = i.collection_id JOIN papers p ON p.id = i.paper_id WHERE c.user_id = $1\
                 ) liked ORDER BY liked_at DESC LIMIT $2",
            )
            .bind(user)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        let mut seen = HashSet::new();
        Ok(rows
            .into_iter()
            .filter(|(id, _, _)| seen.insert(id.clone()))
            .map(|(id, title, saved)| Liked { id, title, saved })
            .collect())
    }
}

/// A paper a reader showed they like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Liked {
    pub id: String,
    pub title: String,
    /// Saved to a collection, rather than upvoted.
    pub saved: bool,
}

/// A digest to put in the outbox.
#[derive(Debug, Clone)]
pub struct NewDigest {
    pub subscription: i64,
    pub recipient: String,
    pub mode: Mode,
    pub period: Period,
    /// The papers chosen, in order.
    pub picks: Vec<Pick>,
    pub message_id: String,
}

/// A digest about to be queued, with the papers it keeps.
struct Chosen<'a> {
    digest: &'a NewDigest,
    picks: Vec<&'a Pick>,
    /// `picks` as JSON.
    papers: String,
}

/// A candidate paper of a period, as a digest shows it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PeriodPaper {
    pub id: String,
    pub title: String,
    pub summary: String,
    /// JSON array of names, as the catalog stores them.
    pub authors: String,
    /// JSON array, primary first.
    pub categories: String,
    pub upvotes: i64,
    pub num_comments: i64,
}

async fn event<'c, DB: sqlx::Database>(
    tx: &mut sqlx::Transaction<'c, DB>,
    digest: i64,
    at: DateTime<Utc>,
    state: &str,
    detail: &str,
) -> Result<(), DbError>
where
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'e> &'e mut <DB as sqlx::Database>::Connection: sqlx::Executor<'e, Database = DB>,
{
    sqlx::query("INSERT INTO digest_events (digest_id, at, state, detail) VALUES ($1, $2, $3, $4)")
        .bind(digest)
        .bind(at)
        .bind(state)
        .bind(detail)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Cancels a subscription's digests not yet claimed, with an event for each.
async fn cancel_queued<'c, DB: sqlx::Database>(
    tx: &mut sqlx::Transaction<'c, DB>,
    subscription: i64,
    at: DateTime<Utc>,
    why: &str,
) -> Result<(), DbError>
where
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB> + sqlx::Decode<'q, DB>,
    for<'q> DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'e> &'e mut <DB as sqlx::Database>::Connection: sqlx::Executor<'e, Database = DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let cancelled: Vec<(i64,)> = sqlx::query_as(
        "UPDATE digests SET state = 'cancelled', lease_until = NULL \
         WHERE subscription_id = $1 AND state = 'queued' RETURNING id",
    )
    .bind(subscription)
    .fetch_all(&mut **tx)
    .await?;
    for (digest,) in cancelled {
        event(tx, digest, at, "cancelled", why).await?;
    }
    Ok(())
}

fn vanished(id: i64) -> DbError {
    DbError::CorruptRow { id: format!("subscription {id}"), reason: "it vanished while being written".into() }
}
