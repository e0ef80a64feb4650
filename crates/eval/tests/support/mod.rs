//! Shared by the property tests (`invariants.rs`, `generated_policies.rs`)
//! and the golden-case walkers (`case_files`):
//! a small deterministic random generator and facts generated from a checked
//! policy's declared inputs and externals, well typed (`gen_facts`) or
//! deliberately wild (`gen_wild_facts`).
// Each test file uses its own subset of these helpers.
#![allow(dead_code)]

use chrono::{Duration, NaiveDate};
use policy_core::checked::{Bounds, CheckedPolicy, Type};
use policy_core::value::Value;
use policy_eval::Plan;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

/// splitmix64: a small deterministic generator seeded by proptest.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as u64) as i64
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    /// An index into a collection of `len` elements (`len` > 0).
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.index(xs.len())]
    }
}

/// Texts facts choose from: a few fixed ones plus every text in the policy's tables.
pub fn texts(p: &CheckedPolicy) -> Vec<String> {
    let mut out: Vec<String> = vec!["南湖".into(), "其他".into(), String::new()];
    for t in &p.tables {
        for r in &t.rows {
            for v in r.iter() {
                if let Value::Text(s) = v {
                    out.push(s.to_string());
                }
            }
        }
    }
    out
}

/// A JSON fact of type `ty` within `bounds`, favouring the bounds and small values.
pub fn gen_value(
    p: &CheckedPolicy,
    ty: &Type,
    bounds: Option<&Bounds>,
    rng: &mut Rng,
    texts: &[String],
    depth: usize,
) -> serde_json::Value {
    let num = |rng: &mut Rng, scale: u32| -> Decimal {
        let lo = bounds.and_then(|b| b.low).unwrap_or(Decimal::ZERO);
        let hi = bounds.and_then(|b| b.high).unwrap_or(lo + Decimal::from(400));
        let span = (hi - lo).max(Decimal::ZERO);
        // Favour the bounds and small values, where thresholds sit.
        match rng.below(5) {
            0 => lo,
            1 => hi,
            _ => {
                let steps = (span * Decimal::from(10u64.pow(scale))).trunc();
                let steps = u64::try_from(steps.mantissa().min(i128::from(u64::MAX >> 1))).unwrap_or(1).max(1);
                lo + Decimal::from(rng.below(steps + 1)) / Decimal::from(10u64.pow(scale))
            }
        }
    };
    match ty {
        Type::Bool => serde_json::json!(rng.below(2) == 1),
        Type::Int => serde_json::json!(num(rng, 0).trunc().to_string().parse::<i64>().unwrap_or(0)),
        Type::Decimal | Type::Money | Type::Quantity(_) => serde_json::json!(num(rng, 2).to_string()),
        Type::Percent => {
            let d = num(rng, 4);
            serde_json::json!(format!("{}%", (d * Decimal::ONE_HUNDRED).normalize()))
        }
        Type::Date => {
            let d = NaiveDate::from_ymd_opt(2018, 1, 1).unwrap() + Duration::days(rng.below(365 * 10) as i64);
            serde_json::json!(d.to_string())
        }
        Type::Duration => serde_json::json!(format!("{} months", rng.below(24))),
        Type::Text => serde_json::json!(texts[rng.below(texts.len() as u64) as usize]),
        Type::Enum(e) => {
            let vs = &p.enums[e.index()].variants;
            serde_json::json!(vs[rng.below(vs.len() as u64) as usize].0)
        }
        Type::Record(r) => {
            let mut m = serde_json::Map::new();
            for (name, fty, _) in &p.records[r.index()].fields {
                m.insert(name.clone(), gen_value(p, fty, None, rng, texts, depth + 1));
            }
            serde_json::Value::Object(m)
        }
        Type::List(elem) => {
            let n = if depth > 2 { 0 } else { rng.below(5) };
            serde_json::Value::Array((0..n).map(|_| gen_value(p, elem, None, rng, texts, depth + 1)).collect())
        }
        Type::EmptyList | Type::Error => serde_json::Value::Null,
    }
}

/// Well-typed facts for `plan` (an input is left out one time in ten, an
/// external half the time) and a reference date, both drawn from `seed`.
pub fn gen_facts(plan: &Plan, seed: u64) -> (serde_json::Value, NaiveDate) {
    let p = plan.policy();
    let mut rng = Rng(seed);
    let texts = texts(p);
    let mut m = serde_json::Map::new();
    for i in &p.inputs {
        if rng.below(10) == 0 {
            continue; // sometimes missing
        }
        m.insert(i.name.clone(), gen_value(p, &i.ty, i.bounds.as_ref(), &mut rng, &texts, 0));
    }
    for x in &p.externals {
        if rng.below(2) == 0 {
            m.insert(x.name.clone(), gen_value(p, &x.ty, x.bounds.as_ref(), &mut rng, &texts, 0));
        }
    }
    let as_of = NaiveDate::from_ymd_opt(2018, 1, 1).unwrap() + Duration::days(rng.below(365 * 10) as i64);
    (serde_json::Value::Object(m), as_of)
}

