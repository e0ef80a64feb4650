//! Checked policy → compiled program: expressions into typed closures
//! (`expr/`), benefits into the steps [`super::run`] walks, with the
//! static budget and depth bounds of the module's documentation.

use super::analysis::Measure;
use super::expr::Cx;
use super::*;
use crate::decision::{Failure, FailureKind, Outcome};
use crate::interp::{MAX_DECISION_STEPS, MAX_EVAL_DEPTH, MAX_EVAL_STEPS};
use crate::plan::Plan;
use policy_core::ast::ConditionKind;
use policy_core::checked::{AmountStepDef, BenefitDef, CExpr, RuleSet};

/// Per benefit of `plan`: whether it decides without a date ([`Measure::date_free`]).
pub(crate) fn date_free(plan: &Plan) -> Vec<bool> {
    let p = plan.policy();
    let mut m = Measure::new(p);
    p.benefits.iter().map(|b| m.date_free(b)).collect()
}

/// Per let, then per function of `plan`: whether it may stop on no row or
/// no tier ([`Measure::refusing`]).
pub(crate) fn refusing(plan: &Plan) -> (Vec<bool>, Vec<bool>) {
    Measure::new(plan.policy()).refusing()
}

/// Compiles every benefit it can; the others are interpreted, each with
/// the reason.
pub(crate) fn compile(plan: &Plan) -> Program {
    let p = plan.policy();
    let mut cx = Cx::new(plan);
    let mut m = Measure::new(p);
    let mut total = 0u64;
    let mut benefits = Vec::with_capacity(p.benefits.len());
    for b in &p.benefits {
        let r = benefit_cost(&mut m, b).and_then(|steps| {
            total = total.saturating_add(steps);
            benefit(plan, &mut cx, &mut m, b)
        });
        benefits.push(r);
    }
    if total > MAX_DECISION_STEPS {
        // All benefits together could exceed the decision's budget: the
        // interpreter keeps count.
        for b in &mut benefits {
            if b.is_ok() {
                *b = Err(format!("the benefits together could take more than {MAX_DECISION_STEPS} steps"));
            }
        }
    }
    let reads = p.benefits.iter().any(|b| !b.reads.is_empty());
    Program { benefits, in_force: (p.meta.in_force_from, p.meta.in_force_until), reads, kept: cx.into_kept() }
}

/// Every expression a benefit may evaluate.
fn exprs(b: &BenefitDef) -> Vec<&CExpr> {
    let mut out: Vec<&CExpr> = b.dated_by.iter().collect();
    for r in std::iter::once(&b.base).chain(b.versions.iter().map(|v| &v.rules)) {
        out.extend(r.conditions.iter().map(|c| &c.expr));
        for s in &r.amount {
            match s {
                AmountStepDef::Base { expr, .. } | AmountStepDef::Cap { expr, .. } => out.push(expr),
                AmountStepDef::Uplift { rate, when, .. } => out.extend([rate, when]),
                AmountStepDef::Override { when, value, .. } => out.extend([when, value]),
            }
        }
        out.extend(r.entitlements.iter().chain(&r.documents).filter_map(|o| o.when.as_ref()));
        out.extend(r.deadlines.iter().map(|d| &d.expr));
    }
    out.extend(b.outputs.iter().map(|o| &o.expr));
    out
}

/// The benefit's worst-case steps, or why it may exceed a budget.
fn benefit_cost(m: &mut Measure<'_>, b: &BenefitDef) -> Result<u64, String> {
    let mut steps = 0u64;
    for e in exprs(b) {
        let (s, depth) = m.cost(e);
        if depth as usize > MAX_EVAL_DEPTH {
            return Err(format!("an expression may nest deeper than {MAX_EVAL_DEPTH}"));
        }
        steps = steps.saturating_add(s);
    }
    if steps > MAX_EVAL_STEPS {
        return Err(format!("may take more than {MAX_EVAL_STEPS} steps"));
    }
    Ok(steps)
}

