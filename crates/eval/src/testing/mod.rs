//! Golden traces: checking decisions, and the whole explanation behind them,
//! against files kept beside the cases (`docs/cases-format.md`).
//!
//! For a case file `<name>.cases.json`, each case's golden trace is
//! `<name>.traces/<case>.trace`: the case's decision with its full trace,
//! rendered by [`render_text`](crate::render_text) with no text cut short
//! ([`golden_text`]). Checking a case compares
//! its decision with the case's `expect` and its rendered trace with the
//! golden file; a trace that differs fails the case with a unified diff whose
//! hunks are headed by the rule (trace step) whose line changed. Blessing
//! writes missing golden traces and rewrites changed ones.
//!
//! `policy test` runs on this module; an ordinary `#[test]` can too:
//!
//! ```no_run
//! # #![allow(clippy::unwrap_used)]
//! use policy_eval::{testing, Engine};
//!
//! #[test]
//! fn my_policy_cases() {
//!     let engine = Engine::from_dir("policies").unwrap();
//!     // Every case of the file: expectations and golden traces.
//!     testing::assert_case_file(&engine, "policies/demo/training.cases.json");
//!     // Or one case.
//!     testing::assert_case(&engine, "policies/demo/training.cases.json", "twelve_days");
//! }
//! ```
//!
//! `POLICY_BLESS=1 cargo test` writes and rewrites the golden traces (like
//! `policy test --bless`); under `CI=true` a missing golden trace fails the
//! test instead of being reported ([`Options::from_env`]).

mod line_diff;

pub use line_diff::{diff as diff_lines, Edit, CONTEXT, MAX_EDITS};

use crate::cases::{run_case, Case, CaseFile};
use crate::decision::Decision;
use crate::plan::Plan;
use crate::render::render_text_with_rules;
use crate::Engine;
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

/// The environment variable that turns blessing on (`1`, `true`, `yes`).
pub const BLESS_ENV: &str = "POLICY_BLESS";

/// Extension of a golden trace file.
pub const TRACE_EXT: &str = "trace";

/// Suffix of the folder holding a case file's golden traces.
pub const TRACES_DIR_SUFFIX: &str = ".traces";

/// What checking does with golden traces.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Write missing golden traces and rewrite changed ones, instead of
    /// failing on a changed one.
    pub bless: bool,
    /// A missing golden trace fails its case (otherwise it is reported only).
    pub require_golden: bool,
}

impl Options {
    /// From the environment: `bless` when [`BLESS_ENV`] is `1`/`true`/`yes`,
    /// `require_golden` when `CI` is.
    pub fn from_env() -> Options {
        Options { bless: env_true(BLESS_ENV), require_golden: env_true("CI") }
    }
}

/// Whether environment variable `name` is set to `1`, `true` or `yes` (any case).
pub fn env_true(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
}

/// The folder of golden traces for a case file: `x.cases.json` → `x.traces`
/// (any other file name gets `.traces` appended).
pub fn traces_dir(case_file: &Path) -> PathBuf {
    let name = case_file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = name.strip_suffix(".cases.json").unwrap_or(&name);
    case_file.with_file_name(format!("{stem}{TRACES_DIR_SUFFIX}"))
}

/// The golden trace file of case `case` of `case_file`, or why the case's
/// name cannot name a file (empty, a path separator, a leading dot, a
/// control character).
pub fn trace_path(case_file: &Path, case: &str) -> Result<PathBuf, String> {
    let bad = case.is_empty()
        || case.starts_with('.')
        || case.chars().any(|c| c == '/' || c == '\\' || c == ':' || c.is_control())
        || case.chars().count() > 200;
    if bad {
        return Err(format!(
            "case name `{}` cannot name a golden trace file (no `/`, `\\`, `:`, leading `.`, control characters; at most 200 characters)",
            case.escape_debug()
        ));
    }
    Ok(traces_dir(case_file).join(format!("{case}.{TRACE_EXT}")))
}

