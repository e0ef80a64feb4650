//! Inputs found by the fuzz targets (`fuzz/`, see `docs/robustness.md`) and
//! hand-picked hostile inputs (`cli_*`: the files `docs/robustness.md` feeds
//! to `policy check`), replayed without cargo-fuzz through the properties
//! the targets assert:
//!
//! - `tests/data/regressions/parse/*`: `parse_bytes` and `parse_expr` do
//!   not panic and every diagnostic's span lies within the text;
//! - `tests/data/regressions/check/*`: `check_source` (with the bundled
//!   policies available to `use`) does not panic, a checked policy comes
//!   with no errors, and spans lie within their files;
//! - `tests/data/regressions/fmt_roundtrip/*`: text that parses formats to
//!   text that `fmt::check` accepts (same tree, same comments, idempotent).
//!
//! Every file of each directory also goes through the other two properties.
//! To add a crash: copy `fuzz/artifacts/<target>/crash-…` to the directory
//! under a descriptive name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_core::check::check_source;
use policy_core::diag::Diagnostic;
use policy_core::fmt;
use policy_core::loader::{scan_policy_id, LoadError, Loader, MemoryLoader, Source};
use policy_core::parse::{parse, parse_bytes, parse_expr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/regressions")
}

/// Every file under `tests/data/regressions/<dir>`, sorted.
fn files(dir: &str) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(data_dir().join(dir)) else { return Vec::new() };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

fn all_files() -> Vec<(String, Vec<u8>)> {
    ["parse", "check", "fmt_roundtrip"].iter().flat_map(|d| files(d).into_iter().map(move |(n, b)| (format!("{d}/{n}"), b))).collect()
}

/// The bundled policies and their documents, as the fuzz target sees them.
fn bundled() -> MemoryLoader {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut loader = MemoryLoader::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .flat_map(|d| std::fs::read_dir(d).unwrap().filter_map(|e| e.ok().map(|e| e.path())))
        .collect();
    paths.sort();
    for p in paths {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".policy") {
            loader.add_policy(&p.display().to_string(), &std::fs::read_to_string(&p).unwrap());
        } else if name.ends_with(".source.txt") {
            loader.add_document(&name, &std::fs::read_to_string(&p).unwrap());
        }
    }
    loader
}

/// The bundled policies plus the policy under test, loadable by its own id.
struct WithSelf {
    base: MemoryLoader,
    own: Option<(String, Source)>,
}

impl Loader for WithSelf {
    fn load_policy(&self, id: &str) -> Result<Source, LoadError> {
        match &self.own {
            Some((own, src)) if own == id => Ok(src.clone()),
            _ => self.base.load_policy(id),
        }
    }
    fn load_document(&self, policy_name: &str, path: &str) -> Result<String, LoadError> {
        self.base.load_document(policy_name, path)
    }
}

fn assert_spans_within(what: &str, diags: &[Diagnostic], len: usize) {
    for d in diags {
        assert!(d.span.start <= d.span.end && d.span.end <= len, "{what}: span {:?} outside a {len}-byte text: {}", d.span, d.message);
    }
}

fn parse_property(name: &str, bytes: &[u8]) {
    let parsed = parse_bytes("regression.policy", bytes);
    assert_spans_within(name, &parsed.diagnostics, bytes.len());
    if let Ok(text) = std::str::from_utf8(bytes) {
        if let Err(diags) = parse_expr("regression.expr", text) {
            assert_spans_within(name, &diags, bytes.len());
        }
    }
}

fn check_property(name: &str, bytes: &[u8], base: &MemoryLoader) {
    let src = Source { name: Arc::from("fuzz.policy"), bytes: Arc::from(bytes) };
    let own = std::str::from_utf8(bytes).ok().and_then(scan_policy_id).map(|id| (id, src.clone()));
    let loader = WithSelf { base: base.clone(), own };
    let checked = check_source(&src, &loader);
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    if checked.policy.is_some() {
        assert_eq!(errors, 0, "{name}: a checked policy with errors: {:#?}", checked.diagnostics);
    } else if !checked.files.is_empty() {
        assert!(errors > 0, "{name}: no policy and no error");
    }
    for d in &checked.diagnostics {
        if let Some(f) = checked.files.iter().find(|f| f.name == d.file) {
            assert!(
                d.span.start <= d.span.end && d.span.end <= f.text.len(),
                "{name}: span {:?} outside `{}`: {}",
                d.span,
                d.file,
                d.message
            );
        }
    }
}

