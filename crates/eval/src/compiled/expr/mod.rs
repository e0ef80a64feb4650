//! Checked expressions → typed closures. Each node is compiled for its
//! static type (`Scalar`), so the closures pass Rust values, not
//! [`Value`]s; constants are folded at compile time, and the semantics are
//! the interpreter's (`interp/`) operation for operation: the same
//! `policy_core::value` functions in the same order, so results are equal
//! to the digit and the scale. Anything the interpreter would stop on (a
//! missing fact, an error, no row, no tier) is `None`.
//!
//! Here: the closures' types ([`N`], [`X`], [`Scalar`], [`Konst`]) and the
//! compiler's state and dispatch ([`Cx`]); `reads.rs` compiles what reads a
//! value (lets, parameters, table lookups, fields, function calls),
//! `ops.rs` the operators and branches (`and`/`or`, comparisons, arithmetic,
//! `in {…}`, `if`, `match`); the compound forms are in `../forms.rs`.

use super::analysis::is_static;
use super::{Cached, Env, Fx, LetSlot, Scratch};
use crate::facts::Facts;
use crate::plan::Plan;
use chrono::NaiveDate;
use policy_core::ast::{BinOp, UnOp};
use policy_core::checked::{CExpr, CKind, CheckedPolicy, Type};
use policy_core::value::{self as v, Duration, Value};
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::sync::Arc;

/// A compiled node: its closure, its value when it is a constant, and its
/// slot when it reads an input (then [`get`] reads the slot itself, without
/// calling the closure).
pub(crate) struct N<T> {
    pub f: Fx<T>,
    pub k: Option<T>,
    pub i: Option<usize>,
}

/// A record (a list element, a table row).
#[derive(Clone, PartialEq)]
pub(crate) struct Rec(pub Arc<[Value]>);
/// A list.
#[derive(Clone, PartialEq)]
pub(crate) struct Lst(pub Arc<[Value]>);

/// A compiled node of any type.
pub(crate) enum X {
    Bool(N<bool>),
    Num(N<Decimal>),
    Date(N<NaiveDate>),
    Enum(N<u32>),
    Text(N<Arc<str>>),
    Dur(N<Duration>),
    Rec(N<Rec>),
    List(N<Lst>),
}

/// A type the closures pass: how it sits in a [`Value`] and in an [`X`].
pub(crate) trait Scalar: Clone + Send + Sync + 'static {
    fn of(v: &Value) -> Option<Self>;
    fn value(self) -> Value;
    fn wrap(n: N<Self>) -> X;
    fn take(x: X) -> Option<N<Self>>;
    fn get(x: &X) -> Option<&N<Self>>;
    /// Equality as the interpreter's `==` on values.
    fn same(a: &Self, b: &Self) -> bool;
    fn cache(&self) -> Cached {
        Cached::None
    }
    fn uncache(_: Cached) -> Option<Self> {
        None
    }
}

macro_rules! scalar {
    ($t:ty, $x:ident, |$v:ident| $of:expr, |$s:ident| $value:expr, $cache:ident) => {
        impl Scalar for $t {
            fn of($v: &Value) -> Option<Self> {
                $of
            }
            fn value(self) -> Value {
                let $s = self;
                $value
            }
            fn wrap(n: N<Self>) -> X {
                X::$x(n)
            }
            fn take(x: X) -> Option<N<Self>> {
                match x {
                    X::$x(n) => Some(n),
                    _ => None,
                }
            }
            fn get(x: &X) -> Option<&N<Self>> {
                match x {
                    X::$x(n) => Some(n),
                    _ => None,
                }
            }
            fn same(a: &Self, b: &Self) -> bool {
                a == b
            }
            scalar!(@cache $cache);
        }
    };
    (@cache none) => {};
    (@cache $c:ident) => {
        fn cache(&self) -> Cached {
            Cached::$c(self.clone())
        }
        fn uncache(c: Cached) -> Option<Self> {
            match c {
                Cached::$c(x) => Some(x),
                _ => None,
            }
        }
    };
}

