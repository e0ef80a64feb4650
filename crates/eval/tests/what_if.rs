//! `what_if`: every option it gives, applied to the applicant, makes the
//! benefit eligible with the amount it reports; one-change options move a
//! number to its nearest threshold; missing facts are ranked.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::expect_used)]

use policy_eval::cases::CaseFile;
use policy_eval::decision::Status;
use policy_eval::what_if::{what_if, REFERENCE_DATE};
use policy_eval::{DecideOptions, Engine, TraceLevel};
use serde_json::{json, Value};
use std::path::Path;

fn engine() -> Engine {
    Engine::from_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")).unwrap()
}

fn apply(facts: &Value, changes: &[policy_eval::what_if::Change], as_of: Option<chrono::NaiveDate>) -> (Value, Option<chrono::NaiveDate>) {
    let mut f = facts.clone();
    let mut date = as_of;
    for c in changes {
        if c.fact == REFERENCE_DATE {
            date = c.to.as_str().and_then(|s| s.parse().ok());
        } else if c.to.is_null() {
            f.as_object_mut().unwrap().remove(&c.fact);
        } else {
            f.as_object_mut().unwrap().insert(c.fact.clone(), c.to.clone());
        }
    }
    (f, date)
}

/// Every option of every golden case (first ten cases per file) is
/// verified by deciding it again here.
#[test]
fn every_option_makes_its_benefit_eligible() {
    let engine = engine();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut checked = 0;
    for region in std::fs::read_dir(&root).unwrap() {
        for f in std::fs::read_dir(region.unwrap().path()).unwrap() {
            let path = f.unwrap().path();
            if !path.to_string_lossy().ends_with(".cases.json") {
                continue;
            }
            let file: CaseFile = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let plan = engine.plan(&file.policy).unwrap();
            for case in file.cases.iter().take(10) {
                let opts = DecideOptions { reference_date: case.as_of, ..Default::default() };
                let Ok(w) = what_if(plan, &case.facts, &opts) else { continue };
                for b in &w.benefits {
                    assert_ne!(b.status, Status::Eligible);
                    for o in &b.options {
                        assert!(!o.changes.is_empty());
                        let (facts, date) = apply(&case.facts, &o.changes, case.as_of);
                        let facts = plan.facts_from_json(&facts).unwrap();
                        let opts = DecideOptions { reference_date: date, benefits: vec![b.id.clone()], trace: TraceLevel::Off };
                        let d = plan.decide(&facts, &opts).unwrap();
                        let got = &d.benefits[0];
                        assert_eq!(got.status, Status::Eligible, "{} {} {}: {:?}", file.policy, case.name, b.id, o.changes);
                        assert_eq!(got.amount.map(policy_core::value::money_string), o.amount, "{} {}", file.policy, case.name);
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} options checked");
}

#[test]
fn a_number_moves_to_its_nearest_threshold() {
    let engine = engine();
    let plan = engine.plan("datong.big_data_training_2022").unwrap();
    let facts = json!({
        "enterprise_big_data": true, "frontline_employee": true,
        "onjob_start_date": "2023-05-01", "onjob_days": 2
    });
    let opts = DecideOptions { benefits: vec!["onjob_training".into()], ..Default::default() };
    let w = what_if(plan, &facts, &opts).unwrap();
    let b = &w.benefits[0];
    assert_eq!(b.status, Status::Ineligible);
    let days = b.options.iter().find(|o| o.changes[0].fact == "onjob_days").expect("an option on onjob_days");
    assert_eq!(days.changes.len(), 1);
    assert_eq!(days.changes[0].from, json!(2));
    assert_eq!(days.changes[0].to, json!(3), "the nearest value that passes `onjob_days >= 3`");
    assert_eq!(days.amount.as_deref(), Some("300.00"));
}

#[test]
fn missing_facts_are_ranked_and_filled() {
    let engine = engine();
    let plan = engine.plan("datong.big_data_training_2022").unwrap();
    let facts: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/datong/big_data_training_2022.example.json"))
            .unwrap(),
    )
    .unwrap();
    let w = what_if(plan, &facts, &DecideOptions::default()).unwrap();
    assert!(!w.needed.is_empty());
    for pair in w.needed.windows(2) {
        assert!(pair[0].benefits.len() >= pair[1].benefits.len());
    }
    // The on-the-job benefit needs several facts given at once.
    let onjob = w.benefits.iter().find(|b| b.id == "onjob_training").unwrap();
    assert_eq!(onjob.status, Status::Undetermined);
    let o = onjob.options.first().expect("an option for onjob_training");
    assert!(o.changes.len() >= 2, "{:?}", o.changes);
    assert!(o.changes.iter().all(|c| c.from.is_null()), "only facts not given are filled: {:?}", o.changes);
}

#[test]
fn bad_facts_are_an_error_not_a_guess() {
    let engine = engine();
    let plan = engine.plan("datong.big_data_training_2022").unwrap();
    assert!(what_if(plan, &json!({"training_days": "many"}), &DecideOptions::default()).is_err());
    assert!(what_if(plan, &json!([1]), &DecideOptions::default()).is_err());
}
