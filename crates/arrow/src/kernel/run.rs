//! Running compiled benefits over a record batch: the fact columns bound
//! once per batch (enums mapped to variant indexes through the dictionary,
//! every cell the row path would refuse marked), then each benefit's stages
//! in the interpreter's order (date, in force, scope, conditions, amount,
//! outcomes), each over whole columns. A row is flagged (left to the row
//! interpreter) when a stage it reaches reads a null or cannot compute its
//! value exactly.

use super::compile::{kind, Compiled, Kind, Node, Scalar, Step, Test};
use super::kernels::{add, div, holds, mul, select, Arr, Col, NumCol, MAX_SCALE};
use crate::schema::DECIMAL_SCALE;
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Decimal128Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt8Type};
use arrow_array::{Array, RecordBatch};
use arrow_buffer::NullBuffer;
use arrow_schema::DataType;
use policy_core::ast::BinOp;
use policy_core::checked::{CheckedPolicy, Type};
use rust_decimal::Decimal;
use std::borrow::Cow;

/// Decimal cells the kernels take: fewer than 27 digits, so that rust_decimal
/// and the facts reader hold them as they are.
const MAX_CELL: i128 = 1_000_000_000_000_000_000_000_000_000 / 1000;

/// The fact columns of a batch as the kernels read them (Decimal128 and
/// Date32 values borrowed from the batch).
pub struct Bound<'b> {
    /// Rows.
    pub n: usize,
    /// Per input (policy order): its column, when the batch has it in a
    /// form the kernels read.
    pub cols: Vec<Option<Col<'b>>>,
    /// Per input: its nulls.
    pub nulls: Vec<Option<NullBuffer>>,
    /// Rows the kernels must not decide whatever they read: a cell the
    /// row path would refuse, or one the kernels cannot check.
    pub refused: Vec<bool>,
}

/// Binds the fact columns of `batch` (already checked against the policy).
pub fn bind<'b>(p: &CheckedPolicy, batch: &'b RecordBatch, keep: &[String]) -> Bound<'b> {
    let n = batch.num_rows();
    let mut b = Bound { n, cols: vec![None; p.inputs.len()], nulls: vec![None; p.inputs.len()], refused: vec![false; n] };
    for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
        if keep.iter().any(|k| k == field.name()) {
            continue;
        }
        let nulls = array.logical_nulls();
        let valid = |i: usize| nulls.as_ref().is_none_or(|x| x.is_valid(i));
        let input = p.inputs.iter().position(|d| d.name == *field.name());
        let col = input.and_then(|i| p.inputs.get(i).map(|d| (i, d))).and_then(|(i, d)| {
            let bounds = d.bounds.as_ref().map(|b| (b.low, b.high));
            read(p, array.as_ref(), &d.ty, bounds, &mut b.refused, &valid).map(|c| (i, c))
        });
        match col {
            Some((i, c)) => {
                if let Some(slot) = b.cols.get_mut(i) {
                    *slot = Some(c);
                }
                if let Some(slot) = b.nulls.get_mut(i) {
                    *slot = nulls;
                }
            }
            // A column the kernels do not read: its cells are checked by the
            // row path only, so a row with a value there goes to it.
            None => {
                for (i, r) in b.refused.iter_mut().enumerate() {
                    if valid(i) {
                        *r = true;
                    }
                }
            }
        }
    }
    b
}

type Bounds = (Option<Decimal>, Option<Decimal>);