scalar!(bool, Bool, |v| if let Value::Bool(b) = v { Some(*b) } else { None }, |s| Value::Bool(s), Bool);
scalar!(Decimal, Num, |v| if let Value::Num(d) = v { Some(*d) } else { None }, |s| Value::Num(s), Num);
scalar!(NaiveDate, Date, |v| if let Value::Date(d) = v { Some(*d) } else { None }, |s| Value::Date(s), Date);
scalar!(u32, Enum, |v| if let Value::Enum(i) = v { Some(*i) } else { None }, |s| Value::Enum(s), Enum);
scalar!(Arc<str>, Text, |v| if let Value::Text(t) = v { Some(t.clone()) } else { None }, |s| Value::Text(s), none);
scalar!(Duration, Dur, |v| if let Value::Duration(d) = v { Some(*d) } else { None }, |s| Value::Duration(s), none);
scalar!(Rec, Rec, |v| if let Value::Record(r) = v { Some(Rec(r.clone())) } else { None }, |s| Value::Record(s.0), none);
scalar!(Lst, List, |v| if let Value::List(l) = v { Some(Lst(l.clone())) } else { None }, |s| Value::List(s.0), none);

/// Types ordered by `<`: numbers (by value, any scale) and dates.
pub(crate) trait Ordered: Scalar {
    fn ord(a: &Self, b: &Self) -> Ordering;
    /// For `sum` and `avg` (numbers only).
    fn sum(_: Self, _: Self) -> Option<Self> {
        None
    }
    fn zero() -> Option<Self> {
        None
    }
    fn mean(_: Self, _: u64) -> Option<Self> {
        None
    }
    /// `min` or `max` of two where one is a constant, specialised (then
    /// `args` is taken); `None` otherwise.
    fn extremum_with_constant(_: policy_core::checked::Builtin, _: &mut Vec<N<Self>>) -> Option<X> {
        None
    }
}
impl Ordered for Decimal {
    fn extremum_with_constant(f: policy_core::checked::Builtin, args: &mut Vec<N<Self>>) -> Option<X> {
        use policy_core::checked::Builtin;
        let want = match f {
            Builtin::Min => Ordering::Less,
            Builtin::Max => Ordering::Greater,
            _ => return None,
        };
        let [a, b] = args.as_slice() else { return None };
        // As `extremum`: the first is the best so far; the second replaces
        // it when it compares `want` with it.
        match (a.k, b.k) {
            (None, Some(c)) => {
                let (k, x) = (Konst::new(c), args.swap_remove(0));
                Some(X::Num(n(move |env| {
                    let x = get(&x, env)?;
                    Some(if k.cmp(&x).reverse() == want { k.c } else { x })
                })))
            }
            (Some(c), None) => {
                let (k, x) = (Konst::new(c), args.swap_remove(1));
                Some(X::Num(n(move |env| {
                    let x = get(&x, env)?;
                    Some(if k.cmp(&x) == want { x } else { k.c })
                })))
            }
            _ => None,
        }
    }
    fn ord(a: &Self, b: &Self) -> Ordering {
        v::cmp_num(a, b)
    }
    fn sum(a: Self, b: Self) -> Option<Self> {
        v::add(a, b).ok()
    }
    fn zero() -> Option<Self> {
        Some(Decimal::ZERO)
    }
    fn mean(total: Self, n: u64) -> Option<Self> {
        v::div(total, Decimal::from(n)).ok()
    }
}
impl Ordered for NaiveDate {
    fn ord(a: &Self, b: &Self) -> Ordering {
        a.cmp(b)
    }
}

/// The interpreter's comparison operators on an ordering.
pub(super) fn holds(op: BinOp, o: Ordering) -> bool {
    match op {
        BinOp::Eq => o.is_eq(),
        BinOp::Ne => o.is_ne(),
        BinOp::Lt => o.is_lt(),
        BinOp::Le => o.is_le(),
        BinOp::Gt => o.is_gt(),
        _ => o.is_ge(),
    }
}

/// A type's place among the closures' types.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    Bool,
    Num,
    Date,
    Enum,
    Text,
    Dur,
    Rec,
    List,
}

pub(super) fn class(ty: &Type) -> Result<Class, String> {
    Ok(match ty {
        Type::Bool => Class::Bool,
        Type::Int | Type::Decimal | Type::Money | Type::Percent | Type::Quantity(_) => Class::Num,
        Type::Date => Class::Date,
        Type::Duration => Class::Dur,
        Type::Text => Class::Text,
        Type::Enum(_) => Class::Enum,
        Type::Record(_) => Class::Rec,
        Type::List(_) | Type::EmptyList => Class::List,
        Type::Error => return Err("an expression of no type".into()),
    })
}

