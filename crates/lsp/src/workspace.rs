//! The documents the editor has open, the policies on disk around them, and
//! the analysis of each open document (parse, check, index) against both:
//! an import or a quoted source document is read from the editor's buffer
//! when it is open there, from disk otherwise.

use crate::index::Index;
use crate::text::LineIndex;
use lsp_types::Url;
use policy_core::ast::PolicyFile;
use policy_core::check::{check_source, Checked};
use policy_core::loader::{scan_policy_id, DirLoader, LoadError, Loader, Source};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One parsed file with its index.
#[derive(Debug)]
pub struct FileData {
    /// The name the checker uses (the file's path).
    pub name: Arc<str>,
    /// Its text.
    pub text: Arc<str>,
    /// Line starts of `text`.
    pub lines: LineIndex,
    /// The tree (absent when the header does not parse).
    pub ast: Option<PolicyFile>,
    /// Declarations and uses.
    pub index: Index,
}

impl FileData {
    /// Parses and indexes `text`.
    pub fn new(name: Arc<str>, text: Arc<str>) -> Self {
        let parsed = policy_core::parse::parse(&name, &text);
        let index = parsed.file.as_ref().map(Index::build).unwrap_or_default();
        FileData { lines: LineIndex::new(&text), name, text, ast: parsed.file, index }
    }

    /// The file's URI, when its name is a path.
    pub fn uri(&self) -> Option<Url> {
        path_uri(Path::new(&*self.name))
    }
}

/// The analysis of one open document.
#[derive(Debug)]
pub struct Analysis {
    /// The document itself.
    pub file: Arc<FileData>,
    /// What the checker said (and the checked policy when it has no errors).
    pub checked: Checked,
    /// Imported policies by id.
    pub imports: HashMap<String, Arc<FileData>>,
    /// The latest version of the document that parsed without syntax
    /// errors (this one when it does): completion reads names from it while
    /// the text is mid-edit.
    pub stable: Arc<FileData>,
}

/// An open document.
#[derive(Debug)]
pub struct Doc {
    /// The name given to the checker: the path, or the URI when not a file.
    pub name: Arc<str>,
    /// Current text.
    pub text: String,
    /// Version the editor gave it.
    pub version: i32,
    /// Analysis of the current text, once computed.
    pub analysis: Option<Arc<Analysis>>,
    /// The latest parse without syntax errors.
    pub stable: Option<Arc<FileData>>,
}

/// Every open document and the policies on disk.
#[derive(Debug, Default)]
pub struct Workspace {
    roots: Vec<PathBuf>,
    dir: DirLoader,
    /// Open documents by URI.
    pub docs: HashMap<Url, Doc>,
    parsed: HashMap<Arc<str>, Arc<FileData>>,
    /// The outcome of the last run of each document's golden cases ("N passed, M failed").
    pub last_runs: HashMap<Url, String>,
}

/// The checker's loader: open buffers first, then the files on disk.
struct Overlay<'a> {
    dir: &'a DirLoader,
    open: HashMap<String, Source>,
}

impl Loader for Overlay<'_> {
    fn load_policy(&self, id: &str) -> Result<Source, LoadError> {
        match self.open.get(id) {
            Some(s) => Ok(s.clone()),
            None => self.dir.load_policy(id),
        }
    }
    fn load_document(&self, policy_name: &str, path: &str) -> Result<String, LoadError> {
        self.dir.load_document(policy_name, path)
    }
}

/// The file URI of a path.
pub fn path_uri(path: &Path) -> Option<Url> {
    let abs = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().ok()?.join(path) };
    Url::from_file_path(abs).ok()
}

impl Workspace {
    /// A workspace over the given root folders (each scanned for `.policy` files).
    pub fn new(roots: Vec<PathBuf>) -> Self {
        let dir = DirLoader::new(&roots);
        Workspace { roots, dir, docs: HashMap::new(), parsed: HashMap::new(), last_runs: HashMap::new() }
    }

    /// The root folders.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Adds the folder holding a document's policy folder (`policies/` for
    /// `policies/jinhua/x.policy`) as a root, so its imports resolve.
    pub fn add_root_for(&mut self, path: &Path) {
        let Some(root) = path.parent().and_then(Path::parent) else { return };
        if self.roots.iter().any(|r| root.starts_with(r)) {
            return;
        }
        self.roots.push(root.to_path_buf());
        self.rescan();
    }

    /// Reads the roots again (after a save or a file change on disk).
    pub fn rescan(&mut self) {
        self.dir = DirLoader::new(&self.roots);
    }

    /// The policies found on disk: (id, path).
    pub fn disk_policies(&self) -> Vec<(String, PathBuf)> {
        self.dir.policies().map(|(id, p)| (id.to_string(), p.to_path_buf())).collect()
    }

    /// Opens (or replaces) a document.
    pub fn open(&mut self, uri: Url, text: String, version: i32) {
        let name: Arc<str> = match uri.to_file_path() {
            Ok(p) => {
                self.add_root_for(&p);
                Arc::from(p.display().to_string())
            }
            Err(()) => Arc::from(uri.as_str()),
        };
        self.docs.insert(uri, Doc { name, text, version, analysis: None, stable: None });
    }

