//! The service path (criterion; figures in docs/performance.md): JSON facts
//! in, decision JSON out, trace off, for 1000 generated Jiaxing 2021
//! applicants. Groups `service_jiaxing/*`:
//!
//! - `engine_decide_json`: the README's path, `Engine::decide_json`, then
//!   `serde_json::to_vec` of the decision (a new decision and buffers each
//!   time);
//! - `reused`: what a service loop does, one `Facts`, one `Decider` and
//!   one output buffer, reused: `facts_from_str_into`, `Decider::decide`,
//!   `Decision::write_json`;
//! - `facts`, `decide`, `encode_serde`, `encode`: the parts alone (the
//!   decisions decided once outside the timed loop for the encoders).
//!
//! Groups `service_history/*`: 200 generated Zhejiang 2023 applicants
//! (`zhejiang.digital_engineer_2023`), each with a claim history (a list
//! of `claim` records: year, occupation, level) of 1, 10 or 100 prior
//! claims: `facts/K` decodes into a reused `Facts`, `reused/K` is the whole
//! loop as above, `facts_reference/K` the reference reader
//! (`facts_from_str_reference`: serde, then a `Json` tree per list) on the
//! same texts. The cost per claim is the difference between K = 100
//! and K = 1, divided by 99.
//!
//! `cargo bench -p policy-eval --bench service`; for callgrind,
//! `cargo bench -p policy-eval --bench service --no-run`, then
//! `valgrind --tool=callgrind <binary> --callgrind <n>` runs the `reused`
//! loop `n` times over the applicants without criterion, and
//! `--callgrind-history <k> <n> [facts]` the Zhejiang loop (or its facts
//! decoding alone) with `k` claims per applicant.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use criterion::{criterion_group, Criterion, Throughput};
use policy_eval::{DecideOptions, Decision, Engine};
use serde_json::json;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

const APPLICANTS: usize = 1000;
const ID: &str = "jiaxing.digital_training_2021";
const DISTRICTS: [&str; 9] = ["nanhu", "xiuzhou", "jingkai", "jiashan", "pinghu", "haiyan", "haining", "tongxiang", "gangqu"];

/// A small linear congruential generator (seeded, reproducible).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// The applicants of `engine.rs`'s Jiaxing group, as JSON text: hours
/// 0–60 in quarter hours, attendance 50–100 % in half percents, one in ten
/// lacking another condition, all nine districts, end days over 2021 and
/// into 2022; one in twenty leaves a fact out.
fn applicants() -> Vec<String> {
    let mut r = Lcg(2021);
    (0..APPLICANTS)
        .map(|_| {
            let odd = r.below(10) == 0;
            let which = r.below(4);
            let day = r.below(380);
            let end = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap() + chrono::Days::new(day);
            let district = if r.below(4) == 0 { r.below(9) } else { r.below(3) } as usize;
            let attendance = rust_decimal::Decimal::new(500 + r.below(101) as i64 * 5, 1).normalize();
            let mut facts = json!({
                "clock_hours": rust_decimal::Decimal::new(r.below(241) as i64 * 25, 2).to_string(),
                "attendance": format!("{attendance}%"),
                "has_certificate": !(odd && which == 0),
                "training_end": end.to_string(),
                "institution_district": DISTRICTS[district],
                "designated_institution": !(odd && which == 1),
                "enterprise_employee": !(odd && which == 2),
            });
            if r.below(20) == 0 {
                facts.as_object_mut().unwrap().remove("clock_hours");
            }
            facts.to_string()
        })
        .collect()
}

const HISTORY_ID: &str = "zhejiang.digital_engineer_2023";
const HISTORY_APPLICANTS: usize = 200;
const OCCUPATIONS: [&str; 3] = ["big_data", "blockchain", "intelligent_manufacturing"];
const LEVELS: [&str; 3] = ["junior", "intermediate", "senior"];

/// Zhejiang 2023 applicants as JSON text, each with `claims` prior claims
/// (years 2019–2024, any occupation and level), compact, each object's
/// keys sorted (serde_json's map): a claim's fields are not in declared
/// order.
fn history_applicants(claims: usize) -> Vec<String> {
    let mut r = Lcg(2023);
    (0..HISTORY_APPLICANTS)
        .map(|_| {
            let history: Vec<serde_json::Value> = (0..claims)
                .map(|_| {
                    json!({
                        "year": 2019 + r.below(6),
                        "occupation": OCCUPATIONS[r.below(3) as usize],
                        "level": LEVELS[r.below(3) as usize],
                    })
                })
                .collect();
            let day = chrono::NaiveDate::from_ymd_opt(2023, 9, 16).unwrap() + chrono::Days::new(r.below(400));
            json!({
                "trained_occupation": OCCUPATIONS[r.below(3) as usize],
                "cert_level": LEVELS[r.below(3) as usize],
                "institution": "杭州电子科技大学",
                "completed_hours": 100 + r.below(80),
                "has_training_certificate": true,
                "has_level_certificate": r.below(10) != 0,
                "zhejiang_link": true,
                "meets_title_conditions": true,
                "application_date": day.to_string(),
                "history": history,
            })
            .to_string()
        })
        .collect()
}

