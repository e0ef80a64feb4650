//! The interpreter: evaluates checked expressions against facts, with
//! three-valued logic over missing facts, exact checked arithmetic, and an
//! optional trace recorder that costs nothing when off.

use crate::facts::Facts;
use crate::plan::Plan;
use crate::trace::{NodeKind, TraceLevel, Verdict};
use crate::tracelog::{Event, Log, Shown};
use chrono::NaiveDate;
use policy_core::ast::{BinOp, UnOp};
use policy_core::checked::{CExpr, CKind, Type};
use policy_core::value::{self as v, Value, ValueError};
use rust_decimal::Decimal;
use std::sync::Arc;

mod forms;

/// Most nested evaluation steps (expressions within lets within expressions).
pub const MAX_EVAL_DEPTH: usize = 200;

/// Most work one evaluation context (one benefit, one assertion) may do:
/// every expression evaluated, every list element a quantifier or aggregate
/// visits, and every list element and record field `in`, `==` and `!=`
/// compare count one step. Bounds nested iteration over large list facts
/// (`any(a in xs where any(b in xs where …))` is quadratic in `xs`); beyond
/// it the evaluation is an error (the benefit is `undetermined`).
pub const MAX_EVAL_STEPS: u64 = 10_000_000;

/// Most work one decision may do, all its benefits together (steps counted
/// as for [`MAX_EVAL_STEPS`]). Without it a policy of many benefits, each
/// under its own limit, could cost minutes per decision (400 benefits cost
/// 62 s). A benefit reached after the budget is spent, or that spends the
/// rest of it, is `undetermined` with the decision-budget error.
pub const MAX_DECISION_STEPS: u64 = 40_000_000;

/// Most work compiling one plan may do: evaluating every `assert` (and the
/// explanation of a failed one), all together. Beyond it the assertion that
/// ran out is an `R308` error and the plan is not built.
pub const MAX_COMPILE_STEPS: u64 = 40_000_000;

/// Which budget an evaluation context runs under; the error names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Budget {
    /// [`MAX_EVAL_STEPS`]: one benefit or assertion.
    Evaluation,
    /// [`MAX_DECISION_STEPS`]: what is left of the decision's budget.
    Decision,
    /// [`MAX_COMPILE_STEPS`]: what is left of the plan compilation's budget.
    Compile,
}

pub use crate::halt::Stop;

/// A stop as evaluation passes it around: boxed, so that a
/// `Result<Value, Halt>` is no bigger than a value plus a tag (a stop is the
/// rare path; moving results is the hot one).
pub(crate) use crate::halt::Halt;

impl From<ValueError> for Halt {
    fn from(e: ValueError) -> Self {
        Halt::error_fmt(format_args!("{e}"))
    }
}

/// An evaluation error (its text in a parked `String`: `halt.rs`).
pub(crate) fn halt(message: &str) -> Halt {
    Halt::error(message)
}

/// Merges the missing facts of two stops, preferring decisive stops (the
/// first stop's box is reused).
#[allow(clippy::boxed_local)] // both arrive boxed from evaluation; unboxing at the call sites would only move the same work there
pub(crate) fn merge(mut a: Halt, b: Halt) -> Halt {
    if let Stop::Missing(x) = &mut *a {
        match &*b {
            Stop::Missing(y) => {
                for n in y {
                    if !x.contains(n) {
                        x.push(n.clone());
                    }
                }
            }
            _ => return b,
        }
    }
    a
}

/// Merges two stops where the operands are evaluated lazily (`and`, `or`,
/// `in`, `any`, `all`): had the missing fact been given, it could have
/// decided the whole without the other operand's stop (a table with no row,
/// an error), so a missing fact prevails: the result is unknown, not a
/// refusal that a value of that fact would have avoided.
#[allow(clippy::boxed_local)] // as `merge`
pub(crate) fn merge_lazy(a: Halt, b: Halt) -> Halt {
    match (matches!(*a, Stop::Missing(_)), matches!(*b, Stop::Missing(_))) {
        (true, true) => merge(a, b),
        (false, true) => b,
        _ => a,
    }
}

