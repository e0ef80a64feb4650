//! Finding files under the paths a command is given, the loader roots for
//! resolving `use`, and turning a POLICY argument (a file or an id) into a
//! compiled plan.

use super::diagnostics::{Reporter, Sources};
use super::term::Term;
use super::{plural, CliError};
use policy_core::loader::{read_source, DirLoader, LoadError, Loader, Source};
use policy_eval::{EvalError, Plan};
use std::path::{Path, PathBuf};

/// Most directory entries one walk visits.
const MAX_WALK: usize = 100_000;

/// Files found, and the paths that could not be read.
#[derive(Debug, Default)]
pub struct Collected {
    /// Files, in the order given, directories walked in sorted order.
    pub files: Vec<PathBuf>,
    /// (path, why) for each path that does not exist or cannot be read.
    pub problems: Vec<(PathBuf, String)>,
}

/// Whether `p` is a policy file.
pub fn is_policy(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "policy")
}

/// Whether `p` is a golden case file.
pub fn is_cases(p: &Path) -> bool {
    p.file_name().is_some_and(|n| n.to_string_lossy().ends_with(".cases.json"))
}

/// Files under `paths`: a file named directly is taken whatever its name;
/// directories are walked recursively (skipping hidden ones) for regular
/// files that `want` accepts. Each directory is visited once (by canonical
/// path: symbolic-link loops end); a FIFO, socket or device that `want`
/// accepts is a problem, never opened; a walk cut at [`MAX_WALK`] entries is
/// a problem too.
pub fn collect(paths: &[PathBuf], want: fn(&Path) -> bool) -> Collected {
    let mut out = Collected::default();
    let mut walk = Walk { want, visited: 0, seen: std::collections::HashSet::new(), cut: false };
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk.dir(p, &mut out),
            Ok(_) => out.files.push(p.clone()),
            Err(e) => out.problems.push((p.clone(), io_message(&e))),
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.files.retain(|f| seen.insert(f.clone()));
    out
}

struct Walk {
    want: fn(&Path) -> bool,
    visited: usize,
    /// Canonical paths of the directories and files already visited.
    seen: std::collections::HashSet<PathBuf>,
    cut: bool,
}

impl Walk {
    fn dir(&mut self, dir: &Path, out: &mut Collected) {
        if let Ok(canon) = dir.canonicalize() {
            if !self.seen.insert(canon) {
                return;
            }
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                out.problems.push((dir.to_path_buf(), io_message(&e)));
                return;
            }
        };
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for child in children {
            if self.cut {
                return;
            }
            self.visited += 1;
            if self.visited > MAX_WALK {
                self.cut = true;
                out.problems.push((dir.to_path_buf(), format!("more than {MAX_WALK} entries; the walk stopped here")));
                return;
            }
            let hidden = child.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
            // `metadata` follows links without opening (a FIFO does not block it).
            let Ok(meta) = std::fs::metadata(&child) else {
                if (self.want)(&child) {
                    out.problems.push((child.clone(), "a dangling symbolic link".into()));
                }
                continue;
            };
            if meta.is_dir() {
                if !hidden {
                    self.dir(&child, out);
                }
            } else if (self.want)(&child) {
                if !meta.is_file() {
                    out.problems.push((child, "not a regular file (a FIFO, socket or device); not read".into()));
                } else if child.canonicalize().map_or(true, |c| self.seen.insert(c)) {
                    out.files.push(child);
                }
            }
        }
    }
}

/// An OS error without the "(os error 2)" tail.
pub fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s.get(..i).unwrap_or(&s).to_string(),
                None => s,
            }
        }
    }
}

/// The nearest enclosing directory named `policies`, if any.
pub fn policies_ancestor(p: &Path) -> Option<PathBuf> {
    let found = p.ancestors().find(|a| a.file_name().is_some_and(|n| n == "policies") && a.is_dir());
    if let Some(f) = found {
        return Some(f.to_path_buf());
    }
    let canon = p.canonicalize().ok()?;
    canon.ancestors().find(|a| a.file_name().is_some_and(|n| n == "policies") && a.is_dir()).map(Path::to_path_buf)
}

