//! Column values and the exact operations on them. A number is a scaled
//! integer (`i128` mantissa and a scale, per row or for the whole column),
//! exactly the rust_decimal value the interpreter would hold: every
//! operation either produces that value or flags the row (overflow, a
//! result rust_decimal would round, a division by zero), and a flagged row
//! is decided by the row interpreter.

use policy_core::ast::BinOp;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::cmp::Ordering;

/// The largest mantissa rust_decimal holds (2^96 - 1).
pub const MAX_MANTISSA: i128 = 79_228_162_514_264_337_593_543_950_335;
/// The largest scale rust_decimal holds.
pub const MAX_SCALE: u8 = 28;

/// A column of `T`: one value for every row, or a value per row.
#[derive(Debug, Clone)]
pub enum Arr<'a, T: Clone> {
    /// The same value in every row.
    One(T),
    /// A value per row.
    Many(Cow<'a, [T]>),
}

impl<T: Copy + Default> Arr<'_, T> {
    /// The value at `i`.
    #[inline(always)]
    pub fn get(&self, i: usize) -> T {
        match self {
            Arr::One(x) => *x,
            Arr::Many(v) => v.get(i).copied().unwrap_or_default(),
        }
    }
    /// A column of `n` rows from `f` (one value when `self` is one).
    pub fn map<U: Copy + Default>(&self, n: usize, f: impl Fn(T) -> U) -> Arr<'static, U> {
        match self {
            Arr::One(x) => Arr::One(f(*x)),
            Arr::Many(v) => Arr::Many(Cow::Owned(v.iter().take(n).map(|x| f(*x)).collect())),
        }
    }
}

/// Combines two columns row by row; `f` returns `None` to flag a row, which
/// is marked in `bad` (every row when both columns are single values).
pub fn zip<A: Copy + Default, B: Copy + Default, C: Copy + Default>(
    a: &Arr<'_, A>,
    b: &Arr<'_, B>,
    bad: &mut [bool],
    f: impl Fn(A, B) -> Option<C>,
) -> Arr<'static, C> {
    match (a, b) {
        (Arr::One(x), Arr::One(y)) => match f(*x, *y) {
            Some(c) => Arr::One(c),
            None => {
                bad.iter_mut().for_each(|b| *b = true);
                Arr::One(C::default())
            }
        },
        _ => {
            let mut out = Vec::with_capacity(bad.len());
            for (i, flag) in bad.iter_mut().enumerate() {
                out.push(match f(a.get(i), b.get(i)) {
                    Some(c) => c,
                    None => {
                        *flag = true;
                        C::default()
                    }
                });
            }
            Arr::Many(Cow::Owned(out))
        }
    }
}

/// A numeric column: `(m, s)` is `m / 10^s`; with `den`, the value is that
/// divided by `den`, a division not yet made (a unit conversion), kept so
/// that comparisons can be made exactly without it.
#[derive(Debug, Clone)]
pub struct NumCol<'a> {
    /// Mantissas.
    pub m: Arr<'a, i128>,
    /// Scales.
    pub s: Arr<'a, u8>,
    /// A pending divisor.
    pub den: Option<Decimal>,
}

