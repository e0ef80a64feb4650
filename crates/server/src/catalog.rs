//! The catalog: the compiled plans served, each with its source document
//! (for the viewer) and, after a reload that failed, the diagnostics that
//! kept the old plan serving. A catalog is immutable; reload builds a new
//! one and the app swaps it in whole.

use policy_core::diag::{Diagnostic, Severity};
use policy_core::loader::{DirLoader, Loader};
use policy_eval::{Engine, EvalError, Plan};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// The plans served, by policy id.
#[derive(Debug, Default)]
pub struct Catalog {
    entries: BTreeMap<String, PolicyEntry>,
    /// Diagnostics of the last reload that failed and of no policy served
    /// (a new policy that does not check, a directory problem).
    pub unattached: Vec<DiagnosticJson>,
}

/// One policy served.
#[derive(Debug, Clone)]
pub struct PolicyEntry {
    /// The compiled plan.
    pub plan: Arc<Plan>,
    /// The source document it quotes: (file name, text), when it has one.
    pub document: Option<Arc<(String, String)>>,
    /// Diagnostics of the last reload that failed for this policy: the plan
    /// above is the one that last checked.
    pub reload_errors: Vec<DiagnosticJson>,
}

/// A diagnostic as JSON (the code is the CLI's: `docs/errors.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiagnosticJson {
    /// `P001`, `C107`, …
    pub code: &'static str,
    /// `error` or `warning`.
    pub severity: &'static str,
    /// File name.
    pub file: String,
    /// 1-based line and column, when the file's text is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// A hint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl DiagnosticJson {
    /// From a core diagnostic; `text` is its file's text when known.
    pub fn new(d: &Diagnostic, text: Option<&str>) -> Self {
        let (line, column) = match text {
            Some(t) => {
                let (l, c) = d.line_col(t);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        DiagnosticJson {
            code: d.code.id,
            severity: match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            file: file_name(&d.file),
            line,
            column,
            message: d.message.clone(),
            help: d.help.clone(),
        }
    }
}

/// The last component of a path: the API never shows the server's paths.
pub(crate) fn file_name(path: &str) -> String {
    Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.to_string())
}

/// What a reload did.
#[derive(Debug, Clone, Serialize)]
pub struct ReloadReport {
    /// Whether the new catalog replaced the old one.
    pub swapped: bool,
    /// Ids served after the reload.
    pub policies: Vec<String>,
    /// Ids whose plan changed (content hash differs, or new).
    pub changed: Vec<String>,
    /// Every diagnostic of a reload that failed.
    pub errors: Vec<DiagnosticJson>,
}

impl Catalog {
    /// Loads every policy under `dir` with `Engine::from_dir`.
    pub fn load(dir: &Path) -> Result<Catalog, EvalError> {
        let engine = Engine::from_dir(dir)?;
        let loader = DirLoader::new(&[dir]);
        let mut entries = BTreeMap::new();
        for (id, mut plan) in engine.into_plans() {
            let document = source_document(&plan, &loader).map(Arc::new);
            // Traces show file names only (the server's layout is nobody's
            // business), whether built as a tree or written from the log.
            // The engine was consumed: each plan is its only owner.
            match Arc::get_mut(&mut plan) {
                Some(p) => p.rename_source_files(file_name),
                None => tracing::warn!(policy = %id, "its plan is shared: traces name files relative to the policy folder"),
            }
            entries.insert(id, PolicyEntry { plan, document, reload_errors: Vec::new() });
        }
        Ok(Catalog { entries, unattached: Vec::new() })
    }

    /// The catalog after re-reading `dir`: the new one when every policy
    /// checks, else this one again with the failure's diagnostics attached
    /// to the policy that failed (or to `unattached`).
    pub fn reloaded(&self, dir: &Path) -> (Catalog, ReloadReport) {
        match Catalog::load(dir) {
            Ok(next) => {
                let changed = next
                    .entries
                    .iter()
                    .filter(|(id, e)| {
                        self.entries.get(*id).is_none_or(|old| old.plan.policy().meta.content_hash != e.plan.policy().meta.content_hash)
                    })
                    .map(|(id, _)| id.clone())
                    .collect();
                let report = ReloadReport { swapped: true, policies: next.entries.keys().cloned().collect(), changed, errors: Vec::new() };
                (next, report)
            }
            Err(e) => {
                let (name, diagnostics) = match e {
                    EvalError::Policy { name, diagnostics } => (name, diagnostics),
                    other => {
                        let name: Arc<str> = Arc::from("(server)");
                        let span = policy_core::ast::Span::default();
                        (String::new(), vec![Diagnostic::error(policy_core::diag::codes::IMPORT_FAILED, &name, span, other.to_string())])
                    }
                };
                let errors: Vec<DiagnosticJson> =
                    diagnostics.iter().map(|d| DiagnosticJson::new(d, std::fs::read_to_string(&*d.file).ok().as_deref())).collect();
                let mut next = Catalog { entries: self.entries.clone(), unattached: Vec::new() };
                for e in next.entries.values_mut() {
                    e.reload_errors.clear();
                }
                let owner = next.entries.iter_mut().find(|(id, e)| {
                    **id == name
                        || e.plan.policy().files.first().is_some_and(|f| *f.name == *name || file_name(&f.name) == file_name(&name))
                });
                match owner {
                    Some((_, entry)) => entry.reload_errors = errors.clone(),
                    None => next.unattached = errors.clone(),
                }
                for e in &errors {
                    tracing::warn!(code = e.code, file = %e.file, line = ?e.line, "reload failed, the old plans keep serving: {}", e.message);
                }
                let report = ReloadReport { swapped: false, policies: next.entries.keys().cloned().collect(), changed: Vec::new(), errors };
                (next, report)
            }
        }
    }

    /// The policy `id`.
    pub fn get(&self, id: &str) -> Option<&PolicyEntry> {
        self.entries.get(id)
    }

    /// Every policy, by id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &PolicyEntry)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// How many policies are served.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The source document of the plan's own file, read through the loader
/// (the path is the policy's `source "…"`, relative to the policy file).
fn source_document(plan: &Plan, loader: &DirLoader) -> Option<(String, String)> {
    let file = plan.policy().files.first()?;
    let parsed = policy_core::parse::parse(&file.name, &file.text);
    let source = parsed.file?.header.source?;
    let text = loader.load_document(&file.name, &source.value).ok()?;
    Some((file_name(&source.value), text))
}
