//! Static facts about checked expressions the compiled plan relies on: the
//! worst-case steps and nesting depth of an evaluation (counted as the
//! interpreter counts them), and whether an expression can read the date.

use crate::facts::{MAX_FACT_DEPTH, MAX_LIST_LEN};
use policy_core::ast::BinOp;
use policy_core::checked::{AmountStepDef, BenefitDef, CExpr, CKind, CheckedPolicy, Type};
use policy_core::value::Value;

/// Worst-case work of expressions, with lets and functions measured once.
pub(crate) struct Measure<'p> {
    p: &'p CheckedPolicy,
    lets: Vec<Option<(u64, u32)>>,
    fns: Vec<Option<(u64, u32)>>,
    dated_lets: Vec<Option<bool>>,
    dated_fns: Vec<Option<bool>>,
    refusing_lets: Vec<Option<bool>>,
    refusing_fns: Vec<Option<bool>>,
    /// Per let: the largest [`weight`] its value may have.
    let_weights: Vec<Option<u64>>,
    /// The longest list a value of list type may be where the expression
    /// does not say ([`Measure::weight`]): a fact list's limit, or a table's
    /// rows (a let may hold a table), whichever is longer.
    longest: u64,
}

/// Largest list a quantifier may visit when the list is not a table.
const LIST: u64 = MAX_LIST_LEN as u64;

impl<'p> Measure<'p> {
    /// Measures every function, then every let, in order: each reads only
    /// earlier ones (function bodies read no let), so a reference is always
    /// to one measured already and nothing recurses through a chain of
    /// lets (2,000 lets, each reading the last, is a bundled test).
    pub fn new(p: &'p CheckedPolicy) -> Self {
        let mut m = Measure {
            p,
            lets: vec![None; p.lets.len()],
            fns: vec![None; p.functions.len()],
            dated_lets: vec![None; p.lets.len()],
            dated_fns: vec![None; p.functions.len()],
            refusing_lets: vec![None; p.lets.len()],
            refusing_fns: vec![None; p.functions.len()],
            let_weights: vec![None; p.lets.len()],
            longest: p.tables.iter().map(|t| t.rows.len() as u64).fold(LIST, u64::max),
        };
        for (i, f) in p.functions.iter().enumerate() {
            let (c, d, r) = (m.cost(&f.body), m.reads_date(&f.body), m.may_refuse(&f.body));
            if let (Some(x), Some(y), Some(z)) = (m.fns.get_mut(i), m.dated_fns.get_mut(i), m.refusing_fns.get_mut(i)) {
                (*x, *y, *z) = (Some(c), Some(d), Some(r));
            }
        }
        for (i, l) in p.lets.iter().enumerate() {
            let (c, d, r) = (m.cost(&l.value), m.reads_date(&l.value), m.may_refuse(&l.value));
            if let (Some(x), Some(y), Some(z)) = (m.lets.get_mut(i), m.dated_lets.get_mut(i), m.refusing_lets.get_mut(i)) {
                (*x, *y, *z) = (Some(c), Some(d), Some(r));
            }
            let w = m.weight(&l.value);
            if let Some(x) = m.let_weights.get_mut(i) {
                *x = Some(w);
            }
        }
        m
    }

