//! Go to definition, find references and rename. A clause's definition is
//! its sentence in the source document; an imported item's is in the
//! imported policy; rename covers the policy, the policies that import the
//! name, and the golden cases file beside the policy (`<stem>.cases.json`:
//! fact keys, enum values, benefit and condition ids).

use crate::hover::{clause_decl, find_quote, quote_of, resolve};
use crate::index::{Def, DefKind, Target};
use crate::workspace::{path_uri, Analysis, FileData, Workspace};
use lsp_types::{Location, Position, Range, TextEdit, Url, WorkspaceEdit};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn loc(f: &FileData, uri: Option<Url>, start: usize, end: usize) -> Option<Location> {
    Some(Location { uri: uri.or_else(|| f.uri())?, range: f.lines.range(&f.text, start, end) })
}

/// The sentence a clause quotes, in the source document beside its policy.
pub fn source_location(f: &FileData, quote: &str) -> Option<Location> {
    let (path, text, start, end) = find_quote(f, quote)?;
    let lines = crate::text::LineIndex::new(&text);
    Some(Location { uri: path_uri(&path)?, range: lines.range(&text, start, end) })
}

/// Where the thing at byte `at` is declared.
pub fn definition(a: &Analysis, uri: &Url, at: usize) -> Vec<Location> {
    let Some((_, target)) = a.file.index.target_at(at) else { return Vec::new() };
    let on_decl = a.file.index.def_at(at).is_some();
    let Some((f, def)) = resolve(a, &target) else { return Vec::new() };
    let own = |f: &FileData| if std::ptr::eq(f, a.file.as_ref()) { Some(uri.clone()) } else { None };
    let mut out = Vec::new();
    if def.kind == DefKind::Clause {
        // The cite's own quote when it gives one, else the clause's.
        let cite_quote = a.file.index.ref_at(at).and_then(|_| cite_quote_at(&a.file, at));
        let quote = cite_quote.or_else(|| clause_decl(f, def).and_then(quote_of).map(str::to_string));
        if !on_decl {
            out.extend(loc(f, own(f), def.span.start, def.span.end));
        }
        if let Some(q) = quote {
            out.extend(source_location(f, &q));
        }
        return out;
    }
    out.extend(loc(f, own(f), def.span.start, def.span.end));
    out
}

/// The `quote "…"` of the cite whose clause number covers `at`.
fn cite_quote_at(f: &FileData, at: usize) -> Option<String> {
    let text = f.text.get(at..)?;
    let line = text.split('\n').next()?;
    let rest = line.split_once("quote \"")?.1;
    let end = rest.find('"')?;
    rest.get(..end).map(str::to_string)
}

/// Every use of the thing at byte `at` (and its declaration when `with_decl`),
/// in this document and in the policies that import it.
pub fn references(ws: &mut Workspace, a: &Analysis, uri: &Url, at: usize, with_decl: bool) -> Vec<Location> {
    let Some((_, target)) = a.file.index.target_at(at) else { return Vec::new() };
    let Some((f, def)) = resolve(a, &target) else { return Vec::new() };
    let (f, def) = (f.clone(), def.clone());
    let mut out = Vec::new();
    let own = std::ptr::eq(f.as_ref(), a.file.as_ref());
    if with_decl {
        out.extend(loc(&f, own.then(|| uri.clone()), def.span.start, def.span.end));
    }
    for (file, file_uri, spans) in uses(ws, a, uri, &f, &def) {
        for (s, e) in spans {
            out.extend(loc(&file, Some(file_uri.clone()), s, e));
        }
    }
    out
}

/// A file, its URI, and the byte ranges of uses in it.
type FileUses = (Arc<FileData>, Url, Vec<(usize, usize)>);

/// The uses of `def` (declared in `home`): per file, the byte ranges.
fn uses(ws: &mut Workspace, a: &Analysis, uri: &Url, home: &Arc<FileData>, def: &Def) -> Vec<FileUses> {
    let home_id = home.ast.as_ref().map(|x| x.header.id.name.clone()).unwrap_or_default();
    let def_index = home.index.defs.iter().position(|d| d.span.start == def.span.start && d.name == def.name);
    let matches = |file: &FileData, t: &Target, same_file: bool| -> bool {
        match t {
            Target::Local(i) => same_file && Some(*i) == def_index,
            Target::Imported { alias, name } => {
                !same_file && *name == def.name && file.index.aliases.get(alias) == Some(&home_id) && def.kind != DefKind::Local
            }
            Target::Clause { alias, number } => {
                def.kind == DefKind::Clause
                    && *number == def.name
                    && match alias {
                        None => same_file,
                        Some(al) => file.index.aliases.get(al) == Some(&home_id),
                    }
            }
            Target::Unresolved(_) => false,
        }
    };
    let mut files: Vec<(Arc<FileData>, Url)> = vec![(a.file.clone(), uri.clone())];
    if def.kind != DefKind::Local {
        for (_, path) in ws.disk_policies() {
            if let (Some(fd), Some(u)) = (ws.file_at(&path), path_uri(&path)) {
                if *fd.name != *a.file.name {
                    files.push((fd, u));
                }
            }
        }
        if !std::ptr::eq(home.as_ref(), a.file.as_ref()) && !files.iter().any(|(f, _)| *f.name == *home.name) {
            if let Some(u) = home.uri() {
                files.push((home.clone(), u));
            }
        }
    }
    let mut out = Vec::new();
    for (file, u) in files {
        let same = *file.name == *home.name;
        let spans: Vec<(usize, usize)> =
            file.index.refs.iter().filter(|r| matches(&file, &r.target, same)).map(|r| (r.span.start, r.span.end)).collect();
        if !spans.is_empty() {
            out.push((file, u, spans));
        }
    }
    out
}