/// Runs `$body` with `$T` the Rust type of class `$c`.
macro_rules! by_class {
    ($c:expr, $T:ident => $body:expr) => {
        match $c {
            Class::Bool => {
                type $T = bool;
                $body
            }
            Class::Num => {
                type $T = Decimal;
                $body
            }
            Class::Date => {
                type $T = NaiveDate;
                $body
            }
            Class::Enum => {
                type $T = u32;
                $body
            }
            Class::Text => {
                type $T = Arc<str>;
                $body
            }
            Class::Dur => {
                type $T = Duration;
                $body
            }
            Class::Rec => {
                type $T = Rec;
                $body
            }
            Class::List => {
                type $T = Lst;
                $body
            }
        }
    };
}

// After `by_class!`, which they use.
mod ops;
mod reads;

pub(super) fn n<T>(f: impl Fn(&mut Env<'_>) -> Option<T> + Send + Sync + 'static) -> N<T> {
    N { f: Box::new(f), k: None, i: None }
}

pub(super) fn k<T: Scalar>(v: T) -> N<T> {
    let c = v.clone();
    N { f: Box::new(move |_| Some(c.clone())), k: Some(v), i: None }
}

impl X {
    /// The node's value as a [`Value`] (function arguments, table keys).
    pub fn value(&self, env: &mut Env<'_>) -> Option<Value> {
        match self {
            X::Bool(n) => (n.f)(env).map(Value::Bool),
            X::Num(n) => (n.f)(env).map(Value::Num),
            X::Date(n) => (n.f)(env).map(Value::Date),
            X::Enum(n) => (n.f)(env).map(Value::Enum),
            X::Text(n) => (n.f)(env).map(Value::Text),
            X::Dur(n) => (n.f)(env).map(Value::Duration),
            X::Rec(n) => (n.f)(env).map(|r| Value::Record(r.0)),
            X::List(n) => (n.f)(env).map(|l| Value::List(l.0)),
        }
    }

    fn is_const(&self) -> bool {
        match self {
            X::Bool(n) => n.k.is_some(),
            X::Num(n) => n.k.is_some(),
            X::Date(n) => n.k.is_some(),
            X::Enum(n) => n.k.is_some(),
            X::Text(n) => n.k.is_some(),
            X::Dur(n) => n.k.is_some(),
            X::Rec(n) => n.k.is_some(),
            X::List(n) => n.k.is_some(),
        }
    }

    /// The node evaluated once, as a constant, when it evaluates.
    fn fold(self, env: &mut Env<'_>) -> X {
        fn f<T: Scalar>(n: N<T>, env: &mut Env<'_>) -> X {
            match (n.f)(env) {
                Some(v) => T::wrap(k(v)),
                None => T::wrap(n),
            }
        }
        match self {
            X::Bool(n) => f(n, env),
            X::Num(n) => f(n, env),
            X::Date(n) => f(n, env),
            X::Enum(n) => f(n, env),
            X::Text(n) => f(n, env),
            X::Dur(n) => f(n, env),
            X::Rec(n) => f(n, env),
            X::List(n) => f(n, env),
        }
    }
}

/// A constant number to compare with: its mantissa at each scale from its
/// own to 28 (where it fits `i128`), computed once, so that a number at any
/// such scale (a percent `0.75` against `80%`) compares as two integers,
/// exactly as `Decimal` compares; otherwise by `Decimal`'s comparison.
#[derive(Clone, Copy)]
pub(crate) struct Konst {
    pub c: Decimal,
    scaled: [i128; 29],
    /// Bit `s`: `scaled[s]` is `c` at scale `s`.
    ok: u32,
}

impl Konst {
    pub fn new(c: Decimal) -> Self {
        let mut scaled = [0i128; 29];
        let mut ok = 0u32;
        for (s, slot) in (0u32..).zip(scaled.iter_mut()) {
            if let Some(m) = s.checked_sub(c.scale()).and_then(|d| 10i128.checked_pow(d)).and_then(|p| c.mantissa().checked_mul(p)) {
                *slot = m;
                ok |= 1 << s;
            }
        }
        Konst { c, scaled, ok }
    }

    /// `x` compared with the constant.
    #[inline]
    pub fn cmp(&self, x: &Decimal) -> Ordering {
        let s = x.scale();
        match self.scaled.get(s as usize) {
            Some(m) if self.ok >> s & 1 == 1 => x.mantissa().cmp(m),
            _ => v::cmp_num(x, &self.c),
        }
    }
}

/// The value of `n`: its constant, else its closure's.
#[inline(always)]
pub(super) fn get<T: Scalar>(n: &N<T>, env: &mut Env<'_>) -> Option<T> {
    match (&n.k, n.i) {
        (Some(c), _) => Some(c.clone()),
        (None, Some(i)) => env.facts.inputs.get(i)?.as_ref().and_then(T::of),
        (None, None) => (n.f)(env),
    }
}

/// The compiler's state: the plan, the lets and functions compiled so far.
pub(crate) struct Cx<'p> {
    plan: &'p Plan,
    p: &'p CheckedPolicy,
    /// Facts with nothing given, and buffers, to fold constants in.
    facts: Facts,
    scratch: Scratch,
    lets: Vec<Result<Arc<X>, String>>,
    let_dated: Vec<bool>,
    fns: Vec<Result<Arc<X>, String>>,
}

