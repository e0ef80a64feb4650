//! The interpreter: evaluates checked expressions against facts, with
//! three-valued logic over missing facts, exact checked arithmetic, and an
//! optional trace recorder that costs nothing when off.

use crate::facts::Facts;
use crate::plan::Plan;
use crate::trace::{NodeKind, Read, SourceRef, TraceLevel, TraceNode, Verdict};
use chrono::{Datelike, NaiveDate};
use policy_core::ast::{AggKind, BinOp, QuantKind, UnOp};
use policy_core::checked::{Builtin, CExpr, CKind, CTierTest, Citation, Type};
use policy_core::value::{self as v, Value, ValueError};
use rust_decimal::Decimal;

/// Most nested evaluation steps (expressions within lets within expressions).
pub const MAX_EVAL_DEPTH: usize = 200;

/// Most work one evaluation context (one benefit, one assertion) may do:
/// every expression evaluated, every list element a quantifier or aggregate
/// visits, and every list element and record field `in`, `==` and `!=`
/// compare count one step. Bounds nested iteration over large list facts
/// (`any(a in xs where any(b in xs where …))` is quadratic in `xs`); beyond
/// it the evaluation is an error (the benefit is `undetermined`).
pub const MAX_EVAL_STEPS: u64 = 10_000_000;

/// Why an expression produced no value.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// Facts (or externals) that are needed and absent.
    Missing(Vec<String>),
    /// A table lookup found no row.
    NoRow {
        /// Table name.
        table: String,
        /// The keys looked up, shown.
        keys: String,
        /// The table's citation.
        citation: Option<Citation>,
    },
    /// Tiers without `else` matched nothing.
    NoTier {
        /// The subject's value, shown.
        subject: String,
    },
    /// An evaluation error (overflow, division by zero, no parameter value…).
    Error(String),
}

impl From<ValueError> for Stop {
    fn from(e: ValueError) -> Self {
        Stop::Error(e.to_string())
    }
}

/// Merges the missing facts of two stops, preferring decisive stops.
fn merge(a: Stop, b: Stop) -> Stop {
    match (a, b) {
        (Stop::Missing(mut x), Stop::Missing(y)) => {
            for n in y {
                if !x.contains(&n) {
                    x.push(n);
                }
            }
            Stop::Missing(x)
        }
        (Stop::Missing(_), other) => other,
        (first, _) => first,
    }
}

/// Records trace nodes as a stack of open nodes.
#[derive(Debug)]
pub(crate) struct Tracer {
    pub level: TraceLevel,
    stack: Vec<TraceNode>,
}

impl Tracer {
    pub fn new(level: TraceLevel, root: TraceNode) -> Self {
        Tracer { level, stack: vec![root] }
    }
    pub fn open(&mut self, node: TraceNode) {
        self.stack.push(node);
    }
    pub fn close(&mut self) {
        if self.stack.len() > 1 {
            if let Some(node) = self.stack.pop() {
                if let Some(parent) = self.stack.last_mut() {
                    parent.children.push(node);
                }
            }
        }
    }
    pub fn current(&mut self) -> Option<&mut TraceNode> {
        self.stack.last_mut()
    }
    pub fn read(&mut self, name: &str, value: String) {
        if let Some(n) = self.stack.last_mut() {
            if !n.reads.iter().any(|r| r.name == name) {
                n.reads.push(Read { name: name.to_string(), value });
            }
        }
    }
    pub fn finish(mut self) -> Option<TraceNode> {
        while self.stack.len() > 1 {
            self.close();
        }
        self.stack.pop()
    }
}

#[derive(Debug, Clone)]
enum LetSlot {
    Empty,
    Busy,
    Done(Result<Value, Stop>),
}

/// Evaluation state for one benefit (or one assertion).
pub(crate) struct Ctx<'a> {
    pub plan: &'a Plan,
    pub facts: &'a Facts,
    /// The benefit's date (picks parameter versions).
    pub date: Option<NaiveDate>,
    lets: Vec<LetSlot>,
    locals: Vec<Value>,
    /// The amount so far (read by `amount` in overrides).
    pub amount: Option<Decimal>,
    pub tracer: Option<Tracer>,
    depth: usize,
    /// Steps spent, against [`MAX_EVAL_STEPS`].
    steps: u64,
}

impl<'a> Ctx<'a> {
    pub fn new(plan: &'a Plan, facts: &'a Facts, date: Option<NaiveDate>, tracer: Option<Tracer>) -> Self {
        Ctx {
            plan,
            facts,
            date,
            lets: vec![LetSlot::Empty; plan.policy().lets.len()],
            locals: Vec::new(),
            amount: None,
            tracer,
            depth: 0,
            steps: 0,
        }
    }

