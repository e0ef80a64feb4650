//! `policy eval --facts-lines`: JSON lines in, JSON lines out, in input
//! order, a `{"line", "error"}` object for each line that fails; each
//! decision line is exactly what the library decides for that applicant.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_eval::{DecideOptions, Engine, TraceLevel};
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

const JIAXING: &str = "jiaxing.digital_training_2021";
const LINES: &str = "crates/cli/tests/data/facts/jiaxing_lines.jsonl";

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

/// One output line in short: a decision as `benefit: status [amount]
/// [failed …] [missing …] [trace …]`, an error object as itself.
fn summarise(line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    if v.get("error").is_some() {
        return line.to_string();
    }
    let mut parts = Vec::new();
    for b in v["benefits"].as_array().unwrap() {
        let mut s = format!("{}: {}", b["id"].as_str().unwrap(), b["status"].as_str().unwrap());
        if let Some(a) = b.get("amount") {
            s.push_str(&format!(" {}", a.as_str().unwrap()));
        }
        for key in ["failed", "missing"] {
            if let Some(xs) = b.get(key).and_then(|x| x.as_array()) {
                let ids: Vec<&str> = xs.iter().map(|x| x.get("id").unwrap_or(x).as_str().unwrap()).collect();
                s.push_str(&format!(" {key} [{}]", ids.join(", ")));
            }
        }
        parts.push(s);
    }
    if let Some(t) = v.get("trace") {
        parts.push(format!("trace {}", t["level"].as_str().unwrap()));
    }
    parts.join("; ")
}

fn snapshot(r: &Run) -> String {
    let lines: Vec<String> = r.stdout.lines().map(summarise).collect();
    format!("exit: {}\n--- stdout (summarised)\n{}\n--- stderr\n{}", r.code, lines.join("\n"), r.stderr)
}

#[test]
fn facts_lines_file_with_bad_lines() {
    let r = run(&["eval", JIAXING, "--facts-lines", LINES]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 9, "one output line per input line");
    insta::assert_snapshot!("facts_lines_file", snapshot(&r));
}

#[test]
fn facts_lines_from_stdin_equals_from_file() {
    let text = std::fs::read_to_string(workspace().join(LINES)).unwrap();
    let from_stdin = run_cmd(policy().args(["eval", JIAXING, "--facts-lines", "-"]).write_stdin(text));
    let from_file = run(&["eval", JIAXING, "--facts-lines", LINES]);
    assert_eq!(from_stdin.code, 1);
    assert_eq!(from_stdin.stdout, from_file.stdout);
    assert_eq!(from_stdin.stderr, from_file.stderr);
}

#[test]
fn facts_lines_all_good_exit_0_and_quiet_stderr() {
    let text = std::fs::read_to_string(workspace().join(LINES)).unwrap();
    let good: String = text
        .lines()
        .filter(|l| l.starts_with("{\"clock_hours\": 2") || l.starts_with("{\"clock_hours\": 3"))
        .map(|l| format!("{l}\n"))
        .collect();
    let r = run_cmd(policy().args(["eval", JIAXING, "--facts-lines", "-", "--trace", "summary"]).write_stdin(good));
    assert_eq!(r.code, 0, "{}", r.stderr);
    // stderr is not a terminal here: no progress counter, no summary.
    assert_eq!(r.stderr, "");
    insta::assert_snapshot!("facts_lines_trace_summary", snapshot(&r));
}

