//! The step budgets beyond one benefit: per decision (all benefits
//! together, `MAX_DECISION_STEPS`) and per plan compilation (all
//! assertions together, `MAX_COMPILE_STEPS`). Generated policies whose
//! every benefit (or assertion) stays under the per-evaluation limit but
//! whose sum does not: the budget error is asserted, not a time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chrono::NaiveDate;
use policy_core::loader::{Loader, MemoryLoader};
use policy_eval::{DecideOptions, EvalError, Status, TraceLevel, MAX_COMPILE_STEPS, MAX_DECISION_STEPS, MAX_EVAL_STEPS};

/// `n` benefits, each reading a `let` that compares every element of `xs`
/// with every other (`lets` are evaluated once per benefit).
fn many_benefits(n: usize) -> String {
    let mut text = String::from(
        "policy budget.many \"许多补贴\"\ninput xs: list int default [] \"数列\"\nlet pairs = count(a in xs where all(b in xs where b >= 0))\n",
    );
    for i in 0..n {
        text.push_str(&format!("benefit b{i:03} \"补贴{i}\" {{\n  payee person\n  require pairs >= 0 \"两两比较\"\n  amount 1 yuan\n}}\n"));
    }
    text
}

fn plan_of(text: &str, id: &str) -> Result<policy_eval::Plan, EvalError> {
    let mut loader = MemoryLoader::new();
    loader.add_policy("generated.policy", text);
    policy_eval::compile(&loader.load_policy(id).unwrap(), &loader)
}

/// 400 benefits over 1,000 elements: each benefit costs about 4 million
/// steps (under `MAX_EVAL_STEPS`), the decision 1.6 billion without a
/// decision budget (62 s of CPU per decision for a similar 50 KB policy).
#[test]
fn a_decision_of_many_benefits_stops_at_the_decision_budget() {
    let plan = plan_of(&many_benefits(400), "budget.many").unwrap_or_else(|e| panic!("{e}"));
    let json = format!("{{\"xs\": [{}]}}", (0..1000).map(|i| i.to_string()).collect::<Vec<_>>().join(","));
    let facts = plan.facts_from_str(&json).unwrap();
    let date = NaiveDate::from_ymd_opt(2024, 6, 1);
    let decide = |trace| plan.decide(&facts, &DecideOptions { reference_date: date, trace, ..Default::default() }).unwrap();
    let d = decide(TraceLevel::Off);
    assert_eq!(d.benefits.len(), 400);
    let eligible = d.benefits.iter().take_while(|b| b.status == Status::Eligible).count();
    // Some benefits fit the budget, and one benefit alone does not exhaust it.
    assert!(eligible >= usize::try_from(MAX_DECISION_STEPS / MAX_EVAL_STEPS).unwrap(), "{eligible}");
    assert!(eligible < 400, "every benefit decided: no decision budget");
    for b in &d.benefits[eligible..] {
        assert_eq!(b.status, Status::Undetermined, "{}", b.id);
        let shown = format!("{:?}", b.errors);
        assert!(shown.contains(&format!("the decision exceeded its limit of {MAX_DECISION_STEPS} steps")), "{}: {shown}", b.id);
    }
    // The budget is spent alike at every trace level.
    for level in [TraceLevel::Summary, TraceLevel::Full] {
        let mut other = decide(level);
        other.trace = None;
        assert_eq!(other, d, "{level:?}");
    }
    // Asking for one benefit gives it the whole budget.
    let last = plan.decide(&facts, &DecideOptions { reference_date: date, benefits: vec!["b399".into()], ..Default::default() }).unwrap();
    assert_eq!(last.benefits[0].status, Status::Eligible, "{:#?}", last.benefits[0]);
}

/// A policy's assertions run when the plan is built; each under the
/// per-evaluation limit, together over the compile budget: `R308` for the
/// one that ran out, and no plan.
#[test]
fn many_expensive_assertions_stop_at_the_compile_budget() {
    let rows = 1000;
    let mut text = String::from("policy budget.asserts \"许多断言\"\ntable t(k: int) -> (v: int) \"表\" {\n");
    for i in 0..rows {
        text.push_str(&format!("  {i} => {i}\n"));
    }
    text.push_str("}\n");
    let asserts = 60;
    for i in 0..asserts {
        text.push_str(&format!("assert a{i:02}: all(r in t where all(s in t where s.v >= 0)) \"两两比较\"\n"));
    }
    text.push_str("benefit b \"补贴\" {\n  payee person\n  amount 1 yuan\n}\n");
    let Err(EvalError::Policy { diagnostics, .. }) = plan_of(&text, "budget.asserts") else { panic!("compiled") };
    let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(!errors.is_empty());
    for e in &errors {
        assert_eq!(e.code.id, "R308", "{e:?}");
        assert!(e.message.contains(&format!("compiling the plan exceeded its limit of {MAX_COMPILE_STEPS} steps")), "{}", e.message);
    }
    // The first assertions fit the budget.
    assert!(errors.len() < asserts, "{}", errors.len());
    // Two of the same assertions compile.
    let few = text
        .lines()
        .filter(|l| !l.starts_with("assert a") || l.starts_with("assert a00") || l.starts_with("assert a01"))
        .collect::<Vec<_>>()
        .join("\n");
    plan_of(&few, "budget.asserts").unwrap_or_else(|e| panic!("{e}"));
}
