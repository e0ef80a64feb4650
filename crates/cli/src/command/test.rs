//! `policy test`: run golden case files (`*.cases.json`) against their
//! policies and report the cases whose decisions differ from expectations.

use crate::support::files::{collect, compile_reporting, is_cases, load_message, loader_roots, FileRoot};
use crate::support::io::outln;
use crate::support::term::{paint, print_error, Style, Term};
use crate::support::CmdResult;
use policy_core::loader::{DirLoader, Loader};
use policy_eval::cases::{run_case, CaseFile};
use policy_eval::Plan;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Examples shown by `policy test --help`.
pub const EXAMPLES: &str = "\
Examples:
  policy test
  policy test policies/datong
  policy test policies/jiaxing/digital_training_2021.cases.json
  policy test --filter rate_exactly_80

Prints one line per failing case, then `N passed, M failed`.
Exit status: 0 when every case passes, 1 when any fails (or a case file or \
its policy cannot be loaded), 2 on bad arguments.";

/// Arguments of `policy test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Case files, or directories searched recursively for `*.cases.json` [default: policies/].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Run only cases whose name or policy id contains SUBSTR.
    #[arg(long, value_name = "SUBSTR")]
    pub filter: Option<String>,
}

/// Runs `policy test`.
pub fn run(args: &Args, term: Term) -> CmdResult {
    let paths = if args.paths.is_empty() { vec![PathBuf::from("policies")] } else { args.paths.clone() };
    let collected = collect(&paths, is_cases);
    let mut ok = true;
    for (path, why) in &collected.problems {
        print_error(term, &format!("cannot read `{}`: {why}", path.display()));
        ok = false;
    }
    let loader = DirLoader::new(&loader_roots(&paths, FileRoot::Parent));
    let mut plans: BTreeMap<String, Option<Plan>> = BTreeMap::new();
    let (mut passed, mut failed) = (0usize, 0usize);
    let fail = paint(term.stdout, Style::Bad, "FAIL");
    for file in &collected.files {
        let name = file.display().to_string();
        let cases: CaseFile = match std::fs::read_to_string(file) {
            Ok(text) => match CaseFile::parse(&text) {
                Ok(c) => c,
                Err(e) => {
                    print_error(term, &format!("`{name}` is not a case file: {e}"));
                    ok = false;
                    continue;
                }
            },
            Err(e) => {
                print_error(term, &format!("cannot read `{name}`: {}", crate::support::files::io_message(&e)));
                ok = false;
                continue;
            }
        };
        let selected: Vec<_> =
            cases.cases.iter().filter(|c| args.filter.as_deref().is_none_or(|f| c.name.contains(f) || cases.policy.contains(f))).collect();
        if selected.is_empty() {
            continue;
        }
        let plan = plans.entry(cases.policy.clone()).or_insert_with(|| load(&loader, &cases.policy, term));
        let Some(plan) = plan else {
            outln!("{fail} {name}: policy `{}` cannot be loaded; {} not run", cases.policy, selected.len());
            failed += selected.len();
            continue;
        };
        for case in selected {
            let outcome = run_case(plan, case);
            if outcome.passed() {
                passed += 1;
            } else {
                failed += 1;
                outln!("{fail} {name}::{}: {}", case.name, outcome.mismatches.join("; "));
            }
        }
    }
    if collected.files.is_empty() && collected.problems.is_empty() {
        print_error(term, "no *.cases.json files found");
        ok = false;
    }
    outln!("{passed} passed, {failed} failed");
    Ok(ok && failed == 0)
}

/// Loads and compiles policy `id`, printing why when it cannot.
fn load(loader: &DirLoader, id: &str, term: Term) -> Option<Plan> {
    let source = match loader.load_policy(id) {
        Ok(s) => s,
        Err(e) => {
            print_error(term, &load_message(&e));
            return None;
        }
    };
    match compile_reporting(&source, loader, term) {
        Ok(plan) => Some(plan),
        Err(e) => {
            print_error(term, &e.to_string());
            None
        }
    }
}