/// A JSON value of any shape, often extreme: huge, tiny and negative numbers,
/// numbers as text, the first and last representable days and days past
/// them, malformed dates, durations, nested arrays and objects.
pub fn wild_value(rng: &mut Rng, depth: usize) -> serde_json::Value {
    const NUMBERS: &[&str] = &[
        "0",
        "-0",
        "-1",
        "1",
        "0.000000000000000000000000001",
        "9999999999999999999999999999",
        "-9999999999999999999999999999",
        "79228162514264337593543950336",
        "7922816251426433759354395033.5",
        "1e30",
        "1e-30",
        "-1e400",
        "9223372036854775807",
        "-9223372036854775808",
        "18446744073709551616",
        "0.5",
        "12.345",
        "1000000",
    ];
    const STRINGS: &[&str] = &[
        "",
        "南湖",
        "100%",
        "-100%",
        "1e5%",
        "99999999999999999999999999999%",
        "12 months",
        "-9223372036854775808 days",
        "9223372036854775807 months",
        "2147483648 years",
        "262142-12-31",
        "+262142-12-31",
        "-262143-01-01",
        "-262144-01-01",
        "0000-01-01",
        "2024-02-29",
        "2023-02-29",
        "2021-13-01",
        "9999-12-31",
        "2021-06-01",
        "true",
        "null",
        "9999999999999999999999999999",
        " 12 ",
    ];
    match rng.below(if depth > 2 { 4 } else { 7 }) {
        0 => serde_json::Value::Null,
        1 => serde_json::json!(rng.below(2) == 1),
        2 => {
            let s = *rng.pick(NUMBERS);
            serde_json::from_str(s).unwrap_or_else(|_| serde_json::Value::String(s.to_string()))
        }
        3 => serde_json::Value::String((*rng.pick(STRINGS)).to_string()),
        4 => serde_json::json!(rng.next() as i64),
        5 => serde_json::Value::Array((0..rng.below(4)).map(|_| wild_value(rng, depth + 1)).collect()),
        _ => {
            let mut m = serde_json::Map::new();
            for i in 0..rng.below(3) {
                m.insert(format!("f{i}"), wild_value(rng, depth + 1));
            }
            serde_json::Value::Object(m)
        }
    }
}

/// A value of type `ty` at the edge of what facts can hold: the largest and
/// smallest decimals, the first and last representable days, durations that
/// overflow any date, long texts and lists. Bounded numbers stay in bounds.
pub fn extreme_value(
    p: &CheckedPolicy,
    ty: &Type,
    bounds: Option<&Bounds>,
    rng: &mut Rng,
    texts: &[String],
    depth: usize,
) -> serde_json::Value {
    const BIG: &[&str] = &["9999999999999999999999999999", "-9999999999999999999999999999", "0.0000000000000000000000000001", "-1", "0"];
    match ty {
        Type::Int | Type::Decimal | Type::Money | Type::Quantity(_) | Type::Percent if bounds.is_some() => {
            let b = bounds.unwrap();
            match (rng.below(3), b.low, b.high) {
                (0, Some(l), _) => serde_json::json!(l.to_string()),
                (1, _, Some(h)) => serde_json::json!(h.to_string()),
                _ => gen_value(p, ty, bounds, rng, texts, depth),
            }
        }
        Type::Int => {
            serde_json::json!(*rng.pick(&["9999999999999999999999999999", "-9999999999999999999999999999", "9223372036854775807", "-1"]))
        }
        Type::Decimal | Type::Money | Type::Quantity(_) => serde_json::json!(*rng.pick(BIG)),
        Type::Percent => {
            serde_json::json!(*rng.pick(&["9999999999999999999999999999", "-100%", "0.0000000000000000000000000001", "1000000%"]))
        }
        Type::Date => {
            serde_json::json!(*rng.pick(&["+262142-12-31", "262142-12-31", "-262143-01-01", "0000-02-29", "2024-02-29", "1970-01-01"]))
        }
        Type::Duration => {
            serde_json::json!(*rng.pick(&[
                "9223372036854775807 days",
                "-9223372036854775808 months",
                "2147483648 years",
                "-12 months",
                "0 days"
            ]))
        }
        Type::Text => serde_json::json!(if rng.chance(1, 2) { "字".repeat(10_000) } else { "\u{0}\u{202e}\"\\".to_string() }),
        Type::List(elem) if depth < 2 => {
            let n = if rng.chance(1, 4) { 40 } else { rng.below(4) };
            serde_json::Value::Array((0..n).map(|_| extreme_value(p, elem, None, rng, texts, depth + 1)).collect())
        }
        Type::Record(r) => {
            let mut m = serde_json::Map::new();
            for (name, fty, _) in &p.records[r.index()].fields {
                m.insert(name.clone(), extreme_value(p, fty, None, rng, texts, depth + 1));
            }
            serde_json::Value::Object(m)
        }
        _ => gen_value(p, ty, bounds, rng, texts, depth),
    }
}

