//! Golden traces through `policy test`: on a temporary copy of a bundled
//! policy folder, a change that keeps every amount but changes the
//! explanation (the sentence a rule quotes, a tier boundary no case crosses)
//! fails with a diff naming the rule, and `--bless` accepts it; missing and
//! obsolete golden traces are reported, and a missing one fails under CI.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `policy test ARGS` from the workspace root, without colour, with `CI`
/// set to `ci` (or unset).
fn test(args: &[&str], ci: Option<&str>) -> Run {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("policy");
    cmd.current_dir(workspace()).env("NO_COLOR", "1").env_remove("CLICOLOR_FORCE").env_remove("CI").arg("test").args(args);
    if let Some(v) = ci {
        cmd.env("CI", v);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Replaces exactly one occurrence of `old` in the file.
fn edit(path: &Path, old: &str, new: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(text.matches(old).count(), 1, "`{old}` once in {}", path.display());
    std::fs::write(path, text.replace(old, new)).unwrap();
}

/// The failing case names of a run.
fn failing(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("FAIL "))
        .map(|l| l.split(": ").next().unwrap().rsplit("::").next().unwrap().to_string())
        .collect()
}

fn summary(r: &Run) -> (&str, &str) {
    let mut lines = r.stdout.lines().rev();
    let last = lines.next().unwrap();
    (lines.next().unwrap(), last)
}

const JIAXING: &str = "digital_training_2021";

/// A copy of `policies/jiaxing` (policies, cases, golden traces) in a
/// temporary directory.
fn jiaxing_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("jiaxing");
    copy_dir(&workspace().join("policies/jiaxing"), &dir);
    (tmp, dir)
}

#[test]
fn a_changed_quote_fails_with_a_diff_naming_the_rule_until_blessed() {
    let (tmp, dir) = jiaxing_copy();
    let d = dir.to_str().unwrap();
    let cases = dir.join(format!("{JIAXING}.cases.json"));
    let total = test(&[d], Some("true"));
    assert_eq!(total.code, 0, "{}{}", total.stdout, total.stderr);
    let (golden, last) = summary(&total);
    let n: usize = last.split_once(" passed").unwrap().0.parse().unwrap();
    assert_eq!(golden, format!("golden traces: {n} unchanged, 0 changed, 0 missing"));

    // Only the sentence `hours_32` quotes changes (still a sentence of the
    // source document): every status and amount stays the same.
    edit(&dir.join(format!("{JIAXING}.policy")), "quote \"培训课时达 32 课时的，补贴 800 元\"", "quote \"培训课时达 32 课时的\"");
    let r = test(&[d], Some("true"));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("expected"), "no expectation fails, only traces: {}", r.stdout);
    // The cases where hours_32 fails, the only ones whose trace quotes it;
    // the example amendment inherits the rule, so its case changes too.
    assert_eq!(failing(&r.stdout), ["clock_23_below_32", "lessons_31_one_below_tier", "every_failure_reported", "lessons_below_32"]);
    let trace = dir.join(format!("{JIAXING}.traces/clock_23_below_32.trace"));
    let head =
        format!("FAIL {}::clock_23_below_32: trace differs from its golden trace at training_subsidy: require hours_32", cases.display());
    assert!(r.stdout.contains(&head), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("    --- {}\n    +++ actual\n", trace.display())), "{}", r.stdout);
    assert!(r.stdout.contains(" @@ training_subsidy: require hours_32\n"), "{}", r.stdout);
    assert!(r.stdout.contains("    -      “培训课时达 32 课时的，补贴 800 元”\n    +      “培训课时达 32 课时的”\n"), "{}", r.stdout);
    assert_eq!(
        summary(&r),
        (format!("golden traces: {} unchanged, 4 changed, 0 missing", n - 4).as_str(), format!("{} passed, 4 failed", n - 4).as_str())
    );
    let shown = r.stdout.replace(&tmp.path().display().to_string(), "[TMP]");
    let one: String = shown
        .lines()
        .skip_while(|l| !l.contains("::clock_23_below_32"))
        .take_while(|l| !l.contains("::lessons_31"))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!("changed_quote_diff", one);

    // Blessing accepts the new explanation.
    let before = std::fs::read_to_string(&trace).unwrap();
    let b = test(&["--bless", d], Some("true"));
    assert_eq!(b.code, 0, "{}{}", b.stdout, b.stderr);
    assert_eq!(
        summary(&b),
        (format!("golden traces: 0 added, 4 changed, {} unchanged", n - 4).as_str(), format!("{n} passed, 0 failed").as_str())
    );
    let after = std::fs::read_to_string(&trace).unwrap();
    assert_eq!(before.replace("“培训课时达 32 课时的，补贴 800 元”", "“培训课时达 32 课时的”"), after);
    let again = test(&[d], Some("true"));
    assert_eq!(again.code, 0, "{}", again.stdout);
    assert_eq!(summary(&again).0, format!("golden traces: {n} unchanged, 0 changed, 0 missing"));
}