#[derive(Debug, Clone)]
pub(crate) enum LetSlot {
    Empty,
    Busy,
    Done(Result<Value, Halt>),
}

/// Buffers an evaluation needs, kept between decisions so that deciding
/// allocates nothing once they have grown to the policy's size.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    lets: Vec<LetSlot>,
    locals: Vec<Value>,
    /// Values of argument lists and table keys being evaluated.
    stack: Vec<Value>,
    /// The explicit stack of [`Ctx::eval_let`].
    let_stack: Vec<(usize, usize)>,
    /// Bands of the `scale` being evaluated.
    bands: Vec<(Decimal, Decimal)>,
    /// What each benefit decided so far in this decision pays, for
    /// `amount_of` (indexed like the policy's benefits).
    pub(crate) amounts: Vec<AmountRead>,
    /// Per benefit: its slot in the decision, when it was asked for.
    pub(crate) slots: Vec<Option<usize>>,
    /// Per benefit: whether a benefit asked for reads it (set only when
    /// the decision asks for some benefits).
    pub(crate) read: Vec<bool>,
    /// The trace's event log (recorded only when tracing).
    pub(crate) log: Log,
}

/// A decided benefit's amount as another benefit reads it (`amount_of`).
#[derive(Debug, Clone, Default)]
pub(crate) enum AmountRead {
    /// Not decided (yet): a benefit is decided after those it reads, so
    /// only a benefit left out of the decision reads as this.
    #[default]
    Unset,
    /// Eligible for this amount, or refused (zero).
    Value(Decimal, crate::decision::Status),
    /// Eligible for an amount an authority fixes within a range.
    Range(Decimal, Decimal),
    /// Undetermined for want of these facts.
    Missing(Vec<Arc<str>>),
    /// Undetermined by an error.
    Error(String),
}

/// Evaluation state for one benefit (or one assertion).
pub(crate) struct Ctx<'a> {
    pub plan: &'a Plan,
    pub facts: &'a Facts,
    /// The benefit's date (picks parameter versions).
    pub date: Option<NaiveDate>,
    /// Buffers, borrowed from the caller so that they outlive the context.
    s: &'a mut Scratch,
    /// The amount so far (read by `amount` in caps and overrides).
    pub amount: Option<Decimal>,
    /// Set when an expression reads [`Self::amount`]; lets an amount step
    /// evaluate its expression once for a range whose bounds it ignores.
    pub amount_read: bool,
    /// The trace level when tracing into `s.log`; taken (and put back) to
    /// evaluate without tracing.
    pub tracer: Option<TraceLevel>,
    /// Set while evaluating only to name the facts a step needs (the
    /// findings of `decide`'s probes): any other stop is dropped unread,
    /// so a table with no row or a tier with no match does not spell out
    /// its keys (no allocation on the missing-fact path).
    pub probing: bool,
    depth: usize,
    /// Steps spent, against `limit`.
    steps: u64,
    /// Most steps this context may spend (at most [`MAX_EVAL_STEPS`]).
    limit: u64,
    /// Which budget `limit` comes from.
    budget: Budget,
}

impl<'a> Ctx<'a> {
    /// A context that evaluates in `scratch`'s buffers (emptied first).
    pub fn new(plan: &'a Plan, facts: &'a Facts, date: Option<NaiveDate>, tracer: Option<TraceLevel>, scratch: &'a mut Scratch) -> Self {
        scratch.lets.clear();
        scratch.lets.resize(plan.policy().lets.len(), LetSlot::Empty);
        scratch.locals.clear();
        scratch.stack.clear();
        scratch.let_stack.clear();
        scratch.bands.clear();
        Ctx {
            plan,
            facts,
            date,
            s: scratch,
            amount: None,
            amount_read: false,
            tracer,
            probing: false,
            depth: 0,
            steps: 0,
            limit: MAX_EVAL_STEPS,
            budget: Budget::Evaluation,
        }
    }

