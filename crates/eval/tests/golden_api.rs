//! `policy_eval::testing` as a service's own tests would use it, and the
//! properties golden traces rely on: no path, machine or engine version in a
//! trace, the same trace wherever the policies are, the same text every run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_eval::cases::CaseFile;
use policy_eval::testing::{self, Golden, Options};
use policy_eval::trace::TraceNode;
use policy_eval::{DecideOptions, Decision, Engine, TraceLevel};
use std::path::{Path, PathBuf};

fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

/// A fresh directory under the system's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("policy-golden-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Every decision of every bundled case, from an engine loaded from `root`.
fn decide_all(root: &Path) -> Vec<Decision> {
    let engine = Engine::from_dir(root).unwrap();
    let mut out = Vec::new();
    for region in ["datong", "hangzhou", "jiaxing", "jinhua", "zhejiang"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(region))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".cases.json"))
            .collect();
        files.sort();
        for f in files {
            let file: CaseFile = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
            let plan = engine.plan(&file.policy).unwrap();
            for case in &file.cases {
                let opts = DecideOptions { reference_date: case.as_of, trace: TraceLevel::Full, ..Default::default() };
                if let Ok(facts) = plan.facts_from_json(&case.facts) {
                    out.push(plan.decide(&facts, &opts).unwrap());
                }
            }
        }
    }
    out
}

fn nodes<'a>(n: &'a TraceNode, out: &mut Vec<&'a TraceNode>) {
    out.push(n);
    for c in &n.children {
        nodes(c, out);
    }
}

/// `source.file` names the file relative to the directory the engine was
/// loaded from: the whole decision (JSON, trace included) is the same from
/// a relative path, the canonical path and a copy elsewhere.
#[test]
fn traces_do_not_depend_on_where_the_policies_are() {
    let relative = decide_all(&policies_dir());
    let canonical = decide_all(&policies_dir().canonicalize().unwrap());
    let copy = scratch("copy");
    copy_dir(&policies_dir(), &copy.join("policies"));
    let copied = decide_all(&copy.join("policies"));
    std::fs::remove_dir_all(&copy).unwrap();
    assert!(relative.len() > 250, "{}", relative.len());
    let json = |ds: &[Decision]| serde_json::to_string(ds).unwrap();
    assert_eq!(json(&relative), json(&canonical));
    assert_eq!(json(&relative), json(&copied));
    let mut files = std::collections::BTreeSet::new();
    for d in &relative {
        for b in &d.trace.as_ref().unwrap().benefits {
            let mut all = Vec::new();
            nodes(b, &mut all);
            files.extend(all.iter().filter_map(|n| n.source.as_ref()).map(|s| s.file.clone()));
        }
    }
    let regions = ["datong/", "hangzhou/", "jiaxing/", "jinhua/", "zhejiang/"];
    assert!(files.iter().all(|f| regions.iter().any(|r| f.starts_with(r)) && f.ends_with(".policy")), "{files:?}");
    // Imports are named the same way (Jinhua's policy imports Zhejiang's).
    assert!(files.contains("zhejiang/digital_engineer_2023.policy"), "{files:?}");
}

/// A golden trace holds no engine version and no path, and the same
/// decision renders to the same text every time.
#[test]
fn golden_text_is_stable_and_machine_free() {
    let first = decide_all(&policies_dir());
    let second = decide_all(&policies_dir());
    let root = policies_dir().canonicalize().unwrap().display().to_string();
    for (a, b) in first.iter().zip(&second) {
        let text = testing::golden_text(a);
        assert_eq!(text, testing::golden_text(b));
        assert!(!text.contains(&*a.engine_version), "{text}");
        assert!(!text.contains(&root) && !text.contains(".policy"), "{text}");
        assert!(text.lines().all(|l| !l.ends_with(' ')), "{text:?}");
        // The golden text is the people's rendering with nothing cut short.
        let people = policy_eval::render_text(a);
        assert_eq!(people.lines().count(), text.lines().count());
        for (p, g) in people.lines().zip(text.lines()) {
            match p.split_once('…') {
                Some((head, _)) => assert!(g.starts_with(head), "{p}\n{g}"),
                None => assert_eq!(p, g),
            }
        }
    }
}