/// Each decision line is the library's decision for that line's facts,
/// serialised compactly; more lines than one chunk, so order across chunks
/// is checked too.
#[test]
fn facts_lines_match_the_library_in_order_across_chunks() {
    let n = policy_eval::DEFAULT_CHUNK + 500;
    let districts = ["nanhu", "xiuzhou", "jingkai", "jiashan", "gangqu"];
    let lines: Vec<String> = (0..n)
        .map(|i| {
            serde_json::json!({
                "clock_hours": format!("{}.{}", 20 + i % 20, (i / 20) % 4 * 25),
                "attendance": format!("{}%", 60 + i % 37),
                "has_certificate": i % 11 != 0,
                "training_end": if i % 97 == 0 { "2022-01-03" } else { "2021-06-30" },
                "institution_district": districts[i % districts.len()],
                "designated_institution": true,
                "enterprise_employee": i % 13 != 0,
            })
            .to_string()
        })
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("applicants.jsonl");
    std::fs::write(&path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let r = run(&["eval", JIAXING, "--facts-lines", path.to_str().unwrap(), "--as-of", "2021-07-01"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(out.len(), n);

    let engine = Engine::from_dir(workspace().join("policies")).unwrap();
    let plan = engine.plan(JIAXING).unwrap();
    let opts = DecideOptions { reference_date: "2021-07-01".parse().ok(), trace: TraceLevel::Off, ..Default::default() };
    for (i, (line, got)) in lines.iter().zip(&out).enumerate() {
        let want = serde_json::to_string(&plan.decide(&plan.facts_from_str(line).unwrap(), &opts).unwrap()).unwrap();
        assert_eq!(*got, want, "line {}", i + 1);
    }
}

#[test]
fn facts_lines_argument_errors() {
    // Output is always JSON lines: `--format text` is refused, `--format json` accepted.
    let r = run(&["eval", JIAXING, "--facts-lines", LINES, "--format", "text"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    insta::assert_snapshot!("facts_lines_format_text", snapshot(&r));
    assert_eq!(run(&["eval", JIAXING, "--facts-lines", LINES, "--format", "json"]).code, 1);
    // One of --facts and --facts-lines, not both.
    let r = run(&["eval", JIAXING, "--facts-lines", LINES, "--facts", "x.json"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot be used with"), "{}", r.stderr);
    assert_eq!(run(&["eval", JIAXING]).code, 2);
}

#[test]
fn facts_lines_unknown_benefit_and_missing_file() {
    let r = run(&["eval", JIAXING, "--facts-lines", LINES, "--benefit", "nope"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty(), "nothing is decided: {}", r.stdout);
    insta::assert_snapshot!("facts_lines_unknown_benefit", snapshot(&r));
    let r = run(&["eval", JIAXING, "--facts-lines", "nope.jsonl"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("facts_lines_missing_file", snapshot(&r));
}

#[test]
fn facts_lines_reject_a_key_given_twice_and_warn_of_a_bare_percent() {
    let good = r#"{"clock_hours": 24, "attendance": "85%", "has_certificate": true, "training_end": "2021-09-30", "institution_district": "nanhu", "designated_institution": true, "enterprise_employee": true}"#;
    let twice = good.replace(r#""attendance": "85%""#, r#""attendance": "85%", "attendance": "50%""#);
    let nested_twice = good.replace(r#""clock_hours": 24"#, r#""clock_hours": 24, "x": {"a": 1, "a": 2}"#);
    let bare = good.replace(r#""attendance": "85%""#, r#""attendance": 1"#);
    let input = [good.to_string(), twice, nested_twice, bare].join("\n");
    let r = run_cmd(policy().args(["eval", JIAXING, "--facts-lines", "-", "--as-of", "2021-10-01"]).write_stdin(input));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let lines: Vec<serde_json::Value> = r.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[1]["problems"][0]["fact"], "attendance", "{}", lines[1]);
    assert_eq!(lines[1]["problems"][0]["received"], "\"attendance\" twice");
    assert_eq!(lines[2]["problems"][0]["fact"], "x.a", "{}", lines[2]);
    assert_eq!(lines[3]["warnings"][0]["fact"], "attendance", "{}", lines[3]);
    assert!(lines[0].get("warnings").is_none());
    // Every Jiaxing benefit is dated by its own fact: --as-of changes nothing, said once.
    assert_eq!(r.stderr.matches("warning: --as-of 2021-10-01 is used by no benefit").count(), 1, "{}", r.stderr);
}
