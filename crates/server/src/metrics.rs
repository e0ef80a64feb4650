//! Counters for `/metrics` (Prometheus text format 0.0.4): decisions by
//! policy and status, errors by code, and a latency histogram of the
//! decide requests.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    decisions: Mutex<BTreeMap<(String, &'static str), u64>>,
    errors: Mutex<BTreeMap<&'static str, u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    requests: AtomicU64,
}

impl Metrics {
    /// Counts one decision of `policy` per benefit status.
    pub fn decision(&self, policy: &str, statuses: impl Iterator<Item = &'static str>) {
        let mut map = self.decisions.lock().unwrap_or_else(|e| e.into_inner());
        for s in statuses {
            match map.get_mut(&(policy.to_string(), s)) {
                Some(n) => *n += 1,
                None => {
                    map.insert((policy.to_string(), s), 1);
                }
            }
        }
    }

    /// Counts an error answer.
    pub fn error(&self, code: &'static str) {
        *self.errors.lock().unwrap_or_else(|e| e.into_inner()).entry(code).or_insert(0) += 1;
    }

    /// Counts a request.
    pub fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Records the latency of a decide request.
    pub fn latency(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (bound, n) in BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                n.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros.fetch_add(u64::try_from(d.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// The Prometheus text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP policy_requests_total HTTP requests received.");
        let _ = writeln!(out, "# TYPE policy_requests_total counter");
        let _ = writeln!(out, "policy_requests_total {}", self.requests.load(Ordering::Relaxed));
        let _ = writeln!(out, "# HELP policy_decisions_total Benefit decisions made, by policy and status.");
        let _ = writeln!(out, "# TYPE policy_decisions_total counter");
        for ((policy, status), n) in self.decisions.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "policy_decisions_total{{policy=\"{}\",status=\"{status}\"}} {n}", escape(policy));
        }
        let _ = writeln!(out, "# HELP policy_errors_total Error answers, by code.");
        let _ = writeln!(out, "# TYPE policy_errors_total counter");
        for (code, n) in self.errors.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "policy_errors_total{{code=\"{code}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP policy_decide_seconds Latency of decide requests (single and what-if).");
        let _ = writeln!(out, "# TYPE policy_decide_seconds histogram");
        for (bound, n) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(out, "policy_decide_seconds_bucket{{le=\"{bound}\"}} {}", n.load(Ordering::Relaxed));
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "policy_decide_seconds_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "policy_decide_seconds_sum {sum}");
        let _ = writeln!(out, "policy_decide_seconds_count {count}");
        out
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
