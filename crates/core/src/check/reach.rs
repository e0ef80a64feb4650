//! Caps that can never bind (`R311`): interval arithmetic over a benefit's
//! amount, from the declared ranges of its inputs, parameter values and
//! literals. When the amount before a `cap` is at most X and the cap is at
//! least Y > X, the cap never changes anything: usually a wrong unit, a
//! wrong range or a misread figure. Only amounts whose every leaf has a
//! finite range are analysed; anything else is left alone.

use super::Checker;
use crate::ast::{BinOp, Item, UnOp};
use crate::checked::*;
use crate::diag::codes;
use crate::value::{self as v, Value};
use rust_decimal::Decimal;

/// Deepest `let` chain followed.
const MAX_DEPTH: usize = 32;

type Iv = (Decimal, Decimal);

impl Checker<'_> {
    /// `R311` for each `cap` of the root module's benefits (without version
    /// blocks) that the amount before it can never reach.
    pub(super) fn check_caps(&mut self, root: usize) {
        let Some(ast) = self.module_ast(root) else { return };
        for item in &ast.items {
            let Item::Benefit(b) = item else { continue };
            let Some(def) = self.benefits.iter().find(|d| *d.id == *b.id.name) else { continue };
            if !def.versions.is_empty() {
                continue;
            }
            let mut findings = Vec::new();
            let mut cur: Option<Iv> = None;
            for step in &def.base.amount {
                match step {
                    AmountStepDef::Base { expr, .. } => cur = self.interval(expr, 0),
                    AmountStepDef::Cap { expr, span, .. } => {
                        let cap = self.interval(expr, 0);
                        if let (Some((_, hi)), Some((cap_lo, cap_hi))) = (cur, cap) {
                            if hi < cap_lo {
                                findings.push((*span, expr.file, hi, cap_lo));
                            }
                            cur = cur.map(|(lo, hi)| (lo.min(cap_hi), hi.min(cap_hi)));
                        } else {
                            cur = None;
                        }
                    }
                    _ => cur = None,
                }
            }
            for (span, file, hi, cap) in findings {
                // In an amendment, the file the cap was written in.
                self.piece_file = Some((root, file));
                let msg = format!(
                    "cap can never bind: the input ranges keep the amount at most {}, below the cap of {}",
                    v::money_string(hi),
                    v::money_string(cap)
                );
                self.warning(root, codes::CAP_UNREACHABLE, span, msg).help =
                    Some("check the cap's figure and unit against the document, and the ranges of the inputs the amount reads".into());
                self.leave();
            }
        }
    }

    /// The range of a numeric expression, when every leaf has a finite one.
    fn interval(&self, e: &CExpr, depth: usize) -> Option<Iv> {
        if depth > MAX_DEPTH {
            return None;
        }
        match &e.kind {
            CKind::Const(Value::Num(d)) => Some((*d, *d)),
            CKind::Input(id) => {
                let input = self.inputs.get(id.index())?;
                let b = input.bounds.as_ref()?;
                Some((b.low?, b.high?))
            }
            CKind::Param(id) => {
                let p = self.params.get(id.index())?;
                let mut out: Option<Iv> = None;
                for ver in &p.versions {
                    let (lo, hi) = self.interval(&ver.value, depth + 1)?;
                    out = Some(out.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
                }
                out
            }
            CKind::Let(id) => {
                let l = self.lets.get(id.index())?.as_ref()?;
                self.interval(&l.value, depth + 1)
            }
            CKind::Unary(UnOp::Neg, x) => self.interval(x, depth + 1).map(|(lo, hi)| (-hi, -lo)),
            CKind::Convert(x, to, from) => {
                let (lo, hi) = self.interval(x, depth + 1)?;
                let f = |d: Decimal| v::mul(d, *to).and_then(|p| v::div(p, *from)).ok();
                let (a, b) = (f(lo)?, f(hi)?);
                Some((a.min(b), a.max(b)))
            }
            CKind::If(arms, otherwise) => {
                let mut out = self.interval(otherwise, depth + 1)?;
                for (_, value) in arms {
                    let (lo, hi) = self.interval(value, depth + 1)?;
                    out = (out.0.min(lo), out.1.max(hi));
                }
                Some(out)
            }
            CKind::Binary(op, x, y) => {
                let (a, b) = (self.interval(x, depth + 1)?, self.interval(y, depth + 1)?);
                match op {
                    BinOp::Add => Some((v::add(a.0, b.0).ok()?, v::add(a.1, b.1).ok()?)),
                    BinOp::Sub => Some((v::sub(a.0, b.1).ok()?, v::sub(a.1, b.0).ok()?)),
                    BinOp::Mul => corners(a, b, v::mul),
                    BinOp::Div if b.0 > Decimal::ZERO || b.1 < Decimal::ZERO => corners(a, b, v::div),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

fn corners(a: Iv, b: Iv, f: fn(Decimal, Decimal) -> v::ValueResult<Decimal>) -> Option<Iv> {
    let all = [f(a.0, b.0).ok()?, f(a.0, b.1).ok()?, f(a.1, b.0).ok()?, f(a.1, b.1).ok()?];
    let lo = all.iter().copied().min()?;
    let hi = all.iter().copied().max()?;
    Some((lo, hi))
}
