//! Hover: a name's declaration as written (type, range, default), its label,
//! its citation with the quoted sentence; a clause's sentences from the
//! source document; a parameter's dated values; a table's row for a lookup
//! with constant keys.

use crate::index::{Def, DefKind, Target};
use crate::workspace::{Analysis, FileData};
use policy_core::ast::{self, Cite, ClauseBody, ClauseDecl, Expr, ExprKind, Item, TypeExpr};
use policy_core::fmt::format_expr;
use std::path::PathBuf;
use std::sync::Arc;

/// The file a target's declaration is in, and the declaration.
pub fn resolve<'a>(a: &'a Analysis, target: &Target) -> Option<(&'a Arc<FileData>, &'a Def)> {
    match target {
        Target::Local(i) => Some((&a.file, a.file.index.defs.get(*i)?)),
        Target::Imported { alias, name } => {
            let f = a.import(alias)?;
            Some((f, f.index.lookup(name)?))
        }
        Target::Clause { alias, number } => {
            let f = match alias {
                Some(al) => a.import(al)?,
                None => &a.file,
            };
            Some((f, f.index.clause(number)?))
        }
        Target::Unresolved(_) => None,
    }
}

/// The clause declaration a def names.
pub fn clause_decl<'a>(f: &'a FileData, def: &Def) -> Option<&'a ClauseDecl> {
    match f.ast.as_ref()?.items.get(def.item)? {
        Item::Clause(c) => Some(c),
        _ => None,
    }
}

/// The clause's quoted sentence (or the cite's own quote).
pub fn quote_of(c: &ClauseDecl) -> Option<&str> {
    match &c.body {
        ClauseBody::Quote(q) => Some(&q.value),
        ClauseBody::NotComputable(_) => None,
    }
}

/// Where `quote` is in the file's source document: (path, text, byte range).
pub fn find_quote(f: &FileData, quote: &str) -> Option<(PathBuf, String, usize, usize)> {
    let path = Analysis::source_path(f)?;
    let text = std::fs::read_to_string(&path).ok()?;
    let start = text.find(quote)?;
    Some((path, text.clone(), start, start + quote.len()))
}

/// The paragraph (line) of the source document holding `quote`, with the quote in bold.
pub fn source_sentences(f: &FileData, quote: &str) -> Option<String> {
    let (_, text, start, end) = find_quote(f, quote)?;
    let line_start = text.get(..start)?.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = text.get(end..)?.find('\n').map(|i| end + i).unwrap_or(text.len());
    let before = text.get(line_start..start)?.trim_start();
    let after = text.get(end..line_end)?.trim_end();
    Some(format!("{before}**{quote}**{after}"))
}

fn type_text(t: &TypeExpr) -> String {
    match t {
        TypeExpr::Named(i) => i.name.clone(),
        TypeExpr::List(i) => format!("list {}", i.name),
    }
}

fn range_text(r: Option<&ast::RangeDecl>) -> String {
    let Some(r) = r else { return String::new() };
    let low = r.low.as_ref().map(format_expr).unwrap_or_default();
    let high = r.high.as_ref().map(format_expr).unwrap_or_default();
    format!(" in {low} .. {high}").replace("  ", " ")
}

fn label_line(out: &mut String, label: Option<&ast::Str>) {
    if let Some(l) = label {
        out.push_str(&format!("\n\n{}", l.value));
    }
}

/// Renders a citation: the clause, its heading, and the quoted sentence.
pub fn cite_text(a: &Analysis, file: &FileData, cite: &Cite) -> String {
    let target_file = match &cite.policy {
        Some(alias) => file.index.aliases.get(&alias.name).and_then(|id| a.imports.get(id)).map(|f| f.as_ref()),
        None => Some(file),
    };
    let decl = target_file.and_then(|f| f.index.clause(&cite.clause.value).and_then(|d| clause_decl(f, d)));
    let prefix = cite.policy.as_ref().map(|p| format!("{}.", p.name)).unwrap_or_default();
    let title = decl.and_then(|c| c.title.as_ref()).map(|t| format!(" {}", t.value)).unwrap_or_default();
    let mut out = format!("\n\n**cite {prefix}{}**{title}", cite.clause.value);
    let quote = cite.quote.as_ref().map(|q| q.value.as_str()).or_else(|| decl.and_then(quote_of));
    if let Some(q) = quote {
        out.push_str(&format!("\n\n> {q}"));
    }
    out
}

