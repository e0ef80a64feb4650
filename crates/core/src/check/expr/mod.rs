//! Expression checking: name resolution, typing, unit checks, constant
//! folding of literals.
//!
//! Here: the dispatch over expression forms, literals, operators and the
//! forms' typing rules; `names.rs` paths, fields, lookups and conversions;
//! `calls.rs` built-in and declared functions.

mod calls;
mod names;

pub(crate) use calls::BUILTINS;

use super::{did_you_mean, Checker, Sym};
use crate::ast::{self, AggKind, BinOp, Expr, ExprKind, QuantKind, Suffix, UnOp};
use crate::checked::*;
use crate::diag::codes;
use crate::value::{Duration, DurationUnit, RoundMode, Value};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

impl Checker<'_> {
    fn mk(&self, m: usize, kind: CKind, ty: Type, span: ast::Span) -> CExpr {
        let file = self.file_of(m);
        CExpr { kind, ty, span, file }
    }

    pub(crate) fn err_expr(&self, m: usize, span: ast::Span) -> CExpr {
        self.mk(m, CKind::Const(Value::Bool(false)), Type::Error, span)
    }

    /// A type's name for messages (see [`CheckedPolicy::type_name`]).
    pub fn type_name(&self, t: &Type) -> String {
        type_name_in(&self.units, &self.enums, &self.records, t)
    }

    /// Reports when `e` does not have type `want` (int is accepted as decimal).
    pub fn expect_type(&mut self, m: usize, e: &CExpr, want: &Type, what: &str) {
        if unify(&e.ty, want).is_some_and(|u| u == *want || (*want == Type::Decimal && u == Type::Decimal)) {
            return;
        }
        if e.ty == Type::Error || *want == Type::Error {
            return;
        }
        let (found, wanted) = (self.type_name(&e.ty), self.type_name(want));
        let help = literal_hint(&e.ty, want);
        let d = self.error(m, codes::TYPE_MISMATCH, e.span, format!("expected {wanted} ({what}), found {found}"));
        d.label = Some(format!("this is {found}"));
        d.help = help;
    }

    /// Checks an expression; `expected` guides bare enum variants and `[]`.
    pub fn expr(&mut self, m: usize, e: &Expr, expected: Option<&Type>) -> CExpr {
        let span = e.span;
        match &e.kind {
            ExprKind::Bool(b) => self.mk(m, CKind::Const(Value::Bool(*b)), Type::Bool, span),
            ExprKind::Text(s) => self.mk(m, CKind::Const(Value::Text(s.as_str().into())), Type::Text, span),
            ExprKind::Date(d) => self.mk(m, CKind::Const(Value::Date(*d)), Type::Date, span),
            ExprKind::Number { value, suffix } => self.number(m, *value, suffix.as_ref(), span),
            ExprKind::Paren(inner) => self.expr(m, inner, expected),
            ExprKind::Path(segs) => self.path(m, segs, expected, span),
            ExprKind::Field(base, field) => {
                let b = self.expr(m, base, None);
                self.field(m, b, field, span)
            }
            ExprKind::Index(base, keys) => self.lookup(m, base, keys, span, false),
            ExprKind::Convert(base, unit) => {
                let b = self.expr(m, base, None);
                self.convert(m, b, unit, span)
            }
            ExprKind::Unary(op, inner) => {
                let x = self.expr(m, inner, expected);
                match op {
                    UnOp::Not => {
                        self.expect_type(m, &x, &Type::Bool, "an operand of `not`");
                        if let CKind::Const(Value::Bool(b)) = x.kind {
                            return self.mk(m, CKind::Const(Value::Bool(!b)), Type::Bool, span);
                        }
                        self.mk(m, CKind::Unary(UnOp::Not, Box::new(x)), Type::Bool, span)
                    }
                    UnOp::Neg => {
                        if !x.ty.is_numeric() && x.ty != Type::Error {
                            let msg = format!("cannot negate {}", self.type_name(&x.ty));
                            self.error(m, codes::TYPE_MISMATCH, span, msg);
                            return self.err_expr(m, span);
                        }
                        let ty = x.ty.clone();
                        if let CKind::Const(Value::Num(d)) = x.kind {
                            return self.mk(m, CKind::Const(Value::Num(-d)), ty, span);
                        }
                        self.mk(m, CKind::Unary(UnOp::Neg, Box::new(x)), ty, span)
                    }
                }
            }
            ExprKind::Binary(op, a, b) => self.binary(m, *op, a, b, span),
            ExprKind::Set(_) => {
                self.error(m, codes::TYPE_MISMATCH, span, "a set `{…}` can only follow `in`").help = Some("write `x in {a, b}`".into());
                self.err_expr(m, span)
            }
            ExprKind::List(items) => {
                let elem_expected = match expected {
                    Some(Type::List(t)) => Some((**t).clone()),
                    _ => None,
                };
                let mut ty: Option<Type> = elem_expected.clone();
                let mut out = Vec::new();
                for it in items {
                    let c = self.expr(m, it, ty.as_ref());
                    match &ty {
                        Some(t) => {
                            let t = t.clone();
                            self.expect_type(m, &c, &t, "the list's element type");
                        }
                        None => ty = Some(c.ty.clone()),
                    }
                    out.push(c);
                }
                let list_ty = match ty {
                    Some(t) => Type::List(Box::new(t)),
                    None => Type::EmptyList,
                };
                if let Some(vals) =
                    out.iter().map(|c| if let CKind::Const(v) = &c.kind { Some(v.clone()) } else { None }).collect::<Option<Vec<_>>>()
                {
                    return self.mk(m, CKind::Const(Value::List(vals.into())), list_ty, span);
                }
                self.mk(m, CKind::List(out), list_ty, span)
            }
            ExprKind::If { branches, otherwise } => {
                let mut out = Vec::new();
                let mut ty: Option<Type> = expected.cloned();
                let mut first_ty: Option<Type> = None;
                for (c, v) in branches {
                    let cc = self.expr(m, c, Some(&Type::Bool));
                    self.expect_type(m, &cc, &Type::Bool, "an `if` condition");
                    let vv = self.expr(m, v, ty.as_ref());
                    first_ty = Some(self.join(m, first_ty, &vv));
                    ty = first_ty.clone();
                    out.push((cc, vv));
                }
                let o = self.expr(m, otherwise, ty.as_ref());
                let t = self.join(m, first_ty, &o);
                self.mk(m, CKind::If(out, Box::new(o)), t, span)
            }
            ExprKind::Match { scrutinee, arms } => self.match_expr(m, scrutinee, arms, expected, span),
            ExprKind::Tiers { subject, tiers, otherwise } => self.tiers(m, subject, tiers, otherwise.as_deref(), expected, span),
            ExprKind::Scale { subject, bands, rest } => self.scale(m, subject, bands, rest.as_deref(), span),
            ExprKind::Quantifier { kind, var, list, filter } => {
                let (l, elem) = self.list_operand(m, list);
                self.locals.push((var.name.clone(), elem));
                let f = filter.as_ref().map(|f| {
                    let c = self.expr(m, f, Some(&Type::Bool));
                    self.expect_type(m, &c, &Type::Bool, "a `where` filter");
                    Box::new(c)
                });
                self.locals.pop();
                if f.is_none() && *kind != QuantKind::Count {
                    self.error(m, codes::BAD_CALL, span, "`any` and `all` need a `where` condition");
                }
                let ty = if *kind == QuantKind::Count { Type::Int } else { Type::Bool };
                self.mk(m, CKind::Quant(*kind, Box::new(l), f), ty, span)
            }
            ExprKind::Aggregate { kind, value, var, list, filter } => {
                let (l, elem) = self.list_operand(m, list);
                self.locals.push((var.name.clone(), elem));
                let v = self.expr(m, value, None);
                let f = filter.as_ref().map(|f| {
                    let c = self.expr(m, f, Some(&Type::Bool));
                    self.expect_type(m, &c, &Type::Bool, "a `where` filter");
                    Box::new(c)
                });
                self.locals.pop();
                if !(v.ty.is_numeric() || matches!(kind, AggKind::Min | AggKind::Max) && v.ty == Type::Date || v.ty == Type::Error) {
                    let msg = format!("cannot aggregate {}", self.type_name(&v.ty));
                    self.error(m, codes::TYPE_MISMATCH, value.span, msg);
                }
                let ty = match (kind, &v.ty) {
                    (AggKind::Avg, Type::Int) => Type::Decimal,
                    (_, t) => t.clone(),
                };
                self.mk(m, CKind::Agg(*kind, Box::new(l), Box::new(v), f), ty, span)
            }
            ExprKind::Call(f, args) => self.call(m, f, args, span),
        }
    }

    /// Joins a branch's type into the running type of a conditional.
    pub(super) fn join(&mut self, m: usize, so_far: Option<Type>, e: &CExpr) -> Type {
        match so_far {
            None => e.ty.clone(),
            Some(t) => match unify(&t, &e.ty) {
                Some(u) => u,
                None => {
                    let msg = format!("branches have different types: {} and {}", self.type_name(&t), self.type_name(&e.ty));
                    self.error(m, codes::TYPE_MISMATCH, e.span, msg);
                    Type::Error
                }
            },
        }
    }

    fn number(&mut self, m: usize, value: Decimal, suffix: Option<&Suffix>, span: ast::Span) -> CExpr {
        let (v, ty) = match suffix {
            None => {
                let ty = if value.fract().is_zero() && value.scale() == 0 { Type::Int } else { Type::Decimal };
                (Value::Num(value), ty)
            }
            Some(Suffix::Percent) => match value.checked_div(Decimal::ONE_HUNDRED) {
                Some(p) => (Value::Num(p), Type::Percent),
                None => return self.err_expr(m, span),
            },
            Some(Suffix::Unit(u)) => match u.name.as_str() {
                "yuan" => (Value::Num(value), Type::Money),
                "day" | "days" | "month" | "months" | "year" | "years" => {
                    let unit = match u.name.as_str() {
                        "day" | "days" => DurationUnit::Days,
                        "month" | "months" => DurationUnit::Months,
                        _ => DurationUnit::Years,
                    };
                    let Some(amount) = value.fract().is_zero().then(|| value.to_i64()).flatten() else {
                        self.error(m, codes::BAD_NUMBER, span, "a duration must be a whole number");
                        return self.err_expr(m, span);
                    };
                    (Value::Duration(Duration { amount, unit }), Type::Duration)
                }
                name => match self.lookup_sym(m, name) {
                    Some(Sym::Unit(id)) => (Value::Num(value), Type::Quantity(id)),
                    _ => {
                        let help = if self.take_hint() {
                            let mut names: Vec<String> = vec!["yuan".into(), "days".into(), "months".into(), "years".into()];
                            if let Some(md) = self.modules.get(m) {
                                names.extend(md.scope.iter().filter(|(_, s)| matches!(s, Sym::Unit(_))).map(|(k, _)| k.clone()));
                            }
                            did_you_mean(name, names.iter().map(String::as_str))
                        } else {
                            None
                        }
                        .unwrap_or_else(|| "declare it with `unit NAME \"label\"`, or use yuan, days, months, years".into());
                        let d = self.error(m, codes::UNKNOWN_NAME, u.span, format!("unknown unit `{name}`"));
                        d.help = Some(help);
                        return self.err_expr(m, span);
                    }
                },
            },
        };
        self.mk(m, CKind::Const(v), ty, span)
    }

    fn binary(&mut self, m: usize, op: BinOp, a: &Expr, b: &Expr, span: ast::Span) -> CExpr {
        if op == BinOp::In {
            let x = self.expr(m, a, None);
            if let ExprKind::Set(items) = &b.kind {
                let mut out = Vec::new();
                for it in items {
                    let c = self.expr(m, it, Some(&x.ty));
                    self.compatible(m, &x, &c, "`in`");
                    out.push(c);
                }
                return self.mk(m, CKind::InSet(Box::new(x), out), Type::Bool, span);
            }
            let l = self.expr(m, b, Some(&Type::List(Box::new(x.ty.clone()))));
            match &l.ty {
                Type::List(t) if unify(t, &x.ty).is_some() => {}
                Type::EmptyList | Type::Error => {}
                _ => {
                    let msg = format!("`in` needs a set `{{…}}` or a list of {}, found {}", self.type_name(&x.ty), self.type_name(&l.ty));
                    self.error(m, codes::TYPE_MISMATCH, b.span, msg);
                }
            }
            return self.mk(m, CKind::InList(Box::new(x), Box::new(l)), Type::Bool, span);
        }
        // Bare variants on either side take the other side's enum.
        let (x, y) = if is_bare_path(a) && !is_bare_path(b) {
            let y = self.expr(m, b, None);
            let x = self.expr(m, a, Some(&y.ty));
            (x, y)
        } else {
            let x = self.expr(m, a, None);
            let y = self.expr(m, b, Some(&x.ty));
            (x, y)
        };
        if x.ty == Type::Error || y.ty == Type::Error {
            return self.mk(m, CKind::Binary(op, Box::new(x), Box::new(y)), result_guess(op), span);
        }
        let ty = match op {
            BinOp::And | BinOp::Or => {
                self.expect_type(m, &x, &Type::Bool, "an operand of `and`/`or`");
                self.expect_type(m, &y, &Type::Bool, "an operand of `and`/`or`");
                Type::Bool
            }
            BinOp::Eq | BinOp::Ne => {
                self.compatible(m, &x, &y, op.symbol());
                Type::Bool
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                if !(x.ty.is_numeric() || x.ty == Type::Date) {
                    let msg = format!("`{}` compares numbers or dates, not {}", op.symbol(), self.type_name(&x.ty));
                    self.error(m, codes::TYPE_MISMATCH, x.span, msg);
                } else {
                    self.compatible(m, &x, &y, op.symbol());
                }
                Type::Bool
            }
            BinOp::Add | BinOp::Sub => match (&x.ty, &y.ty) {
                (Type::Date, Type::Duration) => Type::Date,
                (Type::Duration, Type::Date) if op == BinOp::Add => Type::Date,
                (Type::Date, Type::Date) => {
                    self.error(m, codes::TYPE_MISMATCH, span, "dates cannot be subtracted").help = Some("use `days_between(a, b)`".into());
                    Type::Error
                }
                (p, q) if p.is_numeric() && q.is_numeric() => match unify(p, q) {
                    Some(t) => t,
                    None => {
                        self.mismatch(m, &x, &y, op.symbol());
                        Type::Error
                    }
                },
                _ => {
                    self.mismatch(m, &x, &y, op.symbol());
                    Type::Error
                }
            },
            BinOp::Mul => match mul_type(&x.ty, &y.ty) {
                Some(t) => t,
                None => {
                    let msg = format!("cannot multiply {} by {}", self.type_name(&x.ty), self.type_name(&y.ty));
                    self.error(m, codes::TYPE_MISMATCH, span, msg).help = Some("one side must be a plain number or a percent".into());
                    Type::Error
                }
            },
            BinOp::Div => match (&x.ty, &y.ty) {
                (p, q) if p.is_numeric() && q.is_scalar() => {
                    if *p == Type::Int {
                        Type::Decimal
                    } else if *p == Type::Percent && *q != Type::Percent {
                        Type::Percent
                    } else if p == q || (p.is_scalar() && q.is_scalar()) {
                        Type::Decimal
                    } else {
                        p.clone()
                    }
                }
                (p, q) if p.is_numeric() && unify(p, q).is_some() => Type::Decimal,
                _ => {
                    let msg = format!("cannot divide {} by {}", self.type_name(&x.ty), self.type_name(&y.ty));
                    self.error(m, codes::TYPE_MISMATCH, span, msg);
                    Type::Error
                }
            },
            BinOp::In => Type::Bool,
        };
        let e = self.mk(m, CKind::Binary(op, Box::new(x), Box::new(y)), ty, span);
        self.fold_check(m, &e);
        e
    }

    /// Evaluates arithmetic on literals at check time (`T208`): a constant
    /// expression that overflows 28 digits or divides by zero fails at
    /// every decision. The tree is left as written (traces show each step);
    /// only operations whose operands are both constant are reported, once,
    /// at the innermost one that fails.
    fn fold_check(&mut self, m: usize, e: &CExpr) {
        let CKind::Binary(op, x, y) = &e.kind else { return };
        if !matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div) {
            return;
        }
        let (Some(a), Some(b)) = (const_num(x), const_num(y)) else { return };
        let r = match op {
            BinOp::Add => crate::value::add(a, b),
            BinOp::Sub => crate::value::sub(a, b),
            BinOp::Mul => crate::value::mul(a, b),
            _ => crate::value::div(a, b),
        };
        if let Err(err) = r {
            let msg = format!("constant arithmetic `{a} {} {b}` fails at every decision: {err}", op.symbol());
            let help = match err {
                crate::value::ValueError::DivisionByZero => "the divisor is zero; check the literal",
                _ => "amounts and numbers have at most 28 significant digits; check the literal's magnitude",
            };
            self.error(m, codes::CONST_OVERFLOW, e.span, msg).help = Some(help.into());
        }
    }

    fn compatible(&mut self, m: usize, x: &CExpr, y: &CExpr, what: &str) {
        if unify(&x.ty, &y.ty).is_none() {
            self.mismatch(m, x, y, what);
        }
    }

    fn mismatch(&mut self, m: usize, x: &CExpr, y: &CExpr, what: &str) {
        let (a, b) = (self.type_name(&x.ty), self.type_name(&y.ty));
        let (code, help) = match (&x.ty, &y.ty) {
            (Type::Quantity(_), Type::Quantity(_)) => (codes::UNIT_MISMATCH, Some(format!("convert one side first: `x as {a}`"))),
            _ => (codes::TYPE_MISMATCH, literal_hint(&y.ty, &x.ty)),
        };
        let d = self.error(m, code, y.span, format!("`{what}` between {a} and {b}"));
        d.label = Some(format!("this is {b}, the other side is {a}"));
        d.help = help;
    }

    fn list_operand(&mut self, m: usize, list: &Expr) -> (CExpr, Type) {
        let l = self.expr(m, list, None);
        let elem = match &l.ty {
            Type::List(t) => (**t).clone(),
            Type::Error => Type::Error,
            Type::EmptyList => {
                let d = self.error(m, codes::TYPE_MISMATCH, list.span, "cannot go over an empty list: its elements have no type");
                d.label = Some("this list is always empty".into());
                d.help = Some("go over a list input, a table or a list with elements".into());
                Type::Error
            }
            other => {
                let msg = format!("expected a list, found {}", self.type_name(other));
                self.error(m, codes::TYPE_MISMATCH, list.span, msg);
                Type::Error
            }
        };
        (l, elem)
    }

    fn match_expr(&mut self, m: usize, scrutinee: &Expr, arms: &[ast::MatchArm], expected: Option<&Type>, span: ast::Span) -> CExpr {
        let s = self.expr(m, scrutinee, None);
        let e = match s.ty {
            Type::Enum(e) => Some(e),
            Type::Error => None,
            _ => {
                let msg = format!("`match` works on enums, found {}", self.type_name(&s.ty));
                self.error(m, codes::TYPE_MISMATCH, scrutinee.span, msg);
                None
            }
        };
        let n = e.and_then(|e| self.enums.get(e.index())).map(|d| d.variants.len()).unwrap_or(0);
        let mut covered = vec![false; n];
        let mut wildcard = false;
        let mut out = Vec::new();
        let mut ty: Option<Type> = None;
        for arm in arms {
            let pats = if arm.patterns.is_empty() {
                if wildcard {
                    self.error(m, codes::TIER_UNREACHABLE, arm.span, "second `_` arm can never match");
                }
                wildcard = true;
                None
            } else {
                let mut idx = Vec::new();
                for p in &arm.patterns {
                    let c = self.expr(m, p, s.ty.clone().into_some().as_ref());
                    if let (CKind::Const(Value::Enum(i)), Some(_)) = (&c.kind, e) {
                        if c.ty == s.ty {
                            if covered.get(*i as usize).copied().unwrap_or(false) || wildcard {
                                self.error(m, codes::TIER_UNREACHABLE, p.span, "this pattern is already covered by an earlier arm");
                            }
                            if let Some(slot) = covered.get_mut(*i as usize) {
                                *slot = true;
                            }
                            idx.push(*i);
                            continue;
                        }
                    }
                    if c.ty != Type::Error && e.is_some() {
                        let msg = format!("pattern is not a variant of {}", self.type_name(&s.ty));
                        self.error(m, codes::TYPE_MISMATCH, p.span, msg);
                    }
                }
                Some(idx)
            };
            let v = self.expr(m, &arm.value, ty.as_ref().or(expected));
            ty = Some(self.join(m, ty, &v));
            out.push((pats, v));
        }
        if e.is_some() && !wildcard && covered.iter().any(|c| !c) {
            let missing: Vec<String> = e
                .and_then(|e| self.enums.get(e.index()))
                .map(|d| d.variants.iter().zip(&covered).filter(|(_, c)| !**c).map(|(v, _)| format!("`{}`", v.0)).collect())
                .unwrap_or_default();
            let msg = format!("`match` does not cover {}", missing.join(", "));
            self.error(m, codes::TYPE_MISMATCH, span, msg).help = Some("add arms for them, or a `_ =>` arm".into());
        }
        self.mk(m, CKind::Match(Box::new(s), out), ty.unwrap_or(Type::Error), span)
    }

    fn scale(&mut self, m: usize, subject: &Expr, bands: &[ast::Band], rest: Option<&Expr>, span: ast::Span) -> CExpr {
        let s = self.expr(m, subject, None);
        if !s.ty.is_numeric() && s.ty != Type::Error {
            let msg = format!("`scale` spreads a number, found {}", self.type_name(&s.ty));
            self.error(m, codes::TYPE_MISMATCH, subject.span, msg);
        }
        let mut out = Vec::new();
        let mut rate_ty: Option<Type> = None;
        for b in bands {
            let w = self.expr(m, &b.width, Some(&s.ty));
            self.expect_type(m, &w, &s.ty, "the scale's subject type");
            if !fact_free(&w) && w.ty != Type::Error {
                self.error(m, codes::NOT_CONSTANT, b.width.span, "a band width must not depend on the facts").help = Some(
                    "write a constant, or a parameter (dated widths), or arithmetic over them: `next (upper_2 - upper_1) at 20%`".into(),
                );
            }
            let r = self.expr(m, &b.rate, rate_ty.as_ref());
            rate_ty = Some(self.join(m, rate_ty, &r));
            out.push((w, r));
        }
        let rest = rest.map(|r| {
            let c = self.expr(m, r, rate_ty.as_ref());
            rate_ty = Some(self.join(m, rate_ty.clone(), &c));
            Box::new(c)
        });
        let rt = rate_ty.unwrap_or(Type::Error);
        let ty = if s.ty == Type::Error || rt == Type::Error {
            Type::Error
        } else {
            match mul_type(&s.ty, &rt) {
                Some(t) => t,
                None => {
                    let msg = format!("a scale over {} cannot have rates in {}", self.type_name(&s.ty), self.type_name(&rt));
                    self.error(m, codes::TYPE_MISMATCH, span, msg);
                    Type::Error
                }
            }
        };
        self.mk(m, CKind::Scale { subject: Box::new(s), bands: out, rest }, ty, span)
    }

    /// Reports `e` unless it is a number (or already wrong).
    fn expect_number(&mut self, m: usize, e: &CExpr, function: &str) {
        if !(e.ty.is_numeric() || e.ty == Type::Error) {
            let msg = format!("`{function}` takes a number, found {}", self.type_name(&e.ty));
            self.error(m, codes::TYPE_MISMATCH, e.span, msg);
        }
    }
}

