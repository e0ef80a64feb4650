//! Step tiers: typing, and the interval analysis that reports tiers that
//! overlap, leave gaps, or can never be reached.

use super::Checker;
use crate::ast::{self, BinOp, Expr, TierTest};
use crate::checked::*;
use crate::diag::codes;
use crate::value::Value;
use rust_decimal::Decimal;

/// One end of an interval on the subject's line.
#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    Inf,
    Incl(Decimal),
    Excl(Decimal),
}

#[derive(Debug, Clone, Copy)]
struct Interval {
    lo: End,
    hi: End,
}

/// Where a coverage sweep stands: every point from here on is still to cover.
#[derive(Debug, Clone, Copy)]
enum Cursor {
    NegInf,
    AtLeast(Decimal),
    Above(Decimal),
}

impl Interval {
    fn admits(&self, c: Cursor) -> bool {
        let starts = match (self.lo, c) {
            (End::Inf, _) => true,
            (_, Cursor::NegInf) => false,
            (End::Incl(a), Cursor::AtLeast(d) | Cursor::Above(d)) => a <= d,
            (End::Excl(a), Cursor::AtLeast(d)) => a < d,
            (End::Excl(a), Cursor::Above(d)) => a <= d,
        };
        let extends = match (self.hi, c) {
            (End::Inf, _) => true,
            (_, Cursor::NegInf) => true,
            (End::Incl(b), Cursor::AtLeast(d)) => b >= d,
            (End::Incl(b) | End::Excl(b), Cursor::Above(d)) => b > d,
            (End::Excl(b), Cursor::AtLeast(d)) => b > d,
        };
        starts && extends
    }

    fn is_empty(&self) -> bool {
        match (self.lo, self.hi) {
            (End::Incl(a), End::Incl(b)) => a > b,
            (End::Incl(a) | End::Excl(a), End::Excl(b)) | (End::Excl(a), End::Incl(b)) => a >= b,
            _ => false,
        }
    }
}

fn past(c: Cursor, hi: End) -> bool {
    match (c, hi) {
        (_, End::Inf) | (Cursor::NegInf, _) => false,
        (Cursor::Above(c), End::Incl(b)) => c >= b,
        (Cursor::AtLeast(c), End::Incl(b)) => c > b,
        (Cursor::AtLeast(c) | Cursor::Above(c), End::Excl(b)) => c >= b,
    }
}

/// Whether `target` is covered by the union of `parts`.
fn covered(target: Interval, parts: &[Interval]) -> bool {
    let mut cursor = match target.lo {
        End::Inf => Cursor::NegInf,
        End::Incl(a) => Cursor::AtLeast(a),
        End::Excl(a) => Cursor::Above(a),
    };
    for _ in 0..=parts.len() {
        if past(cursor, target.hi) {
            return true;
        }
        let best = parts.iter().filter(|p| !p.is_empty() && p.admits(cursor)).max_by(|a, b| hi_order(a.hi, b.hi));
        let Some(best) = best else { return false };
        cursor = match best.hi {
            End::Inf => return true,
            End::Incl(b) => Cursor::Above(b),
            End::Excl(b) => Cursor::AtLeast(b),
        };
    }
    past(cursor, target.hi)
}

fn hi_order(a: End, b: End) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a, b) {
        (End::Inf, End::Inf) => Equal,
        (End::Inf, _) => Greater,
        (_, End::Inf) => Less,
        (End::Incl(x), End::Excl(y)) if x == y => Greater,
        (End::Excl(x), End::Incl(y)) if x == y => Less,
        (End::Incl(x) | End::Excl(x), End::Incl(y) | End::Excl(y)) => x.cmp(&y),
    }
}

/// Points of an integer-valued subject: `> 31` is `>= 32`.
fn integral(iv: Interval) -> Interval {
    let lo = match iv.lo {
        End::Excl(a) => End::Incl(a.floor() + Decimal::ONE),
        End::Incl(a) => End::Incl(a.ceil()),
        e => e,
    };
    let hi = match iv.hi {
        End::Excl(b) => End::Excl(b.ceil()),
        End::Incl(b) => End::Excl(b.floor() + Decimal::ONE),
        e => e,
    };
    Interval { lo, hi }
}

fn ordinal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Num(d) => Some(*d),
        Value::Date(d) => Some(Decimal::from(chrono::Datelike::num_days_from_ce(d))),
        _ => None,
    }
}

