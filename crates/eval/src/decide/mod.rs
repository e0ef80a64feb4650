//! Deciding one applicant: per benefit, the date, the in-force window, the
//! rule version, scope, conditions (all of them), the amount pipeline and the
//! outcomes, each step recorded in the trace when tracing is on. This file
//! holds the decider and a decision's frame (the benefits asked for, their
//! order, the trace's roots); `benefit.rs` one benefit's steps, `steps.rs`
//! the amount pipeline and the outcomes.

use crate::decision::*;
use crate::error::EvalError;
use crate::facts::Facts;
use crate::interp::{AmountRead, Budget, Ctx, Halt, Scratch, Stop, MAX_DECISION_STEPS};
use crate::plan::Plan;
use crate::trace::{NodeKind, Trace, TraceLevel, Verdict};
use crate::tracelog::{Event, Shown};
use chrono::NaiveDate;
use policy_core::checked::{BenefitDef, Citation};
use rust_decimal::Decimal;
use std::sync::Arc;

mod benefit;
mod steps;

pub use crate::decision::DecideOptions;

/// Accumulates one benefit's findings. Its vectors are the decision's own,
/// moved in empty and moved back, so their capacity is reused.
#[derive(Default)]
struct Findings {
    scope_failed: bool,
    failed: Vec<Failure>,
    missing: Vec<Arc<str>>,
    errors: Vec<String>,
    undecided_scope: bool,
}

impl Findings {
    fn stop(&mut self, mut s: Halt, id: &str, cite: Option<&Citation>) {
        // Missing names are copied out (`Arc` clones), so the stop's box and
        // list go back to the pool when `s` drops (`halt.rs`).
        match &mut *s {
            Stop::Missing(names) => {
                for n in names.iter() {
                    if !self.missing.contains(n) {
                        self.missing.push(n.clone());
                    }
                }
            }
            Stop::NoRow { id: row_id, table, keys, citation } => self.failed.push(Failure {
                id: row_id.clone(),
                kind: FailureKind::NoRow,
                label: crate::halt::shared_fmt(format_args!("no row in `{table}` for ({keys}) (step `{id}`)")),
                citation: citation.take().or_else(|| cite.cloned()),
            }),
            Stop::NoTier { subject } => self.failed.push(Failure {
                id: crate::halt::shared_fmt(format_args!("no_tier:{id}")),
                kind: FailureKind::NoTier,
                label: crate::halt::shared_fmt(format_args!("no tier matched {subject}")),
                citation: cite.cloned(),
            }),
            Stop::Error(e) => self.errors.push(std::mem::take(e)),
        }
    }
}

/// Decides applicants one after another against one plan, reusing its
/// buffers and its last decision: once they have grown to the policy's size,
/// a decision with the trace off allocates nothing. Get one from
/// [`Plan::decider`]; one per thread (it is `Send`, not shared).
///
/// ```
/// # use policy_eval::{DecideOptions, Engine};
/// # use policy_core::loader::MemoryLoader;
/// # let mut loader = MemoryLoader::new();
/// # loader.add_policy("demo.policy", "policy demo.p \"示例\"\n  in_force 2021-01-01 .. 2021-12-31\ninput days: int \"天数\"\nbenefit b \"补贴\" {\n  payee person\n  require days >= 3 \"不少于3天\"\n  amount days * 100 yuan\n}\n");
/// # let engine = Engine::from_loader(&loader).map_err(|e| e.to_string())?;
/// let plan = engine.plan("demo.p").ok_or("no plan")?;
/// let opts = DecideOptions { reference_date: "2021-06-01".parse().ok(), ..Default::default() };
/// let mut decider = plan.decider();
/// let mut total = rust_decimal::Decimal::ZERO;
/// for days in [2, 3, 10] {
///     let facts = plan.facts().set("days", days).build().map_err(|e| e.to_string())?;
///     let decision = decider.decide(&facts, &opts).map_err(|e| e.to_string())?;
///     total += decision.benefits[0].amount.unwrap_or_default();
/// }
/// assert_eq!(total, rust_decimal::Decimal::from(1300));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Decider<'p> {
    plan: &'p Plan,
    scratch: Scratch,
    fast: crate::compiled::Scratch,
    /// Whether the last decision was made on the compiled fast path.
    compiled: bool,
    decision: Decision,
}

impl<'p> Decider<'p> {
    /// Decides one applicant; the decision lives until the next call (clone
    /// it, or use [`Decider::take`], to keep it).
    ///
    /// With the trace off, the compiled plan decides when it can (the
    /// module `compiled`), and the interpreter otherwise: the decision is
    /// the same either way ([`Decider::decide_interpreted`] is the
    /// reference).
    pub fn decide(&mut self, facts: &Facts, opts: &DecideOptions) -> Result<&Decision, EvalError> {
        self.compiled = self.plan.decide_into(facts, opts, &mut self.decision, &mut self.scratch, Some(&mut self.fast), Build::Tree)?;
        Ok(&self.decision)
    }

