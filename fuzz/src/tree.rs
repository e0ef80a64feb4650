//! A policy folder tree generated from bytes, for `DirLoader` and
//! `Engine::from_dir_partial`: policy files, directories, symbolic links
//! (to `.`, to `..`, to entries of the tree, out of the tree to a folder
//! holding a secret), sockets and FIFOs named like policies or documents,
//! and large sparse files. The check: loading and checking never panic,
//! end, index only files inside the tree, and no source document read
//! through the loader contains the secret that lies outside it.
//!
//! Shared by the `dir_loader` fuzz target and
//! `crates/eval/tests/fuzz_harness.rs`; depends on `std`, `policy-core`
//! and `policy-eval` only. Unix only (links, sockets, FIFOs).

use policy_core::loader::{DirLoader, LoadError, Loader, Source};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Text of the file outside the tree; no document the loader returns may hold it.
pub const SECRET: &str = "OUTSIDE-THE-POLICY-FOLDER-SECRET";

/// Most operations one input performs.
const MAX_OPS: usize = 64;
/// Most bytes of one generated file's text.
const MAX_TEXT: usize = 4096;

const NAMES: &[&str] = &[
    "a.policy",
    "b.policy",
    "c.policy",
    "a.source.txt",
    "doc.txt",
    "region",
    "sub",
    "pipe.policy",
    "sock.policy",
    "big.policy",
    "big.source.txt",
    ".hidden",
    "self",
    "up",
    "out",
    "secret.txt",
];

/// A scratch directory, removed on drop.
pub struct Scratch {
    /// The generated tree's root.
    pub root: PathBuf,
    /// A sibling folder outside the tree (holds the secret and a policy).
    pub outside: PathBuf,
    base: PathBuf,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// A fresh scratch directory under the system's temporary directory.
pub fn scratch() -> std::io::Result<Scratch> {
    static N: AtomicU64 = AtomicU64::new(0);
    let base = std::env::temp_dir().join(format!("policy-tree-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    let _ = std::fs::remove_dir_all(&base);
    let root = base.join("policies");
    let outside = base.join("outside");
    std::fs::create_dir_all(&root)?;
    std::fs::create_dir_all(&outside)?;
    std::fs::write(outside.join("secret.txt"), SECRET)?;
    std::fs::write(
        outside.join("x.policy"),
        format!("policy outside.x \"外\"\n  source \"secret.txt\"\nclause \"一\" \"条\" quote \"{SECRET}\"\nbenefit b \"补\" {{\n  payee person\n  amount 1 yuan cite \"一\"\n}}\n"),
    )?;
    Ok(Scratch { root, outside, base })
}

struct Reader<'a> {
    data: &'a [u8],
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.data.split_first()?;
        self.data = rest;
        Some(b)
    }
    /// Bytes up to the next NUL (or the end), at most `MAX_TEXT`.
    fn text(&mut self) -> Vec<u8> {
        let end = self.data.iter().position(|&b| b == 0).unwrap_or(self.data.len());
        let (t, rest) = self.data.split_at(end);
        self.data = rest.get(1..).unwrap_or(&[]);
        t.iter().take(MAX_TEXT).copied().collect()
    }
}

/// Interprets `data` as operations building a tree under `s.root`. Each
/// operation is an opcode byte, a directory byte (which directory made so
/// far), a name byte, and for files their text up to a NUL.
pub fn build(s: &Scratch, data: &[u8]) {
    let mut r = Reader { data };
    let mut dirs: Vec<PathBuf> = vec![s.root.clone()];
    let mut made: Vec<PathBuf> = Vec::new();
    for _ in 0..MAX_OPS {
        let (Some(op), Some(d), Some(n)) = (r.byte(), r.byte(), r.byte()) else { break };
        let dir = dirs.get(usize::from(d) % dirs.len()).cloned().unwrap_or_else(|| s.root.clone());
        let name = NAMES.get(usize::from(n) % NAMES.len()).copied().unwrap_or("a.policy");
        let path = dir.join(name);
        let ok = match op % 10 {
            0 | 1 => new_file(&path).and_then(|mut f| std::io::Write::write_all(&mut f, &r.text())).is_ok(),
            2 => {
                let ok = std::fs::create_dir(&path).is_ok();
                if ok && dirs.len() < 16 {
                    dirs.push(path.clone());
                }
                ok
            }
            3 => link(".", &path),
            4 => link("..", &path),
            5 => link(&s.outside, &path) || link(s.outside.join("secret.txt"), &path),
            6 => match made.get(usize::from(n) % made.len().max(1)) {
                Some(target) => link(target, &path),
                None => false,
            },
            7 => socket(&path),
            8 => new_file(&path).and_then(|f| f.set_len(if n % 2 == 0 { 2 << 20 } else { 5 << 20 })).is_ok(),
            _ => fifo(&path),
        };
        if ok {
            made.push(path);
        }
    }
}

/// Creates a file that does not exist yet: never opens what is there (a
/// FIFO made by an earlier operation would block the harness itself).
fn new_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).create_new(true).open(path)
}

