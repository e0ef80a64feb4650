//! Where policies come from. The checker asks a [`Loader`] for a policy by id
//! (for `use`) and for the source document a policy quotes; an embedder can
//! load from memory ([`MemoryLoader`]) as well as from disk ([`DirLoader`]).

use crate::limits::MAX_SOURCE_BYTES;
use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Component, Path, PathBuf};
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
    /// The path is outside what a policy may read (an absolute path, a `..`
    /// or a symbolic link leading out of the policy's folder), or not a
    /// regular file (a directory, a FIFO, a device). Nothing was opened.
    #[error("refused to read `{path}`: {reason}")]
    Refused {
        /// The path, as written or as found.
        path: String,
        /// Why, in a few words.
        reason: String,
    },
    /// The file is larger than the limit (known from its metadata, or found
    /// while reading at most the limit).
    #[error("`{path}` is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// The path.
        path: String,
        /// Its size (at least `limit + 1` when it grew while being read).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A directory walk stopped at its limit: what lies beyond was not indexed.
    #[error("`{root}` holds more than {limit} entries; the walk stopped there and the rest is not indexed")]
    TooManyEntries {
        /// The walked root.
        root: String,
        /// The limit ([`MAX_SCAN_FILES`]).
        limit: usize,
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
///
/// The walk is a sandbox: it visits each directory once (by canonical path,
/// so symbolic-link loops end), indexes only regular files, reads at most
/// [`MAX_SOURCE_BYTES`](crate::limits::MAX_SOURCE_BYTES) of each, never
/// follows a link out of its root, and stops after [`MAX_SCAN_FILES`]
/// entries with a [`LoadError::TooManyEntries`] problem. Source documents
/// (`source "…"`) are read only from the quoting policy's own folder tree
/// (see [`Loader::load_document`] for [`DirLoader`]).
#[derive(Debug, Clone, Default)]
pub struct DirLoader {
    by_id: BTreeMap<String, PathBuf>,
    /// Files that could not be read or were refused, a walk cut at its
    /// limit, and duplicate ids.
    pub problems: Vec<LoadError>,
}

/// Most directory entries a directory scan visits.
pub const MAX_SCAN_FILES: usize = 10_000;

/// Largest source document (`source "…"`) read, in bytes (4 MiB).
pub const MAX_DOCUMENT_BYTES: u64 = 4 << 20;

impl DirLoader {
    /// Indexes the directories (or single files) given, skipping the
    /// golden-trace folders of case files (`*.traces`) below them.
    pub fn new<P: AsRef<Path>>(roots: &[P]) -> Self {
        let mut loader = DirLoader::default();
        let mut seen: HashSet<PathBuf> = HashSet::new();
        let mut visited = 0usize;
        for root in roots {
            let root = root.as_ref();
            let canon_root = match root.canonicalize() {
                Ok(c) => c,
                Err(e) => {
                    loader.problems.push(io_error(root, &e));
                    continue;
                }
            };
            let mut stack: Vec<PathBuf> = vec![root.to_path_buf()];
            while let Some(path) = stack.pop() {
                visited += 1;
                if visited > MAX_SCAN_FILES {
                    loader.problems.push(LoadError::TooManyEntries { root: root.display().to_string(), limit: MAX_SCAN_FILES });
                    return loader;
                }
                let is_policy = path.extension().is_some_and(|e| e == "policy");
                // `metadata` follows links without opening anything (a FIFO does not block it).
                let meta = match std::fs::metadata(&path) {
                    Ok(m) => m,
                    Err(e) => {
                        // A dangling link that is not named *.policy is not ours to report.
                        if is_policy || path == root {
                            loader.problems.push(io_error(&path, &e));
                        }
                        continue;
                    }
                };
                if !meta.is_dir() && !is_policy {
                    continue;
                }
                let canon = match path.canonicalize() {
                    Ok(c) => c,
                    Err(e) => {
                        loader.problems.push(io_error(&path, &e));
                        continue;
                    }
                };
                if !canon.starts_with(&canon_root) {
                    loader.problems.push(LoadError::Refused {
                        path: path.display().to_string(),
                        reason: format!("a symbolic link leading out of `{}`", root.display()),
                    });
                    continue;
                }
                if !seen.insert(canon) {
                    continue; // Reached again through a link: visited once.
                }
                if meta.is_dir() {
                    // A case file's golden traces (`<name>.traces/`) hold no policies.
                    if path != root && path.file_name().is_some_and(|n| n.to_string_lossy().ends_with(".traces")) {
                        continue;
                    }
                    match std::fs::read_dir(&path) {
                        Ok(entries) => {
                            let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                            children.sort();
                            stack.extend(children.into_iter().rev());
                        }
                        Err(e) => loader.problems.push(io_error(&path, &e)),
                    }
                } else if meta.is_file() {
                    loader.index_file(&path);
                } else {
                    loader.problems.push(LoadError::Refused { path: path.display().to_string(), reason: not_regular(&meta).into() });
                }
            }
        }
        loader
    }

    fn index_file(&mut self, path: &Path) {
        let bytes = match read_limited(path, MAX_SOURCE_BYTES as u64) {
            Ok(b) => b,
            Err(e) => {
                self.problems.push(e);
                return;
            }
        };
        let text = String::from_utf8_lossy(&bytes);
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
    /// Reads `path` relative to the folder of the policy `policy_name`,
    /// refusing an absolute path, a `..` that climbs out of that folder, a
    /// symbolic link that leads out of it (checked on the canonical path),
    /// anything but a regular file (checked from metadata, before opening)
    /// and a file larger than [`MAX_DOCUMENT_BYTES`] (at most that much is
    /// read, so a growing file cannot exhaust memory).
    fn load_document(&self, policy_name: &str, path: &str) -> Result<String, LoadError> {
        check_document_path(path).map_err(|reason| LoadError::Refused { path: path.to_string(), reason })?;
        let base = match Path::new(policy_name).parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let canon_base = base.canonicalize().map_err(|e| io_error(base, &e))?;
        let full = base.join(path);
        let canon = full.canonicalize().map_err(|e| io_error(&full, &e))?;
        if !canon.starts_with(&canon_base) {
            return Err(LoadError::Refused {
                path: path.to_string(),
                reason: format!("it leads out of the policy's folder `{}` (through a symbolic link)", base.display()),
            });
        }
        let bytes = read_limited(&canon, MAX_DOCUMENT_BYTES)?;
        String::from_utf8(bytes).map_err(|_| LoadError::Io { path: full.display().to_string(), message: "not valid UTF-8".into() })
    }
}

/// Checks a `source "…"` path as written: relative, and not climbing out of
/// the policy's folder with `..`. The checker applies it whatever the
/// loader; [`DirLoader`] also checks the canonical path (symbolic links).
pub fn check_document_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    if path.contains('\0') {
        return Err("the path contains a NUL character".into());
    }
    let p = Path::new(path);
    if p.is_absolute() || path.starts_with('/') || path.starts_with('\\') || p.has_root() {
        return Err("an absolute path; a source document must sit in the policy's own folder".into());
    }
    let mut depth = 0usize;
    for c in p.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => {
                depth = depth.checked_sub(1).ok_or_else(|| "`..` climbs out of the policy's folder".to_string())?;
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err("an absolute path; a source document must sit in the policy's own folder".into());
            }
        }
    }
    Ok(())
}

