//! AST to checked policy: loads imports through a [`Loader`], resolves names,
//! checks types, orders `let`s (rejecting cycles), and analyses tiers, dated
//! parameters, citations and unused inputs. Keeps going after errors and
//! returns every diagnostic it found.

mod amend;
mod benefit;
mod coverage;
mod depends;
mod expr;
mod reach;
mod tiers;

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

    /// Units, enums and records first (names only), then record fields and conversions.
    fn declare_types(&mut self, m: usize) {
        let ast = self.module_ast(m);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        for item in items {
            match item {
                Item::Unit(u) => {
                    let id = UnitId(len32(&self.units));
                    self.units.push(UnitDef { name: self.qualify(m, &u.name.name), label: u.label.value.clone() });
                    if is_builtin_unit(&u.name.name) {
                        let msg = format!("`{}` is a built-in unit", u.name.name);
                        self.error(m, codes::DUPLICATE_NAME, u.name.span, msg);
                    }
                    self.bind(m, &u.name, Sym::Unit(id));
                }
                Item::Enum(e) => {
                    let id = EnumId(len32(&self.enums));
                    let mut seen = HashSet::new();
                    for v in &e.variants {
                        if !seen.insert(v.name.name.clone()) {
                            let msg = format!("variant `{}` is declared twice", v.name.name);
                            self.error(m, codes::DUPLICATE_NAME, v.name.span, msg);
                        }
                    }
                    self.enums.push(EnumDef {
                        name: self.qualify(m, &e.name.name),
                        label: e.label.as_ref().map(|l| l.value.clone()),
                        variants: e.variants.iter().map(|v| (v.name.name.clone(), v.label.as_ref().map(|l| l.value.clone()))).collect(),
                    });
                    self.bind(m, &e.name, Sym::Enum(id));
                }
                Item::Record(r) => {
                    let id = RecordId(len32(&self.records));
                    self.records.push(RecordDef { name: self.qualify(m, &r.name.name), fields: Vec::new() });
                    self.bind(m, &r.name, Sym::Record(id));
                }
                _ => {}
            }
        }
        for item in items {
            match item {
                Item::Record(r) => {
                    let Some(Sym::Record(id)) = self.lookup_sym(m, &r.name.name) else { continue };
                    let mut fields: Vec<(String, Type, Option<String>)> = Vec::new();
                    for f in &r.fields {
                        if fields.iter().any(|(n, _, _)| *n == f.name.name) {
                            let msg = format!("field `{}` is declared twice", f.name.name);
                            self.error(m, codes::DUPLICATE_NAME, f.name.span, msg);
                            continue;
                        }
                        let ty = self.resolve_type(m, &f.ty);
                        fields.push((f.name.name.clone(), ty, f.label.as_ref().map(|l| l.value.clone())));
                    }
                    if let Some(rec) = self.records.get_mut(id.index()) {
                        rec.fields = fields;
                    }
                }
                Item::Convert(cv) => self.declare_conversion(m, cv),
                _ => {}
            }
        }
    }

    fn declare_conversion(&mut self, m: usize, cv: &ast::ConvertDecl) {
        let side = |this: &mut Self, e: &ast::Expr| -> Option<(rust_decimal::Decimal, UnitId)> {
            if let ast::ExprKind::Number { value, suffix: Some(ast::Suffix::Unit(u)) } = &e.kind {
                if let Some(Sym::Unit(id)) = this.lookup_sym(m, &u.name) {
                    if value.is_sign_positive() && !value.is_zero() {
                        return Some((*value, id));
                    }
                }
            }
            this.error(m, codes::TYPE_MISMATCH, e.span, "expected a positive quantity in a declared unit")
                .with_label_mut("e.g. `3 clock_hour`");
            None
        };
        let (Some((fc, fu)), Some((tc, tu))) = (side(self, &cv.from), side(self, &cv.to)) else { return };
        if fu == tu {
            self.error(m, codes::TYPE_MISMATCH, cv.span, "a conversion needs two different units");
            return;
        }
        let cite = self.citation(m, cv.cite.as_ref(), Some("the conversion".into()));
        self.conversions.push(ConversionDef { from: fu, from_count: fc, to: tu, to_count: tc, cite });
    }

    pub fn lookup_sym(&self, m: usize, name: &str) -> Option<Sym> {
        let md = self.modules.get(m)?;
        if let Some(s) = md.scope.get(name) {
            return Some(*s);
        }
        let (alias, rest) = name.split_once('.')?;
        let target = *md.aliases.get(alias)?;
        self.modules.get(target)?.scope.get(rest).copied()
    }

    pub fn resolve_type(&mut self, m: usize, t: &TypeExpr) -> Type {
        match t {
            TypeExpr::List(i) => Type::List(Box::new(self.resolve_named_type(m, i))),
            TypeExpr::Named(i) => self.resolve_named_type(m, i),
        }
    }

    fn resolve_named_type(&mut self, m: usize, i: &ast::Ident) -> Type {
        match i.name.as_str() {
            "bool" => return Type::Bool,
            "int" => return Type::Int,
            "decimal" => return Type::Decimal,
            "money" => return Type::Money,
            "percent" => return Type::Percent,
            "date" => return Type::Date,
            "duration" => return Type::Duration,
            "text" => return Type::Text,
            _ => {}
        }
        match self.lookup_sym(m, &i.name) {
            Some(Sym::Unit(u)) => Type::Quantity(u),
            Some(Sym::Enum(e)) => Type::Enum(e),
            Some(Sym::Record(r)) => Type::Record(r),
            _ if self.is_poisoned(m, &i.name) => Type::Error,
            _ => {
                let mut names: Vec<String> =
                    ["bool", "int", "decimal", "money", "percent", "date", "duration", "text"].iter().map(|s| s.to_string()).collect();
                if let Some(md) = self.modules.get(m) {
                    names.extend(
                        md.scope.iter().filter(|(_, s)| matches!(s, Sym::Unit(_) | Sym::Enum(_) | Sym::Record(_))).map(|(k, _)| k.clone()),
                    );
                }
                let help = if self.take_hint() { did_you_mean(&i.name, names.iter().map(String::as_str)) } else { None };
                let msg = format!("unknown type `{}`", i.name);
                let d = self.error(m, codes::UNKNOWN_TYPE, i.span, msg);
                d.label = Some("not a built-in type, unit, enum or record".into());
                d.help = help;
                Type::Error
            }
        }
    }

    pub fn is_poisoned(&self, m: usize, name: &str) -> bool {
        self.modules.get(m).is_some_and(|md| md.poisoned.contains(name.split('.').next().unwrap_or(name)))
    }

    fn declare_clauses(&mut self, m: usize, is_root: bool) {
        let ast = self.module_ast(m);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        let normalized_source = self.modules.get(m).and_then(|md| md.source_text.clone());
        for item in items {
            let Item::Clause(c) = item else { continue };
            let dup = self.modules.get(m).is_some_and(|md| md.clauses.contains_key(&c.number.value));
            if dup {
                let msg = format!("clause `{}` is declared twice", c.number.value);
                self.error(m, codes::DUPLICATE_NAME, c.number.span, msg);
                continue;
            }
            let quote = match &c.body {
                ast::ClauseBody::Quote(q) => {
                    self.verify_quote(m, q, normalized_source.as_deref());
                    Some(q.value.clone())
                }
                ast::ClauseBody::NotComputable(_) => None,
            };
            if let Some(md) = self.modules.get_mut(m) {
                md.clauses.insert(c.number.value.clone(), quote.clone());
            }
            if is_root {
                self.clause_defs.push(ClauseDef {
                    number: c.number.value.clone(),
                    title: c.title.as_ref().map(|t| t.value.clone()),
                    quote,
                    not_computable: match &c.body {
                        ast::ClauseBody::NotComputable(r) => Some(r.value.clone()),
                        ast::ClauseBody::Quote(_) => None,
                    },
                    cited: false,
                });
            }
        }
    }

    /// Checks that `q` is in `source` (the text of the cited document); a
    /// miss is reported in module `m`, where the quote is written.
    fn verify_quote(&mut self, m: usize, q: &ast::Str, source: Option<&str>) {
        let Some(source) = source else { return };
        // memchr's SIMD substring search: the source document is long, and
        // every quote and clause is looked up in it.
        if memchr::memmem::find(source.as_bytes(), normalize_ws(&q.value).as_bytes()).is_none() {
            let msg = "quoted text is not in the source document".to_string();
            let d = self.error(m, codes::QUOTE_NOT_IN_SOURCE, q.span, msg);
            d.help = Some("copy the sentence verbatim from the source; whitespace and line breaks are ignored".into());
        }
    }

    /// Resolves a citation against the clause map of the module's own
    /// document, or of an imported policy's (`cite zj."四（四）"`). `meaning`
    /// names the rule that cites (its kind and label): a citation without a
    /// quote of its own inherits the clause's, and the checker reports a
    /// clause whose quote is inherited by rules of different meanings
    /// ([`Checker::report_ambiguous_quotes`]).
    pub fn citation(&mut self, m: usize, cite: Option<&ast::Cite>, meaning: Option<String>) -> Option<Citation> {
        let cite = cite?;
        let target = match &cite.policy {
            None => m,
            Some(alias) => match self.modules.get(m).and_then(|md| md.aliases.get(&alias.name)).copied() {
                Some(t) => t,
                None => {
                    if !self.is_poisoned(m, &alias.name) {
                        let msg = format!("`{}` is not the alias of an imported policy", alias.name);
                        let d = self.error(m, codes::UNKNOWN_NAME, alias.span, msg);
                        d.help = Some("import it with `use <policy id> as <alias>`, or cite the policy's own clause".into());
                    }
                    return None;
                }
            },
        };
        let (known, has_map, clause_quote, document, source) = match self.modules.get(target) {
            Some(md) => (
                md.clauses.contains_key(&cite.clause.value),
                !md.clauses.is_empty(),
                md.clauses.get(&cite.clause.value).cloned().flatten(),
                md.document.clone(),
                md.source_text.clone(),
            ),
            None => return None,
        };
        if (has_map || target != m) && !known {
            let help = if self.take_hint() {
                let names: Vec<String> = self.modules.get(target).map(|md| md.clauses.keys().cloned().collect()).unwrap_or_default();
                did_you_mean(&cite.clause.value, names.iter().map(String::as_str))
            } else {
                None
            }
            .unwrap_or_else(|| "declare it with `clause \"…\" quote \"…\"`".into());
            let whose = match &cite.policy {
                Some(a) => format!("the imported policy `{}`", a.name),
                None => "the policy".into(),
            };
            let msg = format!("citation of clause `{}`, which {whose} does not declare", cite.clause.value);
            let d = self.error(m, codes::UNKNOWN_CLAUSE, cite.clause.span, msg);
            d.help = Some(help);
        }
        if let Some(q) = &cite.quote {
            self.verify_quote(m, q, source.as_deref());
        } else if let (Some(meaning), true, Some(_)) = (meaning, known, &clause_quote) {
            // Unlabelled rules are told apart by where they are written.
            let key = if meaning.starts_with("an unlabelled") { format!("{meaning}@{}", cite.span.start) } else { meaning.clone() };
            let file = self.file_of(m);
            self.inherited.push(Inherited { module: m, file, target, clause: cite.clause.value.clone(), key, meaning, span: cite.span });
        }
        self.cited.insert((target, cite.clause.value.clone()));
        Some(Citation {
            document: document.into(),
            clause: cite.clause.value.as_str().into(),
            quote: cite.quote.as_ref().map(|q| q.value.as_str().into()).or(clause_quote.map(Into::into)),
        })
    }

    /// Reports every citation that inherits a clause's quote which rules of
    /// another meaning inherit too: one sentence cannot state them all, so
    /// each must quote its own (C112).
    fn report_ambiguous_quotes(&mut self) {
        let mut by_clause: HashMap<(usize, String), Vec<usize>> = HashMap::new();
        for (i, x) in self.inherited.iter().enumerate() {
            by_clause.entry((x.target, x.clause.clone())).or_default().push(i);
        }
        let mut groups: Vec<_> = by_clause.into_iter().collect();
        groups.sort_by_key(|(_, v)| v.first().copied());
        for ((target, clause), members) in groups {
            let meanings: std::collections::BTreeSet<&str> =
                members.iter().filter_map(|&i| self.inherited.get(i)).map(|x| x.key.as_str()).collect();
            if meanings.len() < 2 {
                continue;
            }
            let others = meanings.len() - 1;
            let sentences = self.clause_sentences(target, &clause);
            let found: Vec<(usize, FileId, Span, String)> =
                members.iter().filter_map(|&i| self.inherited.get(i)).map(|x| (x.module, x.file, x.span, x.meaning.clone())).collect();
            for (m, file, span, meaning) in found {
                let msg = format!(
                    "{meaning} inherits the quote of clause `{clause}`, which {others} other rule{} inherit{} too",
                    if others == 1 { "" } else { "s" },
                    if others == 1 { "s" } else { "" }
                );
                let mut help = "give it its own `quote \"…\"`: the sentence of the clause that states this rule".to_string();
                if !sentences.is_empty() {
                    help.push_str(&format!("; the clause's quote stands among: {}", sentences.join(" / ")));
                }
                self.piece_file = Some((m, file));
                self.warning(m, codes::AMBIGUOUS_QUOTE, span, msg).help = Some(help);
                self.leave();
            }
        }
    }

    /// The sentences around a clause's quote in its source text (at most
    /// five, each shortened): what an author chooses among.
    fn clause_sentences(&self, target: usize, clause: &str) -> Vec<String> {
        let Some(md) = self.modules.get(target) else { return Vec::new() };
        let (Some(Some(q)), Some(src)) = (md.clauses.get(clause), md.source_text.as_deref()) else { return Vec::new() };
        let q = normalize_ws(q);
        let Some(at) = src.find(&q) else { return Vec::new() };
        let is_end = |c: char| matches!(c, '。' | '；' | '！' | '？' | '\n');
        let start = src.get(..at).and_then(|b| b.rfind(is_end).map(|i| i + b[i..].chars().next().map_or(1, char::len_utf8))).unwrap_or(0);
        let mut out = Vec::new();
        for sentence in src.get(start..).unwrap_or("").split_inclusive(is_end).take(5) {
            let shown: String = sentence.chars().take(40).collect();
            let more = if sentence.chars().count() > 40 { "…" } else { "" };
            out.push(format!("“{shown}{more}”"));
        }
        out
    }

    /// Inputs, params, externals, tables and lets: names and declared types.
    fn declare_values(&mut self, m: usize, is_root: bool) {
        let ast = self.module_ast(m);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        for (k, item) in items.iter().enumerate() {
            self.enter(m, &[k]);
            let file = self.file_of(m);
            match item {
                Item::Input(i) if is_root => {
                    let id = InputId(len32(&self.inputs));
                    let ty = self.resolve_type(m, &i.ty);
                    self.inputs.push(InputDef {
                        name: i.name.name.clone(),
                        ty,
                        bounds: None,
                        default: None,
                        label: i.label.as_ref().map(|l| l.value.clone()),
                        origin: Origin { file, span: i.span },
                    });
                    self.bind(m, &i.name, Sym::Input(id));
                }
                Item::Param(p) => {
                    let id = ParamId(len32(&self.params));
                    let ty = self.resolve_type(m, &p.ty);
                    let cite = self.citation(m, p.cite.as_ref(), Some(format!("parameter `{}`", p.name.name)));
                    self.params.push(ParamDef {
                        name: self.qualify(m, &p.name.name),
                        ty,
                        label: p.label.as_ref().map(|l| l.value.clone()),
                        versions: Vec::new(),
                        cite,
                    });
                    self.bind(m, &p.name, Sym::Param(id));
                }
                Item::External(x) => {
                    let id = ExternalId(len32(&self.externals));
                    let ty = self.resolve_type(m, &x.ty);
                    let cite = self.citation(m, x.cite.as_ref(), Some(format!("external `{}`", x.name.name)));
                    let (set_by, defined_in) = match &x.source {
                        ast::ExternalSource::DefinedIn(s) => (None, Some(s.value.clone())),
                        ast::ExternalSource::SetBy { authority, criteria } => {
                            (Some((authority.value.clone(), criteria.iter().map(|c| c.value.clone()).collect())), None)
                        }
                    };
                    self.externals.push(ExternalDef {
                        name: self.qualify(m, &x.name.name),
                        ty: ty.clone(),
                        bounds: None,
                        label: x.label.value.clone(),
                        set_by,
                        defined_in,
                        cite,
                    });
                    self.bind(m, &x.name, Sym::External(id));
                    let bounds = self.bounds(m, x.range.as_ref(), &ty);
                    if let Some(ext) = self.externals.get_mut(id.index()) {
                        ext.bounds = bounds;
                    }
                    if matches!(x.source, ast::ExternalSource::SetBy { .. }) && !ty.is_numeric() {
                        self.error(m, codes::TYPE_MISMATCH, x.ty.span(), "an authority-set external must be numeric");
                    }
                }
                Item::Table(t) => {
                    let id = TableId(len32(&self.tables));
                    let row_type = RecordId(len32(&self.records));
                    let mut fields = Vec::new();
                    for col in t.keys.iter().chain(&t.values) {
                        if fields.iter().any(|(n, _, _): &(String, Type, Option<String>)| *n == col.name.name) {
                            let msg = format!("column `{}` is declared twice", col.name.name);
                            self.error(m, codes::DUPLICATE_NAME, col.name.span, msg);
                        }
                        let ty = self.resolve_type(m, &col.ty);
                        fields.push((col.name.name.clone(), ty, None));
                    }
                    self.records.push(RecordDef { name: format!("{}.row", self.qualify(m, &t.name.name)), fields });
                    let cite = self.citation(m, t.cite.as_ref(), Some(format!("table `{}`", t.name.name)));
                    self.tables.push(TableDef {
                        name: self.qualify(m, &t.name.name),
                        label: t.label.as_ref().map(|l| l.value.clone()),
                        row_type,
                        key_count: t.keys.len(),
                        rows: Vec::new(),
                        cite,
                    });
                    self.bind(m, &t.name, Sym::Table(id));
                }
                Item::Fn(d) => {
                    let id = FnId(len32(&self.functions));
                    let params = d.params.iter().map(|(n, t)| (n.name.clone(), self.resolve_type(m, t))).collect();
                    let ty = self.resolve_type(m, &d.ty);
                    if crate::check::expr::BUILTINS.contains(&d.name.name.as_str()) {
                        let msg = format!("`{}` is a built-in function", d.name.name);
                        self.error(m, codes::DUPLICATE_NAME, d.name.span, msg);
                    }
                    let cite = self.citation(m, d.cite.as_ref(), Some(format!("function `{}`", d.name.name)));
                    let body = self.err_expr(m, d.body.span);
                    self.functions.push(FnDef {
                        name: self.qualify(m, &d.name.name),
                        params,
                        ty,
                        body,
                        label: d.label.as_ref().map(|l| l.value.clone()),
                        cite,
                    });
                    self.bind(m, &d.name, Sym::Fn(id));
                }
                Item::Let(l) if is_root => {
                    let id = LetId(len32(&self.lets));
                    self.lets.push(None);
                    self.let_types.push(Type::Error);
                    self.bind(m, &l.name, Sym::Let(id));
                }
                _ => {}
            }
        }
        // Input bounds and defaults need all names bound (defaults may name variants).
        if is_root {
            for item in items {
                let Item::Input(i) = item else { continue };
                let Some(Sym::Input(id)) = self.lookup_sym(m, &i.name.name) else { continue };
                let ty = self.inputs.get(id.index()).map(|d| d.ty.clone()).unwrap_or(Type::Error);
                let bounds = self.bounds(m, i.range.as_ref(), &ty);
                let default = i.default.as_ref().and_then(|d| {
                    let ce = self.expr(m, d, Some(&ty));
                    self.expect_type(m, &ce, &ty, "the input's type");
                    match ce.kind {
                        CKind::Const(v) => Some(v),
                        _ if ce.ty == Type::Error => None,
                        _ => {
                            self.error(m, codes::NOT_CONSTANT, d.span, "a default must be a constant");
                            None
                        }
                    }
                });
                if let Some(def) = self.inputs.get_mut(id.index()) {
                    def.bounds = bounds;
                    def.default = default;
                }
            }
        }
    }

    /// Checks `in LOW .. HIGH` against the declared type.
    fn bounds(&mut self, m: usize, range: Option<&ast::RangeDecl>, ty: &Type) -> Option<Bounds> {
        let range = range?;
        if !ty.is_numeric() && *ty != Type::Error {
            self.error(m, codes::BAD_RANGE, range.span, "only numbers can have a range");
            return None;
        }
        let side = |this: &mut Self, e: Option<&ast::Expr>| -> Option<rust_decimal::Decimal> {
            let e = e?;
            let ce = this.expr(m, e, Some(ty));
            this.expect_type(m, &ce, ty, "the declared type");
            match ce.kind {
                CKind::Const(Value::Num(d)) => Some(d),
                _ => None,
            }
        };
        let low = side(self, range.low.as_ref());
        let high = side(self, range.high.as_ref());
        if let (Some(l), Some(h)) = (low, high) {
            if l > h {
                self.error(m, codes::BAD_RANGE, range.span, format!("empty range: {l} is above {h}"));
            }
        }
        Some(Bounds { low, high })
    }

    fn check_tables(&mut self, m: usize) {
        let ast = self.module_ast(m);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        for (k, item) in items.iter().enumerate() {
            self.enter(m, &[k]);
            let Item::Table(t) = item else { continue };
            let Some(Sym::Table(id)) = self.lookup_sym(m, &t.name.name) else { continue };
            let Some(row_type) = self.tables.get(id.index()).map(|d| d.row_type) else { continue };
            let fields: Vec<Type> =
                self.records.get(row_type.index()).map(|r| r.fields.iter().map(|f| f.1.clone()).collect()).unwrap_or_default();
            let mut rows: Vec<Arc<[Value]>> = Vec::new();
            let mut seen: HashMap<Vec<Value>, Span> = HashMap::new();
            for row in &t.rows {
                if row.keys.len() != t.keys.len() || row.values.len() != t.values.len() {
                    let msg = format!(
                        "row has {} key(s) and {} value(s); the table has {} and {}",
                        row.keys.len(),
                        row.values.len(),
                        t.keys.len(),
                        t.values.len()
                    );
                    self.error(m, codes::BAD_TABLE, row.span, msg);
                    continue;
                }
                let mut cells = Vec::with_capacity(fields.len());
                let mut ok = true;
                for (cell, ty) in row.keys.iter().chain(&row.values).zip(&fields) {
                    let ce = self.expr(m, cell, Some(ty));
                    self.expect_type(m, &ce, ty, "the column's type");
                    match ce.kind {
                        CKind::Const(v) => cells.push(v),
                        _ => {
                            if ce.ty != Type::Error {
                                self.error(m, codes::NOT_CONSTANT, cell.span, "a table cell must be a constant");
                            }
                            ok = false;
                        }
                    }
                }
                if !ok {
                    continue;
                }
                let key: Vec<Value> = cells.iter().take(t.keys.len()).cloned().collect();
                if let Some(prev) = seen.get(&key) {
                    let line = self.line_of(m, *prev);
                    let msg = format!("two rows of `{}` have the same key (the first is on line {line})", t.name.name);
                    self.error(m, codes::DUPLICATE_ROW, row.span, msg);
                    continue;
                }
                seen.insert(key, row.span);
                rows.push(Arc::from(cells));
            }
            if let Some(def) = self.tables.get_mut(id.index()) {
                def.rows = rows;
            }
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

    fn check_params(&mut self, m: usize) {
        let ast = self.module_ast(m);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        for (k, item) in items.iter().enumerate() {
            self.enter(m, &[k]);
            let Item::Param(p) = item else { continue };
            let Some(Sym::Param(id)) = self.lookup_sym(m, &p.name.name) else { continue };
            let ty = self.params.get(id.index()).map(|d| d.ty.clone()).unwrap_or(Type::Error);
            let mut versions = Vec::new();
            for (j, v) in p.versions.iter().enumerate() {
                self.enter(m, &[k, j]);
                let value = self.expr(m, &v.value, Some(&ty));
                self.expect_type(m, &value, &ty, "the parameter's type");
                let cite = self.citation(m, v.cite.as_ref(), Some(format!("parameter `{}`", p.name.name)));
                versions.push((v.from.value, v.until.as_ref().map(|u| u.value), value, cite, v.span));
            }
            if versions.is_empty() {
                let msg = format!("parameter `{}` has no values", p.name.name);
                self.error(m, codes::BAD_BENEFIT, p.span, msg).help = Some("add `from DATE => value`".into());
            }
            let periods: Vec<(chrono::NaiveDate, Option<chrono::NaiveDate>, Span)> = versions.iter().map(|v| (v.0, v.1, v.4)).collect();
            let ends = self.settle_periods(m, &periods, codes::PARAM_OVERLAP, "parameter values", Some(k));
            let mut defs: Vec<ParamVersionDef> = versions
                .into_iter()
                .zip(ends)
                .map(|((from, _, value, cite, _), until)| ParamVersionDef { from, until, value, cite })
                .collect();
            defs.sort_by_key(|v| v.from);
            if let Some(def) = self.params.get_mut(id.index()) {
                def.versions = defs;
            }
        }
    }

    /// Given dated periods `(from, until?)`, reports overlaps and returns each
    /// one's effective last day (its own `until`, else the day before the next
    /// period's start).
    pub fn settle_periods(
        &mut self,
        m: usize,
        periods: &[(chrono::NaiveDate, Option<chrono::NaiveDate>, Span)],
        code: crate::diag::Code,
        what: &str,
        item: Option<usize>,
    ) -> Vec<Option<chrono::NaiveDate>> {
        // In an amendment, each period (a parameter's value) may come from
        // another file: each message goes to the file of what it points at.
        let enter = |this: &mut Self, i: usize| {
            if let Some(k) = item {
                this.enter(m, &[k, i]);
            }
        };
        let mut order: Vec<usize> = (0..periods.len()).collect();
        order.sort_by_key(|&i| periods.get(i).map(|p| p.0));
        let mut ends = vec![None; periods.len()];
        for (pos, &i) in order.iter().enumerate() {
            let Some(&(from, until, span)) = periods.get(i) else { continue };
            enter(self, i);
            if let Some(u) = until {
                if u < from {
                    self.error(m, code, span, format!("period ends ({u}) before it starts ({from})"));
                }
            }
            let next_index = order.get(pos + 1).copied();
            let next = next_index.and_then(|j| periods.get(j));
            let end = match (until, next) {
                (Some(u), Some(&(nf, _, nspan))) if u >= nf => {
                    let line = self.line_of(m, span);
                    if let Some(j) = next_index {
                        enter(self, j);
                    }
                    let msg =
                        format!("{what} overlap: the one from {from} (line {line}) runs until {u}, past the start of the next one on {nf}");
                    self.error(m, code, nspan, msg).help =
                        Some("end the earlier period the day before the later one starts, or drop its `until`".into());
                    Some(u)
                }
                (Some(u), _) => Some(u),
                (None, Some(&(nf, _, nspan))) => {
                    if nf == from {
                        if let Some(j) = next_index {
                            enter(self, j);
                        }
                        let msg = format!("{what} overlap: two start on {from}");
                        self.error(m, code, nspan, msg);
                    }
                    nf.pred_opt()
                }
                (None, None) => None,
            };
            if let Some(slot) = ends.get_mut(i) {
                *slot = end;
            }
        }
        ends
    }

    /// Checks each function's body in declaration order, its parameters
    /// bound as locals.
    fn check_functions(&mut self, m: usize) {
        let ast = self.module_ast(m);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        for (k, item) in items.iter().enumerate() {
            self.enter(m, &[k]);
            let Item::Fn(d) = item else { continue };
            let Some(Sym::Fn(id)) = self.lookup_sym(m, &d.name.name) else { continue };
            let Some(def) = self.functions.get(id.index()) else { continue };
            let (params, ty) = (def.params.clone(), def.ty.clone());
            for (i, (n, _)) in params.iter().enumerate() {
                if params.iter().take(i).any(|(p, _)| p == n) {
                    let span = d.params.get(i).map_or(d.span, |p| p.0.span);
                    self.error(m, codes::DUPLICATE_NAME, span, format!("parameter `{n}` is declared twice"));
                }
            }
            let outer = std::mem::replace(&mut self.locals, params);
            let outer_amount = self.amount_in_scope.take();
            self.in_function = Some(id);
            let body = self.expr(m, &d.body, Some(&ty));
            self.expect_type(m, &body, &ty, "the function's declared type");
            self.in_function = None;
            self.amount_in_scope = outer_amount;
            self.locals = outer;
            if let Some(def) = self.functions.get_mut(id.index()) {
                def.body = body;
            }
        }
    }

    /// Orders lets by dependency (rejecting cycles), then checks each.
    fn check_lets(&mut self, m: usize) {
        let ast = self.module_ast(m);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        let decls: Vec<&ast::LetDecl> = items.iter().filter_map(|i| if let Item::Let(l) = i { Some(l) } else { None }).collect();
        let at: Vec<usize> = items.iter().enumerate().filter(|(_, i)| matches!(i, Item::Let(_))).map(|(k, _)| k).collect();
        let index: HashMap<&str, usize> = decls.iter().enumerate().map(|(i, l)| (l.name.name.as_str(), i)).collect();
        let deps: Vec<Vec<usize>> = decls
            .iter()
            .map(|l| {
                let mut names = Vec::new();
                free_names(&l.value, &mut names);
                let mut d: Vec<usize> = names.iter().filter_map(|n| index.get(n.as_str()).copied()).collect();
                d.sort_unstable();
                d.dedup();
                d
            })
            .collect();
        // Iterative DFS: 0 = new, 1 = on stack, 2 = done.
        let mut state = vec![0u8; decls.len()];
        let mut order = Vec::with_capacity(decls.len());
        let mut in_cycle = vec![false; decls.len()];
        for start in 0..decls.len() {
            if state.get(start) != Some(&0) {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            if let Some(s) = state.get_mut(start) {
                *s = 1;
            }
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let dep = deps.get(node).and_then(|d| d.get(*next)).copied();
                *next += 1;
                match dep {
                    Some(dep) => match state.get(dep).copied() {
                        Some(0) => {
                            if let Some(s) = state.get_mut(dep) {
                                *s = 1;
                            }
                            stack.push((dep, 0));
                        }
                        Some(1) => {
                            let cycle_start = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                            let members: Vec<usize> = stack.iter().skip(cycle_start).map(|(n, _)| *n).collect();
                            if members.iter().all(|&n| !in_cycle.get(n).copied().unwrap_or(false)) {
                                let names: Vec<String> =
                                    members.iter().filter_map(|&n| decls.get(n)).map(|l| format!("`{}`", l.name.name)).collect();
                                if let Some(first) = decls.get(dep) {
                                    let msg = format!("`let` definitions form a cycle: {} -> `{}`", names.join(" -> "), first.name.name);
                                    self.error(m, codes::LET_CYCLE, first.name.span, msg).help =
                                        Some("a value cannot depend on itself; break the cycle".into());
                                }
                            }
                            for n in members {
                                if let Some(c) = in_cycle.get_mut(n) {
                                    *c = true;
                                }
                            }
                        }
                        _ => {}
                    },
                    None => {
                        if let Some(s) = state.get_mut(node) {
                            *s = 2;
                        }
                        order.push(node);
                        stack.pop();
                    }
                }
            }
        }
        for i in order {
            let Some(l) = decls.get(i) else { continue };
            self.enter(m, &[at.get(i).copied().unwrap_or(usize::MAX)]);
            let Some(Sym::Let(id)) = self.lookup_sym(m, &l.name.name) else { continue };
            if in_cycle.get(i).copied().unwrap_or(false) {
                continue;
            }
            let declared = l.ty.as_ref().map(|t| self.resolve_type(m, t));
            let value = self.expr(m, &l.value, declared.as_ref());
            if let Some(t) = &declared {
                self.expect_type(m, &value, t, "the declared type");
            }
            let ty = declared.unwrap_or_else(|| value.ty.clone());
            if let Some(slot) = self.let_types.get_mut(id.index()) {
                *slot = ty.clone();
            }
            let cite = self.citation(m, l.cite.as_ref(), Some(format!("let `{}`", l.name.name)));
            if let Some(slot) = self.lets.get_mut(id.index()) {
                *slot = Some(LetDef { name: l.name.name.clone(), ty, value, label: l.label.as_ref().map(|s| s.value.clone()), cite });
            }
            self.let_order.push(id);
        }
    }

    fn check_asserts(&mut self, m: usize) {
        let ast = self.module_ast(m);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        for (k, item) in items.iter().enumerate() {
            self.enter(m, &[k]);
            let file = self.file_of(m);
            let Item::Assert(a) = item else { continue };
            let expr = self.expr(m, &a.expr, Some(&Type::Bool));
            self.expect_type(m, &expr, &Type::Bool, "a condition");
            if reads_facts(&expr) {
                self.error(m, codes::NOT_CONSTANT, a.expr.span, "an assertion may read only constants, parameters and tables");
            }
            let cite = self.citation(m, a.cite.as_ref(), None);
            self.asserts.push(AssertDef {
                id: a.id.as_ref().map(|i| i.name.clone()).unwrap_or_else(|| a.label.value.clone()),
                label: a.label.value.clone(),
                expr,
                cite,
                origin: Origin { file, span: a.span },
            });
        }
    }

    fn report_unused(&mut self, root: usize) {
        for c in &mut self.clause_defs {
            c.cited = self.cited.contains(&(root, c.number.clone()));
        }
        // After an error, uses inside items that failed to parse or check are
        // missing, so "never used" and "never cited" would be false alarms.
        if self.diags.iter().any(Diagnostic::is_error) {
            return;
        }
        let unused: Vec<(String, Span)> = self
            .inputs
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.used_inputs.contains(&InputId(u32::try_from(*i).unwrap_or(u32::MAX))))
            .filter(|(_, d)| !self.modules.get(root).is_some_and(|md| md.inherited_inputs.contains(&d.name)))
            .map(|(_, d)| (d.name.clone(), d.origin.span))
            .collect();
        for (name, span) in unused {
            let msg = format!("input `{name}` is never used");
            self.warning(root, codes::UNUSED_INPUT, span, msg).help = Some("remove it, or use it in a rule".into());
        }
        self.report_ambiguous_quotes();
        let uncited: Vec<String> = self
            .clause_defs
            .iter()
            .filter(|c| c.quote.is_some() && !self.cited.contains(&(root, c.number.clone())))
            .map(|c| c.number.clone())
            .collect();
        let ast = self.module_ast(root);
        let items: &[Item] = ast.as_ref().map_or(&[], |a| a.items.as_slice());
        for item in items {
            if let Item::Clause(c) = item {
                if uncited.contains(&c.number.value) {
                    let msg = format!("clause `{}` is quoted but no rule cites it", c.number.value);
                    self.warning(root, codes::UNCITED_CLAUSE, c.number.span, msg).help =
                        Some("cite it from the rule that encodes it, or mark it `not_computable` with a reason".into());
                }
            }
        }
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

/// Rewrites `CKind::Let` ids after lets were put in dependency order.
fn remap_lets(p: &mut CheckedPolicy, remap: &[u32]) {
    let mut f = |e: &mut CExpr| {
        if let CKind::Let(id) = &mut e.kind {
            if let Some(n) = remap.get(id.index()) {
                *id = LetId(*n);
            }
        }
    };
    for l in &mut p.lets {
        walk_mut(&mut l.value, &mut f);
    }
    for a in &mut p.asserts {
        walk_mut(&mut a.expr, &mut f);
    }
    for b in &mut p.benefits {
        if let Some(d) = &mut b.dated_by {
            walk_mut(d, &mut f);
        }
        for rules in std::iter::once(&mut b.base).chain(b.versions.iter_mut().map(|v| &mut v.rules)) {
            for c in &mut rules.conditions {
                walk_mut(&mut c.expr, &mut f);
            }
            for s in &mut rules.amount {
                match s {
                    AmountStepDef::Base { expr, .. } | AmountStepDef::Cap { expr, .. } => walk_mut(expr, &mut f),
                    AmountStepDef::Uplift { rate, when, .. } => {
                        walk_mut(rate, &mut f);
                        walk_mut(when, &mut f);
                    }
                    AmountStepDef::Override { when, value, .. } => {
                        walk_mut(when, &mut f);
                        walk_mut(value, &mut f);
                    }
                }
            }
            for o in rules.entitlements.iter_mut().chain(rules.documents.iter_mut()) {
                if let Some(w) = &mut o.when {
                    walk_mut(w, &mut f);
                }
            }
            for d in &mut rules.deadlines {
                walk_mut(&mut d.expr, &mut f);
            }
        }
        for o in &mut b.outputs {
            walk_mut(&mut o.expr, &mut f);
        }
    }
}

/// Visits every sub-expression, parents first.
pub fn walk_mut(e: &mut CExpr, f: &mut dyn FnMut(&mut CExpr)) {
    f(e);
    match &mut e.kind {
        CKind::Const(_)
        | CKind::Input(_)
        | CKind::Let(_)
        | CKind::Param(_)
        | CKind::External(_)
        | CKind::Local(_)
        | CKind::Amount
        | CKind::AsOf
        | CKind::BenefitAmount(_)
        | CKind::Table(_)
        | CKind::Present(_) => {}
        CKind::Lookup(_, ks) | CKind::Exists(_, ks) | CKind::List(ks) | CKind::Call(_, ks) | CKind::Apply(_, ks) => {
            ks.iter_mut().for_each(|k| walk_mut(k, f))
        }
        CKind::Field(b, _) | CKind::Convert(b, _, _) | CKind::Unary(_, b) => walk_mut(b, f),
        CKind::Binary(_, a, b) | CKind::InList(a, b) => {
            walk_mut(a, f);
            walk_mut(b, f);
        }
        CKind::InSet(a, xs) => {
            walk_mut(a, f);
            xs.iter_mut().for_each(|x| walk_mut(x, f));
        }
        CKind::If(bs, o) => {
            for (c, v) in bs {
                walk_mut(c, f);
                walk_mut(v, f);
            }
            walk_mut(o, f);
        }
        CKind::Match(s, arms) => {
            walk_mut(s, f);
            arms.iter_mut().for_each(|(_, v)| walk_mut(v, f));
        }
        CKind::Tiers { subject, tiers, otherwise } => {
            walk_mut(subject, f);
            for t in tiers {
                match &mut t.test {
                    CTierTest::Cmp(_, b) => walk_mut(b, f),
                    CTierTest::Range(a, b) => {
                        walk_mut(a, f);
                        walk_mut(b, f);
                    }
                }
                walk_mut(&mut t.value, f);
            }
            if let Some(o) = otherwise {
                walk_mut(o, f);
            }
        }
        CKind::Scale { subject, bands, rest } => {
            walk_mut(subject, f);
            for (w, r) in bands {
                walk_mut(w, f);
                walk_mut(r, f);
            }
            if let Some(r) = rest {
                walk_mut(r, f);
            }
        }
        CKind::Quant(_, l, p) => {
            walk_mut(l, f);
            if let Some(p) = p {
                walk_mut(p, f);
            }
        }
        CKind::Agg(_, l, v, p) => {
            walk_mut(l, f);
            walk_mut(v, f);
            if let Some(p) = p {
                walk_mut(p, f);
            }
        }
    }
}

impl Checker<'_> {
    /// Whether `e` reads `as_of`, directly or through the lets it reads.
    pub(crate) fn reads_as_of(&self, e: &CExpr) -> bool {
        let (mut pending, mut seen) = (vec![e.clone()], Vec::new());
        let mut found = false;
        while let Some(mut x) = pending.pop() {
            walk_mut(&mut x, &mut |y| match y.kind {
                CKind::AsOf => found = true,
                CKind::Let(id) if !seen.contains(&id.index()) => {
                    seen.push(id.index());
                    if let Some(Some(def)) = self.lets.get(id.index()) {
                        pending.push(def.value.clone());
                    }
                }
                _ => {}
            });
        }
        found
    }
}

/// Whether an expression reads facts, lets or externals (not allowed in assertions).
fn reads_facts(e: &CExpr) -> bool {
    let mut found = false;
    let mut e = e.clone();
    walk_mut(&mut e, &mut |x| {
        if matches!(
            x.kind,
            CKind::Input(_)
                | CKind::Let(_)
                | CKind::External(_)
                | CKind::Present(_)
                | CKind::Amount
                | CKind::AsOf
                | CKind::BenefitAmount(_)
        ) {
            found = true;
        }
    });
    found
}

/// Names an expression mentions (first path segments), for let ordering.
fn free_names(e: &ast::Expr, out: &mut Vec<String>) {
    use ast::ExprKind as K;
    match &e.kind {
        K::Path(segs) => {
            if let Some(s) = segs.first() {
                out.push(s.name.clone());
            }
        }
        K::Bool(_) | K::Number { .. } | K::Date(_) | K::Text(_) => {}
        K::Field(b, _) | K::Convert(b, _) | K::Unary(_, b) | K::Paren(b) => free_names(b, out),
        K::Index(b, ks) => {
            free_names(b, out);
            ks.iter().for_each(|k| free_names(k, out));
        }
        K::Binary(_, a, b) => {
            free_names(a, out);
            free_names(b, out);
        }
        K::Set(xs) | K::List(xs) | K::Call(_, xs) => xs.iter().for_each(|x| free_names(x, out)),
        K::If { branches, otherwise } => {
            for (c, v) in branches {
                free_names(c, out);
                free_names(v, out);
            }
            free_names(otherwise, out);
        }
        K::Match { scrutinee, arms } => {
            free_names(scrutinee, out);
            arms.iter().for_each(|a| free_names(&a.value, out));
        }
        K::Tiers { subject, tiers, otherwise } => {
            free_names(subject, out);
            for t in tiers {
                match &t.test {
                    ast::TierTest::Cmp(_, b) => free_names(b, out),
                    ast::TierTest::Range(a, b) => {
                        free_names(a, out);
                        free_names(b, out);
                    }
                }
                free_names(&t.value, out);
            }
            if let Some(o) = otherwise {
                free_names(o, out);
            }
        }
        K::Scale { subject, bands, rest } => {
            free_names(subject, out);
            for b in bands {
                free_names(&b.width, out);
                free_names(&b.rate, out);
            }
            if let Some(r) = rest {
                free_names(r, out);
            }
        }
        K::Quantifier { list, filter, .. } => {
            free_names(list, out);
            if let Some(f) = filter {
                free_names(f, out);
            }
        }
        K::Aggregate { value, list, filter, .. } => {
            free_names(value, out);
            free_names(list, out);
            if let Some(f) = filter {
                free_names(f, out);
            }
        }
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

/// Names longer than this (in characters) get no "did you mean" hint: the
/// edit distance is quadratic in the length.
const MAX_HINT_NAME_CHARS: usize = 64;

/// A hint compares the name with at most this many names of about its
/// length; when there are more, it gives none (deterministically), so that
/// a hint costs at most this many comparisons.
const MAX_HINT_CANDIDATES: usize = 1_000;

/// "did you mean `x`?" for the closest name within edit distance 2.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut best: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    let len = name.chars().count();
    if len > MAX_HINT_NAME_CHARS {
        return None;
    }
    let mut near = Vec::new();
    for c in candidates {
        // Edit distance is at least the difference in length: skip the far ones cheaply.
        if c.len().abs_diff(name.len()) > 8 || c.chars().count().abs_diff(len) > 2 {
            continue;
        }
        if near.len() == MAX_HINT_CANDIDATES {
            return None;
        }
        near.push(c);
    }
    for c in near {
        let d = edit_distance(name, c);
        let limit = if name.chars().count() <= 3 { 1 } else { 2 };
        if d <= limit && d > 0 {
            best.entry(d).or_default().push(c);
        }
    }
    let (_, mut names) = best.into_iter().next()?;
    names.sort_unstable();
    names.first().map(|n| format!("did you mean `{n}`?"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(c0) = cur.first_mut() {
            *c0 = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(c) = cur.get_mut(j + 1) {
                *c = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.get(b.len()).copied().unwrap_or(0)
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