impl Checker<'_> {
    pub(super) fn tiers(
        &mut self,
        m: usize,
        subject: &Expr,
        tiers: &[ast::Tier],
        otherwise: Option<&Expr>,
        expected: Option<&Type>,
        span: ast::Span,
    ) -> CExpr {
        let s = self.expr(m, subject, None);
        if !(s.ty.is_numeric() || s.ty == Type::Date || s.ty == Type::Error) {
            let msg = format!("`tiers` tests a number or a date, found {}", self.type_name(&s.ty));
            self.error(m, codes::TYPE_MISMATCH, subject.span, msg);
        }
        let mut out = Vec::new();
        let mut ty: Option<Type> = expected.cloned();
        let mut vt: Option<Type> = None;
        let mut intervals: Vec<(Option<Interval>, bool, ast::Span)> = Vec::new();
        for t in tiers {
            let (test, iv, is_range) = match &t.test {
                TierTest::Cmp(op, bound) => {
                    let b = self.expr(m, bound, Some(&s.ty));
                    self.expect_type(m, &b, &s.ty, "the tested value's type");
                    let iv = match &b.kind {
                        CKind::Const(v) => ordinal(v).map(|d| match op {
                            BinOp::Ge => Interval { lo: End::Incl(d), hi: End::Inf },
                            BinOp::Gt => Interval { lo: End::Excl(d), hi: End::Inf },
                            BinOp::Le => Interval { lo: End::Inf, hi: End::Incl(d) },
                            _ => Interval { lo: End::Inf, hi: End::Excl(d) },
                        }),
                        _ => None,
                    };
                    (CTierTest::Cmp(*op, b), iv, false)
                }
                TierTest::Range(lo, hi) => {
                    let a = self.expr(m, lo, Some(&s.ty));
                    self.expect_type(m, &a, &s.ty, "the tested value's type");
                    let b = self.expr(m, hi, Some(&s.ty));
                    self.expect_type(m, &b, &s.ty, "the tested value's type");
                    let iv = match (&a.kind, &b.kind) {
                        (CKind::Const(x), CKind::Const(y)) => match (ordinal(x), ordinal(y)) {
                            (Some(x), Some(y)) => Some(Interval { lo: End::Incl(x), hi: End::Excl(y) }),
                            _ => None,
                        },
                        _ => None,
                    };
                    if let Some(iv) = iv {
                        if iv.is_empty() {
                            self.error(m, codes::TIER_UNREACHABLE, t.span, "this tier's range is empty (its start is not below its end)");
                        }
                    }
                    (CTierTest::Range(a, b), iv, true)
                }
            };
            let v = self.expr(m, &t.value, ty.as_ref());
            vt = Some(self.join(m, vt, &v));
            ty = vt.clone();
            let iv = if s.ty == Type::Int || s.ty == Type::Date { iv.map(integral) } else { iv };
            intervals.push((iv, is_range, t.span));
            out.push(CTier { test, value: v, span: t.span });
        }
        let o = otherwise.map(|o| {
            let c = self.expr(m, o, ty.as_ref());
            vt = Some(self.join(m, vt.clone(), &c));
            Box::new(c)
        });
        self.analyse_tiers(m, &intervals, o.is_some());
        let result = vt.unwrap_or(Type::Error);
        self.mk_tiers(m, s, out, o, result, span)
    }

    fn mk_tiers(&self, m: usize, s: CExpr, tiers: Vec<CTier>, otherwise: Option<Box<CExpr>>, ty: Type, span: ast::Span) -> CExpr {
        let file = self.file_of(m);
        CExpr { kind: CKind::Tiers { subject: Box::new(s), tiers, otherwise }, ty, span, file }
    }

    fn analyse_tiers(&mut self, m: usize, intervals: &[(Option<Interval>, bool, ast::Span)], has_else: bool) {
        if intervals.iter().any(|(iv, _, _)| iv.is_none()) {
            return; // Bounds that are not constants: nothing to prove.
        }
        if intervals.len() > crate::limits::MAX_ANALYSED_TIERS {
            return; // The analysis is cubic in the number of tiers; real schedules have a handful.
        }
        let ivs: Vec<(Interval, bool, ast::Span)> = intervals.iter().filter_map(|(iv, r, s)| iv.map(|iv| (iv, *r, *s))).collect();
        for (i, (iv, is_range, span)) in ivs.iter().enumerate() {
            let earlier: Vec<Interval> = ivs.iter().take(i).map(|x| x.0).collect();
            if !iv.is_empty() && covered(*iv, &earlier) {
                self.error(m, codes::TIER_UNREACHABLE, *span, "this tier can never be reached: earlier tiers cover all of it").help =
                    Some("the first matching tier decides; put narrower tiers first (e.g. `>= 48` before `>= 40`)".into());
                continue;
            }
            if *is_range {
                for (other, other_range, other_span) in ivs.iter().take(i) {
                    if *other_range && overlaps(*iv, *other) {
                        let line = self.line_of(m, *other_span);
                        let msg = format!("this tier's range overlaps the tier on line {line}");
                        self.error(m, codes::TIER_OVERLAP, *span, msg).help =
                            Some("ranges are `low .. high`, high excluded: make them meet end to start".into());
                    }
                }
            }
        }
        if !has_else && ivs.len() > 1 {
            let lo = ivs.iter().map(|x| x.0.lo).min_by(|a, b| lo_order(*a, *b)).unwrap_or(End::Inf);
            let hi = ivs.iter().map(|x| x.0.hi).max_by(|a, b| hi_order(*a, *b)).unwrap_or(End::Inf);
            let hull = Interval { lo, hi };
            let parts: Vec<Interval> = ivs.iter().map(|x| x.0).collect();
            if !covered(hull, &parts) {
                if let Some((_, _, span)) = ivs.last() {
                    self.warning(
                        m,
                        codes::TIER_GAP,
                        *span,
                        "the tiers leave a gap: some values between the lowest and highest tier match none",
                    )
                    .help = Some("make the tiers meet, or add `else => …` for the values in between".into());
                }
            }
        }
    }
}

