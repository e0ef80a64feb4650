//! The evaluation plan: a checked policy compiled once, with fact slots
//! resolved, tables indexed by key, and policy assertions verified (built
//! by `build`; this module holds the plan and what it answers).

use crate::decision::PolicyRef;
use crate::trace::SourceRef;
use policy_core::ast::Span;
use policy_core::checked::{CheckedPolicy, FileId, InputId};
use policy_core::diag::Diagnostic;
use policy_core::value::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A compiled policy, ready to decide any number of applicants. Immutable,
/// `Send + Sync`, cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Plan {
    pub(crate) policy: Arc<CheckedPolicy>,
    pub(crate) input_slots: HashMap<String, usize>,
    pub(crate) external_slots: HashMap<String, usize>,
    /// Fact names → slots, for decoding (faster than the maps above).
    pub(crate) slot_index: crate::slots::SlotIndex,
    /// Per table: key tuple → row index.
    pub(crate) indexes: Vec<HashMap<Vec<Value>, usize>>,
    /// Per table: its rows as a list value.
    pub(crate) table_lists: Vec<Value>,
    /// The `application_date` input, when declared (the default reference date).
    pub(crate) application_date: Option<InputId>,
    /// Per let: the lets its definition reads directly (all earlier in order).
    pub(crate) let_deps: Vec<Vec<usize>>,
    /// Per source file: the byte offset where each line starts, so a trace
    /// node finds its line by binary search instead of rescanning the text.
    pub(crate) line_starts: Vec<Vec<usize>>,
    /// Per source file: the name trace nodes give it (`source.file`): the
    /// loader's name, or the path relative to a root set by
    /// [`Plan::set_source_roots`].
    pub(crate) file_names: Vec<Arc<str>>,
    /// Per span a trace node has shown: its source, built once and shared
    /// by every trace (bounded by the number of the policy's expressions).
    pub(crate) sources: std::sync::RwLock<SourceCache>,
    pub(crate) warnings: Vec<Diagnostic>,
    /// Text decisions share rather than copy.
    pub(crate) shared: Shared,
    /// Per let and per function: whether it may stop on no row or no tier
    /// (`Plan::may_refuse`).
    pub(crate) refusing: (Vec<bool>, Vec<bool>),
    /// Per benefit: whether it decides without a date (`compiled::date_free`).
    pub(crate) date_free: Vec<bool>,
    /// The compiled plan: the fast path with the trace off (`compiled`).
    pub(crate) compiled: Compiled,
}

/// The compiled plan (`compiled::Program`), held without naming its type:
/// `compiled` reads the plan, so the plan does not name `compiled`'s
/// types (the arrow goes one way); `compiled::program` gets it back (a
/// type-id comparison per decision).
pub(crate) struct Compiled(pub(crate) Box<dyn std::any::Any + Send + Sync>);

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Compiled(..)")
    }
}

/// Who sets an external's figure, and the criteria it applies.
pub(crate) type Authority = (Arc<str>, Arc<[Arc<str>]>);

/// Trace sources by span (file, start, end).
pub(crate) type SourceCache = HashMap<(FileId, usize, usize), Arc<SourceRef>, SpanHash>;

/// Hashes the span keys of the trace-source cache: a multiply-rotate per
/// word (the keys are the plan's own spans, not input, so no flooding
/// resistance is needed; SipHash was a third of a lookup's cost).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SpanHash;

impl std::hash::BuildHasher for SpanHash {
    type Hasher = SpanHasher;
    fn build_hasher(&self) -> SpanHasher {
        SpanHasher(0)
    }
}

#[derive(Debug)]
pub(crate) struct SpanHasher(u64);

