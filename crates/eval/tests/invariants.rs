//! Property tests over every bundled policy with facts generated from its
//! declared inputs: decisions are deterministic, identical at every trace
//! level, round-trip through JSON, and amounts are never negative nor above a
//! constant final cap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use policy_core::checked::{AmountStepDef, CKind, CheckedPolicy};
use policy_core::value::Value;
use policy_eval::{DecideOptions, Engine, Status, TraceLevel};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::sync::OnceLock;
use support::gen_facts;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::from_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")).unwrap())
}

/// The constant of a benefit's last cap when no step after it can raise the amount.
fn final_cap(p: &CheckedPolicy, benefit: usize) -> Option<Decimal> {
    let b = &p.benefits[benefit];
    let steps: Vec<&AmountStepDef> = b.base.amount.iter().collect();
    let last_cap = steps.iter().rposition(|s| matches!(s, AmountStepDef::Cap { .. }))?;
    if steps[last_cap + 1..].iter().any(|s| matches!(s, AmountStepDef::Uplift { .. } | AmountStepDef::Base { .. }))
        || !b.versions.is_empty()
    {
        return None;
    }
    match &steps[last_cap] {
        AmountStepDef::Cap { expr, .. } => match &expr.kind {
            CKind::Const(Value::Num(d)) => Some(*d),
            _ => None,
        },
        _ => None,
    }
}

fn check_policy(id: &str, seed: u64) -> Result<(), TestCaseError> {
    let plan = engine().plan(id).unwrap();
    let (json, as_of) = gen_facts(plan, seed);
    let facts = match plan.facts_from_json(&json) {
        Ok(f) => f,
        Err(e) => return Err(TestCaseError::fail(format!("generated facts rejected: {e}\n{json}"))),
    };
    let decide = |level| plan.decide(&facts, &DecideOptions { reference_date: Some(as_of), trace: level, ..Default::default() }).unwrap();
    let off = decide(TraceLevel::Off);
    let again = decide(TraceLevel::Off);
    prop_assert_eq!(&off, &again, "not deterministic");
    let full = decide(TraceLevel::Full);
    let summary = decide(TraceLevel::Summary);
    prop_assert!(off.trace.is_none());
    prop_assert_eq!(&off.benefits, &full.benefits, "trace changed the decision");
    prop_assert_eq!(&off.benefits, &summary.benefits, "summary trace changed the decision");
    let back: policy_eval::Decision = serde_json::from_str(&serde_json::to_string(&full).unwrap()).unwrap();
    prop_assert_eq!(&back, &full, "JSON round trip");
    for (i, b) in off.benefits.iter().enumerate() {
        if let Some(a) = b.amount {
            prop_assert!(b.status == Status::Eligible);
            prop_assert!(!a.is_sign_negative() || a.is_zero(), "{} negative amount {}", b.id, a);
            if let Some(cap) = plan.policy().benefits.iter().position(|x| x.id == b.id).and_then(|j| final_cap(plan.policy(), j)) {
                prop_assert!(a <= cap, "{} amount {} above its cap {}", b.id, a, cap);
            }
            let _ = i;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn bundled_policies_hold_their_invariants(seed in any::<u64>()) {
        let ids: Vec<String> = engine().ids().map(String::from).collect();
        prop_assert!(ids.len() >= 6);
        for id in ids {
            check_policy(&id, seed)?;
        }
    }

    #[test]
    fn datong_order_training_never_exceeds_4000(days in 1u32..400, rate in 0u32..=10000) {
        let plan = engine().plan("datong.big_data_training_2022").unwrap();
        let facts = format!(r#"{{"project_for_big_data": true, "trainee_group": "veteran", "class_start_date": "2023-03-01", "training_days": {days}, "class_employment_rate": "{}%", "daily_checkin": true}}"#, Decimal::new(i64::from(rate), 2));
        let facts = plan.facts_from_str(&facts).unwrap();
        let d = plan.decide(&facts, &DecideOptions::default()).unwrap();
        let a = d.benefits.iter().find(|b| &*b.id == "order_training").and_then(|b| b.amount).unwrap();
        prop_assert!(a >= Decimal::ZERO && a <= Decimal::from(4000));
        if rate < 8000 { prop_assert!(a <= Decimal::from(1000)); }
    }
}