    /// Drops the values the buffers hold (keeping their capacity), so that
    /// nothing of one decision outlives it.
    pub fn release(&mut self) {
        self.s.lets.clear();
        self.s.locals.clear();
        self.s.stack.clear();
    }

    pub fn full(&self) -> bool {
        self.tracer == Some(TraceLevel::Full)
    }

    /// The event log, when tracing.
    #[inline]
    pub fn log(&mut self) -> Option<&mut Log> {
        match self.tracer {
            Some(_) => Some(&mut self.s.log),
            None => None,
        }
    }

    /// The innermost open trace event, when tracing.
    #[inline]
    pub fn current(&mut self) -> Option<&mut Event> {
        self.log().and_then(Log::current)
    }

    pub fn show(&self, v: &Value, ty: &Type) -> String {
        crate::trace::show_value(self.plan.policy(), v, ty)
    }

    /// Records a read in a full trace; a test of one field otherwise.
    #[inline]
    fn read(&mut self, name: &Arc<str>, v: &Value, ty: &Type) {
        if self.tracer.is_some() {
            self.record_read(name, v, ty);
        }
    }

    #[inline(never)]
    fn record_read(&mut self, name: &Arc<str>, v: &Value, ty: &Type) {
        if self.full() {
            self.s.log.read(name, || shown(self.plan, v, ty));
        }
    }

    fn open_child(&mut self, kind: NodeKind, e: &CExpr) -> bool {
        if !self.full() {
            return false;
        }
        let mut node = Event::new(kind);
        node.source = Some((e.file, e.span));
        self.s.log.open(node);
        true
    }

    fn close_child(&mut self, opened: bool, result: &Result<Value, Halt>, ty: &Type) {
        if !opened {
            return;
        }
        let plan = self.plan;
        if let Some(n) = self.current() {
            n.verdict = if result.is_ok() { Verdict::Info } else { Verdict::Unknown };
            if matches!(n.result, Shown::None) {
                n.result = match result {
                    Ok(v) => shown(plan, v, ty),
                    Err(s) => Shown::Text(s.describe()),
                };
            }
        }
        self.s.log.close();
    }

    fn note(&mut self, f: impl FnOnce(&mut Event)) {
        if let Some(n) = self.current() {
            f(n);
        }
    }

    /// Spends `n` steps of the budget (at most [`MAX_EVAL_STEPS`], less
    /// when a decision or compilation has less left).
    #[inline]
    fn charge(&mut self, n: u64) -> Result<(), Halt> {
        self.steps = self.steps.saturating_add(n);
        if self.steps > self.limit {
            return Err(over_budget(self.budget));
        }
        Ok(())
    }

    /// Runs this context on what is left (`remaining`) of a larger budget:
    /// the limit is the smaller of [`MAX_EVAL_STEPS`] and `remaining`.
    pub fn share_budget(&mut self, remaining: u64, of: Budget) {
        if remaining < MAX_EVAL_STEPS {
            self.limit = remaining;
            self.budget = of;
        } else {
            self.limit = MAX_EVAL_STEPS;
            self.budget = Budget::Evaluation;
        }
    }

    /// Steps spent so far (at most the limit plus the last charge).
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Evaluates every expression onto the value stack, all of them so that
    /// every missing fact is reported together; returns where the values
    /// start. The caller reads `self.s.stack[start..]`, then truncates it back
    /// to `start`.
    fn eval_all(&mut self, es: &[CExpr]) -> Result<usize, Halt> {
        let start = self.s.stack.len();
        let mut pending: Option<Halt> = None;
        for e in es {
            match self.eval(e) {
                Ok(v) => self.s.stack.push(v),
                Err(s) => {
                    pending = Some(match pending.take() {
                        Some(p) => merge(p, s),
                        None => s,
                    })
                }
            }
        }
        match pending {
            Some(s) => {
                self.s.stack.truncate(start);
                Err(s)
            }
            None => Ok(start),
        }
    }

