//! A policy tree read from a git revision (`policy diff HEAD~1:policies/x.policy …`).
//!
//! Git is run as a subprocess (`git rev-parse`, `git ls-tree`, `git cat-file`),
//! never linked. The tree read is the policy's enclosing `policies/` folder at
//! that revision (else the folder holding it); its imports and quoted
//! documents come from the same revision and may not leave that folder.
//! Symbolic links and submodules in the tree are skipped.

use policy_core::loader::{scan_policy_id, LoadError, Loader, Source};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

/// Most files listed in the tree read from a revision.
pub const MAX_GIT_FILES: usize = 10_000;
/// Largest file read from a revision.
pub const MAX_GIT_FILE_BYTES: u64 = 1 << 20;

/// `REV:PATH` split, when `arg` has that form and is not an existing file.
pub fn split_revision(arg: &str) -> Option<(&str, &str)> {
    if Path::new(arg).exists() {
        return None;
    }
    let (rev, path) = arg.split_once(':')?;
    (!rev.is_empty() && !path.is_empty()).then_some((rev, path))
}

/// A folder of one git revision: the policies in it by id, the other files by path.
#[derive(Debug)]
pub struct GitTree {
    top: PathBuf,
    /// The revision as given (names sources `REV:path`).
    rev: String,
    /// Every regular file under the root: repository path → (blob id, size).
    files: BTreeMap<String, (String, u64)>,
    /// Policy id → repository path.
    by_id: BTreeMap<String, String>,
    /// The folder read, repository-relative (`policies`), `""` for the top.
    root: String,
}

fn git(top: Option<&Path>, args: &[&str]) -> Result<Vec<u8>, String> {
    let mut cmd = Command::new("git");
    if let Some(t) = top {
        cmd.arg("-C").arg(t);
    }
    let out = cmd
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run git: {}", crate::support::files::io_message(&e)))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("failed").trim();
        return Err(format!("git {}: {first}", args.first().copied().unwrap_or_default()));
    }
    Ok(out.stdout)
}

fn trimmed(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).trim().to_string()
}

