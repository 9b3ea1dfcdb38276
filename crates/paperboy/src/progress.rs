//! Progress bars for long work: a bar over bytes or items, with a count and a rate.
//!
//! Drawn on standard error only when it is a terminal, so logs and tests stay clean; messages
//! printed through [`Progress::println`] appear above the bar instead of tearing it.

use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

const ITEMS_TEMPLATE: &str = "{prefix:>10} [{bar:30}] {pos}/{len} · {msg} · eta {eta}";

/// A progress bar, or nothing when disabled.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Progress {
    /// A bar over `total` bytes of input, labelled `label`, counting records.
    pub fn bytes(enabled: bool, total: u64, label: &'static str) -> Progress {
        Self::new(enabled, total, label, "{prefix:>10} [{bar:30}] {bytes}/{total_bytes} · {msg} · eta {eta}")
    }

    /// A spinner counting records until [`Progress::set_length`] makes it a bar.
    pub fn records(enabled: bool, label: &'static str) -> Progress {
        Self::new(enabled, 0, label, "{prefix:>10} {spinner} {msg} · {elapsed}")
    }

    fn new(enabled: bool, total: u64, label: &'static str, template: &str) -> Progress {
        let bar = enabled.then(|| {
            let length = (total > 0).then_some(total);
            let bar = ProgressBar::with_draw_target(length, ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(label);
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        Progress { bar, started: Instant::now() }
    }

    /// Whether anything is drawn: work done only for the bar (counting a total) can be skipped
    /// when not.
    pub fn is_shown(&self) -> bool {
        self.bar.as_ref().is_some_and(|bar| !bar.is_hidden())
    }

    pub fn set_position(&self, position: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(position);
        }
    }

    /// Sets the total once it becomes known, turning a spinner into a bar.
    pub fn set_length(&self, total: u64) {
        if let Some(bar) = &self.bar
            && bar.length() != Some(total)
        {
            let style = ProgressStyle::with_template(ITEMS_TEMPLATE)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_length(total);
        }
    }

    /// Shows how many records are done and at what rate.
    pub fn set_records(&self, done: u64) {
        if let Some(bar) = &self.bar {
            let seconds = self.started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!("{done} records · {:.0}/s", done as f64 / seconds));
        }
    }

    /// Prints a line above the bar (or plainly to standard error without one).
    pub fn println(&self, line: impl AsRef<str>) {
        match &self.bar {
            Some(bar) if !bar.is_hidden() => bar.println(line.as_ref()),
            _ => eprintln!("{}", line.as_ref()),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
