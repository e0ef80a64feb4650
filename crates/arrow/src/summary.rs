//! The totals of a run: per benefit, how many applicants got each status
//! and the exact total amount; and how many rows could not be decided.

use policy_eval::{Decision, Status};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The four statuses, in the order of the status dictionary.
pub const STATUSES: [Status; 4] = [Status::Eligible, Status::Ineligible, Status::NotApplicable, Status::Undetermined];

/// One row's outcome: its decision, or why it could not be decided (facts
/// that do not fit the policy).
pub type RowResult = Result<Decision, String>;

/// Counts and totals, in benefit declaration order.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Rows seen.
    pub rows: u64,
    /// Rows whose facts did not fit the policy.
    pub errors: u64,
    /// Per benefit (in the order first met).
    pub benefits: Vec<BenefitSummary>,
}

/// One benefit's totals.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct BenefitSummary {
    /// Benefit id.
    pub id: String,
    /// Applicants per status (snake_case name).
    pub status: BTreeMap<&'static str, u64>,
    /// Sum of the amounts of eligible applicants (exact); `None` once the
    /// sum overflowed the engine's decimal range.
    #[serde(with = "policy_eval::decision::opt_money")]
    pub total: Option<Decimal>,
}

impl Summary {
    /// Adds one row.
    pub fn add(&mut self, row: &RowResult) {
        self.rows += 1;
        let d = match row {
            Ok(d) => d,
            Err(_) => {
                self.errors += 1;
                return;
            }
        };
        for b in &d.benefits {
            self.add_benefit(&b.id, b.status, b.amount);
        }
    }

    /// Adds one row decided by the kernels: per benefit, its status and
    /// amount (`add_benefit` for each follows).
    pub fn add_row(&mut self) {
        self.rows += 1;
    }

    /// Adds one benefit's decision of the current row.
    pub fn add_benefit(&mut self, id: &str, status: policy_eval::Status, amount: Option<Decimal>) {
        self.add_count(id, status, 1);
        if let Some(a) = amount {
            self.add_amount(id, Some(a));
        }
    }

    fn entry(&mut self, id: &str) -> Option<&mut BenefitSummary> {
        let i = match self.benefits.iter().position(|s| s.id == id) {
            Some(i) => i,
            None => {
                self.benefits.push(BenefitSummary { id: id.to_string(), total: Some(Decimal::ZERO), ..Default::default() });
                self.benefits.len() - 1
            }
        };
        self.benefits.get_mut(i)
    }

    /// Adds `n` applicants of benefit `id` with `status`.
    pub fn add_count(&mut self, id: &str, status: policy_eval::Status, n: u64) {
        if let Some(s) = self.entry(id) {
            *s.status.entry(status.as_str()).or_insert(0) += n;
        }
    }

    /// Adds an amount to benefit `id`'s total (`None`: one that could not
    /// be read, which overflows the total).
    pub fn add_amount(&mut self, id: &str, amount: Option<Decimal>) {
        if let Some(s) = self.entry(id) {
            s.total = s.total.and_then(|t| t.checked_add(amount?));
        }
    }

    /// Adds rows.
    pub fn add_all(&mut self, rows: &[RowResult]) {
        for r in rows {
            self.add(r);
        }
    }

    /// The summary for people: a line per benefit.
    pub fn render(&self) -> String {
        let mut out = format!("{} applicants decided", self.rows - self.errors);
        if self.errors > 0 {
            let _ = write!(out, ", {} not decided (their facts do not fit the policy: see the `error` column)", self.errors);
        }
        out.push('\n');
        for b in &self.benefits {
            let counts: Vec<String> =
                STATUSES.iter().filter_map(|s| b.status.get(s.as_str()).map(|n| format!("{} {n}", s.as_str()))).collect();
            let total = b.total.map(|t| format!("{} yuan", t.normalize())).unwrap_or_else(|| "overflowed".into());
            let _ = writeln!(out, "  {}: {}; total {total}", b.id, counts.join(", "));
        }
        out
    }
}