impl std::hash::Hasher for SpanHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Text a [`crate::Decision`] points at instead of copying: built once per
/// plan, cloned into each decision as reference-counted pointers.
#[derive(Debug)]
pub(crate) struct Shared {
    pub policy: Arc<PolicyRef>,
    pub engine_version: Arc<str>,
    pub input_names: Vec<Arc<str>>,
    pub external_names: Vec<Arc<str>>,
    /// Names and labels of lets, parameters, functions and tables, as trace
    /// nodes show them.
    pub lets: Vec<(Arc<str>, Option<Arc<str>>)>,
    pub params: Vec<(Arc<str>, Option<Arc<str>>)>,
    pub fns: Vec<(Arc<str>, Option<Arc<str>>)>,
    pub tables: Vec<(Arc<str>, Option<Arc<str>>)>,
    /// The read name of the reference date (`as_of`).
    pub as_of: Arc<str>,
    /// Per table: the id of its no-row failure (`no_row:<table>`).
    pub no_row_ids: Vec<Arc<str>>,
    /// Empty text, for the stops probes drop unread.
    pub empty: Arc<str>,
    /// Per external an authority sets: who, and the criteria it applies.
    pub authorities: Vec<Option<Authority>>,
    /// Failure id and label of a date outside the in-force window.
    pub in_force_id: Arc<str>,
    pub in_force_label: Arc<str>,
    /// Failure id of a date no rule version covers.
    pub version_id: Arc<str>,
    /// The type names outputs show (`OutputValue::ty`), each once.
    pub output_types: Vec<(policy_core::checked::Type, Arc<str>)>,
}

impl Plan {
    /// Name of input `i`, shared.
    pub(crate) fn input_name(&self, i: usize) -> Arc<str> {
        self.shared.input_names.get(i).cloned().unwrap_or_else(|| Arc::from(""))
    }

    /// Name of external `i`, shared.
    pub(crate) fn external_name(&self, i: usize) -> Arc<str> {
        self.shared.external_names.get(i).cloned().unwrap_or_else(|| Arc::from(""))
    }

    /// The name of an output's type, shared.
    pub(crate) fn output_type(&self, ty: &policy_core::checked::Type) -> Arc<str> {
        match self.shared.output_types.iter().find(|(t, _)| t == ty) {
            Some((_, name)) => name.clone(),
            None => Arc::from(self.policy.type_name(ty)),
        }
    }

    /// The checked policy behind the plan.
    pub fn policy(&self) -> &CheckedPolicy {
        &self.policy
    }

    /// Names the policy's source files in trace nodes (`source.file`)
    /// relative to the first of `roots` that holds them, with `/` between
    /// components, so that a trace does not depend on where the policies are
    /// on a machine or on the path the engine was given. A file under none of
    /// the roots keeps the name its loader gave it. [`crate::Engine::from_dir`]
    /// sets its directory as the root.
    pub fn set_source_roots<P: AsRef<Path>>(&mut self, roots: &[P]) {
        let canonical: Vec<Option<PathBuf>> = roots.iter().map(|r| r.as_ref().canonicalize().ok()).collect();
        for (f, name) in self.policy.files.iter().zip(self.file_names.iter_mut()) {
            let path = Path::new(&*f.name);
            let path_canon = path.canonicalize().ok();
            let relative = roots.iter().zip(&canonical).find_map(|(root, canon)| {
                path.strip_prefix(root.as_ref())
                    .ok()
                    .or_else(|| path_canon.as_deref().zip(canon.as_deref()).and_then(|(p, c)| p.strip_prefix(c).ok()))
                    .filter(|rel| !rel.as_os_str().is_empty())
                    .map(|rel| rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"))
            });
            *name = Arc::from(relative.unwrap_or_else(|| f.name.to_string()));
        }
        self.forget_sources();
    }

    /// Renames the policy's source files as trace nodes show them
    /// (`source.file`): each current name (as [`Plan::set_source_roots`] or
    /// the loader left it) becomes `rename(name)`. A server that shows only
    /// file names renames once here, and every trace it writes, from the
    /// tree or straight from the event log, shows them.
    pub fn rename_source_files(&mut self, mut rename: impl FnMut(&str) -> String) {
        for name in self.file_names.iter_mut() {
            let renamed = rename(name);
            if *renamed != **name {
                *name = Arc::from(renamed);
            }
        }
        self.forget_sources();
    }

    /// Empties the cache of trace sources (their file names changed).
    fn forget_sources(&mut self) {
        match self.sources.get_mut() {
            Ok(m) => m.clear(),
            Err(poisoned) => poisoned.into_inner().clear(),
        }
    }

    /// Names source files as `other` does (a plan rebuilt from the same policy).
    pub(crate) fn copy_file_names(&mut self, other: &Plan) {
        if self.file_names.len() == other.file_names.len() {
            self.file_names.clone_from(&other.file_names);
            self.forget_sources();
        }
    }

    /// Warnings from checking.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The source of a span, for trace nodes: the same as
    /// `policy_core::diag::line_col` gives, found through the line index.
    /// Built once per span and shared (`sources`).
    pub(crate) fn source_ref(&self, file: FileId, span: Span) -> Option<Arc<SourceRef>> {
        let key = (file, span.start, span.end);
        if let Some(found) = self.sources.read().ok().and_then(|m| m.get(&key).cloned()) {
            return Some(found);
        }
        let made = Arc::new(self.make_source_ref(file, span)?);
        if let Ok(mut m) = self.sources.write() {
            m.entry(key).or_insert_with(|| made.clone());
        }
        Some(made)
    }

    /// The policy text of a span.
    pub(crate) fn source_text(&self, file: FileId, span: Span) -> Option<&str> {
        self.policy.files.get(file.index())?.text.get(span.start..span.end)
    }

    /// [`Plan::source_ref`] built afresh, not kept.
    pub(crate) fn make_source_ref(&self, file: FileId, span: Span) -> Option<SourceRef> {
        let f = self.policy.files.get(file.index())?;
        let text = f.text.get(span.start..span.end)?.to_string();
        let at = span.start.min(f.text.len());
        let starts = self.line_starts.get(file.index())?;
        let line = starts.partition_point(|&s| s <= at);
        let (line, column) = match line.checked_sub(1).and_then(|i| starts.get(i)).and_then(|&s| f.text.get(s..at)) {
            Some(head) => (line, head.chars().count() + 1),
            None => policy_core::diag::line_col(&f.text, span.start),
        };
        let name = self.file_names.get(file.index()).unwrap_or(&f.name);
        Some(SourceRef { file: name.to_string(), line, column, text })
    }
}

#[cfg(test)]
mod tests {
    use policy_core::ast::Span;
    use policy_core::checked::FileId;