/// One pass of the service loop over `texts` (facts only, or the whole loop).
fn history_pass(
    plan: &policy_eval::Plan,
    texts: &[String],
    facts_only: bool,
    state: &mut (policy_eval::Facts, policy_eval::Decider<'_>, String),
) {
    let opts = DecideOptions::default();
    let (facts, decider, out) = state;
    for t in texts {
        plan.facts_from_str_into(t, facts).unwrap();
        if facts_only {
            black_box(&*facts);
            continue;
        }
        out.clear();
        decider.decide(facts, &opts).unwrap().write_json(out);
        black_box(out.len());
    }
}

fn service_history(c: &mut Criterion) {
    let engine = Engine::from_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")).unwrap();
    let plan = engine.plan(HISTORY_ID).unwrap();
    let mut g = c.benchmark_group("service_history");
    g.throughput(Throughput::Elements(HISTORY_APPLICANTS as u64));
    for claims in [1, 10, 100] {
        let texts = history_applicants(claims);
        let mut state = (plan.facts_from_str("{}").unwrap(), plan.decider(), String::new());
        g.bench_function(format!("facts/{claims}"), |b| b.iter(|| history_pass(plan, &texts, true, &mut state)));
        g.bench_function(format!("reused/{claims}"), |b| b.iter(|| history_pass(plan, &texts, false, &mut state)));
        // The reference reader (serde, a `Json` tree per list), in the same run.
        g.bench_function(format!("facts_reference/{claims}"), |b| {
            b.iter(|| texts.iter().for_each(|t| drop(black_box(plan.facts_from_str_reference(t).unwrap()))))
        });
    }
    g.finish();
}

fn service(c: &mut Criterion) {
    let engine = Engine::from_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")).unwrap();
    let plan = engine.plan(ID).unwrap();
    let texts = applicants();
    let opts = DecideOptions::default();
    let decisions: Vec<Decision> = texts.iter().map(|t| engine.decide_json(ID, t, &opts).unwrap()).collect();
    // The one-pass encoder writes what serde writes, byte for byte.
    let mut buf = String::new();
    for d in &decisions {
        buf.clear();
        d.write_json(&mut buf);
        assert_eq!(buf, serde_json::to_string(d).unwrap());
    }

    let mut g = c.benchmark_group("service_jiaxing");
    g.throughput(Throughput::Elements(APPLICANTS as u64));
    g.bench_function("engine_decide_json", |b| {
        b.iter(|| {
            for t in &texts {
                let d = engine.decide_json(ID, t, &opts).unwrap();
                black_box(serde_json::to_vec(&d).unwrap());
            }
        })
    });
    g.bench_function("reused", |b| {
        let mut decider = plan.decider();
        let mut out = String::new();
        let mut facts = plan.facts_from_str("{}").unwrap();
        b.iter(|| {
            for t in &texts {
                plan.facts_from_str_into(t, &mut facts).unwrap();
                out.clear();
                decider.decide(&facts, &opts).unwrap().write_json(&mut out);
                black_box(out.len());
            }
        })
    });
    g.bench_function("facts", |b| b.iter(|| texts.iter().for_each(|t| drop(black_box(plan.facts_from_str(t).unwrap())))));
    let facts: Vec<_> = texts.iter().map(|t| plan.facts_from_str(t).unwrap()).collect();
    g.bench_function("decide", |b| {
        let mut decider = plan.decider();
        b.iter(|| {
            facts.iter().for_each(|f| {
                black_box(decider.decide(f, &opts).unwrap().benefits.len());
            })
        })
    });
    g.bench_function("encode_serde", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            for d in &decisions {
                out.clear();
                serde_json::to_writer(&mut out, d).unwrap();
                black_box(out.len());
            }
        })
    });
    g.bench_function("encode", |b| {
        let mut out = String::new();
        b.iter(|| {
            for d in &decisions {
                out.clear();
                d.write_json(&mut out);
                black_box(out.len());
            }
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = service, service_history }

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--callgrind-history") {
        // The Zhejiang loop alone: `k` claims per applicant, `n` passes.
        let arg = |j: usize| args.get(i + j).and_then(|n| n.parse().ok());
        let (k, n): (usize, usize) = (arg(1).unwrap_or(10), arg(2).unwrap_or(1));
        let facts_only = args.get(i + 3).is_some_and(|a| a == "facts");
        let engine = Engine::from_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")).unwrap();
        let plan = engine.plan(HISTORY_ID).unwrap();
        let texts = history_applicants(k);
        let mut state = (plan.facts_from_str("{}").unwrap(), plan.decider(), String::new());
        for _ in 0..n {
            history_pass(plan, &texts, facts_only, &mut state);
        }
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--callgrind") {
        // The `reused` loop alone, `n` times over the applicants.
        let n: usize = args.get(i + 1).and_then(|n| n.parse().ok()).unwrap_or(1);
        let engine = Engine::from_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")).unwrap();
        let plan = engine.plan(ID).unwrap();
        let texts = applicants();
        let opts = DecideOptions::default();
        let mut decider = plan.decider();
        let mut out = String::new();
        let mut facts = plan.facts_from_str("{}").unwrap();
        for _ in 0..n {
            for t in &texts {
                plan.facts_from_str_into(t, &mut facts).unwrap();
                out.clear();
                decider.decide(&facts, &opts).unwrap().write_json(&mut out);
                black_box(out.len());
            }
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
