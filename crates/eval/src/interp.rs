//! The interpreter: evaluates checked expressions against facts, with
//! three-valued logic over missing facts, exact checked arithmetic, and an
//! optional trace recorder that costs nothing when off.

use crate::facts::Facts;
use crate::plan::Plan;
use crate::trace::{NodeKind, TraceLevel, Verdict};
use crate::tracelog::{Event, Log, Shown};
use chrono::{Datelike, NaiveDate};
use policy_core::ast::{AggKind, BinOp, QuantKind, UnOp};
use policy_core::checked::{Builtin, CExpr, CKind, CTierTest, Type};
use policy_core::value::{self as v, Value, ValueError};
use rust_decimal::Decimal;
use std::sync::Arc;

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
        Halt::new(Stop::Error(e.to_string()))
    }
}

/// An evaluation error.
pub(crate) fn halt(message: impl Into<String>) -> Halt {
    Halt::new(Stop::Error(message.into()))
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

    /// A let's value: its dependencies are evaluated first, bottom-up with an
    /// explicit stack, so a long chain of lets never deepens the Rust stack.
    fn eval_let(&mut self, i: usize) -> Result<Value, Halt> {
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
    fn eval_let_body(&mut self, i: usize, is_read: bool) -> Result<Value, Halt> {
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
            Some(LetSlot::Busy) => return Err(halt(format!("internal: `{}` depends on itself", def.name))),
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
    fn open_call(&mut self, e: &CExpr, f: usize, start: usize) -> bool {
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
    fn read_named(&mut self, names: &[(Arc<str>, Option<Arc<str>>)], i: usize, v: &Value, ty: &Type) {
        if let Some((name, _)) = names.get(i) {
            self.read(name, v, ty);
        }
    }

    /// `amount_of(b)`: what benefit `b`, decided earlier in this decision,
    /// pays; a refusal pays zero. Traced as a read naming the benefit.
    fn benefit_amount(&mut self, b: usize) -> Result<Value, Halt> {
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
            AmountRead::Range(l, h) => Err(halt(format!(
                "the amount of `{}` is a range an authority fixes ({} .. {}): another benefit cannot read it until it is given",
                def.id,
                v::money_string(l),
                v::money_string(h)
            ))),
            AmountRead::Missing(names) => Err(Halt::new(Stop::Missing(names))),
            AmountRead::Error(e) => Err(halt(format!("the amount of `{}` is undetermined: {e}", def.id))),
            AmountRead::Unset => Err(halt(format!("internal: `{}` was not decided before it was read", def.id))),
        }
    }

    fn eval_param(&mut self, i: usize) -> Result<Value, Halt> {
        let p = self.plan.policy();
        let def = p.params.get(i).ok_or_else(|| halt("internal: no param"))?;
        let Some(date) = self.date else {
            // Probing without a date (the common case): the stop is dropped unread.
            if self.probing {
                return Err(Halt::new(Stop::Error(String::new())));
            }
            return Err(halt(format!("parameter `{}` needs a date to pick its value; none was given", def.name)));
        };
        let Some(version) = def.versions.iter().rev().find(|v| v.from <= date && v.until.is_none_or(|u| date <= u)) else {
            return Err(halt(format!("parameter `{}` has no value on {date}", def.name)));
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

    fn lookup(&mut self, t: usize, keys: &[CExpr], exists: bool, traced: bool) -> Result<Value, Halt> {
        let p = self.plan.policy();
        let def = p.tables.get(t).ok_or_else(|| halt("internal: no table"))?;
        let start = self.eval_all(keys)?;
        let key = self.s.stack.get(start..).unwrap_or(&[]);
        let index = self.plan.indexes.get(t).and_then(|ix| ix.get(key)).copied();
        let row = index.and_then(|i| def.rows.get(i));
        let shown_keys = |key: &[Value]| {
            let rt = p.records.get(def.row_type.index());
            let mut out = String::with_capacity(16 * key.len());
            for (i, k) in key.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match rt.and_then(|r| r.fields.get(i)) {
                    Some((_, ty, _)) => crate::trace::push_value(&mut out, p, k, ty),
                    None => out.push_str(&format!("{k:?}")),
                }
            }
            out
        };
        let shown = (traced || (row.is_none() && !exists && !self.probing)).then(|| shown_keys(key));
        self.s.stack.truncate(start);
        if traced {
            let keys_shown = shown.clone().unwrap_or_default();
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
                let keys = match shown {
                    Some(k) if !self.probing => Arc::from(k),
                    _ => shared.empty.clone(),
                };
                let citation = if self.probing { None } else { def.cite.clone() };
                Err(Halt::new(Stop::NoRow { id, table, keys, citation }))
            }
        }
    }

    fn binary(&mut self, op: BinOp, a: &CExpr, b: &CExpr) -> Result<Value, Halt> {
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

    fn tiers(&mut self, subject: &CExpr, tiers: &[policy_core::checked::CTier], otherwise: Option<&CExpr>) -> Result<Value, Halt> {
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
            None => Err(Halt::new(Stop::NoTier { subject: Arc::from(self.show(&s, &subject.ty)) })),
        }
    }

    fn scale(&mut self, subject: &CExpr, bands: &[(CExpr, CExpr)], rest: Option<&CExpr>, ty: &Type) -> Result<Value, Halt> {
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

    fn each<T>(&mut self, list: &CExpr, mut f: impl FnMut(&mut Self, &Value) -> Result<Option<T>, Halt>) -> Result<Option<T>, Halt> {
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

    fn quant(&mut self, kind: QuantKind, list: &CExpr, filter: Option<&CExpr>) -> Result<Value, Halt> {
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

    fn agg(&mut self, kind: AggKind, list: &CExpr, value: &CExpr, filter: Option<&CExpr>) -> Result<Value, Halt> {
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

    fn call(&mut self, f: Builtin, args: &[CExpr]) -> Result<Value, Halt> {
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
    halt(match budget {
        Budget::Evaluation => {
            format!("evaluation exceeded the limit of {MAX_EVAL_STEPS} steps (quantifiers or aggregates over large lists)")
        }
        Budget::Decision => {
            format!("the decision exceeded its limit of {MAX_DECISION_STEPS} steps for all benefits together (too many benefits, or too much work in each)")
        }
        Budget::Compile => {
            format!("compiling the plan exceeded its limit of {MAX_COMPILE_STEPS} steps for all assertions together")
        }
    })
}

#[cold]
fn too_deep() -> Halt {
    halt(format!("evaluation nested deeper than {MAX_EVAL_DEPTH} steps"))
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
        _ => return Err(halt(format!("internal: `{}` on these values", op.symbol()))),
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