#[cfg(unix)]
fn link(target: impl AsRef<Path>, at: &Path) -> bool {
    std::os::unix::fs::symlink(target, at).is_ok()
}

#[cfg(not(unix))]
fn link(_: impl AsRef<Path>, _: &Path) -> bool {
    false
}

#[cfg(unix)]
fn socket(at: &Path) -> bool {
    // A bound socket leaves a socket file behind: not a regular file.
    std::os::unix::net::UnixListener::bind(at).is_ok()
}

#[cfg(not(unix))]
fn socket(_: &Path) -> bool {
    false
}

fn fifo(at: &Path) -> bool {
    std::process::Command::new("mkfifo").arg(at).status().is_ok_and(|s| s.success())
}

/// Records every document the loader hands out.
struct Spy<'a> {
    inner: &'a DirLoader,
    documents: Mutex<Vec<String>>,
}

impl Loader for Spy<'_> {
    fn load_policy(&self, id: &str) -> Result<Source, LoadError> {
        self.inner.load_policy(id)
    }
    fn load_document(&self, policy_name: &str, path: &str) -> Result<String, LoadError> {
        let got = self.inner.load_document(policy_name, path);
        if let (Ok(text), Ok(mut seen)) = (&got, self.documents.lock()) {
            seen.push(text.clone());
        }
        got
    }
}

/// Loads, checks and compiles the tree; panics when a property fails.
/// Returns (policies indexed, loader problems).
pub fn check(s: &Scratch) -> (usize, usize) {
    let loader = DirLoader::new(&[&s.root]);
    let root = s.root.canonicalize().unwrap_or_else(|_| s.root.clone());
    let ids: Vec<String> = loader.policies().map(|(id, _)| id.to_string()).collect();
    for (id, path) in loader.policies() {
        let canon = path.canonicalize().unwrap_or_else(|e| panic!("indexed `{id}` at {} cannot be resolved: {e}", path.display()));
        assert!(canon.starts_with(&root), "indexed `{id}` from outside the tree: {}", canon.display());
    }
    let spy = Spy { inner: &loader, documents: Mutex::new(Vec::new()) };
    for id in &ids {
        let checked = policy_core::check::check_id(id, &spy);
        for f in &checked.files {
            let p = Path::new(&*f.name);
            if let Ok(c) = p.canonicalize() {
                assert!(c.starts_with(&root), "`{id}` read {} from outside the tree", c.display());
            }
        }
    }
    if let Ok(docs) = spy.documents.lock() {
        for d in docs.iter() {
            assert!(!d.contains(SECRET), "a source document from outside the tree was read");
        }
    }
    let partial = policy_eval::Engine::from_dir_partial(&s.root);
    for id in partial.engine.ids() {
        assert!(ids.iter().any(|i| i == id), "served `{id}`, which the loader did not index");
    }
    (ids.len(), loader.problems.len())
}
