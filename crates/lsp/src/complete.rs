//! Completion from the text before the cursor: clause numbers inside
//! `cite "…"`, items of an imported policy after `alias.`, variants after
//! `enum.`, `==`, `!=` or `in {`, fields after a record's name and a dot,
//! units after a number, otherwise keywords of the context (top level,
//! header, benefit body) and the names in scope.

use crate::index::{DefKind, BUILTIN_UNITS};
use crate::workspace::{Analysis, FileData};
use lsp_types::{CompletionItem, CompletionItemKind, Documentation, MarkupContent, MarkupKind};
use policy_core::ast::{Item, TypeExpr};
use std::collections::BTreeSet;

/// Keywords that start a top-level declaration.
pub const TOP: &[&str] =
    &["use", "unit", "convert", "enum", "record", "input", "param", "external", "table", "let", "assert", "clause", "benefit"];
/// Header fields.
pub const HEADER: &[&str] = &["document", "issuer", "region", "issued", "in_force", "source", "version"];
/// What a benefit's body holds.
pub const BENEFIT: &[&str] = &[
    "payee",
    "cite",
    "dated_by",
    "applies_when",
    "require",
    "exclude",
    "amount",
    "cap",
    "uplift",
    "override",
    "per",
    "entitle",
    "deadline",
    "needs",
    "output",
    "from",
];
/// Keywords inside expressions and declarations.
pub const EXPR: &[&str] = &[
    "if",
    "else",
    "match",
    "tiers",
    "scale",
    "count",
    "any",
    "all",
    "sum",
    "min",
    "max",
    "avg",
    "and",
    "or",
    "not",
    "in",
    "true",
    "false",
    "as",
    "where",
    "for",
    "first",
    "next",
    "then",
    "at",
    "when",
    "until",
    "default",
    "cite",
    "quote",
    "not_computable",
    "defined_in",
    "set_by",
    "criteria",
    "list",
];

fn kind(k: DefKind) -> CompletionItemKind {
    match k {
        DefKind::Alias => CompletionItemKind::MODULE,
        DefKind::Unit => CompletionItemKind::UNIT,
        DefKind::Enum => CompletionItemKind::ENUM,
        DefKind::Variant => CompletionItemKind::ENUM_MEMBER,
        DefKind::Record | DefKind::Table => CompletionItemKind::STRUCT,
        DefKind::Field => CompletionItemKind::FIELD,
        DefKind::Input | DefKind::External => CompletionItemKind::VARIABLE,
        DefKind::Param => CompletionItemKind::CONSTANT,
        DefKind::Let | DefKind::Local => CompletionItemKind::VARIABLE,
        DefKind::Function => CompletionItemKind::FUNCTION,
        DefKind::Clause => CompletionItemKind::REFERENCE,
        DefKind::Benefit | DefKind::Assert | DefKind::Condition => CompletionItemKind::EVENT,
    }
}

fn item(label: &str, k: CompletionItemKind, detail: Option<String>) -> CompletionItem {
    CompletionItem { label: label.to_string(), kind: Some(k), detail, ..Default::default() }
}

/// The label of a declaration, for the completion's detail.
fn label_of(f: &FileData, item: usize, name: &str) -> Option<String> {
    let it = f.ast.as_ref()?.items.get(item)?;
    let s = match it {
        Item::Input(d) => d.label.as_ref()?.value.clone(),
        Item::Let(d) => d.label.as_ref()?.value.clone(),
        Item::Param(d) => d.label.as_ref()?.value.clone(),
        Item::External(d) => d.label.value.clone(),
        Item::Table(d) => d.label.as_ref()?.value.clone(),
        Item::Unit(d) => d.label.value.clone(),
        Item::Benefit(d) => d.label.value.clone(),
        Item::Enum(d) => d.variants.iter().find(|v| v.name.name == name).and_then(|v| v.label.as_ref()).or(d.label.as_ref())?.value.clone(),
        Item::Clause(d) => d.title.as_ref()?.value.clone(),
        _ => return None,
    };
    Some(s)
}