fn fmt_property(name: &str, bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let parsed = parse("regression.policy", text);
    if parsed.diagnostics.iter().any(Diagnostic::is_error) {
        return;
    }
    let Some(file) = parsed.file else { return };
    let formatted = fmt::format(&file, text);
    if let Err(e) = fmt::check(&file, text, &formatted) {
        panic!("{name}: unsound formatting: {e}\n--- input\n{text}\n--- formatted\n{formatted}");
    }
    assert_eq!(fmt::format_source("regression.policy", text).ok().as_deref(), Some(formatted.as_str()), "{name}");
}

#[test]
fn regression_inputs_parse_without_panicking() {
    for (name, bytes) in all_files() {
        parse_property(&name, &bytes);
    }
}

#[test]
fn regression_inputs_check_without_panicking() {
    let base = bundled();
    for (name, bytes) in all_files() {
        check_property(&name, &bytes, &base);
    }
}

#[test]
fn regression_inputs_format_soundly() {
    for (name, bytes) in all_files() {
        fmt_property(&name, &bytes);
    }
}

fn check_text(name: &str, text: &str) -> policy_core::check::Checked {
    let src = Source { name: Arc::from(name), bytes: Arc::from(text.as_bytes()) };
    check_source(&src, &MemoryLoader::new())
}

/// `tiers` with overlapping ranges: `n` ranges `i .. i + 2`, each overlapping
/// the one before.
fn overlapping_tiers(n: usize) -> String {
    let tiers: Vec<String> = (0..n).map(|i| format!("{i} .. {} => {i} yuan", i + 2)).collect();
    format!("policy limits.tiers \"档次\"\ninput x: int \"x\"\nlet t = tiers x {{ {} }}\n", tiers.join(", "))
}

#[test]
fn tiers_beyond_the_analysed_limit_check_promptly_without_analysis() {
    use policy_core::limits::MAX_ANALYSED_TIERS;
    // At the limit the analysis runs and reports the overlaps …
    let at = check_text("at.policy", &overlapping_tiers(MAX_ANALYSED_TIERS));
    assert!(at.diagnostics.iter().any(|d| d.code.id == "R301"), "{:#?}", at.diagnostics.first());
    // … beyond it (here 5,000 tiers, a cubic analysis of 10^11 steps) it is
    // skipped, and checking stays fast.
    let started = std::time::Instant::now();
    let beyond = check_text("beyond.policy", &overlapping_tiers(5_000));
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "took {:?}", started.elapsed());
    assert!(!beyond.diagnostics.iter().any(|d| d.code.id == "R301"), "{:#?}", beyond.diagnostics.first());
}

fn timed_check(name: &str, text: &str) -> policy_core::check::Checked {
    assert!(text.len() <= policy_core::limits::MAX_SOURCE_BYTES, "{name}: {} bytes", text.len());
    let started = std::time::Instant::now();
    let checked = check_text(name, text);
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(20), "{name} took {took:?}");
    checked
}

fn hints(checked: &policy_core::check::Checked) -> usize {
    checked.diagnostics.iter().filter(|d| d.help.as_deref().is_some_and(|h| h.contains("did you mean"))).count()
}

fn misspelt(inputs: usize, unknown: usize) -> String {
    let mut text = String::from("policy limits.hints \"提示\"\n");
    for i in 0..inputs {
        text.push_str(&format!("input abcdefgh{i:05}: int \"x\"\n"));
    }
    for i in 0..unknown {
        text.push_str(&format!("let l{i} = abcdefgx{i:05}\n"));
    }
    text
}