fn fence(code: &str) -> String {
    format!("```policy\n{code}\n```")
}

/// Markdown for a declaration.
pub fn def_markdown(a: &Analysis, f: &FileData, def: &Def) -> Option<String> {
    let item = f.ast.as_ref()?.items.get(def.item)?;
    let checked = if std::ptr::eq(f, a.file.as_ref()) { a.checked.policy.as_ref() } else { None };
    let cite = |c: Option<&Cite>| c.map(|c| cite_text(a, f, c)).unwrap_or_default();
    let mut out;
    match (def.kind, item) {
        (DefKind::Input, Item::Input(d)) => {
            let default = d.default.as_ref().map(|e| format!(" default {}", format_expr(e))).unwrap_or_default();
            out = fence(&format!("input {}: {}{}{default}", d.name.name, type_text(&d.ty), range_text(d.range.as_ref())));
            label_line(&mut out, d.label.as_ref());
            out.push_str(if d.default.is_some() { "\n\nA fact (optional)." } else { "\n\nA fact the applicant supplies." });
        }
        (DefKind::Let, Item::Let(d)) => {
            let ty = match (&d.ty, checked.and_then(|p| p.lets.iter().find(|l| l.name == d.name.name))) {
                (Some(t), _) => format!(": {}", type_text(t)),
                (None, Some(l)) => format!(": {}", checked?.type_name(&l.ty)),
                (None, None) => String::new(),
            };
            out = fence(&format!("let {}{ty} = {}", d.name.name, format_expr(&d.value)));
            label_line(&mut out, d.label.as_ref());
            out.push_str(&cite(d.cite.as_ref()));
        }
        (DefKind::Param, Item::Param(d)) => {
            out = fence(&format!("param {}: {}", d.name.name, type_text(&d.ty)));
            label_line(&mut out, d.label.as_ref());
            out.push_str(&cite(d.cite.as_ref()));
            out.push_str("\n\n| from | until | value |\n|---|---|---|");
            for (i, v) in d.versions.iter().enumerate() {
                let until = match (&v.until, d.versions.get(i + 1)) {
                    (Some(u), _) => u.value.to_string(),
                    (None, Some(next)) => next.from.value.pred_opt().map(|p| p.to_string()).unwrap_or_default(),
                    (None, None) => "open".into(),
                };
                out.push_str(&format!("\n| {} | {until} | `{}` |", v.from.value, format_expr(&v.value)));
            }
            for v in &d.versions {
                out.push_str(&cite(v.cite.as_ref()));
            }
        }
        (DefKind::External, Item::External(d)) => {
            out = fence(&format!("external {}: {}{}", d.name.name, type_text(&d.ty), range_text(d.range.as_ref())));
            out.push_str(&format!("\n\n{}", d.label.value));
            match &d.source {
                ast::ExternalSource::DefinedIn(s) => out.push_str(&format!("\n\nDefined in {}.", s.value)),
                ast::ExternalSource::SetBy { authority, criteria } => {
                    let crit: Vec<&str> = criteria.iter().map(|c| c.value.as_str()).collect();
                    out.push_str(&format!("\n\nSet by {} ({}).", authority.value, crit.join("; ")));
                }
            }
            out.push_str(&cite(d.cite.as_ref()));
        }
        (DefKind::Table, Item::Table(d)) => {
            let cols =
                |cs: &[ast::Column]| cs.iter().map(|c| format!("{}: {}", c.name.name, type_text(&c.ty))).collect::<Vec<_>>().join(", ");
            out = fence(&format!("table {}({}) -> ({})", d.name.name, cols(&d.keys), cols(&d.values)));
            label_line(&mut out, d.label.as_ref());
            out.push_str(&format!("\n\n{} rows.", d.rows.len()));
            out.push_str(&cite(d.cite.as_ref()));
        }
        (DefKind::Enum, Item::Enum(d)) => {
            let vs: Vec<String> = d.variants.iter().map(|v| v.name.name.clone()).collect();
            out = fence(&format!("enum {} {{ {} }}", d.name.name, vs.join(", ")));
            label_line(&mut out, d.label.as_ref());
        }
        (DefKind::Variant, Item::Enum(d)) => {
            let v = d.variants.iter().find(|v| v.name.name == def.name)?;
            out = fence(&format!("{}.{}", d.name.name, v.name.name));
            label_line(&mut out, v.label.as_ref());
        }
        (DefKind::Record, Item::Record(d)) => {
            let fs: Vec<String> = d.fields.iter().map(|f| format!("{}: {}", f.name.name, type_text(&f.ty))).collect();
            out = fence(&format!("record {} {{ {} }}", d.name.name, fs.join(", ")));
            label_line(&mut out, d.label.as_ref());
        }
        (DefKind::Field, Item::Record(d)) => {
            let fd = d.fields.iter().find(|x| x.name.name == def.name)?;
            out = fence(&format!("{}.{}: {}", d.name.name, fd.name.name, type_text(&fd.ty)));
            label_line(&mut out, fd.label.as_ref());
        }
        (DefKind::Unit, Item::Unit(d)) => {
            out = fence(&format!("unit {}", d.name.name));
            out.push_str(&format!("\n\n{}", d.label.value));
        }
        (DefKind::Benefit, Item::Benefit(d)) => {
            out = fence(&format!("benefit {}", d.id.name));
            out.push_str(&format!("\n\n{}", d.label.value));
            if let Some(ast::BenefitClause::Cite(c)) = d.clauses.iter().find(|c| matches!(c, ast::BenefitClause::Cite(_))) {
                out.push_str(&cite_text(a, f, c));
            }
        }
        (DefKind::Condition, Item::Benefit(b)) => {
            out = condition_markdown(a, f, &b.clauses, &def.name)?;
            out = format!("{}\n\nIn benefit `{}`.", out, b.id.name);
        }
        (DefKind::Output, Item::Benefit(b)) => {
            let o = output_decl(&b.clauses, &def.name)?;
            let ty = match (&o.ty, checked.and_then(|p| Some((p, p.benefits.iter().find(|x| *x.id == *b.id.name)?)))) {
                (Some(t), _) => format!(": {}", type_text(t)),
                (None, Some((p, bd))) => {
                    bd.outputs.iter().find(|x| *x.id == *def.name).map(|x| format!(": {}", p.type_name(&x.ty))).unwrap_or_default()
                }
                (None, None) => String::new(),
            };
            out = fence(&format!("output {}{ty} = {}", o.id.name, format_expr(&o.value)));
            label_line(&mut out, o.label.as_ref());
            out.push_str(&cite(o.cite.as_ref()));
            out.push_str(&format!("\n\nReported by benefit `{}`.", b.id.name));
        }
        (DefKind::Assert, Item::Assert(d)) => {
            out = fence(&format!("assert {}", format_expr(&d.expr)));
            out.push_str(&format!("\n\n{}", d.label.value));
            out.push_str(&cite(d.cite.as_ref()));
        }
        (DefKind::Clause, Item::Clause(c)) => {
            let title = c.title.as_ref().map(|t| format!(" {}", t.value)).unwrap_or_default();
            out = format!("**clause {}**{title}", c.number.value);
            match &c.body {
                ClauseBody::Quote(q) => {
                    out.push_str(&format!("\n\n> {}", q.value));
                    match source_sentences(f, &q.value) {
                        Some(s) => out.push_str(&format!("\n\nIn the source document:\n\n{s}")),
                        None => out.push_str("\n\n(not found in the source document)"),
                    }
                }
                ClauseBody::NotComputable(why) => out.push_str(&format!("\n\nNot computable: {}", why.value)),
            }
        }
        (DefKind::Alias, Item::Use(u)) => {
            out = fence(&format!("use {}", u.policy.name));
            if let Some(imp) = a.imports.get(&u.policy.name).and_then(|f| f.ast.as_ref()) {
                out.push_str(&format!("\n\n{}", imp.header.title.value));
            }
        }
        (DefKind::Local, _) => out = fence(&format!("{} (bound in a list expression)", def.name)),
        _ => return None,
    }
    if !std::ptr::eq(f, a.file.as_ref()) {
        let id = f.ast.as_ref().map(|x| x.header.id.name.clone()).unwrap_or_default();
        out.push_str(&format!("\n\nFrom `{id}`."));
    }
    Some(out)
}

