//! End-to-end tests of the `policy` binary: each command's success and
//! failure modes, snapshotted with insta (paths made relative to the
//! workspace, temporary directories and colours normalised).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

const DATA: &str = "crates/cli/tests/data";
const DATONG: &str = "policies/datong/big_data_training_2022.policy";
const DATONG_ID: &str = "datong.big_data_training_2022";

/// The binary, run from the workspace root with colour left to detection.
fn policy() -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("policy");
    cmd.current_dir(workspace());
    cmd.env_remove("NO_COLOR");
    cmd.env_remove("CLICOLOR_FORCE");
    cmd.env_remove("CLICOLOR");
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_cmd(cmd: &mut assert_cmd::Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run(args: &[&str]) -> Run {
    run_cmd(policy().args(args))
}

/// Removes ANSI escapes and replaces absolute paths.
fn normalize(text: &str, tmp: Option<&Path>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ … final byte in @..~
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if ('@'..='~').contains(&d) {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    let mut out = out.replace(&format!("{}/", workspace().display()), "");
    if let Some(tmp) = tmp {
        out = out.replace(&tmp.display().to_string(), "[TMP]");
        if let Ok(c) = tmp.canonicalize() {
            out = out.replace(&c.display().to_string(), "[TMP]");
        }
    }
    out
}

impl Run {
    fn snapshot(&self) -> String {
        self.snapshot_in(None)
    }
    fn snapshot_in(&self, tmp: Option<&Path>) -> String {
        format!("exit: {}\n--- stdout\n{}--- stderr\n{}", self.code, normalize(&self.stdout, tmp), normalize(&self.stderr, tmp))
    }
}

// ------------------------------------------------------------------ general

#[test]
fn every_help_has_examples() {
    for args in [
        &["--help"][..],
        &["check", "--help"],
        &["fmt", "--help"],
        &["eval", "--help"],
        &["test", "--help"],
        &["schema", "--help"],
        &["diff", "--help"],
    ] {
        let r = run(args);
        assert_eq!(r.code, 0, "{args:?}");
        assert!(r.stdout.contains("Examples:"), "{args:?} has no Examples section:\n{}", r.stdout);
    }
}

#[test]
fn top_level_help() {
    insta::assert_snapshot!("help", run(&["--help"]).snapshot());
}

#[test]
fn no_subcommand_is_a_usage_error() {
    let r = run(&[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("Usage:"));
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    insta::assert_snapshot!("unknown_subcommand", run(&["frobnicate"]).snapshot());
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["check"][..],
        &["check", "--error-format", "xml", "policies"],
        &["fmt"],
        &["eval", DATONG],
        &["eval", DATONG, "--facts", "x.json", "--format", "yaml"],
        &["eval", DATONG, "--facts", "x.json", "--trace", "loud"],
        &["eval", DATONG, "--facts", "x.json", "--as-of", "2021-13-01"],
        &["test", "--filter"],
        &["schema"],
        &["schema", "a", "b"],
    ] {
        let r = run(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("error:"), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn bad_date_argument_message() {
    insta::assert_snapshot!("eval_bad_as_of", run(&["eval", DATONG, "--facts", "x.json", "--as-of", "2021-13-01"]).snapshot());
}

// ------------------------------------------------------------------ check

#[test]
fn check_bundled_policies_is_clean() {
    let r = run(&["check", "policies"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let last = r.stderr.lines().last().unwrap();
    assert!(last.starts_with("checked ") && last.ends_with(": 0 errors, 0 warnings"), "{last}");
}

#[test]
fn check_one_file() {
    insta::assert_snapshot!("check_one_file", run(&["check", DATONG]).snapshot());
}

#[test]
fn check_directory_with_broken_policy_among_good_ones() {
    let r = run(&["check", &format!("{DATA}/mixed")]);
    assert_eq!(r.code, 1);
    // The good and the warned policies were checked too.
    assert!(r.stderr.contains("checked 3 policies: 2 errors, 1 warning"), "{}", r.stderr);
    insta::assert_snapshot!("check_mixed_human", r.snapshot());
}

#[test]
fn check_json_error_format() {
    let r = run(&["check", "--error-format", "json", &format!("{DATA}/mixed")]);
    assert_eq!(r.code, 1);
    let objects: Vec<serde_json::Value> = r.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(objects.len(), 3);
    for o in &objects {
        for key in ["code", "severity", "file", "line", "column", "end_line", "end_column", "message", "label", "help"] {
            assert!(o.get(key).is_some(), "missing {key} in {o}");
        }
    }
    assert_eq!(objects[0]["code"], "C101");
    assert_eq!(objects[0]["severity"], "error");
    assert_eq!(objects[0]["line"], 9);
    assert_eq!(objects[0]["column"], 21);
    assert_eq!(objects[0]["end_column"], 25);
    assert_eq!(objects[2]["severity"], "warning");
    insta::assert_snapshot!("check_mixed_json", r.snapshot());
}

#[test]
fn check_missing_file() {
    insta::assert_snapshot!("check_missing_file", run(&["check", "no/such/file.policy"]).snapshot());
}

#[test]
fn check_missing_file_among_good_ones_still_checks_the_rest() {
    let r = run(&["check", "--error-format", "json", DATONG, "missing.policy"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("checked 1 policy: 1 error, 0 warnings"), "{}", r.stderr);
    insta::assert_snapshot!("check_missing_json", r.snapshot());
}

#[test]
fn check_warnings_alone_pass_unless_denied() {
    let file = format!("{DATA}/mixed/warned.policy");
    let r = run(&["check", &file]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("warning[C108]"));
    assert!(r.stderr.contains("checked 1 policy: 0 errors, 1 warning"));
    let r = run(&["check", "--deny-warnings", &file]);
    assert_eq!(r.code, 1);
}

#[test]
fn check_reports_failed_assertions() {
    let r = run(&["check", &format!("{DATA}/assert/quota.policy")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error[R305]"));
    insta::assert_snapshot!("check_assert_failed", r.snapshot());
}

/// Writes `body` under the standard header to a temporary file.
fn temp_policy(tmp: &Path, name: &str, body: &str) -> String {
    let path = tmp.join(name);
    std::fs::write(&path, format!("policy t.p \"t\"\n  in_force 2021-01-01 .. 2021-12-31\n{body}")).unwrap();
    path.display().to_string()
}

#[test]
fn check_error_past_column_65535_is_shown_cut_not_panicked() {
    // miette's renderer cannot underline past column 65,535 (it panicked
    // there); the CLI shows a window of the line around the span instead,
    // with the real line and column.
    let tmp = tempfile::tempdir().unwrap();
    let file = temp_policy(tmp.path(), "long.policy", &format!("let y = 1{}+ +\n", " ".repeat(70_000)));
    let r = run(&["check", &file]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(r.stderr.contains("long.policy:3:70012]"), "{}", r.stderr);
    assert!(r.stderr.lines().all(|l| l.chars().count() < 400), "a line was shown whole");
    insta::assert_snapshot!("check_long_line", r.snapshot_in(Some(tmp.path())));
    // The error at the start of a long line: cut after the window.
    let file = temp_policy(tmp.path(), "long_tail.policy", &format!("let y = 1 + +{}\n", "x".repeat(70_000)));
    let r = run(&["check", &file]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("long_tail.policy:3:13]"), "{}", r.stderr);
    assert!(r.stderr.contains("let y = 1 + +xxx"), "{}", r.stderr);
    assert!(r.stderr.lines().all(|l| l.chars().count() < 400), "a line was shown whole");
}

#[test]
fn check_columns_count_characters_in_both_formats() {
    let tmp = tempfile::tempdir().unwrap();
    let file = temp_policy(tmp.path(), "cn.policy", "input x: int \"培训天数\"\nlet y = \"培训\" + zz\n");
    let human = run(&["check", &file]);
    assert!(human.stderr.contains("cn.policy:4:16]"), "{}", human.stderr);
    let json = run(&["check", "--error-format", "json", &file]);
    let first: serde_json::Value = serde_json::from_str(json.stdout.lines().next().unwrap()).unwrap();
    assert_eq!((first["line"].as_u64(), first["column"].as_u64()), (Some(4), Some(16)));
}

#[test]
fn check_error_deep_in_a_big_file_shows_its_own_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let mut body: String = (0..5000).map(|i| format!("let y{i} = {i}\n")).collect();
    body.push_str("let bad = zz\n");
    let file = temp_policy(tmp.path(), "big.policy", &body);
    let r = run(&["check", &file]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("big.policy:5003:11]"), "{}", r.stderr);
    assert!(r.stderr.contains("5002 │ let y4999 = 4999"), "{}", r.stderr);
    assert!(r.stderr.contains("5003 │ let bad = zz"), "{}", r.stderr);
}

#[test]
fn check_empty_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(&["check", tmp.path().to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no .policy files found"), "{}", r.stderr);
}

// ------------------------------------------------------------------ fmt

#[test]
fn fmt_check_formatted_file() {
    let r = run(&["fmt", "--check", &format!("{DATA}/fmt/formatted.policy")]);
    insta::assert_snapshot!("fmt_check_formatted", r.snapshot());
    assert_eq!(r.code, 0);
}

#[test]
fn fmt_check_unformatted_file() {
    let r = run(&["fmt", "--check", &format!("{DATA}/fmt")]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("would reformat crates/cli/tests/data/fmt/unformatted.policy"));
    assert!(!r.stdout.contains("fmt/formatted.policy"));
    insta::assert_snapshot!("fmt_check_unformatted", r.snapshot());
}

#[test]
fn fmt_rewrites_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("unformatted.policy");
    let original = std::fs::read_to_string(workspace().join(DATA).join("fmt/unformatted.policy")).unwrap();
    std::fs::write(&file, &original).unwrap();
    let r = run(&["fmt", file.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("fmt_in_place", r.snapshot_in(Some(tmp.path())));
    let formatted = std::fs::read_to_string(&file).unwrap();
    assert_ne!(formatted, original);
    insta::assert_snapshot!("fmt_in_place_result", formatted);
    let r = run(&["fmt", "--check", file.to_str().unwrap()]);
    assert_eq!(r.code, 0, "formatting again changes nothing: {}", r.stdout);
}

#[test]
fn fmt_missing_file() {
    insta::assert_snapshot!("fmt_missing_file", run(&["fmt", "--check", "nope.policy"]).snapshot());
}

#[test]
fn fmt_reports_parse_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.policy");
    std::fs::write(&file, "policy demo.bad \"x\"\n\ninput days: int in 0 .. \"天数\n").unwrap();
    let r = run(&["fmt", "--check", file.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error[P"), "{}", r.stderr);
}

// ------------------------------------------------------------------ eval

fn facts(name: &str) -> String {
    format!("{DATA}/facts/{name}")
}

#[test]
fn eval_text_on_bundled_policy() {
    let r = run(&["eval", DATONG, "--facts", &facts("datong_order_day_10.json")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("✓ order_training 订单式、项目制培训补贴: eligible, 1500.00 yuan"));
    insta::assert_snapshot!("eval_text", r.snapshot());
}

#[test]
fn eval_by_id_matches_eval_by_path() {
    let by_path = run(&["eval", DATONG, "--facts", &facts("datong_order_day_10.json")]);
    let by_id = run(&["eval", DATONG_ID, "--facts", &facts("datong_order_day_10.json")]);
    assert_eq!(by_id.code, 0, "{}", by_id.stderr);
    assert_eq!(by_path.stdout, by_id.stdout);
}

/// The decision JSON (as printed, keys in the serializer's order) with the
/// content hash (which changes with every edit of the policy text) and the
/// engine version replaced.
fn redacted_json(text: &str) -> String {
    text.lines()
        .map(|l| {
            let t = l.trim_start();
            let indent = &l[..l.len() - t.len()];
            let comma = if t.ends_with(',') { "," } else { "" };
            if t.starts_with("\"content_hash\": ") {
                format!("{indent}\"content_hash\": \"[hash]\"{comma}")
            } else if t.starts_with("\"engine_version\": ") {
                format!("{indent}\"engine_version\": \"[version]\"{comma}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn eval_json_on_bundled_policy() {
    let r = run(&[
        "eval",
        DATONG,
        "--facts",
        &facts("datong_order_day_10.json"),
        "--format",
        "json",
        "--trace",
        "summary",
        "--benefit",
        "order_training",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["policy"]["id"], DATONG_ID);
    assert_eq!(v["benefits"][0]["id"], "order_training");
    assert_eq!(v["benefits"][0]["status"], "eligible");
    assert_eq!(v["benefits"][0]["amount"], "1500.00");
    assert_eq!(v["benefits"][0]["payee"], "training_institution");
    assert_eq!(v["trace"]["level"], "summary");
    insta::assert_snapshot!("eval_json", redacted_json(&r.stdout));
}

#[test]
fn eval_json_without_trace_has_no_trace() {
    let r = run(&["eval", DATONG_ID, "--facts", &facts("datong_order_day_10.json"), "--format", "json", "--trace", "off"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(v.get("trace").is_none());
    assert_eq!(v["benefits"].as_array().unwrap().len(), 3);
}

#[test]
fn eval_facts_from_stdin() {
    let text = std::fs::read_to_string(workspace().join(facts("datong_order_day_10.json"))).unwrap();
    let r = run_cmd(policy().args(["eval", DATONG_ID, "--facts", "-", "--trace", "off"]).write_stdin(text));
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("eval_stdin_trace_off", r.snapshot());
}

#[test]
fn eval_bad_facts() {
    let r = run(&["eval", DATONG, "--facts", &facts("datong_bad.json")]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty());
    insta::assert_snapshot!("eval_bad_facts", r.snapshot());
}

#[test]
fn eval_rejects_a_fact_given_twice_and_warns_of_a_bare_percent() {
    let text = std::fs::read_to_string(workspace().join(facts("datong_order_day_10.json"))).unwrap();
    let twice = text.replace(r#""class_employment_rate": "85%""#, r#""class_employment_rate": "85%", "class_employment_rate": "50%""#);
    let r = run_cmd(policy().args(["eval", DATONG_ID, "--facts", "-"]).write_stdin(twice));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("error: fact `class_employment_rate`: expected each key once, received \"class_employment_rate\" twice"),
        "{}",
        r.stderr
    );
    let bare = text.replace(r#""class_employment_rate": "85%""#, r#""class_employment_rate": 1"#);
    let r = run_cmd(policy().args(["eval", DATONG_ID, "--facts", "-", "--format", "json", "--trace", "off"]).write_stdin(bare));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("warning: fact `class_employment_rate`: the bare number 1 is read as a fraction, 100%"), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["warnings"][0]["fact"], "class_employment_rate");
}

#[test]
fn eval_as_of_that_no_benefit_uses_is_a_warning() {
    let f = facts("datong_order_day_10.json");
    let r = run(&["eval", DATONG_ID, "--facts", &f, "--as-of", "2023-03-01", "--trace", "off"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("warning: --as-of 2023-03-01 is used by no benefit decided"), "{}", r.stderr);
    let r = run(&["eval", DATONG_ID, "--facts", &f, "--trace", "off"]);
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    // Loose dates are refused for --as-of as for facts.
    let r = run(&["eval", DATONG_ID, "--facts", &f, "--as-of", "2023-3-1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn eval_facts_not_json() {
    let r = run_cmd(policy().args(["eval", DATONG, "--facts", "-"]).write_stdin("{not json"));
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("eval_facts_not_json", r.snapshot());
}

#[test]
fn eval_missing_facts_file() {
    insta::assert_snapshot!("eval_missing_facts", run(&["eval", DATONG, "--facts", "nope.json"]).snapshot());
}

#[test]
fn eval_missing_policy_file() {
    insta::assert_snapshot!(
        "eval_missing_policy",
        run(&["eval", "nope/x.policy", "--facts", &facts("datong_order_day_10.json")]).snapshot()
    );
}

#[test]
fn eval_unknown_policy_id() {
    insta::assert_snapshot!("eval_unknown_id", run(&["eval", "nowhere.nothing", "--facts", &facts("datong_order_day_10.json")]).snapshot());
}

#[test]
fn eval_unknown_benefit() {
    let r = run(&["eval", DATONG, "--facts", &facts("datong_order_day_10.json"), "--benefit", "nope"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error: policy has no benefit `nope`"), "{}", r.stderr);
}

#[test]
fn eval_broken_policy_shows_diagnostics() {
    let r = run(&["eval", &format!("{DATA}/mixed/broken.policy"), "--facts", &facts("datong_order_day_10.json")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error[C101]"));
    assert!(r.stderr.contains("does not compile: 2 errors"), "{}", r.stderr);
}

// ------------------------------------------------------------------ test

#[test]
fn test_bundled_cases_all_pass() {
    let r = run(&["test"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let last = r.stdout.lines().last().unwrap();
    let (passed, failed) = last.split_once(" passed, ").unwrap();
    assert!(passed.parse::<usize>().unwrap() > 0, "{last}");
    assert_eq!(failed, "0 failed");
    // Every case's trace is checked against its golden trace.
    let golden = format!("golden traces: {passed} unchanged, 0 changed, 0 missing");
    assert_eq!(r.stdout, format!("{golden}\n{last}\n"), "only the two count lines");
}

#[test]
fn test_wrong_expectation_fails() {
    let r = run(&["test", &format!("{DATA}/cases_wrong")]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout.lines().last(), Some("1 passed, 2 failed"));
    insta::assert_snapshot!("test_wrong_expectation", r.snapshot());
}

#[test]
fn test_coverage_reports_and_gates() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("coverage.json");
    let r = run(&["test", "policies/jiaxing/digital_training_2021.cases.json", "--coverage", "--coverage-json", json.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("jiaxing.digital_training_2021: 16 of 16 sides covered (100.0%)"), "{}", r.stdout);
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report[0]["covered"], report[0]["total"]);
    // One case cannot cover every side: --fail-under fails the run.
    let r = run(&["test", "policies/jiaxing/digital_training_2021.cases.json", "--filter", "exactly_32_lessons", "--fail-under", "90"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("is below 90%"), "{}", r.stderr);
    assert!(r.stdout.contains("never fail"), "{}", r.stdout);
}

#[test]
fn test_filter() {
    let r = run(&["test", &format!("{DATA}/cases_wrong/demo.cases.json"), "--filter", "twelve"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.stdout, "golden traces: 1 unchanged, 0 changed, 0 missing\n1 passed, 0 failed, 2 filtered out\n");
    let r = run(&["test", "--filter", "order_day_10"]);
    assert_eq!(r.code, 0);
    let (golden, last) = r.stdout.trim_end().split_once('\n').unwrap();
    assert_eq!(golden, "golden traces: 1 unchanged, 0 changed, 0 missing");
    let out = last.strip_prefix("1 passed, 0 failed, ").unwrap().strip_suffix(" filtered out").unwrap();
    assert!(out.parse::<usize>().unwrap() > 100, "{last}");
}

#[test]
fn test_filter_matching_nothing_fails() {
    let r = run(&["test", &format!("{DATA}/cases_wrong/demo.cases.json"), "--filter", "no_such_case"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.stdout, "0 passed, 0 failed, 3 filtered out\n");
    assert!(r.stderr.contains("no case ran: --filter `no_such_case` matched none of 3 cases"), "{}", r.stderr);
}

/// A case file in a temporary `policies/` tree, beside a copy of the Datong policy.
fn case_file_in_tmp(cases: &str) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("policies/datong");
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["big_data_training_2022.policy", "big_data_training_2022.source.txt"] {
        std::fs::copy(workspace().join("policies/datong").join(f), dir.join(f)).unwrap();
    }
    let file = dir.join("t.cases.json");
    std::fs::write(&file, format!(r#"{{"policy": "{DATONG_ID}", "cases": [{cases}]}}"#)).unwrap();
    let file = file.to_str().unwrap().to_string();
    (tmp, file)
}

const CASE_FACTS: &str = r#""facts": {"project_for_big_data": true, "trainee_group": "rural_migrant", "class_start_date": "2023-03-01", "training_days": 10, "class_employment_rate": "85%", "daily_checkin": true}"#;

#[test]
fn test_refuses_duplicate_case_names() {
    let case = format!(r#"{{"name": "a", {CASE_FACTS}, "expect": {{"order_training": {{"status": "eligible"}}}}}}"#);
    let (_tmp, file) = case_file_in_tmp(&format!("{case}, {case}"));
    let r = run(&["test", &file]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("is not a valid case file: two cases are named `a`"), "{}", r.stderr);
    // The same case once is fine (its golden trace is missing: said, not failed outside CI).
    let (_tmp, file) = case_file_in_tmp(&case);
    let r = run_cmd(policy().args(["test", &file]).env_remove("CI"));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn test_refuses_cases_expecting_nothing() {
    let (_tmp, file) = case_file_in_tmp(&format!(r#"{{"name": "a", {CASE_FACTS}, "expect": {{}}}}"#));
    let r = run(&["test", &file]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("case `a` has an empty `expect`"), "{}", r.stderr);
    let (_tmp, file) = case_file_in_tmp(&format!(r#"{{"name": "b", {CASE_FACTS}, "expect": {{"order_training": {{}}}}}}"#));
    let r = run(&["test", &file]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("case `b` expects nothing of benefit `order_training`"), "{}", r.stderr);
}

#[test]
fn test_missing_path() {
    insta::assert_snapshot!("test_missing_path", run(&["test", "no/such/dir"]).snapshot());
}

#[test]
fn test_not_a_case_file() {
    let r = run(&["test", &facts("datong_bad.json")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("is not a case file"), "{}", r.stderr);
}

// ------------------------------------------------------------------ schema

#[test]
fn schema_of_bundled_policy() {
    let r = run(&["schema", DATONG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(v["additionalProperties"], false);
    let props = &v["properties"];
    assert_eq!(props["class_start_date"]["format"], "date");
    assert_eq!(props["training_days"]["type"], serde_json::json!(["integer", "string", "null"]));
    assert_eq!(props["training_days"]["minimum"], 1);
    assert_eq!(props["class_employment_rate"]["maximum"], 1);
    assert_eq!(props["trainee_group"]["enum"][0], "rural_migrant");
    assert_eq!(props["prior_certs"]["type"], serde_json::json!(["array", "null"]));
    assert_eq!(props["prior_certs"]["items"]["additionalProperties"], false);
    // Partial facts are the engine's design: nothing is required; each
    // benefit's facts are listed.
    assert!(v.get("required").is_none());
    let order: Vec<&str> = v["x-facts-by-benefit"]["order_training"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
    assert!(order.contains(&"class_employment_rate") && !order.contains(&"onjob_days"), "{order:?}");
    insta::assert_snapshot!("schema_datong", r.stdout);
}

#[test]
fn schema_money_and_externals() {
    let r = run(&["schema", "hangzhou.skills_upgrading_2020"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let ext = &v["properties"]["special_operation_standard"];
    assert_eq!(ext["type"], serde_json::json!(["string", "number", "null"]));
    assert!(ext["pattern"].is_string());
    // The document caps the payment at 650, not the department's standard:
    // the external has a lower bound only (the benefit's `cap 650` applies).
    assert_eq!(ext["minimum"], 0);
    assert!(ext.get("maximum").is_none(), "{ext}");
    assert!(ext["description"].as_str().unwrap().contains("external"));
}

#[test]
fn schema_of_one_benefit() {
    let r = run(&["schema", DATONG_ID, "--benefit", "order_training"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(v.get("required").is_none());
    let props = v["properties"].as_object().unwrap();
    assert!(props.contains_key("class_employment_rate") && !props.contains_key("onjob_days"), "{props:?}");
    assert!(v["description"].as_str().unwrap().contains("order_training"));
    let r = run(&["schema", DATONG_ID, "--benefit", "nope"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no benefit `nope`"), "{}", r.stderr);
}

#[test]
fn schema_quantity_with_its_unit() {
    let r = run(&["schema", "jiaxing.digital_training_2021"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let hours = &v["properties"]["clock_hours"];
    assert_eq!(hours["x-unit"], "clock_hour");
    assert_eq!(hours["x-convertible-units"], serde_json::json!(["lesson_hour"]));
    assert!(hours["pattern"].as_str().unwrap().contains("clock_hour|lesson_hour"), "{hours}");
}

#[test]
fn schema_missing_policy() {
    let r = run(&["schema", "nope.policy"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "error: cannot read `nope.policy`: no such file\n");
}

// ------------------------------------------------------------------ colour

#[test]
fn colour_only_when_asked_and_no_color_wins() {
    let args = ["check", &format!("{DATA}/mixed")];
    // Not a terminal: plain.
    let plain = run(&args);
    assert!(!plain.stderr.contains('\x1b'));
    // Forced.
    let forced = run_cmd(policy().args(args).env("CLICOLOR_FORCE", "1"));
    assert!(forced.stderr.contains('\x1b'), "{}", forced.stderr);
    let always = run_cmd(policy().arg("--color").arg("always").args(args));
    assert!(always.stderr.contains('\x1b'));
    // NO_COLOR beats CLICOLOR_FORCE.
    let no_color = run_cmd(policy().args(args).env("CLICOLOR_FORCE", "1").env("NO_COLOR", "1"));
    assert!(!no_color.stderr.contains('\x1b'));
    assert_eq!(no_color.stderr, plain.stderr);
    // Colour changes nothing but the escapes.
    assert_eq!(normalize(&forced.stderr, None), plain.stderr);
}

#[test]
fn no_color_plain_output_of_eval_and_test() {
    let r = run_cmd(policy().args(["eval", DATONG, "--facts", &facts("datong_order_day_10.json")]).env("NO_COLOR", "1"));
    assert_eq!(r.code, 0);
    assert!(!r.stdout.contains('\x1b'));
    let forced = run_cmd(policy().args(["eval", DATONG, "--facts", &facts("datong_order_day_10.json"), "--color", "always"]));
    assert!(forced.stdout.contains("\x1b[32m✓\x1b[0m"));
    assert_eq!(normalize(&forced.stdout, None), r.stdout);
    let r = run_cmd(policy().args(["test", &format!("{DATA}/cases_wrong")]).env("NO_COLOR", "1"));
    assert!(!r.stdout.contains('\x1b'));
    assert!(r.stdout.starts_with("FAIL "));
}

// The schema is compared with the engine on every golden case, and on
// generated and mutated facts, with a real validator: tests/schema_contract.rs.

// ------------------------------------------------------------------ imports and loader problems

const BASE: &str = r#"policy demo.base "基础标准"
  in_force 2021-01-01 .. 2021-12-31

clause "一" "标准" not_computable "test fixture"

enum level "等级" { junior "初级", senior "高级" }

param standard: money "补贴标准" {
  from 2021-01-01 => 800 yuan
}
"#;

const USER: &str = r#"policy demo.user "引用基础标准"
  in_force 2021-01-01 .. 2021-12-31

use demo.base as base

input grade: base.level "等级"

benefit subsidy "补贴" {
  payee person
  require is_junior: grade == base.junior "初级"
  amount base.standard
}
"#;

#[test]
fn imports_resolve_through_the_enclosing_policies_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("policies");
    std::fs::create_dir_all(root.join("a")).unwrap();
    std::fs::create_dir_all(root.join("b")).unwrap();
    std::fs::write(root.join("a/base.policy"), BASE).unwrap();
    let user = root.join("b/user.policy");
    std::fs::write(&user, USER).unwrap();
    // Checking only the importing file finds the import in the tree.
    let r = run(&["check", user.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // And so does eval, from a file path and from inside the tree by id.
    let facts = tmp.path().join("facts.json");
    std::fs::write(&facts, r#"{"grade": "junior"}"#).unwrap();
    let r = run(&["eval", user.to_str().unwrap(), "--facts", facts.to_str().unwrap(), "--as-of", "2021-05-01", "--trace", "off"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("eval_with_import", r.snapshot_in(Some(tmp.path())));
    let r = run_cmd(assert_cmd::cargo::cargo_bin_cmd!("policy").current_dir(tmp.path()).args([
        "eval",
        "demo.user",
        "--facts",
        "facts.json",
        "--as-of",
        "2021-05-01",
        "--format",
        "json",
        "--trace",
        "off",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("\"amount\": \"800.00\""), "{}", r.stdout);
    // Without the imported policy the import fails with C105.
    std::fs::remove_file(root.join("a/base.policy")).unwrap();
    let r = run(&["check", user.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error[C105]"), "{}", r.stderr);
}

#[test]
fn check_reports_duplicate_policy_ids() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("one.policy"), BASE).unwrap();
    std::fs::write(tmp.path().join("two.policy"), BASE).unwrap();
    let r = run(&["check", tmp.path().to_str().unwrap()]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("check_duplicate_ids", r.snapshot_in(Some(tmp.path())));
}

// ------------------------------------------------------------------ diff

const DIFF: &str = "crates/cli/tests/data/diff";

#[test]
fn diff_equivalent_versions_exit_0() {
    let r = run(&["diff", &format!("{DIFF}/old.policy"), &format!("{DIFF}/reformatted.policy"), "--cases", &format!("{DIFF}/cases")]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!("diff_equivalent", r.snapshot());
}

/// A change the witness search cannot reach is not called equivalent: the
/// headline says the search is not exhaustive (exit 0: nothing was shown),
/// and the golden cases find the difference.
#[test]
fn diff_without_a_witness_is_not_called_equivalent() {
    let args = ["diff", "--root", "examples/tax_benefit", "example.tax_benefit", "example.tax_reform_2026"];
    let r = run(&args);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("equivalent:"), "{}", r.stdout);
    assert!(r.stdout.contains("the search is not exhaustive: 6 changes that could alter a decision have no witness"), "{}", r.stdout);
    let r = run(&[&args[..], &["--cases", "examples/tax_benefit"]].concat());
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("not equivalent"), "{}", r.stdout);
}

#[test]
fn diff_changed_versions_exit_1() {
    let r = run(&["diff", &format!("{DIFF}/old.policy"), &format!("{DIFF}/new.policy"), "--cases", &format!("{DIFF}/cases")]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("condition min_days changed: days >= 3 → days >= 5"), "{}", r.stdout);
    assert!(r.stdout.contains("four_days"), "{}", r.stdout);
    // How many candidates the witness search tried is the library's detail.
    let text: String = r
        .snapshot()
        .lines()
        .map(|l| match l.find("(found after ") {
            Some(i) => format!("{}(found after N candidates):", &l[..i]),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("diff_changed", text);
}

#[test]
fn diff_json() {
    let r = run(&[
        "diff",
        &format!("{DIFF}/old.policy"),
        &format!("{DIFF}/new.policy"),
        "--cases",
        &format!("{DIFF}/cases"),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["old_policy"], "demo.diff");
    assert_eq!(v["changes"].as_array().unwrap().len(), 2);
    assert!(v["changes"][0]["witness"].is_object());
    assert_eq!(v["case_changes"].as_array().unwrap().len(), 2);
    assert_eq!(v["cases_compared"], 3);
}

#[test]
fn diff_bundled_policy_against_itself_by_id() {
    let r = run(&["diff", DATONG, DATONG_ID, "--cases", "policies/datong"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("0 changes"), "{}", r.stdout);
}

#[test]
fn diff_a_policy_and_its_amendment() {
    // The pair: the amended policy against the base, each change with a witness.
    let r = run(&["diff", "jiaxing.digital_training_2021", "jiaxing.digital_training_2022_example", "--format", "json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let changes = v["changes"].as_array().unwrap();
    let said: Vec<String> = changes.iter().map(|c| c.to_string()).collect();
    for what in ["low_attendance", "unregistered", "bound_district", "class_registered"] {
        assert!(said.iter().any(|c| c.contains(what)), "no change names {what}: {said:#?}");
    }
    // Every change of a rule found an applicant it decides differently.
    let rules = changes.iter().filter(|c| c.to_string().contains("training_subsidy")).collect::<Vec<_>>();
    assert!(rules.len() >= 4 && rules.iter().all(|c| c["witness"].is_object()), "{said:#?}");
}

#[test]
fn diff_failures() {
    let r = run(&["diff", &format!("{DIFF}/old.policy")]);
    assert_eq!(r.code, 2);
    // Trouble is exit 2, as GNU diff: exit 1 means "different".
    let r = run(&["diff", &format!("{DIFF}/old.policy"), "nope.policy"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr, "error: cannot read `nope.policy`: no such file\n");
    let r = run(&["diff", &format!("{DIFF}/old.policy"), &format!("{DIFF}/new.policy"), "--cases", "no/such/dir"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr, "error: cannot read `no/such/dir`: no such file or directory\n");
}

/// `policy check` on a folder with symbolic-link loops, a FIFO and a huge
/// (sparse) file named `*.policy`: each policy is checked once, the FIFO is
/// reported and never opened (it would block), the huge file is refused
/// from its size without being read.
#[cfg(unix)]
#[test]
fn check_walk_is_a_sandbox() {
    let tmp = tempfile::tempdir().unwrap();
    let region = tmp.path().join("policies/datong");
    std::fs::create_dir_all(&region).unwrap();
    for f in ["big_data_training_2022.policy", "big_data_training_2022.source.txt"] {
        std::fs::copy(workspace().join("policies/datong").join(f), region.join(f)).unwrap();
    }
    std::os::unix::fs::symlink(".", region.join("self1")).unwrap();
    std::os::unix::fs::symlink(".", region.join("self2")).unwrap();
    std::fs::File::create(region.join("huge.policy")).unwrap().set_len(1 << 30).unwrap();
    let fifo = std::process::Command::new("mkfifo").arg(region.join("pipe.policy")).status().is_ok_and(|s| s.success());
    if !fifo {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "mkfifo is needed under CI");
        eprintln!("mkfifo missing: the FIFO case is skipped");
    }
    let r = run_cmd(policy().current_dir(tmp.path()).args(["check", "policies"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("checked 2 policies"), "{}", r.stderr);
    assert!(r.stderr.contains("error[P004]") && r.stderr.contains("1073741824 bytes"), "{}", r.stderr);
    if fifo {
        assert_eq!(r.stderr.matches("pipe.policy").count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
        // Named directly, it is refused too (never opened).
        std::fs::write(tmp.path().join("facts.json"), "{}").unwrap();
        let r = run_cmd(policy().current_dir(tmp.path()).args(["eval", "policies/datong/pipe.policy", "--facts", "facts.json"]));
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
    }
}

#[test]
fn diff_a_version_that_does_not_compile_is_trouble() {
    let tmp = tempfile::tempdir().unwrap();
    let broken = tmp.path().join("broken.policy");
    std::fs::write(&broken, "policy demo.diff \"坏\"\n  in_force 2021-01-01 ..\ninput days: nope\n").unwrap();
    let r = run(&["diff", &format!("{DIFF}/old.policy"), broken.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("does not compile"), "{}", r.stderr);
}

const IMPORTS: &str = "crates/cli/tests/data/diff/imports";

#[test]
fn diff_resolves_each_version_in_its_own_root() {
    // main.policy is the same in both versions; the parameter it imports
    // from demo.base changes. Each version reads its imports from its root.
    let r = run(&[
        "diff",
        &format!("{IMPORTS}/v1/main.policy"),
        &format!("{IMPORTS}/v2/main.policy"),
        "--old-root",
        &format!("{IMPORTS}/v1"),
        "--new-root",
        &format!("{IMPORTS}/v2"),
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("param demo.base.per_day: version from 2021-01-01 changed: value 150 yuan → 160 yuan"), "{}", r.stdout);
    // The same root on both sides: nothing differs.
    let r = run(&[
        "diff",
        &format!("{IMPORTS}/v1/main.policy"),
        &format!("{IMPORTS}/v2/main.policy"),
        "--old-root",
        &format!("{IMPORTS}/v2"),
        "--new-root",
        &format!("{IMPORTS}/v2"),
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // A policy id is looked up in the root.
    let r = run(&["diff", "demo.main", "demo.main", "--old-root", &format!("{IMPORTS}/v1"), "--new-root", &format!("{IMPORTS}/v2")]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let r = run(&["diff", "demo.main", "demo.main", "--old-root", "no/such/dir"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--old-root `no/such/dir` is not a directory"), "{}", r.stderr);
}

/// Whether git can be run; under CI it must.
fn have_git() -> bool {
    let ok = std::process::Command::new("git").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "git is needed by the `policy diff REV:PATH` tests");
        eprintln!("skipped: git is not installed");
    }
    ok
}

fn git_in(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A repository whose two commits hold v1 and v2 of the import fixture under `policies/`.
fn two_commits() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    std::fs::create_dir_all(repo.join("policies/demo")).unwrap();
    git_in(repo, &["init", "-q"]);
    for v in ["v1", "v2"] {
        for f in ["main.policy", "base.policy"] {
            std::fs::copy(workspace().join(IMPORTS).join(v).join(f), repo.join("policies/demo").join(f)).unwrap();
        }
        git_in(repo, &["add", "-A"]);
        git_in(repo, &["commit", "-q", "-m", v]);
    }
    tmp
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    run_cmd(assert_cmd::cargo::cargo_bin_cmd!("policy").current_dir(dir).args(args))
}

#[test]
fn diff_reads_the_old_version_and_its_imports_from_git() {
    if !have_git() {
        return;
    }
    let tmp = two_commits();
    let repo = tmp.path();
    // Only the imported policy changed: visible because the old version's
    // imports are read from the same revision.
    let r = run_in(repo, &["diff", "HEAD~1:policies/demo/main.policy", "policies/demo/main.policy"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("value 150 yuan → 160 yuan"), "{}", r.stdout);
    let r = run_in(repo, &["diff", "HEAD:policies/demo/main.policy", "policies/demo/main.policy"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = run_in(repo, &["diff", "HEAD~1:policies/demo/main.policy", "HEAD:policies/demo/main.policy", "--format", "json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    // Taking the parameter's new value back alone gives the old decision.
    assert_eq!(v["changes"][0]["witness"]["alone"], true, "{}", r.stdout);
    // From a subfolder, `./` is relative to it, as git reads it.
    let r = run_in(&repo.join("policies/demo"), &["diff", "HEAD~1:./main.policy", "main.policy"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
}

#[test]
fn diff_git_trouble_is_exit_2() {
    if !have_git() {
        return;
    }
    let tmp = two_commits();
    let repo = tmp.path();
    let cases: &[(&str, &str)] = &[
        ("HEAD:../outside.policy", "is outside the git repository"),
        ("HEAD:policies/../../x.policy", "is outside the git repository"),
        ("HEAD~5:policies/demo/main.policy", "is not a commit of this git repository"),
        ("HEAD:policies/demo/none.policy", "no such file at that revision"),
        ("-x:policies/demo/main.policy", "is not a git revision"),
    ];
    for (old, why) in cases {
        let r = run_in(repo, &["diff", "--", old, "policies/demo/main.policy"]);
        assert_eq!(r.code, 2, "{old}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(why), "{old}: {}", r.stderr);
    }
    let r = run_in(repo, &["diff", "HEAD:policies/demo/main.policy", "policies/demo/main.policy", "--old-root", "policies"]);
    assert_eq!(r.code, 2);
    // Outside any repository.
    let plain = tempfile::tempdir().unwrap();
    let r = run_in(plain.path(), &["diff", "HEAD:policies/demo/main.policy", "HEAD:policies/demo/main.policy"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not in a git repository"), "{}", r.stderr);
}

// ------------------------------------------------------------------ eval --fail-on

#[test]
fn eval_fail_on_undetermined_exits_1_naming_the_benefits() {
    let r = run(&["eval", DATONG, "--facts", &facts("datong_order_day_10.json"), "--fail-on", "undetermined"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // The decision is still printed.
    assert!(r.stdout.contains("✓ order_training"), "{}", r.stdout);
    assert!(r.stderr.contains("--fail-on: `onjob_training` (undetermined), `certification` (undetermined)"), "{}", r.stderr);
}

#[test]
fn eval_fail_on_a_status_no_benefit_has_exits_0() {
    let r = run(&["eval", DATONG, "--facts", &facts("datong_order_day_10.json"), "--fail-on", "ineligible"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Only the benefits decided count.
    let r = run(&[
        "eval",
        DATONG,
        "--facts",
        &facts("datong_order_day_10.json"),
        "--benefit",
        "order_training",
        "--fail-on",
        "ineligible,undetermined",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn eval_fail_on_ineligible_with_facts_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("no_checkin.json");
    std::fs::write(
        &f,
        r#"{"project_for_big_data": true, "trainee_group": "rural_migrant", "class_start_date": "2023-03-01", "training_days": 10, "class_employment_rate": "85%", "daily_checkin": false, "spot_check_passed": false}"#,
    )
    .unwrap();
    let f = f.to_str().unwrap();
    let r = run(&["eval", DATONG, "--facts", f, "--benefit", "order_training", "--fail-on", "ineligible"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("`order_training` (ineligible)"), "{}", r.stderr);
    let r = run(&["eval", DATONG, "--facts", f, "--benefit", "order_training", "--fail-on", "undetermined"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines = tmp.path().join("lines.jsonl");
    let good = std::fs::read_to_string(workspace().join(facts("datong_order_day_10.json"))).unwrap().replace('\n', "");
    let bad = std::fs::read_to_string(f).unwrap();
    std::fs::write(&lines, format!("{good}\n{bad}\n")).unwrap();
    let lines = lines.to_str().unwrap();
    let r = run(&["eval", DATONG, "--facts-lines", lines, "--benefit", "order_training", "--fail-on", "undetermined,ineligible"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 2);
    assert!(r.stderr.contains("--fail-on: 1 line decided a benefit undetermined or ineligible"), "{}", r.stderr);
    let r = run(&["eval", DATONG, "--facts-lines", lines, "--benefit", "order_training"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

// ------------------------------------------------------------------ explain

#[test]
fn explain_prints_the_codes_section_of_errors_md() {
    let r = run(&["explain", "P002"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let page = std::fs::read_to_string(workspace().join("docs/errors.md")).unwrap();
    let start = page.find("### P002\n").unwrap();
    let end = start + page[start..].find("\n### P003").unwrap();
    assert_eq!(r.stdout, format!("{}\n", page[start..end].trim_end()));
    // Case does not matter.
    assert_eq!(run(&["explain", "p002"]).stdout, r.stdout);
}

#[test]
fn explain_an_unknown_code_lists_the_codes() {
    let r = run(&["explain", "X999"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("no diagnostic `X999`; the codes are: P001, P002,"), "{}", r.stderr);
    assert!(r.stderr.contains("R311"), "{}", r.stderr);
}

// ------------------------------------------------------------------ fmt: stdin, atomic, CRLF

#[test]
fn fmt_stdin_to_stdout() {
    let original = std::fs::read_to_string(workspace().join(DATA).join("fmt/unformatted.policy")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("u.policy");
    std::fs::write(&file, &original).unwrap();
    assert_eq!(run(&["fmt", file.to_str().unwrap()]).code, 0);
    let expected = std::fs::read_to_string(&file).unwrap();
    let r = run_cmd(policy().args(["fmt", "-"]).write_stdin(original.clone()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, expected, "stdin formats as the file does");
    assert_eq!(r.stderr, "");
    // --check with stdin: a diff and exit 1; formatted input: silence and 0.
    let r = run_cmd(policy().args(["fmt", "--check", "-"]).write_stdin(original));
    assert_eq!(r.code, 1);
    assert!(r.stdout.starts_with("would reformat <stdin>"), "{}", r.stdout);
    let r = run_cmd(policy().args(["fmt", "--check", "-"]).write_stdin(expected));
    assert_eq!((r.code, r.stdout.as_str()), (0, ""));
    // A parse error: diagnostics on stderr, nothing on stdout.
    let r = run_cmd(policy().args(["fmt", "-"]).write_stdin("policy x \"unterminated\n"));
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("<stdin>"), "{}", r.stderr);
    // `-` is alone or not at all.
    assert_eq!(run(&["fmt", "-", "policies"]).code, 2);
}

#[test]
fn fmt_keeps_crlf_line_endings() {
    let original = std::fs::read_to_string(workspace().join(DATA).join("fmt/unformatted.policy")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (lf, crlf) = (tmp.path().join("lf.policy"), tmp.path().join("crlf.policy"));
    std::fs::write(&lf, &original).unwrap();
    std::fs::write(&crlf, original.replace('\n', "\r\n")).unwrap();
    let r = run(&["fmt", lf.to_str().unwrap(), crlf.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (lf, crlf) = (std::fs::read_to_string(&lf).unwrap(), std::fs::read_to_string(&crlf).unwrap());
    assert!(!lf.contains('\r'));
    assert_eq!(crlf, lf.replace('\n', "\r\n"));
    // Formatted CRLF text is left as it is.
    let r = run_cmd(policy().args(["fmt", "--check", "-"]).write_stdin(crlf.clone()));
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = run_cmd(policy().args(["fmt", "-"]).write_stdin(crlf.clone()));
    assert_eq!(r.stdout, crlf);
}

#[test]
fn fmt_writes_atomically_and_keeps_permissions() {
    let original = std::fs::read_to_string(workspace().join(DATA).join("fmt/unformatted.policy")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("u.policy");
    std::fs::write(&file, &original).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        let inode = std::fs::metadata(&file).unwrap().ino();
        assert_eq!(run(&["fmt", file.to_str().unwrap()]).code, 0);
        let meta = std::fs::metadata(&file).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o640);
        // A new file was renamed over the old one (not written through it).
        assert_ne!(meta.ino(), inode);
    }
    #[cfg(not(unix))]
    assert_eq!(run(&["fmt", file.to_str().unwrap()]).code, 0);
    // No temporary file is left behind.
    let names: Vec<String> =
        std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["u.policy"]);
    assert_ne!(std::fs::read_to_string(&file).unwrap(), original);
}

// ------------------------------------------------------------------ check --error-format short

#[test]
fn check_short_error_format_agrees_with_json() {
    let dir = format!("{DATA}/mixed");
    let json = run(&["check", "--error-format", "json", &dir]);
    let short = run(&["check", "--error-format", "short", &dir]);
    assert_eq!((short.code, short.stdout.as_str()), (1, ""));
    let expected: Vec<String> = json
        .stdout
        .lines()
        .map(|l| {
            let o: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| o[k].as_str().unwrap().to_string();
            format!("{}:{}:{}: {}[{}]: {}", s("file"), o["line"], o["column"], s("severity"), s("code"), s("message"))
        })
        .collect();
    assert_eq!(expected.len(), 3);
    let mut lines: Vec<&str> = short.stderr.lines().collect();
    assert_eq!(lines.pop(), Some("checked 3 policies: 2 errors, 1 warning"), "{}", short.stderr);
    assert_eq!(lines, expected);
    assert!(lines[0].contains(":9:21: error[C101]: "), "{}", lines[0]);
    // A file that cannot be read has no position.
    let r = run(&["check", "--error-format", "short", "missing.policy"]);
    assert!(r.stderr.starts_with("missing.policy: error: cannot read"), "{}", r.stderr);
}

// ------------------------------------------------------------------ colour on a terminal: TERM=dumb, CLICOLOR=0

/// Runs `policy ARGS` on a pseudo-terminal (util-linux `script`), with
/// `vars` set; its output (stdout and stderr together). None when `script`
/// is missing outside CI (under CI=true a missing tool is a failure).
fn on_a_terminal(args: &str, vars: &[(&str, &str)]) -> Option<String> {
    let bin = env!("CARGO_BIN_EXE_policy");
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", &format!("'{bin}' {args}"), "/dev/null"]).current_dir(workspace());
    for v in ["NO_COLOR", "CLICOLOR_FORCE", "CLICOLOR", "TERM"] {
        cmd.env_remove(v);
    }
    cmd.envs(vars.iter().copied());
    match cmd.output() {
        Ok(out) => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("`script` (util-linux) is needed under CI: {e}"),
        Err(e) => {
            eprintln!("skipped: `script` (util-linux) is not available: {e}");
            None
        }
    }
}

#[test]
fn term_dumb_and_clicolor_0_turn_colour_off_on_a_terminal() {
    let args = format!("check {DATA}/mixed");
    let Some(coloured) = on_a_terminal(&args, &[("TERM", "xterm")]) else { return };
    assert!(coloured.contains("\x1b["), "a terminal gets colour: {coloured}");
    assert!(coloured.contains("unknown name `dayz`"), "{coloured}");
    for vars in [&[("TERM", "dumb")][..], &[("TERM", "xterm"), ("CLICOLOR", "0")][..]] {
        let plain = on_a_terminal(&args, vars).unwrap();
        assert!(!plain.contains('\x1b'), "{vars:?}: {plain}");
        assert!(plain.contains("unknown name `dayz`"), "{plain}");
    }
    // CLICOLOR_FORCE still forces it.
    let forced = on_a_terminal(&args, &[("TERM", "dumb"), ("CLICOLOR_FORCE", "1")]).unwrap();
    assert!(forced.contains("\x1b["), "{forced}");
}