/// Found with the `check` target's harness on a generated 219 KB file:
/// every unknown name was compared with every name in scope, so 4,000
/// misspelt names among 4,000 inputs took 124 s (250 s in `policy check`).
/// Now a check gives at most 100 hints, and none when more than 1,000 names
/// have about the unknown name's length.
#[test]
fn many_misspelt_names_check_promptly() {
    let checked = timed_check("hints.policy", &misspelt(900, 4_000));
    assert_eq!(checked.diagnostics.iter().filter(|d| d.code.id == "C101").count(), 4_000, "{:#?}", checked.diagnostics.first());
    // The first unknown names still get their hint; the number is bounded.
    assert_eq!(
        checked.diagnostics.iter().find(|d| d.code.id == "C101").and_then(|d| d.help.as_deref()),
        Some("did you mean `abcdefgh00000`?")
    );
    let n = hints(&checked);
    assert!((1..=100).contains(&n), "{n} hints");

    let checked = timed_check("crowded.policy", &misspelt(4_000, 4_000));
    assert_eq!(checked.diagnostics.iter().filter(|d| d.code.id == "C101").count(), 4_000);
    assert_eq!(hints(&checked), 0);
}

/// The same for unknown variants and fields, whose fallback help listed every
/// variant (field): 4,000 of them × 4,000 errors was 100 MB of messages.
#[test]
fn many_unknown_variants_and_fields_check_promptly() {
    let k = 4_000;
    let variants: Vec<String> = (0..k).map(|i| format!("v{i}")).collect();
    let fields: Vec<String> = (0..k).map(|i| format!("f{i}: int \"f\"")).collect();
    let mut text = format!(
        "policy limits.variants \"变体\"\nenum e \"e\" {{ {} }}\nrecord r \"r\" {{ {} }}\ninput x: r \"x\"\n",
        variants.join(", "),
        fields.join(", ")
    );
    for i in 0..k {
        text.push_str(&format!("let a{i} = e.w{i}\nlet b{i} = x.g{i}\n"));
    }
    let checked = timed_check("variants.policy", &text);
    assert!(checked.diagnostics.iter().filter(|d| d.code.id == "C101").count() >= 2 * k);
    let help_bytes: usize = checked.diagnostics.iter().filter_map(|d| d.help.as_ref()).map(String::len).sum();
    assert!(help_bytes < 10 << 20, "{help_bytes} bytes of help");
}

/// Found with the `check` target's harness on generated ~1 MB files: each
/// overlap message quotes the line of the earlier period, found by rescanning
/// the text, so 22,000 overlapping parameter versions took 15 s (18,000 rule
/// versions 11 s).
#[test]
fn many_overlapping_periods_check_promptly() {
    let n = 22_000;
    let mut text = String::from("policy limits.periods \"期间\"\nparam p: money \"p\" {\n");
    for _ in 0..n {
        text.push_str("  from 2016-01-01 until 2030-01-01 => 1 yuan\n");
    }
    text.push_str("}\n");
    let checked = timed_check("periods.policy", &text);
    let overlaps: Vec<&Diagnostic> = checked.diagnostics.iter().filter(|d| d.code.id == "R304").collect();
    assert_eq!(overlaps.len(), n - 1, "{:#?}", checked.diagnostics.first());
    // Versions start on line 3, one per line; the messages name them.
    assert!(overlaps.iter().any(|d| d.message.contains("(line 3)")), "{}", overlaps[0].message);
    assert!(overlaps.iter().any(|d| d.message.contains(&format!("(line {})", n + 1))), "{}", overlaps[0].message);

    let m = 18_000;
    let mut text = String::from("policy limits.versions \"版本\"\nbenefit b \"b\" {\n  payee person\n");
    for _ in 0..m {
        text.push_str("  from 2016-01-01 until 2030-01-01 { amount 1 yuan }\n");
    }
    text.push_str("}\n");
    let checked = timed_check("versions.policy", &text);
    assert_eq!(checked.diagnostics.iter().filter(|d| d.code.id == "R306").count(), m - 1, "{:#?}", checked.diagnostics.first());
}

