//! Faults in the bundled policies that golden cases cannot express: facts a
//! policy must reject as bad input (a case with rejected facts is a failed
//! case, see `docs/cases-format.md`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_eval::Engine;
use std::path::{Path, PathBuf};

/// The bundled policies, or another copy of them named by `POLICIES_DIR`.
fn engine() -> Engine {
    let dir = std::env::var_os("POLICIES_DIR").map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies"), PathBuf::from);
    Engine::from_dir(dir).expect("the bundled policies compile")
}

fn jinhua_facts(hours: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "trained_occupation": "big_data", "cert_level": "junior", "institution": "杭州电子科技大学",
        "completed_hours": hours, "has_training_certificate": true, "has_level_certificate": true,
        "cert_date": "2024-06-01", "application_date": "2024-07-01", "insured_locally": true,
        "local_hukou": false, "unemployed": false, "local_graduate": false, "establishment_staff": false,
        "birth_date": "1990-05-20", "receives_pension": false, "retirement_date": "2050-05-20"
    })
}

/// Jinhua: completed training hours are bounded below by 0 like the Zhejiang
/// scheme's (`in 0 zj.lesson_hour ..`); a negative number is rejected before
/// evaluation, naming the fact. Before the fix it was accepted and simply
/// failed the hours requirement.
#[test]
fn jinhua_rejects_negative_training_hours() {
    let engine = engine();
    let plan = engine.plan("jinhua.digital_engineer_2024").unwrap();
    for bad in [serde_json::json!(-1), serde_json::json!("-0.5")] {
        let err = plan.facts_from_json(&jinhua_facts(bad.clone())).err().unwrap_or_else(|| panic!("{bad} hours accepted"));
        assert!(err.to_string().contains("completed_hours"), "the error names the fact: {err}");
    }
    assert!(plan.facts_from_json(&jinhua_facts(serde_json::json!(0))).is_ok(), "0 hours is a valid fact");
}

/// Hangzhou: the special-operation standard is not bounded by 650 (the cap
/// applies to the payment), but it is still a non-negative amount.
#[test]
fn hangzhou_special_operation_standard_bounds() {
    let engine = engine();
    let plan = engine.plan("hangzhou.skills_upgrading_2020").unwrap();
    let facts = |v: &str| serde_json::json!({"training_kind": "special_operation_training", "special_operation_standard": v});
    assert!(plan.facts_from_json(&facts("700")).is_ok(), "a standard above 650 is accepted (and capped)");
    let Err(err) = plan.facts_from_json(&facts("-1")) else { panic!("a negative standard is rejected") };
    assert!(err.to_string().contains("special_operation_standard"), "{err}");
}
