//! A service deciding one applicant from JSON: load the bundled policies once,
//! then decide per request. Run: `cargo run -p policy-eval --example service`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_eval::{render_text, DecideOptions, Engine, TraceLevel};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let engine = Engine::from_dir(root)?; // compile every policy once; share across threads
    let request = r#"{
        "project_for_big_data": true, "trainee_group": "rural_migrant",
        "class_start_date": "2023-03-01", "training_days": 36,
        "class_employment_rate": "79.99%", "daily_checkin": true
    }"#;
    let options = DecideOptions { trace: TraceLevel::Full, benefits: vec!["order_training".into()], ..Default::default() };
    let decision = engine.decide_json("datong.big_data_training_2022", request, &options)?;
    // The whole versioned decision: `schema_version` first, then the policy
    // (id, version, content hash), the engine version, the benefits and the
    // trace; docs/trace.md describes every field.
    println!("{}", serde_json::to_string_pretty(&decision)?);
    println!("{}", render_text(&decision));
    Ok(())
}