/// The `output` named `name` among a benefit's clauses (or a version's).
fn output_decl<'a>(clauses: &'a [ast::BenefitClause], name: &str) -> Option<&'a ast::OutputDecl> {
    clauses.iter().find_map(|c| match c {
        ast::BenefitClause::Output(o) if o.id.name == name => Some(o),
        ast::BenefitClause::Version(v) => output_decl(&v.clauses, name),
        _ => None,
    })
}

fn condition_markdown(a: &Analysis, f: &FileData, clauses: &[ast::BenefitClause], name: &str) -> Option<String> {
    for c in clauses {
        let (kw, id, expr, label, cite) = match c {
            ast::BenefitClause::Condition(c) => {
                let kw = match c.kind {
                    ast::ConditionKind::Applies => "applies_when",
                    ast::ConditionKind::Require => "require",
                    ast::ConditionKind::Exclude => "exclude",
                };
                (kw, c.id.as_ref(), &c.expr, &c.label, c.cite.as_ref())
            }
            ast::BenefitClause::Uplift(u) => ("uplift … when", u.id.as_ref(), &u.when, &u.label, u.cite.as_ref()),
            ast::BenefitClause::Override(o) => ("override when", o.id.as_ref(), &o.when, &o.label, o.cite.as_ref()),
            ast::BenefitClause::Version(v) => match condition_markdown(a, f, &v.clauses, name) {
                Some(s) => return Some(s),
                None => continue,
            },
            _ => continue,
        };
        if id.is_some_and(|i| i.name == name) {
            let mut out = fence(&format!("{kw} {name}: {}", format_expr(expr)));
            out.push_str(&format!("\n\n{}", label.value));
            if let Some(c) = cite {
                out.push_str(&cite_text(a, f, c));
            }
            return Some(out);
        }
    }
    None
}

