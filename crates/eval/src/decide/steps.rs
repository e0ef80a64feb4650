//! The amount pipeline's steps (base, cap, uplift, exception) over an
//! exact amount or an authority's range, and the outcomes (entitlements,
//! documents), with what an unknown condition leaves decided either way.

use crate::decision::*;
use crate::interp::{Ctx, Halt, Stop};
use crate::plan::Plan;
use crate::trace::{NodeKind, Verdict};
use crate::tracelog::Shown;
use chrono::NaiveDate;
use policy_core::checked::{AmountStepDef, CExpr, CKind, OutcomeDef};
use policy_core::value::{self as v, Value};
use rust_decimal::Decimal;
use std::sync::Arc;

use super::Findings;

/// The running amount: exact, or a range when an authority sets it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Amount {
    Exact(Decimal),
    Range(Decimal, Decimal),
}

impl Amount {
    /// Applies `f` to the amount, or to each bound of a range; the range
    /// stays ordered when `f` reverses it (a factor below zero).
    pub(super) fn map(self, f: impl Fn(Decimal) -> Result<Decimal, Halt>) -> Result<Amount, Halt> {
        Ok(match self {
            Amount::Exact(a) => Amount::Exact(f(a)?),
            Amount::Range(l, h) => Amount::ordered(f(l)?, f(h)?),
        })
    }

    /// The range between `x` and `y`, whichever is lower.
    pub(super) fn ordered(x: Decimal, y: Decimal) -> Amount {
        Amount::Range(x.min(y), x.max(y))
    }

    /// Whether two amounts are the same value (or the same range).
    pub(super) fn same(&self, other: &Amount) -> bool {
        match (*self, *other) {
            (Amount::Exact(a), Amount::Exact(b)) => a == b,
            (Amount::Range(a, b), Amount::Range(c, d)) => a == c && b == d,
            _ => false,
        }
    }

    /// The lowest value the amount can take.
    pub(super) fn low(&self) -> Decimal {
        match *self {
            Amount::Exact(a) | Amount::Range(a, _) => a,
        }
    }
}

/// An amount step's expression evaluated with `amount` bound to the amount
/// so far: its values at the low and the high end. A range's low end is
/// evaluated only when the expression read `amount` at the high end, so an
/// expression that ignores it runs once.
pub(super) fn eval_with_amount(ctx: &mut Ctx<'_>, e: &CExpr, current: Amount) -> Result<(Decimal, Decimal), Halt> {
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

impl Plan {
    /// Runs one amount step; `Err(())` stops the pipeline.
    pub(super) fn amount_step(
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

    pub(super) fn outcome(&self, ctx: &mut Ctx<'_>, o: &OutcomeDef, kind: NodeKind, f: &mut Findings) -> Option<Outcome> {
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
                    Some(Outcome { label: o.label.clone(), citation: o.cite.clone(), depends_on: copy_names(names) })
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
    pub(super) fn may_refuse(&self, e: Option<&CExpr>) -> bool {
        e.is_some_and(|e| may_refuse(&self.refusing, e))
    }
}

/// A step whose condition stopped on `stop`: when the condition is unknown
/// only for want of facts, and applying the step leaves the amount as it is,
/// the step cannot change the decision whatever those facts are. Returns the
/// missing-fact stop then (`Ok`); otherwise the stop to report (`Err`, with
/// the facts the step itself would need added).
pub(super) fn either_way(
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
pub(super) fn missing_names(stop: &Halt) -> &[Arc<str>] {
    match &**stop {
        Stop::Missing(names) => names,
        _ => &[],
    }
}

#[cold]
pub(super) fn unknown_note(names: &[Arc<str>], current: &Amount) -> String {
    format!("its condition is unknown (missing {}), but the amount is {} either way", join_names(names), show_amount(current))
}

/// `names` copied into a parked list (`halt.rs`).
fn copy_names(names: &[Arc<str>]) -> Vec<Arc<str>> {
    let mut out = crate::halt::names_list();
    out.extend_from_slice(names);
    out
}

pub(super) fn join_names(names: &[Arc<str>]) -> String {
    names.iter().map(|n| &**n).collect::<Vec<_>>().join(", ")
}

/// See [`Plan::may_refuse`]; `refusing` tells it of each let and function
/// (worked out once per plan, so the walk neither recurses into them nor
/// allocates).
pub(super) fn may_refuse(refusing: &(Vec<bool>, Vec<bool>), e: &CExpr) -> bool {
    match &e.kind {
        CKind::Lookup(..) | CKind::Tiers { otherwise: None, .. } => true,
        CKind::Let(id) => refusing.0.get(id.index()).copied().unwrap_or(true),
        CKind::Apply(f, args) => args.iter().any(|a| may_refuse(refusing, a)) || refusing.1.get(f.index()).copied().unwrap_or(true),
        _ => e.each_child(|c| may_refuse(refusing, c)),
    }
}

/// An amount as a trace shows it, kept as values until the tree is built.
pub(super) fn amount_shown(a: &Amount) -> Shown {
    match a {
        Amount::Exact(x) => Shown::Money(*x),
        Amount::Range(l, h) => Shown::MoneyRange(*l, *h),
    }
}

pub(super) fn show_amount(a: &Amount) -> String {
    match a {
        Amount::Exact(x) => v::money_string(*x),
        Amount::Range(l, h) => format!("{} .. {}", v::money_string(*l), v::money_string(*h)),
    }
}
