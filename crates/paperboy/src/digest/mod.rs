//! "Trending papers in your email inbox": subscriptions, composing digests, and delivering
//! them exactly once through the outbox.
//!
//! A digest run has two steps, both safe to repeat and to interrupt:
//! 1. **Compose** ([`compose`]): for each subscription due (or each of a period named on the
//!    command line), choose the period's papers by the reader's preferences and put one digest
//!    in the outbox per (subscription, period), under a unique constraint, with its papers.
//!    A period with nothing for the reader sends nothing.
//! 2. **Deliver** ([`send`]): senders (as many at once as the SMTP server answers without
//!    keeping messages waiting, [`pace`]) claim a few digests at a time under a lease, render
//!    them ([`render`]) and hand them to the mailer one by one, recording each outcome: sent; a
//!    transient failure retried with exponential backoff; a permanent refusal recorded (a
//!    refused recipient is a bounce, and repeated bounces pause the subscription).
//!
//! The one window no SMTP client can close (the server accepted the message; the sender died
//! before recording it) is resolved towards delivery: the digest is sent again, with the same
//! `Message-ID`, and counted `in_doubt`. A connection that breaks after the message was written
//! is the same window, and its digest is retried. So every digest arrives; a reader gets a second
//! copy only after an attempt was cut off there, and the copies share one `Message-ID`, by which
//! mail stores fold them into one. Such attempts are kept few: on SQLite a sender hands a
//! message's content over only while holding the run's write turn, until its `sent` record
//! commits ([`send`]), so at most one digest of a run is in doubt at once; and no more senders
//! run than the server answers without keeping messages waiting ([`pace`]). ARCHITECTURE.md states the guarantee (invariant 18); the
//! SMTP kill and outage tests check exactly it.

pub mod compose;
pub mod links;
pub mod pace;
pub mod render;
pub mod send;

use crate::db::{Db, DbError};
use crate::domain::digest::Period;
use crate::mail::Outbox;
use crate::progress::Progress;
use compose::{ComposeReport, Composer};
use links::LinkKey;
use render::Renderer;
use send::{SendOptions, SendReport};

/// What composing and sending digests needs beyond the database.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub outbox: Outbox,
    /// The site's address: every link in a digest starts with it.
    pub base_url: String,
    pub send: SendOptions,
}

impl Delivery {
    /// The renderer of this site's digests, with the installation's link key.
    pub async fn renderer(&self, db: &Db) -> Result<Renderer, DbError> {
        Ok(Renderer::new(&self.base_url, LinkKey::load(db).await?, &self.outbox.from))
    }

    /// Composes the digests due now (or `period`'s), then, unless `compose_only`, sends what
    /// the outbox holds.
    pub async fn run(
        &self,
        db: &Db,
        period: Option<Period>,
        compose_only: bool,
        progress: bool,
    ) -> Result<(ComposeReport, Option<SendReport>), DbError> {
        let mut composer = Composer::new(db, &self.base_url);
        let composing = Progress::records(progress, "compose");
        let composed = match period {
            Some(period) => composer.compose_period(period, &composing).await?,
            None => composer.compose_due(chrono::Utc::now(), &composing).await?,
        };
        composing.finish();
        if compose_only {
            return Ok((composed, None));
        }
        let renderer = self.renderer(db).await?;
        let sending = Progress::records(progress, "send");
        let sent = send::deliver(db, &self.outbox, &renderer, &self.send, sending).await?;
        Ok((composed, Some(sent)))
    }
}