trait IntoSome: Sized {
    fn into_some(self) -> Option<Self> {
        Some(self)
    }
}
impl IntoSome for Type {}

fn empty_expr() -> Expr {
    Expr { kind: ExprKind::Bool(false), span: ast::Span::default() }
}

fn is_bare_path(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Path(segs) if segs.len() == 1)
}

fn result_guess(op: BinOp) -> Type {
    match op {
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => Type::Error,
        _ => Type::Bool,
    }
}

/// The common type of two types, if any (int widens to decimal; `[]` takes
/// the other list's type; an error type absorbs anything).
pub fn unify(a: &Type, b: &Type) -> Option<Type> {
    match (a, b) {
        (Type::Error, t) | (t, Type::Error) => Some(t.clone()),
        (x, y) if x == y => Some(x.clone()),
        (Type::Int, Type::Decimal) | (Type::Decimal, Type::Int) => Some(Type::Decimal),
        (Type::EmptyList, Type::List(t)) | (Type::List(t), Type::EmptyList) => Some(Type::List(t.clone())),
        (Type::List(x), Type::List(y)) => unify(x, y).map(|t| Type::List(Box::new(t))),
        _ => None,
    }
}

/// The type of `a * b`, if allowed.
pub fn mul_type(a: &Type, b: &Type) -> Option<Type> {
    match (a, b) {
        (Type::Error, _) | (_, Type::Error) => Some(Type::Error),
        (Type::Int, Type::Int) => Some(Type::Int),
        (Type::Percent, Type::Percent) => Some(Type::Percent),
        (Type::Percent, x) | (x, Type::Percent) if x.is_scalar() => Some(Type::Percent),
        (x, y) if x.is_scalar() && y.is_scalar() => Some(Type::Decimal),
        (x, y) if x.is_scalar() && y.is_numeric() => Some(y.clone()),
        (x, y) if y.is_scalar() && x.is_numeric() => Some(x.clone()),
        _ => None,
    }
}

