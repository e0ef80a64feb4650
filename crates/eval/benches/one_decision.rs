//! A fixed amount of deciding for instruction counts and profiles (not a
//! criterion benchmark): decides one golden Jiaxing 2021 applicant (eligible,
//! 800 yuan) `N` times at trace level `LEVEL` with one `Decider`, after one
//! warm-up decision.
//!
//! ```text
//! cargo bench -p policy-eval --bench one_decision --no-run   # prints the binary's path
//! valgrind --tool=callgrind target/release/deps/one_decision-… off 0
//! valgrind --tool=callgrind target/release/deps/one_decision-… off 1000
//! ```
//!
//! (Ir with N = 1000 − Ir with N = 0) / 1000 is the instruction count of one
//! decision; `docs/performance.md` has the numbers. Run without arguments
//! (as `cargo bench` does) it decides 1000 times at each level and prints
//! the time per decision, a rough check only: criterion's `engine` is the
//! benchmark.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use policy_eval::{DecideOptions, Engine, TraceLevel};
use std::hint::black_box;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let engine = Engine::from_dir(&root).unwrap();
    let plan = engine.plan("jiaxing.digital_training_2021").unwrap();
    let facts = plan
        .facts_from_str(
            r#"{"clock_hours": 24, "attendance": "85%", "has_certificate": true, "training_end": "2021-09-30",
                "institution_district": "nanhu", "designated_institution": true, "enterprise_employee": true}"#,
        )
        .unwrap();
    let level = |s: &str| match s {
        "off" => TraceLevel::Off,
        "summary" => TraceLevel::Summary,
        "full" => TraceLevel::Full,
        other => panic!("level `{other}`: off, summary or full"),
    };
    let runs: Vec<(TraceLevel, usize)> = match args.as_slice() {
        [l, n] => vec![(level(l), n.parse().unwrap())],
        _ => vec![(TraceLevel::Off, 1000), (TraceLevel::Full, 1000)],
    };
    for (trace, n) in runs {
        let opts = DecideOptions { reference_date: "2021-10-15".parse().ok(), trace, ..Default::default() };
        let first = plan.decide(&facts, &opts).unwrap();
        assert_eq!(first.benefits[0].amount.map(|a| a.to_string()), Some("800".into()));
        let mut decider = plan.decider();
        decider.decide(&facts, &opts).unwrap();
        let start = std::time::Instant::now();
        for _ in 0..n {
            black_box(decider.decide(black_box(&facts), &opts).unwrap());
        }
        if n > 0 {
            println!("trace {trace:?}: {n} decisions, {:.0} ns each", start.elapsed().as_nanos() as f64 / n as f64);
        }
    }
}
