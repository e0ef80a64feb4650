//! Deciding one applicant: per benefit, the date, the in-force window, the
//! rule version, scope, conditions (all of them), the amount pipeline and the
//! outcomes, each step recorded in the trace when tracing is on.

use crate::decision::*;
use crate::error::EvalError;
use crate::facts::Facts;
use crate::interp::{AmountRead, Budget, Ctx, Halt, Scratch, Stop, MAX_DECISION_STEPS};
use crate::plan::Plan;
use crate::trace::{NodeKind, Trace, TraceLevel, Verdict};
use crate::tracelog::{Event, Shown};
use chrono::NaiveDate;
use policy_core::ast::ConditionKind;
use policy_core::checked::{AmountStepDef, BenefitDef, CExpr, CKind, Citation, ConditionDef, OutcomeDef};
use policy_core::value::{self as v, Value};
use rust_decimal::Decimal;
use std::sync::Arc;

/// What to decide and how much to explain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecideOptions {
    /// The decision's reference date; default: the `application_date` fact
    /// when the policy declares one.
    pub reference_date: Option<NaiveDate>,
    /// Benefit ids to decide; empty means all.
    pub benefits: Vec<String>,
    /// Trace level.
    pub trace: TraceLevel,
}

/// The running amount: exact, or a range when an authority sets it.
#[derive(Debug, Clone, Copy)]
enum Amount {
    Exact(Decimal),
    Range(Decimal, Decimal),
}

impl Amount {
    /// Applies `f` to the amount, or to each bound of a range; the range
    /// stays ordered when `f` reverses it (a factor below zero).
    fn map(self, f: impl Fn(Decimal) -> Result<Decimal, Halt>) -> Result<Amount, Halt> {
        Ok(match self {
            Amount::Exact(a) => Amount::Exact(f(a)?),
            Amount::Range(l, h) => Amount::ordered(f(l)?, f(h)?),
        })
    }

    /// The range between `x` and `y`, whichever is lower.
    fn ordered(x: Decimal, y: Decimal) -> Amount {
        Amount::Range(x.min(y), x.max(y))
    }

    /// Whether two amounts are the same value (or the same range).
    fn same(&self, other: &Amount) -> bool {
        match (*self, *other) {
            (Amount::Exact(a), Amount::Exact(b)) => a == b,
            (Amount::Range(a, b), Amount::Range(c, d)) => a == c && b == d,
            _ => false,
        }
    }

    /// The lowest value the amount can take.
    fn low(&self) -> Decimal {
        match *self {
            Amount::Exact(a) | Amount::Range(a, _) => a,
        }
    }
}

