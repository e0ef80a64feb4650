//! `policy test`: run golden case files (`*.cases.json`) against their
//! policies and report the cases whose decisions differ from expectations or
//! whose traces differ from their golden traces (`<name>.traces/<case>.trace`,
//! `policy_eval::testing`); `--bless` writes and rewrites golden traces.

mod report;

use crate::support::diagnostics::ErrorFormat;
use crate::support::files::{collect, compile_reporting, is_cases, load_message, loader_roots, FileRoot};
use crate::support::io::{err, out, outln};
use crate::support::term::{paint, print_error, Style, Term};
use crate::support::{plural, CmdResult};
use policy_core::loader::{DirLoader, Loader};
use policy_eval::cases::{run_case, Case, CaseFile};
use policy_eval::coverage::Coverage;
use policy_eval::testing::{self, Counts, Options};
use policy_eval::Plan;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// Examples shown by `policy test --help`.
pub const EXAMPLES: &str = "\
Examples:
  policy test
  policy test policies/datong
  policy test policies/jiaxing/digital_training_2021.cases.json
  policy test --filter rate_exactly_80
  policy test jiaxing datong -v                (cases matching either, passing ones listed with times)
  policy test --format junit > junit.xml
  policy test --format json > results.json
  policy test --bless policies/jiaxing

Each case's trace is compared with its golden trace \
`<name>.traces/<case>.trace` beside the case file; a difference fails the case \
and prints a unified diff headed by the rule whose line changed. `--bless` \
writes missing golden traces and rewrites changed ones. A missing golden trace \
is reported, and fails the case when CI=true.

Prints one line per failing case (and the trace diffs), a `golden traces:` \
count line, then `N passed, M failed` (with filters, `, K filtered out`); \
`-v` lists each passing case with its time. `--format json|junit` prints one \
report on stdout instead (diagnostics of a policy that does not compile go to stderr). \
A case file with two cases of one name, or a case expecting nothing, is refused.
Exit status: 0 when every case passes, 1 when any fails, when no case ran \
(a --filter matching nothing), or when a case file or its policy cannot be \
loaded; 2 on bad arguments.";

/// Arguments of `policy test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Case files, or directories searched recursively for `*.cases.json` [default: policies/];
    /// an argument that is no existing path is a filter, as --filter (`policy test jiaxing datong`).
    #[arg(value_name = "PATH|FILTER")]
    pub paths: Vec<PathBuf>,
    /// Run only cases whose name or policy id contains SUBSTR (repeatable: a case matching any runs).
    #[arg(long, value_name = "SUBSTR")]
    pub filter: Vec<String>,
    /// How to report: `human` (failures, then counts; on stderr under `--error-format
    /// json`, so that stdout holds JSON only), `json` (one document on stdout) or `junit`
    /// (JUnit XML on stdout, for CI dashboards).
    #[arg(long, value_enum, default_value_t)]
    pub format: TestFormat,
    /// Write missing golden traces and rewrite changed ones (`<name>.traces/<case>.trace`).
    #[arg(long, visible_alias = "update")]
    pub bless: bool,
    /// Report, per policy, the sides of its rules (conditions true and false,
    /// steps applied or not, each tier, each table row looked up) that no case
    /// exercised, and its clause map.
    #[arg(long)]
    pub coverage: bool,
    /// Write the coverage report as JSON to FILE (implies --coverage).
    #[arg(long, value_name = "FILE")]
    pub coverage_json: Option<PathBuf>,
    /// Fail when a policy's coverage is below PERCENT (implies --coverage).
    #[arg(long, value_name = "PERCENT")]
    pub fail_under: Option<f64>,
    /// List passing cases too, each with its time (and, with --coverage, covered rules).
    #[arg(short, long)]
    pub verbose: bool,
}

/// `policy test --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TestFormat {
    /// For people.
    #[default]
    Human,
    /// One JSON document: counts, and each file's cases with their outcome and time.
    Json,
    /// JUnit XML: a `testsuite` per case file, a `testcase` per case.
    Junit,
}

/// Writes a line of the report for people: on stdout, or on stderr under
/// `--error-format json` (stdout then holds only the JSON error objects).
fn say(term: Term, text: &str) {
    if term.errors == ErrorFormat::Json {
        err!("{text}");
    } else {
        out!("{text}");
    }
}

