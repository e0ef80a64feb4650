//! Formatter: items.

use super::*;

pub(super) fn ty(t: &TypeExpr) -> String {
    match t {
        TypeExpr::Named(i) => i.name.clone(),
        TypeExpr::List(i) => format!("list {}", i.name),
    }
}

/// ` cite "…" [quote "…"]`, or nothing.
pub(super) fn cite_suffix(c: &Option<Cite>) -> String {
    c.as_ref().map(|c| format!(" {}", cite(c))).unwrap_or_default()
}

pub(super) fn cite(c: &Cite) -> String {
    let policy = c.policy.as_ref().map(|p| format!("{}.", p.name)).unwrap_or_default();
    match &c.quote {
        Some(q) => format!("cite {policy}{} quote {}", quote(&c.clause.value), quote(&q.value)),
        None => format!("cite {policy}{}", quote(&c.clause.value)),
    }
}

/// ` "label"`, or nothing.
pub(super) fn label_suffix(l: &Option<Str>) -> String {
    l.as_ref().map(|l| format!(" {}", quote(&l.value))).unwrap_or_default()
}

pub(super) fn id_prefix(id: &Option<Ident>) -> String {
    id.as_ref().map(|i| format!("{}: ", i.name)).unwrap_or_default()
}

/// The header fields in canonical order, with the span that anchors their
/// comments.
pub(super) fn header_fields(h: &Header) -> Vec<(Span, String)> {
    let mut out: Vec<(Span, String)> = h.amends.iter().map(|a| (a.span, format!("amends {}", a.name))).collect();
    out.extend(h.documents.iter().map(|d| (d.span, format!("document {}", quote(&d.value)))));
    let mut string_field = |name: &str, s: &Option<Str>| {
        if let Some(s) = s {
            out.push((s.span, format!("{name} {}", quote(&s.value))));
        }
    };
    string_field("issuer", &h.issuer);
    string_field("region", &h.region);
    if let Some(d) = &h.issued {
        out.push((d.span, format!("issued {}", date(&d.value))));
    }
    if let Some(f) = &h.in_force {
        let mut s = "in_force".to_string();
        if let Some(d) = &f.from {
            s.push(' ');
            s.push_str(&date(&d.value));
        }
        s.push_str(" ..");
        if let Some(d) = &f.until {
            s.push(' ');
            s.push_str(&date(&d.value));
        }
        out.push((f.span, s));
    }
    let mut string_field = |name: &str, s: &Option<Str>| {
        if let Some(s) = s {
            out.push((s.span, format!("{name} {}", quote(&s.value))));
        }
    };
    string_field("source", &h.source);
    string_field("version", &h.version);
    out
}

pub(super) fn range(r: &RangeDecl) -> Doc {
    let mut parts = vec![text("in")];
    if let Some(lo) = &r.low {
        parts.push(text(" "));
        parts.push(expr(lo));
    }
    parts.push(text(" .."));
    if let Some(hi) = &r.high {
        parts.push(text(" "));
        parts.push(expr(hi));
    }
    cat(parts)
}

/// Whether the expression ends in a number without a suffix, which would
/// take a following word on the same line as its unit.
pub(super) fn ends_in_bare_number(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Number { suffix: None, .. } => true,
        ExprKind::Unary(_, x) => ends_in_bare_number(x),
        _ => false,
    }
}

/// The group an item may share without blank lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GroupKind {
    Use,
    Unit,
    Input,
    Let,
    Fn,
    Clause,
}

pub(super) fn group_kind(item: &Item) -> Option<GroupKind> {
    match item {
        Item::Use(_) => Some(GroupKind::Use),
        Item::Unit(_) => Some(GroupKind::Unit),
        Item::Input(_) => Some(GroupKind::Input),
        Item::Let(_) => Some(GroupKind::Let),
        Item::Fn(_) => Some(GroupKind::Fn),
        Item::Clause(_) => Some(GroupKind::Clause),
        _ => None,
    }
}

/// A one-line construct: its code, and a tail (`"label" cite …`) that moves
/// to a continuation line when the line is too long.
pub(super) struct Entry {
    pub(super) body: Doc,
    pub(super) tail: String,
}

/// `a b c` for the non-empty parts.
pub(super) fn words(parts: &[String]) -> String {
    parts.iter().filter(|p| !p.is_empty()).map(String::as_str).collect::<Vec<_>>().join(" ")
}

pub(super) fn entry(body: Doc, tail: &[String]) -> Entry {
    Entry { body, tail: words(tail) }
}

pub(super) fn label_text(l: &Option<Str>) -> String {
    l.as_ref().map(|l| quote(&l.value)).unwrap_or_default()
}