fn benefit(plan: &Plan, cx: &mut Cx<'_>, m: &mut Measure<'_>, b: &BenefitDef) -> Result<BenefitProg, String> {
    let dated_by = b.dated_by.as_ref().map(|e| cx.date(e)).transpose()?;
    // Failures numbered in the order a decision lists them (see
    // `BenefitProg::failures`): scopes first, then the other conditions.
    let sets = || std::iter::once(&b.base).chain(b.versions.iter().map(|v| &v.rules));
    let scopes = sets().flat_map(|r| &r.conditions).filter(|c| c.kind == ConditionKind::Applies).count();
    let conditions = sets().map(|r| r.conditions.len()).sum::<usize>();
    let mut entries = Entries { failures: vec![None; conditions], next_scope: 0, next_other: scopes, ..Entries::default() };
    let base = rules(cx, m, &b.base, &mut entries)?;
    let versions = b
        .versions
        .iter()
        .map(|v| Ok(Version { from: v.from, until: v.until, rules: rules(cx, m, &v.rules, &mut entries)? }))
        .collect::<Result<Vec<_>, String>>()?;
    // The not-in-force failure, last (`run` finds it there).
    let sh = &plan.shared;
    entries.failures.push(Some(Failure {
        id: sh.in_force_id.clone(),
        kind: FailureKind::NotInForce,
        label: sh.in_force_label.clone(),
        citation: None,
    }));
    let p = cx.policy();
    let outputs = b
        .outputs
        .iter()
        .map(|o| {
            Ok(OutputProg {
                value: cx.any(&o.expr)?,
                id: o.id.clone(),
                label: o.label.clone(),
                ty: o.ty.clone(),
                ty_name: Arc::from(p.type_name(&o.ty)),
                citation: o.cite.clone(),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let Entries { failures, entitlements, documents, .. } = entries;
    let failures = failures.into_iter().collect::<Option<Vec<_>>>().ok_or("internal: a condition without its failure")?;
    let narrow = [failures.len(), entitlements.len(), documents.len()].iter().all(|&n| n <= 64);
    Ok(BenefitProg { dated_by, date_free: m.date_free(b), base, versions, outputs, failures, entitlements, documents, narrow })
}

/// A benefit's failures and outcomes as the decision lists them, numbered
/// in the order compiled.
#[derive(Default)]
struct Entries {
    /// Each condition's failure in its place (scopes first).
    failures: Vec<Option<Failure>>,
    next_scope: usize,
    next_other: usize,
    entitlements: Vec<Outcome>,
    documents: Vec<Outcome>,
}

impl Entries {
    fn failure(&mut self, f: Failure) -> Result<u32, String> {
        let next = if f.kind == FailureKind::Scope { &mut self.next_scope } else { &mut self.next_other };
        let i = *next;
        *next += 1;
        *self.failures.get_mut(i).ok_or("internal: a condition not counted")? = Some(f);
        u32::try_from(i).map_err(|_| "too many conditions".to_string())
    }

    fn outcome(list: &mut Vec<Outcome>, o: &policy_core::checked::OutcomeDef) -> Result<u32, String> {
        let i = u32::try_from(list.len()).map_err(|_| "too many outcomes".to_string())?;
        list.push(Outcome { label: o.label.clone(), citation: o.cite.clone(), depends_on: Vec::new() });
        Ok(i)
    }
}

fn rules(cx: &mut Cx<'_>, m: &mut Measure<'_>, r: &RuleSet, entries: &mut Entries) -> Result<Rules, String> {
    let conditions = r
        .conditions
        .iter()
        .map(|c| {
            let (kind, fk) = match c.kind {
                ConditionKind::Applies => (CondKind::Applies, FailureKind::Scope),
                ConditionKind::Require => (CondKind::Require, FailureKind::Require),
                ConditionKind::Exclude => (CondKind::Exclude, FailureKind::Exclude),
            };
            Ok(Cond {
                kind,
                may_refuse: m.may_refuse(&c.expr),
                test: cx.pred(&c.expr)?,
                failure: entries.failure(Failure { id: c.id.clone(), kind: fk, label: c.label.clone(), citation: c.cite.clone() })?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let steps = r
        .amount
        .iter()
        .map(|s| {
            Ok(match s {
                AmountStepDef::Base { expr, .. } => Step::Base(cx.num(expr)?),
                AmountStepDef::Cap { expr, .. } => match cx.num_or_const(expr)? {
                    (_, Some(c)) => Step::CapConst(Box::new(super::expr::Konst::new(c))),
                    (f, None) => Step::Cap(f),
                },
                AmountStepDef::Uplift { rate, when, until, .. } => {
                    Step::Uplift { rate: cx.num(rate)?, when: cx.pred(when)?, until: *until }
                }
                AmountStepDef::Override { when, value, .. } => Step::Override { when: cx.pred(when)?, value: cx.num(value)? },
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let outcome = |cx: &mut Cx<'_>, list: &mut Vec<Outcome>, o: &policy_core::checked::OutcomeDef| -> Result<OutcomeProg, String> {
        Ok(OutcomeProg { when: o.when.as_ref().map(|w| cx.pred(w)).transpose()?, outcome: Entries::outcome(list, o)? })
    };
    let entitlements = r.entitlements.iter().map(|o| outcome(cx, &mut entries.entitlements, o)).collect::<Result<Vec<_>, String>>()?;
    let documents = r.documents.iter().map(|o| outcome(cx, &mut entries.documents, o)).collect::<Result<Vec<_>, String>>()?;
    let deadlines = r
        .deadlines
        .iter()
        .map(|d| Ok(DeadlineProg { date: cx.date(&d.expr)?, label: d.label.clone(), citation: d.cite.clone() }))
        .collect::<Result<Vec<_>, String>>()?;
    let replaces = r.amount.iter().any(|s| matches!(s, AmountStepDef::Base { .. }));
    let (scopes, conditions) = conditions.into_iter().partition(|c: &Cond| c.kind == CondKind::Applies);
    Ok(Rules { scopes, conditions, steps, entitlements, documents, deadlines, replaces })
}
