//! Lowering expressions: operands, primaries, quantities, the precedence
//! fold over an explicit stack, and the bound on a tree's height.

use super::super::Rule;
use super::{kids, Lower, P};
use crate::ast::*;
use crate::diag::codes;
use crate::limits;
use rust_decimal::Decimal;
use std::str::FromStr;

impl Lower {
    pub(super) fn quantity(&mut self, p: P<'_>) -> Option<Expr> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let num = it.next()?;
        let digits = num.as_str();
        let value = match Decimal::from_str(digits) {
            Ok(v) => v,
            Err(_) => {
                let d = self
                    .err(codes::BAD_NUMBER, span, format!("number `{digits}` is out of range"))
                    .with_label("at most 28 significant digits")
                    .with_help("amounts are exact decimals of up to 28 digits");
                self.diags.push(d);
                return None;
            }
        };
        let suffix_pair = it.next();
        let yuan_sign = suffix_pair.as_ref().is_some_and(|u| u.as_str() == "元");
        let suffix = match suffix_pair.and_then(|u| u.into_inner().next()) {
            None if yuan_sign => Some(Suffix::Unit(Ident { name: "yuan".into(), span: Span::new(span.end - "元".len(), span.end) })),
            None => None,
            Some(u) if u.as_rule() == Rule::percent_sign => Some(Suffix::Percent),
            Some(u) => {
                let text = u.as_str();
                if text.starts_with('e') && text.get(1..).is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit())) {
                    let d = self
                        .err(codes::BAD_NUMBER, span, format!("exponent notation `{}` is not supported", p_text(digits, text)))
                        .with_help("write the number out in full; amounts are exact decimals of up to 28 digits");
                    self.diags.push(d);
                    return None;
                }
                if text == "元" {
                    Some(Suffix::Unit(Ident { name: "yuan".into(), span: Span::new(span.end - text.len(), span.end) }))
                } else {
                    Some(Suffix::Unit(Ident { name: text.to_string(), span: Span::new(span.end - text.len(), span.end) }))
                }
            }
        };
        Some(Expr { kind: ExprKind::Number { value, suffix }, span })
    }

    fn nest<T>(&mut self, span: Span, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        self.depth += 1;
        if self.depth > crate::limits::MAX_EXPR_DEPTH {
            self.depth -= 1;
            let d = self
                .err(codes::TOO_DEEP, span, format!("expression nests deeper than the limit of {}", crate::limits::MAX_EXPR_DEPTH))
                .with_help("name intermediate values with `let`");
            self.diags.push(d);
            return None;
        }
        let r = f(self);
        self.depth -= 1;
        r
    }

    pub(in crate::parse) fn expr(&mut self, p: P<'_>) -> Option<Expr> {
        let span = self.span(&p);
        self.nest(span, |this| this.expr_inner(p))
    }

    /// Folds `operand (op operand)*` by precedence with an explicit stack
    /// (shunting-yard), so long operator chains never recurse.
    fn expr_inner(&mut self, p: P<'_>) -> Option<Expr> {
        let whole = self.span(&p);
        let mut operands: Vec<Expr> = Vec::new();
        // Height of each operand's tree: a long chain folds into a deep tree,
        // which the checker and evaluator walk recursively, so it is bounded
        // while folding (before a too-deep tree exists to be dropped).
        let mut heights: Vec<usize> = Vec::new();
        let mut ops: Vec<BinOp> = Vec::new();
        fn reduce(operands: &mut Vec<Expr>, heights: &mut Vec<usize>, ops: &mut Vec<BinOp>) -> Option<usize> {
            let op = ops.pop()?;
            let rhs = operands.pop()?;
            let lhs = operands.pop()?;
            let h = heights.pop()?.max(heights.pop()?) + 1;
            heights.push(h);
            let span = lhs.span.join(rhs.span);
            operands.push(Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span });
            Some(h)
        }
        for c in kids(p) {
            match c.as_rule() {
                Rule::operand => {
                    let e = self.operand(c)?;
                    heights.push(tree_height(&e));
                    operands.push(e);
                }
                Rule::infix => {
                    let infix_text = c.as_str().trim().to_string();
                    let op = match kids(c).next().map(|o| o.as_rule()) {
                        Some(Rule::op_ge) => BinOp::Ge,
                        Some(Rule::op_le) => BinOp::Le,
                        Some(Rule::op_eq) => BinOp::Eq,
                        Some(Rule::op_ne) => BinOp::Ne,
                        Some(Rule::op_gt) => BinOp::Gt,
                        Some(Rule::op_lt) => BinOp::Lt,
                        Some(Rule::op_add) => BinOp::Add,
                        Some(Rule::op_sub) => BinOp::Sub,
                        Some(Rule::op_mul) => BinOp::Mul,
                        Some(Rule::op_div) => BinOp::Div,
                        _ => match infix_text.as_str() {
                            "and" => BinOp::And,
                            "or" => BinOp::Or,
                            _ => BinOp::In,
                        },
                    };
                    while ops.last().is_some_and(|top| top.precedence() >= op.precedence()) {
                        let h = reduce(&mut operands, &mut heights, &mut ops)?;
                        if h > MAX_TREE_HEIGHT {
                            return self.too_tall(whole);
                        }
                    }
                    ops.push(op);
                }
                _ => {}
            }
        }
        while !ops.is_empty() {
            let h = reduce(&mut operands, &mut heights, &mut ops)?;
            if h > MAX_TREE_HEIGHT {
                return self.too_tall(whole);
            }
        }
        operands.pop()
    }

    fn too_tall(&mut self, span: Span) -> Option<Expr> {
        let d = self
            .err(codes::TOO_DEEP, span, format!("expression is deeper than the limit of {MAX_TREE_HEIGHT} (operator and `.` chains count)"))
            .with_help("name intermediate values with `let`");
        self.diags.push(d);
        None
    }

    fn operand(&mut self, p: P<'_>) -> Option<Expr> {
        let mut height = 0usize;
        let mut prefixes = Vec::new();
        let mut current: Option<Expr> = None;
        for c in kids(p) {
            match c.as_rule() {
                Rule::prefix => {
                    let span = self.span(&c);
                    let op = if c.as_str().trim() == "-" { UnOp::Neg } else { UnOp::Not };
                    prefixes.push((op, span));
                }
                Rule::postfix => {
                    let base = current.take()?;
                    height += 1;
                    if height > MAX_TREE_HEIGHT {
                        let span = base.span;
                        return self.too_tall(span);
                    }
                    let inner = kids(c).next()?;
                    let pspan = self.span(&inner);
                    let span = base.span.join(pspan);
                    current = Some(match inner.as_rule() {
                        Rule::field_access => Expr { kind: ExprKind::Field(Box::new(base), self.ident(kids(inner).next()?)), span },
                        Rule::conversion => Expr { kind: ExprKind::Convert(Box::new(base), self.ident(kids(inner).next()?)), span },
                        _ => {
                            let args: Vec<Expr> = kids(inner).filter_map(|e| self.expr(e)).collect();
                            height = height.max(args.iter().map(tree_height).max().unwrap_or(0) + 1);
                            Expr { kind: ExprKind::Index(Box::new(base), args), span }
                        }
                    });
                }
                _ => {
                    let e = self.primary(c)?;
                    height = tree_height(&e);
                    current = Some(e);
                }
            }
        }
        let mut e = current?;
        if prefixes.len() > crate::limits::MAX_EXPR_DEPTH {
            let d = self.err(codes::TOO_DEEP, e.span, format!("more than {} prefix operators in a row", crate::limits::MAX_EXPR_DEPTH));
            self.diags.push(d);
            return None;
        }
        if height + prefixes.len() > MAX_TREE_HEIGHT {
            return self.too_tall(e.span);
        }
        for (op, span) in prefixes.into_iter().rev() {
            let span = span.join(e.span);
            e = Expr { kind: ExprKind::Unary(op, Box::new(e)), span };
        }
        Some(e)
    }

    fn primary(&mut self, p: P<'_>) -> Option<Expr> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let kind = match rule {
            Rule::date => ExprKind::Date(self.date(p)?.value),
            Rule::quantity => return self.quantity(p),
            Rule::bool_lit => ExprKind::Bool(p.as_str() == "true"),
            Rule::string => ExprKind::Text(self.string(p).value),
            Rule::paren => ExprKind::Paren(Box::new(self.expr(kids(p).next()?)?)),
            Rule::set_lit => ExprKind::Set(kids(p).filter_map(|e| self.expr(e)).collect()),
            Rule::list_lit => ExprKind::List(kids(p).filter_map(|e| self.expr(e)).collect()),
            Rule::path => ExprKind::Path(kids(p).map(|i| self.ident(i)).collect()),
            Rule::call => {
                let mut it = kids(p);
                let f = self.ident(it.next()?);
                ExprKind::Call(f, it.filter_map(|e| self.expr(e)).collect())
            }
            Rule::if_expr => {
                let mut parts = Vec::new();
                for c in kids(p) {
                    match c.as_rule() {
                        Rule::expr => parts.push(self.expr(c)?),
                        Rule::block => parts.push(self.expr(kids(c).next()?)?),
                        _ => {}
                    }
                }
                let otherwise = parts.pop()?;
                let mut branches = Vec::new();
                let mut it = parts.into_iter();
                while let (Some(c), Some(v)) = (it.next(), it.next()) {
                    branches.push((c, v));
                }
                ExprKind::If { branches, otherwise: Box::new(otherwise) }
            }
            Rule::match_expr => {
                let mut it = kids(p);
                let scrutinee = Box::new(self.expr(it.next()?)?);
                let mut arms = Vec::new();
                for arm in it {
                    let aspan = self.span(&arm);
                    let mut ai = kids(arm);
                    let pat = ai.next()?;
                    let patterns = kids(pat).filter(|x| x.as_rule() == Rule::path).filter_map(|x| self.primary(x)).collect();
                    let value = self.expr(ai.next()?)?;
                    arms.push(MatchArm { patterns, value, span: aspan });
                }
                ExprKind::Match { scrutinee, arms }
            }
            Rule::tiers_expr => {
                let mut it = kids(p);
                let subject = Box::new(self.expr(it.next()?)?);
                let (mut tiers, mut otherwise) = (Vec::new(), None);
                for t in it {
                    let tspan = self.span(&t);
                    match t.as_rule() {
                        Rule::tier => {
                            let mut ti = kids(t);
                            let test = kids(ti.next()?).next()?;
                            let test = if test.as_rule() == Rule::tier_cmp {
                                let mut ci = kids(test);
                                let op = match ci.next()?.as_rule() {
                                    Rule::op_ge => BinOp::Ge,
                                    Rule::op_gt => BinOp::Gt,
                                    Rule::op_le => BinOp::Le,
                                    _ => BinOp::Lt,
                                };
                                TierTest::Cmp(op, self.expr(ci.next()?)?)
                            } else {
                                let mut ri = kids(test);
                                let lo = self.operand(ri.next()?)?;
                                let hi = self.operand(ri.next()?)?;
                                TierTest::Range(lo, hi)
                            };
                            let value = self.expr(ti.next()?)?;
                            tiers.push(Tier { test, value, span: tspan });
                        }
                        Rule::tier_else => otherwise = Some(Box::new(self.expr(kids(t).next()?)?)),
                        _ => {}
                    }
                }
                ExprKind::Tiers { subject, tiers, otherwise }
            }
            Rule::scale_expr => {
                let mut it = kids(p);
                let subject = Box::new(self.expr(it.next()?)?);
                let (mut bands, mut rest) = (Vec::new(), None);
                for b in it {
                    let bspan = self.span(&b);
                    match b.as_rule() {
                        Rule::scale_band => {
                            let mut bi = kids(b);
                            let width = self.operand(bi.next()?)?;
                            let rate = self.expr(bi.next()?)?;
                            bands.push(Band { width, rate, span: bspan });
                        }
                        Rule::scale_rest => rest = Some(Box::new(self.expr(kids(b).next()?)?)),
                        _ => {}
                    }
                }
                ExprKind::Scale { subject, bands, rest }
            }
            Rule::quantifier => {
                let mut it = kids(p);
                let kind = match kids(it.next()?).next()?.as_rule() {
                    Rule::q_count => QuantKind::Count,
                    Rule::q_any => QuantKind::Any,
                    _ => QuantKind::All,
                };
                let var = self.ident(it.next()?);
                let list = Box::new(self.expr(it.next()?)?);
                let filter = match it.next() {
                    Some(f) => Some(Box::new(self.expr(f)?)),
                    None => None,
                };
                ExprKind::Quantifier { kind, var, list, filter }
            }
            Rule::comprehension => {
                let mut it = kids(p);
                let kind = match kids(it.next()?).next()?.as_rule() {
                    Rule::a_sum => AggKind::Sum,
                    Rule::a_min => AggKind::Min,
                    Rule::a_max => AggKind::Max,
                    _ => AggKind::Avg,
                };
                let value = Box::new(self.expr(it.next()?)?);
                let var = self.ident(it.next()?);
                let list = Box::new(self.expr(it.next()?)?);
                let filter = match it.next() {
                    Some(f) => Some(Box::new(self.expr(f)?)),
                    None => None,
                };
                ExprKind::Aggregate { kind, value, var, list, filter }
            }
            _ => return None,
        };
        Some(Expr { kind, span })
    }
}

