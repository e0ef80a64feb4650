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

/// `text` with one mutation (an insertion, a deleted character or one
/// written over) at a character boundary in `within`.
fn mutate(text: &str, within: std::ops::Range<usize>, rng: &mut support::Rng) -> String {
    let (lo, hi) = (within.start.min(text.len()), within.end.min(text.len() + 1));
    let mut at = lo + rng.index((hi - lo).max(1));
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let m = MUTATIONS[rng.index(MUTATIONS.len())];
    match rng.below(3) {
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
    }
}

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
                    let mutated = mutate(&text, 0..text.len() + 1, &mut rng);
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

/// Every golden case's facts (`policies/` and `examples/`) are read by the
/// fast path (so it cannot silently stop answering), and agree: flat ones
/// whatever their errors, those with lists and records whenever the
/// reference reads them without an error or a warning (an error or a
/// warning inside a list names a path, which the fast path leaves to the
/// reference). Only texts with escapes are left out.
#[test]
fn golden_facts_take_the_fast_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (mut read, mut lists) = (0, 0);
    for dir in ["policies", "examples"] {
        let dir = root.join(dir);
        let engine = Engine::from_dir(&dir).unwrap();
        let mut files = Vec::new();
        case_files(&dir, &mut files);
        for file in files {
            let cases: CaseFile = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let plan = engine.plan(&cases.policy).unwrap();
            for case in &cases.cases {
                for text in [case.facts.to_string(), serde_json::to_string_pretty(&case.facts).unwrap()] {
                    agree(plan, &text, &case.name);
                    let flat = case.facts.as_object().is_some_and(|o| o.values().all(|v| !v.is_array() && !v.is_object()));
                    let plain = !text.contains('\\');
                    let clean = plan.facts_from_str_reference(&text).is_ok_and(|f| f.warnings().is_empty());
                    if plain && (flat || clean) {
                        assert!(plan.facts_fast_path_reads(&text), "{}: {text}", case.name);
                        read += 1;
                        lists += usize::from(!flat);
                    }
                }
            }
        }
    }
    assert!(read > 200, "only {read} cases read by the fast path");
    assert!(lists > 40, "only {lists} cases with lists or records read by the fast path");
}

/// The paths of the list and record facts' values in `facts` (an object),
/// as byte ranges of its compact text.
fn list_spans(facts: &serde_json::Value, text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    for (k, v) in facts.as_object().into_iter().flatten() {
        if !(v.is_array() || v.is_object()) {
            continue;
        }
        let key = format!("{}:", serde_json::Value::String(k.clone()));
        let value = v.to_string();
        if let Some(at) = text.find(&key) {
            let start = at + key.len();
            out.push(start..start + value.len());
        }
    }
    out
}

/// Variants of a well-typed record element that the reference refuses or
/// warns about: a field left out, null, of the wrong shape, given twice, an
/// unknown field, the record as a list, an escape in a string (for the
/// first twelve fields).
fn spoilt_records(v: &serde_json::Value) -> Vec<String> {
    let Some(o) = v.as_object() else { return Vec::new() };
    let mut out = vec![format!("[{}]", v), "null".into(), "[]".into(), "{}".into()];
    for (k, x) in o.iter().take(12) {
        let mut less = o.clone();
        less.remove(k);
        out.push(serde_json::Value::Object(less).to_string());
        for wrong in [
            serde_json::json!(null),
            serde_json::json!([x]),
            serde_json::json!({"a": 1}),
            serde_json::json!("x\"y\n"),
            serde_json::json!(150),
        ] {
            let mut o2 = o.clone();
            o2.insert(k.clone(), wrong);
            out.push(serde_json::Value::Object(o2).to_string());
        }
        let text = v.to_string();
        out.push(format!("{{{}: {x}, {}", serde_json::Value::String(k.clone()), &text[1..]));
        out.push(format!("{{\"unknown\": 1, {}", &text[1..]));
    }
    out
}

