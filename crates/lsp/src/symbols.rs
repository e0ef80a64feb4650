//! The outline of a document (header, clauses, declarations, benefits with
//! their conditions and outputs) and workspace symbols over every policy on disk.

use crate::index::DefKind;
use crate::workspace::{path_uri, FileData, Workspace};
use lsp_types::{DocumentSymbol, Location, SymbolInformation, SymbolKind};
use policy_core::ast::Item;

fn sym_kind(k: DefKind) -> SymbolKind {
    match k {
        DefKind::Alias => SymbolKind::MODULE,
        DefKind::Unit => SymbolKind::TYPE_PARAMETER,
        DefKind::Enum => SymbolKind::ENUM,
        DefKind::Variant => SymbolKind::ENUM_MEMBER,
        DefKind::Record | DefKind::Table => SymbolKind::STRUCT,
        DefKind::Field => SymbolKind::FIELD,
        DefKind::Input | DefKind::External | DefKind::Let | DefKind::Local => SymbolKind::VARIABLE,
        DefKind::Param => SymbolKind::CONSTANT,
        DefKind::Function => SymbolKind::FUNCTION,
        DefKind::Clause => SymbolKind::STRING,
        DefKind::Benefit => SymbolKind::FUNCTION,
        DefKind::Assert | DefKind::Condition => SymbolKind::EVENT,
        DefKind::Output => SymbolKind::PROPERTY,
    }
}

fn kind_word(k: DefKind) -> &'static str {
    match k {
        DefKind::Alias => "use",
        DefKind::Unit => "unit",
        DefKind::Enum => "enum",
        DefKind::Variant => "variant",
        DefKind::Record => "record",
        DefKind::Field => "field",
        DefKind::Input => "input",
        DefKind::Param => "param",
        DefKind::External => "external",
        DefKind::Table => "table",
        DefKind::Let => "let",
        DefKind::Function => "fn",
        DefKind::Assert => "assert",
        DefKind::Clause => "clause",
        DefKind::Benefit => "benefit",
        DefKind::Condition => "condition",
        DefKind::Output => "output",
        DefKind::Local => "bound name",
    }
}

#[allow(deprecated)]
fn symbol(
    f: &FileData,
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    full: (usize, usize),
    sel: (usize, usize),
) -> DocumentSymbol {
    DocumentSymbol {
        name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: f.lines.range(&f.text, full.0, full.1),
        selection_range: f.lines.range(&f.text, sel.0, sel.1),
        children: None,
    }
}

/// The document's outline.
pub fn document_symbols(f: &FileData) -> Vec<DocumentSymbol> {
    let Some(ast) = &f.ast else { return Vec::new() };
    let h = &ast.header;
    let mut out = vec![symbol(
        f,
        h.id.name.clone(),
        Some(h.title.value.clone()),
        SymbolKind::MODULE,
        (h.span.start, h.span.end),
        (h.id.span.start, h.id.span.end),
    )];
    let mut by_item: Vec<Option<usize>> = vec![None; ast.items.len()];
    for d in &f.index.defs {
        let Some(item) = ast.items.get(d.item) else { continue };
        let sp = item.span();
        let top = matches!(
            d.kind,
            DefKind::Alias
                | DefKind::Unit
                | DefKind::Enum
                | DefKind::Record
                | DefKind::Input
                | DefKind::Param
                | DefKind::External
                | DefKind::Table
                | DefKind::Let
                | DefKind::Assert
                | DefKind::Clause
                | DefKind::Benefit
        );
        let detail = match item {
            Item::Clause(c) => c.title.as_ref().map(|t| t.value.clone()),
            Item::Benefit(b) if d.kind == DefKind::Benefit => Some(b.label.value.clone()),
            _ => Some(kind_word(d.kind).to_string()),
        };
        if top {
            let name = if d.kind == DefKind::Clause { format!("clause {}", d.name) } else { d.name.clone() };
            if let Some(slot) = by_item.get_mut(d.item) {
                *slot = Some(out.len());
            }
            out.push(symbol(f, name, detail, sym_kind(d.kind), (sp.start, sp.end), (d.span.start, d.span.end)));
        } else if matches!(d.kind, DefKind::Variant | DefKind::Field | DefKind::Condition | DefKind::Output) {
            if let Some(parent) = by_item.get(d.item).copied().flatten().and_then(|p| out.get_mut(p)) {
                let child = symbol(f, d.name.clone(), detail, sym_kind(d.kind), (d.span.start, d.span.end), (d.span.start, d.span.end));
                parent.children.get_or_insert_with(Vec::new).push(child);
            }
        }
    }
    out
}

/// Declarations whose name contains `query` (case-insensitive), in every policy of the workspace.
#[allow(deprecated)]
pub fn workspace_symbols(ws: &mut Workspace, query: &str) -> Vec<SymbolInformation> {
    let q = query.to_lowercase();
    let mut out = Vec::new();
    for (id, path) in ws.disk_policies() {
        let (Some(f), Some(uri)) = (ws.file_at(&path), path_uri(&path)) else { continue };
        for d in f.index.defs.iter().filter(|d| !matches!(d.kind, DefKind::Local | DefKind::Alias)) {
            if !q.is_empty() && !d.name.to_lowercase().contains(&q) {
                continue;
            }
            out.push(SymbolInformation {
                name: d.name.clone(),
                kind: sym_kind(d.kind),
                tags: None,
                deprecated: None,
                location: Location { uri: uri.clone(), range: f.lines.range(&f.text, d.span.start, d.span.end) },
                container_name: Some(match &d.parent {
                    Some(p) => format!("{id}.{p}"),
                    None => id.clone(),
                }),
            });
            if out.len() >= 500 {
                return out;
            }
        }
    }
    out
}