/// The text a golden trace holds for a decision: [`crate::render_text`] with
/// every step's policy text and every quote in full (not cut at 100
/// characters), so that a change anywhere in them shows.
pub fn golden_text(decision: &Decision) -> String {
    render_text_with_rules(decision).0
}

/// How a case's trace compared with its golden file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Golden {
    /// The same text.
    Unchanged,
    /// Different text: a unified diff (golden → actual) and the rules whose
    /// lines changed, first one first.
    Changed {
        /// The unified diff.
        diff: String,
        /// Rules (`benefit: kind id`) whose lines changed.
        rules: Vec<String>,
    },
    /// No golden file, and not blessing. Fails the case when `required`.
    Missing {
        /// Whether this fails the case ([`Options::require_golden`]).
        required: bool,
    },
    /// Blessing wrote a golden file where there was none.
    Added,
    /// Blessing rewrote a golden file that differed.
    Rewritten,
    /// The case has no decision (its facts were rejected, say): nothing to compare.
    NotCompared,
    /// The golden file could not be read or written, or the case's name cannot name one.
    Error(String),
}

impl Golden {
    /// Whether this outcome fails the case.
    pub fn fails(&self) -> bool {
        match self {
            Golden::Changed { .. } | Golden::Error(_) => true,
            Golden::Missing { required } => *required,
            Golden::Unchanged | Golden::Added | Golden::Rewritten | Golden::NotCompared => false,
        }
    }
}

/// Compares a decision's rendered trace with the golden file at `path`
/// (writing it when blessing). Line ends `\r\n` in the file count as `\n`.
pub fn compare_trace(decision: &Decision, path: &Path, opts: &Options) -> Golden {
    let (actual, rules) = render_text_with_rules(decision);
    let existing = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(text.replace("\r\n", "\n")),
            Err(_) => return Golden::Error(format!("golden trace `{}` is not UTF-8", path.display())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Golden::Error(format!("cannot read golden trace `{}`: {e}", path.display())),
    };
    match existing {
        Some(golden) if golden == actual => Golden::Unchanged,
        Some(golden) => {
            if opts.bless {
                return match write(path, &actual) {
                    Ok(()) => Golden::Rewritten,
                    Err(e) => Golden::Error(e),
                };
            }
            let rule_of = |j: usize| rules.get(j).cloned().flatten();
            let (diff, rules) = line_diff::unified(&golden, &actual, &path.display().to_string(), "actual", &rule_of);
            Golden::Changed { diff, rules }
        }
        None if opts.bless => match write(path, &actual) {
            Ok(()) => Golden::Added,
            Err(e) => Golden::Error(e),
        },
        None => Golden::Missing { required: opts.require_golden },
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write golden trace `{}`: {e}", path.display()))
}

/// One case checked.
#[derive(Debug, Clone)]
pub struct CaseReport {
    /// The case's name.
    pub name: String,
    /// Its golden trace file (`None` when its name cannot name one).
    pub trace_file: Option<PathBuf>,
    /// Each way the decision differs from the case's `expect`.
    pub mismatches: Vec<String>,
    /// How the trace compared with the golden file.
    pub golden: Golden,
}

impl CaseReport {
    /// Whether the case passed: its expectations hold and its trace did not fail.
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty() && !self.golden.fails()
    }
}

/// A case file checked.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The case file.
    pub path: PathBuf,
    /// The policy its cases are for.
    pub policy: String,
    /// The cases checked, in file order.
    pub cases: Vec<CaseReport>,
    /// Golden trace files of cases the file no longer has (not removed).
    pub obsolete: Vec<PathBuf>,
}

/// Golden traces counted by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Compared and the same.
    pub unchanged: usize,
    /// Compared and different (not blessing).
    pub changed: usize,
    /// Missing (not blessing).
    pub missing: usize,
    /// Written where missing (blessing).
    pub added: usize,
    /// Rewritten (blessing).
    pub rewritten: usize,
    /// Could not be read or written.
    pub errors: usize,
}

impl Counts {
    /// Adds another count.
    pub fn add(&mut self, other: Counts) {
        self.unchanged += other.unchanged;
        self.changed += other.changed;
        self.missing += other.missing;
        self.added += other.added;
        self.rewritten += other.rewritten;
        self.errors += other.errors;
    }