/// pest runs without its native stack probe (the `std` feature, off in the
/// workspace's `Cargo.toml`): the pre-scan's bracket limit
/// (`limits::MAX_NESTING`) is what bounds the parser's recursion, since every
/// form that nests (lists, sets, calls, `if`, `match`, `tiers`, `scale`)
/// nests inside brackets and prefix operators are a loop. This pins the
/// stack that the deepest accepted nesting of every such form needs: it
/// parses and checks on a 1 MiB thread in a debug build (measured: 512 KiB
/// is too little, with or without pest's probe; a release build needs under
/// 256 KiB; a spawned thread's default is 2 MiB).
#[test]
fn the_deepest_accepted_nesting_fits_a_small_stack() {
    let depth = policy_core::limits::MAX_NESTING / 2;
    let forms: [(&str, &str); 6] = [
        ("(", ")"),
        ("[", "]"),
        ("max(1, ", ")"),
        ("if true { ", " } else { 0 }"),
        ("tiers 1 { >= 0 => ", ", else => 0 }"),
        ("match kind { a => ", ", _ => 0 }"),
    ];
    for (open, close) in forms {
        let mut e = "not not - - 1".to_string();
        for _ in 0..depth {
            e = format!("{open}{e}{close}");
        }
        // A second half of the depth spent on brackets inside the innermost form.
        let inner = format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
        let e = e.replacen("1", &inner, 1);
        let text = format!("policy t.deep \"深\"\nenum k \"类\" {{ a \"甲\", b \"乙\" }}\ninput kind: k \"类\"\nlet x = {e}\n");
        let run = move || {
            let checked = check_text("deep.policy", &text);
            checked.diagnostics.iter().all(|d| d.code.id != "P003" && !d.message.contains("stack"))
        };
        let within = std::thread::Builder::new().stack_size(1024 * 1024).spawn(run).unwrap().join();
        assert_eq!(within.ok(), Some(true), "{open}…{close} nested {depth} deep, then {depth} brackets");
    }
}

/// Counts the policies a check asks its loader for.
struct Counting {
    inner: MemoryLoader,
    loads: std::sync::atomic::AtomicUsize,
}

impl Loader for Counting {
    fn load_policy(&self, id: &str) -> Result<Source, LoadError> {
        self.loads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.load_policy(id)
    }
    fn load_document(&self, policy_name: &str, path: &str) -> Result<String, LoadError> {
        self.inner.load_document(policy_name, path)
    }
}

/// A chain of amendments is checked in work that grows with its length, not
/// with the number of paths through it (each amended policy is checked alone
/// once; without that, each link doubled the work), and a chain past the
/// depth limit is an error, not a hang.
#[test]
fn a_chain_of_amendments_checks_each_policy_alone_once() {
    let chain = |n: usize| {
        let mut inner = MemoryLoader::new();
        inner.add_policy("p0.policy", "policy d.p0 \"零\"\nparam rate: int {\n  from 2020-01-01 => 0\n}\n").unwrap();
        for i in 1..=n {
            let text = format!("policy d.p{i} \"修\"\n  amends d.p{}\namend param rate {{\n  from 2020-02-{i:02} => {i}\n}}\n", i - 1);
            inner.add_policy(&format!("p{i}.policy"), &text).unwrap();
        }
        let top = inner.load_policy(&format!("d.p{n}")).unwrap();
        let loader = Counting { inner, loads: Default::default() };
        let checked = check_source(&top, &loader);
        (checked, loader.loads.into_inner())
    };
    let (ok, loads) = chain(14);
    assert!(ok.policy.is_some(), "{:?}", ok.diagnostics);
    assert!(loads <= 2 * 14 * 14, "{loads} loads for a chain of 14");
    let (deep, loads) = chain(24);
    assert!(deep.diagnostics.iter().any(|d| d.code.id == "A403" && d.message.contains("deeper than the limit")), "{:?}", deep.diagnostics);
    assert!(loads <= 2 * 24 * 24, "{loads} loads for a chain of 24");
}
