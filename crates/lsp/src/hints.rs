//! Inlay hints where the text leaves something implicit: the last day of a
//! dated value or rule version that runs until the next one starts, and the
//! range a tier covers in a `tiers` chain (`>= 48` after `>= 60` covers
//! 48 up to, not including, 60).

use crate::workspace::FileData;
use lsp_types::{InlayHint, InlayHintKind, InlayHintLabel};
use policy_core::ast::{BenefitClause, BinOp, DateLit, Expr, ExprKind, Item, TierTest};
use policy_core::fmt::format_expr;

struct Hints<'a> {
    f: &'a FileData,
    out: Vec<InlayHint>,
}

impl Hints<'_> {
    fn add(&mut self, at: usize, label: String) {
        self.out.push(InlayHint {
            position: self.f.lines.position(&self.f.text, at),
            label: InlayHintLabel::String(label),
            kind: Some(InlayHintKind::PARAMETER),
            text_edits: None,
            tooltip: None,
            padding_left: Some(true),
            padding_right: None,
            data: None,
        });
    }

    /// `from D` with no `until`, followed by a version from `N`: ends the day before `N`.
    fn periods<'d>(&mut self, versions: impl Iterator<Item = (&'d DateLit, Option<&'d DateLit>)>) {
        let vs: Vec<_> = versions.collect();
        for (i, (from, until)) in vs.iter().enumerate() {
            if until.is_some() {
                continue;
            }
            match vs.get(i + 1).and_then(|(next, _)| next.value.pred_opt()) {
                Some(end) => self.add(from.span.end, format!("until {end}")),
                None => self.add(from.span.end, "open-ended".into()),
            }
        }
    }

    fn clauses(&mut self, clauses: &[BenefitClause]) {
        let versions = clauses.iter().filter_map(|c| match c {
            BenefitClause::Version(v) => Some((&v.from, v.until.as_ref())),
            _ => None,
        });
        self.periods(versions);
        for c in clauses {
            match c {
                BenefitClause::Condition(c) => self.expr(&c.expr),
                BenefitClause::Amount(a) | BenefitClause::Cap(a) => self.expr(&a.expr),
                BenefitClause::Uplift(u) => self.expr(&u.rate),
                BenefitClause::Override(o) => self.expr(&o.value),
                BenefitClause::Version(v) => self.clauses(&v.clauses),
                _ => {}
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Tiers { subject, tiers, otherwise } => {
                let mut prev: Option<(BinOp, String)> = None;
                for t in tiers {
                    if let TierTest::Cmp(op, x) = &t.test {
                        let bound = format_expr(x);
                        let label = match (&prev, op) {
                            (Some((BinOp::Ge, p)), BinOp::Ge | BinOp::Gt) => Some(format!("below {p}")),
                            (Some((BinOp::Gt, p)), BinOp::Ge | BinOp::Gt) => Some(format!("up to {p}")),
                            (Some((BinOp::Le, p)), BinOp::Le | BinOp::Lt) => Some(format!("above {p}")),
                            (Some((BinOp::Lt, p)), BinOp::Le | BinOp::Lt) => Some(format!("from {p}")),
                            _ => None,
                        };
                        if let Some(l) = label {
                            self.add(x.span.end, l);
                        }
                        prev = Some((*op, bound));
                    } else {
                        prev = None;
                    }
                    self.expr(&t.value);
                }
                if let (Some(o), Some((op, p))) = (otherwise, &prev) {
                    let l = match op {
                        BinOp::Ge => format!("below {p}"),
                        BinOp::Gt => format!("up to {p}"),
                        BinOp::Le => format!("above {p}"),
                        _ => format!("from {p}"),
                    };
                    self.add(o.span.start, format!("{l}:"));
                }
                self.expr(subject);
            }
            ExprKind::Unary(_, x) | ExprKind::Paren(x) | ExprKind::Field(x, _) | ExprKind::Convert(x, _) => self.expr(x),
            ExprKind::Binary(_, a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::If { branches, otherwise } => {
                for (c, v) in branches {
                    self.expr(c);
                    self.expr(v);
                }
                self.expr(otherwise);
            }
            ExprKind::Match { arms, .. } => arms.iter().for_each(|a| self.expr(&a.value)),
            ExprKind::Call(_, xs) | ExprKind::Set(xs) | ExprKind::List(xs) => xs.iter().for_each(|x| self.expr(x)),
            _ => {}
        }
    }
}

/// The hints of a document between bytes `start` and `end`.
pub fn hints(f: &FileData, start: usize, end: usize) -> Vec<InlayHint> {
    let Some(ast) = &f.ast else { return Vec::new() };
    let mut h = Hints { f, out: Vec::new() };
    for item in ast.items.iter().filter(|i| i.span().end >= start && i.span().start <= end) {
        match item {
            Item::Param(p) => {
                h.periods(p.versions.iter().map(|v| (&v.from, v.until.as_ref())));
                p.versions.iter().for_each(|v| h.expr(&v.value));
            }
            Item::Let(l) => h.expr(&l.value),
            Item::Benefit(b) => h.clauses(&b.clauses),
            _ => {}
        }
    }
    h.out
}