/// Drops compiled lets and functions last first: each holds the ones it
/// reads, so dropping the first of a long chain last keeps every drop one
/// level deep (first first, the last one's drop would recurse down the
/// whole chain and could overflow the stack).
pub(super) fn drop_last_first(kept: &mut Vec<Arc<X>>) {
    while let Some(x) = kept.pop() {
        drop(x);
    }
}

impl Drop for Cx<'_> {
    fn drop(&mut self) {
        let mut kept: Vec<Arc<X>> = std::mem::take(&mut self.fns).into_iter().flatten().collect();
        kept.extend(std::mem::take(&mut self.lets).into_iter().flatten());
        drop_last_first(&mut kept);
    }
}

impl<'p> Cx<'p> {
    /// Compiles every let and function (each reads only earlier ones).
    pub fn new(plan: &'p Plan) -> Self {
        let p = plan.policy();
        let mut m = super::analysis::Measure::new(p);
        let let_dated = (0..p.lets.len()).map(|i| m.let_dated(i)).collect();
        let mut cx = Cx { plan, p, facts: Facts::empty(plan), scratch: Scratch::default(), lets: Vec::new(), let_dated, fns: Vec::new() };
        for f in &p.functions {
            let body = cx.expr(&f.body).map(Arc::new);
            cx.fns.push(body);
        }
        for l in &p.lets {
            let body = cx.expr(&l.value).map(Arc::new);
            cx.lets.push(body);
        }
        cx
    }

    /// The compiled functions and lets, in the order they were compiled,
    /// for [`super::Program`] to drop last first.
    pub(super) fn into_kept(mut self) -> Vec<Arc<X>> {
        let mut kept: Vec<Arc<X>> = std::mem::take(&mut self.fns).into_iter().flatten().collect();
        kept.extend(std::mem::take(&mut self.lets).into_iter().flatten());
        kept
    }

    pub(super) fn typed<T: Scalar>(&mut self, e: &CExpr) -> Result<N<T>, String> {
        T::take(self.expr(e)?).ok_or_else(|| "internal: a node of another type".into())
    }

    pub fn boolean(&mut self, e: &CExpr) -> Result<Fx<bool>, String> {
        Ok(self.typed::<bool>(e)?.f)
    }

    pub fn num(&mut self, e: &CExpr) -> Result<Fx<Decimal>, String> {
        Ok(self.typed::<Decimal>(e)?.f)
    }

    /// A number's closure, and its value when it is a constant.
    pub fn num_or_const(&mut self, e: &CExpr) -> Result<(Fx<Decimal>, Option<Decimal>), String> {
        let n = self.typed::<Decimal>(e)?;
        Ok((n.f, n.k))
    }

    pub fn date(&mut self, e: &CExpr) -> Result<Fx<NaiveDate>, String> {
        Ok(self.typed::<NaiveDate>(e)?.f)
    }

    /// A node of any type (an output).
    pub fn any(&mut self, e: &CExpr) -> Result<X, String> {
        self.expr(e)
    }

