//! Inputs found by the fuzz targets (`fuzz/`, see `docs/robustness.md`) and
//! the hand-picked seeds of `fuzz/seeds/` (`seed_*`), replayed without
//! cargo-fuzz; the limits on facts; the evaluation step limit.
//!
//! - `tests/data/regressions/eval_bundled/*`: a 2-byte reference-date
//!   selector (little-endian `n`: 0 is none, else 2014-01-01 plus `n - 1`
//!   days) followed by facts JSON, decided against every bundled policy;
//! - `tests/data/regressions/eval_arbitrary/*`: the selector, a policy text,
//!   a NUL byte and facts JSON (no NUL: `{}`); the policy is compiled with
//!   the bundled policies available to `use` and, when it compiles, decided.
//!
//! Nothing may panic, and decisions must be identical at trace levels full,
//! summary and off (and survive a JSON round trip). To add a crash: copy
//! `fuzz/artifacts/<target>/crash-…` to the directory under a descriptive
//! name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chrono::NaiveDate;
use policy_core::loader::{scan_policy_id, LoadError, Loader, MemoryLoader, Source};
use policy_eval::facts::{MAX_FACT_DEPTH, MAX_LIST_LEN, MAX_TEXT_LEN};
use policy_eval::{DecideOptions, Decision, Engine, EvalError, Facts, Plan, TraceLevel};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(dir: &str) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/regressions").join(dir)) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::from_dir(root().join("policies")).unwrap())
}

fn bundled() -> &'static MemoryLoader {
    static LOADER: OnceLock<MemoryLoader> = OnceLock::new();
    LOADER.get_or_init(|| {
        let mut loader = MemoryLoader::new();
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("policies"))
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
    })
}

/// The bundled policies plus the policy under test, loadable by its own id.
struct WithSelf {
    own: Option<(String, Source)>,
}

impl Loader for WithSelf {
    fn load_policy(&self, id: &str) -> Result<Source, LoadError> {
        match &self.own {
            Some((own, src)) if own == id => Ok(src.clone()),
            _ => bundled().load_policy(id),
        }
    }
    fn load_document(&self, policy_name: &str, path: &str) -> Result<String, LoadError> {
        bundled().load_document(policy_name, path)
    }
}

fn split_date(data: &[u8]) -> (Option<NaiveDate>, &[u8]) {
    match data {
        [a, b, rest @ ..] => {
            let n = u16::from_le_bytes([*a, *b]);
            let date = (n != 0).then(|| NaiveDate::from_ymd_opt(2014, 1, 1).unwrap() + chrono::Days::new(u64::from(n) - 1));
            (date, rest)
        }
        _ => (None, &[]),
    }
}

/// Decides at every trace level; the decisions must agree and round-trip.
fn decide_every_level(name: &str, plan: &Plan, facts: &Facts, reference_date: Option<NaiveDate>) {
    let decide = |trace| plan.decide(facts, &DecideOptions { reference_date, trace, ..Default::default() });
    let full = decide(TraceLevel::Full);
    if let Ok(d) = &full {
        let _ = policy_eval::render_text(d);
        let json = serde_json::to_string(d).unwrap();
        let back: Decision = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, d, "{name}: decision JSON round trip");
        // The trace recorded as an event log, built later or written as
        // JSON from the log, is the tree `decide` built.
        let mut decider = plan.decider();
        let opts = DecideOptions { reference_date, trace: TraceLevel::Full, ..Default::default() };
        assert!(decider.decide_logged(facts, &opts).unwrap().trace.is_none(), "{name}: decide_logged built the tree");
        assert_eq!(decider.trace().as_ref(), d.trace.as_ref(), "{name}: the trace built from the log");
        let mut written = String::new();
        decider.write_json(&mut written);
        assert_eq!(written, json, "{name}: the JSON written from the log");
    }
    let strip = |r: Result<Decision, EvalError>| {
        r.map(|mut d| {
            d.trace = None;
            d
        })
        .map_err(|e| e.to_string())
    };
    let off = strip(decide(TraceLevel::Off));
    // The compiled plan (trace off) against the interpreter, the reference.
    let reference = strip(plan.decide_reference(facts, &DecideOptions { reference_date, ..Default::default() }));
    assert_eq!(off, reference, "{name}: the compiled plan vs the interpreter");
    if let (Ok(a), Ok(b)) = (&off, &reference) {
        assert_eq!(
            serde_json::to_string(a).unwrap(),
            serde_json::to_string(b).unwrap(),
            "{name}: JSON of the compiled plan vs the interpreter"
        );
    }
    assert_eq!(strip(full), off, "{name}: full vs off");
    assert_eq!(strip(decide(TraceLevel::Summary)), off, "{name}: summary vs off");
}

