//! Runs every golden case under `policies/`: asserts the expected outcome and
//! snapshots the full text trace with insta (`cargo insta review`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_eval::cases::{run_case, CaseFile};
use policy_eval::{render_text, Engine};
use std::path::{Path, PathBuf};

fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

fn case_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            case_files(&p, out);
        } else if p.to_string_lossy().ends_with(".cases.json") {
            out.push(p);
        }
    }
}

#[test]
fn golden_cases() {
    let engine = match Engine::from_dir(policies_dir()) {
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
    case_files(&policies_dir(), &mut files);
    assert!(!files.is_empty(), "no case files found");
    let (mut passed, mut failed) = (0, 0);
    let mut report = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let cases = CaseFile::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let plan = engine.plan(&cases.policy).unwrap_or_else(|| panic!("{}: no policy {}", file.display(), cases.policy));
        let mut names = std::collections::HashSet::new();
        for case in &cases.cases {
            assert!(names.insert(case.name.clone()), "{}: duplicate case name {}", file.display(), case.name);
            let outcome = run_case(plan, case);
            if outcome.passed() {
                passed += 1;
            } else {
                failed += 1;
                for m in &outcome.mismatches {
                    report.push(format!("{} / {}: {m}", cases.policy, case.name));
                }
            }
            if let Some(decision) = &outcome.decision {
                let mut settings = insta::Settings::clone_current();
                settings.set_snapshot_path("snapshots/golden");
                settings.set_prepend_module_to_snapshot(false);
                settings.set_description(case.note.clone().unwrap_or_default());
                settings.bind(|| insta::assert_snapshot!(format!("{}__{}", cases.policy, case.name), render_text(decision)));
            }
        }
    }
    for r in &report {
        eprintln!("{r}");
    }
    eprintln!("golden cases: {passed} passed, {failed} failed");
    assert_eq!(failed, 0, "{failed} golden case(s) failed");
}
