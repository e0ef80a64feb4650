//! The service path's fast parts agree with the reference ones: the
//! one-pass encoder (`Decision::write_json`) writes exactly what serde
//! writes (every golden case of `policies/` and `examples/`, each also with
//! one fact left out, at every trace level; and wild generated facts with
//! errors, warnings and missing facts for every bundled policy), and facts
//! decoded into a reused `Facts` (`facts_from_str_into`) are the facts
//! `facts_from_str` gives, whatever the buffer held before.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;
use support::{case_files, gen_wild_facts};

use policy_eval::cases::CaseFile;
use policy_eval::{DecideOptions, Decision, Engine, TraceLevel};
use std::path::Path;

fn same(d: &Decision, what: &str, buf: &mut String) {
    buf.clear();
    d.write_json(buf);
    let want = serde_json::to_string(d).unwrap();
    assert_eq!(*buf, want, "{what}");
}

#[test]
fn write_json_is_serde_on_every_golden_case() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut buf = String::new();
    let mut compared = 0;
    for dir in ["policies", "examples"] {
        let dir = root.join(dir);
        let engine = Engine::from_dir(&dir).unwrap();
        let mut files = Vec::new();
        case_files(&dir, &mut files);
        for file in files {
            let cases: CaseFile = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let plan = engine.plan(&cases.policy).unwrap();
            let mut decider = plan.decider();
            for case in &cases.cases {
                let Some(all) = case.facts.as_object() else { continue };
                let mut variants = vec![case.facts.clone()];
                for k in all.keys() {
                    let mut less = all.clone();
                    less.remove(k);
                    variants.push(less.into());
                }
                for facts in &variants {
                    let Ok(facts) = plan.facts_from_json(facts) else { continue };
                    for trace in [TraceLevel::Off, TraceLevel::Summary, TraceLevel::Full] {
                        let opts = DecideOptions { reference_date: case.as_of, benefits: Vec::new(), trace };
                        let d = decider.decide(&facts, &opts).unwrap();
                        same(d, &format!("{} / {} at {trace:?}", cases.policy, case.name), &mut buf);
                        compared += 1;
                    }
                }
            }
        }
    }
    assert!(compared > 2000, "only {compared} decisions compared");
}

#[test]
fn write_json_is_serde_on_wild_facts() {
    let engine = Engine::from_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")).unwrap();
    let mut buf = String::new();
    for id in engine.ids() {
        let plan = engine.plan(id).unwrap();
        for seed in 0..300 {
            let (facts, as_of) = gen_wild_facts(plan, seed);
            let Ok(facts) = plan.facts_from_json(&facts) else { continue };
            let opts = DecideOptions { reference_date: as_of, ..Default::default() };
            let d = plan.decide(&facts, &opts).unwrap();
            same(&d, &format!("{id} seed {seed}"), &mut buf);
        }
    }
}

#[test]
fn facts_into_a_reused_buffer_are_fresh_facts() {
    let engine = Engine::from_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")).unwrap();
    let plans: Vec<_> = engine.ids().map(|id| engine.plan(id).unwrap()).collect();
    let mut reused = plans[0].facts_from_str("{}").unwrap();
    let (mut ok, mut err) = (0, 0);
    for seed in 0..400u64 {
        // Alternate plans, so the buffer held another policy's facts.
        let plan = plans[seed as usize % plans.len()];
        let (facts, _) = gen_wild_facts(plan, seed);
        let text = facts.to_string();
        let fresh = plan.facts_from_str(&text);
        let into = plan.facts_from_str_into(&text, &mut reused);
        match (&fresh, &into) {
            (Ok(f), Ok(())) => {
                assert_eq!(*f, reused, "seed {seed}");
                ok += 1;
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "seed {seed}");
                err += 1;
            }
            _ => panic!("seed {seed}: {fresh:?} against {into:?}"),
        }
    }
    assert!(ok > 20 && err > 20, "{ok} decoded, {err} refused");
}

