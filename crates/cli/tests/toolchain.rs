//! The CLI as other tools drive it (issue 17): `--error-format` on every
//! command (JSON errors on stdout), `check -` and `schema -` with the
//! policy root found upward from the working directory or given by
//! `--root`, `policy test` filters, `-v`, `--format json|junit`, shell
//! completions and `--max-errors`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

const DATONG_ID: &str = "datong.big_data_training_2022";
const CASES_WRONG: &str = "crates/cli/tests/data/cases_wrong/demo.cases.json";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary in `dir` with `stdin` on standard input.
fn run_in(dir: &Path, args: &[&str], stdin: &str) -> Run {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_policy"))
        .args(args)
        .current_dir(dir)
        .env_remove("CLICOLOR_FORCE")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let text = stdin.to_string();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(text.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run(args: &[&str]) -> Run {
    run_in(&workspace(), args, "")
}

/// The only JSON value on stdout, which must be the whole of it.
fn one_json(r: &Run) -> serde_json::Value {
    let mut values = serde_json::Deserializer::from_str(&r.stdout).into_iter::<serde_json::Value>();
    let first = values.next().unwrap_or_else(|| panic!("no JSON on stdout; stderr: {}", r.stderr)).unwrap();
    assert!(values.next().is_none(), "more than one JSON value on stdout: {}", r.stdout);
    first
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Copies the policy files and source documents of `regions` of the bundled
/// `policies/` into `to/policies/`.
fn copy_policies(to: &Path, regions: &[&str]) {
    for region in regions {
        for entry in std::fs::read_dir(workspace().join("policies").join(region)).unwrap() {
            let p = entry.unwrap().path();
            if p.is_file() {
                let dest = to.join("policies").join(region).join(p.file_name().unwrap());
                std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
                std::fs::copy(&p, dest).unwrap();
            }
        }
    }
}

fn bundled(path: &str) -> String {
    std::fs::read_to_string(workspace().join(path)).unwrap()
}

// ------------------------------------------------------------------ --error-format

#[test]
fn bad_facts_with_json_errors_print_one_error_object_on_stdout() {
    let dir = temp();
    let facts = dir.path().join("facts.json");
    write(&facts, r#"{"class_employment_rate": "abc", "no_such_fact": 1}"#);
    for command in ["eval", "what-if"] {
        let r = run(&[command, DATONG_ID, "--facts", facts.to_str().unwrap(), "--error-format", "json"]);
        assert_eq!(r.code, 1, "{command}: {}", r.stderr);
        let v = one_json(&r);
        assert_eq!(v["error"]["code"], "invalid_facts", "{command}");
        assert!(v["error"]["message"].as_str().unwrap().contains("2 problems"), "{v}");
        let problems = v["error"]["details"]["problems"].as_array().unwrap();
        let names: Vec<&str> = problems.iter().map(|p| p["fact"].as_str().unwrap()).collect();
        assert_eq!(names, ["class_employment_rate", "no_such_fact"]);
        assert!(problems.iter().all(|p| p["expected"].is_string() && p["received"].is_string()));
        assert_eq!(r.stderr, "", "{command}: JSON errors leave stderr empty");
    }
}

#[test]
fn eval_bad_facts_with_short_errors_prints_one_line_each() {
    let dir = temp();
    let facts = dir.path().join("facts.json");
    write(&facts, r#"{"class_employment_rate": "abc", "no_such_fact": 1}"#);
    let r = run(&["eval", DATONG_ID, "--facts", facts.to_str().unwrap(), "--error-format", "short"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stderr);
    assert!(lines.iter().all(|l| l.starts_with("error: ")), "{}", r.stderr);
    assert!(lines[0].contains("class_employment_rate") && lines[1].contains("no_such_fact"));
}

#[test]
fn a_policy_that_does_not_compile_is_a_policy_error_with_its_diagnostics() {
    let dir = temp();
    let policy = dir.path().join("broken.policy");
    write(&policy, "policy t.broken \"b\"\n  in_force 2021-01-01 .. 2021-12-31\n  version \"1\"\n\nlet x = nowhere + 1\n");
    let facts = dir.path().join("facts.json");
    write(&facts, "{}");
    for command in [vec!["eval", policy.to_str().unwrap(), "--facts", facts.to_str().unwrap()], vec!["schema", policy.to_str().unwrap()]] {
        let mut args = command.clone();
        args.extend(["--error-format", "json"]);
        let r = run(&args);
        assert_eq!(r.code, 1, "{command:?}: {}", r.stderr);
        let v = one_json(&r);
        assert_eq!(v["error"]["code"], "policy_error", "{command:?}: {v}");
        let diagnostics = v["error"]["details"]["diagnostics"].as_array().unwrap();
        assert!(!diagnostics.is_empty(), "{v}");
        assert!(diagnostics.iter().all(|d| d["code"].as_str().is_some_and(|c| c.len() == 4)), "{v}");
        assert!(diagnostics.iter().any(|d| d["line"].is_u64()), "{v}");
    }
}

#[test]
fn every_command_reports_errors_in_the_format_asked() {
    let dir = temp();
    let missing = dir.path().join("missing.policy");
    let missing = missing.to_str().unwrap();
    let unparsable = dir.path().join("bad.policy");
    write(&unparsable, "policy t.bad \"b\"\n  in_force 2021-01-01 .. 2021-12-31\n  version \"1\"\n\nlet = 1\n");
    let unparsable = unparsable.to_str().unwrap();
    let facts = dir.path().join("facts.json");
    write(&facts, "{}");
    let facts = facts.to_str().unwrap();
    // (arguments, exit status, JSON error code or None for a diagnostic line)
    let cases: Vec<(Vec<&str>, i32, Option<&str>)> = vec![
        (vec!["check", missing], 1, None),
        (vec!["check", unparsable], 1, None),
        (vec!["fmt", "--check", unparsable], 1, None),
        (vec!["eval", missing, "--facts", facts], 1, Some("failed")),
        (vec!["schema", missing], 1, Some("failed")),
        (vec!["what-if", missing, "--facts", facts], 1, Some("failed")),
        (vec!["explain", "Z999"], 2, Some("trouble")),
        (vec!["diff", missing, missing], 2, Some("trouble")),
        (vec!["test", dir.path().to_str().unwrap()], 1, Some("failed")),
    ];
    for (args, code, json_code) in cases {
        let mut json_args = args.clone();
        json_args.extend(["--error-format", "json"]);
        let r = run(&json_args);
        assert_eq!(r.code, code, "{json_args:?}: {}{}", r.stdout, r.stderr);
        let first: serde_json::Value = serde_json::from_str(r.stdout.lines().next().unwrap_or_else(|| panic!("{json_args:?}: no stdout")))
            .unwrap_or_else(|e| panic!("{json_args:?}: not JSON ({e}): {}", r.stdout));
        match json_code {
            Some(c) => assert_eq!(first["error"]["code"], c, "{json_args:?}: {first}"),
            None => assert!(first.get("severity").is_some() && first.get("message").is_some(), "{json_args:?}: {first}"),
        }
        let mut short_args = args.clone();
        short_args.extend(["--error-format", "short"]);
        let r = run(&short_args);
        assert_eq!(r.code, code, "{short_args:?}");
        let error_lines: Vec<&str> = r.stderr.lines().filter(|l| l.contains("error")).collect();
        assert!(!error_lines.is_empty(), "{short_args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("  ×") && !r.stderr.contains("│"), "{short_args:?}: short errors are single lines: {}", r.stderr);
    }
}

// ------------------------------------------------------------------ stdin and the policy root

#[test]
fn check_and_schema_read_stdin_and_resolve_imports_upward() {
    let dir = temp();
    copy_policies(dir.path(), &["zhejiang", "jinhua"]);
    let sub = dir.path().join("work/deeper");
    std::fs::create_dir_all(&sub).unwrap();
    let jinhua = bundled("policies/jinhua/digital_engineer_2024.policy");
    // The Jinhua policy imports the Zhejiang one: found in ../../policies.
    let r = run_in(&sub, &["check", "-"], &jinhua);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("0 errors"), "{}", r.stderr);
    let r = run_in(&sub, &["schema", "-"], &jinhua);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let schema: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    // A policy id resolves upward too.
    let r = run_in(&sub, &["schema", "jinhua.digital_engineer_2024"], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A draft under no name of the root: `<stdin>`, with its imports resolved.
    let draft = jinhua.replacen("jinhua.digital_engineer_2024", "jinhua.draft", 1);
    let r = run_in(&sub, &["check", "-", "--deny-warnings"], &draft);
    assert!(r.stderr.contains("checked <stdin>"), "{}", r.stderr);
    assert!(!r.stderr.contains("C105"), "imports resolve: {}", r.stderr);
}

#[test]
fn without_a_policy_root_imports_fail_and_root_gives_one() {
    let dir = temp();
    copy_policies(dir.path(), &["zhejiang"]);
    let elsewhere = temp();
    let jinhua = bundled("policies/jinhua/digital_engineer_2024.policy");
    let r = run_in(elsewhere.path(), &["check", "-", "--error-format", "short"], &jinhua);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error[C105]"), "{}", r.stderr);
    let root = dir.path().join("policies");
    let r = run_in(elsewhere.path(), &["check", "-", "--root", root.to_str().unwrap()], &jinhua);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run_in(elsewhere.path(), &["schema", "zhejiang.digital_engineer_2023", "--root", root.to_str().unwrap()], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run_in(elsewhere.path(), &["schema", "zhejiang.digital_engineer_2023"], "");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no `policies/` folder"), "{}", r.stderr);
    let r = run_in(elsewhere.path(), &["check", "-", "--root", "no/such/dir"], &jinhua);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--root `no/such/dir` is not a directory"), "{}", r.stderr);
}

#[test]
fn check_stdin_reports_against_the_file_of_its_id() {
    let dir = temp();
    copy_policies(dir.path(), &["zhejiang"]);
    let text = bundled("policies/zhejiang/digital_engineer_2023.policy") + "\nlet unused_here = nowhere\n";
    let r = run_in(dir.path(), &["check", "-", "--error-format", "short"], &text);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("policies/zhejiang/digital_engineer_2023.policy:"), "diagnostics name the file: {}", r.stderr);
    assert!(r.stderr.contains("error[C101]"), "{}", r.stderr);
    let r = run_in(dir.path(), &["check", "-", "policies"], "");
    assert_eq!(r.code, 2, "{}", r.stderr);
}

// ------------------------------------------------------------------ policy test

#[test]
fn test_verbose_lists_passing_cases_with_times() {
    let r = run(&["test", CASES_WRONG, "-v"]);
    assert_eq!(r.code, 1);
    let ok: Vec<&str> = r.stdout.lines().filter(|l| l.starts_with("ok ")).collect();
    assert_eq!(ok.len(), 1, "{}", r.stdout);
    assert!(ok[0].starts_with("ok crates/cli/tests/data/cases_wrong/demo.cases.json::twelve_days ("), "{}", ok[0]);
    assert!(ok[0].ends_with(" ms)") || ok[0].ends_with(" s)"), "a time: {}", ok[0]);
    let quiet = run(&["test", CASES_WRONG]);
    assert!(!quiet.stdout.lines().any(|l| l.starts_with("ok ")), "{}", quiet.stdout);
}

#[test]
fn test_filters_are_repeatable_and_match_any() {
    let both = run(&["test", "jiaxing", "datong"]);
    assert_eq!(both.code, 0, "{}{}", both.stdout, both.stderr);
    let count = |r: &Run| -> (usize, usize) {
        let last = r.stdout.lines().last().unwrap();
        let mut nums = last.split(", ").map(|p| p.split(' ').next().unwrap().parse::<usize>().unwrap());
        let passed = nums.next().unwrap();
        let _failed = nums.next().unwrap();
        (passed, nums.next().unwrap())
    };
    let jiaxing = run(&["test", "--filter", "jiaxing"]);
    let datong = run(&["test", "--filter", "datong"]);
    let flags = run(&["test", "--filter", "jiaxing", "--filter", "datong"]);
    let (j, _) = count(&jiaxing);
    let (d, _) = count(&datong);
    let (b, b_out) = count(&both);
    assert!(j > 0 && d > 0);
    assert_eq!(b, j + d, "a case matching either filter runs");
    assert_eq!(count(&flags), (b, b_out));
    assert!(b_out > 0, "others are filtered out");
    let none = run(&["test", "no_such_thing", "nor_this"]);
    assert_eq!(none.code, 1);
    assert!(none.stderr.contains("the filters `no_such_thing`, `nor_this` matched none"), "{}", none.stderr);
}

#[test]
fn test_json_report() {
    let r = run(&["test", CASES_WRONG, "--format", "json"]);
    assert_eq!(r.code, 1);
    let v = one_json(&r);
    assert_eq!((v["passed"].as_u64(), v["failed"].as_u64()), (Some(1), Some(2)));
    let cases = v["files"][0]["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    let wrong = cases.iter().find(|c| c["name"] == "wrong_amount").unwrap();
    assert_eq!(wrong["passed"], false);
    assert!(wrong["failures"][0].as_str().unwrap().contains("expected amount 800"), "{wrong}");
    assert!(cases.iter().all(|c| c["seconds"].is_f64()));
    assert_eq!(v["golden_traces"]["unchanged"], 3);
    // The coverage report goes to stderr then: stdout stays one document.
    let r = run(&["test", "policies/jiaxing", "--format", "json", "--coverage", "--fail-under", "100"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(one_json(&r)["failed"], 0);
    assert!(r.stderr.contains("jiaxing."), "{}", r.stderr);
    // Under `--error-format json` the report for people goes to stderr, so
    // that stdout holds only JSON (error objects, or the `--format json`
    // document).
    let r = run(&["--error-format", "json", "test", CASES_WRONG]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.lines().all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()), "{}", r.stdout);
    assert!(r.stderr.contains("wrong_amount") && r.stderr.contains("1 passed, 2 failed"), "{}", r.stderr);
    let r = run(&["--error-format", "json", "test", CASES_WRONG, "--format", "json"]);
    assert_eq!(one_json(&r)["failed"], 2);
}

#[test]
fn test_junit_report_is_well_formed_xml_with_the_counts() {
    use quick_xml::events::Event;
    let dir = temp();
    // A case file whose policy cannot be loaded, and one that is not a case file.
    write(
        &dir.path().join("gone.cases.json"),
        r#"{"policy": "no.such_policy", "cases": [{"name": "a <b> & \"c\"", "facts": {}, "expect": {"x": {"status": "eligible"}}}]}"#,
    );
    write(&dir.path().join("broken.cases.json"), "{ not json");
    let r = run(&["test", CASES_WRONG, dir.path().to_str().unwrap(), "--format", "junit"]);
    assert_eq!(r.code, 1);
    let mut reader = quick_xml::Reader::from_str(&r.stdout);
    let (mut suites, mut testcases, mut failures, mut errors, mut depth) = (0, 0, 0, 0, 0i32);
    let mut root_counts = None;
    let mut names = Vec::new();
    loop {
        let event = reader.read_event().unwrap_or_else(|e| panic!("not well-formed XML ({e}):\n{}", r.stdout));
        let attr = |e: &quick_xml::events::BytesStart, name: &str| {
            e.try_get_attribute(name).unwrap().map(|a| a.normalized_value(quick_xml::XmlVersion::default()).unwrap().into_owned())
        };
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.name();
                let name: &str = name.as_ref();
                match name {
                    "testsuites" => {
                        root_counts = Some((attr(e, "tests").unwrap(), attr(e, "failures").unwrap(), attr(e, "errors").unwrap()))
                    }
                    "testsuite" => suites += 1,
                    "testcase" => {
                        testcases += 1;
                        names.push(attr(e, "name").unwrap());
                        assert!(attr(e, "time").unwrap().parse::<f64>().is_ok());
                    }
                    "failure" => failures += 1,
                    "error" => errors += 1,
                    other => panic!("unexpected element {other}"),
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::End(_) => depth -= 1,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0);
    assert_eq!(testcases, 4, "three cases and the unloadable one:\n{}", r.stdout);
    assert_eq!(failures, 3);
    assert_eq!(errors, 1, "the file that is not a case file");
    assert_eq!(suites, 3);
    assert_eq!(root_counts, Some(("4".to_string(), "3".to_string(), "1".to_string())));
    assert!(names.contains(&"a <b> & \"c\"".to_string()), "names round-trip through escaping: {names:?}");
}

// ------------------------------------------------------------------ completions

#[test]
fn completions_for_each_shell_know_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = run(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.len() > 1000, "{shell}: a script");
        for sub in ["check", "eval", "test", "schema", "completions", "error-format", "max-errors"] {
            assert!(r.stdout.contains(sub), "{shell} completion mentions {sub}");
        }
    }
    let r = run(&["completions", "tcsh"]);
    assert_eq!(r.code, 2);
}

#[test]
fn bash_completion_script_is_valid_bash() {
    let r = run(&["completions", "bash"]);
    let dir = temp();
    let script = dir.path().join("policy.bash");
    std::fs::write(&script, &r.stdout).unwrap();
    match std::process::Command::new("bash").arg("-n").arg(&script).status() {
        Ok(status) => assert!(status.success(), "bash -n rejects the script"),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("bash is needed under CI=true: {e}"),
        Err(e) => eprintln!("skipped: no bash ({e})"),
    }
}

// ------------------------------------------------------------------ --max-errors

fn many_errors(dir: &Path, n: usize) -> PathBuf {
    let mut text = String::from("policy t.many \"many\"\n  in_force 2021-01-01 .. 2021-12-31\n  version \"1\"\n\n");
    for i in 0..n {
        text.push_str(&format!("let v{i} = unknown_{i} + 1\n"));
    }
    let path = dir.join("many.policy");
    write(&path, &text);
    path
}

#[test]
fn max_errors_caps_the_output_and_counts_the_rest() {
    let dir = temp();
    let file = many_errors(dir.path(), 137);
    let file = file.to_str().unwrap();
    let short = run(&["check", "--error-format", "short", file]);
    assert_eq!(short.code, 1);
    let shown = short.stderr.lines().filter(|l| l.contains("error[C101]")).count();
    assert_eq!(shown, 100, "{}", short.stderr);
    assert!(short.stderr.contains("… and 37 more errors"), "{}", short.stderr);
    assert!(short.stderr.contains("137 errors"), "the summary counts them all: {}", short.stderr);
    let five = run(&["check", "--error-format", "short", "--max-errors", "5", file]);
    assert_eq!(five.stderr.lines().filter(|l| l.contains("error[C101]")).count(), 5);
    assert!(five.stderr.contains("… and 132 more errors"), "{}", five.stderr);
    let human = run(&["check", "--max-errors", "3", file]);
    assert_eq!(human.stderr.matches("error[C101]").count(), 3, "{}", human.stderr);
    assert!(human.stderr.contains("… and 134 more errors"));
    let all = run(&["check", "--error-format", "short", "--max-errors", "0", file]);
    assert_eq!(all.stderr.lines().filter(|l| l.contains("error[C101]")).count(), 137);
    assert!(!all.stderr.contains("more errors"));
    let json = run(&["check", "--error-format", "json", file]);
    assert_eq!(json.stdout.lines().count(), 137, "JSON is for tools: every diagnostic");
}

#[test]
fn max_errors_caps_fact_problems_too() {
    let dir = temp();
    let facts = dir.path().join("facts.json");
    let keys: Vec<String> = (0..12).map(|i| format!("\"unknown_{i}\": 1")).collect();
    write(&facts, &format!("{{{}}}", keys.join(", ")));
    let r = run(&["eval", DATONG_ID, "--facts", facts.to_str().unwrap(), "--max-errors", "4"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr.matches("error: fact `unknown_").count(), 4, "{}", r.stderr);
    assert!(r.stderr.contains("… and 8 more errors"), "{}", r.stderr);
    assert!(r.stderr.contains("(12 problems)"), "{}", r.stderr);
}
