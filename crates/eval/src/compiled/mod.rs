//! The compiled plan: a fast path for deciding with the trace off, the
//! tree-walking interpreter (`interp/`, `decide/`) kept as the reference.
//!
//! At [`crate::Plan::compile`] each benefit whose constructs are supported is
//! compiled ([`compile`]) into typed closures: one boxed `Fn` per expression
//! node, returning the node's value as a Rust type (`bool`, `Decimal`,
//! `NaiveDate`, an enum's variant index, `Arc<str>`, a record or list as
//! `Arc<[Value]>`), never a [`Value`] to match on, constants folded at
//! compile time (unit conversions, percent and money literals, any
//! subexpression that reads no fact), tables keyed by an enum as arrays
//! indexed by the variant, lets cached once per decision (once per date
//! when they read the date). A node answers `None` on anything it does not
//! decide exactly: a missing fact, an overflow, a division by zero, no row,
//! no tier, no match arm.
//!
//! **The deopt rule.** [`run`] decides the common case only: every fact it
//! needs present, no arithmetic error, every benefit asked for compiled, the
//! trace off. A node answers `None` only where the interpreter's answer is a
//! stop (its three-valued `and`, `or`, `in {…}`, `any` and `all` are
//! reproduced); a condition's `None` counts for nothing when a false scope
//! or a failed condition decides (as in the interpreter), unless it may be
//! a refusal (no row, no tier). Any other `None` deoptimises: the whole
//! decision is decided again by the interpreter from scratch into the same
//! buffers, so a decision is the interpreter's by construction wherever the
//! fast path is unsure. Where the
//! fast path answers, it fills the same [`crate::Decision`] (statuses,
//! amounts computed by the same `rust_decimal` operations in the same
//! order, failures with the same shared ids, labels and citations, dates,
//! versions, outcomes) and allocates nothing once warm (but a list literal
//! that reads a fact: its list, as the interpreter's). Not compiled: a
//! benefit that reads another's amount when only some benefits are asked
//! for (left to the interpreter, which decides the ones it reads aside),
//! and one whose budget facts could exhaust (below), such as `==` on lists
//! of records that hold lists.
//!
//! **Budgets.** A compiled benefit is loop-free except over lists (at most
//! [`crate::facts::MAX_LIST_LEN`] elements, or a table's rows): its
//! worst-case step count (counted as the interpreter counts) and nesting
//! depth are computed at compile time (a comparison of records or lists
//! counted at both values' largest weight, as the interpreter charges it:
//! [`analysis::Measure::weight`]), and a benefit that could exceed
//! [`crate::MAX_EVAL_STEPS`] or [`crate::MAX_EVAL_DEPTH`], or a policy whose
//! compiled benefits together could exceed [`crate::MAX_DECISION_STEPS`],
//! is not compiled. So the fast path never runs where the interpreter would
//! have reported a budget error, and needs no budget check of its own.
//!
//! The differential tests (`tests/compiled.rs`, `tests/generated_policies.rs`,
//! the fuzz target `eval_arbitrary`) compare both paths decision for
//! decision and count how many decisions took the fast path.

mod analysis;
mod compile;
mod expr;
mod forms;
mod pred;
mod run;

pub(crate) use compile::{compile, date_free, refusing};
pub(crate) use run::run;

use crate::facts::Facts;
use chrono::NaiveDate;
use policy_core::checked::Citation;
use policy_core::value::Value;
use rust_decimal::Decimal;
use std::sync::Arc;

/// The plan's compiled program (`Plan::compiled` holds it without naming
/// its type); `None` only if it were something else, which `Plan::compile`
/// never makes it.
#[inline]
pub(crate) fn program(plan: &crate::plan::Plan) -> Option<&Program> {
    plan.compiled.0.downcast_ref::<Program>()
}