/// An amount step's expression evaluated with `amount` bound to the amount
/// so far: its values at the low and the high end. A range's low end is
/// evaluated only when the expression read `amount` at the high end, so an
/// expression that ignores it runs once.
fn eval_with_amount(ctx: &mut Ctx<'_>, e: &CExpr, current: Amount) -> Result<(Decimal, Decimal), Halt> {
    let at = |ctx: &mut Ctx<'_>, a: Decimal| -> Result<Decimal, Halt> {
        ctx.amount = Some(a);
        ctx.amount_read = false;
        let r = ctx.eval(e).and_then(|x| Ok(x.num()?));
        ctx.amount = None;
        r
    };
    match current {
        Amount::Exact(a) => at(ctx, a).map(|x| (x, x)),
        Amount::Range(l, h) => {
            let high = at(ctx, h)?;
            let low = if ctx.amount_read { at(ctx, l)? } else { high };
            Ok((low, high))
        }
    }
}

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
                label: Arc::from(format!("no row in `{table}` for ({keys}) (step `{id}`)")),
                citation: citation.take().or_else(|| cite.cloned()),
            }),
            Stop::NoTier { subject } => self.failed.push(Failure {
                id: Arc::from(format!("no_tier:{id}")),
                kind: FailureKind::NoTier,
                label: Arc::from(format!("no tier matched {subject}")),
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
        self.policy().benefits.iter().zip(self.compiled.coverage()).map(|(b, why)| (b.id.clone(), why.map(String::from))).collect()
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
            if crate::compiled::run(self, &self.compiled, facts, opts, reference, out, fast) {
                return Ok(true);
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
            out.entitlements.clear();
            out.documents.clear();
            out.deadlines.clear();
            out.outputs.clear();
            out.amount = None;
            out.amount_range = None;
        }
        if status != Status::Undetermined {
            out.missing.clear();
            out.errors.clear();
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

    fn run_benefit(
        &self,
        b: &BenefitDef,
        ctx: &mut Ctx<'_>,
        reference: Option<NaiveDate>,
        out: &mut BenefitDecision,
        f: &mut Findings,
    ) -> Status {
        let p = self.policy();
        // 1. The benefit's date.
        let date = match &b.dated_by {
            Some(e) => match ctx.eval(e) {
                Ok(Value::Date(d)) => {
                    out.date = Some(DateUsed { date: d, source: DateSource::DatedBy, label: b.dated_by_label.clone() });
                    Some(d)
                }
                Ok(_) => {
                    f.errors.push("internal: the benefit's date is not a date".into());
                    return Status::Undetermined;
                }
                Err(s) => {
                    f.stop(s, "dated_by", None);
                    self.trace_date(
                        ctx,
                        None,
                        || Shown::Static("the benefit's date could not be determined"),
                        Verdict::Unknown,
                        b.dated_by.as_ref(),
                    );
                    return self.without_date(b, ctx, f);
                }
            },
            None => match reference {
                Some(d) => {
                    out.date = Some(DateUsed { date: d, source: DateSource::Reference, label: None });
                    Some(d)
                }
                // Nothing the benefit decides can turn on a date: it
                // decides without one.
                None if self.is_date_free(b) => {
                    self.trace_date(ctx, None, || Shown::Static("no reference date, and none is needed: no in-force window, version, dated parameter or expression reads the date"), Verdict::Pass, None);
                    None
                }
                None => {
                    match self.application_date {
                        Some(id) => f.missing.push(self.input_name(id.index())),
                        None => f.errors.push("no reference date: pass one (e.g. `--as-of`)".into()),
                    }
                    self.trace_date(ctx, None, || Shown::Static("no reference date"), Verdict::Unknown, None);
                    return self.without_date(b, ctx, f);
                }
            },
        };
        ctx.date = date;
        // 2. In force.
        let (from, until) = (p.meta.in_force_from, p.meta.in_force_until);
        let window =
            || format!("{} .. {}", from.map(|d| d.to_string()).unwrap_or_default(), until.map(|d| d.to_string()).unwrap_or_default());
        if let Some(date) = date {
            if from.is_some_and(|f| date < f) || until.is_some_and(|u| date > u) {
                self.trace_date(
                    ctx,
                    Some(date),
                    || Shown::Text(format!("{date} is outside the policy's in-force window {}", window())),
                    Verdict::Fail,
                    b.dated_by.as_ref(),
                );
                f.failed.push(Failure {
                    id: self.shared.in_force_id.clone(),
                    kind: FailureKind::NotInForce,
                    label: self.shared.in_force_label.clone(),
                    citation: None,
                });
                return Status::NotApplicable;
            }
            self.trace_date(
                ctx,
                Some(date),
                || Shown::Within { date, dated_by: b.dated_by.is_some(), from, until },
                Verdict::Pass,
                b.dated_by.as_ref(),
            );
        }
        // 3. Version (a benefit decided without a date has none).
        let version = match date {
            None => None,
            Some(_) if b.versions.is_empty() => None,
            Some(date) => match b.versions.iter().find(|v| v.from <= date && v.until.is_none_or(|u| date <= u)) {
                Some(v) => {
                    out.version = Some(v.from);
                    if self.open(ctx, NodeKind::Version, None, None, None, None) {
                        let label = match v.until {
                            Some(u) => format!("from {} until {u}", v.from),
                            None => format!("from {}", v.from),
                        };
                        if let Some(n) = ctx.current() {
                            n.label = Some(Arc::from(label));
                        }
                        self.note(ctx, |_| Shown::Text(format!("this version applies on {date}")));
                        self.close(ctx, true, Verdict::Pass, |_| Shown::None);
                    }
                    Some(v)
                }
                None => {
                    let firsts: Vec<String> = b.versions.iter().map(|v| v.from.to_string()).collect();
                    let msg = format!("no version of the rule is in force on {date} (versions from {})", firsts.join(", "));
                    self.trace_simple(ctx, NodeKind::Version, Verdict::Fail, || msg.clone());
                    f.failed.push(Failure {
                        id: self.shared.version_id.clone(),
                        kind: FailureKind::NoVersion,
                        label: Arc::from(msg),
                        citation: b.cite.clone(),
                    });
                    return Status::NotApplicable;
                }
            },
        };
        let conditions = || b.base.conditions.iter().chain(version.iter().flat_map(|v| v.rules.conditions.iter()));
        // 4. Scope first: a benefit out of scope shows the scope that
        // excluded it, not a verdict on every condition after it.
        for c in conditions().filter(|c| c.kind == ConditionKind::Applies) {
            self.condition(ctx, c, f);
        }
        if f.scope_failed {
            f.failed.retain(|x| x.kind == FailureKind::Scope);
            return Status::NotApplicable;
        }
        // 5. Every other condition.
        for c in conditions().filter(|c| c.kind != ConditionKind::Applies) {
            self.condition(ctx, c, f);
        }
        if !f.failed.is_empty() && !f.undecided_scope {
            return Status::Ineligible;
        }
        // 6. Amount.
        let version_steps = version.map(|v| v.rules.amount.as_slice()).unwrap_or(&[]);
        let replaces = version_steps.iter().any(|s| matches!(s, AmountStepDef::Base { .. }));
        let base_steps: &[AmountStepDef] = if replaces { &[] } else { &b.base.amount };
        if f.undecided_scope || !f.missing.is_empty() || !f.errors.is_empty() {
            // Undetermined already: name every fact the amount needs too, so
            // that one answer lists all that is missing.
            self.probe_steps(ctx, base_steps.iter().chain(version_steps), f);
            self.probe_outputs(ctx, b, f);
            return Status::Undetermined;
        }
        let mut amount: Option<Amount> = None;
        let mut steps = base_steps.iter().chain(version_steps);
        for step in steps.by_ref() {
            match self.amount_step(ctx, step, amount, date, f) {
                Ok(a) => amount = a,
                Err(()) => break,
            }
        }
        if !f.missing.is_empty() {
            // The pipeline stopped for want of a fact: the later steps may
            // want more.
            self.probe_steps(ctx, steps, f);
            self.probe_outputs(ctx, b, f);
        }
        if !f.failed.is_empty() && f.missing.is_empty() && f.errors.is_empty() {
            return Status::Ineligible;
        }
        if !f.missing.is_empty() || !f.errors.is_empty() {
            return Status::Undetermined;
        }
        match amount {
            Some(a) if a.low() < Decimal::ZERO => {
                f.errors.push(format!("the amount is negative ({})", show_amount(&a)));
                return Status::Undetermined;
            }
            // A range the later steps narrowed to one value (a cap below its
            // low end) leaves the authority nothing to fix: it is the amount.
            Some(Amount::Exact(a)) => out.amount = Some(a),
            Some(Amount::Range(l, h)) if l == h => out.amount = Some(l),
            Some(Amount::Range(l, h)) => {
                let (set_by, criteria) = b
                    .base
                    .amount
                    .iter()
                    .chain(version_steps)
                    .find_map(|s| match s {
                        AmountStepDef::Base { expr: CExpr { kind: CKind::External(id), .. }, .. } => {
                            self.shared.authorities.get(id.index()).cloned().flatten()
                        }
                        _ => None,
                    })
                    .unwrap_or_else(|| (self.shared.empty.clone(), Arc::from([])));
                out.amount_range = Some(AmountRange { low: l, high: h, set_by, criteria });
            }
            None => {}
        }
        // 7. Outputs: values the decision reports besides the amount.
        for o in &b.outputs {
            let opened = self.open(ctx, NodeKind::Output, o.label.as_ref(), Some(&o.id), o.cite.as_ref(), Some(&o.expr));
            match ctx.eval(&o.expr) {
                Ok(value) => {
                    self.close(ctx, opened, Verdict::Info, |c| crate::interp::shown(c.plan, &value, &o.ty));
                    out.outputs.push(OutputValue {
                        id: o.id.clone(),
                        label: o.label.clone(),
                        ty: Arc::from(p.type_name(&o.ty)),
                        value: output_scalar(p, &value, &o.ty),
                        citation: o.cite.clone(),
                    });
                }
                Err(s) => {
                    self.close(ctx, opened, Verdict::Unknown, |_| Shown::Text(s.describe()));
                    f.stop(s, &o.id, o.cite.as_ref());
                }
            }
        }
        if !f.missing.is_empty() || !f.errors.is_empty() || !f.failed.is_empty() {
            out.outputs.clear();
            if !f.missing.is_empty() || !f.errors.is_empty() {
                return Status::Undetermined;
            }
            return Status::Ineligible;
        }
        // 8. Outcomes.
        let rules = std::iter::once(&b.base).chain(version.map(|v| &v.rules));
        for r in rules {
            for o in &r.entitlements {
                if let Some(x) = self.outcome(ctx, o, NodeKind::Entitlement, f) {
                    out.entitlements.push(x);
                }
            }
            for o in &r.documents {
                if let Some(x) = self.outcome(ctx, o, NodeKind::Document, f) {
                    out.documents.push(x);
                }
            }
            for d in &r.deadlines {
                let opened = self.open(ctx, NodeKind::Deadline, Some(&d.label), None, d.cite.as_ref(), Some(&d.expr));
                match ctx.eval(&d.expr) {
                    Ok(Value::Date(day)) => {
                        self.close(ctx, opened, Verdict::Info, |_| Shown::Date(day));
                        out.deadlines.push(Deadline { label: d.label.clone(), date: day, citation: d.cite.clone() });
                    }
                    Ok(_) => self.close(ctx, opened, Verdict::Unknown, |_| Shown::None),
                    Err(s) => {
                        self.close(ctx, opened, Verdict::Unknown, |_| Shown::Text(s.describe()));
                        f.stop(s, &d.label, d.cite.as_ref());
                    }
                }
            }
        }
        if !f.missing.is_empty() || !f.errors.is_empty() {
            return Status::Undetermined;
        }
        if !f.failed.is_empty() {
            return Status::Ineligible;
        }
        Status::Eligible
    }

    /// The status of a benefit whose date could not be determined: its
    /// scope still counts. A base `applies_when` that is false without the
    /// date makes it `not_applicable` (no date could change that); otherwise
    /// it is `undetermined`, and every fact its conditions and amount need
    /// besides the date is named too, so that one answer lists all that is
    /// missing. Conditions that need the date itself (a parameter) are
    /// unknown here and name nothing. The trace keeps the scope's nodes only
    /// when it decides.
    #[cold]
    fn without_date(&self, b: &BenefitDef, ctx: &mut Ctx<'_>, f: &mut Findings) -> Status {
        ctx.date = None;
        let traced_before = ctx.log().map(|l| l.mark());
        // The scope's findings go into `f`'s own vectors (no allocation) and
        // are cut back to what counts: the scope's failures when it fails,
        // else the facts it is missing; never its errors.
        let (failed_before, missing_before, errors_before) = (f.failed.len(), f.missing.len(), f.errors.len());
        let (scope_failed, undecided_scope) = (f.scope_failed, f.undecided_scope);
        f.scope_failed = false;
        for c in b.base.conditions.iter().filter(|c| c.kind == ConditionKind::Applies) {
            self.condition(ctx, c, f);
        }
        let failed = std::mem::replace(&mut f.scope_failed, scope_failed);
        f.undecided_scope = undecided_scope;
        f.errors.truncate(errors_before);
        if failed {
            let mut i = 0;
            f.failed.retain(|x| {
                i += 1;
                i <= failed_before || x.kind == FailureKind::Scope
            });
            f.missing.truncate(missing_before);
            return Status::NotApplicable;
        }
        f.failed.truncate(failed_before);
        if let (Some(log), Some(mark)) = (ctx.log(), traced_before) {
            log.truncate(mark);
        }
        let tracer = ctx.tracer.take();
        let rules = || std::iter::once(&b.base).chain(b.versions.iter().map(|v| &v.rules));
        for c in rules().flat_map(|r| r.conditions.iter()).filter(|c| c.kind != ConditionKind::Applies) {
            self.probe(ctx, &c.expr, f);
        }
        let replaced = b.versions.iter().any(|v| v.rules.amount.iter().any(|s| matches!(s, AmountStepDef::Base { .. })));
        let base: &[AmountStepDef] = if replaced && b.base.amount.is_empty() { &[] } else { &b.base.amount };
        self.probe_steps(ctx, base.iter().chain(b.versions.iter().flat_map(|v| v.rules.amount.iter())), f);
        self.probe_outputs(ctx, b, f);
        ctx.tracer = tracer;
        Status::Undetermined
    }

    /// Evaluates a benefit's outputs only to name the facts they need.
    #[cold]
    fn probe_outputs(&self, ctx: &mut Ctx<'_>, b: &BenefitDef, f: &mut Findings) {
        if b.outputs.is_empty() {
            return;
        }
        let tracer = ctx.tracer.take();
        for o in &b.outputs {
            self.probe(ctx, &o.expr, f);
        }
        ctx.tracer = tracer;
    }

    /// Evaluates the expressions of amount steps that could not run, only
    /// to name the facts they need (the trace is not told).
    #[cold]
    fn probe_steps<'s>(&self, ctx: &mut Ctx<'_>, steps: impl Iterator<Item = &'s AmountStepDef>, f: &mut Findings) {
        let tracer = ctx.tracer.take();
        for step in steps {
            match step {
                AmountStepDef::Base { expr, .. } | AmountStepDef::Cap { expr, .. } => self.probe(ctx, expr, f),
                AmountStepDef::Uplift { rate, when, .. } => {
                    self.probe(ctx, when, f);
                    self.probe(ctx, rate, f);
                }
                AmountStepDef::Override { when, value, .. } => {
                    self.probe(ctx, when, f);
                    self.probe(ctx, value, f);
                }
            }
        }
        ctx.tracer = tracer;
    }

    /// Evaluates `e` only to name the facts it needs: a missing fact is
    /// recorded, anything else (a value, an error for want of the amount or
    /// the date) is not.
    fn probe(&self, ctx: &mut Ctx<'_>, e: &CExpr, f: &mut Findings) {
        let probing = std::mem::replace(&mut ctx.probing, true);
        let r = ctx.eval(e);
        ctx.probing = probing;
        if let Err(s) = r {
            if let Stop::Missing(names) = &*s {
                for n in names {
                    if !f.missing.contains(n) {
                        f.missing.push(n.clone());
                    }
                }
            }
        }
    }

    #[inline(always)]
    fn condition(&self, ctx: &mut Ctx<'_>, c: &ConditionDef, f: &mut Findings) {
        let kind = match c.kind {
            ConditionKind::Applies => NodeKind::Scope,
            ConditionKind::Require => NodeKind::Require,
            ConditionKind::Exclude => NodeKind::Exclude,
        };
        let opened = self.open(ctx, kind, Some(&c.label), Some(&c.id), c.cite.as_ref(), Some(&c.expr));
        let r = ctx.eval(&c.expr);
        let verdict = match &r {
            Ok(Value::Bool(x)) => {
                let against = match c.kind {
                    ConditionKind::Exclude => *x,
                    _ => !*x,
                };
                if against {
                    Verdict::Fail
                } else {
                    Verdict::Pass
                }
            }
            Ok(_) | Err(_) => Verdict::Unknown,
        };
        self.close(ctx, opened, verdict, |_| match &r {
            Ok(Value::Bool(x)) => Shown::Static(if *x { "true" } else { "false" }),
            Ok(_) => Shown::Static("not a bool"),
            Err(s) => Shown::Text(s.describe()),
        });
        match r {
            Ok(Value::Bool(x)) => {
                let against = match c.kind {
                    ConditionKind::Exclude => x,
                    _ => !x,
                };
                if against {
                    let kind = match c.kind {
                        ConditionKind::Applies => {
                            f.scope_failed = true;
                            FailureKind::Scope
                        }
                        ConditionKind::Require => FailureKind::Require,
                        ConditionKind::Exclude => FailureKind::Exclude,
                    };
                    f.failed.push(Failure { id: c.id.clone(), kind, label: c.label.clone(), citation: c.cite.clone() });
                }
            }
            Ok(_) => f.errors.push(format!("internal: condition `{}` is not a bool", c.id)),
            Err(s) => {
                if c.kind == ConditionKind::Applies && matches!(*s, Stop::Missing(_) | Stop::Error(_)) {
                    f.undecided_scope = true;
                }
                f.stop(s, &c.id, c.cite.as_ref());
            }
        }
    }

    /// Runs one amount step; `Err(())` stops the pipeline.
    fn amount_step(
        &self,
        ctx: &mut Ctx<'_>,
        step: &AmountStepDef,
        amount: Option<Amount>,
        date: Option<NaiveDate>,
        f: &mut Findings,
    ) -> Result<Option<Amount>, ()> {
        let p = self.policy();
        match step {
            AmountStepDef::Base { expr, label, cite, .. } => {
                let opened = self.open(ctx, NodeKind::Amount, label.as_ref(), None, cite.as_ref(), Some(expr));
                // An authority-set external that was not supplied: the range.
                if let CKind::External(id) = &expr.kind {
                    if let Some(def) = p.externals.get(id.index()) {
                        let absent = ctx.facts.externals.get(id.index()).is_none_or(Option::is_none);
                        if let (true, Some(_), Some(bounds)) = (absent, &def.set_by, &def.bounds) {
                            if let (Some(l), Some(h)) = (bounds.low, bounds.high) {
                                self.close(ctx, opened, Verdict::Info, |_| {
                                    Shown::Text(format!("{} .. {} (set by the authority)", v::money_string(l), v::money_string(h)))
                                });
                                return Ok(Some(Amount::Range(l, h)));
                            }
                        }
                    }
                }
                match ctx.eval(expr) {
                    Ok(Value::Num(a)) => {
                        self.close(ctx, opened, Verdict::Info, |_| Shown::Value(Value::Num(a), expr.ty.clone()));
                        Ok(Some(Amount::Exact(a)))
                    }
                    Ok(_) => Err(()),
                    Err(s) => {
                        self.close(ctx, opened, Verdict::Unknown, |_| Shown::Text(s.describe()));
                        f.stop(s, "amount", cite.as_ref());
                        Err(())
                    }
                }
            }
            AmountStepDef::Cap { expr, label, cite, .. } => {
                let Some(current) = amount else { return Ok(None) };
                let opened = self.open(ctx, NodeKind::Cap, label.as_ref(), None, cite.as_ref(), Some(expr));
                match eval_with_amount(ctx, expr, current) {
                    Ok((cap_low, cap_high)) => {
                        let (next, bound) = match current {
                            Amount::Exact(a) => (Amount::Exact(a.min(cap_high)), a > cap_high),
                            Amount::Range(l, h) => (Amount::ordered(l.min(cap_low), h.min(cap_high)), l > cap_low || h > cap_high),
                        };
                        self.note(ctx, |c| {
                            let shown = if cap_low == cap_high {
                                c.show(&Value::Num(cap_high), &expr.ty)
                            } else {
                                format!("{} .. {}", c.show(&Value::Num(cap_low), &expr.ty), c.show(&Value::Num(cap_high), &expr.ty))
                            };
                            Shown::Text(if bound { format!("the cap of {shown} applies") } else { format!("below the cap of {shown}") })
                        });
                        self.close(ctx, opened, if bound { Verdict::Pass } else { Verdict::Info }, |_| amount_shown(&next));
                        Ok(Some(next))
                    }
                    Err(s) => {
                        self.close(ctx, opened, Verdict::Unknown, |_| Shown::Text(s.describe()));
                        f.stop(s, "cap", cite.as_ref());
                        Err(())
                    }
                }
            }
            AmountStepDef::Uplift { id, rate, when, until, label, cite, .. } => {
                let Some(current) = amount else { return Ok(None) };
                let opened = self.open(ctx, NodeKind::Uplift, Some(label), Some(id), cite.as_ref(), Some(when));
                if let (Some(u), Some(date)) = (until, date) {
                    if date > *u {
                        self.note(ctx, |_| Shown::Text(format!("not applied: {date} is after its last day {u}")));
                        self.close(ctx, opened, Verdict::Fail, |_| amount_shown(&current));
                        return Ok(Some(current));
                    }
                }
                let apply = |ctx: &mut Ctx<'_>| -> Result<(Decimal, Amount), Halt> {
                    let rate = ctx.eval(rate)?.num()?;
                    let factor = v::add(Decimal::ONE, rate)?;
                    Ok((rate, current.map(|a| Ok(v::mul(a, factor)?))?))
                };
                let r = match ctx.eval(when).and_then(|w| Ok(w.bool()?)) {
                    Ok(false) => Ok(None),
                    Ok(true) => apply(ctx).map(Some),
                    Err(s) if self.may_refuse(Some(when)) => Err(s),
                    Err(s) => match either_way(ctx, s, current, |ctx| apply(ctx).map(|(_, next)| next)) {
                        Ok(names) => {
                            self.note(ctx, |_| Shown::Text(unknown_note(missing_names(&names), &current)));
                            self.close(ctx, opened, Verdict::Unknown, |_| amount_shown(&current));
                            return Ok(Some(current));
                        }
                        Err(s) => Err(s),
                    },
                };
                match r {
                    Ok(None) => {
                        self.note(ctx, |_| Shown::Static("not applied: its condition is false"));
                        self.close(ctx, opened, Verdict::Fail, |_| amount_shown(&current));
                        Ok(Some(current))
                    }
                    Ok(Some((rate, next))) => {
                        self.note(ctx, |_| Shown::Text(format!("applied: + {}", v::percent_string(rate))));
                        self.close(ctx, opened, Verdict::Pass, |_| amount_shown(&next));
                        Ok(Some(next))
                    }
                    Err(s) => {
                        self.close(ctx, opened, Verdict::Unknown, |_| Shown::Text(s.describe()));
                        f.stop(s, id, cite.as_ref());
                        Err(())
                    }
                }
            }
            AmountStepDef::Override { id, when, value, label, cite, .. } => {
                let Some(current) = amount else { return Ok(None) };
                let opened = self.open(ctx, NodeKind::Exception, Some(label), Some(id), cite.as_ref(), Some(when));
                let apply = |ctx: &mut Ctx<'_>| -> Result<Amount, Halt> {
                    let (low, high) = eval_with_amount(ctx, value, current)?;
                    Ok(match current {
                        Amount::Exact(_) => Amount::Exact(high),
                        Amount::Range(..) => Amount::ordered(low, high),
                    })
                };
                let r = match ctx.eval(when).and_then(|w| Ok(w.bool()?)) {
                    Ok(false) => Ok(None),
                    Ok(true) => apply(ctx).map(Some),
                    Err(s) if self.may_refuse(Some(when)) => Err(s),
                    Err(s) => match either_way(ctx, s, current, apply) {
                        Ok(names) => {
                            self.note(ctx, |_| Shown::Text(unknown_note(missing_names(&names), &current)));
                            self.close(ctx, opened, Verdict::Unknown, |_| amount_shown(&current));
                            return Ok(Some(current));
                        }
                        Err(s) => Err(s),
                    },
                };
                match r {
                    Ok(None) => {
                        self.note(ctx, |_| Shown::Static("not applied: its condition is false"));
                        self.close(ctx, opened, Verdict::Fail, |_| amount_shown(&current));
                        Ok(Some(current))
                    }
                    Ok(Some(next)) => {
                        self.note(ctx, |_| Shown::Text(format!("applied: the amount becomes {}", show_amount(&next))));
                        self.close(ctx, opened, Verdict::Pass, |_| amount_shown(&next));
                        Ok(Some(next))
                    }
                    Err(s) => {
                        self.close(ctx, opened, Verdict::Unknown, |_| Shown::Text(s.describe()));
                        f.stop(s, id, cite.as_ref());
                        Err(())
                    }
                }
            }
        }
    }

    fn outcome(&self, ctx: &mut Ctx<'_>, o: &OutcomeDef, kind: NodeKind, f: &mut Findings) -> Option<Outcome> {
        let opened = self.open(ctx, kind, Some(&o.label), None, o.cite.as_ref(), o.when.as_ref());
        let holds = match &o.when {
            None => Ok(true),
            Some(w) => ctx.eval(w).and_then(|x| Ok(x.bool()?)),
        };
        match holds {
            Ok(h) => {
                self.close(ctx, opened, if h { Verdict::Pass } else { Verdict::Fail }, |_| Shown::Static(if h { "true" } else { "false" }));
                h.then(|| Outcome { label: o.label.clone(), citation: o.cite.clone(), depends_on: Vec::new() })
            }
            // Whether it applies turns on facts not given: listed, with
            // them, so the decision still stands for every value they take.
            Err(s) => match &*s {
                Stop::Missing(names) if !self.may_refuse(o.when.as_ref()) => {
                    self.close(ctx, opened, Verdict::Unknown, |_| Shown::Text(format!("depends on {}", join_names(names))));
                    Some(Outcome { label: o.label.clone(), citation: o.cite.clone(), depends_on: names.clone() })
                }
                _ => {
                    self.close(ctx, opened, Verdict::Unknown, |_| Shown::Text(s.describe()));
                    f.stop(s, &o.label, o.cite.as_ref());
                    None
                }
            },
        }
    }

    /// Whether `e` could refuse for some facts (a table lookup that may find
    /// no row, tiers without `else`), looking through the lets it reads.
    /// Such a condition left unknown cannot be set aside: a value of the
    /// missing fact might make the benefit ineligible.
    #[cold]
    fn may_refuse(&self, e: Option<&CExpr>) -> bool {
        e.is_some_and(|e| may_refuse(&self.refusing, e))
    }

    /// Opens a trace node when tracing; what it records is copied only then,
    /// so a decision without a trace pays nothing for it.
    #[inline]
    fn open(
        &self,
        ctx: &mut Ctx<'_>,
        kind: NodeKind,
        label: Option<&Arc<str>>,
        id: Option<&Arc<str>>,
        citation: Option<&Citation>,
        e: Option<&CExpr>,
    ) -> bool {
        ctx.tracer.is_some() && self.open_node(ctx, kind, label, id, citation, e)
    }

    #[inline(never)]
    fn open_node(
        &self,
        ctx: &mut Ctx<'_>,
        kind: NodeKind,
        label: Option<&Arc<str>>,
        id: Option<&Arc<str>>,
        citation: Option<&Citation>,
        e: Option<&CExpr>,
    ) -> bool {
        let mut node = Event::new(kind);
        node.label = label.cloned();
        node.id = id.cloned();
        node.citation = citation.cloned();
        node.source = e.map(|e| (e.file, e.span));
        if let Some(log) = ctx.log() {
            log.open(node);
        }
        true
    }

    /// Sets the open node's note; `note` runs only when tracing.
    #[inline]
    fn note(&self, ctx: &mut Ctx<'_>, note: impl FnOnce(&Ctx<'_>) -> Shown) {
        if ctx.tracer.is_none() {
            return;
        }
        let note = note(ctx);
        if let Some(n) = ctx.current() {
            n.note = note;
        }
    }

    /// Closes a node [`Self::open`] opened; `result` runs only then.
    #[inline(always)]
    fn close(&self, ctx: &mut Ctx<'_>, opened: bool, verdict: Verdict, result: impl FnOnce(&Ctx<'_>) -> Shown) {
        if opened {
            self.close_node(ctx, verdict, result);
        }
    }

    #[inline(never)]
    fn close_node(&self, ctx: &mut Ctx<'_>, verdict: Verdict, result: impl FnOnce(&Ctx<'_>) -> Shown) {
        let result = result(ctx);
        if let Some(log) = ctx.log() {
            if let Some(n) = log.current() {
                n.verdict = verdict;
                n.result = result;
            }
            log.close();
        }
    }

    fn trace_simple(&self, ctx: &mut Ctx<'_>, kind: NodeKind, verdict: Verdict, note: impl FnOnce() -> String) {
        if self.open(ctx, kind, None, None, None, None) {
            self.note(ctx, |_| Shown::Text(note()));
            self.close(ctx, true, verdict, |_| Shown::None);
        }
    }

    fn trace_date(&self, ctx: &mut Ctx<'_>, date: Option<NaiveDate>, note: impl FnOnce() -> Shown, verdict: Verdict, e: Option<&CExpr>) {
        if self.open(ctx, NodeKind::DateCheck, None, None, None, e) {
            self.note(ctx, |_| note());
            self.close(ctx, true, verdict, |_| date.map_or(Shown::None, Shown::Date));
        }
    }
}