/// The trailing identifier (`[\w]*`) of `s`.
fn trailing_word(s: &str) -> &str {
    let n: usize = s.chars().rev().take_while(|c| c.is_alphanumeric() || *c == '_').map(char::len_utf8).sum();
    s.get(s.len() - n..).unwrap_or("")
}

/// Completions at byte `at` of the analysed document.
pub fn complete(a: &Analysis, at: usize) -> Vec<CompletionItem> {
    let before = a.file.text.get(..at).unwrap_or("");
    // Names come from the latest text that parsed: mid-edit text often does not.
    let f = &a.stable;
    let line = before.rsplit('\n').next().unwrap_or("");
    // Inside `cite "…` or `cite alias."…`: clause numbers.
    if let Some(pos) = line.rfind("cite ") {
        let rest = line.get(pos + 5..).unwrap_or("");
        if rest.matches('"').count() == 1 {
            let alias = rest.split('"').next().unwrap_or("").trim().trim_end_matches('.');
            let target = if alias.is_empty() { Some(f.as_ref()) } else { a.import(alias).map(|x| x.as_ref()) };
            return target.map(clauses).unwrap_or_default();
        }
    }
    let word = trailing_word(line);
    let head = line.get(..line.len() - word.len()).unwrap_or("");
    // After `name.`
    if let Some(base) = head.strip_suffix('.') {
        let base = trailing_word(base);
        if let Some(imp) = a.import(base) {
            return imp
                .index
                .defs
                .iter()
                .filter(|d| !matches!(d.kind, DefKind::Variant | DefKind::Field | DefKind::Condition | DefKind::Local | DefKind::Clause))
                .map(|d| item(&d.name, kind(d.kind), label_of(imp, d.item, &d.name)))
                .collect();
        }
        if let Some(e) = f.index.lookup(base).filter(|d| d.kind == DefKind::Enum) {
            return variants(f, Some(&e.name));
        }
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for file in std::iter::once(f).chain(a.imports.values()) {
            for d in file.index.defs.iter().filter(|d| d.kind == DefKind::Field) {
                if seen.insert(d.name.clone()) {
                    out.push(item(&d.name, CompletionItemKind::FIELD, d.parent.clone()));
                }
            }
        }
        return out;
    }
    // After a number: units.
    let t = head.trim_end();
    if head.ends_with(' ') && t.chars().last().is_some_and(|c| c.is_ascii_digit()) && !t.ends_with('-') {
        let last = t.rsplit(|c: char| c.is_whitespace() || c == '(' || c == ',').next().unwrap_or("");
        if last.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return units(a);
        }
    }
    // After `==`, `!=` or inside `in { … `: variants of the compared enum.
    let trimmed = head.trim_end();
    let in_set = head.rfind("in {").is_some_and(|p| !head.get(p..).unwrap_or("").contains('}'));
    if trimmed.ends_with("==") || trimmed.ends_with("!=") || in_set {
        let lhs =
            if in_set { head.get(..head.rfind("in {").unwrap_or(0)).unwrap_or("") } else { trimmed.get(..trimmed.len() - 2).unwrap_or("") };
        let ty = enum_type_of(f, trailing_word(lhs.trim_end()));
        // A compared name of a known enum type: that enum's variants, bare
        // (the checker reads a bare variant as one of the expected enum).
        if let Some(ty) = &ty {
            let known = match ty.split_once('.') {
                Some((alias, en)) => a.import(alias).map(|imp| variants(imp, Some(en))),
                None => f.index.lookup(ty).filter(|d| d.kind == DefKind::Enum).map(|_| variants(f, Some(ty))),
            };
            if let Some(v) = known.filter(|v| !v.is_empty()) {
                return v;
            }
        }
        let mut out = variants(f, None);
        for (alias, imp) in aliases(a) {
            for d in imp.index.defs.iter().filter(|d| d.kind == DefKind::Variant) {
                let label = format!("{alias}.{}.{}", d.parent.as_deref().unwrap_or(""), d.name);
                out.push(item(&label, CompletionItemKind::ENUM_MEMBER, label_of(imp, d.item, &d.name)));
            }
        }
        return out;
    }
    let at_line_start = head.trim().is_empty();
    let mut out = Vec::new();
    let in_header = f.ast.as_ref().is_none_or(|x| at <= x.header.span.end) && !before.contains("\nuse ");
    let keywords: Vec<&&str> = if at_line_start && !head.starts_with(' ') {
        TOP.iter().chain(if in_header { HEADER } else { &[] }).collect()
    } else if at_line_start {
        BENEFIT.iter().chain(if in_header { HEADER } else { &[] }).collect()
    } else {
        EXPR.iter().collect()
    };
    for k in keywords {
        out.push(item(k, CompletionItemKind::KEYWORD, None));
    }
    if !at_line_start || head.starts_with(' ') {
        for d in f.index.defs.iter().filter(|d| {
            matches!(
                d.kind,
                DefKind::Input | DefKind::Let | DefKind::Param | DefKind::External | DefKind::Table | DefKind::Alias | DefKind::Enum
            )
        }) {
            out.push(item(&d.name, kind(d.kind), label_of(f, d.item, &d.name)));
        }
        // Names bound by `count(c in …)` around the cursor.
        for d in f.index.defs.iter().filter(|d| d.kind == DefKind::Local && d.span.end <= at && at.saturating_sub(d.span.end) < 400) {
            out.push(item(&d.name, kind(d.kind), None));
        }
    }
    out
}

