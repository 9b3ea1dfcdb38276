//! Digest subscriptions as readers ask for them: subscribe (double opt-in), open a subscription
//! by the signed token of its links, change it, end it, get an unsubscribe link by email, and a
//! member's own subscription.
//!
//! Asking to subscribe only ever sends the confirmation email, at most one per address per
//! [`MAIL_WINDOW`] however often it is asked, and the answer is the same whether or not the
//! address is known, so nothing tells who subscribes. Mail failures are logged, not reported,
//! for the same reason. A member's address is confirmed already: they subscribe at once.

use std::net::IpAddr;

use chrono::Duration;

use crate::db::Db;
use crate::db::digests::{SubscribeOutcome, Subscription, SubscriptionState};
use crate::db::users::User;
use crate::digest::links::LinkKey;
use crate::domain::accounts::Email;
use crate::domain::digest::{Changes, Preferences};
use crate::domain::secrets::Secret;
use crate::error::AppError;
use crate::mail::{LinkEmail, Mail, Outbox};
use crate::quota::Quotas;

/// How long a confirmation link works.
pub const CONFIRM_HOURS: i64 = 48;
/// The least time between two emails to one address about its subscription.
pub const MAIL_WINDOW: Duration = Duration::minutes(10);

/// What answers a request to subscribe, whatever became of it.
pub const CHECK_INBOX: &str = "Check your inbox: we sent a link to confirm the subscription, unless we \
     sent one in the last few minutes. Nothing else is sent until the link is opened.";

/// What subscription actions work with: the database, the quotas, and where their emails go
/// (with the site's address, which their links start with).
#[derive(Debug, Clone, Copy)]
pub struct Subscriptions<'a> {
    pub db: &'a Db,
    pub quotas: &'a Quotas,
    pub outbox: &'a Outbox,
    pub base_url: &'a str,
}

impl Subscriptions<'_> {
    /// Asks, from `client`, to subscribe `email` with `changes` to the default settings: checks
    /// both, then sends the confirmation (or, to a subscribed address, its settings link) within
    /// the quotas.
    pub async fn ask(&self, client: IpAddr, email: &str, changes: &Changes) -> Result<(), AppError> {
        let email: Email = email.parse().map_err(AppError::BadRequest)?;
        let prefs = Preferences::default().with(changes).map_err(AppError::BadRequest)?;
        self.quotas.subscribe.within(client, "subscribe").await?;
        let token = Secret::generate("");
        let confirm_for = Duration::hours(CONFIRM_HOURS);
        let outcome = self.db.subscribe(&email, &prefs, &token.hash(), confirm_for, MAIL_WINDOW).await?;
        let base = self.base_url;
        let mail = match outcome {
            SubscribeOutcome::Throttled => return Ok(()),
            SubscribeOutcome::Confirm(_) => self.mail(
                &email,
                "Confirm your Paperboy digest",
                "Someone, we hope you, asked for Paperboy's digest of trending papers at this address. \
                 Open this link to confirm and start receiving it:",
                &format!("{base}/subscription/confirm?token={}", token.expose()),
                "The link works for 48 hours. If you did not ask for it, ignore this email: nothing \
                 more will come.",
            )?,
            SubscribeOutcome::AlreadySubscribed(subscription) => {
                let token = self.token(&subscription).await?;
                self.mail(
                    &email,
                    "Your Paperboy digest",
                    "Someone asked to subscribe this address to Paperboy's digest, which it gets \
                     already. To change what it gets, or to stop it, open:",
                    &format!("{base}/subscription?token={token}"),
                    "Nothing has changed.",
                )?
            }
        };
        self.outbox.send_or_log(&mail, "a subscription email").await;
        Ok(())
    }

    /// The subscription the signed `token` of a digest's links opens; `None` for any token that
    /// is not valid, whatever is wrong with it.
    pub async fn open(&self, token: &str) -> Result<Option<Subscription>, AppError> {
        let key = LinkKey::load(self.db).await?;
        Ok(key.open(self.db, token).await?)
    }

    /// The signed token of `subscription`'s links.
    pub async fn token(&self, subscription: &Subscription) -> Result<String, AppError> {
        Ok(LinkKey::load(self.db).await?.token(subscription.id, &subscription.email))
    }

    /// Mails an unsubscribe link to `email`, asked for from `client`, if it gets a digest and was
    /// not emailed about it within [`MAIL_WINDOW`]. The answer is the same either way, and the
    /// email goes out after it, so that how long the answer takes says nothing either.
    pub async fn mail_unsubscribe_link(&self, client: IpAddr, email: &str) -> Result<(), AppError> {
        let email: Email = email.parse().map_err(AppError::BadRequest)?;
        self.quotas.subscribe.within(client, "unsubscribe").await?;
        let Some(subscription) = self.db.subscription_by_email(&email).await? else { return Ok(()) };
        let receiving = matches!(subscription.state, SubscriptionState::Active | SubscriptionState::Paused);
        if !receiving || !self.db.claim_mail_turn(subscription.id, MAIL_WINDOW).await? {
            return Ok(());
        }
        let token = self.token(&subscription).await?;
        let mail = self.mail(
            &email,
            "Stop your Paperboy digest",
            "Someone asked for a link to stop Paperboy's digest to this address. Open it, and press the button:",
            &format!("{}/unsubscribe?token={token}", self.base_url),
            "If you did not ask for it, ignore this email: nothing changes.",
        )?;
        let outbox = self.outbox.clone();
        tokio::spawn(async move { outbox.send_or_log(&mail, "an unsubscribe link").await });
        Ok(())
    }

    /// A member's subscription: the one their account holds, or the one of their address.
    pub async fn of_member(&self, user: &User) -> Result<Option<Subscription>, AppError> {
        let email: Email = user.email.parse().map_err(AppError::Internal)?;
        Ok(match self.db.subscription_of_user(user.id).await? {
            Some(subscription) => Some(subscription),
            None => self.db.subscription_by_email(&email).await?,
        })
    }

    /// Subscribes a member at once with `changes` to their current settings (or the defaults),
    /// or saves their new settings.
    pub async fn subscribe_member(&self, user: &User, changes: &Changes) -> Result<Subscription, AppError> {
        let current = self.of_member(user).await?.map(|s| s.prefs).unwrap_or_default();
        let prefs = current.with(changes).map_err(AppError::BadRequest)?;
        let email: Email = user.email.parse().map_err(AppError::Internal)?;
        Ok(self.db.subscribe_user(user.id, &email, &prefs).await?)
    }

    fn mail(&self, to: &Email, subject: &str, lead: &str, link: &str, after: &str) -> Result<Mail, AppError> {
        let email = LinkEmail { name: None, lead, link, after, base_url: self.base_url };
        email.to(to.clone(), subject).map_err(|err| AppError::Internal(err.to_string()))
    }
}
