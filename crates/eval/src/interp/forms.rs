//! The interpreter's compound forms: lets (bottom-up, with an explicit
//! stack), parameters by date, calls of declared functions, another
//! benefit's amount, table lookups, `and`/`or` and comparisons, tiers,
//! `scale`, quantifiers, aggregates and built-in functions.

use crate::trace::NodeKind;
use crate::tracelog::{Event, Shown};
use chrono::Datelike;
use policy_core::ast::{AggKind, BinOp, QuantKind};
use policy_core::checked::{Builtin, CExpr, CTierTest, Type};
use policy_core::value::{self as v, Value, ValueError};
use rust_decimal::Decimal;
use std::sync::Arc;

use super::*;

impl Ctx<'_> {
    /// A let's value: its dependencies are evaluated first, bottom-up with an
    /// explicit stack, so a long chain of lets never deepens the Rust stack.
    pub(super) fn eval_let(&mut self, i: usize) -> Result<Value, Halt> {
        if matches!(self.s.lets.get(i), Some(LetSlot::Empty)) {
            // The stack buffer is taken while in use (nested lets are already
            // evaluated by then, so a nested call rarely needs one).
            let mut stack = std::mem::take(&mut self.s.let_stack);
            stack.clear();
            stack.push((i, 0usize));
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let dep = self.plan.let_deps.get(node).and_then(|d| d.get(*next)).copied();
                *next += 1;
                match dep {
                    Some(d) if matches!(self.s.lets.get(d), Some(LetSlot::Empty)) && !stack.iter().any(|(n, _)| *n == d) => {
                        stack.push((d, 0))
                    }
                    Some(_) => {}
                    None => {
                        stack.pop();
                        if node != i {
                            // The result is cached in its slot; errors surface where it is read.
                            let _cached = self.eval_let_body(node, false);
                        }
                    }
                }
            }
            self.s.let_stack = stack;
        }
        self.eval_let_body(i, true)
    }

    /// Evaluates (or reuses) let `i`; `is_read` records it as read by the current step.
    pub(super) fn eval_let_body(&mut self, i: usize, is_read: bool) -> Result<Value, Halt> {
        let p = self.plan.policy();
        let def = p.lets.get(i).ok_or_else(|| halt("internal: no let"))?;
        match self.s.lets.get(i) {
            Some(LetSlot::Done(r)) => {
                let r = r.clone();
                if let (Ok(v), true, Some(_)) = (&r, is_read, self.tracer) {
                    {
                        let plan = self.plan;
                        self.read_named(&plan.shared.lets, i, v, &def.ty);
                    }
                }
                return r;
            }
            Some(LetSlot::Busy) => return Err(Halt::error_fmt(format_args!("internal: `{}` depends on itself", def.name))),
            _ => {}
        }
        if let Some(s) = self.s.lets.get_mut(i) {
            *s = LetSlot::Busy;
        }
        let opened = if self.full() {
            let mut node = Event::new(NodeKind::Let);
            (node.id, node.label) = named(&self.plan.shared.lets, i);
            node.source = Some((def.value.file, def.value.span));
            node.citation = def.cite.clone();
            self.s.log.open(node);
            true
        } else {
            false
        };
        let r = self.eval(&def.value);
        self.close_child(opened, &r, &def.ty);
        if let Some(s) = self.s.lets.get_mut(i) {
            *s = LetSlot::Done(r.clone());
        }
        if let (Ok(v), true, Some(_)) = (&r, is_read, self.tracer) {
            {
                let plan = self.plan;
                self.read_named(&plan.shared.lets, i, v, &def.ty);
            }
        }
        r
    }

    /// Opens the trace node of a call of `def` whose arguments are on the
    /// value stack from `start`.
    #[cold]
    pub(super) fn open_call(&mut self, e: &CExpr, f: usize, start: usize) -> bool {
        let p = self.plan.policy();
        let Some(def) = p.functions.get(f) else { return false };
        let mut node = Event::new(NodeKind::Call);
        (node.id, node.label) = named(&self.plan.shared.fns, f);
        node.citation = def.cite.clone();
        node.source = Some((e.file, e.span));
        self.s.log.open(node);
        for ((name, ty), v) in def.params.iter().zip(self.s.stack.get(start..).unwrap_or(&[])) {
            let name: Arc<str> = Arc::from(name.as_str());
            self.s.log.read(&name, || shown(self.plan, v, ty));
        }
        true
    }

    /// Records a read of the declaration `i` of `names` (a let or a parameter).
    pub(super) fn read_named(&mut self, names: &[(Arc<str>, Option<Arc<str>>)], i: usize, v: &Value, ty: &Type) {
        if let Some((name, _)) = names.get(i) {
            self.read(name, v, ty);
        }
    }

    /// `amount_of(b)`: what benefit `b`, decided earlier in this decision,
    /// pays; a refusal pays zero. Traced as a read naming the benefit.
    pub(super) fn benefit_amount(&mut self, b: usize) -> Result<Value, Halt> {
        let p = self.plan.policy();
        let def = p.benefits.get(b).ok_or_else(|| halt("internal: no benefit"))?;
        let read = self.s.amounts.get(b).cloned().unwrap_or_default();
        match read {
            AmountRead::Value(a, status) => {
                if self.tracer.is_some() && self.full() {
                    let shown = format!("{} ({}: {}, {})", v::money_string(a), def.id, def.label, status.as_str());
                    let name: Arc<str> = Arc::from(format!("amount_of({})", def.id));
                    self.s.log.read(&name, || Shown::Text(shown));
                }
                Ok(Value::Num(a))
            }
            AmountRead::Range(l, h) => Err(Halt::error_fmt(format_args!(
                "the amount of `{}` is a range an authority fixes ({} .. {}): another benefit cannot read it until it is given",
                def.id,
                v::money_string(l),
                v::money_string(h)
            ))),
            AmountRead::Missing(names) => Err(Halt::new(Stop::Missing(names))),
            AmountRead::Error(e) => Err(Halt::error_fmt(format_args!("the amount of `{}` is undetermined: {e}", def.id))),
            AmountRead::Unset => Err(Halt::error_fmt(format_args!("internal: `{}` was not decided before it was read", def.id))),
        }
    }

    pub(super) fn eval_param(&mut self, i: usize) -> Result<Value, Halt> {
        let p = self.plan.policy();
        let def = p.params.get(i).ok_or_else(|| halt("internal: no param"))?;
        let Some(date) = self.date else {
            // Probing without a date (the common case): the stop is dropped unread.
            if self.probing {
                return Err(Halt::new(Stop::Error(String::new())));
            }
            return Err(Halt::error_fmt(format_args!("parameter `{}` needs a date to pick its value; none was given", def.name)));
        };
        let Some(version) = def.versions.iter().rev().find(|v| v.from <= date && v.until.is_none_or(|u| date <= u)) else {
            return Err(Halt::error_fmt(format_args!("parameter `{}` has no value on {date}", def.name)));
        };
        let opened = if self.full() {
            let mut node = Event::new(NodeKind::Param);
            (node.id, node.label) = named(&self.plan.shared.params, i);
            node.note = Shown::Text(match version.until {
                Some(u) => format!("version {} .. {} chosen for {date}", version.from, u),
                None => format!("version from {} chosen for {date}", version.from),
            });
            node.citation = version.cite.clone().or_else(|| def.cite.clone());
            self.s.log.open(node);
            true
        } else {
            false
        };
        let r = self.eval(&version.value);
        self.close_child(opened, &r, &def.ty);
        if let (Ok(v), Some(_)) = (&r, self.tracer) {
            {
                let plan = self.plan;
                self.read_named(&plan.shared.params, i, v, &def.ty);
            }
        }
        r
    }

    pub(super) fn lookup(&mut self, t: usize, keys: &[CExpr], exists: bool, traced: bool) -> Result<Value, Halt> {
        let p = self.plan.policy();
        let def = p.tables.get(t).ok_or_else(|| halt("internal: no table"))?;
        let start = self.eval_all(keys)?;
        let key = self.s.stack.get(start..).unwrap_or(&[]);
        let index = self.plan.indexes.get(t).and_then(|ix| ix.get(key)).copied();
        let row = index.and_then(|i| def.rows.get(i));
        let push_keys = |out: &mut String, key: &[Value]| {
            let rt = p.records.get(def.row_type.index());
            for (i, k) in key.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match rt.and_then(|r| r.fields.get(i)) {
                    Some((_, ty, _)) => crate::trace::push_value(out, p, k, ty),
                    None => out.push_str(&format!("{k:?}")),
                }
            }
        };
        let shown = traced.then(|| {
            let mut out = String::with_capacity(16 * key.len());
            push_keys(&mut out, key);
            out
        });
        // A stop shows the keys as shared text: an applicant with the keys
        // of a recent one allocates nothing (`halt::shared_text`).
        let stop_keys = (row.is_none() && !exists && !self.probing).then(|| match &shown {
            Some(s) => crate::halt::shared_text(|out| out.push_str(s)),
            None => crate::halt::shared_text(|out| push_keys(out, key)),
        });
        self.s.stack.truncate(start);
        if traced {
            let keys_shown = shown.unwrap_or_default();
            let found = row.is_some();
            let (id, label) = named(&self.plan.shared.tables, t);
            self.note(|n| {
                n.id = id;
                n.label = label;
                n.citation = def.cite.clone();
                n.note = Shown::Text(if found { format!("row for ({keys_shown})") } else { format!("no row for ({keys_shown})") });
                n.branch = index;
            });
        }
        if exists {
            return Ok(Value::Bool(row.is_some()));
        }
        match row {
            Some(r) => Ok(Value::Record(r.clone())),
            None => {
                let shared = &self.plan.shared;
                let (id, table) = match (shared.no_row_ids.get(t), shared.tables.get(t)) {
                    (Some(id), Some((table, _))) if !self.probing => (id.clone(), table.clone()),
                    _ => (shared.empty.clone(), shared.empty.clone()),
                };
                let keys = stop_keys.unwrap_or_else(|| shared.empty.clone());
                let citation = if self.probing { None } else { def.cite.clone() };
                Err(Halt::new(Stop::NoRow { id, table, keys, citation }))
            }
        }
    }

    pub(super) fn binary(&mut self, op: BinOp, a: &CExpr, b: &CExpr) -> Result<Value, Halt> {
        match op {
            BinOp::And | BinOp::Or => {
                let decisive = op == BinOp::Or;
                let x = self.eval(a);
                if let Ok(Value::Bool(x)) = &x {
                    if *x == decisive {
                        return Ok(Value::Bool(decisive));
                    }
                }
                let y = self.eval(b);
                match (x, y) {
                    (Ok(x), Ok(y)) => Ok(Value::Bool(if decisive { x.bool()? || y.bool()? } else { x.bool()? && y.bool()? })),
                    (Err(_), Ok(Value::Bool(y))) if y == decisive => Ok(Value::Bool(decisive)),
                    (Err(s), Ok(_)) | (Ok(_), Err(s)) => Err(s),
                    (Err(s), Err(t)) => Err(merge_lazy(s, t)),
                }
            }
            _ => {
                let (x, y) = both(self.eval(a), self.eval(b))?;
                if matches!(op, BinOp::Eq | BinOp::Ne) && matches!(x, Value::List(_) | Value::Record(_)) {
                    self.charge(weight(&x).saturating_add(weight(&y)))?;
                }
                apply(op, &x, &y)
            }
        }
    }

    pub(super) fn tiers(
        &mut self,
        subject: &CExpr,
        tiers: &[policy_core::checked::CTier],
        otherwise: Option<&CExpr>,
    ) -> Result<Value, Halt> {
        let s = self.eval(subject)?;
        for (i, t) in tiers.iter().enumerate() {
            let hit = match &t.test {
                CTierTest::Cmp(op, bound) => {
                    let b = self.eval(bound)?;
                    apply(*op, &s, &b)?.bool()?
                }
                CTierTest::Range(lo, hi) => {
                    let l = self.eval(lo)?;
                    let h = self.eval(hi)?;
                    apply(BinOp::Ge, &s, &l)?.bool()? && apply(BinOp::Lt, &s, &h)?.bool()?
                }
            };
            if hit {
                if self.full() {
                    let note = Shown::Tier { value: s.clone(), ty: subject.ty.clone(), tier: i, file: t.value.file, span: t.span };
                    self.note(|n| {
                        n.note = note;
                        n.branch = Some(i);
                    });
                }
                return self.eval(&t.value);
            }
        }
        match otherwise {
            Some(o) => {
                if self.full() {
                    let shown = self.show(&s, &subject.ty);
                    let branch = tiers.len();
                    self.note(|n| {
                        n.note = Shown::Text(format!("{shown} matched no tier; else applies"));
                        n.branch = Some(branch);
                    });
                }
                self.eval(o)
            }
            None if self.probing => Err(Halt::new(Stop::NoTier { subject: self.plan.shared.empty.clone() })),
            None => {
                let p = self.plan.policy();
                Err(Halt::new(Stop::NoTier { subject: crate::halt::shared_text(|out| crate::trace::push_value(out, p, &s, &subject.ty)) }))
            }
        }
    }

    pub(super) fn scale(&mut self, subject: &CExpr, bands: &[(CExpr, CExpr)], rest: Option<&CExpr>, ty: &Type) -> Result<Value, Halt> {
        let s = self.eval(subject)?.num()?;
        // The band buffer is taken while in use (a band's own expression may
        // hold another `scale`, which then gets a fresh one).
        let mut bs = std::mem::take(&mut self.s.bands);
        bs.clear();
        let filled = (|| {
            for (w, r) in bands {
                bs.push((self.eval(w)?.num()?, self.eval(r)?.num()?));
            }
            Ok::<_, Halt>(())
        })();
        let rest_rate = match (filled, rest) {
            (Err(e), _) => Err(e),
            (Ok(()), Some(r)) => self.eval(r).and_then(|x| Ok(Some(x.num()?))),
            (Ok(()), None) => Ok(None),
        };
        // The slices are kept only for a full trace's note.
        let mut slices = Vec::new();
        let full = self.full();
        let computed = rest_rate.and_then(|rate| Ok(v::scale_into(s, &bs, rate, full.then_some(&mut slices))?));
        self.s.bands = bs;
        let total = computed?;
        if full {
            let rate_ty = bands.first().map(|b| b.1.ty.clone()).unwrap_or(Type::Decimal);
            let parts: Vec<String> = slices
                .iter()
                .filter(|sl| !sl.quantity.is_zero())
                .map(|sl| format!("{} × {}", sl.quantity.normalize(), self.show(&Value::Num(sl.rate), &rate_ty)))
                .collect();
            let total_shown = self.show(&Value::Num(total), ty);
            self.note(|n| {
                n.note = Shown::Text(format!("{} = {}", if parts.is_empty() { "0".into() } else { parts.join(" + ") }, total_shown))
            });
        }
        Ok(Value::Num(total))
    }

    pub(super) fn each<T>(
        &mut self,
        list: &CExpr,
        mut f: impl FnMut(&mut Self, &Value) -> Result<Option<T>, Halt>,
    ) -> Result<Option<T>, Halt> {
        let l = self.eval(list)?;
        let items = l.list()?.clone();
        for item in items.iter() {
            self.charge(1)?;
            self.s.locals.push(item.clone());
            let r = f(self, item);
            self.s.locals.pop();
            if let Some(done) = r? {
                return Ok(Some(done));
            }
        }
        Ok(None)
    }

    pub(super) fn quant(&mut self, kind: QuantKind, list: &CExpr, filter: Option<&CExpr>) -> Result<Value, Halt> {
        let mut count = Decimal::ZERO;
        let mut pending: Option<Halt> = None;
        let decisive = kind == QuantKind::Any;
        let found = self.each(list, |this, _| {
            let hit = match filter {
                None => Ok(true),
                Some(f) => this.eval(f).and_then(|v| Ok(v.bool()?)),
            };
            match hit {
                Ok(h) => {
                    if h {
                        count = v::add(count, Decimal::ONE)?;
                    }
                    Ok(match kind {
                        QuantKind::Count => None,
                        _ if h == decisive => Some(()),
                        _ => None,
                    })
                }
                Err(s) => {
                    pending = Some(match pending.take() {
                        Some(p) => merge_lazy(p, s),
                        None => s,
                    });
                    Ok(None)
                }
            }
        })?;
        match kind {
            QuantKind::Any if found.is_some() => Ok(Value::Bool(true)),
            QuantKind::All if found.is_some() => Ok(Value::Bool(false)),
            _ => match pending {
                Some(s) => Err(s),
                None => Ok(match kind {
                    QuantKind::Count => Value::Num(count),
                    QuantKind::Any => Value::Bool(false),
                    QuantKind::All => Value::Bool(true),
                }),
            },
        }
    }

    pub(super) fn agg(&mut self, kind: AggKind, list: &CExpr, value: &CExpr, filter: Option<&CExpr>) -> Result<Value, Halt> {
        let mut acc: Option<Value> = None;
        let mut n = Decimal::ZERO;
        self.each(list, |this, _| {
            if let Some(f) = filter {
                if !this.eval(f)?.bool()? {
                    return Ok(None::<()>);
                }
            }
            let x = this.eval(value)?;
            n = v::add(n, Decimal::ONE)?;
            acc = Some(match (acc.take(), kind) {
                (None, _) => x,
                (Some(a), AggKind::Sum | AggKind::Avg) => Value::Num(v::add(a.num()?, x.num()?)?),
                (Some(a), AggKind::Min) => {
                    if apply(BinOp::Lt, &x, &a)?.bool()? {
                        x
                    } else {
                        a
                    }
                }
                (Some(a), AggKind::Max) => {
                    if apply(BinOp::Gt, &x, &a)?.bool()? {
                        x
                    } else {
                        a
                    }
                }
            });
            Ok(None)
        })?;
        match (kind, acc) {
            (AggKind::Sum, None) => Ok(Value::Num(Decimal::ZERO)),
            (AggKind::Min, None) => Err(ValueError::EmptyAggregate("min").into()),
            (AggKind::Max, None) => Err(ValueError::EmptyAggregate("max").into()),
            (AggKind::Avg, None) => Err(ValueError::EmptyAggregate("avg").into()),
            (AggKind::Avg, Some(total)) => Ok(Value::Num(v::div(total.num()?, n)?)),
            (_, Some(a)) => Ok(a),
        }
    }

    pub(super) fn call(&mut self, f: Builtin, args: &[CExpr]) -> Result<Value, Halt> {
        let start = self.eval_all(args)?;
        let r = builtin(f, self.s.stack.get(start..).unwrap_or(&[]));
        self.s.stack.truncate(start);
        r
    }
}

