//! Case-file options beyond status and amount: a one-figure reform
//! (`parameters`), "no money" written as a zero (`or_ineligible`), and an
//! amount tolerance. Each is checked both ways: it passes what it should and
//! still fails what it should not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_core::loader::MemoryLoader;
use policy_eval::cases::{run_case, Case};
use policy_eval::Engine;

const POLICY: &str = "policy t.p \"测试\"\n  document \"测〔2024〕1号\"\n  in_force 2021-01-01 .. 2025-12-31\n\
input days: int in 0 .. 100 \"天数\"\n\
param rate: money \"每天标准\" {\n  from 2021-01-01 => 100 yuan\n  from 2023-01-01 => 120 yuan\n}\n\
benefit b \"补贴\" {\n  require enough: days >= 3 \"不少于3天\"\n  amount days * rate / 3\n}\n";

fn case(json: serde_json::Value) -> Case {
    serde_json::from_value(json).unwrap()
}

fn run(json: serde_json::Value) -> Vec<String> {
    let mut loader = MemoryLoader::new();
    loader.add_policy("t.policy", POLICY);
    let engine = Engine::from_loader(&loader).unwrap();
    run_case(engine.plan("t.p").unwrap(), &case(json)).mismatches
}

#[test]
fn a_parameter_override_is_a_reform_of_one_figure() {
    let base = serde_json::json!({"name": "base", "as_of": "2021-06-01", "facts": {"days": 3}, "expect": {"b": {"status": "eligible", "amount": "100"}}});
    assert!(run(base).is_empty());
    // The override applies on every date, replacing both versions.
    for as_of in ["2021-06-01", "2024-06-01"] {
        let reformed = serde_json::json!({"name": "r", "as_of": as_of, "facts": {"days": 3}, "parameters": {"rate": "150"},
            "expect": {"b": {"status": "eligible", "amount": "150"}}});
        assert!(run(reformed).is_empty(), "{as_of}");
    }
    let unknown = serde_json::json!({"name": "u", "as_of": "2021-06-01", "facts": {"days": 3}, "parameters": {"rte": "150"},
        "expect": {"b": {"status": "eligible"}}});
    assert!(run(unknown)[0].contains("no parameter `rte`"));
    let badly_typed = serde_json::json!({"name": "u", "as_of": "2021-06-01", "facts": {"days": 3}, "parameters": {"rate": "lots"},
        "expect": {"b": {"status": "eligible"}}});
    let problems = run(badly_typed);
    assert!(problems[0].contains("parameters.rate"), "{problems:?}");
}

#[test]
fn a_zero_is_not_a_refusal_unless_the_case_says_so() {
    let refused = |expect: serde_json::Value| {
        run(serde_json::json!({"name": "z", "as_of": "2021-06-01", "facts": {"days": 2}, "expect": {"b": expect}}))
    };
    // A refusal does not match an eligible zero.
    assert!(!refused(serde_json::json!({"status": "eligible", "amount": "0"})).is_empty());
    // "No money": a zero or a refusal.
    assert!(refused(serde_json::json!({"amount": "0", "or_ineligible": true})).is_empty());
    // A status is still required without it.
    assert!(refused(serde_json::json!({"amount": "0"}))[0].contains("no `status`"));
    // `or_ineligible` without an amount says so.
    assert!(refused(serde_json::json!({"status": "ineligible", "or_ineligible": true}))[0].contains("needs an `amount`"));
    // And it still checks the amount when the benefit is paid.
    let paid = |expect: serde_json::Value| {
        run(serde_json::json!({"name": "p", "as_of": "2021-06-01", "facts": {"days": 3}, "expect": {"b": expect}}))
    };
    assert!(!paid(serde_json::json!({"amount": "0", "or_ineligible": true})).is_empty());
}

#[test]
fn an_amount_tolerance_accepts_a_different_rounding_and_no_more() {
    // 4 days × 100 / 3 = 133.33… exactly in the engine.
    let with = |amount: &str, tolerance: &str| {
        run(serde_json::json!({"name": "t", "as_of": "2021-06-01", "facts": {"days": 4},
            "expect": {"b": {"status": "eligible", "amount": amount, "tolerance": tolerance}}}))
    };
    assert!(with("133.33", "0.01").is_empty());
    assert!(with("133.34", "0.01").is_empty());
    assert!(!with("133.35", "0.01").is_empty());
    assert!(!with("133.33", "0").is_empty(), "no tolerance: exact");
    assert!(with("133.33", "-1")[0].contains("non-negative"));
}
