//! How many senders hand digests to the SMTP server at once: as many as the server serves side
//! by side, and no more, the way a delay-based congestion window (TCP Vegas) is sized.
//!
//! A message the server is still working on when its sender dies is the second copy the next
//! run sends: the server stores what it received whole, whether or not its answer arrives. So
//! every sender waiting in the server's queue is one more copy a crash can leave. The pace
//! watches how long the server takes to accept a message: against the quickest it has been (no
//! queue), the last few messages' average says what share of that time was spent queueing.
//! Under [`GROW_BELOW`], one more sender may start; over [`SHRINK_ABOVE`], one stops, and the
//! next try at more waits twice as long as the last. A run starts with one sender, to learn the
//! server's time with no queue. Against a server that serves messages side by side (Postfix)
//! the time stays flat and every sender runs; against one that serves them one at a time, one
//! does, with a second tried now and then.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;

/// The share of the server's time spent queueing under which one more sender may start.
pub const GROW_BELOW: f64 = 0.15;

/// The share over which one sender stops.
pub const SHRINK_ABOVE: f64 = 0.35;

/// Adjustments (a few messages each) the pace waits at most before trying more senders again
/// after having had to stop one.
const MOST_PATIENCE: u32 = 64;

/// The pace of one delivery run.
#[derive(Debug)]
pub struct Pace {
    most: usize,
    state: Mutex<State>,
    freed: Notify,
}

#[derive(Debug)]
struct State {
    /// Senders that may hand messages over at once.
    allowed: usize,
    /// Senders doing so now.
    active: usize,
    /// The sum and count of the acceptance times since the last adjustment.
    total: Duration,
    samples: u32,
    /// The quickest average seen: the server's time with no queue.
    quickest: Option<Duration>,
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
    /// A pace of at most `most` senders at once.
    pub fn new(most: usize) -> Pace {
        let most = most.max(1);
        let state = State {
            allowed: 1,
            active: 0,
            total: Duration::ZERO,
            samples: 0,
            quickest: None,
            hold: 0,
            patience: 1,
        };
        Pace { most, state: Mutex::new(state), freed: Notify::new() }
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

    /// Records that the server took `elapsed` to accept a message, and every few messages
    /// lets one more sender start or stops one.
    pub fn accepted(&self, elapsed: Duration) {
        let mut state = self.state();
        state.total += elapsed;
        state.samples += 1;
        if state.samples < (2 * state.allowed as u32).max(8) {
            return;
        }
        let average = state.total / state.samples;
        state.total = Duration::ZERO;
        state.samples = 0;
        let quickest = state.quickest.map_or(average, |quickest| quickest.min(average));
        state.quickest = Some(quickest);
        let queueing = 1.0 - quickest.as_secs_f64() / average.as_secs_f64().max(1e-9);
        if queueing > SHRINK_ABOVE && state.allowed > 1 {
            state.allowed -= 1;
            state.patience = (state.patience * 2).min(MOST_PATIENCE);
            state.hold = state.patience;
        } else if state.hold > 0 {
            state.hold -= 1;
        } else if queueing < GROW_BELOW && state.allowed < self.most {
            state.allowed += 1;
            drop(state);
            self.freed.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `pace` a server that takes `time(senders)` per message, `rounds` times.
    fn settle(pace: &Pace, time: impl Fn(usize) -> Duration, rounds: usize) -> usize {
        for _ in 0..rounds {
            let elapsed = time(pace.allowed());
            for _ in 0..(2 * pace.allowed()).max(8) {
                pace.accepted(elapsed);
            }
        }
        pace.allowed()
    }

    #[test]
    fn every_sender_runs_against_a_parallel_server() {
        let pace = Pace::new(8);
        assert_eq!(settle(&pace, |_| Duration::from_millis(2), 50), 8);
    }

    #[test]
    fn one_runs_against_a_server_that_serves_one_message_at_a_time() {
        let pace = Pace::new(8);
        // The server takes 4 ms a message, and each sender 1 ms between its messages.
        let serial = |senders: usize| Duration::from_millis(4 * senders as u64 - (senders as u64 - 1));
        let mut allowed = Vec::new();
        for _ in 0..200 {
            allowed.push(settle(&pace, serial, 1));
        }
        let mean = allowed.iter().sum::<usize>() as f64 / allowed.len() as f64;
        assert!(mean < 1.2, "{mean}: {allowed:?}");
    }

    #[tokio::test]
    async fn senders_past_the_allowed_wait_their_turn() {
        let pace = Pace::new(8);
        let first = pace.turn().await;
        let second = tokio::time::timeout(Duration::from_millis(20), pace.turn()).await;
        assert!(second.is_err(), "a second sender started with one allowed");
        drop(first);
        assert!(tokio::time::timeout(Duration::from_secs(1), pace.turn()).await.is_ok());
    }
}