fn read<'b>(
    p: &CheckedPolicy,
    a: &'b dyn Array,
    ty: &Type,
    bounds: Option<Bounds>,
    refused: &mut [bool],
    valid: &dyn Fn(usize) -> bool,
) -> Option<Col<'b>> {
    let n = a.len();
    let col = match (kind(ty)?, a.data_type()) {
        (Kind::Bool, DataType::Boolean) => Col::Bool(Arr::Many(Cow::Owned(a.as_boolean().values().iter().collect()))),
        (Kind::Date, DataType::Date32) => {
            let v = a.as_primitive::<Date32Type>().values();
            // 0001-01-01 ..= 9999-12-31, the dates facts are written in.
            for (i, d) in v.iter().enumerate() {
                if valid(i) && !(-719_162..=2_932_896).contains(d) {
                    if let Some(r) = refused.get_mut(i) {
                        *r = true;
                    }
                }
            }
            Col::Date(Arr::Many(Cow::Borrowed(v)))
        }
        (Kind::Num, dt) => {
            let (m, s): (Cow<'b, [i128]>, u8) = match dt {
                DataType::Decimal128(_, s) if (0..=MAX_SCALE as i8).contains(s) && *ty != Type::Int => {
                    (Cow::Borrowed(&a.as_primitive::<Decimal128Type>().values()[..]), u8::try_from(*s).ok()?)
                }
                DataType::Int64 => (a.as_primitive::<Int64Type>().values().iter().map(|x| i128::from(*x)).collect(), 0),
                DataType::Int32 => (a.as_primitive::<Int32Type>().values().iter().map(|x| i128::from(*x)).collect(), 0),
                DataType::Int16 => (a.as_primitive::<Int16Type>().values().iter().map(|x| i128::from(*x)).collect(), 0),
                DataType::Int8 => (a.as_primitive::<Int8Type>().values().iter().map(|x| i128::from(*x)).collect(), 0),
                DataType::UInt32 => (a.as_primitive::<UInt32Type>().values().iter().map(|x| i128::from(*x)).collect(), 0),
                DataType::UInt16 => (a.as_primitive::<UInt16Type>().values().iter().map(|x| i128::from(*x)).collect(), 0),
                DataType::UInt8 => (a.as_primitive::<UInt8Type>().values().iter().map(|x| i128::from(*x)).collect(), 0),
                _ => return None,
            };
            // A bare number of 1 or more for a percent is read, with a
            // warning; an integer column for one is left to the row path.
            if *ty == Type::Percent && s == 0 {
                return None;
            }
            // The bounds as whole numbers of the column's unit, exactly: a
            // cell is in bounds when lo <= x <= hi.
            let at_scale = |b: Decimal, up: bool| -> Option<i128> {
                let (mb, sb) = super::kernels::parts(b);
                if sb <= s {
                    return mb.checked_mul(super::kernels::pow10(u32::from(s - sb))?);
                }
                let f = super::kernels::pow10(u32::from(sb - s))?;
                Some(if up { -((-mb).div_euclid(f)) } else { mb.div_euclid(f) })
            };
            let lo = match bounds.and_then(|b| b.0) {
                Some(l) => at_scale(l, true)?,
                None => i128::MIN,
            };
            let hi = match bounds.and_then(|b| b.1) {
                Some(h) => at_scale(h, false)?,
                None => i128::MAX,
            };
            for ((x, r), i) in m.iter().zip(refused.iter_mut()).zip(0..) {
                if (x.unsigned_abs() >= MAX_CELL.unsigned_abs() || *x < lo || *x > hi) && valid(i) {
                    *r = true;
                }
            }
            Col::Num(NumCol { m: Arr::Many(m), s: Arr::One(s), den: None })
        }
        (Kind::Enum, _) => {
            let Type::Enum(e) = ty else { return None };
            let variants = &p.enums.get(e.index())?.variants;
            let index = |s: &str| variants.iter().position(|v| v.0 == s).and_then(|i| u32::try_from(i).ok()).unwrap_or(u32::MAX);
            let idx: Vec<u32> = if let Some(d) = a.as_any_dictionary_opt() {
                let values = d.values();
                let values = values.as_string_opt::<i32>()?;
                let map: Vec<u32> = (0..values.len()).map(|i| index(values.value(i))).collect();
                match a.as_dictionary_opt::<Int32Type>() {
                    // The canonical key type: read the keys in place.
                    Some(k) => k
                        .keys()
                        .values()
                        .iter()
                        .map(|k| usize::try_from(*k).ok().and_then(|k| map.get(k)).copied().unwrap_or(u32::MAX))
                        .collect(),
                    None => d.normalized_keys().iter().map(|k| map.get(*k).copied().unwrap_or(u32::MAX)).collect(),
                }
            } else {
                let s = a.as_string_opt::<i32>()?;
                (0..n).map(|i| if s.is_valid(i) { index(s.value(i)) } else { 0 }).collect()
            };
            for (i, x) in idx.iter().enumerate() {
                if valid(i) && *x == u32::MAX {
                    if let Some(r) = refused.get_mut(i) {
                        *r = true;
                    }
                }
            }
            Col::Enum(Arr::Many(Cow::Owned(idx)))
        }
        _ => return None,
    };
    Some(col)
}