/// Each element of a list fact of records in `facts`, replaced in turn by
/// each of [`spoilt_records`].
fn spoilt_lists(facts: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    let Some(obj) = facts.as_object() else { return out };
    for (k, v) in obj {
        let Some(xs) = v.as_array() else { continue };
        for (i, x) in xs.iter().enumerate().take(2) {
            for bad in spoilt_records(x) {
                let mut items: Vec<String> = xs.iter().map(|x| x.to_string()).collect();
                items[i] = bad;
                let mut o = obj.clone();
                o.remove(k);
                let rest = serde_json::Value::Object(o).to_string();
                let rest = rest.trim_start_matches('{');
                let sep = if rest == "}" { "" } else { ", " };
                out.push(format!("{{{}: [{}]{sep}{rest}", serde_json::Value::String(k.clone()), items.join(", ")));
            }
        }
    }
    out
}

/// For every policy of `policies/` and `examples/` with a list or record
/// fact: well-typed facts with lists of records (generated from the
/// policy's record types, fields in any order) are read by the fast path,
/// compact and pretty, and agree with the reference; and so does each
/// with one mutation inside a list, and each with one element spoilt.
#[test]
fn list_facts_fast_path_agrees_with_the_reference() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (mut policies, mut read, mut texts) = (0, 0, 0);
    for dir in ["policies", "examples"] {
        let engine = Engine::from_dir(root.join(dir)).unwrap();
        for id in engine.ids() {
            let plan = engine.plan(id).unwrap();
            let p = plan.policy();
            let structured =
                |t: &policy_core::checked::Type| matches!(t, policy_core::checked::Type::List(_) | policy_core::checked::Type::Record(_));
            if !p.inputs.iter().any(|i| structured(&i.ty)) {
                continue;
            }
            policies += 1;
            let mut rng = support::Rng(18);
            for seed in 0..80 {
                let (facts, _) = support::gen_facts(plan, seed);
                let text = facts.to_string();
                for t in [text.clone(), serde_json::to_string_pretty(&facts).unwrap()] {
                    agree(plan, &t, &format!("{id} seed {seed}"));
                    texts += 1;
                    let clean = plan.facts_from_str_reference(&t).is_ok_and(|f| f.warnings().is_empty());
                    if clean && !t.contains('\\') {
                        assert!(plan.facts_fast_path_reads(&t), "{id} seed {seed}: {t}");
                        read += 1;
                    }
                }
                for span in list_spans(&facts, &text) {
                    for _ in 0..20 {
                        let mutated = mutate(&text, span.clone(), &mut rng);
                        agree(plan, &mutated, &format!("{id} seed {seed} mutated in a list"));
                        texts += 1;
                    }
                }
                if seed < 10 {
                    for spoilt in spoilt_lists(&facts) {
                        agree(plan, &spoilt, &format!("{id} seed {seed} spoilt"));
                        texts += 1;
                    }
                }
            }
        }
    }
    assert!(policies >= 3, "only {policies} policies with lists or records");
    assert!(read > 200 && texts > 5000, "{read} read by the fast path of {texts} compared");
}