/// The name's range when the thing at `at` can be renamed (declared in this document).
pub fn prepare_rename(a: &Analysis, at: usize) -> Option<Range> {
    let (span, target) = a.file.index.target_at(at)?;
    let (f, def) = resolve(a, &target)?;
    (std::ptr::eq(f.as_ref(), a.file.as_ref()) && renameable(def.kind)).then(|| a.file.lines.range(&a.file.text, span.start, span.end))
}

fn renameable(k: DefKind) -> bool {
    !matches!(k, DefKind::Clause | DefKind::Alias)
}

/// Whether `name` can name a declaration.
pub fn valid_name(name: &str) -> bool {
    let mut cs = name.chars();
    cs.next().is_some_and(|c| c.is_alphabetic() || c == '_') && cs.all(|c| c.is_alphanumeric() || c == '_')
}

/// The edits renaming the thing at `at` to `new`.
pub fn rename(ws: &mut Workspace, a: &Analysis, uri: &Url, at: usize, new: &str) -> Result<WorkspaceEdit, String> {
    if !valid_name(new) {
        return Err(format!("`{new}` is not a name: letters, digits and `_`, not starting with a digit"));
    }
    let (_, target) = a.file.index.target_at(at).ok_or("nothing to rename here")?;
    let (f, def) = resolve(a, &target).ok_or("this name is not declared")?;
    if !std::ptr::eq(f.as_ref(), a.file.as_ref()) {
        return Err(format!("`{}` is declared in another policy: rename it there", def.name));
    }
    if !renameable(def.kind) {
        return Err("clause numbers and `use` aliases are not renamed".into());
    }
    let (home, def) = (f.clone(), def.clone());
    let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
    let edit = |f: &FileData, s: usize, e: usize| TextEdit { range: f.lines.range(&f.text, s, e), new_text: new.to_string() };
    changes.entry(uri.clone()).or_default().push(edit(&home, def.span.start, def.span.end));
    for (file, u, spans) in uses(ws, a, uri, &home, &def) {
        let list = changes.entry(u).or_default();
        for (s, e) in spans {
            list.push(edit(&file, s, e));
        }
    }
    if matches!(def.kind, DefKind::Input | DefKind::External | DefKind::Variant | DefKind::Benefit | DefKind::Condition | DefKind::Output) {
        if let Some((cases_uri, edits)) = cases_edits(ws, &home.name, &def.name, new) {
            changes.entry(cases_uri).or_default().extend(edits);
        }
    }
    Ok(WorkspaceEdit { changes: Some(changes), ..Default::default() })
}

/// The golden cases file beside a policy.
pub fn cases_path(policy: &str) -> Option<PathBuf> {
    let p = Path::new(policy);
    let stem = p.file_stem()?.to_str()?;
    Some(p.with_file_name(format!("{stem}.cases.json")))
}

/// Edits to the cases file: every JSON string equal to `old`, except the
/// values of `name`, `note` and `policy` (free text and ids).
fn cases_edits(ws: &Workspace, policy: &str, old: &str, new: &str) -> Option<(Url, Vec<TextEdit>)> {
    let path = cases_path(policy)?;
    let text = ws.read(&path)?;
    let lines = crate::text::LineIndex::new(&text);
    let mut edits = Vec::new();
    let mut prev_key: Option<String> = None;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes.get(i) == Some(&b'"') {
            let start = i + 1;
            let mut j = start;
            while j < bytes.len() && bytes.get(j) != Some(&b'"') {
                j += if bytes.get(j) == Some(&b'\\') { 2 } else { 1 };
            }
            let s = text.get(start..j.min(text.len())).unwrap_or("");
            let after = text.get(j + 1..).unwrap_or("").trim_start();
            let is_key = after.starts_with(':');
            let free_text = !is_key && matches!(prev_key.as_deref(), Some("name" | "note" | "policy"));
            if s == old && !free_text {
                edits.push(TextEdit {
                    range: Range { start: lines.position(&text, start), end: lines.position(&text, j) },
                    new_text: new.to_string(),
                });
            }
            prev_key = if is_key { Some(s.to_string()) } else { None };
            i = j + 1;
        } else {
            if matches!(bytes.get(i), Some(b',' | b'{' | b'[')) {
                prev_key = None;
            }
            i += 1;
        }
    }
    (!edits.is_empty()).then(|| Some((path_uri(&path)?, edits))).flatten()
}

/// A position's byte offset in an analysed document.
pub fn offset(a: &Analysis, p: Position) -> usize {
    a.file.lines.offset(&a.file.text, p)
}
