//! Engine benchmarks (criterion; `docs/performance.md` has the numbers and
//! the command). Groups:
//!
//! - `parse_check/<policy>`: `check_source` of each bundled policy (its
//!   imports too) through a `MemoryLoader` that holds every policy and
//!   source document.
//! - `decide_off/<policy>`, `decide_full/<policy>`: every golden case of the
//!   policy decided once by one `Decider` (facts decoded outside the timed
//!   loop), trace off and full; throughput is decisions.
//! - `batch_jiaxing_1m/*`: one million generated Jiaxing applicants through
//!   a `Decider` loop, `Plan::decide` in a loop, `decide_each` (nothing
//!   kept), and `decide_batch` (every decision kept) over the whole million
//!   and over chunks of `DEFAULT_CHUNK` (256), each on one rayon thread and
//!   on the global pool (every core).
//! - `baseline/*`: hand-written Rust (rust_decimal) for Datong's order
//!   training and Jiaxing's lesson-hour tiers against the engine restricted
//!   to the same benefit (a `Decider` with the trace off, which takes the
//!   compiled plan, the same with the interpreter only
//!   (`decide_interpreted`), the full trace, and `Plan::decide` with the
//!   trace off), on the same applicants.
//! - `facts_jiaxing/*`: decoding 1000 applicants' JSON straight into the
//!   slots, and through a `serde_json::Value` tree.
//! - `scale_history/<n>`: Zhejiang with `n` prior claims in `history`.
//! - `scale_benefits/<n>`, `scale_conditions/<n>`: generated policies with
//!   `n` benefits, or one benefit with `n` conditions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use policy_core::check::check_source;
use policy_core::loader::{MemoryLoader, Source};
use policy_eval::cases::CaseFile;
use policy_eval::{DecideOptions, Decision, Engine, Facts, Plan, Status, TraceLevel};
use rust_decimal::Decimal;
use serde_json::json;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// (directory, file stem, policy id) of every bundled policy.
const POLICIES: [(&str, &str, &str); 6] = [
    ("jiaxing", "digital_training_2021", "jiaxing.digital_training_2021"),
    ("jiaxing", "skills_upgrading_2019", "jiaxing.skills_upgrading_2019"),
    ("datong", "big_data_training_2022", "datong.big_data_training_2022"),
    ("hangzhou", "skills_upgrading_2020", "hangzhou.skills_upgrading_2020"),
    ("zhejiang", "digital_engineer_2023", "zhejiang.digital_engineer_2023"),
    ("jinhua", "digital_engineer_2024", "jinhua.digital_engineer_2024"),
];

fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

fn engine() -> Engine {
    Engine::from_dir(policies_dir()).unwrap()
}

/// Every golden case of a policy: its facts (decoded once) and options.
fn golden(plan: &Plan, dir: &str, stem: &str, trace: TraceLevel) -> Vec<(Facts, DecideOptions)> {
    let text = std::fs::read_to_string(policies_dir().join(dir).join(format!("{stem}.cases.json"))).unwrap();
    let cf: CaseFile = serde_json::from_str(&text).unwrap();
    cf.cases
        .iter()
        .map(|c| (plan.facts_from_json(&c.facts).unwrap(), DecideOptions { reference_date: c.as_of, trace, ..Default::default() }))
        .collect()
}

// ---------------------------------------------------------------- (a) parse + check

fn parse_check(c: &mut Criterion) {
    let mut loader = MemoryLoader::new();
    let mut sources: Vec<(&str, Source)> = Vec::new();
    for (dir, stem, id) in POLICIES {
        let base = policies_dir().join(dir);
        let text = std::fs::read_to_string(base.join(format!("{stem}.policy"))).unwrap();
        let doc = std::fs::read_to_string(base.join(format!("{stem}.source.txt"))).unwrap();
        let name = format!("{dir}/{stem}.policy");
        loader.add_policy(&name, &text);
        loader.add_document(&format!("{stem}.source.txt"), &doc);
        sources.push((id, Source { name: Arc::from(name.as_str()), bytes: Arc::from(text.as_bytes()) }));
    }
    let mut g = c.benchmark_group("parse_check");
    for (id, src) in &sources {
        let checked = check_source(src, &loader);
        assert!(checked.policy.is_some() && !checked.diagnostics.iter().any(|d| d.is_error()), "{id} does not check");
        g.throughput(Throughput::Bytes(src.bytes.len() as u64));
        g.bench_function(*id, |b| b.iter(|| check_source(black_box(src), &loader)));
    }
    g.finish();
}