#[test]
fn regression_facts_against_bundled_policies() {
    for (name, bytes) in files("eval_bundled") {
        let (date, json) = split_date(&bytes);
        let Ok(json) = std::str::from_utf8(json) else { continue };
        for id in engine().ids() {
            let plan = engine().plan(id).unwrap();
            match plan.facts_from_str(json) {
                Ok(facts) => decide_every_level(&format!("{name} on {id}"), plan, &facts, date),
                Err(e) => {
                    let _ = e.to_string();
                }
            }
        }
    }
}

#[test]
fn regression_policies_with_facts() {
    policies_with_facts(files("eval_arbitrary"));
}

/// The `eval_arbitrary` and `eval_bundled` fuzz corpora (`fuzz/corpus/`),
/// replayed as the regressions are: every decision at every trace level,
/// the compiled plan against the interpreter. Required under `CI=true`.
#[test]
fn fuzz_corpora_replay() {
    let corpus = |target: &str| -> Vec<(String, Vec<u8>)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{} is missing", dir.display());
            eprintln!("skipped: no {}", dir.display());
            return Vec::new();
        };
        let mut out: Vec<(String, Vec<u8>)> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
            .collect();
        out.sort();
        out
    };
    policies_with_facts(corpus("eval_arbitrary"));
    for (name, bytes) in corpus("eval_bundled") {
        let (date, json) = split_date(&bytes);
        let Ok(json) = std::str::from_utf8(json) else { continue };
        for id in engine().ids() {
            let plan = engine().plan(id).unwrap();
            if let Ok(facts) = plan.facts_from_str(json) {
                decide_every_level(&format!("{name} on {id}"), plan, &facts, date);
            }
        }
    }
}

fn policies_with_facts(files: Vec<(String, Vec<u8>)>) {
    for (name, bytes) in files {
        let (date, rest) = split_date(&bytes);
        let (policy, facts) = match rest.iter().position(|&b| b == 0) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &b"{}"[..]),
        };
        let src = Source { name: Arc::from("fuzz.policy"), bytes: Arc::from(policy) };
        let own = std::str::from_utf8(policy).ok().and_then(scan_policy_id).map(|id| (id, src.clone()));
        let plan = match policy_eval::compile(&src, &WithSelf { own }) {
            Ok(plan) => plan,
            Err(e) => {
                let _ = e.to_string();
                continue;
            }
        };
        if let Ok(text) = std::str::from_utf8(facts) {
            match plan.facts_from_str(text) {
                Ok(f) => decide_every_level(&name, &plan, &f, date),
                Err(e) => {
                    let _ = e.to_string();
                }
            }
        }
        decide_every_level(&format!("{name} (no facts)"), &plan, &Facts::empty(&plan), date);
    }
}

// ------------------------------------------------------------ fact limits

const LIMITS_POLICY: &str = r#"policy limits.facts "事实限制"
record r8 "r8" { v: int "v" }
record r7 "r7" { xs: list r8 "xs" }
record r6 "r6" { xs: list r7 "xs" }
record r5 "r5" { xs: list r6 "xs" }
record r4 "r4" { xs: list r5 "xs" }
record r3 "r3" { xs: list r4 "xs" }
record r2 "r2" { xs: list r3 "xs" }
record r1 "r1" { xs: list r2 "xs" }
input nested: list r1 default [] "嵌套"
input numbers: list int default [] "数列"
input name: text default "" "名称"
input amount: money default 0 yuan "金额"
input days: int in 0 .. 365 default 0 "天数"
benefit b "补贴" {
  payee person
  require count(n in numbers) >= 0 and count(x in nested) >= 0 and name == name "总是"
  amount amount + days * 1 yuan
}
"#;

fn limits_plan() -> Plan {
    let mut loader = MemoryLoader::new();
    loader.add_policy("limits.policy", LIMITS_POLICY);
    let src = loader.load_policy("limits.facts").unwrap();
    policy_eval::compile(&src, &loader).unwrap_or_else(|e| panic!("{e}"))
}

