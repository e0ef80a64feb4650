//! Diagnostics harness: every file under `tests/data/invalid/` goes through
//! parse and check (with a [`MemoryLoader`] holding the file and the
//! companions in `tests/data/invalid/companions/`); each diagnostic is
//! rendered with miette's graphical handler (no colours, fixed width) and the
//! rendering is snapshotted with insta (`tests/snapshots/`).
//!
//! Each invalid file starts with a `# expect: CODE, CODE…` line: the set of
//! codes the checker must report for it, no more and no less. Files whose
//! codes are all warnings test that warning; every other file must yield at
//! least one error.
//!
//! Generated inputs (too large, too deep, too many items) are built here
//! rather than committed, and are timed: each must come back with its
//! diagnostic promptly. Everything runs inside `catch_unwind`.
//!
//! Regenerate snapshots with `INSTA_UPDATE=always cargo test -p policy-core --test diagnostics`
//! (or `cargo insta review`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use miette::{GraphicalReportHandler, GraphicalTheme, NamedSource, Report};
use policy_core::check::{check_source, Checked};
use policy_core::diag::{codes, Diagnostic, Severity};
use policy_core::loader::{MemoryLoader, Source};
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

// ===================================================================== helpers

fn invalid_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/invalid")
}

/// The invalid policies, sorted by name (companions excluded).
fn invalid_files() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(invalid_dir())
        .expect("tests/data/invalid exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "policy"))
        .collect();
    out.sort();
    out
}

/// A loader holding every companion: `*.policy` files by id, anything else
/// as a document under its file name.
fn companions() -> MemoryLoader {
    let mut loader = MemoryLoader::new();
    let mut paths: Vec<PathBuf> =
        std::fs::read_dir(invalid_dir().join("companions")).expect("companions exist").filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let text = std::fs::read_to_string(&p).expect("companions are UTF-8");
        if name.ends_with(".policy") {
            loader.add_policy(&format!("companions/{name}"), &text).expect("companion has a policy header");
        } else {
            loader.add_document(&name, &text);
        }
    }
    loader
}

/// The codes named by the file's `# expect:` line.
fn expected_codes(bytes: &[u8]) -> BTreeSet<String> {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().find_map(|l| l.strip_prefix("# expect:")).unwrap_or_default();
    line.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect()
}

/// Parses and checks `bytes` as `name`, with `loader` also holding the file
/// itself (when it has a readable header), inside `catch_unwind`.
fn run(name: &str, bytes: &[u8], mut loader: MemoryLoader) -> Result<Checked, String> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        loader.add_policy(name, text);
    }
    let source = Source { name: Arc::from(name), bytes: Arc::from(bytes) };
    catch_unwind(AssertUnwindSafe(|| check_source(&source, &loader))).map_err(|e| panic_message(&e))
}

fn panic_message(e: &Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_else(|| "panic".into())
}

fn handler() -> GraphicalReportHandler {
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100).with_links(false)
}

/// Renders every diagnostic with its source attached (the file it names,
/// found among the checked files, else `fallback`, the raw input).
fn render(checked: &Checked, fallback: &[u8]) -> String {
    let handler = handler();
    let mut out = String::new();
    for d in &checked.diagnostics {
        let text = checked
            .files
            .iter()
            .find(|f| f.name == d.file)
            .map(|f| f.text.to_string())
            .unwrap_or_else(|| String::from_utf8_lossy(fallback).into_owned());
        out.push_str(&render_one(&handler, d, &text));
        out.push('\n');
    }
    out
}

fn render_one(handler: &GraphicalReportHandler, d: &Diagnostic, text: &str) -> String {
    let report = Report::new(d.clone()).with_source_code(NamedSource::new(&*d.file, text.to_string()));
    let mut s = String::new();
    match catch_unwind(AssertUnwindSafe(|| handler.render_report(&mut s, report.as_ref()))) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => s = format!("<render error: {e}>\n"),
        Err(e) => panic!("rendering {} {} panicked: {}", d.code.id, d.message, panic_message(&e)),
    }
    // Trailing spaces differ between miette versions; they carry nothing.
    s.lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
}

fn codes_of(checked: &Checked) -> BTreeSet<String> {
    checked.diagnostics.iter().map(|d| d.code.id.to_string()).collect()
}

fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_snapshot_path("snapshots/diagnostics");
    s
}