// ---------------------------------------------------------------- (b) decide per policy

fn decide_policies(c: &mut Criterion) {
    let engine = engine();
    for (level, name) in [(TraceLevel::Off, "decide_off"), (TraceLevel::Full, "decide_full")] {
        let mut g = c.benchmark_group(name);
        for (dir, stem, id) in POLICIES {
            let plan = engine.plan(id).unwrap();
            let cases = golden(plan, dir, stem, level);
            g.throughput(Throughput::Elements(cases.len() as u64));
            let mut decider = plan.decider();
            g.bench_function(id, |b| {
                b.iter(|| {
                    for (f, o) in &cases {
                        black_box(decider.decide(black_box(f), o).unwrap());
                    }
                })
            });
        }
        g.finish();
    }
}

// ---------------------------------------------------------------- applicants

/// A small deterministic generator (64-bit LCG, high bits), so every run
/// decides the same applicants.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const DISTRICTS: [&str; 9] = ["nanhu", "xiuzhou", "jingkai", "jiashan", "pinghu", "haiyan", "haining", "tongxiang", "gangqu"];

/// A Jiaxing 2021 applicant, typed, for the hand-written baseline.
#[derive(Clone)]
struct JiaxingApplicant {
    clock_hours: Decimal,
    attendance: Decimal,
    has_certificate: bool,
    training_end: chrono::NaiveDate,
    district: usize,
    designated: bool,
    employee: bool,
}

impl JiaxingApplicant {
    /// Varied mostly over hours (0..=60 clock hours in quarter hours) and
    /// attendance (50%..100% in 0.5% steps); one in ten lacks one of the
    /// other conditions; districts spread over all nine; end days over 2021
    /// with a few in 2022 (out of force).
    fn generate(r: &mut Lcg) -> Self {
        let odd = r.below(10) == 0;
        let which = r.below(4);
        let day = r.below(380);
        JiaxingApplicant {
            clock_hours: Decimal::new(r.below(241) as i64 * 25, 2),
            attendance: Decimal::new(50 + r.below(101) as i64 * 5, 3),
            has_certificate: !(odd && which == 0),
            training_end: chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap() + chrono::Days::new(day),
            district: if r.below(4) == 0 { r.below(9) as usize } else { r.below(3) as usize },
            designated: !(odd && which == 1),
            employee: !(odd && which == 2),
        }
    }
    fn json(&self) -> serde_json::Value {
        json!({
            "clock_hours": self.clock_hours.to_string(),
            // A percent string carries its `%` (docs/trace.md, Facts).
            "attendance": format!("{}%", (self.attendance * Decimal::ONE_HUNDRED).normalize()),
            "has_certificate": self.has_certificate,
            "training_end": self.training_end.to_string(),
            "institution_district": DISTRICTS[self.district],
            "designated_institution": self.designated,
            "enterprise_employee": self.employee,
        })
    }
}

/// The hand-written Jiaxing 2021 rule: in force 2021, scope (employee, one
/// of the three districts), designated, certified, ≥ 32 lesson hours (3
/// clock hours = 4 lesson hours), attendance > 70%, tiers 48/40/32 →
/// 1200/1000/800.
fn jiaxing_baseline(a: &JiaxingApplicant) -> (Status, Option<Decimal>) {
    let from = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap_or_default();
    let until = chrono::NaiveDate::from_ymd_opt(2021, 12, 31).unwrap_or_default();
    if a.training_end < from || a.training_end > until || !a.employee || a.district > 2 {
        return (Status::NotApplicable, None);
    }
    let lessons = a.clock_hours * Decimal::from(4) / Decimal::from(3);
    if !a.designated || !a.has_certificate || lessons < Decimal::from(32) || a.attendance <= Decimal::new(70, 2) {
        return (Status::Ineligible, None);
    }
    let amount = if lessons >= Decimal::from(48) {
        Decimal::from(1200)
    } else if lessons >= Decimal::from(40) {
        Decimal::from(1000)
    } else {
        Decimal::from(800)
    };
    (Status::Eligible, Some(amount))
}