/// The error's text when the facts are rejected.
fn rejected(plan: &Plan, json: &str) -> String {
    match plan.facts_from_str(json) {
        Ok(_) => panic!("accepted: {}", json.chars().take(80).collect::<String>()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn list_facts_longer_than_the_limit_are_rejected() {
    let plan = limits_plan();
    let list = |n: usize| format!("{{\"numbers\": [{}]}}", vec!["1"; n].join(","));
    assert!(plan.facts_from_str(&list(MAX_LIST_LEN)).is_ok());
    let e = rejected(&plan, &list(MAX_LIST_LEN + 1));
    assert!(e.contains(&format!("at most {MAX_LIST_LEN} elements")), "{e}");
}

#[test]
fn text_facts_longer_than_the_limit_are_rejected() {
    let plan = limits_plan();
    let text = |n: usize| format!("{{\"name\": \"{}\"}}", "字".repeat(n));
    assert!(plan.facts_from_str(&text(MAX_TEXT_LEN)).is_ok());
    let e = rejected(&plan, &text(MAX_TEXT_LEN + 1));
    assert!(e.contains(&format!("at most {MAX_TEXT_LEN} characters")), "{e}");
}

#[test]
fn facts_nested_deeper_than_the_limit_are_rejected() {
    let plan = limits_plan();
    // nested: list r1 (level 1), r1 (2), r1.xs (3), r2 (4), … r8 (16): far
    // past the limit of 8 levels, in a declared shape.
    let mut value = "{\"v\": 1}".to_string();
    for _ in 0..7 {
        value = format!("{{\"xs\": [{value}]}}");
    }
    let e = rejected(&plan, &format!("{{\"nested\": [{value}]}}"));
    assert!(e.contains(&format!("at most {MAX_FACT_DEPTH} levels of nesting")), "{e}");
    // Within the limit: an empty nested list, and one level of records.
    assert!(plan.facts_from_str("{\"nested\": []}").is_ok());
    assert!(plan.facts_from_str("{\"nested\": [{\"xs\": []}]}").is_ok());
}

#[test]
fn json_nested_past_serde_recursion_limit_is_invalid_json() {
    let plan = limits_plan();
    let e = rejected(&plan, &format!("{{\"numbers\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000)));
    assert!(e.contains("valid JSON"), "{e}");
}

#[test]
fn decimals_beyond_28_digits_are_rejected() {
    let plan = limits_plan();
    for json in [
        r#"{"amount": "123456789012345678901234567890"}"#,
        r#"{"amount": 123456789012345678901234567890}"#,
        r#"{"amount": "1e999999"}"#,
        r#"{"amount": "79228162514264337593543950336"}"#,
        r#"{"days": 1e999999}"#,
        r#"{"amount": "NaN"}"#,
    ] {
        let e = rejected(&plan, json);
        assert!(e.contains("amount") || e.contains("days") || e.contains("JSON"), "{json}: {e}");
    }
    // 28 digits are fine.
    let facts = plan.facts_from_str(r#"{"amount": "1234567890123456789012345678"}"#).unwrap();
    decide_every_level("28 digits", &plan, &facts, NaiveDate::from_ymd_opt(2024, 6, 1));
}

#[test]
fn garbage_and_out_of_range_facts_are_errors() {
    let plan = limits_plan();
    for json in [
        "",
        "[1,2,3]",
        "null",
        "\"x\"",
        "{{{",
        "{\"days\": -5}",
        "{\"days\": 366}",
        "{\"days\": 1.5}",
        "{\"dayz\": 1}",
        "{\"days\": \"many\"}",
    ] {
        let _ = rejected(&plan, json);
    }
}

#[test]
fn largest_amounts_decide_without_panicking() {
    let plan = limits_plan();
    // The largest facts accepted have 28 significant digits (docs/trace.md,
    // Facts); a negative final amount is an evaluation error
    // (undetermined), never a panic.
    for amount in ["9999999999999999999999999999", "-9999999999999999999999999999", "0.0000000000000000000000000001"] {
        let facts = plan.facts_from_str(&format!("{{\"amount\": \"{amount}\", \"days\": 365}}")).unwrap();
        decide_every_level(amount, &plan, &facts, NaiveDate::from_ymd_opt(2024, 6, 1));
        let d = plan.decide(&facts, &DecideOptions { reference_date: NaiveDate::from_ymd_opt(2024, 6, 1), ..Default::default() }).unwrap();
        if amount.starts_with('-') {
            assert_eq!(d.benefits[0].status, policy_eval::Status::Undetermined, "{amount}: {:#?}", d.benefits[0]);
        }
    }
    // Decimal::MAX and beyond are refused, never rounded.
    for amount in
        ["79228162514264337593543950335", "\"79228162514264337593543950335\"", "1e28", "-1e-29", "\"0.00000000000000000000000000001\""]
    {
        let Err(EvalError::Facts(errors)) = plan.facts_from_str(&format!("{{\"amount\": {amount}}}")) else { panic!("{amount} accepted") };
        assert!(errors[0].expected.contains("28"), "{amount}: {errors:?}");
    }
}

// ------------------------------------------------------------ step limit

const NESTED_POLICY: &str = r#"policy limits.nested "嵌套量词"
input xs: list int default [] "数列"
let pairs = count(a in xs where any(b in xs where a == b + 1))
let total = sum(x for x in xs)
benefit quadratic "两两比较" {
  payee person
  require pairs >= 0 "两两比较"
  amount 1 yuan
}
benefit linear "逐个累加" {
  payee person
  require total >= 0 and count(x in xs where x in {1, 2, 3}) >= 0 "逐个累加"
  amount 1 yuan
}
"#;

/// Found by the `eval_arbitrary` target's harness: nested quantifiers over
/// a list fact are quadratic (cubic for three levels), so 15,000 elements
/// ran for minutes and 100,000 (`MAX_LIST_LEN`) for hours. Evaluation now
/// stops at `MAX_EVAL_STEPS` with an error.
#[test]
fn nested_quantifiers_over_the_longest_list_stop_at_the_step_limit() {
    let mut loader = MemoryLoader::new();
    loader.add_policy("nested.policy", NESTED_POLICY);
    let plan = policy_eval::compile(&loader.load_policy("limits.nested").unwrap(), &loader).unwrap_or_else(|e| panic!("{e}"));
    let json = format!("{{\"xs\": [{}]}}", (0..MAX_LIST_LEN).map(|i| (i * 2).to_string()).collect::<Vec<_>>().join(","));
    let facts = plan.facts_from_str(&json).unwrap();
    let started = std::time::Instant::now();
    let date = NaiveDate::from_ymd_opt(2024, 6, 1);
    decide_every_level("nested", &plan, &facts, date);
    let d = plan.decide(&facts, &DecideOptions { reference_date: date, ..Default::default() }).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(120), "took {:?}", started.elapsed());
    let quadratic = &d.benefits[0];
    assert_eq!(quadratic.status, policy_eval::Status::Undetermined, "{quadratic:#?}");
    let shown = format!("{quadratic:?}");
    // `MAX_EVAL_STEPS` (10,000,000) lives in the private `interp` module.
    assert!(shown.contains("exceeded the limit of 10000000 steps"), "{shown}");
    // One pass over the same list stays well within the limit.
    assert_eq!(d.benefits[1].status, policy_eval::Status::Eligible, "{:#?}", d.benefits[1]);
}

/// Found with the `eval_bundled` target's harness on a generated 2.7 MB
/// facts file: every unknown key was compared with every declared name, so
/// 100,000 unknown keys took 34 s against the bundled policies. Now only
/// the first `MAX_FACT_HINTS` unknown keys get a "did you mean".
#[test]
fn many_unknown_facts_are_reported_promptly() {
    let plan = limits_plan();
    let keys: Vec<String> = (0..100_000).map(|i| format!("\"amounz{i:06}\": 1")).collect();
    let started = std::time::Instant::now();
    let Err(EvalError::Facts(errors)) = plan.facts_from_str(&format!("{{\"amounx\": 1, {}}}", keys.join(", "))) else { panic!("accepted") };
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "took {:?}", started.elapsed());
    assert_eq!(errors.len(), 100_001);
    assert!(errors.iter().any(|e| e.fact == "amounx" && e.expected.contains("did you mean `amount`")), "{:?}", errors.first());
    let hinted = errors.iter().filter(|e| e.expected.contains("did you mean")).count();
    assert!(hinted <= policy_eval::facts::MAX_FACT_HINTS, "{hinted}");
}