/// Runs `f` and asserts it came back within `limit`.
fn timed<T>(what: &str, limit: Duration, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < limit, "{what} took {took:?}, more than {limit:?}");
    out
}

// ===================================================================== the invalid files

/// Codes no single file can produce through parse and check, with why.
/// `docs/errors.md` says the same.
const NOT_FROM_ONE_FILE: &[(&str, &str)] = &[
    ("R305", "assertions are evaluated by policy-eval when a plan is built, not by the checker"),
    ("R308", "assertions are evaluated by policy-eval when a plan is built, not by the checker"),
];

/// Codes exercised by inputs this file generates instead of committing.
const GENERATED: &[&str] = &["P003", "P004", "P009"];

#[test]
fn every_invalid_file_reports_exactly_its_expected_codes() {
    let files = invalid_files();
    assert!(files.len() >= 40, "only {} invalid files", files.len());
    let mut problems = Vec::new();
    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let bytes = std::fs::read(path).expect("readable");
        let expect = expected_codes(&bytes);
        if expect.is_empty() {
            problems.push(format!("{name}: no `# expect:` line"));
            continue;
        }
        let checked = match run(&name, &bytes, companions()) {
            Ok(c) => c,
            Err(p) => {
                problems.push(format!("{name}: PANICKED: {p}"));
                continue;
            }
        };
        let got = codes_of(&checked);
        if got != expect {
            let listing: Vec<String> = checked.diagnostics.iter().map(|d| format!("    {} {}", d.code.id, d.message)).collect();
            problems.push(format!("{name}: expected {expect:?}, got {got:?}\n{}", listing.join("\n")));
        }
        let expects_error = expect.iter().any(|c| codes::ALL.iter().any(|k| k.id == c && !is_warning_code(k.id)));
        if expects_error && !checked.diagnostics.iter().any(Diagnostic::is_error) {
            problems.push(format!("{name}: no error reported"));
        }
        if expects_error && checked.policy.is_some() {
            problems.push(format!("{name}: a checked policy was produced despite errors"));
        }
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

/// The codes that are warnings (the policy still compiles).
fn is_warning_code(id: &str) -> bool {
    matches!(id, "C108" | "C109" | "C110" | "C112" | "P012" | "R302" | "R310" | "R311" | "A402")
}

#[test]
fn warning_files_still_produce_a_policy() {
    for path in invalid_files() {
        let bytes = std::fs::read(&path).expect("readable");
        let expect = expected_codes(&bytes);
        if expect.is_empty() || !expect.iter().all(|c| is_warning_code(c)) {
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let checked = run(&name, &bytes, companions()).expect("no panic");
        assert!(checked.diagnostics.iter().all(|d| d.severity == Severity::Warning), "{name}: {:?}", checked.diagnostics);
        assert!(checked.policy.is_some(), "{name}: warnings alone must not block the policy");
    }
}

#[test]
fn every_code_is_exercised() {
    let mut exercised: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in invalid_files() {
        let bytes = std::fs::read(&path).expect("readable");
        for c in expected_codes(&bytes) {
            exercised.entry(c).or_default().push(path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string());
        }
    }
    for c in GENERATED {
        exercised.entry((*c).to_string()).or_default().push("generated in diagnostics.rs".into());
    }
    let excused: BTreeSet<&str> = NOT_FROM_ONE_FILE.iter().map(|(c, _)| *c).collect();
    let missing: Vec<&str> = codes::ALL.iter().map(|c| c.id).filter(|id| !exercised.contains_key(*id) && !excused.contains(id)).collect();
    assert!(missing.is_empty(), "codes without a test file: {missing:?}");
    for c in &excused {
        assert!(!exercised.contains_key(*c), "{c} is excused as unreachable but a test produces it: update NOT_FROM_ONE_FILE");
        assert!(codes::ALL.iter().any(|k| k.id == *c), "{c} is not a code");
    }
    let unknown: Vec<&String> = exercised.keys().filter(|c| !codes::ALL.iter().any(|k| k.id == c.as_str())).collect();
    assert!(unknown.is_empty(), "files expect codes that do not exist: {unknown:?}");
    // Every code's warning/error status agrees with `is_warning_code`.
    for path in invalid_files() {
        let bytes = std::fs::read(&path).expect("readable");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let checked = run(&name, &bytes, companions()).expect("no panic");
        for d in &checked.diagnostics {
            assert_eq!(d.severity == Severity::Warning, is_warning_code(d.code.id), "{name}: {} has severity {:?}", d.code.id, d.severity);
        }
    }
}

#[test]
fn ten_mistakes_are_all_reported() {
    let path = invalid_dir().join("ten_mistakes.policy");
    let bytes = std::fs::read(&path).expect("readable");
    let checked = run("ten_mistakes.policy", &bytes, companions()).expect("no panic");
    assert!(checked.diagnostics.len() >= 10, "only {} diagnostics: {:#?}", checked.diagnostics.len(), checked.diagnostics);
    assert_eq!(codes_of(&checked).len(), 10, "ten distinct codes expected: {:?}", codes_of(&checked));
    // In source order, one per mistake line.
    let text = String::from_utf8_lossy(&bytes);
    let lines: BTreeSet<usize> = checked.diagnostics.iter().map(|d| d.line_col(&text).0).collect();
    assert!(lines.len() >= 10, "mistakes on only {} distinct lines: {lines:?}", lines.len());
}

#[test]
fn snapshots_of_rendered_diagnostics() {
    let settings = snapshot_settings();
    settings.bind(|| {
        insta::glob!("data/invalid/*.policy", |path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            let bytes = std::fs::read(path).expect("readable");
            let checked = run(&name, &bytes, companions()).expect("no panic");
            insta::assert_snapshot!(render(&checked, &bytes));
        });
    });
}

#[test]
fn rendering_is_deterministic() {
    for path in invalid_files() {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let bytes = std::fs::read(&path).expect("readable");
        let a = render(&run(&name, &bytes, companions()).expect("no panic"), &bytes);
        let b = render(&run(&name, &bytes, companions()).expect("no panic"), &bytes);
        assert_eq!(a, b, "{name} renders differently on a second run");
    }
}

#[test]
fn every_span_lies_on_char_boundaries_of_its_file() {
    for path in invalid_files() {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let bytes = std::fs::read(&path).expect("readable");
        let checked = run(&name, &bytes, companions()).expect("no panic");
        for d in &checked.diagnostics {
            let text = checked.files.iter().find(|f| f.name == d.file).map(|f| f.text.to_string()).unwrap_or_default();
            if text.is_empty() {
                continue; // The header never parsed: the span is 0..0.
            }
            assert!(d.span.start <= d.span.end && d.span.end <= text.len(), "{name}: {} span {:?} outside the file", d.code.id, d.span);
            assert!(
                text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end),
                "{name}: {} span {:?} splits a character",
                d.code.id,
                d.span
            );
        }
    }
}