/// Applies a built-in function to its evaluated arguments.
fn builtin(f: Builtin, vals: &[Value]) -> Result<Value, Halt> {
    let arg = |i: usize| vals.get(i).cloned().ok_or_else(|| halt("internal: missing argument"));
    Ok(match f {
        Builtin::Min | Builtin::Max => {
            let op = if f == Builtin::Min { BinOp::Lt } else { BinOp::Gt };
            let mut best = arg(0)?;
            for x in vals.iter().skip(1) {
                if apply(op, x, &best)?.bool()? {
                    best = x.clone();
                }
            }
            best
        }
        Builtin::Clamp => {
            let (x, lo, hi) = (arg(0)?, arg(1)?, arg(2)?);
            let x = if apply(BinOp::Lt, &x, &lo)?.bool()? { lo } else { x };
            if apply(BinOp::Gt, &x, &hi)?.bool()? {
                hi
            } else {
                x
            }
        }
        Builtin::Abs => Value::Num(arg(0)?.num()?.abs()),
        Builtin::Round(mode) => Value::Num(v::round(arg(0)?.num()?, arg(1)?.num()?, mode)?),
        Builtin::Year => Value::Num(Decimal::from(arg(0)?.date()?.year())),
        Builtin::Month => Value::Num(Decimal::from(arg(0)?.date()?.month())),
        Builtin::Day => Value::Num(Decimal::from(arg(0)?.date()?.day())),
        Builtin::Age => Value::Num(Decimal::from(v::age(arg(0)?.date()?, arg(1)?.date()?)?)),
        Builtin::DaysBetween => Value::Num(Decimal::from(v::days_between(arg(0)?.date()?, arg(1)?.date()?))),
    })
}