/// Bytes a mutation inserts or writes over: JSON's structure, escapes,
/// number parts, literals' letters, whitespace, control and non-ASCII text.
const MUTATIONS: &[&str] = &[
    "{", "}", "[", "]", "\"", ",", ":", "\\", "\\n", "\\u0041", " ", "\t", "\n", "\r", "\u{1}", "\u{1f}", "0", "1", "9", "-", "+", ".",
    "e", "E", "t", "f", "n", "u", "l", "true", "null", "中", "é", "\u{feff}", "01", "1.", ".5", "-0", "1e", "1e+", "}}", ",}", "{}",
];

fn agree(plan: &policy_eval::Plan, text: &str, what: &str) {
    let fast = plan.facts_from_str(text);
    let reference = plan.facts_from_str_reference(text);
    match (&fast, &reference) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{what}: {text}"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{what}: {text}"),
        _ => panic!("{what}: {text}\nfast: {fast:?}\nreference: {reference:?}"),
    }
}

/// The facts fast path (`facts/scan.rs`) gives what the reference reader
/// gives, facts or errors, on generated texts written compactly and
/// pretty, and on each with one mutation; and it does read the plain ones.
#[test]
fn facts_fast_path_agrees_with_the_reference() {
    let engine = Engine::from_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")).unwrap();
    let (mut fast, mut texts) = (0, 0);
    for id in engine.ids() {
        let plan = engine.plan(id).unwrap();
        let mut rng = support::Rng(7);
        for seed in 0..60 {
            let (facts, _) = gen_wild_facts(plan, seed);
            for text in [facts.to_string(), serde_json::to_string_pretty(&facts).unwrap()] {
                agree(plan, &text, &format!("{id} seed {seed}"));
                texts += 1;
                fast += usize::from(plan.facts_fast_path_reads(&text));
                for _ in 0..10 {
                    let mut at = rng.index(text.len() + 1);
                    while !text.is_char_boundary(at) {
                        at -= 1;
                    }
                    let m = MUTATIONS[rng.index(MUTATIONS.len())];
                    let mutated = match rng.below(3) {
                        0 => format!("{}{m}{}", &text[..at], &text[at..]),
                        1 => {
                            let mut end = (at + 1).min(text.len());
                            while !text.is_char_boundary(end) {
                                end += 1;
                            }
                            format!("{}{}", &text[..at], &text[end..])
                        }
                        _ => {
                            let mut end = (at + m.len()).min(text.len());
                            while !text.is_char_boundary(end) {
                                end += 1;
                            }
                            format!("{}{m}{}", &text[..at], &text[end..])
                        }
                    };
                    agree(plan, &mutated, &format!("{id} seed {seed} mutated"));
                }
            }
        }
        // Every golden-style flat applicant goes the fast way.
        assert!(plan.facts_fast_path_reads("{}"));
        assert!(plan.facts_fast_path_reads(" {\n} \n"));
    }
    // Wild facts often hold lists, records or unknown keys (declined).
    assert!(fast * 100 > texts * 15, "the fast path read only {fast} of {texts} generated texts");
}

/// Every golden case's facts without lists or records are read by the fast
/// path (so it cannot silently stop answering), and agree.
#[test]
fn golden_facts_take_the_fast_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let engine = Engine::from_dir(&root).unwrap();
    let mut files = Vec::new();
    case_files(&root, &mut files);
    let mut read = 0;
    for file in files {
        let cases: CaseFile = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let plan = engine.plan(&cases.policy).unwrap();
        for case in &cases.cases {
            let text = case.facts.to_string();
            agree(plan, &text, &case.name);
            let flat = case.facts.as_object().is_some_and(|o| o.values().all(|v| !v.is_array() && !v.is_object()));
            let plain = !text.contains('\\');
            if flat && plain {
                assert!(plan.facts_fast_path_reads(&text), "{}: {text}", case.name);
                read += 1;
            }
        }
    }
    assert!(read > 100, "only {read} cases read by the fast path");
}