/// How a file given on the command line contributes to the loader roots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRoot {
    /// The file itself.
    Itself,
    /// The directory holding it.
    Parent,
}

/// Loader roots for `paths`: each path's enclosing `policies/` tree, or the
/// path itself when it has none; roots inside other roots are dropped (a
/// [`DirLoader`] would index their files twice).
pub fn loader_roots(paths: &[PathBuf], files: FileRoot) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = Vec::new();
    for p in paths {
        if !p.exists() {
            continue;
        }
        let root = match policies_ancestor(p) {
            Some(a) => a,
            None if p.is_file() && files == FileRoot::Parent => match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            },
            None => p.clone(),
        };
        roots.push(root);
    }
    dedupe_roots(roots)
}

/// Drops roots inside other roots (by canonical path).
pub fn dedupe_roots(roots: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut with_canon: Vec<(PathBuf, PathBuf)> = roots.into_iter().map(|r| (r.canonicalize().unwrap_or_else(|_| r.clone()), r)).collect();
    with_canon.sort_by_key(|(c, _)| c.components().count());
    let mut kept: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (canon, root) in with_canon {
        if !kept.iter().any(|(k, _)| canon.starts_with(k)) {
            kept.push((canon, root));
        }
    }
    kept.into_iter().map(|(_, r)| r).collect()
}

/// `--root`, set once by `main` before any command runs.
static ROOT_ARG: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();

/// Records `--root` (the first call wins).
pub fn set_root_arg(root: Option<PathBuf>) {
    let _ = ROOT_ARG.set(root);
}

/// The policy folder that policy ids and a standard-input policy's imports
/// resolve in: `--root DIR` when given (an error when it is not a
/// directory), else the nearest `policies/` folder in the working directory
/// or one of its parents (as cargo finds its workspace), as a relative path
/// (`policies`, `../policies`, …) so that messages and traces stay short;
/// `None` when there is none.
pub fn policy_root() -> Result<Option<PathBuf>, CliError> {
    if let Some(Some(root)) = ROOT_ARG.get() {
        if !root.is_dir() {
            return Err(CliError::Failed(format!("--root `{}` is not a directory", root.display())));
        }
        return Ok(Some(root.clone()));
    }
    Ok(find_policies_upward())
}

/// The nearest `policies/` directory in the working directory or above it.
fn find_policies_upward() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    let mut up = PathBuf::new();
    for dir in cwd.ancestors() {
        if dir.join("policies").is_dir() {
            return Some(up.join("policies"));
        }
        up.push("..");
    }
    None
}

/// `--root` when given (an error when it is not a directory).
pub fn explicit_root() -> Result<Option<PathBuf>, CliError> {
    match ROOT_ARG.get() {
        Some(Some(_)) => policy_root(),
        _ => Ok(None),
    }
}

/// Says that the policy root came from `--root`, for messages.
fn root_flag() -> &'static str {
    match ROOT_ARG.get() {
        Some(Some(_)) => " (--root)",
        _ => "",
    }
}

/// The name standard input is read under.
pub const STDIN_NAME: &str = "<stdin>";

/// Reads a policy from standard input (at most the source size limit).
/// It is named `<stdin>`, unless the id its header declares names a policy
/// of `loader`: then it takes that file's name, so that its source
/// documents resolve beside it and diagnostics name the file an editor
/// piped.
pub fn read_stdin_policy(loader: &DirLoader) -> Result<Source, CliError> {
    use std::io::Read;
    let limit = policy_core::limits::MAX_SOURCE_BYTES;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::Failed(format!("cannot read a policy from standard input: {}", io_message(&e))))?;
    if bytes.len() > limit {
        return Err(CliError::Failed(format!("standard input holds more than the limit of {limit} bytes for a policy (not read further)")));
    }
    let name = std::str::from_utf8(&bytes)
        .ok()
        .and_then(policy_core::loader::scan_policy_id)
        .and_then(|id| loader.load_policy(&id).ok())
        .map(|s| s.name.to_string())
        .unwrap_or_else(|| STDIN_NAME.to_string());
    Ok(Source { name: std::sync::Arc::from(name.as_str()), bytes: std::sync::Arc::from(bytes) })
}