/// A let's column over the batch and the rows it could not compute.
pub type LetCol = Option<(Col<'static>, Vec<bool>)>;

/// What evaluation reads besides the facts.
pub struct Ctx<'a> {
    /// The facts.
    pub bound: &'a Bound<'a>,
    /// The lets evaluated so far, by id.
    pub lets: &'a [LetCol],
    /// The benefit's date per row.
    pub date: Arr<'a, i32>,
    /// The amount so far.
    pub amount: Option<NumCol<'a>>,
}

fn view<'b, T: Clone>(a: &'b Arr<'_, T>) -> Arr<'b, T>
where
    [T]: ToOwned<Owned = Vec<T>>,
{
    match a {
        Arr::One(x) => Arr::One(x.clone()),
        Arr::Many(v) => Arr::Many(Cow::Borrowed(v.as_ref())),
    }
}

fn view_col<'b>(c: &'b Col<'_>) -> Col<'b> {
    match c {
        Col::Bool(a) => Col::Bool(view(a)),
        Col::Date(a) => Col::Date(view(a)),
        Col::Enum(a) => Col::Enum(view(a)),
        Col::Num(x) => Col::Num(NumCol { m: view(&x.m), s: view(&x.s), den: x.den }),
    }
}

fn all_bad(bad: &mut [bool]) -> Col<'static> {
    bad.iter_mut().for_each(|b| *b = true);
    Col::Bool(Arr::One(false))
}

fn num<'a>(c: Col<'a>, bad: &mut [bool]) -> NumCol<'a> {
    match c {
        Col::Num(x) => x.settle(bad),
        _ => {
            all_bad(bad);
            NumCol::one((0, 0))
        }
    }
}

fn bools<'a>(c: Col<'a>, bad: &mut [bool]) -> Arr<'a, bool> {
    match c {
        Col::Bool(x) => x,
        _ => {
            all_bad(bad);
            Arr::One(false)
        }
    }
}

/// Settles a numeric column's pending division (selects need plain values).
fn plain<'a>(c: Col<'a>, bad: &mut [bool]) -> Col<'a> {
    match c {
        Col::Num(x) if x.den.is_some() => Col::Num(x.settle(bad)),
        other => other,
    }
}

