//! A fixed amount of deciding for instruction counts and profiles (not a
//! criterion benchmark): decides one golden applicant `N` times at trace
//! level `LEVEL` with one `Decider`, after one warm-up decision.
//!
//! ```text
//! cargo bench -p policy-eval --bench one_decision --no-run   # prints the binary's path
//! valgrind --tool=callgrind target/release/deps/one_decision-… off 0
//! valgrind --tool=callgrind target/release/deps/one_decision-… off 1000
//! valgrind --tool=callgrind target/release/deps/one_decision-… off 1000 datong
//! ```
//!
//! `LEVEL` is `off` (the compiled plan, the interpreter where it
//! deoptimises), `interpreted` (trace off, the interpreter only:
//! `Decider::decide_interpreted`), `summary`, `full`, `logged` and
//! `logged-summary` (the full or summary trace recorded as an event log
//! only, `Decider::decide_logged`, the tree not built), `full-json` (the
//! full trace's tree built, then the decision with it written as JSON) and
//! `logged-json` (recorded, then written as JSON straight from the log:
//! `Decider::write_json`), or `hand` (the
//! hand-written rule of `benches/engine.rs`'s `baseline/*` on the same
//! applicant). The optional third argument picks the applicant: `jiaxing`
//! (default: Jiaxing 2021, eligible, 800 yuan), `datong` (Datong's order
//! training alone, eligible, 1000 yuan after the employment rule) or
//! `datong-mix` (64 varied Datong applicants in turn, as the criterion
//! baseline decides: every status, the documents asked for changing).
//!
//! (Ir with N = 1000 − Ir with N = 0) / 1000 is the instruction count of one
//! decision; `docs/performance.md` has the numbers. Run without arguments
//! (as `cargo bench` does) it decides 1000 times at each level and prints
//! the time per decision, a rough check only: criterion's `engine` is the
//! benchmark.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use policy_eval::{DecideOptions, Engine, Status, TraceLevel};
use rust_decimal::Decimal;
use std::hint::black_box;
use std::path::Path;

