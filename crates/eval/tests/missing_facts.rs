//! One answer names every missing fact. For each bundled golden case: a
//! first decision is made on the case's facts for inputs that have a default
//! (those are never "missing") and nothing else; it names missing facts
//! across every benefit (their dates, scopes, conditions and amount steps).
//! Supplying exactly those from the case then decides the case as all of its
//! facts do: same status and amount for every benefit. So a form filled from
//! the first answer never meets a second list. (A default such as an empty
//! claim history decides what it decides: facts read only for each earlier
//! claim are named once there is one.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;
use support::case_files;

use policy_eval::cases::CaseFile;
use policy_eval::{DecideOptions, Engine, TraceLevel};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

#[test]
fn the_first_answer_names_every_fact_a_golden_case_needs() {
    let engine = Engine::from_dir(policies_dir()).unwrap();
    let mut files = Vec::new();
    case_files(&policies_dir(), &mut files);
    assert!(files.len() >= 6);
    let (mut checked, mut problems) = (0, Vec::new());
    for file in files {
        let cases: CaseFile = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let plan = engine.plan(&cases.policy).unwrap();
        for case in &cases.cases {
            let opts = DecideOptions { reference_date: case.as_of, benefits: Vec::new(), trace: TraceLevel::Off };
            let Some(all) = case.facts.as_object() else { continue };
            let Ok(full_facts) = plan.facts_from_json(&case.facts) else { continue };
            let full = plan.decide(&full_facts, &opts).unwrap();
            // The first answer: the case's facts for inputs with a default
            // (they are never "missing"), nothing else.
            let defaulted: BTreeSet<&str> = plan.policy().inputs.iter().filter(|i| i.default.is_some()).map(|i| i.name.as_str()).collect();
            let keep = |named: &BTreeSet<String>| -> serde_json::Value {
                serde_json::Value::Object(
                    all.iter()
                        .filter(|(k, _)| defaulted.contains(k.as_str()) || named.contains(*k))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                )
            };
            let first = plan.decide(&plan.facts_from_json(&keep(&BTreeSet::new())).unwrap(), &opts).unwrap();
            let named: BTreeSet<String> = first.benefits.iter().flat_map(|b| b.missing.iter().map(|m| m.to_string())).collect();
            let only = keep(&named);
            let part = plan.decide(&plan.facts_from_json(&only).unwrap(), &opts).unwrap();
            for (a, b) in full.benefits.iter().zip(&part.benefits) {
                if a.status != b.status || a.amount != b.amount {
                    problems.push(format!(
                        "{} / {} / {}: {:?} {:?} with all facts, {:?} {:?} (missing {:?}) with the {} named for {{}} or defaulted",
                        cases.policy,
                        case.name,
                        a.id,
                        a.status,
                        a.amount,
                        b.status,
                        b.amount,
                        b.missing,
                        named.len()
                    ));
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 200, "only {checked} cases checked");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