/// A hint when a bare number appears where a unit was wanted.
fn literal_hint(found: &Type, want: &Type) -> Option<String> {
    if !matches!(found, Type::Int | Type::Decimal) {
        return None;
    }
    match want {
        Type::Money => Some("write money with its unit: `800 yuan`".into()),
        Type::Percent => Some("write percents with `%`: `70%`".into()),
        Type::Quantity(_) => Some("write quantities with their unit: `32 lesson_hour`".into()),
        Type::Duration => Some("write durations with their unit: `12 months`".into()),
        _ => None,
    }
}

/// Whether `e` is the same for every applicant on a given date: built from
/// constants and parameters only (no fact, let, external, table or `as_of`).
fn fact_free(e: &CExpr) -> bool {
    let mut ok = true;
    let mut copy = e.clone();
    crate::check::walk_mut(&mut copy, &mut |x| {
        if !matches!(
            x.kind,
            CKind::Const(_) | CKind::Param(_) | CKind::Unary(..) | CKind::Binary(..) | CKind::Call(..) | CKind::Convert(..)
        ) {
            ok = false;
        }
    });
    ok
}

/// The value of a numeric constant expression (literals, `-`, and
/// arithmetic on them), when it has one.
fn const_num(e: &CExpr) -> Option<Decimal> {
    match &e.kind {
        CKind::Const(Value::Num(d)) => Some(*d),
        CKind::Unary(UnOp::Neg, x) => const_num(x).map(|d| -d),
        CKind::Binary(op, x, y) => {
            let (a, b) = (const_num(x)?, const_num(y)?);
            match op {
                BinOp::Add => crate::value::add(a, b).ok(),
                BinOp::Sub => crate::value::sub(a, b).ok(),
                BinOp::Mul => crate::value::mul(a, b).ok(),
                BinOp::Div => crate::value::div(a, b).ok(),
                _ => None,
            }
        }
        _ => None,
    }
}
