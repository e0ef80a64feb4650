//! AST to checked policy: loads imports through a [`Loader`], resolves names,
//! checks types, orders `let`s (rejecting cycles), and analyses tiers, dated
//! parameters, citations and unused inputs. Keeps going after errors and
//! returns every diagnostic it found.
//!
//! Here: the entry points, the checker's state, loading modules and the
//! order of the passes, and the checked policy assembled (`finish`);
//! `decls.rs` declarations and types, `cite.rs` clauses, quotes and
//! citations, `values.rs` parameters, functions, lets, assertions and unused
//! inputs, `benefit.rs` benefits, `expr/` expressions, `walk.rs` shared walks
//! over expressions, `hints.rs` "did you mean"; the analyses in `tiers.rs`,
//! `coverage.rs`, `reach.rs`, `depends.rs`; amendments in `amend/`.

mod amend;
mod benefit;
mod cite;
mod coverage;
mod decls;
mod depends;
mod expr;
mod hints;
mod reach;
mod tiers;
mod values;
mod walk;

pub use hints::did_you_mean;
use values::remap_lets;
pub use walk::walk_mut;
use walk::{free_names, reads_facts};

use crate::ast::{self, Item, PolicyFile, Span, TypeExpr};
use crate::checked::*;
use crate::diag::{codes, Diagnostic};
use crate::limits;
use crate::loader::{LoadError, Loader, Source};
use crate::value::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// The result of checking: the policy (absent when there are errors) and
/// every diagnostic, errors and warnings, in file order.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The checked policy, when there were no errors.
    pub policy: Option<CheckedPolicy>,
    /// All diagnostics.
    pub diagnostics: Vec<Diagnostic>,
    /// Source files read (the policy first), for rendering diagnostics.
    pub files: Vec<SourceInfo>,
}

/// Checks the policy in `source`, loading its imports through `loader`.
pub fn check_source(source: &Source, loader: &dyn Loader) -> Checked {
    let mut c = Checker::new(loader);
    let root = c.load_module(source, &mut Vec::new());
    if let Some(root) = root {
        c.run(root);
    }
    c.finish(root)
}

/// Checks the policy with id `id` from `loader`.
pub fn check_id(id: &str, loader: &dyn Loader) -> Checked {
    match loader.load_policy(id) {
        Ok(src) => check_source(&src, loader),
        Err(e) => {
            let name: Arc<str> = Arc::from(id);
            Checked {
                policy: None,
                diagnostics: vec![Diagnostic::error(codes::IMPORT_FAILED, &name, Span::default(), e.to_string())],
                files: Vec::new(),
            }
        }
    }
}

/// A name in a module's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sym {
    Unit(UnitId),
    Enum(EnumId),
    Record(RecordId),
    Input(InputId),
    Param(ParamId),
    External(ExternalId),
    Table(TableId),
    Let(LetId),
    Fn(FnId),
}

/// A citation without a quote of its own, inheriting its clause's.
struct Inherited {
    /// The module where it is written.
    module: usize,
    /// The file where it is written (in an amendment, an inherited rule's is
    /// the amended policy's).
    file: FileId,
    /// The module whose clause it cites.
    target: usize,
    clause: String,
    /// Rules with the same key mean the same (the same document in two
    /// benefits, a condition repeated in two versions).
    key: String,
    /// The citing rule's kind and label, as shown.
    meaning: String,
    span: Span,
}

/// One loaded file.
pub(crate) struct Module {
    pub file: FileId,
    /// Shared, so that a pass can walk the items while the checker changes.
    pub ast: std::sync::Arc<PolicyFile>,
    pub scope: HashMap<String, Sym>,
    pub aliases: HashMap<String, usize>,
    pub poisoned: HashSet<String>,
    pub document: String,
    /// clause number → (quote, index into `clauses` when root)
    pub clauses: HashMap<String, Option<String>>,
    /// The source document's text with all whitespace removed (shared: each
    /// citation reads it).
    pub source_text: Option<Arc<str>>,
    pub is_root: bool,
    /// An amended policy: its items were merged into its amendment's, so it
    /// serves only its clause map and document to citations.
    pub doc_only: bool,
    /// The amendment's `repeal … cite "…"` citations (checked in `run`).
    pub repeal_cites: Vec<ast::Cite>,
    /// Inputs an amendment inherits (see [`amend::Merged`]).
    pub inherited_inputs: HashSet<String>,
    /// An amendment's merged items: the file each came from (aligned with
    /// `ast.items`; empty for a policy that amends nothing).
    pub pieces: Vec<amend::Piece>,
}