    pub fn full(&self) -> bool {
        self.tracer.as_ref().is_some_and(|t| t.level == TraceLevel::Full)
    }

    /// The source of a span, for trace nodes.
    pub fn source_ref(&self, e_file: policy_core::checked::FileId, span: policy_core::ast::Span) -> Option<SourceRef> {
        let f = self.plan.policy().files.get(e_file.index())?;
        let text = f.text.get(span.start..span.end)?.to_string();
        let (line, column) = policy_core::diag::line_col(&f.text, span.start);
        Some(SourceRef { file: f.name.to_string(), line, column, text })
    }

    pub fn show(&self, v: &Value, ty: &Type) -> String {
        crate::trace::show_value(self.plan.policy(), v, ty)
    }

    fn read(&mut self, name: &str, v: &Value, ty: &Type) {
        if self.full() {
            let shown = self.show(v, ty);
            if let Some(t) = self.tracer.as_mut() {
                t.read(name, shown);
            }
        }
    }

    fn open_child(&mut self, kind: NodeKind, e: &CExpr) -> bool {
        if !self.full() {
            return false;
        }
        let mut node = TraceNode::new(kind);
        node.source = self.source_ref(e.file, e.span);
        if let Some(t) = self.tracer.as_mut() {
            t.open(node);
        }
        true
    }

    fn close_child(&mut self, opened: bool, result: &Result<Value, Stop>, ty: &Type) {
        if !opened {
            return;
        }
        let shown = match result {
            Ok(v) => Some(self.show(v, ty)),
            Err(s) => Some(s.describe()),
        };
        if let Some(t) = self.tracer.as_mut() {
            if let Some(n) = t.current() {
                n.verdict = if result.is_ok() { Verdict::Info } else { Verdict::Unknown };
                if n.result.is_none() {
                    n.result = shown;
                }
            }
            t.close();
        }
    }

    fn note(&mut self, f: impl FnOnce(&mut TraceNode)) {
        if let Some(t) = self.tracer.as_mut() {
            if let Some(n) = t.current() {
                f(n);
            }
        }
    }

    /// Spends `n` steps of the budget ([`MAX_EVAL_STEPS`]).
    fn charge(&mut self, n: u64) -> Result<(), Stop> {
        self.steps = self.steps.saturating_add(n);
        if self.steps > MAX_EVAL_STEPS {
            return Err(Stop::Error(format!(
                "evaluation exceeded the limit of {MAX_EVAL_STEPS} steps (quantifiers or aggregates over large lists)"
            )));
        }
        Ok(())
    }

    /// Evaluates every expression, so that all missing facts are reported
    /// together rather than only the first.
    fn eval_all(&mut self, es: &[CExpr]) -> Result<Vec<Value>, Stop> {
        let mut out = Vec::with_capacity(es.len());
        let mut pending: Option<Stop> = None;
        for e in es {
            match self.eval(e) {
                Ok(v) => out.push(v),
                Err(s) => {
                    pending = Some(match pending.take() {
                        Some(p) => merge(p, s),
                        None => s,
                    })
                }
            }
        }
        pending.map_or(Ok(out), Err)
    }

    /// Evaluates an expression.
    pub fn eval(&mut self, e: &CExpr) -> Result<Value, Stop> {
        self.charge(1)?;
        self.depth += 1;
        if self.depth > MAX_EVAL_DEPTH {
            self.depth -= 1;
            return Err(Stop::Error(format!("evaluation nested deeper than {MAX_EVAL_DEPTH} steps")));
        }
        let r = self.eval_inner(e);
        self.depth -= 1;
        r
    }