/// A Datong 2022 order-training applicant, typed.
#[derive(Clone)]
struct DatongApplicant {
    project: bool,
    group: usize,
    start: chrono::NaiveDate,
    days: i64,
    employment: Decimal,
    checkin: bool,
    spot_check: bool,
}

const GROUPS: [&str; 7] = ["rural_migrant", "unemployed", "poverty_relieved", "disabled_able", "veteran", "other_priority", "not_priority"];

impl DatongApplicant {
    fn generate(r: &mut Lcg) -> Self {
        DatongApplicant {
            project: r.below(20) != 0,
            group: r.below(7) as usize,
            start: chrono::NaiveDate::from_ymd_opt(2022, 1, 1).unwrap() + chrono::Days::new(r.below(1100)),
            days: 1 + r.below(60) as i64,
            employment: Decimal::new(50 + r.below(51) as i64, 2),
            checkin: r.below(3) != 0,
            spot_check: r.below(2) == 0,
        }
    }
    fn json(&self) -> serde_json::Value {
        json!({
            "project_for_big_data": self.project,
            "trainee_group": GROUPS[self.group],
            "class_start_date": self.start.to_string(),
            "training_days": self.days,
            "class_employment_rate": format!("{}%", (self.employment * Decimal::ONE_HUNDRED).normalize()),
            "daily_checkin": self.checkin,
            "spot_check_passed": self.spot_check,
        })
    }
}

/// The hand-written Datong order-training rule: in force 2022–2024, scope
/// (a big-data project), a priority group, check-in or spot check, 150/day
/// for the first 10 days and 100/day after, cap 4000, employment below 80%
/// → min(amount, 1000).
fn datong_baseline(a: &DatongApplicant) -> (Status, Option<Decimal>) {
    let from = chrono::NaiveDate::from_ymd_opt(2022, 1, 1).unwrap_or_default();
    let until = chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default();
    if a.start < from || a.start > until || !a.project {
        return (Status::NotApplicable, None);
    }
    if a.group == 6 || !(a.checkin || a.spot_check) {
        return (Status::Ineligible, None);
    }
    let first = Decimal::from(a.days.min(10));
    let rest = Decimal::from((a.days - 10).max(0));
    let mut amount = (first * Decimal::from(150) + rest * Decimal::from(100)).min(Decimal::from(4000));
    if a.employment < Decimal::new(80, 2) {
        amount = amount.min(Decimal::from(1000));
    }
    (Status::Eligible, Some(amount))
}

fn summary(d: &Decision) -> (Status, Option<Decimal>) {
    let b = &d.benefits[0];
    (b.status, b.amount)
}

// ---------------------------------------------------------------- (c) batch throughput

const BATCH: usize = 1_000_000;