pub(crate) struct Checker<'l> {
    loader: &'l dyn Loader,
    pub diags: Vec<Diagnostic>,
    pub modules: Vec<Module>,
    loaded: HashMap<String, usize>,
    pub files: Vec<SourceInfo>,
    pub units: Vec<UnitDef>,
    pub conversions: Vec<ConversionDef>,
    pub enums: Vec<EnumDef>,
    pub records: Vec<RecordDef>,
    pub inputs: Vec<InputDef>,
    pub params: Vec<ParamDef>,
    pub externals: Vec<ExternalDef>,
    pub tables: Vec<TableDef>,
    pub let_types: Vec<Type>,
    pub lets: Vec<Option<LetDef>>,
    pub let_order: Vec<LetId>,
    /// Functions, in declaration order; a body is filled in when checked.
    pub functions: Vec<FnDef>,
    /// While checking a function's body: its id (it may call only earlier
    /// functions, and read no fact, let or external).
    pub in_function: Option<FnId>,
    pub asserts: Vec<AssertDef>,
    pub clause_defs: Vec<ClauseDef>,
    pub benefits: Vec<BenefitDef>,
    /// See [`CheckedPolicy::benefit_order`].
    pub benefit_order: Vec<u32>,
    pub cited: HashSet<(usize, String)>,
    /// Citations that inherit their clause's quote (see [`Checker::citation`]).
    inherited: Vec<Inherited>,
    pub used_inputs: HashSet<InputId>,
    /// Quantifier-bound names, innermost last.
    pub locals: Vec<(String, Type)>,
    /// Whether `amount` names the running amount.
    pub amount_in_scope: Option<Type>,
    /// The root policy's benefit ids in declaration order (each once), so
    /// that `amount_of(b)` resolves before `b` is checked.
    pub benefit_names: Vec<String>,
    /// Where each of `benefit_names` is declared (its id).
    pub benefit_spans: Vec<Span>,
    /// The file each benefit is written in (an amendment's inherited
    /// benefits are in the amended policy's), for messages at their spans.
    pub benefit_files: Vec<FileId>,
    /// Whether the expression being checked is evaluated for a benefit
    /// (a let or a benefit's clause), where `amount_of` may be read.
    pub in_benefit_context: bool,
    /// Whether any expression reads `amount_of` (else no benefit depends
    /// on another and the declaration order is the decision order).
    pub reads_amounts: bool,
    /// Per file: the byte offset where each line starts (see [`Checker::line_of`]).
    line_starts: Vec<Vec<usize>>,
    /// "did you mean" hints still to give (see [`Checker::take_hint`]).
    hints_left: usize,
    /// While checking an inherited part of an amendment's merged tree: the
    /// module and the file that part came from (see [`Checker::enter`]).
    piece_file: Option<(usize, FileId)>,
    /// Amended policies checked alone, by id: their error count and the
    /// message of a cycle found through them. Shared with the checkers of
    /// amended policies, so that a chain of amendments checks each policy
    /// alone once (not once per path, which doubles with each link).
    alone: AloneChecks,
}

/// See [`Checker::alone`]: per amended policy id, its error count and a
/// cycle message.
type AloneChecks = std::rc::Rc<std::cell::RefCell<HashMap<String, (usize, Option<String>)>>>;

/// Most "did you mean" hints (and lists of the names to choose from) one
/// check gives. Each compares the unknown name with every name in scope, so
/// unbounded hints were quadratic: 4,000 misspelt names among 4,000 inputs
/// took minutes.
pub(crate) const MAX_HINTS: usize = 100;