pub(super) fn cite_text(c: &Option<Cite>) -> String {
    c.as_ref().map(cite).unwrap_or_default()
}

/// The width of `doc` printed flat, `None` if it holds a hard line break.
pub(super) fn flat_width(doc: &Doc) -> Option<usize> {
    match doc {
        Doc::Text(s) => Some(columns(s)),
        Doc::Trailing(_) => None,
        Doc::Line => Some(1),
        Doc::SoftLine | Doc::IfBreak(_) => Some(0),
        Doc::HardLine => None,
        Doc::Nest(d) | Doc::Group(d) => flat_width(d),
        Doc::Concat(parts) => parts.iter().map(flat_width).sum(),
    }
}

/// Renders an entry at `indent`: on one line if it fits; else with the tail
/// on a continuation line (indented 2 more) if the code then fits on one
/// line; else with the code broken and the tail after its last line if it
/// fits there, or on a continuation line.
pub(super) fn render_entry(e: &Entry, indent: usize) -> String {
    if e.tail.is_empty() {
        return render(&e.body, indent);
    }
    let tail = columns(&e.tail);
    let continuation = |body: String| format!("{body}\n{}{}", " ".repeat(indent + INDENT), e.tail);
    if let Some(w) = flat_width(&e.body) {
        if indent + w + 1 + tail <= MAX_WIDTH {
            return format!("{} {}", render(&e.body, indent), e.tail);
        }
        if indent + w <= MAX_WIDTH {
            return continuation(render(&e.body, indent));
        }
    }
    let body = render(&e.body, indent);
    let last = match body.rsplit_once('\n') {
        Some((_, l)) => columns(l),
        None => indent + columns(&body),
    };
    if last + 1 + tail <= MAX_WIDTH {
        format!("{body} {}", e.tail)
    } else {
        continuation(body)
    }
}

/// The entry of an item without a body, `None` for items with one.
pub(super) fn leaf_item(item: &Item) -> Option<Entry> {
    Some(match item {
        Item::Use(d) => {
            let alias = d.alias.as_ref().map(|a| format!(" as {}", a.name)).unwrap_or_default();
            entry(text(format!("use {}{alias}", d.policy.name)), &[])
        }
        Item::Unit(d) => entry(text(format!("unit {} {}", d.name.name, quote(&d.label.value))), &[]),
        Item::Convert(d) => entry(cat(vec![text("convert "), expr(&d.from), text(" = "), expr(&d.to)]), &[cite_text(&d.cite)]),
        Item::Input(d) => {
            let mut parts = vec![text(format!("input {}: {}", d.name.name, ty(&d.ty)))];
            if let Some(r) = &d.range {
                parts.push(text(" "));
                parts.push(range(r));
            }
            if let Some(def) = &d.default {
                let bare_high = d.range.as_ref().and_then(|r| r.high.as_ref()).is_some_and(ends_in_bare_number);
                let lead = if bare_high { Doc::HardLine } else { text(" ") };
                parts.push(nest(cat(vec![lead, text("default "), expr(def)])));
            }
            entry(cat(parts), &[label_text(&d.label)])
        }
        Item::External(d) => {
            let mut head = vec![text(format!("external {}: {}", d.name.name, ty(&d.ty)))];
            if let Some(r) = &d.range {
                head.push(text(" "));
                head.push(range(r));
            }
            head.push(text(format!(" {}", quote(&d.label.value))));
            let source = match &d.source {
                ExternalSource::DefinedIn(s) => format!("defined_in {}", quote(&s.value)),
                ExternalSource::SetBy { authority, criteria } => {
                    let mut s = format!("set_by {}", quote(&authority.value));
                    if !criteria.is_empty() {
                        let list: Vec<String> = criteria.iter().map(|c| quote(&c.value)).collect();
                        s.push_str(" criteria ");
                        s.push_str(&list.join(", "));
                    }
                    s
                }
            };
            let mut tail = vec![Doc::Line, text(source)];
            if let Some(c) = &d.cite {
                tail.push(Doc::Line);
                tail.push(text(cite(c)));
            }
            head.push(nest(cat(tail)));
            entry(group(cat(head)), &[])
        }
        Item::Let(d) => {
            let annot = d.ty.as_ref().map(|t| format!(": {}", ty(t))).unwrap_or_default();
            entry(cat(vec![text(format!("let {}{annot} = ", d.name.name)), expr(&d.value)]), &[label_text(&d.label), cite_text(&d.cite)])
        }
        Item::Fn(d) => {
            let params = d.params.iter().map(|(n, t)| format!("{}: {}", n.name, ty(t))).collect::<Vec<_>>().join(", ");
            let head = format!("fn {}({params}): {} = ", d.name.name, ty(&d.ty));
            entry(cat(vec![text(head), expr(&d.body)]), &[label_text(&d.label), cite_text(&d.cite)])
        }
        Item::Assert(d) => {
            entry(cat(vec![text(format!("assert {}", id_prefix(&d.id))), expr(&d.expr)]), &[quote(&d.label.value), cite_text(&d.cite)])
        }
        Item::Clause(d) => {
            let body = match &d.body {
                ClauseBody::Quote(q) => format!("quote {}", quote(&q.value)),
                ClauseBody::NotComputable(r) => format!("not_computable {}", quote(&r.value)),
            };
            entry(text(format!("clause {}{} {body}", quote(&d.number.value), label_suffix(&d.title))), &[])
        }
        Item::Repeal(d) => entry(text(format!("repeal benefit {}", d.benefit.name)), &[cite_text(&d.cite)]),
        Item::Enum(_) | Item::Record(_) | Item::Param(_) | Item::Table(_) | Item::Benefit(_) | Item::Amend(_) => return None,
    })
}