/// The hand-written Jiaxing 2021 rule (as `benches/engine.rs`).
#[allow(clippy::too_many_arguments)]
fn jiaxing_hand(
    clock_hours: Decimal,
    attendance: Decimal,
    cert: bool,
    end: chrono::NaiveDate,
    district: usize,
    designated: bool,
    employee: bool,
) -> (Status, Option<Decimal>) {
    let from = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap_or_default();
    let until = chrono::NaiveDate::from_ymd_opt(2021, 12, 31).unwrap_or_default();
    if end < from || end > until || !employee || district > 2 {
        return (Status::NotApplicable, None);
    }
    let lessons = clock_hours * Decimal::from(4) / Decimal::from(3);
    if !designated || !cert || lessons < Decimal::from(32) || attendance <= Decimal::new(70, 2) {
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

/// The hand-written Datong order-training rule (as `benches/engine.rs`).
fn datong_hand(
    project: bool,
    group: usize,
    start: chrono::NaiveDate,
    days: i64,
    employment: Decimal,
    checkin: bool,
    spot: bool,
) -> (Status, Option<Decimal>) {
    let from = chrono::NaiveDate::from_ymd_opt(2022, 1, 1).unwrap_or_default();
    let until = chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default();
    if start < from || start > until || !project {
        return (Status::NotApplicable, None);
    }
    if group == 6 || !(checkin || spot) {
        return (Status::Ineligible, None);
    }
    let first = Decimal::from(days.min(10));
    let rest = Decimal::from((days - 10).max(0));
    let mut amount = (first * Decimal::from(150) + rest * Decimal::from(100)).min(Decimal::from(4000));
    if employment < Decimal::new(80, 2) {
        amount = amount.min(Decimal::from(1000));
    }
    (Status::Eligible, Some(amount))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let engine = Engine::from_dir(&root).unwrap();
    let datong = args.get(2).is_some_and(|a| a.starts_with("datong"));
    // `datong-mix`: 64 varied Datong applicants in turn (every status, the
    // documents asked for changing), as `baseline/datong_order` decides.
    let mix: Vec<(bool, usize, chrono::NaiveDate, i64, Decimal, bool, bool)> = if args.get(2).is_some_and(|a| a == "datong-mix") {
        let mut x = 2022u64;
        let mut next = |n: u64| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        (0..64)
            .map(|_| {
                let start = chrono::NaiveDate::from_ymd_opt(2022, 1, 1).unwrap() + chrono::Days::new(next(1100));
                (
                    next(20) != 0,
                    next(7) as usize,
                    start,
                    1 + next(60) as i64,
                    Decimal::new(50 + next(51) as i64, 2),
                    next(3) != 0,
                    next(2) == 0,
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    const GROUPS: [&str; 7] =
        ["rural_migrant", "unemployed", "poverty_relieved", "disabled_able", "veteran", "other_priority", "not_priority"];
    let (plan, facts, opts, expected) = if datong {
        let plan = engine.plan("datong.big_data_training_2022").unwrap();
        let facts = plan
            .facts_from_str(
                r#"{"project_for_big_data": true, "trainee_group": "veteran", "class_start_date": "2023-03-01", "training_days": 20,
                    "class_employment_rate": "75%", "daily_checkin": true, "spot_check_passed": false}"#,
            )
            .unwrap();
        (plan, facts, DecideOptions { benefits: vec!["order_training".into()], ..Default::default() }, "1000")
    } else {
        let plan = engine.plan("jiaxing.digital_training_2021").unwrap();
        let facts = plan
            .facts_from_str(
                r#"{"clock_hours": 24, "attendance": "85%", "has_certificate": true, "training_end": "2021-09-30",
                    "institution_district": "nanhu", "designated_institution": true, "enterprise_employee": true}"#,
            )
            .unwrap();
        (plan, facts, DecideOptions { reference_date: "2021-10-15".parse().ok(), ..Default::default() }, "800")
    };
    let runs: Vec<(String, usize)> = match args.as_slice() {
        [l, n, ..] => vec![(l.clone(), n.parse().unwrap())],
        _ => ["off", "interpreted", "full", "hand"].iter().map(|l| (l.to_string(), 1000)).collect(),
    };
    for (level, n) in runs {
        let trace = match level.as_str() {
            "off" | "interpreted" | "hand" => TraceLevel::Off,
            "summary" => TraceLevel::Summary,
            "full" | "logged" | "full-json" | "logged-json" => TraceLevel::Full,
            "logged-summary" => TraceLevel::Summary,
            other => panic!("level `{other}`: off, interpreted, summary, full, logged, logged-summary or hand"),
        };
        let opts = DecideOptions { trace, ..opts.clone() };
        let start = std::time::Instant::now();
        if !mix.is_empty() {
            let plan = engine.plan("datong.big_data_training_2022").unwrap();
            let all: Vec<policy_eval::Facts> = mix
                .iter()
                .map(|(p, g, d, days, e, c, s)| {
                    plan.facts_from_str(&format!(
                        r#"{{"project_for_big_data": {p}, "trainee_group": "{}", "class_start_date": "{d}", "training_days": {days}, "class_employment_rate": "{}%", "daily_checkin": {c}, "spot_check_passed": {s}}}"#,
                        GROUPS[*g],
                        (*e * Decimal::ONE_HUNDRED).normalize()
                    ))
                    .unwrap()
                })
                .collect();
            let mut decider = plan.decider();
            for f in &all {
                decider.decide(f, &opts).unwrap();
            }
            for i in 0..n {
                let k = i % mix.len();
                if level == "hand" {
                    let (p, g, d, days, e, c, s) = mix[k];
                    black_box(datong_hand(black_box(p), g, d, days, e, c, s));
                } else if level == "interpreted" {
                    black_box(decider.decide_interpreted(black_box(&all[k]), &opts).unwrap());
                } else {
                    black_box(decider.decide(black_box(&all[k]), &opts).unwrap());
                }
            }
        } else if level == "hand" {
            let d = chrono::NaiveDate::from_ymd_opt(2023, 3, 1).unwrap();
            let e = chrono::NaiveDate::from_ymd_opt(2021, 9, 30).unwrap();
            for _ in 0..n {
                if datong {
                    black_box(datong_hand(
                        black_box(true),
                        black_box(4),
                        black_box(d),
                        black_box(20),
                        black_box(Decimal::new(75, 2)),
                        black_box(true),
                        black_box(false),
                    ));
                } else {
                    black_box(jiaxing_hand(
                        black_box(Decimal::from(24)),
                        black_box(Decimal::new(85, 2)),
                        black_box(true),
                        black_box(e),
                        black_box(0),
                        black_box(true),
                        black_box(true),
                    ));
                }
            }
        } else {
            let first = plan.decide(&facts, &opts).unwrap();
            assert_eq!(first.benefits[0].amount.map(|a| a.to_string()), Some(expected.into()));
            let mut decider = plan.decider();
            let interpreted = level == "interpreted";
            let logged = level.starts_with("logged");
            let json = level.ends_with("-json");
            let mut out = String::new();
            let mut decide = |d: &mut policy_eval::Decider<'_>| {
                if json {
                    out.clear();
                    if logged {
                        d.decide_logged(black_box(&facts), &opts).unwrap();
                    } else {
                        d.decide(black_box(&facts), &opts).unwrap();
                    }
                    d.write_json(&mut out);
                    black_box(&out);
                } else if interpreted {
                    black_box(d.decide_interpreted(black_box(&facts), &opts).unwrap());
                } else if logged {
                    black_box(d.decide_logged(black_box(&facts), &opts).unwrap());
                } else {
                    black_box(d.decide(black_box(&facts), &opts).unwrap());
                }
            };
            decide(&mut decider);
            assert_eq!(decider.decided_compiled(), level == "off", "the compiled plan was (not) taken");
            for _ in 0..n {
                decide(&mut decider);
            }
        }
        if n > 0 {
            println!("{level}: {n} decisions, {:.0} ns each", start.elapsed().as_nanos() as f64 / n as f64);
        }
    }
}
