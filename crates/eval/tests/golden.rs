//! Runs every golden case under `policies/` and `examples/` through `policy_eval::testing`:
//! each case's expected outcome, and its full text trace against the golden
//! trace beside the case file (`<name>.traces/<case>.trace`), the same files
//! `policy test` checks. `POLICY_BLESS=1 cargo test -p policy-eval --test
//! golden` (or `policy test --bless`) rewrites them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;
use support::case_files;

use policy_eval::testing::{self, Counts, Options};
use policy_eval::Engine;
use std::path::{Path, PathBuf};

fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

#[test]
fn golden_cases() {
    golden_cases_under(&policies_dir());
}

/// The example rule sets (`examples/`) load as a root of their own.
#[test]
fn golden_cases_of_the_examples() {
    golden_cases_under(&examples_dir());
}

fn golden_cases_under(root: &Path) {
    let engine = match Engine::from_dir(root) {
        Ok(e) => e,
        Err(e) => {
            if let policy_eval::EvalError::Policy { diagnostics, .. } = &e {
                for d in diagnostics {
                    eprintln!("{}: {} [{}] {:?}", d.file, d.message, d.code.id, d.span);
                }
            }
            panic!("policies do not compile: {e}");
        }
    };
    let mut files = Vec::new();
    case_files(root, &mut files);
    assert!(!files.is_empty(), "no case files found");
    // The bundled golden traces are committed: a missing one always fails here.
    let opts = Options { bless: testing::env_true(testing::BLESS_ENV), require_golden: true };
    let (mut passed, mut failed) = (0, 0);
    let mut counts = Counts::default();
    let mut report = String::new();
    for file in files {
        let r = testing::check_selected(&engine, &file, None, &opts).unwrap_or_else(|e| panic!("{e}"));
        passed += r.passed();
        failed += r.failed();
        counts.add(r.counts());
        report.push_str(&r.render("FAIL"));
        assert!(r.obsolete.is_empty(), "obsolete golden traces: {:?}", r.obsolete);
    }
    eprint!("{report}");
    eprintln!("{}", counts.summary(opts.bless));
    eprintln!("golden cases: {passed} passed, {failed} failed");
    assert_eq!(failed, 0, "{failed} golden case(s) failed");
    assert_eq!(counts.unchanged + counts.added + counts.rewritten, passed, "every case has a golden trace");
}