/// Tallest expression tree accepted, counting every node: operator chains
/// and `.` chains fold into nested nodes, which the checker and the evaluator
/// walk recursively (about 10 KiB of stack per level in a debug build), so
/// they count towards [`limits::MAX_EXPR_DEPTH`] too. Real policies stay
/// below 10.
pub(in crate::parse) const MAX_TREE_HEIGHT: usize = limits::MAX_EXPR_DEPTH;

/// Height of a tree built by the lowering: every sub-expression was bounded
/// when it was built, so this recursion is bounded too. A path `a.b.c`
/// counts one level per segment (the checker turns it into field accesses).
pub(in crate::parse) fn tree_height(e: &Expr) -> usize {
    let h = |x: &Expr| tree_height(x);
    let max = |xs: &[Expr]| xs.iter().map(tree_height).max().unwrap_or(0);
    1 + match &e.kind {
        ExprKind::Bool(_) | ExprKind::Number { .. } | ExprKind::Date(_) | ExprKind::Text(_) => 0,
        ExprKind::Path(segs) => segs.len().saturating_sub(1),
        ExprKind::Field(b, _) | ExprKind::Convert(b, _) | ExprKind::Unary(_, b) | ExprKind::Paren(b) => h(b),
        ExprKind::Index(b, ks) => h(b).max(max(ks)),
        ExprKind::Binary(_, a, b) => h(a).max(h(b)),
        ExprKind::Set(xs) | ExprKind::List(xs) | ExprKind::Call(_, xs) => max(xs),
        ExprKind::If { branches, otherwise } => branches.iter().map(|(c, v)| h(c).max(h(v))).max().unwrap_or(0).max(h(otherwise)),
        ExprKind::Match { scrutinee, arms } => arms.iter().map(|a| h(&a.value).max(max(&a.patterns))).max().unwrap_or(0).max(h(scrutinee)),
        ExprKind::Tiers { subject, tiers, otherwise } => tiers
            .iter()
            .map(|t| {
                let test = match &t.test {
                    TierTest::Cmp(_, b) => h(b),
                    TierTest::Range(a, b) => h(a).max(h(b)),
                };
                test.max(h(&t.value))
            })
            .max()
            .unwrap_or(0)
            .max(h(subject))
            .max(otherwise.as_deref().map(h).unwrap_or(0)),
        ExprKind::Scale { subject, bands, rest } => {
            bands.iter().map(|b| h(&b.width).max(h(&b.rate))).max().unwrap_or(0).max(h(subject)).max(rest.as_deref().map(h).unwrap_or(0))
        }
        ExprKind::Quantifier { list, filter, .. } => h(list).max(filter.as_deref().map(h).unwrap_or(0)),
        ExprKind::Aggregate { value, list, filter, .. } => h(value).max(h(list)).max(filter.as_deref().map(h).unwrap_or(0)),
    }
}

fn p_text(digits: &str, suffix: &str) -> String {
    format!("{digits}{suffix}")
}