    /// One line: `golden traces: 3 added, 1 changed, 287 unchanged` when
    /// blessing, `golden traces: 290 unchanged, 1 changed, 0 missing`
    /// otherwise (errors only when there are some).
    pub fn summary(&self, blessing: bool) -> String {
        let mut parts = if blessing {
            vec![format!("{} added", self.added), format!("{} changed", self.rewritten), format!("{} unchanged", self.unchanged)]
        } else {
            vec![format!("{} unchanged", self.unchanged), format!("{} changed", self.changed), format!("{} missing", self.missing)]
        };
        if self.errors > 0 {
            parts.push(format!("{} unreadable or unwritable", self.errors));
        }
        format!("golden traces: {}", parts.join(", "))
    }
}

impl FileReport {
    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed()).count()
    }

    /// Cases that failed.
    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }

    /// Golden traces by outcome.
    pub fn counts(&self) -> Counts {
        let mut n = Counts::default();
        for c in &self.cases {
            match c.golden {
                Golden::Unchanged => n.unchanged += 1,
                Golden::Changed { .. } => n.changed += 1,
                Golden::Missing { .. } => n.missing += 1,
                Golden::Added => n.added += 1,
                Golden::Rewritten => n.rewritten += 1,
                Golden::Error(_) => n.errors += 1,
                Golden::NotCompared => {}
            }
        }
        n
    }

    /// What `policy test` prints for this file: a `FAIL` line per failing
    /// case (with the trace diff), a line per missing or obsolete golden
    /// trace. `fail` is the word that starts a failure line (coloured or not).
    pub fn render(&self, fail: &str) -> String {
        let name = self.path.display();
        let mut out = String::new();
        for c in &self.cases {
            if !c.mismatches.is_empty() {
                out.push_str(&format!("{fail} {name}::{}: {}\n", c.name, c.mismatches.join("; ")));
            }
            let trace = c.trace_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
            match &c.golden {
                Golden::Changed { diff, rules } => {
                    let at = if rules.is_empty() { String::new() } else { format!(" at {}", rules.join(", ")) };
                    out.push_str(&format!("{fail} {name}::{}: trace differs from its golden trace{at}\n", c.name));
                    for line in diff.lines() {
                        out.push_str("    ");
                        out.push_str(line);
                        out.push('\n');
                    }
                }
                Golden::Missing { required: true } => out.push_str(&format!(
                    "{fail} {name}::{}: no golden trace `{trace}` (required under CI=true; write it with `policy test --bless` and commit it)\n",
                    c.name
                )),
                Golden::Missing { required: false } => {
                    out.push_str(&format!("missing golden trace `{trace}` for {name}::{} (write it with `policy test --bless`)\n", c.name))
                }
                Golden::Error(e) => out.push_str(&format!("{fail} {name}::{}: {e}\n", c.name)),
                Golden::Unchanged | Golden::Added | Golden::Rewritten | Golden::NotCompared => {}
            }
        }
        for o in &self.obsolete {
            out.push_str(&format!("obsolete golden trace `{}`: {name} has no such case\n", o.display()));
        }
        out
    }
}

/// Checks the cases of `file` (read from `path`) that `select` accepts
/// against `plan`: each case's expectations and its golden trace. Golden
/// trace files of no case of the file (selected or not) are listed as
/// obsolete.
pub fn check_cases(plan: &Plan, path: &Path, file: &CaseFile, select: &dyn Fn(&Case) -> bool, opts: &Options) -> FileReport {
    let mut seen = HashSet::new();
    let mut cases = Vec::new();
    for case in &file.cases {
        let first = seen.insert(case.name.as_str());
        if !select(case) {
            continue;
        }
        cases.push(if first {
            check_one(plan, path, case, opts)
        } else {
            CaseReport {
                name: case.name.clone(),
                trace_file: None,
                mismatches: vec!["another case has the same name (and would share its golden trace)".into()],
                golden: Golden::NotCompared,
            }
        });
    }
    FileReport { path: path.to_path_buf(), policy: file.policy.clone(), cases, obsolete: obsolete(path, file) }
}

