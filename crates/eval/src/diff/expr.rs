//! Expressions compared and shown: canonical forms,
//! source text, and `old → new` naming the tier or band that moved.

use super::*;

pub(super) fn duration_unit(u: DurationUnit) -> &'static str {
    match u {
        DurationUnit::Days => "days",
        DurationUnit::Months => "months",
        DurationUnit::Years => "years",
    }
}

/// A value as the policy would write it (`600 yuan`, `80%`, `junior`).
pub(super) fn show_val(p: &CheckedPolicy, v: &Value, ty: &Type) -> String {
    match (v, ty) {
        (Value::Num(d), Type::Money) => format!("{} yuan", d.normalize()),
        (Value::Num(d), Type::Percent) => percent_string(*d),
        (Value::Num(d), Type::Quantity(_)) => format!("{} {}", d.normalize(), p.type_name(ty)),
        (Value::Num(d), _) => d.normalize().to_string(),
        (Value::Bool(b), _) => b.to_string(),
        (Value::Date(d), _) => d.to_string(),
        (Value::Duration(d), _) => format!("{} {}", d.amount, duration_unit(d.unit)),
        (Value::Text(s), _) => format!("{s:?}"),
        (Value::Enum(i), Type::Enum(e)) => {
            p.enums.get(e.index()).and_then(|e| e.variants.get(*i as usize)).map(|v| v.0.clone()).unwrap_or_else(|| format!("#{i}"))
        }
        (Value::Enum(i), _) => format!("#{i}"),
        (Value::Record(fields), Type::Record(r)) => {
            let def = p.records.get(r.index());
            let parts: Vec<String> = fields
                .iter()
                .enumerate()
                .map(|(i, f)| match def.and_then(|d| d.fields.get(i)) {
                    Some((name, fty, _)) => format!("{name}: {}", show_val(p, f, fty)),
                    None => show_val(p, f, &Type::Error),
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        (Value::Record(fields), _) => format!("{{{} fields}}", fields.len()),
        (Value::List(xs), Type::List(elem)) => format!("[{}]", xs.iter().map(|x| show_val(p, x, elem)).collect::<Vec<_>>().join(", ")),
        (Value::List(xs), _) => format!("[{} items]", xs.len()),
    }
}

/// A canonical rendering of an expression: names resolved, spans and ids
/// ignored, set members and match arms sorted. Equal renderings mean the
/// same computation.
pub(super) fn canon(p: &CheckedPolicy, e: &CExpr) -> String {
    let mut s = String::new();
    canon_into(p, e, &mut s);
    s
}

pub(super) fn canon_into(p: &CheckedPolicy, e: &CExpr, out: &mut String) {
    let name_of = |x: Option<&String>| x.cloned().unwrap_or_else(|| "?".into());
    let list = |items: &[CExpr]| items.iter().map(|x| canon(p, x)).collect::<Vec<_>>().join(", ");
    match &e.kind {
        CKind::Const(v) => out.push_str(&format!("{}:{}", show_val(p, v, &e.ty), p.type_name(&e.ty))),
        CKind::Input(id) => out.push_str(&format!("input {}", name_of(p.inputs.get(id.index()).map(|d| &d.name)))),
        CKind::Let(id) => out.push_str(&format!("let {}", name_of(p.lets.get(id.index()).map(|d| &d.name)))),
        CKind::Param(id) => out.push_str(&format!("param {}", name_of(p.params.get(id.index()).map(|d| &d.name)))),
        CKind::External(id) => out.push_str(&format!("external {}", name_of(p.externals.get(id.index()).map(|d| &d.name)))),
        CKind::Local(i) => out.push_str(&format!("${i}")),
        CKind::Amount => out.push_str("amount"),
        CKind::AsOf => out.push_str("as_of"),
        CKind::BenefitAmount(b) => out.push_str(&format!("amount_of({})", p.benefits.get(*b as usize).map(|d| &*d.id).unwrap_or("?"))),
        // The body is part of the call's meaning: a changed function changes every call.
        CKind::Apply(f, args) => match p.functions.get(f.index()) {
            Some(def) => out.push_str(&format!("fn {}[{}]({})", def.name, canon(p, &def.body), list(args))),
            None => out.push_str(&format!("fn ?({})", list(args))),
        },
        CKind::Table(t) => out.push_str(&format!("table {}", name_of(p.tables.get(t.index()).map(|d| &d.name)))),
        CKind::Lookup(t, keys) => out.push_str(&format!("{}[{}]", name_of(p.tables.get(t.index()).map(|d| &d.name)), list(keys))),
        CKind::Exists(t, keys) => out.push_str(&format!("exists({}[{}])", name_of(p.tables.get(t.index()).map(|d| &d.name)), list(keys))),
        CKind::Present(id) => out.push_str(&format!("present({})", name_of(p.inputs.get(id.index()).map(|d| &d.name)))),
        CKind::Field(b, i) => {
            let field = match &b.ty {
                Type::Record(r) => p.records.get(r.index()).and_then(|r| r.fields.get(*i as usize)).map(|f| f.0.clone()),
                _ => None,
            };
            out.push_str(&format!("({}).{}", canon(p, b), field.unwrap_or_else(|| format!("#{i}"))));
        }
        CKind::Convert(b, fc, tc) => {
            out.push_str(&format!("({} as {} ×{}/{})", canon(p, b), p.type_name(&e.ty), tc.normalize(), fc.normalize()))
        }
        CKind::Unary(op, x) => {
            let o = match op {
                UnOp::Neg => "-",
                UnOp::Not => "not ",
            };
            out.push_str(&format!("{o}({})", canon(p, x)));
        }
        CKind::Binary(op, a, b) => out.push_str(&format!("({} {} {})", canon(p, a), op.symbol(), canon(p, b))),
        CKind::InSet(x, items) => {
            let mut members: Vec<String> = items.iter().map(|i| canon(p, i)).collect();
            members.sort();
            members.dedup();
            out.push_str(&format!("({} in {{{}}})", canon(p, x), members.join(", ")));
        }
        CKind::InList(x, l) => out.push_str(&format!("({} in {})", canon(p, x), canon(p, l))),
        CKind::List(items) => out.push_str(&format!("[{}]", list(items))),
        CKind::If(branches, other) => {
            out.push_str("if(");
            for (c, x) in branches {
                out.push_str(&format!("{} => {}; ", canon(p, c), canon(p, x)));
            }
            out.push_str(&format!("else => {})", canon(p, other)));
        }
        CKind::Match(s, arms) => {
            let variants: Vec<String> = match &s.ty {
                Type::Enum(en) => p.enums.get(en.index()).map(|d| d.variants.iter().map(|v| v.0.clone()).collect()).unwrap_or_default(),
                _ => Vec::new(),
            };
            let mut explicit: Vec<String> = Vec::new();
            let mut rest: Option<String> = None;
            for (pats, x) in arms {
                match pats {
                    Some(ps) => {
                        let mut names: Vec<String> =
                            ps.iter().map(|i| variants.get(*i as usize).cloned().unwrap_or_else(|| format!("#{i}"))).collect();
                        names.sort();
                        explicit.push(format!("{} => {}", names.join(" | "), canon(p, x)));
                    }
                    None => {
                        if rest.is_none() {
                            rest = Some(canon(p, x));
                        }
                    }
                }
            }
            explicit.sort();
            out.push_str(&format!("match({}; {}", canon(p, s), explicit.join("; ")));
            if let Some(r) = rest {
                out.push_str(&format!("; _ => {r}"));
            }
            out.push(')');
        }
        CKind::Tiers { subject, tiers, otherwise } => {
            out.push_str(&format!("tiers({}", canon(p, subject)));
            for t in tiers {
                let test = match &t.test {
                    CTierTest::Cmp(op, b) => format!("{} {}", op.symbol(), canon(p, b)),
                    CTierTest::Range(a, b) => format!("{} .. {}", canon(p, a), canon(p, b)),
                };
                out.push_str(&format!("; {test} => {}", canon(p, &t.value)));
            }
            if let Some(o) = otherwise {
                out.push_str(&format!("; else => {}", canon(p, o)));
            }
            out.push(')');
        }
        CKind::Scale { subject, bands, rest } => {
            out.push_str(&format!("scale({}", canon(p, subject)));
            for (w, r) in bands {
                out.push_str(&format!("; {} at {}", canon(p, w), canon(p, r)));
            }
            if let Some(r) = rest {
                out.push_str(&format!("; then at {}", canon(p, r)));
            }
            out.push(')');
        }
        CKind::Quant(k, l, f) => {
            out.push_str(&format!("{k:?}({}", canon(p, l)));
            if let Some(f) = f {
                out.push_str(&format!(" where {}", canon(p, f)));
            }
            out.push(')');
        }
        CKind::Agg(k, l, x, f) => {
            out.push_str(&format!("{k:?}({} for {}", canon(p, x), canon(p, l)));
            if let Some(f) = f {
                out.push_str(&format!(" where {}", canon(p, f)));
            }
            out.push(')');
        }
        CKind::Call(f, args) => out.push_str(&format!("{f:?}({})", list(args))),
    }
}

/// The expression's source text with whitespace runs collapsed, or its
/// canonical rendering when the text is not available.
pub(super) fn text(p: &CheckedPolicy, e: &CExpr) -> String {
    p.files
        .get(e.file.index())
        .and_then(|f| f.text.get(e.span.start..e.span.end))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| canon(p, e))
}

/// `old → new` for two expressions, naming the tier or band that moved
/// (`tier 2: 40 → 42`) when only some of them did, and falling back to
/// their canonical forms when the source texts happen to read the same.
pub(super) fn arrow(o: &CheckedPolicy, oe: &CExpr, n: &CheckedPolicy, ne: &CExpr) -> String {
    moved(o, oe, n, ne, 0).unwrap_or_else(|| whole_arrow(o, oe, n, ne))
}

/// The parts of two same-shaped expressions that differ, by name: tiers
/// and bands (by position), the `else` of tiers, the rate beyond a scale;
/// through an expression whose only change is in one operand, that operand.
pub(super) fn moved(o: &CheckedPolicy, oe: &CExpr, n: &CheckedPolicy, ne: &CExpr, depth: usize) -> Option<String> {
    if depth > 32 {
        return None;
    }
    let same = |a: &CExpr, b: &CExpr| canon(o, a) == canon(n, b);
    let join = |parts: Vec<String>| (!parts.is_empty()).then(|| parts.join("; "));
    match (&oe.kind, &ne.kind) {
        (CKind::Tiers { subject: sa, tiers: ta, otherwise: ea }, CKind::Tiers { subject: sb, tiers: tb, otherwise: eb })
            if same(sa, sb) && ta.len() == tb.len() =>
        {
            let mut parts = Vec::new();
            for (i, (a, b)) in ta.iter().zip(tb).enumerate() {
                let test_same = match (&a.test, &b.test) {
                    (CTierTest::Cmp(x, l), CTierTest::Cmp(y, r)) => x == y && same(l, r),
                    (CTierTest::Range(l1, h1), CTierTest::Range(l2, h2)) => same(l1, l2) && same(h1, h2),
                    _ => false,
                };
                if !test_same {
                    let span_text = |p: &CheckedPolicy, e: &CExpr, t: &policy_core::checked::CTier| {
                        p.files
                            .get(e.file.index())
                            .and_then(|f| f.text.get(t.span.start..t.span.end))
                            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
                            .unwrap_or_else(|| canon(p, &t.value))
                    };
                    parts.push(format!("tier {}: {} → {}", i + 1, span_text(o, oe, a), span_text(n, ne, b)));
                } else if !same(&a.value, &b.value) {
                    parts.push(format!("tier {}: {}", i + 1, whole_arrow(o, &a.value, n, &b.value)));
                }
            }
            match (ea, eb) {
                (Some(a), Some(b)) if !same(a, b) => parts.push(format!("else: {}", whole_arrow(o, a, n, b))),
                (Some(a), None) => parts.push(format!("else removed: {}", text(o, a))),
                (None, Some(b)) => parts.push(format!("else added: {}", text(n, b))),
                _ => {}
            }
            join(parts)
        }
        (CKind::Scale { subject: sa, bands: ba, rest: ra }, CKind::Scale { subject: sb, bands: bb, rest: rb })
            if same(sa, sb) && ba.len() == bb.len() =>
        {
            let mut parts = Vec::new();
            for (i, ((wa, xa), (wb, xb))) in ba.iter().zip(bb).enumerate() {
                if !same(wa, wb) {
                    parts.push(format!("band {} width: {}", i + 1, whole_arrow(o, wa, n, wb)));
                }
                if !same(xa, xb) {
                    parts.push(format!("band {} rate: {}", i + 1, whole_arrow(o, xa, n, xb)));
                }
            }
            match (ra, rb) {
                (Some(a), Some(b)) if !same(a, b) => parts.push(format!("rate beyond: {}", whole_arrow(o, a, n, b))),
                (Some(a), None) => parts.push(format!("rate beyond removed: {}", text(o, a))),
                (None, Some(b)) => parts.push(format!("rate beyond added: {}", text(n, b))),
                _ => {}
            }
            join(parts)
        }
        _ => {
            // One operand changed and nothing else: look inside it, when it
            // holds tiers or a scale.
            let (ca, cb) = (oe.children(), ne.children());
            if std::mem::discriminant(&oe.kind) != std::mem::discriminant(&ne.kind) || ca.len() != cb.len() {
                return None;
            }
            let differing: Vec<(&CExpr, &CExpr)> = ca.into_iter().zip(cb).filter(|(a, b)| !same(a, b)).collect();
            let [(a, b)] = differing.as_slice() else { return None };
            let hole = |p: &CheckedPolicy, whole: &CExpr, part: &CExpr| canon(p, whole).replacen(&canon(p, part), "\u{0}", 1);
            if hole(o, oe, a) != hole(n, ne, b) {
                return None;
            }
            moved(o, a, n, b, depth + 1)
        }
    }
}

/// `old → new` for two whole expressions.
pub(super) fn whole_arrow(o: &CheckedPolicy, oe: &CExpr, n: &CheckedPolicy, ne: &CExpr) -> String {
    let (a, b) = (text(o, oe), text(n, ne));
    if a == b {
        format!("{} → {}", canon(o, oe), canon(n, ne))
    } else {
        format!("{a} → {b}")
    }
}
