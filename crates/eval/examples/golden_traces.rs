//! Golden traces in a service's own tests, with `policy_eval::testing`.
//! Run: `cargo run -p policy-eval --example golden_traces`.
//!
//! In a test suite the same calls sit in ordinary `#[test]` functions:
//!
//! ```ignore
//! #[test]
//! fn datong_cases() {
//!     let engine = policy_eval::Engine::from_dir("policies").unwrap();
//!     policy_eval::testing::assert_case_file(&engine, "policies/datong/big_data_training_2022.cases.json");
//! }
//! ```
//!
//! and `POLICY_BLESS=1 cargo test` accepts changed traces.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_eval::testing::{self, Golden, Options};
use policy_eval::{DecideOptions, Engine, TraceLevel};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let engine = Engine::from_dir(&root)?;

    // 1. A case file: each case's expectations, and its trace against the
    //    golden trace beside the file (`<name>.traces/<case>.trace`), exactly
    //    as `policy test` checks them.
    let cases = root.join("datong/big_data_training_2022.cases.json");
    let report = testing::check_case_file(&engine, &cases)?;
    println!("{}: {} passed, {} failed; {}", report.policy, report.passed(), report.failed(), report.counts().summary(false));
    report.into_result(&Options::from_env())?;

    // 2. A decision of the service's own against a golden file of its own.
    let dir = std::env::temp_dir().join(format!("policy-golden-example-{}", std::process::id()));
    let golden = dir.join("low_employment.trace");
    let decide = |rate: &str| {
        let facts = format!(
            r#"{{"project_for_big_data": true, "trainee_group": "rural_migrant", "class_start_date": "2023-03-01",
                "training_days": 36, "class_employment_rate": "{rate}", "daily_checkin": true}}"#
        );
        let opts = DecideOptions { trace: TraceLevel::Full, benefits: vec!["order_training".into()], ..Default::default() };
        engine.decide_json("datong.big_data_training_2022", &facts, &opts)
    };
    // The first run writes the golden trace (blessing)…
    let first = testing::compare_trace(&decide("79.99%")?, &golden, &Options { bless: true, require_golden: true });
    println!("\nfirst run: {first:?} {}", golden.display());
    // …a run with the same decision matches it…
    let same = testing::compare_trace(&decide("79.99%")?, &golden, &Options::default());
    println!("same applicant: {same:?}");
    // …and a different explanation is a diff headed by the rule that changed
    // (the amount is 1000.00 either way; the employment rate read differs).
    match testing::compare_trace(&decide("75%")?, &golden, &Options::default()) {
        Golden::Changed { diff, rules } => println!("another applicant: changed at {}\n{diff}", rules.join(", ")),
        other => println!("another applicant: {other:?}"),
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