    /// (steps, depth) of evaluating `e` at most: every node one step, every
    /// list element one step plus its filter and value; a let read costs
    /// its whole definition each time (the interpreter evaluates it once
    /// per benefit: an over-estimate). Saturating.
    pub fn cost(&mut self, e: &CExpr) -> (u64, u32) {
        let mut steps = 1u64;
        let mut depth = 0u32;
        let mut add = |(s, d): (u64, u32)| {
            steps = steps.saturating_add(s);
            depth = depth.max(d);
        };
        match &e.kind {
            CKind::Let(id) => add(self.let_cost(id.index())),
            CKind::Param(id) => {
                // One version's value is evaluated; count the dearest.
                let p = self.p;
                let mut worst = (0u64, 0u32);
                for v in p.params.get(id.index()).map_or(&[][..], |d| d.versions.as_slice()) {
                    let (s, d) = self.cost(&v.value);
                    worst = (worst.0.max(s), worst.1.max(d));
                }
                add(worst);
            }
            CKind::Quant(_, list, filter) => {
                let n = self.list_len(list);
                add(self.cost(list));
                let per = filter.as_deref().map_or((0, 0), |f| self.cost(f));
                add((n.saturating_mul(per.0.saturating_add(1)), per.1));
            }
            CKind::Agg(_, list, value, filter) => {
                let n = self.list_len(list);
                add(self.cost(list));
                let f = filter.as_deref().map_or((0, 0), |f| self.cost(f));
                let v = self.cost(value);
                add((n.saturating_mul(f.0.saturating_add(v.0).saturating_add(1)), f.1.max(v.1)));
            }
            CKind::Apply(f, args) => {
                for a in args {
                    add(self.cost(a));
                }
                add(self.fn_cost(f.index()));
            }
            // `x in list` is charged both values' weights, and so is `==`
            // or `!=` on records or lists (`interp`'s `weight`).
            CKind::InList(x, l) => {
                add(self.cost(x));
                add(self.cost(l));
                add((self.weight(l).saturating_add(self.weight(x)), 0));
            }
            CKind::Binary(BinOp::Eq | BinOp::Ne, a, b) if matches!(a.ty, Type::Record(_) | Type::List(_) | Type::EmptyList) => {
                add(self.cost(a));
                add(self.cost(b));
                add((self.weight(a).saturating_add(self.weight(b)), 0));
            }
            _ => {
                for c in e.children() {
                    add(self.cost(c));
                }
            }
        }
        (steps, depth.saturating_add(1))
    }

    /// The largest weight `e`'s value may have, as the interpreter charges
    /// a comparison of records or lists (`interp`'s `weight`: one per value,
    /// a list or record one plus its elements'): exact for a constant, a
    /// table or a let of one, element by element for a list literal, else
    /// by its type, a list at most [`Measure::longest`] elements. Saturating.
    pub fn weight(&self, e: &CExpr) -> u64 {
        match &e.kind {
            CKind::Const(v) => weight(v),
            CKind::Table(t) => self.p.tables.get(t.index()).map_or(u64::MAX, |t| {
                t.rows.iter().fold(1u64, |n, r| n.saturating_add(r.iter().fold(1u64, |n, x| n.saturating_add(weight(x)))))
            }),
            CKind::List(items) => items.iter().fold(1u64, |n, x| n.saturating_add(self.weight(x))),
            CKind::Let(id) => self.let_weights.get(id.index()).copied().flatten().unwrap_or(u64::MAX),
            CKind::Param(id) => {
                self.p.params.get(id.index()).map_or(u64::MAX, |d| d.versions.iter().map(|v| self.weight(&v.value)).fold(1, u64::max))
            }
            _ => self.type_weight(&e.ty, 0),
        }
    }

    /// The largest weight a value of type `ty` may have (a value nested
    /// deeper than a fact may be is not bounded: `u64::MAX`).
    fn type_weight(&self, ty: &Type, depth: usize) -> u64 {
        if depth > MAX_FACT_DEPTH + 1 {
            return u64::MAX;
        }
        match ty {
            Type::List(elem) => self.longest.saturating_mul(self.type_weight(elem, depth + 1)).saturating_add(1),
            Type::Record(r) => self
                .p
                .records
                .get(r.index())
                .map_or(u64::MAX, |d| d.fields.iter().fold(1u64, |n, (_, t, _)| n.saturating_add(self.type_weight(t, depth + 1)))),
            _ => 1,
        }
    }

    fn list_len(&self, list: &CExpr) -> u64 {
        match &list.kind {
            CKind::Table(t) => self.p.tables.get(t.index()).map_or(LIST, |t| t.rows.len() as u64),
            _ => LIST,
        }
    }

    /// A let's or a function's measure (`None`: not measured yet, never
    /// for a checked policy): the worst.
    fn let_cost(&mut self, i: usize) -> (u64, u32) {
        self.lets.get(i).copied().flatten().unwrap_or((u64::MAX, u32::MAX))
    }

    fn fn_cost(&mut self, i: usize) -> (u64, u32) {
        self.fns.get(i).copied().flatten().unwrap_or((u64::MAX, u32::MAX))
    }