// ===================================================================== specific diagnostics

fn check_text(name: &str, text: &str) -> Checked {
    run(name, text.as_bytes(), companions()).expect("no panic")
}

fn find<'a>(checked: &'a Checked, code: &str) -> &'a Diagnostic {
    checked.diagnostics.iter().find(|d| d.code.id == code).unwrap_or_else(|| panic!("no {code} in {:#?}", checked.diagnostics))
}

#[test]
fn unknown_name_suggests_the_closest_name() {
    let bytes = std::fs::read(invalid_dir().join("unknown_name.policy")).expect("readable");
    let checked = run("unknown_name.policy", &bytes, companions()).expect("no panic");
    let d = find(&checked, "C101");
    assert_eq!(d.help.as_deref(), Some("did you mean `training_hours`?"));
}

#[test]
fn single_equals_hints_at_double_equals() {
    let bytes = std::fs::read(invalid_dir().join("syntax_single_equals.policy")).expect("readable");
    let checked = run("syntax_single_equals.policy", &bytes, companions()).expect("no panic");
    assert_eq!(find(&checked, "P001").help.as_deref(), Some("comparison is written `==`"));
}

#[test]
fn import_cycle_names_the_chain() {
    let bytes = std::fs::read(invalid_dir().join("import_cycle.policy")).expect("readable");
    let checked = run("import_cycle.policy", &bytes, companions()).expect("no panic");
    let d = find(&checked, "C104");
    assert!(d.message.contains("invalid.import_cycle -> invalid.cycle_partner -> invalid.import_cycle"), "{}", d.message);
    assert_eq!(&*d.file, "companions/cycle_partner.policy");
}

#[test]
fn malformed_utf8_reports_the_offset() {
    let bytes = std::fs::read(invalid_dir().join("malformed_utf8.policy")).expect("readable");
    let checked = run("malformed_utf8.policy", &bytes, companions()).expect("no panic");
    let d = find(&checked, "P005");
    let at = std::str::from_utf8(&bytes).err().map(|e| e.valid_up_to()).expect("invalid on purpose");
    assert!(d.message.contains(&format!("offset {at}")), "{}", d.message);
}