/// Runs `policy test`.
pub fn run(args: &Args, term: Term) -> CmdResult {
    let format = args.format;
    let (paths, filters) = split_paths_and_filters(args);
    let human = format == TestFormat::Human;
    let collected = collect(&paths, is_cases);
    let mut run = report::Run::default();
    for (path, why) in &collected.problems {
        run.problem(human, term, &path.display().to_string(), format!("cannot read `{}`: {why}", path.display()));
    }
    let roots = loader_roots(&paths, FileRoot::Parent);
    let loader = DirLoader::new(&roots);
    let mut plans: BTreeMap<String, Option<Plan>> = BTreeMap::new();
    let opts = Options { bless: args.bless, require_golden: testing::env_true("CI") };
    let mut counts = Counts::default();
    let want_coverage = args.coverage || args.coverage_json.is_some() || args.fail_under.is_some();
    let mut coverage: BTreeMap<String, Coverage> = BTreeMap::new();
    let fail = paint(term.stdout, Style::Bad, "FAIL");
    let ok_word = paint(term.stdout, Style::Good, "ok");
    for file in &collected.files {
        let name = file.display().to_string();
        let cases: CaseFile = match std::fs::read_to_string(file) {
            Ok(text) => match CaseFile::parse(&text) {
                Ok(c) => c,
                Err(e) => {
                    run.problem(human, term, &name, format!("`{name}` is not a case file: {e}"));
                    continue;
                }
            },
            Err(e) => {
                run.problem(human, term, &name, format!("cannot read `{name}`: {}", crate::support::files::io_message(&e)));
                continue;
            }
        };
        if let Err(e) = validate(&cases) {
            run.problem(human, term, &name, format!("`{name}` is not a valid case file: {e}"));
            continue;
        }
        let select =
            |c: &Case| filters.is_empty() || filters.iter().any(|f| c.name.contains(f.as_str()) || cases.policy.contains(f.as_str()));
        let selected = cases.cases.iter().filter(|c| select(c)).count();
        run.filtered_out += cases.cases.len() - selected;
        if selected == 0 {
            continue;
        }
        let plan = plans.entry(cases.policy.clone()).or_insert_with(|| load(&loader, &roots, &cases.policy, term, human));
        let Some(plan) = plan else {
            let why = format!("policy `{}` cannot be loaded; {} not run", cases.policy, plural(selected, "case", "cases"));
            if human {
                say(term, &format!("{fail} {name}: {why}\n"));
            }
            run.unloadable(file, &cases, &select, why);
            continue;
        };
        // Each case on its own, timed (the file report gives the obsolete golden traces).
        let mut file_report = testing::check_cases(plan, file, &cases, &|_| false, &opts);
        let mut times = Vec::with_capacity(selected);
        for case in cases.cases.iter().filter(|c| select(c)) {
            let start = Instant::now();
            file_report.cases.push(testing::check_one(plan, file, case, &opts));
            times.push(start.elapsed());
        }
        if want_coverage {
            let c = coverage.entry(cases.policy.clone()).or_insert_with(|| Coverage::new(plan));
            for case in cases.cases.iter().filter(|c| select(c)) {
                if let Some(d) = run_case(plan, case).decision {
                    c.record(&d);
                }
            }
        }
        if human {
            if args.verbose {
                for (case, time) in file_report.cases.iter().zip(&times) {
                    if case.passed() {
                        say(term, &format!("{ok_word} {name}::{} ({})\n", case.name, report::millis(*time)));
                    }
                }
            }
            let text = file_report.render(&fail);
            if !text.is_empty() {
                say(term, &text);
            }
        }
        counts.add(file_report.counts());
        run.add(file_report, times);
    }
    if collected.files.is_empty() && collected.problems.is_empty() {
        run.problem(human, term, "", "no *.cases.json files found".into());
    }
    let (passed, failed) = (run.passed(), run.failed());
    if human {
        if counts != Counts::default() {
            say(term, &format!("{}\n", counts.summary(args.bless)));
        }
        if filters.is_empty() {
            say(term, &format!("{passed} passed, {failed} failed\n"));
        } else {
            say(term, &format!("{passed} passed, {failed} failed, {} filtered out\n", run.filtered_out));
        }
    }
    if passed + failed == 0 && !collected.files.is_empty() {
        let why = match filters.as_slice() {
            [] => "the case files hold no case".to_string(),
            [f] => format!("--filter `{f}` matched none of {}", plural(run.filtered_out, "case", "cases")),
            many => format!(
                "the filters {} matched none of {}",
                many.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "),
                plural(run.filtered_out, "case", "cases")
            ),
        };
        run.problem(human, term, "", format!("no case ran: {why}"));
    }
    match format {
        TestFormat::Human => {}
        TestFormat::Json => outln!("{}", run.json(counts)),
        TestFormat::Junit => out!("{}", run.junit()),
    }
    let mut ok = run.problems.is_empty();
    if want_coverage {
        ok &= report_coverage(args, &coverage, term);
    }
    Ok(ok && failed == 0)
}

