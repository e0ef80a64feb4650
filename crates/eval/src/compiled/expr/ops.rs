//! The operators and branches of the expression compiler: three-valued
//! `and` and `or`, comparisons (against a constant as integers, [`Konst`]),
//! arithmetic on numbers and dates, `==` on any type (records and lists by
//! value, as the interpreter), `in {…}`, `if` and `match`.

use super::{class, get, holds, n, Class, Cx, Konst, Lst, Ordered, Rec, Scalar, N, X};
use crate::compiled::Env;
use chrono::NaiveDate;
use policy_core::ast::BinOp;
use policy_core::checked::{CExpr, Type};
use policy_core::value::{self as v, Duration, Value};
use rust_decimal::Decimal;
use std::sync::Arc;

/// `x op c` for a constant `c` (see [`Konst`]).
fn against_constant(op: BinOp, x: N<Decimal>, c: Decimal) -> N<bool> {
    let k = Konst::new(c);
    n(move |env| Some(holds(op, k.cmp(&get(&x, env)?))))
}

impl Cx<'_> {
    pub(super) fn binary(&mut self, op: BinOp, a: &CExpr, b: &CExpr) -> Result<X, String> {
        match op {
            BinOp::And | BinOp::Or => {
                let decisive = op == BinOp::Or;
                let (x, y) = (self.typed::<bool>(a)?, self.typed::<bool>(b)?);
                // Three-valued, as the interpreter: `false and ?` is false,
                // `? and false` too; otherwise unknown when either is.
                Ok(X::Bool(n(move |env| {
                    let x = get(&x, env);
                    if x == Some(decisive) {
                        return Some(decisive);
                    }
                    match (x, get(&y, env)) {
                        (Some(_), y) => y,
                        (None, Some(y)) if y == decisive => Some(decisive),
                        (None, _) => None,
                    }
                })))
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => match class(&a.ty)? {
                Class::Num => self.compare::<Decimal>(op, a, b),
                Class::Date => self.compare::<NaiveDate>(op, a, b),
                // Records and lists as the interpreter's `==` on values:
                // field by field, element by element, numbers by value at
                // any scale (`Decimal`'s equality); both evaluated first.
                c @ (Class::Bool | Class::Enum | Class::Text | Class::Dur | Class::Rec | Class::List)
                    if matches!(op, BinOp::Eq | BinOp::Ne) =>
                {
                    let ne = op == BinOp::Ne;
                    by_class!(c, T => {
                        let (x, y) = (self.typed::<T>(a)?, self.typed::<T>(b)?);
                        Ok(X::Bool(n(move |env: &mut Env<'_>| Some(T::same(&get(&x, env)?, &get(&y, env)?) != ne))))
                    })
                }
                _ => Err(format!("`{}` on these types", op.symbol())),
            },
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => match (class(&a.ty)?, class(&b.ty)?) {
                (Class::Num, Class::Num) => {
                    let (x, y) = (self.typed::<Decimal>(a)?, self.typed::<Decimal>(b)?);
                    let f: fn(Decimal, Decimal) -> v::ValueResult<Decimal> = match op {
                        BinOp::Add => v::add,
                        BinOp::Sub => v::sub,
                        BinOp::Mul => v::mul,
                        _ => v::div,
                    };
                    Ok(X::Num(n(move |env| f(get(&x, env)?, get(&y, env)?).ok())))
                }
                (Class::Date, Class::Dur) if matches!(op, BinOp::Add | BinOp::Sub) => {
                    let (d, du) = (self.typed::<NaiveDate>(a)?, self.typed::<Duration>(b)?);
                    let negate = op == BinOp::Sub;
                    Ok(X::Date(n(move |env| v::date_add(get(&d, env)?, get(&du, env)?, negate).ok())))
                }
                (Class::Dur, Class::Date) if op == BinOp::Add => {
                    let (du, d) = (self.typed::<Duration>(a)?, self.typed::<NaiveDate>(b)?);
                    Ok(X::Date(n(move |env| {
                        let du = get(&du, env)?;
                        v::date_add(get(&d, env)?, du, false).ok()
                    })))
                }
                _ => Err(format!("`{}` on these types", op.symbol())),
            },
            BinOp::In => Err("`in` as an operator".into()),
        }
    }

    pub(super) fn compare<S: Ordered>(&mut self, op: BinOp, a: &CExpr, b: &CExpr) -> Result<X, String> {
        if class(&a.ty)? == Class::Num {
            let (x, y) = (self.typed::<Decimal>(a)?, self.typed::<Decimal>(b)?);
            if let Some(c) = y.k {
                return Ok(X::Bool(against_constant(op, x, c)));
            }
            return Ok(X::Bool(n(move |env| Some(holds(op, v::cmp_num(&get(&x, env)?, &get(&y, env)?))))));
        }
        let (x, y) = (self.typed::<S>(a)?, self.typed::<S>(b)?);
        if let Some(c) = y.k.clone() {
            let x = x.f;
            return Ok(X::Bool(n(move |env| Some(holds(op, S::ord(&x(env)?, &c))))));
        }
        Ok(X::Bool(n(move |env| Some(holds(op, S::ord(&get(&x, env)?, &get(&y, env)?))))))
    }

    pub(super) fn in_set<T: Scalar>(&mut self, x: &CExpr, items: &[CExpr]) -> Result<X, String> {
        let x = self.typed::<T>(x)?;
        let items = items.iter().map(|e| self.typed::<T>(e)).collect::<Result<Vec<_>, String>>()?;
        let consts: Option<Vec<T>> = items.iter().map(|i| i.k.clone()).collect();
        match consts {
            Some(set) => {
                // Enum variants below 64: one bit each.
                let bits: Option<u64> = set.iter().try_fold(0u64, |m, v| match v.clone().value() {
                    Value::Enum(i) if i < 64 => Some(m | 1u64 << i),
                    _ => None,
                });
                match bits {
                    Some(mask) if !set.is_empty() => Ok(X::Bool(n(move |env| {
                        let v = get(&x, env)?.value();
                        match v {
                            Value::Enum(i) => Some(i < 64 && mask >> i & 1 == 1),
                            _ => None,
                        }
                    }))),
                    _ => Ok(X::Bool(n(move |env| {
                        let v = get(&x, env)?;
                        Some(set.iter().any(|s| T::same(s, &v)))
                    }))),
                }
            }
            // An item that stops does not hide a later one that matches
            // (as the interpreter's pending stop).
            None => Ok(X::Bool(n(move |env| {
                let v = get(&x, env)?;
                let mut pending = false;
                for it in &items {
                    match get(it, env) {
                        Some(y) if T::same(&y, &v) => return Some(true),
                        Some(_) => {}
                        None => pending = true,
                    }
                }
                (!pending).then_some(false)
            }))),
        }
    }

    pub(super) fn if_else<T: Scalar>(&mut self, arms: &[(CExpr, CExpr)], otherwise: &CExpr) -> Result<X, String> {
        let arms = arms.iter().map(|(c, v)| Ok((self.typed::<bool>(c)?, self.typed::<T>(v)?))).collect::<Result<Vec<_>, String>>()?;
        let otherwise = self.typed::<T>(otherwise)?;
        Ok(T::wrap(n(move |env: &mut Env<'_>| {
            for (c, v) in &arms {
                if get(c, env)? {
                    return get(v, env);
                }
            }
            get(&otherwise, env)
        })))
    }

    pub(super) fn matching<T: Scalar>(&mut self, s: &CExpr, arms: &[(Option<Vec<u32>>, CExpr)]) -> Result<X, String> {
        let Type::Enum(e) = &s.ty else { return Err("internal: match on a non-enum".into()) };
        let variants = self.p.enums.get(e.index()).map_or(0, |e| e.variants.len());
        let table: Vec<Option<usize>> = (0..variants)
            .map(|v| {
                let v = u32::try_from(v).ok()?;
                arms.iter().position(|(pats, _)| pats.as_ref().is_none_or(|ps| ps.contains(&v)))
            })
            .collect();
        let s = self.typed::<u32>(s)?;
        let arms = arms.iter().map(|(_, v)| self.typed::<T>(v)).collect::<Result<Vec<_>, String>>()?;
        Ok(T::wrap(n(move |env: &mut Env<'_>| {
            let i = get(&s, env)?;
            let arm = (*table.get(i as usize)?)?;
            get(arms.get(arm)?, env)
        })))
    }
}