    fn eval_inner(&mut self, e: &CExpr) -> Result<Value, Stop> {
        let p = self.plan.policy();
        match &e.kind {
            CKind::Const(v) => Ok(v.clone()),
            CKind::Input(id) => {
                let def = p.inputs.get(id.index());
                match self.facts.inputs.get(id.index()).and_then(Option::as_ref) {
                    Some(v) => {
                        let v = v.clone();
                        if let Some(def) = def {
                            self.read(&def.name, &v, &def.ty);
                        }
                        Ok(v)
                    }
                    None => Err(Stop::Missing(vec![def.map(|d| d.name.clone()).unwrap_or_default()])),
                }
            }
            CKind::External(id) => {
                let def = p.externals.get(id.index());
                match self.facts.externals.get(id.index()).and_then(Option::as_ref) {
                    Some(v) => {
                        let v = v.clone();
                        if let Some(def) = def {
                            self.read(&def.name, &v, &def.ty);
                        }
                        Ok(v)
                    }
                    None => Err(Stop::Missing(vec![def.map(|d| d.name.clone()).unwrap_or_default()])),
                }
            }
            CKind::Let(id) => self.eval_let(id.index()),
            CKind::Param(id) => self.eval_param(id.index()),
            CKind::Local(i) => {
                let idx = self.locals.len().checked_sub(1 + *i as usize).ok_or_else(|| Stop::Error("internal: unbound local".into()))?;
                self.locals.get(idx).cloned().ok_or_else(|| Stop::Error("internal: unbound local".into()))
            }
            CKind::Amount => self.amount.map(Value::Num).ok_or_else(|| Stop::Error("internal: no amount yet".into())),
            CKind::Table(t) => self.plan.table_lists.get(t.index()).cloned().ok_or_else(|| Stop::Error("internal: no table".into())),
            CKind::Lookup(t, keys) | CKind::Exists(t, keys) => {
                let opened = matches!(e.kind, CKind::Lookup(..)) && self.open_child(NodeKind::TableLookup, e);
                let r = self.lookup(t.index(), keys, matches!(e.kind, CKind::Exists(..)), opened);
                self.close_child(opened, &r, &e.ty);
                r
            }
            CKind::Present(id) => Ok(Value::Bool(self.facts.supplied.get(id.index()).copied().unwrap_or(false))),
            CKind::Field(b, i) => match self.eval(b)? {
                Value::Record(fields) => fields.get(*i as usize).cloned().ok_or_else(|| Stop::Error("internal: no such field".into())),
                _ => Err(Stop::Error("internal: field of a non-record".into())),
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
                let mut pending: Option<Stop> = None;
                for it in items {
                    match self.eval(it) {
                        Ok(y) if y == x => return Ok(Value::Bool(true)),
                        Ok(_) => {}
                        Err(s) => {
                            pending = Some(match pending {
                                Some(p) => merge(p, s),
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
            CKind::List(items) => Ok(Value::List(self.eval_all(items)?.into())),
            CKind::If(branches, otherwise) => {
                for (c, val) in branches {
                    if self.eval(c)?.bool()? {
                        return self.eval(val);
                    }
                }
                self.eval(otherwise)
            }
            CKind::Match(s, arms) => {
                let Value::Enum(i) = self.eval(s)? else { return Err(Stop::Error("internal: match on a non-enum".into())) };
                for (pats, val) in arms {
                    if pats.as_ref().is_none_or(|ps| ps.contains(&i)) {
                        return self.eval(val);
                    }
                }
                Err(Stop::Error("internal: no match arm".into()))
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
        }
    }

    /// A let's value: its dependencies are evaluated first, bottom-up with an
    /// explicit stack, so a long chain of lets never deepens the Rust stack.
    fn eval_let(&mut self, i: usize) -> Result<Value, Stop> {
        if matches!(self.lets.get(i), Some(LetSlot::Empty)) {
            let mut stack = vec![(i, 0usize)];
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let dep = self.plan.let_deps.get(node).and_then(|d| d.get(*next)).copied();
                *next += 1;
                match dep {
                    Some(d) if matches!(self.lets.get(d), Some(LetSlot::Empty)) && !stack.iter().any(|(n, _)| *n == d) => {
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
        }
        self.eval_let_body(i, true)
    }

    /// Evaluates (or reuses) let `i`; `is_read` records it as read by the current step.
    fn eval_let_body(&mut self, i: usize, is_read: bool) -> Result<Value, Stop> {
        let p = self.plan.policy();
        let def = p.lets.get(i).ok_or_else(|| Stop::Error("internal: no let".into()))?;
        match self.lets.get(i) {
            Some(LetSlot::Done(r)) => {
                let r = r.clone();
                if let (Ok(v), true) = (&r, is_read) {
                    self.read(&def.name, v, &def.ty);
                }
                return r;
            }
            Some(LetSlot::Busy) => return Err(Stop::Error(format!("internal: `{}` depends on itself", def.name))),
            _ => {}
        }
        if let Some(s) = self.lets.get_mut(i) {
            *s = LetSlot::Busy;
        }
        let opened = if self.full() {
            let mut node = TraceNode::new(NodeKind::Let);
            node.id = Some(def.name.clone());
            node.label = def.label.clone();
            node.source = self.source_ref(def.value.file, def.value.span);
            node.citation = def.cite.clone();
            if let Some(t) = self.tracer.as_mut() {
                t.open(node);
            }
            true
        } else {
            false
        };
        let r = self.eval(&def.value);
        self.close_child(opened, &r, &def.ty);
        if let Some(s) = self.lets.get_mut(i) {
            *s = LetSlot::Done(r.clone());
        }
        if let (Ok(v), true) = (&r, is_read) {
            self.read(&def.name, v, &def.ty);
        }
        r
    }

    fn eval_param(&mut self, i: usize) -> Result<Value, Stop> {
        let p = self.plan.policy();
        let def = p.params.get(i).ok_or_else(|| Stop::Error("internal: no param".into()))?;
        let Some(date) = self.date else {
            return Err(Stop::Error(format!("parameter `{}` needs a date to pick its value; none was given", def.name)));
        };
        let Some(version) = def.versions.iter().rev().find(|v| v.from <= date && v.until.is_none_or(|u| date <= u)) else {
            return Err(Stop::Error(format!("parameter `{}` has no value on {date}", def.name)));
        };
        let opened = if self.full() {
            let mut node = TraceNode::new(NodeKind::Param);
            node.id = Some(def.name.clone());
            node.label = def.label.clone();
            node.note = Some(match version.until {
                Some(u) => format!("version {} .. {} chosen for {date}", version.from, u),
                None => format!("version from {} chosen for {date}", version.from),
            });
            node.citation = version.cite.clone().or_else(|| def.cite.clone());
            if let Some(t) = self.tracer.as_mut() {
                t.open(node);
            }
            true
        } else {
            false
        };
        let r = self.eval(&version.value);
        self.close_child(opened, &r, &def.ty);
        if let Ok(v) = &r {
            self.read(&def.name, v, &def.ty);
        }
        r
    }

    fn lookup(&mut self, t: usize, keys: &[CExpr], exists: bool, traced: bool) -> Result<Value, Stop> {
        let p = self.plan.policy();
        let def = p.tables.get(t).ok_or_else(|| Stop::Error("internal: no table".into()))?;
        let key = self.eval_all(keys)?;
        let row = self.plan.indexes.get(t).and_then(|ix| ix.get(&key)).and_then(|&i| def.rows.get(i));
        let shown_keys = || {
            let rt = p.records.get(def.row_type.index());
            key.iter()
                .enumerate()
                .map(|(i, k)| match rt.and_then(|r| r.fields.get(i)) {
                    Some((_, ty, _)) => crate::trace::show_value(p, k, ty),
                    None => format!("{k:?}"),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        if traced {
            let keys_shown = shown_keys();
            let found = row.is_some();
            self.note(|n| {
                n.id = Some(def.name.clone());
                n.label = def.label.clone();
                n.citation = def.cite.clone();
                n.note = Some(if found { format!("row for ({keys_shown})") } else { format!("no row for ({keys_shown})") });
            });
        }
        if exists {
            return Ok(Value::Bool(row.is_some()));
        }
        match row {
            Some(r) => Ok(Value::Record(r.clone())),
            None => Err(Stop::NoRow { table: def.name.clone(), keys: shown_keys(), citation: def.cite.clone() }),
        }
    }

    fn binary(&mut self, op: BinOp, a: &CExpr, b: &CExpr) -> Result<Value, Stop> {
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
                    (Err(s), Err(t)) => Err(merge(s, t)),
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

    fn tiers(&mut self, subject: &CExpr, tiers: &[policy_core::checked::CTier], otherwise: Option<&CExpr>) -> Result<Value, Stop> {
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
                    let shown = self.show(&s, &subject.ty);
                    let text = self.source_ref(t.value.file, t.span).map(|r| r.text).unwrap_or_default();
                    self.note(|n| {
                        n.note = Some(format!("{shown} matched tier {} `{}`", i + 1, text.split_whitespace().collect::<Vec<_>>().join(" ")))
                    });
                }
                return self.eval(&t.value);
            }
        }
        match otherwise {
            Some(o) => {
                if self.full() {
                    let shown = self.show(&s, &subject.ty);
                    self.note(|n| n.note = Some(format!("{shown} matched no tier; else applies")));
                }
                self.eval(o)
            }
            None => Err(Stop::NoTier { subject: self.show(&s, &subject.ty) }),
        }
    }

    fn scale(&mut self, subject: &CExpr, bands: &[(CExpr, CExpr)], rest: Option<&CExpr>, ty: &Type) -> Result<Value, Stop> {
        let s = self.eval(subject)?.num()?;
        let mut bs = Vec::with_capacity(bands.len());
        for (w, r) in bands {
            bs.push((self.eval(w)?.num()?, self.eval(r)?.num()?));
        }
        let rest_rate = match rest {
            Some(r) => Some(self.eval(r)?.num()?),
            None => None,
        };
        let (slices, total) = v::scale(s, &bs, rest_rate)?;
        if self.full() {
            let rate_ty = bands.first().map(|b| b.1.ty.clone()).unwrap_or(Type::Decimal);
            let parts: Vec<String> = slices
                .iter()
                .filter(|sl| !sl.quantity.is_zero())
                .map(|sl| format!("{} × {}", sl.quantity.normalize(), self.show(&Value::Num(sl.rate), &rate_ty)))
                .collect();
            let total_shown = self.show(&Value::Num(total), ty);
            self.note(|n| n.note = Some(format!("{} = {}", if parts.is_empty() { "0".into() } else { parts.join(" + ") }, total_shown)));
        }
        Ok(Value::Num(total))
    }

    fn each<T>(&mut self, list: &CExpr, mut f: impl FnMut(&mut Self, &Value) -> Result<Option<T>, Stop>) -> Result<Option<T>, Stop> {
        let l = self.eval(list)?;
        let items = l.list()?.clone();
        for item in items.iter() {
            self.charge(1)?;
            self.locals.push(item.clone());
            let r = f(self, item);
            self.locals.pop();
            if let Some(done) = r? {
                return Ok(Some(done));
            }
        }
        Ok(None)
    }

    fn quant(&mut self, kind: QuantKind, list: &CExpr, filter: Option<&CExpr>) -> Result<Value, Stop> {
        let mut count = Decimal::ZERO;
        let mut pending: Option<Stop> = None;
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
                        Some(p) => merge(p, s),
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

    fn agg(&mut self, kind: AggKind, list: &CExpr, value: &CExpr, filter: Option<&CExpr>) -> Result<Value, Stop> {
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

    fn call(&mut self, f: Builtin, args: &[CExpr]) -> Result<Value, Stop> {
        let vals = self.eval_all(args)?;
        let arg = |i: usize| vals.get(i).cloned().ok_or_else(|| Stop::Error("internal: missing argument".into()));
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
}

/// Steps to compare a value: one per list element and record field, at
/// every level (a value from facts is at most 8 levels deep).
fn weight(v: &Value) -> u64 {
    match v {
        Value::List(xs) | Value::Record(xs) => xs.iter().fold(1u64, |n, x| n.saturating_add(weight(x))),
        _ => 1,
    }
}

fn both(a: Result<Value, Stop>, b: Result<Value, Stop>) -> Result<(Value, Value), Stop> {
    match (a, b) {
        (Ok(x), Ok(y)) => Ok((x, y)),
        (Err(s), Ok(_)) | (Ok(_), Err(s)) => Err(s),
        (Err(s), Err(t)) => Err(merge(s, t)),
    }
}

/// Applies a non-logical binary operator to two values.
pub(crate) fn apply(op: BinOp, x: &Value, y: &Value) -> Result<Value, Stop> {
    Ok(match (op, x, y) {
        (BinOp::Eq, _, _) => Value::Bool(x == y),
        (BinOp::Ne, _, _) => Value::Bool(x != y),
        (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, Value::Num(a), Value::Num(b)) => Value::Bool(cmp(op, a.cmp(b))),
        (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, Value::Date(a), Value::Date(b)) => Value::Bool(cmp(op, a.cmp(b))),
        (BinOp::Add, Value::Num(a), Value::Num(b)) => Value::Num(v::add(*a, *b)?),
        (BinOp::Sub, Value::Num(a), Value::Num(b)) => Value::Num(v::sub(*a, *b)?),
        (BinOp::Mul, Value::Num(a), Value::Num(b)) => Value::Num(v::mul(*a, *b)?),
        (BinOp::Div, Value::Num(a), Value::Num(b)) => Value::Num(v::div(*a, *b)?),
        (BinOp::Add, Value::Date(d), Value::Duration(du)) | (BinOp::Add, Value::Duration(du), Value::Date(d)) => {
            Value::Date(v::date_add(*d, *du, false)?)
        }
        (BinOp::Sub, Value::Date(d), Value::Duration(du)) => Value::Date(v::date_add(*d, *du, true)?),
        _ => return Err(Stop::Error(format!("internal: `{}` on these values", op.symbol()))),
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