/// A step whose condition stopped on `stop`: when the condition is unknown
/// only for want of facts, and applying the step leaves the amount as it is,
/// the step cannot change the decision whatever those facts are. Returns the
/// missing-fact stop then (`Ok`); otherwise the stop to report (`Err`, with
/// the facts the step itself would need added).
fn either_way(
    ctx: &mut Ctx<'_>,
    stop: Halt,
    current: Amount,
    apply: impl FnOnce(&mut Ctx<'_>) -> Result<Amount, Halt>,
) -> Result<Halt, Halt> {
    if !matches!(*stop, Stop::Missing(_)) {
        return Err(stop);
    }
    match apply(ctx) {
        Ok(next) if next.same(&current) => Ok(stop),
        Ok(_) => Err(stop),
        Err(s) => {
            let mut stop = stop;
            if let (Stop::Missing(all), Stop::Missing(more)) = (&mut *stop, &*s) {
                for n in more {
                    if !all.contains(n) {
                        all.push(n.clone());
                    }
                }
            }
            Err(stop)
        }
    }
}

/// The names a missing-fact stop lists (none for another stop).
fn missing_names(stop: &Halt) -> &[Arc<str>] {
    match &**stop {
        Stop::Missing(names) => names,
        _ => &[],
    }
}

#[cold]
fn unknown_note(names: &[Arc<str>], current: &Amount) -> String {
    format!("its condition is unknown (missing {}), but the amount is {} either way", join_names(names), show_amount(current))
}

fn join_names(names: &[Arc<str>]) -> String {
    names.iter().map(|n| &**n).collect::<Vec<_>>().join(", ")
}

/// See [`Plan::may_refuse`]; `refusing` tells it of each let and function
/// (worked out once per plan, so the walk neither recurses into them nor
/// allocates).
fn may_refuse(refusing: &(Vec<bool>, Vec<bool>), e: &CExpr) -> bool {
    match &e.kind {
        CKind::Lookup(..) | CKind::Tiers { otherwise: None, .. } => true,
        CKind::Let(id) => refusing.0.get(id.index()).copied().unwrap_or(true),
        CKind::Apply(f, args) => args.iter().any(|a| may_refuse(refusing, a)) || refusing.1.get(f.index()).copied().unwrap_or(true),
        _ => e.each_child(|c| may_refuse(refusing, c)),
    }
}

/// An output's value in the decision's JSON: a boolean, or exact text.
pub(crate) fn output_scalar(p: &policy_core::checked::CheckedPolicy, value: &Value, ty: &policy_core::checked::Type) -> OutputScalar {
    use policy_core::checked::Type;
    match (value, ty) {
        (Value::Bool(b), _) => OutputScalar::Bool(*b),
        (Value::Num(d), Type::Money) => OutputScalar::Text(v::money_string(*d)),
        (Value::Num(d), _) => {
            let mut s = String::new();
            v::push_plain(&mut s, *d, 0);
            OutputScalar::Text(s)
        }
        (Value::Text(t), _) => OutputScalar::Text(t.to_string()),
        (Value::Enum(i), Type::Enum(e)) => OutputScalar::Text(
            p.enums.get(e.index()).and_then(|e| e.variants.get(*i as usize)).map(|(n, _)| n.clone()).unwrap_or_else(|| format!("#{i}")),
        ),
        (other, ty) => OutputScalar::Text(crate::trace::show_value(p, other, ty)),
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

/// An amount as a trace shows it, kept as values until the tree is built.
fn amount_shown(a: &Amount) -> Shown {
    match a {
        Amount::Exact(x) => Shown::Money(*x),
        Amount::Range(l, h) => Shown::MoneyRange(*l, *h),
    }
}

fn show_amount(a: &Amount) -> String {
    match a {
        Amount::Exact(x) => v::money_string(*x),
        Amount::Range(l, h) => format!("{} .. {}", v::money_string(*l), v::money_string(*h)),
    }
}