impl<'l> Checker<'l> {
    fn new(loader: &'l dyn Loader) -> Self {
        Checker {
            loader,
            diags: Vec::new(),
            modules: Vec::new(),
            loaded: HashMap::new(),
            files: Vec::new(),
            units: Vec::new(),
            conversions: Vec::new(),
            enums: Vec::new(),
            records: Vec::new(),
            inputs: Vec::new(),
            params: Vec::new(),
            externals: Vec::new(),
            tables: Vec::new(),
            let_types: Vec::new(),
            lets: Vec::new(),
            let_order: Vec::new(),
            functions: Vec::new(),
            in_function: None,
            asserts: Vec::new(),
            clause_defs: Vec::new(),
            benefits: Vec::new(),
            benefit_order: Vec::new(),
            cited: HashSet::new(),
            inherited: Vec::new(),
            used_inputs: HashSet::new(),
            locals: Vec::new(),
            amount_in_scope: None,
            benefit_names: Vec::new(),
            benefit_spans: Vec::new(),
            benefit_files: Vec::new(),
            in_benefit_context: false,
            reads_amounts: false,
            line_starts: Vec::new(),
            hints_left: MAX_HINTS,
            piece_file: None,
            alone: Default::default(),
        }
    }

    pub fn file_name(&self, m: usize) -> Arc<str> {
        self.files.get(self.file_of(m).index()).map(|f| f.name.clone()).unwrap_or_else(|| Arc::from("<unknown>"))
    }

    /// The file module `m`'s code being checked comes from: its own, or,
    /// in an amendment, the amended policy's for an inherited part.
    pub(crate) fn file_of(&self, m: usize) -> FileId {
        match self.piece_file {
            Some((pm, f)) if pm == m => f,
            _ => self.modules.get(m).map(|md| md.file).unwrap_or(FileId(0)),
        }
    }

    /// Notes which file the part of module `m` at `path` (item index, then
    /// clause or version indices) came from, until the next `enter` or
    /// [`Checker::leave`].
    pub(crate) fn enter(&mut self, m: usize, path: &[usize]) {
        self.piece_file = self.modules.get(m).and_then(|md| amend::piece_file(&md.pieces, path)).map(|f| (m, f));
    }

    /// Back to module files.
    pub(crate) fn leave(&mut self) {
        self.piece_file = None;
    }

    pub fn error(&mut self, m: usize, code: crate::diag::Code, span: Span, msg: impl Into<String>) -> &mut Diagnostic {
        let file = self.file_name(m);
        self.diags.push(Diagnostic::error(code, &file, span, msg));
        let last = self.diags.len() - 1;
        #[allow(clippy::indexing_slicing)] // INVARIANT: just pushed.
        &mut self.diags[last]
    }

    pub fn warning(&mut self, m: usize, code: crate::diag::Code, span: Span, msg: impl Into<String>) -> &mut Diagnostic {
        let file = self.file_name(m);
        self.diags.push(Diagnostic::warning(code, &file, span, msg));
        let last = self.diags.len() - 1;
        #[allow(clippy::indexing_slicing)] // INVARIANT: just pushed.
        &mut self.diags[last]
    }

