//! The columnar fast path: a benefit's date, conditions and amount steps
//! compiled from the checked policy into kernels that run over whole
//! columns of a batch (`compile`: the trees; `kernels`: exact column
//! values and operations; `run`: binding a batch and the stages of a
//! decision).
//!
//! The invariant: a kernel decides a row only where it decides it exactly
//! as the row interpreter would (status, amount with its scale, failed
//! conditions in order; no missing facts, since a row with a null in a
//! column a stage reads is not decided). Every other row (a null read, an
//! overflow, a result rust_decimal would round, a division, no tier, a cell
//! the facts reader would refuse) is flagged and decided by the row
//! interpreter, for that row only; a benefit with a construct the kernels
//! do not cover is decided by the row interpreter entirely. The
//! differential tests (`tests/differential.rs`, `tests/kernel_props.rs`,
//! the `columnar` fuzz target) hold the two paths together.

pub mod compile;
pub mod kernels;
pub mod run;

use crate::read::days_of;
use arrow_array::RecordBatch;
use compile::Compiled;
use policy_eval::{DecideOptions, Plan, TraceLevel};
use rust_decimal::Decimal;
use std::sync::Arc;

/// The kernels of the benefits a batch decider decides.
#[derive(Debug, Clone)]
pub struct Kernels {
    benefits: Vec<Compiled>,
    reference: Option<i32>,
    window: (Option<i32>, Option<i32>),
    keep: Vec<String>,
}

/// A batch as the kernels decided it.
#[derive(Debug, Clone)]
pub struct KernelBatch {
    /// Per row: whether the kernels decided it (every benefit exactly).
    pub decided: Vec<bool>,
    /// Per benefit (in the decider's order): its decisions.
    pub benefits: Vec<run::BenefitRun>,
    /// Per benefit: its failure ids (bit `i` of a row's set is `ids[i]`).
    pub ids: Vec<Vec<Arc<str>>>,
    /// How many rows the kernels decided.
    pub count: usize,
}

impl KernelBatch {
    /// Benefit `b`'s decision of row `row` when the kernels decided it:
    /// status index, amount, failed ids in order.
    pub fn row(&self, b: usize, row: usize) -> Option<(u8, Option<Decimal>, Vec<Arc<str>>)> {
        if !self.decided.get(row).copied().unwrap_or(false) {
            return None;
        }
        let r = self.benefits.get(b)?;
        let amount = r.amount.get(row).copied().flatten().and_then(kernels::decimal);
        Some((*r.status.get(row)?, amount, self.failed(b, row).collect()))
    }

    /// The failed condition ids of benefit `b` in row `row`, in order.
    pub fn failed(&self, b: usize, row: usize) -> impl Iterator<Item = Arc<str>> + '_ {
        let set = self.benefits.get(b).and_then(|r| r.failed.get(row)).copied().unwrap_or(0);
        let ids = self.ids.get(b).map_or(&[][..], Vec::as_slice);
        ids.iter().enumerate().filter(move |(i, _)| set >> i & 1 == 1).map(|(_, id)| id.clone())
    }
}

impl Kernels {
    /// Compiles the benefits `benefits` (ids, in order) of `plan` for
    /// decisions under `opts`; `Err` says why they are left to the row
    /// interpreter (a benefit with a construct the kernels do not cover, a
    /// trace asked for, no date to decide on).
    pub fn new(plan: &Plan, benefits: &[Arc<str>], opts: &DecideOptions, keep: &[String]) -> Result<Self, String> {
        if opts.trace != TraceLevel::Off {
            return Err("a trace is asked for".into());
        }
        let p = plan.policy();
        let mut out = Vec::new();
        for id in benefits {
            let b = p.benefits.iter().find(|b| b.id == *id).ok_or_else(|| format!("no benefit `{id}`"))?;
            let c = compile::compile(p, b).map_err(|e| format!("benefit `{id}`: {e}"))?;
            if c.date.is_none() && opts.reference_date.is_none() {
                return Err(format!("benefit `{id}`: no reference date"));
            }
            out.push(c);
        }
        Ok(Kernels {
            benefits: out,
            reference: opts.reference_date.map(days_of),
            window: (p.meta.in_force_from.map(days_of), p.meta.in_force_until.map(days_of)),
            keep: keep.to_vec(),
        })
    }

    /// Why each benefit of `plan` is or is not covered by the kernels.
    pub fn coverage(plan: &Plan) -> Vec<(Arc<str>, Result<(), String>)> {
        let p = plan.policy();
        p.benefits.iter().map(|b| (b.id.clone(), compile::compile(p, b).map(|_| ()))).collect()
    }

    /// Runs the kernels over `batch` (its schema already checked).
    pub fn run(&self, plan: &Plan, batch: &RecordBatch) -> KernelBatch {
        let bound = run::bind(plan.policy(), batch, &self.keep);
        let benefits: Vec<run::BenefitRun> = self.benefits.iter().map(|c| run::run(c, &bound, self.reference, self.window)).collect();
        let decided: Vec<bool> = (0..bound.n).map(|i| benefits.iter().all(|b| !b.bad.get(i).copied().unwrap_or(true))).collect();
        let count = decided.iter().filter(|d| **d).count();
        KernelBatch { decided, benefits, ids: self.benefits.iter().map(|c| c.ids.clone()).collect(), count }
    }
}
