//! How many senders hand digests to the SMTP server at once: as many as the server answers
//! without keeping messages waiting, and no more.
//!
//! A message the server holds unanswered when its sender dies is the second copy the next run
//! sends: the server stores what it received whole, whether or not its answer arrives. So the
//! pace watches how many messages the server holds unanswered on average: by Little's law, the
//! time the server took over each message's content (from its first byte to the answer to the
//! final `.`), summed over a few messages, divided by the time those messages took to send.
//! Under [`GROW_BELOW`] times the digests a run may keep in doubt (one by default), one more
//! sender may start; over [`SHRINK_ABOVE`] times that, one stops, and the next try at more
//! waits twice as long as the last. A run starts with one sender. Against a
//! server that answers at once (Postfix) every sender runs; against one that takes its time
//! over each message, one does.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// Messages held unanswered on average, per digest allowed in doubt, under which one more
/// sender may start.
pub const GROW_BELOW: f64 = 0.5;

/// Messages held unanswered on average, per digest allowed in doubt, over which one sender
/// stops.
pub const SHRINK_ABOVE: f64 = 1.0;

/// Adjustments the pace waits at most before trying more senders again after it had to stop
/// one.
const MOST_PATIENCE: u32 = 64;

/// The pace of one delivery run.
#[derive(Debug)]
pub struct Pace {
    most: usize,
    /// Digests the run may keep in doubt at once.
    in_doubt: f64,
    state: Mutex<State>,
    freed: Notify,
}

#[derive(Debug)]
struct State {
    /// Senders that may hand messages over at once.
    allowed: usize,
    /// Senders doing so now.
    active: usize,
    /// Since the last adjustment: when it was, the server's time over the messages' content,
    /// and how many messages.
    since: Instant,
    busy: Duration,
    samples: u32,
    /// Adjustments to wait before trying one more sender, and how many the last wait was.
    hold: u32,
    patience: u32,
}

/// A sender's turn; ends when dropped.
#[derive(Debug)]
pub struct Turn<'a>(&'a Pace);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.state().active -= 1;
        self.0.freed.notify_one();
    }
}

impl Pace {
    /// A pace of at most `most` senders at once, for a run that may keep `in_doubt` digests in
    /// doubt.
    pub fn new(most: usize, in_doubt: usize) -> Pace {
        let state = State {
            allowed: 1,
            active: 0,
            since: Instant::now(),
            busy: Duration::ZERO,
            samples: 0,
            hold: 0,
            patience: 1,
        };
        let in_doubt = in_doubt.max(1) as f64;
        Pace { most: most.max(1), in_doubt, state: Mutex::new(state), freed: Notify::new() }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until one more sender may hand messages over.
    pub async fn turn(&self) -> Turn<'_> {
        loop {
            let freed = self.freed.notified();
            {
                let mut state = self.state();
                if state.active < state.allowed {
                    state.active += 1;
                    return Turn(self);
                }
            }
            freed.await;
        }
    }

    /// Senders allowed at once now.
    pub fn allowed(&self) -> usize {
        self.state().allowed
    }

    /// Records that the server took `content` over a message's content.
    pub fn accepted(&self, content: Duration) {
        self.record(content, Instant::now());
    }

    /// [`Pace::accepted`] at `now`: every few messages, lets one more sender start or stops one.
    fn record(&self, content: Duration, now: Instant) {
        let mut state = self.state();
        state.busy += content;
        state.samples += 1;
        if state.samples < (2 * state.allowed as u32).max(8) {
            return;
        }
        let elapsed = now.duration_since(state.since).as_secs_f64().max(1e-9);
        let held = state.busy.as_secs_f64() / elapsed;
        state.since = now;
        state.busy = Duration::ZERO;
        state.samples = 0;
        if held > SHRINK_ABOVE * self.in_doubt && state.allowed > 1 {
            state.allowed -= 1;
            state.patience = (state.patience * 2).min(MOST_PATIENCE);
            state.hold = state.patience;
        } else if state.hold > 0 {
            state.hold -= 1;
        } else if held < GROW_BELOW * self.in_doubt && state.allowed < self.most {
            state.allowed += 1;
            drop(state);
            self.freed.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that takes 4 ms over each message, one at a time, to senders that take 1 ms
    /// between their own: with `n` senders, the time between messages and the time each one's
    /// content takes.
    fn one_at_a_time(n: usize) -> (Duration, Duration) {
        let gap = Duration::from_millis(if n == 1 { 5 } else { 4 });
        (gap, Duration::from_millis(4 * n as u64 - 1).max(Duration::from_millis(4)))
    }

    /// Runs `pace` for `rounds` adjustments against a server that, with `senders` sending,
    /// sends a message every `gap(senders)` and takes `content(senders)` over each; the
    /// senders allowed after each round.
    fn run(
        pace: &Pace,
        gap: impl Fn(usize) -> Duration,
        content: impl Fn(usize) -> Duration,
        rounds: usize,
    ) -> Vec<usize> {
        let mut now = Instant::now();
        pace.state().since = now;
        (0..rounds)
            .map(|_| {
                let senders = pace.allowed();
                for _ in 0..(2 * senders).max(8) {
                    now += gap(senders);
                    pace.record(content(senders), now);
                }
                pace.allowed()
            })
            .collect()
    }

    #[test]
    fn every_sender_runs_against_a_server_that_answers_at_once() {
        let pace = Pace::new(8, 1);
        // Each sender sends a message every 6 ms; the server answers its content in 0.2 ms.
        let allowed =
            run(&pace, |n| Duration::from_micros(6000 / n as u64), |_| Duration::from_micros(200), 30);
        assert_eq!(allowed.last(), Some(&8), "{allowed:?}");
    }

    #[test]
    fn one_runs_against_a_server_that_takes_its_time_over_each_message() {
        let pace = Pace::new(8, 1);
        let allowed = run(&pace, |n| one_at_a_time(n).0, |n| one_at_a_time(n).1, 200);
        let mean = allowed.iter().sum::<usize>() as f64 / allowed.len() as f64;
        assert!(mean < 1.1, "{mean}: {allowed:?}");
    }

    #[test]
    fn a_run_that_may_keep_more_in_doubt_runs_more_senders() {
        let pace = Pace::new(8, 4);
        let allowed = run(&pace, |n| one_at_a_time(n).0, |n| one_at_a_time(n).1, 50);
        assert!(allowed.last().is_some_and(|senders| (2..=4).contains(senders)), "{allowed:?}");
    }

    #[tokio::test]
    async fn senders_past_the_allowed_wait_their_turn() {
        let pace = Pace::new(8, 1);
        let first = pace.turn().await;
        let second = tokio::time::timeout(Duration::from_millis(20), pace.turn()).await;
        assert!(second.is_err(), "a second sender started with one allowed");
        drop(first);
        assert!(tokio::time::timeout(Duration::from_secs(1), pace.turn()).await.is_ok());
    }
}