/// Reads one file as a [`Source`]: refuses anything but a regular file
/// (without opening it) and reads at most
/// [`MAX_SOURCE_BYTES`](crate::limits::MAX_SOURCE_BYTES).
pub fn read_source(path: &Path) -> Result<Source, LoadError> {
    let bytes = read_limited(path, MAX_SOURCE_BYTES as u64)?;
    Ok(Source { name: Arc::from(path.display().to_string()), bytes: Arc::from(bytes) })
}

/// Reads a regular file of at most `limit` bytes. The type and size come
/// from metadata before the file is opened (a FIFO or device is never
/// opened, so it cannot block); the read itself stops after `limit + 1`
/// bytes, so a file that grows or whose metadata lies cannot exhaust memory.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, LoadError> {
    let shown = || path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, &e))?;
    if !meta.is_file() {
        return Err(LoadError::Refused { path: shown(), reason: not_regular(&meta).into() });
    }
    if meta.len() > limit {
        return Err(LoadError::TooLarge { path: shown(), size: meta.len(), limit });
    }
    let file = std::fs::File::open(path).map_err(|e| io_error(path, &e))?;
    // The path may have been swapped between the two looks; check what was opened.
    let opened = file.metadata().map_err(|e| io_error(path, &e))?;
    if !opened.is_file() {
        return Err(LoadError::Refused { path: shown(), reason: not_regular(&opened).into() });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(opened.len().min(limit)).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| io_error(path, &e))?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > limit {
        return Err(LoadError::TooLarge { path: shown(), size: read, limit });
    }
    Ok(bytes)
}

fn not_regular(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        "a directory, not a regular file"
    } else {
        "not a regular file (a FIFO, socket or device)"
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> LoadError {
    LoadError::Io { path: path.display().to_string(), message: e.to_string() }
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