/// The committed `eval_bundled` fuzz corpus (arbitrary facts texts after a
/// two-byte date selector): the fast path agrees with the reference on
/// every input, for every bundled policy, as the fuzz target asserts.
#[test]
fn facts_fast_path_agrees_on_the_fuzz_corpus() {
    let engine = Engine::from_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/eval_bundled");
    let mut inputs = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let Some(text) = bytes.get(2..).and_then(|b| std::str::from_utf8(b).ok()) else { continue };
        for id in engine.ids() {
            agree(engine.plan(id).unwrap(), text, "corpus");
        }
        inputs += 1;
    }
    assert!(inputs > 20, "only {inputs} corpus inputs");
}

/// A JSON value as the typed API's value (numbers as exact decimals).
fn typed(v: &serde_json::Value) -> Option<policy_eval::FactValue> {
    use policy_eval::FactValue;
    Some(match v {
        serde_json::Value::Bool(b) => FactValue::Bool(*b),
        serde_json::Value::Number(n) => FactValue::Decimal(rust_decimal::Decimal::from_str_exact(&n.to_string()).ok()?),
        serde_json::Value::String(s) => match s.parse::<chrono::NaiveDate>() {
            Ok(d) if s.len() == 10 => FactValue::Date(d),
            _ => FactValue::Text(s.clone()),
        },
        serde_json::Value::Array(xs) => FactValue::List(xs.iter().map(typed).collect::<Option<_>>()?),
        serde_json::Value::Object(m) => FactValue::Record(m.iter().map(|(k, v)| Some((k.clone(), typed(v)?))).collect::<Option<_>>()?),
        serde_json::Value::Null => return None,
    })
}

/// Facts set through slots resolved once (`Plan::fact_slot`, `Facts::set`)
/// are the facts the builder makes from the same typed values by name, and
/// a value that does not fit gives the builder's error.
#[test]
fn typed_slots_are_the_builder_by_name() {
    let engine = Engine::from_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")).unwrap();
    let mut compared = 0;
    for id in engine.ids() {
        let plan = engine.plan(id).unwrap();
        let mut facts = policy_eval::Facts::empty(plan);
        for seed in 0..200 {
            let (json, _) = gen_wild_facts(plan, seed);
            facts.clear(plan);
            for (name, value) in json.as_object().unwrap() {
                let Some(value) = typed(value) else { continue };
                let by_name = plan.facts().set(name, value.clone()).build();
                let Some(slot) = plan.fact_slot(name) else {
                    assert!(by_name.is_err(), "{id}: `{name}` has no slot but the builder took it");
                    continue;
                };
                let mut one = policy_eval::Facts::empty(plan);
                match (one.set(plan, slot, value.clone()), by_name) {
                    (Ok(()), Ok(b)) => assert_eq!(one, b, "{id} seed {seed} `{name}`"),
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{id} seed {seed} `{name}`"),
                    (a, b) => panic!("{id} seed {seed} `{name}`: by slot {a:?}, by name {b:?}"),
                }
                let _ = facts.set(plan, slot, value);
                compared += 1;
            }
        }
    }
    assert!(compared > 1000, "only {compared} values compared");
    // A slot or facts of another plan is refused.
    let (a, b) = (engine.plan("jiaxing.digital_training_2021").unwrap(), engine.plan("datong.big_data_training_2022").unwrap());
    let slot = a.fact_slot("clock_hours").unwrap();
    assert!(policy_eval::Facts::empty(b).set(b, slot, 24).is_err());
    assert!(policy_eval::Facts::empty(b).set(a, slot, 24).is_err());
    let mut ok = policy_eval::Facts::empty(a);
    ok.set(a, slot, 24).unwrap();
    assert_eq!(ok, a.facts().set("clock_hours", 24).build().unwrap());
    assert!(a.fact_slot("no_such_fact").is_none());
}