/// Joins `rel` (slash-separated) onto the repository folder `base`,
/// resolving `.` and `..`; `None` when it leaves the repository or is absolute.
pub fn normalize(base: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') || rel.contains('\\') || rel.contains('\0') {
        return None;
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

impl GitTree {
    /// Reads the tree holding `path` at `rev`. `path` is relative to the
    /// repository's top level, as git reads `REV:PATH`, unless it starts
    /// with `./` or `../` (relative to the working directory).
    /// Returns the tree and the policy file's repository path.
    pub fn open(rev: &str, path: &str) -> Result<(GitTree, String), String> {
        if rev.starts_with('-') {
            return Err(format!("`{rev}` is not a git revision"));
        }
        let top =
            PathBuf::from(trimmed(git(None, &["rev-parse", "--show-toplevel"]).map_err(|e| {
                format!("`{rev}:{path}` names a git revision, but the working directory is not in a git repository ({e})")
            })?));
        let prefix = if path.starts_with("./") || path.starts_with("../") {
            trimmed(git(None, &["rev-parse", "--show-prefix"])?)
        } else {
            String::new()
        };
        let file = normalize(&prefix, path).filter(|f| !f.is_empty()).ok_or_else(|| format!("`{path}` is outside the git repository"))?;
        let commit = trimmed(
            git(Some(&top), &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])
                .map_err(|_| format!("`{rev}` is not a commit of this git repository"))?,
        );
        // The tree read: the nearest enclosing `policies/` folder, else the file's folder.
        let dirs: Vec<&str> = file.split('/').collect();
        let parent_len = dirs.len().saturating_sub(1);
        let root = match dirs.iter().take(parent_len).rposition(|d| *d == "policies") {
            Some(i) => dirs.get(..=i).map(|d| d.join("/")).unwrap_or_default(),
            None => dirs.get(..parent_len).map(|d| d.join("/")).unwrap_or_default(),
        };
        let mut args = vec!["ls-tree", "-r", "-l", "-z", &commit];
        let spec = format!("{root}/");
        if !root.is_empty() {
            args.push("--");
            args.push(&spec);
        }
        let listing = git(Some(&top), &args)?;
        let mut tree = GitTree { top, rev: rev.to_string(), files: BTreeMap::new(), by_id: BTreeMap::new(), root };
        for entry in listing.split(|b| *b == 0).filter(|e| !e.is_empty()) {
            let entry = String::from_utf8_lossy(entry);
            let Some((meta, name)) = entry.split_once('\t') else { continue };
            let fields: Vec<&str> = meta.split_whitespace().collect();
            // Regular files only: no symbolic links (120000), no submodules.
            let [mode, "blob", id, size] = fields.as_slice() else { continue };
            if !mode.starts_with("100") {
                continue;
            }
            if tree.files.len() >= MAX_GIT_FILES {
                return Err(format!("`{rev}:{}` holds more than {MAX_GIT_FILES} files", tree.root));
            }
            tree.files.insert(name.to_string(), (id.to_string(), size.parse().unwrap_or(u64::MAX)));
        }
        if !tree.files.contains_key(&file) {
            return Err(format!("cannot read `{rev}:{file}`: no such file at that revision"));
        }
        let policies: Vec<String> = tree.files.keys().filter(|p| p.ends_with(".policy")).cloned().collect();
        for p in policies {
            let text = tree.blob(&p).map_err(|e| e.to_string())?;
            if let Some(id) = scan_policy_id(&String::from_utf8_lossy(&text)) {
                if let Some(prev) = tree.by_id.insert(id.clone(), p.clone()) {
                    return Err(format!("policy id `{id}` is declared by both `{rev}:{prev}` and `{rev}:{p}`"));
                }
            }
        }
        Ok((tree, file))
    }

    fn blob(&self, path: &str) -> Result<Vec<u8>, LoadError> {
        let shown = format!("{}:{path}", self.rev);
        let (id, size) = self.files.get(path).ok_or_else(|| LoadError::Io { path: shown.clone(), message: "no such file".into() })?;
        if *size > MAX_GIT_FILE_BYTES {
            return Err(LoadError::Io { path: shown, message: format!("larger than {MAX_GIT_FILE_BYTES} bytes") });
        }
        git(Some(&self.top), &["cat-file", "blob", id]).map_err(|message| LoadError::Io { path: shown, message })
    }

    /// The policy at repository path `path`, named `REV:path`.
    pub fn source(&self, path: &str) -> Result<Source, LoadError> {
        let bytes = self.blob(path)?;
        Ok(Source { name: Arc::from(format!("{}:{path}", self.rev)), bytes: Arc::from(bytes) })
    }
}

impl Loader for GitTree {
    fn load_policy(&self, id: &str) -> Result<Source, LoadError> {
        let path = self.by_id.get(id).ok_or_else(|| LoadError::NotFound(id.to_string()))?;
        self.source(path)
    }

    fn load_document(&self, policy_name: &str, path: &str) -> Result<String, LoadError> {
        let refuse = |why: &str| LoadError::Io { path: path.to_string(), message: why.to_string() };
        let policy = policy_name.strip_prefix(&format!("{}:", self.rev)).ok_or_else(|| refuse("not read from this revision"))?;
        let dir = policy.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let full = normalize(dir, path).ok_or_else(|| refuse("outside the git repository"))?;
        let inside = self.root.is_empty() || full.starts_with(&format!("{}/", self.root));
        if !inside {
            return Err(refuse(&format!("outside `{}`", self.root)));
        }
        let bytes = self.blob(&full)?;
        String::from_utf8(bytes).map_err(|_| LoadError::Io { path: format!("{}:{full}", self.rev), message: "not UTF-8".into() })
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn paths_may_not_leave_the_repository() {
        assert_eq!(normalize("", "policies/x.policy").as_deref(), Some("policies/x.policy"));
        assert_eq!(normalize("a/b", "../c.txt").as_deref(), Some("a/c.txt"));
        assert_eq!(normalize("a", "./b/../c").as_deref(), Some("a/c"));
        assert_eq!(normalize("", "../x.policy"), None);
        assert_eq!(normalize("a", "../../x"), None);
        assert_eq!(normalize("", "/etc/passwd"), None);
    }
}