fn temp_case_file(name: &str) -> (PathBuf, Engine) {
    let dir = scratch(name);
    let src = policies_dir().join("jiaxing");
    for f in ["digital_training_2021.policy", "digital_training_2021.source.txt", "digital_training_2021.cases.json"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    let engine = Engine::from_dir(&dir).unwrap();
    (dir.join("digital_training_2021.cases.json"), engine)
}

#[test]
fn bless_writes_then_check_passes_then_a_change_is_a_diff() {
    let (cases, engine) = temp_case_file("bless");
    let check = Options { bless: false, require_golden: true };
    let bless = Options { bless: true, require_golden: true };
    // Nothing yet: every case fails for want of its golden trace.
    let r = testing::check_selected(&engine, &cases, None, &check).unwrap();
    assert_eq!(r.passed(), 0);
    assert_eq!(r.counts().missing, r.cases.len());
    let outside_ci = testing::check_selected(&engine, &cases, None, &Options { bless: false, require_golden: false }).unwrap();
    assert_eq!(outside_ci.failed(), 0);
    assert!(outside_ci.render("FAIL").contains("missing golden trace"));
    // Blessed: all written, then all unchanged.
    let r = testing::check_selected(&engine, &cases, None, &bless).unwrap();
    assert_eq!((r.counts().added, r.failed()), (r.cases.len(), 0));
    let r = testing::check_selected(&engine, &cases, None, &check).unwrap();
    assert_eq!((r.counts().unchanged, r.failed()), (r.cases.len(), 0));
    assert!(r.clone().into_result(&check).is_ok());

    // Edit one golden trace: that case fails with a diff naming the rule.
    let path = testing::trace_path(&cases, "lessons_exactly_40").unwrap();
    assert_eq!(path, cases.with_file_name("digital_training_2021.traces").join("lessons_exactly_40.trace"));
    let golden = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, golden.replace("matched tier 2", "matched tier 1")).unwrap();
    let r = testing::check_selected(&engine, &cases, Some("lessons_exactly_40"), &check).unwrap();
    assert_eq!(r.cases.len(), 1);
    let Golden::Changed { diff, rules } = &r.cases[0].golden else { panic!("{:?}", r.cases[0].golden) };
    assert_eq!(rules, &["training_subsidy: tier"]);
    assert!(diff.contains("@@ training_subsidy: tier\n"), "{diff}");
    assert!(diff.contains("-        40 lesson_hour matched tier 1 `>= 40 lesson_hour => 1000 yuan`\n"), "{diff}");
    assert!(diff.contains("+        40 lesson_hour matched tier 2 `>= 40 lesson_hour => 1000 yuan`\n"), "{diff}");
    let failure = r.into_result(&check).unwrap_err().to_string();
    assert!(failure.contains("::lessons_exactly_40: trace differs from its golden trace at training_subsidy: tier"), "{failure}");
    assert!(failure.ends_with("0 passed, 1 failed\n(rerun with POLICY_BLESS=1 to accept the new traces)"), "{failure}");
    // CRLF line ends in a golden file are not a difference.
    std::fs::write(&path, golden.replace('\n', "\r\n")).unwrap();
    let r = testing::check_selected(&engine, &cases, Some("lessons_exactly_40"), &check).unwrap();
    assert_eq!(r.cases[0].golden, Golden::Unchanged);
    // Blessing rewrites it (to LF).
    std::fs::write(&path, "stale\n").unwrap();
    let r = testing::check_selected(&engine, &cases, Some("lessons_exactly_40"), &bless).unwrap();
    assert_eq!(r.cases[0].golden, Golden::Rewritten);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), golden);

    // An obsolete golden trace is listed, not removed; other files are ignored.
    let stale = path.with_file_name("no_such_case.trace");
    std::fs::write(&stale, "x").unwrap();
    std::fs::write(path.with_file_name("README"), "x").unwrap();
    let r = testing::check_selected(&engine, &cases, None, &check).unwrap();
    assert_eq!(r.obsolete, std::slice::from_ref(&stale));
    assert_eq!(r.failed(), 0);
    assert!(stale.exists());

    assert!(matches!(testing::check_selected(&engine, &cases, Some("nope"), &check), Err(testing::TestingError::UnknownCase { .. })));
    std::fs::remove_dir_all(cases.parent().unwrap()).unwrap();
}

#[test]
fn a_wrong_expectation_fails_even_when_the_trace_matches() {
    let (cases, engine) = temp_case_file("expect");
    let bless = Options { bless: true, require_golden: true };
    testing::check_selected(&engine, &cases, None, &bless).unwrap();
    let text = std::fs::read_to_string(&cases).unwrap();
    assert!(text.contains(r#""amount": "1000""#));
    std::fs::write(&cases, text.replacen(r#""amount": "1000""#, r#""amount": "999""#, 1)).unwrap();
    let r = testing::check_selected(&engine, &cases, None, &Options { bless: true, require_golden: true }).unwrap();
    assert_eq!(r.failed(), 1, "blessing does not accept a wrong amount");
    let failed: Vec<_> = r.cases.iter().filter(|c| !c.passed()).collect();
    assert_eq!(failed[0].golden, Golden::Unchanged);
    assert!(failed[0].mismatches[0].contains("expected amount 999, got 1000.00"), "{:?}", failed[0].mismatches);
    std::fs::remove_dir_all(cases.parent().unwrap()).unwrap();
}

#[test]
fn paths_of_golden_traces() {
    assert_eq!(testing::traces_dir(Path::new("p/x.cases.json")), Path::new("p/x.traces"));
    assert_eq!(testing::traces_dir(Path::new("p/odd.json")), Path::new("p/odd.json.traces"));
    assert_eq!(testing::trace_path(Path::new("x.cases.json"), "a_b").unwrap(), Path::new("x.traces/a_b.trace"));
    for bad in ["", "../x", "a/b", "a\\b", ".hidden", "a:b", "a\nb"] {
        assert!(testing::trace_path(Path::new("x.cases.json"), bad).is_err(), "{bad:?}");
    }
    assert!(testing::trace_path(Path::new("x.cases.json"), "超过_32_课时").is_ok());
}

/// The repository's own test of its golden traces goes through the same API
/// a service would: `assert_case` on one bundled case.
#[test]
fn assert_case_on_a_bundled_case() {
    let engine = Engine::from_dir(policies_dir()).unwrap();
    testing::assert_case(&engine, policies_dir().join("datong/big_data_training_2022.cases.json"), "order_day_10");
}