#[test]
fn a_tier_boundary_no_case_crosses_fails_until_blessed() {
    let (_tmp, dir) = jiaxing_copy();
    let d = dir.to_str().unwrap();
    // 47 and 48 lesson hours are the cases nearest the top tier: a boundary
    // of 47.5 pays each of them the same.
    edit(&dir.join(format!("{JIAXING}.policy")), ">= 48 lesson_hour => 1200 yuan", ">= 47.5 lesson_hour => 1200 yuan");
    let r = test(&[d], Some("true"));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("expected"), "no expectation fails, only traces: {}", r.stdout);
    assert!(r.stdout.contains("::lessons_47_stays_in_40_tier: trace differs from its golden trace at training_subsidy: amount 按培训课时分三档补贴, training_subsidy: tier\n"), "{}", r.stdout);
    assert!(r.stdout.contains("::lessons_exactly_48: trace differs"), "{}", r.stdout);
    assert!(r.stdout.contains("+        48 lesson_hour matched tier 1 `>= 47.5 lesson_hour => 1200 yuan`"), "{}", r.stdout);
    let failed = failing(&r.stdout).len();
    assert!(failed >= 2, "{}", r.stdout);
    let b = test(&["--update", d], Some("true"));
    assert_eq!(b.code, 0, "{}{}", b.stdout, b.stderr);
    assert!(summary(&b).0.starts_with(&format!("golden traces: 0 added, {failed} changed, ")), "{}", b.stdout);
    assert_eq!(test(&[d], Some("true")).code, 0);
}

#[test]
fn missing_golden_traces_are_reported_and_fail_only_under_ci() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::copy(workspace().join("crates/cli/tests/data/cases_wrong/demo.policy"), dir.join("demo.policy")).unwrap();
    let one_case = |name: &str| {
        format!(
            r#"{{"policy": "demo.cases", "cases": [{{"name": "{name}", "as_of": "2021-06-01", "facts": {{"days": 12}}, "expect": {{"training": {{"status": "eligible", "amount": "1700"}}}}}}]}}"#
        )
    };
    let cases = dir.join("demo.cases.json");
    std::fs::write(&cases, one_case("twelve_days")).unwrap();
    let d = dir.to_str().unwrap();
    let trace = dir.join("demo.traces/twelve_days.trace");

    // Outside CI: reported, not created, not a failure.
    let r = test(&[d], None);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(&format!("missing golden trace `{}`", trace.display())), "{}", r.stdout);
    assert_eq!(summary(&r), ("golden traces: 0 unchanged, 0 changed, 1 missing", "1 passed, 0 failed"));
    assert!(!trace.exists());
    // Under CI=true: a failure.
    let r = test(&[d], Some("true"));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains(&format!("FAIL {}::twelve_days: no golden trace `{}`", cases.display(), trace.display())), "{}", r.stdout);
    assert_eq!(summary(&r).1, "0 passed, 1 failed");
    // CI=false is not CI.
    assert_eq!(test(&[d], Some("false")).code, 0);

    // Blessing writes it; it holds the text rendering of the decision.
    let r = test(&["--bless", d], Some("true"));
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(summary(&r), ("golden traces: 1 added, 0 changed, 0 unchanged", "1 passed, 0 failed"));
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(text.starts_with("demo.cases 示例培训补贴\n"), "{text}");
    assert!(text.contains("✓ training 培训补贴: eligible, 1700.00 yuan → training_institution\n"), "{text}");
    assert!(!text.contains(env!("CARGO_PKG_VERSION")) && !text.contains(d), "no engine version, no path: {text}");
    assert!(text.lines().all(|l| !l.ends_with(' ')), "no trailing spaces: {text:?}");

    // A renamed case: the old golden trace is obsolete (reported, kept), the
    // new one missing.
    std::fs::write(&cases, one_case("twelve_days_renamed")).unwrap();
    let r = test(&[d], None);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!("obsolete golden trace `{}`: {} has no such case", trace.display(), cases.display())),
        "{}",
        r.stdout
    );
    assert!(trace.exists());

    // The policy loader does not look for policies in a golden folder: a
    // stray policy there with the same id and another title is not used.
    assert_eq!(test(&["--bless", d], None).code, 0);
    let stray = std::fs::read_to_string(dir.join("demo.policy")).unwrap().replace("示例培训补贴", "别的补贴");
    std::fs::write(dir.join("demo.traces/stray.policy"), stray).unwrap();
    let r = test(&[d], Some("true"));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(summary(&r).0, "golden traces: 1 unchanged, 0 changed, 0 missing");
    // The policy's own title changed: the diff names the policy's header.
    edit(&dir.join("demo.policy"), "示例培训补贴", "示例补贴");
    let r = test(&[d], Some("true"));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("::twelve_days_renamed: trace differs from its golden trace at policy demo.cases\n"), "{}", r.stdout);
    assert!(r.stdout.contains("    @@ -1,5 +1,5 @@ policy demo.cases\n    -demo.cases 示例培训补贴\n    -  《示例培训补贴》\n    +demo.cases 示例补贴\n    +  《示例补贴》\n"), "{}", r.stdout);
}

#[test]
fn a_case_name_that_cannot_name_a_file_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::copy(workspace().join("crates/cli/tests/data/cases_wrong/demo.policy"), dir.join("demo.policy")).unwrap();
    std::fs::write(
        dir.join("demo.cases.json"),
        r#"{"policy": "demo.cases", "cases": [{"name": "../escape", "as_of": "2021-06-01", "facts": {"days": 12}, "expect": {"training": {"status": "eligible"}}}]}"#,
    )
    .unwrap();
    let r = test(&["--bless", dir.to_str().unwrap()], None);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("case name `../escape` cannot name a golden trace file"), "{}", r.stdout);
    assert!(!dir.join("escape.trace").exists());
}
