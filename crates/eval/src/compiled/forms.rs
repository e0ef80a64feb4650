//! The compound forms of the expression compiler (`expr/`): tiers,
//! `scale`, quantifiers and aggregates over lists, `in` a list, and the
//! built-in functions, each as the interpreter computes it.

use super::expr::{class, get, holds, n, Class, Cx, Lst, Ordered, Scalar, N, X};
use super::Env;
use chrono::{Datelike, NaiveDate};
use policy_core::ast::{AggKind, BinOp, QuantKind};
use policy_core::checked::{Builtin, CExpr, CTierTest};
use policy_core::value as v;
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// Bound of the integers `scale` computes with (products fit in `i64`,
/// sums of any number of bands in `i128`).
const SMALL: u128 = 1 << 31;

/// A compiled tier test.
enum Test<S> {
    Cmp(BinOp, N<S>),
    Range(N<S>, N<S>),
}

impl Cx<'_> {
    pub(super) fn tiers<S: Ordered, T: Scalar>(
        &mut self,
        subject: &CExpr,
        tiers: &[policy_core::checked::CTier],
        otherwise: Option<&CExpr>,
    ) -> Result<X, String> {
        let subject = self.typed::<S>(subject)?;
        let tiers = tiers
            .iter()
            .map(|t| {
                let test = match &t.test {
                    CTierTest::Cmp(op, b) => Test::Cmp(*op, self.typed::<S>(b)?),
                    CTierTest::Range(lo, hi) => Test::Range(self.typed::<S>(lo)?, self.typed::<S>(hi)?),
                };
                Ok((test, self.typed::<T>(&t.value)?))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let otherwise = otherwise.map(|o| self.typed::<T>(o)).transpose()?;
        Ok(T::wrap(n(move |env: &mut Env<'_>| {
            let s = get(&subject, env)?;
            for (test, value) in &tiers {
                let hit = match test {
                    Test::Cmp(op, b) => holds(*op, S::ord(&s, &get(b, env)?)),
                    Test::Range(lo, hi) => {
                        let (l, h) = (get(lo, env)?, get(hi, env)?);
                        S::ord(&s, &l).is_ge() && S::ord(&s, &h).is_lt()
                    }
                };
                if hit {
                    return get(value, env);
                }
            }
            // No tier and no `else`: the interpreter's "no tier" stop.
            get(otherwise.as_ref()?, env)
        })))
    }

    /// `scale`: as `policy_core::value::scale`, without its slices.
    pub(super) fn scale(&mut self, subject: &CExpr, bands: &[(CExpr, CExpr)], rest: Option<&CExpr>) -> Result<X, String> {
        let subject = self.typed::<Decimal>(subject)?;
        let bands =
            bands.iter().map(|(w, r)| Ok((self.typed::<Decimal>(w)?, self.typed::<Decimal>(r)?))).collect::<Result<Vec<_>, String>>()?;
        let rest = rest.map(|r| self.typed::<Decimal>(r)).transpose()?;
        // Whole constant widths and rates (rates not negative, all below
        // 2^31): a whole subject is spread in integers, which give the same
        // digits and scale (0) as the `Decimal` operations, without them.
        let small = |d: &Decimal| {
            let m = d.mantissa();
            if d.scale() == 0 && m.unsigned_abs() <= SMALL {
                i64::try_from(m).ok()
            } else {
                None
            }
        };
        let int_bands: Option<Vec<(i64, i64)>> = bands
            .iter()
            .map(|(w, r)| match (w.k.as_ref().and_then(small), r.k.as_ref().and_then(small)) {
                (Some(w), Some(r)) if r >= 0 => Some((w, r)),
                _ => None,
            })
            .collect();
        let int_rest: Option<Option<i64>> = match &rest {
            None => Some(None),
            Some(r) => r.k.as_ref().and_then(small).filter(|r| *r >= 0).map(Some),
        };
        let ints = int_bands.zip(int_rest);
        Ok(X::Num(n(move |env| {
            let s = get(&subject, env)?;
            if let (Some((bands, rest)), Some(subject)) = (&ints, small(&s)) {
                let mut remaining = subject.max(0);
                let mut total: i128 = 0;
                for &(w, r) in bands {
                    let q = remaining.min(w.max(0));
                    total += i128::from(q) * i128::from(r);
                    remaining -= q;
                }
                if let Some(r) = rest {
                    total += i128::from(remaining) * i128::from(*r);
                }
                if let Ok(d) = Decimal::try_from_i128_with_scale(total, 0) {
                    return Some(d);
                }
            }
            let mut remaining = s.max(Decimal::ZERO);
            let mut total = Decimal::ZERO;
            for (w, r) in &bands {
                let (width, rate) = (get(w, env)?, get(r, env)?);
                let quantity = remaining.min(width.max(Decimal::ZERO));
                let earned = v::mul(quantity, rate).ok()?;
                total = v::add(total, earned).ok()?;
                remaining = v::sub(remaining, quantity).ok()?;
            }
            if let Some(r) = &rest {
                let earned = v::mul(remaining, get(r, env)?).ok()?;
                total = v::add(total, earned).ok()?;
            }
            Some(total)
        })))
    }

    pub(super) fn quant(&mut self, kind: QuantKind, list: &CExpr, filter: Option<&CExpr>) -> Result<X, String> {
        let list = self.typed::<Lst>(list)?;
        let filter = filter.map(|f| self.typed::<bool>(f)).transpose()?;
        let each = move |env: &mut Env<'_>, stop_on: Option<bool>| -> Option<(u64, bool)> {
            let l = get(&list, env)?;
            let base = env.s.locals.len();
            let mut count = 0u64;
            // An element whose filter stops does not hide a later decisive
            // one (`any`, `all`), as the interpreter's pending stop.
            let mut pending = false;
            for item in l.0.iter() {
                env.s.locals.push(item.clone());
                let hit = match &filter {
                    None => Some(true),
                    Some(f) => get(f, env),
                };
                env.s.locals.truncate(base);
                let Some(hit) = hit else {
                    pending = true;
                    continue;
                };
                count += u64::from(hit);
                if Some(hit) == stop_on {
                    return Some((count, true));
                }
            }
            (!pending).then_some((count, false))
        };
        Ok(match kind {
            QuantKind::Count => X::Num(n(move |env| each(env, None).map(|(c, _)| Decimal::from(c)))),
            QuantKind::Any => X::Bool(n(move |env| each(env, Some(true)).map(|(_, found)| found))),
            QuantKind::All => X::Bool(n(move |env| each(env, Some(false)).map(|(_, found)| !found))),
        })
    }

    /// `x in list`, for a list of any element type (compared as the
    /// interpreter compares values: numbers by value at any scale, records
    /// field by field, lists element by element).
    pub(super) fn in_list(&mut self, x: &CExpr, l: &CExpr) -> Result<X, String> {
        let x = self.expr(x)?;
        let l = self.typed::<Lst>(l)?;
        Ok(X::Bool(n(move |env| {
            let x = x.value(env)?;
            Some(get(&l, env)?.0.contains(&x))
        })))
    }

    pub(super) fn agg(&mut self, kind: AggKind, list: &CExpr, value: &CExpr, filter: Option<&CExpr>) -> Result<X, String> {
        match (class(&value.ty)?, kind) {
            (Class::Num, _) => self.agg_of::<Decimal>(kind, list, value, filter),
            (Class::Date, AggKind::Min | AggKind::Max) => self.agg_of::<NaiveDate>(kind, list, value, filter),
            _ => Err("an aggregate of neither numbers nor dates".into()),
        }
    }

    fn agg_of<S: Ordered>(&mut self, kind: AggKind, list: &CExpr, value: &CExpr, filter: Option<&CExpr>) -> Result<X, String> {
        let list = self.typed::<Lst>(list)?;
        let value = self.typed::<S>(value)?;
        let filter = filter.map(|f| self.typed::<bool>(f)).transpose()?;
        Ok(S::wrap(n(move |env: &mut Env<'_>| {
            let l = get(&list, env)?;
            let base = env.s.locals.len();
            let mut acc: Option<S> = None;
            let mut count = 0u64;
            for item in l.0.iter() {
                env.s.locals.push(item.clone());
                let x = match &filter {
                    None => get(&value, env).map(Some),
                    Some(f) => match get(f, env) {
                        Some(true) => get(&value, env).map(Some),
                        Some(false) => Some(None),
                        None => None,
                    },
                };
                env.s.locals.truncate(base);
                let Some(x) = x? else { continue };
                count += 1;
                acc = Some(match acc {
                    None => x,
                    Some(a) => match kind {
                        AggKind::Sum | AggKind::Avg => S::sum(a, x)?,
                        AggKind::Min if S::ord(&x, &a).is_lt() => x,
                        AggKind::Max if S::ord(&x, &a).is_gt() => x,
                        AggKind::Min | AggKind::Max => a,
                    },
                });
            }
            match (kind, acc) {
                (AggKind::Sum, None) => S::zero(),
                (_, None) => None,
                (AggKind::Avg, Some(total)) => S::mean(total, count),
                (_, Some(a)) => Some(a),
            }
        })))
    }

    pub(super) fn call(&mut self, f: Builtin, args: &[CExpr], c: Class) -> Result<X, String> {
        match f {
            Builtin::Min | Builtin::Max | Builtin::Clamp => match c {
                Class::Num => self.extremum::<Decimal>(f, args),
                Class::Date => self.extremum::<NaiveDate>(f, args),
                _ => Err("`min`/`max`/`clamp` of neither numbers nor dates".into()),
            },
            Builtin::Abs => {
                let x = self.typed::<Decimal>(args.first().ok_or("internal: no argument")?)?;
                Ok(X::Num(n(move |env| Some(get(&x, env)?.abs()))))
            }
            Builtin::Round(mode) => {
                let [x, places] = args else { return Err("internal: round's arguments".into()) };
                let (x, places) = (self.typed::<Decimal>(x)?, self.typed::<Decimal>(places)?);
                Ok(X::Num(n(move |env| {
                    let x = get(&x, env)?;
                    v::round(x, get(&places, env)?, mode).ok()
                })))
            }
            Builtin::Year | Builtin::Month | Builtin::Day => {
                let d = self.typed::<NaiveDate>(args.first().ok_or("internal: no argument")?)?;
                Ok(X::Num(n(move |env| {
                    let d = get(&d, env)?;
                    Some(match f {
                        Builtin::Year => Decimal::from(d.year()),
                        Builtin::Month => Decimal::from(d.month()),
                        _ => Decimal::from(d.day()),
                    })
                })))
            }
            Builtin::Age | Builtin::DaysBetween => {
                let [a, b] = args else { return Err("internal: two dates expected".into()) };
                let (a, b) = (self.typed::<NaiveDate>(a)?, self.typed::<NaiveDate>(b)?);
                Ok(X::Num(n(move |env| {
                    let (a, b) = (get(&a, env)?, get(&b, env)?);
                    match f {
                        Builtin::Age => v::age(a, b).ok().map(Decimal::from),
                        _ => Some(Decimal::from(v::days_between(a, b))),
                    }
                })))
            }
        }
    }

    /// `min`, `max` and `clamp`, as the interpreter's `builtin`.
    fn extremum<S: Ordered>(&mut self, f: Builtin, args: &[CExpr]) -> Result<X, String> {
        let mut args = args.iter().map(|a| self.typed::<S>(a)).collect::<Result<Vec<_>, String>>()?;
        if let Some(x) = S::extremum_with_constant(f, &mut args) {
            return Ok(x);
        }
        Ok(S::wrap(n(move |env: &mut Env<'_>| {
            let (first, rest) = args.split_first()?;
            let mut best = get(first, env)?;
            match f {
                Builtin::Clamp => {
                    let [lo, hi] = rest else { return None };
                    let (lo, hi) = (get(lo, env)?, get(hi, env)?);
                    let x = if S::ord(&best, &lo).is_lt() { lo } else { best };
                    Some(if S::ord(&x, &hi).is_gt() { hi } else { x })
                }
                _ => {
                    let want = if f == Builtin::Min { Ordering::Less } else { Ordering::Greater };
                    for a in rest {
                        let x = get(a, env)?;
                        if S::ord(&x, &best) == want {
                            best = x;
                        }
                    }
                    Some(best)
                }
            }
        })))
    }
}
