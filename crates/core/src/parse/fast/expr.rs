//! Expressions (`policy.pest`'s `expr`, `operand`, `primary` and the forms
//! they hold), folded and bounded as `parse.rs`'s lowering does.

use super::{is_ident_char, is_ident_start, Fast};
use crate::ast::*;
use crate::limits;
use crate::parse::{tree_height, MAX_TREE_HEIGHT};

impl Fast<'_> {
    fn give_up<T>(&mut self) -> Option<T> {
        self.bail = true;
        None
    }

    // ------------------------------------------------------------ expressions

    pub(super) fn expr(&mut self) -> Option<Expr> {
        // Give up as soon as the lowering would: no deeper recursion, and no
        // tall tree built only to be dropped (recursively) again.
        if self.bail || self.depth >= limits::MAX_EXPR_DEPTH {
            return self.give_up();
        }
        self.depth += 1;
        let r = self.expr_inner();
        self.depth -= 1;
        r
    }

    /// `operand ~ (infix ~ operand)*`, folded by precedence as the lowering
    /// does (shunting-yard, heights bounded).
    pub(super) fn expr_inner(&mut self) -> Option<Expr> {
        let first = self.operand()?;
        let mut heights = vec![tree_height(&first)];
        let mut operands = vec![first];
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
        while let Some((op, e)) = self.attempt(|p| {
            let op = p.infix()?;
            Some((op, p.operand()?))
        }) {
            while ops.last().is_some_and(|top| top.precedence() >= op.precedence()) {
                if reduce(&mut operands, &mut heights, &mut ops)? > MAX_TREE_HEIGHT {
                    return self.give_up();
                }
            }
            ops.push(op);
            heights.push(tree_height(&e));
            operands.push(e);
        }
        while !ops.is_empty() {
            if reduce(&mut operands, &mut heights, &mut ops)? > MAX_TREE_HEIGHT {
                return self.give_up();
            }
        }
        operands.pop()
    }

    pub(super) fn infix(&mut self) -> Option<BinOp> {
        self.skip();
        let rest = self.rest().as_bytes();
        let (op, n) = match rest {
            [b'>', b'=', ..] => (BinOp::Ge, 2),
            [b'<', b'=', ..] => (BinOp::Le, 2),
            [b'=', b'=', ..] => (BinOp::Eq, 2),
            [b'!', b'=', ..] => (BinOp::Ne, 2),
            [b'>', ..] => (BinOp::Gt, 1),
            [b'<', ..] => (BinOp::Lt, 1),
            [b'+', ..] => (BinOp::Add, 1),
            [b'-', ..] => (BinOp::Sub, 1),
            [b'*', ..] => (BinOp::Mul, 1),
            [b'/', ..] => (BinOp::Div, 1),
            _ => match self.word() {
                "and" => (BinOp::And, 3),
                "or" => (BinOp::Or, 2),
                "in" => (BinOp::In, 2),
                _ => return None,
            },
        };
        self.advance(n);
        Some(op)
    }

    /// `prefix* ~ primary ~ postfix*`.
    pub(super) fn operand(&mut self) -> Option<Expr> {
        let mut prefixes = Vec::new();
        loop {
            self.skip();
            let start = self.pos;
            if self.rest().starts_with('-') {
                self.advance(1);
                prefixes.push((UnOp::Neg, self.span_from(start)));
            } else if self.word() == "not" {
                self.advance(3);
                prefixes.push((UnOp::Not, self.span_from(start)));
            } else {
                break;
            }
        }
        let mut current = self.primary()?;
        let mut height = tree_height(&current);
        loop {
            let m = self.mark();
            self.skip();
            let pstart = self.pos;
            let base_span = current.span;
            let kind = if self.rest().starts_with('.') {
                self.advance(1);
                self.ident().map(|i| (0, i))
            } else if self.rest().starts_with('[') {
                self.advance(1);
                let args = self.attempt(|p| {
                    let first = p.expr()?;
                    let args = p.comma_list(first, Self::expr);
                    p.lit("]").then_some(args)
                });
                match args {
                    Some(args) => {
                        height += 1;
                        height = height.max(args.iter().map(tree_height).max().unwrap_or(0) + 1);
                        if height > MAX_TREE_HEIGHT {
                            return self.give_up();
                        }
                        let span = base_span.join(self.span_from(pstart));
                        current = Expr { kind: ExprKind::Index(Box::new(current), args), span };
                        continue;
                    }
                    None => None,
                }
            } else if self.kw("as") {
                self.skip();
                self.dotted_atomic(1).map(|u| (1, u))
            } else {
                None
            };
            let Some((which, ident)) = kind else {
                self.reset(m);
                break;
            };
            height += 1;
            if height > MAX_TREE_HEIGHT {
                return self.give_up();
            }
            let span = base_span.join(self.span_from(pstart));
            let base = Box::new(current);
            current = Expr { kind: if which == 0 { ExprKind::Field(base, ident) } else { ExprKind::Convert(base, ident) }, span };
        }
        if prefixes.len() > limits::MAX_EXPR_DEPTH || height + prefixes.len() > MAX_TREE_HEIGHT {
            return self.give_up();
        }
        for (op, span) in prefixes.into_iter().rev() {
            let span = span.join(current.span);
            current = Expr { kind: ExprKind::Unary(op, Box::new(current)), span };
        }
        Some(current)
    }

    pub(super) fn primary(&mut self) -> Option<Expr> {
        if self.bail {
            return None;
        }
        self.skip();
        let start = self.pos;
        let c = self.peek()?;
        if c.is_ascii_digit() {
            if let Some(d) = self.attempt(Self::date) {
                return Some(Expr { kind: ExprKind::Date(d.value), span: d.span });
            }
            return self.quantity();
        }
        match c {
            '"' => {
                let s = self.string()?;
                return Some(Expr { kind: ExprKind::Text(s.value), span: s.span });
            }
            '{' => {
                let xs = self.attempt(|p| {
                    p.advance(1);
                    let first = p.expr()?;
                    let xs = p.comma_list(first, Self::expr);
                    p.attempt(|p| p.lit(",").then_some(()));
                    p.lit("}").then_some(xs)
                })?;
                return Some(Expr { kind: ExprKind::Set(xs), span: self.span_from(start) });
            }
            '[' => {
                let xs = self.attempt(|p| {
                    p.advance(1);
                    let xs = match p.attempt(Self::expr) {
                        Some(first) => {
                            let xs = p.comma_list(first, Self::expr);
                            p.attempt(|p| p.lit(",").then_some(()));
                            xs
                        }
                        None => Vec::new(),
                    };
                    p.lit("]").then_some(xs)
                })?;
                return Some(Expr { kind: ExprKind::List(xs), span: self.span_from(start) });
            }
            '(' => {
                let e = self.attempt(|p| {
                    p.advance(1);
                    let e = p.expr()?;
                    p.lit(")").then_some(e)
                })?;
                return Some(Expr { kind: ExprKind::Paren(Box::new(e)), span: self.span_from(start) });
            }
            _ => {}
        }
        if !is_ident_start(c) {
            return None;
        }
        let word = self.word();
        let kind = match word {
            "true" | "false" => {
                self.advance(word.len());
                ExprKind::Bool(word == "true")
            }
            "if" => self.attempt(Self::if_expr)?,
            "match" => self.attempt(Self::match_expr)?,
            "tiers" => self.attempt(Self::tiers_expr)?,
            "scale" => self.attempt(Self::scale_expr)?,
            _ => {
                let special = match word {
                    "count" | "any" | "all" => self.attempt(Self::quantifier),
                    "sum" | "min" | "max" | "avg" => self.attempt(Self::comprehension),
                    _ => None,
                };
                match special {
                    Some(k) => k,
                    None => match self.attempt(Self::call) {
                        Some(k) => k,
                        None => self.path()?,
                    },
                }
            }
        };
        Some(Expr { kind, span: self.span_from(start) })
    }

    pub(super) fn block(&mut self) -> Option<Expr> {
        if !self.lit("{") {
            return None;
        }
        let e = self.expr()?;
        self.lit("}").then_some(e)
    }

    pub(super) fn if_expr(&mut self) -> Option<ExprKind> {
        if !self.kw("if") {
            return None;
        }
        let c = self.expr()?;
        let v = self.block()?;
        let mut branches = vec![(c, v)];
        while let Some(b) = self.attempt(|p| {
            if !(p.kw("else") && p.kw("if")) {
                return None;
            }
            let c = p.expr()?;
            Some((c, p.block()?))
        }) {
            branches.push(b);
        }
        if !self.kw("else") {
            return None;
        }
        let otherwise = Box::new(self.block()?);
        Some(ExprKind::If { branches, otherwise })
    }

    pub(super) fn match_expr(&mut self) -> Option<ExprKind> {
        if !self.kw("match") {
            return None;
        }
        let scrutinee = Box::new(self.expr()?);
        if !self.lit("{") {
            return None;
        }
        let first = self.match_arm()?;
        let arms = self.comma_list(first, Self::match_arm);
        self.attempt(|p| p.lit(",").then_some(()));
        if !self.lit("}") {
            return None;
        }
        Some(ExprKind::Match { scrutinee, arms })
    }

    pub(super) fn match_arm(&mut self) -> Option<MatchArm> {
        self.skip();
        let start = self.pos;
        let wildcard = self.attempt(|p| {
            if !p.kw("_") {
                return None;
            }
            p.skip();
            (!p.peek().is_some_and(is_ident_char)).then_some(())
        });
        let patterns = if wildcard.is_some() {
            Vec::new()
        } else {
            let first = self.path_expr()?;
            let mut pats = vec![first];
            while let Some(x) = self.attempt(|p| if p.lit("|") { p.path_expr() } else { None }) {
                pats.push(x);
            }
            pats
        };
        if !self.lit("=>") {
            return None;
        }
        let value = self.expr()?;
        Some(MatchArm { patterns, value, span: self.span_from(start) })
    }

    pub(super) fn path_expr(&mut self) -> Option<Expr> {
        self.skip();
        let start = self.pos;
        let kind = self.path()?;
        Some(Expr { kind, span: self.span_from(start) })
    }

    /// `path = { ident ~ ("." ~ ident)* }` (non-atomic).
    pub(super) fn path(&mut self) -> Option<ExprKind> {
        let first = self.ident()?;
        let mut segs = vec![first];
        while let Some(i) = self.attempt(|p| if p.lit(".") { p.ident() } else { None }) {
            segs.push(i);
        }
        Some(ExprKind::Path(segs))
    }

    pub(super) fn call(&mut self) -> Option<ExprKind> {
        self.skip();
        let f = self.dotted_atomic(1)?;
        if !self.lit("(") {
            return None;
        }
        let args = match self.attempt(Self::expr) {
            Some(first) => self.comma_list(first, Self::expr),
            None => Vec::new(),
        };
        self.lit(")").then_some(ExprKind::Call(f, args))
    }

    pub(super) fn tiers_expr(&mut self) -> Option<ExprKind> {
        if !self.kw("tiers") {
            return None;
        }
        let subject = Box::new(self.expr()?);
        if !self.lit("{") {
            return None;
        }
        let first = self.tier()?;
        let tiers = self.comma_list(first, Self::tier);
        let otherwise = self.attempt(|p| {
            if !(p.lit(",") && p.kw("else") && p.lit("=>")) {
                return None;
            }
            p.expr()
        });
        self.attempt(|p| p.lit(",").then_some(()));
        if !self.lit("}") {
            return None;
        }
        Some(ExprKind::Tiers { subject, tiers, otherwise: otherwise.map(Box::new) })
    }

    pub(super) fn tier(&mut self) -> Option<Tier> {
        self.skip();
        let start = self.pos;
        let range = self.attempt(|p| {
            let lo = p.operand()?;
            if !p.lit("..") {
                return None;
            }
            let hi = p.operand()?;
            Some(TierTest::Range(lo, hi))
        });
        let test = match range {
            Some(t) => t,
            None => {
                self.skip();
                let rest = self.rest().as_bytes();
                let (op, n) = match rest {
                    [b'>', b'=', ..] => (BinOp::Ge, 2),
                    [b'>', ..] => (BinOp::Gt, 1),
                    [b'<', b'=', ..] => (BinOp::Le, 2),
                    [b'<', ..] => (BinOp::Lt, 1),
                    _ => return None,
                };
                self.advance(n);
                TierTest::Cmp(op, self.expr()?)
            }
        };
        if !self.lit("=>") {
            return None;
        }
        let value = self.expr()?;
        Some(Tier { test, value, span: self.span_from(start) })
    }

    pub(super) fn scale_expr(&mut self) -> Option<ExprKind> {
        if !self.kw("scale") {
            return None;
        }
        let subject = Box::new(self.expr()?);
        if !self.lit("{") {
            return None;
        }
        let first = self.band()?;
        let bands = self.comma_list(first, Self::band);
        let rest = self.attempt(|p| {
            if !(p.lit(",") && p.kw("then") && p.kw("at")) {
                return None;
            }
            p.expr()
        });
        self.attempt(|p| p.lit(",").then_some(()));
        if !self.lit("}") {
            return None;
        }
        Some(ExprKind::Scale { subject, bands, rest: rest.map(Box::new) })
    }

    pub(super) fn band(&mut self) -> Option<Band> {
        self.skip();
        let start = self.pos;
        if !(self.kw("first") || self.kw("next")) {
            return None;
        }
        let width = self.operand()?;
        if !self.kw("at") {
            return None;
        }
        let rate = self.expr()?;
        Some(Band { width, rate, span: self.span_from(start) })
    }

    pub(super) fn quantifier(&mut self) -> Option<ExprKind> {
        self.skip();
        let kind = match self.word() {
            "count" => QuantKind::Count,
            "any" => QuantKind::Any,
            "all" => QuantKind::All,
            _ => return None,
        };
        let n = self.word().len();
        self.advance(n);
        if !self.lit("(") {
            return None;
        }
        let var = self.ident()?;
        if !self.kw("in") {
            return None;
        }
        let list = Box::new(self.expr()?);
        let filter = self.attempt(|p| if p.kw("where") { p.expr() } else { None }).map(Box::new);
        self.lit(")").then_some(ExprKind::Quantifier { kind, var, list, filter })
    }

    pub(super) fn comprehension(&mut self) -> Option<ExprKind> {
        self.skip();
        let kind = match self.word() {
            "sum" => AggKind::Sum,
            "min" => AggKind::Min,
            "max" => AggKind::Max,
            "avg" => AggKind::Avg,
            _ => return None,
        };
        let n = self.word().len();
        self.advance(n);
        if !self.lit("(") {
            return None;
        }
        let value = Box::new(self.expr()?);
        if !self.kw("for") {
            return None;
        }
        let var = self.ident()?;
        if !self.kw("in") {
            return None;
        }
        let list = Box::new(self.expr()?);
        let filter = self.attempt(|p| if p.kw("where") { p.expr() } else { None }).map(Box::new);
        self.lit(")").then_some(ExprKind::Aggregate { kind, value, var, list, filter })
    }
}