fn batch(c: &mut Criterion) {
    let engine = engine();
    let plan = engine.plan("jiaxing.digital_training_2021").unwrap();
    // Generated on first use, so a run filtered to other benchmarks skips it.
    let facts = std::cell::OnceCell::new();
    let facts = || -> &Vec<Facts> {
        facts.get_or_init(|| {
            let mut r = Lcg(2021);
            (0..BATCH).map(|_| plan.facts_from_json(&JiaxingApplicant::generate(&mut r).json()).unwrap()).collect()
        })
    };
    let opts = DecideOptions::default();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let all = rayon::current_num_threads();
    let mut g = c.benchmark_group("batch_jiaxing_1m");
    g.sample_size(10).sampling_mode(SamplingMode::Flat).throughput(Throughput::Elements(BATCH as u64));
    // The sequential reference: one decider, each decision read then replaced.
    g.bench_function("decider_loop_1_thread", |b| {
        let facts = facts();
        let mut decider = plan.decider();
        b.iter(|| facts.iter().for_each(|f| drop(black_box(decider.decide(f, &opts).map(|d| d.benefits.len())))))
    });
    // Each decision made from scratch and dropped.
    g.bench_function("plan_decide_loop_1_thread", |b| {
        let facts = facts();
        b.iter(|| facts.iter().for_each(|f| drop(black_box(plan.decide(f, &opts)))))
    });
    // Re-checking claims: every decision visited (the eligible amounts
    // summed), none kept.
    let sum = |facts: &[Facts]| {
        let total = std::sync::atomic::AtomicU64::new(0);
        plan.decide_each(facts, &opts, |_, d| {
            if let Some(a) = d.ok().and_then(|d| d.benefits.first()).and_then(|b| b.amount) {
                total.fetch_add(u64::try_from(a.trunc().mantissa()).unwrap_or(0), std::sync::atomic::Ordering::Relaxed);
            }
        });
        total.into_inner()
    };
    g.bench_function("decide_each_1_thread", |b| {
        let facts = facts();
        b.iter(|| one.install(|| black_box(sum(facts))))
    });
    g.bench_function(format!("decide_each_{all}_threads"), |b| {
        let facts = facts();
        b.iter(|| black_box(sum(facts)))
    });
    // Streaming, as `policy eval --facts-lines` does: chunks of
    // `DEFAULT_CHUNK`, each chunk's decisions dropped before the next.
    g.bench_function("decide_batch_chunks_1_thread", |b| {
        let facts = facts();
        b.iter(|| one.install(|| facts.chunks(policy_eval::DEFAULT_CHUNK).for_each(|c| drop(black_box(plan.decide_batch(c, &opts))))))
    });
    g.bench_function(format!("decide_batch_chunks_{all}_threads"), |b| {
        let facts = facts();
        b.iter(|| facts.chunks(policy_eval::DEFAULT_CHUNK).for_each(|c| drop(black_box(plan.decide_batch(c, &opts)))))
    });
    // The whole million in one call: a million decisions alive at once. Run
    // last: freeing them leaves the allocator's heap large and fragmented,
    // which slows whatever is measured after it in the same process.
    g.bench_function("decide_batch_whole_1_thread", |b| {
        let facts = facts();
        b.iter(|| one.install(|| plan.decide_batch(facts, &opts)))
    });
    g.bench_function(format!("decide_batch_whole_{all}_threads"), |b| {
        let facts = facts();
        b.iter(|| plan.decide_batch(facts, &opts))
    });
    g.finish();
}

// ---------------------------------------------------------------- (d) baselines

const APPLICANTS: usize = 1000;