#[test]
fn import_chain_deeper_than_the_limit_is_reported() {
    // p0 uses p1 uses … p20: the chain passes the limit of 16.
    let mut loader = companions();
    for i in 1..=20 {
        let next = if i < 20 { format!("use chain.p{}\n", i + 1) } else { String::new() };
        loader.add_policy(&format!("p{i}.policy"), &format!("policy chain.p{i} \"链{i}\"\n{next}unit u{i} \"单位\"\n"));
    }
    let text = "policy chain.p0 \"链0\"\nuse chain.p1\n";
    let checked = run("p0.policy", text.as_bytes(), loader).expect("no panic");
    let d = find(&checked, "C104");
    assert!(d.message.contains("deeper than the limit of 16"), "{}", d.message);
}

#[test]
fn diamond_imports_are_not_a_cycle() {
    let mut loader = MemoryLoader::new();
    loader.add_policy("base.policy", "policy d.base \"基\"\nunit lesson_hour \"课时\"\n");
    loader.add_policy("left.policy", "policy d.left \"左\"\nuse d.base\n");
    loader.add_policy("right.policy", "policy d.right \"右\"\nuse d.base\n");
    let text = "policy d.top \"顶\"\nuse d.left\nuse d.right\nuse d.base\ninput h: base.lesson_hour \"课时\"\nbenefit b \"补贴\" {\n  payee person\n  require ok: h >= 1 base.lesson_hour \"够\"\n  amount 1 yuan\n}\n";
    let checked = run("top.policy", text.as_bytes(), loader).expect("no panic");
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
    assert!(checked.policy.is_some());
}

#[test]
fn a_valid_file_has_no_diagnostics() {
    let text = "policy invalid.baseline \"基线\"\nunit clock_hour \"小时\"\ninput hours: clock_hour \"培训小时数\"\nbenefit subsidy \"补贴\" {\n  payee person\n  require enough: hours >= 10 clock_hour \"够时长\"\n  amount 800 yuan\n}\n";
    let checked = check_text("baseline.policy", text);
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
    assert!(checked.policy.is_some());
}

#[test]
fn every_bundled_policy_checks_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let loader = policy_core::loader::DirLoader::new(&[&root]);
    let ids: Vec<String> = loader.policies().map(|(id, _)| id.to_string()).collect();
    assert!(!ids.is_empty());
    for id in ids {
        let checked = catch_unwind(AssertUnwindSafe(|| policy_core::check::check_id(&id, &loader))).expect("no panic");
        let errors: Vec<&Diagnostic> = checked.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{id}: {errors:#?}");
    }
}

// ===================================================================== generated inputs

/// Parse-and-check must not take longer than this on any generated input
/// (debug build, a shared machine).
const PROMPT: Duration = Duration::from_secs(20);

fn header(id: &str) -> String {
    format!("policy generated.{id} \"生成\"\ninput hours: int \"培训小时数\"\n")
}

/// Checks a generated input, renders its diagnostics, and returns both.
fn generated(name: &str, bytes: &[u8]) -> (Checked, String) {
    let checked = timed(name, PROMPT, || run(name, bytes, MemoryLoader::new()).unwrap_or_else(|p| panic!("{name} panicked: {p}")));
    let rendered = render(&checked, bytes);
    (checked, rendered)
}

fn assert_only(checked: &Checked, code: &str) {
    assert!(!checked.diagnostics.is_empty(), "no diagnostic, expected {code}");
    assert!(checked.diagnostics.iter().all(|d| d.code.id == code), "expected only {code}: {:#?}", checked.diagnostics);
}

#[test]
fn hundred_thousand_open_parentheses() {
    let text = format!("{}let deep = {}hours\n", header("parens"), "(\n".repeat(100_000));
    let (checked, rendered) = generated("parens.policy", text.as_bytes());
    assert_only(&checked, "P003");
    snapshot_settings().bind(|| insta::assert_snapshot!("generated_parens", rendered));
}

#[test]
fn hundred_thousand_balanced_parentheses_of_every_kind() {
    for (open, close) in [("(", ")"), ("[", "]"), ("{", "}")] {
        let text = format!("{}let deep = {}hours{}\n", header("balanced"), open.repeat(100_000), close.repeat(100_000));
        let (checked, _) = generated("balanced.policy", text.as_bytes());
        assert_only(&checked, "P003");
    }
}

