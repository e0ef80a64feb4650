//! Golden cases decided with both versions.

use super::*;

pub(super) fn compare_cases(search: &Search<'_>, cases: &[(String, CaseFile)]) -> (Vec<CaseChange>, usize) {
    let mut out = Vec::new();
    let mut compared = 0;
    for (file, cf) in cases {
        for case in &cf.cases {
            compared += 1;
            let side = |plan: &Plan| -> Side {
                // A case's `parameters` reform its plan, as `policy test` does.
                let reformed;
                let plan = match &case.parameters {
                    Some(p) if !p.is_empty() => {
                        let known: serde_json::Map<String, Json> = p
                            .iter()
                            .filter(|(k, _)| plan.policy().params.iter().any(|x| x.name == **k))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        reformed = plan.with_parameters(&known).map_err(|e| format!("parameters rejected: {e}"))?;
                        &reformed
                    }
                    _ => plan,
                };
                let declared = |k: &str| plan.input_slots.contains_key(k) || plan.external_slots.contains_key(k);
                // The facts as written when the case file was read exactly
                // (`CaseFile::parse`), else the serde_json tree.
                let exact = case.exact_facts.clone().unwrap_or_else(|| crate::facts::json::Json::from_value(&case.facts));
                let obj: Vec<(String, crate::facts::json::Json)> =
                    exact.as_object().map(|m| m.iter().filter(|(k, _)| declared(k)).cloned().collect()).unwrap_or_default();
                let facts = plan.facts_from_exact(&crate::facts::json::Json::Object(obj)).map_err(|e| e.to_string())?;
                let opts = DecideOptions { reference_date: case.as_of, benefits: Vec::new(), trace: TraceLevel::Off };
                let d = plan.decide(&facts, &opts).map_err(|e| e.to_string())?;
                Ok(d.benefits.iter().map(|b| (b.id.to_string(), Outcome::from_decision(b))).collect())
            };
            let pair = Pair { old: side(search.old), new: side(search.new) };
            let find = |s: &Side, id: &str| s.as_ref().ok().and_then(|l| l.iter().find(|(x, _)| x == id)).map(|x| x.1.clone());
            let benefits: Vec<BenefitPair> = search
                .order
                .iter()
                .filter_map(|id| {
                    let (a, b) = (find(&pair.old, id), find(&pair.new, id));
                    let differs = match (&a, &b) {
                        (Some(x), Some(y)) => !x.same(y),
                        (None, None) => false,
                        _ => pair.old.is_ok() && pair.new.is_ok(),
                    };
                    differs.then(|| BenefitPair { benefit: id.clone(), old: a, new: b, differs })
                })
                .collect();
            let rejected_differs = pair.old.is_err() != pair.new.is_err();
            if !benefits.is_empty() || rejected_differs {
                out.push(CaseChange {
                    file: file.clone(),
                    case: case.name.clone(),
                    old_rejected: pair.old.as_ref().err().cloned(),
                    new_rejected: pair.new.as_ref().err().cloned(),
                    benefits,
                });
            }
        }
    }
    (out, compared)
}
