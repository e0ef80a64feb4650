//! Formatter: expressions.

use super::*;

/// A string literal, quoted and escaped.
pub(super) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub(super) fn date(d: &chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(super) fn number(value: &rust_decimal::Decimal, suffix: &Option<Suffix>) -> String {
    let digits = decimal_text(value);
    match suffix {
        None => digits,
        Some(Suffix::Percent) => format!("{digits}%"),
        Some(Suffix::Unit(u)) if u.name == "元" => format!("{digits} yuan"),
        Some(Suffix::Unit(u)) => format!("{digits} {}", u.name),
    }
}

pub(super) fn path(p: &[Ident]) -> String {
    p.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(".")
}

pub(super) fn is_binary(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Binary(..))
}

pub(super) fn paren(d: Doc) -> Doc {
    cat(vec![text("("), d, text(")")])
}

/// An operand position (prefix operand, tier range end, band width): binary
/// expressions need parentheses there.
pub(super) fn operand(e: &Expr) -> Doc {
    if is_binary(e) {
        paren(expr(e))
    } else {
        expr(e)
    }
}

/// The base of `.field`, `[keys]` or `as unit`.
pub(super) fn postfix_base(e: &Expr) -> Doc {
    if matches!(e.kind, ExprKind::Binary(..) | ExprKind::Unary(..)) {
        paren(expr(e))
    } else {
        expr(e)
    }
}

/// `a, b, c` on one line.
pub(super) fn commas(items: &[Expr]) -> Doc {
    let mut parts = Vec::new();
    for (k, e) in items.iter().enumerate() {
        if k > 0 {
            parts.push(text(", "));
        }
        parts.push(expr(e));
    }
    cat(parts)
}

/// `doc`, an entry of a breakable form written at `span`, followed by the
/// comments beside it in the source (which force the form to break).
/// `next` is the span of the following entry, if any.
/// The comments are claimed before `doc` is built, so that an entry takes
/// a comment before the entries nested in it do.
pub(super) fn beside(span: Span, next: Option<Span>, doc: impl FnOnce() -> Doc) -> Doc {
    let notes = claim(span, next);
    let doc = doc();
    if notes.is_empty() {
        return doc;
    }
    let mut parts = vec![doc];
    parts.extend(notes.into_iter().map(Doc::Trailing));
    cat(parts)
}

/// `{a, b}` or `[a, b]`, breaking one element per line.
pub(super) fn bracketed(open: &str, close: &str, items: &[Expr]) -> Doc {
    let mut inner = vec![Doc::SoftLine];
    for (k, e) in items.iter().enumerate() {
        if k > 0 {
            inner.push(text(","));
            inner.push(Doc::Line);
        }
        inner.push(beside(e.span, items.get(k + 1).map(|n| n.span), || expr(e)));
    }
    inner.push(Doc::IfBreak(","));
    group(cat(vec![text(open), nest(cat(inner)), Doc::SoftLine, text(close)]))
}

/// `head { e1, e2 }`, breaking one entry per line.
pub(super) fn braced(head: Doc, entries: Vec<Doc>) -> Doc {
    let mut inner = Vec::new();
    for (k, e) in entries.into_iter().enumerate() {
        if k > 0 {
            inner.push(text(","));
        }
        inner.push(Doc::Line);
        inner.push(e);
    }
    inner.push(Doc::IfBreak(","));
    group(cat(vec![head, text(" {"), nest(cat(inner)), Doc::Line, text("}")]))
}

pub(super) fn filter(f: &Option<Box<Expr>>) -> Doc {
    match f {
        Some(f) => cat(vec![text(" where "), expr(f)]),
        None => text(""),
    }
}

