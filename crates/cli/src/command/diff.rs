//! `policy diff`: compare two versions of a policy — structure, and the
//! decisions of golden cases under both — using `policy_eval::diff`.

use crate::support::files::{collect, compile_reporting, is_cases, load_message, load_plan};
use crate::support::git::{split_revision, GitTree};
use crate::support::io::out;
use crate::support::term::Term;
use crate::support::{CliError, CmdResult};
use clap::ValueEnum;
use policy_core::loader::{read_source, DirLoader, Loader};
use policy_eval::cases::CaseFile;
use policy_eval::Plan;
use std::path::{Path, PathBuf};

/// Examples shown by `policy diff --help`.
pub const EXAMPLES: &str = "\
Examples:
  policy diff HEAD~1:policies/datong/big_data_training_2022.policy policies/datong/big_data_training_2022.policy
  policy diff main:policies/jinhua/digital_engineer_2024.policy policies/jinhua/digital_engineer_2024.policy --cases policies/jinhua
  policy diff old/jinhua/x.policy policies/jinhua/x.policy --old-root old --new-root policies
  policy diff old.policy new.policy --format json

A version written REV:PATH is read from git (PATH relative to the repository's \
top, as `git show` reads it), with its imports and documents from the same \
revision. Otherwise imports resolve in --old-root/--new-root, else in the \
file's own policies/ tree (or ./policies).

Exit status (as GNU diff): 0 when the two versions are equivalent, 1 when they \
differ, 2 on trouble (bad arguments, a version that cannot be read or does \
not compile, unreadable cases).";

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum DiffFormat {
    /// A readable report.
    #[default]
    Text,
    /// The report as JSON.
    Json,
}

/// Arguments of `policy diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The old version: a `.policy` file, a policy id, or `REV:PATH` read from git.
    #[arg(value_name = "OLD")]
    pub old: String,
    /// The new version: a `.policy` file, a policy id, or `REV:PATH` read from git.
    #[arg(value_name = "NEW")]
    pub new: String,
    /// The folder the old version's imports (and a policy id) resolve in.
    #[arg(long, value_name = "DIR")]
    pub old_root: Option<PathBuf>,
    /// The folder the new version's imports (and a policy id) resolve in.
    #[arg(long, value_name = "DIR")]
    pub new_root: Option<PathBuf>,
    /// A directory (or file) of `*.cases.json` whose facts are decided under both versions.
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: DiffFormat,
}

/// Runs `policy diff`.
pub fn run(args: &Args, term: Term) -> CmdResult {
    // Every failure here is trouble (exit 2): exit 1 means "different".
    let trouble = |e: CliError| match e {
        CliError::Failed(m) | CliError::Trouble(m) => CliError::Trouble(m),
        CliError::Coded { code, message, details, .. } => CliError::Coded { code, message, details, exit: 2 },
    };
    compare(args, term).map_err(trouble)
}

/// One version: from git, from a root folder, or as `policy eval` finds it.
pub(crate) fn load_version(arg: &str, root: Option<&Path>, flag: &str, term: Term) -> Result<Plan, CliError> {
    if let Some((rev, path)) = split_revision(arg) {
        if root.is_some() {
            return Err(CliError::Trouble(format!("`{arg}` is read from git with its own imports: --{flag} does not apply")));
        }
        let (tree, file) = GitTree::open(rev, path).map_err(CliError::Trouble)?;
        let source = tree.source(&file).map_err(|e| CliError::Trouble(load_message(&e)))?;
        return compile_reporting(&source, &tree, term);
    }
    let Some(root) = root else { return load_plan(arg, term) };
    if !root.is_dir() {
        return Err(CliError::Trouble(format!("--{flag} `{}` is not a directory", root.display())));
    }
    let loader = DirLoader::new(&[root]);
    let path = Path::new(arg);
    let source = if path.is_file() {
        read_source(path).map_err(|e| CliError::Trouble(load_message(&e)))?
    } else {
        loader
            .load_policy(arg)
            .map_err(|_| CliError::Trouble(format!("no file `{arg}` and no policy with that id under `{}`", root.display())))?
    };
    compile_reporting(&source, &loader, term)
}

fn compare(args: &Args, term: Term) -> CmdResult {
    let old = load_version(&args.old, args.old_root.as_deref(), "old-root", term)?;
    let new = load_version(&args.new, args.new_root.as_deref(), "new-root", term)?;
    let ids = [old.policy().meta.id.clone(), new.policy().meta.id.clone()];
    let mut cases: Vec<(String, CaseFile)> = Vec::new();
    if let Some(dir) = &args.cases {
        let collected = collect(std::slice::from_ref(dir), is_cases);
        if let Some((path, why)) = collected.problems.first() {
            return Err(CliError::Failed(format!("cannot read `{}`: {why}", path.display())));
        }
        for file in &collected.files {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(file)
                .map_err(|e| CliError::Failed(format!("cannot read `{name}`: {}", crate::support::files::io_message(&e))))?;
            let case_file = CaseFile::parse(&text).map_err(|e| CliError::Failed(format!("`{name}` is not a case file: {e}")))?;
            if ids.contains(&case_file.policy) {
                cases.push((name, case_file));
            }
        }
    }
    let report = policy_eval::diff::diff(&old, &new, &cases);
    match args.format {
        DiffFormat::Text => {
            let text = report.render_text();
            out!("{text}");
            if !text.is_empty() && !text.ends_with('\n') {
                out!("\n");
            }
        }
        DiffFormat::Json => {
            let json =
                serde_json::to_string_pretty(&report).map_err(|e| CliError::Failed(format!("cannot write the report as JSON: {e}")))?;
            out!("{json}\n");
        }
    }
    Ok(report.equivalent())
}