    /// `source.file` is relative to the first root holding the file, with
    /// `/` separators; a file under no root keeps its loader name.
    #[test]
    fn source_roots_name_files_relative() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
        let loader = policy_core::loader::DirLoader::new(&[&root]);
        let source = policy_core::loader::Loader::load_policy(&loader, "jinhua.digital_engineer_2024").unwrap();
        let mut plan = crate::compile(&source, &loader).unwrap();
        let span = Span { start: 0, end: 1 };
        let names = |plan: &crate::Plan| -> Vec<String> {
            (0..plan.policy().files.len()).map(|i| plan.source_ref(FileId(u32::try_from(i).unwrap()), span).unwrap().file.clone()).collect()
        };
        let given = names(&plan);
        assert!(given.iter().all(|n| n.starts_with(&root.display().to_string())), "{given:?}");
        plan.set_source_roots(&[root.join("nowhere"), root.join("jinhua")]);
        assert_eq!(names(&plan)[0], "digital_engineer_2024.policy");
        assert_eq!(names(&plan)[1..], given[1..], "an import outside the roots keeps its name");
        plan.set_source_roots(&[root.canonicalize().unwrap()]);
        assert_eq!(names(&plan), ["jinhua/digital_engineer_2024.policy", "zhejiang/digital_engineer_2023.policy"]);
        // Renaming starts from the current names, and the sources cached
        // under the old ones are forgotten.
        plan.rename_source_files(|n| n.rsplit('/').next().unwrap_or(n).to_string());
        assert_eq!(names(&plan), ["digital_engineer_2024.policy", "digital_engineer_2023.policy"]);
        plan.set_source_roots::<&str>(&[]);
        assert_eq!(names(&plan), given);
    }

    /// The line index gives what `line_col` gives, at every offset of every
    /// file of every bundled policy (imports included).
    #[test]
    fn source_ref_matches_line_col() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
        let engine = crate::Engine::from_dir(root).unwrap();
        for id in engine.ids() {
            let plan = engine.plan(id).unwrap();
            for (i, f) in plan.policy().files.iter().enumerate() {
                let file = FileId(u32::try_from(i).unwrap());
                for start in (0..=f.text.len() + 1).filter(|&s| s > f.text.len() || f.text.is_char_boundary(s)) {
                    let end = start;
                    let got = plan.make_source_ref(file, Span { start, end });
                    let want = f.text.get(start..end).map(|_| policy_core::diag::line_col(&f.text, start));
                    assert_eq!(got.map(|r| (r.line, r.column)), want, "{id} file {i} at {start}");
                }
            }
        }
    }
}