    /// Parses `source` and, depth first, every policy it imports. Returns the
    /// module index; imports come before their importers in `modules`.
    fn load_module(&mut self, source: &Source, stack: &mut Vec<String>) -> Option<usize> {
        // UTF-8 is validated once: the parser and the file's text share it.
        let (parsed, text): (_, Arc<str>) = match std::str::from_utf8(&source.bytes) {
            Ok(t) => (crate::parse::parse(&source.name, t), Arc::from(t)),
            Err(_) => (crate::parse::parse_bytes(&source.name, &source.bytes), Arc::from(String::from_utf8_lossy(&source.bytes).as_ref())),
        };
        self.diags.extend(parsed.diagnostics);
        let mut ast = parsed.file?;
        let id = ast.header.id.name.clone();
        let file = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.line_starts.push(std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect());
        self.files.push(SourceInfo { name: source.name.clone(), text, policy_id: id.clone() });
        stack.push(id.clone());
        let mut aliases = HashMap::new();
        let mut repeal_cites = Vec::new();
        let mut inherited_inputs = HashSet::new();
        let mut pieces = Vec::new();
        match ast.header.amends.clone() {
            Some(base_id) => {
                if let Some((base, merged)) = self.load_amended(source, file, &ast, &base_id, stack) {
                    // The amended policy's aliases (its imports, and the
                    // policies it amends in turn) serve its inherited citations.
                    if let Some(md) = self.modules.get(base) {
                        aliases.extend(md.aliases.iter().map(|(k, v)| (k.clone(), *v)));
                    }
                    aliases.insert(amend::base_alias(&base_id.name).name, base);
                    ast = merged.file;
                    repeal_cites = merged.repeal_cites;
                    inherited_inputs = merged.inherited_inputs.into_iter().collect();
                    pieces = merged.pieces;
                } else {
                    // Without its base the amendment's changes apply to nothing.
                    ast.items.retain(|i| !matches!(i, Item::Amend(_) | Item::Repeal(_)));
                }
            }
            None => self.reject_stray_changes(&source.name, &ast),
        }
        for item in &ast.items {
            let Item::Use(u) = item else { continue };
            let alias =
                u.alias.as_ref().map(|a| a.name.clone()).unwrap_or_else(|| u.policy.name.rsplit('.').next().unwrap_or("").to_string());
            let target = u.policy.name.clone();
            let name = source.name.clone();
            if stack.contains(&target) {
                let chain = format!("{} -> {}", stack.join(" -> "), target);
                self.diags.push(
                    Diagnostic::error(codes::IMPORT_CYCLE, &name, u.span, format!("`use` of `{target}` forms a cycle: {chain}"))
                        .with_help("move what both policies need into a third policy that neither imports"),
                );
                continue;
            }
            if stack.len() >= limits::MAX_IMPORT_DEPTH {
                self.diags.push(Diagnostic::error(
                    codes::IMPORT_CYCLE,
                    &name,
                    u.span,
                    format!("import chain deeper than the limit of {}", limits::MAX_IMPORT_DEPTH),
                ));
                continue;
            }
            let index = if let Some(&i) = self.loaded.get(&target) {
                Some(i)
            } else {
                match self.loader.load_policy(&target) {
                    Ok(src) => self.load_module(&src, stack),
                    Err(e) => {
                        self.diags.push(
                            Diagnostic::error(codes::IMPORT_FAILED, &name, u.policy.span, format!("cannot import `{target}`: {e}"))
                                .with_help("check the policy id in the imported file's `policy` header"),
                        );
                        None
                    }
                }
            };
            if let Some(i) = index {
                aliases.insert(alias, i);
            }
        }
        stack.pop();
        // Kept whitespace-free: quotes are compared with whitespace removed.
        // The path is checked here whatever the loader: a policy reads only
        // from its own folder (no absolute path, no `..` climbing out).
        let mut source_text = None;
        if let Some(s) = &ast.header.source {
            let loaded = crate::loader::check_document_path(&s.value)
                .map_err(|reason| LoadError::Refused { path: s.value.clone(), reason })
                .and_then(|()| self.loader.load_document(&source.name, &s.value));
            match loaded {
                Ok(t) => source_text = Some(Arc::from(normalize_ws(&t))),
                Err(LoadError::Refused { reason, .. }) => self.diags.push(
                    Diagnostic::error(
                        codes::SOURCE_REFUSED,
                        &source.name,
                        s.span,
                        format!("the source document `{}` is refused: {reason}", s.value),
                    )
                    .with_help("put the source document in the policy's own folder (a regular file) and name it by a relative path"),
                ),
                Err(e) => {
                    let why = match &e {
                        LoadError::Io { message, .. } => message.clone(),
                        LoadError::NotFound(_) => "no such file".to_string(),
                        other => other.to_string(),
                    };
                    self.diags.push(
                        Diagnostic::warning(
                            codes::MISSING_SOURCE,
                            &source.name,
                            s.span,
                            format!("cannot read the source document `{}`: {why}", s.value),
                        )
                        .with_help("quotes are not verified without the source text"),
                    );
                }
            }
        }
        // Citations name the document number; a document without one is named by its title.
        let document = if ast.header.documents.is_empty() {
            format!("《{}》", ast.header.title.value)
        } else {
            ast.header.documents.iter().map(|d| d.value.as_str()).collect::<Vec<_>>().join(" / ")
        };
        let index = self.modules.len();
        self.modules.push(Module {
            file,
            ast: std::sync::Arc::new(ast),
            scope: HashMap::new(),
            aliases,
            poisoned: parsed.poisoned_names.into_iter().collect(),
            document,
            clauses: HashMap::new(),
            source_text,
            is_root: stack.is_empty(),
            doc_only: false,
            repeal_cites,
            inherited_inputs,
            pieces,
        });
        self.loaded.insert(id, index);
        Some(index)
    }