/// The first of `arms` whose condition holds, row by row; `otherwise`
/// where none does (a row without either is flagged). One pass, one
/// column out.
fn first<'a>(arms: Vec<(Arr<'a, bool>, Col<'a>)>, otherwise: Option<Col<'a>>, bad: &mut [bool]) -> Col<'a> {
    let n = bad.len();
    let mut vals: Vec<Col<'a>> = Vec::with_capacity(arms.len() + 1);
    let mut conds = Vec::with_capacity(arms.len());
    for (c, v) in arms {
        conds.push(c);
        vals.push(plain(v, bad));
    }
    let has_else = otherwise.is_some();
    if let Some(o) = otherwise {
        vals.push(plain(o, bad));
    }
    // Which value each row takes.
    let mut pick: Vec<u16> = Vec::with_capacity(n);
    for (i, flag) in bad.iter_mut().enumerate() {
        let k = conds.iter().position(|c| c.get(i)).unwrap_or(conds.len());
        if k == conds.len() && !has_else {
            *flag = true;
        }
        pick.push(u16::try_from(k.min(vals.len().saturating_sub(1))).unwrap_or(0));
    }
    fn gather<T: Copy + Default>(xs: &[&Arr<'_, T>], pick: &[u16]) -> Arr<'static, T> {
        Arr::Many(Cow::Owned(pick.iter().enumerate().map(|(i, k)| xs.get(usize::from(*k)).map_or(T::default(), |a| a.get(i))).collect()))
    }
    if vals.is_empty() || vals.len() > usize::from(u16::MAX) {
        return all_bad(bad);
    }
    match vals.first() {
        Some(Col::Num(_)) => {
            let mut ms = Vec::new();
            let mut ss = Vec::new();
            for v in &vals {
                let Col::Num(x) = v else { return all_bad(bad) };
                ms.push(&x.m);
                ss.push(&x.s);
            }
            let s = match ss.first() {
                Some(Arr::One(s0)) if ss.iter().all(|x| matches!(x, Arr::One(s) if s == s0)) => Arr::One(*s0),
                _ => gather(&ss, &pick),
            };
            Col::Num(NumCol { m: gather(&ms, &pick), s, den: None })
        }
        Some(Col::Bool(_)) => {
            let xs: Option<Vec<_>> = vals.iter().map(|v| if let Col::Bool(a) = v { Some(a) } else { None }).collect();
            xs.map_or_else(|| all_bad(bad), |xs| Col::Bool(gather(&xs, &pick)))
        }
        Some(Col::Date(_)) => {
            let xs: Option<Vec<_>> = vals.iter().map(|v| if let Col::Date(a) = v { Some(a) } else { None }).collect();
            xs.map_or_else(|| all_bad(bad), |xs| Col::Date(gather(&xs, &pick)))
        }
        Some(Col::Enum(_)) => {
            let xs: Option<Vec<_>> = vals.iter().map(|v| if let Col::Enum(a) = v { Some(a) } else { None }).collect();
            xs.map_or_else(|| all_bad(bad), |xs| Col::Enum(gather(&xs, &pick)))
        }
        None => all_bad(bad),
    }
}

/// Evaluates `node` over every row; rows it cannot compute exactly are
/// marked in `bad`.
pub fn eval<'a>(ctx: &'a Ctx<'a>, node: &Node, bad: &mut [bool]) -> Col<'a> {
    let n = bad.len();
    match node {
        Node::Const(c) => match *c {
            Scalar::Bool(b) => Col::Bool(Arr::One(b)),
            Scalar::Num(m, s) => Col::Num(NumCol::one((m, s))),
            Scalar::Date(d) => Col::Date(Arr::One(d)),
            Scalar::Enum(e) => Col::Enum(Arr::One(e)),
        },
        Node::Input(i) => {
            let Some(Some(c)) = ctx.bound.cols.get(*i) else { return all_bad(bad) };
            if let Some(Some(nulls)) = ctx.bound.nulls.get(*i) {
                for (flag, valid) in bad.iter_mut().zip(nulls.iter()) {
                    *flag |= !valid;
                }
            }
            view_col(c)
        }
        Node::InputOr(i, default) => {
            let Some(Some(c)) = ctx.bound.cols.get(*i) else { return eval(ctx, &Node::Const(*default), bad) };
            let Some(Some(nulls)) = ctx.bound.nulls.get(*i) else { return view_col(c) };
            with_default(c, nulls, *default).unwrap_or_else(|| all_bad(bad))
        }
        Node::Let(i) => {
            let Some(Some((c, flags))) = ctx.lets.get(*i) else { return all_bad(bad) };
            for (b, f) in bad.iter_mut().zip(flags) {
                *b |= *f;
            }
            view_col(c)
        }
        Node::AsOf => Col::Date(view(&ctx.date)),
        Node::Amount => match &ctx.amount {
            Some(a) => Col::Num(NumCol { m: view(&a.m), s: view(&a.s), den: a.den }),
            None => all_bad(bad),
        },
        Node::Param(versions) => {
            let mut arms = Vec::new();
            // The last version holding the date wins: tried first.
            for (from, until, v) in versions.iter().rev() {
                let (from, until) = (*from, *until);
                let c = ctx.date.map(n, |d| d >= from && until.is_none_or(|u| d <= u));
                arms.push((c, eval(ctx, v, bad)));
            }
            first(arms, None, bad)
        }
        Node::Convert(x, from, to) => {
            let x = num(eval(ctx, x, bad), bad);
            let mut r = x.mul_const(super::kernels::parts(*to), bad);
            r.den = Some(*from);
            Col::Num(r)
        }
        Node::Not(x) => Col::Bool(bools(eval(ctx, x, bad), bad).map(n, |b| !b)),
        Node::Neg(x) => {
            let x = num(eval(ctx, x, bad), bad);
            Col::Num(NumCol::one((0, 0)).zip(&x, bad, |z, v| super::kernels::sub((z.0, 0), v)))
        }
        Node::Bin(op, a, b) => {
            let x = eval(ctx, a, bad);
            let y = eval(ctx, b, bad);
            binary(*op, x, y, bad)
        }
        Node::InSet(x, set) => match eval(ctx, x, bad) {
            Col::Enum(a) => Col::Bool(a.map(n, |v| set.contains(&Scalar::Enum(v)))),
            Col::Bool(a) => Col::Bool(a.map(n, |v| set.contains(&Scalar::Bool(v)))),
            Col::Date(a) => Col::Bool(a.map(n, |v| set.contains(&Scalar::Date(v)))),
            Col::Num(_) => all_bad(bad),
        },
        Node::If(branches, otherwise) => {
            let mut arms = Vec::new();
            for (c, v) in branches {
                let c = bools(eval(ctx, c, bad), bad);
                arms.push((c, eval(ctx, v, bad)));
            }
            let o = eval(ctx, otherwise, bad);
            first(arms, Some(o), bad)
        }
        Node::Match(s, arms) => {
            let Col::Enum(s) = eval(ctx, s, bad) else { return all_bad(bad) };
            let mut out = Vec::new();
            for (pats, v) in arms {
                let c = s.map(n, |x| pats.as_ref().is_none_or(|ps| ps.contains(&x)));
                out.push((c, eval(ctx, v, bad)));
            }
            first(out, None, bad)
        }
        Node::Tiers(subject, tiers, otherwise) => {
            let s = eval(ctx, subject, bad);
            if let Some(col) = ladder(&s, tiers, otherwise.as_deref(), bad) {
                return col;
            }
            let mut arms = Vec::new();
            for (t, v) in tiers {
                let c = match t {
                    Test::Cmp(op, bound) => {
                        let b = eval(ctx, bound, bad);
                        bools(binary(*op, view_col(&s), b, bad), bad)
                    }
                    Test::Range(lo, hi) => {
                        let l = eval(ctx, lo, bad);
                        let h = eval(ctx, hi, bad);
                        let ge = binary(BinOp::Ge, view_col(&s), l, bad);
                        let lt = binary(BinOp::Lt, view_col(&s), h, bad);
                        bools(binary(BinOp::And, ge, lt, bad), bad)
                    }
                };
                arms.push((c, eval(ctx, v, bad)));
            }
            let o = otherwise.as_ref().map(|o| eval(ctx, o, bad));
            first(arms, o, bad)
        }
        Node::MinMax(greatest, xs) => {
            let mut it = xs.iter();
            let Some(x0) = it.next() else { return all_bad(bad) };
            let mut best = num(eval(ctx, x0, bad), bad);
            let op = if *greatest { BinOp::Gt } else { BinOp::Lt };
            for x in it {
                let x = num(eval(ctx, x, bad), bad);
                let better = x.compare(op, &best, bad);
                best = match select(&better, Col::Num(x), Col::Num(best), n) {
                    Some(Col::Num(b)) => b,
                    _ => return all_bad(bad),
                };
            }
            Col::Num(best)
        }
    }
}

/// Tiers of constant bounds and constant amounts over a numeric column of a
/// fixed scale, in one pass: each row's subject is compared with the
/// bounds in order (exactly as [`NumCol::compare`] would) until one holds;
/// a row whose comparison has no exact answer, or that meets no tier and
/// has no `else`, is flagged. `None`: not such tiers.
fn ladder(s: &Col<'_>, tiers: &[(Test, Node)], otherwise: Option<&Node>, bad: &mut [bool]) -> Option<Col<'static>> {
    let Col::Num(x) = s else { return None };
    let (Arr::One(sa), Arr::Many(xs)) = (&x.s, &x.m) else { return None };
    let (den, dd) = match x.den {
        None => (1, None),
        Some(d) => {
            let (d, dd) = super::kernels::ratio(Some(d))?;
            (d, Some(dd))
        }
    };
    let num = |n: &Node| match n {
        Node::Const(Scalar::Num(m, s)) => Some((*m, *s)),
        _ => None,
    };
    let mut tests = Vec::with_capacity(tiers.len());
    let mut values = Vec::with_capacity(tiers.len() + 1);
    for (t, v) in tiers {
        let Test::Cmp(op, b) = t else { return None };
        tests.push(super::kernels::prepare(*op, *sa, den, dd, num(b)?)?);
        values.push(num(v)?);
    }
    let has_else = otherwise.is_some();
    if let Some(o) = otherwise {
        values.push(num(o)?);
    }
    let last = values.len().checked_sub(1)?;
    let mut m = Vec::with_capacity(xs.len());
    let mut pick = Vec::with_capacity(xs.len());
    for (x, flag) in xs.iter().zip(bad.iter_mut()) {
        let mut k = tests.len();
        for (i, (op, fa, y, limit)) in tests.iter().enumerate() {
            let v = if x.unsigned_abs() < *limit { x.checked_mul(*fa) } else { None };
            match v {
                Some(v) if holds(*op, v.cmp(y)) => {
                    k = i;
                    break;
                }
                Some(_) => {}
                None => {
                    *flag = true;
                    break;
                }
            }
        }
        if k == tests.len() && !has_else {
            *flag = true;
        }
        let k = k.min(last);
        m.push(values.get(k).map_or(0, |v| v.0));
        pick.push(k);
    }
    let s0 = values.first().map_or(0, |v| v.1);
    let scales = if values.iter().all(|v| v.1 == s0) {
        Arr::One(s0)
    } else {
        Arr::Many(Cow::Owned(pick.iter().map(|k| values.get(*k).map_or(0, |v| v.1)).collect()))
    };
    Some(Col::Num(NumCol { m: Arr::Many(Cow::Owned(m)), s: scales, den: None }))
}

/// A column with its null cells holding `d`.
fn with_default(c: &Col<'_>, nulls: &NullBuffer, d: Scalar) -> Option<Col<'static>> {
    fn fill<T: Copy + Default>(a: &Arr<'_, T>, nulls: &NullBuffer, d: T) -> Arr<'static, T> {
        Arr::Many(Cow::Owned(nulls.iter().enumerate().map(|(i, valid)| if valid { a.get(i) } else { d }).collect()))
    }
    Some(match (c, d) {
        (Col::Bool(a), Scalar::Bool(x)) => Col::Bool(fill(a, nulls, x)),
        (Col::Date(a), Scalar::Date(x)) => Col::Date(fill(a, nulls, x)),
        (Col::Enum(a), Scalar::Enum(x)) => Col::Enum(fill(a, nulls, x)),
        (Col::Num(a), Scalar::Num(m, s)) if a.den.is_none() => {
            let scales = match a.s {
                Arr::One(cs) if cs == s => Arr::One(s),
                _ => fill(&a.s, nulls, s),
            };
            Col::Num(NumCol { m: fill(&a.m, nulls, m), s: scales, den: None })
        }
        _ => return None,
    })
}

fn binary(op: BinOp, x: Col<'_>, y: Col<'_>, bad: &mut [bool]) -> Col<'static> {
    match (op, x, y) {
        (BinOp::And, Col::Bool(a), Col::Bool(b)) => Col::Bool(super::kernels::zip(&a, &b, bad, |p, q| Some(p && q))),
        (BinOp::Or, Col::Bool(a), Col::Bool(b)) => Col::Bool(super::kernels::zip(&a, &b, bad, |p, q| Some(p || q))),
        (BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div, Col::Num(a), Col::Num(b)) => {
            let (a, b) = (a.settle(bad), b.settle(bad));
            Col::Num(match op {
                BinOp::Add => a.zip(&b, bad, add),
                BinOp::Sub => a.zip(&b, bad, super::kernels::sub),
                BinOp::Mul => a.zip(&b, bad, mul),
                _ => a.zip(&b, bad, |p, q| div(p, super::kernels::decimal(q)?)),
            })
        }
        (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne, Col::Num(a), Col::Num(b)) => {
            Col::Bool(a.compare(op, &b, bad))
        }
        (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne, Col::Date(a), Col::Date(b)) => {
            Col::Bool(super::kernels::zip(&a, &b, bad, |p, q| Some(holds(op, p.cmp(&q)))))
        }
        (BinOp::Eq | BinOp::Ne, Col::Bool(a), Col::Bool(b)) => {
            Col::Bool(super::kernels::zip(&a, &b, bad, |p, q| Some((p == q) == (op == BinOp::Eq))))
        }
        (BinOp::Eq | BinOp::Ne, Col::Enum(a), Col::Enum(b)) => {
            Col::Bool(super::kernels::zip(&a, &b, bad, |p, q| Some((p == q) == (op == BinOp::Eq))))
        }
        _ => all_bad(bad),
    }
}

/// One benefit's decisions over a batch.
#[derive(Debug, Clone)]
pub struct BenefitRun {
    /// Status per row (index into [`crate::STATUSES`]).
    pub status: Vec<u8>,
    /// The amount per row: mantissa and scale (eligible rows with one).
    pub amount: Vec<Option<(i128, u8)>>,
    /// Failed conditions per row, as bits of the benefit's failure ids.
    pub failed: Vec<u64>,
    /// Rows the kernels could not decide exactly.
    pub bad: Vec<bool>,
}

const ELIGIBLE: u8 = 0;
const INELIGIBLE: u8 = 1;
const NOT_APPLICABLE: u8 = 2;

/// Runs benefit `c` over the bound batch. `reference` is the decision's
/// reference date (for a benefit without `dated_by`); `window` the
/// policy's in-force days.
pub fn run(c: &Compiled, bound: &Bound<'_>, reference: Option<i32>, window: (Option<i32>, Option<i32>)) -> BenefitRun {
    let n = bound.n;
    let mut out = BenefitRun { status: vec![0; n], amount: vec![None; n], failed: vec![0; n], bad: bound.refused.clone() };
    // 1. Date.
    let empty = Ctx { bound, lets: &[], date: Arr::One(0), amount: None };
    let mut bad = vec![false; n];
    let date: Arr<'static, i32> = match (&c.date, reference) {
        (Some(e), _) => match eval(&empty, e, &mut bad) {
            Col::Date(Arr::One(d)) => Arr::One(d),
            Col::Date(Arr::Many(v)) => Arr::Many(Cow::Owned(v.into_owned())),
            _ => {
                out.bad.iter_mut().for_each(|b| *b = true);
                return out;
            }
        },
        (None, Some(d)) => Arr::One(d),
        (None, None) => {
            out.bad.iter_mut().for_each(|b| *b = true);
            return out;
        }
    };
    // Rows still to decide.
    let mut live: Vec<bool> = out.bad.iter().zip(&bad).map(|(a, b)| !a && !b).collect();
    for (o, b) in out.bad.iter_mut().zip(&bad) {
        *o |= *b;
    }
    // 2. In force.
    for (i, ((l, st), f)) in live.iter_mut().zip(out.status.iter_mut()).zip(out.failed.iter_mut()).enumerate() {
        let d = date.get(i);
        if *l && (window.0.is_some_and(|f| d < f) || window.1.is_some_and(|u| d > u)) {
            *st = NOT_APPLICABLE;
            *f = 1;
            *l = false;
        }
    }
    // The lets, once each, in dependency order.
    let mut lets: Vec<LetCol> = vec![None; c.let_count];
    for (id, node) in &c.lets {
        let mut flags = vec![false; n];
        let col = {
            let ctx = Ctx { bound, lets: &lets, date: view(&date), amount: None };
            own_col(eval(&ctx, node, &mut flags))
        };
        if let Some(slot) = lets.get_mut(*id) {
            *slot = Some((col, flags));
        }
    }
    let ctx = Ctx { bound, lets: &lets, date, amount: None };
    // 3. Scope, then 4. every other condition.
    for scope in [true, false] {
        let mut bad = vec![false; n];
        let mut fails = vec![0u64; n];
        for cond in c.conds.iter().filter(|x| x.scope == scope) {
            let t = bools(eval(&ctx, &cond.test, &mut bad), &mut bad);
            let bit = 1u64 << cond.bit;
            for (i, f) in fails.iter_mut().enumerate() {
                if t.get(i) == cond.exclude {
                    *f |= bit;
                }
            }
        }
        let rows = live.iter_mut().zip(&bad).zip(&fails).zip(out.status.iter_mut()).zip(out.failed.iter_mut().zip(out.bad.iter_mut()));
        for ((((l, b), f), st), (of, ob)) in rows {
            if !*l {
                continue;
            }
            if *b {
                *ob = true;
                *l = false;
            } else if *f != 0 {
                *st = if scope { NOT_APPLICABLE } else { INELIGIBLE };
                *of = *f;
                *l = false;
            }
        }
    }
    // 5. Amount.
    let mut bad = vec![false; n];
    let amount = amount(c, &ctx, &mut bad);
    // 6. Outcomes: only their being decidable matters here.
    for o in &c.outcomes {
        let _ = bools(eval(&ctx, o, &mut bad), &mut bad);
    }
    let target = u32::from(DECIMAL_SCALE.unsigned_abs());
    let rows = live.iter().zip(&bad).zip(out.status.iter_mut()).zip(out.amount.iter_mut().zip(out.bad.iter_mut()));
    for (i, (((l, b), st), (am, ob))) in rows.enumerate() {
        if !*l {
            continue;
        }
        if *b {
            *ob = true;
            continue;
        }
        *st = ELIGIBLE;
        if let Some(a) = &amount {
            let v = a.at(i);
            // Negative amounts are errors; the output column holds ten places.
            if v.0 < 0 || !fits_column(v, target) {
                *ob = true;
            }
            *am = Some(v);
        }
    }
    out
}

/// Whether the output column (scale `target`, 38 digits) holds `v` exactly.
fn fits_column(v: (i128, u8), target: u32) -> bool {
    let s = u32::from(v.1);
    let scaled = if s > target {
        let Some(f) = super::kernels::pow10(s - target) else { return false };
        if v.0 % f != 0 {
            return false;
        }
        Some(v.0 / f)
    } else {
        super::kernels::pow10(target - s).and_then(|f| v.0.checked_mul(f))
    };
    scaled.is_some_and(|x| x.unsigned_abs() < 10u128.pow(38))
}

fn amount<'a>(c: &Compiled, ctx: &'a Ctx<'a>, bad: &mut [bool]) -> Option<NumCol<'static>> {
    let n = bad.len();
    let mut amount: Option<NumCol<'static>> = None;
    let own = |x: NumCol<'_>| NumCol { m: own_arr(x.m), s: own_arr(x.s), den: x.den };
    for step in &c.steps {
        let with = Ctx { bound: ctx.bound, lets: ctx.lets, date: view(&ctx.date), amount: amount.clone() };
        let next = match step {
            Step::Base(e) => num(eval(&with, e, bad), bad),
            Step::Cap(e) => {
                let Some(a) = &amount else { continue };
                let cap = num(eval(&with, e, bad), bad);
                let lower = cap.compare(BinOp::Lt, a, bad);
                match select(&lower, Col::Num(cap), Col::Num(a.clone()), n) {
                    Some(Col::Num(x)) => x,
                    _ => return None,
                }
            }
            Step::Uplift(rate, when, until) => {
                let Some(a) = &amount else { continue };
                let r = num(eval(&with, rate, bad), bad);
                let factor = NumCol::one((1, 0)).zip(&r, bad, add);
                let up = a.zip(&factor, bad, mul);
                let w = bools(eval(&with, when, bad), bad);
                let on = match until {
                    Some(u) => super::kernels::zip(&w, &with.date, bad, |w, d| Some(w && d <= *u)),
                    None => w,
                };
                match select(&on, Col::Num(up), Col::Num(a.clone()), n) {
                    Some(Col::Num(x)) => x,
                    _ => return None,
                }
            }
            Step::Override(when, value) => {
                let Some(a) = &amount else { continue };
                let w = bools(eval(&with, when, bad), bad);
                let v = num(eval(&with, value, bad), bad);
                match select(&w, Col::Num(v), Col::Num(a.clone()), n) {
                    Some(Col::Num(x)) => x,
                    _ => return None,
                }
            }
        };
        amount = Some(own(next));
    }
    amount
}

fn own_col(c: Col<'_>) -> Col<'static> {
    match c {
        Col::Bool(a) => Col::Bool(own_arr(a)),
        Col::Date(a) => Col::Date(own_arr(a)),
        Col::Enum(a) => Col::Enum(own_arr(a)),
        Col::Num(x) => Col::Num(NumCol { m: own_arr(x.m), s: own_arr(x.s), den: x.den }),
    }
}

fn own_arr<T: Clone>(a: Arr<'_, T>) -> Arr<'static, T>
where
    [T]: ToOwned<Owned = Vec<T>>,
{
    match a {
        Arr::One(x) => Arr::One(x),
        Arr::Many(v) => Arr::Many(Cow::Owned(v.into_owned())),
    }
}