/// A column of values of one kind.
#[derive(Debug, Clone)]
pub enum Col<'a> {
    /// Bools.
    Bool(Arr<'a, bool>),
    /// Numbers.
    Num(NumCol<'a>),
    /// Days since 1970-01-01.
    Date(Arr<'a, i32>),
    /// Enum variant indexes.
    Enum(Arr<'a, u32>),
}

/// `10^k` for k in 0..=38.
#[allow(clippy::indexing_slicing)]
const POW10: [i128; 39] = {
    let mut t = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// `10^k`, when it fits.
#[inline(always)]
pub fn pow10(k: u32) -> Option<i128> {
    POW10.get(usize::try_from(k).ok()?).copied()
}

#[inline(always)]
fn fits(m: i128) -> bool {
    (-MAX_MANTISSA..=MAX_MANTISSA).contains(&m)
}

/// Both numbers at their larger scale.
#[inline(always)]
fn align(a: (i128, u8), b: (i128, u8)) -> Option<(i128, i128, u8)> {
    if a.1 == b.1 {
        return Some((a.0, b.0, a.1));
    }
    let s = a.1.max(b.1);
    let x = a.0.checked_mul(pow10(u32::from(s - a.1))?)?;
    let y = b.0.checked_mul(pow10(u32::from(s - b.1))?)?;
    Some((x, y, s))
}

/// `a + b` as rust_decimal gives it when the result is exact at the larger
/// scale; `None` where rust_decimal would round or overflow.
#[inline(always)]
pub fn add(a: (i128, u8), b: (i128, u8)) -> Option<(i128, u8)> {
    // rust_decimal returns the other operand as it is when one is zero,
    // scale included: `1 + 0.00` is `1`, not `1.00`.
    if a.0 == 0 {
        return Some(b);
    }
    if b.0 == 0 {
        return Some(a);
    }
    let (x, y, s) = align(a, b)?;
    let r = x.checked_add(y)?;
    if r == 0 {
        // rust_decimal's own scale for a zero sum.
        return decimal(a)?.checked_add(decimal(b)?).map(parts);
    }
    (fits(x) && fits(y) && fits(r)).then_some((r, s))
}

/// `a - b`, as [`add`].
#[inline(always)]
pub fn sub(a: (i128, u8), b: (i128, u8)) -> Option<(i128, u8)> {
    add(a, (b.0.checked_neg()?, b.1))
}

/// `a × b` at the sum of the scales, when rust_decimal keeps it exact.
#[inline(always)]
pub fn mul(a: (i128, u8), b: (i128, u8)) -> Option<(i128, u8)> {
    let s = a.1.checked_add(b.1).filter(|s| *s <= MAX_SCALE)?;
    let r = a.0.checked_mul(b.0)?;
    if r == 0 {
        // rust_decimal's own scale for a zero product.
        return decimal(a)?.checked_mul(decimal(b)?).map(parts);
    }
    fits(r).then_some((r, s))
}

/// A number as rust_decimal holds it.
#[inline]
pub fn decimal(a: (i128, u8)) -> Option<Decimal> {
    Decimal::try_from_i128_with_scale(a.0, u32::from(a.1)).ok()
}

/// A rust_decimal as (mantissa, scale).
#[inline]
pub fn parts(d: Decimal) -> (i128, u8) {
    (d.mantissa(), u8::try_from(d.scale()).unwrap_or(MAX_SCALE))
}

/// `a / b` by rust_decimal itself (the interpreter's own operation), so the
/// quotient and its scale are the interpreter's; a zero divisor flags.
#[inline]
pub fn div(a: (i128, u8), b: Decimal) -> Option<(i128, u8)> {
    if b.is_zero() {
        return None;
    }
    decimal(a)?.checked_div(b).map(parts)
}

/// Orders two numbers exactly.
#[inline(always)]
pub fn cmp(a: (i128, u8), b: (i128, u8)) -> Option<Ordering> {
    let (x, y, _) = align(a, b)?;
    Some(x.cmp(&y))
}

/// Orders `n / den` (a pending division, `den` a positive whole number)
/// against `b`, exactly as the interpreter orders the rounded quotient it
/// computes: the exact order is the same whenever the quotient is small
/// enough that its rounding (at rust_decimal's 28–29 significant digits)
/// is finer than the least distance between the two values,
/// `1 / (10^s × den)`; larger quotients flag.
#[inline(always)]
pub fn cmp_ratio(n: (i128, u8), den: u64, den_digits: u32, b: (i128, u8)) -> Option<Ordering> {
    let s = n.1.max(b.1);
    // |n / den| < 10^k with k + s + digits(den) <= 24.
    let k = 24i64 - i64::from(s) - i64::from(den_digits);
    let limit = pow10(u32::try_from(k + i64::from(n.1)).ok()?)?;
    if n.0.unsigned_abs() >= limit.unsigned_abs() {
        return None;
    }
    let x = n.0.checked_mul(pow10(u32::from(s - n.1))?)?;
    let y = b.0.checked_mul(pow10(u32::from(s - b.1))?)?.checked_mul(i128::from(den))?;
    Some(x.cmp(&y))
}

/// Whether `op` holds for `o`.
#[inline(always)]
pub fn holds(op: BinOp, o: Ordering) -> bool {
    match op {
        BinOp::Lt => o.is_lt(),
        BinOp::Le => o.is_le(),
        BinOp::Gt => o.is_gt(),
        BinOp::Ge => o.is_ge(),
        BinOp::Eq => o.is_eq(),
        _ => o.is_ne(),
    }
}

/// The operator with its operands swapped (`a < b` is `b > a`).
pub fn flip(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        other => other,
    }
}

impl<'a> NumCol<'a> {
    /// A single number.
    pub fn one(d: (i128, u8)) -> Self {
        NumCol { m: Arr::One(d.0), s: Arr::One(d.1), den: None }
    }

    /// The value at row `i` (the pending division not made).
    #[inline(always)]
    pub fn at(&self, i: usize) -> (i128, u8) {
        (self.m.get(i), self.s.get(i))
    }

    /// The column with its pending division made, row by row, by
    /// rust_decimal (as the interpreter makes it).
    pub fn settle(self, bad: &mut [bool]) -> NumCol<'a> {
        let Some(den) = self.den else { return self };
        let n = bad.len();
        let mut m = Vec::with_capacity(n);
        let mut s = Vec::with_capacity(n);
        for (i, flag) in bad.iter_mut().enumerate() {
            let q = if *flag { None } else { div(self.at(i), den) };
            let q = q.unwrap_or_else(|| {
                *flag = true;
                (0, 0)
            });
            m.push(q.0);
            s.push(q.1);
        }
        NumCol { m: Arr::Many(Cow::Owned(m)), s: Arr::Many(Cow::Owned(s)), den: None }
    }

    /// Combines two settled columns number by number.
    pub fn zip(&self, other: &NumCol<'_>, bad: &mut [bool], f: impl Fn((i128, u8), (i128, u8)) -> Option<(i128, u8)>) -> NumCol<'static> {
        if let (Arr::One(sa), Arr::One(sb)) = (&self.s, &other.s) {
            // Scales fixed for the whole column: only the mantissas vary, and
            // the result's scale is found once.
            // The result's scale is the same in every row for most
            // operations (not for a quotient, nor for a zero rust_decimal
            // rescales): a row where it differs sends the column to the
            // general path.
            let (sa, sb) = (*sa, *sb);
            if let Some((_, s)) = f((1, sa), (1, sb)) {
                // A row's failure is the same on either path, so its flag
                // stands whichever answers.
                let other_scale = std::cell::Cell::new(false);
                let m = zip(&self.m, &other.m, bad, |x, y| match f((x, sa), (y, sb)) {
                    Some((r, rs)) if rs == s => Some(r),
                    Some(_) => {
                        other_scale.set(true);
                        Some(0)
                    }
                    None => None,
                });
                if !other_scale.get() {
                    return NumCol { m, s: Arr::One(s), den: None };
                }
            }
        }
        let n = bad.len();
        let mut m = Vec::with_capacity(n);
        let mut s = Vec::with_capacity(n);
        for (i, flag) in bad.iter_mut().enumerate() {
            let r = f(self.at(i), other.at(i)).unwrap_or_else(|| {
                *flag = true;
                (0, 0)
            });
            m.push(r.0);
            s.push(r.1);
        }
        NumCol { m: Arr::Many(Cow::Owned(m)), s: Arr::Many(Cow::Owned(s)), den: None }
    }

    /// `self × c` for a constant `c`, in one pass when the column's scale
    /// is fixed; rows whose product rust_decimal would scale otherwise (a
    /// zero) take the general path.
    pub fn mul_const(&self, c: (i128, u8), bad: &mut [bool]) -> NumCol<'static> {
        if let (Arr::One(sa), Arr::Many(xs)) = (&self.s, &self.m) {
            if let Some(s) = sa.checked_add(c.1).filter(|s| *s <= MAX_SCALE) {
                let mut out = Vec::with_capacity(xs.len());
                let mut zero = false;
                for (x, flag) in xs.iter().zip(bad.iter_mut()) {
                    let r = x.checked_mul(c.0).filter(|r| fits(*r));
                    *flag |= r.is_none();
                    let r = r.unwrap_or(0);
                    zero |= r == 0;
                    out.push(r);
                }
                if !zero {
                    return NumCol { m: Arr::Many(Cow::Owned(out)), s: Arr::One(s), den: None };
                }
            }
        }
        self.zip(&NumCol::one(c), bad, mul)
    }

    /// `self op other` for a comparison operator, exactly; a pending
    /// division on either side is compared as a fraction.
    pub fn compare(&self, op: BinOp, other: &NumCol<'_>, bad: &mut [bool]) -> Arr<'static, bool> {
        // Scales fixed for the whole columns: the factors are found once.
        if let (Arr::One(sa), Arr::One(sb)) = (&self.s, &other.s) {
            let (sa, sb) = (*sa, *sb);
            match (self.den, ratio(self.den), other.den, ratio(other.den)) {
                (None, _, None, _) => return fixed(&self.m, sa, 1, None, &other.m, sb, op, bad),
                (Some(_), Some((d, dd)), None, _) => return fixed(&self.m, sa, d, Some(dd), &other.m, sb, op, bad),
                (None, _, Some(_), Some((d, dd))) => return fixed(&other.m, sb, d, Some(dd), &self.m, sa, flip(op), bad),
                _ => {}
            }
        }
        match (ratio(self.den), ratio(other.den)) {
            (None, None) if self.den.is_none() && other.den.is_none() => self.zip_bool(other, bad, |a, b| Some(holds(op, cmp(a, b)?))),
            (Some((d, dd)), None) if other.den.is_none() => self.zip_bool(other, bad, |a, b| Some(holds(op, cmp_ratio(a, d, dd, b)?))),
            (None, Some((d, dd))) if self.den.is_none() => self.zip_bool(other, bad, |a, b| Some(holds(flip(op), cmp_ratio(b, d, dd, a)?))),
            _ => {
                let a = self.clone().settle(bad);
                let b = other.clone().settle(bad);
                a.zip_bool(&b, bad, |a, b| Some(holds(op, cmp(a, b)?)))
            }
        }
    }

    fn zip_bool(&self, other: &NumCol<'_>, bad: &mut [bool], f: impl Fn((i128, u8), (i128, u8)) -> Option<bool>) -> Arr<'static, bool> {
        if let (Arr::One(sa), Arr::One(sb)) = (&self.s, &other.s) {
            let (sa, sb) = (*sa, *sb);
            return zip(&self.m, &other.m, bad, |x, y| f((x, sa), (y, sb)));
        }
        let mut out = Vec::with_capacity(bad.len());
        for (i, flag) in bad.iter_mut().enumerate() {
            out.push(f(self.at(i), other.at(i)).unwrap_or_else(|| {
                *flag = true;
                false
            }));
        }
        Arr::Many(Cow::Owned(out))
    }
}

/// A comparison of `a / den` (at the fixed scale `sa`) against the
/// constant `b`, prepared once: `(op, fa, y, limit)`, so that a row's `x`
/// holds when `|x| < limit` and `op(x × fa, y)` (the order [`fixed`]
/// gives); a row with `|x| >= limit` or an overflowing `x × fa` has no
/// exact answer.
pub fn prepare(op: BinOp, sa: u8, den: u64, dd: Option<u32>, b: (i128, u8)) -> Option<(BinOp, i128, i128, u128)> {
    let s = sa.max(b.1);
    let fa = pow10(u32::from(s - sa))?;
    let y = b.0.checked_mul(pow10(u32::from(s - b.1))?.checked_mul(i128::from(den))?)?;
    let limit = match dd {
        None => i128::MAX,
        Some(dd) => pow10(u32::try_from(24i64 - i64::from(s) - i64::from(dd) + i64::from(sa)).ok()?)?,
    };
    Some((op, fa, y, limit.unsigned_abs()))
}

/// Compares `a / den` (at the fixed scale `sa`; `den` pending when `dd`
/// gives its digits) with `b` (at `sb`), row by row, with every factor found
/// once: the order [`cmp`] or [`cmp_ratio`] gives.
#[allow(clippy::too_many_arguments)]
fn fixed(
    a: &Arr<'_, i128>,
    sa: u8,
    den: u64,
    dd: Option<u32>,
    b: &Arr<'_, i128>,
    sb: u8,
    op: BinOp,
    bad: &mut [bool],
) -> Arr<'static, bool> {
    let s = sa.max(sb);
    let fa = pow10(u32::from(s - sa));
    let fb = pow10(u32::from(s - sb)).and_then(|f| f.checked_mul(i128::from(den)));
    // With a pending division, quotients too large to order exactly flag.
    let limit = match dd {
        None => Some(i128::MAX),
        Some(dd) => u32::try_from(24i64 - i64::from(s) - i64::from(dd) + i64::from(sa)).ok().and_then(pow10),
    };
    let (Some(fa), Some(fb), Some(limit)) = (fa, fb, limit) else {
        bad.iter_mut().for_each(|x| *x = true);
        return Arr::One(false);
    };
    let limit_u = limit.unsigned_abs();
    let left = |x: i128| if x.unsigned_abs() < limit_u { x.checked_mul(fa) } else { None };
    if let Arr::One(y) = b {
        let Some(y) = y.checked_mul(fb) else {
            bad.iter_mut().for_each(|x| *x = true);
            return Arr::One(false);
        };
        if fa == 1 && limit == i128::MAX {
            return a.map(bad.len(), |x| holds(op, x.cmp(&y)));
        }
        if let (1, Arr::Many(xs)) = (fa, a) {
            // The common case (a column against a constant at no finer a
            // scale): one tight pass.
            let mut out = Vec::with_capacity(bad.len());
            for (x, flag) in xs.iter().zip(bad.iter_mut()) {
                *flag |= x.unsigned_abs() >= limit_u;
                out.push(holds(op, x.cmp(&y)));
            }
            return Arr::Many(Cow::Owned(out));
        }
        return zip(a, &Arr::One(()), bad, |x, ()| Some(holds(op, left(x)?.cmp(&y))));
    }
    zip(a, b, bad, |x, y| Some(holds(op, left(x)?.cmp(&y.checked_mul(fb)?))))
}

/// A pending divisor as a positive whole number and its digit count, when
/// it is one the fraction comparison takes.
pub fn ratio(den: Option<Decimal>) -> Option<(u64, u32)> {
    let d = den?;
    if d <= Decimal::ZERO || !d.fract().is_zero() {
        return None;
    }
    let n = u64::try_from(d.trunc().mantissa() / pow10(d.trunc().scale())?).ok().filter(|n| *n > 0 && *n < 1_000_000_000)?;
    Some((n, n.ilog10() + 1))
}

/// Picks, row by row, `then` where `cond` holds and `otherwise` elsewhere.
pub fn select<'a>(cond: &Arr<'_, bool>, then: Col<'a>, otherwise: Col<'a>, n: usize) -> Option<Col<'static>> {
    fn pick<T: Copy + Default>(c: &Arr<'_, bool>, a: &Arr<'_, T>, b: &Arr<'_, T>, n: usize) -> Arr<'static, T> {
        if let Arr::One(c) = c {
            let x = if *c { a } else { b };
            return match x {
                Arr::One(v) => Arr::One(*v),
                Arr::Many(v) => Arr::Many(Cow::Owned(v.to_vec())),
            };
        }
        Arr::Many(Cow::Owned((0..n).map(|i| if c.get(i) { a.get(i) } else { b.get(i) }).collect()))
    }
    Some(match (then, otherwise) {
        (Col::Bool(a), Col::Bool(b)) => Col::Bool(pick(cond, &a, &b, n)),
        (Col::Date(a), Col::Date(b)) => Col::Date(pick(cond, &a, &b, n)),
        (Col::Enum(a), Col::Enum(b)) => Col::Enum(pick(cond, &a, &b, n)),
        (Col::Num(a), Col::Num(b)) if a.den.is_none() && b.den.is_none() => {
            Col::Num(NumCol { m: pick(cond, &a.m, &b.m, n), s: pick(cond, &a.s, &b.s, n), den: None })
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> (i128, u8) {
        parts(Decimal::from_str(s).unwrap_or_default())
    }

    #[test]
    fn arithmetic_matches_rust_decimal_where_it_answers() {
        let xs = [
            "0",
            "0.00",
            "0.0000000000",
            "1",
            "-1",
            "0.85",
            "24.0000000000",
            "1200",
            "0.1",
            "79228162514264337593543950335",
            "3.3333333333333333333333333333",
        ];
        for a in xs {
            for b in xs {
                let (x, y) = (Decimal::from_str(a).unwrap_or_default(), Decimal::from_str(b).unwrap_or_default());
                for (k, want) in
                    [(add(d(a), d(b)), x.checked_add(y)), (sub(d(a), d(b)), x.checked_sub(y)), (mul(d(a), d(b)), x.checked_mul(y))]
                {
                    if let Some(got) = k {
                        let w = want.map(parts);
                        assert_eq!(Some(got), w, "{a} {b}");
                    }
                }
                if let Some(o) = cmp(d(a), d(b)) {
                    assert_eq!(o, x.cmp(&y));
                }
            }
        }
    }

    #[test]
    fn a_column_whose_result_scales_differ_by_row_keeps_each() {
        let a = NumCol { m: Arr::Many(Cow::Owned(vec![1, 3, 0, 6])), s: Arr::One(0), den: None };
        let mut bad = vec![false; 4];
        let q = a.zip(&NumCol::one((3, 0)), &mut bad, |p, q| div(p, decimal(q)?));
        let p = a.zip(&NumCol::one((85, 2)), &mut bad, mul);
        for i in 0..4 {
            let x = Decimal::from(a.m.get(i));
            assert_eq!(decimal(q.at(i)), x.checked_div(Decimal::from(3)), "{i}");
            assert_eq!(q.at(i), parts(x.checked_div(Decimal::from(3)).unwrap_or_default()), "{i}");
            assert_eq!(p.at(i), parts(x.checked_mul(Decimal::new(85, 2)).unwrap_or_default()), "{i}");
        }
        assert!(!bad.iter().any(|b| *b));
    }

    #[test]
    fn fractions_order_as_the_rounded_quotient() {
        for m in [0i128, 1, 23, 24, 25, 36, 95, 96, 97, 10_000_000_000_000] {
            for s in [0u8, 2, 10] {
                for c in ["32", "31.9999", "40", "33.3333333333"] {
                    let n = mul((m, s), (4, 0)).unwrap_or_default();
                    let q = div(n, Decimal::from(3)).unwrap_or_default();
                    if let Some(o) = cmp_ratio(n, 3, 1, d(c)) {
                        assert_eq!(Some(o), cmp(q, d(c)), "{m}e-{s} vs {c}");
                    }
                }
            }
        }
    }
}