    /// Compiles a document's current text into a plan (for running its cases);
    /// the error is the number of errors the checker found.
    pub fn compile(&self, uri: &Url) -> Result<policy_eval::Plan, usize> {
        let doc = self.docs.get(uri).ok_or(0usize)?;
        let open: HashMap<String, Source> = self
            .docs
            .iter()
            .filter(|(u, _)| *u != uri)
            .filter_map(|(_, d)| Some((scan_policy_id(&d.text)?, Source { name: d.name.clone(), bytes: Arc::from(d.text.as_bytes()) })))
            .collect();
        let overlay = Overlay { dir: &self.dir, open };
        let src = Source { name: doc.name.clone(), bytes: Arc::from(doc.text.as_bytes()) };
        policy_eval::compile(&src, &overlay).map_err(|e| match e {
            policy_eval::EvalError::Policy { diagnostics, .. } => diagnostics.iter().filter(|d| d.is_error()).count(),
            _ => 1,
        })
    }

    /// Analyses a document's current text (and remembers the result).
    pub fn analyze(&mut self, uri: &Url) -> Option<Arc<Analysis>> {
        let doc = self.docs.get(uri)?;
        let text: Arc<str> = Arc::from(doc.text.as_str());
        let name = doc.name.clone();
        let open: HashMap<String, Source> = self
            .docs
            .iter()
            .filter(|(u, _)| *u != uri)
            .filter_map(|(_, d)| Some((scan_policy_id(&d.text)?, Source { name: d.name.clone(), bytes: Arc::from(d.text.as_bytes()) })))
            .collect();
        let overlay = Overlay { dir: &self.dir, open };
        let checked = check_source(&Source { name: name.clone(), bytes: Arc::from(text.as_bytes()) }, &overlay);
        let mut imports = HashMap::new();
        for f in checked.files.iter().skip(1) {
            imports.insert(f.policy_id.clone(), parsed_file(&mut self.parsed, f.name.clone(), f.text.clone()));
        }
        let file = Arc::new(FileData::new(name, text));
        // Imports the checker could not reach (the document has errors before them) are still navigable.
        let prev = self.docs.get(uri).and_then(|d| d.stable.clone());
        let ids: Vec<String> = file.index.aliases.values().chain(prev.iter().flat_map(|p| p.index.aliases.values())).cloned().collect();
        for id in &ids {
            if !imports.contains_key(id) {
                if let Ok(src) = overlay.load_policy(id) {
                    let text: Arc<str> = Arc::from(String::from_utf8_lossy(&src.bytes).as_ref());
                    imports.insert(id.clone(), parsed_file(&mut self.parsed, src.name.clone(), text));
                }
            }
        }
        let syntax_ok = file.ast.is_some() && !checked.diagnostics.iter().any(|d| d.code.id.starts_with('P') && *d.file == *file.name);
        let stable = match (syntax_ok, prev) {
            (false, Some(p)) => p,
            _ => file.clone(),
        };
        let analysis = Arc::new(Analysis { file, checked, imports, stable: stable.clone() });
        if let Some(doc) = self.docs.get_mut(uri) {
            doc.analysis = Some(analysis.clone());
            doc.stable = Some(stable);
        }
        Some(analysis)
    }

    /// The analysis of a document, computing it when the text changed since.
    pub fn analysis(&mut self, uri: &Url) -> Option<Arc<Analysis>> {
        match self.docs.get(uri).and_then(|d| d.analysis.clone()) {
            Some(a) => Some(a),
            None => self.analyze(uri),
        }
    }

    /// A policy file on disk or open, parsed (for workspace symbols and rename).
    pub fn file_at(&mut self, path: &Path) -> Option<Arc<FileData>> {
        let name: Arc<str> = Arc::from(path.display().to_string());
        if let Some(doc) = self.docs.values().find(|d| d.name == name) {
            let text: Arc<str> = Arc::from(doc.text.as_str());
            return Some(parsed_file(&mut self.parsed, name, text));
        }
        let text = std::fs::read_to_string(path).ok()?;
        Some(parsed_file(&mut self.parsed, name, Arc::from(text)))
    }

    /// The text of a file: the open buffer when there is one, else the disk.
    pub fn read(&self, path: &Path) -> Option<String> {
        let name = path.display().to_string();
        match self.docs.values().find(|d| *d.name == *name) {
            Some(d) => Some(d.text.clone()),
            None => std::fs::read_to_string(path).ok(),
        }
    }
}

/// A parsed file, reused while its text is unchanged.
fn parsed_file(cache: &mut HashMap<Arc<str>, Arc<FileData>>, name: Arc<str>, text: Arc<str>) -> Arc<FileData> {
    if let Some(f) = cache.get(&name) {
        if f.text == text {
            return f.clone();
        }
    }
    let f = Arc::new(FileData::new(name.clone(), text));
    cache.insert(name, f.clone());
    f
}

impl Analysis {
    /// The imported policy bound to `alias`.
    pub fn import(&self, alias: &str) -> Option<&Arc<FileData>> {
        let id = self.file.index.aliases.get(alias).or_else(|| self.stable.index.aliases.get(alias))?;
        self.imports.get(id)
    }

    /// The source document (`source "…"`) path of a file, resolved beside it.
    pub fn source_path(file: &FileData) -> Option<PathBuf> {
        let src = file.ast.as_ref()?.header.source.as_ref()?;
        Some(Path::new(&*file.name).parent()?.join(&src.value))
    }
}