    /// Evaluates an expression.
    pub fn eval(&mut self, e: &CExpr) -> Result<Value, Halt> {
        self.charge(1)?;
        self.depth += 1;
        if self.depth > MAX_EVAL_DEPTH {
            self.depth -= 1;
            return Err(too_deep());
        }
        let r = self.eval_inner(e);
        self.depth -= 1;
        r
    }

    fn eval_inner(&mut self, e: &CExpr) -> Result<Value, Halt> {
        let p = self.plan.policy();
        match &e.kind {
            CKind::Const(v) => Ok(v.clone()),
            CKind::Input(id) => {
                let def = p.inputs.get(id.index());
                match self.facts.inputs.get(id.index()).and_then(Option::as_ref) {
                    Some(v) => {
                        let v = v.clone();
                        if let (Some(def), Some(_)) = (def, self.tracer) {
                            let name = self.plan.input_name(id.index());
                            self.read(&name, &v, &def.ty);
                        }
                        Ok(v)
                    }
                    None => Err(Halt::missing(self.plan.input_name(id.index()))),
                }
            }
            CKind::External(id) => {
                let def = p.externals.get(id.index());
                match self.facts.externals.get(id.index()).and_then(Option::as_ref) {
                    Some(v) => {
                        let v = v.clone();
                        if let (Some(def), Some(_)) = (def, self.tracer) {
                            let name = self.plan.external_name(id.index());
                            self.read(&name, &v, &def.ty);
                        }
                        Ok(v)
                    }
                    None => Err(Halt::missing(self.plan.external_name(id.index()))),
                }
            }
            CKind::Let(id) => self.eval_let(id.index()),
            CKind::Param(id) => self.eval_param(id.index()),
            CKind::Local(i) => {
                let idx = self.s.locals.len().checked_sub(1 + *i as usize).ok_or_else(|| halt("internal: unbound local"))?;
                self.s.locals.get(idx).cloned().ok_or_else(|| halt("internal: unbound local"))
            }
            CKind::AsOf => match self.date {
                Some(d) => {
                    let v = Value::Date(d);
                    if self.tracer.is_some() {
                        let name = self.plan.shared.as_of.clone();
                        self.read(&name, &v, &Type::Date);
                    }
                    Ok(v)
                }
                None => Err(halt("`as_of` needs the benefit's date; none was given")),
            },
            CKind::BenefitAmount(b) => self.benefit_amount(*b as usize),
            CKind::Amount => {
                self.amount_read = true;
                self.amount.map(Value::Num).ok_or_else(|| halt("internal: no amount yet"))
            }
            CKind::Table(t) => self.plan.table_lists.get(t.index()).cloned().ok_or_else(|| halt("internal: no table")),
            CKind::Lookup(t, keys) | CKind::Exists(t, keys) => {
                let opened = matches!(e.kind, CKind::Lookup(..)) && self.open_child(NodeKind::TableLookup, e);
                let r = self.lookup(t.index(), keys, matches!(e.kind, CKind::Exists(..)), opened);
                self.close_child(opened, &r, &e.ty);
                r
            }
            CKind::Present(id) => Ok(Value::Bool(self.facts.supplied.get(id.index()).copied().unwrap_or(false))),
            CKind::Field(b, i) => match self.eval(b)? {
                Value::Record(fields) => fields.get(*i as usize).cloned().ok_or_else(|| halt("internal: no such field")),
                _ => Err(halt("internal: field of a non-record")),
            },
            CKind::Convert(b, fc, tc) => Ok(Value::Num(v::convert(self.eval(b)?.num()?, *fc, *tc)?)),
            CKind::Unary(op, x) => {
                let x = self.eval(x)?;
                match op {
                    UnOp::Not => Ok(Value::Bool(!x.bool()?)),
                    UnOp::Neg => Ok(Value::Num(v::sub(Decimal::ZERO, x.num()?)?)),
                }
            }
            CKind::Binary(op, a, b) => self.binary(*op, a, b),
            CKind::InSet(x, items) => {
                let x = self.eval(x)?;
                let mut pending: Option<Halt> = None;
                for it in items {
                    match self.eval(it) {
                        Ok(y) if y == x => return Ok(Value::Bool(true)),
                        Ok(_) => {}
                        Err(s) => {
                            pending = Some(match pending {
                                Some(p) => merge_lazy(p, s),
                                None => s,
                            })
                        }
                    }
                }
                pending.map_or(Ok(Value::Bool(false)), Err)
            }
            CKind::InList(x, l) => {
                let x = self.eval(x);
                let l = self.eval(l);
                let (x, l) = both(x, l)?;
                self.charge(weight(&l).saturating_add(weight(&x)))?;
                Ok(Value::Bool(l.list()?.contains(&x)))
            }
            CKind::List(items) => {
                let start = self.eval_all(items)?;
                Ok(Value::List(self.s.stack.drain(start..).collect()))
            }
            CKind::If(branches, otherwise) => {
                for (c, val) in branches {
                    if self.eval(c)?.bool()? {
                        return self.eval(val);
                    }
                }
                self.eval(otherwise)
            }
            CKind::Match(s, arms) => {
                let Value::Enum(i) = self.eval(s)? else { return Err(halt("internal: match on a non-enum")) };
                for (pats, val) in arms {
                    if pats.as_ref().is_none_or(|ps| ps.contains(&i)) {
                        return self.eval(val);
                    }
                }
                Err(halt("internal: no match arm"))
            }
            CKind::Tiers { subject, tiers, otherwise } => {
                let opened = self.open_child(NodeKind::Tier, e);
                let r = self.tiers(subject, tiers, otherwise.as_deref());
                self.close_child(opened, &r, &e.ty);
                r
            }
            CKind::Scale { subject, bands, rest } => {
                let opened = self.open_child(NodeKind::Schedule, e);
                let r = self.scale(subject, bands, rest.as_deref(), &e.ty);
                self.close_child(opened, &r, &e.ty);
                r
            }
            CKind::Quant(kind, list, filter) => self.quant(*kind, list, filter.as_deref()),
            CKind::Agg(kind, list, value, filter) => self.agg(*kind, list, value, filter.as_deref()),
            CKind::Call(f, args) => self.call(*f, args),
            CKind::Apply(f, args) => {
                let def = p.functions.get(f.index()).ok_or_else(|| halt("internal: no function"))?;
                let start = self.eval_all(args)?;
                // In a full trace a call is a node: the function's label and
                // citation, its arguments as reads, the body's reads inside.
                let opened = self.full() && self.open_call(e, f.index(), start);
                // The arguments become the body's innermost locals, in order.
                let base = self.s.locals.len();
                let s = &mut *self.s;
                s.locals.extend(s.stack.drain(start..));
                let r = self.eval(&def.body);
                self.s.locals.truncate(base);
                self.close_child(opened, &r, &def.ty);
                r
            }
        }
    }
}