fn baselines(c: &mut Criterion) {
    let engine = engine();
    let mut g = c.benchmark_group("baseline");
    g.throughput(Throughput::Elements(APPLICANTS as u64));

    let plan = engine.plan("datong.big_data_training_2022").unwrap();
    let mut r = Lcg(2022);
    let apps: Vec<DatongApplicant> = (0..APPLICANTS).map(|_| DatongApplicant::generate(&mut r)).collect();
    let facts: Vec<Facts> = apps.iter().map(|a| plan.facts_from_json(&a.json()).unwrap()).collect();
    let off = DecideOptions { benefits: vec!["order_training".into()], ..Default::default() };
    let full = DecideOptions { trace: TraceLevel::Full, ..off.clone() };
    for (a, f) in apps.iter().zip(&facts) {
        assert_eq!(datong_baseline(a), summary(&plan.decide(f, &off).unwrap()), "the baseline disagrees with the engine");
    }
    g.bench_function("datong_order/hand_written", |b| {
        b.iter(|| {
            apps.iter().for_each(|a| {
                black_box(datong_baseline(black_box(a)));
            })
        })
    });
    let mut decider = plan.decider();
    let compiled = facts.iter().filter(|f| decider.decide(f, &off).is_ok() && decider.decided_compiled()).count();
    println!("datong_order: {compiled} of {} applicants decided by the compiled plan", facts.len());
    assert_eq!(compiled, facts.len(), "every applicant has every fact: the compiled plan decides them all");
    g.bench_function("datong_order/engine_trace_off", |b| {
        b.iter(|| {
            facts.iter().for_each(|f| {
                black_box(decider.decide(f, &off).map(|d| d.benefits.len()).ok());
            })
        })
    });
    // The same decisions by the interpreter alone (the reference).
    g.bench_function("datong_order/engine_interpreted_trace_off", |b| {
        b.iter(|| {
            facts.iter().for_each(|f| {
                black_box(decider.decide_interpreted(f, &off).map(|d| d.benefits.len()).ok());
            })
        })
    });
    g.bench_function("datong_order/engine_trace_full", |b| {
        b.iter(|| {
            facts.iter().for_each(|f| {
                black_box(decider.decide(f, &full).map(|d| d.benefits.len()).ok());
            })
        })
    });
    g.bench_function("datong_order/engine_trace_full_logged", |b| {
        b.iter(|| {
            facts.iter().for_each(|f| {
                black_box(decider.decide_logged(f, &full).map(|d| d.benefits.len()).ok());
            })
        })
    });
    g.bench_function("datong_order/engine_plan_decide_trace_off", |b| {
        b.iter(|| {
            facts.iter().for_each(|f| {
                black_box(plan.decide(f, &off).ok());
            })
        })
    });

    let plan = engine.plan("jiaxing.digital_training_2021").unwrap();
    let mut r = Lcg(2021);
    let apps: Vec<JiaxingApplicant> = (0..APPLICANTS).map(|_| JiaxingApplicant::generate(&mut r)).collect();
    let facts: Vec<Facts> = apps.iter().map(|a| plan.facts_from_json(&a.json()).unwrap()).collect();
    let off = DecideOptions { benefits: vec!["training_subsidy".into()], ..Default::default() };
    let full = DecideOptions { trace: TraceLevel::Full, ..off.clone() };
    for (a, f) in apps.iter().zip(&facts) {
        assert_eq!(jiaxing_baseline(a), summary(&plan.decide(f, &off).unwrap()), "the baseline disagrees with the engine");
    }
    g.bench_function("jiaxing_tiers/hand_written", |b| {
        b.iter(|| {
            apps.iter().for_each(|a| {
                black_box(jiaxing_baseline(black_box(a)));
            })
        })
    });
    let mut decider = plan.decider();
    let compiled = facts.iter().filter(|f| decider.decide(f, &off).is_ok() && decider.decided_compiled()).count();
    println!("jiaxing_tiers: {compiled} of {} applicants decided by the compiled plan", facts.len());
    assert_eq!(compiled, facts.len(), "every applicant has every fact: the compiled plan decides them all");
    g.bench_function("jiaxing_tiers/engine_trace_off", |b| {
        b.iter(|| {
            facts.iter().for_each(|f| {
                black_box(decider.decide(f, &off).map(|d| d.benefits.len()).ok());
            })
        })
    });
    // The same decisions by the interpreter alone (the reference).
    g.bench_function("jiaxing_tiers/engine_interpreted_trace_off", |b| {
        b.iter(|| {
            facts.iter().for_each(|f| {
                black_box(decider.decide_interpreted(f, &off).map(|d| d.benefits.len()).ok());
            })
        })
    });
    g.bench_function("jiaxing_tiers/engine_trace_full", |b| {
        b.iter(|| {
            facts.iter().for_each(|f| {
                black_box(decider.decide(f, &full).map(|d| d.benefits.len()).ok());
            })
        })
    });
    g.bench_function("jiaxing_tiers/engine_trace_full_logged", |b| {
        b.iter(|| {
            facts.iter().for_each(|f| {
                black_box(decider.decide_logged(f, &full).map(|d| d.benefits.len()).ok());
            })
        })
    });
    g.bench_function("jiaxing_tiers/engine_plan_decide_trace_off", |b| {
        b.iter(|| {
            facts.iter().for_each(|f| {
                black_box(plan.decide(f, &off).ok());
            })
        })
    });
    g.finish();
}

// ---------------------------------------------------------------- (e) scaling

/// Zhejiang's first golden applicant with `n` prior claims, none of which
/// matches (so `count` and `any` visit every claim and the benefits stay
/// eligible).
fn zhejiang_with_history(plan: &Plan, n: usize) -> Facts {
    let occupations = ["blockchain", "intelligent_manufacturing"];
    let levels = ["junior", "intermediate", "senior"];
    let history: Vec<serde_json::Value> =
        (0..n).map(|i| json!({"year": 2010 + (i % 14), "occupation": occupations[i % 2], "level": levels[i % 3]})).collect();
    plan.facts_from_json(&json!({
        "trained_occupation": "big_data",
        "cert_level": "junior",
        "institution": "杭州电子科技大学",
        "completed_hours": 128,
        "has_training_certificate": true,
        "has_level_certificate": true,
        "zhejiang_link": true,
        "meets_title_conditions": true,
        "application_date": "2024-06-01",
        "history": history,
    }))
    .unwrap()
}