#[test]
fn long_operator_chains_are_bounded() {
    // Each folds into a tree as deep as the chain is long, which the checker
    // walks recursively: past the limit it is a diagnostic, not a crash.
    // Pieces start on new lines: miette's renderer cannot show a column past
    // 65535 (see `miette_cannot_render_columns_past_u16`).
    for (what, piece) in
        [("plus", "\n + 1"), ("and", "\n and true"), ("or", "\n == 1 or hours"), ("field", "\n .a"), ("as", "\n as u"), ("index", "\n [1]")]
    {
        let reps = (900 * 1024 / piece.len()).min(100_000);
        let text = format!("{}let long = hours{}\n", header(what), piece.repeat(reps));
        let (checked, _) = generated(what, text.as_bytes());
        assert_only(&checked, "P003");
    }
    // A chain of 60 is fine (no P003).
    let text = format!(
        "{}let long = hours{}\nbenefit b \"补贴\" {{\n  payee person\n  require ok: long > 1 \"够\"\n  amount 1 yuan\n}}\n",
        header("short"),
        " + 1".repeat(60)
    );
    let (checked, _) = generated("short", text.as_bytes());
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
}

#[test]
fn tallest_accepted_chain_checks_on_a_one_mebibyte_stack() {
    // `hours + 1 + … + 1` with 63 operators is a tree of height 64, the
    // deepest accepted; checking it must fit a small thread even in debug.
    let text = format!(
        "{}let long = hours{}\nbenefit b \"补贴\" {{\n  payee person\n  require ok: long > 1 \"够\"\n  amount 1 yuan\n}}\n",
        header("tallest"),
        " + 1".repeat(policy_core::limits::MAX_EXPR_DEPTH - 1)
    );
    let checked = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || run("tallest.policy", text.as_bytes(), MemoryLoader::new()))
        .expect("thread")
        .join()
        .expect("no stack overflow")
        .expect("no panic");
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
    // One more operator is a diagnostic.
    let text = format!("{}let long = hours{}\n", header("taller"), " + 1".repeat(policy_core::limits::MAX_EXPR_DEPTH));
    let (checked, _) = generated("taller.policy", text.as_bytes());
    assert_only(&checked, "P003");
}

#[test]
fn nested_brackets_with_chains_inside_are_bounded() {
    // 40 bracket levels, each holding a chain of 10: deep only in sum.
    let mut e = String::from("hours");
    for _ in 0..40 {
        e = format!("({e}{})", " + 1".repeat(10));
    }
    let text = format!("{}let deep = {e}\n", header("mixed"));
    let (checked, _) = generated("mixed", text.as_bytes());
    assert_only(&checked, "P003");
}

#[test]
fn many_prefix_operators_are_bounded() {
    for piece in ["not\n", "-\n"] {
        let text = format!("{}let deep = {}hours\n", header("prefix"), piece.repeat(100_000));
        let (checked, _) = generated("prefix", text.as_bytes());
        assert_only(&checked, "P003");
    }
}

#[test]
fn ten_megabyte_file() {
    let mut text = header("huge");
    let line = "# 这一行是注释，用来把文件撑大。This line is a comment that makes the file large.\n";
    while text.len() < 10 * 1024 * 1024 {
        text.push_str(line);
    }
    let (checked, rendered) = generated("huge.policy", text.as_bytes());
    assert_only(&checked, "P004");
    assert!(checked.diagnostics[0].message.contains("more than the limit of 1048576 bytes"));
    snapshot_settings().bind(|| insta::assert_snapshot!("generated_ten_megabytes", rendered));
}

#[test]
fn file_just_over_one_mebibyte() {
    let mut text = header("over");
    while text.len() <= 1024 * 1024 {
        text.push_str("let x = 1\n");
    }
    let (checked, _) = generated("over.policy", text.as_bytes());
    assert_only(&checked, "P004");
}

#[test]
fn ten_megabytes_of_invalid_utf8() {
    let mut bytes = header("bytes").into_bytes();
    bytes.resize(10 * 1024 * 1024, 0xFF);
    let (checked, _) = generated("bytes.policy", &bytes);
    assert!(checked.diagnostics.iter().any(|d| d.code.id == "P005" || d.code.id == "P004"), "{:#?}", checked.diagnostics);
}

