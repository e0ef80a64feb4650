//! `policy check`: parse, check and compile policies, reporting every
//! diagnostic with its source line.

use crate::support::diagnostics::{Reporter, Sources};
use crate::support::files::{
    collect, dedupe_roots, explicit_root, is_policy, load_message, loader_roots, policy_root, read_stdin_policy, FileRoot,
};
use crate::support::io::errln;
use crate::support::term::Term;
use crate::support::{plural, CliError, CmdResult};
use policy_core::ast::Span;
use policy_core::check::check_source;
use policy_core::diag::{codes, Diagnostic};
use policy_core::loader::{read_source, DirLoader, LoadError, Source};
use policy_eval::{EvalError, Plan};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Examples shown by `policy check --help`.
pub const EXAMPLES: &str = "\
Examples:
  policy check policies/
  policy check policies/datong/big_data_training_2022.policy
  policy check --error-format json policies/ > diagnostics.jsonl
  policy check --error-format short policies/
  policy check --deny-warnings policies/jiaxing
  policy check - < draft.policy          (imports resolve in the nearest policies/ folder, or --root)

Exit status: 0 when no errors (warnings alone are fine unless --deny-warnings), \
1 when any policy has errors or a path cannot be read, 2 on bad arguments.";

/// Arguments of `policy check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files, or directories searched recursively for `.policy` files; `-` reads one
    /// policy from standard input (its imports resolve in the policy root: --root, or the
    /// nearest `policies/` folder in the working directory or its parents).
    #[arg(required = true, value_name = "PATH|-")]
    pub paths: Vec<PathBuf>,
    /// Fail (exit 1) when there are warnings.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// Runs `policy check`.
pub fn run(args: &Args, term: Term) -> CmdResult {
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        if args.paths.len() > 1 {
            return Err(CliError::Trouble("`-` (standard input) cannot be given with other paths".into()));
        }
        return run_stdin(args, term);
    }
    let collected = collect(&args.paths, is_policy);
    let mut reporter = Reporter::new(term.errors, term);
    for (path, why) in &collected.problems {
        reporter.plain_error(&path.display().to_string(), &format!("cannot read `{}`: {why}", path.display()));
    }
    let mut roots = loader_roots(&args.paths, FileRoot::Itself);
    // Paths bring their own `policies/` trees; an explicit --root adds its folder.
    roots.extend(explicit_root()?);
    let loader = DirLoader::new(&dedupe_roots(roots));
    // A file the walk already reports (or reads below) is not reported twice.
    let own: HashSet<PathBuf> =
        collected.files.iter().chain(collected.problems.iter().map(|(p, _)| p)).filter_map(|p| p.canonicalize().ok()).collect();
    for problem in &loader.problems {
        let about_own = match problem {
            LoadError::Io { path, .. } | LoadError::Refused { path, .. } | LoadError::TooLarge { path, .. } => {
                Path::new(path).canonicalize().is_ok_and(|c| own.contains(&c))
            }
            _ => false,
        };
        if about_own {
            continue;
        }
        let (file, message) = match problem {
            LoadError::Duplicate { second, .. } => (second.clone(), problem.to_string()),
            LoadError::Io { path, .. } | LoadError::Refused { path, .. } | LoadError::TooLarge { path, .. } => {
                (path.clone(), load_message(problem))
            }
            LoadError::TooManyEntries { root, .. } => (root.clone(), problem.to_string()),
            LoadError::NotFound(_) => (String::new(), problem.to_string()),
        };
        reporter.plain_error(&file, &message);
    }
    let mut sources = Sources::new();
    for file in &collected.files {
        let source = match read_source(file) {
            Ok(s) => s,
            Err(LoadError::TooLarge { path, size, limit }) => {
                let name: Arc<str> = Arc::from(path.as_str());
                let d = Diagnostic::error(
                    codes::TOO_LARGE,
                    &name,
                    Span::new(0, 0),
                    format!("source is {size} bytes, more than the limit of {limit} bytes (not read)"),
                )
                .with_help("split the policy into several files joined by `use`");
                sources.add(&name, "");
                reporter.report_all(&[d], &mut sources);
                continue;
            }
            Err(e) => {
                reporter.plain_error(&file.display().to_string(), &load_message(&e));
                continue;
            }
        };
        check_one(&source, &loader, &mut reporter, &mut sources);
    }
    reporter.finish();
    let what = if collected.files.len() == 1 { "policy" } else { "policies" };
    errln!(
        "checked {} {what}: {}, {}",
        collected.files.len(),
        plural(reporter.errors, "error", "errors"),
        plural(reporter.warnings, "warning", "warnings")
    );
    if collected.files.is_empty() && collected.problems.is_empty() {
        crate::support::term::print_error(term, "no .policy files found");
        return Ok(false);
    }
    Ok(reporter.errors == 0 && !(args.deny_warnings && reporter.warnings > 0))
}

/// Checks and compiles one policy, reporting its diagnostics.
fn check_one(source: &Source, loader: &DirLoader, reporter: &mut Reporter, sources: &mut Sources) {
    sources.add(&source.name, &String::from_utf8_lossy(&source.bytes));
    let checked = check_source(source, loader);
    sources.add_files(&checked.files);
    reporter.report_all(&checked.diagnostics, sources);
    if let Some(policy) = checked.policy {
        // Compiling evaluates the policy's `assert`s (R305).
        match Plan::compile(policy, Vec::new()) {
            Ok(_) => {}
            Err(EvalError::Policy { diagnostics, .. }) => reporter.report_all(&diagnostics, sources),
            Err(e) => reporter.plain_error(&source.name, &e.to_string()),
        }
    }
}

/// `policy check -`: one policy from standard input, its imports resolved
/// in the policy root.
fn run_stdin(args: &Args, term: Term) -> CmdResult {
    let roots: Vec<PathBuf> = policy_root()?.into_iter().collect();
    let loader = DirLoader::new(&roots);
    let source = read_stdin_policy(&loader)?;
    let mut reporter = Reporter::new(term.errors, term);
    let mut sources = Sources::new();
    check_one(&source, &loader, &mut reporter, &mut sources);
    reporter.finish();
    errln!("checked {}: {}, {}", source.name, plural(reporter.errors, "error", "errors"), plural(reporter.warnings, "warning", "warnings"));
    Ok(reporter.errors == 0 && !(args.deny_warnings && reporter.warnings > 0))
}