/// Checks one case: its expectations and its golden trace.
pub fn check_one(plan: &Plan, path: &Path, case: &Case, opts: &Options) -> CaseReport {
    let outcome = run_case(plan, case);
    let trace_file = trace_path(path, &case.name);
    let golden = match (&outcome.decision, &trace_file) {
        (None, _) => Golden::NotCompared,
        (Some(_), Err(e)) => Golden::Error(e.clone()),
        (Some(d), Ok(p)) => compare_trace(d, p, opts),
    };
    CaseReport { name: case.name.clone(), trace_file: trace_file.ok(), mismatches: outcome.mismatches, golden }
}

/// Golden trace files beside `path` whose case `file` no longer has, sorted.
fn obsolete(path: &Path, file: &CaseFile) -> Vec<PathBuf> {
    let names: HashSet<&str> = file.cases.iter().map(|c| c.name.as_str()).collect();
    let Ok(entries) = std::fs::read_dir(traces_dir(path)) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == TRACE_EXT))
        .filter(|p| p.file_stem().is_none_or(|s| !names.contains(s.to_string_lossy().as_ref())))
        .collect();
    out.sort();
    out
}

/// Why a case file could not be checked at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TestingError {
    /// The file could not be read.
    #[error("cannot read `{path}`: {message}")]
    Read {
        /// The case file.
        path: String,
        /// The OS error.
        message: String,
    },
    /// The file is not a case file.
    #[error("`{path}` is not a case file: {message}")]
    Parse {
        /// The case file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The engine has no policy with the case file's id.
    #[error("`{path}`: policy `{policy}` is not loaded in the engine")]
    UnknownPolicy {
        /// The case file.
        path: String,
        /// Its policy id.
        policy: String,
    },
    /// No case of that name.
    #[error("`{path}` has no case `{case}`")]
    UnknownCase {
        /// The case file.
        path: String,
        /// The name asked for.
        case: String,
    },
}

/// Reads a case file.
pub fn read_case_file(path: &Path) -> Result<CaseFile, TestingError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| TestingError::Read { path: path.display().to_string(), message: e.to_string() })?;
    CaseFile::parse(&text).map_err(|message| TestingError::Parse { path: path.display().to_string(), message })
}

/// Checks every case of the case file at `path` with the engine's plan for
/// its policy, with [`Options::from_env`].
pub fn check_case_file(engine: &Engine, path: impl AsRef<Path>) -> Result<FileReport, TestingError> {
    check_selected(engine, path.as_ref(), None, &Options::from_env())
}

/// Checks case `case` of the case file at `path`, with [`Options::from_env`].
pub fn check_case(engine: &Engine, path: impl AsRef<Path>, case: &str) -> Result<FileReport, TestingError> {
    check_selected(engine, path.as_ref(), Some(case), &Options::from_env())
}

/// Checks the cases of the file at `path` (all, or the one named) with `opts`.
pub fn check_selected(engine: &Engine, path: &Path, case: Option<&str>, opts: &Options) -> Result<FileReport, TestingError> {
    let file = read_case_file(path)?;
    if let Some(name) = case {
        if !file.cases.iter().any(|c| c.name == name) {
            return Err(TestingError::UnknownCase { path: path.display().to_string(), case: name.to_string() });
        }
    }
    let plan = engine
        .plan(&file.policy)
        .ok_or_else(|| TestingError::UnknownPolicy { path: path.display().to_string(), policy: file.policy.clone() })?;
    Ok(check_cases(plan, path, &file, &|c: &Case| case.is_none_or(|n| c.name == n), opts))
}

/// A failed check, shown as `policy test` shows it; `Debug` shows the same
/// text, so a `#[test]` returning `Result<(), Failure>` prints it readably.
#[derive(Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

impl From<TestingError> for Failure {
    fn from(e: TestingError) -> Failure {
        Failure(e.to_string())
    }
}