/// A compiled expression node producing a `T`; `None` deoptimises.
pub(crate) type Fx<T> = Box<dyn Fn(&mut Env<'_>) -> Option<T> + Send + Sync>;

/// What the closures read: the facts, the benefit's date, the amount so far
/// (caps and overrides), and the buffers of one decider.
pub(crate) struct Env<'a> {
    pub facts: &'a Facts,
    pub date: Option<NaiveDate>,
    pub amount: Option<Decimal>,
    pub s: &'a mut Scratch,
}

/// A let's value cached for one decision (and one date, when it reads it).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LetSlot {
    /// The decision it was computed in ([`Scratch::stamp`]).
    pub stamp: u64,
    pub date: Option<NaiveDate>,
    pub value: Cached,
}

/// A cached scalar.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) enum Cached {
    #[default]
    None,
    Bool(bool),
    Num(Decimal),
    Date(NaiveDate),
    Enum(u32),
}

/// The fast path's buffers, kept by a [`crate::Decider`] between decisions.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// Counts decisions: a let slot is valid for the decision it was
    /// computed in only.
    pub stamp: u64,
    pub lets: Vec<LetSlot>,
    /// Quantifier elements and function arguments, innermost last.
    pub locals: Vec<Value>,
    /// Values being gathered: a table lookup's keys, a call's arguments.
    pub stack: Vec<Value>,
    /// Per benefit: what it pays once decided in this decision (`amount_of`).
    pub amounts: Vec<Option<Decimal>>,
    /// Deadlines kept for reuse (`run`).
    pub spare: run::Spare,
    /// Per benefit (declaration order): its failures and outcomes not in the
    /// decision, each at its index in [`BenefitProg::failures`],
    /// [`BenefitProg::entitlements`] or [`BenefitProg::documents`], kept
    /// (moved, not dropped) for the next decisions (`run::refill`).
    pub pools: Vec<Pools>,
    /// Per slot of the decision's benefits: which entries its lists were
    /// last filled with (`run::refill` still checks each entry), and lists
    /// kept whole for the next decisions.
    pub held: Vec<Slot>,
    /// The last `DecideOptions::benefits`, and per benefit whether it names it.
    pub asked_for: Vec<String>,
    /// The benefits it names, by index, in declaration order, for a policy
    /// of `asked_of` benefits.
    pub asked: Vec<usize>,
    pub asked_of: usize,
}

/// A benefit's failures and outcomes not in the decision, each in its place.
#[derive(Debug, Default)]
pub(crate) struct Pools {
    pub failures: Vec<Option<crate::decision::Failure>>,
    pub entitlements: Vec<Option<crate::decision::Outcome>>,
    pub documents: Vec<Option<crate::decision::Outcome>>,
}

/// Which of a benefit's entries each list of its decision holds: bit `i`
/// for entry `i` (a list holds its entries in the order of their indices).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lists {
    pub failed: u64,
    pub entitlements: u64,
    pub documents: u64,
}

/// A slot's lists, as [`Scratch::held`] keeps them.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    /// What the decision's lists hold.
    pub held: Lists,
    /// Lists kept whole (their buffers and entries), each with what it
    /// holds: the decision's list is swapped with one of them when it
    /// holds what the decision wants (`run::refill`).
    pub failed: Vec<(u64, Vec<crate::decision::Failure>)>,
    pub entitlements: Vec<(u64, Vec<crate::decision::Outcome>)>,
    pub documents: Vec<(u64, Vec<crate::decision::Outcome>)>,
}

/// Kinds of condition, as the decision lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CondKind {
    Applies,
    Require,
    Exclude,
}

/// A compiled condition and the failure it lists when it decides against.
pub(crate) struct Cond {
    pub kind: CondKind,
    /// Whether the test may stop on no row or no tier (a refusal, which the
    /// interpreter lists as a failure): then a `None` deoptimises; else it
    /// is a missing fact or an error, which another condition's verdict
    /// may outweigh.
    pub may_refuse: bool,
    pub test: pred::Pred,
    /// The failure it lists: its index in [`BenefitProg::failures`].
    pub failure: u32,
}

