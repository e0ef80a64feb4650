//! The fast path's executor: per benefit asked for, the steps of
//! `decide.rs`'s `run_benefit` (date, in force, version, scope, conditions,
//! amount pipeline, outcomes) over compiled closures, into the decision's
//! reused buffers. `None` anywhere deoptimises the whole decision.

use super::{BenefitProg, CondKind, Env, Program, Rules, Scratch, Step};
use crate::decide::DecideOptions;
use crate::decision::{BenefitDecision, DateSource, DateUsed, Deadline, Decision, Failure, FailureKind, Outcome, OutputValue, Status};
use crate::facts::Facts;
use crate::plan::Plan;
use chrono::NaiveDate;
use policy_core::checked::BenefitDef;
use policy_core::checked::Citation;
use policy_core::value as v;
use rust_decimal::Decimal;
use std::sync::Arc;

/// Decides the benefits `opts` asks for into `out` (whose envelope the
/// caller has set). `false`: the fast path does not decide this one (a
/// benefit not compiled, or a `None` on the way); `out`'s benefits are then
/// to be decided again by the interpreter.
pub(crate) fn run(
    plan: &Plan,
    prog: &Program,
    facts: &Facts,
    opts: &DecideOptions,
    reference: Option<NaiveDate>,
    out: &mut Decision,
    s: &mut Scratch,
) -> bool {
    let p = plan.policy();
    let all = opts.benefits.is_empty();
    s.stamp = s.stamp.wrapping_add(1);
    if s.lets.len() != p.lets.len() {
        s.lets.clear();
        s.lets.resize(p.lets.len(), super::LetSlot::default());
    }
    if all {
        // Every benefit, in its slot, decided in dependency order: a
        // benefit's amount is kept for the benefits that read it.
        if prog.reads {
            s.amounts.clear();
            s.amounts.resize(p.benefits.len(), None);
        }
        for (i, b) in p.benefits.iter().enumerate() {
            if out.benefits.len() <= i {
                out.benefits.push(BenefitDecision::empty(b));
            }
        }
        out.benefits.truncate(p.benefits.len());
        for &i in &p.benefit_order {
            let i = i as usize;
            let (Some(b), Some(Ok(bp)), Some(target)) = (p.benefits.get(i), prog.benefits.get(i), out.benefits.get_mut(i)) else {
                return deopt(s);
            };
            let mut env = Env { facts, date: reference, amount: None, s: &mut *s };
            if decide(plan, prog, b, bp, &mut env, reference, target).is_none() {
                return deopt(s);
            }
            if prog.reads {
                // What `amount_of` reads: the amount when eligible (zero
                // without one), zero when refused.
                let paid = match target.status {
                    Status::Eligible => target.amount.unwrap_or(Decimal::ZERO),
                    _ => Decimal::ZERO,
                };
                if let Some(a) = s.amounts.get_mut(i) {
                    *a = Some(paid);
                }
            }
        }
    } else {
        // The benefits asked for, in declaration order; one that reads
        // another's amount is left to the interpreter (which decides the
        // benefits it reads aside).
        // Which benefits are asked for, resolved once per list of names.
        if s.asked_for != opts.benefits || s.asked.len() != p.benefits.len() {
            s.asked_for.clone_from(&opts.benefits);
            s.asked.clear();
            s.asked.extend(p.benefits.iter().map(|b| opts.benefits.iter().any(|id| **id == *b.id)));
        }
        let mut n = 0;
        for (i, (b, compiled)) in p.benefits.iter().zip(&prog.benefits).enumerate() {
            if !s.asked.get(i).copied().unwrap_or(false) {
                continue;
            }
            let Ok(bp) = compiled else { return deopt(s) };
            if !b.reads.is_empty() {
                return deopt(s);
            }
            if out.benefits.len() <= n {
                out.benefits.push(BenefitDecision::empty(b));
            }
            let Some(target) = out.benefits.get_mut(n) else { return deopt(s) };
            n += 1;
            let mut env = Env { facts, date: reference, amount: None, s: &mut *s };
            if decide(plan, prog, b, bp, &mut env, reference, target).is_none() {
                return deopt(s);
            }
        }
        out.benefits.truncate(n);
    }
    out.trace = None;
    true
}

/// Leaves the buffers as a decision finds them; `false`.
#[cold]
fn deopt(s: &mut Scratch) -> bool {
    s.locals.clear();
    s.stack.clear();
    false
}