/// Facts that test the edges. Half the sets are valid (each input or
/// external missing, well typed, or extreme: see [`extreme_value`]); the
/// others hold anything: wild JSON of any shape (see [`wild_value`]), values
/// out of bounds, lists with a wild element, records with an unknown field,
/// unknown keys. Returns the facts and a reference date, which may be at
/// either end of the calendar.
pub fn gen_wild_facts(plan: &Plan, seed: u64) -> (serde_json::Value, Option<NaiveDate>) {
    let p = plan.policy();
    let mut rng = Rng(seed);
    let texts = texts(p);
    let valid = rng.chance(1, 2);
    let mut m = serde_json::Map::new();
    let names = p.inputs.iter().map(|i| (i.name.as_str(), &i.ty, i.bounds.as_ref()));
    let names = names.chain(p.externals.iter().map(|x| (x.name.as_str(), &x.ty, x.bounds.as_ref())));
    for (name, ty, bounds) in names.collect::<Vec<_>>() {
        let v = match (valid, rng.below(6)) {
            (_, 0) => continue,
            (_, 1) => gen_value(p, ty, bounds, &mut rng, &texts, 0),
            (true, _) => extreme_value(p, ty, bounds, &mut rng, &texts, 0),
            // Well typed but outside the bounds.
            (false, 2) => extreme_value(p, ty, None, &mut rng, &texts, 0),
            (false, 3) => match gen_value(p, ty, None, &mut rng, &texts, 0) {
                serde_json::Value::Array(mut xs) => {
                    // A list with one wild element.
                    xs.push(wild_value(&mut rng, 1));
                    serde_json::Value::Array(xs)
                }
                serde_json::Value::Object(mut o) => {
                    o.insert("unknown_field".into(), wild_value(&mut rng, 1));
                    serde_json::Value::Object(o)
                }
                _ => wild_value(&mut rng, 0),
            },
            (false, _) => wild_value(&mut rng, 0),
        };
        m.insert(name.to_string(), v);
    }
    if !valid && rng.chance(1, 3) {
        m.insert("no_such_fact".into(), wild_value(&mut rng, 0));
    }
    let as_of = match rng.below(6) {
        0 => None,
        1 => Some(NaiveDate::MIN),
        2 => Some(NaiveDate::MAX),
        _ => Some(NaiveDate::from_ymd_opt(2018, 1, 1).unwrap() + Duration::days(rng.below(365 * 10) as i64)),
    };
    (serde_json::Value::Object(m), as_of)
}

/// The golden case files (`*.cases.json`) under `dir`, in path order
/// (shared by `golden.rs`, `missing_facts.rs` and `quotes.rs`).
pub fn case_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            case_files(&p, out);
        } else if p.to_string_lossy().ends_with(".cases.json") {
            out.push(p);
        }
    }
}

/// A golden case's facts as given (suffix "") and then with each fact left
/// out in turn (suffix " without <fact>"), those the plan reads; empty when
/// the facts as given do not read (the case is about that).
pub fn fact_sets(plan: &Plan, facts: &serde_json::Value) -> Vec<(String, policy_eval::Facts)> {
    let Ok(given) = plan.facts_from_json(facts) else { return Vec::new() };
    let mut sets = vec![(String::new(), given)];
    if let Some(all) = facts.as_object() {
        for left_out in all.keys() {
            let some: serde_json::Map<String, serde_json::Value> =
                all.iter().filter(|(k, _)| *k != left_out).map(|(k, v)| (k.clone(), v.clone())).collect();
            if let Ok(f) = plan.facts_from_json(&serde_json::Value::Object(some)) {
                sets.push((format!(" without {left_out}"), f));
            }
        }
    }
    sets
}