/// A compiled amount step.
pub(crate) enum Step {
    Base(Fx<Decimal>),
    Cap(Fx<Decimal>),
    /// A cap that is a constant, compared as integers where the scales allow.
    CapConst(Box<expr::Konst>),
    Uplift {
        rate: Fx<Decimal>,
        when: pred::Pred,
        until: Option<NaiveDate>,
    },
    Override {
        when: pred::Pred,
        value: Fx<Decimal>,
    },
}

/// A compiled entitlement or document.
pub(crate) struct OutcomeProg {
    pub when: Option<pred::Pred>,
    /// Its entry: the index in [`BenefitProg::entitlements`] or
    /// [`BenefitProg::documents`].
    pub outcome: u32,
}

/// A compiled deadline.
pub(crate) struct DeadlineProg {
    pub date: Fx<NaiveDate>,
    pub label: Arc<str>,
    pub citation: Option<Citation>,
}

/// A compiled rule set (the base, or a version).
#[derive(Default)]
pub(crate) struct Rules {
    /// The scopes (`applies_when`), then the other conditions, each in order.
    pub scopes: Vec<Cond>,
    pub conditions: Vec<Cond>,
    pub steps: Vec<Step>,
    pub entitlements: Vec<OutcomeProg>,
    pub documents: Vec<OutcomeProg>,
    pub deadlines: Vec<DeadlineProg>,
    /// A version whose steps set the amount anew (the base's steps do not run).
    pub replaces: bool,
}

/// A compiled dated version.
pub(crate) struct Version {
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
    pub rules: Rules,
}

/// A compiled output.
pub(crate) struct OutputProg {
    pub value: expr::X,
    pub id: Arc<str>,
    pub label: Option<Arc<str>>,
    pub ty: policy_core::checked::Type,
    /// The type's name, shared.
    pub ty_name: Arc<str>,
    pub citation: Option<Citation>,
}

/// A compiled benefit.
pub(crate) struct BenefitProg {
    pub dated_by: Option<Fx<NaiveDate>>,
    /// Decides without a date when none is given ([`date_free`]).
    pub date_free: bool,
    pub base: Rules,
    pub versions: Vec<Version>,
    pub outputs: Vec<OutputProg>,
    /// Every failure the benefit may list and every entitlement and
    /// document, as the decision lists them: the entries a decision's lists
    /// are filled with (moved from [`Scratch::pools`], else cloned from
    /// here). Numbered so that a list holds its entries in the order of
    /// their indices: failures of scopes (base, then each version), then of
    /// the other conditions (base, then each version), then not in force;
    /// entitlements and documents of the base, then of each version.
    pub failures: Vec<crate::decision::Failure>,
    pub entitlements: Vec<crate::decision::Outcome>,
    pub documents: Vec<crate::decision::Outcome>,
    /// Whether every list's entries number at most 64 (one bit each in
    /// [`Lists`]); else each decision fills the lists anew (clones).
    pub narrow: bool,
}

/// The compiled plan: per benefit its program, or why it is interpreted.
#[derive(Default)]
pub(crate) struct Program {
    pub benefits: Vec<Result<BenefitProg, String>>,
    pub in_force: (Option<NaiveDate>, Option<NaiveDate>),
    /// Whether some benefit reads another's amount (`amount_of`).
    pub reads: bool,
    /// The compiled functions and lets the benefits' closures hold, in the
    /// order compiled: dropped last first, after the benefits
    /// ([`expr::drop_last_first`]).
    pub kept: Vec<Arc<expr::X>>,
}

impl Drop for Program {
    fn drop(&mut self) {
        self.benefits.clear();
        expr::drop_last_first(&mut self.kept);
    }
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program")
            .field("compiled", &self.benefits.iter().filter(|b| b.is_ok()).count())
            .field("interpreted", &self.benefits.iter().filter_map(|b| b.as_ref().err()).collect::<Vec<_>>())
            .finish()
    }
}

impl Program {
    /// Per benefit (declaration order): `None` when compiled, else why it
    /// goes through the interpreter.
    pub(crate) fn coverage(&self) -> impl Iterator<Item = Option<&str>> {
        self.benefits.iter().map(|b| b.as_ref().err().map(String::as_str))
    }
}
