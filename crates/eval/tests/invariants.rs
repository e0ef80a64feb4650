//! Property tests over every bundled policy with facts generated from its
//! declared inputs: decisions are deterministic, identical at every trace
//! level, round-trip through JSON, and amounts are never negative nor above a
//! constant final cap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chrono::{Duration, NaiveDate};
use policy_core::checked::{AmountStepDef, CKind, CheckedPolicy, Type};
use policy_core::value::Value;
use policy_eval::{DecideOptions, Engine, Plan, Status, TraceLevel};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::sync::OnceLock;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::from_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")).unwrap())
}

/// splitmix64: a small deterministic generator seeded by proptest.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

fn texts(p: &CheckedPolicy) -> Vec<String> {
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

fn gen_value(
    p: &CheckedPolicy,
    ty: &Type,
    bounds: Option<&policy_core::checked::Bounds>,
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

fn gen_facts(plan: &Plan, seed: u64) -> (serde_json::Value, NaiveDate) {
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
