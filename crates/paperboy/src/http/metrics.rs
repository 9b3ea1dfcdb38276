//! The counters behind `/metrics` ([`crate::http::observe`]) and their Prometheus text.
//!
//! Counted here: requests and their latency by route (the pattern, such as
//! `/papers/{*id}`, never the raw path) and status, search latency by mode, responses served
//! from the page cache, requests refused by the rate limit. Read at scrape time: how many
//! catalog changes the keyword index has not indexed yet.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::StatusCode;

use crate::search::Mode;

/// Histogram bucket bounds, in seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (count, bound) in self.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *count += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        for (count, bound) in self.counts.iter().zip(BUCKETS) {
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// By (method, route, status).
    requests: Mutex<HashMap<(String, String, u16), Histogram>>,
    searches: Mutex<HashMap<&'static str, Histogram>>,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    limited: AtomicU64,
}

impl Metrics {
    pub fn observe_request(&self, method: &str, route: &str, status: StatusCode, elapsed: Duration) {
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let key = (method.to_owned(), route.to_owned(), status.as_u16());
        requests.entry(key).or_default().observe(elapsed.as_secs_f64());
    }

    pub fn observe_search(&self, mode: Mode, elapsed: Duration) {
        let mode = match mode {
            Mode::Keyword => "keyword",
            Mode::Semantic => "semantic",
            Mode::Hybrid => "hybrid",
        };
        let mut searches = self.searches.lock().unwrap_or_else(|e| e.into_inner());
        searches.entry(mode).or_default().observe(elapsed.as_secs_f64());
    }

    pub fn count_cache(&self, hit: bool) {
        let counter = if hit { &self.cache_hits } else { &self.cache_misses };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_limited(&self) {
        self.limited.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of everything counted, plus each index's lag behind the
    /// database: `(index, changes not in it yet)`.
    pub fn render(&self, index_lag: &[(&str, u64)]) -> String {
        let mut out = String::with_capacity(16 << 10);
        out.push_str("# HELP paperboy_http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE paperboy_http_requests_total counter\n");
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut keys: Vec<_> = requests.keys().cloned().collect();
        keys.sort();
        for key in &keys {
            let (method, route, status) = key;
            let _ = writeln!(
                out,
                "paperboy_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
                label(route),
                requests[key].count
            );
        }
        out.push_str(
            "# HELP paperboy_http_request_duration_seconds Time to answer, by method, route and status.\n",
        );
        out.push_str("# TYPE paperboy_http_request_duration_seconds histogram\n");
        for key in &keys {
            let (method, route, status) = key;
            let labels = format!("method=\"{method}\",route=\"{}\",status=\"{status}\"", label(route));
            requests[key].write(&mut out, "paperboy_http_request_duration_seconds", &labels);
        }
        out.push_str("# HELP paperboy_search_duration_seconds Time to rank and load a search, by mode.\n");
        out.push_str("# TYPE paperboy_search_duration_seconds histogram\n");
        let searches = self.searches.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut modes: Vec<_> = searches.keys().copied().collect();
        modes.sort_unstable();
        for mode in modes {
            searches[mode].write(&mut out, "paperboy_search_duration_seconds", &format!("mode=\"{mode}\""));
        }
        for (name, help, value) in [
            (
                "paperboy_page_cache_hits_total",
                "Pages and feeds served from the page cache.",
                &self.cache_hits,
            ),
            ("paperboy_page_cache_misses_total", "Pages and feeds rendered.", &self.cache_misses),
            ("paperboy_rate_limited_total", "Requests refused by the rate limit.", &self.limited),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        if !index_lag.is_empty() {
            out.push_str(
                "# HELP paperboy_index_lag_papers Changes in the database an index has not taken in yet: \
                 papers for the keyword index, embeddings for the vector index.\n",
            );
            out.push_str("# TYPE paperboy_index_lag_papers gauge\n");
        }
        for (index, lag) in index_lag {
            let _ = writeln!(out, "paperboy_index_lag_papers{{index=\"{index}\"}} {lag}");
        }
        out
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_counts_by_route_and_status() {
        let metrics = Metrics::default();
        metrics.observe_request("GET", "/papers/{*id}", StatusCode::OK, Duration::from_millis(2));
        metrics.observe_request("GET", "/papers/{*id}", StatusCode::OK, Duration::from_millis(20));
        metrics.observe_request("GET", "/papers/{*id}", StatusCode::NOT_FOUND, Duration::from_millis(1));
        metrics.observe_search(Mode::Keyword, Duration::from_millis(3));
        let text = metrics.render(&[("keyword", 7), ("vectors", 0)]);
        assert!(text.contains(
            "paperboy_http_requests_total{method=\"GET\",route=\"/papers/{*id}\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "paperboy_http_requests_total{method=\"GET\",route=\"/papers/{*id}\",status=\"404\"} 1"
        ));
        assert!(text.contains(
            "paperboy_http_request_duration_seconds_bucket{method=\"GET\",route=\"/papers/{*id}\",status=\"200\",le=\"0.0025\"} 1"
        ));
        assert!(text.contains("paperboy_search_duration_seconds_count{mode=\"keyword\"} 1"));
        assert!(text.contains("paperboy_index_lag_papers{index=\"keyword\"} 7"));
        assert!(text.contains("paperboy_index_lag_papers{index=\"vectors\"} 0"));
    }
}