    fn run(&mut self, root: usize) {
        // Imports were loaded first, so module order is dependency order. An
        // amended policy lends only its clauses: its items are in its
        // amendment's merged tree.
        let live: Vec<usize> = (0..self.modules.len()).filter(|&m| !self.modules.get(m).is_some_and(|md| md.doc_only)).collect();
        for m in 0..self.modules.len() {
            let is_root = m == root;
            self.declare_clauses(m, is_root);
            if live.contains(&m) {
                self.declare_types(m);
                self.declare_values(m, is_root);
                self.leave();
            }
        }
        for &m in &live {
            self.check_tables(m);
            self.check_params(m);
            self.leave();
        }
        self.declare_benefits(root);
        for &m in &live {
            self.check_functions(m);
            self.leave();
        }
        self.in_benefit_context = true;
        self.check_lets(root);
        self.leave();
        self.in_benefit_context = false;
        for &m in &live {
            self.check_asserts(m);
            self.leave();
        }
        let repeal_cites = self.modules.get(root).map(|md| md.repeal_cites.clone()).unwrap_or_default();
        for c in &repeal_cites {
            self.citation(root, Some(c), None);
        }
        self.in_benefit_context = true;
        self.check_benefits(root);
        self.leave();
        self.in_benefit_context = false;
        self.order_benefits(root);
        self.check_in_force(root);
        self.check_caps(root);
        self.report_unused(root);
    }

    /// Module `m`'s syntax tree, shared (a reference count, not a copy), so
    /// that a pass can walk its items while it changes the checker.
    pub(super) fn module_ast(&self, m: usize) -> Option<std::sync::Arc<PolicyFile>> {
        self.modules.get(m).map(|md| md.ast.clone())
    }

    fn qualify(&self, m: usize, name: &str) -> String {
        match self.modules.get(m) {
            Some(md) if !md.is_root => format!("{}.{}", md.ast.header.id.name, name),
            _ => name.to_string(),
        }
    }

    fn bind(&mut self, m: usize, name: &ast::Ident, sym: Sym) {
        let Some(md) = self.modules.get_mut(m) else { return };
        if let Some(prev) = md.scope.get(&name.name).copied() {
            let msg = format!("`{}` is declared twice (as {} and as {})", name.name, sym_kind(prev), sym_kind(sym));
            self.error(m, codes::DUPLICATE_NAME, name.span, msg).help =
                Some("types and values share one namespace; rename one of them (e.g. `input cert_level: level`)".into());
        } else if md.aliases.contains_key(&name.name) {
            let msg = format!("`{}` is already the alias of an imported policy", name.name);
            self.error(m, codes::DUPLICATE_NAME, name.span, msg).help = Some("rename one of them".into());
        } else {
            md.scope.insert(name.name.clone(), sym);
        }
    }

    /// 1-based line of `span`'s start in module `m`'s file, by binary search
    /// in the file's line starts (messages quoting the line of an earlier
    /// item used to rescan the text each time: quadratic with many of them).
    pub fn line_of(&self, m: usize, span: Span) -> usize {
        self.modules
            .get(m)
            .and_then(|_| self.line_starts.get(self.file_of(m).index()))
            .map(|starts| starts.partition_point(|&s| s <= span.start))
            .unwrap_or(0)
    }

    /// Whether a "did you mean" hint may still be given ([`MAX_HINTS`] per
    /// check); uses one up.
    pub fn take_hint(&mut self) -> bool {
        let ok = self.hints_left > 0;
        self.hints_left = self.hints_left.saturating_sub(1);
        ok
    }