pub(super) fn expr(e: &Expr) -> Doc {
    match &e.kind {
        ExprKind::Bool(b) => text(if *b { "true" } else { "false" }),
        ExprKind::Number { value, suffix } => text(number(value, suffix)),
        ExprKind::Date(d) => text(date(d)),
        ExprKind::Text(s) => text(quote(s)),
        ExprKind::Path(p) => text(path(p)),
        ExprKind::Field(base, f) => {
            // `800 yuan.f` and `x as yuan.f` would read `yuan.f` as a
            // qualified unit name.
            let unit_before = matches!(base.kind, ExprKind::Number { suffix: Some(Suffix::Unit(_)), .. } | ExprKind::Convert(..));
            let dot = if unit_before { " ." } else { "." };
            cat(vec![postfix_base(base), text(format!("{dot}{}", f.name))])
        }
        ExprKind::Index(base, keys) => cat(vec![postfix_base(base), text("["), commas(keys), text("]")]),
        ExprKind::Convert(base, u) => cat(vec![postfix_base(base), text(format!(" as {}", u.name))]),
        ExprKind::Unary(op, x) => {
            let sign = match op {
                UnOp::Neg if matches!(x.kind, ExprKind::Unary(UnOp::Neg, _)) => "- ",
                UnOp::Neg => "-",
                UnOp::Not => "not ",
            };
            cat(vec![text(sign), operand(x)])
        }
        ExprKind::Binary(op, l, r) => {
            let p = op.precedence();
            let left = match &l.kind {
                ExprKind::Binary(lop, ..) if lop.precedence() < p => paren(expr(l)),
                _ => expr(l),
            };
            let right = match &r.kind {
                ExprKind::Binary(rop, ..) if rop.precedence() <= p => paren(expr(r)),
                _ => expr(r),
            };
            cat(vec![left, text(format!(" {} ", op.symbol())), right])
        }
        ExprKind::Paren(x) => paren(expr(x)),
        ExprKind::Set(items) => bracketed("{", "}", items),
        ExprKind::List(items) if items.is_empty() => text("[]"),
        ExprKind::List(items) => bracketed("[", "]", items),
        ExprKind::If { branches, otherwise } => {
            let mut parts = Vec::new();
            for (k, (cond, value)) in branches.iter().enumerate() {
                parts.push(text(if k == 0 { "if " } else { " else if " }));
                parts.push(expr(cond));
                parts.push(text(" {"));
                parts.push(nest(cat(vec![Doc::Line, beside(value.span, None, || expr(value))])));
                parts.push(Doc::Line);
                parts.push(text("}"));
            }
            parts.push(text(" else {"));
            parts.push(nest(cat(vec![Doc::Line, beside(otherwise.span, None, || expr(otherwise))])));
            parts.push(Doc::Line);
            parts.push(text("}"));
            group(cat(parts))
        }
        ExprKind::Match { scrutinee, arms } => {
            let entries = arms
                .iter()
                .enumerate()
                .map(|(k, arm)| {
                    let pats = if arm.patterns.is_empty() {
                        "_".to_string()
                    } else {
                        arm.patterns
                            .iter()
                            .map(|p| match &p.kind {
                                ExprKind::Path(segs) => path(segs),
                                _ => render(&expr(p), 0),
                            })
                            .collect::<Vec<_>>()
                            .join(" | ")
                    };
                    let next = arms.get(k + 1).map(|a| a.span);
                    beside(arm.span, next, || cat(vec![text(pats), text(" => "), expr(&arm.value)]))
                })
                .collect();
            braced(cat(vec![text("match "), expr(scrutinee)]), entries)
        }
        ExprKind::Tiers { subject, tiers, otherwise } => {
            let mut entries: Vec<Doc> = tiers
                .iter()
                .enumerate()
                .map(|(k, t)| {
                    let next = tiers.get(k + 1).map(|n| n.span).or(otherwise.as_ref().map(|o| o.span));
                    beside(t.span, next, || {
                        let test = match &t.test {
                            TierTest::Cmp(op, x) => cat(vec![text(format!("{} ", op.symbol())), expr(x)]),
                            TierTest::Range(lo, hi) => cat(vec![operand(lo), text(" .. "), operand(hi)]),
                        };
                        cat(vec![test, text(" => "), expr(&t.value)])
                    })
                })
                .collect();
            if let Some(o) = otherwise {
                entries.push(beside(o.span, None, || cat(vec![text("else => "), expr(o)])));
            }
            braced(cat(vec![text("tiers "), expr(subject)]), entries)
        }
        ExprKind::Scale { subject, bands, rest } => {
            let mut entries: Vec<Doc> = bands
                .iter()
                .enumerate()
                .map(|(k, b)| {
                    let word = if k == 0 { "first " } else { "next " };
                    let next = bands.get(k + 1).map(|n| n.span).or(rest.as_ref().map(|r| r.span));
                    beside(b.span, next, || cat(vec![text(word), operand(&b.width), text(" at "), expr(&b.rate)]))
                })
                .collect();
            if let Some(r) = rest {
                entries.push(beside(r.span, None, || cat(vec![text("then at "), expr(r)])));
            }
            braced(cat(vec![text("scale "), expr(subject)]), entries)
        }
        ExprKind::Quantifier { kind, var, list, filter: f } => {
            let name = match kind {
                QuantKind::Count => "count",
                QuantKind::Any => "any",
                QuantKind::All => "all",
            };
            cat(vec![text(format!("{name}({} in ", var.name)), expr(list), filter(f), text(")")])
        }
        ExprKind::Aggregate { kind, value, var, list, filter: f } => {
            let name = match kind {
                AggKind::Sum => "sum",
                AggKind::Min => "min",
                AggKind::Max => "max",
                AggKind::Avg => "avg",
            };
            cat(vec![text(format!("{name}(")), expr(value), text(format!(" for {} in ", var.name)), expr(list), filter(f), text(")")])
        }
        ExprKind::Call(f, args) => cat(vec![text(format!("{}(", f.name)), commas(args), text(")")]),
    }
}