/// Steps to compare a value: one per list element and record field, at
/// every level (a value from facts is at most 8 levels deep).
fn weight(v: &Value) -> u64 {
    match v {
        Value::List(xs) | Value::Record(xs) => xs.iter().fold(1u64, |n, x| n.saturating_add(weight(x))),
        _ => 1,
    }
}

fn both(a: Result<Value, Halt>, b: Result<Value, Halt>) -> Result<(Value, Value), Halt> {
    match (a, b) {
        (Ok(x), Ok(y)) => Ok((x, y)),
        (Err(s), Ok(_)) | (Ok(_), Err(s)) => Err(s),
        (Err(s), Err(t)) => Err(merge(s, t)),
    }
}

/// Applies a non-logical binary operator to two values.
#[cold]
fn over_budget(budget: Budget) -> Halt {
    match budget {
        Budget::Evaluation => Halt::error_fmt(format_args!(
            "evaluation exceeded the limit of {MAX_EVAL_STEPS} steps (quantifiers or aggregates over large lists)"
        )),
        Budget::Decision => Halt::error_fmt(format_args!(
            "the decision exceeded its limit of {MAX_DECISION_STEPS} steps for all benefits together (too many benefits, or too much work in each)"
        )),
        Budget::Compile => Halt::error_fmt(format_args!(
            "compiling the plan exceeded its limit of {MAX_COMPILE_STEPS} steps for all assertions together"
        )),
    }
}