    pub fn policy(&self) -> &'p CheckedPolicy {
        self.p
    }

    /// Compiles `e`, folding it into a constant when it reads nothing of a
    /// decision and evaluates.
    pub(super) fn expr(&mut self, e: &CExpr) -> Result<X, String> {
        let x = self.node(e)?;
        if x.is_const() || !is_static(e) {
            return Ok(x);
        }
        let mut env = Env { facts: &self.facts, date: None, amount: None, s: &mut self.scratch };
        env.s.stamp = env.s.stamp.wrapping_add(1);
        Ok(x.fold(&mut env))
    }

    fn node(&mut self, e: &CExpr) -> Result<X, String> {
        let c = class(&e.ty)?;
        match &e.kind {
            CKind::Const(value) => by_class!(c, T => Ok(T::wrap(k(T::of(value).ok_or("internal: a constant of another type")?)))),
            CKind::Input(id) => {
                let i = id.index();
                by_class!(c, T => Ok(T::wrap(N { i: Some(i), ..n(move |env: &mut Env<'_>| env.facts.inputs.get(i)?.as_ref().and_then(T::of)) })))
            }
            CKind::External(id) => {
                let i = id.index();
                by_class!(c, T => Ok(T::wrap(n(move |env: &mut Env<'_>| env.facts.externals.get(i)?.as_ref().and_then(T::of)))))
            }
            CKind::Present(id) => {
                let i = id.index();
                Ok(X::Bool(n(move |env| Some(env.facts.supplied.get(i).copied().unwrap_or(false)))))
            }
            CKind::Local(depth) => {
                let d = *depth as usize;
                by_class!(c, T => Ok(T::wrap(n(move |env: &mut Env<'_>| {
                    let locals = &env.s.locals;
                    locals.get(locals.len().checked_sub(1 + d)?).and_then(T::of)
                }))))
            }
            CKind::Amount => Ok(X::Num(n(|env| env.amount))),
            CKind::AsOf => Ok(X::Date(n(|env| env.date))),
            // What the benefit, decided earlier in this decision, pays
            // (`run` decides in dependency order and keeps it).
            CKind::BenefitAmount(b) => {
                let b = *b as usize;
                Ok(X::Num(n(move |env| env.s.amounts.get(b).copied().flatten())))
            }
            CKind::Table(t) => match self.plan.table_lists.get(t.index()) {
                Some(Value::List(rows)) => Ok(X::List(k(Lst(rows.clone())))),
                _ => Err("internal: no table".into()),
            },
            CKind::Let(id) => by_class!(c, T => self.let_read::<T>(id.index())),
            CKind::Param(id) => by_class!(c, T => self.param::<T>(id.index())),
            CKind::Lookup(t, keys) => Ok(X::Rec(self.lookup(t.index(), keys)?)),
            CKind::Exists(t, keys) => self.exists(t.index(), keys),
            CKind::Field(rec, i) => by_class!(c, T => self.field::<T>(rec, *i as usize)),
            CKind::Convert(x, from, to) => {
                let x = self.typed::<Decimal>(x)?;
                let (from, to) = (*from, *to);
                Ok(X::Num(n(move |env| v::convert(get(&x, env)?, from, to).ok())))
            }
            CKind::Unary(UnOp::Not, x) => {
                let x = self.typed::<bool>(x)?;
                Ok(X::Bool(n(move |env| Some(!get(&x, env)?))))
            }
            CKind::Unary(UnOp::Neg, x) => {
                let x = self.typed::<Decimal>(x)?;
                Ok(X::Num(n(move |env| v::sub(Decimal::ZERO, get(&x, env)?).ok())))
            }
            CKind::Binary(op, a, b) => self.binary(*op, a, b),
            CKind::InSet(x, items) => {
                let xc = class(&x.ty)?;
                by_class!(xc, T => self.in_set::<T>(x, items))
            }
            CKind::InList(x, l) => self.in_list(x, l),
            // Every item, in order (the interpreter's stop on any item is a
            // `None`); a literal that reads no fact is folded (`expr`), else
            // it builds its list as the interpreter does (one allocation).
            CKind::List(items) => {
                let items = items.iter().map(|e| self.expr(e)).collect::<Result<Vec<_>, String>>()?;
                Ok(X::List(n(move |env| {
                    let mut out = Vec::with_capacity(items.len());
                    for it in &items {
                        out.push(it.value(env)?);
                    }
                    Some(Lst(Arc::from(out)))
                })))
            }
            CKind::If(arms, otherwise) => by_class!(c, T => self.if_else::<T>(arms, otherwise)),
            CKind::Match(s, arms) => by_class!(c, T => self.matching::<T>(s, arms)),
            CKind::Tiers { subject, tiers, otherwise } => match class(&subject.ty)? {
                Class::Num => by_class!(c, T => self.tiers::<Decimal, T>(subject, tiers, otherwise.as_deref())),
                Class::Date => by_class!(c, T => self.tiers::<NaiveDate, T>(subject, tiers, otherwise.as_deref())),
                _ => Err("tiers over a subject neither a number nor a date".into()),
            },
            CKind::Scale { subject, bands, rest } => self.scale(subject, bands, rest.as_deref()),
            CKind::Quant(kind, list, filter) => self.quant(*kind, list, filter.as_deref()),
            CKind::Agg(kind, list, value, filter) => self.agg(*kind, list, value, filter.as_deref()),
            CKind::Call(f, args) => self.call(*f, args, c),
            CKind::Apply(f, args) => by_class!(c, T => self.apply::<T>(f.index(), args)),
        }
    }
}