    /// Decides one applicant as [`Decider::decide`] does, but records the
    /// trace `opts.trace` asks for only as an event log: the decision's
    /// `trace` stays empty, and [`Decider::trace`] builds it from the log
    /// when it is wanted (say, only for the applicants refused). Recording
    /// costs about a third of recording and building (12,500 against 37,400
    /// instructions for a Jiaxing full trace): the tree's text and vectors
    /// are paid only by a trace asked for.
    pub fn decide_logged(&mut self, facts: &Facts, opts: &DecideOptions) -> Result<&Decision, EvalError> {
        self.compiled = self.plan.decide_into(facts, opts, &mut self.decision, &mut self.scratch, Some(&mut self.fast), Build::Log)?;
        Ok(&self.decision)
    }

    /// Appends the last decision's JSON to `out` ([`Decision::write_json`]);
    /// the trace of a [`Decider::decide_logged`] decision is written
    /// straight from its event log: the same bytes as the decision with
    /// [`Decider::trace`] put in, without building the tree.
    pub fn write_json(&self, out: &mut String) {
        self.decision.write_json_with(out, Some((&self.scratch.log, self.plan)));
    }

    /// The trace of the last decision, built from its event log: the same
    /// tree [`Decider::decide`] gives in [`Decision::trace`] at the level
    /// the decision asked for; `None` when it asked for none.
    pub fn trace(&self) -> Option<Trace> {
        match self.scratch.log.level {
            TraceLevel::Off => None,
            _ => Some(self.scratch.log.build(self.plan)),
        }
    }

    /// Decides one applicant with the tree-walking interpreter only: the
    /// reference the compiled plan is tested against (the differential
    /// tests, the fuzz target `eval_arbitrary`). Same result as
    /// [`Decider::decide`], slower with the trace off.
    pub fn decide_interpreted(&mut self, facts: &Facts, opts: &DecideOptions) -> Result<&Decision, EvalError> {
        self.compiled = self.plan.decide_into(facts, opts, &mut self.decision, &mut self.scratch, None, Build::Tree)?;
        Ok(&self.decision)
    }

    /// Whether the last decision was made by the compiled plan (the fast
    /// path) rather than the interpreter: for tests and benchmarks, which
    /// check that the fast path is taken where it should be.
    pub fn decided_compiled(&self) -> bool {
        self.compiled
    }

    /// The last decision, moved out (the next one starts from empty buffers).
    pub fn take(&mut self) -> Decision {
        std::mem::replace(&mut self.decision, self.plan.empty_decision())
    }

    /// The plan it decides with.
    pub fn plan(&self) -> &'p Plan {
        self.plan
    }
}

/// What deciding leaves of the trace asked for.
#[derive(Debug, Clone, Copy)]
enum Build {
    /// The tree, in the decision.
    Tree,
    /// The event log only (the decider keeps it).
    Log,
}