#[cold]
fn too_deep() -> Halt {
    Halt::error_fmt(format_args!("evaluation nested deeper than {MAX_EVAL_DEPTH} steps"))
}

pub(crate) fn apply(op: BinOp, x: &Value, y: &Value) -> Result<Value, Halt> {
    Ok(match (op, x, y) {
        (BinOp::Eq, Value::Num(a), Value::Num(b)) => Value::Bool(v::cmp_num(a, b).is_eq()),
        (BinOp::Ne, Value::Num(a), Value::Num(b)) => Value::Bool(v::cmp_num(a, b).is_ne()),
        (BinOp::Eq, _, _) => Value::Bool(x == y),
        (BinOp::Ne, _, _) => Value::Bool(x != y),
        (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, Value::Num(a), Value::Num(b)) => Value::Bool(cmp(op, v::cmp_num(a, b))),
        (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, Value::Date(a), Value::Date(b)) => Value::Bool(cmp(op, a.cmp(b))),
        (BinOp::Add, Value::Num(a), Value::Num(b)) => Value::Num(v::add(*a, *b)?),
        (BinOp::Sub, Value::Num(a), Value::Num(b)) => Value::Num(v::sub(*a, *b)?),
        (BinOp::Mul, Value::Num(a), Value::Num(b)) => Value::Num(v::mul(*a, *b)?),
        (BinOp::Div, Value::Num(a), Value::Num(b)) => Value::Num(v::div(*a, *b)?),
        (BinOp::Add, Value::Date(d), Value::Duration(du)) | (BinOp::Add, Value::Duration(du), Value::Date(d)) => {
            Value::Date(v::date_add(*d, *du, false)?)
        }
        (BinOp::Sub, Value::Date(d), Value::Duration(du)) => Value::Date(v::date_add(*d, *du, true)?),
        _ => return Err(Halt::error_fmt(format_args!("internal: `{}` on these values", op.symbol()))),
    })
}

fn cmp(op: BinOp, o: std::cmp::Ordering) -> bool {
    match op {
        BinOp::Lt => o.is_lt(),
        BinOp::Le => o.is_le(),
        BinOp::Gt => o.is_gt(),
        _ => o.is_ge(),
    }
}

/// A value as a trace shows it: kept as the value (shown when the tree is
/// built), except a list, whose type would have to be copied.
pub(crate) fn shown(plan: &Plan, v: &Value, ty: &Type) -> Shown {
    match ty {
        Type::List(_) => Shown::Text(crate::trace::show_value(plan.policy(), v, ty)),
        _ => Shown::Value(v.clone(), ty.clone()),
    }
}

/// The shared name and label of declaration `i`.
fn named(names: &[(Arc<str>, Option<Arc<str>>)], i: usize) -> (Option<Arc<str>>, Option<Arc<str>>) {
    match names.get(i) {
        Some((n, l)) => (Some(n.clone()), l.clone()),
        None => (None, None),
    }
}
