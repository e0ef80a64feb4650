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
    assert_eq!(r.stdout, "golden traces: 1 unchanged, 0 changed, 0 missing\n1 passed, 0 failed\n");
    let r = run(&["test", "--filter", "order_day_10"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, "golden traces: 1 unchanged, 0 changed, 0 missing\n1 passed, 0 failed\n");
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
    assert_eq!(props["training_days"]["type"], "integer");
    assert_eq!(props["training_days"]["minimum"], 1);
    assert_eq!(props["class_employment_rate"]["maximum"], 1);
    assert_eq!(props["trainee_group"]["enum"][0], "rural_migrant");
    assert_eq!(props["prior_certs"]["type"], "array");
    assert_eq!(props["prior_certs"]["items"]["additionalProperties"], false);
    let required: Vec<&str> = v["required"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
    assert!(required.contains(&"training_days"));
    assert!(!required.contains(&"prior_certs"), "inputs with a default are optional");
    insta::assert_snapshot!("schema_datong", r.stdout);
}

#[test]
fn schema_money_and_externals() {
    let r = run(&["schema", "hangzhou.skills_upgrading_2020"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let ext = &v["properties"]["special_operation_standard"];
    assert_eq!(ext["type"], serde_json::json!(["string", "number"]));
    assert!(ext["pattern"].is_string());
    // The document caps the payment at 650, not the department's standard:
    // the external has a lower bound only (the benefit's `cap 650` applies).
    assert_eq!(ext["minimum"], 0);
    assert!(ext.get("maximum").is_none(), "{ext}");
    assert!(ext["description"].as_str().unwrap().contains("external"));
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

// ------------------------------------------------------------------ schema vs golden facts

/// A small validator for the subset of JSON Schema that `policy schema`
/// writes (type, enum, minimum, maximum, properties, required,
/// additionalProperties, items; `pattern` is not checked).
fn validate(schema: &serde_json::Value, v: &serde_json::Value, path: &str, errors: &mut Vec<String>) {
    use serde_json::Value as J;
    let kind = match v {
        J::Null => "null",
        J::Bool(_) => "boolean",
        J::Number(n) if n.is_i64() || n.is_u64() => "integer",
        J::Number(_) => "number",
        J::String(_) => "string",
        J::Array(_) => "array",
        J::Object(_) => "object",
    };
    let allowed: Vec<&str> = match &schema["type"] {
        J::String(t) => vec![t.as_str()],
        J::Array(ts) => ts.iter().filter_map(|t| t.as_str()).collect(),
        _ => vec![],
    };
    let fits = allowed.is_empty() || allowed.contains(&kind) || (kind == "integer" && allowed.contains(&"number"));
    if !fits {
        errors.push(format!("{path}: {kind} is not {allowed:?}"));
        return;
    }
    if let Some(options) = schema["enum"].as_array() {
        if !options.contains(v) {
            errors.push(format!("{path}: {v} not in enum"));
        }
    }
    if let Some(x) = v.as_f64() {
        if schema["minimum"].as_f64().is_some_and(|m| x < m) || schema["maximum"].as_f64().is_some_and(|m| x > m) {
            errors.push(format!("{path}: {x} out of range"));
        }
    }
    if let J::Object(map) = v {
        for key in schema["required"].as_array().into_iter().flatten().filter_map(|k| k.as_str()) {
            if !map.contains_key(key) && path.contains('[') {
                errors.push(format!("{path}: missing {key}"));
            }
        }
        for (key, value) in map {
            match schema["properties"].get(key) {
                Some(s) if !value.is_null() => validate(s, value, &format!("{path}.{key}"), errors),
                Some(_) => {}
                None if schema["additionalProperties"] == false => errors.push(format!("{path}: unknown property {key}")),
                None => {}
            }
        }
    }
    if let J::Array(items) = v {
        for (i, item) in items.iter().enumerate() {
            validate(&schema["items"], item, &format!("{path}[{i}]"), errors);
        }
    }
}

#[test]
fn schema_accepts_the_facts_of_every_golden_case() {
    let mut case_files = Vec::new();
    let mut stack = vec![workspace().join("policies")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(".cases.json") {
                case_files.push(p);
            }
        }
    }
    assert!(!case_files.is_empty());
    let mut checked = 0;
    for file in case_files {
        let cases: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let id = cases["policy"].as_str().unwrap();
        let r = run(&["schema", id]);
        assert_eq!(r.code, 0, "{id}: {}", r.stderr);
        let schema: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        for case in cases["cases"].as_array().unwrap() {
            let mut errors = Vec::new();
            validate(&schema, &case["facts"], "facts", &mut errors);
            assert!(errors.is_empty(), "{id} / {}: {errors:?}", case["name"]);
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}

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
fn diff_failures() {
    let r = run(&["diff", &format!("{DIFF}/old.policy")]);
    assert_eq!(r.code, 2);
    let r = run(&["diff", &format!("{DIFF}/old.policy"), "nope.policy"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "error: cannot read `nope.policy`: no such file\n");
    let r = run(&["diff", &format!("{DIFF}/old.policy"), &format!("{DIFF}/new.policy"), "--cases", "no/such/dir"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "error: cannot read `no/such/dir`: no such file or directory\n");
}