    /// Whether `e` can read the date: `as_of`, a parameter (its value is
    /// picked by date), through lets and functions.
    pub fn reads_date(&mut self, e: &CExpr) -> bool {
        match &e.kind {
            CKind::AsOf | CKind::Param(_) => true,
            // Another benefit's amount may turn on its own date.
            CKind::BenefitAmount(_) => true,
            CKind::Let(id) => self.let_dated(id.index()),
            CKind::Apply(f, args) => args.iter().any(|a| self.reads_date(a)) || self.fn_dated(f.index()),
            _ => e.children().into_iter().any(|c| self.reads_date(c)),
        }
    }

    pub fn let_dated(&mut self, i: usize) -> bool {
        self.dated_lets.get(i).copied().flatten().unwrap_or(true)
    }

    fn fn_dated(&mut self, i: usize) -> bool {
        self.dated_fns.get(i).copied().flatten().unwrap_or(true)
    }

    /// Whether `e` may stop on no row or no tier: a table lookup, tiers
    /// without `else`, through lets and functions (as `decide`'s
    /// `may_refuse`, which also counts only these).
    pub fn may_refuse(&mut self, e: &CExpr) -> bool {
        match &e.kind {
            CKind::Lookup(..) | CKind::Tiers { otherwise: None, .. } => true,
            CKind::Let(id) => self.refusing_lets.get(id.index()).copied().flatten().unwrap_or(true),
            CKind::Apply(f, args) => {
                args.iter().any(|a| self.may_refuse(a)) || self.refusing_fns.get(f.index()).copied().flatten().unwrap_or(true)
            }
            _ => e.each_child(|c| self.may_refuse(c)),
        }
    }

    /// Per let, then per function: whether it may stop on no row or no
    /// tier ([`Measure::may_refuse`]), for the interpreter's `may_refuse`.
    pub fn refusing(&self) -> (Vec<bool>, Vec<bool>) {
        let all = |v: &[Option<bool>]| v.iter().map(|r| r.unwrap_or(true)).collect();
        (all(&self.refusing_lets), all(&self.refusing_fns))
    }

    /// Whether benefit `b`'s decision cannot depend on a date: the policy
    /// has no in-force window, the benefit no versions, no `dated_by` and no
    /// uplift with a last day, and none of its expressions reads the date.
    pub fn date_free(&mut self, b: &BenefitDef) -> bool {
        let m = &self.p.meta;
        if m.in_force_from.is_some() || m.in_force_until.is_some() || !b.versions.is_empty() || b.dated_by.is_some() {
            return false;
        }
        let r = &b.base;
        if r.amount.iter().any(|s| matches!(s, AmountStepDef::Uplift { until: Some(_), .. })) {
            return false;
        }
        let mut exprs: Vec<&CExpr> = r.conditions.iter().map(|c| &c.expr).collect();
        for s in &r.amount {
            match s {
                AmountStepDef::Base { expr, .. } | AmountStepDef::Cap { expr, .. } => exprs.push(expr),
                AmountStepDef::Uplift { rate, when, .. } => exprs.extend([rate, when]),
                AmountStepDef::Override { when, value, .. } => exprs.extend([when, value]),
            }
        }
        exprs.extend(r.entitlements.iter().chain(&r.documents).filter_map(|o| o.when.as_ref()));
        exprs.extend(r.deadlines.iter().map(|d| &d.expr));
        exprs.extend(b.outputs.iter().map(|o| &o.expr));
        !exprs.into_iter().any(|e| self.reads_date(e))
    }
}

/// A value's weight as the interpreter charges it (`interp`'s `weight`).
fn weight(v: &Value) -> u64 {
    match v {
        Value::List(xs) | Value::Record(xs) => xs.iter().fold(1u64, |n, x| n.saturating_add(weight(x))),
        _ => 1,
    }
}

/// Whether `e` reads nothing of a decision (no fact, let, parameter, date,
/// amount or bound variable): its value is the same for every applicant.
pub(crate) fn is_static(e: &CExpr) -> bool {
    match &e.kind {
        CKind::Input(_)
        | CKind::External(_)
        | CKind::Let(_)
        | CKind::Param(_)
        | CKind::Local(_)
        | CKind::Amount
        | CKind::AsOf
        | CKind::BenefitAmount(_)
        | CKind::Present(_)
        | CKind::Apply(..) => false,
        _ => e.children().into_iter().all(is_static),
    }
}
