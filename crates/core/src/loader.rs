//! Where policies come from. The checker asks a [`Loader`] for a policy by id
//! (for `use`) and for the source document a policy quotes; an embedder can
//! load from memory ([`MemoryLoader`]) as well as from disk ([`DirLoader`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A policy's text and the name diagnostics call it by.
#[derive(Debug, Clone)]
pub struct Source {
    /// Path or in-memory name.
    pub name: Arc<str>,
    /// The raw bytes (UTF-8 is checked by the parser).
    pub bytes: Arc<[u8]>,
}

/// Why a policy or document could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// No policy with that id is known.
    #[error("no policy with id `{0}`")]
    NotFound(String),
    /// Two files declare the same id.
    #[error("policy id `{id}` is declared by both `{first}` and `{second}`")]
    Duplicate {
        /// The id.
        id: String,
        /// One file.
        first: String,
        /// The other.
        second: String,
    },
    /// Reading failed.
    #[error("cannot read `{path}`: {message}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        message: String,
    },
}

/// Supplies policies by id and the documents they quote.
pub trait Loader: Send + Sync {
    /// The policy declaring `id`.
    fn load_policy(&self, id: &str) -> Result<Source, LoadError>;
    /// The text at `path` (as written in `source "…"`), relative to the policy named `policy_name`.
    fn load_document(&self, policy_name: &str, path: &str) -> Result<String, LoadError>;
}

/// Reads the id from a policy's first `policy <id>` header, without a full parse.
pub fn scan_policy_id(text: &str) -> Option<String> {
    for line in text.lines() {
        let line = line.trim_start_matches('\u{FEFF}').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let rest = line.strip_prefix("policy")?;
        if !rest.starts_with(char::is_whitespace) {
            return None;
        }
        let id: String = rest.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.').collect();
        return (!id.is_empty()).then_some(id);
    }
    None
}

/// Loads from in-memory texts.
#[derive(Debug, Clone, Default)]
pub struct MemoryLoader {
    policies: BTreeMap<String, Source>,
    documents: BTreeMap<String, String>,
    errors: Vec<LoadError>,
}

impl MemoryLoader {
    /// An empty loader.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a policy under `name`; its id is read from its header. Returns the id.
    pub fn add_policy(&mut self, name: &str, text: &str) -> Option<String> {
        let id = scan_policy_id(text)?;
        let src = Source { name: Arc::from(name), bytes: Arc::from(text.as_bytes()) };
        if let Some(prev) = self.policies.insert(id.clone(), src) {
            self.errors.push(LoadError::Duplicate { id: id.clone(), first: prev.name.to_string(), second: name.to_string() });
        }
        Some(id)
    }
    /// Adds a document reachable as `source "path"` from any policy.
    pub fn add_document(&mut self, path: &str, text: &str) {
        self.documents.insert(path.to_string(), text.to_string());
    }
    /// Ids of all policies added.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.policies.keys().map(String::as_str)
    }
}

impl Loader for MemoryLoader {
    fn load_policy(&self, id: &str) -> Result<Source, LoadError> {
        self.policies.get(id).cloned().ok_or_else(|| LoadError::NotFound(id.to_string()))
    }
    fn load_document(&self, _policy_name: &str, path: &str) -> Result<String, LoadError> {
        self.documents.get(path).cloned().ok_or_else(|| LoadError::NotFound(path.to_string()))
    }
}

/// Loads every `.policy` file under a directory (recursively), indexed by id.
#[derive(Debug, Clone, Default)]
pub struct DirLoader {
    by_id: BTreeMap<String, PathBuf>,
    /// Files that could not be read or carry no `policy` header, and duplicate ids.
    pub problems: Vec<LoadError>,
}

/// Most files a directory scan visits.
pub const MAX_SCAN_FILES: usize = 10_000;

impl DirLoader {
    /// Indexes the directories (or single files) given, skipping the
    /// golden-trace folders of case files (`*.traces`) below them.
    pub fn new<P: AsRef<Path>>(roots: &[P]) -> Self {
        let mut loader = DirLoader::default();
        let mut stack: Vec<PathBuf> = roots.iter().map(|r| r.as_ref().to_path_buf()).collect();
        let given = stack.clone();
        let mut visited = 0usize;
        while let Some(path) = stack.pop() {
            visited += 1;
            if visited > MAX_SCAN_FILES {
                break;
            }
            if path.is_dir() {
                // A case file's golden traces (`<name>.traces/`) hold no policies.
                if !given.contains(&path) && path.file_name().is_some_and(|n| n.to_string_lossy().ends_with(".traces")) {
                    continue;
                }
                match std::fs::read_dir(&path) {
                    Ok(entries) => {
                        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                        children.sort();
                        stack.extend(children.into_iter().rev());
                    }
                    Err(e) => loader.problems.push(LoadError::Io { path: path.display().to_string(), message: e.to_string() }),
                }
            } else if path.extension().is_some_and(|e| e == "policy") {
                loader.index_file(&path);
            }
        }
        loader
    }

    fn index_file(&mut self, path: &Path) {
        let text = match std::fs::read(path) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                self.problems.push(LoadError::Io { path: path.display().to_string(), message: e.to_string() });
                return;
            }
        };
        if let Some(id) = scan_policy_id(&text) {
            if let Some(prev) = self.by_id.insert(id.clone(), path.to_path_buf()) {
                self.problems.push(LoadError::Duplicate { id, first: prev.display().to_string(), second: path.display().to_string() });
            }
        }
    }

    /// Every policy found: (id, path), sorted by id.
    pub fn policies(&self) -> impl Iterator<Item = (&str, &Path)> {
        self.by_id.iter().map(|(k, v)| (k.as_str(), v.as_path()))
    }
}

impl Loader for DirLoader {
    fn load_policy(&self, id: &str) -> Result<Source, LoadError> {
        let path = self.by_id.get(id).ok_or_else(|| LoadError::NotFound(id.to_string()))?;
        read_source(path)
    }
    fn load_document(&self, policy_name: &str, path: &str) -> Result<String, LoadError> {
        let full = Path::new(policy_name).parent().unwrap_or(Path::new(".")).join(path);
        std::fs::read_to_string(&full).map_err(|e| LoadError::Io { path: full.display().to_string(), message: e.to_string() })
    }
}

/// Reads one file as a [`Source`].
pub fn read_source(path: &Path) -> Result<Source, LoadError> {
    let bytes = std::fs::read(path).map_err(|e| LoadError::Io { path: path.display().to_string(), message: e.to_string() })?;
    Ok(Source { name: Arc::from(path.display().to_string()), bytes: Arc::from(bytes) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A case file's golden traces (`<name>.traces/`) are not searched for
    /// policies, except when such a folder is itself a root.
    #[test]
    fn dir_loader_skips_traces_folders() {
        let dir = std::env::temp_dir().join(format!("policy-loader-traces-{}", std::process::id()));
        let traces = dir.join("demo.traces");
        std::fs::create_dir_all(&traces).unwrap();
        let text = "policy demo.x \"示例\"\n";
        std::fs::write(dir.join("demo.policy"), text).unwrap();
        std::fs::write(traces.join("copy.policy"), text).unwrap();
        let loader = DirLoader::new(&[&dir]);
        let found: Vec<(&str, &Path)> = loader.policies().collect();
        assert_eq!(found, [("demo.x", dir.join("demo.policy").as_path())]);
        assert!(loader.problems.is_empty(), "{:?}", loader.problems);
        let inside = DirLoader::new(&[&traces]);
        assert_eq!(inside.policies().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