impl Plan {
    /// A [`Decider`]: decides many applicants, reusing buffers between them.
    pub fn decider(&self) -> Decider<'_> {
        Decider {
            plan: self,
            scratch: Scratch::default(),
            fast: crate::compiled::Scratch::default(),
            compiled: false,
            decision: self.empty_decision(),
        }
    }

    /// Decides every benefit (or those named in `opts`) for one applicant.
    /// To decide many, [`Plan::decider`] reuses the buffers this allocates.
    pub fn decide(&self, facts: &Facts, opts: &DecideOptions) -> Result<Decision, EvalError> {
        let mut decider = self.decider();
        decider.decide(facts, opts)?;
        Ok(decider.decision)
    }

    /// [`Plan::decide`] by the tree-walking interpreter only, never the
    /// compiled plan: the reference (see [`Decider::decide_interpreted`]).
    pub fn decide_reference(&self, facts: &Facts, opts: &DecideOptions) -> Result<Decision, EvalError> {
        let mut decider = self.decider();
        decider.decide_interpreted(facts, opts)?;
        Ok(decider.decision)
    }

    /// Per benefit, in declaration order: `None` when the compiled plan
    /// decides it (with the trace off, in the common case), else why it is
    /// always left to the interpreter.
    pub fn compiled_coverage(&self) -> Vec<(std::sync::Arc<str>, Option<String>)> {
        let empty = crate::compiled::Program::default();
        let program = crate::compiled::program(self).unwrap_or(&empty);
        self.policy().benefits.iter().zip(program.coverage()).map(|(b, why)| (b.id.clone(), why.map(String::from))).collect()
    }

    /// Warnings about the options themselves, the same for every applicant:
    /// a reference date that no benefit decided uses (each is dated by its
    /// own `dated_by` fact), so passing it changes nothing. The CLI prints
    /// them once per run (`docs/cli.md`).
    pub fn option_warnings(&self, opts: &DecideOptions) -> Vec<Warning> {
        let mut out = Vec::new();
        if let Some(date) = opts.reference_date {
            let p = self.policy();
            let mut decided = p.benefits.iter().filter(|b| opts.benefits.is_empty() || opts.benefits.iter().any(|id| **id == *b.id));
            if decided.all(|b| b.dated_by.is_some()) {
                out.push(Warning {
                    fact: None,
                    message: format!(
                        "the reference date {date} is used by no benefit decided: each is dated by its own `dated_by` fact, so the date changes nothing"
                    ),
                });
            }
        }
        out
    }

    fn empty_decision(&self) -> Decision {
        Decision {
            schema_version: SCHEMA_VERSION,
            policy: self.shared.policy.clone(),
            engine_version: self.shared.engine_version.clone(),
            reference_date: None,
            benefits: Vec::new(),
            warnings: Vec::new(),
            trace: None,
        }
    }

    /// Decides into `out`, reusing its vectors and `scratch`'s buffers;
    /// with `fast` buffers and the trace off, the compiled plan first.
    /// `true` when the compiled plan decided.
    fn decide_into(
        &self,
        facts: &Facts,
        opts: &DecideOptions,
        out: &mut Decision,
        scratch: &mut Scratch,
        fast: Option<&mut crate::compiled::Scratch>,
        build: Build,
    ) -> Result<bool, EvalError> {
        let p = self.policy();
        // The log holds this decision's events only (none when it fails or
        // the compiled plan decides).
        scratch.log.start(TraceLevel::Off);
        for id in &opts.benefits {
            if !p.benefits.iter().any(|b| *b.id == **id) {
                return Err(EvalError::UnknownBenefit(id.clone()));
            }
        }
        scratch.log.level = opts.trace;
        let reference = opts.reference_date.or_else(|| {
            self.application_date.and_then(|id| facts.inputs.get(id.index()).and_then(|v| v.as_ref()).and_then(|v| v.date().ok()))
        });
        out.schema_version = SCHEMA_VERSION;
        if !Arc::ptr_eq(&out.policy, &self.shared.policy) {
            out.policy = self.shared.policy.clone();
        }
        if !Arc::ptr_eq(&out.engine_version, &self.shared.engine_version) {
            out.engine_version = self.shared.engine_version.clone();
        }
        out.reference_date = reference;
        out.warnings.clear();
        out.warnings.extend(facts.warnings.iter().cloned());
        // The compiled plan decides what it decides exactly; on anything
        // else the interpreter decides the whole decision again below.
        if let (Some(fast), TraceLevel::Off) = (fast, opts.trace) {
            if let Some(program) = crate::compiled::program(self) {
                if crate::compiled::run(self, program, facts, opts, reference, out, fast) {
                    return Ok(true);
                }
            }
        }
        // The benefits asked for take the decision's slots, in declaration
        // order; the benefits they read are decided too (first), and only
        // read.
        let all = opts.benefits.is_empty();
        let asked = |b: &BenefitDef| all || opts.benefits.iter().any(|id| **id == *b.id);
        let any_reads = p.benefits.iter().any(|x| !x.reads.is_empty());
        if any_reads {
            scratch.amounts.clear();
            scratch.amounts.resize(p.benefits.len(), AmountRead::Unset);
        }
        if !all {
            scratch.slots.clear();
        }
        let mut n = 0;
        for b in &p.benefits {
            if asked(b) {
                if !all {
                    scratch.slots.push(Some(n));
                }
                if out.benefits.len() <= n {
                    out.benefits.push(BenefitDecision::empty(b));
                }
                n += 1;
            } else {
                scratch.slots.push(None);
            }
        }
        out.benefits.truncate(n);
        if !all {
            self.mark_read(scratch);
        }
        let mut aside: Option<BenefitDecision> = None;
        // Steps spent by the benefits decided so far, against MAX_DECISION_STEPS.
        let mut spent = 0u64;
        for &i in &p.benefit_order {
            let i = i as usize;
            let Some(b) = p.benefits.get(i) else { continue };
            let slot = match if all { Some(i) } else { scratch.slots.get(i).copied().flatten() } {
                Some(n) => Some(n),
                None if scratch.read.get(i).copied().unwrap_or(false) => None,
                None => continue,
            };
            let traced = slot.is_some() && opts.trace != TraceLevel::Off;
            let target = match slot {
                Some(n) => out.benefits.get_mut(n),
                None => Some(aside.get_or_insert_with(|| BenefitDecision::empty(b))),
            };
            let Some(target) = target else { continue };
            if let (true, Some(n)) = (traced, slot) {
                let mut root = Event::new(NodeKind::Benefit);
                root.id = Some(b.id.clone());
                root.label = Some(b.label.clone());
                root.citation = b.cite.clone();
                scratch.log.root(n, root);
            }
            let mut ctx = Ctx::new(self, facts, reference, traced.then_some(opts.trace), scratch);
            ctx.share_budget(MAX_DECISION_STEPS.saturating_sub(spent), Budget::Decision);
            self.decide_benefit(b, &mut ctx, reference, target);
            spent = spent.saturating_add(ctx.steps());
            ctx.release();
            if any_reads {
                let read = amount_read(target);
                if let Some(a) = scratch.amounts.get_mut(i) {
                    *a = read;
                }
            }
        }
        out.trace = match (opts.trace, build) {
            (TraceLevel::Off, _) | (_, Build::Log) => None,
            (_, Build::Tree) => Some(scratch.log.build(self)),
        };
        Ok(false)
    }

    /// Decides benefit `b` in `ctx` into `out` (its previous contents
    /// replaced, its vectors reused); when tracing, closes its root event.
    fn decide_benefit(&self, b: &BenefitDef, ctx: &mut Ctx<'_>, reference: Option<NaiveDate>, out: &mut BenefitDecision) {
        out.reset(b);
        let mut f = Findings {
            failed: std::mem::take(&mut out.failed),
            missing: std::mem::take(&mut out.missing),
            errors: std::mem::take(&mut out.errors),
            ..Findings::default()
        };
        let status = self.run_benefit(b, ctx, reference, out, &mut f);
        out.status = status;
        out.failed = f.failed;
        out.missing = f.missing;
        out.errors = f.errors;
        if status != Status::Eligible {
            clear_outcomes(&mut out.entitlements);
            clear_outcomes(&mut out.documents);
            out.deadlines.clear();
            clear_outputs(&mut out.outputs);
            out.amount = None;
            out.amount_range = None;
        }
        if status != Status::Undetermined {
            out.missing.clear();
            crate::halt::park_texts(&mut out.errors);
        }
        if let Some(log) = ctx.log() {
            if let Some(n) = log.root_event() {
                n.verdict = match status {
                    Status::Eligible => Verdict::Pass,
                    Status::Ineligible | Status::NotApplicable => Verdict::Fail,
                    Status::Undetermined => Verdict::Unknown,
                };
                n.result = Shown::Benefit(status, out.amount, out.amount_range.as_ref().map(|r| (r.low, r.high)));
            }
            log.finish_root();
        }
    }

    /// Whether nothing `b` decides can turn on a date, so that it decides
    /// without a reference date (`compiled::date_free`).
    #[cold]
    fn is_date_free(&self, b: &BenefitDef) -> bool {
        let p = self.policy();
        p.benefits.iter().position(|x| std::ptr::eq(x, b)).and_then(|i| self.date_free.get(i)).copied().unwrap_or(false)
    }

    /// Marks in `scratch.read` every benefit a benefit asked for reads
    /// (`amount_of`), directly or through another: they are decided too.
    #[cold]
    fn mark_read(&self, scratch: &mut Scratch) {
        let p = self.policy();
        scratch.read.clear();
        scratch.read.resize(p.benefits.len(), false);
        let mut pending: Vec<usize> = (0..p.benefits.len()).filter(|&i| scratch.slots.get(i).copied().flatten().is_some()).collect();
        while let Some(i) = pending.pop() {
            for &d in p.benefits.get(i).map_or(&[][..], |b| b.reads.as_slice()) {
                if let Some(r) = scratch.read.get_mut(d as usize) {
                    if !*r {
                        *r = true;
                        pending.push(d as usize);
                    }
                }
            }
        }
    }
}

/// What a decided benefit pays, as `amount_of` reads it: its amount when
/// eligible (zero without an amount clause), zero when refused.
fn amount_read(d: &BenefitDecision) -> AmountRead {
    match d.status {
        Status::Eligible => match (&d.amount, &d.amount_range) {
            (Some(a), _) => AmountRead::Value(*a, d.status),
            (None, Some(r)) => AmountRead::Range(r.low, r.high),
            (None, None) => AmountRead::Value(Decimal::ZERO, d.status),
        },
        Status::Ineligible | Status::NotApplicable => AmountRead::Value(Decimal::ZERO, d.status),
        Status::Undetermined if !d.missing.is_empty() => AmountRead::Missing(d.missing.clone()),
        Status::Undetermined => AmountRead::Error(d.errors.join("; ")),
    }
}