impl FileReport {
    /// `Ok` when every case passed; otherwise the rendered report and the
    /// count line. Missing and obsolete golden traces that do not fail are
    /// written to stderr (a test's captured output), as are blessing counts.
    pub fn into_result(self, opts: &Options) -> Result<(), Failure> {
        let text = self.render("FAIL");
        let counts = self.counts();
        let (passed, failed) = (self.passed(), self.failed());
        if failed == 0 {
            if !text.is_empty() {
                eprint!("{text}");
            }
            if opts.bless && (counts.added > 0 || counts.rewritten > 0) {
                eprintln!("{}", counts.summary(true));
            }
            return Ok(());
        }
        let bless = if counts.changed > 0 { format!("\n(rerun with {BLESS_ENV}=1 to accept the new traces)") } else { String::new() };
        Err(Failure(format!("{text}{}\n{passed} passed, {failed} failed{bless}", counts.summary(opts.bless))))
    }
}

/// Checks every case of the case file at `path` ([`check_case_file`]) and
/// panics with the report when one fails: for an ordinary `#[test]`.
///
/// # Panics
/// When the file cannot be checked or a case fails (the point of an assertion).
#[allow(clippy::panic)]
#[track_caller]
pub fn assert_case_file(engine: &Engine, path: impl AsRef<Path>) {
    let opts = Options::from_env();
    if let Err(f) = check_selected(engine, path.as_ref(), None, &opts).map_err(Failure::from).and_then(|r| r.into_result(&opts)) {
        panic!("golden cases failed:\n{f}");
    }
}

/// Checks case `case` of the case file at `path` and panics with the report
/// when it fails.
///
/// # Panics
/// When the file or case cannot be checked or the case fails.
#[allow(clippy::panic)]
#[track_caller]
pub fn assert_case(engine: &Engine, path: impl AsRef<Path>, case: &str) {
    let opts = Options::from_env();
    if let Err(f) = check_selected(engine, path.as_ref(), Some(case), &opts).map_err(Failure::from).and_then(|r| r.into_result(&opts)) {
        panic!("golden case failed:\n{f}");
    }
}

/// Compares any decision's rendered trace with the golden file at `path`
/// ([`compare_trace`] with [`Options::from_env`]), for decisions that do not
/// come from a case file.
pub fn check_trace(decision: &Decision, path: impl AsRef<Path>) -> Result<(), Failure> {
    let path = path.as_ref();
    let opts = Options::from_env();
    let golden = compare_trace(decision, path, &opts);
    match golden {
        Golden::Changed { diff, rules } => Err(Failure(format!(
            "trace differs from `{}` at {}\n{diff}(rerun with {BLESS_ENV}=1 to accept)",
            path.display(),
            rules.join(", ")
        ))),
        Golden::Missing { required: true } => Err(Failure(format!("no golden trace `{}` (write it with {BLESS_ENV}=1)", path.display()))),
        Golden::Missing { required: false } => {
            eprintln!("missing golden trace `{}` (write it with {BLESS_ENV}=1)", path.display());
            Ok(())
        }
        Golden::Error(e) => Err(Failure(e)),
        Golden::Unchanged | Golden::Added | Golden::Rewritten | Golden::NotCompared => Ok(()),
    }
}

/// [`check_trace`], panicking with the diff when the trace differs.
///
/// # Panics
/// When the trace differs from the golden file (or, required, it is missing).
#[allow(clippy::panic)]
#[track_caller]
pub fn assert_trace(decision: &Decision, path: impl AsRef<Path>) {
    if let Err(f) = check_trace(decision, path) {
        panic!("{f}");
    }
}

/// A unified diff of two traces (or any texts), each hunk headed by
/// `rule_of` the first changed new line; returns the diff and the rules
/// named. Empty when equal.
pub fn unified_diff(
    old: &str,
    new: &str,
    old_name: &str,
    new_name: &str,
    rule_of: &dyn Fn(usize) -> Option<String>,
) -> (String, Vec<String>) {
    line_diff::unified(old, new, old_name, new_name, rule_of)
}