/// A policy with every kind of fact inside lists and records: each scalar
/// type (a quantity with a conversion, a percent, an enum), a record inside
/// a record, records nested past `MAX_FACT_DEPTH`, and records of 64 and
/// 65 fields (the fast path's own limit is 64).
fn every_kind_policy() -> String {
    let mut text = String::from(
        "policy test.lists \"列表\"\n\
         unit hour \"小时\"\n\
         unit minute \"分钟\"\n\
         convert 1 hour = 60 minute\n\
         enum level \"等级\" { low \"低\", high \"高\" }\n\
         record leaf \"叶\" { b: bool, i: int, d: decimal, m: money, p: percent, day: date, span: duration, t: text, q: hour, e: level }\n\
         record pair \"对\" { xs: list leaf, one: leaf }\n\
         record n4 \"n4\" { v: int }\n",
    );
    for k in (0..4).rev() {
        text.push_str(&format!("record n{k} \"n{k}\" {{ v: int, xs: list n{} }}\n", k + 1));
    }
    for n in [64, 65] {
        let fields: Vec<String> = (0..n).map(|i| format!("f{i}: int")).collect();
        text.push_str(&format!("record row{n} \"wide\" {{ {} }}\n", fields.join(", ")));
    }
    text.push_str(
        "input pairs: list pair default [] \"pairs\"\n\
         input one: leaf \"one\"\n\
         input deep: list n0 default [] \"deep\"\n\
         input wide64: list row64 default [] \"wide\"\n\
         input wide65: list row65 default [] \"wide\"\n\
         input ints: list int default [] \"ints\"\n\
         input percents: list percent default [] \"percents\"\n\
         benefit b \"补贴\" {\n  payee person\n  require count(x in ints where x >= 0) >= 0 \"x\"\n  amount 1 yuan\n}\n",
    );
    text
}

fn every_kind_plan() -> policy_eval::Plan {
    use policy_core::loader::{Loader, MemoryLoader};
    let mut loader = MemoryLoader::new();
    loader.add_policy("lists.policy", &every_kind_policy());
    policy_eval::compile(&loader.load_policy("test.lists").unwrap(), &loader).unwrap_or_else(|e| panic!("{e:?}"))
}

/// A `deep` element (record `n{k}`): `v` and up to two children.
fn deep_value(k: usize, rng: &mut support::Rng) -> serde_json::Value {
    if k == 4 {
        return serde_json::json!({"v": rng.below(10)});
    }
    let xs: Vec<serde_json::Value> = (0..rng.below(3)).map(|_| deep_value(k + 1, rng)).collect();
    serde_json::json!({"v": rng.below(10), "xs": xs})
}