/// A POLICY argument resolved to its source and a loader for its imports.
pub struct Resolved {
    /// The policy's text.
    pub source: Source,
    /// Resolves its `use`s.
    pub loader: DirLoader,
}

/// Resolves POLICY: `-` (standard input; imports from the policy root), a
/// path to a `.policy` file (imports come from its `policies/` tree, and
/// from the policy root), or a policy id looked up in the policy root
/// ([`policy_root`]).
pub fn resolve_policy(arg: &str) -> Result<Resolved, CliError> {
    let path = Path::new(arg);
    if arg == "-" {
        let roots: Vec<PathBuf> = policy_root()?.into_iter().collect();
        let loader = DirLoader::new(&roots);
        let source = read_stdin_policy(&loader)?;
        return Ok(Resolved { source, loader });
    }
    if path.is_file() {
        let mut roots = loader_roots(&[path.to_path_buf()], FileRoot::Itself);
        if policies_ancestor(path).is_none() {
            roots.extend(policy_root()?);
        }
        let source = read_source(path).map_err(|e| CliError::Failed(load_message(&e)))?;
        return Ok(Resolved { source, loader: DirLoader::new(&dedupe_roots(roots)) });
    }
    if path.is_dir() {
        return Err(CliError::Failed(format!("`{arg}` is a directory: give a .policy file or a policy id")));
    }
    if path.exists() {
        return Err(CliError::Failed(format!("`{arg}` is not a regular file (a FIFO, socket or device); not read")));
    }
    let looks_like_path = arg.ends_with(".policy") || arg.contains('/') || arg.contains(std::path::MAIN_SEPARATOR);
    if looks_like_path {
        return Err(CliError::Failed(format!("cannot read `{arg}`: no such file")));
    }
    let Some(dir) = policy_root()? else {
        return Err(CliError::Failed(format!(
            "`{arg}` is not a file, and there is no policy folder to look it up as a policy id (no `policies/` folder in the working directory or its parents; give --root DIR)"
        )));
    };
    let loader = DirLoader::new(&[&dir]);
    match loader.load_policy(arg) {
        Ok(source) => Ok(Resolved { source, loader }),
        Err(LoadError::NotFound(_)) => {
            Err(CliError::Failed(format!("no file `{arg}` and no policy with that id under `{}`{}", dir.display(), root_flag())))
        }
        Err(e) => Err(CliError::Failed(load_message(&e))),
    }
}

/// A loader error as a message.
pub fn load_message(e: &LoadError) -> String {
    match e {
        LoadError::Io { path, message } => {
            let m = message.find(" (os error").and_then(|i| message.get(..i)).unwrap_or(message);
            let m = if m == "No such file or directory" { "no such file or directory" } else { m };
            format!("cannot read `{path}`: {m}")
        }
        other => other.to_string(),
    }
}

/// Resolves and compiles POLICY. On compile errors the diagnostics are
/// printed (human format, stderr) and the error says how many.
pub fn load_plan(arg: &str, term: Term) -> Result<Plan, CliError> {
    let Resolved { source, loader } = resolve_policy(arg)?;
    compile_reporting(&source, &loader, term)
}

/// Compiles `source`, printing the diagnostics when it fails (with
/// `--error-format json` they are the `diagnostics` of the `policy_error`
/// object instead).
pub fn compile_reporting(source: &Source, loader: &dyn Loader, term: Term) -> Result<Plan, CliError> {
    match policy_eval::compile(source, loader) {
        Ok(plan) => Ok(plan),
        Err(EvalError::Policy { name, diagnostics }) => {
            let mut reporter = Reporter::for_error(term);
            let mut sources = Sources::new();
            sources.add(&source.name, &String::from_utf8_lossy(&source.bytes));
            reporter.report_all(&diagnostics, &mut sources);
            reporter.finish();
            let message = format!("`{name}` does not compile: {}", plural(reporter.errors, "error", "errors"));
            Err(CliError::Coded {
                code: "policy_error",
                message,
                details: serde_json::json!({ "diagnostics": reporter.take_json() }),
                exit: 1,
            })
        }
        Err(e) => Err(CliError::Failed(e.to_string())),
    }
}