fn lo_order(a: End, b: End) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a, b) {
        (End::Inf, End::Inf) => Equal,
        (End::Inf, _) => Less,
        (_, End::Inf) => Greater,
        (End::Incl(x), End::Excl(y)) if x == y => Less,
        (End::Excl(x), End::Incl(y)) if x == y => Greater,
        (End::Incl(x) | End::Excl(x), End::Incl(y) | End::Excl(y)) => x.cmp(&y),
    }
}

fn overlaps(a: Interval, b: Interval) -> bool {
    let lo = if lo_order(a.lo, b.lo).is_ge() { a.lo } else { b.lo };
    let hi = if hi_order(a.hi, b.hi).is_le() { a.hi } else { b.hi };
    !Interval { lo, hi }.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: i64) -> Decimal {
        Decimal::from(n)
    }

    #[test]
    fn coverage() {
        let ge48 = Interval { lo: End::Incl(d(48)), hi: End::Inf };
        let ge40 = Interval { lo: End::Incl(d(40)), hi: End::Inf };
        assert!(covered(ge48, &[ge40]));
        assert!(!covered(ge40, &[ge48]));
        let r1 = Interval { lo: End::Incl(d(0)), hi: End::Excl(d(10)) };
        let r2 = Interval { lo: End::Incl(d(10)), hi: End::Excl(d(20)) };
        let hull = Interval { lo: End::Incl(d(0)), hi: End::Excl(d(20)) };
        assert!(covered(hull, &[r1, r2]));
        let r3 = Interval { lo: End::Incl(d(11)), hi: End::Excl(d(20)) };
        assert!(!covered(hull, &[r1, r3]));
        assert!(!overlaps(r1, r2));
        assert!(overlaps(r1, Interval { lo: End::Incl(d(9)), hi: End::Excl(d(12)) }));
        // Integers: `<= 31` and `>= 32` leave no gap; `< 31` and `> 31` do.
        let a = integral(Interval { lo: End::Inf, hi: End::Incl(d(31)) });
        let b = integral(Interval { lo: End::Incl(d(32)), hi: End::Inf });
        assert!(covered(Interval { lo: End::Inf, hi: End::Inf }, &[a, b]));
        let c = integral(Interval { lo: End::Inf, hi: End::Excl(d(31)) });
        let e = integral(Interval { lo: End::Excl(d(31)), hi: End::Inf });
        assert!(!covered(Interval { lo: End::Inf, hi: End::Inf }, &[c, e]));
    }
}
