//! One benefit decided step by step: its date, the in-force window, its
//! rule version, scope and conditions (all of them), then the amount
//! pipeline (`steps`), outputs and outcomes; the facts a step that could
//! not run needs (probes); the trace nodes each step opens and closes.

use crate::decision::*;
use crate::halt::text_fmt;
use crate::interp::{Ctx, Stop};
use crate::plan::Plan;
use crate::trace::{NodeKind, Verdict};
use crate::tracelog::{Event, Shown};
use chrono::NaiveDate;
use policy_core::ast::ConditionKind;
use policy_core::checked::{AmountStepDef, BenefitDef, CExpr, CKind, Citation, ConditionDef};
use policy_core::value::Value;
use rust_decimal::Decimal;
use std::sync::Arc;

use super::steps::*;
use super::Findings;

impl Plan {
    pub(super) fn run_benefit(
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
                    f.errors.push(text("internal: the benefit's date is not a date"));
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
                        None => f.errors.push(text("no reference date: pass one (e.g. `--as-of`)")),
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
                    // Shared text: a date like a recent one's allocates nothing.
                    let msg = crate::halt::shared_text(|out| {
                        out.push_str("no version of the rule is in force on ");
                        policy_core::value::push_date(out, date);
                        out.push_str(" (versions from ");
                        for (i, v) in b.versions.iter().enumerate() {
                            if i > 0 {
                                out.push_str(", ");
                            }
                            policy_core::value::push_date(out, v.from);
                        }
                        out.push(')');
                    });
                    self.trace_simple(ctx, NodeKind::Version, Verdict::Fail, || msg.to_string());
                    f.failed.push(Failure {
                        id: self.shared.version_id.clone(),
                        kind: FailureKind::NoVersion,
                        label: msg,
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
                f.errors.push(text_fmt(format_args!("the amount is negative ({})", show_amount(&a))));
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
                        ty: self.output_type(&o.ty),
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
            clear_outputs(&mut out.outputs);
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
    pub(super) fn without_date(&self, b: &BenefitDef, ctx: &mut Ctx<'_>, f: &mut Findings) -> Status {
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
    pub(super) fn probe_outputs(&self, ctx: &mut Ctx<'_>, b: &BenefitDef, f: &mut Findings) {
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
    pub(super) fn probe_steps<'s>(&self, ctx: &mut Ctx<'_>, steps: impl Iterator<Item = &'s AmountStepDef>, f: &mut Findings) {
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
    pub(super) fn probe(&self, ctx: &mut Ctx<'_>, e: &CExpr, f: &mut Findings) {
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
    pub(super) fn condition(&self, ctx: &mut Ctx<'_>, c: &ConditionDef, f: &mut Findings) {
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
            Ok(_) => f.errors.push(text_fmt(format_args!("internal: condition `{}` is not a bool", c.id))),
            Err(s) => {
                if c.kind == ConditionKind::Applies && matches!(*s, Stop::Missing(_) | Stop::Error(_)) {
                    f.undecided_scope = true;
                }
                f.stop(s, &c.id, c.cite.as_ref());
            }
        }
    }

    /// Opens a trace node when tracing; what it records is copied only then,
    /// so a decision without a trace pays nothing for it.
    #[inline]
    pub(super) fn open(
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
    pub(super) fn open_node(
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
    pub(super) fn note(&self, ctx: &mut Ctx<'_>, note: impl FnOnce(&Ctx<'_>) -> Shown) {
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
    pub(super) fn close(&self, ctx: &mut Ctx<'_>, opened: bool, verdict: Verdict, result: impl FnOnce(&Ctx<'_>) -> Shown) {
        if opened {
            self.close_node(ctx, verdict, result);
        }
    }

    #[inline(never)]
    pub(super) fn close_node(&self, ctx: &mut Ctx<'_>, verdict: Verdict, result: impl FnOnce(&Ctx<'_>) -> Shown) {
        let result = result(ctx);
        if let Some(log) = ctx.log() {
            if let Some(n) = log.current() {
                n.verdict = verdict;
                n.result = result;
            }
            log.close();
        }
    }

    pub(super) fn trace_simple(&self, ctx: &mut Ctx<'_>, kind: NodeKind, verdict: Verdict, note: impl FnOnce() -> String) {
        if self.open(ctx, kind, None, None, None, None) {
            self.note(ctx, |_| Shown::Text(note()));
            self.close(ctx, true, verdict, |_| Shown::None);
        }
    }

    pub(super) fn trace_date(
        &self,
        ctx: &mut Ctx<'_>,
        date: Option<NaiveDate>,
        note: impl FnOnce() -> Shown,
        verdict: Verdict,
        e: Option<&CExpr>,
    ) {
        if self.open(ctx, NodeKind::DateCheck, None, None, None, e) {
            self.note(ctx, |_| note());
            self.close(ctx, true, verdict, |_| date.map_or(Shown::None, Shown::Date));
        }
    }
}

/// `message` in a parked `String` (`halt.rs`): a decision's errors are
/// parked again when it is reused.
fn text(message: &str) -> String {
    let mut t = crate::halt::text();
    t.push_str(message);
    t
}
