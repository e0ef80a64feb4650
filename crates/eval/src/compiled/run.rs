//! The fast path's executor: per benefit asked for, the steps of
//! `decide.rs`'s `run_benefit` (date, in force, version, scope, conditions,
//! amount pipeline, outcomes) over compiled closures, into the decision's
//! reused buffers. `None` anywhere deoptimises the whole decision.

use super::{BenefitProg, CondKind, Env, Program, Rules, Scratch, Step};
use crate::decide::DecideOptions;
use crate::decision::{BenefitDecision, DateSource, DateUsed, Deadline, Decision, Failure, FailureKind, Outcome, Status};
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
    let mut n = 0;
    for (b, compiled) in p.benefits.iter().zip(&prog.benefits) {
        if !(all || opts.benefits.iter().any(|id| **id == *b.id)) {
            continue;
        }
        let Ok(bp) = compiled else { return false };
        if out.benefits.len() <= n {
            out.benefits.push(BenefitDecision::empty(b));
        }
        let Some(target) = out.benefits.get_mut(n) else { return false };
        n += 1;
        let mut env = Env { facts, date: reference, amount: None, s: &mut *s };
        if decide(plan, prog, b, bp, &mut env, reference, target).is_none() {
            s.locals.clear();
            s.stack.clear();
            return false;
        }
    }
    out.benefits.truncate(n);
    out.trace = None;
    true
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