fn aliases(a: &Analysis) -> Vec<(String, &FileData)> {
    let mut v: Vec<(String, &FileData)> =
        a.stable.index.aliases.keys().filter_map(|al| Some((al.clone(), a.import(al)?.as_ref()))).collect();
    v.sort_by(|x, y| x.0.cmp(&y.0));
    v
}

fn clauses(f: &FileData) -> Vec<CompletionItem> {
    f.index
        .defs
        .iter()
        .filter(|d| d.kind == DefKind::Clause)
        .map(|d| {
            let mut it = item(&d.name, CompletionItemKind::REFERENCE, label_of(f, d.item, &d.name));
            if let Some(Item::Clause(c)) = f.ast.as_ref().and_then(|x| x.items.get(d.item)) {
                if let Some(q) = crate::hover::quote_of(c) {
                    it.documentation =
                        Some(Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value: format!("> {q}") }));
                }
            }
            it
        })
        .collect()
}

fn variants(f: &FileData, of: Option<&str>) -> Vec<CompletionItem> {
    f.index
        .defs
        .iter()
        .filter(|d| d.kind == DefKind::Variant && (of.is_none() || d.parent.as_deref() == of))
        .map(|d| item(&d.name, CompletionItemKind::ENUM_MEMBER, label_of(f, d.item, &d.name)))
        .collect()
}

/// The declared type name of an input, let or external (`level`, `zj.level`).
fn enum_type_of(f: &FileData, name: &str) -> Option<String> {
    let d = f.index.lookup(name)?;
    let ty = match f.ast.as_ref()?.items.get(d.item)? {
        Item::Input(i) => Some(&i.ty),
        Item::Let(l) => l.ty.as_ref(),
        Item::External(e) => Some(&e.ty),
        _ => None,
    }?;
    let TypeExpr::Named(t) = ty else { return None };
    Some(t.name.clone())
}

fn units(a: &Analysis) -> Vec<CompletionItem> {
    let mut out: Vec<CompletionItem> = ["yuan", "days", "months", "years"]
        .iter()
        .filter(|u| BUILTIN_UNITS.contains(u))
        .map(|u| item(u, CompletionItemKind::UNIT, None))
        .collect();
    for d in a.file.index.defs.iter().filter(|d| d.kind == DefKind::Unit) {
        out.push(item(&d.name, CompletionItemKind::UNIT, label_of(&a.file, d.item, &d.name)));
    }
    for (alias, imp) in aliases(a) {
        for d in imp.index.defs.iter().filter(|d| d.kind == DefKind::Unit) {
            out.push(item(&format!("{alias}.{}", d.name), CompletionItemKind::UNIT, label_of(imp, d.item, &d.name)));
        }
    }
    out
}