/// The paths to search and the filters: `--filter`s, and each positional
/// argument that is no existing path (`policy test jiaxing datong`).
fn split_paths_and_filters(args: &Args) -> (Vec<PathBuf>, Vec<String>) {
    let mut filters = args.filter.clone();
    let mut paths = Vec::new();
    for p in &args.paths {
        let is_path =
            p.exists() || std::fs::symlink_metadata(p).is_ok() || p.components().count() > 1 || p.to_string_lossy().ends_with(".json");
        if is_path {
            paths.push(p.clone());
        } else {
            filters.push(p.to_string_lossy().into_owned());
        }
    }
    if paths.is_empty() {
        paths.push(PathBuf::from("policies"));
    }
    (paths, filters)
}

/// What serde cannot say about a case file: each case's name is unique and
/// each case expects something (an `expect` of `{}`, or a benefit whose
/// expectation compares nothing, would pass whatever the engine decides).
fn validate(file: &CaseFile) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for case in &file.cases {
        if !seen.insert(case.name.as_str()) {
            return Err(format!("two cases are named `{}` (case names must be unique: each names its golden trace)", case.name));
        }
        if case.expect.is_empty() {
            return Err(format!("case `{}` has an empty `expect` (it would pass whatever the decision)", case.name));
        }
        for (benefit, e) in &case.expect {
            let compares_nothing = e.status.is_none()
                && e.amount.is_none()
                && e.amount_range.is_none()
                && e.failed.is_none()
                && e.missing.is_none()
                && e.entitlements.is_none()
                && e.documents.is_none()
                && e.deadlines.is_none();
            if compares_nothing {
                return Err(format!("case `{}` expects nothing of benefit `{benefit}` (give at least a `status`)", case.name));
            }
        }
    }
    Ok(())
}

/// Prints the coverage of each policy (on stderr when stdout holds a JSON or
/// JUnit report), writes the JSON report when asked, and says whether every
/// policy reaches `--fail-under`.
fn report_coverage(args: &Args, coverage: &BTreeMap<String, Coverage>, term: Term) -> bool {
    let human = args.format == TestFormat::Human && term.errors != ErrorFormat::Json;
    let term = if human { term } else { Term { errors: ErrorFormat::Human, ..term } };
    let mut ok = true;
    for c in coverage.values() {
        if human {
            out!("{}", c.render_text(args.verbose));
        } else {
            err!("{}", c.render_text(args.verbose));
        }
        if let Some(min) = args.fail_under {
            if c.percent() < min {
                print_error(term, &format!("`{}` coverage {:.1}% is below {min}%", c.policy, c.percent()));
                ok = false;
            }
        }
    }
    if let Some(path) = &args.coverage_json {
        let all: Vec<&Coverage> = coverage.values().collect();
        let written = serde_json::to_string_pretty(&all)
            .map_err(|e| e.to_string())
            .and_then(|t| std::fs::write(path, t + "\n").map_err(|e| e.to_string()));
        if let Err(e) = written {
            print_error(term, &format!("cannot write `{}`: {e}", path.display()));
            ok = false;
        }
    }
    ok
}

/// Loads and compiles policy `id`, printing why when it cannot; its trace
/// nodes name source files relative to the loader root holding them.
fn load(loader: &DirLoader, roots: &[PathBuf], id: &str, term: Term, human: bool) -> Option<Plan> {
    let source = match loader.load_policy(id) {
        Ok(s) => s,
        Err(e) => {
            if human {
                print_error(term, &load_message(&e));
            }
            return None;
        }
    };
    // With a JSON or JUnit report on stdout, the diagnostics go to stderr for people.
    let term = if human { term } else { Term { errors: ErrorFormat::Human, ..term } };
    match compile_reporting(&source, loader, term) {
        Ok(mut plan) => {
            plan.set_source_roots(roots);
            Some(plan)
        }
        Err(e) => {
            print_error(term, &e.to_string());
            None
        }
    }
}