/// One benefit, as `Plan::decide_benefit` and `run_benefit` decide it.
fn decide(
    plan: &Plan,
    prog: &Program,
    b: &BenefitDef,
    bp: &BenefitProg,
    env: &mut Env<'_>,
    reference: Option<NaiveDate>,
    out: &mut BenefitDecision,
) -> Option<()> {
    if Arc::ptr_eq(&out.id, &b.id) {
        // The slot held this benefit: its lists are refilled in place
        // (`put`), the rest as `BenefitDecision::reset` leaves it.
        out.status = Status::Undetermined;
        out.amount = None;
        out.amount_range = None;
        out.payee = b.payee;
        out.version = None;
        out.missing.clear();
        out.errors.clear();
        out.outputs.clear();
    } else {
        out.reset(b);
    }
    let mut filled = Filled::default();
    let status = status(plan, prog, (b, bp), env, reference, out, &mut filled)?;
    out.status = status;
    let spare = &mut env.s.spare;
    cut(&mut out.failed, filled.failed, &mut spare.failed);
    cut(&mut out.entitlements, filled.entitlements, &mut spare.outcomes);
    cut(&mut out.documents, filled.documents, &mut spare.outcomes);
    cut(&mut out.deadlines, filled.deadlines, &mut spare.deadlines);
    if status != Status::Eligible {
        out.outputs.clear();
        out.amount = None;
    }
    Some(())
}

/// How many entries of each reused list a benefit has filled.
#[derive(Default)]
struct Filled {
    failed: usize,
    entitlements: usize,
    documents: usize,
    deadlines: usize,
}

/// Most entries kept aside per kind (beyond, they are dropped).
const SPARE: usize = 256;

/// Entries of a decision's lists no longer in it, kept (moved, not dropped)
/// for the next decisions: each clone of an `Arc` is an atomic increment,
/// each drop a decrement, and a failure or an outcome holds four or five.
#[derive(Debug, Default)]
pub(crate) struct Spare {
    failed: Vec<Failure>,
    outcomes: Vec<Outcome>,
    deadlines: Vec<Deadline>,
}

/// Makes entry `k` of `v` one that is `same` (then counts it): the entry
/// already there, or one further on (swapped in), or one kept aside, and
/// only when there is none a new one (`make`). The entry it displaces is
/// kept aside.
#[inline]
fn put<T: Same>(v: &mut Vec<T>, k: &mut usize, spare: &mut Vec<T>, same: impl Fn(&T) -> bool, make: impl FnOnce() -> T) {
    let at = *k;
    *k += 1;
    if v.get(at).is_some_and(&same) {
        return;
    }
    if let Some(j) = v.iter().skip(at + 1).position(&same) {
        v.swap(at, at + 1 + j);
        return;
    }
    let item = match spare.iter().position(&same) {
        Some(j) => spare.swap_remove(j),
        None => make(),
    };
    match v.get_mut(at) {
        Some(x) => {
            let old = std::mem::replace(x, item);
            keep(spare, old);
        }
        None => v.push(item),
    }
}

/// Cuts `v` to `n` entries, keeping the rest aside.
fn cut<T: Same>(v: &mut Vec<T>, n: usize, spare: &mut Vec<T>) {
    while v.len() > n {
        if let Some(x) = v.pop() {
            keep(spare, x);
        }
    }
}

/// Keeps `x` aside unless one like it already is (or the room is full):
/// the spare entries stay distinct, so their number is bounded by the
/// policy's failures and outcomes, and their buffer, reserved whole on
/// first use, never grows.
fn keep<T: Same>(spare: &mut Vec<T>, x: T) {
    if spare.capacity() == 0 {
        spare.reserve_exact(SPARE);
    }
    if spare.len() < SPARE && !spare.iter().any(|y| y.same(&x)) {
        spare.push(x);
    }
}

/// Entries that are the same shared text (pointers compared, no text).
trait Same {
    fn same(&self, other: &Self) -> bool;
}
impl Same for Failure {
    fn same(&self, o: &Self) -> bool {
        self.kind == o.kind && same_text(&self.id, &o.id) && same_text(&self.label, &o.label) && same_cite(&self.citation, &o.citation)
    }
}
impl Same for Outcome {
    fn same(&self, o: &Self) -> bool {
        same_text(&self.label, &o.label) && self.depends_on.is_empty() && o.depends_on.is_empty() && same_cite(&self.citation, &o.citation)
    }
}
impl Same for Deadline {
    fn same(&self, o: &Self) -> bool {
        self.date == o.date && same_text(&self.label, &o.label) && same_cite(&self.citation, &o.citation)
    }
}

