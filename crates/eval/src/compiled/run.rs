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
use policy_core::value as v;
use rust_decimal::Decimal;

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
        let mut n = 0;
        for (b, compiled) in p.benefits.iter().zip(&prog.benefits) {
            if !opts.benefits.iter().any(|id| **id == *b.id) {
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
    out.reset(b);
    let status = status(plan, prog, b, bp, env, reference, out)?;
    out.status = status;
    if status != Status::Eligible {
        out.entitlements.clear();
        out.documents.clear();
        out.deadlines.clear();
        out.outputs.clear();
        out.amount = None;
    }
    Some(())
}

fn status(
    plan: &Plan,
    prog: &Program,
    b: &BenefitDef,
    bp: &BenefitProg,
    env: &mut Env<'_>,
    reference: Option<NaiveDate>,
    out: &mut BenefitDecision,
) -> Option<Status> {
    // 1. The date (a `dated_by` expression sees the reference date).
    let date = match &bp.dated_by {
        Some(f) => {
            env.date = reference;
            let d = f(env)?;
            out.date = Some(DateUsed { date: d, source: DateSource::DatedBy, label: b.dated_by_label.clone() });
            Some(d)
        }
        None => match reference {
            Some(d) => {
                out.date = Some(DateUsed { date: d, source: DateSource::Reference, label: None });
                Some(d)
            }
            None if bp.date_free => None,
            None => return None,
        },
    };
    env.date = date;
    // 2. In force.
    if let Some(d) = date {
        let (from, until) = prog.in_force;
        if from.is_some_and(|f| d < f) || until.is_some_and(|u| d > u) {
            out.failed.push(Failure {
                id: plan.shared.in_force_id.clone(),
                kind: FailureKind::NotInForce,
                label: plan.shared.in_force_label.clone(),
                citation: None,
            });
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
    for c in rules().flat_map(|r| r.conditions.iter()).filter(|c| c.kind == CondKind::Applies) {
        if !(c.test)(env)? {
            out.failed.push(c.failure.clone());
        }
    }
    if !out.failed.is_empty() {
        return Some(Status::NotApplicable);
    }
    for c in rules().flat_map(|r| r.conditions.iter()).filter(|c| c.kind != CondKind::Applies) {
        let x = (c.test)(env)?;
        if x == (c.kind == CondKind::Exclude) {
            out.failed.push(c.failure.clone());
        }
    }
    if !out.failed.is_empty() {
        return Some(Status::Ineligible);
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
        outcomes(r, env, out)?;
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
            Some(a.min(cap?))
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

fn outcomes(r: &Rules, env: &mut Env<'_>, out: &mut BenefitDecision) -> Option<()> {
    for o in &r.entitlements {
        if o.when.as_ref().map_or(Some(true), |w| w(env))? {
            out.entitlements.push(Outcome { label: o.label.clone(), citation: o.citation.clone(), depends_on: Vec::new() });
        }
    }
    for o in &r.documents {
        if o.when.as_ref().map_or(Some(true), |w| w(env))? {
            out.documents.push(Outcome { label: o.label.clone(), citation: o.citation.clone(), depends_on: Vec::new() });
        }
    }
    for d in &r.deadlines {
        let day = (d.date)(env)?;
        out.deadlines.push(Deadline { label: d.label.clone(), date: day, citation: d.citation.clone() });
    }
    Some(())
}