/// Every kind of fact inside lists and records, at and past every limit:
/// generated values, spoilt and mutated, agree with the reference; those
/// the reference reads cleanly are read by the fast path, except past its
/// own limits.
#[test]
fn list_facts_of_every_kind_agree_at_the_limits() {
    let plan = every_kind_plan();
    let p = plan.policy();
    let texts_of = support::texts(p);
    let mut rng = support::Rng(8);
    let (mut read, mut compared) = (0, 0);
    for seed in 0..300u64 {
        let mut m = serde_json::Map::new();
        for input in &p.inputs {
            if input.name == "deep" {
                let xs: Vec<serde_json::Value> = (0..rng.below(3)).map(|_| deep_value(0, &mut rng)).collect();
                m.insert("deep".into(), xs.into());
            } else if rng.chance(3, 4) {
                m.insert(input.name.clone(), support::gen_value(p, &input.ty, None, &mut rng, &texts_of, 0));
            }
        }
        let facts = serde_json::Value::Object(m);
        let text = facts.to_string();
        agree(&plan, &text, &format!("seed {seed}"));
        compared += 1;
        let reference = plan.facts_from_str_reference(&text);
        let past_own_limit = text.contains("\"wide65\":[{");
        if reference.is_ok_and(|f| f.warnings().is_empty()) && !past_own_limit {
            assert!(plan.facts_fast_path_reads(&text), "seed {seed}: {text}");
            read += 1;
        }
        for span in list_spans(&facts, &text) {
            for _ in 0..5 {
                agree(&plan, &mutate(&text, span.clone(), &mut rng), &format!("seed {seed} mutated"));
                compared += 1;
            }
        }
        if seed < 20 {
            for spoilt in spoilt_lists(&facts) {
                agree(&plan, &spoilt, &format!("seed {seed} spoilt"));
                compared += 1;
            }
        }
    }
    assert!(read > 30 && compared > 2000, "{read} read by the fast path of {compared}");

    // Limits and warnings, each agreeing with the reference; whether the
    // fast path reads it.
    let leaf = r#"{"b": true, "i": 1, "d": "1.5", "m": 2, "p": "70%", "day": "2024-01-31", "span": "3 months", "t": "x", "q": "90 minute", "e": "low"}"#;
    let nest = |depth: usize| {
        let mut v = String::from(r#"{"v": 1, "xs": []}"#);
        for _ in 1..depth {
            v = format!(r#"{{"v": 1, "xs": [{v}]}}"#);
        }
        v
    };
    let ints = |n: usize| (0..n).map(|i| (i % 10).to_string()).collect::<Vec<_>>().join(",");
    let wide = |n: usize| format!("{{{}}}", (0..n).map(|i| format!("\"f{i}\": {i}")).collect::<Vec<_>>().join(", "));
    let long = "长".repeat(policy_eval::facts::MAX_TEXT_LEN);
    let cases: Vec<(String, bool)> = vec![
        (format!(r#"{{"one": {leaf}, "pairs": [{{"xs": [{leaf}, {leaf}], "one": {leaf}}}]}}"#), true),
        // 0.7 is 70 %; a bare 70 is read as 7000 % with a warning naming the path.
        (r#"{"percents": [0.7, "70%"]}"#.to_string(), true),
        (r#"{"percents": [0.7, 70]}"#.to_string(), false),
        (r#"{"one": {"b": true, "i": 1, "d": "1.5", "m": 2, "p": 70, "day": "2024-01-31", "span": "3 months", "t": "x", "q": 1, "e": "low"}}"#.to_string(), false),
        // Four levels of `n` records hold at depth 7; five put `v` at depth 9.
        (format!(r#"{{"deep": [{}]}}"#, nest(4)), true),
        (format!(r#"{{"deep": [{}]}}"#, nest(5)), false),
        (format!(r#"{{"ints": [{}]}}"#, ints(policy_eval::facts::MAX_LIST_LEN)), true),
        (format!(r#"{{"ints": [{}]}}"#, ints(policy_eval::facts::MAX_LIST_LEN + 1)), false),
        (format!(r#"{{"pairs": [{{"xs": [], "one": {}}}]}}"#, leaf.replace(r#""t": "x""#, &format!(r#""t": "{long}""#))), true),
        (format!(r#"{{"pairs": [{{"xs": [], "one": {}}}]}}"#, leaf.replace(r#""t": "x""#, &format!(r#""t": "{long}长""#))), false),
        (format!(r#"{{"wide64": [{}]}}"#, wide(64)), true),
        (format!(r#"{{"wide65": [{}]}}"#, wide(65)), false),
        (r#"{"ints": [1, 2.5, 3]}"#.to_string(), false),
        (r#"{"ints": [1, null]}"#.to_string(), false),
        (r#"{"ints": [1 , 2 ] , "percents" : [ ] }"#.to_string(), true),
        (r#"{"ints": [1, 2,]}"#.to_string(), false),
        (r#"{"ints": [01]}"#.to_string(), false),
        (r#"{"ints": [1e400]}"#.to_string(), false),
        (r#"{"ints": [1E2, -0, 1.0e1]}"#.to_string(), true),
        (r#"{"ints": [1], "ints": [2]}"#.to_string(), false),
        (r#"{"ints": [[1]]}"#.to_string(), false),
        (r#"{"ints": {"a": 1}}"#.to_string(), false),
        (r#"{"ints": 1}"#.to_string(), true),
        (r#"{"one": [1]}"#.to_string(), false),
        (format!(r#"{{"one": {}}}"#, leaf.replace(r#""t": "x""#, r#""t": "\u00e9""#)), false),
    ];
    for (text, fast) in &cases {
        agree(&plan, text, "limit");
        let short: String = text.chars().take(120).collect();
        assert_eq!(plan.facts_fast_path_reads(text), *fast, "{short}");
    }
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