fn same_text(a: &Arc<str>, b: &Arc<str>) -> bool {
    Arc::ptr_eq(a, b)
}

fn same_cite(a: &Option<Citation>, b: &Option<Citation>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            same_text(&x.document, &y.document)
                && same_text(&x.clause, &y.clause)
                && match (&x.quote, &y.quote) {
                    (None, None) => true,
                    (Some(p), Some(q)) => same_text(p, q),
                    _ => false,
                }
        }
        _ => false,
    }
}

fn put_failure(out: &mut Vec<Failure>, k: &mut usize, spare: &mut Spare, f: &Failure) {
    put(
        out,
        k,
        &mut spare.failed,
        |x| x.kind == f.kind && same_text(&x.id, &f.id) && same_text(&x.label, &f.label) && same_cite(&x.citation, &f.citation),
        || f.clone(),
    );
}

fn set_date(out: &mut BenefitDecision, date: NaiveDate, source: DateSource, label: &Option<Arc<str>>) {
    match &mut out.date {
        Some(d) if d.label.as_ref().map(Arc::as_ptr) == label.as_ref().map(Arc::as_ptr) => {
            d.date = date;
            d.source = source;
        }
        _ => out.date = Some(DateUsed { date, source, label: label.clone() }),
    }
}

fn status(
    plan: &Plan,
    prog: &Program,
    (b, bp): (&BenefitDef, &BenefitProg),
    env: &mut Env<'_>,
    reference: Option<NaiveDate>,
    out: &mut BenefitDecision,
    filled: &mut Filled,
) -> Option<Status> {
    // 1. The date (a `dated_by` expression sees the reference date).
    let date = match &bp.dated_by {
        Some(f) => {
            env.date = reference;
            let d = f(env)?;
            set_date(out, d, DateSource::DatedBy, &b.dated_by_label);
            Some(d)
        }
        None => match reference {
            Some(d) => {
                set_date(out, d, DateSource::Reference, &None);
                Some(d)
            }
            None if bp.date_free => {
                out.date = None;
                None
            }
            None => return None,
        },
    };
    env.date = date;
    // 2. In force.
    if let Some(d) = date {
        let (from, until) = prog.in_force;
        if from.is_some_and(|f| d < f) || until.is_some_and(|u| d > u) {
            let sh = &plan.shared;
            put(
                &mut out.failed,
                &mut filled.failed,
                &mut env.s.spare.failed,
                |x| x.kind == FailureKind::NotInForce && same_text(&x.id, &sh.in_force_id) && same_text(&x.label, &sh.in_force_label),
                || Failure { id: sh.in_force_id.clone(), kind: FailureKind::NotInForce, label: sh.in_force_label.clone(), citation: None },
            );
            return Some(Status::NotApplicable);
        }
    }
    // 3. Version (none covering the date: the interpreter words the failure).
    let version = if bp.versions.is_empty() {
        None
    } else {
        let d = date?;
        let v = bp.versions.iter().find(|v| v.from <= d && v.until.is_none_or(|u| d <= u))?;
        out.version = Some(v.from);
        Some(v)
    };
    let rules = || std::iter::once(&bp.base).chain(version.map(|v| &v.rules));
    // 4. Scope first, then 5. every other condition.
    // A condition left unknown (`None`: a missing fact or an error, the
    // interpreter's three-valued logic already applied inside it) counts for
    // nothing when another decides: a false scope makes the benefit
    // `not_applicable` (the interpreter keeps only scope failures), a failed
    // condition `ineligible` (it clears what is missing). Else, or when the
    // unknown condition may have stopped on no row or no tier (which the
    // interpreter lists as a failure), the interpreter decides.
    let mut unknown = false;
    for c in rules().flat_map(|r| r.conditions.iter()).filter(|c| c.kind == CondKind::Applies) {
        match (c.test)(env) {
            Some(true) => {}
            Some(false) => put_failure(&mut out.failed, &mut filled.failed, &mut env.s.spare, &c.failure),
            None => unknown = true,
        }
    }
    if filled.failed > 0 {
        return Some(Status::NotApplicable);
    }
    if unknown {
        return None;
    }
    for c in rules().flat_map(|r| r.conditions.iter()).filter(|c| c.kind != CondKind::Applies) {
        match (c.test)(env) {
            Some(x) => {
                if x == (c.kind == CondKind::Exclude) {
                    put_failure(&mut out.failed, &mut filled.failed, &mut env.s.spare, &c.failure);
                }
            }
            None if c.may_refuse => return None,
            None => unknown = true,
        }
    }
    if filled.failed > 0 {
        return Some(Status::Ineligible);
    }
    if unknown {
        return None;
    }
    // 6. The amount.
    let replaces = version.is_some_and(|v| v.rules.replaces);
    let base: &[Step] = if replaces { &[] } else { &bp.base.steps };
    let version_steps: &[Step] = version.map_or(&[], |v| v.rules.steps.as_slice());
    let mut amount: Option<Decimal> = None;
    for step in base.iter().chain(version_steps) {
        amount = self::step(step, amount, date, env)?;
    }
    if let Some(a) = amount {
        if a < Decimal::ZERO {
            return None;
        }
        out.amount = Some(a);
    }
    // 7. Outputs.
    for o in &bp.outputs {
        let value = o.value.value(env)?;
        out.outputs.push(OutputValue {
            id: o.id.clone(),
            label: o.label.clone(),
            ty: o.ty_name.clone(),
            value: crate::decide::output_scalar(plan.policy(), &value, &o.ty),
            citation: o.citation.clone(),
        });
    }
    // 8. Outcomes.
    for r in rules() {
        outcomes(r, env, out, filled)?;
    }
    Some(Status::Eligible)
}