/// For `table[k…]` with constant keys: the matching row, as written.
pub fn table_row(f: &FileData, table: &str, keys: &[Expr]) -> Option<String> {
    let wanted: Vec<String> = keys.iter().map(format_expr).collect();
    if keys.iter().any(|k| matches!(&k.kind, ExprKind::Path(p) if p.len() == 1 && p.first().and_then(|h| f.index.lookup(&h.name)).is_some_and(|d| d.kind != DefKind::Variant))) {
        return None;
    }
    let def = f.index.lookup(table)?;
    let Some(Item::Table(t)) = f.ast.as_ref()?.items.get(def.item) else { return None };
    let row = t.rows.iter().find(|r| r.keys.iter().map(format_expr).collect::<Vec<_>>() == wanted)?;
    let vals: Vec<String> = row.values.iter().map(format_expr).collect();
    Some(format!("Row of `{}`: `{} => {}`", table, wanted.join(", "), vals.join(", ")))
}

/// The table row looked up by the `table[k…]` whose table name is at byte `at`.
pub fn table_row_at(a: &Analysis, at: usize) -> Option<String> {
    let r = a.file.index.ref_at(at)?;
    let (f, def) = resolve(a, &r.target)?;
    if def.kind != DefKind::Table {
        return None;
    }
    // The keys are the text between the brackets that follow the name.
    let rest = a.file.text.get(r.span.end..)?;
    let inner = rest.strip_prefix('[')?;
    let close = inner.find(']')?;
    let keys_text = inner.get(..close)?;
    let keys: Vec<Expr> = keys_text.split(',').map(|k| policy_core::parse::parse_expr("key", k.trim()).ok()).collect::<Option<Vec<_>>>()?;
    table_row(f, &def.name, &keys)
}