    fn finish(mut self, root: Option<usize>) -> Checked {
        let files = self.files.clone();
        let Some(root) = root else {
            return Checked { policy: None, diagnostics: self.diags, files };
        };
        // Keep file order stable: sort by file then position.
        let order: HashMap<Arc<str>, usize> = files.iter().enumerate().map(|(i, f)| (f.name.clone(), i)).collect();
        self.diags.sort_by_key(|d| (order.get(&d.file).copied().unwrap_or(usize::MAX), d.span.start));
        if self.diags.iter().any(Diagnostic::is_error) {
            return Checked { policy: None, diagnostics: self.diags, files };
        }
        let Some(md) = self.modules.get(root) else {
            return Checked { policy: None, diagnostics: self.diags, files };
        };
        let h = &md.ast.header;
        let mut hasher = Sha256::new();
        for f in &files {
            hasher.update(f.policy_id.as_bytes());
            hasher.update([0u8]);
            hasher.update(f.text.as_bytes());
            hasher.update([0u8]);
        }
        let content_hash = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>();
        let meta = PolicyMeta {
            id: h.id.name.clone(),
            title: h.title.value.clone(),
            documents: h.documents.iter().map(|d| d.value.clone()).collect(),
            issuer: h.issuer.as_ref().map(|s| s.value.clone()),
            region: h.region.as_ref().map(|s| s.value.clone()),
            issued: h.issued.as_ref().map(|d| d.value),
            in_force_from: h.in_force.as_ref().and_then(|f| f.from.as_ref().map(|d| d.value)),
            in_force_until: h.in_force.as_ref().and_then(|f| f.until.as_ref().map(|d| d.value)),
            version: h.version.as_ref().map(|s| s.value.clone()),
            amends: h.amends.as_ref().map(|a| a.name.clone()),
            content_hash,
        };
        // Lets in dependency order; ids are remapped to that order.
        let mut remap = vec![0u32; self.lets.len()];
        let mut lets = Vec::with_capacity(self.let_order.len());
        for (new, old) in self.let_order.iter().enumerate() {
            if let (Some(slot), Some(Some(def))) = (remap.get_mut(old.index()), self.lets.get(old.index())) {
                *slot = u32::try_from(new).unwrap_or(u32::MAX);
                lets.push(def.clone());
            }
        }
        let mut policy = CheckedPolicy {
            meta,
            files: files.clone(),
            units: self.units,
            conversions: self.conversions,
            enums: self.enums,
            records: self.records,
            inputs: self.inputs,
            params: self.params,
            externals: self.externals,
            tables: self.tables,
            lets,
            functions: self.functions,
            asserts: self.asserts,
            clauses: self.clause_defs,
            benefits: self.benefits,
            benefit_order: self.benefit_order,
        };
        remap_lets(&mut policy, &remap);
        Checked { policy: Some(policy), diagnostics: self.diags, files }
    }
}

fn sym_kind(s: Sym) -> &'static str {
    match s {
        Sym::Unit(_) => "a unit",
        Sym::Enum(_) => "an enum",
        Sym::Record(_) => "a record",
        Sym::Input(_) => "an input",
        Sym::Param(_) => "a parameter",
        Sym::External(_) => "an external",
        Sym::Table(_) => "a table",
        Sym::Let(_) => "a let",
        Sym::Fn(_) => "a function",
    }
}

pub(crate) fn len32<T>(v: &[T]) -> u32 {
    u32::try_from(v.len()).unwrap_or(u32::MAX)
}

pub(crate) fn is_builtin_unit(name: &str) -> bool {
    matches!(name, "yuan" | "day" | "days" | "month" | "months" | "year" | "years")
}

/// Removes all whitespace (documents converted from PDF break lines anywhere).
pub fn normalize_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    out.extend(s.chars().filter(|c| !c.is_whitespace()));
    out
}

/// Label helper on a diagnostic reference.
pub(crate) trait WithLabelMut {
    fn with_label_mut(&mut self, label: &str);
}

impl WithLabelMut for Diagnostic {
    fn with_label_mut(&mut self, label: &str) {
        self.label = Some(label.to_string());
    }
}