/// One amount step (the amount so far, if any → the amount after it).
#[inline]
fn step(step: &Step, amount: Option<Decimal>, date: Option<NaiveDate>, env: &mut Env<'_>) -> Option<Option<Decimal>> {
    Some(match step {
        Step::Base(f) => Some(f(env)?),
        Step::Cap(f) => {
            let Some(a) = amount else { return Some(None) };
            env.amount = Some(a);
            let cap = f(env);
            env.amount = None;
            // `a.min(cap)`, comparing as the interpreter's numbers do.
            let cap = cap?;
            Some(if v::cmp_num(&a, &cap).is_gt() { cap } else { a })
        }
        Step::Uplift { rate, when, until } => {
            let Some(a) = amount else { return Some(None) };
            if let Some(u) = until {
                // A benefit decided without a date has no uplift with a last day.
                if date? > *u {
                    return Some(Some(a));
                }
            }
            if !when(env)? {
                return Some(Some(a));
            }
            let factor = v::add(Decimal::ONE, rate(env)?).ok()?;
            Some(v::mul(a, factor).ok()?)
        }
        Step::Override { when, value } => {
            let Some(a) = amount else { return Some(None) };
            if !when(env)? {
                return Some(Some(a));
            }
            env.amount = Some(a);
            let x = value(env);
            env.amount = None;
            Some(x?)
        }
    })
}

fn outcomes(r: &Rules, env: &mut Env<'_>, out: &mut BenefitDecision, filled: &mut Filled) -> Option<()> {
    for (list, k, defs) in
        [(&mut out.entitlements, &mut filled.entitlements, &r.entitlements), (&mut out.documents, &mut filled.documents, &r.documents)]
    {
        for o in defs {
            if o.when.as_ref().map_or(Some(true), |w| w(env))? {
                put(
                    list,
                    k,
                    &mut env.s.spare.outcomes,
                    |x| same_text(&x.label, &o.label) && x.depends_on.is_empty() && same_cite(&x.citation, &o.citation),
                    || Outcome { label: o.label.clone(), citation: o.citation.clone(), depends_on: Vec::new() },
                );
            }
        }
    }
    for d in &r.deadlines {
        let day = (d.date)(env)?;
        put(
            &mut out.deadlines,
            &mut filled.deadlines,
            &mut env.s.spare.deadlines,
            |x| x.date == day && same_text(&x.label, &d.label) && same_cite(&x.citation, &d.citation),
            || Deadline { label: d.label.clone(), date: day, citation: d.citation.clone() },
        );
    }
    Some(())
}