pub(super) fn clause_entry(c: &BenefitClause) -> Entry {
    match c {
        BenefitClause::Payee(i) => entry(text(format!("payee {}", i.name)), &[]),
        BenefitClause::Per(i) => entry(text(format!("per {}", i.name)), &[]),
        BenefitClause::Cite(c) => entry(text(cite(c)), &[]),
        BenefitClause::DatedBy { expr: e, label, .. } => entry(cat(vec![text("dated_by "), expr(e)]), &[label_text(label)]),
        BenefitClause::Condition(c) => {
            let kw = match c.kind {
                ConditionKind::Applies => "applies_when",
                ConditionKind::Require => "require",
                ConditionKind::Exclude => "exclude",
            };
            entry(cat(vec![text(format!("{kw} {}", id_prefix(&c.id))), expr(&c.expr)]), &[quote(&c.label.value), cite_text(&c.cite)])
        }
        BenefitClause::Amount(a) | BenefitClause::Cap(a) => {
            let kw = if matches!(c, BenefitClause::Amount(_)) { "amount " } else { "cap " };
            entry(cat(vec![text(kw), expr(&a.expr)]), &[label_text(&a.label), cite_text(&a.cite)])
        }
        BenefitClause::Uplift(u) => {
            let until = u.until.as_ref().map(|d| format!(" until {}", date(&d.value))).unwrap_or_default();
            entry(
                cat(vec![text(format!("uplift {}", id_prefix(&u.id))), expr(&u.rate), text(" when "), expr(&u.when), text(until)]),
                &[quote(&u.label.value), cite_text(&u.cite)],
            )
        }
        BenefitClause::Override(o) => entry(
            cat(vec![text(format!("override {}when ", id_prefix(&o.id))), expr(&o.when), text(" => "), expr(&o.value)]),
            &[quote(&o.label.value), cite_text(&o.cite)],
        ),
        BenefitClause::Entitle(o) | BenefitClause::Needs(o) => {
            let kw = if matches!(c, BenefitClause::Entitle(_)) { "entitle" } else { "needs" };
            let mut parts = vec![text(format!("{kw} {}", quote(&o.label.value)))];
            if let Some(w) = &o.when {
                parts.push(text(" when "));
                parts.push(expr(w));
            }
            entry(cat(parts), &[cite_text(&o.cite)])
        }
        BenefitClause::Deadline { label, expr: e, cite: c, .. } => {
            entry(cat(vec![text(format!("deadline {} ", quote(&label.value))), expr(e)]), &[cite_text(c)])
        }
        BenefitClause::Output(o) => {
            let annot = o.ty.as_ref().map(|t| format!(": {}", ty(t))).unwrap_or_default();
            entry(cat(vec![text(format!("output {}{annot} = ", o.id.name)), expr(&o.value)]), &[label_text(&o.label), cite_text(&o.cite)])
        }
        BenefitClause::Version(v) => entry(text(version_head(v)), &[]),
    }
}

/// A change in an `amend benefit` block (a dated version is a block).
pub(super) fn change_entry(c: &Change) -> Entry {
    match c {
        Change::Add(c) => clause_entry(c),
        Change::Replace { clause, .. } => {
            let Entry { body, tail } = clause_entry(clause);
            Entry { body: cat(vec![text("replace "), body]), tail }
        }
        Change::Repeal { id, cite, .. } => entry(text(format!("repeal {}", id.name)), &[cite_text(cite)]),
    }
}

pub(super) fn version_head(v: &VersionBlock) -> String {
    let until = v.until.as_ref().map(|d| format!(" until {}", date(&d.value))).unwrap_or_default();
    format!("from {}{until} {{", date(&v.from.value))
}