/// A policy of `benefits` benefits with `conditions` conditions each.
fn generated_policy(benefits: usize, conditions: usize) -> Arc<Plan> {
    let mut text = String::from(
        "policy gen.scale \"generated\"\n  in_force 2021-01-01 .. 2021-12-31\n\
         input days: int in 0 .. 365 \"培训天数\"\ninput rate: percent in 0% .. 100% \"出勤率\"\n",
    );
    for b in 0..benefits {
        text.push_str(&format!("benefit b{b} \"补贴{b}\" {{\n  payee training_institution\n"));
        for i in 0..conditions {
            if i % 2 == 0 {
                text.push_str(&format!("  require c{i}: days >= {} \"不少于{}天\"\n", 1 + i % 3, 1 + i % 3));
            } else {
                text.push_str(&format!("  exclude c{i}: rate <= {}% \"出勤率不高于{}%\"\n", i % 50, i % 50));
            }
        }
        text.push_str("  amount tiers days { >= 30 => 1200 yuan, >= 20 => 1000 yuan, >= 3 => 800 yuan, } \"分档\"\n}\n");
    }
    let mut loader = MemoryLoader::new();
    loader.add_policy("gen.policy", &text);
    let engine = Engine::from_loader(&loader).unwrap();
    engine.plan("gen.scale").unwrap().clone()
}

fn scaling(c: &mut Criterion) {
    let engine = engine();
    let plan = engine.plan("zhejiang.digital_engineer_2023").unwrap();
    let opts = DecideOptions::default();
    let mut g = c.benchmark_group("scale_history");
    for n in [1usize, 10, 100, 1000] {
        let facts = zhejiang_with_history(plan, n);
        let d = plan.decide(&facts, &opts).unwrap();
        assert!(d.benefits.iter().any(|b| b.status == Status::Eligible), "history {n}: nothing eligible");
        g.bench_with_input(BenchmarkId::from_parameter(n), &facts, |b, f| b.iter(|| plan.decide(black_box(f), &opts)));
    }
    g.finish();

    let opts = DecideOptions { reference_date: "2021-06-01".parse().ok(), ..Default::default() };
    for (name, shape) in [("scale_benefits", (true, false)), ("scale_conditions", (false, true))] {
        let mut g = c.benchmark_group(name);
        for n in [1usize, 10, 100, 1000] {
            let plan = generated_policy(if shape.0 { n } else { 1 }, if shape.1 { n } else { 2 });
            let facts = plan.facts_from_json(&json!({"days": 25, "rate": "90%"})).unwrap();
            let d = plan.decide(&facts, &opts).unwrap();
            assert!(d.benefits.iter().all(|b| b.status == Status::Eligible), "{name} {n}: {:?}", d.benefits[0]);
            g.bench_with_input(BenchmarkId::from_parameter(n), &facts, |b, f| b.iter(|| plan.decide(black_box(f), &opts)));
        }
        g.finish();
    }
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

// ---------------------------------------------------------------- (f) facts

/// Decoding the same 1000 Jiaxing applicants' JSON: straight from the text
/// into the slots (`facts_from_str`) against the generic route (a
/// `serde_json::Value` tree, then `facts_from_json`).
fn facts(c: &mut Criterion) {
    let engine = engine();
    let plan = engine.plan("jiaxing.digital_training_2021").unwrap();
    let mut r = Lcg(2021);
    let texts: Vec<String> = (0..APPLICANTS).map(|_| JiaxingApplicant::generate(&mut r).json().to_string()).collect();
    let mut g = c.benchmark_group("facts_jiaxing");
    g.throughput(Throughput::Elements(APPLICANTS as u64));
    g.bench_function("from_str", |b| b.iter(|| texts.iter().for_each(|t| drop(black_box(plan.facts_from_str(t).unwrap())))));
    g.bench_function("tree_then_from_json", |b| {
        b.iter(|| {
            texts.iter().for_each(|t| drop(black_box(plan.facts_from_json(&serde_json::from_str(t).unwrap()).unwrap())));
        })
    });
    g.finish();
}

criterion_group! { name = benches; config = config(); targets = parse_check, decide_policies, baselines, facts, scaling, batch }
criterion_main!(benches);