#[test]
fn more_items_than_the_limit() {
    let mut text = header("items");
    for i in 0..10_001 {
        text.push_str(&format!("unit u{i} \"单位\"\n"));
    }
    let (checked, rendered) = generated("items.policy", text.as_bytes());
    assert_only(&checked, "P009");
    snapshot_settings().bind(|| insta::assert_snapshot!("generated_items", rendered));
}

#[test]
fn large_valid_file_under_the_limit_checks_promptly() {
    // ~900 KiB: many small declarations, all used, just under the size limit.
    let mut text = String::from("policy generated.large \"大文件\"\n");
    let mut i = 0;
    while text.len() < 900 * 1024 {
        text.push_str(&format!("input in{i}: int \"输入{i}\"\nlet l{i} = in{i} * 2 + 1\n"));
        i += 1;
    }
    text.push_str("benefit b \"补贴\" {\n  payee person\n  require ok: l0 > 1 \"够\"\n  amount 1 yuan\n}\n");
    let (checked, _) = generated("large.policy", text.as_bytes());
    assert!(checked.diagnostics.iter().all(|d| d.code.id == "C108" || d.code.id == "P009"), "{:#?}", checked.diagnostics.first());
}

#[test]
fn many_syntax_errors_are_each_reported() {
    let mut text = header("errors");
    for i in 0..2_000 {
        text.push_str(&format!("let broken{i} = 1 +\n"));
    }
    let (checked, _) = generated("errors.policy", text.as_bytes());
    assert_eq!(checked.diagnostics.iter().filter(|d| d.code.id == "P001").count(), 2_000);
}

#[test]
fn truncations_of_a_real_policy_never_panic() {
    // Every prefix of a real policy (cut at character boundaries, in steps)
    // parses and checks without a panic.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/jiaxing/digital_training_2021.policy");
    let text = std::fs::read_to_string(path).expect("bundled policy");
    let cuts: Vec<usize> = (0..text.len()).step_by(97).filter(|i| text.is_char_boundary(*i)).collect();
    for cut in cuts {
        let prefix = &text[..cut];
        let r = run("prefix.policy", prefix.as_bytes(), MemoryLoader::new());
        assert!(r.is_ok(), "prefix of {cut} bytes panicked: {:?}", r.err());
        if let Ok(checked) = r {
            render(&checked, prefix.as_bytes());
        }
    }
}

#[test]
fn parse_expr_reports_trailing_text_and_depth() {
    use policy_core::parse::parse_expr;
    assert!(parse_expr("e", "1 + 2").is_ok());
    let e = parse_expr("e", "1 + 2 )").expect_err("trailing text");
    assert_eq!(e[0].code.id, "P001");
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let e = timed("parse_expr deep", PROMPT, || parse_expr("e", &deep)).expect_err("too deep");
    assert_eq!(e[0].code, codes::TOO_DEEP);
    let chain = format!("1{}", " + 1".repeat(10_000));
    let e = timed("parse_expr chain", PROMPT, || parse_expr("e", &chain)).expect_err("too deep");
    assert_eq!(e[0].code, codes::TOO_DEEP);
}

// ===================================================================== docs/errors.md

#[test]
fn errors_md_documents_every_code() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/errors.md")).expect("docs/errors.md");
    for c in codes::ALL {
        let severity = if is_warning_code(c.id) { "warning" } else { "error" };
        let row = format!("| [{}](#{}) | {severity} | {} |", c.id, c.id.to_lowercase(), c.summary);
        assert!(doc.contains(&row), "docs/errors.md has no table row `{row}`");
        assert!(doc.contains(&format!("\n### {}\n", c.id)), "docs/errors.md has no section for {}", c.id);
    }
    for (c, _) in NOT_FROM_ONE_FILE {
        assert!(doc.contains(&format!("| {c} |")), "docs/errors.md does not list {c} among the codes a file cannot produce");
    }
    // Every test file named in the doc exists.
    for word in doc.split(|ch: char| ch == '`' || ch.is_whitespace()) {
        if word.ends_with(".policy")
            && !word.contains('/')
            && word.starts_with(|ch: char| ch.is_ascii_lowercase())
            && !word.contains('*')
            && word != "a.policy"
        {
            let exists = invalid_dir().join(word).exists() || invalid_dir().join("companions").join(word).exists();
            assert!(exists, "docs/errors.md names {word}, which is not in tests/data/invalid");
        }
    }
}
